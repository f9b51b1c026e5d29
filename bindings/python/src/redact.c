/*
 * redact.c — the session's remembered redacted values (redact.h).
 *
 * A small array compared by length and hash for equality and searched with memmem() for
 * containment. The text of a str is its UTF-8, lone surrogates as U+FFFD, exactly as
 * capture.c writes it, so that the comparison sees the bytes that would reach the log.
 */
#include "redact.h"

#include <string.h>

typedef struct secret {
    uint64_t hash;
    size_t len;
    char *data; /* PyMem */
} secret;

uint32_t atr__secret_n;
uint32_t atr__text_check;
ATR__TLS PyObject *atr__tls_call_redact;
size_t atr__secret_maxlen;
/* Why global: the one session's remembered values (the binding has one active session). */
static secret g_secrets[ATR__SECRET_MAX];

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    return h;
}

void atr__secret_remember_text(const char *p, size_t len) {
    if (len < ATR__SECRET_MIN || atr__secret_n >= ATR__SECRET_MAX)
        return;
    if (len > ATR__SECRET_BYTES)
        len = ATR__SECRET_BYTES;
    uint64_t h = hash_bytes(p, len);
    for (uint32_t i = 0; i < atr__secret_n; i++)
        if (g_secrets[i].hash == h && g_secrets[i].len == len &&
            memcmp(g_secrets[i].data, p, len) == 0)
            return;
    char *d = PyMem_Malloc(len);
    if (d == NULL)
        return;
    memcpy(d, p, len);
    g_secrets[atr__secret_n].hash = h;
    g_secrets[atr__secret_n].len = len;
    g_secrets[atr__secret_n].data = d;
    atr__secret_n++;
    atr__text_check = 1;
    if (len > atr__secret_maxlen)
        atr__secret_maxlen = len;
}

void atr__text_check_update(void) {
    atr__text_check = atr__secret_n != 0 || atr__redact_has_patterns();
}

/* UTF-8 of a str as capture.c writes it (surrogates as U+FFFD), at most ATR__SECRET_BYTES. */
static void remember_str(PyObject *obj) {
#if ATR__UNICODE_READY
    if (PyUnicode_READY(obj) < 0) {
        PyErr_Clear();
        return;
    }
#endif
    if (PyUnicode_IS_ASCII(obj)) {
        atr__secret_remember_text((const char *)PyUnicode_DATA(obj),
                                  (size_t)PyUnicode_GET_LENGTH(obj));
        return;
    }
    char buf[ATR__SECRET_BYTES + 4];
    size_t len = 0;
    int kind = PyUnicode_KIND(obj);
    const void *data = PyUnicode_DATA(obj);
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(obj) && len < ATR__SECRET_BYTES; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= 0xD800 && c <= 0xDFFF)
            c = 0xFFFD;
        if (c < 0x80) {
            buf[len++] = (char)c;
        } else if (c < 0x800) {
            buf[len++] = (char)(0xC0 | (c >> 6));
            buf[len++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            buf[len++] = (char)(0xE0 | (c >> 12));
            buf[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
            buf[len++] = (char)(0x80 | (c & 0x3F));
        } else {
            buf[len++] = (char)(0xF0 | (c >> 18));
            buf[len++] = (char)(0x80 | ((c >> 12) & 0x3F));
            buf[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
            buf[len++] = (char)(0x80 | (c & 0x3F));
        }
    }
    atr__secret_remember_text(buf, len < ATR__SECRET_BYTES ? len : ATR__SECRET_BYTES);
}

static void remember_scalar(PyObject *obj) {
    if (PyUnicode_Check(obj))
        remember_str(obj);
    else if (PyBytes_Check(obj))
        atr__secret_remember_text(PyBytes_AS_STRING(obj), (size_t)PyBytes_GET_SIZE(obj));
    else if (PyByteArray_Check(obj))
        atr__secret_remember_text(PyByteArray_AS_STRING(obj), (size_t)PyByteArray_GET_SIZE(obj));
}

/* Items looked at in a redacted container (tuple, list, dict values). */
#define CONTAINER_ITEMS 64

void atr__secret_remember(PyObject *obj) {
    if (obj == NULL)
        return;
    if (PyTuple_Check(obj) || PyList_Check(obj)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(obj);
        for (Py_ssize_t i = 0; i < n && i < CONTAINER_ITEMS; i++)
            remember_scalar(PySequence_Fast_GET_ITEM(obj, i));
    } else if (PyDict_Check(obj)) {
        Py_ssize_t pos = 0, i = 0;
        PyObject *k, *v;
        while (i++ < CONTAINER_ITEMS && PyDict_Next(obj, &pos, &k, &v))
            remember_scalar(v);
    } else {
        remember_scalar(obj);
    }
}

void atr__secret_remember_vec(PyObject *const *items, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++)
        atr__secret_remember(items[i]);
}

int atr__secret_hit(const char *p, size_t len) {
    for (uint32_t i = 0; i < atr__secret_n; i++) {
        const secret *e = &g_secrets[i];
        if (len == e->len) {
            if (memcmp(p, e->data, len) == 0)
                return 1;
        } else if (len > e->len && e->len >= ATR__SECRET_SUBSTR &&
                   memmem(p, len, e->data, e->len) != NULL) {
            return 1;
        }
    }
    return 0;
}

void atr__secret_clear(void) {
    uint32_t n = atr__secret_n;
    atr__secret_n = 0;
    atr__secret_maxlen = 0;
    atr__text_check_update();
    for (uint32_t i = 0; i < n; i++) {
        volatile char *d = g_secrets[i].data; /* wiped: no copy of a secret left behind */
        for (size_t k = 0; k < g_secrets[i].len; k++)
            d[k] = 0;
        PyMem_Free(g_secrets[i].data);
        g_secrets[i].data = NULL;
    }
}

PyObject *atr__py_redact_values(PyObject *m, PyObject *values) {
    (void)m;
    PyObject *fast = PySequence_Fast(values, "argtrace: redact_values needs a sequence");
    if (fast == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++)
        remember_scalar(PySequence_Fast_GET_ITEM(fast, i));
    Py_DECREF(fast);
    Py_RETURN_NONE;
}
