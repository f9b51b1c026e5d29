"""argtrace.load(): logs read into Python objects (calls, messages, process info), with
the viewer's analysis (statistics, filters, slow arguments, trees) on top.

The records come from `_core.read_records` (the C reader); this module only assembles them:
starts and ends become Call objects, parameter names become argument dicts. Analysis
(`functions()`, filtered `calls()`, `slow()`, `tree()`, `self_ns`...) asks the C analysis
engine (`_core.Index`, see _analysis.py), loaded on first use, and maps its call ids back to
these Call objects.
"""

import os

from ._analysis import Analysis, filter_terms
from ._values import convert, convert_fields

__all__ = ["load", "Log", "Call", "Message", "ProcessInfo"]

FLAG_COROUTINE = 0x1
FLAG_GENERATOR = 0x2
FLAG_ASYNCGEN = 0x4
FLAG_ACTION = 0x8
FLAG_METHOD = 0x10


class ProcessInfo:
    """The PROCESS record: pid, host, argv, runtime, tool, clock_ns, wall_ns, uid,
    parent_uid and parent_span (0 unless the log was written by a forked child)."""

    _KEYS = ("pid", "host", "argv", "runtime", "tool", "clock_ns", "wall_ns", "uid",
             "parent_uid", "parent_span")

    def __init__(self, rec):
        for key in self._KEYS:
            setattr(self, key, rec.get(key))
        self.argv = list(self.argv or ())
        self.parent_uid = self.parent_uid or 0
        self.parent_span = self.parent_span or 0

    def __repr__(self):
        return "ProcessInfo(pid=%r, argv=%r, uid=%#x)" % (self.pid, self.argv, self.uid or 0)


class Function:
    __slots__ = ("id", "module", "qualname", "file", "line", "params", "flags", "name")

    def __init__(self, rec):
        self.id = rec["id"]
        self.module = rec.get("module") or ""
        self.qualname = rec.get("qualname") or ""
        self.file = rec.get("file") or ""
        self.line = rec.get("line") or 0
        self.params = list(rec.get("params") or ())
        self.flags = rec.get("flags") or 0
        self.name = "%s.%s" % (self.module, self.qualname) if self.module else self.qualname


class Call:
    """One traced call or action.

    function     module-qualified name, "mod.qualname" (an action: its name)
    args         {parameter name: value}, defaults applied, **kwargs entries included
                 in place of the **kwargs parameter (`*args` is under "args", a summary)
    fields       the START record's named fields (action fields, **kwargs entries)
    result       the returned value (None if it raised or was not captured)
    exception    None, or (type name, message)
    status       "return", "raise", "noresult" or None (unfinished)
    start_ns, end_ns, duration_ns (None if unfinished), id, parent_id (0: none), thread
    self_ns      duration minus the children's durations (same process), None if unfinished
    children     the child calls (a list in log order; calling it, `children()`, gives them
                 in start order as the analysis engine orders them)
    parent()     the parent call or None (a forked child's roots: the parent process's call
                 that ran the fork, when both logs were loaded together)
    """

    __slots__ = ("function", "args", "fields", "result", "exception", "status", "start_ns",
                 "end_ns", "id", "parent_id", "thread", "children", "_func", "_log", "_ix",
                 "__weakref__")

    def __init__(self, rec, func, log=None):
        self._func = func
        self._log = log
        self._ix = None  # its call id in the analysis index, once mapped
        self.function = func.name if func else "<unknown function %r>" % rec.get("function")
        self.id = rec["span"]
        self.parent_id = rec.get("parent") or 0
        self.thread = rec.get("thread", 0)
        self.start_ns = rec.get("time_ns")
        self.end_ns = None
        self.status = None
        self.result = None
        self.exception = None
        self.children = _Children(self)
        self.fields = convert_fields(rec.get("fields"))
        self.args = self._bind(func, rec.get("args") or (), self.fields)

    @staticmethod
    def _bind(func, values, fields):
        params = func.params if func else []
        args = {}
        for i, value in enumerate(values):
            name = params[i] if i < len(params) else "#%d" % i
            if name.startswith("**"):  # its entries are the START fields
                continue
            args[name.lstrip("*")] = convert(value)
        args.update(fields)
        return args

    def _finish(self, rec):
        self.end_ns = rec.get("time_ns")
        status = rec.get("status")
        self.status = status
        if status == "return":
            self.result = convert(rec.get("value"))
        elif status == "raise":
            self.exception = (rec.get("exc_type"), convert(rec.get("value")))

    @property
    def duration_ns(self):
        if self.end_ns is None or self.start_ns is None:
            return None
        return self.end_ns - self.start_ns

    @property
    def finished(self):
        return self.end_ns is not None

    @property
    def self_ns(self):
        if self.end_ns is None or self._log is None:
            return None
        return self._log._column("self_ns")[self._log._ix_id(self)]

    def parent(self):
        """The parent call, or None for a root."""
        if self._log is None:
            return None
        parent = self._log._column("parent")[self._log._ix_id(self)]
        return None if parent is None else self._log._ix_call(parent)

    @property
    def is_action(self):
        return bool(self._func and self._func.flags & FLAG_ACTION)

    @property
    def flags(self):
        return self._func.flags if self._func else 0

    def __repr__(self):
        args = ", ".join("%s=%r" % kv for kv in self.args.items())
        if self.exception:
            outcome = "raised %s(%r)" % self.exception
        elif self.status == "return":
            outcome = "-> %r" % (self.result,)
        else:
            outcome = "(%s)" % (self.status or "unfinished")
        return "<Call %s(%s) %s>" % (self.function, args, outcome)


