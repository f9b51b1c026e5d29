/*
 * A growable byte buffer for building output text (sds-like, but a plain struct).
 *
 * Errors are sticky: after an allocation failure every append is a no-op and `oom` stays
 * set, so callers build a whole line and check once at the end.
 */
#ifndef ATR_VIEWER_STRBUF_H
#define ATR_VIEWER_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct atr__sbuf {
    char *ptr; /* NUL-terminated when len > 0 or after atr__sb_cstr(); owned */
    size_t len;
    size_t cap;
    int oom; /* an allocation failed */
} atr__sbuf;

#define ATR__SBUF_INIT \
    { NULL, 0, 0, 0 }

void atr__sb_free(atr__sbuf *sb);
void atr__sb_clear(atr__sbuf *sb); /* keep the memory, length 0 */
void atr__sb_add(atr__sbuf *sb, const char *p, size_t n);
void atr__sb_puts(atr__sbuf *sb, const char *s);
void atr__sb_putc(atr__sbuf *sb, char c);
void atr__sb_printf(atr__sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void atr__sb_vprintf(atr__sbuf *sb, const char *fmt, va_list ap);
void atr__sb_pad(atr__sbuf *sb, char c, size_t n); /* append n copies of c */
/* The text as a C string ("" when empty; never NULL). */
const char *atr__sb_cstr(atr__sbuf *sb);
/* Take the buffer (caller frees); the sbuf becomes empty. NULL after an allocation failure. */
char *atr__sb_take(atr__sbuf *sb);

/* Display width of UTF-8 text in terminal columns (code points; invalid bytes count 1). */
size_t atr__utf8_width(const char *s, size_t n);

/* Length (1..4) of the valid UTF-8 sequence at p (n bytes available), or 0 if invalid
 * (overlong, surrogate, out of range, cut short); *cp receives the code point. */
size_t atr__utf8_seq(const unsigned char *p, size_t n, uint32_t *cp);

#endif /* ATR_VIEWER_STRBUF_H */
