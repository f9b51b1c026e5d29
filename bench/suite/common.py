"""Shared helpers of the benchmark suite (bench/run): settings per mode, interleaved timing,
child processes with their own resource usage, results that say "skipped: why".

Every case returns a dict {"name", "title", "status": "ok"|"skipped"|"failed", "why",
"rows": [...], "notes": [...]} that report.py renders; nothing is ever reported as passing
when its tool was missing or crashed.
"""

import json
import os
import statistics
import subprocess
import sys
import time

SUITE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(SUITE))

# Sizes per mode. Quick keeps the whole run under 5 minutes on a 2-core machine, full under 30.
SETTINGS = {
    "quick": {
        "dec_calls": 100_000, "dec_rounds": 11,
        "fib": 22, "richards": 1, "deltablue": 500, "raytrace": 24, "nbody": 2_000,
        "whole_repeats": 3, "selective_repeats": 5, "selective_rounds": 600,
        "viewer_sizes": [10_000, 100_000], "viewer_repeats": 1, "big_calls": 1_000_000,
        "memory_calls": 1_000_000, "slow_max_calls": 60_000, "eliot_tree_max": 10_000,
        "logsize_fib": 20, "writer_spans": 2_000_000,
    },
    "full": {
        "dec_calls": 200_000, "dec_rounds": 21,
        "fib": 25, "richards": 2, "deltablue": 1_500, "raytrace": 40, "nbody": 5_000,
        "whole_repeats": 5, "selective_repeats": 9, "selective_rounds": 1500,
        "viewer_sizes": [10_000, 100_000], "viewer_repeats": 2, "big_calls": 10_000_000,
        "memory_calls": 10_000_000, "slow_max_calls": 300_000, "eliot_tree_max": 100_000,
        "logsize_fib": 22, "writer_spans": 10_000_000,
    },
}


def result(name, title, rows=None, status="ok", why="", notes=None, **extra):
    out = {"name": name, "title": title, "status": status, "why": why,
           "rows": rows or [], "notes": notes or []}
    out.update(extra)
    return out


def skipped(name, title, why, **extra):
    print("  %s: skipped: %s" % (name, why), flush=True)
    return result(name, title, status="skipped", why=why, **extra)


def median(values):
    return statistics.median(values) if values else float("nan")


def spread(values):
    """Relative half-range of the middle half (a robust noise figure), in percent."""
    if len(values) < 3:
        return float("nan")
    v = sorted(values)
    q1 = v[len(v) // 4]
    q3 = v[(3 * len(v)) // 4]
    m = statistics.median(v)
    return 100.0 * (q3 - q1) / 2 / m if m else float("nan")


def run_child(args, timeout=600, env=None, stdout_path=None):
    """Run `args`; return (returncode, stdout text, stderr text, wall s, cpu s, peak RSS KiB)
    with the child's own rusage (os.wait4), not the sum over all children."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, env=env)
    # Read stderr (and stdout when piped) in threads so large outputs never block the child.
    import threading
    chunks = {"out": b"", "err": b""}

    def drain(stream, key):
        chunks[key] = stream.read()

    threads = [threading.Thread(target=drain, args=(proc.stderr, "err"))]
    if not stdout_path:
        threads.append(threading.Thread(target=drain, args=(proc.stdout, "out")))
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    status = None
    while status is None:
        pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            status, usage = st, ru
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, st, ru = os.wait4(proc.pid, 0)
            status, usage = -9, ru
            break
        time.sleep(0.002)
    wall = time.perf_counter() - t0
    proc.returncode = 0  # reaped by wait4; keep Popen from waiting again
    for t in threads:
        t.join()
    if stdout_path:
        out.close()
    rc = os.waitstatus_to_exitcode(status) if status != -9 else -9
    return (rc, chunks["out"].decode("utf-8", "replace"), chunks["err"].decode("utf-8", "replace"),
            wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def case_child(ctx, args, timeout=900):
    """Run `child.py ARGS...` with this Python; → (data, None) or (None, why)."""
    argv = [ctx.get("child_python", sys.executable), ctx["child"]]
    argv += [str(a) for a in args]
    rc, out, err, wall, cpu, rss = run_child(argv, timeout=timeout)
    data = last_json(out)
    if rc != 0 or data is None:
        return None, "exit %d: %s" % (rc, one_line(err)) if rc else "no result line"
    return data, None


def last_json(text):
    """The last line of `text` that parses as JSON (children print one result line)."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def one_line(text, limit=160):
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    line = lines[-1] if lines else ""
    return line[:limit]


def fmt_ns(ns):
    if ns != ns:  # nan
        return "—"
    if abs(ns) >= 1e6:
        return "%.1f ms" % (ns / 1e6)
    if abs(ns) >= 1e4:
        return "%.1f µs" % (ns / 1e3)
    return "%.0f ns" % ns
