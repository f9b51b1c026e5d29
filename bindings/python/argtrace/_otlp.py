"""`argtrace export --format otlp`: logs as an OTLP/JSON ExportTraceServiceRequest.

One span per recorded call (and action), in the trace its process run belongs to, or in the
remote trace it continued (argtrace/_context.py says how ids are derived). Arguments and the
result are span attributes `argtrace.arg.NAME` and `argtrace.result` with the values as the log
holds them: a value redacted or cut when it was recorded stays redacted or cut. An exception
is a span event "exception" (exception.type, exception.message) and status ERROR. Times are
Unix-epoch nanoseconds (the PROCESS record's wall_ns/clock_ns pair). The encoding is OTLP's JSON
mapping: hex trace and span ids, 64-bit integers as decimal strings, enums as numbers.
"""

import json
import sys

from . import __version__, _context
from ._export_args import OTLP, ExportError, load_logs, not_found, parse, selection_error
from ._values import CaptureError, Redacted, Repr, Summary, Truncated, Unknown

__all__ = ["export_request", "write", "post", "main"]

SPAN_KIND_INTERNAL = 1
STATUS_ERROR = 2
_BATCH = 5000  # spans per request posted to a collector


def _any(value, depth=0):
    """An OTLP AnyValue for a value of the log."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        if -(1 << 63) <= value < (1 << 63):
            return {"intValue": str(value)}
        return {"stringValue": str(value)}
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"stringValue": repr(value)}
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bytes):
        import base64

        return {"bytesValue": base64.b64encode(value).decode("ascii")}
    if depth < 4 and isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [_any(v, depth + 1) for v in value]}}
    if depth < 4 and isinstance(value, dict):
        return {"kvlistValue": {"values": [{"key": str(k), "value": _any(v, depth + 1)}
                                           for k, v in value.items()]}}
    if isinstance(value, Truncated):
        return {"stringValue": "%s... (%d bytes)" % (
            value.value if value.is_text else repr(value.value), value.length)}
    if isinstance(value, (Redacted, Repr, Summary, CaptureError, Unknown)):
        return {"stringValue": repr(value)}
    return {"stringValue": repr(value)}


def _attr(key, value):
    return {"key": key, "value": _any(value)}


class _Ids:
    """Trace and span ids of a loaded Log's calls (docs: argtrace/_context.py)."""

    def __init__(self, log):
        self.log = log
        self.uids = [p.uid or 0 for p in log.processes]
        by_uid = {p.uid: p for p in log.processes}
        self.root_uid = []
        for p in log.processes:  # up the parent_uid chain as far as the loaded logs go
            uid, seen = p.uid or 0, set()
            q = p
            while q is not None and q.parent_uid and uid not in seen:
                seen.add(uid)
                uid = q.parent_uid
                q = by_uid.get(uid)
            self.root_uid.append(uid)
        self.trace_of = {}  # call id -> (trace hex, remote parent span hex or None)

    def file_of(self, call):
        return call._r()[2]

    def span(self, call):
        return _context.span_id_hex(self.uids[self.file_of(call)], call.span)

    def remote(self, call):
        """(trace, remote parent span) when `call` is a remote-parent marker, else None."""
        if not call.is_action or call.function != _context.REMOTE_ACTION:
            return None
        try:
            trace, span, _ = _context.parse_traceparent(call.fields.get("traceparent"))
        except (TypeError, ValueError):
            return None
        return trace, span

    def trace(self, call):
        """The trace id of `call`: its nearest remote marker's trace, else its run's."""
        chain = []
        c = call
        found = None
        while c is not None:
            key = c.id
            if key in self.trace_of:
                found = self.trace_of[key]
                break
            r = self.remote(c)
            if r is not None:
                found = r[0]
                self.trace_of[key] = found
                break
            chain.append(key)
            c = c.parent()
        if found is None:
            found = _context.trace_id_hex(self.root_uid[self.file_of(call)])
        for key in chain:
            self.trace_of[key] = found
        return found

    def parent_span(self, call):
        """The parent's span id hex, a remote parent's, or None for a root."""
        parent = call.parent()
        if parent is not None:
            r = self.remote(parent)
            return r[1] if r is not None else self.span(parent)
        proc = self.log.processes[self.file_of(call)]
        if proc.parent_uid and proc.parent_span:  # a child whose parent's log is not loaded
            return _context.span_id_hex(proc.parent_uid, proc.parent_span)
        return None


