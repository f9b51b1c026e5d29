/*
 * Why was this call slow? (atr_why_*, see atr_why.h.) One call against the typical
 * calls of its function: a baseline chosen with the per-argument analysis (argscore.c:
 * the call's group of the best explaining argument, else every other call), medians over
 * that baseline of the duration, the self time and each child function's time per call,
 * and where the call's argument values sit among the function's argument groups.
 *
 * Which group a call is in: exact groups by value id; range and length groups by the
 * range of keys (number or length) each holds, as groups.c classified them; the other groups
 * (types) by the filter expression groups.c writes for each (it selects exactly that group's
 * calls). The missing group ("(not captured)", or "(not passed)" for a **kwargs keyword;
 * groups.c marks it) takes calls without the value (and NaN, which groups.c puts there),
 * "None" the None values.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/argscore_int.h"

struct atr_why {
    atr_why_summary sum;
    atr_argscore *as;    /* owned: group labels and filters point into it */
    atr_why_child *kids; /* sum.n_children rows */
    atr_why_arg *args;   /* sum.n_args rows */
};

/* ---- which group of one argument a call is in ---- */

typedef struct grp_matcher {
    const atr__arg *a;
    int32_t pair[2];   /* a pair "A,B": the matchers of A and B (indices), else -1 */
    atr__u32map exact; /* exact mode: value id -> group index */
    atr_filter **f;    /* bucket modes, per group: its filter (NULL when it has none) */
    int32_t **pi;      /* per group: that filter's names bound to the function */
    int32_t missing;   /* the "(not captured)" group, or -1 */
    int32_t none;      /* bucket modes: the "None" group, or -1 */
} grp_matcher;

static int matcher_init(grp_matcher *m, const atr_index *ix, uint32_t fn, const atr__arg *a) {
    memset(m, 0, sizeof(*m));
    m->a = a;
    m->missing = m->none = -1;
    m->pair[0] = m->pair[1] = -1;
    uint32_t ng = a->s.n_groups;
    if (a->s.pair)
        return 0; /* pair_members() links it to its keys' matchers */
    if (a->s.mode != ATR_GROUP_EXACT) {
        m->f = calloc(ng ? ng : 1, sizeof(*m->f));
        m->pi = calloc(ng ? ng : 1, sizeof(*m->pi));
        if (!m->f || !m->pi)
            return ATR_ENOMEM;
    }
    for (uint32_t g = 0; g < ng; g++) {
        const atr_arg_group *G = &a->groups[g].g;
        if (a->groups[g].missing) {
            m->missing = (int32_t)g;
            continue;
        }
        if (a->s.mode == ATR_GROUP_EXACT) {
            if (atr__u32map_put(&m->exact, G->value, g))
                return ATR_ENOMEM;
            continue;
        }
        int keyed = a->groups[g].kmin <= a->groups[g].kmax; /* a range or length group */
        if (!keyed && strcmp(G->label, "None") == 0)
            m->none = (int32_t)g;
        if (keyed || G->filter[0] == '\0')
            continue;
        int rc = atr_filter_parse(G->filter, &m->f[g], NULL, 0);
        if (rc == ATR_ENOMEM || (rc == 0 && atr__filter_bind(m->f[g], ix, fn, &m->pi[g])))
            return ATR_ENOMEM;
    }
    return 0;
}

static void matcher_free(grp_matcher *m) {
    for (uint32_t g = 0; m->f && g < m->a->s.n_groups; g++) {
        atr_filter_free(m->f[g]);
        free(m->pi[g]);
    }
    free(m->f);
    free(m->pi);
    atr__u32map_free(&m->exact);
}

static uint32_t arg_of(const atr_index *ix, uint32_t call, uint32_t k) {
    const atr__call *c = &ix->calls[call];
    return k < c->n_args ? ix->argv[c->args + k] : ATR_NO_VALUE;
}

