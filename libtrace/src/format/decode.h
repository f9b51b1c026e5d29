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

/* A decoder for a log whose header gave format version major.minor. ATR_ENOMEM. */
int atr__decoder_new(uint32_t major, uint32_t minor, atr__decoder **out);

/* Free the decoder. Accepts NULL. */
void atr__decoder_free(atr__decoder *d);

/*
 * Decode the record at the start of p[0..n) (the rest of a frame's content) into *rec and set
 * *used to its size. Returns 0 (a record), ATR__DECODE_SKIP (consumed, nothing to report),
 * ATR_ECORRUPT / ATR_ETOOBIG / ATR_ENOMEM (see atr__decoder_msg()). A record cut off by the
 * end of the bytes is corrupt (records never span frames). Pointers in *rec stay valid until
 * the next call, and as long as p does.
 */
int atr__decode_record(atr__decoder *d, const uint8_t *p, size_t n, size_t *used, atr_record *rec);

/* One-line reason for the last failure of atr__decode_record() (no offset). Never NULL. */
const char *atr__decoder_msg(const atr__decoder *d);

/* Records decoded so far (every record, including skipped ones). */
uint64_t atr__decoder_count(const atr__decoder *d);

#endif /* ATR_FORMAT_DECODE_H */
