/*
 * The viewer's width helpers (viewer/render.h): values cut in the middle with their length,
 * names cut from the left at a dot, tables that give up columns and cut one, text wrapped
 * at spaces. Every result fits the columns asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "atr_test.h"
#include "render.h"

static size_t cols(const char *s) { return atr__utf8_width(s, strlen(s)); }

/* Fit `text` with a helper; returns a static copy. */
static const char *fit(const char *text, size_t maxw, int mode, const char *what) {
    static char out[512];
    atr__sbuf sb = ATR__SBUF_INIT;
    atr__sb_puts(&sb, "> ");
    size_t from = sb.len;
    atr__sb_puts(&sb, text);
    if (mode == ATR__FIT_LEFT)
        atr__sb_fit_left(&sb, from, maxw);
    else if (mode == ATR__FIT_MID)
        atr__sb_fit_mid(&sb, from, maxw, what);
    else
        atr__sb_fit(&sb, from, maxw);
    snprintf(out, sizeof out, "%s", atr__sb_cstr(&sb) + 2);
    ATR_CHECK(strncmp(atr__sb_cstr(&sb), "> ", 2) == 0); /* text before `from` stays */
    atr__sb_free(&sb);
    return out;
}

static const char *value(const atr_value *v, size_t maxv) {
    static char out[4096];
    atr__sbuf sb = ATR__SBUF_INIT;
    atr__render_value_fit(&sb, v, maxv);
    snprintf(out, sizeof out, "%s", atr__sb_cstr(&sb));
    atr__sb_free(&sb);
    if (maxv)
        ATR_CHECK(cols(out) <= maxv);
    return out;
}

static void test_fit_left(void) {
    const char *name = "sqlparse.filters.reindent.ReindentFilter._process";
    ATR_CHECK_EQ_STR(fit(name, 60, ATR__FIT_LEFT, NULL), name);
    ATR_CHECK_EQ_STR(fit(name, 40, ATR__FIT_LEFT, NULL), "…reindent.ReindentFilter._process");
    ATR_CHECK_EQ_STR(fit(name, 30, ATR__FIT_LEFT, NULL), "…ReindentFilter._process");
    /* the dot would leave the method alone: keep most of the class */
    ATR_CHECK_EQ_STR(fit(name, 20, ATR__FIT_LEFT, NULL), "…dentFilter._process");
    /* a dot just after the cut: start after it */
    ATR_CHECK_EQ_STR(fit("app.longclassname.check_all_the_rows", 22, ATR__FIT_LEFT, NULL),
                     "…check_all_the_rows");
    ATR_CHECK_EQ_STR(fit("app.r.check_all_the_rows", 22, ATR__FIT_LEFT, NULL),
                     "…r.check_all_the_rows");
    for (size_t w = 2; w < 52; w++)
        ATR_CHECK(cols(fit(name, w, ATR__FIT_LEFT, NULL)) <= w);
    ATR_CHECK_EQ_STR(fit("ünïcödé.ñame.tail", 10, ATR__FIT_LEFT, NULL), "…ñame.tail");
}

