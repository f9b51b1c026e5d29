"""Compensation for the tracer's own cost (CALIBRATION record, docs/FORMAT.md 3.12).

The arithmetic is checked exactly on a log of known times written here with stock msgpack
and zstd (an injected calibration: real timing is never asserted). The real measurement is
checked for what it must guarantee: a sane record in the log per mechanism, nothing of the
calibration in the user's log or on disk, nothing of the program's state changed. Its
accuracy on a real workload is measured by bench/bench_compensation.py.
"""

import json
import os
import struct
import subprocess
import sys
import threading
import time

import pytest

import argtrace
from argtrace import _core

msgpack = pytest.importorskip("msgpack")
zstandard = pytest.importorskip("zstandard")

SPAN0 = 1 << 40  # thread 0's span ids: SPAN0 + sequence number

# The synthetic run: N children of 100 ns each, 50 ns of loop between them, then 1 ms of work
# in the parent itself. The tracer costs OUTER ns before each START and INNER ns after it.
N, BODY, GAP, BUSY, OUTER, INNER = 20000, 100, 50, 1_000_000, 60, 40
UNTRACED_PARENT = N * (GAP + BODY) + BUSY


def write_log(path, calibration=None):
    """A log of the synthetic traced run, as the tracer would have recorded it."""
    recs = [
        [1, {"format": 1, "pid": 1, "host": "h", "argv": [], "runtime": "test", "tool": "test",
             "clock_ns": 0, "wall_ns": 0, "uid": 7}],
        [2, 0, "wl", "parent", "wl.py", 1, ["n"], 0],
        [2, 1, "wl", "child", "wl.py", 5, ["i"], 0],
        [4, 0],
        [3, 1, "MainThread"],
        [5, 1000, 0, 0, [N]],  # parent starts at 1000
    ]
    dt_next = INNER
    for i in range(N):
        recs.append([5, dt_next + GAP + OUTER, SPAN0 + 1, 1, [i]])
        if i == 1:  # a message 30 ns into the second child
            recs.append([7, INNER + 30, 1, "msg", {}])
            recs.append([6, BODY - 30, 1, 0, i])
        else:
            recs.append([6, INNER + BODY, 1, 0, i])
        dt_next = 0
    recs.append([6, BUSY, SPAN0 + 1, 2])
    if calibration:
        recs.append([13, calibration])
    recs.append([10, 10 ** 9])
    body = b"".join(msgpack.packb(r) for r in recs)
    frame = zstandard.ZstdCompressor(write_content_size=True, write_checksum=True).compress(body)
    header = struct.pack("<II4sHH", 0x184D2A5A, 8, b"ATRC", 1, 1)
    with open(path, "wb") as f:
        f.write(header + frame)
    raw_parent = INNER + N * (GAP + OUTER + INNER + BODY) + BUSY
    return raw_parent


CAL = {"mechanism": "monitoring", "call_ns": OUTER + INNER, "inner_ns": INNER, "samples": 1}


def test_exact_compensation_of_known_times(tmp_path):
    path = str(tmp_path / "known.atr")
    raw_parent = write_log(path, CAL)
    log = argtrace.load(path, compensate=True)
    assert log.compensated and log.calibrations[0]["call_ns"] == OUTER + INNER
    parent = log.calls("wl.parent")[0]
    # each child costs its ancestor its whole cost, the parent loses its own inner part
    assert parent.duration_ns == raw_parent - N * (OUTER + INNER) - INNER == UNTRACED_PARENT
    assert parent.self_ns == N * GAP + BUSY
    children = log.calls("wl.child")
    assert len(children) == N and {c.duration_ns for c in children} == {BODY}
    assert all(parent.start_ns <= c.start_ns and c.end_ns <= parent.end_ns for c in children)
    (msg,) = log.messages()
    assert msg.time_ns == children[1].start_ns + 30  # moved with its call

    raw = argtrace.load(path)  # the default: as recorded
    assert not raw.compensated
    rparent = raw.calls("wl.parent")[0]
    assert rparent.duration_ns == raw_parent and rparent.start_ns == 1000
    assert {c.duration_ns for c in raw.calls("wl.child")} == {INNER + BODY}
    rchild = raw.calls("wl.child")[1]
    assert next(raw.messages()).time_ns == rchild.start_ns + INNER + 30


