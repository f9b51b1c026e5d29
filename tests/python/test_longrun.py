"""Long-running processes: rotation (max_size, keep), sampling of top-level calls, and
recording toggled by a signal or pause()/resume(). Every file of a rotated log stands alone
and the set reads as one log; sampled counts are scaled and marked as estimates; a paused
stretch records nothing and the log says so."""

import glob
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import argtrace
from argtrace import _core
from atr_helpers import run_python, subprocess_env

UNKNOWN_SPANS = 0x8  # ATR_FILE_UNKNOWN_SPANS


@argtrace.trace
def leaf(i, text):
    return i + len(text)


@argtrace.trace
def top(i):
    return leaf(i, "x" * 40) + leaf(i + 1, "y" * 20)


@argtrace.trace
def outer(n, pause_every):
    """A call that spans several files: its children are written across rotations."""
    total = 0
    for i in range(n):
        total += top(i)
        if i % pause_every == 0:
            time.sleep(0.003)  # let flush cycles (1 ms) run: the file fills and rotates
    return total


def records(path):
    return list(_core.read_records(str(path)))


def parts_of(path):
    return sorted(glob.glob(str(path) + "*"), key=lambda p: int(p.rsplit(".", 1)[1])
                  if p.rsplit(".", 1)[1].isdigit() else 0)


def file_flags(log):
    ix = log._index()
    return [ix.file(i)["flags"] for i in range(ix.info()["n_files"])]


def test_rotation_files_stand_alone_and_the_set_is_one_log(tmp_path):
    path = tmp_path / "app.atr"
    argtrace.start(path, max_size=4096, flush_interval_ms=1)
    outer(3000, 50)
    for i in range(500):
        top(i)
    argtrace.stop()
    files = parts_of(path)
    assert len(files) >= 4, files
    assert files[0] == str(path) and files[1] == str(path) + ".1"
    uid = None
    for k, f in enumerate(files):
        recs = records(f)  # decodes alone: header, PROCESS first, complete frames
        assert recs[0]["kind"] == "process" and recs[0]["part"] == k
        uid = uid or recs[0]["uid"]
        assert recs[0]["uid"] == uid
        assert recs[-1]["kind"] == "end_of_log"  # every file is closed
        kinds = {r["kind"] for r in recs}
        if "start" in kinds:  # a file's calls name functions it defines itself
            assert "function" in kinds
    # each file alone loads in the engine (the later ones name spans begun earlier); every
    # call starts in exactly one of them
    assert sum(len(argtrace.load(f)) for f in files[1:]) + len(
        [r for r in records(files[0]) if r["kind"] == "start"]) == 1 + 3500 + 7000
    log = argtrace.load(path)  # the first name stands for the set
    assert log.parts == [(0, len(files))]
    names = [c.function for c in log.calls()]
    assert names.count("test_longrun.outer") == 1
    assert names.count("test_longrun.top") == 3500  # no call lost across files
    assert names.count("test_longrun.leaf") == 7000
    o = next(c for c in log.calls() if c.function == "test_longrun.outer")
    assert len(o.children) == 3000 and o.finished  # one tree across the files
    assert not any(fl & UNKNOWN_SPANS for fl in file_flags(log))
    # the directory and a glob read the same set
    for other in (argtrace.load(tmp_path), argtrace.load(str(path) + "*")):
        assert len(other) == len(log) and other.parts == log.parts


def test_keep_deletes_the_oldest_files(tmp_path):
    path = tmp_path / "app.atr"
    argtrace.start(path, max_size=4096, keep=2, flush_interval_ms=1)
    outer(3000, 50)
    argtrace.stop()
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 2, files
    last = max(int(f.rsplit(".", 1)[1]) for f in files)
    assert files == sorted(["app.atr.%d" % (last - 1), "app.atr.%d" % last])
    log = argtrace.load(path)  # the first file is gone: its name still finds the set
    assert log.parts == [(last - 1, 2)]
    calls = log.calls()
    assert 0 < len(calls) < 9001
    flags = file_flags(log)
    assert flags[0] & 0x100  # ATR_FILE_PARTS_MISSING


