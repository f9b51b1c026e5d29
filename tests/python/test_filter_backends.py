"""Filter-tracing backends (docs/FILTERS.md section 3): the one filter_start picks and
ARGTRACE_FILTER_BACKEND, and what the 3.11 frame-evaluation backend must get right —
exceptions of raising calls, parameters that are cells read at entry, generators begun before
tracing, stopping and starting again from inside traced calls, another PEP 523 function, the
C-stack guard for deep recursion (in subprocesses, so that a crash fails a test instead of
ending pytest) — and, on 3.11, the filter suites rerun with the profile backend."""

import os
import subprocess
import sys
import textwrap
import types

import pytest

import argtrace
from argtrace import Summary, _core
from atr_helpers import only, run_python, subprocess_env
import test_filter_trace as ft
from test_filter_trace import SEES_EXCEPTIONS, expected_backend, tgt_gen, tgt_leaf

MOD = __name__
# tgt_leaf(i) returns 10 * i; tgt_gen(n) yields tgt_leaf(0 .. n-1) and returns "done"
LEAF, GEN = ft.MOD + ".tgt_leaf", ft.MOD + ".tgt_gen"
PY311 = sys.version_info[:2] == (3, 11)
only_311 = pytest.mark.skipif(not PY311, reason="only 3.11 has a choice of backend")


def record(path, fn):
    """(Log, fn's value) of fn() run with the tgt_* functions here and of test_filter_trace
    filter-traced."""
    return ft.record(path, fn, include=[MOD + ":tgt_*", ft.MOD + ":tgt_*"])


def started_backend(path):
    argtrace.start(path, trace=[MOD])
    try:
        return _core.filter_backend()
    finally:
        argtrace.stop()


# --- the choice -------------------------------------------------------------------------------

def test_backend_is_named_while_running(log_path):
    assert _core.filter_backend() is None
    assert started_backend(log_path) == expected_backend()
    assert _core.filter_backend() is None


@pytest.mark.parametrize("value", ["", "auto", "eval", "profile"])
def test_backend_variable(log_path, monkeypatch, value):
    monkeypatch.setenv("ARGTRACE_FILTER_BACKEND", value)
    if PY311:
        want = "profile" if value == "profile" else "eval"
    else:  # 3.9/3.10 have the profile hook only, 3.12+ sys.monitoring only
        want = "monitoring" if sys.version_info >= (3, 12) else "profile"
    assert started_backend(log_path) == want


def test_invalid_backend_variable_is_one_line_before_any_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ARGTRACE_FILTER_BACKEND", "fast")
    line = "argtrace: ARGTRACE_FILTER_BACKEND=fast is not one of auto, eval, profile"
    with pytest.raises(ValueError) as e:
        argtrace.start(tmp_path / "x.atr", trace=[MOD])
    assert str(e.value) == line
    assert not (tmp_path / "x.atr").exists() and not argtrace.active()
    with pytest.raises(ValueError, match="ARGTRACE_FILTER_BACKEND=fast"):
        _core.filter_check([MOD])
    (tmp_path / "app.py").write_text("print('ran')\n")
    res = run_python(["-m", "argtrace", "run", "-o", str(tmp_path / "out.atr"), "--trace",
                      "__main__", "app.py"], cwd=tmp_path)
    assert (res.returncode, res.stdout, res.stderr.splitlines()) == (2, "", [line])
    assert not (tmp_path / "out.atr").exists()


@only_311
def test_another_pep523_function_means_the_profile_hook(log_path, monkeypatch):
    monkeypatch.delenv("ARGTRACE_FILTER_BACKEND", raising=False)
    _core._filter_test_pep523(True)  # as a debugger using PEP 523 would
    try:
        argtrace.start(log_path, trace=[ft.MOD + ":tgt_*"])
        try:
            assert _core.filter_backend() == "profile"
            assert tgt_leaf(2) == 20
        finally:
            argtrace.stop()
        assert only(argtrace.load(log_path).calls()).args == {"i": 2}
        monkeypatch.setenv("ARGTRACE_FILTER_BACKEND", "eval")
        with pytest.raises(RuntimeError) as e:
            argtrace.start(log_path, trace=[MOD])
        assert str(e.value) == ("argtrace: another frame evaluation function is installed "
                                "(PEP 523, e.g. a debugger); filter tracing cannot use it")
        assert not argtrace.active()
    finally:
        _core._filter_test_pep523(False)
    assert started_backend(log_path) == "eval"


@only_311
def test_stop_leaves_an_eval_function_installed_over_ours(log_path, monkeypatch):
    monkeypatch.delenv("ARGTRACE_FILTER_BACKEND", raising=False)
    argtrace.start(log_path, trace=[MOD])
    try:
        assert _core.filter_backend() == "eval"
        _core._filter_test_pep523(True)  # installed while ours runs
    finally:
        argtrace.stop()
    try:
        assert started_backend(log_path) == "profile"  # still there: ours did not remove it
    finally:
        _core._filter_test_pep523(False)
    assert started_backend(log_path) == "eval"