class Message:
    """A message logged inside a span: text, fields, span (0: none), time_ns, thread."""

    __slots__ = ("text", "fields", "span", "time_ns", "thread")

    def __init__(self, rec):
        self.text = rec.get("text")
        self.fields = convert_fields(rec.get("fields"))
        self.span = rec.get("span") or 0
        self.time_ns = rec.get("time_ns")
        self.thread = rec.get("thread", 0)

    def __repr__(self):
        return "<Message %r %r>" % (self.text, self.fields)


class _Children(list):
    """A call's children (a list, in log order); calling it lists them in start order."""

    __slots__ = ("_owner",)

    def __init__(self, owner):
        super().__init__()
        self._owner = owner

    def __call__(self):
        log = self._owner._log
        if log is None:
            return list(self)
        ix = log._index()
        return [log._ix_call(k) for k in ix.children(log._ix_id(self._owner))]


class _FunctionTable(dict):
    """{FUNCTION id: Function} of the log; calling it, `log.functions()`, gives the
    per-function statistics (FunctionStats) sorted by total time, as `argtrace summary`."""

    __slots__ = ("_log",)

    def __init__(self, log):
        super().__init__()
        self._log = log

    def __call__(self):
        return self._log._functions_stats()


class _File:
    """What one log contributes while it is read."""

    def __init__(self):
        self.functions = {}
        self.by_id = {}
        self.calls = []
        self.process = None
        self.calibration = None  # the CALIBRATION record the analysis uses (dict), or None


