/*
 * The value table: every distinct argument/result value once (hash-consed), so a call's
 * arguments are 4-byte ids and equal values have equal ids. Small integers live in the id
 * itself and cost nothing; strings are copied into an arena (common/arena.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "common/hash.h"

static int is_stringish(uint32_t kind) {
    return kind == ATR_V_STR || kind == ATR_V_BYTES || kind == ATR_V_BIGINT || kind == ATR_V_REPR ||
           kind == ATR_V_ERROR || kind == ATR_V_UNKNOWN;
}

static uint64_t str_true_len(const atr__vent *e) {
    if (!e->trunc)
        return e->len;
    uint64_t t;
    memcpy(&t, e->x.p - 8, 8);
    return t;
}

/* Hash of a value whose summary items are already ids (ids[] for summaries). */
static uint64_t value_hash(const atr_value *v, const uint32_t *ids) {
    uint64_t h = atr__mix64(v->kind + UINT64_C(0x1234567));
    switch (v->kind) {
    case ATR_V_BOOL:
        return atr__mix64(h ^ (uint64_t)(v->u.b != 0));
    case ATR_V_INT:
    case ATR_V_UINT:
    case ATR_V_FLOAT:
        return atr__mix64(h ^ v->u.u);
    case ATR_V_SUMMARY: {
        h = atr__hash_bytes(v->u.sum.type, v->u.sum.type_len, h);
        h = atr__mix64(h ^ (uint64_t)v->u.sum.length);
        return atr__hash_bytes(ids, (size_t)v->n_items * 4u, h);
    }
    default:
        if (is_stringish(v->kind))
            return atr__hash_bytes(v->u.s.ptr, v->u.s.len, h ^ v->u.s.true_len);
        return h;
    }
}

static int value_equal(const atr__vent *e, const atr_value *v, const uint32_t *ids) {
    if (e->kind != v->kind)
        return 0;
    switch (v->kind) {
    case ATR_V_BOOL:
        return (e->x.i != 0) == (v->u.b != 0);
    case ATR_V_INT:
    case ATR_V_UINT:
    case ATR_V_FLOAT:
        return e->x.u == v->u.u;
    case ATR_V_SUMMARY: {
        const atr_value *s = e->x.sum;
        if (e->len != v->n_items || s->u.sum.length != v->u.sum.length ||
            s->u.sum.type_len != v->u.sum.type_len ||
            (v->u.sum.type_len && memcmp(s->u.sum.type, v->u.sum.type, v->u.sum.type_len) != 0))
            return 0;
        const uint32_t *eids = (const uint32_t *)(s + 1 + e->len);
        return memcmp(eids, ids, (size_t)e->len * 4u) == 0;
    }
    default:
        if (is_stringish(v->kind))
            return e->len == v->u.s.len && str_true_len(e) == v->u.s.true_len &&
                   (v->u.s.len == 0 || memcmp(e->x.p, v->u.s.ptr, v->u.s.len) == 0);
        return 1;
    }
}

static int vt_rehash(atr__values *vt, uint32_t nslots) {
    if (!atr__budget_take((uint64_t)nslots * 4u))
        return ATR_ENOMEM;
    uint32_t *s = calloc(nslots, sizeof(uint32_t));
    if (!s)
        return ATR_ENOMEM;
    uint32_t mask = nslots - 1;
    for (uint32_t i = 0; i < vt->n; i++) {
        atr_value v;
        atr__values_get(vt, i, &v);
        const uint32_t *ids = NULL;
        if (v.kind == ATR_V_SUMMARY)
            ids = (const uint32_t *)(vt->ents[i].x.sum + 1 + vt->ents[i].len);
        uint32_t j = (uint32_t)value_hash(&v, ids) & mask;
        while (s[j])
            j = (j + 1) & mask;
        s[j] = i + 1;
    }
    free(vt->slots);
    vt->slots = s;
    vt->mask = mask;
    return 0;
}

