/*
 * The TUI framework: a stack of views, each a scrollable list of rows with a cursor. Views
 * plug in through atr__view_ops (function pointers); the framework draws the title bar,
 * column header, rows and status line, and handles moving, paging, search (/ n N), help (?)
 * and going back (q, Esc, Left). Views: functions → arguments and groups → calls → call tree,
 * and the replay of events (tui_*.c).
 */
#ifndef ATR_VIEWER_TUI_H
#define ATR_VIEWER_TUI_H

#include <stdint.h>
#include <stdio.h>

#include "argtrace/atr_analysis.h"
#include "cmd.h"
#include "strbuf.h"
#include "tui_term.h"

typedef struct atr__tui atr__tui;
typedef struct atr__view atr__view;

typedef struct atr__view_ops {
    /* Number of rows. */
    uint64_t (*count)(atr__view *v);
    /* Text of row i into sb (already escaped); *attr may add ATR__A_* bits. */
    void (*row)(atr__view *v, uint64_t i, atr__sbuf *sb, int *attr);
    /* Column header line (may leave sb empty). */
    void (*header)(atr__view *v, atr__sbuf *sb);
    /* Enter (or Right) on row i. Returns 0 or a negative ATR_E* code. */
    int (*enter)(atr__view *v, uint64_t i);
    /* Any other key; return 1 when handled. */
    int (*key)(atr__view *v, int key);
    /* Free v->data. */
    void (*destroy)(atr__view *v);
    /* One line of keys for the status bar, e.g. "Enter: calls  r: replay". */
    const char *hint;
} atr__view_ops;

struct atr__view {
    const atr__view_ops *ops;
    atr__tui *app;
    atr__view *below; /* the view under this one on the stack */
    char title[160];  /* escaped */
    uint64_t cursor, top;
    void *data; /* owned by the view, freed by ops->destroy */
    /* Set after the push to draw the body (rows y .. y + height - 1) instead of one row per
       line (ops->row still gives the text search looks at). NULL: rows. */
    void (*draw)(atr__view *v, int y, int height);
};

struct atr__tui {
    atr__term *term;
    const atr_index *ix;
    atr__view *top; /* current view */
    int quit;
    int rows, cols;
    char status[200];   /* one-shot message for the status line */
    char search[128];   /* last search text */
    atr_events *events; /* opened on first use by the replay view */
    char badge[64];     /* shown before the title ("live", "finished"); "" : none */
};

/* Push a new view (takes ownership of data; on failure data is freed through ops). */
int atr__tui_push(atr__tui *app, const atr__view_ops *ops, void *data, const char *title);
/* Pop the current view (the last one quits). */
void atr__tui_pop(atr__tui *app);
/* Show a message on the status line until the next key. */
void atr__tui_message(atr__tui *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ask for a line of text on the status line; returns 1 with buf filled, 0 if cancelled. */
int atr__tui_prompt(atr__tui *app, const char *label, char *buf, size_t size);
/* Move the cursor of v to row i, scrolling as needed. */
void atr__tui_goto(atr__view *v, uint64_t i);
/* Same for a jump (search, go to time): a row out of view is shown a third down the page. */
void atr__tui_jump(atr__view *v, uint64_t i);
/* Number of rows available for the list. */
int atr__tui_page(const atr__tui *app);

/* Run the TUI on an index (root view: functions). Returns an ATR_VIEWER_* status. */
int atr__tui_run(const atr_index *ix, FILE *err);

/* Push the root view (0 or a negative ATR_E* code). */
typedef int (*atr__tui_root_fn)(atr__tui *app, void *ctx);
/* Run the TUI with another root view (`diff --tui`). Returns an ATR_VIEWER_* status. */
int atr__tui_run_root(const atr_index *ix, FILE *err, atr__tui_root_fn root, void *ctx);

/* Live mode (tui_live.c): fn is called about every `ms` while no key comes, and after each
   key; it may swap the index with atr__tui_reset(). */
typedef struct atr__tui_tick {
    void (*fn)(atr__tui *app, void *ctx);
    void *ctx;
    int ms;
} atr__tui_tick;
/* Run the TUI (root view: functions) with a tick. Returns an ATR_VIEWER_* status. */
int atr__tui_run_ticking(const atr_index *ix, FILE *err, const atr__tui_tick *tick);
/* `view --follow`: the TUI on logs being written (tui_live.c). An ATR_VIEWER_* status. */
int atr__tui_follow(const atr__vctx *ctx, const char *const *paths, int n);
/* Drop every view (without quitting) and the replay's events; show ix from now on. */
void atr__tui_reset(atr__tui *app, const atr_index *ix);

/* Views (tui_*.c). Each returns 0 or a negative ATR_E* code. */
int atr__tui_functions(atr__tui *app);
/* The functions view v (atr__tui_functions): the selected function (UINT32_MAX: none), and
   selecting one. */
uint32_t atr__tui_functions_selected(const atr__view *v);
void atr__tui_functions_select(atr__view *v, uint32_t fn);
int atr__tui_args(atr__tui *app, uint32_t fn);
int atr__tui_calls(atr__tui *app, uint32_t fn, const char *filter, const char *title);
int atr__tui_tree(atr__tui *app, uint32_t call);
int atr__tui_why(atr__tui *app, uint32_t call);
int atr__tui_replay(atr__tui *app, uint32_t call);
int atr__tui_flame(atr__tui *app, uint32_t call); /* tui_flame.c */
int atr__tui_help(atr__tui *app);                 /* tui_help.c */
/* tui_diff.c: the functions of a diff (borrowed: it outlives the TUI), one's groups. */
int atr__tui_diff(atr__tui *app, const atr_diff *d);
int atr__tui_diff_groups(atr__tui *app, const atr_diff *d, uint32_t i);

#endif /* ATR_VIEWER_TUI_H */
