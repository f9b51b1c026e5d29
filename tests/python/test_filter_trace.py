"""Filter tracing (docs/FILTERS.md): which functions are recorded, their arguments, parents,
results and exceptions; generators and coroutines as one span; min-duration (with an
injected clock), max depth, excludes, library code, decorated functions, threads, fork, and
coexistence with settrace-based tools. The functions under test are the tgt_* below."""

import asyncio
import contextlib
import functools
import os
import sys
import threading
import types

import pytest

import argtrace
from argtrace import Summary, _core
from atr_helpers import child_log, only

MOD = __name__
ALL = [MOD + ":tgt_*"]
PY312 = sys.version_info >= (3, 12)


def expected_backend():
    """The backend filter_start picks here (docs/FILTERS.md section 3)."""
    if PY312:
        return "monitoring"
    if sys.version_info < (3, 11) or os.environ.get("ARGTRACE_FILTER_BACKEND") == "profile":
        return "profile"
    return "eval"


# The eval backend (3.11) and sys.monitoring (3.12+) see the exception of a raising call; the
# profile hook does not.
SEES_EXCEPTIONS = expected_backend() != "profile"


def record(path, fn, include=ALL, exclude=(), **kw):
    """Run fn() with filter tracing on; return (Log, fn's value)."""
    backend = expected_backend()  # (not while tracing: the patterns may select this file)
    argtrace.start(path)
    try:
        _core.filter_start(list(include), list(exclude), **kw)
        try:
            assert _core.filter_backend() == backend
            value = fn()
        finally:
            _core.filter_stop()
    finally:
        argtrace.stop()
    return argtrace.load(path), value


def names(log):
    return [c.function.rsplit(".", 1)[-1] if c.function.startswith(MOD) else c.function
            for c in log.calls()]


# --- targets -------------------------------------------------------------------------------

def tgt_add(a, b=2, *rest, key=None, **extra):
    return a + b + len(rest)


def tgt_outer(n):
    return tgt_add(n, 1) + tgt_add(n, 2, 3, 4, key="k", z=1)


def tgt_many(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16,
             *rest, k=0, **kw):
    return a0 + a16 + k


def not_selected(x):
    return tgt_add(x)


def tgt_cell(x, y):
    def inner():
        return x + y
    return inner()


def tgt_raise(v):
    raise ValueError("bad %d" % v)


def tgt_catch():
    try:
        tgt_raise(3)
    except ValueError:
        return "caught"


def tgt_leaf(i):
    return i * 10


def tgt_gen(n):
    for i in range(n):
        yield tgt_leaf(i)
    return "done"


def tgt_consume():
    return sum(tgt_gen(3))


def tgt_gen_abandoned():
    g = tgt_gen(5)
    first = next(g)
    g.close()
    return first


async def tgt_co_leaf(i):
    await asyncio.sleep(0)
    return tgt_leaf(i)


async def tgt_co(n):
    total = 0
    for i in range(n):
        total += await tgt_co_leaf(i)
    return total


async def tgt_co_gather(n):
    values = await asyncio.gather(*[tgt_co_leaf(i) for i in range(n)])
    return list(values)


def tgt_rec(n):
    return 0 if n == 0 else 1 + tgt_rec(n - 1)


class tgt_Shape:
    def __init__(self, side):
        self.side = side

    def area(self, scale=1):
        return self.side * self.side * scale

    @staticmethod
    def unit():
        return 1

    @classmethod
    def square(cls, side):
        return cls(side)


@argtrace.trace
def tgt_decorated(x):
    return tgt_leaf(x)


class tgt_Box:
    def __init__(self):
        self._v = 1

    @property
    def value(self):
        return self._v

    @value.setter
    def value(self, v):
        self._v = v

    @contextlib.contextmanager
    def opened(self):
        yield self._v

    @functools.cached_property
    def twice(self):
        return 2 * self._v

    @types.DynamicClassAttribute
    def label(self):
        return "box"


# --- tests --------------------------------------------------------------------------------

