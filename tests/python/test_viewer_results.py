"""Call lines whose result is long, at a fixed width: the result is narrowed to what the
line has left and ends in its own note ("… (198,007 bytes)"), not in the table's cut
("(198,007 byt…"); a nested container gives up whole items and keeps its structure. Logs
written by the Python binding (the viewer-only run of tests/python, test_width.py, has no
argtrace to import)."""

import re

import pytest

from conftest import filter_traced
from test_viewer_common import run_view, viewer  # noqa: F401 (fixtures)

argtrace = pytest.importorskip("argtrace")


@pytest.fixture
def results_log(tmp_path):
    @argtrace.trace
    def render(n, caption):
        return "<table>" + "<tr><td>cell</td></tr>" * n

    @argtrace.trace
    def grid(n):
        return [["r%dc%d<&>" % (r, c) for c in range(8)] for r in range(n)]

    argtrace.start(str(tmp_path / "r.atr"))
    try:
        for n in (500, 2000, 9000):
            render(n, "rows of it")
        for n in (3, 50):
            grid(n)
    finally:
        argtrace.stop()
    return tmp_path


def test_a_long_result_ends_in_its_length(viewer, results_log):
    out = run_view(viewer, ["slow", "r.atr", "render", "--width", "80"], results_log).stdout
    rows = [line for line in out.splitlines() if "(n=" in line]
    assert len(rows) == 3 and max(len(line) for line in out.splitlines()) <= 80
    for line in rows:
        assert line.endswith(" bytes)"), line
    assert any("(198,007 bytes)" in line for line in rows)


def test_a_nested_result_keeps_its_structure(viewer, results_log):
    tree = run_view(viewer, ["tree", "r.atr", "grid", "--width", "160", "--max-value", "60"],
                    results_log).stdout
    (line,) = [line for line in tree.splitlines() if "grid(n=50)" in line]
    assert "→ <list len=50: <list len=8: 'r0c0<&>'" in line and line.endswith(", …>"), line
    assert "'…'" not in line and "<&>'…" not in line  # no cut inside or between items


def test_lengths_stay_when_they_explain_the_duration(viewer, tmp_path):
    # str arguments that differ mostly in length, a duration that follows it: `slow` scores
    # the argument by its trend (the lengths), and at 80 columns each value keeps its
    # "(len N)", the excerpt giving way (a cut at the end left "(le…").
    @argtrace.trace
    def parse(doc):
        return sum(1 for ch in doc if ch == "=")

    argtrace.start(str(tmp_path / "s.atr"))
    try:
        for n in (20, 200, 2000, 20000, 60000):
            parse("[section0]\nkey = 'value'\n" * n)
    finally:
        argtrace.stop()
    out = run_view(viewer, ["slow", "s.atr", "parse", "--width", "80"], tmp_path).stdout
    assert "scored by its trend" in out, out
    table = out.split("scored by its trend")[1].split("slowest calls")[0]
    rows = [line for line in table.splitlines() if "█" in line]
    assert len(rows) == 5
    for line in rows:
        assert len(line) <= 80 and line.endswith(")") and " (len " in line, line
    assert any(line.endswith("(len 1,500,000)") for line in rows)


def test_texts_all_different_are_grouped_by_length(viewer, tmp_path):
    # An HTML parser given a different document in every call (beautifulsoup4's case): the
    # values, one call each, explain nothing and their excerpts say nothing; the lengths
    # explain the duration. `slow` showed "(values; 12 distinct, 12 groups)" with mid-text
    # excerpts cut in their "(l…" while the score came from the length ranges.
    @argtrace.trace
    def extract(html):  # documents of some sizes take long, not in proportion to it
        return sum(range(300000 if len(html) < 500 or 5000 < len(html) < 50000 else 3000))

    argtrace.start(str(tmp_path / "h.atr"))
    try:
        for size in (100, 110, 120, 1000, 1100, 1200, 10000, 11000, 12000, 100000, 110000,
                     120000):
            extract(("<html><p>%d</p>" % size).ljust(size, "x"))
    finally:
        argtrace.stop()
    out = run_view(viewer, ["slow", "h.atr", "extract", "--width", "80"], tmp_path).stdout
    head = [line for line in out.splitlines() if line.startswith("html  score")]
    assert head and "(length ranges; 12 distinct, 4 groups" in head[0], out
    table = out.split(head[0])[1].split("slowest calls")[0]
    labels = [line.split("  ")[-1].strip() for line in table.splitlines() if "█" in line]
    assert len(labels) == 4 and all(label.startswith("len ") for label in labels), labels


