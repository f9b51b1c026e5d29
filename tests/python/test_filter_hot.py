"""Filter tracing's hot path (filter_calls.h, atr__calls_hot): a plain function decided once
per code object, filter and session takes a shorter path from its second recorded call on.
What it decides once must follow every change: a new session (its redaction), a new filter
(min-duration, max depth), a value its inline capture does not handle, a decorator added
later, a function that is a generator. Each test first makes the function hot (a few calls)
and then checks the records of the change."""

import enum

import argtrace
from argtrace import REDACTED, Summary, _core
from atr_helpers import only, run_python
from conftest import filter_traced

MOD = __name__
SEL = [MOD + ":hot_*"]


def hot_pair(secret, x):
    return x + 1


def hot_leaf(x):
    return x


def hot_deco(x):
    return x


def hot_values(v):
    return v


def hot_caller(n):
    return [hot_leaf(i) for i in range(n)]


class Clock:
    def __init__(self):
        self.now = 1_000_000

    def __call__(self):
        return self.now


def hot_many(a, b, c, d, e):
    return (a, e)


def hot_star(a, *rest):
    return len(rest)


class Plain:
    pass


def hot_tick(clock, dt):
    clock.now += dt


def session(path, fn, redact=(), **filter_kw):
    return filter_traced(path, SEL, fn, redact, **filter_kw)


def test_a_new_session_redacts_a_function_hot_in_the_one_before(tmp_path):
    first = session(tmp_path / "a.atr", lambda: [hot_pair("s%d" % i, i) for i in range(5)])
    assert [c.args for c in first.calls(MOD + ".hot_pair")] == [
        {"secret": "s%d" % i, "x": i} for i in range(5)]
    second = session(tmp_path / "b.atr", lambda: [hot_pair("t%d" % i, i) for i in range(5)],
                     redact=["secret"])
    calls = list(second.calls(MOD + ".hot_pair"))
    assert len(calls) == 5
    assert all(c.args["secret"] == REDACTED for c in calls)
    assert [c.args["x"] for c in calls] == list(range(5))
    assert [c.result for c in calls] == [i + 1 for i in range(5)]


def test_a_new_filter_with_min_duration_drops_a_function_hot_before(tmp_path):
    clock = Clock()

    def run():
        for i in range(6):
            hot_tick(clock, 10 if i % 2 else 5_000_000)

    path = tmp_path / "a.atr"
    argtrace.start(path)
    try:
        _core.filter_start(SEL, [])
        run()  # hot_tick becomes hot in this filter
        _core.filter_stop()
        _core.filter_start(SEL, [], min_duration_ns=1_000_000, clock=clock)
        run()
        _core.filter_stop()
    finally:
        argtrace.stop()
    ticks = list(argtrace.load(path).calls(MOD + ".hot_tick"))
    assert [c.args["dt"] for c in ticks] == [5_000_000, 10] * 3 + [5_000_000] * 3


def test_a_new_filter_with_max_depth_limits_a_function_hot_before(tmp_path):
    path = tmp_path / "a.atr"
    argtrace.start(path)
    try:
        _core.filter_start(SEL, [])
        hot_caller(4)
        _core.filter_stop()
        _core.filter_start(SEL, [], max_depth=1)
        hot_caller(4)
        _core.filter_stop()
    finally:
        argtrace.stop()
    log = argtrace.load(path)
    assert len(list(log.calls(MOD + ".hot_caller"))) == 2
    assert len(list(log.calls(MOD + ".hot_leaf"))) == 4  # the second filter: none recorded


def test_values_the_hot_path_does_not_capture_inline_are_captured_in_full(tmp_path):
    big = 1 << 80
    values = [1, 2, 3, [1, 2], "é", big, (4,), {"k": 1}, None, 2.5, "ascii", b"xy", 7]
    log = session(tmp_path / "a.atr", lambda: [hot_values(v) for v in values])
    calls = list(log.calls(MOD + ".hot_values"))
    got = [c.args["v"] for c in calls]
    assert got[:3] == [1, 2, 3]
    assert got[3] == Summary("list", 2, (1, 2))
    assert got[4] == "é" and got[5] == big and got[6] == Summary("tuple", 1, (4,))
    assert got[8:11] == [None, 2.5, "ascii"] and got[12] == 7
    assert [c.result for c in calls] == got  # the same value comes back as the result


