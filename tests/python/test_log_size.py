"""What the writer does to keep logs small (issue 16; docs/FORMAT.md 3.1 `time_quantum_ns`,
3.5 span references): far spans referenced by absolute id, times on a 16 ns grid, frames of
about 1 MiB. Read back with stock zstandard + msgpack, as a 1.2 reader would."""

import io
import time

import msgpack

import argtrace
from test_format_spec_index import zstd_frames

SPAN_ABS_MIN = 1 << 40


def frames(path):
    """The content of each zstd frame of the log (header and skippable frames skipped)."""
    with open(path, "rb") as f:
        return [content for _, _, content in zstd_frames(f.read())]


def records(path):
    content = b"".join(frames(path))
    return list(msgpack.Unpacker(io.BytesIO(content), raw=False, strict_map_key=False))


def test_far_parent_named_by_absolute_id(tmp_path):
    """The children of a span begun more than 256 spans back name it by its absolute id (the
    same bytes each time), nearer ones by the relative form; both resolve to the same span."""
    path = tmp_path / "far.atr"
    child = argtrace.trace(lambda i: i)

    @argtrace.trace
    def loop(n):
        for i in range(n):
            child(i)

    argtrace.start(str(path))
    loop(600)
    argtrace.stop()
    starts = [r for r in records(path) if r[0] == 5]
    assert len(starts) >= 601
    loop_id = SPAN_ABS_MIN + 1  # thread 0's first span
    parents, seq = [], 0
    for r in starts:  # resolve as FORMAT.md 3.5 says
        k = r[2]
        parents.append(k if k == 0 or k >= SPAN_ABS_MIN else SPAN_ABS_MIN + seq + 1 - k)
        seq += 1
    assert parents[0] == 0
    assert parents[1:601] == [loop_id] * 600
    raw = [r[2] for r in starts[1:601]]
    assert raw[:256] == list(range(1, 257))  # relative while the parent is near
    assert raw[256:] == [loop_id] * 344  # then its absolute id
    roots = list(argtrace.load(str(path)).roots())  # the C reader resolves them alike
    assert len(roots) == 1 and len(list(roots[0].children)) == 600


def test_times_on_the_declared_quantum(tmp_path):
    """PROCESS declares time_quantum_ns 16 and every time the built-in clock gave is a
    multiple of it; a 1.2 reader (which ignores the key) reads the same times."""
    path = tmp_path / "q.atr"
    f = argtrace.trace(lambda x: x)
    argtrace.start(str(path))
    for i in range(200):
        f(i)
    argtrace.stop()
    recs = records(path)
    assert recs[0][0] == 1 and recs[0][1]["time_quantum_ns"] == 16
    assert recs[0][1]["clock_ns"] % 16 == 0
    t, n, column = 0, 0, []
    for r in recs:
        if r[0] == 4:
            t = 0  # one thread here: its time starts at 0 (FORMAT.md 3.5)
        if r[0] == 18:  # 2.0: the chunk's deltas, high bytes then low bytes (FORMAT.md 3.18)
            half = len(r[1]) // 2
            column = [r[1][i] << 8 | r[1][half + i] for i in range(half)][::-1]
        if r[0] in (5, 6, 7):
            t += column.pop() if r[1] is None else r[1]
            assert t % 16 == 0, r
            n += 1
        if r[0] == 10:
            assert r[1] % 16 == 0
    assert n >= 400


def test_flusher_writes_frames_of_about_a_mebibyte(tmp_path):
    """Full 128 KiB buffers wait until about 1 MiB is pending: a 3 MiB log is a few large
    frames, not one frame per buffer (each zstd frame starts with no history)."""
    path = tmp_path / "big.atr"
    f = argtrace.trace(lambda s, i: i)
    text = "abcdefghij" * 20
    argtrace.start(str(path), flush_interval_ms=60000, buffer_size=128 << 10)
    for i in range(14000):
        f(text, i)
        if i % 300 == 0:
            time.sleep(0.01)  # the flusher has time to see each full buffer
    argtrace.stop()
    sizes = [len(c) for c in frames(path)]
    data = [s for s in sizes if s > 4096]  # PROCESS, definitions, the last records: small
    assert sum(data) > 2900 << 10
    assert len(data) <= 6, sizes  # one frame per 128 KiB buffer: 23
    assert sorted(data)[-2] > 900 << 10, sizes
