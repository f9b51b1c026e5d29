"""Instructions per call of `def f(x): return x + 1` under the decorator, counted with
valgrind's callgrind (exact and repeatable, unlike timings on a busy machine), for one or
more argtrace builds side by side:

  plain      undecorated
  idle       @argtrace.trace with no session active (forwarding only)
  paused     @argtrace.trace, session active but recording off (argtrace.pause())
  argtrace   @argtrace.trace, 1 int arg + result captured, session writing to a temp file

Each variant runs in its own process twice, with N1 and N2 calls; the difference of the
counts divided by N2 - N1 is the cost per call (start-up and session set-up cancel out).
"thread" counts the calling thread only, "process" adds the other threads (the flusher).
The process column of `argtrace` moves a little from run to run: the flusher's work depends
on when it wakes (time, not calls).

    python3 bench/count_decorator.py --build before=/path/build/python \\
        --build after=build/python [--python /path/to/python3.12] [--calls 20000,60000]
"""
import argparse
import atexit
import glob
import os
import shutil
import subprocess
import sys
import tempfile

VARIANTS = ("plain", "idle", "paused", "argtrace")


def child(variant, n):
    import argtrace

    def f(x):
        return x + 1

    fn = f if variant == "plain" else argtrace.trace(f)

    def loop(count):
        for i in range(count):
            fn(i)

    tmp = tempfile.mkdtemp(prefix="atr-count-")
    atexit.register(shutil.rmtree, tmp, True)
    if variant in ("argtrace", "paused"):
        argtrace.start(os.path.join(tmp, "count.atr"), argv=["bench"])
        if variant == "paused":
            argtrace.pause()
    loop(1000)  # warm-up: specialized bytecode, the function defined in the session
    loop(n)
    if variant in ("argtrace", "paused"):
        argtrace.stop()


def count(python, path, variant, n, tmp):
    out = os.path.join(tmp, "%s.%d" % (variant, n))
    env = dict(os.environ, PYTHONPATH=path, PYTHONHASHSEED="0")
    subprocess.run(["valgrind", "--tool=callgrind", "--separate-threads=yes",
                    "--callgrind-out-file=" + out, python, os.path.abspath(__file__),
                    "--child", variant, str(n)],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    per_thread = {}
    for name in glob.glob(out + "-*"):
        with open(name) as fh:
            for line in fh:
                if line.startswith("summary:"):
                    per_thread[name[len(out) + 1:]] = int(line.split()[1])
    return per_thread["01"], sum(per_thread.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", action="append", default=[], metavar="NAME=PYTHONPATH")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--calls", default="20000,60000", help="N1,N2")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]))
    n1, n2 = (int(x) for x in args.calls.split(","))
    builds = [b.split("=", 1) for b in args.build] or [["build", "build/python"]]
    variants = args.variants.split(",")
    version = subprocess.run([args.python, "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    print("python %s, instructions per call of f(x) = x + 1 (callgrind, (N%d - N%d) / %d)"
          % (version, n2, n1, n2 - n1))
    print("%-10s %-10s %10s %10s %12s %12s" % ("build", "variant", "thread", "process",
                                               "+thread", "+process"))
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in builds:
            rows = {}
            for v in variants:
                a, b = count(args.python, path, v, n1, tmp), count(args.python, path, v, n2, tmp)
                rows[v] = ((b[0] - a[0]) / (n2 - n1), (b[1] - a[1]) / (n2 - n1))
            base = rows.get("plain", (0.0, 0.0))
            for v, (th, pr) in rows.items():
                print("%-10s %-10s %10.0f %10.0f %+12.0f %+12.0f"
                      % (name, v, th, pr, th - base[0], pr - base[1]))


if __name__ == "__main__":
    main()
