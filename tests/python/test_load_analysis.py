"""argtrace.load() over the analysis engine: functions(), filtered calls(), slow(), tree(),
to_pandas(), Call.self_ns/parent()/children(), several logs merged, bad logs.

Logs are written by the decorator (or by filter tracing with an injected clock where exact
durations matter); timings are never asserted except those the fake clock decides.
"""

import json
import os
import shutil
import sys
import threading

import pytest

import argtrace
from argtrace import Summary, _core
from atr_helpers import child_log, only, record, without_index
from test_processes import forker  # forks; the child calls test_processes.square(21)

MOD = __name__


@argtrace.trace
def parse(rows, mode="fast", **opts):
    if mode == "bad":
        raise ValueError("bad mode")
    done = [helper(r) for r in rows[:2]]
    return done[0] + done[1] if len(done) == 2 else sum(done)


@argtrace.trace
def helper(x):
    return x * 2


def workload():
    parse([1, 2, 3])                    # 2 helper calls, result 6
    parse(list(range(2000)), "strict")  # 2 helper calls, result 2
    parse([], "strict", limit=5)        # no helper call, result 0
    try:
        parse([7], "bad")
    except ValueError:
        pass
    parse(["a", "b"] * 3, mode="fast")  # helper("a"), helper("b"): "aa" + "bb"
    return "done"


@pytest.fixture
def wlog(log_path):
    log, value = record(log_path, workload)
    assert value == "done"
    return log


def names(calls):
    return [(c.function.rsplit(".", 1)[-1], c.args.get("mode", c.args.get("x"))) for c in calls]


# ---- functions(): the same numbers as `argtrace summary --json` ----

def test_functions_counts_and_consistency(wlog):
    stats = {s.name: s for s in wlog.functions()}
    assert set(stats) == {MOD + ".parse", MOD + ".helper"}
    p, h = stats[MOD + ".parse"], stats[MOD + ".helper"]
    assert (p.calls, p.raised, p.unfinished) == (5, 1, 0)
    assert (h.calls, h.raised, h.unfinished) == (6, 0, 0)
    for s in (p, h):
        assert 0 <= s.self_ns <= s.total_ns
        assert s.p50_ns <= s.p95_ns <= s.p99_ns <= s.max_ns <= s.total_ns
    assert h.self_ns == h.total_ns  # leaves
    totals = [s.total_ns for s in wlog.functions()]
    assert totals == sorted(totals, reverse=True)
    # the legacy table of FUNCTION records stays subscriptable
    assert {f.name for f in wlog.functions.values()} == set(stats)


@pytest.mark.skipif(not hasattr(_core, "viewer_main"), reason="viewer not built")
def test_functions_match_summary_json(wlog, capfd):
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "summary", wlog.path, "--json"]) == 0
    rows = json.loads(capfd.readouterr().out)
    mine = [{"function": s.name, "calls": s.calls, "inclusive_ns": s.inclusive_ns,
             "nested_calls": s.nested_calls, "total_ns": s.total_ns,
             "active_ns": s.active_ns, "self_ns": s.self_ns, "p50_ns": s.p50_ns, "p95_ns": s.p95_ns,
             "p99_ns": s.p99_ns, "max_ns": s.max_ns} for s in wlog.functions()]
    assert mine == rows


# ---- calls(): legacy behaviour and filters ----

def test_unfiltered_calls_keep_log_order_and_span_ids(wlog):
    calls = wlog.calls("parse")
    assert [c.args["rows"] for c in calls][0] == Summary("list", 3, (1, 2, 3))
    assert all(c.span >= 1 << 40 for c in calls) and all(c.parent_id is None for c in calls)
    assert [c.id for c in calls] == [0, 3, 6, 7, 8]  # numbers in the log: helpers between
    helpers = wlog.calls("helper")
    assert [h.parent_id for h in helpers] == [calls[0].id] * 2 + [calls[1].id] * 2 + \
        [calls[4].id] * 2


