/* `view [--follow] LOG...`: the interactive terminal viewer (tui.c and its views; live:
   tui_live.c). */
#include "load.h"
#include "tui.h"

enum { OPT_FOLLOW = 1 };
static const atr__opt view_opts[] = {
    {"follow", 'f', 0, OPT_FOLLOW,
     "-f, --follow  follow the logs while the program writes them (and its forked children's "
     "logs): the functions screen updates about every second; a log not there yet is waited "
     "for"},
    {NULL, 0, 0, 0, NULL},
};

static int on_opt(atr__vctx *ctx, void *ud, int id, const char *arg) {
    (void)ctx, (void)arg;
    if (id == OPT_FOLLOW)
        *(int *)ud = 1;
    return ATR_VIEWER_OK;
}

int atr__cmd_view(atr__vctx *ctx, int argc, char **argv) {
    atr__operands ops = {0};
    atr_index *ix = NULL;
    int follow = 0;
    int st = atr__parse_args(ctx, argc, argv, view_opts, &ops, on_opt, &follow);
    if (st == ATR_VIEWER_OK && ops.func) {
        atr__errorf(ctx, "'%s' is not a log file (usage: %s view LOG...)", ops.func, ctx->prog);
        st = ATR_VIEWER_USAGE;
    }
    if (st == ATR_VIEWER_OK && follow && ops.n_logs <= 0) {
        atr__errorf(ctx, "no log given (see --help)");
        st = ATR_VIEWER_USAGE;
    } else if (st == ATR_VIEWER_OK && follow) {
        st = atr__tui_follow(ctx, ops.logs, ops.n_logs);
    } else if (st == ATR_VIEWER_OK) {
        st = atr__load_logs(ctx, ops.logs, ops.n_logs, &ix);
        if (st == ATR_VIEWER_OK)
            st = atr__tui_run(ix, ctx->err);
    }
    atr_index_free(ix);
    atr__operands_free(&ops);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
