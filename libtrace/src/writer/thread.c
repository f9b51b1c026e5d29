/*
 * The hot path: the span/message calls.
 *
 * A call finds its thread state through a one-entry thread-local cache (registry.c finds or
 * registers it on a miss), encodes the record into the thread's buffer and publishes it with
 * one release store; no lock. When the record does not fit, the full buffer is queued for
 * the flusher and a free one taken under the session mutex (waiting for the flusher, or
 * dropping with drop_when_full), and the record is encoded again once. Span ids, time
 * deltas and span references follow docs/FORMAT.md 3.5.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "common/clock.h"
#include "writer/writer_internal.h"

/* The kinds that set the dt base come before REC_THREAD (commit()). */
enum rec_kind {
    REC_START,
    REC_RETURN,
    REC_RAISE,
    REC_MESSAGE,
    REC_THREAD,
    REC_SUSPEND,
    REC_RESUME
};

typedef struct rec {
    int kind;
    uint64_t t;
    uint64_t ref; /* parent (START) or span reference */
    uint32_t function;
    uint32_t n; /* args */
    const atr_value *args;
    uint32_t n_fields;
    const atr_field *fields;
    const atr_value *value; /* result / exception message */
    atr_str str;            /* exception type / message text */
} rec;

#define SEQ_MASK (ATR__SPAN_ABS_MIN - 1u)

/*
 * Relative references reach at most this far back (FORMAT.md 3.5); a span begun earlier is
 * named by its absolute id. The children of a long-running span (a scheduler's loop) then
 * all name their parent with the same bytes, which compress to almost nothing, where their
 * relative distances grow by one with every call (about 1 B per call more after zstd on
 * pyperformance's richards; bench/bench_process_cpu.py).
 */
#define REL_REF_MAX 256u

/* A span id as a reference from this thread (FORMAT.md 3.5). */
static inline uint64_t span_ref(const atr__thread *th, uint64_t id) {
    uint64_t seq = id & SEQ_MASK, tag = id & ~SEQ_MASK;
    if (tag == (uint64_t)(th->number + 1) << ATR__SPAN_SEQ_BITS && seq && seq <= th->seq &&
        th->seq - seq < REL_REF_MAX)
        return th->seq + 1 - seq;
    /* A span begun before a fork by this thread: an unknown span of the child's log. */
    if (ATR__UNLIKELY(th->fork_tag) && tag == th->fork_tag && seq && seq <= th->fork_seq)
        return th->seq + 1 - seq;
    return id;
}

/* Inlined into each emit site, where r->kind is a constant: the switch folds away. */
static inline __attribute__((always_inline)) void encode(atr__cur *c, atr__thread *th,
                                                         const rec *r) {
    const size_t maxv = th->s->max_value_bytes;
    c->types = &th->types;
    const int64_t d = (int64_t)(r->t - th->last_time);
    const int64_t dt = atr__dt_in_column(d) ? ATR__DT_COLUMN : d; /* commit() puts it there */
    if (ATR__UNLIKELY(th->prefix)) {
        if (th->prefix & ATR__PFX_THREAD)
            atr__enc_thread(c, th->os_tid, th->name, th->name_len);
        if (th->prefix & ATR__PFX_SYNC)
            atr__enc_sync(c, th->seq, th->dropped);
    }
    switch (r->kind) {
    case REC_START:
        atr__enc_start(c, dt, r->ref, r->function, r->args, r->n, r->fields, r->n_fields, maxv);
        break;
    case REC_RETURN:
        atr__enc_end_return(c, dt, r->ref, r->value, maxv);
        break;
    case REC_RAISE:
        atr__enc_end_raise(c, dt, r->ref, r->str, r->value, maxv);
        break;
    case REC_MESSAGE:
        atr__enc_message(c, dt, r->ref, r->str, r->fields, r->n_fields, maxv);
        break;
    case REC_SUSPEND:
        atr__enc_suspend(c, ATR__REC_SUSPEND, dt, r->ref);
        break;
    case REC_RESUME:
        atr__enc_suspend(c, ATR__REC_RESUME, dt, r->ref);
        break;
    default:
        atr__enc_thread(c, th->os_tid, th->name, th->name_len);
        break;
    }
}

