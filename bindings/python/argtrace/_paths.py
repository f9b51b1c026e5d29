"""The logs a reading function was given: one path, a loaded Log (its files), or several of
either, as str paths; a clear error for anything else. argtrace.load() and argtrace.diff()
read their arguments with it."""
import os

_PATH = (str, bytes, os.PathLike)


def log_paths(paths, who):
    """`paths` as a list of str paths. TypeError naming what `who` (e.g. "load()") was given
    when it is not a path, a Log or several of them; ValueError when it names none."""
    if isinstance(paths, _PATH) or hasattr(paths, "paths"):
        paths = [paths]
    try:
        paths = list(paths)
    except TypeError:
        paths = [paths]
    out = []
    for p in paths:
        if isinstance(p, _PATH):
            out.append(os.fsdecode(os.fspath(p)))
        elif isinstance(getattr(p, "paths", None), list):  # a Log: the files it read
            out.extend(p.paths)
        else:
            raise TypeError("argtrace: %s takes a log path (str, bytes or os.PathLike), a "
                            "Log, or several of them, not %s" % (who, type(p).__name__))
    if not out:
        raise ValueError("argtrace: %s needs at least one log path" % who)
    return out
