/*
 * Writer internals shared by session.c, thread.c, registry.c, flusher.c, rotate.c, frames.c,
 * bufpool.c, sink.c, toggle.c and signals.c.
 *
 * Ownership and locking (s->mu is the session mutex):
 * - A thread state (atr__thread) belongs to one recording thread. Only that thread writes
 *   its buffer's bytes, `pos`, `last_time`, `seq`, the span stack and the prefix flags,
 *   without a lock. `buf` is swapped by the owner under s->mu; the flusher reads it under
 *   s->mu. The owner publishes bytes with a release store of buf->committed.
 * - The flusher owns every buffer's `flushed` offset, the framer and the sink while it runs.
 *   (open and close use them before the flusher starts and after it stopped.)
 * - Everything else in the session (lists, pool, definitions, flush requests) is under s->mu.
 */
#ifndef ATR_WRITER_WRITER_INTERNAL_H
#define ATR_WRITER_WRITER_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "argtrace/atr_writer.h"
#include "common/tsc.h"
#include "format/encode.h"
#include "format/findex.h"
#include "format/frame_write.h"
#include "writer/intern.h"

#define ATR__BUFFER_MIN (4u << 10)
#define ATR__BUFFER_MAX (4u << 20) /* a whole buffer (+ CHUNK) always fits one frame */
#define ATR__STACK_MAX 64          /* open spans tracked per thread (for the fork link) */
#define ATR__THREAD_NAME_MAX 256
#define ATR__DEF_MAX (1u << 20)       /* largest FUNCTION record */
#define ATR__FUNC_BLOCK 1024u         /* n_params entries per block */
#define ATR__FUNC_BLOCKS 4096u        /* at most 4M functions per session */
#define ATR__CALIB_BYTES 768u         /* room for a few CALIBRATION records */
#define ATR__VALUE_DEF_MAX (1u << 20) /* longest value interned (types.c) */
#define ATR__VALUES_BUDGET (4u << 20) /* bytes of values interned per session */

/*
 * What a buffer's records hold, for the frame index (FORMAT.md 2.4): noted by the owner as
 * it commits them (thread.c), so that the flusher need not scan a whole queued buffer.
 * Owner-written while the buffer is current; read by the flusher only once queued (`valid`
 * set under s->mu in swap_buffer). When the flusher writes a live buffer in part (up to
 * `cut`), the owner starts the summary afresh at its next START: the flusher scans the bytes
 * from the cut to there, and takes the rest from the summary.
 */
typedef struct atr__bufsum {
    uint64_t tmin, tmax;     /* times of its timed records (tmin > tmax: none) */
    uint64_t seq_lo, seq_hi; /* seq of its first and last START (0: none) */
    uint64_t time, seq;      /* the thread's state (FORMAT.md 3.5) after its records */
    size_t from;             /* of the records from this offset on (those before: scanned) */
    size_t cut_seen;         /* the buffer's `cut` when the summary started */
    uint32_t *fn;            /* owned: distinct function ids of its STARTs */
    uint32_t n_fn, cap_fn;
    int bad;   /* a function id could not be noted (out of memory) */
    int valid; /* queued with the summary of all its records: the flusher may use it */
} atr__bufsum;

/*
 * A thread buffer: records of one thread, filled by it, drained by the flusher. Beside the
 * records, the time deltas that they leave to their chunk's TIMES column (format 2.0,
 * FORMAT.md 3.18), in two planes: high bytes at times[0..tcap), low bytes at
 * times[tcap..2 tcap). A record with its delta in the column is at least 4 bytes, so the
 * column never fills before the records do.
 */
#define ATR__TCAP(cap) ((cap) / 4 + 1)
/* `committed` packs the bytes and the column's deltas published together */
#define ATR__COMMIT(bytes, times) ((uint64_t)(bytes) | (uint64_t)(times) << 32)
#define ATR__COMMIT_BYTES(c) ((size_t)((c)&0xffffffffu))
#define ATR__COMMIT_TIMES(c) ((size_t)((c) >> 32))
typedef struct atr__buf {
    _Atomic uint64_t committed; /* ATR__COMMIT(bytes, deltas) published by the owner (release) */
    _Atomic size_t cut;         /* flusher: bytes of it written while it was live (relaxed) */
    size_t flushed;             /* bytes already written to the file (flusher-owned) */
    size_t tflushed;            /* deltas of the column already written (flusher-owned) */
    size_t cap, tcap;
    uint8_t *times;            /* the column's two planes (in the data allocation) */
    uint32_t thread;           /* owner's thread number, set when queued for the flusher */
    uint32_t epoch;            /* the file (rotate.c) its records belong to (under s->mu) */
    struct atr__buf *next;     /* FIFO or free list (under s->mu) */
    struct atr__buf *all_next; /* every buffer of the session (for close and fork) */
    uint8_t *data;
    atr__bufsum sum;
} atr__buf;

