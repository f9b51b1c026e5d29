/*
 * Loading logs into the index: one pass over the reader's records per log (records.c), then
 * per log: durations of unfinished calls, links to parents in other logs
 * (forked children name their parent's uid and span; resolved once both logs are loaded, in
 * either order), and the derived tables (derive.c). A failed load leaves the index as it
 * was before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/load.h"
#include "argtrace/atr_frames.h"

/* ---- after a log ---- */

/* Durations of unfinished calls (up to the last time seen in their log); time range. */
static void finish_file(atr_index *ix, uint32_t file) {
    atr__file *f = &ix->files[file];
    uint64_t a = f->first_call, b = a + f->info.n_calls;
    for (uint64_t i = a; i < b; i++) {
        atr__call *c = &ix->calls[i];
        if (c->status == ATR_CALL_UNFINISHED) {
            c->dur = f->info.t_last > c->start ? f->info.t_last - c->start : 0;
            ix->n_unfinished++;
        }
        if (c->start < ix->t_min || ix->t_min == 0)
            ix->t_min = c->start;
    }
    if (f->info.t_last > ix->t_max)
        ix->t_max = f->info.t_last;
    if (f->info.n_unknown_spans)
        f->info.flags |= ATR_FILE_UNKNOWN_SPANS;
}

/* Link calls whose parent span lives in another log, once that log is loaded. */
static void resolve_pending(atr_index *ix) {
    uint64_t keep = 0;
    for (uint64_t i = 0; i < ix->n_pending; i++) {
        atr__pending p = ix->pending[i];
        uint32_t target = ATR_NO_CALL;
        for (uint32_t f = 0; f < ix->n_files; f++) {
            if (ix->files[f].info.uid == p.uid) {
                target = atr__span_call(ix, f, p.span);
                break;
            }
        }
        if (target != ATR_NO_CALL) {
            ix->calls[p.call].parent = target;
            ix->calls[target].flags |= ATR__CF_XCHILD;
        } else
            ix->pending[keep++] = p;
    }
    ix->n_pending = keep;
    for (uint32_t f = 0; f < ix->n_files; f++) {
        atr_file_info *fi = &ix->files[f].info;
        fi->parent_file = ATR_NO_FILE;
        fi->parent_call = ATR_NO_CALL;
        if (!fi->parent_uid)
            continue;
        for (uint32_t g = 0; g < ix->n_files; g++) {
            if (ix->files[g].info.uid == fi->parent_uid && g != f) {
                fi->parent_file = g;
                if (fi->parent_span)
                    fi->parent_call = atr__span_call(ix, g, fi->parent_span);
                break;
            }
        }
    }
}

/* Give back unused capacity after a load (large blocks shrink in place). */
static void shrink(atr_index *ix) {
    if (ix->n_calls && ix->n_calls < ix->cap_calls) {
        void *p = realloc(ix->calls, (size_t)ix->n_calls * sizeof(atr__call));
        if (p) {
            ix->calls = p;
            ix->cap_calls = ix->n_calls;
        }
    }
    if (ix->n_argv && ix->n_argv < ix->cap_argv) {
        void *p = realloc(ix->argv, (size_t)ix->n_argv * sizeof(uint32_t));
        if (p) {
            ix->argv = p;
            ix->cap_argv = ix->n_argv;
        }
    }
}

static void rollback(load_state *st) {
    atr_index *ix = st->ix;
    for (uint32_t t = st->n_threads0; t < ix->n_threads; t++)
        free(ix->threads[t].seq2call);
    ix->n_threads = st->n_threads0;
    ix->n_calls = st->n_calls0;
    ix->n_argv = st->n_argv0;
    ix->n_msgs = st->n_msgs0;
    ix->n_mfields = st->n_mfields0;
    ix->n_pending = st->n_pending0;
    ix->n_susp = st->n_susp0;
    ix->n_adopt = st->n_adopt0;
    if (ix->n_funcs != st->n_funcs0) {
        for (uint32_t i = st->n_funcs0; i < ix->n_funcs; i++)
            free(ix->funcs[i].params);
        ix->n_funcs = st->n_funcs0;
        atr__fslots_rebuild(ix, ix->fmask + 1); /* same size: cannot need more memory... */
    }
    atr__u32map_free(&ix->files[st->file].thread_map);
    ix->n_files = st->file;
}