def test_a_folded_line_names_where_its_time_went(viewer, tmp_path):
    # Many small calls of two functions under a parent are counted on one line; it names
    # the function they spent most in (light() ran first, heavy() took the time), in the CLI.
    @argtrace.trace
    def light():
        return 1

    @argtrace.trace
    def heavy():
        return sum(range(3000))

    @argtrace.trace
    def big():
        return sum(range(3_000_000))

    @argtrace.trace
    def parent():
        for _ in range(50):
            light()
        for _ in range(300):
            heavy()
        big()

    argtrace.start(str(tmp_path / "f.atr"))
    try:
        parent()
    finally:
        argtrace.stop()
    out = run_view(viewer, ["tree", "f.atr", "parent", "--width", "200"], tmp_path).stdout
    # (a call slowed by the machine past the 0.5% share is shown on its own line)
    lines = [line for line in out.splitlines() if re.search(r"… 3[0-9]{2} calls \(", line)]
    assert len(lines) == 1, out
    line = lines[0]
    assert "heavy(), …)" in line and "light()" not in line, out


NOW = [1_000_000]  # the injected clock of clk_parse's filter tracing (ns)
DOC_NS = {"a": 2_000, "b": 30_000, "c": 90_000, "d": 60_000, "s": 500}


def clk_parse(doc):
    NOW[0] += DOC_NS[doc[0]]
    return len(doc)


def test_long_str_groups_are_selected_by_their_length(tmp_path):
    # A str too long to write in a filter (over 120 bytes, or cut by the capture) is
    # selected by its length, which `slow`'s drill-down and Log.calls() accept; a length two
    # groups share selects neither exactly: no filter. (Durations from an injected clock, one
    # per doc: the groups are by value whatever the machine's noise.)
    docs = ["a" * 200, "b" * 3000, "c" * 9000, "d" * 9000, "short"]

    def run():
        for d in docs:
            for _ in range(3):
                clk_parse(d)

    filter_traced(tmp_path / "g.atr", [__name__ + ":clk_parse"], run, clock=lambda: NOW[0])
    log = argtrace.load(str(tmp_path / "g.atr"))
    (arg,) = log.slow("clk_parse").arguments
    filters = {g.calls and g.filter for g in arg.groups}
    assert {"len(doc)=200", "len(doc)=3000", 'doc="short"', ""} == filters, filters
    for g in arg.groups:
        if g.filter:
            calls = log.calls("clk_parse", g.filter)
            assert len(calls) == g.calls == 3
            assert {len(c.args["doc"]) if isinstance(c.args["doc"], str)
                    else c.args["doc"].length for c in calls} == {
                        int(g.filter.split("=")[1]) if g.filter.startswith("len(") else 5}


def test_a_generator_keeps_its_name_before_its_active_time(viewer, tmp_path):
    # beautifulsoup4's BeautifulSoup.__init__ feeds the parser while its builder's
    # prepare_markup() generator is suspended: that line ends in "[active T]", kept at the
    # line's end, and the cut before it took the end of the name ("…TreeBuilder.prepa…").
    class HTMLParserTreeBuilder:
        @argtrace.trace
        def prepare_markup(self, markup, user_specified_encoding=None):
            yield markup, None

    @argtrace.trace
    def feed(markup):
        return sum(range(200000))

    @argtrace.trace
    def soup(markup):
        for prepared, _ in HTMLParserTreeBuilder().prepare_markup(markup):
            feed(prepared)

    @argtrace.trace
    def extract(html):
        soup(html)

    argtrace.start(str(tmp_path / "g.atr"))
    try:
        extract("<html><body><p>row 0 &amp; text</p></body></html>" * 4)
    finally:
        argtrace.stop()
    out = run_view(viewer, ["tree", "g.atr", "extract", "--width", "80"], tmp_path).stdout
    (line,) = [line for line in out.splitlines() if "[active " in line]
    assert len(line) <= 80 and "Builder.prepare_markup(" in line, out


def test_a_summary_of_unknown_length_shows_all_its_items_without_an_ellipsis(viewer, tmp_path):
    """An enum's value and a summarizer's summary have no length: their items are all there
    is (no "…" after them, as Python's repr shows them); a container keeps its "…" when it
    has more items than were kept."""
    import enum

    class Color(enum.IntEnum):
        RED = 7

    class Shape:
        pass

    argtrace.register_summarizer(Shape, lambda s: ("square", 4))
    paint = argtrace.trace(lambda color, shape, xs: None)
    argtrace.start(str(tmp_path / "u.atr"))
    try:
        paint(Color.RED, Shape(), list(range(10)))
    finally:
        argtrace.stop()
    out = run_view(viewer, ["calls", "u.atr", "--width", "200"], tmp_path).stdout
    assert "color=<Color: 7>, shape=<Shape: 'square', 4>, xs=<list len=10: 0, 1, 2, …>" in out
