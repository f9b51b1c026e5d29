"""Memory safety under concurrency (issue 11): threads tracing while another thread starts and
stops sessions, summarizers that release the GIL while a record is captured and stop() runs,
forks from threads, every filter backend of the running Python, the decorator with
generators and asyncio in threads.

Each scenario runs in a child Python (this file run as a script), so that a crash fails one
test instead of ending pytest; CI's `asanpy` section runs this file with the extension built
with ASan + UBSan, where a use-after-free is reported however it ends. Scenarios are bounded
by iteration counts, never by time, and assert nothing about timing."""

import asyncio
import os
import sys
import tempfile
import threading
import time

import argtrace

MOD = __name__
PY311 = sys.version_info[:2] == (3, 11)


class Obj:
    """Captured through a summarizer that releases the GIL (as I/O would)."""

    def __init__(self, n=1):
        self.n = n


def summarize(o):
    time.sleep(0)  # releases the GIL: another thread may stop the session right now
    return {"n": o.n}


# --- traced code (filter tracing selects MOD:tgt_*) ------------------------------------------

def tgt_plain(a, b, *rest, k=None, **kw):
    return a


def tgt_ret(a):
    return Obj(a.n + 1)  # END captures the result through the summarizer


def tgt_nested(a, depth):
    if depth:
        return tgt_nested(a, depth - 1)
    return tgt_plain(a, a, a, k=a, extra=a)


def tgt_gen(a, n):
    for i in range(n):
        yield tgt_plain(a, i)
    return a


async def tgt_coro(a, n):
    for _ in range(n):
        await asyncio.sleep(0)
        tgt_plain(a, a)
    return a


def tgt_raise(a):
    raise ValueError(a.n)


# --- decorated code -----------------------------------------------------------------------

@argtrace.trace
def dec_defaults(a, b=Obj(2), *args, c=Obj(3), **kw):
    return a


@argtrace.trace
def dec_simple(a, b):
    return Obj(b.n)


@argtrace.trace
def dec_gen(a, n):
    for i in range(n):
        yield dec_simple(a, a)
    return a


@argtrace.trace
async def dec_coro(a, n):
    for _ in range(n):
        await asyncio.sleep(0)
        dec_defaults(a, k=a)
    return a


# --- workers ------------------------------------------------------------------------------

class Progress:
    """Calls made by the workers, so that the driver waits for work, not for time."""

    def __init__(self):
        self.n = 0
        self.stop = threading.Event()

    def wait_more(self, count):
        target = self.n + count
        deadline = time.monotonic() + 2.0  # a bound on the wait, not an assertion
        while self.n < target and time.monotonic() < deadline:
            time.sleep(0.0002)


def filter_worker(progress):
    o = Obj()
    while not progress.stop.is_set():
        tgt_plain(o, o, o, k=o, x=o)
        tgt_ret(o)
        tgt_nested(o, 3)
        for _ in tgt_gen(o, 3):
            pass
        g = tgt_gen(o, 5)
        next(g)  # abandoned while suspended
        del g
        try:
            tgt_raise(o)
        except ValueError:
            pass
        progress.n += 1


def decorator_worker(progress):
    o = Obj()
    log = argtrace.LogHandler()
    import logging
    rec = logging.LogRecord("w", logging.INFO, __file__, 1, "m %s", (1,), None)
    while not progress.stop.is_set():
        dec_defaults(o)
        dec_defaults(o, o, o, c=o, extra=o)
        dec_simple(o, o)
        for _ in dec_gen(o, 3):
            pass
        with argtrace.action("act", field=o, other=o):
            argtrace.log("msg", value=o, more=o)
            log.emit(rec)
        progress.n += 1


def asyncio_worker(progress):
    async def main():
        o = Obj()
        while not progress.stop.is_set():
            await asyncio.gather(dec_coro(o, 2), tgt_coro(o, 2), dec_coro(o, 1))
            progress.n += 1
    asyncio.run(main())


