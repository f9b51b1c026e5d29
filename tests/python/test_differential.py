"""Differential test of call trees: random small programs (seeded) mixing plain calls,
recursion, generators (exhausted, closed early, thrown into, abandoned and collected),
`yield from`, async generators, awaited coroutines, asyncio tasks and gather, asyncio.run from
sync code (also several times, also in threads: nested loops), threads, ThreadPoolExecutor and
exceptions raised and caught, each run untraced under a reference tracer (diff_runner.py: the
real frame stack, and asyncio task creation) and then traced by argtrace with the decorator
and with every filter-tracing backend of this Python. The trees (function, arguments, parent
of every call) must be the same (docs/FORMAT.md, "Call trees").

ATR_DIFF_SEEDS=N runs N seeds (default 240); ATR_DIFF_SEED0 the first seed (default 0).
Run directly (`python test_differential.py SEED`) to print a program and its trees."""

import json
import os
import random
import subprocess
import sys

import pytest

from atr_helpers import subprocess_env

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "diff_runner.py")
SEEDS = int(os.environ.get("ATR_DIFF_SEEDS", "240"))
SEED0 = int(os.environ.get("ATR_DIFF_SEED0", "0"))
BATCH = 40


def modes():
    """(label, runner mode, extra environment) of every way of tracing on this Python."""
    out = [("decorator", "deco", {})]
    if sys.version_info[:2] == (3, 11):
        out += [("eval", "filter", {"ARGTRACE_FILTER_BACKEND": "eval"}),
                ("profile", "filter", {"ARGTRACE_FILTER_BACKEND": "profile"})]
    else:
        out.append(("filter", "filter", {}))
    return out


# --- program generator -------------------------------------------------------------------

HEADER = """\
import asyncio
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

NOW = [10**6]  # the timed programs' clock: it moves only in u_tick
TICK = None  # the reference's: charges a tick to the traced call whose frame made it


def u_tick(k):
    NOW[0] += k
    if TICK is not None:
        TICK(sys._getframe(1), k)


class E(Exception):
    pass


def u_loop_free():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return True
    return False


def u_thread(fn, x):
    th = threading.Thread(target=fn, args=(x,))
    th.start()
    th.join()


def u_arun(coro_fn, x):
    return asyncio.run(coro_fn(x))


async def u_wrap(coro_fn, x):
    return await coro_fn(x)


def u_call(fn, x):
    return fn(x)


def u_abandon(g):
    # (a local of an untraced frame, not `del g` in the caller: a Python profile function,
    # the reference's, copies the locals of every frame it sees into f_locals, which would
    # keep the generator alive there on 3.9 - 3.12)
    next(g, None)

"""


