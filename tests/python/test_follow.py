"""Following logs while they are written: `summary --follow` and `view --follow` (the
standalone viewer), with a writer in another process that makes calls when told to (so the
steps are ordered without sleeping), a log cut inside its frames, a forked child's log that
appears later, and the TUI in follow mode in tmux (test_viewer_tui's Screen). Nothing here
asserts on time: every wait polls with a generous upper bound."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from atr_helpers import without_index
from test_viewer_common import plain_env, viewer  # noqa: F401 (fixtures)

argtrace = pytest.importorskip("argtrace")

WAIT = 30.0  # upper bound for anything to show up; never a timing assertion

WRITER = r"""
import os, sys
import argtrace

argtrace.start(sys.argv[1], flush_interval_ms=10)

@argtrace.trace
def step(i):
    return i

@argtrace.trace
def child_work(i):
    return i

for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "calls":  # no flush: the flusher must get them out of an idle program
        for i in range(int(cmd[1])):
            step(i)
    elif cmd[0] == "fork":  # a child that writes its own log, later than ours
        pid = os.fork()
        if pid == 0:
            for i in range(int(cmd[1])):
                child_work(i)
            os._exit(0)
        os.waitpid(pid, 0)
    elif cmd[0] == "stop":
        argtrace.stop()
        break
    print("ok", flush=True)
