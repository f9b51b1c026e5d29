/*
 * `report LOG... [--base LOG...] [-o OUT]`: one self-contained HTML page (no network: the
 * CSS and script of viewer/report/ are inlined) with the summary, the argument analysis of
 * the slowest functions, flame graphs, the `why` of the slowest call and, with --base, the
 * diff against a base run. The data is one JSON object (report_data.c) inside a
 * <script type="application/json"> element; '<', '>' and '&' in it are written as \u
 * escapes so no text of a log can close that element, and the page's script shows every
 * string through textContent, never as markup.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "load.h"
#include "opts.h"
#include "report.h"

enum { OPT_OUT = 1, OPT_BASE, OPT_NEW, OPT_TOP, OPT_POINTS, OPT_JSON, OPT_TITLE };
static const atr__opt report_opts[] = {
    {"output", 'o', 1, OPT_OUT,
     "-o, --output OUT  the file written (default report.html; -: stdout)"},
    {"base", 0, 0, OPT_BASE, "--base LOG...  the logs that follow: a base run to diff against"},
    {"new", 0, 0, OPT_NEW, "--new LOG...   the logs that follow: the run shown (default)"},
    {"top", 'n', 1, OPT_TOP, "-n, --top N  functions analysed, by total time (default 5)"},
    {"points", 0, 1, OPT_POINTS, "--points N   calls drawn per argument group (default 300)"},
    {"title", 0, 1, OPT_TITLE, "--title TEXT  the page's title (default: the logs' names)"},
    {"json", 0, 0, OPT_JSON, "--json       the page's data (JSON), to stdout unless -o"},
    {NULL, 0, 0, 0, NULL},
};

typedef struct report_args {
    const char *out, *title;
    int json;
    atr__report_cfg cfg;
    const char **logs, **base; /* operands of each run (borrowed from argv) */
    int n_logs, n_base;
} report_args;

static int parse(atr__vctx *ctx, int argc, char **argv, report_args *a) {
    atr__optparser p;
    const char *arg;
    int id, to_base = 0;
    atr__opt_init(&p, ctx, argc, argv, report_opts);
    while ((id = atr__opt_next(&p, &arg)) != ATR__OPT_END) {
        if (id == ATR__OPT_ERROR)
            return ATR_VIEWER_USAGE;
        if (id == ATR__OPT_HELP) {
            atr__opt_usage(ctx, report_opts);
            return ATR__HELP_SHOWN;
        }
        if (id == ATR__OPT_OPERAND) {
            if (to_base)
                a->base[a->n_base++] = arg;
            else
                a->logs[a->n_logs++] = arg;
        } else if (id == OPT_BASE || id == OPT_NEW) {
            to_base = id == OPT_BASE;
        } else if (id == OPT_OUT) {
            a->out = arg;
        } else if (id == OPT_TITLE) {
            a->title = arg;
        } else if (id == OPT_JSON) {
            a->json = 1;
        } else if (id == OPT_TOP && atr__opt_uint(ctx, "top", arg, &a->cfg.top) < 0) {
            return ATR_VIEWER_USAGE;
        } else if (id == OPT_POINTS && atr__opt_uint(ctx, "points", arg, &a->cfg.points) < 0) {
            return ATR_VIEWER_USAGE;
        }
    }
    if (a->n_logs == 0) {
        atr__errorf(ctx, a->n_base ? "no log for the run shown (--new LOG...)"
                                   : "no log given (see --help)");
        return ATR_VIEWER_USAGE;
    }
    for (int i = 0; i < a->n_base; i++)
        for (int k = 0; k < a->n_logs; k++)
            if (strcmp(a->base[i], a->logs[k]) == 0) {
                atr__errorf(ctx, "%s is in both runs: --base wants the logs of another run",
                            a->base[i]);
                return ATR_VIEWER_USAGE;
            }
    return ATR_VIEWER_OK;
}

/* Write `n` bytes of JSON inside <script>: <, >, & as \u escapes (they only occur in
   strings, where the escape means the same character). */
static void put_script_json(FILE *f, const char *p, size_t n) {
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '<' && p[i] != '>' && p[i] != '&')
            continue;
        fwrite(p + from, 1, i - from, f);
        fprintf(f, "\\u%04x", (unsigned)p[i]);
        from = i + 1;
    }
    fwrite(p + from, 1, n - from, f);
}

