/*
 * Statistics-only loads (atr_index_set_stats_only): atr_stats_all of logs too large for the
 * call table, in about 4 bytes per call. Each thread keeps a stack of its running calls (start,
 * what its children were charged so far); an END pops its call, whose duration, active and
 * self times and status go to its function's counters, and its active time to the function's
 * list of times (chunks of 64K 32-bit values, longer ones aside, for the exact percentiles,
 * computed once when asked). Call ids are counted as
 * the full index numbers them (START order over the logs in load order), so slowest_call is
 * the same call.
 *
 * The stack only holds for calls that nest on their thread, and generators and coroutines
 * (SUSPEND / RESUME) on one thread: a span that suspends leaves the stack for the thread's set
 * of suspended frames, with its running intervals so far (stats.c's active time), and goes
 * back on top when it resumes. Each call is charged to its parent (the call tree's, not the
 * stack's: a generator made in one function and resumed in another still charges the first),
 * its active time less what ran while the parent was away (suspended, or ended: `outside` in
 * records.c); a parent that ends while a child is suspended is charged what the child ran so
 * far; what ran while the parent was away is the frame's beneath it (records.c's atr__adopt).
 * Percentiles and self times count active times, as the full index's. Recursion is the
 * stack's, as the full index's (running.c): a call is nested when a frame of its function
 * runs on its thread as it starts. A call that ran entirely while its parent was suspended
 * charges it nothing (records.c: all of it outside). Suspended frames are found by span
 * through a map (thousands of tasks wait at once).
 *
 * Anything else makes the load stop with ATR_ESTATE and the caller load the log into a full
 * index: a parent on another thread or in another process (a forked child), a parent that ended
 * while its child ran, a SUSPEND or END of a span that is not on top, a RESUME of one that is
 * not open, a reference to an unknown function, a MESSAGE naming a span that is not running on
 * its thread, a selective load's suspensions and starts elsewhere than on top of their parent,
 * and compensation of a log with CALIBRATION. The results are then those of stats.c on the
 * full index, call for call.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/load.h"
#include "argtrace/atr_frames.h"
#include "reader/want.h"

#define CHUNK (1u << 16) /* durations per chunk */

/* Durations in chunks of CHUNK 32-bit values (4 s and more: UINT32_MAX there, the value in
   `big`, in the same order). */
typedef struct dlist {
    uint32_t **chunks;
    uint64_t n; /* durations */
    uint64_t cap_chunks;
    uint64_t *big;
    uint64_t n_big, cap_big;
} dlist;

typedef struct sfunc {
    atr_stats st; /* counters; percentiles filled by atr__stream_stats */
    uint64_t max_unf;
    uint32_t slow_unf; /* slowest unfinished call (used when none finished) */
    dlist fin, unf;
} sfunc;

#include "analysis/stream_tree.h"

struct atr__stream {
    sfunc *fns;
    uint64_t cap_fns;
    sstack *th; /* by global thread id */
    uint64_t cap_th;
    uint64_t n_calls; /* call ids given so far */
    uint64_t bytes;   /* durations held */
    int done;         /* statistics computed (durations freed) */
    int broken;       /* a load failed half-way: no statistics */
    /* Selective loads (atr_index_set_keep_function, _subtree): the calls of functions matching
       `keep_name` and of the subtree go to the call table, their numbers in the file to
       `numbers` (ascending per file). */
    int keep;         /* selective (0: statistics only) */
    char *keep_name;  /* owned; NULL: no function kept by name */
    uint8_t *keep_fn; /* per global function: 0 not decided yet, 1 kept, 2 not */
    uint64_t cap_keep_fn;
    uint32_t *numbers; /* per kept call: its number in its file (atr_call_id_format) */
    uint64_t cap_numbers;
    uint64_t file_base; /* n_calls when the current file's load began */
    int keep_sub;       /* keep the subtree of call number sub_number of file sub_file */
    uint32_t sub_file;
    uint64_t sub_number;
    /* atr_index_set_subtree_frames: only the frames that can hold the subtree are read; the
       records of other threads and of the call's thread outside it only count their STARTs */
    int part;
    int part_state; /* 0: before the call's START, 1: inside it, 2: after its END */
    atr_subtree_frames hint;
    uint32_t *part_threads; /* owned copy of hint.threads */
    uint32_t part_thread;   /* the call's thread number in the log */
};

/* ---- public switch ---- */

