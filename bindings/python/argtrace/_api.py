"""The user-facing API: the decorator, sessions, actions and messages.

Thin sugar over `argtrace._core` (the C extension). Nothing here raises into the traced
program once tracing is under way: argument mistakes raise at decoration/start time only.
"""

import atexit
import fnmatch
import functools
import os
import re
import sys

from . import _context, _core, _longrun

__all__ = ["trace", "start", "stop", "session", "active", "flush", "action", "log",
           "current_span", "register_summarizer", "Session"]

# Friendly option names accepted by start()/session() → _core.start keyword names.
_START_ALIASES = {"max_len": "max_value_bytes", "repr": "capture_repr",
                  "flush_interval": "flush_interval_ms", "drop": "drop_when_full"}
_START_OPTIONS = {"flush_interval_ms", "buffer_size", "max_pending_bytes", "zstd_level",
                  "drop_when_full", "max_value_bytes", "argv", "redact", "capture_repr",
                  "capture_len", "fork_mode", "block_timeout_ms", "sink_timeout_ms"}
_UNSET = object()  # an option start() was not given (None is a value some options refuse)


def _names(value, what):
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        raise TypeError("argtrace: %s must be a list of names, not %s"
                        % (what, type(value).__name__))
    try:
        names = tuple(value)
    except TypeError:
        raise TypeError("argtrace: %s must be a list of names, not %s"
                        % (what, type(value).__name__)) from None
    for n in names:
        if not isinstance(n, str):
            raise TypeError("argtrace: %s must hold str names, got %r" % (what, n))
    return names


def trace(func=None, *, capture=None, skip=(), result=True, max_len=None, redact=(),
          repr=False, name=None):
    """Trace every call of `func`: arguments, result or exception, duration.

    Use as `@trace` or `@trace(capture=[...], skip=[...], result=False, max_len=N,
    redact=[...], repr=False)`. `capture` lists the parameters to record (default all),
    `skip` parameters never recorded, `result=False` does not record return values,
    `max_len` overrides the session's string limit (bytes), `redact` holds name patterns
    whose values are replaced by a redaction marker, `repr=True` records repr() of objects
    that are not builtin values (calls their __repr__, bounded by max_len).
    """
    capture = _names(capture, "capture")
    skip = _names(skip, "skip") or ()
    redact = _names(redact, "redact") or ()
    if max_len is not None and (not isinstance(max_len, int) or max_len < 0):
        raise ValueError("argtrace: max_len must be a non-negative int, got %r" % (max_len,))
    if name == "":
        raise ValueError("argtrace: name must not be empty (None: the function's own name)")

    def decorate(f):
        if not callable(f) and not isinstance(f, (classmethod, staticmethod)):
            raise TypeError("argtrace.trace: cannot trace %r (not callable)" % (f,))
        _check_parameters(f, capture or (), "capture")
        _check_parameters(f, skip, "skip")
        options = dict(capture=capture, skip=skip, result=bool(result), max_value_bytes=max_len,
                       redact=redact, capture_repr=bool(repr), name=name)
        if (_BARE and type(f) is _FunctionType and f.__name__ != "__init__" and
                not _core._bare_bound(f)):
            copy = _function_copy(f)
            traced = _core.TracedFunction(copy, **options)
            if _core._bare_bind(traced):
                return copy
        return _core.TracedFunction(f, **options)

    if func is None:
        return decorate
    return decorate(func)


def _check_parameters(f, names, what):
    """ValueError for a name in `names` (capture or skip) that is no parameter of the
    Python function f: a typo would leave it recorded, or not recorded, unnoticed. Not
    checked where any name may come (**kwargs) or where the parameters are unknown."""
    code = getattr(getattr(f, "__func__", f), "__code__", None)
    if not names or not isinstance(code, type(_check_parameters.__code__)) or \
            code.co_flags & 0x08:  # CO_VARKEYWORDS
        return
    n = code.co_argcount + code.co_kwonlyargcount
    params = code.co_varnames[:n]
    if code.co_flags & 0x04:  # *args: named with or without its star
        params += ("*" + code.co_varnames[n],)
    unknown = [x for x in names if x not in params and "*" + x not in params]
    if unknown:
        raise ValueError("argtrace.trace: %s names %s, not a parameter of %s (its parameters: "
                         "%s)" % (what, ", ".join(repr(x) for x in unknown), code.co_name,
                                  ", ".join(params) or "none"))


