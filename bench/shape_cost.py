#!/usr/bin/env python3
"""Per-call cost of the tracer by capture shape (what the compensation model must know).

For each shape, a loop of N calls of a function of that shape is timed untraced and traced
(decorator, or filter tracing by the process's backend), in alternating rounds; the cost per
call is the lower quartile (and the median) over rounds of (traced - untraced) / N in the
thread's CPU time (as the calibration times it), the recorded duration of the traced calls (their inner part) is read back from the
log, and "faults/1000" counts the page faults of the traced loops per 1,000 calls.

Each shape runs in its own session, one after the other in one process: with the default
--buffer-size of 4 MiB the first sessions write into fresh memory (a page fault per 4 KiB of
records, ~2 us each on the development machines) and later ones into memory the earlier
ones freed, so a shape's cost depends on its place in the list; --buffer-size 0 uses the
writer's default (128 KiB, recycled) as sessions do. --parent traces the calling loop too.

    PYTHONPATH=<build>/python python3 bench/shape_cost.py [--mode decorator|filter]
        [--n 2000] [--rounds 15] [--shapes int,str40,...] [--buffer-size 0] [--parent]
"""
import argparse
import resource
import os
import statistics
import sys
import tempfile
import time

SHAPES = {
    # name: (definition of f, the call expression inside the loop)
    "none": ("def f():\n    return None\n", "f()"),
    "int": ("def f(x):\n    return x\n", "f(i)"),
    "id2": ("def f(a, b):\n    return None\n", "f(ID, i)"),  # an int past 2^30 (an id())
    "int4": ("def f(a, b, c, d):\n    return a\n", "f(i, i, i, i)"),
    "str10": ("def f(x):\n    return 1\n", "f(S10)"),
    "str100": ("def f(x):\n    return 1\n", "f(S100)"),
    "str1000": ("def f(x):\n    return 1\n", "f(S1000)"),
    "retstr100": ("def f(x):\n    return S100\n", "f(i)"),
    "bytes100": ("def f(x):\n    return 1\n", "f(B100)"),
    "list3": ("def f(x):\n    return 1\n", "f(L3)"),
    "list10": ("def f(x):\n    return 1\n", "f(L10)"),
    "dict3": ("def f(x):\n    return 1\n", "f(D3)"),
    "obj": ("def f(x):\n    return 1\n", "f(O)"),
    "float": ("def f(x):\n    return 1\n", "f(1.5)"),
    "exc": ("def f(x):\n    raise ValueError('bad value')\n",
            "try:\n            f(i)\n        except ValueError:\n            pass"),
    "gen0": ("def f(x):\n    yield from ()\n", "for _ in f(i): pass"),
    "gen10": ("def f(x):\n    for k in range(10):\n        yield k\n", "for _ in f(i): pass"),
    "str30": ("def f(x):\n    return 1\n", "f(S30)"),
    "tup2": ("def f(x):\n    return 1\n", "f(T2)"),
    "objs3": ("def f(a, b, c):\n    return a\n", "f(S30, O, T2)"),
    "strs4": ("def f(a, b, c, d):\n    return None\n", "f(S40, S40, S40, S40)"),
    "objs4": ("def f(a, b, c, d):\n    return None\n", "f(O, O, O, O)"),
    "strs4s": ("def f(a, b, c, d):\n    return None\n", "f(S5, S5, S5, S5)"),
    "str40": ("def f(x):\n    return None\n", "f(S40)"),
    "str5": ("def f(x):\n    return None\n", "f(S5)"),
    "obj1": ("def f(x):\n    return None\n", "f(O)"),
    "tup1": ("def f(x):\n    return None\n", "f(T2)"),
    "none1": ("def f(x):\n    return None\n", "f(i)"),
    "str31": ("def f(x):\n    return None\n", "f(S31)"),
    "str32": ("def f(x):\n    return None\n", "f(S32)"),
    "str200": ("def f(x):\n    return None\n", "f(S200)"),
    "str64": ("def f(x):\n    return None\n", "f('vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv')"),
    "str100": ("def f(x):\n    return None\n", "f('vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv')"),
    "str128": ("def f(x):\n    return None\n", "f('vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv')"),
    "str150": ("def f(x):\n    return None\n", "f('vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv')"),
    "str255": ("def f(x):\n    return None\n", "f('vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv')"),
    "str256": ("def f(x):\n    return None\n", "f('vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv')"),
    "str300": ("def f(x):\n    return None\n", "f('vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv')"),
    "str500": ("def f(x):\n    return None\n", "f('vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv')"),
    "obj2": ("def f(a, b):\n    return True\n", "f(O, O)"),
    "tsub2": ("def f(a, b):\n    return True\n", "f(TS, TS)"),
    "tsubr2": ("def f(a, b):\n    return True\n", "f(TR, TR)"),
    "objr2": ("def f(a, b):\n    return True\n", "f(OR, OR)"),
    "in_obj": ("class K:\n    def __contains__(self, x):\n        return True\nk = K()\n"
               "f = K.__contains__\n", "i in k"),
    "gen5": ("def f(x):\n    for k in range(5):\n        yield k\n", "for _ in f(i): pass"),
    "cell": ("def f(x):\n    g = lambda: x\n    return None\n", "f(i)"),
    "nocell": ("def f(x):\n    g = lambda: 1\n    return None\n", "f(i)"),
    "gen1": ("def f(x):\n    yield x\n", "for _ in f(i): pass"),
    "gen2": ("def f(x):\n    yield x\n    yield x\n", "for _ in f(i): pass"),
    "method": ("class K:\n    def m(self, x):\n        return x\nk = K()\nf = k.m\n", "f(i)"),
    # instances of C types: a class (a classmethod's cls), a frozenset, a function
    "cls2": ("def f(a, b):\n    return None\n", "f(Obj, i)"),
    "fset2": ("def f(a, b):\n    return None\n", "f(FS, i)"),
    "func2": ("def f(a, b):\n    return None\n", "f(len, i)"),
    "ienum2": ("def f(a, b):\n    return None\n", "f(IE, i)"),  # an IntEnum member
    "nest2": ("def f(a, b):\n    return None\n", "f(NT, i)"),  # a tuple of pairs
}

