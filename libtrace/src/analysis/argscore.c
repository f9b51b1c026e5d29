/*
 * Per-argument analysis: which argument explains a function's duration?
 *
 * For each argument, calls are grouped by its value (exact values, or buckets: numeric
 * ranges, lengths, types; see atr_analysis.h) and the grouping is scored by leave-one-out
 * R^2 on log-durations: every call is predicted by the mean of the other calls of its group
 * (alone in its group: by the overall mean). For a group with n calls, sum s and sum of
 * squares q (of centred log-durations) the LOO error is n^2/(n-1)^2 * (q - s^2/n), so one
 * pass of per-group sums gives the score. Arguments unique per call get singletons only and
 * score about 0. Labels, filters and group statistics are in groups.c. A call's time here
 * is its active time: its duration unless it suspended (generators, coroutines).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/argscore_int.h"

#define EXACT_MAX 65536u

double atr__loo_score(const atr__gacc *g, uint32_t ng, double sst) {
    if (!(sst > 0))
        return 0;
    double sse = 0;
    for (uint32_t i = 0; i < ng; i++) {
        double n = (double)g[i].n;
        if (g[i].n == 0)
            continue;
        if (g[i].n == 1) {
            sse += g[i].s * g[i].s; /* centred: the overall mean is 0 */
            continue;
        }
        double var = g[i].q - g[i].s * g[i].s / n;
        if (var < 0)
            var = 0;
        sse += var * n * n / ((n - 1) * (n - 1));
    }
    double r = 1 - sse / sst;
    return r > 0 ? (r < 1 ? r : 1) : 0;
}

/* Exact grouping score; sets *distinct (EXACT_MAX + 1 when it gave up). */
static int score_exact(const atr__ascore_ctx *cx, const uint32_t *vids, double *score,
                       uint64_t *distinct) {
    atr__u32map map;
    memset(&map, 0, sizeof(map));
    atr__gacc *g = NULL;
    uint64_t ng = 0, cap = 0;
    atr__gacc missing = {0, 0, 0};
    int rc = 0;
    *score = 0;
    for (uint64_t i = 0; i < cx->m; i++) {
        atr__gacc *a;
        if (vids[i] == ATR_NO_VALUE) {
            a = &missing;
        } else {
            uint32_t *slot = atr__u32map_get(&map, vids[i]);
            if (!slot) {
                if (ng >= EXACT_MAX) {
                    *distinct = EXACT_MAX + 1;
                    goto out;
                }
                if ((rc = atr__grow((void **)&g, &cap, ng + 1, sizeof(*g))) != 0 ||
                    (rc = atr__u32map_put(&map, vids[i], (uint32_t)ng)) != 0)
                    goto out;
                memset(&g[ng], 0, sizeof(*g));
                a = &g[ng++];
            } else {
                a = &g[*slot];
            }
        }
        a->n++;
        a->s += cx->y[i];
        a->q += cx->y[i] * cx->y[i];
    }
    *distinct = ng;
    if ((rc = atr__grow((void **)&g, &cap, ng + 1, sizeof(*g))) != 0)
        goto out;
    g[ng] = missing;
    *score = atr__loo_score(g, (uint32_t)ng + 1, cx->sst);
out:
    free(g);
    atr__u32map_free(&map);
    return rc;
}

/* ---- bucketing ---- */

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Score of bucket assignment b[i] (< nb) over calls. */
static double score_buckets(const atr__ascore_ctx *cx, const uint16_t *b, uint32_t nb,
                            atr__gacc *acc) {
    memset(acc, 0, (size_t)nb * sizeof(*acc));
    for (uint64_t i = 0; i < cx->m; i++) {
        atr__gacc *a = &acc[b[i]];
        a->n++;
        a->s += cx->y[i];
        a->q += cx->y[i] * cx->y[i];
    }
    return atr__loo_score(acc, nb, cx->sst);
}

/*
 * Ranges of key[] for calls whose cls[i] == CLS_KEY: bucket indices 0..9 into b[]; other
 * classes keep the bucket their class gives (set by the caller, >= ATR__NB_RANGE). Tries
 * decades (for keys >= 0) and deciles; keeps the better. Returns the score.
 */
