# Types of the analysis half of argtrace.load()'s Log (_analysis.py).
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

__all__ = ["Analysis", "FunctionStats", "SlowReport", "ArgumentScore", "ArgumentGroup",
           "filter_terms"]

SORT_START: int
SORT_DURATION: int

@dataclass
class FunctionStats:
    name: str
    calls: int
    total_ns: int
    self_ns: int
    p50_ns: int
    p95_ns: int
    p99_ns: int
    max_ns: int
    raised: int = ...
    unfinished: int = ...
    active_ns: int = ...
    estimated: bool = ...
    recorded_calls: int = ...
    recorded_total_ns: int = ...
    recorded_self_ns: int = ...

@dataclass
class ArgumentGroup:
    value: Any
    calls: int
    p50_ns: int
    p95_ns: int
    max_ns: int
    total_ns: int
    label: str = ...
    filter: str = ...

@dataclass
class ArgumentScore:
    name: str
    score: float
    groups: List[ArgumentGroup] = ...
    score_trend: float = ...

@dataclass
class SlowReport:
    function: str
    calls: int
    arguments: List[ArgumentScore] = ...

def filter_terms(where: Union[str, Iterable[str]] = ...,
                 equals: Optional[Mapping[str, Any]] = ...) -> List[str]: ...

class Analysis:
    def calls(self, function: Optional[str] = None, *filters: str,
              where: Union[str, Iterable[str]] = ..., **equals: Any) -> List[Any]: ...
    def slow(self, function: str,
             by: Union[None, str, Iterable[str], Callable[[Any], Any]] = None, *,
             where: Union[str, Iterable[str]] = ...,
             result: bool = ..., **equals: Any) -> SlowReport: ...
    def why(self, call: Any, *filters: str, rank: int = ..., where: Union[str, Iterable[str]] = ...,
            **equals: Any) -> Dict[str, Any]: ...
    def tree(self, call: Any, max_depth: Optional[int] = None) -> Dict[str, Any]: ...
    def to_pandas(self, function: Optional[str] = None, *where: str, **equals: Any) -> Any: ...
    def to_arrow(self, function: Optional[str] = None, *where: str, **equals: Any) -> Any: ...
