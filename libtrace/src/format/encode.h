/*
 * msgpack encoder for the writer: a tiny packer over a capacity-checked byte cursor, and the
 * record encoders of docs/FORMAT.md section 3 (encode.c).
 *
 * The cursor never writes past `cap`, but `pos` keeps advancing: after encoding, `pos` is the
 * size the output needs. `pos <= cap` means everything was written; otherwise the output is
 * incomplete and the caller retries with more room (the writer switches buffers) or drops
 * the record. Every integer, string, bin, ext, array and map uses msgpack's smallest form.
 * Floats are always float64. This is our own packer, not msgpack-c's: it sits on the
 * writer's hot path.
 */
#ifndef ATR_FORMAT_ENCODE_H
#define ATR_FORMAT_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "argtrace/atr_common.h"
#include "argtrace/atr_writer.h"
#include "format/format.h"

#if defined(__GNUC__)
#define ATR__ENC_INLINE static inline __attribute__((always_inline))
#define ATR__LIKELY(x) __builtin_expect(!!(x), 1)
#define ATR__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define ATR__ENC_INLINE static inline
#define ATR__LIKELY(x) (x)
#define ATR__UNLIKELY(x) (x)
#endif

/*
 * Type-name interning (FORMAT.md 4, ext 8; 1.2): a writer thread's cache from a type name's
 * address to the TYPE id of its text. A hit needs the same address, length and bytes (the
 * memory behind an address can hold another name later: a type died, another took its
 * place), so an id always names exactly the bytes at hand. A miss asks `define` (the
 * session: it finds or defines the id under its lock, and returns the session's stable copy
 * of the name, which the slot keeps to compare with).
 */
#define ATR__TYPE_SLOT_BITS 8
#define ATR__TYPE_SLOTS (1u << ATR__TYPE_SLOT_BITS) /* 6 KiB per recording thread */
#define ATR__NO_TYPE UINT32_MAX
typedef struct atr__type_slot {
    const char *ptr;  /* the name's address as last seen (a key only, never read) */
    const char *name; /* the session's copy of the bytes (lives as long as the session) */
    uint32_t len, id;
} atr__type_slot;

/*
 * Value interning (FORMAT.md 3.17 and section 4, ext 9; 1.4): a string or byte string of at
 * least ATR__VALUE_REF_MIN bytes (as written) that a thread writes a second time from the
 * same address (a parser's whole input, passed with a position to every call) is defined
 * once by a VALUE record among the definitions and written as its id from then on. The
 * first sighting only notes the address (and a fingerprint of three of its words), so that
 * values seen once cost no definition; a hit needs the same address, kind, lengths and
 * bytes (compared with the session's copy). The thread's cache has 2^ATR__VALUE_SLOT_BITS
 * slots in sets of two (enc_value_ref): two values that share a set both stay.
 * `define_value` fails (ATR__NO_TYPE) once the session's budget is spent or out of memory:
 * the thread then stops asking (values_off) and writes values in full.
 */
#define ATR__VALUE_REF_MIN 256
#define ATR__VALUE_SLOT_BITS 6
typedef struct atr__value_slot {
    const char *ptr;  /* the bytes' address as last seen (a key only) */
    const char *copy; /* the session's copy of the bytes; NULL: seen once, not defined */
    uint64_t true_len, fp;
    uint32_t len, id;
    int kind; /* ATR_V_STR or ATR_V_BYTES */
} atr__value_slot;

/* A recording thread's caches in front of the session's interned type names and values. */
typedef struct atr__types {
    atr__type_slot slot[ATR__TYPE_SLOTS];
    /* id of name[0..len) (or ATR__NO_TYPE: write the name in full); *copy = stable bytes */
    uint32_t (*define)(void *ctx, const char *name, size_t len, const char **copy);
    atr__value_slot vslot[1u << ATR__VALUE_SLOT_BITS];
    /* VALUE id of the value of `kind` p[0..n) with its true length (or ATR__NO_TYPE) */
    uint32_t (*define_value)(void *ctx, int kind, const char *p, size_t n, uint64_t true_len,
                             const char **copy);
    int values_off;
    void *ctx;
} atr__types;

typedef struct atr__cur {
    uint8_t *base;     /* output bytes (may be NULL when cap is 0: size-only pass) */
    size_t pos;        /* bytes produced so far; may exceed cap */
    size_t cap;        /* room at base */
    atr__types *types; /* NULL: summaries carry their type names (ext 3) */
} atr__cur;

