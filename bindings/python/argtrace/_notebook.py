"""How analysis results show in a notebook (`_repr_html_`) and when printed (`__str__`).

One source of truth for each:
- Text: the CLI's own text. An object that knows the command line it answers (a Log from
  argtrace.load, a SlowReport, a call tree, a `why`, a `diff`) prints what `argtrace summary`,
  `slow`, `tree`, `why`, `diff` print at 80 columns: the C viewer renders it in-process
  (`_core.viewer_text`) from the same logs. What the CLI cannot express (slow(by=a function),
  logs read without the engine, a build without the viewer) is printed from the HTML's tables
  as aligned text.
- HTML: the markup and classes of the HTML report (`argtrace report`, viewer/report/report.js:
  chips, tables with bar cells, score bars, the verdict line) styled by the report's own
  stylesheet (viewer/report/report.css, embedded in the extension: `_core.report_css()`),
  scoped to the fragment and cut to the rules the fragment uses. Static markup without script
  or network: notebooks show it where scripts are stripped (untrusted notebooks, GitHub).
"""

import html
import os
import re

__all__ = ["Shown", "ShownDict", "fmt_dur", "text_of", "html_of", "file_stamps"]

ROOT = "atr-nb"
WIDTH = 80
MAX_TREE_ROWS = 200


# ---- numbers as the CLI and the report write them ----

def _sig3(x):
    return "%.0f" % x if x >= 100 else "%.1f" % x if x >= 10 else "%.2f" % x


def fmt_dur(ns):
    """A duration as `argtrace` prints it: 3 significant digits, ns/µs/ms/s."""
    if ns is None:
        return "–"
    neg, ns = ns < 0, abs(ns)
    for size, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if ns >= size:
            return "%s%s %s" % ("-" if neg else "", _sig3(ns / size), unit)
    return "%s%d ns" % ("-" if neg else "", round(ns))


def _signed(ns):
    return "+" + fmt_dur(ns) if ns > 0 else fmt_dur(ns) if ns < 0 else "0"


def _count(n):
    return "{:,}".format(n)


def _pct(x):
    return "%d%%" % round(100 * x)


def _ratio(r):
    return "–" if r is None else "<0.01×" if r < 0.01 else _sig3(r) + "×"


def _value(v, room=60, label=False):
    """A value as the CLI shows it (repr), cut to room columns; label: a str is a group's
    label ("list len 400–800"), shown as it is."""
    text = v if label and isinstance(v, str) and v and not v.isspace() else repr(v)
    text = text.replace("\n", "\\n")
    return text if len(text) <= room else text[:room - 1] + "…"


# ---- a tiny document: the blocks both renderers share ----

class Table:
    """Rows of cells under headers. A cell is text, or Bar(share, text) (a bar cell as the
    report draws it: share in -1..1, negative green). num: the columns aligned right."""

    def __init__(self, cls, headers, num=(), note=""):
        self.cls, self.headers, self.num, self.rows, self.note = cls, headers, set(num), [], note
        self.row_cls = []

    def add(self, *cells, cls="", depth=0):
        self.rows.append((cells, depth))
        self.row_cls.append(cls)


class Bar:
    def __init__(self, share, text, cls=""):
        self.share, self.text, self.cls = share, text, cls

    def __str__(self):
        return self.text


class Para:
    """A line of text; parts are str or (class, str) spans."""

    def __init__(self, *parts, cls=""):
        self.parts, self.cls = parts, cls


class Head:
    def __init__(self, text, level=3, extra=()):
        self.text, self.level, self.extra = text, level, extra


class Chips:
    def __init__(self, *chips):
        self.chips = chips  # (value, label)


class Score:
    """The report's argument heading: name, score bar, 'explains N%', a dim note."""

    def __init__(self, name, score, note, best=False):
        self.name, self.score, self.note, self.best = name, score, note, best


# ---- HTML ----

def _e(text):
    return html.escape(str(text), quote=True)


def _bar_html(b):
    width = min(100.0, 100.0 * abs(b.share))
    return ('<td class="num bar%s"><span class="track"><span class="barfill%s" '
            'style="width:%.1f%%"></span></span><span class="bartxt">%s</span></td>'
            % (b.cls, " neg" if b.share < 0 else "", width, _e(b.text)))


