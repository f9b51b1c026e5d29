"""The pytest plugin: `--argtrace` (one log per test) and the `argtrace_session` fixture.
Runs an inner pytest in a subprocess, with the plugin loaded explicitly (-p)."""

import json
import os
import sys
import textwrap

import pytest

import argtrace
from argtrace.pytest_plugin import sanitise_test_id
from atr_helpers import only, run_python

INNER_TESTS = textwrap.dedent("""
    import json, os
    import pytest
    import argtrace

    @argtrace.trace
    def double(x):
        return 2 * x

    def test_one():
        assert double(1) == 2

    @pytest.mark.parametrize("x", [3, "a b/c"])
    def test_param(x):
        double(x)

    def test_fixture(argtrace_session):
        assert argtrace.active()
        assert str(argtrace_session) == argtrace._core.session_path()
        double(10)
        with open(os.environ["FIXTURE_REPORT"], "a") as f:
            f.write(json.dumps(str(argtrace_session)) + "\\n")

    def test_untraced_outside_option():
        double(5)
""")


def _inner_pytest(tmp_path, *args):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    report = tmp_path / "fixture_report.jsonl"
    env_args = ["-c", "import os, sys, pytest; os.environ['FIXTURE_REPORT'] = %r; "
                "sys.exit(pytest.main(sys.argv[1:]))" % str(report)]
    res = run_python(env_args + ["-p", "argtrace.pytest_plugin", "-q", "-p", "no:cacheprovider",
                                 "test_inner.py"] + list(args), cwd=tmp_path)
    fixture_paths = [json.loads(ln) for ln in report.read_text().splitlines()] \
        if report.exists() else []
    return res, fixture_paths


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch):
    # an installed entry point would load the plugin a second time next to -p
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_argtrace_option_writes_one_log_per_test(tmp_path):
    res, fixture_paths = _inner_pytest(tmp_path, "--argtrace")
    assert res.returncode == 0, res.stdout + res.stderr
    logs = sorted(p.name for p in (tmp_path / ".argtrace").glob("*.atr"))
    assert logs == sorted([
        "test_inner.py__test_one.atr", "test_inner.py__test_param_3.atr",
        "test_inner.py__test_param_a_b_c.atr", "test_inner.py__test_fixture.atr",
        "test_inner.py__test_untraced_outside_option.atr"])
    one = argtrace.load(tmp_path / ".argtrace" / "test_inner.py__test_one.atr")
    assert [(c.args, c.result) for c in one.calls()] == [({"x": 1}, 2)]
    assert one.closed and one.process.argv == ["pytest", "test_inner.py::test_one"]
    param = argtrace.load(tmp_path / ".argtrace" / "test_inner.py__test_param_a_b_c.atr")
    assert [c.args for c in param.calls()] == [{"x": "a b/c"}]
    # under --argtrace the fixture hands out the per-test log
    assert fixture_paths == [str(tmp_path / ".argtrace" / "test_inner.py__test_fixture.atr")]
    assert [c.args for c in argtrace.load(fixture_paths[0]).calls()] == [{"x": 10}]


def test_fixture_without_option(tmp_path):
    res, fixture_paths = _inner_pytest(tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert not (tmp_path / ".argtrace").exists()
    path = only(fixture_paths)
    assert path.endswith("test_inner.py__test_fixture.atr")
    log = argtrace.load(path)
    assert log.closed and [c.result for c in log.calls()] == [20]


def test_argtrace_dir_option(tmp_path):
    res, _ = _inner_pytest(tmp_path, "--argtrace", "--argtrace-dir", "logs", "-k", "one")
    assert res.returncode == 0, res.stdout + res.stderr
    assert [p.name for p in (tmp_path / "logs").glob("*.atr")] == ["test_inner.py__test_one.atr"]


@pytest.mark.parametrize("nodeid, name", [
    ("tests/test_a.py::test_x", "tests_test_a.py__test_x"),
    ("t.py::C::test[1-a b]", "t.py__C__test_1-a_b"),
    ("t.py::test[../../etc]", "t.py__test_.._.._etc"),
    ("t.py::test[é]", "t.py__test"),
])
def test_sanitise_test_id(nodeid, name):
    assert sanitise_test_id(nodeid) == name


def test_sanitise_long_ids_stay_unique():
    a = sanitise_test_id("t.py::test[" + "x" * 300 + "a]")
    b = sanitise_test_id("t.py::test[" + "x" * 300 + "b]")
    assert a != b and len(a) <= 170 and "/" not in a


def test_entry_point_registered():
    try:
        from importlib.metadata import entry_points
        eps = entry_points()
        group = eps.select(group="pytest11") if hasattr(eps, "select") \
            else eps.get("pytest11", [])
    except Exception:
        pytest.skip("importlib.metadata unavailable")
    found = [ep for ep in group if ep.name == "argtrace"]
    if not found:
        pytest.skip("argtrace is not pip-installed here")
    assert found[0].value == "argtrace.pytest_plugin"


def test_run_under_argtrace_reports_what_pytest_reports_untraced(tmp_path):
    # `argtrace run -m pytest` imports argtrace before pytest starts; pytest then marks the
    # package of every pytest11 entry point (argtrace's plugin, when pip-installed) for
    # assertion rewriting and warned "Module already imported so cannot be rewritten:
    # argtrace" in every traced run. The installed entry point is made here by a dist-info
    # directory on the path, as pip writes it.
    import subprocess
    from atr_helpers import subprocess_env
    dist = tmp_path / "site" / "argtrace_probe-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: argtrace-probe\n"
                                   "Version: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[pytest11]\nargtrace = argtrace.pytest_plugin\n")
    (dist / "RECORD").write_text("argtrace/__init__.py,,\nargtrace/pytest_plugin.py,,\n")
    (tmp_path / "test_inner.py").write_text(textwrap.dedent("""
        import warnings

        def work(x):
            return x * 2

        def test_a():
            assert work(2) == 4

        def test_warns():
            warnings.warn("the program's own warning", UserWarning)
        """))
    env = subprocess_env()
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)  # (the fixture above): entry points load
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "site"), env["PYTHONPATH"]])
    pytest_args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"]

    def summary(extra):
        res = subprocess.run([sys.executable] + extra + pytest_args, cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)
        last = res.stdout.strip().splitlines()[-1]
        return res.returncode, last.rsplit(" in ", 1)[0], res.stdout

    plain = summary([])
    traced = summary(["-m", "argtrace", "run", "-q", "-o", str(tmp_path / "t.atr"),
                      "--trace", "test_inner"])
    assert plain[0] == 0 and plain[1].startswith("2 passed, 1 warning"), plain[2]
    assert traced[:2] == plain[:2], traced[2]
    assert "PytestAssertRewriteWarning" not in traced[2]
    calls = argtrace.load(str(tmp_path / "t.atr")).calls()
    assert any(c.function == "test_inner.work" for c in calls)
