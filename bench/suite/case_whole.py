"""Whole-program overhead: every function of a program traced, next to the peers.

One child process per workload; inside it the tools run interleaved (untraced, argtrace,
cProfile, VizTracer, ... then again), each round timing one run of the workload, and the
medians are compared. Calls are counted once with a profile hook (functions of the workload's
module), so "ns per traced call" = (median traced - median untraced) / calls.
"""

import gc
import json
import os
import sys
import tempfile
import time

import common
import tools
import workloads

TITLE = "Whole-program overhead (every function of the program traced)"


def child(argv):
    """child.py whole WORKLOAD SIZE REPEATS TOOL[,TOOL...] SLOW_MAX_CALLS → one JSON line."""
    name, size, repeats, names = argv[0], int(argv[1]), int(argv[2]), argv[3].split(",")
    slow_max = int(argv[4]) if len(argv) > 4 else 0
    modname, mod, fn, label = workloads.load(name, size)
    out = {"workload": name, "label": label, "times": {}, "cpu": {}, "thread": {},
           "stop_ns": {}, "skipped": {},
           "failed": {}}
    fn()  # warm-up: imports, caches, specialization
    counts = workloads.count_calls(modname, fn)
    out["calls"] = sum(counts.values())
    with tempfile.TemporaryDirectory(prefix="atr_whole_") as tmp:
        state = {}
        active = []
        for t in names:
            if t in tools.SLOW and slow_max and out["calls"] > slow_max:
                out["skipped"][t] = ("not run on %d calls: at ~%s per call (its fib row) one run "
                                     "would take too long; this mode runs it up to %d calls"
                                     % (out["calls"], tools.SLOW[t], slow_max))
                continue
            try:
                active.append(tools.make(t, modname, tmp, state))
            except Exception as e:  # ImportError, RuntimeError: a reason, not a pass
                out["skipped"][t] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0]
                                                if str(e) else "")
        for tool in active:
            out["times"][tool.name] = []
            out["cpu"][tool.name] = []
            out["thread"][tool.name] = []
            out["stop_ns"][tool.name] = []
        out["labels"] = {t.name: t.label for t in active}
        out["args"] = {t.name: t.args for t in active}
        for _ in range(repeats):
            for tool in active:
                if tool.name in out["failed"]:
                    continue
                gc.collect()
                try:
                    tool.setup()
                    c0 = time.process_time_ns()
                    h0 = time.thread_time_ns()
                    t0 = time.perf_counter_ns()
                    fn()
                    t1 = time.perf_counter_ns()
                    h1 = time.thread_time_ns()
                    c1 = time.process_time_ns()
                    tool.teardown()
                    t2 = time.perf_counter_ns()
                except Exception as e:
                    out["failed"][tool.name] = "%s: %s" % (type(e).__name__, e)
                    tools.cleanup()
                    continue
                out["times"][tool.name].append(t1 - t0)
                out["cpu"][tool.name].append(c1 - c0)
                out["thread"][tool.name].append(h1 - h0)
                out["stop_ns"][tool.name].append(t2 - t1)
        log = state.get("logs", {}).get("argtrace")
        if log and os.path.exists(log) and "argtrace" not in out["failed"]:
            out["argtrace_bytes"] = os.path.getsize(log)
            out["argtrace_spans"] = count_spans(log)
            st = state.get("stats") or {}
            out["argtrace_dropped"] = st.get("dropped") if isinstance(st, dict) else None
    print(json.dumps(out))


def count_spans(log):
    try:
        from argtrace import _core
        n = 0
        for rec in _core.read_records(log):
            if rec.get("kind") == "start":
                n += 1
        return n
    except Exception as e:
        return "unreadable: %s" % e


def run(cfg, ctx):
    rows, notes, skipped = [], [], {}
    status = "ok"
    for name in workloads.NAMES:
        size = cfg[name]
        print("  whole: %s (size %s, %d rounds)" % (name, size, cfg["whole_repeats"]), flush=True)
        rc, out, err, wall, cpu, rss = common.run_child(
            [ctx.get("child_python", sys.executable), ctx["child"], "whole", name, str(size),
             str(cfg["whole_repeats"]),
             ",".join(tools.WHOLE_TOOLS), str(cfg["slow_max_calls"])], timeout=1800)
        data = common.last_json(out)
        if rc != 0 or data is None:
            why = ("exit %d: %s" % (rc, common.one_line(err))) if rc else "no result line"
            rows.append({"workload": name, "label": name, "status": "failed", "why": why})
            status = "partial"
            print("    failed: %s" % why, flush=True)
            continue
        base = common.median(data["times"].get("untraced", []))
        cbase = common.median(data["cpu"].get("untraced", []))
        hbase = common.median(data["thread"].get("untraced", []))
        for t, why in data["skipped"].items():
            skipped[t] = why
        tool_rows = []
        for t in tools.WHOLE_TOOLS:
            if t in data["skipped"]:
                tool_rows.append({"tool": t, "status": "skipped", "why": data["skipped"][t]})
                continue
            if t in data["failed"]:
                tool_rows.append({"tool": t, "status": "failed", "why": data["failed"][t]})
                status = "partial"
                continue
            times = data["times"][t]
            med = common.median(times)
            cmed = common.median(data["cpu"][t])
            hmed = common.median(data["thread"][t])
            calls = data["calls"] or float("nan")
            tool_rows.append({"tool": t, "label": data["labels"][t], "args": data["args"][t],
                              "status": "ok", "median_ns": med, "wall_ratio": med / base,
                              "cpu_ns": cmed, "cpu_ratio": cmed / cbase,
                              "cpu_ns_per_call": (cmed - cbase) / calls,
                              "thread_ns": hmed, "ratio": hmed / hbase,
                              "ns_per_call": (hmed - hbase) / calls,
                              "spread_pct": common.spread(data["thread"][t]),
                              "stop_ms": common.median(data["stop_ns"][t]) / 1e6,
                              "n": len(times)})
        row = {"workload": name, "label": data["label"], "status": "ok", "calls": data["calls"],
               "untraced_ms": base / 1e6, "untraced_cpu_ms": cbase / 1e6,
               "untraced_thread_ms": hbase / 1e6, "tools": tool_rows,
               "argtrace_spans": data.get("argtrace_spans"),
               "argtrace_bytes": data.get("argtrace_bytes"),
               "argtrace_dropped": data.get("argtrace_dropped"), "child_wall_s": wall}
        rows.append(row)
        print("    %s: %d calls, untraced %.1f ms; %s" % (
            data["label"], data["calls"], base / 1e6,
            ", ".join("%s %.2fx" % (r["tool"], r["ratio"]) for r in tool_rows
                      if r["status"] == "ok" and r["tool"] != "untraced")), flush=True)
    for t, why in sorted(skipped.items()):
        notes.append("%s skipped: %s" % (t, why))
    return common.result("whole", TITLE, rows, status=status, notes=notes,
                         repeats=cfg["whole_repeats"])
