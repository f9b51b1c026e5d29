/* The text of `why` (cmd_why.c), shared by the command and the TUI's why view. */
#ifndef ATR_VIEWER_WHY_H
#define ATR_VIEWER_WHY_H

#include <stdint.h>

#include "argtrace/atr_analysis.h"
#include "cmd.h"

/*
 * The text of `why` for `call` (cmd_why.c) on ctx->out, at most 80 columns: rank and
 * matched for the first line (rank 0: chosen by id), the logs for the suggested next
 * command (n_logs 0: only the next call's id), at most max_children child functions (0:
 * all). *next gets the call worth a closer look, or ATR_NO_CALL. Returns 0 or ATR_ENOMEM.
 */
int atr__why_text(atr__vctx *ctx, const atr_index *ix, uint32_t call, uint64_t rank,
                  uint64_t matched, const char *const *logs, int n_logs, uint64_t max_children,
                  uint32_t *next);

#endif /* ATR_VIEWER_WHY_H */
