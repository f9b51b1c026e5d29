/*
 * Record and value encoders (docs/FORMAT.md sections 3 and 4) over the cursor of encode.h.
 *
 * Values that cannot be encoded as given (an unknown kind, a NULL pointer with a length) are
 * written as capture errors (ext 7) rather than failing: the hot path never fails on a value.
 * Summaries nest at most ATR__SUMMARY_DEPTH_MAX deep; a summary at the deepest level is
 * written without its items. A big integer longer than max_bytes digits is written as
 * truncated text (ext 1) with its true length.
 */
#include "format/encode.h"

static void enc_ext_bytes(atr__cur *c, int8_t type, const char *p, size_t n) {
    atr__enc_ext_hdr(c, type, n);
    atr__enc_raw(c, p, n);
}

/* ext 1/2/6 layout: uint true length, then the first bytes. */
static void enc_ext_trunc(atr__cur *c, int8_t type, const char *p, size_t n, uint64_t true_len) {
    atr__enc_ext_hdr(c, type, atr__enc_uint_size(true_len) + n);
    atr__enc_uint(c, true_len);
    atr__enc_raw(c, p, n);
}

static void enc_invalid(atr__cur *c) { enc_ext_bytes(c, ATR__EXT_ERROR, "invalid value", 13); }

/*
 * ext 9 (1.4) for a long string-like value the thread wrote before from the same address
 * (encode.h, value interning). Returns 1 when written, 0 when the value goes in full.
 */
static int value_slot_is(const atr__value_slot *sl, const atr_value *v, size_t n, uint64_t true_len,
                         uint64_t fp) {
    return sl->ptr == v->u.s.ptr && sl->len == n && sl->true_len == true_len &&
           sl->kind == (int)v->kind && sl->fp == fp;
}

static int enc_value_ref(atr__cur *c, const atr_value *v, size_t n, uint64_t true_len) {
    atr__types *t = c->types;
    uint64_t a = (uint64_t)(uintptr_t)v->u.s.ptr * UINT64_C(0x9E3779B97F4A7C15);
    /* Two ways per set, the most recent first: two values a parser passes by turns whose
       addresses share a set both stay (with one way, each evicted the other and neither
       was ever written by its id), and a value used again outlives one passing value
       in its set (a sighting moves the first way's entry to the second). */
    atr__value_slot *set = &t->vslot[(a >> (64 - ATR__VALUE_SLOT_BITS)) & ~(uint64_t)1], *sl;
    uint64_t w[3], fp;
    uint32_t id;
    /* a fingerprint of three words (first, middle, last): a buffer that a capture reuses
       for every value (non-ASCII text made UTF-8) shows other bytes at the same address */
    memcpy(&w[0], v->u.s.ptr, 8);
    memcpy(&w[1], v->u.s.ptr + n / 2, 8);
    memcpy(&w[2], v->u.s.ptr + n - 8, 8);
    fp = (w[0] * UINT64_C(0x9E3779B97F4A7C15) ^ w[1]) * UINT64_C(0xff51afd7ed558ccd) ^ w[2];
    if (value_slot_is(&set[0], v, n, true_len, fp)) {
        sl = &set[0];
    } else if (value_slot_is(&set[1], v, n, true_len, fp)) {
        atr__value_slot used = set[1];
        set[1] = set[0];
        set[0] = used;
        sl = &set[0];
    } else { /* first sighting here: note it */
        set[1] = set[0];
        sl = &set[0];
        sl->ptr = v->u.s.ptr;
        sl->copy = NULL;
        sl->len = (uint32_t)n;
        sl->true_len = true_len;
        sl->kind = (int)v->kind;
        sl->fp = fp;
        return 0;
    }
    if (sl->copy && memcmp(sl->copy, v->u.s.ptr, n) == 0) {
        id = sl->id;
    } else {
        id = t->define_value(t->ctx, (int)v->kind, v->u.s.ptr, n, true_len, &sl->copy);
        if (id == ATR__NO_TYPE) {
            t->values_off = 1;
            sl->ptr = NULL;
            return 0;
        }
        sl->id = id;
    }
    atr__enc_ext_hdr(c, ATR__EXT_VALUE_ID, atr__enc_uint_size(id));
    atr__enc_uint(c, id);
    return 1;
}

