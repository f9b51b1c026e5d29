"""argtrace._core binding, spans and proxies (DESIGN.md section 5), through read_records."""

import asyncio
import collections.abc as abc
import functools
import inspect
import os
import signal
import sys

import pytest

from argtrace import _core

T = _core.TracedFunction


@pytest.fixture
def log(tmp_path):
    path = str(tmp_path / "b.atr")
    yield path
    if _core.active():
        _core.stop()


def records(path):
    recs = list(_core.read_records(path))
    funcs = {r["id"]: r for r in recs if r["kind"] == "function"}
    starts = [dict(r, name=funcs[r["function"]]["qualname"]) for r in recs
              if r["kind"] == "start"]
    ends = {r["span"]: r for r in recs if r["kind"] == "end"}
    return funcs, starts, ends


def run_async(log, main):
    """asyncio.run(main()) in a session; return (START records, START records by span)."""
    _core.start(log)
    asyncio.run(main())
    _core.stop()
    _, starts, _ = records(log)
    return starts, {s["span"]: s for s in starts}


def test_binding_keywords_defaults_varargs(log):
    def f(a, b=2, /, c=3, *rest, d, e=5, **kw):
        return a

    tf = T(f)
    _core.start(log)
    tf(1, d=4)
    tf(1, 9, 8, 7, 6, d=4, e=0, b="kw-to-posonly", z=1)
    _core.stop()
    funcs, starts, _ = records(log)
    assert funcs[starts[0]["function"]]["params"] == ["a", "b", "c", "d", "e", "*rest"]
    assert starts[0]["args"] == [1, 2, 3, 4, 5, ("summary", "tuple", 0, [])]
    assert starts[0]["fields"] == {}
    assert starts[1]["args"] == [1, 9, 8, 4, 0, ("summary", "tuple", 2, [7, 6])]
    assert starts[1]["fields"] == {"b": "kw-to-posonly", "z": 1}


def test_capture_and_skip_lists(log):
    tf = T(lambda a, b, c: None, capture=["a", "c"], skip=["c"], result=False)
    _core.start(log)
    tf(1, 2, 3)
    _core.stop()
    funcs, starts, ends = records(log)
    assert funcs[starts[0]["function"]]["params"] == ["a"]
    assert starts[0]["args"] == [1]
    assert ends[starts[0]["span"]]["status"] == "noresult"


def test_any_callable_and_code_reassignment(log):
    tlen = T(len)
    tp = T(functools.partial(sorted, [3, 1]))

    def f(x):
        return 1

    tf = T(f)
    _core.start(log)
    assert tlen([1, 2]) == 2 and tp(reverse=True) == [3, 1]
    tf(1)
    f.__code__ = (lambda y, z: 2).__code__
    f.__defaults__ = (5,)
    assert tf(7) == 2
    _core.stop()
    funcs, starts, _ = records(log)
    assert [s["args"] for s in starts] == [
        [("summary", "tuple", 1, [("summary", "list", 2, [1, 2])])],
        [("summary", "tuple", 0, [])], [1], [7, 5]]
    assert starts[1]["fields"] == {"reverse": True}
    assert funcs[starts[3]["function"]]["params"] == ["y", "z"]


def test_error_state_of_the_caller_is_preserved(log):
    tf = T(lambda x: x)
    _core.start(log)
    try:
        raise KeyError("outer")
    except KeyError as e:
        assert tf(1) == 1
        assert sys.exc_info()[1] is e
    _core.stop()


def test_current_span_and_nesting(log):
    seen = []

    @T
    def inner():
        seen.append(_core.current_span())

    @T
    def outer():
        seen.append(_core.current_span())
        inner()

    _core.start(log)
    assert _core.current_span() == 0
    outer()
    assert _core.current_span() == 0
    _core.stop()
    _, starts, _ = records(log)
    assert seen == [starts[0]["span"], starts[1]["span"]]
    assert starts[1]["parent"] == starts[0]["span"]


def test_actions_in_untraced_tasks_do_not_leak(log):
    leaf = T(lambda tag: tag)

    async def task(tag):
        span = _core.action_begin("act-" + tag, {"tag": tag})
        await asyncio.sleep(0)
        leaf(tag)
        await asyncio.sleep(0)
        _core.action_end(span, None)
        leaf(tag + "-after")

    async def main():
        await asyncio.gather(*(task(str(i)) for i in range(20)))

    starts, by_span = run_async(log, main)
    checked = 0
    for s in starts:
        if not s["name"].endswith("<lambda>"):
            continue
        checked += 1
        tag = s["args"][0]
        if tag.endswith("-after"):
            assert s["parent"] == 0
        else:
            assert by_span[s["parent"]]["name"] == "act-" + tag
    assert checked == 40


