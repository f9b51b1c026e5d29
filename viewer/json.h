/*
 * The viewer's one JSON writer (--json output and every export). It tracks nesting and
 * commas, escapes strings (control characters, invalid UTF-8 → U+FFFD, C1 controls and
 * line separators as \u escapes) and writes to a FILE *.
 *
 * Layout: containers nested at most `nl_depth` deep put each element on its own line,
 * indented by 2 spaces a level; deeper ones are written compactly. nl_depth 0 gives one line
 * (JSON lines), a large value gives fully indented output.
 */
#ifndef ATR_VIEWER_JSON_H
#define ATR_VIEWER_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "argtrace/atr_common.h"

#define ATR__JSON_MAX_DEPTH 64

typedef struct atr__json {
    FILE *out;
    int nl_depth;
    int depth;
    unsigned char first[ATR__JSON_MAX_DEPTH]; /* no element written yet at this depth */
    int after_key;                            /* a key was written; the value follows */
} atr__json;

void atr__json_init(atr__json *j, FILE *out, int nl_depth);
void atr__json_obj_begin(atr__json *j);
void atr__json_obj_end(atr__json *j);
void atr__json_arr_begin(atr__json *j);
void atr__json_arr_end(atr__json *j);
void atr__json_key(atr__json *j, const char *key);
void atr__json_keyn(atr__json *j, const char *key, size_t n); /* untrusted bytes: escaped */
void atr__json_str(atr__json *j, const char *p, size_t n);
void atr__json_cstr(atr__json *j, const char *s);
void atr__json_int(atr__json *j, int64_t v);
void atr__json_uint(atr__json *j, uint64_t v);
void atr__json_double(atr__json *j, double v); /* NaN/inf are written as null */
void atr__json_bool(atr__json *j, int v);
void atr__json_null(atr__json *j);
/* A number already formatted by the caller (e.g. fixed-point microseconds). */
void atr__json_raw(atr__json *j, const char *number);
/* ns as a fixed-point number of `unit_ns` units with `decimals` digits (µs: 1000, 3). */
void atr__json_fixed(atr__json *j, uint64_t ns, uint64_t unit_ns, int decimals);
/* A captured value: native JSON for scalars and complete text, else {"kind": ...}. */
void atr__json_value(atr__json *j, const atr_value *v);
/* Finish a top-level value with a newline. */
void atr__json_end_line(atr__json *j);

/* Shorthands for "key": value. */
void atr__json_kstr(atr__json *j, const char *key, const char *s);
void atr__json_kint(atr__json *j, const char *key, int64_t v);
void atr__json_kuint(atr__json *j, const char *key, uint64_t v);

#endif /* ATR_VIEWER_JSON_H */
