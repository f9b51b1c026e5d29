/*
 * The definitions buffer (FUNCTION, TYPE and VALUE records, s->defs), type-name interning
 * (docs/FORMAT.md 3.16 and section 4, ext 8; format 1.2) and value interning (3.17, ext 9;
 * 1.4): the session's tables of type names and of long values, each defined once per log
 * by a TYPE or VALUE record among the definitions (written, like FUNCTION records, before
 * any record that refers to them, and again in a forked child's log and in each file of a
 * rotated log), and each recording thread's caches in front of them (format/encode.h).
 *
 * A table maps the bytes to an id, so one name or value gets one id however many addresses
 * carry it. Both are bounded: past ATR__TYPES_MAX names, or for a name longer than
 * ATR__TYPE_NAME_MAX bytes, or out of memory, a value keeps its type name in full (ext 3);
 * past ATR__VALUES_BUDGET bytes of values (each at most ATR__VALUE_DEF_MAX), values are
 * written in full.
 */
#include <stdlib.h>
#include <string.h>

#include "writer/writer_internal.h"

int atr__defs_reserve(atr_session *s, size_t len) {
    if (s->defs_len + len > s->defs_cap) {
        size_t cap = s->defs_cap ? s->defs_cap : 4096;
        uint8_t *p;
        while (cap < s->defs_len + len)
            cap *= 2;
        if (!(p = realloc(s->defs, cap)))
            return ATR_ENOMEM;
        s->defs = p;
        s->defs_cap = cap;
    }
    if (s->n_defs == s->def_end_cap) {
        size_t cap = s->def_end_cap ? s->def_end_cap * 2 : 64;
        size_t *p = realloc(s->def_end, cap * sizeof *p);
        if (!p)
            return ATR_ENOMEM;
        s->def_end = p;
        s->def_end_cap = cap;
    }
    return 0;
}

void atr__defs_commit(atr_session *s, size_t end) {
    s->defs_len = end;
    s->def_end[s->n_defs++] = end;
}

/* Under mu: define TYPE id t->n for name[0..len). ATR__NO_TYPE when it cannot. */
static uint32_t define(atr_session *s, const char *name, size_t len) {
    uint8_t rec[ATR__TYPE_NAME_MAX + 16];
    atr__cur c = atr__cur_make(rec, 0, sizeof rec);
    uint32_t id = s->types.n;
    atr__enc_type(&c, id, name, len);
    if (atr__defs_reserve(s, c.pos) != 0 ||
        atr__intern_add(&s->types, name, len, 0) == ATR__INTERN_NONE)
        return ATR__NO_TYPE;
    memcpy(s->defs + s->defs_len, rec, c.pos);
    atr__defs_commit(s, s->defs_len + c.pos);
    return id;
}

static uint32_t find_or_define(void *ctx, const char *name, size_t len, const char **copy) {
    atr_session *s = ctx;
    uint32_t id;
    if (len > ATR__TYPE_NAME_MAX)
        return ATR__NO_TYPE;
    atr__mu_lock(s);
    id = atr__intern_find(&s->types, name, len, 0);
    if (id == ATR__INTERN_NONE)
        id = s->types.n < ATR__TYPES_MAX ? define(s, name, len) : ATR__NO_TYPE;
    if (id != ATR__NO_TYPE)
        *copy = s->types.e[id].bytes;
    atr__mu_unlock(s);
    return id;
}

/* Under mu: define VALUE id values.n for the value; ATR__NO_TYPE past the budget. */
static uint32_t define_value(atr_session *s, const atr_value *v, uint64_t tag) {
    size_t n = v->u.s.len, room = n + 32;
    uint32_t id = s->values.n;
    atr__cur c;
    if (n > ATR__VALUE_DEF_MAX || s->values.bytes + n > ATR__VALUES_BUDGET ||
        atr__defs_reserve(s, room) != 0)
        return ATR__NO_TYPE;
    c = atr__cur_make(s->defs, s->defs_len, s->defs_len + room);
    atr__enc_value_def(&c, id, v, n);
    if (!atr__cur_ok(&c) || atr__intern_add(&s->values, v->u.s.ptr, n, tag) == ATR__INTERN_NONE)
        return ATR__NO_TYPE;
    atr__defs_commit(s, c.pos);
    return id;
}

static uint32_t find_or_define_value(void *ctx, int kind, const char *p, size_t n,
                                     uint64_t true_len, const char **copy) {
    atr_session *s = ctx;
    /* the tag tells a str from bytes and a cut value from a whole one of the same bytes */
    uint64_t tag = true_len << 1 | (kind == ATR_V_BYTES);
    atr_value v;
    uint32_t id;
    memset(&v, 0, sizeof v);
    v.kind = (uint32_t)kind;
    v.u.s.ptr = p;
    v.u.s.len = n;
    v.u.s.true_len = true_len;
    atr__mu_lock(s);
    id = atr__intern_find(&s->values, p, n, tag);
    if (id == ATR__INTERN_NONE)
        id = define_value(s, &v, tag);
    if (id != ATR__NO_TYPE)
        *copy = s->values.e[id].bytes;
    atr__mu_unlock(s);
    return id;
}

void atr__types_init(atr_session *s, atr__types *t) {
    memset(t, 0, sizeof *t);
    t->define = find_or_define;
    t->define_value = find_or_define_value;
    t->ctx = s;
}

void atr__types_free(atr_session *s) {
    atr__intern_free(&s->types);
    atr__intern_free(&s->values);
}