/* A START's function in the buffer's summary: one load and compare when already listed. */
static __attribute__((noinline)) void note_function_slow(atr__thread *th, uint32_t fn) {
    atr__bufsum *m = &th->buf->sum;
    if (fn >= th->cap_seen) {
        uint64_t old = th->cap_seen, cap = old;
        if (atr__grow((void **)&th->fn_seen, &cap, (uint64_t)fn + 1, sizeof *th->fn_seen)) {
            m->bad = 1; /* the flusher scans this buffer */
            return;
        }
        memset(th->fn_seen + old, 0, (cap - old) * sizeof *th->fn_seen);
        th->cap_seen = cap;
    }
    if (th->fn_seen[fn] == th->fn_stamp)
        return;
    if (m->n_fn == m->cap_fn) {
        uint64_t cap = m->cap_fn;
        if (atr__grow((void **)&m->fn, &cap, (uint64_t)m->n_fn + 1, sizeof *m->fn)) {
            m->bad = 1;
            return;
        }
        m->cap_fn = (uint32_t)cap; /* at most 4M functions (ATR__FUNC_BLOCKS) */
    }
    th->fn_seen[fn] = th->fn_stamp;
    m->fn[m->n_fn++] = fn;
}

/* The flusher wrote the buffer up to `cut` (it was live): the summary starts afresh at the
   record at `at`, after the cut (the flusher scans the bytes between). */
static __attribute__((noinline)) void restart_summary(atr__thread *th, size_t cut, size_t at) {
    atr__bufsum *m = &th->buf->sum;
    m->cut_seen = cut;
    m->from = at;
    m->tmin = UINT64_MAX;
    m->tmax = m->seq_lo = m->seq_hi = 0;
    m->n_fn = 0;
    m->bad = 0;
    atr__thread_fn_restamp(th);
}

static inline __attribute__((always_inline)) void commit(atr__thread *th, const rec *r,
                                                         size_t pos) {
    atr__buf *b = th->buf;
    atr__bufsum *m = &b->sum;
    const int64_t d = (int64_t)(r->t - th->last_time); /* as encode() had it */
    if (r->kind == REC_START) {
        size_t cut = atomic_load_explicit(&b->cut, memory_order_relaxed);
        if (ATR__UNLIKELY(cut != m->cut_seen))
            restart_summary(th, cut, th->pos);
    }
    if (r->kind != REC_THREAD && atr__dt_in_column(d)) { /* its delta goes to the column */
        b->times[th->ntimes] = (uint8_t)(d >> 8);
        b->times[b->tcap + th->ntimes] = (uint8_t)d;
        th->ntimes++;
    }
    th->pos = pos;
    atomic_store_explicit(&b->committed, ATR__COMMIT(pos, th->ntimes), memory_order_release);
    if (ATR__UNLIKELY(th->prefix)) {
        th->prefix = 0;
        th->dropped = 0;
    }
    /* THREAD has no time; SUSPEND/RESUME leave the dt base alone: a 1.0 reader skips them
       (FORMAT.md 3.12). Those three come last in enum rec_kind. */
    if (r->kind < REC_THREAD)
        th->last_time = r->t;
    if (r->kind != REC_THREAD) { /* the summary for the frame index (findex.h) */
        m->tmin = r->t < m->tmin ? r->t : m->tmin;
        m->tmax = r->t > m->tmax ? r->t : m->tmax;
    }
    if (r->kind == REC_START) {
        th->seq++;
        if (!m->seq_lo)
            m->seq_lo = th->seq;
        m->seq_hi = th->seq;
        if (ATR__UNLIKELY(r->function >= th->cap_seen || th->fn_seen[r->function] != th->fn_stamp))
            note_function_slow(th, r->function);
    }
}

static int drop(atr__thread *th, const rec *r, size_t need, int oversize) {
    atr_session *s = th->s;
    if (oversize) {
        atomic_fetch_add_explicit(&s->n_oversize, 1, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&s->n_drop_records, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->n_drop_bytes, need, memory_order_relaxed);
    }
    if (r->kind == REC_THREAD) {
        th->prefix |= ATR__PFX_THREAD; /* the name goes out with the next record */
        return ATR_EDROPPED;
    }
    th->dropped++;
    th->prefix |= ATR__PFX_SYNC;
    if (r->kind == REC_START)
        th->seq++; /* the span keeps its number: its end and children still refer to it */
    return ATR_EDROPPED;
}

