"""Hostile values must not be able to hurt the tracer, and the tracer must not call user
code (__repr__, __len__, __eq__, __hash__, ...) to capture them. The traced program must
behave exactly as it does untraced."""

import os

import pytest

import argtrace
from argtrace import Summary, Truncated
from atr_helpers import only, record

CALLED = []


def _hostile(name):
    def method(self, *args, **kwargs):
        CALLED.append(name)
        raise RuntimeError("hostile %s called" % name)
    method.__name__ = name
    return method


HOSTILE_METHODS = ["__repr__", "__str__", "__len__", "__eq__", "__ne__", "__hash__",
                   "__bool__", "__iter__", "__index__", "__int__", "__float__", "__format__",
                   "__getitem__", "__contains__", "__fspath__", "__sizeof__", "__lt__",
                   "__reduce__", "__reduce_ex__", "__dir__", "__getattr__"]


def hostile_type(name, base=object, extra=()):
    ns = {m: _hostile(m) for m in HOSTILE_METHODS + list(extra)
          if not (base is not object and m in ("__reduce__", "__reduce_ex__", "__sizeof__"))}
    return type(name, (base,), ns)


Hostile = hostile_type("Hostile")
HostileDict = hostile_type("HostileDict", dict, ["keys", "items", "values"])
HostileList = hostile_type("HostileList", list)
HostileTuple = hostile_type("HostileTuple", tuple)
HostileStr = hostile_type("HostileStr", str, ["encode"])
HostileInt = hostile_type("HostileInt", int)
HostileFloat = hostile_type("HostileFloat", float)
HostileBytes = hostile_type("HostileBytes", bytes)


class HostileMeta(type):
    __repr__ = _hostile("meta __repr__")
    __len__ = _hostile("meta __len__")
    __eq__ = _hostile("meta __eq__")
    __hash__ = _hostile("meta __hash__")


class Liar:
    """Claims to be an int through __class__, and records any attribute access."""

    @property
    def __class__(self):
        CALLED.append("__class__")
        return int

    def __getattribute__(self, name):
        CALLED.append("getattribute " + name)
        return object.__getattribute__(self, name)


class HostileException(Exception):
    __str__ = _hostile("exc __str__")
    __repr__ = _hostile("exc __repr__")


@argtrace.trace
def take(value):
    return value


def _values():
    d = HostileDict()
    dict.__setitem__(d, "k", 1)
    return [
        ("object", Hostile(), "Hostile"),
        ("dict subclass", d, "HostileDict"),
        ("list subclass", HostileList([1, 2]), "HostileList"),
        ("tuple subclass", HostileTuple((1,)), "HostileTuple"),
        ("str subclass", HostileStr("text"), "HostileStr"),
        ("int subclass", HostileInt(5), "HostileInt"),
        ("float subclass", HostileFloat(1.5), "HostileFloat"),
        ("bytes subclass", HostileBytes(b"ab"), "HostileBytes"),
        ("liar", Liar(), "Liar"),
        ("list of hostiles", [Hostile(), Liar()], "list"),
        ("dict with hostile values", {"a": Hostile()}, "dict"),
        ("class with hostile metaclass", HostileMeta("K", (), {}), None),
    ]


VALUES = _values()


@pytest.mark.parametrize("label, value, type_name", VALUES, ids=[v[0] for v in VALUES])
def test_no_user_code_is_called(log_path, label, value, type_name):
    del CALLED[:]
    log, result = record(log_path, take, value)
    assert result is value
    assert CALLED == []
    call = only(log.calls("take"))
    got = call.args["value"]
    assert call.result == got or isinstance(got, Summary)
    if isinstance(got, Summary) and type_name is not None:
        assert got.type_name.split(".")[-1] == type_name


@pytest.mark.parametrize("exc", [
    HostileException("x"),
    ValueError(Hostile()),
    KeyError(Liar()),
    ValueError("a", Hostile()),
], ids=["user exception", "ValueError(hostile)", "KeyError(liar)", "ValueError(2 args)"])
def test_exception_messages_do_not_call_user_code(log_path, exc):
    @argtrace.trace
    def raiser():
        raise exc

    def run():
        try:
            raiser()
        except BaseException as e:
            return e

    del CALLED[:]
    log, got = record(log_path, run)
    assert got is exc
    assert CALLED == []
    etype, _message = only(log.calls("raiser")).exception
    assert etype.split(".")[-1] == type(exc).__name__


def test_hostile_result_and_kwargs(log_path):
    @argtrace.trace
    def kw(**options):
        return Hostile()

    del CALLED[:]
    log, value = record(log_path, lambda: kw(a=Hostile(), b=Liar()))
    assert type(value) is Hostile
    assert CALLED == []
    assert set(only(log.calls()).args) == {"a", "b"}


