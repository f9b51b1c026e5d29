"""The command line of the exports written in Python (`argtrace export --format parquet|otlp`),
one parser for both: the viewer's syntax (viewer/opts.c), LOG... [FUNC] [FILTER...]
[--min-duration T] [--max-memory SIZE] [-o OUT], operands told apart as the viewer does, plus
each format's own options. Mistakes are one line, `argtrace export: ...`, exit status 2, worded
as the viewer words them; loading the logs and finding FUNC fail the same way in both (status 1).
"""

import os

FORMATS = ("parquet", "otlp")  # the export formats written in Python


class ExportError(Exception):
    """A one-line error for `argtrace export: ...`; status 2: usage, 1: runtime."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


class Spec:
    """What a format accepts beyond the common options: `valued` maps an option to
    (key, repeatable) — a repeatable one collects a list —, `flags` the flags it takes among
    --compensate / --raw."""

    def __init__(self, name, valued=None, flags=()):
        self.name = name
        self.valued = dict(valued or {})
        self.flags = tuple(flags)

    def hint(self):
        return "see: argtrace export --format %s --help" % self.name


PARQUET = Spec("parquet", flags=("--compensate", "--raw"))
OTLP = Spec("otlp", {"--endpoint": ("endpoint", False), "--header": ("headers", True),
                     "--service-name": ("service_name", False)})

_COMMON = {"-f": "format", "--format": "format", "-o": "output", "--output": "output",
           "--min-duration": "min_duration", "--max-memory": "max_memory"}


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


def _option(arg, spec):
    """(name, key, repeatable, attached value or None) of option word `arg`."""
    name, eq, value = arg.partition("=")
    if name not in _COMMON and name not in spec.valued and arg[:2] in ("-f", "-o"):
        name, eq, value = arg[:2], "=", arg[2:]  # -oOUT, -fFORMAT
    if name in _COMMON:
        return name, _COMMON[name], False, value if eq else None
    if name in spec.valued:
        key, repeatable = spec.valued[name]
        return name, key, repeatable, value if eq else None
    raise ExportError("unknown option '%s' for --format %s (%s)"
                      % (arg, spec.name, spec.hint()), 2)


def parse(argv, spec):
    """argv after "export" -> dict: logs, func, filters (with --min-duration's), output,
    min_duration, max_memory (bytes or None), compensate, format, the spec's own keys, and
    help (True: -h/--help was given; nothing else is checked then)."""
    opts = {"logs": [], "func": None, "filters": [], "output": None, "min_duration": None,
            "max_memory": None, "compensate": False, "format": None, "help": False}
    for key, repeatable in spec.valued.values():
        opts[key] = [] if repeatable else None
    i, operands_only = 0, False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not operands_only and arg == "--":
            operands_only = True
            continue
        if not operands_only and arg.startswith("-") and arg != "-":
            if arg in ("-h", "--help"):
                opts["help"] = True
                return opts
            if arg in ("--compensate", "--raw") and arg in spec.flags:
                opts["compensate"] = arg == "--compensate"
                continue
            name, key, repeatable, value = _option(arg, spec)
            if value is None:
                if i >= len(argv):
                    raise ExportError("option '%s' needs a value" % name, 2)
                value = argv[i]
                i += 1
            if key == "format" and value != spec.name:
                raise ExportError("--format %s and --format %s: give one format"
                                  % (spec.name, value), 2)
            if repeatable:
                opts[key].append(value)
            else:
                opts[key] = value
            continue
        if opts["func"] is None and not opts["filters"] and _is_log_name(arg):
            opts["logs"].append(arg)
        elif opts["func"] is None and not opts["filters"] and not _looks_like_filter(arg):
            opts["func"] = arg
        else:
            opts["filters"].append(arg)
    if not opts["logs"]:
        raise ExportError("no log given (%s)" % spec.hint(), 2)
    if opts["min_duration"] is not None:
        t = opts["min_duration"]
        if not t or len(t) > 40 or any(c in t for c in " \t,"):
            raise ExportError("--min-duration takes a time such as 5ms, not '%s'" % t, 2)
        opts["filters"].append("duration>=" + t)
    if opts["max_memory"] is not None:
        from ._sizes import parse_size
        try:
            opts["max_memory"] = parse_size(opts["max_memory"])
        except ValueError:
            raise ExportError("option '--max-memory' needs a size such as 512M or 4G, not '%s'"
                              % opts["max_memory"], 2) from None
    return opts


def parse_args(argv):
    """`argtrace export ... --format parquet`'s command line (parse with PARQUET)."""
    return parse(argv, PARQUET)


def python_format(argv):
    """The format of an `export` command line (after "export") when Python writes it (one of
    FORMATS), else None: the first --format counts; options end at "--"."""
    for i, arg in enumerate(argv):
        if arg == "--":
            return None
        if arg in ("-f", "--format"):
            fmt = argv[i + 1] if i + 1 < len(argv) else None
        elif arg.startswith("--format="):
            fmt = arg[len("--format="):]
        elif arg.startswith("-f") and not arg.startswith("--"):
            fmt = arg[2:]
        else:
            continue
        return fmt if fmt in FORMATS else None
    return None


def wants_parquet(argv):
    """True when an `export` command line (after "export") asks for --format parquet."""
    return python_format(argv) == "parquet"


def load_logs(opts):
    """The Log of opts["logs"]; ExportError worded as the viewer's when it cannot be read."""
    from ._load import load
    extra = {} if opts["max_memory"] is None else {"max_memory": opts["max_memory"]}
    try:
        return load(opts["logs"], compensate=opts["compensate"], **extra)
    except OSError as e:  # as the viewer says it: "app.atr: No such file or directory"
        raise ExportError("%s: %s" % (e.filename or opts["logs"][0],
                                      os.strerror(e.errno) if e.errno else e)) from None
    except ValueError as e:
        raise ExportError(str(e).replace("argtrace: ", "", 1)) from None


def not_found(func):
    """The error for a FUNC the logs do not have (as the viewer words it)."""
    return ExportError("function '%s' not found in the log (see: argtrace summary LOG)" % func)


def selection_error(e, opts):
    """The ExportError for a ValueError met selecting the calls: a bad filter is a usage
    mistake (status 2; --min-duration's named as the viewer names it), anything else not."""
    message = str(e).replace("argtrace: ", "", 1)
    own = "filter 'duration>=%s': " % opts["min_duration"]
    if opts["min_duration"] is not None and message.startswith(own):
        why = message[len(own):]
        if why.startswith("column "):  # the column is of our own text
            why = why.partition(": ")[2] or why
        return ExportError("--min-duration %s: %s" % (opts["min_duration"], why), 2)
    if message.startswith("filter '"):
        return ExportError("bad " + message, 2)
    return ExportError(message)
