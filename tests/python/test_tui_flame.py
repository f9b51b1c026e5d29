"""The TUI's flame view (issue 13 item 2): `f` on the calls screen or in a call tree opens
an icicle of the selected call (rows: depth; widths: share of the parent's active time),
driven through tmux at 80x24 as test_viewer_tui.py does. The first screen is compared with a
golden (tests/golden/viewer/tui_flame.screen; ATR_REGEN_GOLDEN=1 rewrites it)."""

import os
import shutil

import pytest

from test_viewer_common import GOLDEN, logs, viewer  # noqa: F401 (fixtures)
from test_viewer_tui import lines, position, tui  # noqa: F401 (fixtures)

# as test_viewer_tui.py: tmux drives the terminal (the main CI Python has it; the CPython 3.14
# chroot does not)
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")

SCREEN = GOLDEN / "tui_flame.screen"


def open_flame(tui):
    """generator.atr: consume() runs 15.5 µs: a generator (210 ns active) and 5 work()
    calls (10 µs); the flame view of its only call."""
    s = tui("generator.atr")
    s.wait_for("functions (")
    s.keys("c")
    screen = s.wait_for("calls of app.consume")
    assert "f: flame" in lines(screen)[-1]
    s.keys("f")
    return s, s.wait_for("flame of call 0: app.consume")


def frame_row(screen, name):
    """(column, text) of the frame `name` on the screen's body rows."""
    for row in lines(screen)[2:-1]:
        at = row.find(name)
        if at >= 0:
            return at, row
    raise AssertionError("%s not on screen:\n%s" % (name, screen))


def test_flame_screen_golden(tui):
    s, screen = open_flame(tui)
    rows = lines(screen)
    assert len(rows) <= 24 and all(len(r) <= 80 for r in rows)
    if os.environ.get("ATR_REGEN_GOLDEN") == "1":
        SCREEN.write_text(screen, encoding="utf-8")
    assert screen == SCREEN.read_text(encoding="utf-8")


def test_frames_are_proportional_to_active_time(tui):
    s, screen = open_flame(tui)
    assert lines(screen)[1].startswith("▶ app.consume  15.5 µs  1 call  100.0% of the call")
    assert position(screen) == "1/2"
    s.keys("j")  # the widest child: the work() calls, 10.0 of 15.5 µs
    screen = s.wait_for("▶ app.work  10.0 µs  5 calls  64.5% of the call")
    col, row = frame_row(screen, "▶app.work")
    # gen (210 ns of 15.5 µs) rounds to one column at 80; work spans 64.5% of 80 columns
    assert col == 1 and row.rstrip() == "▏▶app.work"
    assert position(screen) == "2/2"


def test_arrows_move_between_frames(tui):
    s, screen = open_flame(tui)
    s.keys("Down")
    s.wait_for("▶ app.work")
    s.keys("h")  # the frame before: the generator, charged its active time only
    s.wait_for("▶ app.gen  210 ns  1 call  1.4% of the call")
    s.keys("Right")
    s.wait_for("▶ app.work  10.0 µs")
    s.keys("l")  # nothing after it: stays
    s.wait_for("▶ app.work  10.0 µs")
    s.keys("k")
    screen = s.wait_for("▶ app.consume  15.5 µs")
    assert position(screen) == "1/2"
    s.keys("Up")  # the top: stays
    s.wait_for("▶ app.consume  15.5 µs")


def test_enter_zooms_and_escape_unzooms(tui):
    s, screen = open_flame(tui)
    s.keys("j", "Enter")
    screen = s.wait_for("100.0% of the zoom")
    assert lines(screen)[1].startswith("▶ app.work  10.0 µs  5 calls  64.5% of the call")
    assert position(screen) == "1/1"
    assert lines(screen)[2].startswith("▶app.work")  # across the whole width now
    s.keys("BSpace")
    screen = s.wait_for("▶ app.work  10.0 µs", absent="of the zoom")
    assert position(screen) == "2/2"
    s.keys("Escape")  # not zoomed: back to the calls
    s.wait_for("calls of app.consume", absent="flame of call")


def test_flame_from_the_call_tree_and_help(tui):
    s = tui("basic.atr")
    s.wait_for("functions (")
    s.keys("c")
    s.wait_for("calls of app.handle")
    s.keys("Enter")
    screen = s.wait_for("call tree of call 295: app.handle")
    assert "f: flame" in lines(screen)[-1]
    s.keys("End", "f")  # the folded row of the 40 g() calls is not one call
    s.wait_for("f: select a call (this row folds several)")
    s.keys("Home", "Down", "f")
    screen = s.wait_for("flame of call 296: app.parse")
    assert lines(screen)[1].startswith("▶ app.parse  10.0 ms  1 call  100.0% of the call")
    s.keys("q")
    s.wait_for("call tree of call 295")
    s.keys("?")
    s.wait_for("argtrace │ help")
    s.keys("/")
    s.text("flame graph of the selected")
    s.keys("Enter")
    s.wait_for("  f              flame graph of the selected call")
    s.keys("/")
    s.text("zoom into")
    s.keys("Enter")
    s.wait_for("  Enter          zoom into the frame;  Esc Backspace  zoom out")
