/* Calls, groups and messages as text (see render_call.h). */
#include "render_call.h"

#include <string.h>

#include "render.h"

void atr__sb_funcname(atr__sbuf *sb, const atr_index *ix, uint32_t fn) {
    char small[256];
    size_t len = atr_function_name(ix, fn, small, sizeof small);
    if (len < sizeof small) {
        atr__esc_text(sb, small, len, ATR__ESC_BARE);
        return;
    }
    atr_function_view fv;
    if (atr_index_function(ix, fn, &fv) == 0) {
        if (fv.module.len) {
            atr__esc_str(sb, fv.module);
            atr__sb_putc(sb, '.');
        }
        atr__esc_str(sb, fv.qualname);
    }
}

void atr__sb_call_id(atr__sbuf *sb, const atr_index *ix, uint32_t call) {
    char buf[ATR_CALL_ID_SIZE];
    atr__sb_add(sb, buf, atr_call_id_format(ix, call, buf, sizeof buf));
}

void atr__sb_call_args(atr__sbuf *sb, const atr_index *ix, uint32_t call) {
    atr__sb_call_args_fit(sb, ix, call, 0);
}

void atr__sb_call_args_fit(atr__sbuf *sb, const atr_index *ix, uint32_t call, size_t maxv) {
    atr_call_view cv;
    atr_function_view fv;
    if (atr_index_call(ix, call, &cv) < 0 || atr_index_function(ix, cv.function, &fv) < 0)
        return;
    int first = 1;
    for (uint32_t i = 0; i < cv.n_args && i < fv.n_params; i++) {
        uint32_t vid = atr_call_arg(ix, call, i);
        atr_value v;
        if (vid == ATR_NO_VALUE || atr_index_value(ix, vid, &v) < 0)
            continue;
        if (!first)
            atr__sb_puts(sb, ", ");
        first = 0;
        atr__esc_str(sb, fv.params[i]);
        atr__sb_putc(sb, '=');
        atr__render_value_fit(sb, &v, maxv);
    }
}

void atr__sb_call_outcome(atr__sbuf *sb, const atr_index *ix, const atr_call_view *cv) {
    atr__sb_call_outcome_fit(sb, ix, cv, 0);
}

/* The fewest columns a value narrowed to its line's room keeps (below: as maxv says, and
   the table cuts the line). */
#define OUTCOME_MIN 12

/* maxv, or less when the outcome must end within room columns from `from` (0: no limit). */
static size_t value_budget(const atr__sbuf *sb, size_t from, size_t maxv, size_t room) {
    size_t used = atr__utf8_width(sb->ptr + from, sb->len - from);
    if (room == 0 || room < used + OUTCOME_MIN)
        return maxv;
    size_t avail = room - used;
    return maxv && maxv < avail ? maxv : avail;
}

void atr__sb_call_outcome_fit(atr__sbuf *sb, const atr_index *ix, const atr_call_view *cv,
                              size_t maxv) {
    atr__sb_call_outcome_in(sb, ix, cv, maxv, 0);
}

void atr__sb_call_outcome_in(atr__sbuf *sb, const atr_index *ix, const atr_call_view *cv,
                             size_t maxv, size_t room) {
    size_t from = sb->len;
    atr_value v;
    switch (cv->status) {
    case ATR_CALL_RETURNED:
        atr__sb_puts(sb, "→ ");
        if (atr_index_value(ix, cv->result, &v) == 0)
            atr__render_value_fit(sb, &v, value_budget(sb, from, maxv, room));
        else
            atr__sb_puts(sb, "?");
        break;
    case ATR_CALL_RAISED:
        atr__sb_puts(sb, "✗ ");
        atr__esc_str(sb, cv->exc_type);
        if (atr_index_value(ix, cv->result, &v) == 0) {
            atr__sb_puts(sb, ": ");
            atr__render_value_fit(sb, &v, value_budget(sb, from, maxv, room));
        }
        break;
    case ATR_CALL_UNFINISHED:
        atr__sb_puts(sb, "(unfinished)");
        break;
    default:
        break;
    }
}

void atr__sb_funcname_fit(atr__sbuf *sb, const atr_index *ix, uint32_t fn, size_t maxw) {
    size_t from = sb->len;
    atr__sb_funcname(sb, ix, fn);
    if (maxw)
        atr__sb_fit_left(sb, from, maxw);
}

void atr__sb_call(atr__sbuf *sb, const atr_index *ix, uint32_t call, const atr_call_view *cv,
                  int with_name) {
    atr__sb_call_fit(sb, ix, call, cv, with_name, 0);
}

void atr__sb_call_fit(atr__sbuf *sb, const atr_index *ix, uint32_t call, const atr_call_view *cv,
                      int with_name, size_t maxv) {
    atr__sb_call_in(sb, ix, call, cv, with_name, maxv, 0);
}