static void test_fit_mid(void) {
    const char *t = "abcdefghijklmnopqrstuvwxyz0123456789";
    ATR_CHECK_EQ_STR(fit(t, 36, ATR__FIT_MID, "36 chars"), t);
    ATR_CHECK_EQ_STR(fit(t, 30, ATR__FIT_MID, "36 chars"), "abcdefghijk…(36 chars)…3456789");
    /* too little room for the note: a bare ellipsis */
    ATR_CHECK_EQ_STR(fit(t, 12, ATR__FIT_MID, "36 chars"), "abcdefg…6789");
    ATR_CHECK_EQ_STR(fit(t, 12, ATR__FIT_MID, NULL), "abcdefg…6789");
    for (size_t w = 1; w < 40; w++)
        ATR_CHECK(cols(fit(t, w, ATR__FIT_MID, "36 chars")) <= w);
    /* with a length too long for the middle form: the start and the length */
    atr__sbuf sb = ATR__SBUF_INIT;
    atr__sb_puts(&sb, "'[section0] key0 = value… (12,379 bytes)");
    atr__sb_fit_middle(&sb, 0, 16, 12379);
    ATR_CHECK_EQ_STR(atr__sb_cstr(&sb), "'[s…(len 12,379)");
    for (size_t w = 1; w < 44; w++) {
        atr__sb_clear(&sb);
        atr__sb_puts(&sb, "'[section0] key0 = value… (12,379 bytes)");
        atr__sb_fit_middle(&sb, 0, w, 12379);
        ATR_CHECK(cols(atr__sb_cstr(&sb)) <= w);
        if (w >= 15) /* room for 2 columns and the length: it is there */
            ATR_CHECK(strstr(atr__sb_cstr(&sb), "12,379") != NULL);
    }
    atr__sb_free(&sb);
    /* UTF-8 is cut between code points */
    ATR_CHECK_EQ_STR(fit("ééééééééééééééééééééé", 9, ATR__FIT_MID, NULL), "ééééé…ééé");
    /* never inside an escape: the tail of "…(199, \'x\', 3)'" cut after its backslash read
       "…', 3)'", a quote that looked like the value's end (sqlparse.format's sql, slow) */
    ATR_CHECK_EQ_STR(fit("'abcdefghij\\', 3)'", 16, ATR__FIT_MID, NULL), "'abcdefgh…, 3)'");
    ATR_CHECK_EQ_STR(fit("'abcd\\x07fghijklmnopq'", 12, ATR__FIT_MID, NULL), "'abcd…opq'");
    ATR_CHECK_EQ_STR(fit("'abcdefghij\\u200bklmnop'", 21, ATR__FIT_MID, NULL),
                     "'abcdefghij…klmnop'");
    ATR_CHECK_EQ_STR(fit("'abcdef\\nghijk'", 9, ATR__FIT_RIGHT, NULL), "'abcdef…");
    ATR_CHECK_EQ_STR(fit("'abcde\\x07ghijk'", 10, ATR__FIT_RIGHT, NULL), "'abcde…");
    const char *esc = "'a\\'b\\x07c\\u200bd\\\\e\\nf\\'g'";
    for (size_t w = 1; w < 32; w++) { /* every cut: each backslash starts a whole escape */
        const char *out = fit(esc, w, ATR__FIT_MID, NULL);
        ATR_CHECK(cols(out) <= w);
        for (const char *b = strchr(out, '\\'); b; b = strchr(b + 2, '\\'))
            ATR_CHECK(b[1] == '\'' || b[1] == 'n' || b[1] == '\\' ||
                      (b[1] == 'x' && strncmp(b, "\\x07", 4) == 0) ||
                      (b[1] == 'u' && strncmp(b, "\\u200b", 6) == 0));
    }
}

static void test_values(void) {
    char sql[2305];
    static const char clause[] = "SELECT a, b FROM t WHERE x ";
    for (size_t i = 0; i < 2304; i++)
        sql[i] = clause[i % (sizeof clause - 1)];
    memcpy(sql + 2304 - 7, "WHERE x", 7);
    atr_value v = atr_value_strn(sql, 2304);
    ATR_CHECK_EQ_STR(value(&v, 35), "'SELECT a, b…(2,304 chars)…WHERE x'");
    ATR_CHECK(strlen(value(&v, 0)) == 2306); /* no limit: the whole value, quoted */
    /* characters, not bytes */
    atr_value u = atr_value_strn("ééééééééééééééééééééééééééééééééééééééééé", 82);
    ATR_CHECK(strstr(value(&u, 30), "…(41 chars)…") != NULL);
    /* bytes say bytes */
    static const char blob[200] = {0};
    atr_value b = atr_value_bytes(blob, sizeof blob);
    ATR_CHECK(strstr(value(&b, 40), "…(200 bytes)…") != NULL);
    /* a value the capture cut keeps its start and says how long it was */
    atr_value t = atr_value_strn(sql, 100);
    t.u.s.true_len = 12345;
    ATR_CHECK_EQ_STR(value(&t, 40), "'SELECT a, b FROM t WHER… (12,345 bytes)");
    const char *whole = value(&t, 0);
    ATR_CHECK(strlen(whole) == 1 + 100 + strlen("'… (12,345 bytes)") &&
              strncmp(whole, "'SELECT a, b", 12) == 0 &&
              strcmp(whole + 101, "'… (12,345 bytes)") == 0);
    /* short values are not touched */
    atr_value i = atr_value_int(42);
    ATR_CHECK_EQ_STR(value(&i, 24), "42");
    atr_value s = atr_value_strn("upper", 5);
    ATR_CHECK_EQ_STR(value(&s, 24), "'upper'");
}

/* A summary too wide: whole items give way, at every level, so that what is left keeps its
   structure (a cut in the middle joined items of different inner lists: "<list len=8:
   'r0c0', 'r0c1'…', 'r2c1', 'r2c2', …>"). */
