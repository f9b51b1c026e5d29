/*
 * `why LOG... FUNC [FILTER...] [--rank N]` (or `why LOG... --id ID`): why was this call slow?
 * The call (chosen as tree chooses it) against the typical calls of its function
 * (atr_why_*): which baseline, which child functions account for the extra time, the self
 * time, and which argument values differ from the typical calls. Text fits 80 columns.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json_call.h"
#include "load.h"
#include "render.h"
#include "render_call.h"
#include "why.h"

enum { OPT_JSON = 1, OPT_RANK, OPT_ID, OPT_CHILDREN };
static const atr__opt why_opts[] = {
    {"json", 0, 0, OPT_JSON, "--json       {call, baseline, children, self, arguments}"},
    {"rank", 'r', 1, OPT_RANK, "-r, --rank N  the Nth slowest matching call (default 1)"},
    {"id", 'i', 1, OPT_ID, "-i, --id ID  the call with this id (as calls prints it), not FUNC"},
    {"children", 'c', 1, OPT_CHILDREN,
     "-c, --children N  child functions shown (default 10; 0: all)"},
    {NULL, 0, 0, 0, NULL},
};

typedef struct why_args {
    int json, ranked;
    uint64_t rank, children;
    const char *id; /* --id, or NULL */
} why_args;

static int on_opt(atr__vctx *ctx, void *ud, int id, const char *arg) {
    why_args *a = ud;
    if (id == OPT_JSON)
        a->json = 1;
    else if (id == OPT_ID)
        a->id = arg;
    else if (id == OPT_RANK)
        return atr__opt_rank(ctx, arg, &a->rank, &a->ranked);
    else if (id == OPT_CHILDREN && atr__opt_uint(ctx, "children", arg, &a->children) < 0)
        return ATR_VIEWER_USAGE;
    return ATR_VIEWER_OK;
}

/* ---- text ---- */

#define W_ARG 11   /* argument names */
#define W_VALUE 16 /* the call's value */
#define W_TYP 16   /* the typical value */
#define W_FUNC 26  /* child function names */
#define W_LABEL 26 /* the baseline group in the baseline line */
#define W_NOTE 26  /* the note on an argument */

/* "+1.23 ms", "-512 ns", "0". */
static void sb_signed_dur(atr__sbuf *sb, int64_t ns) {
    if (ns == 0) {
        atr__sb_putc(sb, '0');
        return;
    }
    atr__sb_putc(sb, ns > 0 ? '+' : '-');
    atr__sb_dur(sb, ns > 0 ? (uint64_t)ns : (uint64_t)0 - (uint64_t)ns);
}

/* The true length of a value worth showing after an abbreviation (0: none). */
static uint64_t value_len(const atr_value *v) {
    if (v->kind == ATR_V_STR || v->kind == ATR_V_BYTES || v->kind == ATR_V_REPR)
        return v->u.s.true_len > v->u.s.len ? v->u.s.true_len : v->u.s.len;
    return 0;
}

/* Append value `vid` abbreviated in the middle to `maxw` columns ("-" if not captured). */
static void sb_value_fit(atr__sbuf *sb, const atr_index *ix, uint32_t vid, size_t maxw) {
    atr_value v;
    size_t from = sb->len;
    if (vid == ATR_NO_VALUE || atr_index_value(ix, vid, &v) < 0) {
        atr__sb_puts(sb, "(not captured)");
        return;
    }
    if (atr__value_all_entries(&v)) { /* a summarizer's: its entries' values */
        atr__render_value_fit(sb, &v, maxw);
        return;
    }
    atr__render_value(sb, &v);
    if (v.kind == ATR_V_SUMMARY && atr__utf8_width(sb->ptr + from, sb->len - from) > maxw) {
        v.n_items = 0; /* keep the type and length, drop the items */
        sb->len = from;
        atr__render_value(sb, &v);
    }
    atr__sb_fit_middle(sb, from, maxw, value_len(&v));
}

/* A group as "value" (exact groups) or its label, abbreviated in the middle. */
static void sb_group_fit(atr__sbuf *sb, const atr_index *ix, uint32_t value, const char *label,
                         size_t maxw) {
    size_t from = sb->len;
    if (value != ATR_NO_VALUE) {
        sb_value_fit(sb, ix, value, maxw);
        return;
    }
    atr__esc_text(sb, label, strlen(label), ATR__ESC_KEEP_BS);
    atr__sb_fit_middle(sb, from, maxw, 0);
}

