/* argtrace report: draws the page from the JSON object in #atr-data (see viewer/report_data.c).
 * Every string of the log goes into the page as text (textContent, SVG text nodes, title
 * elements), never as markup. Errors are recorded in <body data-errors>; <body data-ready>
 * is set once everything is drawn. */
"use strict";
(function () {
  var body = document.body;
  function recordError(msg) {
    var prev = body.getAttribute("data-errors");
    body.setAttribute("data-errors", (prev ? prev + " | " : "") + String(msg).slice(0, 300));
  }
  window.addEventListener("error", function (e) { recordError(e.message || "error"); });
  window.addEventListener("unhandledrejection", function (e) { recordError(e.reason || "rejection"); });

  var SVGNS = "http://www.w3.org/2000/svg";
  var D = JSON.parse(document.getElementById("atr-data").textContent);
  var names = D.names || [];

  /* ---- helpers ---- */
  function el(tag, attrs) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function sv(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function setAttrs(e, attrs) {
    if (!attrs) return;
    for (var k in attrs) {
      if (attrs[k] === null || attrs[k] === undefined) continue;
      if (k === "text") e.textContent = attrs[k];
      else if (k === "on") for (var ev in attrs.on) e.addEventListener(ev, attrs.on[ev]);
      else e.setAttribute(k, attrs[k]);
    }
  }
  function add(e, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { add(e, x); }); return; }
    e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  function fmtDur(ns) {
    if (ns === null || ns === undefined || isNaN(ns)) return "–";
    var neg = ns < 0; ns = Math.abs(ns);
    var units = [[1e9, "s"], [1e6, "ms"], [1e3, "µs"]], s = null;
    for (var i = 0; i < units.length && s === null; i++)
      if (ns >= units[i][0]) s = sig3(ns / units[i][0]) + " " + units[i][1];
    if (s === null) s = Math.round(ns) + " ns";
    return (neg ? "-" : "") + s;
  }
  function sig3(x) { return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2); }
  function fmtSigned(ns) { return ns > 0 ? "+" + fmtDur(ns) : ns < 0 ? fmtDur(ns) : "0"; }
  function fmtCount(n) { return Number(n).toLocaleString("en-US"); }
  function pct(x) { return Math.round(x * 100) + "%"; }
  function fname(f) { return names[f] !== undefined ? names[f] : "#" + f; }
  function shortName(f) {
    var n = fname(f), dot = n.lastIndexOf(".", n.length - 2);
    return dot > 0 && n.indexOf("<") < 0 ? n.slice(dot + 1) : n;
  }
  function hash(s) {
    var h = 2166136261;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return h >>> 0;
  }
  function flameColor(name) {
    var h = hash(name);
    return "hsl(" + (8 + h % 42) + "," + (62 + (h >> 8) % 22) + "%," + (58 + (h >> 16) % 14) + "%)";
  }
  function section(id, title, sub) {
    var s = el("section", { id: id, class: "card" }, el("h2", { text: title }), sub ? el("p", { class: "sub", text: sub }) : null);
    document.getElementById("main").appendChild(s);
    var nav = document.getElementById("nav");
    nav.appendChild(el("a", { href: "#" + id, text: title }));
    return s;
  }
  function guarded(name, fn) {
    try { fn(); } catch (e) { recordError(name + ": " + (e && e.message ? e.message : e)); }
  }
  /* A table cell with a bar of |share| (0..1; negative: green) before its text. */
  function barCell(cls, share, text) {
    return el("td", { class: "num bar" + cls }, el("span", { class: "track" },
      el("span", { class: "barfill" + (share < 0 ? " neg" : ""), style: "width:" + Math.min(100, 100 * Math.abs(share)).toFixed(1) + "%" })),
      el("span", { class: "bartxt", text: text }));
  }
  function code(text) { return el("code", { text: text }); }

  /* ---- header ---- */
  function header() {
    var logs = D.logs.join(", ");
    document.getElementById("title").textContent = logs;
    var I = D.info, m = document.getElementById("meta");
    add(m, [
      chip(fmtCount(I.calls), "calls"), chip(fmtCount(I.functions), "functions"),
      chip(fmtCount(I.threads), I.threads === 1 ? "thread" : "threads"),
      chip(fmtCount(I.processes), I.processes === 1 ? "process" : "processes"),
      chip(fmtDur(I.span), "traced"),
    ]);
    if (D.base_logs.length) add(m, chip(D.base_logs.join(", "), "base run"));
    if (I.truncated) add(m, el("span", { class: "chip bad", text: "log incomplete: the program was killed or the log truncated" }));
    if (I.drops) add(m, el("span", { class: "chip bad", text: "the tracer dropped records" }));
    if (I.unfinished) add(m, el("span", { class: "chip warnc", text: fmtCount(I.unfinished) + " unfinished calls" }));
  }
  function chip(v, label) { return el("span", { class: "chip" }, el("b", { text: v }), " " + label); }

  /* ---- the answer ---- */
  function verdictOf(F) {
    var best = F.args && F.args[0];
    if (!best || best.score < 0.5 || !best.groups.length) return null;
    var g = best.groups[0];
    return { arg: best, group: g };
  }
  /* "rows is" or, for a pair, "rows and mode are" */
  function subject(a) {
    if (!a.pair) return [el("span", { class: "arg", text: a.name }), " is "];
    var k = a.name.indexOf(",");
    return [el("span", { class: "arg", text: a.name.slice(0, k) }), " and ",
      el("span", { class: "arg", text: a.name.slice(k + 1) }), " are "];
  }
  function answer() {
    var s = section("answer", "What makes it slow");
    var found = D.functions.map(function (F) { return { F: F, v: verdictOf(F) }; }).filter(function (x) { return x.v; });
    found.forEach(function (x, i) {
      var F = x.F, v = x.v, ratio = F.p50 > 0 ? v.group.p50 / F.p50 : 0;
      var times = ratio >= 1.5 ? " (" + sig3(ratio) + "×)" : "";
      if (i > 0) { /* the others: one line each */
        s.appendChild(el("div", { class: "verdict small-v" },
          el("span", { class: "fn", text: shortName(F.f) }), " is slow when ", subject(v.arg),
          el("span", { class: "val", text: v.group.label }), ": p50 " + fmtDur(v.group.p50) + " vs " + fmtDur(F.p50) + times,
          el("span", { class: "dim", text: " · explains " + pct(v.arg.score) }), " ", el("a", { href: "#fn-" + F.f, text: "details" })));
        return;
      }
      s.appendChild(el("div", { class: "verdict" },
        el("div", { class: "vline" },
          el("span", { class: "fn", text: shortName(F.f) }), " is slow when ", subject(v.arg),
          el("span", { class: "val", text: v.group.label })),
        el("div", { class: "vnums" },
          el("span", { class: "big", text: "p50 " + fmtDur(v.group.p50) }),
          el("span", { text: " vs " + fmtDur(F.p50) + " for all calls" + times }),
          el("span", { class: "dim", text: " · " + fmtCount(v.group.calls) + " of " + fmtCount(F.calls) + " calls, " +
            fmtDur(v.group.total) + " of " + fmtDur(F.total) + " total · " + v.arg.name + " explains " + pct(v.arg.score) +
            " of the duration's variation" })),
        el("a", { class: "more", href: "#fn-" + F.f, text: "details ↓" })));
      s.appendChild(el("div", { class: "chart lead" }, stripPlot(F, v.arg, true)));
    });
    if (!found.length) s.appendChild(el("p", { text: D.functions.length ?
      "No single argument explains the duration of the slowest functions (no score reaches 50%): see the charts below and the slowest call." :
      "No function has enough calls to analyse its arguments." }));
  }

  /* ---- summary ---- */
  var SUMCOLS = [["function", 0, "s"], ["calls", 1], ["total", 2, "t"], ["self", 3, "t"], ["p50", 4, "t"],
    ["p95", 5, "t"], ["p99", 6, "t"], ["max", 7, "t"], ["raised", 8]];
  function summary() {
    var s = section("summary", "Summary", "Per function, by total time (active time: a suspended generator or coroutine does not count). Click a column to sort.");
    var rows = D.summary.slice(), key = 2, desc = true, maxTotal = 1;
    rows.forEach(function (r) { if (r[2] > maxTotal) maxTotal = r[2]; });
    var analysed = {};
    D.functions.forEach(function (F) { analysed[F.f] = 1; });
    var thead = el("thead"), tbody = el("tbody"), tr = el("tr");
    SUMCOLS.forEach(function (c, i) {
      tr.appendChild(el("th", { class: i ? "num sortable" : "sortable", "data-col": i, on: { click: function () {
        if (key === c[1]) desc = !desc; else { key = c[1]; desc = i !== 0; }
        draw();
      } } }, c[0]));
    });
    thead.appendChild(tr);
    function draw() {
      rows.sort(function (a, b) {
        var x = key === 0 ? fname(a[0]) : a[key], y = key === 0 ? fname(b[0]) : b[key];
        var c = x < y ? -1 : x > y ? 1 : 0;
        return desc ? -c : c;
      });
      Array.prototype.forEach.call(thead.querySelectorAll("th"), function (th, i) {
        th.className = (i ? "num " : "") + "sortable" + (SUMCOLS[i][1] === key ? (desc ? " desc" : " asc") : "");
      });
      tbody.textContent = "";
      if (!rows.length) tbody.appendChild(el("tr", null, el("td", { colspan: 9, class: "dim", text: "No calls in the log." })));
      rows.forEach(function (r) {
        var name = analysed[r[0]] ? el("a", { href: "#fn-" + r[0], text: fname(r[0]) }) : fname(r[0]);
        var t = el("tr", null, el("td", { class: "name" }, name));
        for (var k = 1; k < 9; k++) {
          var txt = SUMCOLS[k][2] === "t" ? fmtDur(r[k]) : fmtCount(r[k]);
          var td = el("td", { class: "num" + (k === 8 && r[k] ? " badtxt" : "") }, k === 8 && !r[k] ? "" : txt);
          if (k === 2) td = barCell("", r[k] / maxTotal, txt);
          t.appendChild(td);
        }
        tbody.appendChild(t);
      });
    }
    draw();
    s.appendChild(el("div", { class: "scroll" }, el("table", { class: "tbl summary", id: "summary-table" }, thead, tbody)));
  }

  /* ---- argument charts ---- */
  function logScale(lo, hi, x0, x1) {
    lo = Math.max(1, lo); hi = Math.max(lo * 10, hi);
    var a = Math.log10(lo), b = Math.log10(hi);
    var f = function (v) { return x0 + (Math.log10(Math.max(v, lo)) - a) / (b - a) * (x1 - x0); };
    f.lo = lo; f.hi = hi;
    return f;
  }
  function axisTicks(sc) { /* decades; also 2× and 5× when fewer than 3 decades show */
    var e0 = Math.floor(Math.log10(sc.lo)), e1 = Math.ceil(Math.log10(sc.hi));
    function ticks(mults) {
      var t = [];
      for (var e = e0; e <= e1; e++)
        mults.forEach(function (m) {
          var v = m * Math.pow(10, e);
          if (v >= sc.lo * 0.999 && v <= sc.hi * 1.001) t.push(v);
        });
      return t;
    }
    var t = ticks([1]);
    return t.length >= 3 ? t : ticks([1, 2, 5]);
  }
  function stripPlot(F, A, hot) {
    var W = 1160, L = 210, R = 190, RH = 30, top = 26, H = top + A.groups.length * RH + 26;
    var lo = F.edges[0], hi = F.edges[F.edges.length - 1];
    A.groups.forEach(function (g) { if (g.q) { lo = Math.min(lo, g.q[0]); hi = Math.max(hi, g.q[4]); } });
    var sc = logScale(lo * 0.8, hi * 1.25, L, W - R);
    var svg = sv("svg", { class: "strip", viewBox: "0 0 " + W + " " + H, width: "100%", role: "img" });
    axisTicks(sc).forEach(function (v) {
      var x = sc(v);
      svg.appendChild(sv("line", { x1: x, x2: x, y1: top - 6, y2: H - 22, class: "grid" }));
      svg.appendChild(sv("text", { x: x, y: H - 8, class: "tick", "text-anchor": "middle" }, fmtDur(v)));
    });
    svg.appendChild(sv("text", { x: W - R + 24, y: 12, class: "tick" }, "p50"));
    svg.appendChild(sv("text", { x: W - R + 104, y: 12, class: "tick" }, "calls"));
    var fx = sc(F.p50);
    svg.appendChild(sv("line", { x1: fx, x2: fx, y1: top - 4, y2: H - 22, class: "fnmed" }, sv("title", null, "p50 of all calls: " + fmtDur(F.p50))));
    A.groups.forEach(function (g, i) {
      var y = top + i * RH + RH / 2, isHot = hot && i === 0;
      var row = sv("g", { class: "grow" + (isHot ? " hot" : "") });
      row.appendChild(sv("text", { x: L - 12, y: y + 4, "text-anchor": "end", class: "glabel" }, clip(g.label, 26)));
      row.appendChild(sv("title", null, A.name + " " + g.label + ": " + fmtCount(g.calls) + " calls, p50 " + fmtDur(g.p50) +
        ", p95 " + fmtDur(g.p95) + ", max " + fmtDur(g.max) + (g.filter ? "  (filter: " + g.filter + ")" : "")));
      if (g.q) {
        var q = g.q;
        row.appendChild(sv("line", { x1: sc(q[0]), x2: sc(q[4]), y1: y, y2: y, class: "whisker" }));
        row.appendChild(sv("rect", { x: sc(q[1]), y: y - 9, width: Math.max(1.5, sc(q[3]) - sc(q[1])), height: 18, rx: 3, class: "box" }));
        g.pts.forEach(function (d, k) {
          var j = ((hash(A.name + k) % 1000) / 1000 - 0.5) * 16;
          row.appendChild(sv("circle", { cx: sc(d).toFixed(1), cy: (y + j).toFixed(1), r: 2.3, class: "pt" }));
        });
        row.appendChild(sv("line", { x1: sc(q[2]), x2: sc(q[2]), y1: y - 11, y2: y + 11, class: "med" }));
      } else {
        row.appendChild(sv("text", { x: L + 6, y: y + 4, class: "tick" }, "p50 " + fmtDur(g.p50) + ", max " + fmtDur(g.max) + " (calls not listed)"));
      }
      row.appendChild(sv("text", { x: W - R + 24, y: y + 4, class: "gstat" }, fmtDur(g.p50)));
      row.appendChild(sv("text", { x: W - R + 104, y: y + 4, class: "gcount" }, fmtCount(g.calls)));
      svg.appendChild(row);
    });
    return svg;
  }
  function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  function scoreBar(score) {
    return el("span", { class: "score", title: "share of the variation of log(duration) this argument explains" },
      el("span", { class: "scorebar" }, el("span", { style: "width:" + (score * 100).toFixed(0) + "%", class: score >= 0.5 ? "hi" : "" })),
      el("span", { class: "scoretxt", text: "explains " + pct(score) }));
  }
  function functions() {
    if (!D.functions.length) return;
    var drawn = 0, sampled = false;
    D.functions.forEach(function (F) { F.args.forEach(function (A) { A.groups.forEach(function (g) {
      if (g.pts) { drawn = Math.max(drawn, g.pts.length); sampled = sampled || g.calls > g.pts.length; }
    }); }); });
    var s = section("functions", "Slowest functions", "The functions with most total time. For each argument: every group of its values, its calls' durations on a log scale (box: middle half, bar: median, dots: calls), the dashed line the median of all calls." +
      (sampled ? " Large groups show " + drawn + " of their calls as dots, evenly spaced by duration rank (fastest and slowest included); box and median use every call." : ""));
    D.functions.forEach(function (F) {
      var v = verdictOf(F);
      var card = el("div", { class: "fn-card", id: "fn-" + F.f },
        el("h3", null, code(fname(F.f))),
        el("div", { class: "meta small" }, chip(fmtCount(F.calls), "calls"), chip(fmtDur(F.total), "total"),
          chip(fmtDur(F.p50), "p50"), chip(fmtDur(F.p95), "p95"), chip(fmtDur(F.max), "max")));
      if (!F.args.length) card.appendChild(el("p", { class: "dim", text: "No arguments captured for this function." }));
      F.args.forEach(function (A, i) {
        card.appendChild(el("div", { class: "arghead" + (v && i === 0 ? " best" : "") },
          el("span", { class: "argname", text: A.name }), scoreBar(A.score),
          el("span", { class: "dim", text: "grouped by " + A.mode + " · " + fmtCount(A.distinct) + (A.distinct > 65536 ? "+" : "") + " distinct · " + fmtCount(A.captured) + " captured" })));
        card.appendChild(el("div", { class: "chart" }, stripPlot(F, A, v && i === 0)));
      });
      card.appendChild(el("h4", { text: "Slowest calls" }));
      var tb = el("tbody");
      F.slowest.forEach(function (c, i) {
        tb.appendChild(el("tr", null, el("td", { class: "num", text: i + 1 }), el("td", { class: "num", text: c.id }),
          el("td", { class: "num", text: fmtDur(c.d) }), el("td", { class: "num dim", text: "+" + fmtDur(c.start) }),
          el("td", { class: "callargs", title: "(" + c.args + ")" + (c.out ? " " + c.out : "") }, el("span", { text: "(" + c.args + ")" }), c.out ? el("span", { class: "dim", text: " " + c.out }) : null)));
      });
      card.appendChild(el("div", { class: "scroll" }, el("table", { class: "tbl calls" },
        el("thead", null, el("tr", null, el("th", { class: "num", text: "rank" }), el("th", { class: "num", text: "id" }),
          el("th", { class: "num", text: "duration" }), el("th", { class: "num", text: "start" }), el("th", { text: "arguments → result" }))), tb)));
      s.appendChild(card);
    });
  }

  /* ---- flame graphs (icicles: roots on top) ---- */
  function buildTree(nodes, vIdx) {
    var all = nodes.map(function (n) { return { f: n[1], v: n[vIdx], extra: n[3], ch: [] }; }), roots = [];
    nodes.forEach(function (n, i) { if (n[0] < 0) roots.push(all[i]); else all[n[0]].ch.push(all[i]); });
    return roots;
  }
  function icicle(roots, total, opts) {
    var W = 1160, RH = 20, holder = el("div", { class: "flamebox" }), crumbs = el("div", { class: "crumbs" });
    var top = roots.length === 1 && !opts.rootName ? roots[0] : { f: -1, v: total, ch: roots, name: opts.rootName };
    function depthOf(n) { var d = 0; n.ch.forEach(function (c) { d = Math.max(d, depthOf(c)); }); return d + 1; }
    function draw(focus, path) {
      var maxDepth = Math.min(depthOf(focus), 60), H = maxDepth * RH + 2;
      var svg = sv("svg", { class: "flame", viewBox: "0 0 " + W + " " + H, width: "100%", role: "img" });
      function place(n, x, w, d, parentPath) {
        if (w < 0.4 || d >= maxDepth) return;
        var name = n.f < 0 ? n.name : fname(n.f), myPath = parentPath.concat([n]);
        var g = sv("g", { class: "fr", on: { click: function () { draw(n, myPath); } } });
        g.appendChild(sv("rect", { x: x.toFixed(2), y: d * RH, width: Math.max(0.5, w - 0.6).toFixed(2), height: RH - 1, rx: 1.5,
          fill: n.f < 0 ? "#cfd6e2" : flameColor(name) }));
        g.appendChild(sv("title", null, name + "\n" + fmtDur(n.v) + " (" + (100 * n.v / Math.max(1, focus.v)).toFixed(1) + "%)" + (opts.tip ? opts.tip(n) : "")));
        if (w > 36) g.appendChild(sv("text", { x: (x + 4).toFixed(2), y: d * RH + 14, class: "flabel" }, clip(n.f < 0 ? name : shortName(n.f), Math.floor((w - 8) / 6.6))));
        svg.appendChild(g);
        var sum = 0; n.ch.forEach(function (c) { sum += c.v; });
        var scale = w / Math.max(n.v, sum, 1), cx = x;
        n.ch.forEach(function (c) { place(c, cx, c.v * scale, d + 1, myPath); cx += c.v * scale; });
      }
      place(focus, 0, W, 0, path.slice(0, -1));
      holder.textContent = "";
      crumbs.textContent = "";
      if (path.length > 1) {
        path.forEach(function (n, i) {
          if (i) crumbs.appendChild(document.createTextNode(" › "));
          crumbs.appendChild(el("a", { href: "#", text: n.f < 0 ? n.name : shortName(n.f), on: { click: function (e) { e.preventDefault(); draw(n, path.slice(0, i + 1)); } } }));
        });
      } else crumbs.appendChild(el("span", { class: "dim", text: "Click a frame to zoom in; hover for its time." }));
      holder.appendChild(svg);
    }
    draw(top, [top]);
    return el("div", null, crumbs, holder);
  }

  /* ---- the slowest call: tree and why ---- */
  function slowest() {
    var S = D.slowest;
    if (!S) return;
    var c = S.call;
    var s = section("slowest", "The slowest call", "The slowest call of " + fname(c.f) + ".");
    s.appendChild(el("p", { class: "callline" }, code(fname(c.f) + "(" + c.args + ")"), c.out ? el("span", { class: "dim", text: " " + c.out }) : null));
    s.appendChild(el("p", { class: "dim", text: "Call " + c.id + ", " + fmtDur(c.d) + ", started +" + fmtDur(c.start) + " into the log. Its call tree (width: time):" }));
    s.appendChild(icicle(buildTree(S.nodes, 2), c.d, { rootName: "", tip: function (n) { return n.extra !== undefined ? "\ncall " + n.extra : ""; } }));
    if (S.dropped) s.appendChild(el("p", { class: "dim small", text:  fmtCount(S.dropped) + (S.dropped === 1 ? " call" : " calls") + " too short to draw left out." }));
    if (D.why) why(s, D.why);
  }
  function why(s, W) {
    s.appendChild(el("h3", { text: "Why was it slow?" }));
    var line = el("p", { class: "whyline" });
    if (!W.baseline) {
      add(line, "No other finished call of " + shortName(W.f) + " to compare with.");
    } else {
      add(line, ["It took ", el("b", { text: fmtDur(W.d) }), "; a typical ", W.group_arg ? ["call with ", code(W.group_arg.split(",").join(", ") + " = " + W.group), " "] : "call ",
        "takes ", el("b", { text: fmtDur(W.base_p50) }), " (median of " + fmtCount(W.baseline) + " other calls): ",
        el("b", { class: W.d > W.base_p50 ? "badtxt" : "", text: fmtSigned(W.d - W.base_p50) }), "."]);
    }
    s.appendChild(line);
    if (W.same) {
      var same = W.same;
      s.appendChild(el("p", { class: "whyline" }, ["Same values: " + fmtCount(same.calls) +
        (same.calls === 1 ? " other call" : " other calls") + " with these argument values took ",
        el("b", { text: fmtDur(same.p50) }),
        same.calls > 1 ? " (median, at most " + fmtDur(same.max) + ")" : "",
        same.first ? "; this call was the first of them" + (same.first === 2 ? " and the function's first call" : "") : "",
        same.says ? ": " + same.says : "",
        same.says && same.loose && same.verdict !== "values" ?
          ", unless an object known by its type (or a cut text) differed" : "", "."]));
    }
    if (W.children.length || W.baseline) {
      var maxX = 1;
      W.children.forEach(function (r) { maxX = Math.max(maxX, Math.abs(r[5])); });
      maxX = Math.max(maxX, Math.abs(W.self_extra));
      var tb = el("tbody");
      function row(name, calls, total, tcalls, typ, extra) {
        tb.appendChild(el("tr", null, el("td", { class: "name" }, name), el("td", { class: "num", text: calls }),
          el("td", { class: "num", text: total }), el("td", { class: "num dim", text: tcalls }), el("td", { class: "num dim", text: typ }),
          barCell(" xbar", extra / maxX, fmtSigned(extra))));
      }
      /* r[6]: the steps it ran of other calls' generators or tasks (↻), not children */
      W.children.forEach(function (r) { row(code((r[6] ? "↻ " : "") + fname(r[0])), fmtCount(r[1]), fmtDur(r[2]), fmtCount(r[3]), fmtDur(r[4]), r[5]); });
      row(el("i", { text: "self time" }), "", fmtDur(W.self), "", fmtDur(W.typ_self), W.self_extra);
      s.appendChild(el("div", { class: "scroll" }, el("table", { class: "tbl why" }, el("thead", null, el("tr", null,
        el("th", { text: "where the time went" }), el("th", { class: "num", text: "calls" }), el("th", { class: "num", text: "time" }),
        el("th", { class: "num", text: "typical calls" }), el("th", { class: "num", text: "typical time" }), el("th", { class: "num", text: "extra" }))), tb)));
    }
    if (W.args.length) {
      var ta = el("tbody");
      W.args.forEach(function (a) {
        ta.appendChild(el("tr", { class: a.differs ? "differs" : "" }, el("td", { class: "name" }, code(a.name)),
          el("td", { class: "val", text: clip(a.value, 90) }), el("td", { class: "val dim", text: a.typical || "–" }),
          el("td", { class: "num", text: pct(a.score) }),
          el("td", null, a.slow ? el("span", { class: "tag bad", text: "slow values" }) : null, a.differs ? el("span", { class: "tag", text: "not typical" }) : null)));
      });
      s.appendChild(el("div", { class: "scroll" }, el("table", { class: "tbl whyargs" }, el("thead", null, el("tr", null,
        el("th", { text: "argument" }), el("th", { text: "this call" }), el("th", { text: "typical" }), el("th", { class: "num", text: "explains" }), el("th"))), ta)));
    }
  }

  function flame() {
    var F = D.flame;
    if (!F || !F.nodes.length) return;
    var s = section("flame", "Flame graph of the whole log", "Every call merged by its stack of functions; width: active time (summed over threads). Roots on top.");
    s.appendChild(icicle(buildTree(F.nodes, 2), F.total, { rootName: "all (" + fmtDur(F.total) + ")", tip: function (n) { return n.extra !== undefined ? "\n" + fmtCount(n.extra) + " calls" : ""; } }));
  }

  /* ---- diff ---- */
  function diff() {
    var X = D.diff;
    if (!X) return;
    var s = section("diff", "Diff against the base run", "Base: " + D.base_logs.join(", ") + ". Times of finished calls; * : significant (rank test, p < 0.01).");
    var tb = el("tbody"), maxA = 1;
    X.functions.forEach(function (f) { maxA = Math.max(maxA, Math.abs(f.added)); });
    function ratio(r) { return r === null ? "–" : r < 0.01 ? "<0.01×" : sig3(r) + "×"; }
    function drow(label, st, cls) {
      tb.appendChild(el("tr", { class: cls || "" }, el("td", { class: "name" }, label),
        el("td", { class: "num", text: fmtCount(st.base[0]) + " → " + fmtCount(st.new[0]) }),
        el("td", { class: "num", text: st.base[0] ? fmtDur(st.base[2]) : "–" }), el("td", { class: "num", text: st.new[0] ? fmtDur(st.new[2]) : "–" }),
        el("td", { class: "num" + (st.sig ? (st.ratio > 1 ? " badtxt" : " goodtxt") : ""), text: ratio(st.ratio) + (st.sig ? " *" : "") }),
        barCell(" xbar", st.added / maxA, fmtSigned(st.added))));
    }
    X.functions.forEach(function (f) {
      drow(code(f.name), f);
      (f.args || []).forEach(function (a) {
        a.groups.forEach(function (g) { drow(el("span", { class: "indent" }, a.name + " = ", el("span", { class: "val", text: g.label })), g, "sub"); });
      });
    });
    s.appendChild(el("div", { class: "scroll" }, el("table", { class: "tbl diff" }, el("thead", null, el("tr", null,
      el("th", { text: "function / argument group" }), el("th", { class: "num", text: "calls" }), el("th", { class: "num", text: "base p50" }),
      el("th", { class: "num", text: "new p50" }), el("th", { class: "num", text: "p50 ratio" }), el("th", { class: "num", text: "time added" }))), tb)));
    if (X.functions_total > X.functions.length) s.appendChild(el("p", { class: "dim small", text: "The " + X.functions.length + " functions that changed most of " + X.functions_total + "." }));
  }

  function footer() {
    var f = document.getElementById("footer");
    (D.notes || "").split("\n").forEach(function (n) { if (n) f.appendChild(el("p", { class: "note", text: n })); });
    f.appendChild(el("p", { class: "dim", text: "Generated by argtrace " + D.argtrace + " from " + D.logs.join(", ") + ". This page is self-contained: it loads nothing from the network." }));
  }

  guarded("header", header);
  guarded("answer", answer);
  guarded("diff", diff);
  guarded("summary", summary);
  guarded("functions", functions);
  guarded("slowest", slowest);
  guarded("flame", flame);
  guarded("footer", footer);
  guarded("anchor", function () { /* the sections exist only now: go to the #anchor asked for */
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) target.scrollIntoView();
  });
  body.setAttribute("data-ready", "1");
})();
