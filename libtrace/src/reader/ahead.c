/*
 * Decoding ahead: the producer (fill_batch: frames -> parsed records, format/decode.h) runs on
 * a worker thread once the log needs a second batch; the consumer (atr__ahead_next) decodes
 * the parsed records in order (the decoder's stream state: threads, times, span numbers,
 * functions, types) and hands them out.
 *
 * A ring of N_BATCHES batches: the producer fills batch head % N_BATCHES while the consumer
 * reads batch tail % N_BATCHES; head - tail < N_BATCHES keeps them apart (the consumer's
 * current batch stays unreleased until the call after its last record, so the pointers in
 * the record it returned stay valid until the next call). A batch holds the records of one
 * frame only, and the frame's decompressed content (which their strings point into) is
 * counted as used (refs) until the batch is released; the producer decompresses each new
 * frame into a buffer no batch uses. Everything the two sides share is under `lock`.
 */
#include "reader/ahead.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/decode.h"
#include "format/frame_read.h"

#define N_BATCHES 4
#define N_FRAMES (N_BATCHES + 1) /* a frame per published batch, and the producer's own */
#define BATCH_RECORDS 2048
#define BATCH_BYTES (1u << 20) /* msgpack objects of a batch's records */

typedef struct frame_buf {
    uint8_t *buf; /* owned: decompressed content */
    size_t cap;
    unsigned refs; /* published batches holding records of this frame (under lock) */
} frame_buf;

typedef struct batch {
    atr__parsed *ps;       /* owned: up to BATCH_RECORDS records of one frame */
    uint32_t n;            /* records in ps */
    frame_buf *frame;      /* content that they point into (NULL when none) */
    uint64_t frame_offset; /* file offset of that frame */
    uint64_t first_record; /* number of the first record in its frame, from 0 */
    int defs_only;         /* the frame is read for its records not bound to a thread */
    uint64_t pos;          /* bytes of the file read when the batch was closed */
    int status;            /* 0, or the terminal code that follows the records */
    uint64_t err_offset;
    char err[300];
} batch;

struct atr__ahead {
    /* producer side: the worker's, or the caller's before the worker starts */
    const uint8_t *data; /* borrowed */
    size_t len;
    int map;         /* data is a private file mapping (release_behind) */
    size_t released; /* bytes of the mapping given back to the kernel */
    atr__frame_reader *frames;
    atr__frame_sel *sel; /* borrowed: the frames to read, or NULL for all */
    int defs_only;       /* the current frame is read for its definitions only */
    frame_buf frames_buf[N_FRAMES];
    frame_buf *cur; /* frame being decoded, or NULL */
    const uint8_t *content;
    size_t content_len, content_pos;
    uint64_t frame_offset, frame_record;
    int done; /* a batch with a terminal status was filled */

    batch batches[N_BATCHES];

    /* shared */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned head, tail; /* batches published / released */
    int stop;
    int started; /* the worker thread runs (join at free) */
    pthread_t worker;
    pid_t pid; /* the process that started it (a fork()ed child has no worker) */

    /* consumer side */
    atr__decoder *dec;
    batch *reading; /* batch tail % N_BATCHES once taken, or NULL */
    uint32_t next;  /* next record of it */
    uint64_t pos;
    uint64_t frames_seen; /* frames whose first batch was taken */
};

/*
 * The producer only moves forward: the mapped file before the current frame is not read again.
 * Its pages are given back (they would otherwise count in the resident size until the end:
 * 845 MB for a log of 100M calls) every 16 MiB.
 */
static void release_behind(atr__ahead *a) {
    size_t page = 4096, upto = (size_t)a->frame_offset & ~(page - 1);
    if (!a->map || upto < a->released + (16u << 20))
        return;
    madvise((char *)a->data + a->released, upto - a->released, MADV_DONTNEED);
    a->released = upto;
}

/* A frame buffer that no published batch uses and that is not being decoded. */
static frame_buf *free_frame(atr__ahead *a) {
    frame_buf *f = NULL;
    pthread_mutex_lock(&a->lock);
    for (int i = 0; i < N_FRAMES && !f; i++)
        if (a->frames_buf[i].refs == 0 && &a->frames_buf[i] != a->cur)
            f = &a->frames_buf[i];
    pthread_mutex_unlock(&a->lock);
    return f; /* never NULL: at most N_BATCHES - 1 published batches plus cur hold frames */
}

