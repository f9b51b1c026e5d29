"""Instructions per call of filter tracing by thread and part, for builds side by side
(callgrind, repeatable on a loaded machine): the calling thread's added instructions, the
flusher's in all, its zstd compression and its scan of every record (the frame index and the
CHUNK state, format/findex_write.c), for the workloads of bench_process_cpu.py.

Each workload runs at two sizes, untraced and traced up to argtrace.flush(), each in its own
`valgrind --tool=callgrind --separate-threads=yes` process; per call = the difference between
the sizes divided by the extra calls (fixed costs cancel), the calling thread's less the
untraced difference. Under callgrind the clock runs about 50 times slower, so time deltas are
larger and zstd's share is inflated against a native run; compare builds, not parts. The
flush interval is wall time, so under callgrind the flusher's timed cycles (which write the
threads' live buffers in part, those parts scanned) come 50-100 times as often per call as
natively: `--flush-interval-ms 5000` brings them back to about the native rate.

    python3 bench/bench_parts.py --build before=/path/build/python --build after=build/python \\
        [--workloads fib,richards,deltablue,raytrace] [--flush-interval-ms N]

The pyperformance programs need the pyperformance package (any venv). `--child` runs one.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = {"fib": (22, 25), "richards": (1, 2), "deltablue": (750, 1500), "raytrace": (20, 40)}


def child(workload, size, mode, out):
    sys.path.insert(0, os.path.join(HERE, "suite"))
    import workloads
    modname, _mod, run, _label = workloads.load(workload, size)
    if mode == "count":
        print(sum(workloads.count_calls(modname, run).values()))
        return
    run()  # warm-up, as bench_process_cpu
    if mode == "traced":
        import argtrace
        flush_ms = int(os.environ.get("ATR_BENCH_FLUSH_MS", "0"))
        argtrace.start(out, trace=[modname], **({"flush_interval_ms": flush_ms} if flush_ms else {}))
    run()
    if mode == "traced":
        argtrace.flush()
    os._exit(0)  # no stop(): its calibration is a cost per session


def annotate(path):
    """(total, zstd, scan) instructions of one thread's callgrind output."""
    text = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=no", path],
                          capture_output=True, text=True, check=True).stdout
    total = zstd = scan = 0
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(\S.*)", line)
        if not m:
            continue
        v, name = int(m.group(1).replace(",", "")), m.group(2)
        if name.startswith("PROGRAM TOTALS"):
            total = v
        elif " [" not in name:
            continue  # an inlined file's lines, already in its function's figure
        elif "libzstd" in name:
            zstd += v
        elif "atr__scan_thread" in name or "atr__mp_skip_raw" in name:
            scan += v
    return total, zstd, scan


def measure(tmp, build, workload, size, mode):
    """{thread number: (total, zstd, scan)} of one run."""
    out = os.path.join(tmp, "cg.%s.%d.%s" % (workload, size, mode))
    for old in glob.glob(out + "*"):
        os.unlink(old)
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=os.path.abspath(build))
    subprocess.run(["valgrind", "--tool=callgrind", "--separate-threads=yes",
                    "--callgrind-out-file=" + out, sys.executable, __file__, "--child", workload,
                    str(size), mode, os.path.join(tmp, "t.atr")],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {int(p.rsplit("-", 1)[1]): annotate(p) for p in glob.glob(out + "-*")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", action="append", default=[], help="LABEL=PYTHONPATH")
    ap.add_argument("--workloads", default="fib,richards,deltablue,raytrace")
    ap.add_argument("--flush-interval-ms", type=int, default=0,
                    help="the session's flush interval (default: the library's, 100 ms); "
                         "callgrind runs the program ~50x slower but the interval in wall time")
    ap.add_argument("--child", nargs=4)
    a = ap.parse_args()
    if a.child:
        return child(a.child[0], int(a.child[1]), a.child[2], a.child[3])
    if a.flush_interval_ms:
        os.environ["ATR_BENCH_FLUSH_MS"] = str(a.flush_interval_ms)
    builds = [b.split("=", 1) for b in a.build] or [["this", os.path.join(HERE, "..", "build",
                                                                           "python")]]
    print("| workload | build | calling thread +instr/call | flusher instr/call | zstd | scan | "
          "rest of the flusher |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="atr_parts_") as tmp:
        for w in a.workloads.split(","):
            small, big = SIZES[w]
            env = dict(os.environ, PYTHONPATH=os.path.abspath(builds[0][1]))
            calls = [int(subprocess.run([sys.executable, __file__, "--child", w, str(n), "count",
                                         "-"], env=env, check=True, capture_output=True,
                                        text=True).stdout) for n in (small, big)]
            extra = calls[1] - calls[0]
            u = [measure(tmp, builds[0][1], w, n, "untraced")[1][0] for n in (small, big)]
            for label, path in builds:
                s, b = (measure(tmp, path, w, n, "traced") for n in (small, big))
                main_thread = ((b[1][0] - s[1][0]) - (u[1] - u[0])) / extra
                fl = [(b[2][i] - s[2][i]) / extra for i in range(3)]
                print("| %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f |" % (
                    w, label, main_thread, fl[0], fl[1], fl[2], fl[0] - fl[1] - fl[2]))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
