"""The benchmark suite's driver (run by bench/run inside bench/.venv): runs every case, saves
bench/out/results-MODE.json, and renders docs/benchmarks.md and docs/img/benchmarks.png.

    bench/.venv/bin/python bench/suite/main.py --mode quick --build bench/out/build
        [--only decorator,whole,...] [--no-docs] [--command "bench/run --quick"]
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

CASES = ["decorator", "whole", "selective", "logsize", "viewer", "memory", "writer"]
PEERS = ["argtrace", "eliot", "eliot-tree", "viztracer", "yappi", "hunter", "pyinstrument",
         "pyperf", "pyperformance", "matplotlib"]


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def machine():
    cpu = "unknown"
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = "unknown"
    for line in read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
    osname = platform.platform()
    for line in read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            osname = line.split("=", 1)[1].strip('"') + " (Linux %s)" % platform.release()
    from importlib import metadata
    versions = {}
    for p in PEERS:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram": mem, "os": osname,
            "python": sys.version.split()[0], "python_impl": platform.python_implementation(),
            "versions": versions}


def git(*args):
    try:
        return subprocess.run(["git", "-C", common.ROOT] + list(args), capture_output=True,
                              text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def run_case(name, cfg, ctx, key=None):
    mod = __import__("case_" + name)
    print("== %s%s" % (mod.TITLE, " (CPython %s)" % ctx["child_version"]
                       if "child_version" in ctx else ""), flush=True)
    t0 = time.time()
    try:
        res = mod.run(cfg, ctx)
    except Exception as e:  # a broken case is reported, never hidden
        import traceback
        traceback.print_exc()
        res = common.result(name, mod.TITLE, status="failed",
                            why="%s: %s" % (type(e).__name__, e))
    res["seconds"] = time.time() - t0
    if "child_version" in ctx:
        res["python"] = ctx["child_version"]
        res["title"] += " — CPython %s" % ctx["child_version"]
    print("   (%s: %s, %.0f s)" % (key or name, res["status"], res["seconds"]), flush=True)
    return res


AGAIN = ["decorator", "whole", "selective"]


def run_also(python, only, cfg, ctx, info):
    """The interpreter-sensitive cases again under a second CPython (its own venv)."""
    names = [n for n in AGAIN if n in only]
    if python.startswith("failed:"):
        ver = python.split(":", 1)[1]
        for n in names:
            info["cases"]["%s@%s" % (n, ver)] = common.result(
                n, "CPython %s" % ver, status="skipped",
                why="its venv could not be set up (bench/run printed why)")
        return
    ver = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                         capture_output=True, text=True).stdout.strip()
    short = ".".join(ver.split(".")[:2])
    info["also_python"] = ver
    ctx2 = dict(ctx, child_python=python, child_version=ver)
    for n in names:
        key = "%s@%s" % (n, short)
        info["cases"][key] = run_case(n, cfg, ctx2, key)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=sorted(common.SETTINGS), default="quick")
    ap.add_argument("--build", default=os.path.join(common.ROOT, "bench", "out", "build"))
    ap.add_argument("--out", default=os.path.join(common.ROOT, "bench", "out"))
    ap.add_argument("--only", default="")
    ap.add_argument("--no-docs", action="store_true")
    ap.add_argument("--command", default="")
    ap.add_argument("--source", default="the work tree")
    ap.add_argument("--started", type=float, default=0,
                    help="when bench/run started (epoch s): the total includes its setup")
    ap.add_argument("--render", metavar="RESULTS_JSON",
                    help="only render docs/ from a saved results file")
    ap.add_argument("--also-python", default="",
                    help="run the decorator, whole and selective cases again with this Python")
    args = ap.parse_args()
    if args.render:
        import report
        with open(args.render) as f:
            md, img = report.write(json.load(f), os.path.join(common.ROOT, "docs"))
        print("wrote %s%s" % (md, (" and " + img) if img else ""))
        return 0
    cfg = common.SETTINGS[args.mode]
    only = [c for c in args.only.split(",") if c] or CASES
    for c in only:
        if c not in CASES:
            sys.exit("bench: unknown case %s (cases: %s)" % (c, ", ".join(CASES)))

    def exe(rel):
        p = os.path.join(args.build, rel)
        return p if os.path.exists(p) else None

    ctx = {"child": os.path.join(common.SUITE, "child.py"), "python": sys.executable,
           "out": args.out, "view": exe("viewer/argtrace-view"),
           "gen_log": exe("bench/gen_log"), "bench_writer": exe("bench/bench_writer")}
    os.makedirs(args.out, exist_ok=True)
    started = time.time()
    info = {"mode": args.mode, "settings": cfg, "machine": machine(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": git("rev-parse", "--short", "HEAD"),
            "commit_subject": git("log", "-1", "--format=%s"), "source": args.source,
            "command": args.command or "bench/run --%s" % args.mode,
            "loadavg_start": read("/proc/loadavg").split()[:3], "cases": {}}
    print("argtrace benchmark suite, %s mode: CPython %s, %s cores, load average %s"
          % (args.mode, info["machine"]["python"], info["machine"]["nproc"],
             " ".join(info["loadavg_start"])), flush=True)
    for name in only:
        info["cases"][name] = run_case(name, cfg, ctx)
    if args.also_python:
        run_also(args.also_python, only, cfg, ctx, info)
    info["seconds"] = time.time() - started
    if args.started:
        info["total_seconds"] = time.time() - args.started
    info["loadavg_end"] = read("/proc/loadavg").split()[:3]
    path = os.path.join(args.out, "results-%s.json" % args.mode)
    with open(path, "w") as f:
        json.dump(info, f, indent=1)
    print("results: %s (%.0f s)" % (path, info["seconds"]), flush=True)
    if not args.no_docs:
        import report
        md, img = report.write(info, os.path.join(common.ROOT, "docs"))
        print("wrote %s%s" % (md, (" and " + img) if img else ""), flush=True)
    bad = [n for n, r in info["cases"].items() if r["status"] == "failed"]
    if bad:
        print("failed cases: %s" % ", ".join(bad), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
