"""`argtrace export --format parquet`: one row per call, for DuckDB, Spark, Trino, BigQuery.

The other formats are written by the C viewer; Parquet needs pyarrow (`pip install
argtrace[parquet]`), so this one is written here, from the analysis engine's columns
(`_core.Index.selection` gives the selected call ids, 4 bytes each; `Index.table_rows` the
columns of a slice of them). The command line is the viewer's, parsed by _export_args.py:
LOG... [FUNC] [FILTER...] [--min-duration T] [-o OUT].

Columns (docs/PARQUET.md): id, parent_id, function, thread, process (with several logs),
start_ns, duration_ns, active_ns, self_ns, status, exception, exception_message, result, then
arg_<name> per argument. A value column is typed (int64, float64, string, bool, binary) when
every value it holds has that type, else the repr() of each value (string); null where a call
has no such value. The schema is fixed by a first pass over the selection (types only), the
rows written by a second one, ROW_GROUP calls at a time: memory stays one slice of the log.
"""

import json
import os
import sys

from ._export_args import ExportError, load_logs, not_found, parse_args, selection_error
from ._values import Summary, Truncated, convert

ROW_GROUP = 1 << 16
_INT64 = (-(1 << 63), (1 << 63) - 1)


# ---- columns and types ----

BASE = ("id", "parent_id", "function", "thread", "process", "start_ns", "duration_ns",
        "active_ns", "self_ns", "status", "exception", "exception_message", "result")
_NUMERIC = ("thread", "start_ns", "duration_ns", "active_ns", "self_ns")