void atr_index_set_stats_only(atr_index *ix, int on) {
    if (!ix || (on != 0) == (ix->stream != NULL) || ix->n_files)
        return; /* only on an empty index */
    ix->stream = on ? calloc(1, sizeof(*ix->stream)) : NULL;
}

int atr_index_stats_only(const atr_index *ix) { return ix && ix->stream && !ix->stream->keep; }

/* A new selective stream on the empty index ix: 0, ATR_EINVAL, ATR_ENOMEM. */
static int selective(atr_index *ix) {
    if (ix->stream && ix->stream->keep)
        return 0;
    if (ix->stream || ix->n_files)
        return ATR_EINVAL;
    struct atr__stream *s = calloc(1, sizeof(*s));
    if (!s)
        return ATR_ENOMEM;
    s->keep = 1;
    ix->stream = s;
    return 0;
}

int atr_index_set_keep_function(atr_index *ix, const char *name) {
    if (!ix || !name || !*name || (ix->stream && ix->stream->keep_name) || ix->n_files)
        return ATR_EINVAL;
    int rc = selective(ix);
    if (rc)
        return rc;
    if (!(ix->stream->keep_name = strdup(name)))
        return ATR_ENOMEM;
    return 0;
}

int atr_index_set_keep_subtree(atr_index *ix, uint32_t file, uint64_t number) {
    if (!ix || (ix->stream && ix->stream->keep_sub) || ix->n_files)
        return ATR_EINVAL;
    int rc = selective(ix);
    if (rc)
        return rc;
    ix->stream->keep_sub = 1;
    ix->stream->sub_file = file;
    ix->stream->sub_number = number;
    return 0;
}

int atr_index_set_subtree_frames(atr_index *ix, const atr_subtree_frames *h) {
    if (!ix || !h || !ix->stream || !ix->stream->keep_sub || ix->stream->part || ix->n_files ||
        (h->n_threads && !h->threads) || h->span < ((uint64_t)1 << 40))
        return ATR_EINVAL;
    struct atr__stream *s = ix->stream;
    s->part_threads = malloc((h->n_threads ? h->n_threads : 1) * sizeof(uint32_t));
    if (!s->part_threads)
        return ATR_ENOMEM;
    if (h->n_threads)
        memcpy(s->part_threads, h->threads, h->n_threads * sizeof(uint32_t));
    s->hint = *h;
    s->hint.threads = s->part_threads;
    s->part_thread = (uint32_t)((h->span >> 40) - 1);
    s->part = 1;
    return 0;
}

/* The STARTs of frame i of fx (their sequence numbers run on without gaps on each thread:
   a SYNC's gap makes the call's number disagree, which the load checks). */
static uint64_t frame_starts(const atr_frame_index *fx, uint32_t i) {
    atr_frame_info fi;
    uint64_t n = 0, lo, hi;
    if (atr_frame_index_get(fx, i, &fi) < 0)
        return 0;
    for (uint32_t k = 0; k < fi.n_threads; k++)
        if (atr_frame_index_thread(fx, i, k, NULL, &lo, &hi) == 0 && hi >= lo && lo)
            n += hi - lo + 1;
    return n;
}

/* Choose the frames to read (atr_index_set_subtree_frames); fx is r's index. */
static int select_frames(load_state *st, atr_reader *r, const atr_frame_index *fx) {
    struct atr__stream *s = st->ix->stream;
    uint32_t n = atr_frame_index_count(fx), first = UINT32_MAX, last = 0;
    atr_frame_query q = {s->hint.start_ns, s->hint.end_ns, 1, s->part_thread, 0, 0};
    if (!atr_frame_index_selectable(fx) || !s->hint.end_ns)
        return ATR_ESTATE;
    for (uint32_t i = 0; i < n; i++)
        if (atr_frame_index_matches(fx, i, &q)) {
            first = first == UINT32_MAX ? i : first;
            last = i;
        }
    if (first == UINT32_MAX)
        return ATR_ESTATE;
    uint8_t *want = calloc(n, 1);
    if (!want)
        return ATR_ENOMEM;
    uint64_t base = 0;
    for (uint32_t i = 0; i < first; i++)
        base += frame_starts(fx, i);
    for (uint32_t i = first; i <= last; i++)
        want[i] = 1; /* every START between counts for the numbers */
    int rc = atr_reader_select_frames(r, fx, want);
    free(want);
    if (rc)
        return rc == ATR_EINVAL ? ATR_ESTATE : rc;
    s->n_calls = s->file_base + base;
    return 0;
}

