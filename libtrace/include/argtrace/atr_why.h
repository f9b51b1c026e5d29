/* SPDX-License-Identifier: MIT */
/*
 * argtrace analysis, why one call was slow: against the typical calls of its function.
 * Part of atr_analysis.h (which includes every part, with the overview: identifiers, times,
 * memory, threads, return codes).
 */
#ifndef ARGTRACE_ATR_WHY_H
#define ARGTRACE_ATR_WHY_H

#include "atr_stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Why was this call slow? One call against the typical calls of its function.
 *
 * The baseline is the other finished calls of the call's function (never the call itself,
 * never unfinished calls), narrowed to one argument group when an argument explains the
 * duration: the per-argument analysis (atr_argscore_compute, over every call of the
 * function) is consulted best score first, and the first argument scoring at least
 * ATR_WHY_MIN_SCORE whose group holding the call has at least ATR_WHY_MIN_BASELINE other
 * finished calls gives the baseline ("the other mode='strict' calls"). When no argument alone
 * does, the best pair of arguments (ATR_ARGSCORE_PAIR: as `slow` finds it) does under the
 * same two conditions ("the other calls with rows of 400-800 items and mode='strict'"): an
 * argument alone is preferred, so that the other argument's row can still show what sets
 * the call apart. Otherwise the baseline is every other finished call of the function.
 *
 * "Typical" is always the median (nearest rank, p50) over the baseline calls:
 *   - the duration and the self time;
 *   - per child function: the total duration of its direct children per baseline call (a
 *     call that made none counts 0), and the number of such children per call.
 * The extra time of a child function is its total under the call minus that median, of the
 * self time the call's self minus the median self. Medians do not add up: the extras need
 * not sum to duration - p50. Children are those in the call's process (what self time
 * subtracts).
 *
 * Arguments: the call's value, its group among all the function's calls (as
 * atr_argscore_group shows them), its peers (the baseline calls in that same group), whether
 * the group is slow, and the typical value over the baseline: the group holding most
 * baseline calls and, for numeric arguments, the median value. A group is slow when it has
 * at least 3 calls and a p50 of at least twice the function's p50, or when at least 3 peers
 * have a p50 of at least twice the baseline's (slow within the baseline: with large `rows`
 * as the baseline, mode='strict' calls among them).
 *
 * Same values: the calls whose every argument has the value the call's has (as captured:
 * value ids), which separate a call slow for its arguments (they are slow every time) from
 * one slow for something else, such as a first call's work (imports, caches, set-up).
 *
 * Times in ns; durations are active times and a child's time is what it is charged to its
 * parent, as self time counts them (a generator's or coroutine's suspended time left out).
 * Everything a result points to (labels, filters, names) lives as long as it.
 */
typedef struct atr_why atr_why;

#define ATR_WHY_MIN_SCORE 0.5   /* an argument "explains" the duration from this score on */
#define ATR_WHY_MIN_BASELINE 3u /* fewest other calls for a group baseline */

/*
 * Analyse call `call` (any call, finished or not). On success *out owns the result (free
 * with atr_why_free). Returns 0, ATR_EINVAL (no such call), ATR_ENOMEM. A call without
 * other finished calls of its function gives baseline_calls 0 and typical values 0.
 */
ATR_API int atr_why_compute(const atr_index *ix, uint32_t call, atr_why **out);

/* Free a result. Accepts NULL. */
ATR_API void atr_why_free(atr_why *w);

/* What the other calls with a call's argument values say about it (atr_why_summary). A call
   "much" slower takes at least twice the longest of them (and 1 µs more). */
typedef enum atr_why_same {
    ATR_WHY_SAME_NONE = 0, /* no such calls, or the call is unfinished */
    ATR_WHY_SAME_FIRST,    /* the first with these values, much slower than the others: a
                               first call's work (imports, caches, set-up) */
    ATR_WHY_SAME_OTHER,    /* not the first, much slower: not its arguments (state,
                               contention, I/O) */
    ATR_WHY_SAME_VALUES    /* at least half the longest of them, not much slower: these
                              values take this long */
} atr_why_same;

