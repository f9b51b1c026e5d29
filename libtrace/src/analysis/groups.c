/*
 * Per-argument groups: classify values into buckets (kinds, keys), then build the groups
 * shown to users — counts, percentiles, histograms, a label and a filter expression that
 * selects the group (so the viewer can jump to a group's calls).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/argscore_int.h"

static int is_num(uint32_t k) {
    return k == ATR_V_INT || k == ATR_V_UINT || k == ATR_V_FLOAT || k == ATR_V_BIGINT ||
           k == ATR_V_BOOL;
}

/* A value's length for len(): str/bytes/repr and containers; -1 if it has none. */
static int64_t value_len(const atr_value *v, int containers_only) {
    if (v->kind == ATR_V_SUMMARY)
        return v->u.sum.length;
    if (containers_only ||
        !(v->kind == ATR_V_STR || v->kind == ATR_V_BYTES || v->kind == ATR_V_REPR))
        return -1;
    return (int64_t)(v->u.s.true_len > v->u.s.len ? v->u.s.true_len : v->u.s.len);
}

uint32_t atr__classify(const atr__ascore_ctx *cx, atr__arg *a, const uint32_t *tokens, double *key,
                       uint8_t *cls, uint16_t *b) {
    const atr_index *ix = cx->ix;
    if (a->kind == ATR__K_CUSTOM) {
        for (uint64_t i = 0; i < cx->m; i++) {
            int has = a->num && isfinite(a->num[i]) && tokens[i] != ATR_NO_VALUE;
            cls[i] = has ? ATR__CLS_KEY : ATR__CLS_FIXED;
            key[i] = has ? a->num[i] : 0;
            b[i] = has ? 0 : ATR__B_MISSING;
        }
        return a->num ? ATR_GROUP_RANGE : ATR_GROUP_EXACT;
    }
    const uint32_t *vids = a->vals ? a->vals : tokens;
    uint64_t n_num = 0, n_text = 0, n_bytes = 0, n_sum = 0, n_nonnil = 0;
    int one_sum_type = 1;
    atr_str st = {"", 0};
    atr_value v;
    for (uint64_t i = 0; i < cx->m && a->kind == ATR__K_ARG; i++) {
        if (vids[i] == ATR_NO_VALUE || atr__values_get(&ix->vals, vids[i], &v))
            continue;
        if (v.kind == ATR_V_NIL)
            continue;
        n_nonnil++;
        if (is_num(v.kind))
            n_num++;
        else if (v.kind == ATR_V_STR || v.kind == ATR_V_REPR)
            n_text++;
        else if (v.kind == ATR_V_BYTES)
            n_bytes++;
        else if (v.kind == ATR_V_SUMMARY) {
            if (n_sum++ == 0) {
                st.ptr = v.u.sum.type;
                st.len = v.u.sum.type_len;
            } else if (st.len != v.u.sum.type_len || memcmp(st.ptr, v.u.sum.type, st.len) != 0)
                one_sum_type = 0;
        }
    }
    uint32_t mode = ATR_GROUP_TYPE;
    if (n_nonnil && n_num == n_nonnil)
        mode = ATR_GROUP_RANGE;
    else if (n_nonnil && (n_text == n_nonnil || n_bytes == n_nonnil))
        mode = ATR_GROUP_LENGTH;
    else if (n_nonnil && n_sum == n_nonnil && one_sum_type) {
        mode = ATR_GROUP_LENGTH;
        a->sum_type = st;
    }
    if (a->kind == ATR__K_LEN || a->kind == ATR__K_ITEMS)
        mode = ATR_GROUP_LENGTH;
    else if (a->kind == ATR__K_TYPE)
        mode = ATR_GROUP_TYPE;
    uint32_t n_types = 0;
    for (uint64_t i = 0; i < cx->m; i++) {
        cls[i] = ATR__CLS_FIXED;
        key[i] = 0;
        if (vids[i] == ATR_NO_VALUE || atr__values_get(&ix->vals, vids[i], &v)) {
            b[i] = ATR__B_MISSING;
            continue;
        }
        if (v.kind == ATR_V_NIL) {
            b[i] = ATR__B_NONE;
            continue;
        }
        if (mode == ATR_GROUP_RANGE) {
            cls[i] = ATR__CLS_KEY;
            key[i] = atr__value_number(&v);
            b[i] = 0;
            if (isnan(key[i])) {
                cls[i] = ATR__CLS_FIXED;
                b[i] = ATR__B_MISSING;
            } else if (isinf(key[i])) { /* keeps the log-scale arithmetic finite */
                key[i] = key[i] > 0 ? DBL_MAX : -DBL_MAX;
            }
            continue;
        }
        if (mode == ATR_GROUP_LENGTH) {
            int64_t len = value_len(&v, a->kind == ATR__K_ITEMS);
            if (len >= 0) {
                cls[i] = ATR__CLS_KEY;
                key[i] = (double)len;
                b[i] = 0;
                continue;
            }
        }
        /* By type name. */
        atr_str t = atr__value_type(&v);
        uint32_t k;
        for (k = 0; k < n_types; k++)
            if (a->types[k].len == t.len && memcmp(a->types[k].ptr, t.ptr, t.len) == 0)
                break;
        if (k == n_types && n_types < ATR__NB_TOTAL - ATR__B_TYPE0 - 1)
            a->types[n_types++] = t;
        else if (k == n_types)
            k = ATR__NB_TOTAL - ATR__B_TYPE0 - 1; /* "other types" */
        if (k == ATR__NB_TOTAL - ATR__B_TYPE0 - 1)
            a->types[k] = (atr_str){"other", 5};
        b[i] = (uint16_t)(ATR__B_TYPE0 + k);
    }
    return mode;
}

