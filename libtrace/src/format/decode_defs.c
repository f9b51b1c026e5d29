/*
 * The records the decoder keeps and reports nothing of (docs/FORMAT.md section 3): TYPE names
 * (1.2, for ext 8 values) and VALUEs (1.4, for ext 9 values), each a table of owned copies by
 * id where a later definition of an id replaces the earlier one, and a chunk's TIMES column
 * (2.0, for the nil deltas of its records).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "format/decode_impl.h"
#include "format/format.h"

void atr__dec_defs_free(atr__dec_defs *t) {
    atr__u32map_free(&t->ids);
    for (uint32_t i = 0; i < t->n; i++)
        free((char *)t->e[i].s.ptr);
    free(t->e);
    memset(t, 0, sizeof *t);
}

/*
 * Keep definition `id` of t (`what`: TYPE, VALUE) as a copy of def->s. Past max_n ids or
 * max_bytes in all: ATR_ETOOBIG. Returns ATR__DECODE_SKIP or the error.
 */
static int defs_put(atr__decoder *d, atr__dec_defs *t, uint32_t id, const atr__dec_def *def,
                    uint32_t max_n, uint64_t max_bytes, const char *what) {
    uint32_t *at = atr__u32map_get(&t->ids, id);
    atr__dec_def *e;
    char *copy;
    if (t->bytes + def->s.len > max_bytes)
        return atr__dec_fail(d, ATR_ETOOBIG, "more than %" PRIu64 " bytes of %s records", max_bytes,
                             what);
    if (!at && t->n >= max_n)
        return atr__dec_fail(d, ATR_ETOOBIG, "more than %u %s records", max_n, what);
    if (!(copy = malloc(def->s.len + 1)))
        return atr__dec_fail(d, ATR_ENOMEM, "out of memory for the %s table", what);
    if (def->s.len)
        memcpy(copy, def->s.ptr, def->s.len);
    copy[def->s.len] = '\0';
    if (at) {
        e = &t->e[*at];
        t->bytes -= e->s.len;
        free((char *)e->s.ptr);
    } else {
        if (atr__grow((void **)&t->e, &t->cap, (uint64_t)t->n + 1, sizeof *t->e) ||
            atr__u32map_put(&t->ids, id, t->n) != 0) {
            free(copy);
            return atr__dec_fail(d, ATR_ENOMEM, "out of memory for the %s table", what);
        }
        e = &t->e[t->n++];
    }
    *e = *def;
    e->s.ptr = copy;
    t->bytes += def->s.len;
    return ATR__DECODE_SKIP;
}

static const atr__dec_def *defs_get(const atr__dec_defs *t, uint64_t id) {
    const uint32_t *at = id < UINT32_MAX ? atr__u32map_get(&t->ids, (uint32_t)id) : NULL;
    return at ? &t->e[*at] : NULL;
}

/* [type, id, ...] of a definition record (`what`: TYPE, VALUE): its id, or an error. */
static int def_id(atr__decoder *d, const msgpack_object *el, uint32_t size, const char *what,
                  uint32_t *id) {
    char name[16];
    if (size < 3)
        return atr__dec_fail(d, ATR_ECORRUPT, "%s record has %" PRIu32 " elements, needs 3", what,
                             size);
    snprintf(name, sizeof name, "%s id", what);
    return atr__dec_u32(d, &el[1], name, id);
}

int atr__dec_type_def(atr__decoder *d, const msgpack_object *el, uint32_t size) {
    atr__dec_def def;
    uint32_t id;
    int rc;
    memset(&def, 0, sizeof def);
    if ((rc = def_id(d, el, size, "TYPE", &id)) < 0 ||
        (rc = atr__dec_str(d, &el[2], "TYPE name", &def.s)) < 0)
        return rc;
    if (id == UINT32_MAX)
        return ATR__DECODE_SKIP; /* no ext 8 value can name it */
    return defs_put(d, &d->types, id, &def, ATR__TYPES_MAX, UINT64_MAX, "TYPE");
}

int atr__dec_type_name(const atr__decoder *d, uint64_t id, atr_str *out) {
    const atr__dec_def *e = defs_get(&d->types, id);
    if (!e)
        return -1;
    *out = e->s;
    return 0;
}

int atr__dec_value_record(atr__decoder *d, const msgpack_object *el, uint32_t size) {
    atr__dec_def def;
    atr_value v;
    uint32_t id;
    int rc;
    if ((rc = def_id(d, el, size, "VALUE", &id)) < 0)
        return rc;
    if (el[2].type != MSGPACK_OBJECT_STR && el[2].type != MSGPACK_OBJECT_BIN &&
        !(el[2].type == MSGPACK_OBJECT_EXT &&
          (el[2].via.ext.type == ATR__EXT_TRUNC_STR || el[2].via.ext.type == ATR__EXT_TRUNC_BYTES)))
        return atr__dec_fail(d, ATR_ECORRUPT, "VALUE record holds %s, needs a str or bytes",
                             atr__dec_kind(&el[2]));
    if ((rc = atr__dec_value(d, &el[2], 0, &v)) < 0)
        return rc;
    if (id == UINT32_MAX)
        return ATR__DECODE_SKIP; /* no ext 9 value can name it */
    memset(&def, 0, sizeof def);
    def.s.ptr = v.u.s.ptr;
    def.s.len = v.u.s.len;
    def.true_len = v.u.s.true_len;
    def.kind = v.kind;
    return defs_put(d, &d->values, id, &def, ATR__VALUES_MAX, ATR__VALUES_BYTES_MAX, "VALUE");
}

const atr__dec_def *atr__dec_value_def(const atr__decoder *d, uint64_t id) {
    return defs_get(&d->values, id);
}

int atr__dec_times_record(atr__decoder *d, const msgpack_object *el, uint32_t size) {
    size_t n;
    if (size < 2 || el[1].type != MSGPACK_OBJECT_BIN || el[1].via.bin.size % 2)
        return atr__dec_fail(d, ATR_ECORRUPT, "TIMES record needs [18, bin of an even size]");
    if (!d->have_cur)
        return atr__dec_fail(d, ATR_ECORRUPT, "TIMES record before any CHUNK");
    n = el[1].via.bin.size;
    if (atr__grow((void **)&d->col, &d->col_cap, n, 1))
        return atr__dec_fail(d, ATR_ENOMEM, "out of memory for a TIMES column");
    if (n)
        memcpy(d->col, el[1].via.bin.ptr, n);
    d->col_n = n / 2;
    d->col_pos = 0;
    return ATR__DECODE_SKIP;
}

int atr__dec_column_delta(atr__decoder *d, const char *rec, uint64_t *delta) {
    if (d->col_pos >= d->col_n)
        return atr__dec_fail(d, ATR_ECORRUPT,
                             "%s dt is nil and the chunk's TIMES column has no delta left", rec);
    *delta = (uint64_t)d->col[d->col_pos] << 8 | d->col[d->col_n + d->col_pos];
    d->col_pos++;
    return 0;
}
