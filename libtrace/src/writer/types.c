/*
 * The definitions buffer (FUNCTION and TYPE records, s->defs) and type-name interning
 * (docs/FORMAT.md 3.16 and section 4, ext 8; format 1.2): the session's
 * table of type names, each defined once per log by a TYPE record among the definitions
 * (written, like FUNCTION records, before any record that refers to them, and again in a
 * forked child's log), and each recording thread's cache in front of it (format/encode.h).
 *
 * The table maps the bytes of a name to its id, so one name gets one id however many types
 * (or addresses) carry it. It is bounded: past ATR__TYPES_MAX names, or for a name longer
 * than ATR__TYPE_NAME_MAX bytes, or out of memory, a value keeps its name in full (ext 3).
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

static uint32_t name_hash(const char *p, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

/* Under mu: double the hash table (or make the first). 0 or ATR_ENOMEM. */
static int grow_slots(atr_session *s) {
    uint32_t cap = s->type_mask ? (s->type_mask + 1) * 2 : 256, i;
    uint32_t *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return ATR_ENOMEM;
    memset(slots, 0xff, cap * sizeof *slots);
    for (i = 0; i < s->n_types; i++) {
        const atr__type_name *t = &s->type_names[i];
        uint32_t j = name_hash(t->name, t->len) & (cap - 1);
        while (slots[j] != ATR__NO_TYPE)
            j = (j + 1) & (cap - 1);
        slots[j] = i;
    }
    free(s->type_slots);
    s->type_slots = slots;
    s->type_mask = cap - 1;
    return 0;
}

/* Under mu: define TYPE id n_types for name[0..len). ATR__NO_TYPE when it cannot. */
static uint32_t define(atr_session *s, const char *name, size_t len) {
    uint8_t rec[ATR__TYPE_NAME_MAX + 16];
    atr__cur c = atr__cur_make(rec, 0, sizeof rec);
    uint32_t id = s->n_types;
    char *copy;
    if (s->n_types == s->cap_types) {
        uint32_t cap = s->cap_types ? s->cap_types * 2 : 64;
        atr__type_name *p = realloc(s->type_names, cap * sizeof *p);
        if (!p)
            return ATR__NO_TYPE;
        s->type_names = p;
        s->cap_types = cap;
    }
    atr__enc_type(&c, id, name, len);
    if (!(copy = malloc(len + 1)) || atr__defs_reserve(s, c.pos) != 0) {
        free(copy);
        return ATR__NO_TYPE;
    }
    memcpy(copy, name, len);
    copy[len] = '\0';
    memcpy(s->defs + s->defs_len, rec, c.pos);
    atr__defs_commit(s, s->defs_len + c.pos);
    s->type_names[id].name = copy;
    s->type_names[id].len = (uint32_t)len;
    s->n_types++;
    return id;
}

static uint32_t find_or_define(void *ctx, const char *name, size_t len, const char **copy) {
    atr_session *s = ctx;
    uint32_t id = ATR__NO_TYPE, j;
    if (len > ATR__TYPE_NAME_MAX)
        return ATR__NO_TYPE;
    atr__mu_lock(s);
    if ((uint64_t)(s->n_types + 1) * 2 > (uint64_t)s->type_mask + 1 &&
        s->n_types < ATR__TYPES_MAX && grow_slots(s) != 0)
        goto out;
    if (!s->type_mask)
        goto out;
    for (j = name_hash(name, len) & s->type_mask; s->type_slots[j] != ATR__NO_TYPE;
         j = (j + 1) & s->type_mask) {
        const atr__type_name *t = &s->type_names[s->type_slots[j]];
        if (t->len == len && memcmp(t->name, name, len) == 0) {
            id = s->type_slots[j];
            goto out;
        }
    }
    if (s->n_types < ATR__TYPES_MAX && (id = define(s, name, len)) != ATR__NO_TYPE)
        s->type_slots[j] = id;
out:
    if (id != ATR__NO_TYPE)
        *copy = s->type_names[id].name;
    atr__mu_unlock(s);
    return id;
}

void atr__types_init(atr_session *s, atr__types *t) {
    memset(t->slot, 0, sizeof t->slot);
    t->define = find_or_define;
    t->ctx = s;
}

void atr__types_free(atr_session *s) {
    for (uint32_t i = 0; i < s->n_types; i++)
        free(s->type_names[i].name);
    free(s->type_names);
    free(s->type_slots);
    s->type_names = NULL;
    s->type_slots = NULL;
    s->n_types = s->cap_types = s->type_mask = 0;
}
