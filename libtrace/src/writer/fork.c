/*
 * Process-wide writer state: the registry of open sessions, the per-thread list of thread
 * registrations (with its exit hook), and the fork handlers. This is the one file of the
 * writer with globals (besides thread.c's one-entry thread-local cache); each says why.
 *
 * Fork: prepare locks the registry and every session; the parent unlocks. The child
 * re-initialises the locks, throws away every byte the parent had buffered (the parent
 * writes those; the child must never write them twice), keeps only the forking thread's
 * state, and marks each session forked. The child resumes lazily on its next call
 * (atr__session_resume): a child that only execs creates no log.
 *
 * A TSC session's clock needs nothing redone: the child runs on the same machine (same TSC,
 * same CLOCK_MONOTONIC), so it keeps the calibration it inherited, and the flusher changes
 * that only under s->mu, which prepare holds. The child's flusher, started when it resumes,
 * goes on calibrating from the inherited state (the first cycle finds a calibration due).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "writer/writer_internal.h"

/* Why global: fork handlers and thread-exit destructors have no session argument. */
static pthread_mutex_t g_reg_mu = PTHREAD_MUTEX_INITIALIZER;
/* Why global: the open sessions, for the fork handlers and thread-exit lookups by serial. */
static atr_session *g_reg_head;
/* Why global: serials must be unique per process so a reused session address is detected. */
static _Atomic uint64_t g_serial;
/* Why global: pthread_atfork handlers and the thread-exit key can only be installed once. */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;
static int g_init_err;

/* One OS thread's registrations (the value of g_key). */
typedef struct tls_regs {
    size_t n, cap;
    struct {
        uint64_t serial;
        atr__thread *th;
    } e[];
} tls_regs;

static atr_session *find_locked(uint64_t serial) {
    atr_session *s;
    for (s = g_reg_head; s; s = s->reg_next)
        if (s->serial == serial)
            return s;
    return NULL;
}

/* Thread exit: mark this thread's states finished in the sessions still open. */
static void on_thread_exit(void *arg) {
    tls_regs *r = arg;
    size_t i;
    atr__tls_cache_clear();
    pthread_mutex_lock(&g_reg_mu);
    for (i = 0; i < r->n; i++) {
        atr_session *s = find_locked(r->e[i].serial);
        if (!s)
            continue;
        atr__mu_lock(s);
        r->e[i].th->finished = 1;
        atr__mu_unlock(s);
    }
    pthread_mutex_unlock(&g_reg_mu);
    free(r);
}

/* Why global: the forking thread's signal mask, from fork_prepare to the parent/child. */
static atr__sigmask g_fork_mask;

static void fork_prepare(void) {
    atr_session *s;
    atr__signals_block(&g_fork_mask); /* holding every s->mu: see atr__mu_lock */
    pthread_mutex_lock(&g_reg_mu);
    for (s = g_reg_head; s; s = s->reg_next)
        pthread_mutex_lock(&s->mu);
}

static void fork_parent(void) {
    atr_session *s;
    for (s = g_reg_head; s; s = s->reg_next)
        pthread_mutex_unlock(&s->mu);
    pthread_mutex_unlock(&g_reg_mu);
    atr__signals_unblock(&g_fork_mask);
}

void atr__session_sync_init(atr_session *s) {
    pthread_condattr_t ca;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake_cv, &ca);
    pthread_cond_init(&s->space_cv, &ca); /* timed waits: bounded producer and close waits */
    pthread_cond_init(&s->done_cv, &ca);
    pthread_condattr_destroy(&ca);
}

