/*
 * Record decoder: msgpack records -> atr_record (docs/FORMAT.md section 3).
 *
 * Each record goes through two steps: atr__mp_unpack() walks it once, bounding every count and
 * length by the bytes that remain (so nothing is sized by a number in the file alone) while it
 * builds msgpack_objects in a zone reused from record to record; then the mappers below turn
 * those into an atr_record, checking arity and types and resolving times and span references
 * against the per-thread state. Arrays handed out (args, fields, params, summary items) come
 * from the same zone, so they live until the next record.
 */
#include "format/decode.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/decode_impl.h"
#include "format/format.h"

/* Thread numbers must leave room for span ids: (thread + 1) << 40 fits in 64 bits. */
#define THREAD_MAX (ATR__THREAD_NUMBER_MAX - 1) /* largest accepted */

/* --- id maps ---------------------------------------------------------------------------- */

static uint32_t idmap_hash(uint32_t key, uint32_t cap) {
    return (uint32_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (cap - 1);
}

/* The slot holding key, or the free slot where it would go; NULL if the map is empty. */
static atr__idmap_slot *idmap_find(const atr__idmap *m, uint32_t key) {
    uint32_t i;
    if (!m->cap)
        return NULL;
    for (i = idmap_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        atr__idmap_slot *s = &m->slots[i];
        if (s->val == ATR__IDMAP_EMPTY || s->key == key)
            return s;
    }
}

/* Insert a key that is not in the map. Returns 0 or ATR_ENOMEM. */
static int idmap_insert(atr__idmap *m, uint32_t key, uint32_t val) {
    atr__idmap_slot *s;
    if ((uint64_t)(m->n + 1) * 2 > m->cap) {
        uint32_t i, cap = m->cap ? m->cap * 2 : 64;
        atr__idmap old = *m;
        if (m->cap >= UINT32_C(1) << 30)
            return ATR_ENOMEM; /* a billion ids: refuse rather than overflow */
        m->slots = malloc(cap * sizeof *m->slots);
        if (!m->slots) {
            *m = old;
            return ATR_ENOMEM;
        }
        m->cap = cap;
        for (i = 0; i < cap; i++)
            m->slots[i].val = ATR__IDMAP_EMPTY;
        for (i = 0; i < old.cap; i++)
            if (old.slots[i].val != ATR__IDMAP_EMPTY)
                *idmap_find(m, old.slots[i].key) = old.slots[i];
        free(old.slots);
    }
    s = idmap_find(m, key);
    s->key = key;
    s->val = val;
    m->n++;
    return 0;
}

static void idmap_destroy(atr__idmap *m) {
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = 0;
}

/* --- decoder lifetime ------------------------------------------------------------------- */

int atr__dec_fail(atr__decoder *d, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return code;
}

void *atr__dec_alloc(atr__decoder *d, size_t n, size_t elem) {
    if (n == 0)
        return NULL;
    d->zone_used = 1;
    return msgpack_zone_malloc(&d->zone, n * elem);
}

int atr__decoder_new(uint32_t major, uint32_t minor, atr__decoder **out) {
    atr__decoder *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        return ATR_ENOMEM;
    if (!msgpack_zone_init(&d->zone, 16 * 1024)) {
        free(d);
        return ATR_ENOMEM;
    }
    if (atr__parsed_new(1, &d->one) < 0) {
        msgpack_zone_destroy(&d->zone);
        free(d);
        return ATR_ENOMEM;
    }
    d->major = major;
    d->minor = minor;
    snprintf(d->msg, sizeof d->msg, "no error");
    *out = d;
    return 0;
}

void atr__decoder_free(atr__decoder *d) {
    if (!d)
        return;
    msgpack_zone_destroy(&d->zone);
    atr__parsed_free(d->one);
    idmap_destroy(&d->threads);
    idmap_destroy(&d->functions);
    atr__dec_defs_free(&d->types);
    atr__dec_defs_free(&d->values);
    free(d->col);
    free(d->states);
    free(d);
}

void atr__decoder_set_want(atr__decoder *d, atr__want_fn want, void *ud) {
    d->want = want;
    d->want_ud = ud;
}

const char *atr__decoder_msg(const atr__decoder *d) { return d->msg; }

uint64_t atr__decoder_count(const atr__decoder *d) { return d->n_records; }

/* The public kinds are the format's numbers (format.h): rec->kind = type below. */
#define ATR__REC_CHECK_INTERNAL(name)
#define ATR__REC_CHECK_PUBLIC(name) \
    _Static_assert((int)ATR__REC_##name == (int)ATR_REC_##name, "record type " #name);
#define ATR__REC_CHECK(name, num, vis) ATR__REC_CHECK_##vis(name)
ATR__REC_TYPES(ATR__REC_CHECK)
#undef ATR__REC_CHECK
_Static_assert(ATR__SPAN_SEQ_BITS == ATR_SPAN_SEQ_BITS, "span id layout (FORMAT.md 3.5)");
_Static_assert(ATR__END_RETURN == ATR_END_RETURN && ATR__END_RAISE == ATR_END_RAISE &&
                   ATR__END_NORESULT == ATR_END_NORESULT,
               "END status (FORMAT.md 3.7)");

/* --- stream state ----------------------------------------------------------------------- */

static const char *rec_name(uint64_t type) {
#define ATR__REC_NAME(name, num, vis) [num] = #name,
    static const char *const names[] = {ATR__REC_TYPES(ATR__REC_NAME)};
#undef ATR__REC_NAME
    return type < sizeof names / sizeof names[0] && names[type] ? names[type] : "?";
}

static int set_thread(atr__decoder *d, const msgpack_object *o) {
    atr__idmap_slot *s;
    uint64_t thread;
    int rc = atr__dec_uint(d, o, THREAD_MAX, "CHUNK thread number", &thread);
    if (rc < 0)
        return rc;
    s = idmap_find(&d->threads, (uint32_t)thread);
    if (!s || s->val == ATR__IDMAP_EMPTY) {
        if (d->n_states == d->cap_states) {
            uint32_t cap = d->cap_states ? d->cap_states * 2 : 16;
            atr__thread_state *st = realloc(d->states, cap * sizeof *st);
            if (!st)
                return atr__dec_fail(d, ATR_ENOMEM, "out of memory for thread state");
            d->states = st;
            d->cap_states = cap;
        }
        if (idmap_insert(&d->threads, (uint32_t)thread, d->n_states) < 0)
            return atr__dec_fail(d, ATR_ENOMEM, "out of memory for thread state");
        d->states[d->n_states].time = 0;
        d->states[d->n_states].seq = 0;
        d->cur_index = d->n_states++;
    } else {
        d->cur_index = s->val;
    }
    d->cur_thread = (uint32_t)thread;
    d->have_cur = 1;
    return 0;
}

/* CHUNK's `time` and `seq` (1.3): the current thread's state before the chunk's records, so
   that a frame decodes alone (FORMAT.md 3.4). Ignored unless both are non-negative ints. */
static void chunk_state(atr__decoder *d, const msgpack_object *time, const msgpack_object *seq) {
    if (time->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        seq->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return;
    d->states[d->cur_index].time = time->via.u64;
    d->states[d->cur_index].seq = seq->via.u64;
}

/* The time a record's dt gives: the current thread's time plus dt (nil: the next delta of
   the chunk's TIMES column, 2.0). */
static int time_of(atr__decoder *d, const msgpack_object *o, const char *rec, uint64_t *out) {
    uint64_t time = d->states[d->cur_index].time;
    if (o->type == MSGPACK_OBJECT_NIL) {
        uint64_t delta;
        int rc = atr__dec_column_delta(d, rec, &delta);
        if (rc < 0)
            return rc;
        time += delta;
    } else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > UINT64_MAX - time)
            return atr__dec_fail(d, ATR_ECORRUPT, "%s time overflows 64 bits", rec);
        time += o->via.u64;
    } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        uint64_t back = (uint64_t)(-(o->via.i64 + 1)) + 1u;
        if (back > time)
            return atr__dec_fail(d, ATR_ECORRUPT,
                                 "%s dt %" PRId64 " takes the thread's time below 0", rec,
                                 o->via.i64);
        time -= back;
    } else {
        return atr__dec_fail(d, ATR_ECORRUPT, "%s dt is %s, needs an int", rec, atr__dec_kind(o));
    }
    *out = time;
    return 0;
}

