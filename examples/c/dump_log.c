/*
 * dump_log: print every record of an argtrace log, one per line, with the reader API.
 *
 *     dump_log LOG
 *
 * Times are shown relative to the session clock at open (the PROCESS record), in µs.
 * Strings from the log are printed with control characters and non-ASCII bytes escaped.
 * Exit status: 0 for a complete or truncated log (the tail is reported), 1 for an error.
 */
#include <argtrace/atr.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Function names by id, copied: record pointers only live until the next record. */
struct names {
    char **name; /* owned; NULL where no function has that id */
    uint32_t cap;
};

static void names_free(struct names *n) {
    uint32_t i;
    for (i = 0; i < n->cap; i++)
        free(n->name[i]);
    free(n->name);
}

static int names_set(struct names *n, uint32_t id, atr_str module, atr_str qualname) {
    char *s;
    if (id >= (1u << 24))
        return 0; /* a log can name any id: keep the table small, show such ids as "?" */
    if (id >= n->cap) {
        uint32_t cap = id < 16 ? 32 : id * 2;
        char **grown = realloc(n->name, cap * sizeof *grown);
        if (!grown)
            return -1;
        memset(grown + n->cap, 0, (cap - n->cap) * sizeof *grown);
        n->name = grown;
        n->cap = cap;
    }
    s = malloc(module.len + qualname.len + 2);
    if (!s)
        return -1;
    memcpy(s, module.ptr, module.len);
    s[module.len] = '.';
    memcpy(s + module.len + 1, qualname.ptr, qualname.len);
    s[module.len + 1 + qualname.len] = '\0';
    free(n->name[id]);
    n->name[id] = s;
    return 0;
}

/* Bytes with printable ASCII as is and everything else escaped, quoted if `quote`. */
static void put_escaped_q(const char *p, size_t len, int quote) {
    size_t i;
    if (quote)
        putchar('\'');
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\'' || c == '\\')
            printf("\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            putchar(c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else
            printf("\\x%02x", c);
    }
    if (quote)
        putchar('\'');
}

static void put_escaped(const char *p, size_t len) { put_escaped_q(p, len, 1); }

/* Print the name of function `id` (escaped: names come from the log). */
static void put_name(const struct names *n, uint32_t id) {
    const char *name = id < n->cap && n->name[id] ? n->name[id] : "?";
    put_escaped_q(name, strlen(name), 0);
}

static void put_str(atr_str s) { put_escaped(s.ptr, s.len); }

static void put_value(const atr_value *v, int depth) {
    uint32_t i;
    switch (v->kind) {
    case ATR_V_NIL:
        fputs("None", stdout);
        break;
    case ATR_V_BOOL:
        fputs(v->u.b ? "True" : "False", stdout);
        break;
    case ATR_V_INT:
        printf("%" PRId64, v->u.i);
        break;
    case ATR_V_UINT:
        printf("%" PRIu64, v->u.u);
        break;
    case ATR_V_FLOAT:
        printf("%.17g", v->u.f);
        break;
    case ATR_V_STR:
    case ATR_V_REPR:
        if (v->kind == ATR_V_REPR)
            fputs("repr:", stdout);
        put_escaped(v->u.s.ptr, v->u.s.len);
        if (v->u.s.true_len > v->u.s.len)
            printf("...(%" PRIu64 " bytes)", v->u.s.true_len);
        break;
    case ATR_V_BYTES:
        putchar('b');
        put_escaped(v->u.s.ptr, v->u.s.len);
        if (v->u.s.true_len > v->u.s.len)
            printf("...(%" PRIu64 " bytes)", v->u.s.true_len);
        break;
    case ATR_V_SUMMARY:
        put_escaped_q(v->u.sum.type, v->u.sum.type_len, 0);
        if (v->u.sum.length >= 0)
            printf("[len %" PRId64 "]", v->u.sum.length);
        if (v->n_items > 0 && depth < 4) {
            fputs("(", stdout);
            for (i = 0; i < v->n_items; i++) {
                if (i)
                    fputs(", ", stdout);
                put_value(&v->u.sum.items[i], depth + 1);
            }
            fputs(", ...)", stdout);
        }
        break;
    case ATR_V_REDACTED:
        fputs("<redacted>", stdout);
        break;
    case ATR_V_BIGINT:
        put_escaped_q(v->u.s.ptr, v->u.s.len, 0);
        break;
    case ATR_V_ERROR:
        fputs("<capture error: ", stdout);
        put_escaped(v->u.s.ptr, v->u.s.len);
        fputs(">", stdout);
        break;
    default:
        printf("<unknown value kind %" PRIu32 ">", v->kind);
        break;
    }
}

static void put_fields(const atr_field *f, uint32_t n) {
    uint32_t i;
    for (i = 0; i < n; i++) {
        fputs(i ? ", " : " {", stdout);
        put_escaped_q(f[i].name.ptr, f[i].name.len, 0);
        putchar('=');
        put_value(&f[i].value, 0);
    }
    if (n)
        putchar('}');
}

/* A span id as thread:sequence (docs/FORMAT.md 3.5). */
static void put_span(const char *label, uint64_t id) {
    if (id == 0)
        printf(" %s=-", label);
    else
        printf(" %s=%" PRIu32 ":%" PRIu64, label, atr_span_thread(id), atr_span_seq(id));
}