# CPython 3.12, 3.13: a decorated Python function stays a function (tracefunc_bare.c) that calls
# nothing of argtrace's while no session records. Not an __init__: 3.13+ specialises a class
# call into a call of the class's __init__ that skips the function's vectorcall pointer.
_BARE = hasattr(_core, "_bare_bind")
_FunctionType = type(_names)


def _function_copy(f):
    """A new function of f's code, globals, defaults and closure, with f's attributes and
    `__wrapped__` f: what the decorator returns, so that f itself is left as it was."""
    copy = _FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__, f.__closure__)
    copy.__kwdefaults__ = f.__kwdefaults__
    return functools.update_wrapper(copy, f)


def _start_options(options):
    out = {}
    for key, value in options.items():
        alias, key = key, _START_ALIASES.get(key, key)
        if key not in _START_OPTIONS:
            raise TypeError("argtrace.start: unknown option %r" % key)
        if key in out:
            raise TypeError("argtrace.start: %r and %r are the same option: give one"
                            % (key, alias))
        out[key] = value
    if "redact" in out:
        out["redact"] = _names(out["redact"], "redact") or ()
    if "argv" not in out:
        out["argv"] = [str(a) for a in sys.argv]
    return out


def _as_given(error, options):
    """`error` of _core.start, naming an option by the name the caller gave it (max_len for
    max_value_bytes): the same exception type and text otherwise."""
    text = str(error)
    for alias, key in _START_ALIASES.items():
        if alias in options and text.startswith("argtrace: %s " % key):
            text = "argtrace: %s (%s) %s" % (alias, key, text[len("argtrace: %s " % key):])
    return type(error)(text)


REDACTED_ARG = "<redacted>"


def redact_argv(argv, patterns):
    """(argv, values): argv with the value of every option whose name matches a redact
    pattern replaced by "<redacted>" ("--password=x", "--password x", "-p x" for pattern
    "p"; "-" and "_" in names are interchangeable) and every credential inside an argument
    (a URL's password, `name=value` for a matching name) replaced so, and the values
    replaced."""
    if not patterns or argv is None:
        return argv, []
    pats = [p.lower() for p in patterns]

    def named(name):
        name = name.lower()
        return any(fnmatch.fnmatchcase(n, p) for p in pats
                   for n in (name, name.replace("-", "_"), name.replace("_", "-")))

    def credentials(arg):  # a URL's password, or a value named by a matching name
        arg = _URL_PASSWORD.sub(lambda m: values.append(m.group(2)) or
                                m.group(1) + REDACTED_ARG + "@", arg)
        out, at = [], 0
        for m in _NAME_EQ.finditer(arg):
            value = _VALUE.match(arg, m.end()).group(0)
            if value and value != REDACTED_ARG and named(m.group(1)):
                values.append(value)
                out += [arg[at:m.end()], REDACTED_ARG]
                at = m.end() + len(value)
        return "".join(out) + arg[at:]

    out, values, take_next = [], [], False
    for arg in argv:
        arg = str(arg)
        if take_next:
            out.append(REDACTED_ARG)
            values.append(arg)
            take_next = False
            continue
        if arg.startswith("-") and arg != "--":
            name, eq, value = arg.lstrip("-").partition("=")
            if name and named(name):
                if eq:
                    out.append(arg[:len(arg) - len(value)] + REDACTED_ARG)
                    values.append(value)
                else:
                    out.append(arg)
                    take_next = True
                continue
        out.append(credentials(arg))
    return out, values


# Credentials inside an argument (as the extension finds them in captured text,
# redact_text.c): `scheme://user:PASSWORD@host`, `name=VALUE` for a name a pattern matches.
_URL_PASSWORD = re.compile(r"(://[^/?#\s:@]*:)([^/?#\s]+)@")
_NAME_EQ = re.compile(r"(?<![\w.-])-*([\w.-]+)=")
_VALUE = re.compile(r"[^&;\s,]*")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|µs|ms|s)?\s*$")
_UNIT_NS = {"ns": 1, "us": 1000, "µs": 1000, "ms": 1000000, "s": 1000000000, None: 1000000}


