"""Shared pytest setup for tests/python (keep small: several owners' tests live here)."""

import os

import pytest

# Text commands fit $COLUMNS when it is set. GNU readline (imported by pytest's debugger
# support) sets it in the C environment behind os.environ's back; tests that run the viewer
# in-process want whole lines, as a pipe gets. Tests that want a width pass it.
os.environ.pop("COLUMNS", None)
os.unsetenv("COLUMNS")


@pytest.fixture
def log_path(tmp_path):
    """A fresh log path in the test's temporary directory."""
    return tmp_path / "t.atr"


@pytest.fixture(autouse=True)
def _stop_leaked_session():
    """A test that fails mid-session must not leave the session running into the next."""
    yield
    try:
        from argtrace import _core
    except ImportError:
        return
    if _core.active():
        _core.stop()
