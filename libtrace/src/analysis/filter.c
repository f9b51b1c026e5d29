/*
 * Filter matching: each condition against a call's arguments, duration, self time, outcome.
 * Argument names are resolved to parameter indices per function (atr__filter_bind) so that
 * matching many calls of one function does not compare names.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/filter_int.h"

typedef atr__cond cond;

/* ---- matching ---- */

static int is_text(uint32_t k) { return k == ATR_V_STR || k == ATR_V_BYTES || k == ATR_V_REPR; }

static int sign(double a, double b) { return a < b ? -1 : a > b; }

/* Compare v with the literal: 1 and *res (-1, 0, 1) when comparable, else 0. */
static int compare(const atr_value *v, const cond *c, int *res) {
    switch (v->kind) {
    case ATR_V_NIL:
        *res = 0;
        return c->is_none;
    case ATR_V_BOOL:
        if (!c->has_num)
            return 0;
        *res = sign(v->u.b ? 1 : 0, c->num);
        return 1;
    case ATR_V_INT:
        if (!c->has_num || c->is_bool)
            return 0;
        *res =
            c->is_int ? (v->u.i < c->inum ? -1 : v->u.i > c->inum) : sign((double)v->u.i, c->num);
        return 1;
    case ATR_V_UINT:
        if (!c->has_num || c->is_bool)
            return 0;
        if (c->is_int)
            *res = c->inum < 0 ? 1 : (v->u.u < (uint64_t)c->inum ? -1 : v->u.u > (uint64_t)c->inum);
        else
            *res = sign((double)v->u.u, c->num);
        return 1;
    case ATR_V_FLOAT:
        if (!c->has_num || c->is_bool || isnan(v->u.f) || isnan(c->num))
            return 0;
        *res = sign(v->u.f, c->num);
        return 1;
    case ATR_V_BIGINT: {
        if (!c->has_num || c->is_bool)
            return 0;
        *res = sign(atr__value_number(v), c->num);
        return 1;
    }
    default:
        if (!is_text(v->kind) || c->is_none)
            return 0;
        {
            size_t n = v->u.s.len < c->text_len ? v->u.s.len : c->text_len;
            int r = n ? memcmp(v->u.s.ptr, c->text, n) : 0;
            if (r == 0) {
                uint64_t vl = v->u.s.true_len > v->u.s.len ? v->u.s.true_len : v->u.s.len;
                r = vl < c->text_len ? -1 : vl > c->text_len;
            }
            *res = r < 0 ? -1 : r > 0;
            return 1;
        }
    }
}

static int apply(int op, int comparable, int res) {
    switch (op) {
    case OP_EQ:
        return comparable && res == 0;
    case OP_NE:
        return !(comparable && res == 0);
    case OP_GT:
        return comparable && res > 0;
    case OP_LT:
        return comparable && res < 0;
    case OP_GE:
        return comparable && res >= 0;
    case OP_LE:
        return comparable && res <= 0;
    default:
        return 0;
    }
}

static int cmp_num(int op, double a, double b) {
    return apply(op, !isnan(a) && !isnan(b), sign(a, b));
}

