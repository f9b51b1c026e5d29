"""The viewer's commands through the Python `argtrace` command: in-process
(argtrace.cli.main → _core.viewer_main → atr_viewer_main) and as `python -m argtrace`.
The in-process runs must behave like the standalone argtrace-view, leave no state behind
between calls and never raise or exit."""

import json
import subprocess
import sys

import pytest

from test_viewer_common import logs, plain_env, viewer_path  # noqa: F401 (fixtures)

argtrace = pytest.importorskip("argtrace")
cli = pytest.importorskip("argtrace.cli")
try:
    from argtrace import _core
except ImportError:  # pragma: no cover - depends on the build
    _core = None

pytestmark = pytest.mark.skipif(_core is None or not hasattr(_core, "viewer_main"),
                                reason="argtrace._core built without the viewer")


def run_inprocess(capfd, *argv):
    capfd.readouterr()
    code = cli.main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


@pytest.fixture
def traced_log(tmp_path):
    """A log written by the Python binding: parse() slow only for mode='strict'."""
    path = str(tmp_path / "py.atr")

    @argtrace.trace
    def parse(n, mode="fast"):
        return n * (3 if mode == "strict" else 1)

    argtrace.start(path)
    try:
        for i in range(40):
            parse(i, mode="strict" if i % 10 == 0 else "fast")
    finally:
        argtrace.stop()
    return path


def test_summary_json_in_process(capfd, traced_log):
    code, out, err = run_inprocess(capfd, "summary", traced_log, "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 1 and rows[0]["calls"] == 40
    assert rows[0]["function"].endswith("parse")
    assert set(rows[0]) == {"function", "calls", "inclusive_ns", "nested_calls", "total_ns",
                            "active_ns", "self_ns", "p50_ns", "p95_ns", "p99_ns", "max_ns"}


def test_commands_in_process(capfd, traced_log):
    code, out, _ = run_inprocess(capfd, "calls", traced_log, "parse", "mode=strict", "--json")
    assert code == 0
    assert [c["args"]["n"] for c in json.loads(out)] == [0, 10, 20, 30]
    code, out, _ = run_inprocess(capfd, "slow", traced_log, "parse", "--json")
    assert code == 0
    assert {a["name"] for a in json.loads(out)["arguments"]} == {"n", "mode"}
    code, out, _ = run_inprocess(capfd, "tree", traced_log, "parse", "n=30", "--json")
    assert code == 0 and json.loads(out)["args"] == {"n": 30, "mode": "strict"}
    code, out, _ = run_inprocess(capfd, "export", traced_log, "--format", "jsonl")
    assert code == 0 and len(out.splitlines()) == 40
    code, out, _ = run_inprocess(capfd, "cat", traced_log)
    assert code == 0 and out.count(" START ") == 40


def test_errors_return_statuses_in_process(capfd, traced_log, tmp_path):
    bad = tmp_path / "bad.atr"
    bad.write_bytes(b"not a log at all")
    code, out, err = run_inprocess(capfd, "summary", str(bad))
    assert code == 1 and out == "" and err.startswith("argtrace summary: ")
    assert err.count("\n") == 1
    code, _, err = run_inprocess(capfd, "summary", "--nope", traced_log)
    assert code == 2 and "unknown option '--nope'" in err
    code, _, err = run_inprocess(capfd, "calls", traced_log, "nosuch")
    assert code == 1 and "'nosuch' not found" in err
    code, _, err = run_inprocess(capfd, "calls", traced_log, "parse", "n>")
    assert code == 2 and "bad filter" in err
    empty = tmp_path / "empty"  # a directory without a log is no log without calls
    empty.mkdir()
    for cmd, *rest in (("summary",), ("tree", "parse"), ("slow", "parse")):
        code, out, err = run_inprocess(capfd, cmd, str(empty), *rest)
        assert code == 1 and out == "" and err.count("\n") == 1
        assert err.startswith("argtrace %s: %s: no log in this directory" % (cmd, empty))
    # and the next call is unaffected
    code, out, _ = run_inprocess(capfd, "summary", traced_log, "--json")
    assert code == 0 and json.loads(out)[0]["calls"] == 40


def test_repeated_calls_give_the_same_output(capfd, traced_log):
    outs = [run_inprocess(capfd, "slow", traced_log, "parse")[1] for _ in range(5)]
    assert outs[0] and all(o == outs[0] for o in outs)


def test_in_process_matches_standalone(capfd, logs):
    """Same library, same output (the program name aside). JSON outputs only: their shapes
    are the stable contract, while an installed package may lag behind text changes."""
    viewer = viewer_path()
    if not viewer:
        pytest.skip("argtrace-view not built")
    for args in (["summary", "basic.atr", "--json"], ["tree", "basic.atr", "handle", "--json"],
                 ["calls", "hostile.atr", "show", "--json"], ["summary", "corrupt.atr"],
                 ["export", "basic.atr", "-f", "jsonl"]):
        full = [str(logs / a) if a.endswith(".atr") else a for a in args]
        code, out, err = run_inprocess(capfd, *full)
        proc = subprocess.run([viewer] + full, capture_output=True, text=True, timeout=60,
                              env=plain_env())
        assert code == proc.returncode
        assert out == proc.stdout.replace("argtrace-view", "argtrace")
        assert err == proc.stderr.replace("argtrace-view", "argtrace")


def test_python_m_argtrace(traced_log):
    proc = subprocess.run([sys.executable, "-m", "argtrace", "summary", traced_log],
                          capture_output=True, text=True, timeout=60, env=plain_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split()[:3] == ["function", "calls", "total"]
    proc = subprocess.run([sys.executable, "-m", "argtrace", "view", traced_log],
                          capture_output=True, text=True, timeout=60, env=plain_env(),
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 1 and "needs a terminal" in proc.stderr


def test_a_reader_that_stops_early_is_not_an_error(tmp_path):
    """`argtrace cat LOG | head -1`: the closed pipe is not reported on stderr."""
    import subprocess
    import sys

    import argtrace

    path = tmp_path / "p.atr"

    @argtrace.trace
    def f(x):
        return x

    with argtrace.session(path):
        for i in range(5000):
            f(i)
    for cmd in ("cat", "calls"):
        args = [sys.executable, "-m", "argtrace", cmd, str(path)] + (["f"] if cmd == "calls" else [])
        p = subprocess.run(" ".join(args) + " | head -1", shell=True, capture_output=True,
                           text=True, timeout=120)
        assert p.stdout.count("\n") == 1 and p.stderr == "", (cmd, p.stderr)


def test_cat_json_names_every_record_kind(tmp_path, capfd):
    """`cat --json` names each record's kind; a session's CALIBRATION record (format 1.1) was
    printed as kind "?"."""
    @argtrace.trace
    def gen(n):
        yield from range(n)

    path = str(tmp_path / "k.atr")
    with argtrace.session(path):
        assert list(gen(3)) == [0, 1, 2]
    code, out, err = run_inprocess(capfd, "cat", path, "--json")
    assert code == 0, err
    kinds = [json.loads(line)["kind"] for line in out.splitlines()]
    assert "?" not in kinds
    assert {"process", "function", "start", "end", "suspend", "resume", "calibration",
            "end_of_log"} <= set(kinds)
