"""Value interning (docs/FORMAT.md 3.17, ext 9; format 1.4): a long str or bytes value that a
thread writes again from the same address (a parser's whole input, passed with a position to
every call) is defined once in a VALUE record and written as its id. Every reader (the C
reader behind argtrace, the independent spec reader of test_format_spec) must read exactly
the values that the same calls write in full, whatever the values' lifetimes, kinds, cuts,
threads and number; the truth here is a second run whose every value is a fresh object
(written in full) and the values themselves."""
import os
import sys
import threading

import msgpack
import pytest

import argtrace

sys.path.insert(0, os.path.dirname(__file__))
from test_type_interning import (raw_records, same_in_spec_reader, starts,  # noqa: E402
                                 write_log)

LONG = "".join(chr(ord("a") + i % 26) for i in range(5000))  # cut at max_len: ext 1


def values(path):
    """Each START's args and each END's value, in order, as the C reader reads them."""
    from argtrace import _core
    out = []
    for r in _core.read_records(str(path)):
        if r["kind"] == "start":
            out.append(("args", r["args"]))
        elif r["kind"] == "end":
            out.append(("value", r.get("value")))
    return out


def value_records(path):
    return [r for r in raw_records(path) if r[0] == 17]


def refs(path):
    def walk(v):
        if isinstance(v, msgpack.ExtType):
            return int(v.code == 9)
        if isinstance(v, list):
            return sum(walk(x) for x in v)
        return 0
    return sum(walk(r[4:]) for r in raw_records(path) if r[0] in (5, 6))


def run(path, calls, **opts):
    """calls: [(function, args)], run in one session at path."""
    with argtrace.session(str(path), **opts):
        for fn, args in calls:
            fn(*args)


def fresh(v):
    """An equal value at a new address (written in full: first sighting)."""
    return v[:1] + v[1:] if len(v) > 1 else v


def test_repeated_values_read_back_as_the_same_calls_written_in_full(tmp_path):
    alive = []  # every fresh value of the second run stays alive: no address is reused

    def result(v):
        alive.append(fresh(v))
        return alive[-1]

    parse = argtrace.trace(lambda src, pos: src if pos % 3 == 0 else pos)
    parse_fresh = argtrace.trace(lambda src, pos: result(src) if pos % 3 == 0 else pos)
    blob = bytes(range(256)) * 3
    short = "s" * 300
    calls = [(parse, (v, i)) for i in range(12) for v in (LONG, blob, short)]
    keep = [(parse_fresh, (fresh(v), i)) for _, (v, i) in calls]
    run(tmp_path / "i.atr", calls, max_len=1000)
    run(tmp_path / "f.atr", keep, max_len=1000)
    assert values(tmp_path / "i.atr") == values(tmp_path / "f.atr")
    # one VALUE per distinct value, defined at the second sighting, then ids
    defs = value_records(tmp_path / "i.atr")
    assert len(defs) == 3
    assert refs(tmp_path / "i.atr") == 3 * 11 + 4 * 2 + 4  # args after the first, results
    assert value_records(tmp_path / "f.atr") == [] and refs(tmp_path / "f.atr") == 0
    got = values(tmp_path / "i.atr")
    assert got[0][1][0] == ("truncated_str", LONG[:1000], 5000)
    assert got[2][1][0] == blob and got[4][1][0] == short
    same_in_spec_reader(tmp_path / "i.atr")
    # the point of it: the log is a fraction of the one with every value written in full
    raw = sum(len(msgpack.packb(r)) for r in raw_records(tmp_path / "i.atr"))
    assert raw * 4 < sum(len(msgpack.packb(r)) for r in raw_records(tmp_path / "f.atr"))


def test_short_values_and_values_seen_once_are_written_in_full(tmp_path):
    f = argtrace.trace(lambda s: None)
    s255 = "q" * 255
    path = tmp_path / "t.atr"
    run(path, [(f, (s255,))] * 5 + [(f, (fresh(LONG),))])
    assert value_records(path) == [] and refs(path) == 0
    assert [a for k, a in values(path) if k == "args"][:5] == [[s255]] * 5


def test_new_value_at_a_dead_values_address(tmp_path):
    """Strings of the same length made and freed one after another reuse one address: each
    reads back as itself, not as the value that lived there before."""
    f = argtrace.trace(lambda s: None)
    made = ["%s%04d" % ("p" * 400, i) for i in range(200)]
    path = tmp_path / "t.atr"
    with argtrace.session(str(path)):
        for i in range(200):
            s = "%s%04d" % ("p" * 400, i)  # freed at the next iteration
            f(s)
            f(s)
    got = [a[0] for k, a in values(path) if k == "args"]
    assert got == [m for m in made for _ in (0, 1)]
    assert len(value_records(path)) == 200
    same_in_spec_reader(path)


