/*
 * The calls running on each thread of a log while it loads, innermost last, and the time a
 * call spent running other calls' generators and coroutines (atr__adopt in analysis.h).
 *
 * A START or RESUME puts its call on its thread's stack, a SUSPEND or END takes it off
 * (wherever it is: a log that lost records may leave calls that never end). When a running
 * interval that ends there is `outside` its call's parent (records.c: the parent suspended,
 * or over), the call beneath it on the stack ran it, having resumed it: that call adopts it.
 *
 * A call that starts while a call of the same function runs on its thread is nested
 * (ATR__CF_NESTED: its time is in that call's already; the function's inclusive time counts
 * it once, as cProfile's cumulative time counts a code object on the stack once). Running,
 * not an ancestor in the call tree: a call made in a generator's later step, after the call
 * of the same function that made the generator returned (PyYAML's construct_object), is not
 * in that call's time. stream.c's statistics-only load keeps these stacks too, in step with
 * its frames (their calls ATR_NO_CALL unless the load keeps them).
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

/* The running count of global function fn, or NULL (ENOMEM). */
static atr__fn_open *open_of(load_state *st, uint32_t fn) {
    if (fn >= st->n_fn_open) {
        if (atr__grow((void **)&st->fn_open, &st->cap_fn_open, (uint64_t)fn + 1,
                      sizeof(atr__fn_open)))
            return NULL;
        memset(st->fn_open + st->n_fn_open, 0,
               (size_t)(fn + 1 - st->n_fn_open) * sizeof(atr__fn_open));
        st->n_fn_open = (uint64_t)fn + 1;
    }
    return &st->fn_open[fn];
}

/*
 * Call `call` of function fn runs on top of stack sk (thread tid): counted in fn's running
 * calls when they are on this thread (or none runs), else left uncounted. Returns 1 when a
 * call of fn already runs on the thread (the new one is nested in it), 0, or ATR_ENOMEM.
 * A function's count follows one thread at a time; the thread that takes it over counts its
 * own uncounted calls of it first (there are some only after it ran on two threads at once).
 */
static int enter_counted(load_state *st, atr__run_stack *sk, uint32_t tid, uint32_t fn,
                         uint32_t *counted) {
    atr__fn_open *o = open_of(st, fn);
    if (!o)
        return ATR_ENOMEM;
    if (o->n && o->th != tid + 1) { /* counting another thread's: look through this one */
        *counted = 0;
        sk->n_uncounted++;
        for (uint64_t i = sk->n; i-- > 0;)
            if (sk->e[i].fn == fn)
                return 1;
        return 0;
    }
    if (!o->n && o->th != tid + 1) /* taken over */
        for (uint64_t i = 0; sk->n_uncounted && i < sk->n; i++)
            if (!sk->e[i].counted && sk->e[i].fn == fn) {
                sk->e[i].counted = 1;
                sk->n_uncounted--;
                o->n++;
            }
    o->th = tid + 1;
    *counted = 1;
    return o->n++ > 0;
}

int atr__run_enter(load_state *st, uint32_t tid, uint32_t call, uint32_t fn, int *nested) {
    atr__run_stack *sk = stack_of(st, tid);
    if (!sk || atr__grow((void **)&sk->e, &sk->cap, sk->n + 1, sizeof(atr__run_entry)))
        return ATR_ENOMEM;
    uint32_t counted;
    int n = enter_counted(st, sk, tid, fn, &counted);
    if (n < 0)
        return n;
    if (nested)
        *nested = n;
    sk->e[sk->n++] = (atr__run_entry){call, fn, counted};
    return 0;
}

/* Entry i leaves stack sk: its function's count; the call beneath it. */
static uint32_t remove_at(load_state *st, atr__run_stack *sk, uint64_t i) {
    uint32_t fn = sk->e[i].fn;
    if (!sk->e[i].counted)
        sk->n_uncounted--;
    else if (fn < st->n_fn_open && st->fn_open[fn].n)
        st->fn_open[fn].n--;
    uint32_t below = i ? sk->e[i - 1].call : ATR_NO_CALL;
    memmove(sk->e + i, sk->e + i + 1, (size_t)(sk->n - i - 1) * sizeof(atr__run_entry));
    sk->n--;
    return below;
}

/* The stack of thread tid if it has one. */
static atr__run_stack *stack_if(load_state *st, uint32_t tid) {
    return tid >= st->n_threads0 && tid - st->n_threads0 < st->n_run
               ? &st->run[tid - st->n_threads0]
               : NULL;
}

uint32_t atr__run_leave(load_state *st, uint32_t tid, uint32_t call) {
    atr__run_stack *sk = stack_if(st, tid);
    if (!sk)
        return ATR_NO_CALL;
    /* near the top (a call leaves from the top but in a log that lost records): a corrupt
       log's calls that never end, or end on another thread, cost no search of them all */
    uint64_t stop = sk->n > RUN_SEARCH ? sk->n - RUN_SEARCH : 0;
    for (uint64_t i = sk->n; i-- > stop;)
        if (sk->e[i].call == call)
            return remove_at(st, sk, i);
    return ATR_NO_CALL;
}

void atr__run_leave_top(load_state *st, uint32_t tid) {
    atr__run_stack *sk = stack_if(st, tid);
    if (sk && sk->n)
        remove_at(st, sk, sk->n - 1);
}

void atr__run_clear(load_state *st) {
    for (uint64_t k = 0; k < st->n_run; k++)
        st->run[k].n = st->run[k].n_uncounted = 0;
    st->n_fn_open = 0; /* (zeroed again as they are asked for) */
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

uint64_t atr__run_mem(const load_state *st) {
    uint64_t m = st->cap_run * sizeof(atr__run_stack) + st->cap_fn_open * sizeof(atr__fn_open);
    for (uint64_t k = 0; k < st->n_run; k++)
        m += st->run[k].cap * sizeof(atr__run_entry);
    return m;
}

void atr__run_free(load_state *st) {
    for (uint64_t k = 0; k < st->n_run; k++)
        free(st->run[k].e);
    free(st->run);
    free(st->fn_open);
    st->run = NULL;
    st->fn_open = NULL;
    st->n_run = st->cap_run = st->n_fn_open = st->cap_fn_open = 0;
}
