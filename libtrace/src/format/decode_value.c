/*
 * Decoding of msgpack below the record level: the one walker that bounds (and builds) msgpack
 * objects, typed scalar fields, and values (docs/FORMAT.md section 4) including the
 * nested payloads of ext types 1-7.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "format/decode_impl.h"
#include "format/format.h"

/* --- bounds check of one msgpack object ------------------------------------------------ */

int atr__msgf(char *msg, size_t msg_size, int code, const char *fmt, ...) {
    if (msg && msg_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msg_size, fmt, ap);
        va_end(ap);
    }
    return code;
}

static uint64_t read_be(const uint8_t *p, unsigned n) {
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

enum { MP_SCALAR, MP_STR, MP_BIN, MP_EXT, MP_ARRAY, MP_MAP };

/* The scalar at p (its first byte b, then len bytes) as a msgpack object. */
static void fill_scalar(msgpack_object *o, unsigned b, const uint8_t *p, uint64_t len) {
    if (b >= 0xcc && b <= 0xcf) { /* uint 8 - 64: the times' deltas, first */
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = read_be(p, (unsigned)len);
    } else if (b <= 0x7f) {
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = b;
    } else if (b >= 0xe0) {
        o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
        o->via.i64 = (int8_t)b;
    } else if (b == 0xc0) {
        o->type = MSGPACK_OBJECT_NIL;
    } else if (b == 0xc2 || b == 0xc3) {
        o->type = MSGPACK_OBJECT_BOOLEAN;
        o->via.boolean = b == 0xc3;
    } else if (b == 0xca) {
        uint32_t bits = (uint32_t)read_be(p, 4);
        float f;
        memcpy(&f, &bits, sizeof f);
        o->type = MSGPACK_OBJECT_FLOAT32;
        o->via.f64 = f;
    } else if (b == 0xcb) {
        uint64_t bits = read_be(p, 8);
        o->type = MSGPACK_OBJECT_FLOAT64;
        memcpy(&o->via.f64, &bits, sizeof bits);
    } else if (b <= 0xd3) { /* 0xd0 - 0xd3: sign-extend */
        unsigned shift = 64 - 8 * (unsigned)len;
        int64_t v = (int64_t)(read_be(p, (unsigned)len) << shift) >> shift;
        o->type = v < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER : MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.i64 = v;
    } else { /* fixext 0xd4 - 0xd8: type byte, then the data */
        o->type = MSGPACK_OBJECT_EXT;
        o->via.ext.type = (int8_t)p[0];
        o->via.ext.ptr = (const char *)p + 1;
        o->via.ext.size = (uint32_t)(len - 1);
    }
}

/* A str, bin or ext (its length bytes already read) as a msgpack object. */
static void fill_bytes(msgpack_object *o, int what, const uint8_t *p, uint64_t len) {
    if (what == MP_EXT) {
        o->type = MSGPACK_OBJECT_EXT;
        o->via.ext.type = (int8_t)p[0];
        o->via.ext.ptr = (const char *)p + 1;
        o->via.ext.size = (uint32_t)(len - 1);
    } else {
        o->type = what == MP_STR ? MSGPACK_OBJECT_STR : MSGPACK_OBJECT_BIN;
        o->via.str.ptr = (const char *)p;
        o->via.str.size = (uint32_t)len;
    }
}

/*
 * The one msgpack walker: bounds one object (atr__mp_check) and, when zone is not NULL, also
 * builds it into *out as msgpack_objects whose arrays come from the zone (atr__mp_unpack).
 * Every count is checked against the bytes that remain before anything is sized by it.
 */
static int mp_walk(const uint8_t *p, size_t n, int max_depth, size_t *size, uint64_t *budget,
                   char *msg, size_t msg_size, msgpack_zone *zone, msgpack_object *out) {
    static const char *const names[] = {"value", "str", "bin", "ext", "array", "map"};
    uint64_t left[ATR__NEST_MAX + 1];        /* objects still to walk at each depth */
    msgpack_object *slot[ATR__NEST_MAX + 1]; /* next object to fill at each depth (zone) */
    int depth = 0;
    size_t pos = 0;
    uint64_t bud = *budget; /* a local: the objects written cannot alias it */
#define WALK_RETURN(rc) \
    do {                \
        *budget = bud;  \
        return (rc);    \
    } while (0)

    if (max_depth > ATR__NEST_MAX)
        max_depth = ATR__NEST_MAX;
    left[0] = 1;
    slot[0] = out;
    for (;;) {
        msgpack_object *o = NULL;
        size_t at;
        unsigned b, hdr = 0;
        uint64_t len = 0;
        int what = MP_SCALAR;

        while (left[depth] == 0) {
            if (depth == 0) {
                *size = pos;
                WALK_RETURN(0);
            }
            depth--;
        }
        left[depth]--;
        if (zone)
            o = slot[depth]++;
        if (bud == 0)
            WALK_RETURN(atr__msgf(msg, msg_size, ATR_ETOOBIG,
                                  "more than %u msgpack objects in one record",
                                  ATR__RECORD_OBJECTS_MAX));
        bud--;
        if (pos >= n)
            WALK_RETURN(atr__msgf(msg, msg_size, ATR_ETRUNCATED, "bytes end inside a record"));
        at = pos;
        b = p[pos++];
        if (b <= 0x7f) { /* the commonest byte: a small int, built here */
            if (o) {
                o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
                o->via.u64 = b;
            }
            continue;
        } else if (b >= 0xe0) {
            if (o)
                fill_scalar(o, b, p + pos, 0);
            continue;
        } else if (b <= 0x8f) {
            what = MP_MAP;
            len = b & 0xfu;
        } else if (b <= 0x9f) {
            what = MP_ARRAY;
            len = b & 0xfu;
        } else if (b <= 0xbf) {
            what = MP_STR;
            len = b & 0x1fu;
        } else {
            switch (b) {
            case 0xc0:
            case 0xc2:
            case 0xc3:
                if (o)
                    fill_scalar(o, b, p + pos, 0);
                continue;
            case 0xc1:
                WALK_RETURN(atr__msgf(msg, msg_size, ATR_ECORRUPT,
                                      "invalid msgpack byte 0xc1 at byte %zu", at));
            case 0xc4:
            case 0xc5:
            case 0xc6:
                what = MP_BIN;
                hdr = 1u << (b - 0xc4);
                break;
            case 0xc7:
            case 0xc8:
            case 0xc9:
                what = MP_EXT;
                hdr = 1u << (b - 0xc7);
                break;
            case 0xca:
                len = 4;
                break;
            case 0xcb:
                len = 8;
                break;
            case 0xcc:
            case 0xcd:
            case 0xce:
            case 0xcf:
                len = 1u << (b - 0xcc);
                break;
            case 0xd0:
            case 0xd1:
            case 0xd2:
            case 0xd3:
                len = 1u << (b - 0xd0);
                break;
            case 0xd4:
            case 0xd5:
            case 0xd6:
            case 0xd7:
            case 0xd8:
                len = 1 + (1u << (b - 0xd4));
                break;
            case 0xd9:
            case 0xda:
            case 0xdb:
                what = MP_STR;
                hdr = 1u << (b - 0xd9);
                break;
            case 0xdc:
            case 0xdd:
                what = MP_ARRAY;
                hdr = 2u << (b - 0xdc);
                break;
            default: /* 0xde, 0xdf */
                what = MP_MAP;
                hdr = 2u << (b - 0xde);
                break;
            }
        }
        if (hdr) {
            if (n - pos < hdr)
                WALK_RETURN(atr__msgf(msg, msg_size, ATR_ETRUNCATED, "bytes end inside a record"));
            len = read_be(p + pos, hdr);
            pos += hdr;
            if (what == MP_EXT)
                len += 1; /* the type byte */
        }
        if (what == MP_ARRAY || what == MP_MAP) {
            uint64_t count = what == MP_MAP ? len * 2 : len;
            if (depth + 1 > max_depth)
                WALK_RETURN(atr__msgf(msg, msg_size, ATR_ECORRUPT,
                                      "msgpack nested deeper than %d levels", max_depth));
            if (count > n - pos)
                WALK_RETURN(atr__msgf(msg, msg_size, ATR_ECORRUPT,
                                      "%s of %" PRIu64 " elements at byte %zu, but only %zu bytes "
                                      "follow",
                                      names[what], len, at, n - pos));
            if (o) {
                /* a map's key/value pairs are laid out as 2 * len objects */
                msgpack_object *items = NULL;
                if (count && !(items = msgpack_zone_malloc(zone, count * sizeof *items)))
                    WALK_RETURN(atr__msgf(msg, msg_size, ATR_ENOMEM,
                                          "out of memory for %s of %" PRIu64 " elements",
                                          names[what], len));
                if (what == MP_MAP) {
                    o->type = MSGPACK_OBJECT_MAP;
                    o->via.map.size = (uint32_t)len;
                    o->via.map.ptr = (msgpack_object_kv *)(void *)items;
                } else {
                    o->type = MSGPACK_OBJECT_ARRAY;
                    o->via.array.size = (uint32_t)len;
                    o->via.array.ptr = items;
                }
                slot[depth + 1] = items;
            }
            if (count) {
                depth++;
                left[depth] = count;
            }
            continue;
        }
        if (len > n - pos) {
            if (what == MP_SCALAR)
                WALK_RETURN(atr__msgf(msg, msg_size, ATR_ETRUNCATED, "bytes end inside a record"));
            WALK_RETURN(atr__msgf(msg, msg_size, ATR_ECORRUPT,
                                  "%s of %" PRIu64 " bytes at byte %zu, but only %zu bytes follow",
                                  names[what], len - (what == MP_EXT), at, n - pos));
        }
        if (o) {
            if (what == MP_SCALAR)
                fill_scalar(o, b, p + pos, len);
            else
                fill_bytes(o, what, p + pos, len);
        }
        pos += (size_t)len;
    }
}
#undef WALK_RETURN

int atr__mp_check(const uint8_t *p, size_t n, int max_depth, size_t *size, uint64_t *budget,
                  char *msg, size_t msg_size) {
    return mp_walk(p, n, max_depth, size, budget, msg, msg_size, NULL, NULL);
}

int atr__mp_unpack(const uint8_t *p, size_t n, int max_depth, size_t *size, uint64_t *budget,
                   char *msg, size_t msg_size, msgpack_zone *zone, msgpack_object *out) {
    return mp_walk(p, n, max_depth, size, budget, msg, msg_size, zone, out);
}

/* --- scalar fields ---------------------------------------------------------------------- */

const char *atr__dec_kind(const msgpack_object *o) {
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return "nil";
    case MSGPACK_OBJECT_BOOLEAN:
        return "a bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return "an int";
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return "a negative int";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return "a float";
    case MSGPACK_OBJECT_STR:
        return "a str";
    case MSGPACK_OBJECT_BIN:
        return "a bin";
    case MSGPACK_OBJECT_ARRAY:
        return "an array";
    case MSGPACK_OBJECT_MAP:
        return "a map";
    case MSGPACK_OBJECT_EXT:
        return "an ext";
    default:
        return "an unknown msgpack object";
    }
}

