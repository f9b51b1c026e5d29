/*
 * One record at a time: FUNCTION definitions are deduplicated into the index's functions
 * (module + qualname + file) with their parameters mapped to the function's global
 * parameter list; START appends a call and its argument ids; END completes it; MESSAGE,
 * THREAD, PROCESS, DROPS fill their tables; SUSPEND / RESUME track active times. Spans are found through a per-thread array
 * indexed by the span's sequence number, bounded by the records read so far.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/load.h"

/* ---- functions ---- */

static uint64_t func_hash(atr_str m, atr_str q, atr_str f) {
    uint64_t h = atr__hash_bytes(m.ptr, m.len, 1);
    h = atr__hash_bytes(q.ptr, q.len, h);
    return atr__hash_bytes(f.ptr, f.len, h);
}

static int str_eq(atr_str a, atr_str b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int atr__fslots_rebuild(atr_index *ix, uint32_t nslots) {
    uint32_t *s = calloc(nslots, sizeof(uint32_t));
    if (!s)
        return ATR_ENOMEM;
    for (uint32_t i = 0; i < ix->n_funcs; i++) {
        uint32_t j = (uint32_t)ix->funcs[i].hash & (nslots - 1);
        while (s[j])
            j = (j + 1) & (nslots - 1);
        s[j] = i + 1;
    }
    free(ix->fslots);
    ix->fslots = s;
    ix->fmask = nslots - 1;
    return 0;
}

static int copy_str(atr_index *ix, atr_str in, atr_str *out) {
    const char *p = atr__arena_strdup(&ix->arena, in.ptr ? in.ptr : "", in.ptr ? in.len : 0);
    if (!p)
        return ATR_ENOMEM;
    out->ptr = p;
    out->len = in.ptr ? in.len : 0;
    return 0;
}

int atr__func_param(const atr__func *f, const char *name, size_t len) {
    for (uint32_t i = 0; i < f->n_params; i++)
        if (f->params[i].len == len && memcmp(f->params[i].ptr, name, len) == 0)
            return (int)i;
    return -1;
}

/* Index of param `name` in f, appending it if new (at most 1024 per function). */
static int func_param_add(atr_index *ix, atr__func *f, atr_str name, uint32_t *out) {
    int k = atr__func_param(f, name.ptr ? name.ptr : "", name.ptr ? name.len : 0);
    if (k >= 0) {
        *out = (uint32_t)k;
        return 0;
    }
    if (f->n_params >= 1024)
        return ATR_ETOOBIG;
    uint64_t cap = f->cap_params;
    if (atr__grow((void **)&f->params, &cap, (uint64_t)f->n_params + 1, sizeof(atr_str)))
        return ATR_ENOMEM;
    f->cap_params = (uint32_t)cap;
    if (copy_str(ix, name, &f->params[f->n_params]))
        return ATR_ENOMEM;
    *out = f->n_params++;
    return 0;
}

/* The fns index of local function id `lid` (through a pointer), or NULL. */
uint32_t *atr__fn_lookup(load_state *st, uint32_t lid) {
    if (lid < ATR__FN_DENSE) {
        if (!st->fndense[lid])
            return NULL;
        st->fn_tmp = st->fndense[lid] - 1;
        return &st->fn_tmp;
    }
    return atr__u32map_get(&st->fnmap, lid);
}

static int on_function(load_state *st, const atr_record *rec) {
    atr_index *ix = st->ix;
    atr_str m = rec->u.function.module, q = rec->u.function.qualname, fl = rec->u.function.file;
    uint64_t h = func_hash(m, q, fl);
    uint32_t fn = ATR_NO_FUNCTION;
    if (ix->fslots) {
        for (uint32_t j = (uint32_t)h & ix->fmask; ix->fslots[j]; j = (j + 1) & ix->fmask) {
            atr__func *f = &ix->funcs[ix->fslots[j] - 1];
            if (f->hash == h && str_eq(f->module, m) && str_eq(f->qualname, q) &&
                str_eq(f->file, fl)) {
                fn = ix->fslots[j] - 1;
                break;
            }
        }
    }
    if (fn == ATR_NO_FUNCTION) {
        uint64_t cap = ix->cap_funcs;
        if (ix->n_funcs >= UINT32_MAX / 4)
            return ATR_ETOOBIG;
        if (atr__grow((void **)&ix->funcs, &cap, (uint64_t)ix->n_funcs + 1, sizeof(atr__func)))
            return ATR_ENOMEM;
        ix->cap_funcs = (uint32_t)cap;
        if (!ix->fslots || (uint64_t)(ix->n_funcs + 1) * 2 > (uint64_t)ix->fmask + 1) {
            if (atr__fslots_rebuild(ix, ix->fslots ? (ix->fmask + 1) * 2 : 64))
                return ATR_ENOMEM;
        }
        atr__func *f = &ix->funcs[ix->n_funcs];
        memset(f, 0, sizeof(*f));
        if (copy_str(ix, m, &f->module) || copy_str(ix, q, &f->qualname) ||
            copy_str(ix, fl, &f->file))
            return ATR_ENOMEM;
        f->line = rec->u.function.line;
        f->flags = rec->u.function.flags;
        f->hash = h;
        fn = ix->n_funcs++;
        uint32_t j = (uint32_t)h & ix->fmask;
        while (ix->fslots[j])
            j = (j + 1) & ix->fmask;
        ix->fslots[j] = fn + 1;
    }
    atr__func *f = &ix->funcs[fn];
    fnmap_ent e = {fn, rec->u.function.n_params, NULL};
    if (e.n) {
        e.params = malloc((size_t)e.n * sizeof(uint32_t));
        if (!e.params)
            return ATR_ENOMEM;
    }
    for (uint32_t i = 0; i < e.n; i++) {
        int rc = func_param_add(ix, f, rec->u.function.params[i], &e.params[i]);
        if (rc == ATR_ETOOBIG) { /* past 1024 names: that argument is not kept */
            e.params[i] = UINT32_MAX;
            continue;
        }
        if (rc) {
            free(e.params);
            return rc;
        }
        if (f->n_declared < e.params[i] + 1 && e.params[i] == f->n_declared)
            f->n_declared = e.params[i] + 1;
    }
    uint32_t lid = rec->u.function.id;
    uint32_t *old = atr__fn_lookup(st, lid);
    if (old) { /* redefinition of a local id: the later one wins */
        free(st->fns[*old].params);
        st->fns[*old] = e;
        return 0;
    }
    if (atr__grow((void **)&st->fns, &st->cap_fns, st->n_fns + 1, sizeof(fnmap_ent)) ||
        (lid >= ATR__FN_DENSE && atr__u32map_put(&st->fnmap, lid, (uint32_t)st->n_fns))) {
        free(e.params);
        return ATR_ENOMEM;
    }
    if (lid < ATR__FN_DENSE)
        st->fndense[lid] = (uint32_t)st->n_fns + 1;
    st->fns[st->n_fns++] = e;
    return 0;
}

/* ---- threads and spans ---- */

int atr__thread_of(load_state *st, uint32_t number, uint32_t *out) {
    atr_index *ix = st->ix;
    if (st->have_cur && st->cur_number == number) {
        *out = st->cur_tid;
        return 0;
    }
    atr__file *file = &ix->files[st->file];
    uint32_t *t = atr__u32map_get(&file->thread_map, number);
    if (t) {
        *out = *t;
        st->cur_number = number;
        st->cur_tid = *t;
        st->have_cur = 1;
        return 0;
    }
    uint64_t cap = ix->cap_threads;
    if (atr__grow((void **)&ix->threads, &cap, (uint64_t)ix->n_threads + 1, sizeof(atr__thread)))
        return ATR_ENOMEM;
    ix->cap_threads = (uint32_t)cap;
    if (atr__u32map_put(&file->thread_map, number, ix->n_threads))
        return ATR_ENOMEM;
    atr__thread *th = &ix->threads[ix->n_threads];
    memset(th, 0, sizeof(*th));
    th->file = st->file;
    th->number = number;
    th->name.ptr = "";
    th->first_root = ATR_NO_CALL;
    file->n_threads++;
    *out = ix->n_threads++;
    return 0;
}

/* 1 and its global id in *out when the log's thread `number` has been seen (a START made it),
   else 0: a thread is not added for a SUSPEND, RESUME or END (a generator resumed on a thread
   that ran no traced call of its own). */
static int thread_seen(load_state *st, uint32_t number, uint32_t *out) {
    if (st->have_cur && st->cur_number == number) {
        *out = st->cur_tid;
        return 1;
    }
    uint32_t *t = atr__u32map_get(&st->ix->files[st->file].thread_map, number);
    if (t)
        *out = *t;
    return t != NULL;
}

/* The call of span `span` in file `file`, or ATR_NO_CALL. */
uint32_t atr__span_call(const atr_index *ix, uint32_t file, uint64_t span) {
    if (span < (UINT64_C(1) << ATR_SPAN_SEQ_BITS))
        return ATR_NO_CALL;
    uint32_t *t = atr__u32map_get(&ix->files[file].thread_map, atr_span_thread(span));
    if (!t)
        return ATR_NO_CALL;
    const atr__thread *th = &ix->threads[*t];
    uint64_t seq = atr_span_seq(span) - th->seq_base; /* wraps below the base: too large */
    return seq < th->n_seq ? th->seq2call[seq] : ATR_NO_CALL;
}

/* atr__span_call with a fast path for spans of the current thread. */
static uint32_t span_call_st(const load_state *st, uint64_t span) {
    if (st->have_cur && span >= (UINT64_C(1) << ATR_SPAN_SEQ_BITS) &&
        atr_span_thread(span) == st->cur_number) {
        const atr__thread *th = &st->ix->threads[st->cur_tid];
        uint64_t seq = atr_span_seq(span) - th->seq_base;
        return seq < th->n_seq ? th->seq2call[seq] : ATR_NO_CALL;
    }
    return atr__span_call(st->ix, st->file, span);
}

static int span_set(load_state *st, atr__thread *th, uint64_t seq, uint32_t call) {
    if (seq < th->seq_base)
        return 1; /* cannot happen: spans after a SYNC count up from it */
    seq -= th->seq_base;
    if (seq >= th->n_seq) {
        /*
         * Sequence numbers are dense unless records were lost, so the span maps of a log
         * (all its threads together) are bounded by what was read so far: a hostile
         * sequence number makes its span unknown instead of allocating memory.
         */
        uint64_t nn = th->n_seq ? th->n_seq : 64;
        while (nn <= seq)
            nn += nn / 2;
        if (st->seq_total - th->n_seq + nn > 8 * st->n_records + 65536)
            return 1;
        uint32_t *p = realloc(th->seq2call, (size_t)nn * sizeof(uint32_t));
        if (!p)
            return ATR_ENOMEM;
        memset(p + th->n_seq, 0xff, (size_t)(nn - th->n_seq) * sizeof(uint32_t));
        st->seq_total = st->seq_total - th->n_seq + nn;
        th->seq2call = p;
        th->n_seq = nn;
    }
    th->seq2call[seq] = call;
    return 0;
}

static int add_pending(atr_index *ix, uint32_t call, uint64_t uid, uint64_t span) {
    if (atr__grow((void **)&ix->pending, &ix->cap_pending, ix->n_pending + 1, sizeof(atr__pending)))
        return ATR_ENOMEM;
    ix->pending[ix->n_pending++] = (atr__pending){call, uid, span};
    return 0;
}

/* ---- records ---- */

int atr__add_call(load_state *st, const atr_record *rec, const fnmap_ent *fe, uint32_t tid,
                  uint32_t *id_out) {
    atr_index *ix = st->ix;
    atr__file *file = &ix->files[st->file];
    atr__func *f = &ix->funcs[fe->fn];
    int rc;
    if (ix->n_calls >= UINT32_MAX - 1)
        return ATR_ETOOBIG;
    if (atr__grow((void **)&ix->calls, &ix->cap_calls, ix->n_calls + 1, sizeof(atr__call)))
        return ATR_ENOMEM;
    uint32_t id = (uint32_t)ix->n_calls;

    /* Arguments: declared params through the local map, then fields by name. */
    uint32_t n = 0;
    uint32_t na = rec->u.start.n_args < fe->n ? rec->u.start.n_args : fe->n;
    uint64_t need = (uint64_t)f->n_params + rec->u.start.n_fields + 1;
    if (atr__grow((void **)&st->argbuf, &st->cap_argbuf, need, sizeof(uint32_t)))
        return ATR_ENOMEM;
    for (uint32_t i = 0; i < na; i++) {
        uint32_t g = fe->params[i], v;
        if (g == UINT32_MAX)
            continue;
        if ((rc = atr__values_intern(&ix->vals, &rec->u.start.args[i], &v)) != 0)
            return rc;
        while (n <= g)
            st->argbuf[n++] = ATR_NO_VALUE;
        st->argbuf[g] = v;
    }
    for (uint32_t i = 0; i < rec->u.start.n_fields; i++) {
        uint32_t g, v;
        rc = func_param_add(ix, f, rec->u.start.fields[i].name, &g);
        if (rc == ATR_ETOOBIG)
            continue; /* too many distinct field names: keep the first 1024 */
        if (rc)
            return rc;
        if (atr__grow((void **)&st->argbuf, &st->cap_argbuf, (uint64_t)g + 1, sizeof(uint32_t)))
            return ATR_ENOMEM;
        if ((rc = atr__values_intern(&ix->vals, &rec->u.start.fields[i].value, &v)) != 0)
            return rc;
        while (n <= g)
            st->argbuf[n++] = ATR_NO_VALUE;
        st->argbuf[g] = v;
    }
    if (ix->n_argv + n > UINT32_MAX)
        return ATR_ETOOBIG;
    if (atr__grow((void **)&ix->argv, &ix->cap_argv, ix->n_argv + n, sizeof(uint32_t)))
        return ATR_ENOMEM;
    if (n)
        memcpy(ix->argv + ix->n_argv, st->argbuf, (size_t)n * sizeof(uint32_t));

    atr__call *c = &ix->calls[id];
    c->start = rec->time_ns;
    c->dur = 0;
    c->func = fe->fn;
    c->thread = tid;
    c->parent = ATR_NO_CALL;
    c->first_child = ATR_NO_CALL;
    c->next_sibling = ATR_NO_CALL;
    c->args = (uint32_t)ix->n_argv;
    c->result = ATR_NO_VALUE;
    c->exc = ATR_NO_VALUE;
    c->n_args = (uint16_t)n;
    c->status = ATR_CALL_UNFINISHED;
    c->flags = 0;
    uint64_t seq = atr_span_seq(rec->u.start.span);
    c->seq = seq < UINT32_MAX ? (uint32_t)seq : UINT32_MAX;
    ix->n_argv += n;
    ix->n_calls++;
    file->info.n_calls++;
    *id_out = id;
    return 0;
}

static int on_start(load_state *st, const atr_record *rec) {
    atr_index *ix = st->ix;
    atr__file *file = &ix->files[st->file];
    uint32_t *li = atr__fn_lookup(st, rec->u.start.function);
    if (!li) { /* the reader checks definitions; be defensive anyway */
        file->info.n_unknown_spans++;
        return 0;
    }
    uint32_t tid, id;
    int rc = atr__thread_of(st, rec->thread, &tid);
    if (rc || (rc = atr__add_call(st, rec, &st->fns[*li], tid, &id)) != 0)
        return rc;
    atr__call *c = &ix->calls[id];
    file = &ix->files[st->file];

    uint64_t parent = rec->u.start.parent;
    if (parent) {
        c->parent = span_call_st(st, parent);
        if (c->parent != ATR_NO_CALL && ix->calls[c->parent].thread != tid)
            ix->calls[c->parent].flags |= ATR__CF_XCHILD;
        if (c->parent == ATR_NO_CALL) {
            if (file->info.parent_uid) {
                if ((rc = add_pending(ix, id, file->info.parent_uid, parent)) != 0)
                    return rc;
            } else {
                file->info.n_unknown_spans++;
            }
        }
    } else if (file->info.parent_uid && file->info.parent_span) {
        if ((rc = add_pending(ix, id, file->info.parent_uid, file->info.parent_span)) != 0)
            return rc;
    }
    rc = span_set(st, &ix->threads[tid], atr_span_seq(rec->u.start.span), id);
    int nested = 0;
    if (rc < 0 || (rc = atr__run_enter(st, tid, id, c->func, &nested)) < 0)
        return rc;
    if (nested) /* (running.c) */
        ix->calls[id].flags |= ATR__CF_NESTED;
    return 0;
}

/*
 * Active time (atr__susp). A call gets an entry when its span first suspends, or when it
 * ends while its parent is away: a parent with an entry that is not running (suspended, or
 * ended). A child's running interval that ends while its parent is away (an asyncio task's
 * step, a generator consumed after its maker returned) is `outside` the parent's active
 * time: it is not subtracted from the parent's self time.
 */
static atr__susp *susp_get(load_state *st, uint32_t id) {
    uint32_t *k = atr__u32map_get(&st->susp_map, id);
    return k ? &st->ix->susp[*k] : NULL;
}

static atr__susp *susp_add(load_state *st, uint32_t id, int running, uint64_t mark) {
    atr_index *ix = st->ix;
    if (atr__grow((void **)&ix->susp, &ix->cap_susp, ix->n_susp + 1, sizeof(atr__susp)) ||
        atr__u32map_put(&st->susp_map, id, (uint32_t)ix->n_susp))
        return NULL;
    atr__susp *e = &ix->susp[ix->n_susp++];
    memset(e, 0, sizeof *e);
    e->call = id;
    e->running = (uint32_t)running;
    e->mark = mark;
    ix->calls[id].flags |= ATR__CF_SUSPENDED;
    return e;
}

/* 1 if the parent of call `id` is away now (see above); `own` the child has an entry. */
static int parent_away(load_state *st, uint32_t id, int own) {
    uint32_t p = st->ix->calls[id].parent;
    if (p == ATR_NO_CALL)
        return 0;
    if (own && st->ix->calls[p].status != ATR_CALL_UNFINISHED)
        return 1;
    if (!(st->ix->calls[p].flags & ATR__CF_SUSPENDED))
        return 0;
    const atr__susp *pe = susp_get(st, p);
    return pe && !pe->running;
}

/* The running interval of entry e ends at t, run beneath call `below` (its thread's running
   call under it): the part outside its parent is below's (atr__adopt). 0 or ATR_ENOMEM. */
static int interval_end(load_state *st, atr__susp *e, uint64_t t, uint32_t below) {
    if (!e->running)
        return 0;
    uint64_t d = t > e->mark ? t - e->mark : 0;
    e->active += d;
    e->running = 0;
    if (!parent_away(st, e->call, 1))
        return 0;
    e->outside += d;
    return atr__adopt_add(st, below, e->call, d);
}

/* The log's thread of rec leaves call id running: the call beneath it (ATR_NO_CALL: none). */
static uint32_t leave(load_state *st, const atr_record *rec, uint32_t id) {
    uint32_t tid;
    return thread_seen(st, rec->thread, &tid) ? atr__run_leave(st, tid, id) : ATR_NO_CALL;
}

/* SUSPEND / RESUME: the span's running intervals. */
static int on_suspend(load_state *st, const atr_record *rec) {
    atr_index *ix = st->ix;
    uint32_t id = span_call_st(st, rec->u.suspend.span);
    if (id == ATR_NO_CALL) {
        ix->files[st->file].info.n_unknown_spans++;
        return 0;
    }
    atr__call *c = &ix->calls[id];
    if (c->status != ATR_CALL_UNFINISHED || id < st->n_calls0)
        return 0; /* after its END: nothing left to charge */
    atr__susp *e = susp_get(st, id);
    if (!e) {
        if (rec->kind == ATR_REC_RESUME)
            return 0; /* never suspended: running since START */
        if (!(e = susp_add(st, id, 1, c->start)))
            return ATR_ENOMEM;
    }
    if (rec->kind == ATR_REC_SUSPEND)
        return interval_end(st, e, rec->time_ns, leave(st, rec, id));
    if (e->running)
        return 0;
    e->mark = rec->time_ns;
    e->running = 1;
    e->resumes++;
    uint32_t tid;
    return thread_seen(st, rec->thread, &tid) ? atr__run_enter(st, tid, id, c->func, NULL) : 0;
}

/* END of call id (its duration set), run beneath `below`: its last running interval, or all
   of it when its parent is away. 0 or ATR_ENOMEM. */
static int end_active(load_state *st, uint32_t id, uint64_t t, uint32_t below) {
    atr__susp *e = (st->ix->calls[id].flags & ATR__CF_SUSPENDED) ? susp_get(st, id) : NULL;
    if (e)
        return interval_end(st, e, t, below);
    const atr__call *c = &st->ix->calls[id];
    uint64_t d = c->dur, out = d;
    if (!parent_away(st, id, 0)) {
        /* a parent over before it ended (a task made by a call that has returned; its parent
           on another thread): what ran after the parent's end is not the parent's */
        const atr__call *p = c->parent != ATR_NO_CALL ? &st->ix->calls[c->parent] : NULL;
        uint64_t p_end = p ? p->start + p->dur : 0;
        if (!p || p->status == ATR_CALL_UNFINISHED || p_end >= t)
            return 0;
        out = t - p_end < d ? t - p_end : d;
    }
    if (!(e = susp_add(st, id, 0, 0)))
        return ATR_ENOMEM;
    e->active = d;
    e->outside = out;
    return atr__adopt_add(st, below, id, out);
}

int atr__susp_close(load_state *st, uint64_t t_last) {
    atr_index *ix = st->ix;
    /* parents' running flags must hold while their children are closed: two passes. The
       intervals outside their parents first, from the threads' stacks (the call beneath). */
    for (uint64_t k = 0; k < st->n_run; k++) {
        const atr__run_stack *sk = &st->run[k];
        for (uint64_t i = 1; i < sk->n; i++) {
            uint32_t id = sk->e[i].call;
            const atr__susp *e =
                (ix->calls[id].flags & ATR__CF_SUSPENDED) ? susp_get(st, id) : NULL;
            int rc = 0;
            if (e && e->running && t_last > e->mark && parent_away(st, id, 1))
                rc = atr__adopt_add(st, sk->e[i - 1].call, id, t_last - e->mark);
            if (rc)
                return rc;
        }
    }
    for (uint64_t i = st->n_susp0; i < ix->n_susp; i++) {
        atr__susp *e = &ix->susp[i];
        if (e->running && t_last > e->mark) {
            uint64_t d = t_last - e->mark;
            e->active += d;
            if (parent_away(st, e->call, 1))
                e->outside += d;
        }
    }
    for (uint64_t i = st->n_susp0; i < ix->n_susp; i++)
        ix->susp[i].running = 0;
    return 0;
}

static int end_call(load_state *st, const atr_record *rec, uint32_t id, uint32_t below);

static int on_end(load_state *st, const atr_record *rec) {
    atr_index *ix = st->ix;
    uint32_t id = span_call_st(st, rec->u.end.span);
    if (id == ATR_NO_CALL || ix->calls[id].status != ATR_CALL_UNFINISHED) {
        ix->files[st->file].info.n_unknown_spans++;
        return 0;
    }
    return end_call(st, rec, id, leave(st, rec, id));
}

int atr__end_call(load_state *st, const atr_record *rec, uint32_t id) {
    return end_call(st, rec, id, ATR_NO_CALL); /* (stream.c: its frames adopt) */
}

static int end_call(load_state *st, const atr_record *rec, uint32_t id, uint32_t below) {
    atr_index *ix = st->ix;
    atr__call *c = &ix->calls[id];
    int rc;
    c->dur = rec->time_ns > c->start ? rec->time_ns - c->start : 0;
    if ((rc = end_active(st, id, rec->time_ns, below)) != 0)
        return rc;
    switch (rec->u.end.status) {
    case ATR_END_RETURN:
        c->status = ATR_CALL_RETURNED;
        return atr__values_intern(&ix->vals, &rec->u.end.value, &c->result);
    case ATR_END_RAISE:
        c->status = ATR_CALL_RAISED;
        rc = atr__values_intern(&ix->vals, &rec->u.end.value, &c->result);
        if (rc == 0)
            rc = atr__values_intern_str(&ix->vals, rec->u.end.exc_type.ptr, rec->u.end.exc_type.len,
                                        &c->exc);
        return rc;
    default:
        c->status = ATR_CALL_NORESULT;
        return 0;
    }
}

static int on_message(load_state *st, const atr_record *rec) {
    return atr__add_message(st, rec, ATR__MSG_BY_SPAN);
}

int atr__add_message(load_state *st, const atr_record *rec, uint32_t call) {
    atr_index *ix = st->ix;
    uint32_t tid, text;
    int rc = atr__thread_of(st, rec->thread, &tid);
    if (rc)
        return rc;
    if (ix->n_msgs >= UINT32_MAX - 1 || ix->n_mfields + 2ull * rec->u.message.n_fields > UINT32_MAX)
        return ATR_ETOOBIG;
    if (atr__grow((void **)&ix->msgs, &ix->cap_msgs, ix->n_msgs + 1, sizeof(atr__msg)) ||
        atr__grow((void **)&ix->mfields, &ix->cap_mfields,
                  ix->n_mfields + 2ull * rec->u.message.n_fields, sizeof(uint32_t)))
        return ATR_ENOMEM;
    if ((rc = atr__values_intern_str(&ix->vals, rec->u.message.text.ptr, rec->u.message.text.len,
                                     &text)) != 0)
        return rc;
    atr__msg *m = &ix->msgs[ix->n_msgs];
    m->time = rec->time_ns;
    m->thread = tid;
    m->text = text;
    m->call = call == ATR__MSG_BY_SPAN ? ATR_NO_CALL : call;
    if (rec->u.message.span && call == ATR__MSG_BY_SPAN) {
        m->call = span_call_st(st, rec->u.message.span);
        if (m->call == ATR_NO_CALL)
            ix->files[st->file].info.n_unknown_spans++;
    }
    m->fields = (uint32_t)ix->n_mfields;
    m->n_fields = rec->u.message.n_fields;
    for (uint32_t i = 0; i < rec->u.message.n_fields; i++) {
        const atr_field *fl = &rec->u.message.fields[i];
        uint32_t *out = ix->mfields + ix->n_mfields + 2u * i;
        if ((rc = atr__values_intern_str(&ix->vals, fl->name.ptr, fl->name.len, &out[0])) ||
            (rc = atr__values_intern(&ix->vals, &fl->value, &out[1])))
            return rc;
    }
    ix->n_mfields += 2ull * rec->u.message.n_fields;
    ix->n_msgs++;
    return 0;
}

static int on_process(load_state *st, const atr_record *rec) {
    atr_index *ix = st->ix;
    atr_file_info *fi = &ix->files[st->file].info;
    const atr_process_info *p = &rec->u.process;
    for (uint32_t f = 0; f < st->file && p->uid; f++) {
        if (ix->files[f].info.uid == p->uid) {
            snprintf(ix->err, sizeof(ix->err), "%s: the same log as %s (process uid %llx)",
                     ix->files[st->file].info.path, ix->files[f].info.path,
                     (unsigned long long)p->uid);
            return ATR_EINVAL;
        }
    }
    fi->format_major = p->format_major;
    fi->format_minor = p->format_minor;
    fi->pid = p->pid;
    fi->clock_ns = p->clock_ns;
    fi->wall_ns = p->wall_ns;
    fi->uid = p->uid;
    fi->parent_uid = p->parent_uid;
    fi->parent_span = p->parent_span;
    if (copy_str(ix, p->host, &fi->host) || copy_str(ix, p->runtime, &fi->runtime) ||
        copy_str(ix, p->tool, &fi->tool))
        return ATR_ENOMEM;
    if (p->argc && p->argv) {
        atr_str *argv = atr__arena_alloc(&ix->arena, (size_t)p->argc * sizeof(atr_str));
        if (!argv)
            return ATR_ENOMEM;
        for (uint32_t i = 0; i < p->argc; i++)
            if (copy_str(ix, p->argv[i], &argv[i]))
                return ATR_ENOMEM;
        fi->argv = argv;
        fi->argc = p->argc;
    }
    return 0;
}

int atr__on_record(load_state *st, const atr_record *rec) {
    atr_index *ix = st->ix;
    atr_file_info *fi = &ix->files[st->file].info;
    st->n_records++;
    if ((rec->kind == ATR_REC_START || rec->kind == ATR_REC_END || rec->kind == ATR_REC_MESSAGE ||
         rec->kind == ATR_REC_SUSPEND || rec->kind == ATR_REC_RESUME ||
         rec->kind == ATR_REC_END_OF_LOG) &&
        rec->time_ns > fi->t_last)
        fi->t_last = rec->time_ns;
    switch (rec->kind) {
    case ATR_REC_PROCESS:
        return on_process(st, rec);
    case ATR_REC_FUNCTION:
        return on_function(st, rec);
    case ATR_REC_THREAD: {
        uint32_t tid;
        int rc = atr__thread_of(st, rec->thread, &tid);
        if (rc)
            return rc;
        ix->threads[tid].os_tid = rec->u.thread.os_tid;
        return copy_str(ix, rec->u.thread.name, &ix->threads[tid].name);
    }
    case ATR_REC_START:
        return on_start(st, rec);
    case ATR_REC_END:
        return on_end(st, rec);
    case ATR_REC_MESSAGE:
        return on_message(st, rec);
    case ATR_REC_SUSPEND:
    case ATR_REC_RESUME:
        return on_suspend(st, rec);
    case ATR_REC_SYNC: {
        uint32_t tid;
        int rc = atr__thread_of(st, rec->thread, &tid);
        if (rc)
            return rc;
        if (ix->threads[tid].n_seq == 0) /* no span yet: spans count on from here */
            ix->threads[tid].seq_base = rec->u.sync.last_seq;
        if (rec->u.sync.dropped)
            fi->flags |= ATR_FILE_DROPS;
        return 0;
    }
    case ATR_REC_SAMPLING:
        fi->flags |= ATR_FILE_SAMPLED;
        fi->sample_rate = rec->u.sampling.rate;
        return copy_str(ix, rec->u.sampling.mode, &fi->sample_mode);
    case ATR_REC_RECORDING: {
        atr__file *f = &ix->files[st->file];
        if (!rec->u.recording.on && !f->paused) {
            f->paused = 1;
            f->pause_start = rec->time_ns;
            fi->n_pauses++;
            fi->flags |= ATR_FILE_PAUSED;
        } else if (rec->u.recording.on && f->paused) {
            f->paused = 0;
            fi->paused_ns += rec->time_ns > f->pause_start ? rec->time_ns - f->pause_start : 0;
        }
        return 0;
    }
    case ATR_REC_DROPS:
        fi->flags |= ATR_FILE_DROPS_SEEN;
        fi->drops_records = rec->u.drops.records;
        fi->drops_bytes = rec->u.drops.bytes;
        fi->drops_oversize = rec->u.drops.oversize;
        fi->drops_capture_errors = rec->u.drops.capture_errors;
        fi->drops_write_errors = rec->u.drops.write_errors;
        if (rec->u.drops.records || rec->u.drops.oversize || rec->u.drops.write_errors)
            fi->flags |= ATR_FILE_DROPS;
        return 0;
    case ATR_REC_CALIBRATION: { /* a filter backend's (most calls) over the decorator's */
        static const atr_str deco = {"decorator", 9};
        if (fi->calib_mechanism.len && !str_eq(fi->calib_mechanism, deco) &&
            str_eq(rec->u.calibration.mechanism, deco))
            return 0;
        fi->calib_call_ns = rec->u.calibration.call_ns;
        fi->calib_inner_ns = rec->u.calibration.inner_ns;
        fi->calib_base_ns = rec->u.calibration.base_ns;
        fi->calib_scalar_ns = rec->u.calibration.scalar_ns;
        fi->calib_str_ns = rec->u.calibration.str_ns;
        fi->calib_summary_ns = rec->u.calibration.summary_ns;
        fi->calib_gen_ns = rec->u.calibration.gen_ns;
        fi->calib_resume_ns = rec->u.calibration.resume_ns;
        fi->calib_raise_ns = rec->u.calibration.raise_ns;
        fi->calib_slow_ppm = rec->u.calibration.slow_ppm;
        fi->calib_container_ns = rec->u.calibration.container_ns;
        fi->calib_long_str_ns = rec->u.calibration.long_str_ns;
        return copy_str(ix, rec->u.calibration.mechanism, &fi->calib_mechanism);
    }
    default:
        return 0;
    }
}