def test_log_without_calibration_is_unchanged(tmp_path):
    path = str(tmp_path / "plain.atr")
    raw_parent = write_log(path)
    log = argtrace.load(path, compensate=True)
    assert not log.compensated and log.calibrations == [None]
    assert log.calls("wl.parent")[0].duration_ns == raw_parent


def test_not_measured_calibration_changes_nothing(tmp_path):
    path = str(tmp_path / "zero.atr")
    raw_parent = write_log(path, {"mechanism": "eval", "call_ns": 0, "inner_ns": 0,
                                  "samples": 0})
    assert argtrace.load(path, compensate=True).calls("wl.parent")[0].duration_ns == raw_parent


def viewer(capfd, *argv):
    from argtrace import cli
    code = cli.main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


@pytest.mark.skipif(not hasattr(_core, "viewer_main"), reason="viewer not built")
def test_viewer_compensates_on_request(tmp_path, capfd):
    path = str(tmp_path / "known.atr")
    raw_parent = write_log(path, CAL)
    code, out, err = viewer(capfd, "summary", path, "--json", "--compensate")
    assert code == 0
    rows = {r["function"]: r for r in json.loads(out)}
    assert rows["wl.parent"]["total_ns"] == UNTRACED_PARENT
    assert rows["wl.parent"]["self_ns"] == N * GAP + BUSY
    assert rows["wl.child"]["p50_ns"] == BODY
    assert "compensated for the tracer's cost (100 ns per traced call, monitoring)" in err
    for flags in ((), ("--raw",), ("--compensate", "--raw")):  # the default; the last wins
        code, out, err = viewer(capfd, "summary", path, "--json", *flags)
        assert code == 0 and "compensated" not in err
        assert {r["function"]: r for r in json.loads(out)}["wl.parent"]["total_ns"] == raw_parent
    code, out, err = viewer(capfd, "cat", path)
    assert 'CALIBRATION mechanism="monitoring" call_ns=100 inner_ns=40 samples=1' in out or \
        "CALIBRATION mechanism='monitoring' call_ns=100 inner_ns=40 samples=1" in out
    for cmd in (["tree", path, "wl.parent", "--depth", "0"], ["calls", path, "wl.parent"]):
        code, out, err = viewer(capfd, *cmd, "--compensate")
        assert code == 0 and "4.00 ms" in out and "6.00 ms" not in out, out
        code, out, err = viewer(capfd, *cmd)
        assert code == 0 and "6.00 ms" in out and "4.00 ms" not in out, out


# --- the real measurement ----------------------------------------------------------------

def calibrations(path):
    return [r for r in _core.read_records(path) if r["kind"] == "calibration"]


def names(path):
    return {r["qualname"].rpartition(".")[2] for r in _core.read_records(path)
            if r["kind"] == "function"}


def check_sane(rec):
    assert rec["samples"] > 0
    assert 0 < rec["call_ns"] < 1_000_000  # between a ns and a ms: orders of magnitude only
    assert 0 <= rec["inner_ns"] <= rec["call_ns"]


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    d = tmp_path / "tmpdir"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    return d


def test_decorator_session_records_its_calibration(tmp_path, private_tmp, capfd):
    @argtrace.trace
    def leaf(i):
        return i + 1

    path = str(tmp_path / "deco.atr")
    before = (sys.getswitchinterval(), sys.getprofile(), sys.gettrace())
    argtrace.start(path)
    assert [leaf(i) for i in range(100)] == list(range(1, 101))
    argtrace.stop()
    assert (sys.getswitchinterval(), sys.getprofile(), sys.gettrace()) == before
    assert capfd.readouterr() == ("", "")
    (rec,) = calibrations(path)
    assert rec["mechanism"] == "decorator"
    check_sane(rec)
    assert names(path) == {"leaf"}  # nothing of the calibration's own calls
    assert os.listdir(private_tmp) == []  # its private log is gone
    log = argtrace.load(path, compensate=True)
    raw = argtrace.load(path)
    assert log.compensated and not raw.compensated
    for c, r in zip(log.calls(), raw.calls()):
        assert c.duration_ns <= r.duration_ns and c.start_ns <= r.start_ns


def test_measure_directly():
    res = _core._calibrate("decorator")
    check_sane(res)
    with pytest.raises(RuntimeError):
        _core._calibrate("monitoring")  # no filter tracing running


