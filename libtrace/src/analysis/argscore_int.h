/* Internals shared by argscore.c (scoring) and groups.c (classes, labels, group stats). */
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

typedef struct atr__group {
    atr_arg_group g;
    char *label_buf, *filter_buf; /* owned; g.label/g.filter point here */
    double kmin, kmax;            /* range of keys (RANGE/LENGTH) */
    uint32_t orig;                /* index before sorting (membership, see member) */
} atr__group;

typedef struct atr__arg {
    atr_arg_score s;
    atr__group *groups;
    int decades;
    uint32_t n_edges;
    double edges[10];
    atr_str types[ATR__NB_TOTAL - ATR__B_TYPE0]; /* TYPE mode: names of type buckets */
    atr_str sum_type; /* LENGTH mode over summaries: their type, else empty */
    uint32_t *member; /* kept results only: the group of each analysed call (owned) */
} atr__arg;

struct atr_argscore {
    uint64_t n_calls;
    uint64_t edges[ATR_HIST_BINS + 1];
    atr__arg *args;
    uint32_t n_args;
    uint32_t *ids; /* kept results only: the analysed calls, n_calls of them (owned) */
};

typedef struct atr__ascore_ctx {
    const atr_index *ix;
    uint64_t m;    /* calls analysed */
    uint32_t *ids; /* their ids */
    double *y;     /* their centred log-durations */
    uint64_t *dur; /* their durations (ns) */
    double sst;
    const uint64_t *edges; /* histogram edges */
    int keep;              /* keep the analysed calls and their groups */
} atr__ascore_ctx;

/*
 * atr_argscore_compute() over the calls of several functions at once (n_fns ids, e.g. the
 * functions of one name in several logs): arguments are matched by name, in the order of
 * first appearance. With `keep`, the result also holds the analysed calls (ids) and, for
 * each argument, the group of each of them (member): diff.c splits groups by run.
 */
int atr__argscore_run(const atr_index *ix, const uint32_t *fns, uint32_t n_fns,
                      const atr_filter *filter, uint32_t flags, int keep, atr_argscore **out);

double atr__loo_score(const atr__gacc *g, uint32_t ng, double sst);
uint32_t atr__classify(const atr__ascore_ctx *cx, atr__arg *a, const uint32_t *vids, double *key,
                       uint8_t *cls, uint16_t *b);
int atr__build_groups(const atr__ascore_ctx *cx, atr__arg *a, const uint32_t *vids,
                      const double *key, const uint8_t *cls, const uint16_t *b);
void atr__hist_edges(uint64_t mn, uint64_t mx, uint64_t *edges);

#endif /* ATR_ANALYSIS_ARGSCORE_INT_H */
