"""`argtrace-view cat --thread / --since / --until / --span` read only the frames the log's
frame index (FORMAT.md 2.4) says they need: they print exactly what a full `cat` prints
for them (filtered here), and decode fewer frames (`--frames` counts them, not timing)."""

import re

import pytest

from conftest import record_rounds
from test_viewer_common import run_view, viewer  # noqa: F401  (fixture)

argtrace = pytest.importorskip("argtrace")


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    """Threads 1..40 each make 50 calls; flush every ms: many frames."""
    path = tmp_path_factory.mktemp("frames") / "t.atr"
    f = argtrace.trace(lambda x: x)
    g = argtrace.trace(lambda x: f(-x))
    record_rounds(path, 40, lambda k: [f(j) for j in range(50)],
                  lambda k: [g(j) for j in range(50)])
    return path


def cat(viewer, log, *args):  # noqa: F811
    r = run_view(viewer, ["cat", "--frames"] + list(args) + [str(log)], log.parent)
    assert r.returncode == 0, r.stderr
    m = re.search(r"frames decoded: (\d+) of (\d+)", r.stderr)
    return r.stdout.splitlines(), int(m.group(1)), int(m.group(2))


def time_of(line):
    m = re.search(r" time=(\d+)", line)
    return int(m.group(1)) if m else None


def test_thread(viewer, log):  # noqa: F811
    full, n_full, total = cat(viewer, log)
    assert n_full == total > 20
    got, n, _ = cat(viewer, log, "--thread", "7")
    want = [ln for ln in full if not ln.startswith("T") or ln.startswith("T7 ")]
    assert got == want
    assert sum(ln.startswith("T7 ") for ln in got) == 1 + 200  # THREAD, 100 calls
    assert n < total / 3


def test_time_range_and_span(viewer, log):  # noqa: F811
    full, _, total = cat(viewer, log)
    start = next(ln for ln in full if ln.startswith("T20 ") and " START " in ln)
    span = re.search(r" span=(\S+)", start).group(1)
    end = next(ln for ln in full if ln.startswith("T20 ") and " END " in ln
               and " span=%s " % span in ln)
    since, until = time_of(start), time_of(end)
    want = [ln for ln in full if not ln.startswith("T")
            or (time_of(ln) is not None and since <= time_of(ln) <= until)]
    got, n, _ = cat(viewer, log, "--since", str(since), "--until", str(until))
    assert got == want and start in got and end in got
    assert n < total / 3
    got, n, _ = cat(viewer, log, "--span", span)
    assert got == want
    assert n < total / 3


def test_unknown_span_fails(viewer, log):  # noqa: F811
    r = run_view(viewer, ["cat", "--span", "3:999999", str(log)], log.parent)
    assert r.returncode != 0 and "no span 3:999999" in r.stderr
    r = run_view(viewer, ["cat", "--span", "x", str(log)], log.parent)
    assert r.returncode != 0 and "not a span" in r.stderr
