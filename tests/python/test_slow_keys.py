"""slow() keys (issue 12): --by / by= expressions (len, type, items, pairs), a key function
by=lambda call: ..., length groups that follow the data's clusters, the score of three
calls with distinct inputs, **kwargs keywords as keys, readable labels of long strs.

Durations come from an injected clock (filter tracing), so groups and scores are exact.
"""

import json
import os
import subprocess
import sys

import pytest

import argtrace
from argtrace import _core
from atr_helpers import run_python, subprocess_env
from conftest import filter_traced

MOD = __name__
NOW = [1_000_000]  # the injected clock (ns)


def clk_format(sql, reindent=False, **opts):
    NOW[0] += len(sql) * 10 * (2 if reindent else 1) + (5000 if opts.get("dialect") else 0)


SIZES = (200, 400, 800, 3200, 6400)


def sql_of(size, i):
    head = "SELECT id, name FROM accounts WHERE region = %d -- " % i
    return head + "x" * (size - len(head))


def record(path, fn):
    return filter_traced(path, [MOD + ":clk_format"], fn, clock=lambda: NOW[0])


def run_sizes():
    for i in range(50):
        if i % 7 == 0:
            clk_format(sql_of(SIZES[i % 5], i), reindent=i % 2 == 0, dialect="pg")
        else:
            clk_format(sql_of(SIZES[i % 5], i), reindent=i % 2 == 0)


@pytest.fixture
def slog(log_path):
    return record(log_path, run_sizes)


def test_length_groups_follow_the_clusters(slog):
    rep = slog.slow("clk_format")
    sql = next(a for a in rep.arguments if a.name == "sql")
    assert [g.label for g in sql.groups] == ["len 6,400", "len 3,200", "len 800", "len 400",
                                             "len 200"]
    assert [g.calls for g in sql.groups] == [10] * 5
    assert sql.groups[0].filter == "len(sql)>=6400 len(sql)<=6400"
    assert sql.score > 0.9


def test_by_expressions(slog):
    rep = slog.slow("clk_format", by=["len(sql)", "sql,reindent", "type(dialect)"])
    names = [a.name for a in rep.arguments]
    assert sorted(names) == ["len(sql)", "sql,reindent", "type(dialect)"]
    pair = next(a for a in rep.arguments if a.name == "sql,reindent")
    assert len(pair.groups) == 10  # 5 length groups x 2 reindent values
    assert pair.groups[0].label == "len 6,400, True"
    assert pair.groups[0].filter == "len(sql)>=6400 len(sql)<=6400 reindent=True"
    assert pair.score > max(a.score for a in rep.arguments if a is not pair) - 1e-9
    assert len(slog.calls("clk_format", pair.groups[0].filter)) == pair.groups[0].calls
    typ = next(a for a in rep.arguments if a.name == "type(dialect)")
    assert sorted(g.label for g in typ.groups) == ["(not passed)", "str"]
    one = slog.slow("clk_format", by="len(sql)")
    assert [a.name for a in one.arguments] == ["len(sql)"]


def test_by_errors(slog):
    with pytest.raises(ValueError, match=r"no argument 'nope' \(arguments: .*sql"):
        slog.slow("clk_format", by="len(nope)")
    with pytest.raises(ValueError, match="write NAME, len"):
        slog.slow("clk_format", by="len(sql")
    with pytest.raises(TypeError, match="key must be a str"):
        slog.slow("clk_format", by=["sql", 3])


