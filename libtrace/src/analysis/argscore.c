/*
 * Per-argument analysis: which argument explains a function's duration?
 *
 * For each argument (or derived key, keys.c), calls are grouped by its value (exact values,
 * or buckets: natural-break ranges of numbers, lengths and item counts, types; see
 * atr_stats.h) and the grouping is scored by leave-one-out R^2 on log-durations: every
 * call is predicted by the mean of the other calls of its group (alone in its group: by the
 * overall mean). For a group with n calls, sum s and sum of squares q (of centred
 * log-durations) the LOO error is n^2/(n-1)^2 * (q - s^2/n), so one pass of per-group sums
 * gives the score. Keys unique per call get singletons only and score about 0 — however
 * many groups they have, which is why LOO and not a plain or omega^2-style effect size (one
 * repeated pair among a thousand ids makes the within-group variance of omega^2 meaningless).
 *
 * LOO cannot see anything in singletons, so ordered keys (numbers, lengths) also get the
 * trend score of breaks.c (adjusted R^2 of a log-log slope: one parameter, so it does not
 * chase ids either); the score is the best of exact, grouped and trend. Labels, filters and
 * group statistics are in groups.c. A call's time here is its active time: its duration
 * unless it suspended (generators, coroutines).
 *
 * One analysis may cover several functions (atr__argscore_run: the functions of one name in
 * two runs, for diff.c): their parameters are matched by name and gathered in one pass, and
 * a kept result holds each call's group (call_group, as pairs in keys.c use it).
 */
#include <math.h>
#include <pthread.h>
#include <signal.h>
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
        atr__gacc_add(a, cx->y[i]);
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

/* Score of bucket assignment b[i] (< nb) over calls. */
static double score_buckets(const atr__ascore_ctx *cx, const uint16_t *b, uint32_t nb,
                            atr__gacc *acc) {
    memset(acc, 0, (size_t)nb * sizeof(*acc));
    for (uint64_t i = 0; i < cx->m; i++)
        atr__gacc_add(&acc[b[i]], cx->y[i]);
    return atr__loo_score(acc, nb, cx->sst);
}

/*
 * Ranges of key[] for calls whose cls[i] == CLS_KEY: natural breaks (breaks.c), bucket
 * indices 0..9 into b[]; other classes keep the bucket their class gives (set by the caller,
 * >= ATR__NB_RANGE). Returns the score.
 */
static double range_buckets(const atr__ascore_ctx *cx, const double *key, const uint8_t *cls,
                            uint16_t *b, atr__gacc *acc, double *edges, uint32_t *n_edges) {
    uint32_t ne = atr__natural_breaks(key, cls, cx->m, edges);
    *n_edges = ne;
    for (uint64_t i = 0; i < cx->m; i++) {
        if (cls[i] != ATR__CLS_KEY)
            continue;
        uint16_t lo = 0;
        while (lo < ne && key[i] >= edges[lo])
            lo++;
        b[i] = lo;
    }
    return score_buckets(cx, b, ATR__NB_TOTAL, acc);
}

int atr__analyse_key(atr__ascore_ctx *cx, atr__arg *a, const uint32_t *vids) {
    uint64_t m = cx->m;
    int rc = score_exact(cx, vids, &a->s.score_exact, &a->s.n_distinct);
    if (rc)
        return rc;
    double *key = malloc((size_t)(m ? m : 1) * sizeof(double));
    uint8_t *cls = malloc((size_t)(m ? m : 1));
    uint16_t *b = malloc((size_t)(m ? m : 1) * sizeof(uint16_t));
    atr__gacc *acc = malloc(ATR__NB_TOTAL * sizeof(atr__gacc));
    if (!key || !cls || !b || !acc) {
        rc = ATR_ENOMEM;
        goto out;
    }
    /* Classify values; decide the bucketing mode from the kinds present. */
    uint32_t mode = atr__classify(cx, a, vids, key, cls, b);
    a->s.mode = mode;
    a->n_edges = 0;
    a->s.score_trend = 0;
    if (mode == ATR_GROUP_RANGE || mode == ATR_GROUP_LENGTH) {
        a->s.score_grouped = range_buckets(cx, key, cls, b, acc, a->edges, &a->n_edges);
        a->s.score_trend = atr__trend_score(cx, key, cls, b);
    } else if (mode == ATR_GROUP_EXACT) {
        a->s.score_grouped = a->s.score_exact;
    } else {
        a->s.score_grouped = score_buckets(cx, b, ATR__NB_TOTAL, acc);
    }
    double best = a->s.score_exact > a->s.score_grouped ? a->s.score_exact : a->s.score_grouped;
    a->s.score = best > a->s.score_trend ? best : a->s.score_trend;
    uint64_t nd = a->s.n_distinct;
    /* Few values are shown one by one; strs and containers not when the ranges of their
       lengths make the score (a different text in every call: its excerpts say nothing;
       when the trend makes it, each value keeps its length, render_call.c). */
    int lengths_explain = mode == ATR_GROUP_LENGTH &&
                          a->s.score_grouped > a->s.score_exact + 0.05 &&
                          a->s.score_grouped >= a->s.score_trend;
    if (a->kind != ATR__K_TYPE && ((nd <= 12 && !lengths_explain) ||
                                   (nd <= 256 && a->s.score_exact > a->s.score_grouped + 0.05))) {
        a->s.mode = ATR_GROUP_EXACT;
        a->s.score_grouped = a->s.score_exact;
    }
    rc = atr__build_groups(cx, a, vids, &key, cls, b);
out:
    free(key);
    free(cls);
    free(b);
    free(acc);
    return rc;
}

