/*
 * TUI view: the flame graph of one call, as an icicle. The call's subtree merged by stacks of
 * functions (flame.h: the same tree as the report's flame graphs and the folded export), one
 * screen row per depth, the call on top across the whole width; each frame is as wide as its
 * share of its parent's time (active time: a generator is charged only while it ran; the
 * share base of calltree.h when children on other threads took more than the parent ran).
 *
 * One frame has the focus (marked ▶, its name, time and shares in the header line): ↑/k its
 * parent, ↓/j its widest child, ←/h →/l the frame before/after it on its row. Enter zooms
 * into it (it takes the whole width), Esc or Backspace zooms back out, q goes back.
 * The framework's cursor is the focused frame's row (search and paging move it; the widest
 * frame of the row it lands on takes the focus).
 */
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "load.h"
#include "render.h"
#include "render_call.h"
#include "tui.h"

typedef struct flame {
    uint32_t call;
    atr__ftree t;           /* owned; node 0 is the call */
    uint32_t *kid, *sib;    /* owned: first child, next sibling (creation order) */
    uint32_t *depth;        /* owned: node depth below the call */
    double *x, *w;          /* owned: place and width (0..1) under the zoomed frame */
    uint32_t *order;        /* owned: the zoomed frame's subtree, depth first */
    uint32_t n_order, rows; /* its size and depth + 1 */
    uint32_t zoom[ATR__FLAME_MAX_DEPTH + 1]; /* zoomed frames, the call first */
    uint32_t n_zoom;
    uint32_t focus;
} flame;

static uint32_t zoomed(const flame *f) { return f->zoom[f->n_zoom - 1]; }

/* Place the zoomed frame's subtree: f->x, f->w, f->order, f->rows. */
static void layout(flame *f) {
    uint32_t z = zoomed(f), top = 0;
    for (size_t i = 0; i < f->t.len; i++)
        f->w[i] = 0;
    f->x[z] = 0, f->w[z] = 1;
    f->n_order = 0, f->rows = 1;
    uint32_t *stack = f->order + f->t.len; /* the second half of order is scratch */
    stack[top++] = z;
    while (top > 0) {
        uint32_t n = stack[--top];
        f->order[f->n_order++] = n;
        uint32_t d = f->depth[n] - f->depth[z] + 1;
        f->rows = d > f->rows ? d : f->rows;
        uint64_t sum = 0;
        for (uint32_t k = f->kid[n]; k != UINT32_MAX; k = f->sib[k])
            sum += f->t.n[k].value;
        double base = (double)(sum > f->t.n[n].value ? sum : f->t.n[n].value);
        double x = f->x[n];
        uint32_t first = top;
        for (uint32_t k = f->kid[n]; k != UINT32_MAX; k = f->sib[k]) {
            f->x[k] = x;
            f->w[k] = base > 0 ? f->w[n] * (double)f->t.n[k].value / base : 0;
            x += f->w[k];
            stack[top++] = k;
        }
        for (uint32_t a = first, b = top; a + 1 < b; a++, b--) { /* pop in creation order */
            uint32_t s = stack[a];
            stack[a] = stack[b - 1], stack[b - 1] = s;
        }
    }
}

/* Columns [c0, c1) of node n at `cols` columns (c0 == c1: too narrow to show). */
static void columns(const flame *f, uint32_t n, int cols, int *c0, int *c1) {
    *c0 = (int)(f->x[n] * cols + 0.5);
    *c1 = (int)((f->x[n] + f->w[n]) * cols + 0.5);
    if (*c1 > cols)
        *c1 = cols;
}

static int shown(const flame *f, uint32_t n, int cols) {
    int c0, c1;
    if (f->w[n] <= 0)
        return 0;
    columns(f, n, cols, &c0, &c1);
    return c1 > c0;
}

static uint32_t row_of(const flame *f, uint32_t n) { return f->depth[n] - f->depth[zoomed(f)]; }

/* The widest frame shown on row r (UINT32_MAX: none). */
static uint32_t widest_on(const flame *f, uint32_t r, int cols) {
    uint32_t best = UINT32_MAX;
    for (uint32_t i = 0; i < f->n_order; i++) {
        uint32_t n = f->order[i];
        if (row_of(f, n) == r && shown(f, n, cols) && (best == UINT32_MAX || f->w[n] > f->w[best]))
            best = n;
    }
    return best;
}

static uint64_t flame_count(atr__view *v) { return ((flame *)v->data)->rows; }

static void frame_name(atr__sbuf *sb, const atr_index *ix, const flame *f, uint32_t n) {
    atr__sb_funcname(sb, ix, f->t.n[n].fn);
}

