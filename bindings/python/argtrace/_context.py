"""Trace context: how argtrace's spans join a distributed trace (W3C traceparent, OpenTelemetry).

Ids. A call's OpenTelemetry span id is derived from its process's uid and its span id in
the log (8 bytes of BLAKE2b), so `current_traceparent()` at run time and
`argtrace export --format otlp` afterwards give the same id without recording anything per
call. A process run is one trace by default: its trace id is derived from the uid of the run's
first process (forked and multiprocessing-spawned children inherit it, so a run's processes
share one trace).

Joining a trace recorded elsewhere. Inside `continue_from(traceparent)`, and while an
OpenTelemetry span is current (see `install_otel_bridge`), argtrace opens an action named
"argtrace.remote" whose `traceparent` field holds the remote parent. Calls made inside it are
its children in argtrace's tree; the OTLP export does not emit the marker itself but makes its
children children of the remote span, in the remote trace.
"""

from __future__ import annotations  # (annotations unevaluated: typing is not imported)

import contextvars
import functools
import re

from . import _core

TYPE_CHECKING = False
if TYPE_CHECKING:  # `import argtrace` leaves typing out (4-6 ms where nothing else loads it)
    from types import TracebackType
    from typing import Optional, Tuple, Type

__all__ = ["current_traceparent", "continue_from", "REMOTE_ACTION", "span_id_hex",
           "trace_id_hex", "parse_traceparent", "install_otel_bridge"]

REMOTE_ACTION = "argtrace.remote"

_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")

# (trace id hex, marker span, remote span id hex) of the innermost remote parent of this
# context; None outside every continue_from() and OpenTelemetry span.
_remote = contextvars.ContextVar("argtrace_remote_parent", default=None)


class _Run:
    """The uid whose trace this process's spans belong to (the run's first process): set when
    a session starts here, inherited by forked children (their memory is a copy) and handed
    to spawned children through their start configuration."""

    root_uid = 0


def set_trace_root(uid):
    _Run.root_uid = int(uid or 0)


def trace_root():
    """The uid the current run's trace id derives from (0: no session)."""
    return _Run.root_uid or (_core.session_uid() or 0)


def _digest(tag, size, *numbers):
    import hashlib  # (not at import: OpenSSL's module costs `import argtrace` 3-4 ms)
    data = tag + b"".join(int(n).to_bytes(8, "little", signed=False) for n in numbers)
    raw = hashlib.blake2b(data, digest_size=size).digest()
    if raw == bytes(size):  # all-zero ids are invalid in W3C and OTLP
        raw = raw[:-1] + b"\x01"
    return raw.hex()


def span_id_hex(uid, span):
    """The 16-hex-digit OpenTelemetry span id of span `span` of the process with `uid`."""
    return _digest(b"argtrace-span", 8, uid, span)


def trace_id_hex(root_uid):
    """The 32-hex-digit trace id of the run whose first process has `root_uid`."""
    return _digest(b"argtrace-trace", 16, root_uid)


def parse_traceparent(value: str) -> Tuple[str, str, str]:
    """(trace id hex, parent span id hex, flags) of a W3C traceparent header; ValueError for
    anything else (wrong shape, version ff, an all-zero id)."""
    if not isinstance(value, str):
        raise TypeError("argtrace: traceparent must be a str, got %s" % type(value).__name__)
    m = _TRACEPARENT.fullmatch(value.strip().lower())
    if not m or m.group(1) == "ff" or set(m.group(2)) == {"0"} or set(m.group(3)) == {"0"}:
        raise ValueError("argtrace: not a W3C traceparent (\"00-<32 hex>-<16 hex>-<2 hex>\"): %r"
                         % (value,))
    return m.group(2), m.group(3), m.group(4)


def current_traceparent() -> Optional[str]:
    """The W3C traceparent of the span running in this thread or task, to hand to another
    process (an HTTP header, a queue message) that calls `continue_from()` with it; None
    when no session is recording."""
    if not _core.active():
        return None
    remote = _remote.get()
    span = _core.current_span()
    if remote is not None:
        trace, marker, remote_span = remote
        if span in (0, marker):
            return "00-%s-%s-01" % (trace, remote_span)
    else:
        trace = trace_id_hex(trace_root())
        if span == 0:
            return None
    return "00-%s-%s-01" % (trace, span_id_hex(_core.session_uid() or 0, span))


