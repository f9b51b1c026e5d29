/* Call-tree helpers (see calltree.h). */
#include "calltree.h"
#include "render.h"
#include "render_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int atr__children(const atr_index *ix, uint32_t call, uint32_t **kids, uint32_t *n) {
    uint32_t count = 0;
    *n = 0;
    int rc = atr_call_children(ix, call, NULL, 0, &count);
    if (rc < 0 || count == 0)
        return rc;
    uint32_t *p = realloc(*kids, (size_t)count * sizeof *p);
    if (!p)
        return ATR_ENOMEM;
    *kids = p;
    rc = atr_call_children(ix, call, p, count, &count);
    if (rc == 0)
        *n = count;
    return rc;
}

/*
 * Whether a call weighs at least `ns` in a tree, to fold it or not: the time charged to its
 * parent, or the time it ran when that is more, plus what the calls under it ran outside
 * their own parents (active_ns - charged_ns: the steps of tasks that ran while their creator
 * awaited, of generators finished by other calls). Those are charged to their parents
 * nothing, yet they may be where the time went, and folding them into a row of "0 ns" would
 * hide them. Stops at `ns`; looks at the first WEIGHT_VISITS calls under it, WEIGHT_DEPTH
 * levels deep (beyond: as before, its charged time alone decides).
 */
#define WEIGHT_VISITS 256
#define WEIGHT_DEPTH 32
static int weighs(const atr_index *ix, const atr_call_view *cv, uint64_t ns) {
    uint64_t sum = cv->active_ns > cv->charged_ns ? cv->active_ns : cv->charged_ns;
    uint32_t stack[WEIGHT_DEPTH], depth = 0, visits = 0;
    if (sum >= ns)
        return 1;
    if (cv->first_child == ATR_NO_CALL)
        return 0;
    stack[depth++] = cv->first_child; /* the next call to look at on each level */
    while (depth) {
        uint32_t c = stack[depth - 1];
        atr_call_view k;
        if (c == ATR_NO_CALL || atr_index_call(ix, c, &k) < 0) {
            depth--;
            continue;
        }
        if (++visits > WEIGHT_VISITS)
            return 0;
        if (k.active_ns > k.charged_ns && (sum += k.active_ns - k.charged_ns) >= ns)
            return 1;
        stack[depth - 1] = k.next_sibling;
        if (k.first_child != ATR_NO_CALL && depth < WEIGHT_DEPTH)
            stack[depth++] = k.first_child;
    }
    return 0;
}

/* ceil(base * permille / 1000): x * 1000 < base * permille exactly when x is below it. */
static uint64_t share_of(uint64_t base, uint32_t permille) {
    return (base * permille + 999) / 1000;
}

static int is_fast(const atr_index *ix, uint32_t call, uint64_t parent_ns) {
    atr_call_view cv;
    if (atr_index_call(ix, call, &cv) < 0)
        return 0;
    return cv.status != ATR_CALL_RAISED && cv.status != ATR_CALL_UNFINISHED &&
           !weighs(ix, &cv, share_of(parent_ns, ATR__FOLD_PERMILLE));
}

uint32_t atr__fold_run(const atr_index *ix, const uint32_t *kids, uint32_t n, uint32_t i,
                       uint64_t parent_ns) {
    uint32_t j = i;
    while (j < n && is_fast(ix, kids[j], parent_ns))
        j++;
    return j - i >= ATR__FOLD_MIN ? j - i : 0;
}

/* Append head, function fn's name and tail. When they take more than room columns (0: no
   limit), tail keeps its first keep bytes only (its closing "()" or "(), …)"; the rest
   repeats what the duration column and the note under the tree say), and when that is still
   too wide the name gives up its start, down to FOLD_NAME_MIN columns: "… 30 calls to
   …StatementSplitter._change_splitlevel()". */