/* Prefix records a thread writes before its next record. */
#define ATR__PFX_THREAD 1u /* THREAD [3, os_tid, name] */
#define ATR__PFX_SYNC 2u   /* SYNC [8, seq, dropped] */

typedef struct atr__thread {
    atr_session *s;
    atr__buf *buf;      /* current buffer (never NULL) */
    size_t pos;         /* == the bytes of buf->committed, owner's copy */
    size_t ntimes;      /* == the deltas of buf->committed, owner's copy */
    uint64_t last_time; /* time of the last written record (dt base) */
    uint64_t seq;       /* last span sequence number used */
    uint32_t number;    /* thread number in the log */
    uint32_t prefix;    /* ATR__PFX_* */
    uint64_t dropped;   /* records dropped since the last SYNC */
    uint64_t os_tid;
    pthread_t owner;
    int finished; /* the OS thread exited (under s->mu) */
    /* After a fork: the parent's id prefix of this thread and its seq at the fork. */
    uint64_t fork_tag;
    uint64_t fork_seq;
    uint32_t epoch; /* the file its buffer writes to (rotate.c); s->epoch when current */
    uint64_t roots; /* sampling: the count mode's accumulator (rate in 2^32ths) */
    uint64_t rng;   /* sampling: the random mode's xorshift state */
    int predecided; /* atr_span_gate said "record": the next atr_span_begin takes it as made */
    uint32_t depth; /* open spans (may exceed ATR__STACK_MAX: only the top is kept) */
    uint64_t stack[ATR__STACK_MAX];
    atr__types types; /* type name -> TYPE id cache (types.c) */
    /* Function ids already in buf->sum.fn: fn_seen[id] == fn_stamp (owned; a new stamp per
       buffer, thread.c). */
    uint32_t *fn_seen;
    size_t cap_seen;
    uint32_t fn_stamp;
    char name[ATR__THREAD_NAME_MAX];
    size_t name_len;
    struct atr__thread *next; /* session's list (under s->mu) */
} atr__thread;

typedef struct atr__sink {
    int fd;
    int err;             /* sticky: first write error (ATR_ENOSPC / ATR_EIO), 0 if none */
    uint64_t off;        /* bytes written successfully */
    int reserve;         /* a regular file: keep a block allocated past its end (sink.c) */
    int stream;          /* a pipe, FIFO or socket: written with O_NONBLOCK and poll() */
    uint32_t timeout_ms; /* a stream that takes no byte this long is abandoned */
    atr__findex *findex; /* owned: the frames written so far (findex.c; NULL: none yet) */
    int findex_off;      /* a frame could not be indexed: no footer for this file */
} atr__sink;

/* Span ids handed out for spans that are not recorded (sampling, recording off): the tag of
   thread number ATR__THREAD_NUMBER_MAX - 1, which the writer never assigns. */
#define ATR__SKIP_TAG ((uint64_t)ATR__THREAD_NUMBER_MAX << ATR__SPAN_SEQ_BITS)
#define ATR__SKIP_SAMPLED (ATR__SKIP_TAG | 2u) /* sampled out: its subtree is not recorded */
#define ATR__SKIP_PAUSED (ATR__SKIP_TAG | 1u)  /* begun while recording was off */

/* Session states (atr_session.blocked). */
#define ATR__RUNNING 0
#define ATR__FORKED 1  /* forked child, not resumed yet */
#define ATR__STOPPED 2 /* fork-stopped or failed to resume: record nothing */

