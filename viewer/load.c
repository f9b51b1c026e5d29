/* Loading logs and resolving the operands of the analysis-based commands (see load.h). */
#include "load.h"
#include "progress.h"
#include "render.h"
#include "render_call.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define ATR__NO_SUBTREE UINT64_MAX

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
    if (fi->flags & ATR_FILE_PARTS_MISSING)
        atr__warnf(ctx,
                   "%s: the rotated log's first %" PRIu32
                   " files were deleted (--keep): its earliest calls are missing",
                   fi->path, fi->first_part);
    if (fi->flags & ATR_FILE_PAUSED) {
        char d[32];
        atr__fmt_dur(d, sizeof d, fi->paused_ns);
        atr__warnf(ctx,
                   "%s: recording was paused %" PRIu64 " time%s (%s in all): calls made "
                   "meanwhile are not in the log",
                   fi->path, fi->n_pauses, fi->n_pauses == 1 ? "" : "s", d);
    }
    if (fi->flags & ATR_FILE_SAMPLED)
        fprintf(ctx->err,
                "%s %s: note: %s: sampled log (%.*s mode): %g of the top-level calls were "
                "recorded with their subtrees; counts and totals are estimates (~)\n",
                ctx->prog, ctx->cmd, fi->path, (int)fi->sample_mode.len, fi->sample_mode.ptr,
                fi->sample_rate);
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

#define LOAD_STATS 1 /* statistics-only */
#define LOAD_QUIET 2 /* no warnings about the logs (an earlier load of them gave them) */

/* Load the logs into a new index: statistics-only (LOAD_STATS), only the calls of the
   functions `keep` names (keep not NULL) or the subtree of the first log's call numbered
   `subtree` (not ATR__NO_SUBTREE), or whole. The partial ones leave a failed load to the
   caller, without a message: it loads again into a whole index. */
static int load_logs(atr__vctx *ctx, const char *const *paths, int n, int flags, const char *keep,
                     uint64_t subtree, const atr_subtree_frames *frames, atr_index **out) {
    int stats_only = flags & LOAD_STATS;
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
    atr_index_set_stats_only(ix, stats_only);
    if ((keep && atr_index_set_keep_function(ix, keep) < 0) ||
        (subtree != ATR__NO_SUBTREE && atr_index_set_keep_subtree(ix, 0, subtree) < 0) ||
        (frames && atr_index_set_subtree_frames(ix, frames) < 0)) {
        atr_index_free(ix);
        return ATR_VIEWER_FAIL;
    }
    int partial = stats_only || keep || subtree != ATR__NO_SUBTREE;
    atr_index_set_max_memory(ix, ctx->max_memory);
    atr_index_set_compensate(ix, ctx->compensate);
    atr__progress prog;
    atr__progress_init(&prog, ctx->err, ctx->err_tty);
    atr_index_set_progress(ix, atr__progress_update, &prog);
    for (int i = 0; i < 1; i++) { /* every path at once: a rotated log's files join */
        atr__progress_label(&prog, paths[i]);
        errno = 0;
        int rc = atr_index_load_set(ix, paths, (uint32_t)n);
        if (rc < 0 && partial) {
            atr__progress_done(&prog);
            atr_index_free(ix);
            return ATR_VIEWER_FAIL;
        }
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
    for (uint32_t f = 0; f < info.n_files && !(flags & LOAD_QUIET); f++) {
        atr_file_info fi;
        if (atr_index_file(ix, f, &fi) == 0)
            warn_file(ctx, &fi);
    }
    *out = ix;
    return ATR_VIEWER_OK;
}

int atr__load_logs(atr__vctx *ctx, const char *const *paths, int n, atr_index **out) {
    return load_logs(ctx, paths, n, 0, NULL, ATR__NO_SUBTREE, NULL, out);
}

int atr__load_logs_stats(atr__vctx *ctx, const char *const *paths, int n, atr_index **out) {
    int st = load_logs(ctx, paths, n, LOAD_STATS, NULL, ATR__NO_SUBTREE, NULL, out);
    return st == ATR_VIEWER_FAIL ? atr__load_logs(ctx, paths, n, out) : st;
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
    int st = ATR_VIEWER_FAIL, quiet = t->quiet ? LOAD_QUIET : 0;
    t->partial = 0;
    if (t->selective && ops->func) /* only FUNC's calls; the whole index when that fails */
        st =
            load_logs(ctx, ops->logs, ops->n_logs, quiet, ops->func, ATR__NO_SUBTREE, NULL, &t->ix);
    t->partial = st == ATR_VIEWER_OK;
    if (st == ATR_VIEWER_FAIL)
        st = load_logs(ctx, ops->logs, ops->n_logs, quiet, NULL, ATR__NO_SUBTREE, NULL, &t->ix);
    if (st == ATR_VIEWER_OK && ops->func)
        st = atr__resolve_func(ctx, t->ix, ops->func, &t->fn);
    if (st == ATR_VIEWER_OK)
        st = atr__build_filter(ctx, t->ix, t->fn, ops->filters, ops->n_filters, &t->filter);
    return st;
}

int atr__load_subtree(atr__vctx *ctx, const char *path, uint64_t number, int quiet,
                      const atr_subtree_frames *frames, atr_index **out) {
    int flags = quiet ? LOAD_QUIET : 0;
    if (frames && load_logs(ctx, &path, 1, flags, NULL, number, frames, out) == ATR_VIEWER_OK)
        return ATR_VIEWER_OK;
    return load_logs(ctx, &path, 1, flags, NULL, number, NULL, out);
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
