"""The bundled example runs under `argtrace run`, and show_slow.py reads its log."""

import os

import pytest

import argtrace
from atr_helpers import run_python

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def test_slow_example_traced_and_shown(tmp_path):
    script = os.path.abspath(os.path.join(EXAMPLES, "slow_example.py"))
    res = run_python(["-m", "argtrace", "run", script, "150"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("imported ")
    assert res.stderr.splitlines()[-1] == "argtrace: next: argtrace summary slow_example.atr"
    log = argtrace.load(tmp_path / "slow_example.atr")
    parses = list(log.calls("parse"))
    assert len(parses) == 150
    assert {c.args["mode"] for c in parses} == {"fast", "lenient", "strict"}
    assert all(isinstance(c.args["rows"], argtrace.Summary) for c in parses)
    assert only_action(log).args == {"batches": 150}
    for c in parses:
        names = sorted(k.function.split(".")[-1] for k in c.children)
        want = ["build_records", "split_rows"] + ([] if c.args["mode"] == "fast"
                                                  else ["validate"])
        assert names == sorted(want)

    shown = run_python([os.path.join(EXAMPLES, "show_slow.py"), "slow_example.atr", "parse"],
                       cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "by mode:" in shown.stdout and "'strict'" in shown.stdout
    assert "by rows:" in shown.stdout and "slowest call:" in shown.stdout


def test_main_job_commands(tmp_path):
    """The README's commands: run the example, then ask the viewer which argument is slow."""
    from argtrace import _core
    if not hasattr(_core, "viewer_main"):
        pytest.skip("this build has no viewer")
    script = os.path.abspath(os.path.join(EXAMPLES, "slow_example.py"))
    res = run_python(["-m", "argtrace", "run", script, "300"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    slow = run_python(["-m", "argtrace", "slow", "slow_example.atr", "parse"], cwd=tmp_path)
    assert slow.returncode == 0, slow.stderr
    assert "__main__.parse" in slow.stdout
    assert "mode" in slow.stdout and "'strict'" in slow.stdout and "rows" in slow.stdout
    summary = run_python(["-m", "argtrace", "summary", "slow_example.atr"], cwd=tmp_path)
    assert summary.returncode == 0, summary.stderr
    for name in ("parse", "split_rows", "validate", "check_unique", "build_records"):
        assert "__main__." + name in summary.stdout


def only_action(log):
    actions = [c for c in log.calls() if c.is_action]
    assert len(actions) == 1
    return actions[0]
