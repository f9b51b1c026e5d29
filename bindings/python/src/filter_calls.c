/*
 * filter_calls.c — per-thread stacks of filter-traced calls (filter_calls.h).
 *
 * Each thread has a stack of entries, one per selected call in progress. An entry is
 *   EMITTED  its START is written (span != 0); it ends with an END,
 *   PENDING  min-duration is on: START held back with references to the arguments; written
 *            (with its original time) only if it or a descendant turns out slow enough,
 *   SKIP     over max_depth: tracked only so that its return matches.
 * A generator or coroutine that suspends leaves the stack for `g_susp`, a table keyed by its
 * frame, and comes back when it resumes: one span from first step to completion.
 *
 * Globals (why): the stacks must be reachable from interpreter hooks that carry no context,
 * and filter_stop must end every thread's open spans: a thread-local pointer plus a list of
 * all stacks (touched with the GIL held only).
 *
 * User code (summarizers, repr, a test clock, __del__ of a released argument) may run while
 * a record is captured, release the GIL and let another thread stop filter tracing, which
 * frees every stack (atr__calls_end_all bumps g_gen first). So no entry pointer is held
 * across such code: the record is captured first, then `g_gen` is checked (unchanged: this
 * thread's stack is intact, nothing else touches it) and the entry is found again by index;
 * references an entry owned are released only after it is off the stack.
 */
#include "filter_calls.h"

#include "filter_emit.h"
#include "spans.h"

#include <stdlib.h>
#include <string.h>

enum { ST_EMITTED = 0, ST_PENDING = 1, ST_SKIP = 2 };

/* Containers whose items a hot START has room for (atr__calls_start_hot; a call passing more
   with three items each takes the general path). At least the calibration's four
   (calibrate.c, f(T, T, T, T)): its container cost is then a hot call's, as most calls' are
   (with two, it measured the general path and compensation overcharged calls passing one:
   -21%). */
#define HOT_CONTAINERS 4
/* The item slots of a hot START: those containers' items, or fewer containers' with the
   items of containers nested in them. */
#define HOT_ITEMS (HOT_CONTAINERS * ATR__CAPTURE_ITEMS)

typedef struct fentry {
    const void *key;        /* frame identity */
    PyObject *code;         /* owned (PENDING, suspended) or borrowed from the running frame */
    uint64_t span;          /* EMITTED: span id (0 if the writer refused it) */
    uint64_t gen;           /* atr__state_gen() at begin */
    uint64_t t_start;       /* PENDING: start time */
    uint64_t observed;      /* current span when the call started */
    atr__cur saved;         /* pair replaced by atr__span_enter (entered only) */
    PyObject *token;        /* owned: ContextVar token while it runs in an entered context */
    const void *parent_key; /* with parent_below: the key of that entry */
    PyObject **vals;        /* PENDING: owned references to the arguments (n_vals) */
    int32_t n_vals;
    uint8_t state;
    uint8_t entered;      /* the span is the thread's current span while this call runs */
    uint8_t parent_below; /* the parent is the entry below on the stack (if it is parent_key) */
    uint8_t code_owned;
    uint8_t coro_like; /* generator/coroutine/async generator code (recorded or not) */
    uint8_t hot;       /* begun by atr__calls_start_hot: EMITTED, plain, owns nothing */
    uint8_t implicit;  /* resumed for a throw() passed through it (atr__calls_resume_through):
                          suspends again when the call above it suspends or ends */
} fentry;

typedef struct fthread {
    fentry *stack;
    size_t n, cap;
    struct fthread *next; /* all stacks, for end_all */
} fthread;

static ATR__TLS fthread *tls_ft;
static ATR__TLS uint64_t tls_ft_gen; /* tls_ft is valid only when equal to g_gen */
static uint64_t g_gen = 1;
static fthread *g_threads;

static void settle(void); /* the implicit entries on top suspend again */
static void yield_call(const void *key);

/* Suspended calls: open addressing, linear probing, keyed by frame identity. */
static struct {
    fentry *slots; /* key NULL: empty */
    size_t cap, n;
} g_susp;

static fthread *ft_get(void) {
    if (ATR__LIKELY(tls_ft_gen == g_gen)) {
        return tls_ft;
    }
    fthread *ft = calloc(1, sizeof *ft);
    if (ft) {
        ft->next = g_threads;
        g_threads = ft;
    }
    tls_ft = ft;
    tls_ft_gen = g_gen;
    return ft;
}

