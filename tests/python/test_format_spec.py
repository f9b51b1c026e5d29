"""An independent reader of the log format, written from docs/FORMAT.md alone with stock
`zstandard` and `msgpack`, checked against the C reader so that spec and code cannot drift.

Both readers print records in the same exact text form (tests/c/rec_dump.h). The C side's
output comes from the committed golden logs' dumps (tests/golden/v1/basic.dump for format
1.0, tests/golden/v1_1/basic.dump for 1.1, ... v1_4 for 1.4, v2_0 for 2.0, whose basic.index
is its frame index as the C reader reads it) and from C
tools of the build tree: gen_v1 (writes a fresh log with the C writer and dumps it with the C
reader) and atr_dump. They are named by $ATR_GEN_V1 / $ATR_DUMP, else found as the newest
build*/tests/c/<name> or build*/*/tests/c/<name>; tests that need them skip when the C
build has not run. The frame index (1.3) and the logs that need it to be read frame by frame
(rotation, fork) are in test_format_spec_index.py.
"""

import os
import struct
import subprocess
from pathlib import Path

import pytest

zstandard = pytest.importorskip("zstandard")
msgpack = pytest.importorskip("msgpack")

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "v1"
GOLDEN_1_1 = REPO / "tests" / "golden" / "v1_1"
GOLDEN_1_2 = REPO / "tests" / "golden" / "v1_2"
GOLDEN_1_3 = REPO / "tests" / "golden" / "v1_3"
GOLDEN_1_4 = REPO / "tests" / "golden" / "v1_4"
GOLDEN_2_0 = REPO / "tests" / "golden" / "v2_0"

SPAN_SEQ_BITS = 40
INT64_MAX = 2**63 - 1


