"""A full disk is reported as such: `argtrace run` says the write failed (and not "log
written"), the log still ends with its last frame (DROPS counting the frames lost,
END_OF_LOG) so that it loads as closed, and the viewer says frames could not be written
rather than "the process was killed". The full disk is a small tmpfs mounted in a private
user and mount namespace (`unshare -rm`); /dev/full stands in for a device."""

import shutil
import subprocess
import sys
import textwrap

import pytest

import argtrace
from atr_helpers import run_python, subprocess_env
from test_viewer_common import viewer  # noqa: F401 (fixture)

PROGRAM = textwrap.dedent("""
    import os, argtrace

    @argtrace.trace
    def f(blob):
        return len(blob)

    for i in range(3000):
        f(os.urandom(1500))  # incompressible: 4.5 MB into a 1 MiB file system
        if i % 100 == 99:
            argtrace.flush()  # frames of about 150 KB: the first few fit
    print("done")
""")


def _can_unshare():
    if not shutil.which("unshare"):
        return False
    res = subprocess.run(["unshare", "-rm", "sh", "-c",
                          "mount -t tmpfs -o size=64k tmpfs /tmp && true"],
                         capture_output=True)
    return res.returncode == 0


needs_tmpfs = pytest.mark.skipif(not _can_unshare(),
                                 reason="needs `unshare -rm` and a tmpfs mount")


def run_on_full_disk(tmp_path, *extra):
    """Run PROGRAM under `argtrace run` writing into a 1 MiB tmpfs; copy its log out."""
    (tmp_path / "prog.py").write_text(PROGRAM)
    out = tmp_path / "out"
    out.mkdir()
    shell = ("mkdir -p {d}/fs && mount -t tmpfs -o size=1m tmpfs {d}/fs && "
             "{py} -m argtrace run -o {d}/fs/prog.atr {extra} {d}/prog.py; rc=$?; "
             "cp {d}/fs/prog.atr {d}/out/; exit $rc").format(
                 d=tmp_path, py=sys.executable, extra=" ".join(extra))
    res = subprocess.run(["unshare", "-rm", "sh", "-c", shell], env=subprocess_env(),
                         capture_output=True, text=True, timeout=120)
    return res, out / "prog.atr"


@needs_tmpfs
def test_run_reports_the_full_disk_and_the_log_says_so(tmp_path):
    res, log_path = run_on_full_disk(tmp_path)
    assert "done" in res.stdout  # the program ran to its end, untouched
    assert "no space left on device" in res.stderr, res.stderr
    assert "log written" not in res.stderr
    log = argtrace.load(log_path)
    assert log.closed  # the last frame fitted: not mistaken for a killed process
    assert log.drops.get("write_errors", 0) > 0, log.drops
    assert 0 < len(list(log.calls("f"))) < 3000


@needs_tmpfs
def test_viewer_says_frames_were_lost_not_killed(tmp_path, viewer):  # noqa: F811
    _, log_path = run_on_full_disk(tmp_path)
    res = subprocess.run([viewer, "summary", str(log_path)], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert "could not be written" in res.stderr and "disk" in res.stderr
    assert "killed" not in res.stderr


def test_run_to_dev_full_does_not_say_log_written(tmp_path):
    (tmp_path / "prog.py").write_text(PROGRAM.replace("3000", "30"))
    res = run_python(["-m", "argtrace", "run", "-o", "/dev/full", str(tmp_path / "prog.py")],
                     cwd=tmp_path)
    assert "done" in res.stdout
    assert "error writing /dev/full: no space left on device" in res.stderr, res.stderr
    assert "log written" not in res.stderr and "next:" not in res.stderr
