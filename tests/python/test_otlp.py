"""`argtrace export --format otlp`, `--endpoint`, and trace context (current_traceparent,
continue_from, the OpenTelemetry bridge), checked against the official OTLP protobuf schema
(opentelemetry-proto) and OpenTelemetry's own API."""

import base64
import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
import warnings

import pytest

import argtrace
from argtrace import _context, _otlp, cli
from atr_helpers import child_log, run_python, subprocess_env
from conftest import optional_module

REMOTE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@argtrace.trace
def leaf(x, secret_token="hunter2"):
    if x == 3:
        raise ValueError("three")
    return x * 2


@argtrace.trace
def parent(n):
    out = []
    for i in range(n):
        try:
            out.append(leaf(i))
        except ValueError:
            pass
    return out, argtrace.current_traceparent()


def export(capsys, *args):
    capsys.readouterr()
    rc = cli.main(["export"] + [str(a) for a in args] + ["--format", "otlp"])
    out, err = capsys.readouterr()
    return rc, out, err


def proto_check(request):
    """Parse the OTLP/JSON request with the official schema (ids: OTLP's JSON mapping writes
    them in hex, protobuf's generic JSON parser wants base64) and return the message."""
    optional_module("opentelemetry.proto")
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    doc = json.loads(json.dumps(request))
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in s:
                        assert len(s[key]) == {"traceId": 32}.get(key, 16), s
                        s[key] = base64.b64encode(bytes.fromhex(s[key])).decode()
    msg = trace_service_pb2.ExportTraceServiceRequest()
    json_format.Parse(json.dumps(doc), msg)  # raises on anything outside the schema
    return msg


