/*
 * TUI view: the call tree of one call. Rows are the visible nodes in order; expanding a node
 * inserts its children (long runs of fast siblings as one folded row, expandable too),
 * collapsing removes its descendants. Children under 1% of their parent (TREE_MIN_SHARE) are
 * one row "… 12 calls under 1.0%" that expands into them, as `tree --min-share 1%`. A call
 * that resumed other calls' generators or tasks has a row of that time first, as in `tree`.
 * 's' jumps to the slowest child: the one with the most active time (a generator that
 * suspended is charged only while it ran). Shares are of the parent's share base
 * (calltree.h).
 */
#include <stdlib.h>
#include <string.h>

#include "calltree.h"
#include "render.h"
#include "render_call.h"
#include "tui.h"

#define NOT_FOLD UINT32_MAX
#define MINOR (UINT32_MAX - 1) /* fold_n of the row of the children under TREE_MIN_SHARE */
#define ADOPTED \
    (UINT32_MAX - 2)      /* fold_n of the row of the time the call ran other calls'
                                    generators or tasks (atr_call_view.adopted_ns) */
#define TREE_MIN_SHARE 10 /* permille */
static const atr__minor_rule TREE_MINOR = {TREE_MIN_SHARE, 0};

typedef struct trow {
    uint32_t call;       /* the node; for a folded row: the parent of the folded calls */
    uint32_t fold_start; /* folded row: index of its first call among the parent's children
                            over TREE_MIN_SHARE (kids_of) */
    uint32_t fold_n;     /* folded row: how many calls; NOT_FOLD for a node, MINOR */
    uint32_t depth;
    int expanded;
} trow;

typedef struct tree {
    trow *rows; /* owned */
    uint64_t n, cap;
    uint32_t *kids; /* scratch children buffer, owned */
} tree;

static uint64_t tree_count(atr__view *v) { return ((tree *)v->data)->n; }

static void tree_header(atr__view *v, atr__sbuf *sb) {
    (void)v;
    atr__sb_printf(sb, "%9s %6s  %s", "duration", "share", "call");
}

/* The share base of `call` (calltree.h), 0 if unknown. */
static uint64_t base_of(const atr_index *ix, uint32_t call) {
    atr_call_view cv;
    return atr_index_call(ix, call, &cv) == 0 ? atr__share_base(&cv) : 0;
}

static void share(atr__sbuf *sb, uint64_t part, uint64_t whole) {
    char buf[16];
    /* (a parent that ran nothing itself, whose tasks ran outside it: none of it) */
    snprintf(buf, sizeof buf, "%.1f%%",
             whole  ? 100.0 * (double)part / (double)whole
             : part ? 100.0
                    : 0.0);
    atr__sb_putc(sb, ' ');
    atr__sb_right(sb, buf, 6);
    atr__sb_puts(sb, "  ");
}

/*
 * The children of `call` into t->kids: those over TREE_MIN_SHARE of it (minor 0: *n of them)
 * or those under (minor 1, when there are two or more), in start order; *tally counts those
 * under.
 */
static int kids_of(tree *t, const atr_index *ix, uint32_t call, int minor, uint32_t *n,
                   atr__minor_tally *tally) {
    int rc = atr__children(ix, call, &t->kids, n);
    if (rc < 0)
        return rc;
    uint64_t base = base_of(ix, call);
    uint32_t k = 0;
    *tally = (atr__minor_tally){0};
    int folds = atr__minor_folds(ix, t->kids, *n, base, TREE_MINOR);
    for (uint32_t i = 0; i < *n; i++) {
        int is_minor = folds && atr__is_minor(ix, t->kids[i], base, TREE_MINOR);
        if (is_minor)
            atr__minor_add(ix, tally, t->kids[i]);
        if (is_minor == minor)
            t->kids[k++] = t->kids[i];
    }
    *n = k;
    if (minor) /* t->kids holds them */
        atr__minor_top(ix, t->kids, k, tally);
    return 0;
}

/* Columns a fold or minor row's text has: the screen's, less its duration (9), share (9),
   indent and "+ " (0: no limit). */
