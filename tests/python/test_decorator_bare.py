"""The decorator on CPython 3.12 and 3.13 (tracefunc_bare.c): `@argtrace.trace` on a Python
function returns a function, a copy of the original, that calls nothing of argtrace's while no
session records; while one does, its vectorcall pointer leads to the tracer. Every way CPython
calls a function must reach that pointer, also at call sites the interpreter specialised while
no session was active: each case below is called many times before the session (so that its
call site is specialised), then counted exactly in the log, then called again after it. On
3.9-3.11 and 3.14 the decorator returns the wrapper object (checked too), and the same calls
are counted."""

import functools
import gc
import sys
import types
import weakref

import pytest

import argtrace
from argtrace import _core

BARE = (3, 12) <= sys.version_info < (3, 14)
MOD = __name__
WARM = 200  # calls before the session: enough for the interpreter to specialise the sites


def plain(x, y=2):
    return x * y


traced_plain = argtrace.trace(plain)


class Box:
    def __init__(self, v):
        self.v = v

    def get(self, k):
        return self.v + k

    def __getitem__(self, k):
        return self.v * k

    @property
    def double(self):
        return self.v * 2

    def __eq__(self, other):
        return isinstance(other, Box) and other.v == self.v

    def __call__(self, k):
        return self.v - k

    __hash__ = None


for _name in ("__init__", "get", "__getitem__", "__eq__", "__call__"):
    setattr(Box, _name, argtrace.trace(Box.__dict__[_name]))
Box.double = property(argtrace.trace(Box.__dict__["double"].fget))


class Attrs:
    def __getattribute__(self, name):
        return len(name)


Attrs.__getattribute__ = argtrace.trace(Attrs.__dict__["__getattribute__"])


@argtrace.trace
def numbers(n):
    for i in range(n):
        yield i


def test_init_keeps_the_wrapper():
    """3.13+ specialises a class call into a call of its __init__ that reads neither the
    function's vectorcall pointer nor its version: a function named __init__ is decorated with
    the wrapper object, which the specialiser leaves alone (its calls are counted above)."""
    assert type(Box.__dict__["__init__"]) is _core.TracedFunction
    assert type(Box.__dict__["get"]) is (types.FunctionType if BARE else _core.TracedFunction)


def call_paths(n):
    """Each way of calling, n times; how many calls of each function that makes."""
    b = Box(1)
    a = Attrs()
    part = functools.partial(traced_plain, y=3)
    total = 0
    for i in range(n):
        total += traced_plain(i)  # CALL (specialised: CALL_PY_EXACT_ARGS on 3.12)
        total += traced_plain(i, y=1)  # keywords (CALL_KW on 3.13+)
        total += traced_plain(*(i,), **{"y": 4})  # CALL_FUNCTION_EX
        total += part(i)  # from C: partial's vectorcall
        total += sum(map(traced_plain, (i,)))  # from C: map
        total += b.get(i)  # method (LOAD_ATTR_METHOD + CALL)
        bound = b.get
        total += bound(1)  # bound method object
        total += b[i]  # __getitem__ (BINARY_SUBSCR_GETITEM)
        total += b.double  # property getter (LOAD_ATTR_PROPERTY)
        total += b == Box(i)  # __eq__ from C (a slot), and __init__ (CALL_ALLOC_AND_ENTER_INIT)
        total += b(i)  # __call__ (a slot)
        total += sum(numbers(2))  # a generator function
        total += a.abc  # __getattribute__ (LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN)
    expected = {"plain": 5 * n, "Box.get": 2 * n, "Box.__getitem__": n, "Box.double": n,
                "Box.__eq__": n, "Box.__init__": n + 1, "Box.__call__": n, "numbers": n,
                "Attrs.__getattribute__": n}
    return total, expected


def recorded(path):
    log = argtrace.load(path)
    return {name: len(list(log.calls(MOD + "." + name)))
            for name in ("plain", "Box.get", "Box.__getitem__", "Box.double", "Box.__eq__",
                         "Box.__init__", "Box.__call__", "numbers", "Attrs.__getattribute__")}


