/*
 * The data of `report` (see report.h) as one JSON object:
 *   {version, logs, base_logs, info, notes, names, summary, functions, slowest, flame, why,
 *    diff}
 * Function names are written once ("names", by function id); flame graphs are flat lists of
 * [parent, function, value, ...] in an order where a parent comes before its children (the
 * JSON writer nests at most 64 deep, call trees go deeper). Times in ns.
 * Everything is bounded: summary rows, functions, points per group (evenly spaced ranks of
 * the sorted durations, min and max included), flame nodes (those narrower than a pixel's
 * worth are dropped); the "notes" say what was left out.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "render_call.h"
#include "report.h"

#define MIN_CALLS 3 /* fewer calls: no argument analysis */
#define MAX_ARGS 6  /* arguments shown per function */
#define WHY_CHILDREN 12
#define DIFF_FUNCS 30
#define DIFF_DETAILS 3 /* functions of the diff with argument groups */
#define DIFF_GROUPS 6

typedef struct rctx {
    atr__json *j;
    const atr_index *ix;
    const atr__report_cfg *cfg;
    atr__sbuf sb;   /* scratch */
    atr__sbuf note; /* notes gathered while writing */
    uint64_t t0;    /* first time of the logs: starts are shown relative to it */
    int oom;
} rctx;

