"""Sessions: start/stop, the context manager, errors, options, redaction in the file."""

import errno
import os
import stat
import sys

import pytest

import argtrace
from argtrace import REDACTED
from atr_helpers import decompressed, only, record, without_index

MOD = __name__


@argtrace.trace
def f(x):
    return x


def test_start_stop(log_path):
    assert not argtrace.active()
    argtrace.start(log_path)
    assert argtrace.active()
    f(1)
    stats = argtrace.stop()
    assert not argtrace.active()
    assert stats["path"] == str(log_path)
    assert stats["dropped"] == 0 and stats["write_error"] is None
    log = argtrace.load(log_path)
    assert log.closed and not log.truncated
    assert log.process.pid == os.getpid()
    assert log.process.argv == sys.argv
    assert log.process.runtime.startswith("CPython %d.%d" % sys.version_info[:2])
    assert [c.args for c in log.calls()] == [{"x": 1}]


def test_stop_without_session_returns_none():
    assert argtrace.stop() is None


def test_log_file_is_private(log_path):
    record(log_path, f, 1)
    assert stat.S_IMODE(os.stat(log_path).st_mode) == 0o600


def test_session_context_manager(log_path):
    with argtrace.session(log_path) as s:
        assert argtrace.active()
        f(2)
    assert not argtrace.active()
    assert s.path == str(log_path) and s.stats["path"] == str(log_path)
    assert [c.result for c in s.load().calls("f")] == [2]


def test_session_context_manager_stops_on_exception(log_path):
    with pytest.raises(ZeroDivisionError):
        with argtrace.session(log_path):
            f(3)
            1 / 0
    assert not argtrace.active()
    assert [c.result for c in argtrace.load(log_path).calls("f")] == [3]


def test_second_start_nests_and_resumes_the_first(tmp_path):
    # (tests/python/test_nested_sessions.py covers nesting in depth)
    first, second = tmp_path / "a.atr", tmp_path / "b.atr"
    argtrace.start(first)
    try:
        f(3)
        argtrace.start(second)
        f(4)
        argtrace.stop()
        assert argtrace.active()
        f(5)
    finally:
        argtrace.stop()
    assert not argtrace.active()
    assert [c.result for c in argtrace.load(first).calls()] == [3, 5]
    assert [c.result for c in argtrace.load(second).calls()] == [4]


@pytest.mark.parametrize("make_path, code", [
    (lambda d: d / "missing-dir" / "x.atr", errno.ENOENT),
    (lambda d: d, errno.EISDIR),
])
def test_unwritable_path_is_a_clean_oserror(tmp_path, make_path, code):
    path = make_path(tmp_path)
    with pytest.raises(OSError) as e:
        argtrace.start(path)
    assert e.value.errno == code
    assert str(path) in str(e.value)
    assert not argtrace.active()
    assert f(5) == 5
    record(tmp_path / "ok.atr", f, 6)  # a later session works


@pytest.mark.parametrize("options, exc", [
    ({"bogus": 1}, TypeError),
    ({"redact": "password"}, TypeError),
    ({"flush_interval_ms": -5}, (ValueError, OverflowError)),
    ({"fork_mode": "sideways"}, ValueError),
])
def test_bad_options(log_path, options, exc):
    with pytest.raises(exc):
        argtrace.start(log_path, **options)
    assert not argtrace.active()


def test_option_aliases(log_path):
    log, _ = record(log_path, f, "x" * 50, max_len=10)
    assert only(log.calls()).args["x"] == argtrace.Truncated("x" * 10, 50)


SECRETS = {
    "password": "P4ssw0rd-never-in-file",
    "api_token": "T0ken-never-in-file",
    "Secret_Key": "K3y-never-in-file",
}


@argtrace.trace
def login(user, password, api_token, **extra):
    return user


@argtrace.trace(redact=["card*"])
def pay(user, card_number):
    return user


