"""The call-tree contract (docs/FORMAT.md, "Call trees"), one small program per rule or per
bug once found (several by test_differential.py), each run in a fresh process (so that the
thread starts without a contextvars context, as a real program does) with the decorator and
with every filter-tracing backend of this Python, and also under the reference tracer of
test_differential.py. Every run must give exactly the tree written here."""

import textwrap

import pytest

from test_differential import HEADER, canon, modes, run_mode


def expected(*trees):
    """canon() of trees written as ("name(args)", [subtrees...])."""
    calls = []

    def add(tree, parent):
        label, kids = tree
        name, args = label[:-1].split("(")
        calls.append([name, [int(a) for a in args.split(",") if a], parent])
        me = len(calls) - 1
        for k in kids:
            add(k, me)
    for t in trees:
        add(t, None)
    return canon(calls)


CASES = {
    # every backend lost the caller after a generator's first yield: the generator published
    # its span in the ContextVar, which made the interpreter create the thread's context, and
    # every saved {span, context} pair with no context stopped matching.
    "filter_generator_first_yield": ("""
        @T
        def t_work(x):
            return x

        @T
        def t_produce(n):
            for i in range(n):
                yield i

        @T
        def t_consume(x):
            t_work(-1)
            for v in t_produce(3):
                t_work(v)
            t_work(99)

        def main():
            t_consume(0)
            t_work(100)
        """, [("t_consume(0)", [("t_work(-1)", []), ("t_produce(3)", []), ("t_work(0)", []),
                                ("t_work(1)", []), ("t_work(2)", []), ("t_work(99)", [])]),
              ("t_work(100)", [])]),
    # asyncio.run creates the thread's context (copy_context): the call after it lost its
    # parent with the decorator.
    "call_after_asyncio_run": ("""
        @T
        async def t_agen(n):
            for i in range(n):
                yield i

        @T
        async def t_amain(x):
            return [v async for v in t_agen(2)]

        @T
        def t_work(x):
            return x

        @T
        def t_f(x):
            asyncio.run(t_amain(0))
            t_work(1)
            asyncio.run(t_amain(2))
            t_work(3)

        def main():
            t_f(0)
        """, [("t_f(0)", [("t_amain(0)", [("t_agen(2)", [])]), ("t_work(1)", []),
                          ("t_amain(2)", [("t_agen(2)", [])]), ("t_work(3)", [])])]),
    # decorator: a generator collected unfinished ran its finally outside its span.
    "abandoned_generator_finally": ("""
        @T
        def t_work(x):
            return x

        @T
        def t_gen(x):
            try:
                yield x
            finally:
                t_work(x)

        @T
        def t_f(x):
            u_abandon(t_gen(1))
            t_work(2)
            g = t_gen(3)
            next(g)
            g.close()

        def main():
            t_f(0)
        """, [("t_f(0)", [("t_gen(1)", [("t_work(1)", [])]), ("t_work(2)", []),
                          ("t_gen(3)", [("t_work(3)", [])])])]),
    # 3.11 profile hook: asyncio resumes a task whose awaited future failed with throw(),
    # which gives no call event: the coroutine (resumed through the async generator it
    # awaits) lost its place as the parent of its later calls.
    "coroutine_thrown_into": ("""
        @T
        def t_work(x):
            return x

        @T
        async def t_fail(x):
            await asyncio.sleep(0)
            raise E(x)

        @T
        async def t_agen(x):
            try:
                await asyncio.gather(t_fail(x))
            except E:
                pass
            yield x

        @T
        async def t_c(x):
            ag = t_agen(1)
            await ag.__anext__()
            t_work(3)
            await ag.aclose()

        def main():
            asyncio.run(t_c(0))
        """, [("t_c(0)", [("t_agen(1)", [("t_fail(1)", [])]), ("t_work(3)", [])])]),
    # throw() into a generator delegating with yield from: both are thrown into (3.11
    # profile hook: one span each, not a second one begun at the delegate's throw)
    "throw_through_yield_from": ("""
        @T
        def t_work(x):
            return x

        @T
        def t_inner(x):
            try:
                yield x
            except E:
                t_work(5)
            yield x

        @T
        def t_outer(x):
            yield from t_inner(x)
            yield x

        @T
        def t_f(x):
            g = t_outer(x)
            next(g)
            g.throw(E(1))
            try:
                g.throw(E(2))
            except E:
                pass
            t_work(2)

        def main():
            t_f(1)
        """, [("t_f(1)", [("t_outer(1)", [("t_inner(1)", [("t_work(5)", [])])]),
                          ("t_work(2)", [])])]),
    # 3.11 profile hook: after a throw() delegated to an awaited coroutine that catches it
    # and returns, the awaiting coroutine goes on without a call event: a task it creates
    # through untraced code lost its creator.
    "coroutine_resumed_after_delegated_throw": ("""
        @T
        def t_work(x):
            return x

        @T
        async def t_fail(x):
            await asyncio.sleep(0)
            raise E(x)

        @T
        async def t_inner(x):
            try:
                await asyncio.create_task(t_fail(x))
            except E:
                pass

        @T
        async def t_leaf(x):
            t_work(x)

        @T
        async def t_outer(x):
            await t_inner(x)
            await asyncio.create_task(u_wrap(t_leaf, x))

        def main():
            asyncio.run(t_outer(1))
        """, [("t_outer(1)", [("t_inner(1)", [("t_fail(1)", [])]),
                              ("t_leaf(1)", [("t_work(1)", [])])])]),
    # a task's parent is its creator, also a plain (sync) traced function
    "sync_creator_of_tasks": ("""
        @T
        def t_work(x):
            return x

        @T
        async def t_leaf(x):
            await asyncio.sleep(0)
            t_work(x)

        @T
        def t_sched(x):
            return asyncio.gather(t_leaf(x), t_leaf(x + 1))

        @T
        async def t_c(x):
            await t_sched(1)
            t_work(5)

        def main():
            asyncio.run(t_c(0))
        """, [("t_c(0)", [("t_sched(1)", [("t_leaf(1)", [("t_work(1)", [])]),
                                          ("t_leaf(2)", [("t_work(2)", [])])]),
                          ("t_work(5)", [])])]),
    # an untraced task coroutine: its calls are children of the task's creator, here the
    # function that called asyncio.run; a new thread starts a tree of its own
    "untraced_task_and_thread": ("""
        @T
        def t_work(x):
            return x

        async def u_body(x):
            t_work(x)
            await asyncio.sleep(0)
            t_work(x + 1)
            await asyncio.create_task(u_wrap(t_leaf, x + 2))

        @T
        async def t_leaf(x):
            t_work(x)

        @T
        def t_f(x):
            asyncio.run(u_body(1))
            u_thread(t_work, 7)

        def main():
            t_f(0)
        """, [("t_f(0)", [("t_work(1)", []), ("t_work(2)", []),
                          ("t_leaf(3)", [("t_work(3)", [])])]),
              ("t_work(7)", [])]),
    # a generator resumed by another function: its calls stay its children, and its parent
    # is where it started (yield from: the delegating generator)
    "generator_resumed_elsewhere": ("""
        @T
        def t_work(x):
            return x

        @T
        def t_inner(x):
            t_work(x)
            yield x
            t_work(x + 1)
            yield x

        @T
        def t_outer(x):
            yield from t_inner(x)

        G = []

        @T
        def t_step(x):
            return next(G[x])

        @T
        def t_f(x):
            g = t_outer(x)
            G.append(g)
            next(g)
            t_step(0)
            G.clear()

        def main():
            t_f(1)
        """, [("t_f(1)", [("t_outer(1)", [("t_inner(1)", [("t_work(1)", []),
                                                          ("t_work(2)", [])])]),
                          ("t_step(0)", [])])]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_tree(tmp_path, name):
    src, trees = CASES[name]
    path = tmp_path / "prog.py"
    path.write_text(HEADER + textwrap.dedent(src))
    want = expected(*trees)
    runs = [("reference", "ref", {})] + modes()
    for label, mode, env in runs:
        got = canon(run_mode(mode, env, [str(path)], str(tmp_path / (label + ".json")))[0])
        assert got == want, label
