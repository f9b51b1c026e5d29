/*
 * Filter parsing: "n>5 mode=strict len(rows)>=1000 duration>10ms exception=ValueError" into
 * a list of conditions (all must hold). The grammar is documented in atr_query.h. Errors
 * are one line naming the 1-based column and what was expected there.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/filter_int.h"

typedef atr__cond cond;

static void cond_free(cond *c) {
    free(c->name);
    free(c->text);
}

void atr_filter_free(atr_filter *f) {
    if (!f)
        return;
    for (uint64_t i = 0; i < f->n; i++)
        cond_free(&f->c[i]);
    free(f->c);
    free(f);
}

/* ---- parsing ---- */

typedef struct parser {
    const char *s;
    size_t pos;
    char *err;
    size_t err_size;
} parser;

static int perr(parser *p, size_t col, const char *fmt, ...) {
    if (p->err && p->err_size) {
        int n = snprintf(p->err, p->err_size, "column %zu: ", col + 1);
        if (n >= 0 && (size_t)n < p->err_size) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->err_size - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return ATR_ESYNTAX;
}

static void skip_ws(parser *p) {
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n')
        p->pos++;
}

static int ident_char(char c) {
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '*' ||
           (unsigned char)c >= 0x80;
}

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int parse_op(parser *p, int *op) {
    const char *s = p->s + p->pos;
    static const struct {
        const char *txt;
        int op;
    } ops[] = {{"!=", OP_NE}, {">=", OP_GE}, {"<=", OP_LE}, {"==", OP_EQ},
               {"=", OP_EQ},  {">", OP_GT},  {"<", OP_LT}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t l = strlen(ops[i].txt);
        if (strncmp(s, ops[i].txt, l) == 0) {
            *op = ops[i].op;
            p->pos += l;
            return 1;
        }
    }
    return 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A value token: quoted string or bare word. Sets c->text/quoted. */
static int parse_value(parser *p, cond *c, const char *after) {
    skip_ws(p);
    size_t start = p->pos;
    char q = p->s[p->pos];
    if (q == '"' || q == '\'') {
        size_t n = strlen(p->s + p->pos);
        char *buf = malloc(n + 1);
        size_t k = 0;
        if (!buf)
            return ATR_ENOMEM;
        p->pos++;
        for (;;) {
            char ch = p->s[p->pos];
            if (ch == '\0') {
                free(buf);
                return perr(p, start, "unterminated string");
            }
            p->pos++;
            if (ch == q)
                break;
            if (ch == '\\') {
                char e = p->s[p->pos++];
                if (e == 'n')
                    ch = '\n';
                else if (e == 't')
                    ch = '\t';
                else if (e == 'x' && hexval(p->s[p->pos]) >= 0 && hexval(p->s[p->pos + 1]) >= 0) {
                    ch = (char)(hexval(p->s[p->pos]) * 16 + hexval(p->s[p->pos + 1]));
                    p->pos += 2;
                } else if (e == '\\' || e == '"' || e == '\'')
                    ch = e;
                else {
                    free(buf);
                    return perr(p, p->pos - 2, "unknown escape in string");
                }
            }
            buf[k++] = ch;
        }
        c->text = buf;
        c->text_len = k;
        c->quoted = 1;
        return 0;
    }
    while (p->s[p->pos] && p->s[p->pos] != ' ' && p->s[p->pos] != '\t' && p->s[p->pos] != ',' &&
           p->s[p->pos] != '\n')
        p->pos++;
    if (p->pos == start)
        return perr(p, start, "expected a value after '%s'", after);
    c->text = dup_n(p->s + start, p->pos - start);
    if (!c->text)
        return ATR_ENOMEM;
    c->text_len = p->pos - start;
    return 0;
}

/* Number forms of a bare literal. */
static void literal_number(cond *c) {
    const char *t = c->text;
    char *end;
    if (c->quoted || c->text_len == 0)
        return;
    if (strcmp(t, "None") == 0) {
        c->is_none = 1;
        return;
    }
    /* Python's spelling and the shell-friendly lower case */
    if (strcmp(t, "True") == 0 || strcmp(t, "False") == 0 || strcmp(t, "true") == 0 ||
        strcmp(t, "false") == 0) {
        c->is_bool = 1;
        c->has_num = c->is_int = 1;
        c->inum = t[0] == 'T' || t[0] == 't';
        c->num = (double)c->inum;
        return;
    }
    errno = 0;
    long long ll = strtoll(t, &end, 0);
    if (*end == '\0' && errno == 0) {
        c->has_num = c->is_int = 1;
        c->inum = ll;
        c->num = (double)ll;
        return;
    }
    double d = strtod(t, &end);
    if (*end == '\0' && end != t) {
        c->has_num = 1;
        c->num = d;
    }
}

/*
 * A time with unit: "10ms", "1.5s", "250us", "250µs", "100ns". A bare number other than 0
 * is an error: "duration>10" could mean any unit.
 */
static int parse_time(parser *p, cond *c, size_t col) {
    char *end;
    errno = 0;
    double d = strtod(c->text, &end);
    if (end == c->text || errno || !(d >= 0))
        return perr(p, col, "bad time '%s' (a number with unit ns, us, ms or s)", c->text);
    double mul;
    if (*end == '\0' && d != 0)
        return perr(p, col, "a duration needs a unit (ns, us, ms, s): %sms or %sus, not %s",
                    c->text, c->text, c->text);
    if (*end == '\0' || strcmp(end, "ns") == 0)
        mul = 1;
    else if (strcmp(end, "us") == 0 || strcmp(end, "\xc2\xb5s") == 0)
        mul = 1e3;
    else if (strcmp(end, "ms") == 0)
        mul = 1e6;
    else if (strcmp(end, "s") == 0)
        mul = 1e9;
    else
        return perr(p, col + (size_t)(end - c->text),
                    "unknown time unit '%s' (use ns, us, ms or s)", end);
    c->has_num = 1;
    c->num = d * mul;
    return 0;
}

static const char *op_text(int op) {
    static const char *t[] = {"=", "!=", ">", "<", ">=", "<="};
    return op <= OP_LE ? t[op] : "";
}

static int parse_cond(parser *p, cond *c) {
    size_t col = p->pos;
    int neg = 0;
    if (p->s[p->pos] == '!') {
        neg = 1;
        p->pos++;
    }
    size_t a = p->pos;
    while (ident_char(p->s[p->pos]))
        p->pos++;
    if (p->pos == a)
        return perr(p, a, "expected an argument name, len(NAME), duration or exception");
    const char *id = p->s + a;
    size_t n = p->pos - a;
#define IS(w) (n == strlen(w) && strncmp(id, w, n) == 0)
    if ((IS("len") || IS("type")) && p->s[p->pos] == '(') {
        c->target = IS("len") ? T_LEN : T_TYPE;
        p->pos++;
        skip_ws(p);
        size_t b = p->pos;
        while (ident_char(p->s[p->pos]))
            p->pos++;
        if (p->pos == b)
            return perr(p, b, "expected an argument name inside '%.*s('", (int)n, id);
        c->name = dup_n(p->s + b, p->pos - b);
        c->name_len = p->pos - b;
        skip_ws(p);
        if (p->s[p->pos] != ')')
            return perr(p, p->pos, "expected ')'");
        p->pos++;
    } else if (IS("duration") || IS("self")) {
        c->target = IS("duration") ? T_DURATION : T_SELF;
    } else if (IS("exception")) {
        c->target = T_EXC;
    } else if (IS("unfinished")) {
        c->target = T_UNFINISHED;
    } else if (IS("result")) {
        c->target = T_RESULT;
    } else {
        c->target = T_ARG;
        if (n > 4 && strncmp(id, "arg.", 4) == 0) {
            id += 4;
            n -= 4;
        }
        c->name = dup_n(id, n);
        c->name_len = n;
    }
#undef IS
    if ((c->target == T_ARG || c->target == T_LEN || c->target == T_TYPE) && !c->name)
        return ATR_ENOMEM;
    if (neg && c->target != T_EXC && c->target != T_UNFINISHED)
        return perr(p, col, "'!' goes only before exception or unfinished");
    size_t save = p->pos;
    skip_ws(p);
    size_t opcol = p->pos;
    if (!parse_op(p, &c->op)) {
        if (c->target == T_EXC || c->target == T_UNFINISHED) {
            p->pos = save;
            c->op = neg ? OP_FALSE : OP_TRUE;
            return 0;
        }
        if (p->s[p->pos] == '\0')
            return perr(p, opcol, "expected an operator (= != > < >= <=) after '%.*s'",
                        (int)(p->pos - col), p->s + col);
        return perr(p, opcol, "expected an operator (= != > < >= <=), got '%c'", p->s[p->pos]);
    }
    if (neg)
        return perr(p, col, "'!exception' takes no value (use exception!=TYPE)");
    if (c->target == T_UNFINISHED)
        return perr(p, opcol, "unfinished takes no value");
    if ((c->target == T_EXC || c->target == T_TYPE) && c->op != OP_EQ && c->op != OP_NE)
        return perr(p, opcol, "only = and != apply to %s",
                    c->target == T_EXC ? "exception" : "type()");
    size_t vcol = p->pos;
    int rc = parse_value(p, c, op_text(c->op));
    if (rc)
        return rc;
    while (vcol < p->pos && p->s[vcol] == ' ')
        vcol++;
    if (c->target == T_DURATION || c->target == T_SELF)
        return c->quoted ? perr(p, vcol, "a time is not quoted") : parse_time(p, c, vcol);
    literal_number(c);
    if (c->target == T_LEN && !(c->has_num && c->is_int))
        return perr(p, vcol, "len() compares with an integer, got '%s'", c->text);
    return 0;
}

int atr_filter_add(atr_filter *f, const char *expr, char *err, size_t err_size) {
    if (!f || !expr)
        return ATR_EINVAL;
    if (err && err_size)
        err[0] = '\0';
    parser p = {expr, 0, err, err_size};
    uint64_t n0 = f->n;
    int rc = 0;
    for (;;) {
        while (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == ',' || p.s[p.pos] == '\n')
            p.pos++;
        if (!p.s[p.pos])
            break;
        if ((rc = atr__grow((void **)&f->c, &f->cap, f->n + 1, sizeof(cond))) != 0)
            break;
        cond *c = &f->c[f->n];
        memset(c, 0, sizeof(*c));
        rc = parse_cond(&p, c);
        if (rc) {
            cond_free(c);
            break;
        }
        f->n++;
        char nx = p.s[p.pos];
        if (nx && nx != ' ' && nx != '\t' && nx != ',' && nx != '\n') {
            rc = perr(&p, p.pos, "unexpected '%c'", nx);
            break;
        }
    }
    if (rc) {
        while (f->n > n0)
            cond_free(&f->c[--f->n]);
        if (rc == ATR_ENOMEM && err && err_size)
            snprintf(err, err_size, "out of memory");
    }
    return rc;
}

int atr_filter_parse(const char *expr, atr_filter **out, char *err, size_t err_size) {
    if (!out || !expr)
        return ATR_EINVAL;
    *out = NULL;
    atr_filter *f = calloc(1, sizeof(*f));
    if (!f)
        return ATR_ENOMEM;
    int rc = atr_filter_add(f, expr, err, err_size);
    if (rc) {
        atr_filter_free(f);
        return rc;
    }
    *out = f;
    return 0;
}
