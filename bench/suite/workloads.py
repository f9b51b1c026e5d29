"""Workloads of the whole-program cases: fib (bench/suite/wl_fib.py), pyperformance programs,
and libraries doing an ordinary job ("lib:NAME", LIBRARIES).

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


# Real code as users trace it: "lib:NAME" traces a whole library (its package and every
# submodule) while it does one ordinary job. The stdlib ones run everywhere (tomllib: 3.11+);
# the others need their package in the venv (pip install sqlparse Markdown Pygments
# pyparsing).
LIBRARIES = ["tomllib", "fractions", "statistics", "ipaddress", "email", "pprint", "sqlparse",
             "markdown", "pygments", "pyparsing"]


def _library(name):
    """(traced package, callable doing one job with it)."""
    try:
        mod = importlib.import_module(name if name != "email" else "email.parser")
    except ImportError as e:
        raise Missing("%s is not installed in this venv (%s)" % (name, e))
    if name == "tomllib":  # a parser passing its source text and a position to every call
        doc = "\n".join('[t%d]\nname = "n%d"\nval = %d\nlist = [1, 2, "x"]\n' % (i, i, i)
                        for i in range(300))
        return lambda: mod.loads(doc)
    if name == "fractions":  # ever bigger ints
        return lambda: sum(mod.Fraction(i, i + 1) for i in range(1, 2000))
    if name == "statistics":  # classmethods, ranges, floats
        return lambda: [mod.median(range(i)) + mod.mean([1.5, i]) for i in range(1, 800)]
    if name == "ipaddress":  # classmethods, big ints
        return lambda: [list(mod.ip_network("10.0.%d.0/28" % i).hosts()) for i in range(200)]
    if name == "email":
        msg = "From: a@b.c\nTo: d@e.f\nSubject: hi\n\n" + "body line\n" * 200
        return lambda: [mod.Parser().parsestr(msg) for _ in range(20)]
    if name == "pprint":  # nested containers
        doc = {"k%d" % i: [i, str(i), {"a": i * 1.5, "b": (i, i + 1)}] for i in range(400)}
        return lambda: mod.pformat(doc)
    if name == "sqlparse":  # generators, tuple subclasses, closures
        q = "select a, b, c from t join u on t.id = u.id where x > 5 and y in (1,2,3);" * 20
        return lambda: mod.format(q, reindent=True, keyword_case="upper")
    if name == "markdown":
        text = "# Title\n\n" + "\n\n".join(
            "Some *text* with `code` and [link](http://x/%d)\n\n- a\n- b" % i for i in range(150))
        return lambda: mod.markdown(text)
    if name == "pygments":  # generators yielding every token
        import pygments.formatters
        import pygments.lexers
        src = open(__file__).read()
        lexer, fmt = pygments.lexers.PythonLexer(), pygments.formatters.HtmlFormatter()
        return lambda: mod.highlight(src, lexer, fmt)
    if name == "pyparsing":  # the whole input string and a position passed to every call
        num, var = mod.pyparsing_common.number, mod.Word(mod.alphas, mod.alphanums)
        expr = mod.infix_notation(num | var, [(mod.one_of("* /"), 2, mod.OpAssoc.LEFT),
                                              (mod.one_of("+ -"), 2, mod.OpAssoc.LEFT)])
        text = " + ".join("(a%d * %d - b / 3)" % (i, i) for i in range(400))
        return lambda: expr.parse_string(text)
    raise Missing("unknown library workload %s" % name)


def load(name, size):
    """(module name, module, callable running the workload once, label). A library workload
    ("lib:NAME") names a package: its submodules are traced and counted too."""
    if name.startswith("lib:"):
        run = _library(name[4:])
        pkg = name[4:]
        return pkg, sys.modules[pkg], run, pkg
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
        mod = frame.f_globals.get("__name__") or ""
        if event == "call" and (mod == modname or mod.startswith(modname + ".")):
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
