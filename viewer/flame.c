/* Calls merged by their stack of functions (see flame.h). */
#include <stdlib.h>

#include "flame.h"

#include "export.h"

static size_t fhash(uint32_t parent, uint32_t fn, size_t mask) {
    uint64_t h = ((uint64_t)parent << 32 | fn) * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 20) & mask;
}

static int ftree_grow(atr__ftree *t) {
    size_t hcap = t->hcap ? t->hcap * 2 : 1024;
    uint32_t *h = calloc(hcap, sizeof *h);
    if (!h)
        return -1;
    for (size_t i = 0; i < t->len; i++) {
        size_t k = fhash(t->n[i].parent, t->n[i].fn, hcap - 1);
        while (h[k])
            k = (k + 1) & (hcap - 1);
        h[k] = (uint32_t)i + 1;
    }
    free(t->hash);
    t->hash = h, t->hcap = hcap;
    return 0;
}

uint32_t atr__ftree_child(atr__ftree *t, uint32_t parent, uint32_t fn) {
    if ((t->len + 1) * 2 > t->hcap && ftree_grow(t) < 0)
        return UINT32_MAX;
    size_t k = fhash(parent, fn, t->hcap - 1);
    for (; t->hash[k]; k = (k + 1) & (t->hcap - 1)) {
        atr__fnode *n = &t->n[t->hash[k] - 1];
        if (n->parent == parent && n->fn == fn)
            return t->hash[k] - 1;
    }
    if (t->len == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        atr__fnode *nn = realloc(t->n, cap * sizeof *nn);
        if (!nn)
            return UINT32_MAX;
        t->n = nn, t->cap = cap;
    }
    t->n[t->len] = (atr__fnode){parent, fn, 0, 0, 0};
    t->hash[k] = (uint32_t)t->len + 1;
    return (uint32_t)t->len++;
}

int atr__fstack_push(atr__fstack *s, uint32_t call, uint32_t node, uint32_t depth) {
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        atr__fframe *f = realloc(s->f, cap * sizeof *f);
        if (!f)
            return -1;
        s->f = f, s->cap = cap;
    }
    s->f[s->len++] = (atr__fframe){call, node, depth, 0};
    return 0;
}

int atr__fstack_push_children(const atr_index *ix, atr__fstack *s, uint32_t call, uint32_t node,
                              uint32_t depth, uint32_t **buf, uint32_t *cap) {
    uint32_t n = 0;
    if (atr_call_children(ix, call, *buf, *cap, &n) < 0)
        return 0;
    if (n > *cap) {
        uint32_t *b = realloc(*buf, n * sizeof *b);
        if (!b)
            return -1;
        *buf = b, *cap = n;
        atr_call_children(ix, call, *buf, *cap, &n);
    }
    for (uint32_t i = n; i-- > 0;)
        if (atr__fstack_push(s, (*buf)[i], node, depth) < 0)
            return -1;
    return 0;
}

/* Every call into the tree, by function path; a root counts its active time, a child what
   it is charged. */
/* Pop and merge the calls of s (and their subtrees) into t. */
static int walk(const atr_index *ix, const atr__fsel *sel, atr__fstack *s, atr__ftree *t,
                uint32_t **buf, uint32_t *cap) {
    const uint8_t *keep = sel ? sel->keep : NULL;
    int rc = 0;
    while (s->len > 0 && rc == 0) {
        atr__fframe f = s->f[--s->len];
        atr_call_view cv;
        if (atr_index_call(ix, f.call, &cv) < 0)
            continue;
        int in = f.in || !keep || keep[f.call] == ATR__EXPORT_MATCH;
        if (!in && !keep[f.call])
            continue; /* no match under it */
        uint32_t node = f.node;
        if (f.depth < ATR__FLAME_MAX_DEPTH) {
            uint32_t fn = sel && sel->fn_map ? sel->fn_map[cv.function] : cv.function;
            node = atr__ftree_child(t, f.node, fn);
            if (node == UINT32_MAX)
                return -1;
            if (in) {
                t->n[node].value += f.node == UINT32_MAX ? cv.active_ns : cv.charged_ns;
                t->n[node].calls++;
            }
        }
        if (in)
            t->n[node].self += cv.self_ns;
        size_t from = s->len;
        rc = atr__fstack_push_children(ix, s, f.call, node, f.depth + 1, buf, cap);
        for (size_t i = from; i < s->len; i++)
            s->f[i].in = (uint32_t)in;
    }
    return rc;
}

int atr__ftree_build(const atr_index *ix, const atr__fsel *sel, atr__ftree *t) {
    atr_index_info info;
    atr__fstack s = {0};
    uint32_t *buf = NULL, cap = 0;
    int rc = 0;
    atr_index_get_info(ix, &info);
    for (uint32_t th = 0; th < info.n_threads && rc == 0; th++) {
        atr_thread_view tv;
        if (atr_index_thread(ix, th, &tv) < 0)
            continue;
        for (uint32_t root = tv.first_root; root != ATR_NO_CALL && rc == 0;) {
            atr_call_view rv;
            if (atr_index_call(ix, root, &rv) < 0)
                break;
            if (rv.parent == ATR_NO_CALL)
                rc = atr__fstack_push(&s, root, UINT32_MAX, 0);
            root = rv.next_sibling;
            if (rc == 0)
                rc = walk(ix, sel, &s, t, &buf, &cap);
        }
    }
    free(s.f);
    free(buf);
    return rc;
}

int atr__ftree_build_call(const atr_index *ix, uint32_t call, atr__ftree *t) {
    atr__fstack s = {0};
    uint32_t *buf = NULL, cap = 0;
    int rc = atr__fstack_push(&s, call, UINT32_MAX, 0);
    if (rc == 0)
        rc = walk(ix, NULL, &s, t, &buf, &cap);
    free(s.f);
    free(buf);
    return rc;
}

void atr__ftree_free(atr__ftree *t) {
    free(t->n);
    free(t->hash);
    *t = (atr__ftree){0};
}