static ATR__NOINLINE int ft_grow(fthread *ft) {
    size_t cap = ft->cap ? ft->cap * 2 : 64;
    fentry *s = realloc(ft->stack, cap * sizeof *s);
    if (!s) {
        return -1;
    }
    ft->stack = s;
    ft->cap = cap;
    return 0;
}

static inline fentry *ft_push(fthread *ft) {
    if (ATR__UNLIKELY(ft->n == ft->cap) && ft_grow(ft) < 0) {
        return NULL;
    }
    return &ft->stack[ft->n++]; /* uninitialized: the caller sets every field */
}

/* A fresh entry for `key` (every field set; no memset call on the hot path). */
static inline void entry_init(fentry *e, const void *key, PyCodeObject *co) {
    e->key = key;
    e->code = (PyObject *)co;
    e->span = 0;
    e->gen = 0;
    e->t_start = 0;
    e->observed = 0;
    e->saved.span = 0;
    e->saved.ctx = NULL;
    e->token = NULL;
    e->parent_key = NULL;
    e->vals = NULL;
    e->n_vals = 0;
    e->state = ST_EMITTED;
    e->entered = 0;
    e->parent_below = 0;
    e->code_owned = 0;
    e->coro_like = 0;
    e->hot = 0;
    e->implicit = 0;
}

static void release_vals(fentry *e) {
    for (int32_t i = 0; i < e->n_vals; i++) {
        Py_XDECREF(e->vals[i]);
    }
    free(e->vals);
    e->vals = NULL;
    e->n_vals = 0;
}

static void entry_release(fentry *e) {
    release_vals(e);
    if (e->code_owned) {
        Py_CLEAR(e->code);
        e->code_owned = 0;
    }
}

/* Make the entry's span current while its frame runs (and visible to tasks it creates). */
static void entry_enter(fentry *e) {
    e->saved = atr__span_enter(e->span);
    e->token = atr__span_publish(e->span, atr__tls_current.ctx);
}

static void entry_leave(fentry *e) {
    if (e->token) {
        atr__span_ctx_reset(e->token);
        e->token = NULL;
    }
    atr__span_leave(e->saved);
}

/* Entry idx of ft began `span` (0: not recorded) in session generation `gen`: while it runs,
   the span is the thread's current one in `ctx` (and published there when entered). */
static inline fentry *entry_begun(fthread *ft, size_t idx, uint64_t gen, uint64_t span, void *ctx) {
    fentry *e = &ft->stack[idx];
    e->gen = gen;
    e->span = span;
    if (span) {
        e->saved = atr__tls_current;
        atr__tls_current.span = span;
        atr__tls_current.ctx = ctx;
        e->entered = 1;
        e->token = atr__span_publish(span, ctx);
    }
    return e;
}

/* --- suspended table ------------------------------------------------------------------- */

static size_t hash_key(const void *k) {
    uint64_t x = (uint64_t)(uintptr_t)k;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static fentry *susp_find(const void *key) {
    if (!g_susp.n) {
        return NULL;
    }
    size_t m = g_susp.cap - 1;
    for (size_t i = hash_key(key) & m;; i = (i + 1) & m) {
        if (g_susp.slots[i].key == key) {
            return &g_susp.slots[i];
        }
        if (g_susp.slots[i].key == NULL) {
            return NULL;
        }
    }
}

static int susp_insert(const fentry *e);

static int susp_grow(void) {
    size_t cap = g_susp.cap ? g_susp.cap * 2 : 256;
    fentry *old = g_susp.slots;
    size_t oldcap = g_susp.cap;
    fentry *slots = calloc(cap, sizeof *slots);
    if (!slots) {
        return -1;
    }
    g_susp.slots = slots;
    g_susp.cap = cap;
    g_susp.n = 0;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].key) {
            susp_insert(&old[i]);
        }
    }
    free(old);
    return 0;
}

static int susp_insert(const fentry *e) {
    if ((g_susp.n + 1) * 2 > g_susp.cap && susp_grow() < 0) {
        return -1;
    }
    size_t m = g_susp.cap - 1;
    size_t i = hash_key(e->key) & m;
    while (g_susp.slots[i].key && g_susp.slots[i].key != e->key) {
        i = (i + 1) & m;
    }
    if (!g_susp.slots[i].key) {
        g_susp.n++;
    }
    g_susp.slots[i] = *e;
    return 0;
}

