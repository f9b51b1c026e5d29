#!/usr/bin/env python3
"""Accuracy of the compensation for the tracer's cost (docs/FORMAT.md 3.13).

Workload "tiny": parent(n, m) calls a tiny traced function child(i) n times (default 20,000)
and then an untraced busy loop of m iterations (about 1 ms). Workload "objs": the same with
child(name, point, pair) (a str, an object, a tuple; returns the str); "gen": child(i) is a
generator that yields 5 times, each consumed by a for loop (--workloads tiny,objs,gen). The
same functions are timed untraced (no session) and traced (decorator, or filter tracing of
child and parent), in alternating rounds inside one process; each traced round is its own
session, so each log carries the calibration the tracer measured when that session stopped.
From the logs, the parent's duration as recorded (raw) and as compensated is compared with
the untraced time.

Workload "sqlparse" (optional, --lib sqlparse; `pip install sqlparse` into your venv):
sqlparse.format(sql, reindent=True, keyword_case="upper") on a few statements, filter
tracing of sqlparse.* against the untraced call. Functions the filter rejects (the stdlib's
re, etc.) cost nothing on 3.12+ (sys.monitoring), but the 3.11 hooks charge each of their
calls a little; the log cannot count those, so compensation there leaves them in.

Reported per mode: medians, fastest runs and lower quartiles of untraced, raw and
compensated durations; "undisturbed runs": the runs during which the thread stayed on a CPU
(thread CPU time >= 97% of the wall time), untraced and traced alike: on a machine whose
cores are all busy a traced run, being longer, is preempted more often, and the flusher
thread, woken for each filled buffer, competes with the program for a core; "thread CPU
time": the traced run's CPU time less what the compensation took off its duration, against
the untraced CPU time (sqlparse runs are rarely undisturbed here). --buffer-size 4194304
keeps a whole parent in one buffer (no handoff inside it).

    PYTHONPATH=<build>/python python3 bench/bench_compensation.py [--modes decorator,filter]
        [--workloads tiny,objs,gen] [--children 20000] [--busy 20000] [--rounds 7]
        [--procs 3] [--lib sqlparse]
    ARGTRACE_FILTER_BACKEND=profile ... (3.11: the profile-hook backend instead of eval)
"""

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

WORKLOADS = {}
WORKLOADS["tiny"] = '''
def child(i):
    return i + 1
'''
# string and object arguments, a str result
WORKLOADS["objs"] = '''
class Point:
    def __init__(self, x):
        self.x = x
NAME = "a name of some thirty bytes..."
P = Point(3)
PAIR = (1, "one")
def child(name, point, pair):
    return name
'''
# generators: each yields 5 values
WORKLOADS["gen"] = '''
def child(i):
    for k in range(5):
        yield k
'''
COMMON = '''
def busy(m):
    s = 0
    for k in range(m):
        s += k
    return s

def parent(n, m):
    for i in range(n):
        %s
    return busy(m)
'''
CALLS = {"tiny": "child(i)", "objs": "child(NAME, P, PAIR)",
         "gen": "for _ in child(i):\n            pass"}

SQL = """select a.id, b.name, count(*) as n from accounts a join users b on a.user_id = b.id
where a.created > '2020-01-01' and b.name like '%x%' group by a.id, b.name having count(*) > 2
order by n desc limit 10; insert into t (a, b, c) values (1, 'two', 3.0), (4, 'five', 6.0);
update accounts set balance = balance - 10 where id in (select id from debtors where x > 3)"""


def thread_cpu():
    return time.clock_gettime_ns(time.CLOCK_THREAD_CPUTIME_ID)


def undisturbed(wall, cpu):
    """A run the machine did not disturb: the thread ran (on a CPU) 97% of its wall time or
    more (not preempted, not waiting for the writer's thread)."""
    return cpu >= 0.97 * wall