/* Parse records into b until it is full, its frame ends, or the log does (b->status). */
static void fill_batch(atr__ahead *a, batch *b) {
    atr__parsed_clear(b->ps);
    b->status = 0;
    b->frame = NULL;
    b->frame_offset = a->frame_offset;
    b->first_record = a->frame_record;
    b->defs_only = a->defs_only;
    while (atr__parsed_count(b->ps) < BATCH_RECORDS && atr__parsed_bytes(b->ps) < BATCH_BYTES) {
        size_t used = 0;
        int rc;

        if (a->content_pos >= a->content_len) {
            frame_buf *f;
            if (atr__parsed_count(b->ps))
                break; /* a batch holds one frame's records */
            f = free_frame(a);
            if (!f) { /* cannot happen (see free_frame); an error rather than a crash */
                b->status = ATR_ENOMEM;
                b->err_offset = a->frame_offset;
                snprintf(b->err, sizeof b->err, "no free frame buffer");
                break;
            }
            if (a->sel)
                atr__frame_sel_next(a->sel, a->frames);
            rc = atr__frame_next_into(a->frames, &f->buf, &f->cap, &a->content, &a->content_len,
                                      &a->frame_offset, b->err, sizeof b->err);
            if (rc < 0) {
                a->content_len = a->content_pos = 0;
                b->status = rc;
                b->err_offset = a->frame_offset;
                break;
            }
            a->cur = f;
            a->content_pos = 0;
            a->frame_record = 0;
            a->defs_only = a->sel && atr__frame_sel_defs_only(a->sel, a->frame_offset);
            b->frame_offset = a->frame_offset;
            b->first_record = 0;
            b->defs_only = a->defs_only;
            release_behind(a);
            continue;
        }
        rc = atr__parse_record(b->ps, a->content + a->content_pos, a->content_len - a->content_pos,
                               &used);
        if (rc < 0) {
            snprintf(b->err, sizeof b->err, "record %" PRIu64 " of the frame: %s",
                     a->frame_record + 1, atr__parsed_msg(b->ps));
            b->status = rc;
            b->err_offset = a->frame_offset;
            break;
        }
        a->content_pos += used;
        a->frame_record++;
    }
    b->n = atr__parsed_count(b->ps);
    b->pos = atr__frame_reader_pos(a->frames);
    if (b->status)
        a->done = 1;
}

/* Fill the next batch and hand it to the consumer. Called without the lock held. */
static void produce(atr__ahead *a) {
    batch *b = &a->batches[a->head % N_BATCHES];
    fill_batch(a, b);
    pthread_mutex_lock(&a->lock);
    if (b->n) {
        b->frame = a->cur;
        a->cur->refs++;
    }
    a->head++;
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->lock);
}

