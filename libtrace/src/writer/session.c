/*
 * Sessions: configuration, open/close, flush requests, function definitions and counters.
 * The hot path lives in thread.c, the background writer in flusher.c, the buffer pool in
 * bufpool.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "writer/writer_internal.h"

void atr_writer_config_init(atr_writer_config *cfg) {
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->size = sizeof *cfg;
    cfg->flush_interval_ms = 100;
    cfg->buffer_size = 128u << 10;
    cfg->max_pending_bytes = 8u << 20;
    cfg->zstd_level = 1; /* docs/benchmarks.md: the best bytes-for-CPU trade-off measured */
    cfg->max_value_bytes = 4096;
    cfg->fork_mode = ATR_FORK_FOLLOW;
    cfg->block_timeout_ms = 1000;
    cfg->sink_timeout_ms = 10000;
    cfg->sample_rate = 1.0;
}

int atr__clock_select(int clock_source, const char *env, const atr__tsc_probe *p) {
    if (env && *env) {
        if (strcmp(env, "auto") == 0)
            clock_source = ATR_CLOCK_AUTO;
        else if (strcmp(env, "tsc") == 0)
            clock_source = ATR_CLOCK_TSC;
        else
            clock_source = ATR_CLOCK_MONOTONIC; /* "monotonic", or a value we do not know */
    }
    if (clock_source == ATR_CLOCK_TSC && p->invariant)
        return ATR_CLOCK_TSC;
    if (clock_source == ATR_CLOCK_AUTO && p->invariant && p->kernel_tsc)
        return ATR_CLOCK_TSC;
    return ATR_CLOCK_MONOTONIC;
}

/* Decide the session clock (at open, before the first reading). */
static void clock_init(atr_session *s, const atr_writer_config *c) {
    atr__tsc_probe probe;
    if (c->clock) {
        s->clock_source = ATR_CLOCK_INJECTED;
        return;
    }
    atr__tsc_probe_machine(&probe);
    s->clock_source = atr__clock_select(c->clock_source, getenv("ARGTRACE_CLOCK"), &probe);
    if (s->clock_source == ATR_CLOCK_TSC)
        atr__tsc_begin(&s->tsc);
}

const char *atr_writer_config_problem(const atr_writer_config *c) {
    int i;
    if (!c)
        return "no configuration";
    if (!c->path || !*c->path)
        return "path must name the log file";
    if (c->flush_interval_ms < 1 || c->flush_interval_ms > 3600u * 1000u)
        return "flush_interval_ms must be from 1 to 3600000";
    if (c->buffer_size < ATR__BUFFER_MIN || c->buffer_size > ATR__BUFFER_MAX)
        return "buffer_size must be from 4096 to 4194304 bytes (4 KiB to 4 MiB)";
    if (c->max_pending_bytes < c->buffer_size)
        return "max_pending_bytes must be at least buffer_size";
    if (c->zstd_level < -7 || c->zstd_level > 22)
        return "zstd_level must be from -7 to 22";
    if (c->drop_when_full != 0 && c->drop_when_full != 1)
        return "drop_when_full must be 0 or 1";
    if (c->max_value_bytes > c->buffer_size / 4)
        return "max_value_bytes must be at most buffer_size / 4 (32768 with the default buffer)";
    if (c->fork_mode != ATR_FORK_FOLLOW && c->fork_mode != ATR_FORK_STOP)
        return "fork_mode must be ATR_FORK_FOLLOW or ATR_FORK_STOP";
    if (c->argc < 0 || (c->argc > 0 && !c->argv))
        return "argc must be 0, or argv must hold argc strings";
    for (i = 0; i < c->argc; i++)
        if (!c->argv[i])
            return "argv must hold argc strings";
    if (c->parent_span && !c->parent_uid)
        return "parent_span needs parent_uid";
    if (c->clock_source != ATR_CLOCK_AUTO && c->clock_source != ATR_CLOCK_MONOTONIC &&
        c->clock_source != ATR_CLOCK_TSC)
        return "clock_source must be ATR_CLOCK_AUTO, ATR_CLOCK_MONOTONIC or ATR_CLOCK_TSC";
    if (c->block_timeout_ms < 1 || c->block_timeout_ms > 3600u * 1000u)
        return "block_timeout_ms must be from 1 to 3600000";
    if (c->sink_timeout_ms < 1 || c->sink_timeout_ms > 3600u * 1000u)
        return "sink_timeout_ms must be from 1 to 3600000";
    if (!c->block_begin != !c->block_end)
        return "block_begin and block_end must be set together";
    return atr__rotate_problem(c);
}

