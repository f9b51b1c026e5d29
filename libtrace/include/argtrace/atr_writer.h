/* SPDX-License-Identifier: MIT */
/*
 * argtrace writer: record spans, messages and definitions into a .atr log.
 *
 * A session owns one log file. Each thread that records gets its own buffer (no lock on the
 * hot path); a background flusher thread compresses filled and aged buffers into independent
 * zstd frames and appends them to the file (docs/FORMAT.md). Memory stays bounded: when the
 * flusher falls behind, producers wait (default) or drop and count (opt-in). A wait is
 * bounded (block_timeout_ms, then the record is dropped and counted, and later records drop
 * at once until the flusher makes progress again), and the embedder can release its own
 * locks around it (block_begin/block_end: the Python binding releases the GIL).
 *
 * Threads: every function may be called from any thread unless its comment says otherwise.
 * The writer never prints, exits or aborts; on failure it returns a negative ATR_E* code.
 * Hot-path calls that cannot record drop the event and count it; the counts end in the log.
 */
#ifndef ARGTRACE_ATR_WRITER_H
#define ARGTRACE_ATR_WRITER_H

#include "atr_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct atr_session atr_session;

/* Time in ns from a clock supplied by the embedding program (tests inject exact clocks). */
typedef uint64_t (*atr_clock_fn)(void *ctx);

/*
 * Pass as the time argument of the span/message calls to read the session clock. Explicit
 * times must be below 2^63 ns (ATR_EINVAL otherwise).
 */
#define ATR_NOW UINT64_MAX

/* What a forked child does with the session it inherited. */
typedef enum atr_fork_mode {
    ATR_FORK_FOLLOW = 0, /* the child writes its own log "<path stem>.<pid>.atr", linked to the
                            parent's log and the span running the fork */
    ATR_FORK_STOP = 1    /* the child records nothing (recording calls return ATR_ESTATE) */
} atr_fork_mode;

/*
 * Where a session reads its time (ATR_NOW, atr_session_now()): always CLOCK_MONOTONIC
 * nanoseconds, read either by clock_gettime() or, where that is safe, through the CPU's
 * time-stamp counter calibrated against it (about 2x cheaper; docs/FORMAT.md 3.1), rounded
 * down to a multiple of 16 ns (FORMAT.md 3.1 `time_quantum_ns`: smaller logs).
 *
 * The environment variable ARGTRACE_CLOCK, read when a session opens, overrides
 * atr_writer_config.clock_source: "auto", "tsc" or "monotonic" (empty: not set). Any other
 * value selects ATR_CLOCK_MONOTONIC, the clock that is always right. An injected clock
 * (atr_writer_config.clock) wins over both.
 */
typedef enum atr_clock_source {
    ATR_CLOCK_AUTO = 0,      /* the TSC on x86-64 when the CPU has an invariant TSC and the
                                kernel's clocksource is "tsc" (the kernel found it synchronised
                                across CPUs), else clock_gettime(CLOCK_MONOTONIC) */
    ATR_CLOCK_MONOTONIC = 1, /* clock_gettime(CLOCK_MONOTONIC) at every reading */
    ATR_CLOCK_TSC = 2,       /* the TSC whenever the CPU has an invariant one, whatever the
                                kernel's clocksource (you vouch that the CPUs agree); else
                                clock_gettime */
    ATR_CLOCK_INJECTED = 3   /* reported by atr_session_clock_source(): cfg.clock is used */
} atr_clock_source;

/*
 * Session configuration. Fill with atr_writer_config_init() and change what you need; new
 * fields are only ever appended and get defaults from the init function.
 */
