/*
 * Diff of two runs loaded into one index (see atr_diff.h): functions matched by full
 * name, per-side figures, the rank test (ranktest.c), and argument groups formed over both
 * runs by the argscore machinery (atr__argscore_run keeps each call's group) then split by
 * run, so that both sides share the same values and bucket boundaries.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/argscore_int.h"
#include "analysis/ranktest.h"

typedef struct dgroup {
    uint32_t orig; /* the group's index in the argscore result */
    atr_diff_stat st;
} dgroup;

typedef struct dfunc {
    char *name;    /* owned, NUL-terminated */
    uint32_t *fns; /* owned: the function ids of this name */
    uint32_t n_fns;
    atr_diff_stat st;
    atr_argscore *as; /* owned, NULL without argument comparison */
    dgroup **groups;  /* owned: per argument of as, its groups (sorted) */
} dfunc;

struct atr_diff {
    dfunc *f;
    uint32_t n;
};

void atr_diff_config_init(atr_diff_config *c) {
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
    c->function = ATR_ALL_FUNCTIONS;
    c->min_calls = 10;
    c->alpha = 0.01;
    c->arguments = 1;
}

/* Nearest rank on a sorted array (the same rank as stats.c). */
static uint64_t pct_sorted(const uint64_t *d, uint64_t n, double p) {
    if (n == 0)
        return 0;
    uint64_t r = (uint64_t)ceil(p / 100.0 * (double)n - 1e-9);
    r = r < 1 ? 1 : r > n ? n : r;
    return d[r - 1];
}

static double ratio(uint64_t base, uint64_t next, uint64_t nb, uint64_t nn) {
    if (nb == 0 || nn == 0 || (base == 0 && next == 0))
        return NAN;
    return base == 0 ? INFINITY : (double)next / (double)base;
}

/* added_ns of st from its sides' totals. */
static void set_added(atr_diff_stat *st) {
    const atr_diff_side *B = &st->side[ATR_DIFF_BASE], *N = &st->side[ATR_DIFF_NEW];
    st->added_ns = N->total_ns >= B->total_ns ? (int64_t)(N->total_ns - B->total_ns)
                                              : -(int64_t)(B->total_ns - N->total_ns);
}

/* Figures and test of side durations b[0..nb) and n[0..nn) (sorted here). */
static void compare(uint64_t *b, uint64_t nb, uint64_t *n, uint64_t nn, const atr_diff_config *c,
                    atr_diff_stat *st) {
    uint64_t *d[2] = {b, n}, cnt[2] = {nb, nn};
    memset(st, 0, sizeof *st);
    for (int s = 0; s < 2; s++) {
        atr__sort_u64(d[s], cnt[s]);
        atr_diff_side *sd = &st->side[s];
        sd->calls = cnt[s];
        for (uint64_t i = 0; i < cnt[s]; i++)
            sd->total_ns += d[s][i];
        sd->p50_ns = pct_sorted(d[s], cnt[s], 50);
        sd->p95_ns = pct_sorted(d[s], cnt[s], 95);
    }
    const atr_diff_side *B = &st->side[ATR_DIFF_BASE], *N = &st->side[ATR_DIFF_NEW];
    set_added(st);
    st->ratio_p50 = ratio(B->p50_ns, N->p50_ns, nb, nn);
    st->ratio_p95 = ratio(B->p95_ns, N->p95_ns, nb, nn);
    st->p_value = NAN;
    if (nb && nn) {
        atr__ranktest rt;
        atr__ranktest_sorted(b, nb, n, nn, &rt);
        st->p_value = rt.p_value;
        st->significant = nb >= c->min_calls && nn >= c->min_calls && rt.p_value < c->alpha;
    }
}

static int is_new(const atr_index *ix, uint32_t call, uint32_t n_base) {
    return ix->threads[ix->calls[call].thread].file >= n_base;
}