def _block_html(b):
    if isinstance(b, Head):
        return "<h%d>%s%s</h%d>" % (b.level, "".join("<code>%s</code> " % _e(x) for x in b.extra),
                                    _e(b.text), b.level)
    if isinstance(b, Chips):
        return '<div class="meta small">%s</div>' % "".join(
            '<span class="chip"><b>%s</b> %s</span>' % (_e(v), _e(k)) for v, k in b.chips)
    if isinstance(b, Score):
        return ('<div class="arghead%s"><span class="argname">%s</span><span class="score">'
                '<span class="scorebar"><span style="width:%d%%" class="%s"></span></span>'
                '<span class="scoretxt">explains %s</span></span><span class="dim">%s</span></div>'
                % (" best" if b.best else "", _e(b.name), round(100 * b.score),
                   "hi" if b.score >= 0.5 else "", _pct(b.score), _e(b.note)))
    if isinstance(b, Para):
        inner = "".join(_e(p) if isinstance(p, str) else "<b>%s</b>" % _e(p[1])
                        if p[0] == "b" else '<span class="%s">%s</span>' % (_e(p[0]), _e(p[1]))
                        for p in b.parts)
        if "verdict" in b.cls:
            return '<div class="%s">%s</div>' % (_e(b.cls), inner)
        return '<p class="%s">%s</p>' % (_e(b.cls), inner)
    out = ['<div class="scroll"><table class="tbl %s"><thead><tr>' % _e(b.cls)]
    for i, h in enumerate(b.headers):
        out.append('<th%s>%s</th>' % (' class="num"' if i in b.num else "", _e(h)))
    out.append("</tr></thead><tbody>")
    for (cells, depth), cls in zip(b.rows, b.row_cls):
        out.append('<tr class="%s">' % cls if cls else "<tr>")
        for i, c in enumerate(cells):
            if isinstance(c, Bar):
                out.append(_bar_html(c))
            elif i in b.num:
                out.append('<td class="num">%s</td>' % _e(c))
            elif i == 0:
                pad = ' style="padding-left:%dpx"' % (10 + 16 * depth) if depth else ""
                out.append('<td class="name"%s>%s</td>' % (pad, _e(c)))
            else:
                out.append('<td class="val">%s</td>' % _e(c))
        out.append("</tr>")
    out.append("</tbody></table></div>")
    if b.note:
        out.append('<p class="dim small">%s</p>' % _e(b.note))
    return "".join(out)


_css_rules = None


def _report_rules():
    """[(selectors, body)] of the report's stylesheet, or [] without the viewer."""
    global _css_rules
    if _css_rules is None:
        try:
            from . import _core
            css = _core.report_css()
        except (ImportError, AttributeError):
            css = ""
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        _css_rules = [(sel.strip(), body.strip())
                      for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)]
    return _css_rules


def _scope(selector):
    selector = selector.strip()
    if selector in (":root", "body"):
        return "." + ROOT
    if selector == "*":
        return ".%s, .%s *" % (ROOT, ROOT)
    return ".%s %s" % (ROOT, selector)


_TAGS_USED = {"code", "h3", "h4", "table", "p"}


def css_for(markup):
    """The report's rules that the markup can use, scoped under .atr-nb."""
    classes = set(re.findall(r'class="([^"]*)"', markup))
    classes = {c for group in classes for c in group.split()}
    out = []
    for selectors, body in _report_rules():
        keep = []
        for s in selectors.split(","):
            s = s.strip()
            if s in (":root", "body", "*"):
                keep.append(_scope(s))
                continue
            if "svg" in s or "header" in s or "nav" in s or "#" in s or "::" in s:
                continue
            needed = re.findall(r"\.([\w-]+)", s)
            tags = [t for t in re.findall(r"(?:^|\s)([a-z][a-z0-9]*)", s)]
            if needed and all(c in classes for c in needed) or (
                    not needed and tags and all(t in _TAGS_USED | {"td", "th", "tr", "tbody"}
                                                for t in tags)):
                keep.append(_scope(s))
        if keep:
            out.append("%s{%s}" % (",".join(keep), body))
    return "\n".join(out)


def html_of(blocks):
    """A self-contained fragment: the blocks' markup and the report's CSS it needs."""
    inner = "".join(_block_html(b) for b in blocks)
    body = '<div class="%s"><div class="card">%s</div></div>' % (ROOT, inner)
    return "<style>%s\n.%s{padding:2px}.%s .card{margin:0;padding:12px 16px}</style>%s" % (
        css_for(body), ROOT, ROOT, body)


# ---- text (the fallback when the CLI cannot say it) ----

def _fit(text, room):
    return text if len(text) <= room else text[:max(1, room - 1)] + "…"


def _fit_left(text, room):
    """Names keep their distinguishing tail (as the CLI cuts them): "…ule.parse"."""
    if len(text) <= room:
        return text
    indent = len(text) - len(text.lstrip(" "))
    return text[:indent] + "…" + text[len(text) - max(1, room - indent - 1):]