static inline atr__cur atr__cur_make(void *base, size_t pos, size_t cap) {
    atr__cur c;
    c.base = (uint8_t *)base;
    c.pos = pos;
    c.cap = cap;
    c.types = NULL;
    return c;
}

uint32_t atr__types_miss(atr__types *t, const char *name, size_t len, atr__type_slot *slot);

/* a[0..n) == b[0..n), inline (a call to memcmp costs more for type names): words of 8
   bytes, the last one overlapping; two overlapping words of 4 for 4 to 7 bytes. */
static inline int atr__name_eq(const char *a, const char *b, size_t n) {
    uint64_t x, y;
    size_t i;
    if (n < 8) {
        uint32_t u, v, w, z;
        if (n < 4) {
            for (i = 0; i < n; i++)
                if (a[i] != b[i])
                    return 0;
            return 1;
        }
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        memcpy(&w, a + n - 4, 4);
        memcpy(&z, b + n - 4, 4);
        return u == v && w == z;
    }
    for (i = 0; i + 8 < n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            return 0;
    }
    memcpy(&x, a + n - 8, 8);
    memcpy(&y, b + n - 8, 8);
    return x == y;
}

/* The TYPE id of name[0..len), or ATR__NO_TYPE. */
static inline uint32_t atr__types_id(atr__types *t, const char *name, size_t len) {
    /* Fibonacci hashing of the address: every bit of it counts (two names 1 KiB apart
       shared a slot of the shift-and-xor hash, and a miss takes the session's lock) */
    uint64_t a = (uint64_t)(uintptr_t)name * UINT64_C(0x9E3779B97F4A7C15);
    atr__type_slot *sl = &t->slot[a >> (64 - ATR__TYPE_SLOT_BITS)];
    if (sl->ptr == name && sl->len == len && atr__name_eq(sl->name, name, len))
        return sl->id;
    return atr__types_miss(t, name, len, sl);
}

/* 1 if everything encoded so far fits in the cursor's room. */
static inline int atr__cur_ok(const atr__cur *c) { return c->pos <= c->cap; }

ATR__ENC_INLINE void atr__enc_raw(atr__cur *c, const void *p, size_t n) {
    if (n <= c->cap && c->pos <= c->cap - n && n)
        memcpy(c->base + c->pos, p, n);
    c->pos += n;
}

/* Copy n <= 32 bytes without a library call: two (possibly overlapping) moves of the
   largest power of two <= n, reading and writing only [0, n). */
ATR__ENC_INLINE void atr__copy_small(uint8_t *dst, const void *src, size_t n) {
    const uint8_t *s = (const uint8_t *)src;
    if (n >= 16) {
        uint8_t a[16], b[16];
        memcpy(a, s, 16);
        memcpy(b, s + n - 16, 16);
        memcpy(dst, a, 16);
        memcpy(dst + n - 16, b, 16);
    } else if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n) {
        dst[0] = s[0];
        dst[n / 2] = s[n / 2];
        dst[n - 1] = s[n - 1];
    }
}

ATR__ENC_INLINE void atr__enc_byte(atr__cur *c, uint8_t b) {
    if (ATR__LIKELY(c->pos < c->cap))
        c->base[c->pos] = b;
    c->pos++;
}

/*
 * Unchecked forms for a caller that has made sure of the room (at most 9 bytes each): they
 * write at p and return the end. Same bytes as atr__enc_uint / atr__enc_int. atr__put_be:
 * one marker byte followed by the low `n` bytes of v, big-endian.
 */
ATR__ENC_INLINE uint8_t *atr__put_be(uint8_t *p, uint8_t marker, uint64_t v, unsigned n) {
    p[0] = marker;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* n is a constant after inlining: one byte swap and one store */
    if (n == 8) {
        uint64_t b = __builtin_bswap64(v);
        memcpy(p + 1, &b, 8);
    } else if (n == 4) {
        uint32_t b = __builtin_bswap32((uint32_t)v);
        memcpy(p + 1, &b, 4);
    } else if (n == 2) {
        uint16_t b = __builtin_bswap16((uint16_t)v);
        memcpy(p + 1, &b, 2);
    } else
#endif
    { /* any n (ext headers use 3 and 5) */
        unsigned i;
        for (i = 0; i < n; i++)
            p[1 + i] = (uint8_t)(v >> (8u * (n - 1 - i)));
    }
    return p + 1 + n;
}

