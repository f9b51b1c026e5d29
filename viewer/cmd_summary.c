/*
 * `summary LOG...`: per function calls, total, self, p50/p95/p99/max, by total time. Times
 * are active times: a generator's or coroutine's calls count only while they ran (a note
 * says so when some did suspend). "total" counts a recursive function's time once: a call
 * inside another call of the same function is in that call's time already (atr_stats
 * inclusive_ns; a note says so when some function recursed). --json also gives total_ns,
 * the sum of durations, and active_ns, the sum of active times, over all calls.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "follow.h"
#include "json.h"
#include "load.h"
#include "opts.h"
#include "render.h"
#include "render_call.h"

enum { OPT_JSON = 1, OPT_LIMIT, OPT_FOLLOW, OPT_RAW };
static const atr__opt summary_opts[] = {
    {"json", 0, 0, OPT_JSON,
     "--json       a JSON list of {function, calls, inclusive_ns, total_ns, active_ns, self_ns, "
     "...}"},
    {"limit", 'n', 1, OPT_LIMIT, "-n, --limit N  show the N functions with most total time"},
    {"follow", 'f', 0, OPT_FOLLOW,
     "-f, --follow  follow the logs while the program writes them (and its forked children's "
     "logs): redraw about every second on a terminal, append on a pipe; Ctrl-C stops"},
    {"recorded", 0, 0, OPT_RAW,
     "--recorded   a sampled log's recorded figures, not the estimates (~) scaled from them"},
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
    if (x->st->est_inclusive_ns != y->st->est_inclusive_ns)
        return x->st->est_inclusive_ns < y->st->est_inclusive_ns ? 1 : -1;
    if (x->st->est_active_ns != y->st->est_active_ns)
        return x->st->est_active_ns < y->st->est_active_ns ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* "~" before an estimate (a sampled log's figure scaled up), then the text. */
static void est_cell(atr__table *t, int est, const char *text) {
    char buf[40];
    snprintf(buf, sizeof buf, "%s%s", est ? "~" : "", text);
    atr__table_cell(t, buf);
}