/* The function-level comparison of f: durations of its finished, matching calls. */
static int compare_function(const atr_index *ix, const atr_diff_config *c, dfunc *f) {
    uint64_t n = 0;
    for (uint32_t k = 0; k < f->n_fns; k++)
        n += ix->fn_off[f->fns[k] + 1] - ix->fn_off[f->fns[k]];
    uint64_t *d = malloc((size_t)(n ? n : 1) * sizeof *d);
    int32_t *pi = NULL;
    int rc = ATR_ENOMEM;
    if (!d)
        return rc;
    uint64_t nb = 0, nn = 0;    /* base durations from the front, new ones from the back */
    uint64_t outer[2] = {0, 0}; /* totals without calls nested in the function's own */
    for (uint32_t k = 0; k < f->n_fns; k++) {
        const uint32_t *ids = ix->fn_calls + ix->fn_off[f->fns[k]];
        uint64_t m = ix->fn_off[f->fns[k] + 1] - ix->fn_off[f->fns[k]];
        free(pi);
        pi = NULL;
        if (atr__filter_bind(c->filter, ix, f->fns[k], &pi))
            goto out;
        for (uint64_t i = 0; i < m; i++) {
            const atr__call *call = &ix->calls[ids[i]];
            if (call->status == ATR_CALL_UNFINISHED ||
                (c->filter && !atr__filter_match_bound(c->filter, ix, ids[i], pi)))
                continue;
            uint64_t a = atr__call_active(ix, call);
            int side = is_new(ix, ids[i], c->n_base_files);
            if (side)
                d[n - 1 - nn++] = a;
            else
                d[nb++] = a;
            if (!(call->flags & ATR__CF_NESTED))
                outer[side] += a;
        }
    }
    compare(d, nb, d + n - nn, nn, c, &f->st);
    for (int s = 0; s < 2; s++) /* a recursive function's time counted once, as atr_stats */
        f->st.side[s].total_ns = outer[s];
    set_added(&f->st);
    rc = 0;
out:
    free(pi);
    free(d);
    return rc;
}

static int cmp_group(const void *x, const void *y, const atr_argscore *as, uint32_t a) {
    const dgroup *p = x, *q = y;
    uint64_t ap = (uint64_t)llabs(p->st.added_ns), aq = (uint64_t)llabs(q->st.added_ns);
    if (ap != aq)
        return ap > aq ? -1 : 1;
    return strcmp(as->args[a].groups[p->orig].g.label, as->args[a].groups[q->orig].g.label);
}

/* qsort has no context argument: sort by insertion (an argument has at most 257 groups:
   exact grouping stops at 256 distinct values). */
static void sort_groups(dgroup *g, uint32_t n, const atr_argscore *as, uint32_t a) {
    for (uint32_t i = 1; i < n; i++) {
        dgroup t = g[i];
        uint32_t j = i;
        while (j > 0 && cmp_group(&g[j - 1], &t, as, a) > 0) {
            g[j] = g[j - 1];
            j--;
        }
        g[j] = t;
    }
}

/* A compared call's position in as->ids, by call id (the function's calls, sorted). */
typedef struct callpos {
    uint32_t call, pos;
} callpos;

static int cmp_callpos(const void *x, const void *y) {
    const callpos *p = x, *q = y;
    return p->call < q->call ? -1 : p->call > q->call;
}

static int is_fn(const dfunc *f, uint32_t fn) {
    for (uint32_t k = 0; k < f->n_fns; k++)
        if (f->fns[k] == fn)
            return 1;
    return 0;
}

/*
 * up[i]: the position in as->ids of the nearest ancestor of call i that is a compared call
 * of the same function, UINT32_MAX if none (also for every call when none is nested). A
 * recursive function's call inside another of the same argument group is in that call's
 * time already: a group's total counts it once, as the function's total does (ATR__CF_NESTED).
 * Returns 0, or ATR_ENOMEM.
 */
static int nested_ancestors(const atr_index *ix, const dfunc *f, const atr_argscore *as,
                            uint32_t *up) {
    uint64_t m = as->n_calls, n_nested = 0;
    for (uint64_t i = 0; i < m; i++) {
        up[i] = UINT32_MAX;
        n_nested += (ix->calls[as->ids[i]].flags & ATR__CF_NESTED) != 0;
    }
    if (n_nested == 0)
        return 0;
    callpos *byid = malloc((size_t)m * sizeof *byid);
    if (!byid)
        return ATR_ENOMEM;
    for (uint64_t i = 0; i < m; i++)
        byid[i] = (callpos){as->ids[i], (uint32_t)i};
    qsort(byid, (size_t)m, sizeof *byid, cmp_callpos);
    for (uint64_t i = 0; i < m; i++) {
        if (!(ix->calls[as->ids[i]].flags & ATR__CF_NESTED))
            continue;
        for (uint32_t p = ix->calls[as->ids[i]].parent; p != ATR_NO_CALL; p = ix->calls[p].parent) {
            const atr__call *a = &ix->calls[p];
            if (!is_fn(f, a->func))
                continue;
            callpos key = {p, 0}, *hit = bsearch(&key, byid, (size_t)m, sizeof *byid, cmp_callpos);
            if (hit) {
                up[i] = hit->pos;
                break;
            }
            if (!(a->flags & ATR__CF_NESTED)) /* the outermost call, not compared */
                break;
        }
    }
    free(byid);
    return 0;
}

