"""Tracer memory over a long run: RSS of a traced process while it makes N traced calls of
`inc(x) = x + 1` (argument and result recorded), sampled 40 times. Each tool runs in its own
process. Reported: RSS after a warm-up of 1% of the calls, at the end, the maximum, and the
growth (end - after warm-up). VizTracer is shown for reference (it keeps a fixed ring buffer,
1M entries by default, and overwrites old calls)."""

import json
import os
import sys
import tempfile
import time

import common

TITLE = "Tracer memory over a long run"
MODES = ["untraced", "argtrace-decorator", "argtrace-filter", "viztracer-args"]
LABELS = {"untraced": "untraced (reference)",
          "argtrace-decorator": "argtrace @trace (arg + result)",
          "argtrace-filter": "argtrace filter --trace wl_fib:inc (arg + result)",
          "viztracer-args": "VizTracer log_func_args+retval (ring buffer, 1M entries)"}


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def child(argv):
    mode, calls = argv[0], int(argv[1])
    if mode == "viztracer-args":
        calls = min(calls, 2_000_000)  # its ring holds 1M entries: flat after that
    import workloads  # noqa: F401
    import wl_fib
    import tools
    fn = wl_fib.inc
    tmp = tempfile.mkdtemp(prefix="atr_mem_")
    stop = lambda: None  # noqa: E731
    stats = {}
    if mode == "argtrace-decorator":
        import argtrace
        fn = argtrace.trace(wl_fib.inc)
        argtrace.start(os.path.join(tmp, "mem.atr"))
        stop = lambda: stats.update(argtrace.stop() or {})  # noqa: E731
    elif mode == "argtrace-filter":
        tools._argtrace_start(os.path.join(tmp, "mem.atr"), ["wl_fib:inc"])
        stop = lambda: tools._argtrace_stop(stats)  # noqa: E731
    elif mode == "viztracer-args":
        import viztracer
        t = viztracer.VizTracer(verbose=0, log_func_args=True, log_func_retval=True)
        t.start()
        stop = lambda: (t.stop(), t.clear())  # noqa: E731
    step = max(1, calls // 40)
    warm = max(1, calls // 100)
    for i in range(warm):
        fn(i)
    samples = [(warm, rss_kib())]
    t0 = time.perf_counter()
    done = warm
    while done < calls:
        for i in range(min(step, calls - done)):
            fn(i)
        done += min(step, calls - done)
        samples.append((done, rss_kib()))
    secs = time.perf_counter() - t0
    stop()
    log = os.path.join(tmp, "mem.atr")
    st = stats.get("stats", stats)
    print(json.dumps({"mode": mode, "calls": calls, "samples": samples, "seconds": secs,
                      "log_bytes": os.path.getsize(log) if os.path.exists(log) else None,
                      "dropped": st.get("dropped") if isinstance(st, dict) else None}))


def run(cfg, ctx):
    calls = cfg["memory_calls"]
    rows, notes = [], []
    for mode in MODES:
        rc, out, err, wall, cpu, rss = common.run_child(
            [sys.executable, ctx["child"], "memory", mode, str(calls)], timeout=1800)
        data = common.last_json(out)
        if rc != 0 or data is None:
            why = "exit %d: %s" % (rc, common.one_line(err))
            if "No module named" in err:
                rows.append({"mode": mode, "label": LABELS[mode], "status": "skipped",
                             "why": why})
            else:
                rows.append({"mode": mode, "label": LABELS[mode], "status": "failed",
                             "why": why})
            print("  memory: %s: %s" % (mode, why), flush=True)
            continue
        s = data["samples"]
        start, end = s[0][1] / 1024.0, s[-1][1] / 1024.0
        peak = max(x[1] for x in s) / 1024.0
        rows.append({"mode": mode, "label": LABELS[mode], "status": "ok", "calls": data["calls"],
                     "rss_start_mib": start, "rss_end_mib": end, "rss_max_mib": peak,
                     "growth_mib": end - start, "peak_rss_mib": rss / 1024.0,
                     "seconds": data["seconds"], "log_bytes": data["log_bytes"],
                     "dropped": data["dropped"], "samples": s})
        print("  memory: %-20s RSS %.1f → %.1f MiB (max %.1f) over %d calls, %.1f s" % (
            mode, start, end, peak, data["calls"], data["seconds"]), flush=True)
    if calls < 10_000_000:
        notes.append("quick mode: %d calls per process, not 10M (bench/run --full runs 10M)"
                     % calls)
    return common.result("memory", TITLE, rows, notes=notes, calls=calls)