/* ---- labels and filters ---- */

static void put_escaped(char *out, size_t size, const char *p, size_t n, int quote) {
    size_t k = 0;
    if (quote && k + 1 < size)
        out[k++] = '"';
    for (size_t i = 0; i < n && k + 5 < size; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f || (quote && (c == '"' || c == '\\')) || (!quote && c == '\\')) {
            k += (size_t)snprintf(out + k, size - k, "\\x%02x", c);
        } else {
            out[k++] = (char)c;
        }
    }
    if (quote && k + 1 < size)
        out[k++] = '"';
    out[k < size ? k : size - 1] = '\0';
}

void atr__label_value(const atr_value *v, char *out, size_t size) {
    const char *key;
    size_t key_len;
    if (size > 8 && atr_value_entry_key(v, &key, &key_len)) { /* a summarizer's: key=value */
        put_escaped(out, size - 1, key, key_len < 24 ? key_len : 24, 0);
        size_t k = strlen(out);
        out[k++] = '=';
        out[k] = '\0';
        atr__label_value(&v->u.sum.items[0], out + k, size - k);
        return;
    }
    switch (v->kind) {
    case ATR_V_NIL:
        snprintf(out, size, "None");
        break;
    case ATR_V_BOOL:
        snprintf(out, size, "%s", v->u.b ? "True" : "False");
        break;
    case ATR_V_INT:
        snprintf(out, size, "%lld", (long long)v->u.i);
        break;
    case ATR_V_UINT:
        snprintf(out, size, "%llu", (unsigned long long)v->u.u);
        break;
    case ATR_V_FLOAT:
        snprintf(out, size, "%.6g", v->u.f);
        break;
    case ATR_V_SUMMARY: {
        if (v->u.sum.length >= 0) {
            char len[48];
            atr__fmt_grouped(len, sizeof len, (long long)v->u.sum.length);
            snprintf(out, size, "%.*s len %s",
                     (int)(v->u.sum.type_len < 60 ? v->u.sum.type_len : 60), v->u.sum.type, len);
        } else
            snprintf(out, size, "%.*s", (int)(v->u.sum.type_len < 60 ? v->u.sum.type_len : 60),
                     v->u.sum.type);
        /* Its leading items, so that two containers of one length read differently; a
           summarizer's entries (the values that tell two objects of one type apart) have
           more room: their keys and values, nested ones with their leading items. */
        size_t k = strlen(out), shown = 0;
        for (uint32_t i = 0; i < v->n_items && v->u.sum.items && k + 24 < size; i++) {
            char item[64];
            const atr_value *it = &v->u.sum.items[i];
            int entry = atr_value_entry_key(it, &key, &key_len);
            if (entry)
                atr__label_value(it, item, sizeof item);
            else if (it->kind == ATR_V_SUMMARY) /* nested: type and length only */
                snprintf(item, sizeof(item), "%.*s",
                         (int)(it->u.sum.type_len < 20 ? it->u.sum.type_len : 20), it->u.sum.type);
            else
                atr__label_value(it, item, 20);
            if (k + strlen(item) + 8 >= size || k > (entry ? 120u : 40u))
                break;
            k += (size_t)snprintf(out + k, size - k, "%s%s", i ? ", " : ": ", item);
            shown++;
        }
        if (shown && (shown < v->n_items || (int64_t)shown < v->u.sum.length))
            strncat(out, ", \xe2\x80\xa6", size - strlen(out) - 1);
        break;
    }
    case ATR_V_REDACTED:
        snprintf(out, size, "(redacted)");
        break;
    case ATR_V_ERROR:
        snprintf(out, size, "(capture error)");
        break;
    case ATR_V_UNKNOWN:
        snprintf(out, size, "(unknown)");
        break;
    default: {
        size_t n = v->u.s.len < 40 ? v->u.s.len : 40;
        put_escaped(out, size > 8 ? size - 4 : size, v->u.s.ptr, n, 0);
        if (n < v->u.s.true_len || n < v->u.s.len)
            strncat(out, "\xe2\x80\xa6", size - strlen(out) - 1);
        break;
    }
    }
}

