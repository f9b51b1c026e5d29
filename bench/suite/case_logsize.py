"""Log bytes per recorded call: the same workload (fib(N), every call with its argument and
result where the tool records them) written by argtrace (filter tracing and the decorator),
Eliot (@log_call JSON lines), VizTracer (JSON with and without args, and its compressed .cvf
made by `viztracer --compress`), and hunter (CallPrinter text). The gzip -6 size of each file
is shown next to it for reference (argtrace's files are already zstd-compressed)."""

import gzip
import json
import os
import subprocess
import sys
import tempfile

import common

TITLE = "Log bytes per recorded call (fib, argument + result)"


def gz_size(path):
    with open(path, "rb") as f:
        return len(gzip.compress(f.read(), 6))


def child(argv):
    n = int(argv[0])
    import workloads  # noqa: F401
    import wl_fib
    import tools
    fib = wl_fib.fib
    calls = sum(workloads.count_calls("wl_fib", lambda: fib(n)).values())
    tmp = tempfile.mkdtemp(prefix="atr_size_")
    rows = []

    def add(tool, label, path, args):
        size = os.path.getsize(path)
        rows.append({"tool": tool, "label": label, "bytes": size, "gzip_bytes": gz_size(path),
                     "per_call": size / calls, "gzip_per_call": gz_size(path) / calls,
                     "args": args, "status": "ok"})

    def fail(tool, label, e):
        rows.append({"tool": tool, "label": label, "status": "skipped",
                     "why": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e)
                                        else "")})

    try:
        import argtrace
        p = os.path.join(tmp, "filter.atr")
        tools._argtrace_start(p, ["wl_fib"])
        fib(n)
        tools._argtrace_stop({})
        add("argtrace-filter", "argtrace filter tracing (.atr)", p, "args+result")
        p = os.path.join(tmp, "dec.atr")
        wl_fib.fib = argtrace.trace(fib)
        argtrace.start(p)
        wl_fib.fib(n)
        argtrace.stop()
        wl_fib.fib = fib
        add("argtrace-decorator", "argtrace @trace (.atr)", p, "args+result")
    except Exception as e:
        wl_fib.fib = fib
        tools.cleanup()
        fail("argtrace", "argtrace", e)
    try:
        import eliot
        p = os.path.join(tmp, "eliot.json")
        with open(p, "w") as out:
            dest = eliot.FileDestination(file=out)
            eliot.add_destinations(dest)
            wl_fib.fib = eliot.log_call(fib)
            wl_fib.fib(n)
            wl_fib.fib = fib
            eliot.remove_destination(dest)
        add("eliot", "Eliot @log_call (JSON lines)", p, "args+result")
    except Exception as e:
        wl_fib.fib = fib
        fail("eliot", "Eliot", e)
    try:
        import viztracer
        for name, extra, args in (("viztracer-args", {"log_func_args": True,
                                                      "log_func_retval": True}, "args+result"),
                                  ("viztracer", {}, "no args")):
            p = os.path.join(tmp, name + ".json")
            t = viztracer.VizTracer(verbose=0, output_file=p, **extra)
            t.start()
            fib(n)
            t.stop()
            t.save()
            t.clear()
            add(name, "VizTracer %s (JSON)" % ("log_func_args+retval" if extra else "default"),
                p, args)
            cvf = p[:-5] + ".cvf"
            r = subprocess.run([os.path.join(os.path.dirname(sys.executable), "viztracer"),
                                "--compress", p, "-o", cvf], capture_output=True, text=True)
            if r.returncode == 0 and os.path.exists(cvf):
                add(name + "-cvf", "VizTracer %s (.cvf, viztracer --compress)"
                    % ("log_func_args+retval" if extra else "default"), cvf,
                    "no args (cvf drops them)" if extra else "no args")
            else:
                rows.append({"tool": name + "-cvf", "label": "VizTracer .cvf", "status":
                             "skipped", "why": "viztracer --compress: exit %d: %s"
                             % (r.returncode, common.one_line(r.stderr))})
    except Exception as e:
        fail("viztracer", "VizTracer", e)
    try:
        import hunter
        p = os.path.join(tmp, "hunter.txt")
        with open(p, "w") as out:
            hunter.trace(hunter.Q(module="wl_fib"),
                         action=hunter.CallPrinter(stream=out, force_colors=False))
            fib(n)
            hunter.stop()
        add("hunter", "hunter CallPrinter (text)", p, "args+result")
    except Exception as e:
        fail("hunter", "hunter", e)
    print(json.dumps({"calls": calls, "n": n, "rows": rows}))


def run(cfg, ctx):
    n = cfg.get("logsize_fib", 20)
    data, why = common.case_child(ctx, ["logsize", n])
    if data is None:
        return common.result("logsize", TITLE, status="failed", why=why)
    for r in data["rows"]:
        if r["status"] == "ok":
            print("  logsize: %-20s %8.2f B/call (gzip %.2f)" % (r["tool"], r["per_call"],
                                                              r["gzip_per_call"]), flush=True)
        else:
            print("  logsize: %s skipped: %s" % (r["tool"], r["why"]), flush=True)
    return common.result("logsize", TITLE, data["rows"], calls=data["calls"],
                         workload="fib(%d)" % n)