/* A string-like value: complete as str/bin, or truncated as ext `trunc_type`. */
static void enc_text(atr__cur *c, const atr_value *v, int is_bin, int8_t trunc_type,
                     size_t max_bytes) {
    size_t n = v->u.s.len;
    uint64_t true_len = v->u.s.true_len > n ? v->u.s.true_len : n;
    if (n > max_bytes)
        n = max_bytes;
    if (n >= ATR__VALUE_REF_MIN && n < UINT32_MAX && c->types && !c->types->values_off &&
        c->types->define_value && v->u.s.ptr && enc_value_ref(c, v, n, true_len))
        return;
    if (n == true_len) {
        if (is_bin) {
            atr__enc_bin_hdr(c, n);
            atr__enc_raw(c, v->u.s.ptr, n);
        } else {
            atr__enc_str(c, v->u.s.ptr, n);
        }
        return;
    }
    enc_ext_trunc(c, trunc_type, v->u.s.ptr, n, true_len);
}

static void enc_value_depth(atr__cur *c, const atr_value *v, size_t max_bytes, int depth);

/*
 * ext 3 without items (an object's type and length, the common case): the payload's length
 * is known up front, so its exact header goes first and nothing moves. The bytes are those
 * of the general form below.
 */
uint32_t atr__types_miss(atr__types *t, const char *name, size_t len, atr__type_slot *slot) {
    const char *copy = NULL;
    uint32_t id = t->define(t->ctx, name, len, &copy);
    if (id != ATR__NO_TYPE) {
        slot->ptr = name;
        slot->name = copy;
        slot->len = (uint32_t)len;
        slot->id = id;
    }
    return id;
}

/* ext 8 without items (1.2): the type id, then the length unless unknown. */
static void enc_summary_id(atr__cur *c, uint32_t id, int64_t length) {
    size_t plen = atr__enc_int_size(id) + (length < 0 ? 0 : atr__enc_int_size(length));
    atr__enc_ext_hdr(c, ATR__EXT_SUMMARY_ID, plen);
    atr__enc_uint(c, id);
    if (length >= 0)
        atr__enc_int(c, length);
}

void atr__enc_summary_flat(atr__cur *c, const char *type, size_t tlen, int64_t length) {
    size_t plen = 1 + atr__enc_str_hdr_size(tlen) + tlen;
    uint32_t id;
    if (c->types && tlen <= ATR__TYPE_NAME_MAX &&
        (id = atr__types_id(c->types, type ? type : "", tlen)) != ATR__NO_TYPE) {
        enc_summary_id(c, id, length);
        return;
    }
    plen += length < 0 ? 1 : atr__enc_int_size(length);
    /* A short type name with room for all of it: write the bytes without a check each. */
    if (ATR__LIKELY(tlen <= 31 && c->pos <= c->cap && c->cap - c->pos >= 3 + plen)) {
        uint8_t *p = c->base + c->pos;
        if (plen == 4 || plen == 8 || plen == 16) { /* fixext 4/8/16; plen is 3..42 here */
            *p++ = plen == 4 ? 0xd6 : plen == 8 ? 0xd7 : 0xd8;
        } else {
            *p++ = 0xc7;
            *p++ = (uint8_t)plen;
        }
        *p++ = (uint8_t)ATR__EXT_SUMMARY;
        *p++ = 0x92; /* fixarray of 2 */
        *p++ = (uint8_t)(0xa0 | tlen);
        atr__copy_small(p, type, tlen);
        p += tlen;
        c->pos = (size_t)(p - c->base);
        if (length < 0)
            c->base[c->pos++] = 0xc0;
        else
            atr__enc_int(c, length);
        return;
    }
    atr__enc_ext_hdr(c, ATR__EXT_SUMMARY, plen);
    atr__enc_byte(c, 0x92); /* fixarray of 2 */
    atr__enc_str(c, type, tlen);
    if (length < 0)
        atr__enc_nil(c);
    else
        atr__enc_int(c, length);
}

