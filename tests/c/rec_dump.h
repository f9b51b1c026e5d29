/*
 * An exact, line-per-record text form of decoded records, for tests: the golden v1 dump
 * (the .dump files under tests/golden/v1/), the truncation tests and
 * tests/python/test_format_spec.py (which prints the same form from its own independent
 * reader) all compare these lines.
 *
 * Form (one line per record; strings quoted, bytes outside 0x20-0x7e and `"` `\` as \xHH):
 *   PROCESS format=1.0 pid=4242 host="h" argv=["a","b"] runtime="C" tool="t" clock_ns=1
 *           wall_ns=2 uid=3 parent_uid=0 parent_span=-
 *   FUNCTION id=0 module="m" qualname="f" file="f.c" line=1 flags=0 params=["n"]
 *   THREAD thread=0 os_tid=7 name="main"
 *   START thread=0 time=1100 span=0:1 parent=- function=0 args=[int:2] fields={}
 *   END thread=0 time=1115 span=0:2 status=0 value=int:1
 *   END thread=0 time=1115 span=0:2 status=1 exc_type="ValueError" value=str:"bad"
 *   END thread=0 time=1115 span=0:2 status=2
 *   MESSAGE thread=0 time=1120 span=- text="hi" fields={"k"=nil}
 *   SYNC thread=0 last_seq=10 dropped=4
 *   DROPS records=0 bytes=0 oversize=0 capture_errors=0 write_errors=0
 *   END_OF_LOG time=1200
 * Spans print as thread:seq, 0 as "-". Values: nil, true, false, int:N, uint:N, float:%.17g,
 * str:"..", bytes:"..", repr:"..", each followed by /TRUE_LEN when truncated,
 * sum:"type"/LEN[item,...] (LEN ? when unknown), redacted, bigint:DIGITS, error:"..",
 * unknown:"..".
 */
#ifndef ATR_TESTS_REC_DUMP_H
#define ATR_TESTS_REC_DUMP_H

#include <stdio.h>

#include "argtrace/atr_reader.h"

/* Write one record as one line (with '\n') to f. */
void rec_dump(FILE *f, const atr_record *rec);

/* The same line into buf (NUL-terminated, cut at size - 1). Returns buf. */
char *rec_dump_str(char *buf, size_t size, const atr_record *rec);

/*
 * Dump every record of the log at path to f, then "# end: ATR_EOF" (the terminal code's
 * name), "# error: <atr_reader_error()>" unless the end is ATR_EOF, and
 * "# closed_cleanly: 0|1". Returns the terminal code.
 */
int rec_dump_file(FILE *f, const char *path);

#endif /* ATR_TESTS_REC_DUMP_H */
