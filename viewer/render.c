/*
 * Value and unit rendering (see render.h). The escaping here is the viewer's defence against
 * terminal injection: keep every path that prints log text going through atr__esc_text().
 */
#include "render.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Code points that must not reach a terminal raw: C1 controls, bidi and line separators. */
static int cp_unsafe(uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

void atr__esc_text(atr__sbuf *sb, const char *s, size_t n, int quote) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        /* copy runs of plain printable ASCII at once */
        while (run < n && p[run] >= 0x20 && p[run] < 0x7F &&
               (p[run] != '\\' || quote == ATR__ESC_KEEP_BS) &&
               !(quote == ATR__ESC_SQUOTE && p[run] == '\''))
            run++;
        if (run > i) {
            atr__sb_add(sb, s + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c == '\\' || c == '\'') {
            atr__sb_putc(sb, '\\');
            atr__sb_putc(sb, (char)c);
            i++;
        } else if (c == '\n') {
            atr__sb_puts(sb, "\\n"), i++;
        } else if (c == '\t') {
            atr__sb_puts(sb, "\\t"), i++;
        } else if (c == '\r') {
            atr__sb_puts(sb, "\\r"), i++;
        } else if (c < 0x80) {
            atr__sb_printf(sb, "\\x%02x", c), i++;
        } else {
            uint32_t cp;
            size_t len = atr__utf8_seq(p + i, n - i, &cp);
            if (len == 0) {
                atr__sb_printf(sb, "\\x%02x", c);
                i++;
            } else if (cp_unsafe(cp)) {
                atr__sb_printf(sb, cp < 0x100 ? "\\x%02" PRIx32 : "\\u%04" PRIx32, cp);
                i += len;
            } else {
                atr__sb_add(sb, s + i, len);
                i += len;
            }
        }
    }
}

void atr__esc_str(atr__sbuf *sb, atr_str s) { atr__esc_text(sb, s.ptr, s.len, ATR__ESC_BARE); }

/* Drop an incomplete UTF-8 sequence at the end of a truncated text. */
static size_t trim_partial_utf8(const char *s, size_t n) {
    size_t back = 0;
    while (back < 3 && back < n && ((unsigned char)s[n - 1 - back] & 0xC0) == 0x80)
        back++;
    if (back < n) {
        unsigned char lead = (unsigned char)s[n - 1 - back];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (need > back + 1)
            return n - 1 - back;
    }
    return n;
}

