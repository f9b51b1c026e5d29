/*
 * Calls merged by their stack of functions (the flame graphs of `report`, the folded export
 * and the TUI's flame view): one node per path of functions from a root. A root's value is
 * its active time, a child's what it is charged. Calls deeper than ATR__FLAME_MAX_DEPTH fold
 * into their ancestor. Also the explicit stack the walks over call trees use (call trees go
 * deeper than the C stack should).
 */
#ifndef ATR_VIEWER_FLAME_H
#define ATR_VIEWER_FLAME_H

#include <stddef.h>
#include <stdint.h>

#include "argtrace/atr_analysis.h"

#define ATR__FLAME_MAX_DEPTH 256

typedef struct atr__fnode {
    uint32_t parent, fn; /* parent: node index, UINT32_MAX for a root */
    uint64_t value, calls;
    uint64_t self; /* the calls' self times (atr_call_view.self_ns; folded calls' included) */
} atr__fnode;

typedef struct atr__ftree {
    atr__fnode *n; /* owned; a parent comes before its children */
    size_t len, cap;
    uint32_t *hash; /* owned: node index + 1, 0: empty; size hcap (a power of 2) */
    size_t hcap;
} atr__ftree;

/* The node of `fn` under `parent` (UINT32_MAX: a root), created if new; UINT32_MAX on OOM. */
uint32_t atr__ftree_child(atr__ftree *t, uint32_t parent, uint32_t fn);
/*
 * What atr__ftree_build merges. keep (export.h's bytes; NULL: every call): only the
 * subtrees of the calls marked ATR__EXPORT_MATCH count (value, calls, self); their
 * ancestors make nodes of zero value so the stacks keep their callers. fn_map (NULL: none):
 * the function of node paths is fn_map[function] (functions of the same name made one).
 */
typedef struct atr__fsel {
    const uint8_t *keep;
    const uint32_t *fn_map;
} atr__fsel;

/* Every call of the index into t, by function path (sel may be NULL). 0 or -1 (OOM). */
int atr__ftree_build(const atr_index *ix, const atr__fsel *sel, atr__ftree *t);
/* The subtree of `call` into t (node 0: the call, its value its active time). 0 or -1. */
int atr__ftree_build_call(const atr_index *ix, uint32_t call, atr__ftree *t);
void atr__ftree_free(atr__ftree *t);

/* A call to visit, the node it goes under and its depth. */
typedef struct atr__fframe {
    uint32_t call, node, depth;
    uint32_t in; /* atr__ftree_build: inside a selected subtree */
} atr__fframe;

typedef struct atr__fstack {
    atr__fframe *f; /* owned */
    size_t len, cap;
} atr__fstack;

/* 0 or -1 (out of memory). */
int atr__fstack_push(atr__fstack *s, uint32_t call, uint32_t node, uint32_t depth);
/* Push the children of `call` (in reverse, so they pop in start order); *buf (owned by the
   caller, *cap entries) is scratch. 0 or -1 (out of memory). */
int atr__fstack_push_children(const atr_index *ix, atr__fstack *s, uint32_t call, uint32_t node,
                              uint32_t depth, uint32_t **buf, uint32_t *cap);

#endif /* ATR_VIEWER_FLAME_H */
