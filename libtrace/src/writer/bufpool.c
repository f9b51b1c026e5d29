/*
 * The session's buffer pool: every buffer ever allocated stays on s->all until the session
 * is freed; a drained one goes back to the free list and is reused. All under s->mu.
 */
#include <stdlib.h>

#include "writer/writer_internal.h"

/* An empty buffer's summary (its function array kept for reuse). */
static void sum_reset(atr__buf *b) {
    b->sum.tmin = UINT64_MAX;
    b->sum.tmax = b->sum.seq_lo = b->sum.seq_hi = 0;
    b->sum.n_fn = 0;
    b->sum.from = b->sum.cut_seen = 0;
    atomic_store_explicit(&b->cut, 0, memory_order_relaxed);
    b->sum.bad = b->sum.valid = 0;
}

atr__buf *atr__buf_get(atr_session *s) {
    atr__buf *b = s->free_list;
    if (b) {
        s->free_list = b->next;
    } else {
        b = calloc(1, sizeof *b);
        if (!b)
            return NULL;
        b->cap = s->cfg.buffer_size;
        b->data = malloc(b->cap);
        if (!b->data) {
            free(b);
            return NULL;
        }
        b->all_next = s->all;
        s->all = b;
    }
    b->next = NULL;
    b->flushed = 0;
    atomic_store_explicit(&b->committed, 0, memory_order_relaxed);
    sum_reset(b);
    return b;
}

void atr__buf_put(atr_session *s, atr__buf *b) {
    b->next = s->free_list;
    s->free_list = b;
}

void atr__bufpool_reset(atr_session *s, atr__buf *keep) {
    atr__buf *b;
    s->free_list = NULL;
    for (b = s->all; b; b = b->all_next) {
        atomic_store_explicit(&b->committed, 0, memory_order_relaxed);
        b->flushed = 0;
        sum_reset(b);
        if (b != keep) {
            b->next = s->free_list;
            s->free_list = b;
        }
    }
}

void atr__bufpool_free(atr_session *s) {
    atr__buf *b, *bn;
    for (b = s->all; b; b = bn) {
        bn = b->all_next;
        free(b->data);
        free(b->sum.fn);
        free(b);
    }
    s->all = NULL;
    s->free_list = NULL;
}
