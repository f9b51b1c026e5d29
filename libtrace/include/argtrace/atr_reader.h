/* SPDX-License-Identifier: MIT */
/*
 * argtrace reader: open a .atr log and iterate over its decoded records.
 *
 * The reader resolves the format's encodings for you: record times are absolute ns, span
 * references are absolute span ids, function ids are checked against earlier definitions.
 * Logs are untrusted input: every length is bounded before use, and a damaged log yields a
 * distinct error code, never a crash. A log whose last frame is incomplete (a crash while
 * writing) yields every complete record, then ATR_ETRUNCATED.
 *
 * Consumers must ignore record kinds they do not know (a later reader may report more).
 *
 * A reader is used by one thread at a time; separate readers are independent. A log of more
 * than a few thousand records is decompressed and parsed ahead on a worker thread that the
 * reader starts (with every signal blocked) and stops at atr_reader_close(); records still come
 * out in file order, with the same errors. A child process made by fork() cannot go on with
 * a reader of its parent once that reader's worker ran (no worker exists in the child):
 * atr_reader_next() returns ATR_EINVAL there; atr_reader_close() is safe. Open the log again.
 */
#ifndef ARGTRACE_ATR_READER_H
#define ARGTRACE_ATR_READER_H

#include "atr_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct atr_reader atr_reader;

typedef enum atr_record_kind {
    ATR_REC_PROCESS = 1,
    ATR_REC_FUNCTION = 2,
    ATR_REC_THREAD = 3,
    /* CHUNK (4) is consumed by the reader: every record carries its thread instead. */
    ATR_REC_START = 5,
    ATR_REC_END = 6,
    ATR_REC_MESSAGE = 7,
    ATR_REC_SYNC = 8,
    ATR_REC_DROPS = 9,
    ATR_REC_END_OF_LOG = 10,
    ATR_REC_SUSPEND = 11,     /* format 1.1: u.suspend.span stops running (yield, await) */
    ATR_REC_RESUME = 12,      /* format 1.1: u.suspend.span runs again */
    ATR_REC_CALIBRATION = 13, /* format 1.1 */
    ATR_REC_SAMPLING = 14,    /* format 1.2: calls were sampled (u.sampling) */
    ATR_REC_RECORDING = 15    /* format 1.2: recording paused or resumed at time_ns */
} atr_record_kind;

/* END status (docs/FORMAT.md 3.7). */
#define ATR_END_RETURN 0
#define ATR_END_RAISE 1
#define ATR_END_NORESULT 2

typedef struct atr_process_info {
    uint32_t format_major, format_minor; /* from the file header */
    int64_t pid;
    atr_str host;
    uint32_t argc;
    const atr_str *argv;
    atr_str runtime;
    atr_str tool;
    uint64_t clock_ns; /* session clock at open */
    uint64_t wall_ns;  /* wall clock at open, ns since the epoch */
    uint64_t uid;
    uint64_t parent_uid;  /* 0 unless a forked child */
    uint64_t parent_span; /* 0 unless a forked child running inside a span */
    uint64_t part;        /* format 1.2: 0, or the number of this file in a rotated log */
} atr_process_info;

/*
 * One decoded record. Pointers (strings, arrays, values) point into the reader's buffers and
 * stay valid until the next atr_reader_next() or atr_reader_close() call.
 */