class Gen:
    """Builds one program: functions t_0 .. t_{n-1}; t_i calls only t_j with j > i (finite)."""

    KINDS = ("sync", "sync", "gen", "coro", "coro", "agen", "sched")

    def __init__(self, seed, timed=False):
        # timed: every body moves the clock (u_tick) by amounts of its own, one thread only
        self.timed = timed
        self.r = random.Random(seed)
        self.n = self.r.randint(4, 9)
        self.kinds = [self.r.choice(self.KINDS) for _ in range(self.n)]
        self.raises = [k != "sched" and self.r.random() < 0.2 for k in self.kinds]
        self.rec = [k in ("sync", "gen", "coro") and self.r.random() < 0.3 for k in self.kinds]

    def targets(self, i, kinds):
        return [j for j in range(i + 1, self.n) if self.kinds[j] in kinds]

    def pick(self, i, kinds):
        t = self.targets(i, kinds)
        return self.r.choice(t) if t else None

    def arg(self):
        return "x + %d" % self.r.randint(0, 3)

    def guarded(self, j, stmt, ind):
        """stmt (calling t_j) wrapped in try/except E when t_j raises."""
        if not self.raises[j]:
            return [ind + stmt]
        return [ind + "try:", ind + "    " + stmt, ind + "except E:", ind + "    pass"]

    def sync_stmt(self, i, ind, in_async):
        r = self.r
        choices = ["call", "call", "gen_for", "gen_close", "gen_throw", "gen_abandon",
                   "arun", "raise_catch", "u_call"] + ([] if self.timed else ["thread", "pool"])
        c = r.choice(choices)
        if c in ("call", "raise_catch"):
            j = self.pick(i, ("sync",))
            if j is None:
                return []
            return self.guarded(j, "t_%d(%s)" % (j, self.arg()), ind)
        if c == "u_call":
            j = self.pick(i, ("sync",))
            if j is None:
                return []
            return self.guarded(j, "u_call(t_%d, %s)" % (j, self.arg()), ind)
        if c.startswith("gen_"):
            j = self.pick(i, ("gen",))
            if j is None:
                return []
            a = self.arg()
            if c == "gen_for":
                body = ["for v in t_%d(%s):" % (j, a), "    pass"]
            elif c == "gen_close":
                body = ["g = t_%d(%s)" % (j, a), "next(g, None)", "g.close()"]
            elif c == "gen_throw":
                body = ["g = t_%d(%s)" % (j, a), "next(g, None)", "try:",
                        "    g.throw(E(1))", "except (E, StopIteration):", "    pass",
                        "g.close()"]
            else:
                body = ["u_abandon(t_%d(%s))" % (j, a)]
            if self.raises[j]:
                body = ["try:"] + ["    " + b for b in body] + ["except E:", "    pass"]
            return [ind + b for b in body]
        if c == "arun":
            j = self.pick(i, ("coro",))
            if j is None:
                return []
            times = r.choice([1, 1, 2])
            out = [ind + "if u_loop_free():"]
            for _ in range(times):
                how = r.choice(["direct", "wrap"])
                stmt = ("asyncio.run(t_%d(%s))" % (j, self.arg()) if how == "direct"
                        else "asyncio.run(u_wrap(t_%d, %s))" % (j, self.arg()))
                out += self.guarded(j, stmt, ind + "    ")
            return out
        if c == "thread":
            j = self.pick(i, ("sync", "coro"))
            if j is None or self.raises[j]:
                return []
            if self.kinds[j] == "coro":
                return [ind + "th = threading.Thread(target=u_arun, args=(t_%d, %s))"
                        % (j, self.arg()), ind + "th.start()", ind + "th.join()"]
            return [ind + "u_thread(t_%d, %s)" % (j, self.arg())]
        if c == "pool":
            j = self.pick(i, ("sync",))
            if j is None or self.raises[j]:
                return []
            return [ind + "with ThreadPoolExecutor(2) as ex:",
                    ind + "    list(ex.map(t_%d, [x, x + 1]))" % j]
        return []

    def async_stmt(self, i, ind):
        r = self.r
        c = r.choice(["await", "await", "task", "gather", "agen_for", "agen_close",
                      "agen_throw", "sleep", "wrap_task", "sched"])
        if c == "sleep":
            return [ind + "await asyncio.sleep(0)"]
        if c.startswith("agen"):
            j = self.pick(i, ("agen",))
            if j is None:
                return []
            a = self.arg()
            if c == "agen_for":
                body = ["async for v in t_%d(%s):" % (j, a), "    pass"]
            elif c == "agen_throw":
                body = ["ag = t_%d(%s)" % (j, a), "await ag.__anext__()", "try:",
                        "    await ag.athrow(E(2))", "except (E, StopAsyncIteration):",
                        "    pass", "await ag.aclose()"]
            else:
                body = ["ag = t_%d(%s)" % (j, a), "await ag.__anext__()", "await ag.aclose()"]
                # an async generator that ends before its first yield: __anext__ raises
                body = ["try:"] + ["    " + b for b in body] + [
                    "except StopAsyncIteration:", "    pass"]
            if self.raises[j]:
                body = ["try:"] + ["    " + b for b in body] + ["except E:", "    pass"]
            return [ind + b for b in body]
        if c == "sched":
            j = self.pick(i, ("sched",))
            if j is None:
                return []
            # a sync traced call that creates tasks: their creator
            return [ind + "await t_%d(%s)" % (j, self.arg())]
        j = self.pick(i, ("coro",))
        if j is None:
            return []
        a = self.arg()
        if c == "await":
            stmt = "await t_%d(%s)" % (j, a)
        elif c == "task":
            stmt = "await asyncio.create_task(t_%d(%s))" % (j, a)
        elif c == "wrap_task":
            stmt = "await asyncio.create_task(u_wrap(t_%d, %s))" % (j, a)
        else:
            k = self.pick(i, ("coro",))
            # (when one raises, the other must still run to its end: a task cancelled at
            # asyncio.run's exit before its first step would be a call for the decorator,
            # which sees the coroutine created, and none for the reference)
            ret = ", return_exceptions=True" if self.raises[j] or self.raises[k] else ""
            return [ind + "await asyncio.gather(t_%d(%s), t_%d(%s)%s)" % (
                j, a, k, self.arg(), ret)]
        return self.guarded(j, stmt, ind)

    def tick(self, i, ind):
        """A timed program's body moves the clock here: amounts of t_i's own (i+1 thousands)."""
        if not self.timed:
            return []
        self.ticks += 1
        return [ind + "u_tick(%d)" % ((i + 1) * 1000 + self.ticks)]

    def body(self, i):
        kind = self.kinds[i]
        ind = "    "
        self.ticks = 0
        lines = self.tick(i, ind)
        if kind == "sched":
            ks = [k for k in self.targets(i, ("coro",)) if not self.raises[k]]
            if not ks:
                return lines + [ind + "return asyncio.sleep(0)"]
            return lines + [ind + "return asyncio.gather(%s)" % ", ".join(
                "t_%d(x + %d)" % (self.r.choice(ks), m) for m in range(self.r.randint(1, 3)))]
        if self.rec[i]:
            call = {"sync": "t_%d(x - 1)", "gen": "yield from t_%d(x - 1)",
                    "coro": "await t_%d(x - 1)"}[kind] % i
            lines += [ind + "if x % 3:"] + self.guarded(i, call, ind + "    ")
        for _ in range(self.r.randint(1, 3)):
            if kind in ("coro", "agen") and self.r.random() < 0.6:
                lines += self.async_stmt(i, ind)
            else:
                lines += self.sync_stmt(i, ind, kind in ("coro", "agen"))
            lines += self.tick(i, ind)
            if kind in ("gen", "agen") and self.r.random() < 0.6:
                lines.append(ind + "yield x")
                lines += self.tick(i, ind)
            if kind == "gen" and self.r.random() < 0.2:
                j = self.pick(i, ("gen",))
                if j is not None and not self.raises[j]:
                    lines.append(ind + "yield from t_%d(x)" % j)
        if kind in ("gen", "agen"):
            # a finally that calls: runs on close(), throw() and collection too
            j = self.pick(i, ("sync",))
            inner = [ind + "    yield x"]
            if self.r.random() < 0.5:
                # caught: yields again, or returns (whoever delegated to it through a yield
                # from then goes on, sent the value by the throw())
                then = "yield x + 1" if self.r.random() < 0.6 else "return"
                inner = [ind + "    try:", ind + "        yield x", ind + "    except E:",
                         ind + "        " + then]
            fin = ind + "    u_call(t_%d, x)" % j if j is not None and not self.raises[j] \
                else ind + "    pass"
            lines += [ind + "try:"] + inner + [ind + "finally:", fin] + self.tick(i, ind + "    ")
        if self.raises[i]:
            lines.append(ind + "raise E(x)")
        if not lines:
            lines = [ind + "pass"]
        if kind == "coro" and self.r.random() < 0.3:
            lines.insert(0, ind + "await asyncio.sleep(0)")
        return lines

    def source(self):
        out = [HEADER]
        for i in range(self.n):
            head = {"sync": "def", "gen": "def", "coro": "async def", "agen": "async def",
                    "sched": "def"}
            out.append("@T")
            out.append("%s t_%d(x):" % (head[self.kinds[i]], i))
            out += self.body(i)
            out.append("")
        out.append("def main():")
        roots = [j for j in [0] + self.r.sample(range(1, self.n), min(2, self.n - 1))
                 if self.kinds[j] != "sched"]
        for j in roots:
            k = self.kinds[j]
            if k == "sync":
                stmt = "t_%d(%d)" % (j, j)
            elif k == "gen":
                stmt = "list(t_%d(%d))" % (j, j)
            elif k == "coro":
                stmt = "asyncio.run(t_%d(%d))" % (j, j)
            else:
                stmt = "asyncio.run(u_agen_list(t_%d, %d))" % (j, j)
            out += self.guarded(j, stmt, "    ")
        out.append("    pass")
        out.append("")
        out.append("async def u_agen_list(fn, x):")
        out.append("    return [v async for v in fn(x)]")
        return "\n".join(out) + "\n"


