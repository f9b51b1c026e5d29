/*
 * Per-function statistics: count, total, self and exact percentiles; a call's active and
 * self time. Percentiles use nearest rank (the smallest active time d such that at least p%
 * of the calls ran <= d), found by selection (quickselect) on a copy of the active times:
 * O(n) per function. A call's active time is its duration unless its span suspended
 * (generators, coroutines: the sum of its running intervals, ix->susp).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

/*
 * Reorder d[lo..hi] so that d[k] is the value of rank k, smaller before, larger after; for
 * 64-bit and 32-bit durations (the groups of argscore keep 32-bit ones when all fit).
 */
#define ATR__SELECT_K(NAME, T)                                     \
    static void NAME(T *d, uint64_t lo, uint64_t hi, uint64_t k) { \
        while (hi > lo) {                                          \
            uint64_t mid = lo + (hi - lo) / 2;                     \
            T t;                                                   \
            if (d[mid] < d[lo])                                    \
                t = d[mid], d[mid] = d[lo], d[lo] = t;             \
            if (d[hi] < d[lo])                                     \
                t = d[hi], d[hi] = d[lo], d[lo] = t;               \
            if (d[hi] < d[mid])                                    \
                t = d[hi], d[hi] = d[mid], d[mid] = t;             \
            T pivot = d[mid];                                      \
            uint64_t i = lo, j = hi;                               \
            while (i <= j) {                                       \
                while (d[i] < pivot)                               \
                    i++;                                           \
                while (d[j] > pivot)                               \
                    j--;                                           \
                if (i <= j) {                                      \
                    t = d[i], d[i] = d[j], d[j] = t;               \
                    i++;                                           \
                    if (j == 0)                                    \
                        break;                                     \
                    j--;                                           \
                }                                                  \
            }                                                      \
            if (k <= j)                                            \
                hi = j;                                            \
            else if (k >= i)                                       \
                lo = i;                                            \
            else                                                   \
                return;                                            \
        }                                                          \
    }

ATR__SELECT_K(select_k, uint64_t)
ATR__SELECT_K(select_k32, uint32_t)

static uint64_t rank_of(uint64_t n, double p) {
    uint64_t r = (uint64_t)ceil(p / 100.0 * (double)n - 1e-9);
    if (r < 1)
        r = 1;
    if (r > n)
        r = n;
    return r - 1;
}

/* ---- active and self time ---- */

/* ix->susp and ix->adopt: entries that begin with their call id, sorted by it. */
_Static_assert(offsetof(atr__susp, call) == 0 && offsetof(atr__adopt, call) == 0,
               "entries by call begin with it");

