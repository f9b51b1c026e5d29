"""@argtrace.trace: what a traced call records, read back exactly through argtrace.load."""

import functools
import inspect
import pickle

import pytest

import argtrace
from argtrace import REDACTED, Summary, Truncated
from atr_helpers import only, record

MOD = __name__


class MyError(Exception):
    pass


@argtrace.trace
def add(x, y=10):
    return x + y


@argtrace.trace
def kinds(a, /, b, *args, c=3, d, **kw):
    return a


@argtrace.trace
def fails(kind):
    if kind == "value":
        raise ValueError("bad value")
    if kind == "key":
        raise KeyError("k")
    if kind == "mine":
        raise MyError("secret details")
    return kind


@argtrace.trace
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@argtrace.trace
def outer(n):
    return [inner(i) for i in range(n)]


@argtrace.trace
def inner(i):
    return i * 2


@argtrace.trace(capture=["query"], result=False)
def fetch(query, session, limit=5):
    return "rows"


@argtrace.trace(skip=["password"])
def login(user, password):
    return True


@argtrace.trace(redact=["tok*"])
def with_token(user, token):
    return len(token)


@argtrace.trace(max_len=8)
def short(text):
    return text


ARG_CASES = [
    # (function, args, kwargs, expected args, expected result)
    (add, (1,), {}, {"x": 1, "y": 10}, 11),
    (add, (1, 2), {}, {"x": 1, "y": 2}, 3),
    (add, (), {"y": 5, "x": 1}, {"x": 1, "y": 5}, 6),
    (add, ("a", "b"), {}, {"x": "a", "y": "b"}, "ab"),
    (add, (1.5,), {"y": -0.5}, {"x": 1.5, "y": -0.5}, 1.0),
    (add, (b"ab", b"\x00"), {}, {"x": b"ab", "y": b"\x00"}, b"ab\x00"),
    (add, (2 ** 100, 1), {}, {"x": 2 ** 100, "y": 1}, 2 ** 100 + 1),
    (add, (-2 ** 70, 0), {}, {"x": -2 ** 70, "y": 0}, -2 ** 70),
    (add, (True, False), {}, {"x": True, "y": False}, 1),
    (add, ([1, 2], [3]), {}, {"x": Summary("list", 2, (1, 2)), "y": Summary("list", 1, (3,))},
     Summary("list", 3, (1, 2, 3))),
    (add, ((1,), ()), {}, {"x": Summary("tuple", 1, (1,)), "y": Summary("tuple", 0, ())},
     Summary("tuple", 1, (1,))),
    (kinds, (1, 2, 7, 8), {"d": 4, "e": 5}, {"a": 1, "b": 2, "args": Summary("tuple", 2, (7, 8)),
                                            "c": 3, "d": 4, "e": 5}, 1),
    (kinds, (1,), {"b": 2, "d": None}, {"a": 1, "b": 2, "args": Summary("tuple", 0, ()),
                                        "c": 3, "d": None}, 1),
    (fetch, ("q", object()), {}, {"query": "q"}, None),
    (login, ("bob", "hunter2"), {}, {"user": "bob"}, True),
    (with_token, ("bob", "abcdef"), {}, {"user": "bob", "token": REDACTED}, 6),
    (short, ("0123456789abc",), {}, {"text": Truncated("01234567", 13)},
     Truncated("01234567", 13)),
    (short, ("01234567",), {}, {"text": "01234567"}, "01234567"),
    (fails, ("none",), {}, {"kind": "none"}, "none"),
]


@pytest.mark.parametrize("fn, args, kwargs, expected_args, expected_result", ARG_CASES)
def test_arguments_and_result(log_path, fn, args, kwargs, expected_args, expected_result):
    log, value = record(log_path, lambda: fn(*args, **kwargs))
    assert value == fn.__wrapped__(*args, **kwargs)
    call = only(log.calls())
    assert call.function == "%s.%s" % (MOD, fn.__qualname__)
    assert call.args == expected_args
    assert call.result == expected_result
    assert call.exception is None
    assert call.parent_id is None
    assert call.duration_ns is not None and call.duration_ns >= 0
    if fn is fetch:
        assert call.status == "noresult"


@pytest.mark.parametrize("kind, exc_type, expected", [
    ("value", ValueError, ("ValueError", "bad value")),
    ("key", KeyError, ("KeyError", "'k'")),
    ("mine", MyError, (MOD + ".MyError", None)),  # user type: str() is never called
])
def test_exception_recorded_and_reraised_unchanged(log_path, kind, exc_type, expected):
    caught = []

    def run():
        try:
            fails(kind)
        except exc_type as e:
            caught.append(e)

    log, _ = record(log_path, run)
    assert type(caught[0]) is exc_type
    assert caught[0].__traceback__ is not None
    call = only(log.calls("fails"))
    assert call.exception == expected
    assert call.result is None and call.status == "raise"