class LogError(Exception):
    """A reading failure: `code` is the C reader's error name (ATR_ECORRUPT, ...)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


# --- bytes on disk (FORMAT.md section 2) ---------------------------------------------------


def split_frames(data):
    """Check the header, then yield the content of each zstd frame (skippable ones skipped).
    Raises LogError for a bad header, a damaged frame or a truncated tail."""
    if len(data) < 16:
        if data[:4] != b"\x5a\x2a\x4d\x18"[: len(data)]:
            raise LogError("ATR_EMAGIC", "bad magic")
        raise LogError("ATR_ETRUNCATED", "shorter than the header")
    magic, size = struct.unpack_from("<II", data, 0)
    if magic != 0x184D2A5A or size < 8 or data[8:12] != b"ATRC":
        raise LogError("ATR_EMAGIC", "not an argtrace log")
    major, minor = struct.unpack_from("<HH", data, 12)
    if major not in (1, 2):
        raise LogError("ATR_EVERSION", "format version %d.%d" % (major, minor))
    pos = 8 + size
    if pos > len(data):
        raise LogError("ATR_ETRUNCATED", "header runs past the end")
    yield (major, minor)
    while pos < len(data):
        rest = data[pos:]
        if len(rest) < 4:
            zstd_start = b"\x28\xb5\x2f\xfd".startswith(rest)
            skip_start = rest[0] & 0xF0 == 0x50 and b"\x50\x2a\x4d\x18"[1:].startswith(rest[1:])
            if zstd_start or skip_start:
                raise LogError("ATR_ETRUNCATED", "file ends inside a frame")
            raise LogError("ATR_ECORRUPT", "stray bytes at the end")
        (magic,) = struct.unpack_from("<I", rest, 0)
        if magic & 0xFFFFFFF0 == 0x184D2A50:
            if len(rest) < 8:
                raise LogError("ATR_ETRUNCATED", "file ends inside a skippable frame")
            (size,) = struct.unpack_from("<I", rest, 4)
            if 8 + size > len(rest):
                raise LogError("ATR_ETRUNCATED", "file ends inside a skippable frame")
            pos += 8 + size
            continue
        if magic != 0xFD2FB528:
            raise LogError("ATR_ECORRUPT", "no frame at offset %d" % pos)
        try:
            params = zstandard.get_frame_parameters(rest)
        except zstandard.ZstdError:
            params = None  # header incomplete or bad: decompressing tells which
        if params is not None:
            if params.content_size == zstandard.CONTENTSIZE_UNKNOWN:
                raise LogError("ATR_ECORRUPT", "frame without content size")
            if params.content_size > 64 << 20:
                raise LogError("ATR_ETOOBIG", "frame over 64 MiB")
        dobj = zstandard.ZstdDecompressor().decompressobj()
        try:
            content = dobj.decompress(rest)
        except zstandard.ZstdError as e:
            raise LogError("ATR_ECORRUPT", str(e)) from None
        if not dobj.eof:
            raise LogError("ATR_ETRUNCATED", "file ends inside a frame")
        if params is None or len(content) != params.content_size:
            raise LogError("ATR_ECORRUPT", "bad frame header")
        pos = len(data) - len(dobj.unused_data)
        yield content


def depth(obj):
    """Nesting levels of msgpack containers (a scalar is 0)."""
    if isinstance(obj, list):
        return 1 + max((depth(o) for o in obj), default=0)
    if isinstance(obj, dict):
        return 1 + max((max(depth(k), depth(v)) for k, v in obj.items()), default=0)
    return 0


def unpack_all(content):
    """Yield the msgpack objects of a frame's content one by one (str -> str, bin -> bytes,
    ext -> ExtType); raise LogError where the content stops being valid."""
    unpacker = msgpack.Unpacker(
        raw=False,
        unicode_errors="surrogateescape",
        strict_map_key=False,
        use_list=True,
    )
    unpacker.feed(content)
    end = 0  # end of the last complete object (tell() also counts a partial one)
    while True:
        try:
            obj = unpacker.unpack()
        except msgpack.OutOfData:
            break
        except (ValueError, msgpack.FormatError, msgpack.StackError) as e:
            raise LogError("ATR_ECORRUPT", str(e)) from None
        end = unpacker.tell()
        yield obj
    if end != len(content):
        raise LogError("ATR_ECORRUPT", "record cut at the end of its frame")


# --- the text form of tests/c/rec_dump.h -----------------------------------------------------


def text_bytes(b):
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogateescape")
    out = ['"']
    for c in b:
        if 0x20 <= c <= 0x7E and c not in (0x22, 0x5C):
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    out.append('"')
    return "".join(out)


def span_text(span_id):
    if span_id == 0:
        return "-"
    return "%d:%d" % ((span_id >> SPAN_SEQ_BITS) - 1, span_id & ((1 << SPAN_SEQ_BITS) - 1))


def read_uint_prefix(payload):
    """ext 1/2/6: a msgpack uint (the true length), then the stored bytes."""
    unpacker = msgpack.Unpacker()
    unpacker.feed(payload)
    true_len = unpacker.unpack()
    if not isinstance(true_len, int) or isinstance(true_len, bool) or true_len < 0:
        raise LogError("ATR_ECORRUPT", "bad true length")
    return true_len, payload[unpacker.tell() :]


def value_text(v, depth=0, types=None):
    """FORMAT.md section 4. types: TYPE id -> name (section 3.16), for ext 8, and
    ("value", id) -> the value of a VALUE record (3.17), for ext 9."""
    if v is None:
        return "nil"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, int):
        return ("uint:%d" if v > INT64_MAX else "int:%d") % v
    if isinstance(v, float):
        return "float:%.17g" % v
    if isinstance(v, str):
        return "str:" + text_bytes(v)
    if isinstance(v, bytes):
        return "bytes:" + text_bytes(v)
    if isinstance(v, msgpack.ExtType):
        code, data = v.code, v.data
        if code in (1, 2, 6):
            true_len, stored = read_uint_prefix(data)
            kind = {1: "str", 2: "bytes", 6: "repr"}[code]
            text = kind + ":" + text_bytes(stored)
            return text + ("/%d" % true_len if true_len != len(stored) else "")
        if code in (3, 8):
            if depth >= 4:
                raise LogError("ATR_ECORRUPT", "summaries nested deeper than 4")
            if code == 3:  # [type_name, length, item...]
                items = msgpack.unpackb(data, raw=False, unicode_errors="surrogateescape")
            else:  # v1.2: type id [length [item...]], msgpack objects back to back
                unpacker = msgpack.Unpacker(raw=False, unicode_errors="surrogateescape")
                unpacker.feed(data)
                items = list(unpacker)
                if not items or not isinstance(items[0], int):
                    raise LogError("ATR_ECORRUPT", "ext 8 needs a type id")
                if types is None or items[0] not in types:
                    return "unknown:" + text_bytes(data)  # no TYPE record defined it
                items = [types[items[0]]] + (items[1:] or [None])
            type_name, length = items[0], items[1]
            head = "sum:%s/%s[" % (text_bytes(type_name), "?" if length is None else length)
            return head + ",".join(value_text(i, depth + 1, types) for i in items[2:]) + "]"
        if code == 9:  # v1.4: a VALUE id, one msgpack uint
            vid = msgpack.unpackb(data)
            if not isinstance(vid, int) or isinstance(vid, bool) or vid < 0:
                raise LogError("ATR_ECORRUPT", "ext 9 needs a VALUE id")
            if types is None or ("value", vid) not in types:
                return "unknown:" + text_bytes(data)  # no VALUE record defined it
            return value_text(types[("value", vid)], depth, types)
        if code == 4:
            return "redacted"
        if code == 5:
            return "bigint:" + data.decode("ascii")
        if code == 7:
            return "error:" + text_bytes(data)
        return "unknown:" + text_bytes(data)
    raise LogError("ATR_ECORRUPT", "a value is a %s" % type(v).__name__)


def fields_text(fields, types=None):
    return "{" + ",".join(text_bytes(k) + "=" + value_text(v, 0, types)
                          for k, v in fields.items()) + "}"


class Decoder:
    """The record stream's state (FORMAT.md 3.4, 3.5): current thread, per-thread time/seq."""

    def __init__(self, version, known=18, chunk_state=True):
        self.version = version
        self.known = known  # the last record type this reader knows (10: a 1.0 reader)
        self.chunk_state = chunk_state  # False: a 1.2 reader, CHUNK's extra elements ignored
        self.thread = None
        self.time = {}
        self.seq = {}
        self.functions = set()
        self.types = {}  # v1.2: TYPE id -> name
        self.column, self.col_pos = [], 0  # v2.0: the current chunk's TIMES deltas, used
        self.closed = False

    def span(self, k):
        if k == 0 or k >= 1 << SPAN_SEQ_BITS:
            return k
        seq = self.seq[self.thread]
        if k > seq:
            raise LogError("ATR_ECORRUPT", "span reference before the first span")
        return (self.thread + 1) << SPAN_SEQ_BITS | (seq + 1 - k)

    def delta(self, dt):
        """A record's dt; nil: the next delta of the chunk's TIMES column (v2.0, 3.18)."""
        if dt is None:
            if self.col_pos >= len(self.column):
                raise LogError("ATR_ECORRUPT", "nil dt and no delta left in TIMES")
            self.col_pos += 1
            return self.column[self.col_pos - 1]
        return dt

    def advance(self, dt):
        t = self.time[self.thread] + self.delta(dt)
        if t < 0:
            raise LogError("ATR_ECORRUPT", "time below 0")
        self.time[self.thread] = t
        return t

    def record(self, r):
        """One record as a text line, or None for CHUNK and unknown types."""
        kind = r[0]
        if kind > self.known:
            return None  # a later minor version's record type
        if kind in (3, 5, 6, 7, 8, 11, 12) and self.thread is None:
            raise LogError("ATR_ECORRUPT", "record before the first CHUNK")
        if kind == 1:
            m = r[1]
            return (
                "PROCESS format=%d.%d pid=%d host=%s argv=[%s] runtime=%s tool=%s "
                "clock_ns=%d wall_ns=%d uid=%d parent_uid=%d parent_span=%s"
                % (
                    self.version[0],
                    self.version[1],
                    m.get("pid", 0),
                    text_bytes(m.get("host", "")),
                    ",".join(text_bytes(a) for a in m.get("argv", [])),
                    text_bytes(m.get("runtime", "")),
                    text_bytes(m.get("tool", "")),
                    m.get("clock_ns", 0),
                    m.get("wall_ns", 0),
                    m.get("uid", 0),
                    m.get("parent_uid", 0),
                    span_text(m.get("parent_span", 0)),
                )
                + (" part=%d" % m["part"] if m.get("part") else "")  # 1.2, section 3.1
            )
        if kind == 2:
            fid, module, qualname, file, line, params, flags = r[1:8]
            self.functions.add(fid)
            return "FUNCTION id=%d module=%s qualname=%s file=%s line=%d flags=%d params=[%s]" % (
                fid,
                text_bytes(module),
                text_bytes(qualname),
                text_bytes(file),
                line,
                flags,
                ",".join(text_bytes(p) for p in params),
            )
        if kind == 3:
            return "THREAD thread=%d os_tid=%d name=%s" % (self.thread, r[1], text_bytes(r[2]))
        if kind == 4:
            if not 0 <= r[1] < (1 << (64 - SPAN_SEQ_BITS)) - 1:
                raise LogError("ATR_ECORRUPT", "thread number does not fit a span id")
            self.thread = r[1]
            self.column, self.col_pos = [], 0
            self.time.setdefault(self.thread, 0)
            self.seq.setdefault(self.thread, 0)
            if self.chunk_state and len(r) >= 4 and all(
                    isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in r[2:4]):
                self.time[self.thread], self.seq[self.thread] = r[2], r[3]  # 1.3, section 3.4
            return None
        if kind == 5:
            time = self.advance(r[1])
            parent = self.span(r[2])
            if r[3] not in self.functions:
                raise LogError("ATR_ECORRUPT", "START of an undefined function")
            self.seq[self.thread] += 1
            span = (self.thread + 1) << SPAN_SEQ_BITS | self.seq[self.thread]
            fields = r[5] if len(r) > 5 else {}
            return "START thread=%d time=%d span=%s parent=%s function=%d args=[%s] fields=%s" % (
                self.thread,
                time,
                span_text(span),
                span_text(parent),
                r[3],
                ",".join(value_text(a, 0, self.types) for a in r[4]),
                fields_text(fields, self.types),
            )
        if kind == 6:
            time = self.advance(r[1])
            head = "END thread=%d time=%d span=%s status=%d" % (
                self.thread,
                time,
                span_text(self.span(r[2])),
                r[3],
            )
            if r[3] == 0:
                return head + " value=" + value_text(r[4], 0, self.types)
            if r[3] == 1:
                return head + " exc_type=%s value=%s" % (text_bytes(r[4]), value_text(r[5], 0, self.types))
            return head
        if kind == 7:
            time = self.advance(r[1])
            return "MESSAGE thread=%d time=%d span=%s text=%s fields=%s" % (
                self.thread,
                time,
                span_text(self.span(r[2])),
                text_bytes(r[3]),
                fields_text(r[4], self.types),
            )
        if kind == 8:
            self.seq[self.thread] = r[1]
            return "SYNC thread=%d last_seq=%d dropped=%d" % (self.thread, r[1], r[2])
        if kind == 9:
            m = r[1]
            keys = ("records", "bytes", "oversize", "capture_errors", "write_errors")
            return "DROPS " + " ".join("%s=%d" % (k, m.get(k, 0)) for k in keys)
        if kind == 10:
            self.closed = True
            return "END_OF_LOG time=%d" % r[1]
        if kind in (11, 12):  # 1.1 SUSPEND / RESUME: the time does not become the thread's
            if len(r) < 3:
                raise LogError("ATR_ECORRUPT", "SUSPEND/RESUME needs 3 elements")
            time = self.time[self.thread] + self.delta(r[1])
            if time < 0:
                raise LogError("ATR_ECORRUPT", "time below 0")
            span = self.span(r[2])
            if span == 0:
                raise LogError("ATR_ECORRUPT", "SUSPEND/RESUME names no span")
            return "%s thread=%d time=%d span=%s" % (
                "SUSPEND" if kind == 11 else "RESUME", self.thread, time, span_text(span))
        if kind == 13:  # v1.1
            m = r[1]
            if m.get("inner_ns", 0) > m.get("call_ns", 0):
                raise LogError("ATR_ECORRUPT", "CALIBRATION inner_ns exceeds call_ns")
            line = "CALIBRATION mechanism=%s call_ns=%d inner_ns=%d samples=%d" % (
                text_bytes(m.get("mechanism", "")), m.get("call_ns", 0), m.get("inner_ns", 0),
                m.get("samples", 0))
            # the per-call model (section 3.13): uints below 2^32, missing ones 0
            model = [m.get(k, 0) for k in ("base_ns", "scalar_ns", "str_ns", "summary_ns",
                                           "gen_ns", "resume_ns", "raise_ns", "slow_ppm",
                                           "container_ns", "long_str_ns")]
            if any(not isinstance(v, int) or not 0 <= v < 1 << 32 for v in model):
                raise LogError("ATR_ECORRUPT", "CALIBRATION model value out of range")
            if any(model):
                line += " model=" + ",".join(str(v) for v in model)
            return line
        if kind == 14:  # v1.2 SAMPLING: not bound to a thread, no time
            m = r[1]
            rate = m.get("rate", 1.0)
            if not isinstance(rate, float) or not 0.0 < rate <= 1.0:
                raise LogError("ATR_ECORRUPT", "SAMPLING rate not in (0, 1]")
            return "SAMPLING rate=%s mode=%s seed=%d" % (
                c_double(rate), text_bytes(m.get("mode", "")), m.get("seed", 0))
        if kind == 15:  # v1.2 RECORDING [15, time, on]: an absolute time, no thread
            if len(r) < 3 or r[2] not in (0, 1):
                raise LogError("ATR_ECORRUPT", "RECORDING needs [15, time, 0|1]")
            return "RECORDING time=%d on=%d" % (r[1], r[2])
        if kind == 16:  # v1.2: TYPE [16, id, name], for ext 8 values; reports nothing
            if not isinstance(r[1], int) or not isinstance(r[2], str):
                raise LogError("ATR_ECORRUPT", "bad TYPE record")
            self.types[r[1]] = r[2]
            return None
        if kind == 18:  # v2.0: TIMES [18, bin]: the chunk's deltas, high bytes then low bytes
            if self.thread is None or not isinstance(r[1], bytes) or len(r[1]) % 2:
                raise LogError("ATR_ECORRUPT", "bad TIMES record")
            n = len(r[1]) // 2
            self.column, self.col_pos = [r[1][i] << 8 | r[1][n + i] for i in range(n)], 0
            return None
        if kind == 17:  # v1.4: VALUE [17, id, value], for ext 9 values; reports nothing
            v = r[2] if len(r) >= 3 else None
            if not isinstance(r[1], int) or not (
                    isinstance(v, (str, bytes))
                    or (isinstance(v, msgpack.ExtType) and v.code in (1, 2))):
                raise LogError("ATR_ECORRUPT", "bad VALUE record")
            self.types[("value", r[1])] = v
            return None
        return None  # a later minor version's record type