static size_t row_room(const atr__view *v, size_t indent) {
    size_t cols = (size_t)(v->app->cols > 0 ? v->app->cols : 80), lead = 9 + 9 + indent + 2;
    return cols > lead ? cols - lead : 1;
}

static void tree_row(atr__view *v, uint64_t i, atr__sbuf *sb, int *attr) {
    tree *t = v->data;
    const atr_index *ix = v->app->ix;
    trow *r = &t->rows[i];
    char buf[32];
    size_t maxv = (size_t)(v->app->cols > 0 ? v->app->cols : 80) * 2 / 5;
    if (r->fold_n == ADOPTED) {
        atr_call_view cv;
        if (atr_index_call(ix, r->call, &cv) < 0)
            return;
        atr__fmt_dur(buf, sizeof buf, cv.adopted_ns);
        atr__sb_right(sb, buf, 9);
        share(sb, cv.adopted_ns, atr__share_base(&cv));
        atr__sb_pad(sb, ' ', 2u * r->depth);
        atr__sb_puts(sb, "  ");
        atr__sb_adopted(sb, ix, r->call, row_room(v, 2u * r->depth));
        *attr |= ATR__A_DIM;
        return;
    }
    if (r->fold_n == MINOR) {
        uint32_t n = 0;
        atr__minor_tally minor;
        if (kids_of(t, ix, r->call, 1, &n, &minor) < 0)
            return;
        atr__fmt_dur(buf, sizeof buf, minor.ns);
        atr__sb_right(sb, buf, 9);
        share(sb, minor.ns, base_of(ix, r->call));
        atr__sb_pad(sb, ' ', 2u * r->depth);
        atr__sb_puts(sb, "+ ");
        atr__sb_minor(sb, ix, &minor, TREE_MINOR, row_room(v, 2u * r->depth));
        *attr |= ATR__A_DIM;
        return;
    }
    if (r->fold_n != NOT_FOLD) {
        uint32_t n = 0;
        uint64_t total = 0;
        atr__minor_tally minor;
        if (kids_of(t, ix, r->call, 0, &n, &minor) < 0 || r->fold_start + r->fold_n > n)
            return;
        atr__sbuf fold = ATR__SBUF_INIT;
        atr__sb_fold(&fold, ix, t->kids + r->fold_start, r->fold_n, row_room(v, 2u * r->depth),
                     &total);
        atr__fmt_dur(buf, sizeof buf, total);
        atr__sb_right(sb, buf, 9);
        share(sb, total, base_of(ix, r->call));
        atr__sb_pad(sb, ' ', 2u * r->depth);
        atr__sb_puts(sb, "+ ");
        atr__sb_puts(sb, atr__sb_cstr(&fold));
        atr__sb_free(&fold);
        *attr |= ATR__A_DIM;
        return;
    }
    atr_call_view cv;
    if (atr_index_call(ix, r->call, &cv) < 0)
        return;
    atr__fmt_dur(buf, sizeof buf, cv.duration_ns);
    atr__sb_right(sb, buf, 9);
    share(sb, cv.charged_ns, r->depth ? base_of(ix, cv.parent) : cv.active_ns);
    atr__sb_pad(sb, ' ', 2u * r->depth);
    atr__sb_puts(sb, cv.first_child == ATR_NO_CALL && !cv.adopted_ns ? "  "
                     : r->expanded                                   ? "▾ "
                                                                     : "▸ ");
    size_t room = row_room(v, 2u * r->depth);
    atr__sb_call_in(sb, ix, r->call, &cv, 1, atr__maxv_before_active(&cv, room, maxv), room);
    size_t tail = sb->len;
    atr__sb_active(sb, &cv);
    if (tail < sb->len && v->app->cols > 0) /* the active time stays on screen */
        atr__sb_fit_keep(sb, 0, tail, (size_t)v->app->cols);
    if (cv.status == ATR_CALL_RAISED)
        *attr |= ATR__A_RED;
}