/*
 * enc_summary's usual case, a tuple or list of a few scalars or objects of interned types
 * (`(1, "one")`, `[obj, obj]`): written straight into room checked once, with the same bytes.
 * 0 (nothing written) for any other.
 */
static int enc_summary_scalars(atr__cur *c, const atr_value *v, uint32_t id, uint32_t n,
                               size_t max_bytes) {
    uint8_t *p0, *p, *q;
    size_t plen, h, i;
    if (!atr__cur_room(c, 3 + 9 + 9 + (size_t)n * ATR__SCALAR_MAX))
        return 0;
    p0 = c->base + c->pos;
    p = atr__put_uint(p0 + 3, id);
    if (v->u.sum.length < 0)
        *p++ = 0xc0;
    else
        p = atr__put_int(p, v->u.sum.length);
    for (i = 0; i < n; i++) {
        const atr_value *it = &v->u.sum.items[i];
        if ((q = atr__put_scalar(p, it, max_bytes)) != NULL) {
            p = q;
            continue;
        }
        /* an object of an interned type with id < 128: fixext 1 (as enc_value_top) */
        uint32_t tid;
        if (it->kind != ATR_V_SUMMARY || it->u.sum.items || !it->u.sum.type ||
            it->u.sum.length >= 0 || it->u.sum.type_len > max_bytes ||
            (tid = atr__types_id(c->types, it->u.sum.type, it->u.sum.type_len)) >= 128)
            return 0;
        p = atr__put_object_id(p, tid);
    }
    plen = (size_t)(p - p0 - 3);
    if (plen > 0xff)
        return 0;
    h = atr__enc_ext_hdr_size(plen);
    for (i = 0; h == 2 && i < plen; i++) /* fixext: one byte less of header */
        p0[2 + i] = p0[3 + i];
    atr__enc_ext_hdr(c, ATR__EXT_SUMMARY_ID, plen);
    c->pos += plen;
    return 1;
}

/*
 * A summary with items: ext 8 `id length item...` when its type name is interned (1.2), else
 * ext 3 `[name, length, item...]`. The payload is encoded after room for the largest ext
 * header, then moved down behind the header of its actual size (the items' length is not
 * known beforehand).
 */
static void enc_summary(atr__cur *c, const atr_value *v, size_t max_bytes, int depth) {
    const size_t reserve = 6;
    size_t start = c->pos, plen, h;
    uint32_t i, n = v->u.sum.items ? v->n_items : 0, id = ATR__NO_TYPE;
    const char *type = v->u.sum.type ? v->u.sum.type : "";
    size_t tlen = v->u.sum.type ? v->u.sum.type_len : 0;
    if (depth >= ATR__SUMMARY_DEPTH_MAX)
        n = 0;
    if (tlen > max_bytes)
        tlen = max_bytes;
    if (n == 0) {
        atr__enc_summary_flat(c, v->u.sum.type, tlen, v->u.sum.length);
        return;
    }
    if (c->types && tlen <= ATR__TYPE_NAME_MAX)
        id = atr__types_id(c->types, type, tlen);
    if (id != ATR__NO_TYPE && enc_summary_scalars(c, v, id, n, max_bytes))
        return;
    c->pos += reserve;
    if (id != ATR__NO_TYPE) {
        atr__enc_uint(c, id);
    } else {
        atr__enc_array_hdr(c, 2 + (size_t)n);
        atr__enc_str(c, type, tlen);
    }
    if (v->u.sum.length < 0)
        atr__enc_nil(c);
    else
        atr__enc_int(c, v->u.sum.length);
    for (i = 0; i < n; i++)
        enc_value_depth(c, &v->u.sum.items[i], max_bytes, depth + 1);
    /* Out of room: leave pos past cap. Shrinking it here could bring pos back under cap
     * and make the caller commit a payload that was never moved behind its header. */
    if (!atr__cur_ok(c))
        return;
    plen = c->pos - start - reserve;
    h = atr__enc_ext_hdr_size(plen);
    memmove(c->base + start + h, c->base + start + reserve, plen);
    c->pos = start;
    atr__enc_ext_hdr(c, id != ATR__NO_TYPE ? ATR__EXT_SUMMARY_ID : ATR__EXT_SUMMARY, plen);
    c->pos = start + h + plen;
}

