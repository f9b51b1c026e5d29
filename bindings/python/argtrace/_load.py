"""argtrace.load(): logs seen from Python through the C analysis engine (`_core.Index`, the
viewer's, see _analysis.py), which reads each log once.

The engine decides what several logs loaded together mean — functions merged by qualified
name, function and span ids resolved per log, the same log refused twice — and the call ids:
`Call.id` is the id `argtrace calls`, `tree`, `slow`, `--json` and the exports print (the
call's number in its log, "FILE:N" with several logs). A Call is a light view of one call of
the index (the Log and the call's index id), made when asked for and kept only as long as
someone holds it; its fields are read from the engine on first use. Tables
(`to_pandas()`, `to_arrow()`) are built column by column in C, without a Call per row.
"""

import os

from . import _core
from ._analysis import Analysis, filter_terms
from ._paths import log_paths
from ._sizes import parse_size
from ._values import convert

__all__ = ["load", "Log", "Call", "Message", "ProcessInfo"]

FLAG_COROUTINE = 0x1
FLAG_GENERATOR = 0x2
FLAG_ASYNCGEN = 0x4
FLAG_ACTION = 0x8
FLAG_METHOD = 0x10

# atr_call_view.status -> Call.status
_STATUS = ("return", "raise", "noresult", None)
_RAISED = 1
_UNFINISHED = 3
# Index.row() fields
(_FN, _THREAD, _FILE, _PARENT, _START, _DUR, _ST, _RESULT, _EXC, _SPAN, _ACTIVE, _CHARGED,
 _SELF, _ADOPTED) = range(14)


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
    """A function (or action) of the logs: `id` (its key in Log.functions), module, qualname,
    file, line, params (the declared parameter names), flags, name ("module.qualname").
    Logs loaded together share one Function per module + qualname + file."""

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