def text_of(blocks, width=WIDTH):
    lines = []
    for b in blocks:
        if isinstance(b, Head):
            lines += ["", " ".join(list(b.extra) + [b.text]) if b.extra else b.text]
        elif isinstance(b, Chips):
            lines.append(", ".join("%s %s" % c for c in b.chips))
        elif isinstance(b, Score):
            lines += ["", "%s  score %.2f  (%s)" % (b.name, b.score, b.note)]
        elif isinstance(b, Para):
            lines.append(_fit("".join(p if isinstance(p, str) else p[1] for p in b.parts),
                              width))
        else:
            rows = [[("  " * depth if i == 0 else "") + str(c) for i, c in enumerate(cells)]
                    for cells, depth in b.rows]
            widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(b.headers)]
            over = 2 + sum(widths) + 2 * (len(widths) - 1) - width
            while over > 0:  # narrow the widest text column, never the numbers
                text_cols = [i for i in range(len(widths)) if i not in b.num and widths[i] > 8]
                if not text_cols:
                    break
                i = max(text_cols, key=lambda k: widths[k])
                cut = min(over, widths[i] - 8)
                widths[i] -= cut
                over -= cut
            for r in [list(b.headers)] + rows:
                cells = [_fit(r[i], widths[i]) if i else _fit_left(r[0], widths[0])
                         for i in range(len(r))]
                cells = [c.rjust(widths[i]) if i in b.num else c.ljust(widths[i])
                         for i, c in enumerate(cells)]
                lines.append(_fit("  " + "  ".join(cells).rstrip(), width))
            if b.note:
                lines.append("  " + b.note)
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


# ---- the mixins ----

def cli_text(argv):
    """The CLI's text for `argtrace ARGV` (in-process), or None when this build has no
    viewer or the command fails."""
    try:
        from . import _core
    except ImportError:
        return None
    run = getattr(_core, "viewer_text", None)
    if run is None:
        return None
    status, out, _ = run(["argtrace"] + list(argv))
    return out.rstrip("\n") if status == 0 else None


def file_stamps(paths):
    """[(path, (device, inode, size, mtime) or None)]: what the files are now."""
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((p, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)))
        except OSError:
            out.append((p, None))
    return out


class Shown:
    """_repr_html_ and __str__ from `_blocks()` (the document) and `_cli()` (the CLI command
    line giving the same answer as text, or None). `_stamps` (file_stamps() of the logs when
    they were read): the CLI reads the files again, so its text is used only while they are
    unchanged (a log rewritten since, by a new run, would give another run's answer)."""

    _stamps = None

    def _cli(self):
        return None

    def _repr_html_(self):
        return html_of(self._blocks())

    def _repr_pretty_(self, p, cycle):
        """IPython's text form: the same tables as text (cheap: the CLI's text, print(), may
        read the logs again)."""
        p.text(text_of(self._blocks()))

    def __str__(self):
        argv = self._cli()
        if argv is not None and self._stamps is not None and \
                file_stamps(p for p, _ in self._stamps) != self._stamps:
            argv = None
        text = cli_text(argv) if argv is not None else None
        return text if text is not None else text_of(self._blocks())


class ShownDict(Shown, dict):
    """A dict (as `--json` gives it) that shows itself; `_argv`: the CLI command line that
    prints the same answer, or None."""

    _argv = None

    def __init__(self, data, argv=None, stamps=None):
        dict.__init__(self, data)
        self._argv = argv
        self._stamps = stamps

    def _cli(self):
        return self._argv

    __repr__ = dict.__repr__


# ---- the documents ----

def log_blocks(log, limit=20):
    stats = log.functions()
    info = [(_count(len(log)), "calls"), (_count(len(stats)), "functions"),
            (_count(len(log.threads)), "threads" if len(log.threads) != 1 else "thread"),
            (_count(len(log.paths)), "logs" if len(log.paths) != 1 else "log")]
    blocks = [Head(log.path), Chips(*info)]
    if log.truncated:
        blocks.append(Para(("badtxt", "log incomplete: the program was killed or the log "
                                      "truncated")))
    top = max([s.inclusive_ns for s in stats] + [1])
    t = Table("summary", ["function", "calls", "total", "self", "p50", "p95", "p99", "max",
                          "raised"], num=range(1, 9))
    for s in stats[:limit]:  # total: recursion counted once, as `summary`
        t.add(s.name, _count(s.calls), Bar(s.inclusive_ns / top, fmt_dur(s.inclusive_ns)),
              fmt_dur(s.self_ns), fmt_dur(s.p50_ns), fmt_dur(s.p95_ns), fmt_dur(s.p99_ns),
              fmt_dur(s.max_ns), _count(s.raised) if s.raised else "")
    if len(stats) > limit:
        t.note = "%d of %d functions, most total time first" % (limit, len(stats))
    blocks.append(t)
    return blocks