def c_double(x):
    """A float as C's printf("%.17g") writes it."""
    text = "%.17g" % x
    return text


def py_dump(data, known=18, chunk_state=True):
    """(record lines, end code name, closed_cleanly) of a log's bytes, by this reader (known:
    the last record type it knows; 10 reads as a 1.0 reader does; chunk_state False as a 1.2
    reader does)."""
    lines, end, dec = [], "ATR_EOF", None
    try:
        for item in split_frames(data):
            if dec is None:
                dec = Decoder(item, known, chunk_state)
                continue
            for obj in unpack_all(item):
                if not isinstance(obj, list) or not obj:
                    raise LogError("ATR_ECORRUPT", "record is not an array")
                if depth(obj) > 8:
                    raise LogError("ATR_ECORRUPT", "record nested deeper than 8 levels")
                if not isinstance(obj[0], int) or isinstance(obj[0], bool) or obj[0] < 1:
                    raise LogError("ATR_ECORRUPT", "record type is not a positive int")
                if not lines and obj[0] != 1:
                    raise LogError("ATR_ECORRUPT", "first record is not PROCESS")
                line = dec.record(obj)
                if line is not None:
                    lines.append(line)
    except LogError as e:
        end = e.code
    return lines, end, int(bool(dec and dec.closed))


