/*
 * The frame index for readers (atr_frames.h): the log's footer (format/findex_read.c), or a
 * rebuild by one scan of every frame (a log without a valid footer: a crashed process, a
 * log older than 1.3), and the selection of frames a reader decodes (reader.c asks through
 * frame_select.h).
 *
 * The rebuild follows each thread's state as a reader would (FORMAT.md 3.5), taking it from
 * CHUNK when CHUNK carries it (1.3). A log with a CHUNK that does not carry it (before 1.3)
 * gets an index that describes its frames but is not selectable: its frames do not decode
 * alone.
 */
#include "argtrace/atr_frames.h"

#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "format/decode.h"
#include "format/findex.h"
#include "format/format.h"
#include "format/frame_read.h"
#include "format/mp_scan.h"
#include "reader/frame_select.h"

struct atr_frame_index {
    atr__findex x;
    int from_footer;
    int selectable;
    uint64_t end; /* end of the last indexed frame */
};

/* --- rebuild ----------------------------------------------------------------------------- */

#define SEEN_IDS (1u << 16) /* function ids deduped by mark; larger ones by sorting */

typedef struct rebuild {
    atr__scan_state *st; /* per thread number */
    uint64_t cap_st;
    uint32_t *seen;
    uint32_t stamp;
    atr__scan_meta m; /* function ids of the frame */
    atr__findex_thread *th;
    uint64_t cap_th;
    uint32_t n_th;
    int stateless; /* a CHUNK without the thread's state */
} rebuild;

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The frame's entry for `thread` (added when new); NULL: out of memory. */
static atr__findex_thread *frame_thread(rebuild *b, uint32_t thread) {
    uint32_t k;
    for (k = 0; k < b->n_th; k++)
        if (b->th[k].thread == thread)
            return &b->th[k];
    if (atr__grow((void **)&b->th, &b->cap_th, (uint64_t)b->n_th + 1, sizeof *b->th))
        return NULL;
    b->th[b->n_th].thread = thread;
    b->th[b->n_th].seq_lo = b->th[b->n_th].seq_hi = 0;
    return &b->th[b->n_th++];
}

/* CHUNK: the current thread, and its state when CHUNK carries it. */
static int scan_chunk(rebuild *b, atr__mp *r, uint32_t size, int64_t *cur) {
    uint64_t thread = atr__mp_uint(r), need = thread + 1, old = b->cap_st;
    if (r->bad || thread >= ATR__THREADS_MAX)
        return ATR_ECORRUPT;
    if (need > old) {
        if (atr__grow((void **)&b->st, &b->cap_st, need, sizeof *b->st))
            return ATR_ENOMEM;
        memset(b->st + old, 0, (b->cap_st - old) * sizeof *b->st);
    }
    if (size >= 4) {
        b->st[thread].time = atr__mp_uint(r);
        b->st[thread].seq = atr__mp_uint(r);
    } else {
        b->stateless = 1;
    }
    b->st[thread].n_times = 0; /* its TIMES, if any, comes next */
    *cur = (int64_t)thread;
    return frame_thread(b, (uint32_t)thread) ? 0 : ATR_ENOMEM;
}

/* TIMES [18, bin] (2.0): the current thread's column for its records after it (pointing into
   the frame's content, which outlives the frame's scan). */
static int scan_times(rebuild *b, atr__mp *r, int64_t cur) {
    uint8_t t = atr__mp_byte(r);
    uint64_t n = t == 0xc4 ? atr__mp_be(r, 1) : t == 0xc5 ? atr__mp_be(r, 2) : atr__mp_be(r, 4);
    atr__scan_state *st;
    if (r->bad || cur < 0 || (t != 0xc4 && t != 0xc5 && t != 0xc6) || n % 2 || n > r->n - r->pos)
        return ATR_ECORRUPT;
    st = &b->st[cur];
    st->hi = r->p + r->pos;
    st->lo = st->hi + n / 2;
    st->n_times = n / 2;
    st->t_pos = 0;
    return 0;
}

