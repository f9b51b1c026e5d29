/*
 * Loading logs into the index: one pass over the reader's records per log.
 *
 * Each START appends a compact call (64 bytes) and a run of argument value ids; END fills in
 * its duration and outcome. Spans are found through a per-thread array indexed by the span's
 * sequence number (span ids are dense per thread, docs/FORMAT.md 3.5); the array's size is
 * bounded by the records read, so a hostile sequence number cannot make it huge. Parents in
 * other logs (forked children) are resolved once both logs are loaded. After a log, the
 * derived tables (child lists, per-function call lists) are rebuilt (derive.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

/* Per-log state that only lives during a load. */
typedef struct fnmap_ent {
    uint32_t fn;      /* global function */
    uint32_t n;       /* local params */
    uint32_t *params; /* local param i -> global param index */
} fnmap_ent;

typedef struct load_state {
    atr_index *ix;
    uint32_t file;
    atr__u32map fnmap; /* local function id -> index in fns */
    fnmap_ent *fns;
    uint64_t n_fns, cap_fns;
    uint64_t n_records;
    uint32_t *argbuf;
    uint64_t cap_argbuf;
    /* rollback marks */
    uint64_t n_calls0, n_argv0, n_msgs0, n_mfields0, n_pending0;
    uint32_t n_funcs0, n_threads0;
} load_state;

/* ---- functions ---- */

static uint64_t func_hash(atr_str m, atr_str q, atr_str f) {
    uint64_t h = atr__hash_bytes(m.ptr, m.len, 1);
    h = atr__hash_bytes(q.ptr, q.len, h);
    return atr__hash_bytes(f.ptr, f.len, h);
}

static int str_eq(atr_str a, atr_str b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static int fslots_rebuild(atr_index *ix, uint32_t nslots) {
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
            if (fslots_rebuild(ix, ix->fslots ? (ix->fmask + 1) * 2 : 64))
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
        if (rc) {
            free(e.params);
            return rc;
        }
        if (f->n_declared < e.params[i] + 1 && e.params[i] == f->n_declared)
            f->n_declared = e.params[i] + 1;
    }
    uint32_t *old = atr__u32map_get(&st->fnmap, rec->u.function.id);
    if (old) { /* redefinition of a local id: the later one wins */
        free(st->fns[*old].params);
        st->fns[*old] = e;
        return 0;
    }
    if (atr__grow((void **)&st->fns, &st->cap_fns, st->n_fns + 1, sizeof(fnmap_ent)) ||
        atr__u32map_put(&st->fnmap, rec->u.function.id, (uint32_t)st->n_fns)) {
        free(e.params);
        return ATR_ENOMEM;
    }
    st->fns[st->n_fns++] = e;
    return 0;
}

/* ---- threads and spans ---- */