def test_the_decorator_returns_a_function_on_312_and_a_wrapper_before():
    if BARE:
        assert type(traced_plain) is types.FunctionType
        assert traced_plain is not plain and traced_plain.__wrapped__ is plain
        assert _core._bare_bound(traced_plain) and not _core._bare_bound(plain)
    else:
        assert type(traced_plain) is _core.TracedFunction
        assert not hasattr(_core, "_bare_bind")
    assert traced_plain.__name__ == "plain" and traced_plain.__qualname__ == "plain"
    assert traced_plain.__defaults__ == (2,) and traced_plain(3) == 6


def test_every_call_path_is_recorded_after_the_sites_were_specialised_idle(tmp_path):
    untraced_total, _ = call_paths(WARM)
    argtrace.start(tmp_path / "a.atr")
    try:
        total, expected = call_paths(50)
    finally:
        argtrace.stop()
    after_total, _ = call_paths(WARM)  # not recorded: the session is gone
    assert untraced_total == after_total
    assert recorded(tmp_path / "a.atr") == expected
    # a second session records again, the same calls
    argtrace.start(tmp_path / "b.atr")
    try:
        total_b, expected_b = call_paths(20)
    finally:
        argtrace.stop()
    assert recorded(tmp_path / "b.atr") == expected_b
    assert (total, total_b) == (call_paths(50)[0], call_paths(20)[0])


def test_arguments_and_results_are_the_functions_own(tmp_path):
    """The traced call runs the decorated function itself: a default changed on it applies
    alike with and without a session (on 3.12 and 3.13 to the copy only; the wrapper of others
    forwards it to the original)."""
    def f(x, y=1):
        return x + y

    g = argtrace.trace(f)
    g.__defaults__ = (10,)
    idle = [g(i) for i in range(3)]
    argtrace.start(tmp_path / "a.atr")
    try:
        active = [g(i) for i in range(3)]
        original = f(0)
    finally:
        argtrace.stop()
    assert idle == active == [10, 11, 12] and original == (1 if BARE else 10)
    calls = list(argtrace.load(tmp_path / "a.atr").calls())
    assert [(c.args, c.result) for c in calls] == [({"x": i, "y": 10}, 10 + i) for i in range(3)]


def test_the_original_function_is_not_recorded(tmp_path):
    argtrace.start(tmp_path / "a.atr")
    try:
        plain(1)
        traced_plain(2)
    finally:
        argtrace.stop()
    assert [c.args["x"] for c in argtrace.load(tmp_path / "a.atr").calls()] == [2]


def test_decorating_twice_records_both_layers(tmp_path):
    twice = argtrace.trace(name="outer")(argtrace.trace(name="inner")(plain))
    argtrace.start(tmp_path / "a.atr")
    try:
        assert twice(4) == 8
    finally:
        argtrace.stop()
    calls = list(argtrace.load(tmp_path / "a.atr").calls())
    assert sorted(c.function.split(".")[-1] for c in calls) == ["inner", "outer"]


def test_a_decorated_function_is_freed_with_its_last_reference(tmp_path):
    def make():
        def f(x):
            return x
        return argtrace.trace(f)

    argtrace.start(tmp_path / "a.atr")
    try:
        fns = [make() for _ in range(50)]
        assert [fn(i) for i, fn in enumerate(fns)] == list(range(50))
        refs = [weakref.ref(fn) for fn in fns]
        del fns
        gc.collect()
        assert all(r() is None for r in refs)
        again = make()  # (a new function may take a freed one's address: it is its own)
        assert again(7) == 7
    finally:
        argtrace.stop()
    assert len(list(argtrace.load(tmp_path / "a.atr").calls())) == 51


@pytest.mark.skipif(not BARE, reason="the bare decorator exists on CPython 3.12 and 3.13")
def test_unbinding_by_hand_leaves_a_plain_function(tmp_path):
    def f(x):
        return x + 1

    g = argtrace.trace(f)
    argtrace.start(tmp_path / "a.atr")
    try:
        assert g(1) == 2
        del g.__argtrace__  # its tracer goes: the function is a plain one again
        gc.collect()
        assert not _core._bare_bound(g)
        assert g(2) == 3
    finally:
        argtrace.stop()
    assert [c.args["x"] for c in argtrace.load(tmp_path / "a.atr").calls()] == [1]