# --- running and comparing ---------------------------------------------------------------

def canon(calls, timed=False):
    """Sorted canonical strings of the trees (function, args, children; timed: and self
    time) of a call list."""
    kids = [[] for _ in calls]
    roots = []
    for i, call in enumerate(calls):
        (roots if call[2] is None else kids[call[2]]).append(i)

    def text(i):
        name, args = calls[i][:2]
        sub = sorted(text(k) for k in kids[i])
        own = " self %d active %d" % tuple(calls[i][3:5]) if timed else ""
        return "%s(%s)%s" % (name, ",".join(map(str, args)), own) + (
            "[" + " ".join(sub) + "]" if sub else "")
    return sorted(text(i) for i in roots)


def run_mode(mode, env, paths, out):
    res = subprocess.run([sys.executable, RUNNER, mode, out] + paths, capture_output=True,
                         text=True, timeout=300, env=subprocess_env(**env))
    assert res.returncode == 0, res.stderr[-3000:]
    with open(out) as f:
        return json.load(f)


def write_programs(tmp_path, seeds, timed=False):
    paths = []
    for s in seeds:
        p = tmp_path / ("prog_%d.py" % s)
        p.write_text(Gen(s, timed).source())
        paths.append(str(p))
    return paths


def first_difference(a, b):
    for x, y in zip(a, b):
        if x != y:
            return x, y
    return (a[len(b):] or [None])[0], (b[len(a):] or [None])[0]