static void put_record(const atr_record *r, const struct names *names, uint64_t t0) {
    uint32_t i;
    double us = (double)(int64_t)(r->time_ns - t0) / 1e3;
    switch (r->kind) {
    case ATR_REC_PROCESS:
        printf("PROCESS format %" PRIu32 ".%" PRIu32 " pid %" PRId64 " runtime ",
               r->u.process.format_major, r->u.process.format_minor, r->u.process.pid);
        put_str(r->u.process.runtime);
        fputs(" tool ", stdout);
        put_str(r->u.process.tool);
        fputs(" argv", stdout);
        for (i = 0; i < r->u.process.argc; i++) {
            putchar(' ');
            put_str(r->u.process.argv[i]);
        }
        break;
    case ATR_REC_FUNCTION:
        printf("FUNCTION %" PRIu32 " ", r->u.function.id);
        put_name(names, r->u.function.id);
        putchar('(');
        for (i = 0; i < r->u.function.n_params; i++) {
            if (i)
                fputs(", ", stdout);
            put_escaped_q(r->u.function.params[i].ptr, r->u.function.params[i].len, 0);
        }
        printf(") flags 0x%" PRIx32 " line %" PRIu32, r->u.function.flags, r->u.function.line);
        break;
    case ATR_REC_THREAD:
        printf("THREAD %" PRIu32 " os_tid %" PRIu64 " name ", r->thread, r->u.thread.os_tid);
        put_str(r->u.thread.name);
        break;
    case ATR_REC_START:
        printf("%12.3f us  T%" PRIu32 " START", us, r->thread);
        put_span("span", r->u.start.span);
        put_span("parent", r->u.start.parent);
        putchar(' ');
        put_name(names, r->u.start.function);
        putchar('(');
        for (i = 0; i < r->u.start.n_args; i++) {
            if (i)
                fputs(", ", stdout);
            put_value(&r->u.start.args[i], 0);
        }
        putchar(')');
        put_fields(r->u.start.fields, r->u.start.n_fields);
        break;
    case ATR_REC_END:
        printf("%12.3f us  T%" PRIu32 " END  ", us, r->thread);
        put_span("span", r->u.end.span);
        if (r->u.end.status == ATR_END_RETURN) {
            fputs(" returned ", stdout);
            put_value(&r->u.end.value, 0);
        } else if (r->u.end.status == ATR_END_RAISE) {
            fputs(" raised ", stdout);
            put_str(r->u.end.exc_type);
            fputs(": ", stdout);
            put_value(&r->u.end.value, 0);
        } else {
            fputs(" returned (result not captured)", stdout);
        }
        break;
    case ATR_REC_MESSAGE:
        printf("%12.3f us  T%" PRIu32 " MESSAGE", us, r->thread);
        put_span("span", r->u.message.span);
        putchar(' ');
        put_str(r->u.message.text);
        put_fields(r->u.message.fields, r->u.message.n_fields);
        break;
    case ATR_REC_SYNC:
        printf("SYNC T%" PRIu32 " dropped %" PRIu64 " last_seq %" PRIu64, r->thread,
               r->u.sync.dropped, r->u.sync.last_seq);
        break;
    case ATR_REC_DROPS:
        printf("DROPS records %" PRIu64 " bytes %" PRIu64 " oversize %" PRIu64
               " capture_errors %" PRIu64 " write_errors %" PRIu64,
               r->u.drops.records, r->u.drops.bytes, r->u.drops.oversize, r->u.drops.capture_errors,
               r->u.drops.write_errors);
        break;
    case ATR_REC_END_OF_LOG:
        printf("%12.3f us  END_OF_LOG", us);
        break;
    default:
        printf("record kind %" PRIu32, r->kind);
        break;
    }
    putchar('\n');
}

int main(int argc, char **argv) {
    atr_reader *r = NULL;
    atr_record rec;
    struct names names = {NULL, 0};
    uint64_t t0 = 0, n = 0;
    int err, status = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: dump_log LOG\n");
        return 2;
    }
    if ((err = atr_reader_open(argv[1], &r)) != 0) {
        fprintf(stderr, "dump_log: %s: %s\n", argv[1], atr_strerror(err));
        return 1;
    }
    while ((err = atr_reader_next(r, &rec)) == 0) {
        n++;
        if (rec.kind == ATR_REC_PROCESS)
            t0 = rec.u.process.clock_ns;
        if (rec.kind == ATR_REC_FUNCTION &&
            names_set(&names, rec.u.function.id, rec.u.function.module, rec.u.function.qualname) !=
                0) {
            fprintf(stderr, "dump_log: out of memory\n");
            status = 1;
            break;
        }
        put_record(&rec, &names, t0);
    }
    if (err == ATR_EOF) {
        printf("-- %" PRIu64 " records, %s\n", n,
               atr_reader_closed_cleanly(r) ? "log closed cleanly" : "log was not closed");
    } else if (err == ATR_ETRUNCATED) {
        printf("-- %" PRIu64 " records, then the log ends inside a frame (truncated)\n", n);
    } else if (status == 0) {
        fprintf(stderr, "dump_log: %s\n", atr_reader_error(r));
        status = 1;
    }
    atr_reader_close(r);
    names_free(&names);
    return status;
}