/* Remove the slot `s` (backward-shift deletion). */
static void susp_remove(fentry *s) {
    size_t m = g_susp.cap - 1;
    size_t i = (size_t)(s - g_susp.slots);
    size_t j = i;
    for (;;) {
        j = (j + 1) & m;
        if (!g_susp.slots[j].key) {
            break;
        }
        size_t h = hash_key(g_susp.slots[j].key) & m;
        /* move j into the hole at i if its home is not in (i, j] */
        if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
            g_susp.slots[i] = g_susp.slots[j];
            i = j;
        }
    }
    g_susp.slots[i].key = NULL;
    g_susp.n--;
}

/* --- emitting ------------------------------------------------------------------------ */

static uint64_t now_or_auto(void) {
    return (atr__fcfg.clock || atr__fcfg.min_duration_ns) ? atr__filter_now() : ATR_NOW;
}

/* Write the START of PENDING entry i (its ancestors are already written). Returns 1, or 0
   when filter tracing stopped meanwhile (ft is freed: see the header). */
static int emit_pending(fthread *ft, size_t i) {
    uint64_t fgen = g_gen;
    fentry *e = &ft->stack[i];
    uint64_t parent = e->observed;
    if (e->parent_below && i > 0 && ft->stack[i - 1].key == e->parent_key) {
        parent = ft->stack[i - 1].span;
    }
    /* Ours for the capture: the values (taken from the entry) and the code (one more ref). */
    PyObject *code = Py_NewRef(e->code);
    PyObject **vals = e->vals;
    int32_t n_vals = e->n_vals;
    uint64_t t_start = e->t_start;
    e->vals = NULL;
    e->n_vals = 0;
    uint64_t gen = atr__state_gen(), span = 0;
    atr__code_info *ci = atr__code_info_peek((PyCodeObject *)code);
    if (ci) {
        atr__filter_begin((PyCodeObject *)code, ci, vals, n_vals, parent, t_start, &span);
    }
    if (g_gen == fgen) {
        e = &ft->stack[i];
        e->gen = gen;
        e->span = span;
        e->state = ST_EMITTED;
        e->entered = 0; /* the thread's current span is left alone: see docs/FILTERS.md */
    } else if (span) {
        atr__span_end_return(gen, span, now_or_auto(), NULL, NULL); /* as end_all would */
    }
    for (int32_t k = 0; k < n_vals; k++) {
        Py_XDECREF(vals[k]);
    }
    free(vals);
    Py_DECREF(code); /* (the entry keeps its own: the call is still running) */
    return g_gen == fgen;
}

/* Returns 1, or 0 when filter tracing stopped meanwhile (ft is freed). */
static int flush_pending(fthread *ft, size_t upto) {
    for (size_t i = 0; i <= upto && i < ft->n; i++) {
        if (ft->stack[i].state == ST_PENDING && !emit_pending(ft, i)) {
            return 0;
        }
    }
    return 1;
}

/* Pop the top entry, then release what it owned (which may run user code). */
static void pop_release(fthread *ft) {
    fentry dead = ft->stack[--ft->n];
    entry_release(&dead);
}

/* A PENDING top entry ends: dropped (0) when shorter than min-duration, else written with
   its pending ancestors (1: it is now an EMITTED top entry). -1: filter tracing stopped
   meanwhile (ft is freed). */
static ATR__NOINLINE int end_pending_top(fthread *ft) {
    uint64_t fgen = g_gen;
    uint64_t t = atr__filter_now(); /* (a test clock is Python code) */
    if (g_gen != fgen) {
        return -1;
    }
    fentry *e = &ft->stack[ft->n - 1];
    if (t - e->t_start < atr__fcfg.min_duration_ns || t < e->t_start) {
        pop_release(ft);
        return g_gen == fgen ? 0 : -1;
    }
    return flush_pending(ft, ft->n - 1) ? 1 : -1;
}

/* End the top entry of ft. how: 0 return, 1 raise, 2 no result. (Nothing else of this
   thread touches the stack meanwhile, even when capturing the result runs a summarizer:
   profile and monitoring events do not reach the hooks while one runs, and the
   frame-evaluation hook records nothing while atr__tls_in_tracer is raised; another thread
   may free it: see the header.) Returns 1, or 0 when ft was freed meanwhile. Inline: the
   common case is a written call returning. */
