"""Runs generated programs (test_differential.py) in one mode and prints their call trees.

    python diff_runner.py MODE OUT.json PROG.py [PROG.py ...]

MODE: "ref" (untraced, under the reference tracer below), "deco" (every t_* function
decorated with argtrace.trace), "filter" (filter tracing of prog:t_*; the backend is
whatever ARGTRACE_FILTER_BACKEND selects) or "clock" (the same on the program's clock, NOW,
which only its u_tick moves). Each program is a module whose traced functions are the
top-level t_* (parameters: ints) and which has main(). OUT.json gets, per program, the list
of calls [name, [args], parent index or None, self time, active time(, nested)]: the
reference's self time is the sum of the ticks the call's own frame made (only a timed program
ticks), its active time the ticks made while its frame ran on the stack.

The reference tracer knows nothing of argtrace: sys.setprofile/threading.setprofile events,
the real frame stack, and asyncio task creation. Rules (docs/FORMAT.md, "Call trees"):
  - a call's parent is the nearest traced frame below it on the stack, looked up when its
    code first runs (a generator/coroutine: its first step; later resumes are the same call);
  - inside an asyncio task's step the stack ends at the task's coroutine: below it, the
    parent is the span that was current where the task was created (its creator);
  - a new thread starts with no parent.
"""

import asyncio
import importlib.util
import json
import os
import sys
import threading
import types

GEN_FLAGS = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR


def first_step_fn():
    """frame -> 1 if a call event of generator-like code is its first step."""
    if sys.version_info < (3, 11):
        return lambda f: f.f_lasti < 0
    import dis
    resume = dis.opmap["RESUME"]

    def first(f):
        code = f.f_code.co_code
        i = f.f_lasti
        return 0 <= i < len(code) - 1 and code[i] == resume and code[i + 1] == 0
    return first


class Reference:
    def __init__(self, codes):
        self.codes = codes
        # [name, args, parent, self time: the ticks its frame made, active time: the ticks
        #  made while its frame was on the stack (tick), nested: a frame of its code was on
        #  the stack when it started]
        self.calls = []
        self.frames = {}      # id(frame) -> (call index, code): traced frames (stale: code differs)
        self.creator = {}     # id(task) -> call index or None
        self.tasks = []       # keeps the tasks alive (no id reuse)
        self.first = first_step_fn()

    def _task(self):
        try:
            loop = asyncio._get_running_loop()
            task = asyncio.current_task(loop) if loop is not None else None
        except RuntimeError:
            return None, None
        if task is None:
            return None, None
        coro = task.get_coro()
        return task, getattr(coro, "cr_frame", None)

    def current(self, g, task=None, boundary=None):
        """Call index of the nearest traced frame from g (inclusive) down the stack."""
        if task is None:
            task, boundary = self._task()
        while g is not None:
            hit = self.frames.get(id(g))
            if hit is not None and hit[1] is g.f_code:
                return hit[0]
            if boundary is not None and g is boundary:
                return self.creator.get(id(task))
            g = g.f_back
        return None

    def profile(self, frame, event, arg):
        co = frame.f_code
        if co not in self.codes:
            return
        if event == "call":
            if co.co_flags & GEN_FLAGS and not self.first(frame):
                return  # a resume: the same call
            task, boundary = self._task()
            if boundary is not None and frame is boundary:
                parent = self.creator.get(id(task))
            else:
                parent = self.current(frame.f_back, task, boundary)
            n = co.co_argcount
            args = [frame.f_locals[v] for v in co.co_varnames[:n]]
            nested = False
            g = frame.f_back
            while g is not None and not nested:
                nested = g.f_code is co
                g = g.f_back
            self.frames[id(frame)] = (len(self.calls), co)
            self.calls.append([co.co_name, args, parent, 0, 0, nested])
        elif event == "return":
            if co.co_flags & GEN_FLAGS:
                return
            hit = self.frames.get(id(frame))
            if hit is not None and hit[1] is co:
                del self.frames[id(frame)]

    def tick(self, frame, k):
        """A timed program's u_tick(k) in frame: k ns of the self time of the frame's call,
        and of the active time of every traced call whose frame is on the stack (f_back, from
        this frame down): the frames that run, and the generator and coroutine frames that
        CPython puts on the stack to pass a throw() down their yield from / await chain
        without running them (no profile event says so; 3.9 links only the nearest one).
        A suspended generator's frame is on no stack."""
        hit = self.frames.get(id(frame))
        if hit is not None and hit[1] is frame.f_code:
            self.calls[hit[0]][3] += k
        g = frame
        while g is not None:
            hit = self.frames.get(id(g))
            if hit is not None and hit[1] is g.f_code:
                self.calls[hit[0]][4] += k
            g = g.f_back

    def install_task_hook(self):
        ref = self
        base = asyncio.tasks.Task

        class RefTask(base):
            def __init__(self, coro, *a, **k):
                ref.creator[id(self)] = ref.current(sys._getframe(1))
                ref.tasks.append(self)
                super().__init__(coro, *a, **k)

        asyncio.tasks.Task = RefTask
        asyncio.Task = RefTask
        return base


def load(path, decorate):
    spec = importlib.util.spec_from_file_location("prog", path)
    mod = importlib.util.module_from_spec(spec)
    mod.T = decorate
    sys.modules["prog"] = mod
    spec.loader.exec_module(mod)
    return mod


def run_ref(path):
    mod = load(path, lambda f: f)
    codes = {v.__code__ for k, v in vars(mod).items() if k.startswith("t_")}
    ref = Reference(codes)
    mod.TICK = ref.tick
    base = ref.install_task_hook()
    threading.setprofile(ref.profile)
    sys.setprofile(ref.profile)
    try:
        mod.main()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        asyncio.tasks.Task = asyncio.Task = base
    return ref.calls


def from_log(path):
    import argtrace
    log = argtrace.load(path)
    calls = log.calls()
    index = {c.id: i for i, c in enumerate(calls)}
    out = []
    for c in calls:
        name = c.function.rsplit(".", 1)[-1]
        parent = index.get(c.parent_id) if c.parent_id is not None else None
        out.append([name, list(c.args.values()), parent, c.self_ns, c.active_ns])
    return out


def run_traced(path, mode, log_path):
    import argtrace
    clocked = mode == "clock"
    if mode == "deco":
        mod = load(path, argtrace.trace)
        argtrace.start(log_path)
    elif clocked:  # filter tracing on the program's own clock: exact times
        from argtrace import _core
        mod = load(path, lambda f: f)
        argtrace.start(log_path)
        _core.filter_start(["prog:t_*"], clock=lambda: mod.NOW[0])
    else:
        mod = load(path, lambda f: f)
        argtrace.start(log_path, trace=["prog:t_*"])
    try:
        mod.main()
    finally:
        if clocked:
            _core.filter_stop()
        argtrace.stop()
    return from_log(log_path)


def main():
    mode, out = sys.argv[1], sys.argv[2]
    results = []
    for path in sys.argv[3:]:
        if mode == "ref":
            results.append(run_ref(path))
        else:
            results.append(run_traced(path, mode, os.path.splitext(path)[0] + "." + mode + ".atr"))
        sys.modules.pop("prog", None)
    with open(out, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
