/*
 * `cat LOG...`: every record exactly as the reader decodes it, one line each (or one JSON
 * object per line with --json). A debugging aid: no analysis, no reordering.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "argtrace/atr_analysis.h"
#include "argtrace/atr_frames.h"
#include "argtrace/atr_reader.h"
#include "cmd.h"
#include "json.h"
#include "opts.h"
#include "render.h"

enum { OPT_JSON = 1, OPT_THREAD, OPT_SINCE, OPT_UNTIL, OPT_SPAN, OPT_FRAMES };

/* What to show (cat_filter_keep); with any part set, only the frames the log's frame index
   says may hold such records are decoded (atr_frames.h). */
typedef struct cat_filter {
    atr_frame_query q;
    const char *span; /* --span THREAD:SEQ: the span's time range (resolved per log) */
    int frames;       /* --frames: say how many frames were decoded (stderr) */
} cat_filter;
/* 1 when a CALIBRATION record carries the per-call model (FORMAT.md 3.13). */
static int has_model(const atr_record *r) {
#define CAL_OR(name) | r->u.calibration.name
    return (0 ATR_CALIBRATION_MODEL_KEYS(CAL_OR)) != 0;
#undef CAL_OR
}

static const atr__opt cat_opts[] = {
    {"json", 0, 0, OPT_JSON, "--json       one JSON object per record (JSON lines)"},
    {"thread", 0, 1, OPT_THREAD, "--thread N   only thread N's records"},
    {"since", 0, 1, OPT_SINCE, "--since NS   only thread records at or after time NS"},
    {"until", 0, 1, OPT_UNTIL, "--until NS   only thread records at or before time NS"},
    {"span", 0, 1, OPT_SPAN, "--span T:S   only thread records in span T:S's time range"},
    {"frames", 0, 0, OPT_FRAMES, "--frames     say how many frames were decoded (stderr)"},
    ATR__OPTS_WIDTH,
    {NULL, 0, 0, 0, NULL},
};

static void span_text(atr__sbuf *sb, uint64_t id) {
    if (id == 0)
        atr__sb_puts(sb, "-");
    else
        atr__sb_printf(sb, "%" PRIu32 ":%" PRIu64, atr_span_thread(id), atr_span_seq(id));
}

static void fields_text(atr__sbuf *sb, const atr_field *f, uint32_t n, size_t maxv) {
    atr__sb_putc(sb, '{');
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            atr__sb_puts(sb, ", ");
        atr__esc_str(sb, f[i].name);
        atr__sb_putc(sb, '=');
        atr__render_value_fit(sb, &f[i].value, maxv);
    }
    atr__sb_putc(sb, '}');
}

static void quoted(atr__sbuf *sb, atr_str s) {
    atr__sb_putc(sb, '\'');
    atr__esc_text(sb, s.ptr, s.len, ATR__ESC_SQUOTE);
    atr__sb_putc(sb, '\'');
}

