/*
 * The flusher's scan of a thread's records (format/findex_write.c atr__scan_thread): the
 * thread's time and START count after a run of records, their time range, START numbers and
 * function ids, over record tails of every element form (fixed-size scalars, strings, fixext
 * summaries, nested arrays and maps, bin, str8); a run cut anywhere but between records, or
 * holding a byte that is no msgpack element, is refused (-1) rather than misread.
 */
#include <stdlib.h>
#include <string.h>

#include "atr_test.h"
#include "format/findex.h"

static const char *const k_records[] = {
    /* START [5, 0x1234, 0, 7, [fixstr of 30, 1, 2.5, fixext1, [1, ..., 8, [2, 3]], {1: 2},
       str8 of 40]]: the fixed-size elements lie 32 bytes and more into the record (the
       scan's fast path), the str8 last (its general skip) */
    "95 05 cd 12 34 00 07 97 be"
    " 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61"
    " 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61"
    " 01 cb 40 04 00 00 00 00 00 00 d4 08 03"
    " 99 01 02 03 04 05 06 07 08 92 02 03 81 01 02 d9 28"
    " 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78"
    " 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78 78",
    "93 06 05 fd", /* END [6, 5, -3] */
    /* START [5, 16, 1, 9, [bin8 aa bb, nil, true, int16 -256, float32 1.0]] */
    "95 05 10 01 09 95 c4 02 aa bb c0 c3 d1 ff 00 ca 3f 80 00 00",
    "95 05 01 02 07 90", /* START [5, 1, 2, 7, []] */
    "93 06 02 c0",       /* END [6, 2, nil] */
    /* END [6, 3, fixstr of 31]: a record of 32 bytes and more that ends in a fixed-size element */
    "93 06 03 bf"
    " 79 79 79 79 79 79 79 79 79 79 79 79 79 79 79 79"
    " 79 79 79 79 79 79 79 79 79 79 79 79 79 79 79",
};
#define N_RECORDS (sizeof k_records / sizeof k_records[0])

/* The scan of p[0..n) from time 100, seq 10. */
static int scan(const uint8_t *p, size_t n, atr__scan_state *st, atr__scan_meta *m) {
    static uint32_t seen[16];
    static uint32_t stamp;
    memset(m, 0, sizeof *m);
    m->tmin = UINT64_MAX;
    st->time = 100;
    st->seq = 10;
    return atr__scan_thread(p, n, st, m, seen, 16, ++stamp);
}

int main(void) {
    uint8_t bytes[512];
    size_t n = 0, ends[N_RECORDS], i, r, c;
    atr__scan_state st;
    atr__scan_meta m;
    for (i = 0; i < N_RECORDS; i++) {
        n += atr_test_hex(k_records[i], bytes + n);
        ends[i] = n;
    }

    ATR_CHECK_EQ_INT(scan(bytes, n, &st, &m), 0);
    ATR_CHECK_EQ_U64(st.time, 100 + 0x1234 + 5 + 16 + 1 + 2 + 3);
    ATR_CHECK_EQ_U64(st.seq, 13);
    ATR_CHECK_EQ_U64(m.tmin, 100 + 0x1234);
    ATR_CHECK_EQ_U64(m.tmax, st.time);
    ATR_CHECK_EQ_U64(m.seq_lo, 11);
    ATR_CHECK_EQ_U64(m.seq_hi, 13);
    ATR_REQUIRE(m.n_fn == 2);
    ATR_CHECK_EQ_U64(m.fn[0], 7);
    ATR_CHECK_EQ_U64(m.fn[1], 9);
    free(m.fn);

    /* every cut: whole records scan, a record cut anywhere is refused (each run its own
       allocation of exactly its bytes, so a read past them shows under ASan) */
    for (c = 1, r = 0; c < n; c++) {
        uint8_t *p = malloc(c);
        int rc;
        ATR_REQUIRE(p != NULL);
        memcpy(p, bytes, c);
        while (ends[r] < c)
            r++;
        rc = scan(p, c, &st, &m);
        if (ends[r] == c) {
            ATR_CHECK_EQ_INT(rc, 0);
            ATR_CHECK_EQ_U64(st.seq, r >= 3 ? 13 : r >= 2 ? 12 : 11);
        } else if (rc != -1) {
            ATR_CHECK_EQ_INT(rc, -1);
            fprintf(stderr, "  (cut at byte %zu of %zu)\n", c, n);
        }
        free(m.fn);
        free(p);
    }

    /* a byte that is no msgpack element (0xc1) in a START's arguments, and in an END */
    for (i = 0; i < 2; i++) {
        uint8_t bad[512];
        memcpy(bad, bytes, n);
        bad[i ? ends[0] + 3 : 8 + 31 + 1] =
            0xc1; /* the float of the START's args; the END's result */
        ATR_CHECK_EQ_INT(scan(bad, n, &st, &m), -1);
        free(m.fn);
    }
    ATR_TEST_MAIN_END();
}
