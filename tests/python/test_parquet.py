"""`argtrace export --format parquet` (argtrace/_parquet.py, docs/PARQUET.md): one row per
call with typed columns, the viewer's selection syntax, row groups written a slice at a time,
the file metadata, the error without pyarrow, and the documented DuckDB query against
`argtrace slow`'s answer."""

import json
import os
import re
import subprocess
import sys

import pytest

import argtrace
from argtrace import cli
from atr_helpers import run_python, subprocess_env
from conftest import optional_module
from test_viewer_common import logs  # noqa: F401 (fixture)

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


@argtrace.trace
def typed(n, x, s, flag, b, items, opt=None):
    return n * 2


@argtrace.trace
def mixed(v):
    if v == "boom":
        raise ValueError("bad <value>")
    return v


@argtrace.trace
def outer(k):
    return [typed(i, i / 2, "s%d" % i, i % 2 == 0, b"\x00b", [i] * i) for i in range(k)]


def program():
    outer(3)
    mixed(1)
    mixed("two")
    try:
        mixed("boom")
    except ValueError:
        pass
    typed(10, 0.5, "x" * 5000, True, b"y", (), opt=7)


@pytest.fixture
def traced(tmp_path):
    path = tmp_path / "p.atr"
    argtrace.start(str(path))
    try:
        program()
    finally:
        argtrace.stop()
    return path


@pytest.fixture
def pq():
    """pyarrow.parquet, which writing the files needs (skips without it, outside CI)."""
    return optional_module("pyarrow.parquet")


def export(*args):
    return cli.main(["export"] + [str(a) for a in args])


def read(path):
    pq = optional_module("pyarrow.parquet")
    return pq.read_table(str(path))


def test_rows_columns_and_types(pq, traced, tmp_path):
    out = tmp_path / "p.parquet"
    assert export(traced, "--format", "parquet", "-o", out) == 0
    t = read(out)
    log = argtrace.load(traced)
    assert t.num_rows == len(log)
    types = {f.name: str(f.type) for f in t.schema}
    assert list(types)[:12] == ["id", "parent_id", "function", "thread", "start_ns",
                                "duration_ns", "active_ns", "self_ns", "status", "exception",
                                "exception_message", "result"]
    assert "process" not in types  # one log
    assert types["id"] == "int64" and types["parent_id"] == "int64"
    assert types["arg_n"] == "int64" and types["arg_x"] == "double"
    assert types["arg_flag"] == "bool" and types["arg_b"] == "binary"
    assert types["arg_s"] == "string"  # a value cut to the capture limit keeps the type
    assert types["arg_items"] == "struct<type: string, length: int64, repr: string>"
    assert types["arg_v"] == "string" and types["result"] == "string"  # mixed: repr()
    assert types["arg_opt"] == "int64" and types["exception_message"] == "string"
    rows = {r["id"]: r for r in t.to_pylist()}
    for call in log.calls():
        r = rows[call.id]
        assert r["function"] == call.function and r["parent_id"] == call.parent_id
        assert r["start_ns"] == call.start_ns and r["duration_ns"] == call.duration_ns
        assert r["active_ns"] == call.active_ns and r["self_ns"] == call.self_ns
        assert r["thread"] == call.thread and r["status"] == call.status
    by_fn = {}
    for r in t.to_pylist():
        by_fn.setdefault(r["function"].rsplit(".", 1)[-1], []).append(r)
    first = by_fn["typed"][0]
    assert (first["arg_n"], first["arg_x"], first["arg_s"], first["arg_flag"],
            first["arg_b"]) == (0, 0.0, "s0", True, b"\x00b")
    assert first["arg_items"]["type"] == "list" and first["arg_items"]["length"] == 0
    assert first["arg_opt"] is None and first["arg_v"] is None  # absent: null
    last = by_fn["typed"][-1]
    assert last["arg_opt"] == 7 and last["arg_s"].startswith("xxxx")
    assert [r["arg_v"] for r in by_fn["mixed"]] == ["1", "'two'", "'boom'"]
    assert [r["result"] for r in by_fn["mixed"]] == ["1", "'two'", None]
    boom = by_fn["mixed"][2]
    assert (boom["status"], boom["exception"], boom["exception_message"]) == (
        "raise", "ValueError", "bad <value>")
    assert by_fn["outer"][0]["parent_id"] is None
    assert {r["parent_id"] for r in by_fn["typed"][:3]} == {by_fn["outer"][0]["id"]}
    meta = t.schema.metadata
    assert meta[b"argtrace.version"].decode() == argtrace.__version__
    written = argtrace.load(traced)._index().file(0)["format"]  # what the writer wrote
    assert meta[b"argtrace.format_version"].decode() == written and written.startswith("2.")
    logs = json.loads(meta[b"argtrace.logs"])
    assert [x["path"] for x in logs] == [str(traced)] and logs[0]["pid"] == os.getpid()
    assert json.loads(meta[b"argtrace.selection"]) == {"function": None, "filters": []}


