/*
 * `slow LOG... FUNC [FILTER...] [--by KEY]...`: which argument explains FUNC's duration. For
 * each argument (best score first; two that explain clearly more together first of all,
 * ATR_ARGSCORE_PAIR) its slowest groups with counts, percentiles and a small histogram; then
 * FUNC's slowest calls. --by analyses only the keys given, with all their
 * groups: an argument, len(ARG), type(ARG), ARG.items or a pair KEY,KEY
 * (atr_argscore_compute_keys).
 */
#include <inttypes.h>
#include <string.h>

#include "json_call.h"
#include "load.h"
#include "render.h"
#include "render_call.h"

enum { OPT_JSON = 1, OPT_BY, OPT_GROUPS, OPT_CALLS, OPT_RESULT };
static const atr__opt slow_opts[] = {
    {"json", 0, 0, OPT_JSON,
     "--json       {function, calls, arguments: [{name, score, "
     "groups}]}"},
    {"by", 'b', 1, OPT_BY,
     "-b, --by KEY  only this key, with all its groups (repeatable): ARG, len(ARG), "
     "type(ARG), ARG.items (a container's number of items), KEY,KEY (the pair)"},
    {"groups", 'g', 1, OPT_GROUPS, "-g, --groups N  groups shown per argument (default 5)"},
    {"calls", 'c', 1, OPT_CALLS, "-c, --calls N  slowest calls shown (default 5)"},
    {"result", 'r', 0, OPT_RESULT, "-r, --result  also rank the result and exception type"},
    ATR__OPTS_WIDTH,
    {NULL, 0, 0, 0, NULL},
};

#define MAX_BY 16

typedef struct slow_args {
    int json;
    int result;
    const char *by[MAX_BY];
    uint32_t n_by;
    uint64_t groups, calls;
} slow_args;

static int on_opt(atr__vctx *ctx, void *ud, int id, const char *arg) {
    slow_args *a = ud;
    if (id == OPT_JSON)
        a->json = 1;
    else if (id == OPT_RESULT)
        a->result = 1;
    else if (id == OPT_BY && a->n_by == MAX_BY) {
        atr__errorf(ctx, "at most %d --by keys", MAX_BY);
        return ATR_VIEWER_USAGE;
    } else if (id == OPT_BY)
        a->by[a->n_by++] = arg;
    else if (id == OPT_GROUPS && atr__opt_uint(ctx, "groups", arg, &a->groups) < 0)
        return ATR_VIEWER_USAGE;
    else if (id == OPT_CALLS && atr__opt_uint(ctx, "calls", arg, &a->calls) < 0)
        return ATR_VIEWER_USAGE;
    return ATR_VIEWER_OK;
}