def test_by_key_function(slog):
    rep = slog.slow("clk_format", by=lambda call: len(call.args["sql"]) // 1000)
    (key,) = rep.arguments
    assert key.name == "key" and key.score > 0.7
    assert sum(g.calls for g in key.groups) == 50
    assert (key.groups[0].label, key.groups[0].value) == ("6", 6)

    def flavour(call):
        return ("reindented" if call.args.get("reindent") else "plain",
                call.args.get("dialect"))

    rep = slog.slow("clk_format", by=flavour)
    (key,) = rep.arguments
    assert key.name == "flavour"
    assert sorted(g.label for g in key.groups) == ["plain, None", "plain, pg",
                                                   "reindented, None", "reindented, pg"]
    assert all(g.filter == "" for g in key.groups)
    assert ("plain", None) in [g.value for g in key.groups]
    rep = slog.slow("clk_format", by=lambda c: None if c.args.get("dialect") else "x",
                    where=["reindent=True"])
    assert rep.calls == 25
    assert sorted(g.label for g in rep.arguments[0].groups) == ["(no key)", "x"]


ENTRIES_PROG = r"""
import sys, argtrace
from argtrace import _core
NOW = [1_000_000]

class Array:
    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype

def matmul(a):
    NOW[0] += a.shape[0] * a.shape[1] * 20

argtrace.register_summarizer(Array, lambda a: {"shape": a.shape, "dtype": a.dtype})
argtrace.start(sys.argv[1])
_core.filter_start(["__main__:matmul"], [], clock=lambda: NOW[0])
for i in range(20):
    n = (10, 100, 300, 500)[i % 4]
    matmul(Array((n, n), "float64" if i % 2 else "float32"))
_core.filter_stop()
argtrace.stop()
"""


def test_by_summarizer_entries(log_path, tmp_path):
    """NAME.KEY groups calls by one entry of the dict a registered summarizer returns (an
    array's shape), which the argument's own groups ("<Array: …>") do not show."""
    prog = tmp_path / "entries.py"
    prog.write_text(ENTRIES_PROG)
    proc = run_python([str(prog), log_path])
    assert proc.returncode == 0, proc.stderr
    log = argtrace.load(log_path)
    rep = log.slow("matmul", by=["a.shape", "a.dtype"])
    shape, dtype = rep.arguments
    assert (shape.name, dtype.name) == ("a.shape", "a.dtype")
    assert shape.score > 0.99 and dtype.score < 0.2
    assert [(g.label, g.calls) for g in shape.groups] == [
        ("tuple len 2: 500, 500", 5), ("tuple len 2: 300, 300", 5),
        ("tuple len 2: 100, 100", 5), ("tuple len 2: 10, 10", 5)]
    assert all(g.filter == "" for g in shape.groups)
    assert sorted(g.label for g in dtype.groups) == ["float32", "float64"]
    # the same entry in Python: a key function sees it as Summary.entry() gives it
    first = log.calls("matmul")[0].args["a"]
    assert first.entry("dtype") == "float32" and first.entry("nope", 7) == 7
    assert first.entry("shape") == argtrace.Summary("tuple", 2, (10, 10))
    rep = log.slow("matmul", by=lambda c: c.args["a"].entry("shape").items[0])
    assert rep.arguments[0].score > 0.99
    rep = log.slow("matmul")  # every argument: the entries alone under `a`
    assert [(e.name, round(e.score, 2), len(e.groups)) for e in rep.arguments[0].entries] == [
        ("a.shape", 1.0, 4), ("a.dtype", 0.04, 2)]
    html = rep._repr_html_()  # the notebook shows them too
    assert "4 groups; by one entry: &quot;a.shape&quot; 1.00, &quot;a.dtype&quot; 0.04" in html, html
    with pytest.raises(ValueError, match=r"'a\.nope': no value has this entry"):
        log.slow("matmul", by="a.nope")
    if hasattr(_core, "viewer_main"):
        out = subprocess.run([sys.executable, "-m", "argtrace", "slow", log_path, "matmul"],
                             env=subprocess_env(COLUMNS="80"), capture_output=True, text=True,
                             timeout=60).stdout
        assert ("  by one entry: a.shape 1.00 (4 groups), a.dtype 0.04 (2); see --by a.shape\n"
                in out), out


def test_three_inputs_score(log_path):
    def run():
        for size, us in ((200, 80), (400, 200), (800, 2000)):
            sql = sql_of(size, 0)
            NOW[0] += us * 1000 - len(sql) * 10  # clk_format adds len * 10 ns
            clk_format(sql)

    log = record(log_path, run)
    sql = next(a for a in log.slow("clk_format").arguments if a.name == "sql")
    assert 0.5 < sql.score <= 1 and sql.score == sql.score_trend


def test_kwargs_keywords_are_keys(slog):
    rep = slog.slow("clk_format")
    names = [a.name for a in rep.arguments]
    assert "dialect" in names and not any(n.startswith("**") for n in names)
    dialect = next(a for a in rep.arguments if a.name == "dialect")
    assert {g.label for g in dialect.groups} == {"pg", "(not passed)"}


def test_long_str_labels_tell_groups_apart(log_path):
    def run():
        for i in range(24):
            q = ("SELECT a.id, a.name, b.total\n  FROM accounts a\n  JOIN balances b ON "
                 "b.account = a.id\n WHERE a.region = %d ORDER BY b.total" % (i % 6))
            clk_format(q)

    log = record(log_path, run)
    sql = next(a for a in log.slow("clk_format").arguments if a.name == "sql")
    labels = [g.label for g in sql.groups]
    assert len(set(labels)) == 6
    assert all("region = %d" % k in "".join(labels) for k in range(6))
    assert all(lb.startswith("SELECT") and "(len 12" in lb and "\\" not in lb for lb in labels)


@pytest.mark.skipif(not hasattr(_core, "viewer_main"), reason="built without the viewer")
def test_cli_by(slog, log_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    out = subprocess.run([sys.executable, "-m", "argtrace", "slow", str(log_path), "clk_format",
                          "--by", "len(sql)", "--by", "sql,reindent", "--json"],
                         capture_output=True, text=True, env=env, check=True).stdout
    rep = json.loads(out)
    assert sorted(a["name"] for a in rep["arguments"]) == ["len(sql)", "sql,reindent"]
    py = slog.slow("clk_format", by=["len(sql)", "sql,reindent"])
    assert [a["score"] for a in rep["arguments"]] == [a.score for a in py.arguments]
