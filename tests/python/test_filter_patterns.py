"""The filter language (docs/FILTERS.md): _core.filter_check accepts valid patterns and
rejects invalid ones with a one-line ValueError; and which functions each pattern selects,
checked by tracing small modules written to a temporary directory."""

import importlib
import sys
import textwrap

import pytest

import argtrace
from argtrace import _core

VALID = [
    "myapp", "myapp.db", "myapp.db.*", "*.models", "my?pp", "myapp.[ab]*",
    "myapp.db:Query", "myapp.db:Query.*", "myapp:*.run", "m:<lambda>", "m:f.<locals>.g",
    "file:src/*.py", "file:/abs/**/x.py", "/abs/path.py", "./rel.py", "../up/*.py",
    "json", "email.*", "difflib:SequenceMatcher.ratio",
]

INVALID = [
    ("", "empty pattern"),
    ("a..b", "a module glob holds"),
    (".a", "a module glob holds"),
    ("a.", "a module glob holds"),
    ("a b", "whitespace is not allowed"),
    ("a:b:c", "more than one ':'"),
    (":f", "empty module glob before ':'"),
    ("m:", "empty qualified name after ':'"),
    ("m[ab", "unterminated '[' set"),
    ("m:f(x)", "a qualified name glob holds"),
    ("file:", "empty file glob after 'file:'"),
    ("file:src/[x.py", "unterminated '[' set"),
    ("my-app/x", "a module glob holds"),
]


@pytest.mark.parametrize("pattern", VALID)
def test_valid(pattern):
    assert _core.filter_check([pattern]) is None


@pytest.mark.parametrize("pattern,why", INVALID)
def test_invalid_is_one_line(pattern, why):
    with pytest.raises(ValueError) as e:
        _core.filter_check(["ok.module", pattern])
    msg = str(e.value)
    assert "\n" not in msg
    assert msg == "argtrace: invalid trace pattern '%s': %s" % (pattern, msg.split(": ", 2)[2])
    assert why in msg


def test_not_a_str():
    with pytest.raises(TypeError, match="must be str"):
        _core.filter_check([3])
    with pytest.raises(TypeError):
        _core.filter_check(5)


PKG = {
    "fpkg/__init__.py": "def top():\n    return 1\n",
    "fpkg/db.py": """
        class Query:
            def run(self, q):
                return len(q)
            def other(self):
                return 0
        class QueryPlan:
            def run(self):
                return 2
        def connect(dsn):
            def helper():
                return dsn
            return helper()
        """,
    "fpkg/models/__init__.py": "",
    "fpkg/models/user.py": "def load(uid):\n    return {'id': uid}\n",
    "fpkgx.py": "def top():\n    return 3\n",
}

DRIVER = """
import fpkg, fpkgx
from fpkg import db
from fpkg.models import user
def drive():
    fpkg.top(); fpkgx.top()
    q = db.Query(); q.run("abc"); q.other(); db.QueryPlan().run()
    db.connect("x"); user.load(7)
"""


@pytest.fixture
def pkg(tmp_path, monkeypatch):
    for name, text in PKG.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    (tmp_path / "fdriver.py").write_text(DRIVER)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for m in [m for m in sys.modules if m.split(".")[0] in ("fpkg", "fpkgx", "fdriver")]:
        del sys.modules[m]
    importlib.invalidate_caches()
    return importlib.import_module("fdriver")


SELECTS = [
    (["fpkg"], ["fpkg.top", "fpkg.db.Query.run", "fpkg.db.Query.other",
                "fpkg.db.QueryPlan.run", "fpkg.db.connect", "fpkg.db.connect.<locals>.helper",
                "fpkg.models.user.load"]),
    (["fpkg.db.*"], ["fpkg.db.Query.run", "fpkg.db.Query.other", "fpkg.db.QueryPlan.run",
                     "fpkg.db.connect", "fpkg.db.connect.<locals>.helper"]),
    (["fpkg.models.*"], ["fpkg.models.user.load"]),
    (["fpkg*"], ["fpkg.top", "fpkgx.top", "fpkg.db.Query.run", "fpkg.db.Query.other",
                 "fpkg.db.QueryPlan.run", "fpkg.db.connect", "fpkg.db.connect.<locals>.helper",
                 "fpkg.models.user.load"]),
    (["fpkg.db:Query"], ["fpkg.db.Query.run", "fpkg.db.Query.other"]),
    (["fpkg.db:Query*"], ["fpkg.db.Query.run", "fpkg.db.Query.other",
                          "fpkg.db.QueryPlan.run"]),
    (["fpkg.db:*.run"], ["fpkg.db.Query.run", "fpkg.db.QueryPlan.run"]),
    (["fpkg.db:connect"], ["fpkg.db.connect", "fpkg.db.connect.<locals>.helper"]),
    (["*.user:load", "fpkgx"], ["fpkgx.top", "fpkg.models.user.load"]),
    (["file:fpkg/*.py"], ["fpkg.top", "fpkg.db.Query.run", "fpkg.db.Query.other",
                          "fpkg.db.QueryPlan.run", "fpkg.db.connect",
                          "fpkg.db.connect.<locals>.helper"]),
    (["file:fpkg/**.py"], ["fpkg.top", "fpkg.db.Query.run", "fpkg.db.Query.other",
                           "fpkg.db.QueryPlan.run", "fpkg.db.connect",
                           "fpkg.db.connect.<locals>.helper", "fpkg.models.user.load"]),
    (["./fpkgx.py"], ["fpkgx.top"]),
]


@pytest.mark.parametrize("include,expected", SELECTS)
def test_selects(pkg, tmp_path, include, expected):
    path = tmp_path / "sel.atr"
    argtrace.start(path)
    try:
        _core.filter_start(include, [])
        pkg.drive()
    finally:
        _core.filter_stop()
        argtrace.stop()
    got = [c.function for c in argtrace.load(path).calls()]
    assert sorted(got) == sorted(expected)


def test_excludes(pkg, tmp_path):
    path = tmp_path / "ex.atr"
    argtrace.start(path)
    try:
        _core.filter_start(["fpkg"], ["fpkg.db:Query.*", "fpkg.models.*", "file:fpkg/__init__.py"])
        pkg.drive()
    finally:
        _core.filter_stop()
        argtrace.stop()
    got = sorted(c.function for c in argtrace.load(path).calls())
    assert got == ["fpkg.db.QueryPlan.run", "fpkg.db.connect",
                   "fpkg.db.connect.<locals>.helper"]
