/*
 * The replay cursor: every start, end and message in time order, both ways.
 *
 * Three sorted streams — starts, ends (of finished calls), messages — are merged on the fly:
 * one total order (time, class at equal times, then the stream's own order) lets `next`
 * take the smallest head and `prev` the largest tail, and the cursor is just the three
 * stream positions (its event number is their sum). Every SAMPLE events the positions are
 * kept so `seek` needs at most SAMPLE steps. Memory: 4 bytes per start, end and message.
 *
 * Starts: a thread's calls are in id order, which is their start order; the threads are
 * merged with a heap. Ends: calls in start order feed a heap of open calls; a call whose end
 * is before the next start can be emitted (every later call ends after that start), so the
 * heap holds only the calls running at one time.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

#define SAMPLE 1024u
#define HEAP_MAX 65536u

enum { S_START, S_END, S_MSG };

struct atr_events {
    const atr_index *ix;
    uint32_t *st[3];   /* ids of each stream, in order */
    uint64_t n[3];     /* lengths */
    uint64_t at[3];    /* cursor: events taken from each stream */
    uint32_t *samples; /* every SAMPLE events: the three positions */
};

/* The total order: time, class at equal times, then two tie-breakers. */
typedef struct evkey {
    uint64_t t;
    uint32_t cls; /* 0 end of an earlier call, 1 start, 2 message, 3 end of a call that
                     started at the same time */
    uint32_t k3;
    uint64_t k2;
} evkey;

static int cmp_key(const evkey *x, const evkey *y) {
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    if (x->k2 != y->k2)
        return x->k2 < y->k2 ? -1 : 1;
    return x->k3 < y->k3 ? -1 : x->k3 > y->k3;
}

static int cmp_key_v(const void *a, const void *b) { return cmp_key(a, b); }

/* Same end time: later starts first (children before parents), then higher ids first. */
static evkey key_of(const atr_index *ix, int stream, uint32_t id) {
    evkey k;
    if (stream == S_START) {
        k.t = ix->calls[id].start;
        k.cls = 1;
        k.k2 = 0;
        k.k3 = id;
    } else if (stream == S_MSG) {
        k.t = ix->msgs[id].time;
        k.cls = 2;
        k.k2 = 0;
        k.k3 = id;
    } else {
        const atr__call *c = &ix->calls[id];
        k.t = c->start + c->dur;
        k.cls = c->dur ? 0 : 3;
        k.k2 = ~c->start;
        k.k3 = ~id;
    }
    return k;
}

/* ---- building the streams ---- */

typedef struct hent {
    evkey k;
    uint64_t pos; /* starts: position in the grouped array; ends: the call id */
    uint64_t end; /* starts: end of its thread's group */
} hent;

static void heap_push(hent *h, uint64_t *n, hent x) {
    uint64_t j = (*n)++;
    h[j] = x;
    while (j > 0) {
        uint64_t p = (j - 1) / 2;
        if (cmp_key(&h[j].k, &h[p].k) >= 0)
            break;
        hent t = h[j];
        h[j] = h[p];
        h[p] = t;
        j = p;
    }
}

static hent heap_pop(hent *h, uint64_t *n) {
    hent top = h[0];
    h[0] = h[--*n];
    for (uint64_t i = 0;;) {
        uint64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && cmp_key(&h[l].k, &h[m].k) < 0)
            m = l;
        if (r < *n && cmp_key(&h[r].k, &h[m].k) < 0)
            m = r;
        if (m == i)
            break;
        hent t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
    return top;
}

/* Sort ids[0..n) of `stream` by key (a temporary array of keys). */
static int sort_ids(const atr_index *ix, int stream, uint32_t *ids, uint64_t n) {
    uint64_t i;
    for (i = 1; i < n; i++) {
        evkey a = key_of(ix, stream, ids[i - 1]), b = key_of(ix, stream, ids[i]);
        if (cmp_key(&a, &b) > 0)
            break;
    }
    if (i >= n)
        return 0;
    evkey *k = malloc((size_t)n * sizeof(evkey));
    if (!k)
        return ATR_ENOMEM;
    for (i = 0; i < n; i++)
        k[i] = key_of(ix, stream, ids[i]);
    qsort(k, n, sizeof(evkey), cmp_key_v);
    for (i = 0; i < n; i++)
        ids[i] = stream == S_END ? ~k[i].k3 : k[i].k3;
    free(k);
    return 0;
}

