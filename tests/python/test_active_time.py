"""Active time of generators and coroutines (format 1.1 SUSPEND/RESUME, issue 10 item 2).

A generator's or coroutine's span lasts from its first call to its completion, but it is
charged only the time it ran: its active time, from which self time, summary totals, tree
shares and slow scores are computed. Filter tracing takes an injected clock, so its figures
are exact; the decorator reads the real clock, so its checks are generous ratios.
"""

import asyncio
import json
import sys
import time

import pytest

import argtrace
from argtrace import _core
from atr_helpers import only

MOD = __name__
PY311 = sys.version_info[:2] == (3, 11)
HAS_FILTER = hasattr(_core, "filter_start")
HAS_VIEWER = hasattr(_core, "viewer_main")
# every filter-tracing backend of this Python (3.11 has two)
BACKENDS = ["eval", "profile"] if PY311 else [None]

NOW = [1_000_000]  # the injected clock (ns) of filter tracing
MS = 1_000_000


def clk_slow(x):
    NOW[0] += 2 * MS  # 2 ms of work, exactly


def clk_gen(n):
    for i in range(n):
        NOW[0] += 1000  # 1 µs per item
        yield i


def clk_consume(n):
    total = 0
    for x in clk_gen(n):
        clk_slow(x)
        total += x
    return total


class Pause:
    """An awaitable that suspends its coroutine once (as an event loop's wait would)."""

    def __await__(self):
        yield


async def clk_worker(steps):
    for _ in range(steps):
        NOW[0] += 1000  # runs 1 µs per step
        await Pause()
    NOW[0] += 500
    return steps


def clk_drive(steps):
    """A tiny event loop: each time the coroutine waits, 10 ms pass before it resumes."""
    coro = clk_worker(steps)
    try:
        while True:
            coro.send(None)
            NOW[0] += 10 * MS
    except StopIteration as stop:
        return stop.value


def filter_record(path, fn, monkeypatch, backend):
    if backend:
        monkeypatch.setenv("ARGTRACE_FILTER_BACKEND", backend)
    argtrace.start(path)
    try:
        _core.filter_start([MOD + ":clk_*"], [MOD + ":clk_drive"], clock=lambda: NOW[0])
        try:
            if backend:
                assert _core.filter_backend() == backend
            value = fn()
        finally:
            _core.filter_stop()
    finally:
        argtrace.stop()
    return argtrace.load(path), value


def calls_of(log, name):
    return log.calls(MOD + "." + name)


def check_shares(log, parent):
    """The times charged to the parent by its children add up to no more than its active
    time (the tree's shares: at most 100% together), and self time is what remains."""
    charged = sum(k.charged_ns for k in parent.children())
    assert charged <= parent.active_ns
    assert parent.self_ns == parent.active_ns - charged


# --- filter tracing, exact ---------------------------------------------------------------------

@pytest.mark.skipif(not HAS_FILTER, reason="no filter tracing")
@pytest.mark.parametrize("backend", BACKENDS)
def test_generator_feeding_slow_calls_filter(log_path, monkeypatch, backend):
    log, value = filter_record(log_path, lambda: clk_consume(50), monkeypatch, backend)
    assert value == sum(range(50))  # tracing changes nothing
    gen = only(calls_of(log, "clk_gen"))
    assert gen.args == {"n": 50}
    assert gen.duration_ns >= 100 * MS  # first step to completion spans every slow call
    assert gen.active_ns == 50 * 1000  # but it ran 1 µs per item
    assert gen.self_ns == gen.active_ns
    consume = only(calls_of(log, "clk_consume"))
    assert consume.active_ns == consume.duration_ns == 100 * MS + 50 * 1000
    # the generator is no longer charged the consumer's 100 ms: its self time is 0.05%
    stats = {s.name.rsplit(".", 1)[-1]: s for s in log.functions()}
    assert stats["clk_gen"].self_ns == stats["clk_gen"].active_ns == 50 * 1000
    assert stats["clk_gen"].total_ns == gen.duration_ns
    assert stats["clk_gen"].max_ns == 50 * 1000
    assert [s.name.rsplit(".", 1)[-1] for s in log.functions()][-1] == "clk_gen"
    if all(s.parent() is not None for s in calls_of(log, "clk_slow")):
        # the slow calls are the consumer's children: their shares and the generator's
        # add up to 100% of the consumer, its self time is 0
        check_shares(log, consume)
        assert consume.self_ns == 0


