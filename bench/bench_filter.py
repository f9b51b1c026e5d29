#!/usr/bin/env python3
"""Filter tracing benchmark (docs/FILTERS.md section 6; DESIGN.md section 7).

(a) Every function of one module traced with arguments and results — fib(25), walk(22)
    (method calls passing objects: self and a Task, as richards' task methods do) and three
    pyperformance programs (bm_richards, bm_deltablue, bm_raytrace 40x40, imported from an
    installed pyperformance) — next to VizTracer (default, and with log_func_args +
    log_func_retval) and cProfile, in the same run: modes are interleaved, each repeated, medians compared.
(b) A filter that rejects every function of the workload (its pattern names another module):
    the cost of having filter tracing on for code it does not select.

Reported per workload: calls of the module's functions (counted by a separate pass),
untraced time, and for each mode the time, the ratio to untraced and the added ns per call,
plus argtrace's log bytes per call.

Run (peers in a separate venv, never the product's dependencies):
    python -m venv bench/.venv/311 && bench/.venv/311/bin/pip install viztracer pyperformance
    PYTHONPATH=<build>/python bench/.venv/311/bin/python bench/bench_filter.py
Options: --repeat N (default 5), --only fib,walk,richards,deltablue,raytrace,
--no-peers.

--instr: instead of timing, count instructions per call with callgrind (repeatable on a
loaded machine): fib(18) and fib(22), then walk(18) and walk(22), run untraced, traced (args + result) and under a filter
that rejects everything, and traced with recording paused (argtrace.pause()), each in its own `valgrind --tool=callgrind --separate-threads=yes`
process; added instructions per call = the difference between the two sizes per extra call,
minus the untraced figure. "main" counts the program's thread only (the tracer's hot path),
"all" adds the writer's flusher thread (compression, file writes).
    PYTHONPATH=<build>/python python3 bench/bench_filter.py --instr
"""

import argparse
import cProfile
import functools
import gc
import os
import statistics
import sys
import tempfile
import time

import argtrace
from argtrace import _core

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "suite"))
from workloads import Missing, load_file, pyperformance_file  # noqa: E402  (the suite's loaders)

FIB_SRC = '''
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


class Task:
    def __init__(self, kind):
        self.kind = kind


class Walker:
    """Method calls passing objects (self, a Task), like richards' task methods."""

    def step(self, task, n):
        if n < 2:
            return n
        return self.step(task, n - 1) + self.step(task, n - 2)


def walk(n):
    return Walker().step(Task(1), n)
'''


def workloads(tmp, only):
    out = []
    fib_path = os.path.join(tmp, "atr_bench_fib.py")
    with open(fib_path, "w") as f:
        f.write(FIB_SRC)
    fib = load_file("atr_bench_fib", fib_path)
    out.append(("fib(25)", "atr_bench_fib", lambda: fib.fib(25)))
    out.append(("walk(22)", "atr_bench_fib", lambda: fib.walk(22)))  # passes objects
    runs = {"richards": lambda m: m.Richards().run(1),
            "deltablue": lambda m: m.delta_blue(1000),
            "raytrace": lambda m: m.bench_raytrace(1, 40, 40, None)}
    for name, run in runs.items():
        try:
            mod = load_file("bm_" + name, pyperformance_file(name))
        except Missing as e:
            print("note: %s skipped: %s" % (name, e), file=sys.stderr)
            continue
        out.append((name, "bm_" + name, functools.partial(run, mod)))
    if only:
        out = [w for w in out if w[0].split("(")[0] in only]
    return out


class Mode:
    """One way of running a workload: setup() before timing, teardown() after."""

    def __init__(self, name, setup=None, teardown=None):
        self.name = name
        self.setup = setup or (lambda: None)
        self.teardown = teardown or (lambda: None)
        self.times = []


def make_modes(tmp, pattern, peers):
    log = os.path.join(tmp, "bench.atr")
    stats = {}

    def at_start(include):
        def setup():
            argtrace.start(log)
            _core.filter_start(include, [])
        return setup

    def at_stop(key):
        def teardown():
            _core.filter_stop()
            argtrace.stop()
            stats[key] = os.path.getsize(log)
        return teardown

    modes = [Mode("untraced"),
             Mode("argtrace filter, args+result", at_start([pattern]), at_stop("bytes")),
             Mode("argtrace filter rejecting all", at_start(["atr_bench_nothing_here"]),
                  at_stop("bytes_rejected"))]
    if peers:
        prof = {}

        def cprof_setup():
            prof["p"] = cProfile.Profile()
            prof["p"].enable()

        def cprof_teardown():
            prof["p"].disable()
            prof.clear()

        try:
            import viztracer
        except ImportError:
            viztracer = None
            print("note: viztracer not installed: skipped", file=sys.stderr)
        if viztracer is not None:
            for label, extra in (("VizTracer default", {}),
                                 ("VizTracer args+retval",
                                  {"log_func_args": True, "log_func_retval": True})):
                def vz_setup(extra=extra):
                    prof["v"] = viztracer.VizTracer(verbose=0, tracer_entries=5_000_000,
                                                    ignore_c_function=True, **extra)
                    prof["v"].start()

                def vz_teardown():
                    prof["v"].stop()
                    prof["v"].clear()
                    prof.clear()

                modes.append(Mode(label, vz_setup, vz_teardown))
        # last: on 3.12 a VizTracer started right after cProfile.disable() records nothing
        modes.append(Mode("cProfile", cprof_setup, cprof_teardown))
    return modes, log, stats