def test_a_function_decorated_while_hot_is_recorded_once_per_call(tmp_path):
    def run():
        for i in range(3):
            hot_deco(i)
        traced = argtrace.trace(hot_deco)  # (marks the code object decorated for good)
        for i in range(3, 6):
            traced(i)

    log = session(tmp_path / "a.atr", run)
    calls = list(log.calls(MOD + ".hot_deco"))
    assert [c.args["x"] for c in calls] == list(range(6))


def test_the_hot_path_is_taken_and_records_what_the_general_path_does(tmp_path):
    """Many calls of one function with scalar arguments (the hot path from the second call)
    are recorded with parents, arguments and results, nested under their caller."""
    log = session(tmp_path / "a.atr", lambda: hot_caller(50))
    caller = only(log.calls(MOD + ".hot_caller"))
    leaves = list(log.calls(MOD + ".hot_leaf"))
    assert [c.args["x"] for c in leaves] == list(range(50))
    assert [c.result for c in leaves] == list(range(50))
    assert all(c.parent_id == caller.id for c in leaves)
    assert caller.args == {"n": 50}


def test_containers_the_hot_path_captures_inline_are_what_the_general_path_records(tmp_path):
    """Tuples, lists and dicts of scalars (ints up to int64), ASCII strs and plain objects
    are captured on the hot path (up to four per call, and the result); more containers, or one holding a value
    that needs the general capture (a nested container, a non-ASCII str, a big int), take
    the general path. Every call records the same values either way."""
    p = Plain()
    cases = [
        (1, 2, 3, 4, 5),
        ((1, "one"), [2.5, None], {"k": 1, "m": 2}, (p, True), 0),  # four: hot
        ((1, "one"), [2.5, None], {"k": 1, "m": 2}, (p, True), [9]),  # five: general
        ((1, (2, 3)), ["é"], [1 << 70], {}, ()),  # items the inline capture leaves
        (list(range(10)), tuple("abcdef"), dict.fromkeys("wxyz"), [p] * 5, (1,)),
        (2**40, [2**62, -(2**63)], 2**63 - 1, {2**31: 1, -(2**31) - 1: 2}, -(2**40)),  # int64s
        (1, 2, 2**63, 3, 4),  # past int64: general
    ] * 3
    log = session(tmp_path / "a.atr", lambda: [hot_many(*c) for c in cases])
    calls = list(log.calls(MOD + ".hot_many"))
    assert len(calls) == len(cases)

    def summary(v, depth=0):  # items two levels down are left out (capture.h)
        if isinstance(v, (tuple, list, dict)):
            items = list(v)[:3] if depth < 2 else []
            return Summary(type(v).__name__, len(v), tuple(summary(x, depth + 1) for x in items))
        if isinstance(v, Plain):
            return Summary("Plain", None, ())
        return v

    for call, c in zip(calls, cases):
        assert call.args == dict(zip("abcde", (summary(v) for v in c)))
        assert call.result == summary((c[0], c[4]))


def test_star_args_on_the_hot_path_are_what_the_general_path_records(tmp_path):
    """*args is a tuple: the hot path captures it as the general path does (its length and
    leading items), or leaves the call to the general path (an item it does not capture
    inline)."""
    p = Plain()
    cases = [(1,), (1, 2), (1, "x", 2.5, None), (1, p, [3]), (1, "é"), (1, *range(9))] * 3
    log = session(tmp_path / "a.atr", lambda: [hot_star(*c) for c in cases])
    calls = list(log.calls(MOD + ".hot_star"))
    assert len(calls) == len(cases)

    def item(v):
        if isinstance(v, list):
            return Summary("list", len(v), tuple(v[:3]))
        return Summary("Plain", None, ()) if isinstance(v, Plain) else v

    for call, c in zip(calls, cases):
        rest = c[1:]
        assert call.args == {"a": c[0],
                             "rest": Summary("tuple", len(rest), tuple(map(item, rest[:3])))}
        assert call.result == len(rest)


SUBCLASS_VALUES = r'''
import collections
Pair = collections.namedtuple("Pair", "x y")
class Items(list):
    pass
values = [Pair(1, "x"), Items([1, 2, 3, 4]), collections.OrderedDict(a=1, b=2),
          collections.defaultdict(int, k=1), collections.Counter("aab"), Pair((1, 2), 3),
          Items(["é"])]
'''


VALUES_RUN = r'''
class Unrelated:
    pass
def hot_v(v):
    return v
if sys.argv[2] == "general":  # any summarizer sends these values to the general path
    argtrace.register_summarizer(Unrelated, lambda o: {})
argtrace.start(sys.argv[1], trace=["__main__:hot_*"])
for _ in range(3):
    for v in values:
        hot_v(v)
argtrace.stop()
for c in argtrace.load(sys.argv[1]).calls("__main__.hot_v"):
    print(repr(c.args["v"]), repr(c.result))
'''