/* Under s->mu, with room for one more buffer: queue the full one, make nb current. */
static void swap_buffer(atr__thread *th, atr__buf *nb) {
    atr_session *s = th->s;
    th->buf->thread = th->number;
    th->buf->next = NULL;
    if (s->fifo_tail)
        s->fifo_tail->next = th->buf;
    else
        s->fifo_head = th->buf;
    s->fifo_tail = th->buf;
    s->pending_bytes += th->buf->cap;
    /* The state a reader has after its records, unless records were dropped since the last
       commit (th->seq counts their STARTs, the next SYNC tells the reader): then the flusher
       scans it. */
    th->buf->sum.time = th->last_time;
    th->buf->sum.seq = th->seq;
    th->buf->sum.valid = !th->buf->sum.bad && !(th->prefix & ATR__PFX_SYNC);
    atr__thread_fn_restamp(th);
    th->buf = nb;
    th->pos = th->ntimes = 0;
    nb->epoch = th->epoch; /* what is encoded next still belongs to the thread's file */
    pthread_cond_signal(&s->wake_cv);
}

/* The calling thread's buffer belongs to an older file (rotate.c moved on): a new buffer for
   the current file. */
static int switch_file(atr__thread *th) {
    atr_session *s = th->s;
    uint32_t e;
    atr__mu_lock(s);
    e = atomic_load_explicit(&s->epoch, memory_order_relaxed);
    if (th->pos == 0) {
        th->buf->epoch = e; /* nothing in it yet */
    } else {
        atr__buf *nb = atr__buf_get(s);
        if (!nb) { /* the records go on to the previous file; tried again next call */
            atr__mu_unlock(s);
            return 0;
        }
        swap_buffer(th, nb); /* the full one keeps its (old) epoch */
        nb->epoch = e;
    }
    th->epoch = e;
    th->last_time = 0; /* the new file's first timed record carries the absolute time */
    th->prefix |= ATR__PFX_THREAD | ATR__PFX_SYNC; /* SYNC carries the span numbers on */
    atr__mu_unlock(s);
    return 0;
}

static int has_room(const atr_session *s, const atr__thread *th) {
    return s->pending_bytes + th->buf->cap <= s->cfg.max_pending_bytes;
}

/*
 * No room for another buffer: wait for the flusher, at most block_timeout_ms, around the
 * embedder's block_begin/block_end. The record is encoded first (into `tmp`): the caller's
 * values are not read after block_begin. Returns 0 with a new current buffer holding the
 * record, or ATR_EDROPPED (counted).
 */
static __attribute__((noinline)) int emit_wait(atr__thread *th, const rec *r, size_t need) {
    atr_session *s = th->s;
    void *(*begin)(void *) = s->cfg.block_begin;
    void (*end)(void *, void *) = s->cfg.block_end;
    void *ctx = s->cfg.block_ctx, *token = NULL;
    struct timespec deadline;
    atr__buf *nb = NULL;
    uint8_t *tmp = malloc(need);
    atr__cur c = atr__cur_make(tmp, 0, tmp ? need : 0);
    int timed_out = 0;
    if (!tmp)
        return drop(th, r, need, 0);
    encode(&c, th, r);
    if (!atr__cur_ok(&c)) { /* cannot happen: same record, same state */
        free(tmp);
        return drop(th, r, c.pos, 1);
    }
    if (begin)
        token = begin(ctx);
    atr__deadline_after_ms(&deadline, s->cfg.block_timeout_ms);
    atr__mu_lock(s);
    s->n_waiting++;
    while (!has_room(s, th) && s->flusher_running && !s->stalled && !timed_out) {
        pthread_cond_signal(&s->wake_cv);
        timed_out = pthread_cond_timedwait(&s->space_cv, &s->mu, &deadline) == ETIMEDOUT;
    }
    if (has_room(s, th) && (nb = atr__buf_get(s)) != NULL)
        swap_buffer(th, nb);
    else if (timed_out)
        s->stalled = 1; /* until the flusher's next cycle, the others drop at once */
    s->n_waiting--;
    atr__mu_unlock(s);
    if (end)
        end(ctx, token);
    if (!nb) {
        free(tmp);
        return drop(th, r, need, 0);
    }
    memcpy(nb->data, tmp, c.pos);
    free(tmp);
    commit(th, r, c.pos);
    return 0;
}