/* PROCESS stays far below a frame: at most ARGV_MAX arguments of at most STR_MAX bytes. */
#define ARGV_MAX 1024
#define STR_MAX 4096
#define PATH_MAX_LEN 65536

static char *dup_str(const char *p, size_t max) {
    size_t n = strnlen(p, max);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

static void free_session(atr_session *s) {
    atr__thread *th, *tn;
    int i;
    if (!s)
        return;
    for (th = s->threads; th; th = tn) {
        tn = th->next;
        atr__thread_free(th);
    }
    atr__bufpool_free(s);
    for (i = 0; s->argv && i < s->cfg.argc; i++)
        free(s->argv[i]);
    free(s->argv);
    free(s->path);
    free(s->runtime);
    free(s->defs);
    free(s->def_end);
    atr__types_free(s);
    for (i = 0; i < (int)ATR__FUNC_BLOCKS && s->func_params[i]; i++)
        free(s->func_params[i]);
    atr__framer_free(s->framer);
    atr__flush_scratch_free(s->scratch);
    atr__sink_close(&s->sink);
    atr__sink_close(&s->prev);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->wake_cv);
    pthread_cond_destroy(&s->space_cv);
    pthread_cond_destroy(&s->done_cv);
    free(s);
}

int atr_session_open(const atr_writer_config *cfg, atr_session **out) {
    atr_session *s;
    atr_writer_config c;
    int rc, i;
    if (out)
        *out = NULL;
    if (!cfg || !out || cfg->size < offsetof(atr_writer_config, flush_interval_ms))
        return ATR_EINVAL;
    atr_writer_config_init(&c);
    memcpy(&c, cfg, cfg->size < sizeof c ? cfg->size : sizeof c);
    c.size = sizeof c;
    if (atr_writer_config_problem(&c))
        return ATR_EINVAL;
    s = calloc(1, sizeof *s);
    if (!s)
        return ATR_ENOMEM;
    s->sink.fd = -1;
    s->prev.fd = -1;
    atr__session_sync_init(s);
    s->cfg = c;
    s->cfg.argc = 0; /* until argv is copied (free_session reads it) */
    s->clock = c.clock;
    s->clock_ctx = c.clock_ctx;
    clock_init(s, &c);
    s->max_value_bytes = c.max_value_bytes;
    s->drop_when_full = c.drop_when_full;
    s->parent_uid = c.parent_uid;
    s->parent_span = c.parent_span;
    if (c.argc > ARGV_MAX)
        c.argc = ARGV_MAX;
    s->path = atr__path_absolute(c.path, PATH_MAX_LEN); /* a child that chdirs writes beside */
    s->runtime = dup_str(c.runtime ? c.runtime : "C", STR_MAX);
    s->argv = calloc((size_t)c.argc + 1, sizeof *s->argv);
    s->framer = atr__framer_new(c.zstd_level);
    rc = (!s->path || !s->runtime || !s->argv || !s->framer) ? ATR_ENOMEM : 0;
    for (i = 0; rc == 0 && i < c.argc; i++)
        if (!(s->argv[i] = dup_str(c.argv[i], STR_MAX)))
            rc = ATR_ENOMEM;
    s->cfg.argc = c.argc;
    s->cfg.path = s->path;
    s->cfg.argv = (const char *const *)s->argv;
    s->cfg.runtime = s->runtime;
    if (gethostname(s->host, sizeof s->host - 1) != 0)
        s->host[0] = '\0';
    s->uid = atr__random_uid();
    if (rc == 0)
        rc = atr__registry_add(s);
    if (rc != 0) {
        free_session(s);
        return rc;
    }
    s->clock_origin = atr__session_now(s);
    /* No empty log if killed now, and a fatal signal that arrives meanwhile is delivered
       once the flusher runs, which writes the log's tail for it (signals.c): unblocked
       before, the handler would find no flusher to wait for and leave the log unclosed. */
    atr__sigmask creating;
    atr__signals_block_creation(&creating);
    if ((rc = atr__sink_open(&s->sink, s->path)) == 0) {
        atr__sink_stream(&s->sink, c.sink_timeout_ms);
        atr__rotate_open(s);
    }
    if (rc == 0)
        rc = atr__session_write_process(s);
    if (rc == 0)
        rc = atr__flusher_start(s);
    atr__signals_unblock(&creating);
    if (rc != 0) {
        int saved = errno;
        atr__registry_remove(s);
        free_session(s);
        errno = saved;
        return rc;
    }
    *out = s;
    return 0;
}

