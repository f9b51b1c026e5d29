/*
 * `tree LOG... FUNC [FILTER...] [--rank N]`: the call tree of FUNC's Nth slowest call among
 * those matching the filters (or `tree LOG... --id ID`: of the call with that printed id):
 * duration, share of the parent, self time, arguments, outcome.
 * Shares and self times are of active time: a generator or coroutine that suspended shows
 * "[active T]" after its call and is charged only T (calltree.h). A call that resumed generators
 * or tasks of calls that were suspended or over (atr_call_view.adopted_ns) says so in a row
 * of its own: that time is neither its self time nor its children's.
 * Long runs of fast siblings fold into one line, and so do the calls under 0.5% of the tree's
 * call (or, with --min-share, under a share of their parent): text only, --json is complete.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "calltree.h"
#include "json_call.h"
#include "load.h"
#include "render.h"
#include "render_call.h"

#define TREE_MAX_DEPTH 1000  /* deeper calls are cut (recursion of the renderer) */
#define TREE_ROOT_PERMILLE 5 /* by default, calls under 0.5% of the tree's call are counted */

enum { OPT_JSON = 1, OPT_RANK, OPT_DEPTH, OPT_ALL, OPT_ID, OPT_MIN_SHARE };
static const atr__opt tree_opts[] = {
    {"json", 0, 0, OPT_JSON,
     "--json       {id, function, args, result, exception, "
     "duration_ns, active_ns, self_ns, adopted_ns, resumed, children}"},
    {"rank", 'r', 1, OPT_RANK, "-r, --rank N  the Nth slowest matching call (default 1)"},
    {"depth", 'd', 1, OPT_DEPTH,
     "-d, --depth N  show N levels below the call (0: the call "
     "alone)"},
    {"all", 'a', 0, OPT_ALL, "-a, --all    show every call (no folding of fast calls)"},
    {"min-share", 'm', 1, OPT_MIN_SHARE,
     "-m, --min-share P  one line for the calls under P% of their parent (e.g. 1%; "
     "default: for the calls under 0.5% of the tree's call)"},
    {"id", 'i', 1, OPT_ID, "-i, --id ID  the call with this id (as calls prints it), not FUNC"},
    ATR__OPTS_WIDTH,
    {NULL, 0, 0, 0, NULL},
};

typedef struct tree_args {
    int json, all, ranked, min_share_set;
    uint32_t min_share; /* permille of the parent (--min-share) */
    uint64_t rank, depth;
    const char *id; /* --id, or NULL */
} tree_args;

static int on_opt(atr__vctx *ctx, void *ud, int id, const char *arg) {
    tree_args *a = ud;
    if (id == OPT_JSON)
        a->json = 1;
    else if (id == OPT_ALL)
        a->all = 1;
    else if (id == OPT_ID)
        a->id = arg;
    else if (id == OPT_MIN_SHARE) {
        if (atr__parse_share(arg, &a->min_share) < 0) {
            atr__errorf(ctx, "--min-share takes a percentage such as 1%% or 0.5%%, not '%s'", arg);
            return ATR_VIEWER_USAGE;
        }
        a->min_share_set = 1;
    } else if (id == OPT_RANK)
        return atr__opt_rank(ctx, arg, &a->rank, &a->ranked);
    else if (id == OPT_DEPTH && atr__opt_uint(ctx, "depth", arg, &a->depth) < 0)
        return ATR_VIEWER_USAGE;
    return ATR_VIEWER_OK;
}

/* Columns the duration, share and self columns take with their gaps. */
#define TREE_USED 27

typedef struct tree_out {
    const atr_index *ix;
    size_t maxv; /* columns of one value (atr__value_room) */
    size_t room; /* columns of the call column (0: no limit) */
    const tree_args *a;
    atr__minor_rule minor; /* which calls are only counted */
    uint64_t n_minor;      /* how many were */
    int adopted;           /* a "(resumed: …)" row was shown */
    atr__table t;
    atr__sbuf prefix; /* "│  " / "   " per open level */
    atr__sbuf line;
    int oom;
} tree_out;

/* The call column's room left after what o->line holds (at least 1; 0: no limit). */
static size_t room_after(const tree_out *o) {
    size_t used = atr__utf8_width(o->line.ptr, o->line.len);
    return o->room == 0 ? 0 : used < o->room ? o->room - used : 1;
}

