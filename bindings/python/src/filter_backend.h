/*
 * filter_backend.h — what a filter backend is: the interpreter hook that turns call events
 * into filter_calls.h calls. Each backend file provides one row (monitor.c: sys.monitoring,
 * eval_hook.c: the 3.11 frame-evaluation hook, profile_hook.c: the C profile hook); compat.h
 * decides which are built for this CPython, filter.c picks one from its table at
 * filter_start. A backend calls filter_calls.h and filter_decide.h, never filter.c.
 */
#ifndef ATR_PY_FILTER_BACKEND_H
#define ATR_PY_FILTER_BACKEND_H

#include "compat.h"

typedef struct atr__filter_backend {
    const char *name; /* filter_backend()'s answer, calibration's mechanism */
    int by_name;      /* ARGTRACE_FILTER_BACKEND may name it */
    /* The rest is NULL where the backend is not built for this CPython (start NULL). */
    /* NULL if it can start in this interpreter now, else why not (one line). NULL: always. */
    const char *(*unusable)(void);
    /* For auto: 1 if it suits this process (a usable backend that does not is taken only when
       no later one is usable). NULL: always. */
    int (*suits_auto)(void);
    int (*start)(void);   /* 0, or -1 with an exception set */
    void (*stop)(void);   /* never fails; leaves the exception state as it was */
    PyMethodDef *methods; /* functions it adds to the module (tests), or NULL */
} atr__filter_backend;

extern const atr__filter_backend atr__backend_monitoring; /* monitor.c */
extern const atr__filter_backend atr__backend_eval;       /* eval_hook.c */
extern const atr__filter_backend atr__backend_profile;    /* profile_hook.c */

#endif /* ATR_PY_FILTER_BACKEND_H */