def test_exception_identity_preserved(log_path):
    err = MyError("x")

    @argtrace.trace
    def raiser():
        raise err

    def run():
        try:
            raiser()
        except MyError as e:
            return e

    _, got = record(log_path, run)
    assert got is err


def test_nested_calls_are_children(log_path):
    log, value = record(log_path, outer, 3)
    assert value == [0, 2, 4]
    o = only(log.calls("outer"))
    kids = list(log.calls("inner"))
    assert [k.args for k in kids] == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert [k.parent_id for k in kids] == [o.id] * 3
    assert o.children == kids
    assert all(o.start_ns <= k.start_ns and k.end_ns <= o.end_ns for k in kids)


def test_recursion_tree(log_path):
    log, value = record(log_path, fib, 5)
    assert value == 5
    calls = list(log.calls("fib"))
    assert len(calls) == 15  # fib(5) makes 15 calls
    by_id = {c.id: c for c in calls}
    root = only(c for c in calls if c.parent_id is None)
    assert root.args == {"n": 5} and root.result == 5
    for c in calls:
        if c is not root:
            parent = by_id[c.parent_id]
            assert c.args["n"] in (parent.args["n"] - 1, parent.args["n"] - 2)
        assert c.result == fib.__wrapped__(c.args["n"])
        assert len(c.children) == (0 if c.args["n"] < 2 else 2)


def test_deep_recursion_does_not_break(log_path):
    @argtrace.trace
    def down(n):
        return 0 if n == 0 else 1 + down(n - 1)

    log, value = record(log_path, down, 400)
    assert value == 400
    assert len(list(log.calls("down"))) == 401


def test_calls_outside_a_session_are_not_recorded(log_path):
    assert add(1) == 11  # no session: plain forwarding
    log, _ = record(log_path, add, 2)
    assert add(3) == 13
    assert [c.args["x"] for c in log.calls()] == [2]


def test_two_sessions_in_a_row(tmp_path):
    log1, _ = record(tmp_path / "a.atr", add, 1)
    log2, _ = record(tmp_path / "b.atr", lambda: (add(2), inner(3)))
    assert [(c.function, c.args) for c in log1.calls()] == [(MOD + ".add", {"x": 1, "y": 10})]
    assert [(c.function, c.args) for c in log2.calls()] == [
        (MOD + ".add", {"x": 2, "y": 10}), (MOD + ".inner", {"i": 3})]


# ---- methods, classmethods, staticmethods, properties ---------------------------------------

class Shape:
    def __init__(self, side):
        self._side = side

    @argtrace.trace
    def area(self, scale=1):
        return self._side * self._side * scale

    @argtrace.trace
    @classmethod
    def unit_over(cls, n):
        return cls(n)

    @classmethod
    @argtrace.trace
    def unit_under(cls, n):
        return cls(n)

    @argtrace.trace
    @staticmethod
    def helper_over(a, b):
        return a * b

    @staticmethod
    @argtrace.trace
    def helper_under(a, b):
        return a * b

    @property
    @argtrace.trace
    def side(self):
        return self._side


class Square(Shape):
    pass


@pytest.mark.parametrize("expr, qualname, result, params", [
    (lambda: Shape(3).area(), "Shape.area", 9, ["self", "scale"]),
    (lambda: Shape(3).area(scale=2), "Shape.area", 18, ["self", "scale"]),
    (lambda: Shape.area(Shape(2), 3), "Shape.area", 12, ["self", "scale"]),
    (lambda: Square(2).area(), "Shape.area", 4, ["self", "scale"]),
    (lambda: Shape.unit_over(4)._side, "Shape.unit_over", None, ["cls", "n"]),
    (lambda: Square.unit_under(4)._side, "Shape.unit_under", None, ["cls", "n"]),
    (lambda: Shape.helper_over(2, 3), "Shape.helper_over", 6, ["a", "b"]),
    (lambda: Shape(1).helper_under(2, 3), "Shape.helper_under", 6, ["a", "b"]),
    (lambda: Shape(5).side, "Shape.side", 5, ["self"]),
])
def test_methods(log_path, expr, qualname, result, params):
    log, value = record(log_path, expr)
    call = only(log.calls())
    assert call.function == "%s.%s" % (MOD, qualname)
    assert list(call.args) == params
    if params[0] in ("self", "cls"):
        first = call.args[params[0]]
        assert isinstance(first, Summary)
        if params[0] == "self":
            assert first.type_name.split(".")[-1] in ("Shape", "Square")
    if result is not None:
        assert call.result == result == value


