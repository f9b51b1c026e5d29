#!/usr/bin/env python3
"""argtrace.load() on a big log: time and peak memory of load(), then to_pandas().

Each step runs in a fresh Python process (so the peak RSS is that step's alone, as
`/usr/bin/time -v` would report it); the log is generated once by bench/gen_log (the viewer
benchmarks' synthetic program: 5 calls per request, arguments of every kind).

    cmake --build build -j2
    PYTHONPATH=build/python python3 bench/bench_load.py --gen build/bench/gen_log -n 3000000

Options: -n CALLS (default 3000000), --gen PATH (gen_log; default build/bench/gen_log),
--log PATH (use this log instead of generating one; kept), --repeat N (default 1: the best
of N runs is reported), --json (one JSON object instead of the table).

Measured on the project's 2-core machine, 3M calls (gen_log -n 3000000, 25.4 MB log), the
machine shared with other jobs (load average 8 to 11, so wall times vary by 2x and more;
user+sys CPU is the steadier figure). `argtrace.load(log).to_pandas()` under /usr/bin/time -v:
  before (every record read in Python as well as by the engine, a Call object per call,
  a dict per row):   load 62.8 s + to_pandas 112 s wall; CPU 65.4 s (55.8 user + 9.6 sys);
                     peak RSS 6.24 GiB (6546292 kB)
  after (the engine's index only, lazy Calls, columns built in C):
                     wall 4.03 s; CPU 2.81 s (1.95 user + 0.86 sys); peak RSS 0.71 GiB
                     (742128 kB) at load average 6.8 (6.9 s wall while a test suite also ran)
  this script, after: load 1.10 s CPU / 253 MiB; load+to_pandas 2.42 s CPU / 725 MiB
                     (3.4 s wall); load + every Call's start_ns (3M Calls alive at once)
                     4.4 s CPU / 1.6 GiB
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

STEPS = {
    "load": "log = argtrace.load(PATH)",
    "load+to_pandas": "log = argtrace.load(PATH)\ndf = log.to_pandas()\nassert len(df) == len(log)",
    "load+calls": "log = argtrace.load(PATH)\nn = sum(1 for c in log.calls() if c.start_ns)",
}

CHILD = """
import os, resource, sys, time, json
import argtrace
PATH = sys.argv[1]
t0 = time.perf_counter()
c0 = os.times()
{body}
c1 = os.times()
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"wall_s": wall, "cpu_s": (c1.user - c0.user) + (c1.system - c0.system),
                  "peak_rss": rss}}))
"""


def run_step(body, path):
    code = CHILD.format(body=body)
    out = subprocess.run([sys.executable, "-c", code, path], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=3000000)
    ap.add_argument("--gen", default=os.path.join("build", "bench", "gen_log"))
    ap.add_argument("--log")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--steps", default="load,load+to_pandas")
    a = ap.parse_args()
    tmp = None
    path = a.log
    if path is None:
        tmp = tempfile.TemporaryDirectory()
        path = os.path.join(tmp.name, "big.atr")
        subprocess.run([a.gen, "-n", str(a.n), "-o", path], check=True,
                       stdout=subprocess.DEVNULL)
    results = {"calls": a.n, "log_bytes": os.path.getsize(path), "steps": {}}
    for step in a.steps.split(","):
        runs = [run_step(STEPS[step], path) for _ in range(a.repeat)]
        results["steps"][step] = min(runs, key=lambda r: r["wall_s"])
    if a.json:
        print(json.dumps(results))
    else:
        print("%d calls, log %.1f MB" % (a.n, results["log_bytes"] / 1e6))
        for step, r in results["steps"].items():
            print("  %-16s wall %6.2f s  cpu %6.2f s  peak RSS %7.1f MiB"
                  % (step, r["wall_s"], r["cpu_s"], r["peak_rss"] / 2**20))
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