def parse_duration_ns(value):
    """A duration in ns: "500us", "2ms", "1.5s", "250ns" (a string without a unit is in
    milliseconds, as on the command line); an int or float is in seconds; a
    datetime.timedelta. Raises ValueError (one line) for anything else or a negative value.
    The one parser of `argtrace run --min-duration` and `start(min_duration=...)`."""
    if isinstance(value, str):
        m = _DURATION.match(value)
        if not m:
            raise ValueError("argtrace: bad duration %r (e.g. 500us, 5ms, 1s)" % value)
        return int(float(m.group(1)) * _UNIT_NS[m.group(2)])
    # a timedelta exists only once datetime (or its C half) is imported: not imported here
    dt = sys.modules.get("datetime") or sys.modules.get("_datetime")
    if dt is not None and isinstance(value, dt.timedelta):
        value = value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not value >= 0 or value == float("inf"):  # also refuses NaN
            raise ValueError("argtrace: bad duration %r (must be a finite number of seconds "
                             ">= 0)" % (value,))
        return int(round(value * 1e9))
    raise ValueError("argtrace: bad duration %r (a string like \"2ms\", seconds as a number, "
                     "or a timedelta)" % (value,))


def _filter_request(trace, exclude, min_duration, max_depth):
    """The filter-tracing arguments of start(), checked; None when none was given."""
    if trace is None and exclude is None and min_duration is None and max_depth is None:
        return None
    include = list(_names(trace, "trace") or ())
    excl = list(_names(exclude, "exclude") or ())
    if not include:
        raise ValueError("argtrace: exclude/min_duration/max_depth need trace patterns")
    min_ns = parse_duration_ns(min_duration) if min_duration is not None else 0
    depth = 0
    if max_depth is not None:
        if not isinstance(max_depth, int) or isinstance(max_depth, bool) or max_depth < 0:
            raise ValueError("argtrace: max_depth must be a non-negative int, got %r"
                             % (max_depth,))
        depth = max_depth
    _core.filter_check(include + excl)  # ValueError (one line) before any file is created
    return include, excl, min_ns, depth