typedef struct atr_writer_config {
    size_t size;                /* sizeof(atr_writer_config), set by init */
    const char *path;           /* log file to create or truncate (mode 0600); required */
    uint32_t flush_interval_ms; /* aged data is flushed at least this often; default 100
                                   (1 .. 3,600,000) */
    size_t buffer_size;         /* bytes per thread buffer; default 128 KiB, 4 KiB .. 4 MiB
                                   (the flusher keeps two spare ones, pages in memory) */
    size_t max_pending_bytes;   /* filled buffers waiting for the flusher; default 8 MiB,
                                   at least buffer_size */
    int zstd_level;             /* default 1 (-7 .. 22; 0: zstd's default, 3) */
    int drop_when_full;         /* 0 (default): producers wait for the flusher; 1: drop+count */
    size_t max_value_bytes;     /* strings/bytes longer than this are truncated; default 4096,
                                   at most buffer_size / 4 */
    atr_clock_fn clock;         /* NULL: CLOCK_MONOTONIC in ns (see clock_source) */
    void *clock_ctx;            /* passed to clock */
    int fork_mode;              /* atr_fork_mode; default ATR_FORK_FOLLOW */
    /* Process description for the PROCESS record (all optional, copied at open). */
    int argc;
    const char *const *argv;
    const char *runtime;  /* e.g. "CPython 3.11.7"; default "C" */
    uint64_t parent_uid;  /* non-zero: this log continues a parent's (e.g. exec'd child) */
    uint64_t parent_span; /* with parent_uid: the parent's span */
    int clock_source;     /* atr_clock_source: ATR_CLOCK_AUTO (default), ATR_CLOCK_MONOTONIC
                             or ATR_CLOCK_TSC; ARGTRACE_CLOCK overrides it; unused when clock
                             is set */
    /*
     * A producer that finds max_pending_bytes reached waits at most block_timeout_ms for the
     * flusher (default 1000, 1 .. 3,600,000), then drops the record (counted); until the
     * flusher completes its next cycle, further records that need a new buffer drop at once.
     */
    uint32_t block_timeout_ms;
    /*
     * Optional, called by a producer thread around such a wait (never when space is free):
     * block_begin(block_ctx) before, block_end(block_ctx, its return value) after. The
     * producer's record is already encoded when block_begin runs: the values passed to the
     * recording call are not read again, so the embedder may let other threads change them.
     */
    void *(*block_begin)(void *ctx);
    void (*block_end)(void *ctx, void *token);
    void *block_ctx;
    /*
     * A log that is a pipe, FIFO or socket is written without blocking; when it accepts no
     * byte for sink_timeout_ms (default 10,000, 1 .. 3,600,000) the log is abandoned (a write
     * error, ATR_EIO), so a reader that stopped reading never hangs the program's exit.
     */
    uint32_t sink_timeout_ms;
    /*
     * Rotation (a regular file only; ignored for a pipe, FIFO or device). max_file_bytes 0
     * (default): one file. Otherwise, once the file holds at least max_file_bytes (at least
     * 4096), the writer continues in a new file at a frame boundary: "<path>.1", "<path>.2",
     * ... Each file stands alone (header, PROCESS with its `part`, the definitions); span
     * ids continue across them, so the analysis joins a process's files into one log
     * (docs/FORMAT.md 3.1). keep_files N > 0 deletes the oldest files past the newest N
     * (default 0: keep all). A forked child's log rotates the same way. Opening a session
     * deletes files "<path>.<digits>" left by an earlier run.
     */
    uint64_t max_file_bytes;
    uint32_t keep_files;
    /*
     * Sampling (format 1.2, SAMPLING record): sample_rate in (0, 1] (default 1: every call)
     * is the fraction of top-level calls (spans begun with no parent) recorded, each with its
     * whole subtree: the calls under an unrecorded one are not recorded either. sample_random
     * 0 (default): deterministic, per thread, the first top-level call then every 1/rate-th
     * (exactly ceil(n * rate) of n); 1: each top-level call independently with probability
     * rate, from a generator seeded with sample_seed (0: a random seed; written in the log).
     */
    double sample_rate;
    int sample_random;
    uint64_t sample_seed;
} atr_writer_config;

/* Fill *cfg with defaults (path NULL). */
ATR_API void atr_writer_config_init(atr_writer_config *cfg);

/*
 * What atr_session_open() would refuse in *cfg as ATR_EINVAL: a one-line sentence naming
 * the first field out of its range and the range (static storage), or NULL when every field
 * is acceptable. For the embedder's error message.
 */
ATR_API const char *atr_writer_config_problem(const atr_writer_config *cfg);

