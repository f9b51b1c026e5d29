/*
 * A minimal msgpack walker for the frame index (findex_write.c, findex_read.c): reads ints
 * and container headers and skips whole objects, bounded by the bytes that remain and a
 * nesting depth. No allocation; never reads past the end.
 */
#ifndef ATR_FORMAT_MP_SCAN_H
#define ATR_FORMAT_MP_SCAN_H

#include <stddef.h>
#include <stdint.h>

typedef struct atr__mp {
    const uint8_t *p;
    size_t n, pos;
    int bad; /* sticky: the bytes ended or were not what was asked */
} atr__mp;

static inline uint64_t atr__mp_be(atr__mp *m, unsigned k) {
    uint64_t v = 0;
    unsigned i;
    if (m->bad || m->n - m->pos < k) {
        m->bad = 1;
        return 0;
    }
    for (i = 0; i < k; i++)
        v = v << 8 | m->p[m->pos + i];
    m->pos += k;
    return v;
}

static inline uint8_t atr__mp_byte(atr__mp *m) { return (uint8_t)atr__mp_be(m, 1); }

/* An int (positive or negative) as int64 bits; *neg set for negative ones. */
static inline uint64_t atr__mp_int(atr__mp *m, int *neg) {
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
static inline uint64_t atr__mp_uint(atr__mp *m) {
    int neg;
    uint64_t v = atr__mp_int(m, &neg);
    if (neg && (int64_t)v < 0)
        m->bad = 1;
    return v;
}

/* An array header: its element count. */
static inline uint32_t atr__mp_array(atr__mp *m) {
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

/* Skip one object (containers at most `depth` deep). */
static inline void atr__mp_skip(atr__mp *m, int depth) {
    uint64_t len = 0, items = 0;
    uint8_t b = atr__mp_byte(m);
    if (m->bad)
        return;
    if (b < 0x80 || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return;
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
            len = atr__mp_be(m, 1);
            break;
        case 0xc5:
        case 0xda:
            len = atr__mp_be(m, 2);
            break;
        case 0xc6:
        case 0xdb:
            len = atr__mp_be(m, 4);
            break;
        case 0xc7:
            len = atr__mp_be(m, 1) + 1;
            break;
        case 0xc8:
            len = atr__mp_be(m, 2) + 1;
            break;
        case 0xc9:
            len = atr__mp_be(m, 4) + 1;
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
            items = atr__mp_be(m, 2);
            break;
        case 0xdd:
            items = atr__mp_be(m, 4);
            break;
        case 0xde:
            items = 2u * atr__mp_be(m, 2);
            break;
        case 0xdf:
            items = 2u * atr__mp_be(m, 4);
            break;
        default:
            m->bad = 1;
            return;
        }
    if (m->bad || len > m->n - m->pos || items > m->n - m->pos || (items && depth <= 0)) {
        m->bad = 1;
        return;
    }
    m->pos += len;
    while (items-- && !m->bad)
        atr__mp_skip(m, depth - 1);
}

#endif /* ATR_FORMAT_MP_SCAN_H */
