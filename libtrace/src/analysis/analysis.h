/*
 * Internals of the analysis layer: the index's compact tables, shared by its files.
 *
 *   values.c   the value table (hash-consed values, strings in an arena)
 *   index.c    loading logs into the tables, linking across files
 *   stream.c   partial loads: statistics only, or only some calls (a function's, a subtree)
 *   lookup.c   functions by name, accessors of calls/threads/files/messages
 *   stats.c    per-function statistics and exact percentiles
 *   argscore.c / groups.c   per-argument grouping and score
 *   breaks.c   natural-break ranges of ordered keys, rounded labels, the trend score
 *   labels.c   distinguishing labels of long str groups
 *   keys.c     derived keys (len, type, items, pairs) and caller-given keys
 *   diff.c     two runs compared (argscore over the functions of one name, groups by run)
 *   why.c      one call against the typical calls of its function
 *   filter.c   filter parsing and matching
 *   query.c    queries (callsets)
 *   events.c   the time-ordered event cursor
 *
 * Calls, functions, threads and messages are flat arrays addressed by uint32 indices, never
 * by pointers. After a load the index is read-only.
 */
#ifndef ATR_ANALYSIS_ANALYSIS_H
#define ATR_ANALYSIS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "argtrace/atr_analysis.h"
#include "argtrace/atr_reader.h"
#include "common/arena.h"
#include "common/hash.h"

/* ---- value table ---- */
typedef struct atr__vent {
    uint8_t kind;  /* atr_value_kind */
    uint8_t trunc; /* strings: 1 when true_len (stored before the bytes) > len */
    uint16_t pad;
    uint32_t len; /* strings: stored bytes; summaries: number of items */
    union {
        int64_t i;
        uint64_t u;
        double f;
        const char *p;        /* string bytes in the arena */
        const atr_value *sum; /* materialised summary (items follow in the arena) */
    } x;
} atr__vent;

typedef struct atr__values {
    atr__vent *ents;
    uint32_t n, cap;
    uint32_t *slots; /* hash table of entry index + 1 */
    uint32_t mask;
    atr__arena arena;
} atr__values;

/* Small integers are stored in the id itself: top bit set, value + 2^30 in the low 31 bits. */
#define ATR__VID_INLINE 0x80000000u
#define ATR__INLINE_MIN (-(INT64_C(1) << 30))
#define ATR__INLINE_MAX ((INT64_C(1) << 30) - 3) /* ids stay below UINT32_MAX - 1 */

/* Intern v (copying its bytes); *id gets its id. 0, ATR_ENOMEM, ATR_ETOOBIG. */
int atr__values_intern(atr__values *vt, const atr_value *v, uint32_t *id);
/* Intern a string as ATR_V_STR. */
int atr__values_intern_str(atr__values *vt, const char *p, size_t n, uint32_t *id);
/* The value of id; 0 or ATR_EINVAL. */
int atr__values_get(const atr__values *vt, uint32_t id, atr_value *out);
void atr__values_free(atr__values *vt);
/* Type name for type() filters and TYPE groups: "int", "str", "None", a summary's type... */
atr_str atr__value_type(const atr_value *v);
/* The number of an int/uint/float/bool/bigint value; NAN for other kinds. */
double atr__value_number(const atr_value *v);
uint64_t atr__values_mem(const atr__values *vt);

/* ---- the index ---- */
typedef struct atr__call {
    uint64_t start;
    uint64_t dur;
    uint32_t func;
    uint32_t thread;
    uint32_t parent;
    uint32_t first_child;
    uint32_t next_sibling;
    uint32_t args;   /* offset of the first argument id in ix->argv */
    uint32_t result; /* value id */
    uint32_t exc;    /* value id of the exception type (str), or ATR_NO_VALUE */
    uint16_t n_args;
    uint8_t status; /* ATR_CALL_* */
    uint8_t flags;  /* ATR__CF_* */
    uint32_t seq;   /* its span's sequence number in its thread (atr_call_span), UINT32_MAX
                       when it does not fit (then found in the thread's seq2call) */
} atr__call;

_Static_assert(sizeof(atr__call) == 56, "a call is 56 bytes: the index's memory budget");

/* A child on another thread (or process): the child list may need sorting by start. */
#define ATR__CF_XCHILD 0x1u
/* The call has an entry in ix->susp (its span suspended, or it ran while its parent was
   suspended). */
#define ATR__CF_SUSPENDED 0x2u
/* The call started while a call of the same function ran on its thread (running.c,
   stream.c): its time is already in that call's (atr_stats.inclusive_ns). */
#define ATR__CF_NESTED 0x4u
/* The call has entries in ix->adopt (it resumed other calls' generators or tasks). */
#define ATR__CF_ADOPTS 0x8u