def drive(workers, cycles, start, calls_per_cycle=3):
    """Run `workers` in threads while this thread starts and stops `cycles` sessions."""
    progress = Progress()
    threads = [threading.Thread(target=w, args=(progress,)) for w in workers]
    for t in threads:
        t.start()
    d = tempfile.mkdtemp(prefix="atr-conc-")
    paths = []
    try:
        for i in range(cycles):
            path = os.path.join(d, "c%d.atr" % (i % 3))
            start(path, i)
            progress.wait_more(calls_per_cycle)
            argtrace.stop()
            paths.append(path)
    finally:
        progress.stop.set()
        for t in threads:
            t.join()
    # The logs written while all that went on read back (the last three of them).
    calls = sum(len(list(argtrace.load(p).calls())) for p in paths[-3:])
    assert calls > 0, "nothing was recorded"
    return progress.n


# --- scenarios (children) -------------------------------------------------------------------

def scenario_filter_stop():
    """Filter tracing: stop() while other threads capture arguments and results through a
    GIL-releasing summarizer (START, END, min-duration held calls, depth limit, generators)."""
    argtrace.register_summarizer(Obj, summarize)

    def start(path, i):
        options = [{}, {"min_duration": "1ns"}, {"max_depth": 2}][i % 3]
        argtrace.start(path, trace=[MOD + ":tgt_*"], **options)

    drive([filter_worker] * 3 + [asyncio_worker], 90, start)


def scenario_decorator_stop():
    """Decorator, actions, messages, LogHandler, generator and coroutine proxies: stop() and
    start() while other threads capture through a GIL-releasing summarizer."""
    argtrace.register_summarizer(Obj, summarize)

    def start(path, i):
        argtrace.start(path, redact=["secret*", "other"] if i % 2 else ())

    drive([decorator_worker] * 3 + [asyncio_worker], 90, start)


def scenario_stop_from_summarizer():
    """A summarizer that itself stops the session (and one that starts a new one) while a
    START is being captured, in every tracing path."""
    d = tempfile.mkdtemp(prefix="atr-conc-")
    state = {"i": 0}

    def stopping(o):
        argtrace.stop()
        state["i"] += 1
        if o.n % 2:  # and a new session begins before the record is written
            argtrace.start(os.path.join(d, "s%d.atr" % (state["i"] % 2)), trace=[MOD + ":tgt_*"])
        return (o.n,)

    argtrace.register_summarizer(Obj, stopping)
    for n in range(40):
        argtrace.start(os.path.join(d, "t.atr"), trace=[MOD + ":tgt_*"],
                       **({"min_duration": "1ns"} if n % 4 == 3 else {}))
        o = Obj(n)
        [lambda x: tgt_plain(x, x), tgt_ret, lambda x: list(tgt_gen(x, 2)), lambda x: dec_defaults(x, k=x),
         lambda x: dec_simple(x, x), lambda x: argtrace.log("m", v=x),
         lambda x: tgt_nested(x, 2)][n % 7](o)
        argtrace.stop()


def scenario_stop_from_clock():
    """Filter tracing's test clock (Python code, read when min-duration calls begin and end,
    and when held calls are written) stops and restarts filter tracing at every N-th read."""
    from argtrace import _core
    d = tempfile.mkdtemp(prefix="atr-conc-")
    for every in range(2, 12):
        reads = [0]

        def clock():
            reads[0] += 1
            if reads[0] % every == 0 and _core.filter_backend() is not None:
                _core.filter_stop()
                _core.filter_start([MOD + ":tgt_*"], min_duration_ns=1, clock=clock)
            return reads[0] * 1000

        argtrace.start(os.path.join(d, "k.atr"))
        _core.filter_start([MOD + ":tgt_*"], min_duration_ns=1, clock=clock)
        o = Obj()
        for _ in range(3):
            tgt_nested(o, 3)
            list(tgt_gen(o, 3))
            try:
                tgt_raise(o)
            except ValueError:
                pass
        argtrace.stop()


