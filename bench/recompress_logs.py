"""Log bytes per call under other zstd settings, on the same records: each zstd frame of each
log is decompressed and compressed again, frame by frame (the writer's frame boundaries),
with each setting; prints bytes per call (calls = START records) and the compression CPU per
call (best of 3). The records being identical, the settings compare without the run-to-run
noise of the logs' contents (their times). Uses the zstandard package (its bundled zstd;
within 0.01 B per call of the system library's on these logs). With --dt, every record's
time delta is first written again in one form: "short" (msgpack's shortest, the writer
before issue 16's third round) or "u16" (`CD hi lo` for [0, 65535], the writer after; FORMAT.md
3.5); the other records' bytes are msgpack's own (the writer's, byte for byte). "column" and
"planes" put every delta in [0, 65535) in a TIMES column after its CHUNK (nil in its record):
"planes" as format 2.0 does (FORMAT.md 3.18: high bytes, then low bytes), "column" with each
delta's two bytes together; a 2.0 log's deltas are first put back in their records.

    python3 bench/recompress_logs.py [--dt short|u16|column|planes] LOG.atr...   (--keep-logs of bench_process_cpu.py)
"""
import struct
import sys
import time

import msgpack
import zstandard

Z = zstandard.ZstdCompressionParameters
SETTINGS = [
    ("1 (fast)", Z.from_level(1)),
    ("1 dfast", Z.from_level(1, strategy=zstandard.STRATEGY_DFAST)),
    ("1 dfast mm5 h16 c14", Z.from_level(1, strategy=zstandard.STRATEGY_DFAST, min_match=5,
                                          hash_log=16, chain_log=14)),
    ("3", Z.from_level(3)),
]


def frames(path):
    """The content of each zstd frame of a log, in order (skippable frames left out)."""
    data = open(path, "rb").read()
    pos, out = 16, []
    while pos < len(data):
        magic = struct.unpack_from("<I", data, pos)[0]
        if 0x184D2A50 <= magic <= 0x184D2A5F:
            pos += 8 + struct.unpack_from("<I", data, pos + 4)[0]
            continue
        d = zstandard.ZstdDecompressor().decompressobj()
        out.append(d.decompress(data[pos:]))
        pos = len(data) - len(d.unused_data)
    return out


TIMED = (5, 6, 7, 11, 12)


def time_column(deltas, planes):
    """A chunk's deltas (each in [0, 65535]) as one blob of uint16s: with planes, every high
    byte first, then every low byte (FORMAT.md 3.18); else big-endian pairs."""
    if planes:
        return bytes(d >> 8 for d in deltas) + bytes(d & 0xFF for d in deltas)
    return b"".join(struct.pack(">H", d) for d in deltas)


def resolved(content):
    """The records of a frame with every dt in the record: a 2.0 log's nil deltas taken from
    their chunk's TIMES column (FORMAT.md 3.18), the TIMES records left out."""
    u = msgpack.Unpacker(raw=True, strict_map_key=False, max_buffer_size=len(content) + 1)
    u.feed(content)
    column, at = b"", 0
    for r in u:
        if r[0] == 4:
            column, at = b"", 0
        elif r[0] == 18:
            column, at = r[1], 0
            continue
        elif r[0] in TIMED and r[1] is None:
            n = len(column) // 2
            r = [r[0], column[at] << 8 | column[n + at]] + list(r[2:])
            at += 1
        yield r


def reencode_column(content, planes):
    """A chunk's deltas in a TIMES column after its CHUNK (2.0, FORMAT.md 3.18): "planes" is
    the format's layout (high bytes, then low bytes); "column" interleaves them (measured, not
    a format). Deltas outside [0, 65535] stay in their records, as the writer leaves them."""
    packer = msgpack.Packer(use_bin_type=True)
    chunks, cur = [], None
    for r in resolved(content):
        if r[0] == 4 or cur is None:
            cur = [r, [], []] if r[0] == 4 else [None, [], []]
            chunks.append(cur)
            if r[0] == 4:
                continue
        if r[0] in TIMED and 0 <= r[1] <= 0xFFFF:
            cur[1].append(r[1])
            r = [r[0], None] + list(r[2:])
        cur[2].append(packer.pack(r))
    out = bytearray()
    for chunk, deltas, recs in chunks:
        if chunk is not None:
            out += packer.pack(chunk)
        if deltas:
            out += packer.pack([18, time_column(deltas, planes)])
        out += b"".join(recs)
    return bytes(out)


def reencode(content, form):
    if form in ("column", "planes"):
        return reencode_column(content, form == "planes")
    packer = msgpack.Packer(use_bin_type=True)
    out = bytearray()
    for r in resolved(content):
        if r[0] in TIMED and form == "u16" and 0 <= r[1] <= 0xFFFF:
            out += packer.pack_array_header(len(r)) + packer.pack(r[0])
            out += b"\xcd" + struct.pack(">H", r[1]) + b"".join(map(packer.pack, r[2:]))
        else:
            out += packer.pack(r)
    return bytes(out)


def main():
    args = sys.argv[1:]
    form = None
    if args[:1] == ["--dt"]:
        form, args = args[1], args[2:]
    print("| log | calls | stored B/call | " + " | ".join(
        "%s B/call, ns/call" % name for name, _ in SETTINGS) + " |")
    print("| --- | ---: | ---: | " + " | ".join("---:" for _ in SETTINGS) + " |")
    for path in args:
        contents = frames(path)
        if form:
            contents = [reencode(c, form) for c in contents]
        calls = sum(count_starts(c) for c in contents)
        with open(path, "rb") as f:
            stored = len(f.read())
        cells = []
        for _name, params in SETTINGS:
            cctx = zstandard.ZstdCompressor(compression_params=params)
            best, size = None, 0
            for _ in range(3):
                t0 = time.process_time_ns()
                size = sum(len(cctx.compress(c)) for c in contents)
                dt = time.process_time_ns() - t0
                best = dt if best is None else min(best, dt)
            cells.append("%.3f, %.0f" % (size / calls, best / calls))
        print("| %s | %d | %.3f | %s |" % (path, calls, stored / calls, " | ".join(cells)))


def count_starts(content):
    u = msgpack.Unpacker(raw=True, strict_map_key=False, max_buffer_size=len(content) + 1)
    u.feed(content)
    return sum(1 for r in u if r[0] == 5)


if __name__ == "__main__":
    main()