/* Apply a record's dt to the current thread's time (START, END, MESSAGE). */
static int advance_time(atr__decoder *d, const msgpack_object *o, const char *rec, uint64_t *out) {
    int rc = time_of(d, o, rec, out);
    if (rc == 0)
        d->states[d->cur_index].time = *out;
    return rc;
}

/* Resolve a span reference (FORMAT.md 3.5) against the current thread's seq. */
static int resolve_span(atr__decoder *d, const msgpack_object *o, const char *what, uint64_t *out) {
    uint64_t k, seq = d->states[d->cur_index].seq;
    int rc = atr__dec_uint(d, o, UINT64_MAX, what, &k);
    if (rc < 0)
        return rc;
    if (k == 0 || k >= ATR__SPAN_ABS_MIN) {
        *out = k;
    } else if (k > seq) {
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "%s %" PRIu64 " points before thread %" PRIu32
                             "'s first span (its last span is number %" PRIu64 ")",
                             what, k, d->cur_thread, seq);
    } else {
        *out = atr_span_id(d->cur_thread, seq + 1 - k);
    }
    return 0;
}

/* --- records ---------------------------------------------------------------------------- */

static int decode_process(atr__decoder *d, const msgpack_object *map, atr_record *rec) {
    atr_process_info *pi = &rec->u.process;
    uint32_t i, j;
    int rc = 0;

    if (d->seen_process)
        return atr__dec_fail(d, ATR_ECORRUPT, "a second PROCESS record");
    d->seen_process = 1;
    if (map->type != MSGPACK_OBJECT_MAP)
        return atr__dec_fail(d, ATR_ECORRUPT, "PROCESS holds %s, needs a map", atr__dec_kind(map));
    pi->format_major = d->major;
    pi->format_minor = d->minor;
    for (i = 0; i < map->via.map.size && rc == 0; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key, *v = &map->via.map.ptr[i].val;
        const char *key;
        uint32_t klen;
        if (k->type != MSGPACK_OBJECT_STR)
            return atr__dec_fail(d, ATR_ECORRUPT, "PROCESS: a key is %s, needs a str",
                                 atr__dec_kind(k));
        key = k->via.str.ptr;
        klen = k->via.str.size;
#define KEY_IS(s) (klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
        if (KEY_IS("pid")) {
            rc = atr__dec_int(d, v, "PROCESS pid", &pi->pid);
        } else if (KEY_IS("host")) {
            rc = atr__dec_str(d, v, "PROCESS host", &pi->host);
        } else if (KEY_IS("runtime")) {
            rc = atr__dec_str(d, v, "PROCESS runtime", &pi->runtime);
        } else if (KEY_IS("tool")) {
            rc = atr__dec_str(d, v, "PROCESS tool", &pi->tool);
        } else if (KEY_IS("clock_ns")) {
            rc = atr__dec_uint(d, v, UINT64_MAX, "PROCESS clock_ns", &pi->clock_ns);
        } else if (KEY_IS("wall_ns")) {
            rc = atr__dec_uint(d, v, UINT64_MAX, "PROCESS wall_ns", &pi->wall_ns);
        } else if (KEY_IS("uid")) {
            rc = atr__dec_uint(d, v, UINT64_MAX, "PROCESS uid", &pi->uid);
        } else if (KEY_IS("parent_uid")) {
            rc = atr__dec_uint(d, v, UINT64_MAX, "PROCESS parent_uid", &pi->parent_uid);
        } else if (KEY_IS("part")) {
            rc = atr__dec_uint(d, v, UINT32_MAX, "PROCESS part", &pi->part);
        } else if (KEY_IS("parent_span")) {
            rc = atr__dec_uint(d, v, UINT64_MAX, "PROCESS parent_span", &pi->parent_span);
        } else if (KEY_IS("argv")) {
            atr_str *argv;
            if (v->type != MSGPACK_OBJECT_ARRAY)
                return atr__dec_fail(d, ATR_ECORRUPT, "PROCESS argv is %s, needs an array",
                                     atr__dec_kind(v));
            argv = atr__dec_alloc(d, v->via.array.size, sizeof *argv);
            if (v->via.array.size && !argv)
                return atr__dec_fail(d, ATR_ENOMEM, "PROCESS argv: out of memory");
            for (j = 0; j < v->via.array.size && rc == 0; j++)
                rc = atr__dec_str(d, &v->via.array.ptr[j], "PROCESS argv item", &argv[j]);
            pi->argc = v->via.array.size;
            pi->argv = argv;
        }
#undef KEY_IS
    }
    return rc;
}