void atr__ctx_borrow_ids(atr__ascore_ctx *cx, const uint32_t *calls, uint64_t n) {
    if (n != cx->m || (n && memcmp(calls, cx->ids_own, (size_t)n * sizeof(uint32_t)) != 0))
        return;
    free(cx->ids_own);
    cx->ids_own = NULL;
    cx->ids = calls;
}

void atr__ctx_free(atr__ascore_ctx *cx) {
    free(cx->ids_own);
    free(cx->y);
    memset(cx, 0, sizeof(*cx));
}

uint32_t atr__call_key_value(const atr_index *ix, const atr__call *c, const int32_t *col,
                             uint32_t n_cols, uint32_t k) {
    if (k < n_cols) {
        int32_t p = col ? col[k] : (int32_t)k;
        /* no argv: no call has arguments */
        return p >= 0 && (uint32_t)p < c->n_args && ix->argv ? ix->argv[c->args + (uint32_t)p]
                                                             : ATR_NO_VALUE;
    }
    if (k == n_cols)
        return c->status == ATR_CALL_RETURNED ? c->result : ATR_NO_VALUE;
    return c->status == ATR_CALL_RAISED ? c->exc : ATR_NO_VALUE;
}

int atr__gather(const atr_index *ix, const atr__gseg *seg, uint32_t n_seg, const atr_filter *filter,
                uint32_t n_cols, uint32_t na, uint8_t *kept, atr__ascore_ctx *cx, uint32_t *vids,
                atr_argscore *s) {
    uint64_t n = 0;
    for (uint32_t f = 0; f < n_seg; f++)
        n += seg[f].n;
    memset(cx, 0, sizeof(*cx));
    cx->ix = ix;
    cx->ids = cx->ids_own = malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    cx->y = malloc((size_t)(n ? n : 1) * sizeof(double));
    if (!cx->ids_own || !cx->y) {
        atr__ctx_free(cx);
        return ATR_ENOMEM;
    }
    uint64_t mn = UINT64_MAX, mx = 0, at = 0;
    double sum = 0;
    for (uint32_t f = 0; f < n_seg; f++) {
        const atr__gseg *G = &seg[f];
        for (uint64_t i = 0; i < G->n; i++, at++) {
            uint32_t id = G->calls[i];
            if (kept)
                kept[at] = 0;
            if (id >= ix->n_calls)
                continue;
            const atr__call *c = &ix->calls[id];
            if (c->status == ATR_CALL_UNFINISHED)
                continue;
            if (filter && !atr__filter_match_bound(filter, ix, id, G->pi))
                continue;
            if (kept)
                kept[at] = 1;
            for (uint32_t k = 0; k < na; k++)
                vids[(uint64_t)k * n + cx->m] = atr__call_key_value(ix, c, G->col, n_cols, k);
            uint64_t t = atr__call_active(ix, c); /* the duration unless it suspended */
            cx->ids_own[cx->m] = id;
            cx->y[cx->m] = log((double)t + 1.0);
            sum += cx->y[cx->m];
            cx->m++;
            if (t < mn)
                mn = t;
            if (t > mx)
                mx = t;
        }
    }
    double mean = cx->m ? sum / (double)cx->m : 0;
    for (uint64_t i = 0; i < cx->m; i++) {
        cx->y[i] -= mean;
        cx->sst += cx->y[i] * cx->y[i];
    }
    s->n_calls = cx->m;
    atr__hist_edges(cx->m ? mn : 0, cx->m ? mx : 0, s->edges);
    cx->edges = s->edges;
    return 0;
}

