/*
 * Long-running processes: rotation of the log into several files, sampling settings, and
 * the RECORDING records that say when recording was paused and resumed.
 *
 * Rotation. The log of one process is a set of files: "<path>" (part 0), "<path>.1",
 * "<path>.2", ... Each file stands alone: header, PROCESS (with `part`), SAMPLING, every
 * FUNCTION and CALIBRATION record so far, and per thread THREAD + SYNC before its first
 * record, so that span numbers continue (docs/FORMAT.md 3.1). When the flusher finds the
 * current file holding max_file_bytes or more at the start of a cycle, it opens the next
 * file, writes its head, and moves the session's epoch on (under s->mu). Each thread buffer
 * is tagged with the epoch its records were encoded for (times are deltas from the thread's
 * previous record in the same file): a thread whose cached epoch is old switches to a fresh
 * buffer and restarts its time base on its next call (thread.c, switch_file).
 * A record a thread was encoding while the epoch moved still belongs to the previous file,
 * which stays open (s->prev) for them until the next rotation; anything older is dropped and
 * counted (a write error). The definitions such a record needs are in the previous file: a
 * function defined after the move is defined under s->mu, so its thread sees the new epoch.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/clock.h"
#include "writer/writer_internal.h"

#define MIN_FILE_BYTES 4096u

const char *atr__rotate_problem(const atr_writer_config *c) {
    if (c->max_file_bytes != 0 && c->max_file_bytes < MIN_FILE_BYTES)
        return "max_file_bytes must be 0 (one file) or at least 4096";
    if (!(c->sample_rate > 0.0 && c->sample_rate <= 1.0)) /* NaN fails too */
        return "sample_rate must be above 0 and at most 1";
    if (c->sample_random != 0 && c->sample_random != 1)
        return "sample_random must be 0 or 1";
    return NULL;
}

/* "<path>" for part 0, "<path>.<part>" after (malloc'd; NULL: out of memory). */
static char *part_name(const char *path, uint32_t part) {
    size_t n = strlen(path) + 16;
    char *p = malloc(n);
    if (!p)
        return NULL;
    if (part)
        snprintf(p, n, "%s.%u", path, (unsigned)part);
    else
        snprintf(p, n, "%s", path);
    return p;
}

/* Delete "<path>.<digits>" files beside path: an earlier run's later parts. */
static void delete_stale_parts(const char *path) {
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) : 0, blen;
    char dir[4096];
    const char *base = slash ? slash + 1 : path;
    struct dirent *e;
    DIR *d;
    if (dlen >= sizeof dir)
        return;
    memcpy(dir, path, dlen);
    dir[dlen] = '\0';
    if (!(d = opendir(dlen ? dir : ".")))
        return;
    blen = strlen(base);
    while ((e = readdir(d)) != NULL) {
        const char *p = e->d_name + blen + 1;
        char full[4096 + 256];
        if (strncmp(e->d_name, base, blen) != 0 || e->d_name[blen] != '.' || !*p)
            continue;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p)
            continue;
        snprintf(full, sizeof full, "%s/%s", dlen ? dir : ".", e->d_name);
        (void)unlink(full); /* a symbolic link is removed itself, never followed */
    }
    closedir(d);
}

void atr__rotate_open(atr_session *s) {
    const atr_writer_config *c = &s->cfg;
    if (c->sample_rate >= 1.0) {
        s->rate_fp = UINT64_C(1) << 32;
    } else {
        s->rate_fp = (uint64_t)(c->sample_rate * 4294967296.0);
        if (s->rate_fp == 0)
            s->rate_fp = 1;
    }
    s->gated = s->rate_fp < (UINT64_C(1) << 32);
    if (s->gated && c->sample_random && c->sample_seed == 0) {
        uint64_t v = 0;
        if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
            v = atr__clock_monotonic_ns() ^ atr__clock_wall_ns();
        s->cfg.sample_seed = v ? v : 1;
    }
    s->rec_written = 1;
    if (c->max_file_bytes && s->sink.reserve)
        delete_stale_parts(s->path);
}

/* END_OF_LOG into the previous file, then close it. Flusher-owned (or after it stopped). */
static void close_prev(atr_session *s) {
    uint8_t tail[16];
    atr__cur c = atr__cur_make(tail, 0, sizeof tail);
    atr__seg seg;
    if (s->prev.fd < 0)
        return;
    atr__enc_end_of_log(&c, atr__session_now(s));
    seg.ptr = tail;
    seg.len = c.pos;
    (void)atr__write_segments_to(s, &s->prev, &seg, 1);
    atr__findex_finish(&s->prev);
    atr__sink_close(&s->prev);
}

