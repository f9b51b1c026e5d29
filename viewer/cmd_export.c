/*
 * `export LOG... --format chrome|eliot|jsonl|speedscope|folded [FUNC] [FILTER...]
 * [--min-duration T] [--value self|count] [-o OUT]`: calls for other tools. With FUNC, filters
 * or --min-duration only the matching calls are written (jsonl), with their ancestors
 * (chrome, eliot: the trees keep their shape), and the messages inside the calls written;
 * the flame graph formats (speedscope, folded) take the matching calls with everything they
 * called, under their callers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "load.h"

enum { OPT_FORMAT = 1, OPT_OUTPUT, OPT_MIN_DURATION, OPT_VALUE };
static const atr__opt export_opts[] = {
    {"format", 'f', 1, OPT_FORMAT,
     "-f, --format FORMAT  chrome: Chrome/Perfetto trace; eliot: Eliot JSON lines "
     "(eliot-tree); jsonl: JSON lines of calls; speedscope: speedscope profile, one per "
     "thread (frames open while their call runs: a generator's steps apart); folded: "
     "collapsed stacks 'a;b;c VALUE' for flamegraph.pl and inferno; parquet (Parquet table of "
     "calls, with pyarrow: pip install argtrace[parquet]) and otlp (OpenTelemetry spans, "
     "docs/OTLP.md): written by the Python argtrace command"},
    {"value", 0, 1, OPT_VALUE,
     "--value self|count  folded: VALUE is the self time in ns, by active time (default), "
     "or the number of calls"},
    {"output", 'o', 1, OPT_OUTPUT, "-o, --output OUT  write to OUT (default and -: stdout)"},
    {"min-duration", 0, 1, OPT_MIN_DURATION,
     "--min-duration T  only calls lasting T or more (e.g. 5ms)"},
    {NULL, 0, 0, 0, NULL},
};

/* budget: bytes the exporter may take beyond the index (0: no limit; export.h). */
typedef int (*export_fn)(const atr_index *ix, const uint8_t *keep, uint64_t budget, FILE *out);

static int folded_self(const atr_index *ix, const uint8_t *keep, uint64_t budget, FILE *out) {
    (void)budget;
    return atr__export_folded(ix, keep, ATR__FOLDED_SELF, out);
}

static int folded_count(const atr_index *ix, const uint8_t *keep, uint64_t budget, FILE *out) {
    (void)budget;
    return atr__export_folded(ix, keep, ATR__FOLDED_COUNT, out);
}

static int eliot(const atr_index *ix, const uint8_t *keep, uint64_t budget, FILE *out) {
    (void)budget;
    return atr__export_eliot(ix, keep, out);
}

static int jsonl(const atr_index *ix, const uint8_t *keep, uint64_t budget, FILE *out) {
    (void)budget;
    return atr__export_jsonl(ix, keep, out);
}

static const struct {
    const char *name;
    export_fn fn;
} formats[] = {
    {"chrome", atr__export_chrome},         {"eliot", eliot},        {"jsonl", jsonl},
    {"speedscope", atr__export_speedscope}, {"folded", folded_self},
};

typedef struct export_args {
    export_fn fn;
    const char *output;
    const char *value;     /* --value, NULL if not given */
    char min_duration[64]; /* "duration>=T" for --min-duration T, else "" */
} export_args;

static int on_opt(atr__vctx *ctx, void *ud, int id, const char *arg) {
    export_args *a = ud;
    if (id == OPT_OUTPUT) {
        a->output = arg;
        return ATR_VIEWER_OK;
    }
    if (id == OPT_VALUE) {
        if (strcmp(arg, "self") != 0 && strcmp(arg, "count") != 0) {
            atr__errorf(ctx, "--value takes self or count, not '%s'", arg);
            return ATR_VIEWER_USAGE;
        }
        a->value = arg;
        return ATR_VIEWER_OK;
    }
    if (id == OPT_MIN_DURATION) {
        if (strlen(arg) > 40 || strpbrk(arg, " \t,")) {
            atr__errorf(ctx, "--min-duration takes a time such as 5ms, not '%s'", arg);
            return ATR_VIEWER_USAGE;
        }
        snprintf(a->min_duration, sizeof a->min_duration, "duration>=%s", arg);
        char err[256] = "";
        atr_filter *f = NULL;
        int rc = atr_filter_parse(a->min_duration, &f, err, sizeof err);
        atr_filter_free(f);
        if (rc == ATR_ESYNTAX) { /* "column N: why": the column is of our own text */
            const char *why = strstr(err, ": ");
            atr__errorf(ctx, "--min-duration %s: %s", arg, why ? why + 2 : err);
            return ATR_VIEWER_USAGE;
        }
        return rc < 0 ? ATR_VIEWER_FAIL : ATR_VIEWER_OK;
    }
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(arg, formats[i].name) == 0) {
            a->fn = formats[i].fn;
            return ATR_VIEWER_OK;
        }
    if (strcmp(arg, "parquet") == 0 || strcmp(arg, "otlp") == 0)
        atr__errorf(ctx,
                    "%s is written by the Python argtrace command (argtrace export --format %s%s)",
                    arg, arg, arg[0] == 'p' ? "; pip install argtrace[parquet]" : "");
    else
        atr__errorf(ctx,
                    "unknown format '%s' (formats: chrome, eliot, jsonl, speedscope, folded, "
                    "parquet, otlp)",
                    arg);
    return ATR_VIEWER_USAGE;
}

