"""Selection feedback of `argtrace run`: at exit, on stderr, which --trace patterns matched no
function (with a hint derived from the pattern syntax of docs/FILTERS.md), or that the run
recorded no call at all. Never prints on stdout, never raises."""

import os
import sys
import types

_WILDCARDS = set("*?[")
_SMALL_LOG = 1 << 20  # a log with calls in it may be this small; one without always is


def _is_file_pattern(p):
    return p.startswith(("file:", "/", "./", "../"))


def _imported(module):
    """`module` or one of its submodules is in sys.modules."""
    prefix = module + "."
    return module in sys.modules or any(m.startswith(prefix) for m in list(sys.modules))


def _split_guess(pattern, main_globals=None):
    """'a.b.c' → 'a.b:c' when module a.b was imported and has c (the name of c's own
    module and qualified name when c is a function or class defined elsewhere).
    `main_globals`: the namespace the script ran in, which `__main__` names in patterns
    (sys.modules has argtrace's own `__main__` again once the script is over)."""
    parts = pattern.split(".")
    for k in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:k])
        if name == "__main__" and main_globals is not None:
            mod = types.ModuleType("__main__")
            mod.__dict__.update(main_globals)
        else:
            mod = sys.modules.get(name)
        if mod is None:
            continue
        obj = mod
        for name in parts[k:]:  # dictionary look-ups only: no user __getattr__ runs
            is_ns = isinstance(obj, (types.ModuleType, type))
            obj = obj.__dict__.get(name) if is_ns else None
            if obj is None:
                break
        if obj is None:
            continue
        home, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if (isinstance(home, str) and isinstance(qual, str)
                and (home in sys.modules or home == name == "__main__")):
            return "%s:%s" % (home, qual)
        return "%s:%s" % (".".join(parts[:k]), ".".join(parts[k:]))
    return None


def hint(pattern, script_stem=None, main_globals=None):
    """Why `pattern` may have matched nothing: a suggestion or a fact, one clause."""
    if _is_file_pattern(pattern):
        return "no function defined in a matching file ran"
    module, _, qual = pattern.partition(":")
    literal = not (_WILDCARDS & set(module))
    if not literal:
        return "no function of a module matching %r ran" % module
    first = module.split(".")[0]
    if script_stem and first == script_stem and not _imported(first):
        return "did you mean %r? (a script's functions are in module '__main__')" % (
            "__main__" + pattern[len(first):])
    if not qual and main_globals is not None and module.startswith("__main__."):
        guess = _split_guess(module, main_globals)
        if guess:
            return "did you mean %r?" % guess
    if _imported(module):
        if qual:
            return "module %r was imported but no function matching %r ran" % (module, qual)
        return "module %r was imported but none of its functions ran" % module
    if not qual:
        guess = _split_guess(module)
        if guess:
            return "did you mean %r?" % guess
    return "no module %r was imported" % module


def _calls_recorded(path):
    """Whether the log at `path` holds a call (True for a large log without reading it;
    None when it cannot be read)."""
    try:
        if os.path.getsize(path) > _SMALL_LOG:
            return True
        from . import _core  # the engine alone: argtrace.load's Python half costs ~18 ms
        index = _core.Index()
        index.load([path])
        return index.info()["n_calls"] > 0
    except Exception:
        return None


def report(path, patterns, hits, script_stem=None, min_duration=None, main_globals=None,
           children=()):
    """The feedback lines for a finished run (a list, maybe empty). `hits`: per pattern,
    how many functions it selected in this process (_core.filter_hits()), or None.
    `main_globals`: the namespace the script or module ran in (None if unknown).
    `children`: the logs the run's child processes wrote (their functions and calls are
    theirs: a pattern may select functions that ran only there, as a pool's work does)."""
    lines = []
    unmatched = False
    if patterns and hits is not None and len(hits) == len(patterns):
        for pattern, n in zip(patterns, hits):
            if n == 0 and children:
                unmatched = True
                lines.append("argtrace: --trace '%s' matched no function in this process "
                             "(%s of the run wrote %s own)"
                             % (pattern, "a child process" if len(children) == 1 else
                                "%d child processes" % len(children),
                                "a log of its" if len(children) == 1 else "logs of their"))
            elif n == 0:
                unmatched = True
                lines.append("argtrace: --trace '%s' matched no function; %s"
                             % (pattern, hint(pattern, script_stem, main_globals)))
    if unmatched or any(_calls_recorded(p) is not False for p in [path] + list(children)):
        return lines
    if not patterns:
        lines.append("argtrace: no call was recorded: without --trace only functions "
                     "decorated with @argtrace.trace are traced (e.g. --trace '__main__'; "
                     "see argtrace run --help)")
    elif min_duration:
        lines.append("argtrace: no call was recorded: the functions --trace selected ran, "
                     "but none lasted --min-duration %s" % min_duration)
    else:
        lines.append("argtrace: no call was recorded")
    return lines


def write(lines):
    try:
        for line in lines:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except Exception:
        pass