def test_selection_matches_calls(pq, traced, tmp_path):
    out = tmp_path / "sel.parquet"
    assert export(traced, "typed", "n>0", "--min-duration", "0ns", "-f", "parquet",
                  "-o", out) == 0
    t = read(out)
    log = argtrace.load(traced)
    assert t.column("id").to_pylist() == [c.id for c in log.calls("typed", "n>0")]
    assert t.num_rows == 3
    assert json.loads(t.schema.metadata[b"argtrace.selection"]) == {
        "function": "typed", "filters": ["n>0", "duration>=0ns"]}
    # the other forms of the options
    assert export(traced, "--format=parquet", "--output=%s" % out, "mixed") == 0
    assert read(out).column("function").to_pylist() == [log.resolve("mixed")] * 3


def test_errors(pq, traced, tmp_path, capfd):
    out = tmp_path / "e.parquet"
    assert export(traced, "nosuch", "-f", "parquet", "-o", out) == 1
    assert export(traced, "typed", "n>", "-f", "parquet", "-o", out) == 2
    assert export(traced, "typed", "zz=1", "-f", "parquet", "-o", out) == 1
    assert export(traced, "-f", "parquet", "-o", traced) == 2  # never over a log
    assert export(traced, "-f", "parquet", "--bogus") == 2
    assert export(tmp_path / "missing.atr", "-f", "parquet", "-o", out) == 1
    err = capfd.readouterr().err.splitlines()
    assert err[0] == ("argtrace export: function 'nosuch' not found in the log (see: "
                      "argtrace summary LOG)")
    assert err[1] == ("argtrace export: bad filter 'n>': column 3: expected a value after "
                      "'>'")  # as `argtrace calls` says it
    assert err[2].startswith("argtrace export: no argument 'zz' in ")
    assert err[3] == ("argtrace export: %s is a log given to read: the table goes elsewhere "
                      "(-o OUT)" % traced)
    assert err[4] == ("argtrace export: unknown option '--bogus' for --format parquet (see: "
                      "argtrace export --format parquet --help)")
    assert err[5] == "argtrace export: %s: No such file or directory" % (tmp_path / "missing.atr")
    assert len(err) == 6
    assert not out.exists()


def test_damaged_logs_warn_as_the_viewer_does(pq, logs, tmp_path, capfd):  # noqa: F811
    """A killed writer's log: the viewer's warnings, the finished calls, and null times for
    the calls that never ended."""
    out = tmp_path / "u.parquet"
    unfinished = {}
    for name in ("unclosed.atr", "truncated.atr"):
        assert export(logs / name, "-f", "parquet", "-o", out) == 0
        t = read(out)
        log = argtrace.load(logs / name)
        assert t.num_rows == len(log)
        open_ids = [c.id for c in log.calls() if c.duration_ns is None]
        rows = [r for r in t.to_pylist() if r["status"] == "unfinished"]
        assert [r["id"] for r in rows] == open_ids
        assert all(r["duration_ns"] is None and r["self_ns"] is None for r in rows)
        unfinished[name] = len(rows)
        assert export(logs / name, "-f", "jsonl", "-o", tmp_path / "u.jsonl") == 0
    err = capfd.readouterr().err.splitlines()
    assert err[0] == err[1] and err[2] == err[3]  # parquet's warning is the viewer's
    assert "unclosed.atr: the log was not closed" in err[0]
    assert "truncated.atr: the log is truncated" in err[2]
    assert unfinished["unclosed.atr"] == 2 and len(err) == 4


