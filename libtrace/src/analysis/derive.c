/*
 * Tables derived from the calls after each load: children and root lists in start order,
 * per-function call lists and per-call message lists (both as offset + id arrays).
 * Rebuilt whole after every load: O(calls), so merging k logs costs O(k * calls).
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

typedef struct keyed {
    uint64_t start;
    uint32_t id;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Sort the list starting at *head by (start, id) if it is not sorted already. */
static int sort_list(atr__call *calls, uint32_t *head, keyed **tmp, uint64_t *cap) {
    uint64_t n = 0;
    int sorted = 1;
    uint64_t prev = 0;
    for (uint32_t c = *head; c != ATR_NO_CALL; c = calls[c].next_sibling) {
        if (n && calls[c].start < prev)
            sorted = 0;
        prev = calls[c].start;
        n++;
    }
    if (sorted)
        return 0;
    if (atr__grow((void **)tmp, cap, n, sizeof(keyed)))
        return ATR_ENOMEM;
    uint64_t i = 0;
    for (uint32_t c = *head; c != ATR_NO_CALL; c = calls[c].next_sibling)
        (*tmp)[i++] = (keyed){calls[c].start, c};
    qsort(*tmp, n, sizeof(keyed), cmp_keyed);
    *head = (*tmp)[0].id;
    for (i = 0; i + 1 < n; i++)
        calls[(*tmp)[i].id].next_sibling = (*tmp)[i + 1].id;
    calls[(*tmp)[n - 1].id].next_sibling = ATR_NO_CALL;
    return 0;
}

/*
 * Two passes over the calls. Backwards: every call is prepended to its parent's child list
 * (or its thread's root list), so lists come out in call id order, and calls are counted per
 * function. Forwards: call ids are placed per function, and the few child lists that hold
 * children of other threads or processes are sorted by start (elsewhere id order is start
 * order). Calls from `fresh` on have no children yet (set by the loader); older ones are
 * reset first.
 */
static int build(atr_index *ix, uint64_t fresh) {
    atr__call *calls = ix->calls;
    uint64_t n = ix->n_calls;
    uint32_t nf = ix->n_funcs;
    for (uint32_t t = 0; t < ix->n_threads; t++) {
        ix->threads[t].first_root = ATR_NO_CALL;
        ix->threads[t].n_roots = 0;
        ix->threads[t].n_calls = 0;
    }
    for (uint64_t i = 0; i < fresh && i < n; i++)
        calls[i].first_child = ATR_NO_CALL;
    free(ix->fn_off);
    free(ix->fn_calls);
    ix->fn_off = calloc((size_t)nf + 2, sizeof(uint32_t));
    ix->fn_calls = malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    if (!ix->fn_off || !ix->fn_calls)
        return ATR_ENOMEM;
    uint32_t *off = ix->fn_off;
    for (uint64_t i = n; i-- > 0;) {
        atr__call *c = &calls[i];
        atr__thread *th = &ix->threads[c->thread];
        th->n_calls++;
        off[c->func + 2]++;
        if (c->parent != ATR_NO_CALL) {
            c->next_sibling = calls[c->parent].first_child;
            calls[c->parent].first_child = (uint32_t)i;
        } else {
            c->next_sibling = th->first_root;
            th->first_root = (uint32_t)i;
            th->n_roots++;
        }
    }
    for (uint32_t f = 2; f < nf + 2; f++)
        off[f] += off[f - 1];
    keyed *tmp = NULL;
    uint64_t cap = 0;
    int rc = 0;
    for (uint64_t i = 0; i < n; i++) {
        atr__call *c = &calls[i];
        ix->fn_calls[off[c->func + 1]++] = (uint32_t)i;
        if ((c->flags & ATR__CF_XCHILD) && c->first_child != ATR_NO_CALL && rc == 0)
            rc = sort_list(calls, &c->first_child, &tmp, &cap);
    }
    /* off[f] is now the end of f's calls = the start of f + 1's: fn_off[f] starts f. */
    free(tmp);
    return rc;
}

/* Counting sort of messages by call into msg_off (n_calls + 1 offsets) and msg_ids. */
static int messages_by_call(atr_index *ix) {
    uint64_t n = ix->n_msgs, nk = ix->n_calls;
    free(ix->msg_off);
    free(ix->msg_ids);
    ix->msg_off = ix->msg_ids = NULL;
    if (!n || nk >= UINT32_MAX)
        return 0;
    uint32_t *off = calloc((size_t)nk + 2, sizeof(uint32_t));
    uint32_t *ids = malloc((size_t)n * sizeof(uint32_t));
    if (!off || !ids) {
        free(off);
        free(ids);
        return ATR_ENOMEM;
    }
    for (uint64_t i = 0; i < n; i++)
        if (ix->msgs[i].call < nk)
            off[ix->msgs[i].call + 2]++;
    for (uint64_t i = 2; i < nk + 2; i++)
        off[i] += off[i - 1];
    for (uint64_t i = 0; i < n; i++)
        if (ix->msgs[i].call < nk)
            ids[off[ix->msgs[i].call + 1]++] = (uint32_t)i;
    ix->msg_off = off;
    ix->msg_ids = ids;
    return 0;
}

int atr__index_derive(atr_index *ix, uint64_t fresh) {
    int rc = build(ix, fresh); /* (ATR__CF_NESTED is set as the log loads: running.c) */
    return rc ? rc : messages_by_call(ix);
}
