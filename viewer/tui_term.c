/*
 * ncurses behind the small API of tui_term.h. The only file of the project that includes
 * curses.h. Locale: ncursesw needs a UTF-8 LC_CTYPE to draw UTF-8; when the process runs in
 * the C locale we switch to the environment's locale while the screen is open and restore
 * it after. Without a UTF-8 locale, non-ASCII characters are drawn as '?'.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include "tui_term.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "argtrace/atr_common.h"
#include "strbuf.h"

struct atr__term {
    SCREEN *screen;
    char *saved_locale; /* LC_CTYPE before open, owned; NULL if unchanged */
    int utf8;           /* the locale is UTF-8 */
    int color;          /* colour pairs available and NO_COLOR unset */
    int early_errors;   /* atr__term_key_wait(): ERR returns long before the time was up */
};

int atr__term_open(atr__term **out) {
    *out = NULL;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return ATR_EINVAL;
    atr__term *t = calloc(1, sizeof *t);
    if (!t)
        return ATR_ENOMEM;
    const char *cur = setlocale(LC_CTYPE, NULL);
    if (cur && (strcmp(cur, "C") == 0 || strcmp(cur, "POSIX") == 0)) {
        t->saved_locale = strdup(cur);
        setlocale(LC_CTYPE, "");
    }
    const char *cs = nl_langinfo(CODESET);
    t->utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
    t->screen = newterm(NULL, stdout, stdin);
    if (!t->screen) {
        atr__term_close(t);
        return ATR_EINVAL;
    }
    set_term(t->screen);
    raw();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    const char *nc = getenv("NO_COLOR");
    if (has_colors() && !(nc && nc[0])) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_RED, -1);
        init_pair(2, COLOR_CYAN, -1);
        t->color = 1;
    }
    *out = t;
    return 0;
}

void atr__term_close(atr__term *t) {
    if (!t)
        return;
    if (t->screen) {
        endwin();
        delscreen(t->screen);
    }
    if (t->saved_locale) {
        setlocale(LC_CTYPE, t->saved_locale);
        free(t->saved_locale);
    }
    free(t);
}

void atr__term_size(atr__term *t, int *rows, int *cols) {
    (void)t;
    getmaxyx(stdscr, *rows, *cols);
}

void atr__term_clear(atr__term *t) {
    (void)t;
    erase();
}

static attr_t to_curses(atr__term *t, int attr) {
    attr_t a = A_NORMAL;
    if (attr & ATR__A_BOLD)
        a |= A_BOLD;
    if (attr & ATR__A_REVERSE)
        a |= A_REVERSE;
    if (attr & ATR__A_DIM)
        a |= A_DIM;
    if (t->color && (attr & ATR__A_RED))
        a |= COLOR_PAIR(1);
    else if (t->color && (attr & ATR__A_CYAN))
        a |= COLOR_PAIR(2);
    return a;
}

void atr__term_put(atr__term *t, int y, int x, int width, const char *text, int attr, int fill) {
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    if (y < 0 || y >= rows || x < 0 || x >= cols || width <= 0)
        return;
    if (x + width > cols)
        width = cols - x;
    /* copy at most `width` code points, making control bytes and (without UTF-8) any
       non-ASCII character harmless */
    atr__sbuf sb = ATR__SBUF_INIT;
    int w = 0;
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text), i = 0;
    while (i < n && w < width) {
        uint32_t cp;
        size_t len = atr__utf8_seq(p + i, n - i, &cp);
        if (len == 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
            (len > 1 && !t->utf8)) {
            atr__sb_putc(&sb, '?');
            i += len ? len : 1;
        } else {
            atr__sb_add(&sb, text + i, len);
            i += len;
        }
        w++;
    }
    if (fill && w < width)
        atr__sb_pad(&sb, ' ', (size_t)(width - w));
    attr_t a = to_curses(t, attr);
    attron(a);
    mvaddstr(y, x, atr__sb_cstr(&sb));
    attroff(a);
    atr__sb_free(&sb);
}

void atr__term_refresh(atr__term *t) {
    (void)t;
    refresh();
}

int atr__term_key(atr__term *t) {
    (void)t;
    int errors = 0;
    for (;;) {
        int c = getch();
        switch (c) {
        case ERR: /* a signal, or the terminal went away: do not spin forever */
            if (++errors > 100)
                return ATR__KEY_INTR;
            continue;
        case KEY_UP:
            return ATR__KEY_UP;
        case KEY_DOWN:
            return ATR__KEY_DOWN;
        case KEY_LEFT:
            return ATR__KEY_LEFT;
        case KEY_RIGHT:
            return ATR__KEY_RIGHT;
        case KEY_PPAGE:
            return ATR__KEY_PGUP;
        case KEY_NPAGE:
            return ATR__KEY_PGDN;
        case KEY_HOME:
            return ATR__KEY_HOME;
        case KEY_END:
            return ATR__KEY_END;
        case KEY_ENTER:
        case '\n':
        case '\r':
            return ATR__KEY_ENTER;
        case 27:
            return ATR__KEY_ESC;
        case KEY_BACKSPACE:
        case 127:
        case 8:
            return ATR__KEY_BACKSPACE;
        case KEY_RESIZE:
            return ATR__KEY_RESIZE;
        case 3:
            return ATR__KEY_INTR;
        default:
            if (c >= 0 && c < 0x100)
                return c;
            continue;
        }
    }
}

int atr__term_key_wait(atr__term *t, int ms) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    timeout(ms);
    int c = getch();
    timeout(-1);
    if (c != ERR) {
        ungetch(c);
        return atr__term_key(t);
    }
    /* ERR long before the time was up, again and again: the terminal went away */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long waited = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
    if (waited < ms / 4) {
        if (++t->early_errors > 100)
            return ATR__KEY_INTR;
    } else {
        t->early_errors = 0;
    }
    return ATR__KEY_NONE;
}
