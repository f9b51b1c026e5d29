"""The independent reader of test_format_spec.py, frame index part (format 1.3, FORMAT.md
2.4): the footer read and rebuilt from docs/FORMAT.md alone, every frame decoded on its own
from its CHUNK's state, both checked against the C reader (atr_dump --index, the committed
tests/golden/v1_3 dumps)."""

import collections
import os
import re
import subprocess
import struct

import pytest

from conftest import record_rounds
from test_format_spec import (GOLDEN_1_2, GOLDEN_1_3, GOLDEN_1_4, GOLDEN_2_0, Decoder,
                              assert_same, c_dump_text, py_dump, reencode_dt, tool, unpack_all)

zstandard = pytest.importorskip("zstandard")
msgpack = pytest.importorskip("msgpack")


# --- the frame index (1.3, FORMAT.md 2.4) ----------------------------------------------------


def zstd_frames(data):
    """(offset, size, content) of each complete zstd frame after the header (skippable frames
    skipped); stops at a truncated or damaged tail."""
    (size,) = struct.unpack_from("<I", data, 4)
    pos = 8 + size
    while pos + 8 <= len(data):
        magic, skip = struct.unpack_from("<II", data, pos)
        if magic & 0xFFFFFFF0 == 0x184D2A50:
            pos += 8 + skip
            continue
        dobj = zstandard.ZstdDecompressor().decompressobj()
        try:
            content = dobj.decompress(data[pos:])
        except zstandard.ZstdError:
            return
        if not dobj.eof:
            return
        end = len(data) - len(dobj.unused_data)
        yield pos, end - pos, content
        pos = end


THREAD_RECORDS = (3, 5, 6, 7, 8, 11, 12, 18)  # 18: TIMES (2.0), the chunk's deltas


def read_footer(data):
    """The footer's entries [(offset, size, tmin, tmax, flags, threads, functions)], or None
    when the file has no valid one. threads: [(thread, seq_lo, seq_hi)]."""
    if len(data) < 32 or data[-4:] != b"ATRI":
        return None
    (n,) = struct.unpack_from("<I", data, len(data) - 8)
    at = len(data) - 8 - n
    if at < 16 or struct.unpack_from("<II", data, at) != (0x184D2A5B, n):
        return None
    body = msgpack.unpackb(data[at + 8 : len(data) - 8], raw=False, strict_map_key=False)
    if body[0] != 1:
        return None
    entries, end = [], 16
    for e in body[1]:
        offset, size, tmin, tmax, flags, flat, deltas = e[:7]
        if offset != end or data[offset : offset + 4] != b"\x28\xb5\x2f\xfd":
            return None  # the entries tile the frames, header to footer
        end = offset + size
        fns, f = [], 0
        for d in deltas:
            f += d
            fns.append(f)
        threads = [tuple(flat[i : i + 3]) for i in range(0, len(flat), 3)]
        entries.append((offset, size, tmin, tmax, flags, threads, fns))
    return entries if end == at else None


def rebuild_index(data):
    """The index by a scan of the frames, following each thread's state (section 3.5) and
    taking it from CHUNK (section 3.4)."""
    state, entries = {}, []
    for offset, size, content in zstd_frames(data):
        cur, flags, times, threads, fns = None, 0, [], {}, set()
        column = collections.deque()
        for r in unpack_all(content):
            kind = r[0]
            if kind in (5, 6, 7, 11, 12) and r[1] is None:  # 2.0: from the TIMES column
                r = [kind, column.popleft()] + list(r[2:])
            if kind == 4:
                column = collections.deque()
                cur = r[1]
                t, s = state.get(cur, (0, 0))
                if len(r) >= 4:
                    t, s = r[2], r[3]
                state[cur] = (t, s)
                threads.setdefault(cur, [0, 0])
            elif kind == 18:
                n = len(r[1]) // 2
                column = collections.deque(r[1][i] << 8 | r[1][n + i] for i in range(n))
                threads.setdefault(cur, [0, 0])
            elif kind in THREAD_RECORDS:
                t, s = state[cur]
                if kind in (5, 6, 7):
                    t += r[1]
                    times.append(t)
                elif kind in (11, 12):
                    times.append(t + r[1])
                if kind == 5:
                    s += 1
                    th = threads.setdefault(cur, [0, 0])
                    th[0] = th[0] or s
                    th[1] = s
                    fns.add(r[3])
                elif kind == 8:
                    s = r[1]
                threads.setdefault(cur, [0, 0])
                state[cur] = (t, s)
            else:
                flags |= 1
        entries.append((offset, size, min(times) if times else None,
                        max(times) if times else None, flags,
                        [(k, v[0], v[1]) for k, v in threads.items()], sorted(fns)))
    return entries


