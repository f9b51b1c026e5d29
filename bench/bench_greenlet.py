"""What following greenlet switches costs (_greenlet.py): two greenlets switching to each
other N times, per switch, side by side in one process (best of R rounds each): untraced,
under a session that records nothing (the trace function runs on every switch), and under
filter tracing with one call open in each greenlet (its suspension and resumption written at
every switch).

    PYTHONPATH=build/python python3 bench/bench_greenlet.py [--switches N] [--rounds R]
"""
import argparse
import os
import tempfile
import time

import greenlet

import argtrace


def ping(n, other):
    for _ in range(n):
        other[0].switch()


def pong(other):
    while True:
        other[0].switch()


def run(n):
    a_ref, b_ref = [None], [None]
    a = greenlet.greenlet(lambda: ping(n, b_ref))
    b = greenlet.greenlet(lambda: pong(a_ref))
    a_ref[0], b_ref[0] = a, b
    t = time.perf_counter()
    a.switch()
    return (time.perf_counter() - t) / (2 * n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--switches", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="atr_greenlet_")
    modes = {"untraced": None, "session, nothing traced": {},
             "filter tracing, a call open in each": {"trace": [__name__ + ":ping",
                                                               __name__ + ":pong"]}}
    best = {m: float("inf") for m in modes}
    for r in range(a.rounds):  # interleaved: the machine's drift touches every mode alike
        for mode, options in modes.items():
            if options is not None:
                argtrace.start(os.path.join(tmp, "g%d.atr" % r), **options)
            best[mode] = min(best[mode], run(a.switches))
            if options is not None:
                argtrace.stop()
    base = best["untraced"]
    print("| mode | ns per switch | added |")
    print("| --- | ---: | ---: |")
    for mode, t in best.items():
        print("| %s | %.0f | %+.0f |" % (mode, t * 1e9, (t - base) * 1e9))


if __name__ == "__main__":
    main()
