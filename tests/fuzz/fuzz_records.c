/* libFuzzer entry point: the input is record content, framed by the harness (fuzz_targets.h). */
#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return atr_fuzz_records_one(data, size);
}
