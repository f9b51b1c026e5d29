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
} atr__fnode;

typedef struct atr__ftree {
    atr__fnode *n; /* owned; a parent comes before its children */
    size_t len, cap;
    uint32_t *hash; /* owned: node index + 1, 0: empty; size hcap (a power of 2) */
    size_t hcap;
} atr__ftree;

/* The node of `fn` under `parent` (UINT32_MAX: a root), created if new; UINT32_MAX on OOM. */
uint32_t atr__ftree_child(atr__ftree *t, uint32_t parent, uint32_t fn);
/* Every call of the index into t, by function path. 0 or -1 (out of memory). */
int atr__ftree_build(const atr_index *ix, atr__ftree *t);
void atr__ftree_free(atr__ftree *t);

/* A call to visit, the node it goes under and its depth. */
typedef struct atr__fframe {
    uint32_t call, node, depth;
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
