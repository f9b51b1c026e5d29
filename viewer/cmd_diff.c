/*
 * `diff BASE NEW [FUNC] [FILTER...]` (or `--base LOG... --new LOG...`): what got slower or
 * faster between two runs, per function and per argument group, with a rank test
 * (atr_diff_compute in the analysis layer). Text fits the width (--width; cmd.h); --json
 * gives everything.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "load.h"
#include "render.h"
#include "render_call.h"
#include "tui.h"

enum {
    OPT_JSON = 1,
    OPT_BASE,
    OPT_NEW,
    OPT_LIMIT,
    OPT_GROUPS,
    OPT_DETAILS,
    OPT_MIN,
    OPT_ALPHA,
    OPT_TUI
};
static const atr__opt diff_opts[] = {
    {"json", 0, 0, OPT_JSON,
     "--json       {base, new, functions: [{function, base, new, ..., arguments}]}"},
    {"base", 0, 0, OPT_BASE, "--base LOG...  the logs that follow are the base run"},
    {"new", 0, 0, OPT_NEW, "--new LOG...   the logs that follow are the new run"},
    {"limit", 'n', 1, OPT_LIMIT,
     "-n, --limit N  functions listed (default 20, 0: all; --json: all)"},
    {"groups", 'g', 1, OPT_GROUPS, "-g, --groups N  groups shown per argument (default 5, 0: all)"},
    {"details", 'd', 1, OPT_DETAILS,
     "-d, --details N  argument groups of the first N functions (default 3)"},
    {"min-calls", 0, 1, OPT_MIN,
     "--min-calls N  calls each run needs for significance (default 10)"},
    {"alpha", 0, 1, OPT_ALPHA, "--alpha P    significance level (default 0.01)"},
    {"tui", 0, 0, OPT_TUI, "--tui        browse the result in the terminal viewer"},
    ATR__OPTS_WIDTH,
    {NULL, 0, 0, 0, NULL},
};

typedef struct diff_args {
    int json, tui, limit_given;
    uint64_t limit, groups, details, min_calls;
    double alpha;
} diff_args;

static int on_opt(atr__vctx *ctx, void *ud, int id, const char *arg) {
    diff_args *a = ud;
    if (id == OPT_JSON) {
        a->json = 1;
    } else if (id == OPT_TUI) {
        a->tui = 1;
    } else if (id == OPT_LIMIT) {
        a->limit_given = 1;
        if (atr__opt_uint(ctx, "limit", arg, &a->limit) < 0)
            return ATR_VIEWER_USAGE;
    } else if (id == OPT_GROUPS && atr__opt_uint(ctx, "groups", arg, &a->groups) < 0) {
        return ATR_VIEWER_USAGE;
    } else if (id == OPT_DETAILS && atr__opt_uint(ctx, "details", arg, &a->details) < 0) {
        return ATR_VIEWER_USAGE;
    } else if (id == OPT_MIN && atr__opt_uint(ctx, "min-calls", arg, &a->min_calls) < 0) {
        return ATR_VIEWER_USAGE;
    } else if (id == OPT_ALPHA) {
        char *end = NULL;
        a->alpha = strtod(arg, &end);
        if (end == arg || *end || !(a->alpha > 0) || !(a->alpha < 1)) {
            atr__errorf(ctx, "--alpha wants a probability between 0 and 1, e.g. 0.05");
            return ATR_VIEWER_USAGE;
        }
    }
    return ATR_VIEWER_OK;
}

/*
 * The command line: options, and operands split into logs (each with its run: 0 unsaid,
 * 1 base, 2 new), FUNC and filters.
 */
static int parse(atr__vctx *ctx, int argc, char **argv, diff_args *a, atr__operands *ops,
                 int *side) {
    atr__optparser p;
    const char *arg;
    int id, cur = 0;
    atr__opt_init(&p, ctx, argc, argv, diff_opts);
    while ((id = atr__opt_next(&p, &arg)) != ATR__OPT_END) {
        if (id == ATR__OPT_ERROR)
            return ATR_VIEWER_USAGE;
        if (id == ATR__OPT_HELP) {
            atr__opt_usage(ctx, diff_opts);
            return ATR__HELP_SHOWN;
        }
        if (id == OPT_BASE || id == OPT_NEW) {
            cur = id == OPT_BASE ? 1 : 2;
            continue;
        }
        if (id == ATR__OPT_OPERAND) {
            int before = ops->n_logs;
            if (atr__operands_add(ops, arg) < 0) {
                atr__errorf(ctx, "out of memory");
                return ATR_VIEWER_FAIL;
            }
            if (ops->n_logs > before)
                side[before] = cur;
            continue;
        }
        int st = atr__opt_width(ctx, id, arg);
        if (st == -1)
            st = on_opt(ctx, a, id, arg);
        if (st != ATR_VIEWER_OK)
            return st;
    }
    return ATR_VIEWER_OK;
}

