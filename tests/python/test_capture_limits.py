"""Values left out at a capture limit are counted, never dropped silently: keyword arguments
past the 16 a call records, log()/action fields past 32, container items a summarizer's
scratch could not hold. They are counted as capture errors in the log's DROPS record
(log.drops["capture_errors"]) and the viewer warns about them."""

import subprocess

import argtrace
from atr_helpers import only, record
from test_viewer_common import viewer  # noqa: F401 (fixture)


@argtrace.trace
def many(**kw):
    return len(kw)


def test_keyword_arguments_past_the_limit_are_counted(log_path):
    log, _ = record(log_path, lambda: many(**{"k%02d" % i: i for i in range(20)}))
    call = only(log.calls("many"))
    assert len(call.args) == 16
    assert log.drops.get("capture_errors") == 4


def test_log_fields_past_the_limit_are_counted(log_path):
    def run():
        with argtrace.action("act", **{"a%02d" % i: i for i in range(40)}):
            argtrace.log("m", **{"f%02d" % i: i for i in range(35)})

    log, _ = record(log_path, run)
    assert len(only(log.calls("act")).args) == 32
    assert len(only(log.messages()).fields) == 32
    assert log.drops.get("capture_errors") == 8 + 3


class Box:
    pass


def test_summarizer_items_past_the_scratch_are_counted(log_path):
    argtrace.register_summarizer(Box, lambda b: ("box",))
    try:
        # 16 lists of 3 summarized items: 96 values, the value area holds 64
        log, _ = record(log_path, lambda: many(**{"b%02d" % i: [Box(), Box(), Box()]
                                                  for i in range(16)}))
    finally:
        argtrace._core.register_summarizer(Box, lambda b: ())
    errors = log.drops.get("capture_errors", 0)
    missing = sum(3 - len(v.items) for v in only(log.calls("many")).args.values())
    assert missing > 0 and errors >= missing


def test_viewer_warns_about_values_left_out(log_path, viewer):  # noqa: F811
    record(log_path, lambda: many(**{"k%02d" % i: i for i in range(20)}))
    res = subprocess.run([viewer, "summary", str(log_path)], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert "4 values could not be captured" in res.stderr, res.stderr


# --- with a registered summarizer: its results and the entries it could change are held in
# the scratch's reference area; that must not cut fields below the documented limits. ---

class Summed:
    pass


class Tupled:
    pass


def _summarize(kind, fn):
    """Register fn for `kind`; returns a callable that neutralizes it again (summarizers
    cannot be unregistered; an empty tuple keeps later tests' values small)."""
    argtrace.register_summarizer(kind, fn)
    return lambda: argtrace._core.register_summarizer(kind, lambda o: ())


def test_summarized_action_and_log_fields_keep_the_limit_of_32(log_path):
    undo = _summarize(Summed, lambda o: {"n": 1})

    def run():
        with argtrace.action("act", **{"a%02d" % i: Summed() if i % 2 else "é" * 300
                                       for i in range(32)}):
            argtrace.log("m", **{"f%02d" % i: Summed() for i in range(32)})

    try:
        log, _ = record(log_path, run)
    finally:
        undo()
    act = only(log.calls("act")).args
    fields = only(log.messages()).fields
    assert len(act) == 32 and len(fields) == 32
    assert all(v.type_name == "Summed" and [i.type_name for i in v.items] == ["=n"]
               for v in fields.values()), fields
    assert act["a01"].type_name == "Summed" and act["a00"] == "é" * 300
    assert log.drops.get("capture_errors") == 0


@argtrace.trace
def summed_call(*args, **kw):
    return len(kw)


def test_summarized_keyword_arguments_keep_the_limit_of_16(log_path):
    undo = _summarize(Summed, lambda o: ("s",))
    try:
        log, _ = record(log_path, lambda: summed_call(
            *[Summed() for _ in range(3)], **{"k%02d" % i: Summed() for i in range(16)}))
    finally:
        undo()
    call = only(log.calls("summed_call"))
    assert len(call.args) == 17  # *args and 16 keywords
    assert [len(v.items) for v in call.args.values()] == [3] + [1] * 16
    assert log.drops.get("capture_errors") == 0


def filtered_kwargs(**kw):
    return len(kw)


def test_summarized_kwargs_of_a_filter_traced_call_keep_the_limit_of_16(log_path):
    undo = _summarize(Summed, lambda o: ("s",))
    argtrace.start(log_path, trace=[__name__ + ":filtered_kwargs"])
    try:
        filtered_kwargs(**{"k%02d" % i: Summed() for i in range(16)})
    finally:
        argtrace.stop()
        undo()
    log = argtrace.load(log_path)
    call = only(log.calls(__name__ + ".filtered_kwargs"))
    assert len(call.args) == 16 and all(len(v.items) == 1 for v in call.args.values())
    assert log.drops.get("capture_errors") == 0


def test_summarizer_items_past_the_value_area_are_counted(log_path):
    # 32 fields whose summaries want 16 items each: the value area holds 64 items, the
    # rest is left out of the summaries and counted, and every field is still recorded.
    undo = _summarize(Tupled, lambda o: tuple(range(16)))
    try:
        log, _ = record(log_path, lambda: argtrace.log("m", **{"f%02d" % i: Tupled()
                                                              for i in range(32)}))
    finally:
        undo()
    fields = only(log.messages()).fields
    assert len(fields) == 32
    missing = sum(16 - len(v.items) for v in fields.values())
    assert missing > 0 and log.drops.get("capture_errors") == missing


def test_references_past_the_maximum_are_counted_not_unbounded(log_path):
    # 600 summarized parameters hold one summarizer result each: the reference area stops
    # at its maximum (512) and the values past it are capture errors, counted.
    from argtrace._values import CaptureError
    names = ["p%03d" % i for i in range(600)]
    scope = {}
    exec("def wide(%s):\n    return 0\n" % ", ".join(names), scope)
    wide = argtrace.trace(scope["wide"])
    undo = _summarize(Summed, lambda o: ())  # one reference each, no items
    try:
        log, _ = record(log_path, lambda: wide(*[Summed() for _ in names]))
    finally:
        undo()
    args = only(log.calls()).args
    errors = [n for n, v in args.items() if isinstance(v, CaptureError)]
    assert len(args) == 600 and errors == names[512:]
    assert log.drops.get("capture_errors") == len(errors)


def test_summary_items_past_its_limit_are_counted(log_path):
    # a summarizer's tuple keeps 16 items, its dict 8 entries: the rest is counted
    class Wide:
        pass

    class Keyed:
        pass

    undo = _summarize(Wide, lambda o: tuple(range(20)))
    undo2 = _summarize(Keyed, lambda o: {"k%d" % i: i for i in range(10)})
    try:
        log, _ = record(log_path, lambda: argtrace.log("m", w=Wide(), k=Keyed()))
    finally:
        undo()
        undo2()
    fields = only(log.messages()).fields
    assert [i for i in fields["w"].items] == list(range(16))
    assert len(fields["k"].items) == 8
    assert log.drops.get("capture_errors") == 4 + 2