struct atr_session {
    uint64_t serial;       /* unique per open, never reused (TLS caches compare it) */
    _Atomic int blocked;   /* ATR__RUNNING or why not */
    atr_writer_config cfg; /* copy; strings below are owned copies */
    char *path;
    char **argv;
    char *runtime;
    char host[256];
    uint64_t uid;
    uint64_t parent_uid, parent_span;
    uint64_t clock_origin; /* session clock at open */
    int clock_source;      /* ATR_CLOCK_TSC, _MONOTONIC or _INJECTED (chosen at open) */
    atr_clock_fn clock;
    void *clock_ctx;
    size_t max_value_bytes;
    int drop_when_full;

    pthread_mutex_t mu;
    pthread_cond_t wake_cv;  /* flusher: work or stop requested */
    pthread_cond_t space_cv; /* producers: pending bytes went down */
    pthread_cond_t done_cv;  /* flush callers: a flush cycle completed */

    /* Buffers (under mu). */
    atr__buf *all; /* every buffer */
    atr__buf *free_list;
    uint32_t n_free; /* buffers on free_list */
    int spare_off;   /* a spare could not be allocated: producers allocate their own */
    atr__buf *fifo_head, *fifo_tail; /* full buffers waiting for the flusher, in push order */
    size_t pending_bytes;            /* capacity of buffers queued or being flushed */
    int stalled;        /* a producer's wait timed out: drop at once until the next cycle */
    uint32_t n_waiting; /* producers waiting for space */

    /* Flusher-owned: thread segments indexed from their buffer's summary, by a scan, by both
       (a scan up to where the summary starts) (read by tests after a flush). */
    uint64_t n_idx_summed, n_idx_scanned, n_idx_mixed;

    /* Threads (under mu). */
    atr__thread *threads;
    uint32_t next_thread;

    /* Definitions (under mu): every FUNCTION and TYPE record ever encoded, back to back. */
    uint8_t *defs;
    size_t defs_len, defs_cap;
    size_t *def_end; /* def_end[i]: end offset of definition i in defs */
    size_t def_end_cap;
    uint32_t n_defs;
    _Atomic uint32_t n_funcs; /* published with release after the entries below */
    /* n_params of each function, in blocks that never move (read by the hot path). */
    uint32_t *func_params[ATR__FUNC_BLOCKS];
    uint32_t defs_flushed; /* definitions already handed to the flusher */
    /* Interned type names and values (types.c, under mu): TYPE id i names types.e[i],
       VALUE id i is values.e[i] (tag: its kind and true length). */
    atr__intern types, values;
    /* CALIBRATION records (under mu), back to back; the first calib_flushed bytes are out. */
    uint8_t calib[ATR__CALIB_BYTES];
    size_t calib_len, calib_flushed;

    /* Flusher (requests under mu). */
    pthread_t flusher;
    int flusher_running;
    int stop;
    uint64_t flush_req, flush_done;
    atr__framer *framer;                /* flusher-owned while it runs */
    atr__sink sink;                     /* flusher-owned while it runs; err read under mu */
    int write_err;                      /* copy of sink.err, under mu */
    struct atr__flush_scratch *scratch; /* flusher's arrays */
    atr_drop_stats drops_written;       /* last DROPS written (flusher-owned) */
    int flusher_exited;                 /* flusher_main returned (under mu) */
    int park;          /* atr_flushers_pause: the flusher exits after its cycle (under mu) */
    int parked;        /* its flusher was stopped by atr_flushers_pause (under mu) */
    uint64_t sig_seen; /* last signal flush request served (flusher-owned) */
    int ended;         /* its tail is written (atr__session_write_tail): no frame follows (mu) */

    /* Drop counters (relaxed atomics). */
    _Atomic uint64_t n_drop_records, n_drop_bytes, n_oversize, n_capture_errors, n_write_errors;

    atr_session *reg_next; /* registry of open sessions (registry.c, under its lock) */

    /* ATR_CLOCK_TSC: the calibration; read by any thread, calibrated by the flusher under mu. */
    atr__tsc_clock tsc;

    /* Rotation (rotate.c). epoch: written under mu, read by the hot path (relaxed). */
    _Atomic uint32_t epoch; /* the file being written: threads switch buffers when it moves */
    atr__sink prev;         /* flusher-owned: the previous file, for records of epoch - 1 */
    uint32_t part;          /* flusher-owned: number of the file being written (0: path) */
    size_t prev_defs_from;  /* under mu: definitions prev has not seen (rotation cycle) */
    int prev_defs_due;      /* under mu: this cycle also writes defs from there to prev */