def start(path, *, trace=None, exclude=None, min_duration=None, max_depth=None,
          flush_interval_ms=_UNSET, buffer_size=_UNSET, max_pending_bytes=_UNSET,
          zstd_level=_UNSET, drop_when_full=_UNSET, max_value_bytes=_UNSET, argv=_UNSET,
          redact=_UNSET, capture_repr=_UNSET, fork_mode=_UNSET, block_timeout_ms=_UNSET,
          sink_timeout_ms=_UNSET, max_len=_UNSET, repr=_UNSET, flush_interval=_UNSET,
          drop=_UNSET, max_size=None, keep=None, sample=None, sample_mode=None,
          sample_seed=None, toggle_signal=None, capture_len=_UNSET):
    """Start recording to the log at `path` (a new file, mode 0600; an existing file is
    replaced, a symbolic link refused: docs/SECURITY.md).

    Options: flush_interval_ms (100), buffer_size, max_pending_bytes, zstd_level (1),
    drop_when_full (False: producers wait, at most block_timeout_ms (1000) at a time, the GIL
    released; then records are dropped and counted), sink_timeout_ms (10000: a pipe or FIFO
    log that accepts nothing this long is abandoned), max_value_bytes or max_len (4096),
    redact (name patterns), capture_repr or repr (False), capture_len (False: objects of
    other types that have a length are recorded as their type and len(), which calls their
    __len__; before repr), fork_mode ("follow" or "stop"), argv.
    Filter tracing (docs/FILTERS.md): `trace` (patterns of functions to record),
    `exclude` (patterns removed from them), `min_duration` ("2ms", "500us", seconds as a
    number, or a timedelta), `max_depth` (nested traced calls per thread, 0 = unlimited).
    A session started while another is active (e.g. the program's own session under
    `argtrace run` or `pytest --argtrace`) pauses the outer one until it stops; filter
    tracing already running stays as it is (the new session's own filter request is then
    ignored). Raises OSError if the file cannot be created, ValueError for an invalid
    pattern or option (then no file is created).
    Long-running processes: `max_size` (bytes or "100M") continues the log in a new file
    when the current one reaches it ("app.atr", "app.atr.1", ...; argtrace.load and the
    viewer read them as one log: the first name, a glob or the directory), `keep` keeps the
    newest N files. `sample` (a fraction such as 0.1 or "10%") records that share of the
    top-level calls with their whole subtrees, `sample_mode` "count" (default: the first,
    then every 1/sample-th, per thread) or "random" (`sample_seed`, default random); the
    analysis scales counts and totals back up, marked as estimates. `toggle_signal`
    ("SIGUSR2") turns recording off and on each time the process receives it; pause() and
    resume() do the same from the program.
    Options left out keep the writer's defaults (types: _api.pyi).
    """
    options = {k: v for k, v in (
        ("flush_interval_ms", flush_interval_ms), ("buffer_size", buffer_size),
        ("max_pending_bytes", max_pending_bytes), ("zstd_level", zstd_level),
        ("drop_when_full", drop_when_full), ("max_value_bytes", max_value_bytes),
        ("argv", argv), ("redact", redact), ("capture_repr", capture_repr),
        ("capture_len", capture_len),
        ("fork_mode", fork_mode), ("block_timeout_ms", block_timeout_ms),
        ("sink_timeout_ms", sink_timeout_ms), ("max_len", max_len), ("repr", repr),
        ("flush_interval", flush_interval), ("drop", drop)) if v is not _UNSET}
    start_options = _start_options(options)
    start_options.update(_longrun.core_options(max_size, keep, sample, sample_mode, sample_seed))
    signo = None if toggle_signal is None else _longrun.signal_number(toggle_signal)
    request = _filter_request(trace, exclude, min_duration, max_depth)
    nested = _core.active()
    if request is not None and nested and _filter_running():
        request = None  # the outer session's filter tracing goes on (see README)
    start_options["argv"], argv_secrets = redact_argv(start_options.get("argv"),
                                                      start_options.get("redact"))
    try:
        _core.start(os.fspath(path), **start_options)
    except (TypeError, ValueError) as e:
        raise _as_given(e, options) from None
    if signo is not None:
        _core.toggle_signal(signo)
        note_toggle_signal(signo)
    _filter_levels.append(request is not None)
    if argv_secrets:  # also redacted wherever the program passes them on
        _core.redact_values(argv_secrets)
    if not nested:
        follow_spawned_children(os.fspath(path), start_options, request)
        follow_greenlets()
    if request is not None:
        include, excl, min_ns, depth = request
        try:
            _core.filter_start(include, excl, min_duration_ns=min_ns, max_depth=depth)
        except BaseException:
            _filter_levels.pop()
            _core.stop()  # no half-started session is left behind, nor its empty log
            try:
                os.remove(os.fspath(path))
            except OSError:
                pass
            raise


# Per start() through this module, innermost last: whether it started filter tracing.
_filter_levels = []


def _filter_running():
    return _core.filter_backend() is not None


def pause():
    """Stop recording new calls without closing the log (the active session; nothing when
    none is active). Calls already running are still recorded to their end; the log notes
    the pause, so the analysis tells a gap from a quiet program. Cheap: a flag."""
    _core.set_recording(False)


def resume():
    """Record again after pause()."""
    _core.set_recording(True)


def stop():
    """Stop the active session (and filter tracing) and close its log. Returns a dict (path,
    dropped, capture_errors, write_error) or None when no session was active."""
    global _spawn_config
    own_filter = _filter_levels.pop() if _filter_levels else True
    if own_filter and _core.active():
        _core.filter_stop()
    stats = _core.stop()
    if not _core.active():
        _spawn_config = None
    return stats



def active():
    """True while a session is recording."""
    return _core.active()


def flush():
    """Write everything recorded so far to the log file."""
    if _core.active():
        _core.flush()


