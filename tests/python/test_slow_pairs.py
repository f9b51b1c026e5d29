"""slow() names two arguments when together they explain the duration clearly better than
any one alone (a table whose time grows with rows × cols): the pair comes first, flagged,
with each member's score alone beside it in the text; one decisive argument, or arguments
that explain nothing, give no pair. Durations come from an injected clock: exact."""

import json
import os
import subprocess
import sys

import pytest

from argtrace import _core
from conftest import filter_traced

MOD = __name__
NOW = [1_000_000]  # the injected clock (ns)


def clk_render(rows, cols, wrap, width):
    NOW[0] += 1000 * rows * cols


def clk_decided(mode, n, seed):
    NOW[0] += (500_000 if mode == "strict" else 1000) + n


def clk_mixed(a, b):  # a pure interaction: neither alone says anything
    NOW[0] += 1000 + (a * 7919 + b * 104729) % 50_000


SEQ = [0]


def clk_noise(a, b):  # the time follows the call's place, not its arguments
    SEQ[0] += 1
    NOW[0] += 1000 + (SEQ[0] * 7919) % 50_000


def record(path, fn, name):
    return filter_traced(path, ["%s:%s" % (MOD, name)], fn, clock=lambda: NOW[0])


def run_render():
    for rows in (5, 20, 60):
        for cols in (2, 6):
            for wrap in (False, True):
                for width in (60, 120):
                    clk_render(rows, cols, wrap, width)


@pytest.fixture
def rlog(log_path):
    return record(log_path, run_render, "clk_render")


def test_a_pair_that_explains_more_comes_first(rlog):
    rep = rlog.slow("clk_render")
    pair = rep.arguments[0]
    assert pair.pair and pair.name == "rows,cols"
    alone = {a.name: a.score for a in rep.arguments if not a.pair}
    assert sorted(alone) == ["cols", "rows", "width", "wrap"]
    assert [a.name for a in rep.arguments if a.pair] == ["rows,cols"]
    # rows * cols decides the time: each alone explains part of it, the pair all of it
    assert pair.score > 0.99 and pair.score >= max(alone.values()) + 0.10
    assert alone["rows"] < 0.9 and alone["cols"] < 0.9
    assert len(pair.groups) == 6
    top = pair.groups[0]
    assert top.label == "60, 6" and top.calls == 4 and top.p50_ns == 360_000
    assert top.filter == "rows=60 cols=6"
    assert len(rlog.calls("clk_render", top.filter)) == 4


def test_one_decisive_argument_gives_no_pair(log_path):
    def run():
        for i in range(40):
            clk_decided("strict" if i % 4 == 0 else "fast", (i * 37) % 100, i)

    log = record(log_path, run, "clk_decided")
    rep = log.slow("clk_decided")
    assert rep.arguments[0].name == "mode" and rep.arguments[0].score > 0.95
    assert not any(a.pair for a in rep.arguments)


def record_ab(log_path, fn):
    """60 calls of fn(a, b), every pair of a in 0..4 and b in 0..6 once or twice."""
    return record(log_path, lambda: [fn(i % 5, i % 7) for i in range(60)], fn.__name__)


def test_arguments_that_explain_nothing_give_no_pair(log_path):
    log = record_ab(log_path, clk_noise)
    rep = log.slow("clk_noise")
    assert sorted(a.name for a in rep.arguments) == ["a", "b"]
    assert not any(a.pair for a in rep.arguments)
    assert log.slow("clk_noise", by="a,b").arguments[0].score < 0.10


def test_a_pure_interaction_is_found(log_path):
    log = record_ab(log_path, clk_mixed)
    rep = log.slow("clk_mixed")
    assert [(a.name, a.pair) for a in rep.arguments][0] == ("a,b", True)
    assert rep.arguments[0].score > 0.9
    assert all(a.score < 0.10 for a in rep.arguments[1:])


def test_by_pairs_are_flagged_too(rlog):
    rep = rlog.slow("clk_render", by=["rows,wrap", "rows"])
    assert {a.name: a.pair for a in rep.arguments} == {"rows,wrap": True, "rows": False}


@pytest.mark.skipif(not hasattr(_core, "viewer_main"), reason="built without the viewer")
def test_cli_shows_the_pair_and_its_members_alone(rlog, log_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "argtrace", "slow", str(log_path),
                               "clk_render", "--width", "80", *args],
                              capture_output=True, text=True, env=env, check=True).stdout

    py = rlog.slow("clk_render")
    alone = {a.name: a.score for a in py.arguments}
    text = cli()
    head = next(line for line in text.splitlines() if line.startswith("rows,cols"))
    assert head == ("rows,cols  score %.2f  (the two together; 6 groups; rows alone %.2f, "
                    "cols %.2f)" % (py.arguments[0].score, alone["rows"], alone["cols"]))
    assert "… 1 more group (--by 'rows,cols' shows all)" in text
    rep = json.loads(cli("--json"))
    assert [a["name"] for a in rep["arguments"]] == [a.name for a in py.arguments]
    assert [a["score"] for a in rep["arguments"]] == [a.score for a in py.arguments]
