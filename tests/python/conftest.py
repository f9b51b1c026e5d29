"""Shared pytest setup for tests/python (keep small: several owners' tests live here)."""

import os

import pytest

# Text commands fit $COLUMNS when it is set. GNU readline (imported by pytest's debugger
# support) sets it in the C environment behind os.environ's back; tests that run the viewer
# in-process want whole lines, as a pipe gets. Tests that want a width pass it.
os.environ.pop("COLUMNS", None)
os.unsetenv("COLUMNS")


@pytest.fixture
def log_path(tmp_path):
    """A fresh log path in the test's temporary directory."""
    return tmp_path / "t.atr"


@pytest.fixture(autouse=True)
def _stop_leaked_session():
    """A test that fails mid-session must not leave the session running into the next."""
    yield
    try:
        from argtrace import _core
    except ImportError:
        return
    if _core.active():
        _core.stop()


def filter_traced(path, include, fn, redact=(), **filter_kw):
    """Run fn() in a session of its own (redacting `redact`) under filter tracing of
    `include` (with filter_start's keywords), and load the log."""
    import argtrace
    from argtrace import _core

    argtrace.start(str(path), redact=list(redact))
    try:
        _core.filter_start(include, [], **filter_kw)
        try:
            fn()
        finally:
            _core.filter_stop()
    finally:
        argtrace.stop()
    return argtrace.load(str(path))


def record_rounds(path, rounds, main, worker, thread_name=None):
    """Record a log of `rounds` rounds: each runs worker(k) on a new thread (named
    thread_name % k when given) while main(k) runs on this one, joins it and flushes, so that
    every round ends a frame whatever the machine's speed: many frames, threads interleaved."""
    import threading

    import argtrace

    argtrace.start(str(path), flush_interval_ms=1)
    for k in range(rounds):
        t = threading.Thread(target=worker, args=(k,),
                             name=thread_name % k if thread_name else None)
        t.start()
        main(k)
        t.join()
        argtrace.flush()
    argtrace.stop()


def optional_module(name):
    """Import an optional dependency (pyarrow, duckdb, nbclient, opentelemetry-proto) for a
    test: skip when it is missing, except where ATR_REQUIRE_OPTIONAL=1 (the main Python in
    .ci/test, which installs the `test-optional` extra), where a missing one fails the test."""
    if os.environ.get("ATR_REQUIRE_OPTIONAL") == "1":
        import importlib

        return importlib.import_module(name)
    return pytest.importorskip(name)