def _int64s(pa, raw):
    """An int64 array over the engine's native int64 bytes (no copy)."""
    return pa.Array.from_buffers(pa.int64(), len(raw) // 8, [None, pa.py_buffer(raw)])


def _plain(v):
    """A Truncated str or bytes as its kept prefix (the column keeps its type), others as
    they are."""
    return v.value if type(v) is Truncated else v


class _Kind:
    """What one value column holds so far: the types of its values (None left out; a
    Truncated value counts as its str or bytes), and whether its ints fit int64."""

    __slots__ = ("types", "fits")

    def __init__(self):
        self.types = set()
        self.fits = True

    def see(self, col):
        types = set(map(type, col))
        types.discard(type(None))
        if Truncated in types:
            types.discard(Truncated)
            types |= {type(v.value) for v in col if type(v) is Truncated}
        self.types |= types
        if int in types and self.fits:
            ints = [v for v in col if type(v) is int]
            self.fits = _INT64[0] <= min(ints) and max(ints) <= _INT64[1]

    def arrow_type(self, pa):
        t = self.types
        if t == {int} and self.fits:
            return pa.int64()
        simple = {float: pa.float64(), str: pa.string(), bool: pa.bool_(), bytes: pa.binary(),
                  Summary: SUMMARY(pa)}
        if len(t) == 1 and next(iter(t)) in simple:
            return simple[next(iter(t))]
        if not t:
            return pa.string()  # no value at all: a column of nulls
        return None  # mixed or other objects: repr() strings


def _chunks(ix, selection):
    view = memoryview(selection)
    for at in range(0, len(view), 4 * ROW_GROUP):
        yield ix.table_rows(view[at:at + 4 * ROW_GROUP], convert)


def _value_columns(raw):
    """(column name, list) of the value columns of one slice."""
    yield "result", raw["result"]
    yield "exception_message", raw["message"]
    for name, c in raw["args"].items():
        yield "arg_" + name, raw["arg_columns"][c]


def _schema(pa, ix, selection, multi):
    kinds, order = {}, []
    for raw in _chunks(ix, selection):
        for name, col in _value_columns(raw):
            if name not in kinds:
                kinds[name] = _Kind()
                order.append(name)
            kinds[name].see(col)
    id_type = pa.string() if multi else pa.int64()
    fields = [pa.field("id", id_type, nullable=False), pa.field("parent_id", id_type),
              pa.field("function", pa.string(), nullable=False),
              pa.field("thread", pa.int64(), nullable=False)]
    if multi:
        fields.append(pa.field("process", pa.int64(), nullable=False))
    fields += [pa.field("start_ns", pa.int64(), nullable=False),
               pa.field("duration_ns", pa.int64()), pa.field("active_ns", pa.int64()),
               pa.field("self_ns", pa.int64()), pa.field("status", pa.string(), nullable=False),
               pa.field("exception", pa.string())]
    typed = {}
    args = sorted(n for n in order if n.startswith("arg_"))
    for name in ["exception_message", "result"] + args:
        kind = kinds.get(name) or _Kind()
        typed[name] = kind.arrow_type(pa)
        fields.append(pa.field(name, typed[name] or pa.string()))
    return pa.schema(fields), typed


def SUMMARY(pa):
    """A container or object recorded by type (Summary): its type, length and repr()."""
    return pa.struct([("type", pa.string()), ("length", pa.int64()), ("repr", pa.string())])


def _by_object(pa, col, fn, arrow_type):
    """pa.array([fn(v) for v in col]) computing fn once per distinct object: the engine hands
    out one object per stored value, so a value repeated over many calls is converted once."""
    at, uniq, idx = {}, [], []
    for v in col:
        if v is None:
            idx.append(None)
            continue
        i = at.get(id(v))  # col holds v: its id stays its own while we look
        if i is None:
            i = at[id(v)] = len(uniq)
            uniq.append(fn(v))
        idx.append(i)
    return pa.array(uniq, arrow_type).take(pa.array(idx, pa.int32()))


def _summary(v):
    return {"type": v.type_name, "length": v.length, "repr": repr(v)}


def _array(pa, col, arrow_type):
    if arrow_type is None:  # repr() strings
        return _by_object(pa, col, repr, pa.string())
    if pa.types.is_struct(arrow_type):
        return _by_object(pa, col, _summary, arrow_type)
    if Truncated in set(map(type, col)):
        col = [_plain(v) for v in col]
    return pa.array(col, arrow_type)


def _batch(pa, schema, typed, raw, pids, multi):
    n = len(raw["function"])
    cols = {}
    for name in _NUMERIC:
        col = raw[name]
        cols[name] = (_int64s(pa, col) if isinstance(col, bytes)
                      else pa.array(col, pa.int64()))
    ids = raw["id"]
    cols["id"] = (_int64s(pa, ids) if isinstance(ids, bytes) else pa.array(ids, pa.string()))
    cols["parent_id"] = pa.array(raw["parent_id"], pa.string() if multi else pa.int64())
    cols["function"] = pa.array(raw["function"], pa.string())
    cols["status"] = pa.array(raw["status"], pa.string())
    cols["exception"] = pa.array(raw["exception"], pa.string())
    if multi:
        cols["process"] = pa.array([pids[f] for f in raw["file"]], pa.int64())
    values = dict(_value_columns(raw))
    for name, arrow_type in typed.items():
        col = values.get(name)
        cols[name] = (pa.nulls(n, arrow_type or pa.string()) if col is None
                      else _array(pa, col, arrow_type))
    return pa.record_batch([cols[f.name] for f in schema], schema=schema)


def _metadata(log, opts):
    from . import __version__
    files = [log._ix_handle.file(i) for i in range(len(log.paths))]
    logs = [{"path": f["path"], "pid": f["pid"], "host": f["host"], "uid": "%016x" % f["uid"],
             "format": f["format"], "argv": f["argv"]} for f in files]
    selection = {"function": opts["func"], "filters": opts["filters"]}
    return {b"argtrace.version": __version__.encode(),
            b"argtrace.format_version": ",".join(sorted({f["format"] for f in files})).encode(),
            b"argtrace.logs": json.dumps(logs).encode(),
            b"argtrace.selection": json.dumps(selection).encode(),
            b"argtrace.compensated": b"true" if log.compensated else b"false"}


def _warnings(files):
    """What the viewer warns about a log (viewer/load.c, warn_file), worded the same."""
    for f in files:
        path, drops = f["path"], f["drops"] or {}
        if f["truncated"]:
            yield ("%s: the log is truncated (its last frame is incomplete); showing every "
                   "complete record" % path)
        elif not f["closed"]:
            yield "%s: the log was not closed (the process was killed or still runs)" % path
        lost = drops.get("records", 0) + drops.get("oversize", 0)
        if lost:
            yield "%s: the writer dropped %d records" % (path, lost)
        if drops.get("write_errors"):
            yield ("%s: %d frames could not be written (the disk was full, or an I/O error): "
                   "their records are missing" % (path, drops["write_errors"]))


def _same_file(a, b):
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def write(opts, out):
    """Write the selection of opts (parse_args) as Parquet to `out` (a path or a binary
    file). Returns the number of rows."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError("--format parquet needs pyarrow, which is not installed "
                          "(pip install argtrace[parquet])") from None
    log = load_logs(opts)
    for w in _warnings(log._ix_handle.file(i) for i in range(len(log.paths))):
        sys.stderr.write("argtrace export: warning: %s\n" % w)
    fid = None
    if opts["func"] is not None:
        try:
            fid = log._fn_id(opts["func"])
        except ValueError as e:
            raise ExportError(str(e).replace("argtrace: ", "", 1), 2)
        if fid is None:
            raise not_found(opts["func"])
    ix = log._ix_handle
    try:
        selection = ix.selection(fid, opts["filters"] or None)
    except ValueError as e:  # as the viewer says it: bad syntax, or no such argument
        raise selection_error(e, opts) from None
    multi = len(log.paths) > 1
    schema, typed = _schema(pa, ix, selection, multi)
    schema = schema.with_metadata(_metadata(log, opts))
    pids = [p.pid for p in log.processes]
    rows = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for raw in _chunks(ix, selection):
            batch = _batch(pa, schema, typed, raw, pids, multi)
            writer.write_table(pa.Table.from_batches([batch], schema=schema))
            rows += batch.num_rows
    return rows


def export(argv):
    """`argtrace export ... --format parquet` (argv after "export"). Returns the status."""
    try:
        opts = parse_args(argv)
        output = opts["output"]
        if output in (None, "-"):
            stream = sys.stdout.buffer
            if stream.isatty():
                raise ExportError("Parquet is binary: give -o OUT.parquet (or pipe stdout)", 2)
            sys.stdout.flush()
            write(opts, stream)
            stream.flush()
            return 0
        if any(_same_file(output, log) for log in opts["logs"]):
            raise ExportError("%s is a log given to read: the table goes elsewhere (-o OUT)"
                              % output, 2)
        try:
            write(opts, output)
        except OSError as e:
            raise ExportError("%s: %s" % (output, e.strerror or e))
        return 0
    except ExportError as e:
        sys.stderr.write("argtrace export: %s\n" % e)
        return e.status