/*
 * Active time of a call whose span suspended (SUSPEND record), or that ran while its parent
 * was suspended (records.c says when). ix->susp holds one per such call, sorted by call
 * (each load appends its calls' entries, sorted, after the earlier loads'). `running` and
 * `mark` only serve while the log loads.
 */
typedef struct atr__susp {
    uint32_t call;
    uint32_t running; /* 1: between START or RESUME and the next SUSPEND */
    uint64_t mark;    /* time of the last START or RESUME */
    uint64_t active;  /* sum of the running intervals */
    uint64_t outside; /* of which ran while the parent was away: not the parent's time */
    uint64_t resumes; /* its RESUME records (each after a SUSPEND): compensation's count */
} atr__susp;

/*
 * Time a call spent running another call's generator or coroutine (adopted): a running
 * interval of call `from` that ended while from's parent was away (its `outside` time, not
 * charged to that parent) ran under `call`, the call beneath it on its thread, which resumed
 * it (PyYAML's construct_document resuming the generators construct_object made; the call
 * around asyncio.run stepping the tasks of a coroutine that awaits). It is taken off that
 * call's self time. ix->adopt holds them sorted by call, then from, one entry per (call,
 * from) (each load appends its own, after the earlier loads': atr__adopt_finish).
 */
typedef struct atr__adopt {
    uint32_t call; /* the resumer */
    uint32_t from; /* whose interval it was (ATR_NO_CALL: a call the index does not keep) */
    uint64_t ns;
} atr__adopt;

typedef struct atr__func {
    atr_str module, qualname, file; /* in the arena, NUL-terminated */
    uint32_t line, flags;
    uint32_t n_params, n_declared, cap_params;
    atr_str *params; /* malloc'd array; names in the arena */
    uint64_t hash;
} atr__func;

typedef struct atr__thread {
    uint32_t file, number;
    uint64_t os_tid;
    atr_str name;
    uint32_t first_root;
    uint64_t n_roots, n_calls;
    uint32_t *seq2call; /* span sequence number - seq_base -> call (ATR_NO_CALL) */
    uint64_t n_seq;
    uint64_t seq_base; /* span numbers before the thread's first SYNC (a rotated log's
                          deleted files, a forked child's parent) are not mapped */
} atr__thread;

typedef struct atr__file {
    atr_file_info info; /* strings in the arena; flags/counters kept here */
    uint32_t first_thread, n_threads;
    uint32_t first_call;    /* calls of this file: [first_call, first_call + info.n_calls) */
    atr__u32map thread_map; /* thread number -> global thread id */
    uint64_t dev, ino;      /* the file loaded (atr_index_load), 0, 0 for memory */
    uint64_t pause_start;   /* while loading: when the current pause began */
    int paused;             /* while loading: recording is paused */
} atr__file;

typedef struct atr__msg {
    uint64_t time;
    uint32_t call, thread;
    uint32_t text;   /* value id (str) */
    uint32_t fields; /* offset in ix->mfields (pairs name id, value id) */
    uint32_t n_fields;
} atr__msg;

typedef struct atr__pending {
    uint32_t call;
    uint64_t uid; /* file whose span is the parent */
    uint64_t span;
} atr__pending;

struct atr_index {
    atr__call *calls;
    uint64_t n_calls, cap_calls;
    uint32_t *argv;
    uint64_t n_argv, cap_argv;
    atr__values vals;
    atr__func *funcs;
    uint32_t n_funcs, cap_funcs;
    uint32_t *fslots; /* function hash: index + 1 */
    uint32_t fmask;
    atr__thread *threads;
    uint32_t n_threads, cap_threads;
    atr__file *files;
    uint32_t n_files, cap_files;
    atr__msg *msgs;
    uint64_t n_msgs, cap_msgs;
    uint32_t *mfields;
    uint64_t n_mfields, cap_mfields;
    atr__pending *pending;
    uint64_t n_pending, cap_pending;
    atr__susp *susp; /* calls that suspended, by call */
    uint64_t n_susp, cap_susp;
    atr__adopt *adopt; /* time calls ran others' generators and tasks, by call */
    uint64_t n_adopt, cap_adopt;
    /* Derived after each load. */
    uint32_t *fn_off;   /* n_funcs + 1 offsets into fn_calls */
    uint32_t *fn_calls; /* call ids grouped by function, ascending ids */
    uint32_t *msg_off;  /* per call: offset into msg_ids (n_calls + 1), NULL if no messages */
    uint32_t *msg_ids;
    uint64_t n_unfinished;
    uint64_t t_min, t_max;
    uint64_t frames_read; /* by the loads (atr_index_frames_read) */
    atr_progress_fn progress;
    void *progress_ctx;
    atr__arena arena;    /* names, paths, process strings */
    uint64_t max_memory; /* atr_index_set_max_memory(); 0: no limit */
    int compensate;      /* 1: loads compensate for the tracer's cost (atr_index_set_compensate) */
    struct atr__stream *stream; /* statistics-only loads (stream.c), or NULL */
    char err[512];
};

