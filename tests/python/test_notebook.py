"""Analysis results in notebooks (argtrace/_notebook.py): Log, SlowReport, call trees, why and
diff show as self-contained HTML styled by the report's own CSS, print as the CLI's text at
80 columns, and examples/notebook.ipynb runs under a Jupyter kernel (nbclient) with the
outputs it promises."""

import os
import re

import pytest

import argtrace
from argtrace import _core
from argtrace._notebook import text_of
from atr_helpers import package_root, run_python
from conftest import optional_module

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
EXAMPLES = os.path.join(ROOT, "examples")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """slow_example.py traced twice: as it is and --fixed (300 batches)."""
    d = tmp_path_factory.mktemp("nb")
    script = os.path.abspath(os.path.join(EXAMPLES, "slow_example.py"))
    for name, extra in (("slow.atr", []), ("fixed.atr", ["--fixed"])):
        res = run_python(["-m", "argtrace", "run", "-o", name, script, "300"] + extra, cwd=d)
        assert res.returncode == 0, res.stderr
    return str(d / "slow.atr"), str(d / "fixed.atr")


def cli(*argv):
    status, out, err = _core.viewer_text(["argtrace"] + [str(a) for a in argv])
    assert status == 0, err
    return out.rstrip("\n")


def shown(runs):
    log = argtrace.load(runs[0])
    why = log.why("parse")
    return {"log": log, "slow": log.slow("parse"), "why": why,
            "tree": log.tree(why["call"]["id"]),
            "diff": argtrace.diff(runs[0], runs[1], "parse")}


def test_str_is_the_cli_text_at_80_columns(runs):
    objs = shown(runs)
    slow, fixed = runs
    cid = objs["why"]["call"]["id"]
    want = {"log": cli("summary", slow, "--width", "80"),
            "slow": cli("slow", slow, "__main__.parse", "--width", "80"),
            "why": cli("why", slow, "--id", cid),
            "tree": cli("tree", slow, "--id", cid, "--width", "80"),
            "diff": cli("diff", slow, fixed, "parse", "--width", "80")}
    for name, obj in objs.items():
        text = str(obj)
        assert text == want[name], name
        assert max(len(line) for line in text.splitlines()) <= 80, name
    assert str(objs["slow"]).startswith("__main__.parse: 300 calls")
    # filters, keys and depth reach the CLI's command line
    log = objs["log"]
    assert str(log.slow("parse", by="mode", mode="strict")) == cli(
        "slow", slow, "__main__.parse", 'arg.mode="strict"', "--by", "mode", "--width", "80")
    assert str(log.tree(cid, max_depth=1)) == cli("tree", slow, "--id", cid, "--depth", "1",
                                                  "--width", "80")


def test_str_without_a_cli_equivalent(runs):
    """slow(by=a function) has no command line: its tables as text, within 80 columns."""
    log = argtrace.load(runs[0])
    report = log.slow("parse", by=lambda c: "long" if len(c.args["rows"]) > 100 else "short")
    text = str(report)
    lines = text.splitlines()
    assert lines[0] == "__main__.parse" and lines[1] == "300 calls analysed"
    assert any(re.match(r"key  score 0\.\d\d  \(2 groups\)", x) for x in lines)
    assert re.search(r"^  long +\d+ ", text, re.M) and re.search(r"^  short +\d+ ", text, re.M)
    assert max(len(x) for x in lines) <= 80


def test_str_of_a_rewritten_log_is_not_the_new_runs(tmp_path):
    """print() asks the CLI, which reads the files again: once a log has been rewritten (a
    new run to the same path), the text comes from the object's own data."""
    @argtrace.trace
    def g(n):
        return n

    def run(ns):
        argtrace.start(str(path))
        try:
            for n in ns:
                g(n)
        finally:
            argtrace.stop()

    path = tmp_path / "r.atr"
    run(range(30))
    log = argtrace.load(path)
    report, tree = log.slow(g.__qualname__), log.tree(0)
    before = str(report)
    assert before == cli("slow", path, report.function, "--width", "80")
    os.unlink(path)
    run([7] * 12)
    assert str(report) != before
    assert str(report) == text_of(report._blocks())  # 30 calls, as the object says
    assert "30 calls analysed" in str(report)
    assert str(tree) == text_of(tree._blocks()) and str(log) == text_of(log._blocks())


def css_rules(html):
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    return re.findall(r"([^{}]+)\{[^{}]*\}", css)


