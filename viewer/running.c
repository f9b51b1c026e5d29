/* The running intervals of calls (see running.h). */
#include <stdlib.h>
#include <string.h>

#include "argtrace/atr_reader.h"
#include "running.h"

typedef struct sev { /* a SUSPEND or RESUME of a selected call that suspended */
    uint32_t call, thread, kind;
    uint64_t t, seq;
} sev;

typedef struct span_call {
    uint32_t file;
    uint64_t span;
    uint32_t call;
} span_call;

typedef struct runs {
    const atr_index *ix;
    atr_index_info info;
    const uint8_t *inc; /* borrowed: the calls wanted (NULL: every call) */
    atr__run *iv;       /* the result */
    size_t n_iv, cap_iv;
    sev *ev; /* owned */
    size_t n_ev, cap_ev;
    span_call *sc; /* owned: the calls that suspended, by (file, span) */
    size_t n_sc;
    uint32_t *tmap; /* owned: (file, thread number) -> index thread, per file from tbase */
    uint32_t *tbase, *tcount; /* owned */
    uint64_t budget, used;    /* bytes allowed (0: no limit) and taken by the arrays above */
} runs;

int atr__grow_buf(void **p, size_t *cap, size_t need, size_t es) {
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

/* Count `bytes` more against the budget: 0, or ATR_ETOOBIG. */
static int take(runs *s, uint64_t bytes) {
    if (s->budget && bytes > s->budget - s->used)
        return ATR_ETOOBIG;
    s->used += bytes;
    return 0;
}

/* atr__grow_buf within the budget: 0, ATR_ETOOBIG or ATR_ENOMEM. */
static int grow(runs *s, void **p, size_t *cap, size_t need, size_t es) {
    size_t before = *cap;
    if (need <= before)
        return 0;
    size_t after = before ? before * 2 : 1024;
    while (after < need)
        after *= 2;
    if (take(s, (uint64_t)(after - before) * es) < 0)
        return ATR_ETOOBIG;
    return atr__grow_buf(p, cap, need, es) < 0 ? ATR_ENOMEM : 0;
}

static int add_ivl(runs *s, uint32_t thread, uint32_t call, uint64_t open, uint64_t close) {
    int rc = grow(s, (void **)&s->iv, &s->cap_iv, s->n_iv + 1, sizeof *s->iv);
    if (rc < 0)
        return rc;
    s->iv[s->n_iv++] = (atr__run){thread, call, open, close < open ? open : close};
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
static uint32_t thread_of(const runs *s, uint32_t file, uint32_t number) {
    return number < s->tcount[file] ? s->tmap[s->tbase[file] + number] : UINT32_MAX;
}

static int map_threads(runs *s) {
    uint32_t nf = s->info.n_files, total = 0;
    if (take(s, ((uint64_t)nf + 1) * 2 * sizeof *s->tbase) < 0)
        return ATR_ETOOBIG;
    s->tbase = calloc(nf + 1, sizeof *s->tbase);
    s->tcount = calloc(nf + 1, sizeof *s->tcount);
    if (!s->tbase || !s->tcount)
        return ATR_ENOMEM;
    for (uint32_t t = 0; t < s->info.n_threads; t++) {
        atr_thread_view tv;
        if (atr_index_thread(s->ix, t, &tv) == 0 && tv.file < nf && tv.number >= s->tcount[tv.file])
            s->tcount[tv.file] = tv.number + 1;
    }
    for (uint32_t f = 0; f < nf; f++)
        s->tbase[f] = total, total += s->tcount[f];
    if (take(s, (uint64_t)(total ? total : 1) * sizeof *s->tmap) < 0)
        return ATR_ETOOBIG;
    s->tmap = malloc((total ? total : 1) * sizeof *s->tmap);
    if (!s->tmap)
        return ATR_ENOMEM;
    memset(s->tmap, 0xFF, (total ? total : 1) * sizeof *s->tmap);
    for (uint32_t t = 0; t < s->info.n_threads; t++) {
        atr_thread_view tv;
        if (atr_index_thread(s->ix, t, &tv) == 0 && tv.file < nf)
            s->tmap[s->tbase[tv.file] + tv.number] = t;
    }
    return 0;
}

/* The SUSPEND and RESUME records of the calls in s->sc, read again from file f's log. */
static int read_suspends(runs *s, uint32_t f) {
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
        if (!hit)
            continue;
        if ((rc = grow(s, (void **)&s->ev, &s->cap_ev, s->n_ev + 1, sizeof *s->ev)) < 0)
            continue;
        s->ev[s->n_ev] =
            (sev){hit->call, thread_of(s, f, rec.thread), rec.kind, rec.time_ns, s->n_ev};
        s->n_ev++;
    }
    atr_reader_close(r);
    return rc;
}

/* The running intervals of suspended call c from its events ev[0..n) (in time order), as
   the format defines them (FORMAT.md 3.12), within its START and END. */
static int suspended_intervals(runs *s, const atr_call_view *cv, uint32_t c, const sev *ev,
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
static int intervals(runs *s) {
    uint64_t n = s->info.n_calls;
    size_t cap_sc = 0;
    for (uint64_t c = 0; c < n; c++) {
        atr_call_view cv;
        if ((s->inc && !s->inc[c]) || atr_index_call(s->ix, (uint32_t)c, &cv) < 0 ||
            cv.active_ns == cv.duration_ns)
            continue;
        int rc = grow(s, (void **)&s->sc, &cap_sc, s->n_sc + 1, sizeof *s->sc);
        if (rc < 0)
            return rc;
        s->sc[s->n_sc++] = (span_call){cv.file, atr_call_span(s->ix, (uint32_t)c), (uint32_t)c};
    }
    if (s->n_sc) /* qsort(NULL, 0) is undefined */
        qsort(s->sc, s->n_sc, sizeof *s->sc, by_span);
    for (uint32_t f = 0; f < s->info.n_files && s->n_sc; f++) {
        int rc = read_suspends(s, f);
        if (rc < 0)
            return rc;
    }
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
            return rc;
    }
    return 0;
}

static int by_thread_time(const void *a, const void *b) {
    const atr__run *x = a, *y = b;
    if (x->thread != y->thread)
        return x->thread < y->thread ? -1 : 1;
    if (x->open != y->open)
        return x->open < y->open ? -1 : 1;
    if (x->close != y->close)
        return x->close > y->close ? -1 : 1; /* the enclosing one first */
    return (x->call > y->call) - (x->call < y->call);
}

/* Cut each thread's intervals (sorted) so that they nest: one that would outlast the
   interval it starts in ends with it. */
static int nest(runs *s) {
    if (take(s, (uint64_t)(s->n_iv ? s->n_iv : 1) * sizeof(atr__run)) < 0)
        return ATR_ETOOBIG;
    atr__run *stack = malloc((s->n_iv ? s->n_iv : 1) * sizeof *stack);
    size_t depth = 0;
    if (!stack)
        return ATR_ENOMEM;
    for (size_t i = 0; i < s->n_iv; i++) {
        atr__run *v = &s->iv[i];
        if (i > 0 && v->thread != s->iv[i - 1].thread)
            depth = 0;
        while (depth > 0 && stack[depth - 1].close <= v->open)
            depth--;
        if (depth > 0 && v->close > stack[depth - 1].close)
            v->close = stack[depth - 1].close; /* would not nest: cut */
        stack[depth++] = *v;
    }
    free(stack);
    return 0;
}

int atr__running(const atr_index *ix, const uint8_t *inc, uint64_t budget, atr__run **out,
                 size_t *n) {
    runs s;
    memset(&s, 0, sizeof s);
    s.ix = ix;
    s.inc = inc;
    s.budget = budget;
    atr_index_get_info(ix, &s.info);
    int rc = map_threads(&s);
    if (rc == 0)
        rc = intervals(&s);
    if (rc == 0 && s.n_iv) /* qsort(NULL, 0) is undefined */
        qsort(s.iv, s.n_iv, sizeof *s.iv, by_thread_time);
    if (rc == 0)
        rc = nest(&s);
    free(s.ev);
    free(s.sc);
    free(s.tmap);
    free(s.tbase);
    free(s.tcount);
    if (rc < 0) {
        free(s.iv);
        s.iv = NULL, s.n_iv = 0;
    }
    *out = s.iv;
    *n = s.n_iv;
    return rc;
}
