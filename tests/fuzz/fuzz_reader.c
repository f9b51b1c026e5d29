/* libFuzzer entry point: the input is a whole .atr file (see fuzz_targets.h). */
#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return atr_fuzz_reader_one(data, size);
}
