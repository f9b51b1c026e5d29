# Types of argtrace's user API (_api.py). A stub, so that `trace` can keep the decorated
# function's signature (ParamSpec, from typing_extensions before 3.10: a stub is never
# executed, so no runtime dependency) and the runtime module stays plain Python 3.9.
import datetime
import os
import sys
from types import TracebackType
from typing import (Any, Callable, Dict, Iterable, List, Optional, Protocol, Sequence, Tuple,
                    Type, TypeVar, Union, overload)

if sys.version_info >= (3, 10):
    from typing import Literal, ParamSpec
else:
    from typing_extensions import Literal, ParamSpec

from ._load import Log

__all__ = ["trace", "start", "stop", "session", "active", "flush", "action", "log",
           "current_span", "register_summarizer", "Session"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_T = TypeVar("_T")
_StrPath = Union[str, "os.PathLike[str]"]
_Duration = Union[str, int, float, datetime.timedelta]

class _Decorator(Protocol):
    def __call__(self, func: Callable[_P, _R], /) -> Callable[_P, _R]: ...

@overload
def trace(func: classmethod[_T, _P, _R], *, capture: Optional[Iterable[str]] = ...,
          skip: Iterable[str] = ..., result: bool = ..., max_len: Optional[int] = ...,
          redact: Iterable[str] = ..., repr: bool = ...,
          name: Optional[str] = ...) -> classmethod[_T, _P, _R]: ...
@overload
def trace(func: staticmethod[_P, _R], *, capture: Optional[Iterable[str]] = ...,
          skip: Iterable[str] = ..., result: bool = ..., max_len: Optional[int] = ...,
          redact: Iterable[str] = ..., repr: bool = ...,
          name: Optional[str] = ...) -> staticmethod[_P, _R]: ...
@overload
def trace(func: Callable[_P, _R], *, capture: Optional[Iterable[str]] = ...,
          skip: Iterable[str] = ..., result: bool = ..., max_len: Optional[int] = ...,
          redact: Iterable[str] = ..., repr: bool = ...,
          name: Optional[str] = ...) -> Callable[_P, _R]: ...
@overload
def trace(func: None = ..., *, capture: Optional[Iterable[str]] = ...,
          skip: Iterable[str] = ..., result: bool = ..., max_len: Optional[int] = ...,
          redact: Iterable[str] = ..., repr: bool = ..., name: Optional[str] = ...) -> _Decorator: ...

def start(path: _StrPath, *, trace: Optional[Iterable[str]] = ...,
          exclude: Optional[Iterable[str]] = ..., min_duration: Optional[_Duration] = ...,
          max_depth: Optional[int] = ..., flush_interval_ms: int = ..., buffer_size: int = ...,
          max_pending_bytes: int = ..., zstd_level: int = ..., drop_when_full: bool = ...,
          max_value_bytes: int = ..., argv: Optional[Sequence[str]] = ...,
          redact: Iterable[str] = ..., capture_repr: bool = ...,
          fork_mode: Literal["follow", "stop"] = ..., block_timeout_ms: int = ...,
          sink_timeout_ms: int = ..., max_len: int = ..., repr: bool = ...,
          flush_interval: int = ..., drop: bool = ...,
          max_size: Optional[Union[int, str]] = ..., keep: Optional[int] = ...,
          sample: Optional[Union[float, str]] = ...,
          sample_mode: Optional[Literal["count", "random"]] = ...,
          sample_seed: Optional[int] = ..., toggle_signal: Optional[Union[int, str]] = ...,
          capture_len: bool = ...) -> None: ...
def pause() -> None: ...
def resume() -> None: ...
def stop() -> Optional[Dict[str, Any]]: ...
def active() -> bool: ...
def flush() -> None: ...

class Session:
    path: str
    stats: Optional[Dict[str, Any]]
    def __init__(self, path: str) -> None: ...
    def load(self) -> Log: ...

class session:
    def __init__(self, path: _StrPath, *, trace: Optional[Iterable[str]] = ...,
                 exclude: Optional[Iterable[str]] = ...,
                 min_duration: Optional[_Duration] = ..., max_depth: Optional[int] = ...,
                 flush_interval_ms: int = ..., buffer_size: int = ...,
                 max_pending_bytes: int = ..., zstd_level: int = ...,
                 drop_when_full: bool = ..., max_value_bytes: int = ...,
                 argv: Optional[Sequence[str]] = ..., redact: Iterable[str] = ...,
                 capture_repr: bool = ..., fork_mode: Literal["follow", "stop"] = ...,
                 block_timeout_ms: int = ..., sink_timeout_ms: int = ...,
                 max_len: int = ..., repr: bool = ..., flush_interval: int = ...,
                 drop: bool = ..., capture_len: bool = ...) -> None: ...
    def __enter__(self) -> Session: ...
    def __exit__(self, *exc: object) -> bool: ...

class action:
    def __init__(self, name: str, /, **fields: Any) -> None: ...
    def __enter__(self: _T) -> _T: ...
    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> bool: ...
    @property
    def span(self) -> int: ...
    def __call__(self, func: Callable[_P, _R]) -> Callable[_P, _R]: ...

def log(message: object, /, **fields: Any) -> None: ...
def current_span() -> int: ...
def register_summarizer(type_: Type[_T], fn: Callable[[_T], Any]) -> None: ...

# Used by argtrace run (_run.py).
REDACTED_ARG: str
def redact_argv(argv: Optional[Sequence[str]],
                patterns: Optional[Sequence[str]]) -> Tuple[Optional[List[str]], List[str]]: ...
def parse_duration_ns(value: _Duration) -> int: ...