/* Order the logs base first into paths[]; *n_base of them. Prints the error. */
static int split_runs(atr__vctx *ctx, const atr__operands *ops, const int *side, const char **paths,
                      int *n_base) {
    int labelled = 0, nb = 0, k = 0;
    for (int i = 0; i < ops->n_logs; i++)
        labelled |= side[i] != 0;
    if (!labelled) {
        if (ops->n_logs != 2) {
            atr__errorf(ctx,
                        ops->n_logs < 2 ? "needs two logs: BASE NEW (see --help)"
                                        : "%d logs: say which run each belongs to, "
                                          "e.g. --base a.atr b.atr --new c.atr",
                        ops->n_logs);
            return ATR_VIEWER_USAGE;
        }
        paths[0] = ops->logs[0];
        paths[1] = ops->logs[1];
        *n_base = 1;
        return ATR_VIEWER_OK;
    }
    for (int s = 1; s <= 2; s++) {
        int n = 0;
        for (int i = 0; i < ops->n_logs; i++) {
            if (side[i] == 0) {
                atr__errorf(ctx, "%s: say which run it belongs to (--base or --new before it)",
                            ops->logs[i]);
                return ATR_VIEWER_USAGE;
            }
            if (side[i] == s)
                paths[k++] = ops->logs[i], n++;
        }
        if (n == 0) {
            atr__errorf(ctx, "no log for the %s run (--%s LOG...)", s == 1 ? "base" : "new",
                        s == 1 ? "base" : "new");
            return ATR_VIEWER_USAGE;
        }
        if (s == 1)
            nb = n;
    }
    *n_base = nb;
    return ATR_VIEWER_OK;
}

/* The same path in both runs: say so before the index refuses the second load. */
static int check_distinct(atr__vctx *ctx, const char *const *paths, int n_base, int n) {
    for (int i = 0; i < n_base; i++)
        for (int k = n_base; k < n; k++)
            if (strcmp(paths[i], paths[k]) == 0) {
                atr__errorf(ctx, "%s is in both runs: diff compares two different runs", paths[i]);
                return ATR_VIEWER_USAGE;
            }
    return ATR_VIEWER_OK;
}

/* FUNC: ambiguous only between functions of different names (one name in several files,
   e.g. moved between the runs, is one function here). */
static int resolve(atr__vctx *ctx, const atr_index *ix, const char *name, uint32_t *fn) {
    uint32_t cands[16], n = 0;
    int rc = atr_index_find_function(ix, name, fn, cands, 16, &n);
    if (rc == ATR_EAMBIGUOUS && n <= 16) {
        char a[512], b[512];
        int same = atr_function_name(ix, cands[0], a, sizeof a) < sizeof a;
        for (uint32_t i = 1; same && i < n; i++)
            same = atr_function_name(ix, cands[i], b, sizeof b) < sizeof b && strcmp(a, b) == 0;
        if (same) {
            *fn = cands[0];
            return ATR_VIEWER_OK;
        }
    }
    return rc == 0 ? ATR_VIEWER_OK : atr__resolve_func(ctx, ix, name, fn);
}

/* ---- text ---- */

static void fmt_added(char *buf, size_t size, int64_t ns) {
    char d[32];
    atr__fmt_dur(d, sizeof d, ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns);
    snprintf(buf, size, "%s%s", ns > 0 ? "+" : ns < 0 ? "-" : "", d);
}

static void fmt_ratio(char *buf, size_t size, double r) {
    if (isnan(r))
        snprintf(buf, size, "–");
    else if (isinf(r))
        snprintf(buf, size, "∞");
    else if (r < 0.005)
        snprintf(buf, size, "<0.01×");
    else
        snprintf(buf, size, r < 9.995 ? "%.2f×" : r < 99.95 ? "%.1f×" : "%.0f×", r);
}