#define FOLD_NAME_MIN 12
static void sb_named(atr__sbuf *sb, const atr__sbuf *head, const atr_index *ix, uint32_t fn,
                     const atr__sbuf *tail, size_t keep, size_t room) {
    atr__sb_add(sb, head->ptr, head->len);
    size_t from = sb->len;
    atr__sb_funcname(sb, ix, fn);
    size_t name_w = atr__utf8_width(sb->ptr + from, sb->len - from);
    size_t head_w = atr__utf8_width(head->ptr, head->len);
    if (!room || head_w + name_w + atr__utf8_width(tail->ptr, tail->len) <= room) {
        atr__sb_add(sb, tail->ptr, tail->len);
        return;
    }
    keep = keep < tail->len ? keep : tail->len;
    size_t w = head_w + name_w + atr__utf8_width(tail->ptr, keep);
    if (w > room && name_w > FOLD_NAME_MIN && !sb->oom)
        atr__sb_fit_left(sb, from,
                         name_w > w - room + FOLD_NAME_MIN ? name_w - (w - room) : FOLD_NAME_MIN);
    atr__sb_add(sb, tail->ptr, keep);
}

/* Order of a per-function tally: the most time first (ties: the lowest function id). */
static int cmp_fn_time(const void *x, const void *y) {
    const atr__fn_time *p = x, *q = y;
    if (p->ns != q->ns)
        return p->ns > q->ns ? -1 : 1;
    return p->fn < q->fn ? -1 : p->fn > q->fn;
}

static int cmp_fn_id(const void *x, const void *y) {
    const atr__fn_time *p = x, *q = y;
    return p->fn < q->fn ? -1 : p->fn > q->fn;
}

/* Merge v[0..m) (one entry per call) into one entry per function, in place, the most time
   first; returns how many functions. */
static uint32_t by_fn(atr__fn_time *v, uint32_t m) {
    uint32_t n = 0;
    qsort(v, m, sizeof *v, cmp_fn_id);
    for (uint32_t i = 0, j; i < m; i = j, n++) {
        atr__fn_time g = {v[i].fn, 0, 0};
        for (j = i; j < m && v[j].fn == v[i].fn; j++) {
            g.calls += v[j].calls;
            g.ns += v[j].ns;
        }
        v[n] = g;
    }
    qsort(v, n, sizeof *v, cmp_fn_time);
    return n;
}

/* The function whose calls among calls[0..n) took the most time into *fn (ties: the lowest
   id); *fn unchanged when memory is short. */
static void heaviest_fn(const atr_index *ix, const uint32_t *calls, uint32_t n, uint32_t *fn) {
    atr__fn_time *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    if (!v)
        return;
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        atr_call_view cv;
        if (atr_index_call(ix, calls[i], &cv) == 0)
            v[m++] = (atr__fn_time){cv.function, 1, cv.charged_ns};
    }
    if (by_fn(v, m))
        *fn = v[0].fn;
    free(v);
}

void atr__sb_fold(atr__sbuf *sb, const atr_index *ix, const uint32_t *kids, uint32_t n, size_t room,
                  uint64_t *total_ns) {
    uint64_t total = 0;
    uint32_t fn = ATR_NO_FUNCTION;
    int same = 1;
    for (uint32_t i = 0; i < n; i++) {
        atr_call_view cv;
        if (atr_index_call(ix, kids[i], &cv) < 0)
            continue;
        total += cv.charged_ns;
        if (fn == ATR_NO_FUNCTION)
            fn = cv.function;
        else if (cv.function != fn)
            same = 0;
    }
    if (!same) /* name where most of the time went */
        heaviest_fn(ix, kids, n, &fn);
    atr__sbuf head = ATR__SBUF_INIT, tail = ATR__SBUF_INIT;
    atr__sb_puts(&head, "… ");
    atr__sb_count(&head, n);
    atr__sb_puts(&head, same ? " calls to " : " calls (");
    atr__sb_puts(&tail, same ? "(), " : "(), …), ");
    size_t keep = tail.len - 2; /* "()" or "(), …)" */
    atr__sb_dur(&tail, total);
    sb_named(sb, &head, ix, fn, &tail, keep, room);
    atr__sb_free(&head);
    atr__sb_free(&tail);
    *total_ns = total;
}