static void sb_name_fit(atr__sbuf *sb, atr_str name, size_t maxw) {
    size_t from = sb->len;
    atr__esc_str(sb, name);
    atr__sb_fit_middle(sb, from, maxw, 0);
}

/* "rows explains", or for a pair "rows and mode together explain". */
static void sb_explains(atr__sbuf *sb, atr_str name, int pair) {
    const char *comma = pair ? memchr(name.ptr, ',', name.len) : NULL;
    if (!comma) {
        sb_name_fit(sb, name, W_ARG);
        atr__sb_puts(sb, " explains");
        return;
    }
    sb_name_fit(sb, (atr_str){name.ptr, (size_t)(comma - name.ptr)}, W_ARG);
    atr__sb_puts(sb, " and ");
    sb_name_fit(sb, (atr_str){comma + 1, name.len - (size_t)(comma + 1 - name.ptr)}, W_ARG);
    atr__sb_puts(sb, " together explain");
}

static void put_line(atr__vctx *ctx, atr__sbuf *sb) {
    atr__sb_putc(sb, '\n');
    fputs(atr__sb_cstr(sb), ctx->out);
    atr__sb_clear(sb);
}

static void heading(atr__vctx *ctx, atr__sbuf *sb, const char *text) {
    atr__sb_style(sb, ctx->color, ATR__ST_BOLD);
    atr__sb_puts(sb, text);
    atr__sb_unstyle(sb, ctx->color);
    put_line(ctx, sb);
}

static void print_head(atr__vctx *ctx, const atr_index *ix, const atr_why_summary *S, uint64_t rank,
                       uint64_t matched, atr__sbuf *sb) {
    atr_call_view cv;
    if (atr_index_call(ix, S->call, &cv) < 0)
        return;
    atr__sb_style(sb, ctx->color, ATR__ST_BOLD);
    atr__sb_puts(sb, "why was call ");
    atr__sb_call_id(sb, ix, S->call);
    atr__sb_puts(sb, " slow?");
    atr__sb_unstyle(sb, ctx->color);
    if (rank)
        atr__sb_printf(sb, "  (rank %" PRIu64 " of ", rank), atr__sb_count(sb, matched),
            atr__sb_puts(sb, matched == 1 ? " matching call)" : " matching calls)");
    put_line(ctx, sb);
    atr__sb_puts(sb, "  ");
    atr__sb_call(sb, ix, S->call, &cv, 1);
    atr__sb_fit(sb, 2, 77);
    put_line(ctx, sb);
    if (cv.status == ATR_CALL_UNFINISHED) {
        atr__sb_puts(sb, "  unfinished: its duration runs to the end of its log");
        put_line(ctx, sb);
    }
    atr__sb_puts(sb, "  took ");
    atr__sb_dur(sb, S->duration_ns);
    if (S->baseline_calls) {
        atr__sb_puts(sb, "; typical ");
        atr__sb_dur(sb, S->baseline_p50_ns);
        atr__sb_puts(sb, ": ");
        sb_signed_dur(sb, S->extra_ns);
        if (S->baseline_p50_ns && S->duration_ns >= 2 * S->baseline_p50_ns) {
            double x = (double)S->duration_ns / (double)S->baseline_p50_ns;
            atr__sb_puts(sb, " (");
            if (x < 100)
                atr__sb_printf(sb, "%.1f", x);
            else
                atr__sb_count(sb, (uint64_t)(x + 0.5));
            atr__sb_puts(sb, "× typical)");
        }
    }
    put_line(ctx, sb);
}

