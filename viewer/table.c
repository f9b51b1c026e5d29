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

/*
 * One line (no '\n' in text[0..n)) broken at spaces into lines of `width` columns, the
 * lines after the first indented by `hang` spaces.
 */
static void put_wrapped_line(FILE *out, const char *text, size_t n, size_t width, size_t hang) {
    if (hang + 8 > width)
        hang = 0;
    size_t avail = width; /* columns for the text of this line */
    while (avail > 0 && atr__utf8_width(text, n) > avail) {
        /* the last space within the width, else the first after it */
        size_t cut = 0, w = 0;
        for (size_t i = 0; i < n && w <= avail; i++) {
            if (text[i] == ' ')
                cut = i;
            if (((unsigned char)text[i] & 0xC0) != 0x80)
                w++;
        }
        if (cut == 0) {
            const char *sp = memchr(text, ' ', n);
            if (!sp)
                break;
            cut = (size_t)(sp - text);
        }
        fwrite(text, 1, cut, out);
        fprintf(out, "\n%*s", (int)hang, "");
        text += cut + 1;
        n -= cut + 1;
        while (n > 0 && *text == ' ') /* the padding of aligned columns */
            text++, n--;
        avail = width - hang;
    }
    fwrite(text, 1, n, out);
}

void atr__fput_wrap(FILE *out, const char *text, size_t width) {
    for (;;) {
        const char *nl = strchr(text, '\n');
        put_wrapped_line(out, text, nl ? (size_t)(nl - text) : strlen(text), width, 0);
        if (!nl)
            return;
        fputc('\n', out);
        text = nl + 1;
    }
}

void atr__fput_hang(FILE *out, const char *line, size_t width, size_t hang) {
    put_wrapped_line(out, line, strlen(line), width, hang);
    fputc('\n', out);
}

void atr__table_init(atr__table *t, size_t ncols, const char *const *headers, const char *align) {
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->headers = headers;
    t->align = align;
}

void atr__table_free(atr__table *t) {
    for (size_t i = 0; i < t->n && t->mode == 0; i++)
        free(t->cells[i]);
    for (size_t i = 0; i < t->n % (t->ncols ? t->ncols : 1) && t->mode == 2; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->mw);
    free(t->pw);
    free(t->shown);
    t->cells = NULL;
    t->mw = t->pw = NULL;
    t->shown = NULL;
    t->n = t->cap = 0;
}

static void print_line(atr__table *t, size_t r, char *const *cells, const size_t *width,
                       const char *shown, atr__sbuf *line, atr__sbuf *cell);

/* A cell as printed: without its ATR__KEEP mark (copied into `cell`), else `text` itself. */
static const char *unmarked(atr__sbuf *cell, const char *text) {
    const char *keep = strstr(text, ATR__KEEP);
    if (!keep)
        return text;
    atr__sb_clear(cell);
    atr__sb_add(cell, text, (size_t)(keep - text));
    atr__sb_puts(cell, keep + 1);
    return atr__sb_cstr(cell);
}

/* Columns a cell takes (its ATR__KEEP mark takes none). */
static size_t cell_width(const char *text) {
    return atr__utf8_width(text, strlen(text)) - (strstr(text, ATR__KEEP) != NULL);
}

