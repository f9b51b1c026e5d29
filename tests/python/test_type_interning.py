"""Type-name interning (docs/FORMAT.md 3.16, ext 8; format 1.2): a summary's type name is
written once per log in a TYPE record and referred to by id. Every reader (the C reader
behind argtrace, the independent spec reader of test_format_spec) shows the same values as
with the names written in full, whatever the types' lifetimes, names and number."""
import gc
import io
import struct
import subprocess
import sys

import msgpack
import pytest
import zstandard

import argtrace
from argtrace import _core

sys.path.insert(0, __import__("os").path.dirname(__file__))
from test_format_spec import assert_same, c_dump_text, py_dump, tool  # noqa: E402


def starts(path):
    return [r for r in _core.read_records(str(path)) if r["kind"] == "start"]


def raw_records(path):
    data = path.read_bytes()
    content = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True).decompress(data)
    return list(msgpack.Unpacker(io.BytesIO(content), raw=False, strict_map_key=False))


def same_in_spec_reader(path):
    dump = tool("ATR_DUMP", "atr_dump")
    if not dump:
        pytest.fail("atr_dump not built (set ATR_DUMP or build into build*/)")
    out = subprocess.run([dump, str(path)], capture_output=True, text=True, timeout=60).stdout
    assert_same(py_dump(path.read_bytes()), c_dump_text(out))


def test_objects_read_back_with_their_names_and_types_written_once(tmp_path):
    class Foo:
        pass

    class Bar:
        pass

    odd = type("a b\u00e9\t\"x\" \U0001F600", (), {})
    f = argtrace.trace(lambda a, b, c: [b, 1])
    path = tmp_path / "t.atr"
    with argtrace.session(str(path)):
        for _ in range(50):
            f(Foo(), Bar(), odd())
    got = starts(path)
    assert len(got) == 50
    for r in got:
        assert r["args"] == [("summary", "Foo", None, []), ("summary", "Bar", None, []),
                             ("summary", odd.__name__, None, [])]
    recs = raw_records(path)
    types = [r for r in recs if r[0] == 16]
    assert sorted(r[2] for r in types) == sorted(["Foo", "Bar", odd.__name__, "list"])
    assert struct.unpack_from("<HH", path.read_bytes(), 12) == (2, 0)
    # the values are ext 8 (by id), a container with items too (the list result: its id,
    # length and items, the item itself ext 8)
    first = next(r for r in recs if r[0] == 5)
    assert [a.code for a in first[4]] == [8, 8, 8] and len(first[4][0].data) == 1
    ids = {r[2]: r[1] for r in types}
    result = next(r for r in recs if r[0] == 6)[4]
    assert result.code == 8
    assert list(msgpack.Unpacker(io.BytesIO(result.data))) == [
        ids["list"], 2, msgpack.ExtType(8, bytes([ids["Bar"]])), 1]
    same_in_spec_reader(path)
    log = argtrace.load(str(path))
    assert "a=<Foo>" in repr(log.calls()[0]) and "<list len=2 [<Bar>, 1]>" in repr(log.calls()[0])


def test_type_dying_and_another_at_its_address(tmp_path):
    """A type dies and a new type (another name) takes its memory: each value keeps its own
    type's name. The writer's cache is keyed by the name's address but checked by bytes."""
    f = argtrace.trace(lambda x: None)
    path = tmp_path / "t.atr"
    seen, reused = set(), 0
    with argtrace.session(str(path)):
        for i in range(300):
            cls = type("T%d" % i, (), {})
            reused += id(cls) in seen
            seen.add(id(cls))
            f(cls())
            del cls
            gc.collect()
    assert reused > 0  # the case under test happened
    names = [r["args"][0][1] for r in starts(path)]
    assert names == ["T%d" % i for i in range(300)]
    same_in_spec_reader(path)


def test_many_types_past_16_bit_ids(tmp_path):
    f = argtrace.trace(lambda x: None)
    path = tmp_path / "t.atr"
    classes = [type("K%d" % i, (), {}) for i in range(70000)]
    with argtrace.session(str(path)):
        for c in classes:
            f(c())
        f(classes[3]())  # an early id again
    names = [r["args"][0][1] for r in starts(path)]
    assert names == ["K%d" % i for i in range(70000)] + ["K3"]
    ids = [r[1] for r in raw_records(path) if r[0] == 16]
    assert len(ids) == 70000 and max(ids) >= 65536


def test_same_name_different_types_share_an_id(tmp_path):
    f = argtrace.trace(lambda x: None)
    path = tmp_path / "t.atr"
    a, b = type("Same", (), {}), type("Same", (), {})
    with argtrace.session(str(path)):
        f(a())
        f(b())
    assert [r["args"][0][1] for r in starts(path)] == ["Same", "Same"]
    assert [r[2] for r in raw_records(path) if r[0] == 16] == ["Same"]