uint64_t atr__index_mem_bytes(const atr_index *ix) {
    uint64_t m = ix->cap_calls * sizeof(atr__call) + ix->cap_argv * 4u +
                 atr__values_mem(&ix->vals) + ix->cap_msgs * sizeof(atr__msg) +
                 ix->cap_mfields * 4u + ix->arena.total + (uint64_t)ix->n_calls * 4u +
                 (uint64_t)ix->cap_funcs * sizeof(atr__func) + ix->cap_adopt * sizeof(atr__adopt);
    for (uint32_t i = 0; i < ix->n_threads; i++)
        m += ix->threads[i].n_seq * 4u;
    return m;
}

/* Records read between two checks of the index's size against its budget. */
#define BUDGET_EVERY 1024u

/*
 * Set this thread's budget from the index's size now (plus what deriving will take: the
 * per-function and per-call message lists, a few words per call) and the load's own tables
 * (st: the threads' running calls). 0, or ATR_ETOOBIG.
 */
static int budget_check(atr_index *ix, const load_state *st) {
    uint64_t need = atr__index_mem_bytes(ix) + (ix->n_calls + ix->n_msgs) * 12u + (64u << 10) +
                    atr__run_mem(st);
    if (!ix->max_memory) {
        atr__budget_left = UINT64_MAX;
        return 0;
    }
    if (atr__budget_hit || need > ix->max_memory) {
        atr__budget_hit = 1;
        atr__budget_left = 0;
        return ATR_ETOOBIG;
    }
    atr__budget_left = ix->max_memory - need;
    return 0;
}

/* Control characters of ix->err (a file name's newline...) as \xNN: the message stays one
   line and cannot drive a terminal. */
static void err_escape(atr_index *ix) {
    char out[sizeof(ix->err)];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)ix->err; *p && o + 5 < sizeof out; p++) {
        if (*p < 0x20 || *p == 0x7f)
            o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", *p);
        else
            out[o++] = (char)*p;
    }
    out[o] = '\0';
    memcpy(ix->err, out, o + 1);
}

static void budget_message(atr_index *ix, const char *name) {
    double m = (double)ix->max_memory;
    const char *unit = m >= 1024.0 * 1024 * 1024 ? "GiB" : m >= 1024.0 * 1024 ? "MiB" : "KiB";
    m /= unit[0] == 'G' ? 1024.0 * 1024 * 1024 : unit[0] == 'M' ? 1024.0 * 1024 : 1024.0;
    snprintf(ix->err, sizeof(ix->err),
             "%s: analysing this log needs more than the memory limit of %.1f %s (raise it "
             "with the viewer's --max-memory or argtrace.load(max_memory=...))",
             name, m, unit);
}

uint64_t atr_index_frames_read(const atr_index *ix) { return ix ? ix->frames_read : 0; }

