"""A log nobody reads (a FIFO with a reader that never reads): the traced program keeps
running (waits release the GIL and are bounded, then records are dropped and counted),
Ctrl-C gets through, and the program exits."""

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from atr_helpers import subprocess_env


def default_sigint():
    # a shell starts background jobs with SIGINT ignored, and exec keeps that: give the
    # child Python the default disposition, so that it installs its KeyboardInterrupt
    signal.signal(signal.SIGINT, signal.SIG_DFL)

PROGRAM = textwrap.dedent("""
    import sys, threading, time
    import argtrace

    @argtrace.trace
    def f(x):
        return x

    beats = 0

    def heartbeat():
        global beats
        while True:
            beats += 1
            time.sleep(0.01)

    argtrace.start(sys.argv[1], buffer_size=4096, max_pending_bytes=8192, max_len=512,
                   block_timeout_ms=200, sink_timeout_ms=500)
    threading.Thread(target=heartbeat, daemon=True).start()
    print("ready", flush=True)
    report = time.monotonic()
    try:
        while True:
            f("x" * 200)
            if time.monotonic() >= report:
                print("beats", beats, flush=True)
                report = time.monotonic() + 0.3
    except KeyboardInterrupt:
        stats = argtrace.stop()
        print("stopped", stats["dropped"] > 0, stats["write_error"] is not None, flush=True)
""")


def test_fifo_nobody_reads_does_not_freeze_the_program(tmp_path):
    fifo = tmp_path / "log.atr"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # opened, never read
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    proc = subprocess.Popen([sys.executable, str(script), str(fifo)], env=subprocess_env(), preexec_fn=default_sigint,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout] + [lines.put("")],
                     daemon=True).start()

    def next_line():
        try:
            return lines.get(timeout=20)
        except queue.Empty:
            return "(nothing for 20 s)"

    try:
        assert next_line() == "ready\n"
        # The pipe fills at once; the program must go on making calls (dropping them) and
        # its other thread must go on running: beats keep growing.
        beats = []
        while len(beats) < 3:
            line = next_line()
            assert line.startswith("beats "), line
            beats.append(int(line.split()[1]))
        assert beats[0] < beats[1] < beats[2]
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        out = []
        while True:
            line = next_line()
            if not line or line.startswith("(nothing"):
                break
            out.append(line)
        err = proc.stderr.read()
    except subprocess.TimeoutExpired:
        pytest.fail("the traced program did not exit after SIGINT")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(reader)
    assert proc.returncode == 0, err
    last = out[-1].strip()
    assert last == "stopped True True", out  # drops counted, the abandoned log reported
