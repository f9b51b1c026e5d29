"""Why was this call slow: `log.why()` and `argtrace why` (text and --json).

Exact figures come from filter tracing with an injected clock; the CLI end-to-end test on
examples/slow_example.py checks the structure, the 80-column width and that `why` picks the
same call as `tree` and `calls --sort duration`, never real timings.
"""

import json
import os
import re
import shutil

import pytest

import argtrace
from argtrace import _core
from atr_helpers import run_python
from test_viewer_common import logs, run_view, viewer  # noqa: F401 (fixtures)
from test_viewer_tui import tui  # noqa: F401 (fixture)

MOD = __name__
EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
NOW = [1_000_000]  # the injected clock's time (ns)


def w_child(ns):
    NOW[0] += ns


def w_extra():
    NOW[0] += 5000


def w_f(mode, n, extra=False):
    NOW[0] += 800 if mode == "fast" else 8000  # self time
    w_child(200 if mode == "fast" else 2000)
    if extra:
        w_extra()


def w_run():
    for i in range(8):
        w_f("fast", i)
    for i in range(6):
        w_f("slow", 100 + i)
    w_f("slow", 5, extra=True)  # the slowest: one extra child taking the extra 5 µs


needs_viewer = pytest.mark.skipif(not hasattr(_core, "viewer_main"), reason="no viewer")


@pytest.fixture
def clog(log_path):
    argtrace.start(log_path)
    try:
        _core.filter_start([MOD + ":w_*"], [], clock=lambda: NOW[0])
        try:
            w_run()
        finally:
            _core.filter_stop()
    finally:
        argtrace.stop()
    return argtrace.load(log_path)


def test_why_exact_figures(clog):
    rep = clog.why("w_f")
    call = rep["call"]
    assert call["function"] == MOD + ".w_f"
    assert call["args"] == {"mode": "slow", "n": 5, "extra": True}
    assert call["duration_ns"] == 15000 and rep["extra_ns"] == 5000
    base = rep["baseline"]
    assert (base["calls"], base["p50_ns"], base["function_calls"], base["function_p50_ns"]) == (
        6, 10000, 15, 1000)
    group = base["group"]
    assert (group["argument"], group["value"], group["label"], group["filter"]) == (
        "mode", "slow", "slow", 'mode="slow"')
    assert group["score"] >= 0.5 and group["p50_ns"] == 10000
    assert [(c["function"].rsplit(".", 1)[-1], c["calls"], c["duration_ns"], c["typical_ns"],
             c["extra_ns"]) for c in rep["children"]] == [
        ("w_extra", 1, 5000, 0, 5000), ("w_child", 1, 2000, 2000, 0)]
    assert rep["children"][0]["slowest_id"] == only_child(clog, call["id"], "w_extra").id
    assert rep["self"] == {"duration_ns": 8000, "typical_ns": 8000, "extra_ns": 0}
    args = {a["name"]: a for a in rep["arguments"]}
    assert list(args) == ["mode", "n", "extra"]
    mode = args["mode"]
    assert (mode["value"], mode["differs"], mode["group"]["slow"]) == ("slow", False, True)
    assert (mode["group"]["calls"], mode["group"]["p50_ns"]) == (7, 10000)
    assert (mode["typical"]["value"], mode["typical"]["calls"]) == ("slow", 6)
    assert args["n"]["typical"]["median"] == 102.0 and args["n"]["differs"]
    assert args["extra"]["value"] is True and args["extra"]["typical"]["value"] is False


def only_child(log, call_id, name):
    kids = [k for k in log.call(call_id).children if k.function.endswith("." + name)]
    assert len(kids) == 1
    return kids[0]


def test_why_by_id_call_and_rank_agree(clog):
    rep = clog.why("w_f")
    cid = rep["call"]["id"]
    assert clog.why(cid) == rep
    assert clog.why(str(cid)) == rep
    assert clog.why(clog.call(cid)) == rep
    second = clog.why("w_f", rank=2)
    assert second["call"]["duration_ns"] == 10000 and second["extra_ns"] == 0
    fast = clog.why("w_f", "mode=fast")
    assert fast["call"]["args"]["mode"] == "fast"
    assert fast["baseline"]["group"]["value"] == "fast"
    assert clog.why("w_f", mode="fast") == fast


