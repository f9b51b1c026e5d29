/*
 * filter_calls.h — what filter tracing does with call events, independent of the backend:
 * a per-thread stack of traced calls, spans begun and ended through spans.h, calls held back
 * until they are known to matter (min duration), the depth limit, and suspended
 * generators/coroutines (one span from the first step to completion, not one per resume).
 *
 * `key` identifies a frame for the life of the call (the backend chooses: a
 * _PyInterpreterFrame or a PyFrameObject address). GIL held for every call.
 */
#ifndef ATR_PY_FILTER_CALLS_H
#define ATR_PY_FILTER_CALLS_H

#include "filter_decide.h"
#include "state.h"

/* 1 if a new call at this thread's depth is recorded (not over max_depth), else 0. */
int atr__calls_want(void);

/*
 * A selected function starts (its first step). `vals[0..n)` are borrowed references to the
 * parameter values (NULL allowed), alive for the duration of this call (the frame holds them). When atr__calls_want() was 0 pass
 * n = 0: the call is tracked (so its return matches) but not recorded. `ctx` is the thread's
 * contextvars context (atr__compat_context()) when the caller has it at hand, else NULL;
 * ATR__CTX_NULL when the caller knows the thread has no context yet.
 */
#define ATR__CTX_NULL ((void *)&atr__fcfg) /* an address that is no context */
void atr__calls_start(const void *key, PyCodeObject *co, atr__code_info *ci, PyObject *const *vals,
                      Py_ssize_t n, void *ctx);

/* Reads n parameter values of `frame` as borrowed references into vals (frame_args.h). */
typedef void (*atr__read_args_fn)(void *frame, PyCodeObject *co, PyObject **vals, Py_ssize_t n);

/* The general case of atr__calls_start_frame (many parameters, max_depth set). */
void atr__calls_start_frame_slow(const void *key, PyCodeObject *co, atr__code_info *ci,
                                 atr__read_args_fn read, void *frame, void *ctx);

#define ATR__FAST_ARGS 16

/* atr__calls_start() with the values read by `read` from `frame` (not read when the call
   is over max_depth); `ctx` as for atr__calls_start. Inline so that `read` is a direct call
   in each backend. */
static inline void atr__calls_start_frame(const void *key, PyCodeObject *co, atr__code_info *ci,
                                          atr__read_args_fn read, void *frame, void *ctx) {
    Py_ssize_t n = ci->n_params;
    if (ATR__LIKELY(n <= ATR__FAST_ARGS && !atr__fcfg.max_depth)) {
        PyObject *vals[ATR__FAST_ARGS];
        if (n) {
            read(frame, co, vals, n);
        }
        atr__calls_start(key, co, ci, vals, n, ctx);
        return;
    }
    atr__calls_start_frame_slow(key, co, ci, read, frame, ctx);
}

/* atr__calls_start_frame for a frame whose first ci->n_params fast-local slots are the
   parameter values themselves (no cell among them, or none made yet): read in place, nothing
   copied. */
static inline void atr__calls_start_slots(const void *key, PyCodeObject *co, atr__code_info *ci,
                                          PyObject *const *slots, void *ctx) {
    atr__calls_start(key, co, ci, slots,
                     atr__fcfg.max_depth && !atr__calls_want() ? 0 : ci->n_params, ctx);
}

/*
 * The hot path: a plain call of code whose decision is ACCEPT (the caller checked
 * atr__filter_cached), with what would be checked on every call decided once per code object
 * and filter (ci->hot_gen, set by atr__calls_start): the filter runs without min_duration,
 * max_depth or clock; the code is defined in the active session (its fid) and is no
 * generator or coroutine; at most ATR__EMIT_MAX_ARGS parameters, no **kwargs or redacted
 * name (*args is a tuple: captured as the general path captures it, or not here at all).
 * 1 if the hot path applies to `ci` now.
 */
static inline int atr__calls_hot(const atr__code_info *ci) {
    return ci->hot_gen == atr__fcfg.hot_gen && ci->defined_gen == atr__state_gen();
}

/*
 * atr__calls_start for a call that atr__calls_hot() admits, `vals` its ci->n_params
 * parameter values (borrowed; NULL allowed). Returns 1 when done, 0 when nothing was done
 * (a value needs the general capture, which may run Python code; no memory): the caller
 * then calls atr__calls_start. The call ends through atr__calls_end_if_top or
 * atr__calls_return/raise as any other.
 */
int atr__calls_start_hot(const void *key, PyCodeObject *co, atr__code_info *ci,
                         PyObject *const *vals, void *ctx);

/* A suspended generator/coroutine resumes. Returns 1 if it was ours, else 0. */
int atr__calls_resume(const void *key);

/*
 * A throw() into a suspended generator/coroutine of ours (`key`, resumed next by
 * atr__calls_resume) was passed down to it through `through[0..n)`: the suspended calls of
 * ours that delegate to it (yield from, await), nearest first. CPython puts their frames on
 * the stack without running them, and gives them no event; they resume here, outermost
 * first, and suspend again when `key`'s step ends (it suspends, returns or raises), so that
 * they are active while their frames are on the stack. Nothing when `key` is not ours.
 */
#define ATR__THROW_DEPTH 32 /* delegating frames looked at, at most */
void atr__calls_resume_through(const void *key, const void *const *through, int n);

/* 1 if `key` is a suspended call of ours (in the table). */
int atr__calls_is_suspended(const void *key);

/* Number of suspended calls (generators, coroutines) of every thread. */
size_t atr__calls_n_suspended(void);

/* The call of `key` suspends (yield / await). */
void atr__calls_yield(const void *key);

/* The call of `key` returns `retval` (borrowed; NULL: returned, value unknown). */
void atr__calls_return(const void *key, PyObject *retval);

/* The call of `key` ends by an exception (`exc` borrowed instance, NULL if unknown). */
void atr__calls_raise(const void *key, PyObject *exc);

/* If the call on top of this thread's stack is `key` running `code` (and, with `plain`, is not
   a generator or coroutine), end it as returned with `retval` (borrowed, NULL: unknown) and
   return 1; else 0 (nothing done). */
int atr__calls_end_if_top(const void *key, PyObject *code, PyObject *retval, int plain);

/* 1 if `key` is the call on top of this thread's stack (fast check for backends). */
int atr__calls_is_top(const void *key);

/* End every open span (as "no result") and free every stack: filter tracing stops. */
void atr__calls_end_all(void);

/* In a forked child: spans begun by the parent are not ours to end. */
void atr__calls_after_fork(void);

/*
 * A greenlet switch (switch.c). _out: the running greenlet's calls suspend, the top first,
 * as a generator's do at a yield (SUSPEND records, into the suspended table); their keys,
 * bottom first, into *keys (malloc'd; NULL and *n 0 when none). -1: out of memory (nothing
 * suspended). _in: the calls of the greenlet switched to resume, bottom first (keys that no
 * suspended call has any more are skipped).
 */
int atr__calls_switch_out(const void ***keys, size_t *n);
void atr__calls_switch_in(const void *const *keys, size_t n);
/* Changes whenever filter tracing stops (its stacks and table are gone): keys saved before
   name nothing any more. */
uint64_t atr__calls_generation(void);

#endif /* ATR_PY_FILTER_CALLS_H */