/* One frame's content into entry e (times, flags) and b (threads, functions). */
static int scan_frame(rebuild *b, const uint8_t *p, size_t n, atr__findex_entry *e) {
    atr__mp r = {p, n, 0, 0};
    int64_t cur = -1;
    int rc;
    b->n_th = 0;
    b->m.n_fn = 0;
    if (++b->stamp == 0) {
        memset(b->seen, 0, SEEN_IDS * sizeof *b->seen);
        b->stamp = 1;
    }
    while (r.pos < n) {
        atr__mp h = r;
        size_t start = r.pos;
        uint32_t size = atr__mp_array(&h);
        uint64_t type = size ? atr__mp_uint(&h) : 0;
        atr__mp_skip(&r);
        if (r.bad || h.bad || size == 0)
            return ATR_ECORRUPT;
        if (type == ATR__REC_CHUNK) {
            if (size < 2 || (rc = scan_chunk(b, &h, size, &cur)) != 0)
                return size < 2 ? ATR_ECORRUPT : rc;
        } else if (type == ATR__REC_TIMES) {
            if (size < 2 || scan_times(b, &h, cur) != 0)
                return ATR_ECORRUPT;
        } else if (type == ATR__REC_THREAD || type == ATR__REC_START || type == ATR__REC_END ||
                   type == ATR__REC_MESSAGE || type == ATR__REC_SYNC || type == ATR__REC_SUSPEND ||
                   type == ATR__REC_RESUME) {
            atr__findex_thread *t;
            b->m.tmin = UINT64_MAX;
            b->m.tmax = b->m.seq_lo = b->m.seq_hi = 0;
            if (cur < 0)
                return ATR_ECORRUPT;
            if (atr__scan_thread(p + start, r.pos - start, &b->st[cur], &b->m, b->seen, SEEN_IDS,
                                 b->stamp) != 0)
                return ATR_ECORRUPT;
            if (b->m.tmin < e->tmin)
                e->tmin = b->m.tmin;
            if (b->m.tmin <= b->m.tmax && b->m.tmax > e->tmax)
                e->tmax = b->m.tmax;
            if (!(t = frame_thread(b, (uint32_t)cur)))
                return ATR_ENOMEM;
            if (b->m.seq_lo && !t->seq_lo)
                t->seq_lo = b->m.seq_lo;
            if (b->m.seq_hi)
                t->seq_hi = b->m.seq_hi;
        } else {
            e->flags |= ATR__FINDEX_META;
        }
    }
    return 0;
}

static int rebuild_index(atr_frame_index *ix, const uint8_t *data, size_t len, size_t start,
                         uint32_t major, uint32_t minor) {
    atr__frame_reader *fr = NULL;
    rebuild b;
    int rc;
    memset(&b, 0, sizeof b);
    if (!(b.seen = calloc(SEEN_IDS, sizeof *b.seen)) ||
        atr__frame_reader_new(data, len, start, &fr) < 0) {
        free(b.seen);
        return ATR_ENOMEM;
    }
    ix->end = start;
    for (;;) {
        const uint8_t *content;
        size_t size, w, i;
        uint64_t offset;
        atr__findex_entry e;
        rc = atr__frame_next(fr, &content, &size, &offset, NULL, 0);
        if (rc == ATR_EOF || rc == ATR_ETRUNCATED) {
            rc = 0;
            break;
        }
        if (rc < 0)
            break;
        memset(&e, 0, sizeof e);
        e.offset = offset;
        e.size = atr__frame_reader_pos(fr) - offset;
        e.tmin = UINT64_MAX;
        if ((rc = scan_frame(&b, content, size, &e)) != 0)
            break;
        if (b.m.n_fn)
            qsort(b.m.fn, b.m.n_fn, sizeof *b.m.fn, cmp_u32);
        for (i = 0, w = 0; i < b.m.n_fn; i++)
            if (w == 0 || b.m.fn[w - 1] != b.m.fn[i])
                b.m.fn[w++] = b.m.fn[i];
        if ((rc = atr__findex_add(&ix->x, &e, b.th, b.n_th, b.m.fn, w)) != 0)
            break;
        ix->end = offset + e.size;
    }
    ix->selectable = rc == 0 && (major > 1 || minor >= 3) && !b.stateless;
    atr__frame_reader_free(fr);
    free(b.st);
    free(b.seen);
    free(b.m.fn);
    free(b.th);
    return rc;
}

/* --- the index --------------------------------------------------------------------------- */

