/* `view LOG...`: the interactive terminal viewer (tui.c and its views). */
#include "load.h"
#include "tui.h"

static const atr__opt view_opts[] = {
    {NULL, 0, 0, 0, NULL},
};

static int on_opt(atr__vctx *ctx, void *ud, int id, const char *arg) {
    (void)ctx, (void)ud, (void)id, (void)arg;
    return ATR_VIEWER_OK;
}

int atr__cmd_view(atr__vctx *ctx, int argc, char **argv) {
    atr__operands ops = {0};
    atr_index *ix = NULL;
    int st = atr__parse_args(ctx, argc, argv, view_opts, &ops, on_opt, NULL);
    if (st == ATR_VIEWER_OK && ops.func) {
        atr__errorf(ctx, "'%s' is not a log file (usage: %s view LOG...)", ops.func, ctx->prog);
        st = ATR_VIEWER_USAGE;
    }
    if (st == ATR_VIEWER_OK)
        st = atr__load_logs(ctx, ops.logs, ops.n_logs, &ix);
    if (st == ATR_VIEWER_OK)
        st = atr__tui_run(ix, ctx->err);
    atr_index_free(ix);
    atr__operands_free(&ops);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