static int thread_of(load_state *st, uint32_t number, uint32_t *out) {
    atr_index *ix = st->ix;
    atr__file *file = &ix->files[st->file];
    uint32_t *t = atr__u32map_get(&file->thread_map, number);
    if (t) {
        *out = *t;
        return 0;
    }
    uint64_t cap = ix->cap_threads;
    if (atr__grow((void **)&ix->threads, &cap, (uint64_t)ix->n_threads + 1,
                  sizeof(atr__thread)))
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

/* The call of span `span` in file `file`, or ATR_NO_CALL. */
static uint32_t span_call(const atr_index *ix, uint32_t file, uint64_t span) {
    if (span < (UINT64_C(1) << ATR_SPAN_SEQ_BITS))
        return ATR_NO_CALL;
    uint32_t *t = atr__u32map_get(&ix->files[file].thread_map, atr_span_thread(span));
    if (!t)
        return ATR_NO_CALL;
    const atr__thread *th = &ix->threads[*t];
    uint64_t seq = atr_span_seq(span);
    return seq < th->n_seq ? th->seq2call[seq] : ATR_NO_CALL;
}

static int span_set(load_state *st, atr__thread *th, uint64_t seq, uint32_t call) {
    if (seq >= th->n_seq) {
        /* Bound by what was read so far: seq numbers are dense unless records were lost. */
        if (seq > 4 * st->n_records + 65536)
            return 1;
        uint64_t nn = th->n_seq ? th->n_seq : 64;
        while (nn <= seq)
            nn *= 2;
        uint32_t *p = realloc(th->seq2call, (size_t)nn * sizeof(uint32_t));
        if (!p)
            return ATR_ENOMEM;
        memset(p + th->n_seq, 0xff, (size_t)(nn - th->n_seq) * sizeof(uint32_t));
        th->seq2call = p;
        th->n_seq = nn;
    }
    th->seq2call[seq] = call;
    return 0;
}

static int add_pending(atr_index *ix, uint32_t call, uint64_t uid, uint64_t span) {
    if (atr__grow((void **)&ix->pending, &ix->cap_pending, ix->n_pending + 1,
                  sizeof(atr__pending)))
        return ATR_ENOMEM;
    ix->pending[ix->n_pending++] = (atr__pending){call, uid, span};
    return 0;
}

/* ---- records ---- */

static int on_start(load_state *st, const atr_record *rec) {
    atr_index *ix = st->ix;
    atr__file *file = &ix->files[st->file];
    uint32_t *li = atr__u32map_get(&st->fnmap, rec->u.start.function);
    if (!li) { /* the reader checks definitions; be defensive anyway */
        file->info.n_unknown_spans++;
        return 0;
    }
    const fnmap_ent *fe = &st->fns[*li];
    atr__func *f = &ix->funcs[fe->fn];
    uint32_t tid;
    int rc = thread_of(st, rec->thread, &tid);
    if (rc)
        return rc;
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
        if (atr__grow((void **)&st->argbuf, &st->cap_argbuf, (uint64_t)g + 1,
                      sizeof(uint32_t)))
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
    memcpy(ix->argv + ix->n_argv, st->argbuf, (size_t)n * sizeof(uint32_t));

    atr__call *c = &ix->calls[id];
    c->start = rec->time_ns;
    c->dur = 0;
    c->self = 0;
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
    ix->n_argv += n;
    ix->n_calls++;
    file->info.n_calls++;

    uint64_t parent = rec->u.start.parent;
    if (parent) {
        c->parent = span_call(ix, st->file, parent);
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
    return rc < 0 ? rc : 0;
}

static int on_end(load_state *st, const atr_record *rec) {
    atr_index *ix = st->ix;
    uint32_t id = span_call(ix, st->file, rec->u.end.span);
    if (id == ATR_NO_CALL || ix->calls[id].status != ATR_CALL_UNFINISHED) {
        ix->files[st->file].info.n_unknown_spans++;
        return 0;
    }
    atr__call *c = &ix->calls[id];
    int rc;
    c->dur = rec->time_ns > c->start ? rec->time_ns - c->start : 0;
    switch (rec->u.end.status) {
    case ATR_END_RETURN:
        c->status = ATR_CALL_RETURNED;
        return atr__values_intern(&ix->vals, &rec->u.end.value, &c->result);
    case ATR_END_RAISE:
        c->status = ATR_CALL_RAISED;
        rc = atr__values_intern(&ix->vals, &rec->u.end.value, &c->result);
        if (rc == 0)
            rc = atr__values_intern_str(&ix->vals, rec->u.end.exc_type.ptr,
                                        rec->u.end.exc_type.len, &c->exc);
        return rc;
    default:
        c->status = ATR_CALL_NORESULT;
        return 0;
    }
}

static int on_message(load_state *st, const atr_record *rec) {
    atr_index *ix = st->ix;
    uint32_t tid, text;
    int rc = thread_of(st, rec->thread, &tid);
    if (rc)
        return rc;
    if (ix->n_msgs >= UINT32_MAX - 1 || ix->n_mfields + 2ull * rec->u.message.n_fields > UINT32_MAX)
        return ATR_ETOOBIG;
    if (atr__grow((void **)&ix->msgs, &ix->cap_msgs, ix->n_msgs + 1, sizeof(atr__msg)) ||
        atr__grow((void **)&ix->mfields, &ix->cap_mfields,
                  ix->n_mfields + 2ull * rec->u.message.n_fields, sizeof(uint32_t)))
        return ATR_ENOMEM;
    if ((rc = atr__values_intern_str(&ix->vals, rec->u.message.text.ptr,
                                     rec->u.message.text.len, &text)) != 0)
        return rc;
    atr__msg *m = &ix->msgs[ix->n_msgs];
    m->time = rec->time_ns;
    m->thread = tid;
    m->text = text;
    m->call = ATR_NO_CALL;
    if (rec->u.message.span) {
        m->call = span_call(ix, st->file, rec->u.message.span);
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

static int on_record(load_state *st, const atr_record *rec) {
    atr_index *ix = st->ix;
    atr_file_info *fi = &ix->files[st->file].info;
    st->n_records++;
    if ((rec->kind == ATR_REC_START || rec->kind == ATR_REC_END ||
         rec->kind == ATR_REC_MESSAGE || rec->kind == ATR_REC_END_OF_LOG) &&
        rec->time_ns > fi->t_last)
        fi->t_last = rec->time_ns;
    switch (rec->kind) {
    case ATR_REC_PROCESS:
        return on_process(st, rec);
    case ATR_REC_FUNCTION:
        return on_function(st, rec);
    case ATR_REC_THREAD: {
        uint32_t tid;
        int rc = thread_of(st, rec->thread, &tid);
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
    case ATR_REC_SYNC:
        if (rec->u.sync.dropped)
            fi->flags |= ATR_FILE_DROPS;
        return 0;
    case ATR_REC_DROPS:
        fi->drops_records = rec->u.drops.records;
        fi->drops_bytes = rec->u.drops.bytes;
        fi->drops_oversize = rec->u.drops.oversize;
        fi->drops_capture_errors = rec->u.drops.capture_errors;
        fi->drops_write_errors = rec->u.drops.write_errors;
        if (rec->u.drops.records || rec->u.drops.oversize || rec->u.drops.write_errors)
            fi->flags |= ATR_FILE_DROPS;
        return 0;
    default:
        return 0;
    }
}

/* ---- after a log ---- */

/* Durations of unfinished calls, self times (children of the same process). */
static void finish_file(atr_index *ix, uint32_t file) {
    atr__file *f = &ix->files[file];
    uint64_t a = f->first_call, b = a + f->info.n_calls;
    for (uint64_t i = a; i < b; i++) {
        atr__call *c = &ix->calls[i];
        if (c->status == ATR_CALL_UNFINISHED) {
            c->dur = f->info.t_last > c->start ? f->info.t_last - c->start : 0;
            ix->n_unfinished++;
        }
        c->self = 0;
    }
    for (uint64_t i = a; i < b; i++) {
        const atr__call *c = &ix->calls[i];
        if (c->parent != ATR_NO_CALL && c->parent >= a && c->parent < b) {
            uint64_t *s = &ix->calls[c->parent].self;
            *s = *s + c->dur < *s ? UINT64_MAX : *s + c->dur;
        }
    }
    for (uint64_t i = a; i < b; i++) {
        atr__call *c = &ix->calls[i];
        c->self = c->dur > c->self ? c->dur - c->self : 0;
        if (c->start < ix->t_min || ix->t_min == 0)
            ix->t_min = c->start;
    }
    if (f->info.t_last > ix->t_max)
        ix->t_max = f->info.t_last;
    if (f->info.n_unknown_spans)
        f->info.flags |= ATR_FILE_UNKNOWN_SPANS;
}

/* Link calls whose parent span lives in another log, once that log is loaded. */
static void resolve_pending(atr_index *ix) {
    uint64_t keep = 0;
    for (uint64_t i = 0; i < ix->n_pending; i++) {
        atr__pending p = ix->pending[i];
        uint32_t target = ATR_NO_CALL;
        for (uint32_t f = 0; f < ix->n_files; f++) {
            if (ix->files[f].info.uid == p.uid) {
                target = span_call(ix, f, p.span);
                break;
            }
        }
        if (target != ATR_NO_CALL)
            ix->calls[p.call].parent = target;
        else
            ix->pending[keep++] = p;
    }
    ix->n_pending = keep;
    for (uint32_t f = 0; f < ix->n_files; f++) {
        atr_file_info *fi = &ix->files[f].info;
        fi->parent_file = ATR_NO_FILE;
        fi->parent_call = ATR_NO_CALL;
        if (!fi->parent_uid)
            continue;
        for (uint32_t g = 0; g < ix->n_files; g++) {
            if (ix->files[g].info.uid == fi->parent_uid && g != f) {
                fi->parent_file = g;
                if (fi->parent_span)
                    fi->parent_call = span_call(ix, g, fi->parent_span);
                break;
            }
        }
    }
}

static void rollback(load_state *st) {
    atr_index *ix = st->ix;
    for (uint32_t t = st->n_threads0; t < ix->n_threads; t++)
        free(ix->threads[t].seq2call);
    ix->n_threads = st->n_threads0;
    ix->n_calls = st->n_calls0;
    ix->n_argv = st->n_argv0;
    ix->n_msgs = st->n_msgs0;
    ix->n_mfields = st->n_mfields0;
    ix->n_pending = st->n_pending0;
    if (ix->n_funcs != st->n_funcs0) {
        for (uint32_t i = st->n_funcs0; i < ix->n_funcs; i++)
            free(ix->funcs[i].params);
        ix->n_funcs = st->n_funcs0;
        fslots_rebuild(ix, ix->fmask + 1); /* same size: cannot need more memory... */
    }
    atr__u32map_free(&ix->files[st->file].thread_map);
    ix->n_files = st->file;
}

static int load(atr_index *ix, atr_reader *r, const char *name) {
    load_state st;
    memset(&st, 0, sizeof(st));
    st.ix = ix;
    st.n_calls0 = ix->n_calls;
    st.n_argv0 = ix->n_argv;
    st.n_msgs0 = ix->n_msgs;
    st.n_mfields0 = ix->n_mfields;
    st.n_pending0 = ix->n_pending;
    st.n_funcs0 = ix->n_funcs;
    st.n_threads0 = ix->n_threads;
    ix->err[0] = '\0';
    uint64_t cap = ix->cap_files;
    int rc = atr__grow((void **)&ix->files, &cap, (uint64_t)ix->n_files + 1, sizeof(atr__file));
    if (rc)
        goto nomem;
    ix->cap_files = (uint32_t)cap;
    st.file = ix->n_files++;
    atr__file *file = &ix->files[st.file];
    memset(file, 0, sizeof(*file));
    file->first_call = (uint32_t)ix->n_calls;
    file->first_thread = ix->n_threads;
    file->info.path = atr__arena_strdup(&ix->arena, name, strlen(name));
    file->info.parent_file = ATR_NO_FILE;
    file->info.parent_call = ATR_NO_CALL;
    if (!file->info.path) {
        rc = ATR_ENOMEM;
        goto fail;
    }
    atr_record rec;
    uint64_t done, total, next_report = 0;
    for (;;) {
        rc = atr_reader_next(r, &rec);
        if (rc)
            break;
        if ((rc = on_record(&st, &rec)) != 0)
            break;
        if (ix->progress && (st.n_records & 4095) == 0) {
            atr_reader_progress(r, &done, &total);
            if (done >= next_report) {
                ix->progress(ix->progress_ctx, done, total);
                next_report = done + (256u << 10);
            }
        }
    }
    file = &ix->files[st.file];
    if (rc == ATR_ETRUNCATED) {
        file->info.flags |= ATR_FILE_TRUNCATED;
        rc = ATR_EOF;
    }
    if (rc != ATR_EOF)
        goto fail;
    if (!atr_reader_closed_cleanly(r))
        file->info.flags |= ATR_FILE_UNCLOSED;
    finish_file(ix, st.file);
    resolve_pending(ix);
    if ((rc = atr__index_derive(ix)) != 0)
        goto fail;
    if (ix->progress) {
        atr_reader_progress(r, &done, &total);
        ix->progress(ix->progress_ctx, total, total);
    }
    rc = 0;
    goto out;
nomem:
    snprintf(ix->err, sizeof(ix->err), "%s: %s", name, atr_strerror(rc));
    goto out;
fail:
    if (rc == ATR_ECORRUPT || rc == ATR_ETOOBIG || rc == ATR_EIO)
        snprintf(ix->err, sizeof(ix->err), "%s: %s", name, atr_reader_error(r));
    if (!ix->err[0] || rc == ATR_ENOMEM)
        snprintf(ix->err, sizeof(ix->err), "%s: %s", name, atr_strerror(rc));
    rollback(&st);
    atr__index_derive(ix);
out:
    for (uint64_t i = 0; i < st.n_fns; i++)
        free(st.fns[i].params);
    free(st.fns);
    atr__u32map_free(&st.fnmap);
    free(st.argbuf);
    return rc;
}

/* ---- public ---- */

int atr_index_open(atr_index **out) {
    if (!out)
        return ATR_EINVAL;
    atr_index *ix = calloc(1, sizeof(*ix));
    if (!ix)
        return ATR_ENOMEM;
    *out = ix;
    return 0;
}

void atr_index_free(atr_index *ix) {
    if (!ix)
        return;
    for (uint32_t i = 0; i < ix->n_funcs; i++)
        free(ix->funcs[i].params);
    for (uint32_t i = 0; i < ix->n_threads; i++)
        free(ix->threads[i].seq2call);
    for (uint32_t i = 0; i < ix->n_files; i++)
        atr__u32map_free(&ix->files[i].thread_map);
    free(ix->calls);
    free(ix->argv);
    atr__values_free(&ix->vals);
    free(ix->funcs);
    free(ix->fslots);
    free(ix->threads);
    free(ix->files);
    free(ix->msgs);
    free(ix->mfields);
    free(ix->pending);
    free(ix->fn_off);
    free(ix->fn_calls);
    free(ix->msg_off);
    free(ix->msg_ids);
    atr__arena_free(&ix->arena);
    free(ix);
}

void atr_index_set_progress(atr_index *ix, atr_progress_fn fn, void *ctx) {
    ix->progress = fn;
    ix->progress_ctx = ctx;
}

static int open_failed(atr_index *ix, const char *name, int rc) {
    if (rc == ATR_EOPEN)
        snprintf(ix->err, sizeof(ix->err), "%s: cannot open: %s", name, strerror(errno));
    else
        snprintf(ix->err, sizeof(ix->err), "%s: %s", name, atr_strerror(rc));
    return rc;
}

int atr_index_load(atr_index *ix, const char *path) {
    if (!ix || !path)
        return ATR_EINVAL;
    atr_reader *r = NULL;
    int rc = atr_reader_open(path, &r);
    if (rc)
        return open_failed(ix, path, rc);
    rc = load(ix, r, path);
    atr_reader_close(r);
    return rc;
}

int atr_index_load_mem(atr_index *ix, const void *data, size_t len, const char *name) {
    if (!ix || (!data && len))
        return ATR_EINVAL;
    if (!name)
        name = "(memory)";
    atr_reader *r = NULL;
    int rc = atr_reader_open_mem(data, len, &r);
    if (rc)
        return open_failed(ix, name, rc);
    rc = load(ix, r, name);
    atr_reader_close(r);
    return rc;
}

const char *atr_index_error(const atr_index *ix) { return ix ? ix->err : ""; }