ATR__ENC_INLINE uint8_t *atr__put_uint(uint8_t *p, uint64_t v) {
    if (v < 0x80) {
        *p = (uint8_t)v;
        return p + 1;
    }
    if (v <= 0xff)
        return atr__put_be(p, 0xcc, v, 1);
    if (v <= 0xffff)
        return atr__put_be(p, 0xcd, v, 2);
    if (v <= 0xffffffffu)
        return atr__put_be(p, 0xce, v, 4);
    return atr__put_be(p, 0xcf, v, 8);
}

ATR__ENC_INLINE uint8_t *atr__put_int(uint8_t *p, int64_t v) {
    if (v >= 0)
        return atr__put_uint(p, (uint64_t)v);
    if (v >= -32) {
        *p = (uint8_t)(0xe0 | (uint8_t)(v + 32));
        return p + 1;
    }
    if (v >= INT8_MIN)
        return atr__put_be(p, 0xd0, (uint64_t)v, 1);
    if (v >= INT16_MIN)
        return atr__put_be(p, 0xd1, (uint64_t)v, 2);
    if (v >= INT32_MIN)
        return atr__put_be(p, 0xd2, (uint64_t)v, 4);
    return atr__put_be(p, 0xd3, (uint64_t)v, 8);
}

/* Room for `n` more bytes in the cursor. */
static inline int atr__cur_room(const atr__cur *c, size_t n) {
    return c->pos <= c->cap && c->cap - c->pos >= n;
}

/* atr__enc_be near the end of the room: through a local copy. */
static inline void atr__enc_be_slow(atr__cur *c, uint8_t marker, uint64_t v, unsigned n) {
    uint8_t b[9];
    atr__enc_raw(c, b, (size_t)(atr__put_be(b, marker, v, n) - b));
}

ATR__ENC_INLINE void atr__enc_be(atr__cur *c, uint8_t marker, uint64_t v, unsigned n) {
    if (ATR__UNLIKELY(c->pos + 9 > c->cap)) {
        atr__enc_be_slow(c, marker, v, n);
        return;
    }
    c->pos = (size_t)(atr__put_be(c->base + c->pos, marker, v, n) - c->base);
}

ATR__ENC_INLINE void atr__enc_nil(atr__cur *c) { atr__enc_byte(c, 0xc0); }
ATR__ENC_INLINE void atr__enc_bool(atr__cur *c, int b) { atr__enc_byte(c, b ? 0xc3 : 0xc2); }

ATR__ENC_INLINE void atr__enc_uint(atr__cur *c, uint64_t v) {
    if (v < 0x80)
        atr__enc_byte(c, (uint8_t)v);
    else if (v <= 0xff)
        atr__enc_be(c, 0xcc, v, 1);
    else if (v <= 0xffff)
        atr__enc_be(c, 0xcd, v, 2);
    else if (v <= 0xffffffffu)
        atr__enc_be(c, 0xce, v, 4);
    else
        atr__enc_be(c, 0xcf, v, 8);
}

ATR__ENC_INLINE void atr__enc_int(atr__cur *c, int64_t v) {
    if (v >= 0)
        atr__enc_uint(c, (uint64_t)v);
    else if (v >= -32)
        atr__enc_byte(c, (uint8_t)(0xe0 | (uint8_t)(v + 32)));
    else if (v >= INT8_MIN)
        atr__enc_be(c, 0xd0, (uint64_t)v, 1);
    else if (v >= INT16_MIN)
        atr__enc_be(c, 0xd1, (uint64_t)v, 2);
    else if (v >= INT32_MIN)
        atr__enc_be(c, 0xd2, (uint64_t)v, 4);
    else
        atr__enc_be(c, 0xd3, (uint64_t)v, 8);
}

/*
 * A record's time delta (FORMAT.md 3.5). The writer's threads put a delta in [0, 65535] in
 * their chunk's TIMES column (2.0, FORMAT.md 3.18) and pass ATR__DT_COLUMN here: nil in the
 * record, so that the bytes of records of one shape are the same from call to call and zstd
 * matches them whole (docs/benchmarks.md, issue 16). Other deltas go in the record: in
 * [0, 65535] as uint16 (`CD hi lo`), else as atr__enc_int.
 */