/* One record; values in at most maxv columns (0: no limit). */
static void record_text(atr__sbuf *sb, const atr_record *r, size_t maxv) {
    switch (r->kind) {
    case ATR_REC_PROCESS: {
        const atr_process_info *p = &r->u.process;
        atr__sb_printf(sb, "PROCESS format=%" PRIu32 ".%" PRIu32 " pid=%" PRId64 " host=",
                       p->format_major, p->format_minor, p->pid);
        quoted(sb, p->host);
        atr__sb_puts(sb, " argv=[");
        for (uint32_t i = 0; i < p->argc; i++) {
            if (i)
                atr__sb_puts(sb, ", ");
            quoted(sb, p->argv[i]);
        }
        atr__sb_puts(sb, "] runtime=");
        quoted(sb, p->runtime);
        atr__sb_puts(sb, " tool=");
        quoted(sb, p->tool);
        atr__sb_printf(sb, " clock_ns=%" PRIu64 " wall_ns=%" PRIu64 " uid=%016" PRIx64, p->clock_ns,
                       p->wall_ns, p->uid);
        if (p->parent_uid)
            atr__sb_printf(sb, " parent_uid=%016" PRIx64 " parent_span=", p->parent_uid);
        if (p->parent_uid)
            span_text(sb, p->parent_span);
        break;
    }
    case ATR_REC_FUNCTION:
        atr__sb_printf(sb, "FUNCTION id=%" PRIu32 " module=", r->u.function.id);
        quoted(sb, r->u.function.module);
        atr__sb_puts(sb, " qualname=");
        quoted(sb, r->u.function.qualname);
        atr__sb_puts(sb, " file=");
        quoted(sb, r->u.function.file);
        atr__sb_printf(sb, " line=%" PRIu32 " params=[", r->u.function.line);
        for (uint32_t i = 0; i < r->u.function.n_params; i++) {
            if (i)
                atr__sb_puts(sb, ", ");
            atr__esc_str(sb, r->u.function.params[i]);
        }
        atr__sb_printf(sb, "] flags=0x%" PRIx32, r->u.function.flags);
        break;
    case ATR_REC_THREAD:
        atr__sb_printf(sb, "THREAD thread=%" PRIu32 " os_tid=%" PRIu64 " name=", r->thread,
                       r->u.thread.os_tid);
        quoted(sb, r->u.thread.name);
        break;
    case ATR_REC_START:
        atr__sb_printf(sb, "START time=%" PRIu64 " span=", r->time_ns);
        span_text(sb, r->u.start.span);
        atr__sb_puts(sb, " parent=");
        span_text(sb, r->u.start.parent);
        atr__sb_printf(sb, " function=%" PRIu32 " args=[", r->u.start.function);
        for (uint32_t i = 0; i < r->u.start.n_args; i++) {
            if (i)
                atr__sb_puts(sb, ", ");
            atr__render_value_fit(sb, &r->u.start.args[i], maxv);
        }
        atr__sb_putc(sb, ']');
        if (r->u.start.n_fields) {
            atr__sb_puts(sb, " fields=");
            fields_text(sb, r->u.start.fields, r->u.start.n_fields, maxv);
        }
        break;
    case ATR_REC_END:
        atr__sb_printf(sb, "END time=%" PRIu64 " span=", r->time_ns);
        span_text(sb, r->u.end.span);
        if (r->u.end.status == ATR_END_RETURN) {
            atr__sb_puts(sb, " return ");
            atr__render_value_fit(sb, &r->u.end.value, maxv);
        } else if (r->u.end.status == ATR_END_RAISE) {
            atr__sb_puts(sb, " raise ");
            atr__esc_str(sb, r->u.end.exc_type);
            atr__sb_puts(sb, ": ");
            atr__render_value_fit(sb, &r->u.end.value, maxv);
        } else {
            atr__sb_puts(sb, " return (not captured)");
        }
        break;
    case ATR_REC_MESSAGE:
        atr__sb_printf(sb, "MESSAGE time=%" PRIu64 " span=", r->time_ns);
        span_text(sb, r->u.message.span);
        atr__sb_puts(sb, " text=");
        quoted(sb, r->u.message.text);
        atr__sb_puts(sb, " fields=");
        fields_text(sb, r->u.message.fields, r->u.message.n_fields, maxv);
        break;
    case ATR_REC_SYNC:
        atr__sb_printf(sb, "SYNC last_seq=%" PRIu64 " dropped=%" PRIu64, r->u.sync.last_seq,
                       r->u.sync.dropped);
        break;
    case ATR_REC_DROPS:
        atr__sb_printf(sb,
                       "DROPS records=%" PRIu64 " bytes=%" PRIu64 " oversize=%" PRIu64
                       " capture_errors=%" PRIu64 " write_errors=%" PRIu64,
                       r->u.drops.records, r->u.drops.bytes, r->u.drops.oversize,
                       r->u.drops.capture_errors, r->u.drops.write_errors);
        break;
    case ATR_REC_END_OF_LOG:
        atr__sb_printf(sb, "END_OF_LOG time=%" PRIu64, r->time_ns);
        break;
    case ATR_REC_SUSPEND:
    case ATR_REC_RESUME:
        atr__sb_printf(sb, "%s time=%" PRIu64 " span=",
                       r->kind == ATR_REC_SUSPEND ? "SUSPEND" : "RESUME", r->time_ns);
        span_text(sb, r->u.suspend.span);
        break;
    case ATR_REC_CALIBRATION:
        atr__sb_puts(sb, "CALIBRATION mechanism=");
        quoted(sb, r->u.calibration.mechanism);
        atr__sb_printf(sb, " call_ns=%" PRIu64 " inner_ns=%" PRIu64 " samples=%" PRIu64,
                       r->u.calibration.call_ns, r->u.calibration.inner_ns,
                       r->u.calibration.samples);
        if (has_model(r)) {
#define CAL_TEXT(name) atr__sb_printf(sb, " " #name "=%" PRIu64, r->u.calibration.name);
            ATR_CALIBRATION_MODEL_KEYS(CAL_TEXT)
#undef CAL_TEXT
        }
        break;
    default:
        atr__sb_printf(sb, "RECORD kind=%" PRIu32, r->kind);
        break;
    }
}