class Call(_core.CallView):
    """One traced call or action.

    function     module-qualified name, "mod.qualname" (an action: its name)
    args         {parameter name: value}, defaults applied, **kwargs entries included
                 in place of the **kwargs parameter (`*args` is under "args", a summary)
    fields       the START record's named fields (action fields, **kwargs entries)
    result       the returned value (None if it raised or was not captured)
    exception    None, or (type name, message)
    status       "return", "raise", "noresult" or None (unfinished)
    start_ns, end_ns, duration_ns (None if unfinished), thread
    id           the call id, as `argtrace calls`, `tree`, `slow`, every `--json` output and
                 the exports print it: the call's number in its log (0, 1, 2... in the
                 order of the log's STARTs), an int; with several logs loaded together a
                 str "FILE:N" (FILE: the log's position in the list given to load()).
                 `Log.call(id)` and `Log.tree(id)` take it back.
    parent_id    the parent's id, None for a root
    span         the span id the log gives the call (unique in its log only; what
                 `argtrace.current_span()` returned while it ran)
    active_ns    the time it ran: its duration, except for a generator or coroutine, which is
                 not charged the time it was suspended (yield, await; logs of format 1.1);
                 None if unfinished
    charged_ns   the part of active_ns charged to its parent: not the steps that ran while
                 the parent was suspended or over (an asyncio task's), None if unfinished
    self_ns      active time minus the children's charged times (same process) and
                 adopted_ns, None if unfinished
    adopted_ns   the time it spent running other calls' generators and coroutines: the steps
                 they ran under it, beneath them on its thread, while their own parents were
                 suspended or over (a generator made by a call that has returned; an event
                 loop's steps of the tasks of a coroutine that awaits); None if unfinished
    children     the child calls (a list in log order; calling it, `children()`, gives them
                 in start order as the analysis engine orders them)
    fields, args, result... are read from the analysis engine when first asked for. The
    Log hands out one Call per call while it is in use: `log.call(c.id) is c`.
    parent()     the parent call or None (a forked child's roots: the parent process's call
                 that ran the fork, when both logs were loaded together)
    """

    # The C base (views.c) holds _log (the Log), _ix (the call's id in its index), _row
    # (Index.row(), read on first use) and _argv ((args, fields), converted on first use).
    __slots__ = ()

    def _r(self):
        row = self._row
        if row is None:
            row = self._row = self._log._ix_handle.row(self._ix)
        return row

    def _arguments(self):
        argv = self._argv
        if argv is None:
            args, fields = self._log._ix_handle.args(self._ix)
            argv = self._argv = ({k: convert(v) for k, v in args.items()},
                                 {k: convert(v) for k, v in fields.items()})
        return argv

    @property
    def _func(self):
        return self._log.functions[self._r()[_FN]]

    @property
    def function(self):
        return self._func.name

    @property
    def args(self):
        return self._arguments()[0]

    @property
    def fields(self):
        return self._arguments()[1]

    @property
    def status(self):
        return _STATUS[self._r()[_ST]]

    @property
    def result(self):
        row = self._r()
        return convert(row[_RESULT]) if row[_ST] == 0 else None

    @property
    def exception(self):
        row = self._r()
        return (row[_EXC], convert(row[_RESULT])) if row[_ST] == _RAISED else None

    @property
    def start_ns(self):
        return self._r()[_START]

    @property
    def end_ns(self):
        row = self._r()
        return None if row[_ST] == _UNFINISHED else row[_START] + row[_DUR]

    @property
    def duration_ns(self):
        row = self._r()
        return None if row[_ST] == _UNFINISHED else row[_DUR]

    @property
    def finished(self):
        return self._r()[_ST] != _UNFINISHED

    def _time(self, k):
        row = self._r()
        return None if row[_ST] == _UNFINISHED else row[k]

    active_ns = property(lambda self: self._time(_ACTIVE))
    charged_ns = property(lambda self: self._time(_CHARGED))
    self_ns = property(lambda self: self._time(_SELF))
    adopted_ns = property(lambda self: self._time(_ADOPTED))

    @property
    def id(self):
        return self._log._printed_id(self._ix, self._r()[_FILE])

    @property
    def parent_id(self):
        parent = self._r()[_PARENT]
        return None if parent is None else self._log._view(parent).id

    @property
    def span(self):
        return self._r()[_SPAN]

    @property
    def thread(self):
        return self._r()[_THREAD]

    @property
    def children(self):
        log = self._log
        kids = _Children(log._view(k) for k in sorted(log._ix_handle.children(self._ix)))
        kids._owner = self
        return kids

    def parent(self):
        """The parent call, or None for a root."""
        parent = self._r()[_PARENT]
        return None if parent is None else self._log._view(parent)

    @property
    def is_action(self):
        return bool(self.flags & FLAG_ACTION)

    @property
    def flags(self):
        return self._func.flags

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
    """A message logged inside a span: text, fields, span (the span id in its log, 0: none),
    call_id (the id of the call it was logged in, None: none), time_ns, thread."""

    __slots__ = ("text", "fields", "span", "time_ns", "thread", "_call")

    def __init__(self, rec, call=None):
        self.text = rec.get("text")
        self.fields = {k: convert(v) for k, v in (rec.get("fields") or {}).items()}
        self.span = rec.get("span") or 0
        self.time_ns = rec.get("time_ns")
        self.thread = rec.get("thread", 0)
        self._call = call  # the Call it was logged in (same log), or None

    @property
    def call_id(self):
        return self._call.id if self._call is not None else None

    def __repr__(self):
        return "<Message %r %r>" % (self.text, self.fields)


class _ChildList(list):
    """A call's children (a list, in log order); calling it lists them in start order."""

    __slots__ = ("_owner",)


class _Children(_ChildList):
    __slots__ = ()

    def __call__(self):
        log = self._owner._log
        return [log._view(k) for k in log._ix_handle.children(self._owner._ix)]


class _FunctionTable(dict):
    """{Function.id: Function} of the logs (one per module + qualname + file, whatever ids
    the logs' FUNCTION records gave it); calling it, `log.functions()`, gives the
    per-function statistics (FunctionStats) sorted by total time, as `argtrace summary`."""

    __slots__ = ("_log",)

    def __init__(self, log):
        super().__init__()
        self._log = log

    def __call__(self):
        return self._log._functions_stats()