def spans_of(request):
    return [s for rs in request["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]


def attrs(span):
    return {a["key"]: a["value"] for a in span["attributes"]}


def test_spans_parents_values_and_exceptions_follow_the_schema(tmp_path, capsys):
    path = tmp_path / "a.atr"
    with argtrace.session(path, redact=["secret*"]):
        (values, traceparent) = parent(5)
    assert values == [0, 2, 4, 8]
    rc, out, err = export(capsys, path)
    assert rc == 0, err
    request = json.loads(out)
    msg = proto_check(request)
    assert len(msg.resource_spans[0].scope_spans[0].spans) == 6
    spans = spans_of(request)
    by_name = {}
    for s in spans:
        by_name.setdefault(s["name"], []).append(s)
    (p,) = by_name[__name__ + ".parent"]
    leaves = by_name[__name__ + ".leaf"]
    assert len(leaves) == 5
    assert "parentSpanId" not in p
    assert {s["parentSpanId"] for s in leaves} == {p["spanId"]}
    assert {s["traceId"] for s in spans} == {p["traceId"]}
    assert len({s["spanId"] for s in spans}) == 6
    # what the program saw at run time is what the export says
    assert traceparent == "00-%s-%s-01" % (p["traceId"], p["spanId"])
    log = argtrace.load(path)
    calls = {c.id: c for c in log.calls("leaf")}
    for s in leaves:
        a = attrs(s)
        call = calls[int(a["argtrace.call_id"]["stringValue"])]
        assert a["argtrace.arg.x"] == {"intValue": str(call.args["x"])}
        assert "hunter2" not in json.dumps(a)  # redacted when recorded, stays redacted
        assert "argtrace.arg.secret_token" in a
        assert int(s["startTimeUnixNano"]) <= int(s["endTimeUnixNano"])
        assert int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"]) == call.duration_ns
        if call.exception:
            assert s["status"]["code"] == 2
            (event,) = s["events"]
            ev = {a["key"]: a["value"] for a in event["attributes"]}
            assert event["name"] == "exception"
            assert ev["exception.type"] == {"stringValue": "ValueError"}
            assert ev["exception.message"] == {"stringValue": "three"}
            assert "argtrace.result" not in a
        else:
            assert "status" not in s and "events" not in s
            assert a["argtrace.result"] == {"intValue": str(call.result)}
    # wall-clock times: within the process's lifetime as the PROCESS record places it
    wall0 = log.process.wall_ns
    assert all(int(s["startTimeUnixNano"]) >= wall0 for s in spans)
    assert "hunter2" not in out


def test_continue_from_puts_calls_under_the_remote_span(tmp_path, capsys):
    path = tmp_path / "a.atr"
    with argtrace.session(path):
        with argtrace.continue_from(REMOTE):
            assert argtrace.current_traceparent() == REMOTE  # no argtrace span yet
            leaf(1)
        leaf(2)
    assert argtrace.current_traceparent() is None  # no session
    rc, out, err = export(capsys, path)
    assert rc == 0, err
    spans = spans_of(json.loads(out))
    assert [s["name"] for s in spans] == [__name__ + ".leaf"] * 2  # the marker is not a span
    inside, outside = spans
    assert inside["traceId"] == "0af7651916cd43dd8448eb211c80319c"
    assert inside["parentSpanId"] == "b7ad6b7169203331"
    assert outside["traceId"] != inside["traceId"] and "parentSpanId" not in outside


def test_bad_traceparent_is_a_clear_error():
    for bad in ("", "00-xyz", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "00-00000000000000000000000000000000-b7ad6b7169203331-01",
                "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"):
        with pytest.raises(ValueError, match="traceparent"):
            argtrace.continue_from(bad)
    with pytest.raises(TypeError):
        argtrace.continue_from(None)


def test_a_second_process_continues_the_first_ones_trace(tmp_path, capsys):
    """The header handed over by current_traceparent() nests the other process's calls under
    the caller's span, in the caller's trace, with both logs exported separately."""
    a_path, b_path = tmp_path / "a.atr", tmp_path / "b.atr"
    script = tmp_path / "server.py"
    script.write_text(textwrap.dedent("""
        import sys, argtrace
        @argtrace.trace
        def handle(item):
            return item + 1
        with argtrace.session(sys.argv[1]):
            with argtrace.continue_from(sys.argv[2]):
                handle(41)
    """))
    results = []

    @argtrace.trace
    def client():
        r = run_python([str(script), str(b_path), argtrace.current_traceparent()])
        results.append(r)

    with argtrace.session(a_path):
        client()
    assert results[0].returncode == 0, results[0].stderr
    rc, out_a, err = export(capsys, a_path)
    assert rc == 0, err
    rc, out_b, err = export(capsys, b_path)
    assert rc == 0, err
    (c,) = spans_of(json.loads(out_a))
    (h,) = spans_of(json.loads(out_b))
    assert h["name"] == "__main__.handle"
    assert (h["traceId"], h["parentSpanId"]) == (c["traceId"], c["spanId"])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_spans_share_the_run_trace(tmp_path, capsys):
    path = tmp_path / "a.atr"

    @argtrace.trace
    def forker():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            code = 0
            try:
                leaf(7)
                argtrace.stop()
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.waitpid(pid, 0)
        return pid

    with argtrace.session(path):
        pid = forker()
    child = child_log(path, pid)
    rc, out, err = export(capsys, path, child)  # both logs together
    assert rc == 0, err
    spans = spans_of(json.loads(out))
    (f,) = [s for s in spans if s["name"].endswith("forker")]
    (lf,) = [s for s in spans if s["name"].endswith("leaf")]
    assert lf["parentSpanId"] == f["spanId"] and lf["traceId"] == f["traceId"]
    rc, out, err = export(capsys, child)  # the child alone still points at its parent
    assert rc == 0, err
    (alone,) = spans_of(json.loads(out))
    assert alone["parentSpanId"] == f["spanId"] and alone["traceId"] == f["traceId"]


def test_opentelemetry_span_current_at_a_traced_call_is_its_parent(tmp_path, capsys):
    optional_module("opentelemetry.trace")
    from opentelemetry import trace as otel_trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    ctx = SpanContext(trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736, span_id=0x00F067AA0BA902B7,
                      is_remote=True, trace_flags=TraceFlags(1))
    path = tmp_path / "a.atr"
    with argtrace.session(path):  # OpenTelemetry already imported: the bridge goes in now
        with otel_trace.use_span(NonRecordingSpan(ctx)):
            assert argtrace.current_traceparent() == (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            leaf(5)
        leaf(6)
    rc, out, err = export(capsys, path)
    assert rc == 0, err
    inside, outside = spans_of(json.loads(out))
    assert inside["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert inside["parentSpanId"] == "00f067aa0ba902b7"
    assert "parentSpanId" not in outside


def test_otel_python_context_entry_point(tmp_path):
    """OTEL_PYTHON_CONTEXT=argtrace: OpenTelemetry imported before any session uses the
    bridge from the start (needs the installed entry point)."""
    optional_module("opentelemetry.trace")
    from importlib import metadata

    eps = metadata.entry_points()
    group = (eps.select(group="opentelemetry_context") if hasattr(eps, "select")
             else eps.get("opentelemetry_context", []))
    if not any(ep.name == "argtrace" for ep in group):
        pytest.skip("argtrace is not installed with its entry points (a CMake build)")
    script = tmp_path / "p.py"
    script.write_text(textwrap.dedent("""
        import sys
        from opentelemetry import context
        print(type(context._RUNTIME_CONTEXT).__name__)
    """))
    env_run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                             env=subprocess_env(OTEL_PYTHON_CONTEXT="argtrace"), timeout=60)
    assert env_run.returncode == 0, env_run.stderr
    assert env_run.stdout.strip() == "ArgtraceRuntimeContext"


def test_selection_exports_the_matching_subtrees(tmp_path, capsys):
    path = tmp_path / "a.atr"
    with argtrace.session(path):
        parent(2)
        leaf(9)
    rc, out, err = export(capsys, path, "parent")
    assert rc == 0, err
    names = [s["name"].rsplit(".", 1)[1] for s in spans_of(json.loads(out))]
    assert names == ["parent", "leaf", "leaf"]
    rc, out, err = export(capsys, path, "leaf", "x=9")
    assert rc == 0, err
    (only_span,) = spans_of(json.loads(out))
    assert attrs(only_span)["argtrace.arg.x"] == {"intValue": "9"}


class _Collector(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.got.append((self.path, self.headers, body))
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def collector():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Collector)
    server.got = []
    server.status = 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_endpoint_posts_to_a_collector(tmp_path, capsys, collector, monkeypatch):
    path = tmp_path / "a.atr"
    with argtrace.session(path):
        parent(3)
    url = "http://127.0.0.1:%d" % collector.server_address[1]
    monkeypatch.setattr(_otlp, "_BATCH", 2)  # 4 spans: two requests
    rc, out, err = export(capsys, path, "--endpoint", url, "--header", "api-key=s3cret",
                          "--service-name", "billing")
    assert rc == 0, err
    assert "2 requests posted" in err
    assert [p for p, _, _ in collector.got] == ["/v1/traces", "/v1/traces"]
    spans = []
    for _, headers, body in collector.got:
        assert headers["Content-Type"] == "application/json"
        assert headers["api-key"] == "s3cret"
        request = json.loads(body)
        proto_check(request)
        res = {a["key"]: a["value"] for a in request["resourceSpans"][0]["resource"]["attributes"]}
        assert res["service.name"] == {"stringValue": "billing"}
        spans += spans_of(request)
    assert sorted(s["name"].rsplit(".", 1)[1] for s in spans) == ["leaf"] * 3 + ["parent"]


def test_endpoint_errors_are_one_line(tmp_path, capsys, collector):
    path = tmp_path / "a.atr"
    with argtrace.session(path):
        leaf(1)
    collector.status = 503
    url = "http://127.0.0.1:%d/v1/traces" % collector.server_address[1]
    rc, out, err = export(capsys, path, "--endpoint", url)
    assert rc == 1 and "HTTP 503" in err and len(err.strip().splitlines()) == 1
    rc, out, err = export(capsys, path, "--endpoint", "ftp://example.invalid")
    assert rc == 2 and "http(s) URL" in err  # a usage error, as other bad options
    rc, out, err = export(capsys, tmp_path / "missing.atr", "--endpoint", "notaurl")
    assert rc == 2 and "http(s) URL" in err  # said before any log is read
    port = collector.server_address[1]
    collector.shutdown()
    collector.server_close()
    rc, out, err = export(capsys, path, "--endpoint", "http://127.0.0.1:%d" % port)
    assert rc == 1 and "cannot post" in err and len(err.strip().splitlines()) == 1


def test_bad_command_lines(tmp_path, capsys):
    path = tmp_path / "a.atr"
    with argtrace.session(path):
        leaf(1)
    assert export(capsys, path, "--bogus")[0] == 2
    assert export(capsys, path, "-o", tmp_path / "x.json", "--endpoint", "http://h")[0] == 2
    assert export(capsys, path, "--header", "novalue")[0] == 2
    rc, out, err = export(capsys, tmp_path / "missing.atr")
    assert rc == 1 and err.strip()
    rc, out, err = export(capsys, path, "nosuchfunction")
    assert rc == 1 and "nosuchfunction" in err
    rc, out, err = export(capsys, path, "-o", tmp_path / "x.json")
    assert rc == 0 and json.loads((tmp_path / "x.json").read_text())["resourceSpans"]


def test_ids_are_stable_and_well_formed():
    assert _context.span_id_hex(1, 2) == _context.span_id_hex(1, 2)
    assert _context.span_id_hex(1, 2) != _context.span_id_hex(2, 1)
    assert len(_context.trace_id_hex(5)) == 32 and int(_context.trace_id_hex(5), 16)
    assert _context.parse_traceparent(REMOTE.upper()) == (
        "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "01")