/* Memory held by the index (approximate): atr_index_info.mem_bytes. */
uint64_t atr__index_mem_bytes(const atr_index *ix);

/*
 * stats.c. Active time: the duration, or for a call that suspended the sum of its running
 * intervals (atr_call_view.active_ns). Charged time: the part of it its parent is charged
 * (not the intervals that ran while the parent was away). Self time: active time minus the
 * children's charged times in the same process (children_ns) and the intervals of other
 * calls it resumed (atr__adopt: adopted_ns), clamped at 0. Computed when
 * asked (walking the children) rather than stored: 8 bytes per call less.
 */
uint64_t atr__call_active(const atr_index *ix, const atr__call *c);
uint64_t atr__call_self(const atr_index *ix, const atr__call *c);
void atr__call_times(const atr_index *ix, const atr__call *c, uint64_t *active, uint64_t *charged,
                     uint64_t *children, uint64_t *adopted, uint64_t *self);
/* index.c: after a log loads (and atr__susp_close), bound the active times of its calls'
   entries from `first` on and sort them. */
void atr__susp_finish(atr_index *ix, uint64_t first);

/* The exception type of a call as a string (empty if none). */
atr_str atr__call_exc(const atr_index *ix, const atr__call *c);

/*
 * derive.c: rebuild the derived tables (child and root lists, per-function calls, messages
 * per call) after a load. Calls from `fresh` on were just loaded (no children set yet).
 */
int atr__index_derive(atr_index *ix, uint64_t fresh);

/*
 * compensate.c: subtract the tracer's cost (the file's CALIBRATION) from the times of the calls
 * of `file` and the messages from `first_msg` on, just loaded (before the derived tables).
 * 0 or ATR_ENOMEM.
 */
int atr__compensate_file(atr_index *ix, uint32_t file, uint64_t first_msg);
/* stats.c: the active-time entry of call c (ATR__CF_SUSPENDED), or NULL. */
const atr__susp *atr__susp_of(const atr_index *ix, const atr__call *c);
/* stats.c: the time call c ran other calls' intervals (its ix->adopt entries), or 0; its
   entries (*n of them, NULL when none). */
uint64_t atr__call_adopted(const atr_index *ix, const atr__call *c);
const atr__adopt *atr__adopt_of(const atr_index *ix, const atr__call *c, uint64_t *n);
/* stats.c: after a log loads, sort its entries of ix->adopt (from `first` on) and merge those
   of one (call, from). */
void atr__adopt_finish(atr_index *ix, uint64_t first);

/* Look up a parameter name of a function: its index or -1. */
int atr__func_param(const atr__func *f, const char *name, size_t len);

/* stats.c: nearest-rank percentile of n durations (reorders them). n > 0. */
uint64_t atr__percentile(uint64_t *d, uint64_t n, double p);
uint64_t atr__percentile32(uint32_t *d, uint64_t n, double p); /* the same, 32-bit values */
/* stats.c: min, p50, p95, p99 of d[0..n) (reordered) into st. n > 0. */
void atr__stats_percentiles(uint64_t *d, uint64_t n, atr_stats *st);

/* stream.c: atr_stats_all of a statistics-only index; freeing its state. */
int atr__stream_stats(const atr_index *ix, atr_stats *out, uint32_t n_out);
void atr__stream_free(struct atr__stream *s);
void atr__stream_break(struct atr__stream *s);   /* a load failed: no statistics */
int atr__stream_stats_only(const atr_index *ix); /* a statistics-only index */
void atr__stream_begin(atr_index *ix);           /* a log's load begins */
/* Selective loads: kept call -> its number in its file, and back (ATR_NO_CALL). */
uint32_t atr__stream_number(const atr_index *ix, uint32_t call);
uint32_t atr__stream_find(const atr_index *ix, uint32_t file, uint64_t number);
/* lookup.c: 2 if name is f's full name, 1 if a dot-separated tail of it, else 0. */
int atr__func_name_match(const atr__func *f, const char *name, size_t n);

/* filter.c: internal match with parameter indices resolved for the call's function. */
int atr__filter_bind(const atr_filter *f, const atr_index *ix, uint32_t fn, int32_t **params_out);
int atr__filter_match_bound(const atr_filter *f, const atr_index *ix, uint32_t call,
                            const int32_t *params);

#endif /* ATR_ANALYSIS_ANALYSIS_H */
