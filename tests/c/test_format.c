/*
 * Round trip through the real encoder and the decoder (format/encode.h -> format/decode.h):
 * every record type and every value kind, then hand-built byte sequences for the decoder's
 * edge cases (docs/FORMAT.md sections 3-4, 8).
 */
#include <math.h>
#include <string.h>

#include "atr_test.h"
#include "format/decode.h"
#include "format/decode_impl.h"
#include "format/encode.h"
#include "format/format.h"
#include "rec_build.h"

#define MAXB 64 /* max_bytes given to the encoder: longer strings are truncated */

static uint8_t buf[1 << 20];
static atr__cur cur;
static size_t dpos;
static atr__decoder *dec;

static const atr_str params[] = {
    {"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}, {"f", 1}, {"g", 1}, {"h", 1}, {"i", 1},
    {"j", 1}, {"k", 1}, {"l", 1}, {"m", 1}, {"n", 1}, {"o", 1}, {"p", 1}, {"q", 1}, {"r", 1},
    {"s", 1}, {"t", 1}, {"u", 1}, {"v", 1}, {"w", 1}, {"x", 1}, {"y", 1}, {"z", 1}, {"A", 1},
    {"B", 1}, {"C", 1}, {"D", 1}, {"E", 1}, {"F", 1}, {"G", 1}, {"H", 1}, {"I", 1}, {"J", 1},
    {"K", 1}, {"L", 1}, {"M", 1}, {"N", 1}, {"O", 1}, {"P", 1}};
#define N_PARAMS (sizeof params / sizeof params[0])

/* Decode the next record that yields something; returns the decoder's code. */
static int next(atr_record *rec) {
    for (;;) {
        size_t used = 0;
        int rc;
        if (dpos >= cur.pos)
            return ATR_EOF;
        rc = atr__decode_record(dec, buf + dpos, cur.pos - dpos, &used, rec);
        if (rc < 0)
            return rc;
        dpos += used;
        if (rc != ATR__DECODE_SKIP)
            return 0;
    }
}

/* Fresh stream: PROCESS, FUNCTION 0 (N_PARAMS params), CHUNK 0 (decoded and checked). */
static void begin(void) {
    atr__process_desc pd;
    atr_function_info fi;
    atr_record rec;

    atr__decoder_free(dec);
    ATR_REQUIRE(atr__decoder_new(1, 0, &dec) == 0);
    cur = atr__cur_make(buf, 0, sizeof buf);
    dpos = 0;
    memset(&pd, 0, sizeof pd);
    pd.host = "h";
    pd.runtime = "C";
    pd.tool = "t";
    atr__enc_process(&cur, &pd);
    memset(&fi, 0, sizeof fi);
    fi.qualname = atr_test_str("f");
    fi.n_params = N_PARAMS;
    fi.params = params;
    atr__enc_function(&cur, 0, &fi);
    atr__enc_chunk(&cur, 0);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_PROCESS);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_FUNCTION);
    ATR_CHECK_ERR(next(&rec), ATR_EOF); /* consumes the CHUNK */
}

/* --- value comparison ------------------------------------------------------------------- */

static void check_value(const atr_value *got, const atr_value *want, int line) {
    uint32_t i;
    if (!atr_test_eq_int(got->kind, want->kind, __FILE__, line, "got->kind", "want->kind"))
        return;
    switch (want->kind) {
    case ATR_V_NIL:
    case ATR_V_REDACTED:
        break;
    case ATR_V_BOOL:
        atr_test_eq_int(got->u.b, want->u.b, __FILE__, line, "got bool", "want bool");
        break;
    case ATR_V_INT:
        atr_test_eq_int(got->u.i, want->u.i, __FILE__, line, "got int", "want int");
        break;
    case ATR_V_UINT:
        atr_test_eq_u64(got->u.u, want->u.u, __FILE__, line, "got uint", "want uint");
        break;
    case ATR_V_FLOAT:
        atr_test_eq_dbl(got->u.f, want->u.f, __FILE__, line, "got float", "want float");
        break;
    case ATR_V_SUMMARY:
        atr_test_eq_mem(got->u.sum.type, got->u.sum.type_len, want->u.sum.type,
                        want->u.sum.type_len, __FILE__, line, "got type", "want type");
        atr_test_eq_int(got->u.sum.length, want->u.sum.length, __FILE__, line, "got length",
                        "want length");
        if (!atr_test_eq_int(got->n_items, want->n_items, __FILE__, line, "got n_items",
                             "want n_items"))
            break;
        for (i = 0; i < want->n_items; i++)
            check_value(&got->u.sum.items[i], &want->u.sum.items[i], line);
        break;
    default:
        atr_test_eq_mem(got->u.s.ptr, got->u.s.len, want->u.s.ptr, want->u.s.len, __FILE__, line,
                        "got bytes", "want bytes");
        atr_test_eq_u64(got->u.s.true_len, want->u.s.true_len, __FILE__, line, "got true_len",
                        "want true_len");
        break;
    }
}

static atr_value vkind(uint32_t kind, const char *p, size_t len, uint64_t true_len) {
    atr_value v = atr_value_nil();
    v.kind = kind;
    v.u.s.ptr = p;
    v.u.s.len = len;
    v.u.s.true_len = true_len;
    return v;
}

static atr_value vuint(uint64_t u) {
    atr_value v = atr_value_nil();
    v.kind = ATR_V_UINT;
    v.u.u = u;
    return v;
}