def test_why_errors(clog):
    with pytest.raises(ValueError, match="only 15 calls of .*w_f match"):
        clog.why("w_f", rank=16)
    with pytest.raises(ValueError, match="no call of .*w_f matches"):
        clog.why("w_f", "n>1000")
    with pytest.raises(ValueError, match="rank counts from 1"):
        clog.why("w_f", rank=0)
    with pytest.raises(ValueError, match="no function 'nosuch'"):
        clog.why("nosuch")
    with pytest.raises(ValueError, match="no call 99999"):
        clog.why(99999)
    with pytest.raises(ValueError, match="a call id names one call"):
        clog.why(3, "mode=fast")


@needs_viewer
def test_why_is_the_json_of_the_cli(clog, capfd):
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "why", clog.path, "w_f", "--json"]) == 0
    assert json.loads(capfd.readouterr().out) == clog.why("w_f")
    assert _core.viewer_main(["argtrace", "why", clog.path, "w_child", "--rank", "3",
                              "--json"]) == 0
    assert json.loads(capfd.readouterr().out) == clog.why("w_child", rank=3)


@needs_viewer
def test_why_text_exact(clog, capfd):
    capfd.readouterr()
    assert _core.viewer_main(["argtrace", "why", clog.path, "w_f"]) == 0
    out = capfd.readouterr().out
    assert "took 15.0 µs; typical 10.0 µs: +5.00 µs" in out
    assert "baseline: 6 other calls with mode='slow'" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("  " + MOD + ".w_")
            and "(" not in line]
    assert rows[0] == [MOD + ".w_extra", "1", "0", "5.00", "µs", "0", "ns", "+5.00", "µs"]
    assert rows[1][-1] == "0"
    assert re.search(r"\(self\) +8\.00 µs +8\.00 µs +0$", out, re.M)
    assert "argtrace why %s --id %s" % (clog.path, clog.why("w_f")["children"][0]["slowest_id"]) \
        in out


S_SEEN = set()  # keys whose work s_lookup has cached


STALL = [False]  # the next call waits (contention): not in its arguments


def s_lookup(key):
    NOW[0] += 1000
    if key not in S_SEEN:  # the first call with a key fills the cache
        S_SEEN.add(key)
        NOW[0] += 50000
    if key == "big":  # these values take long every time
        NOW[0] += 29000
    if STALL[0]:
        NOW[0] += 80000


def s_tiny(k):  # a small function whose first call per value is 3 µs colder
    NOW[0] += 1000 if ("tiny", k) in S_SEEN else 4000
    S_SEEN.add(("tiny", k))


def s_obj(thing):
    NOW[0] += 1000 if thing.n else 9000


class Thing:
    def __init__(self, n):
        self.n = n


@pytest.fixture
def slog(log_path):
    S_SEEN.clear()
    S_SEEN.update(("b", "big"))
    argtrace.start(log_path)
    try:
        _core.filter_start([MOD + ":s_*"], [], clock=lambda: NOW[0])
        try:
            for key, stall in [("a", 0), ("a", 0), ("b", 0), ("big", 0), ("b", 0), ("a", 0),
                               ("b", 1), ("big", 0), ("b", 0), ("a", 0), ("big", 0)]:
                STALL[0] = bool(stall)
                s_lookup(key)
            for n in (0, 1, 2):
                s_obj(Thing(n))
            for i in range(200):
                s_tiny(i % 2)
        finally:
            _core.filter_stop()
    finally:
        argtrace.stop()
    return argtrace.load(log_path)


