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


def test_the_tree_of_a_deep_recursion_reads_back_in_python(tmp_path):
    """Log.tree() of a call 3,000 calls deep (deeper than Python's recursion limit) builds,
    and its repr says what it is instead of raising RecursionError (up to 3.12: 3.13's own
    repr goes that deep)."""
    script = textwrap.dedent("""
        import sys, argtrace
        sys.setrecursionlimit(10000)

        @argtrace.trace
        def down(n):
            return 0 if n == 0 else 1 + down(n - 1)

        with argtrace.session(sys.argv[1]):
            down(3000)
        sys.setrecursionlimit(1000)  # the reader's own default
        log = argtrace.load(sys.argv[1])
        tree = log.tree(log.calls("down")[0])
        depth, node = 0, tree
        while node["children"]:
            node, depth = node["children"][0], depth + 1
        text = repr(tree)  # Python's own repr where it goes that deep (3.13+), else ours
        print(depth, node["args"]["n"], text if text.startswith("<") else text[:9])
        print(len(log.tree(log.calls("down")[0], max_depth=10)["children"]))
        print("the first 200 of 3001 calls" in tree._repr_html_())  # the notebook's table
    """)
    path = tmp_path / "deep.py"
    path.write_text(script)
    res = run_python([str(path), str(tmp_path / "deep.atr")], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    first, second, html = res.stdout.splitlines()
    assert first in ("3000 0 <CallTree of __main__.down (id 0): 3001 calls, 3000 deep; "
                     "str() prints it>", "3000 0 {'id': 0,")
    assert second == "1" and html == "True"
