/* SPDX-License-Identifier: MIT */
/*
 * argtrace analysis, the index: load logs, describe their files, functions, threads, calls, messages and values, print and parse call ids.
 * Part of atr_analysis.h (which includes every part, with the overview: identifiers, times,
 * memory, threads, return codes).
 */
#ifndef ARGTRACE_ATR_INDEX_H
#define ARGTRACE_ATR_INDEX_H

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
 * Statistics only (on = 1, on an empty index, before the first load): later loads keep the
 * logs' functions, threads and file information but no calls, only what atr_stats_all needs
 * (about 4 bytes per call instead of the call table's 70-80), so logs of 100M calls fit in
 * a few GiB. atr_stats_all then gives what it gives on a full index, the same call ids in
 * slowest_call; every other query sees no calls. It holds for calls that nest on their thread
 * in logs that are not sampled, paused or rotated: a log with SUSPEND/RESUME, SAMPLING or
 * RECORDING, a rotated log's later file, a parent on another thread or in another process (a
 * forked child), a span reference that is not a running call's, or CALIBRATION with
 * compensation on, makes its load return ATR_ESTATE: load the logs into an index without this
 * mode. After a failed load atr_stats_all returns ATR_ESTATE.
 */
ATR_API void atr_index_set_stats_only(atr_index *ix, int on);
/* 1 if the index is statistics-only, else 0. */
ATR_API int atr_index_stats_only(const atr_index *ix);

/*
 * Selective loads (on an empty index, before the first load): later loads keep only the calls
 * of the functions `name` matches as atr_index_find_function matches it (the full name or a
 * dot-separated tail of it), with their arguments and results, and every function, thread
 * and file. Their ids (atr_call_id_format, atr_call_id_parse, atr_file_call) are the numbers
 * the full index gives them; a kept call's parent is its caller when that is kept too, else
 * none; self times count kept children only. For one function's statistics, argument scores
 * and queries (slow, calls) this is the full index's answer in the memory of that function's
 * calls. Messages of kept calls are kept. The same logs as atr_index_set_stats_only decline
 * with ATR_ESTATE. Returns 0, ATR_EINVAL (not empty, already selective), ATR_ENOMEM.
 */
ATR_API int atr_index_set_keep_function(atr_index *ix, const char *name);

/*
 * Selective loads, also (with or without atr_index_set_keep_function): keep the call numbered
 * `number` in the file loaded `file`th (0 for the first; atr_call_id_format's N or FILE:N)
 * and every call under it on its thread, with their messages: the call's tree (self times
 * exact). Returns 0, ATR_EINVAL (not empty, already set), ATR_ENOMEM.
 */
ATR_API int atr_index_set_keep_subtree(atr_index *ix, uint32_t file, uint64_t number);

/*
 * What an earlier selective load of the same one-file log (atr_index_set_keep_function, which
 * read it whole, so its calls nest on their threads) knows of the call whose subtree is kept.
 */
typedef struct atr_subtree_frames {
    uint64_t span;             /* atr_call_span of the call */
    uint64_t start_ns, end_ns; /* its start and end (a finished call) */
    uint64_t t_min;            /* atr_index_info.t_min of that load */
    const uint32_t *threads;   /* atr_thread_view.number of its threads, by thread id */
    uint32_t n_threads;
} atr_subtree_frames;

/*
 * With atr_index_set_keep_subtree: decode only the frames of the log that can hold the
 * subtree (those from the first to the last with the call's thread in [start, end], and the
 * definitions of the others), numbering calls from the START counts of the frame index, so
 * that the index is the one the whole read gives. Needs a one-file 1.3 log with its frame
 * index in the footer: for any other, or when the index disagrees with h (the call's number),
 * the load fails with ATR_ESTATE (load it without this). h is copied. Returns 0, ATR_EINVAL
 * (no subtree set, already set), ATR_ENOMEM.
 */
ATR_API int atr_index_set_subtree_frames(atr_index *ix, const atr_subtree_frames *h);

/* Frames the loads of ix decoded so far (the work atr_index_set_subtree_frames saves). */
ATR_API uint64_t atr_index_frames_read(const atr_index *ix);

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

/*
 * Load logs given as the user names them: each path a log file, a directory (every log in
 * it: names ending in ".atr" or ".atr.<digits>"), or the first file of a rotated log (its
 * later files "<path>.1", "<path>.2"... come with it, also when "<path>" itself was deleted
 * by keep_files). Files of one process (the same PROCESS uid; rotation, docs/FORMAT.md 3.1)
 * are loaded in `part` order as one log: one file id, its calls joined across the files.
 * Logs load in the order of their first file (directories sorted by name). Returns as
 * atr_index_load; a process whose files repeat a part is refused (ATR_EINVAL).
 */
