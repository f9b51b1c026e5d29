/*
 * speedscope JSON (see export.h; https://www.speedscope.app/file-format-schema.json): the
 * functions are the shared frames (name "module.qualname", file, line), each thread of each
 * process an "evented" profile in nanoseconds from the first event of the logs (as the
 * chrome export counts), its calls frames that open and close at their running intervals
 * (running.h: a generator or coroutine that suspended opens once per step, on the thread
 * that ran it, on top of whatever was running there; the events always nest).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "json.h"
#include "json_call.h"
#include "load.h"
#include "running.h"
#include "strbuf.h"

typedef struct sscope {
    const atr_index *ix;
    atr_index_info info;
    uint8_t *inc; /* owned: 1 for the calls written (NULL: every call) */
    atr__run *iv; /* owned: their running intervals (running.h) */
    size_t n_iv;
} sscope;

/* s->inc: the subtrees of the matches and their ancestors (keep: export.h). */
static int select_calls(sscope *s, const uint8_t *keep) {
    uint64_t n = s->info.n_calls;
    if (!keep)
        return 0;
    uint8_t *under = calloc(n ? n : 1, 1); /* 0 unknown, 1 in a match's subtree, 2 not */
    uint32_t *path = NULL;
    size_t cap = 0;
    s->inc = calloc(n ? n : 1, 1);
    if (!under || !s->inc) {
        free(under);
        return -1;
    }
    for (uint64_t c = 0; c < n; c++) {
        size_t len = 0;
        uint8_t st = 2;
        for (uint32_t k = (uint32_t)c; k != ATR_NO_CALL && k < n && len < n; len++) {
            atr_call_view cv;
            if (under[k] || keep[k] == ATR__EXPORT_MATCH) {
                st = under[k] ? under[k] : 1;
                break;
            }
            if (atr__grow_buf((void **)&path, &cap, len + 1, sizeof *path) < 0) {
                free(under);
                free(path);
                return -1;
            }
            path[len] = k;
            k = atr_index_call(s->ix, k, &cv) == 0 ? cv.parent : ATR_NO_CALL;
        }
        under[c] = keep[c] == ATR__EXPORT_MATCH ? 1 : under[c];
        for (size_t i = 0; i < len; i++)
            under[path[i]] = st;
        s->inc[c] = under[c] == 1 || keep[c];
    }
    free(under);
    free(path);
    return 0;
}

static uint32_t fn_of(const sscope *s, uint32_t call) {
    atr_call_view cv;
    return atr_index_call(s->ix, call, &cv) == 0 ? cv.function : 0;
}

static void frames(sscope *s, atr__json *j) {
    atr__json_key(j, "shared");
    atr__json_obj_begin(j);
    atr__json_key(j, "frames");
    atr__json_arr_begin(j);
    for (uint32_t fn = 0; fn < s->info.n_functions; fn++) {
        atr_function_view fv;
        atr__json_obj_begin(j);
        atr__json_funcname(j, "name", s->ix, fn);
        if (atr_index_function(s->ix, fn, &fv) == 0 && fv.file.len) {
            atr__json_key(j, "file");
            atr__json_str(j, fv.file.ptr, fv.file.len);
            if (fv.line)
                atr__json_kuint(j, "line", fv.line);
        }
        atr__json_obj_end(j);
    }
    atr__json_arr_end(j);
    atr__json_obj_end(j);
}

/* "program (pid N): thread name", after "log: " with several logs */
static void profile_name(sscope *s, atr__json *j, uint32_t thread) {
    atr_thread_view tv;
    atr_file_info fi;
    atr__sbuf sb = ATR__SBUF_INIT;
    if (atr_index_thread(s->ix, thread, &tv) == 0 && atr_index_file(s->ix, tv.file, &fi) == 0) {
        if (s->info.n_files > 1)
            atr__sb_printf(&sb, "%s: ", fi.path);
        if (fi.argc > 0)
            atr__sb_add(&sb, fi.argv[0].ptr, fi.argv[0].len);
        else
            atr__sb_puts(&sb, fi.path);
        atr__sb_printf(&sb, " (pid %" PRId64 "): ", fi.pid);
        if (tv.name.len)
            atr__sb_add(&sb, tv.name.ptr, tv.name.len);
        else
            atr__sb_printf(&sb, "thread %" PRIu32, tv.number);
    }
    atr__json_key(j, "name");
    atr__json_str(j, atr__sb_cstr(&sb), sb.oom ? 0 : sb.len);
    atr__sb_free(&sb);
}

