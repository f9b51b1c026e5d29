/*
 * A log's bytes: its first bytes (header + PROCESS, then SAMPLING/RECORDING when they apply)
 * and records written as zstd frames of about ATR__FRAME_TARGET, to the session's file or to
 * another one (rotate.c's previous file). Used by the flusher, rotate.c, and single-threaded
 * callers (open, close, a forked child's resume); calls only sink.c and the format.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "writer/writer_internal.h"

int atr__write_segments(atr_session *s, const atr__seg *segs, size_t n) {
    return atr__write_segments_to(s, &s->sink, segs, n);
}

int atr__write_segments_to(atr_session *s, atr__sink *k, const atr__seg *segs, size_t n) {
    return atr__write_segments_meta(s, k, segs, NULL, n);
}

int atr__write_segments_meta(atr_session *s, atr__sink *k, const atr__seg *segs,
                             const atr__segmeta *metas, size_t n) {
    size_t i = 0, j, total;
    int rc = 0;
    while (i < n) {
        const uint8_t *out;
        size_t out_len;
        uint64_t at = k->off;
        int r;
        total = segs[i].len;
        j = i + 1;
        if (metas) /* a CHUNK and its records: one unit */
            while (metas[j - 1].glue && j < n)
                total += segs[j++].len;
        while (j < n) {
            size_t unit = segs[j].len, e = j + 1;
            if (metas)
                while (metas[e - 1].glue && e < n)
                    unit += segs[e++].len;
            if (total + unit > ATR__FRAME_TARGET)
                break;
            total += unit;
            j = e;
        }
        if (k->err)
            r = k->err;
        else if ((r = atr__framer_compress(s->framer, segs + i, j - i, &out, &out_len)) == 0)
            r = atr__sink_write(k, out, out_len);
        if (r == 0)
            atr__findex_note(k, at, out_len, metas ? metas + i : NULL, j - i);
        if (r != 0) {
            atomic_fetch_add_explicit(&s->n_write_errors, 1, memory_order_relaxed);
            if (!rc)
                rc = r;
        }
        i = j;
    }
    return rc;
}

/* Header + PROCESS as the file's first bytes (open, a forked child's resume, a rotation's
   next file), then SAMPLING when sampling, RECORDING when recording is off. */
int atr__session_write_process(atr_session *s) {
    uint8_t hdr[ATR__HEADER_SIZE], extra[64];
    atr__cur x = atr__cur_make(extra, 0, sizeof extra);
    atr__process_desc p;
    atr__cur c = atr__cur_make(NULL, 0, 0);
    atr__seg seg;
    uint8_t *rec;
    int rc;
    memset(&p, 0, sizeof p);
    p.pid = (int64_t)getpid();
    p.host = s->host;
    p.argc = s->cfg.argc;
    p.argv = (const char *const *)s->argv;
    p.runtime = s->runtime;
    p.tool = "argtrace " ATR_VERSION_STRING;
    p.clock_ns = s->clock_origin;
    p.wall_ns = atr__clock_wall_ns();
    if (s->part) /* the wall time at clock_ns, the session's open */
        p.wall_ns -= atr__session_now(s) - s->clock_origin;
    p.uid = s->uid;
    p.parent_uid = s->parent_uid;
    p.parent_span = s->parent_span;
    p.part = s->part;
    if (s->clock_source != ATR_CLOCK_INJECTED) /* atr__session_now rounds the built-in ones */
        p.time_quantum_ns = ATR__TIME_QUANTUM_NS;
    if (s->gated)
        atr__enc_sampling(&x, s->cfg.sample_rate, s->cfg.sample_random, s->cfg.sample_seed);
    if (atr__recording_off(s))
        atr__enc_recording(&x, atr__session_now(s), 0);
    atr__enc_process(&c, &p); /* size pass */
    rec = malloc(c.pos);
    if (!rec)
        return ATR_ENOMEM;
    c = atr__cur_make(rec, 0, c.pos);
    atr__enc_process(&c, &p);
    atr__frame_header(hdr);
    rc = atr__sink_write(&s->sink, hdr, sizeof hdr);
    if (rc != 0)
        atomic_fetch_add(&s->n_write_errors, 1);
    seg.ptr = rec;
    seg.len = c.pos;
    if (rc == 0)
        rc = atr__write_segments(s, &seg, 1);
    if (rc == 0 && x.pos) {
        seg.ptr = extra;
        seg.len = x.pos;
        rc = atr__write_segments(s, &seg, 1);
    }
    free(rec);
    return rc == ATR_ENOMEM ? rc : 0; /* write errors are sticky: reported by flush/close */
}
