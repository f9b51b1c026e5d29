/*
 * speedscope JSON (see export.h; https://www.speedscope.app/file-format-schema.json): the
 * functions are the shared frames (name "module.qualname", file, line), each thread of each
 * process an "evented" profile in nanoseconds from the first event of the logs (as the
 * chrome export counts), its calls frames that open and close.
 *
 * A frame is open while its call runs: a generator or coroutine that suspended (SUSPEND and
 * RESUME records, format 1.1) opens once per running interval, on the thread that ran it,
 * on top of whatever was running there. The index keeps only the sum of the intervals
 * (active_ns), so the intervals are read again from the logs for those calls. Each thread's
 * intervals are then laid out in time: one that would outlast the interval it started in
 * is cut at its end (only when times disagree, e.g. compensated ones), so that the events
 * always nest.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "argtrace/atr_reader.h"
#include "export.h"
#include "load.h"

typedef struct ivl {
    uint32_t thread, call;
    uint64_t open, close;
} ivl;

typedef struct sev { /* a SUSPEND or RESUME of a selected call that suspended */
    uint32_t call, thread, kind;
    uint64_t t, seq;
} sev;

typedef struct span_call {
    uint32_t file;
    uint64_t span;
    uint32_t call;
} span_call;

typedef struct sscope {
    const atr_index *ix;
    atr_index_info info;
    uint8_t *inc; /* owned: 1 for the calls written (NULL: every call) */
    ivl *iv;      /* owned */
    size_t n_iv, cap_iv;
    sev *ev; /* owned */
    size_t n_ev, cap_ev;
    span_call *sc; /* owned: the calls that suspended, by (file, span) */
    size_t n_sc;
    uint32_t *tmap; /* owned: (file, thread number) -> index thread, per file from tbase */
    uint32_t *tbase, *tcount; /* owned */
} sscope;

static int grow(void **p, size_t *cap, size_t need, size_t es) {
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 1024;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * es);
    if (!q)
        return -1;
    *p = q, *cap = c;
    return 0;
}