/* An entry's value, short: a tuple or list with all its items as "(300, 300)" or "[1, 2]",
   else its label. */
static void label_entry_value(const atr_value *v, char *out, size_t size) {
    int tuple = v->kind == ATR_V_SUMMARY && v->u.sum.type_len == 5 &&
                memcmp(v->u.sum.type, "tuple", 5) == 0;
    int list =
        v->kind == ATR_V_SUMMARY && v->u.sum.type_len == 4 && memcmp(v->u.sum.type, "list", 4) == 0;
    if (!(tuple || list) || v->u.sum.length != (int64_t)v->n_items || size < 8) {
        atr__label_value(v, out, size);
        return;
    }
    size_t k = 0;
    out[k++] = tuple ? '(' : '[';
    out[k] = '\0';
    for (uint32_t i = 0; i < v->n_items && k + 8 < size; i++) {
        if (i)
            k += (size_t)snprintf(out + k, size - k, ", ");
        atr__label_value(&v->u.sum.items[i], out + k, size - k - 4);
        k = strlen(out);
    }
    snprintf(out + k, size - k, "%s", tuple ? (v->n_items == 1 ? ",)" : ")") : "]");
}

const char *atr__label_short(const atr_index *ix, const atr_arg_group *g, char *buf, size_t size) {
    atr_value v;
    const char *key;
    size_t key_len;
    if (g->value == ATR_NO_VALUE || atr__values_get(&ix->vals, g->value, &v) != 0 ||
        v.kind != ATR_V_SUMMARY || v.n_items == 0 || !v.u.sum.items || size < 16)
        return g->label;
    for (uint32_t i = 0; i < v.n_items; i++)
        if (!atr_value_entry_key(&v.u.sum.items[i], &key, &key_len))
            return g->label;
    size_t k = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < v.n_items && k + 8 < size; i++) {
        if (i)
            buf[k++] = ' ';
        label_entry_value(&v.u.sum.items[i].u.sum.items[0], buf + k, size - k);
        k = strlen(buf);
    }
    return buf;
}

static const char *reserved[] = {"duration", "self", "exception", "result", "unfinished",
                                 "len",      "type", "None",      "True",   "False"};