/* The matcher of the plain argument named `name` among gm[0..n), or -1. */
static int32_t matcher_named(const grp_matcher *gm, uint32_t n, const char *name, size_t len) {
    for (uint32_t i = 0; i < n; i++) {
        const atr__arg *a = gm[i].a;
        if (!a->s.pair && a->kind == ATR__K_ARG && a->s.name.len == len &&
            memcmp(a->s.name.ptr, name, len) == 0)
            return (int32_t)i;
    }
    return -1;
}

/* Link the pair matcher gm[i] ("A,B", exact groups of tokens: keys.c pair_of) to the
   matchers of A and B; a pair whose keys are not both plain arguments matches no call. */
static void pair_members(grp_matcher *gm, uint32_t n, uint32_t i) {
    const atr_str nm = gm[i].a->s.name;
    const char *comma = memchr(nm.ptr, ',', nm.len);
    if (!comma || gm[i].a->s.mode != ATR_GROUP_EXACT)
        return;
    int32_t x = matcher_named(gm, n, nm.ptr, (size_t)(comma - nm.ptr));
    int32_t y = matcher_named(gm, n, comma + 1, nm.len - (size_t)(comma + 1 - nm.ptr));
    if (x >= 0 && y >= 0)
        gm[i].pair[0] = x, gm[i].pair[1] = y;
}

static int32_t matcher_group(const grp_matcher *gm, uint32_t i, const atr_index *ix, uint32_t call);

/* The group of `call` in pair matcher m: the one of its keys' two groups, or -1. */
static int32_t pair_group(const grp_matcher *gm, const grp_matcher *m, const atr_index *ix,
                          uint32_t call) {
    if (m->pair[0] < 0)
        return -1;
    int32_t g0 = matcher_group(gm, (uint32_t)m->pair[0], ix, call);
    int32_t g1 = matcher_group(gm, (uint32_t)m->pair[1], ix, call);
    if (g0 < 0 || g1 < 0)
        return -1;
    uint64_t t = (uint64_t)g0 * gm[m->pair[1]].a->s.n_groups + (uint64_t)g1;
    for (uint32_t g = 0; g < m->a->s.n_groups; g++)
        if (m->a->groups[g].token == t)
            return (int32_t)g;
    return -1;
}

/* The group of `call` (a call of the function) in matcher gm[i], or -1. */
static int32_t matcher_group(const grp_matcher *gm, uint32_t i, const atr_index *ix,
                             uint32_t call) {
    const grp_matcher *m = &gm[i];
    if (m->a->s.pair)
        return pair_group(gm, m, ix, call);
    uint32_t v = arg_of(ix, call, (uint32_t)m->a->s.param);
    if (v == ATR_NO_VALUE)
        return m->missing;
    if (m->a->s.mode == ATR_GROUP_EXACT) {
        const uint32_t *slot = atr__u32map_get(&m->exact, v);
        return slot ? (int32_t)*slot : -1;
    }
    atr_value val;
    if (atr__values_get(&ix->vals, v, &val) != 0)
        return -1;
    if (val.kind == ATR_V_NIL)
        return m->none;
    double key = NAN;
    if (m->a->s.mode == ATR_GROUP_RANGE) {
        key = atr__value_number(&val);
        if (isnan(key))
            return m->missing;
    } else if (m->a->s.mode == ATR_GROUP_LENGTH && val.kind == ATR_V_SUMMARY) {
        key = val.u.sum.length >= 0 ? (double)val.u.sum.length : NAN;
    } else if (m->a->s.mode == ATR_GROUP_LENGTH &&
               (val.kind == ATR_V_STR || val.kind == ATR_V_BYTES || val.kind == ATR_V_REPR)) {
        key = (double)(val.u.s.true_len > val.u.s.len ? val.u.s.true_len : val.u.s.len);
    }
    for (uint32_t g = 0; g < m->a->s.n_groups; g++) {
        const atr__group *G = &m->a->groups[g];
        if (!isnan(key) ? G->kmin <= key && key <= G->kmax
                        : m->f[g] && atr__filter_match_bound(m->f[g], ix, call, m->pi[g]))
            return (int32_t)g;
    }
    return -1;
}

/* ---- medians ---- */

