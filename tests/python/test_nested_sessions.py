"""Nested sessions: a program that opens its own session under `argtrace run` or
`pytest --argtrace` (or inside another session) works exactly as untraced: its session
records into its own log; the outer session pauses meanwhile and resumes after."""

import sys
import textwrap

import argtrace
from atr_helpers import run_python

PROGRAM = textwrap.dedent("""
    import sys
    import argtrace

    @argtrace.trace
    def f(x):
        return x

    f("outer-before")
    argtrace.start("own.atr")
    f("own-start")
    argtrace.stop()
    with argtrace.session("ctx.atr") as s:
        f("own-ctx")
    own = [c.args["x"] for c in argtrace.load("own.atr").calls("f")]
    ctx = [c.args["x"] for c in argtrace.load(s.path).calls("f")]
    assert own == ["own-start"], own
    assert ctx == ["own-ctx"], ctx
    assert s.stats is not None and s.stats["dropped"] == 0
    f("outer-after")
    print("ok")
""")


def test_program_sessions_under_argtrace_run(tmp_path):
    (tmp_path / "prog.py").write_text(PROGRAM)
    res = run_python(["-m", "argtrace", "run", "-q", "-o", "run.atr", "prog.py"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "ok\n"
    # one line on stderr, once, says what happens
    notes = [ln for ln in res.stderr.splitlines() if "already active" in ln]
    assert len(notes) == 1, res.stderr
    outer = [c.args["x"] for c in argtrace.load(tmp_path / "run.atr").calls("f")]
    assert outer == ["outer-before", "outer-after"]


def test_program_sessions_under_argtrace_run_with_filters(tmp_path):
    (tmp_path / "prog.py").write_text(PROGRAM.replace("@argtrace.trace\n", ""))
    res = run_python(["-m", "argtrace", "run", "-q", "--trace", "__main__.*", "-o", "run.atr",
                      "prog.py"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    outer = [c.args["x"] for c in argtrace.load(tmp_path / "run.atr").calls("f")]
    assert "outer-before" in outer and "outer-after" in outer


def test_a_call_running_across_an_inner_session_keeps_its_end(tmp_path):
    @argtrace.trace
    def g(x):
        argtrace.start(tmp_path / "inner.atr")
        g2(x)
        argtrace.stop()
        return x

    @argtrace.trace
    def g2(x):
        return x

    with argtrace.session(tmp_path / "outer.atr"):
        g(1)
    outer = argtrace.load(tmp_path / "outer.atr")
    call, = outer.calls("g")
    assert call.result == 1 and call.end_ns is not None
    assert [c.result for c in argtrace.load(tmp_path / "inner.atr").calls("g2")] == [1]
    assert not list(outer.calls("g2"))


def test_stop_of_the_inner_session_does_not_stop_the_outer(tmp_path):
    argtrace.start(tmp_path / "a.atr")
    try:
        argtrace.start(tmp_path / "b.atr")
        argtrace.stop()
        assert argtrace.active()
        assert argtrace._core.session_path() == str(tmp_path / "a.atr")
    finally:
        argtrace.stop()
    assert not argtrace.active()


INNER_TESTS = textwrap.dedent("""
    import argtrace

    @argtrace.trace
    def double(x):
        return 2 * x

    def test_own_session(tmp_path):
        double(1)
        with argtrace.session(tmp_path / "mine.atr") as s:
            double(2)
        assert [c.args["x"] for c in argtrace.load(s.path).calls()] == [2]
        double(3)
""")


def test_pytest_plugin_with_a_test_that_opens_its_own_session(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    res = run_python(["-m", "pytest", "-p", "argtrace.pytest_plugin", "-q", "-p",
                      "no:cacheprovider", "--argtrace", "test_inner.py"], cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    logs = list((tmp_path / ".argtrace").glob("*.atr"))
    assert len(logs) == 1
    assert [c.args["x"] for c in argtrace.load(logs[0]).calls()] == [1, 3]


LEAKY_TESTS = textwrap.dedent("""
    import argtrace

    @argtrace.trace
    def double(x):
        return 2 * x

    def test_leaks_its_session(tmp_path):
        double(1)
        argtrace.start(tmp_path / "leaked.atr")  # never stopped
        double(2)

    def test_next():
        double(3)
""")


def test_pytest_plugin_closes_a_session_a_test_left_open(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_inner.py").write_text(LEAKY_TESTS)
    res = run_python(["-m", "pytest", "-p", "argtrace.pytest_plugin", "-q", "-p",
                      "no:cacheprovider", "--argtrace", "test_inner.py"], cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    logs = {p.name: [c.args["x"] for c in argtrace.load(p).calls()]
            for p in (tmp_path / ".argtrace").glob("*.atr")}
    assert logs == {"test_inner.py__test_leaks_its_session.atr": [1],
                    "test_inner.py__test_next.atr": [3]}, logs


def test_session_paths_lists_the_open_sessions(tmp_path):
    with argtrace.session(tmp_path / "a.atr"):
        with argtrace.session(tmp_path / "b.atr"):
            assert argtrace._core.session_paths() == [str(tmp_path / "a.atr"),
                                                       str(tmp_path / "b.atr")]
        assert argtrace._core.session_paths() == [str(tmp_path / "a.atr")]
    assert argtrace._core.session_paths() == []
