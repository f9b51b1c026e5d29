/* SPDX-License-Identifier: MIT */
/*
 * argtrace — shared definitions: export macro, error codes, values.
 *
 * Every public function returns an int: 0 on success or a negative ATR_E* code.
 * Results travel through out-parameters. Free/close functions accept NULL.
 */
#ifndef ARGTRACE_ATR_COMMON_H
#define ARGTRACE_ATR_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ATR_STATIC_DEFINE)
#define ATR_API
#elif defined(__GNUC__)
#define ATR_API __attribute__((visibility("default")))
#else
#define ATR_API
#endif

#define ATR_VERSION_MAJOR 0
#define ATR_VERSION_MINOR 1
#define ATR_VERSION_PATCH 0
#define ATR_VERSION_STRING "0.1.0"

/* Log format version this library writes (docs/FORMAT.md); it reads 1.x and 2.x. */
#define ATR_FORMAT_MAJOR 2
#define ATR_FORMAT_MINOR 0
#define ATR_FORMAT_MAJOR_MIN 1

/*
 * Error codes: X(name, value, message). Values are negative and stable.
 * ATR_EOF and ATR_ETRUNCATED are the two ways a reader's iteration ends without error
 * (a clean end, and a log whose last frame is incomplete).
 */
#define ATR_ERRNO_MAP(X)                                               \
    X(EINVAL, -1, "invalid argument")                                  \
    X(ENOMEM, -2, "out of memory")                                     \
    X(EIO, -3, "input/output error")                                   \
    X(EOPEN, -4, "cannot open file")                                   \
    X(ENOSPC, -5, "no space left on device")                           \
    X(EMAGIC, -6, "not an argtrace log (bad magic)")                   \
    X(EVERSION, -7, "unsupported log format version")                  \
    X(ECORRUPT, -8, "corrupt log")                                     \
    X(ETRUNCATED, -9, "log ends with an incomplete frame (truncated)") \
    X(ETOOBIG, -10, "size exceeds a limit")                            \
    X(EOF, -11, "end of log")                                          \
    X(ESTATE, -12, "operation not valid in this state")                \
    X(EDROPPED, -13, "event dropped (buffers full)")                   \
    X(ETHREAD, -14, "cannot start thread")                             \
    X(ENOTFOUND, -15, "not found")                                     \
    X(EAMBIGUOUS, -16, "ambiguous name")                               \
    X(ESYNTAX, -17, "syntax error")

enum atr_errno {
#define ATR__ERR_ENUM(name, value, msg) ATR_##name = (value),
    ATR_ERRNO_MAP(ATR__ERR_ENUM)
#undef ATR__ERR_ENUM
};

/* Human-readable message for an ATR_E* code (static string, never NULL). Any thread. */
ATR_API const char *atr_strerror(int err);
/* Symbolic name ("ATR_ECORRUPT") for an ATR_E* code (static string, never NULL). */
ATR_API const char *atr_errname(int err);
/* The library's version string, "MAJOR.MINOR.PATCH". */
ATR_API const char *atr_version(void);

/* A byte string that is not necessarily NUL-terminated. */
typedef struct atr_str {
    const char *ptr;
    size_t len;
} atr_str;

/* Kinds of captured values (docs/FORMAT.md section 4). */
typedef enum atr_value_kind {
    ATR_V_NIL = 0,
    ATR_V_BOOL,     /* u.b */
    ATR_V_INT,      /* u.i (signed 64-bit) */
    ATR_V_UINT,     /* u.u (unsigned 64-bit; the reader yields it only above INT64_MAX) */
    ATR_V_FLOAT,    /* u.f */
    ATR_V_STR,      /* u.s: text, UTF-8; truncated when s.len < s.true_len */
    ATR_V_BYTES,    /* u.s: bytes; truncated when s.len < s.true_len */
    ATR_V_SUMMARY,  /* u.sum: type name, length (-1 unknown), leading items */
    ATR_V_REDACTED, /* no payload */
    ATR_V_BIGINT,   /* u.s: decimal digits with optional leading '-' */
    ATR_V_REPR,     /* u.s: text from the object's repr; truncated when len < true_len */
    ATR_V_ERROR,    /* u.s: type name of an object that could not be captured */
    ATR_V_UNKNOWN   /* reader only: an ext type this library does not know; u.s = payload */
} atr_value_kind;

