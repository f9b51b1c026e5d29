/*
 * Tiny assertion helpers shared by the C tests.
 *
 * Each check prints "file:line: check failed: ..." with both sides on failure, counts it,
 * and carries on; ATR_REQUIRE stops the test at once (use it when later checks would crash).
 * End main() with ATR_TEST_MAIN_END(), which prints "N checks, M failed" and returns 1 on
 * any failure. Counters are per translation unit: include this from the one .c file of a
 * test executable (helpers in other files should return results for main's checks).
 *
 *     #include "atr_test.h"
 *     int main(void) {
 *         ATR_CHECK_EQ_INT(1 + 1, 2);
 *         ATR_CHECK_OK(atr_something());
 *         ATR_TEST_MAIN_END();
 *     }
 */
#ifndef ATR_TESTS_ATR_TEST_H
#define ATR_TESTS_ATR_TEST_H

#include <glob.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argtrace/atr_common.h"

static unsigned long atr_test_n_checks;
static unsigned long atr_test_n_failed;

/* Bytes given as hex, e.g. "95 05 01 00 00 90" (whitespace between bytes optional). */
static inline size_t atr_test_hex(const char *s, uint8_t *out) {
    size_t n = 0;
    unsigned v;
    int k;
    while (sscanf(s, " %2x%n", &v, &k) == 1) {
        out[n++] = (uint8_t)v;
        s += k;
    }
    return n;
}

static inline int atr_test_fail_head(const char *file, int line) {
    atr_test_n_failed++;
    fprintf(stderr, "%s:%d: check failed: ", file, line);
    return 0;
}

static inline int atr_test_check(int ok, const char *file, int line, const char *expr) {
    atr_test_n_checks++;
    if (ok)
        return 1;
    atr_test_fail_head(file, line);
    fprintf(stderr, "%s\n", expr);
    return 0;
}

static inline int atr_test_eq_int(long long a, long long b, const char *file, int line,
                                  const char *ea, const char *eb) {
    atr_test_n_checks++;
    if (a == b)
        return 1;
    atr_test_fail_head(file, line);
    fprintf(stderr, "%s == %s: %lld != %lld\n", ea, eb, a, b);
    return 0;
}

static inline int atr_test_eq_u64(uint64_t a, uint64_t b, const char *file, int line,
                                  const char *ea, const char *eb) {
    atr_test_n_checks++;
    if (a == b)
        return 1;
    atr_test_fail_head(file, line);
    fprintf(stderr, "%s == %s: %" PRIu64 " (0x%" PRIx64 ") != %" PRIu64 " (0x%" PRIx64 ")\n", ea,
            eb, a, a, b, b);
    return 0;
}

static inline int atr_test_eq_dbl(double a, double b, const char *file, int line, const char *ea,
                                  const char *eb) {
    atr_test_n_checks++;
    if (a == b || (a != a && b != b))
        return 1;
    atr_test_fail_head(file, line);
    fprintf(stderr, "%s == %s: %.17g != %.17g\n", ea, eb, a, b);
    return 0;
}

/* Print up to 64 bytes of p as a C-like string literal with escapes. */
static inline void atr_test_print_mem(const void *p, size_t n) {
    const unsigned char *s = (const unsigned char *)p;
    size_t i, shown = n < 64 ? n : 64;
    if (!p) {
        fputs("(null)", stderr);
        return;
    }
    fputc('"', stderr);
    for (i = 0; i < shown; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
            fputc(s[i], stderr);
        else
            fprintf(stderr, "\\x%02x", s[i]);
    }
    fputc('"', stderr);
    if (shown < n)
        fprintf(stderr, "...");
    fprintf(stderr, " (%zu bytes)", n);
}

static inline int atr_test_eq_mem(const void *p, size_t n, const void *q, size_t m,
                                  const char *file, int line, const char *ep, const char *eq) {
    atr_test_n_checks++;
    if (n == m && (n == 0 || (p && q && memcmp(p, q, n) == 0)))
        return 1;
    atr_test_fail_head(file, line);
    fprintf(stderr, "%s == %s: ", ep, eq);
    atr_test_print_mem(p, n);
    fputs(" != ", stderr);
    atr_test_print_mem(q, m);
    fputc('\n', stderr);
    return 0;
}

