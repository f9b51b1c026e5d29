/*
 * A loading progress indicator on stderr: shown only when stderr is a terminal and loading
 * has taken more than a second, redrawn at most 10 times a second, erased when done.
 */
#ifndef ATR_VIEWER_PROGRESS_H
#define ATR_VIEWER_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct atr__progress {
    FILE *err;
    int enabled;       /* stderr is a terminal */
    const char *label; /* what is loading (a path), borrowed */
    uint64_t t0_ns;    /* when loading began (real monotonic clock) */
    uint64_t last_ns;  /* last redraw */
    int shown;         /* something is on the line */
} atr__progress;

void atr__progress_init(atr__progress *p, FILE *err, int enabled);
/* Start a new item (resets the 1 s delay only for the first item). */
void atr__progress_label(atr__progress *p, const char *label);
/* Report done/total bytes; matches atr_progress_fn. */
void atr__progress_update(void *p, uint64_t done, uint64_t total);
/* Erase the indicator if shown. */
void atr__progress_done(atr__progress *p);

#endif /* ATR_VIEWER_PROGRESS_H */
