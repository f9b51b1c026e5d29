/*
 * Reader side of the frame index (format/findex.h): find the footer at the end of a log and
 * decode it. The footer is untrusted like the rest of the file: every count is bounded by
 * the bytes that remain, and the entries must tile the file's frames exactly (each a zstd
 * frame, back to back from the header to the footer) or the footer is ignored (rebuilt).
 */
#include <stdlib.h>
#include <string.h>

#include "argtrace/atr_common.h"
#include "common/arena.h"
#include "format/findex.h"
#include "format/format.h"
#include "format/mp_scan.h"

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A time or nil (*none set). */
static uint64_t time_or_nil(atr__mp *m, int *none) {
    if (m->pos < m->n && m->p[m->pos] == 0xc0) {
        m->pos++;
        *none = 1;
        return 0;
    }
    return atr__mp_uint(m);
}

static int decode_entry(atr__mp *m, atr__findex *x, atr__findex_thread **th, uint64_t *cap_th,
                        uint32_t **fn, uint64_t *cap_fn) {
    atr__findex_entry e;
    uint32_t k, size = atr__mp_array(m), n_th, n_fn;
    int none = 0;
    uint64_t f = 0;
    memset(&e, 0, sizeof e);
    if (m->bad || size < 7)
        return 1;
    e.offset = atr__mp_uint(m);
    e.size = atr__mp_uint(m);
    e.tmin = time_or_nil(m, &none);
    e.tmax = time_or_nil(m, &none);
    if (none) {
        e.tmin = UINT64_MAX;
        e.tmax = 0;
    }
    e.flags = (uint32_t)atr__mp_uint(m);
    n_th = atr__mp_array(m);
    if (m->bad || n_th % 3 || n_th > m->n - m->pos)
        return 1;
    n_th /= 3;
    if (atr__grow((void **)th, cap_th, n_th ? n_th : 1, sizeof **th))
        return ATR_ENOMEM;
    for (k = 0; k < n_th; k++) {
        (*th)[k].thread = (uint32_t)atr__mp_uint(m);
        (*th)[k].seq_lo = atr__mp_uint(m);
        (*th)[k].seq_hi = atr__mp_uint(m);
    }
    n_fn = atr__mp_array(m);
    if (m->bad || n_fn > m->n - m->pos)
        return 1;
    if (atr__grow((void **)fn, cap_fn, n_fn ? n_fn : 1, sizeof **fn))
        return ATR_ENOMEM;
    for (k = 0; k < n_fn; k++) {
        f += atr__mp_uint(m);
        if (f > UINT32_MAX)
            m->bad = 1;
        (*fn)[k] = (uint32_t)f;
    }
    if (size > 7)
        atr__mp_skip_n(m, size - 7);
    if (m->bad)
        return 1;
    return atr__findex_add(x, &e, *th, n_th, *fn, n_fn) ? ATR_ENOMEM : 0;
}

int atr__findex_decode(const uint8_t *data, size_t len, size_t start, atr__findex *x,
                       uint64_t *footer_at) {
    atr__findex_thread *th = NULL;
    uint32_t *fn = NULL, n, i;
    uint64_t cap_th = 0, cap_fn = 0, at, end;
    size_t payload;
    atr__mp m;
    int rc = 0;
    memset(x, 0, sizeof *x);
    if (len < start + 16 || memcmp(data + len - 4, ATR__FINDEX_TAG, 4) != 0)
        return 1;
    payload = le32(data + len - 8);
    if (payload < 8 || payload > len - start - 8)
        return 1;
    at = len - payload - 8;
    if (le32(data + at) != ATR__FINDEX_MAGIC || le32(data + at + 4) != payload)
        return 1;
    m.p = data + at + 8;
    m.n = payload - 8;
    m.pos = 0;
    m.bad = 0;
    if (atr__mp_array(&m) < 2 || atr__mp_uint(&m) != ATR__FINDEX_VERSION)
        return 1;
    n = atr__mp_array(&m);
    if (m.bad || n > m.n - m.pos)
        return 1;
    end = start;
    for (i = 0; i < n && rc == 0; i++) {
        rc = decode_entry(&m, x, &th, &cap_th, &fn, &cap_fn);
        if (rc == 0) { /* the entries tile the frames: each a zstd frame right after the last */
            const atr__findex_entry *e = &x->e[x->n - 1];
            if (e->offset != end || e->size < 4 || e->size > at - end ||
                le32(data + e->offset) != ATR__ZSTD_MAGIC)
                rc = 1;
            else
                end = e->offset + e->size;
        }
    }
    if (rc == 0 && end != at)
        rc = 1;
    free(th);
    free(fn);
    if (rc != 0) {
        atr__findex_free(x);
        return rc;
    }
    *footer_at = at;
    return 0;
}
