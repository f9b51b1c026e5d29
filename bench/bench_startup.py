"""What tracing costs a process once, whatever it runs: `import argtrace`, a session's start
and its stop (the first stop of a process measures the tracer's cost per call: calibrate.c),
and `argtrace run` of a script that makes 100 calls, against plain `python`. Builds side by
side, rounds interleaved; wall times (a short program waits for all of it), the best of the
rounds (these are fixed costs: the best run is the least disturbed one) and the median.
Bytecode is cached as an installed package's is (PYTHONDONTWRITEBYTECODE is cleared: the
first, untimed round writes the builds' __pycache__ directories); without it every import
compiles its module again.

    python3 bench/bench_startup.py --build before=/path/build/python --build after=build/python \\
        [--rounds 15]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SCRIPT = "def f(x):\n    return x + 1\n\n\nfor i in range(100):\n    f(i)\n"

# One process: import, start, 100 calls, stop; each step timed inside (perf_counter, ms).
SESSION = """
import sys, time, json
t0 = time.perf_counter()
import argtrace
t1 = time.perf_counter()
argtrace.start(sys.argv[1], trace=["__main__"])
t2 = time.perf_counter()
def f(x):
    return x + 1
for i in range(100):
    f(i)
t3 = time.perf_counter()
argtrace.stop()
t4 = time.perf_counter()
print(json.dumps({"import": (t1 - t0) * 1e3, "start": (t2 - t1) * 1e3,
                  "stop": (t4 - t3) * 1e3}))
"""


def wall(cmd, env):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return (time.perf_counter() - t0) * 1e3, out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", action="append", default=[], help="LABEL=PYTHONPATH")
    ap.add_argument("--rounds", type=int, default=15)
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    builds = [b.split("=", 1) for b in a.build] or [["this", os.path.join(here, "..", "build",
                                                                           "python")]]
    tmp = tempfile.mkdtemp(prefix="atr_startup_")
    script = os.path.join(tmp, "app.py")
    with open(script, "w") as f:
        f.write(SCRIPT)
    log = os.path.join(tmp, "t.atr")
    res = {}
    base_env = {k: v for k, v in os.environ.items()
                if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    for r in range(a.rounds + 1):
        if r == 1:  # round 0 compiled and cached the bytecode: not counted
            res = {}
        plain_env = base_env
        res.setdefault("python", {}).setdefault("python app.py", []).append(
            wall([sys.executable, script], plain_env)[0])
        for label, path in builds:
            env = dict(base_env, PYTHONPATH=os.path.abspath(path))
            row = res.setdefault(label, {})
            ms, out = wall([sys.executable, "-c", SESSION, log], env)
            for k, v in json.loads(out.splitlines()[-1]).items():
                row.setdefault(k, []).append(v)
            row.setdefault("argtrace run app.py", []).append(
                wall([sys.executable, "-m", "argtrace", "run", "-q", "-o", log, script], env)[0])
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    cols = ["import", "start", "stop", "argtrace run app.py"]
    plain = res.pop("python")["python app.py"]
    print("Python %s; `python app.py` best %.1f ms, median %.1f ms; %d rounds" % (
        sys.version.split()[0], min(plain), statistics.median(plain), a.rounds))
    print("| build | " + " | ".join("%s ms (best, median)" % c for c in cols) +
          " | `argtrace run` over `python`, best |")
    print("| --- |" + " ---: |" * (len(cols) + 1))
    for label, _ in builds:
        row = res[label]
        print("| %s | %s | +%.1f ms |" % (label, " | ".join(
            "%.1f, %.1f" % (min(row[c]), statistics.median(row[c])) for c in cols),
            min(row["argtrace run app.py"]) - min(plain)))


if __name__ == "__main__":
    main()