int atr__session_write_tail(atr_session *s) {
    uint8_t tail[128];
    atr__cur c = atr__cur_make(tail, 0, sizeof tail);
    atr_drop_stats d;
    atr__seg seg;
    atr__session_drops(s, &d);
    atr__enc_drops(&c, &d);
    atr__enc_end_of_log(&c, atr__session_now(s));
    seg.ptr = tail;
    seg.len = c.pos;
    int full = atr__sink_last_chance(&s->sink); /* disk full: the tail may still fit */
    if (atr__write_segments(s, &seg, 1) == ATR_ENOMEM)
        atomic_fetch_add(&s->n_write_errors, 1);
    int rc = s->sink.err ? s->sink.err : full;
    atr__findex_finish(&s->sink); /* the footer (format 1.3): a reader can do without */
    return rc;
}

int atr_session_close(atr_session *s) {
    int rc = 0;
    if (!s)
        return 0;
    atr__registry_remove(s);
    if (atomic_load(&s->blocked) == ATR__RUNNING) {
        if (atr__flusher_stop(s) != 0) /* final cycle: everything recorded so far */
            return ATR_EIO;            /* stuck in a write: the flusher keeps the session */
        if (!s->ended) /* (the flusher wrote it for a fatal signal, which this outran) */
            rc = atr__session_write_tail(s);
        atr__rotate_close(s);
    }
    free_session(s);
    return rc;
}

/* Writer functions other than the hot path call this first: resume after a fork. */
static int usable(atr_session *s) {
    int st = atomic_load_explicit(&s->blocked, memory_order_acquire);
    if (st == ATR__RUNNING)
        return 0;
    return st == ATR__FORKED ? atr__session_resume(s) : ATR_ESTATE;
}

int atr_session_flush(atr_session *s) {
    uint64_t req;
    int rc;
    if (!s)
        return ATR_EINVAL;
    if ((rc = usable(s)) != 0)
        return rc;
    atr__mu_lock(s);
    atr__flusher_unpark(s); /* stopped for a fork (atr_flushers_pause) */
    req = ++s->flush_req;
    pthread_cond_signal(&s->wake_cv);
    rc = atr__flusher_wait(s, req);
    if (rc == 0)
        rc = s->write_err;
    atr__mu_unlock(s);
    return rc;
}

const char *atr_session_path(const atr_session *s) { return s ? s->path : NULL; }

uint64_t atr_session_uid(const atr_session *s) { return s ? s->uid : 0; }

