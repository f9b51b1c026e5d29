"""Runner of test_greenlets.py: a program of greenlets that switch at several depths of
calls, run in a fresh process either under a reference tracer (sys.setprofile: every call
of this module's functions, its parent the nearest such frame on the real frame stack,
which in a greenlet ends at the greenlet's own run function, below which a greenlet's first
call has the call that switched to it first as its caller: greenlet.settrace tells) or traced
by argtrace (filter tracing with the
backend ARGTRACE_FILTER_BACKEND chooses, or the decorator); writes the calls per function,
the (parent, function) edges and each call's result and switches as JSON.

    python greenlet_runner.py ref|filter|decorator OUT.json [LOG]
"""
import collections
import functools
import json
import sys

import greenlet

MODE = sys.argv[1]
MOD = __name__


def leaf(tag, i):
    return "%s%d" % (tag, i)


def step(tag, i, peers):
    """A call in the middle of the stack that switches to the next greenlet."""
    r = leaf(tag, i)
    me = greenlet.getcurrent()
    k = peers.index(me)
    for g in peers[k + 1:] + peers[:k]:  # the next one that still runs, round the ring
        if not g.dead:
            g.switch()
            break
    return r


def worker(tag, n, peers):
    out = []
    for i in range(n):
        out.append(step(tag, i, peers))
        if i % 2:
            out.append(leaf(tag, -i))  # a call between switches
    return out


def deep(tag, depth, peers):
    if depth == 0:
        return worker(tag, 3, peers)
    return deep(tag, depth - 1, peers)


def workload():
    peers = []
    greenlets = [greenlet.greenlet(functools.partial(deep, t, d, peers))
                 for t, d in (("a", 0), ("b", 2), ("c", 1))]
    peers.extend(greenlets)
    results = []
    while not all(g.dead for g in greenlets):
        for g in greenlets:
            if not g.dead:
                r = g.switch()
                if g.dead:
                    results.append(r)
    return results


TRACED = {"leaf", "step", "worker", "deep", "workload"}
if MODE == "decorator":
    import argtrace
    for name in TRACED:
        globals()[name] = argtrace.trace(globals()[name])


def _shown(result):
    """A result as both sides can compare it: a str itself, a list by its length."""
    return result if isinstance(result, str) else "len %d" % len(result)


def ours(frame):
    return frame.f_globals.get("__name__") == MOD and frame.f_code.co_name in TRACED


def nearest(frame):
    """The name of the nearest of our calls on `frame`'s chain (None: none)."""
    while frame is not None and not ours(frame):
        frame = frame.f_back
    return MOD + "." + frame.f_code.co_name if frame is not None else None


def reference():
    calls, edges, results = collections.Counter(), collections.Counter(), []
    first_parent = {}  # greenlet -> the call that switched to it first (its first caller)
    open_calls = collections.defaultdict(list)  # greenlet -> its open calls of ours

    def on_switch(event, args):
        origin, target = args
        if target not in first_parent and not target.gr_frame:  # it has not run yet
            stack = open_calls[origin]
            first_parent[target] = stack[-1] if stack else None

    def prof(frame, event, arg):
        if not ours(frame):
            return
        name = MOD + "." + frame.f_code.co_name
        if event == "call":
            parent = nearest(frame.f_back)
            if parent is None:  # the bottom of a greenlet's stack
                parent = first_parent.get(greenlet.getcurrent())
            calls[name] += 1
            edges[json.dumps([parent, name])] += 1
            open_calls[greenlet.getcurrent()].append(name)
        elif event == "return":
            open_calls[greenlet.getcurrent()].pop()
            results.append([name, _shown(arg)])

    sys.setprofile(prof)
    greenlet.settrace(on_switch)
    try:
        result = workload()
    finally:
        sys.setprofile(None)
    return result, calls, edges, sorted(results)


def traced(log):
    import argtrace
    seen = []
    greenlet.settrace(lambda event, args: seen.append(event))  # the program's own: kept
    if MODE == "filter":
        argtrace.start(log, trace=["%s:%s" % (MOD, name) for name in sorted(TRACED)])
    else:
        argtrace.start(log)
    try:
        result = workload()
    finally:
        argtrace.stop()
    assert seen and set(seen) <= {"switch", "throw"}, seen  # ours passed every event on
    calls, edges, results = collections.Counter(), collections.Counter(), []
    active = []
    for c in argtrace.load(log).calls():
        p = c.parent()
        calls[c.function] += 1
        edges[json.dumps([p.function if p is not None else None, c.function])] += 1
        results.append([c.function, _shown(c.result)])
        active.append([c.function, c.args.get("tag"), c.duration_ns, c.active_ns])
    return result, calls, edges, sorted(results), active


if __name__ == "__main__":
    if MODE == "ref":
        out = dict(zip(("result", "calls", "edges", "results"), reference()))
    else:
        out = dict(zip(("result", "calls", "edges", "results", "active"), traced(sys.argv[3])))
    out["result"] = repr(out["result"])
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)
