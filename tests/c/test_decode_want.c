/*
 * The decoder's want (atr__decoder_set_want, format/decode.h): a function it rejects at its
 * FUNCTION record has STARTs without args and fields, whose containers and count are still
 * checked; the values of the functions it keeps are decoded (and checked) as before.
 */
#include <string.h>

#include "atr_test.h"
#include "format/decode.h"
#include "format/encode.h"

static uint8_t buf[4096];
static atr__decoder *dec;
static int g_asked;

/* Keeps the functions whose qualname is "keep". */
static int want_keep(void *ud, const atr_record *function) {
    const atr_str *q = &function->u.function.qualname;
    (void)ud;
    g_asked++;
    return q->len == 4 && memcmp(q->ptr, "keep", 4) == 0;
}

/* A decoder with want_keep that has read PROCESS, FUNCTION 0 `qualname` (2 params), CHUNK 0. */
static void begin(const char *qualname) {
    static const atr_str params[] = {{"a", 1}, {"b", 1}};
    atr__process_desc pd;
    atr_function_info fi;
    atr__cur cur = atr__cur_make(buf, 0, sizeof buf);
    atr_record rec;
    size_t pos = 0, used = 0;

    atr__decoder_free(dec);
    ATR_REQUIRE(atr__decoder_new(1, 3, &dec) == 0);
    atr__decoder_set_want(dec, want_keep, NULL);
    memset(&pd, 0, sizeof pd);
    pd.host = "h";
    pd.runtime = "C";
    pd.tool = "t";
    atr__enc_process(&cur, &pd);
    memset(&fi, 0, sizeof fi);
    fi.qualname = atr_test_str(qualname);
    fi.n_params = 2;
    fi.params = params;
    atr__enc_function(&cur, 0, &fi);
    atr__enc_chunk(&cur, 0);
    g_asked = 0;
    for (int i = 0; i < 3; i++) {
        ATR_REQUIRE(atr__decode_record(dec, buf + pos, cur.pos - pos, &used, &rec) >= 0);
        pos += used;
    }
    ATR_CHECK_EQ_INT(g_asked, 1); /* once, at the FUNCTION record */
}

/* Decode one hand-built START (hex); its code, and the message in *msg. */
static int start(const char *hex, atr_record *rec, const char **msg) {
    uint8_t bytes[256];
    size_t n = atr_test_hex(hex, bytes), used = 0;
    int rc = atr__decode_record(dec, bytes, n, &used, rec);
    *msg = atr__decoder_msg(dec);
    return rc;
}

typedef struct want_case {
    const char *bytes;
    int skipped_rc, kept_rc; /* for a function left out, and one kept */
    const char *msg_part;    /* substring of the message of a failure */
} want_case;

static void test_cases(void) {
    static const want_case cases[] = {
        /* a damaged value (ext 3 summary whose payload is nil): only decoding sees it */
        {"95 05 01 00 00 91 d4 03 c0", 0, ATR_ECORRUPT, "needs an array"},
        /* two ints and a field: decoded for the kept one */
        {"96 05 01 00 00 92 01 02 81 a1 78 03", 0, 0, NULL},
        /* the containers and the count: checked for both */
        {"95 05 01 00 00 c0", ATR_ECORRUPT, ATR_ECORRUPT, "START args is nil"},
        {"96 05 01 00 00 90 90", ATR_ECORRUPT, ATR_ECORRUPT, "START fields is an array"},
        {"95 05 01 00 00 93 c0 c0 c0", ATR_ECORRUPT, ATR_ECORRUPT, "has 3 args"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int kept = 0; kept < 2; kept++) {
            atr_record rec;
            const char *msg;
            begin(kept ? "keep" : "other");
            int rc = start(cases[i].bytes, &rec, &msg),
                want = kept ? cases[i].kept_rc : cases[i].skipped_rc;
            if (!ATR_CHECK_EQ_INT(rc, want) ||
                !ATR_CHECK(rc == 0 || strstr(msg, cases[i].msg_part) != NULL)) {
                fprintf(stderr, "  case %zu (%s): %s\n  message: %s\n", i,
                        kept ? "kept" : "left out", cases[i].bytes, msg);
                continue;
            }
            if (rc != 0)
                continue;
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_START);
            ATR_CHECK_EQ_U64(rec.u.start.span, atr_span_id(0, 1));
            if (!kept) {
                ATR_CHECK_EQ_INT(rec.u.start.n_args, 0);
                ATR_CHECK_EQ_INT(rec.u.start.n_fields, 0);
            } else if (ATR_CHECK_EQ_INT(rec.u.start.n_args, 2) &&
                       ATR_CHECK_EQ_INT(rec.u.start.n_fields, 1)) {
                ATR_CHECK_EQ_U64((uint64_t)rec.u.start.args[1].u.i, 2);
                ATR_CHECK_EQ_U64((uint64_t)rec.u.start.fields[0].value.u.i, 3);
            }
        }
    }
}

int main(void) {
    test_cases();
    atr__decoder_free(dec);
    ATR_TEST_MAIN_END();
}
