/* Command-line parsing (see opts.h). */
#include "opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argtrace/atr_common.h"
#include "render.h"

void atr__opt_init(atr__optparser *p, atr__vctx *ctx, int argc, char **argv, const atr__opt *opts) {
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->argc = argc;
    p->argv = argv;
    p->i = 1;
    p->opts = opts;
}

static const atr__opt help_opt = {"help", 'h', 0, ATR__OPT_HELP, "-h, --help   show this help"};
static const atr__opt mem_opt = {
    "max-memory", 0, 1, ATR__OPT_MAX_MEMORY,
    "--max-memory SIZE   give up analysing past SIZE of memory (default 4G; 0: no limit)"};
/* Every command also takes --compensate and --raw (they matter to those that load logs). */
static const atr__opt comp_opt = {"compensate", 0, 0, ATR__OPT_COMPENSATE,
                                  "--compensate  subtract the tracer's measured cost per call"};
static const atr__opt raw_opt = {"raw", 0, 0, ATR__OPT_RAW,
                                 "--raw        recorded times (the default)"};

static const atr__opt *find_long(const atr__opt *opts, const char *name, size_t len) {
    for (const atr__opt *o = opts; o && o->name; o++)
        if (strlen(o->name) == len && memcmp(o->name, name, len) == 0)
            return o;
    if (len == 4 && memcmp(name, "help", 4) == 0)
        return &help_opt;
    if (len == 10 && memcmp(name, "max-memory", 10) == 0)
        return &mem_opt;
    if (len == 3 && memcmp(name, "raw", 3) == 0)
        return &raw_opt;
    if (len == 10 && memcmp(name, "compensate", 10) == 0)
        return &comp_opt;
    return NULL;
}

static const atr__opt *find_short(const atr__opt *opts, char c) {
    for (const atr__opt *o = opts; o && o->name; o++)
        if (o->shrt == c)
            return o;
    return c == 'h' ? &help_opt : NULL;
}

int atr__opt_next(atr__optparser *p, const char **arg) {
    *arg = NULL;
    if (p->i >= p->argc)
        return ATR__OPT_END;
    const char *a = p->argv[p->i++];
    if (p->no_more_opts || a[0] != '-' || a[1] == '\0') {
        *arg = a;
        return ATR__OPT_OPERAND;
    }
    if (strcmp(a, "--") == 0) {
        p->no_more_opts = 1;
        return atr__opt_next(p, arg);
    }
    const atr__opt *o;
    const char *val = NULL;
    if (a[1] == '-') {
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        o = find_long(p->opts, name, len);
        if (!o) {
            atr__errorf(p->ctx, "unknown option '%.*s' (see --help)", (int)(len + 2), a);
            return ATR__OPT_ERROR;
        }
        if (eq && !o->has_arg) {
            atr__errorf(p->ctx, "option '--%s' takes no value", o->name);
            return ATR__OPT_ERROR;
        }
        val = eq ? eq + 1 : NULL;
    } else {
        o = find_short(p->opts, a[1]);
        if (!o) {
            atr__errorf(p->ctx, "unknown option '-%c' (see --help)", a[1]);
            return ATR__OPT_ERROR;
        }
        if (a[2] != '\0') {
            if (!o->has_arg) {
                atr__errorf(p->ctx, "unknown option '%s' (see --help)", a);
                return ATR__OPT_ERROR;
            }
            val = a + 2;
        }
    }
    if (o->has_arg && !val) {
        if (p->i >= p->argc) {
            atr__errorf(p->ctx, "option '--%s' needs a value", o->name);
            return ATR__OPT_ERROR;
        }
        val = p->argv[p->i++];
    }
    if (o == &raw_opt || o == &comp_opt) { /* the last one given wins */
        p->ctx->compensate = o == &comp_opt;
        return atr__opt_next(p, arg);
    }
    *arg = val;
    return o->id;
}

static void usage_line(atr__vctx *ctx, const atr__opt *h) {
    /* "SYNTAX  description": align the descriptions */
    const char *gap = strstr(h->help, "  ");
    int left = gap ? (int)(gap - h->help) : (int)strlen(h->help);
    const char *desc = gap ? gap : "";
    while (*desc == ' ')
        desc++;
    char line[512];
    snprintf(line, sizeof line, "  %-28.*s %s", left, h->help, desc);
    atr__fput_hang(ctx->out, line, ctx->width, 31);
}