static void print_baseline(atr__vctx *ctx, const atr_index *ix, const atr_why *w,
                           const atr_why_summary *S, atr__sbuf *sb) {
    atr__sb_puts(sb, "baseline: ");
    if (S->by_group) {
        atr__sb_count(sb, S->baseline_calls);
        atr__sb_puts(sb, S->baseline_calls == 1 ? " other call with " : " other calls with ");
        sb_name_fit(sb, S->group_arg, S->group_pair ? 2 * W_ARG + 1 : W_ARG);
        atr__sb_puts(sb, S->group_value != ATR_NO_VALUE ? "=" : " in ");
        sb_group_fit(sb, ix, S->group_value, S->group_label, W_LABEL);
        put_line(ctx, sb);
        atr__sb_puts(sb, "  (");
        sb_explains(sb, S->group_arg, S->group_pair);
        atr__sb_printf(sb, " %.0f%% of the duration's variation;", 100 * S->group_score);
        put_line(ctx, sb);
        atr__sb_puts(sb, "  this group's p50 ");
        atr__sb_dur(sb, S->group_p50_ns);
        atr__sb_puts(sb, " against ");
        atr__sb_dur(sb, S->function_p50_ns);
        atr__sb_puts(sb, " for all ");
        atr__sb_count(sb, S->function_calls);
        atr__sb_puts(sb, S->function_calls == 1 ? " call)" : " calls)");
        put_line(ctx, sb);
        return;
    }
    if (S->baseline_calls == 1) {
        atr__sb_puts(sb, "the only other call of ");
    } else {
        atr__sb_puts(sb, "all ");
        atr__sb_count(sb, S->baseline_calls);
        atr__sb_puts(sb, " other calls of ");
    }
    size_t from = sb->len;
    atr__sb_funcname(sb, ix, S->function);
    atr__sb_fit_middle(sb, from, 40, 0);
    put_line(ctx, sb);
    atr_why_arg best;
    int have = 0;
    memset(&best, 0, sizeof best);
    for (uint32_t i = 0; i < S->n_args; i++) {
        atr_why_arg r;
        if (atr_why_get_arg(w, i, &r) == 0 && (!have || r.score > best.score))
            best = r, have = 1;
    }
    /* an argument alone, else the pair, that explains but has too few calls like this one */
    int pair = !(have && best.score >= ATR_WHY_MIN_SCORE) && S->pair_arg.len &&
               S->pair_score >= ATR_WHY_MIN_SCORE;
    if ((have && best.score >= ATR_WHY_MIN_SCORE) || pair) {
        uint64_t peers = pair ? S->pair_peers : best.peer_calls;
        atr__sb_puts(sb, "  (");
        sb_explains(sb, pair ? S->pair_arg : best.name, pair);
        atr__sb_printf(sb, " %.0f%% of the duration's variation, but ",
                       100 * (pair ? S->pair_score : best.score));
        if (peers == 0) {
            atr__sb_puts(sb, "no");
        } else {
            atr__sb_puts(sb, "only ");
            atr__sb_count(sb, peers);
        }
        put_line(ctx, sb);
        atr__sb_printf(sb,
                       "  other call%s share%s this call's group; %u are needed for a group "
                       "baseline)",
                       peers > 1 ? "s" : "", peers > 1 ? "" : "s", ATR_WHY_MIN_BASELINE);
    } else if (have) {
        atr__sb_puts(sb, "  (no argument explains the duration; the best, ");
        sb_name_fit(sb, best.name, W_ARG);
        atr__sb_printf(sb, ", explains %.0f%%)", 100 * best.score);
    } else {
        atr__sb_puts(sb, "  (no captured arguments to group the calls by)");
    }
    put_line(ctx, sb);
}

