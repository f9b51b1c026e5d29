/*
 * The flame graphs of `report` (see report.h): the whole log merged by stacks of functions,
 * and one call's tree. Both are flat lists of [parent, function, value, ...] where a parent
 * comes before its children (the JSON writer nests at most 64 deep; call trees go deeper).
 * Calls deeper than MAX_DEPTH fold into their ancestor; nodes narrower than total/max_nodes
 * (less than a pixel) and those past max_nodes are left out and counted.
 */
#include <stdlib.h>

#include "report.h"

#define MAX_DEPTH 256

/* The aggregated tree: one node per path of functions from a root. */
typedef struct fnode {
    uint32_t parent, fn;
    uint64_t value, calls;
} fnode;

typedef struct ftree {
    fnode *n;
    size_t len, cap;
    uint32_t *hash; /* node index + 1, 0: empty; size hcap (a power of 2) */
    size_t hcap;
} ftree;

static size_t fhash(uint32_t parent, uint32_t fn, size_t mask) {
    uint64_t h = ((uint64_t)parent << 32 | fn) * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 20) & mask;
}

static int ftree_grow(ftree *t) {
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

/* The node of `fn` under `parent` (UINT32_MAX: a root), created if new; UINT32_MAX on OOM. */
static uint32_t ftree_child(ftree *t, uint32_t parent, uint32_t fn) {
    if ((t->len + 1) * 2 > t->hcap && ftree_grow(t) < 0)
        return UINT32_MAX;
    size_t k = fhash(parent, fn, t->hcap - 1);
    for (; t->hash[k]; k = (k + 1) & (t->hcap - 1)) {
        fnode *n = &t->n[t->hash[k] - 1];
        if (n->parent == parent && n->fn == fn)
            return t->hash[k] - 1;
    }
    if (t->len == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        fnode *nn = realloc(t->n, cap * sizeof *nn);
        if (!nn)
            return UINT32_MAX;
        t->n = nn, t->cap = cap;
    }
    t->n[t->len] = (fnode){parent, fn, 0, 0};
    t->hash[k] = (uint32_t)t->len + 1;
    return (uint32_t)t->len++;
}

typedef struct frame {
    uint32_t call, node, depth;
} frame;

typedef struct fstack {
    frame *f;
    size_t len, cap;
} fstack;

static int push(fstack *s, uint32_t call, uint32_t node, uint32_t depth) {
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        frame *f = realloc(s->f, cap * sizeof *f);
        if (!f)
            return -1;
        s->f = f, s->cap = cap;
    }
    s->f[s->len++] = (frame){call, node, depth};
    return 0;
}

/* Push the children of `call` (in reverse, so they pop in start order). */
static int push_children(const atr_index *ix, fstack *s, uint32_t call, uint32_t node,
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
        if (push(s, (*buf)[i], node, depth) < 0)
            return -1;
    return 0;
}

/* Every call into the tree, by function path; a root counts its active time, a child what
   it is charged. */
static int ftree_build(const atr_index *ix, ftree *t) {
    atr_index_info info;
    fstack s = {0};
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
                rc = push(&s, root, UINT32_MAX, 0);
            root = rv.next_sibling;
            while (s.len > 0 && rc == 0) {
                frame f = s.f[--s.len];
                atr_call_view cv;
                if (atr_index_call(ix, f.call, &cv) < 0)
                    continue;
                uint32_t node = f.node;
                if (f.depth < MAX_DEPTH) {
                    node = ftree_child(t, f.node, cv.function);
                    if (node == UINT32_MAX) {
                        rc = -1;
                        break;
                    }
                    t->n[node].value += f.node == UINT32_MAX ? cv.active_ns : cv.charged_ns;
                    t->n[node].calls++;
                }
                rc = push_children(ix, &s, f.call, node, f.depth + 1, &buf, &cap);
            }
        }
    }
    free(s.f);
    free(buf);
    return rc;
}

int atr__report_flame(atr__json *j, const atr_index *ix, uint64_t max_nodes, uint64_t *dropped,
                      uint64_t *stacks) {
    ftree t = {0};
    uint32_t *map = NULL, out = 0;
    int rc = ATR_ENOMEM;
    *dropped = *stacks = 0;
    if (ftree_build(ix, &t) < 0)
        goto out;
    uint64_t total = 0;
    for (size_t i = 0; i < t.len; i++)
        if (t.n[i].parent == UINT32_MAX)
            total += t.n[i].value;
    uint64_t min = total / (max_nodes ? max_nodes : 1);
    map = malloc((t.len ? t.len : 1) * sizeof *map);
    if (!map)
        goto out;
    atr__json_key(j, "flame");
    atr__json_obj_begin(j);
    atr__json_kuint(j, "total", total);
    atr__json_key(j, "nodes");
    atr__json_arr_begin(j);
    for (size_t i = 0; i < t.len; i++) { /* parents were created before their children */
        const fnode *n = &t.n[i];
        int has_parent = n->parent == UINT32_MAX || map[n->parent] != UINT32_MAX;
        if (!has_parent || n->value < min || out >= max_nodes) {
            map[i] = UINT32_MAX;
            (*dropped)++;
            continue;
        }
        map[i] = out++;
        atr__json_arr_begin(j);
        atr__json_int(j, n->parent == UINT32_MAX ? -1 : (int64_t)map[n->parent]);
        atr__json_uint(j, n->fn);
        atr__json_uint(j, n->value);
        atr__json_uint(j, n->calls);
        atr__json_arr_end(j);
    }
    atr__json_arr_end(j);
    atr__json_obj_end(j);
    *stacks = t.len;
    rc = 0;
out:
    free(map);
    free(t.n);
    free(t.hash);
    return rc;
}

int atr__report_call_tree(atr__json *j, const atr_index *ix, uint32_t call, uint64_t max_nodes) {
    atr_call_view root;
    fstack s = {0};
    uint32_t *buf = NULL, cap = 0, out = 0, dropped = 0;
    int rc = 0;
    if (atr_index_call(ix, call, &root) < 0)
        return ATR_EINVAL;
    uint64_t min = root.active_ns / (max_nodes ? max_nodes : 1);
    atr__json_key(j, "nodes");
    atr__json_arr_begin(j);
    if (push(&s, call, UINT32_MAX, 0) < 0)
        rc = ATR_ENOMEM;
    while (s.len > 0 && rc == 0) {
        frame f = s.f[--s.len];
        atr_call_view cv;
        if (atr_index_call(ix, f.call, &cv) < 0)
            continue;
        uint64_t v = f.node == UINT32_MAX ? cv.active_ns : cv.charged_ns;
        if ((v < min && f.node != UINT32_MAX) || out >= max_nodes || f.depth >= MAX_DEPTH) {
            dropped++;
            continue;
        }
        char id[ATR_CALL_ID_SIZE];
        atr_call_id_format(ix, f.call, id, sizeof id);
        atr__json_arr_begin(j);
        atr__json_int(j, f.node == UINT32_MAX ? -1 : (int64_t)f.node);
        atr__json_uint(j, cv.function);
        atr__json_uint(j, v);
        atr__json_cstr(j, id);
        atr__json_arr_end(j);
        if (push_children(ix, &s, f.call, out, f.depth + 1, &buf, &cap) < 0)
            rc = ATR_ENOMEM;
        out++;
    }
    atr__json_arr_end(j);
    atr__json_kuint(j, "dropped", dropped);
    free(s.f);
    free(buf);
    return rc;
}
