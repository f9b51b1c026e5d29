/*
 * Writer side of the frame index (format/findex.h): CHUNK with the thread's state, the scan
 * of a thread's records that keeps that state and notes what a frame holds, the footer.
 */
#include "format/findex.h"

#include <stdlib.h>
#include <string.h>

#include "argtrace/atr_common.h"
#include "common/arena.h"
#include "format/format.h"
#include "format/mp_scan.h"

void atr__findex_free(atr__findex *x) {
    free(x->e);
    free(x->th);
    free(x->fn);
    memset(x, 0, sizeof *x);
}

void atr__enc_chunk_state(atr__cur *c, uint32_t thread, uint64_t time, uint64_t seq) {
    atr__enc_array_hdr(c, 4);
    atr__enc_uint(c, ATR__REC_CHUNK);
    atr__enc_uint(c, thread);
    atr__enc_uint(c, time);
    atr__enc_uint(c, seq);
}

/* dt applied to a time (the writer never takes a time below 0). */
static uint64_t apply_dt(uint64_t time, uint64_t dt, int neg) {
    return neg ? time - (uint64_t)(-(int64_t)dt) : time + dt;
}

static void note_time(atr__scan_meta *m, uint64_t t) {
    if (t < m->tmin)
        m->tmin = t;
    if (t > m->tmax)
        m->tmax = t;
}

static int note_function(atr__scan_meta *m, uint64_t id, uint32_t *seen, size_t n_seen,
                         uint32_t stamp) {
    if (id < n_seen) {
        if (seen[id] == stamp)
            return 0;
        seen[id] = stamp;
    } else {
        size_t i;
        for (i = 0; i < m->n_fn; i++)
            if (m->fn[i] == id)
                return 0;
    }
    if (m->n_fn == m->cap_fn) {
        size_t cap = m->cap_fn ? 2 * m->cap_fn : 64;
        uint32_t *fn = realloc(m->fn, cap * sizeof *fn);
        if (!fn)
            return -1;
        m->fn = fn;
        m->cap_fn = cap;
    }
    m->fn[m->n_fn++] = (uint32_t)id;
    return 0;
}

int atr__scan_thread(const uint8_t *p, size_t n, atr__scan_state *st, atr__scan_meta *m,
                     uint32_t *seen, size_t n_seen, uint32_t stamp) {
    atr__mp r = {p, n, 0, 0};
    while (r.pos < n) {
        size_t start = r.pos;
        uint32_t k, size = atr__mp_array(&r);
        uint64_t type = size ? atr__mp_uint(&r) : 0, dt = 0;
        int neg = 0;
        if (r.bad || size == 0)
            return -1;
        k = 2;
        switch (type) {
        case ATR__REC_START:
        case ATR__REC_END:
        case ATR__REC_MESSAGE:
            dt = atr__mp_int(&r, &neg);
            st->time = apply_dt(st->time, dt, neg);
            note_time(m, st->time);
            if (type == ATR__REC_START && size >= 4) {
                st->seq++;
                if (!m->seq_lo)
                    m->seq_lo = st->seq;
                m->seq_hi = st->seq;
                atr__mp_skip(&r); /* parent */
                if (note_function(m, atr__mp_uint(&r), seen, n_seen, stamp) < 0)
                    return -1;
                k = 4;
            }
            break;
        case ATR__REC_SUSPEND:
        case ATR__REC_RESUME:
            dt = atr__mp_int(&r, &neg);
            note_time(m, apply_dt(st->time, dt, neg));
            break;
        case ATR__REC_SYNC:
            if (size >= 2)
                st->seq = atr__mp_uint(&r);
            break;
        default:
            k = 1;
            break;
        }
        if (k < size)
            atr__mp_skip_n(&r, size - k);
        if (r.bad || r.pos <= start)
            return -1;
    }
    return 0;
}

