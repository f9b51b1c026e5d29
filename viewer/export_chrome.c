/*
 * Chrome trace-event JSON (see export.h), as Perfetto UI and chrome://tracing read it:
 * {"traceEvents": [...], "displayTimeUnit": "ns"}. Calls are "X" (complete) events with
 * ts/dur in microseconds from the first event, pid = process id, tid = OS thread id, one per
 * running interval (running.h: a generator or coroutine that suspended has one per step, on
 * the thread that ran it, so that the events of a thread nest); messages are thread-scoped
 * "i" events; "M" events name processes and threads.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "export.h"
#include "json_call.h"
#include "load.h"
#include "running.h"
#include "strbuf.h"

typedef struct chrome {
    const atr_index *ix;
    const uint8_t *keep; /* export.h; NULL: everything */
    atr__json j;
    uint64_t t0;
} chrome;

static void pid_tid(chrome *c, uint32_t thread, int64_t *pid, uint64_t *tid) {
    atr_thread_view tv;
    atr_file_info fi;
    *pid = 0;
    *tid = thread;
    if (atr_index_thread(c->ix, thread, &tv) < 0)
        return;
    if (atr_index_file(c->ix, tv.file, &fi) == 0)
        *pid = fi.pid;
    *tid = tv.os_tid ? tv.os_tid : tv.number;
}

static void event_head(chrome *c, const char *ph, uint32_t thread, uint64_t t_ns) {
    int64_t pid;
    uint64_t tid;
    pid_tid(c, thread, &pid, &tid);
    atr__json_obj_begin(&c->j);
    atr__json_kstr(&c->j, "ph", ph);
    atr__json_kint(&c->j, "pid", pid);
    atr__json_kuint(&c->j, "tid", tid);
    atr__json_key(&c->j, "ts");
    atr__json_fixed(&c->j, t_ns - c->t0, 1000, 3);
}

static void metadata(chrome *c) {
    atr_index_info info;
    atr_index_get_info(c->ix, &info);
    for (uint32_t f = 0; f < info.n_files; f++) {
        atr_file_info fi;
        if (atr_index_file(c->ix, f, &fi) < 0)
            continue;
        atr__sbuf sb = ATR__SBUF_INIT;
        if (fi.argc > 0)
            atr__sb_add(&sb, fi.argv[0].ptr, fi.argv[0].len);
        else
            atr__sb_puts(&sb, fi.path);
        atr__sb_printf(&sb, " (pid %" PRId64 ")", fi.pid);
        atr__json_obj_begin(&c->j);
        atr__json_kstr(&c->j, "ph", "M");
        atr__json_kstr(&c->j, "name", "process_name");
        atr__json_kint(&c->j, "pid", fi.pid);
        atr__json_kuint(&c->j, "tid", 0);
        atr__json_key(&c->j, "args");
        atr__json_obj_begin(&c->j);
        atr__json_key(&c->j, "name");
        atr__json_str(&c->j, sb.ptr, sb.len);
        atr__json_obj_end(&c->j);
        atr__json_obj_end(&c->j);
        atr__sb_free(&sb);
    }
    for (uint32_t t = 0; t < info.n_threads; t++) {
        atr_thread_view tv;
        int64_t pid;
        uint64_t tid;
        if (atr_index_thread(c->ix, t, &tv) < 0)
            continue;
        pid_tid(c, t, &pid, &tid);
        atr__json_obj_begin(&c->j);
        atr__json_kstr(&c->j, "ph", "M");
        atr__json_kstr(&c->j, "name", "thread_name");
        atr__json_kint(&c->j, "pid", pid);
        atr__json_kuint(&c->j, "tid", tid);
        atr__json_key(&c->j, "args");
        atr__json_obj_begin(&c->j);
        atr__json_key(&c->j, "name");
        if (tv.name.len)
            atr__json_str(&c->j, tv.name.ptr, tv.name.len);
        else
            atr__json_cstr(&c->j, tv.number == 0 ? "main" : "thread");
        atr__json_obj_end(&c->j);
        atr__json_obj_end(&c->j);
    }
}

static void call_event(chrome *c, const atr__run *run) {
    atr_call_view cv;
    uint32_t call = run->call;
    if (atr_index_call(c->ix, call, &cv) < 0)
        return;
    event_head(c, "X", run->thread, run->open);
    atr__json_key(&c->j, "dur");
    atr__json_fixed(&c->j, run->close - run->open, 1000, 3);
    atr__json_funcname(&c->j, "name", c->ix, cv.function);
    atr__json_kstr(&c->j, "cat", cv.status == ATR_CALL_UNFINISHED ? "unfinished" : "call");
    atr__json_key(&c->j, "args");
    atr__json_obj_begin(&c->j);
    atr__json_call_id(&c->j, "id", c->ix, call);
    atr__json_call_args(&c->j, c->ix, call);
    atr__json_call_outcome(&c->j, c->ix, &cv);
    atr__json_obj_end(&c->j);
    atr__json_obj_end(&c->j);
}

static void message_event(chrome *c, uint32_t msg) {
    atr_message_view mv;
    if (atr_index_message(c->ix, msg, &mv) < 0 ||
        (c->keep && (mv.call == ATR_NO_CALL || !c->keep[mv.call])))
        return;
    event_head(c, "i", mv.thread, mv.time_ns);
    atr__json_kstr(&c->j, "s", "t");
    atr__json_key(&c->j, "name");
    atr__json_str(&c->j, mv.text.ptr, mv.text.len);
    atr__json_kstr(&c->j, "cat", "message");
    atr__json_key(&c->j, "args");
    atr__json_obj_begin(&c->j);
    atr__json_message_fields(&c->j, c->ix, msg, NULL);
    atr__json_obj_end(&c->j);
    atr__json_obj_end(&c->j);
}

int atr__export_chrome(const atr_index *ix, const uint8_t *keep, uint64_t budget, FILE *out) {
    chrome c;
    atr_index_info info;
    atr__run *runs = NULL;
    size_t n_runs = 0;
    int rc = atr__running(ix, keep, budget, &runs, &n_runs);
    if (rc < 0)
        return rc;
    atr_index_get_info(ix, &info);
    c.ix = ix;
    c.keep = keep;
    c.t0 = info.t_min;
    atr__json_init(&c.j, out, 1);
    atr__json_obj_begin(&c.j);
    atr__json_key(&c.j, "traceEvents");
    atr__json_arr_begin(&c.j);
    c.j.nl_depth = 2; /* one event per line */
    metadata(&c);
    for (size_t i = 0; i < n_runs && !ferror(out); i++)
        call_event(&c, &runs[i]);
    free(runs);
    for (uint64_t m = 0; m < info.n_messages && !ferror(out); m++)
        message_event(&c, (uint32_t)m);
    atr__json_arr_end(&c.j);
    c.j.nl_depth = 1;
    atr__json_kstr(&c.j, "displayTimeUnit", "ns");
    atr__json_obj_end(&c.j);
    atr__json_end_line(&c.j);
    return ferror(out) ? ATR_EIO : 0;
}
