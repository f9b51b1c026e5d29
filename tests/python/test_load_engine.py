"""argtrace.load() as a thin layer over the C analysis engine: each log is read once (the
engine's index), Calls are views made from the index when asked for, tables are built from
the engine's columns.

The reference for what a Call holds is the records-built Log (`_records.RecordsLog`, every
record read in Python, the former implementation) and the CLI's `calls --json`.
"""

import gc
import json
import os
import threading
import warnings
import weakref

import pytest

import argtrace
from argtrace import _core
from argtrace._records import RecordsLog
from atr_helpers import only, record

MOD = __name__

needs_viewer = pytest.mark.skipif(not hasattr(_core, "viewer_main"), reason="viewer not built")


@argtrace.trace
def numbers(n):
    for i in range(n):
        yield i * i


@argtrace.trace
def fails(x, *rest, **opts):
    argtrace.log("about to fail", x=x, rest=len(rest))
    raise ValueError("bad %d" % x)


@argtrace.trace
def work(rows, mode="fast"):
    argtrace.log("working", rows=len(rows), mode=mode)
    total = sum(numbers(len(rows)))
    try:
        fails(total, 1, 2, flag=True)
    except ValueError:
        pass
    return {"total": total}


@argtrace.trace
def in_thread(k):
    return k + 1


@argtrace.trace
def square(x):
    return x * x


@argtrace.trace
def forker():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:
        code = 0
        try:
            square(21)
            argtrace.stop()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return pid, status


def mixed():
    work([1, 2, 3])
    work([], mode="strict")
    with argtrace.action("batch", size=2):
        argtrace.log("inside the action", step=1)
        work([4] * 5)
    t = threading.Thread(target=in_thread, args=(41,), name="helper-thread")
    t.start()
    t.join()
    argtrace.log("outside any call")
    return forker() if hasattr(os, "fork") else (None, 0)


def child_log(path, pid):
    base, ext = os.path.splitext(str(path))
    prefix = "%s.%d." % (os.path.basename(base), pid)
    found = [f for f in os.listdir(os.path.dirname(base)) if f.startswith(prefix)]
    return os.path.join(os.path.dirname(base), only(found))


@pytest.fixture
def logs(tmp_path):
    """[parent log] or [parent log, forked child's log]."""
    path = tmp_path / "mixed.atr"
    _, (pid, status) = record(str(path), mixed)
    assert status == 0
    return [str(path)] + ([child_log(path, pid)] if pid else [])


def reference(paths):
    """The same logs read record by record in Python (the former implementation)."""
    return RecordsLog(paths, [_core.read_records(p) for p in paths])


FIELDS = ("id", "function", "args", "fields", "result", "exception", "status", "start_ns",
          "end_ns", "duration_ns", "parent_id", "span", "thread", "finished", "is_action",
          "flags")


def test_calls_equal_the_records_reading(logs):
    log, ref = argtrace.load(logs), reference(logs)
    calls, want = log.calls(), ref.calls()
    assert len(log) == len(calls) == len(want) > 10
    for c, w in zip(calls, want):
        for name in FIELDS:
            assert getattr(c, name) == getattr(w, name), (name, w)
        assert [k.id for k in c.children] == [k.id for k in w.children]
        parent = c.parent()
        assert (parent.id if parent else None) == w.parent_id
        assert c.active_ns is not None and c.self_ns <= c.active_ns
    assert [c.id for c in log.roots()] == [c.id for c in ref.roots()]
    names = ["function", "args", "result", "exception"]
    assert [[getattr(c, n) for n in names] for c in log.calls("work")] == \
        [[getattr(c, n) for n in names] for c in ref.calls("work")]