class Log(Analysis):
    """Logs loaded into the analysis engine: one, or several processes of one program merged
    into one view. `truncated`: a file ended inside a frame (crash); `closed`: every file
    ended with END_OF_LOG; `drops`: the writers' DROPS counters (summed over the files);
    `paths`, and `process`/`processes` (ProcessInfo of the first / of every file).
    `calibrations`: per file, the tracer's measured cost the analysis would subtract
    ({"mechanism", "call_ns", "inner_ns", "model"}: model the per-call cost model of
    docs/FORMAT.md 3.13 as a dict, or None for a log that has only call_ns) or None;
    `compensated`: True when times were compensated for it (load(..., compensate=True))."""

    def __init__(self, paths, index):
        self.paths = list(paths)
        self.path = self.paths[0] if len(self.paths) == 1 else ", ".join(self.paths)
        self._ix_handle = index  # the engine's index of the files (owned)
        info = index.info()
        self._n_calls = info["n_calls"]
        self._views = _core.Views(self, self._n_calls, Call)  # the Calls in use
        self._n_messages = info["n_messages"]
        files = [index.file(i) for i in range(info["n_files"])]
        self._first_call = [f["first_call"] for f in files]
        self.processes = [ProcessInfo(f) for f in files]
        self.process = self.processes[0] if self.processes else None
        self.truncated = any(f["truncated"] for f in files)
        self.closed = all(f["closed"] for f in files)
        ends = [f["t_last"] for f in files if f["closed"]]
        self.end_ns = max(ends) if ends else None
        self.calibrations = [{"mechanism": f["calib_mechanism"], "call_ns": f["calib_call_ns"],
                              "inner_ns": f["calib_inner_ns"], "model": f["calib_model"]}
                             if f["calib_mechanism"] else None
                             for f in files]
        self.compensated = any(f["compensated"] for f in files)
        # Long-running processes: per process, its sampling rate (1.0: every call), the
        # files of its rotated log (first_part > 0: --keep deleted earlier ones), and the
        # pauses of recording (count, ns in all).
        self.sample_rates = [f["sample_rate"] for f in files]
        self.parts = [(f["first_part"], f["n_parts"]) for f in files]
        self.pauses = [(f["n_pauses"], f["paused_ns"]) for f in files]
        self.drops = {}
        for f in files:  # summed over the processes that wrote DROPS records
            for k, v in (f["drops"] or {}).items():
                self.drops[k] = self.drops.get(k, 0) + v
        self.threads = {}
        for t in range(info["n_threads"]):
            _, number, os_tid, name = index.thread(t)
            self.threads[number] = {"os_tid": os_tid, "name": name}
        self.functions = _FunctionTable(self)
        for fid in range(info["n_functions"]):
            _, params, n_declared, _, flags, module, qualname, file, line = index.function(fid)
            self.functions[fid] = Function({"id": fid, "module": module, "qualname": qualname,
                                            "file": file, "line": line, "flags": flags,
                                            "params": params[:n_declared]})

    # ---- the analysis index (see _analysis.Analysis) ----

    def _where(self):
        return self.path

    _cli_opts = ()  # options of the CLI reading these logs the same way (load()'s)

    def _cli_logs(self):
        return list(self.paths) + list(self._cli_opts)

    def _index(self):
        """The analysis engine's index of these logs."""
        return self._ix_handle

    def _view(self, i):
        """The Call of index call id i: the one in use, else a new view."""
        return self._views.get(i)

    def _views_of(self, ids):
        """The Calls of these index call ids (None: every call, in id order)."""
        return self._views.many(ids)

    _ix_call = _view

    def _ix_id(self, call):
        if getattr(call, "_log", None) is not self:
            raise ValueError("argtrace: %r is not in the analysis index" % (call,))
        return call._ix

    def _printed_id(self, i, file):
        if len(self._first_call) == 1:
            return i
        return "%d:%d" % (file, i - self._first_call[file])

    # ---- queries ----

    def function_names(self):
        """Sorted distinct function (and action) names defined in the log."""
        return sorted({f.name for f in self.functions.values()})

    def _fn_ids(self, function):
        """Call ids of `function` (name or unique suffix), in log order."""
        name = self.resolve(function)
        fids = [f.id for f in self.functions.values() if f.name == name]
        ids = [i for fid in fids for i in self._ix_handle.fn_calls(fid)]
        return sorted(ids) if len(fids) > 1 else ids

    def _unfiltered_calls(self, function):
        """Every call (of `function`, when given) in log order (Analysis.calls)."""
        if function is None:
            return self._views_of(None)
        return self._views_of(self._fn_ids(function))

    def call(self, call_id):
        """The call with this id (`Call.id`, as `argtrace calls` prints it: 253, or
        "1:253" with several logs; a str "253" works too), or None when there is none.
        ValueError for something that is not a call id, or a bare number while several
        logs are loaded."""
        i = self._ix_handle.find_call(call_id)
        return None if i is None else self._view(i)

    def roots(self):
        """Calls without a parent in these logs."""
        parents = self._ix_handle.column("parent")
        return self._views_of(i for i, p in enumerate(parents) if p is None)

    def _message(self, m):
        call, thread, time_ns, text, fields = self._ix_handle.message(m)
        view = None if call is None else self._view(call)
        return Message({"text": text, "fields": fields, "time_ns": time_ns, "thread": thread,
                        "span": view.span if view is not None else 0}, view)

    def messages(self, span=None):
        """Messages in log order; with `span` (a Call or a call id) only those logged in
        that call."""
        if span is None:
            return (self._message(m) for m in range(self._n_messages))
        call = span if isinstance(span, Call) else self.call(span)
        if call is None or getattr(call, "_log", None) is not self:
            return iter(())
        return (self._message(m) for m in self._ix_handle.call_messages(call._ix))

    def _table(self, function, filters, equals):
        """The columns of calls(function, *filters, **equals) (Index.table), or None when
        `function` names no function of the logs."""
        terms = filter_terms(list(filters), equals) or None
        fid = None
        if function is not None:
            fid = self._fn_id(function)
            if fid is None:
                if terms:
                    self._ix_handle.query(None, terms, 0, 0, 1)  # still report bad syntax
                return None
        return self._ix_handle.table(fid, terms, convert)

    def __len__(self):
        return self._n_calls

    def __repr__(self):
        return "<argtrace.Log %s: %d calls%s>" % (
            self.path, self._n_calls, ", truncated" if self.truncated else "")