int atr__dec_bad_uint(atr__decoder *d, const msgpack_object *o, uint64_t max, const char *what) {
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return atr__dec_fail(d, ATR_ECORRUPT, "%s is %s, needs a non-negative int", what,
                             atr__dec_kind(o));
    return atr__dec_fail(d, ATR_ECORRUPT, "%s is %" PRIu64 ", more than %" PRIu64, what, o->via.u64,
                         max);
}

int atr__dec_int(atr__decoder *d, const msgpack_object *o, const char *what, int64_t *out) {
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return 0;
    }
    return atr__dec_uint(d, o, INT64_MAX, what, (uint64_t *)out);
}

int atr__dec_bad_str(atr__decoder *d, const msgpack_object *o, const char *what) {
    return atr__dec_fail(d, ATR_ECORRUPT, "%s is %s, needs a str", what, atr__dec_kind(o));
}

/* --- values (FORMAT.md section 4) ------------------------------------------------------- */

/* Unpack a nested msgpack object (an ext payload) that must fill p[0..n). */
static int unpack_nested(atr__decoder *d, const char *p, size_t n, const char *what,
                         msgpack_object *obj) {
    size_t size = 0;
    char why[160];
    int rc;
    d->zone_used = 1;
    rc = atr__mp_unpack((const uint8_t *)p, n, ATR__NEST_MAX, &size, &d->budget, why, sizeof why,
                        &d->zone, obj);
    if (rc == ATR_ETRUNCATED)
        return atr__dec_fail(d, ATR_ECORRUPT, "%s: payload ends inside its msgpack object", what);
    if (rc < 0)
        return atr__dec_fail(d, rc, "%s: %s", what, why);
    if (size != n)
        return atr__dec_fail(d, ATR_ECORRUPT, "%s: %zu stray bytes after the payload's object",
                             what, n - size);
    return 0;
}