/* Returns the child row to drill into (largest positive extra with a call), or -1. */
static int64_t print_children(atr__vctx *ctx, const atr_index *ix, const atr_why *w,
                              const atr_why_summary *S, uint64_t max_rows, atr__sbuf *sb) {
    static const char *const heads[] = {"function", "calls",    "typ calls",
                                        "time",     "typ time", "extra"};
    atr__table t;
    atr__table_init(&t, 6, heads, "lrrrrr");
    char buf[32];
    uint32_t shown = S->n_children;
    if (max_rows && max_rows < shown)
        shown = (uint32_t)max_rows;
    int64_t drill = -1;
    int resumed = 0;
    for (uint32_t i = 0; i < shown; i++) {
        atr_why_child c;
        if (atr_why_get_child(w, i, &c) < 0)
            continue;
        if (drill < 0 && c.extra_ns > 0 && c.slowest_call != ATR_NO_CALL)
            drill = i;
        atr__sb_clear(sb);
        if (c.resumed) /* steps it ran for other calls: not its children */
            atr__sb_puts(sb, "↻ ");
        resumed |= c.resumed;
        size_t mark = sb->len; /* names keep their distinguishing tail */
        atr__sb_funcname(sb, ix, c.function);
        atr__sb_fit_left(sb, mark, mark ? W_FUNC - 2 : W_FUNC);
        atr__table_cell(&t, atr__sb_cstr(sb));
        atr__fmt_count(buf, sizeof buf, c.calls);
        atr__table_cell(&t, buf);
        atr__fmt_count(buf, sizeof buf, c.typical_calls);
        atr__table_cell(&t, buf);
        atr__fmt_dur(buf, sizeof buf, c.duration_ns);
        atr__table_cell(&t, buf);
        atr__fmt_dur(buf, sizeof buf, c.typical_ns);
        atr__table_cell(&t, buf);
        atr__sb_clear(sb);
        sb_signed_dur(sb, c.extra_ns);
        atr__table_cell(&t, atr__sb_cstr(sb));
    }
    atr__table_cell(&t, "(self)");
    atr__table_cell(&t, "");
    atr__table_cell(&t, "");
    atr__fmt_dur(buf, sizeof buf, S->self_ns);
    atr__table_cell(&t, buf);
    atr__fmt_dur(buf, sizeof buf, S->typical_self_ns);
    atr__table_cell(&t, buf);
    atr__sb_clear(sb);
    sb_signed_dur(sb, S->self_extra_ns);
    atr__table_cell(&t, atr__sb_cstr(sb));
    atr__sb_clear(sb);
    heading(ctx, sb, "where the time went (direct children by function; typ: median per call)");
    atr__table_print(&t, ctx->out, ctx->color, 2);
    atr__table_free(&t);
    if (shown < S->n_children)
        fprintf(ctx->out, "  … %" PRIu32 " more child function%s (--children 0 shows all)\n",
                S->n_children - shown, S->n_children - shown == 1 ? "" : "s");
    if (resumed)
        fprintf(ctx->out, "  ↻: steps of other calls' generators or tasks it resumed (not its "
                          "children)\n");
    return drill;
}

static void print_args(atr__vctx *ctx, const atr_index *ix, const atr_why *w,
                       const atr_why_summary *S, atr__sbuf *sb) {
    static const char *const heads[] = {"argument", "this call", "", "typical", "note"};
    if (S->n_args == 0)
        return;
    atr__table t;
    atr__table_init(&t, 5, heads, "lllll");
    for (uint32_t i = 0; i < S->n_args; i++) {
        atr_why_arg r;
        if (atr_why_get_arg(w, i, &r) < 0)
            continue;
        atr__sb_clear(sb);
        sb_name_fit(sb, r.name, W_ARG);
        atr__table_cell(&t, atr__sb_cstr(sb));
        atr__sb_clear(sb);
        sb_value_fit(sb, ix, r.value, W_VALUE);
        atr__table_cell(&t, atr__sb_cstr(sb));
        atr__table_cell(&t, r.differs ? "≠" : r.typical ? "=" : "");
        atr__sb_clear(sb);
        if (r.has_median) {
            char num[40];
            snprintf(num, sizeof num, "median %.6g", r.median);
            if (strlen(num) > W_TYP)
                snprintf(num, sizeof num, "median %.3g", r.median);
            atr__sb_puts(sb, num);
            atr__sb_fit_middle(sb, 0, W_TYP, 0);
        } else if (r.typical) {
            sb_group_fit(sb, ix, r.typical_value, r.typical, W_TYP);
        }
        atr__table_cell(&t, atr__sb_cstr(sb));
        atr__sb_clear(sb);
        if (r.slow_group) {
            /* the calls like this one in the baseline when they are the slow ones */
            int peers = r.peer_calls >= 3 && r.peer_p50_ns >= 2 * S->baseline_p50_ns;
            char p50[32], cnt[32], note[80];
            atr__fmt_dur(p50, sizeof p50, peers ? r.peer_p50_ns : r.group_p50_ns);
            atr__fmt_count(cnt, sizeof cnt, peers ? r.peer_calls : r.group_calls);
            snprintf(note, sizeof note, "slow: p50 %s (%s)", p50, cnt);
            if (atr__utf8_width(note, strlen(note)) > W_NOTE) /* no room for the count */
                snprintf(note, sizeof note, "slow: p50 %s", p50);
            atr__sb_style(sb, ctx->color, ATR__ST_RED);
            atr__sb_puts(sb, note);
            atr__sb_unstyle(sb, ctx->color);
        }
        atr__table_cell(&t, atr__sb_cstr(sb));
    }
    atr__sb_clear(sb);
    heading(ctx, sb, "arguments (typical: most common in the baseline; slow: calls like it are)");
    atr__table_print(&t, ctx->out, ctx->color, 2);
    atr__table_free(&t);
}