def one_process(args):
    """Run in a child process: print one JSON line of measurements."""
    import argtrace
    from argtrace import _core

    tmp = tempfile.mkdtemp(prefix="bench-comp-")
    atexit.register(shutil.rmtree, tmp, True)
    sys.path.insert(0, tmp)
    if args.child == "sqlparse":
        import sqlparse

        def untraced():
            return sqlparse.format(SQL, reindent=True, keyword_case="upper")
        traced = untraced
        patterns, target = ["sqlparse.*"], "sqlparse.format"
    else:
        src = WORKLOADS[args.workload] + COMMON % CALLS[args.workload]
        with open(os.path.join(tmp, "cwl.py"), "w") as f:
            f.write(src)
        with open(os.path.join(tmp, "cwl_plain.py"), "w") as f:
            f.write(src)
        import cwl
        import cwl_plain

        n, m = args.children, args.busy

        def untraced():
            return cwl_plain.parent(n, m)
        if args.child == "decorator":
            cwl.child = argtrace.trace(cwl.child)
            cwl.parent = argtrace.trace(cwl.parent)

        def traced():
            return cwl.parent(n, m)
        patterns, target = ["cwl:child", "cwl:parent"], "cwl.parent"
    filt = args.child != "decorator"
    untraced()  # warm up (imports, caches)
    rounds, backend = [], None
    for r in range(args.rounds):
        unt, unt_ok, tr_ok, unt_cpu, tr_cpu = [], [], [], [], []
        for _ in range(3):
            c0, t0 = thread_cpu(), time.perf_counter_ns()
            untraced()
            t1, c1 = time.perf_counter_ns(), thread_cpu()
            unt.append(t1 - t0)
            unt_ok.append(undisturbed(t1 - t0, c1 - c0))
            unt_cpu.append(c1 - c0)
        path = os.path.join(tmp, "r%d.atr" % r)
        argtrace.start(path, **({"buffer_size": args.buffer_size} if args.buffer_size else {}))
        if filt:
            _core.filter_start(patterns)
            backend = _core.filter_backend()
        traced()  # first calls define the functions: not counted
        for _ in range(3):
            c0, t0 = thread_cpu(), time.perf_counter_ns()
            traced()
            t1, c1 = time.perf_counter_ns(), thread_cpu()
            tr_ok.append(undisturbed(t1 - t0, c1 - c0))
            tr_cpu.append(c1 - c0)
        if filt:
            _core.filter_stop()
        argtrace.stop()
        rnd = {"untraced": unt, "untraced_ok": unt_ok, "traced_ok": tr_ok,
               "untraced_cpu": unt_cpu, "traced_cpu": tr_cpu}
        for comp, key in ((False, "raw"), (True, "comp")):
            log = argtrace.load(path, compensate=comp)
            calls = [c for c in log.calls(target)
                     if c.parent() is None or c.parent().function != target]
            rnd[key] = [c.duration_ns for c in calls[1:]]  # skip the warm-up call
            rnd["cal"] = {k: v for k, v in log.calibrations[0].items() if k != "model"}
            rnd["model"] = log.calibrations[0].get("model")
            rnd["slow_ppm"] = (log.calibrations[0].get("model") or {}).get("slow_ppm", 0)
            rnd["calls"] = len(log.calls()) // max(1, len(calls))  # traced calls per run
        os.unlink(path)
        rounds.append(rnd)
    print(json.dumps({"rounds": rounds, "backend": backend or "decorator"}))


