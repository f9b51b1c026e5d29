"""Signals: a traced process flushes before a fatal signal kills it, and the program sees its
signals exactly as untraced (default actions, its own handlers, KeyboardInterrupt, and
exceptions raised by handlers while the tracer runs user code)."""

import os
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

PRELUDE = textwrap.dedent("""
    import os, signal, sys, time
    import argtrace

    @argtrace.trace
    def f(x):
        return x

    def ready():
        sys.stdout.write("ready\\n")
        sys.stdout.flush()
""")


def start(tmp_path, body):
    script = tmp_path / "prog.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "s.atr")],
                            cwd=tmp_path, env=subprocess_env(), preexec_fn=default_sigint, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # Read "ready" a byte at a time: a buffered readline could also swallow the lines the
    # program prints next, and communicate() in finish() reads the pipe, not that buffer.
    line = b""
    while not line.endswith(b"\n"):
        ch = os.read(proc.stdout.fileno(), 1)
        if not ch:
            break
        line += ch
    assert line == b"ready\n", proc.stderr.read()
    return proc


def finish(proc, timeout=30):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail("the traced program did not end: " + err)
    return proc.returncode, out, err


def xs(tmp_path):
    return [c.args["x"] for c in argtrace.load(tmp_path / "s.atr").calls("f")]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_default_action_signal_flushes_then_kills_with_the_signal(tmp_path, sig):
    proc = start(tmp_path, """
    argtrace.start(sys.argv[1], flush_interval_ms=600000)  # no periodic flush
    for i in range(500):
        f(i)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # as the program set it
    ready()
    time.sleep(60)
    """)
    proc.send_signal(sig)
    code, _, err = finish(proc)
    assert code == -sig, err
    assert xs(tmp_path) == list(range(500))
    # the process ends with the signal, and so does its log: END_OF_LOG and the frame index
    # (a pool's workers end this way: Pool.terminate(), the end of `with Pool(...)`)
    log = argtrace.load(tmp_path / "s.atr")
    assert log.closed and not log.truncated


def test_sigint_still_raises_keyboard_interrupt(tmp_path):
    proc = start(tmp_path, """
    argtrace.start(sys.argv[1], flush_interval_ms=600000)
    for i in range(10):
        f(i)
    try:
        ready()
        time.sleep(60)
    except KeyboardInterrupt:
        f(-1)
        print("interrupted")
    """)
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc)
    assert code == 0 and out == "interrupted\n", err
    assert xs(tmp_path) == list(range(10)) + [-1]


@pytest.mark.parametrize("when", ["before", "after"])
def test_the_programs_sigterm_handler_still_runs(tmp_path, when):
    proc = start(tmp_path, """
    def on_term(signum, frame):
        f(-1)
        sys.exit(7)
    if "%s" == "before":
        signal.signal(signal.SIGTERM, on_term)
    argtrace.start(sys.argv[1], flush_interval_ms=600000)
    if "%s" == "after":
        signal.signal(signal.SIGTERM, on_term)
    for i in range(10):
        f(i)
    ready()
    time.sleep(60)
    """ % (when, when))
    proc.send_signal(signal.SIGTERM)
    code, _, err = finish(proc)
    assert code == 7, err
    assert xs(tmp_path) == list(range(10)) + [-1]


class_slow_repr = """
    class Slow:
        def __repr__(self):
            time.sleep(0.05)
            return "Slow()"

    @argtrace.trace(repr=True)
    def g(obj):
        return 1
"""


def test_sigalrm_exception_raised_during_repr_capture_reaches_the_program(tmp_path):
    proc = start(tmp_path, class_slow_repr + """
    def on_alarm(signum, frame):
        raise TimeoutError("alarm")
    signal.signal(signal.SIGALRM, on_alarm)
    argtrace.start(sys.argv[1])
    ready()
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    n = 0
    try:
        while True:  # untraced, the alarm ends this loop
            g(Slow())
            n += 1
    except TimeoutError as e:
        print("timeout", e)
    """)
    code, out, err = finish(proc)
    assert code == 0 and out == "timeout alarm\n", err


