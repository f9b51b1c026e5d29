"""`argtrace run`: run a script or module exactly as `python` would, with a session active.

    argtrace run [options] script.py [args...]
    argtrace run [options] -m module [args...]
"""

import atexit
import errno
import os
import re
import runpy
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
import zipimport

from . import _api, _feedback, _longrun

RUN_USAGE = """\
usage: argtrace run [options] script.py [args...]
       argtrace run [options] -m module [args...]

Run a Python program with tracing on; decorated functions are recorded to a log.

options:
  -o, --output PATH        log file (default: <script stem>.atr or <module>.atr in the cwd)
  --flush-interval MS      flush buffered records at least this often (default 100)
  --max-len BYTES          strings and bytes longer than this are truncated (default 4096)
  --redact PATTERN         never record values of arguments/fields/program options
                           matching PATTERN, nor those values later (glob,
                           case-insensitive; repeatable; docs/SECURITY.md)
  --repr                   record repr() of non-builtin objects (calls their __repr__)
  --len                    record len() of non-builtin objects that have one, with their
                           type (calls their __len__; e.g. a graph's or a frame's size)
  --drop                   drop (and count) records when the writer falls behind, instead
                           of waiting for it
  --trace PATTERN          filter tracing: trace functions matching PATTERN (repeatable)
                           (without it only @argtrace.trace functions)
  --exclude PATTERN        filter tracing: never trace functions matching PATTERN
  --min-duration DURATION  filter tracing: keep only calls at least this long (e.g. 5ms)
  --max-depth N            filter tracing: trace at most N nested levels
  -q, --quiet              do not print the log path at exit
  --view                   watch the log live in the terminal viewer (argtrace view
                           --follow) while the program runs: inside tmux in a new pane
                           below the program; elsewhere the viewer takes the terminal and
                           the program's output goes to <log stem>.out (its stdin is
                           /dev/null); quit the viewer with q

long-running processes:
  --max-size SIZE          continue in a new file when the log reaches SIZE (bytes, or
                           100M, 1G): app.atr, app.atr.1, ... (read as one log: the first
                           name, 'app.atr*' or the directory)
  --keep N                 with --max-size: keep the newest N files, delete older ones
  --sample RATE            record this fraction (0.1, 10%) of the top-level calls, each with
                           its whole subtree; summary and slow scale counts and totals up
                           (marked ~)
  --sample-mode MODE       count (default: the first, then every 1/RATE-th, per thread) or
                           random
  --sample-seed N          random mode's seed (default: a random one, written in the log)
  --toggle-signal SIG      each SIG (e.g. SIGUSR2) turns recording off, then on again
                           (kill -USR2 PID); the log notes the gaps
  --start-paused           with --toggle-signal: start with recording off

patterns (docs/FILTERS.md):
  mod                   module mod and its submodules ('__main__': the script)
  mod.sub:Class.method  module ':' qualified name (and the names nested under it)
  'mod.*' 'mod:*.run'   globs: * ? [abc]; file:src/*.py or ./x.py select by file
  stdlib and site-packages code is traced only when a pattern names it
"""


class UsageError(Exception):
    """A command-line mistake: one line on stderr, exit status 2."""


# option → (key, takes a value, repeatable)
_OPTIONS = {
    "-o": ("output", True, False), "--output": ("output", True, False),
    "--flush-interval": ("flush_interval", True, False),
    "--max-len": ("max_len", True, False),
    "--redact": ("redact", True, True),
    "--repr": ("repr", False, False),
    "--len": ("len", False, False),
    "--drop": ("drop", False, False),
    "--trace": ("trace", True, True),
    "--exclude": ("exclude", True, True),
    "--min-duration": ("min_duration", True, False),
    "--max-depth": ("max_depth", True, False),
    "-q": ("quiet", False, False), "--quiet": ("quiet", False, False),
    "--view": ("view", False, False),
    "--max-size": ("max_size", True, False),
    "--keep": ("keep", True, False),
    "--sample": ("sample", True, False),
    "--sample-mode": ("sample_mode", True, False),
    "--sample-seed": ("sample_seed", True, False),
    "--toggle-signal": ("toggle_signal", True, False),
    "--start-paused": ("start_paused", False, False),
}