static uint64_t median_u64(uint64_t *d, uint64_t n) { return n ? atr__percentile(d, n, 50) : 0; }

static int cmp_dbl(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Children count toward a call when self time subtracts them: same thread or process. */
static int same_process(const atr_index *ix, const atr__call *p, const atr__call *ch) {
    return ch->thread == p->thread || ix->threads[ch->thread].file == ix->threads[p->thread].file;
}

/* ---- child functions ---- */

typedef struct obs {
    uint32_t slot; /* dense child-function index */
    uint64_t dur, calls;
} obs;

typedef struct kid_acc {
    atr__u32map slots; /* function id -> dense index */
    atr_why_child *rows;
    uint64_t n_rows, cap_rows;
    obs *ob; /* per (baseline call, child function) with a nonzero count */
    uint64_t n_ob, cap_ob;
    uint64_t *acc_dur, *acc_calls; /* scratch per slot for one baseline call */
    uint32_t *touched;
    uint64_t n_touched, cap_dur, cap_calls, cap_touched;
} kid_acc;

/* Rows of the steps a call resumed for other calls (atr__adopt) are keyed apart from its
   children's: the function id with this bit. */
#define RESUMED_KEY 0x80000000u

static int kid_slot(kid_acc *k, uint32_t fn, uint32_t *slot) {
    uint32_t *s = atr__u32map_get(&k->slots, fn);
    if (s) {
        *slot = *s;
        return 0;
    }
    uint64_t n = k->n_rows;
    if (atr__grow((void **)&k->rows, &k->cap_rows, n + 1, sizeof(*k->rows)) ||
        atr__grow((void **)&k->acc_dur, &k->cap_dur, n + 1, sizeof(uint64_t)) ||
        atr__grow((void **)&k->acc_calls, &k->cap_calls, n + 1, sizeof(uint64_t)) ||
        atr__u32map_put(&k->slots, fn, (uint32_t)n))
        return ATR_ENOMEM;
    memset(&k->rows[n], 0, sizeof(k->rows[n]));
    k->rows[n].function = fn & ~RESUMED_KEY;
    k->rows[n].resumed = (fn & RESUMED_KEY) != 0;
    k->rows[n].slowest_call = ATR_NO_CALL;
    k->acc_dur[n] = k->acc_calls[n] = 0;
    *slot = (uint32_t)n;
    k->n_rows++;
    return 0;
}

/* The slow call's direct children into the rows. */
/* The part of a child's time charged to its parent: its duration, less the steps a generator
   or coroutine child ran while the parent was suspended (stats.c, as self time counts it). */
static uint64_t charged(const atr_index *ix, const atr__call *c) {
    uint64_t active, ch, children, adopted, self;
    atr__call_times(ix, c, &active, &ch, &children, &adopted, &self);
    return ch;
}

/* One observation of slot s: dur more and `calls` more calls (a baseline call's sums). */
static int acc_add(kid_acc *k, uint32_t s, uint64_t dur, uint64_t calls) {
    if (k->acc_calls[s] == 0 && k->acc_dur[s] == 0) {
        if (atr__grow((void **)&k->touched, &k->cap_touched, k->n_touched + 1, sizeof(uint32_t)))
            return ATR_ENOMEM;
        k->touched[k->n_touched++] = s;
    }
    k->acc_calls[s] += calls;
    k->acc_dur[s] += dur;
    return 0;
}

/* The steps `call` ran for other calls' generators and tasks (atr__adopt: one entry per
   call of theirs), a row per function of theirs: into the rows (the slow call: its calls,
   time, slowest) or the observations (a baseline call's, acc_add). */
static int resumed_of(kid_acc *k, const atr_index *ix, uint32_t call, int baseline) {
    uint64_t n;
    const atr__adopt *a = atr__adopt_of(ix, &ix->calls[call], &n);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t s;
        if (a[i].from == ATR_NO_CALL)
            continue;
        if (kid_slot(k, ix->calls[a[i].from].func | RESUMED_KEY, &s))
            return ATR_ENOMEM;
        if (baseline) {
            if (acc_add(k, s, a[i].ns, 1))
                return ATR_ENOMEM;
            continue;
        }
        atr_why_child *r = &k->rows[s];
        r->calls++;
        r->duration_ns += a[i].ns;
        if (a[i].ns > r->slowest_ns) {
            r->slowest_ns = a[i].ns;
            r->slowest_call = a[i].from;
        }
    }
    return 0;
}

