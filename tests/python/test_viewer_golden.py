"""Golden outputs of every viewer command (text and --json), exports and error cases.

Each case runs `argtrace-view ARGS` in the directory of the generated logs and compares
"exit status + stdout + stderr" (with volatile fields such as pid, host, uid, wall-clock
times and frame offsets replaced) with tests/golden/viewer/<case>.out.
Regenerate after an intended change with ATR_REGEN_GOLDEN=1 and review the diff.
"""

import os
import re

import pytest

from test_viewer_common import GOLDEN, logs, run_view, viewer  # noqa: F401 (fixtures)

CASES = [
    # summary
    ("summary", ["summary", "basic.atr"]),
    ("summary_json", ["summary", "basic.atr", "--json"]),
    ("summary_merged", ["summary", "basic.atr", "second.atr"]),
    ("summary_limit", ["summary", "-n", "2", "basic.atr"]),
    ("summary_hostile", ["summary", "hostile.atr"]),
    ("summary_truncated", ["summary", "truncated.atr"]),
    ("summary_unclosed", ["summary", "unclosed.atr"]),
    ("summary_empty", ["summary", "empty.atr", "--json"]),
    # slow
    ("slow", ["slow", "basic.atr", "parse"]),
    ("slow_json", ["slow", "basic.atr", "parse", "--json"]),
    ("slow_by", ["slow", "basic.atr", "app.parse", "--by", "mode"]),
    ("slow_by_json", ["slow", "basic.atr", "parse", "--by=n", "--json"]),
    ("slow_filter", ["slow", "basic.atr", "parse", "mode=fast", "--groups", "2"]),
    ("slow_result", ["slow", "basic.atr", "handle", "--result", "--calls", "2"]),
    ("slow_hostile", ["slow", "hostile.atr", "show"]),
    ("slow_hostile_json", ["slow", "hostile.atr", "show", "--json"]),
    # diff
    ("diff", ["diff", "diff_base.atr", "diff_new.atr"]),
    ("diff_json", ["diff", "diff_base.atr", "diff_new.atr", "parse", "--json"]),
    ("diff_func", ["diff", "--base", "diff_base.atr", "--new", "diff_new.atr", "parse",
                   "--min-calls", "3", "--alpha", "0.05", "--groups", "3"]),
    ("diff_filter", ["diff", "diff_base.atr", "diff_new.atr", "parse", "mode=strict",
                     "--min-calls", "4"]),
    ("diff_merged", ["diff", "--base", "basic.atr", "second.atr", "--new", "diff_new.atr",
                     "-d", "1", "-n", "3"]),
    ("diff_hostile", ["diff", "hostile.atr", "unclosed.atr", "-d", "1"]),
    ("diff_all_json", ["diff", "basic.atr", "diff_new.atr", "g", "--json", "--alpha=0.5"]),
    ("diff_limit_json", ["diff", "diff_base.atr", "diff_new.atr", "--json", "-n", "1",
                         "--min-calls=3"]),
    ("err_diff_one_log", ["diff", "basic.atr"]),
    ("err_diff_same", ["diff", "basic.atr", "basic.atr"]),
    ("err_diff_side", ["diff", "--base", "basic.atr", "second.atr"]),
    ("err_diff_unlabelled", ["diff", "basic.atr", "--new", "second.atr"]),
    ("err_diff_alpha", ["diff", "basic.atr", "second.atr", "--alpha", "1"]),
    ("err_diff_tui", ["diff", "diff_base.atr", "diff_new.atr", "--tui"]),
    ("help_diff", ["diff", "--help"]),
    # report (the page's data; tests/python/test_report.py checks the page in a browser)
    ("report_json", ["report", "basic.atr", "--json", "-o", "-"]),
    ("report_diff_json", ["report", "diff_new.atr", "--base", "diff_base.atr", "--json", "-o",
                          "-", "--top", "1", "--points", "4"]),
    ("report_hostile_json", ["report", "hostile.atr", "--json"]),
    ("err_report_same", ["report", "basic.atr", "--base", "basic.atr"]),
    ("err_report_no_new", ["report", "--base", "basic.atr"]),
    ("help_report", ["report", "--help"]),
    # tree
    ("tree", ["tree", "basic.atr", "handle"]),
    ("tree_generator", ["tree", "generator.atr", "consume"]),
    ("tree_generator_json", ["tree", "generator.atr", "consume", "--json"]),
    ("tree_task", ["tree", "generator.atr", "serve"]),
    ("summary_generator", ["summary", "generator.atr"]),
    ("summary_generator_json", ["summary", "generator.atr", "--json"]),
    ("slow_generator", ["slow", "generator.atr", "gen"]),
    # slow: length clusters, distinguishing labels, **kwargs keys, derived keys (issue 12)
    ("slow_keys", ["slow", "keys.atr", "format", "--calls", "1"]),
    ("slow_keys_by", ["slow", "keys.atr", "format", "--by", "len(sql)", "--by",
                      "query, reindent", "--by", "type(dialect)", "--calls", "0"]),
    ("slow_keys_by_json", ["slow", "keys.atr", "format", "--by", "sql.items", "--json"]),
    ("slow_entries", ["slow", "entries.atr", "matmul"]),
    ("slow_entries_by", ["slow", "entries.atr", "matmul", "--by", "a.shape", "--by",
                         "a.dtype"]),
    ("err_by_entry", ["slow", "entries.atr", "matmul", "--by", "a.nope"]),
    ("err_by_syntax", ["slow", "keys.atr", "format", "--by", "len(sql"]),
    ("cat_generator", ["cat", "generator.atr"]),
    ("tree_json", ["tree", "basic.atr", "handle", "--json"]),
    ("tree_rank", ["tree", "basic.atr", "handle", "--rank", "3", "--all"]),
    ("tree_filter", ["tree", "basic.atr", "handle", "req=5"]),
    ("tree_depth", ["tree", "basic.atr", "handle", "req=5", "--depth", "0"]),
    ("tree_unclosed", ["tree", "unclosed.atr", "handle"]),
    ("tree_unfinished", ["tree", "unclosed.atr", "handle", "req=99"]),
    ("tree_action", ["tree", "basic.atr", "import_batch"]),
    ("tree_hostile", ["tree", "hostile.atr", "show", "--rank", "2"]),
    ("tree_merged", ["tree", "basic.atr", "second.atr", "handle", "--rank", "4"]),
    ("tree_id", ["tree", "basic.atr", "--id", "5"]),
    ("tree_id_merged_json", ["tree", "basic.atr", "second.atr", "--id", "1:1", "--json"]),
    # why
    ("why", ["why", "basic.atr", "handle"]),
    ("why_json", ["why", "basic.atr", "handle", "--json"]),
    ("why_group", ["why", "basic.atr", "parse", "mode=fast"]),
    ("why_group_json", ["why", "basic.atr", "parse", "mode=fast", "--json"]),
    ("why_few", ["why", "basic.atr", "parse"]),
    ("why_pair", ["why", "pair.atr", "compare"]),
    ("why_pair_few", ["why", "pair.atr", "compare", "n=100"]),
    ("why_entries", ["why", "entries.atr", "matmul"]),
    ("calls_entries", ["calls", "entries.atr", "matmul", "--limit", "3"]),
    ("why_id", ["why", "basic.atr", "--id", "5"]),
    ("why_merged", ["why", "basic.atr", "second.atr", "handle", "--rank", "2",
                    "--children", "1"]),
    ("why_hostile", ["why", "hostile.atr", "show"]),
    ("why_unclosed", ["why", "unclosed.atr", "handle"]),
    ("why_unfinished", ["why", "unclosed.atr", "handle", "req=99", "--json"]),
    ("why_alone", ["why", "basic.atr", "fail"]),
    # calls
    ("calls", ["calls", "basic.atr", "parse"]),
    ("calls_sorted", ["calls", "basic.atr", "parse", "--sort", "duration", "--limit", "3"]),
    ("calls_json", ["calls", "basic.atr", "parse", "--json"]),
    ("calls_filters", ["calls", "basic.atr", "parse", "n>=1000", "mode=strict"]),
    ("calls_len", ["calls", "basic.atr", "parse", "len(mode)>4"]),
    ("calls_duration", ["calls", "basic.atr", "handle", "duration>1ms", "--json"]),
    ("calls_exception", ["calls", "basic.atr", "fail", "exception=ValueError", "--json"]),
    ("calls_action", ["calls", "basic.atr", "import_batch", "--json"]),
    ("calls_hostile", ["calls", "hostile.atr", "show"]),
    ("calls_hostile_json", ["calls", "hostile.atr", "show", "--json"]),
    ("calls_unclosed", ["calls", "unclosed.atr", "parse", "--json"]),
    ("calls_all_functions", ["calls", "basic.atr", "duration>1ms", "--sort", "start"]),
    ("calls_all_limit", ["calls", "unclosed.atr", "--sort", "duration", "-n", "4"]),
    ("calls_merged", ["calls", "basic.atr", "second.atr", "handle", "--sort", "duration",
                      "-n", "4"]),
    ("calls_merged_json", ["calls", "basic.atr", "second.atr", "import_batch", "--json"]),
    # cat
    ("cat", ["cat", "basic.atr"]),
    ("cat_json", ["cat", "hostile.atr", "--json"]),
    ("cat_hostile", ["cat", "hostile.atr"]),
    ("cat_truncated", ["cat", "truncated.atr"]),
    ("cat_unclosed", ["cat", "unclosed.atr"]),
    # export
    ("export_chrome", ["export", "basic.atr", "--format", "chrome"]),
    ("export_chrome_hostile", ["export", "hostile.atr", "unclosed.atr", "-f", "chrome"]),
    ("export_eliot", ["export", "basic.atr", "--format=eliot"]),
    ("export_eliot_hostile", ["export", "hostile.atr", "unclosed.atr", "--format", "eliot"]),
    ("export_jsonl", ["export", "basic.atr", "--format", "jsonl"]),
    ("export_jsonl_select", ["export", "basic.atr", "-f", "jsonl", "parse", "mode=strict"]),
    ("export_jsonl_min_duration", ["export", "basic.atr", "-f", "jsonl", "--min-duration",
                                   "1ms", "-o", "-"]),
    ("export_chrome_select", ["export", "basic.atr", "-f", "chrome", "parse", "n>=10000"]),
    ("export_eliot_select", ["export", "basic.atr", "-f", "eliot", "import_batch"]),
    ("export_eliot_nested", ["export", "basic.atr", "-f", "eliot", "g", "i=3",
                             "--min-duration", "100ns"]),
    ("export_folded", ["export", "basic.atr", "-f", "folded"]),
    ("export_folded_count_select", ["export", "basic.atr", "-f", "folded", "handle", "req>=6",
                                    "--value", "count"]),
    ("export_folded_hostile", ["export", "hostile.atr", "unclosed.atr", "-f", "folded"]),
    ("export_speedscope", ["export", "generator.atr", "-f", "speedscope"]),
    ("export_speedscope_hostile", ["export", "hostile.atr", "unclosed.atr", "-f",
                                   "speedscope"]),
    ("help_export", ["export", "--help"]),
    ("err_export_min_duration", ["export", "basic.atr", "-f", "jsonl", "--min-duration", "10"]),
    ("err_export_filter_arg", ["export", "basic.atr", "-f", "chrome", "parse", "size=3"]),
    # 80 columns (--width; $COLUMNS and the terminal in test_width.py)
    ("w80_summary", ["summary", "longnames.atr", "--width", "80"]),
    ("w80_summary_basic", ["summary", "basic.atr", "--width=80"]),
    ("w80_slow", ["slow", "longnames.atr", "format", "--width", "80"]),
    ("w80_slow_hostile", ["slow", "hostile.atr", "show", "--width", "80"]),
    ("w80_tree", ["tree", "longnames.atr", "format", "--width", "80"]),
    # every call, none counted on a "… N calls" line
    ("w80_tree_all", ["tree", "longnames.atr", "format", "--width", "80", "--all"]),
    ("w80_tree_min_share", ["tree", "longnames.atr", "format", "--width", "80",
                            "--min-share", "1%"]),
    ("w80_tree_hostile", ["tree", "hostile.atr", "show", "--width", "80"]),
    ("w80_calls", ["calls", "longnames.atr", "--width", "80", "-n", "12"]),
    ("calls_max_value", ["calls", "longnames.atr", "format", "--max-value", "40"]),
    ("w80_cat", ["cat", "longnames.atr", "--width", "80"]),
    ("w80_cat_hostile", ["cat", "hostile.atr", "--width", "80"]),
    ("w80_diff", ["diff", "diff_base.atr", "diff_new.atr", "--width", "80"]),
    ("w80_diff_hostile", ["diff", "hostile.atr", "unclosed.atr", "-d", "1", "--width", "80"]),
    ("w40_summary", ["summary", "longnames.atr", "--width", "40"]),
    ("tree_min_share", ["tree", "basic.atr", "handle", "--min-share", "10%"]),
    ("err_width", ["summary", "basic.atr", "--width", "5"]),
    ("err_min_share", ["tree", "basic.atr", "handle", "--min-share", "lots"]),
    ("err_duration_unit", ["calls", "basic.atr", "parse", "duration>10"]),
    # errors
    ("err_corrupt", ["summary", "corrupt.atr"]),
    ("err_corrupt_cat", ["cat", "corrupt.atr"]),
    ("err_notalog", ["tree", "notalog.atr", "f"]),
    ("err_missing", ["summary", "missing.atr"]),
    ("err_unknown_func", ["calls", "basic.atr", "nosuch"]),
    ("err_near_func", ["calls", "basic.atr", "pars"]),
    ("err_ambiguous", ["tree", "hostile.atr", "run"]),
    ("err_filter_syntax", ["calls", "basic.atr", "parse", "n>"]),
    ("err_id_ambiguous", ["tree", "basic.atr", "second.atr", "--id", "3"]),
    ("err_id_missing", ["tree", "basic.atr", "--id", "99999"]),
    ("err_id_syntax", ["tree", "basic.atr", "--id", "1:x"]),
    ("err_id_and_func", ["tree", "basic.atr", "handle", "--id", "3"]),
    ("err_same_log", ["summary", "basic.atr", "basic.atr"]),
    ("err_filter_arg", ["calls", "basic.atr", "parse", "size=3"]),
    ("err_by", ["slow", "basic.atr", "parse", "--by", "size"]),
    ("err_rank", ["tree", "basic.atr", "fail", "--rank", "2"]),
    ("err_rank_zero", ["tree", "basic.atr", "fail", "--rank", "0"]),
    ("err_no_match", ["tree", "basic.atr", "parse", "n=3"]),
    ("err_why_rank", ["why", "basic.atr", "fail", "--rank", "2"]),
    ("err_why_id_and_func", ["why", "basic.atr", "handle", "--rank", "2", "--id", "3"]),
    ("err_option", ["summary", "--bogus", "basic.atr"]),
    ("err_sort", ["calls", "basic.atr", "parse", "--sort", "size"]),
    ("err_limit", ["calls", "basic.atr", "parse", "--limit", "x"]),
    ("err_no_func", ["tree", "basic.atr"]),
    ("err_no_log", ["summary"]),
    ("err_format", ["export", "basic.atr", "--format", "xml"]),
    ("err_no_format", ["export", "basic.atr"]),
    ("err_command", ["frobnicate"]),
    ("err_nothing", []),
    # help
    ("help", ["--help"]),
    ("help_calls", ["calls", "--help"]),
    ("help_cmd", ["help", "tree"]),
    ("help_why", ["why", "--help"]),
]

