/* Calls as JSON (see load.h): one shape for calls --json, jsonl export and tree --json. */
#include <stdlib.h>

#include "json_call.h"

void atr__json_funcname(atr__json *j, const char *key, const atr_index *ix, uint32_t fn) {
    char small[256];
    size_t len = atr_function_name(ix, fn, small, sizeof small);
    atr__json_key(j, key);
    if (len < sizeof small) {
        atr__json_str(j, small, len);
        return;
    }
    char *big = malloc(len + 1);
    if (big) {
        atr_function_name(ix, fn, big, len + 1);
        atr__json_str(j, big, len);
        free(big);
    } else {
        atr__json_str(j, small, sizeof small - 1);
    }
}

void atr__json_call_id(atr__json *j, const char *key, const atr_index *ix, uint32_t call) {
    char buf[ATR_CALL_ID_SIZE];
    atr_index_info info;
    atr__json_key(j, key);
    if (call == ATR_NO_CALL || atr_call_id_format(ix, call, buf, sizeof buf) == 0) {
        atr__json_null(j);
        return;
    }
    atr_index_get_info(ix, &info);
    if (info.n_files > 1)
        atr__json_cstr(j, buf); /* "FILE:N" */
    else
        atr__json_uint(j, call); /* one log: the number, which is the call id */
}

void atr__json_call_args(atr__json *j, const atr_index *ix, uint32_t call) {
    atr_call_view cv;
    atr_function_view fv;
    atr__json_key(j, "args");
    atr__json_obj_begin(j);
    if (atr_index_call(ix, call, &cv) == 0 && atr_index_function(ix, cv.function, &fv) == 0) {
        for (uint32_t i = 0; i < cv.n_args && i < fv.n_params; i++) {
            uint32_t vid = atr_call_arg(ix, call, i);
            atr_value v;
            if (vid == ATR_NO_VALUE || atr_index_value(ix, vid, &v) < 0)
                continue;
            atr__json_keyn(j, fv.params[i].ptr, fv.params[i].len);
            atr__json_value(j, &v);
        }
    }
    atr__json_obj_end(j);
}

void atr__json_call_outcome(atr__json *j, const atr_index *ix, const atr_call_view *cv) {
    atr_value v;
    int has = atr_index_value(ix, cv->result, &v) == 0;
    atr__json_key(j, "result");
    if (cv->status == ATR_CALL_RETURNED && has)
        atr__json_value(j, &v);
    else
        atr__json_null(j);
    atr__json_key(j, "exception");
    if (cv->status == ATR_CALL_RAISED) {
        atr__json_obj_begin(j);
        atr__json_key(j, "type");
        atr__json_str(j, cv->exc_type.ptr, cv->exc_type.len);
        atr__json_key(j, "message");
        if (has)
            atr__json_value(j, &v);
        else
            atr__json_null(j);
        atr__json_obj_end(j);
    } else {
        atr__json_null(j);
    }
}

int atr__json_call_head(atr__json *j, const atr_index *ix, uint32_t call, atr_call_view *cv) {
    if (atr_index_call(ix, call, cv) < 0)
        return ATR_EINVAL;
    atr__json_call_id(j, "id", ix, call);
    atr__json_funcname(j, "function", ix, cv->function);
    atr__json_call_args(j, ix, call);
    atr__json_call_outcome(j, ix, cv);
    return 0;
}

void atr__json_call(atr__json *j, const atr_index *ix, uint32_t call) {
    atr_call_view cv;
    atr__json_obj_begin(j);
    if (atr__json_call_head(j, ix, call, &cv) < 0) {
        atr__json_obj_end(j);
        return;
    }
    atr__json_kuint(j, "start_ns", cv.start_ns);
    atr__json_kuint(j, "duration_ns", cv.duration_ns);
    atr__json_kuint(j, "active_ns", cv.active_ns);
    atr__json_call_id(j, "parent_id", ix, cv.parent);
    atr__json_kuint(j, "thread", cv.thread);
    atr__json_obj_end(j);
}

void atr__json_message_fields(atr__json *j, const atr_index *ix, uint32_t msg,
                              atr__json_key_fn key) {
    atr_message_view mv;
    if (atr_index_message(ix, msg, &mv) < 0)
        return;
    for (uint32_t i = 0; i < mv.n_fields; i++) {
        atr_str name;
        uint32_t vid;
        atr_value v;
        if (atr_message_field(ix, msg, i, &name, &vid) < 0)
            continue;
        if (key)
            key(j, name);
        else
            atr__json_keyn(j, name.ptr, name.len);
        if (atr_index_value(ix, vid, &v) == 0)
            atr__json_value(j, &v);
        else
            atr__json_null(j);
    }
}
