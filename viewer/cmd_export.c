/* `export LOG... --format chrome|eliot|jsonl [-o OUT]`: calls for other tools. */
#include <errno.h>
#include <string.h>

#include "export.h"
#include "load.h"

enum { OPT_FORMAT = 1, OPT_OUTPUT };
static const atr__opt export_opts[] = {
    {"format", 'f', 1, OPT_FORMAT,
     "-f, --format chrome|eliot|jsonl  Chrome/Perfetto trace, "
     "Eliot JSON lines (eliot-tree), JSON lines of calls"},
    {"output", 'o', 1, OPT_OUTPUT, "-o, --output OUT  write to OUT instead of stdout"},
    {NULL, 0, 0, 0, NULL},
};

typedef int (*export_fn)(const atr_index *ix, FILE *out);

static const struct {
    const char *name;
    export_fn fn;
} formats[] = {
    {"chrome", atr__export_chrome},
    {"eliot", atr__export_eliot},
    {"jsonl", atr__export_jsonl},
};

typedef struct export_args {
    export_fn fn;
    const char *output;
} export_args;

static int on_opt(atr__vctx *ctx, void *ud, int id, const char *arg) {
    export_args *a = ud;
    if (id == OPT_OUTPUT) {
        a->output = arg;
        return ATR_VIEWER_OK;
    }
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(arg, formats[i].name) == 0) {
            a->fn = formats[i].fn;
            return ATR_VIEWER_OK;
        }
    atr__errorf(ctx, "unknown format '%s' (formats: chrome, eliot, jsonl)", arg);
    return ATR_VIEWER_USAGE;
}

static int write_out(atr__vctx *ctx, const atr_index *ix, const export_args *a) {
    int to_stdout = !a->output || strcmp(a->output, "-") == 0;
    FILE *f = to_stdout ? ctx->out : fopen(a->output, "w");
    if (!f) {
        atr__errorf(ctx, "%s: %s", a->output, strerror(errno));
        return ATR_VIEWER_FAIL;
    }
    int rc = a->fn(ix, f);
    if (fflush(f) != 0 || ferror(f))
        rc = rc < 0 ? rc : ATR_EIO;
    int saved = errno;
    if (!to_stdout && fclose(f) != 0 && rc == 0) {
        saved = errno;
        rc = ATR_EIO;
    }
    if (rc < 0) {
        atr__errorf(ctx, "%s: %s", to_stdout ? "stdout" : a->output,
                    rc == ATR_EIO ? strerror(saved) : atr_strerror(rc));
        return ATR_VIEWER_FAIL;
    }
    return ATR_VIEWER_OK;
}

int atr__cmd_export(atr__vctx *ctx, int argc, char **argv) {
    atr__operands ops = {0};
    export_args a = {NULL, NULL};
    atr_index *ix = NULL;
    int st = atr__parse_args(ctx, argc, argv, export_opts, &ops, on_opt, &a);
    if (st == ATR_VIEWER_OK && ops.func) {
        atr__errorf(ctx, "'%s' is not a log file", ops.func);
        st = ATR_VIEWER_USAGE;
    } else if (st == ATR_VIEWER_OK && !a.fn) {
        atr__errorf(ctx, "--format is required (chrome, eliot or jsonl)");
        st = ATR_VIEWER_USAGE;
    }
    if (st == ATR_VIEWER_OK)
        st = atr__load_logs(ctx, ops.logs, ops.n_logs, &ix);
    if (st == ATR_VIEWER_OK)
        st = write_out(ctx, ix, &a);
    atr_index_free(ix);
    atr__operands_free(&ops);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