    /* Sampling and recording on/off (thread.c, rotate.c). */
    int gated;          /* sampling on (rate < 1): atr_span_begin decides per root */
    uint64_t rate_fp;   /* sample rate in 2^32ths (2^32: every call) */
    _Atomic int paused; /* atr_session_set_recording(s, 0) */
    int rec_written;    /* under mu: recording state the log says (1 on, 0 off) */
    uint8_t ctl[512];   /* under mu: RECORDING records not yet collected */
    size_t ctl_len;
    uint64_t toggle_seen; /* under mu: the toggle's change count last written */
};

/* toggle.c. Why global: the signal handler has no session; the hot path reads it. */
extern _Atomic int atr__g_toggle_off;
static inline int atr__recording_off(const atr_session *s) {
    return atomic_load_explicit(&atr__g_toggle_off, memory_order_relaxed) |
           atomic_load_explicit(&((atr_session *)s)->paused, memory_order_relaxed);
}
/* Under mu: the toggle's change count and the CLOCK_MONOTONIC time of its last change. */
uint64_t atr__toggle_changes(uint64_t *time_ns);
#define ATR__TOGGLE_TIMES 8u           /* the last changes whose times are kept */
uint64_t atr__toggle_time(uint64_t k); /* CLOCK_MONOTONIC ns of change k (1, 2, ...) */

/*
 * The built-in clocks' times are multiples of this (a power of two, ns; FORMAT.md 3.1
 * `time_quantum_ns`): the writer rounds them down. What it costs: at most 15 ns on a time,
 * less than the clock's own reading noise (10 ns steps of this VM's TSC; successive
 * clock_gettime readings 20-30 ns apart) and a small part of what the tracer itself adds to
 * every call (100+ ns). What it buys: the low 4 bits of every time delta, which are noise
 * and which zstd cannot compress (~0.3-0.5 B per call; bench/bench_process_cpu.py). An
 * injected clock's times are written as they are.
 */
#define ATR__TIME_QUANTUM_NS 16u
#define ATR__TIME_MASK (~(uint64_t)(ATR__TIME_QUANTUM_NS - 1u))

/* The session clock (ns): the hot path reads it twice per span. */
static inline __attribute__((always_inline)) uint64_t atr__session_now(const atr_session *s) {
    if (__builtin_expect(s->clock_source == ATR_CLOCK_TSC, 1))
        return atr__tsc_now(&s->tsc) & ATR__TIME_MASK;
    return s->clock ? s->clock(s->clock_ctx) : atr__clock_monotonic_ns() & ATR__TIME_MASK;
}

/* Declared bottom-up: a file calls only the files declared before it (docs/ARCHITECTURE.md).
   signals.c, toggle.c, sink.c, bufpool.c <- findex.c, types.c <- frames.c <- rotate.c <- flusher.c
   <- registry.c <- thread.c, session.c */

/* signals.c: flush requests from signal handlers (atr_signals_install). */
int atr__signals_installed(void);           /* handlers installed: poll for requests */
uint64_t atr__signals_request(void);        /* the latest request number (0: none) */
void atr__signals_served(atr_session *s);   /* s's flusher wrote out everything up to now */
void atr__signals_flusher_count(int delta); /* a flusher starts (+1) or stops (-1) */
void atr__signals_after_fork(void);         /* in the child: no flusher runs */
/*
 * s->mu as taken by the program's threads (never by the flusher): while handlers are
 * installed, the flush signals are blocked in the thread holding it, so that a handler
 * never waits for a flusher that waits for a lock the interrupted thread holds. The
 * signal is delivered when the lock is released. Not nested.
 */
void atr__mu_lock(atr_session *s);
void atr__mu_unlock(atr_session *s);
/* Block the flush signals in the calling thread (when installed) / restore its mask. */
typedef struct atr__sigmask {
    int on;
    sigset_t old;
} atr__sigmask;
void atr__signals_block(atr__sigmask *m);
/* While a log file is created and gets its first bytes (header + PROCESS): the termination
   signals (SIGTERM, SIGINT, SIGHUP, SIGQUIT) wait, handlers installed or not, so that a
   process killed then leaves a readable log, not an empty file. Restore with unblock. */