/* "next: argtrace why LOG... --id N" for the child worth a closer look (without logs: the
   call's id alone). */
static void print_next(atr__vctx *ctx, const char *const *logs, int n_logs, const atr_index *ix,
                       const atr_why_child *c, atr__sbuf *sb) {
    atr__sb_puts(sb, "next: the slowest ");
    size_t from = sb->len;
    atr__sb_funcname(sb, ix, c->function);
    atr__sb_fit_left(sb, from, 40);
    if (n_logs == 0) {
        atr__sb_puts(sb, " call in it: call ");
        atr__sb_call_id(sb, ix, c->slowest_call);
        put_line(ctx, sb);
        return;
    }
    atr__sb_puts(sb, " call in it:");
    put_line(ctx, sb);
    atr__sb_printf(sb, "  %s why", ctx->prog);
    for (int i = 0; i < n_logs; i++) {
        atr__sb_putc(sb, ' ');
        atr__esc_text(sb, logs[i], strlen(logs[i]), ATR__ESC_BARE);
    }
    atr__sb_puts(sb, " --id ");
    atr__sb_call_id(sb, ix, c->slowest_call);
    put_line(ctx, sb);
}

/* "same values: …": how the other calls with this call's argument values went, and what
   that says (atr_why.h); nothing when there are none. */
static void print_same(atr__vctx *ctx, const atr_why *w, const atr_why_summary *S, atr__sbuf *sb) {
    if (!S->same_calls)
        return;
    atr__sbuf loose = ATR__SBUF_INIT; /* "settings", "settings and 2 others" */
    for (uint32_t i = 0; S->same_loose && i < S->n_args; i++) {
        atr_why_arg r;
        if (atr_why_get_arg(w, i, &r) != 0 || r.param != S->same_loose_param)
            continue;
        sb_name_fit(&loose, r.name, W_ARG);
        if (S->same_loose > 1)
            atr__sb_printf(&loose, " and %u other%s", S->same_loose - 1,
                           S->same_loose > 2 ? "s" : "");
        break;
    }
    atr__sb_puts(sb, "same values: ");
    atr__sb_count(sb, S->same_calls);
    atr__sb_puts(sb, S->same_calls == 1 ? " other call" : " other calls");
    atr__sb_puts(sb, " with these argument values");
    if (loose.len)
        atr__sb_printf(sb, " (%s compared as captured)", atr__sb_cstr(&loose));
    atr__sb_puts(sb, " took ");
    atr__sb_dur(sb, S->same_p50_ns);
    if (S->same_calls > 1) {
        atr__sb_puts(sb, " (median, at most ");
        atr__sb_dur(sb, S->same_max_ns);
        atr__sb_putc(sb, ')');
    }
    if (S->same_nth == 1)
        atr__sb_puts(sb, S->nth_call == 1 ? "; this call was the first of them and the "
                                            "function's first call"
                                          : "; this call was the first of them");
    const char *says = atr_why_same_says(S->same_verdict);
    atr__sb_puts(sb, says[0] ? ": " : "");
    atr__sb_puts(sb, says);
    if (loose.len && S->same_verdict != ATR_WHY_SAME_NONE && S->same_verdict != ATR_WHY_SAME_VALUES)
        atr__sb_printf(sb, ", unless %s differed", atr__sb_cstr(&loose));
    atr__sb_putc(sb, '.');
    atr__fput_hang(ctx->out, atr__sb_cstr(sb), ctx->width && ctx->width < 80 ? ctx->width : 80, 2);
    atr__sb_clear(sb);
    atr__sb_free(&loose);
}

