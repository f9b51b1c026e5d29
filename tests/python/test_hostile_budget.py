"""A small hostile log (tests/golden/hostile/call_bomb.atr: 9 KiB declaring 16.7 M calls,
about 1.2 GB to analyse) must fail with a one-line error at the memory budget, never
exhaust the machine: argtrace.load(max_memory=...), the viewer's --max-memory, and the
`argtrace` CLI, each run under an address-space limit far below what the log would take."""

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

import argtrace
from argtrace._sizes import parse_size
from atr_helpers import subprocess_env
from test_viewer_common import viewer  # noqa: F401 (fixture)

BOMB = Path(__file__).resolve().parents[1] / "golden" / "hostile" / "call_bomb.atr"
LIMIT_AS = 1 << 30  # 1 GiB of address space: the bomb would need more


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))


def run_limited(args):
    return subprocess.run(args, env=subprocess_env(LC_ALL="C.UTF-8"), capture_output=True,
                          text=True, timeout=120, preexec_fn=_limited)


def test_the_bomb_is_small():
    assert BOMB.stat().st_size < 16 << 10


def test_load_stops_at_max_memory():
    with pytest.raises(ValueError) as e:
        argtrace.load(BOMB, max_memory="32M")
    msg = str(e.value)
    assert "memory limit of 32.0 MiB" in msg and "call_bomb.atr" in msg and "\n" not in msg


def test_load_under_an_address_space_limit():
    code = ("import argtrace, sys\n"
            "try:\n"
            "    argtrace.load(sys.argv[1], max_memory='256M')\n"
            "except ValueError as e:\n"
            "    print(e)\n"
            "    sys.exit(3)\n")
    res = run_limited([sys.executable, "-c", code, str(BOMB)])
    assert res.returncode == 3, res.stderr
    assert "memory limit of 256.0 MiB" in res.stdout


def test_index_budget_applies_to_analysis(tmp_path):
    """The analysis index gets the same budget (a log whose Python objects fit)."""
    path = tmp_path / "t.atr"

    @argtrace.trace
    def f(x):
        return x

    with argtrace.session(path):
        for i in range(500):
            f(i)
    log = argtrace.load(path, max_memory=8 << 20)
    assert len(list(log.calls("f"))) == 500 and log.functions()
    # the analysis index loads first: past its budget (a fixed 1 MiB at least), load() says so
    for budget in (300 << 10, 900 << 10):
        with pytest.raises(ValueError, match="analysing this log needs more than the memory "
                                             "limit of %.1f KiB" % (budget / 1024)):
            argtrace.load(path, max_memory=budget)


@pytest.mark.parametrize("size, want", [("512M", 512 << 20), ("4G", 4 << 30), ("1.5K", 1536),
                                        ("64MiB", 64 << 20), ("100", 100), (0, 0)])
def test_parse_size(size, want):
    assert parse_size(size) == want


@pytest.mark.parametrize("bad", ["", "12x", "-1", "M", -5, True, 1.5])
def test_parse_size_rejects(bad):
    with pytest.raises(ValueError):
        parse_size(bad)


def test_viewer_stops_at_max_memory(viewer):  # noqa: F811
    res = run_limited([viewer, "summary", "--max-memory", "128M", str(BOMB)])
    assert res.returncode == 1
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and "memory limit of 128.0 MiB" in lines[0], res.stderr
    assert res.stdout == ""


def test_viewer_rejects_a_bad_size(viewer):  # noqa: F811
    res = run_limited([viewer, "calls", "--max-memory=lots", str(BOMB)])
    assert res.returncode == 2
    assert "--max-memory" in res.stderr and len(res.stderr.splitlines()) == 1


@pytest.mark.skipif(not hasattr(argtrace._core, "viewer_main"),
                    reason="this build has no viewer in argtrace._core")
def test_cli_summary_stops_at_max_memory():
    res = run_limited([sys.executable, "-m", "argtrace", "summary", "--max-memory", "100M",
                       str(BOMB)])
    assert res.returncode == 1, res.stderr
    assert "memory limit of 100.0 MiB" in res.stderr


def test_the_budget_is_the_engines(tmp_path):
    """A Log keeps no Python object per call (Calls are views made when asked for): 20000
    calls, about 18 MB as Python objects, load within 8 MiB — the analysis index's budget,
    which still refuses a smaller one."""
    path = tmp_path / "t.atr"

    @argtrace.trace
    def f(x):
        return x

    with argtrace.session(path):
        for i in range(20000):
            f(i)
    log = argtrace.load(path, max_memory=8 << 20)
    assert len(log) == 20000 and log.functions()[0].calls == 20000
    assert [c.args["x"] for c in log.calls("f")] == list(range(20000))
    with pytest.raises(ValueError, match="analysing this log needs more than the memory limit"):
        argtrace.load(path, max_memory=600 << 10)


def test_timeline_exports_stay_within_max_memory(tmp_path, viewer):  # noqa: F811
    """chrome and speedscope read the logs again for the running intervals of calls that
    suspended: a generator of 200,000 steps needs about 2 MiB of index but some 30 MiB of
    intervals. Within --max-memory 8M the index loads (jsonl is written) and the timelines
    stop with one line; with the default budget they are written."""
    path = tmp_path / "gen.atr"

    @argtrace.trace
    def steps(n):
        yield from range(n)

    with argtrace.session(path):
        assert sum(steps(200000)) == 199999 * 100000
    out = tmp_path / "out"
    res = run_limited([viewer, "export", str(path), "-f", "jsonl", "--max-memory", "8M",
                       "-o", str(out)])
    assert res.returncode == 0, res.stderr
    for fmt in ("chrome", "speedscope"):
        res = run_limited([viewer, "export", str(path), "-f", fmt, "--max-memory", "8M",
                           "-o", str(out)])
        assert res.returncode == 1, (fmt, res.stderr)
        assert res.stderr == ("argtrace-view export: %s: exporting this log needs more than "
                              "the memory limit of 8.0 MiB (raise it with --max-memory)\n"
                              % path), res.stderr
        res = run_limited([viewer, "export", str(path), "-f", fmt, "-o", str(out)])
        assert res.returncode == 0, (fmt, res.stderr)
        assert out.stat().st_size > 0