static int decode_drops(atr__decoder *d, const msgpack_object *map, atr_record *rec) {
    static const char *const keys[] = {"records", "bytes", "oversize", "capture_errors",
                                       "write_errors"};
    uint64_t *dst[5];
    uint32_t i, j;

    dst[0] = &rec->u.drops.records;
    dst[1] = &rec->u.drops.bytes;
    dst[2] = &rec->u.drops.oversize;
    dst[3] = &rec->u.drops.capture_errors;
    dst[4] = &rec->u.drops.write_errors;
    if (map->type != MSGPACK_OBJECT_MAP)
        return atr__dec_fail(d, ATR_ECORRUPT, "DROPS holds %s, needs a map", atr__dec_kind(map));
    for (i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR)
            return atr__dec_fail(d, ATR_ECORRUPT, "DROPS: a key is %s, needs a str",
                                 atr__dec_kind(k));
        for (j = 0; j < 5; j++) {
            if (k->via.str.size == strlen(keys[j]) &&
                memcmp(k->via.str.ptr, keys[j], k->via.str.size) == 0) {
                int rc =
                    atr__dec_uint(d, &map->via.map.ptr[i].val, UINT64_MAX, "DROPS count", dst[j]);
                if (rc < 0)
                    return rc;
            }
        }
    }
    return 0;
}