def test_arguments_defaults_varargs_kwargs(log_path):
    log, value = record(log_path, lambda: tgt_outer(5))
    assert value == (5 + 1) + (5 + 2 + 2)
    outer = only(log.calls(MOD + ".tgt_outer"))
    assert outer.args == {"n": 5} and outer.result == 15
    first, second = list(log.calls(MOD + ".tgt_add"))
    assert first.parent_id == outer.id and second.parent_id == outer.id
    assert first.args["a"] == 5 and first.args["b"] == 1 and first.args["key"] is None
    assert first.args["rest"] == Summary("tuple", 0)
    assert first.result == 6
    assert second.args["a"] == 5 and second.args["b"] == 2 and second.args["key"] == "k"
    assert second.args["rest"] == Summary("tuple", 2, (3, 4))
    assert second.args["z"] == 1  # **kwargs entries are fields
    assert second.result == 9
    fn = log.functions[only({c._func.id for c in log.calls(MOD + ".tgt_add")})]
    assert fn.params == ["a", "b", "key", "*rest", "**extra"]
    assert fn.module == MOD and fn.qualname == "tgt_add"
    assert fn.file == os.path.abspath(__file__)


def test_many_parameters(log_path):
    log, value = record(log_path, lambda: tgt_many(*range(18), k=5, z=6))
    assert value == 0 + 16 + 5
    call = only(log.calls(MOD + ".tgt_many"))
    assert call.args["a0"] == 0 and call.args["a16"] == 16 and call.args["k"] == 5
    assert call.args["rest"] == Summary("tuple", 1, (17,)) and call.args["z"] == 6
    assert call._func.module == MOD and call._func.qualname == "tgt_many"


def test_unselected_caller_is_not_recorded(log_path):
    log, _ = record(log_path, lambda: not_selected(4))
    add = only(log.calls())
    assert add.function == MOD + ".tgt_add" and add.args["a"] == 4 and add.parent_id is None


def test_cell_arguments_and_nested_functions(log_path):
    log, value = record(log_path, lambda: tgt_cell(3, 4))
    assert value == 7
    cell = only(log.calls(MOD + ".tgt_cell"))
    assert cell.args == {"x": 3, "y": 4} and cell.result == 7
    inner = only(log.calls(MOD + ".tgt_cell.<locals>.inner"))
    assert inner.parent_id == cell.id and inner.result == 7


def test_methods_staticmethods_classmethods(log_path):
    def run():
        s = tgt_Shape.square(3)
        return s.area(scale=2) + tgt_Shape.unit()
    log, value = record(log_path, run)
    assert value == 19
    assert [c.function for c in log.calls()] == [
        MOD + ".tgt_Shape.square", MOD + ".tgt_Shape.__init__", MOD + ".tgt_Shape.area",
        MOD + ".tgt_Shape.unit"]
    area = only(log.calls(MOD + ".tgt_Shape.area"))
    assert area.args["scale"] == 2 and area.result == 18
    assert area.args["self"] == Summary("tgt_Shape", None)
    square = only(log.calls(MOD + ".tgt_Shape.square"))
    init = only(log.calls(MOD + ".tgt_Shape.__init__"))
    assert init.parent_id == square.id and init.args["side"] == 3


def test_properties_and_wrapped_methods_keep_their_class(log_path):
    # 3.9/3.10 code objects have no qualname: a property's getter and setter, a method
    # wrapped by a decorator (functools.wraps: contextmanager) and the functions of
    # descriptors written in Python (cached_property, DynamicClassAttribute: enum's name
    # and value) are found through the class (they were named without it)
    def run():
        b = tgt_Box()
        b.value = 5
        with b.opened() as v:
            return b.value + v + b.twice + len(b.label)
    log, value = record(log_path, run)
    assert value == 23
    assert [c.function for c in log.calls()] == [
        MOD + ".tgt_Box.__init__", MOD + ".tgt_Box.value", MOD + ".tgt_Box.opened",
        MOD + ".tgt_Box.value", MOD + ".tgt_Box.twice", MOD + ".tgt_Box.label"]


def test_exception_ends_the_span_as_raised(log_path):
    log, value = record(log_path, tgt_catch)
    assert value == "caught"
    catch = only(log.calls(MOD + ".tgt_catch"))
    raised = only(log.calls(MOD + ".tgt_raise"))
    assert raised.parent_id == catch.id and raised.args == {"v": 3}
    assert raised.status == "raise"
    if SEES_EXCEPTIONS:
        assert raised.exception == ("ValueError", "bad 3")
    assert catch.status == "return" and catch.result == "caught"


