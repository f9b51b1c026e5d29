/*
 * TUI views: functions (the root: per-function statistics by total time) and a function's
 * arguments with their groups (best-explaining argument first).
 */
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "render_call.h"
#include "tui.h"

/* ---- functions ------------------------------------------------------------------------ */

typedef struct funcs {
    atr_stats *st; /* per function id, owned */
    uint32_t *fns; /* functions with calls, by total time; owned */
    uint32_t n;
} funcs;

typedef struct fn_total {
    uint64_t total_ns;
    uint32_t fn;
} fn_total;

static int by_total(const void *a, const void *b) {
    const fn_total *x = a, *y = b;
    if (x->total_ns != y->total_ns)
        return x->total_ns < y->total_ns ? 1 : -1;
    return x->fn < y->fn ? -1 : 1;
}

/* Append durations right-aligned in columns of 9, each preceded by a space. */
static void dur_cols(atr__sbuf *sb, const uint64_t *ns, size_t n) {
    char buf[32];
    for (size_t i = 0; i < n; i++) {
        atr__fmt_dur(buf, sizeof buf, ns[i]);
        atr__sb_putc(sb, ' ');
        atr__sb_right(sb, buf, 9);
    }
}

static uint64_t funcs_count(atr__view *v) { return ((funcs *)v->data)->n; }

static void funcs_header(atr__view *v, atr__sbuf *sb) {
    (void)v;
    atr__sb_printf(sb, "%9s %9s %9s %9s %9s  %s", "calls", "total", "self", "p50", "p95",
                   "function");
}

static void funcs_row(atr__view *v, uint64_t i, atr__sbuf *sb, int *attr) {
    funcs *f = v->data;
    const atr_stats *s = &f->st[f->fns[i]];
    char c[32];
    atr__fmt_count(c, sizeof c, s->count);
    atr__sb_right(sb, c, 9);
    const uint64_t d[] = {s->inclusive_ns, s->self_ns, s->p50_ns, s->p95_ns}; /* as `summary` */
    dur_cols(sb, d, 4);
    atr__sb_puts(sb, "  ");
    size_t at = sb->len;
    atr__sb_funcname(sb, v->app->ix, f->fns[i]);
    /* what the figures (52 columns) leave, the common start going first */
    if (v->app->cols > 52 + 12)
        atr__sb_fit_left(sb, at, (size_t)v->app->cols - 52);
    if (s->raised)
        *attr |= ATR__A_RED;
}

static int funcs_enter(atr__view *v, uint64_t i) {
    funcs *f = v->data;
    return atr__tui_args(v->app, f->fns[i]);
}

static int funcs_key(atr__view *v, int k) {
    funcs *f = v->data;
    if (k == 'r' || k == 'c') {
        if (k == 'r' && atr__tui_replay(v->app, ATR_NO_CALL) < 0)
            atr__tui_message(v->app, "out of memory");
        if (k == 'c' && f->n && atr__tui_calls(v->app, f->fns[v->cursor], "", "") < 0)
            atr__tui_message(v->app, "out of memory");
        return 1;
    }
    return 0;
}

static void funcs_destroy(atr__view *v) {
    funcs *f = v->data;
    if (f) {
        free(f->st);
        free(f->fns);
        free(f);
    }
}

static const atr__view_ops funcs_ops = {funcs_count,
                                        funcs_row,
                                        funcs_header,
                                        funcs_enter,
                                        funcs_key,
                                        funcs_destroy,
                                        "Enter: arguments  c: calls  r: replay"};

int atr__tui_functions(atr__tui *app) {
    atr_index_info info;
    atr_index_get_info(app->ix, &info);
    funcs *f = calloc(1, sizeof *f);
    if (!f)
        return ATR_ENOMEM;
    f->st = calloc(info.n_functions + 1u, sizeof *f->st);
    f->fns = calloc(info.n_functions + 1u, sizeof *f->fns);
    if (!f->st || !f->fns || atr_stats_all(app->ix, f->st, info.n_functions) < 0) {
        atr__view tmp = {.ops = &funcs_ops, .app = app, .data = f};
        funcs_destroy(&tmp);
        return ATR_ENOMEM;
    }
    fn_total *order = calloc(info.n_functions + 1u, sizeof *order);
    if (!order) {
        atr__view tmp = {.ops = &funcs_ops, .app = app, .data = f};
        funcs_destroy(&tmp);
        return ATR_ENOMEM;
    }
    for (uint32_t fn = 0; fn < info.n_functions; fn++)
        if (f->st[fn].count)
            order[f->n++] = (fn_total){f->st[fn].inclusive_ns, fn};
    qsort(order, f->n, sizeof *order, by_total);
    for (uint32_t i = 0; i < f->n; i++)
        f->fns[i] = order[i].fn;
    free(order);
    char title[160];
    char calls[32];
    atr__fmt_count(calls, sizeof calls, info.n_calls);
    snprintf(title, sizeof title, "functions (%u files, %s calls)", info.n_files, calls);
    return atr__tui_push(app, &funcs_ops, f, title);
}

