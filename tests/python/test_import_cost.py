"""`import argtrace` loads the tracing path alone: the reader's side (argtrace.load and the
analysis layer, diff, the value classes) and the logging handler are imported on first use,
and every public name still resolves (bench/bench_startup.py measures what this saves)."""
import json
import subprocess
import sys
import textwrap

import pytest

import argtrace
from atr_helpers import subprocess_env

READER_MODULES = ["argtrace._load", "argtrace._analysis", "argtrace._notebook",
                  "argtrace._diff", "argtrace._values", "argtrace._logging", "logging",
                  "hashlib", "html", "dataclasses"]


def modules_after(code):
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", probe], env=subprocess_env(), check=True,
                         capture_output=True, text=True, timeout=120)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_loads_no_reader_module():
    loaded = modules_after("import argtrace")
    assert "argtrace._api" in loaded
    assert sorted(loaded & set(READER_MODULES)) == []


def test_a_session_with_calls_loads_no_reader_module(tmp_path):
    log = str(tmp_path / "t.atr")
    loaded = modules_after(
        "import argtrace\nargtrace.start(%r, trace=['__main__'])\n"
        "def f(x):\n    return x\n[f(i) for i in range(10)]\n"
        "@argtrace.trace\ndef g(x):\n    return x\ng(1)\nargtrace.stop()" % log)
    assert sorted(loaded & set(READER_MODULES)) == []
    assert len(argtrace.load(log)) == 11


@pytest.mark.parametrize("name", ["load", "diff", "Log", "Call", "Message", "ProcessInfo",
                                  "LogHandler", "REDACTED", "CaptureError", "Redacted", "Repr",
                                  "Summary", "Truncated", "Unknown"])
def test_every_lazy_name_resolves_to_its_module(name):
    value = getattr(argtrace, name)
    assert value is not None
    assert name in dir(argtrace) and name in argtrace.__all__
    owner = sys.modules["argtrace." + argtrace._LAZY[name]]
    assert getattr(owner, name) is value


def test_from_import_and_unknown_names():
    loaded = modules_after("from argtrace import load, Truncated\n"
                           "assert load.__module__ == 'argtrace._load'\n"
                           "assert Truncated.__module__ == 'argtrace._values'")
    assert "argtrace._load" in loaded
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        argtrace.no_such_name
    # every name of __all__ is there
    assert [n for n in argtrace.__all__ if not hasattr(argtrace, n)] == []


def test_multiprocessing_is_patched_when_the_program_imports_it(tmp_path):
    """A session's start does not import multiprocessing (3-6 ms); the program's own import
    of it later gets Process.start patched (spawned children follow the session: the
    spawn/forkserver tests of test_exits.py run their pools this way), once, and the finder
    that did it leaves sys.meta_path."""
    log = str(tmp_path / "t.atr")
    code = (
        "import sys, argtrace\n"
        "argtrace.start(%r)\n"
        "assert 'multiprocessing' not in sys.modules\n"
        "argtrace.stop(); argtrace.start(%r)  # a second session adds no second finder\n"
        "def finders(): return [f.name for f in sys.meta_path\n"
        "                       if type(f).__name__ == '_AfterImport']\n"
        "assert finders().count('multiprocessing.process') == 1, finders()\n"
        "import multiprocessing.process as mp\n"
        "assert mp.BaseProcess.start._argtrace\n"
        "assert 'multiprocessing.process' not in finders(), finders()\n"
        "import importlib; importlib.reload(mp)  # a fresh module object: plain again\n"
        "assert not getattr(mp.BaseProcess.start, '_argtrace', False)\n"
        "argtrace.stop()\n" % (log, log))
    subprocess.run([sys.executable, "-c", code], env=subprocess_env(), check=True,
                   timeout=120)


def test_after_import_with_a_loader_that_serves_other_modules():
    """The finder that patches a module once it is imported wraps its loader's exec_module
    for that one module: a loader that serves every module of an application (a frozen
    application's importer, a zip importer) gets its own method back, the other modules it
    serves import untouched, and the patch runs once, on the named module."""
    code = textwrap.dedent("""
        import importlib.abc, importlib.util, sys
        from argtrace import _api

        SOURCES = {"atr_probe": "from . import sub\\n",
                   "atr_probe.sub": "from . import other\\nVALUE = 1\\n",
                   "atr_probe.other": "VALUE = 2\\n", "atr_probe.late": "VALUE = 3\\n"}

        class Shared(importlib.abc.MetaPathFinder, importlib.abc.Loader):
            def find_spec(self, name, path=None, target=None):
                if name in SOURCES:
                    return importlib.util.spec_from_loader(name, self,
                                                           is_package=name == "atr_probe")
            def exec_module(self, module):
                exec(SOURCES[module.__name__], module.__dict__)

        shared = Shared()
        sys.meta_path.insert(0, shared)
        seen = []
        sys.meta_path.insert(0, _api._AfterImport("atr_probe.sub", seen.append))
        import atr_probe, atr_probe.late
        assert [m.__name__ for m in seen] == ["atr_probe.sub"], seen
        assert atr_probe.sub.VALUE == 1 and atr_probe.other.VALUE == 2
        assert atr_probe.late.VALUE == 3
        assert "exec_module" not in vars(shared), vars(shared)
        assert not [f for f in sys.meta_path if type(f).__name__ == "_AfterImport"]
    """)
    subprocess.run([sys.executable, "-c", code], env=subprocess_env(), check=True,
                   timeout=120)
