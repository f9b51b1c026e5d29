/*
 * The calls running on each thread of a log while it loads, innermost last, and the time a
 * call spent running other calls' generators and coroutines (atr__adopt in analysis.h).
 *
 * A START or RESUME puts its call on its thread's stack, a SUSPEND or END takes it off
 * (wherever it is: a log that lost records may leave calls that never end). When a running
 * interval that ends there is `outside` its call's parent (records.c: the parent suspended,
 * or over), the call beneath it on the stack ran it, having resumed it: that call adopts it.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/load.h"

#define RUN_SEARCH 64 /* how deep under the top a leaving call is looked for */

/* The stack of this log's thread tid (global id), or NULL (ENOMEM). */
static atr__run_stack *stack_of(load_state *st, uint32_t tid) {
    uint64_t k = tid - st->n_threads0;
    if (k >= st->n_run) {
        if (atr__grow((void **)&st->run, &st->cap_run, k + 1, sizeof(atr__run_stack)))
            return NULL;
        memset(st->run + st->n_run, 0, (size_t)(k + 1 - st->n_run) * sizeof(atr__run_stack));
        st->n_run = k + 1;
    }
    return &st->run[k];
}

int atr__run_enter(load_state *st, uint32_t tid, uint32_t call) {
    atr__run_stack *sk = stack_of(st, tid);
    if (!sk || atr__grow((void **)&sk->ids, &sk->cap, sk->n + 1, sizeof(uint32_t)))
        return ATR_ENOMEM;
    sk->ids[sk->n++] = call;
    return 0;
}

uint32_t atr__run_leave(load_state *st, uint32_t tid, uint32_t call) {
    if (tid < st->n_threads0 || tid - st->n_threads0 >= st->n_run)
        return ATR_NO_CALL;
    atr__run_stack *sk = &st->run[tid - st->n_threads0];
    /* near the top (a call leaves from the top but in a log that lost records): a corrupt
       log's calls that never end, or end on another thread, cost no search of them all */
    uint64_t stop = sk->n > RUN_SEARCH ? sk->n - RUN_SEARCH : 0;
    for (uint64_t i = sk->n; i-- > stop;) {
        if (sk->ids[i] != call)
            continue;
        uint32_t below = i ? sk->ids[i - 1] : ATR_NO_CALL;
        memmove(sk->ids + i, sk->ids + i + 1, (size_t)(sk->n - i - 1) * sizeof(uint32_t));
        sk->n--;
        return below;
    }
    return ATR_NO_CALL;
}

int atr__adopt_add(load_state *st, uint32_t call, uint32_t from, uint64_t ns) {
    atr_index *ix = st->ix;
    if (call == ATR_NO_CALL || ns == 0)
        return 0;
    atr__adopt *last = ix->n_adopt > st->n_adopt0 ? &ix->adopt[ix->n_adopt - 1] : NULL;
    if (last && last->call == call && last->from == from) { /* the same generator again */
        last->ns = last->ns + ns < last->ns ? UINT64_MAX : last->ns + ns;
        return 0;
    }
    if (atr__grow((void **)&ix->adopt, &ix->cap_adopt, ix->n_adopt + 1, sizeof(atr__adopt)))
        return ATR_ENOMEM;
    ix->adopt[ix->n_adopt++] = (atr__adopt){call, from, ns};
    ix->calls[call].flags |= ATR__CF_ADOPTS;
    return 0;
}

void atr__run_free(load_state *st) {
    for (uint64_t k = 0; k < st->n_run; k++)
        free(st->run[k].ids);
    free(st->run);
    st->run = NULL;
    st->n_run = st->cap_run = 0;
}