static void json_fields(atr__json *j, const char *key, const atr_field *f, uint32_t n) {
    atr__json_key(j, key);
    atr__json_obj_begin(j);
    for (uint32_t i = 0; i < n; i++) {
        atr__json_keyn(j, f[i].name.ptr, f[i].name.len);
        atr__json_value(j, &f[i].value);
    }
    atr__json_obj_end(j);
}

static void jstr(atr__json *j, const char *key, atr_str s) {
    atr__json_key(j, key);
    atr__json_str(j, s.ptr, s.len);
}

static void record_json(atr__json *j, const atr_record *r) {
    static const char *const kinds[] = {"?",          "process", "function", "thread",     "chunk",
                                        "start",      "end",     "message",  "sync",       "drops",
                                        "end_of_log", "suspend", "resume",   "calibration"};
    _Static_assert(sizeof kinds / sizeof kinds[0] == ATR_REC_CALIBRATION + 1,
                   "one JSON kind per record type");
    atr__json_obj_begin(j);
    atr__json_kstr(j, "kind", r->kind <= ATR_REC_CALIBRATION ? kinds[r->kind] : "?");
    atr__json_kuint(j, "offset", r->offset);
    switch (r->kind) {
    case ATR_REC_PROCESS: {
        const atr_process_info *p = &r->u.process;
        atr__json_kuint(j, "format_major", p->format_major);
        atr__json_kuint(j, "format_minor", p->format_minor);
        atr__json_kint(j, "pid", p->pid);
        jstr(j, "host", p->host);
        atr__json_key(j, "argv");
        atr__json_arr_begin(j);
        for (uint32_t i = 0; i < p->argc; i++)
            atr__json_str(j, p->argv[i].ptr, p->argv[i].len);
        atr__json_arr_end(j);
        jstr(j, "runtime", p->runtime);
        jstr(j, "tool", p->tool);
        atr__json_kuint(j, "clock_ns", p->clock_ns);
        atr__json_kuint(j, "wall_ns", p->wall_ns);
        atr__json_kuint(j, "uid", p->uid);
        atr__json_kuint(j, "parent_uid", p->parent_uid);
        atr__json_kuint(j, "parent_span", p->parent_span);
        break;
    }
    case ATR_REC_FUNCTION:
        atr__json_kuint(j, "id", r->u.function.id);
        jstr(j, "module", r->u.function.module);
        jstr(j, "qualname", r->u.function.qualname);
        jstr(j, "file", r->u.function.file);
        atr__json_kuint(j, "line", r->u.function.line);
        atr__json_key(j, "params");
        atr__json_arr_begin(j);
        for (uint32_t i = 0; i < r->u.function.n_params; i++)
            atr__json_str(j, r->u.function.params[i].ptr, r->u.function.params[i].len);
        atr__json_arr_end(j);
        atr__json_kuint(j, "flags", r->u.function.flags);
        break;
    case ATR_REC_THREAD:
        atr__json_kuint(j, "thread", r->thread);
        atr__json_kuint(j, "os_tid", r->u.thread.os_tid);
        jstr(j, "name", r->u.thread.name);
        break;
    case ATR_REC_START:
        atr__json_kuint(j, "thread", r->thread);
        atr__json_kuint(j, "time_ns", r->time_ns);
        atr__json_kuint(j, "span", r->u.start.span);
        atr__json_kuint(j, "parent", r->u.start.parent);
        atr__json_kuint(j, "function", r->u.start.function);
        atr__json_key(j, "args");
        atr__json_arr_begin(j);
        for (uint32_t i = 0; i < r->u.start.n_args; i++)
            atr__json_value(j, &r->u.start.args[i]);
        atr__json_arr_end(j);
        json_fields(j, "fields", r->u.start.fields, r->u.start.n_fields);
        break;
    case ATR_REC_END:
        atr__json_kuint(j, "thread", r->thread);
        atr__json_kuint(j, "time_ns", r->time_ns);
        atr__json_kuint(j, "span", r->u.end.span);
        atr__json_kstr(j, "status",
                       r->u.end.status == ATR_END_RETURN  ? "return"
                       : r->u.end.status == ATR_END_RAISE ? "raise"
                                                          : "noresult");
        atr__json_key(j, "value");
        atr__json_value(j, &r->u.end.value);
        if (r->u.end.status == ATR_END_RAISE)
            jstr(j, "exc_type", r->u.end.exc_type);
        break;
    case ATR_REC_MESSAGE:
        atr__json_kuint(j, "thread", r->thread);
        atr__json_kuint(j, "time_ns", r->time_ns);
        atr__json_kuint(j, "span", r->u.message.span);
        jstr(j, "text", r->u.message.text);
        json_fields(j, "fields", r->u.message.fields, r->u.message.n_fields);
        break;
    case ATR_REC_SYNC:
        atr__json_kuint(j, "thread", r->thread);
        atr__json_kuint(j, "last_seq", r->u.sync.last_seq);
        atr__json_kuint(j, "dropped", r->u.sync.dropped);
        break;
    case ATR_REC_DROPS:
        atr__json_kuint(j, "records", r->u.drops.records);
        atr__json_kuint(j, "bytes", r->u.drops.bytes);
        atr__json_kuint(j, "oversize", r->u.drops.oversize);
        atr__json_kuint(j, "capture_errors", r->u.drops.capture_errors);
        atr__json_kuint(j, "write_errors", r->u.drops.write_errors);
        break;
    case ATR_REC_END_OF_LOG:
        atr__json_kuint(j, "time_ns", r->time_ns);
        break;
    case ATR_REC_SUSPEND:
    case ATR_REC_RESUME:
        atr__json_kuint(j, "thread", r->thread);
        atr__json_kuint(j, "time_ns", r->time_ns);
        atr__json_kuint(j, "span", r->u.suspend.span);
        break;
    case ATR_REC_CALIBRATION:
        jstr(j, "mechanism", r->u.calibration.mechanism);
        atr__json_kuint(j, "call_ns", r->u.calibration.call_ns);
        atr__json_kuint(j, "inner_ns", r->u.calibration.inner_ns);
        atr__json_kuint(j, "samples", r->u.calibration.samples);
        if (has_model(r)) {
#define CAL_JSON(name) atr__json_kuint(j, #name, r->u.calibration.name);
            ATR_CALIBRATION_MODEL_KEYS(CAL_JSON)
#undef CAL_JSON
        }
        break;
    default:
        break;
    }
    atr__json_obj_end(j);
    atr__json_end_line(j);
}

