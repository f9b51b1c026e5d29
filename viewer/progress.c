/* Loading progress on stderr (see progress.h). Real time is fine here: display only. */
#include "progress.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void atr__progress_init(atr__progress *p, FILE *err, int enabled) {
    memset(p, 0, sizeof *p);
    p->err = err;
    p->enabled = enabled;
    p->t0_ns = now_ns();
}

void atr__progress_label(atr__progress *p, const char *label) { p->label = label; }

void atr__progress_update(void *arg, uint64_t done, uint64_t total) {
    atr__progress *p = arg;
    if (!p->enabled)
        return;
    uint64_t t = now_ns();
    if (t - p->t0_ns < 1000000000u || (p->shown && t - p->last_ns < 100000000u))
        return;
    p->last_ns = t;
    p->shown = 1;
    unsigned pct = total ? (unsigned)(done * 100 / total) : 0;
    /* \r + erase line; the label is a user-given path, cut to keep one line */
    fprintf(p->err, "\r\033[Kloading %.50s  %3u%%  %" PRIu64 " / %" PRIu64 " MiB",
            p->label ? p->label : "", pct, done >> 20, total >> 20);
    fflush(p->err);
}

void atr__progress_done(atr__progress *p) {
    if (p->shown) {
        fputs("\r\033[K", p->err);
        fflush(p->err);
    }
    p->shown = 0;
}