#define ATR__DT_U16_MAX 0xffff
#define ATR__DT_COLUMN INT64_MIN /* never a delta: the writer keeps times below 2^63 */
static inline int atr__dt_in_column(int64_t dt) { return dt >= 0 && dt <= ATR__DT_U16_MAX; }

ATR__ENC_INLINE uint8_t *atr__put_dt(uint8_t *p, int64_t dt) {
    if (dt == ATR__DT_COLUMN) {
        *p = 0xc0;
        return p + 1;
    }
    if (dt >= 0 && dt <= ATR__DT_U16_MAX)
        return atr__put_be(p, 0xcd, (uint64_t)dt, 2);
    return atr__put_int(p, dt);
}

ATR__ENC_INLINE void atr__enc_dt(atr__cur *c, int64_t dt) {
    if (dt == ATR__DT_COLUMN)
        atr__enc_nil(c);
    else if (dt >= 0 && dt <= ATR__DT_U16_MAX)
        atr__enc_be(c, 0xcd, (uint64_t)dt, 2);
    else
        atr__enc_int(c, dt);
}

ATR__ENC_INLINE void atr__enc_float(atr__cur *c, double d) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    atr__enc_be(c, 0xcb, bits, 8);
}

/* Size of the msgpack form of an unsigned int. */
static inline size_t atr__enc_uint_size(uint64_t v) {
    return v < 0x80 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}

/* Size of the msgpack form of a signed int (as atr__enc_int writes it). */
static inline size_t atr__enc_int_size(int64_t v) {
    if (v >= 0)
        return atr__enc_uint_size((uint64_t)v);
    return v >= -32 ? 1 : v >= INT8_MIN ? 2 : v >= INT16_MIN ? 3 : v >= INT32_MIN ? 5 : 9;
}

/* Size of a str header for n bytes. */
static inline size_t atr__enc_str_hdr_size(size_t n) {
    return n <= 31 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5;
}

/* A header with a fix form (`fix` | n for n <= fix_max) then 8/16/32-bit forms. */
ATR__ENC_INLINE void atr__enc_hdr(atr__cur *c, size_t n, uint8_t fix, size_t fix_max, uint8_t m8,
                                  uint8_t m16, uint8_t m32) {
    if (n <= fix_max)
        atr__enc_byte(c, (uint8_t)(fix | n));
    else if (m8 && n <= 0xff)
        atr__enc_be(c, m8, n, 1);
    else if (n <= 0xffff)
        atr__enc_be(c, m16, n, 2);
    else
        atr__enc_be(c, m32, n, 4);
}

ATR__ENC_INLINE void atr__enc_str_hdr(atr__cur *c, size_t n) {
    atr__enc_hdr(c, n, 0xa0, 31, 0xd9, 0xda, 0xdb);
}
ATR__ENC_INLINE void atr__enc_str(atr__cur *c, const char *p, size_t n) {
    atr__enc_str_hdr(c, n);
    atr__enc_raw(c, p, n);
}
ATR__ENC_INLINE void atr__enc_cstr(atr__cur *c, const char *p) {
    atr__enc_str(c, p ? p : "", p ? strlen(p) : 0);
}
ATR__ENC_INLINE void atr__enc_bin_hdr(atr__cur *c, size_t n) {
    if (n <= 0xff)
        atr__enc_be(c, 0xc4, n, 1);
    else if (n <= 0xffff)
        atr__enc_be(c, 0xc5, n, 2);
    else
        atr__enc_be(c, 0xc6, n, 4);
}
ATR__ENC_INLINE void atr__enc_array_hdr(atr__cur *c, size_t n) {
    atr__enc_hdr(c, n, 0x90, 15, 0, 0xdc, 0xdd);
}
ATR__ENC_INLINE void atr__enc_map_hdr(atr__cur *c, size_t n) {
    atr__enc_hdr(c, n, 0x80, 15, 0, 0xde, 0xdf);
}

/* Size of the ext header for a payload of n bytes. */
static inline size_t atr__enc_ext_hdr_size(size_t n) {
    if (n == 1 || n == 2 || n == 4 || n == 8 || n == 16)
        return 2;
    return n <= 0xff ? 3 : n <= 0xffff ? 4 : 6;
}

