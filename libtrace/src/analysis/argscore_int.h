/*
 * Internals shared by argscore.c (scoring), groups.c (classes, labels, group stats),
 * breaks.c (natural breaks, trend score) and keys.c (derived and caller-given keys).
 */
#ifndef ATR_ANALYSIS_ARGSCORE_INT_H
#define ATR_ANALYSIS_ARGSCORE_INT_H

#include "analysis/analysis.h"

/* Bucket numbers: 0..9 ranges, then None, not captured, then one per type (TYPE mode). */
#define ATR__NB_RANGE 10u
#define ATR__B_NONE 10u
#define ATR__B_MISSING 11u
#define ATR__B_TYPE0 12u
#define ATR__NB_TOTAL 64u

#define ATR__CLS_KEY 1   /* bucketed by key[] (value or length) */
#define ATR__CLS_FIXED 2 /* bucket already in b[] */

typedef struct atr__gacc {
    uint64_t n;
    double s, q; /* sum and sum of squares of centred log-durations */
} atr__gacc;

/* One more call of centred log-duration y in group g. */
static inline void atr__gacc_add(atr__gacc *g, double y) {
    g->n++;
    g->s += y;
    g->q += y * y;
}

typedef struct atr__group {
    atr_arg_group g;
    char *label_buf, *filter_buf; /* owned; g.label/g.filter point here */
    double kmin, kmax;            /* range of keys (RANGE/LENGTH) */
    double below, above;          /* largest key of the range below, smallest above (+-inf) */
    uint32_t orig;                /* index before sorting */
    uint32_t token; /* exact groups: the value id or caller's token grouped (a pair's: its
                       first key's group * the second's group count + the second's group);
                       UINT32_MAX for ranges, buckets and the missing group */
    int missing; /* the calls without the key: "(not captured)", "(not passed)", "(no result)"... */
} atr__group;

/* What an analysed key is (atr__arg.kind). */
#define ATR__K_ARG 0    /* an argument's values */
#define ATR__K_LEN 1    /* len(ARG): lengths of str, bytes and containers */
#define ATR__K_TYPE 2   /* type(ARG) */
#define ATR__K_ITEMS 3  /* ARG.items: number of items of containers */
#define ATR__K_CUSTOM 4 /* tokens given by the caller (pairs, Python key functions) */

typedef struct atr__arg {
    atr_arg_score s;
    atr__group *groups;
    uint32_t n_edges;
    double edges[10];
    atr_str types[ATR__NB_TOTAL - ATR__B_TYPE0]; /* TYPE mode: names of type buckets */
    atr_str sum_type; /* LENGTH mode over summaries: their type, else empty */
    int kind;         /* ATR__K_* */
    atr_str base;     /* derived keys: the argument's name (for filters) */
    char *name_buf;   /* owned: the name of a derived key ("len(sql)"), s.name points here */
    int no_filter;    /* 1: the key's groups cannot be written as filters */
    int keyword;      /* a **kwargs keyword (a field): missing means "not passed" */
    /* ATR__K_CUSTOM: label and filter (NULL: none) per token; borrowed during compute. */
    const char *const *tok_label;
    const char *const *tok_filter;
    const double *num;    /* ATR__K_CUSTOM: per call numeric key (NAN: none), or NULL */
    const uint32_t *vals; /* LEN/TYPE/ITEMS: per call value id (tokens are lengths) */
    /* owned, when the caller allocated it (pairs, kept results): the group (sorted index) of
       each analysed call, filled by atr__build_groups */
    uint32_t *call_group;
} atr__arg;

struct atr_argscore {
    uint64_t n_calls;
    uint64_t edges[ATR_HIST_BINS + 1];
    atr__arg *args;
    uint32_t n_args;
    uint32_t *ids; /* kept results only: the analysed calls, n_calls of them (owned) */
};

/*
 * The calls analysed: 12 bytes each (id, centred log-duration). Their durations are read
 * from the index when needed (atr__cx_dur) rather than kept: on a log of 100M calls one
 * function may have 20M of them, and each byte per call here is 20 MB.
 */
typedef struct atr__ascore_ctx {
    const atr_index *ix;
    uint64_t m;          /* calls analysed */
    const uint32_t *ids; /* their ids: ids_own, or the function's list of calls when every
                            one of them is analysed (atr__ctx_borrow_ids) */
    uint32_t *ids_own;   /* owned (atr__gather fills it), or NULL */
    double *y;           /* their centred log-durations */
    double sst;
    const uint64_t *edges; /* histogram edges */
} atr__ascore_ctx;

/* The active time (ns) of the i-th analysed call. */
static inline uint64_t atr__cx_dur(const atr__ascore_ctx *cx, uint64_t i) {
    return atr__call_active(cx->ix, &cx->ix->calls[cx->ids[i]]);
}

/*
 * atr_argscore_compute() over the calls of several functions at once (n_fns ids, e.g. the
 * functions of one name in several logs): arguments are matched by name, in the order of
 * first appearance. With `keep`, the result also holds the analysed calls (ids) and, for
 * each argument, the group of each of them (call_group): diff.c splits groups by run.
 */