def test_ten_megabyte_string_keeps_the_log_small(log_path):
    big = "x" * 10_000_000
    big_bytes = b"\xff" * 10_000_000
    log, value = record(log_path, lambda: (take(big), take(big_bytes)))
    assert value[0] is big and value[1] is big_bytes
    s, b = [c.args["value"] for c in log.calls("take")]
    assert isinstance(s, Truncated) and s.length == 10_000_000 and s.is_text
    assert 0 < len(s.value) <= 4096 and s.value == big[:len(s.value)]
    assert isinstance(b, Truncated) and b.length == 10_000_000 and not b.is_text
    assert 0 < len(b.value) <= 4096
    assert os.path.getsize(log_path) < 100_000


def test_recursive_and_deep_containers(log_path):
    loop = []
    loop.append(loop)
    d = {}
    d["self"] = d
    deep = []
    for _ in range(100_000):
        deep = [deep]
    log, _ = record(log_path, lambda: (take(loop), take(d), take(deep)))
    values = [c.args["value"] for c in log.calls("take")]
    assert [(v.type_name, v.length) for v in values] == [("list", 1), ("dict", 1), ("list", 1)]

    def depth(v):
        return 1 + max((depth(i) for i in v.items if isinstance(i, Summary)), default=0)

    assert all(depth(v) <= 4 for v in values)


def test_unusual_builtin_values(log_path):
    values = [float("nan"), float("inf"), -0.0, 2 ** 64, -(2 ** 63) - 1, 10 ** 400, "",
              "é\u2603\U0001F600", "\x00\x1b[31m", b"", bytearray(b"ab"), None, ...,
              NotImplemented, range(3), {1, 2}, frozenset(), 1j, object, len]
    log, _ = record(log_path, lambda: [take(v) for v in values])
    got = [c.args["value"] for c in log.calls("take")]
    assert len(got) == len(values)
    assert got[1] == float("inf") and got[0] != got[0]  # nan
    assert got[2] == 0.0 and got[3] == 2 ** 64 and got[4] == -(2 ** 63) - 1
    assert got[5].type_name == "int" and got[5].entry("bits") == (10 ** 400).bit_length()
    assert got[6:9] == ["", "é\u2603\U0001F600", "\x00\x1b[31m"]
    assert got[9] == b"" and got[11] is None


def test_surrogates_in_strings(log_path):
    s = "bad \udc80 surrogate"
    log, value = record(log_path, take, s)
    assert value is s
    assert only(log.calls()).args["value"] is not None


# ---- traced == untraced ---------------------------------------------------------------------

SENTINEL = object()


def returns_same(x):
    return x


def mutates(lst):
    lst.append(len(lst))
    return None


def raises_custom(x):
    raise HostileException(x)


def raises_stop_iteration():
    raise StopIteration("odd but legal")


def exits():
    raise SystemExit(3)


def keyboard():
    raise KeyboardInterrupt


BEHAVIOUR = [
    (returns_same, lambda: (SENTINEL,)),
    (returns_same, lambda: (Hostile(),)),
    (mutates, lambda: ([1, 2],)),
    (raises_custom, lambda: ("e",)),
    (raises_stop_iteration, lambda: ()),
    (exits, lambda: ()),
    (keyboard, lambda: ()),
]


def _outcome(fn, args):
    try:
        return ("return", fn(*args), args)
    except BaseException as e:
        return ("raise", e, args)


@pytest.mark.parametrize("in_session", [False, True])
@pytest.mark.parametrize("fn, make_args", BEHAVIOUR, ids=[b[0].__name__ for b in BEHAVIOUR])
def test_traced_behaves_like_untraced(log_path, in_session, fn, make_args):
    traced = argtrace.trace(fn)
    plain_args, traced_args = make_args(), make_args()
    if in_session:
        argtrace.start(log_path)
    try:
        del CALLED[:]
        got = _outcome(traced, traced_args)
    finally:
        if in_session:
            argtrace.stop()
    want = _outcome(fn, plain_args)
    assert got[0] == want[0]
    if got[0] == "return":
        if fn is returns_same:
            assert got[1] is traced_args[0]
        else:
            assert got[1] == want[1]
    else:
        assert type(got[1]) is type(want[1])
        assert got[1].args == want[1].args
    if fn is mutates:
        assert traced_args == plain_args == ([1, 2, 2],)
    assert CALLED == []
    if in_session:
        call = only(argtrace.load(log_path).calls())
        assert call.status == ("raise" if got[0] == "raise" else "return")
