/*
 * A check shared by the frame-index tests: two indexes (atr_frames.h) describe their first
 * n frames the same way. Include after atr_test.h, from the test's one .c file.
 */
#ifndef ATR_TESTS_FINDEX_CHECK_H
#define ATR_TESTS_FINDEX_CHECK_H

#include "argtrace/atr_frames.h"

/* Two indexes describe the same frames the same way. */
static inline void check_same_index(const atr_frame_index *a, const atr_frame_index *b,
                                    uint32_t n) {
    uint32_t i, k;
    ATR_REQUIRE(atr_frame_index_count(a) >= n && atr_frame_index_count(b) >= n);
    for (i = 0; i < n; i++) {
        atr_frame_info x, y;
        ATR_CHECK_OK(atr_frame_index_get(a, i, &x));
        ATR_CHECK_OK(atr_frame_index_get(b, i, &y));
        ATR_CHECK_EQ_U64(x.offset, y.offset);
        ATR_CHECK_EQ_U64(x.size, y.size);
        ATR_CHECK_EQ_U64(x.tmin, y.tmin);
        ATR_CHECK_EQ_U64(x.tmax, y.tmax);
        ATR_CHECK_EQ_INT(x.flags, y.flags);
        ATR_REQUIRE(x.n_threads == y.n_threads && x.n_functions == y.n_functions);
        for (k = 0; k < x.n_threads; k++) {
            uint32_t ta = 0, tb = 1;
            uint64_t la = 0, lb = 1, ha = 0, hb = 1;
            ATR_CHECK_OK(atr_frame_index_thread(a, i, k, &ta, &la, &ha));
            ATR_CHECK_OK(atr_frame_index_thread(b, i, k, &tb, &lb, &hb));
            ATR_CHECK_EQ_INT(ta, tb);
            ATR_CHECK_EQ_U64(la, lb);
            ATR_CHECK_EQ_U64(ha, hb);
        }
        for (k = 0; k < x.n_functions; k++) {
            uint32_t fa = 0, fb = 1;
            ATR_CHECK_OK(atr_frame_index_function(a, i, k, &fa));
            ATR_CHECK_OK(atr_frame_index_function(b, i, k, &fb));
            ATR_CHECK_EQ_INT(fa, fb);
        }
    }
}

#endif /* ATR_TESTS_FINDEX_CHECK_H */