/* Records not bound to a thread are always shown; thread records when the filter holds
   (a time range shows the timed ones inside it). */
static int cat_filter_keep(const atr_frame_query *q, const atr_record *r) {
    int timed = r->kind == ATR_REC_START || r->kind == ATR_REC_END || r->kind == ATR_REC_MESSAGE ||
                r->kind == ATR_REC_SUSPEND || r->kind == ATR_REC_RESUME;
    if (!timed && r->kind != ATR_REC_THREAD && r->kind != ATR_REC_SYNC)
        return 1;
    if (q->has_thread && r->thread != q->thread)
        return 0;
    if (q->since_ns || q->until_ns)
        return timed && r->time_ns >= q->since_ns && (!q->until_ns || r->time_ns <= q->until_ns);
    return 1;
}

/*
 * --span T:S: the time range of span T:S in the log: its START's frame from the index, then
 * that thread's frames from there until its END (decoding stops there). 0, or -1 with the
 * error printed (no such span). An unfinished span runs to the end of the log.
 */
static int span_range(atr__vctx *ctx, const char *path, const char *text, atr_frame_query *q) {
    unsigned long long t = 0, seq = 0;
    char tail = 0;
    atr_reader *r = NULL;
    atr_frame_index *ix = NULL;
    atr_record rec;
    uint32_t frame = 0, i, n;
    uint64_t span;
    uint8_t *want = NULL;
    int found = 0;
    if (sscanf(text, "%llu:%llu%c", &t, &seq, &tail) != 2 || t >= (1u << 24) - 1 || seq == 0 ||
        seq >= (1ull << ATR_SPAN_SEQ_BITS)) {
        atr__errorf(ctx, "--span: '%s' is not a span THREAD:SEQ (as cat prints it)", text);
        return -1;
    }
    span = atr_span_id((uint32_t)t, seq);
    if (atr_reader_open(path, &r) == 0 && atr_frame_index_load(r, &ix) == 0 &&
        atr_frame_index_selectable(ix) && atr_frame_index_find_start(ix, span, &frame) == 0 &&
        (want = calloc(atr_frame_index_count(ix), 1)) != NULL) {
        atr_frame_query tq;
        memset(&tq, 0, sizeof tq);
        tq.has_thread = 1;
        tq.thread = (uint32_t)t;
        n = atr_frame_index_count(ix);
        for (i = frame; i < n; i++)
            want[i] = (uint8_t)atr_frame_index_matches(ix, i, &tq);
        if (atr_reader_select_frames(r, ix, want) != 0) {
            atr_reader_close(r);
            r = NULL;
            atr_reader_open(path, &r); /* read it all */
        }
    }
    while (r && atr_reader_next(r, &rec) == 0) {
        if (rec.kind == ATR_REC_START && rec.u.start.span == span) {
            q->since_ns = rec.time_ns;
            q->until_ns = 0;
            found = 1;
        } else if (found && rec.kind == ATR_REC_END && rec.u.end.span == span) {
            q->until_ns = rec.time_ns;
            break;
        }
    }
    free(want);
    atr_frame_index_free(ix);
    atr_reader_close(r);
    if (!found) {
        atr__errorf(ctx, "%s: no span %s in the log", path, text);
        return -1;
    }
    return 0;
}