/* --- round trips ------------------------------------------------------------------------ */

static void test_records(void) {
    static const char *const argv[] = {"prog", "--flag", ""};
    atr__process_desc pd;
    atr_function_info fi;
    atr_drop_stats ds = {1, 2, 3, 4, UINT64_MAX};
    atr_record rec;
    atr_value arg = atr_value_int(7), res = atr_value_strn("ok", 2);
    atr_field fld[2];

    atr__decoder_free(dec);
    ATR_REQUIRE(atr__decoder_new(1, 3, &dec) == 0);
    cur = atr__cur_make(buf, 0, sizeof buf);
    dpos = 0;
    memset(&pd, 0, sizeof pd);
    pd.pid = 4242;
    pd.host = "box";
    pd.argc = 3;
    pd.argv = argv;
    pd.runtime = "CPython 3.11.7";
    pd.tool = "argtrace 0.1.0";
    pd.clock_ns = 1000;
    pd.wall_ns = UINT64_C(1700000000000000000);
    pd.uid = UINT64_MAX;
    pd.parent_uid = 77;
    pd.parent_span = atr_span_id(3, 9);
    atr__enc_process(&cur, &pd);
    memset(&fi, 0, sizeof fi);
    fi.module = atr_test_str("__main__");
    fi.qualname = atr_test_str("Cls.meth");
    fi.file = atr_test_str("m.py");
    fi.line = 4000000000u;
    fi.flags = ATR_FUNC_METHOD | ATR_FUNC_COROUTINE;
    fi.n_params = 2;
    fi.params = params;
    atr__enc_function(&cur, 4294967295u, &fi);
    fi.n_params = 0;
    fi.params = NULL;
    fi.module = atr_test_str("");
    atr__enc_function(&cur, 5, &fi);
    atr__enc_chunk(&cur, 0);
    atr__enc_thread(&cur, 4243, "MainThread", 10);
    /* FORMAT.md section 6, the example: fib(2) */
    atr__enc_start(&cur, 1100, 0, 4294967295u, &arg, 1, NULL, 0, MAXB);
    atr__enc_start(&cur, 10, 1, 4294967295u, &arg, 1, NULL, 0, MAXB);
    atr__enc_end_return(&cur, 5, 1, &arg, MAXB);
    atr__enc_start(&cur, 3, 2, 4294967295u, &arg, 1, NULL, 0, MAXB);
    atr__enc_end_return(&cur, 4, 1, NULL, MAXB);
    fld[0].name = atr_test_str("rows");
    fld[0].value = atr_value_int(1200);
    fld[1].name = atr_test_str("");
    fld[1].value = atr_value_nil();
    atr__enc_message(&cur, 2, 1, atr_test_str("read"), fld, 2, MAXB);
    atr__enc_message(&cur, -2, 0, atr_test_str(""), NULL, 0, MAXB);
    atr__enc_end_raise(&cur, 8, 3, atr_test_str("builtins.KeyError"), &res, MAXB);
    /* a second thread: absolute parent from thread 0, its own clock and sequence */
    atr__enc_chunk(&cur, 1);
    atr__enc_start(&cur, 5000, atr_span_id(0, 1), 5, NULL, 0, fld, 1, MAXB);
    atr__enc_sync(&cur, 10, 4);
    atr__enc_start(&cur, 1, 1, 5, NULL, 0, NULL, 0, MAXB);
    atr__enc_chunk(&cur, 0);
    atr__enc_end_return(&cur, 1, atr_span_id(1, 11), &res, MAXB);
    atr__enc_drops(&cur, &ds);
    atr__enc_end_of_log(&cur, 99999);
    ATR_REQUIRE(atr__cur_ok(&cur));

    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_PROCESS);
    ATR_CHECK_EQ_INT(rec.u.process.format_major, 1);
    ATR_CHECK_EQ_INT(rec.u.process.format_minor, 3);
    ATR_CHECK_EQ_INT(rec.u.process.pid, 4242);
    ATR_CHECK_EQ_MEM(rec.u.process.host.ptr, rec.u.process.host.len, "box", 3);
    ATR_CHECK_EQ_INT(rec.u.process.argc, 3);
    if (rec.u.process.argc == 3) {
        ATR_CHECK_EQ_MEM(rec.u.process.argv[0].ptr, rec.u.process.argv[0].len, "prog", 4);
        ATR_CHECK_EQ_MEM(rec.u.process.argv[1].ptr, rec.u.process.argv[1].len, "--flag", 6);
        ATR_CHECK_EQ_INT(rec.u.process.argv[2].len, 0);
    }
    ATR_CHECK_EQ_MEM(rec.u.process.runtime.ptr, rec.u.process.runtime.len, "CPython 3.11.7", 14);
    ATR_CHECK_EQ_MEM(rec.u.process.tool.ptr, rec.u.process.tool.len, "argtrace 0.1.0", 14);
    ATR_CHECK_EQ_U64(rec.u.process.clock_ns, 1000);
    ATR_CHECK_EQ_U64(rec.u.process.wall_ns, UINT64_C(1700000000000000000));
    ATR_CHECK_EQ_U64(rec.u.process.uid, UINT64_MAX);
    ATR_CHECK_EQ_U64(rec.u.process.parent_uid, 77);
    ATR_CHECK_EQ_U64(rec.u.process.parent_span, atr_span_id(3, 9));

    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_FUNCTION);
    ATR_CHECK_EQ_U64(rec.u.function.id, 4294967295u);
    ATR_CHECK_EQ_MEM(rec.u.function.module.ptr, rec.u.function.module.len, "__main__", 8);
    ATR_CHECK_EQ_MEM(rec.u.function.qualname.ptr, rec.u.function.qualname.len, "Cls.meth", 8);
    ATR_CHECK_EQ_MEM(rec.u.function.file.ptr, rec.u.function.file.len, "m.py", 4);
    ATR_CHECK_EQ_U64(rec.u.function.line, 4000000000u);
    ATR_CHECK_EQ_INT(rec.u.function.flags, ATR_FUNC_METHOD | ATR_FUNC_COROUTINE);
    ATR_CHECK_EQ_INT(rec.u.function.n_params, 2);
    if (rec.u.function.n_params == 2)
        ATR_CHECK_EQ_MEM(rec.u.function.params[1].ptr, rec.u.function.params[1].len, "b", 1);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_FUNCTION);
    ATR_CHECK_EQ_INT(rec.u.function.n_params, 0);
    ATR_CHECK_EQ_INT(rec.u.function.module.len, 0);

    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_THREAD);
    ATR_CHECK_EQ_INT(rec.thread, 0);
    ATR_CHECK_EQ_U64(rec.u.thread.os_tid, 4243);
    ATR_CHECK_EQ_MEM(rec.u.thread.name.ptr, rec.u.thread.name.len, "MainThread", 10);

    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_START);
    ATR_CHECK_EQ_U64(rec.time_ns, 1100);
    ATR_CHECK_EQ_U64(rec.u.start.span, atr_span_id(0, 1));
    ATR_CHECK_EQ_U64(rec.u.start.parent, 0);
    ATR_CHECK_EQ_U64(rec.u.start.function, 4294967295u);
    ATR_CHECK_EQ_INT(rec.u.start.n_args, 1);
    ATR_CHECK_EQ_INT(rec.u.start.n_fields, 0);
    if (rec.u.start.n_args == 1)
        check_value(&rec.u.start.args[0], &arg, __LINE__);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_U64(rec.time_ns, 1110);
    ATR_CHECK_EQ_U64(rec.u.start.span, atr_span_id(0, 2));
    ATR_CHECK_EQ_U64(rec.u.start.parent, atr_span_id(0, 1));
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_END);
    ATR_CHECK_EQ_U64(rec.time_ns, 1115);
    ATR_CHECK_EQ_U64(rec.u.end.span, atr_span_id(0, 2));
    ATR_CHECK_EQ_INT(rec.u.end.status, ATR_END_RETURN);
    check_value(&rec.u.end.value, &arg, __LINE__);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_U64(rec.time_ns, 1118);
    ATR_CHECK_EQ_U64(rec.u.start.span, atr_span_id(0, 3));
    ATR_CHECK_EQ_U64(rec.u.start.parent, atr_span_id(0, 1));
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_U64(rec.time_ns, 1122);
    ATR_CHECK_EQ_U64(rec.u.end.span, atr_span_id(0, 3));
    ATR_CHECK_EQ_INT(rec.u.end.status, ATR_END_NORESULT);
    ATR_CHECK_EQ_INT(rec.u.end.value.kind, ATR_V_NIL);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_MESSAGE);
    ATR_CHECK_EQ_U64(rec.time_ns, 1124);
    ATR_CHECK_EQ_U64(rec.u.message.span, atr_span_id(0, 3));
    ATR_CHECK_EQ_MEM(rec.u.message.text.ptr, rec.u.message.text.len, "read", 4);
    ATR_CHECK_EQ_INT(rec.u.message.n_fields, 2);
    if (rec.u.message.n_fields == 2) {
        ATR_CHECK_EQ_MEM(rec.u.message.fields[0].name.ptr, rec.u.message.fields[0].name.len, "rows",
                         4);
        check_value(&rec.u.message.fields[0].value, &fld[0].value, __LINE__);
        ATR_CHECK_EQ_INT(rec.u.message.fields[1].name.len, 0);
        check_value(&rec.u.message.fields[1].value, &fld[1].value, __LINE__);
    }
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_U64(rec.time_ns, 1122);
    ATR_CHECK_EQ_U64(rec.u.message.span, 0);
    ATR_CHECK_EQ_INT(rec.u.message.n_fields, 0);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_END);
    ATR_CHECK_EQ_U64(rec.time_ns, 1130);
    ATR_CHECK_EQ_U64(rec.u.end.span, atr_span_id(0, 1));
    ATR_CHECK_EQ_INT(rec.u.end.status, ATR_END_RAISE);
    ATR_CHECK_EQ_MEM(rec.u.end.exc_type.ptr, rec.u.end.exc_type.len, "builtins.KeyError", 17);
    check_value(&rec.u.end.value, &res, __LINE__);

    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_START);
    ATR_CHECK_EQ_INT(rec.thread, 1);
    ATR_CHECK_EQ_U64(rec.time_ns, 5000);
    ATR_CHECK_EQ_U64(rec.u.start.span, atr_span_id(1, 1));
    ATR_CHECK_EQ_U64(rec.u.start.parent, atr_span_id(0, 1));
    ATR_CHECK_EQ_INT(rec.u.start.n_args, 0);
    ATR_CHECK_EQ_INT(rec.u.start.n_fields, 1);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_SYNC);
    ATR_CHECK_EQ_INT(rec.thread, 1);
    ATR_CHECK_EQ_U64(rec.u.sync.last_seq, 10);
    ATR_CHECK_EQ_U64(rec.u.sync.dropped, 4);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_U64(rec.time_ns, 5001);
    ATR_CHECK_EQ_U64(rec.u.start.span, atr_span_id(1, 11));
    ATR_CHECK_EQ_U64(rec.u.start.parent, atr_span_id(1, 10)); /* a dropped span */
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_END);
    ATR_CHECK_EQ_INT(rec.thread, 0);
    ATR_CHECK_EQ_U64(rec.time_ns, 1131);
    ATR_CHECK_EQ_U64(rec.u.end.span, atr_span_id(1, 11));
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_DROPS);
    ATR_CHECK_EQ_U64(rec.u.drops.records, 1);
    ATR_CHECK_EQ_U64(rec.u.drops.bytes, 2);
    ATR_CHECK_EQ_U64(rec.u.drops.oversize, 3);
    ATR_CHECK_EQ_U64(rec.u.drops.capture_errors, 4);
    ATR_CHECK_EQ_U64(rec.u.drops.write_errors, UINT64_MAX);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_END_OF_LOG);
    ATR_CHECK_EQ_U64(rec.time_ns, 99999);
    ATR_CHECK_ERR(next(&rec), ATR_EOF);
}