@pytest.mark.parametrize("where, expected", [
    (["mode=strict"], [("parse", "strict")] * 2),
    (['mode="strict"'], [("parse", "strict")] * 2),
    (["mode!=strict"], [("parse", "fast"), ("parse", "bad"), ("parse", "fast")]),
    (["len(rows)>1000"], [("parse", "strict")]),
    (["len(rows)>=6"], [("parse", "strict"), ("parse", "fast")]),
    (["len(rows)<1"], [("parse", "strict")]),
    (["len(rows)<=1"], [("parse", "strict"), ("parse", "bad")]),
    (["len(rows)=3"], [("parse", "fast")]),
    (["type(rows)=list", "mode=bad"], [("parse", "bad")]),
    (["exception"], [("parse", "bad")]),
    (["exception=ValueError"], [("parse", "bad")]),
    (["exception!=KeyError", "mode=bad"], [("parse", "bad")]),
    (["!exception", "result=0"], [("parse", "strict")]),
    (["result=aabb"], [("parse", "fast")]),
    (["limit=5"], [("parse", "strict")]),
    (["arg.limit>4"], [("parse", "strict")]),
    (["duration>=0"], [("parse", m) for m in ("fast", "strict", "strict", "bad", "fast")]),
    (["duration>1000s"], []),
    (["self<=1000s", "mode=bad"], [("parse", "bad")]),
    (["unfinished"], []),
])
def test_filters_on_one_function(wlog, where, expected):
    assert names(wlog.calls("parse", where=where)) == expected
    assert names(wlog.calls("parse", *where)) == expected  # positional filter strings


def test_filters_over_all_functions_and_numbers(wlog):
    assert names(wlog.calls(None, "x>1", "x<3")) == [("helper", 2)]
    assert names(wlog.calls(where=["x>=1", "x<=2"])) == [("helper", 1), ("helper", 2),
                                                        ("helper", 1)]
    assert names(wlog.calls(x="a")) == [("helper", "a")]
    assert [c.result for c in wlog.calls("helper", x=1)] == [2, 2]


def test_keyword_filters_mean_equality(wlog):
    strict = wlog.calls("parse", mode="strict")
    assert [len(c.args["rows"]) for c in strict] == [2000, 0]
    assert names(wlog.calls("parse", "len(rows)>0", mode="strict")) == [("parse", "strict")]
    assert wlog.calls("parse", mode="strict", limit=5)[0].args["limit"] == 5
    assert wlog.calls("parse", mode='we"ird\n') == []


def test_filter_errors_are_one_line_valueerrors(wlog):
    for bad in (["n>"], ["len(rows)>>3"], ['mode="open']):
        with pytest.raises(ValueError) as e:
            wlog.calls("parse", where=bad)
        assert "\n" not in str(e.value) and "column" in str(e.value)
    with pytest.raises(ValueError, match="no argument 'nope'"):
        wlog.calls("parse", nope=1)
    with pytest.raises(TypeError):
        wlog.calls("parse", mode=object())
    with pytest.raises(ValueError):  # bad syntax is reported even for an unknown function
        wlog.calls("no_such_function", "n>")
    assert wlog.calls("no_such_function", "n>1") == []


def test_filtered_calls_are_the_same_objects(wlog):
    every = wlog.calls()
    got = wlog.calls("helper", "x>=1")
    assert all(any(g is c for c in every) for g in got)


# ---- Call: self_ns, parent(), children() ----

def test_call_self_time_parent_and_children(wlog):
    p = wlog.calls("parse")
    for c in wlog.calls():
        assert 0 <= c.self_ns <= c.duration_ns
    first = p[0]
    kids = first.children()
    assert [k.args["x"] for k in kids] == [1, 2]
    assert first.children == kids  # the list attribute is still there
    assert all(k.parent() is first for k in kids) and first.parent() is None
    assert first.self_ns == first.duration_ns - sum(k.duration_ns for k in kids)
    assert p[2].children() == [] and p[2].self_ns == p[2].duration_ns
    assert p[3].exception == ("ValueError", "bad mode") and p[3].children() == []


@argtrace.trace
def snapshot(path, dest):
    helper(1)
    argtrace.flush()
    shutil.copyfile(path, dest)  # the copy has this call's START but not its END