uint32_t atr__tui_functions_selected(const atr__view *v) {
    const funcs *f = v->data;
    return v->ops == &funcs_ops && v->cursor < f->n ? f->fns[v->cursor] : UINT32_MAX;
}

void atr__tui_functions_select(atr__view *v, uint32_t fn) {
    const funcs *f = v->data;
    for (uint32_t i = 0; v->ops == &funcs_ops && i < f->n; i++)
        if (f->fns[i] == fn) {
            atr__tui_goto(v, i);
            return;
        }
}

/* ---- arguments and groups ------------------------------------------------------------- */

typedef struct arg_row {
    int32_t arg;   /* -1: the "(all calls)" row */
    int32_t group; /* -1: the argument's own row */
} arg_row;

typedef struct args {
    uint32_t fn;
    atr_argscore *s; /* owned */
    arg_row *rows;   /* owned */
    uint64_t n;
} args;

static uint64_t args_count(atr__view *v) { return ((args *)v->data)->n; }

static void args_header(atr__view *v, atr__sbuf *sb) {
    (void)v;
    atr__sb_printf(sb, "  %-29s %8s %9s %9s %9s  %s", "argument / value", "calls", "p50", "p95",
                   "max", "hist");
}

static void pad_to(atr__sbuf *sb, size_t from, size_t width) {
    size_t w = sb->oom ? width : atr__utf8_width(sb->ptr + from, sb->len - from);
    if (w < width)
        atr__sb_pad(sb, ' ', width - w);
}

static void args_row(atr__view *v, uint64_t i, atr__sbuf *sb, int *attr) {
    args *a = v->data;
    arg_row r = a->rows[i];
    if (r.arg < 0) {
        atr__sb_puts(sb, "▸ (all calls, slowest first: ");
        atr__sb_count(sb, atr_argscore_calls(a->s));
        atr__sb_putc(sb, ')');
        *attr |= ATR__A_BOLD;
        return;
    }
    atr_arg_score as;
    if (atr_argscore_arg(a->s, (uint32_t)r.arg, &as) < 0)
        return;
    if (r.group < 0) {
        atr__sb_puts(sb, "▸ ");
        atr__esc_str(sb, as.name);
        atr__sb_printf(sb, "   score %.2f   %u group%s", as.score, as.n_groups,
                       as.n_groups == 1 ? "" : "s");
        *attr |= ATR__A_BOLD | ATR__A_CYAN;
        return;
    }
    atr_arg_group g;
    if (atr_argscore_group(a->s, (uint32_t)r.arg, (uint32_t)r.group, &g) < 0)
        return;
    atr__sb_puts(sb, "    ");
    size_t at = sb->len;
    atr__sb_group_label_in(sb, v->app->ix, &g, 27, atr__arg_by_trend(&as));
    atr__sb_fit_mid(sb, at, 27, NULL);
    pad_to(sb, at, 27);
    char c[32];
    atr__fmt_count(c, sizeof c, g.calls);
    atr__sb_putc(sb, ' ');
    atr__sb_right(sb, c, 8);
    const uint64_t d[] = {g.p50_ns, g.p95_ns, g.max_ns};
    dur_cols(sb, d, 3);
    atr__sb_puts(sb, "  ");
    uint64_t h[ATR_HIST_BINS];
    for (int k = 0; k < ATR_HIST_BINS; k++)
        h[k] = g.hist[k];
    atr__spark(sb, h, ATR_HIST_BINS);
}

static int args_enter(atr__view *v, uint64_t i) {
    args *a = v->data;
    arg_row r = a->rows[i];
    atr_arg_score as;
    atr_arg_group g;
    if (r.arg < 0 || r.group < 0 || atr_argscore_arg(a->s, (uint32_t)r.arg, &as) < 0 ||
        atr_argscore_group(a->s, (uint32_t)r.arg, (uint32_t)r.group, &g) < 0)
        return atr__tui_calls(v->app, a->fn, "", "");
    if (!g.filter[0]) {
        atr__tui_message(v->app, "this group cannot be selected by a filter");
        return 0;
    }
    atr__sbuf t = ATR__SBUF_INIT;
    atr__esc_str(&t, as.name);
    atr__sb_puts(&t, " = ");
    atr__sb_group_label(&t, v->app->ix, &g);
    int rc = atr__tui_calls(v->app, a->fn, g.filter, atr__sb_cstr(&t));
    atr__sb_free(&t);
    return rc;
}

