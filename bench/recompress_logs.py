"""Log bytes per call under other zstd settings, on the same records: each zstd frame of each
log is decompressed and compressed again, frame by frame (the writer's frame boundaries),
with each setting; prints bytes per call (calls = START records) and the compression CPU per
call (best of 3). The records being identical, the settings compare without the run-to-run
noise of the logs' contents (their times). Uses the zstandard package (its bundled zstd;
within 0.01 B per call of the system library's on these logs). With --dt, every record's
time delta is first written again in one form: "short" (msgpack's shortest, the writer
before issue 16's third round) or "u16" (`CD hi lo` for [0, 65535], the writer after; FORMAT.md
3.5); the other records' bytes are msgpack's own (the writer's, byte for byte). "column" and
"planes" measure a layout that no reader reads: every delta taken out of its record (nil in
its place) into one blob per CHUNK, as uint16s ("planes": high bytes, then low bytes).

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
    """A chunk's time deltas as one blob: each a big-endian uint16, or 0xFFFF then 8 bytes
    (signed) for the rest; with planes, every high byte first, then every low byte (the
    escapes' 8 bytes at the end)."""
    hi, lo, rest = bytearray(), bytearray(), bytearray()
    for d in deltas:
        if 0 <= d < 0xFFFF:
            hi.append(d >> 8)
            lo.append(d & 0xFF)
        else:
            hi.append(0xFF)
            lo.append(0xFF)
            rest += struct.pack(">q", d)
    if planes:
        return bytes(hi + lo + rest)
    out = bytearray()
    for h, l in zip(hi, lo):
        out += bytes((h, l))
    return bytes(out + rest)


def reencode_column(content, planes):
    """What a time column would weigh (a measurement, not a format): each timed record's dt
    written as nil, the deltas of each CHUNK's records gathered into a bin after the CHUNK
    (a record [18, bin])."""
    packer = msgpack.Packer(use_bin_type=True)
    u = msgpack.Unpacker(raw=True, strict_map_key=False, max_buffer_size=len(content) + 1)
    u.feed(content)
    chunks, cur = [], None
    for r in u:
        if r[0] == 4 or cur is None:
            cur = [r, [], []] if r[0] == 4 else [None, [], []]
            chunks.append(cur)
            if r[0] == 4:
                continue
        if r[0] in TIMED:
            cur[1].append(r[1])
            r = [r[0], None] + r[2:]
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
    u = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=len(content) + 1)
    u.feed(content)
    out = bytearray()
    for r in u:
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
