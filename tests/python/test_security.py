"""Log files an attacker can plant (symlinks, predictable child names) and a relative log
path followed by chdir."""

import os
import stat

import pytest

import argtrace
from atr_helpers import child_log, only, record, run_python


@argtrace.trace
def square(x):
    return x * x


def test_planted_symlink_is_refused_and_its_target_untouched(tmp_path, log_path):
    target = tmp_path / "precious"
    target.write_text("keep me")
    target.chmod(0o644)
    os.symlink(target, log_path)
    with pytest.raises(OSError) as e:
        argtrace.start(log_path)
    assert e.value.errno == 40 or "symbolic link" in str(e.value)
    assert "symbolic link" in str(e.value) and "\n" not in str(e.value)
    assert target.read_text() == "keep me"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_existing_log_is_replaced_not_rewritten_in_place(tmp_path, log_path):
    log_path.write_text("old")
    log_path.chmod(0o644)
    other = tmp_path / "other-name"
    os.link(log_path, other)  # a hard link: the same file under someone else's name
    log, _ = record(log_path, square, 3)
    assert only(log.calls("square")).result == 9  # `-o app.atr` twice still overwrites
    assert other.read_text() == "old" and stat.S_IMODE(other.stat().st_mode) == 0o644
    assert stat.S_IMODE(log_path.stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_child_log_name_cannot_be_planted(tmp_path, log_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    argtrace.start(log_path)
    try:
        pid = os.fork()
        if pid == 0:  # plant the old predictable name, then trace a call
            try:
                os.symlink(victim, str(log_path)[:-4] + ".%d.atr" % os.getpid())
                square(4)
                argtrace.stop()
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
    finally:
        argtrace.stop()
    assert status == 0
    assert victim.read_text() == "keep me"
    child = argtrace.load(child_log(log_path, pid))
    assert only(child.calls("square")).result == 16
    assert stat.S_IMODE(os.stat(child_log(log_path, pid)).st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_relative_log_path_is_resolved_at_start(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    argtrace.start("rel.atr")
    try:
        pid = os.fork()
        if pid == 0:
            try:
                os.chdir(elsewhere)
                square(5)
                argtrace.stop()
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
    finally:
        argtrace.stop()
    assert status == 0
    assert list(elsewhere.iterdir()) == []
    child = argtrace.load(child_log(tmp_path / "rel.atr", pid))
    assert only(child.calls("square")).result == 25


# ---- file names with control characters in error messages ----

EVIL = "bad\nname\x1b[31m.atr"


def test_load_error_escapes_control_characters(tmp_path):
    (tmp_path / EVIL).write_bytes(b"not a log at all, just text")
    with pytest.raises(ValueError) as e:
        argtrace.load(tmp_path / EVIL)
    msg = str(e.value)
    assert "\n" not in msg and "\x1b" not in msg
    # the engine, which reads the file first, escapes as the viewer does (\xNN)
    assert "bad\\x0aname\\x1b[31m.atr" in msg


needs_cli_viewer = pytest.mark.skipif(not hasattr(argtrace._core, "viewer_main"),
                                      reason="this build has no viewer in argtrace._core")


@needs_cli_viewer
def test_viewer_error_escapes_control_characters(tmp_path):
    (tmp_path / EVIL).write_bytes(b"not a log at all, just text")
    res = run_python(["-m", "argtrace", "summary", EVIL], cwd=tmp_path)
    assert res.returncode == 1
    assert res.stderr.count("\n") == 1 and "\x1b" not in res.stderr, repr(res.stderr)
    assert "bad\\x0aname\\x1b[31m.atr" in res.stderr


def test_run_messages_escape_control_characters(tmp_path):
    script = tmp_path / "p.py"
    script.write_text("print('ran')\n")
    res = run_python(["-m", "argtrace", "run", "-o", "no\ndir/x.atr", str(script)],
                     cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "no\\ndir/x.atr" in res.stderr, repr(res.stderr)
    res = run_python(["-m", "argtrace", "run", "-o", "ok\x1b[1m.atr", str(script)],
                     cwd=tmp_path)
    assert res.returncode == 0 and "ran" in res.stdout
    assert "\x1b" not in res.stderr and "log written to ok\\x1b[1m.atr" in res.stderr


# ---- names with lone surrogates are escaped, not emptied ----

def test_surrogates_in_names_are_escaped(log_path):
    def f(x, **kw):
        return x
    f.__qualname__ = "f\udcffname"
    traced = argtrace.trace(f)

    def h(a):
        return a
    h.__code__ = h.__code__.replace(co_varnames=("x\udc80y",))
    traced_h = argtrace.trace(h)

    def run():
        traced("v", **{"k\udcffey": 1})
        traced_h(2)
        with argtrace.action("act\udcffion", **{"a\udcffb": 3}):
            argtrace.log("text", **{"fi\udcffeld": 4})

    log, _ = record(log_path, run)
    names = [c.function for c in log.calls()]
    assert names == [__name__ + ".f\\udcffname", __name__ + ".test_surrogates_in_names_are_"
                     "escaped.<locals>.h", "act\\udcffion"]
    first, second, action = log.calls()
    assert first.args == {"x": "v", "k\\udcffey": 1}
    assert second.args == {"x\\udc80y": 2}
    assert action.args == {"a\\udcffb": 3}
    assert only(log.messages()).fields == {"fi\\udcffeld": 4}
