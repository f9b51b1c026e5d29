"""start(): explicit keyword options (no **options), each still reaching the session as
before; aliases; unknown options; the options session() passes on."""

import inspect
import os

import pytest

import argtrace
from argtrace import _api

OPTIONS = {  # every option start() took as **options before, with a valid value
    "flush_interval_ms": 50, "buffer_size": 1 << 16, "max_pending_bytes": 1 << 20,
    "zstd_level": 1, "drop_when_full": True, "max_value_bytes": 100, "argv": ["prog", "-x"],
    "redact": ["secret"], "capture_repr": True, "capture_len": True, "fork_mode": "stop",
    "max_len": 100, "repr": True, "flush_interval": 50, "drop": False,
    "block_timeout_ms": 500, "sink_timeout_ms": 5000,
}


def test_signature_lists_every_option():
    params = inspect.signature(argtrace.start).parameters
    assert not any(p.kind is p.VAR_KEYWORD for p in params.values())
    keyword_only = {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
    longrun = {"max_size", "keep", "sample", "sample_mode", "sample_seed", "toggle_signal"}
    assert set(OPTIONS) | {"trace", "exclude", "min_duration", "max_depth"} | longrun == \
        keyword_only
    assert set(OPTIONS) == set(_api._START_OPTIONS) | set(_api._START_ALIASES)


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_each_option_reaches_core_start(name, monkeypatch, tmp_path):
    seen = {}

    def fake_start(path, **kw):
        seen.update(kw, path=path)

    monkeypatch.setattr(_api._core, "start", fake_start)
    argtrace.start(tmp_path / "x.atr", **{name: OPTIONS[name]})
    key = _api._START_ALIASES.get(name, name)
    value = OPTIONS[name]
    if key == "redact":
        value = tuple(value)
    assert seen[key] == value
    assert seen["path"] == os.fspath(tmp_path / "x.atr")
    # Options not given are not passed: the writer's defaults apply (None is refused by some).
    assert set(seen) == {"path", key} | {"argv"}


def test_unknown_option_and_alias_twice_raise_type_error(tmp_path):
    with pytest.raises(TypeError, match="no_such"):
        argtrace.start(tmp_path / "x.atr", no_such=1)
    with pytest.raises(TypeError, match="same option"):
        argtrace.start(tmp_path / "x.atr", max_len=5, max_value_bytes=6)
    assert not argtrace.active()
    assert not (tmp_path / "x.atr").exists()


def test_options_are_applied_by_a_real_session(tmp_path):
    path = tmp_path / "o.atr"

    @argtrace.trace
    def f(token, text):
        return len(text)

    with argtrace.session(path, max_len=8, redact=["tok*"], argv=["prog", "--token=abc"],
                          zstd_level=1, fork_mode="stop", flush_interval_ms=10):
        f("abc", "x" * 100)
    log = argtrace.load(path)
    call = log.calls("f")[0]
    assert call.args["token"] == argtrace.REDACTED
    assert isinstance(call.args["text"], argtrace.Truncated) and call.args["text"].length == 100
    assert log.process.argv == ["prog", "--token=<redacted>"]


BAD = [  # (options, exception, the one-line message's words): each names what was wrong
    ({"buffer_size": 1}, ValueError, "buffer_size must be from 4096 to 4194304"),
    ({"buffer_size": 256 << 20}, ValueError, "buffer_size must be from 4096 to 4194304"),
    ({"buffer_size": "big"}, TypeError, "buffer_size must be an integer, not str"),
    ({"buffer_size": 2.5}, TypeError, "buffer_size must be an integer, not float"),
    ({"flush_interval_ms": 0}, ValueError, "flush_interval_ms must be from 1 to 3600000"),
    ({"flush_interval_ms": 10 ** 30}, ValueError, "flush_interval_ms must be from 1 to"),
    ({"flush_interval": 0}, ValueError, r"flush_interval \(flush_interval_ms\) must be from 1"),
    ({"zstd_level": 99}, ValueError, "zstd_level must be from -7 to 22"),
    ({"max_pending_bytes": 10}, ValueError, "max_pending_bytes must be at least buffer_size"),
    ({"max_value_bytes": 1 << 30}, ValueError, "max_value_bytes must be at most buffer_size / 4"),
    ({"max_len": -5}, ValueError, r"max_len \(max_value_bytes\) must not be negative"),
    ({"block_timeout_ms": 0}, ValueError, "block_timeout_ms must be from 1 to 3600000"),
    ({"sink_timeout_ms": -1}, ValueError, "sink_timeout_ms must not be negative"),
    ({"sink_timeout_ms": 1 << 40}, ValueError, "sink_timeout_ms must be from 1 to 3600000"),
]


@pytest.mark.parametrize("options,exc,words", BAD, ids=[str(b[0]) for b in BAD])
def test_a_bad_option_is_named_in_a_one_line_error(options, exc, words, tmp_path):
    with pytest.raises(exc, match="^argtrace: " + words) as info:
        argtrace.start(tmp_path / "x.atr", **options)
    assert "\n" not in str(info.value) and "invalid argument" not in str(info.value)
    assert not argtrace.active()
    assert not (tmp_path / "x.atr").exists()
