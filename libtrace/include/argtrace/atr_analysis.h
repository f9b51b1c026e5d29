/* SPDX-License-Identifier: MIT */
/*
 * argtrace analysis: index one or several logs and answer the viewer's questions.
 *
 * An index holds every call of the logs loaded into it: function, thread, process, start,
 * end, duration, self time, parent, children, arguments, result or exception. Several logs
 * (the processes of one program: a parent and its forked children) merge into one view;
 * a forked child's root calls become children of the parent's span that ran the fork.
 *
 * Identifiers are small integers, valid for the life of the index:
 *   - function ids  0 .. n_functions-1   (deduplicated across logs by module+qualname+file)
 *   - call ids      0 .. n_calls-1       (in load order: per file, the order of its STARTs;
 *                                          what people see is the printed id, see
 *                                          "Printed call ids" below)
 *   - thread ids    0 .. n_threads-1     (global: threads of every loaded log)
 *   - file ids      0 .. n_files-1       (one per loaded log = one process)
 *   - message ids   0 .. n_messages-1
 *   - value ids     uint32; two equal values have the same id (hash-consed), so ids can be
 *                   compared for equality. ATR_NO_VALUE means "not captured / absent".
 * ATR_NO_CALL (and the other ATR_NO_* constants) mean "none".
 *
 * Times are integer ns of the logs' session clock (CLOCK_MONOTONIC unless the writer used its
 * own). Logs of one host share that clock, so merged processes line up; logs of different
 * hosts are not realigned.
 *
 * Memory: about 64 bytes per call (a 56-byte record, its span-map and per-function-list
 * entries), plus 4 bytes per captured argument, plus the distinct values (integers of
 * magnitude below 2^30 cost nothing; each distinct string is stored once).
 *
 * Threads: loading needs exclusive use of the index. Once loading is done every function
 * taking a `const atr_index *` may be called from several threads at once. Filters, callsets,
 * argscores, why results and event cursors are used by one thread at a time.
 *
 * Functions return 0 or a negative ATR_E* code; results go through out-parameters. Nothing
 * here prints, exits or aborts.
 */
#ifndef ARGTRACE_ATR_ANALYSIS_H
#define ARGTRACE_ATR_ANALYSIS_H

#include "atr_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ATR_NO_CALL UINT32_MAX
#define ATR_NO_VALUE UINT32_MAX
#define ATR_NO_FUNCTION UINT32_MAX
#define ATR_NO_THREAD UINT32_MAX
#define ATR_NO_FILE UINT32_MAX

typedef struct atr_index atr_index;

/* ------------------------------------------------------------------------------------------
 * Index: open, load, free
 */

/*
 * Progress of a load: `done` and `total` bytes of the file being loaded (total is the file
 * size). Called from inside atr_index_load(), on the loading thread, about every 256 KiB of
 * input and once at the end (done == total). Must not use the index.
 */
