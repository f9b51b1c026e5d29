/*
 * Call-tree helpers shared by `tree` and the TUI's tree view: children lists and the folding
 * of long runs of fast siblings into one line ("… 1,204 calls to app.g(), 3.1 ms").
 */
#ifndef ATR_VIEWER_CALLTREE_H
#define ATR_VIEWER_CALLTREE_H

#include "argtrace/atr_analysis.h"
#include "strbuf.h"

/* A sibling is "fast" below 5% of its parent's duration; runs of >= 4 fast ones fold. */
#define ATR__FOLD_PERMILLE 50
#define ATR__FOLD_MIN 4

/* Children of `call` in start order into *kids (grown with realloc; caller frees). */
int atr__children(const atr_index *ix, uint32_t call, uint32_t **kids, uint32_t *n);

/*
 * How many siblings starting at kids[i] fold into one line (>= ATR__FOLD_MIN), or 0 when
 * kids[i] is shown on its own. parent_ns is the parent's duration.
 */
uint32_t atr__fold_run(const atr_index *ix, const uint32_t *kids, uint32_t n, uint32_t i,
                       uint64_t parent_ns);

/* Append the folded line's text for kids[0 .. n-1]; *total_ns receives their total time. */
void atr__sb_fold(atr__sbuf *sb, const atr_index *ix, const uint32_t *kids, uint32_t n,
                  uint64_t *total_ns);

#endif /* ATR_VIEWER_CALLTREE_H */