def test_a_new_run_removes_an_earlier_runs_later_files(tmp_path):
    path = tmp_path / "app.atr"
    argtrace.start(path, max_size=4096, flush_interval_ms=1)
    outer(2000, 50)
    argtrace.stop()
    assert os.path.exists(str(path) + ".2")
    argtrace.start(path, max_size=1 << 20)
    top(1)
    argtrace.stop()
    assert sorted(os.listdir(tmp_path)) == ["app.atr"]
    assert len(argtrace.load(path)) == 3


def test_forked_child_logs_rotate_too(tmp_path):
    path = tmp_path / "app.atr"
    argtrace.start(path, max_size=4096, flush_interval_ms=1)
    top(0)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            outer(2000, 50)
            argtrace.stop()
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    top(1)
    argtrace.stop()
    child = [f for f in os.listdir(tmp_path) if ".%d." % pid in f]
    assert len(child) >= 3, child  # the child's own log rotated: <stem>.<pid>.<hex>.atr.N
    base = [f for f in child if f.endswith(".atr")]
    assert len(base) == 1 and all(f.startswith(base[0]) for f in child)
    log = argtrace.load(tmp_path)  # the directory: parent and child, each joined
    assert len(log.processes) == 2
    names = [c.function for c in log.calls()]
    assert names.count("test_longrun.outer") == 1
    assert names.count("test_longrun.top") == 2 + 2000
    o = next(c for c in log.calls() if c.function == "test_longrun.outer")
    assert len(o.children) == 2000


def test_sampling_count_mode_exact_counts_and_scaled_totals(tmp_path):
    path = tmp_path / "s.atr"
    argtrace.start(path, sample=0.25)
    for i in range(1000):
        top(i)
    argtrace.stop()
    recs = records(path)
    samp = [r for r in recs if r["kind"] == "sampling"]
    assert samp and samp[0]["rate"] == 0.25 and samp[0]["mode"] == "count"
    log = argtrace.load(path)
    names = [c.function for c in log.calls()]
    assert names.count("test_longrun.top") == 250  # the first, then every 4th
    assert names.count("test_longrun.leaf") == 500  # with their whole subtrees
    assert log.sample_rates == [0.25]
    stats = {s.name: s for s in log.functions()}
    t = stats["test_longrun.top"]
    assert t.estimated and t.calls == 1000 and t.recorded_calls == 250
    assert t.total_ns == t.recorded_total_ns * 4 and t.self_ns == t.recorded_self_ns * 4
    assert stats["test_longrun.leaf"].calls == 2000
    # the viewer: estimates marked ~, --recorded the recorded figures, JSON both
    out = run_python(["-m", "argtrace", "summary", str(path)])
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if "test_longrun.top" in line)
    assert "~1,000" in row
    assert "sampled log" in out.stderr and "estimates" in out.stdout
    raw = run_python(["-m", "argtrace", "summary", "--recorded", str(path)])
    row = next(line for line in raw.stdout.splitlines() if "test_longrun.top" in line)
    assert " 250 " in row and "~" not in row
    js = run_python(["-m", "argtrace", "summary", "--json", str(path)])
    import json
    top_js = next(r for r in json.loads(js.stdout) if r["function"] == "test_longrun.top")
    assert top_js["calls"] == 1000 and top_js["recorded_calls"] == 250 and top_js["estimated"]
    slow = run_python(["-m", "argtrace", "slow", str(path), "test_longrun.top"])
    assert "~1,000 calls" in slow.stdout and "250 recorded" in slow.stdout


