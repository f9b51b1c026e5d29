/*
 * Helpers shared by the analysis tests: logs written by the real writer with explicit times
 * (or a fixed injected clock), loaded into an index, and a check of the time-ordered events.
 * Included by one test file each; everything is static inline.
 */
#ifndef ATR_TESTS_ANALYSIS_LOGS_H
#define ATR_TESTS_ANALYSIS_LOGS_H

#include "argtrace/atr.h"
#include "atr_test.h"

static char g_path[512];

static inline uint64_t fixed_clock(void *ctx) { return *(uint64_t *)ctx; }

static inline atr_str S(const char *p) {
    atr_str s = {p, strlen(p)};
    return s;
}

static inline atr_session *open_log(const char *path, uint64_t *clock, uint64_t parent_uid,
                                    uint64_t parent_span) {
    atr_writer_config cfg;
    atr_session *s = NULL;
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.clock = fixed_clock;
    cfg.clock_ctx = clock;
    cfg.parent_uid = parent_uid;
    cfg.parent_span = parent_span;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    return s;
}

/* A fresh log at g_path named `name`, with the injected clock. */
static inline atr_session *new_log(const char *name, uint64_t *clock) {
    atr_test_tmpfile(g_path, sizeof g_path, name);
    return open_log(g_path, clock, 0, 0);
}

static inline uint32_t define(atr_session *s, const char *module, const char *name, uint32_t n,
                              const char *const *params) {
    atr_str ps[8];
    atr_function_info fi;
    uint32_t id = 0;
    for (uint32_t i = 0; i < n; i++)
        ps[i] = S(params[i]);
    memset(&fi, 0, sizeof fi);
    fi.module = S(module);
    fi.qualname = S(name);
    fi.file = S("app.py");
    fi.line = 1;
    fi.n_params = n;
    fi.params = ps;
    ATR_CHECK_OK(atr_session_define_function(s, &fi, &id));
    return id;
}

static inline uint64_t begin(atr_session *s, uint32_t fn, uint64_t parent, uint64_t t,
                             const atr_value *args, uint32_t n) {
    uint64_t span = 0;
    ATR_CHECK_OK(atr_span_begin(s, fn, parent, t, args, n, NULL, 0, &span));
    return span;
}

static inline atr_index *load_one(const char *path) {
    atr_index *ix = NULL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    int rc = atr_index_load(ix, path);
    if (!ATR_CHECK_OK(rc))
        fprintf(stderr, "  %s\n", atr_index_error(ix));
    return ix;
}

/* Free the index and remove the test's log. */
static inline void done(atr_index *ix) {
    atr_index_free(ix);
    if (!getenv("ATR_TEST_KEEP"))
        remove(g_path);
}

static inline uint32_t find(atr_index *ix, const char *name) {
    uint32_t fn = ATR_NO_FUNCTION, n = 0;
    ATR_CHECK_OK(atr_index_find_function(ix, name, &fn, NULL, 0, &n));
    return fn;
}

/* ---- tree, self time, unfinished, messages, events ---------------------------------- */

/*
 * The event cursor agrees with itself: forward order is time order; every position reached
 * by seek gives the same event as the forward walk; walking back gives the reverse.
 */
static inline void check_events(atr_index *ix) {
    atr_events *ev = NULL;
    ATR_REQUIRE(atr_events_open(ix, &ev) == 0);
    uint64_t n = atr_events_count(ev), i = 0;
    atr_event *all = calloc(n + 1, sizeof(atr_event)), e;
    ATR_REQUIRE(all != NULL);
    while (i < n && atr_events_next(ev, &all[i]) == 0) {
        if (i)
            ATR_CHECK(all[i].time_ns >= all[i - 1].time_ns);
        i++;
    }
    ATR_CHECK_EQ_U64(i, n);
    ATR_CHECK_ERR(atr_events_next(ev, &e), ATR_EOF);
    for (i = n; i-- > 0;) {
        if (!ATR_CHECK_OK(atr_events_prev(ev, &e)))
            break;
        ATR_CHECK(e.kind == all[i].kind && e.call == all[i].call && e.message == all[i].message);
    }
    ATR_CHECK_EQ_U64(atr_events_tell(ev), 0);
    for (uint64_t k = 0; k < 200 && n; k++) {
        uint64_t pos = (k * 7919u) % n;
        atr_events_seek(ev, pos);
        ATR_CHECK_EQ_U64(atr_events_tell(ev), pos);
        ATR_CHECK_OK(atr_events_next(ev, &e));
        ATR_CHECK(e.kind == all[pos].kind && e.call == all[pos].call &&
                  e.time_ns == all[pos].time_ns);
        uint64_t f = atr_events_find_time(ev, all[pos].time_ns);
        ATR_CHECK(f <= pos && all[f].time_ns == all[pos].time_ns);
        ATR_CHECK(f == 0 || all[f - 1].time_ns < all[pos].time_ns);
    }
    free(all);
    atr_events_close(ev);
}

/* ---- percentiles --------------------------------------------------------------------- */

#endif /* ATR_TESTS_ANALYSIS_LOGS_H */
