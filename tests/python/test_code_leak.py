"""Code generated at run time is freed during a session (issue 11): a long-running program that
makes new functions all the time (exec/compile in a loop, lambdas per request, namedtuple
and dataclass creation) must not keep every traced code object alive until stop().

Filter tracing caches what it knows of a code object in the code's co_extra slot (freed with
the code); the decorator's wrapper holds only its own function. Checked with weak references
to the code objects, while the session still runs."""

import gc
import sys
import weakref

import pytest

import argtrace
from argtrace import _core

N = 20000
MODULE = "atr_generated_code"


def make_function(i):
    """A new function (new code object) in module MODULE, as exec of generated source does."""
    ns = {"__name__": MODULE}
    exec(compile("def gen_%d(x, y=%d):\n    return x + y\n" % (i, i), "<generated>", "exec"), ns)
    return ns["gen_%d" % i]


def alive(refs):
    gc.collect()
    return sum(r() is not None for r in refs)


def backends():
    if sys.version_info[:2] == (3, 11):
        return ["eval", "profile"]
    return ["auto"]


def run_generated(wrap):
    """Make N functions, call each once (through `wrap`), drop them; weak refs to their code."""
    refs = []
    total = 0
    for i in range(N):
        f = make_function(i)
        refs.append(weakref.ref(f.__code__))
        total += wrap(f)(i)
        del f
    assert total == sum(2 * i for i in range(N))  # the program computed what it computes
    return refs


@pytest.mark.skipif(not hasattr(_core, "filter_start"), reason="no filter tracing in this build")
@pytest.mark.parametrize("backend", backends())
def test_filter_traced_code_is_freed_during_the_session(log_path, monkeypatch, backend):
    monkeypatch.setenv("ARGTRACE_FILTER_BACKEND", backend)
    argtrace.start(log_path, trace=[MODULE])
    try:
        refs = run_generated(lambda f: f)
        # Every function was traced (a definition and a call each) ...
        still = alive(refs)
    finally:
        argtrace.stop()
    log = argtrace.load(log_path)
    calls = [c for c in log.calls() if c.function.startswith(MODULE + ".")]
    assert len(calls) == N
    assert calls[-1].args == {"x": N - 1, "y": N - 1}
    # ... and none of their code objects outlived its function while the session ran.
    assert still <= 10, "%d of %d traced code objects are still alive" % (still, N)


def test_decorated_code_is_freed_during_the_session(log_path):
    with argtrace.session(log_path):
        refs = run_generated(argtrace.trace)
        still = alive(refs)
    calls = [c for c in argtrace.load(log_path).calls() if c.function.startswith(MODULE + ".")]
    assert len(calls) == N
    assert still <= 10, "%d of %d decorated code objects are still alive" % (still, N)


def make_same(body="x + y", default=1):
    """A new function (new code object) from the same source each time, as namedtuple,
    dataclass or a per-request exec make them."""
    ns = {"__name__": MODULE}
    exec(compile("def handler(x, y=%d):\n    return %s\n" % (default, body), "<generated>",
                 "exec"), ns)
    return ns["handler"]


def definitions(log_path):
    """The log's FUNCTION records of MODULE (records: the analysis merges same-named ones)."""
    return [r for r in _core.read_records(str(log_path))
            if r.get("kind") == "function" and r.get("module") == MODULE]


@pytest.mark.skipif(not hasattr(_core, "filter_start"), reason="no filter tracing in this build")
def test_identical_definitions_share_one_id(log_path):
    """A session's definitions grow with its distinct functions, not with code objects: the
    same source made 2,000 times (filter-traced, and decorated: the same definition) is one
    FUNCTION; a different parameter list is another."""
    argtrace.start(log_path, trace=[MODULE])
    try:
        for i in range(2000):
            assert make_same()(i) == i + 1
            assert argtrace.trace(make_same())(i) == i + 1
        ns = {"__name__": MODULE}
        exec(compile("def handler(x, z=1):\n    return x + z\n", "<generated>", "exec"), ns)
        ns["handler"](1)  # same name, file and line; other parameters
    finally:
        argtrace.stop()
    defs = definitions(log_path)
    assert sorted(list(f["params"]) for f in defs) == [["x", "y"], ["x", "z"]]
    assert len(list(argtrace.load(log_path).calls())) == 4001