void atr__table_cell(atr__table *t, const char *text) {
    if (t->oom)
        return;
    if (t->mode == 1) { /* measuring */
        size_t w = cell_width(text ? text : "");
        size_t c = t->n++ % t->ncols;
        if (w > t->mw[c])
            t->mw[c] = w;
        return;
    }
    if (t->mode == 2) { /* streaming: keep one row, print it when complete */
        size_t c = t->n % t->ncols;
        if (!(t->cells[c] = strdup(text ? text : ""))) {
            t->oom = 1;
            return;
        }
        t->n++;
        if (c + 1 == t->ncols) {
            atr__sbuf line = ATR__SBUF_INIT, cell = ATR__SBUF_INIT;
            print_line(t, 1, t->cells, t->pw, t->shown, &line, &cell);
            t->oom |= line.oom || cell.oom;
            atr__sb_free(&line);
            atr__sb_free(&cell);
            for (size_t k = 0; k < t->ncols; k++)
                free(t->cells[k]);
        }
        return;
    }
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

void atr__table_fit(atr__table *t, size_t width, size_t flex, int mode, size_t flex_min,
                    const char *drop) {
    t->width = width;
    t->flex = flex;
    t->flex_mode = mode;
    t->flex_min = flex_min;
    t->drop = drop;
}

/* The room column `flex` has when the shown columns (width[c] > 0 or shown[c]) share t->width. */
static size_t flex_room(const atr__table *t, const size_t *width, const char *shown,
                        size_t indent) {
    size_t used = indent, n = 0;
    for (size_t c = 0; c < t->ncols; c++)
        if (shown[c] && c != t->flex)
            used += width[c], n++;
    used += 2 * n; /* the gaps */
    return used < t->width ? t->width - used : 0;
}

/* Leave out columns of t->drop until the flexible column has t->flex_min; its width. */
static size_t plan_width(const atr__table *t, const size_t *width, char *shown, size_t indent) {
    size_t room = flex_room(t, width, shown, indent);
    for (const char *d = t->drop; d && *d && room < t->flex_min && room < width[t->flex]; d++) {
        size_t c = (size_t)(*d - '0');
        if (c < t->ncols && c != t->flex)
            shown[c] = 0;
        room = flex_room(t, width, shown, indent);
    }
    if (room < t->flex_min / 2) /* a narrow terminal: lines are cut at the end */
        room = t->flex_min / 2;
    return room < width[t->flex] ? room : width[t->flex];
}

static void cut_cell(atr__sbuf *sb, const char *text, size_t maxw, int mode) {
    const char *keep = strstr(text, ATR__KEEP);
    atr__sb_clear(sb);
    if (keep) { /* the mark goes; the text after it stays whole */
        atr__sb_add(sb, text, (size_t)(keep - text));
        size_t tail = sb->len;
        atr__sb_puts(sb, keep + 1);
        atr__sb_fit_keep(sb, 0, tail, maxw);
        return;
    }
    atr__sb_puts(sb, text);
    if (mode == ATR__FIT_LEFT)
        atr__sb_fit_left(sb, 0, maxw);
    else if (mode == ATR__FIT_MID)
        atr__sb_fit_mid(sb, 0, maxw, NULL);
    else
        atr__sb_fit(sb, 0, maxw);
}

/* The header line (r == 0) or a row of cells, with t's widths and shown columns. */
static void print_line(atr__table *t, size_t r, char *const *cells, const size_t *width,
                       const char *shown, atr__sbuf *line, atr__sbuf *cell) {
    size_t nc = t->ncols, last = nc;
    int fit = t->width > 0 && t->flex < nc;
    while (last > 0 && !shown[last - 1])
        last--;
    atr__sb_clear(line);
    atr__sb_pad(line, ' ', t->indent);
    if (r == 0)
        atr__sb_style(line, t->color, ATR__ST_BOLD);
    size_t text_from = line->len; /* after the style: escapes take no columns */
    int first = 1;
    for (size_t c = 0; c < nc; c++) {
        if (!shown[c])
            continue;
        if (!first)
            atr__sb_puts(line, "  ");
        first = 0;
        const char *s = r == 0 ? t->headers[c] : cells[c];
        if (fit && c == t->flex) {
            cut_cell(cell, s, width[c], t->flex_mode);
            s = atr__sb_cstr(cell);
        } else
            s = unmarked(cell, s);
        put_cell(line, s, width[c], t->align[c], c + 1 == last);
    }
    if (t->width > t->indent) /* what still does not fit (a narrow terminal, a deep tree) */
        atr__sb_fit(line, text_from, t->width - t->indent);
    if (r == 0)
        atr__sb_unstyle(line, t->color);
    /* a left-aligned last column may leave nothing but padding: trim it */
    while (line->len > 0 && line->ptr[line->len - 1] == ' ')
        line->len--;
    atr__sb_putc(line, '\n');
    if (!line->oom)
        fwrite(line->ptr, 1, line->len, t->out);
}

/* Widths from the headers and cells[0..rows) (or t->mw), then the room of the flexible one. */
static int plan(atr__table *t, size_t rows, size_t **width_out, char **shown_out) {
    size_t nc = t->ncols;
    size_t *width = calloc(nc ? nc : 1, sizeof *width);
    char *shown = malloc(nc ? nc : 1);
    if (!width || !shown) {
        free(width);
        free(shown);
        return ATR_ENOMEM;
    }
    memset(shown, 1, nc ? nc : 1);
    for (size_t c = 0; c < nc; c++) {
        if (t->headers)
            width[c] = atr__utf8_width(t->headers[c], strlen(t->headers[c]));
        if (t->mw && t->mw[c] > width[c])
            width[c] = t->mw[c];
        for (size_t r = 0; r < rows; r++) {
            size_t w = cell_width(t->cells[r * nc + c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    if (t->width > 0 && t->flex < nc)
        width[t->flex] = plan_width(t, width, shown, t->indent);
    *width_out = width;
    *shown_out = shown;
    return 0;
}

int atr__table_print(atr__table *t, FILE *out, int color, size_t indent) {
    if (t->oom)
        return ATR_ENOMEM;
    size_t nc = t->ncols, rows = t->n / nc, *width;
    char *shown;
    t->out = out;
    t->color = color;
    t->indent = indent;
    if (plan(t, rows, &width, &shown) < 0)
        return ATR_ENOMEM;
    atr__sbuf line = ATR__SBUF_INIT, cell = ATR__SBUF_INIT;
    for (size_t r = t->headers ? 0 : 1; r <= rows && !line.oom; r++)
        print_line(t, r, r ? t->cells + (r - 1) * nc : NULL, width, shown, &line, &cell);
    int rc = line.oom || cell.oom ? ATR_ENOMEM : 0;
    atr__sb_free(&line);
    atr__sb_free(&cell);
    free(width);
    free(shown);
    return rc;
}

int atr__table_measure(atr__table *t) {
    if (t->n || t->mode || !(t->mw = calloc(t->ncols ? t->ncols : 1, sizeof(size_t)))) {
        t->oom = 1;
        return ATR_ENOMEM;
    }
    t->mode = 1;
    return 0;
}

int atr__table_stream(atr__table *t, FILE *out, int color, size_t indent) {
    if (t->oom || t->mode != 1)
        return ATR_ENOMEM;
    t->out = out;
    t->color = color;
    t->indent = indent;
    t->n = 0;
    if (plan(t, 0, &t->pw, &t->shown) < 0 ||
        !(t->cells = calloc(t->ncols ? t->ncols : 1, sizeof(char *)))) {
        t->oom = 1;
        return ATR_ENOMEM;
    }
    t->mode = 2;
    if (t->headers) {
        atr__sbuf line = ATR__SBUF_INIT, cell = ATR__SBUF_INIT;
        print_line(t, 0, NULL, t->pw, t->shown, &line, &cell);
        t->oom |= line.oom || cell.oom;
        atr__sb_free(&line);
        atr__sb_free(&cell);
    }
    return t->oom ? ATR_ENOMEM : 0;
}
