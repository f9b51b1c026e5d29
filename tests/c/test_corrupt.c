/*
 * Damaged logs (tests/golden/corrupt/, table in its README): each gives its expected code
 * after the expected number of records, with a one-line message naming an offset; every
 * prefix of each is read without a crash; and reading them all never grows the process by
 * more than a few MiB (no allocation sized by a number in the file).
 */
#include <dirent.h>
#include <string.h>
#include <sys/resource.h>

#include "argtrace/atr.h"
#include "atr_test.h"

#ifndef ATR_GOLDEN_DIR
#error "ATR_GOLDEN_DIR must name tests/golden"
#endif

#define MAX_CASES 64

typedef struct corrupt_case {
    char file[128];
    char code[32];
    char records[16];
    char msg[160];
} corrupt_case;

static long max_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static char *trim(char *s) {
    char *e;
    while (*s == ' ')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

static int parse_readme(corrupt_case *cases, int max) {
    char line[1024];
    int n = 0;
    FILE *f = fopen(ATR_GOLDEN_DIR "/corrupt/README", "r");
    ATR_REQUIRE(f != NULL);
    while (fgets(line, sizeof line, f) && n < max) {
        char *part[5], *p = line;
        int k;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        for (k = 0; k < 5 && p; k++) {
            part[k] = p;
            p = strchr(p, '|');
            if (p)
                *p++ = '\0';
        }
        if (!ATR_CHECK_EQ_INT(k, 5))
            continue;
        snprintf(cases[n].file, sizeof cases[n].file, "%s", trim(part[0]));
        snprintf(cases[n].code, sizeof cases[n].code, "%s", trim(part[1]));
        snprintf(cases[n].records, sizeof cases[n].records, "%s", trim(part[2]));
        snprintf(cases[n].msg, sizeof cases[n].msg, "%s", trim(part[3]));
        n++;
    }
    fclose(f);
    return n;
}

/* Read everything; returns the terminal code (or the open error) and counts records. */
static int drain(atr_reader *r, int *n_records) {
    atr_record rec;
    int rc;
    *n_records = 0;
    while ((rc = atr_reader_next(r, &rec)) == 0)
        (*n_records)++;
    return rc;
}

static void check_case(const corrupt_case *c) {
    char path[512], err[256];
    atr_reader *r = NULL;
    const char *msg;
    int rc, n = 0;

    snprintf(path, sizeof path, "%s/corrupt/%.127s", ATR_GOLDEN_DIR, c->file);
    rc = atr_reader_open_errbuf(path, &r, err, sizeof err);
    if (strcmp(c->records, "open") == 0) {
        if (!ATR_CHECK_EQ_STR(atr_errname(rc), c->code) || !ATR_CHECK(strstr(err, c->msg)))
            fprintf(stderr, "  %s: %s\n", c->file, err);
        ATR_CHECK(r == NULL);
        ATR_CHECK(strchr(err, '\n') == NULL);
        atr_reader_close(r);
        return;
    }
    if (!ATR_CHECK_OK(rc)) {
        fprintf(stderr, "  %s: %s\n", c->file, err);
        return;
    }
    rc = drain(r, &n);
    msg = atr_reader_error(r);
    if (!ATR_CHECK_EQ_STR(atr_errname(rc), c->code) || !ATR_CHECK_EQ_INT(n, atoi(c->records)) ||
        !ATR_CHECK(strstr(msg, c->msg) != NULL) || !ATR_CHECK(strstr(msg, " at offset ")) ||
        !ATR_CHECK(strchr(msg, '\n') == NULL))
        fprintf(stderr, "  %s: %d records, %s\n", c->file, n, msg);
    ATR_CHECK_EQ_INT(atr_reader_next(NULL, NULL), ATR_EINVAL);
    atr_reader_close(r);
}

/* Every prefix of the file, from memory sized exactly (ASan catches any read past it). */
static void check_prefixes(const corrupt_case *c) {
    char path[512];
    size_t len = 0, cut;
    uint8_t *data;
    int n;

    snprintf(path, sizeof path, "%s/corrupt/%.127s", ATR_GOLDEN_DIR, c->file);
    data = atr_test_read_file(path, &len);
    ATR_REQUIRE(data != NULL);
    for (cut = 0; cut <= len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        atr_reader *r = NULL;
        int rc;
        ATR_REQUIRE(copy != NULL);
        memcpy(copy, data, cut);
        rc = atr_reader_open_mem(copy, cut, &r);
        if (rc == 0) {
            rc = drain(r, &n);
            atr_reader_close(r);
        }
        /* a prefix ends in any of these, never success */
        if (!ATR_CHECK(rc == ATR_EOF || rc == ATR_ETRUNCATED || rc == ATR_ECORRUPT ||
                       rc == ATR_ETOOBIG || rc == ATR_EMAGIC || rc == ATR_EVERSION)) {
            fprintf(stderr, "  %s cut at %zu: %s\n", c->file, cut, atr_errname(rc));
            free(copy);
            break;
        }
        free(copy);
    }
    free(data);
}

/* Every .atr in the directory has a README line, and the reverse. */
static void check_listing(const corrupt_case *cases, int n) {
    DIR *dir = opendir(ATR_GOLDEN_DIR "/corrupt");
    struct dirent *e;
    int found = 0, i;
    ATR_REQUIRE(dir != NULL);
    while ((e = readdir(dir)) != NULL) {
        size_t len = strlen(e->d_name);
        int listed = 0;
        if (len < 4 || strcmp(e->d_name + len - 4, ".atr") != 0)
            continue;
        found++;
        for (i = 0; i < n; i++)
            listed |= strcmp(cases[i].file, e->d_name) == 0;
        if (!ATR_CHECK(listed))
            fprintf(stderr, "  %s has no README line\n", e->d_name);
    }
    closedir(dir);
    ATR_CHECK_EQ_INT(found, n);
}

int main(void) {
    static corrupt_case cases[MAX_CASES];
    long rss0 = max_rss_kib();
    int n = parse_readme(cases, MAX_CASES), i;

    ATR_CHECK(n >= 20);
    check_listing(cases, n);
    for (i = 0; i < n; i++)
        check_case(&cases[i]);
    /* the largest legitimate buffer here is object_bomb's 2 MiB frame (measured before the
       prefix runs, whose many small buffers a sanitizer's quarantine would add up) */
    if (!ATR_CHECK(max_rss_kib() - rss0 < 64 * 1024))
        fprintf(stderr, "  max RSS grew by %ld KiB\n", max_rss_kib() - rss0);
    for (i = 0; i < n; i++)
        check_prefixes(&cases[i]);
    ATR_TEST_MAIN_END();
}