/* The argument's name as a filter expects it, or NULL if it cannot be written. */
static const char *filter_name(const atr__arg *a, char *buf, size_t size) {
    if (a->kind == ATR__K_CUSTOM || a->no_filter)
        return NULL;
    if (a->s.param == -1)
        return "result";
    if (a->s.param < 0)
        return NULL;
    atr_str n = a->kind == ATR__K_ARG ? a->s.name : a->base;
    if (n.len == 0 || n.len + 5 > size)
        return NULL;
    for (size_t i = 0; i < n.len; i++) {
        char c = n.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '*' || (unsigned char)c >= 0x80))
            return NULL;
    }
    int res = 0;
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strlen(reserved[i]) == n.len && memcmp(reserved[i], n.ptr, n.len) == 0)
            res = 1;
    snprintf(buf, size, "%s%.*s", res ? "arg." : "", (int)n.len, n.ptr);
    return buf;
}

/* exact: for a filter (bare digits, all of them); else for a label (separators). */
static void fmt_num(double x, char *buf, size_t size, int exact) {
    if (x == floor(x) && fabs(x) < 1e15 && !exact)
        atr__fmt_grouped(buf, size, (long long)x);
    else if (x == floor(x) && fabs(x) < 1e15) /* filters take bare digits */
        snprintf(buf, size, "%.0f", x);
    else
        snprintf(buf, size, exact ? "%.17g" : "%.4g", x);
}

/* `by_len`: a text too long to write is selected by its length (arguments: len() applies). */
static void exact_filter(const char *name, const atr_value *v, int by_len, char *out, size_t size) {
    char lit[600];
    out[0] = '\0';
    switch (v->kind) {
    case ATR_V_NIL:
    case ATR_V_BOOL:
    case ATR_V_INT:
    case ATR_V_UINT:
        atr__label_value(v, lit, sizeof(lit));
        break;
    case ATR_V_FLOAT:
        if (!isfinite(v->u.f))
            return;
        snprintf(lit, sizeof(lit), "%.17g", v->u.f);
        break;
    case ATR_V_STR:
    case ATR_V_BYTES:
    case ATR_V_REPR:
        if ((v->u.s.true_len > v->u.s.len || v->u.s.len > 120) && !by_len)
            return;
        if (v->u.s.true_len > v->u.s.len || v->u.s.len > 120) {
            /* too long to write (or cut by the capture): its length, which tells it from the
               other groups' (a length two groups share is dropped, drop_shared_filters) */
            snprintf(
                out, size, "len(%s)=%llu", name,
                (unsigned long long)(v->u.s.true_len > v->u.s.len ? v->u.s.true_len : v->u.s.len));
            return;
        }
        put_escaped(lit, sizeof(lit), v->u.s.ptr, v->u.s.len, 1);
        break;
    case ATR_V_SUMMARY:
        if (v->u.sum.length >= 0 && v->u.sum.type_len < 100)
            snprintf(out, size, "type(%s)=%.*s len(%s)=%lld", name, (int)v->u.sum.type_len,
                     v->u.sum.type, name, (long long)v->u.sum.length);
        return;
    default:
        return;
    }
    snprintf(out, size, "%s=%s", name, lit);
}