def test_bound_method_identity_and_binding():
    s = Shape(2)
    assert s.area() == 4
    assert Shape.__dict__["area"].__get__(s, Shape)() == 4
    assert Shape.helper_over(2, 5) == 10
    assert Square.unit_over(3).__class__ is Square


# ---- the wrapper looks like the function -----------------------------------------------------

def plain(a, b=2, *rest, key=None, **extra):
    """Plain docstring."""
    return a


async def coro(a, b=1):
    """Coroutine doc."""
    return a


def gen(n):
    yield n


async def agen(n):
    yield n


@pytest.mark.parametrize("fn, predicate", [
    (plain, None),
    (coro, inspect.iscoroutinefunction),
    (gen, inspect.isgeneratorfunction),
    (agen, inspect.isasyncgenfunction),
])
def test_wrapper_attributes(fn, predicate):
    traced = argtrace.trace(fn)
    assert traced.__wrapped__ is fn
    assert traced.__name__ == fn.__name__
    assert traced.__qualname__ == fn.__qualname__
    assert traced.__module__ == fn.__module__
    assert traced.__doc__ == fn.__doc__
    assert inspect.signature(traced) == inspect.signature(fn)
    assert callable(traced)
    for p in (inspect.iscoroutinefunction, inspect.isgeneratorfunction,
              inspect.isasyncgenfunction):
        assert p(traced) == (p is predicate), p.__name__


def test_wrapper_dict_and_attributes():
    traced = argtrace.trace(plain)
    traced.custom = 5
    assert traced.custom == 5
    assert argtrace.trace(capture=["a"])(plain).__wrapped__ is plain


def test_functools_wraps_over_traced_function():
    traced = argtrace.trace(plain)

    @functools.wraps(traced)
    def outer_wrapper(*a, **k):
        return traced(*a, **k)

    assert outer_wrapper.__name__ == "plain"
    assert inspect.signature(outer_wrapper) == inspect.signature(plain)


def test_pickle_by_reference():
    assert pickle.loads(pickle.dumps(add)) is add


@pytest.mark.parametrize("bad", [
    dict(capture="x"), dict(skip="password"), dict(redact="tok"), dict(max_len=-1),
    dict(capture=[1]),
])
def test_bad_decorator_options_raise_at_decoration(bad):
    with pytest.raises((TypeError, ValueError)):
        argtrace.trace(**bad)(plain)


def test_a_capture_or_skip_name_that_is_no_parameter_is_refused():
    def f(query, *rows, limit=10):
        return query

    with pytest.raises(ValueError, match=r"capture names 'qeury', not a parameter of f "
                                         r"\(its parameters: query, limit, \*rows\)"):
        argtrace.trace(capture=["qeury"])(f)
    with pytest.raises(ValueError, match="skip names 'pasword', 'x'"):
        argtrace.trace(skip=["pasword", "x", "limit"])(f)
    with pytest.raises(ValueError, match="not a parameter of m"):  # a classmethod's function
        argtrace.trace(skip=["y"])(_Holder.__dict__["m"])
    for ok in (["query", "limit"], ["rows"], ["*rows"]):  # *args with or without its star
        assert argtrace.trace(capture=ok)(f)("q") == "q"
    # where any name may come (**kwargs) or the parameters are unknown: not checked
    assert argtrace.trace(capture=["anything"])(lambda **kw: 1)() == 1
    assert argtrace.trace(skip=["x"])(len)([1]) == 1


class _Holder:
    @classmethod
    def m(cls, x):
        return x


@pytest.mark.parametrize("bad, error", [(dict(capture=5), "capture must be a list of names"),
                                        (dict(name=""), "name must not be empty")])
def test_decorator_option_errors_name_the_option(bad, error):
    with pytest.raises((TypeError, ValueError), match=error):
        argtrace.trace(**bad)(plain)


def test_trace_rejects_non_callable():
    with pytest.raises(TypeError):
        argtrace.trace(42)


def test_callable_instance_is_named_by_its_type(tmp_path):
    # A callable without __qualname__ or __name__ (a functools.partial) is named by its
    # type's module and qualified name: "functools.partial" on every version (3.11+ read
    # the type's tp_name, which has the module in it: "functools.functools.partial").
    def add(a, b):
        return a + b

    class Adder:
        def __call__(self, x):
            return x + 1

    path = str(tmp_path / "named.atr")
    p = argtrace.trace(functools.partial(add, 1))
    a = argtrace.trace(Adder())
    argtrace.start(path)
    assert p(2) == 3 and a(1) == 2
    argtrace.stop()
    names = [c.function for c in argtrace.load(path).calls()]
    assert names == ["functools.partial", __name__ + ".test_callable_instance_is_named_by_its_type"
                     ".<locals>.Adder"], names
