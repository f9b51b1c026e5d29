/*
 * atr_dump: print a log in the exact text form of rec_dump.h (a test tool; the spec test
 * tests/python/test_format_spec.py compares its own reader's output with this).
 *
 *     atr_dump LOG
 *     atr_dump --index LOG    its frame index (atr_frames.h), one line per frame:
 *         FRAME offset=16 size=120 time=1000-2000 flags=1 threads=[0:1-5] functions=[0,1]
 *       (time=- when the frame has no timed record), then "# index: footer|rebuilt
 *       selectable|not-selectable"
 *
 * Exit status 0 when the log ends cleanly (ATR_EOF) or its index loads, 1 otherwise.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "argtrace/atr_frames.h"
#include "rec_dump.h"

static int dump_index(const char *path) {
    atr_reader *r = NULL;
    atr_frame_index *ix = NULL;
    uint32_t i, k;
    if (atr_reader_open(path, &r) != 0 || atr_frame_index_load(r, &ix) != 0) {
        atr_reader_close(r);
        printf("# index: none\n");
        return 1;
    }
    for (i = 0; i < atr_frame_index_count(ix); i++) {
        atr_frame_info f;
        atr_frame_index_get(ix, i, &f);
        printf("FRAME offset=%" PRIu64 " size=%" PRIu64, f.offset, f.size);
        if (f.tmin <= f.tmax)
            printf(" time=%" PRIu64 "-%" PRIu64, f.tmin, f.tmax);
        else
            printf(" time=-");
        printf(" flags=%" PRIu32 " threads=[", f.flags);
        for (k = 0; k < f.n_threads; k++) {
            uint32_t t;
            uint64_t lo, hi;
            atr_frame_index_thread(ix, i, k, &t, &lo, &hi);
            printf("%s%" PRIu32 ":%" PRIu64 "-%" PRIu64, k ? "," : "", t, lo, hi);
        }
        printf("] functions=[");
        for (k = 0; k < f.n_functions; k++) {
            uint32_t id;
            atr_frame_index_function(ix, i, k, &id);
            printf("%s%" PRIu32, k ? "," : "", id);
        }
        printf("]\n");
    }
    printf("# index: %s %s\n", atr_frame_index_from_footer(ix) ? "footer" : "rebuilt",
           atr_frame_index_selectable(ix) ? "selectable" : "not-selectable");
    atr_frame_index_free(ix);
    atr_reader_close(r);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--index") == 0)
        return dump_index(argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: atr_dump [--index] LOG\n");
        return 2;
    }
    return rec_dump_file(stdout, argv[1]) == ATR_EOF ? 0 : 1;
}
