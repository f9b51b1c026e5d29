"""`argtrace diff` and argtrace.diff(): two runs of a small program where one argument value
got slower, traced with an injected clock (filter tracing) so every figure is exact. The
command runs as a user runs it (a subprocess, text at 80 columns and --json); the p-values
are checked against a plain Python Mann-Whitney U with tie correction."""

import json
import math
import os
import subprocess
import sys
import textwrap
from collections import Counter

import pytest

import argtrace
from argtrace import _core

pytestmark = pytest.mark.skipif(not hasattr(_core, "filter_start"),
                                reason="this build has no filter tracing")

# The program: work(n, mode) lasts n µs; in the "new" run strict calls take 1 ms more, and
# extra() runs there only. The clock is the program's own counter (exact durations).
PROGRAM = textwrap.dedent("""\
    import sys
    import argtrace
    from argtrace import _core

    NOW = [1_000_000]
    NEW = sys.argv[1] == "new"

    def work(n, mode):
        NOW[0] += n * 1000 + (1_000_000 if NEW and mode == "strict" else 0)

    def extra():
        NOW[0] += 5000

    class Importer:
        def check_all_the_rows_twice(self):  # a name too long for the text table
            NOW[0] += 100

    argtrace.start(sys.argv[2])
    _core.filter_start(["__main__:work", "__main__:extra",
                        "__main__:Importer.check_all_the_rows_twice"], [],
                       clock=lambda: NOW[0])
    try:
        for i in range(60):
            work((1, 10, 100)[i % 3], "strict" if i % 2 else "fast")
        if NEW:
            extra()
        Importer().check_all_the_rows_twice()
    finally:
        _core.filter_stop()
        argtrace.stop()
""")


def mann_whitney_p(a, b):
    """Two-sided p of Mann-Whitney U: normal approximation, continuity and tie corrections."""
    n1, n2 = len(a), len(b)
    n = n1 + n2
    counts = Counter(a + b)
    rank, r = {}, 0
    for v in sorted(counts):
        rank[v] = r + (counts[v] + 1) / 2
        r += counts[v]
    u = sum(rank[v] for v in a) - n1 * (n1 + 1) / 2
    ties = sum(t ** 3 - t for t in counts.values())
    var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return 1.0
    z = max(abs(u - n1 * n2 / 2) - 0.5, 0) / math.sqrt(var)
    return math.erfc(z / math.sqrt(2))


def durations(run, n=None, mode=None):
    """The durations (ns) of the program's work() calls in `run`, optionally of one group."""
    out = []
    for i in range(60):
        cn, cm = (1, 10, 100)[i % 3], "strict" if i % 2 else "fast"
        if (n is None or cn == n) and (mode is None or cm == mode):
            out.append(cn * 1000 + (1_000_000 if run == "new" and cm == "strict" else 0))
    return sorted(out)


