/*
 * The replay cursor: every start, end and message in time order, materialised once as an
 * array of (id, kind) so the TUI can step both ways and jump to a time.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

struct atr_events {
    const atr_index *ix;
    uint32_t *ids;
    uint8_t *kinds;
    uint64_t n, pos;
};

typedef struct evkey {
    uint64_t t, k2; /* k2: secondary key */
    uint32_t id;
} evkey;

static int cmp_ev(const void *a, const void *b) {
    const evkey *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->k2 != y->k2)
        return x->k2 < y->k2 ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Sort unless already sorted (one thread's starts are in call id order already). */
static void sort_keys(evkey *k, uint64_t n) {
    for (uint64_t i = 1; i < n; i++) {
        if (cmp_ev(&k[i - 1], &k[i]) > 0) {
            qsort(k, n, sizeof(evkey), cmp_ev);
            return;
        }
    }
}

/* The END key of a finished call: by end time, then later starts first (children before
 * parents), zero-length calls after the others; the id is stored complemented. */
static evkey end_key(const atr__call *c, uint32_t id) {
    evkey k = {c->start + c->dur,
               (c->dur ? 0 : UINT64_C(1) << 63) | (~c->start & ((UINT64_C(1) << 63) - 1)),
               UINT32_MAX - id};
    return k;
}

static void heap_down(evkey *h, uint64_t n, uint64_t i) {
    for (;;) {
        uint64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && cmp_ev(&h[l], &h[m]) < 0)
            m = l;
        if (r < n && cmp_ev(&h[r], &h[m]) < 0)
            m = r;
        if (m == i)
            return;
        evkey t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/*
 * END keys of the finished calls in order, into out (room for n). Walks calls in start
 * order keeping the calls still open in a min-heap on their END key: a call whose end is
 * before the next start can be emitted (every later call ends after that start). The heap
 * holds the calls running at one time, so this is O(n log concurrency); past 65536 open
 * calls (or without memory for the heap) it sorts all ends instead.
 */
#define HEAP_MAX 65536u
static uint64_t end_order(const atr_index *ix, const uint32_t *s, uint64_t n, evkey *out) {
    uint64_t k = 0, hn = 0;
    evkey *h = malloc(HEAP_MAX * sizeof(evkey));
    for (uint64_t i = 0; h && i <= n; i++) {
        uint64_t next = i < n ? ix->calls[s[i]].start : UINT64_MAX;
        while (hn && (h[0].t < next || i == n)) {
            out[k++] = h[0];
            h[0] = h[--hn];
            heap_down(h, hn, 0);
        }
        if (i == n)
            break;
        const atr__call *c = &ix->calls[s[i]];
        if (c->status == ATR_CALL_UNFINISHED)
            continue;
        if (hn == HEAP_MAX) {
            free(h);
            h = NULL;
            break;
        }
        h[hn] = end_key(c, s[i]);
        for (uint64_t j = hn++; j > 0;) {
            uint64_t p = (j - 1) / 2;
            if (cmp_ev(&h[j], &h[p]) >= 0)
                break;
            evkey t = h[j];
            h[j] = h[p];
            h[p] = t;
            j = p;
        }
    }
    if (h) {
        free(h);
        return k;
    }
    k = 0;
    for (uint64_t i = 0; i < n; i++)
        if (ix->calls[i].status != ATR_CALL_UNFINISHED)
            out[k++] = end_key(&ix->calls[i], (uint32_t)i);
    qsort(out, k, sizeof(evkey), cmp_ev);
    return k;
}

/* Class at equal times: 0 end of an earlier call, 1 start, 2 message, 3 end of a call that
 * started at the same time. */
static uint64_t ev_time(const atr_index *ix, uint8_t kind, uint32_t id, int *cls) {
    if (kind == ATR_EVENT_START) {
        *cls = 1;
        return ix->calls[id].start;
    }
    if (kind == ATR_EVENT_MESSAGE) {
        *cls = 2;
        return ix->msgs[id].time;
    }
    const atr__call *c = &ix->calls[id];
    *cls = c->dur ? 0 : 3;
    return c->start + c->dur;
}

int atr_events_open(const atr_index *ix, atr_events **out) {
    if (!ix || !out)
        return ATR_EINVAL;
    *out = NULL;
    uint64_t nc = ix->n_calls, nm = ix->n_msgs, nf = 0;
    for (uint64_t i = 0; i < nc; i++)
        nf += ix->calls[i].status != ATR_CALL_UNFINISHED;
    uint64_t big = nc > nm ? nc : nm;
    evkey *tmp = malloc((size_t)(big ? big : 1) * sizeof(evkey));
    uint32_t *s = malloc((size_t)(nc ? nc : 1) * sizeof(uint32_t));
    uint32_t *e = malloc((size_t)(nf ? nf : 1) * sizeof(uint32_t));
    uint32_t *m = malloc((size_t)(nm ? nm : 1) * sizeof(uint32_t));
    atr_events *evs = calloc(1, sizeof(*evs));
    uint64_t total = nc + nf + nm;
    if (evs) {
        evs->ids = malloc((size_t)(total ? total : 1) * sizeof(uint32_t));
        evs->kinds = malloc((size_t)(total ? total : 1));
    }
    if (!tmp || !s || !e || !m || !evs || !evs->ids || !evs->kinds) {
        free(tmp);
        free(s);
        free(e);
        free(m);
        atr_events_close(evs);
        return ATR_ENOMEM;
    }
    for (uint64_t i = 0; i < nc; i++)
        tmp[i] = (evkey){ix->calls[i].start, 0, (uint32_t)i};
    sort_keys(tmp, nc);
    for (uint64_t i = 0; i < nc; i++)
        s[i] = tmp[i].id;
    uint64_t k = end_order(ix, s, nc, tmp);
    for (uint64_t i = 0; i < k; i++)
        e[i] = UINT32_MAX - tmp[i].id;
    for (uint64_t i = 0; i < nm; i++)
        tmp[i] = (evkey){ix->msgs[i].time, 0, (uint32_t)i};
    sort_keys(tmp, nm);
    for (uint64_t i = 0; i < nm; i++)
        m[i] = tmp[i].id;
    free(tmp);
    /* Three-way merge. */
    uint64_t a = 0, b = 0, c = 0, o = 0;
    while (a < nc || b < nf || c < nm) {
        uint64_t best_t = UINT64_MAX;
        int best_cls = 9, which = -1, cls;
        if (a < nc) {
            uint64_t t = ev_time(ix, ATR_EVENT_START, s[a], &cls);
            best_t = t, best_cls = cls, which = 0;
        }
        if (b < nf) {
            uint64_t t = ev_time(ix, ATR_EVENT_END, e[b], &cls);
            if (which < 0 || t < best_t || (t == best_t && cls < best_cls))
                best_t = t, best_cls = cls, which = 1;
        }
        if (c < nm) {
            uint64_t t = ev_time(ix, ATR_EVENT_MESSAGE, m[c], &cls);
            if (which < 0 || t < best_t || (t == best_t && cls < best_cls))
                best_t = t, best_cls = cls, which = 2;
        }
        if (which == 0) {
            evs->ids[o] = s[a++];
            evs->kinds[o++] = ATR_EVENT_START;
        } else if (which == 1) {
            evs->ids[o] = e[b++];
            evs->kinds[o++] = ATR_EVENT_END;
        } else {
            evs->ids[o] = m[c++];
            evs->kinds[o++] = ATR_EVENT_MESSAGE;
        }
    }
    free(s);
    free(e);
    free(m);
    evs->ix = ix;
    evs->n = o;
    *out = evs;
    return 0;
}

void atr_events_close(atr_events *ev) {
    if (!ev)
        return;
    free(ev->ids);
    free(ev->kinds);
    free(ev);
}

uint64_t atr_events_count(const atr_events *ev) { return ev ? ev->n : 0; }

void atr_events_seek(atr_events *ev, uint64_t pos) {
    if (ev)
        ev->pos = pos < ev->n ? pos : ev->n;
}

uint64_t atr_events_tell(const atr_events *ev) { return ev ? ev->pos : 0; }

static void fill(const atr_events *ev, uint64_t pos, atr_event *out) {
    const atr_index *ix = ev->ix;
    int cls;
    out->kind = ev->kinds[pos];
    out->time_ns = ev_time(ix, ev->kinds[pos], ev->ids[pos], &cls);
    if (out->kind == ATR_EVENT_MESSAGE) {
        const atr__msg *m = &ix->msgs[ev->ids[pos]];
        out->message = ev->ids[pos];
        out->call = m->call;
        out->thread = m->thread;
    } else {
        out->message = UINT32_MAX;
        out->call = ev->ids[pos];
        out->thread = ix->calls[out->call].thread;
    }
}

uint64_t atr_events_find_time(const atr_events *ev, uint64_t time_ns) {
    if (!ev)
        return 0;
    uint64_t lo = 0, hi = ev->n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        int cls;
        if (ev_time(ev->ix, ev->kinds[mid], ev->ids[mid], &cls) < time_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int atr_events_next(atr_events *ev, atr_event *out) {
    if (!ev || ev->pos >= ev->n)
        return ATR_EOF;
    fill(ev, ev->pos++, out);
    return 0;
}

int atr_events_prev(atr_events *ev, atr_event *out) {
    if (!ev || ev->pos == 0)
        return ATR_EOF;
    fill(ev, --ev->pos, out);
    return 0;
}
