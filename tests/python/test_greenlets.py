"""Greenlets (the switching under gevent and eventlet): each greenlet's calls form their own
tree, checked against a reference tracer (greenlet_runner.py: sys.setprofile, the real frame
stack, which in a greenlet ends at its run function) on a program whose greenlets switch in
the middle of their calls, at several depths. Before argtrace followed greenlet switches, a
greenlet's calls became children of whatever call another greenlet had left open, and calls
open across a switch ended without their results."""
import json
import os
import sys

import pytest

from atr_helpers import filter_backend_envs, subprocess_env
from conftest import optional_module

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "greenlet_runner.py")


def run(tmp_path, mode, env=None):
    import subprocess
    out = tmp_path / ("%s.json" % mode)
    subprocess.run([sys.executable, RUNNER, mode, str(out), str(tmp_path / ("%s.atr" % mode))],
                   env=subprocess_env(**(env or {})), check=True, timeout=120)
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def greenlet():
    return optional_module("greenlet")


@pytest.mark.parametrize("env", filter_backend_envs(),
                         ids=lambda e: e.get("ARGTRACE_FILTER_BACKEND", "auto"))
@pytest.mark.parametrize("mode", ["filter", "decorator"])
def test_each_greenlets_calls_are_its_own_tree(greenlet, tmp_path, mode, env):
    ref = run(tmp_path, "ref")
    got = run(tmp_path, mode, env)
    assert got["result"] == ref["result"]  # tracing changes nothing
    assert sum(ref["calls"].values()) == 31 and len(ref["edges"]) == 8  # the program ran
    assert ref["edges"]['["__main__.step", "__main__.deep"]'] == 2  # first run: its switcher
    assert got["calls"] == ref["calls"]
    assert got["edges"] == ref["edges"]
    assert got["results"] == ref["results"]  # every call ended with its own result
    if mode == "filter":  # a call open across a switch is charged its own running time only
        for function, tag, duration, active in got["active"]:
            assert active is not None and duration is not None
            if function.endswith((".worker", ".deep")):
                assert active < duration, (function, tag)
            if function.endswith(".leaf"):
                assert active == duration, (function, tag)


def test_gevent_requests_are_trees_of_their_own(tmp_path):
    optional_module("gevent")
    prog = tmp_path / "app.py"
    prog.write_text(
        "import gevent\n"
        "def parse(n):\n    return sum(range(n * 100))\n"
        "def fetch(n):\n    gevent.sleep(0.001 * n)\n    return parse(n)\n"
        "def handle(n):\n    r = fetch(n)\n    gevent.sleep(0)\n    return r + 1\n"
        "jobs = [gevent.spawn(handle, n) for n in (3, 1, 2)]\n"
        "gevent.joinall(jobs)\nprint([j.value for j in jobs])\n")
    import subprocess
    res = subprocess.run([sys.executable, "-m", "argtrace", "run", "-q", "--trace", "__main__",
                          str(prog)], cwd=tmp_path, env=subprocess_env(), capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "[44851, 4951, 19901]\n"
    import argtrace
    log = argtrace.load(tmp_path / "app.atr")
    for call in log.calls("handle"):
        assert call.parent() is None  # spawned: run by the hub, a tree of its own
        (fetch,) = call.children()
        (parse,) = fetch.children()
        assert fetch.args["n"] == parse.args["n"] == call.args["n"]
        assert parse.result + 1 == call.result
        assert fetch.active_ns < fetch.duration_ns  # not charged for its gevent.sleep


STOP_BETWEEN = """
import sys, argtrace, greenlet

def leaf(x):
    return x + 1

@argtrace.trace  # (the greenlet's current span while it is switched out: this call's)
def long_call():
    leaf(1)
    main.switch()         # the first session stops while this call is open
    return leaf(2)        # recorded in the second session, under no span of the first

main = greenlet.getcurrent()
g = greenlet.greenlet(long_call)
argtrace.start(sys.argv[1], trace=["__main__:leaf"])
g.switch()
argtrace.stop()
argtrace.start(sys.argv[2], trace=["__main__:leaf"])
print(g.switch())
argtrace.stop()
"""


def test_a_greenlet_resumed_in_a_later_session_starts_afresh(greenlet, tmp_path):
    import subprocess
    import argtrace
    prog = tmp_path / "p.py"
    prog.write_text(STOP_BETWEEN)
    one, two = tmp_path / "one.atr", tmp_path / "two.atr"
    res = subprocess.run([sys.executable, str(prog), str(one), str(two)], env=subprocess_env(),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout == "3\n", res.stderr
    first = argtrace.load(one)
    (open_call,) = first.calls("long_call")
    assert [(c.args["x"], c.parent().id) for c in first.calls("leaf")] == [(1, open_call.id)]
    (late,) = argtrace.load(two).calls()  # long_call began in the first session
    assert late.function == "__main__.leaf" and late.args["x"] == 2 and late.parent() is None
    from argtrace import _core
    starts = [r for r in _core.read_records(str(two)) if r["kind"] == "start"]
    assert [r["parent"] for r in starts] == [0]  # no reference to a span of the first log


def test_greenlet_imported_after_the_session_started_is_followed(greenlet, tmp_path):
    import subprocess
    code = ("import sys, argtrace\n"
            "argtrace.start(sys.argv[1])\n"
            "assert 'greenlet' not in sys.modules\n"
            "import greenlet\n"  # the program's import installs the trace function
            "from argtrace import _greenlet\n"
            "assert greenlet.gettrace() is _greenlet._trace\n"
            "argtrace.stop()\n")
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path / "g.atr")],
                         env=subprocess_env(), capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


SPAWN = """
import asyncio, sys, greenlet

# SQLAlchemy's asyncio bridge, in small: sync code runs in a child greenlet and hands each
# awaitable to the coroutine that spawned it (sqlalchemy.util._concurrency_py3k).
def await_only(awaitable):
    return greenlet.getcurrent().parent.switch(awaitable)

async def greenlet_spawn(fn, *args):
    child = greenlet.greenlet(fn, parent=greenlet.getcurrent())
    result = child.switch(*args)
    while not child.dead:
        result = child.switch(await result)
    return result

async def fetch_row(n):
    await asyncio.sleep(0)
    return n * 10

def load(n):  # the ORM's sync side
    return [decode(await_only(fetch_row(i))) for i in range(n)]

def decode(row):
    return row + 1

async def handler(n):
    return await greenlet_spawn(load, n)

print(asyncio.run(handler(3)))
"""


def test_sync_code_run_through_a_greenlet_stays_under_its_coroutine(greenlet, tmp_path):
    # greenlet_spawn switches to a new greenlet from the coroutine that called it: that
    # greenlet's first call is a child of the switcher, as a plain call would be
    import subprocess
    import argtrace
    prog = tmp_path / "spawn.py"
    prog.write_text(SPAWN)
    res = subprocess.run([sys.executable, "-m", "argtrace", "run", "-q", "--trace", "__main__",
                          str(prog)], cwd=tmp_path, env=subprocess_env(), capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and res.stdout == "[1, 11, 21]\n", res.stderr
    log = argtrace.load(tmp_path / "spawn.atr")
    (handler,) = log.calls("handler")
    (spawn,) = log.calls("greenlet_spawn")
    (load,) = log.calls("load")
    assert spawn.parent().id == handler.id and load.parent().id == spawn.id
    assert load.result.items == (1, 11, 21)
    assert [c.parent().function for c in log.calls("decode")] == ["__main__.load"] * 3
    assert [c.parent().function for c in log.calls("await_only")] == ["__main__.load"] * 3
