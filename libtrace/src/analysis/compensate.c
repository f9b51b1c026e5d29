/*
 * Compensation for the tracer's own cost (atr_index_set_compensate, docs/FORMAT.md 3.13).
 *
 * The log's CALIBRATION says what one traced call costs. Without a model (a 1.1 record) every
 * call costs `call_ns`, of which `inner_ns` falls between the call's own start and end
 * timestamps. With the per-call model (1.2) each call has its own cost from what the log
 * says about it (cost_of): `base_ns`, a cost per captured value by kind, per RESUME, for a
 * generator, for a raise; its arguments' part (captured before its START) and the rest of the
 * base outside the call, its result, exception, resumes and `inner_ns` inside. Each thread's
 * timeline is replayed in time order with a running total O of the cost spent so far:
 *
 *   at a START at raw time t:  O += outer(call);  start' = t - O;  O += inner(call)
 *   at an END at raw time t:   end' = t - O
 *
 * so a call's compensated duration is its recorded one minus its own inner part and the whole
 * cost of every traced call under it on its thread. A time that would go back before the
 * thread's previous compensated time is held there and O shrinks to match (the measured cost
 * cannot exceed the time that passed): a thread's times stay in order, durations >= 0,
 * children inside their parents, and a parent never below the sum of its children. Self
 * times follow from the new durations. With `slow_ppm` (the profile hook slows all code the
 * program runs), the compensated times are then scaled by 1 / (1 + slow_ppm / 10^6) around
 * the file's first call. A generator's active time loses the cost of its own subtree (its
 * children's whole cost, its own inner part), at most all of it.
 *
 * Calls of a thread come in start order (the log's order); their ends are replayed from a
 * small stack kept sorted by end time (a stack when calls nest, as they do but for coroutines
 * interleaving on one thread). Messages move back by their call's shift, kept inside it.
 * The time a call adopted from a generator it resumed (atr__adopt) shrinks with that
 * generator's outside time.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "argtrace/atr_writer.h" /* ATR_FUNC_* */

typedef struct open_call {
    uint64_t end; /* raw end time */
    uint32_t call;
} open_call;

typedef struct thread_line {
    uint64_t spent;  /* O: the tracer's cost accumulated on this thread so far */
    uint64_t last;   /* last compensated time on this thread */
    uint64_t carry;  /* cost the last event's interval could not hold, due in the next one */
    open_call *open; /* calls started and not yet ended, the soonest end last */
    uint32_t n_open, cap_open;
} thread_line;

typedef struct comp_ctx {
    atr_index *ix;
    atr__call *calls;
    const atr_file_info *fi;
    int model;             /* 1: the per-call model (calib_base_ns and the others) */
    uint64_t outer, inner; /* without the model: call_ns - inner_ns, inner_ns */
    uint64_t *shift;       /* per call of the file: raw start - compensated start + its inner
                              cost, the shift of its messages (or NULL) */
    uint64_t *tree;        /* per call of the file: its outer and inner cost, then (subtree_costs)
                              the cost inside it: its inner part, its descendants' whole cost */
    uint64_t first;        /* first call of the file */
} comp_ctx;

/* Cost of one captured value and the items of a summary, by kind (FORMAT.md 3.13). */
static uint64_t value_cost(const atr_file_info *fi, const atr_value *v, int depth) {
    switch (v->kind) {
    case ATR_V_STR:
    case ATR_V_BYTES:
    case ATR_V_REPR: /* copied inline up to 32 bytes, by memcpy past that */
        return fi->calib_str_ns + (v->u.s.len > 32 ? fi->calib_long_str_ns : 0);
    case ATR_V_SUMMARY: { /* a container (its length known) costs more than an object */
        uint64_t c = fi->calib_summary_ns + (v->u.sum.length >= 0 ? fi->calib_container_ns : 0);
        for (uint32_t i = 0; depth < 8 && i < v->n_items; i++)
            c += value_cost(fi, &v->u.sum.items[i], depth + 1);
        return c;
    }
    default:
        return fi->calib_scalar_ns;
    }
}

static uint64_t value_id_cost(const comp_ctx *cx, uint32_t id) {
    atr_value v;
    if (id == ATR_NO_VALUE || atr__values_get(&cx->ix->vals, id, &v) != 0)
        return 0;
    return value_cost(cx->fi, &v, 0);
}

/* 1 when the file's calibration has the per-call model (FORMAT.md 3.13). */
static int has_model(const atr_file_info *fi) {
    return (fi->calib_base_ns | fi->calib_scalar_ns | fi->calib_str_ns | fi->calib_summary_ns |
            fi->calib_gen_ns | fi->calib_resume_ns | fi->calib_raise_ns | fi->calib_container_ns |
            fi->calib_long_str_ns) != 0;
}