ATR__ENC_INLINE void atr__enc_ext_hdr(atr__cur *c, int8_t type, size_t n) {
    uint8_t t = (uint8_t)type;
    switch (n) {
    case 1:
        atr__enc_be(c, 0xd4, t, 1);
        return;
    case 2:
        atr__enc_be(c, 0xd5, t, 1);
        return;
    case 4:
        atr__enc_be(c, 0xd6, t, 1);
        return;
    case 8:
        atr__enc_be(c, 0xd7, t, 1);
        return;
    case 16:
        atr__enc_be(c, 0xd8, t, 1);
        return;
    default:
        break;
    }
    if (n <= 0xff)
        atr__enc_be(c, 0xc7, n << 8 | t, 2);
    else if (n <= 0xffff)
        atr__enc_be(c, 0xc8, n << 8 | t, 3);
    else
        atr__enc_be(c, 0xc9, (uint64_t)n << 8 | t, 5);
}

/* Values (FORMAT.md section 4); strings longer than max_bytes become ext 1/2 (truncated). */
void atr__enc_value(atr__cur *c, const atr_value *v, size_t max_bytes);

/*
 * Records (FORMAT.md section 3). `dt` is the time delta (FORMAT.md 3.5; the writer keeps
 * times below 2^63 so every delta fits), span arguments are span references.
 */
typedef struct atr__process_desc {
    int64_t pid;
    const char *host;
    int argc;
    const char *const *argv;
    const char *runtime;
    const char *tool;
    uint64_t clock_ns, wall_ns, uid;
    uint64_t parent_uid, parent_span; /* parent_uid 0: both omitted */
    uint64_t part;                    /* 0: omitted (the first file of a rotated log) */
    uint64_t time_quantum_ns;         /* 1.3: times are multiples of it; 0 or 1: omitted */
} atr__process_desc;

void atr__enc_process(atr__cur *c, const atr__process_desc *p);
void atr__enc_function(atr__cur *c, uint32_t id, const atr_function_info *info);
void atr__enc_thread(atr__cur *c, uint64_t os_tid, const char *name, size_t len);
void atr__enc_chunk(atr__cur *c, uint32_t thread);

/* The general parts behind the inline record encoders below (encode.c). */
void atr__enc_summary_flat(atr__cur *c, const char *type, size_t tlen, int64_t length);
/* TYPE record (1.2): [16, id, name]. */
void atr__enc_type(atr__cur *c, uint32_t id, const char *name, size_t len);
/* VALUE record (1.4): [17, id, value], the value (a str, bin, ext 1 or ext 2) in full. */
void atr__enc_value_def(atr__cur *c, uint32_t id, const atr_value *v, size_t max_bytes);
void atr__enc_fields(atr__cur *c, const atr_field *f, uint32_t n, size_t max_bytes);

/*
 * An object's summary [type, nil] for a type name of at most 31 bytes, when the room is
 * there: the bytes of atr__enc_summary_flat, written with a table for the ext header (fixext
 * 4/8/16 for payloads of 4/8/16 bytes) and no other branch. Returns 0 (nothing written)
 * otherwise.
 */
ATR__ENC_INLINE int atr__enc_object_summary(atr__cur *c, const char *type, size_t tlen) {
    static const uint8_t fixext[35] = {[4] = 0xd6, [8] = 0xd7, [16] = 0xd8};
    size_t plen = tlen + 3; /* fixarray, fixstr header, name, nil */
    uint8_t *p;
    if (ATR__UNLIKELY(tlen > 31 || c->pos > c->cap || c->cap - c->pos < 3 + plen))
        return 0;
    p = c->base + c->pos;
    if (fixext[plen]) {
        p[0] = fixext[plen];
        p[1] = (uint8_t)ATR__EXT_SUMMARY;
        p += 2;
    } else {
        p[0] = 0xc7;
        p[1] = (uint8_t)plen;
        p[2] = (uint8_t)ATR__EXT_SUMMARY;
        p += 3;
    }
    p[0] = 0x92;
    p[1] = (uint8_t)(0xa0 | tlen);
    atr__copy_small(p + 2, type, tlen);
    p[2 + tlen] = 0xc0;
    c->pos = (size_t)(p + 3 + tlen - c->base);
    return 1;
}

/* An object (an item-less summary of unknown length) of interned type id < 128: ext 8 as
   fixext 1, `d4 08 id`. Returns the end. */
