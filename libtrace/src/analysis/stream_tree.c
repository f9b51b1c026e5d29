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

/* 1 if function fn is the function of a call whose running frame is sk->f[i] or below it,
   or of one of their ancestors: the tree's path from that frame up (the stack down to a
   detached frame, then its ancestors as taken when it first suspended). */
int atr__st_on_path(const sstack *sk, uint64_t i, uint32_t fn) {
    for (; i-- > 0;) {
        const sframe *f = &sk->f[i];
        if (f->fn == fn)
            return 1;
        if (f->detached) {
            for (uint32_t k = 0; k < f->n_snap; k++)
                if (f->snap[k] == fn)
                    return 1;
            return 0;
        }
    }
    return 0;
}

/* Take the ancestors of the frame on top of sk (running since its START, on top of its
   parent: the stack below it and, from a detached frame on, that one's). 0 or ATR_ENOMEM. */
int atr__st_snapshot(sstack *sk) {
    sframe *f = &sk->f[sk->n - 1];
    uint64_t n = 0;
    for (uint64_t i = sk->n - 1; i-- > 0;) {
        n++;
        if (sk->f[i].detached) {
            n += sk->f[i].n_snap;
            break;
        }
    }
    uint32_t *a = malloc((n ? n : 1) * sizeof(uint32_t));
    if (!a)
        return ATR_ENOMEM;
    uint64_t k = 0;
    for (uint64_t i = sk->n - 1; i-- > 0;) {
        a[k++] = sk->f[i].fn;
        if (sk->f[i].detached) {
            if (sk->f[i].n_snap)
                memcpy(a + k, sk->f[i].snap, sk->f[i].n_snap * sizeof(uint32_t));
            k += sk->f[i].n_snap;
            break;
        }
    }
    f->snap = a;
    f->n_snap = (uint32_t)k;
    f->snapped = 1;
    return 0;
}

/* The functions of open frame p and of its ancestors, nearest first, into a new array (p on
   the stack: the path from it; suspended: its own and those taken when it first suspended).
   0, ATR_ENOMEM, or ATR_ESTATE when p is NULL (not open on this thread). */
int atr__st_ancestors(const sstack *sk, const sframe *p, uint32_t **out, uint32_t *n_out) {
    if (!p)
        return ATR_ESTATE;
    uint64_t n = 1, j = 0;
    int on_stack = sk->n && p >= sk->f && p < sk->f + sk->n;
    if (on_stack) {
        for (j = (uint64_t)(p - sk->f) + 1, n = 0; j-- > 0;) {
            n++;
            if (sk->f[j].detached) {
                n += sk->f[j].n_snap;
                break;
            }
        }
    } else {
        n += p->n_snap;
    }
    uint32_t *a = malloc((size_t)n * sizeof(uint32_t));
    if (!a)
        return ATR_ENOMEM;
    uint64_t k = 0;
    const sframe *last = p; /* the frame whose snap ends the path */
    if (on_stack) {
        for (j = (uint64_t)(p - sk->f) + 1; j-- > 0;) {
            a[k++] = sk->f[j].fn;
            last = &sk->f[j];
            if (sk->f[j].detached)
                break;
        }
        if (!last->detached)
            last = NULL;
    } else {
        a[k++] = p->fn;
    }
    if (last && last->n_snap)
        memcpy(a + k, last->snap, last->n_snap * sizeof(uint32_t));
    *out = a;
    *n_out = (uint32_t)n;
    return 0;
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
