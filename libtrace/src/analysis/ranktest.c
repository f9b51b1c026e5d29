/*
 * Mann–Whitney U with the normal approximation (see ranktest.h). Both samples are sorted,
 * so one merge walks the runs of equal values: a run of t values (ta from a) occupying
 * ranks r+1 .. r+t gives each the mid-rank r + (t+1)/2, and adds t^3 - t to the tie term.
 *
 *   U_a = R_a - na(na+1)/2,   mean = na*nb/2,
 *   var = na*nb/12 * ((N+1) - sum(t^3 - t) / (N(N-1))),   N = na + nb,
 *   z = max(0, |U_a - mean| - 1/2) / sqrt(var),   p = erfc(z / sqrt 2).
 *
 * p is kept to 12 significant digits: libm's erfc differs between builds in the last bit,
 * and a log's answers (goldens, --json) must not.
 */
#include "analysis/ranktest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* v to 12 significant digits (printf and strtod round exactly: the same on every build). */
static double round12(double v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.12g", v);
    return strtod(buf, NULL);
}

void atr__ranktest_sorted(const uint64_t *a, uint64_t na, const uint64_t *b, uint64_t nb,
                          atr__ranktest *out) {
    out->u = 0;
    out->z = 0;
    out->p_value = 1;
    if (na == 0 || nb == 0)
        return;
    uint64_t i = 0, j = 0;
    double r = 0, ra = 0, ties = 0;
    while (i < na || j < nb) {
        uint64_t v = i < na && (j >= nb || a[i] <= b[j]) ? a[i] : b[j];
        uint64_t ta = 0, tb = 0;
        while (i < na && a[i] == v)
            i++, ta++;
        while (j < nb && b[j] == v)
            j++, tb++;
        double t = (double)(ta + tb);
        ra += (double)ta * (r + (t + 1) / 2);
        ties += t * t * t - t;
        r += t;
    }
    double n1 = (double)na, n2 = (double)nb, n = n1 + n2;
    out->u = ra - n1 * (n1 + 1) / 2;
    double var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)));
    if (!(var > 0))
        return;
    double dev = fabs(out->u - n1 * n2 / 2) - 0.5;
    out->z = dev > 0 ? dev / sqrt(var) : 0;
    out->p_value = round12(erfc(out->z / sqrt(2.0)));
}

static int cmp_u64(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

void atr__sort_u64(uint64_t *d, uint64_t n) {
    if (n > 1)
        qsort(d, (size_t)n, sizeof *d, cmp_u64);
}
