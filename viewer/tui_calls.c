/* TUI view: the calls of a function (optionally filtered), slowest first or by start. */
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "render_call.h"
#include "tui.h"

typedef struct calls {
    uint32_t fn;
    atr_filter *filter; /* owned, NULL: all calls */
    atr_callset *cs;    /* owned */
    int sort;           /* ATR_SORT_DURATION or ATR_SORT_START */
    uint64_t t0;        /* first time of the index */
    int idw;            /* width of the id column: the longest printed id */
} calls;

/* The length of the longest printed call id of the index (at least 2). */
static int id_width(const atr_index *ix) {
    atr_index_info info;
    atr_file_info fi;
    char buf[ATR_CALL_ID_SIZE];
    size_t w = 2;
    atr_index_get_info(ix, &info);
    for (uint32_t f = 0; f < info.n_files; f++) {
        if (atr_index_file(ix, f, &fi) < 0 || fi.n_calls == 0)
            continue;
        size_t n = atr_call_id_format(ix, atr_file_call(ix, f, fi.n_calls - 1), buf, sizeof buf);
        w = n > w ? n : w;
    }
    return (int)w;
}

static uint64_t calls_count(atr__view *v) { return atr_callset_count(((calls *)v->data)->cs); }

static void calls_header(atr__view *v, atr__sbuf *sb) {
    calls *c = v->data;
    atr__sb_printf(sb, "%9s %10s  %-*s call%s", "duration", "start", c->idw, "id",
                   c->sort == ATR_SORT_DURATION ? "   (slowest first)" : "   (in time order)");
}

static void calls_row(atr__view *v, uint64_t i, atr__sbuf *sb, int *attr) {
    calls *c = v->data;
    uint32_t call = atr_callset_get(c->cs, i);
    atr_call_view cv;
    if (atr_index_call(v->app->ix, call, &cv) < 0)
        return;
    char buf[32];
    atr__fmt_dur(buf, sizeof buf, cv.duration_ns);
    atr__sb_right(sb, buf, 9);
    atr__fmt_dur(buf, sizeof buf, cv.start_ns - c->t0);
    atr__sb_puts(sb, "  +");
    atr__sb_left(sb, buf, 9);
    atr__sb_puts(sb, " ");
    char id[ATR_CALL_ID_SIZE];
    atr_call_id_format(v->app->ix, call, id, sizeof id);
    atr__sb_left(sb, id, (size_t)c->idw);
    atr__sb_puts(sb, " ");
    /* values in 3/5 of what the line has left (as the CLI's calls), the result narrowed to
       the screen's edge and ending in its own note ("… (114,916 bytes)") */
    size_t cols = (size_t)(v->app->cols > 0 ? v->app->cols : 80);
    size_t used = atr__utf8_width(sb->ptr, sb->len), left = cols > used ? cols - used : 1;
    size_t maxv = left * 3 / 5 < 20 ? 20 : left * 3 / 5;
    atr__sb_call_in(sb, v->app->ix, call, &cv, 0, maxv < cols * 2 / 5 ? maxv : cols * 2 / 5, left);
    if (cv.status == ATR_CALL_RAISED)
        *attr |= ATR__A_RED;
}

static int run_query(atr__tui *app, calls *c) {
    atr_query q;
    atr_query_init(&q);
    q.function = c->fn;
    q.filter = c->filter;
    q.sort = c->sort;
    atr_callset *cs = NULL;
    int rc = atr_query_run(app->ix, &q, &cs);
    if (rc == 0) {
        atr_callset_free(c->cs);
        c->cs = cs;
    }
    return rc;
}

static int calls_enter(atr__view *v, uint64_t i) {
    calls *c = v->data;
    return atr__tui_tree(v->app, atr_callset_get(c->cs, i));
}

static int calls_key(atr__view *v, int k) {
    calls *c = v->data;
    if (k == 's') {
        c->sort = c->sort == ATR_SORT_DURATION ? ATR_SORT_START : ATR_SORT_DURATION;
        if (run_query(v->app, c) < 0)
            atr__tui_message(v->app, "out of memory");
        atr__tui_goto(v, 0);
        return 1;
    }
    if (k == 'w' && atr_callset_count(c->cs)) {
        if (atr__tui_why(v->app, atr_callset_get(c->cs, v->cursor)) < 0)
            atr__tui_message(v->app, "out of memory");
        return 1;
    }
    if (k == 'f' && atr_callset_count(c->cs)) {
        if (atr__tui_flame(v->app, atr_callset_get(c->cs, v->cursor)) < 0)
            atr__tui_message(v->app, "out of memory");
        return 1;
    }
    if (k == 'r' && atr_callset_count(c->cs)) {
        if (atr__tui_replay(v->app, atr_callset_get(c->cs, v->cursor)) < 0)
            atr__tui_message(v->app, "out of memory");
        return 1;
    }
    return 0;
}

static void calls_destroy(atr__view *v) {
    calls *c = v->data;
    if (c) {
        atr_callset_free(c->cs);
        atr_filter_free(c->filter);
        free(c);
    }
}

static const atr__view_ops calls_ops = {
    calls_count,
    calls_row,
    calls_header,
    calls_enter,
    calls_key,
    calls_destroy,
    "Enter: call tree  w: why slow  f: flame  s: sort  r: replay"};

int atr__tui_calls(atr__tui *app, uint32_t fn, const char *filter, const char *title) {
    calls *c = calloc(1, sizeof *c);
    if (!c)
        return ATR_ENOMEM;
    atr_index_info info;
    atr_index_get_info(app->ix, &info);
    c->fn = fn;
    c->sort = ATR_SORT_DURATION;
    c->t0 = info.t_min;
    c->idw = id_width(app->ix);
    int rc = 0;
    if (filter && filter[0])
        rc = atr_filter_parse(filter, &c->filter, NULL, 0);
    if (rc == 0)
        rc = run_query(app, c);
    if (rc < 0) {
        atr__view tmp = {.ops = &calls_ops, .app = app, .data = c};
        calls_destroy(&tmp);
        return rc;
    }
    atr__sbuf t = ATR__SBUF_INIT;
    atr__sb_puts(&t, "calls of ");
    atr__sb_funcname(&t, app->ix, fn);
    if (title && title[0]) {
        atr__sb_puts(&t, " where ");
        atr__sb_puts(&t, title);
    }
    rc = atr__tui_push(app, &calls_ops, c, atr__sb_cstr(&t));
    atr__sb_free(&t);
    return rc;
}