/* Store a new entry for v (not yet present). */
static int vt_add(atr__values *vt, const atr_value *v, const uint32_t *ids, uint32_t *id) {
    if (vt->n >= ATR__VID_INLINE - 1)
        return ATR_ETOOBIG;
    if (vt->n == vt->cap) {
        uint64_t cap = vt->cap;
        if (atr__grow((void **)&vt->ents, &cap, (uint64_t)vt->n + 1, sizeof(atr__vent)))
            return ATR_ENOMEM;
        vt->cap = (uint32_t)(cap < ATR__VID_INLINE ? cap : ATR__VID_INLINE);
    }
    atr__vent e;
    memset(&e, 0, sizeof(e));
    e.kind = (uint8_t)v->kind;
    if (v->kind == ATR_V_BOOL) {
        e.x.i = v->u.b != 0;
    } else if (v->kind == ATR_V_INT || v->kind == ATR_V_UINT || v->kind == ATR_V_FLOAT) {
        e.x.u = v->u.u;
    } else if (v->kind == ATR_V_SUMMARY) {
        size_t n = v->n_items;
        atr_value *s = atr__arena_alloc(&vt->arena, (n + 1) * sizeof(atr_value) + n * 4u);
        if (!s)
            return ATR_ENOMEM;
        const char *type = atr__arena_strdup(&vt->arena, v->u.sum.type, v->u.sum.type_len);
        if (!type)
            return ATR_ENOMEM;
        s[0] = *v;
        s[0].u.sum.type = type;
        s[0].u.sum.items = n ? s + 1 : NULL;
        for (size_t k = 0; k < n; k++)
            atr__values_get(vt, ids[k], &s[1 + k]);
        memcpy(s + 1 + n, ids, n * 4u);
        e.len = (uint32_t)n;
        e.x.sum = s;
    } else if (is_stringish(v->kind)) {
        if (v->u.s.len > UINT32_MAX)
            return ATR_ETOOBIG;
        e.trunc = v->u.s.true_len > v->u.s.len;
        char *p = atr__arena_alloc(&vt->arena, v->u.s.len + 1 + (e.trunc ? 8u : 0u));
        if (!p)
            return ATR_ENOMEM;
        if (e.trunc) {
            memcpy(p, &v->u.s.true_len, 8);
            p += 8;
        }
        if (v->u.s.len)
            memcpy(p, v->u.s.ptr, v->u.s.len);
        p[v->u.s.len] = '\0';
        e.len = (uint32_t)v->u.s.len;
        e.x.p = p;
    }
    vt->ents[vt->n] = e;
    *id = vt->n++;
    return 0;
}

static int intern(atr__values *vt, const atr_value *v, uint32_t *id, int depth) {
    if (v->kind == ATR_V_INT && v->u.i >= ATR__INLINE_MIN && v->u.i <= ATR__INLINE_MAX) {
        *id = ATR__VID_INLINE | (uint32_t)(v->u.i - ATR__INLINE_MIN);
        return 0;
    }
    uint32_t small[8], *ids = NULL;
    int rc = 0;
    atr_value vv = *v;
    if (vv.kind > ATR_V_UNKNOWN)
        vv.kind = ATR_V_UNKNOWN;
    if (vv.kind == ATR_V_SUMMARY) {
        if (depth > 8 || (vv.n_items && !vv.u.sum.items))
            vv.n_items = 0;
        ids = vv.n_items <= 8 ? small : malloc((size_t)vv.n_items * 4u);
        if (!ids)
            return ATR_ENOMEM;
        for (uint32_t k = 0; k < vv.n_items && rc == 0; k++)
            rc = intern(vt, &vv.u.sum.items[k], &ids[k], depth + 1);
        if (rc)
            goto out;
    } else if (!is_stringish(vv.kind) && vv.kind != ATR_V_BOOL && vv.kind != ATR_V_INT &&
               vv.kind != ATR_V_UINT && vv.kind != ATR_V_FLOAT) {
        vv.u.u = 0; /* NIL, REDACTED: no payload */
    }
    if (is_stringish(vv.kind) && vv.u.s.true_len < vv.u.s.len)
        vv.u.s.true_len = vv.u.s.len;
    if (!vt->slots || (uint64_t)(vt->n + 1) * 10 > (uint64_t)(vt->mask + 1) * 7) {
        uint64_t ns = vt->slots ? (uint64_t)(vt->mask + 1) * 2 : 1024;
        if (ns > (UINT64_C(1) << 32)) {
            rc = ATR_ETOOBIG;
            goto out;
        }
        if ((rc = vt_rehash(vt, (uint32_t)ns)) != 0)
            goto out;
    }
    uint32_t j = (uint32_t)value_hash(&vv, ids) & vt->mask;
    while (vt->slots[j]) {
        if (value_equal(&vt->ents[vt->slots[j] - 1], &vv, ids)) {
            *id = vt->slots[j] - 1;
            goto out;
        }
        j = (j + 1) & vt->mask;
    }
    if ((rc = vt_add(vt, &vv, ids, id)) == 0)
        vt->slots[j] = *id + 1;
out:
    if (ids != small)
        free(ids);
    return rc;
}