def _span(call, ids, wall_offset, end_fallback):
    start = call.start_ns
    end = call.end_ns
    attrs = [_attr("code.namespace", call._func.module),
             _attr("code.function", call._func.qualname),
             _attr("argtrace.call_id", str(call.id)),
             _attr("thread.id", call.thread)]
    if call._func.file:
        attrs.append(_attr("code.filepath", call._func.file))
        attrs.append(_attr("code.lineno", call._func.line))
    for name, value in call.args.items():
        attrs.append(_attr("argtrace.arg." + name, value))
    for name, value in call.fields.items():
        attrs.append(_attr("argtrace.field." + name, value))
    if call.status == "return" and not call.is_action:
        attrs.append(_attr("argtrace.result", call.result))
    if call.active_ns is not None and call.active_ns != call.duration_ns:
        attrs.append(_attr("argtrace.active_ns", call.active_ns))
    if end is None:
        attrs.append(_attr("argtrace.unfinished", True))
        end = max(start, end_fallback)
    span = {"traceId": ids.trace(call), "spanId": ids.span(call),
            "name": call.function, "kind": SPAN_KIND_INTERNAL,
            "startTimeUnixNano": str(start + wall_offset),
            "endTimeUnixNano": str(end + wall_offset),
            "attributes": attrs}
    parent = ids.parent_span(call)
    if parent is not None:
        span["parentSpanId"] = parent
    exc = call.exception
    if exc is not None:
        etype, message = exc
        span["events"] = [{"timeUnixNano": str(end + wall_offset), "name": "exception",
                           "attributes": [_attr("exception.type", etype),
                                          _attr("exception.message",
                                                message if isinstance(message, str)
                                                else repr(message))]}]
        span["status"] = {"code": STATUS_ERROR,
                          "message": "%s: %s" % (etype, message if isinstance(message, str)
                                                 else repr(message))}
    return span


def _resource(proc, service_name):
    argv = [str(a) for a in (proc.argv or [])]
    name = service_name or (argv[0].rsplit("/", 1)[-1] if argv else "argtrace")
    attrs = [_attr("service.name", name), _attr("process.pid", proc.pid or 0),
             _attr("process.command_args", argv), _attr("argtrace.process_uid",
                                                        "%016x" % (proc.uid or 0))]
    if proc.host:
        attrs.append(_attr("host.name", proc.host))
    if proc.runtime:
        attrs.append(_attr("process.runtime.description", str(proc.runtime)))
    return {"attributes": attrs}


def _selected(log, function, filters):
    """The calls to export: every call, or the subtrees of the calls matching the selection
    (as the other export formats select)."""
    if function is None and not filters:
        return log.calls()
    roots = log.calls(function, *filters)
    out, seen = [], set()
    stack = list(reversed(roots))
    while stack:
        c = stack.pop()
        if c.id in seen:
            continue
        seen.add(c.id)
        out.append(c)
        stack.extend(reversed(c.children))
    return out


def export_requests(log, function=None, filters=(), service_name=None, batch=None):
    """Yield ExportTraceServiceRequest dicts (one, or one per `batch` spans)."""
    ids = _Ids(log)
    per_file = {}
    for call in _selected(log, function, filters):
        if ids.remote(call) is not None:
            continue  # the remote parent's span is the other process's, not ours
        per_file.setdefault(ids.file_of(call), []).append(call)
    pending, count = [], 0
    for f in sorted(per_file):
        proc = log.processes[f]
        offset = (proc.wall_ns or 0) - (proc.clock_ns or 0)
        end_fallback = log.end_ns or 0
        spans = []
        for call in per_file[f]:
            spans.append(_span(call, ids, offset, end_fallback))
            count += 1
            if batch and count >= batch:
                pending.append((proc, spans))
                yield _request(pending, service_name)
                pending, spans, count = [], [], 0
        if spans:
            pending.append((proc, spans))
    if pending or not batch:
        yield _request(pending, service_name)


def _request(parts, service_name):
    return {"resourceSpans": [
        {"resource": _resource(proc, service_name),
         "scopeSpans": [{"scope": {"name": "argtrace", "version": __version__},
                         "spans": spans}]}
        for proc, spans in parts]}


def export_request(log, function=None, filters=(), service_name=None):
    """The whole selection as one ExportTraceServiceRequest dict."""
    return next(export_requests(log, function, filters, service_name))


def write(log, out, function=None, filters=(), service_name=None):
    json.dump(export_request(log, function, filters, service_name), out, separators=(",", ":"))
    out.write("\n")


