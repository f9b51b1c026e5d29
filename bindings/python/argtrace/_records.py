"""Logs built from records (`argtrace.load(..., _records=...)`): the records, shaped like
`_core.read_records` output, assembled in Python. Tests use it to pin the value classes,
argument binding and parentage without a log file. Such a Log has no analysis (functions(),
slow(), tree()... need the log files: argtrace.load() of a path loads them into the C
engine, see _load.py).
"""

from ._analysis import Analysis
from ._load import (FLAG_ACTION, Call, Function, Message, ProcessInfo, _ChildList,
                    _FunctionTable, _show_size)
from ._values import convert, convert_fields


class _RecordCall(Call):
    """A call of a records-built Log: Call's fields, set while the records are read."""

    __slots__ = ("function", "args", "fields", "result", "exception", "status", "start_ns",
                 "end_ns", "id", "parent_id", "span", "thread", "children", "_func", "_pspan")

    def __init__(self, rec, func, log=None):
        self._func = func
        self._log = log
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

    # (the analysis needs files)
    self_ns = active_ns = charged_ns = adopted_ns = property(lambda self: None)

    def parent(self):
        """The parent call, or None for a root."""
        return None

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


class _Children(_ChildList):
    """A call's children in log order; calling it gives them in the same order."""

    __slots__ = ()

    def __init__(self, owner):
        super().__init__()
        self._owner = owner

    def __call__(self):
        return list(self)


class _File:
    """What one log contributes while it is read: its FUNCTION ids and spans."""

    def __init__(self):
        self.functions = {}  # FUNCTION id -> Function of this log's record
        self.by_span = {}
        self.calls = []
        self.process = None
        self.drops = {}  # its last DROPS record (each holds the totals so far)


class RecordsLog(Analysis):
    """Logs in memory: one, or several processes of one program merged into one view.
    `truncated`: a file ended inside a frame (crash); `closed`: every file ended with
    END_OF_LOG; `drops`: the writers' DROPS counters (summed over the files); `paths`, and
    `process`/`processes` (ProcessInfo of the first / of every file)."""

    # Estimated bytes a call and a message take here (Call, its dicts, the id maps).
    _CALL_BYTES = 900
    _MESSAGE_BYTES = 500
    _CHECK_EVERY = 4096

    def __init__(self, paths, streams, max_memory=0):
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
        self._resolve_here()
        self._by_id = {c.id: c for c in self._calls}

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
            call = _RecordCall(rec, f.functions.get(rec.get("function")), None)
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
        raise ValueError("argtrace: this Log was built from records, not files: "
                         "analysis needs the log files")

    # ---- queries ----

    def function_names(self):
        """Sorted distinct function (and action) names defined in the log."""
        return sorted({f.name for file in self._files for f in file.functions.values()})

    def _unfiltered_calls(self, function):
        """Every call (of `function`, when given) in log order (Analysis.calls)."""
        if function is None:
            return list(self._calls)
        name = self.resolve(function)
        return [c for c in self._calls if c.function == name]

    def call(self, call_id):
        """The call with this id (`Call.id`, as `argtrace calls` prints it: 253, or
        "1:253" with several logs; a str "253" works too), or None when there is none.
        ValueError for something that is not a call id, or a bare number while several
        logs are loaded."""
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

    def _table(self, function, filters, equals):
        """The columns of calls(function, *filters, **equals) as Index.table gives them
        (_table.py), made from the Call objects: a records-built Log has no engine."""
        calls = self.calls(function, *filters, **equals)
        cols = {"id": [c.id for c in calls], "function": [c.function for c in calls],
                "thread": [c.thread for c in calls], "start_ns": [c.start_ns for c in calls],
                "status": [c.status or "unfinished" for c in calls],
                "exception": [c.exception[0] if c.exception else None for c in calls],
                "n_raised": sum(1 for c in calls if c.exception), "args": {},
                "arg_columns": [], "arg_kinds": []}
        for name in ("duration_ns", "active_ns", "self_ns"):
            cols[name] = [getattr(c, name) for c in calls]
        names = sorted({k for c in calls for k in c.args})
        for n, name in enumerate(names):
            col = [c.args.get(name) for c in calls]
            cols["args"][name] = n
            cols["arg_columns"].append(col)
            cols["arg_kinds"].append("none" if any(name not in c.args for c in calls)
                                     else "full")
        return cols

    def __len__(self):
        return len(self._calls)

    def __repr__(self):
        return "<argtrace.Log %s: %d calls%s>" % (
            self.path, len(self._calls), ", truncated" if self.truncated else "")

    # no summary without the engine (Analysis shows one): printed as its repr, no HTML
    __str__ = __repr__
    _repr_html_ = None


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