/* Load the files of one process (one file, or a rotated log's files in part order). */
static int load(atr_index *ix, atr_reader *const *rs, const char *const *names, uint32_t n_parts,
                uint32_t first_part) {
    int from_reader = 0; /* the error is the reader's: use its message */
    const char *name = names[0];
    atr_reader *r = rs[0];
    uint32_t part = 0;
    load_state st;
    memset(&st, 0, sizeof(st));
    st.ix = ix;
    st.n_calls0 = ix->n_calls;
    st.n_argv0 = ix->n_argv;
    st.n_msgs0 = ix->n_msgs;
    st.n_mfields0 = ix->n_mfields;
    st.n_pending0 = ix->n_pending;
    st.n_susp0 = ix->n_susp;
    st.n_adopt0 = ix->n_adopt;
    st.n_funcs0 = ix->n_funcs;
    st.n_threads0 = ix->n_threads;
    ix->err[0] = '\0';
    atr__budget_hit = 0;
    int rc = budget_check(ix, &st);
    if (rc)
        goto nomem;
    uint64_t cap = ix->cap_files;
    rc = atr__grow((void **)&ix->files, &cap, (uint64_t)ix->n_files + 1, sizeof(atr__file));
    if (rc)
        goto nomem;
    ix->cap_files = (uint32_t)cap;
    st.file = ix->n_files++;
    atr__file *file = &ix->files[st.file];
    memset(file, 0, sizeof(*file));
    file->first_call = (uint32_t)ix->n_calls;
    file->first_thread = ix->n_threads;
    file->info.path = atr__arena_strdup(&ix->arena, name, strlen(name));
    file->info.parent_file = ATR_NO_FILE;
    file->info.parent_call = ATR_NO_CALL;
    file->info.sample_rate = 1.0;
    file->info.n_parts = n_parts;
    file->info.first_part = first_part;
    if (first_part)
        file->info.flags |= ATR_FILE_PARTS_MISSING;
    if (!file->info.path) {
        rc = ATR_ENOMEM;
        goto fail;
    }
    if (ix->stream)
        atr__stream_begin(ix);
    if (ix->stream && (rc = atr__stream_select(&st, r, n_parts)) != 0)
        goto fail;
    for (uint32_t i = 0; ix->stream && i < n_parts; i++)
        if ((rc = atr__stream_want(ix, rs[i])) != 0)
            goto fail;
    atr_record rec;
    uint64_t done, total, next_report = 0;
    for (;;) {
        rc = atr_reader_next(r, &rec);
        if ((rc == ATR_EOF || rc == ATR_ETRUNCATED) && part + 1 < n_parts) {
            ix->frames_read += atr_reader_frames_read(r);
            if (rc == ATR_ETRUNCATED) /* a file of the set lost its tail: go on to the next */
                ix->files[st.file].info.flags |= ATR_FILE_TRUNCATED;
            r = rs[++part];
            name = names[part];
            next_report = 0;
            continue;
        }
        if (rc) {
            from_reader = 1;
            break;
        }
        rc = ix->stream ? atr__stream_record(&st, &rec) : atr__on_record(&st, &rec);
        if (rc)
            break;
        if ((st.n_records % BUDGET_EVERY) == 0 && (rc = budget_check(ix, &st)) != 0)
            break;
        if (ix->progress && (st.n_records & 4095) == 0) {
            atr_reader_progress(r, &done, &total);
            if (done >= next_report) {
                ix->progress(ix->progress_ctx, done, total);
                next_report = done + (256u << 10);
            }
        }
    }
    file = &ix->files[st.file];
    ix->frames_read += atr_reader_frames_read(r);
    if (rc == ATR_ETRUNCATED) {
        file->info.flags |= ATR_FILE_TRUNCATED;
        rc = ATR_EOF;
    }
    if (rc != ATR_EOF)
        goto fail;
    if ((rc = budget_check(ix, &st)) != 0)
        goto fail;
    if (!atr_reader_closed_cleanly(r))
        file->info.flags |= ATR_FILE_UNCLOSED;
    if (ix->stream && (rc = atr__stream_close(&st)) != 0)
        goto fail;
    if (file->paused) { /* paused up to the end */
        file->info.paused_ns +=
            file->info.t_last > file->pause_start ? file->info.t_last - file->pause_start : 0;
        file->paused = 0;
    }
    finish_file(ix, st.file);
    if ((rc = atr__susp_close(&st, file->info.t_last)) != 0)
        goto fail;
    atr__susp_finish(ix, st.n_susp0);
    atr__adopt_finish(ix, st.n_adopt0);
    if (ix->compensate && (rc = atr__compensate_file(ix, st.file, st.n_msgs0)) != 0)
        goto fail;
    resolve_pending(ix);
    if ((rc = atr__index_derive(ix, st.n_calls0)) != 0)
        goto fail;
    shrink(ix);
    if (ix->progress) {
        atr_reader_progress(r, &done, &total);
        ix->progress(ix->progress_ctx, total, total);
    }
    rc = 0;
    goto out;
nomem:
    if (atr__budget_hit) {
        rc = ATR_ETOOBIG;
        budget_message(ix, name);
    } else {
        snprintf(ix->err, sizeof(ix->err), "%s: %s", name, atr_strerror(rc));
    }
    goto out;
fail:
    if (atr__budget_hit) { /* a helper refused (its caller said ATR_ENOMEM), or the check */
        rc = ATR_ETOOBIG;
        budget_message(ix, name);
        atr__budget_left = UINT64_MAX; /* rolling back needs what it needs */
    }
    if (from_reader && rc != ATR_ENOMEM)
        snprintf(ix->err, sizeof(ix->err), "%s: %s", name, atr_reader_error(r));
    if (!ix->err[0] || rc == ATR_ENOMEM)
        snprintf(ix->err, sizeof(ix->err), "%s: %s", name, atr_strerror(rc));
    rollback(&st);
    atr__index_derive(ix, ix->n_calls); /* no fresh calls: reset every list */
    if (ix->stream)
        atr__stream_break(ix->stream);
out:
    for (uint64_t i = 0; i < st.n_fns; i++)
        free(st.fns[i].params);
    free(st.fns);
    atr__u32map_free(&st.fnmap);
    atr__u32map_free(&st.susp_map);
    atr__run_free(&st);
    free(st.argbuf);
    atr__budget_left = UINT64_MAX;
    atr__budget_hit = 0;
    err_escape(ix);
    return rc;
}

/* ---- public ---- */

