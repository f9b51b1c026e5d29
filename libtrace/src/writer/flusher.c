/*
 * The flusher thread: every flush_interval_ms, or when asked, it collects what the threads
 * have committed and appends it to the file as zstd frames.
 *
 * One cycle: under s->mu it takes the FIFO of full buffers, snapshots each live buffer's
 * committed offset (acquire) and copies the new FUNCTION and TYPE records; outside the lock it writes
 * definitions first, then per buffer a CHUNK record and the bytes [flushed, committed): a
 * thread's full buffers (in push order) come before its live buffer, so each thread's
 * records keep their order. Then, under the lock again, drained buffers go back to the pool,
 * exited threads are freed, and waiting producers and flush callers are woken. A cycle run
 * because full buffers add up to a frame takes those only: live buffers wait for the
 * interval's cycle or a flush, so that most buffers are written whole and indexed from the
 * summary their thread noted (writer_internal.h atr__bufsum) instead of scanned.
 *
 * A TSC session's clock is (re)calibrated at the start of a cycle when one is due
 * (common/tsc.h), under s->mu so that a fork never copies a half-written calibration.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/clock.h"
#include "writer/writer_internal.h"

typedef struct flush_item {
    atr__buf *buf;
    size_t from, to;   /* its new bytes */
    size_t tfrom, tto; /* its new deltas of the TIMES column */
    uint32_t thread;
    uint32_t epoch;                /* the file its records belong to (rotate.c) */
    int queued;                    /* from the FIFO: back to the pool afterwards */
    atr__thread *reap;             /* exited thread to free afterwards */
    uint8_t chunk[ATR__CHUNK_MAX]; /* CHUNK record with the thread's state (format 1.3) */
    uint8_t times[8];              /* TIMES record's head: [18, bin of the two planes] */
} flush_item;

/* A thread's state (FORMAT.md 3.5) after the bytes written so far to file `epoch`: the
   state a reader has there, so that each CHUNK can carry it (frames decode alone). */
typedef struct flush_tstate {
    uint32_t epoch;
    int valid;  /* 0: no record of the thread in that file yet, or the scan failed */
    int broken; /* the scan failed: CHUNKs of this file carry no state */
    atr__scan_state st;
} flush_tstate;

struct atr__flush_scratch {
    flush_item *items;
    size_t n_items;
    uint64_t cap_items;
    atr__seg *segs;
    uint64_t cap_segs;
    uint8_t *defs; /* copy of the definitions to write */
    size_t defs_len;
    uint64_t defs_cap;
    size_t *cuts; /* record ends in defs */
    size_t n_cuts;
    uint64_t cap_cuts;
    uint8_t drops[96];               /* DROPS record */
    uint8_t calib[ATR__CALIB_BYTES]; /* CALIBRATION records not yet written */
    size_t calib_len;
    uint8_t ctl[512]; /* RECORDING records (rotate.c) */
    size_t ctl_len;
    flush_tstate *tstate; /* [2 * thread + epoch % 2] */
    uint64_t cap_tstate;
    atr__segmeta *metas; /* what each of segs holds */
    uint64_t cap_metas;
    atr__scan_meta fnpool; /* function ids of the segments' STARTs */
    uint32_t *fn_seen;     /* dedupe per segment: fn_seen[id] == stamp */
    uint64_t cap_seen;
    uint32_t stamp;
    uint32_t epoch;        /* the session's epoch at collect */
    size_t prev_defs_from; /* with prev_defs: definitions from here also go to s->prev */
    int prev_defs;
};

void atr__flush_scratch_free(struct atr__flush_scratch *sc) {
    if (!sc)
        return;
    free(sc->items);
    free(sc->segs);
    free(sc->defs);
    free(sc->cuts);
    free(sc->tstate);
    free(sc->metas);
    free(sc->fnpool.fn);
    free(sc->fn_seen);
    free(sc);
}

/*
 * Under s->mu: the new definitions, the FIFO and the live buffers' committed offsets. A
 * cycle for full buffers only (`live` 0: batch_ready) leaves the live buffers of the current
 * file for the next timed or asked-for cycle: cut there, a buffer would be scanned (both its
 * parts) instead of indexed from its summary when it fills.
 */
