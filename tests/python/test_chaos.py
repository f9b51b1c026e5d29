"""Chaos: SIGKILL, SIGTERM and SIGINT at random moments to a traced process, many times.

Every log stays readable (a truncated tail is allowed after SIGKILL); after SIGKILL every
call whose records the program had flushed is there; after SIGTERM or SIGINT every call the
program had completed before the signal is there. ATR_CHAOS_RUNS sets the number of runs
(default 50, about 20-30 s); ATR_CHAOS_SEED replays a sequence.
"""

import os
import random
import signal
import subprocess
import sys
import textwrap

import pytest

import argtrace
from atr_helpers import subprocess_env


def default_sigint():
    # a shell starts background jobs with SIGINT ignored, and exec keeps that: give the
    # child Python the default disposition, so that it installs its KeyboardInterrupt
    signal.signal(signal.SIGINT, signal.SIG_DFL)

CHILD = textwrap.dedent("""
    import sys, threading, time
    import argtrace

    @argtrace.trace
    def work(i, payload):
        return len(payload)

    def side():  # a second recording thread, so buffers of several threads are in flight
        j = 0
        while True:
            work(-1 - j, "y" * (j % 50))
            j += 1
            if j % 10 == 0:
                time.sleep(0.001)  # keeps the logs small enough to check quickly

    argtrace.start(sys.argv[1], flush_interval_ms=int(sys.argv[2]))
    threading.Thread(target=side, daemon=True).start()
    out = sys.stdout
    out.write("ready\\n")
    out.flush()
    i = 0
    while True:
        work(i, "x" * (i % 300))
        if i % 97 == 0:
            argtrace.flush()
            out.write("flushed %d\\n" % i)
        else:
            out.write("done %d\\n" % i)
        out.flush()
        i += 1
        if i % 10 == 0:
            time.sleep(0.0005)
""")

SIGNALS = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]


def one_run(tmp_path, rng, k):
    log = tmp_path / ("chaos%d.atr" % k)
    sig = rng.choice(SIGNALS)
    delay = rng.uniform(0.0, 0.25)
    interval = rng.choice([5, 50, 100000])
    proc = subprocess.Popen([sys.executable, str(tmp_path / "child.py"), str(log),
                             str(interval)], env=subprocess_env(), preexec_fn=default_sigint, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, bufsize=1)
    try:
        assert proc.stdout.readline() == "ready\n"
        os.set_blocking(proc.stdout.fileno(), False)
        done, flushed = -1, -1
        import time
        end = time.monotonic() + delay
        while time.monotonic() < end:
            line = proc.stdout.readline()
            if not line:
                time.sleep(0.001)
                continue
            kind, _, n = line.partition(" ")
            if kind == "flushed":
                flushed = done = int(n)
            elif kind == "done":
                done = int(n)
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            hook = os.environ.get("ATR_CHAOS_ON_HANG")  # e.g. a gdb command, for debugging
            if hook:
                subprocess.run(hook % proc.pid, shell=True)
            raise AssertionError("run %d: %s after %.3f s: the process did not end"
                                 % (k, signal.Signals(sig).name, delay))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    what = "run %d: %s after %.3f s (interval %d ms)" % (k, signal.Signals(sig).name, delay,
                                                          interval)
    assert proc.returncode == -sig or (sig == signal.SIGINT and proc.returncode == 1), what
    loaded = argtrace.load(log)  # readable: a truncated tail is reported, not an error
    present = {c.args["i"] for c in loaded.calls("work") if c.end_ns is not None}
    must = flushed if sig == signal.SIGKILL else done
    missing = [i for i in range(must + 1) if i not in present]
    assert not missing, "%s: %d calls lost, first %s" % (what, len(missing), missing[:5])
    if sig != signal.SIGKILL:
        assert not loaded.truncated, what
    return sig


def test_chaos(tmp_path):
    runs = int(os.environ.get("ATR_CHAOS_RUNS", "50"))
    seed = int(os.environ.get("ATR_CHAOS_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    (tmp_path / "child.py").write_text(CHILD)
    seen = set()
    for k in range(runs):
        try:
            seen.add(one_run(tmp_path, rng, k))
        except AssertionError as e:
            raise AssertionError("ATR_CHAOS_SEED=%d: %s" % (seed, e)) from None
        os.remove(tmp_path / ("chaos%d.atr" % k))
    if runs >= 20:
        assert seen == set(SIGNALS)