/* r's index: its footer, else (scan) a rebuild, else ATR_ENOTFOUND. */
static int load_index(atr_reader *r, int scan, atr_frame_index **out) {
    const uint8_t *data;
    size_t len, header = 0;
    uint32_t major, minor;
    uint64_t footer_at = 0;
    atr_frame_index *ix;
    int rc;
    if (!r || !out)
        return ATR_EINVAL;
    *out = NULL;
    atr__reader_bytes(r, &data, &len, &minor);
    if ((rc = atr__header_read(data, len, &major, &minor, &header, NULL, 0)) < 0)
        return rc;
    if (!(ix = calloc(1, sizeof *ix)))
        return ATR_ENOMEM;
    rc = atr__findex_decode(data, len, header, &ix->x, &footer_at);
    if (rc == 0) {
        ix->from_footer = 1;
        ix->selectable = major > 1 || minor >= 3;
        ix->end = footer_at;
    } else if (rc == 1) {
        rc = scan ? rebuild_index(ix, data, len, header, major, minor) : ATR_ENOTFOUND;
    }
    if (rc < 0) {
        atr_frame_index_free(ix);
        return rc;
    }
    *out = ix;
    return 0;
}

int atr_frame_index_load(atr_reader *r, atr_frame_index **out) { return load_index(r, 1, out); }

int atr_frame_index_load_footer(atr_reader *r, atr_frame_index **out) {
    return load_index(r, 0, out);
}

void atr_frame_index_free(atr_frame_index *ix) {
    if (!ix)
        return;
    atr__findex_free(&ix->x);
    free(ix);
}

uint32_t atr_frame_index_count(const atr_frame_index *ix) { return ix ? ix->x.n : 0; }
int atr_frame_index_from_footer(const atr_frame_index *ix) { return ix ? ix->from_footer : 0; }
int atr_frame_index_selectable(const atr_frame_index *ix) { return ix ? ix->selectable : 0; }

int atr_frame_index_get(const atr_frame_index *ix, uint32_t i, atr_frame_info *out) {
    const atr__findex_entry *e;
    if (!ix || !out || i >= ix->x.n)
        return ATR_EINVAL;
    e = &ix->x.e[i];
    out->offset = e->offset;
    out->size = e->size;
    out->tmin = e->tmin;
    out->tmax = e->tmax;
    out->flags = e->flags & ATR__FINDEX_META ? ATR_FRAME_DEFS : 0;
    out->n_threads = e->n_threads;
    out->n_functions = e->n_funcs;
    return 0;
}

int atr_frame_index_thread(const atr_frame_index *ix, uint32_t i, uint32_t k, uint32_t *thread,
                           uint64_t *seq_lo, uint64_t *seq_hi) {
    const atr__findex_thread *t;
    if (!ix || i >= ix->x.n || k >= ix->x.e[i].n_threads)
        return ATR_EINVAL;
    t = &ix->x.th[ix->x.e[i].first_thread + k];
    if (thread)
        *thread = t->thread;
    if (seq_lo)
        *seq_lo = t->seq_lo;
    if (seq_hi)
        *seq_hi = t->seq_hi;
    return 0;
}

int atr_frame_index_function(const atr_frame_index *ix, uint32_t i, uint32_t k, uint32_t *id) {
    if (!ix || !id || i >= ix->x.n || k >= ix->x.e[i].n_funcs)
        return ATR_EINVAL;
    *id = ix->x.fn[ix->x.e[i].first_func + k];
    return 0;
}

int atr_frame_index_find_start(const atr_frame_index *ix, uint64_t span, uint32_t *frame) {
    uint32_t i, k, thread;
    uint64_t seq = atr_span_seq(span);
    if (!ix || !frame || span < ATR__SPAN_ABS_MIN || seq == 0)
        return ATR_EINVAL;
    thread = atr_span_thread(span);
    for (i = 0; i < ix->x.n; i++) {
        const atr__findex_entry *e = &ix->x.e[i];
        for (k = 0; k < e->n_threads; k++) {
            const atr__findex_thread *t = &ix->x.th[e->first_thread + k];
            if (t->thread == thread && t->seq_lo && t->seq_lo <= seq && seq <= t->seq_hi) {
                *frame = i;
                return 0;
            }
        }
    }
    return ATR_EOF;
}