static inline int end_top(fthread *ft, int how, PyObject *obj) {
    uint64_t fgen = g_gen;
    fentry *e = &ft->stack[ft->n - 1];
    if (ATR__UNLIKELY(e->state == ST_PENDING)) {
        int r = end_pending_top(ft);
        if (r <= 0) {
            return r == 0;
        }
        e = &ft->stack[ft->n - 1];
    }
    uint64_t span = 0, gen = e->gen;
    if (e->state == ST_EMITTED) {
        if (e->entered) {
            entry_leave(e);
        }
        span = e->span;
    }
    if (ATR__UNLIKELY(e->n_vals || e->code_owned)) {
        pop_release(ft);
    } else {
        ft->n--;
    }
    if (span) {
        uint64_t t = now_or_auto();
        if (how == 1) {
            atr__span_end_raise(gen, span, t, obj, NULL);
        } else {
            atr__span_end_return(gen, span, t, how == 0 ? obj : NULL, NULL);
        }
    }
    return g_gen == fgen;
}

/* After a START of `ci` by the general path: admit it to the hot path (atr__calls_hot) while
   this filter and session last, if it suits. */
static void hot_note(atr__code_info *ci) {
    if (atr__fcfg.hot_gen != ATR__HOT_NONE && atr__session() &&
        ci->defined_gen == atr__state_gen() && ci->filter_gen == atr__fcfg.gen &&
        ci->decision == ATR__DEC_ACCEPT && !ci->decorated && !ci->coro_like &&
        ci->n_params <= ATR__EMIT_MAX_ARGS && ci->kw_pos < 0 && !ci->redact_mask) {
        ci->hot_gen = atr__fcfg.hot_gen;
    }
}

/* end_top(ft, 0, retval) for a hot top entry (EMITTED, plain, owning nothing, no clock):
   popped first, then the thread's current span restored and the END written. */
static inline void end_hot(fthread *ft, PyObject *retval) {
    fentry *e = &ft->stack[--ft->n];
    uint64_t span = e->span, gen = e->gen;
    if (e->entered) {
        PyObject *token = e->token;
        atr__cur saved = e->saved;
        if (token) {
            atr__span_ctx_reset(token);
        }
        atr__span_leave(saved);
    }
    if (!span) {
        return;
    }
    atr_session *s = atr__session_of(gen);
    atr_value v, items[ATR__INLINE_ITEMS];
    if (!s) {
        return;
    }
    if (!retval) {
        atr_span_return(s, span, ATR_NOW, NULL);
    } else if (atr__capture_value_inline(retval, &atr__g.opts, &v) ||
               atr__capture_container_inline(retval, &atr__g.opts, &v, items, ATR__INLINE_ITEMS,
                                             0) >= 0) {
        atr_span_return(s, span, ATR_NOW, &v); /* (ignores a skipped span, as below) */
    } else {
        atr__span_end_return(gen, span, ATR_NOW, retval, NULL);
    }
}

int atr__calls_want(void) {
    if (!atr__fcfg.max_depth) {
        return 1;
    }
    fthread *ft = ft_get();
    return !ft || ft->n < atr__fcfg.max_depth;
}

