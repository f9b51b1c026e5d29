"""Render a results dict (main.py) as docs/benchmarks.md and docs/img/benchmarks.png.

The text around the tables that interprets them (what misses a target, what would fix it)
is kept in bench/suite/findings.md and inserted as is, so a re-run refreshes the numbers
without losing it; the target verdicts in the first table are computed from the numbers.
"""

import os

import common

WORKLOAD_ORDER = ["fib", "richards", "deltablue", "raytrace", "nbody"]
TOOL_LABELS = {"untraced": "untraced", "argtrace": "**argtrace** filter, args+result",
               "argtrace-reject": "**argtrace** filter rejecting all",
               "cprofile": "cProfile", "viztracer": "VizTracer default",
               "viztracer-args": "VizTracer args+retval", "yappi": "yappi (wall)",
               "hunter": "hunter CallPrinter", "pyinstrument": "pyinstrument (sampling)"}


def f1(x, fmt="%.1f"):
    if x is None or x != x:
        return "—"
    return fmt % x


def not_ok(r):
    return "%s: %s" % (r["status"], r.get("why", ""))


def case(info, name):
    return info["cases"].get(name) or {"status": "skipped", "why": "not run (--only)",
                                       "rows": [], "notes": []}


def row_of(rows, key, value):
    for r in rows:
        if r.get(key) == value:
            return r
    return None


def whole_tool(info, workload, tool, key="whole"):
    c = case(info, key)
    w = row_of(c["rows"], "workload", workload)
    if not w or w["status"] != "ok":
        return None, w
    return row_of(w["tools"], "tool", tool), w


def sns(ns):
    """Signed duration: +161 ns, -1 ns, +17.2 µs."""
    return ("+" if ns >= 0 else "-") + common.fmt_ns(abs(ns))


def verdict(ok):
    return "met" if ok else "**missed**"


def newer(py):
    """True for CPython 3.12 and later (sys.monitoring)."""
    return tuple(int(x) for x in py.split(".")[:2]) >= (3, 12)


def filter_targets(info, key, py):
    out = []
    t, w = whole_tool(info, "fib", "argtrace", key)
    lim = 250 if not newer(py) else 120
    if t and t["status"] == "ok":
        v, _ = whole_tool(info, "fib", "viztracer-args", key)
        vd, _ = whole_tool(info, "fib", "viztracer", key)
        peers = []
        if v and v["status"] == "ok":
            peers.append("VizTracer args+retval %s" % sns(v["ns_per_call"]))
        if vd and vd["status"] == "ok":
            peers.append("VizTracer default %s" % sns(vd["ns_per_call"]))
        out.append("| filter tracing, every call, args captured (%s, CPython %s) | ≤ %d ns/call "
                   "| %s | %s | %s |" % (w["label"], py, lim, sns(t["ns_per_call"]),
                                          verdict(t["ns_per_call"] <= lim), "; ".join(peers)))
    worst = None
    for w2 in case(info, key)["rows"]:
        if w2["status"] != "ok" or w2["workload"] == "fib" or w2["calls"] < 1000:
            continue
        t2 = row_of(w2["tools"], "tool", "argtrace")
        if t2 and t2["status"] == "ok" and (worst is None or t2["ns_per_call"] > worst[1]):
            worst = (w2["label"], t2["ns_per_call"])
    if worst:
        out.append("| filter tracing, every call, args captured (slowest per call of the "
                   "pyperformance programs: %s, CPython %s) | ≤ %d ns/call | %s | %s | |"
                   % (worst[0], py, lim, sns(worst[1]), verdict(worst[1] <= lim)))
    r, w = whole_tool(info, "fib", "argtrace-reject", key)
    if r and r["status"] == "ok":
        cp, _ = whole_tool(info, "fib", "cprofile", key)
        target = "≈ 0 ns" if newer(py) else "≤ the profile hook's cost (66–165 ns)"
        ok = r["ns_per_call"] <= (20 if newer(py) else 165)
        peer = ("cProfile %s" % sns(cp["ns_per_call"])
                if cp and cp["status"] == "ok" else "")
        out.append("| filter tracing, functions the filter rejects (%s, CPython %s) | %s | %s "
                   "| %s | %s |" % (w["label"], py, target, sns(r["ns_per_call"]),
                                    verdict(ok), peer))
    return out