def test_proxies_show_exactly_one_protocol(log):
    @T
    async def co():
        return 1

    @T
    def gen():
        yield 1

    @T
    async def agen():
        yield 1

    _core.start(log)
    c, g, a = co(), gen(), agen()
    assert isinstance(c, abc.Coroutine) and not isinstance(c, abc.Generator)
    assert isinstance(g, abc.Generator) and not isinstance(g, abc.Coroutine)
    assert isinstance(a, abc.AsyncGenerator) and not isinstance(a, abc.Coroutine)
    assert asyncio.iscoroutine(c) and not asyncio.iscoroutine(g)
    assert inspect.getcoroutinestate(c) == "CORO_CREATED"
    assert g.gi_frame is not None and c.__qualname__.endswith("co")
    assert asyncio.run(c) == 1
    assert list(g) == [1]
    del a
    _core.stop()
    _, starts, ends = records(log)
    assert [ends[s["span"]]["status"] for s in starts] == ["return", "return", "raise"]


def test_session_stopped_while_generator_open(log, tmp_path):
    @T
    def gen():
        yield 1
        yield 2

    _core.start(log)
    g = gen()
    next(g)
    _core.stop()
    _core.start(str(tmp_path / "second.atr"))
    assert list(g) == [2]  # ends for the closed session are ignored
    _core.stop()
    _, starts, ends = records(log)
    assert len(starts) == 1 and not ends


def test_signal_handler_call_is_a_child_of_the_interrupted_call(log):
    handled = T(lambda signum: signum)

    def handler(signum, frame):
        handled(signum)

    old = signal.signal(signal.SIGUSR1, handler)

    @T
    def busy():
        os.kill(os.getpid(), signal.SIGUSR1)
        for _ in range(1000):
            pass

    try:
        _core.start(log)
        busy()
        _core.stop()
    finally:
        signal.signal(signal.SIGUSR1, old)
    _, starts, _ = records(log)
    assert [s["name"] for s in starts] == ["test_signal_handler_call_is_a_child_of_the_"
                                           "interrupted_call.<locals>.busy", "test_signal_"
                                           "handler_call_is_a_child_of_the_interrupted_call."
                                           "<locals>.<lambda>"]
    assert starts[1]["parent"] == starts[0]["span"]


def test_descriptor_wrapping(log):
    class A:
        @T
        @classmethod
        def cm(cls, x):
            return cls, x

        @T
        @staticmethod
        def sm(x):
            return x

        @T
        @property
        def p(self):
            return 3

    assert isinstance(A.__dict__["cm"], classmethod)
    assert isinstance(A.__dict__["sm"], staticmethod)
    assert isinstance(A.__dict__["p"], property)
    _core.start(log)
    assert A.cm(1) == (A, 1) and A().sm(2) == 2 and A().p == 3
    _core.stop()
    _, starts, _ = records(log)
    assert [s["name"] for s in starts] == [
        "test_descriptor_wrapping.<locals>.A.cm", "test_descriptor_wrapping.<locals>.A.sm",
        "test_descriptor_wrapping.<locals>.A.p"]


def test_session_stopped_by_a_summarizer_is_not_used_afterwards(log, tmp_path):
    class Stopper:
        pass

    def summarize(obj):
        _core.stop()  # user code ends the session in the middle of a capture
        return (1,)

    _core.register_summarizer(Stopper, summarize)
    tf = T(lambda x: x)
    _core.start(log)
    assert isinstance(tf(Stopper()), Stopper)
    assert not _core.active()
    _core.start(str(tmp_path / "after.atr"))
    _core.action_begin("a", {"s": Stopper()})
    _core.start(str(tmp_path / "third.atr"))
    _core.log("m", {"s": Stopper()})
    assert tf(2) == 2
    _core.stop()
    _, starts, _ = records(log)
    assert starts == []


