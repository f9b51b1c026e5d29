"""Analysis for argtrace.load(): per-function statistics, filtered call queries, "which
argument makes this slow", call trees and a pandas table.

Every number comes from the C analysis engine the viewer uses (`_core.Index`, a wrapper of
atr_analysis.h), so `Log.functions()` and `Log.slow()` agree with `argtrace summary --json`
and `argtrace slow --json`. This module only turns the engine's answers into Python objects;
`Analysis` is mixed into `_load.Log`, which supplies the paths and the Call objects.
"""

from dataclasses import dataclass, field
from typing import Any, List

from ._notebook import Shown, ShownDict, diff_blocks, log_blocks, slow_blocks, tree_blocks, \
    why_blocks
from ._values import convert, usable_entry_keys

__all__ = ["Analysis", "FunctionStats", "SlowReport", "ArgumentScore", "ArgumentGroup",
           "CallTree", "Why", "Diff", "filter_terms"]

# atr_query sort orders (atr_analysis.h)
SORT_START = 0
SORT_DURATION = 1


@dataclass
class FunctionStats:
    """One function's calls, as a row of `argtrace summary --json`. From a sampled log
    (start(sample=...)), calls, total_ns, self_ns and active_ns are estimates for every call
    (each recorded call stands for 1/rate calls; `estimated` True) and recorded_* hold what
    the log recorded. inclusive_ns is the function's time counted once, as `summary`'s
    "total" (cProfile's cumulative time): a call made while another call of the same
    function runs on its thread (recursion; `nested_calls` of them) is in that call's time
    already, where total_ns and active_ns add every call's."""
    name: str
    calls: int
    total_ns: int
    self_ns: int
    p50_ns: int
    p95_ns: int
    p99_ns: int
    max_ns: int
    raised: int = 0
    unfinished: int = 0
    active_ns: int = 0  # total_ns without generators'/coroutines' suspended time
    estimated: bool = False
    recorded_calls: int = 0
    recorded_total_ns: int = 0
    recorded_self_ns: int = 0
    inclusive_ns: int = 0
    nested_calls: int = 0
    recorded_inclusive_ns: int = 0


@dataclass
class ArgumentGroup:
    """Calls whose argument has one value (or lies in one range: `value` is then the
    label, e.g. "1000–9999"); `filter` selects exactly these calls ("" if none can)."""
    value: Any
    calls: int
    p50_ns: int
    p95_ns: int
    max_ns: int
    total_ns: int
    label: str = ""
    filter: str = ""


@dataclass
class ArgumentScore:
    """How much of the duration's variation the argument (or key: "len(sql)", "a,b", a key
    function's name) explains (score in [0, 1]) and its groups, slowest first. score_trend:
    for ordered keys (numbers, lengths) the adjusted R^2 of log(time) on log(key), which
    the score includes. pair: the key is two keys together ("a,b": one group per pair of
    their groups), given with `by` or found by slow() because the two explain clearly more
    together than any key alone."""
    name: str
    score: float
    groups: List[ArgumentGroup] = field(default_factory=list)
    score_trend: float = 0.0
    pair: bool = False
    entries: List["ArgumentScore"] = field(default_factory=list)
    """When the argument's values are a summarizer's dicts of two entries or more (a numpy
    array's shape and dtype) and `slow` was asked for every argument: each entry alone as
    a key ("a.shape", as `by` takes it), best first — `argtrace slow`'s "by one entry"."""


@dataclass
class SlowReport(Shown):
    """`argtrace slow --json`: the function, the calls analysed (finished ones) and its
    arguments, best explanation first. Printed: `argtrace slow`'s text; in a notebook: the
    HTML report's tables."""
    function: str
    calls: int
    arguments: List[ArgumentScore] = field(default_factory=list)

    _argv = None  # the `argtrace slow` command line that prints it (None: none can)

    def _cli(self):
        return self._argv

    def _blocks(self):
        return slow_blocks(self)


class CallTree(ShownDict):
    """Log.tree(): the nested dicts of `argtrace tree --json`; printed: `argtrace tree`'s
    text; in a notebook: a table of the calls with their share of the time."""

    def _blocks(self):
        return tree_blocks(self)

    def __repr__(self):
        try:
            return dict.__repr__(self)
        except RecursionError:  # deeper than Python's repr goes: what it is, in one line
            calls, depth, todo = 0, 0, [(self, 0)]
            while todo:
                node, d = todo.pop()
                calls, depth = calls + 1, max(depth, d)
                todo.extend((k, d + 1) for k in node["children"])
            return "<CallTree of %s (id %s): %d calls, %d deep; str() prints it>" % (
                self["function"], self["id"], calls, depth)


