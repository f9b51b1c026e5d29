"""Flame graphs for other tools (issue 13 item 2): `export --format speedscope` (an evented
profile per thread of each process, frames opening and closing at the calls' running
intervals) and `export --format folded` (collapsed stacks "a;b;c VALUE", VALUE the self time
in ns by active time, or the number of calls with --value count). Both take FUNC and filters
as the other formats do: the matching calls with everything they called, under their callers.

The speedscope output is checked against the file format's JSON schema (its evented part,
written out below and checked by a small validator here; by jsonschema too where it is
installed), for properly nested events, and for totals: each function's open time equals
the active time of its calls. The folded output is compared with stacks computed from
`argtrace.load`.
"""

import asyncio
import collections
import json
import re
import threading

import pytest

import argtrace
from test_viewer_common import logs, run_view, viewer  # noqa: F401 (fixtures)

MOD = __name__

# The speedscope file format (https://www.speedscope.app/file-format-schema.json, draft-06),
# the parts an evented profile uses.
_NUM = {"type": "number"}
SCHEMA = {
    "definitions": {
        "Frame": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "file": {"type": "string"},
                           "line": _NUM, "col": _NUM},
            "required": ["name"],
        },
        "OpenFrameEvent": {
            "type": "object",
            "properties": {"type": {"type": "string", "enum": ["O"]}, "frame": _NUM,
                           "at": _NUM},
            "required": ["at", "frame", "type"],
        },
        "CloseFrameEvent": {
            "type": "object",
            "properties": {"type": {"type": "string", "enum": ["C"]}, "frame": _NUM,
                           "at": _NUM},
            "required": ["at", "frame", "type"],
        },
        "EventedProfile": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["evented"]},
                "name": {"type": "string"},
                "unit": {"type": "string", "enum": ["bytes", "microseconds", "milliseconds",
                                                    "nanoseconds", "none", "seconds"]},
                "startValue": _NUM,
                "endValue": _NUM,
                "events": {"type": "array", "items": {"anyOf": [
                    {"$ref": "#/definitions/OpenFrameEvent"},
                    {"$ref": "#/definitions/CloseFrameEvent"}]}},
            },
            "required": ["endValue", "events", "name", "startValue", "type", "unit"],
        },
    },
    "type": "object",
    "properties": {
        "$schema": {"type": "string",
                    "enum": ["https://www.speedscope.app/file-format-schema.json"]},
        "shared": {"type": "object",
                   "properties": {"frames": {"type": "array",
                                             "items": {"$ref": "#/definitions/Frame"}}},
                   "required": ["frames"]},
        "profiles": {"type": "array", "items": {"$ref": "#/definitions/EventedProfile"}},
        "name": {"type": "string"},
        "activeProfileIndex": _NUM,
        "exporter": {"type": "string"},
    },
    "required": ["$schema", "profiles", "shared"],
}

_TYPES = {"object": dict, "array": list, "string": str}