def test_generator_is_one_span_with_its_children(log_path):
    log, value = record(log_path, tgt_consume)
    assert value == 30
    consume = only(log.calls(MOD + ".tgt_consume"))
    gen = only(log.calls(MOD + ".tgt_gen"))
    assert gen.parent_id == consume.id and gen.args == {"n": 3}
    assert gen.status == "return" and gen.result == "done"
    leaves = list(log.calls(MOD + ".tgt_leaf"))
    assert [c.args["i"] for c in leaves] == [0, 1, 2]
    assert all(c.parent_id == gen.id for c in leaves)
    assert gen.start_ns <= leaves[0].start_ns and leaves[-1].end_ns <= gen.end_ns


def test_generator_closed_early_ends_once(log_path):
    log, value = record(log_path, tgt_gen_abandoned)
    assert value == 0
    gen = only(log.calls(MOD + ".tgt_gen"))
    assert gen.finished
    assert gen.status in ("raise", "noresult")
    assert only(log.calls(MOD + ".tgt_leaf")).parent_id == gen.id


def test_coroutine_is_one_span(log_path):
    log, value = record(log_path, lambda: asyncio.run(tgt_co(3)))
    assert value == 30
    co = only(log.calls(MOD + ".tgt_co"))
    assert co.args == {"n": 3} and co.result == 30
    leaves = list(log.calls(MOD + ".tgt_co_leaf"))
    assert [c.args["i"] for c in leaves] == [0, 1, 2]
    assert all(c.parent_id == co.id and c.status == "return" for c in leaves)
    assert [c.result for c in leaves] == [0, 10, 20]
    sync_leaves = list(log.calls(MOD + ".tgt_leaf"))
    assert [c.parent_id for c in sync_leaves] == [c.id for c in leaves]


def test_interleaved_tasks_keep_their_parents(log_path):
    log, value = record(log_path, lambda: asyncio.run(tgt_co_gather(20)))
    assert value == [10 * i for i in range(20)]
    top = only(log.calls(MOD + ".tgt_co_gather"))
    leaves = list(log.calls(MOD + ".tgt_co_leaf"))
    assert sorted(c.args["i"] for c in leaves) == list(range(20))
    assert all(c.parent_id == top.id for c in leaves)
    by_id = {c.id: c for c in leaves}
    for sync in log.calls(MOD + ".tgt_leaf"):
        assert by_id[sync.parent_id].args["i"] == sync.args["i"]


class FakeClock:
    def __init__(self):
        self.now = 1_000_000

    def __call__(self):
        return self.now


CLOCK = FakeClock()


def tgt_fast():
    CLOCK.now += 10


def tgt_slow():
    CLOCK.now += 10_000_000


def tgt_mid(k):
    tgt_fast()
    if k:
        tgt_slow()


def tgt_top():
    tgt_fast()
    tgt_mid(0)
    tgt_mid(1)
    tgt_fast()


def test_min_duration_keeps_slow_calls_and_their_ancestors(log_path):
    CLOCK.now = 1_000_000
    log, _ = record(log_path, tgt_top, min_duration_ns=1_000_000, clock=CLOCK)
    assert names(log) == ["tgt_top", "tgt_mid", "tgt_slow"]
    top = only(log.calls(MOD + ".tgt_top"))
    mid = only(log.calls(MOD + ".tgt_mid"))
    slow = only(log.calls(MOD + ".tgt_slow"))
    assert mid.args == {"k": 1} and mid.parent_id == top.id and slow.parent_id == mid.id
    # original start times, exact durations from the injected clock
    assert (top.start_ns, mid.start_ns, slow.start_ns) == (1_000_000, 1_000_020, 1_000_030)
    assert (slow.end_ns, mid.end_ns, top.end_ns) == (11_000_030, 11_000_030, 11_000_040)


def tgt_slow_gen(n):
    for i in range(n):
        if i == 1:
            tgt_slow()
        yield i


def tgt_use_slow_gen():
    tgt_fast()
    return list(tgt_slow_gen(3))