void atr__calls_start(const void *key, PyCodeObject *co, atr__code_info *ci, PyObject *const *vals,
                      Py_ssize_t n, void *ctx) {
    uint64_t t_start = 0;
    if (atr__fcfg.min_duration_ns) {
        t_start = atr__filter_now(); /* (first: a test clock is Python code...) */
        if (!atr__fcfg.active) {
            return; /* ... which may have stopped filter tracing */
        }
    }
    fthread *ft = ft_get();
    fentry *e = ft ? ft_push(ft) : NULL;
    if (!e) {
        return;
    }
    entry_init(e, key, co);
    e->coro_like = ci && ci->coro_like;
    if (atr__fcfg.max_depth && ft->n > atr__fcfg.max_depth) {
        e->state = ST_SKIP;
        return;
    }
    /* atr__span_current() and atr__span_enter() with one context lookup */
    if (!ctx) {
        ctx = atr__compat_context();
    } else if (ctx == ATR__CTX_NULL) {
        ctx = NULL;
    }
    e->observed = atr__span_current_in(ctx);
    if (atr__fcfg.min_duration_ns) {
        if (ft->n > 1) { /* read only for PENDING entries (emit_pending, atr__calls_yield) */
            fentry *b = &ft->stack[ft->n - 2];
            uint64_t below_cur = b->entered ? b->span : b->observed;
            e->parent_below = b->state != ST_SKIP && e->observed == below_cur;
            e->parent_key = b->key;
        }
        e->state = ST_PENDING;
        e->t_start = t_start;
        e->code = Py_NewRef(co);
        e->code_owned = 1;
        e->vals = n ? malloc((size_t)n * sizeof(PyObject *)) : NULL;
        if (e->vals) {
            for (Py_ssize_t i = 0; i < n; i++) {
                e->vals[i] = Py_XNewRef(vals[i]); /* held until the call is known to matter */
            }
            e->n_vals = (int32_t)n;
        }
        return;
    }
    /* Capturing may run user code that stops filter tracing (the header): e is found again
       by its index afterwards, if the stack still exists. */
    uint64_t fgen = g_gen, gen = atr__state_gen(), span = 0, observed = e->observed;
    size_t idx = ft->n - 1;
    atr__filter_begin(co, ci, vals, n, observed, now_or_auto(), &span);
    if (ATR__UNLIKELY(g_gen != fgen)) {
        if (span) {
            atr__span_end_return(gen, span, now_or_auto(), NULL, NULL); /* as end_all would */
        }
        return;
    }
    entry_begun(ft, idx, gen, span, ctx);
    if (ci && n == ci->n_params) {
        hot_note(ci);
    }
}

int atr__calls_start_hot(const void *key, PyCodeObject *co, atr__code_info *ci,
                         PyObject *const *vals, void *ctx) {
    /* The values first: captured inline (no Python code runs) or not here at all; the
       items of up to HOT_CONTAINERS tuples, lists or dicts of such values too. */
    atr_value args[ATR__EMIT_MAX_ARGS];
    atr_value items[HOT_ITEMS];
    uint32_t n = (uint32_t)ci->n_params; /* <= ATR__EMIT_MAX_ARGS (hot_note) */
    uint32_t used = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!vals[i]) {
            args[i] = atr_value_nil();
        } else if (!atr__capture_value_inline(vals[i], &atr__g.opts, &args[i])) {
            int u = atr__capture_container_inline(vals[i], &atr__g.opts, &args[i], &items[used],
                                                  HOT_ITEMS - used, 0);
            if (u < 0) {
                return 0;
            }
            used += (uint32_t)u;
        }
    }
    fthread *ft = ft_get();
    fentry *e = ft ? ft_push(ft) : NULL;
    if (!e) {
        return 0;
    }
    if (!ctx) {
        ctx = atr__compat_context();
    } else if (ctx == ATR__CTX_NULL) {
        ctx = NULL;
    }
    entry_init(e, key, co);
    e->hot = 1;
    e->observed = atr__span_current_in(ctx);
    /* The writer may wait for room with the GIL released (another thread may stop filter
       tracing meanwhile): e is found again by its index, as in atr__calls_start. */
    uint64_t fgen = g_gen, gen = atr__state_gen(), span = 0;
    size_t idx = ft->n - 1;
    atr_span_begin(atr__session(), ci->fid, e->observed, ATR_NOW, args, n, NULL, 0, &span);
    if (ATR__UNLIKELY(g_gen != fgen)) {
        if (span) {
            atr__span_end_return(gen, span, ATR_NOW, NULL, NULL); /* as end_all would */
        }
        return 1;
    }
    entry_begun(ft, idx, gen, span, ctx);
    return 1;
}

void atr__calls_start_frame_slow(const void *key, PyCodeObject *co, atr__code_info *ci,
                                 atr__read_args_fn read, void *frame, void *ctx) {
    Py_ssize_t n = atr__calls_want() ? ci->n_params : 0;
    PyObject *stack_vals[ATR__FAST_ARGS] = {0}; /* (the slow path: zeroing costs nothing here) */
    PyObject **vals = n <= ATR__FAST_ARGS ? stack_vals : malloc((size_t)n * sizeof(PyObject *));
    if (!vals) {
        n = 0;
        vals = stack_vals;
    }
    if (n) {
        read(frame, co, vals, n);
    }
    atr__calls_start(key, co, ci, vals, n, ctx);
    if (vals != stack_vals) {
        free(vals);
    }
}