def batches():
    seeds = list(range(SEED0, SEED0 + SEEDS))
    return [seeds[i:i + BATCH] for i in range(0, len(seeds), BATCH)]


@pytest.mark.parametrize("seeds", batches(), ids=lambda s: "%d-%d" % (s[0], s[-1]))
def test_trees_match_the_reference(tmp_path, seeds):
    paths = write_programs(tmp_path, seeds)
    ref = run_mode("ref", {}, paths, str(tmp_path / "ref.json"))
    bad = []
    for label, mode, env in modes():
        got = run_mode(mode, env, paths, str(tmp_path / (label + ".json")))
        for seed, r, g in zip(seeds, ref, got):
            cr, cg = canon(r), canon(g)
            if cr != cg:
                bad.append("seed %d, %s: reference %r\n  argtrace %r" % (
                    (seed, label) + first_difference(cr, cg)))
    assert not bad, "\n".join(bad[:10]) + "\n(%d differences)" % len(bad)


@pytest.mark.parametrize("seeds", batches(), ids=lambda s: "%d-%d" % (s[0], s[-1]))
def test_self_times_match_the_reference(tmp_path, seeds):
    """Timed programs (one thread; every body moves the program's clock by amounts of its
    own) under filter tracing on that clock: each call's self time is exactly the ticks its
    own frame made, as the reference counts them (cProfile's tottime on a clock that moves
    only in the program), its active time the ticks made while its frame was on the stack:
    a generator or task step resumed by a call other than its parent (a generator finished
    after its maker returned, a task of a coroutine that awaits) is the resumer's time, not
    its parent's, and not counted twice. Each function's self and inclusive times too."""
    bad = self_time_differences(tmp_path, seeds)
    assert not bad, "\n".join(bad[:10]) + "\n(%d differences)" % len(bad)