def side(d):
    """{calls, total_ns, p50_ns, p95_ns} with nearest-rank percentiles."""
    def pct(p):
        return d[max(1, math.ceil(p / 100 * len(d) - 1e-9)) - 1] if d else 0
    return {"calls": len(d), "total_ns": sum(d), "p50_ns": pct(50), "p95_ns": pct(95)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs of the program: base.atr and new.atr (and base2.atr, a second base run)."""
    d = tmp_path_factory.mktemp("diff")
    prog = d / "prog.py"
    prog.write_text(PROGRAM)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    for run, name in (("base", "base.atr"), ("new", "new.atr"), ("base", "base2.atr")):
        subprocess.run([sys.executable, str(prog), run, str(d / name)], check=True, env=env,
                       cwd=d, timeout=60)
    return d


def cli(runs, *args, columns=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    env.pop("NO_COLOR", None)
    if columns:
        env["COLUMNS"] = str(columns)
    return subprocess.run([sys.executable, "-m", "argtrace", "diff"] + list(args),
                          capture_output=True, text=True, env=env, cwd=runs, timeout=60)


def by_name(result, name):
    (f,) = [f for f in result["functions"] if f["function"] == name]
    return f


def group(f, arg, value):
    (a,) = [a for a in f["arguments"] if a["name"] == arg]
    (g,) = [g for g in a["groups"] if g["value"] == value]
    return g


def test_cli_json_exact(runs):
    proc = cli(runs, "base.atr", "new.atr", "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert (r["base"], r["new"], r["test"]) == (["base.atr"], ["new.atr"], "mann-whitney-u")
    assert (r["alpha"], r["min_calls"]) == (0.01, 10)
    assert [f["function"] for f in r["functions"]] == [
        "__main__.work", "__main__.extra", "__main__.Importer.check_all_the_rows_twice"]
    work = by_name(r, "__main__.work")
    assert work["base"] == side(durations("base"))
    assert work["new"] == side(durations("new"))
    assert work["added_ns"] == 30 * 1_000_000
    assert work["ratio_p50"] == work["new"]["p50_ns"] / work["base"]["p50_ns"]
    assert work["p_value"] == pytest.approx(
        mann_whitney_p(durations("base"), durations("new")), rel=1e-9)
    # the value that got slower: mode='strict', 30 calls a side, completely separated
    strict = group(work, "mode", "strict")
    assert strict["base"] == side(durations("base", mode="strict"))
    assert strict["new"] == side(durations("new", mode="strict"))
    assert strict["added_ns"] == 30_000_000 and strict["significant"] is True
    assert strict["p_value"] == pytest.approx(
        mann_whitney_p(durations("base", mode="strict"), durations("new", mode="strict")),
        rel=1e-9)
    assert strict["p_value"] < 1e-6 and strict["filter"] == 'mode="strict"'
    fast = group(work, "mode", "fast")
    assert fast["base"] == fast["new"] == side(durations("base", mode="fast"))
    assert (fast["added_ns"], fast["p_value"], fast["significant"]) == (0, 1.0, False)
    # the slower group comes first
    mode = [a for a in work["arguments"] if a["name"] == "mode"][0]
    assert [g["value"] for g in mode["groups"]] == ["strict", "fast"]
    # n: the same three values on both sides, each group split by run
    for n in (1, 10, 100):
        g = group(work, "n", n)
        assert g["base"] == side(durations("base", n=n))
        assert g["new"] == side(durations("new", n=n))
    # a function of the new run only
    extra = by_name(r, "__main__.extra")
    assert extra["base"] == {"calls": 0, "total_ns": 0, "p50_ns": 0, "p95_ns": 0}
    assert extra["new"] == {"calls": 1, "total_ns": 5000, "p50_ns": 5000, "p95_ns": 5000}
    assert (extra["ratio_p50"], extra["p_value"], extra["significant"]) == (None, None, False)


def test_api_equals_cli(runs):
    proc = cli(runs, "base.atr", "new.atr", "--json")
    assert proc.returncode == 0, proc.stderr
    api = argtrace.diff(str(runs / "base.atr"), runs / "new.atr")
    cli_r = json.loads(proc.stdout)
    assert api["base"] == [str(runs / "base.atr")] and api["new"] == [str(runs / "new.atr")]
    api["base"], api["new"] = cli_r["base"], cli_r["new"]
    # values that are not JSON scalars: JSON {"kind": ...} there, the Python object here
    (method,) = [f for f in api["functions"] if f["function"].endswith("rows_twice")]
    (self_group,) = method["arguments"][0]["groups"]
    assert isinstance(self_group["value"], argtrace.Summary)
    assert self_group["value"].type_name == "Importer"
    (cli_method,) = [f for f in cli_r["functions"] if f["function"].endswith("rows_twice")]
    assert cli_method["arguments"][0]["groups"][0]["value"]["kind"] == "summary"
    self_group["value"] = cli_method["arguments"][0]["groups"][0]["value"]
    assert api == cli_r


def test_api_function_and_filters(runs):
    r = argtrace.diff(runs / "base.atr", runs / "new.atr", "work", mode="strict")
    (work,) = r["functions"]
    assert work["base"]["calls"] == work["new"]["calls"] == 30
    assert [g["value"] for a in work["arguments"] if a["name"] == "mode"
            for g in a["groups"]] == ["strict"]
    r = argtrace.diff(runs / "base.atr", runs / "new.atr", "work", ["n>=10"])
    assert r["functions"][0]["base"] == side([d for d in durations("base") if d >= 10_000])
    # significance off: more calls needed than there are
    r = argtrace.diff(runs / "base.atr", runs / "new.atr", "work", min_calls=31)
    assert not any(g["significant"] for a in r["functions"][0]["arguments"]
                   for g in a["groups"])
    # several logs for one run: both base runs count
    r = argtrace.diff([runs / "base.atr", runs / "base2.atr"], [runs / "new.atr"], "work")
    assert r["functions"][0]["base"]["calls"] == 120
    assert r["functions"][0]["added_ns"] == 30_000_000 - 2_220_000


def test_api_errors(runs):
    with pytest.raises(ValueError, match="not found"):
        argtrace.diff(runs / "base.atr", runs / "new.atr", "nosuch")
    with pytest.raises(ValueError, match="same log"):
        argtrace.diff(runs / "base.atr", runs / "base.atr")
    with pytest.raises(ValueError, match="alpha"):
        argtrace.diff(runs / "base.atr", runs / "new.atr", alpha=1.5)
    with pytest.raises(OSError):
        argtrace.diff(runs / "base.atr", runs / "missing.atr")
    with pytest.raises(ValueError, match="filter"):
        argtrace.diff(runs / "base.atr", runs / "new.atr", "work", ["n>"])
    with pytest.raises(ValueError, match="at least one"):
        argtrace.diff([], runs / "new.atr")
    with pytest.raises(TypeError, match=r"^argtrace: diff\(\) base takes a log path .* not "
                                        r"NoneType$"):
        argtrace.diff(None, runs / "new.atr")
    with pytest.raises(ValueError, match="min_calls must be an int >= 0, not 'x'"):
        argtrace.diff(runs / "base.atr", runs / "new.atr", min_calls="x")


def test_api_takes_loaded_logs(runs):
    base, new = argtrace.load(runs / "base.atr"), argtrace.load(runs / "new.atr")
    by_path = argtrace.diff(runs / "base.atr", runs / "new.atr")
    assert argtrace.diff(base, new) == by_path
    assert argtrace.diff([base], [new]) == by_path
    with pytest.raises(ValueError, match="same log"):
        argtrace.diff(base, base)


def test_cli_text_fits_80_columns(runs):
    proc = cli(runs, "base.atr", "new.atr", columns=80)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "\033" not in proc.stdout  # not a terminal: no colour
    text = proc.stdout
    assert "Mann–Whitney U" in text and "p < 0.01 with at least 10" in text
    (row,) = [line for line in lines if line.endswith("__main__.work")]
    assert row.split()[:2] == ["+30.0", "ms"] and "60→60" in row
    (strict,) = [line for line in lines if line.endswith("'strict'")]
    assert "30→30" in strict and "<0.001 *" in strict and "+30.0 ms" in strict
    assert "0→1" in [line for line in lines if line.endswith("__main__.extra")][0]
    # a name too long for what the other columns leave: cut from the left, at a dot
    (long_row,) = [line for line in lines if "check_all_the_rows_twice" in line and "→" in line]
    assert long_row.endswith(" …check_all_the_rows_twice") and len(long_row) <= 80


def test_cli_several_logs_and_errors(runs):
    proc = cli(runs, "--base", "base.atr", "base2.atr", "--new", "new.atr", "work")
    assert proc.returncode == 0, proc.stderr
    assert "base: base.atr, base2.atr" in proc.stdout
    assert "120" in proc.stdout.split("\n  base")[1].split("\n")[0]
    proc = cli(runs, "base.atr", "base2.atr", "new.atr")
    assert proc.returncode == 2 and "--base a.atr b.atr --new c.atr" in proc.stderr
    proc = cli(runs, "base.atr", "base.atr")
    assert proc.returncode == 2 and "in both runs" in proc.stderr
    proc = cli(runs, "base.atr", "new.atr", "nosuch")
    assert proc.returncode == 1 and "nosuch" in proc.stderr


def test_cli_json_lists_every_function_text_the_first_20(tmp_path):
    """--json is the whole result unless -n is given; the text lists 20 functions."""
    fns = []
    for k in range(25):
        def f(x):
            return x
        f.__name__ = f.__qualname__ = "f%02d" % k
        fns.append(argtrace.trace(f))
    for name in ("a.atr", "b.atr"):
        with argtrace.session(tmp_path / name):
            for f in fns:
                f(1)
    proc = cli(tmp_path, "a.atr", "b.atr", "--json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["functions"]) == 25
    proc = cli(tmp_path, "a.atr", "b.atr", "--json", "-n", "3")
    assert len(json.loads(proc.stdout)["functions"]) == 3
    proc = cli(tmp_path, "a.atr", "b.atr", "-d", "0")
    assert proc.returncode == 0, proc.stderr
    assert sum("test_diff.f" in line for line in proc.stdout.splitlines()) == 20
    assert "… 5 more functions (--limit 0 shows all)" in proc.stdout


def test_reference_test_agrees_with_scipy():
    """The reference used above is scipy's asymptotic Mann-Whitney U (continuity and tie
    corrections), so the engine's p-values are the textbook ones."""
    stats = pytest.importorskip("scipy.stats")
    cases = [(durations("base"), durations("new")),
             (durations("base", mode="strict"), durations("new", mode="strict")),
             ([10, 11, 12, 13, 14], [20, 21, 22, 23, 24]),
             ([1, 2, 2, 3, 3, 3], [2, 3, 3, 4, 5, 5, 6])]
    for a, b in cases:
        want = stats.mannwhitneyu(a, b, alternative="two-sided", use_continuity=True,
                                  method="asymptotic").pvalue
        assert mann_whitney_p(a, b) == pytest.approx(want, rel=1e-12)


