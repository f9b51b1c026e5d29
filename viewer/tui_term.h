/*
 * The TUI's terminal layer: the only code that knows ncurses (tui_term.c includes it). The
 * rest of the TUI draws UTF-8 strings at positions with a few attributes and reads keys.
 *
 * ncurses keeps process-wide state; atr__term_open() creates it (newterm) and
 * atr__term_close() destroys it (endwin + delscreen), so nothing survives a viewer call.
 */
#ifndef ATR_VIEWER_TUI_TERM_H
#define ATR_VIEWER_TUI_TERM_H

/* Keys besides plain bytes (< 0x100). */
enum atr__key {
    ATR__KEY_NONE = -1,
    ATR__KEY_UP = 0x100,
    ATR__KEY_DOWN,
    ATR__KEY_LEFT,
    ATR__KEY_RIGHT,
    ATR__KEY_PGUP,
    ATR__KEY_PGDN,
    ATR__KEY_HOME,
    ATR__KEY_END,
    ATR__KEY_ENTER,
    ATR__KEY_ESC,
    ATR__KEY_BACKSPACE,
    ATR__KEY_RESIZE,
    ATR__KEY_INTR /* Ctrl-C (raw mode: no signal) */
};

/* Attributes for atr__term_put(). */
enum atr__attr {
    ATR__A_NORMAL = 0,
    ATR__A_BOLD = 1,
    ATR__A_REVERSE = 2, /* the selected row, bars */
    ATR__A_DIM = 4,
    ATR__A_RED = 8,  /* exceptions, errors */
    ATR__A_CYAN = 16 /* headings */
};

typedef struct atr__term atr__term;

/* Take over the terminal (stdin/stdout). Returns 0, or ATR_EINVAL when they are not a tty. */
int atr__term_open(atr__term **out);
/* Give the terminal back and free everything. Accepts NULL. */
void atr__term_close(atr__term *t);
/* Screen size. */
void atr__term_size(atr__term *t, int *rows, int *cols);
void atr__term_clear(atr__term *t);
/*
 * Draw `text` (UTF-8, already escaped) at row y, column x, at most `width` columns; with
 * fill, pad with spaces to `width` (bars, the selected row). Control bytes become '?'.
 */
void atr__term_put(atr__term *t, int y, int x, int width, const char *text, int attr, int fill);
/* Show what was drawn. */
void atr__term_refresh(atr__term *t);
/* Wait for a key; returns a byte, an ATR__KEY_* code. */
int atr__term_key(atr__term *t);
/* Same, waiting at most about ms milliseconds: ATR__KEY_NONE when no key came. */
int atr__term_key_wait(atr__term *t, int ms);

#endif /* ATR_VIEWER_TUI_TERM_H */
