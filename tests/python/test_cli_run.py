"""`argtrace run`: runs a program exactly as `python` would, with a session active.
Checked as a subprocess (`python -m argtrace run ...`, compared with plain `python ...`)
and in-process (argtrace.cli.main)."""

import json
import os
import signal
import sys
import textwrap

import pytest

import argtrace
from argtrace import cli
from atr_helpers import child_log, only, run_python

PROGRAM = textwrap.dedent("""
    import json, os, sys
    import argtrace

    @argtrace.trace
    def compute(n, mode="fast"):
        return n * 2

    compute(21)
    compute(1, mode="strict")
    print(json.dumps({"name": __name__, "argv": sys.argv, "path0": sys.path[0],
                      "file": os.path.abspath(__file__), "active": argtrace.active()}))
    action = sys.argv[1] if len(sys.argv) > 1 else ""
    if action == "exit3":
        sys.exit(3)
    if action == "exitmsg":
        sys.exit("fatal: bye")
    if action == "raise":
        def failing():
            raise ValueError("boom from program")
        failing()
    if action == "interrupt":
        raise KeyboardInterrupt
    if action == "thread":
        import threading
        threading.Thread(target=compute, args=(99,)).start()
""")


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return path


def _report(stdout):
    return json.loads(stdout.strip().splitlines()[0])


