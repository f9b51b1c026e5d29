/*
 * TUI view: replay. Every START, END and MESSAGE of the loaded logs in time order, one per
 * row, indented by call depth: step with ↑ ↓, page, jump to a time (t) or to the start (s)
 * or end (e) of the selected event's call; Enter opens that call's tree.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "render_call.h"
#include "tui.h"

#define MAX_INDENT 30     /* levels drawn; deeper calls are shown at this depth */
#define FIND_LIMIT 100000 /* events scanned at one time stamp looking for a call */

typedef struct replay {
    uint64_t t0;
} replay;

static uint64_t replay_count(atr__view *v) { return atr_events_count(v->app->events); }

static void replay_header(atr__view *v, atr__sbuf *sb) {
    (void)v;
    atr__sb_printf(sb, "%12s %4s  %s", "time (s)", "thr", "event");
}

static int read_event(atr__view *v, uint64_t i, atr_event *ev) {
    atr_events_seek(v->app->events, i);
    return atr_events_next(v->app->events, ev);
}

static uint32_t depth_of(const atr_index *ix, uint32_t call) {
    uint32_t d = 0;
    atr_call_view cv;
    while (d < MAX_INDENT && atr_index_call(ix, call, &cv) == 0 && cv.parent != ATR_NO_CALL) {
        call = cv.parent;
        d++;
    }
    return d;
}

static void replay_row(atr__view *v, uint64_t i, atr__sbuf *sb, int *attr) {
    replay *r = v->data;
    const atr_index *ix = v->app->ix;
    atr_event ev;
    if (read_event(v, i, &ev) < 0)
        return;
    char buf[40];
    uint64_t dt = ev.time_ns - r->t0;
    snprintf(buf, sizeof buf, "+%" PRIu64 ".%09" PRIu64, dt / 1000000000u, dt % 1000000000u);
    atr__sb_right(sb, buf, 12);
    atr__sb_printf(sb, " %4" PRIu32 "  ", ev.thread);
    atr_call_view cv;
    int have = ev.call != ATR_NO_CALL && atr_index_call(ix, ev.call, &cv) == 0;
    uint32_t depth = have ? depth_of(ix, ev.call) : 0;
    if (ev.kind == ATR_EVENT_MESSAGE) {
        atr__sb_pad(sb, ' ', 2u * (have ? depth + 1 : 0));
        atr__sb_puts(sb, "• ");
        atr__sb_message(sb, ix, ev.message);
        *attr |= ATR__A_CYAN;
        return;
    }
    if (!have)
        return;
    atr__sb_pad(sb, ' ', 2u * depth);
    if (ev.kind == ATR_EVENT_START) {
        atr__sb_puts(sb, "▶ ");
        atr__sb_funcname(sb, ix, cv.function);
        atr__sb_putc(sb, '(');
        atr__sb_call_args(sb, ix, ev.call);
        atr__sb_putc(sb, ')');
    } else {
        atr__sb_puts(sb, "◀ ");
        atr__sb_funcname(sb, ix, cv.function);
        atr__sb_puts(sb, " ");
        if (cv.status != ATR_CALL_NORESULT) {
            atr__sb_call_outcome(sb, ix, &cv);
            atr__sb_puts(sb, "  ");
        }
        atr__sb_putc(sb, '[');
        atr__sb_dur(sb, cv.duration_ns);
        atr__sb_putc(sb, ']');
        if (cv.status == ATR_CALL_RAISED)
            *attr |= ATR__A_RED;
        else
            *attr |= ATR__A_DIM;
    }
}

/* Position of `call`'s START (kind ATR_EVENT_START) or END event, or count if not found. */
static uint64_t find_call_event(atr__view *v, uint32_t call, uint32_t kind) {
    atr_call_view cv;
    atr_events *evs = v->app->events;
    uint64_t count = atr_events_count(evs);
    if (atr_index_call(v->app->ix, call, &cv) < 0)
        return count;
    uint64_t pos = atr_events_find_time(evs, kind == ATR_EVENT_START ? cv.start_ns : cv.end_ns);
    atr_events_seek(evs, pos);
    atr_event ev;
    for (uint64_t k = 0; k < FIND_LIMIT && atr_events_next(evs, &ev) == 0; k++, pos++)
        if (ev.call == call && ev.kind == kind)
            return pos;
    return count;
}

/* "1.5s", "250ms", "40us", "12µs", "900ns", "1000" (ns): a time from the first event. */
static int parse_time(const char *s, uint64_t *out) {
    char *end;
    while (isspace((unsigned char)*s) || *s == '+')
        s++;
    double x = strtod(s, &end);
    if (end == s || x < 0)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    double mul = 1;
    if (strcmp(end, "s") == 0)
        mul = 1e9;
    else if (strcmp(end, "ms") == 0)
        mul = 1e6;
    else if (strcmp(end, "us") == 0 || strcmp(end, "µs") == 0)
        mul = 1e3;
    else if (strcmp(end, "ns") != 0 && *end)
        return -1;
    if (x * mul > 1.8e19)
        return -1;
    *out = (uint64_t)(x * mul);
    return 0;
}

static int replay_key(atr__view *v, int k) {
    replay *r = v->data;
    atr_event ev;
    uint64_t count = atr_events_count(v->app->events);
    if (k == 't') {
        char buf[64];
        uint64_t t;
        if (!atr__tui_prompt(v->app, "go to time (e.g. 1.5s, 250ms): ", buf, sizeof buf))
            return 1;
        if (parse_time(buf, &t) < 0)
            atr__tui_message(v->app, "not a time: %s (try 1.5s, 250ms, 40us)", buf);
        else
            atr__tui_jump(v, atr_events_find_time(v->app->events, r->t0 + t));
        return 1;
    }
    if ((k == 's' || k == 'e') && count && read_event(v, v->cursor, &ev) == 0) {
        if (ev.call == ATR_NO_CALL)
            return 1;
        uint64_t pos = find_call_event(v, ev.call, k == 's' ? ATR_EVENT_START : ATR_EVENT_END);
        if (pos < count)
            atr__tui_jump(v, pos);
        else
            atr__tui_message(v->app, "the call has no %s event", k == 's' ? "start" : "end");
        return 1;
    }
    return 0;
}

static int replay_enter(atr__view *v, uint64_t i) {
    atr_event ev;
    if (read_event(v, i, &ev) < 0 || ev.call == ATR_NO_CALL)
        return 0;
    return atr__tui_tree(v->app, ev.call);
}

static void replay_destroy(atr__view *v) { free(v->data); }

static const atr__view_ops replay_ops = {replay_count,
                                         replay_row,
                                         replay_header,
                                         replay_enter,
                                         replay_key,
                                         replay_destroy,
                                         "t: go to time  s/e: call start/end  Enter: tree"};

int atr__tui_replay(atr__tui *app, uint32_t call) {
    int rc;
    if (!app->events && (rc = atr_events_open(app->ix, &app->events)) < 0)
        return rc;
    replay *r = calloc(1, sizeof *r);
    if (!r)
        return ATR_ENOMEM;
    atr_index_info info;
    atr_index_get_info(app->ix, &info);
    r->t0 = info.t_min;
    if ((rc = atr__tui_push(app, &replay_ops, r, "replay: events in time order")) < 0)
        return rc;
    if (call != ATR_NO_CALL)
        atr__tui_jump(app->top, find_call_event(app->top, call, ATR_EVENT_START));
    return 0;
}
