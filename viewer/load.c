/* Loading logs and naming things for the analysis-based commands (see load.h). */
#include "load.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "progress.h"
#include "render.h"

static void warn_file(atr__vctx *ctx, const atr_file_info *fi) {
    if (fi->flags & ATR_FILE_TRUNCATED)
        atr__warnf(ctx,
                   "%s: the log is truncated (its last frame is incomplete); "
                   "showing every complete record",
                   fi->path);
    else if (fi->flags & ATR_FILE_UNCLOSED)
        atr__warnf(ctx, "%s: the log was not closed (the process was killed or still runs)",
                   fi->path);
    if (fi->drops_records || fi->drops_oversize)
        atr__warnf(ctx, "%s: the writer dropped %" PRIu64 " records", fi->path,
                   fi->drops_records + fi->drops_oversize);
    if (fi->drops_capture_errors)
        atr__warnf(ctx,
                   "%s: %" PRIu64 " values could not be captured (written as capture errors, "
                   "or left out past a limit such as 16 keyword arguments a call)",
                   fi->path, fi->drops_capture_errors);
    if (fi->drops_write_errors)
        atr__warnf(ctx,
                   "%s: %" PRIu64 " frames could not be written (the disk was full, or an I/O "
                   "error): their records are missing",
                   fi->path, fi->drops_write_errors);
    if (fi->n_unknown_spans)
        atr__warnf(ctx, "%s: %" PRIu64 " references to spans that never started", fi->path,
                   fi->n_unknown_spans);
    if ((fi->flags & ATR_FILE_COMPENSATED) && fi->calib_base_ns)
        fprintf(ctx->err,
                "%s %s: note: %s: times compensated for the tracer's cost (per call from %" PRIu64
                " ns by what it captured, %.*s); without --compensate: the recorded times\n",
                ctx->prog, ctx->cmd, fi->path, fi->calib_base_ns, (int)fi->calib_mechanism.len,
                fi->calib_mechanism.ptr);
    else if (fi->flags & ATR_FILE_COMPENSATED)
        fprintf(ctx->err,
                "%s %s: note: %s: times compensated for the tracer's cost (%" PRIu64
                " ns per traced call, %.*s); without --compensate: the recorded times\n",
                ctx->prog, ctx->cmd, fi->path, fi->calib_call_ns, (int)fi->calib_mechanism.len,
                fi->calib_mechanism.ptr);
}

int atr__load_logs(atr__vctx *ctx, const char *const *paths, int n, atr_index **out) {
    *out = NULL;
    if (n <= 0) {
        atr__errorf(ctx, "no log given (see --help)");
        return ATR_VIEWER_USAGE;
    }
    atr_index *ix = NULL;
    if (atr_index_open(&ix) < 0) {
        atr__errorf(ctx, "out of memory");
        return ATR_VIEWER_FAIL;
    }
    atr_index_set_max_memory(ix, ctx->max_memory);
    atr_index_set_compensate(ix, ctx->compensate);
    atr__progress prog;
    atr__progress_init(&prog, ctx->err, ctx->err_tty);
    atr_index_set_progress(ix, atr__progress_update, &prog);
    for (int i = 0; i < n; i++) {
        atr__progress_label(&prog, paths[i]);
        errno = 0;
        int rc = atr_index_load(ix, paths[i]);
        if (rc < 0) {
            int saved = errno;
            atr__progress_done(&prog);
            if (rc == ATR_EOPEN)
                atr__errorf(ctx, "%s: %s", paths[i], saved ? strerror(saved) : atr_strerror(rc));
            else if (atr_index_error(ix)[0])
                atr__errorf(ctx, "%s", atr_index_error(ix));
            else
                atr__errorf(ctx, "%s: %s", paths[i], atr_strerror(rc));
            atr_index_free(ix);
            return ATR_VIEWER_FAIL;
        }
    }
    atr__progress_done(&prog);
    atr_index_set_progress(ix, NULL, NULL);
    atr_index_info info;
    atr_index_get_info(ix, &info);
    for (uint32_t f = 0; f < info.n_files; f++) {
        atr_file_info fi;
        if (atr_index_file(ix, f, &fi) == 0)
            warn_file(ctx, &fi);
    }
    *out = ix;
    return ATR_VIEWER_OK;
}