ATR__ENC_INLINE uint8_t *atr__put_object_id(uint8_t *p, uint32_t id) {
    p[0] = 0xd4;
    p[1] = (uint8_t)ATR__EXT_SUMMARY_ID;
    p[2] = (uint8_t)id;
    return p + 3;
}

/* A top-level value: ints, floats, None, bools and item-less summaries (objects), the common
   cases, inline; the rest through atr__enc_value. The bytes are atr__enc_value's in each case. */
ATR__ENC_INLINE void atr__enc_value_top(atr__cur *c, const atr_value *v, size_t max_bytes) {
    if (v->kind == ATR_V_INT) {
        if (ATR__LIKELY(atr__cur_room(c, 9)))
            c->pos = (size_t)(atr__put_int(c->base + c->pos, v->u.i) - c->base);
        else
            atr__enc_int(c, v->u.i);
        return;
    }
    if (v->kind == ATR_V_FLOAT) {
        atr__enc_float(c, v->u.f);
        return;
    }
    if (v->kind == ATR_V_NIL) {
        atr__enc_nil(c);
        return;
    }
    if (v->kind == ATR_V_BOOL) {
        atr__enc_bool(c, v->u.b);
        return;
    }
    if (v->kind == ATR_V_SUMMARY && !v->u.sum.items && v->u.sum.type &&
        v->u.sum.type_len <= max_bytes) {
        if (c->types) {
            /* an object of an interned type with id < 128: fixext 1, 3 bytes */
            uint32_t id = atr__types_id(c->types, v->u.sum.type, v->u.sum.type_len);
            if (id < 128 && v->u.sum.length < 0 && atr__cur_room(c, 3)) {
                c->pos = (size_t)(atr__put_object_id(c->base + c->pos, id) - c->base);
                return;
            }
        }
        if (!c->types && v->u.sum.length < 0 &&
            atr__enc_object_summary(c, v->u.sum.type, v->u.sum.type_len))
            return;
        atr__enc_summary_flat(c, v->u.sum.type, v->u.sum.type_len, v->u.sum.length);
        return;
    }
    atr__enc_value(c, v, max_bytes);
}

/*
 * A scalar written straight into room the caller checked (ATR__SCALAR_MAX bytes): an int,
 * float, None, bool, or a str of at most 31 bytes that is not truncated. Returns the end, or
 * NULL (nothing written) for any other value. The bytes are atr__enc_value's.
 */
#define ATR__SCALAR_MAX 32
ATR__ENC_INLINE uint8_t *atr__put_scalar(uint8_t *p, const atr_value *v, size_t max_bytes) {
    switch (v->kind) {
    case ATR_V_INT:
        return atr__put_int(p, v->u.i);
    case ATR_V_NIL:
        *p = 0xc0;
        return p + 1;
    case ATR_V_BOOL:
        *p = v->u.b ? 0xc3 : 0xc2;
        return p + 1;
    case ATR_V_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &v->u.f, sizeof bits);
        return atr__put_be(p, 0xcb, bits, 8);
    }
    case ATR_V_STR: {
        size_t n = v->u.s.len;
        if (n > 31 || n > max_bytes || v->u.s.true_len > n)
            return NULL; /* long or truncated: ext 1 (enc_text) */
        *p = (uint8_t)(0xa0 | n);
        atr__copy_small(p + 1, v->u.s.ptr, n);
        return p + 1 + n;
    }
    default:
        return NULL;
    }
}

/* args[*i..n) while they are scalars, when the room is there; *i: the first one left. */
ATR__ENC_INLINE void atr__enc_scalars(atr__cur *c, const atr_value *args, uint32_t n, uint32_t *i,
                                      size_t max_bytes) {
    uint8_t *p, *q;
    if (!atr__cur_room(c, (size_t)n * ATR__SCALAR_MAX))
        return;
    p = c->base + c->pos;
    for (; *i < n; (*i)++) {
        if (!(q = atr__put_scalar(p, &args[*i], max_bytes)))
            break;
        p = q;
    }
    c->pos = (size_t)(p - c->base);
}

/* START and END-return: inline, they are the writer's hot path. The fixed part of a record
   (array header, kind, dt, two uints, one more header byte) fits ATR__REC_HDR_MAX bytes. */