class Log(Analysis):
    """Logs in memory: one, or several processes of one program merged into one view.
    `truncated`: a file ended inside a frame (crash); `closed`: every file ended with
    END_OF_LOG; `drops`: the writers' DROPS counters (summed over the files); `paths`, and
    `process`/`processes` (ProcessInfo of the first / of every file). `calibrations`: per
    file, the CALIBRATION the analysis uses ({"mechanism", "call_ns", "inner_ns", ...}) or
    None; `compensated`: True when times were compensated for the tracer's cost
    (load(..., compensate=True))."""

    def __init__(self, paths, streams, from_files=True, compensate=False):
        self.paths = list(paths)
        self.path = self.paths[0] if len(self.paths) == 1 else ", ".join(self.paths)
        self.processes = []
        self.functions = _FunctionTable(self)
        self.threads = {}
        self.drops = {}
        self.closed = True
        self.end_ns = None
        self.truncated = False
        self._calls = []
        self._by_id = {}
        self._messages = []
        self._files = []
        self._from_files = from_files
        self._ix_handle = None
        self._ix_calls = None
        self._columns = {}
        self._compensate_on = compensate
        self.compensated = False
        for records in streams:
            f = _File()
            self._files.append(f)
            self._closed_now = False
            for rec in records:
                self._add(f, rec)
            self.closed = self.closed and self._closed_now
            self.truncated = self.truncated or bool(getattr(records, "truncated", False))
            self.processes.append(f.process)
            for fid, func in f.functions.items():
                self.functions.setdefault(fid, func)
            for span, call in f.by_id.items():
                self._by_id.setdefault(span, call)
        del self._closed_now
        self.process = self.processes[0] if self.processes else None
        self.calibrations = [f.calibration for f in self._files]
        self._link()
        if compensate and from_files and any(c and c.get("call_ns") for c in self.calibrations):
            self._compensate()

    def _compensate(self):
        """Take the calls' times from the analysis index, which compensated them for the
        tracer's cost (atr_index_set_compensate; the index numbers calls as read here)."""
        ix = self._index()
        starts, durs = self._column("start_ns"), self._column("duration_ns")
        fns = self._column("function")
        names = [ix.function(i)[0] for i in range(ix.info()["n_functions"])]
        flat = [c for f in self._files for c in f.calls]
        if len(flat) != len(starts) or any(c.function != names[fns[i]]
                                           for i, c in enumerate(flat)):
            return  # not in the same order: keep the recorded times
        shift = {}  # call -> (how far its start moved, the inner cost of its log)
        i = 0
        for f in self._files:
            inner = (f.calibration or {}).get("inner_ns", 0)
            for c in f.calls:
                shift[id(c)] = (c.start_ns - starts[i], inner)
                c.start_ns = starts[i]
                if c.end_ns is not None:
                    c.end_ns = starts[i] + durs[i]
                i += 1
        for m in self._messages:  # as the index does: with their call, kept inside it
            c = self._by_id.get(m.span) if m.span else None
            if c is None or id(c) not in shift or m.time_ns is None:
                continue
            moved, inner = shift[id(c)]
            t = max(m.time_ns - moved - inner, c.start_ns)
            m.time_ns = min(t, c.end_ns) if c.end_ns is not None else t
        self.compensated = True

    def _link(self):
        """Children lists, also across logs: a forked child's roots (and calls naming a span
        the child never started) hang under the parent process's span that ran the fork."""
        uids = {f.process.uid: f for f in self._files if f.process is not None and f.process.uid}
        for f in self._files:
            up = uids.get(f.process.parent_uid) if f.process and f.process.parent_uid else None
            for call in f.calls:
                parent = f.by_id.get(call.parent_id) if call.parent_id else None
                if parent is None and up is not None:
                    parent = up.by_id.get(call.parent_id or f.process.parent_span)
                if parent is not None:
                    call.parent_id = parent.id
                    parent.children.append(call)

    def _add(self, f, rec):
        kind = rec.get("kind")
        if kind == "start":
            call = Call(rec, f.functions.get(rec.get("function")),
                        self if self._from_files else None)
            self._calls.append(call)
            f.calls.append(call)
            f.by_id[call.id] = call
        elif kind == "end":
            call = f.by_id.get(rec.get("span"))
            if call is not None:
                call._finish(rec)
        elif kind == "message":
            self._messages.append(Message(rec))
        elif kind == "function":
            func = Function(rec)
            f.functions[func.id] = func
        elif kind == "thread":
            self.threads[rec.get("thread", 0)] = {"os_tid": rec.get("os_tid"),
                                                  "name": rec.get("name")}
        elif kind == "process" and f.process is None:
            f.process = ProcessInfo(rec)
        elif kind == "drops":
            for k, v in rec.items():
                if k not in ("kind", "thread", "time_ns"):
                    self.drops[k] = self.drops.get(k, 0) + v
        elif kind == "calibration":  # a filter backend's (most calls) over the decorator's
            if f.calibration is None or f.calibration.get("mechanism") == "decorator" or \
                    rec.get("mechanism") != "decorator":
                f.calibration = {k: v for k, v in rec.items() if k not in ("thread", "time_ns")}
        elif kind == "end_of_log":
            self._closed_now = True
            end = rec.get("time_ns")
            self.end_ns = end if self.end_ns is None else max(self.end_ns, end)

    # ---- the analysis index (see _analysis.Analysis) ----

    def _where(self):
        return self.path

    def _index(self):
        """The analysis engine's index of these logs, loaded on first use."""
        if self._ix_handle is None:
            if not self._from_files:
                raise ValueError("argtrace: this Log was built from records, not files: "
                                 "analysis needs the log files")
            from . import _core
            ix = _core.Index(compensate=self._compensate_on)
            for path in self.paths:
                ix.load(path)
            self._ix_handle = ix
        return self._ix_handle

    def _column(self, name):
        col = self._columns.get(name)
        if col is None:
            col = self._columns[name] = self._index().column(name)
        return col

    def _ix_map(self):
        """Call objects by index call id. The index numbers each file's calls in the order
        of their STARTs, as they were read here; checked, else matched by start and name."""
        if self._ix_calls is not None:
            return self._ix_calls
        ix = self._index()
        starts, fns, files = (self._column(n) for n in ("start_ns", "function", "file"))
        names = [ix.function(i)[0] for i in range(ix.info()["n_functions"])]
        flat = [c for f in self._files for c in f.calls]
        if len(flat) != len(starts) or any(
                c.start_ns != starts[i] or c.function != names[fns[i]]
                for i, c in enumerate(flat)):
            pool = {}
            for n, f in enumerate(self._files):
                for c in f.calls:
                    pool.setdefault((n, c.start_ns, c.function), []).append(c)
            flat = []
            for i in range(len(starts)):
                same = pool.get((files[i], starts[i], names[fns[i]]))
                flat.append(same.pop(0) if same else None)
        for i, c in enumerate(flat):
            if c is not None:
                c._ix = i
        self._ix_calls = flat
        return flat

    def _ix_call(self, i):
        return self._ix_map()[i]

    def _ix_id(self, call):
        self._ix_map()
        if call._ix is None:
            raise ValueError("argtrace: %r is not in the analysis index" % (call,))
        return call._ix

    # ---- queries ----

    def function_names(self):
        """Sorted distinct function (and action) names defined in the log."""
        return sorted({f.name for file in self._files for f in file.functions.values()})

    def resolve(self, function):
        """The full name matching `function`: the full name itself or a unique suffix
        ("parse" matches "app.parse"), or None when the log has no such function (never
        called). Raises ValueError listing the candidates when several match."""
        names = self.function_names()
        if function in names:
            return function
        found = [n for n in names if n.endswith("." + function)]
        if len(found) <= 1:
            return found[0] if found else None
        raise ValueError("argtrace: %r is ambiguous in %s: %s"
                         % (function, self.path, ", ".join(found)))

    def calls(self, function=None, *filters, where=(), **equals):
        """Calls, optionally only those of one function (full name or unique suffix; a
        name the logs do not have gives nothing, an ambiguous suffix raises ValueError).

        Without filters: every call in log order (per thread; threads interleave as
        written). With filters: the matching calls in start order, chosen by the analysis
        engine. Filters are strings in the viewer's syntax, given as further positional
        arguments or as `where=[...]` ("n>1000", "len(rows)>10", "duration>10ms",
        "exception=ValueError", "type(x)=list", "!unfinished"...; a syntax error raises
        ValueError), and keyword arguments meaning equality (`mode="strict"` is the filter
        `arg.mode="strict"`). All must hold."""
        terms = filter_terms(list(filters) + list(filter_terms(where)), equals)
        if terms:
            return self._query(function, terms)
        if function is None:
            return list(self._calls)
        name = self.resolve(function)
        return [c for c in self._calls if c.function == name]

    def call(self, span_id):
        """The call with this span id, or None."""
        return self._by_id.get(span_id)

    def roots(self):
        """Calls without a parent in these logs."""
        return [c for c in self._calls if not c.parent_id or c.parent_id not in self._by_id]

    def messages(self, span=None):
        """Messages in log order; with `span` (a Call or an id) only that span's."""
        if span is None:
            return iter(self._messages)
        sid = span.id if isinstance(span, Call) else span
        return (m for m in self._messages if m.span == sid)

    def __len__(self):
        return len(self._calls)

    def __repr__(self):
        return "<argtrace.Log %s: %d calls%s>" % (
            self.path, len(self._calls), ", truncated" if self.truncated else "")


def load(paths, *, compensate=False, _records=None):
    """Read the log at `paths` (a path, or a list of paths: the processes of one program,
    e.g. a parent and its forked children, merged into one view) into a Log. A truncated
    log (crashed writer) loads every complete record with `.truncated` True; a corrupt one
    raises ValueError, a missing one OSError. compensate=True subtracts the tracer's cost
    per call that the log measured (a CALIBRATION record; `.compensated` says whether it
    did; docs/FORMAT.md 3.12); by default the times are as recorded."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    paths = [os.fsdecode(os.fspath(p)) for p in paths]
    if not paths:
        raise ValueError("argtrace: load() needs at least one log path")
    if _records is not None:
        return Log(paths, [_records], from_files=False)
    from . import _core
    return Log(paths, (_core.read_records(p) for p in paths), compensate=compensate)