int atr__argscore_run(const atr_index *ix, const uint32_t *fns, uint32_t n_fns,
                      const atr_filter *filter, uint32_t flags, int keep, atr_argscore **out);

double atr__loo_score(const atr__gacc *g, uint32_t ng, double sst);
uint32_t atr__classify(const atr__ascore_ctx *cx, atr__arg *a, const uint32_t *vids, double *key,
                       uint8_t *cls, uint16_t *b);
/* Groups of a's analysed key; frees *key (and sets it NULL) once read, so that the sorted
   durations take its place rather than 8 more bytes per call. */
int atr__build_groups(const atr__ascore_ctx *cx, atr__arg *a, const uint32_t *vids, double **key,
                      const uint8_t *cls, const uint16_t *b);
void atr__hist_edges(uint64_t mn, uint64_t mx, uint64_t *edges);
/* Analyse one key over the calls of cx: a->kind and its fields set, tokens[i] its exact
   token (value id, length, caller's token; ATR_NO_VALUE: none) per call. */
int atr__analyse_key(atr__ascore_ctx *cx, atr__arg *a, const uint32_t *tokens);
/* Free what an atr__arg owns. */
void atr__arg_free(atr__arg *a);
/* Fewest calls for which two threads analyse the keys (argscore.c); tests lower it to run
   small logs through both threads. */
extern uint64_t atr__score_par_min;

/* One function's calls for atr__gather. */
typedef struct atr__gseg {
    const uint32_t *calls;
    uint64_t n;
    const int32_t *pi;  /* the filter's names bound to the function (atr__filter_bind) */
    const int32_t *col; /* column k < n_cols: the function's parameter index (-1: none);
                           NULL: column k is parameter k */
} atr__gseg;

/*
 * Gather the calls of seg[0..n_seg) (n in all, in that order) that are finished and match
 * `filter` into cx (ids, centred log active times, SST, s->edges, s->n_calls); kept[i] (if
 * non-NULL) says whether the i-th call was; value k of the j-th kept call at vids[k * n + j]
 * for k < na (n_cols parameter columns, then result and exception type). 0 or ATR_ENOMEM.
 */
int atr__gather(const atr_index *ix, const atr__gseg *seg, uint32_t n_seg, const atr_filter *filter,
                uint32_t n_cols, uint32_t na, uint8_t *kept, atr__ascore_ctx *cx, uint32_t *vids,
                atr_argscore *s);
void atr__ctx_free(atr__ascore_ctx *cx);
/* When cx analyses every call of `calls` (n of them, in order: no filter, all finished), use
   that list instead of its own copy of the ids: 4 bytes per call less. */
void atr__ctx_borrow_ids(atr__ascore_ctx *cx, const uint32_t *calls, uint64_t n);
/* Value k (< na: n_cols parameter columns through col, then result and exception type) of
   call c: its value id or ATR_NO_VALUE. */
uint32_t atr__call_key_value(const atr_index *ix, const atr__call *c, const int32_t *col,
                             uint32_t n_cols, uint32_t k);
void atr__sort_args(atr_argscore *s); /* best score first */
/* keys.c: ATR_ARGSCORE_PAIR over s (sorted; its arguments' call_group kept) and the calls of
   cx: the best pair of arguments added (s sorted again) when it explains clearly more than
   any key alone. 0 or ATR_ENOMEM. */
int atr__add_best_pair(atr__ascore_ctx *cx, atr_argscore *s);

/* groups.c: a value as a group's label shows it ("fast", "list len 3: 1, 2, 3"). */
void atr__label_value(const atr_value *v, char *out, size_t size);

/* The label of a group, where a summarizer's object (every item an entry:
   atr_value_entry_key) reads as its entries' values alone, "(300, 300) float64", as pairs
   label their groups (two such labels in full would not fit a column); else `label`. */
const char *atr__label_short(const atr_index *ix, const atr_arg_group *g, char *buf, size_t size);

/* labels.c: distinguishing labels of exact str/bytes groups (g.value set). */
int atr__excerpt_labels(const atr_index *ix, atr__group *groups, uint32_t ng);
/* labels.c: an integer with thousands separators, as labels show lengths and ranges
   ("-12,379"; filters keep the bare digits). */
void atr__fmt_grouped(char *buf, size_t size, long long n);

/* breaks.c */
double atr__slog(double x); /* sign(x) * log(1 + |x|) */
/* Natural-break edges (at most 9) of key[i] over calls with cls[i] == ATR__CLS_KEY: bucket j
   holds keys >= edges[j - 1]. Returns the number of edges. */
uint32_t atr__natural_breaks(const double *key, const uint8_t *cls, uint64_t m, double *edges);
/* [kmin, kmax] widened to 2 (or more) significant digits, staying above `below` and under
   `above` (the neighbouring groups' keys). */
void atr__nice_range(double kmin, double kmax, double below, double above, double *lo, double *hi);
/* Adjusted R^2 of log-duration on slog(key) (keyed calls) plus one mean per other bucket. */
double atr__trend_score(const atr__ascore_ctx *cx, const double *key, const uint8_t *cls,
                        const uint16_t *b);

#endif /* ATR_ANALYSIS_ARGSCORE_INT_H */