def test_the_mix_has_what_it_should(logs):
    log = argtrace.load(logs)
    gen = log.calls("numbers")
    assert [c.result for c in gen] == [None] * 3 and all(c.status == "return" for c in gen)
    f = log.calls("fails")[0]
    assert f.exception == ("ValueError", "bad 5") and f.result is None
    assert f.args["x"] == 5 and f.args["flag"] is True and f.fields == {"flag": True}
    assert f.status == "raise" and f.parent().function == MOD + ".work"
    act = only(log.calls("batch"))
    assert act.is_action and act.fields == {"size": 2} and act.args == {"size": 2}
    assert only(log.calls("in_thread")).thread != log.calls("work")[0].thread
    assert "helper-thread" in [t["name"] for t in log.threads.values()]
    if len(logs) == 2:
        sq = only(log.calls("square"))
        assert sq.id == "1:0" and sq.parent() is only(log.calls("forker"))
        assert log.processes[1].parent_uid == log.processes[0].uid
        assert log.processes[0].pid == os.getpid() and log.processes[0].argv
    assert log.closed and not log.truncated and log.end_ns >= f.end_ns


def test_messages_processes_threads_drops_equal_the_records_reading(logs):
    log, ref = argtrace.load(logs), reference(logs)
    got = [(m.text, m.fields, m.span, m.time_ns, m.thread, m.call_id) for m in log.messages()]
    want = [(m.text, m.fields, m.span, m.time_ns, m.thread, m.call_id) for m in ref.messages()]
    assert got == want and len(got) == 8
    act = only(log.calls("batch"))
    assert [m.text for m in log.messages(act)] == ["inside the action"]
    assert [m.text for m in log.messages(act.id)] == ["inside the action"]
    for p, q in zip(log.processes, ref.processes):
        assert {k: getattr(p, k) for k in p._KEYS} == {k: getattr(q, k) for k in q._KEYS}
    assert log.threads == {n: dict(t, name=t["name"] or "") for n, t in ref.threads.items()}
    assert log.drops == ref.drops
    assert (log.closed, log.truncated, log.end_ns) == (ref.closed, ref.truncated, ref.end_ns)
    assert sorted(f.name for f in log.functions.values()) == \
        sorted(f.name for f in ref.functions.values())


@needs_viewer
def test_calls_equal_the_cli_json(logs, capfd):
    log = argtrace.load(logs)
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "calls"] + logs + ["--json"]) == 0
    rows = json.loads(capfd.readouterr().out)
    assert len(rows) == len(log)
    plain = (type(None), bool, int, float, str)
    for row in rows:
        c = log.call(row["id"])
        # (the CLI's "thread" is the engine's thread id over every log; Call.thread is
        # the thread number its log gives, as read_records has it)
        assert (c.id, c.function, c.start_ns, c.duration_ns, c.active_ns, c.parent_id) == \
            (row["id"], row["function"], row["start_ns"], row["duration_ns"],
             row["active_ns"], row["parent_id"])
        assert {k: v for k, v in c.args.items() if type(v) in plain} == \
            {k: v for k, v in row["args"].items() if k in c.args and type(c.args[k]) in plain}
        exc = row["exception"]
        assert c.exception == (None if exc is None else (exc["type"], exc["message"]))


def test_calls_are_views_made_when_asked(logs):
    log = argtrace.load(logs)
    assert log._views.in_use() == 0  # loading made no Call
    c = log.calls("fails")[0]
    assert log.call(c.id) is c and c.parent().children[-1] is c
    ref = weakref.ref(c)
    del c
    gc.collect()
    assert ref() is None  # nothing else kept it
    assert log._views.in_use() == 0
    assert log.call(log.calls("fails")[0].id).function == MOD + ".fails"


def test_calls_of_another_log_are_refused(logs):
    a, b = argtrace.load(logs[0]), argtrace.load(logs[0])
    with pytest.raises(ValueError, match="not in the analysis index"):
        a.tree(b.calls("work")[0])
    assert list(a.messages(b.calls("work")[0])) == []


def snapshot(path, dest):
    @argtrace.trace
    def running(path, dest):
        work([1])
        argtrace.flush()
        import shutil
        shutil.copyfile(path, dest)  # the copy has this call's START but not its END

    running(path, dest)


@pytest.fixture
def snap(tmp_path):
    path, dest = tmp_path / "t.atr", tmp_path / "snap.atr"
    record(str(path), snapshot, str(path), str(dest))
    return str(dest)