void atr__resumed_by_fn(const atr_index *ix, uint32_t call, atr__fn_time **out, uint32_t *n) {
    uint32_t count = 0, m = 0, *ids = NULL;
    uint64_t *ns = NULL;
    atr__fn_time *v = NULL;
    *out = NULL;
    *n = 0;
    if (atr_call_adopted(ix, call, NULL, NULL, 0, &count) < 0 || !count ||
        !(ids = malloc((size_t)count * sizeof *ids)) ||
        !(ns = malloc((size_t)count * sizeof *ns)) || !(v = malloc((size_t)count * sizeof *v)) ||
        atr_call_adopted(ix, call, ids, ns, count, &count) < 0)
        goto out;
    for (uint32_t i = 0; i < count; i++) { /* one per call it resumed */
        atr_call_view cv;
        if (ids[i] != ATR_NO_CALL && atr_index_call(ix, ids[i], &cv) == 0)
            v[m++] = (atr__fn_time){cv.function, 1, ns[i]};
    }
    if ((*n = by_fn(v, m)) != 0) {
        *out = v;
        v = NULL;
    }
out:
    free(ids);
    free(ns);
    free(v);
}

void atr__sb_adopted(atr__sbuf *sb, const atr_index *ix, uint32_t call, size_t room) {
    atr__fn_time *r;
    uint32_t n;
    atr__resumed_by_fn(ix, call, &r, &n);
    if (!n) { /* (a selective load's: the calls are not kept) */
        atr__sb_puts(sb, "(resumed: other calls' generators or tasks)");
        return;
    }
    atr__sbuf head = ATR__SBUF_INIT, tail = ATR__SBUF_INIT;
    atr__sb_puts(&head, "(resumed: ");
    atr__sb_puts(&tail, " ×");
    atr__sb_count(&tail, r[0].calls);
    atr__sb_puts(&tail, n > 1 ? ", …)" : ")");
    sb_named(sb, &head, ix, r[0].fn, &tail, tail.len, room);
    atr__sb_free(&head);
    atr__sb_free(&tail);
    free(r);
}

int atr__is_minor(const atr_index *ix, uint32_t call, uint64_t parent_ns, atr__minor_rule rule) {
    atr_call_view cv;
    if ((!rule.permille && !rule.floor_ns) || atr_index_call(ix, call, &cv) < 0 ||
        cv.status == ATR_CALL_RAISED || cv.status == ATR_CALL_UNFINISHED)
        return 0;
    uint64_t limit = share_of(parent_ns, rule.permille);
    return !weighs(ix, &cv, limit > rule.floor_ns ? limit : rule.floor_ns);
}

void atr__minor_add(const atr_index *ix, atr__minor_tally *t, uint32_t call) {
    atr_call_view cv;
    if (atr_index_call(ix, call, &cv) < 0)
        return;
    if (t->n++ == 0)
        t->fn = cv.function;
    else if (cv.function != t->fn)
        t->mixed = 1;
    t->ns += cv.charged_ns;
}

void atr__minor_top(const atr_index *ix, const uint32_t *calls, uint32_t n, atr__minor_tally *t) {
    if (t->mixed && n > 1)
        heaviest_fn(ix, calls, n, &t->fn);
}

int atr__minor_folds(const atr_index *ix, const uint32_t *kids, uint32_t n, uint64_t parent_ns,
                     atr__minor_rule rule) {
    uint32_t n_minor = 0, one = ATR_NO_CALL;
    for (uint32_t i = 0; i < n && n_minor < 2; i++)
        if (atr__is_minor(ix, kids[i], parent_ns, rule)) {
            n_minor++;
            one = kids[i];
        }
    if (n_minor != 1)
        return n_minor > 1;
    /* One call takes a line either way: shown as itself, unless it would open a subtree of
       calls smaller still (a chain of single minor calls, one line each). */
    atr_call_view cv;
    return atr_index_call(ix, one, &cv) == 0 && cv.first_child != ATR_NO_CALL;
}