def summarize(name, results):
    rounds = [r for res in results for r in res["rounds"]]
    med = statistics.median
    unt = [x for r in rounds for x in r["untraced"]]
    raw = [x for r in rounds for x in r["raw"]]
    comp = [x for r in rounds for x in r["comp"]]
    um, rm, cm = med(unt), med(raw), med(comp)

    def q25(v):
        return sorted(v)[len(v) // 4]
    print("%-22s untraced %8.3f ms  raw %8.3f ms (%+6.1f%%)  compensated %8.3f ms (%+6.1f%%)"
          "   fastest: untraced %.3f, compensated %.3f (%+.1f%%)"
          % (name, um / 1e6, rm / 1e6, 100 * (rm / um - 1), cm / 1e6, 100 * (cm / um - 1),
             min(unt) / 1e6, min(comp) / 1e6, 100 * (min(comp) / min(unt) - 1)))
    print("%-22s lower quartiles (the runs the machine disturbed least): untraced %.3f ms, raw"
          " %.3f ms (%+.1f%%), compensated %.3f ms (%+.1f%%)"
          % ("", q25(unt) / 1e6, q25(raw) / 1e6, 100 * (q25(raw) / q25(unt) - 1),
             q25(comp) / 1e6, 100 * (q25(comp) / q25(unt) - 1)))
    # runs during which the thread stayed on a CPU: what the tracer costs, without the
    # preemptions that a longer (traced) run suffers more often on a saturated machine
    u_ok = [x for r in rounds for x, ok in zip(r["untraced"], r["untraced_ok"]) if ok]
    pairs = [(w, c) for r in rounds for w, c, ok in zip(r["raw"], r["comp"], r["traced_ok"])
             if ok]
    if u_ok and pairs:
        uo, wo, co = med(u_ok), med([p[0] for p in pairs]), med([p[1] for p in pairs])
        print("%-22s undisturbed runs (%d untraced, %d traced of %d each): untraced %.3f ms, raw"
              " %.3f ms (%+.1f%%), compensated %.3f ms (%+.1f%%)"
              % ("", len(u_ok), len(pairs), len(unt), uo / 1e6, wo / 1e6, 100 * (wo / uo - 1),
                 co / 1e6, 100 * (co / uo - 1)))
    else:
        print("%-22s undisturbed runs: none (%d untraced, %d traced)"
              % ("", len(u_ok), len(pairs)))
    # thread CPU time (no preemption in it): the traced run's CPU time less what the
    # compensation took off its recorded duration, against the untraced CPU time
    u_cpu = [x for r in rounds for x in r.get("untraced_cpu", [])]
    c_cpu = []
    for r in rounds:
        f = 1 + r.get("slow_ppm", 0) / 1e6
        for cpu, w, c in zip(r.get("traced_cpu", []), r["raw"], r["comp"]):
            c_cpu.append((cpu - (w - c * f)) / f)  # compensated = (raw - charged) / f
    if u_cpu and c_cpu:
        t_cpu = [x for r in rounds for x in r.get("traced_cpu", [])]
        print("%-22s thread CPU time: untraced %.3f ms, traced %.3f ms (%+.1f%%), traced less"
              " the compensation %.3f ms (%+.1f%%)"
              % ("", med(u_cpu) / 1e6, med(t_cpu) / 1e6, 100 * (med(t_cpu) / med(u_cpu) - 1),
                 med(c_cpu) / 1e6, 100 * (med(c_cpu) / med(u_cpu) - 1)))
    # per session: its own calibration against the cost its runs actually added per call
    errs, cal_errs, cals = [], [], []
    for r in rounds:
        u, w, c = med(r["untraced"]), med(r["raw"]), med(r["comp"])
        errs.append(c / u - 1)
        actual = (w - u) / max(1, r["calls"] - 1)
        if r["cal"] and actual > 0:
            cals.append(r["cal"]["call_ns"])
            cal_errs.append(r["cal"]["call_ns"] / actual - 1)
    inside = sum(1 for e in errs if abs(e) <= 0.10)
    print("%-22s per session: compensated vs untraced median %+.1f%%, within 10%% in %d of %d;"
          " calibration call_ns median %d (range %d-%d), %+.0f%% vs the cost the runs added"
          % ("", 100 * med(errs), inside, len(errs), med(cals), min(cals), max(cals),
             100 * med(cal_errs)))
    return cm / um - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", default="decorator,filter")
    ap.add_argument("--children", type=int, default=20000)
    ap.add_argument("--busy", type=int, default=20000, help="iterations of the busy loop")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--procs", type=int, default=3)
    ap.add_argument("--lib", default="", help="also: sqlparse")
    ap.add_argument("--workloads", default="tiny",
                    help="of tiny (int argument), objs (str/object arguments), gen (generators)")
    ap.add_argument("--workload", default="tiny", help=argparse.SUPPRESS)
    ap.add_argument("--buffer-size", type=int, default=0,
                    help="the sessions' buffer_size (default: the writer's, 128 KiB)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return one_process(args)
    print("CPython %s, %d children, busy loop %d iterations, %d rounds x %d processes, "
          "buffer_size %s" % (sys.version.split()[0], args.children, args.busy, args.rounds,
                              args.procs, args.buffer_size or "default"))
    runs = [(m, w) for w in args.workloads.split(",") if w for m in args.modes.split(",") if m]
    runs += [(args.lib, "")] if args.lib else []
    for mode, workload in runs:
        results = []
        for _ in range(args.procs):
            cmd = [sys.executable, os.path.abspath(__file__), "--child", mode,
                   "--children", str(args.children), "--busy", str(args.busy),
                   "--rounds", str(args.rounds), "--buffer-size", str(args.buffer_size),
                   "--workload", workload or "tiny"]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            results.append(json.loads(out.strip().splitlines()[-1]))
        summarize("%s %s(%s)" % (mode, workload + " " if workload else "", results[0]["backend"]),
                  results)


if __name__ == "__main__":
    main()