static int collect(atr_session *s, struct atr__flush_scratch *sc, int live) {
    uint32_t nd = s->n_defs, id;
    atr__buf *b;
    atr__thread *th;
    size_t n = 0, i;
    for (b = s->fifo_head; b; b = b->next)
        n++;
    for (th = s->threads; th; th = th->next)
        n++;
    if (atr__grow((void **)&sc->items, &sc->cap_items, n, sizeof(flush_item)))
        return ATR_ENOMEM;
    sc->defs_len = 0;
    sc->n_cuts = 0;
    if (s->defs_flushed < nd) {
        size_t start = s->defs_flushed ? s->def_end[s->defs_flushed - 1] : 0;
        size_t len = s->def_end[nd - 1] - start;
        if (atr__grow((void **)&sc->defs, &sc->defs_cap, len, 1) ||
            atr__grow((void **)&sc->cuts, &sc->cap_cuts, nd - s->defs_flushed, sizeof(size_t)))
            return ATR_ENOMEM;
        memcpy(sc->defs, s->defs + start, len);
        sc->defs_len = len;
        for (id = s->defs_flushed; id < nd; id++)
            sc->cuts[sc->n_cuts++] = s->def_end[id] - start;
        s->defs_flushed = nd;
    }
    sc->prev_defs = s->prev_defs_due;
    sc->prev_defs_from = s->prev_defs_from;
    s->prev_defs_due = 0;
    sc->epoch = atomic_load_explicit(&s->epoch, memory_order_relaxed);
    atr__rotate_note_recording(s, ATR_NOW);
    memcpy(sc->ctl, s->ctl, s->ctl_len);
    sc->ctl_len = s->ctl_len;
    s->ctl_len = 0;
    sc->calib_len = s->calib_len - s->calib_flushed;
    memcpy(sc->calib, s->calib + s->calib_flushed, sc->calib_len);
    s->calib_flushed = s->calib_len;
    i = 0;
    for (b = s->fifo_head; b; b = b->next, i++) {
        flush_item *it = &sc->items[i];
        uint64_t c = atomic_load_explicit(&b->committed, memory_order_acquire);
        it->buf = b;
        it->from = b->flushed;
        it->to = ATR__COMMIT_BYTES(c);
        it->tfrom = b->tflushed;
        it->tto = ATR__COMMIT_TIMES(c);
        it->thread = b->thread;
        it->epoch = b->epoch;
        it->queued = 1;
        it->reap = NULL;
    }
    s->fifo_head = s->fifo_tail = NULL;
    for (th = s->threads; th; th = th->next) {
        flush_item *it = &sc->items[i];
        uint64_t c;
        if (!live && !th->finished && th->buf->epoch == sc->epoch)
            continue;
        i++;
        c = atomic_load_explicit(&th->buf->committed, memory_order_acquire);
        it->buf = th->buf;
        it->from = th->buf->flushed;
        it->to = ATR__COMMIT_BYTES(c);
        it->tfrom = th->buf->tflushed;
        it->tto = ATR__COMMIT_TIMES(c);
        it->thread = th->number;
        it->epoch = th->buf->epoch;
        it->queued = 0;
        it->reap = th->finished ? th : NULL;
    }
    sc->n_items = i;
    return 0;
}

/* Segments of the definitions from FUNCTION id `from` on: whole records, about a frame
   target each. */
static size_t defs_segs(struct atr__flush_scratch *sc, size_t from, atr__seg *segs) {
    size_t n = 0, k, prev = from ? sc->cuts[from - 1] : 0;
    for (k = from; k < sc->n_cuts; k++) {
        if (sc->cuts[k] - prev < ATR__FRAME_TARGET / 2 && k + 1 < sc->n_cuts)
            continue;
        segs[n].ptr = sc->defs + prev;
        segs[n++].len = sc->cuts[k] - prev;
        prev = sc->cuts[k];
    }
    return n;
}

