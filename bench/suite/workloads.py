"""Workloads of the whole-program cases: fib (bench/suite/wl_fib.py) and pyperformance programs.

The pyperformance programs are imported from the pyperformance package installed in the bench
venv (pyperformance/data-files/benchmarks/bm_NAME/run_benchmark.py) under the module name
bm_NAME, and their core workload function is called directly; nothing of them is copied here.
"""

import importlib.util
import os
import sys

SUITE = os.path.dirname(os.path.abspath(__file__))
if SUITE not in sys.path:
    sys.path.insert(0, SUITE)

NAMES = ["fib", "richards", "deltablue", "raytrace", "nbody"]


class Missing(Exception):
    """A workload that cannot be loaded here (message says why)."""


def pyperformance_file(bench):
    try:
        import pyperformance
    except ImportError:
        raise Missing("pyperformance is not installed in this venv")
    path = os.path.join(os.path.dirname(pyperformance.__file__), "data-files", "benchmarks",
                        "bm_" + bench, "run_benchmark.py")
    if not os.path.exists(path):
        raise Missing("pyperformance %s has no bm_%s" % (pyperformance.__version__, bench))
    return path


def load_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def load(name, size):
    """(module name, module, callable running the workload once, label)."""
    if name == "fib":
        import wl_fib
        return "wl_fib", wl_fib, lambda: wl_fib.fib(size), "fib(%d)" % size
    mod = load_file("bm_" + name, pyperformance_file(name))
    if name == "richards":
        return mod.__name__, mod, lambda: mod.Richards().run(size), "richards ×%d" % size
    if name == "deltablue":
        return mod.__name__, mod, lambda: mod.delta_blue(size), "deltablue(%d)" % size
    if name == "raytrace":
        return (mod.__name__, mod, lambda: mod.bench_raytrace(1, size, size, None),
                "raytrace %d×%d" % (size, size))
    if name == "nbody":
        return (mod.__name__, mod, lambda: mod.bench_nbody(1, "sun", size),
                "nbody(%d)" % size)
    raise Missing("unknown workload %s" % name)


def count_calls(modname, fn):
    """Python function calls made in module `modname` while fn() runs (what a filter selecting
    that module traces: no class bodies, comprehensions or generator expressions)."""
    counts = {}

    def prof(frame, event, arg):
        if event == "call" and frame.f_globals.get("__name__") == modname:
            code = frame.f_code
            name = code.co_name
            if name.startswith("<") and name != "<lambda>":
                return
            if not code.co_flags & 0x1:  # CO_OPTIMIZED: functions, not class bodies
                return
            key = getattr(code, "co_qualname", name)
            counts[key] = counts.get(key, 0) + 1

    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return counts
