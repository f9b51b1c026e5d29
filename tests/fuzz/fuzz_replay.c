/*
 * Runs every file of a fuzz corpus through a fuzz target without libFuzzer, so that gcc and
 * sanitizer builds exercise the committed corpus as an ordinary test.
 *
 *     fuzz_replay reader|records DIR_OR_FILE...
 *
 * Exit status 0 when every input ran (a target that finds a bug aborts or trips a sanitizer).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_targets.h"

static int run_file(const char *path, int (*target)(const uint8_t *, size_t)) {
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1); /* exact size: ASan sees reads past the input */
    if (!buf || n < 0 || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    target(buf, (size_t)n);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    int (*target)(const uint8_t *, size_t);
    int i, runs = 0, errors = 0;

    if (argc < 3 || (strcmp(argv[1], "reader") && strcmp(argv[1], "records"))) {
        fprintf(stderr, "usage: fuzz_replay reader|records DIR_OR_FILE...\n");
        return 2;
    }
    target = strcmp(argv[1], "reader") == 0 ? atr_fuzz_reader_one : atr_fuzz_records_one;
    for (i = 2; i < argc; i++) {
        struct stat st;
        DIR *dir;
        struct dirent *e;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: cannot stat\n", argv[i]);
            errors++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            errors += run_file(argv[i], target) != 0;
            runs++;
            continue;
        }
        dir = opendir(argv[i]);
        while (dir && (e = readdir(dir)) != NULL) {
            char path[4096];
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            if (run_file(path, target) != 0) {
                fprintf(stderr, "%s: cannot read\n", path);
                errors++;
            }
            runs++;
        }
        if (dir)
            closedir(dir);
    }
    printf("fuzz_replay %s: %d inputs, %d unreadable\n", argv[1], runs, errors);
    return errors || runs == 0 ? 1 : 0;
}