static double range_buckets(const atr__ascore_ctx *cx, const double *key, const uint8_t *cls,
                            uint16_t *b, uint16_t *tmp, atr__gacc *acc, int *use_decades,
                            double *edges, uint32_t *n_edges) {
    double mn = INFINITY, mx = -INFINITY;
    uint64_t nk = 0;
    for (uint64_t i = 0; i < cx->m; i++) {
        if (cls[i] != ATR__CLS_KEY)
            continue;
        nk++;
        if (key[i] < mn)
            mn = key[i];
        if (key[i] > mx)
            mx = key[i];
    }
    *n_edges = 0;
    *use_decades = 0;
    if (!nk)
        return score_buckets(cx, b, ATR__NB_TOTAL, acc);
    /* Deciles from a sample of at most 4096 keys. */
    uint64_t ns = nk < 4096 ? nk : 4096, step = nk / ns, k = 0, seen = 0;
    double *smp = malloc((size_t)ns * sizeof(double));
    double q_score = -1, d_score = -1;
    if (smp) {
        for (uint64_t i = 0; i < cx->m && k < ns; i++) {
            if (cls[i] != ATR__CLS_KEY)
                continue;
            if (seen++ % step == 0)
                smp[k++] = key[i];
        }
        qsort(smp, k, sizeof(double), cmp_dbl);
        uint32_t ne = 0;
        for (uint32_t j = 1; j < 10; j++) {
            double e = smp[(uint64_t)j * k / 10];
            if (e > mn && (ne == 0 || e > edges[ne - 1]))
                edges[ne++] = e; /* bucket j holds keys >= edges[j-1] */
        }
        free(smp);
        *n_edges = ne;
        for (uint64_t i = 0; i < cx->m; i++) {
            if (cls[i] != ATR__CLS_KEY)
                continue;
            uint16_t lo = 0;
            while (lo < ne && key[i] >= edges[lo])
                lo++;
            b[i] = lo;
        }
        q_score = score_buckets(cx, b, ATR__NB_TOTAL, acc);
    }
    if (mn >= 0) {
        int dmax = mx < 1 ? 0 : (int)floor(log10(mx)) + 1;
        int lo = dmax - 9 > 0 ? dmax - 9 : 0;
        for (uint64_t i = 0; i < cx->m; i++) {
            tmp[i] = b[i];
            if (cls[i] != ATR__CLS_KEY)
                continue;
            int d = key[i] < 1 ? 0 : (int)floor(log10(key[i])) + 1;
            tmp[i] = (uint16_t)((d < lo ? lo : d) - lo);
        }
        d_score = score_buckets(cx, tmp, ATR__NB_TOTAL, acc);
        if (d_score > q_score) {
            memcpy(b, tmp, (size_t)cx->m * sizeof(uint16_t));
            *use_decades = 1;
            return d_score;
        }
    }
    return q_score;
}

/* Analyse one argument: fills a (scores, mode) and the per-call group index grp[]. */
static int analyse_arg(atr__ascore_ctx *cx, atr__arg *a, const uint32_t *vids) {
    uint64_t m = cx->m;
    int rc = score_exact(cx, vids, &a->s.score_exact, &a->s.n_distinct);
    if (rc)
        return rc;
    double *key = malloc((size_t)(m ? m : 1) * sizeof(double));
    uint8_t *cls = malloc((size_t)(m ? m : 1));
    uint16_t *b = malloc((size_t)(m ? m : 1) * sizeof(uint16_t));
    uint16_t *tmp = malloc((size_t)(m ? m : 1) * sizeof(uint16_t));
    atr__gacc *acc = malloc(ATR__NB_TOTAL * sizeof(atr__gacc));
    if (!key || !cls || !b || !tmp || !acc) {
        rc = ATR_ENOMEM;
        goto out;
    }
    /* Classify values; decide the bucketing mode from the kinds present. */
    uint32_t mode = atr__classify(cx, a, vids, key, cls, b);
    a->s.mode = mode;
    a->n_edges = 0;
    if (mode == ATR_GROUP_RANGE || mode == ATR_GROUP_LENGTH) {
        a->s.score_grouped =
            range_buckets(cx, key, cls, b, tmp, acc, &a->decades, a->edges, &a->n_edges);
    } else {
        a->s.score_grouped = score_buckets(cx, b, ATR__NB_TOTAL, acc);
    }
    a->s.score = a->s.score_exact > a->s.score_grouped ? a->s.score_exact : a->s.score_grouped;
    uint64_t nd = a->s.n_distinct;
    if (nd <= 12 || (nd <= 256 && a->s.score_exact > a->s.score_grouped + 0.05)) {
        a->s.mode = ATR_GROUP_EXACT;
        a->s.score_grouped = a->s.score_exact;
    }
    rc = atr__build_groups(cx, a, vids, key, cls, b);
out:
    free(key);
    free(cls);
    free(b);
    free(tmp);
    free(acc);
    return rc;
}

