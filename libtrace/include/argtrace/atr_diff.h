/* SPDX-License-Identifier: MIT */
/*
 * argtrace analysis, two runs compared: what got slower or faster, per function and per argument group.
 * Part of atr_analysis.h (which includes every part, with the overview: identifiers, times,
 * memory, threads, return codes).
 */
#ifndef ARGTRACE_ATR_DIFF_H
#define ARGTRACE_ATR_DIFF_H

#include "atr_stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Diff of two runs: what got slower or faster, per function and per argument group
 *
 * Load the base run's logs first, then the new run's, into one index (the same log on both
 * sides is refused by atr_index_load); n_base_files says where the new run starts. Functions
 * are matched across the runs by their full name "module.qualname" (a function whose file
 * moved is still the same function); functions found in one run only have 0 calls on the
 * other side.
 *
 * Only finished calls matching the filter count (an unfinished call's duration is not
 * known). For each function and side: calls, total, p50 and p95 (nearest rank, as
 * atr_stats). added_ns = new total - base total: the time the function added to (positive)
 * or saved from (negative) the run, counting both slower calls and more calls. Functions are
 * sorted by |added_ns|, largest first (ties: name).
 *
 * Significance: Mann-Whitney U rank test of the two sides' durations (two-sided, normal
 * approximation with continuity and tie corrections). A change is significant when both
 * sides have at least min_calls calls and p < alpha.
 *
 * Argument groups: for each argument, the calls of BOTH runs are grouped together as
 * atr_argscore_compute() groups them (same values, same bucket boundaries on both sides),
 * then each group is split by run and compared like a function. Arguments keep argscore's
 * order (the one explaining most of the duration's variation over both runs first); groups
 * are sorted by |added_ns| like functions.
 */

#define ATR_DIFF_BASE 0 /* index of the base run in atr_diff_stat.side */
#define ATR_DIFF_NEW 1  /* index of the new run */

typedef struct atr_diff_config {
    size_t size;              /* sizeof(atr_diff_config), set by atr_diff_config_init */
    uint32_t n_base_files;    /* files 0 .. n_base_files-1 are the base run; the rest new */
    uint32_t function;        /* a function id (every function of its full name is
                                  compared), or ATR_ALL_FUNCTIONS (default) */
    const atr_filter *filter; /* NULL (default): every call */
    uint64_t min_calls;       /* calls each side needs for significance; default 10 */
    double alpha;             /* significance level; default 0.01 */
    int arguments;            /* 1 (default): compare argument groups; 0: functions only */
} atr_diff_config;

/* Fill *c with defaults. */
ATR_API void atr_diff_config_init(atr_diff_config *c);

/* One run's figures (only finished calls matching the filter). */
typedef struct atr_diff_side {
    uint64_t calls;
    uint64_t total_ns;       /* a function's: recursion counted once (atr_stats.inclusive_ns) */
    uint64_t p50_ns, p95_ns; /* 0 without calls */
} atr_diff_side;

/* A comparison of the two runs (of a function, or of one argument group). */
typedef struct atr_diff_stat {
    atr_diff_side side[2]; /* [ATR_DIFF_BASE], [ATR_DIFF_NEW] */
    int64_t added_ns;      /* new total_ns - base total_ns */
    double ratio_p50;      /* new p50 / base p50; NAN when a side has no calls or base p50
                              is 0 (INFINITY when only base p50 is 0) */
    double ratio_p95;      /* the same for p95 */
    double p_value;        /* two-sided rank test; NAN when a side has no calls */
    int significant;       /* both sides >= min_calls and p_value < alpha */
} atr_diff_stat;

typedef struct atr_diff atr_diff;

/*
 * Compare the runs. On success *out owns the result. Returns 0, ATR_EINVAL (n_base_files
 * beyond the loaded files, bad function id, alpha not in (0, 1)), ATR_ENOMEM.
 * Time O(n log n) in the calls compared, times the number of arguments.
 */
ATR_API int atr_diff_compute(const atr_index *ix, const atr_diff_config *c, atr_diff **out);

/* Free a result. Accepts NULL. */
ATR_API void atr_diff_free(atr_diff *d);

/* Number of functions compared (sorted by |added_ns|, largest first). */
ATR_API uint32_t atr_diff_count(const atr_diff *d);

typedef struct atr_diff_function {
    const char *name;  /* "module.qualname", NUL-terminated; lives as long as d */
    uint32_t function; /* a function id of that name (the first loaded) */
    atr_diff_stat stat;
    uint32_t n_args; /* arguments compared (0 when config.arguments was 0) */
} atr_diff_function;

/* Function `i`. Returns 0 or ATR_EINVAL. */
ATR_API int atr_diff_function_get(const atr_diff *d, uint32_t i, atr_diff_function *out);

/*
 * Argument `a` of function `i`: its name, grouping (atr_arg_score over both runs; n_groups
 * its number of groups). Returns 0 or ATR_EINVAL.
 */
ATR_API int atr_diff_arg(const atr_diff *d, uint32_t i, uint32_t a, atr_arg_score *out);

typedef struct atr_diff_group {
    const char *label;  /* as atr_arg_group.label; lives as long as d */
    uint32_t value;     /* exact groups: the value id, else ATR_NO_VALUE */
    const char *filter; /* as atr_arg_group.filter */
    atr_diff_stat stat;
} atr_diff_group;

/* Group `g` of argument `a` of function `i` (sorted by |added_ns|). Returns 0 or ATR_EINVAL. */
ATR_API int atr_diff_group_get(const atr_diff *d, uint32_t i, uint32_t a, uint32_t g,
                               atr_diff_group *out);

#ifdef __cplusplus
}
#endif
#endif /* ARGTRACE_ATR_DIFF_H */