/* The record did not fit: queue the full buffer, take a free one, encode again. */
static __attribute__((noinline)) int emit_slow(atr__thread *th, const rec *r, size_t need) {
    atr_session *s = th->s;
    atr__buf *nb;
    atr__cur c;
    if (need > th->buf->cap)
        return drop(th, r, need, 1);
    atr__mu_lock(s);
    if (!has_room(s, th)) {
        /* a flusher stopped for a fork (atr_flushers_pause): only it makes room */
        atr__flusher_unpark(s);
        int wait = !s->drop_when_full && s->flusher_running && !s->stalled;
        atr__mu_unlock(s);
        return wait ? emit_wait(th, r, need) : drop(th, r, need, 0);
    }
    if (!(nb = atr__buf_get(s))) {
        atr__mu_unlock(s);
        return drop(th, r, need, 0);
    }
    swap_buffer(th, nb);
    atr__mu_unlock(s);
    c = atr__cur_make(nb->data, 0, nb->cap);
    encode(&c, th, r);
    if (!atr__cur_ok(&c))
        return drop(th, r, c.pos, 1);
    commit(th, r, c.pos);
    return 0;
}

static inline __attribute__((always_inline)) int emit(atr__thread *th, const rec *r) {
    atr__cur c = atr__cur_make(th->buf->data, th->pos, th->buf->cap);
    encode(&c, th, r);
    if (ATR__LIKELY(atr__cur_ok(&c))) {
        commit(th, r, c.pos);
        return 0;
    }
    return emit_slow(th, r, c.pos - th->pos);
}

static inline int get_thread(atr_session *s, atr__thread **out) {
    if (ATR__LIKELY(atr__t_cache.s == s && atr__t_cache.serial == s->serial &&
                    atomic_load_explicit(&s->blocked, memory_order_acquire) == 0 &&
                    atr__t_cache.th->epoch ==
                        atomic_load_explicit(&s->epoch, memory_order_relaxed))) {
        *out = atr__t_cache.th;
        return 0;
    }
    int rc = atr__thread_lookup_slow(s, out);
    if (rc == 0 && (*out)->epoch != atomic_load_explicit(&s->epoch, memory_order_relaxed))
        switch_file(*out);
    return rc;
}

/* Times stay below 2^63 so that every delta fits a signed 64-bit dt. */
#define TIME_MAX ((uint64_t)INT64_MAX)

/* Inlined: ATR_NOW (the binding's every call) reads the session clock in place. */
static inline __attribute__((always_inline)) uint64_t time_of(const atr_session *s, uint64_t t) {
    if (ATR__LIKELY(t == ATR_NOW)) {
        t = atr__session_now(s);
        return ATR__LIKELY(t <= TIME_MAX) ? t : TIME_MAX;
    }
    return t;
}

static inline int bad_time(uint64_t t) { return t > TIME_MAX && t != ATR_NOW; }

static inline void stack_push(atr__thread *th, uint64_t id) {
    if (th->depth < ATR__STACK_MAX)
        th->stack[th->depth] = id;
    th->depth++;
}

static __attribute__((noinline)) void stack_pop_slow(atr__thread *th, uint64_t id) {
    uint32_t i;
    if (th->depth == 0)
        return;
    if (th->depth > ATR__STACK_MAX) {
        th->depth--;
        return;
    }
    for (i = th->depth - 1; i-- > 0;) { /* ended out of order (coroutines) */
        if (th->stack[i] == id) {
            memmove(&th->stack[i], &th->stack[i + 1], (th->depth - 1 - i) * sizeof th->stack[0]);
            th->depth--;
            return;
        }
    }
}

