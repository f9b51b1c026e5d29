/* SPDX-License-Identifier: MIT */
/*
 * argtrace analysis, per-function statistics and the per-argument analysis (which argument explains the duration).
 * Part of atr_analysis.h (which includes every part, with the overview: identifiers, times,
 * memory, threads, return codes).
 */
#ifndef ARGTRACE_ATR_STATS_H
#define ARGTRACE_ATR_STATS_H

#include "atr_query.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Per-function statistics
 */

typedef struct atr_stats {
    uint64_t count;    /* matching calls, finished or not */
    uint64_t finished; /* of which finished (RETURNED, RAISED, NORESULT) */
    uint64_t unfinished;
    uint64_t raised;   /* calls that raised */
    uint64_t total_ns; /* sum of durations (unfinished calls: up to the last time seen) */
    uint64_t self_ns;  /* sum of self times */
    /*
     * Over finished calls only (or over all calls when none finished): exact nearest-rank
     * percentiles, the smallest active time d such that at least p% of the calls ran <= d
     * (a call's active time is its duration unless it suspended: atr_call_view.active_ns).
     */
    uint64_t min_ns, p50_ns, p95_ns, p99_ns, max_ns;
    double mean_ns;        /* active_ns / count */
    uint32_t slowest_call; /* the call with max_ns, or ATR_NO_CALL */
    uint64_t active_ns;    /* sum of active times (equals total_ns unless calls suspended) */
    /*
     * Estimates of the program's figures when calls come from sampled logs
     * (ATR_FILE_SAMPLED): each recorded call stands for 1 / its log's sample_rate calls.
     * Equal to count, total_ns, active_ns, self_ns when sampled is 0.
     */
    uint64_t est_count, est_total_ns, est_active_ns, est_self_ns;
    int sampled; /* some of the calls come from a sampled log */
    /*
     * The function's time counted once: the sum of the active times of its calls that do
     * not start while another call of the same function runs on their thread (recursion,
     * also through a generator resumed there), as cProfile's cumulative time. A call made
     * by a generator's later step, after the call of the same function that made the
     * generator returned, counts: it was not in that call's time. total_ns and active_ns
     * count a recursive function's time once per level (fib's total is many times the
     * program's run time). `nested`: the calls that ran inside a call of the same function
     * on their thread. est_inclusive_ns:
     * the estimate for sampled logs (equal to inclusive_ns when sampled is 0).
     */
    uint64_t inclusive_ns, est_inclusive_ns, nested;
} atr_stats;

/*
 * Statistics of function fn's calls that match `filter` (NULL: all). fn may be
 * ATR_ALL_FUNCTIONS. All zeros (slowest_call ATR_NO_CALL) when nothing matches.
 * Time O(calls of fn); allocates a temporary array of their durations.
 * Returns 0, ATR_EINVAL, ATR_ENOMEM.
 */
ATR_API int atr_stats_function(const atr_index *ix, uint32_t fn, const atr_filter *filter,
                               atr_stats *out);

/*
 * Statistics of every function at once: out must have room for n_functions entries
 * (atr_index_get_info), out[fn] gets fn's statistics. Faster than looping over
 * atr_stats_function. Returns 0, ATR_ENOMEM.
 */
ATR_API int atr_stats_all(const atr_index *ix, atr_stats *out, uint32_t n_out);

/* ------------------------------------------------------------------------------------------
 * Per-argument analysis: which argument explains the duration?
 *
 * For one function (and optional filter), each argument's values split the calls into
 * groups: exact values when there are at most 12 distinct ones, otherwise buckets — numeric
 * ranges, str/bytes by length, summaries (containers) by length when they are of one type,
 * mixed types by type. Ranges follow the keys' natural clusters on a log scale (optimal 1-d
 * classification, at most 10 buckets: sizes around 200, 400, 800, 3200 and 6400 give five
 * groups); their labels are rounded outward to 2 significant digits ("len 3100–3300"), their
 * filters are exact. Missing values form a group "(not captured)". A **kwargs entry is
 * analysed as an argument of its own, named after its keyword ("(not passed)" when a call
 * lacks it); the **kwargs parameter itself is left out when it never holds a value.
 *
 * The score in [0, 1] says how much of the variation of log(time) the key explains, the
 * best of:
 *   - grouping, computed leave-one-out: each call's log-time is predicted by the mean of the
 *     OTHER calls of its group (a call alone in its group: by the overall mean), and
 *     score = max(0, 1 - SSE / SST); with exact values (while at most 65536 distinct) and
 *     with the buckets. A key unique per call (request ids) scores about 0, however many
 *     values it has; one that decides the time scores close to 1.
 *   - for ordered keys (numbers, lengths, item counts), the trend: the adjusted R^2 of
 *     log(time) fitted by a + b * log(1 + key), 1 - (1 - R^2) (N - 1) / (N - P) with P
 *     parameters. It gives few calls with distinct keys a score (three inputs of lengths
 *     200, 400, 800 taking 80 us, 200 us, 2 ms: about 0.9, where leave-one-out says 0), and
 *     keys unrelated to the time still score about 0.
 * The time is the active time (the duration unless the call suspended). Unfinished calls are
 * left out (their durations are not known).
 */