def parse_run_args(argv):
    """Options up to the script (or -m module); everything after belongs to the program."""
    opts = {"redact": [], "trace": [], "exclude": []}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "-m":
            if i + 1 >= len(argv):
                raise UsageError("argtrace run: -m needs a module name")
            opts["module"] = argv[i + 1]
            opts["args"] = argv[i + 2:]
            break
        if arg == "--":
            i += 1
            if i >= len(argv):
                break
            opts["script"], opts["args"] = argv[i], argv[i + 1:]
            break
        if not arg.startswith("-") or arg == "-":
            opts["script"], opts["args"] = arg, argv[i + 1:]
            break
        name, value = arg, None
        if arg.startswith("--") and "=" in arg:
            name, value = arg.split("=", 1)
        if name in ("-h", "--help"):
            opts["help"] = True
            return opts
        spec = _OPTIONS.get(name)
        if spec is None:
            raise UsageError("argtrace run: unknown option %s" % name)
        key, takes_value, repeat = spec
        if takes_value and value is None:
            if i + 1 >= len(argv):
                raise UsageError("argtrace run: %s needs a value" % name)
            i += 1
            value = argv[i]
        elif not takes_value:
            if value is not None:
                raise UsageError("argtrace run: %s takes no value" % name)
            value = True
        if repeat:
            opts[key].append(value)
        else:
            opts[key] = value
        i += 1
    if "script" not in opts and "module" not in opts:
        raise UsageError("argtrace run: no script or -m module given")
    return opts


def _int_option(opts, key, flag):
    if key not in opts:
        return None
    try:
        value = int(opts[key])
    except ValueError:
        raise UsageError("argtrace run: %s needs an integer, got %r" % (flag, opts[key]))
    if value < 0:
        raise UsageError("argtrace run: %s must not be negative" % flag)
    return value


# The writer's option names (its messages' first word) as this command's flags.
_FLAGS = {"flush_interval_ms": "--flush-interval", "max_value_bytes": "--max-len"}


def _as_flags(message):
    """'argtrace: max_value_bytes must be ...' → 'argtrace run: --max-len must be ...'."""
    text = message.replace("argtrace: ", "", 1)
    for key, flag in _FLAGS.items():
        if text.startswith(key + " "):
            text = flag + text[len(key):]
    return "argtrace run: " + text


def parse_duration_ns(text):
    """'5ms' → 5000000; a bare number is milliseconds (argtrace._api.parse_duration_ns)."""
    try:
        return _api.parse_duration_ns(text)
    except ValueError:
        raise UsageError("argtrace run: bad duration %r (e.g. 500us, 5ms, 1s)" % text)


def default_log_path(opts):
    if "module" in opts:
        stem = opts["module"]
    else:
        stem = os.path.splitext(os.path.basename(opts["script"]))[0] or "argtrace"
    return os.path.join(os.getcwd(), stem + ".atr")


def session_options(opts, argv):
    if opts.get("output") == "":
        raise UsageError("argtrace run: -o needs a log path, not ''")
    options = {"argv": argv}
    interval = _int_option(opts, "flush_interval", "--flush-interval")
    if interval is not None:
        options["flush_interval_ms"] = interval
    max_len = _int_option(opts, "max_len", "--max-len")
    if max_len is not None:
        options["max_value_bytes"] = max_len
    if opts["redact"]:
        options["redact"] = tuple(opts["redact"])
    if opts.get("repr"):
        options["capture_repr"] = True
    if opts.get("len"):
        options["capture_len"] = True
    if opts.get("drop"):
        options["drop_when_full"] = True
    options.update(longrun_options(opts))
    return options