def test_min_duration_with_a_generator_kept_while_suspended(log_path):
    CLOCK.now = 1_000_000
    log, value = record(log_path, tgt_use_slow_gen, min_duration_ns=1_000_000, clock=CLOCK)
    assert value == [0, 1, 2]
    assert names(log) == ["tgt_use_slow_gen", "tgt_slow_gen", "tgt_slow"]
    use = only(log.calls(MOD + ".tgt_use_slow_gen"))
    gen = only(log.calls(MOD + ".tgt_slow_gen"))
    slow = only(log.calls(MOD + ".tgt_slow"))
    assert gen.parent_id == use.id and slow.parent_id == gen.id
    assert gen.args == {"n": 3} and gen.status == "return"
    assert (use.start_ns, gen.start_ns, slow.start_ns) == (1_000_000, 1_000_010, 1_000_010)
    assert gen.end_ns == 11_000_010 and use.end_ns == 11_000_010


def test_min_duration_above_everything_records_nothing(log_path):
    CLOCK.now = 1_000_000
    log, _ = record(log_path, tgt_top, min_duration_ns=10**12, clock=CLOCK)
    assert names(log) == []


def test_injected_clock_without_min_duration(log_path):
    CLOCK.now = 5_000
    log, _ = record(log_path, lambda: tgt_mid(1), clock=CLOCK)
    assert names(log) == ["tgt_mid", "tgt_fast", "tgt_slow"]
    fast = only(log.calls(MOD + ".tgt_fast"))
    assert (fast.start_ns, fast.end_ns) == (5_000, 5_010)


def test_max_depth(log_path):
    log, value = record(log_path, lambda: tgt_rec(6), max_depth=2)
    assert value == 6
    calls = list(log.calls(MOD + ".tgt_rec"))
    assert [c.args["n"] for c in calls] == [6, 5]
    assert calls[1].parent_id == calls[0].id
    assert [c.result for c in calls] == [6, 5]


def test_exclude_wins(log_path):
    log, _ = record(log_path, lambda: tgt_outer(1), exclude=[MOD + ":tgt_add"])
    assert names(log) == ["tgt_outer"]


def test_file_pattern(log_path):
    here = os.path.relpath(os.path.abspath(__file__))
    run = functools.partial(not_selected, 2)  # a C callable: not traced itself
    log, _ = record(log_path, run, include=["file:" + here])
    assert names(log) == ["not_selected", "tgt_add"]
    log, _ = record(log_path, run, include=[os.path.abspath(__file__)],
                    exclude=[MOD + ":tgt_*"])
    assert names(log) == ["not_selected"]


def test_stdlib_only_when_named(log_path):
    import json
    log, _ = record(log_path, lambda: json.dumps({"a": [1, 2]}), include=["*:dumps", "*"],
                    exclude=[MOD + ".*", "_pytest.*", "pluggy.*"])
    assert not [c for c in log.calls() if c.function.startswith("json.")]
    log, out = record(log_path, lambda: json.dumps({"a": [1, 2]}), include=["json:dumps"])
    dumps = only(log.calls("json.dumps"))
    assert dumps.args["obj"] == Summary("dict", 1, ("a",)) or dumps.args["obj"].length == 1
    assert dumps.result == out == '{"a": [1, 2]}'


def test_decorated_and_filtered_is_recorded_once(log_path):
    log, value = record(log_path, lambda: tgt_decorated(4))
    assert value == 40
    deco = only(log.calls(MOD + ".tgt_decorated"))
    leaf = only(log.calls(MOD + ".tgt_leaf"))
    assert leaf.parent_id == deco.id


def test_threads_started_before_and_after(log_path):
    go = threading.Event()
    results = []

    def early():
        go.wait(10)
        results.append(tgt_leaf(1))

    def late():
        results.append(tgt_leaf(2))

    t1 = threading.Thread(target=early)
    t1.start()

    def body():
        t2 = threading.Thread(target=late)
        t2.start()
        go.set()
        t2.join()
        t1.join()
        return tgt_leaf(3)

    log, _ = record(log_path, body)
    calls = list(log.calls(MOD + ".tgt_leaf"))
    assert sorted(c.args["i"] for c in calls) == [1, 2, 3]
    assert len({c.thread for c in calls}) == 3
    assert all(c.parent_id is None and c.status == "return" for c in calls)