static void fmt_p(char *buf, size_t size, const atr_diff_stat *st) {
    if (isnan(st->p_value))
        snprintf(buf, size, "–");
    else if (st->p_value < 0.001)
        snprintf(buf, size, "<0.001%s", st->significant ? " *" : "");
    else
        snprintf(buf, size, "%.3f%s", st->p_value, st->significant ? " *" : "");
}

static void fmt_p50(char *buf, size_t size, const atr_diff_side *s) {
    if (s->calls == 0)
        snprintf(buf, size, "–");
    else
        atr__fmt_dur(buf, size, s->p50_ns);
}

#define NUM_COLS 6
typedef struct row {
    char cell[NUM_COLS][72];
    atr__sbuf label;
} row;

static void fill_row(row *r, const atr_diff_stat *st) {
    char a[32], b[32];
    fmt_added(r->cell[0], sizeof r->cell[0], st->added_ns);
    atr__fmt_count(a, sizeof a, st->side[ATR_DIFF_BASE].calls);
    atr__fmt_count(b, sizeof b, st->side[ATR_DIFF_NEW].calls);
    snprintf(r->cell[1], sizeof r->cell[1], "%s→%s", a, b);
    fmt_p50(r->cell[2], sizeof r->cell[2], &st->side[ATR_DIFF_BASE]);
    fmt_p50(r->cell[3], sizeof r->cell[3], &st->side[ATR_DIFF_NEW]);
    fmt_ratio(r->cell[4], sizeof r->cell[4], st->ratio_p50);
    fmt_p(r->cell[5], sizeof r->cell[5], st);
}

/*
 * Print rows as a table whose last column (`last`: "function" or "value") gets the width
 * the others leave; cut from the left (names) or in the middle (values).
 */
static void print_rows(atr__vctx *ctx, row *rows, size_t n, const char *last, size_t indent,
                       int cut_left) {
    const char *const heads[NUM_COLS + 1] = {"added", "calls", "p50 base", "new",
                                             "ratio", "p",     last};
    atr__table t;
    atr__table_init(&t, NUM_COLS + 1, heads, "rrrrrll");
    atr__table_fit(&t, ctx->width, NUM_COLS, cut_left ? ATR__FIT_LEFT : ATR__FIT_MID, 12, NULL);
    for (size_t r = 0; r < n; r++) {
        for (size_t c = 0; c < NUM_COLS; c++)
            atr__table_cell(&t, rows[r].cell[c]);
        atr__table_cell(&t, atr__sb_cstr(&rows[r].label));
    }
    atr__table_print(&t, ctx->out, ctx->color, indent);
    atr__table_free(&t);
}

static void free_rows(row *rows, size_t n) {
    for (size_t r = 0; rows && r < n; r++)
        atr__sb_free(&rows[r].label);
    free(rows);
}

/* A line of text, cut to the width. */
static void put_line(atr__vctx *ctx, atr__sbuf *sb) {
    if (ctx->width)
        atr__sb_fit(sb, 0, ctx->width);
    fputs(atr__sb_cstr(sb), ctx->out);
    fputc('\n', ctx->out);
    atr__sb_clear(sb);
}

static void print_paths(atr__vctx *ctx, const char *what, const char *const *paths, int n) {
    atr__sbuf sb = ATR__SBUF_INIT;
    atr__sb_puts(&sb, what);
    for (int i = 0; i < n; i++) {
        atr__sb_puts(&sb, i ? ", " : "");
        atr__esc_text(&sb, paths[i], strlen(paths[i]), ATR__ESC_BARE);
    }
    put_line(ctx, &sb);
    atr__sb_free(&sb);
}