int atr__calls_end_if_top(const void *key, PyObject *code, PyObject *retval, int plain) {
    fthread *ft = (tls_ft_gen == g_gen) ? tls_ft : NULL;
    if (!ft || !ft->n) {
        return 0;
    }
    fentry *top = &ft->stack[ft->n - 1];
    if (top->key != key || top->code != code || (plain && top->coro_like)) {
        return 0;
    }
    if (ATR__LIKELY(top->hot)) {
        end_hot(ft, retval);
    } else if (!top->coro_like) {
        end_top(ft, 0, retval);
    } else if (end_top(ft, 0, retval)) {
        settle(); /* a generator's: implicit entries may lie below it */
    }
    return 1;
}

int atr__calls_is_top(const void *key) {
    fthread *ft = (tls_ft_gen == g_gen) ? tls_ft : NULL;
    return ft && ft->n && ft->stack[ft->n - 1].key == key;
}

static int resume(const void *key, uint8_t implicit) {
    /* The time first: a Python test clock may stop filter tracing (end_all frees the
       stacks and the table), and nothing here may hold an entry across it. */
    uint64_t t = now_or_auto();
    fentry *s = susp_find(key);
    if (!s) {
        return 0;
    }
    fthread *ft = ft_get();
    fentry *e = ft ? ft_push(ft) : NULL;
    if (!e) {
        return 1;
    }
    *e = *s;
    susp_remove(s);
    e->implicit = implicit;
    if (e->state == ST_EMITTED) {
        atr__span_resume(e->gen, e->span, t);
    }
    if (e->entered) {
        entry_enter(e);
    }
    return 1;
}

int atr__calls_resume(const void *key) { return resume(key, 0); }

void atr__calls_resume_through(const void *key, const void *const *through, int n) {
    if (!susp_find(key)) {
        return; /* not ours: nothing would suspend them again */
    }
    for (int i = n; i > 0; i--) {
        resume(through[i - 1], 1);
    }
}

int atr__calls_is_suspended(const void *key) { return susp_find(key) != NULL; }

size_t atr__calls_n_suspended(void) { return g_susp.n; }

/* Find `key` on the stack; end orphans above it (missed events). 1 if it is now on top. */
static int bring_to_top(fthread *ft, const void *key) {
    if (!ft || !ft->n) {
        return 0;
    }
    if (ft->stack[ft->n - 1].key == key) {
        return 1;
    }
    size_t i = ft->n - 1;
    while (i > 0 && ft->stack[i - 1].key != key) {
        i--;
    }
    if (i == 0) {
        return 0;
    }
    while (ft->n > i) {
        if (!end_top(ft, 2, NULL)) {
            return -1; /* filter tracing stopped meanwhile: ft is freed */
        }
    }
    return 1;
}

/* Make `key` the top entry: from the stack, or from the suspended table (a throw() into a
   generator resumes it without a call event before 3.12). */
static fthread *find_call(const void *key) {
    fthread *ft = (tls_ft_gen == g_gen) ? tls_ft : NULL;
    int r = bring_to_top(ft, key);
    if (r) {
        return r > 0 ? ft : NULL;
    }
    if (atr__calls_resume(key)) {
        return ft_get();
    }
    return NULL;
}

/* The implicit entries now on top of this thread's stack suspend again (a throw() passed
   through them has done its step). */
static void settle(void) {
    for (;;) {
        fthread *ft = (tls_ft_gen == g_gen) ? tls_ft : NULL;
        if (!ft || !ft->n || !ft->stack[ft->n - 1].implicit) {
            return;
        }
        ft->stack[ft->n - 1].implicit = 0;
        yield_call(ft->stack[ft->n - 1].key);
    }
}

void atr__calls_yield(const void *key) {
    yield_call(key);
    settle();
}

