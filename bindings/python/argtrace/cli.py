"""The `argtrace` command (also `python -m argtrace`).

`run` is implemented here in Python (argtrace/_run.py), and `export --format parquet`
(argtrace/_parquet.py, with pyarrow); every other subcommand belongs to the C viewer and is
forwarded to `_core.viewer_main`.
"""

import atexit
import os
import signal
import sys

from ._run import RUN_USAGE, UsageError, parse_run_args, run_program

VIEWER_COMMANDS = ("summary", "slow", "diff", "tree", "why", "calls", "cat", "export", "report",
                   "view")

USAGE = """\
usage: argtrace <command> [options]

commands:
  run [options] script.py [args]   run a program with tracing on (also: run -m module;
                                   --view: watch it live in the viewer)
  summary LOG                      per function: calls, total, self, p50/p95/p99/max
                                   (--follow: while the program writes the log)
  slow LOG FUNCTION                which argument explains the duration; slowest values
  diff BASE NEW [FUNCTION]         what got slower or faster, per function and argument value
  tree LOG FUNCTION [name=value]   call tree of the slowest matching call
  tree LOG --id ID                 call tree of one call (its id as calls prints it)
  why LOG FUNCTION [name=value]    why the slowest matching call was slow (or --id ID)
  calls LOG [FUNCTION]             list calls (--sort duration --limit N)
  cat LOG                          print every record
  export LOG --format FORMAT       chrome, eliot, jsonl, speedscope, folded, parquet, otlp
  report LOG [-o report.html]      one self-contained HTML page: tables, charts, flame graphs
  view LOG                         interactive terminal viewer (--follow: live)

`argtrace <command> --help` describes a command's options.
"""


def _core_module():
    try:
        from . import _core
    except ImportError as e:
        raise UsageError("argtrace: the C extension argtrace._core is not available (%s)"
                         % str(e).splitlines()[0])
    return _core


def _viewer(argv):
    core = _core_module()
    viewer_main = getattr(core, "viewer_main", None)
    if viewer_main is None:
        sys.stderr.write("argtrace: '%s' needs the C viewer, which this build does not "
                         "include\n" % argv[0])
        return 2
    return viewer_main(["argtrace"] + list(argv))


def dispatch(argv, at_exit=False):
    """Run one command line (without the program name). Returns the exit status; a
    negative status -N means the program was interrupted by signal N. at_exit: the process
    ends after this (`argtrace run` then closes its log at the interpreter's exit)."""
    if not argv:
        sys.stderr.write(USAGE)
        return 2
    command = argv[0]
    if command in ("-h", "--help", "help"):
        topic = argv[1] if command == "help" and len(argv) > 1 else None
        if topic == "run":
            sys.stdout.write(RUN_USAGE)
            return 0
        if topic in VIEWER_COMMANDS:
            return _viewer([topic, "--help"])
        sys.stdout.write(USAGE)
        return 0
    if command in ("-V", "--version"):
        from . import __version__
        sys.stdout.write("argtrace %s\n" % __version__)
        return 0
    if command == "run":
        opts = parse_run_args(argv[1:])
        if opts.get("help"):
            sys.stdout.write(RUN_USAGE)
            return 0
        return run_program(_core_module(), opts, at_exit=at_exit)
    if command == "export":
        from ._export_args import python_format
        fmt = python_format(argv[1:])
        if fmt == "otlp":
            from . import _otlp
            return _otlp.main(argv[1:])
        if fmt == "parquet":  # the viewer's help names parquet too
            from ._parquet import export
            return _viewer(["export", "--help"]) if {"-h", "--help"} & set(argv) else \
                export(argv[1:])
    if command in VIEWER_COMMANDS:
        return _viewer(argv)
    raise UsageError("argtrace: unknown command %r (commands: run, %s)"
                     % (command, ", ".join(VIEWER_COMMANDS)))


def main(argv=None):
    """Entry point of the `argtrace` script. With `argv` given (tests, embedding) it returns
    the exit status instead of ending the process the way an interrupted program does."""
    real = argv is None
    if real:
        argv = sys.argv[1:]
    try:
        code = dispatch(list(argv), at_exit=real)
    except UsageError as e:
        sys.stderr.write("%s\n" % e)
        return 2
    if code is not None and code < 0:
        signum = -code
        if real and signum == signal.SIGINT:
            _die_by_signal(signum)
        return 128 + signum
    return code


def _die_by_signal(signum):
    """End the process the way Python does after an uncaught KeyboardInterrupt: exit
    handlers first (argtrace run's log is closed by one), then death by the signal."""
    try:
        atexit._run_exitfuncs()
    except BaseException:
        pass
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    sys.exit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
