/* The call tree of the statistics-only load off its stacks (stream_tree.h). */
#include "analysis/stream_tree.h"

#include <stdlib.h>
#include <string.h>

#include "argtrace/atr_common.h"

/* The index in sk->susp of span's frame, or UINT64_MAX: through susp_at (asyncio's tasks keep
   thousands suspended), the set searched only when a span's low 32 bits say nothing. */
uint64_t atr__st_susp_index(const sstack *sk, uint64_t span) {
    uint32_t key = (uint32_t)span;
    const uint32_t *at = key != UINT32_MAX ? atr__u32map_get(&sk->susp_at, key) : NULL;
    if (at && *at != UINT32_MAX && *at < sk->n_susp && sk->susp[*at].span == span)
        return *at;
    if (key != UINT32_MAX && (!at || *at == UINT32_MAX))
        return UINT64_MAX; /* (every suspended frame's key is in the map) */
    for (uint64_t i = sk->n_susp; i-- > 0;)
        if (sk->susp[i].span == span)
            return i;
    return UINT64_MAX;
}

/* susp_at says frame i of sk->susp is there (or, with i UINT32_MAX, that span is not). */
int atr__st_susp_note(sstack *sk, uint64_t span, uint64_t i) {
    uint32_t key = (uint32_t)span;
    if (key == UINT32_MAX)
        return 0; /* found by search */
    uint32_t *at = atr__u32map_get(&sk->susp_at, key);
    if (at && *at != UINT32_MAX && *at < sk->n_susp && sk->susp[*at].span != span &&
        i == UINT32_MAX)
        return 0; /* another span's (same low bits): left as it is */
    if (i >= UINT32_MAX && i != UINT32_MAX)
        return ATR_ETOOBIG;
    return atr__u32map_put(&sk->susp_at, key, (uint32_t)i);
}

/* The open frame (running or suspended) of span on thread sk, or NULL (ended, unknown). */
sframe *atr__st_find_open(sstack *sk, uint64_t span) {
    for (uint64_t i = sk->n; i-- > 0;)
        if (sk->f[i].span == span)
            return &sk->f[i];
    uint64_t i = atr__st_susp_index(sk, span);
    return i == UINT64_MAX ? NULL : &sk->susp[i];
}

/* The sum frame f charges: its parent's while the parent is open (NULL: a root, or a frame
   its parent was charged for when it ended). */
uint64_t *atr__st_parent_sum(sstack *sk, const sframe *f) {
    sframe *p = f->charged && !f->orphan ? atr__st_find_open(sk, f->parent) : NULL;
    return p ? &p->child : NULL;
}

/* Its parent is away (records.c's parent_away of a call with an entry): ended, or suspended. */
int atr__st_parent_away(sstack *sk, const sframe *f) {
    if (!f->charged)
        return 0;
    if (f->orphan)
        return 1;
    const sframe *p = atr__st_find_open(sk, f->parent);
    return !p || (p->entry && !p->running);
}

/* f's running interval ends at t: the part outside its parent (0: none), which the frame
   beneath it ran. */
uint64_t atr__st_interval_end(sstack *sk, sframe *f, uint64_t t) {
    if (!f->running)
        return 0;
    uint64_t d = t > f->mark ? t - f->mark : 0;
    f->active += d;
    f->running = 0;
    if (!atr__st_parent_away(sk, f))
        return 0;
    f->outside += d;
    return d;
}

/* Frame f ends with children still suspended: charged what they ran while it waited (the
   full index subtracts every child's from its self time); they are orphans from here. */
void atr__st_adopt_orphans(sstack *sk, sframe *f) {
    for (uint64_t i = 0; i < sk->n_susp && f->susp_kids; i++) {
        sframe *g = &sk->susp[i];
        if (g->parent == f->span && g->charged && !g->orphan) {
            uint64_t a = g->active, o = g->outside < a ? g->outside : a;
            f->child = f->child + (a - o) < f->child ? UINT64_MAX : f->child + (a - o);
            g->orphan = 1;
            f->susp_kids--;
        }
    }
}
