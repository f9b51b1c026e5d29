"""The tracers and profilers of the whole-program case, each as setup/teardown around one timed
run of a workload. A tool that cannot be imported is reported as skipped with the reason."""

import os


class Tool:
    def __init__(self, name, label, setup, teardown, args):
        self.name = name
        self.label = label
        self.setup = setup
        self.teardown = teardown
        self.args = args  # "args+result", "no args", "—"


def cleanup():
    """After a tool failed: leave no session or profile hook behind for the next tool."""
    import sys
    try:
        import argtrace
        if argtrace.active():
            _argtrace_stop({})
    except Exception:
        pass
    sys.setprofile(None)
    sys.settrace(None)


def _argtrace_start(path, include):
    import argtrace
    from argtrace import _core
    try:
        argtrace.start(path, trace=list(include))
        return
    except TypeError:
        pass  # this build's argtrace.start() has no trace= yet: use the extension directly
    if not hasattr(_core, "filter_start"):
        raise RuntimeError("this argtrace build has no filter tracing")
    _core.filter_check(list(include))
    argtrace.start(path)
    try:
        _core.filter_start(list(include), [])
    except BaseException:
        argtrace.stop()
        raise


def _argtrace_stop(state):
    import argtrace
    from argtrace import _core
    if hasattr(_core, "filter_stop"):
        _core.filter_stop()
    state["stats"] = argtrace.stop()


def make(name, modname, tmp, state):
    """Tool `name` for a workload in module `modname`; raises ImportError/RuntimeError with
    a reason when it is not available."""
    if name == "untraced":
        return Tool(name, "untraced", lambda: None, lambda: None, "—")
    if name in ("argtrace", "argtrace-reject"):
        import argtrace  # noqa: F401  (ImportError → skipped)
        log = os.path.join(tmp, name + ".atr")
        pattern = modname if name == "argtrace" else "atr_bench_selects_nothing"
        state.setdefault("logs", {})[name] = log
        label = ("argtrace filter (--trace %s)" % modname if name == "argtrace"
                 else "argtrace filter rejecting every function")
        return Tool(name, label, lambda: _argtrace_start(log, [pattern]),
                    lambda: _argtrace_stop(state), "args+result" if name == "argtrace" else "—")
    if name == "cprofile":
        import cProfile
        box = {}

        def setup():
            box["p"] = cProfile.Profile()
            box["p"].enable()

        def teardown():
            box["p"].disable()
            box.clear()
        return Tool(name, "cProfile", setup, teardown, "no args")
    if name in ("viztracer", "viztracer-args"):
        import viztracer
        extra = {} if name == "viztracer" else {"log_func_args": True, "log_func_retval": True}
        box = {}

        def setup():
            box["t"] = viztracer.VizTracer(verbose=0, **extra)
            box["t"].start()

        def teardown():
            box["t"].stop()
            box["t"].clear()
            box.clear()
        label = ("VizTracer default" if name == "viztracer"
                 else "VizTracer log_func_args+log_func_retval")
        return Tool(name, label, setup, teardown,
                    "no args" if name == "viztracer" else "args+result (repr)")
    if name == "yappi":
        import yappi

        def setup():
            yappi.set_clock_type("wall")
            yappi.start()

        def teardown():
            yappi.stop()
            yappi.clear_stats()
        return Tool(name, "yappi (wall clock)", setup, teardown, "no args")
    if name == "hunter":
        import hunter
        box = {}
        path = os.path.join(tmp, "hunter.txt")

        def setup():
            box["f"] = open(path, "w")
            box["t"] = hunter.trace(hunter.Q(module=modname),
                                    action=hunter.CallPrinter(stream=box["f"], force_colors=False))

        def teardown():
            hunter.stop()
            box["f"].close()
            box.clear()
        return Tool(name, "hunter CallPrinter, filter module=%s" % modname, setup, teardown,
                    "args+result (repr)")
    if name == "pyinstrument":
        import pyinstrument
        box = {}

        def setup():
            box["p"] = pyinstrument.Profiler(interval=0.001)
            box["p"].start()

        def teardown():
            box["p"].stop()
            box.clear()
        return Tool(name, "pyinstrument (sampling 1 ms)", setup, teardown, "no (sampling)")
    raise ImportError("unknown tool %s" % name)


WHOLE_TOOLS = ["untraced", "argtrace", "argtrace-reject", "cprofile", "viztracer",
               "viztracer-args", "yappi", "hunter", "pyinstrument"]

# Tools too slow to run on big workloads in the time budget (cost per call measured on fib).
SLOW = {"hunter": "100 µs"}