def count_calls(fn, module):
    """Python calls of functions of `module` made by fn() (a counting profile function)."""
    n = [0]

    def prof(frame, event, arg):
        if event == "call" and frame.f_globals.get("__name__") == module:
            n[0] += 1

    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return n[0]


def run_workload(name, pattern, fn, repeat, peers):
    with tempfile.TemporaryDirectory() as tmp:
        modes, log, stats = make_modes(tmp, pattern, peers)
        fn()  # warm up (imports, caches)
        for _ in range(repeat):
            for m in modes:
                gc.collect()
                m.setup()
                t0 = time.perf_counter_ns()
                fn()
                t1 = time.perf_counter_ns()
                m.teardown()
                m.times.append(t1 - t0)
        calls = count_calls(fn, pattern)
        size = stats["bytes"]
    base = statistics.median(modes[0].times)
    print("\n%s: %d traced calls, untraced %.1f ms (median of %d)"
          % (name, calls, base / 1e6, repeat))
    print("  %-32s %10s %8s %12s" % ("mode", "median ms", "ratio", "+ns/call"))
    for m in modes:
        med = statistics.median(m.times)
        added = (med - base) / calls if calls else float("nan")
        print("  %-32s %10.1f %8.2f %12.0f" % (m.name, med / 1e6, med / base, added))
    print("  argtrace log: %.2f bytes/call" % (size / calls if calls else 0))


INSTR_CHILD = '''
import os, sys
sys.path.insert(0, sys.argv[3])
import argtrace
from argtrace import _core
import atr_bench_fib
mode, n, work = sys.argv[1], int(sys.argv[2]), sys.argv[4]
if mode != "untraced":
    argtrace.start(os.path.join(sys.argv[3], "instr.atr"))
    _core.filter_start(["atr_bench_nothing_here" if mode == "rejecting" else "atr_bench_fib"])
    if mode == "paused":  # selected, but recording off (pause(), --toggle-signal)
        argtrace.pause()
getattr(atr_bench_fib, work)(n)
if mode != "untraced":
    _core.filter_stop()
    argtrace.stop()
'''


def fib_calls(n):
    a, b = 1, 1  # calls of fib(0), fib(1)
    for _ in range(n - 1):
        a, b = b, a + b + 1
    return b if n >= 1 else 1


def callgrind_totals(tmp, mode, n, work):
    """(main thread, all threads) instructions of one run of the child under callgrind."""
    import glob
    import subprocess
    out = os.path.join(tmp, "cg.%s.%s.%d.out" % (work, mode, n))
    env = dict(os.environ, PYTHONHASHSEED="0")  # dict probes (hence counts) repeat exactly
    subprocess.run(["valgrind", "--tool=callgrind", "--separate-threads=yes",
                    "--callgrind-out-file=" + out, sys.executable, "-c", INSTR_CHILD, mode,
                    str(n), tmp, work], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=env)
    totals = {}
    for path in glob.glob(out + "-*"):
        with open(path) as f:
            for line in f:
                if line.startswith("totals:"):
                    totals[path] = int(line.split()[1])
    main_thread = totals[min(totals)]  # "-01" is the thread that started the program
    return main_thread, sum(totals.values())


def instr_main():
    print("argtrace filter tracing, instructions per call (callgrind): %s %s"
          % (sys.implementation.name, sys.version.split()[0]))
    small, big = 18, 22
    extra = fib_calls(big) - fib_calls(small)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "atr_bench_fib.py"), "w") as f:
            f.write(FIB_SRC)
        # fib: int arguments; walk: a method passing objects (self, a Task) and an int
        for work in ("fib", "walk"):
            per = {}
            for mode in ("untraced", "traced", "paused", "rejecting all"):
                a = callgrind_totals(tmp, mode.split()[0], small, work)
                b = callgrind_totals(tmp, mode.split()[0], big, work)
                per[mode] = [(b[i] - a[i]) / extra for i in range(2)]
            print("  %s: %.0f instructions per untraced call" % (work, per["untraced"][0]))
            for mode in ("traced", "paused", "rejecting all"):
                print("  argtrace filter, %-14s +%.0f per call (main thread), +%.0f (all threads)"
                      % (mode + ":", per[mode][0] - per["untraced"][0],
                         per[mode][1] - per["untraced"][1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--instr", action="store_true")
    args = ap.parse_args()
    if args.instr:
        instr_main()
        return
    print("argtrace filter tracing benchmark: %s %s" % (sys.implementation.name,
                                                        sys.version.split()[0]))
    only = {o.strip() for o in args.only.split(",") if o.strip()}
    with tempfile.TemporaryDirectory() as tmp:
        for name, pattern, fn in workloads(tmp, only):
            run_workload(name, pattern, fn, args.repeat, not args.no_peers)


if __name__ == "__main__":
    main()
