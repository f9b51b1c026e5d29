"""`argtrace export LOG --format F [FUNC] [FILTER...] [--min-duration T] [-o OUT]` writes only
the selected calls (issue 12 item 6): jsonl the matching calls; chrome and eliot the matching
calls and their ancestors (so the trees keep their shape), with the messages inside the
calls written. `-o -` is stdout. Compared with `calls --json`, which applies the same
selection."""

import json

import pytest

from test_viewer_common import logs, run_view, viewer  # noqa: F401 (fixtures)


def calls_json(viewer, logs, *sel):
    p = run_view(viewer, ["calls", "basic.atr", *sel, "--json"], logs)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def export(viewer, logs, fmt, *sel):
    p = run_view(viewer, ["export", "basic.atr", "-f", fmt, *sel], logs)
    assert p.returncode == 0, p.stderr
    return p.stdout


def ancestors(viewer, logs, ids):
    """The ids of the calls containing any of `ids` (from `calls --json` of every call)."""
    every = {c["id"]: c for c in calls_json(viewer, logs)}
    out = set()
    for i in ids:
        parent = every[i].get("parent_id")
        while parent is not None and parent not in out:
            out.add(parent)
            parent = every[parent].get("parent_id")
    return out


SELECTIONS = [
    ["parse", "mode=strict"],
    ["g", "i=3"],
    ["--min-duration", "1ms"],
    ["handle", "req>=6"],
    ["import_batch"],
]


@pytest.mark.parametrize("sel", SELECTIONS, ids=[" ".join(s) for s in SELECTIONS])
def test_jsonl_writes_exactly_the_matching_calls(viewer, logs, sel):
    calls_sel = ["duration>=" + sel[1]] if sel[0] == "--min-duration" else sel
    want = calls_json(viewer, logs, *calls_sel)
    got = [json.loads(line) for line in export(viewer, logs, "jsonl", *sel).splitlines()]
    assert got == want and got


@pytest.mark.parametrize("sel", SELECTIONS, ids=[" ".join(s) for s in SELECTIONS])
def test_chrome_writes_the_matches_and_their_ancestors(viewer, logs, sel):
    calls_sel = ["duration>=" + sel[1]] if sel[0] == "--min-duration" else sel
    match = {c["id"] for c in calls_json(viewer, logs, *calls_sel)}
    doc = json.loads(export(viewer, logs, "chrome", *sel))
    events = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    got = [e["args"]["id"] for e in events]
    assert len(got) == len(set(got))
    assert set(got) == match | ancestors(viewer, logs, match)
    everything = json.loads(export(viewer, logs, "chrome"))
    assert len(events) < len([e for e in everything["traceEvents"] if e["ph"] == "X"])


def test_chrome_messages_follow_their_calls(viewer, logs):
    doc = json.loads(export(viewer, logs, "chrome", "import_batch"))
    assert [e["name"] for e in doc["traceEvents"] if e["ph"] == "i"] == ["rows_read"]
    doc = json.loads(export(viewer, logs, "chrome", "parse"))
    assert [e for e in doc["traceEvents"] if e["ph"] == "i"] == []


def test_eliot_tasks_hold_only_matches_and_ancestors(viewer, logs):
    lines = [json.loads(x) for x in export(viewer, logs, "eliot", "parse", "n>=10000")
             .splitlines()]
    started = [m for m in lines if m.get("action_status") == "started"]
    assert [m["action_type"] for m in started] == ["app.handle", "app.parse"] * 2
    assert {m["n"] for m in started if m["action_type"] == "app.parse"} == {10000, 20000}
    assert len({m["task_uuid"] for m in lines}) == 2
    # the nested action keeps Eliot's levels: [2, 1] inside a task started at [1]
    assert [m["task_level"] for m in lines[:4]] == [[1], [2, 1], [2, 2], [3]]


def test_output_dash_is_stdout_and_a_file_is_a_file(viewer, logs, tmp_path):
    to_dash = run_view(viewer, ["export", "basic.atr", "-f", "jsonl", "parse", "-o", "-"], logs)
    default = run_view(viewer, ["export", "basic.atr", "-f", "jsonl", "parse"], logs)
    assert to_dash.returncode == 0 and to_dash.stdout == default.stdout != ""
    out = tmp_path / "parse.jsonl"
    to_file = run_view(viewer, ["export", "basic.atr", "-f", "jsonl", "parse", "-o", str(out)],
                       logs)
    assert to_file.returncode == 0 and to_file.stdout == ""
    assert out.read_text() == default.stdout


def test_selection_errors(viewer, logs):
    for args, status, msg in [
        (["--min-duration", "10"], 2, "--min-duration 10: a duration needs a unit"),
        (["--min-duration", "soon"], 2, "--min-duration soon: bad time 'soon'"),
        (["parse", "size=3"], 1, "no argument 'size' in app.parse (arguments: n, mode)"),
        (["nosuch"], 1, "nosuch"),
    ]:
        p = run_view(viewer, ["export", "basic.atr", "-f", "chrome", *args], logs)
        assert (p.returncode, p.stdout) == (status, ""), p.stderr
        assert msg in p.stderr
