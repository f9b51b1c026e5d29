"""numpy arrays as arguments: recorded with their shape and dtype (no summarizer needed), as
entries of a summary (docs/FORMAT.md section 4: "=shape", "=dtype"), so that `slow --by
a.shape` finds the size that makes a call slow; a registered summarizer replaces it. Entry
names are made once per key, and anew past the names kept (keys made of the data).

Durations come from an injected clock (filter tracing), so groups and scores are exact.
"""

import json
import subprocess
import sys

import argtrace
from argtrace import _core
from argtrace._values import entry_key
from atr_helpers import run_python, subprocess_env
from conftest import filter_traced, optional_module

np = optional_module("numpy")

MOD = __name__
NOW = [1_000_000]  # the injected clock (ns)


def clk_solve(a, b):
    NOW[0] += a.shape[0] * a.shape[0] * (20 if a.dtype == np.float64 else 10)


def record(path, fn):
    return filter_traced(path, [MOD + ":clk_solve"], fn, clock=lambda: NOW[0])


def solves():
    for i in range(24):
        n = (10, 100, 300)[i % 3]
        dt = np.float64 if i % 2 else np.float32
        clk_solve(np.zeros((n, n), dtype=dt), np.zeros(n, dtype=dt))


def test_an_array_is_recorded_by_shape_and_dtype(log_path):
    log = record(log_path, solves)
    calls = log.calls("clk_solve")
    assert len(calls) == 24
    a, b = calls[1].args["a"], calls[1].args["b"]
    assert a.type_name == "numpy.ndarray" and a.length is None
    assert [entry_key(it) for it in a.items] == ["shape", "dtype"]
    assert [it.type_name for it in a.items] == ["=shape", "=dtype"]  # the log's own names
    assert a.entry("shape") == argtrace.Summary("tuple", 2, (100, 100))
    assert a.entry("dtype") == "float64" and calls[0].args["a"].entry("dtype") == "float32"
    assert b.entry("shape") == argtrace.Summary("tuple", 1, (100,))
    assert repr(a) == "<numpy.ndarray [shape=<tuple len=2 [100, 100]>, dtype='float64']>"
    assert log.drops.get("capture_errors") == 0


def test_slow_finds_the_shape(log_path):
    log = record(log_path, solves)
    rep = log.slow("clk_solve", by=["a.shape", "a.dtype", "a.shape,a.dtype"])
    by = {k.name: k for k in rep.arguments}
    assert [(g.label, g.calls) for g in by["a.shape"].groups] == [
        ("tuple len 2: 300, 300", 8), ("tuple len 2: 100, 100", 8), ("tuple len 2: 10, 10", 8)]
    assert by["a.shape"].score > 0.85 and by["a.dtype"].score < 0.1
    assert by["a.shape,a.dtype"].score > 0.99
    # the argument's own groups are labelled by the entries' values; each entry alone
    a = next(k for k in log.slow("clk_solve").arguments if k.name == "a")
    assert a.groups[0].label == "numpy.ndarray: shape=tuple len 2: 300, 300, dtype=float64"
    assert [(e.name, len(e.groups)) for e in a.entries] == [("a.shape", 3), ("a.dtype", 2)]
    assert a.entries[0].score == by["a.shape"].score
    a = next(k for k in log.slow("clk_solve", where=["duration>=100us"]).arguments
             if k.name == "a")  # the entries of the calls analysed
    assert [len(e.groups) for e in a.entries] == [2, 2] and a.entries[0].groups[0].calls == 8
    assert not by["a.shape"].entries  # asked for keys: no entries of their own
    # a pair of arrays: each by its entries' values, or two labels would not fit a column
    pair = log.slow("clk_solve", by="a,b").arguments[0]
    assert pair.groups[0].label == "(300, 300) float64, (300,) float64"
    assert len({g.label for g in pair.groups}) == 6