class Session:
    """What `session()` yields: `path`, and after the block, `stats` (stop()'s dict)."""

    def __init__(self, path):
        self.path = path
        self.stats = None

    def load(self):
        from ._load import load
        return load(self.path)

    def __repr__(self):
        return "<argtrace.Session %s>" % self.path


class session:
    """Context manager: a session recording to `path` for the duration of the block.

        with argtrace.session("run.atr") as s:
            work()
        log = argtrace.load(s.path)
    """

    def __init__(self, path, **options):
        self._path = os.fspath(path)
        self._options = options
        self._session = None

    def __enter__(self):
        start(self._path, **self._options)
        self._session = Session(self._path)
        return self._session

    def __exit__(self, *exc):
        self._session.stats = stop()
        return False


class _ActionScope:
    __slots__ = ("name", "fields", "spans")

    def __init__(self, name, fields):
        self.name = name
        self.fields = fields
        self.spans = []

    def begin(self):
        try:
            return _core.action_begin(self.name, self.fields)
        except Exception:  # the tracer never raises into the program
            return 0

    @staticmethod
    def end(span, exc):
        if span:
            try:
                _core.action_end(span, exc)
            except Exception:
                pass


class action:
    """A named action with fields: a span of its own, the parent of calls made inside it.

    Context manager (`with argtrace.action("import", batch=7): ...`) and decorator
    (`@argtrace.action("import")`). An exception leaving it is recorded and re-raised
    unchanged.
    """

    def __init__(self, name, /, **fields):
        if not isinstance(name, str):
            raise TypeError("argtrace.action: name must be a str, got %s" % type(name).__name__)
        self._scope = _ActionScope(name, fields)

    def __enter__(self):
        self._scope.spans.append(self._scope.begin())
        return self

    def __exit__(self, exc_type, exc, tb):
        span = self._scope.spans.pop() if self._scope.spans else 0
        self._scope.end(span, exc)
        return False

    @property
    def span(self):
        """The span id of the innermost active use (0 when none or no session)."""
        return self._scope.spans[-1] if self._scope.spans else 0

    def __call__(self, func):
        import inspect  # (not at import: `import argtrace` stays cheap for the tracing path)
        scope = self._scope
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def run_async(*args, **kwargs):
                span = scope.begin()
                try:
                    value = await func(*args, **kwargs)
                except BaseException as e:
                    scope.end(span, e)
                    raise
                scope.end(span, None)
                return value
            return run_async

        @functools.wraps(func)
        def run(*args, **kwargs):
            span = scope.begin()
            try:
                value = func(*args, **kwargs)
            except BaseException as e:
                scope.end(span, e)
                raise
            scope.end(span, None)
            return value
        return run


def log(message, /, **fields):
    """Record a message with fields inside the current span (call or action)."""
    try:
        _core.log(str(message) if type(message) is not str else message, fields)
    except Exception:
        pass


def current_span():
    """The id of the span running in this thread or task (0 when none)."""
    return _core.current_span()


def register_summarizer(type_, fn):
    """Record values of exactly `type_` as `fn(value)` (a small dict or tuple of scalars)
    instead of the type name alone, or instead of a builtin container's type, length and
    leading items (`dict`: its values too). `fn` must not raise; if it does, the value is
    recorded as a capture error and the program is not disturbed. A tuple keeps its first 16
    items, a dict its first 8 entries; what is left out is counted as capture errors. The
    scalar types (None, bool, int, float, str, bytes, bytearray), recorded as they are,
    raise TypeError."""
    if not isinstance(type_, type):
        raise TypeError("argtrace.register_summarizer: %r is not a type" % (type_,))
    if not callable(fn):
        raise TypeError("argtrace.register_summarizer: %r is not callable" % (fn,))
    _core.register_summarizer(type_, fn)


# multiprocessing's fork children leave through os._exit() without running atexit, so a
# session that followed the fork would lose its buffered tail. In such children, close it
# from multiprocessing's own exit hook (its finalizers run before os._exit).
def _stop_quietly():
    try:
        if _core.active():
            _core.stop()
    except Exception:
        pass


def _install_mp_finalizer(_obj):
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is not None:
        mp_util.Finalize(None, _stop_quietly, exitpriority=-100)


