"""One call id everywhere, and several logs loaded together.

The id `argtrace calls`, `tree`, `slow`, every `--json` output and the exports print is
`Call.id` in Python, and `Log.call(id)` / `Log.tree(id)` / `argtrace tree --id` take it back:
a call's number in its log (0, 1, 2... in the order of the log's STARTs), written "FILE:N"
when several logs are loaded. Logs loaded together keep their own function and span ids
(two logs both defining FUNCTION id 0 keep both functions); the same log twice is refused.
"""

import json
import os
import shutil

import pytest

import argtrace
from argtrace import _core
from atr_helpers import only, record

MOD = __name__

needs_viewer = pytest.mark.skipif(not hasattr(_core, "viewer_main"), reason="viewer not built")


@argtrace.trace
def outer(n):
    argtrace.log("outer_msg", n=n)
    return sum(inner(i) for i in range(n))


@argtrace.trace
def inner(i):
    argtrace.log("inner_msg", i=i)
    return i * 2


@argtrace.trace
def only_in_a(x):
    return x + 1


@argtrace.trace
def only_in_b(y):
    return y - 1


def run_a():
    outer(2)      # outer, inner, inner
    only_in_a(1)  # FUNCTION ids: outer 0, inner 1, only_in_a 2
    outer(1)
    return "a"


def run_b():
    only_in_b(5)  # FUNCTION id 0 is only_in_b here
    outer(3)
    return "b"


@pytest.fixture
def log_a(tmp_path):
    path = str(tmp_path / "a.atr")
    log, value = record(path, run_a)
    assert value == "a"
    return path


@pytest.fixture
def log_b(tmp_path):
    path = str(tmp_path / "b.atr")
    log, value = record(path, run_b)
    assert value == "b"
    return path


def cli(capfd, *args):
    capfd.readouterr()
    rc = _core.viewer_main(["argtrace"] + [str(a) for a in args])
    out, err = capfd.readouterr()
    return rc, out, err


def cli_json(capfd, *args):
    rc, out, err = cli(capfd, *args)
    assert rc == 0, err
    return json.loads(out)


def jsonl(capfd, *args):
    rc, out, err = cli(capfd, *args)
    assert rc == 0, err
    return [json.loads(line) for line in out.splitlines()]


# ---- one log: small integers, the same in the CLI and in Python ----

def test_one_log_ids_are_small_integers_in_log_order(log_a):
    log = argtrace.load(log_a)
    calls = log.calls()
    assert [c.id for c in calls] == list(range(len(calls))) == list(range(6))
    assert all(type(c.id) is int for c in calls)
    first = calls[0]
    assert first.parent_id is None and first.span >= 1 << 40
    assert [k.parent_id for k in first.children] == [first.id, first.id]
    assert log.roots() == [c for c in calls if c.parent_id is None]
    for c in calls:
        assert log.call(c.id) is c
        assert log.call(str(c.id)) is c
        assert log.call("0:%d" % c.id) is c  # the long form works for one log too


@needs_viewer
def test_one_log_calls_json_ids_are_call_ids(log_a, capfd):
    log = argtrace.load(log_a)
    rows = cli_json(capfd, "calls", log_a, "--json")
    assert len(rows) == len(log.calls())
    for row in rows:
        call = log.call(row["id"])
        assert call is not None and call.function == row["function"]
        assert call.start_ns == row["start_ns"] and call.args == row["args"]
        assert call.parent_id == row["parent_id"]
    # a filtered list prints the ids Python gives for the same query
    rows = cli_json(capfd, "calls", log_a, "inner", "i>=1", "--json")
    assert [r["id"] for r in rows] == [c.id for c in log.calls("inner", "i>=1")]


@needs_viewer
def test_one_log_calls_text_and_slow_print_call_ids(log_a, capfd):
    log = argtrace.load(log_a)
    rc, out, _ = cli(capfd, "calls", log_a, "inner")
    assert rc == 0
    printed = [int(line.split()[0]) for line in out.splitlines()[1:]]
    assert printed == [c.id for c in log.calls("inner")]
    rc, out, _ = cli(capfd, "slow", log_a, "inner", "--calls", "9")
    assert rc == 0
    table = out[out.index("slowest calls"):].split("\n\n")[0].splitlines()[2:]
    ids = [int(line.split()[1]) for line in table]
    assert sorted(ids) == sorted(c.id for c in log.calls("inner"))
    for i in ids:
        assert log.call(i).function == MOD + ".inner"