def test_why_same_values_tell_a_first_call_from_the_arguments(slog, capfd):
    # The other calls with the call's argument values separate a call slow for them (slow
    # every time) from one slow for something else: the first call with them (a cache
    # filled, dateparser's locales loaded) or a stall in a later one.
    stall = slog.why("s_lookup", rank=1)  # b, its 3rd call: +80 µs
    assert stall["nth_call"] == 7
    assert stall["same_values"] == {"calls": 3, "p50_ns": 1000, "max_ns": 1000, "nth": 3,
                                    "loose": 0, "verdict": "not_arguments",
                                    "says": "something other than its arguments made it slow "
                                            "(state, contention, I/O)"}
    first = slog.why("s_lookup", rank=2)  # a, the function's first call: +50 µs
    assert first["nth_call"] == 1
    assert first["same_values"] == {"calls": 3, "p50_ns": 1000, "max_ns": 1000, "nth": 1,
                                    "loose": 0, "verdict": "first_call",
                                    "says": "a first call's work (imports, caches, set-up) "
                                            "made it slow, not its arguments"}
    big = slog.why("s_lookup", "key=big", rank=2)  # 30 µs each time (the cache does not help)
    assert big["same_values"]["verdict"] == "values" and big["same_values"]["calls"] == 2
    obj = slog.why("s_obj")  # objects known by their type: the verdict assumes them alike
    assert obj["same_values"]["loose"] == 1 and obj["same_values"]["verdict"] == "first_call"
    html = first._repr_html_()  # the notebook says it too
    assert ("this call was the first of them and the function&#x27;s first call: a first "
            "call&#x27;s work") in html or "the function's first call: a first call's work" \
        in html, html
    if not hasattr(_core, "viewer_main"):
        return
    capfd.readouterr()
    texts = []
    for rank in ("1", "2"):
        assert _core.viewer_main(["argtrace", "why", slog.path, "s_lookup", "--rank",
                                  rank]) == 0
        texts.append(" ".join(capfd.readouterr().out.split()))
    assert ("same values: 3 other calls with these argument values took 1.00 µs (median, at "
            "most 1.00 µs): something other than its arguments made it slow") in texts[0]
    assert ("same values: 3 other calls with these argument values took 1.00 µs (median, at "
            "most 1.00 µs); this call was the first of them and the function's first call: a "
            "first call's work (imports, caches, set-up) made it slow, not its arguments"
            ) in texts[1]
    assert _core.viewer_main(["argtrace", "why", slog.path, "s_obj"]) == 0
    out = " ".join(capfd.readouterr().out.split())
    assert "with these argument values (thing compared as captured) took 1.00 µs" in out
    assert "made it slow, not its arguments, unless thing differed." in out
    # slow says which of the slowest calls were first calls (rank 2 here, not the stall)
    assert _core.viewer_main(["argtrace", "slow", slog.path, "s_lookup"]) == 0
    out = " ".join(capfd.readouterr().out.split())
    assert ("first calls: rank 2 was the first with its argument values; the later calls "
            "with the same values took at most 1.00 µs: a first call's work (imports, caches, "
            "set-up), not the arguments (argtrace why LOG FUNC --rank N).") in out, out
    # a cold start of 3 µs in 206 µs (under 5% of the function's time): why says it, slow not
    assert slog.why("s_tiny")["same_values"]["verdict"] == "first_call"
    assert _core.viewer_main(["argtrace", "slow", slog.path, "s_tiny"]) == 0
    out = capfd.readouterr().out
    assert "slowest calls" in out and "first calls" not in out, out


P_EXTRA = [0]  # added to the next p_f call's time


def p_f(n, junk):
    NOW[0] += (1_000_000 if n == 400 and not junk else 10_000) + P_EXTRA[0]