def test_redacted_values_never_reach_the_file(log_path):
    def run():
        login("visible-user", SECRETS["password"], SECRETS["api_token"],
              Secret_Key=SECRETS["Secret_Key"], note="visible-note")
        pay("visible-payer", "4111-never-in-file")
        with argtrace.action("auth", password=SECRETS["password"], who="visible-who"):
            argtrace.log("login", api_token=SECRETS["api_token"], ok="visible-ok")

    log, _ = record(log_path, run, redact=["pass*", "*TOKEN*", "secret_*"])
    call = only(log.calls("login"))
    assert call.args == {"user": "visible-user", "password": REDACTED, "api_token": REDACTED,
                         "Secret_Key": REDACTED, "note": "visible-note"}
    assert only(log.calls("pay")).args == {"user": "visible-payer", "card_number": REDACTED}
    assert only(log.calls("auth")).args == {"password": REDACTED, "who": "visible-who"}
    assert only(log.messages()).fields == {"api_token": REDACTED, "ok": "visible-ok"}

    raw = open(log_path, "rb").read()
    data = decompressed(log_path)
    for visible in ("visible-user", "visible-note", "visible-payer", "visible-who",
                    "visible-ok"):
        assert visible.encode() in data  # the check below looks at the right bytes
    for secret in list(SECRETS.values()) + ["4111-never-in-file"]:
        assert secret.encode() not in data
        assert secret.encode() not in raw


def test_truncated_log_file_still_loads(tmp_path, log_path):
    def run():
        for batch in range(5):
            for i in range(400):
                f(batch * 400 + i)
            argtrace.flush()  # one frame per batch; stop() writes a last frame

    record(log_path, run)
    data = open(log_path, "rb").read()
    cut = tmp_path / "cut.atr"
    cut.write_bytes(without_index(data)[:-7])  # the crash cut the last frame
    log = argtrace.load(cut)
    assert log.truncated and not log.closed
    assert [c.args["x"] for c in log.calls("f")] == list(range(2000))
    assert all(c.finished for c in log.calls("f"))


def test_corrupt_log_is_a_clean_valueerror(tmp_path):
    bad = tmp_path / "bad.atr"
    bad.write_bytes(b"not a log at all")
    with pytest.raises((ValueError, OSError)) as e:
        argtrace.load(bad)
    assert "\n" not in str(e.value)


def test_load_missing_file_is_oserror(tmp_path):
    with pytest.raises(OSError):
        argtrace.load(tmp_path / "nope.atr")


def test_summarizer(log_path):
    class Matrix:
        def __init__(self, rows, cols):
            self.rows, self.cols = rows, cols

    argtrace.register_summarizer(Matrix, lambda m: {"shape": "%dx%d" % (m.rows, m.cols)})

    @argtrace.trace
    def solve(m):
        return m.rows

    log, _ = record(log_path, solve, Matrix(3, 4))
    value = only(log.calls()).args["m"]
    assert isinstance(value, argtrace.Summary)
    assert value.type_name.endswith("Matrix")
    assert "3x4" in _flatten(value)


def _flatten(summary):
    out = [summary.type_name]
    for item in summary.items:
        out.extend(_flatten(item) if isinstance(item, argtrace.Summary) else [item])
    return out


def test_register_summarizer_argument_checks():
    with pytest.raises(TypeError):
        argtrace.register_summarizer("Matrix", len)
    with pytest.raises(TypeError):
        argtrace.register_summarizer(int, 5)


@argtrace.trace
def nested(fields):
    return fields


def test_aged_flushes_keep_nested_summaries_whole(tmp_path):
    # The flusher takes aged data from the live buffer while this thread keeps recording:
    # every record it writes must be complete, whatever the moment (many short intervals).
    for round_ in range(10):
        path = tmp_path / ("r%d.atr" % round_)

        def run():
            for n in range(3000):
                nested([["%d" % i, "name%d" % (i * 7), "x"] for i in range(n % 7)])

        log, _ = record(path, run, flush_interval_ms=1)
        calls = list(log.calls("nested"))
        assert len(calls) == 3000
        assert [c.args["fields"].length for c in calls] == [n % 7 for n in range(3000)]


def test_calls_in_flight_are_visible_after_flush(log_path):
    seen = {}

    @argtrace.trace
    def running(x):
        f(x + 1)
        argtrace.flush()
        live = argtrace.load(log_path)  # read while the session is still writing
        seen["running"] = [(c.args, c.finished, c.duration_ns) for c in live.calls("running")]
        seen["f"] = [(c.args, c.finished) for c in live.calls("f")]
        seen["closed"] = live.closed
        return x

    record(log_path, running, 1)
    assert seen == {"running": [({"x": 1}, False, None)], "f": [({"x": 2}, True)],
                    "closed": False}
    log = argtrace.load(log_path)
    assert only(log.calls("running")).finished