static int by_call(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The first of the n entries of `size` bytes at base whose call is not below id. */
static uint64_t first_at(const void *base, uint64_t n, size_t size, uint32_t id) {
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (*(const uint32_t *)((const char *)base + mid * size) < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void atr__susp_finish(atr_index *ix, uint64_t first) {
    for (uint64_t i = first; i < ix->n_susp; i++) {
        atr__susp *e = &ix->susp[i];
        if (e->active > ix->calls[e->call].dur) /* resumed out of order: at most the duration */
            e->active = ix->calls[e->call].dur;
        if (e->outside > e->active)
            e->outside = e->active;
    }
    /* this log's calls come after every earlier log's: the whole array stays sorted */
    if (ix->n_susp > first)
        qsort(ix->susp + first, (size_t)(ix->n_susp - first), sizeof *ix->susp, by_call);
}

const atr__susp *atr__susp_of(const atr_index *ix, const atr__call *c) {
    if (!(c->flags & ATR__CF_SUSPENDED))
        return NULL;
    uint32_t id = (uint32_t)(c - ix->calls);
    uint64_t lo = first_at(ix->susp, ix->n_susp, sizeof *ix->susp, id);
    return lo < ix->n_susp && ix->susp[lo].call == id ? &ix->susp[lo] : NULL;
}

uint64_t atr__call_active(const atr_index *ix, const atr__call *c) {
    const atr__susp *e = atr__susp_of(ix, c);
    return e ? e->active : c->dur;
}

static int by_call_from(const void *a, const void *b) {
    const atr__adopt *x = a, *y = b;
    if (x->call != y->call)
        return x->call < y->call ? -1 : 1;
    return x->from < y->from ? -1 : x->from > y->from;
}

void atr__adopt_finish(atr_index *ix, uint64_t first) {
    if (ix->n_adopt <= first)
        return;
    /* after every earlier log's, as ix->susp; then one entry per (call, from) */
    qsort(ix->adopt + first, (size_t)(ix->n_adopt - first), sizeof *ix->adopt, by_call_from);
    uint64_t k = first;
    for (uint64_t i = first + 1; i < ix->n_adopt; i++) {
        atr__adopt *last = &ix->adopt[k], *e = &ix->adopt[i];
        if (e->call == last->call && e->from == last->from)
            last->ns = last->ns + e->ns < last->ns ? UINT64_MAX : last->ns + e->ns;
        else
            ix->adopt[++k] = *e;
    }
    ix->n_adopt = k + 1;
}

const atr__adopt *atr__adopt_of(const atr_index *ix, const atr__call *c, uint64_t *n) {
    *n = 0;
    if (!(c->flags & ATR__CF_ADOPTS))
        return NULL;
    uint32_t id = (uint32_t)(c - ix->calls);
    uint64_t lo = first_at(ix->adopt, ix->n_adopt, sizeof *ix->adopt, id), hi = lo;
    while (hi < ix->n_adopt && ix->adopt[hi].call == id)
        hi++;
    *n = hi - lo;
    return hi > lo ? &ix->adopt[lo] : NULL;
}

uint64_t atr__call_adopted(const atr_index *ix, const atr__call *c) {
    uint64_t n, sum = 0;
    const atr__adopt *a = atr__adopt_of(ix, c, &n);
    for (uint64_t i = 0; i < n; i++)
        sum = sum + a[i].ns < sum ? UINT64_MAX : sum + a[i].ns;
    return sum;
}

void atr__call_times(const atr_index *ix, const atr__call *c, uint64_t *active, uint64_t *charged,
                     uint64_t *children, uint64_t *adopted, uint64_t *self) {
    const atr__susp *e = atr__susp_of(ix, c);
    uint64_t sum = 0, a = e ? e->active : c->dur;
    uint32_t file = ix->threads[c->thread].file;
    for (uint32_t k = c->first_child; k != ATR_NO_CALL; k = ix->calls[k].next_sibling) {
        const atr__call *ch = &ix->calls[k];
        if (ch->thread == c->thread || ix->threads[ch->thread].file == file) {
            const atr__susp *ce = atr__susp_of(ix, ch);
            uint64_t t = ce ? ce->active - ce->outside : ch->dur;
            sum = sum + t < sum ? UINT64_MAX : sum + t;
        }
    }
    uint64_t ad = atr__call_adopted(ix, c), off = sum + ad < sum ? UINT64_MAX : sum + ad;
    *active = a;
    *charged = e ? e->active - e->outside : c->dur;
    *children = sum;
    *adopted = ad;
    *self = a > off ? a - off : 0;
}

uint64_t atr__call_self(const atr_index *ix, const atr__call *c) {
    uint64_t a, cg, ch, ad, self;
    atr__call_times(ix, c, &a, &cg, &ch, &ad, &self);
    return self;
}

uint64_t atr__percentile(uint64_t *d, uint64_t n, double p) {
    uint64_t k = rank_of(n, p);
    select_k(d, 0, n - 1, k);
    return d[k];
}

uint64_t atr__percentile32(uint32_t *d, uint64_t n, double p) {
    uint64_t k = rank_of(n, p);
    select_k32(d, 0, n - 1, k);
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
    double ec = 0, et = 0, ea = 0, es = 0, ei = 0; /* estimates (sampled logs) */
    for (uint64_t i = 0; i < n; i++) {
        uint32_t id = ids ? ids[i] : (uint32_t)i;
        const atr__call *c = &ix->calls[id];
        if (f && !atr__filter_match_bound(f, ix, id, pi))
            continue;
        uint64_t a, cg, ch, ad, self;
        atr__call_times(ix, c, &a, &cg, &ch, &ad, &self);
        st->count++;
        st->total_ns += c->dur;
        st->active_ns += a;
        st->self_ns += self;
        double rate = ix->files[ix->threads[c->thread].file].info.sample_rate;
        if (rate > 0 && rate < 1) {
            st->sampled = 1;
        } else {
            rate = 1;
        }
        ec += 1 / rate;
        et += (double)c->dur / rate;
        ea += (double)a / rate;
        es += (double)self / rate;
        if (c->flags & ATR__CF_NESTED) {
            st->nested++;
        } else {
            st->inclusive_ns += a;
            ei += (double)a / rate;
        }
        if (c->status == ATR_CALL_RAISED)
            st->raised++;
        if (c->status == ATR_CALL_UNFINISHED) {
            nu++;
            if (slow_all == ATR_NO_CALL || a > max_all) {
                max_all = a;
                slow_all = id;
            }
            buf[n - nu] = a; /* unfinished collect from the end */
            continue;
        }
        if (st->slowest_call == ATR_NO_CALL || a > st->max_ns) {
            st->max_ns = a;
            st->slowest_call = id;
        }
        buf[nf++] = a;
    }
    st->finished = nf;
    st->unfinished = nu;
    st->est_count = st->sampled ? (uint64_t)(ec + 0.5) : st->count;
    st->est_total_ns = st->sampled ? (uint64_t)(et + 0.5) : st->total_ns;
    st->est_active_ns = st->sampled ? (uint64_t)(ea + 0.5) : st->active_ns;
    st->est_self_ns = st->sampled ? (uint64_t)(es + 0.5) : st->self_ns;
    st->est_inclusive_ns = st->sampled ? (uint64_t)(ei + 0.5) : st->inclusive_ns;
    if (!st->count)
        return;
    st->mean_ns = (double)st->active_ns / (double)st->count;
    uint64_t *d = buf;
    uint64_t m = nf;
    if (!nf) { /* only unfinished calls: use them */
        d = buf + n - nu;
        m = nu;
        st->max_ns = max_all;
        st->slowest_call = slow_all;
    }
    atr__stats_percentiles(d, m, st);
}

void atr__stats_percentiles(uint64_t *d, uint64_t n, atr_stats *st) {
    uint64_t mn = d[0];
    for (uint64_t i = 1; i < n; i++)
        if (d[i] < mn)
            mn = d[i];
    st->min_ns = mn;
    percentiles(d, n, st);
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
    if (ix->stream && atr__stream_stats_only(ix))
        return atr__stream_stats(ix, out, n_out);
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