# A recursive function: walk(3, kind) -> walk(2, kind) -> walk(1, "leafy") -> walk(0, "leafy"),
# each call adding 1000 * (d + 1) ns of its own (500 more in the new run).
RECURSIVE = textwrap.dedent("""\
    import sys
    import argtrace
    from argtrace import _core

    NOW = [1_000_000]
    NEW = sys.argv[1] == "new"

    def walk(d, kind):
        NOW[0] += 1000 * (d + 1) + (500 if NEW else 0)
        if d:
            walk(d - 1, kind if d != 2 else "leafy")

    argtrace.start(sys.argv[2])
    _core.filter_start(["__main__:walk"], [], clock=lambda: NOW[0])
    try:
        for i in range(24):
            walk(3, "ab"[i % 2])
    finally:
        _core.filter_stop()
        argtrace.stop()
""")


def outer_totals(path, arg):
    """{value: total ns} of walk's calls grouped by `arg`, a call inside another call of the
    same group not counted again (it is in that call's time): from the loaded call tree."""
    totals = Counter()
    for c in argtrace.load(path).calls("walk"):
        p, inside = c.parent(), False
        while p is not None and not inside:
            inside = p.function == c.function and p.args[arg] == c.args[arg]
            p = p.parent()
        if not inside:
            totals[c.args[arg]] += c.duration_ns
    return totals