/*
 * A captured value. Writers fill one to pass a value in; readers return them with pointers
 * into their own buffers (valid until the reader's next call). Strings are byte ranges:
 * `len` bytes at `ptr` are stored; `true_len` is the original length (>= len). Writers must
 * set true_len (ATR_VALUE_* helpers below do).
 */
typedef struct atr_value {
    uint32_t kind;    /* atr_value_kind */
    uint32_t n_items; /* ATR_V_SUMMARY: number of entries in u.sum.items */
    union {
        int b;
        int64_t i;
        uint64_t u;
        double f;
        struct {
            const char *ptr;
            size_t len;
            uint64_t true_len;
        } s;
        struct {
            const char *type;
            size_t type_len;
            int64_t length; /* -1: unknown */
            const struct atr_value *items;
        } sum;
    } u;
} atr_value;

/* A named value: a field of an action or message, or an extra keyword argument. */
typedef struct atr_field {
    atr_str name;
    atr_value value;
} atr_field;

/* Convenience initialisers for C callers. */
static inline atr_value atr_value_nil(void) {
    atr_value v;
    v.kind = ATR_V_NIL;
    v.n_items = 0;
    v.u.u = 0;
    return v;
}
static inline atr_value atr_value_int(int64_t i) {
    atr_value v = atr_value_nil();
    v.kind = ATR_V_INT;
    v.u.i = i;
    return v;
}
static inline atr_value atr_value_float(double f) {
    atr_value v = atr_value_nil();
    v.kind = ATR_V_FLOAT;
    v.u.f = f;
    return v;
}
static inline atr_value atr_value_bool(int b) {
    atr_value v = atr_value_nil();
    v.kind = ATR_V_BOOL;
    v.u.b = b ? 1 : 0;
    return v;
}
static inline atr_value atr_value_strn(const char *p, size_t len) {
    atr_value v = atr_value_nil();
    v.kind = ATR_V_STR;
    v.u.s.ptr = p;
    v.u.s.len = len;
    v.u.s.true_len = len;
    return v;
}
static inline atr_value atr_value_bytes(const void *p, size_t len) {
    atr_value v = atr_value_strn((const char *)p, len);
    v.kind = ATR_V_BYTES;
    return v;
}
static inline atr_value atr_value_summary(const char *type, size_t type_len, int64_t length) {
    atr_value v = atr_value_nil();
    v.kind = ATR_V_SUMMARY;
    v.u.sum.type = type;
    v.u.sum.type_len = type_len;
    v.u.sum.length = length;
    v.u.sum.items = NULL;
    return v;
}

/*
 * An entry of the mapping a summarizer returned (docs/FORMAT.md section 4): a summary named
 * "=" followed by the entry's key, of unknown length, holding the entry's value as its one
 * item. 1 when v is one, with the key (without the "=") in key[0..*key_len); else 0.
 */
static inline int atr_value_entry_key(const atr_value *v, const char **key, size_t *key_len) {
    if (v->kind != ATR_V_SUMMARY || v->u.sum.length >= 0 || v->n_items != 1 || !v->u.sum.items ||
        v->u.sum.type_len < 1 || v->u.sum.type[0] != '=')
        return 0;
    *key = v->u.sum.type + 1;
    *key_len = v->u.sum.type_len - 1;
    return 1;
}

/*
 * The keys of the per-call cost model of a CALIBRATION record (docs/FORMAT.md 3.13), in the
 * order the writer puts them: X(name) for each. Each is a field of atr_calibration_model
 * (atr_writer.h) and of atr_record's calibration (atr_reader.h), named as the log's key.
 */
/* clang-format off */
#define ATR_CALIBRATION_MODEL_KEYS(X) \
    X(base_ns) X(scalar_ns) X(str_ns) X(summary_ns) X(gen_ns) X(resume_ns) X(raise_ns) \
    X(slow_ppm) X(container_ns) X(long_str_ns)
/* clang-format on */

#ifdef __cplusplus
}
#endif
#endif /* ARGTRACE_ATR_COMMON_H */
