"""argtrace._core value capture (DESIGN.md section 4), checked through _core.read_records."""

import array
import collections
import enum
import sys

import pytest

from argtrace import _core
from atr_helpers import run_python

T = _core.TracedFunction


def run(path, fn, *calls, **start_opts):
    """Call fn(*a, **kw) for each (a, kw) in a session; return (starts, ends) by span."""
    _core.start(str(path), **start_opts)
    try:
        for a, kw in calls:
            try:
                fn(*a, **kw)
            except Exception:
                pass
    finally:
        _core.stop()
    recs = list(_core.read_records(str(path)))
    starts = [r for r in recs if r["kind"] == "start"]
    ends = {r["span"]: r for r in recs if r["kind"] == "end"}
    return starts, ends, recs


def bits_of(type_name, bits):
    """A big int as read back: its type, with its bit length as the entry `bits`."""
    return ("summary", type_name, None, [("summary", "=bits", None, [bits])])


@pytest.fixture
def log(tmp_path):
    return tmp_path / "c.atr"


class Color(enum.IntEnum):
    RED = 7


class Name(str):
    def __len__(self):
        raise AssertionError("user __len__ called")


class MyList(list):
    def __len__(self):
        raise AssertionError("user __len__ called")


class MyDict(dict):
    def __len__(self):
        raise AssertionError("user __len__ called")

    def keys(self):
        raise AssertionError("user keys called")


Pair = collections.namedtuple("Pair", "x y")


class Meters(float):
    pass


class Blob(bytes):
    pass


class Plain:
    pass


class PlainMeters(Plain, Meters):
    """A float subclass whose first base is a plain class (its layout base is still float)."""


class APlainClassWhoseNameIsLongerThan31:
    pass


class Renamed:
    pass


Renamed.__name__ = "NowCalledThis"  # the type name written follows the class's __name__
Cafe = type("Caf\u00e9", (), {})  # a non-ASCII name: its UTF-8, measured


@pytest.mark.parametrize("value, expected", [
    (None, None),
    (True, True),
    (-5, -5),
    (2**63 - 1, 2**63 - 1),
    (2**64 - 1, 2**64 - 1),
    (2**64, ("bigint", str(2**64))),
    (-(2**64), ("bigint", str(-(2**64)))),
    (1.25, 1.25),
    ("abc", "abc"),
    ("h\u00e9llo \u20ac \U0001F600", "h\u00e9llo \u20ac \U0001F600"),
    ("a\udcffb", "a\ufffdb"),
    (b"\x00\xff", b"\x00\xff"),
    (bytearray(b"xy"), b"xy"),
    ((1, "a", None, 4), ("summary", "tuple", 4, [1, "a", None])),
    ([[1, [2]]], ("summary", "list", 1, [("summary", "list", 2, [1, ("summary", "list", 1, [])])])),
    ({"k": 1, "j": 2}, ("summary", "dict", 2, ["k", "j"])),
    ({1, 2}, ("summary", "set", 2, [])),
    (frozenset(), ("summary", "frozenset", 0, [])),
    (Color.RED, ("summary", "Color", None, [7])),
    (Name("nm"), ("summary", "Name", None, ["nm"])),
    # subclasses of list, tuple, dict: as the builtin, read from its storage (no __len__ call)
    (MyList([1]), ("summary", "MyList", 1, [1])),
    (Pair(1, "two"), ("summary", "Pair", 2, [1, "two"])),
    (MyDict(k=1), ("summary", "MyDict", 1, ["k"])),
    (collections.OrderedDict(a=1, b=2), ("summary", "collections.OrderedDict", 2, ["a", "b"])),
    (collections.Counter("aab"), ("summary", "Counter", 2, ["a", "b"])),
    (object(), ("summary", "object", None, [])),
    (Meters(2.5), ("summary", "Meters", None, [2.5])),
    (Blob(b"z"), ("summary", "Blob", None, [b"z"])),
    (Plain(), ("summary", "Plain", None, [])),
    (PlainMeters(1.5), ("summary", "PlainMeters", None, [1.5])),
    (APlainClassWhoseNameIsLongerThan31(),
     ("summary", "APlainClassWhoseNameIsLongerThan31", None, [])),
    (Renamed(), ("summary", "NowCalledThis", None, [])),
    (Cafe(), ("summary", "Caf\u00e9", None, [])),
    (array.array("b"), ("summary", "array.array", None, [])),  # a C type: "module.Name"
], ids=lambda v: type(v).__name__)
def test_values(log, value, expected):
    f = T(lambda x: None)
    starts, _, _ = run(log, f, ((value,), {}))
    assert starts[0]["args"] == [expected]


def test_huge_int_is_a_summary_with_bit_length(log):
    f = T(lambda x: None)
    starts, _, _ = run(log, f, ((1 << 100000,), {}))
    assert starts[0]["args"] == [bits_of("int", 100001)]