/* 1 if call i has an ancestor in its own group g (through up[], see nested_ancestors). */
static int nested_in_group(const uint32_t *up, const uint32_t *call_group, uint64_t i) {
    for (uint32_t j = up[i]; j != UINT32_MAX; j = up[j])
        if (call_group[j] == call_group[i])
            return 1;
    return 0;
}

/* Split every argument's groups by run and compare them. */
static int compare_groups(const atr_index *ix, const atr_diff_config *c, dfunc *f) {
    int rc = atr__argscore_run(ix, f->fns, f->n_fns, c->filter, 0, 1, &f->as);
    if (rc)
        return rc;
    const atr_argscore *as = f->as;
    uint64_t m = as->n_calls;
    f->groups = calloc(as->n_args ? as->n_args : 1, sizeof *f->groups);
    uint64_t *d = malloc((size_t)(m ? m : 1) * sizeof *d);
    uint64_t *off = NULL, *outer = NULL;
    uint8_t *side = malloc((size_t)(m ? m : 1));
    uint64_t *dur = malloc((size_t)(m ? m : 1) * sizeof *dur);
    uint32_t *up = malloc((size_t)(m ? m : 1) * sizeof *up);
    rc = ATR_ENOMEM;
    if (!f->groups || !d || !side || !dur || !up || nested_ancestors(ix, f, as, up))
        goto out;
    for (uint64_t i = 0; i < m; i++) {
        side[i] = (uint8_t)is_new(ix, as->ids[i], c->n_base_files);
        dur[i] = atr__call_active(ix, &ix->calls[as->ids[i]]);
    }
    for (uint32_t a = 0; a < as->n_args; a++) {
        const atr__arg *A = &as->args[a];
        uint32_t ng = A->s.n_groups;
        free(off);
        free(outer);
        outer = NULL;
        /* off[2g + s]: start of group g's side s in d (counting sort); outer[2g + s]: its
           total without calls nested in another of the group */
        if (!(off = calloc(2 * (size_t)ng + 1, sizeof *off)) ||
            !(outer = calloc(2 * (size_t)ng + 1, sizeof *outer)) ||
            !(f->groups[a] = calloc(ng ? ng : 1, sizeof(dgroup))))
            goto out;
        for (uint64_t i = 0; i < m; i++) {
            off[2 * (size_t)A->call_group[i] + side[i] + 1]++;
            if (!nested_in_group(up, A->call_group, i))
                outer[2 * (size_t)A->call_group[i] + side[i]] += dur[i];
        }
        for (size_t k = 0; k < 2 * (size_t)ng; k++)
            off[k + 1] += off[k];
        for (uint64_t i = 0; i < m; i++)
            d[off[2 * (size_t)A->call_group[i] + side[i]]++] = dur[i];
        /* off[k] is now the end of slot k, i.e. the start of slot k + 1 */
        for (uint32_t g = 0; g < ng; g++) {
            uint64_t b0 = g ? off[2 * (size_t)g - 1] : 0, b1 = off[2 * (size_t)g],
                     n1 = off[2 * (size_t)g + 1];
            f->groups[a][g].orig = g;
            atr_diff_stat *st = &f->groups[a][g].st;
            compare(d + b0, b1 - b0, d + b1, n1 - b1, c, st);
            for (int sd = 0; sd < 2; sd++)
                st->side[sd].total_ns = outer[2 * (size_t)g + sd];
            set_added(st);
        }
        sort_groups(f->groups[a], ng, as, a);
    }
    rc = 0;
out:
    free(off);
    free(outer);
    free(d);
    free(side);
    free(dur);
    free(up);
    return rc;
}

typedef struct named {
    uint32_t fn;
    char *name;
} named;

static int cmp_named(const void *x, const void *y) {
    const named *p = x, *q = y;
    int r = strcmp(p->name, q->name);
    return r ? r : (p->fn < q->fn ? -1 : p->fn > q->fn);
}

static int cmp_func(const void *x, const void *y) {
    const dfunc *p = x, *q = y;
    uint64_t ap = (uint64_t)llabs(p->st.added_ns), aq = (uint64_t)llabs(q->st.added_ns);
    if (ap != aq)
        return ap > aq ? -1 : 1;
    return strcmp(p->name, q->name);
}

static char *full_name(const atr_index *ix, uint32_t fn) {
    size_t len = atr_function_name(ix, fn, NULL, 0);
    char *p = malloc(len + 1);
    if (p)
        atr_function_name(ix, fn, p, len + 1);
    return p;
}