void atr__signals_block_creation(atr__sigmask *m);
void atr__signals_unblock(atr__sigmask *m);

/* sink.c */
int atr__sink_open(atr__sink *k, const char *path); /* ATR_EOPEN: errno says why */
/* A forked child's new log beside parent_path; *out_path (malloc'd) names it. */
int atr__sink_open_child(atr__sink *k, const char *parent_path, char **out_path);
/* path made absolute against the current directory (malloc'd; NULL: out of memory). */
char *atr__path_absolute(const char *path, size_t max);
int atr__sink_write(atr__sink *k, const void *p, size_t n); /* whole frame or sticky error */
/* Before the last frame: a full disk's error is lifted for one more write. Returns the error
   the sink had (the caller reports it whether or not that write succeeds). */
int atr__sink_last_chance(atr__sink *k);
void atr__sink_close(atr__sink *k);
/* After open: a pipe/FIFO/socket is made non-blocking; timeout_ms bounds a stalled write. */
void atr__sink_stream(atr__sink *k, uint32_t timeout_ms);

/* bufpool.c: the session's buffers (all under mu). */
atr__buf *atr__buf_get(atr_session *s); /* an empty buffer; NULL: out of memory */
void atr__buf_put(atr_session *s, atr__buf *b);
/* Every buffer empty and free, except `keep` (emptied, left to its owner); NULL: none. */
void atr__bufpool_reset(atr_session *s, atr__buf *keep);
void atr__bufpool_free(atr_session *s); /* free every buffer (the session is being freed) */
/* The flusher keeps ATR__SPARE_BUFS free buffers with their pages in memory, so that a
   producer taking one does not fault them in on the program's thread: 1 when one is due. */
int atr__bufpool_want_spare(const atr_session *s);
/* Allocate one (lets go of s->mu meanwhile; after a failure, no more spares). */
void atr__bufpool_add_spare(atr_session *s);

/* types.c: definitions (under mu): room for a record of len bytes at defs + defs_len, then
   its end; type interning: a thread's cache, the session's table. */
int atr__defs_reserve(atr_session *s, size_t len);
void atr__defs_commit(atr_session *s, size_t end);
void atr__types_init(atr_session *s, atr__types *t);
void atr__types_free(atr_session *s);

/* A thread state ends here (the flusher reaps exited threads, a forked child the others). */
/* th starts a new buffer: the function ids seen so far are not in its summary. */
static inline void atr__thread_fn_restamp(atr__thread *th) {
    if (++th->fn_stamp == 0) { /* wrapped: forget every mark */
        if (th->fn_seen)
            memset(th->fn_seen, 0, th->cap_seen * sizeof *th->fn_seen);
        th->fn_stamp = 1;
    }
}

static inline void atr__thread_free(atr__thread *th) {
    free(th->fn_seen);
    free(th);
}

/* The drop counters as they are now (relaxed reads). */
static inline void atr__session_drops(const atr_session *s, atr_drop_stats *d) {
    atr_session *m = (atr_session *)s; /* atomics are read-only here */
    d->records = atomic_load_explicit(&m->n_drop_records, memory_order_relaxed);
    d->bytes = atomic_load_explicit(&m->n_drop_bytes, memory_order_relaxed);
    d->oversize = atomic_load_explicit(&m->n_oversize, memory_order_relaxed);
    d->capture_errors = atomic_load_explicit(&m->n_capture_errors, memory_order_relaxed);
    d->write_errors = atomic_load_explicit(&m->n_write_errors, memory_order_relaxed);
}

/* What a segment written by the flusher holds (findex.c): a thread's records (CHUNK with its
   state, then the records, `glue` on the CHUNK keeps the two in one frame), or records not
   bound to a thread (thread ATR__SEG_META). */
#define ATR__SEG_META UINT32_MAX
#define ATR__SEG_BROKEN (UINT32_MAX - 1) /* a thread's records whose state is unknown */
typedef struct atr__segmeta {
    uint32_t thread;
    uint32_t glue;           /* 1: the next segment goes in the same frame */
    uint64_t tmin, tmax;     /* tmin > tmax: no timed record */
    uint64_t seq_lo, seq_hi; /* first and last START's seq (0: none) */
    const uint32_t *fn;      /* distinct function ids of its STARTs */
    size_t n_fn;
} atr__segmeta;

