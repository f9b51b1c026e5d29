/*
 * Recording on/off with a signal (atr_toggle_install).
 *
 * The handler only flips a flag and notes the time of the change: lock-free atomics and
 * clock_gettime, both async-signal-safe, errno saved and restored. The hot path reads the
 * flag (thread.c, atr__recording_off); each session's flusher writes a RECORDING record
 * when it sees a change (rotate.c), with the times kept here for the last few changes.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "writer/writer_internal.h"

/* Why global (each): the signal handler has no session; the hot path of every session reads
   the flag; the flushers read the change count and times. */
_Atomic int atr__g_toggle_off;
static _Atomic uint64_t g_changes;
#define TIMES ATR__TOGGLE_TIMES
static _Atomic uint64_t g_times[TIMES]; /* CLOCK_MONOTONIC ns of change k at [k % TIMES] */
static int g_signo;                     /* the installed signal (0: none) */
static struct sigaction g_old;          /* its disposition before */

static void on_toggle(int sig) {
    int saved = errno;
    struct timespec ts;
    uint64_t n = atomic_load_explicit(&g_changes, memory_order_relaxed) + 1, t = 0;
    (void)sig;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
        t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    atomic_store_explicit(&g_times[n % TIMES], t, memory_order_relaxed);
    atomic_fetch_xor_explicit(&atr__g_toggle_off, 1, memory_order_relaxed);
    atomic_store_explicit(&g_changes, n, memory_order_release);
    errno = saved;
}

uint64_t atr__toggle_changes(uint64_t *time_ns) {
    uint64_t n = atomic_load_explicit(&g_changes, memory_order_acquire);
    *time_ns = atomic_load_explicit(&g_times[n % TIMES], memory_order_relaxed);
    return n;
}

uint64_t atr__toggle_time(uint64_t k) {
    return atomic_load_explicit(&g_times[k % TIMES], memory_order_relaxed);
}

int atr_toggle_install(int signo, int initially_on) {
    struct sigaction sa, old;
    if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP)
        return ATR_EINVAL;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_toggle;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(signo, &sa, &old) != 0)
        return ATR_EINVAL;
    if (g_signo && g_signo != signo)
        (void)sigaction(g_signo, &g_old, NULL);
    if (g_signo != signo)
        g_old = old;
    g_signo = signo;
    atomic_store(&atr__g_toggle_off, !initially_on);
    return 0;
}

int atr_toggle_recording(void) { return !atomic_load(&atr__g_toggle_off); }