static void enc_value_depth(atr__cur *c, const atr_value *v, size_t max_bytes, int depth) {
    switch (v->kind) {
    case ATR_V_NIL:
        atr__enc_nil(c);
        return;
    case ATR_V_BOOL:
        atr__enc_bool(c, v->u.b);
        return;
    case ATR_V_INT:
        atr__enc_int(c, v->u.i);
        return;
    case ATR_V_UINT:
        atr__enc_uint(c, v->u.u);
        return;
    case ATR_V_FLOAT:
        atr__enc_float(c, v->u.f);
        return;
    case ATR_V_SUMMARY:
        if (!v->u.sum.type && v->u.sum.type_len)
            break;
        enc_summary(c, v, max_bytes, depth);
        return;
    case ATR_V_REDACTED:
        atr__enc_ext_hdr(c, ATR__EXT_REDACTED, 0);
        return;
    default:
        break;
    }
    if (v->kind > ATR_V_ERROR || (!v->u.s.ptr && v->u.s.len)) {
        enc_invalid(c);
        return;
    }
    switch (v->kind) {
    case ATR_V_STR:
        enc_text(c, v, 0, ATR__EXT_TRUNC_STR, max_bytes);
        return;
    case ATR_V_BYTES:
        enc_text(c, v, 1, ATR__EXT_TRUNC_BYTES, max_bytes);
        return;
    case ATR_V_BIGINT:
        if (v->u.s.len <= max_bytes)
            enc_ext_bytes(c, ATR__EXT_BIGINT, v->u.s.ptr, v->u.s.len);
        else
            enc_ext_trunc(c, ATR__EXT_TRUNC_STR, v->u.s.ptr, max_bytes, v->u.s.len);
        return;
    case ATR_V_REPR: {
        size_t n = v->u.s.len < max_bytes ? v->u.s.len : max_bytes;
        uint64_t true_len = v->u.s.true_len > v->u.s.len ? v->u.s.true_len : v->u.s.len;
        enc_ext_trunc(c, ATR__EXT_REPR, v->u.s.ptr, n, true_len);
        return;
    }
    case ATR_V_ERROR:
        enc_ext_bytes(c, ATR__EXT_ERROR, v->u.s.ptr,
                      v->u.s.len < max_bytes ? v->u.s.len : max_bytes);
        return;
    default:
        enc_invalid(c);
        return;
    }
}

void atr__enc_value(atr__cur *c, const atr_value *v, size_t max_bytes) {
    if (!v)
        atr__enc_nil(c);
    else
        enc_value_depth(c, v, max_bytes, 1);
}

void atr__enc_fields(atr__cur *c, const atr_field *f, uint32_t n, size_t max_bytes) {
    uint32_t i;
    atr__enc_map_hdr(c, f ? n : 0);
    for (i = 0; f && i < n; i++) {
        atr__enc_str(c, f[i].name.ptr, f[i].name.ptr ? f[i].name.len : 0);
        enc_value_depth(c, &f[i].value, max_bytes, 1);
    }
}

static void enc_key_uint(atr__cur *c, const char *key, uint64_t v) {
    atr__enc_cstr(c, key);
    atr__enc_uint(c, v);
}