/* The selection's bytes (export.h) into *keep; NULL when nothing is selected. */
static int select_calls(atr__vctx *ctx, const atr__target *t, uint8_t **keep) {
    *keep = NULL;
    if (t->fn == ATR_ALL_FUNCTIONS && !t->filter)
        return ATR_VIEWER_OK;
    atr_index_info info;
    atr_index_get_info(t->ix, &info);
    atr_callset *cs = NULL;
    int st = atr__target_query(ctx, t, ATR_SORT_START, 0, 0, &cs);
    if (st != ATR_VIEWER_OK)
        return st;
    uint8_t *k = calloc(info.n_calls ? info.n_calls : 1, 1);
    if (!k) {
        atr_callset_free(cs);
        atr__errorf(ctx, "out of memory");
        return ATR_VIEWER_FAIL;
    }
    for (uint64_t i = 0; i < atr_callset_count(cs); i++)
        k[atr_callset_get(cs, i)] = ATR__EXPORT_MATCH;
    for (uint64_t i = 0; i < atr_callset_count(cs); i++) {
        atr_call_view cv;
        uint32_t c = atr_callset_get(cs, i);
        /* up to the root or to a call marked already (its ancestors are) */
        while (atr_index_call(t->ix, c, &cv) == 0 && cv.parent != ATR_NO_CALL &&
               cv.parent < info.n_calls && !k[cv.parent]) {
            k[cv.parent] = ATR__EXPORT_ANCESTOR;
            c = cv.parent;
        }
    }
    atr_callset_free(cs);
    *keep = k;
    return ATR_VIEWER_OK;
}

/* What --max-memory leaves the exporter beside the index and the selection (0: no limit;
   1 when nothing is left, so that any allocation is past it). */
static uint64_t export_budget(const atr__vctx *ctx, const atr_index *ix, const uint8_t *keep) {
    if (!ctx->max_memory)
        return 0;
    atr_index_info info;
    atr_index_get_info(ix, &info);
    uint64_t used = info.mem_bytes + (keep ? info.n_calls : 0);
    return ctx->max_memory > used + 1 ? ctx->max_memory - used : 1;
}

/* The one-line error for an export past --max-memory, worded as the index's. */
static void budget_error(atr__vctx *ctx, const atr_index *ix) {
    atr_file_info fi;
    double m = (double)ctx->max_memory;
    const char *unit = m >= 1024.0 * 1024 * 1024 ? "GiB" : m >= 1024.0 * 1024 ? "MiB" : "KiB";
    m /= unit[0] == 'G' ? 1024.0 * 1024 * 1024 : unit[0] == 'M' ? 1024.0 * 1024 : 1024.0;
    atr__errorf(ctx,
                "%s: exporting this log needs more than the memory limit of %.1f %s (raise it "
                "with --max-memory)",
                atr_index_file(ix, 0, &fi) == 0 && fi.path ? fi.path : "log", m, unit);
}

static int write_out(atr__vctx *ctx, const atr_index *ix, const uint8_t *keep,
                     const export_args *a) {
    int to_stdout = !a->output || strcmp(a->output, "-") == 0;
    FILE *f = to_stdout ? ctx->out : fopen(a->output, "w");
    if (!f) {
        atr__errorf(ctx, "%s: %s", a->output, strerror(errno));
        return ATR_VIEWER_FAIL;
    }
    int rc = a->fn(ix, keep, export_budget(ctx, ix, keep), f);
    if (rc == ATR_ETOOBIG) {
        if (!to_stdout)
            fclose(f);
        budget_error(ctx, ix);
        return ATR_VIEWER_FAIL;
    }
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
    export_args a = {NULL, NULL, NULL, ""};
    atr__target t = {0};
    uint8_t *keep = NULL;
    int st = atr__parse_args(ctx, argc, argv, export_opts, &ops, on_opt, &a);
    if (st == ATR_VIEWER_OK && !a.fn) {
        atr__errorf(ctx, "--format is required (chrome, eliot, jsonl, speedscope or folded)");
        st = ATR_VIEWER_USAGE;
    }
    if (st == ATR_VIEWER_OK && a.value && a.fn != folded_self) {
        atr__errorf(ctx, "--value is for --format folded");
        st = ATR_VIEWER_USAGE;
    }
    if (st == ATR_VIEWER_OK && a.value && strcmp(a.value, "count") == 0)
        a.fn = folded_count;
    if (st == ATR_VIEWER_OK && a.min_duration[0] && atr__operands_add(&ops, a.min_duration) < 0) {
        atr__errorf(ctx, "out of memory");
        st = ATR_VIEWER_FAIL;
    }
    if (st == ATR_VIEWER_OK)
        st = atr__target_open(ctx, &ops, 0, &t);
    if (st == ATR_VIEWER_OK)
        st = select_calls(ctx, &t, &keep);
    if (st == ATR_VIEWER_OK)
        st = write_out(ctx, t.ix, keep, &a);
    free(keep);
    atr__target_close(&t);
    atr__operands_free(&ops);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
