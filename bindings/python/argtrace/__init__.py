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
"""

__version__ = "0.1.0"

from ._api import (action, active, current_span, flush, log, register_summarizer, session,
                   Session, start, stop, trace)
from ._load import Call, Log, Message, ProcessInfo, load
from ._logging import LogHandler
from ._values import (REDACTED, CaptureError, Redacted, Repr, Summary, Truncated, Unknown)

__all__ = [
    "trace", "action", "log", "start", "stop", "session", "Session", "active", "flush",
    "current_span", "register_summarizer", "LogHandler", "load", "Log", "Call", "Message",
    "ProcessInfo", "Truncated", "Summary", "Redacted", "REDACTED", "Repr", "CaptureError",
    "Unknown", "__version__",
]