uint32_t atr__prune_minor(const atr_index *ix, uint32_t *kids, uint32_t n, uint64_t parent_ns,
                          atr__minor_rule rule, atr__minor_tally *minor) {
    uint32_t kept = 0, n_minor = 0;
    *minor = (atr__minor_tally){0};
    if (!atr__minor_folds(ix, kids, n, parent_ns, rule))
        return n;
    uint32_t *minors = malloc((size_t)n * sizeof *minors); /* NULL: the first's name */
    for (uint32_t i = 0; i < n; i++) {
        if (atr__is_minor(ix, kids[i], parent_ns, rule)) {
            atr__minor_add(ix, minor, kids[i]);
            if (minors)
                minors[n_minor++] = kids[i];
        } else {
            kids[kept++] = kids[i];
        }
    }
    atr__minor_top(ix, minors, n_minor, minor);
    free(minors);
    return kept;
}

void atr__sb_minor(atr__sbuf *sb, const atr_index *ix, const atr__minor_tally *minor,
                   atr__minor_rule rule, size_t room) {
    atr__sbuf head = ATR__SBUF_INIT, tail = ATR__SBUF_INIT;
    atr__sb_puts(&head, "… ");
    atr__sb_count(&head, minor->n);
    atr__sb_puts(&head, minor->n == 1 ? " call" : " calls");
    atr__sb_puts(&head, minor->mixed ? " (" : " to ");
    atr__sb_puts(&tail, minor->mixed ? "(), …)" : "()");
    size_t keep = tail.len;
    atr__sb_puts(&tail, " under ");
    if (rule.permille)
        atr__sb_printf(&tail, "%u.%u%%", rule.permille / 10, rule.permille % 10);
    if (rule.permille && rule.floor_ns)
        atr__sb_puts(&tail, " or ");
    if (rule.floor_ns)
        atr__sb_dur(&tail, rule.floor_ns);
    atr__sb_puts(&tail, ", ");
    atr__sb_dur(&tail, minor->ns);
    sb_named(sb, &head, ix, minor->fn, &tail, keep, room);
    atr__sb_free(&head);
    atr__sb_free(&tail);
}

int atr__parse_share(const char *s, uint32_t *permille) {
    char *end;
    double d = strtod(s, &end);
    if (end == s || (*end && strcmp(end, "%") != 0) || !(d >= 0) || d > 100)
        return -1;
    *permille = (uint32_t)(d * 10 + 0.5);
    return 0;
}

uint64_t atr__share_base(const atr_call_view *cv) {
    return cv->active_ns > cv->children_ns ? cv->active_ns : cv->children_ns;
}

uint64_t atr__active_of(const atr_index *ix, uint32_t call) {
    atr_call_view cv;
    return atr_index_call(ix, call, &cv) == 0 ? cv.active_ns : 0;
}

int atr__shows_active(const atr_call_view *cv) {
    char active[32], duration[32];
    if (cv->active_ns == cv->duration_ns)
        return 0;
    atr__fmt_dur(active, sizeof active, cv->active_ns);
    atr__fmt_dur(duration, sizeof duration, cv->duration_ns);
    return strcmp(active, duration) != 0;
}

size_t atr__maxv_before_active(const atr_call_view *cv, size_t room, size_t maxv) {
    char t[32];
    if (room == 0 || !atr__shows_active(cv))
        return maxv;
    atr__fmt_dur(t, sizeof t, cv->active_ns);
    size_t tag = 11 + atr__utf8_width(t, strlen(t));   /* "  [active " T "]" */
    size_t name = room > tag + 3 ? room - tag - 3 : 0; /* then "(…)" */
    size_t fit = name > 8 + 6 ? name - 8 : 6;          /* the name: maxv + 8 */
    return fit < maxv ? fit : maxv;
}

void atr__sb_active(atr__sbuf *sb, const atr_call_view *cv) {
    if (!atr__shows_active(cv))
        return;
    atr__sb_puts(sb, "  [active ");
    atr__sb_dur(sb, cv->active_ns);
    atr__sb_putc(sb, ']');
}