static void note(rctx *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(rctx *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    atr__sb_vprintf(&r->note, fmt, ap);
    va_end(ap);
    atr__sb_putc(&r->note, '\n');
}

/* "key": the scratch buffer's text. */
static void ksb(rctx *r, const char *key) {
    atr__json_key(r->j, key);
    atr__json_str(r->j, r->sb.ptr ? r->sb.ptr : "", r->sb.len);
    atr__sb_clear(&r->sb);
}

static void call_id_str(rctx *r, uint32_t call) {
    char id[ATR_CALL_ID_SIZE];
    atr_call_id_format(r->ix, call, id, sizeof id);
    atr__json_cstr(r->j, id);
}

/* ---- summary ---- */

typedef struct frow {
    uint32_t fn;
    const atr_stats *st;
} frow;

static int by_active(const void *a, const void *b) {
    const frow *x = a, *y = b;
    if (x->st->inclusive_ns != y->st->inclusive_ns) /* as `summary` */
        return x->st->inclusive_ns < y->st->inclusive_ns ? 1 : -1;
    if (x->st->active_ns != y->st->active_ns)
        return x->st->active_ns < y->st->active_ns ? 1 : -1;
    return x->fn < y->fn ? -1 : x->fn > y->fn;
}

static void write_names(rctx *r, uint32_t n_fn) {
    atr__json_key(r->j, "names");
    atr__json_arr_begin(r->j);
    for (uint32_t fn = 0; fn < n_fn; fn++) {
        atr__sb_funcname(&r->sb, r->ix, fn);
        atr__json_str(r->j, r->sb.ptr ? r->sb.ptr : "", r->sb.len);
        atr__sb_clear(&r->sb);
    }
    atr__json_arr_end(r->j);
}

static void write_summary(rctx *r, const frow *rows, uint32_t n) {
    uint64_t shown = n < r->cfg->rows ? n : r->cfg->rows;
    if (shown < n)
        note(r, "The summary table lists the %" PRIu64 " functions with most total time of %u.",
             shown, n);
    atr__json_key(r->j, "summary");
    atr__json_arr_begin(r->j);
    for (uint64_t i = 0; i < shown; i++) {
        const atr_stats *s = rows[i].st;
        atr__json_arr_begin(r->j); /* [fn, calls, total, self, p50, p95, p99, max, raised] */
        atr__json_uint(r->j, rows[i].fn);
        atr__json_uint(r->j, s->count);
        atr__json_uint(r->j, s->inclusive_ns); /* recursion counted once, as `summary` */
        atr__json_uint(r->j, s->self_ns);
        atr__json_uint(r->j, s->p50_ns);
        atr__json_uint(r->j, s->p95_ns);
        atr__json_uint(r->j, s->p99_ns);
        atr__json_uint(r->j, s->max_ns);
        atr__json_uint(r->j, s->raised);
        atr__json_arr_end(r->j);
    }
    atr__json_arr_end(r->j);
}

/* ---- per-argument analysis ---- */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Active times of fn's finished calls matching `expr`, sorted (*d owned). 0 or -1. */
static int group_durations(rctx *r, uint32_t fn, const char *expr, uint64_t **d, uint64_t *n) {
    atr_filter *f = NULL;
    atr_callset *cs = NULL;
    atr_query q;
    *d = NULL, *n = 0;
    if (atr_filter_parse(expr, &f, NULL, 0) < 0 || atr_filter_add(f, "!unfinished", NULL, 0) < 0)
        goto fail;
    atr_query_init(&q);
    q.function = fn;
    q.filter = f;
    if (atr_query_run(r->ix, &q, &cs) < 0)
        goto fail;
    uint64_t m = atr_callset_count(cs);
    *d = malloc((m ? m : 1) * sizeof **d);
    if (!*d)
        goto fail;
    for (uint64_t i = 0; i < m; i++) {
        atr_call_view cv;
        if (atr_index_call(r->ix, atr_callset_get(cs, i), &cv) == 0)
            (*d)[(*n)++] = cv.active_ns;
    }
    qsort(*d, *n, sizeof **d, cmp_u64);
    atr_callset_free(cs);
    atr_filter_free(f);
    return 0;
fail:
    atr_callset_free(cs);
    atr_filter_free(f);
    return -1;
}

/* "q": [min, p25, p50, p75, max] and "pts": up to cfg->points durations (sorted ranks). */
static void write_spread(rctx *r, const uint64_t *d, uint64_t n, uint64_t *sampled) {
    static const unsigned pct[] = {0, 25, 50, 75, 100};
    atr__json_key(r->j, "q");
    atr__json_arr_begin(r->j);
    for (int i = 0; i < 5; i++) /* nearest rank */
        atr__json_uint(r->j, d[pct[i] == 0 ? 0 : (n * pct[i] + 99) / 100 - 1]);
    atr__json_arr_end(r->j);
    uint64_t k = n < r->cfg->points ? n : r->cfg->points;
    if (k < n)
        (*sampled)++;
    atr__json_key(r->j, "pts");
    atr__json_arr_begin(r->j);
    for (uint64_t i = 0; i < k; i++)
        atr__json_uint(r->j, d[k == 1 ? 0 : i * (n - 1) / (k - 1)]);
    atr__json_arr_end(r->j);
}

static void write_group(rctx *r, uint32_t fn, const atr_arg_group *g, uint64_t *sampled) {
    atr__json_obj_begin(r->j);
    atr__sb_group_label(&r->sb, r->ix, g);
    ksb(r, "label");
    atr__json_kstr(r->j, "filter", g->filter);
    atr__json_kuint(r->j, "calls", g->calls);
    atr__json_kuint(r->j, "total", g->total_ns);
    atr__json_kuint(r->j, "p50", g->p50_ns);
    atr__json_kuint(r->j, "p95", g->p95_ns);
    atr__json_kuint(r->j, "max", g->max_ns);
    atr__json_key(r->j, "hist");
    atr__json_arr_begin(r->j);
    for (int b = 0; b < ATR_HIST_BINS; b++)
        atr__json_uint(r->j, g->hist[b]);
    atr__json_arr_end(r->j);
    uint64_t *d = NULL, n = 0;
    if (g->filter[0] && group_durations(r, fn, g->filter, &d, &n) == 0 && n > 0)
        write_spread(r, d, n, sampled);
    free(d);
    atr__json_obj_end(r->j);
}

static const char *mode_name(uint32_t mode) {
    switch (mode) {
    case ATR_GROUP_EXACT:
        return "values";
    case ATR_GROUP_RANGE:
        return "ranges";
    case ATR_GROUP_LENGTH:
        return "length ranges";
    default:
        return "types";
    }
}

static void write_args(rctx *r, uint32_t fn, const atr_argscore *s, uint64_t *sampled) {
    uint32_t n = atr_argscore_count(s);
    atr__json_key(r->j, "args");
    atr__json_arr_begin(r->j);
    for (uint32_t i = 0; i < n && i < MAX_ARGS; i++) {
        atr_arg_score a;
        if (atr_argscore_arg(s, i, &a) < 0)
            continue;
        atr__json_obj_begin(r->j);
        atr__esc_str(&r->sb, a.name);
        ksb(r, "name");
        atr__json_key(r->j, "score");
        atr__json_double(r->j, a.score);
        atr__json_kstr(r->j, "mode", mode_name(a.mode));
        atr__json_kuint(r->j, "distinct", a.n_distinct);
        atr__json_kuint(r->j, "captured", a.n_captured);
        if (a.pair) {
            atr__json_key(r->j, "pair");
            atr__json_bool(r->j, 1);
        }
        atr__json_key(r->j, "groups");
        atr__json_arr_begin(r->j);
        for (uint32_t g = 0; g < a.n_groups; g++) {
            atr_arg_group gr;
            if (atr_argscore_group(s, i, g, &gr) == 0)
                write_group(r, fn, &gr, sampled);
        }
        atr__json_arr_end(r->j);
        atr__json_obj_end(r->j);
    }
    atr__json_arr_end(r->j);
    if (n > MAX_ARGS)
        note(r, "Only the %d arguments explaining most are shown per function.", MAX_ARGS);
}

/* {id, d, start, args, out} of one call; start relative to the first time of the logs. */
static void write_call(rctx *r, uint32_t call, uint64_t t0) {
    atr_call_view cv;
    if (atr_index_call(r->ix, call, &cv) < 0)
        return;
    atr__json_obj_begin(r->j);
    atr__json_key(r->j, "id");
    call_id_str(r, call);
    atr__json_kuint(r->j, "f", cv.function);
    atr__json_kuint(r->j, "d", cv.active_ns);
    atr__json_kuint(r->j, "start", cv.start_ns - t0);
    atr__sb_call_args(&r->sb, r->ix, call);
    ksb(r, "args");
    atr__sb_call_outcome(&r->sb, r->ix, &cv);
    ksb(r, "out");
    atr__json_obj_end(r->j);
}

static void write_slowest(rctx *r, uint32_t fn, uint64_t t0) {
    atr_query q;
    atr_callset *cs = NULL;
    atr_query_init(&q);
    q.function = fn;
    q.sort = ATR_SORT_DURATION;
    q.limit = r->cfg->slowest;
    atr__json_key(r->j, "slowest");
    atr__json_arr_begin(r->j);
    if (atr_query_run(r->ix, &q, &cs) == 0)
        for (uint64_t i = 0; i < atr_callset_count(cs); i++)
            write_call(r, atr_callset_get(cs, i), t0);
    atr_callset_free(cs);
    atr__json_arr_end(r->j);
}

/* The analysed functions; *first gets the first one's slowest call (ATR_NO_CALL: none). */
static void write_functions(rctx *r, const frow *rows, uint32_t n, uint64_t t0, uint32_t *first) {
    uint64_t shown = 0, sampled = 0;
    *first = ATR_NO_CALL;
    atr__json_key(r->j, "functions");
    atr__json_arr_begin(r->j);
    for (uint32_t i = 0; i < n && shown < r->cfg->top; i++) {
        const atr_stats *st = rows[i].st;
        atr_argscore *s = NULL;
        if (st->finished < MIN_CALLS)
            continue;
        if (atr_argscore_compute(r->ix, rows[i].fn, NULL, ATR_ARGSCORE_PAIR, &s) < 0) {
            r->oom = 1;
            break;
        }
        if (*first == ATR_NO_CALL)
            *first = st->slowest_call;
        shown++;
        atr__json_obj_begin(r->j);
        atr__json_kuint(r->j, "f", rows[i].fn);
        atr__json_kuint(r->j, "calls", st->count);
        atr__json_kuint(r->j, "analysed", atr_argscore_calls(s));
        atr__json_kuint(r->j, "total", st->inclusive_ns);
        atr__json_kuint(r->j, "p50", st->p50_ns);
        atr__json_kuint(r->j, "p95", st->p95_ns);
        atr__json_kuint(r->j, "max", st->max_ns);
        uint64_t edges[ATR_HIST_BINS + 1];
        atr_argscore_hist_edges(s, edges);
        atr__json_key(r->j, "edges");
        atr__json_arr_begin(r->j);
        for (int b = 0; b <= ATR_HIST_BINS; b++)
            atr__json_uint(r->j, edges[b]);
        atr__json_arr_end(r->j);
        write_args(r, rows[i].fn, s, &sampled);
        write_slowest(r, rows[i].fn, t0);
        atr__json_obj_end(r->j);
        atr_argscore_free(s);
    }
    atr__json_arr_end(r->j);
    if (sampled)
        note(r,
             "Strip plots draw at most %" PRIu64 " calls per group (evenly spaced by rank, the "
             "fastest and slowest included); quartiles use every call.",
             r->cfg->points);
}

/* ---- flame graphs (report_flame.c) ---- */

static void write_flame(rctx *r) {
    uint64_t dropped, stacks;
    if (atr__report_flame(r->j, r->ix, r->cfg->max_nodes, &dropped, &stacks) < 0)
        r->oom = 1;
    else if (dropped)
        note(r,
             "The flame graph of the whole log merges calls by their stack of functions; "
             "%" PRIu64 " of %" PRIu64 " stacks too narrow to draw are left out.",
             dropped, stacks);
}

/* "slowest": {call, nodes: [[parent, fn, active, id], ...], dropped}: the tree of `call`. */
static void write_call_tree(rctx *r, uint32_t call) {
    if (call == ATR_NO_CALL)
        return;
    atr__json_key(r->j, "slowest");
    atr__json_obj_begin(r->j);
    atr__json_key(r->j, "call");
    write_call(r, call, r->t0);
    if (atr__report_call_tree(r->j, r->ix, call, r->cfg->max_nodes) == ATR_ENOMEM)
        r->oom = 1;
    atr__json_obj_end(r->j);
}

/* ---- why ---- */

/* Append value `vid` of index `ix` (that of r, or the diff's) to the scratch buffer. */
static void value_text_of(rctx *r, const atr_index *ix, uint32_t vid) {
    atr_value v;
    if (vid == ATR_NO_VALUE || atr_index_value(ix, vid, &v) < 0)
        return;
    atr__render_value(&r->sb, &v);
}

static void value_text(rctx *r, uint32_t vid) { value_text_of(r, r->ix, vid); }

static void write_why(rctx *r, uint32_t call) {
    atr_why *w = NULL;
    atr_why_summary S;
    if (call == ATR_NO_CALL)
        return;
    if (atr_why_compute(r->ix, call, &w) < 0) {
        r->oom = 1;
        return;
    }
    atr_why_get_summary(w, &S);
    atr__json_key(r->j, "why");
    atr__json_obj_begin(r->j);
    atr__json_kuint(r->j, "f", S.function);
    atr__json_kuint(r->j, "d", S.duration_ns);
    atr__json_kuint(r->j, "self", S.self_ns);
    atr__json_kuint(r->j, "baseline", S.baseline_calls);
    atr__json_kuint(r->j, "base_p50", S.baseline_p50_ns);
    atr__json_kuint(r->j, "typ_self", S.typical_self_ns);
    atr__json_kint(r->j, "self_extra", S.self_extra_ns);
    atr__json_kuint(r->j, "fn_p50", S.function_p50_ns);
    if (S.same_calls) { /* the other calls with its argument values (atr_why.h) */
        atr__json_key(r->j, "same");
        atr__json_obj_begin(r->j);
        atr__json_kuint(r->j, "calls", S.same_calls);
        atr__json_kuint(r->j, "p50", S.same_p50_ns);
        atr__json_kuint(r->j, "max", S.same_max_ns);
        atr__json_kuint(r->j, "first", S.same_nth == 1 ? 1 + (S.nth_call == 1) : 0);
        atr__json_kstr(r->j, "verdict", atr_why_same_name(S.same_verdict));
        atr__json_kstr(r->j, "says", atr_why_same_says(S.same_verdict));
        atr__json_kuint(r->j, "loose", S.same_loose);
        atr__json_obj_end(r->j);
    }
    if (S.by_group) {
        atr__esc_str(&r->sb, S.group_arg);
        ksb(r, "group_arg");
        if (S.group_value != ATR_NO_VALUE)
            value_text(r, S.group_value);
        else
            atr__esc_text(&r->sb, S.group_label, strlen(S.group_label), ATR__ESC_KEEP_BS);
        ksb(r, "group");
    }
    atr__json_key(r->j, "children");
    atr__json_arr_begin(r->j);
    for (uint32_t i = 0; i < S.n_children && i < WHY_CHILDREN; i++) {
        atr_why_child c;
        if (atr_why_get_child(w, i, &c) < 0)
            continue;
        /* [fn, calls, total, typical calls, typical, extra, resumed (1: steps it ran for
           other calls, not children)] */
        atr__json_arr_begin(r->j);
        atr__json_uint(r->j, c.function);
        atr__json_uint(r->j, c.calls);
        atr__json_uint(r->j, c.duration_ns);
        atr__json_uint(r->j, c.typical_calls);
        atr__json_uint(r->j, c.typical_ns);
        atr__json_int(r->j, c.extra_ns);
        atr__json_uint(r->j, (uint64_t)c.resumed);
        atr__json_arr_end(r->j);
    }
    atr__json_arr_end(r->j);
    atr__json_key(r->j, "args");
    atr__json_arr_begin(r->j);
    for (uint32_t i = 0; i < S.n_args; i++) {
        atr_why_arg a;
        if (atr_why_get_arg(w, i, &a) < 0)
            continue;
        atr__json_obj_begin(r->j);
        atr__esc_str(&r->sb, a.name);
        ksb(r, "name");
        if (a.value == ATR_NO_VALUE)
            atr__sb_puts(&r->sb, "(not captured)");
        value_text(r, a.value);
        ksb(r, "value");
        atr__json_key(r->j, "score");
        atr__json_double(r->j, a.score);
        atr__json_kuint(r->j, "group_p50", a.group_p50_ns);
        if (a.typical_value != ATR_NO_VALUE)
            value_text(r, a.typical_value);
        else if (a.typical)
            atr__esc_text(&r->sb, a.typical, strlen(a.typical), ATR__ESC_KEEP_BS);
        ksb(r, "typical");
        atr__json_kuint(r->j, "typical_p50", a.typical_p50_ns);
        atr__json_key(r->j, "slow");
        atr__json_bool(r->j, a.slow_group);
        atr__json_key(r->j, "differs");
        atr__json_bool(r->j, a.differs);
        atr__json_obj_end(r->j);
    }
    atr__json_arr_end(r->j);
    atr__json_obj_end(r->j);
    atr_why_free(w);
}

/* ---- diff ---- */

static void write_stat(atr__json *j, const atr_diff_stat *st) {
    atr__json_key(j, "base");
    atr__json_arr_begin(j); /* [calls, total, p50, p95] */
    atr__json_uint(j, st->side[ATR_DIFF_BASE].calls);
    atr__json_uint(j, st->side[ATR_DIFF_BASE].total_ns);
    atr__json_uint(j, st->side[ATR_DIFF_BASE].p50_ns);
    atr__json_uint(j, st->side[ATR_DIFF_BASE].p95_ns);
    atr__json_arr_end(j);
    atr__json_key(j, "new");
    atr__json_arr_begin(j);
    atr__json_uint(j, st->side[ATR_DIFF_NEW].calls);
    atr__json_uint(j, st->side[ATR_DIFF_NEW].total_ns);
    atr__json_uint(j, st->side[ATR_DIFF_NEW].p50_ns);
    atr__json_uint(j, st->side[ATR_DIFF_NEW].p95_ns);
    atr__json_arr_end(j);
    atr__json_kint(j, "added", st->added_ns);
    atr__json_key(j, "ratio");
    atr__json_double(j, st->ratio_p50);
    atr__json_key(j, "p");
    atr__json_double(j, st->p_value);
    atr__json_key(j, "sig");
    atr__json_bool(j, st->significant);
}

static void write_diff_args(rctx *r, const atr_index *dix, const atr_diff *d, uint32_t i,
                            uint32_t n_args) {
    atr__json_key(r->j, "args");
    atr__json_arr_begin(r->j);
    for (uint32_t a = 0; a < n_args && a < 3; a++) {
        atr_arg_score as;
        if (atr_diff_arg(d, i, a, &as) < 0)
            continue;
        atr__json_obj_begin(r->j);
        atr__esc_str(&r->sb, as.name);
        ksb(r, "name");
        atr__json_key(r->j, "groups");
        atr__json_arr_begin(r->j);
        for (uint32_t g = 0; g < as.n_groups && g < DIFF_GROUPS; g++) {
            atr_diff_group dg;
            if (atr_diff_group_get(d, i, a, g, &dg) < 0)
                continue;
            atr__json_obj_begin(r->j);
            if (dg.value != ATR_NO_VALUE)
                value_text_of(r, dix, dg.value);
            else
                atr__esc_text(&r->sb, dg.label, strlen(dg.label), ATR__ESC_KEEP_BS);
            ksb(r, "label");
            write_stat(r->j, &dg.stat);
            atr__json_obj_end(r->j);
        }
        atr__json_arr_end(r->j);
        atr__json_obj_end(r->j);
    }
    atr__json_arr_end(r->j);
}

static void write_diff(rctx *r, const atr_index *dix, uint32_t n_base) {
    atr_diff_config c;
    atr_diff *d = NULL;
    atr_diff_config_init(&c);
    c.n_base_files = n_base;
    if (atr_diff_compute(dix, &c, &d) < 0) {
        r->oom = 1;
        return;
    }
    atr__json_key(r->j, "diff");
    atr__json_obj_begin(r->j);
    atr__json_key(r->j, "functions");
    atr__json_arr_begin(r->j);
    uint32_t n = atr_diff_count(d);
    for (uint32_t i = 0; i < n && i < DIFF_FUNCS; i++) {
        atr_diff_function f;
        if (atr_diff_function_get(d, i, &f) < 0)
            continue;
        atr__json_obj_begin(r->j);
        atr__esc_text(&r->sb, f.name, strlen(f.name), ATR__ESC_KEEP_BS);
        ksb(r, "name");
        write_stat(r->j, &f.stat);
        if (i < DIFF_DETAILS)
            write_diff_args(r, dix, d, i, f.n_args);
        atr__json_obj_end(r->j);
    }
    atr__json_arr_end(r->j);
    atr__json_kuint(r->j, "functions_total", n);
    atr__json_obj_end(r->j);
    atr_diff_free(d);
}

/* ---- the object ---- */

static void write_paths(atr__json *j, const char *key, const char *const *p, int n) {
    atr__json_key(j, key);
    atr__json_arr_begin(j);
    for (int i = 0; i < n; i++)
        atr__json_cstr(j, p[i]);
    atr__json_arr_end(j);
}

static void write_info(rctx *r, const atr_index_info *info) {
    atr__json_key(r->j, "info");
    atr__json_obj_begin(r->j);
    atr__json_kuint(r->j, "calls", info->n_calls);
    atr__json_kuint(r->j, "functions", info->n_functions);
    atr__json_kuint(r->j, "threads", info->n_threads);
    atr__json_kuint(r->j, "processes", info->n_files);
    atr__json_kuint(r->j, "unfinished", info->n_unfinished);
    atr__json_kuint(r->j, "span", info->t_max - info->t_min);
    atr__json_key(r->j, "truncated");
    atr__json_bool(r->j, (info->flags & (ATR_FILE_TRUNCATED | ATR_FILE_UNCLOSED)) != 0);
    atr__json_key(r->j, "drops");
    atr__json_bool(r->j, (info->flags & ATR_FILE_DROPS) != 0);
    atr__json_obj_end(r->j);
}

int atr__report_json(atr__json *j, const atr_index *ix, const atr_index *dix, uint32_t n_base_files,
                     const atr__report_cfg *cfg) {
    rctx r = {j, ix, cfg, ATR__SBUF_INIT, ATR__SBUF_INIT, 0, 0};
    atr_index_info info;
    atr_index_get_info(ix, &info);
    r.t0 = info.t_min;
    atr_stats *st = calloc(info.n_functions ? info.n_functions : 1, sizeof *st);
    frow *rows = calloc(info.n_functions ? info.n_functions : 1, sizeof *rows);
    if (!st || !rows || atr_stats_all(ix, st, info.n_functions) < 0) {
        free(st);
        free(rows);
        return ATR_ENOMEM;
    }
    for (uint32_t fn = 0; fn < info.n_functions; fn++)
        rows[fn] = (frow){fn, &st[fn]};
    qsort(rows, info.n_functions, sizeof *rows, by_active);

    uint32_t first = ATR_NO_CALL;
    atr__json_obj_begin(j);
    atr__json_kint(j, "version", 1);
    atr__json_kstr(j, "argtrace", atr_version());
    write_paths(j, "logs", cfg->logs, cfg->n_logs);
    write_paths(j, "base_logs", cfg->base_logs, cfg->n_base_logs);
    write_info(&r, &info);
    write_names(&r, info.n_functions);
    write_summary(&r, rows, info.n_functions);
    write_functions(&r, rows, info.n_functions, r.t0, &first);
    if (first == ATR_NO_CALL && info.n_functions > 0)
        first = rows[0].st->slowest_call;
    write_call_tree(&r, first);
    write_flame(&r);
    write_why(&r, first);
    if (dix)
        write_diff(&r, dix, n_base_files);
    atr__json_key(j, "notes");
    atr__json_str(j, r.note.ptr ? r.note.ptr : "", r.note.len);
    atr__json_obj_end(j);
    int oom = r.oom || r.sb.oom || r.note.oom;
    atr__sb_free(&r.sb);
    atr__sb_free(&r.note);
    free(st);
    free(rows);
    return oom ? ATR_ENOMEM : 0;
}