typedef struct atr_argscore atr_argscore;

/* Flags of atr_argscore_compute. */
#define ATR_ARGSCORE_RESULT \
    0x1u /* also analyse the result ("return") and the exception
                                       type ("exception") as if they were arguments */
/*
 * Also look for two arguments that explain the duration together clearly better than any
 * key alone (`argtrace slow`'s default): of the pairs of the four best arguments (as KEY,KEY
 * below: one group per pair of their groups), the one whose groups explain most is added to
 * the result when its score is at least 0.05 above the best key's alone and it leaves at
 * most two thirds of what that key leaves unexplained (0.35 -> 0.67, 0.87 -> 0.97); it then
 * comes first, `pair` set, named "A,B" in the parameters' order.
 */
#define ATR_ARGSCORE_PAIR 0x2u

/*
 * Analyse the calls of `fn` matching `filter` (NULL: all). On success *out owns the result.
 * Returns 0, ATR_EINVAL (bad fn), ATR_ENOMEM. A function without matching calls gives a
 * result listing its arguments with score 0 and no groups.
 */
ATR_API int atr_argscore_compute(const atr_index *ix, uint32_t fn, const atr_filter *filter,
                                 uint32_t flags, atr_argscore **out);

/* Free a result. Accepts NULL. */
ATR_API void atr_argscore_free(atr_argscore *s);

/* Number of calls analysed (finished, matching). */
ATR_API uint64_t atr_argscore_calls(const atr_argscore *s);

/*
 * Number of histogram bins (ATR_HIST_BINS) and their edges: 8 log-scale duration bins
 * shared by every group of this result; bin k holds durations in [edges[k], edges[k+1])
 * (the last bin includes edges[8]). edges must have room for ATR_HIST_BINS + 1 values.
 */
#define ATR_HIST_BINS 8
ATR_API void atr_argscore_hist_edges(const atr_argscore *s, uint64_t *edges);

/* How an argument's groups were formed. */
#define ATR_GROUP_EXACT 0  /* one group per distinct value */
#define ATR_GROUP_RANGE 1  /* numeric ranges of the value */
#define ATR_GROUP_LENGTH 2 /* ranges of the length (str, bytes, summaries) */
#define ATR_GROUP_TYPE 3   /* one group per type */

typedef struct atr_arg_score {
    atr_str name;         /* parameter or field name; "return" / "exception" with
                               ATR_ARGSCORE_RESULT */
    int32_t param;        /* index into the function's params, -1 return, -2 exception,
                             -3 a caller's key (atr_argscore_compute_custom) */
    double score;         /* in [0, 1]: max(score_exact, score_grouped) */
    double score_exact;   /* with one group per distinct value (0 if not computed) */
    double score_grouped; /* with the buckets shown (equal to score_exact if exact) */
    uint32_t mode;        /* ATR_GROUP_* of the groups shown */
    uint64_t n_distinct;  /* distinct values (saturates at 65537: "more than 65536") */
    uint64_t n_captured;  /* calls where the argument was captured */
    uint32_t n_groups;
    double score_trend; /* ordered keys: adjusted R^2 of log(time) on log(key), else 0 */
    uint32_t pair;      /* 1: the pair of two keys (KEY,KEY, ATR_ARGSCORE_PAIR), named "A,B" */
} atr_arg_score;

/* Number of arguments analysed; they are sorted by score, highest first. */
ATR_API uint32_t atr_argscore_count(const atr_argscore *s);

/* Argument `i` (0 = best). Strings live as long as s. Returns 0 or ATR_EINVAL. */
ATR_API int atr_argscore_arg(const atr_argscore *s, uint32_t i, atr_arg_score *out);