/* Inline: the span on top, the common case (a call ends before its caller). */
static inline void stack_pop(atr__thread *th, uint64_t id) {
    uint32_t d = th->depth;
    if (ATR__LIKELY(d - 1u < ATR__STACK_MAX && th->stack[d - 1] == id)) {
        th->depth = d - 1;
        return;
    }
    stack_pop_slow(th, id);
}

static inline int bad_span(uint64_t id) { return id && id < ATR__SPAN_ABS_MIN; }

/*
 * Whether a new span is recorded (sampling, recording off): 0, or the skip id to hand out
 * instead. A child of a sampled-out span is sampled out (the whole subtree goes); a child of
 * a span begun while recording was off is, once recording is on again, a top-level call.
 */
static __attribute__((noinline)) uint64_t gate(atr_session *s, atr__thread *th, uint64_t *parent) {
    int off = atr__recording_off(s);
    if (*parent >= ATR__SKIP_TAG) {
        if (*parent == ATR__SKIP_SAMPLED)
            return ATR__SKIP_SAMPLED;
        if (off)
            return ATR__SKIP_PAUSED;
        *parent = 0;
    }
    if (off)
        return ATR__SKIP_PAUSED;
    if (*parent || !s->gated)
        return 0;
    if (s->cfg.sample_random) { /* xorshift64*: the top 32 bits against the rate */
        uint64_t x = th->rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        th->rng = x;
        return ((x * UINT64_C(0x2545F4914F6CDD1D)) >> 32) < s->rate_fp ? 0 : ATR__SKIP_SAMPLED;
    }
    th->roots += s->rate_fp;
    if (th->roots >= (UINT64_C(1) << 32)) {
        th->roots -= UINT64_C(1) << 32;
        return 0;
    }
    return ATR__SKIP_SAMPLED;
}

/* Spans, messages and references that belong to no recorded span (skip ids). */
static inline int skipped(uint64_t span) { return span >= ATR__SKIP_TAG; }

static inline int get_thread(atr_session *s, atr__thread **out);

static __attribute__((noinline)) uint64_t span_gate_slow(atr_session *s, uint64_t parent) {
    atr__thread *th;
    uint64_t skip;
    if (get_thread(s, &th) != 0)
        return 0; /* atr_span_begin says why */
    skip = gate(s, th, &parent);
    th->predecided = skip == 0;
    return skip;
}

/* The common case (recording, no sampling) in a few instructions, without a stack frame. */
uint64_t atr_span_gate(atr_session *s, uint64_t parent) {
    if (ATR__LIKELY(!s || !(s->gated | atr__recording_off(s) | skipped(parent))))
        return 0;
    return span_gate_slow(s, parent);
}
static inline int bad_str(atr_str v) { return !v.ptr && v.len; }

int atr_span_begin(atr_session *s, uint32_t function, uint64_t parent, uint64_t t_ns,
                   const atr_value *args, uint32_t n_args, const atr_field *fields,
                   uint32_t n_fields, uint64_t *span_out) {
    atr__thread *th;
    rec r;
    int rc;
    if (ATR__UNLIKELY(!s || !span_out || (n_args && !args) || (n_fields && !fields) ||
                      bad_span(parent) || bad_time(t_ns))) {
        if (span_out)
            *span_out = 0;
        return ATR_EINVAL;
    }
    *span_out = 0;
    if (ATR__UNLIKELY(function >= atomic_load_explicit(&s->n_funcs, memory_order_acquire) ||
                      n_args >
                          s->func_params[function / ATR__FUNC_BLOCK][function % ATR__FUNC_BLOCK]))
        return ATR_EINVAL;
    if (ATR__UNLIKELY((rc = get_thread(s, &th)) != 0))
        return rc;
    if (ATR__UNLIKELY(s->gated | atr__recording_off(s) | skipped(parent))) {
        if (th->predecided) { /* atr_span_gate decided: record */
            th->predecided = 0;
            if (skipped(parent))
                parent = 0;
        } else if ((*span_out = gate(s, th, &parent)) != 0) {
            return 0;
        }
    }
    r.t = time_of(s, t_ns);
    r.kind = REC_START; /* after the clock's atomic loads, or GCC stops folding the switch */
    r.ref = span_ref(th, parent);
    r.function = function;
    r.n = n_args;
    r.args = args;
    r.n_fields = n_fields;
    r.fields = fields;
    rc = emit(th, &r);
    *span_out = ((uint64_t)(th->number + 1) << ATR__SPAN_SEQ_BITS) | th->seq;
    stack_push(th, *span_out);
    return rc;
}