void atr__sb_call_in(atr__sbuf *sb, const atr_index *ix, uint32_t call, const atr_call_view *cv,
                     int with_name, size_t maxv, size_t room) {
    size_t from = sb->len;
    if (with_name) /* a little more room than a value: names end in what tells them apart */
        atr__sb_funcname_fit(sb, ix, cv->function, maxv ? maxv + 8 : 0);
    atr__sb_putc(sb, '(');
    atr__sb_call_args_fit(sb, ix, call, maxv);
    atr__sb_putc(sb, ')');
    if (cv->status != ATR_CALL_NORESULT) {
        atr__sb_putc(sb, ' ');
        size_t used = atr__utf8_width(sb->ptr + from, sb->len - from);
        atr__sb_call_outcome_in(sb, ix, cv, maxv, room > used ? room - used : room ? 1 : 0);
    }
}

void atr__sb_group_label(atr__sbuf *sb, const atr_index *ix, const atr_arg_group *g) {
    atr__sb_group_label_fit(sb, ix, g, 0);
}

void atr__sb_group_label_fit(atr__sbuf *sb, const atr_index *ix, const atr_arg_group *g,
                             size_t maxv) {
    atr_value v;
    /* A long str's label is its distinguishing excerpt and length (the analysis's,
       libtrace/src/analysis/labels.c: over 30 bytes, cut, or with whitespace other than
       single spaces); a short one is shown as the value. */
    int excerpt = 0;
    if (g->value != ATR_NO_VALUE && atr_index_value(ix, g->value, &v) == 0 &&
        (v.kind == ATR_V_STR || v.kind == ATR_V_BYTES || v.kind == ATR_V_REPR)) {
        excerpt = v.u.s.len > 30 || v.u.s.true_len > v.u.s.len;
        for (size_t i = 0; i < v.u.s.len && !excerpt; i++) {
            char c = v.u.s.ptr[i];
            excerpt = c == '\n' || c == '\t' || c == '\r' ||
                      (c == ' ' && i + 1 < v.u.s.len && v.u.s.ptr[i + 1] == ' ');
        }
    }
    if (g->value != ATR_NO_VALUE && !excerpt && atr_index_value(ix, g->value, &v) == 0)
        atr__render_value_fit(sb, &v, maxv);
    else { /* labels come escaped from the analysis; make sure, keeping its backslashes */
        size_t from = sb->len;
        atr__esc_text(sb, g->label, strlen(g->label), ATR__ESC_KEEP_BS);
        if (maxv) /* cut at the end: a str's excerpt tells groups apart at its start */
            atr__sb_fit(sb, from, maxv);
    }
}

/* A long str's label, "excerpt… (len N)", in room columns keeping its length: when the
   argument is scored by its trend the lengths are what explains the duration, and a cut at
   the end left "(le…". The excerpt gives way, to 6 columns at least (then cut at the end). */
static void fit_keep_len(atr__sbuf *sb, size_t from, size_t room) {
    if (sb->oom || room == 0 || atr__utf8_width(sb->ptr + from, sb->len - from) <= room)
        return;
    const char *t = NULL;
    for (const char *p = strstr(sb->ptr + from, " (len "); p; p = strstr(p + 1, " (len "))
        t = p;
    size_t tail = t ? (size_t)(t - sb->ptr) : 0;
    size_t tail_w = t ? atr__utf8_width(t, sb->len - tail) : 0;
    if (!t || sb->ptr[sb->len - 1] != ')' || room < tail_w + 6) {
        atr__sb_fit(sb, from, room);
        return;
    }
    char keep[40]; /* " (len 18446744073709551615)" at most */
    if (sb->len - tail >= sizeof keep) {
        atr__sb_fit(sb, from, room);
        return;
    }
    memcpy(keep, t, sb->len - tail + 1);
    sb->len = tail;
    sb->ptr[tail] = '\0';
    atr__sb_fit(sb, from, room - tail_w);
    atr__sb_puts(sb, keep);
}

void atr__sb_group_label_in(atr__sbuf *sb, const atr_index *ix, const atr_arg_group *g, size_t maxv,
                            int by_trend) {
    if (!by_trend) {
        atr__sb_group_label_fit(sb, ix, g, maxv);
        return;
    }
    size_t from = sb->len;
    atr__sb_group_label_fit(sb, ix, g, 0);
    fit_keep_len(sb, from, maxv);
}

int atr__arg_by_trend(const atr_arg_score *as) {
    return as->score_trend > 0 && as->score_trend >= as->score &&
           as->score_trend > as->score_grouped && as->score_trend > as->score_exact;
}

void atr__sb_message(atr__sbuf *sb, const atr_index *ix, uint32_t msg) {
    atr__sb_message_fit(sb, ix, msg, 0);
}

void atr__sb_message_fit(atr__sbuf *sb, const atr_index *ix, uint32_t msg, size_t maxv) {
    atr_message_view mv;
    if (atr_index_message(ix, msg, &mv) < 0)
        return;
    atr__esc_str(sb, mv.text);
    for (uint32_t f = 0; f < mv.n_fields; f++) {
        atr_str name;
        uint32_t vid;
        atr_value val;
        if (atr_message_field(ix, msg, f, &name, &vid) < 0)
            continue;
        atr__sb_puts(sb, f ? ", " : "  ");
        atr__esc_str(sb, name);
        atr__sb_putc(sb, '=');
        if (atr_index_value(ix, vid, &val) == 0)
            atr__render_value_fit(sb, &val, maxv);
    }
}