int atr_frame_index_matches(const atr_frame_index *ix, uint32_t i, const atr_frame_query *q) {
    const atr__findex_entry *e;
    uint32_t k;
    if (!ix || !q || i >= ix->x.n)
        return 0;
    e = &ix->x.e[i];
    if (q->has_thread) {
        for (k = 0; k < e->n_threads && ix->x.th[e->first_thread + k].thread != q->thread; k++)
            ;
        if (k == e->n_threads)
            return 0;
    }
    if (q->has_function) {
        if (!e->n_funcs ||
            !bsearch(&q->function, ix->x.fn + e->first_func, e->n_funcs, sizeof(uint32_t), cmp_u32))
            return 0;
    }
    if (q->since_ns || q->until_ns) {
        if (e->tmin > e->tmax || e->tmax < q->since_ns || (q->until_ns && e->tmin > q->until_ns))
            return 0;
    }
    return 1;
}

/* --- selection (frame_select.h) ---------------------------------------------------------- */

#define SEL_SKIP 0
#define SEL_DEFS 1 /* records not bound to a thread only */
#define SEL_ALL 2

struct atr__frame_sel {
    uint64_t *offset; /* frames in file order */
    uint8_t *mode;    /* SEL_* */
    uint32_t n, next; /* next: first frame not passed yet */
    uint64_t end;
};

void atr__frame_sel_free(atr__frame_sel *sel) {
    if (!sel)
        return;
    free(sel->offset);
    free(sel->mode);
    free(sel);
}

void atr__frame_sel_next(atr__frame_sel *sel, atr__frame_reader *fr) {
    uint64_t pos = atr__frame_reader_pos(fr);
    while (sel->next < sel->n && (sel->offset[sel->next] < pos || sel->mode[sel->next] == SEL_SKIP))
        sel->next++;
    if (sel->next < sel->n)
        atr__frame_reader_seek(fr, sel->offset[sel->next]);
    else if (pos < sel->end)
        atr__frame_reader_seek(fr, sel->end);
}

int atr__frame_sel_defs_only(const atr__frame_sel *sel, uint64_t offset) {
    uint32_t lo = 0, hi = sel->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (sel->offset[mid] < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sel->n && sel->offset[lo] == offset && sel->mode[lo] == SEL_DEFS;
}

int atr__frame_sel_threaded(const atr_record *rec) {
    switch (rec->kind) {
    case ATR_REC_THREAD:
    case ATR_REC_START:
    case ATR_REC_END:
    case ATR_REC_MESSAGE:
    case ATR_REC_SYNC:
    case ATR_REC_SUSPEND:
    case ATR_REC_RESUME:
        return 1;
    default:
        return 0;
    }
}

int atr_reader_select_frames(atr_reader *r, const atr_frame_index *ix, const uint8_t *want) {
    atr__frame_sel *sel;
    uint32_t i;
    if (!r || !ix || !want || !ix->selectable)
        return ATR_EINVAL;
    if (!(sel = calloc(1, sizeof *sel)) ||
        !(sel->offset = malloc((ix->x.n ? ix->x.n : 1) * sizeof *sel->offset)) ||
        !(sel->mode = malloc(ix->x.n ? ix->x.n : 1))) {
        atr__frame_sel_free(sel);
        return ATR_ENOMEM;
    }
    sel->n = ix->x.n;
    sel->end = ix->end;
    for (i = 0; i < ix->x.n; i++) {
        sel->offset[i] = ix->x.e[i].offset;
        sel->mode[i] = want[i]                               ? SEL_ALL
                       : ix->x.e[i].flags & ATR__FINDEX_META ? SEL_DEFS
                                                             : SEL_SKIP;
    }
    return atr__reader_set_sel(r, sel);
}

int atr_reader_select(atr_reader *r, const atr_frame_index *ix, const atr_frame_query *q) {
    uint8_t *want;
    uint32_t i;
    int rc;
    if (!r || !ix || !q)
        return ATR_EINVAL;
    if (!(want = malloc(ix->x.n ? ix->x.n : 1)))
        return ATR_ENOMEM;
    for (i = 0; i < ix->x.n; i++)
        want[i] = (uint8_t)atr_frame_index_matches(ix, i, q);
    rc = atr_reader_select_frames(r, ix, want);
    free(want);
    return rc;
}
