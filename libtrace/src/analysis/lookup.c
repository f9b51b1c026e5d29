/*
 * Read-only accessors of the index (info, files, functions, threads, calls, messages,
 * values) and function lookup by name.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

void atr_index_get_info(const atr_index *ix, atr_index_info *out) {
    memset(out, 0, sizeof(*out));
    if (!ix)
        return;
    out->n_files = ix->n_files;
    out->n_functions = ix->n_funcs;
    out->n_threads = ix->n_threads;
    out->n_values = ix->vals.n;
    out->n_calls = ix->n_calls;
    out->n_messages = ix->n_msgs;
    out->n_unfinished = ix->n_unfinished;
    out->t_min = ix->t_min;
    out->t_max = ix->t_max;
    for (uint32_t i = 0; i < ix->n_files; i++)
        out->flags |= ix->files[i].info.flags;
    out->mem_bytes = atr__index_mem_bytes(ix);
}

int atr_index_file(const atr_index *ix, uint32_t file, atr_file_info *out) {
    if (!ix || file >= ix->n_files)
        return ATR_EINVAL;
    *out = ix->files[file].info;
    out->first_call = ix->files[file].first_call;
    return 0;
}

/* ---- printed call ids ---- */

size_t atr_call_id_format(const atr_index *ix, uint32_t call, char *buf, size_t size) {
    if (!ix || call >= ix->n_calls) {
        if (size)
            buf[0] = '\0';
        return 0;
    }
    uint32_t file = ix->threads[ix->calls[call].thread].file;
    uint32_t n = ix->stream ? atr__stream_number(ix, call) : call - ix->files[file].first_call;
    int len = ix->n_files > 1 ? snprintf(buf, size, "%" PRIu32 ":%" PRIu32, file, n)
                              : snprintf(buf, size, "%" PRIu32, n);
    return len < 0 ? 0 : (size_t)len;
}

uint32_t atr_file_call(const atr_index *ix, uint32_t file, uint64_t number) {
    if (!ix || file >= ix->n_files)
        return ATR_NO_CALL;
    if (ix->stream) /* a selective index: the kept call of that number */
        return number > UINT32_MAX ? ATR_NO_CALL : atr__stream_find(ix, file, number);
    if (number >= ix->files[file].info.n_calls)
        return ATR_NO_CALL;
    return ix->files[file].first_call + (uint32_t)number;
}

