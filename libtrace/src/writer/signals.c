/*
 * Flush on fatal signals (atr_signals_install).
 *
 * A signal handler may not take the writer's locks (the interrupted thread may hold one), so
 * it only bumps a request number and waits, sleeping, for the flushers to answer: each
 * flusher polls the request number every few milliseconds while handlers are installed,
 * runs a cycle when it changed (everything committed by then reaches the file), writes the
 * log's tail (DROPS, END_OF_LOG, the frame index: the process ends, so does its log; the
 * flusher then exits) and counts an answer. The handler waits for as many answers as
 * flushers were running, at most WAIT_MAX_MS, then restores the default action and
 * re-raises the signal: it is blocked while the handler runs, so it is delivered, with its
 * default action, on return.
 *
 * The program's threads block these signals while they hold a session mutex (atr__mu_lock),
 * so the flusher the handler waits for never waits for the interrupted thread.
 *
 * Everything here is async-signal-safe in the handler: lock-free atomics, nanosleep,
 * sigaction, raise, errno saved and restored.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "writer/writer_internal.h"

#define WAIT_MAX_MS 2000
#define WAIT_STEP_MS 1

/* Why global: a signal handler has no session argument and cannot take the registry lock. */
static _Atomic uint64_t g_req;  /* flush requests made by handlers */
static _Atomic uint64_t g_acks; /* cycles run by flushers for a new request */
static _Atomic int g_flushers;  /* flusher threads running in this process */
static _Atomic int g_installed; /* a handler is installed */
static const int k_signals[] = {SIGTERM, SIGINT, SIGHUP};
/* Why global: the handler re-installs the disposition it replaced (the default action). */
static struct sigaction g_old[sizeof k_signals / sizeof k_signals[0]];

int atr__signals_installed(void) {
    return atomic_load_explicit(&g_installed, memory_order_relaxed);
}

uint64_t atr__signals_request(void) { return atomic_load(&g_req); }

void atr__signals_served(atr_session *s) {
    (void)s;
    atomic_fetch_add(&g_acks, 1);
}

void atr__signals_flusher_count(int delta) { atomic_fetch_add(&g_flushers, delta); }

void atr__signals_after_fork(void) { atomic_store(&g_flushers, 0); }

void atr__signals_block(atr__sigmask *m) {
    m->on = 0;
    if (atomic_load_explicit(&g_installed, memory_order_relaxed)) {
        sigset_t set;
        size_t i;
        sigemptyset(&set);
        for (i = 0; i < sizeof k_signals / sizeof k_signals[0]; i++)
            sigaddset(&set, k_signals[i]);
        m->on = pthread_sigmask(SIG_BLOCK, &set, &m->old) == 0;
    }
}

void atr__signals_block_creation(atr__sigmask *m) {
    sigset_t set;
    size_t i;
    sigemptyset(&set);
    for (i = 0; i < sizeof k_signals / sizeof k_signals[0]; i++)
        sigaddset(&set, k_signals[i]);
    sigaddset(&set, SIGQUIT);
    m->on = pthread_sigmask(SIG_BLOCK, &set, &m->old) == 0;
}

void atr__signals_unblock(atr__sigmask *m) {
    if (m->on) {
        m->on = 0;
        pthread_sigmask(SIG_SETMASK, &m->old, NULL);
    }
}

/* Why thread-local: the mask to restore when this thread releases the session mutex. */
static __thread atr__sigmask t_mask;

void atr__mu_lock(atr_session *s) {
    atr__signals_block(&t_mask);
    pthread_mutex_lock(&s->mu);
}

void atr__mu_unlock(atr_session *s) {
    pthread_mutex_unlock(&s->mu);
    atr__signals_unblock(&t_mask);
}

static void sleep_ms(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void on_signal(int sig) {
    int saved = errno;
    size_t i;
    uint64_t acks0 = atomic_load(&g_acks);
    int n = atomic_load(&g_flushers), waited;
    atomic_fetch_add(&g_req, 1);
    for (waited = 0; n > 0 && waited < WAIT_MAX_MS; waited += WAIT_STEP_MS) {
        if (atomic_load(&g_acks) - acks0 >= (uint64_t)n)
            break;
        sleep_ms(WAIT_STEP_MS);
    }
    for (i = 0; i < sizeof k_signals / sizeof k_signals[0]; i++) {
        if (k_signals[i] == sig) {
            (void)sigaction(sig, &g_old[i], NULL);
            break;
        }
    }
    (void)raise(sig); /* pending until this handler returns, then the default action */
    errno = saved;
}

int atr_signals_install(void) {
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    struct sigaction sa, cur;
    size_t i;
    int rc = 0;
    pthread_mutex_lock(&mu);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_ONSTACK;
    for (i = 0; i < sizeof k_signals / sizeof k_signals[0]; i++) {
        if (sigaction(k_signals[i], NULL, &cur) != 0) {
            rc = ATR_EINVAL;
            continue;
        }
        if ((cur.sa_flags & SA_SIGINFO) || cur.sa_handler != SIG_DFL)
            continue; /* ignored, ours already, or the program's own handler */
        g_old[i] = cur;
        if (sigaction(k_signals[i], &sa, NULL) != 0)
            rc = ATR_EINVAL;
        else
            atomic_store(&g_installed, 1);
    }
    pthread_mutex_unlock(&mu);
    return rc;
}