/* The child's copy of a session: keep the forking thread only, drop every buffered byte. */
static void child_reset(atr_session *s) {
    pthread_t me = pthread_self();
    atr__thread *th, *next, *mine = NULL;
    atr__buf *b;
    atr__session_sync_init(s);
    s->flusher_running = 0;
    s->stop = 0;
    s->flush_req = s->flush_done = 0;
    for (th = s->threads; th; th = next) {
        next = th->next;
        if (!mine && !th->finished && pthread_equal(th->owner, me))
            mine = th;
        else
            atr__thread_free(th); /* its OS thread does not exist here */
    }
    s->threads = mine;
    s->free_list = NULL;
    s->fifo_head = s->fifo_tail = NULL;
    s->pending_bytes = 0;
    s->stalled = 0;
    s->n_waiting = 0;
    for (b = s->all; b; b = b->all_next) {
        atomic_store_explicit(&b->committed, 0, memory_order_relaxed);
        b->flushed = 0;
        if (!mine || b != mine->buf) {
            b->next = s->free_list;
            s->free_list = b;
        }
    }
    s->next_thread = mine ? 1 : 0;
    if (mine) {
        mine->next = NULL;
        mine->pos = 0;
        mine->fork_tag = (uint64_t)(mine->number + 1) << ATR__SPAN_SEQ_BITS;
        mine->fork_seq = mine->seq;
        mine->number = 0;
        mine->last_time = 0;
        mine->dropped = 0;
        mine->prefix = ATR__PFX_THREAD | ATR__PFX_SYNC; /* SYNC carries seq across */
    }
    /* The child's log links to the parent's log and to the span running the fork. */
    s->parent_uid = s->uid;
    s->parent_span =
        mine && mine->depth
            ? mine->stack[(mine->depth < ATR__STACK_MAX ? mine->depth : ATR__STACK_MAX) - 1]
            : 0;
    /*
     * The flusher may have been inside the compressor or growing its arrays when the fork
     * happened: their copies here cannot be trusted, so the child leaks them (once per fork)
     * and makes new ones when it resumes.
     */
    s->framer = NULL;
    s->scratch = NULL;
    atr__sink_close(&s->sink); /* the parent's file: never written by the child */
    s->sink.err = 0;
    s->write_err = 0;
    s->defs_flushed = 0;  /* FUNCTION and TYPE records again */
    s->calib_flushed = 0; /* the child's log gets the calibrations too */
    memset(&s->drops_written, 0, sizeof s->drops_written);
    atomic_store(&s->n_drop_records, 0);
    atomic_store(&s->n_drop_bytes, 0);
    atomic_store(&s->n_oversize, 0);
    atomic_store(&s->n_capture_errors, 0);
    atomic_store(&s->n_write_errors, 0);
    atomic_store(&s->blocked, s->cfg.fork_mode == ATR_FORK_STOP ? ATR__STOPPED : ATR__FORKED);
}

static void fork_child(void) {
    atr_session *s;
    pthread_mutex_init(&g_reg_mu, NULL);
    atr__signals_after_fork(); /* the parent's flushers do not exist here */
    for (s = g_reg_head; s; s = s->reg_next)
        child_reset(s);
    atr__signals_unblock(&g_fork_mask);
}

static void init_once(void) {
    if (pthread_key_create(&g_key, on_thread_exit) != 0 ||
        pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
        g_init_err = ATR_ENOMEM;
}

int atr__registry_add(atr_session *s) {
    pthread_once(&g_once, init_once);
    if (g_init_err)
        return g_init_err;
    pthread_mutex_lock(&g_reg_mu);
    s->serial = atomic_fetch_add(&g_serial, 1) + 1;
    s->reg_next = g_reg_head;
    g_reg_head = s;
    pthread_mutex_unlock(&g_reg_mu);
    return 0;
}

void atr__registry_remove(atr_session *s) {
    atr_session **pp;
    pthread_mutex_lock(&g_reg_mu);
    for (pp = &g_reg_head; *pp; pp = &(*pp)->reg_next) {
        if (*pp == s) {
            *pp = s->reg_next;
            break;
        }
    }
    pthread_mutex_unlock(&g_reg_mu);
}

int atr__registry_alive(uint64_t serial) {
    int alive;
    pthread_mutex_lock(&g_reg_mu);
    alive = find_locked(serial) != NULL;
    pthread_mutex_unlock(&g_reg_mu);
    return alive;
}

atr__thread *atr__tls_find(uint64_t serial) {
    tls_regs *r = pthread_getspecific(g_key);
    size_t i;
    for (i = 0; r && i < r->n; i++)
        if (r->e[i].serial == serial)
            return r->e[i].th;
    return NULL;
}

int atr__tls_add(uint64_t serial, atr__thread *th) {
    tls_regs *r = pthread_getspecific(g_key);
    size_t i, j;
    if (r) { /* forget sessions closed since (a long-lived thread may see many) */
        pthread_mutex_lock(&g_reg_mu);
        for (i = j = 0; i < r->n; i++)
            if (find_locked(r->e[i].serial))
                r->e[j++] = r->e[i];
        r->n = j;
        pthread_mutex_unlock(&g_reg_mu);
    }
    if (!r || r->n == r->cap) {
        size_t cap = r ? r->cap * 2 : 4;
        tls_regs *nr = realloc(r, sizeof *r + cap * sizeof r->e[0]);
        if (!nr)
            return ATR_ENOMEM;
        if (!r)
            nr->n = 0;
        nr->cap = cap;
        r = nr;
        if (pthread_setspecific(g_key, r) != 0) {
            free(r);
            return ATR_ENOMEM;
        }
    }
    r->e[r->n].serial = serial;
    r->e[r->n].th = th;
    r->n++;
    return 0;
}
