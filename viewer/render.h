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
 * Cut rendered text from byte `from` on to at most `maxw` columns by dropping its middle:
 * "'abcd…wxyz' (len 5,000)". `len` (the value's true length; 0: none) is shown after it.
 */
void atr__sb_fit_middle(atr__sbuf *sb, size_t from, size_t maxw, uint64_t len);

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
typedef struct atr__table {
    size_t ncols;
    const char *const *headers; /* ncols strings, borrowed; NULL: no header line */
    const char *align;          /* ncols chars, 'l' or 'r', borrowed */
    char **cells;               /* owned, ncols per row */
    size_t n, cap;
    int oom;
} atr__table;

void atr__table_init(atr__table *t, size_t ncols, const char *const *headers, const char *align);
void atr__table_free(atr__table *t);
void atr__table_cell(atr__table *t, const char *text);
void atr__table_cellf(atr__table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write the table, each line prefixed by `indent` spaces. Returns 0 or ATR_ENOMEM. */
int atr__table_print(atr__table *t, FILE *out, int color, size_t indent);

#endif /* ATR_VIEWER_RENDER_H */