static int kids_of_call(kid_acc *k, const atr_index *ix, uint32_t call) {
    const atr__call *p = &ix->calls[call];
    for (uint32_t c = p->first_child; c != ATR_NO_CALL; c = ix->calls[c].next_sibling) {
        const atr__call *ch = &ix->calls[c];
        uint32_t s;
        if (!same_process(ix, p, ch))
            continue;
        if (kid_slot(k, ch->func, &s))
            return ATR_ENOMEM;
        atr_why_child *r = &k->rows[s];
        r->calls++;
        uint64_t t = charged(ix, ch);
        r->duration_ns += t;
        if (r->slowest_call == ATR_NO_CALL || t > r->slowest_ns) {
            r->slowest_call = c;
            r->slowest_ns = t;
        }
    }
    return resumed_of(k, ix, call, 0);
}

/* One baseline call's children, summed per function, into the observations. */
static int kids_of_baseline(kid_acc *k, const atr_index *ix, uint32_t call) {
    const atr__call *p = &ix->calls[call];
    k->n_touched = 0;
    for (uint32_t c = p->first_child; c != ATR_NO_CALL; c = ix->calls[c].next_sibling) {
        const atr__call *ch = &ix->calls[c];
        uint32_t s;
        if (!same_process(ix, p, ch))
            continue;
        if (kid_slot(k, ch->func, &s) || acc_add(k, s, charged(ix, ch), 1))
            return ATR_ENOMEM;
    }
    if (resumed_of(k, ix, call, 1))
        return ATR_ENOMEM;
    for (uint64_t i = 0; i < k->n_touched; i++) {
        uint32_t s = k->touched[i];
        if (atr__grow((void **)&k->ob, &k->cap_ob, k->n_ob + 1, sizeof(obs)))
            return ATR_ENOMEM;
        k->ob[k->n_ob++] = (obs){s, k->acc_dur[s], k->acc_calls[s]};
        k->acc_dur[s] = k->acc_calls[s] = 0;
    }
    return 0;
}

/* Medians per child function over nb baseline calls (absent: 0); buf has room for nb. */
static int kids_typical(kid_acc *k, uint64_t nb, uint64_t *buf) {
    uint64_t *off = calloc(k->n_rows + 1, sizeof(uint64_t));
    obs *sorted = malloc((k->n_ob ? k->n_ob : 1) * sizeof(obs));
    if (!off || !sorted) {
        free(off);
        free(sorted);
        return ATR_ENOMEM;
    }
    for (uint64_t i = 0; i < k->n_ob; i++)
        off[k->ob[i].slot + 1]++;
    for (uint64_t s = 0; s < k->n_rows; s++)
        off[s + 1] += off[s];
    for (uint64_t i = 0; i < k->n_ob; i++)
        sorted[off[k->ob[i].slot]++] = k->ob[i];
    for (uint64_t s = k->n_rows; s > 0; s--)
        off[s] = off[s - 1];
    off[0] = 0;
    for (uint64_t s = 0; s < k->n_rows; s++) {
        atr_why_child *r = &k->rows[s];
        uint64_t lo = off[s], n = off[s + 1] - lo;
        for (int pass = 0; pass < 2 && nb; pass++) {
            memset(buf, 0, (size_t)nb * sizeof(uint64_t));
            for (uint64_t i = 0; i < n; i++)
                buf[i] = pass ? sorted[lo + i].calls : sorted[lo + i].dur;
            *(pass ? &r->typical_calls : &r->typical_ns) = median_u64(buf, nb);
        }
        r->extra_ns = (int64_t)r->duration_ns - (int64_t)r->typical_ns;
    }
    free(off);
    free(sorted);
    return 0;
}