def slow_blocks(report):
    blocks = [Head(report.function, 3), Chips((_count(report.calls), "calls analysed"))]
    best = report.arguments[0] if report.arguments else None
    if best is not None and best.score >= 0.5 and best.groups:
        g = best.groups[0]
        label = g.label or _value(g.value, label=True)
        if best.pair:  # "rows and cols are 60, 6"
            first, second = best.name.split(",", 1)
            subject = (("arg", first), " and ", ("arg", second), " are ")
        else:
            subject = (("arg", best.name), " is ")
        blocks.append(Para(("fn", report.function.rsplit(".", 1)[-1]), " is slow when ",
                           *subject, ("val", label),
                           ": p50 %s, %s of %s calls, %s total" % (
                               fmt_dur(g.p50_ns), _count(g.calls), _count(report.calls),
                               fmt_dur(g.total_ns)), cls="verdict small-v"))
    if not report.arguments:
        blocks.append(Para("No arguments captured for this function.", cls="dim"))
    for i, a in enumerate(report.arguments):
        note = "%d groups" % len(a.groups)
        if a.entries:  # a summarizer's dicts: each entry alone
            note += "; by one entry: %s" % ", ".join(
                '"%s" %.2f' % (e.name, e.score) for e in a.entries)
        blocks.append(Score(a.name, a.score, note, best=i == 0 and a.score >= 0.5))
        top = max([g.p50_ns for g in a.groups] + [1])
        t = Table("groups", ["value", "calls", "p50", "p95", "max", "total"], num=range(1, 6))
        for g in a.groups:
            t.add(g.label or _value(g.value, label=True), _count(g.calls), Bar(g.p50_ns / top,
                                                                   fmt_dur(g.p50_ns)),
                  fmt_dur(g.p95_ns), fmt_dur(g.max_ns), fmt_dur(g.total_ns))
        blocks.append(t)
    return blocks


def _call_line(node, room=100):
    args = ", ".join("%s=%s" % (k, _value(v, 40)) for k, v in node["args"].items())
    out = ""
    if node.get("exception"):
        out = " raised %s" % node["exception"]["type"]
    elif node.get("result") is not None:
        out = " → %s" % _value(node["result"], 30)
    return _fit("%s(%s)%s" % (node["function"], args, out), room)


def tree_blocks(tree):
    total = tree["active_ns"] or tree["duration_ns"] or 1
    t = Table("tree", ["call", "duration", "share", "self"], num=(1, 2, 3))
    count = shown = 0
    todo = [(tree, 0)]  # pre-order by a loop: a tree as deep as the program's recursion
    while todo:
        node, depth = todo.pop()
        count += 1
        todo.extend((c, depth + 1) for c in reversed(node["children"]))
        if len(t.rows) >= MAX_TREE_ROWS:
            continue
        shown += 1
        d = node["duration_ns"]
        share = (node["active_ns"] or 0) / total if node["active_ns"] is not None else 0
        t.add("%s  #%s" % (_call_line(node), node["id"]), fmt_dur(d),
              Bar(share, "%.1f%%" % (100 * share) if d is not None else "–"),
              fmt_dur(node["self_ns"]), depth=depth)
        if node.get("adopted_ns"):  # neither its self time nor its children's (`tree`)
            a = node["adopted_ns"]
            what = "other calls' generators or tasks"
            if node.get("resumed"):  # the function it ran most of, as `tree` says it
                top = node["resumed"][0]
                what = "%s ×%s%s" % (top["function"], _count(top["calls"]),
                                     ", …" if len(node["resumed"]) > 1 else "")
            t.add(_fit("(resumed: %s)" % what, 100), fmt_dur(a),
                  Bar(a / total, "%.1f%%" % (100 * a / total)), "", depth=depth + 1)
    if count > shown:
        t.note = "the first %d of %d calls" % (shown, count)
    return [Head("call tree of call %s" % tree["id"], 3), t]


