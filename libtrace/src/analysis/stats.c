/*
 * Per-function statistics: count, total, self and exact percentiles. Percentiles use
 * nearest rank (the smallest duration d such that at least p% of the calls took <= d),
 * found by selection (quickselect) on a copy of the durations: O(n) per function.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

static void swap64(uint64_t *a, uint64_t *b) {
    uint64_t t = *a;
    *a = *b;
    *b = t;
}

/* Reorder d[lo..hi] so that d[k] is the value of rank k, smaller before, larger after. */
static void select_k(uint64_t *d, uint64_t lo, uint64_t hi, uint64_t k) {
    while (hi > lo) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (d[mid] < d[lo])
            swap64(&d[mid], &d[lo]);
        if (d[hi] < d[lo])
            swap64(&d[hi], &d[lo]);
        if (d[hi] < d[mid])
            swap64(&d[hi], &d[mid]);
        uint64_t pivot = d[mid];
        uint64_t i = lo, j = hi;
        while (i <= j) {
            while (d[i] < pivot)
                i++;
            while (d[j] > pivot)
                j--;
            if (i <= j) {
                swap64(&d[i], &d[j]);
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

static uint64_t rank_of(uint64_t n, double p) {
    uint64_t r = (uint64_t)ceil(p / 100.0 * (double)n - 1e-9);
    if (r < 1)
        r = 1;
    if (r > n)
        r = n;
    return r - 1;
}

uint64_t atr__percentile(uint64_t *d, uint64_t n, double p) {
    uint64_t k = rank_of(n, p);
    select_k(d, 0, n - 1, k);
    return d[k];
}

/* p50/p95/p99 of d[0..n) (reordered), nested selections on shrinking ranges. */
static void percentiles(uint64_t *d, uint64_t n, atr_stats *st) {
    uint64_t k99 = rank_of(n, 99), k95 = rank_of(n, 95), k50 = rank_of(n, 50);
    select_k(d, 0, n - 1, k99);
    st->p99_ns = d[k99];
    select_k(d, 0, k99, k95);
    st->p95_ns = d[k95];
    select_k(d, 0, k95, k50);
    st->p50_ns = d[k50];
}

/* Statistics of the calls ids[0..n) that match f (bound params pi); buf has room for n. */
static void stats_of(const atr_index *ix, const uint32_t *ids, uint64_t n, const atr_filter *f,
                     const int32_t *pi, uint64_t *buf, atr_stats *st) {
    memset(st, 0, sizeof(*st));
    st->slowest_call = ATR_NO_CALL;
    uint64_t nf = 0, nu = 0, max_all = 0;
    uint32_t slow_all = ATR_NO_CALL;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t id = ids ? ids[i] : (uint32_t)i;
        const atr__call *c = &ix->calls[id];
        if (f && !atr__filter_match_bound(f, ix, id, pi))
            continue;
        st->count++;
        st->total_ns += c->dur;
        st->self_ns += atr__call_self(ix, c);
        if (c->status == ATR_CALL_RAISED)
            st->raised++;
        if (c->status == ATR_CALL_UNFINISHED) {
            nu++;
            if (slow_all == ATR_NO_CALL || c->dur > max_all) {
                max_all = c->dur;
                slow_all = id;
            }
            buf[n - nu] = c->dur; /* unfinished collect from the end */
            continue;
        }
        if (st->slowest_call == ATR_NO_CALL || c->dur > st->max_ns) {
            st->max_ns = c->dur;
            st->slowest_call = id;
        }
        buf[nf++] = c->dur;
    }
    st->finished = nf;
    st->unfinished = nu;
    if (!st->count)
        return;
    st->mean_ns = (double)st->total_ns / (double)st->count;
    uint64_t *d = buf;
    uint64_t m = nf;
    if (!nf) { /* only unfinished calls: use them */
        d = buf + n - nu;
        m = nu;
        st->max_ns = max_all;
        st->slowest_call = slow_all;
    }
    uint64_t mn = d[0];
    for (uint64_t i = 1; i < m; i++)
        if (d[i] < mn)
            mn = d[i];
    st->min_ns = mn;
    percentiles(d, m, st);
}

int atr_stats_function(const atr_index *ix, uint32_t fn, const atr_filter *filter, atr_stats *out) {
    if (!ix || !out || (fn >= ix->n_funcs && fn != ATR_ALL_FUNCTIONS))
        return ATR_EINVAL;
    if (ix->n_funcs && !ix->fn_off)
        return ATR_ENOMEM; /* derived tables lost to an earlier allocation failure */
    const uint32_t *ids = NULL;
    uint64_t n = ix->n_calls;
    if (fn != ATR_ALL_FUNCTIONS) {
        ids = ix->fn_calls + ix->fn_off[fn];
        n = ix->fn_off[fn + 1] - ix->fn_off[fn];
    }
    uint64_t *buf = malloc((size_t)(n ? n : 1) * sizeof(uint64_t));
    int32_t *pi = NULL;
    if (!buf)
        return ATR_ENOMEM;
    if (filter && fn != ATR_ALL_FUNCTIONS && atr__filter_bind(filter, ix, fn, &pi)) {
        free(buf);
        return ATR_ENOMEM;
    }
    if (filter && fn == ATR_ALL_FUNCTIONS) {
        /* Parameters differ per function: match through the unbound path. */
        memset(out, 0, sizeof(*out));
        uint64_t k = 0;
        uint32_t *sel = malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
        if (!sel) {
            free(buf);
            return ATR_ENOMEM;
        }
        for (uint64_t i = 0; i < n; i++)
            if (atr_filter_match(filter, ix, (uint32_t)i))
                sel[k++] = (uint32_t)i;
        stats_of(ix, sel, k, NULL, NULL, buf, out);
        free(sel);
    } else {
        stats_of(ix, ids, n, filter, pi, buf, out);
    }
    free(pi);
    free(buf);
    return 0;
}

int atr_stats_all(const atr_index *ix, atr_stats *out, uint32_t n_out) {
    if (!ix || (!out && ix->n_funcs) || n_out < ix->n_funcs)
        return ATR_EINVAL;
    if (ix->n_funcs && !ix->fn_off)
        return ATR_ENOMEM;
    uint64_t most = 1;
    for (uint32_t fn = 0; fn < ix->n_funcs; fn++)
        if (ix->fn_off[fn + 1] - ix->fn_off[fn] > most)
            most = ix->fn_off[fn + 1] - ix->fn_off[fn];
    uint64_t *buf = malloc((size_t)most * sizeof(uint64_t));
    if (!buf)
        return ATR_ENOMEM;
    for (uint32_t fn = 0; fn < ix->n_funcs; fn++)
        stats_of(ix, ix->fn_calls + ix->fn_off[fn], ix->fn_off[fn + 1] - ix->fn_off[fn], NULL, NULL,
                 buf, &out[fn]);
    free(buf);
    return 0;
}