/*
 * Create the log at cfg->path (a relative path is made absolute now), write the header and
 * PROCESS record and start the flusher thread. The log is a new file, mode 0600: an existing
 * regular file is replaced (a new file renamed over it, never truncated or chmodded in
 * place), a symbolic link is refused (ATR_EOPEN, errno ELOOP), a device such as /dev/null is
 * written as it is (docs/SECURITY.md). A forked child's log is a new file
 * "<stem>.<pid>.<8 random hex digits>.atr". On success *out owns the session; close it with
 * atr_session_close(). Returns ATR_EINVAL (bad config), ATR_EOPEN (cannot create the file;
 * errno is kept), ATR_ENOMEM, ATR_ETHREAD.
 */
ATR_API int atr_session_open(const atr_writer_config *cfg, atr_session **out);

/*
 * Flush everything recorded so far, write DROPS and END_OF_LOG, close the file and free the
 * session. No other thread may use the session during or after this call. Accepts NULL.
 * Returns 0, or the first write error the session met (ATR_EIO, ATR_ENOSPC): the session is
 * freed in every case, except when the flusher is stuck in a write that does not return
 * (a hung network file system) for sink_timeout_ms: then the session is left to it (leaked,
 * its file unclosed) and ATR_EIO is returned, so that closing never hangs the program.
 */
ATR_API int atr_session_close(atr_session *s);

/*
 * Write out everything recorded so far by every thread (synchronous: returns once the data
 * is in the file). Returns 0 or the sticky write error.
 */
ATR_API int atr_session_flush(atr_session *s);

/*
 * Around a fork: atr_flushers_pause() stops the writer thread of every open session after
 * the cycle it is in (at most 200 ms: one busy longer, writing to a stalled disk, is left
 * running), their recorded data kept in memory, and returns how many it stopped;
 * atr_flushers_resume() starts them again. Between the two the process has no thread of
 * argtrace's: CPython 3.12+'s os.fork() warns when a process that forks has several
 * threads, which a traced program that forks would otherwise print and the untraced one
 * not. A session whose writer is stopped starts it again itself when a thread recording
 * needs a buffer that only the writer can free, and on atr_session_flush() or
 * atr_session_close(). resume returns 0 or ATR_ETHREAD.
 */
ATR_API int atr_flushers_pause(void);
ATR_API int atr_flushers_resume(void);

/* The log's absolute path (after a fork with ATR_FORK_FOLLOW: the child's path). */
ATR_API const char *atr_session_path(const atr_session *s);
/* The log's random 64-bit process uid (the PROCESS record's `uid`). */
ATR_API uint64_t atr_session_uid(const atr_session *s);

/* Function flags (FUNCTION record, docs/FORMAT.md 3.2). */
#define ATR_FUNC_COROUTINE 0x1u
#define ATR_FUNC_GENERATOR 0x2u
#define ATR_FUNC_ASYNCGEN 0x4u
#define ATR_FUNC_ACTION 0x8u
#define ATR_FUNC_METHOD 0x10u

typedef struct atr_function_info {
    atr_str module;
    atr_str qualname;
    atr_str file;
    uint32_t line;
    uint32_t flags; /* ATR_FUNC_* */
    uint32_t n_params;
    const atr_str *params; /* names of the captured arguments, in START's order */
} atr_function_info;

/*
 * Define a function (or action) and get its id for atr_span_begin(). Strings are copied.
 * Each call defines a new id; callers cache ids (the binding keeps one per code object).
 * Takes a lock: call once per function, not per call. Returns 0, ATR_EINVAL, ATR_ENOMEM.
 */
ATR_API int atr_session_define_function(atr_session *s, const atr_function_info *info,
                                        uint32_t *id_out);

/*
 * Name the calling thread in the log (THREAD record). Optional: unnamed threads get "".
 */
ATR_API int atr_thread_set_name(atr_session *s, const char *name, size_t len);

/*
 * Begin a span in the calling thread. `t_ns` is the start time or ATR_NOW. `parent` is a span
 * id or 0. `args` holds n_args values matching the function's params (n_args at most its
 * n_params, ATR_EINVAL otherwise); `fields` optional named
 * values (n_fields may be 0, fields NULL). Writes the new span's id (never 0) to *span_out.
 * Returns 0, ATR_EINVAL, ATR_EDROPPED (recorded as a drop; *span_out still receives an id so
 * the matching end can be issued), ATR_ESTATE (session closing / fork-stopped: *span_out = 0).
 */
