/* Exact text form of decoded records for tests (see rec_dump.h for the form). */
#include "rec_dump.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void put_bytes(FILE *f, const char *p, size_t n) {
    size_t i;
    fputc('"', f);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\')
            fputc(c, f);
        else
            fprintf(f, "\\x%02x", c);
    }
    fputc('"', f);
}

static void put_str(FILE *f, atr_str s) { put_bytes(f, s.ptr, s.len); }

static void put_span(FILE *f, uint64_t id) {
    if (id == 0)
        fputc('-', f);
    else
        fprintf(f, "%" PRIu32 ":%" PRIu64, atr_span_thread(id), atr_span_seq(id));
}

static void put_value(FILE *f, const atr_value *v) {
    static const char *const text_kinds[] = {[ATR_V_STR] = "str",
                                             [ATR_V_BYTES] = "bytes",
                                             [ATR_V_REPR] = "repr",
                                             [ATR_V_ERROR] = "error",
                                             [ATR_V_UNKNOWN] = "unknown"};
    uint32_t i;
    switch (v->kind) {
    case ATR_V_NIL:
        fputs("nil", f);
        return;
    case ATR_V_BOOL:
        fputs(v->u.b ? "true" : "false", f);
        return;
    case ATR_V_INT:
        fprintf(f, "int:%" PRId64, v->u.i);
        return;
    case ATR_V_UINT:
        fprintf(f, "uint:%" PRIu64, v->u.u);
        return;
    case ATR_V_FLOAT:
        fprintf(f, "float:%.17g", v->u.f);
        return;
    case ATR_V_REDACTED:
        fputs("redacted", f);
        return;
    case ATR_V_BIGINT:
        fputs("bigint:", f);
        fwrite(v->u.s.ptr, 1, v->u.s.len, f);
        return;
    case ATR_V_SUMMARY:
        fputs("sum:", f);
        put_bytes(f, v->u.sum.type, v->u.sum.type_len);
        if (v->u.sum.length < 0)
            fputs("/?[", f);
        else
            fprintf(f, "/%" PRId64 "[", v->u.sum.length);
        for (i = 0; i < v->n_items; i++) {
            if (i)
                fputc(',', f);
            put_value(f, &v->u.sum.items[i]);
        }
        fputc(']', f);
        return;
    case ATR_V_STR:
    case ATR_V_BYTES:
    case ATR_V_REPR:
    case ATR_V_ERROR:
    case ATR_V_UNKNOWN:
        fprintf(f, "%s:", text_kinds[v->kind]);
        put_bytes(f, v->u.s.ptr, v->u.s.len);
        if (v->u.s.true_len != v->u.s.len)
            fprintf(f, "/%" PRIu64, v->u.s.true_len);
        return;
    default:
        fprintf(f, "kind%" PRIu32, v->kind);
        return;
    }
}

static void put_fields(FILE *f, const atr_field *fl, uint32_t n) {
    uint32_t i;
    fputc('{', f);
    for (i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        put_str(f, fl[i].name);
        fputc('=', f);
        put_value(f, &fl[i].value);
    }
    fputc('}', f);
}

static void put_strs(FILE *f, const atr_str *s, uint32_t n) {
    uint32_t i;
    fputc('[', f);
    for (i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        put_str(f, s[i]);
    }
    fputc(']', f);
}

