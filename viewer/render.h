/*
 * Text renderers shared by every viewer command and the TUI: escaped values, human units,
 * aligned tables, sparklines. Everything appends to an atr__sbuf or writes to a FILE *.
 *
 * Every string that comes from a log goes through atr__esc_text() (or a renderer that uses
 * it): control characters, invalid UTF-8, C1 controls and bidi overrides come out as visible
 * escapes, so a log can never drive the terminal.
 */
#ifndef ATR_VIEWER_RENDER_H
#define ATR_VIEWER_RENDER_H

#include <stdint.h>
#include <stdio.h>

#include "argtrace/atr_common.h"
#include "strbuf.h"

/* Quote styles for atr__esc_text(). */
#define ATR__ESC_BARE 0    /* no quotes */
#define ATR__ESC_SQUOTE 1  /* escape ' (Python-style single-quoted text) */
#define ATR__ESC_KEEP_BS 2 /* text escaped once already: keep backslashes, escape the rest */

/* Append `n` bytes of untrusted text, escaped (Python-like: \n, \t, \x1b, \u202e). */
void atr__esc_text(atr__sbuf *sb, const char *p, size_t n, int quote);
/* Same for an atr_str. */
void atr__esc_str(atr__sbuf *sb, atr_str s);

/* Append a value as text: None, True, 42, 1.5, 'text', b'\x00', <list len=3: 1, 2, 3, …>. */
void atr__render_value(atr__sbuf *sb, const atr_value *v);

/*
 * Same within `maxv` columns (0: no limit): a longer value keeps its start and its end and
 * says how long it is, "'SELECT a, b…(2,304 chars)…WHERE x'"; a value the capture cut keeps
 * its start, "'SELECT a, b… (12,345 bytes)".
 */
void atr__render_value_fit(atr__sbuf *sb, const atr_value *v, size_t maxv);

/* 1 when v is a summary whose items are all a summarizer's entries (atr_value_entry_key):
   atr__render_value_fit shows their values alone when cramped, "<(300, 300) float64>". */
int atr__value_all_entries(const atr_value *v);

/* Durations in human units with 3 significant digits: "512 ns", "12.3 µs", "1.23 ms". */
void atr__fmt_dur(char *buf, size_t size, uint64_t ns);
/* Integers with thousands separators: "1,204". */
void atr__fmt_count(char *buf, size_t size, uint64_t n);
/* Append the same. */
void atr__sb_dur(atr__sbuf *sb, uint64_t ns);
void atr__sb_count(atr__sbuf *sb, uint64_t n);

/* Append text right-aligned / left-aligned in `width` columns (display width, not bytes). */
void atr__sb_right(atr__sbuf *sb, const char *text, size_t width);
void atr__sb_left(atr__sbuf *sb, const char *text, size_t width);

/* Cut rendered text to at most `maxw` columns from byte `from` on, ending with "…". */
void atr__sb_fit(atr__sbuf *sb, size_t from, size_t maxw);
/*
 * The same, but the text from byte `tail` on stays whole and the text before it is cut
 * ("…StatementSplitter.process(self=<Stat…  [active 43.4 ms]"), unless that would leave the
 * head under 16 columns (then as atr__sb_fit).
 */
void atr__sb_fit_keep(atr__sbuf *sb, size_t from, size_t tail, size_t maxw);

/*
 * atr__sb_fit_mid with the value's true length `len` (0: none) as what was cut:
 * "'abcd…(len 5,000)…wxyz'".
 */
void atr__sb_fit_middle(atr__sbuf *sb, size_t from, size_t maxw, uint64_t len);

/*
 * Cut text from byte `from` on to at most `maxw` columns in its middle: its start,
 * "…(WHAT)…" (WHAT e.g. "2,304 chars"; NULL or too little room: a bare "…"), its end.
 */
void atr__sb_fit_mid(atr__sbuf *sb, size_t from, size_t maxw, const char *what);

/*
 * Cut text from byte `from` on to at most `maxw` columns from the left, keeping its end and
 * starting after a '.' when one is left: dotted names end in what tells them apart,
 * "…reindent.ReindentFilter._process".
 */
