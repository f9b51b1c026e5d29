/* The TUI framework (see tui.h): view stack, drawing, navigation, search, prompt. */
#include "tui.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "viewer.h"

#define SEARCH_LIMIT 500000u /* rows a search looks at before giving up */

static int run(const atr_index *ix, FILE *err, atr__tui_root_fn root, void *ctx,
               const atr__tui_tick *tick);

int atr__tui_page(const atr__tui *app) { return app->rows > 3 ? app->rows - 3 : 1; }

int atr__tui_push(atr__tui *app, const atr__view_ops *ops, void *data, const char *title) {
    atr__view *v = calloc(1, sizeof *v);
    if (!v) {
        atr__view tmp = {.ops = ops, .app = app, .data = data};
        if (ops->destroy)
            ops->destroy(&tmp);
        return ATR_ENOMEM;
    }
    v->ops = ops;
    v->app = app;
    v->data = data;
    snprintf(v->title, sizeof v->title, "%s", title);
    v->below = app->top;
    app->top = v;
    return 0;
}

void atr__tui_pop(atr__tui *app) {
    atr__view *v = app->top;
    if (!v)
        return;
    app->top = v->below;
    if (v->ops->destroy)
        v->ops->destroy(v);
    free(v);
    if (!app->top)
        app->quit = 1;
}

void atr__tui_message(atr__tui *app, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->status, sizeof app->status, fmt, ap);
    va_end(ap);
}

void atr__tui_goto(atr__view *v, uint64_t i) {
    uint64_t n = v->ops->count(v);
    uint64_t page = (uint64_t)atr__tui_page(v->app);
    if (n == 0) {
        v->cursor = v->top = 0;
        return;
    }
    if (i >= n)
        i = n - 1;
    v->cursor = i;
    if (v->cursor < v->top)
        v->top = v->cursor;
    else if (v->cursor >= v->top + page)
        v->top = v->cursor - page + 1;
    if (v->top + page > n)
        v->top = n > page ? n - page : 0;
}

void atr__tui_jump(atr__view *v, uint64_t i) {
    uint64_t page = (uint64_t)atr__tui_page(v->app);
    if (i < v->top || i >= v->top + page)
        v->top = i > page / 3 ? i - page / 3 : 0;
    atr__tui_goto(v, i);
}

/* The key hints of the bottom line in `cols` columns: the view's, "/: search", then "?: help
   q: back", which always stay (help lists every key): the others give way from the end. */
static void footer(atr__sbuf *sb, const char *hint, size_t cols) {
    static const char keep[] = "?: help  q: back";
    size_t from = sb->len;
    atr__sb_puts(sb, hint ? hint : "");
    atr__sb_puts(sb, "  /: search");
    size_t room = cols > sizeof keep + 1 ? cols - (sizeof keep - 1) - 2 : 0;
    while (!sb->oom && atr__utf8_width(sb->ptr + from, sb->len - from) > room) {
        char *cut = NULL; /* the last "  " separating two hints */
        for (char *p = strstr(sb->ptr + from, "  "); p; p = strstr(p + 2, "  "))
            cut = p;
        sb->len = cut ? (size_t)(cut - sb->ptr) : from;
        sb->ptr[sb->len] = '\0';
        if (!cut)
            break;
    }
    if (sb->len > from)
        atr__sb_puts(sb, "  ");
    atr__sb_puts(sb, keep);
}

