"""A recursive function's total counts its time once (atr_stats.inclusive_ns): a call inside
another call of the same function is in that call's time already, as cProfile's cumulative
time. Summing every level instead gave a recursive function many times the program's run
time (a YAML load: `compose_node` 577 ms in a 450 ms program) and put it first in `summary`.
"""

import json

import pytest

import argtrace
from argtrace import _core

HAS_VIEWER = hasattr(_core, "viewer_main")


@argtrace.trace
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@argtrace.trace
def is_even(n):
    return True if n == 0 else is_odd(n - 1)


@argtrace.trace
def is_odd(n):
    return False if n == 0 else is_even(n - 1)


@argtrace.trace
def main():
    fib(12)
    fib(10)
    is_even(30)


def record(path):
    argtrace.start(path)
    main()
    argtrace.stop()
    return argtrace.load(path)


def outermost(log, name):
    """The calls of `name` with no caller of the same function above them."""
    out = []
    for c in log.calls(name):
        p = c.parent()
        while p is not None and p.function != c.function:
            p = p.parent()
        if p is None:
            out.append(c)
    return out


def test_recursion_counted_once(tmp_path):
    log = record(str(tmp_path / "rec.atr"))
    stats = {s.name.rsplit(".", 1)[-1]: s for s in log.functions()}
    fibs = list(log.calls("fib"))
    outer = outermost(log, "fib")
    assert len(outer) == 2 and len(fibs) == stats["fib"].calls == 465 + 177
    assert stats["fib"].nested_calls == len(fibs) - 2
    assert stats["fib"].inclusive_ns == sum(c.duration_ns for c in outer)
    assert stats["fib"].total_ns == sum(c.duration_ns for c in fibs)
    assert stats["fib"].total_ns > 3 * stats["fib"].inclusive_ns  # every level summed
    # mutual recursion: is_even(30) -> is_odd(29) -> is_even(28) ...
    even = outermost(log, "is_even")
    assert len(even) == 1 and stats["is_even"].nested_calls == 15
    assert stats["is_even"].inclusive_ns == even[0].duration_ns
    odd = outermost(log, "is_odd")
    assert len(odd) == 1 and stats["is_odd"].inclusive_ns == odd[0].duration_ns
    # no function's total exceeds its caller's: main is first
    m = stats["main"]
    assert m.nested_calls == 0 and m.inclusive_ns == m.total_ns
    assert all(s.inclusive_ns <= m.inclusive_ns for s in stats.values())
    assert log.functions()[0].name.endswith("main")


@pytest.mark.skipif(not HAS_VIEWER, reason="viewer not built")
@pytest.mark.parametrize("stats_only", [True, False])
def test_summary_and_slow_count_recursion_once(tmp_path, capfd, stats_only):
    from argtrace import cli
    path = str(tmp_path / "rec.atr")
    log = record(path)
    if not stats_only:  # a generator's SUSPEND makes the viewer load the whole index
        argtrace.start(str(tmp_path / "gen.atr"))
        list(argtrace.trace(lambda: (yield 1))())
        argtrace.stop()
        path = str(tmp_path / "both")
        import os
        os.mkdir(path)
        os.rename(str(tmp_path / "rec.atr"), os.path.join(path, "rec.atr"))
        os.rename(str(tmp_path / "gen.atr"), os.path.join(path, "gen.atr"))
    stats = {s.name.rsplit(".", 1)[-1]: s for s in log.functions()}
    assert cli.main(["summary", path, "--json"]) == 0
    rows = {r["function"].rsplit(".", 1)[-1]: r for r in json.loads(capfd.readouterr().out)}
    for name in ("fib", "is_even", "is_odd", "main"):
        assert rows[name]["inclusive_ns"] == stats[name].inclusive_ns
        assert rows[name]["nested_calls"] == stats[name].nested_calls
        assert rows[name]["total_ns"] == stats[name].total_ns
    assert cli.main(["summary", path, "--width", "100"]) == 0
    out = capfd.readouterr().out
    assert "recursive functions: a call inside another call of the same function" in out
    assert out.splitlines()[1].split()[0].endswith("main")  # the largest total first
    assert cli.main(["slow", path, "fib", "--width", "100"]) == 0
    head = capfd.readouterr().out.splitlines()[0]
    assert "640 calls inside another of it" in head


@pytest.mark.skipif(not HAS_VIEWER, reason="viewer not built")
def test_diff_counts_recursion_once(tmp_path, capfd):
    # `diff`'s per-function totals (and the time a function added) are the same totals
    from argtrace import cli
    a, b = str(tmp_path / "a.atr"), str(tmp_path / "b.atr")
    base, new = record(a), record(b)
    capfd.readouterr()
    assert cli.main(["diff", a, b, "--json"]) == 0
    rows = {r["function"].rsplit(".", 1)[-1]: r for r in json.loads(capfd.readouterr().out)["functions"]}
    for name in ("fib", "is_even"):
        tb = {s.name.rsplit(".", 1)[-1]: s for s in base.functions()}[name].inclusive_ns
        tn = {s.name.rsplit(".", 1)[-1]: s for s in new.functions()}[name].inclusive_ns
        assert (rows[name]["base"]["total_ns"], rows[name]["new"]["total_ns"]) == (tb, tn)
        assert rows[name]["added_ns"] == tn - tb
