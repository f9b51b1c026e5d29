/*
 * Analysis tests on ids across logs: printed call ids ("N" for one log, "FILE:N" for several)
 * and their parsing, function ids resolved per log (two logs both defining id 0), and the
 * same log refused twice (by its file and by its process uid).
 */
#include <stdlib.h>

#include "analysis_logs.h"

static char g_second[512];

/* A log defining `first` (FUNCTION id 0) then app.shared; calls: first, shared under it,
 * then `n_more` more roots of first. */
static void write_log(const char *path, const char *first, int n_more) {
    uint64_t clock = 0;
    atr_session *s = open_log(path, &clock, 0, 0);
    uint32_t f = define(s, "app", first, 0, NULL);
    uint32_t sh = define(s, "app", "shared", 0, NULL);
    ATR_CHECK_EQ_INT(f, 0);
    uint64_t top = begin(s, f, 0, 10, NULL, 0);
    uint64_t kid = begin(s, sh, top, 20, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, kid, 30, NULL));
    ATR_CHECK_OK(atr_span_return(s, top, 40, NULL));
    for (int i = 0; i < n_more; i++) {
        uint64_t t = 100 + 10 * (uint64_t)i;
        ATR_CHECK_OK(atr_span_return(s, begin(s, f, 0, t, NULL, 0), t + 5, NULL));
    }
    clock = 1000;
    ATR_CHECK_OK(atr_session_close(s));
}

static void check_id(atr_index *ix, uint32_t call, const char *want) {
    char buf[ATR_CALL_ID_SIZE];
    uint32_t back = ATR_NO_CALL;
    ATR_CHECK_EQ_INT(atr_call_id_format(ix, call, buf, sizeof buf), strlen(want));
    ATR_CHECK_EQ_STR(buf, want);
    ATR_CHECK_OK(atr_call_id_parse(ix, buf, &back));
    ATR_CHECK_EQ_INT(back, call);
}

