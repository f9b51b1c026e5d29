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

static inline __attribute__((always_inline)) int
note_function(atr__scan_meta *m, uint64_t id, uint32_t *seen, size_t n_seen, uint32_t stamp) {
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

/* An int at q (at least 9 bytes readable) into *v (int64 bits); its size, 0 if not an int. */
static inline __attribute__((always_inline)) size_t int_at(const uint8_t *q, uint64_t *v) {
    uint8_t b = q[0];
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    if (b < 0x80) {
        *v = b;
        return 1;
    }
    if (b >= 0xe0) {
        *v = (uint64_t)(int64_t)(int8_t)b;
        return 1;
    }
    /* branches, not a jump table: the common sizes first (dt of a few us, small ids) */
    if (b == 0xcc) {
        *v = q[1];
        return 2;
    }
    if (b == 0xcd) {
        memcpy(&v16, q + 1, 2);
        *v = __builtin_bswap16(v16);
        return 3;
    }
    if (b == 0xce) {
        memcpy(&v32, q + 1, 4);
        *v = __builtin_bswap32(v32);
        return 5;
    }
    if (b == 0xcf || b == 0xd3) {
        memcpy(&v64, q + 1, 8);
        *v = __builtin_bswap64(v64);
        return 9;
    }
    if (b == 0xd0) {
        *v = (uint64_t)(int64_t)(int8_t)q[1];
        return 2;
    }
    if (b == 0xd1) {
        memcpy(&v16, q + 1, 2);
        *v = (uint64_t)(int64_t)(int16_t)__builtin_bswap16(v16);
        return 3;
    }
    if (b == 0xd2) {
        memcpy(&v32, q + 1, 4);
        *v = (uint64_t)(int64_t)(int32_t)__builtin_bswap32(v32);
        return 5;
    }
    return 0;
}

/* Bytes of a msgpack element given its first byte, when that byte alone fixes them (scalars,
   fixstr, fixext); 0 for arrays, maps and the str/bin/ext forms with a length field. */
/* clang-format off */
static const uint8_t k_fixed_len[256] = {
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x00 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x10 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x20 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x30 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x40 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x50 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x60 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0x70 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x80 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x90 */
     1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, /* 0xa0 */
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, /* 0xb0 */
     1,  0,  1,  1,  0,  0,  0,  0,  0,  0,  5,  9,  2,  3,  5,  9, /* 0xc0 */
     2,  3,  5,  9,  3,  4,  6, 10, 18,  0,  0,  0,  0,  0,  0,  0, /* 0xd0 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0xe0 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, /* 0xf0 */
};
/* clang-format on */

/* Room a record's head needs to be read without bound checks: array header, type, dt,
   parent, function (1 + 1 + 9 + 9 + 9). */
#define HEAD_ROOM 32

/* The next delta of the chunk's TIMES column (a record's nil dt); -1 when none is left. */
static inline int column_dt(atr__scan_state *st, uint64_t *dt) {
    if (st->t_pos >= st->n_times)
        return -1;
    *dt = (uint64_t)st->hi[st->t_pos] << 8 | st->lo[st->t_pos];
    st->t_pos++;
    return 0;
}

int atr__scan_thread(const uint8_t *p, size_t n, atr__scan_state *st, atr__scan_meta *m,
                     uint32_t *seen, size_t n_seen, uint32_t stamp) {
    uint64_t time = st->time, seq = st->seq, tmin = m->tmin, tmax = m->tmax;
    uint64_t seq_lo = m->seq_lo, seq_hi = m->seq_hi;
    size_t pos = 0;
    int rc = 0;
    while (pos < n) {
        const uint8_t *q = p + pos;
        uint64_t type, dt = 0, fn = 0, v;
        size_t size, k, at, len;
        uint64_t rem;
        int timed = 0;
        if (n - pos >= HEAD_ROOM && q[0] > 0x90 && q[0] <= 0x9f && q[1] < 0x80) { /* fast path */
            size = q[0] & 0x0fu;
            type = q[1];
            at = 2;
            k = 2; /* elements read: the type and dt */
            if (size >= 2 &&
                (type == ATR__REC_START || type == ATR__REC_END || type == ATR__REC_MESSAGE ||
                 type == ATR__REC_SUSPEND || type == ATR__REC_RESUME)) {
                if (q[at] == 0xc0) { /* nil: the next delta of the chunk's column */
                    if (column_dt(st, &dt) < 0)
                        goto fail;
                    len = 1;
                } else if (!(len = int_at(q + at, &dt))) {
                    goto fail;
                }
                at += len;
                timed = 1;
                if (type == ATR__REC_START && size >= 4) {
                    if (!(len = int_at(q + at, &v))) /* parent */
                        goto fail;
                    at += len;
                    if (!(len = int_at(q + at, &fn)) || q[at] >= 0xd0)
                        goto fail;
                    at += len;
                    k = 4;
                }
            } else if (type == ATR__REC_SYNC && size >= 2) {
                if (!(len = int_at(q + at, &v)) || q[at] >= 0xd0)
                    goto fail;
                seq = v;
                at += len;
                k = 2;
            } else {
                k = 1; /* elements read: the type */
            }
            /* the rest of the record: fixed-size elements by the table and fixarrays (a
               START's args; record tails are mostly small ints, floats, short strings and
               fixext summaries) inline, the general skip from the first other element */
            rem = size - k;
            while (rem && at < n - pos) {
                uint8_t b = q[at];
                size_t l = k_fixed_len[b];
                if ((b & 0xf0u) == 0x90u) {
                    rem += b & 0x0fu;
                    l = 1;
                } else if (!l || l > n - pos - at) {
                    break;
                }
                at += l;
                rem--;
            }
            pos = rem ? atr__mp_skip_raw(p, n, pos + at, rem) : pos + at;
            if (pos == SIZE_MAX)
                goto fail;
        } else { /* near the end of the bytes, or a large record: checked reads */
            atr__mp r = {p, n, pos, 0};
            int neg;
            size = atr__mp_array(&r);
            type = size ? atr__mp_uint(&r) : 0;
            k = 2;
            if (size >= 2 &&
                (type == ATR__REC_START || type == ATR__REC_END || type == ATR__REC_MESSAGE ||
                 type == ATR__REC_SUSPEND || type == ATR__REC_RESUME)) {
                if (r.pos < n && p[r.pos] == 0xc0) { /* nil: from the column */
                    if (column_dt(st, &dt) < 0)
                        goto fail;
                    r.pos++;
                } else {
                    dt = atr__mp_int(&r, &neg);
                }
                timed = 1;
                if (type == ATR__REC_START && size >= 4) {
                    atr__mp_skip(&r); /* parent */
                    fn = atr__mp_uint(&r);
                    k = 4;
                }
            } else if (type == ATR__REC_SYNC && size >= 2) {
                seq = atr__mp_uint(&r);
            } else {
                k = 1;
            }
            if (k < size)
                atr__mp_skip_n(&r, size - k);
            if (r.bad || size == 0)
                goto fail;
            pos = r.pos;
        }
        if (timed) {
            uint64_t t = time + dt; /* dt is int64 bits: wraps to time - |dt| when negative */
            if (t < tmin)
                tmin = t;
            if (t > tmax)
                tmax = t;
            if (type != ATR__REC_SUSPEND && type != ATR__REC_RESUME)
                time = t; /* SUSPEND, RESUME: the thread's time stays (FORMAT.md 3.5) */
            if (type == ATR__REC_START) {
                seq++;
                if (!seq_lo)
                    seq_lo = seq;
                seq_hi = seq;
                if (note_function(m, fn, seen, n_seen, stamp) < 0)
                    goto fail;
            }
        }
    }
    goto done;
fail:
    rc = -1;
done:
    st->time = time;
    st->seq = seq;
    m->tmin = tmin;
    m->tmax = tmax;
    m->seq_lo = seq_lo;
    m->seq_hi = seq_hi;
    return rc;
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