def test_text_and_json_show_the_entries(log_path):
    record(log_path, solves)
    if not hasattr(_core, "viewer_main"):
        return
    env = subprocess_env(COLUMNS="80")
    out = subprocess.run([sys.executable, "-m", "argtrace", "slow", log_path, "clk_solve"],
                         env=env, capture_output=True, text=True, timeout=60).stdout
    assert ("  by one entry: a.shape 0.98 (3 groups), a.dtype 0.00 (2); see --by a.shape\n"
            in out), out
    # in 80 columns an array reads as its shape and dtype; in full where there is room
    assert "7.20 ms         █   <(300, 300) float64>\n" in out, out
    assert " 1.80 ms  (a=<(300, 300) float64>, b=<(300,) float64>) → None\n" in out, out
    out = subprocess.run([sys.executable, "-m", "argtrace", "calls", log_path, "--limit", "1"],
                         env=subprocess_env(COLUMNS="200"), capture_output=True, text=True,
                         timeout=60).stdout
    assert ("(a=<numpy.ndarray: shape=<tuple len=2: 10, 10>, dtype='float32'>, "
            "b=<numpy.ndarray: shape=<tuple len=1: 10>, dtype='float32'>) → None") in out, out
    js = json.loads(subprocess.run(
        [sys.executable, "-m", "argtrace", "slow", log_path, "clk_solve", "--json"], env=env,
        capture_output=True, text=True, timeout=60).stdout)
    a = next(k for k in js["arguments"] if k["name"] == "a")
    assert a["groups"][0]["value"] == {
        "kind": "summary", "type": "numpy.ndarray", "length": None, "items": [
            {"kind": "entry", "key": "shape", "value": {
                "kind": "summary", "type": "tuple", "length": 2, "items": [300, 300]}},
            {"kind": "entry", "key": "dtype", "value": "float64"}]}


def test_dtypes_subclasses_and_nesting(log_path):
    class Sub(np.ndarray):
        pass

    def run():
        for s in ("bool", "int64", "float16", "complex128", "object", "U5", "S3",
                  "datetime64[ns]", ">f8"):
            clk_solve(np.zeros((2, 2), dtype=s), None)
        clk_solve(np.zeros((2, 2), dtype=[("x", "i4")]), np.zeros(3).view(Sub))
        clk_solve(np.zeros((2, 2)), [np.zeros(3), np.zeros(())])

    log = record(log_path, run)
    calls = log.calls("clk_solve")
    assert [c.args["a"].entry("dtype") for c in calls] == [
        "bool", "int64", "float16", "complex128", "object", "<U5", "|S3", "<M8[ns]", ">f8",
        "|V4", "float64"]
    sub = calls[-2].args["b"]  # a subclass is any other object: its type name
    assert sub.type_name.endswith("Sub") and sub.items == ()
    inner = calls[-1].args["b"].items  # arrays in a list: their shapes' lengths
    assert [it.entry("shape").length for it in inner] == [1, 0]
    assert log.drops.get("capture_errors") == 0


REPLACED_PROG = r"""
import sys, argtrace
import numpy as np
argtrace.register_summarizer(np.ndarray, lambda a: (a.size,))

@argtrace.trace
def total(a):
    return int(a.sum())

with argtrace.session(sys.argv[1]):
    total(np.ones((3, 4)))
"""


def test_a_registered_summarizer_replaces_it(log_path, tmp_path):
    prog = tmp_path / "replaced.py"
    prog.write_text(REPLACED_PROG)
    proc = run_python([str(prog), log_path])
    assert proc.returncode == 0, proc.stderr
    call = argtrace.load(log_path).calls("total")[0]
    assert call.args["a"] == argtrace.Summary("numpy.ndarray", None, (12,))
    assert call.result == 12


MANY_KEYS_PROG = r"""
import sys, argtrace

class Row:
    def __init__(self, i):
        self.i = i

class Key(str):  # a str subclass key: its hash is user code, never called by the tracer
    hashed = 0

    def __hash__(self):
        Key.hashed += 1
        return str.__hash__(self)

class Tag:
    pass

# keys made of the data: past the names kept per summarizer, each entry's name is made anew
argtrace.register_summarizer(Row, lambda r: {"k%d" % r.i: r.i, "same": r.i % 3})
TAGGED = {Key("kind"): "tag"}
argtrace.register_summarizer(Tag, lambda t: TAGGED)
f = argtrace.trace(lambda r: None)
Key.hashed = 0
with argtrace.session(sys.argv[1]):
    for i in range(3000):
        f(Row(i))
    f(Tag())
    f(Tag())
print(Key.hashed)
"""


