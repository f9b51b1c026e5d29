"""The command line of the exports written in Python (`argtrace export --format parquet`):
the viewer's syntax (viewer/opts.c), LOG... [FUNC] [FILTER...] [--min-duration T] [-o OUT],
operands told apart as the viewer does."""

import os

USAGE_HINT = "see: argtrace export --help"


class ExportError(Exception):
    """A one-line error for `argtrace export: ...`; status 2: usage, 1: runtime."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def _is_log_name(arg):
    return arg.endswith(".atr") and len(arg) > 4 or os.path.isfile(arg)


def _looks_like_filter(arg):
    if "=" in arg or "!" in arg or ">" in arg:
        return True
    i = arg.find("<")
    while i >= 0:  # '<' is a comparison unless it opens a <name> such as <lambda>
        j = i + 1
        while j < len(arg) and (arg[j].islower() or arg[j] == "_"):
            j += 1
        if j == i + 1 or j >= len(arg) or arg[j] != ">":
            return True
        i = arg.find("<", j)
    return False


_VALUED = {"-f": "format", "--format": "format", "-o": "output", "--output": "output",
           "--min-duration": "min_duration", "--max-memory": "max_memory"}


def parse_args(argv):
    """argv after "export" -> dict of logs, func, filters, output, min_duration, max_memory,
    compensate."""
    opts = {"logs": [], "func": None, "filters": [], "output": None, "min_duration": None,
            "max_memory": None, "compensate": False, "format": None}
    i, operands_only = 0, False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not operands_only and arg == "--":
            operands_only = True
            continue
        if not operands_only and arg.startswith("-") and arg != "-":
            name, eq, value = arg.partition("=")
            if name in ("--compensate", "--raw") and not eq:
                opts["compensate"] = name == "--compensate"
                continue
            if name not in _VALUED and arg[:2] in ("-f", "-o"):  # -oOUT
                name, value, eq = arg[:2], arg[2:], "="
            if name not in _VALUED:
                raise ExportError("unknown option '%s' (%s)" % (arg, USAGE_HINT), 2)
            if not eq:
                if i >= len(argv):
                    raise ExportError("option '%s' needs a value" % name, 2)
                value = argv[i]
                i += 1
            opts[_VALUED[name]] = value
            continue
        if opts["func"] is None and not opts["filters"] and _is_log_name(arg):
            opts["logs"].append(arg)
        elif opts["func"] is None and not opts["filters"] and not _looks_like_filter(arg):
            opts["func"] = arg
        else:
            opts["filters"].append(arg)
    if not opts["logs"]:
        raise ExportError("no log given (%s)" % USAGE_HINT, 2)
    if opts["min_duration"] is not None:
        t = opts["min_duration"]
        if len(t) > 40 or any(c in t for c in " \t,"):
            raise ExportError("--min-duration takes a time such as 5ms, not '%s'" % t, 2)
        opts["filters"].append("duration>=" + t)
    return opts


def wants_parquet(argv):
    """True when an `export` command line (after "export") asks for --format parquet."""
    for i, arg in enumerate(argv):
        if arg == "--":
            return False
        if arg in ("-f", "--format"):
            return i + 1 < len(argv) and argv[i + 1] == "parquet"
        if arg in ("--format=parquet", "-fparquet"):
            return True
    return False
