"""Helpers for the argtrace Python tests (import as `from atr_helpers import ...`)."""

import io
import os
import shutil
import subprocess
import sys

import argtrace


def record(path, fn, *args, **options):
    """Run fn(*args) inside a session writing to `path`; return (Log, fn's return value)."""
    argtrace.start(path, **options)
    try:
        value = fn(*args)
    finally:
        argtrace.stop()
    return argtrace.load(path), value


def without_index(data):
    """A log's bytes without its frame index (format 1.3, docs/FORMAT.md 2.4: the skippable
    frame a closed file ends with), so that cutting the end cuts the last zstd frame."""
    if data[-4:] != b"ATRI":
        return data
    size = int.from_bytes(data[-8:-4], "little")
    return data[: len(data) - 8 - size]


def only(iterable):
    items = list(iterable)
    assert len(items) == 1, items
    return items[0]


def filter_backend_envs():
    """The environments that run a child under each filter-tracing backend of this Python
    (3.11 has two: the frame-evaluation hook and the profile hook; others one)."""
    if sys.version_info[:2] == (3, 11):
        return [{"ARGTRACE_FILTER_BACKEND": "eval"}, {"ARGTRACE_FILTER_BACKEND": "profile"}]
    return [{}]


def package_root():
    """The directory holding the imported `argtrace` package."""
    return os.path.dirname(os.path.dirname(os.path.abspath(argtrace.__file__)))


def subprocess_env(**extra):
    """Environment for a child Python that must import the same argtrace."""
    env = dict(os.environ)
    paths = [package_root()] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("PYTHONSTARTUP", None)
    env.update(extra)
    return env


def run_python(args, cwd=None, timeout=60, **kw):
    return subprocess.run([sys.executable] + list(args), cwd=cwd, env=subprocess_env(),
                          capture_output=True, text=True, timeout=timeout, **kw)


def decompressed(path):
    """The concatenated record stream of a log (every complete frame), decompressed with
    a stock zstd implementation: the zstandard module, else the zstd command."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[8:12] == b"ATRC", "not an argtrace log"
    try:
        import zstandard
    except ImportError:
        zstandard = None
    if zstandard is not None:
        body = data[8 + int.from_bytes(data[4:8], "little"):]
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body),
                                                           read_across_frames=True)
        return reader.read()
    if shutil.which("zstd") is None:
        import pytest
        pytest.skip("neither the zstandard module nor the zstd command is available")
    return subprocess.run(["zstd", "-dc", "--no-check", str(path)], check=True,
                          capture_output=True).stdout


def child_log(parent_path, pid):
    """The log a forked child `pid` wrote beside `parent_path`: "<stem>.<pid>.<8 hex>.atr"
    (the random part makes the name impossible to plant in advance)."""
    import glob
    import re
    parent_path = os.fspath(parent_path)
    stem = parent_path[:-4] if parent_path.endswith(".atr") else parent_path
    found = [p for p in glob.glob(glob.escape(stem) + ".%d.*.atr" % pid)
             if re.fullmatch(r"\.%d\.[0-9a-f]{8}\.atr" % pid, p[len(stem):])]
    assert len(found) == 1, found
    return found[0]