def schema_errors(doc, schema=SCHEMA, path="$"):
    """The places where doc breaks `schema` (the keywords SCHEMA uses)."""
    if "$ref" in schema:
        schema = SCHEMA["definitions"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        if all(schema_errors(doc, s, path) for s in schema["anyOf"]):
            return [path + ": matches none of anyOf"]
        return []
    t = schema.get("type")
    if t == "number":
        ok = isinstance(doc, (int, float)) and not isinstance(doc, bool)
    else:
        ok = t is None or isinstance(doc, _TYPES[t])
    if not ok:
        return ["%s: not %s" % (path, t)]
    errors = []
    if "enum" in schema and doc not in schema["enum"]:
        errors.append("%s: %r not in %r" % (path, doc, schema["enum"]))
    for key in schema.get("required", []):
        if key not in doc:
            errors.append("%s: %s missing" % (path, key))
    for key, sub in schema.get("properties", {}).items():
        if isinstance(doc, dict) and key in doc:
            errors += schema_errors(doc[key], sub, path + "." + key)
    if "items" in schema:
        for i, item in enumerate(doc):
            errors += schema_errors(item, schema["items"], "%s[%d]" % (path, i))
    return errors


def test_the_validator_catches_what_it_should():
    good = {"$schema": "https://www.speedscope.app/file-format-schema.json",
            "shared": {"frames": [{"name": "f"}]},
            "profiles": [{"type": "evented", "name": "t", "unit": "nanoseconds",
                          "startValue": 0, "endValue": 1,
                          "events": [{"type": "O", "frame": 0, "at": 0},
                                     {"type": "C", "frame": 0, "at": 1}]}]}
    assert schema_errors(good) == []
    bad = json.loads(json.dumps(good))
    bad["profiles"][0]["unit"] = "ns"
    bad["profiles"][0]["events"][1]["type"] = "X"
    del bad["shared"]["frames"][0]["name"]
    assert len(schema_errors(bad)) == 3


def check_speedscope(doc):
    """Schema, then per profile: times in order within [startValue, endValue], every C
    closing the frame on top. Returns {function name: total open time}."""
    assert schema_errors(doc) == []
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        jsonschema.validate(doc, SCHEMA)
    assert doc["exporter"] == "argtrace " + argtrace.__version__
    frames = doc["shared"]["frames"]
    totals = collections.Counter()
    names = [p["name"] for p in doc["profiles"]]
    assert len(names) == len(set(names))
    for p in doc["profiles"]:
        assert p["unit"] == "nanoseconds" and p["events"]
        assert p["events"][0]["at"] == p["startValue"]
        stack, last = [], p["startValue"]
        for e in p["events"]:
            assert isinstance(e["at"], int) and isinstance(e["frame"], int)
            assert 0 <= e["frame"] < len(frames)
            assert last <= e["at"] <= p["endValue"]
            last = e["at"]
            if e["type"] == "O":
                stack.append(e)
            else:
                assert stack and stack[-1]["frame"] == e["frame"], e
                totals[frames[e["frame"]]["name"]] += e["at"] - stack.pop()["at"]
        assert stack == []
        assert last == p["endValue"]
    return totals


def export(viewer, cwd, logs_, fmt, *args):
    p = run_view(viewer, ["export", *logs_, "-f", fmt, *args], cwd)
    assert p.returncode == 0, p.stderr
    return p.stdout


def folded(text):
    out = {}
    for line in text.splitlines():
        m = re.fullmatch(r"(\S+) (\d+)", line)
        assert m, line
        assert m.group(1) not in out, "stack written twice: " + line
        out[m.group(1)] = int(m.group(2))
    return out


def frame_name(name):
    """A plain name as a folded frame (hostile names, escaped as the viewer escapes log
    text, are in the goldens: export_folded_hostile)."""
    assert all(" " < c < "\x7f" for c in name), name
    return name.replace(";", ":")


def selected(log, func=None, *filters):
    """The calls in the subtrees of the matches (every call without a selection), and the
    ancestors of the matches."""
    every = log.calls()
    if func is None and not filters:
        return every, []
    match = {c.id for c in log.calls(func, *filters)}
    inside, above = [], {}
    for c in every:
        p = c
        while p is not None and p.id not in match:
            p = p.parent()
        if p is not None:
            inside.append(c)
    for c in inside:
        p = c.parent()
        while p is not None and p.id not in match and p.id not in above:
            above[p.id] = p
            p = p.parent()
    return inside, [p for p in above.values() if p.id not in match]


def expected_folded(log, value, func=None, *filters):
    out = collections.Counter()
    for c in selected(log, func, *filters)[0]:
        names, p = [], c
        while p is not None:
            names.append(frame_name(p.function))
            p = p.parent()
        out[";".join(reversed(names))] += c.self_ns if value == "self" else 1
    return {k: v for k, v in out.items() if v}


def expected_active(log, func=None, *filters):
    inside, above = selected(log, func, *filters)
    out = collections.Counter()
    for c in inside:
        out[c.function] += c.active_ns
    return out, {c.function for c in above}


# --- golden logs --------------------------------------------------------------------------

SELECTIONS = [[], ["parse", "mode=strict"], ["g", "i=3"], ["handle", "req>=6"],
              ["import_batch"]]


@pytest.mark.parametrize("sel", SELECTIONS, ids=[" ".join(s) or "all" for s in SELECTIONS])
@pytest.mark.parametrize("value", ["self", "count"])
def test_folded_matches_the_loaded_tree(viewer, logs, sel, value):
    log = argtrace.load(str(logs / "basic.atr"))
    args = sel + (["--value", value] if value == "count" else [])
    got = folded(export(viewer, logs, ["basic.atr"], "folded", *args))
    assert got == expected_folded(log, value, *sel) and got


def test_folded_self_is_active_time(viewer, logs):
    """The generator's stack gets the time it ran (210 ns), not its 15 µs span."""
    log = argtrace.load(str(logs / "generator.atr"))
    got = folded(export(viewer, logs, ["generator.atr"], "folded"))
    assert got == expected_folded(log, "self")
    assert got["app.consume;app.gen"] == 210
    assert sum(got.values()) == sum(c.active_ns for c in log.roots()) + sum(
        c.active_ns - c.charged_ns for c in log.calls() if c.parent() is not None)


def test_folded_names_are_single_frames(viewer, logs):
    text = export(viewer, logs, ["hostile.atr"], "folded")
    for line in text.splitlines():
        assert re.fullmatch(r"[!-~]+ \d+", line), line  # printable ASCII, one space
    assert "evil\\x1b]0:pwned\\x07.show 6000" in text.splitlines()


@pytest.mark.parametrize("sel", SELECTIONS, ids=[" ".join(s) or "all" for s in SELECTIONS])
def test_speedscope_nests_and_adds_up(viewer, logs, sel):
    log = argtrace.load(str(logs / "basic.atr"))
    doc = json.loads(export(viewer, logs, ["basic.atr"], "speedscope", *sel))
    totals = check_speedscope(doc)
    want, ancestors = expected_active(log, *sel)
    assert {k: v for k, v in totals.items() if k not in ancestors} == want
    assert set(totals) == set(want) | ancestors


def test_speedscope_generator_opens_per_running_interval(viewer, logs):
    log = argtrace.load(str(logs / "generator.atr"))
    doc = json.loads(export(viewer, logs, ["generator.atr"], "speedscope"))
    totals = check_speedscope(doc)
    assert totals == expected_active(log)[0]
    assert totals["app.gen"] == 210
    gen = [f["name"] for f in doc["shared"]["frames"]].index("app.gen")
    opens = [e for p in doc["profiles"] for e in p["events"]
             if e["type"] == "O" and e["frame"] == gen]
    assert len(opens) == 7  # the first call, then 6 resumptions


def test_speedscope_profile_per_process_and_thread(viewer, logs):
    doc = json.loads(export(viewer, logs, ["basic.atr", "second.atr"], "speedscope"))
    check_speedscope(doc)
    names = [p["name"] for p in doc["profiles"]]
    alone = json.loads(export(viewer, logs, ["basic.atr"], "speedscope"))["profiles"]
    assert [n.split(": ", 1)[0] for n in names] == ["basic.atr"] * len(alone) + ["second.atr"]
    assert names[:len(alone)] == ["basic.atr: " + p["name"] for p in alone]
    assert all(re.fullmatch(r"\S+: app\.py \(pid \d+\): \S+", n) for n in names)
    assert doc["name"] == "basic.atr, second.atr"


# --- a Python program: threads, generators outliving their maker, coroutines, twins -------

@argtrace.trace
def leaf(x):
    return x + 1


@argtrace.trace
def numbers(n):
    for i in range(n):
        yield leaf(i)


@argtrace.trace
def make(n):
    g = numbers(n)
    next(g)  # started here, consumed by drain() after make() returned
    return g


@argtrace.trace
def drain(g):
    return sum(leaf(x) for x in g)


@argtrace.trace
async def step(k):
    for _ in range(k):
        await asyncio.sleep(0)
        leaf(k)
    return k


@argtrace.trace
async def steps():
    return sum(await asyncio.gather(step(2), step(3)))


@argtrace.trace
def twin():
    return 1


def other_twin():
    """A function of the same module and name from another file (the index tells functions
    apart by module, qualname and file)."""
    ns = {"__name__": MOD, "argtrace": argtrace}
    exec(compile("@argtrace.trace\ndef twin():\n    return 2\n", "other_twin.py", "exec"), ns)
    return ns["twin"]


@argtrace.trace
def work(n):
    t = threading.Thread(target=lambda: drain(make(n)), name="worker")
    t.start()
    total = drain(make(n)) + asyncio.run(steps()) + twin() + other_twin()()
    t.join()
    return total


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    path = tmp_path_factory.mktemp("flame") / "prog.atr"
    argtrace.start(path)
    try:
        work(4)
    finally:
        argtrace.stop()
    return path


def test_program_speedscope(viewer, program):
    log = argtrace.load(str(program))
    doc = json.loads(export(viewer, program.parent, [program.name], "speedscope"))
    totals = check_speedscope(doc)
    assert totals == expected_active(log)[0]
    names = [p["name"] for p in doc["profiles"]]
    assert len(names) == 2 and any(n.endswith("): worker") for n in names)
    frames = doc["shared"]["frames"]
    twins = [f for f in frames if f["name"] == MOD + ".twin"]
    assert sorted(f["file"].rsplit("/", 1)[-1] for f in twins) == [
        "other_twin.py", "test_export_flame.py"]


def test_program_speedscope_compensated_still_nests(viewer, program):
    """Compensated START/END times against recorded SUSPEND/RESUME times: still nested."""
    doc = json.loads(export(viewer, program.parent, [program.name], "speedscope",
                            "--compensate"))
    totals = check_speedscope(doc)
    assert set(totals) == set(expected_active(argtrace.load(str(program)))[0])


def chrome_totals(doc):
    """The chrome export's "X" events: per (pid, tid) properly nested (each inside the last
    one still open, or after it); returns {function: total duration in ns}."""
    totals = collections.Counter()
    open_ = collections.defaultdict(list)
    for e in [e for e in doc["traceEvents"] if e["ph"] == "X"]:
        start = round(float(e["ts"]) * 1000)
        end = start + round(float(e["dur"]) * 1000)
        stack = open_[(e["pid"], e["tid"])]
        while stack and stack[-1] <= start:
            stack.pop()
        assert not stack or end <= stack[-1], ("not nested", e)
        stack.append(end)
        totals[e["name"]] += end - start
    return totals


def test_chrome_slices_are_running_intervals(viewer, logs, program):
    """The chrome export writes a generator's or coroutine's steps (as speedscope opens its
    frames), so that a thread's slices nest and add up to active time."""
    doc = json.loads(export(viewer, logs, ["generator.atr"], "chrome"))
    assert chrome_totals(doc) == expected_active(argtrace.load(str(logs / "generator.atr")))[0]
    gen = [e for e in doc["traceEvents"] if e["ph"] == "X" and e["name"] == "app.gen"]
    assert len(gen) == 7 and len({e["args"]["id"] for e in gen}) == 1
    doc = json.loads(export(viewer, program.parent, [program.name], "chrome"))
    assert chrome_totals(doc) == expected_active(argtrace.load(str(program)))[0]


@pytest.mark.parametrize("sel", [[], ["drain"], ["step", "k=3"]])
def test_program_folded(viewer, program, sel):
    log = argtrace.load(str(program))
    got = folded(export(viewer, program.parent, [program.name], "folded", *sel))
    twin = MOD + ".twin"
    lines = {k: v for k, v in got.items() if "twin@" not in k}
    want = {k: v for k, v in expected_folded(log, "self", *sel).items()
            if not k.endswith(twin)}
    assert lines == want and lines
    twins = sorted(k.rsplit(";", 1)[1] for k in got if "twin@" in k)
    if not sel:
        assert len(twins) == 2 and twin + "@other_twin.py:1" in twins
        assert any(re.fullmatch(re.escape(twin) + r"@\S+/test_export_flame\.py:\d+", t)
                   for t in twins)


def test_value_and_format_errors(viewer, logs):
    p = run_view(viewer, ["export", "basic.atr", "-f", "chrome", "--value", "count"], logs)
    assert p.returncode == 2 and "--value is for --format folded" in p.stderr
    p = run_view(viewer, ["export", "basic.atr", "-f", "folded", "--value", "total"], logs)
    assert p.returncode == 2 and "--value takes self or count, not 'total'" in p.stderr
    p = run_view(viewer, ["export", "--help"], logs)
    assert "speedscope" in p.stdout and "self time in ns" in p.stdout
