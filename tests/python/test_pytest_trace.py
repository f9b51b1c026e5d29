"""pytest --argtrace-trace PATTERN: filter tracing of library code per test (one log per
test), and the end-of-session report of the slowest traced functions (--argtrace-report)."""

import re
import textwrap

import pytest

import argtrace

pytest_plugins = ["pytester"]

LIB = textwrap.dedent("""
    def work(n):
        return sum(helper(i) for i in range(n))

    def helper(i):
        return i * i

    def unused():
        return 0
""")

TESTS = textwrap.dedent("""
    import mylib.calc

    def test_small():
        assert mylib.calc.work(3) == 5

    def test_big():
        assert mylib.calc.work(2000) > 0
        print("out of the test")
""")


@pytest.fixture
def inner(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pkg = pytester.mkpydir("mylib")
    (pkg / "calc.py").write_text(LIB)
    pytester.makepyfile(test_inner=TESTS)
    pytester.syspathinsert()
    return pytester


def _run(inner, *args):
    return inner.runpytest_subprocess("-p", "argtrace.pytest_plugin", "-p", "no:cacheprovider",
                                      *args)


def test_trace_option_writes_one_log_per_test_with_library_calls(inner):
    res = _run(inner, "--argtrace-trace", "mylib.calc")
    assert res.ret == 0
    logs = inner.path / ".argtrace"
    assert sorted(p.name for p in logs.glob("*.atr")) == [
        "test_inner.py__test_big.atr", "test_inner.py__test_small.atr"]
    small = argtrace.load(logs / "test_inner.py__test_small.atr")
    assert [(c.function, c.args, c.result) for c in small.calls("mylib.calc.work")] == [
        ("mylib.calc.work", {"n": 3}, 5)]
    assert len(list(small.calls("mylib.calc.helper"))) == 3
    big = argtrace.load(logs / "test_inner.py__test_big.atr")
    assert len(list(big.calls("mylib.calc.helper"))) == 2000
    # the test's own functions are not selected by the pattern
    assert {c.function for c in big.calls()} == {"mylib.calc.work", "mylib.calc.helper"}


def _report_lines(res):
    lines = res.outlines
    start = [i for i, ln in enumerate(lines) if "argtrace: slowest traced functions" in ln]
    assert len(start) == 1, "\n".join(lines)
    body = []
    for ln in lines[start[0] + 1:]:
        if ln.startswith("=") or not ln.strip():
            break
        body.append(ln)
    return lines[start[0]], body


def test_report_lists_the_slowest_functions_overall(inner):
    res = _run(inner, "--argtrace-trace", "mylib", "--argtrace-report", "3")
    assert res.ret == 0
    head, body = _report_lines(res)
    assert len(head) <= 80
    assert len(body) == 3
    assert all(len(ln) <= 80 for ln in body)
    # each line: total time, calls, function, test; sorted by total time
    rows = [re.match(r"\s*(\S+)\s+(\d+) calls?\s+(\S+)\s+(\S+)$", ln) for ln in body]
    assert all(rows), body
    assert rows[0].group(3) == "mylib.calc.work" and rows[0].group(4) == \
        "test_inner.py::test_big"
    assert ("2000", "mylib.calc.helper", "test_inner.py::test_big") in \
        [(r.group(2), r.group(3), r.group(4)) for r in rows]


def test_report_off_with_zero_and_default_five(inner):
    res = _run(inner, "--argtrace-trace", "mylib", "--argtrace-report", "0")
    assert res.ret == 0
    assert not any("argtrace: slowest" in ln for ln in res.outlines)
    res = _run(inner, "--argtrace-trace", "mylib")
    _, body = _report_lines(res)
    assert len(body) == 4  # work and helper in two tests: fewer than the default 5


def test_invalid_pattern_is_a_usage_error(inner):
    res = _run(inner, "--argtrace-trace", "mylib..calc")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    assert "invalid trace pattern 'mylib..calc'" in "\n".join(res.errlines)
    assert not (inner.path / ".argtrace").exists()


def test_a_log_directory_that_cannot_be_made_is_a_usage_error(inner):
    (inner.path / "afile").write_text("")
    res = _run(inner, "--argtrace", "--argtrace-dir", "afile/logs")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    err = "\n".join(res.errlines)
    assert "argtrace: cannot create --argtrace-dir" in err and "Not a directory" in err
    assert "INTERNALERROR" not in err + "\n".join(res.outlines)


def test_a_negative_report_size_is_a_usage_error(inner):
    res = _run(inner, "--argtrace-trace", "mylib", "--argtrace-report", "-1")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    assert "--argtrace-report needs N >= 0" in "\n".join(res.errlines)
