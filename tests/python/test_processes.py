"""Threads, fork, multiprocessing, and a SIGKILL'd process."""

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import warnings

import pytest

import argtrace
from atr_helpers import child_log, only, record, subprocess_env

MOD = __name__


@argtrace.trace
def square(x):
    return x * x


@argtrace.trace
def fan_out(n):
    threads = [threading.Thread(target=square, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return n


def test_threads_started_inside_the_session(log_path):
    log, _ = record(log_path, fan_out, 4)
    calls = list(log.calls("square"))
    assert sorted(c.args["x"] for c in calls) == [0, 1, 2, 3]
    assert sorted(c.result for c in calls) == [0, 1, 4, 9]
    main_thread = only(log.calls("fan_out")).thread
    assert all(c.thread != main_thread for c in calls)
    assert len({c.thread for c in calls}) == 4
    assert all(c.parent_id is None for c in calls)  # a new thread starts with no current span


def test_thread_started_before_the_session(log_path):
    go, done = threading.Event(), threading.Event()

    def worker():
        go.wait()
        square(5)
        done.set()

    t = threading.Thread(target=worker, name="early-worker")
    t.start()
    argtrace.start(log_path)
    try:
        square(1)
        go.set()
        done.wait()
    finally:
        argtrace.stop()
        t.join()
    log = argtrace.load(log_path)
    calls = {c.args["x"]: c for c in log.calls("square")}
    assert sorted(calls) == [1, 5]
    assert calls[5].thread != calls[1].thread
    assert calls[5].result == 25


def test_thread_names(log_path):
    def run():
        t = threading.Thread(target=square, args=(2,), name="named-worker")
        t.start()
        t.join()

    log, _ = record(log_path, run)
    thread = only(log.calls("square")).thread
    assert log.threads[thread]["name"] == "named-worker"


def _child_logs(tmp_path, stem="t"):
    return sorted(p for p in tmp_path.glob(stem + ".*.atr"))


@argtrace.trace
def forker():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:
        code = 0
        try:
            square(21)
            argtrace.stop()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return pid, status


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_child_writes_a_linked_log(tmp_path, log_path):
    log, (pid, status) = record(log_path, forker)
    assert status == 0
    parent_call = only(log.calls("forker"))
    child_path = child_log(tmp_path / "t.atr", pid)
    assert [str(p) for p in _child_logs(tmp_path)] == [child_path]
    child = argtrace.load(child_path)
    assert child.process.pid == pid
    assert child.process.parent_uid == log.process.uid != 0
    assert child.process.parent_span == parent_call.span
    call = only(child.calls("square"))
    assert call.args == {"x": 21} and call.result == 441
    assert child.closed
    assert list(log.calls("square")) == []  # the child's calls are not in the parent's log


FORKING_SCRIPT = textwrap.dedent("""
    import logging  # its after_in_parent fork hook (Python code) runs after argtrace's
    import os

    def work(n):
        return n + 1

    work(1)
    pid = os.fork()
    if pid == 0:
        work(2)
        os._exit(0)
    os.waitpid(pid, 0)
    work(3)
    print("done")
""")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forking_program_prints_what_it_prints_untraced(tmp_path):
    # CPython 3.12+'s os.fork() warns when the process has other threads; the writer's thread
    # made a traced program that forks print a DeprecationWarning its untraced run did not
    # ("This process (pid=...) is multi-threaded, use of fork() may lead to deadlocks").
    script = tmp_path / "forks.py"
    script.write_text(FORKING_SCRIPT)
    env = subprocess_env()
    plain = subprocess.run([sys.executable, "-W", "default", str(script)], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=60)
    traced = subprocess.run([sys.executable, "-W", "default", "-m", "argtrace", "run", "-o",
                             "f.atr", "--trace", "__main__:*", str(script)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    assert plain.returncode == traced.returncode == 0, traced.stderr
    assert traced.stdout == plain.stdout == "done\n"
    own = [line for line in traced.stderr.splitlines() if not line.startswith("argtrace: ")]
    assert own == plain.stderr.splitlines() == [], traced.stderr
    log = argtrace.load(str(tmp_path / "f.atr"))
    assert [c.args["n"] for c in log.calls("work")] == [1, 3]  # the parent's, all kept


def _threads():
    with open("/proc/self/status") as f:
        return int(f.read().split("Threads:")[1].split()[0])


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux /proc")
def test_writer_threads_stop_around_a_fork_and_keep_their_data(log_path):
    # os.register_at_fork(before=...): the writer threads stop after their cycle, what was
    # recorded stays in memory; after_in_parent starts them again (on 3.13+ once the frame
    # that called it has moved on, as after os.fork() returned) and nothing is lost.
    from argtrace import _core

    argtrace.start(str(log_path))
    try:
        before = _threads()
        for i in range(100):
            square(i)
        _core._fork_before()
        paused = _threads()
        for i in range(100, 200):
            square(i)
        _core._fork_after_parent()
        for i in range(200, 300):  # calls: the main thread checks for pending calls
            square(i)
        resumed = _threads()
    finally:
        argtrace.stop()
    assert paused == before - 1 and resumed == before, (before, paused, resumed)
    log = argtrace.load(str(log_path))
    assert [c.args["x"] for c in log.calls("square")] == list(range(300))
    _core._fork_before()  # no session: nothing to stop
    _core._fork_after_parent()


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux /proc")
def test_a_stopped_writer_is_started_by_the_thread_that_needs_room(log_path):
    # Until after_in_parent's start comes (3.13+: once os.fork() returned), a thread whose
    # buffers are full starts the writer itself rather than wait for it: nothing dropped.
    from argtrace import _core

    argtrace.start(str(log_path), buffer_size=4096, max_pending_bytes=4096, max_len=1024)
    try:
        before = _threads()
        _core._fork_before()
        paused = _threads()
        for i in range(5000):
            square(i)
        filled = _threads()
        _core._fork_after_parent()
    finally:
        argtrace.stop()
    assert (paused, filled) == (before - 1, before)
    log = argtrace.load(str(log_path))
    assert [c.args["x"] for c in log.calls("square")] == list(range(5000))
    assert log.drops.get("records", 0) == 0


def _mp_target(x):
    square(x)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs the fork start method")
def test_multiprocessing_fork_child_log_is_closed(tmp_path, log_path):
    ctx = multiprocessing.get_context("fork")

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            p = ctx.Process(target=_mp_target, args=(7,))
            p.start()
        p.join()
        square(1)
        return p.pid, p.exitcode

    log, (pid, exitcode) = record(log_path, run)
    assert exitcode == 0
    child = argtrace.load(child_log(tmp_path / "t.atr", pid))
    assert child.process.parent_uid == log.process.uid
    assert [(c.args, c.result) for c in child.calls("square")] == [({"x": 7}, 49)]
    assert child.closed, "multiprocessing children exit via os._exit: the log must be closed"
    assert [c.args for c in log.calls("square")] == [{"x": 1}]


KILLED_CHILD = textwrap.dedent("""
    import sys, time
    import argtrace

    @argtrace.trace
    def step(i):
        return i * i

    argtrace.start(sys.argv[1], flush_interval_ms=20)
    for i in range(200):
        step(i)
    time.sleep(1.0)          # 50 flush intervals: these calls are older than the interval
    print("ready", flush=True)
    time.sleep(120)
""")


def test_sigkilled_process_keeps_calls_older_than_the_flush_interval(tmp_path, log_path):
    script = tmp_path / "killed.py"
    script.write_text(KILLED_CHILD)
    proc = subprocess.Popen([sys.executable, str(script), str(log_path)], env=subprocess_env(),
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    log = argtrace.load(log_path)
    assert not log.closed
    calls = list(log.calls("step"))
    assert [c.args["i"] for c in calls] == list(range(200))
    assert [c.result for c in calls] == [i * i for i in range(200)]
