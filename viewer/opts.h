/*
 * Command-line parsing for the subcommands: a small re-entrant option parser (getopt keeps
 * global state, which an in-process viewer cannot have), number parsing and the split of
 * operands into LOG files, a function name and filters.
 *
 * Every error prints one line "prog cmd: ..." and makes the command return ATR_VIEWER_USAGE.
 */
#ifndef ATR_VIEWER_OPTS_H
#define ATR_VIEWER_OPTS_H

#include <stdint.h>

#include "cmd.h"

typedef struct atr__opt {
    const char *name; /* long name without "--" */
    char shrt;        /* short letter, or 0 */
    int has_arg;      /* 1: takes a value (--name=V, --name V, -xV, -x V) */
    int id;           /* > 0, returned by atr__opt_next() */
    const char *help; /* "--limit N    show at most N calls" for --help */
} atr__opt;

/* Every command accepts -h/--help, --max-memory SIZE, --compensate and --raw; their ids: */
#define ATR__OPT_HELP 1000
#define ATR__OPT_MAX_MEMORY 1001
#define ATR__OPT_COMPENSATE 1002
#define ATR__OPT_RAW 1003

/* The options of text output's width, for the option tables of text commands. */
#define ATR__OPT_WIDTH 1004
#define ATR__OPT_MAX_VALUE 1005
#define ATR__OPTS_WIDTH                                                     \
    {"width", 0, 1, ATR__OPT_WIDTH,                                         \
     "--width N    fit in N columns (default: terminal's; 0: any)"},        \
    {                                                                       \
        "max-value", 0, 1, ATR__OPT_MAX_VALUE,                              \
            "--max-value N  cut values longer than N columns in the middle" \
    }

typedef struct atr__optparser {
    atr__vctx *ctx;
    int argc;
    char **argv;
    int i;                /* next argv index */
    const atr__opt *opts; /* terminated by an entry with name NULL */
    int no_more_opts;     /* "--" seen */
} atr__optparser;

/* Results of atr__opt_next() besides an option id. */
#define ATR__OPT_OPERAND 0
#define ATR__OPT_END (-1)
#define ATR__OPT_ERROR (-2)

void atr__opt_init(atr__optparser *p, atr__vctx *ctx, int argc, char **argv, const atr__opt *opts);
/*
 * Next option or operand; options and operands may be mixed. Returns an option id (value in
 * *arg for options that take one), ATR__OPT_OPERAND (*arg = the operand), ATR__OPT_END, or
 * ATR__OPT_ERROR after printing the error.
 */
int atr__opt_next(atr__optparser *p, const char **arg);

/* Print "usage: prog cmd SYNOPSIS", the command's summary and its options to ctx->out. */
void atr__opt_usage(atr__vctx *ctx, const atr__opt *opts);

/*
 * Parse a size: a non-negative number with an optional binary unit K, M, G or T (also KB,
 * KiB...; 1K = 1024). Returns 0, or -1 when invalid (nothing printed).
 */
int atr__parse_size(const char *s, uint64_t *out);

/* Parse a non-negative integer option value; prints the error and returns -1 when invalid. */
int atr__opt_uint(atr__vctx *ctx, const char *opt, const char *s, uint64_t *out);

/*
 * Handle --width / --max-value (ids ATR__OPT_WIDTH, ATR__OPT_MAX_VALUE) into ctx: returns
 * ATR_VIEWER_OK, ATR_VIEWER_USAGE after printing the error, or -1 for any other id.
 * atr__parse_args() does this itself.
 */
int atr__opt_width(atr__vctx *ctx, int id, const char *arg);

/*
 * Operands "LOG... [FUNC] [FILTER...]": leading operands that end in ".atr" or name an
 * existing file are logs; the next is the function unless it looks like a comparison (then
 * it is the first filter); the rest are filters. Arrays are borrowed pointers into argv,
 * allocated by atr__operands_add().
 */
typedef struct atr__operands {
    const char **logs;
    int n_logs;
    const char *func; /* NULL if absent */
    const char **filters;
    int n_filters;
} atr__operands;

int atr__operands_add(atr__operands *o, const char *arg); /* 0 or ATR_ENOMEM */
void atr__operands_free(atr__operands *o);

/* Returned by atr__parse_args() after it printed --help: the command returns ATR_VIEWER_OK. */
#define ATR__HELP_SHOWN (-1)

/* Handle option `id` with value `arg` (NULL for flags); return ATR_VIEWER_OK or a status. */
typedef int (*atr__opt_fn)(atr__vctx *ctx, void *ud, int id, const char *arg);

/*
 * The usual loop: options go to on_opt, operands into *ops (free it in every case), -h
 * prints the usage. Returns ATR_VIEWER_OK, ATR__HELP_SHOWN or an error status.
 */
int atr__parse_args(atr__vctx *ctx, int argc, char **argv, const atr__opt *opts, atr__operands *ops,
                    atr__opt_fn on_opt, void *ud);

#endif /* ATR_VIEWER_OPTS_H */