def index_lines(entries):
    """The text form of `atr_dump --index` (tests/c/atr_dump.c)."""
    out = []
    for offset, size, tmin, tmax, flags, threads, fns in entries:
        time_text = "-" if tmin is None else "%d-%d" % (tmin, tmax)
        out.append("FRAME offset=%d size=%d time=%s flags=%d threads=[%s] functions=[%s]" % (
            offset, size, time_text, flags,
            ",".join("%d:%d-%d" % t for t in threads), ",".join(str(f) for f in fns)))
    return out


def decode_alone(data):
    """Thread records of each frame decoded alone, after the definitions (records not bound
    to a thread) of every frame that has them: what a reader of chosen frames does."""
    frames = list(zstd_frames(data))
    version = struct.unpack_from("<HH", data, 12)
    defs = Decoder(version)
    for _, _, content in frames:
        for r in unpack_all(content):
            if r[0] in (1, 2, 16, 17):
                defs.record(r)
    lines = []
    for _, _, content in frames:
        dec = Decoder(version)
        dec.functions, dec.types = defs.functions, defs.types
        for r in unpack_all(content):
            if r[0] == 4 or r[0] in THREAD_RECORDS:
                line = dec.record(r)
                if line is not None:
                    lines.append(line)
    return lines


def thread_lines(lines):
    return [ln for ln in lines if ln.split(" ", 1)[0] in
            ("THREAD", "START", "END", "MESSAGE", "SYNC", "SUSPEND", "RESUME")]


def test_golden_v1_3_matches_committed_dump():
    data = (GOLDEN_1_3 / "basic.atr").read_bytes()
    got = py_dump(data)
    assert_same(got, c_dump_text((GOLDEN_1_3 / "basic.dump").read_text()))
    assert got[0][0].startswith("PROCESS format=1.3 ")
    # a 1.2 reader ignores CHUNK's time and seq and reads every record the same (section 7)
    assert py_dump(data, chunk_state=False) == got


def test_golden_v1_3_index_and_frames_alone():
    data = (GOLDEN_1_3 / "basic.atr").read_bytes()
    footer = read_footer(data)
    committed = (GOLDEN_1_3 / "basic.index").read_text().splitlines()
    assert committed[-1] == "# index: footer selectable"
    assert index_lines(footer) == committed[:-1]
    assert index_lines(rebuild_index(data)) == committed[:-1]
    assert len(footer) >= 4
    assert decode_alone(data) == thread_lines(py_dump(data)[0])
    assert read_footer((GOLDEN_1_2 / "basic.atr").read_bytes()) is None


def test_golden_v1_4_values_and_a_1_3_reader():
    """1.4 adds VALUE records and ext 9 (FORMAT.md 3.17): the committed log reads as its dump,
    its frames alone, and a 1.3 reader (record types up to 16) reads every record the same
    but the values written as ids, which it shows as unknown values (section 7)."""
    data = (GOLDEN_1_4 / "basic.atr").read_bytes()
    got = py_dump(data)
    assert_same(got, c_dump_text((GOLDEN_1_4 / "basic.dump").read_text()))
    assert got[0][0].startswith("PROCESS format=1.4 ")
    committed = (GOLDEN_1_4 / "basic.index").read_text().splitlines()
    assert index_lines(read_footer(data)) == committed[:-1]
    assert decode_alone(data) == thread_lines(got[0])
    old = py_dump(data, known=16)[0]
    assert len(old) == len(got[0])
    changed = [(a, b) for a, b in zip(old, got[0]) if a != b]
    assert len(changed) == 6  # three calls and their results
    for a, b in changed:
        assert "unknown:" in a and "unknown:" not in b


def test_golden_v2_0_times_in_columns():
    """2.0 moves the time deltas of a chunk's records into its TIMES column (FORMAT.md 3.18):
    the committed log reads as its dump, its index and its frames alone as their scans; its
    records and times are those of the same program's 1.4 log (the same writer's calls with
    an injected clock), which wrote every delta in its record."""
    data = (GOLDEN_2_0 / "basic.atr").read_bytes()
    got = py_dump(data)
    assert_same(got, c_dump_text((GOLDEN_2_0 / "basic.dump").read_text()))
    assert got[0][0].startswith("PROCESS format=2.0 ")
    committed = (GOLDEN_2_0 / "basic.index").read_text().splitlines()
    assert committed[-1] == "# index: footer selectable"
    assert index_lines(read_footer(data)) == committed[:-1]
    assert index_lines(rebuild_index(data)) == committed[:-1]
    assert decode_alone(data) == thread_lines(got[0])
    old = py_dump((GOLDEN_1_4 / "basic.atr").read_bytes())[0]
    tid = re.compile(r"os_tid=\d+")
    assert [tid.sub("", ln) for ln in thread_lines(got[0])] == \
        [tid.sub("", ln) for ln in thread_lines(old)]
    kinds = [r[0] for _, _, content in zstd_frames(data) for r in unpack_all(content)]
    assert kinds.count(18) >= 3
    # a reader that skips TIMES (a 1.x reader, were it to read past the major version) finds
    # nil deltas with no column: corrupt
    assert py_dump(data, known=17)[1] == "ATR_ECORRUPT"


