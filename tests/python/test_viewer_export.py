"""Exports read by other tools: the Chrome trace-event format (structure Perfetto and
chrome://tracing accept), Eliot JSON lines rendered by eliot-tree (from PyPI, in the test
tools), JSON lines of calls; and the viewer's robustness on damaged and hostile logs."""

import json
import os
import shutil
import subprocess

import pytest

from test_viewer_common import logs, run_view, viewer  # noqa: F401 (fixtures)


def export(viewer, logs, *args):
    proc = run_view(viewer, ["export"] + list(args), logs)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_chrome_trace_structure(viewer, logs):
    trace = json.loads(export(viewer, logs, "basic.atr", "second.atr", "--format", "chrome"))
    events = trace["traceEvents"]
    meta = [e for e in events if e["ph"] == "M"]
    assert {e["name"] for e in meta} == {"process_name", "thread_name"}
    assert sum(e["name"] == "process_name" for e in meta) == 2
    assert {e["args"]["name"] for e in meta if e["name"] == "thread_name"} >= {"MainThread",
                                                                               "worker"}
    calls = [e for e in events if e["ph"] == "X"]
    assert len(calls) == 341 + 2 * 42 + 1  # basic.atr + second.atr (2 requests + action)
    for e in calls:
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0
        assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
        assert isinstance(e["name"], str) and isinstance(e["args"], dict)
    slow = max(calls, key=lambda e: e["dur"])
    assert slow["name"] == "app.handle" and slow["args"]["args"] == {"req": 7}
    assert abs(slow["dur"] - 10007.89) < 1e-6  # µs
    parse = [e for e in calls if e["name"] == "app.parse" and e["args"]["args"]["n"] == 20000]
    assert parse[0]["args"]["result"] == 40000
    fail = [e for e in calls if e["name"] == "app.fail"][0]
    assert fail["args"]["exception"] == {"type": "ValueError", "message": "bad value: -0.5"}
    msgs = [e for e in events if e["ph"] == "i"]
    assert [m["name"] for m in msgs] == ["rows_read", "rows_read"]
    assert msgs[0]["args"] == {"rows": 1200} and msgs[0]["s"] == "t"
    # children nest inside their parents on one thread: a parent's interval contains them
    by_id = {(e["pid"], e["args"]["id"]): e for e in calls}
    assert by_id


def test_chrome_to_file_and_unwritable(viewer, logs, tmp_path):
    out = tmp_path / "t.json"
    proc = run_view(viewer, ["export", "basic.atr", "-f", "chrome", "-o", str(out)], logs)
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads(out.read_text())["traceEvents"]
    proc = run_view(viewer, ["export", "basic.atr", "-f", "chrome", "-o",
                             str(tmp_path / "no" / "such" / "dir.json")], logs)
    assert proc.returncode == 1
    assert "No such file or directory" in proc.stderr and proc.stderr.count("\n") == 1


def test_eliot_levels(viewer, logs):
    lines = [json.loads(l) for l in export(viewer, logs, "basic.atr", "-f", "eliot").splitlines()]
    tasks = {}
    for m in lines:
        tasks.setdefault(m["task_uuid"], []).append(m)
    assert len(tasks) == 8 + 1 + 3  # requests, the action, the worker's calls
    fail_task = [t for t in tasks.values() if any(m.get("action_type") == "app.fail"
                                                   for m in t)][0]
    levels = [(tuple(m["task_level"]), m.get("action_type"), m.get("action_status"))
              for m in fail_task]
    assert levels[0] == ((1,), "app.handle", "started")
    assert levels[1] == ((2, 1), "app.parse", "started")
    assert levels[2] == ((2, 2), "app.parse", "succeeded")
    assert levels[-3] == ((43, 1), "app.fail", "started")
    assert levels[-2] == ((43, 2), "app.fail", "failed")
    assert levels[-1] == ((44,), "app.handle", "succeeded")
    failed = [m for m in fail_task if m.get("action_status") == "failed"][0]
    assert failed["exception"] == "ValueError" and failed["reason"] == "bad value: -0.5"
    action = [t for t in tasks.values() if t[0].get("action_type") == "import_batch"][0]
    assert [tuple(m["task_level"]) for m in action] == [(1,), (2,), (3,)]
    assert action[0]["batch"] == 7
    assert action[1]["message_type"] == "rows_read" and action[1]["rows"] == 1200
    assert all(isinstance(m["timestamp"], float) for m in lines)