static void test_summaries(void) {
    static const char *cells[3][3] = {
        {"r0c0<&>", "r0c1<&>", "r0c2<&>"},
        {"r1c0<&>", "r1c1<&>", "r1c2<&>"},
        {"r2c0<&>", "r2c1<&>", "r2c2<&>"},
    };
    atr_value inner[3], str[3][3];
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++)
            str[r][c] = atr_value_strn(cells[r][c], strlen(cells[r][c]));
        inner[r] = atr_value_summary("list", 4, 8);
        inner[r].u.sum.items = str[r];
        inner[r].n_items = 3;
    }
    atr_value rows = atr_value_summary("list", 4, 500);
    rows.u.sum.items = inner;
    rows.n_items = 3;
    const char *whole = value(&rows, 0);
    ATR_CHECK_EQ_STR(whole, "<list len=500: <list len=8: 'r0c0<&>', 'r0c1<&>', 'r0c2<&>', …>, "
                            "<list len=8: 'r1c0<&>', 'r1c1<&>', 'r1c2<&>', …>, "
                            "<list len=8: 'r2c0<&>', 'r2c1<&>', 'r2c2<&>', …>, …>");
    ATR_CHECK_EQ_STR(value(&rows, (size_t)cols(whole)), whole);
    ATR_CHECK_EQ_STR(value(&rows, 100), "<list len=500: <list len=8: 'r0c0<&>', 'r0c1<&>', …>, "
                                        "<list len=8: 'r1c0<&>', 'r1c1<&>', …>, …>");
    ATR_CHECK_EQ_STR(value(&rows, 60), "<list len=500: <list len=8: 'r0c0<&>', …>, …>");
    ATR_CHECK_EQ_STR(value(&rows, 30), "<list len=500: …>");
    /* not even that: its start */
    ATR_CHECK_EQ_STR(value(&rows, 12), "<list len=5…");
    for (size_t w = 1; w < 200; w++) {
        const char *got = value(&rows, w); /* value() checks the width */
        ATR_CHECK(strncmp(got, "<list", w < 6 ? w - 1 : 5) == 0);
        ATR_CHECK(strstr(got, "r0c1<&>', 'r2c") == NULL && strstr(got, "'…'") == NULL);
    }
    /* without items: cut in the middle as before */
    atr_value obj = atr_value_summary("a.very.long.module.path.SomeClassName", 37, -1);
    ATR_CHECK_EQ_STR(value(&obj, 20), "<a.very.long…ssName>");
}

/* Print a table into a string. */
static const char *table_text(atr__table *t) {
    static char out[4096];
    FILE *f = fmemopen(out, sizeof out, "w");
    ATR_REQUIRE(f != NULL);
    ATR_CHECK_OK(atr__table_print(t, f, 0, 0));
    fclose(f);
    return out;
}

static void test_table(void) {
    static const char *const heads[] = {"function", "calls", "p50", "p95", "max"};
    atr__table t;
    atr__table_init(&t, 5, heads, "lrrrr");
    atr__table_cell(&t, "sqlparse.filters.reindent.ReindentFilter._process_default");
    atr__table_cell(&t, "9,620");
    atr__table_cell(&t, "8.04 µs");
    atr__table_cell(&t, "137 µs");
    atr__table_cell(&t, "124 ms");
    /* no limit: as it is */
    ATR_CHECK_EQ_STR(table_text(&t),
                     "function                                                   calls      p50"
                     "     p95     max\n"
                     "sqlparse.filters.reindent.ReindentFilter._process_default  9,620  8.04 µs"
                     "  137 µs  124 ms\n");
    /* 60 columns: the name gives up its start */
    atr__table_fit(&t, 60, 0, ATR__FIT_LEFT, 20, "3");
    ATR_CHECK_EQ_STR(table_text(&t),
                     "function                      calls      p50     p95     max\n"
                     "…dentFilter._process_default  9,620  8.04 µs  137 µs  124 ms\n");
    /* 45: the name would be under 30 columns: p95 goes */
    atr__table_fit(&t, 45, 0, ATR__FIT_LEFT, 30, "3");
    ATR_CHECK_EQ_STR(table_text(&t), "function               calls      p50     max\n"
                                     "…_process_default      9,620  8.04 µs  124 ms\n");
    /* far too narrow: lines are still cut to the width */
    atr__table_fit(&t, 20, 0, ATR__FIT_LEFT, 30, "3");
    const char *s = table_text(&t);
    for (const char *line = s; *line;) {
        const char *nl = strchr(line, '\n');
        ATR_REQUIRE(nl != NULL);
        ATR_CHECK(atr__utf8_width(line, (size_t)(nl - line)) <= 20);
        line = nl + 1;
    }
    atr__table_free(&t);
}

static void test_wrap(void) {
    char out[512];
    FILE *f = fmemopen(out, sizeof out, "w");
    ATR_REQUIRE(f != NULL);
    atr__fput_wrap(f, "one two three four five six\nshort\n", 10);
    atr__fput_wrap(f, "averyveryverylongword and more", 10);
    atr__fput_wrap(f, "\nno limit here at all", 0);
    fclose(f);
    ATR_CHECK_EQ_STR(out, "one two\nthree four\nfive six\nshort\n"
                          "averyveryverylongword\nand more\nno limit here at all");
}

int main(void) {
    test_fit_left();
    test_fit_mid();
    test_values();
    test_summaries();
    test_table();
    test_wrap();
    ATR_TEST_MAIN_END();
}