static void kid_acc_free(kid_acc *k) {
    atr__u32map_free(&k->slots);
    free(k->ob);
    free(k->acc_dur);
    free(k->acc_calls);
    free(k->touched);
    free(k->rows); /* unless taken */
}

static int cmp_kids(const void *x, const void *y) {
    const atr_why_child *a = x, *b = y;
    if (a->extra_ns != b->extra_ns)
        return a->extra_ns > b->extra_ns ? -1 : 1;
    return a->function < b->function ? -1 : a->function > b->function;
}

/* ---- arguments ---- */

/* Row for argument i of the argscore: the call's group, the baseline's typical group. */
static int arg_row(atr_why *w, const atr_index *ix, const grp_matcher *gm, uint32_t i_m, int32_t cg,
                   const uint32_t *base, uint64_t nb, atr_why_arg *r) {
    const atr__arg *a = gm[i_m].a;
    uint32_t ng = a->s.n_groups;
    memset(r, 0, sizeof(*r));
    r->name = a->s.name;
    r->param = (uint32_t)a->s.param;
    r->value = arg_of(ix, w->sum.call, r->param);
    r->score = a->s.score;
    r->group_value = r->typical_value = ATR_NO_VALUE;
    if (cg >= 0) {
        const atr_arg_group *G = &a->groups[cg].g;
        r->group = G->label;
        r->group_value = G->value;
        r->group_calls = G->calls;
        r->group_p50_ns = G->p50_ns;
        r->slow_group = G->calls >= 3 && G->p50_ns > 0 && G->p50_ns >= 2 * w->sum.function_p50_ns &&
                        w->sum.function_calls > G->calls;
    }
    uint64_t *count = calloc(ng + 1u, sizeof(uint64_t));
    uint64_t *peer = malloc((nb ? nb : 1) * sizeof(uint64_t));
    double *num = malloc((nb ? nb : 1) * sizeof(double));
    if (!count || !peer || !num) {
        free(count);
        free(peer);
        free(num);
        return ATR_ENOMEM;
    }
    uint64_t nn = 0;
    int numeric = 1; /* every captured non-None baseline value is a number */
    for (uint64_t i = 0; i < nb; i++) {
        int32_t g = matcher_group(gm, i_m, ix, base[i]);
        if (g >= 0)
            count[g]++;
        if (g >= 0 && g == cg)
            peer[r->peer_calls++] = atr__call_active(ix, &ix->calls[base[i]]);
        atr_value v;
        uint32_t vid = arg_of(ix, base[i], r->param);
        if (numeric && vid != ATR_NO_VALUE && atr__values_get(&ix->vals, vid, &v) == 0 &&
            v.kind != ATR_V_NIL) {
            double x = atr__value_number(&v);
            if (v.kind == ATR_V_BOOL || (isnan(x) && v.kind != ATR_V_FLOAT))
                numeric = 0; /* not a number (NaN floats are only skipped) */
            else if (!isnan(x))
                num[nn++] = x;
        }
    }
    int32_t best = -1;
    for (uint32_t g = 0; g < ng; g++)
        if (count[g] && (best < 0 || count[g] > count[best]))
            best = (int32_t)g;
    if (best >= 0) {
        const atr_arg_group *G = &a->groups[best].g;
        r->typical = G->label;
        r->typical_value = G->value;
        r->typical_calls = count[best];
        r->typical_p50_ns = G->p50_ns;
    }
    r->differs = best >= 0 && cg != best;
    r->peer_p50_ns = median_u64(peer, r->peer_calls);
    if (r->peer_calls >= 3 && r->peer_p50_ns > 0 && r->peer_p50_ns >= 2 * w->sum.baseline_p50_ns)
        r->slow_group = 1;
    if (numeric && nn) {
        qsort(num, nn, sizeof(double), cmp_dbl);
        uint64_t k = (nn + 1) / 2; /* nearest rank of p50, 1-based */
        r->has_median = 1;
        r->median = num[k - 1];
    }
    free(count);
    free(peer);
    free(num);
    return 0;
}

