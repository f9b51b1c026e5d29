/*
 * Eliot JSON lines (see export.h), as eliot-tree reads them. Each root call is a task; each
 * call an action ("action_type": function name, "action_status": started, then succeeded or
 * failed) whose start message carries the arguments as fields; messages become Eliot
 * messages ("message_type": text). task_level follows Eliot's rule: the path of message
 * positions inside nested actions ([1], [2, 1], [2, 2], [3]). Timestamps are wall-clock
 * seconds. task_uuid is derived from the log's uid and the root call (stable output).
 * Unfinished calls have no end message. Calls nested deeper than MAX_LEVEL are left out.
 * With a selection (export.h) only the matches and their ancestors are actions.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "json_call.h"
#include "strbuf.h"

#define MAX_LEVEL 200

typedef struct eliot {
    const atr_index *ix;
    const uint8_t *keep; /* export.h; NULL: everything */
    atr__json j;
    char uuid[40];
    uint32_t level[MAX_LEVEL + 1]; /* task_level path; level[depth] = last index used */
    int depth;                     /* index of the current action's counter */
} eliot;

static const char *const reserved[] = {"task_uuid",     "task_level", "action_type",
                                       "action_status", "timestamp",  "message_type",
                                       "exception",     "reason",     "result"};

static void field_name(atr__json *j, atr_str name) {
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == name.len && memcmp(reserved[i], name.ptr, name.len) == 0) {
            atr__sbuf sb = ATR__SBUF_INIT;
            atr__sb_puts(&sb, "arg_");
            atr__sb_add(&sb, name.ptr, name.len);
            atr__json_keyn(j, sb.ptr ? sb.ptr : "", sb.len);
            atr__sb_free(&sb);
            return;
        }
    atr__json_keyn(j, name.ptr, name.len);
}

/* Open a message object with the common keys; the next task_level index at this depth. */
static void msg_head(eliot *e, uint32_t file, uint64_t t_ns) {
    atr_file_info fi;
    uint64_t wall = t_ns;
    if (atr_index_file(e->ix, file, &fi) == 0)
        wall = fi.wall_ns + (t_ns - fi.clock_ns);
    e->level[e->depth]++;
    atr__json_obj_begin(&e->j);
    atr__json_kstr(&e->j, "task_uuid", e->uuid);
    atr__json_key(&e->j, "task_level");
    atr__json_arr_begin(&e->j);
    for (int i = 0; i <= e->depth; i++)
        atr__json_uint(&e->j, e->level[i]);
    atr__json_arr_end(&e->j);
    atr__json_key(&e->j, "timestamp");
    atr__json_fixed(&e->j, wall, 1000000000u, 6);
}

static void msg_end(eliot *e) {
    atr__json_obj_end(&e->j);
    atr__json_end_line(&e->j);
}

static void message(eliot *e, uint32_t msg) {
    atr_message_view mv;
    atr_thread_view tv;
    if (atr_index_message(e->ix, msg, &mv) < 0 || atr_index_thread(e->ix, mv.thread, &tv) < 0)
        return;
    msg_head(e, tv.file, mv.time_ns);
    atr__json_key(&e->j, "message_type");
    atr__json_str(&e->j, mv.text.ptr, mv.text.len);
    atr__json_message_fields(&e->j, e->ix, msg, field_name);
    msg_end(e);
}

static void action_start(eliot *e, uint32_t call, const atr_call_view *cv) {
    atr_function_view fv;
    msg_head(e, cv->file, cv->start_ns);
    atr__json_funcname(&e->j, "action_type", e->ix, cv->function);
    atr__json_kstr(&e->j, "action_status", "started");
    if (atr_index_function(e->ix, cv->function, &fv) == 0)
        for (uint32_t i = 0; i < cv->n_args && i < fv.n_params; i++) {
            uint32_t vid = atr_call_arg(e->ix, call, i);
            atr_value v;
            if (vid == ATR_NO_VALUE || atr_index_value(e->ix, vid, &v) < 0)
                continue;
            field_name(&e->j, fv.params[i]);
            atr__json_value(&e->j, &v);
        }
    msg_end(e);
}

static void action_end(eliot *e, const atr_call_view *cv) {
    atr_value v;
    int has = atr_index_value(e->ix, cv->result, &v) == 0;
    msg_head(e, cv->file, cv->end_ns);
    atr__json_funcname(&e->j, "action_type", e->ix, cv->function);
    if (cv->status == ATR_CALL_RAISED) {
        atr__json_kstr(&e->j, "action_status", "failed");
        atr__json_key(&e->j, "exception");
        atr__json_str(&e->j, cv->exc_type.ptr, cv->exc_type.len);
        atr__json_key(&e->j, "reason");
        if (has && v.kind == ATR_V_STR)
            atr__json_str(&e->j, v.u.s.ptr, v.u.s.len);
        else if (has)
            atr__json_value(&e->j, &v);
        else
            atr__json_cstr(&e->j, "");
    } else {
        atr__json_kstr(&e->j, "action_status", "succeeded");
        if (cv->status == ATR_CALL_RETURNED && has) {
            atr__json_key(&e->j, "result");
            atr__json_value(&e->j, &v);
        }
    }
    msg_end(e);
}