static int decode_function(atr__decoder *d, const msgpack_object *el, atr_record *rec) {
    atr__idmap_slot *s;
    atr_str *params;
    uint32_t i, n;
    int rc;

    if ((rc = atr__dec_u32(d, &el[1], "FUNCTION id", &rec->u.function.id)) < 0 ||
        (rc = atr__dec_str(d, &el[2], "FUNCTION module", &rec->u.function.module)) < 0 ||
        (rc = atr__dec_str(d, &el[3], "FUNCTION qualname", &rec->u.function.qualname)) < 0 ||
        (rc = atr__dec_str(d, &el[4], "FUNCTION file", &rec->u.function.file)) < 0 ||
        (rc = atr__dec_u32(d, &el[5], "FUNCTION line", &rec->u.function.line)) < 0 ||
        (rc = atr__dec_u32(d, &el[7], "FUNCTION flags", &rec->u.function.flags)) < 0)
        return rc;
    if (el[6].type != MSGPACK_OBJECT_ARRAY)
        return atr__dec_fail(d, ATR_ECORRUPT, "FUNCTION params is %s, needs an array",
                             atr__dec_kind(&el[6]));
    n = el[6].via.array.size;
    params = atr__dec_alloc(d, n, sizeof *params);
    if (n && !params)
        return atr__dec_fail(d, ATR_ENOMEM, "FUNCTION params: out of memory");
    for (i = 0; i < n; i++)
        if ((rc = atr__dec_str(d, &el[6].via.array.ptr[i], "FUNCTION param", &params[i])) < 0)
            return rc;
    rec->u.function.n_params = n;
    rec->u.function.params = params;
    s = idmap_find(&d->functions, rec->u.function.id);
    if (s && s->val != ATR__IDMAP_EMPTY)
        return atr__dec_fail(d, ATR_ECORRUPT, "function id %" PRIu32 " defined twice",
                             rec->u.function.id);
    if (d->want && !d->want(d->want_ud, rec))
        n |= ATR__FN_NO_VALUES;
    if (idmap_insert(&d->functions, rec->u.function.id, n) < 0)
        return atr__dec_fail(d, ATR_ENOMEM, "out of memory for the function table");
    return 0;
}

/* A START's args and fields left out (ATR__FN_NO_VALUES): their containers and count are
   checked as atr__dec_values() / atr__dec_fields() check them, not the values inside. */
static int skip_start_values(atr__decoder *d, const msgpack_object *el, uint32_t size) {
    if (el[4].type != MSGPACK_OBJECT_ARRAY)
        return atr__dec_fail(d, ATR_ECORRUPT, "START args is %s, needs an array",
                             atr__dec_kind(&el[4]));
    if (size > 5 && el[5].type != MSGPACK_OBJECT_MAP)
        return atr__dec_fail(d, ATR_ECORRUPT, "START fields is %s, needs a map",
                             atr__dec_kind(&el[5]));
    return 0;
}

static int decode_start(atr__decoder *d, const msgpack_object *el, uint32_t size, atr_record *rec) {
    atr__thread_state *ts = &d->states[d->cur_index];
    atr__idmap_slot *s;
    uint32_t params;
    int rc, skip;

    if ((rc = advance_time(d, &el[1], "START", &rec->time_ns)) < 0 ||
        (rc = resolve_span(d, &el[2], "START parent", &rec->u.start.parent)) < 0 ||
        (rc = atr__dec_u32(d, &el[3], "START function", &rec->u.start.function)) < 0)
        return rc;
    s = idmap_find(&d->functions, rec->u.start.function);
    if (!s || s->val == ATR__IDMAP_EMPTY)
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "START refers to function %" PRIu32 ", which no FUNCTION record "
                             "defined before",
                             rec->u.start.function);
    params = s->val & ~ATR__FN_NO_VALUES;
    skip = (s->val & ATR__FN_NO_VALUES) != 0;
    if (skip)
        rc = skip_start_values(d, el, size);
    else
        rc = atr__dec_values(d, &el[4], "START args", &rec->u.start.args, &rec->u.start.n_args);
    if (rc < 0)
        return rc;
    if (el[4].via.array.size > params)
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "START has %" PRIu32 " args, function %" PRIu32 " has %" PRIu32
                             " params",
                             el[4].via.array.size, rec->u.start.function, params);
    if (size > 5 && !skip) {
        rc = atr__dec_fields(d, &el[5], "START fields", &rec->u.start.fields,
                             &rec->u.start.n_fields);
        if (rc < 0)
            return rc;
    }
    if (ts->seq + 1 >= ATR__SPAN_ABS_MIN)
        return atr__dec_fail(d, ATR_ECORRUPT, "thread %" PRIu32 " has more than 2^40 spans",
                             d->cur_thread);
    ts->seq++;
    rec->u.start.span = atr_span_id(d->cur_thread, ts->seq);
    return 0;
}

