/*
 * Rank test of two samples of durations: Mann–Whitney U (Wilcoxon rank-sum), two-sided,
 * with the normal approximation, a continuity correction and the tie correction of the
 * variance. Reusable by any command comparing two sets of calls (diff, why).
 */
#ifndef ATR_ANALYSIS_RANKTEST_H
#define ATR_ANALYSIS_RANKTEST_H

#include <stdint.h>

typedef struct atr__ranktest {
    double u;       /* U of the first sample: pairs (a, b) with a > b, ties counting 1/2 */
    double z;       /* standardised |U - na*nb/2| (continuity-corrected), >= 0 */
    double p_value; /* two-sided; 1 when every value is tied or a sample is empty */
} atr__ranktest;

/*
 * Test sample a[0..na) against b[0..nb); both must be sorted ascending. O(na + nb), no
 * allocation.
 */
void atr__ranktest_sorted(const uint64_t *a, uint64_t na, const uint64_t *b, uint64_t nb,
                          atr__ranktest *out);

/* Sort n durations ascending (in place). */
void atr__sort_u64(uint64_t *d, uint64_t n);

#endif /* ATR_ANALYSIS_RANKTEST_H */
