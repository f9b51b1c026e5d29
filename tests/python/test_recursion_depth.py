"""A decorated recursive function reaches the same recursion depth as the undecorated one,
within a few frames, with no session active and with one (on 3.12/3.13 entering a function
from C costs two units of CPython's C recursion budget: without care a decorated function
stopped at 748 levels where the plain one reached 998). Run in subprocesses: a crash fails
the test instead of the test run."""

import sys
import textwrap

import pytest

from atr_helpers import run_python

SCRIPT = textwrap.dedent("""
    import sys, argtrace
    depth = 0

    def plain(n):
        global depth
        depth = n
        return plain(n + 1)

    @argtrace.trace
    def deco(n):
        global depth
        depth = n
        return deco(n + 1)

    def reach(fn):
        global depth
        depth = 0
        try:
            fn(0)
        except RecursionError:
            pass
        return depth

    if sys.argv[1] == "session":
        argtrace.start(sys.argv[2])
    print(reach(plain), reach(deco))
""")


@pytest.mark.parametrize("mode", ["idle", "session"])
def test_decorated_recursion_reaches_the_same_depth(tmp_path, mode):
    script = tmp_path / "rec.py"
    script.write_text(SCRIPT)
    res = run_python([str(script), mode, str(tmp_path / "t.atr")], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    plain, deco = map(int, res.stdout.split())
    assert plain > 900  # the default limit (1000) less the frames below
    assert abs(plain - deco) <= 3, (plain, deco)