static int decode_end(atr__decoder *d, const msgpack_object *el, uint32_t size, atr_record *rec) {
    static const uint32_t need[] = {5, 6, 4};
    int rc;

    if ((rc = advance_time(d, &el[1], "END", &rec->time_ns)) < 0 ||
        (rc = resolve_span(d, &el[2], "END span", &rec->u.end.span)) < 0 ||
        (rc = atr__dec_u32(d, &el[3], "END status", &rec->u.end.status)) < 0)
        return rc;
    if (rec->u.end.span == 0)
        return atr__dec_fail(d, ATR_ECORRUPT, "END names no span (span reference 0)");
    if (rec->u.end.status > ATR_END_NORESULT)
        return atr__dec_fail(d, ATR_ECORRUPT, "END status %" PRIu32 " is unknown",
                             rec->u.end.status);
    if (size < need[rec->u.end.status])
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "END with status %" PRIu32 " has %" PRIu32 " elements, needs %" PRIu32,
                             rec->u.end.status, size, need[rec->u.end.status]);
    switch (rec->u.end.status) {
    case ATR_END_RETURN:
        return atr__dec_value(d, &el[4], 0, &rec->u.end.value);
    case ATR_END_RAISE:
        if ((rc = atr__dec_str(d, &el[4], "END exc_type", &rec->u.end.exc_type)) < 0)
            return rc;
        return atr__dec_value(d, &el[5], 0, &rec->u.end.value);
    default:
        rec->u.end.value = atr_value_nil();
        return 0;
    }
}

static int decode_sync(atr__decoder *d, const msgpack_object *el, atr_record *rec) {
    atr__thread_state *ts = &d->states[d->cur_index];
    int rc;

    if ((rc = atr__dec_uint(d, &el[1], ATR__SPAN_ABS_MIN - 1, "SYNC last_seq",
                            &rec->u.sync.last_seq)) < 0 ||
        (rc = atr__dec_uint(d, &el[2], UINT64_MAX, "SYNC dropped", &rec->u.sync.dropped)) < 0)
        return rc;
    if (rec->u.sync.last_seq < ts->seq)
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "SYNC last_seq %" PRIu64 " is below thread %" PRIu32
                             "'s span number %" PRIu64,
                             rec->u.sync.last_seq, d->cur_thread, ts->seq);
    ts->seq = rec->u.sync.last_seq;
    return 0;
}

/* SUSPEND / RESUME (1.1): a time that does not become the thread's time, and a span. */
static int decode_suspend(atr__decoder *d, const msgpack_object *el, const char *name,
                          atr_record *rec) {
    int rc;
    if ((rc = time_of(d, &el[1], name, &rec->time_ns)) < 0 ||
        (rc = resolve_span(d, &el[2], name, &rec->u.suspend.span)) < 0)
        return rc;
    if (rec->u.suspend.span == 0)
        return atr__dec_fail(d, ATR_ECORRUPT, "%s names no span (span reference 0)", name);
    return 0;
}

/* The per-call model's keys of CALIBRATION (FORMAT.md 3.13); other keys are skipped. */
static int decode_calibration_model(atr__decoder *d, const msgpack_object *k,
                                    const msgpack_object *v, atr_record *rec) {
#define CAL_NAME(key) #key,
#define CAL_FIELD(key) &rec->u.calibration.key,
    static const char *const names[] = {ATR_CALIBRATION_MODEL_KEYS(CAL_NAME)};
    uint64_t *fields[] = {ATR_CALIBRATION_MODEL_KEYS(CAL_FIELD)};
#undef CAL_NAME
#undef CAL_FIELD
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (k->via.str.size == strlen(names[i]) &&
            memcmp(k->via.str.ptr, names[i], k->via.str.size) == 0)
            return atr__dec_uint(d, v, UINT32_MAX, names[i], fields[i]); /* ns per call */
    return 0;
}