static int add_ivl(sscope *s, uint32_t thread, uint32_t call, uint64_t open, uint64_t close) {
    if (grow((void **)&s->iv, &s->cap_iv, s->n_iv + 1, sizeof *s->iv) < 0)
        return -1;
    s->iv[s->n_iv++] = (ivl){thread, call, open, close < open ? open : close};
    return 0;
}

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
        for (uint32_t k = (uint32_t)c; k != ATR_NO_CALL && k < n; len++) {
            atr_call_view cv;
            if (under[k] || keep[k] == ATR__EXPORT_MATCH) {
                st = under[k] ? under[k] : 1;
                break;
            }
            if (grow((void **)&path, &cap, len + 1, sizeof *path) < 0) {
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

static int by_span(const void *a, const void *b) {
    const span_call *x = a, *y = b;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return (x->span > y->span) - (x->span < y->span);
}

static int by_call_time(const void *a, const void *b) {
    const sev *x = a, *y = b;
    if (x->call != y->call)
        return x->call < y->call ? -1 : 1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The index thread of thread `number` of `file` (UINT32_MAX: unknown). */
static uint32_t thread_of(const sscope *s, uint32_t file, uint32_t number) {
    return number < s->tcount[file] ? s->tmap[s->tbase[file] + number] : UINT32_MAX;
}

static int map_threads(sscope *s) {
    uint32_t nf = s->info.n_files, total = 0;
    s->tbase = calloc(nf + 1, sizeof *s->tbase);
    s->tcount = calloc(nf + 1, sizeof *s->tcount);
    if (!s->tbase || !s->tcount)
        return -1;
    for (uint32_t t = 0; t < s->info.n_threads; t++) {
        atr_thread_view tv;
        if (atr_index_thread(s->ix, t, &tv) == 0 && tv.file < nf && tv.number >= s->tcount[tv.file])
            s->tcount[tv.file] = tv.number + 1;
    }
    for (uint32_t f = 0; f < nf; f++)
        s->tbase[f] = total, total += s->tcount[f];
    s->tmap = malloc((total ? total : 1) * sizeof *s->tmap);
    if (!s->tmap)
        return -1;
    memset(s->tmap, 0xFF, (total ? total : 1) * sizeof *s->tmap);
    for (uint32_t t = 0; t < s->info.n_threads; t++) {
        atr_thread_view tv;
        if (atr_index_thread(s->ix, t, &tv) == 0 && tv.file < nf)
            s->tmap[s->tbase[tv.file] + tv.number] = t;
    }
    return 0;
}

/* The SUSPEND and RESUME records of the calls in s->sc, read again from file f's log. */
static int read_suspends(sscope *s, uint32_t f) {
    atr_file_info fi;
    atr_reader *r = NULL;
    if (atr_index_file(s->ix, f, &fi) < 0 || atr_reader_open(fi.path, &r) < 0)
        return 0; /* not a file (loaded from memory) or gone: whole spans */
    atr_record rec;
    int rc = 0;
    while (rc == 0 && atr_reader_next(r, &rec) == 0) {
        if (rec.kind != ATR_REC_SUSPEND && rec.kind != ATR_REC_RESUME)
            continue;
        span_call key = {f, rec.u.suspend.span, 0};
        const span_call *hit = bsearch(&key, s->sc, s->n_sc, sizeof key, by_span);
        if (!hit || grow((void **)&s->ev, &s->cap_ev, s->n_ev + 1, sizeof *s->ev) < 0) {
            rc = hit ? -1 : 0;
            continue;
        }
        s->ev[s->n_ev] =
            (sev){hit->call, thread_of(s, f, rec.thread), rec.kind, rec.time_ns, s->n_ev};
        s->n_ev++;
    }
    atr_reader_close(r);
    return rc;
}

/* The running intervals of suspended call c from its events ev[0..n) (in time order), as
   the format defines them (FORMAT.md 3.12), within its START and END. */
static int suspended_intervals(sscope *s, const atr_call_view *cv, uint32_t c, const sev *ev,
                               size_t n) {
    int running = 1;
    uint64_t mark = cv->start_ns;
    uint32_t thread = cv->thread;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = ev[i].t < cv->start_ns ? cv->start_ns
                     : ev[i].t > cv->end_ns ? cv->end_ns
                                            : ev[i].t;
        if (ev[i].kind == ATR_REC_SUSPEND && running) {
            if (add_ivl(s, thread, c, mark, t) < 0)
                return -1;
            running = 0;
        } else if (ev[i].kind == ATR_REC_RESUME && !running && ev[i].thread != UINT32_MAX) {
            running = 1, mark = t, thread = ev[i].thread;
        }
    }
    return running ? add_ivl(s, thread, c, mark, cv->end_ns) : 0;
}

/* Every interval of the selected calls into s->iv. */
static int intervals(sscope *s) {
    uint64_t n = s->info.n_calls;
    size_t cap_sc = 0;
    for (uint64_t c = 0; c < n; c++) {
        atr_call_view cv;
        if ((s->inc && !s->inc[c]) || atr_index_call(s->ix, (uint32_t)c, &cv) < 0 ||
            cv.active_ns == cv.duration_ns)
            continue;
        if (grow((void **)&s->sc, &cap_sc, s->n_sc + 1, sizeof *s->sc) < 0)
            return -1;
        s->sc[s->n_sc++] = (span_call){cv.file, atr_call_span(s->ix, (uint32_t)c), (uint32_t)c};
    }
    if (s->n_sc) /* qsort(NULL, 0) is undefined */
        qsort(s->sc, s->n_sc, sizeof *s->sc, by_span);
    for (uint32_t f = 0; f < s->info.n_files && s->n_sc; f++)
        if (read_suspends(s, f) < 0)
            return -1;
    if (s->n_ev)
        qsort(s->ev, s->n_ev, sizeof *s->ev, by_call_time);
    size_t e = 0;
    for (uint64_t c = 0; c < n; c++) {
        atr_call_view cv;
        if ((s->inc && !s->inc[c]) || atr_index_call(s->ix, (uint32_t)c, &cv) < 0)
            continue;
        while (e < s->n_ev && s->ev[e].call < c)
            e++;
        size_t e0 = e;
        while (e < s->n_ev && s->ev[e].call == c)
            e++;
        int rc = e > e0 ? suspended_intervals(s, &cv, (uint32_t)c, s->ev + e0, e - e0)
                        : add_ivl(s, cv.thread, (uint32_t)c, cv.start_ns, cv.end_ns);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static uint32_t fn_of(const sscope *s, uint32_t call) {
    atr_call_view cv;
    return atr_index_call(s->ix, call, &cv) == 0 ? cv.function : 0;
}

static int by_thread_time(const void *a, const void *b) {
    const ivl *x = a, *y = b;
    if (x->thread != y->thread)
        return x->thread < y->thread ? -1 : 1;
    if (x->open != y->open)
        return x->open < y->open ? -1 : 1;
    if (x->close != y->close)
        return x->close > y->close ? -1 : 1; /* the enclosing one first */
    return (x->call > y->call) - (x->call < y->call);
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

/* The profile of the intervals iv[0..n) (one thread, sorted), frames nested by a stack. */
static int profile(sscope *s, atr__json *j, const ivl *iv, size_t n) {
    uint64_t t0 = s->info.t_min, end = iv[0].open;
    ivl *stack = malloc(n * sizeof *stack);
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
        ivl v = iv[i];
        if (depth > 0 && v.close > stack[depth - 1].close)
            v.close = stack[depth - 1].close; /* would not nest: cut */
        stack[depth++] = v;
        event(j, "O", v.open - t0, fn_of(s, v.call));
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

int atr__export_speedscope(const atr_index *ix, const uint8_t *keep, FILE *out) {
    sscope s;
    memset(&s, 0, sizeof s);
    s.ix = ix;
    atr_index_get_info(ix, &s.info);
    int rc = select_calls(&s, keep);
    if (rc == 0)
        rc = map_threads(&s);
    if (rc == 0)
        rc = intervals(&s);
    if (rc == 0) {
        if (s.n_iv)
            qsort(s.iv, s.n_iv, sizeof *s.iv, by_thread_time);
        rc = write_json(&s, out);
    }
    free(s.inc);
    free(s.iv);
    free(s.ev);
    free(s.sc);
    free(s.tmap);
    free(s.tbase);
    free(s.tcount);
    return rc < 0 ? ATR_ENOMEM : ferror(out) ? ATR_EIO : 0;
}