def test_unfinished_call_has_no_duration_or_self_time(tmp_path, log_path):
    snap = tmp_path / "snap.atr"
    record(log_path, snapshot, str(log_path), str(snap))
    log = argtrace.load(snap)
    assert not log.closed
    s = only(log.calls("snapshot"))
    assert s.duration_ns is None and s.self_ns is None and s.status is None
    assert only(log.calls(None, "unfinished")) is s
    assert only(log.calls("helper", "!unfinished")).parent() is s
    assert only(s.children()).self_ns >= 0
    assert {f.name: f.unfinished for f in log.functions()} == {MOD + ".snapshot": 1,
                                                               MOD + ".helper": 0}
    assert log.tree(s)["duration_ns"] is None


# ---- tree() ----

def test_tree_shape(wlog):
    t = wlog.tree(wlog.calls("parse")[1])
    assert t["function"] == MOD + ".parse" and t["args"]["mode"] == "strict"
    assert t["result"] == 2 and t["exception"] is None
    assert [(k["function"], k["args"], k["result"], k["children"]) for k in t["children"]] == \
        [(MOD + ".helper", {"x": 0}, 0, []), (MOD + ".helper", {"x": 1}, 2, [])]
    assert set(t) == {"id", "function", "args", "result", "exception", "duration_ns",
                      "active_ns", "self_ns", "adopted_ns", "resumed", "children"}
    assert t["active_ns"] == t["duration_ns"]  # nothing suspended
    assert 0 <= t["self_ns"] <= t["duration_ns"]
    bad = wlog.tree(wlog.calls("parse", "exception")[0].id)
    assert bad["exception"] == {"type": "ValueError", "message": "bad mode"}
    assert wlog.tree(wlog.calls("parse")[0], max_depth=0)["children"] == []


@pytest.mark.skipif(not hasattr(_core, "viewer_main"), reason="viewer not built")
def test_tree_matches_tree_json_shape(wlog, capfd):
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "tree", wlog.path, "parse", "mode=bad",
                              "--json"]) == 0
    theirs = json.loads(capfd.readouterr().out)
    mine = wlog.tree(wlog.calls("parse", mode="bad")[0])
    assert set(theirs) == set(mine)
    for key in ("function", "result", "exception", "duration_ns", "self_ns"):
        assert theirs[key] == mine[key], key
    assert set(theirs["args"]) == set(mine["args"]) == {"rows", "mode"}


# ---- slow(): exact with an injected clock (filter tracing), ranking with real work ----

NOW = [1_000_000]  # the injected clock's time (ns): filter_start(clock=lambda: NOW[0])


def clk_work(n, request_id, flag):
    NOW[0] += n * 1000  # the duration is n µs exactly


def clk_run():
    for i in range(60):
        clk_work(n=(1, 10, 100)[i % 3], request_id=i * 7919 % 1000, flag=i % 2 == 0)


@pytest.mark.skipif(not hasattr(_core, "filter_start"), reason="no filter tracing")
def test_slow_ranks_the_cause_first_with_exact_groups(log_path, capfd):
    argtrace.start(log_path)
    try:
        _core.filter_start([MOD + ":clk_work"], [], clock=lambda: NOW[0])
        try:
            clk_run()
        finally:
            _core.filter_stop()
    finally:
        argtrace.stop()
    log = argtrace.load(log_path)
    rep = log.slow("clk_work")
    assert rep.function == MOD + ".clk_work" and rep.calls == 60
    assert [a.name for a in rep.arguments][0] == "n"
    n = rep.arguments[0]
    assert n.score > 0.99 and all(a.score < 0.5 for a in rep.arguments[1:])
    assert [(g.value, g.calls, g.p50_ns, g.p95_ns, g.max_ns, g.total_ns) for g in n.groups] == [
        (100, 20, 100_000, 100_000, 100_000, 2_000_000),
        (10, 20, 10_000, 10_000, 10_000, 200_000),
        (1, 20, 1_000, 1_000, 1_000, 20_000)]
    assert [g.filter for g in n.groups] == ["n=100", "n=10", "n=1"]
    only_flag = log.slow("clk_work", by="flag")
    assert [a.name for a in only_flag.arguments] == ["flag"]
    assert sorted(g.value for g in only_flag.arguments[0].groups) == [False, True]
    with pytest.raises(ValueError, match="no argument 'zzz'.*n"):
        log.slow("clk_work", by="zzz")
    sub = log.slow("clk_work", where=["n>1"])
    assert sub.calls == 40 and [g.value for g in sub.arguments[0].groups] == [100, 10]
    stats = only(log.functions())
    assert (stats.calls, stats.total_ns, stats.p50_ns, stats.max_ns) == (
        60, 2_220_000, 10_000, 100_000)
    assert stats.self_ns == stats.total_ns
    if hasattr(_core, "viewer_main"):
        capfd.readouterr()
        assert _core.viewer_main(["argtrace", "slow", log.path, "clk_work", "--json"]) == 0
        _check_slow_json(json.loads(capfd.readouterr().out), rep)


