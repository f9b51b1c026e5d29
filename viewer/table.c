/* Aligned tables, sparklines and terminal styles (see render.h). */
#include "render.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int atr__want_color(FILE *f) {
    const char *nc = getenv("NO_COLOR");
    if (nc && nc[0])
        return 0;
    return isatty(fileno(f));
}

void atr__sb_style(atr__sbuf *sb, int color, int st) {
    static const char *const sgr[] = {"", "1", "2", "31", "32", "33", "36"};
    if (color && st > 0 && st <= ATR__ST_CYAN)
        atr__sb_printf(sb, "\033[%sm", sgr[st]);
}

void atr__sb_unstyle(atr__sbuf *sb, int color) {
    if (color)
        atr__sb_puts(sb, "\033[0m");
}

void atr__spark(atr__sbuf *sb, const uint64_t *counts, size_t n) {
    static const char *const bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (counts[i] > max)
            max = counts[i];
    for (size_t i = 0; i < n; i++) {
        if (counts[i] == 0) {
            atr__sb_putc(sb, ' ');
            continue;
        }
        /* 0..7, rounded up so that any non-zero count is visible */
        uint64_t level = (counts[i] * 8 + max - 1) / max - 1;
        atr__sb_puts(sb, bars[level > 7 ? 7 : level]);
    }
}

void atr__table_init(atr__table *t, size_t ncols, const char *const *headers, const char *align) {
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->headers = headers;
    t->align = align;
}

void atr__table_free(atr__table *t) {
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->n = t->cap = 0;
}

void atr__table_cell(atr__table *t, const char *text) {
    if (t->oom)
        return;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **p = realloc(t->cells, cap * sizeof *p);
        if (!p) {
            t->oom = 1;
            return;
        }
        t->cells = p;
        t->cap = cap;
    }
    char *copy = strdup(text ? text : "");
    if (!copy) {
        t->oom = 1;
        return;
    }
    t->cells[t->n++] = copy;
}

void atr__table_cellf(atr__table *t, const char *fmt, ...) {
    atr__sbuf sb = ATR__SBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    atr__sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    if (sb.oom)
        t->oom = 1;
    else
        atr__table_cell(t, atr__sb_cstr(&sb));
    atr__sb_free(&sb);
}

static void put_cell(atr__sbuf *line, const char *text, size_t width, char align, int last) {
    size_t w = atr__utf8_width(text, strlen(text));
    size_t pad = width > w ? width - w : 0;
    if (align == 'r')
        atr__sb_pad(line, ' ', pad);
    atr__sb_puts(line, text);
    if (align != 'r' && !last)
        atr__sb_pad(line, ' ', pad);
}

int atr__table_print(atr__table *t, FILE *out, int color, size_t indent) {
    if (t->oom)
        return ATR_ENOMEM;
    size_t nc = t->ncols, rows = t->n / nc;
    size_t *width = calloc(nc ? nc : 1, sizeof *width);
    if (!width)
        return ATR_ENOMEM;
    for (size_t c = 0; c < nc; c++) {
        if (t->headers)
            width[c] = atr__utf8_width(t->headers[c], strlen(t->headers[c]));
        for (size_t r = 0; r < rows; r++) {
            const char *s = t->cells[r * nc + c];
            size_t w = atr__utf8_width(s, strlen(s));
            if (w > width[c])
                width[c] = w;
        }
    }
    atr__sbuf line = ATR__SBUF_INIT;
    for (size_t r = t->headers ? 0 : 1; r <= rows; r++) {
        atr__sb_clear(&line);
        atr__sb_pad(&line, ' ', indent);
        if (r == 0)
            atr__sb_style(&line, color, ATR__ST_BOLD);
        for (size_t c = 0; c < nc; c++) {
            if (c)
                atr__sb_puts(&line, "  ");
            const char *s = r == 0 ? t->headers[c] : t->cells[(r - 1) * nc + c];
            put_cell(&line, s, width[c], t->align[c], c + 1 == nc);
        }
        if (r == 0)
            atr__sb_unstyle(&line, color);
        /* a left-aligned last column may leave nothing but padding: trim it */
        while (line.len > 0 && line.ptr[line.len - 1] == ' ')
            line.len--;
        atr__sb_putc(&line, '\n');
        if (line.oom)
            break;
        fwrite(line.ptr, 1, line.len, out);
    }
    int rc = line.oom ? ATR_ENOMEM : 0;
    atr__sb_free(&line);
    free(width);
    return rc;
}