static int args_open(atr__tui *app, uint32_t fn, const char *key);

/* fn's slowest call (ATR_NO_CALL if none or memory is short). */
static uint32_t slowest_call(const atr_index *ix, uint32_t fn) {
    atr_query q;
    atr_callset *cs = NULL;
    atr_query_init(&q);
    q.function = fn;
    q.sort = ATR_SORT_DURATION;
    q.limit = 1;
    uint32_t call = ATR_NO_CALL;
    if (atr_query_run(ix, &q, &cs) == 0 && atr_callset_count(cs))
        call = atr_callset_get(cs, 0);
    atr_callset_free(cs);
    return call;
}

/* 't': the tree of the selected group's slowest call (on the first row, the function's);
   'b': group by a key typed in. */
static int args_key(atr__view *v, int k) {
    args *a = v->data;
    arg_row r = a->rows[v->cursor];
    atr_arg_group g;
    if (k == 'b') {
        char buf[200];
        if (atr__tui_prompt(v->app, "by (ARG, len(ARG), type(ARG), ARG.items, KEY,KEY): ", buf,
                            sizeof buf) &&
            args_open(v->app, a->fn, buf) == ATR_ENOMEM)
            atr__tui_message(v->app, "out of memory");
        return 1;
    }
    if (k != 't')
        return 0;
    uint32_t call = ATR_NO_CALL;
    if (r.arg < 0) /* "(all calls, slowest first)": the function's slowest call */
        call = slowest_call(v->app->ix, a->fn);
    else if (r.group >= 0 && atr_argscore_group(a->s, (uint32_t)r.arg, (uint32_t)r.group, &g) == 0)
        call = g.slowest_call;
    if (call == ATR_NO_CALL)
        atr__tui_message(v->app, r.arg < 0 ? "t: no call" : "t: select a group first");
    else if (atr__tui_tree(v->app, call) < 0)
        atr__tui_message(v->app, "out of memory");
    return 1;
}

static void args_destroy(atr__view *v) {
    args *a = v->data;
    if (a) {
        atr_argscore_free(a->s);
        free(a->rows);
        free(a);
    }
}

static const atr__view_ops args_ops = {args_count,
                                       args_row,
                                       args_header,
                                       args_enter,
                                       args_key,
                                       args_destroy,
                                       "Enter: calls of this group  t: its slowest call's tree  "
                                       "b: group by a key"};

/* The arguments of fn, or (key != NULL) the one key typed after 'b'. */
static int args_open(atr__tui *app, uint32_t fn, const char *key) {
    args *a = calloc(1, sizeof *a);
    if (!a)
        return ATR_ENOMEM;
    a->fn = fn;
    char err[300] = "";
    int rc = key ? atr_argscore_compute_keys(app->ix, fn, NULL, &key, 1, &a->s, err, sizeof err)
                 : atr_argscore_compute(app->ix, fn, NULL, ATR_ARGSCORE_PAIR, &a->s);
    if (rc == ATR_ESYNTAX || rc == ATR_ENOTFOUND) {
        atr__tui_message(app, "%s", err);
        free(a);
        return 0;
    }
    uint64_t n = 1;
    for (uint32_t i = 0; rc == 0 && i < atr_argscore_count(a->s); i++) {
        atr_arg_score as;
        if (atr_argscore_arg(a->s, i, &as) == 0)
            n += 1 + as.n_groups;
    }
    if (rc == 0 && !(a->rows = calloc(n, sizeof *a->rows)))
        rc = ATR_ENOMEM;
    if (rc < 0) {
        atr__view tmp = {.ops = &args_ops, .app = app, .data = a};
        args_destroy(&tmp);
        return rc;
    }
    a->rows[a->n++] = (arg_row){-1, -1};
    for (uint32_t i = 0; i < atr_argscore_count(a->s); i++) {
        atr_arg_score as;
        if (atr_argscore_arg(a->s, i, &as) < 0)
            continue;
        a->rows[a->n++] = (arg_row){(int32_t)i, -1};
        for (uint32_t g = 0; g < as.n_groups; g++)
            a->rows[a->n++] = (arg_row){(int32_t)i, (int32_t)g};
    }
    atr__sbuf t = ATR__SBUF_INIT;
    atr__sb_funcname(&t, app->ix, fn);
    if (key) {
        atr__sb_puts(&t, " — by ");
        atr__sb_puts(&t, key);
    } else {
        atr__sb_puts(&t, " — arguments, the one explaining most first");
    }
    rc = atr__tui_push(app, &args_ops, a, atr__sb_cstr(&t));
    atr__sb_free(&t);
    return rc;
}

int atr__tui_args(atr__tui *app, uint32_t fn) { return args_open(app, fn, NULL); }