static int cmp_args(const void *x, const void *y) {
    const atr__arg *a = x, *b = y;
    if (a->s.score != b->s.score)
        return a->s.score > b->s.score ? -1 : 1;
    return a->s.param < b->s.param ? -1 : a->s.param > b->s.param;
}

/* The union of the functions' parameter names; inv[f * nu + u] = f's index of name u or -1. */
static int union_params(const atr_index *ix, const uint32_t *fns, uint32_t n_fns, atr_str **names,
                        uint32_t *nu, int32_t **inv) {
    uint32_t cap = 0;
    for (uint32_t f = 0; f < n_fns; f++)
        cap += ix->funcs[fns[f]].n_params;
    *names = malloc((cap ? cap : 1) * sizeof(atr_str));
    *inv = NULL;
    *nu = 0;
    if (!*names)
        return ATR_ENOMEM;
    for (uint32_t f = 0; f < n_fns; f++) {
        const atr__func *F = &ix->funcs[fns[f]];
        for (uint32_t k = 0; k < F->n_params; k++) {
            uint32_t u = 0;
            while (u < *nu && !((*names)[u].len == F->params[k].len &&
                                memcmp((*names)[u].ptr, F->params[k].ptr, F->params[k].len) == 0))
                u++;
            if (u == *nu)
                (*names)[(*nu)++] = F->params[k];
        }
    }
    *inv = malloc((size_t)n_fns * (*nu ? *nu : 1) * sizeof(int32_t));
    if (!*inv)
        return ATR_ENOMEM;
    for (uint32_t f = 0; f < n_fns; f++) {
        const atr__func *F = &ix->funcs[fns[f]];
        for (uint32_t u = 0; u < *nu; u++) {
            int32_t *slot = &(*inv)[(size_t)f * *nu + u];
            *slot = -1;
            for (uint32_t k = 0; k < F->n_params && *slot < 0; k++)
                if (F->params[k].len == (*names)[u].len &&
                    memcmp(F->params[k].ptr, (*names)[u].ptr, (*names)[u].len) == 0)
                    *slot = (int32_t)k;
        }
    }
    return 0;
}

int atr_argscore_compute(const atr_index *ix, uint32_t fn, const atr_filter *filter, uint32_t flags,
                         atr_argscore **out) {
    if (!ix || !out || fn >= ix->n_funcs)
        return ATR_EINVAL;
    return atr__argscore_run(ix, &fn, 1, filter, flags, 0, out);
}

