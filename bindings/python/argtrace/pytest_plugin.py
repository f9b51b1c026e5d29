"""pytest plugin: `pytest --argtrace` writes one log per test to .argtrace/<test id>.atr;
`--argtrace-trace PATTERN` does too, tracing the functions the pattern selects (filter
tracing, docs/FILTERS.md), and the session ends with a report of the slowest traced functions
(`--argtrace-report N`, default 5, 0: none). The `argtrace_session` fixture gives a test its
own log path with a session active.

Registered through the `pytest11` entry point (`argtrace = "argtrace.pytest_plugin"`), or
with `-p argtrace.pytest_plugin`.
"""

import hashlib
import pathlib
import re

import pytest

_LOGS = pytest.StashKey[list]()  # [(test id, log path)] of the per-test logs written
_WIDTH = 80
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
    group.addoption("--argtrace-trace", action="append", default=[], metavar="PATTERN",
                    help="trace the functions PATTERN selects (e.g. mypkg, mypkg.db:Query; "
                    "docs/FILTERS.md) in each test, one log per test as --argtrace; "
                    "repeatable")
    group.addoption("--argtrace-report", type=int, default=5, metavar="N",
                    help="at the end, list the N slowest traced functions over all tests "
                    "(total time per function and test; default 5, 0: no report)")


def pytest_configure(config):
    patterns = config.getoption("argtrace_trace")
    if patterns:
        try:
            _core().filter_check(list(patterns))
        except (ValueError, TypeError) as e:
            raise pytest.UsageError(str(e).splitlines()[0] if str(e) else "bad pattern")
    if config.getoption("argtrace_report") < 0:
        raise pytest.UsageError("argtrace: --argtrace-report needs N >= 0 (0: no report), not "
                                "%d" % config.getoption("argtrace_report"))
    if _enabled(config):  # before the first test: a directory that cannot be made is one line
        try:
            _log_dir(config).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise pytest.UsageError("argtrace: cannot create --argtrace-dir %s: %s"
                                    % (_log_dir(config), e.strerror or e))
    config.stash[_LOGS] = []


def _enabled(config):
    return config.getoption("argtrace") or bool(config.getoption("argtrace_trace"))


def _core():
    from . import _core as core
    return core


def _log_dir(config):
    return pathlib.Path(config.rootpath, config.getoption("argtrace_dir"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not _enabled(item.config):
        yield
        return
    core = _core()
    path = None
    patterns = list(item.config.getoption("argtrace_trace"))
    filtering = False
    if not core.active():
        directory = _log_dir(item.config)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / (sanitise_test_id(item.nodeid) + ".atr")
        core.start(str(path), argv=["pytest", item.nodeid])
        item.config.stash[_LOGS].append((item.nodeid, str(path)))
        if patterns:
            try:
                core.filter_start(patterns, [])
                filtering = True
            except RuntimeError:  # another profiler holds the hook: the decorated calls only
                pass
    try:
        yield
    finally:
        if filtering:
            core.filter_stop()
        if path is not None:
            _stop_through(core, str(path))


def _duration(ns):
    for unit, scale in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if ns >= scale:
            return "%.3g%s" % (ns / scale, unit)
    return "%dns" % ns


def _fit(text, width):
    """`text` cut to `width` characters, its start replaced by '...' when too long."""
    return text if len(text) <= width else "..." + text[len(text) - width + 3:]


def slowest(logs, n):
    """The n (total time, calls, function, test id) of the most total time over the logs."""
    from ._load import load
    rows = []
    for nodeid, path in logs:
        try:
            stats = load(path).functions()
        except (OSError, ValueError):
            continue
        rows.extend((f.total_ns, f.calls, f.name, nodeid) for f in stats)
    rows.sort(key=lambda r: -r[0])
    return rows[:n]


def report_lines(rows, width=_WIDTH):
    """One line per row: total time, calls, function, test id (each line <= width)."""
    lines = []
    for total, calls, name, nodeid in rows:
        head = "%9s %7d %s  " % (_duration(total), calls, "call " if calls == 1 else "calls")
        room = width - len(head)
        name = _fit(name, max(room // 2, room - len(nodeid) - 2))
        lines.append(head + name + "  " + _fit(nodeid, room - len(name) - 2))
    return lines


def _terminal_width(reporter):
    return getattr(getattr(reporter, "_tw", None), "fullwidth", _WIDTH)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    n = config.getoption("argtrace_report")
    logs = config.stash.get(_LOGS, [])
    if not logs or n <= 0 or not _enabled(config):
        return
    rows = slowest(logs, n)
    if not rows:
        return
    terminalreporter.write_sep("=", "argtrace: slowest traced functions (%d)" % len(rows),
                               fullwidth=min(_terminal_width(terminalreporter), _WIDTH))
    for line in report_lines(rows):
        terminalreporter.write_line(line)


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
    return path in core.session_paths()