def clk_items():
    """A generator whose second half runs when its first advancer's caller resumes it."""
    NOW[0] += 1000
    yield 1
    clk_slow(0)  # 2 ms, a child of the generator
    NOW[0] += 1000
    yield 2


def clk_construct(state, make=None):
    """PyYAML's construct_object: advances a constructor generator once, leaves it."""
    g = (make or clk_items)()
    next(g)
    state.append(g)


def clk_document(n_b=0):
    """PyYAML's construct_document: resumes the generators construct_object started (one of
    clk_items, n_b of clk_items_b)."""
    state = []
    clk_construct(state)
    for _ in range(n_b):
        clk_construct(state, clk_items_b)
    for g in state:
        for _ in g:
            pass


@pytest.mark.skipif(not HAS_FILTER, reason="no filter tracing")
def test_generator_resumed_by_its_parents_caller_filter(log_path, monkeypatch, capfd):
    log, _ = filter_record(log_path, clk_document, monkeypatch, None)
    gen = only(calls_of(log, "clk_items"))
    assert gen.active_ns == 2 * MS + 2000
    doc = only(calls_of(log, "clk_document"))
    assert doc.duration_ns == 2 * MS + 2000
    assert doc.self_ns == 0  # it did nothing but resume the generator (cProfile: tottime 0)
    assert doc.adopted_ns == 2 * MS + 1000  # the step it resumed: the generator's and its child's
    construct = only(calls_of(log, "clk_construct"))
    assert (construct.adopted_ns, construct.self_ns) == (0, 0)
    tree = log.tree(doc)
    assert tree["adopted_ns"] == 2 * MS + 1000 and tree["self_ns"] == 0
    # what it was spent on: the generator's step, a call of clk_items
    assert tree["resumed"] == [{"function": MOD + ".clk_items", "calls": 1, "ns": 2 * MS + 1000}]
    assert tree["children"][0]["resumed"] == []  # clk_construct resumed nothing
    assert "(resumed: %s.clk_items ×1)" % MOD in tree._repr_html_()  # notebooks
    if not HAS_VIEWER:
        return
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "tree", log_path, "clk_document", "--json"]) == 0
    theirs = json.loads(capfd.readouterr().out)
    assert theirs["resumed"] == tree["resumed"]
    assert theirs["children"][0]["resumed"] == []
    # the streaming statistics (a log too large for the call table) count it the same
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "summary", log_path, "--json"]) == 0
    rows = {r["function"].rsplit(".", 1)[-1]: r for r in json.loads(capfd.readouterr().out)}
    assert rows["clk_document"]["self_ns"] == 0
    assert rows["clk_items"]["self_ns"] == 2 * 1000
    assert _core.viewer_main(["argtrace", "tree", log_path, "clk_document"]) == 0
    out = capfd.readouterr().out
    row = [line for line in out.splitlines() if "├─ (resumed: " in line]
    assert len(row) == 1 and row[0].split()[:2] == ["2.00", "ms"], out
    assert row[0].rstrip().endswith("(resumed: %s.clk_items ×1)" % MOD), out  # what it ran
    assert "(resumed: the steps of generators and tasks" in out  # the note saying what it is


def clk_items_b():
    """Another generator function, whose left step takes 3 us."""
    yield 1
    NOW[0] += 3000
    yield 2


@pytest.mark.skipif(not HAS_FILTER, reason="no filter tracing")
def test_tree_names_what_a_call_resumed_per_function(log_path, monkeypatch, capfd):
    log, _ = filter_record(log_path, lambda: clk_document(3), monkeypatch, None)
    doc = only(calls_of(log, "clk_document"))
    assert doc.adopted_ns == (2 * MS + 1000) + 3 * 3000
    tree = log.tree(doc)  # per function, the most time first
    assert tree["resumed"] == [
        {"function": MOD + ".clk_items", "calls": 1, "ns": 2 * MS + 1000},
        {"function": MOD + ".clk_items_b", "calls": 3, "ns": 3 * 3000}]
    assert "(resumed: %s.clk_items ×1, …)" % MOD in tree._repr_html_()
    if not HAS_VIEWER:
        return
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "tree", log_path, "clk_document", "--json"]) == 0
    assert json.loads(capfd.readouterr().out)["resumed"] == tree["resumed"]
    assert _core.viewer_main(["argtrace", "tree", log_path, "clk_document"]) == 0
    out = capfd.readouterr().out
    assert "(resumed: %s.clk_items ×1, …)" % MOD in out, out


