/* Memory helpers: see arena.h. */
#include <stdlib.h>
#include <string.h>

#include "argtrace/atr_common.h"
#include "common/arena.h"

_Thread_local uint64_t atr__budget_left = UINT64_MAX;
_Thread_local int atr__budget_hit;

struct atr__arena_chunk {
    atr__arena_chunk *next;
    size_t size;
    max_align_t data[];
};

void *atr__arena_alloc(atr__arena *a, size_t n) {
    n = (n + 7u) & ~(size_t)7u;
    if (!a->head || a->cap - a->used < n) {
        size_t size = n > (1u << 20) ? n : (1u << 20);
        if (!atr__budget_take(size))
            return NULL;
        atr__arena_chunk *c = malloc(sizeof(*c) + size);
        if (!c)
            return NULL;
        c->next = a->head;
        c->size = size;
        a->head = c;
        a->used = 0;
        a->cap = size;
        a->total += size;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += n;
    return p;
}

const char *atr__arena_strdup(atr__arena *a, const char *p, size_t n) {
    char *d = atr__arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

void atr__arena_free(atr__arena *a) {
    atr__arena_chunk *c = a->head;
    while (c) {
        atr__arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    memset(a, 0, sizeof(*a));
}

/* ---- growth ---- */

int atr__grow_to(void **p, uint64_t *cap, uint64_t need, size_t es) {
    if (need <= *cap)
        return 0;
    uint64_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc += nc / 2 + 16;
    if (nc > SIZE_MAX / es)
        return ATR_ENOMEM;
    /* realloc may hold old and new at once: the new size must fit; the growth is taken */
    if (nc * es > atr__budget_left || !atr__budget_take((nc - *cap) * es)) {
        atr__budget_hit = 1;
        return ATR_ENOMEM;
    }
    void *q = realloc(*p, (size_t)(nc * es));
    if (!q)
        return ATR_ENOMEM;
    *p = q;
    *cap = nc;
    return 0;
}