static void event(atr__json *j, const char *type, uint64_t at, uint32_t frame) {
    atr__json_obj_begin(j);
    atr__json_kstr(j, "type", type);
    atr__json_kuint(j, "frame", frame);
    atr__json_kuint(j, "at", at);
    atr__json_obj_end(j);
}

/* The profile of the intervals iv[0..n) (one thread, sorted and nested). */
static int profile(sscope *s, atr__json *j, const atr__run *iv, size_t n) {
    uint64_t t0 = s->info.t_min, end = iv[0].open;
    atr__run *stack = malloc(n * sizeof *stack);
    size_t depth = 0;
    if (!stack)
        return -1;
    for (size_t i = 0; i < n; i++)
        end = iv[i].close > end ? iv[i].close : end;
    atr__json_obj_begin(j);
    atr__json_kstr(j, "type", "evented");
    profile_name(s, j, iv[0].thread);
    atr__json_kstr(j, "unit", "nanoseconds");
    atr__json_kuint(j, "startValue", iv[0].open - t0);
    atr__json_kuint(j, "endValue", end - t0);
    atr__json_key(j, "events");
    atr__json_arr_begin(j);
    for (size_t i = 0; i <= n; i++) {
        while (depth > 0 && (i == n || stack[depth - 1].close <= iv[i].open)) {
            depth--;
            event(j, "C", stack[depth].close - t0, fn_of(s, stack[depth].call));
        }
        if (i == n)
            break;
        stack[depth++] = iv[i]; /* nested (running.h) */
        event(j, "O", iv[i].open - t0, fn_of(s, iv[i].call));
    }
    atr__json_arr_end(j);
    atr__json_obj_end(j);
    free(stack);
    return 0;
}

static int write_json(sscope *s, FILE *out) {
    atr__json j;
    atr__json_init(&j, out, 3);
    atr__json_obj_begin(&j);
    atr__json_kstr(&j, "$schema", "https://www.speedscope.app/file-format-schema.json");
    atr__sbuf sb = ATR__SBUF_INIT;
    for (uint32_t f = 0; f < s->info.n_files; f++) {
        atr_file_info fi;
        if (atr_index_file(s->ix, f, &fi) == 0)
            atr__sb_printf(&sb, "%s%s", f ? ", " : "", fi.path);
    }
    atr__json_key(&j, "name");
    atr__json_str(&j, atr__sb_cstr(&sb), sb.oom ? 0 : sb.len);
    atr__sb_free(&sb);
    char tool[64];
    snprintf(tool, sizeof tool, "argtrace %s", atr_version());
    atr__json_kstr(&j, "exporter", tool);
    atr__json_kuint(&j, "activeProfileIndex", 0);
    frames(s, &j);
    atr__json_key(&j, "profiles");
    atr__json_arr_begin(&j);
    int rc = 0;
    for (size_t i = 0, k; i < s->n_iv && rc == 0 && !ferror(out); i = k) {
        for (k = i + 1; k < s->n_iv && s->iv[k].thread == s->iv[i].thread; k++)
            ;
        rc = profile(s, &j, s->iv + i, k - i);
    }
    atr__json_arr_end(&j);
    atr__json_obj_end(&j);
    atr__json_end_line(&j);
    return rc;
}

int atr__export_speedscope(const atr_index *ix, const uint8_t *keep, uint64_t budget, FILE *out) {
    sscope s;
    memset(&s, 0, sizeof s);
    s.ix = ix;
    atr_index_get_info(ix, &s.info);
    uint64_t sel = keep ? 2 * (s.info.n_calls + 1) : 0; /* select_calls' two maps */
    if (budget && sel >= budget)
        return ATR_ETOOBIG;
    int rc = select_calls(&s, keep);
    if (rc == 0)
        rc = atr__running(ix, s.inc, budget ? budget - sel : 0, &s.iv, &s.n_iv);
    if (rc == 0)
        rc = write_json(&s, out);
    free(s.inc);
    free(s.iv);
    return rc == ATR_ETOOBIG ? rc : rc < 0 ? ATR_ENOMEM : ferror(out) ? ATR_EIO : 0;
}
