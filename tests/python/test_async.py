"""Coroutines, generators and async generators: one span each, from the call to completion,
and calls made while they run are their children — also when 100 coroutines interleave."""

import asyncio

import pytest

import argtrace
from atr_helpers import only, record

MOD = __name__


@argtrace.trace
def plain(i):
    return i + 1000


@argtrace.trace
async def leaf(i):
    await asyncio.sleep(0)
    return i * 2


@argtrace.trace
async def child(i):
    a = await leaf(i)
    await asyncio.sleep(0)
    b = plain(i)
    await asyncio.sleep(0)
    return a + b


@argtrace.trace
async def parent(n):
    return await asyncio.gather(*(child(i) for i in range(n)))


def test_100_interleaved_coroutines(log_path):
    log, value = record(log_path, lambda: asyncio.run(parent(100)))
    assert value == [3 * i + 1000 for i in range(100)]
    p = only(log.calls("parent"))
    children = {c.args["i"]: c for c in log.calls("child")}
    assert sorted(children) == list(range(100))
    for i, c in children.items():
        assert c.parent_id == p.id
        assert c.result == 3 * i + 1000
        kids = sorted(c.children, key=lambda k: k.function)
        assert [(k.function, k.args) for k in kids] == [
            (MOD + ".leaf", {"i": i}), (MOD + ".plain", {"i": i})]
        assert [k.result for k in kids] == [2 * i, 1000 + i]
    assert len(list(log.calls("leaf"))) == 100 and len(list(log.calls("plain"))) == 100


def test_coroutine_span_covers_the_await(log_path):
    log, value = record(log_path, lambda: asyncio.run(child(7)))
    c = only(log.calls("child"))
    leaf_call = only(log.calls("leaf"))
    assert value == c.result == 1021
    assert c.start_ns <= leaf_call.start_ns <= leaf_call.end_ns <= c.end_ns


def test_coroutine_exception(log_path):
    @argtrace.trace
    async def boom(x):
        await asyncio.sleep(0)
        raise ValueError("async boom %d" % x)

    async def main():
        with pytest.raises(ValueError, match="async boom 3"):
            await boom(3)

    log, _ = record(log_path, lambda: asyncio.run(main()))
    assert only(log.calls("boom")).exception == ("ValueError", "async boom 3")


def test_task_created_inside_a_span_is_its_child(log_path):
    @argtrace.trace
    async def spawner():
        return await asyncio.create_task(leaf(4))

    log, value = record(log_path, lambda: asyncio.run(spawner()))
    assert value == 8
    assert only(log.calls("leaf")).parent_id == only(log.calls("spawner")).id


@argtrace.trace
def numbers(n):
    for i in range(n):
        yield plain(i)


def test_generator_is_one_span_with_children(log_path):
    log, value = record(log_path, lambda: list(numbers(3)))
    assert value == [1000, 1001, 1002]
    g = only(log.calls("numbers"))
    assert g.args == {"n": 3} and g.finished
    assert [k.args for k in g.children] == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert all(k.parent_id == g.id for k in log.calls("plain"))


def test_generator_protocol_send_throw_close(log_path):
    @argtrace.trace
    def echo():
        received = []
        try:
            while True:
                try:
                    received.append((yield len(received)))
                except KeyError:
                    received.append("caught")
        finally:
            received.append("closed")

    def run():
        g = echo()
        assert next(g) == 0
        assert g.send("a") == 1
        assert g.throw(KeyError("x")) == 2
        assert g.gi_frame is not None and g.gi_running is False
        g.close()
        assert g.gi_frame is None
        return "ok"

    log, value = record(log_path, run)
    assert value == "ok"
    assert only(log.calls("echo")).finished


def test_generator_return_value_and_yield_from(log_path):
    @argtrace.trace
    def sub():
        yield 1
        return "done"

    def run():
        def delegating():
            result = yield from sub()
            yield result
        return list(delegating())

    log, value = record(log_path, run)
    assert value == [1, "done"]
    assert only(log.calls("sub")).finished


@argtrace.trace
async def ticker(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield plain(i)


def test_async_generator_is_one_span_with_children(log_path):
    async def main():
        return [x async for x in ticker(3)]

    log, value = record(log_path, lambda: asyncio.run(main()))
    assert value == [1000, 1001, 1002]
    t = only(log.calls("ticker"))
    assert t.finished and t.args == {"n": 3}
    assert [k.parent_id for k in log.calls("plain")] == [t.id] * 3


def test_async_generator_aclose(log_path):
    async def main():
        agen = ticker(10)
        first = await agen.__anext__()
        await agen.aclose()
        return first

    log, value = record(log_path, lambda: asyncio.run(main()))
    assert value == 1000
    assert only(log.calls("ticker")).finished
    assert len(list(log.calls("plain"))) == 1


def test_coroutine_behaves_like_the_original_without_session():
    assert asyncio.run(child(1)) == 1003
    assert list(numbers(2)) == [1000, 1001]