/* Encode `in` as the args of one START, decode, compare with `want`. */
static void roundtrip_values(const atr_value *in, const atr_value *want, uint32_t n, int line) {
    atr_record rec;
    uint32_t i;
    begin();
    atr__enc_start(&cur, 1, 0, 0, in, n, NULL, 0, MAXB);
    atr__enc_end_return(&cur, 1, 1, &in[n - 1], MAXB);
    ATR_REQUIRE(atr__cur_ok(&cur));
    if (!atr_test_err(next(&rec), 0, __FILE__, line, "decode START"))
        return;
    atr_test_eq_int(rec.u.start.n_args, n, __FILE__, line, "n_args", "n");
    for (i = 0; i < n && i < rec.u.start.n_args; i++)
        check_value(&rec.u.start.args[i], &want[i], line);
    if (!atr_test_err(next(&rec), 0, __FILE__, line, "decode END"))
        return;
    check_value(&rec.u.end.value, &want[n - 1], line);
}

static void test_ints(void) {
    static const int64_t ints[] = {
        0,         1,  127, 128, 255,  256,  65535,  65536,  4294967295LL, 4294967296LL,
        INT64_MAX, -1, -32, -33, -128, -129, -32768, -32769, INT32_MIN,    (int64_t)INT32_MIN - 1,
        INT64_MIN};
    atr_value v[N_PARAMS];
    uint32_t i, n = sizeof ints / sizeof ints[0];
    for (i = 0; i < n; i++)
        v[i] = atr_value_int(ints[i]);
    v[n] = vuint(UINT64_C(1) << 63);
    v[n + 1] = vuint(UINT64_MAX);
    roundtrip_values(v, v, n + 2, __LINE__);
    /* a UINT that fits int64 comes back as INT */
    v[0] = vuint(5);
    v[1] = atr_value_int(5);
    roundtrip_values(&v[0], &v[1], 1, __LINE__);
}