def clk_inner():
    """Catches what is thrown into it, works 2 ms handling it (a child call), yields again."""
    NOW[0] += 1000
    try:
        yield 1
    except ValueError:
        clk_slow(0)
        yield 2
    NOW[0] += 100


def clk_mid():
    NOW[0] += 1000
    return (yield from clk_inner())


def clk_outer():
    NOW[0] += 1000
    return (yield from clk_mid())


def clk_throw_through():
    g = clk_outer()
    next(g)
    g.throw(ValueError)  # passed down to clk_inner: clk_outer and clk_mid do not run
    for _ in g:
        pass


def clk_inner_ret():
    """Catches what is thrown into it, works 2 ms handling it (a child call), returns."""
    NOW[0] += 1000
    try:
        yield 1
    except ValueError:
        clk_slow(0)
        return 7


def clk_mid_ret():
    NOW[0] += 1000
    r = yield from clk_inner_ret()
    NOW[0] += 500  # goes on when clk_inner_ret returned from the throw(): no call event
    yield r
    NOW[0] += 100


def clk_outer_ret():
    NOW[0] += 1000
    return (yield from clk_mid_ret())


def clk_throw_caught():
    g = clk_outer_ret()
    next(g)
    assert g.throw(ValueError) == 7  # clk_mid_ret's yield, passed up through clk_outer_ret
    for _ in g:
        pass


class ThrowPause(Pause):
    """An awaitable suspending its coroutine twice, the way a task's cancellation reaches
    a coroutine: thrown into at its await."""

    def __await__(self):
        yield
        yield


async def clk_aleaf():
    NOW[0] += 1000
    try:
        await ThrowPause()
    except ValueError:
        clk_slow(0)  # cleanup on "cancellation", then it propagates
        raise


async def clk_await_chain():
    NOW[0] += 1000
    await clk_aleaf()


def clk_drive_cancel():
    coro = clk_await_chain()
    coro.send(None)
    try:
        coro.throw(ValueError)  # clk_aleaf handles it while clk_await_chain's frame waits
    except ValueError:
        pass


@pytest.mark.skipif(not HAS_FILTER, reason="no filter tracing")
@pytest.mark.parametrize("backend", BACKENDS)
def test_throw_passed_through_delegating_generators_is_their_time(log_path, monkeypatch,
                                                                    backend):
    # CPython passes a throw() down a yield from / await chain without running the
    # delegating frames (no event for them), but they are on the stack meanwhile: the inner
    # generator's step is inside them, as a send() through them is (tests/python/
    # diff_runner.py's reference counts every frame on the stack).
    log, _ = filter_record(log_path, clk_throw_through, monkeypatch, backend)
    inner, mid, outer = (only(calls_of(log, n)) for n in ("clk_inner", "clk_mid", "clk_outer"))
    assert inner.active_ns == 2 * MS + 1100  # its first step, the 2 ms child, its last step
    assert mid.active_ns == 1000 + inner.active_ns and mid.self_ns == 1000
    driver = only(calls_of(log, "clk_throw_through"))
    if sys.version_info[:2] > (3, 9):
        assert outer.active_ns == 1000 + mid.active_ns and outer.self_ns == 1000
        assert driver.adopted_ns == 0 and driver.self_ns == 0
    else:  # 3.9 links only the nearest delegating frame to the one thrown into: clk_outer's
        # is not on the stack then, and the step of clk_mid, its child, is the driver's
        assert outer.active_ns == 3100 and driver.adopted_ns == 2 * MS  # (its steps: 3000, 100)
    assert {k.function.rsplit(".", 1)[-1] for k in inner.children()} == {"clk_slow"}


@pytest.mark.skipif(not HAS_FILTER, reason="no filter tracing")
@pytest.mark.parametrize("backend", BACKENDS)
def test_delegator_going_on_after_a_caught_throw_is_inside_the_chain(log_path, monkeypatch,
                                                                     backend):
    # clk_inner_ret catches the throw() and returns: _gen_throw sends the value to
    # clk_mid_ret, which goes on (500 ns) and yields while clk_outer_ret's frame is still on
    # the stack below it. Its step was clk_outer_ret's time; the 3.11 hooks left it outside
    # (clk_outer_ret 2,003,100 ns, 500 adopted by the driver).
    log, _ = filter_record(log_path, clk_throw_caught, monkeypatch, backend)
    inner, mid, outer = (only(calls_of(log, n))
                         for n in ("clk_inner_ret", "clk_mid_ret", "clk_outer_ret"))
    assert inner.active_ns == 2 * MS + 1000
    assert mid.active_ns == 1600 + inner.active_ns and mid.self_ns == 1600
    driver = only(calls_of(log, "clk_throw_caught"))
    if sys.version_info[:2] > (3, 9):
        assert outer.active_ns == 1000 + mid.active_ns and outer.self_ns == 1000
        assert driver.adopted_ns == 0 and driver.self_ns == 0
    assert [k.function.rsplit(".", 1)[-1] for k in inner.children()] == ["clk_slow"]