/* ext 1, 2, 6: a msgpack uint (the true length), then the stored bytes. */
static int decode_truncated(atr__decoder *d, const char *p, size_t n, const char *what,
                            atr_value *v) {
    const uint8_t *u = (const uint8_t *)p;
    uint64_t true_len;
    size_t hdr;

    if (n == 0)
        return atr__dec_fail(d, ATR_ECORRUPT, "%s value: empty payload, needs a true length", what);
    if (u[0] <= 0x7f) {
        true_len = u[0];
        hdr = 1;
    } else if (u[0] >= 0xcc && u[0] <= 0xcf) {
        hdr = 1 + (1u << (u[0] - 0xcc));
        if (n < hdr)
            return atr__dec_fail(d, ATR_ECORRUPT, "%s value: payload ends inside its true length",
                                 what);
        true_len = read_be(u + 1, (unsigned)(hdr - 1));
    } else {
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "%s value: payload starts with byte 0x%02x, needs a "
                             "msgpack uint",
                             what, u[0]);
    }
    if (true_len < n - hdr)
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "%s value: true length %" PRIu64 " is less than the %zu "
                             "bytes stored",
                             what, true_len, n - hdr);
    v->u.s.ptr = p + hdr;
    v->u.s.len = n - hdr;
    v->u.s.true_len = true_len;
    return 0;
}

