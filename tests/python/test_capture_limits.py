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
        log, _ = record(log_path, lambda: many(**{"b%02d" % i: [Box(), Box(), Box()]
                                                  for i in range(10)}))
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