def why_blocks(w):
    c = w["call"]
    base = w["baseline"]
    blocks = [Head("why was call %s slow?" % c["id"], 3),
              Para(("callargs", _call_line(c, 160)), cls="callline")]
    if not base["calls"]:
        blocks.append(Para("No other finished call of %s to compare with." % c["function"],
                           cls="whyline"))
    else:
        group = base["group"]
        typical = "a typical call"
        if group is not None:  # a pair "a,b" reads as "a, b = 400, False"
            typical = "a typical call with %s = %s" % (
                group["argument"].replace(",", ", ") if group.get("pair") else
                group["argument"], group["label"])
        blocks.append(Para("It took ", ("b", fmt_dur(c["duration_ns"])), "; %s takes " % typical,
                           ("b", fmt_dur(base["p50_ns"])),
                           " (median of %s other calls): " % _count(base["calls"]),
                           ("badtxt" if w["extra_ns"] > 0 else "goodtxt", _signed(w["extra_ns"])),
                           ".", cls="whyline"))
    same = w.get("same_values") or {}
    if same.get("calls"):
        blocks.append(Para(_same_values_text(same, w.get("nth_call")), cls="whyline"))
    # (↻: the steps it ran of other calls' generators or tasks, not its children: `why`)
    rows = [(("↻ " if ch.get("resumed") else "") + ch["function"], ch["calls"],
             ch["duration_ns"], ch["typical_calls"], ch["typical_ns"], ch["extra_ns"])
            for ch in w["children"]]
    s = w["self"]
    rows.append(("(self)", "", s["duration_ns"], "", s["typical_ns"], s["extra_ns"]))
    top = max([abs(r[5]) for r in rows] + [1])
    t = Table("why", ["where the time went", "calls", "time", "typical calls", "typical time",
                      "extra"], num=range(1, 6))
    for name, calls, dur, tcalls, typ, extra in rows:
        t.add(name, _count(calls) if calls != "" else "", fmt_dur(dur),
              _count(tcalls) if tcalls != "" else "", fmt_dur(typ),
              Bar(extra / top, _signed(extra), " xbar"))
    blocks.append(t)
    if w["arguments"]:
        ta = Table("whyargs", ["argument", "this call", "typical", "explains", "note"], num=(3,))
        for a in w["arguments"]:
            typical = a["typical"]["label"] if a["typical"] else "–"
            note = []
            if a["group"] and a["group"].get("slow"):
                note.append("slow values: p50 %s" % fmt_dur(a["group"]["p50_ns"]))
            if a["differs"]:
                note.append("not typical")
            ta.add(a["name"], _value(a["value"], 40) if a["captured"] else "(not captured)",
                   typical, _pct(a["score"]), ", ".join(note),
                   cls="differs" if a["differs"] else "")
        blocks.append(ta)
    return blocks


def _same_values_text(same, nth_call):
    """Log.why()'s "same_values" in words, as `argtrace why` says it."""
    n = same["calls"]
    text = "Same values: %s other call%s with these argument values took %s" % (
        _count(n), "" if n == 1 else "s", fmt_dur(same["p50_ns"]))
    if n > 1:
        text += " (median, at most %s)" % fmt_dur(same["max_ns"])
    if same["nth"] == 1:
        text += "; this call was the first of them"
        if nth_call == 1:
            text += " and the function's first call"
    if same["says"]:
        text += ": " + same["says"]
        if same["loose"] and same["verdict"] != "values":
            text += ", unless an object known by its type (or a cut text) differed"
    return text + "."


def diff_blocks(d, groups=5):
    blocks = [Head("diff", 3), Para("base: %s · new: %s · * significant (%s, p < %g)"
                                    % (", ".join(d["base"]), ", ".join(d["new"]), d["test"],
                                       d["alpha"]), cls="dim small")]
    fns = d["functions"]
    top = max([abs(f["added_ns"]) for f in fns] + [1])
    t = Table("diff", ["function / argument group", "calls", "base p50", "new p50",
                       "p50 ratio", "time added"], num=range(1, 6))

    def row(label, st, cls="", depth=0):
        t.add(label, "%s→%s" % (_count(st["base"]["calls"]), _count(st["new"]["calls"])),
              fmt_dur(st["base"]["p50_ns"]) if st["base"]["calls"] else "–",
              fmt_dur(st["new"]["p50_ns"]) if st["new"]["calls"] else "–",
              _ratio(st["ratio_p50"]) + (" *" if st["significant"] else ""),
              Bar(st["added_ns"] / top, _signed(st["added_ns"]), " xbar"), cls=cls, depth=depth)

    for f in fns:
        row(f["function"], f)
        for a in f.get("arguments") or ():
            for g in a["groups"][:groups]:
                row("%s = %s" % (a["name"], _value(g["value"], 40, True)), g, "sub", 1)
    blocks.append(t)
    return blocks
