"""`argtrace run` says at exit (stderr only) when a --trace pattern matched no function, with
a hint derived from the pattern syntax, or when the run recorded no call at all. The traced
program's stdout and exit status stay its own."""

import textwrap

import pytest

import argtrace
from atr_helpers import run_python

SCRIPT = textwrap.dedent("""
    import sys
    import mylib.fmt
    print(mylib.fmt.format("a b"))
    sys.exit(3)
""")

LIB = textwrap.dedent("""
    def format(text):
        return text.upper()
""")


@pytest.fixture
def prog(tmp_path):
    (tmp_path / "mylib").mkdir()
    (tmp_path / "mylib" / "__init__.py").write_text("")
    (tmp_path / "mylib" / "fmt.py").write_text(LIB)
    (tmp_path / "prog.py").write_text(SCRIPT)
    return tmp_path


def _run(cwd, *opts):
    return run_python(["-m", "argtrace", "run", "-o", "p.atr"] + list(opts) + ["prog.py"],
                      cwd=cwd)


def test_unmatched_module_path_pattern_suggests_module_colon_name(prog):
    res = _run(prog, "--trace", "mylib.fmt.format")
    assert res.returncode == 3
    assert res.stdout == "A B\n"
    assert ("argtrace: --trace 'mylib.fmt.format' matched no function; "
            "did you mean 'mylib.fmt:format'?\n") in res.stderr
    assert len(argtrace.load(prog / "p.atr")) == 0


def test_matching_pattern_gives_no_warning(prog):
    res = _run(prog, "--trace", "mylib.fmt:format")
    assert res.returncode == 3 and res.stdout == "A B\n"
    assert "matched no function" not in res.stderr
    assert "no call was recorded" not in res.stderr
    log = argtrace.load(prog / "p.atr")
    assert [c.function for c in log.calls()] == ["mylib.fmt.format"]


def test_only_the_unmatched_pattern_is_named(prog):
    res = _run(prog, "--trace", "mylib.fmt:format", "--trace", "nosuchmod")
    assert res.returncode == 3 and res.stdout == "A B\n"
    assert "--trace 'mylib.fmt:format'" not in res.stderr
    assert "argtrace: --trace 'nosuchmod' matched no function; no module 'nosuchmod' " \
           "was imported\n" in res.stderr


def test_script_stem_pattern_points_at_main(prog):
    res = _run(prog, "--trace", "prog")
    assert res.returncode == 3
    assert "argtrace: --trace 'prog' matched no function; did you mean '__main__'? " \
           "(a script's functions are in module '__main__')\n" in res.stderr


def test_nothing_recorded_without_trace_says_only_decorated_are_traced(prog):
    res = _run(prog)
    assert res.returncode == 3 and res.stdout == "A B\n"
    line = [ln for ln in res.stderr.splitlines() if "no call was recorded" in ln]
    assert line == ["argtrace: no call was recorded: without --trace only functions "
                    "decorated with @argtrace.trace are traced (e.g. --trace '__main__'; "
                    "see argtrace run --help)"]


def test_decorated_run_says_nothing_about_selection(tmp_path):
    (tmp_path / "prog.py").write_text(
        "import argtrace\n@argtrace.trace\ndef f(x):\n    return x\nprint(f(1))\n")
    res = _run(tmp_path)
    assert res.returncode == 0 and res.stdout == "1\n"
    assert "no call was recorded" not in res.stderr


def test_min_duration_keeping_nothing_says_so(prog):
    res = _run(prog, "--trace", "mylib", "--min-duration", "100s")
    assert res.returncode == 3
    assert "matched no function" not in res.stderr
    assert "argtrace: no call was recorded: the functions --trace selected ran, but none " \
           "lasted --min-duration 100s\n" in res.stderr


def test_run_help_summarises_the_pattern_syntax():
    res = run_python(["-m", "argtrace", "run", "--help"])
    assert res.returncode == 0
    assert "docs/FILTERS.md" in res.stdout
    assert "mod.sub:Class.method" in res.stdout
    assert "without it only @argtrace.trace functions" in res.stdout


def test_reexported_name_is_suggested_where_it_is_defined(prog):
    (prog / "mylib" / "__init__.py").write_text("from .fmt import format as shout\n")
    res = _run(prog, "--trace", "mylib.shout")
    assert res.returncode == 3 and res.stdout == "A B\n"
    assert "argtrace: --trace 'mylib.shout' matched no function; did you mean " \
           "'mylib.fmt:format'?\n" in res.stderr


def test_imported_module_whose_functions_did_not_run(prog):
    (prog / "mylib" / "other.py").write_text("def idle():\n    pass\n")
    (prog / "prog.py").write_text("import mylib.other\nprint('x')\n")
    res = _run(prog, "--trace", "mylib.other", "--trace", "mylib.fmt:Nope")
    assert res.returncode == 0 and res.stdout == "x\n"
    assert "argtrace: --trace 'mylib.other' matched no function; module 'mylib.other' was " \
           "imported but none of its functions ran\n" in res.stderr
    assert "argtrace: --trace 'mylib.fmt:Nope' matched no function; no module " \
           "'mylib.fmt' was imported\n" in res.stderr
    # the patterns are named; no second line about the empty log
    assert "no call was recorded" not in res.stderr


@pytest.mark.parametrize("ending", ["", "sys.exit(3)\n", "raise KeyError('k')\n"])
def test_main_dot_name_suggests_main_colon_name(tmp_path, ending):
    """`--trace __main__.render` (a dot instead of the colon) for a function of the script:
    the hint names `__main__:render`, whether the script returned, exited or raised (its
    namespace is gone from sys.modules by then: runpy put argtrace's own back)."""
    (tmp_path / "prog.py").write_text("import sys\n\ndef render():\n    pass\n\n" + ending)
    res = _run(tmp_path, "--trace", "__main__.render", "--trace", "__main__.nothing")
    assert res.returncode == {"": 0, "sys.exit(3)\n": 3}.get(ending, 1)
    assert ("argtrace: --trace '__main__.render' matched no function; did you mean "
            "'__main__:render'?\n") in res.stderr
    assert ("argtrace: --trace '__main__.nothing' matched no function; no module "
            "'__main__.nothing' was imported\n") in res.stderr
    if ending.startswith("raise"):
        assert "KeyError: 'k'" in res.stderr


CHILD_ONLY = textwrap.dedent("""
    import multiprocessing

    def work(x):
        return x * 2

    if __name__ == "__main__":
        ctx = multiprocessing.get_context("spawn")
        p = ctx.Process(target=work, args=(3,))
        p.start()
        p.join()
""")


def test_a_pattern_whose_functions_ran_in_child_processes_only(tmp_path):
    """A spawned child runs the script as `__mp_main__`: `--trace __mp_main__` selects
    nothing in the parent and `work` in the child. The parent does not claim the pattern
    matched nothing (it says: in this process, and that the run's children wrote logs),
    nor that no call was recorded."""
    (tmp_path / "prog.py").write_text(CHILD_ONLY)
    res = _run(tmp_path, "--trace", "__mp_main__")
    assert res.returncode == 0, res.stderr
    assert ("argtrace: --trace '__mp_main__' matched no function in this process (a child "
            "process of the run wrote a log of its own)\n") in res.stderr
    assert "none of its functions ran" not in res.stderr
    assert "no call was recorded" not in res.stderr
    children = sorted(tmp_path.glob("p.*.atr"))
    assert len(children) == 1
    assert [c.args["x"] for c in argtrace.load(children[0]).calls("work")] == [3]
    assert "argtrace: 1 child process wrote a log of its own: %s\n" % children[0].name \
        in res.stderr