/* The keys of --by; on error a one-line message (naming the arguments when one is unknown). */
static int compute_by(atr__vctx *ctx, const atr__target *t, const slow_args *a,
                      atr_argscore **out) {
    char err[300];
    int rc =
        atr_argscore_compute_keys(t->ix, t->fn, t->filter, a->by, a->n_by, out, err, sizeof err);
    if (rc == 0)
        return ATR_VIEWER_OK;
    if (rc != ATR_ENOTFOUND || strncmp(err, "no argument", 11) != 0) { /* (or no entry) */
        atr__errorf(ctx, "%s", rc == ATR_ESYNTAX || rc == ATR_ENOTFOUND ? err : "out of memory");
        return ATR_VIEWER_FAIL;
    }
    atr_argscore *all = NULL;
    atr__sbuf names = ATR__SBUF_INIT;
    if (atr_argscore_compute(t->ix, t->fn, NULL, 0, &all) == 0) {
        for (uint32_t i = 0; i < atr_argscore_count(all); i++) {
            atr_arg_score as;
            if (atr_argscore_arg(all, i, &as) < 0)
                continue;
            atr__sb_puts(&names, names.len ? ", " : "");
            atr__esc_str(&names, as.name);
        }
    }
    atr__errorf(ctx, "%s (arguments: %s)", err, names.len ? atr__sb_cstr(&names) : "none");
    atr__sb_free(&names);
    atr_argscore_free(all);
    return ATR_VIEWER_FAIL;
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

/* Columns for a group's value (the last column): 48 (a distinguishing label of a long str,
   labels.c, fits), or what the width leaves beside the figures (56 columns). */
static size_t label_room(const atr__vctx *ctx) {
    size_t room = ctx->width ? atr__value_room(ctx) : 48;
    if (ctx->width >= 80 && ctx->width - 56 < room) /* the table's indent, figures and gaps */
        room = ctx->width - 56;
    return room;
}

/* A pair's members as they scored alone, when the result has them: "; n alone 0.62, m 0.17". */
static void alone_scores(atr__sbuf *sb, const atr_argscore *s, atr_str pair) {
    const char *comma = memchr(pair.ptr, ',', pair.len);
    if (!comma)
        return;
    atr_str part[2] = {{pair.ptr, (size_t)(comma - pair.ptr)},
                       {comma + 1, pair.len - (size_t)(comma + 1 - pair.ptr)}};
    double score[2] = {-1, -1};
    for (uint32_t i = 0; i < atr_argscore_count(s); i++) {
        atr_arg_score as;
        if (atr_argscore_arg(s, i, &as) < 0 || as.pair)
            continue;
        for (int k = 0; k < 2; k++)
            if (as.name.len == part[k].len && memcmp(as.name.ptr, part[k].ptr, as.name.len) == 0)
                score[k] = as.score;
    }
    if (score[0] < 0 || score[1] < 0)
        return;
    atr__sb_puts(sb, "; ");
    atr__esc_str(sb, part[0]);
    atr__sb_printf(sb, " alone %.2f, ", score[0]);
    atr__esc_str(sb, part[1]);
    atr__sb_printf(sb, " %.2f", score[1]);
}

/* Under an argument whose values are a summarizer's dicts (atr_value_entry_key: "<Array:
   shape=<tuple len=2: …>, dtype='float32'>"), how well each entry alone explains the time,
   and how to see its groups: "by one entry: a.shape 0.97 (4 groups), a.dtype 0.02 (2);
   see --by a.shape" (best first), when there are two or more. Its own groups mix them. */
#define ENTRY_KEYS 4

/* 1 when "ARG.KEY" names entry `key` (atr_argscore_compute_keys: no '.', ',', parentheses
   or surrounding blanks in it, and not "items", which counts a container's items). */
static int entry_key_usable(const char *key, size_t n) {
    if (n == 0 || key[0] == ' ' || key[0] == '\t' || key[n - 1] == ' ' || key[n - 1] == '\t' ||
        (n == 5 && memcmp(key, "items", 5) == 0))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (key[i] == '.' || key[i] == ',' || key[i] == '(' || key[i] == ')' || key[i] == '\0')
            return 0;
    return 1;
}

static void entry_keys_hint(atr__vctx *ctx, const atr__target *t, const atr_argscore *s, uint32_t i,
                            const atr_arg_score *as) {
    atr_arg_group grp;
    atr_value v;
    char key[ENTRY_KEYS][96];
    const char *keys[ENTRY_KEYS];
    if (as->pair || as->mode != ATR_GROUP_EXACT || as->n_groups < 2 ||
        atr_argscore_group(s, i, 0, &grp) < 0 || grp.value == ATR_NO_VALUE ||
        atr_index_value(t->ix, grp.value, &v) < 0 || !atr__value_all_entries(&v))
        return;
    uint32_t n = 0, usable = 0;
    for (uint32_t k = 0; k < v.n_items; k++) {
        const char *kk = "";
        size_t kn = 0;
        atr_value_entry_key(&v.u.sum.items[k], &kk, &kn);
        if (!entry_key_usable(kk, kn) || kn + as->name.len + 2 > sizeof key[0])
            continue;
        usable++;
        if (n < ENTRY_KEYS) {
            snprintf(key[n], sizeof key[n], "%.*s.%.*s", (int)as->name.len, as->name.ptr, (int)kn,
                     kk);
            keys[n] = key[n];
            n++;
        }
    }
    if (usable < 2) /* one entry groups as the argument does */
        return;
    atr_argscore *by = NULL;
    atr__sbuf sb = ATR__SBUF_INIT;
    atr__sb_puts(&sb, "  by one entry:");
    if (atr_argscore_compute_keys(t->ix, t->fn, t->filter, keys, n, &by, NULL, 0) == 0) {
        atr_arg_score e;
        for (uint32_t k = 0; k < atr_argscore_count(by) && atr_argscore_arg(by, k, &e) == 0; k++) {
            atr__sb_puts(&sb, k ? ", " : " ");
            atr__esc_str(&sb, e.name);
            atr__sb_printf(&sb, " %.2f (%" PRIu32 "%s)", e.score, e.n_groups,
                           k                 ? ""
                           : e.n_groups == 1 ? " group"
                                             : " groups");
        }
        if (usable > n)
            atr__sb_puts(&sb, ", …");
        if (atr_argscore_count(by) && atr_argscore_arg(by, 0, &e) == 0) {
            atr__sb_puts(&sb, "; see --by ");
            atr__esc_str(&sb, e.name);
        }
    }
    atr_argscore_free(by);
    atr__sb_fit(&sb, 0, ctx->width);
    atr__sb_putc(&sb, '\n');
    fputs(atr__sb_cstr(&sb), ctx->out);
    atr__sb_free(&sb);
}

static void print_arg_text(atr__vctx *ctx, const atr__target *tg, const atr_argscore *s, uint32_t i,
                           uint64_t max_g) {
    const atr_index *ix = tg->ix;
    /* The value last: numbers stay aligned whatever its width (80 columns leave it 25). */
    static const char *const heads[] = {"calls", "p50",       "p95",  "max",
                                        "total", "histogram", "value"};
    atr_arg_score as;
    if (atr_argscore_arg(s, i, &as) < 0)
        return;
    atr__sbuf sb = ATR__SBUF_INIT;
    atr__sb_style(&sb, ctx->color, ATR__ST_BOLD);
    atr__esc_str(&sb, as.name);
    atr__sb_unstyle(&sb, ctx->color);
    int by_trend = atr__arg_by_trend(&as);
    if (as.pair) {
        atr__sb_printf(&sb, "  score %.2f  (the two together; %" PRIu32 " group%s", as.score,
                       as.n_groups, as.n_groups == 1 ? "" : "s");
        alone_scores(&sb, s, as.name);
    } else {
        atr__sb_printf(&sb, "  score %.2f  (%s; ", as.score, mode_text(as.mode));
        if (as.n_distinct > 65536)
            atr__sb_puts(&sb, "more than 65,536");
        else
            atr__sb_count(&sb, as.n_distinct);
        atr__sb_printf(&sb, " distinct, %" PRIu32 " group%s", as.n_groups,
                       as.n_groups == 1 ? "" : "s");
        if (by_trend)
            atr__sb_puts(&sb, "; scored by its trend");
    }
    atr__sb_puts(&sb, ")\n");
    fputs(atr__sb_cstr(&sb), ctx->out);
    if (max_g) /* the default listing: keys to ask next */
        entry_keys_hint(ctx, tg, s, i, &as);
    atr__table t;
    atr__table_init(&t, 7, heads, "rrrrrll");
    atr__table_fit(&t, ctx->width, 6, ATR__FIT_MID, 20, "2"); /* the value; p95 goes first */
    char buf[32];
    uint32_t shown = as.n_groups;
    if (max_g && max_g < shown)
        shown = (uint32_t)max_g;
    for (uint32_t g = 0; g < shown; g++) {
        atr_arg_group grp;
        if (atr_argscore_group(s, i, g, &grp) < 0)
            continue;
        atr__fmt_count(buf, sizeof buf, grp.calls);
        atr__table_cell(&t, buf);
        const uint64_t v[] = {grp.p50_ns, grp.p95_ns, grp.max_ns, grp.total_ns};
        for (size_t k = 0; k < 4; k++) {
            atr__fmt_dur(buf, sizeof buf, v[k]);
            atr__table_cell(&t, buf);
        }
        uint64_t h[ATR_HIST_BINS];
        for (size_t k = 0; k < ATR_HIST_BINS; k++)
            h[k] = grp.hist[k];
        atr__sb_clear(&sb);
        atr__spark(&sb, h, ATR_HIST_BINS);
        atr__table_cell(&t, atr__sb_cstr(&sb));
        atr__sb_clear(&sb);
        atr__sb_group_label_in(&sb, ix, &grp, label_room(ctx), by_trend);
        atr__sb_fit_mid(&sb, 0, label_room(ctx), NULL);
        atr__table_cell(&t, atr__sb_cstr(&sb));
    }
    atr__table_print(&t, ctx->out, ctx->color, 2);
    atr__table_free(&t);
    if (shown < as.n_groups) {
        atr__sb_clear(&sb);
        atr__esc_str(&sb, as.name);
        const char *k = atr__sb_cstr(&sb);
        int q =
            k[strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")] != 0;
        fprintf(ctx->out, "  … %" PRIu32 " more group%s (--by %s%s%s shows all)\n",
                as.n_groups - shown, as.n_groups - shown == 1 ? "" : "s", q ? "'" : "", k,
                q ? "'" : "");
    }
    fputc('\n', ctx->out);
    atr__sb_free(&sb);
}

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

/*
 * Under the slowest calls: those that were the first with their argument values and much
 * slower than the later calls with the same values (atr_why_same_values), which no argument
 * explains: "first calls: ranks 1, 2 were the first calls with their argument values …".
 * Said when their time beyond those calls' is at least 5% of the function's (total_ns, its
 * calls' active time): a microsecond's cold start of a small function is not worth a line.
 */
static void print_first_calls(atr__vctx *ctx, const atr__target *t, const atr_callset *cs,
                              uint64_t total_ns) {
    atr__sbuf sb = ATR__SBUF_INIT;
    uint64_t n = 0, max_ns = 0, extra_ns = 0;
    uint32_t loose = 0;
    for (uint64_t i = 0; i < atr_callset_count(cs); i++) {
        atr_why_summary S;
        if (atr_why_same_values(t->ix, atr_callset_get(cs, i), &S) != 0 ||
            S.same_verdict != ATR_WHY_SAME_FIRST)
            continue;
        atr__sb_printf(&sb, n ? ", %" PRIu64 : "%" PRIu64, i + 1);
        max_ns = S.same_max_ns > max_ns ? S.same_max_ns : max_ns;
        extra_ns += S.duration_ns - S.same_max_ns;
        loose += S.same_loose;
        n++;
    }
    if (n && extra_ns >= total_ns / 20) {
        char dur[32];
        atr__sbuf line = ATR__SBUF_INIT;
        atr__fmt_dur(dur, sizeof dur, max_ns);
        atr__sb_printf(&line,
                       "first calls: rank%s %s %s the first with %s argument values; the later "
                       "calls with the same values took at most %s: a first call's work "
                       "(imports, caches, set-up), not the arguments%s (%s why LOG FUNC "
                       "--rank N).",
                       n > 1 ? "s" : "", atr__sb_cstr(&sb), n > 1 ? "were" : "was",
                       n > 1 ? "their" : "its", dur,
                       loose ? ", unless objects known by their type differed" : "", ctx->prog);
        fputc('\n', ctx->out);
        atr__fput_hang(ctx->out, atr__sb_cstr(&line), ctx->width, 2);
        atr__sb_free(&line);
    }
    atr__sb_free(&sb);
}

static void print_slowest(atr__vctx *ctx, const atr__target *t, uint64_t n, uint64_t total_ns) {
    atr_callset *cs = NULL;
    if (n == 0 || atr__target_query(ctx, t, ATR_SORT_DURATION, 0, n, &cs) != ATR_VIEWER_OK)
        return;
    static const char *const heads[] = {"rank", "id", "duration", "call"};
    atr__table tb;
    atr__table_init(&tb, 4, heads, "rrrl");
    atr__table_fit(&tb, ctx->width, 3, ATR__FIT_RIGHT, 30, NULL);
    atr__sbuf sb = ATR__SBUF_INIT;
    char buf[32];
    /* the call column's room: the width less the table's indent (2), the other columns at
       their widest (headers included: rank 4, id 2, duration 8) and their separators (2) */
    char rk[24];
    size_t id_w = 2, dur_w = 8;
    snprintf(rk, sizeof rk, "%" PRIu64, atr_callset_count(cs));
    for (uint64_t i = 0; i < atr_callset_count(cs); i++) {
        atr_call_view cv;
        uint32_t call = atr_callset_get(cs, i);
        char id[ATR_CALL_ID_SIZE];
        if (atr_index_call(t->ix, call, &cv) < 0)
            continue;
        atr_call_id_format(t->ix, call, id, sizeof id);
        atr__fmt_dur(buf, sizeof buf, cv.duration_ns);
        id_w = max_sz(id_w, strlen(id));
        dur_w = max_sz(dur_w, atr__utf8_width(buf, strlen(buf)));
    }
    size_t used = 2 + max_sz(4, strlen(rk)) + 2 + id_w + 2 + dur_w + 2;
    size_t room = ctx->width > used ? ctx->width - used : 0;
    for (uint64_t i = 0; i < atr_callset_count(cs); i++) {
        uint32_t call = atr_callset_get(cs, i);
        atr_call_view cv;
        if (atr_index_call(t->ix, call, &cv) < 0)
            continue;
        atr__table_cellf(&tb, "%" PRIu64, i + 1);
        atr__sb_clear(&sb);
        atr__sb_call_id(&sb, t->ix, call);
        atr__table_cell(&tb, atr__sb_cstr(&sb));
        atr__fmt_dur(buf, sizeof buf, cv.duration_ns);
        atr__table_cell(&tb, buf);
        atr__sb_clear(&sb);
        atr__sb_call_in(&sb, t->ix, call, &cv, 0, atr__value_room_in(ctx, 28), room);
        if (!ctx->width)
            atr__sb_fit(&sb, 0, 100);
        atr__table_cell(&tb, atr__sb_cstr(&sb));
    }
    atr__sb_clear(&sb);
    atr__sb_printf(&sb,
                   "slowest calls (one's call tree: %s tree LOG --id ID, or LOG FUNC "
                   "[FILTER...] --rank N):\n",
                   ctx->prog);
    atr__fput_wrap(ctx->out, atr__sb_cstr(&sb), ctx->width);
    atr__table_print(&tb, ctx->out, ctx->color, 2);
    atr__table_free(&tb);
    atr__sb_free(&sb);
    if (total_ns)
        print_first_calls(ctx, t, cs, total_ns);
    atr_callset_free(cs);
}

static void print_text(atr__vctx *ctx, const atr__target *t, const atr_argscore *s,
                       const slow_args *a) {
    atr_stats st;
    uint64_t total_ns = 0; /* the calls' active time, 0 if unknown */
    atr__sbuf sb = ATR__SBUF_INIT;
    atr__sb_style(&sb, ctx->color, ATR__ST_BOLD);
    atr__sb_funcname(&sb, t->ix, t->fn);
    atr__sb_unstyle(&sb, ctx->color);
    int active = 0; /* its calls suspended: times are active times */
    if (atr_stats_function(t->ix, t->fn, t->filter, &st) == 0) {
        active = st.active_ns != st.total_ns;
        total_ns = st.active_ns;
        const char *est = st.sampled ? "~" : ""; /* a sampled log: scaled estimates */
        atr__sb_puts(&sb, ": ");
        atr__sb_puts(&sb, est);
        atr__sb_count(&sb, st.est_count);
        atr__sb_puts(&sb, st.est_count == 1 ? " call, total " : " calls, total ");
        atr__sb_puts(&sb, est);
        if (st.nested) { /* recursion: its time counted once, as `summary` */
            atr__sb_dur(&sb, st.est_inclusive_ns);
            atr__sb_puts(&sb, " (");
            atr__sb_count(&sb, st.nested);
            atr__sb_puts(&sb, st.nested == 1 ? " call inside another of it)"
                                             : " calls inside another of it)");
        } else {
            atr__sb_dur(&sb, st.est_total_ns);
        }
        if (active && !st.nested) {
            atr__sb_puts(&sb, " (active ");
            atr__sb_puts(&sb, est);
            atr__sb_dur(&sb, st.est_active_ns);
            atr__sb_putc(&sb, ')');
        }
        if (st.sampled) {
            atr__sb_puts(&sb, " (sampled: ");
            atr__sb_count(&sb, st.count);
            atr__sb_puts(&sb, " recorded)");
        }
        atr__sb_puts(&sb, ", p50 ");
        atr__sb_dur(&sb, st.p50_ns);
        atr__sb_puts(&sb, ", p95 ");
        atr__sb_dur(&sb, st.p95_ns);
        atr__sb_puts(&sb, ", max ");
        atr__sb_dur(&sb, st.max_ns);
    }
    uint64_t edges[ATR_HIST_BINS + 1];
    atr_argscore_hist_edges(s, edges);
    atr__sb_puts(&sb, "\nhistograms: 8 log-scale bins from ");
    atr__sb_dur(&sb, edges[0]);
    atr__sb_puts(&sb, " to ");
    atr__sb_dur(&sb, edges[ATR_HIST_BINS]);
    if (active)
        atr__sb_puts(&sb,
                     "\nscore: share of the active time's variation the key explains"
                     "\n(the calls suspend: generator or coroutine; percentiles, histograms and"
                     "\nscores use the time they ran, not the time to completion)\n\n");
    else
        atr__sb_puts(&sb, "\nscore: share of the duration's variation the key explains\n\n");
    atr__fput_wrap(ctx->out, atr__sb_cstr(&sb), ctx->width);
    atr__sb_free(&sb);
    uint32_t n = atr_argscore_count(s);
    if (n == 0)
        fputs("no captured arguments\n\n", ctx->out);
    for (uint32_t i = 0; i < n; i++)
        print_arg_text(ctx, t, s, i, a->n_by ? 0 : a->groups);
    print_slowest(ctx, t, a->calls, total_ns);
}

static void print_json(atr__vctx *ctx, const atr__target *t, const atr_argscore *s) {
    atr__json j;
    atr__json_init(&j, ctx->out, 4);
    atr__json_obj_begin(&j);
    atr__json_funcname(&j, "function", t->ix, t->fn);
    atr__json_kuint(&j, "calls", atr_argscore_calls(s));
    atr__json_key(&j, "arguments");
    atr__json_arr_begin(&j);
    for (uint32_t i = 0; i < atr_argscore_count(s); i++) {
        atr_arg_score as;
        if (atr_argscore_arg(s, i, &as) < 0)
            continue;
        atr__json_obj_begin(&j);
        atr__json_key(&j, "name");
        atr__json_str(&j, as.name.ptr, as.name.len);
        atr__json_key(&j, "score");
        atr__json_double(&j, as.score);
        atr__json_key(&j, "groups");
        atr__json_arr_begin(&j);
        for (uint32_t g = 0; g < as.n_groups; g++) {
            atr_arg_group grp;
            atr_value v;
            if (atr_argscore_group(s, i, g, &grp) < 0)
                continue;
            atr__json_obj_begin(&j);
            atr__json_key(&j, "value");
            if (grp.value != ATR_NO_VALUE && atr_index_value(t->ix, grp.value, &v) == 0)
                atr__json_value(&j, &v);
            else
                atr__json_cstr(&j, grp.label);
            atr__json_kuint(&j, "calls", grp.calls);
            atr__json_kuint(&j, "p50_ns", grp.p50_ns);
            atr__json_kuint(&j, "p95_ns", grp.p95_ns);
            atr__json_kuint(&j, "max_ns", grp.max_ns);
            atr__json_kuint(&j, "total_ns", grp.total_ns);
            atr__json_obj_end(&j);
        }
        atr__json_arr_end(&j);
        atr__json_obj_end(&j);
    }
    atr__json_arr_end(&j);
    atr__json_obj_end(&j);
    atr__json_end_line(&j);
}

int atr__cmd_slow(atr__vctx *ctx, int argc, char **argv) {
    atr__operands ops = {0};
    slow_args a = {0, 0, {NULL}, 0, 5, 5};
    atr__target t = {0};
    t.selective = 1; /* FUNC's calls, their arguments and durations: nothing else */
    int st = atr__target_setup(ctx, argc, argv, slow_opts, on_opt, &a, 1, &ops, &t);
    atr_argscore *s = NULL;
    if (st == ATR_VIEWER_OK && a.n_by) {
        st = compute_by(ctx, &t, &a, &s);
    } else if (st == ATR_VIEWER_OK &&
               atr_argscore_compute(t.ix, t.fn, t.filter,
                                    ATR_ARGSCORE_PAIR | (a.result ? ATR_ARGSCORE_RESULT : 0),
                                    &s) < 0) {
        atr__errorf(ctx, "out of memory");
        st = ATR_VIEWER_FAIL;
    }
    if (st == ATR_VIEWER_OK) {
        if (a.json)
            print_json(ctx, &t, s);
        else
            print_text(ctx, &t, s, &a);
    }
    atr_argscore_free(s);
    atr__target_close(&t);
    atr__operands_free(&ops);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