def c_dump_text(text):
    """Split a rec_dump_file() output into (record lines, end code name, closed_cleanly)."""
    lines = text.splitlines()
    records = [ln for ln in lines if not ln.startswith("# ")]
    end = next(ln[len("# end: ") :] for ln in lines if ln.startswith("# end: "))
    closed = [ln for ln in lines if ln.startswith("# closed_cleanly: ")]
    return records, end, int(closed[0][-1]) if closed else 0


def assert_same(py, c):
    py_lines, py_end, py_closed = py
    c_lines, c_end, c_closed = c
    for i, (a, b) in enumerate(zip(py_lines, c_lines)):
        assert a == b, "record %d differs:\n  python: %s\n  C:      %s" % (i, a, b)
    assert len(py_lines) == len(c_lines)
    assert py_end == c_end
    assert py_closed == c_closed


def tool(env, name):
    path = os.environ.get(env)
    if path:
        return path if os.access(path, os.X_OK) else None
    candidates = list(REPO.glob("build*/tests/c/" + name))
    candidates += REPO.glob("build*/*/tests/c/" + name)  # e.g. build-ci/release (.ci/test)
    found = [p for p in candidates if os.access(p, os.X_OK)]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return str(found[0]) if found else None


# --- tests -----------------------------------------------------------------------------------


