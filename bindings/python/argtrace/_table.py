"""Log.to_pandas() and Log.to_arrow(): tables built from the analysis engine's columns
(`_core.Index.table`, calls_wrap.c) — numeric columns arrive as int64 buffers, the others as
lists made in C — so a table of millions of calls needs no Python object per call."""

BASE = ("id", "function", "thread", "start_ns", "duration_ns", "active_ns", "self_ns",
        "status", "exception")


def _columns(log, function, where, equals):
    """(name, bytes of int64 | list, kind) in table order (BASE, then sorted `arg.<name>`);
    kind: "int64" (bytes), "none" (a list with None), "int" (a list of ints), "full" (a
    list without None). A generator that lets go of each column once it is taken, so a big
    table is not held twice."""
    raw = log._table(function, where, equals)
    if raw is None:
        for name in BASE:
            yield name, [], "full"
        return
    n = len(raw["function"])
    for name in BASE:
        col = raw.pop(name)
        if isinstance(col, bytes):
            kind = "int64"
        elif name == "exception":
            kind = "full" if raw["n_raised"] == n else "none"
        elif name in ("duration_ns", "active_ns", "self_ns"):
            kind = "none"
        else:
            kind = "full"
        yield name, col, kind
        del col
    arg_cols = raw["arg_columns"]
    for name in sorted(raw["args"]):
        c = raw["args"][name]
        col, arg_cols[c] = arg_cols[c], None
        yield "arg." + name, col, raw["arg_kinds"][c]
        del col


def to_pandas(log, function, where, equals):
    try:
        import numpy
        import pandas
    except ImportError:
        raise ImportError("argtrace: Log.to_pandas() needs pandas, which is not "
                          "installed (pip install pandas)") from None
    data = {}
    for name, col, kind in _columns(log, function, where, equals):
        if kind == "int64":
            data[name] = numpy.frombuffer(col, dtype=numpy.int64)
            continue
        if kind == "int":
            try:
                data[name] = numpy.fromiter(col, dtype=numpy.int64, count=len(col))
                continue
            except OverflowError:  # ints past int64: kept as Python ints
                pass
        # fromiter: every value one item (a list-like value is not unpacked)
        values = numpy.fromiter(col, dtype=object, count=len(col))
        if kind == "none":  # None stays None: object dtype, not NaN
            data[name] = pandas.Series(values, dtype=object, copy=False)
        else:
            data[name] = pandas.Series(values, copy=False)
    return pandas.DataFrame(data, columns=list(data), copy=False)


_PLAIN = (type(None), bool, int, float, str, bytes)


def to_arrow(log, function, where, equals):
    try:
        import pyarrow
    except ImportError:
        raise ImportError("argtrace: Log.to_arrow() needs pyarrow, which is not installed "
                          "(pip install pyarrow)") from None
    arrays = {}
    for name, col, kind in _columns(log, function, where, equals):
        if kind == "int64":
            arrays[name] = pyarrow.py_buffer(col)
            arrays[name] = pyarrow.Array.from_buffers(pyarrow.int64(), len(col) // 8,
                                                      [None, arrays[name]])
            continue
        if not all(type(v) in _PLAIN for v in col):
            col = [v if type(v) in _PLAIN else repr(v) for v in col]
        try:
            arrays[name] = pyarrow.array(col)
        except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError, OverflowError):
            arrays[name] = pyarrow.array([None if v is None else repr(v) for v in col])
    return pyarrow.table(arrays)