typedef struct atr_record {
    uint32_t kind;    /* atr_record_kind */
    uint32_t thread;  /* thread number (THREAD, START, END, MESSAGE, SYNC, SUSPEND, RESUME) */
    uint64_t time_ns; /* absolute time (START, END, MESSAGE, SUSPEND, RESUME, END_OF_LOG) */
    uint64_t offset;  /* file offset of the frame holding the record (for error messages) */
    union {
        atr_process_info process;
        struct {
            uint32_t id;
            atr_str module, qualname, file;
            uint32_t line;
            uint32_t flags; /* ATR_FUNC_* bits (atr_writer.h) */
            uint32_t n_params;
            const atr_str *params;
        } function;
        struct {
            uint64_t os_tid;
            atr_str name;
        } thread;
        struct {
            uint64_t span;   /* this span's id */
            uint64_t parent; /* 0: none */
            uint32_t function;
            uint32_t n_args;
            const atr_value *args;
            uint32_t n_fields;
            const atr_field *fields;
        } start;
        struct {
            uint64_t span;
            uint32_t status;  /* ATR_END_* */
            atr_value value;  /* RETURN: result; RAISE: message; NORESULT: nil */
            atr_str exc_type; /* RAISE only */
        } end;
        struct {
            uint64_t span; /* 0: none */
            atr_str text;
            uint32_t n_fields;
            const atr_field *fields;
        } message;
        struct {
            uint64_t span; /* SUSPEND and RESUME: the span (never 0) */
        } suspend;
        struct {
            uint64_t last_seq;
            uint64_t dropped;
        } sync;
        struct {
            uint64_t records, bytes, oversize, capture_errors, write_errors;
        } drops;
        struct {
            atr_str mechanism; /* "decorator", "monitoring", "eval", "profile", ... */
            uint64_t call_ns;  /* what one traced call adds to each ancestor's duration */
            uint64_t inner_ns; /* the part of it inside the call's own [start, end] */
            uint64_t samples;  /* traced calls the measurement timed (0: unknown) */
            /* the per-call model (1.2; 0 when absent): atr_calibration in atr_writer.h */
            uint64_t base_ns, scalar_ns, str_ns, summary_ns, gen_ns, resume_ns, raise_ns;
            uint64_t slow_ppm, container_ns, long_str_ns;
        } calibration;
        struct {
            double rate;   /* fraction of top-level calls recorded, in (0, 1] */
            atr_str mode;  /* "count" (deterministic) or "random" */
            uint64_t seed; /* random mode's seed */
        } sampling;
        struct {
            uint32_t on; /* 0: recording paused at time_ns, 1: resumed */
        } recording;
    } u;
} atr_record;

/*
 * Open the log at `path`: map it, check the header. On success *out owns the reader.
 * Returns ATR_EOPEN (errno kept), ATR_EMAGIC, ATR_EVERSION, ATR_ETRUNCATED (shorter than the
 * header), ATR_ENOMEM.
 */
ATR_API int atr_reader_open(const char *path, atr_reader **out);

/*
 * Same as atr_reader_open(), and on failure writes a one-line reason to errbuf (at most
 * errbuf_size bytes, NUL-terminated; errbuf may be NULL), e.g. "log format version 2.0, this
 * reader reads 1.x only" or "cannot open file: No such file or directory". The reason does
 * not name the path. *out is NULL on failure.
 */
ATR_API int atr_reader_open_errbuf(const char *path, atr_reader **out, char *errbuf,
                                   size_t errbuf_size);

/* Same, over a caller-owned memory buffer that must outlive the reader (fuzzing, tests). */
ATR_API int atr_reader_open_mem(const void *data, size_t len, atr_reader **out);

/* Free the reader. Accepts NULL. */
ATR_API void atr_reader_close(atr_reader *r);

/*
 * Decode the next record into *rec. Returns 0 (a record), ATR_EOF (clean end of the file),
 * ATR_ETRUNCATED (the file ends inside a frame; every complete record came before),
 * ATR_ECORRUPT / ATR_ETOOBIG (damaged; see atr_reader_error()), ATR_ENOMEM. After a non-zero
 * return, further calls return the same code.
 */
ATR_API int atr_reader_next(atr_reader *r, atr_record *rec);

/* Format version from the header. */
ATR_API void atr_reader_version(const atr_reader *r, uint32_t *major, uint32_t *minor);

/*
 * A one-line description of the last error with its file offset, e.g.
 * "corrupt log at offset 4096: record type 5 has 2 fields, needs 5". Never NULL.
 */
ATR_API const char *atr_reader_error(const atr_reader *r);

/* 1 if an END_OF_LOG record has been read (the writer closed the log properly), else 0. */
ATR_API int atr_reader_closed_cleanly(const atr_reader *r);

/* Bytes of the file consumed so far and in total (for progress indicators). */
ATR_API void atr_reader_progress(const atr_reader *r, uint64_t *done, uint64_t *total);

/* Span id helpers (docs/FORMAT.md 3.5). */
#define ATR_SPAN_SEQ_BITS 40
static inline uint64_t atr_span_id(uint32_t thread, uint64_t seq) {
    return ((uint64_t)thread + 1u) << ATR_SPAN_SEQ_BITS | seq;
}
static inline uint32_t atr_span_thread(uint64_t id) {
    return (uint32_t)((id >> ATR_SPAN_SEQ_BITS) - 1u);
}
static inline uint64_t atr_span_seq(uint64_t id) {
    return id & ((UINT64_C(1) << ATR_SPAN_SEQ_BITS) - 1u);
}

#ifdef __cplusplus
}
#endif
#endif /* ARGTRACE_ATR_READER_H */