static int cmp_args(const void *x, const void *y) {
    const atr__arg *a = x, *b = y;
    if (a->s.score != b->s.score)
        return a->s.score > b->s.score ? -1 : 1;
    return a->s.param < b->s.param ? -1 : a->s.param > b->s.param;
}

void atr__sort_args(atr_argscore *s) { qsort(s->args, s->n_args, sizeof(atr__arg), cmp_args); }

static int str_eq(atr_str a, atr_str b) {
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/*
 * The union of the functions' parameter names, in the order of first appearance: names[u],
 * col[f * nu + u] = function f's index of name u or -1, keyword[u] = name u is a **kwargs
 * keyword (past the declared parameters) where it first appears. One function: its own
 * parameters in order.
 */
static int union_params(const atr_index *ix, const uint32_t *fns, uint32_t n_fns, atr_str **names,
                        uint32_t *nu, int32_t **col, uint8_t **keyword) {
    uint32_t cap = 0;
    for (uint32_t f = 0; f < n_fns; f++)
        cap += ix->funcs[fns[f]].n_params;
    *names = malloc((cap ? cap : 1) * sizeof(atr_str));
    *keyword = malloc(cap ? cap : 1);
    *col = NULL;
    *nu = 0;
    if (!*names || !*keyword)
        return ATR_ENOMEM;
    for (uint32_t f = 0; f < n_fns; f++) {
        const atr__func *F = &ix->funcs[fns[f]];
        for (uint32_t k = 0; k < F->n_params; k++) {
            uint32_t u = 0;
            while (n_fns > 1 && u < *nu && !str_eq((*names)[u], F->params[k]))
                u++;
            if (n_fns > 1 && u < *nu)
                continue;
            (*keyword)[*nu] = k >= F->n_declared;
            (*names)[(*nu)++] = F->params[k];
        }
    }
    *col = malloc((size_t)n_fns * (*nu ? *nu : 1) * sizeof(int32_t));
    if (!*col)
        return ATR_ENOMEM;
    for (uint32_t f = 0; f < n_fns; f++) {
        const atr__func *F = &ix->funcs[fns[f]];
        for (uint32_t u = 0; u < *nu; u++) {
            int32_t *slot = &(*col)[(size_t)f * *nu + u];
            *slot = n_fns == 1 ? (int32_t)u : -1;
            for (uint32_t k = 0; k < F->n_params && *slot < 0; k++)
                if (str_eq(F->params[k], (*names)[u]))
                    *slot = (int32_t)k;
        }
    }
    return 0;
}

/* Value k of each call of cx (atr__call_key_value) into out[0..cx->m): the calls are in the
   order of the segments, one segment per function of fns. */
static void key_column(const atr_index *ix, const atr__ascore_ctx *cx, const uint32_t *fns,
                       uint32_t n_fns, const atr__gseg *seg, uint32_t n_cols, uint32_t k,
                       uint32_t *out) {
    uint32_t f = 0;
    for (uint64_t i = 0; i < cx->m; i++) {
        const atr__call *c = &ix->calls[cx->ids[i]];
        while (f + 1 < n_fns && c->func != fns[f])
            f++;
        out[i] = atr__call_key_value(ix, c, seg[f].col, n_cols, k);
    }
}

int atr_argscore_compute(const atr_index *ix, uint32_t fn, const atr_filter *filter, uint32_t flags,
                         atr_argscore **out) {
    if (!ix || !out || fn >= ix->n_funcs)
        return ATR_EINVAL;
    return atr__argscore_run(ix, &fn, 1, filter, flags, 0, out);
}

/*
 * The keys of one analysis, each analysed on its own (atr__analyse_key reads the index and
 * the context, writes only its key's atr__arg): a second thread takes keys too when the
 * calls are many enough to be worth it (atr__score_par_min) and few enough that a second key's buffers (its value
 * ids, keys, buckets and durations: 19 bytes per call, at most 76 MiB for PAR_CALLS_MAX
 * calls) add little beside the index; more calls are analysed one key at a time, as before. Each key's result goes to its slot; the kept ones are joined in key order, so
 * the result does not depend on which thread took which key.
 */
#define PAR_CALLS_MAX (1u << 22)
uint64_t atr__score_par_min = 1u << 16;

typedef struct key_jobs {
    const atr_index *ix;
    atr__ascore_ctx *cx;
    const uint32_t *fns;
    uint32_t n_fns, nu, na;
    const atr__gseg *seg;
    const atr_str *names; /* the union of the parameters (union_params) */
    const uint8_t *keyword;
    int keep;
    atr__arg *slot;       /* owned: per key, its result */
    uint8_t *used;        /* owned: per key, 1 when analysed (not a **kwargs left out) */
    pthread_mutex_t lock; /* next, rc */
    uint32_t next;        /* the next key to take */
    int rc;               /* the first failure */
} key_jobs;

/* Analyse key k into its slot, with vids (cx->m value ids) as its buffer. */
static int one_key(key_jobs *j, uint32_t k, uint32_t *vids) {
    const atr__ascore_ctx *cx = j->cx;
    atr__arg *a = &j->slot[k];
    int32_t param = k < j->nu ? (int32_t)k : k == j->nu ? -1 : -2;
    key_column(j->ix, cx, j->fns, j->n_fns, j->seg, j->nu, k, vids);
    uint64_t captured = 0;
    for (uint64_t i = 0; i < cx->m; i++)
        captured += vids[i] != ATR_NO_VALUE;
    atr_str name = param >= 0
                       ? j->names[param]
                       : (atr_str){param == -1 ? "return" : "exception", param == -1 ? 6u : 9u};
    /* **kwargs whose entries were recorded one per keyword: those are the keys */
    if (param >= 0 && captured == 0 && name.len > 2 && memcmp(name.ptr, "**", 2) == 0)
        return 0;
    a->s.param = param;
    a->s.name = name;
    a->keyword = param >= 0 && j->keyword[param];
    a->s.n_captured = captured;
    j->used[k] = 1;
    if (j->keep && !(a->call_group = malloc((size_t)(cx->m ? cx->m : 1) * sizeof(uint32_t))))
        return ATR_ENOMEM;
    return atr__analyse_key(j->cx, a, vids);
}

/* Take keys until none is left or one failed. */
static void take_keys(key_jobs *j, uint32_t *vids) {
    for (;;) {
        pthread_mutex_lock(&j->lock);
        uint32_t k = j->next++;
        int stop = j->rc != 0 || k >= j->na;
        pthread_mutex_unlock(&j->lock);
        if (stop)
            return;
        int rc = one_key(j, k, vids);
        pthread_mutex_lock(&j->lock);
        if (rc && !j->rc)
            j->rc = rc;
        pthread_mutex_unlock(&j->lock);
    }
}

static void *key_worker(void *arg) {
    key_jobs *j = arg;
    uint32_t *vids = malloc((size_t)(j->cx->m ? j->cx->m : 1) * sizeof(uint32_t));
    if (vids) /* without its buffer it takes no key: the caller's thread does them all */
        take_keys(j, vids);
    free(vids);
    return NULL;
}

/* Analyse every key of j into s->args (in key order). 0 or ATR_ENOMEM. */
static int run_keys(key_jobs *j, atr_argscore *s) {
    uint64_t m = j->cx->m;
    uint32_t *vids = malloc((size_t)(m ? m : 1) * sizeof(uint32_t));
    j->slot = calloc(j->na ? j->na : 1, sizeof(atr__arg));
    j->used = calloc(j->na ? j->na : 1, 1);
    int rc = ATR_ENOMEM;
    if (!vids || !j->slot || !j->used || pthread_mutex_init(&j->lock, NULL) != 0)
        goto out;
    pthread_t worker;
    int started = 0;
    if (j->na > 1 && m >= atr__score_par_min && m <= PAR_CALLS_MAX) {
        sigset_t all, old; /* the worker takes no signals: they belong to the program's threads */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        started = pthread_create(&worker, NULL, key_worker, j) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    take_keys(j, vids);
    if (started)
        pthread_join(worker, NULL);
    pthread_mutex_destroy(&j->lock);
    rc = j->rc;
    for (uint32_t k = 0; k < j->na; k++) {
        if (rc == 0 && j->used[k])
            s->args[s->n_args++] = j->slot[k]; /* s takes what the slot holds */
        else
            atr__arg_free(&j->slot[k]);
    }
out:
    free(vids);
    free(j->slot);
    free(j->used);
    return rc;
}

int atr__argscore_run(const atr_index *ix, const uint32_t *fns, uint32_t n_fns,
                      const atr_filter *filter, uint32_t flags, int keep, atr_argscore **out) {
    if (!ix || !out || (n_fns && !fns))
        return ATR_EINVAL;
    *out = NULL;
    for (uint32_t f = 0; f < n_fns; f++)
        if (fns[f] >= ix->n_funcs)
            return ATR_EINVAL;
    if (!ix->fn_off)
        return ATR_ENOMEM;
    atr_argscore *s = calloc(1, sizeof(*s));
    atr__gseg *seg = calloc(n_fns ? n_fns : 1, sizeof(*seg));
    int32_t **pi = calloc(n_fns ? n_fns : 1, sizeof(*pi)); /* per function: filter names bound */
    atr__ascore_ctx cx;
    memset(&cx, 0, sizeof(cx));
    int32_t *col = NULL;
    uint8_t *keyword = NULL;
    uint32_t nu = 0;
    atr_str *names = NULL;
    int rc = ATR_ENOMEM;
    if (!s || !seg || !pi || union_params(ix, fns, n_fns, &names, &nu, &col, &keyword))
        goto out;
    for (uint32_t f = 0; f < n_fns; f++) {
        seg[f].calls = ix->fn_calls + ix->fn_off[fns[f]];
        seg[f].n = ix->fn_off[fns[f] + 1] - ix->fn_off[fns[f]];
        seg[f].col = col + (size_t)f * nu;
        if (atr__filter_bind(filter, ix, fns[f], &pi[f]))
            goto out;
        seg[f].pi = pi[f];
    }
    uint32_t na = nu + ((flags & ATR_ARGSCORE_RESULT) ? 2u : 0u);
    int pair = (flags & ATR_ARGSCORE_PAIR) && n_fns == 1;
    s->args = calloc(na ? na : 1, sizeof(atr__arg));
    /* One column of value ids per thread at a time (4 bytes per call, not 4 per call and
       key), read from the index for the calls gathered (run_keys). */
    if (!s->args || (rc = atr__gather(ix, seg, n_fns, filter, nu, 0, NULL, &cx, NULL, s)) != 0)
        goto out;
    rc = ATR_ENOMEM;
    if (!keep && n_fns == 1)
        atr__ctx_borrow_ids(&cx, seg[0].calls, seg[0].n);
    key_jobs j = {.ix = ix,
                  .cx = &cx,
                  .fns = fns,
                  .n_fns = n_fns,
                  .nu = nu,
                  .na = na,
                  .seg = seg,
                  .names = names,
                  .keyword = keyword,
                  .keep = keep || pair};
    if ((rc = run_keys(&j, s)) != 0)
        goto out;
    atr__sort_args(s);
    if (pair && (rc = atr__add_best_pair(&cx, s)) != 0)
        goto out;
    for (uint32_t i = 0; pair && !keep && i < s->n_args; i++) {
        free(s->args[i].call_group); /* needed for the pairs only */
        s->args[i].call_group = NULL;
    }
    if (keep) {
        s->ids = cx.ids_own; /* never borrowed when kept */
        cx.ids_own = NULL;
    }
    rc = 0;
out:
    atr__ctx_free(&cx);
    for (uint32_t f = 0; pi && f < n_fns; f++)
        free(pi[f]);
    free(pi);
    free(seg);
    free(col);
    free(keyword);
    free(names);
    if (rc) {
        atr_argscore_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void atr__arg_free(atr__arg *a) {
    for (uint32_t g = 0; a->groups && g < a->s.n_groups; g++) {
        free(a->groups[g].label_buf);
        free(a->groups[g].filter_buf);
    }
    free(a->groups);
    free(a->name_buf);
    free(a->call_group);
    a->groups = NULL;
    a->name_buf = NULL;
    a->call_group = NULL;
}

void atr_argscore_free(atr_argscore *s) {
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n_args; i++)
        atr__arg_free(&s->args[i]);
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