def decorator_target(info, key):
    out = []
    dec = case(info, key)
    py = dec.get("python", info["machine"]["python"])
    a = row_of(dec["rows"], "variant", "argtrace")
    if a and a["status"] == "ok":
        peers = []
        for v in ("eliot", "viztracer"):
            r = row_of(dec["rows"], "variant", v)
            if r and r["status"] == "ok":
                name = "Eliot @log_call" if v == "eliot" else "VizTracer @log_sparse"
                peers.append("%s %s" % (name, sns(r["added_ns"])))
        out.append("| decorator, 1 int arg + result (CPython %s) | ≤ 100 ns added per call "
                   "| %s | %s | %s |" % (py, sns(a["added_ns"]),
                                          verdict(a["added_ns"] <= 100), "; ".join(peers)))
    else:
        out.append("| decorator | ≤ 100 ns | %s | not measured | |" % (
            not_ok(a) if a else not_ok(dec)))
    return out


def targets(info):
    out = ["| what | target (DESIGN.md §7) | argtrace measured | verdict | peers measured |",
           "| --- | --- | --- | --- | --- |"]
    for key in [k for k in info["cases"] if k.split("@")[0] == "decorator"]:
        out += decorator_target(info, key)
    for key in [k for k in info["cases"] if k.split("@")[0] == "whole"]:
        py = info["cases"][key].get("python", info["machine"]["python"])
        out += filter_targets(info, key, py)
    ls = case(info, "logsize")
    a = row_of(ls["rows"], "tool", "argtrace-filter")
    if a and a["status"] == "ok":
        peers = []
        for k, lab in (("eliot", "Eliot"), ("viztracer-args", "VizTracer JSON with args"),
                       ("viztracer-args-cvf", "VizTracer .cvf")):
            r = row_of(ls["rows"], "tool", k)
            if r and r["status"] == "ok":
                peers.append("%s %.1f B" % (lab, r["per_call"]))
        out.append("| log size per call with args (%s) | ≤ 4 B | %.2f B | %s | %s |"
                   % (ls.get("workload", ""), a["per_call"], verdict(a["per_call"] <= 4),
                      "; ".join(peers)))
    vw = case(info, "viewer")
    big = [r for r in vw["rows"] if r.get("big") and r["status"] == "ok"]
    if big:
        b = big[0]
        worst = max((r for r in b["results"].values() if r["status"] == "ok"),
                    key=lambda r: r["wall"], default=None)
        if worst:
            ok = all(r["status"] == "ok" and r["wall"] <= 5 and r["rss_mib"] <= 1024
                     for r in b["results"].values())
            ok_cpu = all(r["status"] == "ok" and r["cpu"] <= 5 and r["rss_mib"] <= 1024
                         for r in b["results"].values())
            name = [k for k, r in b["results"].items() if r is worst][0]
            note = "" if b["calls"] >= 10_000_000 else " (%s calls, not 10M: quick mode)" % (
                "{:,}".format(b["calls"]))
            et = None
            for r in vw["rows"]:
                if r.get("status") == "ok" and not r.get("big"):
                    e = r["results"].get("eliot-tree")
                    if e and e["status"] == "ok":
                        et = "eliot-tree %.1f s wall, %.1f s CPU for %s calls" % (
                            e["wall"], e["cpu"], "{:,}".format(r["calls"]))
            out.append("| viewer: load + per-argument analysis of 10M calls | ≤ 5 s, ≤ 1 GiB | "
                       "slowest: %s %.1f s wall (%.1f s CPU), peak %.0f MiB%s | %s | %s |"
                       % (name, worst["wall"], worst["cpu"], worst["rss_mib"], note,
                          ("not measured at 10M" if b["calls"] < 10_000_000 else verdict(ok)
                           if ok or not ok_cpu else "met in CPU time; **missed** in wall time "
                           "on this loaded machine"),
                          et or ""))
    mem = case(info, "memory")
    for k in ("argtrace-decorator", "argtrace-filter"):
        r = row_of(mem["rows"], "mode", k)
        if r and r["status"] == "ok":
            out.append("| memory of the tracer in a long run (%s, %s calls) | bounded (a few "
                       "MiB per thread) | RSS +%.1f MiB (max %.1f MiB) | %s | |"
                       % (k, "{:,}".format(r["calls"]), r["growth_mib"], r["rss_max_mib"],
                          verdict(r["growth_mib"] <= 16)))
    return out


