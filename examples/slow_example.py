"""A small CSV-ish importer with one slow path, to try argtrace on.

`parse(rows, mode)` is fast for every input except `mode="strict"` with many rows: strict
mode checks every row against all the rows before it (quadratic). A profiler shows that
`parse` is slowish on average; argtrace shows which argument values make it slow:

    argtrace run examples/slow_example.py
    argtrace slow slow_example.atr parse
    argtrace tree slow_example.atr parse mode=strict
    argtrace why slow_example.atr parse

`--fixed` makes check_unique linear, for a second run to compare with `argtrace diff`.

It makes about 5,600 traced calls and runs in well under a second. Deterministic: the same
batches every run (seeded random numbers).
"""

import random
import sys

import argtrace

MODES = ("fast", "lenient", "strict")


@argtrace.trace
def split_rows(rows, sep=","):
    return [row.split(sep) for row in rows]


@argtrace.trace
def check_types(fields):
    bad = 0
    for f in fields:
        if not f[0].isdigit():
            bad += 1
    return bad


FIXED = "--fixed" in sys.argv  # the linear check_unique: a second run to `argtrace diff`


@argtrace.trace
def check_unique(fields):
    """Strict mode: no two rows may share a name (naive quadratic scan; --fixed: linear)."""
    if FIXED:
        first = {}
        for f in fields:
            first.setdefault(f[1], f[0])
        return sum(1 for f in fields if first[f[1]] != f[0])
    dupes = 0
    for i, f in enumerate(fields):
        for g in fields[:i]:
            if f[1] == g[1] and f[0] != g[0]:
                dupes += 1
    return dupes


@argtrace.trace
def validate(fields, strict):
    problems = check_types(fields)
    if strict:
        problems += check_unique(fields)
    return problems


@argtrace.trace(result=False)
def build_records(fields):
    return [{"id": int(f[0]), "name": f[1], "score": float(f[2])} for f in fields]


@argtrace.trace
def parse(rows, mode="fast"):
    fields = split_rows(rows)
    if mode != "fast":
        problems = validate(fields, strict=(mode == "strict"))
        if problems and mode == "strict":
            argtrace.log("rejected rows", problems=problems)
    return len(build_records(fields))


def make_batch(rng, size):
    return ["%d,name%d,%d.5" % (i, rng.randrange(10 * size), rng.randrange(100))
            for i in range(size)]


def main(batches=1200):
    rng = random.Random(7)
    total = 0
    with argtrace.action("import", batches=batches):
        for _ in range(batches):
            size = rng.choice((5, 10, 20, 50)) if rng.random() < 0.9 else rng.choice((400, 800))
            total += parse(make_batch(rng, size), mode=rng.choice(MODES))
    print("imported %d records in %d batches" % (total, batches))
    return total


if __name__ == "__main__":
    counts = [a for a in sys.argv[1:] if a != "--fixed"]
    main(int(counts[0]) if counts else 1200)
