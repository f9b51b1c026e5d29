/*
 * Process-wide writer state: the registry of open sessions, the calling thread's state in
 * each (a one-entry thread-local cache in front of a per-thread list of registrations, with
 * its exit hook), and the fork handlers with the forked child's resume. This is the one file
 * of the writer with globals (besides signals.c's, for its handlers); each says why.
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
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/clock.h"
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

/* Why thread-local (and global): see writer_internal.h. */
__thread atr__tcache atr__t_cache __attribute__((tls_model("initial-exec")));

/* Forget the calling thread's cached state (it is exiting). */
static void tls_cache_clear(void) {
    atr__t_cache.s = NULL;
    atr__t_cache.serial = 0;
    atr__t_cache.th = NULL;
}

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
    tls_cache_clear();
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
    atr__session_sync_init(s);
    s->flusher_running = 0;
    s->park = s->parked = 0;
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
    s->fifo_head = s->fifo_tail = NULL;
    s->pending_bytes = 0;
    s->stalled = 0;
    s->n_waiting = 0;
    atr__bufpool_reset(s, mine ? mine->buf : NULL);
    s->next_thread = mine ? 1 : 0;
    if (mine) {
        mine->next = NULL;
        mine->pos = mine->ntimes = 0;
        atr__thread_fn_restamp(mine); /* its buffer starts afresh */
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
    atr__rotate_after_fork(s);
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

/* How long atr_flushers_pause waits for a flusher to finish its cycle (a write to a stalled
   disk: the fork goes ahead with that flusher running rather than wait for it). */
#define PARK_WAIT_MS 200u

/* Stop s's flusher after its current cycle, its buffers left for the next one. All under
   s->mu: a session that stops meanwhile (atr__flusher_stop) sees either a running flusher or
   a parked one, which it starts again for its last cycle. Under g_reg_mu. 1: parked. */
static int park(atr_session *s) {
    struct timespec deadline;
    int parked = 0;
    atr__mu_lock(s);
    if (s->flusher_running && !s->flusher_exited && !s->stop &&
        atomic_load(&s->blocked) == ATR__RUNNING) {
        s->park = 1;
        pthread_cond_signal(&s->wake_cv);
        atr__deadline_after_ms(&deadline, PARK_WAIT_MS);
        while (!s->flusher_exited)
            if (pthread_cond_timedwait(&s->done_cv, &s->mu, &deadline) == ETIMEDOUT)
                break;
        if (s->flusher_exited) { /* it let go of s->mu and returns: join it */
            pthread_join(s->flusher, NULL);
            s->flusher_running = 0;
            s->parked = parked = 1;
        }
        s->park = 0; /* or busy (a stalled write): leave it running */
    }
    atr__mu_unlock(s);
    return parked;
}

int atr_flushers_pause(void) {
    int n = 0;
    pthread_once(&g_once, init_once);
    pthread_mutex_lock(&g_reg_mu);
    for (atr_session *s = g_reg_head; s; s = s->reg_next)
        n += park(s);
    pthread_mutex_unlock(&g_reg_mu);
    return n;
}

int atr_flushers_resume(void) {
    int rc = 0;
    pthread_once(&g_once, init_once);
    pthread_mutex_lock(&g_reg_mu);
    for (atr_session *s = g_reg_head; s; s = s->reg_next) {
        atr__mu_lock(s);
        int r = atr__flusher_unpark(s);
        rc = r ? r : rc;
        atr__mu_unlock(s);
    }
    pthread_mutex_unlock(&g_reg_mu);
    return rc;
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

/* Thread registrations: per-OS-thread list of (session serial, thread state). */
static atr__thread *tls_find(uint64_t serial) {
    tls_regs *r = pthread_getspecific(g_key);
    size_t i;
    for (i = 0; r && i < r->n; i++)
        if (r->e[i].serial == serial)
            return r->e[i].th;
    return NULL;
}

static int tls_add(uint64_t serial, atr__thread *th) {
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

static int register_thread(atr_session *s, atr__thread **out) {
    atr__thread *th = calloc(1, sizeof *th), **pp;
    if (!th)
        return ATR_ENOMEM;
    th->s = s;
    th->owner = pthread_self();
    th->os_tid = (uint64_t)syscall(SYS_gettid);
    th->prefix = ATR__PFX_THREAD;
    atr__thread_fn_restamp(th);
    atr__types_init(s, &th->types);
    atr__mu_lock(s);
    /* Thread numbers must leave room in a span id (FORMAT.md 3.4): readers refuse larger. */
    if (s->next_thread >= ATR__THREAD_NUMBER_MAX - 1) { /* the last one tags skipped spans */
        atr__mu_unlock(s);
        free(th);
        return ATR_ETOOBIG;
    }
    if (!(th->buf = atr__buf_get(s))) {
        atr__mu_unlock(s);
        free(th);
        return ATR_ENOMEM;
    }
    th->number = s->next_thread++;
    th->epoch = atomic_load_explicit(&s->epoch, memory_order_relaxed);
    th->buf->epoch = th->epoch;
    th->rng = (s->cfg.sample_seed ^ ((uint64_t)th->number * UINT64_C(0x9E3779B97F4A7C15))) |
              1u;                                 /* xorshift: never 0 */
    th->roots = (UINT64_C(1) << 32) - s->rate_fp; /* count mode: the first root is recorded */
    for (pp = &s->threads; *pp; pp = &(*pp)->next)
        ; /* keep registration order: the flusher writes live buffers in this order */
    *pp = th;
    atr__mu_unlock(s);
    if (tls_add(s->serial, th) != 0) {
        atr__mu_lock(s);
        th->finished = 1; /* the flusher frees it */
        atr__mu_unlock(s);
        return ATR_ENOMEM;
    }
    *out = th;
    return 0;
}

int atr__thread_lookup_slow(atr_session *s, atr__thread **out) {
    int st = atomic_load_explicit(&s->blocked, memory_order_acquire), rc;
    atr__thread *th;
    if (st == ATR__FORKED && (rc = atr__session_resume(s)) != 0)
        return rc;
    if (st != ATR__RUNNING && st != ATR__FORKED)
        return ATR_ESTATE;
    th = tls_find(s->serial);
    if (!th && (rc = register_thread(s, &th)) != 0)
        return rc;
    atr__t_cache.s = s;
    atr__t_cache.serial = s->serial;
    atr__t_cache.th = th;
    *out = th;
    return 0;
}

uint64_t atr__random_uid(void) {
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, &v, sizeof v) != (ssize_t)sizeof v)
            v = atr__clock_wall_ns() ^ ((uint64_t)getpid() << 32) ^ atr__clock_monotonic_ns();
        if (fd >= 0)
            close(fd);
    }
    return v ? v : 1;
}

