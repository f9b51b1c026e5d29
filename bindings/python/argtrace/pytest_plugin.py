"""pytest plugin: `pytest --argtrace` writes one log per test to .argtrace/<test id>.atr;
the `argtrace_session` fixture gives a test its own log path with a session active.

Registered through the `pytest11` entry point (`argtrace = "argtrace.pytest_plugin"`), or
with `-p argtrace.pytest_plugin`.
"""

import hashlib
import pathlib
import re

import pytest

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
_MAX_NAME = 150


def sanitise_test_id(nodeid):
    """A file name for a test id: 'tests/test_a.py::test_x[1-a b]' → 'tests_test_a.py__test_x_1-a_b'
    (long ids are shortened and suffixed with a hash so they stay unique)."""
    name = _UNSAFE.sub("_", nodeid.replace("::", "__")).strip("_.") or "test"
    if len(name) > _MAX_NAME:
        digest = hashlib.sha1(nodeid.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        name = name[:_MAX_NAME] + "-" + digest
    return name


def pytest_addoption(parser):
    group = parser.getgroup("argtrace")
    group.addoption("--argtrace", action="store_true", default=False,
                    help="record each test's traced calls to <argtrace-dir>/<test id>.atr")
    group.addoption("--argtrace-dir", default=".argtrace", metavar="DIR",
                    help="directory of the per-test logs (default: .argtrace)")


def _core():
    from . import _core as core
    return core


def _log_dir(config):
    return pathlib.Path(config.rootpath, config.getoption("argtrace_dir"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not item.config.getoption("argtrace"):
        yield
        return
    core = _core()
    path = None
    if not core.active():
        directory = _log_dir(item.config)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / (sanitise_test_id(item.nodeid) + ".atr")
        core.start(str(path), argv=["pytest", item.nodeid])
    try:
        yield
    finally:
        if path is not None:
            _stop_through(core, str(path))


@pytest.fixture
def argtrace_session(request, tmp_path):
    """The path of this test's log, with a session recording to it during the test.
    Under --argtrace this is the per-test log; otherwise a file in tmp_path. The session
    is stopped after the test (or earlier if the test calls argtrace.stop())."""
    core = _core()
    if core.active():
        yield pathlib.Path(core.session_path())
        return
    path = tmp_path / (sanitise_test_id(request.node.nodeid) + ".atr")
    core.start(str(path), argv=["pytest", request.node.nodeid])
    try:
        yield path
    finally:
        _stop_through(core, str(path))


def _stop_through(core, path):
    """Stop the session writing to `path`, and first the sessions a test left open inside
    it (nested sessions: argtrace.start() in a test without stop()). Nothing if the test
    already stopped it."""
    if core.session_path() != path and not _nested_in(core, path):
        return
    while core.active():
        own = core.session_path() == path
        core.stop()
        if own:
            return


def _nested_in(core, path):
    nesting = getattr(core, "session_paths", None)
    return nesting is not None and path in nesting()