/* The two runs' figures of one function, side by side. */
static void print_sides(atr__vctx *ctx, const atr_diff_stat *st) {
    static const char *const heads[] = {"", "calls", "total", "p50", "p95"};
    atr__table t;
    atr__table_init(&t, 5, heads, "lrrrr");
    char buf[40];
    for (int s = 0; s < 2; s++) {
        const atr_diff_side *sd = &st->side[s];
        atr__table_cell(&t, s == ATR_DIFF_BASE ? "base" : "new");
        atr__fmt_count(buf, sizeof buf, sd->calls);
        atr__table_cell(&t, buf);
        const uint64_t v[] = {sd->total_ns, sd->p50_ns, sd->p95_ns};
        for (int k = 0; k < 3; k++) {
            if (sd->calls)
                atr__fmt_dur(buf, sizeof buf, v[k]);
            else
                snprintf(buf, sizeof buf, "–");
            atr__table_cell(&t, buf);
        }
    }
    atr__table_cell(&t, "change");
    atr__table_cell(&t, "");
    fmt_added(buf, sizeof buf, st->added_ns);
    atr__table_cell(&t, buf);
    fmt_ratio(buf, sizeof buf, st->ratio_p50);
    atr__table_cell(&t, buf);
    fmt_ratio(buf, sizeof buf, st->ratio_p95);
    atr__table_cell(&t, buf);
    atr__table_print(&t, ctx->out, ctx->color, 2);
    atr__table_free(&t);
}

static const char *mode_text(uint32_t mode) {
    switch (mode) {
    case ATR_GROUP_RANGE:
        return "value ranges";
    case ATR_GROUP_LENGTH:
        return "length ranges";
    case ATR_GROUP_TYPE:
        return "types";
    default:
        return "values";
    }
}

static void print_details(atr__vctx *ctx, const atr_index *ix, const atr_diff *d, uint32_t i,
                          uint64_t max_g) {
    atr_diff_function f;
    if (atr_diff_function_get(d, i, &f) < 0)
        return;
    atr__sbuf sb = ATR__SBUF_INIT;
    char buf[40];
    atr__sb_style(&sb, ctx->color, ATR__ST_BOLD);
    atr__esc_text(&sb, f.name, strlen(f.name), ATR__ESC_BARE);
    atr__sb_unstyle(&sb, ctx->color);
    fmt_added(buf, sizeof buf, f.stat.added_ns);
    atr__sb_printf(&sb, "  %s", buf);
    if (isnan(f.stat.p_value))
        atr__sb_printf(&sb, ", in the %s run only",
                       f.stat.side[ATR_DIFF_BASE].calls ? "base" : "new");
    else if (f.stat.p_value < 0.001)
        atr__sb_printf(&sb, ", p < 0.001%s", f.stat.significant ? " *" : " (too few calls)");
    else
        atr__sb_printf(&sb, ", p = %.3f%s", f.stat.p_value,
                       f.stat.significant ? " *" : " (not significant)");
    fputc('\n', ctx->out);
    put_line(ctx, &sb);
    print_sides(ctx, &f.stat);
    for (uint32_t a = 0; a < f.n_args; a++) {
        atr_arg_score as;
        if (atr_diff_arg(d, i, a, &as) < 0 || as.n_groups == 0)
            continue;
        uint32_t shown = max_g && max_g < as.n_groups ? (uint32_t)max_g : as.n_groups;
        row *rows = calloc(shown ? shown : 1, sizeof *rows);
        if (!rows)
            break;
        atr__sb_puts(&sb, "\n  by ");
        atr__sb_style(&sb, ctx->color, ATR__ST_BOLD);
        atr__esc_str(&sb, as.name);
        atr__sb_unstyle(&sb, ctx->color);
        atr__sb_printf(&sb, " (%s, %" PRIu32 " group%s):", mode_text(as.mode), as.n_groups,
                       as.n_groups == 1 ? "" : "s");
        put_line(ctx, &sb);
        for (uint32_t g = 0; g < shown; g++) {
            atr_diff_group grp;
            if (atr_diff_group_get(d, i, a, g, &grp) < 0)
                continue;
            fill_row(&rows[g], &grp.stat);
            atr_arg_group ag = {0};
            ag.label = grp.label;
            ag.value = grp.value;
            atr__sb_group_label(&rows[g].label, ix, &ag);
        }
        print_rows(ctx, rows, shown, "value", 4, 0);
        free_rows(rows, shown);
        if (shown < as.n_groups)
            fprintf(ctx->out, "    … %" PRIu32 " more groups (--groups 0 shows all)\n",
                    as.n_groups - shown);
    }
    atr__sb_free(&sb);
}