/* Time of a message, for merging messages with child calls. */
static uint64_t msg_time(const atr_index *ix, uint32_t msg) {
    atr_message_view mv;
    return atr_index_message(ix, msg, &mv) == 0 ? mv.time_ns : UINT64_MAX;
}

/*
 * Write action `call` and everything inside it. A root action's messages are [1], [2], ...;
 * a nested action takes the next index k of its parent and its messages are [.., k, 1], ...
 */
static int action(eliot *e, uint32_t call, int root) {
    atr_call_view cv;
    if (atr_index_call(e->ix, call, &cv) < 0)
        return 0;
    if (e->depth >= MAX_LEVEL)
        return 0;
    if (!root) {
        e->level[e->depth]++;
        e->depth++;
        e->level[e->depth] = 0;
    }
    action_start(e, call, &cv);
    uint32_t n_msg = 0;
    uint32_t *msgs = NULL;
    int rc = atr_call_messages(e->ix, call, NULL, 0, &n_msg);
    if (rc == 0 && n_msg) {
        msgs = malloc((size_t)n_msg * sizeof *msgs);
        rc = msgs ? atr_call_messages(e->ix, call, msgs, n_msg, &n_msg) : ATR_ENOMEM;
    }
    uint32_t m = 0, kid = cv.first_child;
    while (rc == 0 && (kid != ATR_NO_CALL || m < n_msg)) {
        atr_call_view kv;
        int have_kid = kid != ATR_NO_CALL && atr_index_call(e->ix, kid, &kv) == 0;
        if (m < n_msg && (!have_kid || msg_time(e->ix, msgs[m]) <= kv.start_ns)) {
            message(e, msgs[m++]);
        } else if (have_kid) {
            if (!e->keep || e->keep[kid])
                rc = action(e, kid, 0);
            kid = kv.next_sibling;
        } else {
            kid = ATR_NO_CALL;
        }
    }
    free(msgs);
    if (cv.status != ATR_CALL_UNFINISHED)
        action_end(e, &cv);
    if (!root)
        e->depth--;
    return rc;
}

static void set_uuid(eliot *e, uint64_t uid, uint32_t n) {
    snprintf(e->uuid, sizeof e->uuid, "%08" PRIx32 "-%04" PRIx32 "-4%03" PRIx32 "-8000-%012" PRIx32,
             (uint32_t)(uid >> 32), (uint32_t)(uid >> 16) & 0xFFFFu, (uint32_t)uid & 0xFFFu, n);
}

int atr__export_eliot(const atr_index *ix, const uint8_t *keep, FILE *out) {
    eliot e;
    memset(&e, 0, sizeof e);
    e.ix = ix;
    e.keep = keep;
    atr__json_init(&e.j, out, 0);
    atr_index_info info;
    atr_index_get_info(ix, &info);
    int rc = 0;
    uint32_t n_task = 0;
    for (uint32_t t = 0; rc == 0 && t < info.n_threads && !ferror(out); t++) {
        atr_thread_view tv;
        atr_file_info fi;
        if (atr_index_thread(ix, t, &tv) < 0 || atr_index_file(ix, tv.file, &fi) < 0)
            continue;
        for (uint32_t c = tv.first_root; rc == 0 && c != ATR_NO_CALL;) {
            atr_call_view cv;
            if (atr_index_call(ix, c, &cv) < 0)
                break;
            /* forked children's roots live under a parent */
            if (cv.parent == ATR_NO_CALL && (!keep || keep[c])) {
                set_uuid(&e, fi.uid, n_task++);
                e.depth = 0;
                e.level[0] = 0;
                rc = action(&e, c, 1);
            }
            c = cv.next_sibling;
        }
    }
    /* messages outside any call: one task each (not with a selection of calls) */
    for (uint64_t m = 0; rc == 0 && !keep && m < info.n_messages && !ferror(out); m++) {
        atr_message_view mv;
        atr_thread_view tv;
        atr_file_info fi;
        if (atr_index_message(ix, (uint32_t)m, &mv) < 0 || mv.call != ATR_NO_CALL ||
            atr_index_thread(ix, mv.thread, &tv) < 0 || atr_index_file(ix, tv.file, &fi) < 0)
            continue;
        set_uuid(&e, fi.uid, n_task++);
        e.depth = 0;
        e.level[0] = 0;
        message(&e, (uint32_t)m);
    }
    if (rc == 0 && ferror(out))
        rc = ATR_EIO;
    return rc;
}