def test_html_is_small_self_contained_and_uses_the_report_css(runs):
    with open(os.path.join(ROOT, "viewer", "report", "report.css"), encoding="utf-8") as f:
        report_css = f.read()
    assert _core.report_css() == report_css  # the extension's copy is the report's
    objs = shown(runs)
    want = {"log": ["__main__.parse", "__main__.check_unique", "calls"],
            "slow": ["rows", "explains", "list len 400–800", "mode"],
            "why": ["why was call %s slow?" % objs["why"]["call"]["id"], "__main__.validate",
                    "where the time went"],
            "tree": ["__main__.check_unique", "__main__.split_rows"],
            "diff": ["__main__.parse", "rows = list len 400–800", "time added"]}
    for name, obj in objs.items():
        html = obj._repr_html_()
        assert len(html) < 16_000, name
        low = html.lower()
        assert "<script" not in low and "http:" not in low and "https:" not in low, name
        assert " src=" not in low and "url(" not in low and "@import" not in low, name
        for text in want[name]:
            assert text.replace("<", "&lt;") in html, (name, text)
        rules = css_rules(html)
        assert rules and all(sel.strip().startswith(".atr-nb") for r in rules
                             for sel in r.split(",")), name  # scoped: the page is untouched
        # every declaration block of the fragment's CSS is one of the report's (bar the
        # two lines that size the fragment)
        blocks = re.findall(r"\{([^{}]*)\}", re.search(r"<style>(.*?)</style>", html,
                                                       re.S).group(1))
        foreign = [b for b in blocks if b.strip() not in report_css]
        assert foreign == ["padding:2px", "margin:0;padding:12px 16px"], name
        assert 'class="tbl ' in html and 'class="barfill' in html, name  # report markup


def test_html_escapes_log_strings(tmp_path):
    @argtrace.trace
    def f(s):
        return s

    path = tmp_path / "x.atr"
    argtrace.start(str(path))
    try:
        for i in range(12):
            f("<script>alert(%d)</script>&" % (i % 2))
    finally:
        argtrace.stop()
    log = argtrace.load(path)
    assert "<script" not in log._repr_html_()
    for obj in (log.slow(f.__qualname__), log.why(f.__qualname__), log.tree(0)):
        html = obj._repr_html_()
        assert "<script" not in html and "&lt;script&gt;alert(" in html


def test_results_keep_their_data_shape(runs):
    objs = shown(runs)
    for name in ("why", "tree", "diff"):
        obj = objs[name]
        assert isinstance(obj, dict) and repr(obj) == repr(dict(obj))
    assert objs["diff"]["functions"][0]["function"] == "__main__.parse"
    assert type(objs["tree"]).__name__ == "CallTree" and type(objs["why"]).__name__ == "Why"


def test_to_pandas_keeps_none(runs):
    pandas = optional_module("pandas")
    df = argtrace.load(runs[0]).to_pandas()
    other = df[df["function"] != "__main__.parse"]
    assert df["arg.mode"].dtype == object and other["arg.mode"].tolist()[:3] == [None] * 3
    assert not any(isinstance(v, float) for v in df["arg.mode"])  # no NaN
    assert pandas.isna(other["arg.mode"]).all()


def test_example_notebook_runs(tmp_path, monkeypatch):
    nbformat = optional_module("nbformat")
    nbclient = optional_module("nbclient")
    optional_module("ipykernel")
    # the kernel is a child process: it imports the argtrace under test
    paths = [package_root()] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                if p]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebook's own directory goes there
    nb = nbformat.read(os.path.join(EXAMPLES, "notebook.ipynb"), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []  # the stored outputs must not count
    probe = nbformat.v4.new_code_cell("import argtrace; print(argtrace.__file__)")
    probe.metadata["tags"] = ["probe"]
    nb.cells.append(probe)  # which argtrace the kernel imported
    why_mode = nbformat.v4.new_code_cell('print(why["call"]["args"]["mode"])')
    why_mode.metadata["tags"] = ["why_mode"]
    nb.cells.append(why_mode)  # the mode of the call `why` and `tree` show
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": os.path.abspath(EXAMPLES)}}).execute()
    out = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
            out[cell.metadata["tags"][0]] = cell.outputs

    def html(tag):
        return "".join(o.get("data", {}).get("text/html", "") for o in out[tag])

    def text(tag):
        return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                       for o in out[tag])

    assert 'class="atr-nb"' in html("summary") and "__main__.parse" in html("summary")
    assert "explains" in html("slow") and "list len 400–800" in html("slow")
    assert text("slow_text").startswith("__main__.parse: 1,200 calls")
    # rows explains the most (the score itself depends on the machine's timing)
    scores = re.findall(r"^(\w+)  score (\d\.\d\d)", text("slow_text"), re.M)
    assert [name for name, _ in scores] == ["rows", "mode"], scores
    assert float(scores[0][1]) > float(scores[1][1])
    assert "why was call" in html("why") and "__main__.validate" in html("why")
    # the tree is that call's: a strict one's shows check_unique under validate. The slowest
    # call is a strict one of 800 rows (5.8 ms) unless the machine paused a lighter one longer
    # (in one CI run a non-strict call took 8 ms, 7.7 of them in one child): its tree then
    # has no check_unique, rightly.
    assert "__main__.parse" in html("tree")
    if text("why_mode").strip() == "strict":
        assert "__main__.check_unique" in html("tree")
    assert "rows = list len 400–800" in html("diff")
    assert "arg.mode" in html("pandas")
    assert text("pandas_none").startswith("object [None, None, None]")
    assert not os.path.exists(os.path.join(EXAMPLES, "slow_example.atr"))  # no litter
    assert os.path.dirname(os.path.dirname(text("probe").strip())) == package_root()