static void test_scalars(void) {
    atr_value v[16];
    v[0] = atr_value_nil();
    v[1] = atr_value_bool(1);
    v[2] = atr_value_bool(0);
    v[3] = atr_value_float(0.0);
    v[4] = atr_value_float(-1.5);
    v[5] = atr_value_float(1e300);
    v[6] = atr_value_float(INFINITY);
    v[7] = atr_value_float(-INFINITY);
    v[8] = atr_value_float(NAN);
    v[9] = atr_value_float(5e-324);
    roundtrip_values(v, v, 10, __LINE__);
}

static void test_strings(void) {
    static char big[70000];
    atr_value in[16], want[16];
    uint32_t i;
    for (i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    in[0] = atr_value_strn("", 0);
    in[1] = atr_value_strn("x", 1);
    in[2] = atr_value_strn(big, 31);
    in[3] = atr_value_strn(big, 32);
    in[4] = atr_value_strn(big, MAXB);
    in[5] = atr_value_strn("\0\xff\xc1", 3);
    in[6] = atr_value_bytes("", 0);
    in[7] = atr_value_bytes("\0\x01", 2);
    in[8] = atr_value_bytes(big, MAXB);
    memcpy(want, in, sizeof in);
    /* over max_bytes: truncated (ext 1 / ext 2) with the true length kept */
    in[9] = atr_value_strn(big, MAXB + 1);
    want[9] = vkind(ATR_V_STR, big, MAXB, MAXB + 1);
    in[10] = atr_value_strn(big, sizeof big);
    want[10] = vkind(ATR_V_STR, big, MAXB, sizeof big);
    in[11] = atr_value_bytes(big, 300);
    want[11] = vkind(ATR_V_BYTES, big, MAXB, 300);
    /* already truncated by the caller */
    in[12] = vkind(ATR_V_STR, "abc", 3, 1000);
    want[12] = in[12];
    in[13] = vkind(ATR_V_BYTES, "", 0, UINT64_MAX);
    want[13] = in[13];
    roundtrip_values(in, want, 14, __LINE__);
}

static void test_ext_values(void) {
    atr_value in[12], want[12], leaf[3], mid[2], deep[5];
    uint32_t i;

    in[0] = vkind(ATR_V_REDACTED, NULL, 0, 0);
    in[1] = vkind(ATR_V_BIGINT, "123456789012345678901234567890", 30, 30);
    in[2] = vkind(ATR_V_BIGINT, "-98765432109876543210", 21, 21);
    in[3] = vkind(ATR_V_REPR, "<Foo at 0x1>", 12, 12);
    in[4] = vkind(ATR_V_REPR, "<Bar ...", 8, 5000);
    in[5] = vkind(ATR_V_ERROR, "weird.Type", 10, 10);
    memcpy(want, in, sizeof in);
    want[0] = vkind(ATR_V_REDACTED, NULL, 0, 0);
    /* a summary with items, one of them a summary with items */
    leaf[0] = atr_value_int(1);
    leaf[1] = atr_value_strn("two", 3);
    leaf[2] = atr_value_nil();
    mid[0] = atr_value_summary("tuple", 5, 3);
    mid[0].n_items = 3;
    mid[0].u.sum.items = leaf;
    mid[1] = atr_value_float(2.5);
    in[6] = atr_value_summary("list", 4, 1000000);
    in[6].n_items = 2;
    in[6].u.sum.items = mid;
    want[6] = in[6];
    in[7] = atr_value_summary("Gen", 3, -1); /* unknown length, no items */
    want[7] = in[7];
    in[8] = atr_value_summary("", 0, 0);
    want[8] = in[8];
    /* four nested summaries: the deepest level the format allows */
    for (i = 0; i < 4; i++) {
        deep[i] = atr_value_summary("d", 1, i);
        deep[i].n_items = i < 3 ? 1 : 0;
        deep[i].u.sum.items = i < 3 ? &deep[i + 1] : NULL;
    }
    in[9] = deep[0];
    want[9] = deep[0];
    roundtrip_values(in, want, 10, __LINE__);
}

/* --- hand-built records ----------------------------------------------------------------- */

/* Decode the bytes of one record after begin(); returns the code, message in *msg. */
static int decode_one(const uint8_t *p, size_t n, atr_record *rec, const char **msg) {
    size_t used = 0;
    int rc = atr__decode_record(dec, p, n, &used, rec);
    *msg = atr__decoder_msg(dec);
    if (rc >= 0 && used != n)
        return -1000;
    return rc;
}

typedef struct bad_case {
    const char *bytes;
    int code;
    const char *msg_part; /* substring of the message */
} bad_case;

static void test_bad_records(void) {
    static const bad_case cases[] = {
        {"c0", ATR_ECORRUPT, "needs a non-empty array"},
        {"90", ATR_ECORRUPT, "empty array"},
        {"91 00", ATR_ECORRUPT, "record type is 0"},
        {"91 ff", ATR_ECORRUPT, "record type is a negative int"},
        {"91 a1 61", ATR_ECORRUPT, "record type is a str"},
        {"92 05", ATR_ECORRUPT, "array of 2 elements at byte 0, but only 1 bytes follow"},
        {"92 05 cd 01", ATR_ECORRUPT, "cut off by the end of its frame"},
        {"c1", ATR_ECORRUPT, "0xc1"},
        {"92 05 00", ATR_ECORRUPT, "START) has 2 elements, needs 5"},
        {"95 05 01 00 07 90", ATR_ECORRUPT, "function 7"},
        {"95 05 01 02 00 90", ATR_ECORRUPT, "points before"},
        {"95 05 ff 00 00 90", ATR_ECORRUPT, "below 0"},
        {"95 05 01 00 00 91 90", ATR_ECORRUPT, "is an array"},
        {"95 05 01 00 00 91 80", ATR_ECORRUPT, "is a map"},
        {"95 05 01 00 00 c0", ATR_ECORRUPT, "START args is nil"},
        {"96 05 01 00 00 90 90", ATR_ECORRUPT, "START fields is an array"},
        {"96 05 01 00 00 90 81 01 02", ATR_ECORRUPT, "key is an int"},
        {"95 06 01 00 00 c0", ATR_ECORRUPT, "END names no span"},
        {"95 06 01 01 00 c0", ATR_ECORRUPT, "points before"},
        {"92 04 ce 80 00 00 00", ATR_ECORRUPT, "CHUNK thread number is 2147483648"},
        {"92 04 ff", ATR_ECORRUPT, "CHUNK thread number is a negative int"},
        {"93 08 cf 00 00 01 00 00 00 00 00 05", ATR_ECORRUPT, "SYNC last_seq"},
        {"98 02 00 a0 a0 a0 00 90 00", ATR_ECORRUPT, "defined twice"},
        {"98 02 cf 00 00 00 01 00 00 00 00 a0 a0 a0 00 90 00", ATR_ECORRUPT, "FUNCTION id"},
        {"98 02 01 a0 a0 a0 00 91 01 00", ATR_ECORRUPT, "FUNCTION param is an int"},
        {"92 01 80", ATR_ECORRUPT, "second PROCESS"},
        {"92 0a ff", ATR_ECORRUPT, "END_OF_LOG time is a negative int"},
        {"92 0b 00", ATR_ECORRUPT, "SUSPEND) has 2 elements, needs 3"},
        {"93 0b 00 00", ATR_ECORRUPT, "SUSPEND names no span"},
        {"93 0c 00 00", ATR_ECORRUPT, "RESUME names no span"},
        {"93 0b 00 01", ATR_ECORRUPT, "SUSPEND 1 points before"},
        {"93 0c ff 01", ATR_ECORRUPT, "below 0"},
        {"93 0b a0 01", ATR_ECORRUPT, "SUSPEND dt is a str"},
        {"92 09 81 01 02", ATR_ECORRUPT, "DROPS: a key is an int"},
        {"92 09 81 a7 72 65 63 6f 72 64 73 a1 78", ATR_ECORRUPT, "DROPS count is a str"},
        /* values */
        {"95 05 01 00 00 91 d4 01 a0", ATR_ECORRUPT, "needs a msgpack uint"},
        {"95 05 01 00 00 91 d6 01 01 61 62 63", ATR_ECORRUPT, "true length 1 is less"},
        {"95 05 01 00 00 91 c7 00 01", ATR_ECORRUPT, "empty payload"},
        {"95 05 01 00 00 91 d5 01 cd 01", ATR_ECORRUPT, "inside its true length"},
        {"95 05 01 00 00 91 d4 05 78", ATR_ECORRUPT, "not decimal digits"},
        {"95 05 01 00 00 91 d4 05 2d", ATR_ECORRUPT, "not decimal digits"},
        {"95 05 01 00 00 91 d4 03 c0", ATR_ECORRUPT, "needs an array"},
        {"95 05 01 00 00 91 d5 03 91 a0", ATR_ECORRUPT, "short array"},
        {"95 05 01 00 00 91 c7 03 03 92 01 c0", ATR_ECORRUPT, "type name is an int"},
        {"95 05 01 00 00 91 c7 03 03 92 a0 ff", ATR_ECORRUPT, "length is a negative int"},
        {"95 05 01 00 00 91 c7 04 03 92 a0 00 00", ATR_ECORRUPT, "1 stray bytes"},
        {"95 05 01 00 00 91 c7 03 03 93 a0 00", ATR_ECORRUPT, "summary value: array of 3"},
        {"95 05 01 00 00 91 c7 02 03 cd 01", ATR_ECORRUPT, "ends inside"},
        {"95 05 01 00 00 91 c7 06 03 93 a0 00 dc ff ff", ATR_ECORRUPT, "array of 65535"},
        /* bounds before allocation */
        {"dd ff ff ff ff 05", ATR_ECORRUPT, "array of 4294967295 elements"},
        {"95 05 01 00 00 dd ff ff ff ff", ATR_ECORRUPT, "array of 4294967295 elements"},
        {"95 05 01 00 00 91 df ff ff ff ff", ATR_ECORRUPT, "map of 4294967295 elements"},
        {"95 05 01 00 00 91 db ff ff ff ff", ATR_ECORRUPT, "str of 4294967295 bytes"},
        {"95 05 01 00 00 91 c6 ff ff ff ff", ATR_ECORRUPT, "bin of 4294967295 bytes"},
        {"95 05 01 00 00 91 c9 ff ff ff ff 01", ATR_ECORRUPT, "ext of 4294967295 bytes"},
        {"91 91 91 91 91 91 91 91 91 01", ATR_ECORRUPT, "deeper than 8"},
    };
    uint8_t bytes[256];
    atr_record rec;
    const char *msg;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = atr_test_hex(cases[i].bytes, bytes);
        int rc;
        begin();
        rc = decode_one(bytes, n, &rec, &msg);
        if (!ATR_CHECK_EQ_INT(rc, cases[i].code) ||
            !ATR_CHECK(strstr(msg, cases[i].msg_part) != NULL))
            fprintf(stderr, "  case %zu: %s\n  message: %s\n", i, cases[i].bytes, msg);
    }
}