def test_why_baseline_of_two_arguments_together(log_path, capfd):
    """Neither argument explains the time alone, the two together do (as `slow` pairs them):
    the baseline is the call's group of the pair, named by both."""
    argtrace.start(log_path)
    try:
        _core.filter_start([MOD + ":p_f"], [], clock=lambda: NOW[0])
        try:
            for i in range(40):
                p_f((20, 50, 200, 400)[i % 4], bool(i // 4 % 2))
            P_EXTRA[0] = 2_000_000  # the slowest
            p_f(400, False)
            P_EXTRA[0] = 0
        finally:
            _core.filter_stop()
    finally:
        argtrace.stop()
    log = argtrace.load(log_path)
    rep = log.why("p_f")
    assert rep["call"]["args"] == {"n": 400, "junk": False}
    base = rep["baseline"]
    group = base["group"]
    assert (group["argument"], group["pair"], group["label"]) == ("n,junk", True, "400, False")
    assert group["filter"] == "n=400 junk=False" and group["score"] > 0.9
    assert (base["calls"], base["p50_ns"], rep["extra_ns"]) == (5, 1_000_000, 2_000_000)
    assert all(not a["differs"] for a in rep["arguments"])
    assert [a["name"] for a in rep["arguments"]] == ["n", "junk"]
    if hasattr(_core, "viewer_main"):
        capfd.readouterr()
        assert _core.viewer_main(["argtrace", "why", log_path, "p_f"]) == 0
        out = " ".join(capfd.readouterr().out.split())
        assert ("baseline: 5 other calls with n,junk in 400, False (n and junk together "
                "explain") in out, out


@pytest.mark.parametrize("args", [
    ["basic.atr", "handle"], ["basic.atr", "parse"], ["basic.atr", "parse", "mode=fast"],
    ["pair.atr", "compare"], ["pair.atr", "compare", "n=100"],
    ["hostile.atr", "show"], ["hostile.atr", "show", "--rank", "2"],
    ["unclosed.atr", "handle", "req=99"], ["basic.atr", "second.atr", "--id", "1:0"]])
def test_why_text_fits_80_columns(viewer, logs, args):
    proc = run_view(viewer, ["why"] + args, logs)
    assert proc.returncode == 0, proc.stderr
    assert "why was call" in proc.stdout
    for line in proc.stdout.splitlines():
        assert len(line) <= 80, line


def _cli(args, cwd):
    res = run_python(["-m", "argtrace"] + args, cwd=cwd)
    assert res.returncode == 0, res.stderr
    return res.stdout


@needs_viewer
def test_why_on_the_example_as_a_user(tmp_path):
    script = os.path.abspath(os.path.join(EXAMPLES, "slow_example.py"))
    res = run_python(["-m", "argtrace", "run", "-o", "s.atr", script, "300"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    text = _cli(["why", "s.atr", "parse"], tmp_path)
    for line in text.splitlines():
        assert len(line) <= 80, line
    for part in ("why was call ", "baseline: ", "where the time went", "(self)", "arguments",
                 "mode", "rows"):
        assert part in text
    rep = json.loads(_cli(["why", "s.atr", "parse", "--json"], tmp_path))
    tree = json.loads(_cli(["tree", "s.atr", "parse", "--json"], tmp_path))
    slowest = json.loads(_cli(["calls", "s.atr", "parse", "--sort", "duration", "--limit",
                               "1", "--json"], tmp_path))
    assert rep["call"]["id"] == tree["id"] == slowest[0]["id"]
    assert rep["call"] == slowest[0]
    extras = [c["extra_ns"] for c in rep["children"]]
    assert extras == sorted(extras, reverse=True)
    assert rep["baseline"]["calls"] > 0
    assert {a["name"] for a in rep["arguments"]} == {"rows", "mode"}
    # The suggested next step runs as printed.
    nxt = text.splitlines()[-1].split()
    assert nxt[:2] == ["argtrace", "why"] and nxt[-2] == "--id"
    assert "why was call %s slow?" % nxt[-1] in _cli(nxt[1:], tmp_path)
    log = argtrace.load(tmp_path / "s.atr")
    mine = log.why("parse")
    assert mine["call"]["id"] == rep["call"]["id"]
    assert [c["function"] for c in mine["children"]] == [c["function"] for c in rep["children"]]


# ---- the TUI: w on a call (calls list, call tree) opens the same view ----

@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")
def test_tui_why_from_calls_and_tree(tui):
    s = tui("basic.atr")
    s.wait_for("functions (")
    s.keys("c")  # calls of app.handle, slowest first
    s.wait_for("calls of app.handle")
    s.keys("w")
    screen = s.wait_for("why was call 295 slow?")
    assert "baseline: all 7 other calls of app.handle" in screen
    assert re.search(r"app\.parse +1 +1 +10\.0 ms +3\.00 µs +\+10\.0 ms", screen)
    assert max(len(line) for line in screen.splitlines()) <= 80
    s.keys("w")  # the child call named by next:
    screen = s.wait_for("why was call 296 slow?")
    assert "app.parse(n=20000, mode='strict')" in screen
    s.keys("Enter")
    s.wait_for("call tree of call 296: app.parse")
    s.keys("q", "q", "q")  # back to the calls
    s.wait_for("calls of app.handle")
    s.keys("Enter")
    s.wait_for("call tree of call 295: app.handle")
    s.keys("w")
    s.wait_for("why was call 295 slow?")
