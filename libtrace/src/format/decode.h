/*
 * Record decoder (docs/FORMAT.md sections 3-4): turns the msgpack records of a frame's
 * content into atr_record values, keeping the stream state the format carries across
 * records and frames (current thread, per-thread time and span sequence, defined functions).
 *
 * The bytes are untrusted. One walker (atr__mp_check(), and atr__mp_unpack() that also builds
 * msgpack-c's object types while it walks) bounds every count and length by the bytes that
 * remain, the nesting depth and the number of objects, so no number in the file sizes an
 * allocation on its own. msgpack-c's own unpacker is not used: its zone allocator and object
 * types are.
 *
 * msgpack stays inside this module: callers see atr_record only.
 */
#ifndef ATR_FORMAT_DECODE_H
#define ATR_FORMAT_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "argtrace/atr_reader.h"

/* Returned by atr__decode_record() for a record that yields nothing (CHUNK, unknown type). */
#define ATR__DECODE_SKIP 1

/* Most msgpack objects one record may hold, nested ext payloads included (memory bound). */
#define ATR__RECORD_OBJECTS_MAX (1u << 20)

/* Largest thread number and function table the decoder accepts. */
#define ATR__THREADS_MAX (1u << 20)

typedef struct atr__decoder atr__decoder;

/* Format a one-line reason into msg (when msg is not NULL) and return code. */
int atr__msgf(char *msg, size_t msg_size, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Walk one msgpack object at p[0..n) without building it. On success writes its exact size in
 * bytes to *size and subtracts the number of objects it holds from *budget. Containers may
 * nest `max_depth` deep (a scalar is depth 0, an array of scalars depth 1).
 * Returns 0; ATR_ETRUNCATED when the bytes end inside the object; ATR_ECORRUPT (bad byte 0xc1,
 * a count or length beyond the bytes left, too deep); ATR_ETOOBIG (budget exhausted). When
 * `msg` is not NULL a one-line reason is written there on failure.
 */
int atr__mp_check(const uint8_t *p, size_t n, int max_depth, size_t *size, uint64_t *budget,
                  char *msg, size_t msg_size);

/*
 * Records parsed (bounded and built, atr__mp_unpack) but not yet decoded: the part of decoding
 * that needs no stream state, so that it can run ahead of atr__decode_parsed() on another
 * thread. A set holds up to the number of records it was made for; their msgpack objects
 * point into the bytes parsed, which must stay until the records are decoded.
 */
typedef struct atr__parsed atr__parsed;

/* A set for up to max_records records. ATR_ENOMEM. */
int atr__parsed_new(uint32_t max_records, atr__parsed **out);

/* Free the set. Accepts NULL. */
void atr__parsed_free(atr__parsed *ps);

/* Empty the set (its memory is reused). */
void atr__parsed_clear(atr__parsed *ps);

/* Records in the set; bytes of msgpack objects they hold (about). */
uint32_t atr__parsed_count(const atr__parsed *ps);
size_t atr__parsed_bytes(const atr__parsed *ps);

/*
 * Parse the record at the start of p[0..n) (the rest of a frame's content) into the set (not
 * full) and set *used to its size. Returns 0, or ATR_ECORRUPT (a record cut off by the end of
 * the bytes: records never span frames) / ATR_ETOOBIG / ATR_ENOMEM with atr__parsed_msg().
 */
int atr__parse_record(atr__parsed *ps, const uint8_t *p, size_t n, size_t *used);

/* One-line reason for the last failure of atr__parse_record(). Never NULL. */
const char *atr__parsed_msg(const atr__parsed *ps);

/*
 * Decode record i of the set: the records of a log go through the decoder once each, in file
 * order. Returns what atr__decode_record() returns; *rec stays valid until the next call of
 * either, and as long as the parsed bytes and the set's record i.
 */
int atr__decode_parsed(atr__decoder *d, const atr__parsed *ps, uint32_t i, atr_record *rec);

/* A decoder for a log whose header gave format version major.minor. ATR_ENOMEM. */
int atr__decoder_new(uint32_t major, uint32_t minor, atr__decoder **out);

/* Free the decoder. Accepts NULL. */
void atr__decoder_free(atr__decoder *d);

/*
 * Decode the record at the start of p[0..n) (the rest of a frame's content) into *rec and set
 * *used to its size: atr__parse_record() then atr__decode_parsed(). Returns 0 (a record), ATR__DECODE_SKIP (consumed, nothing to report),
 * ATR_ECORRUPT / ATR_ETOOBIG / ATR_ENOMEM (see atr__decoder_msg()). A record cut off by the
 * end of the bytes is corrupt (records never span frames). Pointers in *rec stay valid until
 * the next call, and as long as p does.
 */
int atr__decode_record(atr__decoder *d, const uint8_t *p, size_t n, size_t *used, atr_record *rec);

/*
 * Which values the caller of a reader uses (reader/want.h), asked once per FUNCTION record as
 * it is decoded: want(ud, rec) 0 leaves the args and fields out of that function's STARTs
 * (n_args and n_fields 0; their array, map and count are still checked, the values inside
 * are not), 1 keeps them. It only saves decoding values that the caller would drop (a load
 * that keeps one function's calls). want NULL: every function's values.
 */
typedef int (*atr__want_fn)(void *ud, const atr_record *function);
void atr__decoder_set_want(atr__decoder *d, atr__want_fn want, void *ud);

/* One-line reason for the last failure of atr__decode_record() (no offset). Never NULL. */
const char *atr__decoder_msg(const atr__decoder *d);

/* Records decoded so far (every record, including skipped ones). */
uint64_t atr__decoder_count(const atr__decoder *d);

#endif /* ATR_FORMAT_DECODE_H */