/* Decimal digits at *p (at most 19), advancing p; -1 if there are none or too many. */
static int parse_num(const char **p, uint64_t *out) {
    const char *s = *p;
    uint64_t v = 0;
    int n = 0;
    for (; *s >= '0' && *s <= '9'; s++, n++) {
        if (n == 19)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *out = v;
    return n ? 0 : -1;
}

int atr_call_id_parse(const atr_index *ix, const char *text, uint32_t *call) {
    if (!ix || !text || !call)
        return ATR_EINVAL;
    const char *p = text;
    uint64_t a, b;
    if (parse_num(&p, &a) < 0)
        return ATR_ESYNTAX;
    if (*p == '\0') {
        if (ix->n_files > 1)
            return ATR_EAMBIGUOUS;
        *call = a > UINT32_MAX ? ATR_NO_CALL : atr_file_call(ix, 0, a);
    } else {
        if (*p++ != ':' || parse_num(&p, &b) < 0 || *p != '\0')
            return ATR_ESYNTAX;
        *call = a >= ix->n_files ? ATR_NO_CALL : atr_file_call(ix, (uint32_t)a, b);
    }
    return *call == ATR_NO_CALL ? ATR_ENOTFOUND : 0;
}

int atr_index_function(const atr_index *ix, uint32_t fn, atr_function_view *out) {
    if (!ix || fn >= ix->n_funcs)
        return ATR_EINVAL;
    const atr__func *f = &ix->funcs[fn];
    out->module = f->module;
    out->qualname = f->qualname;
    out->file = f->file;
    out->line = f->line;
    out->flags = f->flags;
    out->n_params = f->n_params;
    out->n_declared = f->n_declared;
    out->params = f->params;
    out->n_calls = ix->fn_off ? ix->fn_off[fn + 1] - ix->fn_off[fn] : 0;
    return 0;
}

size_t atr_function_name(const atr_index *ix, uint32_t fn, char *buf, size_t size) {
    if (!ix || fn >= ix->n_funcs)
        return 0;
    const atr__func *f = &ix->funcs[fn];
    int n;
    if (f->module.len)
        n = snprintf(buf, size, "%s.%s", f->module.ptr, f->qualname.ptr);
    else
        n = snprintf(buf, size, "%s", f->qualname.ptr);
    return n < 0 ? 0 : (size_t)n;
}

int atr_index_thread(const atr_index *ix, uint32_t thread, atr_thread_view *out) {
    if (!ix || thread >= ix->n_threads)
        return ATR_EINVAL;
    const atr__thread *t = &ix->threads[thread];
    out->file = t->file;
    out->number = t->number;
    out->os_tid = t->os_tid;
    out->name = t->name;
    out->first_root = t->first_root;
    out->n_roots = t->n_roots;
    out->n_calls = t->n_calls;
    return 0;
}

int atr_index_value(const atr_index *ix, uint32_t value_id, atr_value *out) {
    if (!ix)
        return ATR_EINVAL;
    return atr__values_get(&ix->vals, value_id, out);
}

atr_str atr__call_exc(const atr_index *ix, const atr__call *c) {
    atr_str s = {"", 0};
    atr_value v;
    if (c->exc != ATR_NO_VALUE && atr__values_get(&ix->vals, c->exc, &v) == 0 &&
        v.kind == ATR_V_STR) {
        s.ptr = v.u.s.ptr;
        s.len = v.u.s.len;
    }
    return s;
}

int atr_index_call(const atr_index *ix, uint32_t call, atr_call_view *out) {
    if (!ix || call >= ix->n_calls)
        return ATR_EINVAL;
    const atr__call *c = &ix->calls[call];
    out->function = c->func;
    out->thread = c->thread;
    out->file = ix->threads[c->thread].file;
    out->parent = c->parent;
    out->first_child = c->first_child;
    out->next_sibling = c->next_sibling;
    out->start_ns = c->start;
    out->end_ns = c->start + c->dur;
    out->duration_ns = c->dur;
    atr__call_times(ix, c, &out->active_ns, &out->charged_ns, &out->children_ns, &out->adopted_ns,
                    &out->self_ns);
    out->status = c->status;
    out->n_args = c->n_args;
    out->result = c->result;
    out->exc_type = atr__call_exc(ix, c);
    return 0;
}

int atr_call_adopted(const atr_index *ix, uint32_t call, uint32_t *ids, uint64_t *ns, uint32_t n,
                     uint32_t *n_out) {
    if (!ix || call >= ix->n_calls || !n_out)
        return ATR_EINVAL;
    uint64_t k;
    const atr__adopt *a = atr__adopt_of(ix, &ix->calls[call], &k);
    for (uint64_t i = 0; i < k && i < n; i++) {
        if (ids)
            ids[i] = a[i].from;
        if (ns)
            ns[i] = a[i].ns;
    }
    *n_out = k > UINT32_MAX ? UINT32_MAX : (uint32_t)k;
    return 0;
}

uint64_t atr_call_span(const atr_index *ix, uint32_t call) {
    if (!ix || call >= ix->n_calls)
        return 0;
    const atr__call *c = &ix->calls[call];
    const atr__thread *t = &ix->threads[c->thread];
    uint64_t seq = c->seq;
    if (seq == UINT32_MAX) { /* too large for the call record: look it up */
        seq = 0;
        for (uint64_t k = t->n_seq; k-- > 0 && seq == 0;)
            if (t->seq2call[k] == call)
                seq = k + t->seq_base;
    }
    return atr_span_id(t->number, seq);
}

uint32_t atr_call_arg(const atr_index *ix, uint32_t call, uint32_t i) {
    if (!ix || call >= ix->n_calls || i >= ix->calls[call].n_args)
        return ATR_NO_VALUE;
    return ix->argv[ix->calls[call].args + i];
}

int atr_call_children(const atr_index *ix, uint32_t call, uint32_t *out, uint32_t cap,
                      uint32_t *n_out) {
    uint32_t n = 0;
    if (n_out)
        *n_out = 0;
    if (!ix || (call >= ix->n_calls && call != ATR_NO_CALL))
        return ATR_EINVAL;
    if (call == ATR_NO_CALL)
        return 0;
    for (uint32_t c = ix->calls[call].first_child; c != ATR_NO_CALL;
         c = ix->calls[c].next_sibling) {
        if (n < cap && out)
            out[n] = c;
        n++;
    }
    if (n_out)
        *n_out = n;
    return 0;
}

int atr_call_messages(const atr_index *ix, uint32_t call, uint32_t *out, uint32_t cap,
                      uint32_t *n_out) {
    if (n_out)
        *n_out = 0;
    if (!ix || call >= ix->n_calls)
        return ATR_EINVAL;
    if (!ix->msg_off)
        return 0;
    uint32_t a = ix->msg_off[call], b = ix->msg_off[call + 1];
    for (uint32_t i = a; i < b && i - a < cap && out; i++)
        out[i - a] = ix->msg_ids[i];
    if (n_out)
        *n_out = b - a;
    return 0;
}

int atr_index_message(const atr_index *ix, uint32_t msg, atr_message_view *out) {
    if (!ix || msg >= ix->n_msgs)
        return ATR_EINVAL;
    const atr__msg *m = &ix->msgs[msg];
    atr_value v;
    out->call = m->call;
    out->thread = m->thread;
    out->time_ns = m->time;
    out->text.ptr = "";
    out->text.len = 0;
    if (atr__values_get(&ix->vals, m->text, &v) == 0 && v.kind == ATR_V_STR) {
        out->text.ptr = v.u.s.ptr;
        out->text.len = v.u.s.len;
    }
    out->n_fields = m->n_fields;
    return 0;
}

int atr_message_field(const atr_index *ix, uint32_t msg, uint32_t i, atr_str *name,
                      uint32_t *value_id) {
    if (!ix || msg >= ix->n_msgs || i >= ix->msgs[msg].n_fields)
        return ATR_EINVAL;
    const uint32_t *p = ix->mfields + ix->msgs[msg].fields + 2u * i;
    atr_value v;
    name->ptr = "";
    name->len = 0;
    if (atr__values_get(&ix->vals, p[0], &v) == 0 && v.kind == ATR_V_STR) {
        name->ptr = v.u.s.ptr;
        name->len = v.u.s.len;
    }
    *value_id = p[1];
    return 0;
}

/* ---- function lookup ---- */

/* Does "module.qualname" of f equal name (2), end with "." + name (1), or neither (0)? */
int atr__func_name_match(const atr__func *f, const char *name, size_t n) {
    size_t ml = f->module.len, ql = f->qualname.len;
    size_t full = ml ? ml + 1 + ql : ql;
    if (n > full)
        return 0;
    /* Compare the tail of the full name with name, piecewise. */
    for (size_t i = 0; i < n; i++) {
        size_t pos = full - n + i; /* position in the full name */
        char c;
        if (!ml)
            c = f->qualname.ptr[pos];
        else if (pos < ml)
            c = f->module.ptr[pos];
        else if (pos == ml)
            c = '.';
        else
            c = f->qualname.ptr[pos - ml - 1];
        if (c != name[i])
            return 0;
    }
    if (n == full)
        return 2;
    size_t before = full - n - 1; /* the character before the match must be a dot */
    char c = !ml            ? f->qualname.ptr[before]
             : before < ml  ? f->module.ptr[before]
             : before == ml ? '.'
                            : f->qualname.ptr[before - ml - 1];
    return c == '.';
}

static size_t edit_distance(const char *a, size_t n, const char *b, size_t m) {
    if (n > 64 || m > 64)
        return (size_t)-1;
    size_t row[65];
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (up + 1 < best)
                best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

static int contains(const char *hay, size_t n, const char *needle, size_t m) {
    if (m == 0 || m > n)
        return 0;
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

typedef struct near {
    size_t dist;
    uint32_t fn;
} near;

static int cmp_near(const void *a, const void *b) {
    const near *x = a, *y = b;
    if (x->dist != y->dist)
        return x->dist < y->dist ? -1 : 1;
    return x->fn < y->fn ? -1 : x->fn > y->fn;
}

int atr_index_find_function(const atr_index *ix, const char *name, uint32_t *fn_out,
                            uint32_t *cands, uint32_t cap, uint32_t *n_cands) {
    if (n_cands)
        *n_cands = 0;
    if (!ix || !name || !*name)
        return ATR_EINVAL;
    size_t n = strlen(name);
    uint32_t exact = ATR_NO_FUNCTION, n_exact = 0, n_suffix = 0, first_suffix = 0;
    for (uint32_t i = 0; i < ix->n_funcs; i++) {
        int m = atr__func_name_match(&ix->funcs[i], name, n);
        if (m == 2) {
            if (n_exact++ == 0)
                exact = i;
        } else if (m == 1) {
            if (n_suffix++ == 0)
                first_suffix = i;
        }
    }
    if (n_exact == 1 || (n_exact == 0 && n_suffix == 1)) {
        if (fn_out)
            *fn_out = n_exact ? exact : first_suffix;
        return 0;
    }
    if (n_exact + n_suffix > 1) {
        uint32_t k = 0;
        int want = n_exact ? 2 : 1;
        for (uint32_t i = 0; i < ix->n_funcs; i++) {
            if (atr__func_name_match(&ix->funcs[i], name, n) != want)
                continue;
            if (k < cap && cands)
                cands[k] = i;
            k++;
        }
        if (n_cands)
            *n_cands = k;
        return ATR_EAMBIGUOUS;
    }
    /* Not found: near names by edit distance of the last component, or containment. */
    near *nr = malloc((size_t)(ix->n_funcs ? ix->n_funcs : 1) * sizeof(near));
    if (!nr)
        return ATR_ENOTFOUND;
    uint32_t k = 0;
    const char *tail = strrchr(name, '.');
    tail = tail ? tail + 1 : name;
    size_t tl = strlen(tail);
    for (uint32_t i = 0; i < ix->n_funcs; i++) {
        const atr__func *f = &ix->funcs[i];
        const char *q = f->qualname.ptr;
        const char *qd = strrchr(q, '.');
        const char *last = qd ? qd + 1 : q;
        size_t d = edit_distance(tail, tl, last, strlen(last));
        size_t limit = tl / 3 > 2 ? tl / 3 : 2;
        if (d <= limit)
            nr[k++] = (near){d, i};
        else if (contains(q, f->qualname.len, tail, tl) ||
                 contains(f->module.ptr, f->module.len, tail, tl))
            nr[k++] = (near){limit + 1, i};
    }
    qsort(nr, k, sizeof(near), cmp_near);
    for (uint32_t i = 0; i < k && i < cap && cands; i++)
        cands[i] = nr[i].fn;
    if (n_cands)
        *n_cands = k < cap ? k : cap;
    free(nr);
    return ATR_ENOTFOUND;
}