static inline __attribute__((always_inline)) int end_span(atr_session *s, rec *r, int kind,
                                                          uint64_t span, uint64_t t_ns) {
    atr__thread *th;
    int rc;
    if (skipped(span))
        return 0;
    if (ATR__UNLIKELY((rc = get_thread(s, &th)) != 0))
        return rc;
    r->t = time_of(s, t_ns);
    r->kind = kind; /* after the clock (see atr_span_begin) */
    r->ref = span_ref(th, span);
    rc = emit(th, r);
    stack_pop(th, span);
    return rc;
}

int atr_span_return(atr_session *s, uint64_t span, uint64_t t_ns, const atr_value *result) {
    rec r;
    if (ATR__UNLIKELY(!s || !span || bad_span(span) || bad_time(t_ns)))
        return ATR_EINVAL;
    r.value = result;
    return end_span(s, &r, REC_RETURN, span, t_ns);
}

int atr_span_raise(atr_session *s, uint64_t span, uint64_t t_ns, atr_str exc_type,
                   const atr_value *message) {
    rec r;
    if (!s || !span || bad_span(span) || bad_time(t_ns) || bad_str(exc_type))
        return ATR_EINVAL;
    r.value = message;
    r.str = exc_type;
    return end_span(s, &r, REC_RAISE, span, t_ns);
}

int atr_message(atr_session *s, uint64_t span, uint64_t t_ns, atr_str text, const atr_field *fields,
                uint32_t n_fields) {
    atr__thread *th;
    rec r;
    int rc;
    if (!s || bad_span(span) || bad_time(t_ns) || bad_str(text) || (n_fields && !fields))
        return ATR_EINVAL;
    if (skipped(span) || atr__recording_off(s))
        return 0;
    if ((rc = get_thread(s, &th)) != 0)
        return rc;
    r.t = time_of(s, t_ns);
    r.kind = REC_MESSAGE; /* after the clock (see atr_span_begin) */
    r.ref = span_ref(th, span);
    r.str = text;
    r.fields = fields;
    r.n_fields = n_fields;
    return emit(th, &r);
}

/* SUSPEND / RESUME: no effect on the span stack (the span stays open). */
static int suspend_resume(atr_session *s, int kind, uint64_t span, uint64_t t_ns) {
    atr__thread *th;
    rec r;
    int rc;
    if (!s || !span || bad_span(span) || bad_time(t_ns))
        return ATR_EINVAL;
    if (skipped(span))
        return 0;
    if ((rc = get_thread(s, &th)) != 0)
        return rc;
    r.t = time_of(s, t_ns);
    r.kind = kind; /* after the clock (see atr_span_begin) */
    r.ref = span_ref(th, span);
    return emit(th, &r);
}

int atr_span_suspend(atr_session *s, uint64_t span, uint64_t t_ns) {
    return suspend_resume(s, REC_SUSPEND, span, t_ns);
}

int atr_span_resume(atr_session *s, uint64_t span, uint64_t t_ns) {
    return suspend_resume(s, REC_RESUME, span, t_ns);
}

int atr_thread_set_name(atr_session *s, const char *name, size_t len) {
    atr__thread *th;
    rec r;
    int rc;
    if (!s || (!name && len))
        return ATR_EINVAL;
    if ((rc = get_thread(s, &th)) != 0)
        return rc;
    if (len > ATR__THREAD_NAME_MAX)
        len = ATR__THREAD_NAME_MAX;
    if (len)
        memcpy(th->name, name, len);
    th->name_len = len;
    th->prefix &= ~ATR__PFX_THREAD; /* this record is the THREAD record */
    memset(&r, 0, sizeof r);
    r.kind = REC_THREAD;
    return emit(th, &r);
}