/* ext 8 summaries (1.2) of 0 to 11 items: the first objects are built while counting, the
   rest after; an item that does not parse is an error in either part. */
static void test_summary_id_items(void) {
    uint8_t bytes[64];
    atr_record rec;
    const char *msg;
    for (uint32_t items = 0; items <= 11; items++) {
        char text[200];
        size_t n, k;
        int len = snprintf(text, sizeof text, "95 05 01 00 00 91 c7 %02x 08 07 0c", 2 + items);
        for (k = 0; k < items; k++)
            len += snprintf(text + len, sizeof text - (size_t)len, " %02zx", k);
        begin();
        n = atr_test_hex("93 10 07 a4 64 69 63 74", bytes); /* TYPE 7 "dict" */
        ATR_CHECK_EQ_INT(decode_one(bytes, n, &rec, &msg), 1);
        n = atr_test_hex(text, bytes);
        ATR_CHECK_OK(decode_one(bytes, n, &rec, &msg));
        ATR_REQUIRE(rec.kind == ATR_REC_START && rec.u.start.n_args == 1);
        const atr_value *v = &rec.u.start.args[0];
        ATR_CHECK_EQ_INT(v->kind, ATR_V_SUMMARY);
        ATR_CHECK_EQ_MEM(v->u.sum.type, v->u.sum.type_len, "dict", 4);
        ATR_CHECK_EQ_INT(v->u.sum.length, 12);
        ATR_CHECK_EQ_INT(v->n_items, items);
        for (k = 0; k < items && k < v->n_items; k++)
            if (!ATR_CHECK_EQ_INT(v->u.sum.items[k].u.i, (int64_t)k))
                fprintf(stderr, "  %u items: item %zu\n", items, k);
        if (items >= 1) { /* the last item broken: 0xc1 */
            bytes[n - 1] = 0xc1;
            ATR_CHECK_ERR(decode_one(bytes, n, &rec, &msg), ATR_ECORRUPT);
            ATR_CHECK(strstr(msg, "summary value: invalid msgpack byte 0xc1") != NULL);
        }
    }
}