def test_coexists_with_settrace(log_path):
    seen = []

    def tracer(frame, event, arg):
        if event == "call" and frame.f_code.co_name.startswith("tgt_"):
            seen.append(frame.f_code.co_name)
        return None

    def body():
        old = sys.gettrace()
        sys.settrace(tracer)
        try:
            return tgt_outer(2)
        finally:
            sys.settrace(old)

    log, value = record(log_path, body)
    assert value == 3 + 6
    assert names(log) == ["tgt_outer", "tgt_add", "tgt_add"]
    assert seen == ["tgt_outer", "tgt_add", "tgt_add"]


def tgt_stopper():
    _core.filter_stop()
    return 1


def test_stop_ends_open_spans(log_path):
    argtrace.start(log_path)
    try:
        _core.filter_start(ALL, [])
        tgt_stopper()
        tgt_leaf(1)  # after stop: not recorded
    finally:
        _core.filter_stop()
        argtrace.stop()
    log = argtrace.load(log_path)
    assert names(log) == ["tgt_stopper"]
    assert only(log.calls()).finished


def test_second_run_with_other_patterns(log_path):
    log, _ = record(log_path, lambda: tgt_outer(1), include=[MOD + ":tgt_add"])
    assert names(log) == ["tgt_add", "tgt_add"]
    log, _ = record(log_path, lambda: tgt_outer(1), include=[MOD + ":tgt_outer"])
    assert names(log) == ["tgt_outer"]


def test_start_errors(log_path):
    with pytest.raises(RuntimeError, match="needs an active session"):
        _core.filter_start(ALL, [])
    argtrace.start(log_path)
    try:
        with pytest.raises(ValueError, match="invalid trace pattern 'a..b'"):
            _core.filter_start(["a..b"], [])
        with pytest.raises(ValueError, match="at least one pattern"):
            _core.filter_start([], [])
        _core.filter_start(ALL, [])
        with pytest.raises(RuntimeError, match="already running"):
            _core.filter_start(ALL, [])
    finally:
        _core.filter_stop()
        argtrace.stop()


@pytest.mark.skipif(not PY312, reason="sys.monitoring is 3.12+")
def test_takes_another_tool_id_when_the_profiler_id_is_taken(log_path):
    mon = sys.monitoring
    mon.use_tool_id(mon.PROFILER_ID, "other profiler")
    seen = {}

    def body():
        seen["tools"] = [mon.get_tool(i) for i in range(6)]
        return tgt_leaf(3)

    try:
        log, value = record(log_path, body)
    finally:
        mon.free_tool_id(mon.PROFILER_ID)
    assert value == 30 and names(log) == ["tgt_leaf"]
    assert seen["tools"][mon.PROFILER_ID] == "other profiler"
    assert "argtrace" in seen["tools"]
    assert "argtrace" not in [mon.get_tool(i) for i in range(6)]  # released at stop


@pytest.mark.skipif(not PY312, reason="sys.monitoring is 3.12+")
def test_no_free_tool_id(log_path):
    taken = []
    for i in range(6):
        if sys.monitoring.get_tool(i) is None:
            sys.monitoring.use_tool_id(i, "test")
            taken.append(i)
    argtrace.start(log_path)
    try:
        with pytest.raises(RuntimeError, match="no free sys.monitoring tool id"):
            _core.filter_start(ALL, [])
    finally:
        for i in taken:
            sys.monitoring.free_tool_id(i)
        argtrace.stop()


@pytest.mark.skipif(not PY312, reason="sys.monitoring is 3.12+")
def test_rejections_do_not_leak_to_the_next_user_of_the_tool_id(log_path):
    tgt_leaf(0)
    record(log_path, lambda: tgt_leaf(1), include=["atr_no_such_module"])  # DISABLEs tgt_leaf
    mon = sys.monitoring
    seen = []
    mon.use_tool_id(mon.PROFILER_ID, "test")
    try:
        mon.register_callback(mon.PROFILER_ID, mon.events.PY_START,
                              lambda code, offset: seen.append(code.co_name))
        mon.set_events(mon.PROFILER_ID, mon.events.PY_START)
        tgt_leaf(2)
    finally:
        mon.set_events(mon.PROFILER_ID, 0)
        mon.register_callback(mon.PROFILER_ID, mon.events.PY_START, None)
        mon.free_tool_id(mon.PROFILER_ID)
    assert "tgt_leaf" in seen


