/*
 * redact.h — values redacted once stay redacted in the session (DESIGN.md §4, README
 * "Redaction"). When a value is written ATR_V_REDACTED because its name matched a redact
 * pattern, its text (a str or bytes-like value of at least ATR__SECRET_MIN bytes, or such
 * items of a tuple/list and values of a dict) is remembered until the session stops. From
 * then on every str/bytes value the converter writes (arguments, results, container items,
 * exception messages, repr text, log fields) that equals a remembered value, or contains one
 * of at least ATR__SECRET_SUBSTR bytes, is written ATR_V_REDACTED instead.
 *
 * While the session has redact patterns, captured text is also searched for credentials
 * (redact_text.c): a URL's password, a value named by a matching name inside the text
 * (`password=...`, `"api_key": "..."`, `Authorization: ...`). Such text is written
 * ATR_V_REDACTED, and the credential remembered as above.
 *
 * Cost: one read of atr__text_check per str/bytes value; nothing else while it is 0. GIL held.
 */
#ifndef ATR_PY_REDACT_H
#define ATR_PY_REDACT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdint.h>

#include <argtrace/atr_common.h>

#include "compat.h"

/* Shorter values are not remembered (they would redact too much by accident). */
#define ATR__SECRET_MIN 4
/* Remembered values at least this long are also found inside longer text. */
#define ATR__SECRET_SUBSTR 8
/* At most this many distinct values per session; at most this many bytes of each. */
#define ATR__SECRET_MAX 256
#define ATR__SECRET_BYTES 4096

/* How many values are remembered. */
extern uint32_t atr__secret_n;
/* Nonzero while captured text is checked at all: values remembered or session patterns set. */
extern uint32_t atr__text_check;
/* Text is read this far past a cut for a credential that straddles it (bytes). */
#define ATR__CREDENTIAL_REACH 256
/* The longest remembered value (bytes): text is scanned this far past a cut. */
extern size_t atr__secret_maxlen;

/* Remember obj's text (see above); anything else is ignored. Never raises. */
void atr__secret_remember(PyObject *obj);
/* The same for each of items[0..n). */
void atr__secret_remember_vec(PyObject *const *items, Py_ssize_t n);
/* Remember raw text (argv values): at least ATR__SECRET_MIN bytes. */
void atr__secret_remember_text(const char *p, size_t len);
/* 1 if p[0..len) equals or contains a remembered value. */
int atr__secret_hit(const char *p, size_t len);
/* Forget everything (session start and stop). */
void atr__secret_clear(void);
/* atr__text_check from what is remembered and the patterns (redact.c, redact_text.c). */
void atr__text_check_update(void);

/* The session's redact patterns (a tuple of lower-cased str; NULL or empty: none), copied:
   credentials inside text are looked for while there are some. */
void atr__redact_set_patterns(PyObject *patterns);
void atr__redact_clear_patterns(void);
int atr__redact_has_patterns(void);
/* 1 if p[0..len) holds a credential (then remembered as a redacted value). */
int atr__text_credential(const char *p, size_t len);

/*
 * The decorator-level redact patterns (a tuple, borrowed from its atr__traced) of the innermost
 * decorated call running in this thread whose decorator named some, or NULL: argtrace.log()
 * fields inside that call (and the calls it makes) are redacted by them too.
 */
extern ATR__TLS PyObject *atr__tls_call_redact;

/* _core.redact_values(iterable of str/bytes): remember them (argv values given to options
   named by a redact pattern). */
PyObject *atr__py_redact_values(PyObject *m, PyObject *values);

#endif /* ATR_PY_REDACT_H */
