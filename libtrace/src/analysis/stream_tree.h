/*
 * The statistics-only load's call frames (stream.c) and the call tree among them off the
 * stack: the thread's set of suspended frames (found by span), a frame's parent wherever it
 * is (running, suspended, ended), the running intervals and what is charged to the parent
 * (records.c's active and outside times). Internal to the analysis.
 */
#ifndef ATR_ANALYSIS_STREAM_TREE_H
#define ATR_ANALYSIS_STREAM_TREE_H

#include <stdint.h>

#include "common/hash.h"

typedef struct sframe {
    uint64_t span, start, child; /* child: active times of its children charged to it */
    uint64_t parent;             /* its parent's span (0: none) */
    uint64_t active, mark;       /* entry: active time of its ended intervals; mark: the start
                                    of the running one (running) */
    uint64_t outside;            /* entry: the part of active that ran while its parent was
                                    away (suspended, or ended): not charged to it */
    uint32_t fn, id;
    uint32_t charged; /* its parent is the frame below */
    uint32_t status;
    uint32_t call;      /* selective loads: the call kept in the index, or ATR_NO_CALL */
    uint32_t sub;       /* in the subtree kept (atr_index_set_keep_subtree) */
    uint8_t nested;     /* a frame of its function ran on its thread at its START (running.c) */
    uint8_t entry;      /* it suspended once: active time from its intervals (else its duration) */
    uint8_t orphan;     /* suspended when its parent ended (charged then): may not run again */
    uint8_t running;    /* entry: an interval is running (since mark) */
    uint32_t susp_kids; /* its children in the thread's suspended set */
} sframe;

typedef struct sstack {
    sframe *f;
    uint64_t n, cap;
    sframe *susp; /* its suspended frames (unordered) */
    uint64_t n_susp, cap_susp;
    atr__u32map susp_at; /* a span's low 32 bits -> its index in susp (UINT32_MAX: none) */
} sstack;

uint64_t atr__st_susp_index(const sstack *sk, uint64_t span);
int atr__st_susp_note(sstack *sk, uint64_t span, uint64_t i);
sframe *atr__st_find_open(sstack *sk, uint64_t span);
uint64_t *atr__st_parent_sum(sstack *sk, const sframe *f);
int atr__st_parent_away(sstack *sk, const sframe *f);
uint64_t atr__st_interval_end(sstack *sk, sframe *f, uint64_t t);
void atr__st_adopt_orphans(sstack *sk, sframe *f);

#endif /* ATR_ANALYSIS_STREAM_TREE_H */
