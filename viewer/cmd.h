/*
 * Internals shared by the viewer's subcommands: the run context, messages, the command
 * table's entry type and one entry point per cmd_<name>.c.
 */
#ifndef ATR_VIEWER_CMD_H
#define ATR_VIEWER_CMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "viewer.h"

/* Everything a subcommand needs about where it runs. Lives on atr_viewer_run()'s stack. */
typedef struct atr__vctx {
    FILE *out;           /* results */
    FILE *err;           /* errors, warnings, progress */
    const char *prog;    /* program name for messages ("argtrace-view", "argtrace") */
    const char *cmd;     /* the subcommand being run */
    int color;           /* use colour on `out` (a terminal, NO_COLOR unset) */
    int err_tty;         /* `err` is a terminal (progress indicator allowed) */
    uint64_t max_memory; /* --max-memory: the analysis index's budget (0: no limit) */
    int compensate;      /* --compensate: subtract the tracer's measured cost (else --raw) */
    size_t width;        /* text output fits this many columns, 0: no limit (atr__out_width) */
    size_t max_value;    /* --max-value: columns of one value; 0: no limit */
    int max_value_set;   /* --max-value was given (else it follows the width) */
} atr__vctx;

/*
 * The width text output fits by default: $COLUMNS when set, else the terminal's when `out`
 * is one, else 0 (no limit: a pipe to less or grep gets whole lines; --width N cuts them).
 */
size_t atr__out_width(FILE *out);

/* The columns one value may take: --max-value, else 2/5 of the width (at least 24), else 0. */
size_t atr__value_room(const atr__vctx *ctx);
/* Same for a value in a column that starts `used` columns in: at most 3/5 of what is left
   (at least 20), so that a line of several values keeps more than one. */
size_t atr__value_room_in(const atr__vctx *ctx, size_t used);

/* A subcommand: argv[0] is its name, the options and operands follow. */
typedef int (*atr__cmd_fn)(atr__vctx *ctx, int argc, char **argv);

typedef struct atr__cmd {
    const char *name;
    atr__cmd_fn run;
    const char *synopsis; /* operands, e.g. "LOG... FUNC [FILTER...]" */
    const char *summary;  /* one line for the command list */
} atr__cmd;

/* "prog cmd: message" on ctx->err. */
void atr__errorf(atr__vctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "prog cmd: warning: message" on ctx->err. */
void atr__warnf(atr__vctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int atr__cmd_summary(atr__vctx *ctx, int argc, char **argv);
int atr__cmd_slow(atr__vctx *ctx, int argc, char **argv);
int atr__cmd_diff(atr__vctx *ctx, int argc, char **argv);
int atr__cmd_tree(atr__vctx *ctx, int argc, char **argv);
int atr__cmd_why(atr__vctx *ctx, int argc, char **argv);
int atr__cmd_calls(atr__vctx *ctx, int argc, char **argv);
int atr__cmd_cat(atr__vctx *ctx, int argc, char **argv);
int atr__cmd_export(atr__vctx *ctx, int argc, char **argv);
int atr__cmd_report(atr__vctx *ctx, int argc, char **argv);
int atr__cmd_view(atr__vctx *ctx, int argc, char **argv);

/* The command table (commands.c): the command named `name` (NULL: none or unknown). */
const atr__cmd *atr__cmd_find(const char *name);
/* The table's i'th command (from 0), NULL past the last: for listing them. */
const atr__cmd *atr__cmd_at(size_t i);

#endif /* ATR_VIEWER_CMD_H */