static void add_row(tree_out *o, const char *dur, const char *share, const char *self) {
    atr__table_cell(&o->t, dur);
    atr__table_cell(&o->t, share);
    atr__table_cell(&o->t, self);
    atr__table_cell(&o->t, atr__sb_cstr(&o->line));
}

/* Branch drawn before a node: none for the root, then middle or last child. */
enum { BR_ROOT, BR_MID, BR_LAST };
static const char *const branch_text[] = {"", "├─ ", "└─ "};
static const char *const branch_cont[] = {"", "│  ", "   "};

/* The messages logged inside `call`, under its line: "• +400 ns rows_read  rows=1200". */
static void messages_text(tree_out *o, uint32_t call, uint64_t start_ns, int more) {
    uint32_t n = 0, *ids = NULL;
    if (atr_call_messages(o->ix, call, NULL, 0, &n) < 0 || n == 0)
        return;
    if (!(ids = malloc((size_t)n * sizeof *ids)) ||
        atr_call_messages(o->ix, call, ids, n, &n) < 0) {
        o->oom = ids == NULL;
        free(ids);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        atr_message_view mv;
        if (atr_index_message(o->ix, ids[i], &mv) < 0)
            continue;
        atr__sb_clear(&o->line);
        atr__sb_add(&o->line, o->prefix.ptr, o->prefix.len);
        atr__sb_puts(&o->line, more ? "│  • +" : "   • +");
        atr__sb_dur(&o->line, mv.time_ns >= start_ns ? mv.time_ns - start_ns : 0);
        atr__sb_putc(&o->line, ' ');
        atr__sb_message_fit(&o->line, o->ix, ids[i], o->maxv);
        add_row(o, "", "", "");
    }
    free(ids);
}

static void node_text(tree_out *o, uint32_t call, uint64_t parent_ns, int branch, uint64_t depth) {
    atr_call_view cv;
    if (atr_index_call(o->ix, call, &cv) < 0)
        return;
    char dur[32], share[16], self[32];
    atr__fmt_dur(dur, sizeof dur, cv.duration_ns);
    atr__fmt_dur(self, sizeof self, cv.self_ns);
    if (parent_ns)
        snprintf(share, sizeof share, "%.1f%%", 100.0 * (double)cv.charged_ns / (double)parent_ns);
    else /* the tree's call; or a parent that ran nothing itself (its tasks ran outside it) */
        snprintf(share, sizeof share, depth ? "0.0%%" : "100%%");
    atr__sb_clear(&o->line);
    atr__sb_add(&o->line, o->prefix.ptr, o->prefix.len);
    atr__sb_puts(&o->line, branch_text[branch]);
    size_t room = room_after(o);
    atr__sb_call_in(&o->line, o->ix, call, &cv, 1, atr__maxv_before_active(&cv, room, o->maxv),
                    room);
    if (atr__shows_active(&cv)) /* kept when the line is cut */
        atr__sb_puts(&o->line, ATR__KEEP);
    atr__sb_active(&o->line, &cv);
    add_row(o, dur, share, self);
    uint64_t base = atr__share_base(&cv);

    uint32_t *kids = NULL, n = 0;
    if (atr__children(o->ix, call, &kids, &n) < 0) {
        o->oom = 1;
        return;
    }
    size_t saved = o->prefix.len;
    atr__sb_puts(&o->prefix, branch_cont[branch]);
    messages_text(o, call, cv.start_ns, n > 0);
    if (cv.adopted_ns) { /* not its self time, nor its children's */
        atr__sb_clear(&o->line);
        atr__sb_add(&o->line, o->prefix.ptr, o->prefix.len);
        atr__sb_puts(&o->line, branch_text[n ? BR_MID : BR_LAST]);
        atr__sb_adopted(&o->line, o->ix, call, room_after(o));
        o->adopted = 1;
        atr__fmt_dur(dur, sizeof dur, cv.adopted_ns);
        snprintf(share, sizeof share, "%.1f%%",
                 base ? 100.0 * (double)cv.adopted_ns / (double)base : 0.0);
        add_row(o, dur, share, "");
    }
    if (n && (depth >= o->a->depth || depth >= TREE_MAX_DEPTH)) {
        atr__sb_clear(&o->line);
        atr__sb_add(&o->line, o->prefix.ptr, o->prefix.len);
        atr__sb_puts(&o->line, "└─ … ");
        atr__sb_count(&o->line, n);
        atr__sb_puts(&o->line, n == 1 ? " call below (--depth)" : " calls below (--depth)");
        add_row(o, "", "", "");
        n = 0;
    }
    atr__minor_tally minor;
    n = atr__prune_minor(o->ix, kids, n, base, o->minor, &minor);
    o->n_minor += minor.n;
    for (uint32_t i = 0; i < n;) {
        uint32_t run = o->a->all ? 0 : atr__fold_run(o->ix, kids, n, i, base);
        int last = (run ? i + run : i + 1) >= n && minor.n == 0;
        int br = last ? BR_LAST : BR_MID;
        if (run) {
            uint64_t total;
            atr__sb_clear(&o->line);
            atr__sb_add(&o->line, o->prefix.ptr, o->prefix.len);
            atr__sb_puts(&o->line, branch_text[br]);
            atr__sb_fold(&o->line, o->ix, kids + i, run, room_after(o), &total);
            atr__fmt_dur(dur, sizeof dur, total);
            snprintf(share, sizeof share, "%.1f%%",
                     base ? 100.0 * (double)total / (double)base : 0.0);
            add_row(o, dur, share, "");
            i += run;
        } else {
            node_text(o, kids[i], base, br, depth + 1);
            i++;
        }
    }
    if (minor.n) {
        atr__sb_clear(&o->line);
        atr__sb_add(&o->line, o->prefix.ptr, o->prefix.len);
        atr__sb_puts(&o->line, branch_text[BR_LAST]);
        atr__sb_minor(&o->line, o->ix, &minor, o->minor, room_after(o));
        atr__fmt_dur(dur, sizeof dur, minor.ns);
        snprintf(share, sizeof share, "%.1f%%",
                 base ? 100.0 * (double)minor.ns / (double)base : 0.0);
        add_row(o, dur, share, "");
    }
    o->prefix.len = saved;
    if (o->prefix.ptr)
        o->prefix.ptr[saved] = '\0';
    free(kids);
}

