/* Calls as JSON (json_call.c), shared by calls --json, tree --json, the exports and report. */
#ifndef ATR_VIEWER_JSON_CALL_H
#define ATR_VIEWER_JSON_CALL_H

#include <stdint.h>

#include "argtrace/atr_analysis.h"
#include "json.h"

/* "args": {name: value, ...} (captured arguments only). */
void atr__json_call_args(atr__json *j, const atr_index *ix, uint32_t call);
/* "result": value|null, "exception": {"type", "message"}|null. */
void atr__json_call_outcome(atr__json *j, const atr_index *ix, const atr_call_view *cv);
/* The `calls --json` object: {id, function, args, result, exception, start_ns, duration_ns,
 * parent_id, thread}. */
void atr__json_call(atr__json *j, const atr_index *ix, uint32_t call);
/* "key": the printed id of `call` (atr_call_id_format): a number for one log, "FILE:N" for
 * several, null for ATR_NO_CALL. */
void atr__json_call_id(atr__json *j, const char *key, const atr_index *ix, uint32_t call);
/* "function": "module.qualname" */
void atr__json_funcname(atr__json *j, const char *key, const atr_index *ix, uint32_t fn);

/* Write the keys id, function, args, result, exception of `call` (inside an open object). */
int atr__json_call_head(atr__json *j, const atr_index *ix, uint32_t call, atr_call_view *cv);

/* Keys for message fields: write `name` as a key (NULL: as it is). */
typedef void (*atr__json_key_fn)(atr__json *j, atr_str name);
/* "name": value for each field of message `msg` (inside an open object). */
void atr__json_message_fields(atr__json *j, const atr_index *ix, uint32_t msg,
                              atr__json_key_fn key);

#endif /* ATR_VIEWER_JSON_CALL_H */
