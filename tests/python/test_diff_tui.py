"""`argtrace-view diff BASE NEW --tui` in a detached tmux session of 80x24 (the harness of
test_viewer_tui.py): functions by added time, a function's groups split by run, a group's
calls of both runs."""

import shutil

import pytest

from test_viewer_common import logs, viewer  # noqa: F401 (fixtures)
from test_viewer_tui import Screen, lines

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")


def test_diff_tui_functions_groups_calls(viewer, logs):
    s = Screen(viewer, ["diff", "diff_base.atr", "diff_new.atr", "--tui"], logs)
    try:
        screen = s.wait_for("app.util.g")
        rows = lines(screen)
        assert "diff: 5 functions" in rows[0]
        assert all(len(r) <= 80 for r in rows)
        (g,) = [r for r in rows if r.endswith("app.util.g")]
        assert "640→640" in g and "<0.001 *" in g and "1.18×" in g
        s.keys("Down", "Enter")  # app.parse, second by |added| (name order on a tie)
        screen = s.wait_for("'strict'")
        assert "app.parse: argument groups, base → new" in screen
        (strict,) = [r for r in lines(screen) if r.endswith("'strict'")]
        assert "+60.0 ms" in strict and "4→4" in strict and "3.00×" in strict
        s.keys("/")
        s.text("strict")
        s.keys("Enter", "Enter")
        screen = s.wait_for("calls of app.parse where mode = 'strict'")
        ids = [r.split()[4] for r in lines(screen)[2:] if "mode='strict'" in r]
        assert len(ids) == 8 and {i.split(":")[0] for i in ids} == {"0", "1"}
        s.keys("q", "q", "q")
        s.wait_for("EXIT:0")
    finally:
        s.close()