ATR_API int atr_span_begin(atr_session *s, uint32_t function, uint64_t parent, uint64_t t_ns,
                           const atr_value *args, uint32_t n_args, const atr_field *fields,
                           uint32_t n_fields, uint64_t *span_out);

/* End `span` with a returned value (`result` NULL: returned, result not captured). */
ATR_API int atr_span_return(atr_session *s, uint64_t span, uint64_t t_ns, const atr_value *result);

/* End `span` with an exception: type name (e.g. "ValueError") and message value (may be NULL). */
ATR_API int atr_span_raise(atr_session *s, uint64_t span, uint64_t t_ns, atr_str exc_type,
                           const atr_value *message);

/*
 * A generator's or coroutine's `span` stops running (it yielded or awaits) at `t_ns`, or runs
 * again (format 1.1, docs/FORMAT.md 3.12). The span stays open: its END still comes once.
 * Readers compute from them the span's active time (the time it was actually running); a
 * span without these records is active from START to END. Call them from the thread that
 * suspends or resumes the span (any thread: the span may belong to another one). Returns 0,
 * ATR_EINVAL (span 0 or not a span id, bad time), ATR_EDROPPED, ATR_ESTATE.
 */
ATR_API int atr_span_suspend(atr_session *s, uint64_t span, uint64_t t_ns);
ATR_API int atr_span_resume(atr_session *s, uint64_t span, uint64_t t_ns);

/* Log a message inside `span` (0: none) with optional fields. */
ATR_API int atr_message(atr_session *s, uint64_t span, uint64_t t_ns, atr_str text,
                        const atr_field *fields, uint32_t n_fields);

/* Read the session clock (ns; the built-in clocks' times are multiples of 16 ns). */
ATR_API uint64_t atr_session_now(const atr_session *s);

/*
 * The clock the session reads: ATR_CLOCK_TSC, ATR_CLOCK_MONOTONIC or ATR_CLOCK_INJECTED
 * (decided at open from the config, ARGTRACE_CLOCK and the machine); ATR_CLOCK_AUTO for NULL.
 * A TSC session starts from the TSC rate an earlier session of the process measured; the
 * first one reads clock_gettime until its first calibration, which its flusher makes 2 ms
 * after open (later ones 4, 8, ... ms after, then every second).
 */
ATR_API int atr_session_clock_source(const atr_session *s);

/* 1 when the session's clock reads the TSC through a calibration now (a TSC session once its
   rate is known), 0 when a reading goes to clock_gettime or an injected clock (or s is NULL).
   A reading through clock_gettime costs more: what a traced call costs depends on it. */
ATR_API int atr_session_clock_calibrated(const atr_session *s);

/* Counters of what the session could not record (the DROPS record, docs/FORMAT.md 3.10). */
typedef struct atr_drop_stats {
    uint64_t records;        /* records dropped because buffers were full */
    uint64_t bytes;          /* their encoded size */
    uint64_t oversize;       /* records larger than a buffer */
    uint64_t capture_errors; /* values recorded as capture-error placeholders */
    uint64_t write_errors;   /* frames that could not be written */
} atr_drop_stats;

/* Snapshot of the drop counters. */
ATR_API int atr_session_drops(const atr_session *s, atr_drop_stats *out);

/*
 * The tracer's own cost per traced call, measured by the embedder (the CALIBRATION record,
 * docs/FORMAT.md 3.12): the analysis subtracts it from the durations it shows.
 */
typedef struct atr_calibration {
    atr_str mechanism; /* what traced the calls: "decorator", "monitoring", "eval", ... */
    uint64_t call_ns;  /* ns one traced call adds to the duration of each of its ancestors */
    uint64_t inner_ns; /* ns of call_ns that fall inside the call's own [start, end] (<= call_ns) */
    uint64_t samples;  /* traced calls the measurement timed */
} atr_calibration;

/*
 * Record a calibration in the log (written with the next flush, and again in a forked child's
 * log). A session holds a few (one per mechanism): ATR_ENOMEM past 4 or when the mechanism
 * name is longer than 32 bytes. Returns 0, ATR_EINVAL (inner_ns > call_ns, NULL arguments),
 * ATR_ENOMEM, ATR_ESTATE.
 */
