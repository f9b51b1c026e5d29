/*
 * The reader's fuzz targets, shared by the libFuzzer entry points (fuzz_reader.c,
 * fuzz_records.c) and the plain-C replay driver (fuzz_replay.c) that runs the committed
 * corpus in every build.
 */
#ifndef ATR_TESTS_FUZZ_TARGETS_H
#define ATR_TESTS_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* The bytes are a whole .atr file: open it from memory and read every record. */
int atr_fuzz_reader_one(const uint8_t *data, size_t size);

/*
 * The bytes are record content (what `zstd -d` prints): wrap them in a valid header and one
 * zstd frame, so that mutations reach the decoder instead of failing the frame checksum.
 */
int atr_fuzz_records_one(const uint8_t *data, size_t size);

#endif /* ATR_TESTS_FUZZ_TARGETS_H */
