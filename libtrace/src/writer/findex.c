/*
 * The frame index of a log file (docs/FORMAT.md 2.4): each frame written to a sink is noted
 * with what its segments hold (a queued buffer's summary, noted by its thread, or the
 * flusher's scan: flusher.c); at the file's close the index
 * is appended as a skippable frame, the footer. Flusher-owned like the sink (or used after
 * the flusher stopped). A frame that cannot be noted (out of memory, too many frames) turns
 * indexing off for the file: no footer, and a reader rebuilds the index by a scan.
 */
#include <stdlib.h>
#include <string.h>

#include "writer/writer_internal.h"

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The threads of a frame: one entry per thread, first and last START of the frame's
   segments of it. */
static uint32_t merge_threads(const atr__segmeta *metas, size_t n, atr__findex_thread *th) {
    uint32_t n_th = 0, k;
    size_t i;
    for (i = 0; i < n; i++) {
        const atr__segmeta *m = &metas[i];
        if (m->thread == ATR__SEG_META)
            continue;
        for (k = 0; k < n_th && th[k].thread != m->thread; k++)
            ;
        if (k == n_th) {
            th[n_th].thread = m->thread;
            th[n_th].seq_lo = th[n_th].seq_hi = 0;
            n_th++;
        }
        if (m->seq_lo && !th[k].seq_lo)
            th[k].seq_lo = m->seq_lo;
        if (m->seq_hi)
            th[k].seq_hi = m->seq_hi;
    }
    return n_th;
}

static int note(atr__findex *x, uint64_t offset, uint64_t size, const atr__segmeta *metas,
                size_t n) {
    atr__findex_entry e;
    atr__findex_thread *th = NULL;
    uint32_t *fn = NULL, n_th = 0;
    size_t i, n_fn = 0, w;
    int rc;
    memset(&e, 0, sizeof e);
    e.offset = offset;
    e.size = size;
    e.tmin = UINT64_MAX;
    e.flags = metas ? 0 : ATR__FINDEX_META;
    for (i = 0; metas && i < n; i++) {
        if (metas[i].thread == ATR__SEG_BROKEN)
            return ATR_ECORRUPT; /* the frame does not decode alone: no index */
        if (metas[i].thread == ATR__SEG_META) {
            e.flags |= ATR__FINDEX_META;
            continue;
        }
        if (metas[i].tmin < e.tmin)
            e.tmin = metas[i].tmin;
        if (metas[i].tmin <= metas[i].tmax && metas[i].tmax > e.tmax)
            e.tmax = metas[i].tmax;
        n_fn += metas[i].n_fn;
    }
    if (metas) {
        th = malloc(n * sizeof *th);
        fn = malloc((n_fn ? n_fn : 1) * sizeof *fn);
        if (!th || !fn) {
            free(th);
            free(fn);
            return ATR_ENOMEM;
        }
        n_th = merge_threads(metas, n, th);
        for (i = 0, n_fn = 0; i < n; i++) {
            if (metas[i].thread != ATR__SEG_META && metas[i].n_fn) {
                memcpy(fn + n_fn, metas[i].fn, metas[i].n_fn * sizeof *fn);
                n_fn += metas[i].n_fn;
            }
        }
        qsort(fn, n_fn, sizeof *fn, cmp_u32);
        for (i = 0, w = 0; i < n_fn; i++)
            if (w == 0 || fn[w - 1] != fn[i])
                fn[w++] = fn[i];
        n_fn = w;
    }
    rc = atr__findex_add(x, &e, th, n_th, fn, n_fn);
    free(th);
    free(fn);
    return rc;
}

void atr__findex_note(atr__sink *k, uint64_t offset, uint64_t size, const atr__segmeta *metas,
                      size_t n) {
    if (k->findex_off)
        return;
    if (!k->findex && !(k->findex = calloc(1, sizeof *k->findex))) {
        k->findex_off = 1;
        return;
    }
    if (k->findex->n >= ATR__FINDEX_FRAMES_MAX || note(k->findex, offset, size, metas, n) != 0) {
        k->findex_off = 1;
        atr__findex_free(k->findex);
        free(k->findex);
        k->findex = NULL;
    }
}

void atr__findex_finish(atr__sink *k) {
    uint8_t *out = NULL;
    size_t len = 0;
    if (k->fd < 0 || k->err || k->findex_off || !k->findex)
        return;
    if (atr__findex_encode(k->findex, &out, &len) == 0)
        (void)atr__sink_write(k, out, len);
    free(out);
    atr__findex_free(k->findex);
    free(k->findex);
    k->findex = NULL;
    k->findex_off = 1; /* nothing is indexed after the footer */
}