@pytest.mark.skipif(not hasattr(_core, "filter_start"), reason="filter tracing not built")
def test_filter_session_records_its_backend(tmp_path, private_tmp, capfd):
    mod = tmp_path / "calwl.py"
    mod.write_text("def child(i):\n    return i\n\n"
                   "def parent(n):\n    s = 0\n    for i in range(n):\n        s += child(i)\n"
                   "    return s\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import calwl
        path = str(tmp_path / "filt.atr")
        argtrace.start(path)
        _core.filter_start(["calwl.*"])
        backend = _core.filter_backend()
        assert calwl.parent(200) == sum(range(200))
        _core.filter_stop()
        argtrace.stop()
        assert sys.getprofile() is None and capfd.readouterr() == ("", "")
        recs = {r["mechanism"]: r for r in calibrations(path)}
        assert set(recs) == {backend}  # it governs: no time spent on the decorator's
        check_sane(recs[backend])
        assert names(path) == {"parent", "child"}
        assert os.listdir(private_tmp) == []
        log = argtrace.load(path, compensate=True)
        assert log.calibrations[0]["mechanism"] == backend and log.compensated

        # with a minimum duration the calls it drops cost time the log cannot place:
        # recorded as not measured, and nothing is compensated
        path2 = str(tmp_path / "mind.atr")
        argtrace.start(path2)
        _core.filter_start(["calwl.*"], min_duration_ns=1)
        calwl.parent(10)
        _core.filter_stop()
        argtrace.stop()
        recs = {r["mechanism"]: r for r in calibrations(path2)}
        assert recs[backend]["call_ns"] == 0 and recs[backend]["samples"] == 0
        assert not argtrace.load(path2, compensate=True).compensated

        # an injected test clock: its times are not real, the real cost would not fit them
        path3 = str(tmp_path / "clock.atr")
        argtrace.start(path3)
        _core.filter_start(["calwl.*"], clock=lambda: 1000)
        calwl.parent(10)
        _core.filter_stop()
        argtrace.stop()
        recs = {r["mechanism"]: r for r in calibrations(path3)}
        assert recs[backend]["call_ns"] == 0
        assert not argtrace.load(path3, compensate=True).compensated
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("calwl", None)


# --- the per-call model (FORMAT.md 3.13) --------------------------------------------------

MODEL_KEYS = {"base_ns", "scalar_ns", "str_ns", "summary_ns", "gen_ns", "resume_ns",
              "raise_ns", "slow_ppm", "container_ns", "long_str_ns"}
SHAPES = {"leaf", "leaf4", "strs", "objs", "gen0", "gen10", "raise", "tups", "sstrs"}


def test_model_solved_from_shape_costs():
    # leaf = base + 2 scalars; leaf4 = base + 5; sstrs = base + 4 short str + 1 scalar; strs
    # = base + 4 long str (short + long_str) + 1 scalar; objs = base + 4 summaries + 1 scalar;
    # gen0 = base + 2 scalars + gen; gen10 = gen0 + 10 resumes; raise = base + 1 scalar + 1
    # str (its message) + raise; tups = base + (summary + container + 2 scalars) + 4 scalars
    costs = {"leaf": 60, "leaf4": 90, "strs": 130, "objs": 150, "gen0": 200, "gen10": 700,
             "raise": 300, "tups": 185, "sstrs": 90}
    m = _core._calibration_solve(costs, 250000)
    assert m == {"base_ns": 40, "scalar_ns": 10, "str_ns": 10, "summary_ns": 25,
                 "gen_ns": 140, "resume_ns": 50, "raise_ns": 240, "slow_ppm": 250000,
                 "container_ns": 60, "long_str_ns": 10}
    # a shape measured cheaper than the one it builds on gives 0 for its part, never below
    low = dict(costs, leaf4=50, strs=10, gen10=100, tups=70, sstrs=20)
    m = _core._calibration_solve(low)
    assert m["scalar_ns"] == 0 and m["str_ns"] == 0 and m["resume_ns"] == 0
    assert m["container_ns"] == 0 and m["long_str_ns"] == 0
    assert m["base_ns"] == 60 and m["slow_ppm"] == 0
    with pytest.raises(KeyError):
        _core._calibration_solve({"leaf": 1})


SHAPE_ORDER = ("leaf", "leaf4", "strs", "objs", "gen0", "gen10", "raise", "tups", "sstrs")


def test_calibration_slower_than_its_session_start_is_scaled_to_it():
    # A calibration whose untraced loop ran 2x slower than the same loop timed at the
    # session's start (a busy host, for the few ms of the calibration), and the yardstick
    # timed again after it as slow: its costs are scaled by start / that yardstick; within
    # 15% they are kept, and so is one faster than the start (the session may have run at its
    # speed). With the shapes' differences reused (rel), only the leaf is scaled.
    costs = {k: 100 + 10 * i for i, k in enumerate(SHAPE_ORDER)}
    assert _core._calibration_rescale(costs, 0, 40000, 80000) == (costs, 1000000)  # no start
    assert _core._calibration_rescale(costs, 40000, 46000, 80000) == (costs, 1000000)
    assert _core._calibration_rescale(costs, 40000, 20000, 80000) == (costs, 1000000)
    slow, ppm = _core._calibration_rescale(costs, 40000, 90000, 80000)
    assert ppm == 500000  # start / the yardstick again, not the calibration's own loop
    assert slow == {k: (100 + 10 * i) // 2 for i, k in enumerate(SHAPE_ORDER)}
    rel = {k: 7 * i for i, k in enumerate(SHAPE_ORDER)}
    slow, _ = _core._calibration_rescale(costs, 40000, 80000, 80000, rel)
    assert slow == {k: 50 + 7 * i for i, k in enumerate(SHAPE_ORDER)}
    assert _core._calibration_rescale(costs, 40000, 0, 80000)[1] == 1000000  # not measured
    with pytest.raises(KeyError):
        _core._calibration_rescale({"leaf": 1}, 1, 2, 2)


def test_calibration_loop_slow_alone_is_not_scaled():
    # The calibration's own untraced loop 15-32% above the start while the machine was not
    # slow (the yardstick timed again is as fast as at the start): noise and the traced
    # rounds' buffers, not the machine; scaling it compensated such sessions 20-40% too little
    # (bench/bench_compensation.py). Kept as measured.
    costs = {k: 100 + 10 * i for i, k in enumerate(SHAPE_ORDER)}
    for stop in (40000, 44000, 0):
        assert _core._calibration_rescale(costs, 40000, 52800, stop) == (costs, 1000000)


def test_a_session_start_times_the_yardstick(tmp_path):
    # the untraced loop, timed at start() for the calibration at stop(): it is the same loop
    # the calibration times (a machine that slows 2x for seconds keeps them within 3x)
    argtrace.start(str(tmp_path / "y.atr"))
    try:
        now, at_start = _core._calibration_yardstick()
        untraced = _core._calibrate("decorator")["untraced_ps"]
    finally:
        argtrace.stop()
    assert now > 0 and at_start > 0
    assert at_start / 3 < untraced < at_start * 3 and now / 3 < untraced < now * 3
    assert argtrace.load(str(tmp_path / "y.atr")).calls() == []  # its calls are not traced


def test_measurement_reports_the_untraced_loop():
    res = _core._calibrate("decorator")
    assert res["untraced_ps"] > 0  # CPython's own call, ps per call: the yardstick


def test_measurement_reports_every_shape_and_the_model():
    res = _core._calibrate("decorator")
    assert set(res["shapes"]) == SHAPES and set(res["model"]) == MODEL_KEYS
    assert res["call_ns"] == res["shapes"]["leaf"]
    assert res["model"] == _core._calibration_solve(res["shapes"], 0)  # no slowdown measured
    assert res["model"]["slow_ppm"] == 0  # only the profile hook slows untraced code


def test_session_records_the_model(tmp_path, private_tmp):
    @argtrace.trace
    def leaf(i):
        return i

    path = str(tmp_path / "model.atr")
    argtrace.start(path)
    leaf(1)
    argtrace.stop()
    (rec,) = calibrations(path)
    assert MODEL_KEYS <= set(rec)
    log = argtrace.load(path)
    assert set(log.calibrations[0]["model"]) == MODEL_KEYS


def write_model_log(path, model):
    """P(n) calling C(s, t) with a str and a tuple (1, 'x') returning a str, then a generator
    G resumed twice, and C with a 40-byte str raising; times known, the calibration `model`
    injected."""
    def summary(type_name, items):
        return msgpack.ExtType(3, msgpack.packb([type_name, len(items)] + items))
    recs = [
        [1, {"format": 1, "pid": 1, "host": "h", "argv": [], "runtime": "test", "tool": "test",
             "clock_ns": 0, "wall_ns": 0, "uid": 7}],
        [2, 0, "wl", "P", "wl.py", 1, [], 0],
        [2, 1, "wl", "C", "wl.py", 5, ["s", "t"], 0],
        [2, 2, "wl", "G", "wl.py", 9, [], 2],  # flags: generator
        [4, 0],
        [3, 1, "MainThread"],
        [5, 1000, 0, 0, []],                                   # P at 1000
        [5, 1000, 1, 1, ["abc", summary("tuple", [1, "x"])]],  # C at 2000
        [6, 1000, 1, 0, "res"],                                # C returns at 3000
        [5, 1000, 2, 2, []],                                   # G at 4000
        [11, 100, 1],                                          # suspends at 4100
        [12, 200, 1],                                          # resumes at 4200
        [11, 300, 1],                                          # suspends at 4300
        [12, 400, 1],                                          # resumes at 4400
        [6, 1000, 1, 2],                                       # G ends at 5000
        [5, 1000, 3, 1, ["d" * 40, 7]],                        # C at 6000
        [6, 1000, 1, 1, "ValueError", "bad"],                  # raises at 7000
        [6, 1000, 4, 2],                                       # P ends at 8000
        [13, dict({"mechanism": "eval", "call_ns": 100, "inner_ns": 10, "samples": 1}, **model)],
        [10, 10 ** 9],
    ]
    body = b"".join(msgpack.packb(r) for r in recs)
    frame = zstandard.ZstdCompressor(write_content_size=True).compress(body)
    with open(path, "wb") as f:
        f.write(struct.pack("<II4sHH", 0x184D2A5A, 8, b"ATRC", 1, 1) + frame)


def test_model_charges_each_call_its_own_cost(tmp_path):
    path = str(tmp_path / "model.atr")
    model = {"base_ns": 20, "scalar_ns": 1, "str_ns": 3, "summary_ns": 5, "gen_ns": 7,
             "resume_ns": 11, "raise_ns": 13, "slow_ppm": 0, "container_ns": 17,
             "long_str_ns": 19}
    write_model_log(path, model)
    log = argtrace.load(path, compensate=True)
    assert log.calibrations[0]["model"] == model
    p, = log.calls("wl.P")
    c1, c2 = log.calls("wl.C")
    g, = log.calls("wl.G")
    # P: outer 10, inner 10. C1: outer 10 + str 3 + (summary 5 + container 17 (its length is
    # known) + 1 + 3) = 39, inner 10 + str 3.
    # G: outer 10 + 7, inner 10 + 2 resumes x 11. C2: outer 10 + (3 + 19: a str past 32
    # bytes) + 1 + raise 13, inner 10 + message 3
    c1_cost, g_cost, c2_cost = (39, 13), (17, 32), (46, 13)
    assert c1.duration_ns == 1000 - c1_cost[1]
    assert g.duration_ns == 1000 - g_cost[1]
    assert g.active_ns == 800 - g_cost[1]  # ran 100 + 100 + 600 ns: loses its inner part
    assert c2.duration_ns == 1000 - c2_cost[1]
    assert p.duration_ns == 7000 - 10 - sum(map(sum, (c1_cost, g_cost, c2_cost)))
    assert p.start_ns == 990 and c1.start_ns == 2000 - 20 - 39

    raw = argtrace.load(path, compensate=False)
    assert [c.duration_ns for c in raw.calls()] == [7000, 1000, 1000, 1000]

    # a log written before long_str_ns: every str costs str_ns, as its writer measured it
    del model["long_str_ns"]
    write_model_log(path, model)
    p, = argtrace.load(path, compensate=True).calls("wl.P")
    assert p.duration_ns == 7000 - 10 - sum(map(sum, (c1_cost, g_cost, (27, 13))))


def test_model_slowdown_scales_compensated_times(tmp_path):
    path = str(tmp_path / "slow.atr")
    write_model_log(path, {"base_ns": 20, "slow_ppm": 1000000})  # code ran twice as slow
    log = argtrace.load(path, compensate=True)
    p, = log.calls("wl.P")
    # each call costs base 20 (inner 10) and every other part 0: P 7000 - 10 - 3 x 20, halved
    assert p.duration_ns == (7000 - 10 - 60) // 2
    assert p.start_ns == 990


@pytest.mark.skipif(not hasattr(_core, "viewer_main"), reason="viewer not built")
def test_viewer_says_the_model_compensated(tmp_path, capfd):
    path = str(tmp_path / "model.atr")
    write_model_log(path, {"base_ns": 20, "str_ns": 3})
    code, out, err = viewer(capfd, "summary", path, "--json", "--compensate")
    assert code == 0
    assert "compensated for the tracer's cost (per call from 20 ns by what it captured, eval)" \
        in err
    rows = {r["function"]: r for r in json.loads(out)}
    # P loses its inner 10 and 3 calls x base 20 and 5 strs x 3: C1's "abc", "x" (in its
    # tuple), its result "res"; C2's "d" and its message "bad"
    assert rows["wl.P"]["total_ns"] == 7000 - 10 - 3 * 20 - 5 * 3


# A fresh process: the per-process cache of shape costs starts empty.
LATER_SESSIONS = r"""
import json, sys
import argtrace
from argtrace import _core

@argtrace.trace
def leaf(i):
    return i

models = []
for k in range(4):
    path = "%s/s%d.atr" % (sys.argv[1], k)
    argtrace.start(path)
    leaf(k)
    argtrace.stop()
    (rec,) = [r for r in _core.read_records(path) if r["kind"] == "calibration"]
    models.append(rec)
print(json.dumps(models))
"""


def test_later_sessions_reuse_the_shapes(tmp_path, private_tmp):
    # the first stop of a process times every shape; later ones time the leaf alone and
    # reuse the first's differences from it: every part of the model but base_ns repeats.
    # (The first is kept: it no longer runs cold, see test_calibration_writes_warm_memory.)
    out = subprocess.run([sys.executable, "-c", LATER_SESSIONS, str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout
    recs = json.loads(out)
    models = [{key: rec[key] for key in MODEL_KEYS - {"base_ns"}} for rec in recs]
    assert all(rec["samples"] > 0 for rec in recs)
    assert models[0] == models[1] == models[2] == models[3]


FIRST_CALIBRATION = r"""
import json
from argtrace import _core
print(json.dumps(_core._calibrate("decorator")))
"""


def test_calibration_writes_warm_memory(private_tmp):
    # The first calibration of a process, timed on a private session with a 4 MiB buffer,
    # wrote its records into fresh memory: a page fault per 4 KiB (800+ in its timed loops,
    # each ~2 us here), charged to every byte a call captures, so strs, tuples and
    # generators cost it up to twice what they cost a session's recycled buffers. Page
    # faults are counted, not timed: the bound is far from both.
    out = subprocess.run([sys.executable, "-c", FIRST_CALIBRATION], capture_output=True,
                         text=True, check=True).stdout
    res = json.loads(out)
    check_sane(res)
    assert res["faults"] < 300, res


# --- accuracy on a real workload (generous margins: real timing) ---------------------------

ACCURACY_SRC = """
def child(i):
    return i + 1

def parent(n, m):
    for i in range(n):
        child(i)
    s = 0
    for k in range(m):
        s += k
    return s
"""


@pytest.mark.parametrize("mode", ["decorator", "filter"])
def test_compensation_brings_many_tiny_children_near_untraced(tmp_path, private_tmp, mode):
    # A parent of 3,000 tiny traced children: tracing more than doubles its duration; the
    # compensated duration must land much nearer the untraced one (less than half the raw
    # error; the bench, bench/bench_compensation.py, measures how near). The fastest of 9
    # runs of each (the least disturbed: a median of 5 failed once on a loaded machine, its
    # untraced runs slowed), in the median of three sessions (of five: below).
    if mode == "filter" and not hasattr(_core, "filter_start"):
        pytest.skip("filter tracing not built")
    import time
    sys.path.insert(0, str(tmp_path))
    (tmp_path / "accwl.py").write_text(ACCURACY_SRC)
    (tmp_path / "accwl0.py").write_text(ACCURACY_SRC)
    try:
        import accwl
        import accwl0
        if mode == "decorator":
            accwl.child = argtrace.trace(accwl.child)
            accwl.parent = argtrace.trace(accwl.parent)
        runs = []

        def session_ratio(session):  # each session its own calibration (at its stop)
            untraced = []
            path = str(tmp_path / ("acc%d.atr" % session))
            argtrace.start(path)
            if mode == "filter":
                _core.filter_start(["accwl:*"])
            accwl.parent(3000, 3000)  # defines the functions: not counted
            for _ in range(9):
                if mode == "filter":  # untraced means without the backend's hook too
                    _core.filter_stop()
                t0 = time.perf_counter_ns()
                accwl0.parent(3000, 3000)
                untraced.append(time.perf_counter_ns() - t0)
                if mode == "filter":
                    _core.filter_start(["accwl:*"])
                accwl.parent(3000, 3000)
            if mode == "filter":
                _core.filter_stop()
            argtrace.stop()
            raw = min(c.duration_ns for c in argtrace.load(path).calls("accwl.parent")[1:])
            comp = min(c.duration_ns
                       for c in argtrace.load(path, compensate=True).calls("accwl.parent")[1:])
            unt = min(untraced)
            runs.append((abs(comp - unt) / max(raw - unt, 1), raw, comp, unt))

        # the median session: a calibration disturbed by the machine (one in 5-10 on 3.9's
        # decorator, whose traced loops alone ran 1.3-1.7x slow) is one session's error. A
        # machine slow for seconds can disturb two sessions in a row (a CI run on 3.10: each
        # compensated by half the tracer's cost, 0.51 and 0.56 of it left, the third 0.14):
        # then two more sessions, and the median of the five.
        for session in range(3):
            session_ratio(session)
        if sorted(runs)[1][0] >= 0.5:
            for session in range(3, 5):
                session_ratio(session)
        _, raw, comp, unt = sorted(runs)[len(runs) // 2]
        # the tracer's cost is there to take off (on 3.9, whose calls are slow, the decorator
        # adds 27-35%: 1.3 failed one run in three)
        assert raw > 1.15 * unt, runs
        assert abs(comp - unt) < 0.5 * (raw - unt), runs
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("accwl", None)
        sys.modules.pop("accwl0", None)


@pytest.mark.skipif(not hasattr(_core, "filter_start"), reason="filter tracing not built")
def test_the_yardstick_is_not_traced_by_filter_tracing_running(tmp_path, capfd):
    # filter tracing of every function is on when a nested session starts: the yardstick's
    # loop runs then, and neither log may hold its calls
    outer, inner = str(tmp_path / "outer.atr"), str(tmp_path / "inner.atr")
    argtrace.start(outer, trace=["*"])
    try:
        argtrace.start(inner)
        argtrace.stop()
        _core._calibration_yardstick()
    finally:
        argtrace.stop()
    capfd.readouterr()  # the note about nesting
    for path in (outer, inner):
        names = {f.name for f in argtrace.load(path).functions()}
        assert not any("_leaf" in n for n in names), (path, names)


def busy_work(i):  # (a few hundred ns: fewer calls to read back)
    return sum(range(100)) + i


def busy_work_filtered(i):  # (a function the decorator wrapped is left to it by filters)
    return sum(range(100)) + i


@pytest.mark.parametrize("mode", ["decorator", "filter"])
def test_other_threads_calls_during_the_stop_calibration_are_kept(tmp_path, private_tmp, mode):
    # The calibration at stop() makes a private session the active one for a few ms. It
    # raised the switch interval to 1 s so that no other thread would run meanwhile; a busy
    # thread took the GIL at the next switch anyway and held it for that second: stop()
    # took a second more, and the thread's calls of that second (millions) went into the
    # private log, lost from the middle of the user's. Now other threads wait at the tracer.
    if mode == "filter" and not hasattr(_core, "filter_start"):
        pytest.skip("filter tracing not built")
    work = argtrace.trace(busy_work) if mode == "decorator" else busy_work_filtered
    options = {"trace": [__name__ + ":busy_work_filtered"]} if mode == "filter" else {}
    for session in range(3):  # (a later stop measures less: more chances of a switch)
        done = threading.Event()
        counts = [0, 0, 0]

        def loop(k):
            i = 0
            while not done.is_set():
                work(i)
                i += 1
                counts[k] = i

        path = str(tmp_path / ("busy%d.atr" % session))
        argtrace.start(path, **options)
        threads = [threading.Thread(target=loop, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        while min(counts) < 2000:  # every thread is calling (by count, not by time)
            time.sleep(0.001)
        argtrace.stop()
        done.set()
        for t in threads:
            t.join()
        by_thread = {}
        for c in argtrace.load(path).calls(__name__ + "." + work.__name__):
            by_thread.setdefault(c.thread, []).append(c.args["i"])
        assert len(by_thread) == 3
        for xs in by_thread.values():
            xs.sort()
            assert len(xs) >= 2000 and xs == list(range(len(xs)))  # from the first, no gap
        (rec,) = calibrations(path)
        check_sane(rec)
    assert os.listdir(private_tmp) == []
