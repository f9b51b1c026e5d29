/* The reader's fuzz targets (see fuzz_targets.h). */
#include "fuzz_targets.h"

#include <stdlib.h>
#include <string.h>

#include "argtrace/atr.h"
#include "argtrace/atr_frames.h"
#include "format/format.h"
#include "format/frame_write.h"

/* Read every byte the reader hands out, so ASan checks the pointers. */
static uint64_t touch(const void *p, size_t n) {
    const uint8_t *b = p;
    uint64_t h = 0;
    size_t i;
    for (i = 0; i < n; i++)
        h = h * 31 + b[i];
    return h;
}

static uint64_t touch_value(const atr_value *v) {
    uint64_t h = v->kind;
    uint32_t i;
    switch (v->kind) {
    case ATR_V_STR:
    case ATR_V_BYTES:
    case ATR_V_BIGINT:
    case ATR_V_REPR:
    case ATR_V_ERROR:
    case ATR_V_UNKNOWN:
        if (v->u.s.len > v->u.s.true_len)
            abort(); /* the reader promises true_len >= len */
        return h + touch(v->u.s.ptr, v->u.s.len);
    case ATR_V_SUMMARY:
        h += touch(v->u.sum.type, v->u.sum.type_len);
        for (i = 0; i < v->n_items; i++)
            h += touch_value(&v->u.sum.items[i]);
        return h;
    default:
        return h + v->u.u;
    }
}

static uint64_t touch_fields(const atr_field *f, uint32_t n) {
    uint64_t h = 0;
    uint32_t i;
    for (i = 0; i < n; i++)
        h += touch(f[i].name.ptr, f[i].name.len) + touch_value(&f[i].value);
    return h;
}

static uint64_t touch_record(const atr_record *r) {
    uint64_t h = r->kind;
    uint32_t i;
    switch (r->kind) {
    case ATR_REC_PROCESS:
        h += touch(r->u.process.host.ptr, r->u.process.host.len);
        for (i = 0; i < r->u.process.argc; i++)
            h += touch(r->u.process.argv[i].ptr, r->u.process.argv[i].len);
        h += touch(r->u.process.runtime.ptr, r->u.process.runtime.len);
        return h + touch(r->u.process.tool.ptr, r->u.process.tool.len);
    case ATR_REC_FUNCTION:
        h += touch(r->u.function.module.ptr, r->u.function.module.len);
        h += touch(r->u.function.qualname.ptr, r->u.function.qualname.len);
        h += touch(r->u.function.file.ptr, r->u.function.file.len);
        for (i = 0; i < r->u.function.n_params; i++)
            h += touch(r->u.function.params[i].ptr, r->u.function.params[i].len);
        return h;
    case ATR_REC_THREAD:
        return h + touch(r->u.thread.name.ptr, r->u.thread.name.len);
    case ATR_REC_START:
        if (r->u.start.span < (UINT64_C(1) << ATR_SPAN_SEQ_BITS))
            abort(); /* span ids are >= 2^40 */
        for (i = 0; i < r->u.start.n_args; i++)
            h += touch_value(&r->u.start.args[i]);
        return h + touch_fields(r->u.start.fields, r->u.start.n_fields);
    case ATR_REC_END:
        if (r->u.end.span == 0 || r->u.end.status > ATR_END_NORESULT)
            abort();
        h += touch(r->u.end.exc_type.ptr, r->u.end.exc_type.len);
        return h + touch_value(&r->u.end.value);
    case ATR_REC_MESSAGE:
        h += touch(r->u.message.text.ptr, r->u.message.text.len);
        return h + touch_fields(r->u.message.fields, r->u.message.n_fields);
    case ATR_REC_SUSPEND:
    case ATR_REC_RESUME:
        if (r->u.suspend.span == 0)
            abort(); /* the reader refuses span reference 0 */
        return h + r->u.suspend.span;
    default:
        return h;
    }
}

/* The frame index (footer or rebuilt) of the same bytes, then a read of every other frame. */
static uint64_t frame_index_one(const uint8_t *data, size_t size) {
    atr_reader *r = NULL;
    atr_frame_index *ix = NULL;
    atr_record rec;
    uint64_t sink = 0;
    uint32_t i, n;
    uint8_t *want;
    if (atr_reader_open_mem(data, size, &r) != 0)
        return 0;
    if (atr_frame_index_load(r, &ix) == 0) {
        n = atr_frame_index_count(ix);
        for (i = 0; i < n; i++) {
            atr_frame_info f;
            if (atr_frame_index_get(ix, i, &f) != 0 || f.offset + f.size > size)
                abort(); /* entries lie inside the file */
        }
        want = malloc(n ? n : 1);
        if (want) {
            for (i = 0; i < n; i++)
                want[i] = (uint8_t)(i & 1);
            if (atr_reader_select_frames(r, ix, want) == 0)
                while (atr_reader_next(r, &rec) == 0)
                    sink += touch_record(&rec);
            free(want);
        }
    }
    atr_frame_index_free(ix);
    atr_reader_close(r);
    return sink;
}

int atr_fuzz_reader_one(const uint8_t *data, size_t size) {
    atr_reader *r = NULL;
    atr_record rec;
    uint64_t done, total;
    volatile uint64_t sink = 0;
    int rc = atr_reader_open_mem(data, size, &r);
    if (rc != 0)
        return 0;
    while ((rc = atr_reader_next(r, &rec)) == 0)
        sink += touch_record(&rec);
    if (atr_reader_next(r, &rec) != rc)
        abort(); /* terminal status is sticky */
    sink += touch(atr_reader_error(r), strlen(atr_reader_error(r)));
    atr_reader_progress(r, &done, &total);
    if (done > total || total != size)
        abort();
    atr_reader_close(r);
    sink += frame_index_one(data, size);
    (void)sink;
    return 0;
}

int atr_fuzz_records_one(const uint8_t *data, size_t size) {
    static atr__framer *framer; /* reused across inputs (fuzzing harness only) */
    const uint8_t *frame;
    size_t frame_len;
    atr__seg seg;
    uint8_t *file;

    if (size > ATR__FRAME_WRITE_MAX)
        return 0;
    if (!framer && !(framer = atr__framer_new(1)))
        abort();
    seg.ptr = data;
    seg.len = size;
    if (atr__framer_compress(framer, &seg, 1, &frame, &frame_len) != 0)
        abort();
    file = malloc(ATR__HEADER_SIZE + frame_len);
    if (!file)
        abort();
    atr__frame_header(file);
    memcpy(file + ATR__HEADER_SIZE, frame, frame_len);
    atr_fuzz_reader_one(file, ATR__HEADER_SIZE + frame_len);
    free(file);
    return 0;
}