void atr__enc_process(atr__cur *c, const atr__process_desc *p) {
    int i;
    atr__enc_array_hdr(c, 2);
    atr__enc_uint(c, ATR__REC_PROCESS);
    atr__enc_map_hdr(c, (p->parent_uid ? 11u : 9u) + (p->part ? 1u : 0u) +
                            (p->time_quantum_ns > 1 ? 1u : 0u));
    enc_key_uint(c, "format", ATR_FORMAT_MAJOR);
    atr__enc_cstr(c, "pid");
    atr__enc_int(c, p->pid);
    atr__enc_cstr(c, "host");
    atr__enc_cstr(c, p->host);
    atr__enc_cstr(c, "argv");
    atr__enc_array_hdr(c, p->argv && p->argc > 0 ? (size_t)p->argc : 0);
    for (i = 0; p->argv && i < p->argc; i++)
        atr__enc_cstr(c, p->argv[i]);
    atr__enc_cstr(c, "runtime");
    atr__enc_cstr(c, p->runtime);
    atr__enc_cstr(c, "tool");
    atr__enc_cstr(c, p->tool);
    enc_key_uint(c, "clock_ns", p->clock_ns);
    enc_key_uint(c, "wall_ns", p->wall_ns);
    enc_key_uint(c, "uid", p->uid);
    if (p->parent_uid) {
        enc_key_uint(c, "parent_uid", p->parent_uid);
        enc_key_uint(c, "parent_span", p->parent_span);
    }
    if (p->part)
        enc_key_uint(c, "part", p->part);
    if (p->time_quantum_ns > 1)
        enc_key_uint(c, "time_quantum_ns", p->time_quantum_ns);
}

static void enc_astr(atr__cur *c, atr_str s) { atr__enc_str(c, s.ptr, s.ptr ? s.len : 0); }

void atr__enc_function(atr__cur *c, uint32_t id, const atr_function_info *info) {
    uint32_t i, n = info->params ? info->n_params : 0;
    atr__enc_array_hdr(c, 8);
    atr__enc_uint(c, ATR__REC_FUNCTION);
    atr__enc_uint(c, id);
    enc_astr(c, info->module);
    enc_astr(c, info->qualname);
    enc_astr(c, info->file);
    atr__enc_uint(c, info->line);
    atr__enc_array_hdr(c, n);
    for (i = 0; i < n; i++)
        enc_astr(c, info->params[i]);
    atr__enc_uint(c, info->flags);
}

void atr__enc_type(atr__cur *c, uint32_t id, const char *name, size_t len) {
    atr__enc_array_hdr(c, 3);
    atr__enc_uint(c, ATR__REC_TYPE);
    atr__enc_uint(c, id);
    atr__enc_str(c, name, len);
}

void atr__enc_value_def(atr__cur *c, uint32_t id, const atr_value *v, size_t max_bytes) {
    atr__types *types = c->types;
    atr__enc_array_hdr(c, 3);
    atr__enc_uint(c, ATR__REC_VALUE);
    atr__enc_uint(c, id);
    c->types = NULL; /* the value itself, in full */
    atr__enc_value(c, v, max_bytes);
    c->types = types;
}

void atr__enc_thread(atr__cur *c, uint64_t os_tid, const char *name, size_t len) {
    atr__enc_array_hdr(c, 3);
    atr__enc_uint(c, ATR__REC_THREAD);
    atr__enc_uint(c, os_tid);
    atr__enc_str(c, name, name ? len : 0);
}

void atr__enc_chunk(atr__cur *c, uint32_t thread) {
    atr__enc_array_hdr(c, 2);
    atr__enc_uint(c, ATR__REC_CHUNK);
    atr__enc_uint(c, thread);
}

void atr__enc_end_raise(atr__cur *c, int64_t dt, uint64_t span, atr_str exc_type,
                        const atr_value *message, size_t max_bytes) {
    size_t tlen = exc_type.ptr ? exc_type.len : 0;
    atr__enc_array_hdr(c, 6);
    atr__enc_uint(c, ATR__REC_END);
    atr__enc_dt(c, dt);
    atr__enc_uint(c, span);
    atr__enc_uint(c, ATR__END_RAISE);
    atr__enc_str(c, exc_type.ptr, tlen < max_bytes ? tlen : max_bytes);
    atr__enc_value(c, message, max_bytes);
}