/* Row i as text (what search looks at): its frames' names. */
static void flame_row(atr__view *v, uint64_t i, atr__sbuf *sb, int *attr) {
    flame *f = v->data;
    (void)attr;
    for (uint32_t k = 0; k < f->n_order; k++) {
        uint32_t n = f->order[k];
        if (row_of(f, n) != i || !shown(f, n, v->app->cols))
            continue;
        if (sb->len)
            atr__sb_puts(sb, "  ");
        frame_name(sb, v->app->ix, f, n);
    }
}

static void share(atr__sbuf *sb, uint64_t part, uint64_t whole, const char *of) {
    atr__sb_printf(sb, "  %.1f%% of %s", whole ? 100.0 * (double)part / (double)whole : 100.0, of);
}

/* The focused frame: name, time, calls, shares of the call and of the zoomed frame. */
static void flame_header(atr__view *v, atr__sbuf *sb) {
    flame *f = v->data;
    const atr__fnode *n = &f->t.n[f->focus];
    atr__sb_puts(sb, "▶ ");
    size_t from = sb->len;
    frame_name(sb, v->app->ix, f, f->focus);
    int room = v->app->cols / 2; /* the time and shares after it stay in view */
    atr__sb_fit_left(sb, from, room > 40 ? 40 : room < 12 ? 12 : (size_t)room);
    atr__sb_puts(sb, "  ");
    atr__sb_dur(sb, n->value);
    atr__sb_printf(sb, "  %llu call%s", (unsigned long long)n->calls, n->calls == 1 ? "" : "s");
    share(sb, n->value, f->t.n[0].value, "the call");
    if (f->n_zoom > 1)
        share(sb, n->value, f->t.n[zoomed(f)].value, "the zoom");
}

/* Keep the focus on the cursor's row (search and paging move the cursor). */
static void sync_focus(atr__view *v) {
    flame *f = v->data;
    if (row_of(f, f->focus) == v->cursor && shown(f, f->focus, v->app->cols))
        return;
    uint32_t n = widest_on(f, (uint32_t)v->cursor, v->app->cols);
    f->focus = n != UINT32_MAX ? n : zoomed(f);
    atr__tui_goto(v, row_of(f, f->focus));
}

static void flame_draw(atr__view *v, int y, int height) {
    flame *f = v->data;
    atr__tui *app = v->app;
    atr__sbuf sb = ATR__SBUF_INIT;
    sync_focus(v);
    for (uint32_t k = 0; k < f->n_order; k++) {
        uint32_t n = f->order[k];
        uint64_t r = row_of(f, n);
        int c0, c1;
        if (r < v->top || r >= v->top + (uint64_t)height || !shown(f, n, app->cols))
            continue;
        columns(f, n, app->cols, &c0, &c1);
        int wide = c1 - c0 > 1 ? c1 - c0 - 1 : 1; /* a column apart from the next frame */
        atr__sb_clear(&sb);
        if (n == f->focus)
            atr__sb_puts(&sb, "▶");
        frame_name(&sb, app->ix, f, n);
        if (n == f->focus) /* the marker takes a column */
            atr__sb_fit_left(&sb, strlen("▶"), wide > 2 ? (size_t)wide - 1 : 2);
        else
            atr__sb_fit_left(&sb, 0, (size_t)wide);
        if (wide < 2)
            atr__sb_clear(&sb), atr__sb_puts(&sb, n == f->focus ? "▶" : "▏");
        int attr = n == f->focus ? ATR__A_BOLD | ATR__A_CYAN : ATR__A_REVERSE;
        atr__term_put(app->term, y + (int)(r - v->top), c0, wide, atr__sb_cstr(&sb), attr, 1);
    }
    atr__sb_free(&sb);
}

/* The frame shown before (dir -1) or after (+1) the focus on its row, or UINT32_MAX. */
static uint32_t beside(const flame *f, int dir, int cols) {
    uint32_t r = row_of(f, f->focus), found = UINT32_MAX;
    int seen = 0;
    for (uint32_t k = 0; k < f->n_order; k++) {
        uint32_t n = f->order[k];
        if (n == f->focus) {
            if (dir < 0)
                return found;
            seen = 1;
        } else if (row_of(f, n) == r && shown(f, n, cols)) {
            if (dir < 0)
                found = n;
            else if (seen)
                return n;
        }
    }
    return UINT32_MAX;
}

