"""argtrace.diff(): two runs compared per function and per argument group, by the C engine
(the same computation as `argtrace diff --json`, see docs/DIFF.md)."""

import os
from typing import TYPE_CHECKING, Any, Iterable, List, Optional, Sequence, Union

from ._analysis import Diff, filter_terms
from ._paths import log_paths
from ._values import convert

if TYPE_CHECKING:
    from ._load import Log

_Path = Union[str, "os.PathLike[str]", "Log"]
_Paths = Union[_Path, Sequence[_Path]]


def diff(base: _Paths, new: _Paths, function: Optional[str] = None,
         where: Union[str, Iterable[str]] = (), *, min_calls: int = 10, alpha: float = 0.01,
         **equals: Any) -> "Diff":
    """Compare two runs: what got slower or faster, per function and per argument value.

    `base` and `new` are a log path or a list of paths (the processes of one run), or a
    loaded Log (its files).
    `function` limits the comparison to one function (a module-qualified name or a unique
    suffix); `where` (filter strings such as "n>100") and keyword arguments (`mode="fast"`)
    select the calls compared, as in Log.calls(). Returns a Diff, a dict shaped like
    `argtrace diff --json` (printed: `argtrace diff`'s text; in a notebook: a table):

        {"base": [paths], "new": [paths], "test": "mann-whitney-u", "alpha", "min_calls",
         "functions": [{"function", "base": {"calls", "total_ns", "p50_ns", "p95_ns"},
                        "new": {...}, "added_ns", "ratio_p50", "ratio_p95", "p_value",
                        "significant", "arguments": [{"name", "groups": [{"value", "base",
                        "new", "added_ns", "ratio_p50", "ratio_p95", "p_value",
                        "significant", "filter"}]}]}]}

    Functions are sorted by |added_ns| (new total - base total), largest first; a function
    of one run only has 0 calls on the other side. `significant`: a two-sided Mann-Whitney
    U test of the durations gives p < alpha, and each run has at least min_calls calls.
    Ratios and p-values that cannot be computed (a side without calls) are None. A group's
    value is the value itself for groups of exact values (as in Log.slow(): int, str,
    Summary...), else its label ("1000–9999", "len 10–99", "(not captured)"). Raises
    OSError for a missing log, ValueError for a corrupt one, the same log in both runs, an
    unknown function or a bad filter.
    """
    base_paths: List[str] = log_paths(base, "diff() base")
    new_paths: List[str] = log_paths(new, "diff() new")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError("argtrace: diff() alpha must be between 0 and 1, not %r" % (alpha,))
    if isinstance(min_calls, bool) or not isinstance(min_calls, int) or min_calls < 0:
        raise ValueError("argtrace: diff() min_calls must be an int >= 0, not %r" % (min_calls,))
    from . import _core
    from ._notebook import file_stamps
    stamps = file_stamps(base_paths + new_paths)
    index = _core.Index()
    for path in base_paths + new_paths:
        index.load(path)
    terms = filter_terms(where, equals)
    functions = index.diff(len(base_paths), function, terms or None, int(min_calls),
                           float(alpha))
    for f in functions:
        for a in f["arguments"]:
            for g in a["groups"]:
                g["value"] = convert(g["value"])
    argv = (["diff", "--base"] + base_paths + ["--new"] + new_paths
            + ([function] if function else [])
            + terms + ["--min-calls", str(int(min_calls)), "--alpha", repr(float(alpha)),
                       "--width", "80"])
    return Diff({"base": base_paths, "new": new_paths, "test": "mann-whitney-u",
                 "alpha": float(alpha), "min_calls": int(min_calls), "functions": functions},
                argv, stamps)
