/*
 * Internals of loading one log (index.c drives the reader, records.c handles each record).
 */
#ifndef ATR_ANALYSIS_LOAD_H
#define ATR_ANALYSIS_LOAD_H

#include "analysis/analysis.h"

/* Per-log state that only lives during a load. */
typedef struct fnmap_ent {
    uint32_t fn;      /* global function */
    uint32_t n;       /* local params */
    uint32_t *params; /* local param i -> global param index */
} fnmap_ent;

/* The calls running on one thread of the log, innermost last (running.c). */
typedef struct atr__run_entry {
    uint32_t call; /* ATR_NO_CALL: a call stream.c does not keep */
    uint32_t fn;
    uint32_t counted; /* in its function's atr__fn_open */
} atr__run_entry;

typedef struct atr__run_stack {
    atr__run_entry *e;
    uint64_t n, cap;
    uint64_t n_uncounted; /* its entries not counted */
} atr__run_stack;

/* A function's calls running on one thread (th: global thread id + 1; 0: none), counted. */
typedef struct atr__fn_open {
    uint32_t th, n;
} atr__fn_open;

typedef struct load_state {
    atr_index *ix;
    uint32_t file;
    atr__u32map fnmap;            /* local function id -> index in fns (ids >= ATR__FN_DENSE) */
    uint32_t fndense[256];        /* local function id < 256 -> index in fns + 1 (0: none) */
    uint32_t cur_number, cur_tid; /* last thread looked up: its number and global id */
    int have_cur;
    uint32_t fn_tmp;
    uint64_t seq_total; /* span map entries of this log's threads */
    fnmap_ent *fns;
    uint64_t n_fns, cap_fns;
    uint64_t n_records;
    uint32_t *argbuf;
    uint64_t cap_argbuf;
    atr__u32map susp_map; /* call -> index in ix->susp, for this log's calls */
    atr__run_stack *run;  /* by global thread id - n_threads0: its running calls */
    uint64_t n_run, cap_run;
    atr__fn_open *fn_open; /* by global function */
    uint64_t n_fn_open, cap_fn_open;
    /* rollback marks */
    uint64_t n_calls0, n_argv0, n_msgs0, n_mfields0, n_pending0, n_susp0, n_adopt0;
    uint32_t n_funcs0, n_threads0;
} load_state;

#define ATR__FN_DENSE 256u

/* Handle one record of the log being loaded. 0 or ATR_ENOMEM / ATR_ETOOBIG. */
int atr__on_record(load_state *st, const atr_record *rec);

/*
 * START, split for stream.c: append the call of rec (function fe, global thread tid) with its
 * arguments, unlinked (no parent, no span), *id_out its id; END of call id (unfinished).
 * 0, ATR_ENOMEM, ATR_ETOOBIG.
 */
int atr__add_call(load_state *st, const atr_record *rec, const fnmap_ent *fe, uint32_t tid,
                  uint32_t *id_out);
int atr__end_call(load_state *st, const atr_record *rec, uint32_t id);
/* MESSAGE rec, attached to `call` (ATR__MSG_BY_SPAN: to the call of its span). */
#define ATR__MSG_BY_SPAN (UINT32_MAX - 1)
int atr__add_message(load_state *st, const atr_record *rec, uint32_t call);

/* The fns index of local function id `lid` (through a pointer into st), or NULL. */
uint32_t *atr__fn_lookup(load_state *st, uint32_t lid);
/* The global id of the log's thread `number`, added when new. 0 or ATR_ENOMEM. */
int atr__thread_of(load_state *st, uint32_t number, uint32_t *out);

/*
 * stream.c, statistics-only loads (atr_index_set_stats_only): a record in place of
 * atr__on_record (calls go to per-function durations, not to the call table), and the end
 * of a log (its unfinished calls). 0, ATR_ENOMEM, ATR_ETOOBIG, or ATR_ESTATE when the log
 * needs the whole index (see atr_index_set_stats_only).
 */
int atr__stream_record(load_state *st, const atr_record *rec);
int atr__stream_close(load_state *st);
/* A load of chosen frames (atr_index_set_subtree_frames): select them on r before its first
   record. 0 (also when not asked), ATR_ESTATE (the log does not allow it), ATR_ENOMEM. */
int atr__stream_select(load_state *st, atr_reader *r, uint32_t n_parts);
/* Before a load that keeps functions' calls by name reads r: the decoder leaves out the
   args and fields of the other functions' STARTs (reader/want.h). 0 or ATR_ESTATE. */
int atr__stream_want(atr_index *ix, atr_reader *r);

/* At the end of the log: unfinished calls that are running were active up to t_last. 0 or
   ATR_ENOMEM. */
int atr__susp_close(load_state *st, uint64_t t_last);

/*
 * running.c. The calls running on each thread (global id tid, of this log): a START or
 * RESUME enters its call (*nested, when not NULL: 1 if a call of its function already runs
 * on the thread), a SUSPEND or END leaves it; atr__run_leave returns the call that ran
 * beneath it (ATR_NO_CALL: none, or not on the stack). 0 or ATR_ENOMEM.
 */
int atr__run_enter(load_state *st, uint32_t tid, uint32_t call, uint32_t fn, int *nested);
uint32_t atr__run_leave(load_state *st, uint32_t tid, uint32_t call);
/* stream.c: the call on top of thread tid's stack leaves it; every stack empties (the log's
   end: its frames are closed). */
void atr__run_leave_top(load_state *st, uint32_t tid);
void atr__run_clear(load_state *st);
void atr__run_free(load_state *st);
/* The memory they hold (the index's budget counts it). */
uint64_t atr__run_mem(const load_state *st);
/* Call `call` ran ns of call from's interval outside from's parent (atr__adopt; nothing for
   ATR_NO_CALL or 0 ns). 0 or ATR_ENOMEM. */
int atr__adopt_add(load_state *st, uint32_t call, uint32_t from, uint64_t ns);

/* The call of span `span` in file `file`, or ATR_NO_CALL. */
uint32_t atr__span_call(const atr_index *ix, uint32_t file, uint64_t span);

/* Load the files of one rotated log (paths in part order, the first being part first_part)
   as one log (index.c; logset.c finds and orders them). */
int atr__index_load_parts(atr_index *ix, const char *const *paths, uint32_t n, uint32_t first_part);

/* Rebuild the function hash table with nslots (a power of two) slots. */
int atr__fslots_rebuild(atr_index *ix, uint32_t nslots);

#endif /* ATR_ANALYSIS_LOAD_H */
