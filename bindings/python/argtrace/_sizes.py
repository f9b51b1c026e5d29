"""Sizes given as bytes or as text ("512M", "4G", "64MiB"): the writer's rotation and budget
options and the reader's memory bound read them alike. Imported by the tracing path, so it
imports nothing of the reader's."""
import re

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(value):
    """Bytes from an int or a string such as "512M", "4G", "64MiB" (binary units)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([KMGT]?)(?:i?B)?\s*", value, re.I)
        if m:
            return int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    raise ValueError("argtrace: bad memory size %r (bytes as an int, or e.g. \"512M\", \"4G\")"
                     % (value,))
