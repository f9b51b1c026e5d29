/* SPDX-License-Identifier: MIT */
/*
 * argtrace analysis, choosing calls: filters (the condition language) and queries (sorted lists of calls).
 * Part of atr_analysis.h (which includes every part, with the overview: identifiers, times,
 * memory, threads, return codes).
 */
#ifndef ARGTRACE_ATR_QUERY_H
#define ARGTRACE_ATR_QUERY_H

#include "atr_index.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Filters on calls
 *
 * A filter is one or more conditions, all of which must hold. Conditions are separated by
 * whitespace or commas; spaces around operators are allowed ("n > 5, mode=fast").
 *
 *   NAME OP VALUE     argument NAME (a parameter or a field) compared with VALUE.
 *                     OP: = != > < >= <=. VALUE: a number (123, -4.5, 1e6, 0x1f), a quoted
 *                     string ("a b", 'x', with \" \\ \n \t \xHH escapes), None, True, False
 *                     (or true, false: these match bool arguments), or a bare word (strict) taken as a string.
 *                     Numbers compare numerically with int/float/bool arguments; strings
 *                     compare bytewise (lexicographically) with str/bytes/repr arguments;
 *                     a bare word that looks like a number compares with both kinds.
 *                     A comparison between different kinds is false (!= is true), and every
 *                     condition on an argument the call did not capture is false.
 *   len(NAME) OP N    true length of a str/bytes argument, or a summary's (container's)
 *                     length; false for other kinds and unknown lengths.
 *   type(NAME) OP T   the argument's type: int, float, bool, None, str, bytes, or a
 *                     summary's type name (list, dict, numpy.ndarray...); = and != only.
 *   duration OP T     T a time with unit ns, us, µs, ms, s, e.g. 10ms, 1.5s; a bare number
 *                     other than 0 is a syntax error ("a duration needs a unit").
 *   self OP T         self time, same units.
 *   exception         the call raised; exception=ValueError / exception!=ValueError
 *                     compare the type name (also matches a module-qualified type whose last
 *                     component is the name). !exception: the call did not raise.
 *   result OP VALUE   the captured result (calls that returned one).
 *   unfinished        calls without END; !unfinished the others.
 *   arg.NAME          the argument NAME even when it is one of the words above.
 */
typedef struct atr_filter atr_filter;

/*
 * Parse `expr` into a new filter (*out; free with atr_filter_free). An empty or all-blank
 * expr gives a filter that matches every call. On ATR_ESYNTAX, err (if non-NULL) receives a
 * one-line message naming the column and what was expected, e.g.
 * "column 3: expected a value after '>'". Returns 0, ATR_ESYNTAX, ATR_ENOMEM, ATR_EINVAL.
 * Independent of any index: the same filter can be used on several.
 */
ATR_API int atr_filter_parse(const char *expr, atr_filter **out, char *err, size_t err_size);

/*
 * Add the conditions of `expr` to an existing filter (AND). Same errors as
 * atr_filter_parse(); on error the filter is unchanged. Use it for several command-line words.
 */
ATR_API int atr_filter_add(atr_filter *f, const char *expr, char *err, size_t err_size);

/* Free a filter. Accepts NULL. */
ATR_API void atr_filter_free(atr_filter *f);

/*
 * Check that every argument name the filter uses exists for function `fn`. Returns 0, or
 * ATR_ENOTFOUND with a one-line message in err, e.g. "no argument 'x' in app.f (arguments:
 * n, mode)". Optional: the filter works without it (unknown names never match).
 */
ATR_API int atr_filter_check(const atr_filter *f, const atr_index *ix, uint32_t fn, char *err,
                             size_t err_size);

/* 1 if `call` matches `f` (a NULL filter matches everything), 0 if not. */
ATR_API int atr_filter_match(const atr_filter *f, const atr_index *ix, uint32_t call);

/* ------------------------------------------------------------------------------------------
 * Queries: lists of calls
 */

#define ATR_ALL_FUNCTIONS UINT32_MAX

/* Orders of a query's result. */
typedef enum atr_sort {
    ATR_SORT_START = 0,    /* start time ascending (ties: call id) */
    ATR_SORT_DURATION = 1, /* duration descending: slowest first (ties: start) */
    ATR_SORT_SELF = 2,     /* self time descending */
    ATR_SORT_FASTEST = 3   /* duration ascending */
} atr_sort;

typedef struct atr_query {
    size_t size;              /* sizeof(atr_query), set by atr_query_init */
    uint32_t function;        /* a function id or ATR_ALL_FUNCTIONS (default) */
    uint32_t thread;          /* a thread id or ATR_NO_THREAD for all (default) */
    const atr_filter *filter; /* NULL (default): every call */
    int sort;                 /* atr_sort; default ATR_SORT_START */
    uint64_t offset;          /* skip this many calls of the sorted result; default 0 */
    uint64_t limit;           /* at most this many; 0 (default): no limit */
} atr_query;

/* Fill *q with defaults. */
ATR_API void atr_query_init(atr_query *q);

/* The result of a query: call ids in the requested order. */
typedef struct atr_callset atr_callset;

/*
 * Run query `q`. On success *out owns the result. "The Nth slowest call matching f" is
 * sort = ATR_SORT_DURATION, offset = N, limit = 1. Top-k queries (with a limit) do not sort
 * every match. Returns 0, ATR_EINVAL (bad function/thread id or sort), ATR_ENOMEM.
 */
ATR_API int atr_query_run(const atr_index *ix, const atr_query *q, atr_callset **out);

/* Number of call ids in the set (after offset and limit). */
ATR_API uint64_t atr_callset_count(const atr_callset *cs);
/* How many calls matched before offset and limit were applied. */
ATR_API uint64_t atr_callset_matched(const atr_callset *cs);
/* The i-th call id, or ATR_NO_CALL if i is out of range. */
ATR_API uint32_t atr_callset_get(const atr_callset *cs, uint64_t i);
/* All ids as an array of atr_callset_count() entries (valid until the set is freed). */
ATR_API const uint32_t *atr_callset_ids(const atr_callset *cs);
/* Free a callset. Accepts NULL. */
ATR_API void atr_callset_free(atr_callset *cs);

#ifdef __cplusplus
}
#endif
#endif /* ARGTRACE_ATR_QUERY_H */