@pytest.mark.skipif(not HAS_FILTER, reason="no filter tracing")
@pytest.mark.parametrize("backend", BACKENDS)
def test_throw_down_an_await_chain_is_the_awaiting_coroutines_time(log_path, monkeypatch,
                                                                   backend):
    log, _ = filter_record(log_path, clk_drive_cancel, monkeypatch, backend)
    leaf, chain = only(calls_of(log, "clk_aleaf")), only(calls_of(log, "clk_await_chain"))
    assert leaf.active_ns == 2 * MS + 1000
    assert chain.active_ns == 1000 + leaf.active_ns  # its frame waited on the stack
    assert chain.self_ns == 1000
    drive = only(calls_of(log, "clk_drive_cancel"))
    assert drive.self_ns == 0 and drive.adopted_ns == 0  # (it created the coroutine)


async def clk_task_work(k):
    await Pause()  # back to the event loop: its step runs while clk_spawner awaits
    NOW[0] += k * MS
    return k


async def clk_spawner():
    return sum(await asyncio.gather(*(clk_task_work(k) for k in (1, 2, 3, 4))))


def clk_run_spawner():
    return asyncio.run(clk_spawner())


@pytest.mark.skipif(not (HAS_FILTER and HAS_VIEWER), reason="no filter tracing or viewer")
def test_tree_shows_tasks_that_ran_while_their_creator_awaited(log_path, monkeypatch, capfd):
    # The tasks' steps are charged to their creator nothing (it was suspended): they are
    # where the time went, and `tree` showed them folded as "… 4 calls to
    # clk_task_work(), 0 ns" (its default hides what is under 0.5% of the tree).
    log, value = filter_record(log_path, clk_run_spawner, monkeypatch, None)
    assert value == 10
    spawner = only(calls_of(log, "clk_spawner"))
    tasks = calls_of(log, "clk_task_work")
    assert [t.charged_ns for t in tasks] == [0, 0, 0, 0]
    assert [t.active_ns for t in tasks] == [k * MS for k in (1, 2, 3, 4)]
    assert all(t.parent().id == spawner.id for t in tasks)
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "tree", log_path, "clk_run_spawner"]) == 0
    out = capfd.readouterr().out
    rows = [line for line in out.splitlines() if "clk_task_work(k=" in line]
    assert len(rows) == 4 and "calls to" not in out, out
    assert "[active 4.00 ms]" in rows[3], out
    assert rows[3].split()[2] == "0.0%", out  # none of it charged to clk_spawner
    assert "… 1 call" not in out  # clk_spawner ran nothing itself: not folded either


@pytest.mark.skipif(not HAS_FILTER, reason="no filter tracing")
def test_why_counts_the_steps_a_call_resumed_for_other_calls(log_path, monkeypatch, capfd):
    log, _ = filter_record(log_path, lambda: [clk_document() for _ in range(3)], monkeypatch,
                           None)
    doc = calls_of(log, "clk_document")[0]
    w = log.why(doc)
    rows = {(c["function"].rsplit(".", 1)[-1], c["resumed"]): c for c in w["children"]}
    # where its time went: the generator's step it ran (2 ms + 1 us), not a child of it
    assert set(rows) == {("clk_construct", False), ("clk_items", True)}
    step = rows[("clk_items", True)]
    assert (step["calls"], step["duration_ns"], step["typical_calls"]) == (1, 2 * MS + 1000, 1)
    assert step["slowest_id"] == only([c for c in log.calls(MOD + ".clk_items")
                                       if c.parent().parent() is doc]).id
    if not HAS_VIEWER:
        return
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "why", log_path, "--id", str(doc.id)]) == 0
    out = capfd.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("  ↻ ")]
    assert len(rows) == 1 and "clk_items " in rows[0] and "2.00 ms" in rows[0], out
    assert "↻: steps of other calls' generators or tasks it resumed" in out, out


