/*
 * What the analysis-based commands share: load the LOG operands into one index (with the
 * progress indicator, warnings for truncated/unclosed logs, one-line errors), resolve FUNC,
 * a call id and the FILTER operands. Calls as text: render_call.h; as JSON: json_call.h.
 */
#ifndef ATR_VIEWER_LOAD_H
#define ATR_VIEWER_LOAD_H

#include "argtrace/atr_analysis.h"
#include "cmd.h"
#include "opts.h"

/*
 * Load `paths` into a new index (*out, owned by the caller). Prints warnings for truncated,
 * unclosed and lossy logs and errors for unreadable ones. Returns an ATR_VIEWER_* status.
 */
int atr__load_logs(atr__vctx *ctx, const char *const *paths, int n, atr_index **out);
/*
 * Same, for atr_stats_all only (summary): a statistics-only index (atr_index_set_stats_only:
 * about 4 bytes per call), or the full index when a log needs it. Other queries see no calls.
 */
int atr__load_logs_stats(atr__vctx *ctx, const char *const *paths, int n, atr_index **out);

/*
 * Resolve a FUNC operand. On failure prints one line, listing the candidates (ambiguous) or
 * near names (unknown), and returns ATR_VIEWER_FAIL; else ATR_VIEWER_OK.
 */
int atr__resolve_func(atr__vctx *ctx, const atr_index *ix, const char *name, uint32_t *fn);

/*
 * AND the FILTER operands into one filter (*out; NULL when there are none), checked against
 * fn's arguments (fn may be ATR_ALL_FUNCTIONS: not checked). Syntax errors → usage status.
 */
int atr__build_filter(atr__vctx *ctx, const atr_index *ix, uint32_t fn, const char *const *words,
                      int n, atr_filter **out);

/*
 * The call named by a printed id (`opt` names where it came from, e.g. "--id"). On failure
 * prints one line: not an id or "N" with several logs → ATR_VIEWER_USAGE, no such call →
 * ATR_VIEWER_FAIL.
 */
int atr__resolve_call(atr__vctx *ctx, const atr_index *ix, const char *opt, const char *text,
                      uint32_t *call);

/* What slow/tree/calls work on: the loaded logs, FUNC and the filters. */
typedef struct atr__target {
    atr_index *ix; /* owned */
    uint32_t fn;
    atr_filter *filter; /* owned, NULL: no filter */
    int selective;      /* set before opening: only FUNC's calls are needed (slow, calls), or only
                      the picked call's subtree (tree, atr__target_pick) */
    int quiet;          /* set before opening: no warnings about the logs (already given) */
    int partial;        /* set by opening: the selective load held (calls nest on threads) */
} atr__target;

/*
 * Load ops->logs, resolve ops->func (required when need_func), build the filter from
 * ops->filters. With t->selective and a FUNC, the index keeps only the calls of the functions
 * FUNC names (atr_index_set_keep_function; the whole index for logs it declines): their
 * ids, arguments, durations and queries are those of the whole index, their parents, self
 * times and messages not. Returns an ATR_VIEWER_* status; close the target in every case.
 */
int atr__target_open(atr__vctx *ctx, const atr__operands *ops, int need_func, atr__target *t);
void atr__target_close(atr__target *t);

/*
 * The subtree of call `number` of the log at path only (atr_index_set_keep_subtree), into a
 * new index *out (quiet: without the warnings about the log). With frames (not NULL), only
 * the frames of the log that can hold it are read when the log allows
 * (atr_index_set_subtree_frames), else all. ATR_VIEWER_OK, or ATR_VIEWER_FAIL without a
 * message (the log needs the whole index, or does not load: load it whole for the message).
 */
int atr__load_subtree(atr__vctx *ctx, const char *path, uint64_t number, int quiet,
                      const atr_subtree_frames *frames, atr_index **out);

/* atr__parse_args() then atr__target_open(): the start of slow/tree/calls. */
int atr__target_setup(atr__vctx *ctx, int argc, char **argv, const atr__opt *opts,
                      atr__opt_fn on_opt, void *ud, int need_func, atr__operands *ops,
                      atr__target *t);

/* Run a query on t's function and filter; prints the error. Returns an ATR_VIEWER_* status. */
int atr__target_query(atr__vctx *ctx, const atr__target *t, int sort, uint64_t offset,
                      uint64_t limit, atr_callset **out);

/*
 * The call of a one-call command (pick.c): with `id` (--id, NULL if not given) the call
 * with that printed id (no FUNC, filter or --rank allowed: `ranked` says --rank was
 * given), else FUNC's rank'th slowest call matching the filters (*matched: how many
 * match). Opens *t like atr__target_open (close it in every case); prints the errors.
 * Returns an ATR_VIEWER_* status.
 */
int atr__target_pick(atr__vctx *ctx, const atr__operands *ops, const char *id, int ranked,
                     uint64_t rank, atr__target *t, uint32_t *call, uint64_t *matched);
/* The value of --rank N (from 1) into *rank, *ranked = 1; prints the error. */
int atr__opt_rank(atr__vctx *ctx, const char *arg, uint64_t *rank, int *ranked);

#endif /* ATR_VIEWER_LOAD_H */
