/*
 * The decoder's msgpack walker (format/decode_value.c): atr__mp_check() bounds a record's
 * bytes within a budget of objects; atr__mp_unpack() also builds the objects, exactly what
 * msgpack-c's own unpacker builds (docs/FORMAT.md section 8).
 */
#include <msgpack.h>
#include <string.h>

#include "atr_test.h"
#include "format/decode.h"
#include "format/decode_impl.h"

/* The bounds check on its own: sizes and budget. */
static void test_mp_check(void) {
    uint8_t bytes[64];
    uint64_t budget;
    size_t n, size;
    char msg[160];

    n = atr_test_hex("93 01 a2 61 62 c7 01 05 00 ff", bytes);
    budget = 100;
    ATR_CHECK_OK(atr__mp_check(bytes, n, 8, &size, &budget, msg, sizeof msg));
    ATR_CHECK_EQ_INT(size, n - 1);
    ATR_CHECK_EQ_U64(budget, 96);
    budget = 3;
    ATR_CHECK_ERR(atr__mp_check(bytes, n, 8, &size, &budget, msg, sizeof msg), ATR_ETOOBIG);
    budget = 100;
    ATR_CHECK_ERR(atr__mp_check(bytes, 4, 8, &size, &budget, msg, sizeof msg), ATR_ECORRUPT);
    budget = 100;
    ATR_CHECK_ERR(atr__mp_check(bytes, 2, 8, &size, &budget, msg, sizeof msg), ATR_ECORRUPT);
    n = atr_test_hex("92 01 cd 01", bytes);
    budget = 100;
    ATR_CHECK_ERR(atr__mp_check(bytes, n, 8, &size, &budget, msg, sizeof msg), ATR_ETRUNCATED);
    budget = 100;
    ATR_CHECK_ERR(atr__mp_check(bytes, n, 0, &size, &budget, msg, sizeof msg), ATR_ECORRUPT);
    n = atr_test_hex("cb 00 00", bytes);
    budget = 100;
    ATR_CHECK_ERR(atr__mp_check(bytes, n, 8, &size, &budget, NULL, 0), ATR_ETRUNCATED);
}

/* The same object tree as msgpack-c's own unpacker (scalars, strings point into the bytes). */
static int same_object(const msgpack_object *a, const msgpack_object *b) {
    uint32_t i;
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case MSGPACK_OBJECT_NIL:
        return 1;
    case MSGPACK_OBJECT_BOOLEAN:
        return a->via.boolean == b->via.boolean;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return a->via.u64 == b->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return a->via.i64 == b->via.i64;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return memcmp(&a->via.f64, &b->via.f64, sizeof a->via.f64) == 0;
    case MSGPACK_OBJECT_STR:
    case MSGPACK_OBJECT_BIN:
        /* msgpack-c's pointer for an empty string varies (NULL or not): not compared */
        return a->via.str.size == b->via.str.size &&
               (a->via.str.size == 0 || a->via.str.ptr == b->via.str.ptr);
    case MSGPACK_OBJECT_EXT:
        return a->via.ext.type == b->via.ext.type && a->via.ext.size == b->via.ext.size &&
               a->via.ext.ptr == b->via.ext.ptr;
    case MSGPACK_OBJECT_ARRAY:
        if (a->via.array.size != b->via.array.size)
            return 0;
        for (i = 0; i < a->via.array.size; i++)
            if (!same_object(&a->via.array.ptr[i], &b->via.array.ptr[i]))
                return 0;
        return 1;
    case MSGPACK_OBJECT_MAP:
        if (a->via.map.size != b->via.map.size)
            return 0;
        for (i = 0; i < a->via.map.size; i++)
            if (!same_object(&a->via.map.ptr[i].key, &b->via.map.ptr[i].key) ||
                !same_object(&a->via.map.ptr[i].val, &b->via.map.ptr[i].val))
                return 0;
        return 1;
    default:
        return 0;
    }
}

/* atr__mp_unpack() builds what msgpack_unpack() builds, for every msgpack type byte. */
static void test_mp_unpack(void) {
    static const char *const cases[] = {
        "00",
        "7f",
        "e0",
        "ff",
        "c0",
        "c2",
        "c3",
        "cc ff",
        "cd ff fe",
        "ce 80 00 00 01",
        "cf ff ff ff ff ff ff ff ff",
        "d0 80",
        "d0 7f",
        "d1 ff 00",
        "d1 01 00",
        "d2 80 00 00 00",
        "d3 ff ff ff ff ff ff ff fe",
        "d3 00 00 00 00 00 00 00 05",
        "ca 3f c0 00 00",
        "cb 40 09 21 fb 54 44 2d 18",
        "a3 61 62 63",
        "d9 02 68 69",
        "da 00 01 7a",
        "db 00 00 00 00",
        "c4 02 00 01",
        "c5 00 00",
        "c6 00 00 00 01 ff",
        "d4 07 01",
        "d5 fe 01 02",
        "d6 01 01 02 03 04",
        "d7 02 00 00 00 00 00 00 00 00",
        "d8 03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "c7 03 05 31 32 33",
        "c8 00 00 06",
        "c9 00 00 00 01 07 41",
        "90",
        "80",
        "95 05 00 01 92 c3 a1 78 82 a1 61 01 a1 62 93 c0 c2 ca 00 00 00 00",
        "dc 00 02 01 02",
        "dd 00 00 00 01 90",
        "de 00 01 a1 6b 90",
        "df 00 00 00 01 01 81 02 91 03",
        "95 05 3c 01 07 92 d6 01 01 02 03 04 c7 02 05 2d 31"};
    uint8_t bytes[64];
    msgpack_zone mine, theirs;
    size_t i;

    msgpack_zone_init(&mine, 1024);
    msgpack_zone_init(&theirs, 1024);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msgpack_object a, b;
        uint64_t budget = 100;
        size_t n = atr_test_hex(cases[i], bytes), size = 0, off = 0;
        char msg[160];
        ATR_CHECK_OK(atr__mp_unpack(bytes, n, 8, &size, &budget, msg, sizeof msg, &mine, &a));
        ATR_CHECK_EQ_INT(size, n);
        ATR_CHECK_EQ_INT(msgpack_unpack((const char *)bytes, n, &off, &theirs, &b),
                         MSGPACK_UNPACK_SUCCESS);
        if (!ATR_CHECK(same_object(&a, &b)))
            fprintf(stderr, "  case %zu (%s): not the object msgpack-c builds\n", i, cases[i]);
    }
    /* the errors are atr__mp_check()'s */
    {
        msgpack_object a;
        uint64_t budget = 100;
        size_t n = atr_test_hex("92 01 cd 01", bytes), size;
        char msg[160];
        ATR_CHECK_ERR(atr__mp_unpack(bytes, n, 8, &size, &budget, msg, sizeof msg, &mine, &a),
                      ATR_ETRUNCATED);
        n = atr_test_hex("dc ff ff 01", bytes);
        ATR_CHECK_ERR(atr__mp_unpack(bytes, n, 8, &size, &budget, msg, sizeof msg, &mine, &a),
                      ATR_ECORRUPT);
        ATR_CHECK(strstr(msg, "array of 65535 elements at byte 0, but only 1 bytes follow"));
    }
    msgpack_zone_destroy(&mine);
    msgpack_zone_destroy(&theirs);
}

int main(void) {
    test_mp_check();
    test_mp_unpack();
    ATR_TEST_MAIN_END();
}