def test_sigterm_sys_exit_during_a_summarizer_reaches_the_program(tmp_path):
    proc = start(tmp_path, """
    class Thing:
        pass

    calls = 0

    def summarize(t):
        global calls
        calls += 1
        if calls == 3:  # the signal arrives while argtrace runs the summarizer
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.5)
        return {"ok": 1}

    argtrace.register_summarizer(Thing, summarize)

    @argtrace.trace
    def h(t):
        return 1

    signal.signal(signal.SIGTERM, lambda s, fr: sys.exit(5))
    argtrace.start(sys.argv[1])
    ready()
    for i in range(50):
        h(Thing())
    print("not interrupted", calls)
    """)
    code, out, err = finish(proc)
    assert code == 5, out + err
    log = argtrace.load(tmp_path / "s.atr")
    assert log.closed


def test_keyboard_interrupt_during_repr_capture_reaches_the_program(tmp_path):
    proc = start(tmp_path, """
    class Interrupting:
        def __repr__(self):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
            return "Interrupting()"

    @argtrace.trace(repr=True)
    def g(obj):
        return 1

    argtrace.start(sys.argv[1])
    ready()
    try:
        for i in range(3):
            g(Interrupting())
        print("not interrupted")
    except KeyboardInterrupt:
        print("interrupted")
    """)
    code, out, err = finish(proc)
    assert code == 0 and out == "interrupted\n", out + err


def test_a_repr_that_raises_is_still_a_capture_error(tmp_path):
    # the ordinary failure of a callback stays inside the tracer
    class Bad:
        def __repr__(self):
            raise ValueError("no repr")

    @argtrace.trace(repr=True)
    def k(obj):
        return 2

    with argtrace.session(tmp_path / "k.atr"):
        assert k(Bad()) == 2
    call, = argtrace.load(tmp_path / "k.atr").calls("k")
    assert call.result == 2


def test_default_action_signal_closes_every_file_of_a_rotated_log(tmp_path):
    """With rotation (max_size), the file before the current one stays open for records
    encoded while the file changed (rotate.c): the signal closes it too."""
    proc = start(tmp_path, """
    argtrace.start(sys.argv[1], max_size=4096, flush_interval_ms=1)
    for i in range(20000):
        f(i)
    time.sleep(0.2)  # a few cycles: the files rotate
    ready()
    time.sleep(60)
    """)
    proc.send_signal(signal.SIGTERM)
    code, _, err = finish(proc)
    assert code == -signal.SIGTERM, err
    files = sorted(tmp_path.glob("s.atr*"))
    assert len(files) >= 2, files
    from argtrace import _core  # each file alone (load() reads the set under the first name)
    assert [f.name for f in files
            if list(_core.read_records(str(f)))[-1]["kind"] != "end_of_log"] == []
    assert xs(tmp_path) == list(range(20000))


def _wchan(pid):
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return f.read()
    except OSError:
        return ""


@pytest.mark.skipif(not os.path.exists("/proc/self/wchan"), reason="needs /proc/PID/wchan")
def test_sigterm_while_the_session_starts_still_closes_the_log(tmp_path):
    """A SIGTERM that arrives while start() creates the log (here: opening a FIFO, which
    waits for its reader) is delivered once the writer's flusher runs, which writes the
    log's tail: the log is closed. It was delivered before the flusher started, and the
    handler, finding no flusher to wait for, left the log without END_OF_LOG."""
    import time
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    child = subprocess.Popen([sys.executable, "-c", "import sys, argtrace\n"
                              "argtrace.start(sys.argv[1])\n"
                              "print('not reached')\n", str(fifo)],
                             env=subprocess_env(), stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while _wchan(child.pid) not in ("wait_for_partner", "fifo_open"):  # opening the log
            assert child.poll() is None and time.monotonic() < deadline, _wchan(child.pid)
            time.sleep(0.01)
        child.send_signal(signal.SIGTERM)  # pending until start() lets it through
        with open(fifo, "rb") as f:  # the child's open returns; read the log to its end
            data = f.read()
        assert child.wait(timeout=60) == -signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
    assert child.stdout.read() == ""
    log = tmp_path / "copy.atr"
    log.write_bytes(data)
    loaded = argtrace.load(log)
    assert loaded.closed and not loaded.truncated and loaded.calls() == []
