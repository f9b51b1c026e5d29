/*
 * A program that embeds an INSTALLED argtrace (tests/install/run.sh builds it with
 * find_package and with pkg-config): it records one span into the log named by argv[1],
 * then reads the log back and checks what it finds. Built with -DATR_CONSUMER_WRITER_ONLY
 * it only records (it links libargtrace_writer.a, which has no reader).
 */
#include <argtrace/atr.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, int err) {
    fprintf(stderr, "consumer: %s: %s (%s)\n", what, atr_strerror(err), atr_errname(err));
    return 1;
}

int main(int argc, char **argv) {
    atr_writer_config cfg;
    atr_session *s = NULL;
    atr_str params[1] = {{"n", 1}};
    atr_function_info fi;
    atr_value arg = atr_value_int(42), res = atr_value_int(43);
    uint32_t fid = 0;
    uint64_t span = 0;
    int err;

    if (argc != 2) {
        fprintf(stderr, "usage: consumer LOG\n");
        return 2;
    }
    if (strcmp(atr_version(), ATR_VERSION_STRING) != 0) {
        fprintf(stderr, "consumer: library %s, header %s\n", atr_version(), ATR_VERSION_STRING);
        return 1;
    }
    atr_writer_config_init(&cfg);
    cfg.path = argv[1];
    if ((err = atr_session_open(&cfg, &s)) != 0)
        return fail("atr_session_open", err);
    memset(&fi, 0, sizeof fi);
    fi.module.ptr = "consumer";
    fi.module.len = strlen("consumer");
    fi.qualname.ptr = "answer";
    fi.qualname.len = strlen("answer");
    fi.n_params = 1;
    fi.params = params;
    if ((err = atr_session_define_function(s, &fi, &fid)) != 0)
        return fail("atr_session_define_function", err);
    if ((err = atr_span_begin(s, fid, 0, ATR_NOW, &arg, 1, NULL, 0, &span)) != 0)
        return fail("atr_span_begin", err);
    if ((err = atr_span_return(s, span, ATR_NOW, &res)) != 0)
        return fail("atr_span_return", err);
    if ((err = atr_session_close(s)) != 0)
        return fail("atr_session_close", err);

#ifndef ATR_CONSUMER_WRITER_ONLY
    {
        atr_reader *r = NULL;
        atr_record rec;
        int starts = 0, ends = 0;
        if ((err = atr_reader_open(argv[1], &r)) != 0)
            return fail("atr_reader_open", err);
        while ((err = atr_reader_next(r, &rec)) == 0) {
            if (rec.kind == ATR_REC_START && rec.u.start.n_args == 1 &&
                rec.u.start.args[0].kind == ATR_V_INT && rec.u.start.args[0].u.i == 42)
                starts++;
            if (rec.kind == ATR_REC_END && rec.u.end.status == ATR_END_RETURN &&
                rec.u.end.value.kind == ATR_V_INT && rec.u.end.value.u.i == 43)
                ends++;
        }
        if (err != ATR_EOF || !atr_reader_closed_cleanly(r)) {
            fprintf(stderr, "consumer: reading %s: %s\n", argv[1], atr_reader_error(r));
            atr_reader_close(r);
            return 1;
        }
        atr_reader_close(r);
        if (starts != 1 || ends != 1) {
            fprintf(stderr, "consumer: expected 1 START(42) and 1 END(43), got %d and %d\n", starts,
                    ends);
            return 1;
        }
    }
#endif
    printf("consumer: ok (%s)\n", argv[1]);
    return 0;
}