void atr__opt_usage(atr__vctx *ctx, const atr__opt *opts) {
    const atr__cmd *c = atr__cmd_find(ctx->cmd);
    char line[512];
    snprintf(line, sizeof line, "usage: %s %s %s", ctx->prog, ctx->cmd, c ? c->synopsis : "");
    atr__fput_hang(ctx->out, line, ctx->width, 4);
    if (c) {
        fputc('\n', ctx->out);
        atr__fput_hang(ctx->out, c->summary, ctx->width, 0);
    }
    fprintf(ctx->out, "\noptions:\n");
    for (const atr__opt *o = opts; o && o->name; o++)
        usage_line(ctx, o);
    if (strcmp(ctx->cmd ? ctx->cmd : "", "cat") != 0) /* cat builds no index */
        usage_line(ctx, &mem_opt);
    usage_line(ctx, &comp_opt);
    usage_line(ctx, &raw_opt);
    usage_line(ctx, &help_opt);
}

int atr__parse_size(const char *s, uint64_t *out) {
    static const char units[] = "KMGT";
    char *end;
    if (!s || s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s)
        return -1;
    const char *u = *end ? strchr(units, *end & ~0x20) : NULL;
    if (u) {
        for (const char *k = units; k <= u; k++)
            v *= 1024.0;
        end++;
        if ((*end & ~0x20) == 'I' && (end[1] & ~0x20) == 'B')
            end += 2;
        else if ((*end & ~0x20) == 'B')
            end++;
    } else if ((*end & ~0x20) == 'B') {
        end++;
    }
    if (*end || !(v < 18446744073709551616.0))
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int atr__opt_uint(atr__vctx *ctx, const char *opt, const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    if (!s || s[0] < '0' || s[0] > '9') {
        atr__errorf(ctx, "option '--%s' needs a non-negative integer, not '%s'", opt, s ? s : "");
        return -1;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) {
        atr__errorf(ctx, "option '--%s' needs a non-negative integer, not '%s'", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int atr__opt_width(atr__vctx *ctx, int id, const char *arg) {
    uint64_t v;
    if (id != ATR__OPT_WIDTH && id != ATR__OPT_MAX_VALUE)
        return -1;
    if (atr__opt_uint(ctx, id == ATR__OPT_WIDTH ? "width" : "max-value", arg, &v) < 0)
        return ATR_VIEWER_USAGE;
    if (v > 0 && v < 8) { /* nothing readable fits */
        atr__errorf(ctx, "--%s %s is too narrow (8 columns at least, 0: no limit)",
                    id == ATR__OPT_WIDTH ? "width" : "max-value", arg);
        return ATR_VIEWER_USAGE;
    }
    v = v > 100000 ? 100000 : v;
    if (id == ATR__OPT_WIDTH) {
        ctx->width = (size_t)v;
    } else {
        ctx->max_value = (size_t)v;
        ctx->max_value_set = 1;
    }
    return ATR_VIEWER_OK;
}

size_t atr__value_room(const atr__vctx *ctx) {
    if (ctx->max_value_set)
        return ctx->max_value;
    if (ctx->width == 0)
        return 0;
    size_t w = ctx->width * 2 / 5;
    return w < 24 ? 24 : w;
}

size_t atr__value_room_in(const atr__vctx *ctx, size_t used) {
    size_t room = atr__value_room(ctx);
    if (ctx->max_value_set || ctx->width == 0)
        return room;
    size_t left = ctx->width > used ? (ctx->width - used) * 3 / 5 : 0;
    left = left < 20 ? 20 : left;
    return left < room ? left : room;
}

size_t atr__out_width(FILE *out) {
    const char *cols = getenv("COLUMNS");
    if (cols && cols[0]) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(cols, &end, 10);
        if (!errno && *end == '\0' && v >= 8 && v <= 100000)
            return (size_t)v;
    }
    struct winsize ws;
    if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 8)
        return ws.ws_col;
    return 0;
}

/* A log: "*.atr", a rotated log's later file "*.atr.N", an existing file or directory (the
   logs in it), or a quoted pattern naming logs ('app.atr*'). */
static int is_log_name(const char *a) {
    size_t n = strlen(a);
    if (n > 4 && strcmp(a + n - 4, ".atr") == 0)
        return 1;
    const char *p = strstr(a, ".atr");
    if (p && (p[4] == '.' || strpbrk(p, "*?[")) && strspn(p + 5, "0123456789*?[]") == strlen(p + 5))
        return 1;
    struct stat st;
    return stat(a, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
}

static int push(const char ***arr, int *n, const char *a) {
    const char **p = realloc(*arr, (size_t)(*n + 1) * sizeof *p);
    if (!p)
        return ATR_ENOMEM;
    p[(*n)++] = a;
    *arr = p;
    return 0;
}

/*
 * A filter rather than a function name: it has '=' or '!', or a '<' / '>' that is not part
 * of a Python name such as "f.<locals>.g" or "<lambda>".
 */
static int looks_like_filter(const char *a) {
    if (strpbrk(a, "=!"))
        return 1;
    for (const char *p = a; *p; p++) {
        if (*p == '>')
            return 1;
        if (*p == '<') {
            const char *q = p + 1;
            while ((*q >= 'a' && *q <= 'z') || *q == '_')
                q++;
            if (q == p + 1 || *q != '>')
                return 1;
            p = q;
        }
    }
    return 0;
}

int atr__operands_add(atr__operands *o, const char *arg) {
    if (!o->func && !o->n_filters && is_log_name(arg))
        return push(&o->logs, &o->n_logs, arg);
    /* a comparison is a filter even where FUNC could stand (calls LOG duration>1ms) */
    if (!o->func && !o->n_filters && !looks_like_filter(arg)) {
        o->func = arg;
        return 0;
    }
    return push(&o->filters, &o->n_filters, arg);
}

void atr__operands_free(atr__operands *o) {
    free(o->logs);
    free(o->filters);
    memset(o, 0, sizeof *o);
}

/*
 * One line "prog cmd: kind message": control characters in the message (a file name's
 * newline or escape sequence) are written as \xNN, so that a message stays one line and
 * cannot drive the terminal.
 */
static void vmsg(atr__vctx *ctx, const char *kind, const char *fmt, va_list ap) {
    char small[512], *msg = small;
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small && (msg = malloc((size_t)n + 1)) != NULL)
        vsnprintf(msg, (size_t)n + 1, fmt, aq);
    va_end(aq);
    if (!msg)
        msg = small; /* out of memory: the message cut */
    fprintf(ctx->err, "%s%s%s: %s", ctx->prog, ctx->cmd ? " " : "", ctx->cmd ? ctx->cmd : "", kind);
    for (const unsigned char *p = (const unsigned char *)msg; n > 0 && *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fprintf(ctx->err, "\\x%02x", *p);
        else
            fputc(*p, ctx->err);
    }
    fputc('\n', ctx->err);
    if (msg != small)
        free(msg);
}

void atr__errorf(atr__vctx *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmsg(ctx, "", fmt, ap);
    va_end(ap);
}

void atr__warnf(atr__vctx *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmsg(ctx, "warning: ", fmt, ap);
    va_end(ap);
}

int atr__parse_args(atr__vctx *ctx, int argc, char **argv, const atr__opt *opts, atr__operands *ops,
                    atr__opt_fn on_opt, void *ud) {
    atr__optparser p;
    const char *arg;
    int id;
    atr__opt_init(&p, ctx, argc, argv, opts);
    while ((id = atr__opt_next(&p, &arg)) != ATR__OPT_END) {
        if (id == ATR__OPT_ERROR)
            return ATR_VIEWER_USAGE;
        if (id == ATR__OPT_HELP) {
            atr__opt_usage(ctx, opts);
            return ATR__HELP_SHOWN;
        }
        if (id == ATR__OPT_MAX_MEMORY) {
            if (atr__parse_size(arg, &ctx->max_memory) < 0) {
                atr__errorf(ctx, "option '--max-memory' needs a size such as 512M or 4G, not '%s'",
                            arg);
                return ATR_VIEWER_USAGE;
            }
            continue;
        }
        int st = atr__opt_width(ctx, id, arg);
        if (st == ATR_VIEWER_USAGE)
            return st;
        if (st == ATR_VIEWER_OK)
            continue;
        if (id == ATR__OPT_OPERAND) {
            if (atr__operands_add(ops, arg) < 0) {
                atr__errorf(ctx, "out of memory");
                return ATR_VIEWER_FAIL;
            }
            continue;
        }
        if ((st = on_opt(ctx, ud, id, arg)) != ATR_VIEWER_OK)
            return st;
    }
    return ATR_VIEWER_OK;
}