DEFAULT_MAX_MEMORY = 4 << 30


def _show_size(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return "%.1f %s" % (n / size, unit)
    return "%d bytes" % n


def load(paths, *, max_memory=DEFAULT_MAX_MEMORY, compensate=False, _records=None):
    """Read the log at `paths` (a path, or a list of paths: the processes of one program,
    e.g. a parent and its forked children, merged into one view) into a Log. A path may be
    a directory (every log in it), a pattern ("app.atr*"), or a rotated log's first name
    (app.atr stands for app.atr, app.atr.1, ...): a process's files load as one log. A truncated
    log (crashed writer) loads every complete record with `.truncated` True; a corrupt one
    raises ValueError, a missing one OSError. The same log twice (the same file, or a copy:
    the same process uid) raises ValueError, as the viewer refuses it. `max_memory` (bytes,
    or "512M", "4G"; 0: no limit; default 4 GiB) bounds the memory the analysis engine's index
    of the logs may take (estimated; a Log holds no per-call Python objects beyond the Calls
    in use): past it, ValueError saying so, instead of exhausting the machine.
    compensate=True subtracts the tracer's cost per call that the log measured (a CALIBRATION
    record; `.compensated` says whether it did; docs/FORMAT.md 3.13); by default the times
    are as recorded."""
    paths = log_paths(paths, "load()")
    max_memory = parse_size(max_memory)
    if _records is not None:
        from ._records import RecordsLog
        return RecordsLog(paths, [_records], max_memory=max_memory)
    from . import _core
    from ._notebook import file_stamps
    stamps = file_stamps(paths)  # what print() checks before it asks the CLI (_notebook.py)
    index = _core.Index(compensate=compensate)
    index.set_max_memory(max_memory)
    index.load(paths)  # directories, rotated logs (app.atr = app.atr, app.atr.1, ...), globs
    log = Log(paths, index)
    log._stamps = stamps
    log._cli_opts = ("--max-memory", str(max_memory)) + (("--compensate",) if compensate else ())
    return log