/* The state of `thread` in file `epoch` (NULL: out of memory). */
static flush_tstate *tstate(struct atr__flush_scratch *sc, uint32_t thread, uint32_t epoch) {
    uint64_t need = 2 * (uint64_t)thread + 2, old = sc->cap_tstate;
    flush_tstate *t;
    if (need > old) {
        if (atr__grow((void **)&sc->tstate, &sc->cap_tstate, need, sizeof *t))
            return NULL;
        memset(sc->tstate + old, 0, (sc->cap_tstate - old) * sizeof *t);
    }
    t = &sc->tstate[2 * (uint64_t)thread + (epoch & 1u)];
    if (!t->valid || t->epoch != epoch) {
        memset(t, 0, sizeof *t); /* a thread's state starts afresh in each file */
        t->epoch = epoch;
        t->valid = 1;
    }
    return t;
}

/* CHUNK with the thread's state, then the item's bytes: what they hold and the state after
   them from the buffer's summary (a whole queued buffer), else from a scan. */
static size_t chunk_seg(atr_session *s, struct atr__flush_scratch *sc, flush_item *it,
                        atr__segmeta *mc, atr__segmeta *md) {
    atr__cur c = atr__cur_make(it->chunk, 0, sizeof it->chunk);
    flush_tstate *t = tstate(sc, it->thread, it->epoch);
    atr__scan_meta *m = &sc->fnpool;
    const atr__bufsum *b = &it->buf->sum;
    size_t fn_from = m->n_fn, end = it->to;
    memset(mc, 0, sizeof *mc);
    mc->thread = it->thread;
    mc->glue = 1;
    mc->tmin = UINT64_MAX;
    *md = *mc;
    md->glue = 0;
    if (!t || t->broken) {
        atr__enc_chunk(&c, it->thread);
        md->thread = ATR__SEG_BROKEN; /* not decodable alone: the file gets no index */
        return c.pos;
    }
    atr__enc_chunk_state(&c, it->thread, t->st.time, t->st.seq);
    /* a queued buffer's summary covers its records from b->from on: the bytes before (after
       a cut of the live buffer) are scanned */
    if (it->queued && b->valid && b->from >= it->from && b->from <= it->to)
        end = b->from;
    else
        b = NULL;
    m->tmin = UINT64_MAX;
    m->tmax = m->seq_lo = m->seq_hi = 0;
    if (end > it->from) {
        if (++sc->stamp == 0) { /* stamps wrapped: forget every mark */
            memset(sc->fn_seen, 0, sc->cap_seen * sizeof *sc->fn_seen);
            sc->stamp = 1;
        }
        s->n_idx_scanned++;
        t->st.hi = it->buf->times + it->tfrom;
        t->st.lo = it->buf->times + it->buf->tcap + it->tfrom;
        t->st.n_times = it->tto - it->tfrom;
        t->st.t_pos = 0;
        if (atr__scan_thread(it->buf->data + it->from, end - it->from, &t->st, m, sc->fn_seen,
                             sc->cap_seen, sc->stamp) != 0)
            goto broken;
    }
    if (b) { /* noted as they were written (function ids met twice: deduped by findex.c) */
        uint64_t cap = m->cap_fn;
        if (b->n_fn) {
            if (atr__grow((void **)&m->fn, &cap, m->n_fn + b->n_fn, sizeof *m->fn))
                goto broken;
            m->cap_fn = cap;
            memcpy(m->fn + m->n_fn, b->fn, b->n_fn * sizeof *m->fn);
            m->n_fn += b->n_fn;
        }
        m->tmin = b->tmin < m->tmin ? b->tmin : m->tmin;
        m->tmax = b->tmax > m->tmax ? b->tmax : m->tmax;
        if (!m->seq_lo)
            m->seq_lo = b->seq_lo;
        if (b->seq_hi)
            m->seq_hi = b->seq_hi;
        t->st.time = b->time;
        t->st.seq = b->seq;
        s->n_idx_summed++;
        s->n_idx_mixed += end > it->from;
    }
    md->tmin = m->tmin;
    md->tmax = m->tmax;
    md->seq_lo = m->seq_lo;
    md->seq_hi = m->seq_hi;
    md->fn = (const uint32_t *)(uintptr_t)fn_from; /* an offset until the pool stops moving */
    md->n_fn = m->n_fn - fn_from;
    return c.pos;
broken:
    t->broken = 1;
    m->n_fn = fn_from;
    md->thread = ATR__SEG_BROKEN;
    return c.pos;
}

