#!/usr/bin/env python3
"""A short traced program: the calling thread's cost per call in a process's first session.

Each run is a fresh process that times fib(18) (8,361 calls) untraced, then traced by filter
tracing in its first session, in the thread's CPU time, and prints the difference per call.
What a short program pays that a long one does not: the session's clock before its first
TSC calibration, its first buffers (fresh memory), first-call definitions. Builds are run
alternately, process by process; medians and ranges over the runs.

    python3 bench/bench_short.py --build before=/path/build/python --build after=build/python \\
        [--runs 9]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import os, sys, time
import argtrace
d = sys.argv[1]
src = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
for name in ("sfib", "sfib0"):
    with open(os.path.join(d, name + ".py"), "w") as f:
        f.write(src)
sys.path.insert(0, d)
import sfib, sfib0
cpu = lambda: time.clock_gettime_ns(time.CLOCK_THREAD_CPUTIME_ID)
a = cpu(); sfib0.fib(18); untraced = cpu() - a
argtrace.start(os.path.join(d, "short.atr"), trace=["sfib"])
a = cpu(); sfib.fib(18); traced = cpu() - a
argtrace.stop()
print((traced - untraced) / 8361)
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", action="append", required=True, help="NAME=PYTHONPATH")
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    builds = [b.split("=", 1) for b in args.build]
    res = {name: [] for name, _ in builds}
    for _ in range(args.runs):
        for name, path in builds:
            with tempfile.TemporaryDirectory() as d:
                env = dict(os.environ, PYTHONPATH=path)
                out = subprocess.run([sys.executable, "-c", CHILD, d], env=env, check=True,
                                     capture_output=True, text=True).stdout
                res[name].append(float(out.split()[-1]))
    print("fib(18) traced in a fresh process's first session, calling thread, ns per call "
          "(%d runs)" % args.runs)
    for name, v in res.items():
        print("%-10s median %5.0f  range %.0f-%.0f" % (name, statistics.median(v), min(v), max(v)))


if __name__ == "__main__":
    main()