/* Records the decoder accepts although they are unusual. */
static void test_lenient_records(void) {
    uint8_t bytes[256];
    atr_record rec;
    const char *msg;
    size_t n;

    begin();
    /* unknown record type, with elements of any kind: skipped */
    n = atr_test_hex("93 63 91 c0 81 a0 c3", bytes);
    ATR_CHECK_EQ_INT(decode_one(bytes, n, &rec, &msg), ATR__DECODE_SKIP);
    n = atr_test_hex("91 cf ff ff ff ff ff ff ff ff", bytes);
    ATR_CHECK_EQ_INT(decode_one(bytes, n, &rec, &msg), ATR__DECODE_SKIP);
    /* extra trailing elements are ignored (a later minor version) */
    n = atr_test_hex("98 05 0a 00 00 91 d0 05 80 c0 a3 78 79 7a", bytes);
    ATR_CHECK_OK(decode_one(bytes, n, &rec, &msg));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_START);
    ATR_CHECK_EQ_U64(rec.time_ns, 10);
    ATR_CHECK_EQ_INT(rec.u.start.n_args, 1);
    ATR_CHECK_EQ_INT(rec.u.start.args[0].kind, ATR_V_INT); /* int8 form of 5 */
    ATR_CHECK_EQ_INT(rec.u.start.args[0].u.i, 5);
    n = atr_test_hex("95 06 01 01 02 c3", bytes);
    ATR_CHECK_OK(decode_one(bytes, n, &rec, &msg));
    ATR_CHECK_EQ_INT(rec.u.end.status, ATR_END_NORESULT);
    ATR_CHECK_EQ_U64(rec.time_ns, 11);
    /* float32, unknown ext types (including msgpack's own timestamp, -1), non-minimal forms */
    n = atr_test_hex("95 05 01 00 00 95 ca 3f c0 00 00 d6 ff 00 00 00 01 c7 02 2a 61 62 d9 01 7a"
                     " c4 00",
                     bytes);
    ATR_CHECK_OK(decode_one(bytes, n, &rec, &msg));
    ATR_REQUIRE(rec.u.start.n_args == 5);
    ATR_CHECK_EQ_INT(rec.u.start.args[0].kind, ATR_V_FLOAT);
    ATR_CHECK_EQ_DBL(rec.u.start.args[0].u.f, 1.5);
    ATR_CHECK_EQ_INT(rec.u.start.args[1].kind, ATR_V_UNKNOWN);
    ATR_CHECK_EQ_MEM(rec.u.start.args[1].u.s.ptr, rec.u.start.args[1].u.s.len, "\0\0\0\1", 4);
    ATR_CHECK_EQ_INT(rec.u.start.args[2].kind, ATR_V_UNKNOWN);
    ATR_CHECK_EQ_MEM(rec.u.start.args[2].u.s.ptr, rec.u.start.args[2].u.s.len, "ab", 2);
    ATR_CHECK_EQ_INT(rec.u.start.args[3].kind, ATR_V_STR);
    ATR_CHECK_EQ_MEM(rec.u.start.args[3].u.s.ptr, rec.u.start.args[3].u.s.len, "z", 1);
    ATR_CHECK_EQ_INT(rec.u.start.args[4].kind, ATR_V_BYTES);
    ATR_CHECK_EQ_INT(rec.u.start.args[4].u.s.len, 0);
    /* a redacted value with a payload: the payload is ignored */
    n = atr_test_hex("95 05 01 00 00 91 d4 04 00", bytes);
    ATR_CHECK_OK(decode_one(bytes, n, &rec, &msg));
    ATR_CHECK_EQ_INT(rec.u.start.args[0].kind, ATR_V_REDACTED);
    /* truncated str whose true length uses the 64-bit form */
    n = atr_test_hex("95 05 01 00 00 91 c7 0a 01 cf ff ff ff ff ff ff ff ff 68", bytes);
    ATR_CHECK_OK(decode_one(bytes, n, &rec, &msg));
    ATR_CHECK_EQ_INT(rec.u.start.args[0].kind, ATR_V_STR);
    ATR_CHECK_EQ_U64(rec.u.start.args[0].u.s.true_len, UINT64_MAX);
    ATR_CHECK_EQ_MEM(rec.u.start.args[0].u.s.ptr, rec.u.start.args[0].u.s.len, "h", 1);
    /* a record followed by more bytes: only the record is consumed */
    n = atr_test_hex("92 0a 05 92 0a 06", bytes);
    {
        size_t used = 0;
        ATR_CHECK_OK(atr__decode_record(dec, bytes, n, &used, &rec));
        ATR_CHECK_EQ_INT(used, 3);
        ATR_CHECK_EQ_U64(rec.time_ns, 5);
    }
    /* dt as uint64 beyond INT64_MAX: absolute time of a custom clock */
    begin();
    n = atr_test_hex("95 05 cf ff ff ff ff ff ff ff ff 00 00 90", bytes);
    ATR_CHECK_OK(decode_one(bytes, n, &rec, &msg));
    ATR_CHECK_EQ_U64(rec.time_ns, UINT64_MAX);
    n = atr_test_hex("95 05 01 00 00 90", bytes);
    ATR_CHECK_EQ_INT(decode_one(bytes, n, &rec, &msg), ATR_ECORRUPT);
    ATR_CHECK(strstr(msg, "overflows") != NULL);
}