# --- what the backends record ----------------------------------------------------------------

def tgt_int(s):
    return int(s)  # ValueError raised in C: not normalized while it unwinds (3.11)


def tgt_key(d, k):
    return d[k]  # KeyError raised in C with a tuple value


def tgt_catch_c_errors():
    seen = []
    for fn, args in ((tgt_int, ("x",)), (tgt_key, ({}, "k"))):
        try:
            fn(*args)
        except Exception as e:
            tb_names = []
            tb = e.__traceback__
            while tb is not None:
                tb_names.append(tb.tb_frame.f_code.co_name)
                tb = tb.tb_next
            seen.append((type(e).__name__, e.args, tb_names[-1]))
    return seen


@pytest.mark.skipif(not SEES_EXCEPTIONS, reason="the profile hook does not see exceptions")
def test_exceptions_raised_in_c_are_recorded_and_left_as_they_were(log_path):
    log, seen = record(log_path, tgt_catch_c_errors)
    msg = "invalid literal for int() with base 10: 'x'"
    assert seen == [("ValueError", (msg,), "tgt_int"), ("KeyError", ("k",), "tgt_key")]
    assert only(log.calls(MOD + ".tgt_int")).exception == ("ValueError", msg)
    assert only(log.calls(MOD + ".tgt_key")).exception == ("KeyError", "'k'")
    top = only(log.calls(MOD + ".tgt_catch_c_errors"))
    assert top.status == "return" and all(
        c.status == "raise" and c.parent_id == top.id
        for c in log.calls() if c.id != top.id)


def tgt_cell_param(x, y):
    def inner():
        return x
    y = 99  # arguments are read at the call, before this
    return inner()


def tgt_plain_param(x):
    return x


def test_cell_parameters_are_read_at_entry(log_path):
    box = types.CellType(5)  # an argument that is itself a cell object

    def body():
        return tgt_cell_param(3, 4), tgt_cell_param(box, 4), tgt_plain_param(box)

    log, value = record(log_path, body)
    assert value == (3, box, box)
    first, second = list(log.calls(MOD + ".tgt_cell_param"))
    assert first.args == {"x": 3, "y": 4} and first.result == 3
    assert second.args["x"] == Summary("cell", None) and second.args["y"] == 4
    assert only(log.calls(MOD + ".tgt_plain_param")).args["x"] == Summary("cell", None)


def test_generator_created_before_start_is_one_span_from_its_first_step(log_path):
    g = tgt_gen(2)
    log, value = record(log_path, lambda: list(g))
    assert value == [0, 10]
    gen = only(log.calls(GEN))
    assert gen.args == {"n": 2} and gen.result == "done"
    assert [c.parent_id for c in log.calls(LEAF)] == [gen.id, gen.id]


@pytest.mark.skipif(expected_backend() == "profile",
                    reason="the profile hook starts a span at the generator's next resume")
def test_generator_first_stepped_before_start_is_not_recorded(log_path):
    g = tgt_gen(3)
    assert next(g) == 0
    log, value = record(log_path, lambda: list(g))
    assert value == [10, 20]
    assert [c.function for c in log.calls()] == [LEAF] * 2
    assert all(c.parent_id is None and c.status == "return" for c in log.calls())


def tgt_twice(tag):
    yield tag
    yield tag


def tgt_take(box):
    return 1


class Closer:
    def __init__(self, gen):
        self.gen = gen


def close_it(closer):
    closer.gen.close()  # runs while argtrace captures an argument: not traced
    return {"closed": 1}


def test_generator_closed_unseen_does_not_lend_its_span_to_the_next(log_path):
    argtrace.register_summarizer(Closer, close_it)

    def body():
        old = tgt_twice("old")
        next(old)  # its span waits in the suspended table
        tgt_take(Closer(old))
        del old  # freed: the next generator is likely to get its memory (and frame address)
        return list(tgt_twice("new"))

    log, value = record(log_path, body)
    assert value == ["new", "new"]
    old, new = list(log.calls(MOD + ".tgt_twice"))
    assert (old.args, old.status) == ({"tag": "old"}, "noresult")
    assert (new.args, new.status) == ({"tag": "new"}, "return")


def tgt_restart_inner():
    _core.filter_stop()
    _core.filter_start([ft.MOD + ":tgt_leaf"], [])  # a new run, with other patterns
    return tgt_leaf(7)


def tgt_restart_outer():
    g = tgt_gen(3)
    first = next(g)  # a suspended generator span of the first run
    inner = tgt_restart_inner()
    return [first, inner] + list(g)