/* ---- the whole analysis ---- */

/* Other finished calls in the call's group cg of argscore argument a. */
static uint64_t group_others(const atr__arg *a, int32_t cg, int finished) {
    return cg < 0 ? 0 : a->groups[cg].g.calls - (finished ? 1u : 0u);
}

/* The baseline group: the first argument (best score first) that explains the duration and
   whose group holding the call has enough other finished calls; when no argument alone
   does, the best pair if it does. -1: none. */
static int32_t pick_group(const atr_why *w, const int32_t *cg, int finished) {
    for (int pairs = 0; pairs < 2; pairs++) {
        for (uint32_t i = 0; i < w->as->n_args; i++) {
            const atr__arg *a = &w->as->args[i];
            if (a->s.score < ATR_WHY_MIN_SCORE)
                break;
            if ((int)a->s.pair == pairs && group_others(a, cg[i], finished) >= ATR_WHY_MIN_BASELINE)
                return (int32_t)i;
        }
    }
    return -1;
}

/* A value that tells its argument apart from every other (not an object known by its type,
   nor a text cut at capture): calls with the same such values had the same arguments. */
static int value_is_whole(const atr_index *ix, uint32_t vid) {
    atr_value v;
    if (atr__values_get(&ix->vals, vid, &v) != 0)
        return 0;
    switch (v.kind) {
    case ATR_V_NIL:
    case ATR_V_BOOL:
    case ATR_V_INT:
    case ATR_V_UINT:
    case ATR_V_FLOAT:
    case ATR_V_BIGINT:
        return 1;
    case ATR_V_STR:
    case ATR_V_BYTES:
        return v.u.s.len >= v.u.s.true_len;
    default:
        return 0;
    }
}

/* S->nth_call and the same-values fields (atr_why.h) of `call` among the n calls fids of its
   function; buf holds n durations for the median (NULL: same_p50_ns left 0). */
static void same_values(atr_why_summary *S, const atr_index *ix, uint32_t call,
                        const uint32_t *fids, uint64_t n, uint64_t *buf) {
    const atr__call *C = &ix->calls[call];
    const uint32_t *cv = C->n_args ? ix->argv + C->args : NULL; /* argv: NULL if none has any */
    uint64_t ns = 0, max = 0;
    int known = 1;
    S->nth_call = S->same_nth = 1;
    for (uint32_t k = 0; k < C->n_args; k++) {
        known &= cv[k] != ATR_NO_VALUE;
        if (cv[k] != ATR_NO_VALUE && !value_is_whole(ix, cv[k]) && S->same_loose++ == 0)
            S->same_loose_param = k;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint32_t id = fids[i];
        const atr__call *c = &ix->calls[id];
        if (id == call)
            continue;
        int earlier = c->start < C->start || (c->start == C->start && id < call);
        S->nth_call += (uint64_t)earlier;
        if (!known || c->n_args != C->n_args ||
            (C->n_args && memcmp(ix->argv + c->args, cv, C->n_args * sizeof(*cv)) != 0))
            continue;
        S->same_nth += (uint64_t)earlier;
        if (c->status == ATR_CALL_UNFINISHED)
            continue;
        uint64_t d = atr__call_active(ix, c);
        max = d > max ? d : max;
        if (buf)
            buf[ns] = d;
        ns++;
    }
    S->same_calls = ns;
    S->same_max_ns = max;
    S->same_p50_ns = ns && buf ? atr__percentile(buf, ns, 50) : 0;
    if (!known)
        S->same_nth = 0;
    if (ns == 0 || C->status == ATR_CALL_UNFINISHED) /* its duration: to the log's end */
        return;
    uint64_t d = S->duration_ns;
    if (d >= 2 * max && d >= max + 1000)
        S->same_verdict = S->same_nth == 1 ? ATR_WHY_SAME_FIRST : ATR_WHY_SAME_OTHER;
    else if (2 * d >= max)
        S->same_verdict = ATR_WHY_SAME_VALUES;
}