def test_action_open_across_awaits_in_a_traced_coroutine(log):
    leaf = T(lambda tag: tag)

    @T
    async def work(tag):
        leaf(tag + "-before")
        span = _core.action_begin("act", {"tag": tag})
        await asyncio.sleep(0)
        leaf(tag + "-inside")
        await asyncio.sleep(0)
        _core.action_end(span, None)
        await asyncio.sleep(0)
        leaf(tag + "-after")

    async def main():
        await asyncio.gather(*(work(str(i)) for i in range(10)))

    starts, by_span = run_async(log, main)
    checked = 0
    for s in starts:
        if not s["name"].endswith("<lambda>"):
            continue
        tag, where = s["args"][0].split("-")
        parent = by_span[s["parent"]]
        if where == "inside":
            assert parent["name"] == "act" and parent["fields"]["tag"] == tag
        else:
            assert parent["name"].endswith("work") and parent["args"] == [tag]
        checked += 1
    assert checked == 30


def test_thread_naming_has_no_side_effects(log):
    import _thread
    import threading
    import time

    tf = T(lambda: threading.current_thread)
    done = []

    def raw():
        tf()
        done.append(True)

    _core.start(log)
    before = len(threading.enumerate())
    _thread.start_new_thread(raw, ())
    while not done:
        time.sleep(0.001)
    after = len(threading.enumerate())
    named = threading.Thread(target=tf, name="worker-x")
    named.start()
    named.join()
    _core.stop()
    assert after == before  # no _DummyThread registered by the tracer
    names = {r["name"] for r in _core.read_records(log) if r["kind"] == "thread"}
    assert "worker-x" in names


# --- the module's own declarations (module.c: multi-phase init) ------------------------------

REIMPORT = r'''
import sys, tempfile, os
import argtrace._core as first
del sys.modules["argtrace._core"]
import argtrace._core as second
assert second is not first and second.TracedFunction is first.TracedFunction
path = os.path.join(tempfile.mkdtemp(), "r.atr")
second.start(path)
f = second.TracedFunction(lambda x: x + 1)
assert f(1) == 2
second.stop()
kinds = [r["kind"] for r in second.read_records(path)]
assert kinds.count("start") == 1 and kinds.count("end") == 1, kinds
print("ok")
'''


def test_module_executed_again_works():
    # a re-import runs the module's exec slot on a new module object: the process-wide parts
    # (session state, types, the fork handler) initialise once and the new module works
    from atr_helpers import run_python
    r = run_python(["-c", REIMPORT])
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


SUBINTERP = r'''
import _testcapi
import argtrace._core
rc = _testcapi.run_in_subinterp("import argtrace._core")
print("rc", rc)
'''


def test_subinterpreter_import_is_refused_with_a_clear_error():
    pytest.importorskip("_testcapi", reason="CPython's _testcapi is not built here")
    from atr_helpers import run_python
    r = run_python(["-c", SUBINTERP])
    assert r.returncode == 0 and r.stdout.strip() == "rc -1", (r.stdout, r.stderr)
    assert "argtrace: tracing runs in the main interpreter only" in r.stderr, r.stderr


SUBINTERP_PACKAGE = r'''
import _testcapi
import argtrace
print("rc", _testcapi.run_in_subinterp("import argtrace"))
'''

ISOLATED_SUBINTERP = r'''
import _xxsubinterpreters as interpreters
import argtrace
try:
    interpreters.run_string(interpreters.create(), "import argtrace")
except Exception as e:
    print(str(e).splitlines()[0])
'''


def test_the_package_in_a_subinterpreter_says_why_it_cannot_run_there():
    """`import argtrace` in a subinterpreter: the reason, not "install with pip install ."."""
    pytest.importorskip("_testcapi", reason="CPython's _testcapi is not built here")
    from atr_helpers import run_python
    r = run_python(["-c", SUBINTERP_PACKAGE])
    assert r.returncode == 0 and r.stdout.strip() == "rc -1", (r.stdout, r.stderr)
    assert ("ImportError: argtrace: tracing runs in the main interpreter only, not in a "
            "subinterpreter (its state is process-wide)") in r.stderr, r.stderr
    assert "pip install" not in r.stderr


@pytest.mark.skipif(sys.version_info < (3, 12), reason="isolated subinterpreters: 3.12+")
def test_an_isolated_subinterpreter_says_why_too():
    pytest.importorskip("_xxsubinterpreters", reason="no _xxsubinterpreters in this CPython")
    from atr_helpers import run_python
    r = run_python(["-c", ISOLATED_SUBINTERP])
    assert r.returncode == 0, r.stderr
    assert "argtrace: tracing runs in the main interpreter only" in r.stdout, r.stdout
