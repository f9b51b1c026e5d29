/*
 * Calls, groups and messages as text for every command and the TUI: function names, call
 * ids, arguments, outcomes, group labels, messages; escaped, each optionally with values
 * cut to a number of columns (the _fit variants, atr__render_value_fit).
 */
#ifndef ATR_VIEWER_RENDER_CALL_H
#define ATR_VIEWER_RENDER_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "argtrace/atr_analysis.h"
#include "strbuf.h"

/* Append function fn's full name "module.qualname", escaped. */
void atr__sb_funcname(atr__sbuf *sb, const atr_index *ix, uint32_t fn);
/* Same in at most maxw columns, cut from the left at a name boundary:
   "…betweenness._accumulate_basic" (0: whole). */
void atr__sb_funcname_fit(atr__sbuf *sb, const atr_index *ix, uint32_t fn, size_t maxw);

/* Append the printed id of `call`: "253" (one log) or "1:253" (several). */
void atr__sb_call_id(atr__sbuf *sb, const atr_index *ix, uint32_t call);

/* Append "name=value, name=value" for a call's captured arguments (escaped). */
void atr__sb_call_args(atr__sbuf *sb, const atr_index *ix, uint32_t call);
/* Same with each value in at most maxv columns (atr__render_value_fit; 0: no limit). */
void atr__sb_call_args_fit(atr__sbuf *sb, const atr_index *ix, uint32_t call, size_t maxv);

/* Append the outcome: "→ 42", "✗ ValueError: 'bad'", "(unfinished)" or "" (not captured). */
void atr__sb_call_outcome(atr__sbuf *sb, const atr_index *ix, const atr_call_view *cv);
void atr__sb_call_outcome_fit(atr__sbuf *sb, const atr_index *ix, const atr_call_view *cv,
                              size_t maxv);
/* Same, the value narrowed below maxv (to 12 columns at least) for the whole outcome to take
   at most room columns (0: no limit): a cut value then ends in its own note ("… (N bytes)",
   "…(N chars)…", "…>") instead of being cut by the table. */
void atr__sb_call_outcome_in(atr__sbuf *sb, const atr_index *ix, const atr_call_view *cv,
                             size_t maxv, size_t room);

/* Append "module.f(a=1, b='x') → 42" (with_name 0: without the function name). */
void atr__sb_call(atr__sbuf *sb, const atr_index *ix, uint32_t call, const atr_call_view *cv,
                  int with_name);
/* Same with values in at most maxv columns and the name in maxv + 8, cut from the left. */
void atr__sb_call_fit(atr__sbuf *sb, const atr_index *ix, uint32_t call, const atr_call_view *cv,
                      int with_name, size_t maxv);
/* Same, the outcome narrowed to end within room columns of the text's start (0: no limit;
   atr__sb_call_outcome_in). */
void atr__sb_call_in(atr__sbuf *sb, const atr_index *ix, uint32_t call, const atr_call_view *cv,
                     int with_name, size_t maxv, size_t room);

/* 1 if the argument is scored by its trend (an ordered key: numbers, lengths), as `slow`
   says ("scored by its trend"). */
int atr__arg_by_trend(const atr_arg_score *as);
/* A group's label in maxv columns (0: no limit); by_trend: a long str's "(len N)" is kept
   and its excerpt gives way (the lengths are what explains the score). */
void atr__sb_group_label_in(atr__sbuf *sb, const atr_index *ix, const atr_arg_group *g, size_t maxv,
                            int by_trend);
/* Append a group's value (exact groups: the value rendered) or its bucket label. */
void atr__sb_group_label(atr__sbuf *sb, const atr_index *ix, const atr_arg_group *g);
/* Same with a value in at most maxv columns (0: no limit; a bucket label is not cut). */
void atr__sb_group_label_fit(atr__sbuf *sb, const atr_index *ix, const atr_arg_group *g,
                             size_t maxv);

/* Append a message: its text, then "  name=value, ..." for its fields (escaped). */
void atr__sb_message(atr__sbuf *sb, const atr_index *ix, uint32_t msg);
void atr__sb_message_fit(atr__sbuf *sb, const atr_index *ix, uint32_t msg, size_t maxv);

#endif /* ATR_VIEWER_RENDER_CALL_H */