typedef struct atr_why_summary {
    uint32_t call, function;
    uint64_t duration_ns, self_ns; /* of the call */
    uint64_t baseline_calls;       /* 0: nothing to compare with */
    uint64_t baseline_p50_ns;      /* median duration of the baseline */
    uint64_t typical_self_ns;      /* median self time of the baseline */
    int64_t extra_ns;              /* duration_ns - baseline_p50_ns */
    int64_t self_extra_ns;         /* self_ns - typical_self_ns */
    uint64_t function_calls;       /* finished calls of the function (the call included) */
    uint64_t function_p50_ns;      /* their median duration */
    /* The group baseline, when by_group: the argument, its score, the group. */
    int by_group;
    atr_str group_arg;        /* the argument's name (empty when !by_group) */
    double group_score;       /* its score */
    const char *group_label;  /* the group's label (atr_arg_group.label), "" when !by_group */
    const char *group_filter; /* a filter selecting the group's calls, "" if none */
    uint32_t group_value;     /* exact groups: the value id, else ATR_NO_VALUE */
    uint64_t group_p50_ns;    /* the group's p50 over all its calls (the call included) */
    uint32_t n_children;      /* rows for atr_why_get_child */
    uint32_t n_args;          /* rows for atr_why_get_arg */
    /* Where the call stands among its function's calls by start time (1: the first). */
    uint64_t nth_call;
    /* The other finished calls with the same captured values of every argument (none when
       the call has an argument not captured): how many, their median and greatest
       duration, and the call's place among all the calls with these values by start (1:
       the first; 0 when there are none). same_loose: how many of the call's values do not
       tell their argument apart (an object known by its type, a text cut at capture), so
       that calls counted the same may have had different arguments (the verdict then
       assumes they had not); same_loose_param: the parameter of the first of them. */
    uint64_t same_calls, same_p50_ns, same_max_ns, same_nth;
    uint32_t same_loose, same_loose_param;
    int same_verdict; /* atr_why_same: what the calls with the same values say */
    /* The best pair of arguments, when two explain the duration clearly better together than
       any alone (ATR_ARGSCORE_PAIR): its name "A,B" (empty when there is none), its score and
       the other finished calls in the call's group of it. group_pair: the baseline is that
       pair's group (group_arg "A,B", group_label "LABEL_A, LABEL_B"). */
    atr_str pair_arg;
    double pair_score;
    uint64_t pair_peers;
    int group_pair;
} atr_why_summary;

/* A verdict's name in JSON and Python: "", "first_call", "not_arguments", "values". */
ATR_API const char *atr_why_same_name(int verdict);
/* What it says, in words ("" for none): "a first call's work (imports, caches, set-up) made
   it slow, not its arguments", ... (every viewer writes the same). */
ATR_API const char *atr_why_same_says(int verdict);

/* Only the call's place and the same-values part of atr_why_compute (call, function,
   duration_ns, nth_call, same_* but the median; the rest 0), without the argument analysis
   and without memory: one pass over the function's calls, for each of its slowest calls.
   Returns 0, ATR_EINVAL, ATR_ENOMEM (an index without its function lists). */
ATR_API int atr_why_same_values(const atr_index *ix, uint32_t call, atr_why_summary *out);

/* The summary of a result. */
ATR_API void atr_why_get_summary(const atr_why *w, atr_why_summary *out);

typedef struct atr_why_child {
    uint32_t function;
    uint64_t calls;         /* direct children of this function under the call */
    uint64_t duration_ns;   /* their total duration */
    uint64_t typical_calls; /* median number of them per baseline call */
    uint64_t typical_ns;    /* median total duration of them per baseline call */
    int64_t extra_ns;       /* duration_ns - typical_ns */
    uint32_t slowest_call;  /* the slowest of them under the call (ATR_NO_CALL if none) */
    uint64_t slowest_ns;    /* its time under the call */
    /* 1: not children but calls of this function whose generator or coroutine steps the call
       ran for their own callers (atr_call_view.adopted_ns): calls counts those calls,
       duration_ns the time of their steps it ran */
    int resumed;
} atr_why_child;

/*
 * Child function row `i`: every function the call called directly, and every one the
 * typical baseline call calls (typical_calls > 0), sorted by extra_ns descending (ties:
 * function id). Returns 0 or ATR_EINVAL.
 */
ATR_API int atr_why_get_child(const atr_why *w, uint32_t i, atr_why_child *out);

typedef struct atr_why_arg {
    atr_str name;         /* parameter or field name */
    uint32_t param;       /* index into the function's params */
    uint32_t value;       /* the call's value id, ATR_NO_VALUE: not captured */
    double score;         /* the argument's score over all the function's calls */
    const char *group;    /* label of the call's group, NULL if it is in none */
    uint32_t group_value; /* exact groups: its value id, else ATR_NO_VALUE */
    uint64_t group_calls, group_p50_ns;
    uint64_t peer_calls;     /* baseline calls in the call's group */
    uint64_t peer_p50_ns;    /* their median duration (0 if none) */
    int slow_group;          /* the call's group is slow (see above) */
    const char *typical;     /* label of the group holding most baseline calls, or NULL */
    uint32_t typical_value;  /* exact groups: its value id, else ATR_NO_VALUE */
    uint64_t typical_calls;  /* baseline calls in that group */
    uint64_t typical_p50_ns; /* that group's p50 over all the function's calls */
    int has_median;          /* numeric argument: median is set */
    double median;           /* median value over the baseline calls that captured it */
    int differs;             /* the call's group is not the typical group */
} atr_why_arg;

/*
 * Argument `i` in the order of the function's parameters. Returns 0 or ATR_EINVAL.
 */
ATR_API int atr_why_get_arg(const atr_why *w, uint32_t i, atr_why_arg *out);

#ifdef __cplusplus
}
#endif
#endif /* ARGTRACE_ATR_WHY_H */