#define ATR__REC_HDR_MAX (1 + 1 + 9 + 9 + 9 + 1)
ATR__ENC_INLINE void atr__enc_start(atr__cur *c, int64_t dt, uint64_t parent, uint32_t function,
                                    const atr_value *args, uint32_t n_args, const atr_field *fields,
                                    uint32_t n_fields, size_t max_bytes) {
    uint32_t i = 0, n = args ? n_args : 0;
    int with_fields = fields && n_fields;
    if (ATR__LIKELY(n <= 15 && atr__cur_room(c, ATR__REC_HDR_MAX))) {
        /* the header at once: array, kind, dt, parent, function, fixarray of arguments */
        uint8_t *p = c->base + c->pos;
        *p++ = with_fields ? 0x96 : 0x95;
        *p++ = ATR__REC_START;
        p = atr__put_dt(p, dt);
        p = atr__put_uint(p, parent);
        p = atr__put_uint(p, function);
        *p++ = (uint8_t)(0x90 | n);
        c->pos = (size_t)(p - c->base);
        /* then the leading scalar arguments in one straight line (one room check) */
        atr__enc_scalars(c, args, n, &i, max_bytes);
    } else {
        atr__enc_array_hdr(c, with_fields ? 6 : 5);
        atr__enc_uint(c, ATR__REC_START);
        atr__enc_dt(c, dt);
        atr__enc_uint(c, parent);
        atr__enc_uint(c, function);
        atr__enc_array_hdr(c, n);
    }
    for (; i < n; i++)
        atr__enc_value_top(c, &args[i], max_bytes);
    if (with_fields)
        atr__enc_fields(c, fields, n_fields, max_bytes);
}

/* result NULL: ATR__END_NORESULT (returned, result not captured). */
ATR__ENC_INLINE void atr__enc_end_return(atr__cur *c, int64_t dt, uint64_t span,
                                         const atr_value *result, size_t max_bytes) {
    if (ATR__LIKELY(atr__cur_room(c, ATR__REC_HDR_MAX + ATR__SCALAR_MAX))) {
        uint8_t *p = c->base + c->pos, *q;
        *p++ = result ? 0x95 : 0x94;
        *p++ = ATR__REC_END;
        p = atr__put_dt(p, dt);
        p = atr__put_uint(p, span);
        *p++ = result ? ATR__END_RETURN : ATR__END_NORESULT;
        if (result && (q = atr__put_scalar(p, result, max_bytes)) != NULL) {
            c->pos = (size_t)(q - c->base); /* a scalar result: the whole record at once */
            return;
        }
        c->pos = (size_t)(p - c->base);
    } else {
        atr__enc_array_hdr(c, result ? 5 : 4);
        atr__enc_uint(c, ATR__REC_END);
        atr__enc_dt(c, dt);
        atr__enc_uint(c, span);
        atr__enc_uint(c, result ? ATR__END_RETURN : ATR__END_NORESULT);
    }
    if (result)
        atr__enc_value_top(c, result, max_bytes);
}
/* message NULL: nil. */
void atr__enc_end_raise(atr__cur *c, int64_t dt, uint64_t span, atr_str exc_type,
                        const atr_value *message, size_t max_bytes);
void atr__enc_message(atr__cur *c, int64_t dt, uint64_t span, atr_str text, const atr_field *fields,
                      uint32_t n_fields, size_t max_bytes);
void atr__enc_sync(atr__cur *c, uint64_t last_seq, uint64_t dropped);
/* SUSPEND / RESUME (1.1): [type, dt, span]; type ATR__REC_SUSPEND or ATR__REC_RESUME. */
void atr__enc_suspend(atr__cur *c, unsigned type, int64_t dt, uint64_t span);
void atr__enc_drops(atr__cur *c, const atr_drop_stats *d);
void atr__enc_end_of_log(atr__cur *c, uint64_t time_ns);
void atr__enc_calibration(atr__cur *c, const atr_calibration *k, const atr_calibration_model *m);
/* SAMPLING (1.2): [14, {"rate": float, "mode": "count"|"random", "seed": int}]. */
void atr__enc_sampling(atr__cur *c, double rate, int random_mode, uint64_t seed);
/* RECORDING (1.2): [15, time, on] (absolute time; on 0: paused, 1: resumed). */
void atr__enc_recording(atr__cur *c, uint64_t time_ns, int on);

#endif /* ATR_FORMAT_ENCODE_H */
