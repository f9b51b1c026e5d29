"""No data lost at exit: start() without stop(), atexit handlers, `argtrace run`, os._exit,
forked children (from any thread), multiprocessing pools under every start method."""

import glob
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import argtrace
from atr_helpers import subprocess_env


def run_script(tmp_path, source, *args, timeout=60, argtrace_run=False, check=True):
    script = tmp_path / "prog.py"
    script.write_text(source)
    cmd = [sys.executable]
    if argtrace_run:
        cmd += ["-m", "argtrace", "run", "-q", "-o", str(tmp_path / "run.atr")]
    cmd += [str(script)] + [str(a) for a in args]
    proc = subprocess.run(cmd, cwd=tmp_path, env=subprocess_env(), capture_output=True,
                          text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def code(text):
    return textwrap.dedent(text)


PRELUDE = code("""
    import atexit, os, sys, threading
    import argtrace

    @argtrace.trace
    def f(x):
        return x
""")


def results(path, name="f"):
    return sorted(c.args["x"] for c in argtrace.load(path).calls(name))


def test_start_without_stop_keeps_every_call(tmp_path):
    # flush_interval_ms is large: nothing is flushed before the exit
    run_script(tmp_path, PRELUDE + code("""
    argtrace.start(sys.argv[1], flush_interval_ms=600000)
    for i in range(1000):
        f(i)
    """), tmp_path / "a.atr")
    log = argtrace.load(tmp_path / "a.atr")
    assert sorted(c.args["x"] for c in log.calls("f")) == list(range(1000))
    assert log.closed and not log.truncated


def test_sys_exit_and_uncaught_exception_keep_every_call(tmp_path):
    for how, status in (("sys.exit(3)", 3), ("raise ValueError('boom')", 1)):
        proc = run_script(tmp_path, PRELUDE + code("""
        argtrace.start(sys.argv[1], flush_interval_ms=600000)
        for i in range(100):
            f(i)
        %s
        """) % how, tmp_path / "b.atr", check=False)
        assert proc.returncode == status
        assert results(tmp_path / "b.atr") == list(range(100))


def test_calls_in_atexit_handlers_are_recorded(tmp_path):
    # one handler registered before argtrace is imported (it runs after argtrace's own
    # atexit handler), one after
    run_script(tmp_path, code("""
        import atexit, sys
        atexit.register(lambda: f(-1))
        """) + PRELUDE + code("""
    atexit.register(lambda: f(-2))
    argtrace.start(sys.argv[1], flush_interval_ms=600000)
    f(1)
    """), tmp_path / "c.atr")
    assert results(tmp_path / "c.atr") == [-2, -1, 1]


def test_argtrace_run_records_calls_in_the_programs_atexit_handlers(tmp_path):
    run_script(tmp_path, PRELUDE + code("""
    atexit.register(lambda: f(-1))
    f(1)
    """), argtrace_run=True)
    assert results(tmp_path / "run.atr") == [-1, 1]


def test_os_exit_keeps_every_call(tmp_path):
    run_script(tmp_path, PRELUDE + code("""
    argtrace.start(sys.argv[1], flush_interval_ms=600000)
    for i in range(50):
        f(i)
    os._exit(0)
    """), tmp_path / "d.atr")
    assert results(tmp_path / "d.atr") == list(range(50))


@pytest.mark.parametrize("how", ["os.execv(sys.executable, [sys.executable, '-c', 'print(7)'])",
                                 "os.execl(sys.executable, sys.executable, '-c', 'print(7)')",
                                 "os.execvpe('python3', ['python3', '-c', 'print(7)'], os.environ)"])
def test_exec_keeps_every_call_and_closes_the_log(tmp_path, how):
    # the new image prints 7: nothing of the old one runs after the exec
    proc = run_script(tmp_path, PRELUDE + code("""
    argtrace.start(sys.argv[1], flush_interval_ms=600000)
    for i in range(50):
        f(i)
    %s
    """) % how, tmp_path / "e.atr")
    assert proc.stdout == "7\n"
    log = argtrace.load(tmp_path / "e.atr")
    assert results(tmp_path / "e.atr") == list(range(50))
    assert log.closed and not log.truncated


def test_argtrace_run_keeps_the_calls_made_before_an_exec(tmp_path):
    proc = run_script(tmp_path, PRELUDE + code("""
    f(1)
    os.execv(sys.executable, [sys.executable, "-c", "print(8)"])
    """), argtrace_run=True)
    assert proc.stdout == "8\n"
    assert results(tmp_path / "run.atr") == [1]
    assert argtrace.load(tmp_path / "run.atr").closed


def test_a_failed_exec_raises_as_untraced(tmp_path):
    proc = run_script(tmp_path, PRELUDE + code("""
    argtrace.start(sys.argv[1])
    f(1)
    try:
        os.execv("/nonexistent/program", ["x"])
    except OSError as e:
        print(type(e).__name__, e.errno)
    f(2)  # the session was closed by the attempt: not recorded
    """), tmp_path / "g.atr")
    assert proc.stdout == "FileNotFoundError 2\n"
    assert results(tmp_path / "g.atr") == [1]


def child_logs(tmp_path, stem):
    return [p for p in glob.glob(str(tmp_path / (stem + ".*.atr")))]


def test_forked_child_keeps_its_tail_on_os_exit_and_normal_exit(tmp_path):
    run_script(tmp_path, PRELUDE + code("""
    argtrace.start(sys.argv[1], flush_interval_ms=600000)
    for how in ("os_exit", "return"):
        pid = os.fork()
        if pid == 0:
            for i in range(20):
                f(i)
            if how == "os_exit":
                os._exit(0)
            sys.exit(0)
        os.waitpid(pid, 0)
    argtrace.stop()
    """), tmp_path / "e.atr")
    logs = child_logs(tmp_path, "e")
    assert len(logs) == 2
    for p in logs:
        assert results(p) == list(range(20))


def test_fork_keeps_the_signal_mask(tmp_path):
    # the writer blocks the flush signals while it holds a session lock (fork holds them
    # all): neither the parent nor the child may keep them blocked
    proc = run_script(tmp_path, PRELUDE + code("""
    def blocked():
        for line in open("/proc/self/status"):
            if line.startswith("SigBlk"):
                return line.split()[1]
    argtrace.start(sys.argv[1])
    f(1)
    before = blocked()
    pid = os.fork()
    if pid == 0:
        f(2)
        os._exit(0 if blocked() == before else 1)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert blocked() == before
    print(before)
    """), tmp_path / "m.atr")
    assert int(proc.stdout, 16) == 0


def test_fork_from_a_thread_child_exits_and_keeps_its_calls(tmp_path):
    # The child's only thread returns: without the tracer the process ends; the flusher
    # thread started in the child must not keep it alive.
    run_script(tmp_path, PRELUDE + code("""
    import time
    argtrace.start(sys.argv[1], flush_interval_ms=50)
    pids = []
    def forker():
        pid = os.fork()
        if pid == 0:
            for i in range(10):
                f(i)
            return  # the thread ends: the child has no thread left
        pids.append(pid)
    t = threading.Thread(target=forker)
    t.start(); t.join()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(pids[0], os.WNOHANG)
        if done:
            break
        time.sleep(0.02)
    else:
        os.kill(pids[0], 9)
        sys.exit("the child did not exit")
    assert os.waitstatus_to_exitcode(status) == 0, status
    argtrace.stop()
    """), tmp_path / "g.atr", timeout=60)
    logs = child_logs(tmp_path, "g")
    assert len(logs) == 1
    assert results(logs[0]) == list(range(10))


POOL = PRELUDE + code("""
    import multiprocessing, concurrent.futures

    @argtrace.trace
    def work(x):
        return x * 2

    def main():
        method, kind = sys.argv[1], sys.argv[2]
        ctx = multiprocessing.get_context(method)
        if kind == "pool":
            with ctx.Pool(4) as pool:
                assert pool.map(work, range(200), chunksize=1) == [2 * i for i in range(200)]
        else:
            with concurrent.futures.ProcessPoolExecutor(4, mp_context=ctx) as ex:
                assert list(ex.map(work, range(200))) == [2 * i for i in range(200)]

    if __name__ == "__main__":
        main()
""")


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
@pytest.mark.parametrize("kind", ["pool", "executor"])
def test_every_worker_call_is_in_the_logs(tmp_path, method, kind):
    run_script(tmp_path, POOL, method, kind, argtrace_run=True, timeout=120)
    paths = sorted(glob.glob(str(tmp_path / "run*.atr")))
    try:
        log = argtrace.load(paths)
    except ValueError as e:  # say which file and what it holds (seen rarely under load)
        sizes = {os.path.basename(p): os.path.getsize(p) for p in paths}
        raise AssertionError("%s; files and sizes: %s" % (e, sizes)) from e
    xs = sorted(c.args["x"] for c in log.calls("work"))
    assert xs == list(range(200)), (len(xs), paths)
    # every log is closed, also those of the workers Pool.terminate() ended with SIGTERM
    assert [p for p in paths if not argtrace.load(p).closed] == []
    # every child log is linked to the parent's
    uids = {argtrace.load(p).processes[0].uid for p in paths}
    for p in paths:
        proc = argtrace.load(p).processes[0]
        if p != str(tmp_path / "run.atr"):
            assert proc.parent_uid in uids


MAIN_POOL = code("""
    import multiprocessing, sys, concurrent.futures

    def square(x):
        return x * x

    if __name__ == "__main__":
        ctx = multiprocessing.get_context(sys.argv[1])
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
            assert list(ex.map(square, range(20))) == [i * i for i in range(20)]
""")


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_trace_main_selects_the_script_in_every_worker(tmp_path, method):
    # A spawn or forkserver worker runs the script as "__mp_main__": `--trace __main__`
    # selected nothing there (no worker call was recorded), and a decorated function of the
    # script was named __mp_main__.f in those logs, __main__.f in the others.
    script = tmp_path / "prog.py"
    script.write_text(MAIN_POOL)
    proc = subprocess.run([sys.executable, "-m", "argtrace", "run", "-q", "-o",
                           str(tmp_path / "run.atr"), "--trace", "__main__", str(script), method],
                          cwd=tmp_path, env=subprocess_env(), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    log = argtrace.load(sorted(glob.glob(str(tmp_path / "run*.atr"))))
    assert sorted(c.args["x"] for c in log.calls("__main__.square")) == list(range(20))
    assert {c.function for c in log.calls()} == {"__main__.square"}


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_decorated_function_of_the_script_keeps_its_name_in_workers(tmp_path, method):
    run_script(tmp_path, POOL, method, "executor", argtrace_run=True, timeout=120)
    log = argtrace.load(sorted(glob.glob(str(tmp_path / "run*.atr"))))
    assert {c.function for c in log.calls()} == {"__main__.work"}
    assert len(list(log.calls("__main__.work"))) == 200


NESTED = PRELUDE + code("""
    import multiprocessing

    @argtrace.trace
    def leaf(x):
        return x + 1

    @argtrace.trace
    def child(method, x):
        p = multiprocessing.get_context(method).Process(target=leaf, args=(x + 10,))
        p.start()
        p.join()
        return leaf(x)

    if __name__ == "__main__":
        method = sys.argv[1]
        p = multiprocessing.get_context(method).Process(target=child, args=(method, 1))
        p.start()
        p.join()
        assert p.exitcode == 0
""")


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_a_childs_own_children_are_traced_too(tmp_path, method):
    """A process started by a traced child (a pool inside a pool worker, a Process started
    by a Process) logs its calls too, linked to that child's log: found with spawn, where
    the child's session started without patching Process.start (its grandchild ran
    untraced)."""
    run_script(tmp_path, NESTED, method, argtrace_run=True, timeout=120)
    paths = sorted(glob.glob(str(tmp_path / "run*.atr")))
    assert len(paths) == 3, paths
    procs = {p: argtrace.load(p).processes[0] for p in paths}
    leafs = {p: [c.args["x"] for c in argtrace.load(p).calls("leaf")] for p in paths}
    kids = [p for p in paths if argtrace.load(p).calls("child")]
    assert len(kids) == 1 and leafs[kids[0]] == [1]
    grand = [p for p in paths if leafs[p] == [11]]
    assert len(grand) == 1
    assert procs[grand[0]].parent_uid == procs[kids[0]].uid
    assert procs[kids[0]].parent_uid == procs[str(tmp_path / "run.atr")].uid