/* Print one log; returns an exit status. */
static int cat_one(atr__vctx *ctx, const char *path, int json, const cat_filter *flt) {
    atr_reader *r = NULL;
    atr_frame_query q = flt->q;
    int filtered = q.has_thread || q.since_ns || q.until_ns || flt->span;
    char why[200] = "";
    if (flt->span && span_range(ctx, path, flt->span, &q) < 0)
        return ATR_VIEWER_FAIL;
    int rc = atr_reader_open_errbuf(path, &r, why, sizeof why);
    if (rc < 0) {
        atr__errorf(ctx, "%s: %s", path, *why ? why : atr_strerror(rc));
        return ATR_VIEWER_FAIL;
    }
    uint32_t n_frames = 0;
    if (filtered || flt->frames) { /* without a usable index: read whole, filtered the same */
        atr_frame_index *ix = NULL;
        if (atr_frame_index_load(r, &ix) == 0) {
            n_frames = atr_frame_index_count(ix);
            if (filtered && atr_frame_index_selectable(ix))
                (void)atr_reader_select(r, ix, &q);
        }
        atr_frame_index_free(ix);
    }
    atr__sbuf sb = ATR__SBUF_INIT;
    atr__json j;
    atr__json_init(&j, ctx->out, 0);
    atr_record rec;
    while ((rc = atr_reader_next(r, &rec)) == 0 && !ferror(ctx->out)) {
        if (filtered && !cat_filter_keep(&q, &rec))
            continue;
        if (json) {
            record_json(&j, &rec);
            continue;
        }
        atr__sb_clear(&sb);
        if (rec.kind == ATR_REC_THREAD || rec.kind == ATR_REC_START || rec.kind == ATR_REC_END ||
            rec.kind == ATR_REC_MESSAGE || rec.kind == ATR_REC_SYNC ||
            rec.kind == ATR_REC_SUSPEND || rec.kind == ATR_REC_RESUME)
            atr__sb_printf(&sb, "T%-3" PRIu32 " ", rec.thread);
        else
            atr__sb_puts(&sb, "     ");
        record_text(&sb, &rec, atr__value_room(ctx));
        if (ctx->width)
            atr__sb_fit(&sb, 0, ctx->width);
        atr__sb_putc(&sb, '\n');
        if (sb.oom) {
            rc = ATR_ENOMEM;
            break;
        }
        fwrite(sb.ptr, 1, sb.len, ctx->out);
    }
    int status = ATR_VIEWER_OK;
    if (ferror(ctx->out)) {
        if (errno != EPIPE) /* a reader that stopped early (`| head`) */
            atr__errorf(ctx, "cannot write the output: %s", strerror(errno));
        status = ATR_VIEWER_FAIL;
    } else if (rc == ATR_ETRUNCATED) {
        atr__warnf(ctx, "%s: %s", path, atr_reader_error(r));
    } else if (rc == ATR_ENOMEM) {
        atr__errorf(ctx, "%s: out of memory", path);
        status = ATR_VIEWER_FAIL;
    } else if (rc != ATR_EOF) {
        atr__errorf(ctx, "%s: %s", path, atr_reader_error(r));
        status = ATR_VIEWER_FAIL;
    } else if (!atr_reader_closed_cleanly(r)) {
        atr__warnf(ctx, "%s: the log was not closed (the process was killed or still runs)", path);
    }
    if (flt->frames)
        fprintf(ctx->err, "%s: frames decoded: %" PRIu64 " of %" PRIu32 "\n", path,
                atr_reader_frames_read(r), n_frames);
    atr__sb_free(&sb);
    atr_reader_close(r);
    return status;
}