def test_int_of_up_to_100_digits_is_exact_and_longer_ones_their_bit_length(log):
    # Converting an int to decimal takes time quadratic in its length (166 us for 4,000
    # digits on 3.12): Fraction arithmetic, whose numerators grow with every step, ran 9x
    # slower traced. Up to 100 digits the digits are kept (at most about 200 ns).
    f = T(lambda x: None)
    edge = 10**100 - 1
    starts, _, _ = run(log, f, ((edge,), {}), ((-edge,), {}), ((edge + 1,), {}),
                       ((-edge - 1,), {}), ((1 << 4000,), {}))
    assert [s["args"][0] for s in starts] == [
        ("bigint", str(edge)), ("bigint", str(-edge)),
        bits_of("int", (edge + 1).bit_length()), bits_of("int", (edge + 1).bit_length()),
        bits_of("int", 4001)]


def test_bit_length_of_a_big_int_is_an_entry(tmp_path):
    import argtrace

    @argtrace.trace
    def f(x):
        return None

    path = str(tmp_path / "b.atr")
    argtrace.start(path)
    for k in (400, 400, 800):
        f(1 << k)
    argtrace.stop()
    values = [c.args["x"].entry("bits") for c in argtrace.load(path).calls("f")]
    assert values == [401, 401, 801]


def test_a_class_is_recorded_with_its_name(tmp_path):
    import argtrace
    from argtrace import Summary

    class Base:
        @argtrace.trace
        @classmethod
        def make(cls, n):
            return n

    class Fast(Base):
        pass

    class Slow(Base):
        pass

    path = str(tmp_path / "k.atr")
    argtrace.start(path)
    for i in range(3):
        Fast.make(i)
        Slow.make(i)
    Base.make(int)
    argtrace.stop()
    calls = list(argtrace.load(path).calls())
    assert [c.args["cls"] for c in calls[:2]] == [Summary("type", None, ("Fast",)),
                                                    Summary("type", None, ("Slow",))]
    assert calls[-1].args["n"] == Summary("type", None, ("int",))


def test_long_str_truncated_with_true_length(log):
    f = T(lambda x: None, max_value_bytes=10)
    s = "\u20ac" * 20  # 3 bytes each in UTF-8
    starts, _, _ = run(log, f, (("x" * 50,), {}), ((s,), {}), ((b"b" * 11,), {}))
    assert starts[0]["args"] == [("truncated_str", "x" * 10, 50)]
    kind, text, true_len = starts[1]["args"][0]
    assert (kind, true_len) == ("truncated_str", 60) and text.startswith("\u20ac\u20ac\u20ac")
    assert starts[2]["args"] == [("truncated_bytes", b"b" * 10, 11)]


