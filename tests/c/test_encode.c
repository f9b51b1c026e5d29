/*
 * Encoder unit tests: the exact bytes of every msgpack form at its boundaries, values
 * (truncation, ext types, summaries and their nesting limit), records, and the cursor's
 * out-of-room behaviour.
 */
#include "atr_test.h"
#include "format/encode.h"

static uint8_t buf[1 << 17];

#define ENC(stmt)                                        \
    do {                                                 \
        atr__cur c_ = atr__cur_make(buf, 0, sizeof buf); \
        atr__cur *c = &c_;                               \
        stmt;                                            \
        out_len = c_.pos;                                \
    } while (0)

#define EXPECT(stmt, ...)                                    \
    do {                                                     \
        static const uint8_t want_[] = {__VA_ARGS__};        \
        size_t out_len;                                      \
        ENC(stmt);                                           \
        ATR_CHECK_EQ_MEM(buf, out_len, want_, sizeof want_); \
    } while (0)

static void test_uint(void) {
    EXPECT(atr__enc_uint(c, 0), 0x00);
    EXPECT(atr__enc_uint(c, 127), 0x7f);
    EXPECT(atr__enc_uint(c, 128), 0xcc, 0x80);
    EXPECT(atr__enc_uint(c, 255), 0xcc, 0xff);
    EXPECT(atr__enc_uint(c, 256), 0xcd, 0x01, 0x00);
    EXPECT(atr__enc_uint(c, 65535), 0xcd, 0xff, 0xff);
    EXPECT(atr__enc_uint(c, 65536), 0xce, 0x00, 0x01, 0x00, 0x00);
    EXPECT(atr__enc_uint(c, 0xffffffffu), 0xce, 0xff, 0xff, 0xff, 0xff);
    EXPECT(atr__enc_uint(c, 0x100000000u), 0xcf, 0, 0, 0, 1, 0, 0, 0, 0);
    EXPECT(atr__enc_uint(c, UINT64_MAX), 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
}

static void test_int(void) {
    EXPECT(atr__enc_int(c, 5), 0x05);
    EXPECT(atr__enc_int(c, 200), 0xcc, 0xc8);
    EXPECT(atr__enc_int(c, -1), 0xff);
    EXPECT(atr__enc_int(c, -32), 0xe0);
    EXPECT(atr__enc_int(c, -33), 0xd0, 0xdf);
    EXPECT(atr__enc_int(c, -128), 0xd0, 0x80);
    EXPECT(atr__enc_int(c, -129), 0xd1, 0xff, 0x7f);
    EXPECT(atr__enc_int(c, -32768), 0xd1, 0x80, 0x00);
    EXPECT(atr__enc_int(c, -32769), 0xd2, 0xff, 0xff, 0x7f, 0xff);
    EXPECT(atr__enc_int(c, INT32_MIN), 0xd2, 0x80, 0x00, 0x00, 0x00);
    EXPECT(atr__enc_int(c, (int64_t)INT32_MIN - 1), 0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff,
           0xff);
    EXPECT(atr__enc_int(c, INT64_MIN), 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0);
    EXPECT(atr__enc_int(c, INT64_MAX), 0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
}

/* A record's time delta: [0, 65535] always in the uint16 form (issue 16: constant bytes
 * around it for zstd), other values in their shortest form (atr__enc_int). */
static void test_dt(void) {
    EXPECT(atr__enc_dt(c, 0), 0xcd, 0x00, 0x00);
    EXPECT(atr__enc_dt(c, 16), 0xcd, 0x00, 0x10);
    EXPECT(atr__enc_dt(c, 255), 0xcd, 0x00, 0xff);
    EXPECT(atr__enc_dt(c, 65535), 0xcd, 0xff, 0xff);
    EXPECT(atr__enc_dt(c, 65536), 0xce, 0x00, 0x01, 0x00, 0x00);
    EXPECT(atr__enc_dt(c, -1), 0xff);
    EXPECT(atr__enc_dt(c, -200), 0xd1, 0xff, 0x38);
    EXPECT(atr__enc_dt(c, INT64_MAX), 0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    {
        uint8_t out[16], *e = atr__put_dt(out, 16);
        ATR_CHECK_EQ_MEM(out, (size_t)(e - out), "\xcd\x00\x10", 3);
        e = atr__put_dt(out, 65536);
        ATR_CHECK_EQ_MEM(out, (size_t)(e - out), "\xce\x00\x01\x00\x00", 5);
        e = atr__put_dt(out, -5);
        ATR_CHECK_EQ_MEM(out, (size_t)(e - out), "\xfb", 1);
    }
}

static void test_scalars(void) {
    EXPECT(atr__enc_nil(c), 0xc0);
    EXPECT(atr__enc_bool(c, 0), 0xc2);
    EXPECT(atr__enc_bool(c, 7), 0xc3);
    EXPECT(atr__enc_float(c, 1.5), 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0);
    EXPECT(atr__enc_float(c, -2.0), 0xcb, 0xc0, 0x00, 0, 0, 0, 0, 0, 0);
}

/* Header bytes of a str/bin/array/map of length n. */
static size_t header_of(void (*f)(atr__cur *, size_t), size_t n) {
    atr__cur c = atr__cur_make(buf, 0, sizeof buf);
    f(&c, n);
    return c.pos;
}

static void test_headers(void) {
    EXPECT(atr__enc_str(c, "abc", 3), 0xa3, 'a', 'b', 'c');
    EXPECT(atr__enc_str(c, "", 0), 0xa0);
    EXPECT(atr__enc_str_hdr(c, 31), 0xbf);
    EXPECT(atr__enc_str_hdr(c, 32), 0xd9, 32);
    EXPECT(atr__enc_str_hdr(c, 255), 0xd9, 0xff);
    EXPECT(atr__enc_str_hdr(c, 256), 0xda, 0x01, 0x00);
    EXPECT(atr__enc_str_hdr(c, 65535), 0xda, 0xff, 0xff);
    EXPECT(atr__enc_str_hdr(c, 65536), 0xdb, 0x00, 0x01, 0x00, 0x00);
    EXPECT(atr__enc_bin_hdr(c, 0), 0xc4, 0x00);
    EXPECT(atr__enc_bin_hdr(c, 255), 0xc4, 0xff);
    EXPECT(atr__enc_bin_hdr(c, 256), 0xc5, 0x01, 0x00);
    EXPECT(atr__enc_bin_hdr(c, 65536), 0xc6, 0x00, 0x01, 0x00, 0x00);
    EXPECT(atr__enc_array_hdr(c, 0), 0x90);
    EXPECT(atr__enc_array_hdr(c, 15), 0x9f);
    EXPECT(atr__enc_array_hdr(c, 16), 0xdc, 0x00, 0x10);
    EXPECT(atr__enc_array_hdr(c, 65536), 0xdd, 0x00, 0x01, 0x00, 0x00);
    EXPECT(atr__enc_map_hdr(c, 15), 0x8f);
    EXPECT(atr__enc_map_hdr(c, 16), 0xde, 0x00, 0x10);
    EXPECT(atr__enc_map_hdr(c, 70000), 0xdf, 0x00, 0x01, 0x11, 0x70);
    ATR_CHECK_EQ_INT(header_of(atr__enc_str_hdr, 100000), 5);
}

static void test_ext_headers(void) {
    EXPECT(atr__enc_ext_hdr(c, 3, 1), 0xd4, 3);
    EXPECT(atr__enc_ext_hdr(c, 3, 2), 0xd5, 3);
    EXPECT(atr__enc_ext_hdr(c, 3, 4), 0xd6, 3);
    EXPECT(atr__enc_ext_hdr(c, 3, 8), 0xd7, 3);
    EXPECT(atr__enc_ext_hdr(c, 3, 16), 0xd8, 3);
    EXPECT(atr__enc_ext_hdr(c, 4, 0), 0xc7, 0x00, 4);
    EXPECT(atr__enc_ext_hdr(c, 1, 3), 0xc7, 0x03, 1);
    EXPECT(atr__enc_ext_hdr(c, 1, 255), 0xc7, 0xff, 1);
    EXPECT(atr__enc_ext_hdr(c, 2, 256), 0xc8, 0x01, 0x00, 2);
    EXPECT(atr__enc_ext_hdr(c, 2, 65536), 0xc9, 0x00, 0x01, 0x00, 0x00, 2);
    ATR_CHECK_EQ_INT(atr__enc_ext_hdr_size(0), 3);
    ATR_CHECK_EQ_INT(atr__enc_ext_hdr_size(16), 2);
    ATR_CHECK_EQ_INT(atr__enc_ext_hdr_size(17), 3);
    ATR_CHECK_EQ_INT(atr__enc_ext_hdr_size(300), 4);
    ATR_CHECK_EQ_INT(atr__enc_ext_hdr_size(70000), 6);
}

static atr_value atr_value_uint_for_test(void) {
    atr_value v = atr_value_nil();
    v.kind = ATR_V_UINT;
    v.u.u = UINT64_MAX - 1;
    return v;
}

static void test_values(void) {
    atr_value v;
    v = atr_value_strn("hello", 5);
    EXPECT(atr__enc_value(c, &v, 8), 0xa5, 'h', 'e', 'l', 'l', 'o');
    /* Longer than the limit: ext 1, payload = true length 5, then "hel". */
    EXPECT(atr__enc_value(c, &v, 3), 0xd6, 1, 0x05, 'h', 'e', 'l');
    /* Truncated by the caller (true_len > len). */
    v.u.s.true_len = 1000;
    EXPECT(atr__enc_value(c, &v, 100), 0xd7, 1, 0xcd, 0x03, 0xe8, 'h', 'e', 'l', 'l', 'o');
    v = atr_value_bytes("\x00\x01", 2);
    EXPECT(atr__enc_value(c, &v, 8), 0xc4, 2, 0, 1);
    EXPECT(atr__enc_value(c, &v, 1), 0xd5, 2, 0x02, 0x00);
    v = atr_value_nil();
    v.kind = ATR_V_REDACTED;
    EXPECT(atr__enc_value(c, &v, 8), 0xc7, 0, 4);
    v = atr_value_strn("-123", 4);
    v.kind = ATR_V_BIGINT;
    EXPECT(atr__enc_value(c, &v, 8), 0xd6, 5, '-', '1', '2', '3');
    EXPECT(atr__enc_value(c, &v, 2), 0xc7, 3, 1, 4, '-', '1');
    v = atr_value_strn("<Foo>", 5);
    v.kind = ATR_V_REPR;
    EXPECT(atr__enc_value(c, &v, 8), 0xc7, 6, 6, 5, '<', 'F', 'o', 'o', '>');
    v = atr_value_strn("Foo", 3);
    v.kind = ATR_V_ERROR;
    EXPECT(atr__enc_value(c, &v, 8), 0xc7, 3, 7, 'F', 'o', 'o');
    v = atr_value_uint_for_test();
    EXPECT(atr__enc_value(c, &v, 8), 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe);
    v = atr_value_float(0.0);
    EXPECT(atr__enc_value(c, &v, 8), 0xcb, 0, 0, 0, 0, 0, 0, 0, 0);
    EXPECT(atr__enc_value(c, NULL, 8), 0xc0);
    /* Invalid input becomes a capture error, never a crash. */
    v = atr_value_strn(NULL, 4);
    {
        size_t out_len;
        ENC(atr__enc_value(c, &v, 8));
        ATR_CHECK(out_len > 2 && buf[2] == 7);
    }
    v.kind = 99;
    {
        size_t out_len;
        ENC(atr__enc_value(c, &v, 8));
        ATR_CHECK(out_len > 2 && buf[2] == 7);
    }
}

static void test_summary(void) {
    atr_value items[2], v, lv[5];
    int i;
    items[0] = atr_value_int(1);
    items[1] = atr_value_strn("x", 1);
    v = atr_value_summary("list", 4, 10);
    v.u.sum.items = items;
    v.n_items = 2;
    /* ext 3 payload [ "list", 10, 1, "x" ] = 94 a4 l i s t 0a 01 a1 78 : 10 bytes. */
    EXPECT(atr__enc_value(c, &v, 8), 0xc7, 10, 3, 0x94, 0xa4, 'l', 'i', 's', 't', 0x0a, 0x01, 0xa1,
           'x');
    v = atr_value_summary("d", 1, -1);
    /* payload 92 a1 64 c0: 4 bytes, fixext 4. */
    EXPECT(atr__enc_value(c, &v, 8), 0xd6, 3, 0x92, 0xa1, 'd', 0xc0);
    /* Nesting: five levels given; the fourth is written without items. */
    for (i = 0; i < 5; i++) {
        lv[i] = atr_value_summary("t", 1, i);
        if (i > 0) {
            lv[i].u.sum.items = &lv[i - 1];
            lv[i].n_items = 1;
        }
    }
    {
        /* level 4 (innermost kept): d6 03 92 a1 74 01 (t, length 1, no items) */
        static const uint8_t l4[] = {0xd6, 3, 0x92, 0xa1, 't', 0x01};
        size_t out_len, depth = 0, p = 0;
        ENC(atr__enc_value(c, &lv[4], 100));
        /* walk: each level is ext hdr (3 bytes, ext8) + 93 a1 74 <len> then the child */
        while (p + 3 <= out_len && buf[p] == 0xc7 && buf[p + 2] == 3) {
            depth++;
            p += 3 + 4;
        }
        ATR_CHECK_EQ_INT(depth, 3);
        ATR_CHECK_EQ_MEM(buf + p, out_len - p, l4, sizeof l4);
    }
}

static void test_records(void) {
    atr_value a[2];
    atr_field f;
    a[0] = atr_value_int(1);
    a[1] = atr_value_int(2);
    EXPECT(atr__enc_start(c, 1100, 0, 0, a, 2, NULL, 0, 64), 0x95, 5, 0xcd, 0x04, 0x4c, 0, 0, 0x92,
           1, 2);
    f.name.ptr = "k";
    f.name.len = 1;
    f.value = atr_value_bool(1);
    EXPECT(atr__enc_start(c, -5, 1, 3, NULL, 0, &f, 1, 64), 0x96, 5, 0xfb, 1, 3, 0x90, 0x81, 0xa1,
           'k', 0xc3);
    EXPECT(atr__enc_end_return(c, 5, 1, &a[0], 64), 0x95, 6, 0xcd, 0, 5, 1, 0, 1);
    EXPECT(atr__enc_end_return(c, 5, 1, NULL, 64), 0x94, 6, 0xcd, 0, 5, 1, 2);
    EXPECT(atr__enc_end_raise(c, 1, 2, (atr_str){"E", 1}, NULL, 64), 0x96, 6, 0xcd, 0, 1, 2, 1,
           0xa1, 'E', 0xc0);
    EXPECT(atr__enc_message(c, 0, 0, (atr_str){"m", 1}, NULL, 0, 64), 0x95, 7, 0xcd, 0, 0, 0, 0xa1,
           'm', 0x80);
    EXPECT(atr__enc_suspend(c, 11, 100, 1), 0x93, 11, 0xcd, 0, 100, 1);
    EXPECT(atr__enc_suspend(c, 12, 70000, 1), 0x93, 12, 0xce, 0, 1, 0x11, 0x70, 1);
    EXPECT(atr__enc_sync(c, 300, 2), 0x93, 8, 0xcd, 0x01, 0x2c, 2);
    EXPECT(atr__enc_chunk(c, 3), 0x92, 4, 3);
    EXPECT(atr__enc_thread(c, 42, "T", 1), 0x93, 3, 42, 0xa1, 'T');
    EXPECT(atr__enc_end_of_log(c, 1200), 0x92, 10, 0xcd, 0x04, 0xb0);
}

static void test_out_of_room(void) {
    uint8_t small[4] = {0xee, 0xee, 0xee, 0xee};
    atr__cur c = atr__cur_make(small, 0, 3);
    atr_value v = atr_value_strn("hello world", 11);
    atr__enc_value(&c, &v, 100);
    ATR_CHECK_EQ_INT(c.pos, 12); /* the size it needs */
    ATR_CHECK(!atr__cur_ok(&c));
    ATR_CHECK_EQ_INT(small[3], 0xee); /* nothing past cap */
    c = atr__cur_make(NULL, 0, 0);    /* size-only pass */
    atr__enc_value(&c, &v, 100);
    ATR_CHECK_EQ_INT(c.pos, 12);
}

/*
 * A summary is encoded behind room for the largest ext header, then moved down. When the
 * room runs out only inside that reserve, the cursor must still say "out of room" rather
 * than report a fit over a payload that was never moved.
 */
static void test_summary_near_end_of_room(void) {
    static const uint8_t want[] = {0xd6, 3, 0x92, 0xa1, 'd', 0xc0};
    atr_value v = atr_value_summary("d", 1, -1);
    size_t cap;
    for (cap = 0; cap < 16; cap++) {
        uint8_t room[16];
        atr__cur c = atr__cur_make(room, 0, cap);
        memset(room, 0, sizeof room);
        atr__enc_value(&c, &v, 100);
        if (atr__cur_ok(&c))
            ATR_CHECK_EQ_MEM(room, c.pos, want, sizeof want);
        else
            ATR_CHECK(c.pos > cap);
    }
}

/*
 * A summary without items takes a path that writes its ext header first. Its bytes must be
 * the general form's: [type, length] encoded on its own, then put behind the ext header of
 * that payload's size. Type names and lengths cross every header boundary (str 31/32,
 * 255/256; ext payloads of 1/2/4/8/16 bytes are fixext, 255/256 ext8/ext16).
 */
static void test_summary_flat_matches_general(void) {
    static char name[70000];
    static uint8_t payload[1 << 17], want[1 << 17];
    static const size_t tlens[] = {0,   1,   2,   3,   4,     5,     6,     7,     8,    9,   10,
                                   11,  12,  13,  14,  15,    16,    17,    23,    24,   25,  29,
                                   30,  31,  32,  33,  240,   241,   250,   251,   252,  253, 254,
                                   255, 256, 257, 300, 65530, 65531, 65535, 65536, 65540};
    static const int64_t lens[] = {-1,  0,     1,     127,          128,           255,
                                   256, 65535, 65536, 0xffffffffLL, 0x100000000LL, INT64_MAX,
                                   -2}; /* -2: any negative is nil */
    size_t i, j;
    for (i = 0; i < sizeof name; i++)
        name[i] = (char)('!' + i % 89); /* distinct bytes: a misplaced copy shows */
    for (i = 0; i < sizeof tlens / sizeof tlens[0]; i++) {
        for (j = 0; j < sizeof lens / sizeof lens[0]; j++) {
            atr_value v = atr_value_summary(name, tlens[i], lens[j]);
            atr__cur p = atr__cur_make(payload, 0, sizeof payload);
            atr__cur w = atr__cur_make(want, 0, sizeof want);
            size_t out_len;
            atr__enc_array_hdr(&p, 2);
            atr__enc_str(&p, name, tlens[i]);
            if (lens[j] < 0)
                atr__enc_nil(&p);
            else
                atr__enc_int(&p, lens[j]);
            atr__enc_ext_hdr(&w, 3, p.pos);
            atr__enc_raw(&w, payload, p.pos);
            ATR_CHECK(atr__cur_ok(&w));
            ENC(atr__enc_value(c, &v, sizeof name));
            ATR_CHECK_EQ_MEM(buf, out_len, want, w.pos);
            /* as a START argument and as a returned value (the records' own fast paths) */
            ENC(atr__enc_start(c, 5, 0, 1, &v, 1, NULL, 0, sizeof name));
            ATR_CHECK(out_len >= w.pos);
            ATR_CHECK_EQ_MEM(buf + out_len - w.pos, w.pos, want, w.pos);
            ENC(atr__enc_end_return(c, 5, 1, &v, sizeof name));
            ATR_CHECK(out_len >= w.pos);
            ATR_CHECK_EQ_MEM(buf + out_len - w.pos, w.pos, want, w.pos);
            /* and as the deepest level of a nested summary (its items dropped) */
            {
                atr_value inner = atr_value_int(7), lv[ATR__SUMMARY_DEPTH_MAX];
                int k;
                for (k = 0; k < ATR__SUMMARY_DEPTH_MAX; k++) {
                    lv[k] = k ? atr_value_summary("t", 1, 1) : v;
                    lv[k].u.sum.items = k ? &lv[k - 1] : &inner;
                    lv[k].n_items = 1;
                }
                ENC(atr__enc_value(c, &lv[ATR__SUMMARY_DEPTH_MAX - 1], sizeof name));
                ATR_CHECK(out_len >= w.pos);
                ATR_CHECK_EQ_MEM(buf + out_len - w.pos, w.pos, want, w.pos);
            }
        }
    }
}

/* A type table for the tests below: ids handed out in order from `next_id`. */
static uint32_t next_id;
static uint32_t define_type(void *ctx, const char *name, size_t len, const char **copy) {
    (void)ctx;
    (void)len;
    *copy = name; /* the tests' names are static */
    return next_id++;
}

/*
 * A summary with items of an interned type is ext 8 `id length item...`. Scalars and objects
 * as items take a path that writes them straight into room checked once (roomy buffer), else
 * the general one (a buffer just big enough): both must give the bytes built here from the
 * primitives, each item encoded on its own, for type ids and lengths across their widths,
 * 1 to 3 items of every kind (a 32-byte str, a nested container and an object of a type id
 * past 127 leave the straight path), ext payloads across fixext sizes.
 */
static void test_summary_items_interned(void) {
    static atr__types types;
    static uint8_t room[512], want[512], one[64];
    static const uint32_t first_ids[] = {0, 5, 126, 127, 128, 300, 70000};
    static const int64_t lens[] = {-1, 1, 3, 127, 128, 70000};
    atr_value inner_items[2] = {atr_value_int(1), atr_value_int(2)};
    atr_value kinds[12];
    size_t f, l, a, b, k, cap;
    kinds[0] = atr_value_int(0);
    kinds[1] = atr_value_int(-33);
    kinds[2] = atr_value_int(1LL << 40);
    kinds[3] = atr_value_nil();
    kinds[4] = atr_value_bool(1);
    kinds[5] = atr_value_float(2.5);
    kinds[6] = atr_value_strn("one", 3);
    kinds[7] = atr_value_strn("a str of exactly thirty-one bytes", 31);
    kinds[8] = atr_value_strn("a str of exactly thirty-two bytes.", 32);
    kinds[9] = atr_value_summary("Point", 5, -1);
    kinds[10] = atr_value_summary("list", 4, 2);
    kinds[10].u.sum.items = inner_items;
    kinds[10].n_items = 2;
    kinds[11] = atr_value_summary("Sized", 5, 9);
    for (f = 0; f < sizeof first_ids / sizeof first_ids[0]; f++) {
        for (l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            for (a = 0; a < 12; a++) {
                for (b = 0; b < 12 * 12 + 1; b++) {
                    atr_value items[3], v = atr_value_summary("tuple", 5, lens[l]);
                    uint32_t n = 1;
                    atr__cur w, c;
                    size_t plen;
                    items[0] = kinds[a];
                    if (b > 0) { /* b - 1: two more items, or none */
                        items[1] = kinds[(b - 1) % 12];
                        items[2] = kinds[(b - 1) / 12];
                        n = 3;
                    }
                    v.u.sum.items = items;
                    v.n_items = n;
                    memset(&types, 0, sizeof types);
                    types.define = define_type;
                    next_id = first_ids[f];
                    /* the expected bytes: payload from the primitives, items on their own */
                    w = atr__cur_make(want, 8, sizeof want);
                    w.types = &types;
                    atr__enc_uint(&w, atr__types_id(&types, "tuple", 5));
                    if (lens[l] < 0)
                        atr__enc_nil(&w);
                    else
                        atr__enc_int(&w, lens[l]);
                    for (k = 0; k < n; k++)
                        atr__enc_value(&w, &items[k], 1000);
                    ATR_CHECK(atr__cur_ok(&w));
                    plen = w.pos - 8;
                    c = atr__cur_make(one, 0, sizeof one);
                    atr__enc_ext_hdr(&c, 8, plen);
                    memmove(want + 8 - c.pos, one, c.pos);
                    /* roomy, then just big enough (and too small: out of room) */
                    for (cap = sizeof room; cap >= c.pos + plen - 1; cap--) {
                        atr__cur r = atr__cur_make(room, 0, cap);
                        r.types = &types;
                        atr__enc_value(&r, &v, 1000);
                        if (cap < c.pos + plen) {
                            ATR_CHECK(!atr__cur_ok(&r));
                            break;
                        }
                        if (atr__cur_ok(&r))
                            ATR_CHECK_EQ_MEM(room, r.pos, want + 8 - c.pos, c.pos + plen);
                        if (cap > c.pos + plen + 8)
                            cap = c.pos + plen + 9; /* then the few sizes at the end */
                    }
                }
            }
        }
    }
}

/*
 * START and END-return write their fixed part at once when ATR__REC_HDR_MAX bytes are free,
 * else through the checked primitives. Both must give the bytes built here from those
 * primitives, for every integer width of dt, parent/span and function id, with 0..17
 * arguments (15/16 cross the fixarray limit), in a roomy buffer and in one just big enough.
 */
static void test_record_headers(void) {
    static const int64_t dts[] = {
        0,         5,          127,           128,       -1,        -32,
        -33,       -128,       -129,          255,       256,       65535,
        65536,     -32769,     -32768,        32767,     32768,     -2147483647 - 1,
        INT32_MIN, 0x7fffffff, -2147483649LL, INT64_MAX, INT64_MIN, -70000};
    static const uint64_t ids[] = {
        0, 1, 127, 128, 255, 256, 65535, 65536, 0xffffffffu, 0x100000000ull, UINT64_MAX};
    static uint8_t want[256], tight[256];
    atr_value args[17];
    size_t i, j, k, out_len;
    uint32_t n;
    for (i = 0; i < 17; i++) { /* every kind the top-level fast paths take, and others */
        switch (i % 6) {
        case 1:
            args[i] = atr_value_float((double)i / 3);
            break;
        case 2:
            args[i] = atr_value_nil();
            break;
        case 3:
            args[i] = atr_value_bool(1);
            break;
        case 4:
            args[i] = atr_value_summary("Point", 5, -1);
            break;
        default:
            args[i] = atr_value_int((int64_t)i * 1000 - 3);
        }
    }
    for (i = 0; i < sizeof dts / sizeof dts[0]; i++) {
        for (j = 0; j < sizeof ids / sizeof ids[0]; j++) {
            for (n = 0; n <= 17; n++) {
                uint32_t fn = (uint32_t)(ids[(j + n) % (sizeof ids / sizeof ids[0])]);
                atr__cur w = atr__cur_make(want, 0, sizeof want), t;
                atr__enc_array_hdr(&w, 5);
                atr__enc_uint(&w, 5);
                atr__enc_dt(&w, dts[i]);
                atr__enc_uint(&w, ids[j]);
                atr__enc_uint(&w, fn);
                atr__enc_array_hdr(&w, n);
                for (k = 0; k < n; k++)
                    atr__enc_value(&w, &args[k], 64);
                ENC(atr__enc_start(c, dts[i], ids[j], fn, args, n, NULL, 0, 64));
                ATR_CHECK_EQ_MEM(buf, out_len, want, w.pos);
                t = atr__cur_make(tight, 0, w.pos);
                atr__enc_start(&t, dts[i], ids[j], fn, args, n, NULL, 0, 64);
                ATR_CHECK(atr__cur_ok(&t));
                ATR_CHECK_EQ_MEM(tight, t.pos, want, w.pos);
            }
            for (n = 0; n < 2; n++) {
                atr__cur w = atr__cur_make(want, 0, sizeof want), t;
                atr__enc_array_hdr(&w, n ? 5 : 4);
                atr__enc_uint(&w, 6);
                atr__enc_dt(&w, dts[i]);
                atr__enc_uint(&w, ids[j]);
                atr__enc_uint(&w, n ? 0 : 2);
                if (n)
                    atr__enc_int(&w, dts[i]);
                args[0] = atr_value_int(dts[i]);
                ENC(atr__enc_end_return(c, dts[i], ids[j], n ? &args[0] : NULL, 64));
                ATR_CHECK_EQ_MEM(buf, out_len, want, w.pos);
                t = atr__cur_make(tight, 0, w.pos);
                atr__enc_end_return(&t, dts[i], ids[j], n ? &args[0] : NULL, 64);
                ATR_CHECK(atr__cur_ok(&t));
                ATR_CHECK_EQ_MEM(tight, t.pos, want, w.pos);
            }
            args[0] = atr_value_int(-3);
        }
    }
}

/*
 * The scalar straight line (atr__put_scalar): START arguments and END results that are ints,
 * floats, None, bools or short untruncated strs are written without the general encoder.
 * Every value must give atr__enc_value's bytes, as any argument of a START (scalars around a
 * non-scalar) and as a result, in a roomy buffer and in one just big enough; strs at the
 * 31/32-byte fixstr limit, at max_bytes and truncated (true_len > len) go the general way.
 */
static void test_scalar_records(void) {
    static const char text[40] = "abcdefghijklmnopqrstuvwxyz0123456789ABC";
    static uint8_t want[4096], tight[4096];
    atr_value vals[64];
    size_t nv = 0, i, k, out_len;
    static const int64_t ints[] = {0,     1,         127,           128,       -1,
                                   -32,   -33,       -128,          -129,      65535,
                                   65536, INT32_MIN, -2147483649LL, INT64_MAX, INT64_MIN};
    static const size_t maxes[] = {64, 31, 30, 5, 0};
    size_t m;
    for (i = 0; i < sizeof ints / sizeof ints[0]; i++)
        vals[nv++] = atr_value_int(ints[i]);
    vals[nv++] = atr_value_float(-0.0);
    vals[nv++] = atr_value_float(1e300);
    vals[nv++] = atr_value_nil();
    vals[nv++] = atr_value_bool(0);
    vals[nv++] = atr_value_bool(1);
    for (i = 0; i <= 33; i += (i < 8 || i > 28) ? 1 : 5)
        vals[nv++] = atr_value_strn(text, i);
    vals[nv] = atr_value_strn(text, 10); /* truncated: 10 of 50 bytes */
    vals[nv++].u.s.true_len = 50;
    vals[nv++] = atr_value_summary("Point", 5, -1); /* not a scalar */
    for (m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
        size_t maxv = maxes[m];
        for (i = 0; i < nv; i++) {
            /* as the result of an END */
            atr__cur w = atr__cur_make(want, 0, sizeof want), t;
            atr__enc_array_hdr(&w, 5);
            atr__enc_uint(&w, 6);
            atr__enc_int(&w, 300);
            atr__enc_uint(&w, 1);
            atr__enc_uint(&w, 0);
            atr__enc_value(&w, &vals[i], maxv);
            ENC(atr__enc_end_return(c, 300, 1, &vals[i], maxv));
            ATR_CHECK_EQ_MEM(buf, out_len, want, w.pos);
            t = atr__cur_make(tight, 0, w.pos);
            atr__enc_end_return(&t, 300, 1, &vals[i], maxv);
            ATR_CHECK(atr__cur_ok(&t));
            ATR_CHECK_EQ_MEM(tight, t.pos, want, w.pos);
            /* as the arguments of a START: up to 15 values from i on (wrapping) */
            for (k = 1; k <= 15; k += 7) {
                atr_value args[15];
                size_t a;
                for (a = 0; a < k; a++)
                    args[a] = vals[(i + a) % nv];
                w = atr__cur_make(want, 0, sizeof want);
                atr__enc_array_hdr(&w, 5);
                atr__enc_uint(&w, 5);
                atr__enc_int(&w, -7);
                atr__enc_uint(&w, 2);
                atr__enc_uint(&w, 9);
                atr__enc_array_hdr(&w, k);
                for (a = 0; a < k; a++)
                    atr__enc_value(&w, &args[a], maxv);
                ENC(atr__enc_start(c, -7, 2, 9, args, (uint32_t)k, NULL, 0, maxv));
                ATR_CHECK_EQ_MEM(buf, out_len, want, w.pos);
                t = atr__cur_make(tight, 0, w.pos);
                atr__enc_start(&t, -7, 2, 9, args, (uint32_t)k, NULL, 0, maxv);
                ATR_CHECK(atr__cur_ok(&t));
                ATR_CHECK_EQ_MEM(tight, t.pos, want, w.pos);
            }
        }
    }
}

/* A value table for the test below: ids in order; the copy is the caller's bytes. */
static uint32_t next_value_id;
static uint32_t define_value(void *ctx, int kind, const char *p, size_t n, uint64_t true_len,
                             const char **copy) {
    (void)ctx;
    (void)kind;
    (void)n;
    (void)true_len;
    *copy = p; /* the test's values stay where they are */
    return next_value_id++;
}

static size_t value_set(const char *p) {
    uint64_t a = (uint64_t)(uintptr_t)p * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(a >> (64 - ATR__VALUE_SLOT_BITS)) & ~(size_t)1;
}

/*
 * Interned values (ext 9): a value is written in full at its first sighting, by its id from
 * the second. Two values passed by turns whose addresses fall in the same set of the
 * thread's cache (with one slot per set, each evicted the other: neither was ever written
 * by its id, about one pair of values in 64) both get their ids; a third value in that set
 * evicts the older of the two.
 */
static void test_values_interned_by_turns(void) {
    static atr__types types;
    static char pool[1 << 16];
    const char *v[3] = {pool, NULL, NULL};
    size_t off, nv = 1, round, k;
    memset(pool, 'x', sizeof pool);
    for (off = 512; off + 300 <= sizeof pool && nv < 3; off += 512) /* same set as v[0] */
        if (value_set(pool + off) == value_set(pool))
            v[nv++] = pool + off;
    ATR_REQUIRE(nv == 3);
    for (k = 0; k < 3; k++)
        memcpy((char *)v[k], k == 0 ? "first" : k == 1 ? "secnd" : "third", 5);
    memset(&types, 0, sizeof types);
    types.define_value = define_value;
    next_value_id = 0;
    /* the first two by turns: full, full, then ids 0 and 1 from the second round on */
    for (round = 0; round < 4; round++) {
        for (k = 0; k < 2; k++) {
            atr_value s = atr_value_strn(v[k], 300);
            atr__cur c = atr__cur_make(buf, 0, sizeof buf);
            c.types = &types;
            atr__enc_value(&c, &s, 1000);
            ATR_REQUIRE(atr__cur_ok(&c));
            if (round == 0) {
                ATR_CHECK_EQ_INT(c.pos, 3 + 300); /* str 16: da 01 2c, then the bytes */
            } else {
                const uint8_t want[] = {0xd4, 9, (uint8_t)k};
                ATR_CHECK_EQ_MEM(buf, c.pos, want, sizeof want);
            }
        }
    }
    /* a third in the same set takes the place of the least recently used, v[0]: v[1]
       keeps its id, v[0] is new again (then v[2] is the least recent: gone too) */
    for (k = 0; k < 5; k++) {
        static const size_t order[] = {2, 1, 0, 0, 2};
        static const size_t want_len[] = {303, 3, 303, 3, 303};
        atr_value s = atr_value_strn(v[order[k]], 300);
        atr__cur c = atr__cur_make(buf, 0, sizeof buf);
        c.types = &types;
        atr__enc_value(&c, &s, 1000);
        ATR_CHECK_EQ_INT(c.pos, want_len[k]);
    }
}

int main(void) {
    test_uint();
    test_int();
    test_dt();
    test_scalars();
    test_headers();
    test_ext_headers();
    test_values();
    test_summary();
    test_records();
    test_out_of_room();
    test_summary_near_end_of_room();
    test_summary_flat_matches_general();
    test_summary_items_interned();
    test_record_headers();
    test_scalar_records();
    test_values_interned_by_turns();
    ATR_TEST_MAIN_END();
}