/* CALIBRATION (FORMAT.md 3.13): [13, map]; unknown keys are skipped, missing ones stay 0. */
static int decode_calibration(atr__decoder *d, const msgpack_object *el, uint32_t size,
                              atr_record *rec) {
    const msgpack_object *map = &el[1];
    uint32_t i;
    int rc = 0;

    if (size < 2)
        return atr__dec_fail(d, ATR_ECORRUPT, "CALIBRATION has %" PRIu32 " elements, needs 2",
                             size);
    if (map->type != MSGPACK_OBJECT_MAP)
        return atr__dec_fail(d, ATR_ECORRUPT, "CALIBRATION holds %s, needs a map",
                             atr__dec_kind(map));
    rec->kind = ATR_REC_CALIBRATION;
    for (i = 0; i < map->via.map.size && rc == 0; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key, *v = &map->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            return atr__dec_fail(d, ATR_ECORRUPT, "CALIBRATION: a key is %s, needs a str",
                                 atr__dec_kind(k));
#define KEY_IS(s) \
    (k->via.str.size == sizeof(s) - 1 && memcmp(k->via.str.ptr, s, sizeof(s) - 1) == 0)
        if (KEY_IS("mechanism"))
            rc = atr__dec_str(d, v, "CALIBRATION mechanism", &rec->u.calibration.mechanism);
        else if (KEY_IS("call_ns"))
            rc =
                atr__dec_uint(d, v, UINT64_MAX, "CALIBRATION call_ns", &rec->u.calibration.call_ns);
        else if (KEY_IS("inner_ns"))
            rc = atr__dec_uint(d, v, UINT64_MAX, "CALIBRATION inner_ns",
                               &rec->u.calibration.inner_ns);
        else if (KEY_IS("samples"))
            rc =
                atr__dec_uint(d, v, UINT64_MAX, "CALIBRATION samples", &rec->u.calibration.samples);
        else
            rc = decode_calibration_model(d, k, v, rec);
#undef KEY_IS
    }
    if (rc == 0 && rec->u.calibration.inner_ns > rec->u.calibration.call_ns)
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "CALIBRATION inner_ns %" PRIu64 " exceeds call_ns %" PRIu64,
                             rec->u.calibration.inner_ns, rec->u.calibration.call_ns);
    return rc;
}

/* SAMPLING (FORMAT.md 3.14): [14, map]; the rate must be in (0, 1]. */
static int decode_sampling(atr__decoder *d, const msgpack_object *el, uint32_t size,
                           atr_record *rec) {
    const msgpack_object *map = &el[1];
    uint32_t i;
    int rc = 0;
    if (size < 2 || map->type != MSGPACK_OBJECT_MAP)
        return atr__dec_fail(d, ATR_ECORRUPT, "SAMPLING needs a map");
    rec->kind = ATR_REC_SAMPLING;
    rec->u.sampling.rate = 1.0;
    for (i = 0; i < map->via.map.size && rc == 0; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key, *v = &map->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            return atr__dec_fail(d, ATR_ECORRUPT, "SAMPLING: a key is %s, needs a str",
                                 atr__dec_kind(k));
#define KEY_IS(s) \
    (k->via.str.size == sizeof(s) - 1 && memcmp(k->via.str.ptr, s, sizeof(s) - 1) == 0)
        if (KEY_IS("rate")) {
            if (v->type != MSGPACK_OBJECT_FLOAT64 && v->type != MSGPACK_OBJECT_FLOAT32)
                return atr__dec_fail(d, ATR_ECORRUPT, "SAMPLING rate is %s, needs a float",
                                     atr__dec_kind(v));
            rec->u.sampling.rate = v->via.f64;
        } else if (KEY_IS("mode")) {
            rc = atr__dec_str(d, v, "SAMPLING mode", &rec->u.sampling.mode);
        } else if (KEY_IS("seed")) {
            rc = atr__dec_uint(d, v, UINT64_MAX, "SAMPLING seed", &rec->u.sampling.seed);
        }
#undef KEY_IS
    }
    if (rc == 0 && !(rec->u.sampling.rate > 0.0 && rec->u.sampling.rate <= 1.0))
        return atr__dec_fail(d, ATR_ECORRUPT, "SAMPLING rate %g is not in (0, 1]",
                             rec->u.sampling.rate);
    return rc;
}

/* RECORDING (FORMAT.md 3.15): [15, time, on]. */
static int decode_recording(atr__decoder *d, const msgpack_object *el, uint32_t size,
                            atr_record *rec) {
    uint64_t on = 0;
    int rc;
    if (size < 3)
        return atr__dec_fail(d, ATR_ECORRUPT, "RECORDING has %" PRIu32 " elements, needs 3", size);
    rec->kind = ATR_REC_RECORDING;
    if ((rc = atr__dec_uint(d, &el[1], UINT64_MAX, "RECORDING time", &rec->time_ns)) != 0)
        return rc;
    if ((rc = atr__dec_uint(d, &el[2], 1, "RECORDING on", &on)) != 0)
        return rc;
    rec->u.recording.on = (uint32_t)on;
    return 0;
}