void atr__sb_funcname(atr__sbuf *sb, const atr_index *ix, uint32_t fn) {
    char small[256];
    size_t len = atr_function_name(ix, fn, small, sizeof small);
    if (len < sizeof small) {
        atr__esc_text(sb, small, len, ATR__ESC_BARE);
        return;
    }
    atr_function_view fv;
    if (atr_index_function(ix, fn, &fv) == 0) {
        if (fv.module.len) {
            atr__esc_str(sb, fv.module);
            atr__sb_putc(sb, '.');
        }
        atr__esc_str(sb, fv.qualname);
    }
}

static void list_names(atr__vctx *ctx, const atr_index *ix, const char *what, const uint32_t *ids,
                       uint32_t n, uint32_t total, const char *name) {
    atr__sbuf sb = ATR__SBUF_INIT;
    atr__esc_text(&sb, name, strlen(name), ATR__ESC_BARE);
    atr__sb_printf(&sb, "' %s", what);
    for (uint32_t i = 0; i < n; i++) {
        atr__sb_puts(&sb, i ? ", " : ": ");
        atr__sb_funcname(&sb, ix, ids[i]);
    }
    if (total > n)
        atr__sb_printf(&sb, ", … (%" PRIu32 " in all)", total);
    atr__errorf(ctx, "function '%s", atr__sb_cstr(&sb));
    atr__sb_free(&sb);
}

int atr__resolve_func(atr__vctx *ctx, const atr_index *ix, const char *name, uint32_t *fn) {
    uint32_t cands[10], n = 0;
    int rc = atr_index_find_function(ix, name, fn, cands, 10, &n);
    if (rc == 0)
        return ATR_VIEWER_OK;
    if (rc == ATR_EAMBIGUOUS) {
        list_names(ctx, ix, "is ambiguous; candidates", cands, n < 10 ? n : 10, n, name);
    } else if (rc == ATR_ENOTFOUND && n > 0) {
        list_names(ctx, ix, "not found; did you mean", cands, n < 10 ? n : 10, n, name);
    } else {
        atr__sbuf sb = ATR__SBUF_INIT;
        atr__esc_text(&sb, name, strlen(name), ATR__ESC_BARE);
        atr__errorf(ctx, "function '%s' not found in the log (see: %s summary LOG)",
                    atr__sb_cstr(&sb), ctx->prog);
        atr__sb_free(&sb);
    }
    return ATR_VIEWER_FAIL;
}

int atr__build_filter(atr__vctx *ctx, const atr_index *ix, uint32_t fn, const char *const *words,
                      int n, atr_filter **out) {
    *out = NULL;
    if (n == 0)
        return ATR_VIEWER_OK;
    atr_filter *f = NULL;
    char err[256] = "";
    int rc = atr_filter_parse("", &f, err, sizeof err);
    for (int i = 0; rc == 0 && i < n; i++) {
        rc = atr_filter_add(f, words[i], err, sizeof err);
        if (rc == ATR_ESYNTAX) {
            atr__errorf(ctx, "bad filter '%s': %s", words[i], err);
            atr_filter_free(f);
            return ATR_VIEWER_USAGE;
        }
    }
    if (rc < 0) {
        atr__errorf(ctx, "filter: %s", atr_strerror(rc));
        atr_filter_free(f);
        return ATR_VIEWER_FAIL;
    }
    if (fn != ATR_ALL_FUNCTIONS && atr_filter_check(f, ix, fn, err, sizeof err) < 0) {
        atr__errorf(ctx, "%s", err);
        atr_filter_free(f);
        return ATR_VIEWER_FAIL;
    }
    *out = f;
    return ATR_VIEWER_OK;
}

void atr__sb_call_id(atr__sbuf *sb, const atr_index *ix, uint32_t call) {
    char buf[ATR_CALL_ID_SIZE];
    atr__sb_add(sb, buf, atr_call_id_format(ix, call, buf, sizeof buf));
}