int atr__argscore_run(const atr_index *ix, const uint32_t *fns, uint32_t n_fns,
                      const atr_filter *filter, uint32_t flags, int keep, atr_argscore **out) {
    *out = NULL;
    if (!ix->fn_off)
        return ATR_ENOMEM;
    uint64_t n = 0;
    for (uint32_t f = 0; f < n_fns; f++)
        n += ix->fn_off[fns[f] + 1] - ix->fn_off[fns[f]];
    atr_argscore *s = calloc(1, sizeof(*s));
    atr__ascore_ctx cx;
    memset(&cx, 0, sizeof(cx));
    cx.ix = ix;
    cx.keep = keep;
    int32_t *pi = NULL, *inv = NULL;
    uint32_t *vids = NULL, nu = 0;
    atr_str *names = NULL;
    int rc = ATR_ENOMEM;
    if (!s)
        return ATR_ENOMEM;
    cx.ids = malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    cx.y = malloc((size_t)(n ? n : 1) * sizeof(double));
    cx.dur = malloc((size_t)(n ? n : 1) * sizeof(uint64_t));
    if (!cx.ids || !cx.y || !cx.dur || union_params(ix, fns, n_fns, &names, &nu, &inv))
        goto fail;
    uint32_t na = nu + ((flags & ATR_ARGSCORE_RESULT) ? 2u : 0u);
    s->args = calloc(na ? na : 1, sizeof(atr__arg));
    /* Argument k's value ids at vids[k * n + i]: gathered in the same pass as the
       durations, since the calls of one function lie far apart in memory. */
    vids = malloc((size_t)(n ? n : 1) * (na ? na : 1) * sizeof(uint32_t));
    if (!s->args || !vids)
        goto fail;
    uint64_t mn = UINT64_MAX, mx = 0;
    double sum = 0;
    for (uint32_t f = 0; f < n_fns; f++) {
        const uint32_t *fids = ix->fn_calls + ix->fn_off[fns[f]];
        uint64_t nf = ix->fn_off[fns[f] + 1] - ix->fn_off[fns[f]];
        const int32_t *fin = inv + (size_t)f * nu;
        free(pi);
        pi = NULL;
        if (atr__filter_bind(filter, ix, fns[f], &pi))
            goto fail;
        for (uint64_t i = 0; i < nf; i++) {
            const atr__call *c = &ix->calls[fids[i]];
            if (c->status == ATR_CALL_UNFINISHED)
                continue;
            if (filter && !atr__filter_match_bound(filter, ix, fids[i], pi))
                continue;
            const uint32_t *av = ix->argv + c->args;
            for (uint32_t k = 0; k < na; k++) {
                uint32_t v = ATR_NO_VALUE;
                if (k < nu) {
                    if (fin[k] >= 0 && (uint32_t)fin[k] < c->n_args)
                        v = av[fin[k]];
                } else if (k == nu) {
                    if (c->status == ATR_CALL_RETURNED)
                        v = c->result;
                } else if (c->status == ATR_CALL_RAISED) {
                    v = c->exc;
                }
                vids[(uint64_t)k * n + cx.m] = v;
            }
            uint64_t t = atr__call_active(ix, c); /* the duration unless it suspended */
            cx.ids[cx.m] = fids[i];
            cx.dur[cx.m] = t;
            cx.y[cx.m] = log((double)t + 1.0);
            sum += cx.y[cx.m];
            cx.m++;
            if (t < mn)
                mn = t;
            if (t > mx)
                mx = t;
        }
    }
    double mean = cx.m ? sum / (double)cx.m : 0;
    for (uint64_t i = 0; i < cx.m; i++) {
        cx.y[i] -= mean;
        cx.sst += cx.y[i] * cx.y[i];
    }
    s->n_calls = cx.m;
    atr__hist_edges(cx.m ? mn : 0, cx.m ? mx : 0, s->edges);
    cx.edges = s->edges;
    for (uint32_t k = 0; k < na; k++) {
        atr__arg *a = &s->args[k];
        int32_t param = k < nu ? (int32_t)k : k == nu ? -1 : -2;
        a->s.param = param;
        a->s.name = param >= 0
                        ? names[param]
                        : (atr_str){param == -1 ? "return" : "exception", param == -1 ? 6u : 9u};
        s->n_args++;
        const uint32_t *kv = vids + (uint64_t)k * n;
        uint64_t captured = 0;
        for (uint64_t i = 0; i < cx.m; i++)
            captured += kv[i] != ATR_NO_VALUE;
        a->s.n_captured = captured;
        if ((rc = analyse_arg(&cx, a, kv)) != 0)
            goto fail;
    }
    qsort(s->args, s->n_args, sizeof(atr__arg), cmp_args);
    if (keep) {
        s->ids = cx.ids;
        cx.ids = NULL;
    }
    free(cx.ids);
    free(cx.y);
    free(cx.dur);
    free(vids);
    free(pi);
    free(inv);
    free(names);
    *out = s;
    return 0;
fail:
    free(cx.ids);
    free(cx.y);
    free(cx.dur);
    free(vids);
    free(pi);
    free(inv);
    free(names);
    atr_argscore_free(s);
    return rc ? rc : ATR_ENOMEM;
}

void atr_argscore_free(atr_argscore *s) {
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n_args; i++) {
        for (uint32_t g = 0; g < s->args[i].s.n_groups; g++) {
            free(s->args[i].groups[g].label_buf);
            free(s->args[i].groups[g].filter_buf);
        }
        free(s->args[i].groups);
        free(s->args[i].member);
    }
    free(s->args);
    free(s->ids);
    free(s);
}

uint64_t atr_argscore_calls(const atr_argscore *s) { return s ? s->n_calls : 0; }

void atr_argscore_hist_edges(const atr_argscore *s, uint64_t *edges) {
    for (int k = 0; k <= ATR_HIST_BINS; k++)
        edges[k] = s ? s->edges[k] : 0;
}

uint32_t atr_argscore_count(const atr_argscore *s) { return s ? s->n_args : 0; }

int atr_argscore_arg(const atr_argscore *s, uint32_t i, atr_arg_score *out) {
    if (!s || i >= s->n_args)
        return ATR_EINVAL;
    *out = s->args[i].s;
    return 0;
}

int atr_argscore_group(const atr_argscore *s, uint32_t i, uint32_t g, atr_arg_group *out) {
    if (!s || i >= s->n_args || g >= s->args[i].s.n_groups)
        return ATR_EINVAL;
    *out = s->args[i].groups[g].g;
    return 0;
}