static void test_summary_depth(void) {
    uint8_t bytes[256];
    atr_record rec;
    const char *msg;
    const atr_value *v;
    size_t n;
    int depth = 0;

    begin();
    n = rec_build_nested_summaries(bytes, sizeof bytes, 4);
    ATR_CHECK_OK(decode_one(bytes, n, &rec, &msg));
    for (v = rec.u.start.args; v && v->kind == ATR_V_SUMMARY; v = v->u.sum.items)
        depth++;
    ATR_CHECK_EQ_INT(depth, 4);
    n = rec_build_nested_summaries(bytes, sizeof bytes, 5);
    ATR_CHECK_EQ_INT(decode_one(bytes, n, &rec, &msg), ATR_ECORRUPT);
    ATR_CHECK(strstr(msg, "nested deeper than 4") != NULL);
}

static void test_first_records(void) {
    uint8_t bytes[64];
    atr_record rec;
    const char *msg;
    size_t n;

    atr__decoder_free(dec);
    ATR_REQUIRE(atr__decoder_new(1, 0, &dec) == 0);
    n = atr_test_hex("92 04 00", bytes);
    ATR_CHECK_EQ_INT(decode_one(bytes, n, &rec, &msg), ATR_ECORRUPT);
    ATR_CHECK(strstr(msg, "first record has type 4 (CHUNK)") != NULL);
    /* every type has its name (from format.h's one list), the last one too */
    atr__decoder_free(dec);
    ATR_REQUIRE(atr__decoder_new(1, 0, &dec) == 0);
    n = atr_test_hex("92 0d 80", bytes);
    ATR_CHECK_EQ_INT(decode_one(bytes, n, &rec, &msg), ATR_ECORRUPT);
    ATR_CHECK(strstr(msg, "first record has type 13 (CALIBRATION)") != NULL);

    atr__decoder_free(dec);
    ATR_REQUIRE(atr__decoder_new(1, 0, &dec) == 0);
    n = atr_test_hex("92 01 80", bytes);
    ATR_CHECK_OK(decode_one(bytes, n, &rec, &msg));
    ATR_CHECK_EQ_INT(rec.u.process.argc, 0);
    n = atr_test_hex("95 05 01 00 00 90", bytes);
    ATR_CHECK_EQ_INT(decode_one(bytes, n, &rec, &msg), ATR_ECORRUPT);
    ATR_CHECK(strstr(msg, "START record before the first CHUNK") != NULL);
    n = atr_test_hex("92 0a 07", bytes); /* END_OF_LOG needs no thread */
    ATR_CHECK_OK(decode_one(bytes, n, &rec, &msg));
    ATR_CHECK_EQ_INT(atr__decoder_count(dec), 3);
}