int atr__stream_select(load_state *st, atr_reader *r, uint32_t n_parts) {
    struct atr__stream *s = st->ix->stream;
    if (!s || !s->part)
        return 0;
    if (n_parts != 1 || st->file != s->sub_file)
        return ATR_ESTATE;
    atr_frame_index *fx = NULL;
    int rc = atr_frame_index_load_footer(r, &fx);
    if (rc == 0)
        rc = select_frames(st, r, fx);
    atr_frame_index_free(fx);
    if (rc)
        return rc == ATR_ENOMEM ? rc : ATR_ESTATE;
    uint32_t tid; /* thread ids in the order the whole read meets the threads */
    for (uint32_t i = 0; i < s->hint.n_threads; i++)
        if ((rc = atr__thread_of(st, s->part_threads[i], &tid)) != 0)
            return rc;
    st->ix->t_min = s->hint.t_min;
    return 0;
}

/* The decoder's atr__want_fn of a load by name: the values of the functions it keeps. */
static int want_kept(void *ud, const atr_record *function) {
    const struct atr__stream *s = ud;
    atr__func f;
    memset(&f, 0, sizeof(f));
    f.module = function->u.function.module;
    f.qualname = function->u.function.qualname;
    return atr__func_name_match(&f, s->keep_name, strlen(s->keep_name)) != 0;
}

int atr__stream_want(atr_index *ix, atr_reader *r) {
    struct atr__stream *s = ix->stream;
    /* Statistics-only loads decode every value: a log the full load rejects (a damaged
       value) they reject too. A subtree's calls are of any function. */
    if (s->keep && s->keep_name && !s->keep_sub)
        return atr__reader_set_want(r, want_kept, s);
    return 0;
}

int atr__stream_stats_only(const atr_index *ix) { return ix->stream && !ix->stream->keep; }

void atr__stream_begin(atr_index *ix) { ix->stream->file_base = ix->stream->n_calls; }

uint32_t atr__stream_number(const atr_index *ix, uint32_t call) {
    return ix->stream->numbers[call];
}

