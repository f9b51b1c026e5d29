/*
 * TUI views of `diff --tui`: the functions compared (by |added|), and one function's
 * argument groups split by run. Enter on a group lists its calls of both runs (ids FILE:N:
 * the base run's logs come first). The atr_diff belongs to cmd_diff.c and outlives the TUI.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "render_call.h"
#include "tui.h"

/* "  +1.72 s  1,200→1,200   12.1 µs   13.0 µs   1.08×  0.004 *  " (fixed columns). */
static void stat_cols(atr__sbuf *sb, const atr_diff_stat *st) {
    char buf[64], a[24], b[24];
    const atr_diff_side *B = &st->side[ATR_DIFF_BASE], *N = &st->side[ATR_DIFF_NEW];
    uint64_t mag = st->added_ns < 0 ? (uint64_t)(-(st->added_ns + 1)) + 1 : (uint64_t)st->added_ns;
    atr__fmt_dur(a, sizeof a, mag);
    snprintf(buf, sizeof buf, "%s%s", st->added_ns > 0 ? "+" : st->added_ns < 0 ? "-" : "", a);
    atr__sb_right(sb, buf, 9);
    atr__fmt_count(a, sizeof a, B->calls);
    atr__fmt_count(b, sizeof b, N->calls);
    snprintf(buf, sizeof buf, "%s→%s", a, b);
    atr__sb_putc(sb, ' ');
    atr__sb_right(sb, buf, 13);
    const atr_diff_side *sides[2] = {B, N};
    for (int s = 0; s < 2; s++) {
        if (sides[s]->calls)
            atr__fmt_dur(buf, sizeof buf, sides[s]->p50_ns);
        else
            snprintf(buf, sizeof buf, "–");
        atr__sb_putc(sb, ' ');
        atr__sb_right(sb, buf, 9);
    }
    if (isnan(st->ratio_p50))
        snprintf(buf, sizeof buf, "–");
    else if (isinf(st->ratio_p50))
        snprintf(buf, sizeof buf, "∞");
    else if (st->ratio_p50 < 0.005)
        snprintf(buf, sizeof buf, "<0.01×");
    else
        snprintf(buf, sizeof buf, st->ratio_p50 < 9.995 ? "%.2f×" : "%.1f×", st->ratio_p50);
    atr__sb_putc(sb, ' ');
    atr__sb_right(sb, buf, 7);
    if (isnan(st->p_value))
        snprintf(buf, sizeof buf, "–");
    else if (st->p_value < 0.001)
        snprintf(buf, sizeof buf, "<0.001%s", st->significant ? " *" : "");
    else
        snprintf(buf, sizeof buf, "%.3f%s", st->p_value, st->significant ? " *" : "");
    atr__sb_puts(sb, "  ");
    atr__sb_left(sb, buf, 9);
    atr__sb_puts(sb, "  ");
}

static const char HEAD[] = "    added         calls  p50 base       new   ratio  p          ";

/* ---- functions ------------------------------------------------------------------------ */

static uint64_t dfuncs_count(atr__view *v) { return atr_diff_count(v->data); }

static void dfuncs_header(atr__view *v, atr__sbuf *sb) {
    (void)v;
    atr__sb_puts(sb, HEAD);
    atr__sb_puts(sb, "function");
}

static void dfuncs_row(atr__view *v, uint64_t i, atr__sbuf *sb, int *attr) {
    atr_diff_function f;
    if (atr_diff_function_get(v->data, (uint32_t)i, &f) < 0)
        return;
    stat_cols(sb, &f.stat);
    size_t at = sb->len, used = atr__utf8_width(sb->ptr ? sb->ptr : "", at);
    atr__esc_text(sb, f.name, strlen(f.name), ATR__ESC_BARE);
    /* names keep their tail, as in `diff` and `summary` */
    if (v->app->cols > 0 && (size_t)v->app->cols > used + 12)
        atr__sb_fit_left(sb, at, (size_t)v->app->cols - used);
    if (f.stat.significant)
        *attr |= f.stat.added_ns > 0 ? ATR__A_RED : ATR__A_CYAN;
}

static int dfuncs_enter(atr__view *v, uint64_t i) {
    return atr__tui_diff_groups(v->app, v->data, (uint32_t)i);
}

static int dfuncs_key(atr__view *v, int k) {
    atr_diff_function f;
    if (k != 'c')
        return 0;
    if (atr_diff_function_get(v->data, (uint32_t)v->cursor, &f) == 0 &&
        atr__tui_calls(v->app, f.function, "", "") < 0)
        atr__tui_message(v->app, "out of memory");
    return 1;
}

static const atr__view_ops dfuncs_ops = {dfuncs_count,
                                         dfuncs_row,
                                         dfuncs_header,
                                         dfuncs_enter,
                                         dfuncs_key,
                                         NULL,
                                         "Enter: argument groups  c: calls  (*: significant)"};

int atr__tui_diff(atr__tui *app, const atr_diff *d) {
    char title[160];
    snprintf(title, sizeof title, "diff: %" PRIu32 " functions, by |new total - base total|",
             atr_diff_count(d));
    return atr__tui_push(app, &dfuncs_ops, (void *)d, title);
}