/*
 * SUSPEND / RESUME (1.1): encoded in a few bytes, decoded with their span and time, and they
 * leave the thread's time alone: the records after them read the same with or without them
 * (a 1.0 reader skips them).
 */
static void test_suspend_resume(void) {
    atr_record rec;
    size_t at;
    begin();
    atr__enc_start(&cur, 1000, 0, 0, NULL, 0, NULL, 0, 4096);
    at = cur.pos;
    atr__enc_suspend(&cur, ATR__REC_SUSPEND, 100, 1);
    ATR_CHECK_EQ_INT(cur.pos - at, 6); /* fixarray, type, span reference: 1 byte; dt: 3 */
    atr__enc_suspend(&cur, ATR__REC_RESUME, 70000, ATR__SPAN_ABS_MIN + 3);
    atr__enc_end_return(&cur, 100, 1, NULL, 4096);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_START);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_SUSPEND);
    ATR_CHECK_EQ_INT(rec.thread, 0);
    ATR_CHECK_EQ_U64(rec.time_ns, 1100);
    ATR_CHECK_EQ_U64(rec.u.suspend.span, atr_span_id(0, 1));
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_RESUME);
    ATR_CHECK_EQ_U64(rec.time_ns, 71000); /* relative to the START, not to the SUSPEND */
    ATR_CHECK_EQ_U64(rec.u.suspend.span, atr_span_id(0, 3));
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_END);
    ATR_CHECK_EQ_U64(rec.time_ns, 1100);
    ATR_CHECK_ERR(next(&rec), ATR_EOF);
    /* before the first CHUNK: invalid, like the other records of a thread */
    atr__decoder_free(dec);
    ATR_REQUIRE(atr__decoder_new(1, 1, &dec) == 0);
    cur = atr__cur_make(buf, 0, sizeof buf);
    dpos = 0;
    atr__process_desc pd;
    memset(&pd, 0, sizeof pd);
    atr__enc_process(&cur, &pd);
    atr__enc_suspend(&cur, ATR__REC_SUSPEND, 0, ATR__SPAN_ABS_MIN + 1);
    ATR_CHECK_OK(next(&rec));
    ATR_CHECK_ERR(next(&rec), ATR_ECORRUPT);
    ATR_CHECK(strstr(atr__decoder_msg(dec), "SUSPEND record before the first CHUNK") != NULL);
}

int main(void) {
    test_summary_id_items();
    test_suspend_resume();
    test_records();
    test_ints();
    test_scalars();
    test_strings();
    test_ext_values();
    test_summary_depth();
    test_bad_records();
    test_lenient_records();
    test_first_records();
    atr__decoder_free(dec);
    ATR_TEST_MAIN_END();
}
