"""argtrace.load(): logs read into Python objects (calls, messages, process info), with
the viewer's analysis (statistics, filters, slow arguments, trees) on top.

The records come from `_core.read_records` (the C reader); this module only assembles them:
starts and ends become Call objects, parameter names become argument dicts. The logs are
also loaded into the C analysis engine (`_core.Index`, the viewer's, see _analysis.py),
which decides what several logs loaded together mean — functions merged by qualified name,
function and span ids resolved per log, the same log refused twice — and the call ids:
`Call.id` is the id `argtrace calls`, `tree`, `slow`, `--json` and the exports print (the
call's number in its log, "FILE:N" with several logs). Analysis (`functions()`, filtered
`calls()`, `slow()`, `tree()`, `self_ns`...) asks that engine and maps its call ids back to
these Call objects.
"""

import os
import re

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


class Call:
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
    self_ns      active time minus the children's charged times (same process), None if
                 unfinished
    children     the child calls (a list in log order; calling it, `children()`, gives them
                 in start order as the analysis engine orders them)
    parent()     the parent call or None (a forked child's roots: the parent process's call
                 that ran the fork, when both logs were loaded together)
    """

    __slots__ = ("function", "args", "fields", "result", "exception", "status", "start_ns",
                 "end_ns", "id", "parent_id", "span", "thread", "children", "_func", "_log",
                 "_ix", "_pspan", "__weakref__")

    def __init__(self, rec, func, log=None):
        self._func = func
        self._log = log
        self._ix = None  # its call id in the analysis index, once mapped
        self.function = func.name if func else "<unknown function %r>" % rec.get("function")
        self.id = None  # set once the log's calls are numbered
        self.parent_id = None
        self.span = rec["span"]
        self._pspan = rec.get("parent") or 0  # the parent's span in this log (0: none)
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

    @property
    def active_ns(self):
        return self._time_column("active_ns")

    @property
    def charged_ns(self):
        return self._time_column("charged_ns")

    def _time_column(self, name):
        if self.end_ns is None or self._log is None:
            return None
        return self._log._column(name)[self._log._ix_id(self)]

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
    """A message logged inside a span: text, fields, span (the span id in its log, 0: none),
    call_id (the id of the call it was logged in, None: none), time_ns, thread."""

    __slots__ = ("text", "fields", "span", "time_ns", "thread", "_call")

    def __init__(self, rec, call=None):
        self.text = rec.get("text")
        self.fields = convert_fields(rec.get("fields"))
        self.span = rec.get("span") or 0
        self.time_ns = rec.get("time_ns")
        self.thread = rec.get("thread", 0)
        self._call = call  # the Call it was logged in (same log), or None

    @property
    def call_id(self):
        return self._call.id if self._call is not None else None

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
    """{Function.id: Function} of the logs (one per module + qualname + file, whatever ids
    the logs' FUNCTION records gave it); calling it, `log.functions()`, gives the
    per-function statistics (FunctionStats) sorted by total time, as `argtrace summary`."""

    __slots__ = ("_log",)

    def __init__(self, log):
        super().__init__()
        self._log = log

    def __call__(self):
        return self._log._functions_stats()


class _File:
    """What one log contributes while it is read: its FUNCTION ids and spans."""

    def __init__(self):
        self.functions = {}  # FUNCTION id -> Function of this log's record
        self.by_span = {}
        self.calls = []
        self.process = None
        self.drops = {}  # its last DROPS record (each holds the totals so far)
        self.calibration = None  # the CALIBRATION record the analysis uses (dict), or None


class Log(Analysis):
    """Logs in memory: one, or several processes of one program merged into one view.
    `truncated`: a file ended inside a frame (crash); `closed`: every file ended with
    END_OF_LOG; `drops`: the writers' DROPS counters (summed over the files); `paths`, and
    `process`/`processes` (ProcessInfo of the first / of every file). `calibrations`: per
    file, the CALIBRATION the analysis uses ({"mechanism", "call_ns", "inner_ns", ...}) or
    None; `compensated`: True when times were compensated for the tracer's cost
    (load(..., compensate=True))."""

    # Estimated bytes a call and a message take here (Call, its dicts, the id maps).
    _CALL_BYTES = 900
    _MESSAGE_BYTES = 500
    _CHECK_EVERY = 4096

    def __init__(self, paths, streams, index=None, max_memory=0, compensate=False):
        self.paths = list(paths)
        self._max_memory = max_memory
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
        self._ix_handle = index  # the engine's index of the same files, None: from records
        self._ix_calls = None
        self._columns = {}
        self.compensated = False
        for records in streams:
            f = _File()
            self._files.append(f)
            self._closed_now = False
            n = 0
            for rec in records:
                self._add(f, rec)
                n += 1
                if max_memory and n % self._CHECK_EVERY == 0:
                    self._check_memory()
            if max_memory:
                self._check_memory()
            self.closed = self.closed and self._closed_now
            self.truncated = self.truncated or bool(getattr(records, "truncated", False))
            self.processes.append(f.process)
        del self._closed_now
        for f in self._files:  # summed over the processes
            for k, v in f.drops.items():
                self.drops[k] = self.drops.get(k, 0) + v
        self.process = self.processes[0] if self.processes else None
        self.calibrations = [f.calibration for f in self._files]
        self.compensated = bool(compensate and index is not None and
                                any(c and c.get("call_ns") for c in self.calibrations))
        if index is not None:
            self._adopt_index()
            if self.compensated:
                self._compensate()
        else:
            self._resolve_here()
            self._by_id = {c.id: c for c in self._calls}

    def _compensate(self):
        """Take the calls' times from the analysis index, which compensated them for the
        tracer's cost (atr_index_set_compensate); messages move with their call."""
        starts, durs = self._column("start_ns"), self._column("duration_ns")
        shift = {}  # id(call) -> how far its start moved, the inner cost of its log
        for n, f in enumerate(self._files):
            inner = (f.calibration or {}).get("inner_ns", 0)
            for c in f.calls:
                i = c._ix
                if i is None:
                    continue
                shift[id(c)] = (c.start_ns - starts[i], inner)
                c.start_ns = starts[i]
                if c.end_ns is not None:
                    c.end_ns = starts[i] + durs[i]
        for m in self._messages:  # as the index does: with their call, kept inside it
            c = m._call
            if c is None or id(c) not in shift or m.time_ns is None:
                continue
            moved, inner = shift[id(c)]
            t = max(m.time_ns - moved - inner, c.start_ns)
            m.time_ns = min(t, c.end_ns) if c.end_ns is not None else t

    def _check_memory(self):
        used = (len(self._calls) * self._CALL_BYTES
                + len(self._messages) * self._MESSAGE_BYTES)
        if used > self._max_memory:
            where = self.paths[len(self._files) - 1]
            raise ValueError("argtrace: %s: loading this log needs more than the memory limit "
                             "of %s (raise it with argtrace.load(max_memory=...))"
                             % (where, _show_size(self._max_memory)))

    def _add(self, f, rec):
        kind = rec.get("kind")
        if kind == "start":
            call = Call(rec, f.functions.get(rec.get("function")),
                        self if self._ix_handle is not None else None)
            self._calls.append(call)
            f.calls.append(call)
            f.by_span[call.span] = call
        elif kind == "end":
            call = f.by_span.get(rec.get("span"))
            if call is not None:
                call._finish(rec)
        elif kind == "message":
            self._messages.append(Message(rec, f.by_span.get(rec.get("span"))))
        elif kind == "function":
            func = Function(rec)
            f.functions[func.id] = func
        elif kind == "thread":
            self.threads[rec.get("thread", 0)] = {"os_tid": rec.get("os_tid"),
                                                  "name": rec.get("name")}
        elif kind == "process" and f.process is None:
            f.process = ProcessInfo(rec)
        elif kind == "drops":  # totals so far: a later one replaces an earlier one
            f.drops = {k: v for k, v in rec.items() if k not in ("kind", "thread", "time_ns")}
        elif kind == "calibration":  # a filter backend's (most calls) over the decorator's
            if f.calibration is None or f.calibration.get("mechanism") == "decorator" or \
                    rec.get("mechanism") != "decorator":
                f.calibration = {k: v for k, v in rec.items() if k not in ("thread", "time_ns")}
        elif kind == "end_of_log":
            self._closed_now = True
            end = rec.get("time_ns")
            self.end_ns = end if self.end_ns is None else max(self.end_ns, end)

    @staticmethod
    def _key(func):
        return (func.module, func.qualname, func.file)

    def _merge_functions(self, order):
        """Log.functions from `order`, the merged functions by id; each call's function
        becomes the merged one (its arguments were bound with its own log's record)."""
        by_key = {self._key(func): func for func in order}
        for func in order:
            self.functions[func.id] = func
        for f in self._files:
            local = {func: by_key.get(self._key(func), func) for func in f.functions.values()}
            for c in f.calls:
                if c._func is not None:
                    c._func = local.get(c._func, c._func)

    def _adopt_index(self):
        """What the engine decided: functions merged by module + qualname + file, call ids
        (atr_call_id_format), parents (per log, and a forked child's roots under the
        parent's call that ran the fork)."""
        ix = self._ix_handle
        merged = []
        for fid in range(ix.info()["n_functions"]):
            _, params, n_declared, _, flags, module, qualname, file, line = ix.function(fid)
            merged.append(Function({"id": fid, "module": module, "qualname": qualname,
                                    "file": file, "line": line, "flags": flags,
                                    "params": params[:n_declared]}))
        self._merge_functions(merged)
        flat = self._ix_map()
        for c, cid in zip(flat, ix.call_ids()):
            if c is not None:
                c.id = cid
        for c, p in zip(flat, self._column("parent")):
            if p is not None and c is not None and flat[p] is not None:
                c.parent_id = flat[p].id
                flat[p].children.append(c)

    def _resolve_here(self):
        """The same rules without the engine (a Log built from records): functions merged by
        module + qualname + file in order of first definition, calls numbered per log in
        the order of their STARTs, parents by span within each log and a forked child's
        roots under the parent's span that ran the fork."""
        merged = {}
        for f in self._files:
            for func in f.functions.values():
                merged.setdefault(self._key(func), func)
        order = []
        for n, func in enumerate(merged.values()):
            func.id = n
            order.append(func)
        self._merge_functions(order)
        several = len(self._files) > 1
        for n, f in enumerate(self._files):
            for k, call in enumerate(f.calls):
                call.id = "%d:%d" % (n, k) if several else k
        uids = {f.process.uid: f for f in self._files if f.process is not None and f.process.uid}
        for f in self._files:
            up = uids.get(f.process.parent_uid) if f.process and f.process.parent_uid else None
            for call in f.calls:
                parent = f.by_span.get(call._pspan) if call._pspan else None
                if parent is None and up is not None:
                    parent = up.by_span.get(call._pspan or f.process.parent_span)
                if parent is not None:
                    call.parent_id = parent.id
                    parent.children.append(call)

    # ---- the analysis index (see _analysis.Analysis) ----

    def _where(self):
        return self.path

    def _index(self):
        """The analysis engine's index of these logs."""
        if self._ix_handle is None:
            raise ValueError("argtrace: this Log was built from records, not files: "
                             "analysis needs the log files")
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
        starts, fns = self._column("start_ns"), self._column("function")
        flat = [c for f in self._files for c in f.calls]
        # (a compensated index has moved the starts: the order and functions must agree)
        if (not self.compensated and [c.start_ns for c in flat] != starts) or \
                [c._func.id if c._func is not None else None for c in flat] != fns:
            names = [ix.function(i)[0] for i in range(ix.info()["n_functions"])]
            files = self._column("file")
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

    def call(self, call_id):
        """The call with this id (`Call.id`, as `argtrace calls` prints it: 253, or
        "1:253" with several logs; a str "253" works too), or None when there is none.
        ValueError for something that is not a call id, or a bare number while several
        logs are loaded."""
        if self._ix_handle is not None:
            i = self._ix_handle.find_call(call_id)
            return None if i is None else self._ix_call(i)
        return self._by_id.get(_parse_id(call_id, len(self._files)))

    def roots(self):
        """Calls without a parent in these logs."""
        return [c for c in self._calls if c.parent_id is None]

    def messages(self, span=None):
        """Messages in log order; with `span` (a Call or a call id) only those logged in
        that call."""
        if span is None:
            return iter(self._messages)
        call = span if isinstance(span, Call) else self.call(span)
        return (m for m in self._messages if call is not None and m._call is call)

    def __len__(self):
        return len(self._calls)

    def __repr__(self):
        return "<argtrace.Log %s: %d calls%s>" % (
            self.path, len(self._calls), ", truncated" if self.truncated else "")


def _parse_id(call_id, n_files):
    """A printed call id as Log._by_id keys it (records-built logs; the engine parses the
    others): an int for one log, "FILE:N" for several; ValueError for anything else."""
    if isinstance(call_id, bool) or not isinstance(call_id, (int, str)):
        raise TypeError("argtrace: a call id is an int or a str like '1:253', not %s"
                        % type(call_id).__name__)
    parts = str(call_id).split(":")
    if len(parts) > 2 or not all(p.isdigit() and p.isascii() for p in parts):
        raise ValueError("argtrace: %r is not a call id" % (call_id,))
    if len(parts) == 1 and n_files > 1:
        raise ValueError("argtrace: call id %r is ambiguous: %d logs are loaded; write it as "
                         "FILE:N, e.g. '0:%s'" % (call_id, n_files, call_id))
    if n_files > 1:
        return "%d:%d" % (int(parts[0]), int(parts[1]))
    return int(parts[-1]) if len(parts) == 1 or int(parts[0]) == 0 else None


DEFAULT_MAX_MEMORY = 4 << 30


def _show_size(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return "%.1f %s" % (n / size, unit)
    return "%d bytes" % n


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(value):
    """Bytes from an int or a string such as "512M", "4G", "64MiB" (binary units)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([KMGT]?)(?:i?B)?\s*", value, re.I)
        if m:
            return int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    raise ValueError("argtrace: bad memory size %r (bytes as an int, or e.g. \"512M\", \"4G\")"
                     % (value,))


def load(paths, *, max_memory=DEFAULT_MAX_MEMORY, compensate=False, _records=None):
    """Read the log at `paths` (a path, or a list of paths: the processes of one program,
    e.g. a parent and its forked children, merged into one view) into a Log. A truncated
    log (crashed writer) loads every complete record with `.truncated` True; a corrupt one
    raises ValueError, a missing one OSError. The same log twice (the same file, or a copy:
    the same process uid) raises ValueError, as the viewer refuses it. `max_memory` (bytes,
    or "512M", "4G"; 0: no limit; default 4 GiB) bounds the memory the Log and its analysis
    index may take (estimated): past it, ValueError saying so, instead of exhausting the
    machine. compensate=True subtracts the tracer's cost per call that the log measured (a
    CALIBRATION record; `.compensated` says whether it did; docs/FORMAT.md 3.13); by
    default the times are as recorded."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    paths = [os.fsdecode(os.fspath(p)) for p in paths]
    if not paths:
        raise ValueError("argtrace: load() needs at least one log path")
    max_memory = parse_size(max_memory)
    if _records is not None:
        return Log(paths, [_records], max_memory=max_memory)
    from . import _core
    index = _core.Index(compensate=compensate)
    index.set_max_memory(max_memory)
    for path in paths:
        index.load(path)
    return Log(paths, (_core.read_records(p) for p in paths), index, max_memory, compensate)
