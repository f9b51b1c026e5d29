/* The interning table of intern.h. */
#include "writer/intern.h"

#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/hash.h"

static uint32_t slot_of(const void *p, size_t len, uint64_t tag) {
    return (uint32_t)atr__hash_bytes(p, len, tag);
}

/* Double the slots (or make the first 256) and place every entry again. 0 or -1. */
static int grow_slots(atr__intern *t) {
    uint32_t cap = t->mask ? (t->mask + 1) * 2 : 256, i;
    uint32_t *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return -1;
    memset(slots, 0xff, cap * sizeof *slots);
    for (i = 0; i < t->n; i++) {
        const atr__interned *e = &t->e[i];
        uint32_t j = slot_of(e->bytes, e->len, e->tag) & (cap - 1);
        while (slots[j] != ATR__INTERN_NONE)
            j = (j + 1) & (cap - 1);
        slots[j] = i;
    }
    free(t->slots);
    t->slots = slots;
    t->mask = cap - 1;
    return 0;
}

/* The slot holding (p, len, tag) or the free slot where it would go; needs t->mask. */
static uint32_t probe(const atr__intern *t, const void *p, size_t len, uint64_t tag) {
    uint32_t j;
    for (j = slot_of(p, len, tag) & t->mask; t->slots[j] != ATR__INTERN_NONE;
         j = (j + 1) & t->mask) {
        const atr__interned *e = &t->e[t->slots[j]];
        if (e->len == len && e->tag == tag && memcmp(e->bytes, p, len) == 0)
            break;
    }
    return j;
}

uint32_t atr__intern_find(const atr__intern *t, const void *p, size_t len, uint64_t tag) {
    return t->mask ? t->slots[probe(t, p, len, tag)] : ATR__INTERN_NONE;
}

uint32_t atr__intern_add(atr__intern *t, const void *p, size_t len, uint64_t tag) {
    char *copy;
    uint32_t j;
    if (len >= UINT32_MAX || t->n >= UINT32_MAX - 1)
        return ATR__INTERN_NONE;
    if ((uint64_t)(t->n + 1) * 2 > (uint64_t)t->mask + 1 && grow_slots(t) != 0)
        return ATR__INTERN_NONE;
    if (atr__grow((void **)&t->e, &t->cap, (uint64_t)t->n + 1, sizeof *t->e) ||
        !(copy = malloc(len + 1)))
        return ATR__INTERN_NONE;
    if (len)
        memcpy(copy, p, len);
    copy[len] = '\0';
    j = probe(t, p, len, tag);
    t->e[t->n].bytes = copy;
    t->e[t->n].len = (uint32_t)len;
    t->e[t->n].tag = tag;
    t->slots[j] = t->n;
    t->bytes += len;
    return t->n++;
}

void atr__intern_free(atr__intern *t) {
    for (uint32_t i = 0; i < t->n; i++)
        free(t->e[i].bytes);
    free(t->e);
    free(t->slots);
    memset(t, 0, sizeof *t);
}