def scenario_defaults_replaced():
    """A summarizer replaces the function's __defaults__ and changes its __kwdefaults__ while
    the decorator captures: the values bound at the call are recorded (not freed memory)."""

    class A:
        pass

    class B:
        pass

    class C:
        pass

    class Z:  # same layout as B and C: reuses their memory once freed
        pass

    def f(a, b=None, *, c=None):
        return a

    f.__defaults__ = (B(),)
    f.__kwdefaults__ = {"c": C()}
    keep = []

    def replace(a):
        f.__defaults__ = (None,)
        f.__kwdefaults__["c"] = None
        keep.extend(Z() for _ in range(64))
        return ("a",)

    argtrace.register_summarizer(A, replace)
    traced = argtrace.trace(f)
    path = os.path.join(tempfile.mkdtemp(prefix="atr-conc-"), "d.atr")
    got = []
    for _ in range(5):
        f.__defaults__ = (B(),)
        f.__kwdefaults__ = {"c": C()}
        with argtrace.session(path):
            traced(A())
        call = list(argtrace.load(path).calls())[0]
        got.append((call.args["b"].type_name, call.args["c"].type_name))
    assert got == [("B", "C")] * 5, got


def scenario_code_replaced():
    """While the decorator captures a call (a summarizer waits), another thread gives the
    function a new __code__ with more parameters and calls it, which prepares the decorator
    again: the first call keeps binding by the plan it began with."""

    class K:
        pass

    params = ", ".join("p%d" % i for i in range(18))
    ns = {}
    exec("def f(%s, **kw):\n    return p0\n" % params, ns)
    exec("def g(%s, p18=0, p19=0, p20=0, **kw):\n    return p0\n" % params, ns)
    target = argtrace.trace(ns["f"])
    go, done = threading.Event(), threading.Event()

    def other():
        go.wait(60)
        try:
            target.__code__ = ns["g"].__code__
            target.__defaults__ = (0, 0, 0)
            target(*range(21))  # prepares again: a plan for 21 parameters
        finally:
            done.set()

    def summarize_waiting(k):
        go.set()
        done.wait(60)  # (bounded: a failure in `other` must not hang the test)
        return (1,)

    argtrace.register_summarizer(K, summarize_waiting)
    path = os.path.join(tempfile.mkdtemp(prefix="atr-conc-"), "c.atr")
    th = threading.Thread(target=other)
    th.start()
    with argtrace.session(path):
        assert target(*range(18), x=K(), p20=5) == 0
    th.join()
    first = [c for c in argtrace.load(path).calls() if "x" in c.args]
    assert len(first) == 1 and first[0].args["p20"] == 5, first[0].args


def scenario_fork_from_threads():
    """Forks from threads that trace (filter and decorator) while others keep tracing: the
    child traces a little, stops its session and exits with status 0."""
    argtrace.register_summarizer(Obj, summarize)
    d = tempfile.mkdtemp(prefix="atr-conc-")
    argtrace.start(os.path.join(d, "f.atr"), trace=[MOD + ":tgt_*"])
    progress = Progress()
    statuses = []

    def forker():
        o = Obj()
        for _ in range(6):
            tgt_nested(o, 2)
            dec_simple(o, o)
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    for _ in range(20):
                        tgt_nested(o, 2)
                        dec_defaults(o, k=o)
                        list(dec_gen(o, 2))
                    argtrace.stop()
                    code = 0
                finally:
                    os._exit(code)
            statuses.append(os.waitpid(pid, 0)[1])

    workers = [threading.Thread(target=w, args=(progress,))
               for w in (filter_worker, decorator_worker)]
    for t in workers:
        t.start()
    try:
        fk = threading.Thread(target=forker)
        fk.start()
        fk.join()
    finally:
        progress.stop.set()
        for t in workers:
            t.join()
        argtrace.stop()
    assert statuses == [0] * 6, statuses