def test_stop_and_start_again_inside_traced_calls(log_path):
    log, value = record(log_path, tgt_restart_outer)
    assert value == [0, 70, 10, 20]
    outer = only(log.calls(MOD + ".tgt_restart_outer"))
    inner = only(log.calls(MOD + ".tgt_restart_inner"))
    gen = only(log.calls(GEN))
    # calls open at the stop end there, with no result; their returns came later, unrecorded
    assert (outer.status, inner.status, gen.status) == ("noresult",) * 3
    assert inner.parent_id == outer.id and gen.parent_id == outer.id
    leaves = list(log.calls(LEAF))
    assert [c.args["i"] for c in leaves] == [0, 7, 1, 2]
    assert [c.parent_id for c in leaves] == [gen.id, None, None, None]
    assert all(c.finished for c in log.calls())


# --- deep recursion (subprocesses) -----------------------------------------------------------

DEEP = textwrap.dedent("""
    import sys
    import argtrace
    from argtrace import _core

    def deep(n):
        return 0 if n == 0 else 1 + deep(n - 1)

    sys.setrecursionlimit(1_000_000)
    path, pattern, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    argtrace.start(path, trace=[pattern])
    backend = _core.filter_backend()
    try:
        result = str(deep(n))
    except RecursionError as e:
        result = "RecursionError: %s" % e
    argtrace.stop()
    print(backend)
    print(result)
    """)


def run_deep(tmp_path, pattern, n, backend=None):
    script = tmp_path / "deep.py"
    script.write_text(DEEP)
    env = subprocess_env()
    env.pop("ARGTRACE_FILTER_BACKEND", None)
    if backend:
        env["ARGTRACE_FILTER_BACKEND"] = backend
    res = subprocess.run([sys.executable, str(script), str(tmp_path / "d.atr"), pattern, str(n)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, (res.returncode, res.stderr[-2000:])  # a crash fails here
    return res.stdout.splitlines()


@only_311
def test_deep_recursion_with_a_high_limit_takes_the_profile_backend(tmp_path):
    assert run_deep(tmp_path, "__main__:deep", 50_000) == ["profile", "50000"]
    calls = list(argtrace.load(tmp_path / "d.atr").calls("__main__.deep"))
    assert len(calls) == 50_001 and all(c.status == "return" for c in calls)


@only_311
@pytest.mark.parametrize("pattern", ["__main__:deep", "__main__:nothing_selected"])
def test_deep_recursion_through_the_eval_hook_raises_instead_of_crashing(tmp_path, pattern):
    backend, result = run_deep(tmp_path, pattern, 500_000, backend="eval")
    assert backend == "eval"
    assert result.startswith("RecursionError: maximum recursion depth exceeded (C stack")
    assert "ARGTRACE_FILTER_BACKEND=profile" in result
    calls = list(argtrace.load(tmp_path / "d.atr").calls())
    if pattern.endswith(":deep"):
        assert len(calls) > 1000 and all(c.status == "raise" for c in calls)
        assert calls[-1].exception[0] == "RecursionError"
    else:
        assert calls == []


SMALL_STACKS = textwrap.dedent("""
    import sys
    import threading
    import argtrace
    from argtrace import _core

    def deep(n):
        return 0 if n == 0 else 1 + deep(n - 1)

    threading.stack_size(256 * 1024)  # threads started from now on
    argtrace.start(sys.argv[1], trace=["__main__:deep"])
    out = []
    t = threading.Thread(target=lambda: out.append(deep(900)))
    t.start()
    t.join()
    print(_core.filter_backend(), out)
    argtrace.stop()
    """)


@only_311
def test_small_thread_stacks_take_the_profile_backend(tmp_path):
    script = tmp_path / "small.py"
    script.write_text(SMALL_STACKS)
    env = subprocess_env()
    env.pop("ARGTRACE_FILTER_BACKEND", None)
    res = subprocess.run([sys.executable, str(script), str(tmp_path / "s.atr")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert (res.returncode, res.stdout) == (0, "profile [900]\n"), res.stderr[-2000:]
    assert len(list(argtrace.load(tmp_path / "s.atr").calls())) == 901


@pytest.mark.skipif(sys.version_info < (3, 11),
                    reason="before 3.11 Python calls nest C frames with or without tracing")
def test_deep_recursion_at_the_default_choice_works(tmp_path):
    assert run_deep(tmp_path, "__main__:nothing_selected", 100_000)[1] == "100000"


# --- the filter suites with the other backend -----------------------------------------------

@only_311
@pytest.mark.skipif(bool(os.environ.get("ARGTRACE_FILTER_BACKEND")),
                    reason="the backend is chosen for the whole run already")
def test_filter_suites_pass_with_the_profile_backend(tmp_path):
    here = os.path.dirname(os.path.abspath(__file__))
    suites = ["test_filter_trace.py", "test_filter_api.py", "test_filter_cli.py",
              "test_filter_stdlib.py"]
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--basetemp", str(tmp_path / "inner")] + suites,
        cwd=here, env=subprocess_env(ARGTRACE_FILTER_BACKEND="profile"),
        capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert " passed" in res.stdout.splitlines()[-1]
