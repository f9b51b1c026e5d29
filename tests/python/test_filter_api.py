"""argtrace.start(path, trace=..., exclude=..., min_duration=..., max_depth=...) and the same
options on argtrace.session(): filter tracing through the public API (docs/FILTERS.md).
Invalid patterns and options are refused with one line before any file is created."""

import datetime
import os
import sys

import pytest

import argtrace
from argtrace import _core
from argtrace._api import parse_duration_ns
from atr_helpers import only

MOD = __name__


def api_leaf(i):
    return i * 10


def api_mid(n):
    return [api_leaf(i) for i in range(n)]


def api_top(n):
    return sum(api_mid(n)) + api_skip(n)


def api_skip(n):
    return -n


def short(log):
    return [c.function[len(MOD) + 1:] for c in log.calls()]


def test_start_with_trace_records_selected_functions(tmp_path):
    path = tmp_path / "t.atr"
    argtrace.start(path, trace=[MOD + ":api_*"], exclude=[MOD + ":api_skip"])
    try:
        assert api_top(2) == 8
    finally:
        stats = argtrace.stop()
    assert stats["path"] == str(path) and not argtrace.active()
    log = argtrace.load(path)
    assert short(log) == ["api_top", "api_mid", "api_leaf", "api_leaf"]
    top = only(log.calls(MOD + ".api_top"))
    mid = only(log.calls(MOD + ".api_mid"))
    assert top.args == {"n": 2} and top.result == 8 and top.parent_id is None
    assert mid.parent_id == top.id
    assert [(c.args, c.result, c.parent_id) for c in log.calls(MOD + ".api_leaf")] == [
        ({"i": 0}, 0, mid.id), ({"i": 1}, 10, mid.id)]


def test_stop_ends_filter_tracing(tmp_path):
    path = tmp_path / "t.atr"
    argtrace.start(path, trace=[MOD + ":api_leaf"])
    api_leaf(1)
    argtrace.stop()
    # tracing is off: a new session without patterns records nothing, and filter_start works
    # again (it would raise "already running" had stop() not stopped it)
    argtrace.start(tmp_path / "u.atr")
    api_leaf(2)
    argtrace.stop()
    assert [c.args for c in argtrace.load(path).calls()] == [{"i": 1}]
    assert list(argtrace.load(tmp_path / "u.atr").calls()) == []
    argtrace.start(tmp_path / "v.atr", trace=[MOD + ":api_leaf"])
    api_leaf(3)
    argtrace.stop()
    assert [c.args for c in argtrace.load(tmp_path / "v.atr").calls()] == [{"i": 3}]


def test_session_takes_the_same_options(tmp_path):
    with argtrace.session(tmp_path / "s.atr", trace=[MOD + ":api_mid"], max_depth=1) as s:
        api_mid(3)
    assert s.stats["path"] == str(tmp_path / "s.atr") and not argtrace.active()
    call = only(s.load().calls())
    assert call.function == MOD + ".api_mid" and call.args == {"n": 3}


def test_max_depth_limits_nesting(tmp_path):
    path = tmp_path / "d.atr"
    argtrace.start(path, trace=[MOD + ":api_*"], max_depth=2)
    api_top(2)
    argtrace.stop()
    assert short(argtrace.load(path)) == ["api_top", "api_mid", "api_skip"]


def test_min_duration_keeps_only_slow_calls(tmp_path):
    path = tmp_path / "m.atr"
    argtrace.start(path, trace=[MOD + ":api_*"], min_duration="10s")
    api_top(3)
    argtrace.stop()
    assert list(argtrace.load(path).calls()) == []


@pytest.mark.parametrize("value, ns", [
    ("2ms", 2_000_000), ("500us", 500_000), ("500µs", 500_000), ("1s", 1_000_000_000),
    ("1.5s", 1_500_000_000), ("250ns", 250), ("3", 3_000_000), (" 7 ms ", 7_000_000),
    (0, 0), (2, 2_000_000_000), (0.002, 2_000_000), (datetime.timedelta(milliseconds=5),
                                                      5_000_000)])
def test_min_duration_values_reach_filter_start_in_ns(tmp_path, monkeypatch, value, ns):
    seen = []
    real = _core.filter_start

    def spy(include, exclude, **kw):
        seen.append((include, exclude, kw))
        return real(include, exclude, **kw)

    monkeypatch.setattr(_core, "filter_start", spy)
    argtrace.start(tmp_path / "x.atr", trace=["nothing_here"], min_duration=value)
    argtrace.stop()
    assert seen == [(["nothing_here"], [], {"min_duration_ns": ns, "max_depth": 0})]
    assert parse_duration_ns(value) == ns


def test_no_filter_options_do_not_start_filter_tracing(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(_core, "filter_start", lambda *a, **k: calls.append(a))
    argtrace.start(tmp_path / "x.atr")
    argtrace.stop()
    assert calls == []


@pytest.mark.parametrize("kw, message", [
    ({"trace": ["myapp..db"]},
     "argtrace: invalid trace pattern 'myapp..db': a module glob holds names, dots, * ? [ ]"),
    ({"trace": ["ok"], "exclude": ["myapp.db:"]},
     "argtrace: invalid trace pattern 'myapp.db:': empty qualified name after ':'"),
    ({"trace": ["ok"], "min_duration": "fast"},
     "argtrace: bad duration 'fast' (e.g. 500us, 5ms, 1s)"),
    ({"trace": ["ok"], "min_duration": -1},
     "argtrace: bad duration -1 (must be a finite number of seconds >= 0)"),
    ({"trace": ["ok"], "max_depth": -2},
     "argtrace: max_depth must be a non-negative int, got -2"),
    ({"exclude": ["ok"]}, "argtrace: exclude/min_duration/max_depth need trace patterns"),
])
def test_invalid_options_raise_one_line_and_create_no_file(tmp_path, kw, message):
    path = tmp_path / "never.atr"
    with pytest.raises(ValueError) as e:
        argtrace.start(path, **kw)
    assert str(e.value) == message
    assert not path.exists() and not argtrace.active()
    with pytest.raises(ValueError) as e:
        with argtrace.session(path, **kw):
            pass
    assert str(e.value) == message
    assert not path.exists() and not argtrace.active()


def test_trace_must_be_a_list_of_str(tmp_path):
    with pytest.raises(TypeError):
        argtrace.start(tmp_path / "x.atr", trace="myapp")
    assert not (tmp_path / "x.atr").exists() and not argtrace.active()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the profile hook is used before 3.12")
def test_filter_start_failure_leaves_no_session_and_no_file(tmp_path, monkeypatch):
    path = tmp_path / "p.atr"
    monkeypatch.setenv("ARGTRACE_FILTER_BACKEND", "profile")  # the default before 3.11
    sys.setprofile(lambda *a: None)  # another profiler holds the hook
    try:
        with pytest.raises(RuntimeError) as e:
            argtrace.start(path, trace=[MOD])
    finally:
        sys.setprofile(None)
    assert str(e.value).startswith("argtrace: another profiler is active")
    assert not argtrace.active() and not os.path.exists(path)