/* ---- one function's groups ------------------------------------------------------------ */

typedef struct drow {
    uint32_t arg;
    int64_t group; /* -1: the argument's own row */
} drow;

typedef struct dgroups {
    const atr_diff *d; /* borrowed */
    uint32_t i;        /* the function */
    uint32_t fn;       /* its (first) function id, for the calls view */
    drow *rows;        /* owned */
    uint64_t n;
} dgroups;

static uint64_t dgroups_count(atr__view *v) { return ((dgroups *)v->data)->n; }

static void dgroups_header(atr__view *v, atr__sbuf *sb) {
    (void)v;
    atr__sb_puts(sb, HEAD);
    atr__sb_puts(sb, "value");
}

static void dgroups_row(atr__view *v, uint64_t r, atr__sbuf *sb, int *attr) {
    dgroups *g = v->data;
    drow row = g->rows[r];
    atr_arg_score as;
    if (atr_diff_arg(g->d, g->i, row.arg, &as) < 0)
        return;
    if (row.group < 0) {
        atr__sb_puts(sb, "▸ ");
        atr__esc_str(sb, as.name);
        atr__sb_printf(sb, "   %" PRIu32 " group%s", as.n_groups, as.n_groups == 1 ? "" : "s");
        *attr |= ATR__A_BOLD | ATR__A_CYAN;
        return;
    }
    atr_diff_group grp;
    if (atr_diff_group_get(g->d, g->i, row.arg, (uint32_t)row.group, &grp) < 0)
        return;
    stat_cols(sb, &grp.stat);
    atr_arg_group ag = {0};
    ag.label = grp.label;
    ag.value = grp.value;
    size_t used = atr__utf8_width(sb->ptr ? sb->ptr : "", sb->len);
    atr__sb_group_label_fit(
        sb, v->app->ix, &ag,
        v->app->cols > 0 && (size_t)v->app->cols > used + 20 ? (size_t)v->app->cols - used : 20);
    if (grp.stat.significant)
        *attr |= grp.stat.added_ns > 0 ? ATR__A_RED : ATR__A_CYAN;
}

static int dgroups_enter(atr__view *v, uint64_t r) {
    dgroups *g = v->data;
    drow row = g->rows[r];
    atr_arg_score as;
    atr_diff_group grp;
    if (row.group < 0 || atr_diff_arg(g->d, g->i, row.arg, &as) < 0 ||
        atr_diff_group_get(g->d, g->i, row.arg, (uint32_t)row.group, &grp) < 0)
        return atr__tui_calls(v->app, g->fn, "", "");
    if (!grp.filter[0]) {
        atr__tui_message(v->app, "this group cannot be selected by a filter");
        return 0;
    }
    atr__sbuf t = ATR__SBUF_INIT;
    atr__esc_str(&t, as.name);
    atr__sb_puts(&t, " = ");
    atr_arg_group ag = {0};
    ag.label = grp.label;
    ag.value = grp.value;
    atr__sb_group_label(&t, v->app->ix, &ag);
    int rc = atr__tui_calls(v->app, g->fn, grp.filter, atr__sb_cstr(&t));
    atr__sb_free(&t);
    return rc;
}

static void dgroups_destroy(atr__view *v) {
    dgroups *g = v->data;
    if (g) {
        free(g->rows);
        free(g);
    }
}

static const atr__view_ops dgroups_ops = {dgroups_count,
                                          dgroups_row,
                                          dgroups_header,
                                          dgroups_enter,
                                          NULL,
                                          dgroups_destroy,
                                          "Enter: the group's calls, both runs"};

int atr__tui_diff_groups(atr__tui *app, const atr_diff *d, uint32_t i) {
    atr_diff_function f;
    if (atr_diff_function_get(d, i, &f) < 0)
        return 0;
    dgroups *g = calloc(1, sizeof *g);
    uint64_t n = 0;
    for (uint32_t a = 0; a < f.n_args; a++) {
        atr_arg_score as;
        if (atr_diff_arg(d, i, a, &as) == 0)
            n += 1 + as.n_groups;
    }
    if (!g || !(g->rows = calloc(n ? n : 1, sizeof *g->rows))) {
        free(g);
        return ATR_ENOMEM;
    }
    g->d = d;
    g->i = i;
    g->fn = f.function;
    for (uint32_t a = 0; a < f.n_args; a++) {
        atr_arg_score as;
        if (atr_diff_arg(d, i, a, &as) < 0)
            continue;
        g->rows[g->n++] = (drow){a, -1};
        for (uint32_t k = 0; k < as.n_groups; k++)
            g->rows[g->n++] = (drow){a, (int64_t)k};
    }
    atr__sbuf t = ATR__SBUF_INIT;
    atr__esc_text(&t, f.name, strlen(f.name), ATR__ESC_BARE);
    atr__sb_puts(&t, n ? ": argument groups, base → new" : ": no captured arguments");
    atr__sb_fit(&t, 0, 150);
    int rc = atr__tui_push(app, &dgroups_ops, g, atr__sb_cstr(&t));
    atr__sb_free(&t);
    return rc;
}