static void yield_call(const void *key) {
    uint64_t t = now_or_auto(); /* first: see atr__calls_resume */
    fthread *ft = find_call(key);
    if (!ft) {
        return;
    }
    fentry e = ft->stack[--ft->n];
    e.hot = 0; /* it owns its code from here */
    if (e.state == ST_EMITTED) {
        atr__span_suspend(e.gen, e.span, t);
    }
    if (e.state == ST_EMITTED && e.entered) {
        entry_leave(&e);
    }
    if (e.state == ST_PENDING && e.parent_below) {
        /* If it resumes under another caller, it attaches to the nearest written ancestor
           of this one (emit_pending checks parent_key). */
        for (size_t i = ft->n; i > 0; i--) {
            fentry *b = &ft->stack[i - 1];
            e.observed = b->state == ST_EMITTED ? b->span : b->observed;
            if (b->state == ST_EMITTED || !b->parent_below) {
                break;
            }
        }
    }
    if (!e.code_owned) {
        e.code = Py_NewRef(e.code);
        e.code_owned = 1;
    }
    fentry *slot = susp_find(key);
    fentry stale = {0};
    if (slot) {
        /* a generator that vanished without an event (3.12+ close fast path): out of the
           table before it is ended (ending and releasing may run user code) */
        stale = *slot;
        susp_remove(slot);
    }
    if (susp_insert(&e) < 0) {
        entry_release(&e);
    }
    if (stale.key) {
        if (stale.state == ST_EMITTED && stale.span) {
            atr__span_end_return(stale.gen, stale.span, t, NULL, NULL);
        }
        entry_release(&stale);
    }
}

/* --- greenlet switches (switch.c) ------------------------------------------------------- */

int atr__calls_switch_out(const void ***keys, size_t *n) {
    *keys = NULL;
    *n = 0;
    fthread *ft = (tls_ft_gen == g_gen) ? tls_ft : NULL;
    if (!ft || !ft->n) {
        return 0;
    }
    size_t k = ft->n;
    const void **v = malloc(k * sizeof *v);
    if (!v) {
        return -1;
    }
    for (size_t i = 0; i < k; i++) {
        v[i] = ft->stack[i].key;
    }
    for (size_t i = k; i > 0; i--) { /* the top first, as its frames would yield */
        yield_call(v[i - 1]);
    }
    *keys = v;
    *n = k;
    return 0;
}

uint64_t atr__calls_generation(void) { return g_gen; }

void atr__calls_switch_in(const void *const *keys, size_t n) {
    for (size_t i = 0; i < n; i++) { /* the bottom first: each the parent of the next */
        resume(keys[i], 0);
    }
}

void atr__calls_return(const void *key, PyObject *retval) {
    fthread *ft = find_call(key);
    if (ft && end_top(ft, 0, retval)) {
        settle();
    }
}

void atr__calls_raise(const void *key, PyObject *exc) {
    fthread *ft = find_call(key);
    if (ft && end_top(ft, 1, exc)) {
        settle();
    }
}

static void end_entry_noresult(fentry *e, uint64_t t) {
    if (e->state == ST_EMITTED && e->span) {
        atr__span_end_return(e->gen, e->span, t, NULL, NULL);
    }
    entry_release(e);
}

void atr__calls_end_all(void) {
    /* Detach everything first: releasing references below may run user code, and other
       threads must find their stacks gone (g_gen) rather than half freed. */
    fthread *me = (tls_ft_gen == g_gen) ? tls_ft : NULL;
    fthread *threads = g_threads;
    fentry *slots = g_susp.slots;
    size_t cap = g_susp.cap;
    g_threads = NULL;
    memset(&g_susp, 0, sizeof g_susp);
    g_gen++;
    uint64_t t = now_or_auto();
    for (fthread *ft = threads; ft;) {
        while (ft->n) {
            fentry *e = &ft->stack[--ft->n];
            if (ft == me && e->state == ST_EMITTED && e->entered) {
                entry_leave(e);
            }
            Py_CLEAR(e->token); /* another thread's context: just drop it */
            end_entry_noresult(e, t);
        }
        fthread *next = ft->next;
        free(ft->stack);
        free(ft);
        ft = next;
    }
    for (size_t i = 0; i < cap; i++) {
        if (slots[i].key) {
            end_entry_noresult(&slots[i], t);
        }
    }
    free(slots);
}

void atr__calls_after_fork(void) {
    /* Spans begun before the fork belong to the parent's log: never end them here. */
    for (fthread *ft = g_threads; ft; ft = ft->next) {
        for (size_t i = 0; i < ft->n; i++) {
            if (ft->stack[i].state == ST_EMITTED) {
                ft->stack[i].span = 0;
            }
        }
    }
    for (size_t i = 0; i < g_susp.cap; i++) {
        if (g_susp.slots[i].key && g_susp.slots[i].state == ST_EMITTED) {
            g_susp.slots[i].span = 0;
        }
    }
}