/* Label and filter of group g (bucket `bk`, or exact value `vid`). */
static int describe(const atr__ascore_ctx *cx, const atr__arg *a, atr__group *g, uint32_t bk,
                    uint32_t vid) {
    char label[256], filt[800], nb[300], lo[64], hi[64];
    const char *name = filter_name(a, nb, sizeof(nb));
    atr_value v;
    label[0] = filt[0] = '\0';
    if (bk == ATR__B_MISSING) {
        snprintf(label, sizeof(label), "%s",
                 a->s.param == -2                               ? "(no exception)"
                 : a->s.param == -1                             ? "(no result)"
                 : a->kind == ATR__K_LEN                        ? "(no length)"
                 : a->kind == ATR__K_ITEMS                      ? "(not a container)"
                 : a->kind == ATR__K_CUSTOM && a->s.param == -3 ? "(no key)"
                 : a->keyword && a->kind != ATR__K_CUSTOM       ? "(not passed)"
                                                                : "(not captured)");
        if (a->s.param == -2)
            snprintf(filt, sizeof(filt), "!exception");
    } else if (a->s.param == -2) {
        atr__values_get(&cx->ix->vals, vid, &v);
        atr__label_value(&v, label, sizeof(label));
        exact_filter("exception", &v, 0, filt, sizeof(filt));
    } else if (a->s.mode == ATR_GROUP_EXACT && a->kind == ATR__K_CUSTOM) {
        snprintf(label, sizeof(label), "%s", a->tok_label ? a->tok_label[vid] : "?");
        if (a->tok_filter && a->tok_filter[vid])
            snprintf(filt, sizeof(filt), "%s", a->tok_filter[vid]);
    } else if (a->s.mode == ATR_GROUP_EXACT && a->kind != ATR__K_ARG) { /* len, items */
        snprintf(label, sizeof(label), "%s %u", a->kind == ATR__K_ITEMS ? "items" : "len", vid);
        if (name)
            snprintf(filt, sizeof(filt), "len(%s)=%u", name, vid);
    } else if (a->s.mode == ATR_GROUP_EXACT || bk == ATR__B_NONE) {
        if (bk == ATR__B_NONE)
            v = atr_value_nil();
        else
            atr__values_get(&cx->ix->vals, vid, &v);
        atr__label_value(&v, label, sizeof(label));
        if (name)
            exact_filter(name, &v, /* len(NAME) takes a parameter's own name */
                         a->s.param >= 0 && a->kind == ATR__K_ARG && strncmp(name, "arg.", 4) != 0,
                         filt, sizeof(filt));
    } else if (bk < ATR__NB_RANGE) {
        int len = a->s.mode == ATR_GROUP_LENGTH;
        double nlo, nhi;
        atr__nice_range(g->kmin, g->kmax, g->below, g->above, &nlo, &nhi);
        fmt_num(nlo, lo, sizeof(lo), 0);
        fmt_num(nhi, hi, sizeof(hi), 0);
        snprintf(label, sizeof(label), "%.*s%s%s%s%s", (int)a->sum_type.len, a->sum_type.ptr,
                 a->sum_type.len ? " " : "",
                 !len                      ? ""
                 : a->kind == ATR__K_ITEMS ? "items "
                                           : "len ",
                 lo, g->kmin == g->kmax ? "" : "\xe2\x80\x93");
        if (g->kmin != g->kmax)
            strncat(label, hi, sizeof(label) - strlen(label) - 1);
        fmt_num(g->kmin, lo, sizeof(lo), 1);
        fmt_num(g->kmax, hi, sizeof(hi), 1);
        if (name && !(len && a->s.param < 0))
            snprintf(filt, sizeof(filt), len ? "len(%s)>=%s len(%s)<=%s" : "%s>=%s %s<=%s", name,
                     lo, name, hi);
    } else {
        atr_str t = a->types[bk - ATR__B_TYPE0];
        put_escaped(label, sizeof(label), t.ptr, t.len < 100 ? t.len : 100, 0);
        if (name && a->s.param >= 0 && strcmp(label, "other") != 0 && !strchr(label, '\\') &&
            !strchr(label, ' ') && t.len < 100)
            snprintf(filt, sizeof(filt), "type(%s)=%s", name, label);
    }
    g->label_buf = strdup(label);
    g->filter_buf = strdup(filt);
    if (!g->label_buf || !g->filter_buf)
        return ATR_ENOMEM;
    g->g.label = g->label_buf;
    g->g.filter = g->filter_buf;
    return 0;
}

void atr__hist_edges(uint64_t mn, uint64_t mx, uint64_t *edges) {
    double lo = mn < 1 ? 1 : (double)mn, hi = mx < 1 ? 1 : (double)mx;
    for (int k = 0; k <= ATR_HIST_BINS; k++)
        edges[k] = (uint64_t)llround(lo * pow(hi / lo, (double)k / ATR_HIST_BINS));
    edges[0] = mn;
    edges[ATR_HIST_BINS] = mx;
}

static uint32_t hist_bin(const uint64_t *edges, uint64_t d) {
    uint32_t k = ATR_HIST_BINS - 1;
    while (k > 0 && d < edges[k])
        k--;
    return k;
}