void rec_dump(FILE *f, const atr_record *r) {
    uint32_t i;
    switch (r->kind) {
    case ATR_REC_PROCESS: {
        const atr_process_info *p = &r->u.process;
        fprintf(f, "PROCESS format=%" PRIu32 ".%" PRIu32 " pid=%" PRId64 " host=", p->format_major,
                p->format_minor, p->pid);
        put_str(f, p->host);
        fputs(" argv=", f);
        put_strs(f, p->argv, p->argc);
        fputs(" runtime=", f);
        put_str(f, p->runtime);
        fputs(" tool=", f);
        put_str(f, p->tool);
        fprintf(f,
                " clock_ns=%" PRIu64 " wall_ns=%" PRIu64 " uid=%" PRIu64 " parent_uid=%" PRIu64
                " parent_span=",
                p->clock_ns, p->wall_ns, p->uid, p->parent_uid);
        put_span(f, p->parent_span);
        if (p->part) /* 1.2: a rotated log's later file */
            fprintf(f, " part=%" PRIu64, p->part);
        break;
    }
    case ATR_REC_FUNCTION:
        fprintf(f, "FUNCTION id=%" PRIu32 " module=", r->u.function.id);
        put_str(f, r->u.function.module);
        fputs(" qualname=", f);
        put_str(f, r->u.function.qualname);
        fputs(" file=", f);
        put_str(f, r->u.function.file);
        fprintf(f, " line=%" PRIu32 " flags=%" PRIu32 " params=", r->u.function.line,
                r->u.function.flags);
        put_strs(f, r->u.function.params, r->u.function.n_params);
        break;
    case ATR_REC_THREAD:
        fprintf(f, "THREAD thread=%" PRIu32 " os_tid=%" PRIu64 " name=", r->thread,
                r->u.thread.os_tid);
        put_str(f, r->u.thread.name);
        break;
    case ATR_REC_START:
        fprintf(f, "START thread=%" PRIu32 " time=%" PRIu64 " span=", r->thread, r->time_ns);
        put_span(f, r->u.start.span);
        fputs(" parent=", f);
        put_span(f, r->u.start.parent);
        fprintf(f, " function=%" PRIu32 " args=[", r->u.start.function);
        for (i = 0; i < r->u.start.n_args; i++) {
            if (i)
                fputc(',', f);
            put_value(f, &r->u.start.args[i]);
        }
        fputs("] fields=", f);
        put_fields(f, r->u.start.fields, r->u.start.n_fields);
        break;
    case ATR_REC_END:
        fprintf(f, "END thread=%" PRIu32 " time=%" PRIu64 " span=", r->thread, r->time_ns);
        put_span(f, r->u.end.span);
        fprintf(f, " status=%" PRIu32, r->u.end.status);
        if (r->u.end.status == ATR_END_RAISE) {
            fputs(" exc_type=", f);
            put_str(f, r->u.end.exc_type);
        }
        if (r->u.end.status != ATR_END_NORESULT) {
            fputs(" value=", f);
            put_value(f, &r->u.end.value);
        }
        break;
    case ATR_REC_MESSAGE:
        fprintf(f, "MESSAGE thread=%" PRIu32 " time=%" PRIu64 " span=", r->thread, r->time_ns);
        put_span(f, r->u.message.span);
        fputs(" text=", f);
        put_str(f, r->u.message.text);
        fputs(" fields=", f);
        put_fields(f, r->u.message.fields, r->u.message.n_fields);
        break;
    case ATR_REC_SYNC:
        fprintf(f, "SYNC thread=%" PRIu32 " last_seq=%" PRIu64 " dropped=%" PRIu64, r->thread,
                r->u.sync.last_seq, r->u.sync.dropped);
        break;
    case ATR_REC_DROPS:
        fprintf(f,
                "DROPS records=%" PRIu64 " bytes=%" PRIu64 " oversize=%" PRIu64
                " capture_errors=%" PRIu64 " write_errors=%" PRIu64,
                r->u.drops.records, r->u.drops.bytes, r->u.drops.oversize,
                r->u.drops.capture_errors, r->u.drops.write_errors);
        break;
    case ATR_REC_END_OF_LOG:
        fprintf(f, "END_OF_LOG time=%" PRIu64, r->time_ns);
        break;
    case ATR_REC_SUSPEND:
    case ATR_REC_RESUME:
        fprintf(f, "%s thread=%" PRIu32 " time=%" PRIu64 " span=",
                r->kind == ATR_REC_SUSPEND ? "SUSPEND" : "RESUME", r->thread, r->time_ns);
        put_span(f, r->u.suspend.span);
        break;
    case ATR_REC_CALIBRATION:
        fputs("CALIBRATION mechanism=", f);
        put_str(f, r->u.calibration.mechanism);
        fprintf(f, " call_ns=%" PRIu64 " inner_ns=%" PRIu64 " samples=%" PRIu64,
                r->u.calibration.call_ns, r->u.calibration.inner_ns, r->u.calibration.samples);
#define CAL_OR(key) | r->u.calibration.key
#define CAL_PRINT(key) fprintf(f, "%s%" PRIu64, sep, r->u.calibration.key), sep = ",";
        if (0 ATR_CALIBRATION_MODEL_KEYS(CAL_OR)) { /* the per-call model */
            const char *sep = " model=";
            ATR_CALIBRATION_MODEL_KEYS(CAL_PRINT)
        }
#undef CAL_OR
#undef CAL_PRINT
        break;
    case ATR_REC_SAMPLING:
        fprintf(f, "SAMPLING rate=%.17g mode=", r->u.sampling.rate);
        put_str(f, r->u.sampling.mode);
        fprintf(f, " seed=%" PRIu64, r->u.sampling.seed);
        break;
    case ATR_REC_RECORDING:
        fprintf(f, "RECORDING time=%" PRIu64 " on=%" PRIu32, r->time_ns, r->u.recording.on);
        break;
    default:
        fprintf(f, "KIND%" PRIu32, r->kind);
        break;
    }
    fputc('\n', f);
}

char *rec_dump_str(char *buf, size_t size, const atr_record *rec) {
    FILE *f = fmemopen(buf, size, "w");
    if (!f) {
        snprintf(buf, size, "(fmemopen failed)");
        return buf;
    }
    rec_dump(f, rec);
    fclose(f);
    buf[size - 1] = '\0';
    return buf;
}

int rec_dump_file(FILE *f, const char *path) {
    atr_reader *r = NULL;
    atr_record rec;
    char err[256];
    int rc = atr_reader_open_errbuf(path, &r, err, sizeof err);
    if (rc < 0) {
        fprintf(f, "# end: %s\n# error: %s\n", atr_errname(rc), err);
        return rc;
    }
    while ((rc = atr_reader_next(r, &rec)) == 0)
        rec_dump(f, &rec);
    fprintf(f, "# end: %s\n", atr_errname(rc));
    if (rc != ATR_EOF)
        fprintf(f, "# error: %s\n", atr_reader_error(r));
    fprintf(f, "# closed_cleanly: %d\n", atr_reader_closed_cleanly(r));
    atr_reader_close(r);
    return rc;
}