static void print_text(atr__vctx *ctx, const row *rows, size_t n, int raw) {
    static const char *const heads[] = {"function", "calls", "total", "self",
                                        "p50",      "p95",   "p99",   "max"};
    atr__table t;
    atr__table_init(&t, 8, heads, "lrrrrrrr");
    /* names give up their common start first ("…reindent.ReindentFilter._process"); below
       32 columns for them, p99, p95, p50 and self go */
    atr__table_fit(&t, ctx->width, 0, ATR__FIT_LEFT, 32, "6543");
    char buf[32];
    int suspended = 0, sampled = 0, recursed = 0;
    for (size_t i = 0; i < n; i++) {
        const atr_stats *s = rows[i].st;
        int est = s->sampled && !raw;
        suspended |= s->active_ns != s->total_ns;
        sampled |= s->sampled;
        recursed |= s->nested != 0;
        atr__table_cell(&t, rows[i].name);
        atr__fmt_count(buf, sizeof buf, est ? s->est_count : s->count);
        est_cell(&t, est, buf);
        const uint64_t v[] = {est ? s->est_inclusive_ns : s->inclusive_ns,
                              est ? s->est_self_ns : s->self_ns,
                              s->p50_ns,
                              s->p95_ns,
                              s->p99_ns,
                              s->max_ns};
        for (size_t k = 0; k < 6; k++) {
            atr__fmt_dur(buf, sizeof buf, v[k]);
            est_cell(&t, est && k < 2, buf);
        }
    }
    atr__table_print(&t, ctx->out, ctx->color, 0);
    atr__table_free(&t);
    if (suspended)
        atr__fput_wrap(ctx->out,
                       "(generators and coroutines count only while they ran: active time, not "
                       "the time from first call to completion)\n",
                       ctx->width);
    if (recursed)
        atr__fput_wrap(ctx->out,
                       "(recursive functions: a call inside another call of the same function "
                       "is in the outer call's total already, counted once)\n",
                       ctx->width);
    if (sampled)
        atr__fput_wrap(
            ctx->out,
            raw ? "(sampled log: the calls, totals and self times recorded; without "
                  "--recorded, estimates for every call)\n"
                : "(~ estimates: the log recorded a sample of the top-level calls, "
                  "each standing for 1/rate calls; --recorded shows what was recorded)\n",
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
        atr__json_kuint(&j, "calls", s->est_count);
        atr__json_kuint(&j, "inclusive_ns", s->est_inclusive_ns);
        atr__json_kuint(&j, "nested_calls", s->nested);
        atr__json_kuint(&j, "total_ns", s->est_total_ns);
        atr__json_kuint(&j, "active_ns", s->est_active_ns);
        atr__json_kuint(&j, "self_ns", s->est_self_ns);
        if (s->sampled) { /* the figures above are estimates; what was recorded: */
            atr__json_key(&j, "estimated");
            atr__json_bool(&j, 1);
            atr__json_kuint(&j, "recorded_calls", s->count);
            atr__json_kuint(&j, "recorded_inclusive_ns", s->inclusive_ns);
            atr__json_kuint(&j, "recorded_total_ns", s->total_ns);
            atr__json_kuint(&j, "recorded_active_ns", s->active_ns);
            atr__json_kuint(&j, "recorded_self_ns", s->self_ns);
        }
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
    int follow; /* --follow */
    int raw;    /* --recorded */
} summary_args;

static int on_opt(atr__vctx *ctx, void *ud, int id, const char *arg) {
    summary_args *a = ud;
    if (id == OPT_JSON)
        a->json = 1;
    else if (id == OPT_FOLLOW)
        a->follow = 1;
    else if (id == OPT_RAW)
        a->raw = 1;
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

/* The summary of an index on ctx->out (text or JSON). Returns an ATR_VIEWER_* status. */
static int show(atr__vctx *ctx, const atr_index *ix, const summary_args *a) {
    atr_index_info info;
    atr_index_get_info(ix, &info);
    uint32_t n_fn = info.n_functions;
    atr_stats *stats = calloc(n_fn + 1u, sizeof *stats);
    row *rows = calloc(n_fn + 1u, sizeof *rows);
    size_t n = 0;
    int st = ATR_VIEWER_OK;
    if (!stats || !rows || atr_stats_all(ix, stats, n_fn) < 0 ||
        collect(ix, stats, n_fn, rows, &n) < 0) {
        atr__errorf(ctx, "out of memory");
        st = ATR_VIEWER_FAIL;
    }
    if (st == ATR_VIEWER_OK) {
        size_t shown = a->limit && a->limit < n ? (size_t)a->limit : n;
        if (a->json)
            print_json(ctx, ix, rows, shown);
        else
            print_text(ctx, rows, shown, a->raw);
    }
    for (size_t i = 0; rows && i < n_fn; i++)
        free(rows[i].name);
    free(rows);
    free(stats);
    return st;
}

/* ---- --follow ----------------------------------------------------------------------- */

#define POLL_MS 250u    /* how often the files are looked at */
#define REDRAW_MS 1000u /* at most one summary a second (more when building takes long) */

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The line under a summary: what is followed and how to stop. */
static void follow_status(atr__vctx *ctx, atr__follow *f, const atr_index *ix, int finished) {
    atr_index_info info;
    atr_index_get_info(ix, &info);
    uint32_t files, closed;
    atr__follow_counts(f, &files, &closed);
    char calls[32], line[256], clock[16] = "";
    atr__fmt_count(calls, sizeof calls, info.n_calls);
    time_t t = time(NULL);
    struct tm tm;
    if (localtime_r(&t, &tm))
        strftime(clock, sizeof clock, "%H:%M:%S", &tm);
    if (finished)
        snprintf(line, sizeof line, "%s  %s calls, %u log%s: the program finished\n", clock, calls,
                 files, files == 1 ? "" : "s");
    else
        snprintf(line, sizeof line,
                 "%s  %s calls, %u log%s (%u closed); following (Ctrl-C to stop)\n", clock, calls,
                 files, files == 1 ? "" : "s", closed);
    atr__fput_wrap(ctx->out, line, ctx->width);
}

/*
 * summary --follow: a new summary when frames arrived (at most one a REDRAW_MS; a build
 * that takes long spaces them out), in place on a terminal, appended on a pipe (JSON: one
 * array each time). Ends on SIGINT/SIGTERM, or once every log was closed by its writer.
 */
static int follow(atr__vctx *ctx, const atr__operands *ops, const summary_args *a) {
    if (ops->n_logs <= 0) {
        atr__errorf(ctx, "no log given (see --help)");
        return ATR_VIEWER_USAGE;
    }
    atr__follow *f = NULL;
    if (atr__follow_open(ops->logs, ops->n_logs, &f) < 0) {
        atr__errorf(ctx, "out of memory");
        return ATR_VIEWER_FAIL;
    }
    int tty = isatty(fileno(ctx->out)) && !a->json;
    int st = ATR_VIEWER_OK, pending = 1, waited = 0, finished = 0, shown = 0;
    uint64_t next_build = 0, gap = REDRAW_MS;
    char problem[300] = "";
    atr__follow_signals_catch();
    while (!atr__follow_stopped()) {
        int changed = 0;
        if (atr__follow_poll(f, &changed) < 0) {
            atr__errorf(ctx, "out of memory");
            st = ATR_VIEWER_FAIL;
            break;
        }
        if (strcmp(problem, atr__follow_problem(f)) != 0) {
            snprintf(problem, sizeof problem, "%s", atr__follow_problem(f));
            if (problem[0])
                atr__warnf(ctx, "%s", problem);
        }
        pending |= changed;
        if (finished && !pending)
            break; /* every log closed, and nothing came since (no late child's log) */
        if (pending && now_ms() >= next_build) {
            uint64_t t0 = now_ms();
            atr_index *ix = NULL;
            char err[512];
            int rc = atr__follow_index(f, ctx, &ix, err, sizeof err);
            if (rc == ATR_ENOTFOUND) {
                if (!waited++)
                    atr__warnf(ctx, "waiting for %s to be written", ops->logs[0]);
            } else if (rc < 0) {
                atr__errorf(ctx, "%s", err[0] ? err : atr_strerror(rc));
                st = ATR_VIEWER_FAIL;
                break;
            } else {
                finished = atr__follow_finished(f);
                if (tty)
                    fputs("\033[H\033[J", ctx->out);
                else if (!a->json && shown++)
                    fputc('\n', ctx->out);
                st = show(ctx, ix, a);
                if (!a->json)
                    follow_status(ctx, f, ix, finished);
                fflush(ctx->out);
                pending = 0;
            }
            atr_index_free(ix);
            if (st != ATR_VIEWER_OK || ferror(ctx->out))
                break;
            uint64_t took = now_ms() - t0;
            gap = took * 3 > REDRAW_MS ? took * 3 : REDRAW_MS;
            next_build = now_ms() + gap;
        }
        atr__follow_sleep(POLL_MS);
    }
    atr__follow_signals_restore();
    atr__follow_close(f);
    return st;
}

int atr__cmd_summary(atr__vctx *ctx, int argc, char **argv) {
    atr__operands ops = {0};
    summary_args a = {0, 0, 0, 0};
    int st = atr__parse_args(ctx, argc, argv, summary_opts, &ops, on_opt, &a);
    if (st == ATR_VIEWER_OK && ops.func) {
        atr__errorf(ctx, "'%s' is not a log file (usage: %s summary LOG...)", ops.func, ctx->prog);
        st = ATR_VIEWER_USAGE;
    }
    if (st == ATR_VIEWER_OK && a.follow) {
        st = follow(ctx, &ops, &a);
    } else if (st == ATR_VIEWER_OK) {
        atr_index *ix = NULL;
        st = atr__load_logs_stats(ctx, ops.logs, ops.n_logs, &ix);
        if (st == ATR_VIEWER_OK)
            st = show(ctx, ix, &a);
        atr_index_free(ix);
    }
    atr__operands_free(&ops);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