def test_redaction_unaffected(tmp_path):
    class Secretish:
        pass

    def login(user, password):
        return None

    f = argtrace.trace(login)
    path = tmp_path / "t.atr"
    with argtrace.session(str(path), redact=["password"]):
        f(Secretish(), Secretish())
    (r,) = starts(path)
    assert r["args"][0] == ("summary", "Secretish", None, [])
    assert r["args"][1][0] == "redacted"


def write_log(src, dst, recs):
    """A log at dst: src's header, then recs in one frame."""
    content = b"".join(msgpack.packb(r, use_bin_type=True) for r in recs)
    frame = zstandard.ZstdCompressor(write_content_size=True, write_checksum=True).compress(content)
    dst.write_bytes(src.read_bytes()[:16] + frame)


def _rewrite_without_types(src, dst):
    """The same records, TYPE records left out (a damaged log)."""
    write_log(src, dst, [r for r in raw_records(src) if r[0] != 16])


def test_value_whose_type_record_is_missing_reads_as_unknown(tmp_path):
    class Foo:
        pass

    f = argtrace.trace(lambda x: x)
    path = tmp_path / "t.atr"
    with argtrace.session(str(path)):
        f(Foo())
        f(7)
    bad = tmp_path / "bad.atr"
    _rewrite_without_types(path, bad)
    got = starts(bad)
    assert got[0]["args"][0][0] == "unknown" and got[1]["args"] == [7]
    same_in_spec_reader(bad)
    res = subprocess.run([sys.executable, "-m", "argtrace", "cat", str(bad)], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "START" in res.stdout


def test_ext8_with_length_and_items_hand_made(tmp_path):
    """ext 8 may carry the length and leading items after the id (FORMAT.md 4); the writer
    writes containers so, a reader must read every form alike (these are made by hand)."""
    class Foo:
        pass

    f = argtrace.trace(lambda x, y, z: x)
    path = tmp_path / "t.atr"
    with argtrace.session(str(path)):
        f(Foo(), 1, 2)
    recs = raw_records(path)
    start = next(r for r in recs if r[0] == 5)
    pk = msgpack.packb
    start[4] = [msgpack.ExtType(8, pk(0) + pk(3) + pk(1) + pk("x")),
                msgpack.ExtType(8, pk(0) + pk(None)),
                msgpack.ExtType(8, pk(0) + pk(2) + pk(msgpack.ExtType(8, pk(0))))]
    made = tmp_path / "made.atr"
    write_log(path, made, recs)
    (r,) = starts(made)
    name = recs[[x[0] for x in recs].index(16)][2]
    assert r["args"] == [("summary", name, 3, [1, "x"]), ("summary", name, None, []),
                         ("summary", name, 2, [("summary", name, None, [])])]
    same_in_spec_reader(made)


def test_forked_child_log_repeats_the_type_records(tmp_path):
    """A forked child's log starts afresh (FORMAT.md 3.1): the TYPE records defined before
    the fork are written again there, so its values read with their names."""
    import os

    class Before:
        pass

    class After:
        pass

    f = argtrace.trace(lambda x: None)
    path = tmp_path / "p.atr"
    with argtrace.session(str(path)):
        f(Before())
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                f(Before())
                f(After())
                argtrace.stop()
                code = 0
            finally:
                os._exit(code)
        assert os.waitpid(pid, 0)[1] == 0
    (child,) = [p for p in tmp_path.glob("p.*.atr")]
    assert [r["args"][0][1] for r in starts(child)] == ["Before", "After"]
    assert [r["args"][0][1] for r in starts(path)] == ["Before"]
    same_in_spec_reader(child)


def test_every_file_of_a_rotated_log_defines_its_types(tmp_path):
    """Each file of a rotated log stands alone (FORMAT.md 3.1): the TYPE records of the
    types defined in earlier files are repeated, so every value reads with its name."""
    class Early:
        pass

    f = argtrace.trace(lambda x, i: None)
    path = tmp_path / "app.atr"
    argtrace.start(str(path), max_size=4096, flush_interval_ms=1)
    try:
        for i in range(20000):
            f(Early(), i * 7919)
            if i % 1000 == 999:  # a flush cycle each 1,000 calls: files fill whatever the speed
                argtrace.flush()
    finally:
        argtrace.stop()
    files = sorted(tmp_path.glob("app.atr*"), key=lambda p: (len(p.name), p.name))
    assert len(files) >= 3
    for p in files[1:]:
        got = starts(p)
        assert all(r["args"][0] == ("summary", "Early", None, []) for r in got), p
        if got:
            assert [r[2] for r in raw_records(p) if r[0] == 16] == ["Early"]
        same_in_spec_reader(p)
