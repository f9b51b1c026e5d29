/*
 * Constants of the log format, v1 (docs/FORMAT.md): the one place that names record types,
 * value ext types, header bytes and limits. Shared by the encoder and the decoder.
 */
#ifndef ATR_FORMAT_FORMAT_H
#define ATR_FORMAT_FORMAT_H

#include <stdint.h>

/*
 * Record types (FORMAT.md section 3), the one list: X(name, number, visibility). PUBLIC ones
 * are also atr_record_kind (ATR_REC_<name> in atr_reader.h, checked equal in decode.c: the
 * decoder hands the number on as the kind); CHUNK, TYPE (1.2), VALUE (1.4) and TIMES (2.0)
 * are consumed by the reader.
 * SUSPEND / RESUME (1.1): a generator's or coroutine's span stops / starts running again.
 * Their dt is relative to the thread's time but does not change it, so readers that skip
 * them keep the times. CALIBRATION: 1.1.
 */
#define ATR__REC_TYPES(X)      \
    X(PROCESS, 1, PUBLIC)      \
    X(FUNCTION, 2, PUBLIC)     \
    X(THREAD, 3, PUBLIC)       \
    X(CHUNK, 4, INTERNAL)      \
    X(START, 5, PUBLIC)        \
    X(END, 6, PUBLIC)          \
    X(MESSAGE, 7, PUBLIC)      \
    X(SYNC, 8, PUBLIC)         \
    X(DROPS, 9, PUBLIC)        \
    X(END_OF_LOG, 10, PUBLIC)  \
    X(SUSPEND, 11, PUBLIC)     \
    X(RESUME, 12, PUBLIC)      \
    X(CALIBRATION, 13, PUBLIC) \
    X(SAMPLING, 14, PUBLIC)    \
    X(RECORDING, 15, PUBLIC)   \
    X(TYPE, 16, INTERNAL)      \
    X(VALUE, 17, INTERNAL)     \
    X(TIMES, 18, INTERNAL)

enum atr__rec_type {
#define ATR__REC_ENUM(name, num, vis) ATR__REC_##name = (num),
    ATR__REC_TYPES(ATR__REC_ENUM)
#undef ATR__REC_ENUM
};

/* END status (FORMAT.md 3.7); equal to the public ATR_END_* (atr_reader.h; decode.c checks). */
#define ATR__END_RETURN 0
#define ATR__END_RAISE 1
#define ATR__END_NORESULT 2

/* msgpack ext types used for values (FORMAT.md section 4). */
enum atr__ext_type {
    ATR__EXT_TRUNC_STR = 1,
    ATR__EXT_TRUNC_BYTES = 2,
    ATR__EXT_SUMMARY = 3,
    ATR__EXT_REDACTED = 4,
    ATR__EXT_BIGINT = 5,
    ATR__EXT_REPR = 6,
    ATR__EXT_ERROR = 7,
    ATR__EXT_SUMMARY_ID = 8, /* 1.2: summary: type id [length [item...]] back to back */
    ATR__EXT_VALUE_ID = 9    /* 1.4: the value a VALUE record defines: its id */
};

/* File header: a zstd skippable frame (FORMAT.md 2.1). */
#define ATR__HEADER_SIZE 16u
#define ATR__SKIPPABLE_MAGIC 0x184D2A5Au     /* the header's own magic */
#define ATR__SKIPPABLE_MAGIC_MIN 0x184D2A50u /* any skippable frame */
#define ATR__SKIPPABLE_MAGIC_MASK 0xFFFFFFF0u
#define ATR__ZSTD_MAGIC 0xFD2FB528u
#define ATR__HEADER_TAG "ATRC"

/* Span ids (FORMAT.md 3.5). */
#define ATR__SPAN_SEQ_BITS 40
#define ATR__SPAN_ABS_MIN (UINT64_C(1) << ATR__SPAN_SEQ_BITS)
/* Thread numbers are below this bound, so that (thread + 1) fits above the sequence bits. */
#define ATR__THREAD_NUMBER_MAX ((UINT32_C(1) << (64 - ATR__SPAN_SEQ_BITS)) - 1)

/* Limits. */
#define ATR__FRAME_CONTENT_MAX (64u << 20) /* readers refuse larger frames */
#define ATR__FRAME_TARGET (1u << 20)       /* writers aim for frames of about this much */
#define ATR__FRAME_WRITE_MAX (8u << 20)    /* writers never exceed this */
#define ATR__SUMMARY_DEPTH_MAX 4           /* nested summaries in a value */
#define ATR__TYPES_MAX (1u << 20)          /* TYPE ids a writer defines and a reader accepts */
#define ATR__TYPE_NAME_MAX 1024            /* longer type names are written in full */
#define ATR__VALUES_MAX (1u << 20)         /* VALUE ids a reader accepts */
#define ATR__VALUES_BYTES_MAX (64u << 20)  /* bytes of VALUE records a reader keeps */
#define ATR__NEST_MAX 8                    /* msgpack nesting a reader accepts */

#endif /* ATR_FORMAT_FORMAT_H */