def _after_fork_in_child():
    try:
        mp_util = sys.modules.get("multiprocessing.util")
        if mp_util is not None and _core.active():
            mp_util.register_after_fork(_install_mp_finalizer, _install_mp_finalizer)
    except Exception:
        pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
    # No writer thread of argtrace's exists while os.fork() runs: CPython 3.12+ warns
    # ("This process is multi-threaded, use of fork() may lead to deadlocks") when the
    # forking process has other threads, and a traced program must print what it prints
    # untraced. The writers keep their data and start again in the parent (on 3.13+, which
    # counts the threads after the after_in_parent hooks, once os.fork() returned: fork.c).
    os.register_at_fork(before=_core._fork_before, after_in_parent=_core._fork_after_parent)


# ---- spawned children (multiprocessing "spawn" and "forkserver") ---------------------------
# A forked child follows its parent's session in the writer. A spawned one is a new
# interpreter: multiprocessing pickles the Process object to it, so the parent attaches a
# _SpawnLink to every Process it starts; unpickling it in the child (before the target runs)
# starts a session of the child's own, "<stem>.<pid>.<random>.atr", with the parent's
# options and filters, linked to the parent's log and to the span that started the process.

_spawn_config = None  # dict while a session started here is active, else None
# The signal installed to toggle recording (_core.toggle_signal; it stays installed for the
# process's life), or None: spawned children install it too, in the state it has when they
# start (a forked child inherits the handler and the state).
_toggle_signo = None


def note_toggle_signal(signo):
    """Called after _core.toggle_signal(signo) (argtrace.start, `argtrace run`)."""
    global _toggle_signo
    _toggle_signo = signo


def follow_spawned_children(path, options, filter_request):
    """Called when a session starts (argtrace.start, `argtrace run`)."""
    global _spawn_config
    _context.set_trace_root(_core.session_uid())  # this process starts a run's trace
    _context.install_otel_bridge()
    stem = path[:-4] if path.endswith(".atr") else path
    opts = {k: v for k, v in options.items() if k != "argv"}
    _spawn_config = {"stem": os.path.abspath(stem), "options": opts, "filter": filter_request}
    _follow_processes()


def _follow_processes():
    """multiprocessing's Process.start passes the session to the children it spawns: patched
    now if multiprocessing is imported, else when the program imports it (importing it here
    cost a session's start 3-6 ms; a program that never does starts no Process)."""
    _when_imported("multiprocessing.process", _patch_process_start)


def follow_greenlets():
    """Greenlet switches keep each greenlet's calls apart (_greenlet.py): installed in this
    thread now if greenlet is imported, else when the program imports it."""
    _when_imported("greenlet", _install_greenlet_trace)


def _install_greenlet_trace(greenlet):
    from ._greenlet import install
    install(greenlet)


