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
    raise ImportError("argtrace: the C extension argtrace._core cannot be imported (%s); "
                      "install with `pip install .`, or for a CMake build use "
                      "PYTHONPATH=<build dir>/python" % _why) from None

from ._api import (action, active, current_span, flush, log, pause, register_summarizer,
                   resume, session, Session, start, stop, trace)
from ._context import continue_from, current_traceparent
from ._diff import diff
from ._load import Call, Log, Message, ProcessInfo, load
from ._logging import LogHandler
from ._values import (REDACTED, CaptureError, Redacted, Repr, Summary, Truncated, Unknown)

__all__ = [
    "trace", "action", "log", "start", "stop", "pause", "resume", "session", "Session", "active",
    "flush", "current_span", "current_traceparent", "continue_from", "register_summarizer",
    "LogHandler", "load", "diff", "Log", "Call", "Message",
    "ProcessInfo", "Truncated", "Summary", "Redacted", "REDACTED", "Repr", "CaptureError",
    "Unknown", "__version__",
]