void atr__enc_message(atr__cur *c, int64_t dt, uint64_t span, atr_str text, const atr_field *fields,
                      uint32_t n_fields, size_t max_bytes) {
    atr__enc_array_hdr(c, 5);
    atr__enc_uint(c, ATR__REC_MESSAGE);
    atr__enc_dt(c, dt);
    atr__enc_uint(c, span);
    enc_astr(c, text);
    atr__enc_fields(c, fields, n_fields, max_bytes);
}

void atr__enc_sync(atr__cur *c, uint64_t last_seq, uint64_t dropped) {
    atr__enc_array_hdr(c, 3);
    atr__enc_uint(c, ATR__REC_SYNC);
    atr__enc_uint(c, last_seq);
    atr__enc_uint(c, dropped);
}

void atr__enc_suspend(atr__cur *c, unsigned type, int64_t dt, uint64_t span) {
    atr__enc_array_hdr(c, 3);
    atr__enc_uint(c, type);
    atr__enc_dt(c, dt);
    atr__enc_uint(c, span);
}

void atr__enc_drops(atr__cur *c, const atr_drop_stats *d) {
    atr__enc_array_hdr(c, 2);
    atr__enc_uint(c, ATR__REC_DROPS);
    atr__enc_map_hdr(c, 5);
    enc_key_uint(c, "records", d->records);
    enc_key_uint(c, "bytes", d->bytes);
    enc_key_uint(c, "oversize", d->oversize);
    enc_key_uint(c, "capture_errors", d->capture_errors);
    enc_key_uint(c, "write_errors", d->write_errors);
}

void atr__enc_end_of_log(atr__cur *c, uint64_t time_ns) {
    atr__enc_array_hdr(c, 2);
    atr__enc_uint(c, ATR__REC_END_OF_LOG);
    atr__enc_uint(c, time_ns);
}

void atr__enc_calibration(atr__cur *c, const atr_calibration *k, const atr_calibration_model *m) {
    atr__enc_array_hdr(c, 2);
    atr__enc_uint(c, ATR__REC_CALIBRATION);
#define ATR__CAL_OR(name) | m->name
#define ATR__CAL_ONE(name) +1
    int model = m && (0 ATR_CALIBRATION_MODEL_KEYS(ATR__CAL_OR)) != 0;
    atr__enc_map_hdr(c, model ? 4 ATR_CALIBRATION_MODEL_KEYS(ATR__CAL_ONE) : 4);
    atr__enc_cstr(c, "mechanism");
    enc_astr(c, k->mechanism);
    enc_key_uint(c, "call_ns", k->call_ns);
    enc_key_uint(c, "inner_ns", k->inner_ns);
    enc_key_uint(c, "samples", k->samples);
    if (!model) /* the 1.1 record */
        return;
#define ATR__CAL_ENC(name) enc_key_uint(c, #name, m->name);
    ATR_CALIBRATION_MODEL_KEYS(ATR__CAL_ENC)
#undef ATR__CAL_ENC
#undef ATR__CAL_ONE
#undef ATR__CAL_OR
}

void atr__enc_sampling(atr__cur *c, double rate, int random_mode, uint64_t seed) {
    atr__enc_array_hdr(c, 2);
    atr__enc_uint(c, ATR__REC_SAMPLING);
    atr__enc_map_hdr(c, 3);
    atr__enc_cstr(c, "rate");
    atr__enc_float(c, rate);
    atr__enc_cstr(c, "mode");
    atr__enc_cstr(c, random_mode ? "random" : "count");
    enc_key_uint(c, "seed", seed);
}

void atr__enc_recording(atr__cur *c, uint64_t time_ns, int on) {
    atr__enc_array_hdr(c, 3);
    atr__enc_uint(c, ATR__REC_RECORDING);
    atr__enc_uint(c, time_ns);
    atr__enc_uint(c, on ? 1u : 0u);
}
