"""Viewer: argtrace vs eliot-tree on the same calls, and argtrace alone on a big log.

Logs come from V1's generator (bench/gen_log.c: a request handler, 5 calls per request, with
arguments; cached under bench/out/logs). eliot-tree reads the same calls exported by
`argtrace-view export LOG --format eliot` (argtrace's Eliot export). Each command runs as its
own process; wall time, CPU time and peak RSS come from that process's rusage. Commands are
interleaved across repeats and the median is reported.
"""

import os
import shutil

import common

TITLE = "Viewer: load and render"
FUNC = "app.server.handle"


def gen_log(ctx, n):
    logs = os.path.join(ctx["out"], "logs")
    os.makedirs(logs, exist_ok=True)
    path = os.path.join(logs, "gen_%d.atr" % n)
    if not os.path.exists(path):
        tmp = path + ".tmp"
        rc, out, err, wall, cpu, rss = common.run_child(
            [ctx["gen_log"], "-n", str(n), "-o", tmp], timeout=1800)
        if rc != 0:
            raise RuntimeError("gen_log -n %d: exit %d: %s" % (n, rc, common.one_line(err)))
        os.replace(tmp, path)
    return path


def timed(commands, repeats, outdir):
    """commands: name → argv, run interleaved; → name → medians {"wall", "cpu", "rss_mib"}."""
    samples = {name: [] for name in commands}
    errors = {}
    for _ in range(repeats):
        for name, argv in commands.items():
            if name in errors:
                continue
            sink = os.path.join(outdir, "viewer_out.txt")
            rc, out, err, wall, cpu, rss = common.run_child(argv, timeout=1800,
                                                            stdout_path=sink)
            if rc != 0:
                errors[name] = "exit %d: %s" % (rc, common.one_line(err))
                continue
            samples[name].append((wall, cpu, rss / 1024.0, os.path.getsize(sink)))
    res = {}
    for name in commands:
        if name in errors:
            res[name] = {"status": "failed", "why": errors[name]}
            continue
        s = samples[name]
        res[name] = {"status": "ok", "wall": common.median([x[0] for x in s]),
                     "cpu": common.median([x[1] for x in s]),
                     "rss_mib": max(x[2] for x in s), "out_bytes": s[-1][3], "n": len(s)}
    return res


def run(cfg, ctx):
    view = ctx.get("view")
    if not view or not os.path.exists(view):
        return common.skipped("viewer", TITLE, "argtrace-view was not built (%s)" % view)
    if not ctx.get("gen_log") or not os.path.exists(ctx["gen_log"]):
        return common.skipped("viewer", TITLE, "bench/gen_log was not built")
    eliot_tree = shutil.which("eliot-tree", path=os.path.dirname(ctx["python"]))
    rows, notes = [], []
    sizes = list(cfg["viewer_sizes"])
    for n in sizes + [cfg["big_calls"]]:
        big = n == cfg["big_calls"]
        print("  viewer: %d calls" % n, flush=True)
        try:
            log = gen_log(ctx, n)
        except RuntimeError as e:
            rows.append({"calls": n, "status": "failed", "why": str(e)})
            continue
        commands = {
            "argtrace summary": [view, "summary", log],
            "argtrace slow": [view, "slow", log, FUNC],
            "argtrace tree": [view, "tree", log, FUNC],
        }
        eliot_json = log[:-4] + ".eliot.json"
        if not big:
            commands["argtrace export eliot"] = [view, "export", log, "--format", "eliot"]
            rc, out, err, wall, cpu, rss = common.run_child(
                [view, "export", log, "--format", "eliot"], stdout_path=eliot_json)
            if rc != 0:
                notes.append("eliot export of %d calls failed: %s" % (n, common.one_line(err)))
            elif eliot_tree and n <= cfg["eliot_tree_max"]:
                commands["eliot-tree"] = [eliot_tree, eliot_json]
        res = timed(commands, 1 if big else cfg["viewer_repeats"], ctx["out"])
        if not big and "eliot-tree" not in commands:
            res["eliot-tree"] = {"status": "skipped",
                                 "why": "eliot-tree not installed" if not eliot_tree
                                 else "no Eliot export to read" if not os.path.exists(eliot_json)
                                 else "not run on %d calls in this mode (about 0.5 ms of CPU "
                                 "per call: bench/run --full runs it)" % n}
        row = {"calls": n, "status": "ok", "log_bytes": os.path.getsize(log), "big": big,
               "results": res}
        if os.path.exists(eliot_json) and not big:
            row["eliot_json_bytes"] = os.path.getsize(eliot_json)
        rows.append(row)
        for name, r in res.items():
            if r["status"] == "ok":
                print("    %-22s %7.2f s wall %7.2f s cpu %7.0f MiB" % (name, r["wall"], r["cpu"],
                                                                       r["rss_mib"]), flush=True)
            else:
                print("    %-22s %s: %s" % (name, r["status"], r["why"]), flush=True)
    if cfg["big_calls"] < 10_000_000:
        notes.append("quick mode: the big log has %d calls, not the 10M of the design target "
                     "(bench/run --full runs 10M)" % cfg["big_calls"])
    return common.result("viewer", TITLE, rows, notes=notes, func=FUNC,
                         repeats=cfg["viewer_repeats"])
