"""Format 2.0's TIMES column (docs/FORMAT.md 3.5, 3.18): a chunk's time deltas after its
CHUNK, nil in the records. Damaged columns give a one-line corrupt error in the C reader and
in the spec reader alike, never a wrong time; a log read through a rebuilt frame index (no
footer) reads as through its own; deltas out of the column's range stay in their records."""
import os
import sys
import time

import pytest

import argtrace
from argtrace import _core

sys.path.insert(0, os.path.dirname(__file__))
from atr_helpers import without_index  # noqa: E402
from test_format_spec import py_dump  # noqa: E402
from test_type_interning import raw_records, write_log  # noqa: E402


def small_log(tmp_path):
    f = argtrace.trace(lambda x: x + 1)
    path = tmp_path / "t.atr"
    with argtrace.session(str(path)):
        for i in range(5):
            f(i)
    return path


def starts_and_ends(path):
    return [(r["kind"], r["time_ns"]) for r in _core.read_records(str(path))
            if r["kind"] in ("start", "end")]


def damaged(tmp_path, path, change):
    out = tmp_path / "bad.atr"
    write_log(path, out, change(raw_records(path)))
    return out


def read_error(path):
    with pytest.raises(Exception) as e:
        starts_and_ends(path)
    return str(e.value)


def test_fresh_log_has_its_deltas_in_columns(tmp_path):
    path = small_log(tmp_path)
    recs = raw_records(path)
    times = [r for r in recs if r[0] == 18]
    assert len(times) == 1 and len(times[0][1]) % 2 == 0
    timed = [r for r in recs if r[0] in (5, 6)]
    assert len(timed) == 10
    # the first START carries the absolute time; every later delta is in the column
    assert timed[0][1] is not None and all(r[1] is None for r in timed[1:])
    assert len(times[0][1]) == 2 * 9
    got = starts_and_ends(path)
    assert [k for k, _ in got] == ["start", "end"] * 5
    assert all(a[1] <= b[1] for a, b in zip(got, got[1:]))


def test_nil_delta_without_a_column_is_corrupt(tmp_path):
    path = small_log(tmp_path)
    bad = damaged(tmp_path, path, lambda recs: [r for r in recs if r[0] != 18])
    msg = read_error(bad)
    assert "dt is nil" in msg and "TIMES" in msg and "\n" not in msg.strip()
    assert py_dump(bad.read_bytes())[1] == "ATR_ECORRUPT"


def test_short_column_odd_size_and_times_before_chunk_are_corrupt(tmp_path):
    path = small_log(tmp_path)

    def short(recs):
        out = []
        for r in recs:
            if r[0] == 18:
                half = len(r[1]) // 2
                r = [18, r[1][: half - 1] + r[1][half: 2 * half - 1]]  # one delta fewer
            out.append(r)
        return out

    assert "no delta left" in read_error(damaged(tmp_path, path, short))
    odd = damaged(tmp_path, path,
                  lambda recs: [[18, r[1] + b"\x00"] if r[0] == 18 else r for r in recs])
    assert "even size" in read_error(odd)
    assert py_dump(odd.read_bytes())[1] == "ATR_ECORRUPT"

    def before_chunk(recs):
        times = [r for r in recs if r[0] == 18]
        rest = [r for r in recs if r[0] != 18]
        return rest[:1] + times + rest[1:]  # right after PROCESS

    assert "before any CHUNK" in read_error(damaged(tmp_path, path, before_chunk))


def test_unused_deltas_are_ignored_and_a_chunk_ends_the_column(tmp_path):
    path = small_log(tmp_path)
    want = starts_and_ends(path)
    more = damaged(tmp_path, path, lambda recs: [
        [18, r[1][: len(r[1]) // 2] + b"\x07" + r[1][len(r[1]) // 2:] + b"\x07"]
        if r[0] == 18 else r for r in recs])
    assert starts_and_ends(more) == want

    def second_chunk(recs):  # the same thread's chunk again halfway: no column of its own
        out, timed = [], 0
        for r in recs:
            if r[0] in (5, 6):
                timed += 1
                if timed == 6:
                    out.append(next(c for c in recs if c[0] == 4)[:2])  # [4, thread]
            out.append(r)
        return out

    assert "no delta left" in read_error(damaged(tmp_path, path, second_chunk))


def test_rebuilt_index_reads_as_the_footer(tmp_path):
    """Without its footer a log's frame index is rebuilt by a scan that follows the TIMES
    columns (reader/frame_index.c): a span's frame alone gives the same times."""
    f = argtrace.trace(lambda x: x)
    path = tmp_path / "t.atr"
    with argtrace.session(str(path)):
        for i in range(3000):
            f(i)
            if i % 500 == 499:
                argtrace.flush()
    bare = tmp_path / "bare.atr"
    bare.write_bytes(without_index(path.read_bytes()))
    assert bare.stat().st_size < path.stat().st_size
    a, b = argtrace.load(str(path)), argtrace.load(str(bare))
    last = [c for c in a.calls()][-1]
    same = [c for c in b.calls()][-1]
    assert (last.start_ns, last.duration_ns) == (same.start_ns, same.duration_ns)
    assert [c.duration_ns for c in a.calls()] == [c.duration_ns for c in b.calls()]
    if not hasattr(_core, "viewer_main"):
        return  # the frame-by-frame read below is the viewer's (ATR_BUILD_VIEWER=OFF here)
    import subprocess
    span = "0:%d" % (raw_span_count(path))
    outs = [subprocess.run([sys.executable, "-m", "argtrace", "cat", "--span", span, str(p)],
                           capture_output=True, text=True, timeout=60) for p in (path, bare)]
    assert outs[0].returncode == 0 and outs[1].returncode == 0, outs[1].stderr
    assert "START" in outs[0].stdout and outs[0].stdout == outs[1].stdout


def raw_span_count(path):
    return sum(1 for r in raw_records(path) if r[0] == 5)


def test_long_gaps_stay_in_their_records(tmp_path):
    """A delta past 65535 ns is written in its record (an int), the rest in the column."""
    f = argtrace.trace(lambda x: x)
    path = tmp_path / "t.atr"
    with argtrace.session(str(path)):
        f(1)
        time.sleep(0.002)
        f(2)
    timed = [r for r in raw_records(path) if r[0] in (5, 6)]
    assert timed[2][1] is not None and timed[2][1] > 0xFFFF  # the START after the sleep
    assert timed[1][1] is None or timed[1][1] > 0xFFFF
    got = starts_and_ends(path)
    assert got[2][1] - got[1][1] >= 2_000_000