def _check_slow_json(theirs, rep):
    assert theirs["function"] == rep.function and theirs["calls"] == rep.calls
    assert [(a["name"], a["score"]) for a in theirs["arguments"]] == \
        [(a.name, a.score) for a in rep.arguments]
    assert [[(g["value"], g["calls"], g["p50_ns"], g["p95_ns"], g["max_ns"], g["total_ns"])
             for g in a["groups"]] for a in theirs["arguments"]] == \
        [[(g.value, g.calls, g.p50_ns, g.p95_ns, g.max_ns, g.total_ns) for g in a.groups]
         for a in rep.arguments]


@argtrace.trace
def busy(size, request_id):
    total = 0
    for i in range(size * 2000):
        total += i
    return total


def test_slow_ranks_real_work_first(log_path):
    def run():
        for i in range(30):
            busy(1 if i % 2 else 100, request_id=i)

    log, _ = record(log_path, run)
    rep = log.slow("busy")
    assert rep.calls == 30
    assert rep.arguments[0].name == "size"
    assert rep.arguments[0].groups[0].value == 100  # slowest group first
    with pytest.raises(ValueError, match="no function"):
        log.slow("nothing_like_this")


# ---- several logs: a forked child merges under the call that forked ----

@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_merge_parent_and_forked_child(tmp_path, log_path):
    _, (pid, status) = record(log_path, forker)
    assert status == 0
    child_path = child_log(tmp_path / "t.atr", pid)
    log = argtrace.load([log_path, child_path])
    assert [p.pid for p in log.processes] == [os.getpid(), pid]
    fork_call = only(log.calls("forker"))
    sq = only(log.calls("square"))
    assert sq.result == 441 and sq.parent() is fork_call and sq.parent_id == fork_call.id
    assert fork_call.children() == [sq]
    assert {s.name: s.calls for s in log.functions()} == {"test_processes.forker": 1,
                                                          "test_processes.square": 1}
    t = log.tree(fork_call)
    assert [k["function"] for k in t["children"]] == ["test_processes.square"]
    assert only(log.calls("square", x=21)) is sq
    assert log.closed and not log.truncated
    assert log.roots() == [fork_call]
    alone = argtrace.load(child_path)
    assert only(alone.calls("square")).parent() is None