class _RemoteScope:
    """Opens the marker action and publishes the remote parent; closes them in reverse."""

    __slots__ = ("traceparent", "source", "frames")

    def __init__(self, traceparent, source):
        trace, span, _ = parse_traceparent(traceparent)
        self.traceparent = "00-%s-%s-01" % (trace, span)
        self.source = source
        self.frames = []

    def enter(self):
        trace, span, _ = parse_traceparent(self.traceparent)
        marker = 0
        try:
            marker = _core.action_begin(REMOTE_ACTION, {"traceparent": self.traceparent,
                                                        "source": self.source})
        except Exception:  # the tracer never raises into the program
            marker = 0
        token = _remote.set((trace, marker, span))
        self.frames.append((marker, token))

    def exit(self, exc):
        if not self.frames:
            return
        marker, token = self.frames.pop()
        try:
            _remote.reset(token)
        except ValueError:  # reset from another context: leave the variable as it is
            pass
        if marker:
            try:
                _core.action_end(marker, exc)
            except Exception:
                pass


class continue_from:
    """Make the calls inside this block children of a span recorded elsewhere:
    `with argtrace.continue_from(request.headers["traceparent"]): handle(request)`.
    The traceparent is what `current_traceparent()` returned in the calling process (or any
    W3C traceparent, e.g. from OpenTelemetry); the OTLP export then nests this process's
    calls under that span, in that trace. ValueError for a malformed traceparent."""

    def __init__(self, traceparent: str) -> None:
        self._scope = _RemoteScope(traceparent, "traceparent")

    def __enter__(self) -> "continue_from":
        self._scope.enter()
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> bool:
        self._scope.exit(exc)
        return False


# ---- OpenTelemetry: an OTel span made current is a remote parent too --------------------------

def _span_traceparent(otel_context):
    """The traceparent of the span current in an OpenTelemetry Context, or None."""
    from opentelemetry import trace as otel_trace

    sc = otel_trace.get_current_span(otel_context).get_span_context()
    if not sc.is_valid:
        return None
    return "00-%032x-%016x-%02x" % (sc.trace_id, sc.span_id, int(sc.trace_flags))


@functools.lru_cache(maxsize=None)
def _bridge_class():
    from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext

    class ArgtraceRuntimeContext(ContextVarsRuntimeContext):
        """OpenTelemetry's contextvars runtime context, plus: attaching a context whose span
        differs from the current one opens an argtrace remote-parent action for it while
        argtrace records, detaching closes it."""

        def __init__(self, current=None):
            super().__init__()
            if current is not None:  # keep the ContextVar (and so what is current) as it is
                self._current_context = current
            self._scopes = {}  # id(token) -> (token, _RemoteScope opened by attach)

        def attach(self, context):
            scope = None
            if _core.active():
                try:
                    new = _span_traceparent(context)
                    if new is not None and new != _span_traceparent(self.get_current()):
                        scope = _RemoteScope(new, "opentelemetry")
                        scope.enter()
                except Exception:
                    scope = None
            token = super().attach(context)
            if scope is not None:  # Tokens are not hashable; the pair keeps this one alive
                self._scopes[id(token)] = (token, scope)
            return token

        def detach(self, token):
            super().detach(token)
            pair = self._scopes.get(id(token))
            if pair is not None and pair[0] is token:
                del self._scopes[id(token)]
                pair[1].exit(None)

    return ArgtraceRuntimeContext


def runtime_context():
    """Entry point of the `opentelemetry_context` group: `OTEL_PYTHON_CONTEXT=argtrace` makes
    OpenTelemetry use the bridge from its first import on."""
    return _bridge_class()()


def install_otel_bridge():
    """When OpenTelemetry's API is already imported, swap its runtime context for the bridge
    (keeping the current context). Returns True when the bridge is in place. Called when a
    session starts; without OpenTelemetry it does nothing."""
    import sys

    ctx_mod = sys.modules.get("opentelemetry.context")
    if ctx_mod is None:
        return False
    try:
        current = ctx_mod._RUNTIME_CONTEXT
        cls = _bridge_class()
        if type(current) is cls:
            return True
        if type(current) is not cls.__mro__[1]:  # someone else's runtime context: leave it
            return False
        ctx_mod._RUNTIME_CONTEXT = cls(current._current_context)
        return True
    except Exception:
        return False