@needs_viewer
def test_one_log_tree_ids_and_tree_by_id(log_a, capfd):
    log = argtrace.load(log_a)
    top = log.calls("outer")[0]
    theirs = cli_json(capfd, "tree", log_a, "outer", "n=2", "--json")
    mine = log.tree(top.id)
    assert theirs["id"] == mine["id"] == top.id
    assert [k["id"] for k in theirs["children"]] == [k["id"] for k in mine["children"]] == \
        [c.id for c in top.children]
    by_id = cli_json(capfd, "tree", log_a, "--id", top.id, "--json")
    assert by_id == theirs
    rc, out, _ = cli(capfd, "tree", log_a, "--id", top.children[1].id)
    assert rc == 0 and out.startswith("call %d:" % top.children[1].id)


@needs_viewer
def test_one_log_exports_carry_call_ids(log_a, capfd):
    log = argtrace.load(log_a)
    rows = jsonl(capfd, "export", log_a, "--format", "jsonl")
    assert sorted(r["id"] for r in rows) == [c.id for c in log.calls()]
    for r in rows:
        assert log.call(r["id"]).start_ns == r["start_ns"]
    trace = cli_json(capfd, "export", log_a, "--format", "chrome")
    events = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert sorted(e["args"]["id"] for e in events) == [c.id for c in log.calls()]
    for e in events:
        assert log.call(e["args"]["id"]).function == e["name"]


def test_unknown_and_malformed_ids(log_a):
    log = argtrace.load(log_a)
    assert log.call(6) is None and log.call("0:6") is None and log.call("1:0") is None
    with pytest.raises(ValueError, match="no call 6 in"):
        log.tree(6)
    with pytest.raises(ValueError, match="no call '1:0' in"):
        log.tree("1:0")
    for bad in ("x", "1:", ":1", "-1", "1:2:3", 1.5, None):
        with pytest.raises((ValueError, TypeError), match="call id"):
            log.call(bad)


@needs_viewer
def test_cli_rejects_unknown_or_malformed_tree_id(log_a, capfd):
    rc, out, err = cli(capfd, "tree", log_a, "--id", "6")
    assert rc == 1 and out == "" and err.count("\n") == 1 and "no call 6" in err
    rc, out, err = cli(capfd, "tree", log_a, "--id", "x1")
    assert rc == 2 and "call id" in err and err.count("\n") == 1
    rc, out, err = cli(capfd, "tree", log_a, "outer", "--id", "0")
    assert rc == 2 and "--id" in err


# ---- several logs: "FILE:N", functions and spans per file ----

def test_two_logs_defining_function_0_differently_keep_both(log_a, log_b):
    log = argtrace.load([log_a, log_b])
    names = {f.name for f in log.functions.values()}
    assert names == {MOD + "." + n for n in ("outer", "inner", "only_in_a", "only_in_b")}
    assert len(log.functions) == 4  # outer and inner are merged by qualified name
    stats = {s.name: s.calls for s in log.functions()}
    assert stats == {MOD + ".outer": 3, MOD + ".inner": 6, MOD + ".only_in_a": 1,
                     MOD + ".only_in_b": 1}
    assert only(log.calls("only_in_b")).args == {"y": 5}
    assert only(log.calls("only_in_a")).args == {"x": 1}
    for c in log.calls():
        assert log.functions[c._func.id] is c._func and c._func.name == c.function


def test_two_logs_ids_are_file_and_number(log_a, log_b):
    alone_a, alone_b = argtrace.load(log_a), argtrace.load(log_b)
    log = argtrace.load([log_a, log_b])
    calls = log.calls()
    assert len(calls) == len(alone_a.calls()) + len(alone_b.calls())
    expected = ["0:%d" % c.id for c in alone_a.calls()] + \
        ["1:%d" % c.id for c in alone_b.calls()]
    assert [c.id for c in calls] == expected
    assert len({c.id for c in calls}) == len(calls)
    for c in calls:
        assert log.call(c.id) is c
        assert c.parent_id is None or log.call(c.parent_id) is c.parent()
        if c.parent_id is not None:  # span ids collide across the files: parents do not
            assert c.parent_id.split(":")[0] == c.id.split(":")[0]
            assert c in log.call(c.parent_id).children
    b_outer = only(log.calls("outer", n=3))
    assert b_outer.id == "1:1" and [k.parent_id for k in b_outer.children()] == ["1:1"] * 3
    assert [m.text for m in log.messages(b_outer)] == ["outer_msg"]
    assert [m.fields for m in log.messages(log.call("0:0"))] == [{"n": 2}]
    assert log.call("0:0").span == log.call("1:0").span  # same span id, different calls
    with pytest.raises(ValueError, match="2 logs.*FILE:N"):
        log.call(3)
    tree = log.tree("1:1")
    assert tree["id"] == "1:1" and [k["id"] for k in tree["children"]] == \
        ["1:2", "1:3", "1:4"]