uint32_t atr__stream_find(const atr_index *ix, uint32_t file, uint64_t number) {
    const atr__file *f = &ix->files[file];
    const uint32_t *num = ix->stream->numbers;
    uint64_t lo = f->first_call, hi = lo + f->info.n_calls;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (num[mid] < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->first_call + f->info.n_calls && num[lo] == number ? (uint32_t)lo : ATR_NO_CALL;
}

static void dlist_free(dlist *d) {
    for (uint64_t i = 0; d->chunks && i * CHUNK < d->n; i++)
        free(d->chunks[i]);
    free(d->chunks);
    free(d->big);
    memset(d, 0, sizeof(*d));
}

void atr__stream_free(struct atr__stream *s) {
    if (!s)
        return;
    for (uint64_t i = 0; i < s->cap_fns; i++) {
        dlist_free(&s->fns[i].fin);
        dlist_free(&s->fns[i].unf);
    }
    for (uint64_t i = 0; i < s->cap_th; i++) {
        sstack *sk = &s->th[i];
        free(sk->f);
        free(sk->susp);
        atr__u32map_free(&sk->susp_at);
    }
    free(s->fns);
    free(s->th);
    free(s->keep_name);
    free(s->keep_fn);
    free(s->numbers);
    free(s->part_threads);
    free(s);
}

void atr__stream_break(struct atr__stream *s) { s->broken = 1; }

/* ---- durations ---- */

static int dlist_push(const atr_index *ix, dlist *d, uint64_t v) {
    uint64_t k = d->n / CHUNK;
    if (d->n % CHUNK == 0) {
        struct atr__stream *s = ix->stream;
        s->bytes += CHUNK * sizeof(uint32_t);
        if (ix->max_memory && s->bytes > ix->max_memory) {
            atr__budget_hit = 1;
            return ATR_ETOOBIG;
        }
        if (atr__grow((void **)&d->chunks, &d->cap_chunks, k + 1, sizeof(uint32_t *)))
            return ATR_ENOMEM;
        if (!(d->chunks[k] = malloc(CHUNK * sizeof(uint32_t))))
            return ATR_ENOMEM;
    }
    if (v >= UINT32_MAX) {
        if (atr__grow((void **)&d->big, &d->cap_big, d->n_big + 1, sizeof(uint64_t)))
            return ATR_ENOMEM;
        d->big[d->n_big++] = v;
    }
    d->chunks[k][d->n % CHUNK] = v < UINT32_MAX ? (uint32_t)v : UINT32_MAX;
    d->n++;
    return 0;
}

/* The durations of d in one array (chunks freed as they are copied); NULL if out of memory. */
static uint64_t *dlist_flat(dlist *d) {
    uint64_t *a = malloc((size_t)(d->n ? d->n : 1) * sizeof(uint64_t));
    if (!a)
        return NULL;
    uint64_t b = 0;
    for (uint64_t i = 0; i * CHUNK < d->n; i++) {
        uint64_t m = d->n - i * CHUNK < CHUNK ? d->n - i * CHUNK : CHUNK;
        for (uint64_t j = 0; j < m; j++) {
            uint32_t v = d->chunks[i][j];
            a[i * CHUNK + j] = v < UINT32_MAX || b >= d->n_big ? v : d->big[b++];
        }
        free(d->chunks[i]);
        d->chunks[i] = NULL;
    }
    free(d->chunks);
    d->chunks = NULL;
    d->cap_chunks = 0;
    return a;
}

/* ---- records ---- */

static sfunc *func_of(atr_index *ix, uint32_t fn) {
    struct atr__stream *s = ix->stream;
    if (fn >= s->cap_fns) {
        uint64_t old = s->cap_fns;
        if (atr__grow((void **)&s->fns, &s->cap_fns, (uint64_t)fn + 1, sizeof(sfunc)))
            return NULL;
        memset(s->fns + old, 0, (size_t)(s->cap_fns - old) * sizeof(sfunc));
        for (uint64_t i = old; i < s->cap_fns; i++) {
            s->fns[i].st.slowest_call = ATR_NO_CALL;
            s->fns[i].slow_unf = ATR_NO_CALL;
        }
    }
    return &s->fns[fn];
}

static sstack *stack_of(atr_index *ix, uint32_t tid) {
    struct atr__stream *s = ix->stream;
    if (tid >= s->cap_th) {
        uint64_t old = s->cap_th;
        if (atr__grow((void **)&s->th, &s->cap_th, (uint64_t)tid + 1, sizeof(sstack)))
            return NULL;
        memset(s->th + old, 0, (size_t)(s->cap_th - old) * sizeof(sstack));
    }
    return &s->th[tid];
}

/* Frame f's active time and the part of it charged to its parent, its running interval
   closed: its intervals once it suspended (at most its duration), else its duration. */
static uint64_t active_of(const sframe *f, uint64_t dur, uint64_t *charged) {
    if (!f->entry) {
        *charged = dur;
        return dur;
    }
    uint64_t a = f->active < dur ? f->active : dur, o = f->outside < a ? f->outside : a;
    *charged = a - o;
    return a;
}

/* The call of frame f ended (or the log did) at t, its running interval closed: its
   function's counters; what it charges its parent goes to *parent_child (its parent's sum;
   NULL: none, or charged already). */
static int account(atr_index *ix, uint64_t *parent_child, const sframe *f, uint64_t t) {
    uint64_t dur = t > f->start ? t - f->start : 0, cg, act = active_of(f, dur, &cg);
    uint64_t self = act > f->child ? act - f->child : 0;
    sfunc *sf = func_of(ix, f->fn);
    if (!sf)
        return ATR_ENOMEM;
    if (parent_child)
        *parent_child = *parent_child + cg < *parent_child ? UINT64_MAX : *parent_child + cg;
    atr_stats *st = &sf->st;
    st->count++;
    st->total_ns += dur;
    st->active_ns += act;
    st->self_ns += self;
    if (f->nested)
        st->nested++;
    else
        st->inclusive_ns += act;
    if (f->status == ATR_CALL_RAISED)
        st->raised++;
    if (f->status == ATR_CALL_UNFINISHED) {
        st->unfinished++;
        if (sf->slow_unf == ATR_NO_CALL || act > sf->max_unf ||
            (act == sf->max_unf && f->id < sf->slow_unf)) {
            sf->max_unf = act;
            sf->slow_unf = f->id;
        }
        return dlist_push(ix, &sf->unf, act);
    }
    st->finished++;
    if (st->slowest_call == ATR_NO_CALL || act > st->max_ns ||
        (act == st->max_ns && f->id < st->slowest_call)) {
        st->max_ns = act;
        st->slowest_call = f->id;
    }
    return dlist_push(ix, &sf->fin, act);
}

/* 1 if the calls of global function fn are kept, 0 if not, -1 out of memory. */
static int keeps(atr_index *ix, uint32_t fn) {
    struct atr__stream *s = ix->stream;
    if (fn >= s->cap_keep_fn) {
        uint64_t old = s->cap_keep_fn;
        if (atr__grow((void **)&s->keep_fn, &s->cap_keep_fn, (uint64_t)fn + 1, 1))
            return -1;
        memset(s->keep_fn + old, 0, (size_t)(s->cap_keep_fn - old));
    }
    if (!s->keep_fn[fn])
        s->keep_fn[fn] =
            atr__func_name_match(&ix->funcs[fn], s->keep_name, strlen(s->keep_name)) ? 1 : 2;
    return s->keep_fn[fn] == 1;
}

static int on_start(load_state *st, const atr_record *rec, uint32_t tid, sstack *sk) {
    atr_index *ix = st->ix;
    uint32_t *li = atr__fn_lookup(st, rec->u.start.function);
    if (!li || ix->files[st->file].info.parent_uid)
        return ATR_ESTATE; /* unknown function; a forked child's calls link to its parent */
    uint64_t parent = rec->u.start.parent;
    if (parent ? !sk->n || sk->f[sk->n - 1].span != parent : sk->n > 0) {
        /* its parent is not the running call on top (an asyncio task's: the coroutine that
           made it, suspended), or it is a root while calls run */
        if (ix->stream->keep)
            return ATR_ESTATE; /* a selective load's tree: the full index's */
        if (parent && !atr__st_find_open(sk, parent))
            return ATR_ESTATE; /* its parent is not open on this thread */
    }
    if (ix->stream->n_calls >= UINT32_MAX - 1)
        return ATR_ETOOBIG;
    if (atr__grow((void **)&sk->f, &sk->cap, sk->n + 1, sizeof(sframe)))
        return ATR_ENOMEM;
    struct atr__stream *s = ix->stream;
    uint32_t fn = st->fns[*li].fn, call = ATR_NO_CALL;
    if (rec->time_ns < ix->t_min || ix->t_min == 0) /* as the full index: every call's */
        ix->t_min = rec->time_ns;
    uint32_t sub = 0;
    if (s->keep) {
        /* the subtree's root by its number, its descendants by their parent */
        if (s->keep_sub)
            sub = (parent && sk->f[sk->n - 1].sub) ||
                  (st->file == s->sub_file && s->n_calls - s->file_base == s->sub_number);
        int keep = sub ? 1 : s->keep_name ? keeps(ix, fn) : 0;
        if (keep < 0)
            return ATR_ENOMEM;
        if (keep) {
            int rc = atr__add_call(st, rec, &st->fns[*li], tid, &call);
            if (rc)
                return rc;
            if (atr__grow((void **)&s->numbers, &s->cap_numbers, (uint64_t)call + 1,
                          sizeof(uint32_t)))
                return ATR_ENOMEM;
            s->numbers[call] = (uint32_t)(s->n_calls - s->file_base);
            if (parent && sk->f[sk->n - 1].call != ATR_NO_CALL)
                ix->calls[call].parent = sk->f[sk->n - 1].call;
        }
    }
    int nested = 0, rc = atr__run_enter(st, tid, call, fn, &nested); /* (running.c) */
    if (rc < 0)
        return rc;
    if (call != ATR_NO_CALL && nested)
        ix->calls[call].flags |= ATR__CF_NESTED;
    sframe *f = &sk->f[sk->n++];
    f->nested = (uint8_t)nested;
    f->span = rec->u.start.span;
    f->start = rec->time_ns;
    f->child = 0;
    f->fn = fn;
    f->id = (uint32_t)s->n_calls++;
    f->charged = parent != 0;
    f->status = ATR_CALL_UNFINISHED;
    f->call = call;
    f->sub = sub;
    f->parent = parent;
    f->active = f->mark = f->outside = 0;
    f->entry = f->orphan = f->running = 0;
    f->susp_kids = 0;
    return 0;
}

/* Frame `below`, running beneath frame f on its thread, ran d of f's time outside f's parent
   (records.c's atr__adopt): not charged to that parent, it is to below (its self time loses
   it; a kept call's too). 0 or ATR_ENOMEM. */
static int adopt(load_state *st, sframe *below, const sframe *f, uint64_t d) {
    if (!below || !d)
        return 0;
    below->child = below->child + d < below->child ? UINT64_MAX : below->child + d;
    return below->call == ATR_NO_CALL ? 0 : atr__adopt_add(st, below->call, f->call, d);
}

/* Frame f leaves the stack (its END, or the log's), frame `below` beneath it: its counters. */
static int frame_done(load_state *st, sstack *sk, sframe *f, sframe *below, uint64_t t) {
    atr_index *ix = st->ix;
    if (f->entry) {
        int rc = adopt(st, below, f, atr__st_interval_end(sk, f, t));
        if (rc)
            return rc;
    }
    if (f->susp_kids)
        atr__st_adopt_orphans(sk, f);
    return account(ix, atr__st_parent_sum(sk, f), f, t);
}

static int on_end(load_state *st, const atr_record *rec, uint32_t tid, sstack *sk) {
    if (!sk->n || sk->f[sk->n - 1].span != rec->u.end.span)
        return ATR_ESTATE;
    sframe f = sk->f[--sk->n];
    atr__run_leave_top(st, tid);
    if (st->ix->stream->keep)
        return f.call == ATR_NO_CALL ? 0 : atr__end_call(st, rec, f.call);
    f.status = rec->u.end.status == ATR_END_RETURN  ? ATR_CALL_RETURNED
               : rec->u.end.status == ATR_END_RAISE ? ATR_CALL_RAISED
                                                    : ATR_CALL_NORESULT;
    if (!f.entry && f.charged) { /* it ran while its parent waited suspended: all outside it */
        const sframe *p = atr__st_find_open(sk, f.parent);
        if (!p)
            return ATR_ESTATE; /* its parent ended while it ran */
        if (p->entry && !p->running) {
            f.entry = 1;
            f.active = f.outside = rec->time_ns > f.start ? rec->time_ns - f.start : 0;
            int rc = adopt(st, sk->n ? &sk->f[sk->n - 1] : NULL, &f, f.outside);
            if (rc)
                return rc;
        }
    }
    return frame_done(st, sk, &f, sk->n ? &sk->f[sk->n - 1] : NULL, rec->time_ns);
}

/* SUSPEND: the running span on top of its thread leaves the stack for the suspended set, its
   running interval closed; RESUME: a suspended span goes back on top. */
static int on_suspend(load_state *st, const atr_record *rec, uint32_t tid, sstack *sk) {
    uint64_t span = rec->u.suspend.span, t = rec->time_ns;
    if (rec->kind == ATR_REC_SUSPEND) {
        if (!sk->n || sk->f[sk->n - 1].span != span)
            return ATR_ESTATE; /* not the running call on top of its thread */
        if (atr__grow((void **)&sk->susp, &sk->cap_susp, sk->n_susp + 1, sizeof(sframe)))
            return ATR_ENOMEM;
        sframe *top = &sk->f[sk->n - 1];
        if (!top->entry) { /* its first interval: from its START */
            top->entry = 1;
            top->running = 1;
            top->mark = top->start;
        }
        int rc = adopt(st, sk->n > 1 ? top - 1 : NULL, top, atr__st_interval_end(sk, top, t));
        if (rc)
            return rc;
        sframe f = *top;
        sk->n--;
        atr__run_leave_top(st, tid);
        sframe *p = f.charged && !f.orphan ? atr__st_find_open(sk, f.parent) : NULL;
        if (p)
            p->susp_kids++;
        sk->susp[sk->n_susp++] = f;
        return atr__st_susp_note(sk, f.span, sk->n_susp - 1);
    }
    for (uint64_t i = sk->n; i-- > 0;)
        if (sk->f[i].span == span)
            return 0; /* running already: never suspended since its START */
    uint64_t i = atr__st_susp_index(sk, span);
    if (i == UINT64_MAX)
        return ATR_ESTATE; /* unknown, or ended */
    if (atr__grow((void **)&sk->f, &sk->cap, sk->n + 1, sizeof(sframe)))
        return ATR_ENOMEM;
    sframe f = sk->susp[i];
    int rc = atr__st_susp_note(sk, f.span, UINT32_MAX); /* (while susp[i] is still f) */
    sk->susp[i] = sk->susp[--sk->n_susp];
    if (!rc && i < sk->n_susp)
        rc = atr__st_susp_note(sk, sk->susp[i].span, i);
    if (rc)
        return rc;
    sframe *p = f.charged && !f.orphan ? atr__st_find_open(sk, f.parent) : NULL;
    if (p)
        p->susp_kids--;
    if ((rc = atr__run_enter(st, tid, f.call, f.fn, NULL)) < 0) /* running again */
        return rc;
    f.mark = t;
    f.running = 1;
    sk->f[sk->n++] = f;
    return 0;
}

static int on_message(load_state *st, const atr_record *rec, sstack *sk) {
    if (!rec->u.message.span)
        return 0; /* a message outside calls: not kept */
    for (uint64_t i = sk->n; i-- > 0;)
        if (sk->f[i].span == rec->u.message.span)
            return sk->f[i].call == ATR_NO_CALL ? 0 : atr__add_message(st, rec, sk->f[i].call);
    return ATR_ESTATE;
}

/* A thread record of a load of chosen frames (atr_index_set_subtree_frames): the subtree's
   records as a whole read takes them, the others' STARTs counted. */
static int part_record(load_state *st, const atr_record *rec, uint32_t tid, sstack *sk) {
    struct atr__stream *s = st->ix->stream;
    int mine = rec->thread == s->part_thread;
    if (rec->kind == ATR_REC_START && mine && rec->u.start.span == s->hint.span) {
        if (s->part_state != 0 || s->n_calls - s->file_base != s->sub_number)
            return ATR_ESTATE;  /* the index's START counts disagree with the whole read's */
        atr_record root = *rec; /* its parent is not in the subtree: none */
        root.u.start.parent = 0;
        s->part_state = 1;
        return on_start(st, &root, tid, sk);
    }
    if (!mine || s->part_state != 1) {
        if (rec->kind == ATR_REC_START && s->n_calls++ >= UINT32_MAX - 1)
            return ATR_ETOOBIG;
        return 0;
    }
    if (rec->kind == ATR_REC_START)
        return on_start(st, rec, tid, sk);
    if (rec->kind == ATR_REC_MESSAGE)
        return on_message(st, rec, sk);
    int rc = on_end(st, rec, tid, sk);
    if (rc == 0 && sk->n == 0)
        s->part_state = 2;
    return rc;
}

int atr__stream_record(load_state *st, const atr_record *rec) {
    uint32_t k = rec->kind;
    int susp = k == ATR_REC_SUSPEND || k == ATR_REC_RESUME;
    if (susp && st->ix->stream->keep)
        return ATR_ESTATE; /* a selective load's active times: the full index's */
    if (k != ATR_REC_START && k != ATR_REC_END && k != ATR_REC_MESSAGE && !susp) {
        if (k == ATR_REC_SAMPLING || k == ATR_REC_RECORDING)
            return ATR_ESTATE; /* estimates and pauses: the full load's accounting (1.2) */
        if (k == ATR_REC_PROCESS && rec->u.process.part > 0)
            return ATR_ESTATE; /* a rotated log's later file: its calls join the earlier's */
        return atr__on_record(st, rec);
    }
    atr_index *ix = st->ix;
    atr_file_info *fi = &ix->files[st->file].info;
    st->n_records++;
    if (rec->time_ns > fi->t_last)
        fi->t_last = rec->time_ns;
    uint32_t tid;
    int rc = atr__thread_of(st, rec->thread, &tid);
    if (rc)
        return rc;
    sstack *sk = stack_of(ix, tid);
    if (!sk)
        return ATR_ENOMEM;
    if (ix->stream->part)
        return part_record(st, rec, tid, sk);
    if (k == ATR_REC_START)
        return on_start(st, rec, tid, sk);
    if (k == ATR_REC_END)
        return on_end(st, rec, tid, sk);
    if (susp)
        return on_suspend(st, rec, tid, sk);
    return on_message(st, rec, sk);
}

static int cmp_id_desc(const void *a, const void *b) {
    uint32_t x = ((const sframe *)a)->id, y = ((const sframe *)b)->id;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The log ended: the running intervals of sk's frames end at t, from the top (each parent
   still as it was), what ran outside a parent charged to the frame beneath it. */
static int close_intervals(load_state *st, sstack *sk, uint64_t t) {
    for (uint64_t i = sk->n; i-- > 0;) {
        int rc = 0;
        if (sk->f[i].entry)
            rc = adopt(st, i ? &sk->f[i - 1] : NULL, &sk->f[i],
                       atr__st_interval_end(sk, &sk->f[i], t));
        if (rc)
            return rc;
    }
    return 0;
}

/* The log ended with frames of sk open: unfinished calls. Their running intervals end first,
   then each is counted, children (started later: higher ids) before parents, each charging
   its parent while that is open. */
static int close_thread(load_state *st, sstack *sk, uint64_t t) {
    atr_index *ix = st->ix;
    int rc0 = close_intervals(st, sk, t);
    if (rc0)
        return rc0;
    if (sk->n + sk->n_susp == 0)
        return 0;
    if (atr__grow((void **)&sk->susp, &sk->cap_susp, sk->n_susp + sk->n, sizeof(sframe)))
        return ATR_ENOMEM;
    if (sk->n)
        memcpy(sk->susp + sk->n_susp, sk->f, (size_t)sk->n * sizeof(sframe));
    sk->n_susp += sk->n;
    sk->n = 0;
    if (sk->n_susp > 1)
        qsort(sk->susp, (size_t)sk->n_susp, sizeof(sframe), cmp_id_desc);
    for (uint64_t i = 0; i < sk->n_susp; i++) { /* their new places */
        int rc = atr__st_susp_note(sk, sk->susp[i].span, i);
        if (rc)
            return rc;
    }
    /* in that order a parent is found in the set, never a frame counted already (a parent
       has a lower id than its children) */
    for (uint64_t i = 0; i < sk->n_susp; i++) {
        sframe f = sk->susp[i];
        f.susp_kids = 0;                          /* its suspended children charge it themselves */
        int rc = frame_done(st, sk, &f, NULL, t); /* (intervals ended above) */
        if (rc)
            return rc;
        ix->n_unfinished++;
    }
    sk->n_susp = 0;
    return 0;
}

int atr__stream_close(load_state *st) {
    atr_index *ix = st->ix;
    if (ix->stream->part && ix->stream->part_state != 2)
        return ATR_ESTATE; /* the chosen frames did not hold the whole call */
    const atr__file *file = &ix->files[st->file];
    if (ix->compensate && file->info.calib_mechanism.ptr && file->info.calib_call_ns)
        return ATR_ESTATE; /* compensation moves every time of the log */
    for (uint32_t t = file->first_thread; t < ix->n_threads; t++) {
        sstack *sk = stack_of(ix, t);
        int rc;
        if (!sk)
            return ATR_ENOMEM;
        if (ix->stream->keep) { /* kept calls: finished like the full index's */
            if ((rc = close_intervals(st, sk, file->info.t_last)) != 0)
                return rc; /* (the time kept calls ran others' intervals) */
            sk->n = 0;
            continue;
        }
        if ((rc = close_thread(st, sk, file->info.t_last)) != 0)
            return rc;
    }
    atr__run_clear(st); /* (their frames are closed: nothing runs) */
    return 0;
}

/* ---- statistics ---- */

int atr__stream_stats(const atr_index *ix, atr_stats *out, uint32_t n_out) {
    struct atr__stream *s = ix->stream;
    if (s->broken)
        return ATR_ESTATE;
    if (!s->done) {
        for (uint64_t fn = 0; fn < s->cap_fns && fn < ix->n_funcs; fn++) {
            sfunc *sf = &s->fns[fn];
            atr_stats *st = &sf->st;
            if (!st->count)
                continue;
            st->mean_ns = (double)st->active_ns / (double)st->count;
            st->est_count = st->count; /* never sampled: sampled logs decline (SAMPLING) */
            st->est_total_ns = st->total_ns;
            st->est_active_ns = st->active_ns;
            st->est_self_ns = st->self_ns;
            st->est_inclusive_ns = st->inclusive_ns;
            dlist *d = &sf->fin;
            if (!st->finished) { /* only unfinished calls: use them */
                d = &sf->unf;
                st->max_ns = sf->max_unf;
                st->slowest_call = sf->slow_unf;
            }
            uint64_t *a = dlist_flat(d);
            if (!a)
                return ATR_ENOMEM;
            atr__stats_percentiles(a, d->n, st);
            free(a);
            dlist_free(&sf->fin);
            dlist_free(&sf->unf);
        }
        s->done = 1;
    }
    for (uint32_t fn = 0; fn < ix->n_funcs && fn < n_out; fn++) {
        if (fn < s->cap_fns) {
            out[fn] = s->fns[fn].st;
        } else {
            memset(&out[fn], 0, sizeof(out[fn]));
            out[fn].slowest_call = ATR_NO_CALL;
        }
    }
    return 0;
}