static void render_float(atr__sbuf *sb, double f) {
    if (isnan(f)) {
        atr__sb_puts(sb, "nan");
        return;
    }
    if (isinf(f)) {
        atr__sb_puts(sb, f < 0 ? "-inf" : "inf");
        return;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    atr__sb_puts(sb, buf);
    if (!strpbrk(buf, ".eEn"))
        atr__sb_puts(sb, ".0");
}

static void render_trunc_note(atr__sbuf *sb, size_t len, uint64_t true_len) {
    if (true_len > len) {
        atr__sb_puts(sb, "… (");
        atr__sb_count(sb, true_len);
        atr__sb_puts(sb, " bytes)");
    }
}

static int digits_ok(const char *p, size_t n) {
    size_t i = (n > 0 && p[0] == '-') ? 1 : 0;
    if (i >= n)
        return 0;
    for (; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* 1 if the capture cut a text value (its true length is longer than what the log holds). */
static int value_truncated(const atr_value *v) {
    return (v->kind == ATR_V_STR || v->kind == ATR_V_BYTES || v->kind == ATR_V_REPR) &&
           v->u.s.true_len > v->u.s.len;
}

/* `note`: end a truncated text with "… (N bytes)" (atr__render_value_fit adds its own);
   `lim`: at most this many items of each summary (the others as "…"). */
static void render_value_depth(atr__sbuf *sb, const atr_value *v, int depth, int note,
                               uint32_t lim) {
    switch (v->kind) {
    case ATR_V_NIL:
        atr__sb_puts(sb, "None");
        break;
    case ATR_V_BOOL:
        atr__sb_puts(sb, v->u.b ? "True" : "False");
        break;
    case ATR_V_INT:
        atr__sb_printf(sb, "%" PRId64, v->u.i);
        break;
    case ATR_V_UINT:
        atr__sb_printf(sb, "%" PRIu64, v->u.u);
        break;
    case ATR_V_FLOAT:
        render_float(sb, v->u.f);
        break;
    case ATR_V_STR: {
        int trunc = v->u.s.true_len > v->u.s.len;
        size_t n = trunc ? trim_partial_utf8(v->u.s.ptr, v->u.s.len) : v->u.s.len;
        atr__sb_putc(sb, '\'');
        atr__esc_text(sb, v->u.s.ptr, n, ATR__ESC_SQUOTE);
        atr__sb_putc(sb, '\'');
        if (note)
            render_trunc_note(sb, v->u.s.len, v->u.s.true_len);
        break;
    }
    case ATR_V_BYTES:
        atr__sb_puts(sb, "b'");
        for (size_t i = 0; i < v->u.s.len; i++) {
            unsigned char c = (unsigned char)v->u.s.ptr[i];
            if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'')
                atr__sb_putc(sb, (char)c);
            else
                atr__esc_text(sb, (const char *)&c, 1, ATR__ESC_SQUOTE);
        }
        atr__sb_putc(sb, '\'');
        if (note)
            render_trunc_note(sb, v->u.s.len, v->u.s.true_len);
        break;
    case ATR_V_SUMMARY: {
        const char *key;
        size_t key_len;
        if (atr_value_entry_key(v, &key, &key_len)) { /* a summarizer's entry: key=value */
            atr__esc_text(sb, key, key_len, ATR__ESC_BARE);
            atr__sb_putc(sb, '=');
            if (depth >= 8)
                atr__sb_puts(sb, "…");
            else
                render_value_depth(sb, &v->u.sum.items[0], depth + 1, 1, lim);
            break;
        }
        atr__sb_putc(sb, '<');
        atr__esc_text(sb, v->u.sum.type, v->u.sum.type_len, ATR__ESC_BARE);
        if (v->u.sum.length >= 0)
            atr__sb_printf(sb, " len=%" PRId64, v->u.sum.length);
        if (v->n_items > 0) {
            uint32_t shown = v->n_items < lim ? v->n_items : lim;
            atr__sb_puts(sb, ": ");
            for (uint32_t i = 0; i < shown; i++) {
                if (i)
                    atr__sb_puts(sb, ", ");
                if (depth >= 8)
                    atr__sb_puts(sb, "…");
                else
                    render_value_depth(sb, &v->u.sum.items[i], depth + 1, 1, lim);
            }
            /* more than shown: items cut here, or a length past the items kept (an unknown
               length, a summarizer's or a subclass's value, has its items all there) */
            if (shown < v->n_items ||
                (v->u.sum.length >= 0 && (uint64_t)v->u.sum.length > v->n_items))
                atr__sb_puts(sb, shown ? ", …" : "…");
        }
        atr__sb_putc(sb, '>');
        break;
    }
    case ATR_V_REDACTED:
        atr__sb_puts(sb, "<redacted>");
        break;
    case ATR_V_BIGINT:
        if (digits_ok(v->u.s.ptr, v->u.s.len)) {
            atr__sb_add(sb, v->u.s.ptr, v->u.s.len);
        } else {
            atr__sb_puts(sb, "<bigint ");
            atr__esc_text(sb, v->u.s.ptr, v->u.s.len, ATR__ESC_BARE);
            atr__sb_putc(sb, '>');
        }
        break;
    case ATR_V_REPR: {
        int trunc = v->u.s.true_len > v->u.s.len;
        size_t n = trunc ? trim_partial_utf8(v->u.s.ptr, v->u.s.len) : v->u.s.len;
        atr__esc_text(sb, v->u.s.ptr, n, ATR__ESC_BARE);
        if (note)
            render_trunc_note(sb, v->u.s.len, v->u.s.true_len);
        break;
    }
    case ATR_V_ERROR:
        atr__sb_puts(sb, "<capture error: ");
        atr__esc_text(sb, v->u.s.ptr, v->u.s.len, ATR__ESC_BARE);
        atr__sb_putc(sb, '>');
        break;
    default:
        atr__sb_printf(sb, "<unknown value, %zu bytes>", v->u.s.len);
        break;
    }
}

void atr__render_value(atr__sbuf *sb, const atr_value *v) {
    render_value_depth(sb, v, 0, 1, UINT32_MAX);
}

/* The most items of any summary in v (v itself or nested). */
static uint32_t most_items(const atr_value *v, int depth) {
    if (v->kind != ATR_V_SUMMARY || depth >= 8)
        return 0;
    uint32_t most = v->n_items;
    for (uint32_t i = 0; i < v->n_items; i++) {
        uint32_t k = most_items(&v->u.sum.items[i], depth + 1);
        most = k > most ? k : most;
    }
    return most;
}

/* A summary too wide for maxv columns: as many of its items (at every level) as fit, the
   rest as "…", so that what is shown keeps its structure ("<list len=500: <list len=8:
   'a', 'b', …>, …>"; a cut in the middle joined the items of different inner lists); 1 if
   that fits, else 0 with sb as it was (from on: the full rendering). */
static int fit_items(atr__sbuf *sb, size_t from, const atr_value *v, size_t maxv) {
    uint32_t most = most_items(v, 0);
    for (uint32_t lim = most; lim-- > 0;) {
        sb->len = from;
        render_value_depth(sb, v, 0, 1, lim);
        if (!sb->oom && atr__utf8_width(sb->ptr + from, sb->len - from) <= maxv)
            return 1;
    }
    sb->len = from;
    render_value_depth(sb, v, 0, 1, UINT32_MAX);
    return 0;
}

int atr__value_all_entries(const atr_value *v) {
    const char *key;
    size_t key_len;
    if (v->kind != ATR_V_SUMMARY || v->n_items == 0 || !v->u.sum.items)
        return 0;
    for (uint32_t i = 0; i < v->n_items; i++)
        if (!atr_value_entry_key(&v->u.sum.items[i], &key, &key_len))
            return 0;
    return 1;
}

/* An entry's value in a cramped column: a tuple or list with all its items as "(300, 300)"
   or "[1, 2]", a whole str bare, anything else as rendered. */
static void render_compact(atr__sbuf *sb, const atr_value *v) {
    int tuple = v->kind == ATR_V_SUMMARY && v->u.sum.type_len == 5 &&
                memcmp(v->u.sum.type, "tuple", 5) == 0;
    int list =
        v->kind == ATR_V_SUMMARY && v->u.sum.type_len == 4 && memcmp(v->u.sum.type, "list", 4) == 0;
    if ((tuple || list) && v->u.sum.length == (int64_t)v->n_items) {
        atr__sb_putc(sb, tuple ? '(' : '[');
        for (uint32_t i = 0; i < v->n_items; i++) {
            atr__sb_puts(sb, i ? ", " : "");
            render_value_depth(sb, &v->u.sum.items[i], 1, 1, UINT32_MAX);
        }
        atr__sb_puts(sb, tuple ? (v->n_items == 1 ? ",)" : ")") : "]");
    } else if (v->kind == ATR_V_STR && v->u.s.true_len == v->u.s.len) {
        atr__esc_text(sb, v->u.s.ptr, v->u.s.len, ATR__ESC_BARE);
    } else {
        render_value_depth(sb, v, 1, 1, UINT32_MAX);
    }
}

/* Code points of UTF-8 text (invalid bytes count one each). */
static size_t count_chars(const char *p, size_t n) { return atr__utf8_width(p, n); }

void atr__render_value_fit(atr__sbuf *sb, const atr_value *v, size_t maxv) {
    if (maxv == 0) {
        atr__render_value(sb, v);
        return;
    }
    size_t from = sb->len;
    int trunc = value_truncated(v);
    render_value_depth(sb, v, 0, !trunc, UINT32_MAX);
    char what[48] = "", num[32];
    if (trunc) {
        /* the log holds only the start: keep it and say how long the value was */
        atr__fmt_count(num, sizeof num, v->u.s.true_len);
        snprintf(what, sizeof what, " (%s bytes)", num);
        size_t nw = atr__utf8_width(what, strlen(what));
        if (sb->oom || atr__utf8_width(sb->ptr + from, sb->len - from) + nw + 1 > maxv)
            atr__sb_fit(sb, from, maxv > nw + 8 ? maxv - nw : 8);
        else
            atr__sb_puts(sb, "…");
        atr__sb_puts(sb, what);
        return;
    }
    if (sb->oom || atr__utf8_width(sb->ptr + from, sb->len - from) <= maxv)
        return;
    /* a summarizer's object: its entries' values tell such objects apart, "<(300, 300) f8>" */
    if (atr__value_all_entries(v)) {
        sb->len = from;
        atr__sb_putc(sb, '<');
        for (uint32_t i = 0; i < v->n_items; i++) {
            atr__sb_puts(sb, i ? " " : "");
            render_compact(sb, &v->u.sum.items[i].u.sum.items[0]);
        }
        atr__sb_putc(sb, '>');
        atr__sb_fit(sb, from, maxv);
        return;
    }
    if (v->kind == ATR_V_SUMMARY && fit_items(sb, from, v, maxv))
        return;
    if (v->kind == ATR_V_SUMMARY && v->n_items > 0) {
        /* not even its type and length with every item elided: keep its start */
        atr__sb_fit(sb, from, maxv);
        return;
    }
    if (v->kind == ATR_V_STR || v->kind == ATR_V_BYTES) {
        atr__fmt_count(num, sizeof num,
                       v->kind == ATR_V_STR ? count_chars(v->u.s.ptr, v->u.s.len) : v->u.s.len);
        snprintf(what, sizeof what, "%s %s", num, v->kind == ATR_V_STR ? "chars" : "bytes");
    } else if (v->kind == ATR_V_REPR) {
        atr__fmt_count(num, sizeof num, count_chars(v->u.s.ptr, v->u.s.len));
        snprintf(what, sizeof what, "%s chars", num);
    }
    atr__sb_fit_mid(sb, from, maxv, what[0] ? what : NULL);
}

/* Byte offset in s[0..n) after `cols` code points. */
static size_t skip_cols(const char *s, size_t n, size_t cols) {
    size_t i = 0;
    while (i < n && cols > 0) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        cols--;
    }
    return i;
}

/* Bytes of the escape sequence at s[0..n), s[0] a backslash (atr__esc_text's forms, and
   Python's in a representation): \xHH, \uHHHH, \UHHHHHHHH, else the backslash and one byte. */
static size_t esc_len(const char *s, size_t n) {
    size_t len = n < 2 ? 1 : s[1] == 'x' ? 4 : s[1] == 'u' ? 6 : s[1] == 'U' ? 10 : 2;
    return len < n ? len : n;
}

/* Byte offset `at` of rendered text s[0..n) moved out of the escape sequence it falls inside
   (every backslash of a rendered value starts one): to the escape's start (a cut keeping what
   comes before) or, with after, its end (a cut keeping what follows). "…', 3)'" was the tail
   of "…\', 3)'" cut after its backslash: a quote that read as the value's end. */
static size_t esc_boundary(const char *s, size_t n, size_t at, int after) {
    size_t i = 0;
    while (i < at) {
        if (s[i] != '\\') {
            i++;
            continue;
        }
        size_t len = esc_len(s + i, n - i);
        if (i + len > at)
            return after ? i + len : i;
        i += len;
    }
    return at;
}

void atr__sb_fit_mid(atr__sbuf *sb, size_t from, size_t maxw, const char *what) {
    if (sb->oom || from > sb->len || maxw == 0)
        return;
    char *text = sb->ptr + from;
    size_t n = sb->len - from, w = atr__utf8_width(text, n);
    if (w <= maxw)
        return;
    char note[64] = "…";
    if (what && what[0])
        snprintf(note, sizeof note, "…(%s)…", what);
    size_t nw = atr__utf8_width(note, strlen(note));
    if (maxw < nw + 6) { /* no room to say how long: a bare "…" */
        strcpy(note, "…");
        nw = 1;
    }
    if (maxw < nw + 2) {
        atr__sb_fit(sb, from, maxw);
        return;
    }
    size_t avail = maxw - nw, head = (avail * 3 + 4) / 5, tail = avail - head;
    size_t head_end = esc_boundary(text, n, skip_cols(text, n, head), 0);
    size_t tail_start = esc_boundary(text, n, skip_cols(text, n, w - tail), 1);
    atr__sbuf out = ATR__SBUF_INIT;
    atr__sb_add(&out, text, head_end);
    atr__sb_puts(&out, note);
    atr__sb_add(&out, text + tail_start, n - tail_start);
    if (out.oom) {
        atr__sb_free(&out);
        atr__sb_fit(sb, from, maxw);
        return;
    }
    sb->len = from;
    atr__sb_add(sb, out.ptr, out.len);
    atr__sb_free(&out);
}

void atr__sb_fit_left(atr__sbuf *sb, size_t from, size_t maxw) {
    if (sb->oom || from > sb->len || maxw < 2)
        return;
    const char *text = sb->ptr + from;
    size_t n = sb->len - from, w = atr__utf8_width(text, n);
    if (w <= maxw)
        return;
    size_t i = skip_cols(text, n, w - (maxw - 1));
    /* start at a name boundary when one is left: "…build_records", not "…ain__.build_re…" */
    const char *dot = memchr(text + i, '.', n - i);
    /* ... unless that drops a good part of a class name ("…tSplitter._split", not
       "…_split"; but "…check_rows", not "…r.check_rows") */
    size_t at = dot ? (size_t)(dot - text) : n;
    int boundary = i > 0 && text[i - 1] == '.'; /* the cut fell on one */
    if (!boundary && dot && at + 1 < n && (at - i < 6 || memchr(dot + 1, '.', n - at - 1)))
        i = at + 1;
    atr__sbuf out = ATR__SBUF_INIT;
    atr__sb_puts(&out, "…");
    atr__sb_add(&out, text + i, n - i);
    if (!out.oom) {
        sb->len = from;
        atr__sb_add(sb, out.ptr, out.len);
    }
    atr__sb_free(&out);
}

void atr__fmt_dur(char *buf, size_t size, uint64_t ns) {
    static const char *const units[] = {"ns", "µs", "ms", "s"};
    if (ns < 1000) {
        snprintf(buf, size, "%" PRIu64 " ns", ns);
        return;
    }
    double x = (double)ns;
    size_t u = 0;
    while (u < 3 && x >= 999.5) {
        x /= 1000.0;
        u++;
    }
    if (x >= 99.95)
        snprintf(buf, size, "%.0f %s", x, units[u]);
    else if (x >= 9.995)
        snprintf(buf, size, "%.1f %s", x, units[u]);
    else
        snprintf(buf, size, "%.2f %s", x, units[u]);
}

void atr__fmt_count(char *buf, size_t size, uint64_t n) {
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%" PRIu64, n);
    size_t o = 0;
    for (int i = 0; i < nd && o + 1 < size; i++) {
        if (i > 0 && (nd - i) % 3 == 0 && o + 2 < size)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    if (size)
        buf[o < size ? o : size - 1] = '\0';
}

void atr__sb_dur(atr__sbuf *sb, uint64_t ns) {
    char buf[32];
    atr__fmt_dur(buf, sizeof buf, ns);
    atr__sb_puts(sb, buf);
}

void atr__sb_count(atr__sbuf *sb, uint64_t n) {
    char buf[32];
    atr__fmt_count(buf, sizeof buf, n);
    atr__sb_puts(sb, buf);
}

void atr__sb_fit(atr__sbuf *sb, size_t from, size_t maxw) {
    if (sb->oom || from > sb->len || maxw == 0)
        return;
    if (atr__utf8_width(sb->ptr + from, sb->len - from) <= maxw)
        return;
    size_t w = 0, i = from;
    while (i < sb->len) {
        if (((unsigned char)sb->ptr[i] & 0xC0) != 0x80) {
            if (w == maxw - 1)
                break;
            w++;
        }
        i++;
    }
    i = from + esc_boundary(sb->ptr + from, sb->len - from, i - from, 0);
    sb->len = i;
    sb->ptr[i] = '\0';
    atr__sb_puts(sb, "…");
}

void atr__sb_fit_keep(atr__sbuf *sb, size_t from, size_t tail, size_t maxw) {
    if (sb->oom || from > tail || tail > sb->len)
        return;
    size_t tail_w = atr__utf8_width(sb->ptr + tail, sb->len - tail);
    if (maxw < tail_w + 16 || atr__utf8_width(sb->ptr + from, sb->len - from) <= maxw) {
        atr__sb_fit(sb, from, maxw);
        return;
    }
    char *kept = strndup(sb->ptr + tail, sb->len - tail);
    if (!kept) {
        sb->oom = 1;
        return;
    }
    sb->len = tail;
    sb->ptr[tail] = '\0';
    atr__sb_fit(sb, from, maxw - tail_w);
    atr__sb_puts(sb, kept);
    free(kept);
}

void atr__sb_right(atr__sbuf *sb, const char *text, size_t width) {
    size_t w = atr__utf8_width(text, strlen(text));
    if (w < width)
        atr__sb_pad(sb, ' ', width - w);
    atr__sb_puts(sb, text);
}

void atr__sb_left(atr__sbuf *sb, const char *text, size_t width) {
    size_t w = atr__utf8_width(text, strlen(text));
    atr__sb_puts(sb, text);
    if (w < width)
        atr__sb_pad(sb, ' ', width - w);
}

void atr__sb_fit_middle(atr__sbuf *sb, size_t from, size_t maxw, uint64_t len) {
    char what[48], cnt[32];
    if (len) {
        atr__fmt_count(cnt, sizeof cnt, len);
        snprintf(what, sizeof what, "len %s", cnt);
    }
    if (len && !sb->oom && from <= sb->len && maxw > 0 &&
        atr__utf8_width(sb->ptr + from, sb->len - from) > maxw) {
        /* too narrow for "start…(len N)…end" (atr__sb_fit_mid would drop the length): the
           length is what tells long values apart, so "start…(len N)" while 2 columns of the
           start fit ("'[s…(len 12,379)" rather than "'[section…bytes)") */
        char tail[64];
        snprintf(tail, sizeof tail, "(%s)", what);
        size_t tw = atr__utf8_width(tail, strlen(tail)); /* and the "…" before it */
        if (maxw < tw + 1 + 1 + 6 && maxw >= tw + 1 + 2) {
            atr__sb_fit(sb, from, maxw - tw);
            atr__sb_puts(sb, tail);
            return;
        }
    }
    atr__sb_fit_mid(sb, from, maxw, len ? what : NULL);
}
