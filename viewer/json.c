/* JSON writer (see json.h). */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void atr__json_init(atr__json *j, FILE *out, int nl_depth) {
    memset(j, 0, sizeof *j);
    j->out = out;
    j->nl_depth = nl_depth;
    j->first[0] = 1;
}

static void newline_indent(atr__json *j, int depth) {
    fputc('\n', j->out);
    for (int i = 0; i < depth; i++)
        fputs("  ", j->out);
}

/* Separator and layout before a value or key at the current depth. */
static void before_item(atr__json *j) {
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth == 0)
        return;
    if (!j->first[j->depth])
        fputc(',', j->out);
    j->first[j->depth] = 0;
    if (j->depth <= j->nl_depth)
        newline_indent(j, j->depth);
}

static void open_c(atr__json *j, char c) {
    before_item(j);
    fputc(c, j->out);
    if (j->depth + 1 < ATR__JSON_MAX_DEPTH)
        j->depth++;
    j->first[j->depth] = 1;
}

static void close_c(atr__json *j, char c) {
    int empty = j->first[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (!empty && j->depth + 1 <= j->nl_depth)
        newline_indent(j, j->depth);
    fputc(c, j->out);
}

void atr__json_obj_begin(atr__json *j) { open_c(j, '{'); }
void atr__json_obj_end(atr__json *j) { close_c(j, '}'); }
void atr__json_arr_begin(atr__json *j) { open_c(j, '['); }
void atr__json_arr_end(atr__json *j) { close_c(j, ']'); }

static void write_string(FILE *out, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            size_t run = i + 1;
            while (run < n && p[run] >= 0x20 && p[run] < 0x7F && p[run] != '"' && p[run] != '\\')
                run++;
            fwrite(p + i, 1, run - i, out);
            i = run;
            continue;
        }
        switch (c) {
        case '"':
            fputs("\\\"", out), i++;
            continue;
        case '\\':
            fputs("\\\\", out), i++;
            continue;
        case '\n':
            fputs("\\n", out), i++;
            continue;
        case '\t':
            fputs("\\t", out), i++;
            continue;
        case '\r':
            fputs("\\r", out), i++;
            continue;
        default:
            break;
        }
        if (c < 0x80) {
            fprintf(out, "\\u%04x", c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = atr__utf8_seq(p + i, n - i, &cp);
        if (len == 0) {
            fputs("\\ufffd", out);
            i++;
        } else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
                   (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
            fprintf(out, "\\u%04" PRIx32, cp);
            i += len;
        } else {
            fwrite(p + i, 1, len, out);
            i += len;
        }
    }
    fputc('"', out);
}

void atr__json_key(atr__json *j, const char *key) { atr__json_keyn(j, key, strlen(key)); }

void atr__json_keyn(atr__json *j, const char *key, size_t n) {
    before_item(j);
    write_string(j->out, key, n);
    fputs(j->depth <= j->nl_depth ? ": " : ":", j->out);
    j->after_key = 1;
}

void atr__json_str(atr__json *j, const char *p, size_t n) {
    before_item(j);
    write_string(j->out, p ? p : "", p ? n : 0);
}

void atr__json_cstr(atr__json *j, const char *s) { atr__json_str(j, s, s ? strlen(s) : 0); }

void atr__json_int(atr__json *j, int64_t v) {
    before_item(j);
    fprintf(j->out, "%" PRId64, v);
}

void atr__json_uint(atr__json *j, uint64_t v) {
    before_item(j);
    fprintf(j->out, "%" PRIu64, v);
}

void atr__json_double(atr__json *j, double v) {
    before_item(j);
    if (isnan(v) || isinf(v)) {
        fputs("null", j->out);
        return;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, j->out);
    if (!strpbrk(buf, ".eE"))
        fputs(".0", j->out);
}

void atr__json_bool(atr__json *j, int v) {
    before_item(j);
    fputs(v ? "true" : "false", j->out);
}

void atr__json_null(atr__json *j) {
    before_item(j);
    fputs("null", j->out);
}

void atr__json_raw(atr__json *j, const char *number) {
    before_item(j);
    fputs(number, j->out);
}

void atr__json_fixed(atr__json *j, uint64_t ns, uint64_t unit_ns, int decimals) {
    uint64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    before_item(j);
    fprintf(j->out, "%" PRIu64 ".%0*" PRIu64, ns / unit_ns, decimals,
            (ns % unit_ns) * scale / unit_ns);
}

void atr__json_end_line(atr__json *j) { fputc('\n', j->out); }

void atr__json_kstr(atr__json *j, const char *key, const char *s) {
    atr__json_key(j, key);
    atr__json_cstr(j, s);
}

void atr__json_kint(atr__json *j, const char *key, int64_t v) {
    atr__json_key(j, key);
    atr__json_int(j, v);
}

void atr__json_kuint(atr__json *j, const char *key, uint64_t v) {
    atr__json_key(j, key);
    atr__json_uint(j, v);
}

static void json_hex(atr__json *j, const char *key, const char *p, size_t n) {
    static const char hex[] = "0123456789abcdef";
    atr__json_key(j, key);
    before_item(j);
    fputc('"', j->out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        fputc(hex[c >> 4], j->out);
        fputc(hex[c & 15], j->out);
    }
    fputc('"', j->out);
}

static int digits_ok(const char *p, size_t n) {
    size_t i = (n > 0 && p[0] == '-') ? 1 : 0;
    if (i >= n || n > 4096)
        return 0;
    for (; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

static void json_value_depth(atr__json *j, const atr_value *v, int depth) {
    switch (v->kind) {
    case ATR_V_NIL:
        atr__json_null(j);
        return;
    case ATR_V_BOOL:
        atr__json_bool(j, v->u.b);
        return;
    case ATR_V_INT:
        atr__json_int(j, v->u.i);
        return;
    case ATR_V_UINT:
        atr__json_uint(j, v->u.u);
        return;
    case ATR_V_FLOAT:
        if (!isnan(v->u.f) && !isinf(v->u.f)) {
            atr__json_double(j, v->u.f);
            return;
        }
        break;
    case ATR_V_STR:
        if (v->u.s.true_len <= v->u.s.len) {
            atr__json_str(j, v->u.s.ptr, v->u.s.len);
            return;
        }
        break;
    case ATR_V_BIGINT:
        if (digits_ok(v->u.s.ptr, v->u.s.len)) {
            before_item(j);
            fwrite(v->u.s.ptr, 1, v->u.s.len, j->out);
            return;
        }
        break;
    default:
        break;
    }
    atr__json_obj_begin(j);
    switch (v->kind) {
    case ATR_V_FLOAT:
        atr__json_kstr(j, "kind", "float");
        atr__json_kstr(j, "text", isnan(v->u.f) ? "nan" : v->u.f < 0 ? "-inf" : "inf");
        break;
    case ATR_V_STR:
    case ATR_V_REPR:
        atr__json_kstr(j, "kind", v->kind == ATR_V_STR ? "truncated_str" : "repr");
        atr__json_key(j, "text");
        atr__json_str(j, v->u.s.ptr, v->u.s.len);
        atr__json_kuint(j, "true_len", v->u.s.true_len);
        break;
    case ATR_V_BYTES:
        atr__json_kstr(j, "kind", "bytes");
        json_hex(j, "hex", v->u.s.ptr, v->u.s.len);
        atr__json_kuint(j, "true_len", v->u.s.true_len);
        break;
    case ATR_V_SUMMARY: {
        const char *key;
        size_t key_len;
        if (atr_value_entry_key(v, &key, &key_len) && depth < 8) { /* a summarizer's entry */
            atr__json_kstr(j, "kind", "entry");
            atr__json_key(j, "key");
            atr__json_str(j, key, key_len);
            atr__json_key(j, "value");
            json_value_depth(j, &v->u.sum.items[0], depth + 1);
            break;
        }
        atr__json_kstr(j, "kind", "summary");
        atr__json_key(j, "type");
        atr__json_str(j, v->u.sum.type, v->u.sum.type_len);
        atr__json_key(j, "length");
        if (v->u.sum.length >= 0)
            atr__json_int(j, v->u.sum.length);
        else
            atr__json_null(j);
        atr__json_key(j, "items");
        atr__json_arr_begin(j);
        for (uint32_t i = 0; i < v->n_items && depth < 8; i++)
            json_value_depth(j, &v->u.sum.items[i], depth + 1);
        atr__json_arr_end(j);
        break;
    }
    case ATR_V_REDACTED:
        atr__json_kstr(j, "kind", "redacted");
        break;
    case ATR_V_BIGINT:
        atr__json_kstr(j, "kind", "bigint");
        atr__json_key(j, "text");
        atr__json_str(j, v->u.s.ptr, v->u.s.len);
        break;
    case ATR_V_ERROR:
        atr__json_kstr(j, "kind", "capture_error");
        atr__json_key(j, "type");
        atr__json_str(j, v->u.s.ptr, v->u.s.len);
        break;
    default:
        atr__json_kstr(j, "kind", "unknown");
        json_hex(j, "hex", v->u.s.ptr, v->u.s.len);
        break;
    }
    atr__json_obj_end(j);
}

void atr__json_value(atr__json *j, const atr_value *v) { json_value_depth(j, v, 0); }