def scenario_concurrent_stops():
    """Two threads call stop() and a third start() at once while others trace: stop measures
    the tracer's cost on a private session (calibrate.c) and lets other threads run; the
    other changes wait for it (session.c) instead of closing the same session twice or
    nesting a session under the one being closed."""
    argtrace.register_summarizer(Obj, summarize)
    progress = Progress()
    workers = [threading.Thread(target=w, args=(progress,))
               for w in (filter_worker, decorator_worker)]
    for t in workers:
        t.start()
    d = tempfile.mkdtemp(prefix="atr-conc-")
    try:
        for i in range(12):
            path = os.path.join(d, "s%d.atr" % (i % 3))
            argtrace.start(path, trace=[MOD + ":tgt_*"])
            progress.wait_more(3)
            both = threading.Barrier(3)

            def other():
                both.wait()
                argtrace.stop()

            def starter():  # a start() racing the stops: nested in the one stopping, or after
                both.wait()
                argtrace.start(os.path.join(d, "n%d.atr" % (i % 3)))

            threads = [threading.Thread(target=other), threading.Thread(target=starter)]
            for t in threads:
                t.start()
            both.wait()
            argtrace.stop()
            for t in threads:
                t.join()
            while argtrace.active():
                argtrace.stop()
            assert len(list(argtrace.load(path).calls())) > 0
    finally:
        progress.stop.set()
        for t in workers:
            t.join()


SCENARIOS = {name[len("scenario_"):]: fn for name, fn in globals().items()
             if name.startswith("scenario_")}

if __name__ == "__main__":
    SCENARIOS[sys.argv[1]]()
    print("ok")
    sys.exit(0)


# --- tests (parent) -------------------------------------------------------------------------

import pytest  # noqa: E402  (the children above need no pytest)

from atr_helpers import subprocess_env  # noqa: E402


def backends():
    if PY311:
        return ["eval", "profile"]
    return ["auto"]  # 3.9/3.10: the profile hook only; 3.12+: sys.monitoring only


def run_scenario(tmp_path, name, backend="auto", timeout=240):
    import subprocess
    # the scenarios' logs go to the test's own directory (TMPDIR), removed with it
    env = subprocess_env(ARGTRACE_FILTER_BACKEND=backend, TMPDIR=str(tmp_path))
    r = subprocess.run([sys.executable, os.path.abspath(__file__), name],
                       cwd=os.path.dirname(os.path.abspath(__file__)), env=env,
                       capture_output=True, text=True, timeout=timeout)
    report = "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (r.returncode, r.stdout[-3000:],
                                                          r.stderr[-6000:])
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), report
    assert "AddressSanitizer" not in r.stderr and "runtime error:" not in r.stderr, report


@pytest.mark.parametrize("backend", backends())
def test_filter_stop_while_capturing(tmp_path, backend):
    run_scenario(tmp_path, "filter_stop", backend)


@pytest.mark.parametrize("backend", backends())
def test_stop_from_summarizer(tmp_path, backend):
    run_scenario(tmp_path, "stop_from_summarizer", backend)


@pytest.mark.parametrize("backend", backends())
def test_stop_from_test_clock(tmp_path, backend):
    run_scenario(tmp_path, "stop_from_clock", backend)


def test_decorator_stop_while_capturing(tmp_path):
    run_scenario(tmp_path, "decorator_stop")


def test_code_replaced_while_capturing(tmp_path):
    run_scenario(tmp_path, "code_replaced")


def test_defaults_replaced_by_summarizer(tmp_path):
    run_scenario(tmp_path, "defaults_replaced")


@pytest.mark.parametrize("backend", backends())
def test_concurrent_stops(tmp_path, backend):
    run_scenario(tmp_path, "concurrent_stops", backend)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("backend", backends())
def test_fork_from_threads(tmp_path, backend):
    run_scenario(tmp_path, "fork_from_threads", backend)
