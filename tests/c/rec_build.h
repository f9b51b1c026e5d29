/*
 * Hand-built records for tests and the corrupt-log generator: byte sequences the writer
 * never produces, built with the encoder's msgpack primitives (format/encode.h).
 */
#ifndef ATR_TESTS_REC_BUILD_H
#define ATR_TESTS_REC_BUILD_H

#include <string.h>

#include "format/encode.h"
#include "format/format.h"

/*
 * A START record (dt 1, no parent, function 0) whose one argument is `levels` summaries
 * nested in each other (ext 3, type "t", length 1). Returns its size (<= cap when it fit).
 */
static inline size_t rec_build_nested_summaries(uint8_t *out, size_t cap, int levels) {
    uint8_t payload[512], tmp[512];
    size_t plen = 0;
    atr__cur c;
    int i;
    for (i = 0; i < levels && plen + 16 < sizeof tmp; i++) {
        c = atr__cur_make(tmp, 0, sizeof tmp);
        atr__enc_array_hdr(&c, i ? 3 : 2);
        atr__enc_str(&c, "t", 1);
        atr__enc_uint(&c, 1);
        if (i) {
            atr__enc_ext_hdr(&c, ATR__EXT_SUMMARY, plen);
            atr__enc_raw(&c, payload, plen);
        }
        memcpy(payload, tmp, c.pos);
        plen = c.pos;
    }
    c = atr__cur_make(out, 0, cap);
    atr__enc_array_hdr(&c, 5);
    atr__enc_uint(&c, ATR__REC_START);
    atr__enc_uint(&c, 1);
    atr__enc_uint(&c, 0);
    atr__enc_uint(&c, 0);
    atr__enc_array_hdr(&c, 1);
    atr__enc_ext_hdr(&c, ATR__EXT_SUMMARY, plen);
    atr__enc_raw(&c, payload, plen);
    return c.pos;
}

#endif /* ATR_TESTS_REC_BUILD_H */