/* Insert `n` rows at position `at` (uninitialised); returns 0 or ATR_ENOMEM. */
static int insert_rows(tree *t, uint64_t at, uint64_t n) {
    if (t->n + n > t->cap) {
        uint64_t cap = t->cap ? t->cap : 64;
        while (cap < t->n + n)
            cap *= 2;
        trow *p = realloc(t->rows, (size_t)cap * sizeof *p);
        if (!p)
            return ATR_ENOMEM;
        t->rows = p;
        t->cap = cap;
    }
    memmove(t->rows + at + n, t->rows + at, (size_t)(t->n - at) * sizeof *t->rows);
    t->n += n;
    return 0;
}

static int expand(atr__view *v, uint64_t i) {
    tree *t = v->data;
    const atr_index *ix = v->app->ix;
    trow r = t->rows[i];
    uint32_t n = 0;
    atr__minor_tally minor;
    if (r.fold_n == ADOPTED)
        return 0; /* a time, no calls under it */
    int rc = kids_of(t, ix, r.call, r.fold_n == MINOR, &n, &minor);
    if (rc < 0)
        return rc;
    if (r.fold_n == MINOR) { /* the calls under the share: replace the row by them */
        if (n == 0 || (rc = insert_rows(t, i + 1, n - 1)) < 0)
            return rc;
        for (uint32_t k = 0; k < n; k++)
            t->rows[i + k] = (trow){t->kids[k], 0, NOT_FOLD, r.depth, 0};
        return 0;
    }
    if (r.fold_n != NOT_FOLD) { /* a folded run: replace it by its calls */
        if (r.fold_start + r.fold_n > n || (rc = insert_rows(t, i + 1, r.fold_n - 1)) < 0)
            return rc;
        for (uint32_t k = 0; k < r.fold_n; k++)
            t->rows[i + k] = (trow){t->kids[r.fold_start + k], 0, NOT_FOLD, r.depth, 0};
        return 0;
    }
    atr_call_view cv;
    int adopted = atr_index_call(ix, r.call, &cv) == 0 && cv.adopted_ns > 0;
    if (r.expanded || n + minor.n + (uint32_t)adopted == 0)
        return 0;
    uint64_t parent_ns = base_of(ix, r.call);
    uint64_t n_rows = (uint64_t)adopted;
    for (uint32_t k = 0; k < n; n_rows++) {
        uint32_t run = atr__fold_run(ix, t->kids, n, k, parent_ns);
        k += run ? run : 1;
    }
    if ((rc = insert_rows(t, i + 1, n_rows + (minor.n > 0))) < 0)
        return rc;
    uint64_t at = i + 1;
    if (adopted) /* first, as `tree` prints it */
        t->rows[at++] = (trow){r.call, 0, ADOPTED, r.depth + 1, 0};
    for (uint32_t k = 0; k < n;) {
        uint32_t run = atr__fold_run(ix, t->kids, n, k, parent_ns);
        if (run)
            t->rows[at++] = (trow){r.call, k, run, r.depth + 1, 0};
        else
            t->rows[at++] = (trow){t->kids[k], 0, NOT_FOLD, r.depth + 1, 0};
        k += run ? run : 1;
    }
    if (minor.n)
        t->rows[at++] = (trow){r.call, 0, MINOR, r.depth + 1, 0};
    t->rows[i].expanded = 1;
    return 0;
}

static void collapse(tree *t, uint64_t i) {
    uint64_t end = i + 1;
    while (end < t->n && t->rows[end].depth > t->rows[i].depth)
        end++;
    memmove(t->rows + i + 1, t->rows + end, (size_t)(t->n - end) * sizeof *t->rows);
    t->n -= end - i - 1;
    t->rows[i].expanded = 0;
}

static int tree_enter(atr__view *v, uint64_t i) {
    tree *t = v->data;
    if (t->rows[i].fold_n == NOT_FOLD && t->rows[i].expanded) {
        collapse(t, i);
        return 0;
    }
    return expand(v, i);
}