@pytest.mark.skipif(not HAS_FILTER, reason="no filter tracing")
def test_a_generator_finished_on_another_thread(log_path, monkeypatch):
    import threading

    def consume_elsewhere():
        g = clk_gen(3)
        next(g)  # its first step here, the rest on a thread that traces nothing of its own
        th = threading.Thread(target=lambda: list(g))
        th.start()
        th.join()

    log, _ = filter_record(log_path, consume_elsewhere, monkeypatch, None)
    gen = only(calls_of(log, "clk_gen"))  # its steps on the other thread end its intervals
    assert (gen.active_ns, gen.self_ns, gen.adopted_ns) == (3 * 1000, 3 * 1000, 0)
    assert gen.finished and len(log.threads) == 2


def clk_object(depth, state):
    """PyYAML's construct_object: builds a mapping's constructor generator, advances it once
    and leaves it to the document; the generator's later step builds the values: more
    clk_object calls, which run after this one has returned."""
    NOW[0] += 1000
    g = clk_mapping(depth)
    next(g)
    state.append(g)


def clk_mapping(depth):
    yield {}
    if depth:
        clk_object(depth - 1, STATE)
    NOW[0] += 3 * MS


STATE = []


def clk_load():
    """PyYAML's construct_document: construct_object, then every generator it left."""
    STATE.clear()
    clk_object(1, STATE)
    while STATE:
        for _ in STATE.pop(0):
            pass


@pytest.mark.skipif(not (HAS_FILTER and HAS_VIEWER), reason="no filter tracing or viewer")
def test_a_recursive_call_made_after_its_ancestor_returned_counts_in_the_total(
        log_path, monkeypatch, capfd):
    filter_record(log_path, clk_load, monkeypatch, None)
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "summary", log_path, "--json"]) == 0
    rows = {r["function"].rsplit(".", 1)[-1]: r for r in json.loads(capfd.readouterr().out)}
    # the outer call ran 1 us; the inner one, started by the generator's later step after
    # the outer had returned, another 1 us: neither was inside the other
    assert rows["clk_object"]["calls"] == 2
    assert rows["clk_object"]["inclusive_ns"] == rows["clk_object"]["total_ns"] == 2000


@pytest.mark.skipif(not HAS_FILTER, reason="no filter tracing")
def test_the_tui_tree_shows_the_time_a_call_resumed(log_path, monkeypatch):
    import shutil
    from test_viewer_common import viewer_path
    from test_viewer_tui import Screen, lines
    if shutil.which("tmux") is None or not viewer_path():
        pytest.skip("needs tmux and argtrace-view")
    filter_record(log_path, clk_document, monkeypatch, None)
    s = Screen(viewer_path(), ["view", str(log_path)], "/")
    try:
        s.wait_for("functions (")
        s.keys("c")  # the calls of the first function (the document: most total time)
        s.wait_for("calls of " + MOD + ".clk_document")
        s.keys("Enter")
        screen = s.wait_for("call tree of call")
        rows = lines(screen)
        assert "▾ " + MOD + ".clk_document(n_b=0)" in rows[2], screen
        assert rows[3].split()[:3] == ["2.00", "ms", "100.0%"], screen
        assert rows[3].endswith("(resumed: %s.clk_items ×1)" % MOD), screen
        s.keys("Down", "w")  # a time, not a call
        s.wait_for("w: select a call (this row is a time)")
    finally:
        s.close()


@pytest.mark.skipif(not HAS_FILTER, reason="no filter tracing")
@pytest.mark.parametrize("backend", BACKENDS)
def test_coroutine_waiting_filter(log_path, monkeypatch, backend):
    log, value = filter_record(log_path, lambda: clk_drive(3), monkeypatch, backend)
    assert value == 3
    worker = only(calls_of(log, "clk_worker"))
    assert worker.duration_ns == 3 * 1000 + 500 + 3 * 10 * MS
    assert worker.active_ns == 3 * 1000 + 500  # the waits are not its time
    assert worker.self_ns == worker.active_ns
    tree = log.tree(worker)
    assert (tree["duration_ns"], tree["active_ns"], tree["self_ns"]) == (
        worker.duration_ns, 3500, 3500)