static int match_cond(const cond *c, const atr_index *ix, const atr__call *call, int32_t pi) {
    atr_value v;
    uint32_t vid = ATR_NO_VALUE;
    switch (c->target) {
    case T_DURATION:
        return cmp_num(c->op, (double)call->dur, c->num);
    case T_SELF:
        return cmp_num(c->op, (double)atr__call_self(ix, call), c->num);
    case T_UNFINISHED:
        return (call->status == ATR_CALL_UNFINISHED) == (c->op == OP_TRUE);
    case T_EXC: {
        int raised = call->status == ATR_CALL_RAISED;
        if (c->op == OP_TRUE || c->op == OP_FALSE)
            return raised == (c->op == OP_TRUE);
        if (!raised)
            return 0;
        atr_str t = atr__call_exc(ix, call);
        int eq = t.len == c->text_len && memcmp(t.ptr, c->text, t.len) == 0;
        if (!eq && t.len > c->text_len && t.ptr[t.len - c->text_len - 1] == '.' &&
            memcmp(t.ptr + t.len - c->text_len, c->text, c->text_len) == 0)
            eq = 1;
        return c->op == OP_EQ ? eq : !eq;
    }
    case T_RESULT:
        if (call->status == ATR_CALL_RETURNED)
            vid = call->result;
        break;
    default:
        if (pi >= 0 && (uint32_t)pi < call->n_args)
            vid = ix->argv[call->args + (uint32_t)pi];
        break;
    }
    if (vid == ATR_NO_VALUE || atr__values_get(&ix->vals, vid, &v) != 0)
        return 0;
    if (c->target == T_LEN) {
        int64_t len;
        if (is_text(v.kind))
            len = (int64_t)(v.u.s.true_len > v.u.s.len ? v.u.s.true_len : v.u.s.len);
        else if (v.kind == ATR_V_SUMMARY && v.u.sum.length >= 0)
            len = v.u.sum.length;
        else
            return 0;
        return apply(c->op, 1, len < c->inum ? -1 : len > c->inum);
    }
    if (c->target == T_TYPE) {
        atr_str t = atr__value_type(&v);
        int eq = t.len == c->text_len && memcmp(t.ptr, c->text, t.len) == 0;
        return c->op == OP_EQ ? eq : !eq;
    }
    int res = 0;
    int ok = compare(&v, c, &res);
    return apply(c->op, ok, res);
}

int atr__filter_bind(const atr_filter *f, const atr_index *ix, uint32_t fn, int32_t **params_out) {
    *params_out = NULL;
    if (!f || !f->n)
        return 0;
    int32_t *pi = malloc((size_t)f->n * sizeof(int32_t));
    if (!pi)
        return ATR_ENOMEM;
    for (uint64_t i = 0; i < f->n; i++) {
        const cond *c = &f->c[i];
        pi[i] = -1;
        if (c->name && fn < ix->n_funcs)
            pi[i] = atr__func_param(&ix->funcs[fn], c->name, c->name_len);
    }
    *params_out = pi;
    return 0;
}

int atr__filter_match_bound(const atr_filter *f, const atr_index *ix, uint32_t call,
                            const int32_t *params) {
    if (!f)
        return 1;
    const atr__call *c = &ix->calls[call];
    for (uint64_t i = 0; i < f->n; i++)
        if (!match_cond(&f->c[i], ix, c, params ? params[i] : -1))
            return 0;
    return 1;
}

int atr_filter_match(const atr_filter *f, const atr_index *ix, uint32_t call) {
    if (!f || !f->n)
        return 1;
    if (!ix || call >= ix->n_calls)
        return 0;
    const atr__call *c = &ix->calls[call];
    const atr__func *fn = &ix->funcs[c->func];
    for (uint64_t i = 0; i < f->n; i++) {
        const cond *k = &f->c[i];
        int32_t pi = k->name ? atr__func_param(fn, k->name, k->name_len) : -1;
        if (!match_cond(k, ix, c, pi))
            return 0;
    }
    return 1;
}

int atr_filter_check(const atr_filter *f, const atr_index *ix, uint32_t fn, char *err,
                     size_t err_size) {
    if (!ix || fn >= ix->n_funcs)
        return ATR_EINVAL;
    if (!f)
        return 0;
    const atr__func *F = &ix->funcs[fn];
    for (uint64_t i = 0; i < f->n; i++) {
        const cond *c = &f->c[i];
        if (!c->name || atr__func_param(F, c->name, c->name_len) >= 0)
            continue;
        if (err && err_size) {
            int n = snprintf(err, err_size, "no argument '%s' in %s%s%s (arguments:", c->name,
                             F->module.ptr, F->module.len ? "." : "", F->qualname.ptr);
            for (uint32_t k = 0; k < F->n_params && n >= 0 && (size_t)n < err_size; k++)
                n += snprintf(err + n, err_size - (size_t)n, "%s %s", k ? "," : "",
                              F->params[k].ptr);
            if (n >= 0 && (size_t)n < err_size)
                snprintf(err + n, err_size - (size_t)n, "%s)", F->n_params ? "" : " none");
        }
        return ATR_ENOTFOUND;
    }
    return 0;
}