/* First call in a forked child (ATR__FORKED): open the child's own log. */
int atr__session_resume(atr_session *s) {
    char *path = NULL;
    int rc = 0;
    atr__mu_lock(s);
    if (atomic_load(&s->blocked) != ATR__FORKED) {
        rc = atomic_load(&s->blocked) == ATR__RUNNING ? 0 : ATR_ESTATE;
        goto out;
    }
    s->uid = atr__random_uid();
    s->clock_origin = atr__session_now(s);
    if (!s->framer && !(s->framer = atr__framer_new(s->cfg.zstd_level)))
        rc = ATR_ENOMEM;
    else {
        atr__sigmask creating;
        atr__signals_block_creation(&creating); /* as in atr_session_open (session.c) */
        if ((rc = atr__sink_open_child(&s->sink, s->path, &path)) == 0) {
            free(s->path); /* the child's own, unpredictable, new file: see sink.c */
            s->path = path;
            s->cfg.path = path;
            atr__sink_stream(&s->sink, s->cfg.sink_timeout_ms);
            rc = atr__session_write_process(s);
        }
        if (rc == 0)
            rc = atr__flusher_start(s);
        atr__signals_unblock(&creating);
    }
    if (rc != 0) {
        atr__sink_close(&s->sink);
        atomic_store(&s->blocked, ATR__STOPPED);
        rc = ATR_ESTATE;
        goto out;
    }
    atomic_store_explicit(&s->blocked, ATR__RUNNING, memory_order_release);
out:
    atr__mu_unlock(s);
    return rc;
}
