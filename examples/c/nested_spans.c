/*
 * nested_spans: a C program that embeds argtrace.
 *
 * It opens a session, defines three functions and an action, records a small call tree with
 * int, str, float, bytes and summary arguments (one call raises), logs a message with fields,
 * closes the session and prints the log's path. Read the log with dump_log (same folder) or
 * the argtrace viewer.
 *
 *     nested_spans [LOG]        (default: nested_spans.atr)
 */
#include <argtrace/atr.h>

#include <stdio.h>
#include <string.h>

/* An atr_str from a string literal or a NUL-terminated string. */
static atr_str str_of(const char *s) {
    atr_str r;
    r.ptr = s;
    r.len = strlen(s);
    return r;
}

static atr_value text(const char *s) { return atr_value_strn(s, strlen(s)); }

static atr_field field(const char *name, atr_value value) {
    atr_field f;
    f.name = str_of(name);
    f.value = value;
    return f;
}

/* Define a function of this file with the given parameter names. */
static int define(atr_session *s, const char *qualname, int line, uint32_t flags,
                  const atr_str *params, uint32_t n_params, uint32_t *id) {
    atr_function_info fi;
    memset(&fi, 0, sizeof fi);
    fi.module = str_of("nested_spans");
    fi.qualname = str_of(qualname);
    fi.file = str_of(__FILE__);
    fi.line = (uint32_t)line;
    fi.flags = flags;
    fi.n_params = n_params;
    fi.params = params;
    return atr_session_define_function(s, &fi, id);
}

struct ids {
    uint32_t batch;    /* action "import_batch" */
    uint32_t parse;    /* parse(rows, mode, ratio, header) */
    uint32_t validate; /* validate(record) */
    uint32_t checksum; /* checksum(data) */
};

static int define_all(atr_session *s, struct ids *ids) {
    static const atr_str parse_params[] = {{"rows", 4}, {"mode", 4}, {"ratio", 5}, {"header", 6}};
    static const atr_str validate_params[] = {{"record", 6}};
    static const atr_str checksum_params[] = {{"data", 4}};
    int err;
    if ((err = define(s, "import_batch", __LINE__, ATR_FUNC_ACTION, NULL, 0, &ids->batch)) != 0)
        return err;
    if ((err = define(s, "parse", __LINE__, 0, parse_params, 4, &ids->parse)) != 0)
        return err;
    if ((err = define(s, "validate", __LINE__, 0, validate_params, 1, &ids->validate)) != 0)
        return err;
    return define(s, "checksum", __LINE__, 0, checksum_params, 1, &ids->checksum);
}

/* validate(record): returns True for good records, raises ValueError for record 2. */
static int record_validate(atr_session *s, const struct ids *ids, uint64_t parent, int index) {
    static const atr_value first_items[] = {{ATR_V_STR, 0, {.s = {"id", 2, 2}}}};
    atr_value record = atr_value_summary("dict", 4, 3);
    atr_value ok = atr_value_bool(1);
    uint64_t span = 0;
    int err;

    record.n_items = 1; /* a summary may carry a few leading items */
    record.u.sum.items = first_items;
    if ((err = atr_span_begin(s, ids->validate, parent, ATR_NOW, &record, 1, NULL, 0, &span)))
        return err;
    if (index == 2) {
        atr_value msg = text("record 2: duplicate id 17");
        return atr_span_raise(s, span, ATR_NOW, str_of("ValueError"), &msg);
    }
    return atr_span_return(s, span, ATR_NOW, &ok);
}

/* checksum(data): bytes in, int out. */
static int record_checksum(atr_session *s, const struct ids *ids, uint64_t parent) {
    static const unsigned char data[] = {0x00, 0x01, 0xfe, 0xff, 'a', 'b', 'c'};
    atr_value arg = atr_value_bytes(data, sizeof data);
    atr_value sum = atr_value_int(0x2c3);
    uint64_t span = 0;
    int err;
    if ((err = atr_span_begin(s, ids->checksum, parent, ATR_NOW, &arg, 1, NULL, 0, &span)))
        return err;
    return atr_span_return(s, span, ATR_NOW, &sum);
}

/* import_batch(batch=7) { parse(...) { validate x3 (the third raises), checksum } } */
static int record_calls(atr_session *s, const struct ids *ids) {
    atr_field batch_fields[] = {field("batch", atr_value_int(7)),
                                field("source", text("rows.csv"))};
    atr_value parse_args[4];
    atr_field msg_fields[2];
    atr_value parsed = atr_value_summary("list", 4, 3);
    uint64_t batch = 0, parse = 0;
    int i, err;

    if ((err = atr_span_begin(s, ids->batch, 0, ATR_NOW, NULL, 0, batch_fields, 2, &batch)))
        return err;
    parse_args[0] = atr_value_int(1200);
    parse_args[1] = text("strict");
    parse_args[2] = atr_value_float(0.25);
    parse_args[3] = atr_value_bytes("id,name,score\n", 14);
    /* Long values are truncated by the writer: a string longer than the session's
       max_value_bytes keeps its first bytes and its true length. */
    if ((err = atr_span_begin(s, ids->parse, batch, ATR_NOW, parse_args, 4, NULL, 0, &parse)))
        return err;
    msg_fields[0] = field("rows_read", atr_value_int(1200));
    msg_fields[1] = field("skipped", atr_value_int(3));
    if ((err = atr_message(s, parse, ATR_NOW, str_of("rows_read"), msg_fields, 2)))
        return err;
    for (i = 0; i < 3; i++) {
        err = record_validate(s, ids, parse, i);
        if (err)
            return err;
    }
    if ((err = record_checksum(s, ids, parse)))
        return err;
    if ((err = atr_span_return(s, parse, ATR_NOW, &parsed)))
        return err;
    return atr_span_return(s, batch, ATR_NOW, NULL); /* an action has no result */
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "nested_spans.atr";
    atr_writer_config cfg;
    atr_session *s = NULL;
    struct ids ids;
    int err, close_err;

    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.argc = argc;
    cfg.argv = (const char *const *)argv;
    if ((err = atr_session_open(&cfg, &s)) != 0) {
        fprintf(stderr, "nested_spans: cannot open %s: %s\n", path, atr_strerror(err));
        return 1;
    }
    err = atr_thread_set_name(s, "main", 4);
    if (!err)
        err = define_all(s, &ids);
    if (!err)
        err = record_calls(s, &ids);
    close_err = atr_session_close(s); /* flushes; always frees the session */
    if (err || close_err) {
        fprintf(stderr, "nested_spans: %s\n", atr_strerror(err ? err : close_err));
        return 1;
    }
    printf("%s\n", path);
    return 0;
}