int atr__why_text(atr__vctx *ctx, const atr_index *ix, uint32_t call, uint64_t rank,
                  uint64_t matched, const char *const *logs, int n_logs, uint64_t max_children,
                  uint32_t *next) {
    atr_why *w = NULL;
    atr_why_summary S;
    atr__sbuf sb = ATR__SBUF_INIT;
    *next = ATR_NO_CALL;
    int rc = atr_why_compute(ix, call, &w);
    if (rc < 0)
        return rc;
    atr_why_get_summary(w, &S);
    print_head(ctx, ix, &S, rank, matched, &sb);
    fputc('\n', ctx->out);
    if (S.baseline_calls == 0) {
        atr__sb_puts(&sb, "nothing to compare with: no other finished call of ");
        atr__sb_funcname(&sb, ix, S.function);
        put_line(ctx, &sb);
    } else {
        print_baseline(ctx, ix, w, &S, &sb);
        print_same(ctx, w, &S, &sb);
        fputc('\n', ctx->out);
        int64_t drill = print_children(ctx, ix, w, &S, max_children, &sb);
        fputc('\n', ctx->out);
        atr__sb_clear(&sb);
        print_args(ctx, ix, w, &S, &sb);
        if (S.n_args)
            fputc('\n', ctx->out);
        atr__sb_clear(&sb);
        atr_why_child c;
        if (drill >= 0 && atr_why_get_child(w, (uint32_t)drill, &c) == 0) {
            print_next(ctx, logs, n_logs, ix, &c, &sb);
            *next = c.slowest_call;
        }
    }
    rc = sb.oom ? ATR_ENOMEM : 0;
    atr__sb_free(&sb);
    atr_why_free(w);
    return rc;
}

/* ---- JSON ---- */

static void json_group(atr__json *j, const atr_index *ix, uint32_t value, const char *label) {
    atr_value v;
    atr__json_key(j, "value");
    if (value != ATR_NO_VALUE && atr_index_value(ix, value, &v) == 0)
        atr__json_value(j, &v);
    else
        atr__json_cstr(j, label);
    atr__json_kstr(j, "label", label);
}

static void json_arg(atr__json *j, const atr_index *ix, const atr_why_arg *r) {
    atr_value v;
    atr__json_obj_begin(j);
    atr__json_key(j, "name");
    atr__json_str(j, r->name.ptr, r->name.len);
    atr__json_key(j, "captured");
    atr__json_bool(j, r->value != ATR_NO_VALUE);
    atr__json_key(j, "value");
    if (r->value != ATR_NO_VALUE && atr_index_value(ix, r->value, &v) == 0)
        atr__json_value(j, &v);
    else
        atr__json_null(j);
    atr__json_key(j, "score");
    atr__json_double(j, r->score);
    atr__json_key(j, "group");
    if (r->group) {
        atr__json_obj_begin(j);
        json_group(j, ix, r->group_value, r->group);
        atr__json_kuint(j, "calls", r->group_calls);
        atr__json_kuint(j, "p50_ns", r->group_p50_ns);
        atr__json_kuint(j, "baseline_calls", r->peer_calls);
        atr__json_kuint(j, "baseline_p50_ns", r->peer_p50_ns);
        atr__json_key(j, "slow");
        atr__json_bool(j, r->slow_group);
        atr__json_obj_end(j);
    } else {
        atr__json_null(j);
    }
    atr__json_key(j, "typical");
    if (r->typical) {
        atr__json_obj_begin(j);
        json_group(j, ix, r->typical_value, r->typical);
        atr__json_kuint(j, "calls", r->typical_calls);
        atr__json_kuint(j, "p50_ns", r->typical_p50_ns);
        atr__json_key(j, "median");
        if (r->has_median)
            atr__json_double(j, r->median);
        else
            atr__json_null(j);
        atr__json_obj_end(j);
    } else {
        atr__json_null(j);
    }
    atr__json_key(j, "differs");
    atr__json_bool(j, r->differs);
    atr__json_obj_end(j);
}