int atr__resolve_call(atr__vctx *ctx, const atr_index *ix, const char *opt, const char *text,
                      uint32_t *call) {
    atr_index_info info;
    atr_index_get_info(ix, &info);
    int rc = atr_call_id_parse(ix, text, call);
    if (rc == 0)
        return ATR_VIEWER_OK;
    atr__sbuf sb = ATR__SBUF_INIT;
    atr__esc_text(&sb, text, strlen(text), ATR__ESC_BARE);
    const char *id = atr__sb_cstr(&sb);
    int st = ATR_VIEWER_USAGE;
    if (rc == ATR_EAMBIGUOUS) {
        atr__errorf(ctx,
                    "%s %s: %" PRIu32 " logs are loaded; write the call id as FILE:N, e.g. 0:%s",
                    opt, id, info.n_files, id);
    } else if (rc == ATR_ENOTFOUND) {
        atr__errorf(ctx, "%s %s: no call %s in the log%s (see: %s calls LOG)", opt, id, id,
                    info.n_files > 1 ? "s" : "", ctx->prog);
        st = ATR_VIEWER_FAIL;
    } else {
        atr__errorf(ctx, "%s '%s' is not a call id (N as %s calls prints it%s)", opt, id, ctx->prog,
                    info.n_files > 1 ? ", FILE:N with several logs" : "");
    }
    atr__sb_free(&sb);
    return st;
}

void atr__sb_call_args(atr__sbuf *sb, const atr_index *ix, uint32_t call) {
    atr__sb_call_args_fit(sb, ix, call, 0);
}

void atr__sb_call_args_fit(atr__sbuf *sb, const atr_index *ix, uint32_t call, size_t maxv) {
    atr_call_view cv;
    atr_function_view fv;
    if (atr_index_call(ix, call, &cv) < 0 || atr_index_function(ix, cv.function, &fv) < 0)
        return;
    int first = 1;
    for (uint32_t i = 0; i < cv.n_args && i < fv.n_params; i++) {
        uint32_t vid = atr_call_arg(ix, call, i);
        atr_value v;
        if (vid == ATR_NO_VALUE || atr_index_value(ix, vid, &v) < 0)
            continue;
        if (!first)
            atr__sb_puts(sb, ", ");
        first = 0;
        atr__esc_str(sb, fv.params[i]);
        atr__sb_putc(sb, '=');
        atr__render_value_fit(sb, &v, maxv);
    }
}

void atr__sb_call_outcome(atr__sbuf *sb, const atr_index *ix, const atr_call_view *cv) {
    atr__sb_call_outcome_fit(sb, ix, cv, 0);
}

void atr__sb_call_outcome_fit(atr__sbuf *sb, const atr_index *ix, const atr_call_view *cv,
                              size_t maxv) {
    atr_value v;
    switch (cv->status) {
    case ATR_CALL_RETURNED:
        atr__sb_puts(sb, "→ ");
        if (atr_index_value(ix, cv->result, &v) == 0)
            atr__render_value_fit(sb, &v, maxv);
        else
            atr__sb_puts(sb, "?");
        break;
    case ATR_CALL_RAISED:
        atr__sb_puts(sb, "✗ ");
        atr__esc_str(sb, cv->exc_type);
        if (atr_index_value(ix, cv->result, &v) == 0) {
            atr__sb_puts(sb, ": ");
            atr__render_value_fit(sb, &v, maxv);
        }
        break;
    case ATR_CALL_UNFINISHED:
        atr__sb_puts(sb, "(unfinished)");
        break;
    default:
        break;
    }
}

int atr__target_open(atr__vctx *ctx, const atr__operands *ops, int need_func, atr__target *t) {
    t->ix = NULL;
    t->fn = ATR_ALL_FUNCTIONS;
    t->filter = NULL;
    if (need_func && !ops->func) {
        const atr__cmd *c = atr__cmd_find(ctx->cmd);
        atr__errorf(ctx, "missing %s (usage: %s %s %s)", ops->n_logs ? "FUNC" : "LOG and FUNC",
                    ctx->prog, ctx->cmd, c ? c->synopsis : "");
        return ATR_VIEWER_USAGE;
    }
    int st = atr__load_logs(ctx, ops->logs, ops->n_logs, &t->ix);
    if (st == ATR_VIEWER_OK && ops->func)
        st = atr__resolve_func(ctx, t->ix, ops->func, &t->fn);
    if (st == ATR_VIEWER_OK)
        st = atr__build_filter(ctx, t->ix, t->fn, ops->filters, ops->n_filters, &t->filter);
    return st;
}

void atr__target_close(atr__target *t) {
    atr_filter_free(t->filter);
    atr_index_free(t->ix);
    t->filter = NULL;
    t->ix = NULL;
}

int atr__target_setup(atr__vctx *ctx, int argc, char **argv, const atr__opt *opts,
                      atr__opt_fn on_opt, void *ud, int need_func, atr__operands *ops,
                      atr__target *t) {
    int st = atr__parse_args(ctx, argc, argv, opts, ops, on_opt, ud);
    if (st == ATR_VIEWER_OK)
        st = atr__target_open(ctx, ops, need_func, t);
    return st;
}