@pytest.mark.skipif(PY312, reason="the profile hook backend is for Python < 3.12")
def test_refuses_to_share_the_profile_hook(log_path, monkeypatch):
    monkeypatch.setenv("ARGTRACE_FILTER_BACKEND", "profile")  # the default before 3.11
    argtrace.start(log_path)
    sys.setprofile(lambda *a: None)
    try:
        with pytest.raises(RuntimeError, match="another profiler is active"):
            _core.filter_start(ALL, [])
    finally:
        sys.setprofile(None)
        argtrace.stop()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_fork_child_writes_its_own_log(log_path):
    def body():
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                tgt_leaf(99)
            except BaseException:
                code = 1
            finally:
                try:
                    argtrace.stop()
                finally:
                    os._exit(code)
        _, status = os.waitpid(pid, 0)
        tgt_leaf(1)
        return pid, status

    log, (pid, status) = record(log_path, body, include=ALL + [MOD + ":test_fork_*"])
    assert status == 0
    assert [c.args["i"] for c in log.calls(MOD + ".tgt_leaf")] == [1]
    assert only(log.calls(MOD + ".test_fork_child_writes_its_own_log.<locals>.body")).finished
    child_path = child_log(log_path, pid)
    child = argtrace.load(child_path)
    assert [c.args["i"] for c in child.calls(MOD + ".tgt_leaf")] == [99]
    # the parent's open spans (record's lambda, body) are not ended in the child's log
    started = {r["span"] for r in _core.read_records(child_path) if r["kind"] == "start"}
    ended = {r["span"] for r in _core.read_records(child_path) if r["kind"] == "end"}
    assert ended <= started


# --- harder cases ---------------------------------------------------------------------------

