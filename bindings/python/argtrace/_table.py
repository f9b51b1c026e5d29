"""Log.to_pandas() and Log.to_arrow(): tables built from the analysis engine's columns
(`_core.Index.table`, calls_wrap.c) — numeric columns arrive as int64 buffers, the others as
lists made in C — so a table of millions of calls needs no Python object per call."""

BASE = ("id", "function", "thread", "start_ns", "duration_ns", "active_ns", "self_ns",
        "status", "exception")


def _columns(log, function, where, equals):
    """{name: bytes of int64 | list} in table order (BASE, then sorted `arg.<name>`)."""
    log._index()  # a Log built from records has no engine: ValueError
    raw = log._table(function, where, equals)
    if raw is None:
        return {name: [] for name in BASE}
    cols = {name: raw[name] for name in BASE}
    arg_cols = raw["arg_columns"]
    for name in sorted(raw["args"]):
        cols["arg." + name] = arg_cols[raw["args"][name]]
    return cols


def _has_none(values):
    return any(v is None for v in values)


def to_pandas(log, function, where, equals):
    try:
        import numpy
        import pandas
    except ImportError:
        raise ImportError("argtrace: Log.to_pandas() needs pandas, which is not "
                          "installed (pip install pandas)") from None
    data = {}
    for name, col in _columns(log, function, where, equals).items():
        if isinstance(col, bytes):
            data[name] = numpy.frombuffer(col, dtype=numpy.int64)
        elif _has_none(col):  # None stays None: object dtype, not NaN
            data[name] = pandas.Series(col, dtype=object)
        else:
            data[name] = pandas.Series(col)
    return pandas.DataFrame(data, columns=list(data))


_PLAIN = (type(None), bool, int, float, str, bytes)


def to_arrow(log, function, where, equals):
    try:
        import pyarrow
    except ImportError:
        raise ImportError("argtrace: Log.to_arrow() needs pyarrow, which is not installed "
                          "(pip install pyarrow)") from None
    arrays = {}
    for name, col in _columns(log, function, where, equals).items():
        if isinstance(col, bytes):
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