def test_fresh_index_same_as_c(tmp_path):
    """A log of several threads and many frames from the binding: its footer, this reader's
    rebuild and the C reader's index agree; each frame decodes alone; without the footer the
    C reader rebuilds the same index."""
    dump = tool("ATR_DUMP", "atr_dump")
    if not dump:
        pytest.skip("atr_dump not built (set ATR_DUMP or build into build*/)")
    import argtrace

    path = tmp_path / "ix.atr"
    f = argtrace.trace(lambda x: x)
    g = argtrace.trace(lambda x: -x)
    record_rounds(path, 40, lambda k: [f(j) for j in range(50)],
                  lambda k: [g(j) for j in range(50)])
    data = path.read_bytes()
    footer = read_footer(data)
    assert footer is not None and len(footer) > 10
    assert index_lines(footer) == index_lines(rebuild_index(data))
    out = subprocess.run([dump, "--index", str(path)], capture_output=True, text=True,
                         timeout=60).stdout.splitlines()
    assert out[-1] == "# index: footer selectable"
    assert out[:-1] == index_lines(footer)
    assert decode_alone(data) == thread_lines(py_dump(data)[0])
    assert py_dump(data, chunk_state=False) == py_dump(data)
    cut = tmp_path / "cut.atr"
    cut.write_bytes(data[: footer[-1][0] + footer[-1][1]])
    out = subprocess.run([dump, "--index", str(cut)], capture_output=True, text=True,
                         timeout=60).stdout.splitlines()
    assert out[-1] == "# index: rebuilt selectable"
    assert out[:-1] == index_lines(footer)


def test_forked_child_chunks_and_index(tmp_path):
    """A forked child's log starts afresh (section 3.1): its CHUNKs' state too, and it gets
    its own index; the parent's goes on."""
    import argtrace

    path = tmp_path / "p.atr"
    f = argtrace.trace(lambda x: x)
    argtrace.start(str(path), flush_interval_ms=1)
    for i in range(200):
        f(i)
    pid = os.fork()
    if pid == 0:
        try:
            for i in range(300):
                f(i)
            argtrace.stop()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    for i in range(200):
        f(i)
    argtrace.stop()
    logs = sorted(tmp_path.glob("*.atr"))
    assert len(logs) == 2
    for p in logs:
        data = p.read_bytes()
        got = py_dump(data)
        assert got[1:] == ("ATR_EOF", 1)
        assert py_dump(data, chunk_state=False) == got
        assert decode_alone(data) == thread_lines(got[0])
        assert index_lines(read_footer(data)) == index_lines(rebuild_index(data))


def test_v1_2_records_same_as_c(tmp_path):
    """SAMPLING, RECORDING and a rotated log's `part` (1.2, sections 3.1, 3.14, 3.15) read the
    same here as in C; a 1.1 reader skips the new records and reads the rest exactly."""
    dump = tool("ATR_DUMP", "atr_dump")
    if not dump:
        pytest.skip("atr_dump not built (set ATR_DUMP or build into build*/)")
    import argtrace

    path = tmp_path / "s.atr"
    f = argtrace.trace(lambda x: x)
    argtrace.start(str(path), sample=0.5, max_size=4096, flush_interval_ms=1)
    for i in range(20):
        f(i)
    argtrace.pause()
    f(99)
    argtrace.resume()
    for i in range(3000):
        f("x" * (i % 50))
        if i % 100 == 0:
            argtrace.flush()  # a flush cycle (and a rotation check), whatever the machine's speed
    argtrace.stop()
    later = tmp_path / "s.atr.1"
    assert later.exists()
    for p in (path, later):
        data = p.read_bytes()
        assert struct.unpack_from("<HH", data, 12) == (2, 0)
        out = subprocess.run([dump, str(p)], capture_output=True, text=True, timeout=60).stdout
        new = py_dump(data)
        assert_same(new, c_dump_text(out))
        kinds = [line.split(" ", 1)[0] for line in new[0]]
        assert kinds.count("SAMPLING") == 1
        # 1.3: each CHUNK's time and seq are the state a reader from the file's start has
        # (the thread's time starts afresh in each file), and each frame decodes alone
        assert py_dump(data, chunk_state=False) == new
        assert decode_alone(data) == thread_lines(new[0])
        # a 1.1 reader (of the same records with their deltas in them: 2.0's TIMES aside)
        old = py_dump(reencode_dt(data, "u16"), known=13)
        assert old[0] == [ln for ln in new[0] if not ln.startswith(("SAMPLING", "RECORDING"))]
    lines = py_dump(path.read_bytes())[0]
    assert [ln.split(" on=")[1] for ln in lines if ln.startswith("RECORDING")] == ["0", "1"]
    assert " part=1" in py_dump(later.read_bytes())[0][0]