def test_golden_v1_matches_committed_dump():
    data = (GOLDEN / "basic.atr").read_bytes()
    expected = c_dump_text((GOLDEN / "basic.dump").read_text())
    got = py_dump(data)
    assert_same(got, expected)
    kinds = {line.split(" ", 1)[0] for line in got[0]}
    assert kinds >= {"PROCESS", "FUNCTION", "THREAD", "START", "END", "MESSAGE", "DROPS",
                     "END_OF_LOG"}


def test_golden_v1_1_matches_committed_dump():
    data = (GOLDEN_1_1 / "basic.atr").read_bytes()
    got = py_dump(data)
    assert_same(got, c_dump_text((GOLDEN_1_1 / "basic.dump").read_text()))
    assert got[0][0].startswith("PROCESS format=1.1 ")
    kinds = [line.split(" ", 1)[0] for line in got[0]]
    assert kinds.count("SUSPEND") == 2 and kinds.count("RESUME") == 2


def test_golden_v1_2_matches_committed_dump():
    data = (GOLDEN_1_2 / "basic.atr").read_bytes()
    got = py_dump(data)
    assert_same(got, c_dump_text((GOLDEN_1_2 / "basic.dump").read_text()))
    assert got[0][0].startswith("PROCESS format=1.2 ")
    kinds = [line.split(" ", 1)[0] for line in got[0]]
    assert kinds.count("SAMPLING") == 1 and kinds.count("RECORDING") == 2
    old = py_dump(data, known=13)  # a 1.1 reader: the rest exactly
    assert old[0] == [ln for ln in got[0] if not ln.startswith(("SAMPLING", "RECORDING"))]