static int decode_summary(atr__decoder *d, const char *p, size_t n, int depth, atr_value *v) {
    msgpack_object obj;
    const msgpack_object *el;
    atr_value *items;
    uint32_t i, n_items;
    int rc;

    if (depth >= ATR__SUMMARY_DEPTH_MAX)
        return atr__dec_fail(d, ATR_ECORRUPT, "summaries nested deeper than %d",
                             ATR__SUMMARY_DEPTH_MAX);
    rc = unpack_nested(d, p, n, "summary value", &obj);
    if (rc < 0)
        return rc;
    if (obj.type != MSGPACK_OBJECT_ARRAY || obj.via.array.size < 2)
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "summary value: payload is %s, needs an array "
                             "[type_name, length, item...]",
                             obj.type == MSGPACK_OBJECT_ARRAY ? "a short array"
                                                              : atr__dec_kind(&obj));
    el = obj.via.array.ptr;
    if (el[0].type != MSGPACK_OBJECT_STR) {
        return atr__dec_fail(d, ATR_ECORRUPT, "summary value: type name is %s, needs a str",
                             atr__dec_kind(&el[0]));
    }
    v->u.sum.type = el[0].via.str.ptr;
    v->u.sum.type_len = el[0].via.str.size;
    if (el[1].type == MSGPACK_OBJECT_NIL) {
        v->u.sum.length = -1;
    } else {
        rc = atr__dec_uint(d, &el[1], INT64_MAX, "summary value: length",
                           (uint64_t *)&v->u.sum.length);
        if (rc < 0)
            return rc;
    }
    n_items = obj.via.array.size - 2;
    items = atr__dec_alloc(d, n_items, sizeof *items);
    if (n_items && !items)
        return atr__dec_fail(d, ATR_ENOMEM, "summary value: out of memory for %u items", n_items);
    for (i = 0; i < n_items; i++) {
        rc = atr__dec_value(d, &el[2 + i], depth + 1, &items[i]);
        if (rc < 0)
            return rc;
    }
    v->n_items = n_items;
    v->u.sum.items = items;
    return 0;
}

/*
 * ext 8 (1.2): the TYPE id, then the length (int or nil; absent: unknown), then the leading
 * items, each a msgpack object, back to back. An id that no TYPE record defined (a damaged
 * log) gives an unknown value, not an error.
 */
