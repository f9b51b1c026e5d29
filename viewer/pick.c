/*
 * Which call a one-call command (tree, why) is about: `LOG... FUNC [FILTER...] [--rank N]`
 * picks FUNC's Nth slowest call among those matching the filters, `LOG... --id ID` the call
 * with that printed id. One copy of the choice, so tree and why always agree.
 */
#include <inttypes.h>

#include "load.h"
#include "render_call.h"

int atr__opt_rank(atr__vctx *ctx, const char *arg, uint64_t *rank, int *ranked) {
    if (atr__opt_uint(ctx, "rank", arg, rank) < 0 || *rank == 0) {
        if (*rank == 0)
            atr__errorf(ctx, "--rank counts from 1 (the slowest call)");
        return ATR_VIEWER_USAGE;
    }
    *ranked = 1;
    return ATR_VIEWER_OK;
}

/* The call of --id, or of FUNC's rank'th slowest match; prints the error. */
static int choose(atr__vctx *ctx, const atr__target *t, const char *id, uint64_t rank,
                  uint32_t *call, uint64_t *matched) {
    if (id) {
        *matched = 1;
        return atr__resolve_call(ctx, t->ix, "--id", id, call);
    }
    atr_callset *cs = NULL;
    int st = atr__target_query(ctx, t, ATR_SORT_DURATION, rank - 1, 1, &cs);
    if (st != ATR_VIEWER_OK)
        return st;
    uint64_t m = *matched = atr_callset_matched(cs);
    *call = atr_callset_get(cs, 0);
    if (atr_callset_count(cs) == 0) {
        atr__sbuf name = ATR__SBUF_INIT;
        atr__sb_funcname(&name, t->ix, t->fn);
        if (m == 0)
            atr__errorf(ctx, "no call of %s matches", atr__sb_cstr(&name));
        else
            atr__errorf(ctx, "--rank %" PRIu64 ": only %" PRIu64 " call%s of %s match%s", rank, m,
                        m == 1 ? "" : "s", atr__sb_cstr(&name), m == 1 ? "es" : "");
        atr__sb_free(&name);
        st = ATR_VIEWER_FAIL;
    }
    atr_callset_free(cs);
    return st;
}

int atr__target_pick(atr__vctx *ctx, const atr__operands *ops, const char *id, int ranked,
                     uint64_t rank, atr__target *t, uint32_t *call, uint64_t *matched) {
    *call = ATR_NO_CALL;
    *matched = 0;
    if (id && (ops->func || ops->n_filters || ranked)) {
        atr__errorf(ctx, "--id names one call: give no FUNC, filter or --rank with it");
        return ATR_VIEWER_USAGE;
    }
    int st = atr__target_open(ctx, ops, id == NULL, t);
    if (st == ATR_VIEWER_OK)
        st = choose(ctx, t, id, rank, call, matched);
    return st;
}
