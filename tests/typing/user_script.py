"""A user's program, type-checked with `mypy --strict` against the installed argtrace (.ci/typing).

It uses the public API the way the README does. The lines marked `# type: ignore[...]` are
mistakes a type checker must catch: --strict includes --warn-unused-ignores, so if argtrace's
types stopped catching one of them, its ignore would be unused and mypy would fail. The script
also runs (python tests/typing/user_script.py --run LOG) and checks what it computes.
"""

import asyncio
import datetime
import logging
import sys
from typing import Dict, Iterator, List, Optional

import argtrace


@argtrace.trace
def parse(rows: List[str], mode: str = "fast") -> Dict[str, int]:
    return {row: len(row) for row in rows if mode or row}


@argtrace.trace(capture=["n"], result=False, max_len=64, redact=["token"])
def scale(n: int, factor: float = 2.0, *, token: str = "") -> float:
    return n * factor


@argtrace.trace
def numbers(limit: int) -> Iterator[int]:
    yield from range(limit)


@argtrace.trace
async def fetch(key: str) -> bytes:
    await asyncio.sleep(0)
    return key.encode()


class Store:
    @argtrace.trace
    def get(self, key: str) -> Optional[int]:
        return len(key) or None

    @argtrace.trace
    @classmethod
    def make(cls, size: int) -> "Store":
        return cls()

    @argtrace.trace
    @staticmethod
    def norm(key: str) -> str:
        return key.lower()


@argtrace.action("import")
def import_batch(batch: int) -> int:
    return batch + 1


def main(path: str) -> int:
    argtrace.register_summarizer(datetime.date, lambda d: (d.year, d.month))
    logging.getLogger("user").addHandler(argtrace.LogHandler())
    with argtrace.session(path, redact=["password"], max_len=256, zstd_level=3,
                          fork_mode="follow") as s:
        counts: Dict[str, int] = parse(["a,b", "c"], mode="strict")
        doubled: float = scale(3, token="secret")
        total: int = sum(numbers(4))
        data: bytes = asyncio.run(fetch("k"))
        got: Optional[int] = Store.make(2).get(Store.norm("KEY"))
        with argtrace.action("batch", size=2) as act:
            span: int = act.span
            argtrace.log("inside", rows=2)
        assert span != 0 and argtrace.active() and argtrace.current_span() == 0
        with argtrace.continue_from("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"):
            header: Optional[str] = argtrace.current_traceparent()
        assert header is not None and header.startswith("00-0af7651916cd43dd")
        argtrace.flush()
        n: int = import_batch(1)
    stats = s.stats
    assert stats is not None and stats["path"] == path

    log: argtrace.Log = argtrace.load(path)
    calls: List[argtrace.Call] = log.calls("parse", mode="strict")
    first: argtrace.Call = calls[0]
    duration: Optional[int] = first.duration_ns
    assert first.args["rows"] is not None and duration is not None and first.finished
    report = log.slow("parse")
    best: float = max((a.score for a in report.arguments), default=0.0)
    for row in log.functions():
        assert row.calls >= 1 and row.total_ns >= 0
    tree = log.tree(first.id)
    assert tree["function"].endswith("parse")
    messages: List[argtrace.Message] = list(log.messages())
    process: Optional[argtrace.ProcessInfo] = log.process
    assert process is not None and process.argv
    assert isinstance(argtrace.REDACTED, argtrace.Redacted)

    print("typing user script: %d counts, %.1f, %d, %r, %r, %d, %d calls, %d messages, "
          "best score %.2f, version %s" % (len(counts), doubled, total, data, got, n, len(calls),
                                           len(messages), best, argtrace.__version__))
    return 0


def mistakes(path: str) -> None:
    """Never called: each line is a mistake mypy must report."""
    parse(["x"], mode=3)  # type: ignore[arg-type]
    scale("3")  # type: ignore[arg-type]
    Store.make("2")  # type: ignore[arg-type]
    Store.norm(1)  # type: ignore[arg-type]
    wrong: str = parse([])  # type: ignore[assignment]
    argtrace.start(path, zstd_level="high")  # type: ignore[arg-type]
    argtrace.start(path, fork_mode="sometimes")  # type: ignore[arg-type]
    argtrace.start(path, no_such_option=1)  # type: ignore[call-arg]
    argtrace.load(path).calls(42)  # type: ignore[arg-type]



if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--run":
    sys.exit(main(sys.argv[2]))
