"""_core.switch_out/switch_in, what argtrace's greenlet trace function calls at each switch,
driven directly (no greenlet: this runs under the ASan build too, where greenlet's copies of
the C stack read ASan's redzones): a call that is switched away from suspends and keeps its
children, the calls made meanwhile are a tree of their own, and a state saved in another
session is not resumed."""
import pytest

import argtrace
from argtrace import _core

MOD = __name__


def leaf(x):
    return x * 2


def other(x):
    return leaf(x) + 1


def switching(x, between):
    leaf(x)
    state, _ = _core.switch_out()  # this call and its caller leave the thread's stack
    between()
    _core.switch_in(*state)  # and come back
    return leaf(x + 1)


def outer(x, between):
    return switching(x, between)


def test_calls_switched_away_from_keep_their_children_and_results(tmp_path):
    path = tmp_path / "s.atr"
    argtrace.start(path, trace=["%s:%s" % (MOD, f) for f in ("leaf", "other", "switching",
                                                             "outer")])
    if _core.filter_backend() == "profile":
        argtrace.stop()  # its call events find their caller on the frame chain, where the
        pytest.skip("profile hook: the frames a real switch removes stay below other()")
    try:
        assert outer(5, lambda: other(7)) == 12
    finally:
        argtrace.stop()
    log = argtrace.load(path)
    (o,) = log.calls("outer")
    (s,) = log.calls("switching")
    (between,) = log.calls("other")
    assert s.parent().id == o.id and o.result == s.result == 12
    assert [(c.function.rsplit(".", 1)[1], c.args["x"]) for c in s.children()] == \
        [("leaf", 5), ("leaf", 6)]
    assert between.parent() is None  # ran while outer and switching were switched away
    assert [c.args["x"] for c in between.children()] == [7]
    for call in (o, s):
        assert call.active_ns < call.duration_ns  # not charged for other()


def test_a_state_saved_in_an_earlier_session_resumes_nothing(tmp_path):
    argtrace.start(tmp_path / "one.atr", trace=["%s:leaf" % MOD])
    state, _ = _core.switch_out()
    argtrace.stop()
    argtrace.start(tmp_path / "two.atr", trace=["%s:leaf" % MOD])
    try:
        _core.switch_in(*state)
        assert _core.current_span() == 0
        assert leaf(3) == 6
    finally:
        argtrace.stop()
    (c,) = argtrace.load(tmp_path / "two.atr").calls()
    assert c.parent() is None