/* Each verdict's name and words, by atr_why_same (NONE: empty). */
static const char *const SAME_VERDICTS[][2] = {
    {"", ""},
    {"first_call", "a first call's work (imports, caches, set-up) made it slow, not its arguments"},
    {"not_arguments", "something other than its arguments made it slow (state, contention, I/O)"},
    {"values", "calls with these values take this long"},
};

static const char *same_verdict(int verdict, int which) {
    if (verdict < 0 || verdict >= (int)(sizeof SAME_VERDICTS / sizeof SAME_VERDICTS[0]))
        verdict = ATR_WHY_SAME_NONE;
    return SAME_VERDICTS[verdict][which];
}

const char *atr_why_same_name(int verdict) { return same_verdict(verdict, 0); }

const char *atr_why_same_says(int verdict) { return same_verdict(verdict, 1); }

int atr_why_same_values(const atr_index *ix, uint32_t call, atr_why_summary *out) {
    if (out)
        memset(out, 0, sizeof(*out));
    if (!ix || !out || call >= ix->n_calls)
        return ATR_EINVAL;
    if (!ix->fn_off)
        return ATR_ENOMEM;
    const atr__call *C = &ix->calls[call];
    uint64_t n = ix->fn_off[C->func + 1] - ix->fn_off[C->func];
    out->call = call;
    out->function = C->func;
    out->duration_ns = atr__call_active(ix, C);
    same_values(out, ix, call, ix->fn_calls + ix->fn_off[C->func], n, NULL);
    return 0;
}

