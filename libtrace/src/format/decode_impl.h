/*
 * Internals shared by decode.c (decoder state, records), decode_value.c (bounds check,
 * scalar fields, values) and decode_defs.c (the TYPE, VALUE and TIMES records the decoder
 * keeps). Not for use outside libtrace/src/format/.
 */
#ifndef ATR_FORMAT_DECODE_IMPL_H
#define ATR_FORMAT_DECODE_IMPL_H

#include <stdint.h>

#include <msgpack.h>

#include "common/hash.h"
#include "format/decode.h"

/*
 * A small open-addressing map from uint32 keys to uint32 values, sized by the number of
 * entries actually inserted (never by a key read from the file).
 */
typedef struct atr__idmap_slot {
    uint32_t key;
    uint32_t val; /* ATR__IDMAP_EMPTY: free slot */
} atr__idmap_slot;
#define ATR__IDMAP_EMPTY UINT32_MAX
/* In the function map's values: the function's STARTs are decoded without their values (a
   count of params is below it: an array holds at most ATR__RECORD_OBJECTS_MAX objects). */
#define ATR__FN_NO_VALUES (1u << 30)

typedef struct atr__idmap {
    atr__idmap_slot *slots;
    uint32_t cap; /* 0 or a power of two */
    uint32_t n;
} atr__idmap;

/* Definitions by id (TYPE names, VALUEs): owned copies of their bytes; a later definition
   of the same id replaces the earlier one. */
typedef struct atr__dec_def {
    atr_str s; /* ptr malloc'ed, NUL-terminated */
    uint64_t true_len;
    uint32_t kind; /* VALUE: ATR_V_STR or ATR_V_BYTES */
} atr__dec_def;
typedef struct atr__dec_defs {
    atr__u32map ids; /* id -> index in e */
    atr__dec_def *e;
    uint32_t n;
    uint64_t cap, bytes;
} atr__dec_defs;

typedef struct atr__thread_state {
    uint64_t time; /* time of the thread's last timed record (ns) */
    uint64_t seq;  /* sequence number of the thread's last span */
} atr__thread_state;

typedef struct atr__parsed_rec {
    msgpack_object obj; /* the record's array (objects in the set's zone) */
    uint64_t budget;    /* objects its ext payloads may still hold */
} atr__parsed_rec;

struct atr__parsed {
    msgpack_zone zone;     /* objects of the records */
    atr__parsed_rec *recs; /* owned, cap */
    uint32_t n, cap;
    size_t bytes; /* of objects in zone (about) */
    char msg[256];
};

struct atr__decoder {
    msgpack_zone zone; /* arrays and ext payloads of the current record, cleared per record */
    atr__parsed *one;  /* owned: the record atr__decode_record() parses */
    int zone_used;     /* zone holds something of the current record */
    uint32_t major, minor;
    atr__idmap threads;        /* thread number -> index in states */
    atr__thread_state *states; /* one per thread seen, in order of first CHUNK */
    uint32_t n_states, cap_states;
    int have_cur; /* a CHUNK has set the current thread */
    uint32_t cur_thread;
    uint32_t cur_index;   /* index of the current thread in states */
    atr__idmap functions; /* function id -> number of params, | ATR__FN_NO_VALUES */
    atr__want_fn want;    /* NULL: every function's values (atr__decoder_set_want) */
    void *want_ud;        /* borrowed */
    atr__dec_defs types;  /* TYPE names (1.2) */
    atr__dec_defs values; /* VALUEs (1.4) */
    /* The current chunk's TIMES column (2.0): a copy of its two planes, col[0..col_n) the
       high bytes and col[col_n..2 col_n) the low ones; col_pos deltas used. */
    uint8_t *col;
    uint64_t col_cap;
    size_t col_n, col_pos;
    uint64_t n_records;
    int seen_process;
    uint64_t budget; /* msgpack objects the current record may still hold */
    char msg[256];
};