/* findex.c: the frame index of a sink's file. Note a frame written at `offset` (metas NULL:
   records not bound to a thread); write the footer (close, a rotation's close). */
void atr__findex_note(atr__sink *k, uint64_t offset, uint64_t size, const atr__segmeta *metas,
                      size_t n);
void atr__findex_finish(atr__sink *k);

/* frames.c: a log's bytes. Write segs as frames of about ATR__FRAME_TARGET (to the session's
   file, or to k); header + PROCESS (+ SAMPLING, RECORDING) as a file's first bytes. */
int atr__write_segments(atr_session *s, const atr__seg *segs, size_t n);
int atr__write_segments_to(atr_session *s, atr__sink *k, const atr__seg *segs, size_t n);
/* Same, with what each segment holds (metas[i] for segs[i]; NULL: not a thread's records). */
int atr__write_segments_meta(atr_session *s, atr__sink *k, const atr__seg *segs,
                             const atr__segmeta *metas, size_t n);
int atr__session_write_process(atr_session *s);

/* rotate.c */
/* What is wrong with the rotation and sampling fields (atr_writer_config_problem), or NULL. */
const char *atr__rotate_problem(const atr_writer_config *c);
void atr__rotate_open(atr_session *s); /* at open: sampling state, stale parts deleted */
/* Flusher, s->mu held: start the next file when the current one is full (may drop mu). */
void atr__rotate_cycle(atr_session *s);
/* Under mu: a RECORDING record when the state the log says is not the current one (t_ns
   ATR_NOW: the clock is read only then). */
void atr__rotate_note_recording(atr_session *s, uint64_t t_ns);
/* After the flusher stopped (close): END_OF_LOG into the previous file and close it. */
void atr__rotate_close(atr_session *s);
void atr__rotate_after_fork(atr_session *s); /* child: forget the parent's files */

/* flusher.c */
int atr__flusher_start(atr_session *s);
/* Under s->mu: start again a flusher atr_flushers_pause stopped (0 if none was). */
int atr__flusher_unpark(atr_session *s);
/* Final cycle, then join. ATR_EIO: the flusher is stuck in a write (detached, left the
   session): the caller must not free the session. */
int atr__flusher_stop(atr_session *s);
/* Under mu: wait until cycle `req` is done, bounded (ATR_EIO: the flusher seems stuck). */
int atr__flusher_wait(atr_session *s, uint64_t req);
void atr__flush_scratch_free(struct atr__flush_scratch *sc);

/* registry.c: open sessions, the calling thread's state in each, fork handlers. */
void atr__session_sync_init(atr_session *s); /* mutex and condition variables */
int atr__registry_add(atr_session *s);       /* assigns s->serial */
void atr__registry_remove(atr_session *s);
/*
 * The calling thread's state in the session it used last (read inline by the hot path).
 * Why thread-local (and global): the hot path must find the calling thread's state without
 * a lock or a search. `serial` tells a new session at a reused address from the old one.
 * Initial-exec keeps the access a single load inside a dlopen'ed extension module.
 */
typedef struct atr__tcache {
    atr_session *s;
    uint64_t serial;
    atr__thread *th;
} atr__tcache;
extern __thread atr__tcache atr__t_cache __attribute__((tls_model("initial-exec")));
/* The cache missed: find or register the calling thread's state (resuming a forked child's
   session first), and cache it. */
int atr__thread_lookup_slow(atr_session *s, atr__thread **out);
uint64_t atr__random_uid(void);          /* a log's uid: random, never 0 */
int atr__session_resume(atr_session *s); /* first call in a forked child: its own log */
/* The log's tail: DROPS, END_OF_LOG and the frame index (session.c). By the closing thread
   once the flusher has stopped, or by the flusher itself before a fatal signal's default
   action ends the process (signals.c). The sink's error or the disk-full status. */
int atr__session_write_tail(atr_session *s);

/* session.c */
/* The clock a session without an injected clock uses: ATR_CLOCK_TSC or ATR_CLOCK_MONOTONIC,
   from the config's clock_source, ARGTRACE_CLOCK's value (NULL: unset) and the machine. */
int atr__clock_select(int clock_source, const char *env, const atr__tsc_probe *p);

#endif /* ATR_WRITER_WRITER_INTERNAL_H */