static void print_text(atr__vctx *ctx, const atr_index *ix, const atr_diff *d,
                       const char *const *paths, int n_base, int n_logs, const diff_args *a,
                       int one) {
    print_paths(ctx, "base: ", paths, n_base);
    print_paths(ctx, "new:  ", paths + n_base, n_logs - n_base);
    atr__sbuf sb = ATR__SBUF_INIT;
    atr__sb_puts(&sb, "added = new total − base total (functions and groups sorted by |added|)");
    put_line(ctx, &sb);
    atr__sb_puts(&sb, "p: Mann–Whitney U rank test of the durations, two-sided (normal");
    put_line(ctx, &sb);
    atr__sb_printf(&sb,
                   "approximation, tie-corrected); * significant: p < %g with at least %" PRIu64,
                   a->alpha, a->min_calls);
    put_line(ctx, &sb);
    atr__sb_puts(&sb, "calls in each run. Unfinished calls are left out.");
    put_line(ctx, &sb);
    if (!one)
        fputc('\n', ctx->out);
    uint32_t n = atr_diff_count(d);
    if (n == 0) {
        fputs("no finished calls to compare\n", ctx->out);
        atr__sb_free(&sb);
        return;
    }
    uint32_t shown = !one && a->limit && a->limit < n ? (uint32_t)a->limit : n;
    if (!one) {
        row *rows = calloc(shown, sizeof *rows);
        if (!rows) {
            atr__sb_free(&sb);
            return;
        }
        for (uint32_t i = 0; i < shown; i++) {
            atr_diff_function f;
            if (atr_diff_function_get(d, i, &f) < 0)
                continue;
            fill_row(&rows[i], &f.stat);
            atr__esc_text(&rows[i].label, f.name, strlen(f.name), ATR__ESC_BARE);
        }
        print_rows(ctx, rows, shown, "function", 0, 1);
        free_rows(rows, shown);
        if (shown < n)
            fprintf(ctx->out, "… %" PRIu32 " more functions (--limit 0 shows all)\n", n - shown);
    }
    uint32_t nd = one ? n : (a->details < shown ? (uint32_t)a->details : shown);
    for (uint32_t i = 0; i < nd; i++)
        print_details(ctx, ix, d, i, a->groups);
    if (!one && nd < n) {
        atr__sb_printf(&sb, "\n%s diff BASE NEW FUNC shows one function's argument groups.",
                       ctx->prog);
        put_line(ctx, &sb);
    }
    atr__sb_free(&sb);
}

/* ---- JSON ---- */

static void json_side(atr__json *j, const char *key, const atr_diff_side *s) {
    atr__json_key(j, key);
    atr__json_obj_begin(j);
    atr__json_kuint(j, "calls", s->calls);
    atr__json_kuint(j, "total_ns", s->total_ns);
    atr__json_kuint(j, "p50_ns", s->p50_ns);
    atr__json_kuint(j, "p95_ns", s->p95_ns);
    atr__json_obj_end(j);
}

static void json_stat(atr__json *j, const atr_diff_stat *st) {
    json_side(j, "base", &st->side[ATR_DIFF_BASE]);
    json_side(j, "new", &st->side[ATR_DIFF_NEW]);
    atr__json_kint(j, "added_ns", st->added_ns);
    atr__json_key(j, "ratio_p50");
    atr__json_double(j, st->ratio_p50);
    atr__json_key(j, "ratio_p95");
    atr__json_double(j, st->ratio_p95);
    atr__json_key(j, "p_value");
    atr__json_double(j, st->p_value);
    atr__json_key(j, "significant");
    atr__json_bool(j, st->significant);
}

static void json_paths(atr__json *j, const char *key, const char *const *paths, int n) {
    atr__json_key(j, key);
    atr__json_arr_begin(j);
    for (int i = 0; i < n; i++)
        atr__json_cstr(j, paths[i]);
    atr__json_arr_end(j);
}