void atr__sb_fit_left(atr__sbuf *sb, size_t from, size_t maxw);

/* Write text, breaking its lines longer than `width` columns at spaces (0: as it is). */
void atr__fput_wrap(FILE *out, const char *text, size_t width);
/* Write one line and a newline, broken at spaces, the lines after the first indented by
   `hang` spaces (help texts). */
void atr__fput_hang(FILE *out, const char *line, size_t width, size_t hang);

/* Append a sparkline ▁▂▃▄▅▆▇█ (one cell per count, scaled to the largest; 0 is a space). */
void atr__spark(atr__sbuf *sb, const uint64_t *counts, size_t n);

/* Terminal styles (ANSI SGR); emitted only when the output uses colour. */
enum atr__style {
    ATR__ST_NONE = 0,
    ATR__ST_BOLD,
    ATR__ST_DIM,
    ATR__ST_RED,
    ATR__ST_GREEN,
    ATR__ST_YELLOW,
    ATR__ST_CYAN
};
/* 1 if `f` is a terminal and NO_COLOR is unset or empty. */
int atr__want_color(FILE *f);
/* Append the escape starting style `st` / resetting, when `color` is set. */
void atr__sb_style(atr__sbuf *sb, int color, int st);
void atr__sb_unstyle(atr__sbuf *sb, int color);

/*
 * An aligned table. Build with cells row by row, then print. Cells are copied. The last
 * column is never padded (no trailing spaces). Allocation failures are sticky (see oom).
 */
/* How a cell too wide for its column is cut (atr__table_fit). */
/* In a cell of the flexible column, the text after this mark is kept whole when it is cut. */
#define ATR__KEEP "\x1f"
enum { ATR__FIT_RIGHT, ATR__FIT_LEFT, ATR__FIT_MID };

typedef struct atr__table {
    size_t ncols;
    size_t width;               /* fit lines in this many columns; 0: no limit (atr__table_fit) */
    size_t flex;                /* the column that gives up room (its cells are cut) */
    int flex_mode;              /* ATR__FIT_* */
    size_t flex_min;            /* columns of `drop` go before flex gets narrower than this */
    const char *drop;           /* column numbers ('0'..'9') that may go, first first; borrowed */
    const char *const *headers; /* ncols strings, borrowed; NULL: no header line */
    const char *align;          /* ncols chars, 'l' or 'r', borrowed */
    char **cells;               /* owned, ncols per row */
    size_t n, cap;
    int oom;
    /* Two passes without keeping the rows (atr__table_measure, atr__table_stream). */
    int mode;    /* 0: rows kept; 1: measuring (widths only); 2: streaming (rows printed) */
    size_t *mw;  /* owned: widest cell per column so far (measuring) */
    size_t *pw;  /* owned: the planned widths (streaming) */
    char *shown; /* owned: the columns shown (streaming) */
    FILE *out;   /* streaming: where rows go */
    int color;   /* streaming */
    size_t indent;
} atr__table;

void atr__table_init(atr__table *t, size_t ncols, const char *const *headers, const char *align);
void atr__table_free(atr__table *t);
void atr__table_cell(atr__table *t, const char *text);
void atr__table_cellf(atr__table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Fit the printed table in `width` columns (0: no limit): column `flex` gets what the others
 * leave, cut per `mode`; while that is under `flex_min`, the columns listed in `drop` ("65":
 * column 6, then 5) are left out. Lines still too wide (a narrow terminal) are cut at the end.
 */
void atr__table_fit(atr__table *t, size_t width, size_t flex, int mode, size_t flex_min,
                    const char *drop);
/* Write the table, each line prefixed by `indent` spaces. Returns 0 or ATR_ENOMEM. */
int atr__table_print(atr__table *t, FILE *out, int color, size_t indent);
/*
 * A table too long to keep (every call of a large log): after atr__table_measure the cells
 * given only widen their columns; atr__table_stream then prints the header, and the same
 * cells given again are printed row by row, exactly as atr__table_print would print them.
 * 0 or ATR_ENOMEM.
 */
int atr__table_measure(atr__table *t);
int atr__table_stream(atr__table *t, FILE *out, int color, size_t indent);

#endif /* ATR_VIEWER_RENDER_H */