static inline int atr_test_eq_str(const char *a, const char *b, const char *file, int line,
                                  const char *ea, const char *eb) {
    atr_test_n_checks++;
    if ((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0))
        return 1;
    atr_test_fail_head(file, line);
    fprintf(stderr, "%s == %s: ", ea, eb);
    atr_test_print_mem(a, a ? strlen(a) : 0);
    fputs(" != ", stderr);
    atr_test_print_mem(b, b ? strlen(b) : 0);
    fputc('\n', stderr);
    return 0;
}

static inline int atr_test_err(int got, int want, const char *file, int line, const char *expr) {
    atr_test_n_checks++;
    if (got == want)
        return 1;
    atr_test_fail_head(file, line);
    fprintf(stderr, "%s returned %d %s, expected %d %s\n", expr, got, atr_errname(got), want,
            atr_errname(want));
    return 0;
}

/* Prints the summary line; returns the exit status for main (0 all passed, 1 otherwise). */
static inline int atr_test_report(void) {
    fprintf(stderr, "%lu checks, %lu failed\n", atr_test_n_checks, atr_test_n_failed);
    return atr_test_n_failed ? 1 : 0;
}

/*
 * A fresh file path for this test: "$ATR_TEST_TMPDIR/<name>.<pid>" (fallback /tmp). Any
 * existing file there is removed. Returns buf.
 */
static inline char *atr_test_tmpfile(char *buf, size_t size, const char *name) {
    const char *dir = getenv("ATR_TEST_TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(buf, size, "%s/%s.%ld", dir, name, (long)getpid());
    remove(buf);
    return buf;
}

/*
 * The log a forked child `pid` wrote beside `parent` ("<stem>.<pid>.<8 hex digits>.atr"),
 * into out; the glob pattern itself when there is not exactly one such file.
 */
static inline void atr_test_child_log(char *out, size_t size, const char *parent, long pid) {
    size_t n = strlen(parent) - 4; /* minus ".atr" */
    glob_t g;
    snprintf(out, size,
             "%.*s.%ld.[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].atr",
             (int)n, parent, pid);
    if (glob(out, 0, NULL, &g) == 0) {
        if (g.gl_pathc == 1)
            snprintf(out, size, "%s", g.gl_pathv[0]);
        globfree(&g);
    }
}

/* The whole file at path in a malloc'ed buffer (*len bytes, at least 1 allocated), or NULL. */
static inline uint8_t *atr_test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = n >= 0 ? (uint8_t *)malloc(n > 0 ? (size_t)n : 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf ? (size_t)n : 0;
    return buf;
}

/* An atr_str over a C string. */
static inline atr_str atr_test_str(const char *s) {
    atr_str r;
    r.ptr = s;
    r.len = strlen(s);
    return r;
}

/* Each macro evaluates its arguments once and yields 1 if the check passed, else 0. */
#define ATR_CHECK(cond) atr_test_check(!!(cond), __FILE__, __LINE__, #cond)
#define ATR_CHECK_EQ_INT(a, b) \
    atr_test_eq_int((long long)(a), (long long)(b), __FILE__, __LINE__, #a, #b)
#define ATR_CHECK_EQ_U64(a, b) \
    atr_test_eq_u64((uint64_t)(a), (uint64_t)(b), __FILE__, __LINE__, #a, #b)
#define ATR_CHECK_EQ_DBL(a, b) atr_test_eq_dbl((double)(a), (double)(b), __FILE__, __LINE__, #a, #b)
#define ATR_CHECK_EQ_STR(a, b) atr_test_eq_str((a), (b), __FILE__, __LINE__, #a, #b)
#define ATR_CHECK_EQ_MEM(p, n, q, m) \
    atr_test_eq_mem((p), (size_t)(n), (q), (size_t)(m), __FILE__, __LINE__, #p, #q)
/* A call returning 0 / ATR_E*: passes on 0, else prints the error's name. */
#define ATR_CHECK_OK(call) atr_test_err((call), 0, __FILE__, __LINE__, #call)
/* A call expected to return a specific ATR_E* code. */
#define ATR_CHECK_ERR(call, code) atr_test_err((call), (code), __FILE__, __LINE__, #call)
/* Like ATR_CHECK, but a failure ends the test (exit status 1) after the summary line. */
#define ATR_REQUIRE(cond)                \
    do {                                 \
        if (!ATR_CHECK(cond)) {          \
            fputs("stopping\n", stderr); \
            exit(atr_test_report() | 1); \
        }                                \
    } while (0)

#define ATR_TEST_MAIN_END() return atr_test_report()

#endif /* ATR_TESTS_ATR_TEST_H */