class Why(ShownDict):
    """Log.why(): the dict of `argtrace why --json`; printed: `argtrace why`'s text; in a
    notebook: the report's "Why was it slow?" tables."""

    def _blocks(self):
        return why_blocks(self)


class Diff(ShownDict):
    """argtrace.diff(): the dict of `argtrace diff --json`; printed: `argtrace diff`'s text;
    in a notebook: the report's diff table."""

    def _blocks(self):
        return diff_blocks(self)


def _quote(text):
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    return '"%s"' % "".join(out)


def _literal(name, value):
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("argtrace: %s=%r: no such value can be filtered" % (name, value))
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, bytes):
        return '"%s"' % "".join(
            chr(b) if 0x20 <= b < 0x7F and chr(b) not in '"\\' else "\\x%02x" % b
            for b in value)
    raise TypeError("argtrace: %s=%r: a filter value must be None, bool, int, float, str or "
                    "bytes" % (name, value))


def _key_label(k):
    """A key function's result as a group label: short strs as they are, long ones
    middle-abbreviated with their length, tuples item by item, others by repr."""
    if isinstance(k, tuple):
        return ", ".join(_key_label(x) for x in k)
    if isinstance(k, str):
        text = " ".join(k.split()) if len(k) > 30 else k
        return text if len(k) <= 30 else "%s…%s (len %s)" % (text[:14], text[-12:],
                                                              format(len(k), ","))
    text = repr(k)
    return text if len(text) <= 40 else text[:39] + "…"


def filter_terms(where=(), equals=None):
    """Filter expressions for the engine: the strings of `where` as they are, then one
    `arg.NAME=VALUE` per keyword of `equals`."""
    if isinstance(where, str):
        where = [where]
    try:
        where = list(where or ())
    except TypeError:
        raise TypeError("argtrace: where must be a filter str like 'n>10' or a list of them, "
                        "not %s" % type(where).__name__) from None
    terms = []
    for w in where:
        if not isinstance(w, str):
            raise TypeError("argtrace: a filter must be a str like 'n>10', not %r" % (w,))
        terms.append(w)
    for name, value in (equals or {}).items():
        terms.append("arg.%s=%s" % (name, _literal(name, value)))
    return terms


def function_name(function, optional=True):
    """`function` as given to calls(), slow(), why() and the tables: a str name, or None
    (every function) where `optional`; TypeError naming what was given otherwise."""
    if not isinstance(function, str) and not (optional and function is None):
        raise TypeError("argtrace: a function is named by a str (its full name, or a unique "
                        "suffix such as 'parse'), not %s" % type(function).__name__)
    return function