def test_golden_v1_1_read_as_1_0_reader_does():
    """A 1.0 reader skips SUSPEND and RESUME (FORMAT.md 7) and still gets every other record
    exactly, times included: they do not move the thread's time (FORMAT.md 3.12)."""
    data = (GOLDEN_1_1 / "basic.atr").read_bytes()
    new, old = py_dump(data), py_dump(data, known=10)
    assert old[0] == [line for line in new[0] if not line.startswith(("SUSPEND", "RESUME"))]
    assert old[1:] == new[1:] == ("ATR_EOF", 1)
    assert len(old[0]) < len(new[0])


def test_golden_v1_with_stock_tools_as_in_section_1():
    """FORMAT.md section 1: `zstd -d` then a plain msgpack stream, one array per record."""
    data = (GOLDEN / "basic.atr").read_bytes()
    stream = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True)
    content = stream.decompress(data)  # the header is a skippable frame
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False,
                                unicode_errors="surrogateescape")
    unpacker.feed(content)
    records = list(unpacker)
    assert records[0][0] == 1 and records[0][1]["format"] == 1
    assert records[-1][0] == 10
    assert all(isinstance(r, list) and r[0] >= 1 for r in records)


def test_fresh_log_from_c_writer(tmp_path):
    gen = tool("ATR_GEN_V1", "gen_v1")
    if not gen:
        pytest.skip("gen_v1 not built (set ATR_GEN_V1 or build into build*/)")
    subprocess.run([gen, str(tmp_path)], check=True, timeout=60)
    data = (tmp_path / "basic.atr").read_bytes()
    assert_same(py_dump(data), c_dump_text((tmp_path / "basic.dump").read_text()))


