"""Selective tracing: one hot function traced inside a larger program (wl_fib.program, which
calls wl_fib.score once every fourth word among other work). Reported: the whole program's
slowdown in CPU time of the calling thread (and of the process, with argtrace's flusher).
The function is replaced by its decorated version (argtrace @trace, Eliot @log_call,
VizTracer @log_sparse) or selected by an argtrace filter (`--trace wl_fib:score`, no code
change; on CPython <= 3.11 this installs a profile hook that every call of the program
pays)."""

import gc
import json
import os
import sys
import tempfile
import time
import types

import common

TITLE = "Selective tracing: one hot function traced inside a larger program"
ORDER = ["untraced", "argtrace", "argtrace-filter", "viztracer", "eliot"]
LABELS = {"untraced": "untraced",
          "argtrace": "argtrace @trace on score()",
          "argtrace-filter": "argtrace filter --trace wl_fib:score (no code change)",
          "viztracer": "VizTracer @log_sparse on score() (no args)",
          "eliot": "Eliot @log_call on score()"}


def child(argv):
    rounds, repeats = int(argv[0]), int(argv[1])
    import workloads  # noqa: F401  (puts the suite on sys.path)
    import case_whole
    import wl_fib
    import tools
    original = wl_fib.score
    # The decorators wrap a copy with its own code object: argtrace's decorator marks the code
    # it wraps so that filter tracing leaves it alone, which must not affect the filter mode.
    clone = types.FunctionType(original.__code__.replace(), original.__globals__,
                               original.__name__, original.__defaults__, original.__closure__)
    clone.__qualname__ = original.__qualname__
    calls = workloads.count_calls("wl_fib", lambda: wl_fib.program(rounds)).get("score", 0)
    total_calls = sum(workloads.count_calls("wl_fib", lambda: wl_fib.program(rounds)).values())
    modes, skipped = {}, {}
    tmp = tempfile.mkdtemp(prefix="atr_sel_")
    modes["untraced"] = (original, None, None)
    path = fpath = ""
    try:
        import argtrace
        path = os.path.join(tmp, "sel.atr")
        modes["argtrace"] = (argtrace.trace(clone), lambda: argtrace.start(path),
                             argtrace.stop)
        state = {}
        fpath = os.path.join(tmp, "self.atr")
        modes["argtrace-filter"] = (original,
                                    lambda: tools._argtrace_start(fpath, ["wl_fib:score"]),
                                    lambda: tools._argtrace_stop(state))
    except Exception as e:
        skipped["argtrace"] = skipped["argtrace-filter"] = "%s: %s" % (type(e).__name__, e)
    try:
        from viztracer import log_sparse
        from case_decorator import viztracer_sparse
        start, stop = viztracer_sparse()
        modes["viztracer"] = (log_sparse(clone), start, stop)
    except Exception as e:
        skipped["viztracer"] = "%s: %s" % (type(e).__name__, e)
    try:
        import eliot
        dest = eliot.FileDestination(file=open(os.path.join(tmp, "eliot.log"), "w"))
        eliot.add_destinations(dest)
        modes["eliot"] = (eliot.log_call(clone), None, None)
    except Exception as e:
        skipped["eliot"] = "%s: %s" % (type(e).__name__, e)
    times = {m: [] for m in modes}
    failed = {}
    wl_fib.program(rounds)  # warm-up
    for _ in range(repeats):
        for name, (fn, setup, teardown) in modes.items():
            if name in failed:
                continue
            wl_fib.score = fn
            gc.collect()
            try:
                if setup:
                    setup()
                t0 = time.process_time_ns()
                h0 = time.thread_time_ns()
                wl_fib.program(rounds)
                h1 = time.thread_time_ns()
                times[name].append((h1 - h0, time.process_time_ns() - t0))
                if teardown:
                    teardown()
            except Exception as e:
                failed[name] = "%s: %s" % (type(e).__name__, e)
                tools.cleanup()
            finally:
                wl_fib.score = original
    spans = {}
    for name, log in (("argtrace", path), ("argtrace-filter", fpath)):
        if name in times and name not in failed and log and os.path.exists(log):
            spans[name] = case_whole.count_spans(log)
    print(json.dumps({"times": times, "skipped": skipped, "failed": failed,
                      "score_calls": calls, "program_calls": total_calls, "spans": spans}))


def run(cfg, ctx):
    rounds = cfg["selective_rounds"]
    data, why = common.case_child(ctx, ["selective", rounds, cfg["selective_repeats"]])
    if data is None:
        return common.result("selective", TITLE, status="failed", why=why)
    base = common.median([x[0] for x in data["times"]["untraced"]])
    pbase = common.median([x[1] for x in data["times"]["untraced"]])
    rows = []
    for name in ORDER:
        if name in data["skipped"] or name in data["failed"]:
            rows.append({"mode": name, "label": LABELS[name],
                         "status": "skipped" if name in data["skipped"] else "failed",
                         "why": data["skipped"].get(name) or data["failed"].get(name)})
            continue
        t = [x[0] for x in data["times"][name]]
        med = common.median(t)
        pmed = common.median([x[1] for x in data["times"][name]])
        added = (med - base) / data["score_calls"] if data["score_calls"] else float("nan")
        spans = data.get("spans", {}).get(name)
        if spans is not None and spans != data["score_calls"]:
            rows.append({"mode": name, "label": LABELS[name], "status": "failed",
                         "why": "its log holds %s spans, not the %d calls of score()"
                         % (spans, data["score_calls"])})
            continue
        rows.append({"mode": name, "label": LABELS[name], "status": "ok", "median_ns": med,
                     "ratio": med / base, "added_ns_per_traced_call": added,
                     "process_ratio": pmed / pbase,
                     "spread_pct": common.spread(t)})
        print("  selective: %-16s %.2fx (+%.0f ns per score() call)" % (name, med / base, added),
              flush=True)
    return common.result("selective", TITLE, rows, score_calls=data["score_calls"],
                         program_calls=data["program_calls"], rounds=rounds,
                         untraced_ms=base / 1e6, repeats=cfg["selective_repeats"])
