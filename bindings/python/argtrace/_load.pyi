# Types of argtrace.load() and the objects it returns (_load.py).
import os
from typing import (Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union,
                    overload)

from ._analysis import Analysis, FunctionStats

__all__ = ["load", "Log", "Call", "Message", "ProcessInfo"]

_StrPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
_CallId = Union[int, str]

FLAG_COROUTINE: int
FLAG_GENERATOR: int
FLAG_ASYNCGEN: int
FLAG_ACTION: int
FLAG_METHOD: int
DEFAULT_MAX_MEMORY: int

class ProcessInfo:
    pid: Optional[int]
    host: Optional[str]
    argv: List[str]
    runtime: Optional[str]
    tool: Optional[str]
    clock_ns: Optional[int]
    wall_ns: Optional[int]
    uid: Optional[int]
    parent_uid: int
    parent_span: int
    def __init__(self, rec: Dict[str, Any]) -> None: ...

class Function:
    id: int
    module: str
    qualname: str
    file: str
    line: int
    params: List[str]
    flags: int
    name: str
    def __init__(self, rec: Dict[str, Any]) -> None: ...

class _Children(List["Call"]):
    def __call__(self) -> List[Call]: ...

class _FunctionTable(Dict[int, Function]):
    def __init__(self, log: Log) -> None: ...
    def __call__(self) -> List[FunctionStats]: ...

class Call:
    @property
    def function(self) -> str: ...
    @property
    def args(self) -> Dict[str, Any]: ...
    @property
    def fields(self) -> Dict[str, Any]: ...
    @property
    def result(self) -> Any: ...
    @property
    def exception(self) -> Optional[Tuple[str, Any]]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def start_ns(self) -> Optional[int]: ...
    @property
    def end_ns(self) -> Optional[int]: ...
    @property
    def id(self) -> _CallId: ...
    @property
    def parent_id(self) -> Optional[_CallId]: ...
    @property
    def span(self) -> int: ...
    @property
    def thread(self) -> int: ...
    @property
    def children(self) -> _Children: ...
    @property
    def duration_ns(self) -> Optional[int]: ...
    @property
    def finished(self) -> bool: ...
    @property
    def self_ns(self) -> Optional[int]: ...
    @property
    def active_ns(self) -> Optional[int]: ...
    @property
    def charged_ns(self) -> Optional[int]: ...
    @property
    def adopted_ns(self) -> Optional[int]: ...
    def parent(self) -> Optional[Call]: ...
    @property
    def is_action(self) -> bool: ...
    @property
    def flags(self) -> int: ...

class Message:
    text: Optional[str]
    fields: Dict[str, Any]
    span: int
    time_ns: Optional[int]
    thread: int
    def __init__(self, rec: Dict[str, Any], call: Optional[Call] = None) -> None: ...
    @property
    def call_id(self) -> Optional[_CallId]: ...

class Log(Analysis):
    paths: List[str]
    path: str
    processes: List[ProcessInfo]
    process: Optional[ProcessInfo]
    functions: _FunctionTable
    threads: Dict[int, Dict[str, Any]]
    drops: Dict[str, int]
    closed: bool
    end_ns: Optional[int]
    truncated: bool
    calibrations: List[Optional[Dict[str, Any]]]
    compensated: bool
    sample_rates: List[float]
    parts: List[Tuple[int, int]]
    pauses: List[Tuple[int, int]]
    def __init__(self, paths: Iterable[str], index: Any) -> None: ...
    def function_names(self) -> List[str]: ...
    def resolve(self, function: str) -> Optional[str]: ...
    def calls(self, function: Optional[str] = None, *filters: str,
              where: Union[str, Iterable[str]] = ..., **equals: Any) -> List[Call]: ...
    def call(self, call_id: _CallId) -> Optional[Call]: ...
    def roots(self) -> List[Call]: ...
    def messages(self, span: Union[Call, _CallId, None] = None) -> Iterator[Message]: ...
    def __len__(self) -> int: ...

def load(paths: Union[_StrPath, "Log", Sequence[Union[_StrPath, "Log"]]], *,
         max_memory: Union[int, str] = ..., compensate: bool = ...,
         _records: Optional[Iterable[Dict[str, Any]]] = None) -> Log: ...
