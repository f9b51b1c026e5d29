/*
 * A minimal msgpack walker for the frame index (findex_write.c, findex_read.c,
 * reader/frame_index.c): reads ints and container headers and skips whole objects, bounded
 * by the bytes that remain (nesting is not limited: nothing recurses). No allocation; never
 * reads past the end. The flusher runs it over every record it writes: keep it fast.
 */
#ifndef ATR_FORMAT_MP_SCAN_H
#define ATR_FORMAT_MP_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct atr__mp {
    const uint8_t *p;
    size_t n, pos;
    int bad; /* sticky: the bytes ended or were not what was asked */
} atr__mp;

static inline __attribute__((always_inline)) uint64_t atr__mp_be(atr__mp *m, unsigned k) {
    const uint8_t *q;
    uint32_t v32;
    uint64_t v64;
    if (__builtin_expect(m->bad || m->n - m->pos < k, 0)) {
        m->bad = 1;
        return 0;
    }
    q = m->p + m->pos;
    m->pos += k;
    switch (k) {
    case 1:
        return q[0];
    case 2:
        return (uint64_t)q[0] << 8 | q[1];
    case 4:
        memcpy(&v32, q, 4);
        return __builtin_bswap32(v32);
    default:
        memcpy(&v64, q, 8);
        return __builtin_bswap64(v64);
    }
}

static inline __attribute__((always_inline)) uint8_t atr__mp_byte(atr__mp *m) {
    return (uint8_t)atr__mp_be(m, 1);
}

/* An int (positive or negative) as int64 bits; *neg set for negative ones. */
static inline __attribute__((always_inline)) uint64_t atr__mp_int(atr__mp *m, int *neg) {
    uint8_t b = atr__mp_byte(m);
    *neg = 0;
    if (b < 0x80)
        return b;
    if (b >= 0xe0) {
        *neg = 1;
        return (uint64_t)(int64_t)(int8_t)b;
    }
    switch (b) {
    case 0xcc:
        return atr__mp_be(m, 1);
    case 0xcd:
        return atr__mp_be(m, 2);
    case 0xce:
        return atr__mp_be(m, 4);
    case 0xcf:
        return atr__mp_be(m, 8);
    case 0xd0:
        *neg = 1;
        return (uint64_t)(int64_t)(int8_t)atr__mp_be(m, 1);
    case 0xd1:
        *neg = 1;
        return (uint64_t)(int64_t)(int16_t)atr__mp_be(m, 2);
    case 0xd2:
        *neg = 1;
        return (uint64_t)(int64_t)(int32_t)atr__mp_be(m, 4);
    case 0xd3:
        *neg = 1;
        return atr__mp_be(m, 8);
    default:
        m->bad = 1;
        return 0;
    }
}

/* A non-negative int. */
static inline __attribute__((always_inline)) uint64_t atr__mp_uint(atr__mp *m) {
    int neg;
    uint64_t v = atr__mp_int(m, &neg);
    if (neg && (int64_t)v < 0)
        m->bad = 1;
    return v;
}

/* An array header: its element count. */
static inline __attribute__((always_inline)) uint32_t atr__mp_array(atr__mp *m) {
    uint8_t b = atr__mp_byte(m);
    if ((b & 0xf0) == 0x90)
        return b & 0x0fu;
    if (b == 0xdc)
        return (uint32_t)atr__mp_be(m, 2);
    if (b == 0xdd)
        return (uint32_t)atr__mp_be(m, 4);
    m->bad = 1;
    return 0;
}

/* Skip `count` objects from p[pos] on, whatever their nesting (no recursion: each object
   takes a byte at least, so the work is bounded by the bytes). Returns the position after
   them, or SIZE_MAX when the bytes end or are not msgpack. (By value: the caller's cursor
   stays in registers.) */
static inline size_t atr__mp_skip_raw(const uint8_t *p, size_t n, size_t pos, uint64_t count) {
    atr__mp m = {p, n, pos, 0};
    while (count) {
        uint64_t len = 0, items = 0;
        uint8_t b;
        count--;
        if (m.pos >= n)
            return SIZE_MAX;
        b = p[m.pos++];
        if (b < 0x80 || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            continue;
        if ((b & 0xe0) == 0xa0)
            len = b & 0x1fu;
        else if ((b & 0xf0) == 0x90)
            items = b & 0x0fu;
        else if ((b & 0xf0) == 0x80)
            items = 2u * (b & 0x0fu);
        else
            switch (b) {
            case 0xc4:
            case 0xd9:
                len = atr__mp_be(&m, 1);
                break;
            case 0xc5:
            case 0xda:
                len = atr__mp_be(&m, 2);
                break;
            case 0xc6:
            case 0xdb:
                len = atr__mp_be(&m, 4);
                break;
            case 0xc7:
                len = atr__mp_be(&m, 1) + 1;
                break;
            case 0xc8:
                len = atr__mp_be(&m, 2) + 1;
                break;
            case 0xc9:
                len = atr__mp_be(&m, 4) + 1;
                break;
            case 0xca:
                len = 4;
                break;
            case 0xcb:
                len = 8;
                break;
            case 0xcc:
            case 0xd0:
                len = 1;
                break;
            case 0xcd:
            case 0xd1:
                len = 2;
                break;
            case 0xce:
            case 0xd2:
                len = 4;
                break;
            case 0xcf:
            case 0xd3:
                len = 8;
                break;
            case 0xd4:
                len = 2;
                break;
            case 0xd5:
                len = 3;
                break;
            case 0xd6:
                len = 5;
                break;
            case 0xd7:
                len = 9;
                break;
            case 0xd8:
                len = 17;
                break;
            case 0xdc:
                items = atr__mp_be(&m, 2);
                break;
            case 0xdd:
                items = atr__mp_be(&m, 4);
                break;
            case 0xde:
                items = 2u * atr__mp_be(&m, 2);
                break;
            case 0xdf:
                items = 2u * atr__mp_be(&m, 4);
                break;
            default:
                return SIZE_MAX;
            }
        if (m.bad || len > n - m.pos || items > n - m.pos)
            return SIZE_MAX;
        m.pos += len;
        count += items;
    }
    return m.pos;
}

/* Skip `count` objects. */
static inline __attribute__((always_inline)) void atr__mp_skip_n(atr__mp *m, uint64_t count) {
    size_t pos = m->bad ? SIZE_MAX : atr__mp_skip_raw(m->p, m->n, m->pos, count);
    if (pos == SIZE_MAX)
        m->bad = 1;
    else
        m->pos = pos;
}

/* Skip one object. */
static inline __attribute__((always_inline)) void atr__mp_skip(atr__mp *m) { atr__mp_skip_n(m, 1); }

#endif /* ATR_FORMAT_MP_SCAN_H */