class Analysis(Shown):
    """The analysis half of a Log. Needs from the Log: `_index()` (a loaded _core.Index),
    `_ix_call(call_id)` (the Call object of an index call id), `_ix_id(call)` and, for
    the tables, `_table(function, filters, equals)` (the engine's columns, _table.py).
    `_cli_logs()`: the logs and options of a CLI command line that reads the same logs, or
    None (then printed results are rendered here, not by the CLI). Printed, a Log is
    `argtrace summary`'s text; in a notebook, the report's summary table."""

    def _cli_logs(self):
        return None

    def resolve(self, function):
        """The full name matching `function`: the full name itself or a unique suffix
        ("parse" matches "app.parse"), or None when the log has no such function (never
        called). Raises ValueError listing the candidates when several match. Uses the Log's
        `function_names()` and `path`."""
        names = self.function_names()
        if function in names:
            return function
        found = [n for n in names if n.endswith("." + function)]
        if len(found) <= 1:
            return found[0] if found else None
        raise ValueError("argtrace: %r is ambiguous in %s: %s"
                         % (function, self.path, ", ".join(found)))

    def _cli_with(self, *argv):
        logs = self._cli_logs()
        return None if logs is None else [argv[0]] + logs + list(argv[1:])

    def _cli(self):
        return self._cli_with("summary", "--width", "80")

    def _blocks(self):
        return log_blocks(self)

    def _fn_id(self, function):
        """The index's id of `function` (a name or unique suffix), or None if the logs have
        no such function; ValueError when it is ambiguous."""
        return self._index().find_function(function_name(function, optional=False))

    def _functions_stats(self):
        ix = self._index()
        rows = []
        for fid, st in enumerate(ix.stats_all()):
            if st["calls"]:
                rows.append(FunctionStats(
                    ix.function(fid)[0], st["est_calls"], st["est_total_ns"],
                    st["est_self_ns"], st["p50_ns"], st["p95_ns"], st["p99_ns"], st["max_ns"],
                    st["raised"], st["unfinished"], st["est_active_ns"], st["sampled"],
                    st["calls"], st["total_ns"], st["self_ns"], st["est_inclusive_ns"],
                    st["nested"], st["inclusive_ns"]))
        rows.sort(key=lambda r: (-r.inclusive_ns, -r.active_ns, r.name))
        return rows

    def _query(self, function, terms):
        ix = self._index()
        fid = None
        if function is not None:
            fid = self._fn_id(function)
            if fid is None:
                ix.query(None, terms, SORT_START, 0, 1)  # still report bad filter syntax
                return []
        return [self._ix_call(i) for i in ix.query(fid, terms, SORT_START)]

    def calls(self, function=None, *filters, where=(), **equals):
        """Calls, optionally only those of one function (full name or unique suffix; a
        name the logs do not have gives nothing, an ambiguous suffix raises ValueError).

        Without filters: every call in log order (per thread; threads interleave as
        written). With filters: the matching calls in start order, chosen by the analysis
        engine. Filters are strings in the viewer's syntax, given as further positional
        arguments or as `where=[...]` ("n>1000", "len(rows)>10", "duration>10ms",
        "exception=ValueError", "type(x)=list", "!unfinished"...; a syntax error raises
        ValueError), and keyword arguments meaning equality (`mode="strict"` is the filter
        `arg.mode="strict"`). All must hold."""
        function_name(function)
        terms = filter_terms(list(filters) + list(filter_terms(where)), equals)
        if terms:
            return self._query(function, terms)
        return self._unfiltered_calls(function)


    def slow(self, function, by=None, *, where=(), result=False, **equals):
        """Which argument explains `function`'s duration — `argtrace slow --json` as a
        SlowReport: arguments best first, and first of all two arguments that explain the
        duration clearly better together than any alone ("a,b", ArgumentScore.pair). `by`: analyse only these keys, with all their groups — a key or a list
        of keys as `argtrace slow --by` takes them ("n", "len(sql)", "type(x)",
        "rows.items" for a container's number of items, "a.shape" for entry "shape" of
        the dict a registered summarizer returns, "a,b" for the pair; ValueError naming
        the arguments for an unknown one), or a function of the call (a Call) whose
        result groups the calls: equal results form a group (None: "(no key)"); numbers
        are ranges and scored by their trend like a numeric argument. `where` (filter
        strings) and keyword arguments (equality): analyse only the matching calls, as in
        calls(); `result`: also rank the result ("return") and the exception type."""
        fid = self._fn_id(function)
        if fid is None:
            raise ValueError("argtrace: no function %r in %s" % (function, self._where()))
        terms = filter_terms(where, equals) or None
        keys = {}  # a key function's results by label: the groups' values
        if callable(by):
            raw = self._slow_custom(fid, by, terms, keys)
        else:
            raw = self._index().slow(fid, terms, by, bool(result))
        args = []
        for a in raw["arguments"]:
            groups = [ArgumentGroup(keys.get(g["label"], convert(g["value"])), g["calls"],
                                    g["p50_ns"], g["p95_ns"], g["max_ns"], g["total_ns"],
                                    g["label"], g["filter"])
                      for g in a["groups"]]
            args.append(ArgumentScore(a["name"], a["score"], groups, a["score_trend"],
                                      a.get("pair", False)))
        if by is None:
            for a in args:
                entry_keys = [a.name + "." + k for k in usable_entry_keys(a)]
                if entry_keys:
                    a.entries = self.slow(function, entry_keys, where=where,
                                          **equals).arguments
        report = SlowReport(raw["function"], raw["calls"], args)
        if not callable(by):
            keys = [] if by is None else [by] if isinstance(by, str) else list(by)
            report._stamps = self._stamps
            report._argv = self._cli_with(
                "slow", raw["function"], *(terms or ()),
                *[x for k in keys for x in ("--by", k)], *(["--result"] if result else []),
                "--width", "80")
        return report

    def why(self, call, *filters, rank=1, where=(), **equals):
        """Why was this call slow — `argtrace why --json` as a dict. `call`: a Call, a call
        id (as Call.id and `argtrace calls` give it), or a function name (full or unique
        suffix) with filters (as in calls()) and `rank`, choosing its rank'th slowest
        matching call as `argtrace why LOG FUNCTION [FILTER...] --rank N` does.

        Keys: "call" (as `calls --json` gives it), "extra_ns" (duration minus the baseline's
        p50), "baseline" ({"calls", "p50_ns", "function_calls", "function_p50_ns", "group"}:
        group None when the baseline is every other finished call of the function, else the
        argument group it is: {"argument", "pair", "value", "label", "filter", "score",
        "p50_ns"}; "pair": True when it is the group of two arguments together, "argument"
        then naming both, "a,b"),
        "children" (per child function: "function", "calls", "typical_calls",
        "duration_ns", "typical_ns", "extra_ns", "slowest_id", "resumed": True for the
        calls of a function whose generator or task steps the call ran for their own callers,
        not its children; largest extra first),
        "self" ({"duration_ns", "typical_ns", "extra_ns"}), "arguments" (per argument:
        "name", "captured", "value", "score", "group", "typical", "differs"), "nth_call"
        (the call's place among its function's calls by start, 1: the first) and
        "same_values" (the other finished calls with the same argument values: "calls",
        "p50_ns", "max_ns", "nth" (the call's place among all of them, 1: the first),
        "loose" (how many of its values, objects known by their type or cut texts, may
        hide different arguments) and "verdict": "first_call" (the first with them and much
        slower: a first call's work), "not_arguments" (much slower, not the first),
        "values" (they take this long) or "", and "says": that in words). Typical values
        are medians over the baseline. ValueError when nothing matches."""
        target = self._why_target(call, filters, rank, where, equals)
        ix = self._index()
        raw = ix.why(self._ix_id(target))
        info = ix.call(raw["call"])
        exc = None
        if target.exception is not None:
            exc = {"type": target.exception[0], "message": target.exception[1]}
        out = {"call": {"id": target.id, "function": target.function,
                        "args": dict(target.args), "result": target.result,
                        "exception": exc, "start_ns": info[4], "duration_ns": info[5],
                        "active_ns": target.active_ns, "parent_id": target.parent_id, "thread": info[1]},
               "extra_ns": raw["extra_ns"], "baseline": raw["baseline"],
               "nth_call": raw["nth_call"], "same_values": raw["same_values"]}
        group = raw["baseline"]["group"]
        if group is not None:
            group["value"] = convert(group["value"])
        out["children"] = []
        for c in raw["children"]:
            slowest = c.pop("slowest_call")
            c["slowest_id"] = None if slowest is None else self._ix_call(slowest).id
            out["children"].append(c)
        out["self"] = raw["self"]
        for a in raw["arguments"]:
            a["value"] = convert(a["value"])
            for key in ("group", "typical"):
                if a[key] is not None:
                    a[key]["value"] = convert(a[key]["value"])
        out["arguments"] = raw["arguments"]
        return Why(out, self._cli_with("why", "--id", str(target.id)), self._stamps)

    def _why_target(self, call, filters, rank, where, equals):
        """The Call why() is about (see why())."""
        if hasattr(call, "function"):
            return call
        is_id = isinstance(call, int) and not isinstance(call, bool)
        if isinstance(call, str) and call.replace(":", "", 1).isdigit():
            is_id = True
        if is_id:
            if filters or where or equals or rank != 1:
                raise ValueError("argtrace: a call id names one call: give no filter or rank "
                                 "with it")
            found = self.call(call)
            if found is None:
                raise ValueError("argtrace: no call %r in %s" % (call, self._where()))
            return found
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
            raise ValueError("argtrace: rank counts from 1 (the slowest call), not %r"
                             % (rank,))
        if not isinstance(call, str):
            raise TypeError("argtrace: why() takes a Call, a call id or a function name, not %s"
                            % type(call).__name__)
        fid = self._fn_id(call)
        if fid is None:
            raise ValueError("argtrace: no function %r in %s" % (call, self._where()))
        terms = filter_terms(list(filters) + list(filter_terms(where)), equals) or None
        ix = self._index()
        ids = ix.query(fid, terms, SORT_DURATION, rank - 1, 1)
        if not ids:
            matched = len(ix.query(fid, terms, SORT_START))
            name = ix.function(fid)[0]
            if matched == 0:
                raise ValueError("argtrace: no call of %s matches" % name)
            raise ValueError("argtrace: rank %d: only %d call%s of %s match%s"
                             % (rank, matched, "" if matched == 1 else "s", name,
                                "es" if matched == 1 else ""))
        return self._ix_call(ids[0])

    def _slow_custom(self, fid, key, terms, by_label):
        """slow() by a key function: keys computed here, grouped and scored by the engine.
        by_label gets each key under its label (when labels are unique)."""
        ix = self._index()
        calls = [self._ix_call(i) for i in ix.query(fid, terms, SORT_START)]
        tokens, labels, index, values = [], [], {}, []
        for c in calls:
            k = key(c)
            values.append(k)
            if k is None:
                tokens.append(None)
                continue
            try:
                ident = (type(k), k)
                hash(ident)
            except TypeError:
                ident = (type(k), repr(k))
            t = index.get(ident)
            if t is None:
                t = index[ident] = len(labels)
                labels.append(_key_label(k))
                by_label[labels[-1]] = k
            tokens.append(t)
        numeric = any(v is not None for v in values) and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
            for v in values)
        numbers = [float("nan") if v is None else float(v) for v in values] if numeric else None
        if len(by_label) != len(labels):
            by_label.clear()  # two keys share a label: values stay labels
        name = getattr(key, "__name__", "") or "key"
        if name == "<lambda>":
            name = "key"
        return ix.slow_custom(ix.function(fid)[0], name, [self._ix_id(c) for c in calls],
                              tokens, numbers, labels)

    def tree(self, call, max_depth=None):
        """The call tree under `call` (a Call or its id, as Call.id and `argtrace calls`
        give it) as nested dicts, like `argtrace tree --json` (`argtrace tree LOG --id ID
        --json`): id, function, args, result, exception (None or {"type", "message"}),
        duration_ns, active_ns, self_ns, adopted_ns, resumed, children. `resumed` says what
        adopted_ns was spent on: per function of the calls whose generator or task steps it
        ran, {"function", "calls", "ns"}, the most time first. ValueError for an id no call
        has."""
        if max_depth is not None and (isinstance(max_depth, bool) or
                                      not isinstance(max_depth, int) or max_depth < 0):
            raise ValueError("argtrace: max_depth must be None (the whole tree) or an int >= 0,"
                             " not %r" % (max_depth,))
        if not hasattr(call, "function"):
            found = self.call(call)
            if found is None:
                raise ValueError("argtrace: no call %r in %s" % (call, self._where()))
            call = found
        ix = self._index()

        def node(c):
            exc = None
            if c.exception is not None:
                exc = {"type": c.exception[0], "message": c.exception[1]}
            return {"id": c.id, "function": c.function, "args": dict(c.args),
                    "result": c.result, "exception": exc, "duration_ns": c.duration_ns,
                    "active_ns": c.active_ns, "self_ns": c.self_ns, "adopted_ns": c.adopted_ns,
                    "resumed": resumed(c), "children": []}

        def resumed(c):
            if not c.adopted_ns:
                return []
            from ._load import _FN
            by_fn = {}
            for k, ns in ix.adopted(self._ix_id(c)):
                r = self._ix_call(k)
                key = (r._r()[_FN], r.function)  # the index's function id, as `tree --json`
                calls, total = by_fn.get(key, (0, 0))
                by_fn[key] = (calls + 1, total + ns)
            order = sorted(by_fn.items(), key=lambda kv: (-kv[1][1], kv[0][0]))
            return [{"function": name, "calls": calls, "ns": ns}
                    for (_, name), (calls, ns) in order]

        argv = ["tree", "--id", str(call.id), "--width", "80"]
        if max_depth is not None:
            argv += ["--depth", str(max_depth)]
        root = node(call)
        todo = [(call, root, 0)]  # a loop, not recursion: trees as deep as the program's
        while todo:
            c, d, depth = todo.pop()
            if max_depth is None or depth < max_depth:
                for k in ix.children(self._ix_id(c)):
                    kc = self._ix_call(k)
                    d["children"].append(node(kc))
                    todo.append((kc, d["children"][-1], depth + 1))
        return CallTree(root, self._cli_with(*argv), self._stamps)

    def to_pandas(self, function=None, *where, **equals):
        """One row per call (optionally only `function`'s / the matching ones, as in
        calls()): id, function, thread, start_ns, duration_ns, active_ns, self_ns, status,
        exception (the type or None), and one column `arg.<name>` per argument name. Built
        from the engine's columns (no Call per row); a missing value (an unfinished call's
        times, an argument a call does not have) is None in an object column, never NaN."""
        from ._table import to_pandas
        return to_pandas(self, function_name(function), where, equals)

    def to_arrow(self, function=None, *where, **equals):
        """The same table as to_pandas() as a pyarrow.Table (needs pyarrow): missing values
        are nulls; argument values that are not None, bool, int, float, str or bytes (lists,
        summaries, truncated values...) become their repr()."""
        from ._table import to_arrow
        return to_arrow(self, function_name(function), where, equals)
