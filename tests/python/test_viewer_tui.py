"""The TUI (`argtrace-view view`), driven in a detached tmux session of 80x24: keys are
sent with send-keys and assertions are made on the captured screen text. Each test gets a
private tmux server (-L) so nothing collides with other tmux users."""

import shutil
import subprocess
import time
import uuid

import pytest

from test_viewer_common import logs, plain_env, run_view, viewer  # noqa: F401 (fixtures)

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")

WAIT = 15.0  # generous upper bound for a screen to appear; never a timing assertion


class Screen:
    def __init__(self, viewer, args, cwd, cols=80, rows=24, env=None):
        self.sock = "atr-test-" + uuid.uuid4().hex[:10]
        cmd = "%s %s; echo EXIT:$?; sleep 600" % (viewer, " ".join(args))
        env = plain_env(TERM="xterm-256color", LANG="C.UTF-8", **(env or {}))
        subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null", "new-session", "-d",
                        "-x", str(cols), "-y", str(rows), "-c", str(cwd), cmd],
                       check=True, env=env, timeout=30)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.sock] + list(args), check=True,
                              capture_output=True, text=True, timeout=30).stdout

    def keys(self, *keys):
        for k in keys:
            self.tmux("send-keys", "-t", "0", k)

    def text(self, *keys):
        """Type literal text."""
        for k in keys:
            self.tmux("send-keys", "-t", "0", "-l", k)

    def raw_screen(self):
        return self.tmux("capture-pane", "-p", "-t", "0")

    def screen(self):
        """The screen once it has stopped changing: curses may be caught halfway through a
        redraw (a new title over the old body), so wait for two equal captures in a row."""
        deadline = time.monotonic() + WAIT
        last = self.raw_screen()
        while True:
            time.sleep(0.05)
            s = self.raw_screen()
            if s == last or time.monotonic() > deadline:
                return s
            last = s

    def wait_for(self, text, absent=None):
        """Wait until `text` is on screen (and `absent` is not); return the screen."""
        deadline = time.monotonic() + WAIT
        while True:
            s = self.screen()
            if text in s and (absent is None or absent not in s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError("%r not on screen:\n%s" % (text, s))
            time.sleep(0.05)

    def wait_pos(self, expected):
        """Wait until the title bar's position indicator reads `expected`; return the screen."""
        deadline = time.monotonic() + WAIT
        while True:
            s = self.screen()
            if position(s) == expected:
                return s
            if time.monotonic() > deadline:
                raise AssertionError("position %r expected:\n%s" % (expected, s))
            time.sleep(0.05)

    def close(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True,
                       timeout=30)


@pytest.fixture
def tui(viewer, logs):
    screens = []

    def start(*args, **kw):
        s = Screen(viewer, ["view"] + list(args), logs, **kw)
        screens.append(s)
        return s

    yield start
    for s in screens:
        s.close()


def lines(screen):
    return screen.rstrip("\n").split("\n")


def position(screen):
    """The "row/rows" indicator at the right of the title bar."""
    return lines(screen)[0].split()[-1]


def test_functions_screen_fits_80x24(tui):
    s = tui("basic.atr")
    screen = s.wait_for("functions (1 files, 341 calls)")
    rows = lines(screen)
    assert len(rows) <= 24
    assert all(len(r) <= 80 for r in rows)
    assert "app.handle" in rows[2] and "app.parse" in rows[3]  # by total time
    assert "calls" in rows[1] and "p95" in rows[1]
    assert "?: help" in rows[-1]


def test_drill_down_to_the_slow_group_and_its_tree(tui):
    s = tui("basic.atr")
    s.wait_for("functions (")
    s.keys("Down", "Enter")
    screen = s.wait_for("app.parse — arguments")
    assert "▸ n" in screen and "▸ mode" in screen
    s.keys("/")
    s.text("'strict'")
    s.keys("Enter", "Enter")
    screen = s.wait_for("calls of app.parse where mode = 'strict'")
    assert position(screen) == "1/2"
    rows = lines(screen)
    assert "(n=20000, mode='strict') → 40000" in rows[2]  # slowest first
    assert "(n=10000, mode='strict') → 20000" in rows[3]
    s.keys("Enter")
    screen = s.wait_for("call tree of call 296: app.parse")
    assert "app.parse(n=20000, mode='strict') → 40000" in screen


def test_group_by_a_key_typed_in(tui):
    s = tui("keys.atr")
    s.wait_for("functions (")
    s.keys("Enter")
    screen = s.wait_for("app.format — arguments")
    assert "len 6,400–6,500" in screen  # five length groups, rounded
    assert "SELECT…a.region = " in screen  # long strs tell apart
    assert all(len(r) <= 80 for r in lines(screen))
    s.keys("b")
    s.text("sql,reindent")
    s.keys("Enter")
    screen = s.wait_for("app.format — by sql,reindent")
    assert "▸ sql,reindent" in screen and "len 6,400–6,500, True" in screen
    s.keys("b")
    s.text("len(nope)")
    s.keys("Enter")
    s.wait_for("no argument 'nope'")


def test_group_to_its_slowest_calls_tree(tui):
    s = tui("basic.atr")
    s.wait_for("functions (")
    s.keys("Down", "Enter")
    s.wait_for("app.parse — arguments")
    s.keys("t")  # on "(all calls, slowest first)": the function's slowest call
    screen = s.wait_for("call tree of call 296: app.parse")
    assert "app.parse(n=20000, mode='strict') → 40000" in screen
    s.keys("q")
    s.wait_for("app.parse — arguments")
    s.keys("Down", "t")  # an argument's row
    s.wait_for("t: select a group first")
    s.keys("Down", "t")  # the first group of n: n=20000
    screen = s.wait_for("call tree of call 296: app.parse")
    assert "app.parse(n=20000, mode='strict') → 40000" in screen


def test_tree_expand_fold_and_slowest_child(tui):
    s = tui("basic.atr")
    s.wait_for("functions (")
    s.keys("c")  # calls of app.handle, slowest first
    s.wait_for("calls of app.handle")
    s.keys("Enter")
    screen = s.wait_for("call tree of call 295: app.handle")
    assert "▾ app.handle(req=7) → None" in screen
    # the 40 g() calls take under 1% of handle: one row, as `tree --min-share 1%`
    assert "… 40 calls to app.util.g() under 1.0%, 4.39 µs" in screen
    assert position(screen) == "1/3"
    s.keys("End", "Enter")  # expand that row in place
    screen = s.wait_for("app.util.g(i=0)")
    assert position(screen) == "3/42"
    s.keys("End")
    s.wait_pos("42/42")
    s.keys("Home", "Enter")  # collapse the root
    screen = s.wait_pos("1/1")
    assert "▸ app.handle(req=7)" in screen
    s.keys("s")  # expand again and jump to the slowest child
    screen = s.wait_pos("2/3")
    assert "▾ app.handle(req=7)" in screen
    assert "app.parse(n=20000, mode='strict')" in screen


def test_footer_keeps_help_and_back_at_80_columns(tui):
    # the call tree's keys do not all fit in 80 columns: the view's own give way from the
    # end, "?: help  q: back" stay (it ended "… r: replay  /: search  ?: h")
    s = tui("basic.atr")
    s.wait_for("functions (")
    s.keys("c")
    s.wait_for("calls of app.handle")
    s.keys("Enter")
    rows = lines(s.wait_for("call tree of call 295: app.handle"))
    assert rows[-1].rstrip().endswith("?: help  q: back"), rows[-1]
    assert rows[-1].startswith("Enter: expand/collapse") and len(rows[-1]) <= 80


def test_slowest_child_follows_active_time(tui):
    """consume()'s generator child lasts 15.1 µs but ran 210 ns; each work() call ran 2 µs:
    's' goes to the first work() call, not to the generator."""
    s = tui("generator.atr")
    screen = s.wait_for("functions (1 files, 9 calls)")
    assert "app.consume" in lines(screen)[2]  # by active total time
    s.keys("c")
    s.wait_for("calls of app.consume")
    s.keys("Enter")
    screen = s.wait_for("call tree of call 0: app.consume")
    assert "app.gen(n=5)  [active 210 ns]" in screen
    assert position(screen) == "1/7"
    s.keys("s")
    screen = s.wait_pos("3/7")
    assert "app.work(x=0)" in screen


def test_help_back_and_quit(tui):
    s = tui("basic.atr")
    s.wait_for("functions (")
    s.keys("?")
    screen = s.wait_for("argtrace │ help")
    assert "search the rows" in screen
    s.keys("q")
    s.wait_for("functions (")
    s.keys("Enter")
    s.wait_for("app.handle — arguments")
    s.keys("Escape")
    s.wait_for("functions (", absent="— arguments")
    s.keys("q")
    s.wait_for("EXIT:0")


def test_search_not_found_then_next(tui):
    s = tui("basic.atr")
    s.wait_for("functions (")
    s.keys("/")
    s.text("nothing-like-this")
    s.keys("Enter")
    s.wait_for("not found: nothing-like-this")
    s.keys("/")
    s.text("FAIL")  # case-insensitive
    s.keys("Enter")
    screen = s.wait_pos("5/5")
    assert "not found" not in screen


def test_replay_steps_jumps_and_opens_trees(tui):
    s = tui("basic.atr")
    s.wait_for("functions (")
    s.keys("r")
    screen = s.wait_for("replay: events in time order")
    rows = lines(screen)
    assert "+0.000000000" in rows[2] and "▶ app.handle(req=0)" in rows[2]
    assert "▶ app.parse(n=10, mode='fast')" in rows[3]
    s.keys("t")
    s.text("5ms")
    s.keys("Enter")
    screen = s.wait_for("◀ app.parse → 20000  [5.00 ms]")
    at, total = (int(x) for x in position(screen).split("/"))
    assert total == 683
    s.keys("Down", "Down")  # the end of app.util.g(i=0)
    s.wait_pos("%d/%d" % (at + 2, total))
    s.keys("s")  # the start of the selected event's call
    s.wait_pos("%d/%d" % (at + 1, total))
    s.keys("Enter")
    screen = s.wait_for("call tree of call")
    assert "app.util.g(i=0)" in screen
    s.keys("q")
    s.wait_for("replay: events")


def test_replay_from_a_call_and_to_its_end(tui):
    s = tui("basic.atr")
    s.wait_for("functions (")
    s.keys("Down", "c")
    s.wait_for("calls of app.parse")
    s.keys("r")
    screen = s.wait_for("replay: events")
    start, total = position(screen).split("/")
    s.keys("e")  # parse(n=20000) has no children: its end is the next event
    s.wait_pos("%d/%s" % (int(start) + 1, total))


def test_resize_redraws(tui):
    s = tui("basic.atr")
    s.wait_for("functions (")
    s.tmux("resize-window", "-t", "0", "-x", "100", "-y", "30")
    deadline = time.monotonic() + WAIT
    while len(lines(s.screen())[0].rstrip()) < 95 and time.monotonic() < deadline:
        time.sleep(0.05)
    rows = lines(s.screen())
    # the title bar spans the new width (capture-pane drops its trailing blank)
    assert len(rows[0].rstrip()) >= 95 and position(s.screen()) == "1/5"


def test_hostile_log_is_escaped_on_screen(tui):
    s = tui("hostile.atr", cols=200)  # values get 2/5 of the width: 80 columns
    screen = s.wait_for("functions (")
    assert "evil\\x1b]0;pwned\\x07.show" in screen
    assert "evil.odd\\nname\\u202eRTL" in screen
    s.keys("c", "Enter")
    screen = s.wait_for("call tree of call")
    assert "'red\\x1b[31m bell\\x07" in screen


def test_merged_logs_and_unfinished_calls(tui):
    s = tui("basic.atr", "second.atr", "unclosed.atr")
    screen = s.wait_for("functions (3 files")
    assert "app.handle" in screen


def test_view_needs_a_terminal(viewer, logs):
    proc = run_view(viewer, ["view", "basic.atr"], logs, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert "needs a terminal" in proc.stderr


@pytest.mark.parametrize("no_color", ["", "1"])
def test_text_commands_colour_only_on_a_terminal(viewer, logs, no_color):
    """On a terminal the table header is bold unless NO_COLOR is set; piped output is plain
    (the golden tests)."""
    s = Screen(viewer, ["summary", "basic.atr"], logs, env={"NO_COLOR": no_color})
    try:
        s.wait_for("EXIT:0")
        styled = s.tmux("capture-pane", "-p", "-e", "-t", "0")
        assert "app.handle" in styled
        assert ("\x1b[1m" in styled) == (no_color == "")
    finally:
        s.close()


def test_calls_and_tree_show_the_printed_call_ids(tui):
    """The ids `calls` prints (FILE:N with several logs) head the calls list and the tree."""
    s = tui("basic.atr", "second.atr")
    s.wait_for("functions (2 files")
    s.keys("Down", "Enter")
    s.wait_for("app.parse — arguments")
    s.keys("/")
    s.text("'strict'")
    s.keys("Enter", "Enter")
    screen = s.wait_for("calls of app.parse where mode = 'strict'")
    rows = lines(screen)
    assert "id" in rows[1].split()
    assert "0:296" in rows[2] and "(n=20000, mode='strict') → 40000" in rows[2]
    s.keys("Enter")
    s.wait_for("call tree of call 0:296: app.parse")


def test_long_names_and_values_at_80_columns(tui):
    """A real library's names at 80 columns: the functions keep their tail, the tree cuts
    values in the middle with their length and gathers the calls under 1% in one row."""
    s = tui("longnames.atr")
    screen = s.wait_for("functions (1 files, 156 calls)")
    rows = lines(screen)
    assert all(len(r) <= 80 for r in rows)
    assert any(r.endswith("  …ReindentFilter._process") for r in rows)
    assert any(r.endswith("…Splitter._change_splitlevel") for r in rows)
    s.keys("c", "Enter")
    screen = s.wait_for("call tree of call 117: sqlparse.format")
    assert "sqlparse.format(sql='SELECT a, …(2,304 chars)…ERE x'" in screen
    s.keys("End", "Enter")  # expand FilterStack.run
    # the generator's active time stays on its row at 80 columns (its arguments are cut)
    screen = s.wait_for("[active 13.0 µs]")
    rows = lines(screen)
    assert all(len(r) <= 80 for r in rows)
    assert any("StatementSplitter.process(" in r and r.endswith("[active 13.0 µs]")
               for r in rows), screen
    # its one call under 1% has a call under it: counted, not opened as a chain of rows
    assert "… 1 call to sqlparse.lexer.Lexer.get_default_in" in screen
    assert "get_default_instance(cls=" not in screen
    s.keys("Down", "Down", "Enter")  # expand ReindentFilter._process
    s.wait_for("ReindentFilter._process_default(")
    s.keys("Down", "Enter")  # expand ReindentFilter._process_default
    # its one call under 1% has none under it: shown as itself, in start order (first), not
    # as "… 1 call under 1.0%"
    screen = s.wait_for("ReindentFilter._next_token(self=")
    rows = lines(screen)
    at = [i for i, r in enumerate(rows) if "ReindentFilter._next_token(" in r]
    parent = [i for i, r in enumerate(rows) if "ReindentFilter._process_default(" in r]
    assert at and parent and at[0] == parent[0] + 1, screen
    assert screen.count("call to") == 1, screen
