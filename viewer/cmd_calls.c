/*
 * `calls LOG... [FUNC] [FILTER...] [--sort duration|start] [--limit N]`: FUNC's calls (every
 * function's without FUNC) with
 * arguments, outcome, start (relative to the first event) and duration.
 */
#include <string.h>

#include "json_call.h"
#include "load.h"
#include "render.h"
#include "render_call.h"

enum { OPT_JSON = 1, OPT_SORT, OPT_LIMIT };
static const atr__opt calls_opts[] = {
    {"json", 0, 0, OPT_JSON, "--json       a JSON list of {id, function, args, result, ...}"},
    {"sort", 's', 1, OPT_SORT,
     "-s, --sort duration|start  slowest first, or in time order "
     "(default)"},
    {"limit", 'n', 1, OPT_LIMIT, "-n, --limit N  at most N calls"},
    ATR__OPTS_WIDTH,
    {NULL, 0, 0, 0, NULL},
};

typedef struct calls_args {
    int json;
    int sort;
    uint64_t limit;
} calls_args;

static int on_opt(atr__vctx *ctx, void *ud, int id, const char *arg) {
    calls_args *a = ud;
    if (id == OPT_JSON) {
        a->json = 1;
    } else if (id == OPT_SORT) {
        if (strcmp(arg, "duration") == 0)
            a->sort = ATR_SORT_DURATION;
        else if (strcmp(arg, "start") == 0)
            a->sort = ATR_SORT_START;
        else if (strcmp(arg, "self") == 0)
            a->sort = ATR_SORT_SELF;
        else {
            atr__errorf(ctx, "--sort takes duration, self or start, not '%s'", arg);
            return ATR_VIEWER_USAGE;
        }
    } else if (id == OPT_LIMIT && atr__opt_uint(ctx, "limit", arg, &a->limit) < 0) {
        return ATR_VIEWER_USAGE;
    }
    return ATR_VIEWER_OK;
}

/* The rows of the calls of cs into t. */
static void add_rows(atr__vctx *ctx, const atr_index *ix, const atr_callset *cs, atr__table *t) {
    atr_index_info info;
    atr_index_get_info(ix, &info);
    size_t maxv = atr__value_room_in(ctx, 36); /* id, start, duration, thread */
    atr__sbuf sb = ATR__SBUF_INIT;
    char buf[32];
    for (uint64_t i = 0; i < atr_callset_count(cs); i++) {
        uint32_t call = atr_callset_get(cs, i);
        atr_call_view cv;
        if (atr_index_call(ix, call, &cv) < 0)
            continue;
        atr__sb_clear(&sb);
        atr__sb_call_id(&sb, ix, call);
        atr__table_cell(t, atr__sb_cstr(&sb));
        atr__fmt_dur(buf, sizeof buf, cv.start_ns - info.t_min);
        atr__table_cellf(t, "+%s", buf);
        atr__fmt_dur(buf, sizeof buf, cv.duration_ns);
        atr__table_cell(t, buf);
        atr__table_cellf(t, "%u", cv.thread);
        atr__sb_clear(&sb);
        atr__sb_call_in(&sb, ix, call, &cv, 1, maxv, ctx->width > 36 ? ctx->width - 36 : 0);
        atr__table_cell(t, atr__sb_cstr(&sb));
    }
    atr__sb_free(&sb);
}

/* Two passes over the calls (widths, then the lines): a large log's calls are never all
   kept as text (20M lines took 4.6 GB). */
static void print_text(atr__vctx *ctx, const atr_index *ix, const atr_callset *cs) {
    static const char *const heads[] = {"id", "start", "duration", "thread", "call"};
    atr__table t;
    char buf[32];
    atr__table_init(&t, 5, heads, "rrrrl");
    atr__table_fit(&t, ctx->width, 4, ATR__FIT_RIGHT, 40, "3");
    atr__table_measure(&t);
    add_rows(ctx, ix, cs, &t);
    if (atr__table_stream(&t, ctx->out, ctx->color, 0) == 0)
        add_rows(ctx, ix, cs, &t);
    atr__table_free(&t);
    if (atr_callset_count(cs) < atr_callset_matched(cs)) {
        atr__fmt_count(buf, sizeof buf, atr_callset_matched(cs));
        fprintf(ctx->out, "(%llu of %s matching calls)\n",
                (unsigned long long)atr_callset_count(cs), buf);
    }
}

static void print_json(atr__vctx *ctx, const atr_index *ix, const atr_callset *cs) {
    atr__json j;
    atr__json_init(&j, ctx->out, 1);
    atr__json_arr_begin(&j);
    for (uint64_t i = 0; i < atr_callset_count(cs); i++)
        atr__json_call(&j, ix, atr_callset_get(cs, i));
    atr__json_arr_end(&j);
    atr__json_end_line(&j);
}

int atr__cmd_calls(atr__vctx *ctx, int argc, char **argv) {
    atr__operands ops = {0};
    calls_args a = {0, ATR_SORT_START, 0};
    atr__target t = {0};
    int st = atr__parse_args(ctx, argc, argv, calls_opts, &ops, on_opt, &a);
    /* the text shows no parent or message: only FUNC's calls are needed, unless by self time */
    t.selective = !a.json && a.sort != ATR_SORT_SELF;
    if (st == ATR_VIEWER_OK)
        st = atr__target_open(ctx, &ops, 0, &t);
    atr_callset *cs = NULL;
    if (st == ATR_VIEWER_OK)
        st = atr__target_query(ctx, &t, a.sort, 0, a.limit, &cs);
    if (st == ATR_VIEWER_OK) {
        if (a.json)
            print_json(ctx, t.ix, cs);
        else
            print_text(ctx, t.ix, cs);
    }
    atr_callset_free(cs);
    atr__target_close(&t);
    atr__operands_free(&ops);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