def test_entries_of_keys_made_of_the_data(log_path, tmp_path):
    prog = tmp_path / "many.py"
    prog.write_text(MANY_KEYS_PROG)
    proc = run_python([str(prog), log_path])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "0\n"
    log = argtrace.load(log_path)
    rows = [c.args["r"] for c in log.calls()]
    assert [t.entry("kind") for t in rows[3000:]] == ["tag", "tag"]
    rows = rows[:3000]
    assert all(r.entry("k%d" % i) == i and r.entry("same") == i % 3
               for i, r in enumerate(rows))
    assert log.drops.get("capture_errors") == 0


ODD_KEYS_PROG = r"""
import sys, argtrace

class Obj:
    def __init__(self, i):
        self.i = i

# keys that ARG.KEY cannot name ("a.b", "items", " x") and one with a control character
argtrace.register_summarizer(Obj, lambda o: {"a.b": o.i % 2, "items": 1, "ok": o.i % 3,
                                             "\x1b[31m": o.i % 2, " x": 0})
f = argtrace.trace(lambda o: None)
with argtrace.session(sys.argv[1]):
    for i in range(30):
        f(Obj(i))
"""


def test_odd_entry_keys(log_path, tmp_path):
    prog = tmp_path / "odd.py"
    prog.write_text(ODD_KEYS_PROG)
    proc = run_python([str(prog), log_path])
    assert proc.returncode == 0, proc.stderr
    log = argtrace.load(log_path)
    o = next(a for a in log.slow("<lambda>").arguments if a.name == "o")
    assert len(o.groups) == 6
    assert all(g.label.startswith("Obj: a.b=") and "\x1b" not in g.label and
               ", \\x1b[31m=" in g.label for g in o.groups), [g.label for g in o.groups]
    if not hasattr(_core, "viewer_main"):
        return
    out = subprocess.run([sys.executable, "-m", "argtrace", "slow", log_path, "<lambda>"],
                         env=subprocess_env(COLUMNS="100"), capture_output=True, text=True,
                         timeout=60).stdout
    hint = next(ln for ln in out.splitlines() if ln.startswith("  by one entry:"))
    assert "o.ok " in hint and "o.\\x1b[31m " in hint and "\x1b" not in hint, hint
    assert "o.a.b" not in hint and "o.items" not in hint and "o. x" not in hint, hint


ONE_ENTRY_PROG = r"""
import sys, argtrace

class Frame:
    def __init__(self, rows):
        self.rows = rows

argtrace.register_summarizer(Frame, lambda f: {"shape": (f.rows, 3)})
f = argtrace.trace(lambda df: None)
with argtrace.session(sys.argv[1]):
    for i in range(12):
        f(Frame((10, 1000, 100000)[i % 3]))
"""


def test_one_entry_is_the_argument(log_path, tmp_path):
    """A summarizer's dict of one entry groups as the argument does: no line of entries."""
    prog = tmp_path / "one.py"
    prog.write_text(ONE_ENTRY_PROG)
    proc = run_python([str(prog), log_path])
    assert proc.returncode == 0, proc.stderr
    df = next(a for a in argtrace.load(log_path).slow("<lambda>").arguments if a.name == "df")
    assert len(df.groups) == 3 and df.entries == []
    if not hasattr(_core, "viewer_main"):
        return
    out = subprocess.run([sys.executable, "-m", "argtrace", "slow", log_path, "<lambda>"],
                         env=subprocess_env(COLUMNS="80"), capture_output=True, text=True,
                         timeout=60).stdout
    assert "by one entry" not in out and "<(100000, 3)>" in out, out
