/*
 * `view --follow`: the TUI on logs that are being written (follow.h does the reading).
 *
 * The functions screen is live: when complete frames arrive, a new index is built (at most
 * one a second; a build that takes long spaces them out) and replaces the old one, the
 * selection staying on the same function. Deeper screens (arguments, calls, trees, replay)
 * keep the index they were opened on, so nothing moves under the cursor, and nothing is
 * built while they are shown; the title bar's badge says that new calls wait, and going
 * back to the functions screen builds and shows them at once. When every log was closed by its writer the badge says
 * "finished". q on the functions screen, Q, Ctrl-C (a key in raw mode) and SIGTERM/SIGINT
 * end the viewer.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "follow.h"
#include "tui.h"

#define POLL_MS 250     /* how often the files are looked at (and keys waited for) */
#define REBUILD_MS 1000 /* at least this long between two builds of the index */

typedef struct live {
    const atr__vctx *ctx;
    atr__follow *f;
    const char *first;   /* the first log's name (borrowed), for "waiting for" */
    atr_index *shown;    /* the index the views use, owned */
    atr_index *next;     /* the one just built, until swap_in() shows it; owned */
    int pending;         /* frames arrived since the last build */
    int was_deeper;      /* the last tick saw a screen above the functions screen */
    uint64_t next_build; /* ms on the monotonic clock */
    char problem[300];   /* the follower's last problem, shown once */
} live;

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Show l->next: the functions screen again on it, on the same function and page. */
static void swap_in(atr__tui *app, live *l) {
    atr__view *root = app->top;
    uint32_t fn = root ? atr__tui_functions_selected(root) : UINT32_MAX;
    uint64_t top = root ? root->top : 0;
    atr__tui_reset(app, l->next);
    atr_index_free(l->shown);
    l->shown = l->next;
    l->next = NULL;
    if (atr__tui_functions(app) < 0) {
        app->quit = 1; /* out of memory: nothing left to show */
        return;
    }
    app->top->top = top;
    if (fn != UINT32_MAX)
        atr__tui_functions_select(app->top, fn);
}

/* A new index from what was read, shown at once (only called on the functions screen). */
static void build(atr__tui *app, live *l) {
    uint64_t t0 = now_ms();
    atr_index *ix = NULL;
    char err[512];
    int rc = atr__follow_index(l->f, l->ctx, &ix, err, sizeof err);
    if (rc == 0) {
        l->next = ix;
        swap_in(app, l);
    } else if (rc != ATR_ENOTFOUND) {
        atr__tui_message(app, "%s", err[0] ? err : atr_strerror(rc));
    }
    l->pending = 0;
    uint64_t took = now_ms() - t0;
    l->next_build = now_ms() + (took * 3 > REBUILD_MS ? took * 3 : REBUILD_MS);
}

static void tick(atr__tui *app, void *ctx) {
    live *l = ctx;
    if (atr__follow_stopped()) {
        app->quit = 1;
        return;
    }
    int changed = 0;
    if (atr__follow_poll(l->f, &changed) < 0) {
        atr__tui_message(app, "out of memory");
        return;
    }
    if (strcmp(l->problem, atr__follow_problem(l->f)) != 0) {
        snprintf(l->problem, sizeof l->problem, "%s", atr__follow_problem(l->f));
        if (l->problem[0])
            atr__tui_message(app, "%s", l->problem);
    }
    l->pending |= changed;
    /* Deeper screens keep their snapshot, and nothing is built while one is shown: back on
       the functions screen, what arrived meanwhile is built at once. */
    int at_root = app->top && !app->top->below;
    if (l->pending && at_root && (l->was_deeper || now_ms() >= l->next_build))
        build(app, l);
    l->was_deeper = !at_root;
    atr_index_info info;
    atr_index_get_info(l->shown, &info);
    if (l->pending && !at_root)
        snprintf(app->badge, sizeof app->badge, "live: new calls (q: back to functions)");
    else if (info.n_files == 0)
        snprintf(app->badge, sizeof app->badge, "live: waiting for %s", l->first);
    else if (atr__follow_finished(l->f) && !l->pending)
        snprintf(app->badge, sizeof app->badge, "finished");
    else
        snprintf(app->badge, sizeof app->badge, "live");
}

int atr__tui_follow(const atr__vctx *ctx, const char *const *paths, int n) {
    live l;
    memset(&l, 0, sizeof l);
    l.ctx = ctx;
    l.first = paths[0];
    l.pending = 1;
    if (atr__follow_open(paths, n, &l.f) < 0 || atr_index_open(&l.shown) < 0) {
        atr__follow_close(l.f);
        fprintf(ctx->err, "%s view: out of memory\n", ctx->prog);
        return ATR_VIEWER_FAIL;
    }
    atr__tui_tick t = {tick, &l, POLL_MS};
    atr__follow_signals_catch();
    int st = atr__tui_run_ticking(l.shown, ctx->err, &t);
    atr__follow_signals_restore();
    atr_index_free(l.next);
    atr_index_free(l.shown);
    atr__follow_close(l.f);
    return st;
}