static void *worker_main(void *arg) {
    atr__ahead *a = arg;
    pthread_mutex_lock(&a->lock);
    for (;;) {
        while (!a->stop && a->head - a->tail == N_BATCHES)
            pthread_cond_wait(&a->cond, &a->lock);
        if (a->stop || a->done)
            break;
        pthread_mutex_unlock(&a->lock);
        produce(a);
        pthread_mutex_lock(&a->lock);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

int atr__ahead_new(const uint8_t *data, size_t len, size_t start, uint32_t major, uint32_t minor,
                   int map, atr__frame_sel *sel, atr__ahead **out) {
    atr__ahead *a = calloc(1, sizeof *a);
    int i, ok;

    *out = NULL;
    if (!a)
        return ATR_ENOMEM;
    if (pthread_mutex_init(&a->lock, NULL) != 0) {
        free(a);
        return ATR_ENOMEM;
    }
    if (pthread_cond_init(&a->cond, NULL) != 0) {
        pthread_mutex_destroy(&a->lock);
        free(a);
        return ATR_ENOMEM;
    }
    a->data = data;
    a->len = len;
    a->map = map;
    a->sel = sel;
    a->pos = start;
    ok = atr__frame_reader_new(data, len, start, &a->frames) == 0 &&
         atr__decoder_new(major, minor, &a->dec) == 0;
    for (i = 0; i < N_BATCHES && ok; i++)
        ok = atr__parsed_new(BATCH_RECORDS, &a->batches[i].ps) == 0;
    if (!ok) {
        atr__ahead_free(a);
        return ATR_ENOMEM;
    }
    *out = a;
    return 0;
}

void atr__ahead_free(atr__ahead *a) {
    int i;
    if (!a)
        return;
    /* in a fork()ed child no worker runs, and the lock may have been held at the fork */
    int child = a->started && getpid() != a->pid;
    if (a->started && !child) {
        pthread_mutex_lock(&a->lock);
        a->stop = 1;
        pthread_cond_broadcast(&a->cond);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->worker, NULL);
    }
    for (i = 0; i < N_BATCHES; i++)
        atr__parsed_free(a->batches[i].ps);
    for (i = 0; i < N_FRAMES; i++)
        free(a->frames_buf[i].buf);
    atr__decoder_free(a->dec);
    atr__frame_reader_free(a->frames);
    if (!child) {
        pthread_cond_destroy(&a->cond);
        pthread_mutex_destroy(&a->lock);
    }
    free(a);
}

/* Start the worker; without one (no thread could be made) the consumer produces itself. */
static void start_worker(atr__ahead *a) {
    sigset_t all, old;
    /* the worker takes no signals: they belong to the program's threads */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    a->pid = getpid();
    a->started = pthread_create(&a->worker, NULL, worker_main, a) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * Release the batch just read and take the next one (waiting for the worker if it runs).
 * ATR_EINVAL in a fork()ed child of the process whose worker runs (it would wait forever).
 */
static int next_batch(atr__ahead *a) {
    if (a->started && getpid() != a->pid)
        return ATR_EINVAL;
    pthread_mutex_lock(&a->lock);
    if (a->reading) {
        if (a->reading->frame)
            a->reading->frame->refs--;
        a->tail++;
        pthread_cond_broadcast(&a->cond);
    }
    pthread_mutex_unlock(&a->lock);
    if (a->reading && !a->started && !a->done)
        start_worker(a); /* a second batch: the log is worth a thread */
    if (!a->started) {
        produce(a);
    } else {
        pthread_mutex_lock(&a->lock);
        while (a->head == a->tail)
            pthread_cond_wait(&a->cond, &a->lock);
        pthread_mutex_unlock(&a->lock);
    }
    a->reading = &a->batches[a->tail % N_BATCHES];
    a->next = 0;
    if (a->reading->n && a->reading->first_record == 0)
        a->frames_seen++;
    return 0;
}

int atr__ahead_next(atr__ahead *a, atr_record *rec, uint64_t *offset, char *msg, size_t msg_size) {
    for (;;) {
        batch *b = a->reading;
        if (b && a->next < b->n) {
            uint32_t i = a->next++;
            int rc = atr__decode_parsed(a->dec, b->ps, i, rec);
            a->pos = b->pos;
            if (rc < 0) {
                *offset = b->frame_offset;
                snprintf(msg, msg_size, "record %" PRIu64 " of the frame: %s",
                         b->first_record + i + 1, atr__decoder_msg(a->dec));
                return rc;
            }
            if (rc == ATR__DECODE_SKIP || (b->defs_only && atr__frame_sel_threaded(rec)))
                continue;
            rec->offset = b->frame_offset;
            return 0;
        }
        if (b && b->status) {
            a->pos = b->pos;
            *offset = b->err_offset;
            snprintf(msg, msg_size, "%s", b->err);
            return b->status;
        }
        if (next_batch(a) < 0) {
            *offset = a->pos;
            snprintf(msg, msg_size,
                     "a reader cannot be used in a child made by fork() while it "
                     "decodes ahead: open the log again");
            return ATR_EINVAL;
        }
    }
}

void atr__ahead_set_want(atr__ahead *a, atr__want_fn want, void *ud) {
    atr__decoder_set_want(a->dec, want, ud);
}

uint64_t atr__ahead_pos(const atr__ahead *a) { return a->pos; }

uint64_t atr__ahead_frames(const atr__ahead *a) { return a->frames_seen; }