/* The union member of the records that make up most of a log; the others fit in it. */
#define HOT_MEMBER(rec) ((rec)->u.end)
_Static_assert(sizeof(((atr_record *)0)->u.start) <= sizeof HOT_MEMBER((atr_record *)0) &&
                   sizeof(((atr_record *)0)->u.message) <= sizeof HOT_MEMBER((atr_record *)0) &&
                   sizeof(((atr_record *)0)->u.suspend) <= sizeof HOT_MEMBER((atr_record *)0) &&
                   sizeof(((atr_record *)0)->u.sync) <= sizeof HOT_MEMBER((atr_record *)0),
               "HOT_MEMBER is the largest of the frequent records' members");

/* Zero *rec before a record of `type` fills it: for the frequent records only the header and
   the union's first bytes that their member uses (a smaller memset, inlined). */
static void clear_record(atr_record *rec, uint64_t type) {
    static const atr_record zero_record;
    switch (type) {
    case ATR__REC_START:
    case ATR__REC_END:
    case ATR__REC_MESSAGE:
    case ATR__REC_SUSPEND:
    case ATR__REC_RESUME:
    case ATR__REC_SYNC:
    case ATR__REC_CHUNK:
        /* a copy of zeros: compilers inline it as a few vector stores (memset: rep stos) */
        memcpy(rec, &zero_record, offsetof(atr_record, u) + sizeof HOT_MEMBER(rec));
        break;
    default:
        memset(rec, 0, sizeof *rec);
        break;
    }
}

/* Minimum elements per record type (FORMAT.md section 3), type included. */
static const uint8_t min_elements[] = {0, 2, 8, 3, 2, 5, 4, 5, 3, 2, 2, 3, 3};

static int decode_array(atr__decoder *d, const msgpack_object *obj, atr_record *rec) {
    const msgpack_object *el = obj->via.array.ptr;
    uint32_t size = obj->via.array.size;
    uint64_t type;

    if (obj->type != MSGPACK_OBJECT_ARRAY || size == 0)
        return atr__dec_fail(d, ATR_ECORRUPT, "record is %s, needs a non-empty array",
                             obj->type == MSGPACK_OBJECT_ARRAY ? "an empty array"
                                                               : atr__dec_kind(obj));
    if (el[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || el[0].via.u64 == 0)
        return atr__dec_fail(d, ATR_ECORRUPT, "record type is %s, needs a positive int",
                             el[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER ? "0"
                                                                           : atr__dec_kind(el));
    type = el[0].via.u64;
    clear_record(rec, type);
    if (!d->seen_process && type != ATR__REC_PROCESS)
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "first record has type %" PRIu64 " (%s), needs PROCESS (1)", type,
                             rec_name(type));
    if (type == ATR__REC_CALIBRATION)
        return decode_calibration(d, el, size, rec);
    if (type == ATR__REC_TYPE)
        return atr__dec_type_def(d, el, size);
    if (type == ATR__REC_VALUE)
        return atr__dec_value_record(d, el, size);
    if (type == ATR__REC_TIMES)
        return atr__dec_times_record(d, el, size);
    if (type == ATR__REC_SAMPLING)
        return decode_sampling(d, el, size, rec);
    if (type == ATR__REC_RECORDING)
        return decode_recording(d, el, size, rec);
    if (type >= sizeof min_elements)
        return ATR__DECODE_SKIP; /* a later minor version's record */
    if (size < min_elements[type])
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "record type %" PRIu64 " (%s) has %" PRIu32 " elements, needs %u",
                             type, rec_name(type), size, min_elements[type]);
    switch (type) {
    case ATR__REC_THREAD:
    case ATR__REC_START:
    case ATR__REC_END:
    case ATR__REC_MESSAGE:
    case ATR__REC_SYNC:
    case ATR__REC_SUSPEND:
    case ATR__REC_RESUME:
        if (!d->have_cur)
            return atr__dec_fail(d, ATR_ECORRUPT, "%s record before the first CHUNK",
                                 rec_name(type));
        rec->thread = d->cur_thread;
        break;
    default:
        break;
    }
    rec->kind = (uint32_t)type;
    switch (type) {
    case ATR__REC_PROCESS:
        return decode_process(d, &el[1], rec);
    case ATR__REC_FUNCTION:
        return decode_function(d, el, rec);
    case ATR__REC_THREAD: {
        int rc = atr__dec_uint(d, &el[1], UINT64_MAX, "THREAD os_tid", &rec->u.thread.os_tid);
        return rc < 0 ? rc : atr__dec_str(d, &el[2], "THREAD name", &rec->u.thread.name);
    }
    case ATR__REC_CHUNK: {
        int rc = set_thread(d, &el[1]);
        d->col_n = d->col_pos = 0; /* its TIMES, if any, comes next */
        if (rc == 0 && size >= 4)
            chunk_state(d, &el[2], &el[3]);
        return rc < 0 ? rc : ATR__DECODE_SKIP;
    }
    case ATR__REC_START:
        return decode_start(d, el, size, rec);
    case ATR__REC_END:
        return decode_end(d, el, size, rec);
    case ATR__REC_MESSAGE: {
        int rc;
        if ((rc = advance_time(d, &el[1], "MESSAGE", &rec->time_ns)) < 0 ||
            (rc = resolve_span(d, &el[2], "MESSAGE span", &rec->u.message.span)) < 0 ||
            (rc = atr__dec_str(d, &el[3], "MESSAGE text", &rec->u.message.text)) < 0)
            return rc;
        return atr__dec_fields(d, &el[4], "MESSAGE fields", &rec->u.message.fields,
                               &rec->u.message.n_fields);
    }
    case ATR__REC_SYNC:
        return decode_sync(d, el, rec);
    case ATR__REC_DROPS:
        return decode_drops(d, &el[1], rec);
    case ATR__REC_SUSPEND:
    case ATR__REC_RESUME:
        return decode_suspend(d, el, rec_name(type), rec);
    default: /* ATR__REC_END_OF_LOG */
        return atr__dec_uint(d, &el[1], UINT64_MAX, "END_OF_LOG time", &rec->time_ns);
    }
}

