"""Actions, messages, current_span() and the logging handler."""

import asyncio
import logging

import pytest

import argtrace
from atr_helpers import only, record

MOD = __name__


@argtrace.trace
def work(x):
    argtrace.log("working", x=x)
    return argtrace.current_span()


def test_action_context_manager_fields_children_messages(log_path):
    def run():
        with argtrace.action("import_batch", batch=7, source="s3") as act:
            argtrace.log("rows_read", rows=1200)
            span = work(1)
            inside = act.span
        return span, inside

    log, (work_span, action_span) = record(log_path, run)
    act = only(log.calls("import_batch"))
    assert act.is_action and act.function == "import_batch"
    assert act.args == {"batch": 7, "source": "s3"}
    assert act.span == action_span and act.exception is None and act.finished
    w = only(log.calls("work"))
    assert w.parent_id == act.id and w.span == work_span
    assert [(m.text, m.fields) for m in log.messages(act)] == [("rows_read", {"rows": 1200})]
    assert [(m.text, m.fields) for m in log.messages(w)] == [("working", {"x": 1})]


def test_action_records_exception_and_reraises_it_unchanged(log_path):
    err = KeyError("missing")

    def run():
        try:
            with argtrace.action("step", n=1):
                raise err
        except KeyError as e:
            return e

    log, got = record(log_path, run)
    assert got is err
    act = only(log.calls("step"))
    assert act.exception == ("KeyError", "'missing'")


def test_action_decorator(log_path):
    @argtrace.action("handle", kind="job")
    def handle(x):
        """Doc."""
        return work(x)

    def run():
        return [handle(1), handle(2)]

    log, spans = record(log_path, run)
    acts = list(log.calls("handle"))
    assert [a.args for a in acts] == [{"kind": "job"}, {"kind": "job"}]
    assert [w.parent_id for w in log.calls("work")] == [a.id for a in acts]
    assert handle.__name__ == "handle" and handle.__doc__ == "Doc."


def test_action_decorator_on_a_coroutine_function(log_path):
    @argtrace.action("async_handle")
    async def handle(x):
        await asyncio.sleep(0)
        return work(x)

    log, _ = record(log_path, lambda: asyncio.run(handle(3)))
    act = only(log.calls("async_handle"))
    assert only(log.calls("work")).parent_id == act.id


def test_action_decorator_reraises(log_path):
    @argtrace.action("fails")
    def fails():
        raise ValueError("nope")

    def run():
        with pytest.raises(ValueError, match="nope"):
            fails()

    log, _ = record(log_path, run)
    assert only(log.calls("fails")).exception == ("ValueError", "nope")


def test_nested_actions(log_path):
    def run():
        with argtrace.action("outer"):
            with argtrace.action("inner", depth=2):
                argtrace.log("deep")

    log, _ = record(log_path, run)
    outer, inner = only(log.calls("outer")), only(log.calls("inner"))
    assert inner.parent_id == outer.id
    assert [m.text for m in log.messages(inner)] == ["deep"]


def test_message_outside_any_span(log_path):
    log, _ = record(log_path, lambda: argtrace.log("top", level=1))
    m = only(log.messages())
    assert (m.text, m.fields, m.span) == ("top", {"level": 1}, 0)


def test_actions_and_messages_without_session_do_nothing():
    with argtrace.action("nothing", x=1) as act:
        argtrace.log("ignored", y=2)
        assert act.span == 0
    assert argtrace.current_span() == 0


def test_current_span(log_path):
    log, span = record(log_path, work, 5)
    assert span == only(log.calls("work")).span != 0
    assert argtrace.current_span() == 0


def test_action_name_must_be_str():
    with pytest.raises(TypeError):
        argtrace.action(42)


# ---- logging.Handler ------------------------------------------------------------------------

@pytest.fixture
def logger():
    lg = logging.getLogger("argtrace_tests.handler")
    lg.setLevel(logging.DEBUG)
    lg.propagate = False
    handler = argtrace.LogHandler()
    lg.addHandler(handler)
    yield lg
    lg.removeHandler(handler)


@argtrace.trace
def logs_something(lg, n):
    lg.warning("processed %d items", n)
    lg.debug("debug detail")
    return n


def test_log_handler_attaches_records_to_the_current_call(log_path, logger):
    log, _ = record(log_path, logs_something, logger, 3)
    call = only(log.calls("logs_something"))
    msgs = list(log.messages(call))
    assert [m.text for m in msgs] == ["processed 3 items", "debug detail"]
    first = msgs[0].fields
    assert first["level"] == "WARNING" and first["logger"] == "argtrace_tests.handler"
    assert first["function"] == "logs_something" and first["module"] == MOD
    assert isinstance(first["line"], int) and first["line"] > 0
    assert msgs[1].fields["level"] == "DEBUG"


def test_log_handler_records_exception_type(log_path, logger):
    def run():
        try:
            raise ValueError("x")
        except ValueError:
            logger.exception("failed")

    log, _ = record(log_path, run)
    m = only(log.messages())
    assert m.text == "failed" and m.fields["exc_type"] == "builtins.ValueError"


class Unprintable:
    def __str__(self):
        raise RuntimeError("no str")

    __repr__ = __str__


def test_log_handler_never_raises(log_path, capsys):
    handler = argtrace.LogHandler()

    def make(msg, *args):
        return logging.LogRecord("argtrace_tests.raw", logging.ERROR, __file__, 1, msg, args,
                                 None)

    def run():
        handler.handle(make("bad %s", Unprintable()))
        handler.handle(make("bad format %d", "not a number"))
        handler.handle(make(Unprintable()))
        return "still running"

    log, value = record(log_path, run)
    assert value == "still running"
    texts = [m.text for m in log.messages()]
    assert texts[:2] == ["bad %s", "bad format %d"] and len(texts) == 3
    assert capsys.readouterr().err == ""


def test_log_handler_without_session(logger, capsys):
    logger.warning("nobody listens")
    assert capsys.readouterr().err == ""
