"""Per-call cost of tracing `def f(x): return x + 1` with a decorator, side by side:

  plain      undecorated
  argtrace   @argtrace.trace, 1 int arg + result captured, session writing to a temp file
  idle       @argtrace.trace with no session active (forwarding only; on 3.12 and 3.13 the
             decorated function is itself a function, bare, and CPython calls it directly)
  argtrace-wrapper, idle-wrapper   on 3.12 and 3.13: the same with the wrapper object that
             the decorator returns on other versions (argtrace._core.TracedFunction)
  paused     @argtrace.trace, session active but recording off (argtrace.pause(), or the
             --toggle-signal signal): no capture, no record
  sampled    @argtrace.trace, session sampling 1% of the top-level calls (count mode)
  eliot      Eliot @log_call, logging to a file            (if eliot is installed)
  viztracer  VizTracer @log_sparse, tracer running          (if viztracer is installed)

Variants run interleaved, REPEATS rounds in one process; each round times a loop of N calls
per variant. Reported: median ns/call, ns added over plain, and ratio to plain.

    bash bench/setup_venv.sh                       # once: bench/.venv with eliot, viztracer
    bench/.venv/bin/python bench/bench_decorator.py [--repeats 15] [--calls 200000] [--clock cpu|thread]
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time


def f(x):
    return x + 1


def make_loop(fn):
    def loop(n):
        for i in range(n):
            fn(i)
    return loop


def variants(tmpdir):
    """name → (loop, calls-per-round scale, setup, teardown)."""
    import argtrace
    out = {"plain": (make_loop(f), 1.0, None, None)}
    traced = argtrace.trace(f)
    path = os.path.join(tmpdir, "bench.atr")
    def stop():
        argtrace.stop()
        LOG_SIZE["bytes"] = os.path.getsize(path)

    out["argtrace"] = (make_loop(traced), 1.0,
                       lambda: argtrace.start(path, argv=["bench"]), stop)
    out["idle"] = (make_loop(traced), 1.0, None, None)
    if type(traced) is not argtrace._core.TracedFunction:  # 3.12, 3.13: a bare function
        wrapper = argtrace._core.TracedFunction(f)  # the wrapper object of other versions
        out["argtrace-wrapper"] = (make_loop(wrapper), 1.0,
                                   lambda: argtrace.start(os.path.join(tmpdir, "w.atr"),
                                                          argv=["bench"]), argtrace.stop)
        out["idle-wrapper"] = (make_loop(wrapper), 1.0, None, None)

    def start_paused():
        argtrace.start(os.path.join(tmpdir, "paused.atr"), argv=["bench"])
        argtrace.pause()

    out["paused"] = (make_loop(traced), 1.0, start_paused, argtrace.stop)
    out["sampled"] = (make_loop(traced), 1.0,
                      lambda: argtrace.start(os.path.join(tmpdir, "sampled.atr"),
                                             argv=["bench"], sample=0.01), argtrace.stop)
    try:
        import eliot
        eliot_file = open(os.path.join(tmpdir, "eliot.log"), "w")
        destination = eliot.FileDestination(file=eliot_file)
        eliot.add_destinations(destination)
        out["eliot"] = (make_loop(eliot.log_call(f)), 0.01, None, None)
    except ImportError:
        pass
    try:
        from viztracer import VizTracer, log_sparse
        sparse = log_sparse(f)
        viz = {}

        # A VizTracer installs its profile hook when it is constructed: make one per round and
        # remove the hook after it, so the other variants never run under VizTracer's hook.
        def viz_start():
            viz["t"] = VizTracer(log_sparse=True, verbose=0,
                                 output_file=os.path.join(tmpdir, "viz.json"))
            viz["t"].start()

        def viz_stop():
            tracer = viz.pop("t")
            tracer.stop()
            tracer.clear()
            sys.setprofile(None)
            threading.setprofile(None)

        out["viztracer"] = (make_loop(sparse), 0.2, viz_start, viz_stop)
    except ImportError:
        pass
    return out


LOG_SIZE = {"bytes": 0, "calls": 0}  # of the last argtrace round


CLOCK = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns, "thread": time.thread_time_ns}
clock = CLOCK["wall"]


def measure(loop, n, setup, teardown):
    if setup:
        setup()
    try:
        t0 = clock()
        loop(n)
        return (clock() - t0) / n
    finally:
        if teardown:
            teardown()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--calls", type=int, default=200_000, help="calls per round (plain)")
    ap.add_argument("--clock", choices=sorted(CLOCK), default="wall",
                    help="wall: perf_counter; cpu: the process's CPU time, all threads "
                         "(argtrace's flusher included) — steadier on a busy machine; "
                         "thread: the calling thread's CPU time (the flusher left out)")
    args = ap.parse_args(argv)
    global clock
    clock = CLOCK[args.clock]
    with tempfile.TemporaryDirectory() as tmpdir:
        table = variants(tmpdir)
        samples = {name: [] for name in table}
        for name, (loop, scale, setup, teardown) in table.items():  # warm-up
            measure(loop, max(100, int(args.calls * scale) // 10), setup, teardown)
        for _ in range(args.repeats):
            for name, (loop, scale, setup, teardown) in table.items():
                n = max(100, int(args.calls * scale))
                samples[name].append(measure(loop, n, setup, teardown))
                if name == "argtrace":
                    LOG_SIZE["calls"] = n
    base = statistics.median(samples["plain"])
    print("python %s, %d rounds, %s clock, median ns per call of f(x) = x + 1"
          % (sys.version.split()[0], args.repeats, args.clock))
    print("%-16s %12s %12s %10s" % ("variant", "ns/call", "added ns", "x plain"))
    for name, values in samples.items():
        med = statistics.median(values)
        print("%-16s %12.1f %12.1f %10.2f" % (name, med, med - base, med / base))
    if LOG_SIZE["calls"]:
        print("argtrace log: %.2f bytes per call (%d calls in the last round)"
              % (LOG_SIZE["bytes"] / LOG_SIZE["calls"], LOG_SIZE["calls"]))
    missing = {"eliot", "viztracer"} - set(samples)
    if missing:
        print("(not installed: %s — run bash bench/setup_venv.sh and use bench/.venv/bin/python)"
              % ", ".join(sorted(missing)))


if __name__ == "__main__":
    main()