def test_true_length_of_non_ascii_strs_in_utf8(log):
    # utf8_total reads a word at a time where its code points are ASCII: every kind, every
    # length around a word, the non-ASCII character at every place, lone surrogates (3 bytes)
    f = T(lambda x: None)
    wide = ["\u00e9", "\u20ac", "\u07ff", "\u0800", "\U0001F600", "\ud800", "\uffff"]
    values = []
    for ch in wide:
        for n in range(1, 19):
            for at in {0, n // 2, n - 1}:
                values.append("a" * at + ch + "b" * (n - 1 - at))
    # a wider kind holding narrower non-ASCII characters: U+00E9 in UCS-2 and UCS-4, U+0800
    # in UCS-4
    values += ["\u20ac" + "a" * k + "\u00e9" + "b" * (9 - k) for k in range(10)]
    values += ["\U0001F600" + "a" * k + "\u00e9\u0800" + "b" * (9 - k) for k in range(10)]
    values += ["x" * 5000 + "\u00e9", "\u6f22" * 3000 + "z"]
    starts, _, _ = run(log, f, *[((v,), {}) for v in values], max_value_bytes=4)
    got = [s["args"][0] for s in starts]
    want = [len(v.encode("utf-8", "surrogatepass")) for v in values]
    assert [g[2] if isinstance(g, tuple) else len(g.encode("utf-8", "surrogatepass"))
            for g in got] == want


def test_session_max_value_bytes(log):
    f = T(lambda x: None)
    starts, _, _ = run(log, f, (("y" * 30,), {}), max_value_bytes=5)
    assert starts[0]["args"] == [("truncated_str", "yyyyy", 30)]


def test_summarizer_result_and_reentrancy(log):
    class Arr:
        shape = (3, 4)

    inner = T(lambda: 1)

    def summarize(a):
        inner()  # a traced call from inside the tracer: forwarded, not recorded
        return {"shape": a.shape, "n": 12}

    _core.register_summarizer(Arr, summarize)
    f = T(lambda x: None)
    starts, _, recs = run(log, f, ((Arr(),), {}))
    assert len(starts) == 1
    assert starts[0]["args"] == [("summary", "Arr", None, [
        ("summary", "=shape", None, [("summary", "tuple", 2, [3, 4])]),
        ("summary", "=n", None, [12])])]


def test_failing_summarizer_is_a_counted_capture_error(log):
    class Bad:
        pass

    def summarize(a):
        raise RuntimeError("no")

    _core.register_summarizer(Bad, summarize)
    f = T(lambda x: x)
    _core.start(str(log))
    assert isinstance(f(Bad()), Bad)
    assert sys.exc_info() == (None, None, None)
    st = _core.stop()
    assert st["capture_errors"] == 2  # argument and result
    starts = [r for r in _core.read_records(str(log)) if r["kind"] == "start"]
    assert starts[0]["args"] == [("error", "Bad")]


def test_capture_repr_is_opt_in_and_bounded(log):
    class R:
        def __repr__(self):
            return "R" * 100

    f = T(lambda x: None, capture_repr=True, max_value_bytes=8)
    g = T(lambda x: None)
    _core.start(str(log))
    f(R())
    g(R())
    _core.stop()
    starts = [r for r in _core.read_records(str(log)) if r["kind"] == "start"]
    assert starts[0]["args"] == [("repr", "RRRRRRRR", 100)]
    assert starts[1]["args"] == [("summary", "R", None, [])]


def test_redaction_patterns_decorator_and_session(log):
    f = T(lambda password, api_token, user, **kw: None, redact=["*_TOKEN"])
    starts, _, _ = run(log, f, (("p", "t", "u"), {"secret_key": "s", "other": 1}),
                       redact=["pass*", "secret*"])
    r = ("redacted",)
    assert starts[0]["args"] == [r, r, "u"]
    assert starts[0]["fields"] == {"secret_key": r, "other": 1}


def test_exception_message_rules(log):
    class Weird:
        def __str__(self):
            raise AssertionError("user __str__ called")

        __repr__ = __str__

    class MyErr(Exception):
        pass

    def boom(kind):
        if kind == 0:
            raise ValueError("plain", 3)
        if kind == 1:
            raise KeyError(Weird())
        raise MyErr("mine")

    f = T(boom)
    starts, ends, _ = run(log, f, ((0,), {}), ((1,), {}), ((2,), {}))
    got = [(ends[s["span"]]["exc_type"], ends[s["span"]]["value"]) for s in starts]
    assert got == [("ValueError", "('plain', 3)"), ("KeyError", None),
                   (MyErr.__module__ + "." + MyErr.__qualname__, None)]


def test_summarizer_that_empties_the_container_is_safe(log):
    victims = []

    class Clearer:
        pass

    def summarize(obj):
        for v in victims:
            v.clear()
        return ("cleared",)

    _core.register_summarizer(Clearer, summarize)
    data = [Clearer(), "x" * 10, "y" * 10]
    victims.append(data)
    f = T(lambda items: None)
    starts, _, _ = run(log, f, ((data,), {}))
    assert data == []
    assert starts[0]["args"][0] == ("summary", "list", 3, [
        ("summary", "Clearer", None, ["cleared"]), "x" * 10, "y" * 10])
    fields = {"a": Clearer(), "b": "z" * 10}
    victims[:] = [fields]
    _core.start(str(log))
    span = _core.action_begin("act", fields)
    _core.action_end(span, None)
    _core.stop()
    start = [r for r in _core.read_records(str(log)) if r["kind"] == "start"][0]
    # the dict was emptied while its fields were read: what was read stays valid
    assert start["fields"]["a"] == ("summary", "Clearer", None, ["cleared"])


def test_int_subclass_bit_length_is_not_called(log):
    class Big(int):
        def bit_length(self):
            raise AssertionError("user bit_length called")

        def __str__(self):
            raise AssertionError("user __str__ called")

    f = T(lambda x: None)
    starts, _, _ = run(log, f, ((Big(1 << 80),), {}))
    assert starts[0]["args"] == [("summary", "Big", None, [bits_of("Big", 81)])]


def test_ctrl_c_inside_a_summarizer_is_not_lost(log):
    class K:
        pass

    def summarize(obj):
        raise KeyboardInterrupt

    _core.register_summarizer(K, summarize)
    f = T(lambda x: 1)
    _core.start(str(log))
    try:
        with pytest.raises(KeyboardInterrupt):
            assert f(K()) == 1  # the call itself completes
            for _ in range(100000):
                pass
    finally:
        st = _core.stop()
    assert st["capture_errors"] == 1


def test_scratch_exhaustion_degrades_to_counted_errors(log):
    texts = ["\u00e9%d" % i * 400 for i in range(24)]  # each needs its own UTF-8 buffer
    f = T(lambda *a: ValueError(*texts))
    _core.start(str(log))
    f(*texts)
    st = _core.stop()
    start = [r for r in _core.read_records(str(log)) if r["kind"] == "start"][0]
    (kind, name, length, items), = start["args"]
    assert (kind, name, length) == ("summary", "tuple", 24)
    assert st["capture_errors"] == 0  # summary items are cut to 64 bytes: no buffers needed
    # 530 such arguments (cut to 200 bytes: the record fits a buffer) need 528 buffers,
    # past the scratch's 512 references
    scope = {}
    exec("def wide(%s): pass" % ", ".join("p%d" % i for i in range(530)), scope)
    g = T(scope["wide"])
    _core.start(str(log), max_value_bytes=200)
    g(*(texts * 23)[:530])
    st = _core.stop()
    start = [r for r in _core.read_records(str(log)) if r["kind"] == "start"][0]
    errors = [a for a in start["args"] if a == ("error", "str")]
    assert len(start["args"]) == 530 and errors and st["capture_errors"] == len(errors)
    assert all(a[0] == "truncated_str" or a == ("error", "str") or isinstance(a, str)
               for a in start["args"])


@pytest.mark.parametrize("opt", ["capture_repr", "capture_len"])
def test_user_code_emptying_an_earlier_argument_is_safe(log, opt):
    # A later argument's __repr__ / __len__ (user code, opted into) empties the lists
    # captured before it (one of them an item of a tuple) and drops the strs their items
    # pointed to; the memory is reused at once. What was captured stays what they held.
    def texts():
        return ["".join(["x", str(i)] * 20) for i in range(3)]

    data, inner = texts(), texts()
    nested = (inner, 1)

    class Emptier:
        def __repr__(self):
            data.clear()
            inner.clear()
            junk.extend("Z" * (40 + k % 2) for k in range(400))
            return "Emptier()"

        def __len__(self):
            self.__repr__()
            return 1

    junk = []
    f = T(lambda items, pair, e: None)
    starts, _, _ = run(log, f, ((data, nested, Emptier()), {}), **{opt: True})
    assert data == [] and inner == [] and len(junk) == 400
    assert starts[0]["args"][0] == ("summary", "list", 3, texts())
    assert starts[0]["args"][1] == ("summary", "tuple", 2,
                                    [("summary", "list", 3, texts()), 1])


def test_summarizer_reusing_its_result_dict_is_safe(log):
    # A summarizer that returns the same dict each time, emptied and refilled: the second
    # argument's summary empties what the first one's entries point to (keys and values
    # made at run time); the memory is reused at once. Each keeps what it was given.
    shared = {}
    junk = []

    class Item:
        def __init__(self, k):
            self.k = k

    def summarize(obj):
        shared.clear()
        junk.extend("Q" * (30 + j % 3) for j in range(300))
        shared["key%d" % obj.k] = "value %d" % obj.k * 3
        return shared

    _core.register_summarizer(Item, summarize)
    f = T(lambda a, b: None)
    starts, _, _ = run(log, f, ((Item(1), Item(2)), {}))
    assert starts[0]["args"] == [
        ("summary", "Item", None, [("summary", "=key%d" % k, None, ["value %d" % k * 3])])
        for k in (1, 2)]


SUMMARIZED_BUILTINS = r'''
import sys, argtrace
argtrace.register_summarizer(dict, lambda d: {k: v for k, v in d.items() if k != "secret"})
argtrace.register_summarizer(list, lambda l: (len(l), sum(l)))
for t in (int, bool, float, str, bytes, bytearray, type(None)):
    try:
        argtrace.register_summarizer(t, repr)
    except TypeError as e:
        print(e)
f = argtrace.trace(lambda opts, xs, n: n)
with argtrace.session(sys.argv[1]):
    f({"mode": "exact", "secret": "s"}, [1, 2, 3], 7)
    f(({"mode": "fast"},), [], 8)  # a dict inside a tuple: summarized there too
for c in argtrace.load(sys.argv[1]).calls():
    print(repr(c.args))
'''


def test_summarizers_of_builtin_containers_are_used_and_of_scalars_refused(tmp_path):
    # (in a process of its own: summarizers last for the process)
    res = run_python(["-c", SUMMARIZED_BUILTINS, str(tmp_path / "s.atr")])
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    names = ["int", "bool", "float", "str", "bytes", "bytearray", "NoneType"]
    assert lines[:7] == ["argtrace.register_summarizer: %s values are recorded as they are; a "
                         "summarizer applies to containers and other objects" % t for t in names]
    assert lines[7:] == [
        "{'opts': <dict [mode='exact']>, 'xs': <list [3, 6]>, 'n': 7}",
        "{'opts': <tuple len=1 [<dict [mode='fast']>]>, 'xs': <list [0, 0]>, 'n': 8}"]
