/*
 * Which call a one-call command (tree, why) is about: `LOG... FUNC [FILTER...] [--rank N]`
 * picks FUNC's Nth slowest call among those matching the filters, `LOG... --id ID` the call
 * with that printed id. One copy of the choice, so tree and why always agree.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A call number as atr_call_id_format prints it for one log: 1, else 0. */
static int plain_number(const char *text, uint64_t *out) {
    uint64_t v = 0;
    size_t n = strlen(text);
    if (n == 0 || n > 10 || strspn(text, "0123456789") != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(text[i] - '0');
    *out = v;
    return v < UINT32_MAX;
}

/*
 * What by_func's load (read whole, selective: calls nest on their threads) knows of its call
 * for a load of the frames that hold its subtree (atr_index_set_subtree_frames). 0, or -1 when
 * that load cannot be (the whole read then: also with --compensate, whose times are not the
 * frame index's). *threads is allocated (free it).
 */
static int frames_hint(const atr__vctx *ctx, const atr__target *by_func, uint32_t call,
                       atr_subtree_frames *h, uint32_t **threads) {
    const atr_index *ix = by_func->ix;
    atr_call_view cv;
    atr_index_info info;
    *threads = NULL;
    const char *env = getenv("ATR_VIEW_FRAMES");
    if (!by_func->partial || ctx->compensate || (env && strcmp(env, "all") == 0) ||
        atr_index_call(ix, call, &cv) < 0 || cv.status == ATR_CALL_UNFINISHED)
        return -1;
    atr_index_get_info(ix, &info);
    if (info.n_files != 1 ||
        !(*threads = malloc((info.n_threads ? info.n_threads : 1) * sizeof(uint32_t))))
        return -1;
    for (uint32_t i = 0; i < info.n_threads; i++) {
        atr_thread_view tv;
        if (atr_index_thread(ix, i, &tv) < 0)
            return -1;
        (*threads)[i] = tv.number;
    }
    memset(h, 0, sizeof(*h));
    h->span = atr_call_span(ix, call);
    h->start_ns = cv.start_ns;
    h->end_ns = cv.end_ns;
    h->t_min = info.t_min;
    h->threads = *threads;
    h->n_threads = info.n_threads;
    return h->span ? 0 : -1;
}

/*
 * t->selective with one log: only the chosen call's subtree is loaded (for FUNC, a first
 * load keeps FUNC's calls to choose it). 1 when *t holds it, 0 when the whole index is
 * needed (nothing printed), -1 when choosing failed (printed; *st says how).
 */
static int pick_subtree(atr__vctx *ctx, const atr__operands *ops, const char *id, uint64_t rank,
                        atr__target *t, uint32_t *call, uint64_t *matched, int *st) {
    char text[ATR_CALL_ID_SIZE];
    uint64_t number = 0;
    atr_subtree_frames hint;
    uint32_t *threads = NULL;
    int hinted = 0;
    if (id) {
        *matched = 1;
        snprintf(text, sizeof text, "%s", id);
    } else {
        atr__target by_func = {0};
        by_func.selective = 1;
        *st = atr__target_open(ctx, ops, 1, &by_func);
        if (*st == ATR_VIEWER_OK)
            *st = choose(ctx, &by_func, NULL, rank, call, matched);
        if (*st == ATR_VIEWER_OK) {
            atr_call_id_format(by_func.ix, *call, text, sizeof text);
            hinted = frames_hint(ctx, &by_func, *call, &hint, &threads) == 0;
        }
        atr__target_close(&by_func);
        if (*st != ATR_VIEWER_OK) {
            free(threads);
            return -1;
        }
    }
    int loaded = plain_number(text, &number) &&
                 atr__load_subtree(ctx, ops->logs[0], number, id == NULL, hinted ? &hint : NULL,
                                   &t->ix) == ATR_VIEWER_OK;
    free(threads);
    if (!loaded)
        return 0;
    if (getenv("ATR_VIEW_FRAMES")) /* the tests' measure of the frames read */
        fprintf(ctx->err, "%s %s: frames decoded: %" PRIu64 "\n", ctx->prog, ctx->cmd,
                atr_index_frames_read(t->ix));
    if (atr_call_id_parse(t->ix, text, call) != 0) { /* not kept: let the whole index say */
        atr__target_close(t);
        return 0;
    }
    return 1;
}

int atr__target_pick(atr__vctx *ctx, const atr__operands *ops, const char *id, int ranked,
                     uint64_t rank, atr__target *t, uint32_t *call, uint64_t *matched) {
    *call = ATR_NO_CALL;
    *matched = 0;
    if (id && (ops->func || ops->n_filters || ranked)) {
        atr__errorf(ctx, "--id names one call: give no FUNC, filter or --rank with it");
        return ATR_VIEWER_USAGE;
    }
    if (t->selective && ops->n_logs == 1 && (id || ops->func)) {
        int st = ATR_VIEWER_OK, got = pick_subtree(ctx, ops, id, rank, t, call, matched, &st);
        if (got)
            return got > 0 ? ATR_VIEWER_OK : st;
        t->quiet = id == NULL; /* FUNC's load gave the warnings */
    }
    t->selective = 0; /* the whole index (FUNC's calls alone would have no children) */
    int st = atr__target_open(ctx, ops, id == NULL, t);
    if (st == ATR_VIEWER_OK)
        st = choose(ctx, t, id, rank, call, matched);
    return st;
}