def test_recursive_groups_count_nested_calls_once(tmp_path):
    # An argument group of a recursive function: a call inside another call of the same group
    # is in that call's duration already, so the group's total (and `added`) counts it once,
    # as the function's total does; calls nested in another group count in their own.
    prog = tmp_path / "rec.py"
    prog.write_text(RECURSIVE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    for run in ("base", "new"):
        subprocess.run([sys.executable, str(prog), run, str(tmp_path / (run + ".atr"))],
                       check=True, env=env, cwd=tmp_path, timeout=60)
    r = argtrace.diff(str(tmp_path / "base.atr"), str(tmp_path / "new.atr"))
    walk = by_name(r, "__main__.walk")
    # base: walk(0) 1000, walk(1) 3000, walk(2) 6000, walk(3) 10000 ns; 24 chains
    assert walk["base"]["total_ns"] == 24 * 10000
    a = group(walk, "kind", "a")
    assert (a["base"]["calls"], a["base"]["total_ns"]) == (24, 12 * 10000)  # not + 12 * 6000
    leafy = group(walk, "kind", "leafy")
    assert (leafy["base"]["calls"], leafy["base"]["total_ns"]) == (48, 24 * 3000)
    for run in ("base", "new"):
        for arg in ("kind", "d"):
            expect = outer_totals(str(tmp_path / (run + ".atr")), arg)
            assert set(expect) == ({"a", "b", "leafy"} if arg == "kind" else {0, 1, 2, 3})
            for value, total in expect.items():
                assert group(walk, arg, value)[run]["total_ns"] == total, (run, arg, value)
    # new: each call 500 ns more; kind "a": 12 outer calls of walk(3) lasting 2000 more
    assert a["added_ns"] == 12 * 2000
    assert group(walk, "d", 0)["added_ns"] == 24 * 500
