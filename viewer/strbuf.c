/* Growable byte buffer (see strbuf.h). */
#include "strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void atr__sb_free(atr__sbuf *sb) {
    free(sb->ptr);
    sb->ptr = NULL;
    sb->len = sb->cap = 0;
    sb->oom = 0;
}

void atr__sb_clear(atr__sbuf *sb) {
    sb->len = 0;
    if (sb->ptr)
        sb->ptr[0] = '\0';
}

static int sb_reserve(atr__sbuf *sb, size_t extra) {
    if (sb->oom)
        return -1;
    if (sb->len + extra + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            sb->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(sb->ptr, cap);
    if (!p) {
        sb->oom = 1;
        return -1;
    }
    sb->ptr = p;
    sb->cap = cap;
    return 0;
}

void atr__sb_add(atr__sbuf *sb, const char *p, size_t n) {
    if (sb_reserve(sb, n) < 0)
        return;
    if (n)
        memcpy(sb->ptr + sb->len, p, n);
    sb->len += n;
    sb->ptr[sb->len] = '\0';
}

void atr__sb_puts(atr__sbuf *sb, const char *s) { atr__sb_add(sb, s, strlen(s)); }

void atr__sb_putc(atr__sbuf *sb, char c) { atr__sb_add(sb, &c, 1); }

void atr__sb_pad(atr__sbuf *sb, char c, size_t n) {
    if (sb_reserve(sb, n) < 0)
        return;
    memset(sb->ptr + sb->len, c, n);
    sb->len += n;
    sb->ptr[sb->len] = '\0';
}

void atr__sb_vprintf(atr__sbuf *sb, const char *fmt, va_list ap) {
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof small) {
        atr__sb_add(sb, small, (size_t)n);
    } else if (sb_reserve(sb, (size_t)n) == 0) {
        vsnprintf(sb->ptr + sb->len, (size_t)n + 1, fmt, ap2);
        sb->len += (size_t)n;
    }
    va_end(ap2);
}

void atr__sb_printf(atr__sbuf *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    atr__sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

const char *atr__sb_cstr(atr__sbuf *sb) { return sb->ptr && !sb->oom ? sb->ptr : ""; }

char *atr__sb_take(atr__sbuf *sb) {
    char *p = NULL;
    if (!sb->oom) {
        if (!sb->ptr)
            atr__sb_add(sb, "", 0);
        p = sb->oom ? NULL : sb->ptr;
    } else {
        free(sb->ptr);
    }
    sb->ptr = NULL;
    sb->len = sb->cap = 0;
    sb->oom = 0;
    return p;
}

size_t atr__utf8_width(const char *s, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) != 0x80)
            w++;
    }
    return w;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid; *cp gets the code point. */
size_t atr__utf8_seq(const unsigned char *p, size_t n, uint32_t *cp) {
    unsigned char c = p[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1Fu, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0Fu, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}