def hot_and_general(tmp_path, values):
    """What a traced function records of each of `values` (code making the list `values`),
    passed to it three times, as lines `arg result`: in a process where the hot path applies
    and in one where a registered summarizer (summarizers last for the process) forces the
    general path; they must be the same."""
    script = "import sys\nimport argtrace\n" + values + VALUES_RUN
    out = {}
    for mode in ("hot", "general"):
        res = run_python(["-c", script, str(tmp_path / (mode + ".atr")), mode])
        assert res.returncode == 0, res.stderr
        out[mode] = res.stdout.splitlines()
    assert out["hot"] == out["general"]
    return out


def test_container_subclasses_on_the_hot_path_are_what_the_general_path_records(tmp_path):
    """Instances of subclasses of tuple, list and dict (namedtuples, OrderedDict, Counter)
    are captured by the hot path as capture_at captures them (the subclass's type name, the
    builtin's length and leading items), and sent to the general path when an item needs it.
    The general path is forced in a second process by a registered summarizer (summarizers
    last for the process)."""
    out = hot_and_general(tmp_path, SUBCLASS_VALUES)
    assert out["hot"][:7] == [
        "<Pair len=2 [1, 'x']> <Pair len=2 [1, 'x']>",
        "<Items len=4 [1, 2, 3]> <Items len=4 [1, 2, 3]>",
        "<collections.OrderedDict len=2 ['a', 'b']> <collections.OrderedDict len=2 ['a', 'b']>",
        "<collections.defaultdict len=1 ['k']> <collections.defaultdict len=1 ['k']>",
        "<Counter len=2 ['a', 'b']> <Counter len=2 ['a', 'b']>",
        "<Pair len=2 [<tuple len=2 [1, 2]>, 3]> <Pair len=2 [<tuple len=2 [1, 2]>, 3]>",
        "<Items len=1 ['é']> <Items len=1 ['é']>",
    ] and out["hot"][7:14] == out["hot"][:7] and len(out["hot"]) == 21


C_TYPE_VALUES = r'''
import collections.abc, datetime, enum, re
class Plain:
    pass
values = [int, Plain, frozenset({1, 2}), set(), object(), range(3), len, lambda: 0,
          re.compile("x"), sys, 1j, ..., datetime.date(2020, 1, 1), memoryview(b"ab"),
          bytearray(b"ab"), {1: frozenset()}, [int, sys], b"raw", b"z" * 5000, [b"ab"],
          collections.abc.Sized, enum.Enum("Mood", "HAPPY SAD")]
'''


def test_instances_of_c_types_on_the_hot_path_are_what_the_general_path_records(tmp_path):
    """Functions, modules, compiled patterns, sets and frozensets, object(): instances of C
    types recorded by their type name (a set's with its length), and classes (a
    classmethod's first argument), recorded as their type (their metaclass) with their name,
    are captured by the hot path as capture_at captures them, alone or as a container's
    items; so are bytes; a bytearray still goes to the general path (its bytes are
    recorded).
    The general path is forced in a second process by a registered summarizer."""
    out = hot_and_general(tmp_path, C_TYPE_VALUES)
    assert out["hot"][:2] == ["<type ['int']> <type ['int']>",
                              "<type ['Plain']> <type ['Plain']>"], out["hot"]
    args = [line.split(" ", 1)[0] for line in out["hot"][:17]]
    assert args[2:7] == ["<frozenset", "<set", "<object>", "<range>",
                         "<builtin_function_or_method>"], out["hot"]
    assert out["hot"][2].startswith("<frozenset len=2>") and out["hot"][3].startswith("<set len=0>")
    assert args[7:14] == ["<function>", "<re.Pattern>", "<module>", "<complex>", "<ellipsis>",
                          "<datetime.date>", "<memoryview>"], out["hot"]
    assert out["hot"][14:17] == [
        "b'ab' b'ab'", "<dict len=1 [1]> <dict len=1 [1]>",
        "<list len=2 [<type ['int']>, <module>]> <list len=2 [<type ['int']>, <module>]>"]
    assert out["hot"][17] == "b'raw' b'raw'"  # bytes, captured inline too
    assert out["hot"][18].startswith("Truncated(b'zzz") and "length=5000" in out["hot"][18]
    assert out["hot"][19] == "<list len=1 [b'ab']> <list len=1 [b'ab']>"
    assert out["hot"][20:22] == ["<ABCMeta ['Sized']> <ABCMeta ['Sized']>",
                                 "<%s ['Mood']> <%s ['Mood']>" % ((type(enum.Enum).__name__,) * 2)]
    assert out["hot"][22:44] == out["hot"][:22] and len(out["hot"]) == 66