uint64_t atr_session_now(const atr_session *s) { return s ? atr__session_now(s) : 0; }

int atr_session_clock_source(const atr_session *s) { return s ? s->clock_source : ATR_CLOCK_AUTO; }

int atr_session_clock_calibrated(const atr_session *s) {
    return s && s->clock_source == ATR_CLOCK_TSC &&
           atomic_load_explicit(&s->tsc.cur, memory_order_acquire) != 0;
}

int atr_session_drops(const atr_session *s, atr_drop_stats *out) {
    if (!s || !out)
        return ATR_EINVAL;
    atr__session_drops(s, out);
    return 0;
}

void atr_session_count_capture_error(atr_session *s) {
    if (s)
        atomic_fetch_add_explicit(&s->n_capture_errors, 1, memory_order_relaxed);
}

static int check_str(atr_str v) { return v.ptr || !v.len; }

int atr_session_write_calibration(atr_session *s, const atr_calibration *k) {
    return atr_session_write_calibration_model(s, k, NULL);
}

int atr_session_write_calibration_model(atr_session *s, const atr_calibration *k,
                                        const atr_calibration_model *m) {
    uint8_t rec[256];
    atr__cur c = atr__cur_make(rec, 0, sizeof rec);
    int rc;
    if (!s || !k || !check_str(k->mechanism) || k->inner_ns > k->call_ns)
        return ATR_EINVAL;
#define CAL_OR(key) | m->key
    if (m && (0 ATR_CALIBRATION_MODEL_KEYS(CAL_OR)) > UINT32_MAX)
        return ATR_EINVAL;
#undef CAL_OR
    if (k->mechanism.len > 32)
        return ATR_ENOMEM;
    if ((rc = usable(s)) != 0)
        return rc;
    atr__enc_calibration(&c, k, m);
    pthread_mutex_lock(&s->mu);
    if (!atr__cur_ok(&c) || s->calib_len + c.pos > sizeof s->calib) {
        rc = ATR_ENOMEM;
    } else {
        memcpy(s->calib + s->calib_len, rec, c.pos);
        s->calib_len += c.pos;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int atr_session_define_function(atr_session *s, const atr_function_info *info, uint32_t *id_out) {
    atr__cur c = atr__cur_make(NULL, 0, 0);
    uint32_t i, id;
    int rc;
    if (!s || !info || !id_out || (info->n_params && !info->params) || !check_str(info->module) ||
        !check_str(info->qualname) || !check_str(info->file))
        return ATR_EINVAL;
    for (i = 0; i < info->n_params; i++)
        if (!check_str(info->params[i]))
            return ATR_EINVAL;
    if ((rc = usable(s)) != 0)
        return rc;
    atr__mu_lock(s);
    id = atomic_load_explicit(&s->n_funcs, memory_order_relaxed);
    atr__enc_function(&c, id, info); /* size pass */
    if (c.pos > ATR__DEF_MAX || id >= ATR__FUNC_BLOCK * ATR__FUNC_BLOCKS) {
        rc = ATR_EINVAL;
        goto out;
    }
    if (!s->func_params[id / ATR__FUNC_BLOCK] &&
        !(s->func_params[id / ATR__FUNC_BLOCK] = malloc(ATR__FUNC_BLOCK * sizeof(uint32_t)))) {
        rc = ATR_ENOMEM;
        goto out;
    }
    if ((rc = atr__defs_reserve(s, c.pos)) != 0)
        goto out;
    c = atr__cur_make(s->defs, s->defs_len, s->defs_cap);
    atr__enc_function(&c, id, info);
    atr__defs_commit(s, c.pos);
    s->func_params[id / ATR__FUNC_BLOCK][id % ATR__FUNC_BLOCK] = info->n_params;
    atomic_store_explicit(&s->n_funcs, id + 1, memory_order_release);
    *id_out = id;
out:
    atr__mu_unlock(s);
    return rc;
}