ATR_API int atr_session_write_calibration(atr_session *s, const atr_calibration *c);

/*
 * Recording on (1, the default) or off (0) without closing the session: while off, new
 * spans are not recorded (atr_span_begin returns 0 with an id that the other calls accept
 * and ignore; spans begun before go on being recorded up to their end) and messages are
 * dropped. The log gets a RECORDING record (format 1.2) with the time of the change, so
 * that readers know the gap. Returns 0, ATR_EINVAL, ATR_ESTATE.
 */
ATR_API int atr_session_set_recording(atr_session *s, int on);

/* 1 if the span id returned by atr_span_begin() was not recorded (sampled out, or recording
   was off), 0 otherwise. */
ATR_API int atr_span_skipped(uint64_t span);

/*
 * Before capturing a span's arguments: 0 when a span begun now in the calling thread with
 * this parent is recorded (then call atr_span_begin, which takes the decision as made),
 * else the id to use instead of calling atr_span_begin (the span is not recorded: sampled
 * out, under a sampled-out span, or recording is off), so that the embedder skips the
 * capture. Cheap when nothing is sampled or paused: a few loads.
 */
ATR_API uint64_t atr_span_gate(atr_session *s, uint64_t parent);

/*
 * Toggle recording with a signal: install a handler for `signo` that only flips a
 * process-wide flag (async-signal-safe); every session stops recording while the flag is
 * off, exactly as with atr_session_set_recording(s, 0), and each session's log gets a
 * RECORDING record when its flusher sees the change (within flush_interval_ms; the time is
 * the signal's). `initially_on` 0 starts with recording off. Returns 0, or ATR_EINVAL (a
 * signal number that cannot be caught: SIGKILL, SIGSTOP, out of range; sigaction failed).
 * Installing again replaces the signal (the previous one gets its old disposition back).
 */
ATR_API int atr_toggle_install(int signo, int initially_on);
/* 1 while the toggle (atr_toggle_install) has recording on, or when no toggle is installed. */
ATR_API int atr_toggle_recording(void);

/*
 * The per-call cost model (docs/FORMAT.md 3.13, format 1.2). A call costs base_ns, plus
 * scalar_ns, str_ns (+ long_str_ns past 32 bytes) or summary_ns (+ container_ns for a
 * container) per captured value of that kind (arguments, fields, the
 * result or exception message; a summary's items counted by their own kind), plus gen_ns for
 * a generator or coroutine, resume_ns per RESUME, raise_ns when it raised. slow_ppm: the
 * program's own code runs this much slower (parts per million) while traced (a profile hook).
 */
typedef struct atr_calibration_model {
    uint64_t base_ns, scalar_ns, str_ns, summary_ns, gen_ns, resume_ns, raise_ns;
    uint64_t slow_ppm;
    uint64_t container_ns; /* per summary of known length (a container), over summary_ns */
    uint64_t long_str_ns;  /* per str/bytes/text of more than 32 bytes, over str_ns */
} atr_calibration_model;

/* atr_session_write_calibration with the model (NULL or all 0: the 1.1 record). Each value
   at most 2^32 - 1. Same returns. */
ATR_API int atr_session_write_calibration_model(atr_session *s, const atr_calibration *c,
                                                const atr_calibration_model *m);

/* Count a value the embedder could not capture (it recorded ATR_V_ERROR instead). */
ATR_API void atr_session_count_capture_error(atr_session *s);

/*
 * Flush on fatal signals: for each of SIGTERM, SIGINT and SIGHUP whose disposition is the
 * default action (terminate), install a handler that writes out what every open session's
 * threads have recorded (waiting at most about 2 s for the flushers), then restores the
 * default action and re-raises the signal, so the process still dies of it with the same
 * status. Signals with another disposition (ignored, or a handler such as Python's SIGINT
 * handler) are left alone. Process-wide and idempotent; the handlers stay installed (with
 * no open session they only re-raise). A program that sets a signal's disposition later
 * replaces the handler. Call it before opening sessions: flushers started earlier notice
 * requests only at their next flush interval. Returns 0 or ATR_EINVAL (sigaction failed).
 */
ATR_API int atr_signals_install(void);

#ifdef __cplusplus
}
#endif
#endif /* ARGTRACE_ATR_WRITER_H */