/* Expand row i and put the cursor on its slowest child. */
static int slowest_child(atr__view *v, uint64_t i) {
    tree *t = v->data;
    const atr_index *ix = v->app->ix;
    if (t->rows[i].fold_n != NOT_FOLD)
        return 0;
    int rc = expand(v, i);
    uint32_t n = 0;
    if (rc < 0 || (rc = atr__children(ix, t->rows[i].call, &t->kids, &n)) < 0 || n == 0)
        return rc;
    uint32_t best = t->kids[0];
    for (uint32_t k = 1; k < n; k++)
        if (atr__active_of(ix, t->kids[k]) > atr__active_of(ix, best))
            best = t->kids[k];
    for (int pass = 0; pass < 2; pass++)
        for (uint64_t j = i + 1; j < t->n && t->rows[j].depth > t->rows[i].depth; j++) {
            trow *r = &t->rows[j];
            if (r->depth != t->rows[i].depth + 1)
                continue;
            if (r->fold_n == NOT_FOLD && r->call == best) {
                atr__tui_jump(v, j);
                return 0;
            }
            if (pass == 0 && r->fold_n != NOT_FOLD && (rc = expand(v, j)) < 0)
                return rc;
        }
    return 0;
}

static int tree_key(atr__view *v, int k) {
    tree *t = v->data;
    uint64_t i = v->cursor;
    if (t->n == 0)
        return 0;
    trow *r = &t->rows[i];
    int rc = 0;
    switch (k) {
    case ATR__KEY_RIGHT:
    case 'l':
        rc = expand(v, i);
        break;
    case ATR__KEY_LEFT:
    case 'h':
        if (r->fold_n == NOT_FOLD && r->expanded) {
            collapse(t, i);
        } else if (r->depth > 0) {
            uint64_t j = i;
            while (j > 0 && t->rows[j].depth >= r->depth)
                j--;
            atr__tui_goto(v, j);
        } else {
            return 0; /* back to the previous view */
        }
        break;
    case 's':
        rc = slowest_child(v, i);
        break;
    case 'r':
        rc = atr__tui_replay(v->app, r->fold_n == NOT_FOLD ? r->call : ATR_NO_CALL);
        break;
    case 'w':
    case 'f':
        if (r->fold_n != NOT_FOLD)
            atr__tui_message(v->app, "%c: select a call (%s)", k,
                             r->fold_n == ADOPTED ? "this row is a time"
                                                  : "this row folds several");
        else
            rc = k == 'w' ? atr__tui_why(v->app, r->call) : atr__tui_flame(v->app, r->call);
        break;
    default:
        return 0;
    }
    if (rc < 0)
        atr__tui_message(v->app, "out of memory");
    return 1;
}

static void tree_destroy(atr__view *v) {
    tree *t = v->data;
    if (t) {
        free(t->rows);
        free(t->kids);
        free(t);
    }
}

static const atr__view_ops tree_ops = {
    tree_count,
    tree_row,
    tree_header,
    tree_enter,
    tree_key,
    tree_destroy,
    "Enter: expand/collapse  s: slowest  w: why  f: flame  r: replay"};

int atr__tui_tree(atr__tui *app, uint32_t call) {
    tree *t = calloc(1, sizeof *t);
    if (!t || insert_rows(t, 0, 1) < 0) {
        free(t);
        return ATR_ENOMEM;
    }
    t->rows[0] = (trow){call, 0, NOT_FOLD, 0, 0};
    atr__sbuf title = ATR__SBUF_INIT;
    atr_call_view cv;
    atr__sb_puts(&title, "call tree of call ");
    atr__sb_call_id(&title, app->ix, call);
    if (atr_index_call(app->ix, call, &cv) == 0) {
        atr__sb_puts(&title, ": ");
        atr__sb_funcname(&title, app->ix, cv.function);
    }
    int rc = atr__tui_push(app, &tree_ops, t, atr__sb_cstr(&title));
    atr__sb_free(&title);
    if (rc == 0 && expand(app->top, 0) < 0)
        atr__tui_message(app, "out of memory");
    return rc;
}