@needs_viewer
def test_two_logs_cli_prints_the_python_ids(log_a, log_b, capfd):
    log = argtrace.load([log_a, log_b])
    rows = cli_json(capfd, "calls", log_a, log_b, "--json")
    assert sorted(r["id"] for r in rows) == sorted(c.id for c in log.calls())
    for r in rows:
        c = log.call(r["id"])
        assert (c.function, c.start_ns, c.parent_id) == (r["function"], r["start_ns"],
                                                        r["parent_id"])
    rc, out, _ = cli(capfd, "calls", log_a, log_b, "only_in_b")
    assert rc == 0 and out.splitlines()[1].split()[0] == only(log.calls("only_in_b")).id
    theirs = cli_json(capfd, "tree", log_a, log_b, "outer", "n=3", "--json")
    assert theirs == cli_json(capfd, "tree", log_a, log_b, "--id", "1:1", "--json")
    mine = log.tree("1:1")
    assert theirs["id"] == mine["id"] == "1:1"
    assert [k["id"] for k in theirs["children"]] == [k["id"] for k in mine["children"]]
    rows = jsonl(capfd, "export", log_a, log_b, "--format", "jsonl")
    assert sorted(r["id"] for r in rows) == sorted(c.id for c in log.calls())
    trace = cli_json(capfd, "export", log_a, log_b, "--format", "chrome")
    ids = [e["args"]["id"] for e in trace["traceEvents"] if e["ph"] == "X"]
    assert sorted(ids) == sorted(c.id for c in log.calls())
    rc, out, err = cli(capfd, "tree", log_a, log_b, "--id", "3")
    assert rc == 2 and "FILE:N" in err and err.count("\n") == 1


# ---- the same log twice ----

def test_same_log_twice_is_refused(log_a):
    with pytest.raises(ValueError, match="the same log as"):
        argtrace.load([log_a, log_a])
    with pytest.raises(ValueError, match="the same log as"):
        argtrace.load([log_a, os.path.join(os.path.dirname(log_a), ".", "a.atr")])


def test_copy_with_the_same_uid_is_refused(log_a, tmp_path):
    copy = str(tmp_path / "copy.atr")
    shutil.copyfile(log_a, copy)
    with pytest.raises(ValueError, match="copy.atr: the same log as .*a.atr"):
        argtrace.load([log_a, copy])
    assert len(argtrace.load(copy).calls()) == 6  # alone it loads


@needs_viewer
def test_viewer_refuses_the_same_log_twice_as_python_does(log_a, tmp_path, capfd):
    copy = str(tmp_path / "copy.atr")
    shutil.copyfile(log_a, copy)
    for second in (log_a, copy):
        rc, out, err = cli(capfd, "calls", log_a, second)
        assert rc == 1 and out == "" and err.count("\n") == 1
        with pytest.raises(ValueError) as e:
            argtrace.load([log_a, second])
        assert err.strip() == "argtrace calls: " + str(e.value).split("argtrace: ", 1)[1]


# ---- messages name their call; a Log built from records follows the same rules ----

def test_messages_name_their_call_by_id(log_a, log_b):
    log = argtrace.load([log_a, log_b])
    outer_msgs = [(m.fields["n"], m.call_id) for m in log.messages() if m.text == "outer_msg"]
    assert outer_msgs == [(2, "0:0"), (1, "0:4"), (3, "1:1")]
    assert [m.fields for m in log.messages("1:1")] == [{"n": 3}]
    assert [m.call_id for m in log.messages(log.call("0:4"))] == ["0:4"]
    inner = [m.call_id for m in log.messages() if m.text == "inner_msg"]
    assert inner == ["0:1", "0:2", "0:5", "1:2", "1:3", "1:4"]


def test_records_built_log_numbers_calls_like_the_engine():
    from argtrace import _load
    from test_load_records import PROCESS, T, end, func, records, start
    log = _load.load("x.atr", _records=records(
        PROCESS, func(0, "app", "f", []), func(1, "app", "g", []),
        func(2, "app", "f", []),  # the same function again: one Function
        start(T + 1, 0, 0, [], 10), start(T + 2, T + 1, 1, [], 11), end(T + 2, 12),
        end(T + 1, 13), start(T + 3, 0, 2, [], 20)))
    f, g, f2 = log.calls()
    assert (f.id, g.id, f2.id) == (0, 1, 2) and g.parent_id == 0 and f2.parent_id is None
    assert sorted(fn.name for fn in log.functions.values()) == ["app.f", "app.g"]
    assert f._func is f2._func and log.functions[f._func.id] is f._func
    assert log.call(1) is g and log.call("1") is g and log.call("0:2") is f2
    assert log.call(3) is None and log.call("1:0") is None
    with pytest.raises(ValueError, match="not a call id"):
        log.call("1:x")
    with pytest.raises(TypeError, match="call id"):
        log.call(1.0)