def test_to_pandas_types_and_none(snap):
    pandas = pytest.importorskip("pandas")
    log = argtrace.load(snap)
    df = log.to_pandas()
    calls = log.calls()
    assert len(df) == len(calls) and list(df["id"]) == [c.id for c in calls]
    assert str(df["start_ns"].dtype) == "int64" and str(df["thread"].dtype) == "int64"
    assert str(df["id"].dtype) == "int64"
    # an unfinished call: its times are None (object columns), never NaN
    for name in ("duration_ns", "active_ns", "self_ns"):
        assert df[name].dtype == object
        assert list(df[name]) == [getattr(c, name) for c in calls]
        assert any(v is None for v in df[name])
    assert list(df["status"]) == [c.status or "unfinished" for c in calls]
    assert list(df["exception"]) == [c.exception[0] if c.exception else None for c in calls]
    assert df["exception"].dtype == object
    # an argument a call does not have is None, not NaN
    assert df["arg.mode"].dtype == object and None in list(df["arg.mode"])
    assert list(df["arg.mode"]) == [c.args.get("mode") for c in calls]
    # one function's calls: a column without None keeps its type
    only_fails = log.to_pandas("fails")
    assert str(only_fails["arg.x"].dtype) == "int64" and list(only_fails["arg.x"]) == [0]
    assert str(only_fails["duration_ns"].dtype) == "int64"
    assert isinstance(df, pandas.DataFrame)


def test_to_pandas_several_logs_and_filters(logs):
    pytest.importorskip("pandas")
    log = argtrace.load(logs)
    df = log.to_pandas()
    assert list(df["id"]) == [c.id for c in log.calls()]
    if len(logs) == 2:
        assert df["id"].iloc[-1] == "1:0"
    strict = log.to_pandas("work", mode="strict")
    assert list(strict["id"]) == [c.id for c in log.calls("work", mode="strict")]
    assert list(strict["arg.rows"]) == [c.args["rows"] for c in log.calls("work",
                                                                           mode="strict")]
    assert len(log.to_pandas("no_such_function")) == 0
    with pytest.raises(ValueError):
        log.to_pandas("work", "rows>")


def test_to_arrow(logs):
    try:
        import pyarrow
    except ImportError:
        with pytest.raises(ImportError, match="pip install pyarrow"):
            argtrace.load(logs).to_arrow()
        pytest.skip("pyarrow is not installed: only its ImportError message was checked")
    log = argtrace.load(logs)
    table = log.to_arrow()
    calls = log.calls()
    assert isinstance(table, pyarrow.Table) and table.num_rows == len(calls)
    assert table.column("start_ns").type == pyarrow.int64()
    assert table.column("start_ns").to_pylist() == [c.start_ns for c in calls]
    assert table.column("function").to_pylist() == [c.function for c in calls]
    assert table.column("exception").to_pylist() == \
        [c.exception[0] if c.exception else None for c in calls]
    assert table.column("arg.mode").to_pylist() == [c.args.get("mode") for c in calls]
    assert table.column("arg.rows").to_pylist() == \
        [None if "rows" not in c.args else repr(c.args["rows"]) for c in calls]


def test_to_arrow_without_pyarrow_says_so(logs, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match="pip install pyarrow"):
        argtrace.load(logs).to_arrow()


def test_records_built_log_still_makes_tables():
    pytest.importorskip("pandas")
    from argtrace import _load
    from test_load_records import PROCESS, T, end, func, records, start
    log = _load.load("x.atr", _records=records(
        PROCESS, func(0, "app", "f", ["x"]), start(T + 1, 0, 0, [3], 10),
        end(T + 1, 15, "return", 9), start(T + 2, 0, 0, [], 20)))
    df = log.to_pandas()
    assert list(df["id"]) == [0, 1] and list(df["duration_ns"]) == [5, None]
    assert list(df["arg.x"]) == [3, None] and list(df["status"]) == ["return", "unfinished"]