"""


def package_env(**extra):
    return plain_env(PYTHONPATH=os.path.dirname(os.path.dirname(argtrace.__file__)), **extra)


class Writer:
    """The traced program: a separate process making calls on command."""

    def __init__(self, tmp_path, log):
        script = tmp_path / "writer.py"
        script.write_text(WRITER)
        self.p = subprocess.Popen([sys.executable, str(script), str(log)], cwd=tmp_path,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env=package_env())

    def do(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        if cmd != "stop":
            assert self.p.stdout.readline() == "ok\n"

    def stop(self):
        self.do("stop")
        assert self.p.wait(timeout=WAIT) == 0

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(timeout=WAIT)


class Follower:
    """`summary --follow` on a pipe, its output collected line by line."""

    def __init__(self, viewer, cwd, *args):
        self.p = subprocess.Popen([viewer, "summary", "--follow", "--width", "80"] + list(args),
                                  cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=plain_env())
        self.out, self.err = [], []
        self.threads = [threading.Thread(target=self._read, args=(f, dst), daemon=True)
                        for f, dst in ((self.p.stdout, self.out), (self.p.stderr, self.err))]
        for t in self.threads:
            t.start()

    @staticmethod
    def _read(f, dst):
        for line in f:
            dst.append(line)

    def wait_for(self, text):
        deadline = time.monotonic() + WAIT
        while not any(text in line for line in self.out):
            if time.monotonic() > deadline or self.p.poll() is not None and not self._pending():
                raise AssertionError("%r not in the output:\n%s\nstderr:\n%s"
                                     % (text, "".join(self.out), "".join(self.err)))
            time.sleep(0.05)
        return "".join(self.out)

    def _pending(self):
        return any(t.is_alive() for t in self.threads)

    def finish(self):
        rc = self.p.wait(timeout=WAIT)
        for t in self.threads:
            t.join(timeout=WAIT)
        return rc, "".join(self.out), "".join(self.err)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(timeout=WAIT)


@pytest.fixture
def procs():
    started = []
    yield started
    for p in started:
        p.kill()


def test_summary_follow_shows_new_frames_and_a_forked_childs_log(viewer, tmp_path, procs):
    log = tmp_path / "live.atr"
    f = Follower(viewer, tmp_path, "live.atr")  # before the log exists: waits for it
    procs.append(f)
    w = Writer(tmp_path, log)
    procs.append(w)
    w.do("calls 3")
    f.wait_for("3 calls, 1 log (0 closed); following")
    w.do("calls 4")
    out = f.wait_for("7 calls, 1 log (0 closed)")
    assert "__main__.step" in out
    w.do("fork 5")  # the child's log appears after the follower started
    out = f.wait_for("12 calls, 2 logs")
    assert "__main__.child_work" in out
    w.stop()
    rc, out, err = f.finish()  # every log closed: the follower ends by itself
    assert rc == 0, err
    last = out.rstrip("\n").split("\n")[-1]
    assert last.endswith("12 calls, 2 logs: the program finished"), out
    assert "truncated" not in err and "error" not in err
    assert all(len(line) <= 80 for line in out.split("\n"))


def test_a_new_run_over_the_log_is_read_from_its_start(viewer, tmp_path, procs):
    log = tmp_path / "live.atr"
    first = Writer(tmp_path, log)
    procs.append(first)
    f = Follower(viewer, tmp_path, "live.atr")
    procs.append(f)
    first.do("calls 3")
    f.wait_for("3 calls, 1 log (0 closed)")
    first.kill()  # killed: its log stays unclosed, the follower keeps going
    second = Writer(tmp_path, log)  # the next run writes the same path
    procs.append(second)
    second.do("calls 2")
    f.wait_for("2 calls, 1 log (0 closed)")
    second.stop()
    rc, out, err = f.finish()
    assert rc == 0, err
    assert out.rstrip("\n").split("\n")[-1].endswith("2 calls, 1 log: the program finished")


def complete_log(tmp_path, calls):
    src = tmp_path / "whole.atr"
    w = Writer(tmp_path, src)
    for _ in range(5):  # several frames: the flusher writes what each command made
        w.do("calls %d" % (calls // 5))
        time.sleep(0.05)  # lets a frame go out between commands (more frames, not asserted)
    w.stop()
    return src.read_bytes()


def test_a_truncated_tail_is_normal_while_following(viewer, tmp_path, procs):
    data = complete_log(tmp_path, 100)
    log = tmp_path / "grow.atr"
    log.write_bytes(b"")
    f = Follower(viewer, tmp_path, "grow.atr")
    procs.append(f)
    # the log grows in pieces that end anywhere: inside the header, a frame header, a block
    cuts = sorted({3, 10, 17, 21, 40, len(data) // 3, len(data) // 2, len(data) - 5})
    at = 0
    with open(log, "ab") as out:
        for cut in cuts + [len(data)]:
            out.write(data[at:cut])
            out.flush()
            at = cut
            time.sleep(0.1)
    rc, out, err = f.finish()
    assert rc == 0, err
    assert out.rstrip("\n").split("\n")[-1].endswith("100 calls, 1 log: the program finished")
    assert "truncated" not in err and "corrupt" not in err, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_follower_cleanly(viewer, tmp_path, procs, sig):
    log = tmp_path / "live.atr"
    w = Writer(tmp_path, log)
    procs.append(w)
    f = Follower(viewer, tmp_path, "live.atr")
    procs.append(f)
    w.do("calls 2")
    f.wait_for("2 calls, 1 log (0 closed)")
    f.p.send_signal(sig)
    rc, out, err = f.finish()
    assert rc == 0, err
    assert "error" not in err, err
    assert out.rstrip("\n").split("\n")[-1].endswith("following (Ctrl-C to stop)")


def test_bytes_that_are_no_frame_are_reported_once(viewer, tmp_path, procs):
    data = complete_log(tmp_path, 10)
    log = tmp_path / "bad.atr"
    log.write_bytes(data + b"\x00" * 64)  # garbage where the next frame would start
    f = Follower(viewer, tmp_path, "bad.atr")
    procs.append(f)
    rc, out, err = f.finish()  # what came before is complete (END_OF_LOG): it ends
    assert rc == 0, err
    assert err.count("bad.atr: not a log frame at offset %d" % len(data)) == 1, err
    assert out.rstrip("\n").split("\n")[-1].endswith("10 calls, 1 log: the program finished")


def test_a_damaged_frame_is_a_one_line_error(viewer, tmp_path, procs):
    data = bytearray(without_index(complete_log(tmp_path, 10)))
    data[-4:] = bytes(b ^ 0xFF for b in data[-4:])  # the last frame's content checksum
    (tmp_path / "bad.atr").write_bytes(bytes(data))
    f = Follower(viewer, tmp_path, "bad.atr")
    procs.append(f)
    rc, out, err = f.finish()
    assert rc == 1
    lines = err.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith("argtrace-view summary: bad.atr"), err


# ---- the TUI ------------------------------------------------------------------------------

tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")


@tmux
def test_view_follow_updates_the_functions_screen(viewer, tmp_path, procs):
    from test_viewer_tui import Screen, lines

    log = tmp_path / "live.atr"
    s = Screen(viewer, ["view", "--follow", "live.atr"], tmp_path)
    try:
        s.wait_for("live: waiting for live.atr")
        w = Writer(tmp_path, log)
        procs.append(w)
        w.do("calls 3")
        screen = s.wait_for("functions (1 files, 3 calls)")
        assert "● live │" in lines(screen)[0]
        assert "__main__.step" in screen
        s.keys("Enter")  # a deeper screen keeps its snapshot while calls come
        s.wait_for("__main__.step — arguments")
        w.do("calls 4")
        screen = s.wait_for("new calls (q: back to functions)")
        assert "(all calls, slowest first: 3)" in screen
        s.keys("q")  # back on the functions screen: the new calls show
        s.wait_for("functions (1 files, 7 calls)")
        w.do("fork 2")
        screen = s.wait_for("functions (2 files, 9 calls)")
        assert "__main__.child_work" in screen
        w.stop()
        screen = s.wait_for("● finished │")
        assert all(len(r) <= 80 for r in lines(screen))
        s.keys("q")
        s.wait_for("EXIT:0")
    finally:
        s.close()


@tmux
def test_view_follow_ends_on_sigterm(viewer, tmp_path):
    from test_viewer_tui import Screen

    s = Screen(viewer, ["view", "--follow", "never.atr"], tmp_path)
    try:
        s.wait_for("live: waiting for never.atr")
        pid = s.tmux("display-message", "-p", "-t", "0", "#{pane_pid}").strip()
        # the pane runs a shell that runs the viewer: signal the viewer, its child
        kids = subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True).stdout.split()
        assert kids, "the viewer's process was not found"
        for k in kids:
            os.kill(int(k), signal.SIGTERM)
        s.wait_for("EXIT:0")
    finally:
        s.close()


@tmux
def test_view_follow_ends_on_ctrl_c(viewer, tmp_path):
    from test_viewer_tui import Screen

    s = Screen(viewer, ["view", "--follow", "never.atr"], tmp_path)
    try:
        s.wait_for("live: waiting for never.atr")
        s.keys("Down", "C-c")  # a key in raw mode: quits from any screen
        s.wait_for("EXIT:0")
    finally:
        s.close()


# ---- argtrace run --view --------------------------------------------------------------------

PROGRAM = r"""
import argtrace

