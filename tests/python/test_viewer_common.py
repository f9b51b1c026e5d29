"""Shared helpers for the viewer tests (test_viewer_*.py, test_cli_view*.py); no tests here.

The viewer is the C program `argtrace-view`: named by $ATR_VIEWER, else the newest
build*/viewer/argtrace-view of this tree. The golden logs come from the C generator
tests/golden/viewer/gen_logs.c: $ATR_GEN_VIEWER_LOGS, else atr_gen_viewer_logs next to the
viewer, else the newest one built. Tests skip when either is missing (the C build has not
run). The ctest entry `viewer_pytest` sets both variables to the build's own programs.
"""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "viewer"


def _find(env, name):
    path = os.environ.get(env)
    if path:
        return path if os.access(path, os.X_OK) else None
    found = [p for p in REPO.glob("build*/viewer/" + name) if os.access(p, os.X_OK)]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return str(found[0]) if found else None


def viewer_path():
    return _find("ATR_VIEWER", "argtrace-view")


def generator_path():
    if not os.environ.get("ATR_GEN_VIEWER_LOGS"):
        viewer = viewer_path()
        sibling = Path(viewer).with_name("atr_gen_viewer_logs") if viewer else None
        if sibling and os.access(sibling, os.X_OK):
            return str(sibling)
    return _find("ATR_GEN_VIEWER_LOGS", "atr_gen_viewer_logs")


def plain_env(**extra):
    """A child environment with stable output: UTF-8, no colour settings inherited."""
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env.pop("COLUMNS", None)  # text output fits $COLUMNS when set: tests give --width
    env["LC_ALL"] = "C.UTF-8"
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def viewer():
    path = viewer_path()
    if not path:
        pytest.skip("argtrace-view not built (set ATR_VIEWER or build into build*/)")
    return path


@pytest.fixture(scope="session")
def logs(tmp_path_factory):
    gen = generator_path()
    if not gen:
        pytest.skip("atr_gen_viewer_logs not built (set ATR_GEN_VIEWER_LOGS)")
    out = tmp_path_factory.mktemp("viewer_logs")
    subprocess.run([gen, str(out)], check=True, timeout=60)
    return out


def run_view(viewer, args, cwd, timeout=60, **kw):
    """Run argtrace-view with args in cwd; returns the CompletedProcess (text)."""
    return subprocess.run([viewer] + list(args), cwd=str(cwd), env=plain_env(),
                          capture_output=True, text=True, timeout=timeout, **kw)