typedef void (*atr_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* Create an empty index. On success *out owns it; free with atr_index_free(). ATR_ENOMEM. */
ATR_API int atr_index_open(atr_index **out);

/* Free the index and everything it owns (every pointer it handed out dies). Accepts NULL. */
ATR_API void atr_index_free(atr_index *ix);

/*
 * Memory budget of later loads, in bytes (0: no limit; default ATR_INDEX_MAX_MEMORY_DEFAULT).
 * A load whose index would grow past it stops with ATR_ETOOBIG, the index left as it was,
 * and atr_index_error() says so in one line: a small hostile log that declares millions of
 * calls fails cleanly instead of exhausting the machine's memory. The budget counts the
 * index's tables (atr_index_info.mem_bytes) and what the load derives from them; it is
 * approximate (within a few percent plus up to about 1 MiB).
 */
#define ATR_INDEX_MAX_MEMORY_DEFAULT (UINT64_C(4) << 30)
ATR_API void atr_index_set_max_memory(atr_index *ix, uint64_t bytes);

/* Install (fn non-NULL) or remove (fn NULL) the progress callback of later loads. */
ATR_API void atr_index_set_progress(atr_index *ix, atr_progress_fn fn, void *ctx);

/*
 * Compensation for the tracer's own cost (off by default: on a busy machine and with costly
 * argument captures it was not shown to be within 10%, bench/bench_compensation.py): a log with a
 * CALIBRATION record (docs/FORMAT.md 3.13) says what one traced call costs. Loads after
 * atr_index_set_compensate(ix, 1) subtract it: a call's duration loses its own `inner_ns` and `call_ns` for each traced call
 * under it on its thread, and times move back by the cost accumulated before them on their
 * thread, clamped so that a thread's times never go back (durations stay >= 0 and children stay
 * inside their parents); self times follow from the compensated durations. With 0 the loads
 * keep the recorded times (the default). Logs without CALIBRATION are never changed. Files that were
 * compensated carry ATR_FILE_COMPENSATED.
 */
ATR_API void atr_index_set_compensate(atr_index *ix, int on);

/*
 * Read the log at `path` completely and add its process to the index. Calls are linked to
 * their parents (also across logs already loaded or loaded later: a forked child's log names
 * its parent's uid and span), child lists and per-function call lists are rebuilt.
 *
 * Returns 0 when the log loaded, also when it was truncated (a crash while writing: every
 * complete record is used and the file gets ATR_FILE_TRUNCATED) or not closed (killed,
 * ATR_FILE_UNCLOSED). Unfinished calls (no END) get the duration up to the last time seen in
 * their log and status ATR_CALL_UNFINISHED.
 * Errors: ATR_EOPEN, ATR_EMAGIC, ATR_EVERSION, ATR_ECORRUPT, ATR_ETOOBIG, ATR_ENOMEM,
 * ATR_EINVAL (the same log, by its process uid or by its file, is already in the index), and
 * ATR_ETOOBIG when the index would exceed its limits (2^32-2 calls, 2^31 distinct values,
 * 2^32 argument slots) or its memory budget (atr_index_set_max_memory). On error the index is left as it was before the call and atr_index_error()
 * describes the problem in one line (for corrupt logs: the reader's message).
 */
ATR_API int atr_index_load(atr_index *ix, const char *path);

/* Same, from a caller-owned buffer (tests, fuzzing); `name` is shown in messages. */
ATR_API int atr_index_load_mem(atr_index *ix, const void *data, size_t len, const char *name);

/*
 * One line describing the last failed load, e.g. "app.atr: corrupt log at offset 4096: ...",
 * or "" when none failed. Valid until the next load or atr_index_free(). Never NULL.
 */
ATR_API const char *atr_index_error(const atr_index *ix);

/* File (process) flags, atr_file_info.flags; atr_index_info.flags ORs those of all files. */
#define ATR_FILE_TRUNCATED 0x1u     /* the log ends inside a frame (the tail was lost) */
#define ATR_FILE_UNCLOSED 0x2u      /* no END_OF_LOG: the process was killed or still runs */
#define ATR_FILE_DROPS 0x4u         /* the writer dropped records (see drops_records) */
#define ATR_FILE_UNKNOWN_SPANS 0x8u /* ENDs/messages/parents naming spans never started */
#define ATR_FILE_COMPENSATED 0x10u  /* times compensated for the tracer's cost (calib_*) */
#define ATR_FILE_DROPS_SEEN 0x20u   /* the log has a DROPS record (drops_* are its totals) */

typedef struct atr_index_info {
    uint32_t n_files;
    uint32_t n_functions;
    uint32_t n_threads;
    uint32_t n_values; /* distinct values stored in the value table */
    uint64_t n_calls;
    uint64_t n_messages;
    uint64_t n_unfinished; /* calls without END */
    uint64_t t_min, t_max; /* first and last time seen in any log (ns); 0, 0 when empty */
    uint32_t flags;        /* OR of ATR_FILE_* of every file */
    uint64_t mem_bytes;    /* memory held by the index (approximate) */
} atr_index_info;

/* Counts and flags of the whole index. */
ATR_API void atr_index_get_info(const atr_index *ix, atr_index_info *out);

/* One loaded log = one process. Strings point into the index. */
typedef struct atr_file_info {
    const char *path; /* as given to atr_index_load (or the name of load_mem) */
    uint32_t format_major, format_minor;
    int64_t pid;
    atr_str host, runtime, tool;
    uint32_t argc;
    const atr_str *argv;
    uint64_t clock_ns;        /* session clock when the log was opened */
    uint64_t wall_ns;         /* wall clock at that moment (ns since the epoch) */
    uint64_t uid;             /* random id of this process's log */
    uint64_t parent_uid;      /* forked child: the parent's uid, else 0 */
    uint64_t parent_span;     /* forked child: the parent's span running the fork, else 0 */
    uint32_t parent_file;     /* the parent's file id if that log is loaded, else ATR_NO_FILE */
    uint32_t parent_call;     /* the call of parent_span if loaded, else ATR_NO_CALL */
    uint32_t flags;           /* ATR_FILE_* */
    uint64_t t_last;          /* last time seen in this log (ns) */
    uint64_t n_calls;         /* calls of this file */
    uint64_t n_unknown_spans; /* references to spans this log never started */
    /* The writer's DROPS totals (docs/FORMAT.md 3.10); the last DROPS record wins. */
    uint64_t drops_records, drops_bytes, drops_oversize, drops_capture_errors;
    uint64_t drops_write_errors;
    uint32_t first_call; /* this file's calls are first_call .. first_call + n_calls - 1 */
    /* The log's CALIBRATION (docs/FORMAT.md 3.13; a filter backend's wins over the
       decorator's), all 0 / empty when it has none. */
    atr_str calib_mechanism;
    uint64_t calib_call_ns, calib_inner_ns;
    /* Its per-call model (3.13; all 0: none, calib_call_ns applies to every call). */
    uint64_t calib_base_ns, calib_scalar_ns, calib_str_ns, calib_summary_ns, calib_gen_ns;
    uint64_t calib_resume_ns, calib_raise_ns, calib_slow_ppm, calib_container_ns;
} atr_file_info;

/* Describe file `file`. Returns 0 or ATR_EINVAL (no such file). */
ATR_API int atr_index_file(const atr_index *ix, uint32_t file, atr_file_info *out);

/* ------------------------------------------------------------------------------------------
 * Functions, threads, values
 */

typedef struct atr_function_view {
    atr_str module, qualname, file;
    uint32_t line;
    uint32_t flags; /* ATR_FUNC_* (atr_writer.h): coroutine, generator, action... */
    /*
     * Argument names, the union over every log and call: first the declared parameters
     * (FUNCTION params, in order), then names of START fields (action fields, expanded
     * **kwargs) in order of first appearance. Argument i of a call is named params[i].
     */
    uint32_t n_params;
    uint32_t n_declared; /* params[0 .. n_declared-1] are declared parameters */
    const atr_str *params;
    uint64_t n_calls;
} atr_function_view;

/* Describe function `fn`. Returns 0 or ATR_EINVAL. */
ATR_API int atr_index_function(const atr_index *ix, uint32_t fn, atr_function_view *out);

/*
 * The full name "module.qualname" of `fn` into buf (NUL-terminated, truncated to size).
 * Returns the full length (like snprintf), or 0 for an unknown id. An empty module gives
 * just the qualname.
 */
ATR_API size_t atr_function_name(const atr_index *ix, uint32_t fn, char *buf, size_t size);

/*
 * Find a function by name: "module.qualname" exactly, or a suffix of it that starts at a
 * dot boundary ("qualname", "Class.method", "pkg.mod.f" for "pkg.mod.f"). An exact full-name
 * match wins over suffix matches. Returns:
 *   0              *fn_out set; *n_cands = 0;
 *   ATR_EAMBIGUOUS several functions match: their ids go to cands (up to cap), *n_cands is
 *                  the number of matches (may exceed cap);
 *   ATR_ENOTFOUND  none match: up to cap near names (similar spelling, or containing the
 *                  name) go to cands, closest first, *n_cands their number (may be 0);
 *   ATR_EINVAL     name NULL or empty.
 * cands may be NULL when cap is 0.
 */
ATR_API int atr_index_find_function(const atr_index *ix, const char *name, uint32_t *fn_out,
                                    uint32_t *cands, uint32_t cap, uint32_t *n_cands);

typedef struct atr_thread_view {
    uint32_t file;   /* process */
    uint32_t number; /* thread number inside its log (CHUNK numbering) */
    uint64_t os_tid;
    atr_str name;        /* last name given in the log ("" if none) */
    uint32_t first_root; /* first root call of this thread (start order), or ATR_NO_CALL;
                             the next roots follow through atr_call_view.next_sibling */
    uint64_t n_roots;
    uint64_t n_calls;
} atr_thread_view;

/* Describe thread `thread`. Returns 0 or ATR_EINVAL. */
ATR_API int atr_index_thread(const atr_index *ix, uint32_t thread, atr_thread_view *out);

/*
 * The value behind a value id. Strings and summary items point into the index and live as
 * long as it. Returns 0, or ATR_EINVAL for ATR_NO_VALUE or an unknown id.
 */
ATR_API int atr_index_value(const atr_index *ix, uint32_t value_id, atr_value *out);

/* ------------------------------------------------------------------------------------------
 * Calls
 */

/* Call status (atr_call_view.status). */
#define ATR_CALL_RETURNED 0   /* returned; result is the captured result */
#define ATR_CALL_RAISED 1     /* raised; exc_type and result (the message) are set */
#define ATR_CALL_NORESULT 2   /* returned, result not captured */
#define ATR_CALL_UNFINISHED 3 /* no END in the log: duration runs to the log's last time */

typedef struct atr_call_view {
    uint32_t function;
    uint32_t thread;
    uint32_t file;
    uint32_t parent;       /* ATR_NO_CALL for a root (a forked child's roots have the
                                parent's fork span as parent, in another file) */
    uint32_t first_child;  /* children in start order: first_child, then next_sibling... */
    uint32_t next_sibling; /* next child of the same parent (or next root of the thread) */
    uint64_t start_ns;
    uint64_t end_ns; /* start + duration (for unfinished calls: last time seen) */
    uint64_t duration_ns;
    uint64_t self_ns; /* active_ns minus children_ns, clamped at 0 (summed when asked:
                         O(children)) */
    uint32_t status;  /* ATR_CALL_* */
    uint32_t n_args;  /* argument slots: arg i is named by function params[i] */
    uint32_t result;  /* value id: result (RETURNED) or exception message (RAISED),
                                else ATR_NO_VALUE */
    atr_str exc_type; /* RAISED: the exception type ("ValueError"), else empty */
    /*
     * Active time: the part of the duration the call was running. A generator's or
     * coroutine's span that suspended (format 1.1 SUSPEND/RESUME records) is active from
     * START to its first SUSPEND, from each RESUME to the next SUSPEND, and from the last
     * RESUME to END (unfinished: to the log's last time). Every other call: its duration.
     */
    uint64_t active_ns;
    /*
     * The part of active_ns its parent is charged: all of it, except the running intervals
     * that ended while the parent was suspended or over (an asyncio task's steps while the
     * coroutine that made it awaits; a generator consumed after its maker returned). Such
     * a parent's self time is not reduced by them.
     */
    uint64_t charged_ns;
    /*
     * The time its children in the same process took from it: the sum of their charged_ns.
     * A child's share of this call is child.charged_ns / max(active_ns, children_ns): never
     * over 100% together (children on other threads may exceed active_ns).
     */
    uint64_t children_ns;
} atr_call_view;

/* Describe call `call`. Returns 0 or ATR_EINVAL. */
ATR_API int atr_index_call(const atr_index *ix, uint32_t call, atr_call_view *out);

/*
 * The span id the log gives `call` (unique within its log only: (thread + 1) * 2^40 +
 * sequence number, docs/FORMAT.md 3.5), or 0 for an unknown call.
 */
ATR_API uint64_t atr_call_span(const atr_index *ix, uint32_t call);

/*
 * Value id of argument `i` of `call` (ATR_NO_VALUE when that argument was not captured for
 * this call, or i >= n_args). Returns ATR_NO_VALUE for an unknown call.
 */
ATR_API uint32_t atr_call_arg(const atr_index *ix, uint32_t call, uint32_t i);

/*
 * Children of `call` in start order: up to cap ids into out; *n_out = the number of children
 * (may exceed cap: call again with a larger buffer). Returns 0 or ATR_EINVAL.
 * With call == ATR_NO_CALL, lists nothing (roots are per thread: atr_thread_view).
 */
ATR_API int atr_call_children(const atr_index *ix, uint32_t call, uint32_t *out, uint32_t cap,
                              uint32_t *n_out);

/*
 * Messages logged inside `call`, in time order: up to cap message ids into out; *n_out = how
 * many there are. Returns 0 or ATR_EINVAL.
 */
ATR_API int atr_call_messages(const atr_index *ix, uint32_t call, uint32_t *out, uint32_t cap,
                              uint32_t *n_out);

typedef struct atr_message_view {
    uint32_t call; /* the span it was logged in, or ATR_NO_CALL */
    uint32_t thread;
    uint64_t time_ns;
    atr_str text;
    uint32_t n_fields; /* read them with atr_message_field() */
} atr_message_view;

/* Describe message `msg`. Returns 0 or ATR_EINVAL. */
ATR_API int atr_index_message(const atr_index *ix, uint32_t msg, atr_message_view *out);

/* Field `i` of message `msg`: its name and value id. Returns 0 or ATR_EINVAL. */
ATR_API int atr_message_field(const atr_index *ix, uint32_t msg, uint32_t i, atr_str *name,
                              uint32_t *value_id);

/* ------------------------------------------------------------------------------------------
 * Printed call ids
 *
 * What the viewer prints (calls, tree, slow, every --json output, the exports, the TUI) and
 * accepts back, and what Python's Call.id is: a call's number within its own log — the
 * position of its START among that log's STARTs, 0, 1, 2... — the same whichever logs are
 * loaded with it. With one log loaded that is the whole id, "253" (equal to the call id);
 * with several it is prefixed by the log's file id (its position among the loaded logs):
 * "1:253". In JSON the one-log form is a number, the several-log form a string.
 */

/* Bytes of the longest printed id, with its NUL ("4294967295:4294967295"). */
#define ATR_CALL_ID_SIZE 24

/*
 * The printed id of `call` into buf (NUL-terminated, truncated to size). Returns its
 * length (like snprintf), or 0 for an unknown call.
 */
ATR_API size_t atr_call_id_format(const atr_index *ix, uint32_t call, char *buf, size_t size);

/*
 * The call a printed id names: "N" (only while one log is loaded) or "FILE:N" (always),
 * decimal digits without signs or spaces. Returns 0 (*call set), ATR_ESYNTAX (not an id),
 * ATR_EAMBIGUOUS ("N" while several logs are loaded), ATR_ENOTFOUND (no such call).
 */
ATR_API int atr_call_id_parse(const atr_index *ix, const char *text, uint32_t *call);

/* The call numbered `number` in file `file`, or ATR_NO_CALL. */
ATR_API uint32_t atr_file_call(const atr_index *ix, uint32_t file, uint64_t number);

/* ------------------------------------------------------------------------------------------
 * Filters on calls
 *
 * A filter is one or more conditions, all of which must hold. Conditions are separated by
 * whitespace or commas; spaces around operators are allowed ("n > 5, mode=fast").
 *
 *   NAME OP VALUE     argument NAME (a parameter or a field) compared with VALUE.
 *                     OP: = != > < >= <=. VALUE: a number (123, -4.5, 1e6, 0x1f), a quoted
 *                     string ("a b", 'x', with \" \\ \n \t \xHH escapes), None, True, False
 *                     (or true, false: these match bool arguments), or a bare word (strict) taken as a string.
 *                     Numbers compare numerically with int/float/bool arguments; strings
 *                     compare bytewise (lexicographically) with str/bytes/repr arguments;
 *                     a bare word that looks like a number compares with both kinds.
 *                     A comparison between different kinds is false (!= is true), and every
 *                     condition on an argument the call did not capture is false.
 *   len(NAME) OP N    true length of a str/bytes argument, or a summary's (container's)
 *                     length; false for other kinds and unknown lengths.
 *   type(NAME) OP T   the argument's type: int, float, bool, None, str, bytes, or a
 *                     summary's type name (list, dict, numpy.ndarray...); = and != only.
 *   duration OP T     T a time with unit ns, us, µs, ms, s, e.g. 10ms, 1.5s; a bare number
 *                     other than 0 is a syntax error ("a duration needs a unit").
 *   self OP T         self time, same units.
 *   exception         the call raised; exception=ValueError / exception!=ValueError
 *                     compare the type name (also matches a module-qualified type whose last
 *                     component is the name). !exception: the call did not raise.
 *   result OP VALUE   the captured result (calls that returned one).
 *   unfinished        calls without END; !unfinished the others.
 *   arg.NAME          the argument NAME even when it is one of the words above.
 */
typedef struct atr_filter atr_filter;

/*
 * Parse `expr` into a new filter (*out; free with atr_filter_free). An empty or all-blank
 * expr gives a filter that matches every call. On ATR_ESYNTAX, err (if non-NULL) receives a
 * one-line message naming the column and what was expected, e.g.
 * "column 3: expected a value after '>'". Returns 0, ATR_ESYNTAX, ATR_ENOMEM, ATR_EINVAL.
 * Independent of any index: the same filter can be used on several.
 */
ATR_API int atr_filter_parse(const char *expr, atr_filter **out, char *err, size_t err_size);

/*
 * Add the conditions of `expr` to an existing filter (AND). Same errors as
 * atr_filter_parse(); on error the filter is unchanged. Use it for several command-line words.
 */
ATR_API int atr_filter_add(atr_filter *f, const char *expr, char *err, size_t err_size);

/* Free a filter. Accepts NULL. */
ATR_API void atr_filter_free(atr_filter *f);

/*
 * Check that every argument name the filter uses exists for function `fn`. Returns 0, or
 * ATR_ENOTFOUND with a one-line message in err, e.g. "no argument 'x' in app.f (arguments:
 * n, mode)". Optional: the filter works without it (unknown names never match).
 */
ATR_API int atr_filter_check(const atr_filter *f, const atr_index *ix, uint32_t fn, char *err,
                             size_t err_size);

/* 1 if `call` matches `f` (a NULL filter matches everything), 0 if not. */
ATR_API int atr_filter_match(const atr_filter *f, const atr_index *ix, uint32_t call);

/* ------------------------------------------------------------------------------------------
 * Queries: lists of calls
 */

#define ATR_ALL_FUNCTIONS UINT32_MAX

/* Orders of a query's result. */
typedef enum atr_sort {
    ATR_SORT_START = 0,    /* start time ascending (ties: call id) */
    ATR_SORT_DURATION = 1, /* duration descending: slowest first (ties: start) */
    ATR_SORT_SELF = 2,     /* self time descending */
    ATR_SORT_FASTEST = 3   /* duration ascending */
} atr_sort;

typedef struct atr_query {
    size_t size;              /* sizeof(atr_query), set by atr_query_init */
    uint32_t function;        /* a function id or ATR_ALL_FUNCTIONS (default) */
    uint32_t thread;          /* a thread id or ATR_NO_THREAD for all (default) */
    const atr_filter *filter; /* NULL (default): every call */
    int sort;                 /* atr_sort; default ATR_SORT_START */
    uint64_t offset;          /* skip this many calls of the sorted result; default 0 */
    uint64_t limit;           /* at most this many; 0 (default): no limit */
} atr_query;

/* Fill *q with defaults. */
ATR_API void atr_query_init(atr_query *q);

/* The result of a query: call ids in the requested order. */
typedef struct atr_callset atr_callset;

/*
 * Run query `q`. On success *out owns the result. "The Nth slowest call matching f" is
 * sort = ATR_SORT_DURATION, offset = N, limit = 1. Top-k queries (with a limit) do not sort
 * every match. Returns 0, ATR_EINVAL (bad function/thread id or sort), ATR_ENOMEM.
 */
ATR_API int atr_query_run(const atr_index *ix, const atr_query *q, atr_callset **out);

/* Number of call ids in the set (after offset and limit). */
ATR_API uint64_t atr_callset_count(const atr_callset *cs);
/* How many calls matched before offset and limit were applied. */
ATR_API uint64_t atr_callset_matched(const atr_callset *cs);
/* The i-th call id, or ATR_NO_CALL if i is out of range. */
ATR_API uint32_t atr_callset_get(const atr_callset *cs, uint64_t i);
/* All ids as an array of atr_callset_count() entries (valid until the set is freed). */
ATR_API const uint32_t *atr_callset_ids(const atr_callset *cs);
/* Free a callset. Accepts NULL. */
ATR_API void atr_callset_free(atr_callset *cs);

/* ------------------------------------------------------------------------------------------
 * Per-function statistics
 */

typedef struct atr_stats {
    uint64_t count;    /* matching calls, finished or not */
    uint64_t finished; /* of which finished (RETURNED, RAISED, NORESULT) */
    uint64_t unfinished;
    uint64_t raised;   /* calls that raised */
    uint64_t total_ns; /* sum of durations (unfinished calls: up to the last time seen) */
    uint64_t self_ns;  /* sum of self times */
    /*
     * Over finished calls only (or over all calls when none finished): exact nearest-rank
     * percentiles, the smallest active time d such that at least p% of the calls ran <= d
     * (a call's active time is its duration unless it suspended: atr_call_view.active_ns).
     */
    uint64_t min_ns, p50_ns, p95_ns, p99_ns, max_ns;
    double mean_ns;        /* active_ns / count */
    uint32_t slowest_call; /* the call with max_ns, or ATR_NO_CALL */
    uint64_t active_ns;    /* sum of active times (equals total_ns unless calls suspended) */
} atr_stats;

/*
 * Statistics of function fn's calls that match `filter` (NULL: all). fn may be
 * ATR_ALL_FUNCTIONS. All zeros (slowest_call ATR_NO_CALL) when nothing matches.
 * Time O(calls of fn); allocates a temporary array of their durations.
 * Returns 0, ATR_EINVAL, ATR_ENOMEM.
 */
ATR_API int atr_stats_function(const atr_index *ix, uint32_t fn, const atr_filter *filter,
                               atr_stats *out);

/*
 * Statistics of every function at once: out must have room for n_functions entries
 * (atr_index_get_info), out[fn] gets fn's statistics. Faster than looping over
 * atr_stats_function. Returns 0, ATR_ENOMEM.
 */
ATR_API int atr_stats_all(const atr_index *ix, atr_stats *out, uint32_t n_out);

/* ------------------------------------------------------------------------------------------
 * Per-argument analysis: which argument explains the duration?
 *
 * For one function (and optional filter), each argument's values split the calls into
 * groups: exact values when there are at most 12 distinct ones, otherwise buckets — numeric
 * ranges, str/bytes by length, summaries (containers) by length when they are of one type,
 * mixed types by type. Ranges follow the keys' natural clusters on a log scale (optimal 1-d
 * classification, at most 10 buckets: sizes around 200, 400, 800, 3200 and 6400 give five
 * groups); their labels are rounded outward to 2 significant digits ("len 3100–3300"), their
 * filters are exact. Missing values form a group "(not captured)". A **kwargs entry is
 * analysed as an argument of its own, named after its keyword ("(not passed)" when a call
 * lacks it); the **kwargs parameter itself is left out when it never holds a value.
 *
 * The score in [0, 1] says how much of the variation of log(time) the key explains, the
 * best of:
 *   - grouping, computed leave-one-out: each call's log-time is predicted by the mean of the
 *     OTHER calls of its group (a call alone in its group: by the overall mean), and
 *     score = max(0, 1 - SSE / SST); with exact values (while at most 65536 distinct) and
 *     with the buckets. A key unique per call (request ids) scores about 0, however many
 *     values it has; one that decides the time scores close to 1.
 *   - for ordered keys (numbers, lengths, item counts), the trend: the adjusted R^2 of
 *     log(time) fitted by a + b * log(1 + key), 1 - (1 - R^2) (N - 1) / (N - P) with P
 *     parameters. It gives few calls with distinct keys a score (three inputs of lengths
 *     200, 400, 800 taking 80 us, 200 us, 2 ms: about 0.9, where leave-one-out says 0), and
 *     keys unrelated to the time still score about 0.
 * The time is the active time (the duration unless the call suspended). Unfinished calls are
 * left out (their durations are not known).
 */

typedef struct atr_argscore atr_argscore;

/* Flags of atr_argscore_compute. */
#define ATR_ARGSCORE_RESULT \
    0x1u /* also analyse the result ("return") and the exception
                                       type ("exception") as if they were arguments */

/*
 * Analyse the calls of `fn` matching `filter` (NULL: all). On success *out owns the result.
 * Returns 0, ATR_EINVAL (bad fn), ATR_ENOMEM. A function without matching calls gives a
 * result listing its arguments with score 0 and no groups.
 */
ATR_API int atr_argscore_compute(const atr_index *ix, uint32_t fn, const atr_filter *filter,
                                 uint32_t flags, atr_argscore **out);

/* Free a result. Accepts NULL. */
ATR_API void atr_argscore_free(atr_argscore *s);

/* Number of calls analysed (finished, matching). */
ATR_API uint64_t atr_argscore_calls(const atr_argscore *s);

/*
 * Number of histogram bins (ATR_HIST_BINS) and their edges: 8 log-scale duration bins
 * shared by every group of this result; bin k holds durations in [edges[k], edges[k+1])
 * (the last bin includes edges[8]). edges must have room for ATR_HIST_BINS + 1 values.
 */
#define ATR_HIST_BINS 8
ATR_API void atr_argscore_hist_edges(const atr_argscore *s, uint64_t *edges);

/* How an argument's groups were formed. */
#define ATR_GROUP_EXACT 0  /* one group per distinct value */
#define ATR_GROUP_RANGE 1  /* numeric ranges of the value */
#define ATR_GROUP_LENGTH 2 /* ranges of the length (str, bytes, summaries) */
#define ATR_GROUP_TYPE 3   /* one group per type */

typedef struct atr_arg_score {
    atr_str name;         /* parameter or field name; "return" / "exception" with
                               ATR_ARGSCORE_RESULT */
    int32_t param;        /* index into the function's params, -1 return, -2 exception,
                             -3 a caller's key (atr_argscore_compute_custom) */
    double score;         /* in [0, 1]: max(score_exact, score_grouped) */
    double score_exact;   /* with one group per distinct value (0 if not computed) */
    double score_grouped; /* with the buckets shown (equal to score_exact if exact) */
    uint32_t mode;        /* ATR_GROUP_* of the groups shown */
    uint64_t n_distinct;  /* distinct values (saturates at 65537: "more than 65536") */
    uint64_t n_captured;  /* calls where the argument was captured */
    uint32_t n_groups;
    double score_trend; /* ordered keys: adjusted R^2 of log(time) on log(key), else 0 */
} atr_arg_score;

/* Number of arguments analysed; they are sorted by score, highest first. */
ATR_API uint32_t atr_argscore_count(const atr_argscore *s);

/* Argument `i` (0 = best). Strings live as long as s. Returns 0 or ATR_EINVAL. */
ATR_API int atr_argscore_arg(const atr_argscore *s, uint32_t i, atr_arg_score *out);

typedef struct atr_arg_group {
    const char *label;  /* "strict", "1000–9999", "len 190–210", "list len 0–9", "None",
                               "(not captured)", "(not passed)" (a **kwargs keyword absent),
                               "len 200" / "items 3" (derived keys), "A, B" (pairs); a str
                               longer than 30 bytes: its distinguishing excerpt and length,
                               "SELECT…a.region = 3 ORDER… (len 121)" (whitespace runs read
                               as one space). NUL-terminated UTF-8 (with "–", U+2013, and
                               "…"), control characters escaped. Lives as long as s. */
    uint32_t value;     /* ATR_GROUP_EXACT of an argument: the value id, else ATR_NO_VALUE
                               (ranges, derived keys, pairs, caller keys) */
    const char *filter; /* a filter expression selecting exactly this group's calls
                               (for atr_filter_parse), e.g. "n>=1000 n<=9999"; "" if none
                               can be written (e.g. "(not captured)") */
    uint64_t calls;
    uint64_t total_ns, p50_ns, p95_ns, max_ns;
    uint32_t slowest_call;        /* the group's slowest call */
    uint32_t hist[ATR_HIST_BINS]; /* calls per duration bin (atr_argscore_hist_edges) */
} atr_arg_group;

/*
 * Group `g` of argument `i`; groups are sorted by p50, slowest first (ties: more calls first).
 * Returns 0 or ATR_EINVAL.
 */
ATR_API int atr_argscore_group(const atr_argscore *s, uint32_t i, uint32_t g, atr_arg_group *out);

/*
 * Analyse keys written as expressions instead of every argument (`argtrace slow --by`). Each
 * of keys[0..n_keys) is one of:
 *   NAME         the argument NAME (a parameter, or a **kwargs keyword), as above;
 *   len(NAME)    its length: characters of a str, bytes of bytes, the len() of a container
 *                (as the tracer recorded it, however many items it captured); values
 *                without a length group by type, missing ones form "(no length)";
 *   type(NAME)   its type name (int, str, NoneType is "None", a container's class name);
 *   NAME.items   the number of items of a container: list/tuple/set elements, dict entries
 *                (its len()); only containers count — strs and other values form
 *                "(not a container)";
 *   KEY,KEY      the interaction of two of the above: one group per pair of their groups
 *                (each key grouped as alone: exact values or ranges), labelled "A, B",
 *                scored like any key (so it shows whether the pair explains more than each).
 * Spaces around names are allowed. The result lists one entry per key (named as normalised:
 * "len(sql)", "len(sql),reindent"; param = the (first) argument's index), best first.
 * Returns 0, ATR_EINVAL, ATR_ENOMEM, ATR_ESYNTAX (bad expression) or ATR_ENOTFOUND (no
 * such argument); on error `err` (if non-NULL) gets a one-line message.
 */
ATR_API int atr_argscore_compute_keys(const atr_index *ix, uint32_t fn, const atr_filter *filter,
                                      const char *const *keys, uint32_t n_keys, atr_argscore **out,
                                      char *err, size_t err_size);

/*
 * Score a key computed by the caller (a Python key function): calls[0..n) (call ids;
 * unfinished ones are left out), tokens[i] the group of calls[i] (< n_labels) or
 * ATR_NO_VALUE (no key: group "(no key)"), labels[t] the label of group t (copied).
 * num (optional, NULL: none): a number per call (NAN: not a number); when given, the
 * key is ordered — ranges and the trend score as for a numeric argument. The result has one
 * entry named `name`, param -3, groups without filters. Returns 0, ATR_EINVAL, ATR_ENOMEM.
 */
ATR_API int atr_argscore_compute_custom(const atr_index *ix, const char *name,
                                        const uint32_t *calls, uint64_t n, const uint32_t *tokens,
                                        const double *num, const char *const *labels,
                                        uint32_t n_labels, atr_argscore **out);

/* ------------------------------------------------------------------------------------------
 * Diff of two runs: what got slower or faster, per function and per argument group
 *
 * Load the base run's logs first, then the new run's, into one index (the same log on both
 * sides is refused by atr_index_load); n_base_files says where the new run starts. Functions
 * are matched across the runs by their full name "module.qualname" (a function whose file
 * moved is still the same function); functions found in one run only have 0 calls on the
 * other side.
 *
 * Only finished calls matching the filter count (an unfinished call's duration is not
 * known). For each function and side: calls, total, p50 and p95 (nearest rank, as
 * atr_stats). added_ns = new total - base total: the time the function added to (positive)
 * or saved from (negative) the run, counting both slower calls and more calls. Functions are
 * sorted by |added_ns|, largest first (ties: name).
 *
 * Significance: Mann-Whitney U rank test of the two sides' durations (two-sided, normal
 * approximation with continuity and tie corrections). A change is significant when both
 * sides have at least min_calls calls and p < alpha.
 *
 * Argument groups: for each argument, the calls of BOTH runs are grouped together as
 * atr_argscore_compute() groups them (same values, same bucket boundaries on both sides),
 * then each group is split by run and compared like a function. Arguments keep argscore's
 * order (the one explaining most of the duration's variation over both runs first); groups
 * are sorted by |added_ns| like functions.
 */

#define ATR_DIFF_BASE 0 /* index of the base run in atr_diff_stat.side */
#define ATR_DIFF_NEW 1  /* index of the new run */

typedef struct atr_diff_config {
    size_t size;              /* sizeof(atr_diff_config), set by atr_diff_config_init */
    uint32_t n_base_files;    /* files 0 .. n_base_files-1 are the base run; the rest new */
    uint32_t function;        /* a function id (every function of its full name is
                                  compared), or ATR_ALL_FUNCTIONS (default) */
    const atr_filter *filter; /* NULL (default): every call */
    uint64_t min_calls;       /* calls each side needs for significance; default 10 */
    double alpha;             /* significance level; default 0.01 */
    int arguments;            /* 1 (default): compare argument groups; 0: functions only */
} atr_diff_config;

/* Fill *c with defaults. */
ATR_API void atr_diff_config_init(atr_diff_config *c);

/* One run's figures (only finished calls matching the filter). */
typedef struct atr_diff_side {
    uint64_t calls;
    uint64_t total_ns;
    uint64_t p50_ns, p95_ns; /* 0 without calls */
} atr_diff_side;

/* A comparison of the two runs (of a function, or of one argument group). */
typedef struct atr_diff_stat {
    atr_diff_side side[2]; /* [ATR_DIFF_BASE], [ATR_DIFF_NEW] */
    int64_t added_ns;      /* new total_ns - base total_ns */
    double ratio_p50;      /* new p50 / base p50; NAN when a side has no calls or base p50
                              is 0 (INFINITY when only base p50 is 0) */
    double ratio_p95;      /* the same for p95 */
    double p_value;        /* two-sided rank test; NAN when a side has no calls */
    int significant;       /* both sides >= min_calls and p_value < alpha */
} atr_diff_stat;

typedef struct atr_diff atr_diff;

/*
 * Compare the runs. On success *out owns the result. Returns 0, ATR_EINVAL (n_base_files
 * beyond the loaded files, bad function id, alpha not in (0, 1)), ATR_ENOMEM.
 * Time O(n log n) in the calls compared, times the number of arguments.
 */
ATR_API int atr_diff_compute(const atr_index *ix, const atr_diff_config *c, atr_diff **out);

/* Free a result. Accepts NULL. */
ATR_API void atr_diff_free(atr_diff *d);

/* Number of functions compared (sorted by |added_ns|, largest first). */
ATR_API uint32_t atr_diff_count(const atr_diff *d);

typedef struct atr_diff_function {
    const char *name;  /* "module.qualname", NUL-terminated; lives as long as d */
    uint32_t function; /* a function id of that name (the first loaded) */
    atr_diff_stat stat;
    uint32_t n_args; /* arguments compared (0 when config.arguments was 0) */
} atr_diff_function;

/* Function `i`. Returns 0 or ATR_EINVAL. */
ATR_API int atr_diff_function_get(const atr_diff *d, uint32_t i, atr_diff_function *out);

/*
 * Argument `a` of function `i`: its name, grouping (atr_arg_score over both runs; n_groups
 * its number of groups). Returns 0 or ATR_EINVAL.
 */
ATR_API int atr_diff_arg(const atr_diff *d, uint32_t i, uint32_t a, atr_arg_score *out);

typedef struct atr_diff_group {
    const char *label;  /* as atr_arg_group.label; lives as long as d */
    uint32_t value;     /* exact groups: the value id, else ATR_NO_VALUE */
    const char *filter; /* as atr_arg_group.filter */
    atr_diff_stat stat;
} atr_diff_group;

/* Group `g` of argument `a` of function `i` (sorted by |added_ns|). Returns 0 or ATR_EINVAL. */
ATR_API int atr_diff_group_get(const atr_diff *d, uint32_t i, uint32_t a, uint32_t g,
                               atr_diff_group *out);

/* ------------------------------------------------------------------------------------------
 * Why was this call slow? One call against the typical calls of its function.
 *
 * The baseline is the other finished calls of the call's function (never the call itself,
 * never unfinished calls), narrowed to one argument group when an argument explains the
 * duration: the per-argument analysis (atr_argscore_compute, over every call of the
 * function) is consulted best score first, and the first argument scoring at least
 * ATR_WHY_MIN_SCORE whose group holding the call has at least ATR_WHY_MIN_BASELINE other
 * finished calls gives the baseline ("the other mode='strict' calls"). Otherwise the baseline
 * is every other finished call of the function.
 *
 * "Typical" is always the median (nearest rank, p50) over the baseline calls:
 *   - the duration and the self time;
 *   - per child function: the total duration of its direct children per baseline call (a
 *     call that made none counts 0), and the number of such children per call.
 * The extra time of a child function is its total under the call minus that median, of the
 * self time the call's self minus the median self. Medians do not add up: the extras need
 * not sum to duration - p50. Children are those in the call's process (what self time
 * subtracts).
 *
 * Arguments: the call's value, its group among all the function's calls (as
 * atr_argscore_group shows them), its peers (the baseline calls in that same group), whether
 * the group is slow, and the typical value over the baseline: the group holding most
 * baseline calls and, for numeric arguments, the median value. A group is slow when it has
 * at least 3 calls and a p50 of at least twice the function's p50, or when at least 3 peers
 * have a p50 of at least twice the baseline's (slow within the baseline: with large `rows`
 * as the baseline, mode='strict' calls among them).
 *
 * Times in ns; durations are active times and a child's time is what it is charged to its
 * parent, as self time counts them (a generator's or coroutine's suspended time left out).
 * Everything a result points to (labels, filters, names) lives as long as it.
 */
typedef struct atr_why atr_why;

#define ATR_WHY_MIN_SCORE 0.5   /* an argument "explains" the duration from this score on */
#define ATR_WHY_MIN_BASELINE 3u /* fewest other calls for a group baseline */

/*
 * Analyse call `call` (any call, finished or not). On success *out owns the result (free
 * with atr_why_free). Returns 0, ATR_EINVAL (no such call), ATR_ENOMEM. A call without
 * other finished calls of its function gives baseline_calls 0 and typical values 0.
 */
ATR_API int atr_why_compute(const atr_index *ix, uint32_t call, atr_why **out);

/* Free a result. Accepts NULL. */
ATR_API void atr_why_free(atr_why *w);

typedef struct atr_why_summary {
    uint32_t call, function;
    uint64_t duration_ns, self_ns; /* of the call */
    uint64_t baseline_calls;       /* 0: nothing to compare with */
    uint64_t baseline_p50_ns;      /* median duration of the baseline */
    uint64_t typical_self_ns;      /* median self time of the baseline */
    int64_t extra_ns;              /* duration_ns - baseline_p50_ns */
    int64_t self_extra_ns;         /* self_ns - typical_self_ns */
    uint64_t function_calls;       /* finished calls of the function (the call included) */
    uint64_t function_p50_ns;      /* their median duration */
    /* The group baseline, when by_group: the argument, its score, the group. */
    int by_group;
    atr_str group_arg;        /* the argument's name (empty when !by_group) */
    double group_score;       /* its score */
    const char *group_label;  /* the group's label (atr_arg_group.label), "" when !by_group */
    const char *group_filter; /* a filter selecting the group's calls, "" if none */
    uint32_t group_value;     /* exact groups: the value id, else ATR_NO_VALUE */
    uint64_t group_p50_ns;    /* the group's p50 over all its calls (the call included) */
    uint32_t n_children;      /* rows for atr_why_get_child */
    uint32_t n_args;          /* rows for atr_why_get_arg */
} atr_why_summary;

/* The summary of a result. */
ATR_API void atr_why_get_summary(const atr_why *w, atr_why_summary *out);

typedef struct atr_why_child {
    uint32_t function;
    uint64_t calls;         /* direct children of this function under the call */
    uint64_t duration_ns;   /* their total duration */
    uint64_t typical_calls; /* median number of them per baseline call */
    uint64_t typical_ns;    /* median total duration of them per baseline call */
    int64_t extra_ns;       /* duration_ns - typical_ns */
    uint32_t slowest_call;  /* the slowest of them under the call (ATR_NO_CALL if none) */
} atr_why_child;

/*
 * Child function row `i`: every function the call called directly, and every one the
 * typical baseline call calls (typical_calls > 0), sorted by extra_ns descending (ties:
 * function id). Returns 0 or ATR_EINVAL.
 */
ATR_API int atr_why_get_child(const atr_why *w, uint32_t i, atr_why_child *out);

typedef struct atr_why_arg {
    atr_str name;         /* parameter or field name */
    uint32_t param;       /* index into the function's params */
    uint32_t value;       /* the call's value id, ATR_NO_VALUE: not captured */
    double score;         /* the argument's score over all the function's calls */
    const char *group;    /* label of the call's group, NULL if it is in none */
    uint32_t group_value; /* exact groups: its value id, else ATR_NO_VALUE */
    uint64_t group_calls, group_p50_ns;
    uint64_t peer_calls;     /* baseline calls in the call's group */
    uint64_t peer_p50_ns;    /* their median duration (0 if none) */
    int slow_group;          /* the call's group is slow (see above) */
    const char *typical;     /* label of the group holding most baseline calls, or NULL */
    uint32_t typical_value;  /* exact groups: its value id, else ATR_NO_VALUE */
    uint64_t typical_calls;  /* baseline calls in that group */
    uint64_t typical_p50_ns; /* that group's p50 over all the function's calls */
    int has_median;          /* numeric argument: median is set */
    double median;           /* median value over the baseline calls that captured it */
    int differs;             /* the call's group is not the typical group */
} atr_why_arg;

/*
 * Argument `i` in the order of the function's parameters. Returns 0 or ATR_EINVAL.
 */
ATR_API int atr_why_get_arg(const atr_why *w, uint32_t i, atr_why_arg *out);

/* ------------------------------------------------------------------------------------------
 * Events in time order (replay)
 */

#define ATR_EVENT_START 1   /* a call starts (time = its start) */
#define ATR_EVENT_END 2     /* a finished call ends (unfinished calls have no END event) */
#define ATR_EVENT_MESSAGE 3 /* a message (call = its span or ATR_NO_CALL) */

typedef struct atr_event {
    uint32_t kind;    /* ATR_EVENT_* */
    uint32_t call;    /* the call, or for messages the enclosing call (ATR_NO_CALL: none) */
    uint32_t message; /* ATR_EVENT_MESSAGE: the message id, else UINT32_MAX */
    uint32_t thread;
    uint64_t time_ns;
} atr_event;

/*
 * A cursor over every START, END and MESSAGE of the index in time order, positioned before
 * the first event. At equal times: ends of calls that started earlier, then starts (parents
 * before children), then messages, then ends of calls that started at that same time
 * (children before parents). Opening orders the calls: 4 bytes per event (starts, ends of
 * finished calls, messages), O(n log threads + n log concurrency); seek costs at most 1024
 * steps. Returns 0, ATR_ENOMEM.
 */
typedef struct atr_events atr_events;
ATR_API int atr_events_open(const atr_index *ix, atr_events **out);

/* Free a cursor. Accepts NULL. */
ATR_API void atr_events_close(atr_events *ev);

/* Number of events in total. */
ATR_API uint64_t atr_events_count(const atr_events *ev);

/* Move to position `pos` (0 .. count): the next atr_events_next returns event `pos`. */
ATR_API void atr_events_seek(atr_events *ev, uint64_t pos);

/* Position of the first event at or after `time_ns` (count if none). */
ATR_API uint64_t atr_events_find_time(const atr_events *ev, uint64_t time_ns);

/* Current position (index of the event the next atr_events_next returns). */
ATR_API uint64_t atr_events_tell(const atr_events *ev);

/* Read the event at the current position and advance. Returns 0, or ATR_EOF at the end. */
ATR_API int atr_events_next(atr_events *ev, atr_event *out);

/* Step back one position and read that event. Returns 0, or ATR_EOF at the beginning. */
ATR_API int atr_events_prev(atr_events *ev, atr_event *out);

#ifdef __cplusplus
}
#endif
#endif /* ARGTRACE_ATR_ANALYSIS_H */