/* TIMES [18, bin]: its head into it->times (the bin's two planes follow as segments). */
static size_t times_head(flush_item *it) {
    atr__cur c = atr__cur_make(it->times, 0, sizeof it->times);
    atr__enc_array_hdr(&c, 2);
    atr__enc_uint(&c, ATR__REC_TIMES);
    atr__enc_bin_hdr(&c, 2 * (it->tto - it->tfrom));
    return c.pos;
}

/* CHUNK, TIMES (its head, then the high and the low bytes of its deltas) + new bytes of the
   items of file `epoch`: segments glued into one frame, what they hold on the last one. */
static size_t item_segs(atr_session *s, struct atr__flush_scratch *sc, uint32_t epoch,
                        atr__seg *segs, atr__segmeta *metas) {
    size_t n = 0, i, k;
    for (i = 0; i < sc->n_items; i++) {
        flush_item *it = &sc->items[i];
        size_t nt = it->tto - it->tfrom;
        if (it->to <= it->from || it->epoch != epoch)
            continue;
        segs[n].ptr = it->chunk;
        k = nt ? 4 : 1; /* segments before the records */
        segs[n].len = chunk_seg(s, sc, it, &metas[n], &metas[n + k]);
        if (nt) {
            segs[n + 1].ptr = it->times;
            segs[n + 1].len = times_head(it);
            segs[n + 2].ptr = it->buf->times + it->tfrom;
            segs[n + 3].ptr = it->buf->times + it->buf->tcap + it->tfrom;
            segs[n + 2].len = segs[n + 3].len = nt;
            metas[n + 1] = metas[n + 2] = metas[n + 3] = metas[n];
        }
        segs[n + k].ptr = it->buf->data + it->from;
        segs[n + k].len = it->to - it->from;
        n += k + 1;
    }
    return n;
}

/* Segments [from, n) hold no thread's records. */
static void meta_segs(atr__segmeta *metas, size_t from, size_t n) {
    for (; from < n; from++) {
        memset(&metas[from], 0, sizeof metas[from]);
        metas[from].thread = ATR__SEG_META;
    }
}

/* The function ids of the segments: offsets into the pool become pointers. */
static void resolve_fn(struct atr__flush_scratch *sc, atr__segmeta *metas, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (metas[i].thread < ATR__SEG_BROKEN) /* an empty pool may have no array */
            metas[i].fn = sc->fnpool.fn ? sc->fnpool.fn + (uintptr_t)metas[i].fn : NULL;
}
/*
 * After a rotation (rotate.c): records encoded for the previous file go there, with the
 * definitions it has not seen; records for an older, closed file are lost (counted).
 */
static void write_prev(atr_session *s, struct atr__flush_scratch *sc) {
    size_t n = 0, i;
    if (sc->epoch == 0)
        return;
    for (i = 0; i < sc->n_items; i++) {
        const flush_item *it = &sc->items[i];
        if (it->to > it->from && it->epoch + 1 < sc->epoch)
            atomic_fetch_add_explicit(&s->n_write_errors, 1, memory_order_relaxed);
    }
    if (s->prev.fd < 0)
        return;
    if (sc->prev_defs && sc->prev_defs_from < sc->n_cuts)
        n = defs_segs(sc, sc->prev_defs_from, sc->segs);
    meta_segs(sc->metas, 0, n);
    n += item_segs(s, sc, sc->epoch - 1, sc->segs + n, sc->metas + n);
    resolve_fn(sc, sc->metas, n);
    if (n)
        atr__write_segments_meta(s, &s->prev, sc->segs, sc->metas, n);
}

