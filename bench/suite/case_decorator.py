"""Decorator overhead on `f(x) = x + 1` with the argument and the result captured.

argtrace @trace (session recording) vs Eliot @log_call (to a file) vs VizTracer @log_sparse
(tracer running; records no arguments) vs plain, plus two references: argtrace's decorator
with no session (forwarding only) and a Python functools.wraps wrapper. Same idea as
bench/bench_decorator.py, in a child process that prints JSON. Variants run interleaved,
one loop of calls per variant per round; medians over the rounds. Times are CPU times (the
machine is shared: wall time counts the time other processes ran): the calling thread's, and
the whole process's, which adds argtrace's flusher thread compressing and writing the log.
"""

import functools
import gc
import json
import os
import sys
import tempfile
import time

import common

sys.path.insert(0, os.path.dirname(common.SUITE))  # bench/: bench_decorator.py
from bench_decorator import f, make_loop  # noqa: E402  (the same f(x) and call loop)

TITLE = "Decorator overhead: f(x) = x + 1, argument and result captured"
ORDER = ["plain", "wraps", "argtrace-idle", "argtrace", "viztracer", "eliot"]
LABELS = {"plain": "plain call (no decorator)",
          "wraps": "a Python functools.wraps wrapper (reference)",
          "argtrace-idle": "argtrace @trace, no session active",
          "argtrace": "argtrace @trace, recording (arg + result)",
          "viztracer": "VizTracer @log_sparse, tracer running (no args)",
          "eliot": "Eliot @log_call to a file (args + result)"}


def variants(tmp):
    """name → (loop, scale of the call count, setup, teardown); skipped → name → why."""
    out, skipped = {}, {}
    out["plain"] = (make_loop(f), 1.0, None, None)

    @functools.wraps(f)
    def wrapper(*a, **k):
        return f(*a, **k)
    out["wraps"] = (make_loop(wrapper), 1.0, None, None)
    try:
        import argtrace
        traced = argtrace.trace(f)
        path = os.path.join(tmp, "dec.atr")
        out["argtrace-idle"] = (make_loop(traced), 1.0, None, None)
        out["argtrace"] = (make_loop(traced), 1.0, lambda: argtrace.start(path),
                           argtrace.stop)
    except Exception as e:
        skipped["argtrace"] = skipped["argtrace-idle"] = "%s: %s" % (type(e).__name__, e)
    try:
        from viztracer import log_sparse
        start, stop = viztracer_sparse()
        out["viztracer"] = (make_loop(log_sparse(f)), 0.2, start, stop)
    except Exception as e:
        skipped["viztracer"] = "%s: %s" % (type(e).__name__, e)
    try:
        import eliot
        dest = eliot.FileDestination(file=open(os.path.join(tmp, "eliot.log"), "w"))
        eliot.add_destinations(dest)
        out["eliot"] = (make_loop(eliot.log_call(f)), 0.01, None, None)
    except Exception as e:
        skipped["eliot"] = "%s: %s" % (type(e).__name__, e)
    return out, skipped


def viztracer_sparse():
    """(start, stop) of a log_sparse VizTracer made fresh for each round: constructing a
    VizTracer installs its profile hook at once (sys.getprofile() is the tracer until
    stop()), which would slow down every other variant measured while it exists."""
    from viztracer import VizTracer
    box = {}

    def start():
        box["t"] = VizTracer(log_sparse=True, verbose=0)
        box["t"].start()

    def stop():
        box["t"].stop()
        box["t"].clear()
        box.clear()
    return start, stop


def measure(loop, n, setup, teardown):
    gc.collect()
    if setup:
        setup()
    try:
        c0 = time.process_time_ns()
        h0 = time.thread_time_ns()
        loop(n)
        h1 = time.thread_time_ns()
        return (h1 - h0) / n, (time.process_time_ns() - c0) / n
    finally:
        if teardown:
            teardown()


def child(argv):
    calls, rounds = int(argv[0]), int(argv[1])
    with tempfile.TemporaryDirectory(prefix="atr_dec_") as tmp:
        table, skipped = variants(tmp)
        samples = {name: [] for name in table}
        for name, (loop, scale, setup, teardown) in table.items():  # warm-up
            measure(loop, max(100, int(calls * scale) // 10), setup, teardown)
        for _ in range(rounds):
            for name, (loop, scale, setup, teardown) in table.items():
                samples[name].append(measure(loop, max(100, int(calls * scale)),
                                             setup, teardown))
    print(json.dumps({"samples": samples, "skipped": skipped,
                      "calls": {n: max(100, int(calls * v[1])) for n, v in table.items()}}))


def run(cfg, ctx):
    data, why = common.case_child(ctx, ["decorator", cfg["dec_calls"], cfg["dec_rounds"]])
    if data is None:
        return common.result("decorator", TITLE, status="failed", why=why)
    base = common.median([x[0] for x in data["samples"]["plain"]])
    pbase = common.median([x[1] for x in data["samples"]["plain"]])
    rows = []
    for name in ORDER:
        if name in data["skipped"]:
            rows.append({"variant": name, "label": LABELS[name], "status": "skipped",
                         "why": data["skipped"][name]})
            continue
        if name not in data["samples"]:
            continue
        s = [x[0] for x in data["samples"][name]]
        med = common.median(s)
        pmed = common.median([x[1] for x in data["samples"][name]])
        rows.append({"variant": name, "label": LABELS[name], "status": "ok", "ns_per_call": med,
                     "added_ns": med - base, "ratio": med / base,
                     "process_added_ns": pmed - pbase,
                     "spread_pct": common.spread(s), "calls_per_round": data["calls"][name]})
        print("  decorator: %-14s %9.0f ns/call  %+9.0f ns  %.1fx  (process %+.0f ns)"
              % (name, med, med - base, med / base, pmed - pbase), flush=True)
    notes = ["%s skipped: %s" % (k, v) for k, v in sorted(data["skipped"].items())]
    return common.result("decorator", TITLE, rows, notes=notes, rounds=cfg["dec_rounds"])