@argtrace.trace
def work(n):
    return n

print("hello from the program")
for i in range(20):
    work(i)
print("bye")
"""


def run_view_command(tmp_path, unset_tmux):
    (tmp_path / "short.py").write_text(PROGRAM)
    pythonpath = os.path.dirname(os.path.dirname(argtrace.__file__))
    return ["env"] + (["-u", "TMUX"] if unset_tmux else []) + [
        "PYTHONPATH=" + pythonpath, sys.executable, "-m", "argtrace", "run", "--view",
        "short.py"]


@tmux
def test_run_view_without_tmux_shows_the_viewer_and_keeps_the_output(tmp_path):
    from test_viewer_tui import Screen, lines

    cmd = run_view_command(tmp_path, unset_tmux=True)
    s = Screen(cmd[0], cmd[1:], tmp_path)
    try:
        screen = s.wait_for("● finished │ functions (1 files, 20 calls)")
        assert "__main__.work" in screen
        assert all(len(r) <= 80 for r in lines(screen))
        s.keys("q")
        screen = s.wait_for("EXIT:0")
        assert "argtrace: the program's output is in short.out" in screen
        assert "hello from the program" not in screen  # it went to the file
        assert (tmp_path / "short.out").read_text() == "hello from the program\nbye\n"
    finally:
        s.close()


@tmux
def test_run_view_in_tmux_opens_a_pane_below(tmp_path):
    from test_viewer_tui import Screen

    cmd = run_view_command(tmp_path, unset_tmux=False)  # the pane's $TMUX: our test server
    s = Screen(cmd[0], cmd[1:], tmp_path, rows=40)
    try:
        screen = s.wait_for("EXIT:0")  # the program kept its terminal and ended
        assert "hello from the program" in screen and "bye" in screen
        assert len(s.tmux("list-panes").strip().split("\n")) == 2
        deadline = time.monotonic() + WAIT
        while "● finished │ functions (1 files, 20 calls)" not in s.tmux(
                "capture-pane", "-p", "-t", "0.1"):
            assert time.monotonic() < deadline, s.tmux("capture-pane", "-p", "-t", "0.1")
            time.sleep(0.1)
        s.tmux("send-keys", "-t", "0.1", "q")
        while len(s.tmux("list-panes").strip().split("\n")) != 1:  # q closes the pane
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        s.close()


def test_run_view_needs_a_terminal(tmp_path):
    cmd = run_view_command(tmp_path, unset_tmux=True)
    r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=WAIT,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stderr == "argtrace run: --view needs a terminal (or tmux)\n"
    assert not (tmp_path / "short.atr").exists()  # refused before the log was created