def test_sampling_random_mode_is_seeded_and_near_the_rate(tmp_path):
    counts = []
    for run in range(2):
        path = tmp_path / ("r%d.atr" % run)
        argtrace.start(path, sample=0.3, sample_mode="random", sample_seed=1234)
        for i in range(2000):
            top(i)
        argtrace.stop()
        names = [c.function for c in argtrace.load(path).calls()]
        n = names.count("test_longrun.top")
        assert names.count("test_longrun.leaf") == 2 * n  # subtrees whole
        counts.append(n)
    assert counts[0] == counts[1]  # the same seed, the same calls
    # 2000 * 0.3 = 600, sd ~20.5: 6 sd either way
    assert 477 <= counts[0] <= 723, counts
    samp = [r for r in records(tmp_path / "r0.atr") if r["kind"] == "sampling"][0]
    assert samp["mode"] == "random" and samp["seed"] == 1234


def test_pause_resume_records_only_while_on(tmp_path):
    path = tmp_path / "p.atr"
    argtrace.start(path)
    for i in range(10):
        top(i)
    argtrace.pause()
    for i in range(7):
        top(i)
    argtrace.resume()
    for i in range(5):
        top(i)
    argtrace.stop()
    log = argtrace.load(path)
    names = [c.function for c in log.calls()]
    assert names.count("test_longrun.top") == 15 and names.count("test_longrun.leaf") == 30
    assert log.pauses[0][0] == 1 and log.pauses[0][1] > 0
    recs = [r for r in records(path) if r["kind"] == "recording"]
    assert [r["on"] for r in recs] == [False, True]


def test_pause_inside_a_call_keeps_its_end(tmp_path):
    path = tmp_path / "p.atr"

    @argtrace.trace
    def service():
        top(1)
        argtrace.pause()
        top(2)  # not recorded
        argtrace.resume()
        top(3)
        return 7

    argtrace.start(path)
    service()
    argtrace.stop()
    log = argtrace.load(path)
    s = next(c for c in log.calls() if c.function.endswith("service"))
    assert s.finished and s.result == 7
    assert [c.args["i"] for c in s.children] == [1, 3]


SERVICE = textwrap.dedent("""
    import os, sys
    import argtrace

    @argtrace.trace
    def work(i):
        return i * 2

    for phase in range(3):
        for i in range(100):
            work(i)
        sys.stdout.write("phase %d\\n" % phase)
        sys.stdout.flush()
        sys.stdin.readline()
""")


