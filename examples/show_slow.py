"""Which argument values make a function slow? A small stand-in for `argtrace slow`,
written with the Python API (argtrace.load).

    argtrace run examples/slow_example.py
    python examples/show_slow.py slow_example.atr parse

For every argument, calls are grouped by value (strings, numbers, booleans exactly;
containers by length bucket) and each group shows its count, median, p95, max and total duration
(slowest total first).
The slowest call is printed with its call tree.
"""

import statistics
import sys

import argtrace


def group_key(value):
    if isinstance(value, argtrace.Summary):
        if value.length is None:
            return value.type_name
        low = 1
        while low * 10 <= value.length:
            low *= 10
        return "len %s %d..%d" % (value.type_name, low if value.length else 0, low * 10 - 1)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return repr(value)
    return type(value).__name__


def ms(ns):
    return "%9.3f ms" % (ns / 1e6)


def print_tree(call, depth=0, limit=12):
    args = ", ".join("%s=%s" % (k, group_key(v)) for k, v in call.args.items())
    dur = ms(call.duration_ns) if call.duration_ns is not None else "  unfinished"
    print("    %s%s  %s(%s)" % ("  " * depth, dur, call.function, args))
    for child in call.children[:limit]:
        print_tree(child, depth + 1, limit)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: show_slow.py LOG FUNCTION\n")
        return 2
    log = argtrace.load(argv[0])
    calls = [c for c in log.calls(argv[1]) if c.duration_ns is not None]
    if not calls:
        print("no finished calls of %s" % argv[1])
        return 1
    print("%s: %d calls, median %s, max %s" % (
        calls[0].function, len(calls), ms(statistics.median(c.duration_ns for c in calls)),
        ms(max(c.duration_ns for c in calls))))
    for name in calls[0].args:
        groups = {}
        for c in calls:
            groups.setdefault(group_key(c.args.get(name)), []).append(c.duration_ns)
        print("\nby %s:" % name)
        ranked = sorted(groups.items(), key=lambda kv: -sum(kv[1]))
        for key, durs in ranked[:8]:
            durs.sort()
            print("  %-22s %5d calls  median %s  p95 %s  max %s  total %s" % (
                key, len(durs), ms(statistics.median(durs)), ms(durs[len(durs) * 95 // 100]),
                ms(durs[-1]), ms(sum(durs))))
    slowest = max(calls, key=lambda c: c.duration_ns)
    print("\nslowest call:")
    print_tree(slowest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
