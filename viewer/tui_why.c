/*
 * TUI view: why was this call slow — the text of `argtrace why` (cmd_why.c renders it to a
 * memory stream), one row per line. Enter opens the call's tree, w the why of the child
 * call worth a closer look (its "next:" line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_call.h"
#include "tui.h"
#include "why.h"

typedef struct whyv {
    char *text;   /* owned: the rendered lines, NUL-separated */
    char **lines; /* owned array of pointers into text */
    uint64_t n;
    uint32_t call, next;
} whyv;

static uint64_t why_count(atr__view *v) { return ((whyv *)v->data)->n; }

static void why_row(atr__view *v, uint64_t i, atr__sbuf *sb, int *attr) {
    whyv *w = v->data;
    (void)attr;
    atr__sb_puts(sb, w->lines[i]); /* rendered by cmd_why.c: log text already escaped */
}

static void why_header(atr__view *v, atr__sbuf *sb) {
    (void)v;
    (void)sb;
}

static int why_enter(atr__view *v, uint64_t i) {
    (void)i;
    return atr__tui_tree(v->app, ((whyv *)v->data)->call);
}

static int why_key(atr__view *v, int k) {
    whyv *w = v->data;
    if (k != 'w')
        return 0;
    if (w->next == ATR_NO_CALL)
        atr__tui_message(v->app, "no child call accounts for extra time");
    else if (atr__tui_why(v->app, w->next) < 0)
        atr__tui_message(v->app, "out of memory");
    return 1;
}

static void why_destroy(atr__view *v) {
    whyv *w = v->data;
    if (w) {
        free(w->lines);
        free(w->text);
        free(w);
    }
}

static const atr__view_ops why_ops = {why_count,
                                      why_row,
                                      why_header,
                                      why_enter,
                                      why_key,
                                      why_destroy,
                                      "Enter: call tree  w: why of the next call"};

/* Split text (len bytes) into lines in place. */
static int split_lines(whyv *w, size_t len) {
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += w->text[i] == '\n';
    w->lines = malloc((size_t)(n ? n : 1) * sizeof(char *));
    if (!w->lines)
        return ATR_ENOMEM;
    char *p = w->text, *end = w->text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        *nl = '\0';
        w->lines[w->n++] = p;
        p = nl + 1;
    }
    return 0;
}

int atr__tui_why(atr__tui *app, uint32_t call) {
    whyv *w = calloc(1, sizeof *w);
    size_t len = 0;
    FILE *mem = w ? open_memstream(&w->text, &len) : NULL;
    if (!mem) {
        free(w);
        return ATR_ENOMEM;
    }
    w->call = call;
    atr__vctx ctx = {.out = mem, .prog = "argtrace", .cmd = "why"};
    int rc = atr__why_text(&ctx, app->ix, call, 0, 1, NULL, 0, 0, &w->next);
    if (fclose(mem) != 0 && rc == 0)
        rc = ATR_ENOMEM;
    if (rc == 0)
        rc = split_lines(w, len);
    if (rc < 0) {
        atr__view tmp = {.ops = &why_ops, .app = app, .data = w};
        why_destroy(&tmp);
        return rc;
    }
    atr__sbuf title = ATR__SBUF_INIT;
    atr__sb_puts(&title, "why was call ");
    atr__sb_call_id(&title, app->ix, call);
    atr__sb_puts(&title, " slow?");
    rc = atr__tui_push(app, &why_ops, w, atr__sb_cstr(&title));
    atr__sb_free(&title);
    return rc;
}