@pytest.mark.skipif(not HAS_FILTER, reason="no filter tracing")
def test_records_and_viewer_outputs(log_path, monkeypatch, capfd):
    log, _ = filter_record(log_path, lambda: clk_consume(5), monkeypatch, None)
    recs = list(_core.read_records(log_path))
    assert only({r["format"] for r in recs if r["kind"] == "process"}) == (2, 0)
    gen_span = only(calls_of(log, "clk_gen")).span
    kinds = [r["kind"] for r in recs if r.get("span") == gen_span and r["kind"] != "start"]
    # its span begins at its first step (filter tracing): the first yield, each resume and
    # yield, then the last step and its end
    assert kinds == ["suspend"] + ["resume", "suspend"] * 4 + ["resume", "end"]
    frame = pandas_frame(log)
    if frame is not None:
        row = frame[frame["function"] == MOD + ".clk_gen"].iloc[0]
        assert row["active_ns"] == 5000 and row["duration_ns"] > 10 * MS
    if not HAS_VIEWER:
        return
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "summary", log_path, "--json"]) == 0
    rows = {r["function"].rsplit(".", 1)[-1]: r for r in json.loads(capfd.readouterr().out)}
    assert rows["clk_gen"]["active_ns"] == rows["clk_gen"]["self_ns"] == 5000
    assert rows["clk_gen"]["total_ns"] > 10 * MS
    assert _core.viewer_main(["argtrace", "summary", log_path]) == 0
    out = capfd.readouterr().out
    assert "active time" in out  # the note under the table
    assert _core.viewer_main(["argtrace", "tree", log_path, "clk_consume"]) == 0
    out = capfd.readouterr().out
    assert "[active 5.00 µs]" in out
    assert _core.viewer_main(["argtrace", "slow", log_path, "clk_gen"]) == 0
    out = capfd.readouterr().out
    assert "(active 5.00 µs)" in out and "active time's variation" in out
    assert _core.viewer_main(["argtrace", "calls", log_path, "clk_gen", "--json"]) == 0
    assert only(json.loads(capfd.readouterr().out))["active_ns"] == 5000


def pandas_frame(log):
    try:
        import pandas  # noqa: F401
    except ImportError:
        return None
    return log.to_pandas()


# --- the decorator, real clock -----------------------------------------------------------------

@argtrace.trace
def slow_work(x):
    time.sleep(0.002)
    return x


@argtrace.trace
def trivial_gen(n):
    yield from range(n)


@argtrace.trace
def consume(n):
    return sum(slow_work(x) for x in trivial_gen(n))


def test_generator_feeding_slow_calls_decorator(log_path):
    argtrace.start(log_path)
    try:
        assert consume(30) == sum(range(30))
    finally:
        argtrace.stop()
    log = argtrace.load(log_path)
    gen = only(log.calls(MOD + ".trivial_gen"))
    top = only(log.calls(MOD + ".consume"))
    slow = log.calls(MOD + ".slow_work")
    assert len(slow) == 30
    # the generator's span covers the 30 sleeps (at least 60 ms), its active time does not
    assert gen.duration_ns >= 30 * 2 * MS
    assert gen.active_ns < gen.duration_ns / 4
    assert gen.self_ns <= gen.active_ns
    assert gen.self_ns < 0.25 * top.duration_ns
    assert sum(s.duration_ns for s in slow) > 0.75 * top.duration_ns
    assert top.self_ns < 0.25 * top.duration_ns
    check_shares(log, top)


@argtrace.trace
async def waiter(k):
    for _ in range(k):
        await asyncio.sleep(0.03)
    return k


@argtrace.trace
async def gather_waiters():
    return sum(await asyncio.gather(waiter(2), waiter(3)))


def test_async_coroutines_waiting(log_path):
    argtrace.start(log_path)
    try:
        assert asyncio.run(gather_waiters()) == 5
    finally:
        argtrace.stop()
    log = argtrace.load(log_path)
    top = only(log.calls(MOD + ".gather_waiters"))
    waiters = log.calls(MOD + ".waiter")
    assert sorted(w.args["k"] for w in waiters) == [2, 3]
    for w in waiters:
        # at least k sleeps of 30 ms long, running only microseconds of it
        assert w.duration_ns >= w.args["k"] * 30 * MS
        assert w.active_ns < w.duration_ns / 4
        assert w.self_ns <= w.active_ns
    assert top.duration_ns >= 90 * MS
    assert top.active_ns < top.duration_ns / 4
    assert top.self_ns <= top.active_ns
    if all(w.parent() is not None and w.parent().id == top.id for w in waiters):
        check_shares(log, top)


def test_plain_calls_unchanged(log_path):
    argtrace.start(log_path)
    try:
        slow_work(1)
    finally:
        argtrace.stop()
    log = argtrace.load(log_path)
    call = only(log.calls(MOD + ".slow_work"))
    assert call.active_ns == call.duration_ns == call.self_ns
    assert not [r for r in _core.read_records(log_path) if r["kind"] in ("suspend", "resume")]