static void test_one_log_ids(void) {
    atr_test_tmpfile(g_path, sizeof g_path, "ids_one.atr");
    write_log(g_path, "alpha", 2);
    atr_index *ix = load_one(g_path);
    check_id(ix, 0, "0");
    check_id(ix, 3, "3");
    uint32_t call = 99;
    ATR_CHECK_OK(atr_call_id_parse(ix, "0:2", &call)); /* the long form is accepted too */
    ATR_CHECK_EQ_INT(call, 2);
    ATR_CHECK_ERR(atr_call_id_parse(ix, "4", &call), ATR_ENOTFOUND);
    ATR_CHECK_ERR(atr_call_id_parse(ix, "1:0", &call), ATR_ENOTFOUND);
    ATR_CHECK_ERR(atr_call_id_parse(ix, "99999999999999999", &call), ATR_ENOTFOUND);
    static const char *const bad[] = {"",   "x",  "-1",    "+1",  " 1",   "1 ",
                                      "1:", ":1", "1:2:3", "0x1", "1:-2", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ATR_CHECK_ERR(atr_call_id_parse(ix, bad[i], &call), ATR_ESYNTAX);
    char buf[8] = "junk";
    ATR_CHECK_EQ_INT(atr_call_id_format(ix, 4, buf, sizeof buf), 0);
    ATR_CHECK_EQ_STR(buf, "");
    ATR_CHECK_EQ_INT(atr_file_call(ix, 0, 3), 3);
    ATR_CHECK_EQ_INT(atr_file_call(ix, 0, 4), ATR_NO_CALL);
    ATR_CHECK_EQ_INT(atr_file_call(ix, 1, 0), ATR_NO_CALL);
    done(ix);
}

static void test_two_logs_ids_and_functions(void) {
    atr_test_tmpfile(g_path, sizeof g_path, "ids_a.atr");
    atr_test_tmpfile(g_second, sizeof g_second, "ids_b.atr");
    write_log(g_path, "alpha", 1);  /* 3 calls */
    write_log(g_second, "beta", 2); /* 4 calls; its FUNCTION 0 is another function */
    atr_index *ix = load_one(g_path);
    ATR_CHECK_OK(atr_index_load(ix, g_second));
    atr_index_info info;
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_INT(info.n_calls, 7);
    ATR_CHECK_EQ_INT(info.n_functions, 3); /* alpha, beta, shared (merged by name) */
    atr_function_view fv;
    uint32_t fa = find(ix, "alpha"), fb = find(ix, "beta"), fs = find(ix, "shared");
    ATR_CHECK(fa != fb && fb != fs && fa != fs);
    ATR_CHECK(atr_index_function(ix, fa, &fv) == 0 && fv.n_calls == 2);
    ATR_CHECK(atr_index_function(ix, fb, &fv) == 0 && fv.n_calls == 3);
    ATR_CHECK(atr_index_function(ix, fs, &fv) == 0 && fv.n_calls == 2);
    atr_call_view cv;
    ATR_CHECK(atr_index_call(ix, 3, &cv) == 0 && cv.function == fb && cv.file == 1);
    ATR_CHECK(atr_index_call(ix, 4, &cv) == 0 && cv.function == fs && cv.parent == 3);
    /* Printed ids: file and number within the file, the numbers of the log alone. */
    check_id(ix, 0, "0:0");
    check_id(ix, 2, "0:2");
    check_id(ix, 3, "1:0");
    check_id(ix, 6, "1:3");
    uint32_t call;
    ATR_CHECK_ERR(atr_call_id_parse(ix, "3", &call), ATR_EAMBIGUOUS);
    ATR_CHECK_ERR(atr_call_id_parse(ix, "1:4", &call), ATR_ENOTFOUND);
    ATR_CHECK_ERR(atr_call_id_parse(ix, "2:0", &call), ATR_ENOTFOUND);
    atr_file_info fi;
    ATR_CHECK(atr_index_file(ix, 1, &fi) == 0 && fi.first_call == 3 && fi.n_calls == 4);
    ATR_CHECK_EQ_INT(atr_file_call(ix, 1, 2), 5);
    atr_index_free(ix);
    remove(g_second);
    remove(g_path);
}

static void test_same_log_twice(void) {
    atr_test_tmpfile(g_path, sizeof g_path, "ids_same.atr");
    atr_test_tmpfile(g_second, sizeof g_second, "ids_copy.atr");
    write_log(g_path, "alpha", 0);
    /* The same file: refused before it is read. */
    atr_index *ix = load_one(g_path);
    ATR_CHECK_ERR(atr_index_load(ix, g_path), ATR_EINVAL);
    ATR_CHECK(strstr(atr_index_error(ix), "the same log as") != NULL);
    ATR_CHECK(strstr(atr_index_error(ix), "(the same file)") != NULL);
    /* A copy: the same process uid. */
    size_t len = 0;
    FILE *in = fopen(g_path, "rb"), *out = fopen(g_second, "wb");
    ATR_REQUIRE(in && out);
    char buf[4096];
    while ((len = fread(buf, 1, sizeof buf, in)) > 0)
        ATR_REQUIRE(fwrite(buf, 1, len, out) == len);
    fclose(in);
    fclose(out);
    ATR_CHECK_ERR(atr_index_load(ix, g_second), ATR_EINVAL);
    ATR_CHECK(strstr(atr_index_error(ix), "the same log as") != NULL);
    ATR_CHECK(strstr(atr_index_error(ix), "process uid") != NULL);
    atr_index_info info;
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_INT(info.n_files, 1); /* left as it was */
    ATR_CHECK_EQ_INT(info.n_calls, 2);
    check_id(ix, 1, "1");
    atr_index_free(ix);
    /* Alone, the copy loads. */
    ix = load_one(g_second);
    atr_index_free(ix);
    remove(g_second);
    remove(g_path);
}

/* atr_call_span: the span id the log gave each call (what atr_span_begin returned). */
static void test_call_spans(void) {
    atr_test_tmpfile(g_path, sizeof g_path, "ids_spans.atr");
    uint64_t clock = 0, spans[4];
    atr_session *s = open_log(g_path, &clock, 0, 0);
    uint32_t f = define(s, "app", "f", 0, NULL);
    spans[0] = begin(s, f, 0, 10, NULL, 0);
    spans[1] = begin(s, f, spans[0], 11, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, spans[1], 12, NULL));
    spans[2] = begin(s, f, spans[0], 13, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, spans[2], 14, NULL));
    ATR_CHECK_OK(atr_span_return(s, spans[0], 15, NULL));
    spans[3] = begin(s, f, 0, 20, NULL, 0); /* left unfinished */
    clock = 100;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    for (uint32_t i = 0; i < 4; i++) {
        ATR_CHECK(spans[i] >= UINT64_C(1) << 40);
        ATR_CHECK_EQ_INT(atr_call_span(ix, i), spans[i]);
    }
    ATR_CHECK_EQ_INT(atr_call_span(ix, 4), 0);
    ATR_CHECK_EQ_INT(atr_call_span(NULL, 0), 0);
    atr_index_free(ix);
    remove(g_path);
}

int main(void) {
    test_call_spans();
    test_one_log_ids();
    test_two_logs_ids_and_functions();
    test_same_log_twice();
    ATR_TEST_MAIN_END();
}
