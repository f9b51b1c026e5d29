/*
 * Compensation for the tracer's own cost (atr_index_set_compensate, docs/FORMAT.md 3.12).
 *
 * The log's CALIBRATION says what one traced call costs: `call_ns` in all, of which `inner_ns`
 * falls between the call's own start and end timestamps (the rest, call_ns - inner_ns, before
 * its start or after its end: it inflates only the calls around it). Each thread's timeline
 * is replayed in time order with a running total O of the cost spent so far:
 *
 *   at a START at raw time t:  O += call_ns - inner_ns;  start' = t - O;  O += inner_ns
 *   at an END at raw time t:   end' = t - O
 *
 * so a call's compensated duration is its recorded one minus its own inner_ns and call_ns
 * for every traced call under it on its thread (each descendant adds its whole cost to every
 * ancestor). A time that would go back before the thread's previous compensated time is held
 * there and O shrinks to match (the measured cost cannot exceed the time that passed): a
 * thread's times stay in order, durations >= 0, children inside their parents, and a parent
 * never below the sum of its children. Self times follow from the new durations.
 *
 * Calls of a thread come in start order (the log's order); their ends are replayed from a
 * small stack kept sorted by end time (a stack when calls nest, as they do but for coroutines
 * interleaving on one thread). Messages move back by their call's shift, kept inside it.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

typedef struct open_call {
    uint64_t end; /* raw end time */
    uint32_t call;
} open_call;

typedef struct thread_line {
    uint64_t spent;  /* O: the tracer's cost accumulated on this thread so far */
    uint64_t last;   /* last compensated time on this thread */
    open_call *open; /* calls started and not yet ended, the soonest end last */
    uint32_t n_open, cap_open;
} thread_line;

typedef struct comp_ctx {
    atr__call *calls;
    uint64_t outer, inner; /* call_ns - inner_ns, inner_ns */
    uint64_t *shift;       /* per call of the file: raw start - compensated start (or NULL) */
    uint64_t first;        /* first call of the file */
} comp_ctx;

/* The compensated time of raw time t on line l (t - O, held at l->last). */
static uint64_t place(thread_line *l, uint64_t t) {
    uint64_t v = t > l->spent ? t - l->spent : 0;
    if (v < l->last) {
        v = l->last;
        l->spent = t > v ? t - v : 0; /* t < v only if the log's clock went back */
    }
    l->last = v;
    return v;
}

static void end_call(const comp_ctx *cx, thread_line *l, const open_call *o) {
    atr__call *c = &cx->calls[o->call];
    uint64_t end = place(l, o->end);
    c->dur = end > c->start ? end - c->start : 0;
}

static int start_call(const comp_ctx *cx, thread_line *l, uint32_t id) {
    atr__call *c = &cx->calls[id];
    uint64_t raw = c->start, end = c->start + c->dur;
    uint32_t i;
    while (l->n_open && l->open[l->n_open - 1].end <= raw)
        end_call(cx, l, &l->open[--l->n_open]);
    l->spent += cx->outer;
    c->start = place(l, raw);
    l->spent += cx->inner;
    if (cx->shift)
        cx->shift[id - cx->first] = raw - c->start;
    if (l->n_open == l->cap_open) {
        uint32_t cap = l->cap_open ? l->cap_open * 2 : 16;
        open_call *p = realloc(l->open, cap * sizeof *p);
        if (!p)
            return ATR_ENOMEM;
        l->open = p;
        l->cap_open = cap;
    }
    /* keep the soonest end on top: nested calls go straight there */
    for (i = l->n_open; i > 0 && l->open[i - 1].end < end; i--)
        l->open[i] = l->open[i - 1];
    l->open[i].end = end;
    l->open[i].call = id;
    l->n_open++;
    return 0;
}

/* Messages of the file move back with their call, staying inside it. */
static void shift_messages(atr_index *ix, const comp_ctx *cx, uint64_t first_msg) {
    uint64_t n_calls = ix->n_calls - cx->first;
    for (uint64_t i = first_msg; i < ix->n_msgs; i++) {
        atr__msg *m = &ix->msgs[i];
        if (m->call == ATR_NO_CALL || m->call < cx->first || m->call - cx->first >= n_calls)
            continue;
        const atr__call *c = &cx->calls[m->call];
        uint64_t s = cx->shift[m->call - cx->first] + cx->inner;
        uint64_t t = m->time > s ? m->time - s : 0;
        if (t < c->start)
            t = c->start;
        if (t > c->start + c->dur)
            t = c->start + c->dur;
        m->time = t;
    }
}

int atr__compensate_file(atr_index *ix, uint32_t file, uint64_t first_msg) {
    atr__file *f = &ix->files[file];
    const atr_file_info *fi = &f->info;
    uint32_t n_threads = ix->n_threads - f->first_thread;
    uint64_t n = ix->n_calls - f->first_call;
    comp_ctx cx;
    thread_line *lines;
    int rc = 0;

    if (!fi->calib_mechanism.ptr || fi->calib_call_ns == 0 || n == 0)
        return 0;
    memset(&cx, 0, sizeof cx);
    cx.calls = ix->calls;
    cx.inner = fi->calib_inner_ns <= fi->calib_call_ns ? fi->calib_inner_ns : fi->calib_call_ns;
    cx.outer = fi->calib_call_ns - cx.inner;
    cx.first = f->first_call;
    lines = calloc(n_threads ? n_threads : 1, sizeof *lines);
    if (!lines)
        return ATR_ENOMEM;
    if (first_msg < ix->n_msgs && !(cx.shift = malloc(n * sizeof *cx.shift))) {
        free(lines);
        return ATR_ENOMEM;
    }
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        uint32_t id = (uint32_t)(f->first_call + i), t = ix->calls[id].thread - f->first_thread;
        if (t < n_threads) /* always: a file's calls run on its threads */
            rc = start_call(&cx, &lines[t], id);
    }
    for (uint32_t t = 0; t < n_threads; t++) {
        thread_line *l = &lines[t];
        while (rc == 0 && l->n_open)
            end_call(&cx, l, &l->open[--l->n_open]);
        free(l->open);
    }
    if (rc == 0) {
        if (cx.shift)
            shift_messages(ix, &cx, first_msg);
        for (uint64_t i = 0; i < n; i++)
            if (ix->calls[f->first_call + i].start < ix->t_min)
                ix->t_min = ix->calls[f->first_call + i].start;
        f->info.flags |= ATR_FILE_COMPENSATED;
    }
    free(cx.shift);
    free(lines);
    return rc;
}
