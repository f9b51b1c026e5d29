"""argtrace.load() assembly, fed with records shaped like `_core.read_records` output.

These tests pin the Python side (value classes, argument binding, parentage, name lookup)
without a log file; test_roundtrip.py and the others check the same through real logs.
"""

import pytest

from argtrace import _load
from argtrace._values import (REDACTED, CaptureError, Repr, Summary, Truncated, Unknown,
                              convert)

T = 1 << 40  # span ids of thread 0 are T + seq


class Records(list):
    truncated = False


def records(*recs, truncated=False):
    r = Records(recs)
    r.truncated = truncated
    return r


PROCESS = {"kind": "process", "pid": 42, "host": "h", "argv": ["app.py", "-x"],
           "runtime": "CPython 3.11.7", "tool": "argtrace 0.1.0", "clock_ns": 1000,
           "wall_ns": 5, "uid": 77, "parent_uid": 0, "parent_span": 0}


def func(fid, module, qualname, params, flags=0):
    return {"kind": "function", "id": fid, "module": module, "qualname": qualname,
            "file": "app.py", "line": 3, "params": params, "flags": flags}


def start(span, parent, fid, args, t, fields=None, thread=0):
    return {"kind": "start", "thread": thread, "time_ns": t, "span": span, "parent": parent,
            "function": fid, "args": args, "fields": fields or {}}


def end(span, t, status="return", value=None, exc_type=None, thread=0):
    return {"kind": "end", "thread": thread, "time_ns": t, "span": span, "status": status,
            "value": value, "exc_type": exc_type}


@pytest.mark.parametrize("raw, expected", [
    (None, None), (True, True), (3, 3), (-2.5, -2.5), ("s", "s"), (b"\x00", b"\x00"),
    (("truncated_str", "abc", 10), Truncated("abc", 10)),
    (("truncated_bytes", b"ab", 9), Truncated(b"ab", 9)),
    (("summary", "list", 3, [1, 2]), Summary("list", 3, (1, 2))),
    (("summary", "dict", 1, [("summary", "tuple", 2, ["k", ("redacted",)])]),
     Summary("dict", 1, (Summary("tuple", 2, ("k", REDACTED)),))),
    (("summary", "Foo", None, []), Summary("Foo", None, ())),
    (("redacted",), REDACTED),
    (("bigint", "123456789012345678901234567890"), 123456789012345678901234567890),
    (("bigint", "-18446744073709551617"), -18446744073709551617),
    (("repr", "<Foo>", 5), Repr("<Foo>", 5)),
    (("error", "Foo"), CaptureError("Foo")),
    (("unknown", 42, b"xy"), Unknown(42, b"xy")),
])
def test_convert_values(raw, expected):
    got = convert(raw)
    assert got == expected
    assert type(got) is type(expected)


def test_truncated_and_repr_flags():
    assert Truncated("ab", 5).is_text and not Truncated(b"ab", 5).is_text
    assert Repr("<Foo>", 5).truncated is False
    assert Repr("<Fo", 5).truncated is True
    assert len(Summary("list", 7)) == 7


def test_calls_args_results_and_parentage():
    log = _load.load("x.atr", _records=records(
        PROCESS,
        func(0, "app", "parse", ["rows", "mode"]),
        func(1, "app", "Reader.read", ["self", "*args", "**kw"], flags=0x10),
        {"kind": "thread", "thread": 0, "os_tid": 99, "name": "MainThread"},
        start(T + 1, 0, 0, [("summary", "list", 2, [1, 2]), "fast"], 1100),
        start(T + 2, T + 1, 1, [("summary", "Reader", None, []),
                                ("summary", "tuple", 1, [5])], 1110, fields={"limit": 3}),
        end(T + 2, 1115, "raise", "bad row", "ValueError"),
        end(T + 1, 1130, "return", 2),
        start(T + 3, 0, 0, [[], "strict"], 1200),
        {"kind": "message", "thread": 0, "time_ns": 1201, "span": T + 3, "text": "hi",
         "fields": {"n": 1}},
        {"kind": "drops", "records": 0, "bytes": 0, "oversize": 0, "capture_errors": 1,
         "write_errors": 0},
    ))
    assert log.process.pid == 42 and log.process.argv == ["app.py", "-x"]
    assert log.process.parent_uid == 0 and log.closed is False and log.truncated is False
    assert log.drops["capture_errors"] == 1
    assert log.threads[0]["name"] == "MainThread"
    calls = list(log.calls())
    assert [c.function for c in calls] == ["app.parse", "app.Reader.read", "app.parse"]
    p, r, u = calls
    assert p.args == {"rows": Summary("list", 2, (1, 2)), "mode": "fast"}
    assert (p.result, p.exception, p.status, p.duration_ns) == (2, None, "return", 30)
    assert p.parent_id is None and (p.id, p.span) == (0, T + 1) and p.children == [r]
    assert r.args == {"self": Summary("Reader", None), "args": Summary("tuple", 1, (5,)),
                      "limit": 3}
    assert r.exception == ("ValueError", "bad row") and r.result is None
    assert r.parent_id == p.id and log.call(r.parent_id) is p and r.id == 1
    assert u.duration_ns is None and u.status is None and not u.finished
    assert [m.text for m in log.messages()] == ["hi"]
    assert [m.fields for m in log.messages(u)] == [{"n": 1}]
    assert list(log.messages(p)) == []
    assert log.roots() == [p, u]


def test_truncated_flag_and_end_of_log():
    log = _load.load("x.atr", _records=records(PROCESS, {"kind": "end_of_log",
                                                          "time_ns": 9}, truncated=True))
    assert log.truncated is True and log.closed is True and log.end_ns == 9


def _named(*names):
    recs = [PROCESS]
    for i, (module, qualname) in enumerate(names):
        recs.append(func(i, module, qualname, []))
        recs.append(start(T + i + 1, 0, i, [], 10 * i))
    return _load.load("x.atr", _records=records(*recs))


@pytest.mark.parametrize("query, expected", [
    ("app.parse", "app.parse"),
    ("parse", "app.parse"),
    ("Reader.read", "app.io.Reader.read"),
    ("io.Reader.read", "app.io.Reader.read"),
    ("my_action", "my_action"),
])
def test_function_lookup(query, expected):
    log = _named(("app", "parse"), ("app.io", "Reader.read"), ("app", "helper"),
                 ("", "my_action"))
    got = list(log.calls(query))
    assert [c.function for c in got] == [expected]


def test_function_lookup_ambiguous_lists_candidates():
    log = _named(("a", "parse"), ("b", "parse"), ("c", "unparse"))
    with pytest.raises(ValueError) as e:
        log.calls("parse")
    assert "a.parse" in str(e.value) and "b.parse" in str(e.value)
    assert "c.unparse" not in str(e.value)


def test_function_lookup_unknown_is_empty():
    log = _named(("a", "parse"))
    assert list(log.calls("nope")) == []
    assert list(log.calls("arse")) == []  # a suffix must start at a name boundary