@pytest.mark.parametrize("cut", [15, 16, 17, 40, 200, 400, 600, 800, 1000, -1])
def test_truncated_golden_same_records_as_c(tmp_path, cut):
    dump = tool("ATR_DUMP", "atr_dump")
    if not dump:
        pytest.skip("atr_dump not built (set ATR_DUMP or build into build*/)")
    data = (GOLDEN / "basic.atr").read_bytes()
    data = data[:cut] if cut >= 0 else data[: len(data) - 1]
    path = tmp_path / "cut.atr"
    path.write_bytes(data)
    out = subprocess.run([dump, str(path)], capture_output=True, text=True, timeout=60).stdout
    assert_same(py_dump(data), c_dump_text(out))


def test_calibration_record_same_as_c(tmp_path):
    """A log the binding wrote (v1.1, with CALIBRATION, section 3.13) reads the same here."""
    dump = tool("ATR_DUMP", "atr_dump")
    if not dump:
        pytest.skip("atr_dump not built (set ATR_DUMP or build into build*/)")
    import argtrace

    path = tmp_path / "cal.atr"
    argtrace.start(str(path))
    argtrace.trace(lambda x: x)(1)
    argtrace.stop()
    data = path.read_bytes()
    assert struct.unpack_from("<HH", data, 12) == (2, 0)
    lines = py_dump(data)[0]
    assert any(line.startswith('CALIBRATION mechanism="decorator" call_ns=') for line in lines)
    assert any(" model=" in line for line in lines)  # the per-call model (3.13)
    out = subprocess.run([dump, str(path)], capture_output=True, text=True, timeout=60).stdout
    assert_same(py_dump(data), c_dump_text(out))


def test_corrupt_logs_same_end_code_as_c():
    """The README table of tests/golden/corrupt/ says what the C reader reports; this reader
    (which enforces only what the spec states) agrees on the code for each file."""
    table = REPO / "tests" / "golden" / "corrupt" / "README"
    checked = 0
    for line in table.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, code, records = [p.strip() for p in line.split("|")[:3]]
        if name == "object_bomb.atr":
            continue  # a limit of the reference reader (FORMAT.md 8), not a format rule
        lines, end, _ = py_dump((table.parent / name).read_bytes())
        assert end == code, name
        if records != "open":
            assert len(lines) == int(records), name
        checked += 1
    assert checked >= 15


