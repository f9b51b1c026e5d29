"""One version: CMakeLists.txt's project(argtrace VERSION x.y.z). pyproject.toml reads it
(scikit-build-core's regex provider), CMake checks the C header's macros against it when it
configures; this test checks all of them, argtrace.__version__, the extension's version, the
installed metadata (when argtrace is installed) and `argtrace --version`."""

import importlib.metadata
import os
import re
import subprocess
import sys

import pytest

import argtrace
from argtrace import _core

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def cmake_version():
    m = re.search(r"^project\(argtrace VERSION ([0-9]+\.[0-9]+\.[0-9]+)", read("CMakeLists.txt"),
                  re.M)
    assert m, "no project(argtrace VERSION x.y.z) line in CMakeLists.txt"
    return m.group(1)


def test_header_macros_match_cmake():
    h = read("libtrace/include/argtrace/atr_common.h")
    parts = [re.search(r"#define ATR_VERSION_%s (\d+)" % p, h).group(1)
             for p in ("MAJOR", "MINOR", "PATCH")]
    assert ".".join(parts) == cmake_version()
    assert re.search(r'#define ATR_VERSION_STRING "([^"]+)"', h).group(1) == cmake_version()


def test_pyproject_takes_the_cmake_version():
    p = read("pyproject.toml")
    assert not re.search(r"^version\s*=", p, re.M), "pyproject.toml must not repeat the version"
    assert re.search(r'^dynamic = \["version"\]', p, re.M)
    m = re.search(r"\[tool\.scikit-build\.metadata\.version\]\n(.*?)\n\n", p, re.S)
    assert m and 'input = "CMakeLists.txt"' in m.group(1)
    regex = re.search(r"^regex = '(.*)'$", m.group(1), re.M).group(1)
    assert re.search(regex, read("CMakeLists.txt")).group("value") == cmake_version()


def test_package_and_extension_versions():
    assert argtrace.__version__ == cmake_version()
    assert _core.version == cmake_version()  # ATR_VERSION_STRING, compiled in


def test_installed_metadata_when_installed():
    try:
        dist = importlib.metadata.distribution("argtrace")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("argtrace is not installed (a CMake build tree on PYTHONPATH)")
    located = os.path.realpath(str(dist.locate_file("argtrace/__init__.py")))
    if located != os.path.realpath(argtrace.__file__):
        pytest.skip("the installed argtrace is not the one imported")
    assert dist.version == cmake_version()


def test_cli_version():
    out = subprocess.run([sys.executable, "-m", "argtrace", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out == "argtrace %s\n" % cmake_version()