def _longrun_check(flag, fn, value):
    try:
        return fn(value)
    except ValueError as e:
        raise UsageError("argtrace run: %s: %s" % (flag, str(e).replace("argtrace: ", "", 1)))


def longrun_options(opts):
    """_core.start keywords for --max-size, --keep, --sample, --sample-mode, --sample-seed."""
    if "keep" in opts and "max_size" not in opts:
        raise UsageError("argtrace run: --keep needs --max-size (the files rotate at that size)")
    if ("sample_mode" in opts or "sample_seed" in opts) and "sample" not in opts:
        raise UsageError("argtrace run: --sample-mode/--sample-seed need --sample")
    if opts.get("start_paused") and "toggle_signal" not in opts:
        raise UsageError("argtrace run: --start-paused needs --toggle-signal")
    seed = opts.get("sample_seed")
    if seed is not None:
        try:
            seed = int(seed, 10)
        except ValueError:
            raise UsageError("argtrace run: --sample-seed needs an integer, got %r" % seed)
    checks = (("--max-size", "max_size", _longrun.max_size_bytes),
              ("--keep", "keep", _longrun.keep_files),
              ("--sample", "sample", _longrun.sample_rate),
              ("--sample-mode", "sample_mode", _longrun.sample_mode),
              ("--toggle-signal", "toggle_signal", _longrun.signal_number))
    for flag, key, fn in checks:
        if key in opts:
            _longrun_check(flag, fn, opts[key])
    if seed is not None:
        _longrun_check("--sample-seed", _longrun.sample_seed, seed)
    return _longrun.core_options(opts.get("max_size"), opts.get("keep"), opts.get("sample"),
                                 opts.get("sample_mode"), seed)


def filter_options(opts):
    """The filter-tracing request, or None when no filter option was given."""
    if not (opts["trace"] or opts["exclude"] or "min_duration" in opts or "max_depth" in opts):
        return None
    if not opts["trace"]:
        raise UsageError("argtrace run: --exclude/--min-duration/--max-depth need --trace")
    min_ns = parse_duration_ns(opts["min_duration"]) if "min_duration" in opts else 0
    depth = _int_option(opts, "max_depth", "--max-depth") or 0
    return {"include": list(opts["trace"]), "exclude": list(opts["exclude"]),
            "min_duration_ns": min_ns, "max_depth": depth}


# ---- filter tracing ------------------------------------------------------------------------
# Only when --trace/--exclude/--min-duration/--max-depth were given: check_filters before the
# session starts (nothing is created for an invalid pattern), start_filters with the session
# active and before the program starts, stop_filters before the session stops.
def check_filters(core, request):
    """Refuse invalid patterns with a one-line UsageError (call before the session starts)."""
    try:
        core.filter_check(request["include"] + request["exclude"])
    except (ValueError, TypeError) as e:
        raise UsageError(str(e).splitlines()[0] if str(e) else "argtrace run: bad pattern")


def start_filters(core, request):
    check_filters(core, request)
    try:
        core.filter_start(request["include"], request["exclude"],
                          min_duration_ns=request["min_duration_ns"],
                          max_depth=request["max_depth"])
    except (ValueError, RuntimeError) as e:
        raise UsageError(str(e).splitlines()[0] if str(e) else "argtrace run: filter error")


def stop_filters(core):
    try:
        core.filter_stop()
    except Exception:
        pass