def with_dt_in_records(content):
    """A frame's records with every `dt` in its record: a 2.0 log's nil deltas taken from
    their chunk's TIMES column (FORMAT.md 3.18), the TIMES records left out."""
    column, at = b"", 0
    for r in unpack_all(content):
        if r[0] == 4:
            column, at = b"", 0
        elif r[0] == 18:
            column, at = r[1], 0
            continue
        elif r[0] in (5, 6, 7, 11, 12) and r[1] is None:
            n = len(column) // 2
            r = [r[0], column[at] << 8 | column[n + at]] + list(r[2:])
            at += 1
        yield r


def reencode_dt(data, form, fold=False):
    """The log's bytes with every record's `dt` (START, END, MESSAGE, SUSPEND, RESUME) in its
    record (none in a TIMES column), "short" (msgpack's shortest form) or "u16" (CD hi lo when
    in [0, 65535], as 1.x writers put them); every other byte as msgpack writes it, one zstd
    frame per frame, the index left out. With `fold`, each such dt in [0, 65535] becomes
    dt % 256 first (a log of the same records whose deltas all have a shorter form than
    uint16's, whatever the machine's speed)."""
    packer = msgpack.Packer(use_bin_type=True)

    def record(r):
        if r[0] in (5, 6, 7, 11, 12) and fold and 0 <= r[1] <= 0xFFFF:
            r = [r[0], r[1] % 256] + list(r[2:])
        if r[0] in (5, 6, 7, 11, 12) and form == "u16" and 0 <= r[1] <= 0xFFFF:
            head = packer.pack_array_header(len(r)) + packer.pack(r[0])
            return head + b"\xcd" + struct.pack(">H", r[1]) + b"".join(map(packer.pack, r[2:]))
        return packer.pack(r)

    frames = split_frames(data)
    next(frames)
    cctx = zstandard.ZstdCompressor(write_content_size=True)
    return data[:16] + b"".join(
        cctx.compress(b"".join(record(r) for r in with_dt_in_records(content)))
        for content in frames)


def test_dt_in_times_column_reads_as_in_records(tmp_path):
    """The 2.0 writer puts a `dt` in [0, 65535] in its chunk's TIMES column and nil in its
    record (FORMAT.md 3.5, 3.18): a fresh log's START and END records carry only the deltas
    out of that range, and it reads the same here and in C as the same records with every
    delta back in its record, in the shortest form and in the uint16 form (how 1.x writers
    put them; any int form is valid)."""
    dump = tool("ATR_DUMP", "atr_dump")
    if not dump:
        pytest.skip("atr_dump not built (set ATR_DUMP or build into build*/)")
    import argtrace

    path = tmp_path / "d.atr"

    @argtrace.trace
    def f(x):
        if x == 3:
            raise ValueError("three")
        return x

    argtrace.start(str(path))
    for i in range(200):
        try:
            f(i % 5)
        except ValueError:
            pass
    argtrace.stop()
    data = path.read_bytes()
    nil = inline = columns = 0
    for content in list(split_frames(data))[1:]:
        for r in unpack_all(content):
            columns += r[0] == 18
            if r[0] in (5, 6):
                if r[1] is None:
                    nil += 1
                else:
                    assert not 0 <= r[1] <= 0xFFFF, r  # in the record: out of the column's range
                    inline += 1
    assert nil + inline == 400 and nil >= 300 and columns >= 1  # the first START: absolute
    folded_u16, folded_short = reencode_dt(data, "u16", True), reencode_dt(data, "short", True)
    logs = (("writer", data), ("short", reencode_dt(data, "short")),
            ("u16", reencode_dt(data, "u16")), ("folded_u16", folded_u16),
            ("folded_short", folded_short))
    out = {}
    for name, log in logs:
        p = tmp_path / (name + ".atr")
        p.write_bytes(log)
        text = subprocess.run([dump, str(p)], capture_output=True, text=True, timeout=60).stdout
        out[name] = c_dump_text(text)
        assert_same(py_dump(log), out[name])
    assert out["writer"][0] == out["short"][0] == out["u16"][0]
    assert out["folded_u16"][0] == out["folded_short"][0]