async def tgt_agen(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield tgt_leaf(i)


async def tgt_agen_consumer():
    return [v async for v in tgt_agen(3)]


def test_async_generator_is_one_span(log_path):
    log, value = record(log_path, lambda: asyncio.run(tgt_agen_consumer()))
    assert value == [0, 10, 20]
    consumer = only(log.calls(MOD + ".tgt_agen_consumer"))
    agen = only(log.calls(MOD + ".tgt_agen"))
    assert agen.args == {"n": 3} and agen.parent_id == consumer.id and agen.finished
    leaves = list(log.calls(MOD + ".tgt_leaf"))
    assert [c.parent_id for c in leaves] == [agen.id] * 3


def tgt_gen_catching():
    total = 0
    while True:
        try:
            total += yield total
        except KeyError:
            total += tgt_leaf(100)


def tgt_drive_throw():
    g = tgt_gen_catching()
    next(g)
    g.send(1)
    v = g.throw(KeyError("k"))
    g.send(2)
    g.close()
    return v


def test_generator_throw_resumes_the_same_span(log_path):
    log, value = record(log_path, tgt_drive_throw)
    assert value == 1001
    drive = only(log.calls(MOD + ".tgt_drive_throw"))
    gen = only(log.calls(MOD + ".tgt_gen_catching"))
    assert gen.parent_id == drive.id and gen.finished
    assert only(log.calls(MOD + ".tgt_leaf")).parent_id == gen.id
    assert drive.result == 1001


def tgt_deep(n):
    return tgt_deep(n + 1)


def tgt_recursion_guard():
    try:
        tgt_deep(0)
    except RecursionError:
        return tgt_leaf(5)


def test_recursion_error_unwinds_every_span(log_path):
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(300)
    try:
        log, value = record(log_path, tgt_recursion_guard)
    finally:
        sys.setrecursionlimit(old)
    assert value == 50
    guard = only(log.calls(MOD + ".tgt_recursion_guard"))
    deep = list(log.calls(MOD + ".tgt_deep"))
    assert len(deep) > 100
    assert all(c.status == "raise" for c in deep)
    leaf = only(log.calls(MOD + ".tgt_leaf"))
    assert leaf.parent_id == guard.id  # the stack is consistent after the unwinding
    assert guard.result == 50


def test_many_threads(log_path):
    def worker(k):
        for i in range(300):
            tgt_leaf(k * 1000 + i)

    def body():
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    log, _ = record(log_path, body)
    calls = list(log.calls(MOD + ".tgt_leaf"))
    assert sorted(c.args["i"] for c in calls) == sorted(
        k * 1000 + i for k in range(4) for i in range(300))
    assert all(c.finished and c.parent_id is None for c in calls)
    assert len({c.thread for c in calls}) == 4


class Hostile:
    """Every hook that capture must never call raises."""

    def __repr__(self):
        raise AssertionError("__repr__ called")

    def __eq__(self, other):
        raise AssertionError("__eq__ called")

    def __hash__(self):
        raise AssertionError("__hash__ called")

    def __len__(self):
        raise AssertionError("__len__ called")

    def __getattr__(self, name):
        raise AssertionError("__getattr__ called for %s" % name)


def tgt_hostile(obj, items):
    return obj


def test_hostile_arguments_never_run_user_code(log_path):
    h = Hostile()
    log, value = record(log_path, lambda: tgt_hostile(h, [h, {h: 1} if False else h]))
    assert value is h
    call = only(log.calls(MOD + ".tgt_hostile"))
    assert call.args["obj"] == Summary("Hostile", None)
    assert call.result == Summary("Hostile", None)
    assert call.args["items"].type_name == "list" and call.args["items"].length == 2


def tgt_login(user, password, **extra):
    return len(password)


def test_redaction_applies_to_filter_traced_arguments(log_path):
    argtrace.start(log_path, redact=["pass*", "*token"])
    try:
        _core.filter_start([MOD + ":tgt_login"], [])
        tgt_login("ann", "s3cret", api_token="abc", other=1)
    finally:
        _core.filter_stop()
        argtrace.stop()
    call = only(argtrace.load(log_path).calls(MOD + ".tgt_login"))
    assert call.args["user"] == "ann" and call.args["other"] == 1
    assert call.args["password"] == argtrace.REDACTED
    assert call.args["api_token"] == argtrace.REDACTED
    with open(log_path, "rb") as f:
        data = f.read()
    assert b"s3cret" not in data


@pytest.mark.skipif(expected_backend() == "profile",
                    reason="the profile hook backend cannot share the profile slot")
def test_runs_beside_cprofile(log_path):
    import cProfile
    import pstats
    prof = cProfile.Profile()
    prof.enable()
    try:
        log, value = record(log_path, lambda: tgt_outer(2))
    finally:
        prof.disable()
    assert value == 9
    assert names(log) == ["tgt_outer", "tgt_add", "tgt_add"]
    stats = pstats.Stats(prof)
    assert any(fn[2] == "tgt_add" and st[1] == 2 for fn, st in stats.stats.items())


@pytest.mark.parametrize("core", ["ctrace", "sysmon"])
def test_coexists_with_coverage(log_path, monkeypatch, core):
    coverage = pytest.importorskip("coverage")
    if core == "sysmon" and not PY312:
        pytest.skip("coverage's sys.monitoring core needs 3.12+")
    monkeypatch.setenv("COVERAGE_CORE", core)
    cov = coverage.Coverage(include=[os.path.abspath(__file__)], data_file=None)
    cov.start()
    try:
        log, value = record(log_path, lambda: tgt_outer(2))
    finally:
        cov.stop()
    assert value == 9
    assert names(log) == ["tgt_outer", "tgt_add", "tgt_add"]
    lines = cov.get_data().lines(os.path.abspath(__file__))
    assert tgt_add.__code__.co_firstlineno + 1 in lines


# --- reference counts ------------------------------------------------------------------------

class Payload:
    pass


def tgt_keep(obj, items, *rest, **kw):
    return obj


def tgt_gen_keep(obj):
    yield obj
    yield obj


def tgt_cell_keep(obj):
    def inner():
        return obj
    return inner()


@pytest.mark.parametrize("min_duration_ns", [0, 1])
def test_arguments_keep_their_reference_counts(tmp_path, min_duration_ns):
    # Parameters are read from the frame as borrowed references; a call held back for
    # min-duration takes its own and gives them back. Either way nothing leaks or is lost.
    obj = Payload()
    items = [obj]

    def work():
        for _ in range(200):
            tgt_keep(obj, items, obj, k=obj)
            list(tgt_gen_keep(obj))
            tgt_cell_keep(obj)

    work()
    before = (sys.getrefcount(obj), sys.getrefcount(items))
    log, _ = record(str(tmp_path / "refs.atr"), work, min_duration_ns=min_duration_ns)
    assert (sys.getrefcount(obj), sys.getrefcount(items)) == before
    assert names(log).count("tgt_keep") == 200
    assert names(log).count("tgt_gen_keep") == 200