/* --- parsed records ------------------------------------------------------------------ */

int atr__parsed_new(uint32_t max_records, atr__parsed **out) {
    atr__parsed *ps = calloc(1, sizeof *ps);
    *out = NULL;
    if (!ps)
        return ATR_ENOMEM;
    ps->recs = malloc((max_records ? max_records : 1) * sizeof *ps->recs);
    if (!ps->recs || !msgpack_zone_init(&ps->zone, 16 * 1024)) {
        free(ps->recs);
        free(ps);
        return ATR_ENOMEM;
    }
    ps->cap = max_records ? max_records : 1;
    snprintf(ps->msg, sizeof ps->msg, "no error");
    *out = ps;
    return 0;
}

void atr__parsed_free(atr__parsed *ps) {
    if (!ps)
        return;
    msgpack_zone_destroy(&ps->zone);
    free(ps->recs);
    free(ps);
}

void atr__parsed_clear(atr__parsed *ps) {
    if (ps->n || ps->bytes)
        msgpack_zone_clear(&ps->zone);
    ps->n = 0;
    ps->bytes = 0;
}

uint32_t atr__parsed_count(const atr__parsed *ps) { return ps->n; }

size_t atr__parsed_bytes(const atr__parsed *ps) { return ps->bytes; }

const char *atr__parsed_msg(const atr__parsed *ps) { return ps->msg; }

int atr__parse_record(atr__parsed *ps, const uint8_t *p, size_t n, size_t *used) {
    atr__parsed_rec *pr = &ps->recs[ps->n];
    size_t size = 0;
    int rc;

    if (ps->n >= ps->cap)
        return atr__msgf(ps->msg, sizeof ps->msg, ATR_ENOMEM, "parsed-record set is full");
    pr->budget = ATR__RECORD_OBJECTS_MAX;
    rc = atr__mp_unpack(p, n, ATR__NEST_MAX, &size, &pr->budget, ps->msg, sizeof ps->msg, &ps->zone,
                        &pr->obj);
    ps->bytes += (ATR__RECORD_OBJECTS_MAX - pr->budget) * sizeof(msgpack_object);
    if (rc == ATR_ETRUNCATED)
        return atr__msgf(ps->msg, sizeof ps->msg, ATR_ECORRUPT,
                         "record cut off by the end of its frame");
    if (rc < 0)
        return rc;
    *used = size;
    ps->n++;
    return 0;
}

int atr__decode_parsed(atr__decoder *d, const atr__parsed *ps, uint32_t i, atr_record *rec) {
    if (d->zone_used) /* most records allocate nothing: skip the call */
        msgpack_zone_clear(&d->zone);
    d->zone_used = 0;
    d->budget = ps->recs[i].budget;
    d->n_records++;
    return decode_array(d, &ps->recs[i].obj, rec);
}

int atr__decode_record(atr__decoder *d, const uint8_t *p, size_t n, size_t *used, atr_record *rec) {
    int rc;
    atr__parsed_clear(d->one);
    rc = atr__parse_record(d->one, p, n, used);
    if (rc < 0)
        return atr__dec_fail(d, rc, "%s", atr__parsed_msg(d->one));
    return atr__decode_parsed(d, d->one, 0, rec);
}