int atr_index_open(atr_index **out) {
    if (!out)
        return ATR_EINVAL;
    atr_index *ix = calloc(1, sizeof(*ix));
    if (!ix)
        return ATR_ENOMEM;
    ix->max_memory = ATR_INDEX_MAX_MEMORY_DEFAULT;
    *out = ix;
    return 0;
}

void atr_index_free(atr_index *ix) {
    if (!ix)
        return;
    for (uint32_t i = 0; i < ix->n_funcs; i++)
        free(ix->funcs[i].params);
    for (uint32_t i = 0; i < ix->n_threads; i++)
        free(ix->threads[i].seq2call);
    for (uint32_t i = 0; i < ix->n_files; i++)
        atr__u32map_free(&ix->files[i].thread_map);
    free(ix->calls);
    free(ix->argv);
    atr__values_free(&ix->vals);
    free(ix->funcs);
    free(ix->fslots);
    free(ix->threads);
    free(ix->files);
    free(ix->msgs);
    free(ix->mfields);
    free(ix->pending);
    free(ix->susp);
    free(ix->adopt);
    free(ix->fn_off);
    free(ix->fn_calls);
    free(ix->msg_off);
    free(ix->msg_ids);
    atr__stream_free(ix->stream);
    atr__arena_free(&ix->arena);
    free(ix);
}

void atr_index_set_max_memory(atr_index *ix, uint64_t bytes) {
    if (ix)
        ix->max_memory = bytes;
}

void atr_index_set_compensate(atr_index *ix, int on) {
    if (ix)
        ix->compensate = on != 0;
}

void atr_index_set_progress(atr_index *ix, atr_progress_fn fn, void *ctx) {
    if (!ix)
        return;
    ix->progress = fn;
    ix->progress_ctx = ctx;
}

/* The reader's one-line reason (errbuf), or the code's message when it gave none. */
static int open_failed(atr_index *ix, const char *name, int rc, const char *why) {
    snprintf(ix->err, sizeof(ix->err), "%s: %s", name, why && *why ? why : atr_strerror(rc));
    err_escape(ix);
    return rc;
}

int atr_index_load(atr_index *ix, const char *path) {
    if (!ix || !path)
        return ATR_EINVAL;
    struct stat sb;
    int known = stat(path, &sb) == 0;
    for (uint32_t f = 0; known && f < ix->n_files; f++) {
        const atr__file *same = &ix->files[f];
        if (same->ino && same->dev == (uint64_t)sb.st_dev && same->ino == (uint64_t)sb.st_ino) {
            snprintf(ix->err, sizeof(ix->err), "%s: the same log as %s (the same file)", path,
                     same->info.path);
            return ATR_EINVAL;
        }
    }
    atr_reader *r = NULL;
    char why[200] = "";
    int rc = atr_reader_open_errbuf(path, &r, why, sizeof why);
    if (rc)
        return open_failed(ix, path, rc, why);
    rc = load(ix, &r, &path, 1, 0);
    atr_reader_close(r);
    if (rc == 0 && known) {
        ix->files[ix->n_files - 1].dev = (uint64_t)sb.st_dev;
        ix->files[ix->n_files - 1].ino = (uint64_t)sb.st_ino;
    }
    return rc;
}

int atr_index_load_mem(atr_index *ix, const void *data, size_t len, const char *name) {
    if (!ix || (!data && len))
        return ATR_EINVAL;
    if (!name)
        name = "(memory)";
    atr_reader *r = NULL;
    int rc = atr_reader_open_mem(data, len, &r);
    if (rc)
        return open_failed(ix, name, rc, NULL);
    rc = load(ix, &r, &name, 1, 0);
    atr_reader_close(r);
    return rc;
}

int atr__index_load_parts(atr_index *ix, const char *const *paths, uint32_t n,
                          uint32_t first_part) {
    atr_reader **rs;
    uint32_t i;
    int rc = 0;
    if (n == 1)
        return atr_index_load(ix, paths[0]);
    if (!(rs = calloc(n, sizeof *rs)))
        return ATR_ENOMEM;
    for (i = 0; i < n && rc == 0; i++) {
        char why[200] = "";
        if ((rc = atr_reader_open_errbuf(paths[i], &rs[i], why, sizeof why)) != 0)
            rc = open_failed(ix, paths[i], rc, why);
    }
    if (rc == 0)
        rc = load(ix, rs, paths, n, first_part);
    for (i = 0; i < n; i++)
        atr_reader_close(rs[i]);
    free(rs);
    return rc;
}

const char *atr_index_error(const atr_index *ix) { return ix ? ix->err : ""; }