PRELUDE = '''
S10 = "abcdefghij"
S5 = "abcde"
S31 = "s" * 31
S32 = "t" * 32
S200 = "u" * 200
S30 = "a name of some thirty bytes..."
S40 = "a calibration string of forty bytes.."
T2 = (1, "one")
S100 = "x" * 100
S1000 = "y" * 1000
B100 = b"z" * 100
L3 = [1, 2, 3]
L10 = list(range(10))
D3 = {"a": 1, "b": 2, "c": 3}
class Obj:
    pass
O = Obj()
class TSub(tuple):
    pass
TS = TSub(("Keyword", "DML"))
ID = id(S10)
NT = ((1, "a"), (2, "b"))
import enum
class Level(enum.IntEnum):
    HIGH = 3
IE = Level.HIGH
FS = frozenset(" \\t")
class TSubR(tuple):
    def __repr__(self):
        return "Token." + ".".join(self)
TR = TSubR(("Keyword", "DML"))
class ObjR:
    def __repr__(self):
        return "ObjR()"
OR = ObjR()
'''


BUFFER_SIZE = 4 << 20  # the sessions' buffer_size (--buffer-size; 0: the writer's default)


def module_src(shape):
    fdef, call = SHAPES[shape]
    base = fdef.replace("def f(", "def g(").replace("f = k.m", "g = k.m")
    if shape == "in_obj":  # the traced K.__contains__, an untraced twin class for g
        base = fdef.replace("class K", "class KG").replace("k = K()", "kg = KG()").replace(
            "f = K.", "g = KG.")
    if shape == "in_obj":
        call_g = "i in kg"
    elif shape.startswith("gen"):
        call_g = call.replace("f(i)", "g(i)")
    else:
        call_g = call.replace("f(", "g(")
    return (PRELUDE + fdef + base + "def loop_f(n):\n    for i in range(n):\n        %s\n"
            "def loop_g(n):\n    for i in range(n):\n        %s\n" % (call, call_g))


def run(mode, shapes, n, rounds, parent=False):
    import argtrace
    from argtrace import _core
    tmp = tempfile.mkdtemp(prefix="shape-cost-")
    sys.path.insert(0, tmp)
    out = {}
    for shape in shapes:
        name = "shp_" + shape
        with open(os.path.join(tmp, name + ".py"), "w") as fh:
            fh.write(module_src(shape))
        mod = __import__(name)
        path = os.path.join(tmp, shape + ".atr")
        argtrace.start(path, **({"buffer_size": BUFFER_SIZE} if BUFFER_SIZE else {}))
        if mode == "decorator":
            if shape == "in_obj":
                mod.K.__contains__ = argtrace.trace(mod.K.__contains__)
            elif shape == "method":
                mod.K.m = argtrace.trace(mod.K.m)
                mod.f = mod.k.m
            else:
                mod.f = argtrace.trace(mod.f)
            if parent:  # the loop traced too: calls under a traced parent
                mod.loop_f = argtrace.trace(mod.loop_f)
        else:
            _core.filter_start([name + ":f", name + ":K.m", name + ":K.__contains__"] + ([name + ":loop_f"] if parent else []), [])
            backend = _core.filter_backend()
        diffs, faults = [], 0
        for r in range(rounds + 1):
            t0 = time.thread_time_ns()
            mod.loop_g(n)
            t1 = time.thread_time_ns()
            f0 = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
            mod.loop_f(n)
            f1 = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
            t2 = time.thread_time_ns()
            if r:
                diffs.append(((t2 - t1) - (t1 - t0)) / n)
                faults += f1 - f0
        if mode != "decorator":
            _core.filter_stop()
        argtrace.stop()
        log = argtrace.load(path, compensate=False)
        durs = sorted(c.duration_ns for c in log.calls() if not c.function.endswith("loop_f"))
        diffs.sort()
        cal = log.calibrations[0] if log.calibrations else {}
        out[shape] = (diffs[len(diffs) // 4], statistics.median(diffs),
                      durs[len(durs) // 2] if durs else 0, cal.get("call_ns"),
                      faults * 1000.0 / (n * rounds))
        os.unlink(path)
    return out, (mode if mode == "decorator" else backend)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="decorator")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--parent", action="store_true", help="trace the calling loop too")
    ap.add_argument("--buffer-size", type=int, default=4 << 20,
                    help="the sessions' buffer_size (0: the writer's default)")
    a = ap.parse_args()
    global BUFFER_SIZE
    BUFFER_SIZE = a.buffer_size
    res, mech = run(a.mode, a.shapes.split(","), a.n, a.rounds, a.parent)
    print("CPython %s %s" % (sys.version.split()[0], mech))
    print("%-10s %8s %8s %8s %8s %12s" % ("shape", "q25 ns", "med ns", "inner", "cal",
                                            "faults/1000"))
    for k, (q, m, inner, cal, flt) in res.items():
        print("%-10s %8.1f %8.1f %8d %8s %12.2f" % (k, q, m, inner, cal, flt))


if __name__ == "__main__":
    main()