/* Outside the lock: definitions, then each buffer's new bytes behind a CHUNK, then DROPS. */
static void write_out(atr_session *s, struct atr__flush_scratch *sc) {
    size_t n = 0, i, first_item;
    uint64_t funcs = atomic_load_explicit(&s->n_funcs, memory_order_acquire), old = sc->cap_seen;
    atr_drop_stats d;
    if (atr__grow((void **)&sc->segs, &sc->cap_segs, sc->n_cuts + 5 * sc->n_items + 3,
                  sizeof(atr__seg)) ||
        atr__grow((void **)&sc->metas, &sc->cap_metas, sc->n_cuts + 5 * sc->n_items + 3,
                  sizeof(atr__segmeta))) {
        atomic_fetch_add_explicit(&s->n_write_errors, 1, memory_order_relaxed);
        return;
    }
    if (funcs > old &&
        atr__grow((void **)&sc->fn_seen, &sc->cap_seen, funcs, sizeof(uint32_t)) == 0)
        memset(sc->fn_seen + old, 0, (sc->cap_seen - old) * sizeof(uint32_t));
    sc->fnpool.n_fn = 0;
    write_prev(s, sc);
    sc->fnpool.n_fn = 0;
    n = defs_segs(sc, 0, sc->segs);
    if (sc->calib_len) {
        sc->segs[n].ptr = sc->calib;
        sc->segs[n++].len = sc->calib_len;
    }
    if (sc->ctl_len) {
        sc->segs[n].ptr = sc->ctl;
        sc->segs[n++].len = sc->ctl_len;
    }
    meta_segs(sc->metas, 0, n);
    first_item = n;
    n += item_segs(s, sc, sc->epoch, sc->segs + n, sc->metas + n);
    resolve_fn(sc, sc->metas + first_item, n - first_item);
    atr__session_drops(s, &d);
    if (memcmp(&d, &s->drops_written, sizeof d) != 0) {
        atr__cur c = atr__cur_make(sc->drops, 0, sizeof sc->drops);
        atr__enc_drops(&c, &d);
        sc->segs[n].ptr = sc->drops;
        sc->segs[n++].len = c.pos;
        meta_segs(sc->metas, n - 1, n);
        s->drops_written = d;
    }
    if (n)
        atr__write_segments_meta(s, &s->sink, sc->segs, sc->metas, n);
    for (i = 0; i < sc->n_items; i++) {
        flush_item *it = &sc->items[i];
        it->buf->flushed = it->to;
        it->buf->tflushed = it->tto;
        if (!it->queued && it->to > it->from) /* its owner restarts the buffer's summary */
            atomic_store_explicit(&it->buf->cut, it->to, memory_order_relaxed);
    }
}

/* Under s->mu: give drained buffers back, free exited threads, wake waiters. */
static void finish(atr_session *s, struct atr__flush_scratch *sc) {
    size_t i;
    for (i = 0; i < sc->n_items; i++) {
        flush_item *it = &sc->items[i];
        if (it->queued) {
            atr__buf_put(s, it->buf);
            s->pending_bytes -= it->buf->cap;
        }
        if (it->reap) {
            atr__thread **pp;
            for (pp = &s->threads; *pp; pp = &(*pp)->next) {
                if (*pp == it->reap) {
                    *pp = it->reap->next;
                    break;
                }
            }
            atr__buf_put(s, it->reap->buf);
            atr__thread_free(it->reap);
        }
    }
    sc->n_items = 0;
    s->stalled = 0; /* space was given back: producers may wait again */
    s->write_err = s->sink.err;
    pthread_cond_broadcast(&s->space_cv);
}

