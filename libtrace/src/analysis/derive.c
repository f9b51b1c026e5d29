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

static int build_lists(atr_index *ix) {
    atr__call *calls = ix->calls;
    for (uint32_t t = 0; t < ix->n_threads; t++) {
        ix->threads[t].first_root = ATR_NO_CALL;
        ix->threads[t].n_roots = 0;
        ix->threads[t].n_calls = 0;
    }
    for (uint64_t i = 0; i < ix->n_calls; i++)
        calls[i].first_child = ATR_NO_CALL;
    for (uint64_t i = ix->n_calls; i-- > 0;) {
        atr__call *c = &calls[i];
        atr__thread *th = &ix->threads[c->thread];
        th->n_calls++;
        if (c->parent != ATR_NO_CALL) {
            c->next_sibling = calls[c->parent].first_child;
            calls[c->parent].first_child = (uint32_t)i;
        } else {
            c->next_sibling = th->first_root;
            th->first_root = (uint32_t)i;
            th->n_roots++;
        }
    }
    keyed *tmp = NULL;
    uint64_t cap = 0;
    int rc = 0;
    for (uint64_t i = 0; i < ix->n_calls && rc == 0; i++)
        if (calls[i].first_child != ATR_NO_CALL && (calls[i].flags & ATR__CF_XCHILD))
            rc = sort_list(calls, &calls[i].first_child, &tmp, &cap);
    /* Roots of a thread are in call id order, which is their start order: no sorting. */
    free(tmp);
    return rc;
}

/* Counting sort of `n` items by key(i) < nkeys into off (nkeys + 1) and ids (n). */
static int bucket(uint64_t n, uint32_t nkeys, const uint32_t *keys, size_t stride,
                  uint32_t **off_out, uint32_t **ids_out) {
    uint32_t *off = calloc((size_t)nkeys + 2, sizeof(uint32_t));
    uint32_t *ids = malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    if (!off || !ids) {
        free(off);
        free(ids);
        return ATR_ENOMEM;
    }
    const char *k = (const char *)keys;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t key = *(const uint32_t *)(k + i * stride);
        if (key < nkeys)
            off[key + 2]++;
    }
    for (uint32_t i = 2; i < nkeys + 2; i++)
        off[i] += off[i - 1];
    for (uint64_t i = 0; i < n; i++) {
        uint32_t key = *(const uint32_t *)(k + i * stride);
        if (key < nkeys)
            ids[off[key + 1]++] = (uint32_t)i;
    }
    *off_out = off;
    *ids_out = ids;
    return 0;
}

int atr__index_derive(atr_index *ix) {
    int rc = build_lists(ix);
    if (rc)
        return rc;
    free(ix->fn_off);
    free(ix->fn_calls);
    ix->fn_off = ix->fn_calls = NULL;
    rc = bucket(ix->n_calls, ix->n_funcs, ix->n_calls ? &ix->calls[0].func : NULL, sizeof(atr__call), &ix->fn_off,
                &ix->fn_calls);
    if (rc)
        return rc;
    free(ix->msg_off);
    free(ix->msg_ids);
    ix->msg_off = ix->msg_ids = NULL;
    if (ix->n_msgs && ix->n_calls < UINT32_MAX)
        rc = bucket(ix->n_msgs, (uint32_t)ix->n_calls, &ix->msgs[0].call, sizeof(atr__msg),
                    &ix->msg_off, &ix->msg_ids);
    return rc;
}