class LiveView:
    """`argtrace run --view`: the live viewer (`argtrace view --follow LOG`) on the log of
    the program this process runs. Inside tmux ($TMUX) it opens in a new pane below the
    program, which keeps the terminal (switch panes with tmux's keys; the pane stays after
    the program ends, showing "finished", until q). Elsewhere the viewer takes the terminal
    as a child process: the program's stdout and stderr go to <log stem>.out and its stdin
    is /dev/null, until the log is closed; then this process waits for the viewer to be
    quit (q) and gives the terminal back. Quitting the viewer early leaves the program
    running (its output still in the file)."""

    def __init__(self, path):
        self.path = path
        self.out_path = (path[:-4] if path.endswith(".atr") else path) + ".out"
        self.tmux = False  # show the viewer in a tmux pane
        self.proc = None  # the viewer in this terminal (not tmux)
        self.saved = None  # the terminal's fds 0, 1, 2 while the program's are redirected

    def command(self):
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        pythonpath = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
        return ["env", "PYTHONPATH=" + pythonpath, sys.executable, "-m", "argtrace", "view",
                "--follow", self.path]

    def check(self):
        """Before the log is created: a usage error when there is nowhere to show the
        viewer, or the output file cannot be created."""
        self.tmux = bool(os.environ.get("TMUX") and shutil.which("tmux"))
        if self.tmux:
            return
        if not (os.isatty(0) and os.isatty(1)):
            raise UsageError("argtrace run: --view needs a terminal (or tmux)")
        try:
            os.close(os.open(self.out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        except OSError as e:
            raise UsageError("argtrace run: --view: cannot create %s: %s"
                             % (shown_path(self.out_path), e.strerror or e))

    def start(self):
        if self.tmux:
            r = subprocess.run(["tmux", "split-window", "-v", "-d", "-c", os.getcwd(),
                                shlex.join(self.command())],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode == 0:
                return
            sys.stderr.write("argtrace run: --view: tmux split-window failed (%s); showing "
                             "the viewer here\n" % (r.stderr.strip() or r.returncode))
            if not (os.isatty(0) and os.isatty(1)):
                return  # the program runs unwatched rather than not at all
        out = os.open(self.out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        sys.stdout.flush()
        sys.stderr.flush()
        self.proc = subprocess.Popen(self.command())  # on the terminal's fds
        null = os.open(os.devnull, os.O_RDONLY)
        self.saved = [os.dup(0), os.dup(1), os.dup(2)]
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(null)
        os.close(out)

    def finish(self):
        """After the log is closed: the terminal back to this process once the viewer is
        quit."""
        if self.proc is None:
            return
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        for fd, saved in enumerate(self.saved):
            os.dup2(saved, fd)
            os.close(saved)
        self.saved = None
        while True:
            try:
                self.proc.wait()
                break
            except KeyboardInterrupt:
                continue  # the viewer decides when it ends (q)
        self.proc = None
        sys.stderr.write("argtrace: the program's output is in %s\n"
                         % shown_path(os.path.relpath(self.out_path)))


class _Finisher:
    """Stops the session once, from the finally clause or from atexit (whichever first),
    and tells the user where the log is."""

    def __init__(self, core, path, quiet, filters, opts):
        self.core = core
        self.path = path
        self.quiet = quiet
        self.filters = filters
        self.opts = opts  # the parsed command line, for the selection feedback
        self.done = False
        self.pid = os.getpid()
        self.live = None  # LiveView of --view, finished once the log is closed
        self.began = time.time()  # forked children's logs written since then are this run's

    def __call__(self):
        if self.done:
            return
        self.done = True
        if os.getpid() != self.pid:  # a forked child ending: close its own log quietly
            try:
                if self.core.active():
                    self.core.stop()
            except Exception:
                pass
            return
        hits = None
        if self.filters:
            stop_filters(self.core)
            hits = getattr(self.core, "filter_hits", lambda: None)()
        stats = None
        try:
            while self.core.active():  # sessions the program left open inside ours first
                own = self.core.session_path() == self.path
                result = self.core.stop()
                if own:
                    stats = result
                    break
        except Exception as e:
            stats = {"write_error": str(e)}
        if self.live is not None:
            self.live.finish()
        children = _child_logs(self.path, self.began)
        if not (stats and stats.get("write_error")):
            _feedback.write(_feedback.report(
                self.path, self.opts["trace"], hits, _script_stem(self.opts),
                self.opts.get("min_duration"), self.opts.get("main_globals"), children))
        if self.quiet:
            return
        _report(self.path, stats, children)


def _script_stem(opts):
    if "module" in opts:
        return None
    return os.path.splitext(os.path.basename(opts["script"]))[0] or None


def shown_path(path):
    """A path for a message: as is, or the inside of its repr() when it holds control
    characters or undecodable bytes (one line, nothing that drives a terminal)."""
    if any(c < " " or c == "\x7f" or "\ud800" <= c <= "\udfff" for c in path):
        return repr(path)[1:-1]
    return path


def _child_logs(path, since):
    """The logs forked children wrote in this run: "<stem>.<pid>.<8 hex digits>.atr" beside
    the log (a child's child adds its own), modified since the run began."""
    folder, base = os.path.split(path)
    stem = base[:-4] if base.endswith(".atr") else base
    pattern = re.compile(re.escape(stem) + r"(\.[0-9]+\.[0-9a-f]{8})+\.atr\Z")
    found = []
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return found
    for name in names:
        full = os.path.join(folder, name)
        try:
            if pattern.match(name) and os.stat(full).st_mtime >= since - 1:
                found.append(full)
        except OSError:
            pass
    return sorted(found)


def _report(path, stats, children=()):
    shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    shown = shown_path(shown)
    err = sys.stderr
    try:
        if stats and stats.get("dropped"):
            err.write("argtrace: %d records were dropped\n" % stats["dropped"])
        if stats and stats.get("write_error"):  # not "log written": it is incomplete
            err.write("argtrace: error writing %s: %s; the log is incomplete\n"
                      % (shown, stats["write_error"]))
            err.flush()
            return
        later = _later_files(path)  # rotated (--max-size): one log under the first name
        names = [shown_path(os.path.basename(p)) for p in later]
        span = names[0] if len(names) == 1 else "%s ... %s" % (names[0], names[-1]) \
            if names else ""
        if not later:
            err.write("argtrace: log written to %s\n" % shown)
        elif os.path.exists(path):
            err.write("argtrace: log written to %s and %s\n" % (shown, span))
        else:  # --keep deleted the first files
            err.write("argtrace: log written to %s (the newest files, under the name %s)\n"
                      % (span, shown))
        args = [shlex.quote(shown)]
        if children:  # not read unless named: say so, and how to name them
            folder = os.path.dirname(shown)
            names = [shown_path(os.path.basename(c)) for c in children]
            err.write("argtrace: %d child process%s wrote %s own: %s\n"
                      % (len(names), "" if len(names) == 1 else "es",
                         "a log of its" if len(names) == 1 else "logs of their",
                         ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")))
            stem = shown[:-4] if shown.endswith(".atr") else shown
            if len(names) > 3 and shlex.quote(stem) == stem:
                args.append(stem + ".*.atr")  # the shell's glob
            else:
                args += [shlex.quote(os.path.join(folder, n)) for n in names]
        err.write("argtrace: next: argtrace summary %s\n" % " ".join(args))
        err.flush()
    except Exception:
        pass


def _later_files(path):
    """A rotated log's later files "<path>.N", in order (those --keep left)."""
    folder, base = os.path.split(path)
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return []
    nums = sorted(int(n[len(base) + 1:]) for n in names
                  if n.startswith(base + ".") and n[len(base) + 1:].isdigit())
    return [os.path.join(folder, "%s.%d" % (base, k)) for k in nums]


def _join_threads():
    """Wait for non-daemon threads as the interpreter would before exiting."""
    main = threading.main_thread()
    for t in threading.enumerate():
        if t is not main and not t.daemon and t is not threading.current_thread():
            try:
                t.join()
            except Exception:
                pass


def _print_exception(exc, target_file):
    """Print an uncaught exception as the interpreter does, without our own frames."""
    tb = exc.__traceback__
    while tb is not None and target_file is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == target_file:
            break
        tb = tb.tb_next
    if tb is None:
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename in _OWN_FILES:
            tb = tb.tb_next
    exc.__traceback__ = tb  # the default hook prints the exception's own traceback
    try:
        sys.excepthook(type(exc), exc, tb)
    except Exception:
        traceback.print_exception(type(exc), exc, tb)


_OWN_FILES = {__file__, runpy.__file__}


def _exit_code(code):
    """The process exit status for SystemExit(code), printing a message like Python."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF  # what the OS keeps of the status, as for python itself
    try:
        sys.stderr.write(str(code) + "\n")
    except Exception:
        pass
    return 1


# python -P (3.11+): the script's directory or the current one is not put on sys.path
_SAFE_PATH = getattr(sys.flags, "safe_path", False)


def _check_module(name):
    import importlib.util
    path = sys.path if _SAFE_PATH else [os.getcwd()] + sys.path
    saved, sys.path = sys.path, path
    try:
        spec = importlib.util.find_spec(name)
    except Exception:  # a parent package that fails to import: let runpy report it
        return None
    finally:
        sys.path = saved
    if spec is None:
        raise UsageError("argtrace run: no module named %r" % name)
    if spec.submodule_search_locations is not None:  # a package: runs its __main__
        return None
    return os.path.abspath(spec.origin) if spec.origin else None


def run_program(core, opts, at_exit=False):
    """Run the program of `opts` under a session. Returns the exit status.

    at_exit=True (the `argtrace` command itself, which exits right after): the session stays
    open until the interpreter's exit, and is closed by an atexit handler registered before
    the program runs, so after the program's own atexit handlers, whose calls are recorded
    too. Otherwise (in-process use) it is closed before this returns."""
    if "module" in opts:
        prog_argv = ["-m", opts["module"]] + opts["args"]
    else:
        prog_argv = [opts["script"]] + opts["args"]
    options = session_options(opts, prog_argv)  # option errors first, as usage errors
    options["argv"], argv_secrets = _api.redact_argv(options["argv"], options.get("redact"))
    request = filter_options(opts)
    if "module" in opts:
        target_file = _check_module(opts["module"])
    else:
        if not os.path.exists(opts["script"]):
            raise UsageError("argtrace run: can't open file %r: no such file" % opts["script"])
        target_file = os.path.abspath(opts["script"])
    path = os.path.abspath(opts.get("output") or default_log_path(opts))
    if request is not None:
        check_filters(core, request)  # an invalid pattern: one line, no log file
    live = LiveView(path) if opts.get("view") else None
    if live is not None:
        live.check()  # nowhere to show it: one line, no log file

    try:
        core.start(path, **options)
    except OSError as e:
        why = e.strerror or e  # the symlink refusal says why; otherwise the system's words
        if e.errno and e.errno != errno.ELOOP:
            why = os.strerror(e.errno)
        raise UsageError("argtrace run: cannot create log %s: %s" % (shown_path(path), why))
    except ValueError as e:  # a value out of the writer's range: one line, no log file
        raise UsageError(_as_flags(str(e)))
    if argv_secrets:  # values of redacted options: redacted wherever the program uses them
        core.redact_values(argv_secrets)
    if "toggle_signal" in opts:  # checked above (session_options)
        signo = _longrun.signal_number(opts["toggle_signal"])
        core.toggle_signal(signo, not opts.get("start_paused"))
        _api.note_toggle_signal(signo)  # spawned children install it too
    finish = _Finisher(core, path, opts.get("quiet"), request is not None, opts)
    atexit.register(finish)
    if live is not None:
        finish.live = live
        live.start()
    saved_argv, saved_path0 = sys.argv[:], sys.path[0] if sys.path else None
    _api.follow_spawned_children(
        path, options, None if request is None else
        (request["include"], request["exclude"], request["min_duration_ns"],
         request["max_depth"]))
    _api.follow_greenlets()
    try:
        if request is not None:
            start_filters(core, request)
        return _execute(opts, target_file)
    finally:
        if not at_exit:
            _join_threads()
            finish()
            atexit.unregister(finish)
        sys.argv[:] = saved_argv
        if sys.path:
            sys.path[0] = saved_path0


def _main_globals(tb, target_file):
    """The namespace the program ran in, from the traceback of what ended it."""
    found = None
    while tb is not None:
        frame = tb.tb_frame
        if (os.path.abspath(frame.f_code.co_filename) == target_file
                and frame.f_globals.get("__name__") == "__main__"):
            found = frame.f_globals
        tb = tb.tb_next
    return found


def _execute(opts, target_file):
    """Run the program; opts["main_globals"] keeps its namespace for the feedback."""
    try:
        if "module" in opts:
            sys.argv[:] = [opts["module"]] + opts["args"]
            if not _SAFE_PATH:
                sys.path[0:1] = [os.getcwd()]
            opts["main_globals"] = runpy.run_module(opts["module"], run_name="__main__",
                                                    alter_sys=True)
        else:
            sys.argv[:] = [opts["script"]] + opts["args"]
            if not _SAFE_PATH:  # the directory of the file a symbolic link names, as python
                sys.path[0:1] = [os.path.dirname(os.path.realpath(target_file))]
            if os.path.isfile(target_file) and not _is_archive(target_file):
                opts["main_globals"] = _run_file(target_file)
            else:  # a directory or zip file with __main__.py, as python runs it
                opts["main_globals"] = runpy.run_path(opts["script"], run_name="__main__")
        return 0
    except BaseException as e:
        opts["main_globals"] = _main_globals(e.__traceback__, target_file)
        return _ended(e, target_file)


def _is_archive(path):
    """A zip file python would run the __main__.py of (its path hook accepts it)."""
    try:
        zipimport.zipimporter(path)
        return True
    except zipimport.ZipImportError:
        return False


def _run_file(path):
    """Run the script at `path` (absolute) as `python script.py` does (Python/pythonrun.c),
    not as runpy.run_path: __file__ and the code's file name are the absolute path (so are
    the program's tracebacks) while sys.argv[0] stays as given, __loader__ is a
    SourceFileLoader (SourcelessFileLoader for a compiled file), and the module namespace
    has the interpreter's __main__ names in its order. Returns the namespace."""
    import builtins
    import importlib.machinery
    import importlib.util
    import marshal
    import types
    with open(path, "rb") as f:  # (io.open_code: the audit hook CPython's own run calls)
        data = f.read()
    if path.endswith(".pyc") or data[:4] == importlib.util.MAGIC_NUMBER:
        code = marshal.loads(data[16:])
        loader = importlib.machinery.SourcelessFileLoader("__main__", path)
    else:
        code = compile(data, path, "exec", dont_inherit=True)
        loader = importlib.machinery.SourceFileLoader("__main__", path)
    module = types.ModuleType("__main__")
    names = module.__dict__
    names.clear()
    names.update(__name__="__main__", __doc__=None, __package__=None, __loader__=loader,
                 __spec__=None)
    if "__annotations__" in vars(sys.modules["__main__"]):  # 3.9 to 3.13 give it one
        names["__annotations__"] = {}
    names.update(__builtins__=builtins, __file__=path, __cached__=None)
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        exec(code, names)
    finally:
        sys.modules["__main__"] = saved
    return names


def _ended(e, target_file):
    """The exit status of a program that ended by raising `e` (its traceback printed)."""
    if isinstance(e, SystemExit):
        return _exit_code(e.code)
    _print_exception(e, target_file)
    return -signal.SIGINT if isinstance(e, KeyboardInterrupt) else 1
