"""Python objects for the values a log holds that are not plain scalars.

`_core.read_records` hands non-scalar values over as small tagged tuples (see the binding
contract); `convert()` turns them into the classes below. Scalars (None, bool, int, float,
str, bytes) stay as they are.
"""

from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

__all__ = [
    "Truncated", "Summary", "Redacted", "REDACTED", "Repr", "CaptureError", "Unknown",
    "convert",
]


class Truncated:
    """A string or bytes value cut to the session's limit.

    `value` is the kept prefix (str or bytes); `length` the true length in bytes (UTF-8 for
    text). A cut may fall inside a UTF-8 sequence; the prefix is decoded with replacement.
    """

    __slots__ = ("value", "length")

    value: Union[str, bytes]
    length: int

    def __init__(self, value: Union[str, bytes], length: int) -> None:
        self.value = value
        self.length = length

    @property
    def is_text(self) -> bool:
        return isinstance(self.value, str)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Truncated):
            return NotImplemented
        return (self.value, self.length) == (other.value, other.length)

    def __hash__(self) -> int:
        return hash((Truncated, self.value, self.length))

    def __len__(self) -> int:
        """The true length (bytes; of the UTF-8 encoding for text), as `len(x)` in keys
        and filters counts it: `slow(by=lambda c: len(c.args["sql"]))` works on cut
        values too."""
        return self.length

    def __repr__(self) -> str:
        head = self.value[:40]
        return "Truncated(%r..., length=%d)" % (head, self.length)


class Summary:
    """A container or other object recorded by type: `type_name`, `length` (None when
    unknown) and a tuple of leading `items` (values, possibly summaries themselves)."""

    __slots__ = ("type_name", "length", "items")

    type_name: str
    length: Optional[int]
    items: Tuple[Any, ...]

    def __init__(self, type_name: str, length: Optional[int], items: Iterable[Any] = ()) -> None:
        self.type_name = type_name
        self.length = length
        self.items = tuple(items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Summary):
            return NotImplemented
        return ((self.type_name, self.length, self.items)
                == (other.type_name, other.length, other.items))

    def __hash__(self) -> int:
        return hash((Summary, self.type_name, self.length))

    def __len__(self) -> int:
        return self.length or 0

    def entry(self, key: str, default: Any = None) -> Any:
        """The value of entry `key` of the dict a registered summarizer returned (each entry
        is recorded as a summary named "=" + its key, of unknown length, holding the value:
        what `slow --by ARG.KEY` groups by), or `default` when there is none."""
        for it in self.items:
            if entry_key(it) == key:
                return it.items[0]
        return default

    def __repr__(self) -> str:
        key = entry_key(self)
        if key is not None:
            return "%s=%r" % (key, self.items[0])
        parts = [self.type_name]
        if self.length is not None:
            parts.append("len=%d" % self.length)
        if self.items:
            parts.append(repr(list(self.items)))
        return "<%s>" % " ".join(parts)


def entry_key(item: Any) -> Optional[str]:
    """The key when `item` (an item of a summary) is an entry of a summarizer's dict: a
    summary named "=" + its key, of unknown length, holding the value (docs/FORMAT.md
    section 4); else None."""
    if (isinstance(item, Summary) and item.length is None and len(item.items) == 1
            and item.type_name.startswith("=")):
        return item.type_name[1:]
    return None


def usable_entry_keys(arg: Any, most: int = 4) -> List[str]:
    """The keys of the dict a registered summarizer returned, when an argument's values
    (an ArgumentScore's groups, two at least, exact ones) are such, as `by` can name them
    ("ARG.KEY": none with ".", ",", parentheses or surrounding blanks, nor "items"), two at
    least and at most `most`, read from its first group's value; else [] (as `argtrace
    slow` picks them)."""
    v = arg.groups[0].value if len(arg.groups) >= 2 and not arg.pair else None
    found: List[Optional[str]] = (
        [entry_key(it) for it in v.items] if isinstance(v, Summary) and v.items else [None])
    keys = [k for k in found if k is not None]
    if len(keys) < len(found):
        return []
    keys = [k for k in keys if k and k == k.strip(" \t") and k != "items"
            and not any(c in k for c in ".,()\0")]
    return keys[:most] if len(keys) >= 2 else []  # one entry groups as the argument does


class Redacted:
    """A value that was redacted: it never reached the log."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Redacted)

    def __hash__(self) -> int:
        return hash(Redacted)

    def __repr__(self) -> str:
        return "<redacted>"


REDACTED = Redacted()


class Repr:
    """Text from the object's own repr(), recorded only when the user asked for it.
    `length` is the true length in bytes; `truncated` says whether `text` was cut."""

    __slots__ = ("text", "length")

    text: str
    length: int

    def __init__(self, text: str, length: int) -> None:
        self.text = text
        self.length = length

    @property
    def truncated(self) -> bool:
        return self.length > len(self.text.encode("utf-8", "surrogatepass"))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Repr):
            return NotImplemented
        return (self.text, self.length) == (other.text, other.length)

    def __hash__(self) -> int:
        return hash((Repr, self.text))

    def __repr__(self) -> str:
        return "Repr(%r%s)" % (self.text[:60], "..." if self.truncated else "")


class CaptureError:
    """A value the tracer could not capture; `type_name` is the object's type."""

    __slots__ = ("type_name",)

    type_name: str

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CaptureError):
            return NotImplemented
        return self.type_name == other.type_name

    def __hash__(self) -> int:
        return hash((CaptureError, self.type_name))

    def __repr__(self) -> str:
        return "<capture error: %s>" % self.type_name


class Unknown:
    """A value of a kind this version does not know (a newer minor format version)."""

    __slots__ = ("ext_type", "payload")

    ext_type: int
    payload: bytes

    def __init__(self, ext_type: int, payload: bytes) -> None:
        self.ext_type = ext_type
        self.payload = payload

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Unknown):
            return NotImplemented
        return (self.ext_type, self.payload) == (other.ext_type, other.payload)

    def __hash__(self) -> int:
        return hash((Unknown, self.ext_type, self.payload))

    def __repr__(self) -> str:
        return "<unknown value ext %d, %d bytes>" % (self.ext_type, len(self.payload))


def _bigint(digits):
    try:
        return int(digits)
    except ValueError:  # beyond sys.get_int_max_str_digits(), or not digits at all
        return Repr(digits, len(digits))


def _summary(t):
    items = [convert(v) for v in t[3]] if len(t) > 3 and t[3] else ()
    return Summary(t[1], t[2], items)


_TAGS = {
    "truncated_str": lambda t: Truncated(t[1], t[2]),
    "truncated_bytes": lambda t: Truncated(t[1], t[2]),
    "summary": _summary,
    "redacted": lambda t: REDACTED,
    "bigint": lambda t: _bigint(t[1]),
    "repr": lambda t: Repr(t[1], t[2]),
    "error": lambda t: CaptureError(t[1]),
    "unknown": lambda t: Unknown(t[1], t[2]),
}


def convert(value: Any) -> Any:
    """Turn one value from `_core.read_records` into its Python form."""
    if type(value) is not tuple:
        return value
    make = _TAGS.get(value[0]) if value else None
    if make is None:
        return Unknown(-1, repr(value).encode())
    return make(value)


def convert_fields(fields: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Convert every value of a {name: value} map (None → {})."""
    if not fields:
        return {}
    return {k: convert(v) for k, v in fields.items()}