def test_toggle_signal_in_a_running_service(tmp_path):
    script = tmp_path / "svc.py"
    script.write_text(SERVICE)
    path = tmp_path / "svc.atr"
    proc = subprocess.Popen([sys.executable, "-m", "argtrace", "run", "-q", "-o", str(path),
                             "--toggle-signal", "SIGUSR2", str(script)], cwd=tmp_path,
                            env=subprocess_env(), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "phase 0\n"
        os.kill(proc.pid, signal.SIGUSR2)  # off
        time.sleep(0.05)  # the handler has run by the time the program reads its input
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "phase 1\n"
        os.kill(proc.pid, signal.SIGUSR2)  # on again
        time.sleep(0.05)
        proc.stdin.write("\n\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out == "phase 2\n"
    log = argtrace.load(path)
    args = [c.args["i"] for c in log.calls()]
    assert len(args) == 200 and args == list(range(100)) * 2  # phases 0 and 2 only
    # the gap: one pause, its length from the signals' own times (order of magnitude only)
    assert log.pauses[0][0] == 1 and 0 < log.pauses[0][1] < 60 * 10**9
    assert [r["on"] for r in records(path) if r["kind"] == "recording"] == [False, True]
    view = run_python(["-m", "argtrace", "summary", str(path)])
    assert "recording was paused 1 time" in view.stderr


@pytest.mark.parametrize("args, message", [
    (["--max-size", "0"], "--max-size: max_size must be at least 4096 bytes"),
    (["--max-size", "10x"], "--max-size: bad max_size"),
    (["--max-size", "1M", "--keep", "-1"], "--keep: keep must be at least 1"),
    (["--keep", "3"], "--keep needs --max-size"),
    (["--sample", "2"], "--sample: sample must be a fraction in (0, 1]"),
    (["--sample", "0"], "--sample: sample must be a fraction in (0, 1]"),
    (["--sample", "0.5", "--sample-mode", "often"], "--sample-mode: sample_mode must be"),
    (["--toggle-signal", "SIGNOPE"], "--toggle-signal: unknown signal 'SIGNOPE'"),
    (["--toggle-signal", "SIGKILL"], "cannot toggle recording"),
])
def test_bad_values_give_one_line_errors(tmp_path, args, message):
    script = tmp_path / "p.py"
    script.write_text("print('ran')\n")
    out = run_python(["-m", "argtrace", "run"] + args + [str(script)], cwd=tmp_path)
    assert out.returncode == 2
    assert out.stdout == ""  # the program did not run
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0], out.stderr
    assert os.listdir(tmp_path) == ["p.py"]  # no log created


@pytest.mark.parametrize("options, message", [
    ({"max_size": 0}, "max_size must be at least 4096"),
    ({"max_size": 4096, "keep": 0}, "keep must be at least 1"),
    ({"keep": 2}, "keep needs max_size"),
    ({"sample": 1.5}, "sample must be a fraction"),
    ({"sample": 0.5, "sample_mode": "sometimes"}, "sample_mode must be"),
    ({"toggle_signal": "SIGSTOP"}, "cannot toggle recording"),
])
def test_start_refuses_bad_values(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        argtrace.start(tmp_path / "x.atr", **options)
    assert not argtrace.active() and os.listdir(tmp_path) == []


class Counted:
    """An object whose repr() counts its calls: captured means repr() ran."""
    reprs = 0

    def __repr__(self):
        Counted.reprs += 1
        return "Counted()"


def test_unrecorded_calls_capture_nothing(tmp_path):
    """Paused, sampled out, or under a sampled-out call: the arguments are not captured (no
    repr() runs), and the program's results are unchanged."""
    @argtrace.trace(repr=True)
    def take(obj, depth):
        return take(obj, depth - 1) + 1 if depth else 0

    argtrace.start(tmp_path / "a.atr", capture_repr=True)
    Counted.reprs = 0
    assert take(Counted(), 2) == 2
    recorded = Counted.reprs
    assert recorded == 3  # one per call, each captured
    argtrace.pause()
    assert take(Counted(), 2) == 2
    argtrace.resume()
    argtrace.stop()
    assert Counted.reprs == recorded

    argtrace.start(tmp_path / "b.atr", capture_repr=True, sample=0.5)
    Counted.reprs = 0
    for _ in range(4):
        assert take(Counted(), 2) == 2
    argtrace.stop()
    assert Counted.reprs == 2 * 3  # the 1st and 3rd trees, whole; the others not at all
    log = argtrace.load(tmp_path / "b.atr")
    assert len(log) == 6


def test_unrecorded_calls_capture_nothing_after_inline_values(tmp_path):
    """Ints before an object (as a decorator capturing scalars inline before asking whether
    the call is recorded would see them): the object is not captured when paused or sampled
    out."""
    @argtrace.trace(repr=True)
    def take(depth, obj):
        return take(depth - 1, obj) + 1 if depth else 0

    argtrace.start(tmp_path / "a.atr", capture_repr=True)
    Counted.reprs = 0
    assert take(2, Counted()) == 2
    assert Counted.reprs == 3
    argtrace.pause()
    assert take(2, Counted()) == 2
    argtrace.resume()
    argtrace.stop()
    assert Counted.reprs == 3
    assert len(argtrace.load(tmp_path / "a.atr")) == 3

    argtrace.start(tmp_path / "b.atr", capture_repr=True, sample=0.5)
    Counted.reprs = 0
    for _ in range(4):
        assert take(2, Counted()) == 2
    argtrace.stop()
    assert Counted.reprs == 2 * 3
    assert len(argtrace.load(tmp_path / "b.atr")) == 6


def test_unrecorded_filter_traced_calls_capture_nothing(tmp_path, monkeypatch):
    """Filter tracing as the decorator above: paused or sampled out, a selected function's
    arguments are not captured (no repr() runs). Its fast path captured them first and only
    then learned from the writer that the call was not recorded."""
    import importlib
    (tmp_path / "atr_unrec_mod.py").write_text(
        "def take(obj, depth):\n"
        "    return take(obj, depth - 1) + 1 if depth else 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("atr_unrec_mod")
    argtrace.start(tmp_path / "a.atr", capture_repr=True, trace=["atr_unrec_mod"])
    Counted.reprs = 0
    assert mod.take(Counted(), 2) == 2
    assert Counted.reprs == 3  # recorded: one per call, each captured
    argtrace.pause()
    assert mod.take(Counted(), 2) == 2
    argtrace.resume()
    argtrace.stop()
    assert Counted.reprs == 3

    argtrace.start(tmp_path / "b.atr", capture_repr=True, sample=0.5, trace=["atr_unrec_mod"])
    Counted.reprs = 0
    for _ in range(4):
        assert mod.take(Counted(), 2) == 2
    argtrace.stop()
    assert Counted.reprs == 2 * 3  # the 1st and 3rd trees, whole; the others not at all
    assert len(argtrace.load(tmp_path / "b.atr")) == 6


def test_rotation_with_threads_loses_no_call(tmp_path):
    """Threads switch to the new file on their next record (an idle one later than the
    others); every call of every thread is in the set, trees whole, no unknown span."""
    import threading
    path = tmp_path / "t.atr"
    argtrace.start(path, max_size=4096, flush_interval_ms=1)
    top(-1)  # the main thread records, then stays idle across many rotations

    def worker(k):
        for i in range(2000):
            top(i)
            if i % 100 == 0:
                time.sleep(0.002)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    top(-2)
    argtrace.stop()
    files = parts_of(path)
    assert len(files) >= 4, files
    for f in files:
        assert records(f)[-1]["kind"] == "end_of_log"
    log = argtrace.load(path)
    names = [c.function for c in log.calls()]
    assert names.count("test_longrun.top") == 8002
    assert names.count("test_longrun.leaf") == 16004
    assert all(len(c.children) == 2 for c in log.calls() if c.function == "test_longrun.top")
    assert not any(fl & UNKNOWN_SPANS for fl in file_flags(log))
    assert len(log.threads) == 5


ROTATING = textwrap.dedent("""
    import time
    import argtrace

    @argtrace.trace
    def work(i):
        return i * 2

    for i in range(6000):
        work(i)
        if i % 500 == 0:
            time.sleep(0.02)
""")


def test_run_names_the_files_and_cat_reads_them_in_order(tmp_path):
    script = tmp_path / "rot.py"
    script.write_text(ROTATING)
    out = run_python(["-m", "argtrace", "run", "--max-size", "4K", "--flush-interval", "5",
                      "-o", "rot.atr", str(script)], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    later = sorted((f for f in os.listdir(tmp_path) if f.startswith("rot.atr.")),
                   key=lambda f: int(f.rsplit(".", 1)[1]))
    assert later, os.listdir(tmp_path)
    assert "log written to rot.atr and rot.atr.1" in out.stderr
    cat = run_python(["-m", "argtrace", "cat", "rot.atr"], cwd=tmp_path)
    heads = [ln for ln in cat.stdout.splitlines() if ln.startswith("==> ")]
    assert heads == ["==> rot.atr <=="] + ["==> %s <==" % f for f in later]
    summary = run_python(["-m", "argtrace", "summary", "--json", "rot.atr"], cwd=tmp_path)
    import json
    assert json.loads(summary.stdout)[0]["calls"] == 6000


def test_forked_child_after_many_parent_calls_keeps_its_tree(tmp_path):
    """Regression: a thread's span numbers continue from its SYNC (a forked child, a rotated
    log's later file); a reader that mapped them from 0 found a few records naming span
    100,000+ too far out and reported every span of the child as unknown."""
    path = tmp_path / "f.atr"
    argtrace.start(path)
    for i in range(35000):
        top(i)  # 105,000 spans in the parent
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            outer(3, 1000)
            argtrace.stop()
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    argtrace.stop()
    child = [f for f in os.listdir(tmp_path) if ".%d." % pid in f]
    assert len(child) == 1
    log = argtrace.load(tmp_path / child[0])
    o = only_call(log, "test_longrun.outer")
    assert len(o.children) == 3 and all(len(c.children) == 2 for c in o.children)
    assert not any(fl & UNKNOWN_SPANS for fl in file_flags(log))


def only_call(log, name):
    calls = [c for c in log.calls() if c.function == name]
    assert len(calls) == 1
    return calls[0]


# A traced multiprocessing child toggles with its parent's signal. The parent signals the
# child, then tells it to go on through a pipe: the signal is pending before the message is
# sent, so the child has handled it before it reads the message (no timing). A child without
# the handler would die of the signal (SIGUSR2's default action).
TOGGLED_CHILD = textwrap.dedent("""
    import multiprocessing as mp, os, signal, sys
    import argtrace
    from argtrace import _core

    @argtrace.trace
    def work(i):
        return i * 2

    def child(conn):
        for i in range(4):
            conn.recv()
            work(i)
            argtrace.flush()
            conn.send(_core.toggle_recording())

    if __name__ == "__main__":
        if sys.argv[2] == "start":
            argtrace.start(sys.argv[3], toggle_signal="SIGUSR2")
        ctx = mp.get_context(sys.argv[1])
        here, there = ctx.Pipe()
        p = ctx.Process(target=child, args=(there,))
        p.start()
        there.close()  # a child that dies ends the pipe
        states = []
        try:
            for i in range(4):
                if i in (1, 2):  # off before work(1), on again before work(2)
                    os.kill(p.pid, signal.SIGUSR2)
                here.send("go")
                states.append(here.recv())
        except (EOFError, OSError):
            pass
        p.join()
        print(p.exitcode, states, p.pid)
        if sys.argv[2] == "start":
            argtrace.stop()
""")


@pytest.mark.parametrize("method, entry", [("spawn", "run"), ("forkserver", "run"),
                                           ("fork", "run"), ("spawn", "start"),
                                           ("spawn", "paused"), ("fork", "paused")])
def test_toggle_signal_reaches_multiprocessing_children(tmp_path, method, entry):
    script = tmp_path / "toggled.py"
    script.write_text(TOGGLED_CHILD)
    path = tmp_path / "t.atr"
    if entry != "start":
        cmd = ["-m", "argtrace", "run", "-q", "-o", str(path), "--toggle-signal", "SIGUSR2",
               str(script), method, entry]
        if entry == "paused":  # the child starts as its parent is: paused
            cmd[8:8] = ["--start-paused"]
    else:
        cmd = [str(script), method, entry, str(path)]
    res = run_python(cmd, cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stderr
    line = res.stdout.strip().splitlines()[-1]
    exitcode, rest = line.split(" ", 1)
    states, pid = rest.rsplit(" ", 1)
    child = glob.glob(str(tmp_path / ("t.%s.*.atr" % pid)))
    assert len(child) == 1, os.listdir(tmp_path)
    log = argtrace.load(child[0])
    work = [c.args["i"] for c in log.calls() if c.function.endswith("work")]
    if entry == "paused":
        assert (exitcode, states) == ("0", "[False, True, False, False]"), res.stdout
        assert work == [1]
    else:
        assert (exitcode, states) == ("0", "[True, False, True, True]"), res.stdout
        assert work == [0, 2, 3]
        assert [r["on"] for r in records(child[0]) if r["kind"] == "recording"] == [False, True]