static void json_args(atr__json *j, const atr_index *ix, const atr_diff *d, uint32_t i,
                      uint32_t n_args) {
    atr__json_key(j, "arguments");
    atr__json_arr_begin(j);
    for (uint32_t a = 0; a < n_args; a++) {
        atr_arg_score as;
        if (atr_diff_arg(d, i, a, &as) < 0)
            continue;
        atr__json_obj_begin(j);
        atr__json_key(j, "name");
        atr__json_str(j, as.name.ptr, as.name.len);
        atr__json_key(j, "groups");
        atr__json_arr_begin(j);
        for (uint32_t g = 0; g < as.n_groups; g++) {
            atr_diff_group grp;
            atr_value v;
            if (atr_diff_group_get(d, i, a, g, &grp) < 0)
                continue;
            atr__json_obj_begin(j);
            atr__json_key(j, "value");
            if (grp.value != ATR_NO_VALUE && atr_index_value(ix, grp.value, &v) == 0)
                atr__json_value(j, &v);
            else
                atr__json_cstr(j, grp.label);
            json_stat(j, &grp.stat);
            atr__json_kstr(j, "filter", grp.filter);
            atr__json_obj_end(j);
        }
        atr__json_arr_end(j);
        atr__json_obj_end(j);
    }
    atr__json_arr_end(j);
}

static void print_json(atr__vctx *ctx, const atr_index *ix, const atr_diff *d,
                       const char *const *paths, int n_base, int n_logs, const diff_args *a) {
    atr__json j;
    atr__json_init(&j, ctx->out, 7);
    atr__json_obj_begin(&j);
    json_paths(&j, "base", paths, n_base);
    json_paths(&j, "new", paths + n_base, n_logs - n_base);
    atr__json_kstr(&j, "test", "mann-whitney-u");
    atr__json_key(&j, "alpha");
    atr__json_double(&j, a->alpha);
    atr__json_kuint(&j, "min_calls", a->min_calls);
    atr__json_key(&j, "functions");
    atr__json_arr_begin(&j);
    uint32_t n = atr_diff_count(d);
    if (a->limit_given && a->limit && a->limit < n)
        n = (uint32_t)a->limit;
    for (uint32_t i = 0; i < n; i++) {
        atr_diff_function f;
        if (atr_diff_function_get(d, i, &f) < 0)
            continue;
        atr__json_obj_begin(&j);
        atr__json_kstr(&j, "function", f.name);
        json_stat(&j, &f.stat);
        json_args(&j, ix, d, i, f.n_args);
        atr__json_obj_end(&j);
    }
    atr__json_arr_end(&j);
    atr__json_obj_end(&j);
    atr__json_end_line(&j);
}

static int tui_root(atr__tui *app, void *d) { return atr__tui_diff(app, d); }

int atr__cmd_diff(atr__vctx *ctx, int argc, char **argv) {
    atr__operands ops = {0};
    diff_args a = {0, 0, 0, 20, 5, 3, 10, 0.01};
    int *side = calloc((size_t)argc + 1, sizeof *side);
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    atr_index *ix = NULL;
    atr_filter *filter = NULL;
    atr_diff *d = NULL;
    int n_base = 0, st = ATR_VIEWER_FAIL;
    if (!side || !paths)
        atr__errorf(ctx, "out of memory");
    else
        st = parse(ctx, argc, argv, &a, &ops, side);
    if (st == ATR_VIEWER_OK)
        st = split_runs(ctx, &ops, side, paths, &n_base);
    if (st == ATR_VIEWER_OK)
        st = check_distinct(ctx, paths, n_base, ops.n_logs);
    if (st == ATR_VIEWER_OK)
        st = atr__load_logs(ctx, paths, ops.n_logs, &ix);
    atr_diff_config c;
    atr_diff_config_init(&c);
    c.n_base_files = (uint32_t)n_base;
    c.min_calls = a.min_calls;
    c.alpha = a.alpha;
    if (st == ATR_VIEWER_OK && ops.func)
        st = resolve(ctx, ix, ops.func, &c.function);
    if (st == ATR_VIEWER_OK)
        st = atr__build_filter(ctx, ix, c.function, ops.filters, ops.n_filters, &filter);
    c.filter = filter;
    if (st == ATR_VIEWER_OK && atr_diff_compute(ix, &c, &d) < 0) {
        atr__errorf(ctx, "out of memory");
        st = ATR_VIEWER_FAIL;
    }
    if (st == ATR_VIEWER_OK) {
        if (a.tui)
            st = atr__tui_run_root(ix, ctx->err, tui_root, d);
        else if (a.json)
            print_json(ctx, ix, d, paths, n_base, ops.n_logs, &a);
        else
            print_text(ctx, ix, d, paths, n_base, ops.n_logs, &a, ops.func != NULL);
    }
    atr_diff_free(d);
    atr_filter_free(filter);
    atr_index_free(ix);
    atr__operands_free(&ops);
    free(side);
    free(paths);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
