/*
 * Labels of exact str/bytes groups that a person can tell apart. Long strings (SQL, markup)
 * often share a long prefix, so the first 40 characters of twelve groups read the same. A
 * long value's label is instead its excerpt around the first character where it differs from
 * every other group's value (its distinguishing position: the longest common prefix with its
 * neighbours in sorted order), after the first few characters, with its length:
 *
 *     SELECT…a.region = 9 AND b.to… (len 139)
 *
 * Runs of whitespace read as one space (newlines of SQL would otherwise fill the label with
 * escapes); other control characters are escaped as \xNN. Strings of at most SHORT
 * characters keep the plain label (the value itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/argscore_int.h"

#define SHORT 30   /* bytes: shorter values are their own label */
#define HEAD 6     /* bytes of the start kept before the distinguishing part */
#define CONTEXT 10 /* bytes before the distinguishing position (then back to a word start) */
#define WINDOW 18  /* bytes shown from there */
#define SCAN 65536 /* bytes of a value compared */

typedef struct ex {
    char *t; /* collapsed text (owned) */
    size_t n;
    uint64_t len; /* the value's true length */
    int changed;  /* collapsing or truncation changed it */
    uint32_t g;   /* group */
} ex;

static int cmp_ex(const void *x, const void *y) {
    const ex *a = x, *b = y;
    size_t n = a->n < b->n ? a->n : b->n;
    int c = memcmp(a->t, b->t, n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

static size_t lcp(const ex *a, const ex *b) {
    size_t n = a->n < b->n ? a->n : b->n, i = 0;
    while (i < n && a->t[i] == b->t[i])
        i++;
    return i;
}

static int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Move a byte offset back to the start of a UTF-8 character. */
static size_t char_start(const char *t, size_t n, size_t i) {
    while (i > 0 && i < n && ((unsigned char)t[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* Append t[from, to) to out escaped (control characters as \xNN). */
static void put(char *out, size_t size, const char *t, size_t from, size_t to) {
    size_t k = strlen(out);
    for (size_t i = from; i < to && k + 5 < size; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x20 || c == 0x7f || c == '\\')
            k += (size_t)snprintf(out + k, size - k, "\\x%02x", c);
        else
            out[k++] = (char)c;
    }
    out[k] = '\0';
}

void atr__fmt_grouped(char *buf, size_t size, long long n) {
    char digits[32];
    unsigned long long u = n < 0 ? 0ull - (unsigned long long)n : (unsigned long long)n;
    int len = snprintf(digits, sizeof digits, "%llu", u), k = 0;
    char out[48];
    if (n < 0)
        out[k++] = '-';
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
    snprintf(buf, size, "%s", out);
}

static void excerpt(const ex *e, size_t p, char *out, size_t size) {
    static const char ell[] = "\xe2\x80\xa6";
    out[0] = '\0';
    size_t budget = HEAD + 1 + WINDOW; /* what fits when the difference is early */
    if (p + 4 <= budget) {
        size_t end = char_start(e->t, e->n, e->n < budget ? e->n : budget);
        put(out, size, e->t, 0, end);
        if (end < e->n || e->len > e->n)
            strncat(out, ell, size - strlen(out) - 1);
    } else {
        size_t h = char_start(e->t, e->n, HEAD);
        size_t from = p - CONTEXT, w = 0;
        while (w < 6 && from > HEAD && e->t[from - 1] != ' ')
            from--, w++;
        if (w == 6)
            from += 6;
        from = char_start(e->t, e->n, from);
        size_t to =
            char_start(e->t, e->n, p - CONTEXT + WINDOW < e->n ? p - CONTEXT + WINDOW : e->n);
        while (to > from + 1 && to < e->n && e->t[to - 1] == ' ')
            to--; /* no space before the ellipsis */
        put(out, size, e->t, 0, h);
        strncat(out, ell, size - strlen(out) - 1);
        put(out, size, e->t, from, to);
        if (to < e->n)
            strncat(out, ell, size - strlen(out) - 1);
    }
    char len[48];
    size_t k = strlen(out);
    atr__fmt_grouped(len, sizeof len, (long long)e->len);
    snprintf(out + k, size - k, " (len %s)", len);
}

int atr__excerpt_labels(const atr_index *ix, atr__group *groups, uint32_t ng) {
    ex *e = calloc(ng ? ng : 1, sizeof(ex));
    uint32_t n = 0;
    int rc = 0;
    if (!e)
        return ATR_ENOMEM;
    for (uint32_t g = 0; g < ng; g++) {
        atr_value v;
        if (groups[g].g.value == ATR_NO_VALUE ||
            atr__values_get(&ix->vals, groups[g].g.value, &v) != 0 ||
            !(v.kind == ATR_V_STR || v.kind == ATR_V_BYTES || v.kind == ATR_V_REPR))
            continue;
        size_t len = v.u.s.len < SCAN ? (size_t)v.u.s.len : SCAN;
        char *t = malloc(len + 1);
        if (!t) {
            rc = ATR_ENOMEM;
            goto out;
        }
        size_t k = 0;
        int changed = len < v.u.s.len || v.u.s.true_len > v.u.s.len;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)v.u.s.ptr[i];
            if (is_ws(c)) {
                if (k && t[k - 1] == ' ') {
                    changed = 1;
                    continue;
                }
                changed |= c != ' ';
                c = ' ';
            }
            t[k++] = (char)c;
        }
        e[n++] = (ex){t, k, v.u.s.true_len > v.u.s.len ? v.u.s.true_len : v.u.s.len, changed, g};
    }
    qsort(e, n, sizeof(ex), cmp_ex);
    for (uint32_t i = 0; i < n; i++) {
        if (!e[i].changed && e[i].n <= SHORT)
            continue;
        size_t p = 0, q;
        if (i > 0 && (q = lcp(&e[i], &e[i - 1])) > p)
            p = q;
        if (i + 1 < n && (q = lcp(&e[i], &e[i + 1])) > p)
            p = q;
        char label[256];
        excerpt(&e[i], p, label, sizeof(label));
        char *d = strdup(label);
        if (!d) {
            rc = ATR_ENOMEM;
            goto out;
        }
        atr__group *G = &groups[e[i].g];
        free(G->label_buf);
        G->label_buf = d;
        G->g.label = d;
    }
out:
    for (uint32_t i = 0; i < n; i++)
        free(e[i].t);
    free(e);
    return rc;
}