/*
 * atr__mp_check() that also builds the object into *out: msgpack_objects whose arrays (and
 * maps: 2 * size objects, key then value) come from zone; strings point into p.
 */
int atr__mp_unpack(const uint8_t *p, size_t n, int max_depth, size_t *size, uint64_t *budget,
                   char *msg, size_t msg_size, msgpack_zone *zone, msgpack_object *out);

/* Record the reason of a failure in d->msg and return code. */
int atr__dec_fail(atr__decoder *d, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "an int", "a str", ... for messages. */
const char *atr__dec_kind(const msgpack_object *o);

/* The failures of atr__dec_uint() and atr__dec_str(): record the reason, return ATR_ECORRUPT. */
int atr__dec_bad_uint(atr__decoder *d, const msgpack_object *o, uint64_t max, const char *what);
int atr__dec_bad_str(atr__decoder *d, const msgpack_object *o, const char *what);

/* Typed fields of a record; `what` names the field in the error message. Inline: a record's
   every field goes through them. */

/* A non-negative int no larger than max. */
static inline int atr__dec_uint(atr__decoder *d, const msgpack_object *o, uint64_t max,
                                const char *what, uint64_t *out) {
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max) {
        *out = 0; /* never read: the caller returns the error */
        return atr__dec_bad_uint(d, o, max, what);
    }
    *out = o->via.u64;
    return 0;
}

static inline int atr__dec_u32(atr__decoder *d, const msgpack_object *o, const char *what,
                               uint32_t *out) {
    uint64_t v = 0;
    int rc = atr__dec_uint(d, o, UINT32_MAX, what, &v);
    *out = (uint32_t)v;
    return rc;
}

static inline int atr__dec_str(atr__decoder *d, const msgpack_object *o, const char *what,
                               atr_str *out) {
    if (o->type != MSGPACK_OBJECT_STR) {
        out->ptr = NULL; /* never read: the caller returns the error */
        out->len = 0;
        return atr__dec_bad_str(d, o, what);
    }
    out->ptr = o->via.str.ptr;
    out->len = o->via.str.size;
    return 0;
}

int atr__dec_int(atr__decoder *d, const msgpack_object *o, const char *what, int64_t *out);

/* A value (FORMAT.md section 4), a msgpack array of values, a map from str to values. */
int atr__dec_value(atr__decoder *d, const msgpack_object *o, int depth, atr_value *v);
int atr__dec_values(atr__decoder *d, const msgpack_object *o, const char *what,
                    const atr_value **out, uint32_t *n_out);
int atr__dec_fields(atr__decoder *d, const msgpack_object *o, const char *what,
                    const atr_field **out, uint32_t *n_out);

/* decode_defs.c: the records kept and not reported (TYPE, VALUE, TIMES), each decoded into
   d's tables; ATR__DECODE_SKIP or an error. */
int atr__dec_type_def(atr__decoder *d, const msgpack_object *el, uint32_t size);
int atr__dec_value_record(atr__decoder *d, const msgpack_object *el, uint32_t size);
int atr__dec_times_record(atr__decoder *d, const msgpack_object *el, uint32_t size);
void atr__dec_defs_free(atr__dec_defs *t);
/* The name of TYPE id (1.2): 0, or -1 when no TYPE record defined it. */
int atr__dec_type_name(const atr__decoder *d, uint64_t id, atr_str *out);
/* The VALUE of id (1.4), or NULL when no VALUE record defined it. */
const atr__dec_def *atr__dec_value_def(const atr__decoder *d, uint64_t id);
/* The next delta of the current chunk's TIMES column for a record's nil dt (2.0); 0 or
   ATR_ECORRUPT when none is left. */
int atr__dec_column_delta(atr__decoder *d, const char *rec, uint64_t *delta);

/* n * elem bytes from the record's zone (NULL for n == 0 or when out of memory). */
void *atr__dec_alloc(atr__decoder *d, size_t n, size_t elem);

#endif /* ATR_FORMAT_DECODE_IMPL_H */