void atr__rotate_cycle(atr_session *s) {
    atr__sink next;
    char *name;
    int rc;
    if (!s->cfg.max_file_bytes || !s->sink.reserve || s->sink.err ||
        s->sink.off < s->cfg.max_file_bytes || s->part == UINT32_MAX)
        return;
    pthread_mutex_unlock(&s->mu); /* file system work: the program's threads go on */
    name = part_name(s->path, s->part + 1);
    rc = name ? atr__sink_open(&next, name) : ATR_ENOMEM;
    if (rc == 0) {
        close_prev(s);
        s->prev = s->sink;
        s->sink = next;
        s->part++;
        (void)atr__session_write_process(s); /* errors are sticky in the new sink */
        if (s->cfg.keep_files && s->part >= s->cfg.keep_files) {
            char *old = part_name(s->path, s->part - s->cfg.keep_files);
            if (old)
                (void)unlink(old);
            free(old);
        }
    }
    free(name);
    pthread_mutex_lock(&s->mu);
    if (rc != 0)
        return; /* the current file goes on growing; tried again next cycle */
    s->prev_defs_from = s->defs_flushed;
    s->prev_defs_due = 1;
    s->defs_flushed = 0; /* the new file gets every definition, calibration */
    s->calib_flushed = 0;
    atomic_store_explicit(&s->epoch, atomic_load(&s->epoch) + 1, memory_order_release);
}

/* Append RECORDING [15, t, on] to s->ctl (under mu); dropped when the buffer is full. */
static void ctl_recording(atr_session *s, uint64_t t, int on) {
    atr__cur c = atr__cur_make(s->ctl, s->ctl_len, sizeof s->ctl);
    atr__enc_recording(&c, t, on);
    if (atr__cur_ok(&c))
        s->ctl_len = c.pos;
    s->rec_written = on;
}

void atr__rotate_note_recording(atr_session *s, uint64_t t_ns) {
    uint64_t tsig = 0, ch = atr__toggle_changes(&tsig), k;
    int g_off = atomic_load_explicit(&atr__g_toggle_off, memory_order_relaxed);
    int paused = atomic_load_explicit(&s->paused, memory_order_relaxed);
    int now_on = !(g_off | paused);
    if (ch == s->toggle_seen && now_on == s->rec_written)
        return; /* nothing to say (and an injected clock is not read) */
    if (t_ns == ATR_NOW)
        t_ns = atr__session_now(s);
    /* Each signal since the last look, in order, with its own time (CLOCK_MONOTONIC, as
       the session clock; an injected clock gets the time of this look): a pause shorter
       than a flush cycle is still a gap in the log. */
    k = ch - s->toggle_seen > ATR__TOGGLE_TIMES ? ch - ATR__TOGGLE_TIMES : s->toggle_seen;
    for (k = k + 1; k <= ch; k++) {
        int on = !((g_off ^ (int)((ch - k) & 1)) | paused);
        uint64_t t = s->clock_source == ATR_CLOCK_INJECTED ? t_ns : atr__toggle_time(k);
        if (on != s->rec_written)
            ctl_recording(s, t, on);
    }
    s->toggle_seen = ch;
    if (now_on != s->rec_written)
        ctl_recording(s, t_ns, now_on);
}

int atr_session_set_recording(atr_session *s, int on) {
    if (!s || (on != 0 && on != 1))
        return ATR_EINVAL;
    if (atomic_load_explicit(&s->blocked, memory_order_acquire) == ATR__STOPPED)
        return ATR_ESTATE;
    atr__mu_lock(s);
    atomic_store(&s->paused, !on);
    atr__rotate_note_recording(s, ATR_NOW);
    atr__mu_unlock(s);
    return 0;
}

int atr_span_skipped(uint64_t span) { return span >= ATR__SKIP_TAG; }

void atr__rotate_close(atr_session *s) { close_prev(s); }

void atr__rotate_after_fork(atr_session *s) {
    atr__thread *th;
    atr__sink_close(&s->prev); /* the parent's file: never written by the child */
    s->prev.err = 0;
    s->part = 0;
    s->prev_defs_due = 0;
    s->ctl_len = 0;
    s->rec_written = 1; /* the child's first file says "off" itself (write_process) */
    for (th = s->threads; th; th = th->next) {
        th->epoch = atomic_load(&s->epoch);
        th->buf->epoch = th->epoch;
    }
}
