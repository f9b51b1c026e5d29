/*
 * atr_dump: print a log in the exact text form of rec_dump.h (a test tool; the spec test
 * tests/python/test_format_spec.py compares its own reader's output with this).
 *
 *     atr_dump LOG
 *
 * Exit status 0 when the log ends cleanly (ATR_EOF), 1 otherwise.
 */
#include <stdio.h>

#include "rec_dump.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: atr_dump LOG\n");
        return 2;
    }
    return rec_dump_file(stdout, argv[1]) == ATR_EOF ? 0 : 1;
}
