/*
 * state.h — the extension's process-wide state (state.c says why it is global).
 *
 * Everything here is read and written with the GIL held.
 */
#ifndef ATR_PY_STATE_H
#define ATR_PY_STATE_H

#include "capture.h"
#include "compat.h"

#include <argtrace/atr_writer.h>

/* A thread's current span and the contextvars.Context it was made current in. */
typedef struct atr__cur {
    uint64_t span;
    void *ctx; /* identity only, never dereferenced */
} atr__cur;

/* Thread-local current span (spans.h). Defined in state.c. */
extern ATR__TLS atr__cur atr__tls_current;
/* > 0 while this thread runs user code for the tracer (summarizer, repr): traced calls made
   from there just forward, so the tracer never re-enters itself. */
extern ATR__TLS int atr__tls_in_tracer;

/* A registered per-type summarizer (capture.c). */
/* Lowest safe stack address of this thread (ATR__STACK_GUARD), NULL until computed. */
extern ATR__TLS char *atr__tls_stack_floor;
char *atr__state_stack_floor_slow(void);

/* 1 if the C stack of this thread is nearly exhausted (only with ATR__STACK_GUARD). */
static inline int atr__state_stack_low(void) {
#if ATR__STACK_GUARD
    char here;
    char *floor = atr__tls_stack_floor;
    if (ATR__UNLIKELY(floor == NULL))
        floor = atr__state_stack_floor_slow();
    return (char *)&here < floor;
#else
    return 0;
#endif
}

/* Session generation this thread was last named in (THREAD record). */
extern ATR__TLS uint64_t atr__tls_named_gen;

/* A registered per-type summarizer (capture.c). */
typedef struct atr__summarizer {
    PyObject *type;  /* owned: matched by identity (exact type) */
    PyObject *fn;    /* owned */
    PyObject *names; /* owned: dict, an entry's key -> its name "=" + key (capture.c: one
                        str per key, so that the writer's type cache sees stable bytes) */
} atr__summarizer;

typedef struct atr__state {
    atr_session *session;   /* the active session or NULL */
    uint64_t gen;           /* bumped at every start and stop: invalidates cached ids */
    PyObject *path;         /* owned: str, the active session's path, or NULL */
    atr__capture_opts opts; /* session-level capture options */
    PyObject *redact;       /* owned: tuple of lower-cased patterns (opts.redact borrows it) */
    struct atr__defs *defs; /* owned: the session's definitions by content (spans.c), or NULL */
    PyObject *action_ids;   /* owned: dict action name -> int function id, or NULL */
    atr__summarizer *summ;  /* PyMem array of n_summ registered summarizers */
    size_t n_summ;
    PyObject *span_var;         /* owned: ContextVar holding an int span id */
    PyObject *open_actions;     /* owned: dict span id -> capsule of what action_end restores */
    uint64_t backend_calib_gen; /* gen of the session a filter backend's CALIBRATION went
                                   into: it governs that log's compensation (calibrate.c) */
    uint64_t calib_yard_ps;     /* the calibration's untraced loop timed at the latest session
                                   or filter tracing start, ps per call (calibrate.c) */
    PyObject *np_attr[4];       /* owned, interned: "shape", "dtype", "isbuiltin", "type" (the
                             attributes a numpy array's summary reads: capture.c) */
    int calibrating; /* calibrate.c's private session is the active one: other threads wait */
} atr__state;

/* The one instance (state.c). */
extern atr__state atr__g;

/*
 * While calibrate.c measures the tracer (at a stop, for a few ms), its private session stands
 * in for the user's in atr__g, on the thread that measures. Any other thread that reaches the
 * tracer meanwhile (the measuring thread lets it run Python code at the GIL's switches) waits
 * here, without the GIL, until the user's session is back: its calls are recorded where they
 * belong, none into the private log. One load while nothing is measured.
 */
extern ATR__TLS int atr__tls_calibrating; /* this thread measures */

/* Around a change of the sessions (start, stop, filter tracing's start and stop): another
   thread's change waits until this one is done (session.c). */
void atr__session_op_enter(void);
void atr__session_op_leave(void);
void atr__session_op_after_fork(void);
void atr__calib_gate_slow(void);
static inline void atr__calib_gate(void) {
    if (ATR__UNLIKELY(atr__g.calibrating) && !atr__tls_calibrating)
        atr__calib_gate_slow();
}

/* Active session or NULL. */
static inline atr_session *atr__session(void) {
    atr__calib_gate();
    return atr__g.session;
}
static inline uint64_t atr__state_gen(void) {
    atr__calib_gate();
    return atr__g.gen;
}
/*
 * The active session if it is still the one of generation `gen`, else NULL. Re-check with
 * this after anything that may have run Python code (which may release the GIL and let
 * another thread stop the session).
 */
static inline atr_session *atr__session_of(uint64_t gen) {
    atr__calib_gate();
    return atr__g.gen == gen ? atr__g.session : NULL;
}

/*
 * A module's name as a log names it (borrowed, or NULL for NULL): multiprocessing's spawn and
 * forkserver workers run the program's main module as "__mp_main__" (their
 * sys.modules["__main__"]); it is "__main__" there too, as in the parent and in a fork, so
 * that `--trace __main__` selects the program's functions in every process and their calls
 * merge under one name.
 */
PyObject *atr__module_name(PyObject *name);

/* Name the calling thread in the session (threading's name). Never raises. */
void atr__state_name_thread_slow(atr_session *s);

/* Before a thread's first record in a session: give the log its name. */
static inline void atr__state_name_thread(atr_session *s) {
    if (ATR__UNLIKELY(atr__tls_named_gen != atr__g.gen))
        atr__state_name_thread_slow(s);
}

/* Create the ContextVar etc. at module init. Returns 0 or -1 with an exception set. */
int atr__state_init(void);

/* Forget cached definitions (at start and stop). */
void atr__state_reset_caches(void);

#endif /* ATR_PY_STATE_H */