static void node_json(atr__json *j, const atr_index *ix, uint32_t call, uint64_t depth,
                      uint64_t max_depth) {
    atr_call_view cv;
    atr__json_obj_begin(j);
    if (atr__json_call_head(j, ix, call, &cv) < 0) {
        atr__json_obj_end(j);
        return;
    }
    atr__json_kuint(j, "duration_ns", cv.duration_ns);
    atr__json_kuint(j, "active_ns", cv.active_ns);
    atr__json_kuint(j, "self_ns", cv.self_ns);
    atr__json_kuint(j, "adopted_ns", cv.adopted_ns);
    atr__json_key(j, "resumed"); /* what adopted_ns was spent on, per function */
    atr__json_arr_begin(j);
    atr__fn_time *r;
    uint32_t n_r;
    atr__resumed_by_fn(ix, call, &r, &n_r);
    for (uint32_t i = 0; i < n_r; i++) {
        atr__json_obj_begin(j);
        atr__json_funcname(j, "function", ix, r[i].fn);
        atr__json_kuint(j, "calls", r[i].calls);
        atr__json_kuint(j, "ns", r[i].ns);
        atr__json_obj_end(j);
    }
    free(r);
    atr__json_arr_end(j);
    atr__json_key(j, "children");
    atr__json_arr_begin(j);
    if (depth < TREE_MAX_DEPTH && depth < max_depth)
        for (uint32_t c = cv.first_child; c != ATR_NO_CALL;) {
            node_json(j, ix, c, depth + 1, max_depth);
            atr_call_view kid;
            c = atr_index_call(ix, c, &kid) == 0 ? kid.next_sibling : ATR_NO_CALL;
        }
    atr__json_arr_end(j);
    atr__json_obj_end(j);
}