static int decode_summary_id(atr__decoder *d, const char *p, size_t n, int depth, atr_value *v) {
    enum { FIRST = 8 }; /* objects built by the counting pass; usually all of them */
    msgpack_object first[FIRST], o;
    atr_value *items = NULL;
    atr_str name;
    uint64_t id;
    size_t off = 0, size, rest = 0;
    uint32_t count = 0, i;
    char why[160];
    int rc;

    if (depth >= ATR__SUMMARY_DEPTH_MAX)
        return atr__dec_fail(d, ATR_ECORRUPT, "summaries nested deeper than %d",
                             ATR__SUMMARY_DEPTH_MAX);
    d->zone_used = 1;
    while (off < n) {
        const uint8_t *at = (const uint8_t *)p + off;
        if (count < FIRST)
            rc = atr__mp_unpack(at, n - off, ATR__NEST_MAX, &size, &d->budget, why, sizeof why,
                                &d->zone, &first[count]);
        else
            rc = atr__mp_check(at, n - off, ATR__NEST_MAX, &size, &d->budget, why, sizeof why);
        if (rc == ATR_ETRUNCATED)
            return atr__dec_fail(d, ATR_ECORRUPT, "summary value: payload ends inside an object");
        if (rc < 0)
            return atr__dec_fail(d, rc, "summary value: %s", why);
        off += size;
        if (++count == FIRST)
            rest = off;
    }
    if (count == 0)
        return atr__dec_fail(d, ATR_ECORRUPT, "summary value: empty payload, needs a type id");
    for (i = 0; i < count; i++) {
        if (i >= FIRST) {                /* built now: the counting pass only bounded it */
            uint64_t again = UINT64_MAX; /* counted against d->budget by the first pass */
            rc = atr__mp_unpack((const uint8_t *)p + rest, n - rest, ATR__NEST_MAX, &size, &again,
                                why, sizeof why, &d->zone, &o);
            if (rc < 0)
                return atr__dec_fail(d, rc, "summary value: %s", why);
            rest += size;
        } else {
            o = first[i];
        }
        if (i == 0) {
            if ((rc = atr__dec_uint(d, &o, UINT32_MAX, "summary value: type id", &id)) < 0)
                return rc;
            if (atr__dec_type_name(d, id, &name) < 0) {
                v->kind = ATR_V_UNKNOWN;
                v->u.s.ptr = p;
                v->u.s.len = n;
                v->u.s.true_len = n;
                return 0;
            }
            v->u.sum.type = name.ptr;
            v->u.sum.type_len = name.len;
            v->u.sum.length = -1;
            v->u.sum.items = NULL;
            items = count > 2 ? atr__dec_alloc(d, count - 2, sizeof *items) : NULL;
            if (count > 2 && !items)
                return atr__dec_fail(d, ATR_ENOMEM, "summary value: out of memory for %u items",
                                     count - 2);
        } else if (i == 1) {
            if (o.type != MSGPACK_OBJECT_NIL &&
                (rc = atr__dec_uint(d, &o, INT64_MAX, "summary value: length",
                                    (uint64_t *)&v->u.sum.length)) < 0)
                return rc;
        } else if ((rc = atr__dec_value(d, &o, depth + 1, &items[i - 2])) < 0) {
            return rc;
        }
    }
    v->n_items = count > 2 ? count - 2 : 0;
    v->u.sum.items = count > 2 ? items : NULL;
    return 0;
}

/*
 * ext 9 (1.4): a msgpack uint, the id of a VALUE record, whose value this is. An id that no
 * VALUE record defined (a damaged log) gives an unknown value, not an error.
 */
static int decode_value_id(atr__decoder *d, const char *p, size_t n, atr_value *v) {
    const atr__dec_def *e;
    msgpack_object o;
    uint64_t id;
    int rc;
    if ((rc = unpack_nested(d, p, n, "value reference", &o)) < 0 ||
        (rc = atr__dec_uint(d, &o, UINT32_MAX, "value reference: id", &id)) < 0)
        return rc;
    if (!(e = atr__dec_value_def(d, id))) {
        v->kind = ATR_V_UNKNOWN;
        v->u.s.ptr = p;
        v->u.s.len = n;
        v->u.s.true_len = n;
        return 0;
    }
    v->kind = e->kind;
    v->u.s.ptr = e->s.ptr;
    v->u.s.len = e->s.len;
    v->u.s.true_len = e->true_len;
    return 0;
}

static int decode_ext(atr__decoder *d, const msgpack_object *o, int depth, atr_value *v) {
    const char *p = o->via.ext.ptr;
    size_t n = o->via.ext.size;
    size_t i;

    switch (o->via.ext.type) {
    case ATR__EXT_TRUNC_STR:
        v->kind = ATR_V_STR;
        return decode_truncated(d, p, n, "truncated str", v);
    case ATR__EXT_TRUNC_BYTES:
        v->kind = ATR_V_BYTES;
        return decode_truncated(d, p, n, "truncated bytes", v);
    case ATR__EXT_REPR:
        v->kind = ATR_V_REPR;
        return decode_truncated(d, p, n, "repr", v);
    case ATR__EXT_SUMMARY:
        v->kind = ATR_V_SUMMARY;
        return decode_summary(d, p, n, depth, v);
    case ATR__EXT_SUMMARY_ID:
        v->kind = ATR_V_SUMMARY;
        return decode_summary_id(d, p, n, depth, v);
    case ATR__EXT_VALUE_ID:
        return decode_value_id(d, p, n, v);
    case ATR__EXT_REDACTED:
        v->kind = ATR_V_REDACTED;
        return 0;
    case ATR__EXT_BIGINT:
        for (i = (n && p[0] == '-'); i < n; i++)
            if (p[i] < '0' || p[i] > '9')
                break;
        if (n == (size_t)(n && p[0] == '-') || i < n)
            return atr__dec_fail(d, ATR_ECORRUPT,
                                 "big integer value: payload is not decimal digits");
        v->kind = ATR_V_BIGINT;
        break;
    case ATR__EXT_ERROR:
        v->kind = ATR_V_ERROR;
        break;
    default:
        v->kind = ATR_V_UNKNOWN;
        break;
    }
    v->u.s.ptr = p;
    v->u.s.len = n;
    v->u.s.true_len = n;
    return 0;
}