int atr__target_query(atr__vctx *ctx, const atr__target *t, int sort, uint64_t offset,
                      uint64_t limit, atr_callset **out) {
    atr_query q;
    atr_query_init(&q);
    q.function = t->fn;
    q.filter = t->filter;
    q.sort = sort;
    q.offset = offset;
    q.limit = limit;
    if (atr_query_run(t->ix, &q, out) < 0) {
        atr__errorf(ctx, "out of memory");
        return ATR_VIEWER_FAIL;
    }
    return ATR_VIEWER_OK;
}

void atr__sb_call(atr__sbuf *sb, const atr_index *ix, uint32_t call, const atr_call_view *cv,
                  int with_name) {
    atr__sb_call_fit(sb, ix, call, cv, with_name, 0);
}

void atr__sb_call_fit(atr__sbuf *sb, const atr_index *ix, uint32_t call, const atr_call_view *cv,
                      int with_name, size_t maxv) {
    if (with_name) {
        size_t from = sb->len;
        atr__sb_funcname(sb, ix, cv->function);
        if (maxv) /* a little more room than a value: names end in what tells them apart */
            atr__sb_fit_left(sb, from, maxv + 8);
    }
    atr__sb_putc(sb, '(');
    atr__sb_call_args_fit(sb, ix, call, maxv);
    atr__sb_putc(sb, ')');
    if (cv->status != ATR_CALL_NORESULT) {
        atr__sb_putc(sb, ' ');
        atr__sb_call_outcome_fit(sb, ix, cv, maxv);
    }
}

void atr__sb_group_label(atr__sbuf *sb, const atr_index *ix, const atr_arg_group *g) {
    atr__sb_group_label_fit(sb, ix, g, 0);
}

void atr__sb_group_label_fit(atr__sbuf *sb, const atr_index *ix, const atr_arg_group *g,
                             size_t maxv) {
    atr_value v;
    /* A long str's label is its distinguishing excerpt and length (the analysis's,
       libtrace/src/analysis/labels.c: over 30 bytes, cut, or with whitespace other than
       single spaces); a short one is shown as the value. */
    int excerpt = 0;
    if (g->value != ATR_NO_VALUE && atr_index_value(ix, g->value, &v) == 0 &&
        (v.kind == ATR_V_STR || v.kind == ATR_V_BYTES || v.kind == ATR_V_REPR)) {
        excerpt = v.u.s.len > 30 || v.u.s.true_len > v.u.s.len;
        for (size_t i = 0; i < v.u.s.len && !excerpt; i++) {
            char c = v.u.s.ptr[i];
            excerpt = c == '\n' || c == '\t' || c == '\r' ||
                      (c == ' ' && i + 1 < v.u.s.len && v.u.s.ptr[i + 1] == ' ');
        }
    }
    if (g->value != ATR_NO_VALUE && !excerpt && atr_index_value(ix, g->value, &v) == 0)
        atr__render_value_fit(sb, &v, maxv);
    else { /* labels come escaped from the analysis; make sure, keeping its backslashes */
        size_t from = sb->len;
        atr__esc_text(sb, g->label, strlen(g->label), ATR__ESC_KEEP_BS);
        if (maxv) /* cut at the end: a str's excerpt tells groups apart at its start */
            atr__sb_fit(sb, from, maxv);
    }
}

void atr__sb_message(atr__sbuf *sb, const atr_index *ix, uint32_t msg) {
    atr__sb_message_fit(sb, ix, msg, 0);
}

void atr__sb_message_fit(atr__sbuf *sb, const atr_index *ix, uint32_t msg, size_t maxv) {
    atr_message_view mv;
    if (atr_index_message(ix, msg, &mv) < 0)
        return;
    atr__esc_str(sb, mv.text);
    for (uint32_t f = 0; f < mv.n_fields; f++) {
        atr_str name;
        uint32_t vid;
        atr_value val;
        if (atr_message_field(ix, msg, f, &name, &vid) < 0)
            continue;
        atr__sb_puts(sb, f ? ", " : "  ");
        atr__esc_str(sb, name);
        atr__sb_putc(sb, '=');
        if (atr_index_value(ix, vid, &val) == 0)
            atr__render_value_fit(sb, &val, maxv);
    }
}