static void draw(atr__tui *app) {
    atr__view *v = app->top;
    atr__term_size(app->term, &app->rows, &app->cols);
    atr__term_clear(app->term);
    atr__tui_goto(v, v->cursor); /* re-clamp after a resize or a change of rows */
    uint64_t n = v->ops->count(v);
    atr__sbuf sb = ATR__SBUF_INIT;
    char pos[64];
    snprintf(pos, sizeof pos, " %llu/%llu ", (unsigned long long)(n ? v->cursor + 1 : 0),
             (unsigned long long)n);
    if (app->badge[0])
        atr__sb_printf(&sb, " argtrace ● %s │ %s", app->badge, v->title);
    else
        atr__sb_printf(&sb, " argtrace │ %s", v->title);
    int poslen = (int)strlen(pos);
    atr__term_put(app->term, 0, 0, app->cols, atr__sb_cstr(&sb), ATR__A_REVERSE, 1);
    if (app->cols > poslen + 20)
        atr__term_put(app->term, 0, app->cols - poslen, poslen, pos, ATR__A_REVERSE, 0);
    atr__sb_clear(&sb);
    if (v->ops->header)
        v->ops->header(v, &sb);
    atr__term_put(app->term, 1, 0, app->cols, atr__sb_cstr(&sb), ATR__A_BOLD, 0);
    int page = atr__tui_page(app);
    if (v->draw)
        v->draw(v, 2, page);
    for (int r = 0; r < page && !v->draw && v->top + (uint64_t)r < n; r++) {
        uint64_t i = v->top + (uint64_t)r;
        int attr = 0;
        atr__sb_clear(&sb);
        v->ops->row(v, i, &sb, &attr);
        if (i == v->cursor)
            attr = (attr & ~ATR__A_DIM) | ATR__A_REVERSE;
        atr__term_put(app->term, 2 + r, 0, app->cols, atr__sb_cstr(&sb), attr, i == v->cursor);
    }
    if (n == 0)
        atr__term_put(app->term, 2, 2, app->cols - 2, "(nothing here)", ATR__A_DIM, 0);
    atr__sb_clear(&sb);
    if (app->status[0])
        atr__sb_puts(&sb, app->status);
    else
        footer(&sb, v->ops->hint, (size_t)(app->cols > 0 ? app->cols : 80));
    atr__term_put(app->term, app->rows - 1, 0, app->cols, atr__sb_cstr(&sb),
                  app->status[0] ? ATR__A_BOLD : ATR__A_DIM, 0);
    atr__sb_free(&sb);
    atr__term_refresh(app->term);
}

int atr__tui_prompt(atr__tui *app, const char *label, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (;;) {
        char line[300];
        snprintf(line, sizeof line, "%s%s_", label, buf);
        atr__term_put(app->term, app->rows - 1, 0, app->cols, line, ATR__A_BOLD, 1);
        atr__term_refresh(app->term);
        int k = atr__term_key(app->term);
        if (k == ATR__KEY_ENTER)
            return len > 0;
        if (k == ATR__KEY_ESC || k == ATR__KEY_INTR)
            return 0;
        if (k == ATR__KEY_BACKSPACE && len > 0) {
            /* drop a whole UTF-8 sequence */
            do
                len--;
            while (len > 0 && ((unsigned char)buf[len] & 0xC0) == 0x80);
            buf[len] = '\0';
        } else if (k >= 0x20 && k < 0x100 && k != 0x7F && len + 1 < size) {
            buf[len++] = (char)k;
            buf[len] = '\0';
        }
    }
}

static int contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

static void search(atr__tui *app, int dir) {
    atr__view *v = app->top;
    uint64_t n = v->ops->count(v);
    if (!app->search[0] || n == 0)
        return;
    atr__sbuf sb = ATR__SBUF_INIT;
    uint64_t i = v->cursor;
    for (uint64_t step = 1; step <= n && step <= SEARCH_LIMIT; step++) {
        i = dir > 0 ? (i + 1) % n : (i + n - 1) % n;
        int attr = 0;
        atr__sb_clear(&sb);
        v->ops->row(v, i, &sb, &attr);
        if (contains_ci(atr__sb_cstr(&sb), app->search)) {
            atr__tui_jump(v, i);
            atr__sb_free(&sb);
            return;
        }
    }
    atr__sb_free(&sb);
    atr__tui_message(app, "not found: %s", app->search);
}