def test_stdout_when_piped(traced, tmp_path):
    pa = optional_module("pyarrow")
    res = subprocess.run([sys.executable, "-m", "argtrace", "export", str(traced), "-f",
                          "parquet"], env=subprocess_env(), capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout[:4] == b"PAR1" and res.stdout[-4:] == b"PAR1"
    import pyarrow.parquet as pq
    assert pq.read_table(pa.BufferReader(res.stdout)).num_rows == len(argtrace.load(traced))


def test_several_logs_get_a_process_column(pq, tmp_path):
    paths = [tmp_path / "a.atr", tmp_path / "b.atr"]
    for i, p in enumerate(paths):
        argtrace.start(str(p))
        try:
            mixed(i)
        finally:
            argtrace.stop()
    out = tmp_path / "ab.parquet"
    assert export(*paths, "-f", "parquet", "-o", out) == 0
    t = read(out)
    assert str(t.schema.field("id").type) == "string"
    assert t.column("id").to_pylist() == ["0:0", "1:0"]
    assert t.column("process").to_pylist() == [os.getpid(), os.getpid()]
    assert t.column("arg_v").to_pylist() == [0, 1]
    logs = json.loads(t.schema.metadata[b"argtrace.logs"])
    assert [x["path"] for x in logs] == [str(p) for p in paths]


def test_row_groups_are_written_a_slice_at_a_time(tmp_path, monkeypatch):
    """The schema comes from every slice (a column int in the first ones and str in a later
    one is repr() strings), and the rows are written in row groups of ROW_GROUP calls."""
    pq = optional_module("pyarrow.parquet")
    path = tmp_path / "big.atr"
    argtrace.start(str(path))
    try:
        for i in range(40):
            mixed(i)
        mixed("last")
    finally:
        argtrace.stop()
    from argtrace import _parquet
    seen = []
    real = _parquet._chunks

    def spy(ix, selection):
        for raw in real(ix, selection):
            seen.append(len(raw["function"]))
            yield raw

    monkeypatch.setattr(_parquet, "ROW_GROUP", 7)
    monkeypatch.setattr(_parquet, "_chunks", spy)
    out = tmp_path / "big.parquet"
    assert export(path, "-f", "parquet", "-o", out) == 0
    assert seen == [7] * 5 + [6] + [7] * 5 + [6]  # two passes: types, then rows
    f = pq.ParquetFile(str(out))
    assert f.metadata.num_row_groups == 6
    v = f.read().column("arg_v").to_pylist()
    assert v == [repr(i) for i in range(40)] + ["'last'"]


def test_missing_pyarrow_is_a_clear_error(traced, tmp_path, monkeypatch, capfd):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    out = tmp_path / "x.parquet"
    assert export(traced, "--format", "parquet", "-o", out) == 1
    assert capfd.readouterr().err == (
        "argtrace export: --format parquet needs pyarrow, which is not installed "
        "(pip install argtrace[parquet])\n")
    assert not out.exists()


def test_help_names_parquet_and_the_viewer_defers(capfd):
    assert cli.main(["export", "--help"]) == 0
    assert cli.main(["export", "--format", "parquet", "--help"]) == 0
    out = capfd.readouterr().out
    assert out.count("usage: argtrace export LOG... --format chrome|eliot|jsonl|speedscope|folded|"
                     "parquet|otlp ") == 2
    assert out.count("pip install argtrace[parquet]") == 2
    from argtrace import _core
    status, _, err = _core.viewer_text(["argtrace-view", "export", "x.atr", "-f", "parquet"])
    assert status == 2
    assert err == ("argtrace-view export: parquet is written by the Python argtrace command "
                   "(argtrace export --format parquet; pip install argtrace[parquet])\n")


def doc_query():
    """The SQL block of docs/PARQUET.md, as written there."""
    with open(os.path.join(ROOT, "docs", "PARQUET.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```sql\n(.*?)```", f.read(), re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_documented_duckdb_query_agrees_with_slow(tmp_path, monkeypatch):
    duckdb = optional_module("duckdb")
    optional_module("pyarrow")
    script = os.path.abspath(os.path.join(ROOT, "examples", "slow_example.py"))
    res = run_python(["-m", "argtrace", "run", script], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    monkeypatch.chdir(tmp_path)
    assert export("slow_example.atr", "--format", "parquet", "-o", "slow_example.parquet") == 0
    rows = duckdb.sql(doc_query()).fetchall()
    slow = argtrace.load("slow_example.atr").slow("parse")
    assert [r[0] for r in rows] == [a.name for a in slow.arguments if not a.pair]  # rows, mode
    assert [a.name for a in slow.arguments if a.pair] == ["rows,mode"]  # explains more
    assert rows[0][0] == "rows" and rows[0][1] > 0.5 > rows[1][1]
    assert rows[0][2].startswith("list len 2^")  # the longest lists are the slow group