ATR_API int atr_index_load_set(atr_index *ix, const char *const *paths, uint32_t n);

/*
 * The files atr_index_load_set() would load for these paths, in its order (a process's files
 * together, in part order): *out (malloc'd, free with atr_logset_free) holds *n_out paths.
 * A path that names nothing is kept as given (opening it reports why). For tools that read
 * files one by one (a record dump). Returns 0, ATR_EINVAL, ATR_ENOMEM, ATR_EOPEN (errno kept:
 * a directory that cannot be read).
 */
ATR_API int atr_logset_expand(const char *const *paths, uint32_t n, char ***out, uint32_t *n_out);
ATR_API void atr_logset_free(char **paths, uint32_t n);

/* Same, from a caller-owned buffer (tests, fuzzing); `name` is shown in messages. */
ATR_API int atr_index_load_mem(atr_index *ix, const void *data, size_t len, const char *name);

/*
 * One line describing the last failed load, e.g. "app.atr: corrupt log at offset 4096: ...",
 * or "" when none failed. Valid until the next load or atr_index_free(). Never NULL.
 */
ATR_API const char *atr_index_error(const atr_index *ix);

/* File (process) flags, atr_file_info.flags; atr_index_info.flags ORs those of all files. */
#define ATR_FILE_TRUNCATED 0x1u       /* the log ends inside a frame (the tail was lost) */
#define ATR_FILE_UNCLOSED 0x2u        /* no END_OF_LOG: the process was killed or still runs */
#define ATR_FILE_DROPS 0x4u           /* the writer dropped records (see drops_records) */
#define ATR_FILE_UNKNOWN_SPANS 0x8u   /* ENDs/messages/parents naming spans never started */
#define ATR_FILE_COMPENSATED 0x10u    /* times compensated for the tracer's cost (calib_*) */
#define ATR_FILE_DROPS_SEEN 0x20u     /* the log has a DROPS record (drops_* are its totals) */
#define ATR_FILE_SAMPLED 0x40u        /* calls were sampled (sample_rate < 1): counts estimate */
#define ATR_FILE_PAUSED 0x80u         /* recording was paused (RECORDING): calls are missing */
#define ATR_FILE_PARTS_MISSING 0x100u /* a rotated log's earlier files are gone (keep_files) */

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
    uint64_t calib_long_str_ns; /* per str/bytes over 32 bytes, on top of calib_str_ns */
    /* Format 1.2. A rotated log's files: n_parts of them, the first being part first_part
       (0 unless keep_files deleted earlier ones). */
    uint32_t n_parts, first_part;
    /* SAMPLING: the fraction of top-level calls recorded (1 when not sampled); each
       recorded call stands for 1 / sample_rate calls. */
    double sample_rate;
    atr_str sample_mode; /* "count" or "random" ("" when not sampled) */
    /* RECORDING: times recording was paused, and for how long in all (ns; a pause still on
       at the end counts up to t_last). */
    uint64_t n_pauses, paused_ns;
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
    uint64_t self_ns; /* active_ns minus children_ns and adopted_ns, clamped at 0 (summed
                         when asked: O(children)) */
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
    /*
     * The time it spent running other calls' generators and coroutines: their running
     * intervals that ended while their own parents were suspended or over (the part of their
     * active_ns not in their charged_ns), run under this call, beneath them on its thread
     * (it resumed them: a generator made by a call that has returned; an event loop stepping
     * the tasks of a coroutine that awaits). Not in children_ns; taken off self_ns.
     */
    uint64_t adopted_ns;
} atr_call_view;

/* Describe call `call`. Returns 0 or ATR_EINVAL. */
ATR_API int atr_index_call(const atr_index *ix, uint32_t call, atr_call_view *out);

/*
 * The calls whose generator or coroutine steps `call` ran for their own callers (its
 * adopted_ns): their ids into ids[0..n) and the time it ran of each into ns[0..n) (either
 * may be NULL), one entry per call, by id; a call the index does not keep (a selective
 * load's) is ATR_NO_CALL. *n_out: how many there are. Returns 0 or ATR_EINVAL.
 */
ATR_API int atr_call_adopted(const atr_index *ix, uint32_t call, uint32_t *ids, uint64_t *ns,
                             uint32_t n, uint32_t *n_out);

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

#ifdef __cplusplus
}
#endif
#endif /* ARGTRACE_ATR_INDEX_H */