int atr__cmd_cat(atr__vctx *ctx, int argc, char **argv) {
    atr__optparser p;
    atr__opt_init(&p, ctx, argc, argv, cat_opts);
    const char **paths = NULL;
    int n = 0, json = 0, id, wst, status = ATR_VIEWER_OK;
    const char *arg;
    cat_filter flt;
    uint64_t v;
    memset(&flt, 0, sizeof flt);
    while ((id = atr__opt_next(&p, &arg)) != ATR__OPT_END) {
        if (id == ATR__OPT_ERROR) {
            free(paths);
            return ATR_VIEWER_USAGE;
        } else if (id == ATR__OPT_HELP) {
            atr__opt_usage(ctx, cat_opts);
            free(paths);
            return ATR_VIEWER_OK;
        } else if (id == OPT_JSON) {
            json = 1;
        } else if (id == OPT_FRAMES) {
            flt.frames = 1;
        } else if (id == OPT_SPAN) {
            flt.span = arg;
        } else if (id == OPT_THREAD || id == OPT_SINCE || id == OPT_UNTIL) {
            if (atr__opt_uint(ctx,
                              id == OPT_THREAD  ? "--thread"
                              : id == OPT_SINCE ? "--since"
                                                : "--until",
                              arg, &v) < 0) {
                free(paths);
                return ATR_VIEWER_USAGE;
            }
            if (id == OPT_THREAD) {
                flt.q.has_thread = 1;
                flt.q.thread = (uint32_t)(v < UINT32_MAX ? v : UINT32_MAX);
            } else if (id == OPT_SINCE) {
                flt.q.since_ns = v;
            } else {
                flt.q.until_ns = v;
            }
        } else if (id == ATR__OPT_MAX_MEMORY) {
            continue; /* accepted by every command; cat streams and builds no index */
        } else if ((wst = atr__opt_width(ctx, id, arg)) != -1) {
            if (wst != ATR_VIEWER_OK) {
                free(paths);
                return wst;
            }
        } else {
            const char **np = realloc(paths, (size_t)(n + 1) * sizeof *np);
            if (!np) {
                free(paths);
                atr__errorf(ctx, "out of memory");
                return ATR_VIEWER_FAIL;
            }
            paths = np;
            paths[n++] = arg;
        }
    }
    if (n == 0) {
        atr__errorf(ctx, "no log given (usage: %s cat LOG...)", ctx->prog);
        return ATR_VIEWER_USAGE;
    }
    char **files = NULL; /* directories, a rotated log's later files, quoted globs */
    uint32_t n_files = 0;
    if (atr_logset_expand(paths, (uint32_t)n, &files, &n_files) != 0) {
        atr__errorf(ctx, "cannot list the logs: %s", strerror(errno));
        free(paths);
        return ATR_VIEWER_FAIL;
    }
    for (uint32_t i = 0; i < n_files && status == ATR_VIEWER_OK; i++) {
        if (n_files > 1 && !json)
            fprintf(ctx->out, "%s==> %s <==\n", i ? "\n" : "", files[i]);
        status = cat_one(ctx, files[i], json, &flt);
    }
    atr_logset_free(files, n_files);
    free(paths);
    return status;
}
