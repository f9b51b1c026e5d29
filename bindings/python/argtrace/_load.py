"""argtrace.load(): a log read into Python objects (calls, messages, process info).

The records come from `_core.read_records` (the C reader); this module only assembles them:
starts and ends become Call objects, parameter names become argument dicts.
"""

import os

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
    """

    __slots__ = ("function", "args", "fields", "result", "exception", "status", "start_ns",
                 "end_ns", "id", "parent_id", "thread", "children", "_func", "__weakref__")

    def __init__(self, rec, func):
        self._func = func
        self.function = func.name if func else "<unknown function %r>" % rec.get("function")
        self.id = rec["span"]
        self.parent_id = rec.get("parent") or 0
        self.thread = rec.get("thread", 0)
        self.start_ns = rec.get("time_ns")
        self.end_ns = None
        self.status = None
        self.result = None
        self.exception = None
        self.children = []
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


class Log:
    """A whole log in memory. `truncated`: the file ended inside a frame (crash);
    `closed`: it ended with END_OF_LOG; `drops`: the last DROPS counters."""

    def __init__(self, path, records):
        self.path = path
        self.process = None
        self.functions = {}
        self.threads = {}
        self.drops = {}
        self.closed = False
        self.end_ns = None
        self._calls = []
        self._by_id = {}
        self._messages = []
        for rec in records:
            self._add(rec)
        self.truncated = bool(getattr(records, "truncated", False))
        for call in self._calls:
            parent = self._by_id.get(call.parent_id)
            if parent is not None:
                parent.children.append(call)

    def _add(self, rec):
        kind = rec.get("kind")
        if kind == "start":
            call = Call(rec, self.functions.get(rec.get("function")))
            self._calls.append(call)
            self._by_id[call.id] = call
        elif kind == "end":
            call = self._by_id.get(rec.get("span"))
            if call is not None:
                call._finish(rec)
        elif kind == "message":
            self._messages.append(Message(rec))
        elif kind == "function":
            func = Function(rec)
            self.functions[func.id] = func
        elif kind == "thread":
            self.threads[rec.get("thread", 0)] = {"os_tid": rec.get("os_tid"),
                                                  "name": rec.get("name")}
        elif kind == "process" and self.process is None:
            self.process = ProcessInfo(rec)
        elif kind == "drops":
            self.drops = {k: v for k, v in rec.items() if k not in ("kind", "thread", "time_ns")}
        elif kind == "end_of_log":
            self.closed = True
            self.end_ns = rec.get("time_ns")

    def function_names(self):
        """Sorted distinct function (and action) names defined in the log."""
        return sorted({f.name for f in self.functions.values()})

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

    def calls(self, function=None):
        """Calls in start order (per thread; threads interleave as written), optionally
        only those of one function (full name or unique suffix; a name the log does not
        have yields nothing, an ambiguous suffix raises ValueError)."""
        if function is None:
            return iter(self._calls)
        name = self.resolve(function)
        return (c for c in self._calls if c.function == name)

    def call(self, span_id):
        """The call with this span id, or None."""
        return self._by_id.get(span_id)

    def roots(self):
        """Calls whose parent is not in this log."""
        return [c for c in self._calls if c.parent_id not in self._by_id]

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


def load(path, *, _records=None):
    """Read the log at `path` into a Log. A truncated log (crashed writer) loads every
    complete record with `.truncated` True; a corrupt one raises ValueError."""
    path = os.fspath(path)
    if _records is None:
        from . import _core
        _records = _core.read_records(path)
    return Log(path, _records)
