"""argtrace: trace Python calls with their arguments, results and durations.

    import argtrace

    @argtrace.trace
    def parse(rows, mode="fast"): ...

    with argtrace.session("app.atr"):
        parse(rows)
    for call in argtrace.load("app.atr").calls("parse"):
        print(call.args, call.duration_ns)

Run a whole program with `argtrace run app.py`, then look at the log with
`argtrace summary app.atr` or `argtrace slow app.atr parse`.

PYTEST_DONT_REWRITE: `argtrace run -m pytest` imports this package before pytest marks the
packages of its plugins (this one's, when installed) for assertion rewriting; this line keeps
pytest from warning that it could not.
"""

__version__: str = "0.1.0"

try:
    from . import _core
except ImportError as e:  # say what is missing instead of a confusing partial-import error
    _why = str(e).splitlines()[0] if str(e) else ""
    _why = "not found" if "partially initialized" in _why or not _why else _why
    if "subinterpreter" in _why or "main interpreter only" in _why:  # one tracer per process
        raise ImportError("argtrace: tracing runs in the main interpreter only, not in a "
                          "subinterpreter (its state is process-wide)") from None
    raise ImportError("argtrace: the C extension argtrace._core cannot be imported (%s); "
                      "install with `pip install .`, or for a CMake build use "
                      "PYTHONPATH=<build dir>/python" % _why) from None

from ._api import (action, active, current_span, flush, log, pause, register_summarizer,
                   resume, session, Session, start, stop, trace)
from ._context import continue_from, current_traceparent

# The reader's side (load, diff, the value classes) and the logging handler are imported on
# first use: a traced program imports argtrace for the tracing path alone, and these took
# 25-30 ms of every traced process's start (the analysis engine's Python half, html,
# dataclasses, logging).
_LAZY = {"diff": "_diff", "load": "_load", "Call": "_load", "Log": "_load", "Message": "_load",
         "ProcessInfo": "_load", "LogHandler": "_logging", "REDACTED": "_values",
         "CaptureError": "_values", "Redacted": "_values", "Repr": "_values",
         "Summary": "_values", "Truncated": "_values", "Unknown": "_values"}

# For type checkers and editors, the names are this package's. (typing.TYPE_CHECKING without
# importing typing: type checkers take any constant of that name as true.)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._diff import diff
    from ._load import Call, Log, Message, ProcessInfo, load
    from ._logging import LogHandler
    from ._values import (REDACTED, CaptureError, Redacted, Repr, Summary, Truncated, Unknown)
del TYPE_CHECKING


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module 'argtrace' has no attribute %r" % (name,))
    import importlib
    value = getattr(importlib.import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "trace", "action", "log", "start", "stop", "pause", "resume", "session", "Session", "active",
    "flush", "current_span", "current_traceparent", "continue_from", "register_summarizer",
    "LogHandler", "load", "diff", "Log", "Call", "Message",
    "ProcessInfo", "Truncated", "Summary", "Redacted", "REDACTED", "Repr", "CaptureError",
    "Unknown", "__version__",
]