/* depth: how many summaries enclose this value. */
int atr__dec_value(atr__decoder *d, const msgpack_object *o, int depth, atr_value *v) {
    v->n_items = 0;
    v->u.u = 0;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        v->kind = ATR_V_NIL;
        return 0;
    case MSGPACK_OBJECT_BOOLEAN:
        v->kind = ATR_V_BOOL;
        v->u.b = o->via.boolean ? 1 : 0;
        return 0;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > INT64_MAX) {
            v->kind = ATR_V_UINT;
            v->u.u = o->via.u64;
        } else {
            v->kind = ATR_V_INT;
            v->u.i = (int64_t)o->via.u64;
        }
        return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        v->kind = ATR_V_INT;
        v->u.i = o->via.i64;
        return 0;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        v->kind = ATR_V_FLOAT;
        v->u.f = o->via.f64;
        return 0;
    case MSGPACK_OBJECT_STR:
    case MSGPACK_OBJECT_BIN:
        v->kind = o->type == MSGPACK_OBJECT_STR ? ATR_V_STR : ATR_V_BYTES;
        v->u.s.ptr = o->via.str.ptr;
        v->u.s.len = o->via.str.size;
        v->u.s.true_len = o->via.str.size;
        return 0;
    case MSGPACK_OBJECT_EXT:
        return decode_ext(d, o, depth, v);
    default:
        return atr__dec_fail(d, ATR_ECORRUPT, "a value is %s (v1 values are scalars or ext types)",
                             atr__dec_kind(o));
    }
}

int atr__dec_values(atr__decoder *d, const msgpack_object *o, const char *what,
                    const atr_value **out, uint32_t *n_out) {
    atr_value *vals;
    uint32_t i, n;
    int rc;

    if (o->type != MSGPACK_OBJECT_ARRAY)
        return atr__dec_fail(d, ATR_ECORRUPT, "%s is %s, needs an array", what, atr__dec_kind(o));
    n = o->via.array.size;
    vals = atr__dec_alloc(d, n, sizeof *vals);
    if (n && !vals)
        return atr__dec_fail(d, ATR_ENOMEM, "%s: out of memory", what);
    for (i = 0; i < n; i++) {
        rc = atr__dec_value(d, &o->via.array.ptr[i], 0, &vals[i]);
        if (rc < 0)
            return rc;
    }
    *out = vals;
    *n_out = n;
    return 0;
}

int atr__dec_fields(atr__decoder *d, const msgpack_object *o, const char *what,
                    const atr_field **out, uint32_t *n_out) {
    atr_field *fields;
    uint32_t i, n;
    int rc;

    if (o->type != MSGPACK_OBJECT_MAP)
        return atr__dec_fail(d, ATR_ECORRUPT, "%s is %s, needs a map", what, atr__dec_kind(o));
    n = o->via.map.size;
    fields = atr__dec_alloc(d, n, sizeof *fields);
    if (n && !fields)
        return atr__dec_fail(d, ATR_ENOMEM, "%s: out of memory", what);
    for (i = 0; i < n; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR)
            return atr__dec_fail(d, ATR_ECORRUPT, "%s: a key is %s, needs a str", what,
                                 atr__dec_kind(&kv->key));
        fields[i].name.ptr = kv->key.via.str.ptr;
        fields[i].name.len = kv->key.via.str.size;
        rc = atr__dec_value(d, &kv->val, 0, &fields[i].value);
        if (rc < 0)
            return rc;
    }
    *out = fields;
    *n_out = n;
    return 0;
}
