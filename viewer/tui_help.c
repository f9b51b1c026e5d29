/* The TUI's help screen (`?`): the keys of every view, one line each. */
#include "tui.h"

static const char *const help_lines[] = {
    "Moving",
    "  ↑ ↓ j k        previous / next row",
    "  PgUp PgDn Space  page up / down",
    "  Home End g G   first / last row",
    "  Enter → l      open the row (function → arguments → calls → call tree)",
    "  q Esc ← h      back to the previous screen (quits on the first one)",
    "  Q Ctrl-C       quit",
    "  / n N          search the rows; next / previous match",
    "Arguments screen",
    "  t              the slowest call's tree: of the group (first row: of all calls)",
    "  b              group by a key: an argument, len(ARG), type(ARG), ARG.items, KEY,KEY",
    "Functions screen",
    "  c              calls of the function (slowest first)",
    "  r              replay: every event in time order",
    "Calls screen",
    "  s              sort by duration / start time",
    "  w              why was the selected call slow (vs the typical calls)",
    "  f              flame graph of the selected call",
    "  r              replay from the selected call",
    "Call tree",
    "  Enter          expand / collapse;  ← collapse or go to the parent",
    "  s              jump to the slowest child",
    "  w              why was the selected call slow",
    "  f              flame graph of the selected call",
    "  r              replay from the selected call",
    "Why",
    "  Enter          call tree of the call;  w  why of the child call named by next:",
    "Flame graph (rows: depth; widths: share of the parent's active time)",
    "  ← → ↑ ↓ hjkl   frame before / after / parent / widest child",
    "  Enter          zoom into the frame;  Esc Backspace  zoom out",
    "Replay",
    "  t              jump to a time (e.g. 1.5s, 250ms, 40us, from the first event)",
    "  s e            jump to the start / end of the selected event's call",
    "  Enter          call tree of the selected event's call",
    "Live (view --follow)",
    "  the functions screen updates as calls arrive; other screens keep what they",
    "  showed (title: new calls): q back to the functions screen shows them",
};

static uint64_t help_count(atr__view *v) {
    (void)v;
    return sizeof help_lines / sizeof help_lines[0];
}

static void help_row(atr__view *v, uint64_t i, atr__sbuf *sb, int *attr) {
    (void)v;
    atr__sb_puts(sb, help_lines[i]);
    if (help_lines[i][0] != ' ')
        *attr |= ATR__A_BOLD;
}

static const atr__view_ops help_ops = {help_count, help_row, NULL, NULL, NULL, NULL, "keys"};

int atr__tui_help(atr__tui *app) { return atr__tui_push(app, &help_ops, NULL, "help"); }
