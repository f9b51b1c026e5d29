/*
 * Call-tree helpers shared by `tree` and the TUI's tree view: children lists and the folding
 * of long runs of fast siblings into one line ("… 1,204 calls to app.g(), 3.1 ms").
 */
#ifndef ATR_VIEWER_CALLTREE_H
#define ATR_VIEWER_CALLTREE_H

#include "argtrace/atr_analysis.h"
#include "strbuf.h"

/*
 * Times in a tree are active times (atr_call_view.active_ns: the duration, except for a
 * generator or coroutine that suspended, which is charged only while it ran). A child's
 * share is the part of it charged to its parent (charged_ns: not what ran while the parent
 * was suspended, e.g. an asyncio task's steps) over its parent's share base.
 */

/* A sibling is "fast" below 5% of its parent's share base; runs of >= 4 fast ones fold. */
#define ATR__FOLD_PERMILLE 50
#define ATR__FOLD_MIN 4

/* Children of `call` in start order into *kids (grown with realloc; caller frees). */
int atr__children(const atr_index *ix, uint32_t call, uint32_t **kids, uint32_t *n);

/*
 * How many siblings starting at kids[i] fold into one line (>= ATR__FOLD_MIN), or 0 when
 * kids[i] is shown on its own. parent_ns is the parent's share base.
 */
uint32_t atr__fold_run(const atr_index *ix, const uint32_t *kids, uint32_t n, uint32_t i,
                       uint64_t parent_ns);

/*
 * Which calls a tree shows only in a count ("… 12 calls under 1.0%, 3.1 ms"): those charged
 * under permille/1000 of their parent, or under floor_ns (e.g. a share of the tree's root).
 * Zero fields do not apply.
 */
typedef struct atr__minor_rule {
    uint32_t permille;
    uint64_t floor_ns;
} atr__minor_rule;

/* 1 if `call` finished normally and is minor under `rule` (parent_ns: its parent's base). */
int atr__is_minor(const atr_index *ix, uint32_t call, uint64_t parent_ns, atr__minor_rule rule);

/* The minor calls of one parent: how many, their time, their function if they share one. */
typedef struct atr__minor_tally {
    uint32_t n;
    uint64_t ns; /* charged to the parent */
    uint32_t fn; /* the first one's function; after atr__minor_top, the one they spent most in */
    int mixed;   /* 1: not all of fn */
} atr__minor_tally;

/* Count `call` in *t (zeroed first). */
void atr__minor_add(const atr_index *ix, atr__minor_tally *t, uint32_t call);

/* Name in t->fn the function whose calls among calls[0..n) (those counted in *t) took the
   most time: the line "… 781 calls (f(), …)" then names where most of it went, not the first
   call's function (unchanged when memory is short). */
void atr__minor_top(const atr_index *ix, const uint32_t *calls, uint32_t n, atr__minor_tally *t);

/* Whether the minor ones among kids[0..n) are counted on one line: two or more, or a single
   one with calls under it (a single leaf is shown as itself). */
int atr__minor_folds(const atr_index *ix, const uint32_t *kids, uint32_t n, uint64_t parent_ns,
                     atr__minor_rule rule);

/*
 * Keep in kids[] (in order) the calls that are not minor under `rule`; returns how many
 * stay. The others are counted in *minor when atr__minor_folds says so (else all stay).
 */
uint32_t atr__prune_minor(const atr_index *ix, uint32_t *kids, uint32_t n, uint64_t parent_ns,
                          atr__minor_rule rule, atr__minor_tally *minor);

/* Append "… 12 calls to f() under 1.0%, 3.1 ms" (or "(f(), …) under 488 µs") for *minor,
   in room columns (0: no limit) if cutting the start of the name can do it. */
void atr__sb_minor(atr__sbuf *sb, const atr_index *ix, const atr__minor_tally *minor,
                   atr__minor_rule rule, size_t room);

/* Parse a share "1%", "0.5%" or "1" (percent) into permille; -1 if it is not one. */
int atr__parse_share(const char *s, uint32_t *permille);

/* Append the folded line's text for kids[0 .. n-1], in room columns (0: no limit) if cutting
   the start of the name can do it; *total_ns receives their total time (charged to the
   parent). */
void atr__sb_fold(atr__sbuf *sb, const atr_index *ix, const uint32_t *kids, uint32_t n, size_t room,
                  uint64_t *total_ns);

/* Time per function: of a call's folded children, or of the calls whose generator or
   coroutine steps a call ran (atr__resumed_by_fn). */
typedef struct atr__fn_time {
    uint32_t fn;
    uint32_t calls; /* of fn's calls, how many */
    uint64_t ns;
} atr__fn_time;

/* The time `call` ran other calls' generator or coroutine steps (atr_call_adopted), per
   function of the calls it resumed, into *out (malloc'd; caller frees), the most time first
   (ties: the lowest function id); *n = 0 and *out = NULL when there are none, when memory is
   short, or when the load did not keep the calls (a selective load). */
void atr__resumed_by_fn(const atr_index *ix, uint32_t call, atr__fn_time **out, uint32_t *n);

/* Append the row of that time: "(resumed: m.fetch ×5, …)", the function it ran most of,
   its calls, "…" when there were others; in room columns (0: no limit) if cutting the start
   of the name can do it. */
void atr__sb_adopted(atr__sbuf *sb, const atr_index *ix, uint32_t call, size_t room);

/* What the shares of a call's children divide: its active time, or the sum of its
   children's when larger (they ran outside its active intervals), so they never exceed
   100% together. */
uint64_t atr__share_base(const atr_call_view *cv);

/* The active time of `call` (0 if unknown). */
uint64_t atr__active_of(const atr_index *ix, uint32_t call);

/* Whether a call's active time is worth a mark: it suspended, and the two differ as shown. */
int atr__shows_active(const atr_call_view *cv);

/* "  [active 1.20 ms]" after a call atr__shows_active accepts, else nothing. */
void atr__sb_active(atr__sbuf *sb, const atr_call_view *cv);

/* The maxv (columns of a value; the name gets maxv + 8) for a call's text in `room` columns
   (0: no limit) that ends in its "[active T]": the name, cut from its start, leaves room
   for the tag and "(…)", so that a cut before the tag takes the arguments, not the end of
   the name. maxv itself when there is no tag or room enough. */
size_t atr__maxv_before_active(const atr_call_view *cv, size_t room, size_t maxv);

#endif /* ATR_VIEWER_CALLTREE_H */