/* Group the function ids by full name into d->f (only `only`'s name unless it is ALL). */
static int match_functions(const atr_index *ix, uint32_t only, atr_diff *d) {
    uint32_t nf = ix->n_funcs;
    named *v = calloc(nf ? nf : 1, sizeof *v);
    char *want = only == ATR_ALL_FUNCTIONS ? NULL : full_name(ix, only);
    int rc = ATR_ENOMEM;
    uint32_t n = 0;
    if (!v || (only != ATR_ALL_FUNCTIONS && !want))
        goto out;
    for (uint32_t fn = 0; fn < nf; fn++) {
        if (!(v[n].name = full_name(ix, fn)))
            goto out;
        v[n].fn = fn;
        if (want && strcmp(want, v[n].name) != 0)
            free(v[n].name);
        else
            n++;
    }
    qsort(v, n, sizeof *v, cmp_named);
    if (!(d->f = calloc(n ? n : 1, sizeof *d->f)))
        goto out;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j < n && strcmp(v[j].name, v[i].name) == 0)
            j++;
        dfunc *f = &d->f[d->n++];
        if (!(f->fns = malloc((j - i) * sizeof *f->fns)))
            goto out;
        for (uint32_t k = i; k < j; k++)
            f->fns[f->n_fns++] = v[k].fn;
        f->name = v[i].name;
        v[i].name = NULL;
        i = j;
    }
    rc = 0;
out:
    for (uint32_t i = 0; v && i < n; i++)
        free(v[i].name);
    free(v);
    free(want);
    return rc;
}

static void dfunc_free(dfunc *f) {
    for (uint32_t a = 0; f->groups && f->as && a < f->as->n_args; a++)
        free(f->groups[a]);
    free(f->groups);
    atr_argscore_free(f->as);
    free(f->fns);
    free(f->name);
}

int atr_diff_compute(const atr_index *ix, const atr_diff_config *c, atr_diff **out) {
    if (!ix || !c || !out || c->size < sizeof *c || c->n_base_files > ix->n_files ||
        (c->function != ATR_ALL_FUNCTIONS && c->function >= ix->n_funcs) || !(c->alpha > 0) ||
        !(c->alpha < 1))
        return ATR_EINVAL;
    *out = NULL;
    if (!ix->fn_off)
        return ATR_ENOMEM;
    atr_diff *d = calloc(1, sizeof *d);
    if (!d)
        return ATR_ENOMEM;
    int rc = match_functions(ix, c->function, d);
    uint32_t kept = 0, i = 0;
    for (; rc == 0 && i < d->n; i++) {
        dfunc f = d->f[i];
        memset(&d->f[i], 0, sizeof d->f[i]);
        rc = compare_function(ix, c, &f);
        if (rc == 0 && c->function == ATR_ALL_FUNCTIONS &&
            f.st.side[0].calls + f.st.side[1].calls == 0) {
            dfunc_free(&f); /* nothing to compare: leave it out */
            continue;
        }
        if (rc == 0 && c->arguments)
            rc = compare_groups(ix, c, &f);
        d->f[kept++] = f;
    }
    for (; i < d->n; i++) /* after an error: keep the rest for atr_diff_free */
        d->f[kept++] = d->f[i];
    d->n = kept;
    if (rc) {
        atr_diff_free(d);
        return rc;
    }
    qsort(d->f, d->n, sizeof *d->f, cmp_func);
    *out = d;
    return 0;
}

void atr_diff_free(atr_diff *d) {
    if (!d)
        return;
    for (uint32_t i = 0; i < d->n; i++)
        dfunc_free(&d->f[i]);
    free(d->f);
    free(d);
}

uint32_t atr_diff_count(const atr_diff *d) { return d ? d->n : 0; }

int atr_diff_function_get(const atr_diff *d, uint32_t i, atr_diff_function *out) {
    if (!d || i >= d->n)
        return ATR_EINVAL;
    const dfunc *f = &d->f[i];
    out->name = f->name;
    out->function = f->fns[0];
    out->stat = f->st;
    out->n_args = f->as ? f->as->n_args : 0;
    return 0;
}

int atr_diff_arg(const atr_diff *d, uint32_t i, uint32_t a, atr_arg_score *out) {
    if (!d || i >= d->n || !d->f[i].as || a >= d->f[i].as->n_args)
        return ATR_EINVAL;
    *out = d->f[i].as->args[a].s;
    return 0;
}

int atr_diff_group_get(const atr_diff *d, uint32_t i, uint32_t a, uint32_t g, atr_diff_group *out) {
    if (!d || i >= d->n || !d->f[i].as || a >= d->f[i].as->n_args ||
        g >= d->f[i].as->args[a].s.n_groups)
        return ATR_EINVAL;
    const dgroup *dg = &d->f[i].groups[a][g];
    const atr_arg_group *ag = &d->f[i].as->args[a].groups[dg->orig].g;
    out->label = ag->label;
    out->value = ag->value;
    out->filter = ag->filter;
    out->stat = dg->st;
    return 0;
}