static int cmp_group(const void *x, const void *y) {
    const atr__group *a = x, *b = y;
    if (a->g.p50_ns != b->g.p50_ns)
        return a->g.p50_ns > b->g.p50_ns ? -1 : 1;
    if (a->g.calls != b->g.calls)
        return a->g.calls > b->g.calls ? -1 : 1;
    return strcmp(a->g.label, b->g.label);
}

static int cmp_filter(const void *x, const void *y) {
    return strcmp((*(atr__group *const *)x)->g.filter, (*(atr__group *const *)y)->g.filter);
}

/* A filter two groups share selects neither exactly (containers of one type and length
   whose items differ): those groups get none. */
static int drop_shared_filters(atr__group *groups, uint64_t ng) {
    atr__group **p = malloc((size_t)(ng ? ng : 1) * sizeof(*p));
    if (!p)
        return ATR_ENOMEM;
    for (uint64_t g = 0; g < ng; g++)
        p[g] = &groups[g];
    qsort(p, ng, sizeof(*p), cmp_filter);
    for (uint64_t g = 0; g < ng;) {
        uint64_t h = g + 1;
        while (h < ng && strcmp(p[h]->g.filter, p[g]->g.filter) == 0)
            h++;
        for (uint64_t k = g; h - g > 1 && k < h; k++)
            p[k]->filter_buf[0] = '\0';
        g = h;
    }
    free(p);
    return 0;
}

/* What a call's group is looked up by: its exact value (id), or its bucket. */
static uint32_t group_key(int exact, const uint32_t *vids, const uint16_t *b, uint64_t i) {
    return exact ? (vids[i] == ATR_NO_VALUE ? UINT32_MAX - 1 : vids[i]) : b[i];
}

/* The group of call i, once every group exists: by bucket (bg) or exact value (map). Looked
   up again on each pass rather than kept: 4 bytes per call less. */
static uint32_t group_of(const atr__u32map *map, const uint32_t *bg, int exact,
                         const uint32_t *vids, const uint16_t *b, uint64_t i) {
    return exact ? *atr__u32map_get(map, group_key(1, vids, b, i)) : bg[b[i]];
}

