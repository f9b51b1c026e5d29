/*
 * Memory helpers shared by the layers: a per-thread allocation budget, array growth and an
 * arena (stable addresses, freed all at once).
 */
#ifndef ATR_COMMON_ARENA_H
#define ATR_COMMON_ARENA_H

#include <stddef.h>
#include <stdint.h>

/*
 * The memory budget of the calling thread: bytes the growth helpers (atr__grow, the arena,
 * the hash maps of common/hash.h) may still allocate; UINT64_MAX unless a caller sets one.
 * The analysis sets it for a load (analysis/index.c: before a load and at every check of
 * the index's size, cleared after). A helper that would pass it fails (ATR_ENOMEM to its
 * caller) and sets atr__budget_hit, which the load turns into ATR_ETOOBIG with a message
 * naming the limit.
 * Why thread-local: the helpers take no index; loads in other threads have their own.
 */
extern _Thread_local uint64_t atr__budget_left;
extern _Thread_local int atr__budget_hit;

/* Take n bytes from the budget: 1, or 0 when they do not fit (atr__budget_hit is set). */
static inline int atr__budget_take(uint64_t n) {
    if (n > atr__budget_left) {
        atr__budget_hit = 1;
        return 0;
    }
    atr__budget_left -= n;
    return 1;
}

/* Grow *p (element size es) to hold at least need elements. 0 or ATR_ENOMEM. Inline when
   it fits (the loads call it per record): the growth itself is atr__grow_to(). */
int atr__grow_to(void **p, uint64_t *cap, uint64_t need, size_t es);
static inline int atr__grow(void **p, uint64_t *cap, uint64_t need, size_t es) {
    return need <= *cap ? 0 : atr__grow_to(p, cap, need, es);
}

/* ---- memory arena: stable addresses, freed all at once ---- */
typedef struct atr__arena_chunk atr__arena_chunk;
typedef struct atr__arena {
    atr__arena_chunk *head;
    size_t used, cap; /* in the head chunk */
    uint64_t total;   /* bytes allocated in chunks */
} atr__arena;

void *atr__arena_alloc(atr__arena *a, size_t n); /* 8-byte aligned; NULL on ENOMEM */
const char *atr__arena_strdup(atr__arena *a, const char *p, size_t n); /* NUL-terminated */
void atr__arena_free(atr__arena *a);

#endif /* ATR_COMMON_ARENA_H */
