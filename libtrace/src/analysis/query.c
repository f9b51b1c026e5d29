/*
 * Queries: the calls of a function (or all) matching a filter, sorted by start, duration or
 * self time, with offset and limit. With a limit, only the first offset+limit are kept
 * (a bounded heap), so "the 20 slowest of 10 million" does not sort 10 million.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

struct atr_callset {
    uint32_t *ids;
    uint64_t n, matched;
};

typedef struct item {
    uint64_t key; /* ordered ascending: "smaller" comes first */
    uint64_t tie;
    uint32_t id;
} item;

static int before(const item *a, const item *b) {
    if (a->key != b->key)
        return a->key < b->key;
    if (a->tie != b->tie)
        return a->tie < b->tie;
    return a->id < b->id;
}

static int cmp_item(const void *a, const void *b) {
    const item *x = a, *y = b;
    return before(x, y) ? -1 : before(y, x) ? 1 : 0;
}

static item make_item(const atr_index *ix, const atr__call *c, uint32_t id, int sort) {
    item it = {0, c->start, id};
    switch (sort) {
    case ATR_SORT_DURATION:
        it.key = UINT64_MAX - c->dur;
        break;
    case ATR_SORT_SELF:
        it.key = UINT64_MAX - atr__call_self(ix, c);
        break;
    case ATR_SORT_FASTEST:
        it.key = c->dur;
        break;
    default:
        it.key = c->start;
        it.tie = 0;
        break;
    }
    return it;
}

/* Max-heap on `before` of size k: keeps the k first items. */
static void heap_sift_down(item *h, uint64_t n, uint64_t i) {
    for (;;) {
        uint64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(&h[m], &h[l]))
            m = l;
        if (r < n && before(&h[m], &h[r]))
            m = r;
        if (m == i)
            return;
        item t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_sift_up(item *h, uint64_t i) {
    while (i > 0) {
        uint64_t p = (i - 1) / 2;
        if (!before(&h[p], &h[i]))
            return;
        item t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

int atr_query_run(const atr_index *ix, const atr_query *q, atr_callset **out) {
    if (!ix || !q || !out || q->sort < 0 || q->sort > ATR_SORT_FASTEST ||
        (q->function != ATR_ALL_FUNCTIONS && q->function >= ix->n_funcs) ||
        (q->thread != ATR_NO_THREAD && q->thread >= ix->n_threads))
        return ATR_EINVAL;
    *out = NULL;
    if (ix->n_funcs && !ix->fn_off)
        return ATR_ENOMEM;
    const uint32_t *ids = NULL;
    uint64_t n = ix->n_calls;
    if (q->function != ATR_ALL_FUNCTIONS) {
        ids = ix->fn_calls + ix->fn_off[q->function];
        n = ix->fn_off[q->function + 1] - ix->fn_off[q->function];
    }
    int32_t *pi = NULL;
    if (q->filter && q->function != ATR_ALL_FUNCTIONS &&
        atr__filter_bind(q->filter, ix, q->function, &pi))
        return ATR_ENOMEM;
    uint64_t want = q->limit ? q->offset + q->limit : 0;
    if (want && want < q->offset) /* overflow */
        want = 0;
    int bounded = want && want < n;
    uint64_t cap = bounded ? want : (n ? n : 1);
    item *items = malloc((size_t)cap * sizeof(item));
    atr_callset *cs = calloc(1, sizeof(*cs));
    if (!items || !cs) {
        free(items);
        free(cs);
        free(pi);
        return ATR_ENOMEM;
    }
    uint64_t k = 0, matched = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t id = ids ? ids[i] : (uint32_t)i;
        const atr__call *c = &ix->calls[id];
        if (q->thread != ATR_NO_THREAD && c->thread != q->thread)
            continue;
        if (q->filter) {
            int ok = pi ? atr__filter_match_bound(q->filter, ix, id, pi)
                        : atr_filter_match(q->filter, ix, id);
            if (!ok)
                continue;
        }
        matched++;
        item it = make_item(ix, c, id, q->sort);
        if (!bounded) {
            items[k++] = it;
        } else if (k < cap) {
            items[k++] = it;
            heap_sift_up(items, k - 1);
        } else if (before(&it, &items[0])) {
            items[0] = it;
            heap_sift_down(items, k, 0);
        }
    }
    free(pi);
    qsort(items, k, sizeof(item), cmp_item);
    uint64_t first = q->offset < k ? q->offset : k;
    uint64_t cnt = k - first;
    if (q->limit && cnt > q->limit)
        cnt = q->limit;
    cs->ids = malloc((size_t)(cnt ? cnt : 1) * sizeof(uint32_t));
    if (!cs->ids) {
        free(items);
        free(cs);
        return ATR_ENOMEM;
    }
    for (uint64_t i = 0; i < cnt; i++)
        cs->ids[i] = items[first + i].id;
    cs->n = cnt;
    cs->matched = matched;
    free(items);
    *out = cs;
    return 0;
}

void atr_query_init(atr_query *q) {
    memset(q, 0, sizeof(*q));
    q->size = sizeof(*q);
    q->function = ATR_ALL_FUNCTIONS;
    q->thread = ATR_NO_THREAD;
    q->sort = ATR_SORT_START;
}

uint64_t atr_callset_count(const atr_callset *cs) { return cs ? cs->n : 0; }
uint64_t atr_callset_matched(const atr_callset *cs) { return cs ? cs->matched : 0; }

uint32_t atr_callset_get(const atr_callset *cs, uint64_t i) {
    return cs && i < cs->n ? cs->ids[i] : ATR_NO_CALL;
}

const uint32_t *atr_callset_ids(const atr_callset *cs) { return cs ? cs->ids : NULL; }

void atr_callset_free(atr_callset *cs) {
    if (!cs)
        return;
    free(cs->ids);
    free(cs);
}