/* The cost of call c: *outer before its START or after its END, *inner between them. */
static void call_cost(const atr_index *ix, const atr_file_info *fi, const atr__call *c,
                      uint64_t *outer, uint64_t *inner) {
    comp_ctx cx;
    memset(&cx, 0, sizeof cx);
    cx.ix = (atr_index *)ix;
    cx.fi = fi;
    uint64_t in = fi->calib_inner_ns <= fi->calib_call_ns ? fi->calib_inner_ns : fi->calib_call_ns;
    if (!has_model(fi)) {
        *outer = fi->calib_call_ns - in;
        *inner = in;
        return;
    }
    if (in > fi->calib_base_ns)
        in = fi->calib_base_ns;
    uint64_t o = fi->calib_base_ns - in, i = in;
    for (uint32_t k = 0; k < c->n_args; k++)
        o += value_id_cost(&cx, ix->argv[c->args + k]);
    if (c->status == ATR_CALL_RETURNED || c->status == ATR_CALL_RAISED)
        i += value_id_cost(&cx, c->result);
    if (c->status == ATR_CALL_RAISED)
        o += fi->calib_raise_ns;
    if (ix->funcs[c->func].flags & (ATR_FUNC_GENERATOR | ATR_FUNC_COROUTINE | ATR_FUNC_ASYNCGEN))
        o += fi->calib_gen_ns;
    const atr__susp *e = atr__susp_of(ix, c);
    if (e)
        i += fi->calib_resume_ns * e->resumes;
    *outer = o;
    *inner = i;
}

/*
 * The compensated time of raw time t on line l (t - O, held at l->last). The cost charged
 * to an interval (between two events of the thread) that it cannot hold is carried into the
 * next interval once: how a call's cost splits around its timestamps varies from call to call
 * (a call recorded shorter than its inner part spent the rest after its END), and dropping
 * that part left parents of many tiny calls 5-10% above their untraced time. What the next
 * interval cannot hold either is dropped (O shrinks to match): the earlier carry first.
 */
static uint64_t place(thread_line *l, uint64_t t) {
    uint64_t carried = l->carry;
    l->spent += carried;
    l->carry = 0;
    uint64_t v = t > l->spent ? t - l->spent : 0;
    if (v < l->last) {
        uint64_t fits = t > l->last ? t - l->last : 0, deficit = l->spent - fits;
        /* at most this event's own cost (O fitted the previous one); none when the log's
           clock went back (t < last: O is all dropped) */
        l->carry = t >= l->last && deficit > carried ? deficit - carried : 0;
        l->spent = fits;
        v = l->last;
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
    uint64_t outer = cx->outer, inner = cx->inner;
    if (cx->model)
        call_cost(cx->ix, cx->fi, c, &outer, &inner);
    if (cx->tree) { /* its own cost, summed into the subtrees afterwards (subtree_costs) */
        cx->tree[2 * (id - cx->first)] = outer;
        cx->tree[2 * (id - cx->first) + 1] = inner;
    }
    l->spent += outer;
    c->start = place(l, raw);
    l->spent += inner;
    if (cx->shift)
        cx->shift[id - cx->first] = raw - c->start + inner; /* a message's shift */
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
        uint64_t s = cx->shift[m->call - cx->first];
        uint64_t t = m->time > s ? m->time - s : 0;
        if (t < c->start)
            t = c->start;
        if (t > c->start + c->dur)
            t = c->start + c->dur;
        m->time = t;
    }
}

/* tree[2k + 1] becomes the cost charged inside call first + k: its own inner part and the
   whole cost of its descendants (a child's id is above its parent's). */
static void subtree_costs(const comp_ctx *cx, uint64_t n) {
    for (uint64_t k = n; k-- > 0;) {
        uint32_t p = cx->calls[cx->first + k].parent;
        if (p != ATR_NO_CALL && p >= cx->first && p - cx->first < k)
            cx->tree[2 * (p - cx->first) + 1] += cx->tree[2 * k] + cx->tree[2 * k + 1];
    }
}

/* A suspended call's active time loses the cost charged inside it, at most all of it; the
   part of it that ran outside its parent the same share of it. */
static void compensate_active(atr_index *ix, const comp_ctx *cx, uint64_t n) {
    for (uint64_t k = 0; k < n; k++) {
        atr__call *c = &cx->calls[cx->first + k];
        atr__susp *e = (atr__susp *)atr__susp_of(ix, c);
        if (!e)
            continue;
        uint64_t t = cx->tree[2 * k + 1], was = e->active;
        e->active = e->active > t ? e->active - t : 0;
        if (e->active > c->dur)
            e->active = c->dur;
        if (was) /* its intervals outside its parent lose their share */
            e->outside = (uint64_t)((double)e->outside * ((double)e->active / (double)was) + 0.5);
        if (e->outside > e->active)
            e->outside = e->active;
    }
}

/* The file's entries of ix->adopt (calls from `first` on: the last ones, sorted by call) and
   the outside time of the call each was, before compensation (malloc'd into *old; NULL when
   there are none). Returns the first entry's index, or UINT64_MAX on ENOMEM. */