static uint32_t widest_child(const flame *f, uint32_t n, int cols) {
    uint32_t best = UINT32_MAX;
    for (uint32_t k = f->kid[n]; k != UINT32_MAX; k = f->sib[k])
        if (shown(f, k, cols) && (best == UINT32_MAX || f->w[k] > f->w[best]))
            best = k;
    return best;
}

static int flame_key(atr__view *v, int k) {
    flame *f = v->data;
    int cols = v->app->cols;
    uint32_t to = UINT32_MAX;
    switch (k) {
    case ATR__KEY_UP:
    case 'k':
        to = f->focus != zoomed(f) ? f->t.n[f->focus].parent : UINT32_MAX;
        break;
    case ATR__KEY_DOWN:
    case 'j':
        to = widest_child(f, f->focus, cols);
        break;
    case ATR__KEY_LEFT:
    case 'h':
    case ATR__KEY_RIGHT:
    case 'l':
        to = beside(f, k == ATR__KEY_LEFT || k == 'h' ? -1 : 1, cols);
        break;
    case ATR__KEY_HOME:
    case 'g':
        to = zoomed(f);
        break;
    case ATR__KEY_ENTER:
        if (f->focus != zoomed(f) && f->n_zoom <= ATR__FLAME_MAX_DEPTH) {
            f->zoom[f->n_zoom++] = f->focus;
            layout(f);
            v->top = 0;
        }
        to = f->focus;
        break;
    case ATR__KEY_ESC:
    case ATR__KEY_BACKSPACE:
        if (f->n_zoom == 1)
            return 0; /* not zoomed: back to the previous view */
        f->n_zoom--;
        layout(f);
        to = f->focus;
        break;
    default:
        return 0;
    }
    if (to != UINT32_MAX) {
        f->focus = to;
        atr__tui_goto(v, row_of(f, to));
    }
    return 1;
}

static void flame_destroy(atr__view *v) {
    flame *f = v->data;
    if (!f)
        return;
    atr__ftree_free(&f->t);
    free(f->kid);
    free(f->sib);
    free(f->depth);
    free(f->x);
    free(f->w);
    free(f->order);
    free(f);
}

static const atr__view_ops flame_ops = {flame_count,
                                        flame_row,
                                        flame_header,
                                        NULL,
                                        flame_key,
                                        flame_destroy,
                                        "←→↑↓ hjkl: frames  Enter: zoom  Esc: unzoom"};

static int flame_init(flame *f, const atr_index *ix) {
    if (atr__ftree_build_call(ix, f->call, &f->t) < 0 || f->t.len == 0)
        return ATR_ENOMEM;
    size_t n = f->t.len;
    f->kid = malloc(n * sizeof *f->kid);
    f->sib = malloc(n * sizeof *f->sib);
    f->depth = malloc(n * sizeof *f->depth);
    f->x = malloc(n * sizeof *f->x);
    f->w = malloc(n * sizeof *f->w);
    f->order = malloc(2 * n * sizeof *f->order);
    if (!f->kid || !f->sib || !f->depth || !f->x || !f->w || !f->order)
        return ATR_ENOMEM;
    memset(f->kid, 0xFF, n * sizeof *f->kid);
    for (size_t i = n; i-- > 1;) { /* a parent comes before its children */
        uint32_t p = f->t.n[i].parent;
        f->sib[i] = f->kid[p];
        f->kid[p] = (uint32_t)i;
    }
    f->sib[0] = UINT32_MAX;
    f->depth[0] = 0;
    for (size_t i = 1; i < n; i++)
        f->depth[i] = f->depth[f->t.n[i].parent] + 1;
    f->zoom[0] = 0;
    f->n_zoom = 1;
    f->focus = 0;
    layout(f);
    return 0;
}

int atr__tui_flame(atr__tui *app, uint32_t call) {
    flame *f = calloc(1, sizeof *f);
    if (!f)
        return ATR_ENOMEM;
    f->call = call;
    int rc = flame_init(f, app->ix);
    if (rc < 0) {
        atr__view tmp = {.ops = &flame_ops, .app = app, .data = f};
        flame_destroy(&tmp);
        return rc;
    }
    atr__sbuf title = ATR__SBUF_INIT;
    atr__sb_puts(&title, "flame of call ");
    atr__sb_call_id(&title, app->ix, call);
    atr__sb_puts(&title, ": ");
    atr__sb_funcname(&title, app->ix, f->t.n[0].fn);
    rc = atr__tui_push(app, &flame_ops, f, atr__sb_cstr(&title));
    atr__sb_free(&title);
    if (rc == 0)
        app->top->draw = flame_draw;
    return rc;
}
