/*
 * Keys other than an argument's plain values, scored like arguments (argscore.c):
 * expressions over a function's arguments (`len(sql)`, `type(x)`, `rows.items`, pairs
 * `len(sql),reindent`: atr_argscore_compute_keys) and keys a caller computed per call (a
 * Python key function: atr_argscore_compute_custom). Grammar and meanings are documented in
 * atr_stats.h.
 *
 * A derived key becomes per-call tokens for exact grouping (lengths, type numbers) plus the
 * argument's value ids for classification (groups.c); a pair becomes one token per pair of
 * its two keys' groups, each key grouped as it would be alone (exact values or ranges).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/argscore_int.h"

#define K_ENTRY 5 /* NAME.KEY: a summarizer's dict entry (analysed as ATR__K_CUSTOM) */

typedef struct kspec {
    int kind;          /* ATR__K_ARG, LEN, TYPE, ITEMS, or K_ENTRY */
    int32_t param;     /* index into the function's params */
    const char *entry; /* K_ENTRY: the entry's key (in the expression) */
    size_t entry_len;
} kspec;

static int kerr(char *err, size_t size, int rc, const char *fmt, const char *a, size_t n) {
    if (err && size)
        snprintf(err, size, fmt, (int)n, a);
    return rc;
}

static void trim(const char **s, size_t *n) {
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static int parse_one(const atr__func *F, const char *s, size_t n, kspec *k, char *err, size_t es) {
    trim(&s, &n);
    k->kind = ATR__K_ARG;
    if (n > 5 && memcmp(s, "len(", 4) == 0 && s[n - 1] == ')') {
        k->kind = ATR__K_LEN;
        s += 4;
        n -= 5;
    } else if (n > 6 && memcmp(s, "type(", 5) == 0 && s[n - 1] == ')') {
        k->kind = ATR__K_TYPE;
        s += 5;
        n -= 6;
    } else if (n > 6 && memcmp(s + n - 6, ".items", 6) == 0 && atr__func_param(F, s, n) < 0) {
        k->kind = ATR__K_ITEMS;
        n -= 6;
    } else if (atr__func_param(F, s, n) < 0 && !memchr(s, '(', n)) {
        const char *dot = NULL; /* NAME.KEY: the last dot, a name before it and a key after */
        for (const char *p = s; p < s + n; p++)
            dot = *p == '.' ? p : dot;
        if (dot && dot > s && dot + 1 < s + n) {
            k->kind = K_ENTRY;
            k->entry = dot + 1;
            k->entry_len = (size_t)(s + n - dot - 1);
            trim(&k->entry, &k->entry_len);
            n = (size_t)(dot - s);
        }
    }
    trim(&s, &n);
    if (n == 0 || (k->kind == K_ENTRY && k->entry_len == 0))
        return kerr(err, es, ATR_ESYNTAX,
                    "empty key%.*s (write NAME, len(NAME), type(NAME), "
                    "NAME.items, NAME.KEY or KEY,KEY)",
                    "", 0);
    k->param = atr__func_param(F, s, n);
    if (k->param < 0 && (memchr(s, '(', n) || memchr(s, ')', n)))
        return kerr(err, es, ATR_ESYNTAX,
                    "'%.*s': write NAME, len(NAME), type(NAME), "
                    "NAME.items, NAME.KEY or KEY,KEY",
                    s, n);
    if (k->param < 0)
        return kerr(err, es, ATR_ENOTFOUND, "no argument '%.*s'", s, n);
    return 0;
}

/* Per-call tokens of a derived key: lengths, item counts or type numbers. */
static void derive_tokens(const atr_index *ix, int kind, const uint32_t *vals, uint64_t m,
                          uint32_t *tok) {
    atr_str types[64];
    uint32_t nt = 0;
    for (uint64_t i = 0; i < m; i++) {
        atr_value v;
        tok[i] = ATR_NO_VALUE;
        if (vals[i] == ATR_NO_VALUE || atr__values_get(&ix->vals, vals[i], &v))
            continue;
        if (kind == ATR__K_TYPE) {
            atr_str t = atr__value_type(&v);
            uint32_t k = 0;
            while (k < nt && !(types[k].len == t.len && memcmp(types[k].ptr, t.ptr, t.len) == 0))
                k++;
            if (k == nt && nt < 64)
                types[nt++] = t;
            tok[i] = k < 64 ? k : 63;
            continue;
        }
        int64_t len = -1;
        if (v.kind == ATR_V_SUMMARY)
            len = v.u.sum.length;
        else if (kind == ATR__K_LEN &&
                 (v.kind == ATR_V_STR || v.kind == ATR_V_BYTES || v.kind == ATR_V_REPR))
            len = (int64_t)(v.u.s.true_len > v.u.s.len ? v.u.s.true_len : v.u.s.len);
        if (len >= 0)
            tok[i] = len < (int64_t)ATR__VID_INLINE ? (uint32_t)len : ATR__VID_INLINE - 1;
    }
}

/* The value of entry `key` of a summarizer's dict in summary v (atr_value_entry_key), or
   NULL. */
static const atr_value *entry_of(const atr_value *v, const char *key, size_t len) {
    if (v->kind != ATR_V_SUMMARY || !v->u.sum.items)
        return NULL;
    for (uint32_t i = 0; i < v->n_items; i++) {
        const char *k;
        size_t n;
        if (atr_value_entry_key(&v->u.sum.items[i], &k, &n) && n == len && memcmp(k, key, n) == 0)
            return &v->u.sum.items[i].u.sum.items[0];
    }
    return NULL;
}

/* Labels of an entry key's values, one token per distinct label (open addressing). */
typedef struct label_set {
    char **label; /* by token */
    uint32_t n, cap;
    uint32_t *slot; /* hash slots: token + 1, 0 free; 2 * cap of them */
} label_set;

static uint64_t str_hash(const char *p) {
    uint64_t h = 1469598103934665603u;
    while (*p)
        h = (h ^ (unsigned char)*p++) * 1099511628211u;
    return h;
}

/* The token of label `lab` (added when new), or ATR_NO_VALUE when out of memory. */
static uint32_t label_token(label_set *ls, const char *lab) {
    if (2 * (ls->n + 1) > ls->cap) {
        uint32_t cap = ls->cap ? ls->cap * 2 : 64;
        uint32_t *slot = calloc((size_t)cap, sizeof(uint32_t));
        char **l = realloc(ls->label, (size_t)cap * sizeof(char *));
        if (!slot || !l) {
            free(slot);
            if (l)
                ls->label = l;
            return ATR_NO_VALUE;
        }
        ls->label = l;
        for (uint32_t t = 0; t < ls->n; t++) {
            uint32_t i = (uint32_t)str_hash(l[t]) & (cap - 1);
            while (slot[i])
                i = (i + 1) & (cap - 1);
            slot[i] = t + 1;
        }
        free(ls->slot);
        ls->slot = slot;
        ls->cap = cap;
    }
    uint32_t i = (uint32_t)str_hash(lab) & (ls->cap - 1);
    for (; ls->slot[i]; i = (i + 1) & (ls->cap - 1))
        if (strcmp(ls->label[ls->slot[i] - 1], lab) == 0)
            return ls->slot[i] - 1;
    if (!(ls->label[ls->n] = strdup(lab)))
        return ATR_NO_VALUE;
    ls->slot[i] = ++ls->n;
    return ls->n - 1;
}

static void label_set_free(label_set *ls) {
    for (uint32_t t = 0; t < ls->n; t++)
        free(ls->label[t]);
    free(ls->label);
    free(ls->slot);
}

/* NAME.KEY into a (named, param set): the calls grouped by the value of entry KEY of a
   summarizer's dict, exactly (by label), or by ranges when its values are numbers of more
   than 12 distinct values, as a numeric argument would be. */
static int analyse_entry(atr__ascore_ctx *cx, const kspec *k, const uint32_t *vals, uint32_t *tok,
                         atr__arg *a) {
    label_set ls;
    memset(&ls, 0, sizeof ls);
    double *num = malloc((size_t)(cx->m ? cx->m : 1) * sizeof(double));
    int numeric = 1, rc = ATR_ENOMEM;
    if (!num)
        goto out;
    for (uint64_t i = 0; i < cx->m; i++) {
        atr_value v;
        const atr_value *e = NULL;
        tok[i] = ATR_NO_VALUE;
        num[i] = NAN;
        if (vals[i] != ATR_NO_VALUE && atr__values_get(&cx->ix->vals, vals[i], &v) == 0)
            e = entry_of(&v, k->entry, k->entry_len);
        if (!e)
            continue;
        char lab[256];
        atr__label_value(e, lab, sizeof lab);
        if ((tok[i] = label_token(&ls, lab)) == ATR_NO_VALUE)
            goto out;
        int is_num = e->kind == ATR_V_INT || e->kind == ATR_V_UINT || e->kind == ATR_V_FLOAT;
        numeric &= is_num;
        num[i] = is_num ? atr__value_number(e) : NAN;
        a->s.n_captured++;
    }
    rc = ATR_ENOTFOUND; /* no value had the entry: a misspelt key, not a finding */
    if (cx->m && !a->s.n_captured)
        goto out;
    a->kind = ATR__K_CUSTOM;
    a->no_filter = 1; /* no filter reads inside a summary */
    a->tok_label = (const char *const *)ls.label;
    a->num = numeric && ls.n > 12 ? num : NULL;
    rc = atr__analyse_key(cx, a, tok);
    a->tok_label = NULL;
    a->num = NULL;
out:
    label_set_free(&ls);
    free(num);
    return rc;
}

/* Analyse one plain or derived key into a; tok: scratch of m tokens. */
static int analyse_spec(atr__ascore_ctx *cx, const atr__func *F, const kspec *k,
                        const uint32_t *vids, uint64_t stride, uint32_t *tok, atr__arg *a) {
    static const char *const fmt[] = {"%.*s",       "len(%.*s)", "type(%.*s)",
                                      "%.*s.items", "",          "%.*s.%.*s"};
    const uint32_t *vals = vids + (uint64_t)k->param * stride;
    atr_str base = F->params[k->param];
    size_t nl = base.len + 8 + k->entry_len;
    char *name = malloc(nl);
    if (!name)
        return ATR_ENOMEM;
    snprintf(name, nl, fmt[k->kind], (int)base.len, base.ptr, (int)k->entry_len,
             k->entry ? k->entry : "");
    a->kind = k->kind;
    a->name_buf = name;
    a->s.name = (atr_str){name, strlen(name)};
    a->base = base;
    a->s.param = k->param;
    a->keyword = k->param >= (int32_t)F->n_declared;
    if (k->kind == K_ENTRY)
        return analyse_entry(cx, k, vals, tok, a);
    for (uint64_t i = 0; i < cx->m; i++)
        a->s.n_captured += vals[i] != ATR_NO_VALUE;
    if (k->kind == ATR__K_ARG)
        return atr__analyse_key(cx, a, vals);
    a->vals = vals;
    derive_tokens(cx->ix, k->kind, vals, cx->m, tok);
    if (k->kind == ATR__K_ITEMS) { /* len() filters also match strs: only without any */
        for (uint64_t i = 0; i < cx->m && !a->no_filter; i++) {
            atr_value v;
            a->no_filter = vals[i] != ATR_NO_VALUE && tok[i] == ATR_NO_VALUE &&
                           atr__values_get(&cx->ix->vals, vals[i], &v) == 0 &&
                           (v.kind == ATR_V_STR || v.kind == ATR_V_BYTES || v.kind == ATR_V_REPR);
        }
    }
    return atr__analyse_key(cx, a, tok);
}

/* "A, B": one token per pair of the groups of c0 and c1 (analysed, with call_group) into a,
   named "A,B"; tok: scratch of cx->m tokens. */
static int pair_of(atr__ascore_ctx *cx, const atr__arg *c0, const atr__arg *c1, uint32_t *tok,
                   atr__arg *a) {
    uint64_t n1 = c1->s.n_groups, nt = (uint64_t)c0->s.n_groups * n1;
    char **lab = calloc(nt ? nt : 1, sizeof(char *)), **fil = calloc(nt ? nt : 1, sizeof(char *));
    size_t nl = c0->s.name.len + c1->s.name.len + 2;
    int rc = ATR_ENOMEM;
    if (!lab || !fil || !(a->name_buf = malloc(nl)))
        goto out;
    snprintf(a->name_buf, nl, "%.*s,%.*s", (int)c0->s.name.len, c0->s.name.ptr, (int)c1->s.name.len,
             c1->s.name.ptr);
    for (uint64_t i = 0; i < cx->m; i++) {
        uint32_t g0 = c0->call_group[i], g1 = c1->call_group[i];
        uint64_t t = (uint64_t)g0 * n1 + g1;
        tok[i] = (uint32_t)t;
        if (lab[t])
            continue;
        const atr_arg_group *x = &c0->groups[g0].g, *y = &c1->groups[g1].g;
        char xb[128], yb[128]; /* a summarizer's objects by their entries' values */
        const char *xl = atr__label_short(cx->ix, x, xb, sizeof xb);
        const char *yl = atr__label_short(cx->ix, y, yb, sizeof yb);
        size_t ll = strlen(xl) + strlen(yl) + 3;
        size_t fl = strlen(x->filter) + strlen(y->filter) + 2;
        if (!(lab[t] = malloc(ll)) || !(fil[t] = malloc(fl)))
            goto out;
        snprintf(lab[t], ll, "%s, %s", xl, yl);
        if (x->filter[0] && y->filter[0])
            snprintf(fil[t], fl, "%s %s", x->filter, y->filter);
        else
            fil[t][0] = '\0';
    }
    a->kind = ATR__K_CUSTOM;
    a->s.name = (atr_str){a->name_buf, strlen(a->name_buf)};
    a->s.param = c0->s.param;
    a->s.pair = 1;
    a->s.n_captured = c0->s.n_captured < c1->s.n_captured ? c0->s.n_captured : c1->s.n_captured;
    a->tok_label = (const char *const *)lab;
    a->tok_filter = (const char *const *)fil;
    rc = atr__analyse_key(cx, a, tok);
    a->tok_label = a->tok_filter = NULL;
out:
    for (uint64_t t = 0; t < nt; t++) {
        free(lab ? lab[t] : NULL);
        free(fil ? fil[t] : NULL);
    }
    free(lab);
    free(fil);
    return rc;
}

/* The pair KEY,KEY (k[0], k[1]): each key analysed as alone, then pair_of. */
static int analyse_pair(atr__ascore_ctx *cx, const atr__func *F, const kspec *k,
                        const uint32_t *vids, uint64_t stride, uint32_t *tok, atr__arg *a) {
    atr__arg c[2];
    memset(c, 0, sizeof(c));
    int rc = ATR_ENOMEM;
    for (int j = 0; j < 2; j++) {
        if (!(c[j].call_group = malloc((size_t)(cx->m ? cx->m : 1) * sizeof(uint32_t))))
            goto out;
        if ((rc = analyse_spec(cx, F, &k[j], vids, stride, tok, &c[j])) != 0)
            goto out;
    }
    rc = pair_of(cx, &c[0], &c[1], tok, a);
out:
    atr__arg_free(&c[0]);
    atr__arg_free(&c[1]);
    return rc;
}

/* The exact score of the pair x,y (leave-one-out over their pairs of groups, what pair_of's
   score_exact comes to) from the calls' groups alone: acc has room for their product. */
static double pair_score(const atr__ascore_ctx *cx, const atr__arg *x, const atr__arg *y,
                         atr__gacc *acc) {
    uint64_t n1 = y->s.n_groups, nt = (uint64_t)x->s.n_groups * n1;
    memset(acc, 0, (size_t)nt * sizeof(*acc));
    for (uint64_t i = 0; i < cx->m; i++)
        atr__gacc_add(&acc[(uint64_t)x->call_group[i] * n1 + y->call_group[i]], cx->y[i]);
    return atr__loo_score(acc, (uint32_t)nt, cx->sst);
}

/* The pairs tried: of the best arguments (a pure interaction, two arguments that explain
   nothing alone, is among them when they are the function's only ones or the best). */
#define PAIR_CANDIDATES 4
#define PAIR_MIN_GAIN 0.05

/* A pair is worth showing when it explains at least 0.05 more than the best key alone and
   leaves at most two thirds of what that key leaves unexplained (0.87 -> 0.97: a fifth). */
static int explains_more(double pair, double alone) {
    return pair >= alone + PAIR_MIN_GAIN && 1 - pair <= (1 - alone) * 2 / 3;
}

int atr__add_best_pair(atr__ascore_ctx *cx, atr_argscore *s) {
    const atr__arg *cand[PAIR_CANDIDATES];
    size_t bx = 0, by = 0; /* the best pair's arguments: indices into s->args */
    uint32_t nc = 0;
    uint64_t most = 0;
    double best_alone = s->n_args ? s->args[0].s.score : 0, best = -1;
    for (uint32_t i = 0; i < s->n_args && nc < PAIR_CANDIDATES; i++) {
        const atr__arg *x = &s->args[i];
        if (x->s.param >= 0 && x->kind == ATR__K_ARG && x->call_group && x->s.n_groups >= 2) {
            cand[nc++] = x;
            most = x->s.n_groups > most ? x->s.n_groups : most;
        }
    }
    if (nc < 2 || !explains_more(1.0, best_alone))
        return 0;
    atr__gacc *acc = malloc((size_t)(most * most) * sizeof(atr__gacc));
    if (!acc)
        return ATR_ENOMEM;
    for (uint32_t i = 0; i < nc; i++) {
        for (uint32_t j = i + 1; j < nc; j++) {
            /* in the function's parameter order, as a user would write the pair */
            const atr__arg *x = cand[i]->s.param < cand[j]->s.param ? cand[i] : cand[j];
            const atr__arg *y = x == cand[i] ? cand[j] : cand[i];
            double sc = pair_score(cx, x, y, acc);
            if (sc > best)
                best = sc, bx = (size_t)(x - s->args), by = (size_t)(y - s->args);
        }
    }
    free(acc);
    if (!explains_more(best, best_alone))
        return 0;
    atr__arg pair;
    memset(&pair, 0, sizeof(pair));
    uint32_t *tok = malloc((size_t)(cx->m ? cx->m : 1) * sizeof(uint32_t));
    atr__arg *grown = realloc(s->args, (s->n_args + 1) * sizeof(atr__arg));
    int rc = tok && grown ? 0 : ATR_ENOMEM;
    if (grown)
        s->args = grown;
    if (rc == 0 && (rc = pair_of(cx, &s->args[bx], &s->args[by], tok, &pair)) == 0) {
        s->args[s->n_args++] = pair;
        atr__sort_args(s);
    } else {
        atr__arg_free(&pair);
    }
    free(tok);
    return rc;
}

/* Parse "KEY" or "KEY,KEY" into k[0..*nk). */
static int parse_key(const atr__func *F, const char *expr, kspec *k, int *nk, char *err,
                     size_t es) {
    const char *comma = strchr(expr, ',');
    *nk = comma ? 2 : 1;
    if (comma && strchr(comma + 1, ','))
        return kerr(err, es, ATR_ESYNTAX, "'%.*s': a key pairs at most two keys", expr,
                    strlen(expr));
    int rc = parse_one(F, expr, comma ? (size_t)(comma - expr) : strlen(expr), &k[0], err, es);
    if (rc == 0 && comma)
        rc = parse_one(F, comma + 1, strlen(comma + 1), &k[1], err, es);
    return rc;
}

int atr_argscore_compute_keys(const atr_index *ix, uint32_t fn, const atr_filter *filter,
                              const char *const *keys, uint32_t n_keys, atr_argscore **out,
                              char *err, size_t err_size) {
    if (err && err_size)
        err[0] = '\0';
    if (!ix || !out || fn >= ix->n_funcs || (n_keys && !keys))
        return ATR_EINVAL;
    *out = NULL;
    if (!ix->fn_off)
        return ATR_ENOMEM;
    const atr__func *F = &ix->funcs[fn];
    kspec *ks = calloc((size_t)n_keys * 2 + 1, sizeof(kspec));
    int *nks = calloc((size_t)n_keys + 1, sizeof(int));
    if (!ks || !nks) {
        free(ks);
        free(nks);
        return ATR_ENOMEM;
    }
    int rc = 0;
    for (uint32_t i = 0; i < n_keys && rc == 0; i++)
        rc = keys[i] ? parse_key(F, keys[i], &ks[2 * i], &nks[i], err, err_size) : ATR_EINVAL;
    if (rc) {
        free(ks);
        free(nks);
        return rc;
    }
    const uint32_t *fids = ix->fn_calls + ix->fn_off[fn];
    uint64_t n = ix->fn_off[fn + 1] - ix->fn_off[fn];
    uint32_t na = F->n_params;
    atr_argscore *s = calloc(1, sizeof(*s));
    uint32_t *vids = malloc((size_t)(n ? n : 1) * (na ? na : 1) * sizeof(uint32_t));
    uint32_t *tok = malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    int32_t *pi = NULL;
    atr__ascore_ctx cx;
    memset(&cx, 0, sizeof(cx));
    rc = ATR_ENOMEM;
    if (!s || !vids || !tok || !(s->args = calloc(n_keys ? n_keys : 1, sizeof(atr__arg))) ||
        atr__filter_bind(filter, ix, fn, &pi))
        goto out;
    atr__gseg seg = {fids, n, pi, NULL};
    if ((rc = atr__gather(ix, &seg, 1, filter, na, na, NULL, &cx, vids, s)) != 0)
        goto out;
    for (uint32_t i = 0; i < n_keys && rc == 0; i++) {
        atr__arg *a = &s->args[s->n_args++];
        rc = nks[i] == 2 ? analyse_pair(&cx, F, &ks[2 * i], vids, n, tok, a)
                         : analyse_spec(&cx, F, &ks[2 * i], vids, n, tok, a);
        if (rc == ATR_ENOTFOUND)
            kerr(err, err_size, rc,
                 "'%.*s': no value has this entry (NAME.KEY names a key of the dict a "
                 "registered summarizer returns)",
                 keys[i], strlen(keys[i]));
    }
    if (rc == 0)
        atr__sort_args(s);
out:
    atr__ctx_free(&cx);
    free(vids);
    free(tok);
    free(pi);
    free(ks);
    free(nks);
    if (rc) {
        atr_argscore_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int atr_argscore_compute_custom(const atr_index *ix, const char *name, const uint32_t *calls,
                                uint64_t n, const uint32_t *tokens, const double *num,
                                const char *const *labels, uint32_t n_labels, atr_argscore **out) {
    if (!ix || !out || !name || (n && (!calls || !tokens)) || (n_labels && !labels))
        return ATR_EINVAL;
    *out = NULL;
    for (uint64_t i = 0; i < n; i++)
        if (tokens[i] != ATR_NO_VALUE && tokens[i] >= n_labels)
            return ATR_EINVAL;
    for (uint32_t k = 0; k < n_labels; k++)
        if (!labels[k])
            return ATR_EINVAL;
    atr_argscore *s = calloc(1, sizeof(*s));
    uint8_t *kept = malloc((size_t)(n ? n : 1));
    uint32_t *tok = malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    double *nm = num ? malloc((size_t)(n ? n : 1) * sizeof(double)) : NULL;
    atr__ascore_ctx cx;
    memset(&cx, 0, sizeof(cx));
    int rc = ATR_ENOMEM;
    if (!s || !kept || !tok || (num && !nm) || !(s->args = calloc(1, sizeof(atr__arg))))
        goto out;
    atr__gseg seg = {calls, n, NULL, NULL};
    if ((rc = atr__gather(ix, &seg, 1, NULL, 0, 0, kept, &cx, NULL, s)) != 0)
        goto out;
    uint64_t j = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (!kept[i])
            continue;
        tok[j] = tokens[i];
        if (nm)
            nm[j] = num[i];
        j++;
    }
    atr__arg *a = &s->args[s->n_args++];
    rc = ATR_ENOMEM;
    if (!(a->name_buf = strdup(name)))
        goto out;
    a->kind = ATR__K_CUSTOM;
    a->s.name = (atr_str){a->name_buf, strlen(a->name_buf)};
    a->s.param = -3;
    a->no_filter = 1;
    a->tok_label = labels;
    a->num = nm;
    for (uint64_t i = 0; i < cx.m; i++)
        a->s.n_captured += tok[i] != ATR_NO_VALUE;
    rc = atr__analyse_key(&cx, a, tok);
    a->tok_label = NULL;
    a->num = NULL;
out:
    atr__ctx_free(&cx);
    free(kept);
    free(tok);
    free(nm);
    if (rc) {
        atr_argscore_free(s);
        return rc;
    }
    *out = s;
    return 0;
}