def test_threads_map_to_their_calls(log_path):
    def run():
        ts = [threading.Thread(target=lambda k=k: [helper(k * 100 + i) for i in range(50)])
              for k in range(3)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    log, _ = record(log_path, run)
    got = log.calls("helper", "x>=100", "x<200")
    assert sorted(c.args["x"] for c in got) == list(range(100, 150))
    assert len({c.thread for c in got}) == 1
    assert [c.start_ns for c in got] == sorted(c.start_ns for c in got)
    assert all(c.result == 2 * c.args["x"] for c in got)


# ---- to_pandas() ----

def test_to_pandas(wlog):
    pandas = pytest.importorskip("pandas")
    df = wlog.to_pandas()
    assert isinstance(df, pandas.DataFrame) and len(df) == 11
    for col in ("id", "function", "thread", "start_ns", "duration_ns", "self_ns", "status",
                "exception", "arg.rows", "arg.mode", "arg.x", "arg.limit"):
        assert col in df.columns, col
    parse_rows = df[df["function"] == MOD + ".parse"]
    assert list(parse_rows["arg.mode"]) == ["fast", "strict", "strict", "bad", "fast"]
    assert list(parse_rows["status"]) == ["return"] * 3 + ["raise", "return"]
    assert list(parse_rows["exception"].fillna("-")) == ["-", "-", "-", "ValueError", "-"]
    assert (df["self_ns"] <= df["duration_ns"]).all() and (df["self_ns"] >= 0).all()
    only_helper = wlog.to_pandas("helper", "type(x)=int", "x>=1")
    assert list(only_helper["arg.x"]) == [1, 2, 1]
    assert list(only_helper.columns)[-1] == "arg.x"


def test_to_pandas_without_pandas_says_so(wlog, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        wlog.to_pandas()


# ---- bad and truncated logs ----

def test_corrupt_log_raises_valueerror(tmp_path, wlog):
    data = bytearray(open(wlog.path, "rb").read())
    for i in range(len(data) // 2, len(data) // 2 + 16):
        data[i] ^= 0x5A
    bad = tmp_path / "bad.atr"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError) as e:
        argtrace.load(bad)
    assert "\n" not in str(e.value)
    ix = _core.Index()
    with pytest.raises(ValueError) as e:
        ix.load(str(bad))
    assert "\n" not in str(e.value) and "bad.atr" in str(e.value)
    with pytest.raises(FileNotFoundError):
        ix.load(str(tmp_path / "missing.atr"))
    garbage = tmp_path / "garbage.atr"
    garbage.write_bytes(b"not a log at all, not at all")
    with pytest.raises(ValueError):
        _core.Index().load(str(garbage))


def test_truncated_log_loads_with_flag(tmp_path, log_path):
    def run():
        for batch in range(4):
            for i in range(300):
                helper(batch * 300 + i)
            argtrace.flush()

    record(log_path, run)
    data = open(log_path, "rb").read()
    cut = tmp_path / "cut.atr"
    cut.write_bytes(without_index(data)[:-7])
    log = argtrace.load(cut)
    assert log.truncated and not log.closed
    assert only(log.functions()).calls == 1200
    assert len(log.calls("helper", "x>=1000")) == 200
    assert log.calls("helper", x=5)[0].self_ns >= 0


def test_records_built_log_has_no_analysis():
    from argtrace import _load

    class Records(list):
        truncated = False

    log = _load.load("x.atr", _records=Records())
    with pytest.raises(ValueError, match="analysis needs the log files"):
        log.functions()
    assert log.calls() == []


def test_load_needs_a_path():
    with pytest.raises(ValueError):
        argtrace.load([])


@pytest.mark.parametrize("bad, kind", [(None, "NoneType"), (5, "int"), ([5], "int"),
                                       (["x.atr", None], "NoneType")])
def test_load_names_a_path_of_the_wrong_type(bad, kind):
    with pytest.raises(TypeError, match=r"^argtrace: load\(\) takes a log path .*, not %s$"
                       % kind):
        argtrace.load(bad)


def test_load_takes_paths_from_any_iterable(wlog):
    log = argtrace.load(p for p in [wlog.path])
    assert len(log.calls("parse")) == len(wlog.calls("parse")) == 5


def test_a_directory_without_logs_is_an_error_not_an_empty_log(tmp_path, wlog):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a log")
    with pytest.raises(ValueError, match="no log in this directory") as e:
        argtrace.load(empty)
    assert "\n" not in str(e.value) and str(empty) in str(e.value)
    with pytest.raises(ValueError, match="no log in this directory"):
        argtrace.load([wlog.path, empty])  # also beside a log: the user named it
    full = tmp_path / "full"
    full.mkdir()
    shutil.copy(wlog.path, full / "w.atr")
    assert len(argtrace.load(full).calls("parse")) == 5


@pytest.mark.parametrize("depth", [-1, "2", 1.5, True])
def test_tree_max_depth_of_the_wrong_kind_is_named(wlog, depth):
    with pytest.raises(ValueError, match="max_depth must be None .* or an int >= 0"):
        wlog.tree(wlog.calls("parse")[0], max_depth=depth)


@pytest.mark.parametrize("call", [
    lambda log: log.calls(5), lambda log: log.calls(b"parse"), lambda log: log.slow(5),
    lambda log: log.slow(None), lambda log: log.why(5.5), lambda log: log.calls("parse", where=5),
])
def test_a_function_or_filter_of_the_wrong_type_is_named(wlog, call):
    with pytest.raises(TypeError, match="^argtrace: ") as e:
        call(wlog)
    assert "concatenate" not in str(e.value) and "built-in operation" not in str(e.value)