/* Starts in order: calls grouped by thread (each group sorted), then merged. */
static int start_order(const atr_index *ix, uint32_t *out) {
    uint64_t nc = ix->n_calls, nt = ix->n_threads, hn = 0;
    uint64_t *off = calloc(nt + 1, sizeof(uint64_t));
    uint32_t *g = malloc((size_t)(nc ? nc : 1) * sizeof(uint32_t));
    hent *h = malloc((size_t)(nt ? nt : 1) * sizeof(hent));
    int rc = ATR_ENOMEM;
    if (!off || !g || !h)
        goto out;
    for (uint64_t i = 0; i < nc; i++)
        off[ix->calls[i].thread + 1]++;
    for (uint64_t t = 1; t <= nt; t++)
        off[t] += off[t - 1];
    for (uint64_t i = 0; i < nc; i++)
        g[off[ix->calls[i].thread]++] = (uint32_t)i;
    for (uint64_t t = nt; t > 0; t--) /* off[t] = start of thread t's group again */
        off[t] = off[t - 1];
    off[0] = 0;
    for (uint64_t t = 0; t < nt; t++) {
        uint64_t a = off[t], b = t + 1 < nt ? off[t + 1] : nc;
        if ((rc = sort_ids(ix, S_START, g + a, b - a)) != 0)
            goto out;
        if (a < b)
            heap_push(h, &hn, (hent){key_of(ix, S_START, g[a]), a, b});
    }
    for (uint64_t k = 0; hn; k++) {
        hent x = heap_pop(h, &hn);
        out[k] = g[x.pos];
        if (++x.pos < x.end) {
            x.k = key_of(ix, S_START, g[x.pos]);
            heap_push(h, &hn, x);
        }
    }
    rc = 0;
out:
    free(off);
    free(g);
    free(h);
    return rc;
}

/* Ends of finished calls in order, from the starts in order s. Returns their number. */
static int end_order(const atr_index *ix, const uint32_t *s, uint32_t *out, uint64_t *n_out) {
    uint64_t n = ix->n_calls, k = 0, hn = 0;
    hent *h = malloc(HEAP_MAX * sizeof(hent));
    for (uint64_t i = 0; h && i <= n; i++) {
        uint64_t next = i < n ? ix->calls[s[i]].start : UINT64_MAX;
        while (hn && (h[0].k.t < next || i == n))
            out[k++] = (uint32_t)heap_pop(h, &hn).pos;
        if (i == n)
            break;
        if (ix->calls[s[i]].status == ATR_CALL_UNFINISHED)
            continue;
        if (hn == HEAP_MAX) { /* too many calls at once: sort them all instead */
            free(h);
            h = NULL;
            break;
        }
        heap_push(h, &hn, (hent){key_of(ix, S_END, s[i]), s[i], 0});
    }
    if (h) {
        free(h);
        *n_out = k;
        return 0;
    }
    k = 0;
    for (uint64_t i = 0; i < n; i++)
        if (ix->calls[i].status != ATR_CALL_UNFINISHED)
            out[k++] = (uint32_t)i;
    *n_out = k;
    return sort_ids(ix, S_END, out, k);
}

/* ---- the cursor ---- */

/* The stream holding the next event (or the previous one with `back`), or -1. */
static int pick(const atr_events *ev, int back) {
    int best = -1;
    evkey bk = {0, 0, 0, 0};
    for (int s = 0; s < 3; s++) {
        uint64_t at = ev->at[s];
        if (back ? at == 0 : at >= ev->n[s])
            continue;
        evkey k = key_of(ev->ix, s, ev->st[s][back ? at - 1 : at]);
        int c = best < 0 ? 0 : cmp_key(&k, &bk);
        if (best < 0 || (back ? c > 0 : c < 0)) {
            best = s;
            bk = k;
        }
    }
    return best;
}

static void fill(const atr_events *ev, int s, uint32_t id, atr_event *out) {
    const atr_index *ix = ev->ix;
    evkey k = key_of(ix, s, id);
    out->time_ns = k.t;
    if (s == S_MSG) {
        out->kind = ATR_EVENT_MESSAGE;
        out->message = id;
        out->call = ix->msgs[id].call;
        out->thread = ix->msgs[id].thread;
    } else {
        out->kind = s == S_START ? ATR_EVENT_START : ATR_EVENT_END;
        out->message = UINT32_MAX;
        out->call = id;
        out->thread = ix->calls[id].thread;
    }
}