int atr__values_intern(atr__values *vt, const atr_value *v, uint32_t *id) {
    return intern(vt, v, id, 0);
}

int atr__values_intern_str(atr__values *vt, const char *p, size_t n, uint32_t *id) {
    atr_value v = atr_value_strn(p, n);
    return intern(vt, &v, id, 0);
}

int atr__values_get(const atr__values *vt, uint32_t id, atr_value *out) {
    *out = atr_value_nil();
    if (id == ATR_NO_VALUE)
        return ATR_EINVAL;
    if (id & ATR__VID_INLINE) {
        out->kind = ATR_V_INT;
        out->u.i = (int64_t)(id & ~ATR__VID_INLINE) + ATR__INLINE_MIN;
        return 0;
    }
    if (id >= vt->n)
        return ATR_EINVAL;
    const atr__vent *e = &vt->ents[id];
    if (e->kind == ATR_V_SUMMARY) {
        *out = *e->x.sum;
        return 0;
    }
    out->kind = e->kind;
    if (e->kind == ATR_V_BOOL)
        out->u.b = (int)e->x.i;
    else if (e->kind == ATR_V_INT || e->kind == ATR_V_UINT || e->kind == ATR_V_FLOAT)
        out->u.u = e->x.u;
    else if (is_stringish(e->kind)) {
        out->u.s.ptr = e->x.p;
        out->u.s.len = e->len;
        out->u.s.true_len = str_true_len(e);
    }
    return 0;
}

void atr__values_free(atr__values *vt) {
    free(vt->ents);
    free(vt->slots);
    atr__arena_free(&vt->arena);
    memset(vt, 0, sizeof(*vt));
}

uint64_t atr__values_mem(const atr__values *vt) {
    return (uint64_t)vt->cap * sizeof(atr__vent) + (vt->slots ? (uint64_t)(vt->mask + 1) * 4u : 0) +
           vt->arena.total;
}

atr_str atr__value_type(const atr_value *v) {
    static const char *names[] = {"None",    "bool",     "int", "int",  "float", "str",    "bytes",
                                  "summary", "redacted", "int", "repr", "error", "unknown"};
    _Static_assert(sizeof names / sizeof names[0] == ATR_V_UNKNOWN + 1, "one per atr_value_kind");
    atr_str s;
    if (v->kind == ATR_V_SUMMARY) {
        s.ptr = v->u.sum.type;
        s.len = v->u.sum.type_len;
    } else {
        s.ptr = names[v->kind <= ATR_V_UNKNOWN ? v->kind : ATR_V_UNKNOWN];
        s.len = strlen(s.ptr);
    }
    return s;
}

double atr__value_number(const atr_value *v) {
    switch (v->kind) {
    case ATR_V_INT:
        return (double)v->u.i;
    case ATR_V_UINT:
        return (double)v->u.u;
    case ATR_V_FLOAT:
        return v->u.f;
    case ATR_V_BOOL:
        return v->u.b ? 1 : 0;
    case ATR_V_BIGINT: {
        char buf[64];
        size_t n = v->u.s.len < 63 ? v->u.s.len : 63;
        memcpy(buf, v->u.s.ptr, n);
        buf[n] = '\0';
        return strtod(buf, NULL);
    }
    default:
        return NAN;
    }
}