@pytest.mark.skipif(sys.version_info[:2] != (3, 9), reason="CPython 3.9's frame links")
@pytest.mark.xfail(strict=True, reason="the reference cannot see the caller of a throw() "
                   "that a delegating generator caught two levels up on 3.9: its _gen_throw "
                   "links the catching frame to the outer delegator's, whose f_back is empty, "
                   "so the ticks it makes then are not the thrower's (argtrace's own stack "
                   "has it; seeds 419 and 549 of the timed programs)")
def test_self_times_of_a_throw_caught_up_a_39_chain(tmp_path):
    bad = self_time_differences(tmp_path, [419, 549])
    assert not bad, "\n".join(bad[:10]) + "\n(%d differences)" % len(bad)


def self_time_differences(tmp_path, seeds):
    """test_self_times_match_the_reference's differences for these seeds."""
    import argtrace
    from argtrace import _core
    if not hasattr(_core, "filter_start"):
        pytest.skip("filter tracing not built")
    paths = write_programs(tmp_path, seeds, timed=True)
    ref = run_mode("ref", {}, paths, str(tmp_path / "ref.json"))
    bad = []
    for label, _, env in modes()[1:]:  # the filter backends
        got = run_mode("clock", env, paths, str(tmp_path / (label + ".json")))
        for seed, path, r, g in zip(seeds, paths, ref, got):
            cr, cg = canon(r, timed=True), canon(g, timed=True)
            if cr != cg:
                bad.append("seed %d, %s: reference %r\n  argtrace %r" % (
                    (seed, label) + first_difference(cr, cg)))
            # per function: self time, and the time counted once (inclusive: the active
            # times of the calls not started inside a running call of the same function, as
            # cProfile's cumulative time), in the statistics of a log too large for the call
            # table (the viewer's streaming load, which summary tries first) and of the index
            log_file = path[:-3] + ".clock.atr"
            per_fn = {}
            for name, _, _, self_ns, active, nested in r:
                own, once = per_fn.get(name, (0, 0))
                per_fn[name] = (own + self_ns, once + (0 if nested else active))
            got = [("Log.functions()", {f.name.rsplit(".", 1)[-1]: (f.self_ns, f.inclusive_ns)
                                        for f in argtrace.load(log_file).functions()})]
            if hasattr(_core, "viewer_text"):  # (a build without the viewer has no summary)
                status, out, err = _core.viewer_text(
                    ["argtrace-view", "summary", log_file, "--json"])
                assert status == 0, err
                got.append(("summary", {row["function"].rsplit(".", 1)[-1]:
                                        (row["self_ns"], row["inclusive_ns"])
                                        for row in json.loads(out)}))
            for how, got_fn in got:
                if got_fn != per_fn:
                    bad.append("seed %d, %s: %s's (self, inclusive) %r, the reference's %r" % (
                        seed, label, how, got_fn, per_fn))
    return bad


def test_generator_makes_every_construct():
    """The programs do exercise what this test is about (a generator change can't quietly
    drop a construct)."""
    text = "".join(Gen(s).source() for s in range(SEED0, SEED0 + 60))
    for needle in ("g.close()", "g.throw(", "u_abandon(", "yield from", "async for",
                   "aclose()", "athrow(",
                   "create_task(t_", "create_task(u_wrap", "gather(", "asyncio.run(t_",
                   "u_arun", "u_thread(", "ThreadPoolExecutor", "raise E", "except E",
                   "(x - 1)", "yield from t_", "await t_", "return asyncio.gather(",
                   "except E:\n            return\n"):
        assert needle in text, needle


if __name__ == "__main__":
    seed = int(sys.argv[1])
    print(Gen(seed).source())
