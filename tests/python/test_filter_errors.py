"""Filter errors (issue 12 item 7) are the same in the viewer and in the Python API
(`log.calls(...)` raises ValueError with the engine's message): a bare number for a duration
asks for a unit, a filter on an argument the function does not have lists its arguments;
and true/false match bools as True/False do."""

import pytest

import argtrace
from test_viewer_common import logs, run_view, viewer  # noqa: F401 (fixtures)

UNIT = "a duration needs a unit (ns, us, ms, s): 10ms or 10us, not 10"


@pytest.mark.parametrize("expr", ["duration>10", "self<10"])
def test_a_bare_duration_asks_for_a_unit(viewer, logs, expr):
    p = run_view(viewer, ["calls", "basic.atr", "parse", expr], logs)
    assert p.returncode == 2 and UNIT in p.stderr
    log = argtrace.load(str(logs / "basic.atr"))
    with pytest.raises(ValueError, match="a duration needs a unit"):
        log.calls("app.parse", expr)


def test_zero_needs_no_unit(logs):
    log = argtrace.load(str(logs / "basic.atr"))
    assert len(log.calls("app.parse", "duration>=0")) == len(log.calls("app.parse"))


def test_unknown_argument_lists_the_arguments(viewer, logs):
    msg = "no argument 'size' in app.parse (arguments: n, mode)"
    p = run_view(viewer, ["calls", "basic.atr", "parse", "size=3"], logs)
    assert p.returncode == 1 and msg in p.stderr
    log = argtrace.load(str(logs / "basic.atr"))
    with pytest.raises(ValueError, match=r"no argument 'size' in app\.parse \(arguments: n, mode\)"):
        log.calls("app.parse", "size=3")
    with pytest.raises(ValueError, match="no argument 'size'"):
        log.calls("app.parse", size=3)


def test_true_and_false_match_bools(viewer, logs):
    log = argtrace.load(str(logs / "longnames.atr"))
    assert len(log.calls("sqlparse.format", "reindent=true")) == 4
    assert len(log.calls("sqlparse.format", "reindent=True")) == 4
    assert log.calls("sqlparse.format", "reindent=false") == []
    p = run_view(viewer, ["calls", "longnames.atr", "format", "reindent=true", "--json"], logs)
    assert p.returncode == 0 and p.stdout.count('"reindent":true') == 4