def _when_imported(name, patch):
    """patch(module) now if module `name` is imported, else once the program imports it."""
    module = sys.modules.get(name)
    if module is not None:
        patch(module)
    elif not any(isinstance(f, _AfterImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(name, patch))


class _AfterImport:
    """A meta path finder that finds nothing itself: when module `name` is imported, it
    takes the spec the finders after it return and calls patch(module) once the module has
    run (its loader's exec_module wrapped on that one loader instance); then it leaves
    sys.meta_path."""

    def __init__(self, name, patch):
        self.name, self.patch = name, patch

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        exec_module = getattr(loader, "exec_module", None)
        if exec_module is None or isinstance(loader, type):
            return spec  # a loader shared by every module (a class): left alone
        patch, own = self.patch, getattr(loader, "__dict__", {}).get("exec_module", _NOTHING)

        def exec_and_patch(module):
            ours = getattr(module, "__name__", None) == fullname
            if ours:  # the loader's own method back first (a zip or frozen importer serves
                try:  # other modules too, also the ones this module imports)
                    if own is _NOTHING:
                        del loader.exec_module
                    else:
                        loader.exec_module = own
                except Exception:
                    pass
            exec_module(module)
            if ours:
                try:
                    patch(module)
                except Exception:
                    pass  # the program's import goes on; spawned children run untraced

        try:
            loader.exec_module = exec_and_patch
        except Exception:
            pass
        return spec


_NOTHING = object()


def _patch_process_start(mp_process):
    """multiprocessing's Process.start passes the session to spawned children."""
    if getattr(mp_process.BaseProcess.start, "_argtrace", False):
        return
    original = mp_process.BaseProcess.start

    @functools.wraps(original)
    def start(self):
        if _spawn_config is not None and _core.active():
            try:
                link = dict(_spawn_config, parent_uid=_core.session_uid() or 0,
                            parent_span=_core.current_span(),
                            trace_root=_context.trace_root(),
                            toggle=None if _toggle_signo is None else
                            (_toggle_signo, _core.toggle_recording()))
                self._argtrace_link = _SpawnLink(link)
            except Exception:
                pass
        return original(self)

    start._argtrace = True
    mp_process.BaseProcess.start = start


class _SpawnLink:
    __slots__ = ("config",)

    def __init__(self, config):
        self.config = config

    def __reduce__(self):
        return (_start_spawned_child, (self.config,))


def _start_spawned_child(config):
    """In a spawned child, while multiprocessing unpickles its Process object."""
    global _spawn_config
    try:
        if _core.active() or not isinstance(config, dict):
            return None
        path = "%s.%d.%08x.atr" % (config["stem"], os.getpid(),
                                   int.from_bytes(os.urandom(4), "little"))
        toggle = config.get("toggle")
        if toggle is not None:  # first: a signal sent now toggles rather than kills
            _core.toggle_signal(int(toggle[0]), bool(toggle[1]))
            note_toggle_signal(int(toggle[0]))
        options = dict(config.get("options") or {})
        options["argv"], secrets = redact_argv([str(a) for a in sys.argv],
                                               options.get("redact"))
        _core.start(path, parent_uid=int(config.get("parent_uid") or 0),
                    parent_span=int(config.get("parent_span") or 0), **options)
        if secrets:
            _core.redact_values(secrets)
        _context.set_trace_root(config.get("trace_root"))
        _context.install_otel_bridge()
        request = config.get("filter")
        if request is not None:
            include, excl, min_ns, depth = request
            _core.filter_start(list(include), list(excl), min_duration_ns=min_ns,
                               max_depth=depth)
        _spawn_config = dict(config, stem=config["stem"])  # grandchildren follow too:
        _follow_processes()  # a spawned child's own Process.start is the plain one
        follow_greenlets()
    except Exception:
        pass  # the child runs untraced rather than failing
    return None


def _flush_at_exit():
    """atexit (registered when argtrace is imported, so it runs after the handlers the
    program registers later): write out what was recorded. The session stays open: calls
    made by atexit handlers that run after this one are still recorded, and the extension
    closes the log once the interpreter has finished (a Py_AtExit hook)."""
    try:
        if _core.active():
            _core.flush()
    except Exception:
        pass


atexit.register(_flush_at_exit)


def _close_all():
    try:
        while _core.active():
            _core.stop()
    except Exception:
        pass


# os._exit() runs no exit handler at all: a traced process (a forked child above all, which
# leaves this way after multiprocessing's work) would lose what it recorded since the last
# flush. The wrapper closes the sessions, then exits exactly as os._exit does.
_real_os_exit = os._exit


def _os_exit(status):
    _close_all()
    _real_os_exit(status)


_os_exit.__doc__ = _real_os_exit.__doc__
_os_exit.__wrapped__ = _real_os_exit
if getattr(os._exit, "__wrapped__", None) is None:
    os._exit = _os_exit


# os.execv and os.execve (every os.exec* function goes through one of them) replace the
# process image: no exit handler runs, and what was recorded since the last flush would be
# lost, the log left unclosed. The wrappers close the sessions first, as _os_exit does (an
# exec that then fails leaves the rest of the run unrecorded).
def _closing_first(real_exec):
    def exec_(*args, **kwargs):
        _close_all()
        return real_exec(*args, **kwargs)
    return functools.update_wrapper(exec_, real_exec)


for _name in ("execv", "execve"):
    _fn = getattr(os, _name, None)
    if _fn is not None and getattr(_fn, "__wrapped__", None) is None:
        setattr(os, _name, _closing_first(_fn))
del _name, _fn