/* Text as HTML character data: & < > " escaped. */
static void put_html_text(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* The template with its @CSS@, @JS@, @DATA@ and @TITLE@ tokens filled in. */
static void put_page(FILE *f, const report_args *a, const char *data, size_t n) {
    const char *t = (const char *)atr__report_html, *end = t + atr__report_html_len;
    while (t < end) {
        const char *at = memchr(t, '@', (size_t)(end - t));
        if (!at) {
            fwrite(t, 1, (size_t)(end - t), f);
            break;
        }
        fwrite(t, 1, (size_t)(at - t), f);
        size_t left = (size_t)(end - at);
        if (left >= 5 && memcmp(at, "@CSS@", 5) == 0) {
            fwrite(atr__report_css, 1, atr__report_css_len, f);
            t = at + 5;
        } else if (left >= 4 && memcmp(at, "@JS@", 4) == 0) {
            fwrite(atr__report_js, 1, atr__report_js_len, f);
            t = at + 4;
        } else if (left >= 6 && memcmp(at, "@DATA@", 6) == 0) {
            put_script_json(f, data, n);
            t = at + 6;
        } else if (left >= 7 && memcmp(at, "@TITLE@", 7) == 0) {
            if (a->title) {
                put_html_text(f, a->title);
            } else {
                fputs("argtrace report: ", f);
                for (int i = 0; i < a->n_logs; i++) {
                    put_html_text(f, base_name(a->logs[i]));
                    fputs(i + 1 < a->n_logs ? ", " : "", f);
                }
            }
            t = at + 7;
        } else {
            fputc('@', f);
            t = at + 1;
        }
    }
}

/* The data object into a memory buffer (*data, *n; free *data). */
static int gather(atr__vctx *ctx, const report_args *a, const atr_index *ix, const atr_index *dix,
                  char **data, size_t *n) {
    FILE *mem = open_memstream(data, n);
    if (!mem) {
        atr__errorf(ctx, "out of memory");
        return ATR_VIEWER_FAIL;
    }
    atr__json j;
    atr__json_init(&j, mem, a->json ? 3 : 0);
    int rc = atr__report_json(&j, ix, dix, (uint32_t)a->n_base, &a->cfg);
    atr__json_end_line(&j);
    if (fclose(mem) != 0 || rc < 0) {
        atr__errorf(ctx, "out of memory");
        return ATR_VIEWER_FAIL;
    }
    return ATR_VIEWER_OK;
}

/* 1 if `out` is one of the logs (writing it would destroy the log). */
static int is_a_log(const report_args *a, const char *out) {
    struct stat so, sl;
    if (stat(out, &so) != 0)
        return 0;
    for (int i = 0; i < a->n_logs + a->n_base; i++) {
        const char *log = i < a->n_logs ? a->logs[i] : a->base[i - a->n_logs];
        if (stat(log, &sl) == 0 && sl.st_dev == so.st_dev && sl.st_ino == so.st_ino)
            return 1;
    }
    return 0;
}

static int write_out(atr__vctx *ctx, const report_args *a, const char *data, size_t n) {
    int to_stdout = strcmp(a->out, "-") == 0;
    if (!to_stdout && is_a_log(a, a->out)) {
        atr__errorf(ctx, "%s is a log given to read: the report goes elsewhere (-o OUT)", a->out);
        return ATR_VIEWER_USAGE;
    }
    FILE *f = to_stdout ? ctx->out : fopen(a->out, "w");
    if (!f) {
        atr__errorf(ctx, "%s: %s", a->out, strerror(errno));
        return ATR_VIEWER_FAIL;
    }
    if (a->json)
        fwrite(data, 1, n, f);
    else
        put_page(f, a, data, n);
    if (to_stdout)
        return ATR_VIEWER_OK; /* main.c checks and reports errors on ctx->out */
    long size = ftell(f);
    if (fflush(f) != 0 || ferror(f)) {
        atr__errorf(ctx, "%s: cannot write: %s", a->out, strerror(errno));
        fclose(f);
        return ATR_VIEWER_FAIL;
    }
    if (fclose(f) != 0) {
        atr__errorf(ctx, "%s: cannot write: %s", a->out, strerror(errno));
        return ATR_VIEWER_FAIL;
    }
    fprintf(ctx->err, "%s %s: wrote %s (%ld KiB): open it in a browser\n", ctx->prog, ctx->cmd,
            a->out, size < 0 ? 0 : (size + 1023) / 1024);
    return ATR_VIEWER_OK;
}

int atr__cmd_report(atr__vctx *ctx, int argc, char **argv) {
    report_args a = {NULL, NULL, 0, {5, 300, 5, 500, 3000, NULL, NULL, 0, 0}, NULL, NULL, 0, 0};
    atr_index *ix = NULL, *dix = NULL;
    char *data = NULL;
    size_t n = 0;
    a.logs = calloc((size_t)argc + 1, sizeof *a.logs);
    a.base = calloc((size_t)argc + 1, sizeof *a.base);
    int st = a.logs && a.base ? parse(ctx, argc, argv, &a) : ATR_VIEWER_FAIL;
    if (!a.logs || !a.base)
        atr__errorf(ctx, "out of memory");
    if (!a.out)
        a.out = a.json ? "-" : "report.html";
    a.cfg.logs = a.logs, a.cfg.n_logs = a.n_logs;
    a.cfg.base_logs = a.base, a.cfg.n_base_logs = a.n_base;
    if (st == ATR_VIEWER_OK)
        st = atr__load_logs(ctx, a.logs, a.n_logs, &ix);
    if (st == ATR_VIEWER_OK && a.n_base > 0) {
        const char **both = calloc((size_t)(a.n_base + a.n_logs), sizeof *both);
        if (!both) {
            atr__errorf(ctx, "out of memory");
            st = ATR_VIEWER_FAIL;
        } else {
            memcpy(both, a.base, (size_t)a.n_base * sizeof *both);
            memcpy(both + a.n_base, a.logs, (size_t)a.n_logs * sizeof *both);
            st = atr__load_logs(ctx, both, a.n_base + a.n_logs, &dix);
            free(both);
        }
    }
    if (st == ATR_VIEWER_OK)
        st = gather(ctx, &a, ix, dix, &data, &n);
    if (st == ATR_VIEWER_OK)
        st = write_out(ctx, &a, data, n);
    free(data);
    atr_index_free(dix);
    atr_index_free(ix);
    free(a.logs);
    free(a.base);
    return st == ATR__HELP_SHOWN ? ATR_VIEWER_OK : st;
}
