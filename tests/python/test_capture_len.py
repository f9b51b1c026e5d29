"""capture_len (`argtrace run --len`): objects of other types that have a length are recorded
as their type and len(), the one way to see which *size* of a user's object (a graph, a data
frame, a custom collection) makes a function slow. Opt-in (it calls the object's __len__,
DESIGN.md section 4), guarded like repr: a __len__ that raises, lies or re-enters traced code
changes nothing the program sees."""

import os
import subprocess
import sys
import textwrap

import pytest

import argtrace

HERE = os.path.dirname(os.path.abspath(__file__))

MODULE = '''
class Sized:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


class Raises:
    def __len__(self):
        raise RuntimeError("no length today")


class Huge:
    def __len__(self):
        return 2 ** 70


class NotAnInt:
    def __len__(self):
        return "three"


class NoLength:
    pass


def work(obj, other=None):
    return 1
'''


@pytest.fixture
def mod(tmp_path, monkeypatch):
    (tmp_path / "lenmod.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("lenmod", None)
    import lenmod
    yield lenmod
    sys.modules.pop("lenmod", None)


def record(path, mod, how, calls, **options):
    """Call mod.work(*args) for each args in a session traced `how`: the calls' arguments,
    and the session's stop() figures."""
    if how == "decorator":
        work = argtrace.trace(mod.work)
        argtrace.start(str(path), **options)
    else:
        work = mod.work
        argtrace.start(str(path), trace=["lenmod:work"], **options)
    try:
        for args in calls:
            assert work(*args) == 1
    finally:
        stats = argtrace.stop()
    return [c.args for c in argtrace.load(str(path)).calls("lenmod.work")], stats


def shown(value):
    """A captured summary as (type, length)."""
    return (value.type_name, value.length)


@pytest.mark.parametrize("how", ["decorator", "filter"])
def test_len_is_recorded_only_when_asked(tmp_path, mod, how):
    calls = [(mod.Sized(3),), (mod.Sized(400),)]
    off, _ = record(tmp_path / "off.atr", mod, how, calls)
    on, _ = record(tmp_path / "on.atr", mod, how, calls, capture_len=True)
    assert [shown(a["obj"]) for a in off] == [("Sized", None), ("Sized", None)]
    assert [shown(a["obj"]) for a in on] == [("Sized", 3), ("Sized", 400)]


@pytest.mark.parametrize("how", ["decorator", "filter"])
def test_a_length_that_cannot_be_had_leaves_the_type(tmp_path, mod, how):
    calls = [(mod.Raises(),), (mod.Huge(),), (mod.NotAnInt(),), (mod.NoLength(),)]
    args, stats = record(tmp_path / "x.atr", mod, how, calls, capture_len=True)
    assert [shown(a["obj"]) for a in args] == [
        ("Raises", None), ("Huge", None), ("NotAnInt", None), ("NoLength", None)]
    assert stats["capture_errors"] == 0  # an unsized object is no error


def test_the_program_sees_nothing_of_it(tmp_path, mod):
    # a __len__ that raises inside an except block: the exception being handled stays
    work = argtrace.trace(mod.work)
    argtrace.start(str(tmp_path / "p.atr"), capture_len=True)
    try:
        try:
            raise KeyError("outer")
        except KeyError as e:
            assert work(mod.Raises()) == 1
            assert sys.exc_info()[1] is e
    finally:
        argtrace.stop()


def test_a_len_that_calls_traced_code_is_not_recorded(tmp_path, mod):
    inner = argtrace.trace(lambda: 7)

    class Reentrant:
        def __len__(self):
            return inner()

    work = argtrace.trace(mod.work)
    argtrace.start(str(tmp_path / "r.atr"), capture_len=True)
    try:
        work(Reentrant())
        inner()
    finally:
        argtrace.stop()
    log = argtrace.load(str(tmp_path / "r.atr"))
    calls = log.calls()
    assert [shown(c.args["obj"]) for c in calls if "obj" in c.args] == [("Reentrant", 7)]
    assert len(calls) == 2  # work and the program's own inner(); not the one inside __len__


def test_len_goes_before_repr_and_only_at_the_top(tmp_path, mod):
    calls = [(mod.Sized(2), mod.NoLength()), ([mod.Sized(5)],)]
    args, _ = record(tmp_path / "b.atr", mod, "decorator", calls, capture_len=True,
                     capture_repr=True)
    assert shown(args[0]["obj"]) == ("Sized", 2)
    assert args[0]["other"].text.startswith("<lenmod.NoLength object")  # no length: repr
    items = args[1]["obj"]
    assert shown(items) == ("list", 1) and shown(items.items[0]) == ("Sized", None)


def test_cli_len_makes_slow_group_by_size(tmp_path):
    script = tmp_path / "graphs.py"
    script.write_text(textwrap.dedent('''
        import time

        class Graph:
            def __init__(self, n):
                self.nodes = list(range(n))

            def __len__(self):
                return len(self.nodes)

        def analyse(graph, mode="fast"):  # 2.5 ms or 50 ms: a loaded machine's few ms of
            time.sleep(len(graph) / 4000)     # sleep overshoot keep the sizes apart

        for n in (10, 10, 200, 200, 10, 200):
            analyse(Graph(n))
        '''))
    log = tmp_path / "g.atr"
    env = dict(os.environ, COLUMNS="80")
    run = subprocess.run([sys.executable, "-m", "argtrace", "run", "-q", "--len", "--trace",
                          "__main__", "-o", str(log), str(script)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    slow = argtrace.load(str(log)).slow("__main__.analyse")
    best = slow.arguments[0]
    assert best.name == "graph" and best.score > 0.5, slow  # the size explains the time
    assert sorted(g.calls for g in best.groups) == [3, 3]
    assert [g.value.length for g in best.groups] == [200, 10]  # slowest first


def test_a_redacted_argument_is_not_measured(tmp_path):
    class Secret:
        def __len__(self):
            raise AssertionError("__len__ of a redacted value called")

    @argtrace.trace
    def login(user, secret_token):
        return 1

    argtrace.start(str(tmp_path / "s.atr"), capture_len=True, redact=["secret*"])
    try:
        assert login(Secret(), Secret()) == 1
    finally:
        stats = argtrace.stop()
    args = argtrace.load(str(tmp_path / "s.atr")).calls()[0].args
    assert shown(args["user"]) == ("Secret", None)  # raised: the type alone
    assert str(args["secret_token"]) == "<redacted>" and stats["capture_errors"] == 0