int atr__findex_add(atr__findex *x, const atr__findex_entry *e, const atr__findex_thread *th,
                    uint32_t n_th, const uint32_t *fn, uint64_t n_fn) {
    uint64_t cap;
    atr__findex_entry *d;
    if (x->n == x->cap) {
        cap = x->cap;
        if (atr__grow((void **)&x->e, &cap, (uint64_t)x->n + 1, sizeof *x->e))
            return ATR_ENOMEM;
        x->cap = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
    }
    if (x->n_th + n_th > x->cap_th) {
        cap = x->cap_th;
        if (atr__grow((void **)&x->th, &cap, (uint64_t)x->n_th + n_th, sizeof *x->th))
            return ATR_ENOMEM;
        x->cap_th = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
    }
    if (x->n_fn + n_fn > x->cap_fn &&
        atr__grow((void **)&x->fn, &x->cap_fn, x->n_fn + n_fn, sizeof *x->fn))
        return ATR_ENOMEM;
    d = &x->e[x->n++];
    *d = *e;
    d->first_thread = x->n_th;
    d->n_threads = n_th;
    d->first_func = x->n_fn;
    d->n_funcs = (uint32_t)n_fn;
    if (n_th)
        memcpy(x->th + x->n_th, th, n_th * sizeof *th);
    if (n_fn)
        memcpy(x->fn + x->n_fn, fn, n_fn * sizeof *fn);
    x->n_th += n_th;
    x->n_fn += n_fn;
    return 0;
}

static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* [1, [entry...]], entry = [offset, size, tmin, tmax, flags, [thread, lo, hi...], [fn delta...]]
   (tmin and tmax nil when the frame holds no timed record). */
static void encode_body(atr__cur *c, const atr__findex *x) {
    uint32_t i, k;
    atr__enc_array_hdr(c, 2);
    atr__enc_uint(c, ATR__FINDEX_VERSION);
    atr__enc_array_hdr(c, x->n);
    for (i = 0; i < x->n; i++) {
        const atr__findex_entry *e = &x->e[i];
        uint32_t prev = 0;
        atr__enc_array_hdr(c, 7);
        atr__enc_uint(c, e->offset);
        atr__enc_uint(c, e->size);
        if (e->tmin > e->tmax) {
            atr__enc_nil(c);
            atr__enc_nil(c);
        } else {
            atr__enc_uint(c, e->tmin);
            atr__enc_uint(c, e->tmax);
        }
        atr__enc_uint(c, e->flags);
        atr__enc_array_hdr(c, 3u * e->n_threads);
        for (k = 0; k < e->n_threads; k++) {
            const atr__findex_thread *t = &x->th[e->first_thread + k];
            atr__enc_uint(c, t->thread);
            atr__enc_uint(c, t->seq_lo);
            atr__enc_uint(c, t->seq_hi);
        }
        atr__enc_array_hdr(c, e->n_funcs);
        for (k = 0; k < e->n_funcs; k++) {
            uint32_t f = x->fn[e->first_func + k];
            atr__enc_uint(c, f - prev);
            prev = f;
        }
    }
}

int atr__findex_encode(const atr__findex *x, uint8_t **out, size_t *out_len) {
    atr__cur c = atr__cur_make(NULL, 0, 0);
    size_t body, total;
    uint8_t *buf;
    encode_body(&c, x); /* size pass */
    body = c.pos;
    if (body > UINT32_MAX - 16)
        return ATR_ETOOBIG;
    total = 8 + body + 8;
    if (!(buf = malloc(total)))
        return ATR_ENOMEM;
    c = atr__cur_make(buf, 8, total);
    encode_body(&c, x);
    put_le32(buf, ATR__FINDEX_MAGIC);
    put_le32(buf + 4, (uint32_t)(body + 8));
    put_le32(buf + 8 + body, (uint32_t)(body + 8));
    memcpy(buf + 8 + body + 4, ATR__FINDEX_TAG, 4);
    *out = buf;
    *out_len = total;
    return 0;
}
