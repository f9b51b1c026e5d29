"""`argtrace-view tree LOG FUNC` loads the chosen call's subtree from only the frames that can
hold it (the frame index, FORMAT.md 2.4): the output is byte for byte the one of a read of
every frame, and fewer frames are decoded (counted through ATR_VIEW_FRAMES, not timed:
`1` prints the count, `all` reads every frame as before and prints it)."""

import re
import subprocess
import time

import pytest

from conftest import record_rounds
from test_viewer_common import plain_env, viewer  # noqa: F401  (fixture)

argtrace = pytest.importorskip("argtrace")


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    """Threads 1..30 each run outer() 20 times (inner calls and a message under each), while
    the main thread makes short calls; flushed every ms: many frames, threads interleaved."""
    path = tmp_path_factory.mktemp("treeframes") / "t.atr"
    leaf = argtrace.trace(lambda x: x)

    @argtrace.trace
    def inner(x):
        return sum(leaf(i) for i in range(x % 4 + 1))

    @argtrace.trace
    def outer(k, x):
        argtrace.log("step", k=k)
        if x % 7 == 3:
            time.sleep(0.0005)
        return inner(x) + inner(x + 1)

    record_rounds(path, 30, lambda k: [leaf(j) for j in range(40)],
                  lambda k: [outer(k, j) for j in range(20)], thread_name="worker-%d")
    return path


def tree(viewer, log, mode, *args):  # noqa: F811
    r = subprocess.run([viewer, "tree", "--width", "0", str(log)] + list(args),
                       cwd=str(log.parent), env=plain_env(ATR_VIEW_FRAMES=mode),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    m = re.search(r"frames decoded: (\d+)", r.stderr)
    assert m, r.stderr
    return r.stdout, int(m.group(1))


@pytest.mark.parametrize("args", [
    ["outer"], ["outer", "--rank", "2"], ["outer", "--rank", "100"], ["outer", "--rank", "555"],
    ["outer", "--json"], ["outer", "--rank", "300", "--json"], ["outer", "k=17"],
    ["inner", "--rank", "400", "--json"],
])
def test_same_output_fewer_frames(viewer, log, args):  # noqa: F811
    want, n_all = tree(viewer, log, "all", *args)
    got, n = tree(viewer, log, "1", *args)
    assert got == want
    assert n_all > 20 and n < n_all / 3


def test_call_off_the_first_thread(viewer, log):  # noqa: F811
    # thread ids and call ids of a call well into the log are those of the whole read
    want, _ = tree(viewer, log, "all", "outer", "k=25", "--rank", "3", "--json")
    assert '"thread": 0' not in want and re.search(r'"id": \d{4,}', want)
    got, n = tree(viewer, log, "1", "outer", "k=25", "--rank", "3", "--json")
    assert got == want


def test_no_index_reads_every_frame(viewer, log, tmp_path):  # noqa: F811
    # a log without its footer index (a crashed writer) is read whole, the same
    data = log.read_bytes()
    assert data[-4:] == b"ATRI"
    n = int.from_bytes(data[-8:-4], "little")
    cut = tmp_path / "cut.atr"
    cut.write_bytes(data[:len(data) - n - 8])
    want, n_all = tree(viewer, log, "all", "outer", "--rank", "5")
    got, n = tree(viewer, cut, "1", "outer", "--rank", "5")
    assert got == want and n == n_all