def decorator_table(c):
    if c["status"] not in ("ok", "partial"):
        return ["%s." % not_ok(c)]
    out = ["| variant | ns per call | added ns | × plain | spread | added ns, process CPU |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in c["rows"]:
        if r["status"] != "ok":
            out.append("| %s | %s | | | | |" % (r["label"], not_ok(r)))
            continue
        out.append("| %s | %.0f | %+.0f | %.2f | ±%.0f%% | %+.0f |" % (
            r["label"], r["ns_per_call"], r["added_ns"], r["ratio"], r["spread_pct"],
            r.get("process_added_ns", float("nan"))))
    return out


def whole_table(c):
    rows = [r for r in c["rows"] if r["status"] == "ok"]
    out = []
    if not rows:
        return ["%s." % not_ok(c)]
    head = "| tool | args | " + " | ".join(r["label"] for r in rows) + " |"
    out.append(head)
    out.append("| --- | --- |" + " ---: |" * len(rows))
    out.append("| calls of the program's functions | | " + " | ".join(
        "{:,}".format(r["calls"]) for r in rows) + " |")
    out.append("| untraced (CPU ms, median) | | " + " | ".join(
        "%.1f ms" % r["untraced_thread_ms"] for r in rows) + " |")
    tools = [t["tool"] for t in rows[0]["tools"] if t["tool"] != "untraced"]
    for tool in tools:
        cells, args = [], ""
        for r in rows:
            t = row_of(r["tools"], "tool", tool)
            if not t:
                cells.append("—")
            elif t["status"] != "ok":
                cells.append(t["status"])
            else:
                args = t["args"]
                cell = "%.2f×" % t["ratio"]
                if r["calls"] >= 100 and tool != "pyinstrument":
                    cell += " (%s)" % ("%+.0f ns" % t["ns_per_call"]
                                       if abs(t["ns_per_call"]) < 1e5
                                       else "%+.0f µs" % (t["ns_per_call"] / 1e3))
                cells.append(cell)
        out.append("| %s | %s | %s |" % (TOOL_LABELS.get(tool, tool), args, " | ".join(cells)))
        if tool == "argtrace":
            cells = []
            for r in rows:
                t = row_of(r["tools"], "tool", tool)
                cells.append("%.2f× (%+.0f ns)" % (t["cpu_ratio"], t["cpu_ns_per_call"])
                             if t and t["status"] == "ok" and "cpu_ratio" in t else "—")
            out.append("| ↳ same, process CPU (adds the flusher thread) | | %s |"
                       % " | ".join(cells))
    return out


def whole_checks(c):
    out = []
    for r in c["rows"]:
        if r["status"] != "ok":
            out.append("- %s: **failed**: %s" % (r["workload"], r.get("why")))
            continue
        spans = r.get("argtrace_spans")
        if isinstance(spans, int):
            if spans == r["calls"]:
                same = "equal to"
            elif abs(spans - r["calls"]) <= r["calls"] / 1000:
                same = ("within 0.1%% of (%+d; the program keeps state between runs, its call "
                        "count changes a little from run to run)" % (spans - r["calls"]))
            else:
                same = "**not equal** to"
            out.append("- %s: argtrace recorded %s spans, %s the %s calls counted, %s bytes "
                       "(%.2f B/call), %s dropped." % (
                           r["label"], "{:,}".format(spans), same, "{:,}".format(r["calls"]),
                           "{:,}".format(r["argtrace_bytes"]),
                           r["argtrace_bytes"] / max(1, spans), r.get("argtrace_dropped")))
        elif spans is not None:
            out.append("- %s: argtrace's log could not be read back: **%s**" % (r["label"],
                                                                                spans))
        for t in r["tools"]:
            if t["status"] != "ok":
                out.append("- %s, %s: %s" % (r["label"], t["tool"], not_ok(t)))
    return out


def selective_table(c):
    if c["status"] not in ("ok", "partial"):
        return ["%s." % not_ok(c)]
    out = ["Program: `wl_fib.program(%d)` (%s calls of its functions, %s of them to "
           "`score()`), untraced %.1f ms CPU." % (c["rounds"], "{:,}".format(c["program_calls"]),
                                                  "{:,}".format(c["score_calls"]),
                                                  c["untraced_ms"]), "",
           "| mode | program × untraced | added per score() call | spread | × untraced, "
           "process CPU |",
           "| --- | ---: | ---: | ---: | ---: |"]
    for r in c["rows"]:
        if r["status"] != "ok":
            out.append("| %s | %s | | | |" % (r["label"], not_ok(r)))
            continue
        out.append("| %s | %.2f× | %s | ±%.0f%% | %.2f× |" % (
            r["label"], r["ratio"],
            "—" if r["mode"] == "untraced" else "%+.0f ns" % r["added_ns_per_traced_call"],
            r["spread_pct"], r.get("process_ratio", float("nan"))))
    return out


def logsize_table(c):
    if c["status"] not in ("ok", "partial"):
        return ["%s." % not_ok(c)]
    out = ["Workload: %s, %s calls." % (c["workload"], "{:,}".format(c["calls"])), "",
           "| output | records | bytes | bytes per call | gzip -6 bytes per call |",
           "| --- | --- | ---: | ---: | ---: |"]
    for r in c["rows"]:
        if r["status"] != "ok":
            out.append("| %s | %s | | | |" % (r["label"], not_ok(r)))
            continue
        out.append("| %s | %s | %s | %.2f | %.2f |" % (r["label"], r["args"],
                                                     "{:,}".format(r["bytes"]), r["per_call"],
                                                     r["gzip_per_call"]))
    return out


def viewer_table(c):
    if c["status"] not in ("ok", "partial"):
        return ["%s." % not_ok(c)]
    out = ["Function: `%s`. Cells: wall s / CPU s / peak RSS MiB (median of %d run(s); "
           "the big log once)." % (c["func"], c["repeats"]), ""]
    rows = [r for r in c["rows"] if r["status"] == "ok"]
    for r in c["rows"]:
        if r["status"] != "ok":
            out.append("- %s calls: %s" % (r["calls"], not_ok(r)))
    if not rows:
        return out
    names = []
    for r in rows:
        for n in r["results"]:
            if n not in names:
                names.append(n)
    out.append("| command | " + " | ".join("%s calls (%.1f MB .atr)" % (
        "{:,}".format(r["calls"]), r["log_bytes"] / 1e6) for r in rows) + " |")
    out.append("| --- |" + " ---: |" * len(rows))
    for n in names:
        cells = []
        for r in rows:
            x = r["results"].get(n)
            if not x:
                cells.append("—")
            elif x["status"] != "ok":
                cells.append(x["status"] + ": " + x["why"])
            else:
                cells.append("%.2f / %.2f / %.0f" % (x["wall"], x["cpu"], x["rss_mib"]))
        out.append("| %s | %s |" % (n, " | ".join(cells)))
    return out


def memory_table(c):
    if c["status"] not in ("ok", "partial"):
        return ["%s." % not_ok(c)]
    out = ["| tracer | calls | RSS after warm-up | RSS at end | max | growth | log | dropped |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in c["rows"]:
        if r["status"] != "ok":
            out.append("| %s | %s | | | | | | |" % (r["label"], not_ok(r)))
            continue
        out.append("| %s | %s | %.1f MiB | %.1f MiB | %.1f MiB | %+.1f MiB | %s | %s |" % (
            r["label"], "{:,}".format(r["calls"]), r["rss_start_mib"], r["rss_end_mib"],
            r["rss_max_mib"], r["growth_mib"],
            "%.1f MB" % (r["log_bytes"] / 1e6) if r["log_bytes"] else "—",
            "—" if r["dropped"] is None else r["dropped"]))
    return out


PALETTE = {"argtrace": "#d62728", "argtrace-reject": "#ff9896", "cprofile": "#1f77b4",
           "viztracer": "#ff7f0e", "viztracer-args": "#bcbd22", "yappi": "#2ca02c",
           "hunter": "#9467bd", "pyinstrument": "#8c564b"}


def chart(info, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    # (a) decorator added ns
    ax = axes[0][0]
    dec = case(info, "decorator")
    rows = [r for r in dec["rows"] if r["status"] == "ok" and r["variant"] != "plain"]
    if rows:
        names = [r["variant"] for r in rows]
        vals = [max(r["added_ns"], 1) for r in rows]
        colors = ["#d62728" if n.startswith("argtrace") else "#7f7f7f" for n in names]
        ax.barh(names, vals, color=colors)
        ax.set_xscale("log")
        for i, v in enumerate(vals):
            ax.text(v, i, " %s" % common.fmt_ns(v), va="center", fontsize=8)
    ax.set_title("Decorator: ns added per call of f(x) (log scale)")
    # (b) whole-program ratios
    ax = axes[0][1]
    wh = case(info, "whole")
    wrows = [r for r in wh["rows"] if r["status"] == "ok"]
    if wrows:
        tools = [t["tool"] for t in wrows[0]["tools"] if t["tool"] != "untraced"]
        width = 0.8 / max(1, len(tools))
        for j, tool in enumerate(tools):
            xs, ys = [], []
            for i, r in enumerate(wrows):
                t = row_of(r["tools"], "tool", tool)
                if t and t["status"] == "ok":
                    xs.append(i + j * width)
                    ys.append(t["ratio"])
            ax.bar(xs, ys, width, label=tool, color=PALETTE.get(tool))
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(wrows))])
        ax.set_xticklabels([r["label"] for r in wrows], fontsize=7, rotation=12)
        ax.set_yscale("log")
        ax.axhline(1, color="black", linewidth=0.5)
        ax.legend(fontsize=7, ncol=2)
    ax.set_title("Whole program, all functions traced: × untraced (log)")
    # (c) log bytes per call
    ax = axes[1][0]
    ls = case(info, "logsize")
    rows = [r for r in ls["rows"] if r["status"] == "ok"]
    if rows:
        names = [r["tool"] for r in rows]
        vals = [r["per_call"] for r in rows]
        colors = ["#d62728" if n.startswith("argtrace") else "#7f7f7f" for n in names]
        ax.barh(names, vals, color=colors)
        ax.set_xscale("log")
        for i, v in enumerate(vals):
            ax.text(v, i, " %.1f B" % v, va="center", fontsize=8)
    ax.set_title("Log bytes per recorded call (log scale)")
    # (d) viewer
    ax = axes[1][1]
    vw = case(info, "viewer")
    rows = [r for r in vw["rows"] if r["status"] == "ok"]
    labels, vals, colors = [], [], []
    for r in rows:
        for n, x in r["results"].items():
            if x["status"] == "ok":
                labels.append("%s, %s calls" % (n, "{:,}".format(r["calls"])))
                vals.append(max(x["cpu"], 0.001))
                colors.append("#7f7f7f" if n == "eliot-tree" else "#d62728")
    if labels:
        ax.barh(labels, vals, color=colors)
        ax.set_xscale("log")
        ax.tick_params(axis="y", labelsize=7)
        for i, v in enumerate(vals):
            ax.text(v, i, " %.2f s" % v, va="center", fontsize=7)
    ax.set_title("Viewer: CPU seconds per command (log scale)")
    m = info["machine"]
    fig.suptitle("argtrace benchmarks (%s mode) — CPython %s, %s cores, %s — %s" % (
        info["mode"], m["python"], m["nproc"], m["cpu"], info["date"]), fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def status_list(info):
    out = []
    for name, c in info["cases"].items():
        line = "- %s: %s" % (c["title"], c["status"])
        if c.get("why"):
            line += " — " + c["why"]
        if "seconds" in c:
            line += " (%.0f s)" % c["seconds"]
        out.append(line)
        for n in c.get("notes", []):
            out.append("  - " + n)
    return out


def python_sections(info, suffix):
    """The decorator, whole-program and selective sections of one interpreter."""
    py = suffix[1:] if suffix else info["machine"]["python"]
    whole = case(info, "whole" + suffix)
    title = " — CPython %s" % (whole.get("python") or py)
    L = []
    L += ["## Decorator overhead" + title, "",
          "`f(x) = x + 1` called in a loop; argument and result captured where the tool can. "
          "%d interleaved rounds." % case(info, "decorator" + suffix).get("rounds", 0), ""]
    L += decorator_table(case(info, "decorator" + suffix)) + [""]
    L += ["## Whole program, every function traced" + title, "",
          "Each workload runs in its own process; in it every tool runs once per round, "
          "rounds interleaved (%s rounds), after one untimed warm-up run. Cells: the "
          "calling thread's CPU time × untraced, and in parentheses the CPU time added per "
          "call of the program's functions (calls counted with a profile hook). The "
          "pyperformance programs are imported from the installed pyperformance package "
          "and their workload function is called directly. argtrace traces with `--trace "
          "MODULE` (every function of the program's module, arguments and result "
          "captured); hunter prints every call and return of that module with CallPrinter "
          "(arguments and return values); VizTracer default also records C function calls."
          % whole.get("repeats", "?"), ""]
    L += whole_table(whole) + [""] + whole_checks(whole) + [""]
    L += ["## Selective tracing: one hot function in a larger program" + title, ""]
    L += selective_table(case(info, "selective" + suffix)) + [""]
    return L


def write(info, docs):
    img = chart(info, os.path.join(docs, "img", "benchmarks.png"))
    m = info["machine"]
    findings = ""
    fpath = os.path.join(common.SUITE, "findings.md")
    if os.path.exists(fpath):
        with open(fpath) as f:
            findings = f.read().strip()
    L = ["# Benchmarks", "",
         "<!-- Generated by bench/run (bench/suite/report.py) from bench/out/results-%s.json; "
         "the Findings section comes from bench/suite/findings.md, Large logs from "
         "bench/suite/scale.md. Do not edit by hand. -->"
         % info["mode"], "",
         "argtrace side by side with its peers, measured in one run, interleaved (A B C A B C "
         "…), repeated, medians compared. Only ratios and differences are meaningful: the "
         "machine is shared and its load changes during a run.", "",
         "```sh", info["command"], "```", "",
         "- Date: %s; the cases took %.0f s (%s mode)%s." % (
             info["date"], info["seconds"], info["mode"],
             "; the whole command %.0f s with its setup (venvs, pip install, C build)"
             % info["total_seconds"] if "total_seconds" in info else ""),
         "- Machine: %s cores, %s, %s RAM, %s." % (m["nproc"], m["cpu"], m["ram"], m["os"]),
         "- Load average %s at the start, %s at the end (other jobs were running)." % (
             " / ".join(info["loadavg_start"]), " / ".join(info["loadavg_end"])),
         "- Python: %s %s (bench/.venv); argtrace built from %s at commit %s (%s)." % (
             m["python_impl"], m["python"], info["source"], info["commit"],
             info["commit_subject"]),
         "- Peers: " + ", ".join("%s %s" % (k, v) for k, v in m["versions"].items()
                                 if v and k != "argtrace") + ".",
         "- Times are CPU times of the calling thread unless marked otherwise: CPU time is less "
         "disturbed by the other jobs than wall time, and the calling thread's time is what the "
         "traced program waits for when a core is free for argtrace's background flusher "
         "thread (it compresses and writes the log). The flusher's share is shown separately "
         "as process CPU.", ""]
    if img:
        L += ["![benchmark chart](img/benchmarks.png)", ""]
    L += ["## Targets (DESIGN.md §7)", ""] + targets(info) + [""]
    if findings:
        L += [findings, ""]
    keys = [k for k in info["cases"] if k.split("@")[0] in ("decorator", "whole", "selective")]
    for suffix in sorted({("@" + k.split("@")[1]) if "@" in k else "" for k in keys}):
        L += python_sections(info, suffix)
    L += ["## Log size", ""] + logsize_table(case(info, "logsize")) + [""]
    L += ["## Viewer", "",
          "Logs from `bench/gen_log` (a request handler: 5 calls per request, with arguments). "
          "eliot-tree renders the same calls exported with `argtrace-view export LOG --format "
          "eliot`; `argtrace export eliot` is argtrace's own full rendering of every call. "
          "Each command is its own process.", ""]
    L += viewer_table(case(info, "viewer")) + [""]
    spath = os.path.join(common.SUITE, "scale.md")  # bench/bench_scale.sh, by hand
    if os.path.exists(spath):
        with open(spath) as f:
            L += [f.read().strip(), ""]
    L += ["## Tracer memory", "", "RSS sampled 40 times while the process makes traced "
          "calls of `inc(x) = x + 1`.", ""]
    L += memory_table(case(info, "memory")) + [""]
    w = case(info, "writer")
    L += ["## C writer alone", ""]
    if w["status"] == "ok":
        L += ["W's `bench/bench_writer` as is (`%s`):" % w["command"], ""] + w["table"] + [""]
    else:
        L += ["%s." % not_ok(w), ""]
    L += ["## What ran, what was skipped", ""] + status_list(info) + [""]
    path = os.path.join(docs, "benchmarks.md")
    with open(path, "w") as f:
        f.write("\n".join(L))
    return path, img
