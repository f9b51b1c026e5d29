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

/*
 * A call's place in the order: 12 bytes (a query of all 20M calls of a function sorts 240 MB,
 * in place). Ordered ascending by key, then (sorts by duration or self time) by start, then
 * by id; the start is read from the index when keys tie.
 */
typedef struct item {
    uint32_t key_hi, key_lo; /* the key's 64 bits in two halves: 4-byte aligned, no padding */
    uint32_t id;
} item;

typedef struct order {
    const atr_index *ix;
    int tie_start; /* ties by start (not for ATR_SORT_START: its key is the start) */
} order;

static uint64_t key_of(const item *a) { return (uint64_t)a->key_hi << 32 | a->key_lo; }

static int before(const order *o, const item *a, const item *b) {
    uint64_t ka = key_of(a), kb = key_of(b);
    if (ka != kb)
        return ka < kb;
    if (o->tie_start) {
        uint64_t sa = o->ix->calls[a->id].start, sb = o->ix->calls[b->id].start;
        if (sa != sb)
            return sa < sb;
    }
    return a->id < b->id;
}

static item make_item(const atr_index *ix, const atr__call *c, uint32_t id, int sort) {
    uint64_t key;
    switch (sort) {
    case ATR_SORT_DURATION:
        key = UINT64_MAX - c->dur;
        break;
    case ATR_SORT_SELF:
        key = UINT64_MAX - atr__call_self(ix, c);
        break;
    case ATR_SORT_FASTEST:
        key = c->dur;
        break;
    default:
        key = c->start;
        break;
    }
    return (item){(uint32_t)(key >> 32), (uint32_t)key, id};
}

static void swap_items(item *a, item *b) {
    item t = *a;
    *a = *b;
    *b = t;
}

/* Max-heap on `before` of size k: keeps the k first items. */
static void heap_sift_down(const order *o, item *h, uint64_t n, uint64_t i) {
    for (;;) {
        uint64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(o, &h[m], &h[l]))
            m = l;
        if (r < n && before(o, &h[m], &h[r]))
            m = r;
        if (m == i)
            return;
        swap_items(&h[i], &h[m]);
        i = m;
    }
}

static void heap_sift_up(const order *o, item *h, uint64_t i) {
    while (i > 0) {
        uint64_t p = (i - 1) / 2;
        if (!before(o, &h[p], &h[i]))
            return;
        swap_items(&h[i], &h[p]);
        i = p;
    }
}

static void heap_sort(const order *o, item *a, uint64_t n) {
    for (uint64_t i = n / 2; i-- > 0;)
        heap_sift_down(o, a, n, i);
    for (uint64_t e = n; e > 1; e--) {
        swap_items(&a[0], &a[e - 1]);
        heap_sift_down(o, a, e - 1, 0);
    }
}

/*
 * Sort a[0..n) in place (introsort: quicksort, heap sort past a depth, insertion sort for
 * short ranges). Not qsort: glibc's merges through a second buffer as large as the array.
 * Items are distinct (ids differ), so the order is total and the result the same as any sort's.
 */
static void sort_items(const order *o, item *a, uint64_t n, unsigned depth) {
    while (n > 16) {
        if (depth-- == 0) {
            heap_sort(o, a, n);
            return;
        }
        uint64_t mid = n / 2;
        if (before(o, &a[mid], &a[0]))
            swap_items(&a[mid], &a[0]);
        if (before(o, &a[n - 1], &a[0]))
            swap_items(&a[n - 1], &a[0]);
        if (before(o, &a[n - 1], &a[mid]))
            swap_items(&a[n - 1], &a[mid]);
        item pivot = a[mid];
        uint64_t i = 0, j = n - 1;
        for (;;) { /* Hoare: a[0] <= pivot <= a[n - 1] keep both scans in bounds */
            while (before(o, &a[i], &pivot))
                i++;
            while (before(o, &pivot, &a[j]))
                j--;
            if (i >= j)
                break;
            swap_items(&a[i], &a[j]);
            i++;
            j--;
        }
        /* a[0..j] <= pivot <= a[j+1..n): recurse into the smaller part */
        uint64_t left = j + 1;
        if (left < n - left) {
            sort_items(o, a, left, depth);
            a += left;
            n -= left;
        } else {
            sort_items(o, a + left, n - left, depth);
            n = left;
        }
    }
    for (uint64_t i = 1; i < n; i++) {
        item t = a[i];
        uint64_t j = i;
        for (; j > 0 && before(o, &t, &a[j - 1]); j--)
            a[j] = a[j - 1];
        a[j] = t;
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
    order o = {ix, q->sort != ATR_SORT_START};
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
            heap_sift_up(&o, items, k - 1);
        } else if (before(&o, &it, &items[0])) {
            items[0] = it;
            heap_sift_down(&o, items, k, 0);
        }
    }
    free(pi);
    sort_items(&o, items, k, 128);
    uint64_t first = q->offset < k ? q->offset : k;
    uint64_t cnt = k - first;
    if (q->limit && cnt > q->limit)
        cnt = q->limit;
    /* The ids take the items' place, front to back: id i (bytes 4i..4i+4) is written after
       item first + i (bytes from 12i on) was read, and before any later item. */
    uint32_t *out_ids = (uint32_t *)(void *)items;
    for (uint64_t i = 0; i < cnt; i++)
        out_ids[i] = items[first + i].id;
    uint32_t *shrunk = realloc(out_ids, (size_t)(cnt ? cnt : 1) * sizeof(uint32_t));
    cs->ids = shrunk ? shrunk : out_ids;
    cs->n = cnt;
    cs->matched = matched;
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