@pytest.mark.skipif(shutil.which("eliot-tree") is None, reason="eliot-tree not installed")
@pytest.mark.parametrize("log", ["basic.atr", "hostile.atr", "unclosed.atr"])
def test_eliot_tree_renders(viewer, logs, tmp_path, log):
    path = tmp_path / "eliot.jsonl"
    proc = run_view(viewer, ["export", log, "-f", "eliot", "-o", str(path)], logs)
    assert proc.returncode == 0, proc.stderr
    out = subprocess.run(["eliot-tree", str(path)], capture_output=True, text=True,
                         timeout=120, env=dict(os.environ, LC_ALL="C.UTF-8"))
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    if log == "basic.atr":
        assert "app.handle/1 ⇒ started" in out.stdout
        assert "app.fail/43/2 ⇒ failed" in out.stdout
        assert "rows_read/2" in out.stdout
    elif log == "hostile.atr":
        assert "show/1 ⇒ started" in out.stdout
        assert "\x1b" not in out.stdout  # eliot-tree gets the escape as \u001b and shows it
    else:
        assert "app.parse/2/1 ⇒ started" in out.stdout


def test_jsonl_matches_calls_json(viewer, logs):
    rows = [json.loads(l) for l in export(viewer, logs, "basic.atr", "-f", "jsonl").splitlines()]
    assert len(rows) == 341
    assert [r["start_ns"] for r in rows] == sorted(r["start_ns"] for r in rows)
    proc = run_view(viewer, ["calls", "basic.atr", "parse", "--json"], logs)
    parse = json.loads(proc.stdout)
    assert [r for r in rows if r["function"] == "app.parse"] == parse
    assert set(rows[0]) == {"id", "function", "args", "result", "exception", "start_ns",
                            "duration_ns", "active_ns", "parent_id", "thread"}


def test_every_output_is_free_of_control_characters(viewer, logs):
    """Nothing a log contains reaches the terminal raw (text, JSON, exports, errors)."""
    commands = [["summary", "hostile.atr"], ["slow", "hostile.atr", "show"],
                ["tree", "hostile.atr", "show", "--rank", "2"], ["calls", "hostile.atr", "show"],
                ["cat", "hostile.atr"], ["cat", "hostile.atr", "--json"],
                ["calls", "hostile.atr", "show", "--json"], ["tree", "hostile.atr", "run"],
                ["export", "hostile.atr", "-f", "chrome"], ["export", "hostile.atr", "-f",
                                                            "eliot"],
                ["export", "hostile.atr", "-f", "jsonl"],
                ["export", "hostile.atr", "-f", "folded"],
                ["export", "hostile.atr", "-f", "speedscope"]]
    for args in commands:
        proc = run_view(viewer, args, logs)
        for stream in (proc.stdout, proc.stderr):
            bad = [c for c in stream if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F
                   or ord(c) in (0x202E, 0x2066, 0x2067, 0x2068, 0x2069)]
            assert bad == [], (args, bad)


def test_damaged_logs_fail_cleanly(viewer, logs, tmp_path):
    """Every truncation point and many corruptions give one line and exit 0/1, no crash."""
    data = (logs / "basic.atr").read_bytes()
    cases = [data[:n] for n in range(0, len(data), 7)]
    for i in range(16, len(data), 5):
        cases.append(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
    for k, blob in enumerate(cases):
        path = tmp_path / ("d%d.atr" % k)
        path.write_bytes(blob)
        for args in (["summary", path.name], ["cat", path.name]):
            proc = run_view(viewer, args, tmp_path, timeout=30)
            assert proc.returncode in (0, 1), (k, args, proc.returncode, proc.stderr)
            if proc.returncode == 1:
                assert proc.stderr.count("\n") == 1 and proc.stdout.count("\n") <= 1000
        path.unlink()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("args", [["summary", "basic.atr"], ["cat", "basic.atr"],
                                  ["export", "basic.atr", "-f", "chrome"],
                                  ["calls", "basic.atr", "parse", "--json"]])
def test_write_errors_are_reported(viewer, logs, args):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([viewer] + args, cwd=str(logs), stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 1
    assert "No space left on device" in proc.stderr and proc.stderr.count("\n") == 1
