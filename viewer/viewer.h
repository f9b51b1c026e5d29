/*
 * argtrace viewer: the `argtrace-view` command line (summary, slow, diff, tree, calls, cat,
 * export, view) as a library, so the Python `argtrace` command runs the same code in-process.
 *
 * Each call is independent: no state survives between calls, no exit(), everything that was
 * allocated is freed. Output goes to the given streams only.
 */
#ifndef ATR_VIEWER_VIEWER_H
#define ATR_VIEWER_VIEWER_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exit statuses of the viewer. */
#define ATR_VIEWER_OK 0    /* success */
#define ATR_VIEWER_FAIL 1  /* runtime error: unreadable or corrupt log, I/O error */
#define ATR_VIEWER_USAGE 2 /* bad command line */

/*
 * Run the viewer command line `argv` (argv[0] is the program name, used in messages; then a
 * subcommand and its arguments) with stdout/stderr. Returns an ATR_VIEWER_* status.
 */
int atr_viewer_main(int argc, char **argv);

/* Same, writing to `out` and `err` (the TUI always uses the terminal). */
int atr_viewer_run(int argc, char **argv, FILE *out, FILE *err);

#ifdef __cplusplus
}
#endif
#endif /* ATR_VIEWER_VIEWER_H */