int atr__build_groups(const atr__ascore_ctx *cx, atr__arg *a, const uint32_t *vids, double **keyp,
                      const uint8_t *cls, const uint16_t *b) {
    uint64_t m = cx->m;
    int rc = ATR_ENOMEM;
    const double *key = *keyp;
    uint64_t *dur = NULL;       /* durations by group, 64-bit when one of them needs it */
    uint32_t *dur32 = NULL;     /* ... or 32-bit (under 4.3 s): 4 bytes per call less */
    uint32_t *bkv = NULL;       /* per group: bucket number or exact value id */
    uint32_t bg[ATR__NB_TOTAL]; /* bucket -> group (not exact) */
    uint64_t *off = NULL;
    uint64_t ng = 0, cap = 0, mx = 0;
    atr__u32map map;
    memset(&map, 0, sizeof(map));
    int exact = a->s.mode == ATR_GROUP_EXACT;
    for (uint64_t i = 0; i < m; i++) {
        uint32_t k = group_key(exact, vids, b, i);
        if (!atr__u32map_get(&map, k)) {
            if (atr__grow((void **)&bkv, &cap, ng + 1, sizeof(uint32_t)) ||
                atr__u32map_put(&map, k, (uint32_t)ng))
                goto out;
            bkv[ng] = k;
            if (!exact)
                bg[k] = (uint32_t)ng;
            ng++;
        }
    }
    a->groups = calloc(ng ? ng : 1, sizeof(atr__group));
    off = calloc(ng + 1, sizeof(uint64_t));
    if (!a->groups || !off)
        goto out;
    a->s.n_groups = (uint32_t)ng;
    for (uint64_t g = 0; g < ng; g++) {
        a->groups[g].kmin = INFINITY;
        a->groups[g].kmax = -INFINITY;
        a->groups[g].g.slowest_call = ATR_NO_CALL;
        a->groups[g].g.value = ATR_NO_VALUE;
    }
    for (uint64_t i = 0; i < m; i++) {
        uint32_t gi = group_of(&map, bg, exact, vids, b, i);
        atr__group *g = &a->groups[gi];
        uint64_t d = atr__cx_dur(cx, i);
        if (d > mx)
            mx = d;
        g->g.calls++;
        g->g.total_ns += d;
        if (g->g.slowest_call == ATR_NO_CALL || d > g->g.max_ns) {
            g->g.max_ns = d;
            g->g.slowest_call = cx->ids[i];
        }
        g->g.hist[hist_bin(cx->edges, d)]++;
        if (!exact && cls[i] == ATR__CLS_KEY) {
            if (key[i] < g->kmin)
                g->kmin = key[i];
            if (key[i] > g->kmax)
                g->kmax = key[i];
        }
        off[gi + 1]++;
    }
    free(*keyp); /* read: the durations take its place */
    *keyp = NULL;
    if (mx < UINT32_MAX ? !(dur32 = malloc((size_t)(m ? m : 1) * sizeof(uint32_t)))
                        : !(dur = malloc((size_t)(m ? m : 1) * sizeof(uint64_t))))
        goto out;
    for (uint64_t g = 0; g < ng; g++)
        off[g + 1] += off[g];
    for (uint64_t i = 0; i < m; i++) {
        uint64_t at = off[group_of(&map, bg, exact, vids, b, i)]++;
        if (dur32)
            dur32[at] = (uint32_t)atr__cx_dur(cx, i);
        else
            dur[at] = atr__cx_dur(cx, i);
    }
    for (uint64_t g = ng; g > 0; g--) /* restore starts: off[g] = start of group g */
        off[g] = off[g - 1];
    off[0] = 0;
    for (uint64_t g = 0; g < ng; g++) { /* neighbouring ranges, for rounded labels */
        atr__group *G = &a->groups[g];
        G->below = -INFINITY;
        G->above = INFINITY;
        G->orig = (uint32_t)g;
        for (uint64_t h = 0; h < ng && !exact && bkv[g] < ATR__NB_RANGE; h++) {
            const atr__group *H = &a->groups[h];
            if (h == g || bkv[h] >= ATR__NB_RANGE || !(H->kmin <= H->kmax))
                continue;
            if (H->kmax < G->kmin && H->kmax > G->below)
                G->below = H->kmax;
            if (H->kmin > G->kmax && H->kmin < G->above)
                G->above = H->kmin;
        }
    }
    for (uint64_t g = 0; g < ng; g++) {
        atr__group *G = &a->groups[g];
        if (dur32) {
            G->g.p95_ns = atr__percentile32(dur32 + off[g], G->g.calls, 95);
            G->g.p50_ns = atr__percentile32(dur32 + off[g], G->g.calls, 50);
        } else {
            G->g.p95_ns = atr__percentile(dur + off[g], G->g.calls, 95);
            G->g.p50_ns = atr__percentile(dur + off[g], G->g.calls, 50);
        }
        uint32_t k = bkv[g];
        uint32_t bk = exact ? (k == UINT32_MAX - 1 ? ATR__B_MISSING : 0) : k;
        G->missing = bk == ATR__B_MISSING;
        G->token = exact && !G->missing ? k : UINT32_MAX;
        if ((rc = describe(cx, a, G, bk, exact ? k : ATR_NO_VALUE)) != 0)
            goto out;
        if (exact && k != UINT32_MAX - 1 && a->kind == ATR__K_ARG)
            G->g.value = k;
    }
    if (exact && a->kind == ATR__K_ARG && a->s.param != -2 &&
        (rc = atr__excerpt_labels(cx->ix, a->groups, (uint32_t)ng)) != 0)
        goto out;
    if ((rc = drop_shared_filters(a->groups, ng)) != 0)
        goto out;
    qsort(a->groups, ng, sizeof(atr__group), cmp_group);
    if (a->call_group) {
        for (uint64_t g = 0; g < ng; g++) /* bkv: old index -> sorted index */
            bkv[a->groups[g].orig] = (uint32_t)g;
        for (uint64_t i = 0; i < m; i++)
            a->call_group[i] = bkv[group_of(&map, bg, exact, vids, b, i)];
    }
    rc = 0;
out:
    free(dur);
    free(dur32);
    free(bkv);
    free(off);
    atr__u32map_free(&map);
    return rc;
}