# Fields that differ from run to run or machine to machine.
VOLATILE = [
    (r"pid=\d+", "pid=PID"),
    (r"host='[^']*'", "host='HOST'"),
    (r"tool='[^']*'", "tool='TOOL'"),
    (r"uid=[0-9a-f]{16}", "uid=UID"),
    (r"wall_ns=\d+", "wall_ns=WALL"),
    (r"os_tid=\d+", "os_tid=TID"),
    (r'"(pid|tid|os_tid|uid|wall_ns)":\s?-?\d+', r'"\1":0'),
    (r'"(host|tool)":\s?"[^"]*"', r'"\1":"X"'),
    (r"\(pid \d+\)", "(pid PID)"),
    (r'"task_uuid":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-', '"task_uuid":"UUID-'),
    (r'"timestamp":\d+\.\d+', '"timestamp":TIME'),
    (r"offset \d+", "offset N"),
    (r'"offset":\d+', '"offset":0'),
    (r"\(\d+ bytes of it present\)", "(N bytes of it present)"),
    # a PROCESS line cut to the width ends where the pid's digits let it
    (r"(?m)^(\s+PROCESS format=\S+ pid=PID host='HOST') .*…$", r"\1 …"),
]


def normalize(text):
    for pattern, repl in VOLATILE:
        text = re.sub(pattern, repl, text)
    return text


def render(args, proc):
    return normalize("$ argtrace-view %s\n[exit %d]\n--- stdout\n%s--- stderr\n%s" % (
        " ".join(args), proc.returncode, proc.stdout, proc.stderr))


@pytest.mark.parametrize("name,args", CASES, ids=[c[0] for c in CASES])
def test_golden(viewer, logs, name, args):
    proc = run_view(viewer, args, logs)
    got = render(args, proc)
    path = GOLDEN / (name + ".out")
    if os.environ.get("ATR_REGEN_GOLDEN") == "1":
        path.write_text(got, encoding="utf-8")
        return
    assert path.exists(), "no golden file %s (run with ATR_REGEN_GOLDEN=1)" % path
    assert got == path.read_text(encoding="utf-8")


def test_no_stray_golden_files():
    """Every .out file belongs to a case (renamed cases leave no stale files)."""
    names = {c[0] + ".out" for c in CASES}
    stray = sorted(p.name for p in GOLDEN.glob("*.out") if p.name not in names)
    assert stray == []
