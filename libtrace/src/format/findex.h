/*
 * The frame index (docs/FORMAT.md 2.4, format 1.3): per zstd frame of a log, where it is,
 * the times, threads and functions it holds and whether it holds records not bound to a
 * thread (definitions). Shared by the writer (scan of a thread's bytes, CHUNK with the
 * thread's state, the footer's encoding: findex_write.c) and the reader (the footer's
 * decoding: findex_read.c).
 */
#ifndef ATR_FORMAT_FINDEX_H
#define ATR_FORMAT_FINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "format/encode.h"

/* The footer: a skippable frame with this magic whose payload ends with its size (u32 LE)
   and this tag, so that a reader finds it from the end of the file. */
#define ATR__FINDEX_MAGIC 0x184D2A5Bu
#define ATR__FINDEX_TAG "ATRI"
#define ATR__FINDEX_VERSION 1
#define ATR__FINDEX_FRAMES_MAX (1u << 20) /* a writer stops indexing past this many frames */

/* Frame flags. */
#define ATR__FINDEX_META 1u /* holds records not bound to a thread (PROCESS, FUNCTION, ...) */

/* A thread's records in one frame: the seq of its first and last START (0, 0: none). */
typedef struct atr__findex_thread {
    uint32_t thread;
    uint64_t seq_lo, seq_hi;
} atr__findex_thread;

typedef struct atr__findex_entry {
    uint64_t offset;     /* file offset of the zstd frame */
    uint64_t size;       /* its compressed size in bytes */
    uint64_t tmin, tmax; /* times of its timed records (tmin > tmax: none) */
    uint32_t flags;      /* ATR__FINDEX_* */
    uint32_t n_threads;
    uint32_t first_thread; /* index of its first thread in the index's thread array */
    uint32_t n_funcs;
    uint64_t first_func; /* index of its first function id in the index's function array */
} atr__findex_entry;

/* An index: entries in file order; their threads and (sorted, distinct) function ids. */
typedef struct atr__findex {
    atr__findex_entry *e;
    uint32_t n, cap;
    atr__findex_thread *th;
    uint32_t n_th, cap_th;
    uint32_t *fn;
    uint64_t n_fn, cap_fn;
} atr__findex;

void atr__findex_free(atr__findex *x); /* the arrays (not x itself) */

/* --- writer side (findex_write.c) ------------------------------------------------------- */

/* A thread's state as a reader keeps it (FORMAT.md 3.5), and the TIMES column (2.0, 3.18)
   of the chunk being read: the deltas of records whose dt is nil, in two planes. */
typedef struct atr__scan_state {
    uint64_t time, seq;
    const uint8_t *hi, *lo;
    size_t n_times, t_pos;
} atr__scan_state;

/* What a scan found in a run of a thread's records. */
typedef struct atr__scan_meta {
    uint64_t tmin, tmax;     /* tmin > tmax: no timed record */
    uint64_t seq_lo, seq_hi; /* first and last START's seq (0: none) */
    uint32_t *fn;            /* function ids of its STARTs (distinct), caller's array */
    size_t n_fn, cap_fn;
} atr__scan_meta;

/*
 * CHUNK with the thread's state before its first record (1.3): [4, thread, time, seq].
 * At most ATR__CHUNK_MAX bytes.
 */
#define ATR__CHUNK_MAX 24
void atr__enc_chunk_state(atr__cur *c, uint32_t thread, uint64_t time, uint64_t seq);

/*
 * Follow a thread's records p[0..n) as a reader would: *st goes from the state before them
 * to the state after, and *m gets their times, STARTs and functions (m->fn grows with
 * realloc; `seen` (n_seen entries, indexed by function id) and `stamp` dedupe function ids:
 * seen[id] == stamp means already listed). Returns 0, or -1 when the bytes are not whole
 * records (the state is then unknown) or out of memory.
 */
int atr__scan_thread(const uint8_t *p, size_t n, atr__scan_state *st, atr__scan_meta *m,
                     uint32_t *seen, size_t n_seen, uint32_t stamp);

/* Add an entry (threads and functions copied); ATR_ENOMEM. */
int atr__findex_add(atr__findex *x, const atr__findex_entry *e, const atr__findex_thread *th,
                    uint32_t n_th, const uint32_t *fn, uint64_t n_fn);

/* The footer frame (magic, size, payload) into malloc'd *out. ATR_ENOMEM. */
int atr__findex_encode(const atr__findex *x, uint8_t **out, size_t *out_len);

/* --- reader side (findex_read.c) -------------------------------------------------------- */

/*
 * The footer at the end of data[0..len), checked against the file: entries in order, each
 * a zstd frame inside [start, footer). Returns 0 (*x filled, *footer_at its offset), 1 (no
 * footer or an invalid one: rebuild), ATR_ENOMEM.
 */
int atr__findex_decode(const uint8_t *data, size_t len, size_t start, atr__findex *x,
                       uint64_t *footer_at);

#endif /* ATR_FORMAT_FINDEX_H */