int atr_events_next(atr_events *ev, atr_event *out) {
    int s = ev ? pick(ev, 0) : -1;
    if (s < 0)
        return ATR_EOF;
    if (out)
        fill(ev, s, ev->st[s][ev->at[s]], out);
    ev->at[s]++;
    return 0;
}

int atr_events_prev(atr_events *ev, atr_event *out) {
    int s = ev ? pick(ev, 1) : -1;
    if (s < 0)
        return ATR_EOF;
    ev->at[s]--;
    if (out)
        fill(ev, s, ev->st[s][ev->at[s]], out);
    return 0;
}

uint64_t atr_events_count(const atr_events *ev) { return ev ? ev->n[0] + ev->n[1] + ev->n[2] : 0; }

uint64_t atr_events_tell(const atr_events *ev) {
    return ev ? ev->at[0] + ev->at[1] + ev->at[2] : 0;
}

void atr_events_seek(atr_events *ev, uint64_t pos) {
    if (!ev)
        return;
    uint64_t total = atr_events_count(ev);
    if (pos > total)
        pos = total;
    const uint32_t *smp = ev->samples + 3 * (pos / SAMPLE);
    for (int s = 0; s < 3; s++)
        ev->at[s] = smp[s];
    for (uint64_t i = pos / SAMPLE * SAMPLE; i < pos; i++)
        atr_events_next(ev, NULL);
}

uint64_t atr_events_find_time(const atr_events *ev, uint64_t time_ns) {
    uint64_t pos = 0;
    if (!ev)
        return 0;
    for (int s = 0; s < 3; s++) { /* events before time_ns in each stream */
        uint64_t lo = 0, hi = ev->n[s];
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo) / 2;
            if (key_of(ev->ix, s, ev->st[s][mid]).t < time_ns)
                lo = mid + 1;
            else
                hi = mid;
        }
        pos += lo;
    }
    return pos;
}

void atr_events_close(atr_events *ev) {
    if (!ev)
        return;
    for (int s = 0; s < 3; s++)
        free(ev->st[s]);
    free(ev->samples);
    free(ev);
}

int atr_events_open(const atr_index *ix, atr_events **out) {
    if (!ix || !out)
        return ATR_EINVAL;
    *out = NULL;
    atr_events *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return ATR_ENOMEM;
    ev->ix = ix;
    uint64_t nc = ix->n_calls, nm = ix->n_msgs;
    ev->st[S_START] = malloc((size_t)(nc ? nc : 1) * sizeof(uint32_t));
    ev->st[S_END] = malloc((size_t)(nc ? nc : 1) * sizeof(uint32_t));
    ev->st[S_MSG] = malloc((size_t)(nm ? nm : 1) * sizeof(uint32_t));
    int rc = ATR_ENOMEM;
    if (!ev->st[0] || !ev->st[1] || !ev->st[2])
        goto fail;
    ev->n[S_START] = nc;
    ev->n[S_MSG] = nm;
    for (uint64_t i = 0; i < nm; i++)
        ev->st[S_MSG][i] = (uint32_t)i;
    if ((rc = start_order(ix, ev->st[S_START])) != 0 ||
        (rc = end_order(ix, ev->st[S_START], ev->st[S_END], &ev->n[S_END])) != 0 ||
        (rc = sort_ids(ix, S_MSG, ev->st[S_MSG], nm)) != 0)
        goto fail;
    uint64_t total = atr_events_count(ev);
    ev->samples = malloc((size_t)(total / SAMPLE + 1) * 3 * sizeof(uint32_t));
    rc = ATR_ENOMEM;
    if (!ev->samples)
        goto fail;
    for (uint64_t i = 0;; i++) { /* walk once, keeping the positions every SAMPLE events */
        if (i % SAMPLE == 0)
            for (int s = 0; s < 3; s++)
                ev->samples[3 * (i / SAMPLE) + (uint64_t)s] = (uint32_t)ev->at[s];
        if (atr_events_next(ev, NULL) != 0)
            break;
    }
    ev->at[0] = ev->at[1] = ev->at[2] = 0;
    *out = ev;
    return 0;
fail:
    atr_events_close(ev);
    return rc;
}