static int before(const struct timespec *a, const struct timespec *b) {
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The state letter of /proc/self/task/<name>/stat ('R', 'S', 'Z', ...), or 0. */
static char task_state(const char *name) {
    char path[64], buf[512], *p;
    ssize_t n;
    int fd;
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", name);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * 1 when the flusher is the last live thread of the process. Without it the process would
 * have ended (a forked child whose only thread returned, a C program whose main called
 * pthread_exit): the flusher then writes what is left and returns, and the C library ends
 * the process (exit(0)) as it would have. A thread that exited first stays listed as a
 * zombie until the last one exits: those are not counted. Read from /proc; 0 when it
 * cannot be read.
 */
static int last_thread(void) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int live = 0;
    if (!d)
        return 0;
    while (live < 2 && (e = readdir(d)) != NULL) {
        char st;
        if (e->d_name[0] == '.')
            continue;
        st = task_state(e->d_name);
        if (st == 0) /* cannot tell: assume alive */
            live++;
        else if (st != 'Z' && st != 'X' && st != 'x')
            live++;
    }
    closedir(d);
    return live == 1;
}

/*
 * Under s->mu: full buffers are worth a cycle before the interval ends. The flusher waits
 * until they add up to a frame's worth (ATR__FRAME_TARGET; half of max_pending_bytes when
 * that is smaller, so that producers never run out of room first) or a producer waits for
 * room: frames of ~1 MiB rather than one per 128 KiB buffer compress 2-7% better at the same
 * CPU (each zstd frame starts with no history; bench/bench_process_cpu.py).
 */
static int batch_ready(const atr_session *s) {
    size_t batch = s->cfg.max_pending_bytes / 2;
    if (batch > ATR__FRAME_TARGET)
        batch = ATR__FRAME_TARGET;
    return s->fifo_head && (s->pending_bytes >= batch || s->n_waiting);
}

/* How often the flusher looks for signal flush requests (signals.c) while it sleeps. */
#define SIGNAL_POLL_MS 25

/* Brings *until forward to the TSC clock's next calibration when that comes first: the
   early ones (the window doubling from ATR__TSC_FIRST_NS, common/tsc.h) get a wake-up of
   their own instead of waiting for a cycle, so that a session's clock leaves clock_gettime a
   few ms after the process's first session opens, and its rate error shrinks with each.
   Under s->mu (the calibrator's state). */
static void tsc_due(const atr_session *s, struct timespec *until) {
    if (s->clock_source != ATR_CLOCK_TSC)
        return;
    struct timespec due;
    due.tv_sec = (time_t)(s->tsc.next_ns / 1000000000u);
    due.tv_nsec = (long)(s->tsc.next_ns % 1000000000u);
    if (before(&due, until))
        *until = due;
}

static void *flusher_main(void *arg) {
    atr_session *s = arg;
    struct atr__flush_scratch *sc = s->scratch;
    struct timespec deadline, until, now;
    atr__deadline_after_ms(&deadline, s->cfg.flush_interval_ms);
    pthread_mutex_lock(&s->mu);
    for (;;) {
        uint64_t req, sig = atr__signals_request();
        int stop, live, timed_out = 0;
        while (!s->stop && !s->park && s->flush_req == s->flush_done && !batch_ready(s) &&
               sig == s->sig_seen) {
            if (atr__bufpool_want_spare(s)) { /* lets go of s->mu: look again after */
                atr__bufpool_add_spare(s);
                sig = atr__signals_request();
                continue;
            }
            until = deadline;
            if (atr__signals_installed()) {
                atr__deadline_after_ms(&until, SIGNAL_POLL_MS);
                if (before(&deadline, &until))
                    until = deadline;
            }
            tsc_due(s, &until);
            if (pthread_cond_timedwait(&s->wake_cv, &s->mu, &until) == ETIMEDOUT) {
                if (s->clock_source == ATR_CLOCK_TSC)
                    atr__tsc_calibrate(&s->tsc);
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (!before(&now, &deadline)) {
                    timed_out = 1;
                    break;
                }
            }
            sig = atr__signals_request();
        }
        if (s->park && !s->stop) /* a fork comes (atr_flushers_pause): the buffers wait */
            break;
        if (!timed_out) { /* cycles for full buffers only do not put the deadline off */
            clock_gettime(CLOCK_MONOTONIC, &now);
            timed_out = !before(&now, &deadline);
        }
        if (s->clock_source == ATR_CLOCK_TSC)
            atr__tsc_calibrate(&s->tsc);
        atr__rotate_cycle(s); /* may let go of s->mu for the file system */
        req = s->flush_req;
        stop = s->stop;
        if (timed_out && !stop && last_thread())
            stop = 1; /* nobody is left to close the session: this is the last cycle */
        live = timed_out || stop || req != s->flush_done || sig != s->sig_seen;
        if (collect(s, sc, live) == 0) {
            pthread_mutex_unlock(&s->mu);
            write_out(s, sc);
            pthread_mutex_lock(&s->mu);
            finish(s, sc);
        } else {
            atomic_fetch_add_explicit(&s->n_write_errors, 1, memory_order_relaxed);
        }
        s->flush_done = req;
        if (sig != s->sig_seen) {
            /* A fatal signal's handler waits for this cycle, then the signal's default
               action ends the process (signals.c): the log ends here too, closed, as
               atr_session_close would have ended it, and no frame follows its tail. */
            s->sig_seen = sig;
            if (!s->ended) {
                pthread_mutex_unlock(&s->mu);
                atr__session_write_tail(s);
                atr__rotate_close(s); /* the previous file of a rotated log too */
                pthread_mutex_lock(&s->mu);
                s->ended = 1;
            }
            stop = 1;
            atr__signals_served(s);
        }
        pthread_cond_broadcast(&s->done_cv);
        if (stop)
            break;
        if (live) /* a cycle for full buffers only leaves the live ones their deadline */
            atr__deadline_after_ms(&deadline, s->cfg.flush_interval_ms);
    }
    s->flusher_exited = 1;
    pthread_cond_broadcast(&s->done_cv);
    atr__signals_flusher_count(-1);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int atr__flusher_start(atr_session *s) {
    sigset_t all, old;
    int rc;
    if (!s->scratch && !(s->scratch = calloc(1, sizeof *s->scratch)))
        return ATR_ENOMEM;
    if (s->scratch->tstate) /* a forked child's new log: every thread starts afresh */
        memset(s->scratch->tstate, 0, s->scratch->cap_tstate * sizeof *s->scratch->tstate);
    s->stop = 0;
    s->flusher_exited = 0;
    s->flusher_running = 1;
    atr__signals_flusher_count(1);
    /* The flusher takes no signals: they belong to the embedding program's threads. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&s->flusher, NULL, flusher_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        s->flusher_running = 0;
        atr__signals_flusher_count(-1);
        return ATR_ETHREAD;
    }
    return 0;
}

/* Beyond the sink's own timeout, how long a flush may take before the flusher is "stuck". */
#define STUCK_GRACE_MS 2000u

int atr__flusher_wait(atr_session *s, uint64_t req) {
    struct timespec deadline;
    int rc = 0;
    atr__deadline_after_ms(&deadline, s->cfg.sink_timeout_ms + STUCK_GRACE_MS);
    while (s->flush_done < req && s->flusher_running && !s->flusher_exited) {
        if (pthread_cond_timedwait(&s->done_cv, &s->mu, &deadline) == ETIMEDOUT) {
            rc = ATR_EIO;
            break;
        }
    }
    return rc;
}

int atr__flusher_unpark(atr_session *s) {
    if (!s->parked)
        return 0;
    s->parked = 0;
    int rc = atr__flusher_start(s);
    if (rc == 0)
        pthread_cond_broadcast(&s->space_cv); /* producers waiting for room: look again */
    return rc;
}

int atr__flusher_stop(atr_session *s) {
    int rc;
    atr__mu_lock(s);
    atr__flusher_unpark(s); /* stopped for a fork (atr_flushers_pause): its last cycle */
    if (!s->flusher_running) {
        atr__mu_unlock(s);
        return 0;
    }
    s->stop = 1;
    s->flush_req++;
    pthread_cond_signal(&s->wake_cv);
    rc = atr__flusher_wait(s, UINT64_MAX);
    if (rc == 0 && !s->flusher_exited)
        rc = ATR_EIO;
    atr__mu_unlock(s);
    if (rc != 0) { /* stuck in a write: leave it the session */
        pthread_detach(s->flusher);
        return rc;
    }
    pthread_join(s->flusher, NULL);
    atr__mu_lock(s);
    s->flusher_running = 0;
    pthread_cond_broadcast(&s->done_cv);
    atr__mu_unlock(s);
    return 0;
}
