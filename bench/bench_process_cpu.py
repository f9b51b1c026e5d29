"""Filter tracing of a whole program module (every function, arguments and result) with
argtrace builds side by side: per call of the program's functions, the process CPU time
added (all threads: the calling thread plus the flusher's compression and writes), the
calling thread's CPU time added, the other threads' CPU time (the flusher), and the log
bytes; one row per build, a workload's builds next to each other. The process CPU runs up to
an argtrace.flush() (every record of the calls compressed and written); argtrace.stop(), a
cost per session and not per call (it times the tracer's calibration: calibrate.c), is
reported apart in ms, and folded into the calls in the last column. CPU times, not wall time,
so that a loaded machine distorts less; medians over interleaved rounds.

    python3 bench/bench_process_cpu.py --build before=/path/build/python \\
        --build after=build/python [--workloads fib,richards,deltablue,raytrace] \\
        [--build eval=build/python,ARGTRACE_FILTER_BACKEND=eval: a build with variables set] \\
        [--workloads lib:tomllib,lib:sqlparse,...: bench/suite/workloads.py LIBRARIES] \\
        [--rounds 5] [--zstd-level N] [--keep-logs DIR]

The pyperformance programs need the pyperformance package (bench/.venv, or any venv).
Each (build, workload) runs in its own child process: `--child`.
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

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = {"fib": 25, "richards": 2, "deltablue": 1500, "raytrace": 40}


def child(workload, zstd_level, keep):
    sys.path.insert(0, os.path.join(HERE, "suite"))
    import workloads
    import argtrace
    modname, _mod, run, _label = workloads.load(workload, SIZES.get(workload, 1))
    calls = sum(workloads.count_calls(modname, run).values())
    run()  # warm-up
    t0, c0 = time.thread_time_ns(), time.process_time_ns()
    run()
    plain_thread, plain_proc = time.thread_time_ns() - t0, time.process_time_ns() - c0
    tmp = tempfile.mkdtemp(prefix="atr_pc_")
    atexit.register(shutil.rmtree, tmp, True)
    path = os.path.join(tmp, "t.atr")
    opts = {} if zstd_level is None else {"zstd_level": zstd_level}
    argtrace.start(path, trace=[modname], **opts)
    t0, c0 = time.thread_time_ns(), time.process_time_ns()
    run()
    traced_thread = time.thread_time_ns() - t0
    argtrace.flush()  # the flusher compresses and writes every record of the calls
    traced_proc = time.process_time_ns() - c0
    # The other threads (the flusher): process CPU less all of the calling thread's.
    other = traced_proc - (time.thread_time_ns() - t0)
    c1 = time.process_time_ns()
    argtrace.stop()  # fixed costs per session (the stop's calibration...), reported apart
    stop_proc = time.process_time_ns() - c1
    size = os.path.getsize(path)
    if keep:  # the last round's log of each (workload, build) stays: bench/recompress_logs.py
        os.replace(path, os.path.join(keep[0], "%s.%s.atr" % (workload, keep[1])))
    else:
        os.unlink(path)
    print(json.dumps({"calls": calls, "thread_ns": (traced_thread - plain_thread) / calls,
                      "proc_ns": (traced_proc - plain_proc) / calls, "bytes": size / calls,
                      "other_ns": other / calls,
                      "proc_x": traced_proc / plain_proc, "thread_x": traced_thread / plain_thread,
                      "stop_ms": stop_proc / 1e6,
                      "proc_stop_ns": (traced_proc + stop_proc - plain_proc) / calls}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", action="append", default=[], help="LABEL=PYTHONPATH[,VAR=VALUE...]")
    ap.add_argument("--workloads", default="fib,richards,deltablue,raytrace")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--zstd-level", type=int)
    ap.add_argument("--keep-logs", metavar="DIR", help="keep each (workload, build)'s last log")
    ap.add_argument("--child", nargs=2)
    a = ap.parse_args()
    if a.child:
        return child(a.child[0], a.zstd_level, a.keep_logs and (a.keep_logs, a.child[1]))
    builds = [b.split("=", 1) for b in a.build] or [["this", os.path.join(HERE, "..", "build",
                                                                           "python")]]
    if a.keep_logs:
        os.makedirs(a.keep_logs, exist_ok=True)
    res = {}
    for _ in range(a.rounds):
        for w in a.workloads.split(","):
            for label, spec in builds:
                path, *assigned = spec.split(",")
                env = dict(os.environ, PYTHONPATH=os.path.abspath(path))
                env.update(v.split("=", 1) for v in assigned)
                cmd = [sys.executable, __file__, "--child", w, label]
                if a.zstd_level is not None:
                    cmd += ["--zstd-level", str(a.zstd_level)]
                if a.keep_logs:
                    cmd += ["--keep-logs", os.path.abspath(a.keep_logs)]
                out = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if out.returncode:
                    sys.exit("bench_process_cpu: %s on %s failed:\n%s" % (w, label, out.stderr))
                res.setdefault((w, label), []).append(json.loads(out.stdout.splitlines()[-1]))
    print("| workload | build | process CPU ns/call | calling thread ns/call | "
          "other threads (flusher) ns/call | process CPU × untraced | calling thread × untraced | "
          "bytes/call | "
          "stop() ms | process CPU ns/call with stop() |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (w, label), rows in sorted(res.items(), key=lambda kv: (
            a.workloads.split(",").index(kv[0][0]), [b[0] for b in builds].index(kv[0][1]))):
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print("| %s | %s | %.0f | %.0f | %.0f | %.2f× | %.2f× | %.2f | %.1f | %.0f |" % (
            w, label, med["proc_ns"], med["thread_ns"], med["other_ns"], med["proc_x"],
            med["thread_x"],
            med["bytes"], med["stop_ms"], med["proc_stop_ns"]))


if __name__ == "__main__":
    main()