def test_run_script_subprocess(tmp_path, program):
    res = run_python(["-m", "argtrace", "run", str(program), "a", "--flag"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    rep = _report(res.stdout)
    assert rep == {"name": "__main__", "argv": [str(program), "a", "--flag"],
                   "path0": str(tmp_path), "file": str(program), "active": True}
    log_file = tmp_path / "prog.atr"  # default: <script stem>.atr in the cwd
    lines = res.stderr.strip().splitlines()
    assert "prog.atr" in lines[-2] and lines[-1] == "argtrace: next: argtrace summary prog.atr"
    log = argtrace.load(log_file)
    assert log.closed
    assert [(c.function, c.args, c.result) for c in log.calls()] == [
        ("__main__.compute", {"n": 21, "mode": "fast"}, 42),
        ("__main__.compute", {"n": 1, "mode": "strict"}, 2)]
    assert log.process.argv == [str(program), "a", "--flag"]


@pytest.mark.parametrize("action", ["", "exit3", "exitmsg", "raise", "interrupt", "thread"])
def test_run_matches_python(tmp_path, program, action):
    plain = run_python([str(program), action], cwd=tmp_path)
    traced = run_python(["-m", "argtrace", "run", "-o", str(tmp_path / "o.atr"),
                         str(program), action], cwd=tmp_path)
    assert traced.returncode == plain.returncode
    assert _report(traced.stdout)["argv"] == _report(plain.stdout)["argv"]
    assert traced.stdout.splitlines()[1:] == plain.stdout.splitlines()[1:]
    ours = [ln for ln in traced.stderr.splitlines() if not ln.startswith("argtrace: ")]
    assert ours == plain.stderr.splitlines()
    log = argtrace.load(tmp_path / "o.atr")
    assert log.closed
    expected = [21, 1] + ([99] if action == "thread" else [])
    assert [c.args["n"] for c in log.calls("compute")] == expected


NAMESPACE = """\
import __main__, os, sys, traceback

def f():
    raise ValueError("x")

try:
    f()
except ValueError:
    traceback.print_exc()
print(sys.argv[0], __file__, __loader__.__class__.__name__, __spec__, __package__, __cached__)
print([k for k in vars(__main__) if k.startswith("__") and k != "__warningregistry__"])
f()
"""


def test_a_script_named_relatively_sees_what_python_gives_it(tmp_path):
    # `python script.py` makes __file__ and the code's file name absolute (tracebacks show
    # it), keeps sys.argv[0] as given; runpy.run_path, which argtrace run used, did neither
    (tmp_path / "ns.py").write_text(NAMESPACE)
    plain = run_python(["ns.py"], cwd=tmp_path)
    traced = run_python(["-m", "argtrace", "run", "-q", "--trace", "__main__", "ns.py"],
                        cwd=tmp_path)
    assert plain.returncode == traced.returncode == 1
    assert str(tmp_path / "ns.py") in plain.stdout + plain.stderr  # an absolute path to hold
    assert traced.stdout == plain.stdout
    assert [ln for ln in traced.stderr.splitlines() if not ln.startswith("argtrace: ")] == \
        plain.stderr.splitlines()
    assert [c.function for c in argtrace.load(tmp_path / "ns.atr").calls()] == ["__main__.f"] * 2


def test_a_symlinked_script_imports_beside_its_real_file(tmp_path):
    # ~/bin/tool -> ~/src/tool/main.py: python puts ~/src/tool on sys.path, not ~/bin
    (tmp_path / "src").mkdir()
    (tmp_path / "bin").mkdir()
    (tmp_path / "src" / "helper.py").write_text("NAME = 'helper'\n")
    (tmp_path / "src" / "main.py").write_text("import sys, helper\n"
                                              "print(helper.NAME, sys.path[0])\n")
    os.symlink(tmp_path / "src" / "main.py", tmp_path / "bin" / "tool")
    plain = run_python(["bin/tool"], cwd=tmp_path)
    traced = run_python(["-m", "argtrace", "run", "-q", "bin/tool"], cwd=tmp_path)
    assert plain.returncode == traced.returncode == 0, traced.stderr
    assert plain.stdout == traced.stdout == "helper %s\n" % (tmp_path / "src")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="python -P: 3.11+")
@pytest.mark.parametrize("target", [["sp.py"], ["-m", "sp"]])
def test_safe_path_puts_no_directory_on_sys_path(tmp_path, target):
    (tmp_path / "sp.py").write_text("import sys\nprint(sys.path)\n")
    plain = run_python(["-P", "sp.py"], cwd=tmp_path)
    traced = run_python(["-P", "-m", "argtrace", "run", "-q"] + target, cwd=tmp_path)
    assert plain.returncode == 0 and str(tmp_path) not in plain.stdout
    if target[0] == "-m":  # python -P -m sp cannot find it either
        assert traced.returncode == 2 and "no module named 'sp'" in traced.stderr
    else:
        assert traced.returncode == 0 and traced.stdout == plain.stdout


def test_expected_exit_codes(tmp_path, program):
    cases = {"": 0, "exit3": 3, "exitmsg": 1, "raise": 1, "interrupt": -signal.SIGINT}
    for action, code in cases.items():
        res = run_python(["-m", "argtrace", "run", "-q", "-o", str(tmp_path / "x.atr"),
                          str(program), action], cwd=tmp_path)
        assert res.returncode == code, (action, res.stderr)
        if action == "raise":
            assert res.stderr.splitlines()[0] == "Traceback (most recent call last):"
            assert res.stderr.splitlines()[-1] == "ValueError: boom from program"
            assert "runpy" not in res.stderr and "_run.py" not in res.stderr
        if action == "exitmsg":
            assert res.stderr.strip() == "fatal: bye"


def test_run_module_subprocess(tmp_path):
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tool.py").write_text(PROGRAM)
    plain = run_python(["-m", "mypkg.tool", "x"], cwd=tmp_path)
    traced = run_python(["-m", "argtrace", "run", "-m", "mypkg.tool", "x"], cwd=tmp_path)
    assert traced.returncode == plain.returncode == 0, traced.stderr
    assert _report(traced.stdout) == dict(_report(plain.stdout), active=True)
    assert traced.stderr.strip().splitlines()[-1] == \
        "argtrace: next: argtrace summary mypkg.tool.atr"
    log = argtrace.load(tmp_path / "mypkg.tool.atr")
    assert [c.function for c in log.calls()] == ["__main__.compute"] * 2


@pytest.mark.parametrize("argv, message", [
    ([], "usage: argtrace"),
    (["run"], "argtrace run: no script or -m module given"),
    (["run", "--bogus", "x.py"], "argtrace run: unknown option --bogus"),
    (["run", "-m"], "argtrace run: -m needs a module name"),
    (["run", "-o"], "argtrace run: -o needs a value"),
    (["run", "-o", "", "x.py"], "argtrace run: -o needs a log path, not ''"),
    (["run", "--max-len", "abc", "x.py"], "argtrace run: --max-len needs an integer"),
    (["run", "missing_script.py"], "argtrace run: can't open file"),
    (["run", "-m", "no_such_module_xyz"], "argtrace run: no module named"),
    (["frobnicate"], "argtrace: unknown command 'frobnicate'"),
])
def test_usage_errors(tmp_path, argv, message):
    res = run_python(["-m", "argtrace"] + argv, cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.startswith(message)
    if argv:
        assert len(res.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.atr"))


@pytest.mark.parametrize("flags, message", [
    (["--flush-interval", "0"], "argtrace run: --flush-interval must be from 1 to 3600000"),
    (["--flush-interval", "9" * 30], "argtrace run: --flush-interval must be from 1 to"),
    (["--max-len", str(1 << 20)], "argtrace run: --max-len must be at most"),
])
def test_a_flag_out_of_the_writers_range_is_one_line(tmp_path, program, flags, message):
    res = run_python(["-m", "argtrace", "run"] + flags + [str(program)], cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.startswith(message) and len(res.stderr.strip().splitlines()) == 1
    assert res.stdout == ""  # the program did not run
    assert not list(tmp_path.glob("*.atr"))


def test_unwritable_log_path(tmp_path, program):
    res = run_python(["-m", "argtrace", "run", "-o", str(tmp_path / "no" / "x.atr"),
                      str(program)], cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.startswith("argtrace run: cannot create log")
    assert len(res.stderr.strip().splitlines()) == 1
    assert res.stdout == ""  # the program did not run


def test_help(tmp_path):
    res = run_python(["-m", "argtrace", "--help"], cwd=tmp_path)
    assert res.returncode == 0 and "run" in res.stdout and "summary" in res.stdout
    res = run_python(["-m", "argtrace", "run", "--help"], cwd=tmp_path)
    assert res.returncode == 0 and "--output" in res.stdout


def test_session_options_reach_the_log(tmp_path):
    script = tmp_path / "opts.py"
    script.write_text(textwrap.dedent("""
        import argtrace

        @argtrace.trace
        def f(password, text):
            return len(text)

        f("hunter2", "y" * 100)
    """))
    res = run_python(["-m", "argtrace", "run", "-o", str(tmp_path / "opts.atr"), "--max-len",
                      "10", "--redact", "pass*", "--flush-interval", "50", str(script)],
                     cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    call = only(argtrace.load(tmp_path / "opts.atr").calls())
    assert call.args == {"password": argtrace.REDACTED,
                         "text": argtrace.Truncated("y" * 10, 100)}


FORKING = textwrap.dedent("""
    import os, sys
    import argtrace

    @argtrace.trace
    def work(who):
        return who

    work("parent")
    pid = os.fork()
    if pid == 0:
        work("child")
        sys.exit(0)          # the child ends normally, through argtrace run's own exit path
    _, status = os.waitpid(pid, 0)
    print(pid, status)
""")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_run_forked_child_log_is_closed(tmp_path):
    script = tmp_path / "forking.py"
    script.write_text(FORKING)
    res = run_python(["-W", "ignore::DeprecationWarning", "-m", "argtrace", "run",
                      str(script)], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    pid, status = map(int, res.stdout.split())
    assert status == 0
    assert res.stderr.count("argtrace: log written to") == 1  # only the parent reports
    child_path = child_log(tmp_path / "forking.atr", pid)
    name = os.path.basename(child_path)
    # the child's log is read only when named: the report names it, and the next command
    assert ("argtrace: 1 child process wrote a log of its own: %s\n" % name) in res.stderr
    assert ("argtrace: next: argtrace summary forking.atr %s\n" % name) in res.stderr
    parent = argtrace.load(tmp_path / "forking.atr")
    child = argtrace.load(child_path)
    assert [c.args for c in parent.calls()] == [{"who": "parent"}]
    assert [c.args for c in child.calls()] == [{"who": "child"}]
    assert parent.closed and child.closed
    assert child.process.parent_uid == parent.process.uid


def test_run_report_names_this_runs_child_logs(tmp_path, capsys):
    """Children's logs of this run (a grandchild's too) are named, or globbed when many;
    an older one of the same stem, a rotated file and another stem's are not."""
    from argtrace import _run
    log = tmp_path / "app.atr"
    log.write_bytes(b"")
    mine = ["app.101.0a1b2c3d.atr", "app.102.0a1b2c3e.atr", "app.101.0a1b2c3d.7.deadbeef.atr"]
    for name in mine + ["app.99.00000000.atr", "app.atr.1", "other.5.0a1b2c3d.atr",
                        "app.5.XYZ.atr"]:
        (tmp_path / name).write_bytes(b"")
    old = tmp_path / "app.99.00000000.atr"
    os.utime(old, (old.stat().st_mtime - 3600,) * 2)
    since = old.stat().st_mtime + 1800
    assert [os.path.basename(p) for p in _run._child_logs(str(log), since)] == sorted(mine)
    (tmp_path / "app.103.0a1b2c3f.atr").write_bytes(b"")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        _run._report(str(log), {}, _run._child_logs(str(log), since))
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err
    assert "argtrace: 4 child processes wrote logs of their own: " in err
    assert "argtrace: next: argtrace summary app.atr app.*.atr\n" in err


# ---- in-process ---------------------------------------------------------------------------

def test_run_in_process(tmp_path, program, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv_before, path0_before = sys.argv[:], sys.path[0]
    code = cli.main(["run", "-o", "inproc.atr", str(program), "raise"])
    assert code == 1
    out, err = capsys.readouterr()
    rep = _report(out)
    assert rep["name"] == "__main__" and rep["argv"] == [str(program), "raise"]
    assert rep["path0"] == str(tmp_path)
    assert "ValueError: boom from program" in err
    assert err.strip().splitlines()[-1] == "argtrace: next: argtrace summary inproc.atr"
    assert sys.argv == argv_before and sys.path[0] == path0_before
    assert not argtrace.active()
    assert [c.args["n"] for c in argtrace.load(tmp_path / "inproc.atr").calls()] == [21, 1]


@pytest.mark.parametrize("action, code", [("", 0), ("exit3", 3), ("exitmsg", 1),
                                          ("interrupt", 128 + signal.SIGINT)])
def test_run_in_process_exit_codes(tmp_path, program, capsys, monkeypatch, action, code):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "-q", str(program), action]) == code
    assert (tmp_path / "prog.atr").exists()
    assert not argtrace.active()


def test_run_module_in_process(tmp_path, capsys, monkeypatch):
    (tmp_path / "inmod.py").write_text(PROGRAM)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "inmod", raising=False)
    assert cli.main(["run", "-m", "inmod", "x"]) == 0
    rep = _report(capsys.readouterr().out)
    assert rep["name"] == "__main__" and rep["argv"] == [str(tmp_path / "inmod.py"), "x"]
    assert len(list(argtrace.load(tmp_path / "inmod.atr").calls())) == 2


def test_viewer_commands_are_forwarded(monkeypatch):
    from argtrace import _core
    seen = []
    monkeypatch.setattr(_core, "viewer_main", lambda argv: seen.append(argv) or 7,
                        raising=False)
    assert cli.main(["summary", "app.atr", "--json"]) == 7
    assert cli.main(["slow", "app.atr", "parse"]) == 7
    assert seen == [["argtrace", "summary", "app.atr", "--json"],
                    ["argtrace", "slow", "app.atr", "parse"]]


def test_viewer_missing_is_one_line(monkeypatch, capsys):
    from argtrace import _core
    monkeypatch.delattr(_core, "viewer_main", raising=False)
    assert cli.main(["summary", "app.atr"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "viewer" in err


def test_filter_options_call_the_filter_hook(tmp_path, program, monkeypatch, capsys):
    from argtrace import _core
    seen = []
    monkeypatch.setattr(_core, "filter_check", lambda patterns: None, raising=False)
    monkeypatch.setattr(_core, "filter_start",
                        lambda inc, exc, **kw: seen.append((inc, exc, kw)), raising=False)
    monkeypatch.setattr(_core, "filter_stop", lambda: seen.append("stop"), raising=False)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["run", "-q", "--trace", "app.*", "--exclude", "app.tests.*",
                     "--min-duration", "5ms", "--max-depth", "3", str(program)])
    assert code == 0
    assert seen == [(["app.*"], ["app.tests.*"], {"min_duration_ns": 5_000_000,
                                                  "max_depth": 3}), "stop"]


def test_no_filter_options_no_filter_hook(tmp_path, program, monkeypatch, capsys):
    from argtrace import _core
    monkeypatch.setattr(_core, "filter_start", lambda *a, **k: pytest.fail("called"),
                        raising=False)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "-q", str(program)]) == 0


def test_entry_point_installed():
    try:
        from importlib.metadata import entry_points
        eps = entry_points()
        scripts = eps.select(group="console_scripts") if hasattr(eps, "select") \
            else eps.get("console_scripts", [])
    except Exception:
        pytest.skip("importlib.metadata unavailable")
    found = [ep for ep in scripts if ep.name == "argtrace"]
    if not found:
        pytest.skip("argtrace is not pip-installed here")
    assert found[0].value == "argtrace.cli:main"
