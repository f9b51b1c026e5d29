/*
 * The flame graphs of `report` (see report.h): the whole log merged by stacks of functions,
 * and one call's tree. Both are flat lists of [parent, function, value, ...] where a parent
 * comes before its children (the JSON writer nests at most 64 deep; call trees go deeper).
 * Calls deeper than ATR__FLAME_MAX_DEPTH fold into their ancestor (flame.h); nodes narrower than total/max_nodes
 * (less than a pixel) and those past max_nodes are left out and counted.
 */
#include <stdlib.h>

#include "flame.h"
#include "report.h"

int atr__report_flame(atr__json *j, const atr_index *ix, uint64_t max_nodes, uint64_t *dropped,
                      uint64_t *stacks) {
    atr__ftree t = {0};
    uint32_t *map = NULL, out = 0;
    int rc = ATR_ENOMEM;
    *dropped = *stacks = 0;
    if (atr__ftree_build(ix, NULL, &t) < 0)
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
        const atr__fnode *n = &t.n[i];
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
    atr__ftree_free(&t);
    return rc;
}

int atr__report_call_tree(atr__json *j, const atr_index *ix, uint32_t call, uint64_t max_nodes) {
    atr_call_view root;
    atr__fstack s = {0};
    uint32_t *buf = NULL, cap = 0, out = 0, dropped = 0;
    int rc = 0;
    if (atr_index_call(ix, call, &root) < 0)
        return ATR_EINVAL;
    uint64_t min = root.active_ns / (max_nodes ? max_nodes : 1);
    atr__json_key(j, "nodes");
    atr__json_arr_begin(j);
    if (atr__fstack_push(&s, call, UINT32_MAX, 0) < 0)
        rc = ATR_ENOMEM;
    while (s.len > 0 && rc == 0) {
        atr__fframe f = s.f[--s.len];
        atr_call_view cv;
        if (atr_index_call(ix, f.call, &cv) < 0)
            continue;
        uint64_t v = f.node == UINT32_MAX ? cv.active_ns : cv.charged_ns;
        if ((v < min && f.node != UINT32_MAX) || out >= max_nodes ||
            f.depth >= ATR__FLAME_MAX_DEPTH) {
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
        if (atr__fstack_push_children(ix, &s, f.call, out, f.depth + 1, &buf, &cap) < 0)
            rc = ATR_ENOMEM;
        out++;
    }
    atr__json_arr_end(j);
    atr__json_kuint(j, "dropped", dropped);
    free(s.f);
    free(buf);
    return rc;
}