static void handle_key(atr__tui *app, int k) {
    atr__view *v = app->top;
    uint64_t n = v->ops->count(v);
    uint64_t page = (uint64_t)atr__tui_page(app);
    if (v->ops->key && v->ops->key(v, k))
        return;
    switch (k) {
    case ATR__KEY_UP:
    case 'k':
        atr__tui_goto(v, v->cursor ? v->cursor - 1 : 0);
        break;
    case ATR__KEY_DOWN:
    case 'j':
        atr__tui_goto(v, v->cursor + 1);
        break;
    case ATR__KEY_PGUP:
        atr__tui_goto(v, v->cursor > page ? v->cursor - page : 0);
        break;
    case ATR__KEY_PGDN:
    case ' ':
        atr__tui_goto(v, v->cursor + page);
        break;
    case ATR__KEY_HOME:
    case 'g':
        atr__tui_goto(v, 0);
        break;
    case ATR__KEY_END:
    case 'G':
        atr__tui_goto(v, n ? n - 1 : 0);
        break;
    case ATR__KEY_ENTER:
    case ATR__KEY_RIGHT:
    case 'l':
        if (n && v->ops->enter && v->ops->enter(v, v->cursor) < 0)
            atr__tui_message(app, "out of memory");
        break;
    case 'q':
    case ATR__KEY_ESC:
    case ATR__KEY_LEFT:
    case ATR__KEY_BACKSPACE:
    case 'h':
        atr__tui_pop(app);
        break;
    case 'Q':
    case ATR__KEY_INTR:
        app->quit = 1;
        break;
    case '/': {
        char buf[sizeof app->search];
        if (atr__tui_prompt(app, "search: ", buf, sizeof buf)) {
            memcpy(app->search, buf, sizeof buf);
            search(app, 1);
        }
        break;
    }
    case 'n':
        search(app, 1);
        break;
    case 'N':
        search(app, -1);
        break;
    case '?':
        if (atr__tui_help(app) < 0)
            atr__tui_message(app, "out of memory");
        break;
    default:
        break;
    }
}

void atr__tui_reset(atr__tui *app, const atr_index *ix) {
    while (app->top) {
        atr__view *v = app->top;
        app->top = v->below;
        if (v->ops->destroy)
            v->ops->destroy(v);
        free(v);
    }
    atr_events_close(app->events);
    app->events = NULL;
    app->ix = ix;
}

int atr__tui_run(const atr_index *ix, FILE *err) { return atr__tui_run_root(ix, err, NULL, NULL); }

int atr__tui_run_root(const atr_index *ix, FILE *err, atr__tui_root_fn root, void *ctx) {
    return run(ix, err, root, ctx, NULL);
}

int atr__tui_run_ticking(const atr_index *ix, FILE *err, const atr__tui_tick *tick) {
    return run(ix, err, NULL, NULL, tick);
}

static int run(const atr_index *ix, FILE *err, atr__tui_root_fn root, void *ctx,
               const atr__tui_tick *tick) {
    atr__tui app;
    memset(&app, 0, sizeof app);
    app.ix = ix;
    int rc = atr__term_open(&app.term);
    if (rc < 0) {
        fprintf(err, "argtrace view: %s\n",
                rc == ATR_EINVAL ? "needs a terminal (stdin and stdout must be a tty)"
                                 : atr_strerror(rc));
        return ATR_VIEWER_FAIL;
    }
    rc = root ? root(&app, ctx) : atr__tui_functions(&app);
    if (rc == 0 && tick)
        tick->fn(&app, tick->ctx);
    while (rc == 0 && !app.quit && app.top) {
        draw(&app);
        int k = tick ? atr__term_key_wait(app.term, tick->ms) : atr__term_key(app.term);
        if (k != ATR__KEY_NONE) {
            app.status[0] = '\0';
            handle_key(&app, k);
        }
        if (tick && !app.quit && app.top)
            tick->fn(&app, tick->ctx);
    }
    while (app.top)
        atr__tui_pop(&app);
    atr_events_close(app.events);
    atr__term_close(app.term);
    if (rc < 0) {
        fprintf(err, "argtrace view: %s\n", atr_strerror(rc));
        return ATR_VIEWER_FAIL;
    }
    return ATR_VIEWER_OK;
}