def endpoint_url(endpoint):
    """The URL spans are posted to: `endpoint` with "/v1/traces" when it has no path, as OTLP
    exporters do; ValueError when it is no http(s) URL."""
    import urllib.parse
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("argtrace: --endpoint must be an http(s) URL, got %r" % endpoint)
    if parts.path in ("", "/"):
        return urllib.parse.urlunsplit(parts._replace(path="/v1/traces"))
    return endpoint


def post(log, endpoint, function=None, filters=(), service_name=None, headers=(),
         timeout=10.0):
    """POST the spans to an OTLP/HTTP endpoint (JSON encoding) in batches; returns the number
    of requests. URL without a path: "/v1/traces" is appended, as OTLP exporters do."""
    import urllib.error
    import urllib.request

    endpoint = endpoint_url(endpoint)
    sent = 0
    for request in export_requests(log, function, filters, service_name, batch=_BATCH):
        body = json.dumps(request, separators=(",", ":")).encode("utf-8")
        req = urllib.request.Request(endpoint, data=body, method="POST")
        req.add_header("Content-Type", "application/json")
        for key, value in headers:
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                resp.read()
        except urllib.error.HTTPError as e:
            raise OSError("argtrace: %s answered HTTP %d %s" % (endpoint, e.code, e.reason))
        except urllib.error.URLError as e:
            raise OSError("argtrace: cannot post to %s: %s" % (endpoint, e.reason))
        sent += 1
    return sent


USAGE = """\
usage: argtrace export LOG... --format otlp [FUNC] [FILTER...] [--min-duration T] [-o OUT]
                              [--endpoint URL] [--header NAME=VALUE] [--service-name NAME]

OpenTelemetry: one span per call (arguments and result as attributes, redaction kept;
exceptions as events with status ERROR), in an OTLP/JSON ExportTraceServiceRequest.
  -o, --output OUT       write the JSON there (default: standard output)
  --endpoint URL         post to an OTLP/HTTP collector instead (URL without a path:
                         /v1/traces), in batches of 5000 spans
  --header NAME=VALUE    an HTTP header for the collector (repeatable), e.g. an API key
  --service-name NAME    the resource's service.name (default: the program's name)
  --min-duration T       only calls lasting T or more (e.g. 5ms), with what they called
  --max-memory SIZE      give up analysing past SIZE of memory (default 4G; 0: no limit)
FUNC and FILTERs (name=value, name>value, ...) export the matching calls' subtrees.
Spans of a process run share a trace; calls inside argtrace.continue_from() or an
OpenTelemetry span join that trace (docs/OTLP.md).
"""


def main(argv):
    """`argtrace export ... --format otlp` (argv: the words after `export`). Returns the
    exit status."""
    try:
        opts = parse(argv, OTLP)
        if opts["help"]:
            sys.stdout.write(USAGE)
            return 0
        headers = []
        for h in opts["headers"]:
            if "=" not in h or not h.split("=", 1)[0].strip():
                raise ExportError("--header wants NAME=VALUE, not '%s'" % h, 2)
            k, v = h.split("=", 1)
            headers.append((k.strip(), v.strip()))
        endpoint, out = opts["endpoint"], opts["output"]
        if out is not None and endpoint is not None:
            raise ExportError("give -o or --endpoint, not both", 2)
        if endpoint is not None:  # a usage error, before any log is read
            try:
                endpoint_url(endpoint)
            except ValueError as e:
                raise ExportError(str(e).replace("argtrace: ", "", 1), 2) from None
        log = load_logs(opts)
        function, filters = opts["func"], opts["filters"]
        try:
            if function is not None and log.resolve(function) is None:
                raise not_found(function)
        except ValueError as e:  # ambiguous
            raise ExportError(str(e).replace("argtrace: ", "", 1), 2) from None
        try:
            if endpoint is not None:
                n = post(log, endpoint, function, filters, opts["service_name"], headers)
                sys.stderr.write("argtrace export: %d request%s posted to %s\n"
                                 % (n, "" if n == 1 else "s", endpoint))
            elif out is None or out == "-":
                write(log, sys.stdout, function, filters, opts["service_name"])
            else:
                with open(out, "w", encoding="utf-8") as f:
                    write(log, f, function, filters, opts["service_name"])
        except OSError as e:
            raise ExportError(str(e).replace("argtrace: ", "", 1)) from None
        except ValueError as e:  # a bad filter, or no such argument: as the viewer says it
            raise selection_error(e, opts) from None
    except ExportError as e:
        sys.stderr.write("argtrace export: %s\n" % e)
        return e.status
    return 0