static void print_json(atr__vctx *ctx, const atr_index *ix, const atr_why *w) {
    atr_why_summary S;
    atr_why_get_summary(w, &S);
    atr__json j;
    atr__json_init(&j, ctx->out, 3);
    atr__json_obj_begin(&j);
    atr__json_key(&j, "call");
    atr__json_call(&j, ix, S.call);
    atr__json_kint(&j, "extra_ns", S.extra_ns);
    atr__json_key(&j, "baseline");
    atr__json_obj_begin(&j);
    atr__json_kuint(&j, "calls", S.baseline_calls);
    atr__json_kuint(&j, "p50_ns", S.baseline_p50_ns);
    atr__json_kuint(&j, "function_calls", S.function_calls);
    atr__json_kuint(&j, "function_p50_ns", S.function_p50_ns);
    atr__json_key(&j, "group");
    if (S.by_group) {
        atr__json_obj_begin(&j);
        atr__json_key(&j, "argument");
        atr__json_str(&j, S.group_arg.ptr, S.group_arg.len);
        atr__json_key(&j, "pair");
        atr__json_bool(&j, S.group_pair);
        json_group(&j, ix, S.group_value, S.group_label);
        atr__json_kstr(&j, "filter", S.group_filter);
        atr__json_key(&j, "score");
        atr__json_double(&j, S.group_score);
        atr__json_kuint(&j, "p50_ns", S.group_p50_ns);
        atr__json_obj_end(&j);
    } else {
        atr__json_null(&j);
    }
    atr__json_obj_end(&j);
    atr__json_kuint(&j, "nth_call", S.nth_call);
    atr__json_key(&j, "same_values");
    atr__json_obj_begin(&j);
    atr__json_kuint(&j, "calls", S.same_calls);
    atr__json_kuint(&j, "p50_ns", S.same_p50_ns);
    atr__json_kuint(&j, "max_ns", S.same_max_ns);
    atr__json_kuint(&j, "nth", S.same_nth);
    atr__json_kuint(&j, "loose", S.same_loose);
    atr__json_kstr(&j, "verdict", atr_why_same_name(S.same_verdict));
    atr__json_kstr(&j, "says", atr_why_same_says(S.same_verdict));
    atr__json_obj_end(&j);
    atr__json_key(&j, "children");
    atr__json_arr_begin(&j);
    for (uint32_t i = 0; i < S.n_children; i++) {
        atr_why_child c;
        if (atr_why_get_child(w, i, &c) < 0)
            continue;
        atr__json_obj_begin(&j);
        atr__json_funcname(&j, "function", ix, c.function);
        atr__json_kuint(&j, "calls", c.calls);
        atr__json_kuint(&j, "typical_calls", c.typical_calls);
        atr__json_kuint(&j, "duration_ns", c.duration_ns);
        atr__json_kuint(&j, "typical_ns", c.typical_ns);
        atr__json_kint(&j, "extra_ns", c.extra_ns);
        atr__json_call_id(&j, "slowest_id", ix, c.slowest_call);
        atr__json_key(&j, "resumed");
        atr__json_bool(&j, c.resumed);
        atr__json_obj_end(&j);
    }
    atr__json_arr_end(&j);
    atr__json_key(&j, "self");
    atr__json_obj_begin(&j);
    atr__json_kuint(&j, "duration_ns", S.self_ns);
    atr__json_kuint(&j, "typical_ns", S.typical_self_ns);
    atr__json_kint(&j, "extra_ns", S.self_extra_ns);
    atr__json_obj_end(&j);
    atr__json_key(&j, "arguments");
    atr__json_arr_begin(&j);
    for (uint32_t i = 0; i < S.n_args; i++) {
        atr_why_arg r;
        if (atr_why_get_arg(w, i, &r) == 0)
            json_arg(&j, ix, &r);
    }
    atr__json_arr_end(&j);
    atr__json_obj_end(&j);
    atr__json_end_line(&j);
}

int atr__cmd_why(atr__vctx *ctx, int argc, char **argv) {
    atr__operands ops = {0};
    why_args a = {0, 0, 1, 10, NULL};
    atr__target t = {0};
    uint32_t call = ATR_NO_CALL;
    uint64_t matched = 0;
    atr_why *w = NULL;
    int st = atr__parse_args(ctx, argc, argv, why_opts, &ops, on_opt, &a);
    if (st == ATR_VIEWER_OK)
        st = atr__target_pick(ctx, &ops, a.id, a.ranked, a.rank, &t, &call, &matched);
    uint32_t next;
    int rc = 0;
    if (st == ATR_VIEWER_OK && a.json && (rc = atr_why_compute(t.ix, call, &w)) == 0)
        print_json(ctx, t.ix, w);
    else if (st == ATR_VIEWER_OK && !a.json)
        rc = atr__why_text(ctx, t.ix, call, a.id ? 0 : a.rank, matched, ops.logs, ops.n_logs,
                           a.children, &next);
    if (st == ATR_VIEWER_OK && rc < 0) {
        atr__errorf(ctx, "out of memory");
        st = ATR_VIEWER_FAIL;
    }
    atr_why_free(w);
    atr__target_close(&t);
    atr__operands_free(&ops);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
