/*
 * `summary LOG...`: per function calls, total, self, p50/p95/p99/max, by total time. Times
 * are active times: a generator's or coroutine's calls count only while they ran (a note
 * says so when some did suspend); --json also gives total_ns, the sum of durations.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "load.h"
#include "opts.h"
#include "render.h"

enum { OPT_JSON = 1, OPT_LIMIT };
static const atr__opt summary_opts[] = {
    {"json", 0, 0, OPT_JSON,
     "--json       a JSON list of {function, calls, total_ns, active_ns, self_ns, ...}"},
    {"limit", 'n', 1, OPT_LIMIT, "-n, --limit N  show the N functions with most total time"},
    ATR__OPTS_WIDTH,
    {NULL, 0, 0, 0, NULL},
};

typedef struct row {
    uint32_t fn;
    const atr_stats *st;
    char *name; /* escaped full name, owned */
} row;

static int by_total(const void *a, const void *b) {
    const row *x = a, *y = b;
    if (x->st->active_ns != y->st->active_ns)
        return x->st->active_ns < y->st->active_ns ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void print_text(atr__vctx *ctx, const row *rows, size_t n) {
    static const char *const heads[] = {"function", "calls", "total", "self",
                                        "p50",      "p95",   "p99",   "max"};
    atr__table t;
    atr__table_init(&t, 8, heads, "lrrrrrrr");
    /* names give up their common start first ("…reindent.ReindentFilter._process"); below
       32 columns for them, p99, p95, p50 and self go */
    atr__table_fit(&t, ctx->width, 0, ATR__FIT_LEFT, 32, "6543");
    char buf[32];
    int suspended = 0;
    for (size_t i = 0; i < n; i++) {
        const atr_stats *s = rows[i].st;
        suspended |= s->active_ns != s->total_ns;
        atr__table_cell(&t, rows[i].name);
        atr__fmt_count(buf, sizeof buf, s->count);
        atr__table_cell(&t, buf);
        const uint64_t v[] = {s->active_ns, s->self_ns, s->p50_ns, s->p95_ns, s->p99_ns, s->max_ns};
        for (size_t k = 0; k < 6; k++) {
            atr__fmt_dur(buf, sizeof buf, v[k]);
            atr__table_cell(&t, buf);
        }
    }
    atr__table_print(&t, ctx->out, ctx->color, 0);
    atr__table_free(&t);
    if (suspended)
        atr__fput_wrap(ctx->out,
                       "(generators and coroutines count only while they ran: active time, not "
                       "the time from first call to completion)\n",
                       ctx->width);
}

static void print_json(atr__vctx *ctx, const atr_index *ix, const row *rows, size_t n) {
    atr__json j;
    atr__json_init(&j, ctx->out, 1);
    atr__json_arr_begin(&j);
    for (size_t i = 0; i < n; i++) {
        const atr_stats *s = rows[i].st;
        char name[512];
        size_t len = atr_function_name(ix, rows[i].fn, name, sizeof name);
        atr__json_obj_begin(&j);
        atr__json_key(&j, "function");
        atr__json_str(&j, name, len < sizeof name ? len : sizeof name - 1);
        atr__json_kuint(&j, "calls", s->count);
        atr__json_kuint(&j, "total_ns", s->total_ns);
        atr__json_kuint(&j, "active_ns", s->active_ns);
        atr__json_kuint(&j, "self_ns", s->self_ns);
        atr__json_kuint(&j, "p50_ns", s->p50_ns);
        atr__json_kuint(&j, "p95_ns", s->p95_ns);
        atr__json_kuint(&j, "p99_ns", s->p99_ns);
        atr__json_kuint(&j, "max_ns", s->max_ns);
        atr__json_obj_end(&j);
    }
    atr__json_arr_end(&j);
    atr__json_end_line(&j);
}

typedef struct summary_args {
    int json;
    uint64_t limit;
} summary_args;

static int on_opt(atr__vctx *ctx, void *ud, int id, const char *arg) {
    summary_args *a = ud;
    if (id == OPT_JSON)
        a->json = 1;
    else if (id == OPT_LIMIT && atr__opt_uint(ctx, "limit", arg, &a->limit) < 0)
        return ATR_VIEWER_USAGE;
    return ATR_VIEWER_OK;
}

/* Rows of functions with calls, by total time; *n_out rows. */
static int collect(const atr_index *ix, const atr_stats *st, uint32_t n_fn, row *rows,
                   size_t *n_out) {
    size_t n = 0;
    for (uint32_t fn = 0; fn < n_fn; fn++) {
        if (st[fn].count == 0)
            continue;
        atr__sbuf sb = ATR__SBUF_INIT;
        atr__sb_funcname(&sb, ix, fn);
        rows[n].fn = fn;
        rows[n].st = &st[fn];
        rows[n].name = atr__sb_take(&sb);
        if (!rows[n++].name)
            return ATR_ENOMEM;
    }
    qsort(rows, n, sizeof *rows, by_total);
    *n_out = n;
    return 0;
}

int atr__cmd_summary(atr__vctx *ctx, int argc, char **argv) {
    atr__operands ops = {0};
    summary_args a = {0, 0};
    int st = atr__parse_args(ctx, argc, argv, summary_opts, &ops, on_opt, &a);
    if (st == ATR_VIEWER_OK && ops.func) {
        atr__errorf(ctx, "'%s' is not a log file (usage: %s summary LOG...)", ops.func, ctx->prog);
        st = ATR_VIEWER_USAGE;
    }
    atr_index *ix = NULL;
    if (st == ATR_VIEWER_OK)
        st = atr__load_logs_stats(ctx, ops.logs, ops.n_logs, &ix);
    atr_stats *stats = NULL;
    row *rows = NULL;
    size_t n = 0;
    uint32_t n_fn = 0;
    if (st == ATR_VIEWER_OK) {
        atr_index_info info;
        atr_index_get_info(ix, &info);
        n_fn = info.n_functions;
        stats = calloc(n_fn + 1u, sizeof *stats);
        rows = calloc(n_fn + 1u, sizeof *rows);
        if (!stats || !rows || atr_stats_all(ix, stats, n_fn) < 0 ||
            collect(ix, stats, n_fn, rows, &n) < 0) {
            atr__errorf(ctx, "out of memory");
            st = ATR_VIEWER_FAIL;
        }
    }
    if (st == ATR_VIEWER_OK) {
        size_t shown = a.limit && a.limit < n ? (size_t)a.limit : n;
        if (a.json)
            print_json(ctx, ix, rows, shown);
        else
            print_text(ctx, rows, shown);
    }
    for (size_t i = 0; rows && i < n_fn; i++)
        free(rows[i].name);
    free(rows);
    free(stats);
    atr_index_free(ix);
    atr__operands_free(&ops);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