static int print_text(atr__vctx *ctx, const atr__target *t, uint32_t call, uint64_t rank,
                      uint64_t matched, const tree_args *a) {
    atr_call_view cv;
    atr_index_info info;
    atr_index_get_info(t->ix, &info);
    if (atr_index_call(t->ix, call, &cv) < 0)
        return ATR_VIEWER_FAIL;
    char buf[32], cnt[32], id[ATR_CALL_ID_SIZE];
    atr__fmt_dur(buf, sizeof buf, cv.start_ns - info.t_min);
    atr__fmt_count(cnt, sizeof cnt, matched);
    atr_call_id_format(t->ix, call, id, sizeof id);
    atr__sbuf head = ATR__SBUF_INIT;
    if (rank) /* chosen by FUNC, filters and --rank (else by --id) */
        atr__sb_printf(&head,
                       "call %s: rank %" PRIu64 " of %s matching call%s by duration; "
                       "thread %" PRIu32 ", started +%s\n\n",
                       id, rank, cnt, matched == 1 ? "" : "s", cv.thread, buf);
    else
        atr__sb_printf(&head, "call %s: thread %" PRIu32 ", started +%s\n\n", id, cv.thread, buf);
    atr__fput_wrap(ctx->out, atr__sb_cstr(&head), ctx->width);
    atr__sb_free(&head);
    static const char *const heads[] = {"duration", "share", "self", "call"};
    tree_out o = {t->ix,
                  atr__value_room_in(ctx, TREE_USED),
                  ctx->width > TREE_USED ? ctx->width - TREE_USED : 0,
                  /* duration, share, self */ a,
                  {0, 0},
                  0,
                  0,
                  {0},
                  ATR__SBUF_INIT,
                  ATR__SBUF_INIT,
                  0};
    if (a->min_share_set)
        o.minor.permille = a->min_share;
    else if (!a->all)
        o.minor.floor_ns = atr__share_base(&cv) / 1000u * TREE_ROOT_PERMILLE;
    atr__table_init(&o.t, 4, heads, "rrrl");
    atr__table_fit(&o.t, ctx->width, 3, ATR__FIT_RIGHT, 30, NULL);
    node_text(&o, call, 0, BR_ROOT, 0);
    int rc = o.oom || o.line.oom || o.prefix.oom ? ATR_ENOMEM
                                                 : atr__table_print(&o.t, ctx->out, ctx->color, 0);
    if (rc >= 0 && o.n_minor && o.minor.floor_ns) {
        atr__sb_clear(&o.line);
        atr__sb_puts(&o.line, "\n(calls under ");
        atr__sb_dur(&o.line, o.minor.floor_ns);
        atr__sb_puts(&o.line, ", 0.5% of the call, are counted on one line per parent: --all "
                              "shows every call)\n");
        if (o.line.oom)
            rc = ATR_ENOMEM;
        else
            atr__fput_wrap(ctx->out, atr__sb_cstr(&o.line), ctx->width);
    }
    if (rc >= 0 && o.adopted)
        atr__fput_wrap(ctx->out,
                       "\n(resumed: the steps of generators and tasks whose own caller was "
                       "suspended or had returned, run by the call above: neither its self time "
                       "nor its children's)\n",
                       ctx->width);
    atr__table_free(&o.t);
    atr__sb_free(&o.prefix);
    atr__sb_free(&o.line);
    if (rc < 0) {
        atr__errorf(ctx, "out of memory");
        return ATR_VIEWER_FAIL;
    }
    return ATR_VIEWER_OK;
}

int atr__cmd_tree(atr__vctx *ctx, int argc, char **argv) {
    atr__operands ops = {0};
    tree_args a = {0, 0, 0, 0, 0, 1, UINT64_MAX, NULL};
    atr__target t = {0};
    int st = atr__parse_args(ctx, argc, argv, tree_opts, &ops, on_opt, &a);
    uint32_t call = ATR_NO_CALL;
    uint64_t matched = 0;
    t.selective = 1; /* the chosen call's subtree is all it shows */
    if (st == ATR_VIEWER_OK)
        st = atr__target_pick(ctx, &ops, a.id, a.ranked, a.rank, &t, &call, &matched);
    if (st == ATR_VIEWER_OK) {
        if (a.json) {
            atr__json j;
            atr__json_init(&j, ctx->out, 2);
            node_json(&j, t.ix, call, 0, a.depth);
            atr__json_end_line(&j);
        } else {
            st = print_text(ctx, &t, call, a.id ? 0 : a.rank, matched, &a);
        }
    }
    atr__target_close(&t);
    atr__operands_free(&ops);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