int atr_why_compute(const atr_index *ix, uint32_t call, atr_why **out) {
    if (out)
        *out = NULL;
    if (!ix || !out || call >= ix->n_calls)
        return ATR_EINVAL;
    if (!ix->fn_off)
        return ATR_ENOMEM;
    const atr__call *C = &ix->calls[call];
    uint32_t fn = C->func;
    const uint32_t *fids = ix->fn_calls + ix->fn_off[fn];
    uint64_t n = ix->fn_off[fn + 1] - ix->fn_off[fn];
    atr_why *w = calloc(1, sizeof(*w));
    kid_acc k;
    memset(&k, 0, sizeof(k));
    grp_matcher *gm = NULL;
    int32_t *cg = NULL;
    uint32_t *base = malloc((n ? n : 1) * sizeof(uint32_t));
    uint64_t *buf = malloc((n ? n : 1) * sizeof(uint64_t));
    uint32_t n_gm = 0;
    int rc = ATR_ENOMEM;
    if (!w || !base || !buf)
        goto out;
    atr_why_summary *S = &w->sum;
    S->call = call;
    S->function = fn;
    S->duration_ns = atr__call_active(ix, C);
    S->self_ns = atr__call_self(ix, C);
    S->group_arg = S->pair_arg = (atr_str){"", 0};
    S->group_label = S->group_filter = "";
    S->group_value = ATR_NO_VALUE;
    atr_stats st;
    if ((rc = atr_argscore_compute(ix, fn, NULL, ATR_ARGSCORE_PAIR, &w->as)) != 0 ||
        (rc = atr_stats_function(ix, fn, NULL, &st)) != 0)
        goto out;
    S->function_calls = st.finished;
    S->function_p50_ns = st.p50_ns;
    same_values(S, ix, call, fids, n, buf);
    rc = ATR_ENOMEM;
    uint32_t na = w->as->n_args;
    gm = calloc(na ? na : 1, sizeof(*gm));
    cg = malloc((na ? na : 1) * sizeof(int32_t));
    if (!gm || !cg)
        goto out;
    for (; n_gm < na; n_gm++) {
        if (matcher_init(&gm[n_gm], ix, fn, &w->as->args[n_gm])) {
            n_gm++;
            goto out;
        }
    }
    int finished = C->status != ATR_CALL_UNFINISHED;
    for (uint32_t i = 0; i < na; i++) {
        if (w->as->args[i].s.pair) {
            pair_members(gm, na, i);
            S->pair_arg = w->as->args[i].s.name;
            S->pair_score = w->as->args[i].s.score;
        }
    }
    for (uint32_t i = 0; i < na; i++) {
        cg[i] = matcher_group(gm, i, ix, call);
        if (w->as->args[i].s.pair)
            S->pair_peers = group_others(&w->as->args[i], cg[i], finished);
    }
    int32_t bg = pick_group(w, cg, finished);
    if (bg >= 0) {
        const atr__arg *a = &w->as->args[bg];
        const atr_arg_group *G = &a->groups[cg[bg]].g;
        S->by_group = 1;
        S->group_pair = a->s.pair;
        S->group_arg = a->s.name;
        S->group_score = a->s.score;
        S->group_label = G->label;
        S->group_filter = G->filter;
        S->group_value = G->value;
        S->group_p50_ns = G->p50_ns;
    }
    uint64_t nb = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t id = fids[i];
        if (id == call || ix->calls[id].status == ATR_CALL_UNFINISHED)
            continue;
        if (bg >= 0 && matcher_group(gm, (uint32_t)bg, ix, id) != cg[bg])
            continue;
        base[nb++] = id;
    }
    S->baseline_calls = nb;
    for (uint64_t i = 0; i < nb; i++)
        buf[i] = atr__call_active(ix, &ix->calls[base[i]]);
    S->baseline_p50_ns = median_u64(buf, nb);
    for (uint64_t i = 0; i < nb; i++)
        buf[i] = atr__call_self(ix, &ix->calls[base[i]]);
    S->typical_self_ns = median_u64(buf, nb);
    S->extra_ns = (int64_t)S->duration_ns - (int64_t)S->baseline_p50_ns;
    S->self_extra_ns = (int64_t)S->self_ns - (int64_t)S->typical_self_ns;

    if (kids_of_call(&k, ix, call))
        goto out;
    for (uint64_t i = 0; i < nb; i++)
        if (kids_of_baseline(&k, ix, base[i]))
            goto out;
    if (kids_typical(&k, nb, buf))
        goto out;
    uint64_t kept = 0; /* drop functions neither the call nor the typical call calls */
    for (uint64_t i = 0; i < k.n_rows; i++)
        if (k.rows[i].calls || k.rows[i].typical_calls)
            k.rows[kept++] = k.rows[i];
    k.n_rows = kept;
    if (k.n_rows)
        qsort(k.rows, k.n_rows, sizeof(*k.rows), cmp_kids);
    S->n_children = (uint32_t)k.n_rows;
    w->kids = k.rows;
    k.rows = NULL;

    const atr__func *F = &ix->funcs[fn];
    w->args = calloc(F->n_params ? F->n_params : 1, sizeof(atr_why_arg));
    if (!w->args)
        goto out;
    for (uint32_t p = 0; p < F->n_params; p++)
        for (uint32_t i = 0; i < na; i++)
            if (w->as->args[i].s.param == (int32_t)p && !w->as->args[i].s.pair) {
                if (arg_row(w, ix, gm, i, cg[i], base, nb, &w->args[S->n_args]))
                    goto out;
                S->n_args++;
            }
    rc = 0;
out:
    for (uint32_t i = 0; i < n_gm; i++)
        matcher_free(&gm[i]);
    free(gm);
    free(cg);
    free(base);
    free(buf);
    kid_acc_free(&k);
    if (rc) {
        atr_why_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void atr_why_free(atr_why *w) {
    if (!w)
        return;
    atr_argscore_free(w->as);
    free(w->kids);
    free(w->args);
    free(w);
}

void atr_why_get_summary(const atr_why *w, atr_why_summary *out) {
    if (w)
        *out = w->sum;
    else
        memset(out, 0, sizeof(*out));
}

int atr_why_get_child(const atr_why *w, uint32_t i, atr_why_child *out) {
    if (!w || i >= w->sum.n_children)
        return ATR_EINVAL;
    *out = w->kids[i];
    return 0;
}

int atr_why_get_arg(const atr_why *w, uint32_t i, atr_why_arg *out) {
    if (!w || i >= w->sum.n_args)
        return ATR_EINVAL;
    *out = w->args[i];
    return 0;
}