SCALAR_SUB_VALUES = r'''
import enum
class Color(enum.IntEnum):
    RED = 7
class Perm(enum.IntFlag):
    R = 4
    W = 2
class Name(str):
    pass
class Real(float):
    pass
class Big(int):
    pass
values = [Color.RED, Perm.R | Perm.W, Name("atomic"), Name("n" * 100), Real(2.5), Big(-3),
          Big(1 << 70), Name("\u00e9t\u00e9"), (Color.RED, Name("x")), [Real(0.5)]]
'''


def test_subclasses_of_int_float_and_str_on_the_hot_path_are_what_the_general_path_records(
        tmp_path):
    """IntEnum and IntFlag members, str and float subclasses (markdown's AtomicString, numpy's
    float64) are captured by the hot path as capture_at captures them: their type with the
    builtin value as the one item (a str cut to 64 bytes); a value past int64 or a non-ASCII
    str goes to the general path. Every call records the same either way."""
    out = hot_and_general(tmp_path, SCALAR_SUB_VALUES)
    assert out["hot"][:8] == [
        "<Color [7]> <Color [7]>", "<Perm [6]> <Perm [6]>",
        "<Name ['atomic']> <Name ['atomic']>",
        "<Name [Truncated(%r..., length=100)]> <Name [Truncated(%r..., length=100)]>"
        % ("n" * 40, "n" * 40),
        "<Real [2.5]> <Real [2.5]>", "<Big [-3]> <Big [-3]>",
        "<Big [<Big [bits=71]>]> <Big [<Big [bits=71]>]>", "<Name ['été']> <Name ['été']>"], out["hot"]
    assert len(out["hot"]) == 30 and out["hot"][10:20] == out["hot"][:10]


NESTED_VALUES = r'''
values = [((1, 2), (3, 4)), [(1, "a"), (2, "b"), (3, "c"), (4, "d")], {(1, 2): 3},
          ((1, (2, (3, (4,)))),), [[1, [2, [3]]]], ([1] * 5, [2] * 5, [3] * 5, [4] * 5),
          (1, [2, "\u00e9"]), [(i, [i]) for i in range(3)], ((), [], {})]
'''


def test_nested_containers_on_the_hot_path_are_what_the_general_path_records(tmp_path):
    """Containers inside containers (a tuple of pairs, a dict keyed by tuples) are captured
    by the hot path as capture_at captures them: items two levels down, and containers three
    levels down without their items; a nested value that needs the general path (a
    non-ASCII str), or more nested items than the hot path has room for, sends the call
    there. Every call records the same either way."""
    out = hot_and_general(tmp_path, NESTED_VALUES)
    assert [line.split("> <")[0] + ">" for line in out["hot"][:5]] == [
        "<tuple len=2 [<tuple len=2 [1, 2]>, <tuple len=2 [3, 4]>]>",
        "<list len=4 [<tuple len=2 [1, 'a']>, <tuple len=2 [2, 'b']>, <tuple len=2 [3, 'c']>]>",
        "<dict len=1 [<tuple len=2 [1, 2]>]>",
        "<tuple len=1 [<tuple len=2 [1, <tuple len=2>]>]>",
        "<list len=1 [<list len=2 [1, <list len=2>]>]>"], out["hot"]
    assert len(out["hot"]) == 27 and out["hot"][9:18] == out["hot"][:9]


def hot_closure(x, y):
    def inner():
        return x + y  # x and y are cells: the frame's slots hold cells, not the values

    x = x * 10  # (rebinding after the START changes nothing recorded)
    return inner()


def test_parameters_held_in_cells_are_recorded_as_their_values(tmp_path):
    """Parameters that a closure captures live in cells once the function starts (3.12+:
    before PY_START); the hot path reads them through the cells, as the general path does,
    from the first call to the last."""
    cases = [("a", "b") if i % 5 == 4 else (i, i) for i in range(40)]
    log = session(tmp_path / "a.atr", lambda: [hot_closure(*c) for c in cases])
    calls = list(log.calls(MOD + ".hot_closure"))
    assert [c.args for c in calls] == [{"x": x, "y": y} for x, y in cases]
    assert [c.result for c in calls] == [x * 10 + y for x, y in cases]