static uint64_t adopt_before(const atr_index *ix, uint64_t first, uint64_t **old) {
    uint64_t lo = ix->n_adopt;
    while (lo > 0 && ix->adopt[lo - 1].call >= first)
        lo--;
    *old = NULL;
    if (lo == ix->n_adopt)
        return lo;
    if (!(*old = malloc((size_t)(ix->n_adopt - lo) * sizeof(uint64_t))))
        return UINT64_MAX;
    for (uint64_t i = lo; i < ix->n_adopt; i++) {
        const atr__adopt *a = &ix->adopt[i];
        const atr__susp *e = a->from != ATR_NO_CALL ? atr__susp_of(ix, &ix->calls[a->from]) : NULL;
        (*old)[i - lo] = e ? e->outside : 0;
    }
    return lo;
}

/* An adopted interval shrinks as the outside time of the call it was has (its own share of
   it: at most all of that time). */
static void adopt_after(atr_index *ix, uint64_t lo, const uint64_t *old) {
    for (uint64_t i = lo; old && i < ix->n_adopt; i++) {
        atr__adopt *a = &ix->adopt[i];
        const atr__susp *e = a->from != ATR_NO_CALL ? atr__susp_of(ix, &ix->calls[a->from]) : NULL;
        uint64_t was = old[i - lo], now = e ? e->outside : 0;
        if (was > now)
            a->ns = (uint64_t)((double)a->ns * ((double)now / (double)was) + 0.5);
        if (a->ns > now)
            a->ns = now;
    }
}

/* slow_ppm: times scaled by 1 / (1 + slow_ppm / 10^6) around the file's first start t0. */
static uint64_t scaled(uint64_t t, uint64_t t0, double f) {
    return t <= t0 ? t : t0 + (uint64_t)((double)(t - t0) * f + 0.5);
}

static void scale_file(atr_index *ix, const comp_ctx *cx, uint64_t n, uint64_t first_msg) {
    double f = 1e6 / (1e6 + (double)cx->fi->calib_slow_ppm);
    uint64_t t0 = UINT64_MAX;
    for (uint64_t k = 0; k < n; k++)
        if (cx->calls[cx->first + k].start < t0)
            t0 = cx->calls[cx->first + k].start;
    for (uint64_t k = 0; k < n; k++) {
        atr__call *c = &cx->calls[cx->first + k];
        uint64_t s = scaled(c->start, t0, f), e = scaled(c->start + c->dur, t0, f);
        c->start = s;
        c->dur = e - s;
        atr__susp *sp = (atr__susp *)atr__susp_of(ix, c);
        if (sp) {
            sp->active = (uint64_t)((double)sp->active * f + 0.5);
            sp->outside = (uint64_t)((double)sp->outside * f + 0.5);
            if (sp->active > c->dur)
                sp->active = c->dur;
            if (sp->outside > sp->active)
                sp->outside = sp->active;
        }
    }
    uint64_t n_calls = ix->n_calls - cx->first;
    for (uint64_t i = first_msg; i < ix->n_msgs; i++) {
        atr__msg *m = &ix->msgs[i];
        if (m->call != ATR_NO_CALL && m->call >= cx->first && m->call - cx->first < n_calls)
            m->time = scaled(m->time, t0, f);
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

    if (!fi->calib_mechanism.ptr || (fi->calib_call_ns == 0 && fi->calib_base_ns == 0) || n == 0)
        return 0;
    memset(&cx, 0, sizeof cx);
    cx.ix = ix;
    cx.fi = fi;
    cx.calls = ix->calls;
    cx.model = has_model(fi);
    cx.inner = fi->calib_inner_ns <= fi->calib_call_ns ? fi->calib_inner_ns : fi->calib_call_ns;
    cx.outer = fi->calib_call_ns - cx.inner;
    cx.first = f->first_call;
    int any_susp = 0;
    for (uint64_t i = 0; i < n && !any_susp; i++)
        any_susp = (ix->calls[f->first_call + i].flags & ATR__CF_SUSPENDED) != 0;
    lines = calloc(n_threads ? n_threads : 1, sizeof *lines);
    if (!lines)
        return ATR_ENOMEM;
    if ((first_msg < ix->n_msgs && !(cx.shift = malloc(n * sizeof *cx.shift))) ||
        (any_susp && !(cx.tree = calloc(2 * n, sizeof *cx.tree)))) {
        free(cx.shift);
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
    uint64_t *adopt_old = NULL, adopt_lo = rc == 0 ? adopt_before(ix, cx.first, &adopt_old) : 0;
    if (adopt_lo == UINT64_MAX)
        rc = ATR_ENOMEM;
    if (rc == 0) {
        if (cx.shift)
            shift_messages(ix, &cx, first_msg);
        if (cx.tree) {
            subtree_costs(&cx, n);
            compensate_active(ix, &cx, n);
        }
        if (fi->calib_slow_ppm)
            scale_file(ix, &cx, n, first_msg);
        adopt_after(ix, adopt_lo, adopt_old);
        for (uint64_t i = 0; i < n; i++)
            if (ix->calls[f->first_call + i].start < ix->t_min)
                ix->t_min = ix->calls[f->first_call + i].start;
        f->info.flags |= ATR_FILE_COMPENSATED;
    }
    free(adopt_old);
    free(cx.tree);
    free(cx.shift);
    free(lines);
    return rc;
}