def test_same_value_in_threads_and_functions_shares_one_id(tmp_path):
    f = argtrace.trace(lambda s, i: None)
    g = argtrace.trace(lambda s: len(s))
    text = LONG[:3000]
    path = tmp_path / "t.atr"

    def work(n):
        for i in range(n):
            f(text, i)
            g(text)

    with argtrace.session(str(path)):
        ts = [threading.Thread(target=work, args=(200,)) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    defs = value_records(path)
    assert len(defs) == 1 and defs[0][2] == text
    got = [a for k, a in values(path) if k == "args"]
    assert len(got) == 1600 and all(a[0] == text for a in got)
    same_in_spec_reader(path)


def test_budget_spent_values_are_written_in_full(tmp_path):
    """Past the session's budget (4 MiB of interned values) every value is written in full:
    nothing is lost, memory stays bounded."""
    f = argtrace.trace(lambda s: None)
    big = [(chr(65 + i % 26) * 7 + str(i)) * 25000 for i in range(24)]  # ~250 KB each
    path = tmp_path / "t.atr"
    with argtrace.session(str(path), max_len=1 << 18, buffer_size=4 << 20):
        for s in big:
            f(s)
            f(s)
    defs = value_records(path)
    assert 0 < len(defs) < 24
    assert sum(len(d[2]) for d in defs) <= 4 << 20
    got = [a[0] for k, a in values(path) if k == "args"]
    assert got == [s for s in big for _ in (0, 1)]


def test_forked_child_and_rotated_files_read_alone(tmp_path):
    f = argtrace.trace(lambda s, i: None)
    text = LONG[:2000]
    path = tmp_path / "p.atr"
    with argtrace.session(str(path)):
        f(text, 0)
        f(text, 1)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                f(text, 2)
                argtrace.stop()
                code = 0
            finally:
                os._exit(code)
        assert os.waitpid(pid, 0)[1] == 0
    (child,) = tmp_path.glob("p.*.atr")
    assert [a for k, a in values(child) if k == "args"] == [[text, 2]]
    assert refs(child) == 1
    same_in_spec_reader(child)

    rot = tmp_path / "app.atr"
    argtrace.start(str(rot), max_size=4096, flush_interval_ms=1)
    try:
        for i in range(20000):
            f(text, i * 7919)
            if i % 1000 == 999:
                argtrace.flush()
    finally:
        argtrace.stop()
    files = sorted(tmp_path.glob("app.atr*"), key=lambda p: (len(p.name), p.name))
    assert len(files) >= 3
    with_calls = 0
    for p in files[1:]:
        got = starts(p)
        assert all(r["args"][0] == text for r in got), p
        if got:
            with_calls += 1
            assert [r[2] for r in value_records(p)] == [text]
        same_in_spec_reader(p)
    assert with_calls >= 2


def test_cat_reads_a_frame_alone_with_its_values(tmp_path):
    """A span's frame decoded alone (argtrace cat --span, FORMAT.md 2.2) gets the VALUE
    records from the frames holding definitions."""
    import subprocess
    from argtrace import _core
    if not hasattr(_core, "viewer_main"):
        pytest.skip("this build has no C viewer (ATR_BUILD_VIEWER=OFF)")
    f = argtrace.trace(lambda s, i: None)
    text = LONG[:1500]
    path = tmp_path / "t.atr"
    with argtrace.session(str(path)):
        for i in range(30000):
            f(text, i)
            if i % 5000 == 4999:  # a frame each: the last span's is not the VALUE's
                argtrace.flush()
    frames = [r for r in raw_records(path) if r[0] == 4]
    assert len(frames) >= 5
    last = starts(path)[-1]
    span = "0:%d" % (last["span"] & ((1 << 40) - 1))
    res = subprocess.run([sys.executable, "-m", "argtrace", "cat", "--span", span, str(path)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "abcdefghij" in res.stdout and "unknown" not in res.stdout


def _doctor(path, dst, change):
    recs = raw_records(path)
    write_log(path, dst, [change(r) for r in recs if change(r) is not None])


def test_damaged_value_records(tmp_path):
    f = argtrace.trace(lambda s: None)
    text = LONG[:600]
    path = tmp_path / "t.atr"
    run(path, [(f, (text,))] * 3)
    # a reference whose VALUE record is missing reads as an unknown value
    bad = tmp_path / "missing.atr"
    _doctor(path, bad, lambda r: None if r[0] == 17 else r)
    got = [a[0] for k, a in values(bad) if k == "args"]
    assert got[0] == text and all(v[0] == "unknown" for v in got[1:])
    same_in_spec_reader(bad)
    # a VALUE record that holds no string is refused with a one-line error
    wrong = tmp_path / "wrong.atr"
    _doctor(path, wrong, lambda r: [17, r[1], 42] if r[0] == 17 else r)
    with pytest.raises(Exception) as e:
        values(wrong)
    assert "VALUE record holds" in str(e.value)
    # a reference that is not one uint is refused
    odd = tmp_path / "odd.atr"

    def bad_ref(r):
        if r[0] == 5 and isinstance(r[4][0], msgpack.ExtType):
            r[4][0] = msgpack.ExtType(9, b"\xa1x")
        return r
    _doctor(path, odd, bad_ref)
    with pytest.raises(Exception) as e:
        values(odd)
    assert "value reference" in str(e.value)


def test_non_ascii_text_made_utf8_in_a_reused_buffer(tmp_path):
    """Non-ASCII text is made UTF-8 in a buffer the capture may reuse: the same address then
    holds another value each call. Distinct values define nothing; one value passed again is
    interned where the buffer is reused (not with every allocator: PYTHONMALLOC=malloc);
    every value reads back as itself."""
    f = argtrace.trace(lambda s: None)
    distinct = ["\u00e9" * 200 + "%04d" % i for i in range(300)]
    same = "\u00fc" * 300
    path = tmp_path / "t.atr"
    with argtrace.session(str(path)):
        for s in distinct:
            f(s)
        for _ in range(5):
            f(same)
    got = [a[0] for k, a in values(path) if k == "args"]
    assert got == distinct + [same] * 5
    defs = value_records(path)
    assert all(d[2] == same for d in defs) and len(defs) <= 1
    same_in_spec_reader(path)