typedef struct atr_arg_group {
    const char *label;  /* "strict", "1000–9999", "len 190–210", "list len 0–9", "None",
                               "(not captured)", "(not passed)" (a **kwargs keyword absent),
                               "len 200" / "items 3" (derived keys), "A, B" (pairs); a str
                               longer than 30 bytes: its distinguishing excerpt and length,
                               "SELECT…a.region = 3 ORDER… (len 121)" (whitespace runs read
                               as one space). NUL-terminated UTF-8 (with "–", U+2013, and
                               "…"), control characters escaped. Lives as long as s. */
    uint32_t value;     /* ATR_GROUP_EXACT of an argument: the value id, else ATR_NO_VALUE
                               (ranges, derived keys, pairs, caller keys) */
    const char *filter; /* a filter expression selecting exactly this group's calls
                               (for atr_filter_parse), e.g. "n>=1000 n<=9999"; "" if none
                               can be written (e.g. "(not captured)") */
    uint64_t calls;
    uint64_t total_ns, p50_ns, p95_ns, max_ns;
    uint32_t slowest_call;        /* the group's slowest call */
    uint32_t hist[ATR_HIST_BINS]; /* calls per duration bin (atr_argscore_hist_edges) */
} atr_arg_group;

/*
 * Group `g` of argument `i`; groups are sorted by p50, slowest first (ties: more calls first).
 * Returns 0 or ATR_EINVAL.
 */
ATR_API int atr_argscore_group(const atr_argscore *s, uint32_t i, uint32_t g, atr_arg_group *out);

/*
 * Analyse keys written as expressions instead of every argument (`argtrace slow --by`). Each
 * of keys[0..n_keys) is one of:
 *   NAME         the argument NAME (a parameter, or a **kwargs keyword), as above;
 *   len(NAME)    its length: characters of a str, bytes of bytes, the len() of a container
 *                (as the tracer recorded it, however many items it captured); values
 *                without a length group by type, missing ones form "(no length)";
 *   type(NAME)   its type name (int, str, NoneType is "None", a container's class name);
 *   NAME.items   the number of items of a container: list/tuple/set elements, dict entries
 *                (its len()); only containers count — strs and other values form
 *                "(not a container)";
 *   NAME.KEY     entry KEY of the dict a registered summarizer returned for NAME (the
 *                summary's item named "=KEY", of unknown length, holding one value:
 *                atr_value_entry_key, docs/FORMAT.md section 4; the Python binding records
 *                a numpy array this way too, "shape" and "dtype"): exact groups labelled
 *                by the value, ranges for more than 12 distinct numbers, no filters; values
 *                without it form "(not captured)", and a key no value has is ATR_ENOTFOUND;
 *   KEY,KEY      the interaction of two of the above: one group per pair of their groups
 *                (each key grouped as alone: exact values or ranges), labelled "A, B",
 *                scored like any key (so it shows whether the pair explains more than each).
 * Spaces around names are allowed. The result lists one entry per key (named as normalised:
 * "len(sql)", "len(sql),reindent"; param = the (first) argument's index), best first.
 * Returns 0, ATR_EINVAL, ATR_ENOMEM, ATR_ESYNTAX (bad expression) or ATR_ENOTFOUND (no
 * such argument); on error `err` (if non-NULL) gets a one-line message.
 */
ATR_API int atr_argscore_compute_keys(const atr_index *ix, uint32_t fn, const atr_filter *filter,
                                      const char *const *keys, uint32_t n_keys, atr_argscore **out,
                                      char *err, size_t err_size);

/*
 * Score a key computed by the caller (a Python key function): calls[0..n) (call ids;
 * unfinished ones are left out), tokens[i] the group of calls[i] (< n_labels) or
 * ATR_NO_VALUE (no key: group "(no key)"), labels[t] the label of group t (copied).
 * num (optional, NULL: none): a number per call (NAN: not a number); when given, the
 * key is ordered — ranges and the trend score as for a numeric argument. The result has one
 * entry named `name`, param -3, groups without filters. Returns 0, ATR_EINVAL, ATR_ENOMEM.
 */
ATR_API int atr_argscore_compute_custom(const atr_index *ix, const char *name,
                                        const uint32_t *calls, uint64_t n, const uint32_t *tokens,
                                        const double *num, const char *const *labels,
                                        uint32_t n_labels, atr_argscore **out);

#ifdef __cplusplus
}
#endif
#endif /* ARGTRACE_ATR_STATS_H */
