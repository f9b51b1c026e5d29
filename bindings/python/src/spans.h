/*
 * spans.h — begin/end helpers shared by the decorator, coroutine proxies, actions and filter
 * tracing: the current span, function definitions cached per code object, and END
 * records built from a result or an exception.
 *
 * Current span. The hot path keeps it in a thread-local {span, context} pair: a traced call
 * saves the pair, installs its own span, and restores the pair when it returns. The pair is
 * trusted while the thread still runs in the contextvars.Context it was set in, and also in
 * the thread's own never-entered context (a pair set before that context existed: no
 * context and the auto-created one are one flow, compat.h). Inside an entered context (an
 * asyncio task's step) that is not the pair's, the current span is the one published in a
 * ContextVar: a span made current in an entered context is also published there (the
 * ContextVar is copied into the tasks created meanwhile: their creator); when nothing was
 * published in that context's ancestry, the pair (the frames under the event loop) speaks.
 *
 * Every function here is called with the GIL held, never raises and preserves the caller's
 * PyErr state.
 */
#ifndef ATR_PY_SPANS_H
#define ATR_PY_SPANS_H

#include "capture.h"
#include "state.h"

/* --- current span ------------------------------------------------------------------------ */

/* A pair's ctx that matches no context: the current span is the ContextVar's (actions.c). */
#define ATR__CTX_STALE ((void *)&atr__g)

/* Slow path of atr__span_current(): the pair was set in another context than `ctx`, the
   thread's current one (state.c). May re-tag the pair with `ctx` (same flow). */
uint64_t atr__span_current_slow(void *ctx);

/* The current span of this thread/task (0: none), `ctx` = atr__compat_context(). */
static inline uint64_t atr__span_current_in(void *ctx) {
    if (atr__tls_current.ctx == ctx)
        return atr__tls_current.span;
    return atr__span_current_slow(ctx);
}

/* The current span of this thread/task (0: none). */
static inline uint64_t atr__span_current(void) {
    return atr__span_current_in(atr__compat_context());
}

/* Make `span` current for this thread; returns the previous pair for atr__span_leave(). */
static inline atr__cur atr__span_enter(uint64_t span) {
    atr__cur saved = atr__tls_current;
    atr__tls_current.span = span;
    atr__tls_current.ctx = atr__compat_context();
    return saved;
}

/* Restore the pair saved by atr__span_enter(). */
static inline void atr__span_leave(atr__cur saved) { atr__tls_current = saved; }

/*
 * Also publish `span` in the ContextVar. Returns a token to pass to atr__span_ctx_reset (NULL
 * if it failed: nothing to reset). With the reset, ~1,450 instructions (two HAMT updates, a
 * token, an int): done only inside entered contexts (atr__span_publish), where tasks copy it.
 */
PyObject *atr__span_ctx_set(uint64_t span);
void atr__span_ctx_reset(PyObject *token); /* steals token; accepts NULL */

/* atr__span_ctx_set(span) if `ctx` (the current context) is an entered one, else NULL. */
static inline PyObject *atr__span_publish(uint64_t span, void *ctx) {
    if (ATR__LIKELY(!atr__compat_context_entered(ctx)))
        return NULL;
    return atr__span_ctx_set(span);
}

/* --- function definitions --------------------------------------------------------------- */

/*
 * Id of a FUNCTION record for `code` in the active session (atr__define_names: identical
 * definitions share one). Nothing here keeps the code object alive: the caller caches the id
 * per code object (filter tracing in the code's co_extra slot, freed with the code). Params
 * are all of the code's
 * parameters (co_varnames[0:n]; variadic ones written "*args"/"**kwargs"); `flags` are
 * ATR_FUNC_* bits added to those derived from co_flags. `qualname` may be NULL (then
 * co_qualname on 3.11+, co_name before); `module` may be NULL ("" is written).
 * Returns 0, or a negative ATR_E* code (no session: ATR_ESTATE).
 */
int atr__define_code(PyObject *code, PyObject *module, PyObject *qualname, uint32_t flags,
                     uint32_t *id_out);

/*
 * Define a function from Python strings (any may be NULL: ""): `names` a tuple of str (the
 * captured parameters, in START order). A definition identical to one made earlier in the
 * session (same strings, line and flags: a function made again from the same source) gets
 * that one's id. Returns 0 or a negative ATR_E* code; never raises.
 */
int atr__define_names(PyObject *module, PyObject *qualname, PyObject *file, int line,
                      PyObject *names, uint32_t flags, uint32_t *id_out);

/* Forget the session's definitions (state.c, when a session starts or stops). */
void atr__defs_free(void);

/* ATR_FUNC_COROUTINE/GENERATOR/ASYNCGEN bits of a code object's co_flags. */
uint32_t atr__code_kind_flags(PyObject *code);

/* Number of parameter slots of a code object (argcount + kwonly + *args + **kwargs). */
Py_ssize_t atr__code_nparams(PyObject *code);

/* --- begin / end ----------------------------------------------------------------------- */

/*
 * Begin a span for `code` (defined as `fid` with atr__define_code) in the active session, with
 * parameter values `vals[0..n)` in co_varnames order, as a frame holds them (NULL entries:
 * unbound, recorded nil). The *args slot must hold a tuple, the **kwargs slot a dict: its
 * entries become START fields. Values are captured with the session's options; names that
 * match its redact patterns are written ATR_V_REDACTED. `parent` is a span id (use
 * atr__span_current()), `t_ns` a time or ATR_NOW. The current span is NOT changed: pair
 * with atr__span_enter()/leave() as needed. On success *span_out is the new span (0 when the
 * session is closing). Returns 0 or a negative ATR_E* code.
 */
int atr__span_begin_code(PyObject *code, uint32_t fid, PyObject *const *vals, Py_ssize_t n,
                         uint64_t parent, uint64_t t_ns, uint64_t *span_out);

/*
 * End `span` begun in session generation `gen` (atr__state_gen() at begin). Ends for a
 * session that has since stopped are ignored.
 *  _return: `result` NULL = returned, result not captured (END status 2).
 *  _raise:  `exc` is the exception instance (may be NULL: type "" and no message).
 *  _error:  the exception currently set (PyErr_Occurred()), which stays set.
 * `opts` NULL: the session's options.
 */
void atr__span_end_return(uint64_t gen, uint64_t span, uint64_t t_ns, PyObject *result,
                          const atr__capture_opts *opts);
void atr__span_end_raise(uint64_t gen, uint64_t span, uint64_t t_ns, PyObject *exc,
                         const atr__capture_opts *opts);
void atr__span_end_error(uint64_t gen, uint64_t span, uint64_t t_ns, const atr__capture_opts *opts);

/*
 * A generator's or coroutine's `span` (session generation `gen`) stops running (yield,
 * await) or runs again: SUSPEND / RESUME records (format 1.1), from which readers compute
 * its active time. Only generator/coroutine paths call them. Ignored for a session that
 * has since stopped.
 */
void atr__span_suspend(uint64_t gen, uint64_t span, uint64_t t_ns);
void atr__span_resume(uint64_t gen, uint64_t span, uint64_t t_ns);

#endif /* ATR_PY_SPANS_H */
