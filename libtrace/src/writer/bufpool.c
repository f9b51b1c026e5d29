/*
 * The session's buffer pool: every buffer ever allocated stays on s->all until the session
 * is freed; a drained one goes back to the free list and is reused. All under s->mu.
 *
 * Spares: a new buffer is fresh memory, and its first writer takes a page fault per 4 KiB
 * (32 for the default 128 KiB, 1-3 us each on a VM): ~20 ns per call while a session's pool
 * grows, on the program's thread, in every short program and the first seconds of any. The
 * flusher keeps ATR__SPARE_BUFS buffers on the free list with their pages touched (at its
 * start, and when a producer takes one: atr__buf_get wakes it), so producers fault only when
 * they outrun it. The pool holds at most ATR__SPARE_BUFS more buffers than were ever in use
 * at once.
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

#define ATR__SPARE_BUFS 2u
#define ATR__PAGE 4096u /* touched at this stride: every page of any larger size too */

/* A new buffer of cap bytes, linked nowhere; touch: its pages faulted in now. */
static atr__buf *buf_new(size_t cap, int touch) {
    atr__buf *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cap = cap;
    b->tcap = ATR__TCAP(cap);
    b->data = malloc(cap + 2 * b->tcap);
    if (!b->data) {
        free(b);
        return NULL;
    }
    b->times = b->data + cap;
    for (size_t i = 0; touch && i < cap + 2 * b->tcap; i += ATR__PAGE)
        ((volatile uint8_t *)b->data)[i] = 0;
    return b;
}

atr__buf *atr__buf_get(atr_session *s) {
    atr__buf *b = s->free_list;
    if (b) {
        s->free_list = b->next;
        if (s->n_free-- <= ATR__SPARE_BUFS && !s->spare_off)
            pthread_cond_signal(&s->wake_cv); /* the flusher replaces it */
    } else {
        if (!(b = buf_new(s->cfg.buffer_size, 0)))
            return NULL;
        b->all_next = s->all;
        s->all = b;
    }
    b->next = NULL;
    b->flushed = b->tflushed = 0;
    atomic_store_explicit(&b->committed, 0, memory_order_relaxed);
    sum_reset(b);
    return b;
}

int atr__bufpool_want_spare(const atr_session *s) {
    return !s->spare_off && s->n_free < ATR__SPARE_BUFS;
}

void atr__bufpool_add_spare(atr_session *s) {
    atr__mu_unlock(s); /* ~10-100 us of faults: producers go on meanwhile */
    atr__buf *b = buf_new(s->cfg.buffer_size, 1);
    atr__mu_lock(s);
    if (!b) {
        s->spare_off = 1;
        return;
    }
    b->all_next = s->all;
    s->all = b;
    atr__buf_put(s, b);
}

void atr__buf_put(atr_session *s, atr__buf *b) {
    b->next = s->free_list;
    s->free_list = b;
    s->n_free++;
}

void atr__bufpool_reset(atr_session *s, atr__buf *keep) {
    atr__buf *b;
    s->free_list = NULL;
    s->n_free = 0;
    for (b = s->all; b; b = b->all_next) {
        atomic_store_explicit(&b->committed, 0, memory_order_relaxed);
        b->flushed = b->tflushed = 0;
        sum_reset(b);
        if (b != keep)
            atr__buf_put(s, b);
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
    s->n_free = 0;
}
