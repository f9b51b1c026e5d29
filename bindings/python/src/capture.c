/*
 * capture.c — PyObject -> atr_value (see capture.h for the rules).
 *
 * Only exact builtin types are looked into; reading their data never runs Python code.
 * str is encoded to UTF-8 here, straight from the string's code points into the scratch
 * (or a bytes temporary), so that capturing neither caches a UTF-8 copy inside the user's
 * string nor fails on lone surrogates (they are written as U+FFFD).
 */
#include "capture_fast.h"

#include "compat.h"
#include "sigexc.h"
#include "state.h"

#include <string.h>

typedef atr__summarizer summarizer;
#define g_summ atr__g.summ
#define g_n_summ atr__g.n_summ

static const char k_type_error[] = "?";

void atr__scratch_release(atr__scratch *s) {
    /* Taken out first: a __del__ run by a release may capture into another scratch only. */
    uint32_t n = s->n_refs;
    PyObject **more = s->more;
    for (uint32_t i = 0; i < n && i < ATR__SCRATCH_REFS; i++)
        Py_DECREF(s->refs[i]);
    for (uint32_t i = ATR__SCRATCH_REFS; i < n; i++)
        Py_DECREF(more[i - ATR__SCRATCH_REFS]);
    PyMem_Free(more);
    atr__scratch_init(s);
}

int atr__scratch_keep_more(atr__scratch *s, PyObject *o) {
    uint32_t at = s->n_refs - ATR__SCRATCH_REFS;
    if (at >= s->more_cap) {
        uint32_t cap = s->more_cap ? s->more_cap * 2 : ATR__SCRATCH_REFS * 2;
        if (cap > ATR__SCRATCH_REFS_MAX - ATR__SCRATCH_REFS)
            cap = ATR__SCRATCH_REFS_MAX - ATR__SCRATCH_REFS;
        PyObject **more = at < cap ? PyMem_Realloc(s->more, cap * sizeof(*more)) : NULL;
        if (more == NULL) { /* at the maximum, or no memory: the caller counts the value */
            Py_DECREF(o);
            return -1;
        }
        s->more = more;
        s->more_cap = cap;
    }
    s->more[at] = o;
    s->n_refs++;
    return 0;
}

static atr_value *scratch_values(atr__scratch *s, uint32_t n) {
    if (n > ATR__SCRATCH_VALUES - s->n_values)
        return NULL;
    atr_value *v = &s->values[s->n_values];
    s->n_values += n;
    return v;
}

/* n bytes from the scratch, or from a new bytes object kept in refs. NULL: no room. */
static char *scratch_bytes(atr__scratch *s, size_t n) {
    if (n <= ATR__SCRATCH_BYTES - s->n_bytes) {
        char *p = &s->bytes[s->n_bytes];
        s->n_bytes += n;
        return p;
    }
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (b == NULL) {
        PyErr_Clear();
        return NULL;
    }
    char *p = PyBytes_AS_STRING(b);
    return atr__scratch_keep(s, b) == 0 ? p : NULL;
}

static void set_error(atr__scratch *s, PyObject *obj, atr_value *out) {
    const char *name = obj ? Py_TYPE(obj)->tp_name : k_type_error;
    *out = atr_value_nil();
    out->kind = ATR_V_ERROR;
    out->u.s.ptr = name;
    out->u.s.len = strlen(name);
    out->u.s.true_len = out->u.s.len;
    s->errors++;
}

/*
 * Drop the error user code raised inside the tracer. An exception of a signal handler that
 * ran meanwhile (Ctrl-C, SystemExit from a SIGTERM handler, a SIGALRM timeout) is not lost:
 * it is raised in the program at its next bytecode (sigexc.h).
 */
static void clear_user_error(void) {
    if (!atr__sigexc_defer())
        PyErr_Clear();
}

void atr__capture_redacted(atr_value *out) {
    *out = atr_value_nil();
    out->kind = ATR_V_REDACTED;
}

void atr__capture_redact(PyObject *obj, atr_value *out) {
    atr__secret_remember(obj);
    atr__capture_redacted(out);
}

/* --- str ----------------------------------------------------------------------------- */

/* UTF-8 length of code point c; lone surrogates count as U+FFFD (3 bytes). */
static inline size_t utf8_len(Py_UCS4 c) {
    return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/*
 * The UTF-8 length of data[0..n) (a str's code points of `kind`): the sum of utf8_len, read
 * a word at a time where the word's code points are all below U+0080 (one byte each), which
 * most text mostly is. A string's true length is needed on every capture: the loop of
 * utf8_len took 340 us for a million latin-1 characters.
 */
static uint64_t utf8_total(int kind, const void *data, Py_ssize_t n) {
    const unsigned char *b = (const unsigned char *)data;
    const size_t size = kind == PyUnicode_1BYTE_KIND ? 1 : kind == PyUnicode_2BYTE_KIND ? 2 : 4;
    const uint64_t high = size == 1   ? UINT64_C(0x8080808080808080)
                          : size == 2 ? UINT64_C(0xFF80FF80FF80FF80)
                                      : UINT64_C(0xFFFFFF80FFFFFF80);
    const size_t per_word = 8 / size;
    uint64_t total = (uint64_t)n;
    size_t i = 0, count = (size_t)n;
    for (; i + per_word <= count; i += per_word) {
        uint64_t w;
        memcpy(&w, b + i * size, 8);
        if (ATR__LIKELY(!(w & high)))
            continue;
        for (size_t j = i; j < i + per_word; j++)
            total += utf8_len(PyUnicode_READ(kind, data, j)) - 1;
    }
    for (; i < count; i++)
        total += utf8_len(PyUnicode_READ(kind, data, i)) - 1;
    return total;
}

/* Encode c into p (room for 4); returns bytes written. */
static inline size_t utf8_put(char *p, Py_UCS4 c) {
    if (c >= 0xD800 && c <= 0xDFFF)
        c = 0xFFFD;
    if (c < 0x80) {
        p[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        p[0] = (char)(0xC0 | (c >> 6));
        p[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        p[0] = (char)(0xE0 | (c >> 12));
        p[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        p[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    p[0] = (char)(0xF0 | (c >> 18));
    p[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    p[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    p[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* (capture.h) Each check reads as far past the cut as its longest match could reach. */
int atr__capture_text_redacted(const char *p, size_t written, size_t avail) {
    size_t reach = written + (atr__secret_maxlen ? atr__secret_maxlen - 1 : 0);
    size_t creach = written + ATR__CREDENTIAL_REACH;
    if (atr__text_credential(p, written == avail || creach > avail ? avail : creach))
        return 1;
    return atr__secret_n && atr__secret_hit(p, written == avail || reach > avail ? avail : reach);
}

/* Text of str `obj` (exact or subclass: only its data is read) cut to `limit` bytes. */
static int capture_str(PyObject *obj, size_t limit, atr__scratch *s, atr_value *out,
                       uint32_t kind) {
#if ATR__UNICODE_READY
    if (PyUnicode_READY(obj) < 0) {
        PyErr_Clear();
        set_error(s, obj, out);
        return 1;
    }
#endif
    Py_ssize_t n = PyUnicode_GET_LENGTH(obj);
    *out = atr_value_nil();
    out->kind = kind;
    if (PyUnicode_IS_ASCII(obj)) {
        *out = atr__capture_cut(kind, (const char *)PyUnicode_DATA(obj), (size_t)n, limit);
        if (ATR__UNLIKELY(atr__text_check != 0) &&
            atr__capture_text_redacted(out->u.s.ptr, out->u.s.len, out->u.s.true_len))
            atr__capture_redacted(out);
        return 0;
    }
    int ukind = PyUnicode_KIND(obj);
    const void *data = PyUnicode_DATA(obj);
    uint64_t total = utf8_total(ukind, data, n);
    size_t want = total < limit ? (size_t)total : limit;
    /* With remembered values or credentials looked for, encode past the cut too: one may
       straddle it. */
    size_t past =
        atr__secret_maxlen > ATR__CREDENTIAL_REACH ? atr__secret_maxlen : ATR__CREDENTIAL_REACH;
    size_t scan = atr__text_check ? want + past : want;
    char *buf = scratch_bytes(s, scan + 4);
    if (buf == NULL) {
        set_error(s, obj, out);
        return 1;
    }
    size_t len = 0;
    for (Py_ssize_t i = 0; i < n && len < scan; i++)
        len += utf8_put(buf + len, PyUnicode_READ(ukind, data, i));
    out->u.s.ptr = buf;
    out->u.s.len = len < want ? len : want;
    out->u.s.true_len = total;
    if (ATR__UNLIKELY(atr__text_check != 0) && atr__capture_text_redacted(buf, out->u.s.len, len))
        atr__capture_redacted(out);
    return 0;
}

static void capture_bytes(const char *p, size_t len, size_t limit, atr_value *out) {
    *out = atr__capture_cut(ATR_V_BYTES, p, len, limit);
    if (ATR__UNLIKELY(atr__text_check != 0) && atr__capture_text_redacted(p, out->u.s.len, len))
        atr__capture_redacted(out);
}

/* --- int -------------------------------------------------------------------------------- */

/*
 * An int of more than 64 bits is written exactly (ext 5, decimal digits) when it has at most
 * this many digits (and max_value_bytes), else as a summary of its type with its bit length:
 * CPython converts an int to decimal in time quadratic in its length (3.12: 100 digits
 * 0.2 us, 640 digits 4.5 us, 4,000 digits 166 us), and code whose numbers grow (Fraction
 * arithmetic, RSA-size keys) would pay that on every call: tracing fractions.Fraction sums
 * ran 9 times slower with a limit of 4,000 digits.
 */
#define ATR__BIGINT_DIGITS 100u
#define ATR__LOG10_2 0.30102999566398120

/* `<int: bits=N>`: obj's type with one entry (docs/FORMAT.md section 4), its bit length (so
   that `slow --by x.bits` groups the calls by it). */
static int bit_length_summary(PyObject *obj, size_t bits, atr__scratch *s, atr_value *out) {
    atr_value *vals = scratch_values(s, 2); /* the entry, then its value */
    atr__capture_type_summary(obj, -1, out);
    if (vals == NULL) {
        s->errors++; /* no room for the bit length: left out, counted */
        return 0;
    }
    vals[0] = atr_value_summary("=bits", 5, -1);
    vals[1] = atr_value_int((int64_t)bits);
    vals[0].u.sum.items = &vals[1];
    vals[0].n_items = 1;
    out->u.sum.items = vals;
    out->n_items = 1;
    return 0;
}

static int capture_int(PyObject *obj, const atr__capture_opts *opts, atr__scratch *s,
                       atr_value *out) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (!overflow) {
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            set_error(s, obj, out);
            return 1;
        }
        *out = atr_value_int(v);
        return 0;
    }
    /* the bit length first: asking for a uint64 of a bigger int raises (and costs) an
       OverflowError */
    int64_t nbits = atr__compat_long_bits(obj);
    if (nbits < 0) {
        PyErr_Clear();
        set_error(s, obj, out);
        return 1;
    }
    size_t bits = (size_t)nbits;
    if (overflow > 0 && bits <= 64) {
        unsigned long long u = PyLong_AsUnsignedLongLong(obj);
        if (!(u == (unsigned long long)-1 && PyErr_Occurred())) {
            *out = atr_value_nil();
            out->kind = ATR_V_UINT;
            out->u.u = u;
            return 0;
        }
        PyErr_Clear();
    }
    /* Big: decimal digits when short enough, else a summary with the bit length. */
    size_t max_digits =
        opts->max_value_bytes < ATR__BIGINT_DIGITS ? opts->max_value_bytes : ATR__BIGINT_DIGITS;
    /* at least 2^(bits-1) >= 10^max_digits: more digits than that, known without converting */
    if ((double)(bits - 1) * ATR__LOG10_2 >= (double)max_digits || !PyLong_CheckExact(obj))
        return bit_length_summary(obj, bits, s, out);
    PyObject *str = PyObject_Str(obj);
    if (str == NULL || atr__scratch_keep(s, str) < 0) {
        PyErr_Clear();
        set_error(s, obj, out);
        return 1;
    }
    Py_ssize_t len = 0;
    const char *digits = PyUnicode_AsUTF8AndSize(str, &len);
    if (digits == NULL) {
        PyErr_Clear();
        set_error(s, obj, out);
        return 1;
    }
    if ((size_t)len - (digits[0] == '-') > max_digits)
        return bit_length_summary(obj, bits, s, out);
    *out = atr_value_strn(digits, (size_t)len);
    out->kind = ATR_V_BIGINT;
    return 0;
}

/* --- summaries -------------------------------------------------------------------------- */

static int capture_at(PyObject *obj, const atr__capture_opts *opts, atr__scratch *s, atr_value *out,
                      int depth);

/* Fill a summary's leading items from items[0..n) (borrowed from a container). */
static void summary_items(PyObject *const *items, Py_ssize_t n, const atr__capture_opts *opts,
                          atr__scratch *s, atr_value *out, int depth) {
    if (depth >= ATR__CAPTURE_DEPTH || n <= 0)
        return;
    uint32_t k = n < ATR__CAPTURE_ITEMS ? (uint32_t)n : ATR__CAPTURE_ITEMS;
    atr_value *vals = scratch_values(s, k);
    if (vals == NULL) {
        s->errors += k; /* no room for the items: left out, counted */
        return;
    }
    /* User code run while this record is captured (a summarizer of an item, the repr or len
       of a later argument) could empty the container and free its items: then take our own
       references first (kept until the scratch is released). */
    PyObject *own[ATR__CAPTURE_ITEMS];
    if (atr__capture_runs_code(opts)) {
        for (uint32_t i = 0; i < k; i++) {
            if (atr__scratch_keep(s, Py_NewRef(items[i])) < 0) {
                s->errors += k - i; /* no room to hold them: left out, counted */
                k = i;
                break;
            }
            own[i] = items[i];
        }
        items = own;
    }
    atr__capture_opts inner = atr__capture_item_opts(opts);
    /* (capture_repr and capture_len stay: items are not repr'ed or measured, depth > 0, but
       a container among them holds its own items as this one does) */
    for (uint32_t i = 0; i < k; i++)
        if (!atr__capture_value_inline(items[i], &inner, &vals[i]))
            capture_at(items[i], &inner, s, &vals[i], depth + 1);
    out->u.sum.items = vals;
    out->n_items = k;
}

static void capture_dict_keys(PyObject *dict, const atr__capture_opts *opts, atr__scratch *s,
                              atr_value *out, int depth) {
    PyObject *keys[ATR__CAPTURE_ITEMS];
    summary_items(keys, atr__capture_dict_keys(dict, keys), opts, s, out, depth);
}

/* Entry *e of a summarizer's mapping: a summary named name[0..len) ("=" + its key,
   docs/FORMAT.md section 4) holding val as captured into *inner. */
static void put_entry(atr_value *e, atr_value *inner, const char *name, size_t len, PyObject *val,
                      const atr__capture_opts *opts, atr__scratch *s, int depth) {
    *e = atr_value_summary(name, len, -1);
    capture_at(val, opts, s, inner, depth + 1);
    e->u.sum.items = inner;
    e->n_items = 1;
}

/* The name of entry `key` ("=" + key) from names, where it is made once per key (the
   writer's type cache then sees stable bytes; past ENTRY_NAMES_MAX keys, keys made of the
   data, and for a str subclass, whose hash would be user code, each is made anew), held by
   the scratch until the record is written; NULL (no error set) if none. */
#define ENTRY_NAMES_MAX 1024
static const char *entry_name(PyObject *names, PyObject *key, atr__scratch *s, Py_ssize_t *len) {
    int exact = PyUnicode_CheckExact(key);
    PyObject *named = exact ? PyDict_GetItemWithError(names, key) : NULL;
    if (named != NULL)
        Py_INCREF(named);
    else if (!PyErr_Occurred() && (named = PyUnicode_FromFormat("=%U", key)) && exact &&
             PyDict_GET_SIZE(names) < ENTRY_NAMES_MAX && PyDict_SetItem(names, key, named) < 0)
        Py_CLEAR(named);
    const char *name = NULL;
    if (named && atr__scratch_keep(s, named) == 0) /* (which takes the reference) */
        name = PyUnicode_AsUTF8AndSize(named, len);
    PyErr_Clear();
    return name;
}

/* obj's summary from what its summarizer returned (res, a new reference, or NULL when it
   raised): a tuple's items, or a dict's entries; anything else is a capture error. */
static int summary_of(PyObject *obj, PyObject *res, PyObject *names, const atr__capture_opts *opts,
                      atr__scratch *s, atr_value *out, int depth) {
    if (res == NULL || atr__scratch_keep(s, res) < 0) {
        clear_user_error();
        set_error(s, obj, out);
        return 1;
    }
    atr__capture_type_summary(obj, -1, out);
    if (PyTuple_CheckExact(res)) {
        Py_ssize_t n = PyTuple_GET_SIZE(res);
        uint32_t k = n < ATR__SCRATCH_VALUES / 4 ? (uint32_t)n : ATR__SCRATCH_VALUES / 4;
        s->errors += (uint32_t)(n - k); /* items past a summary's 16: left out, counted */
        atr_value *vals = scratch_values(s, k);
        if (vals == NULL) {
            s->errors += k; /* no room for the items: left out, counted */
            return 0;
        }
        for (uint32_t i = 0; i < k; i++)
            capture_at(PyTuple_GET_ITEM(res, i), opts, s, &vals[i], depth + 1);
        out->u.sum.items = vals;
        out->n_items = k;
        return 0;
    }
    if (PyDict_CheckExact(res)) {
        Py_ssize_t n = PyDict_GET_SIZE(res), pos = 0;
        uint32_t k = n < ATR__SCRATCH_VALUES / 8 ? (uint32_t)n : ATR__SCRATCH_VALUES / 8;
        s->errors += (uint32_t)(n - k); /* entries past a summary's 8: left out, counted */
        atr_value *vals = scratch_values(s, k);
        if (vals == NULL) {
            s->errors += k; /* no room for the entries: left out, counted */
            return 0;
        }
        PyObject *key, *val;
        uint32_t i = 0;
        while (i < k && PyDict_Next(res, &pos, &key, &val)) {
            /* The summarizer may hand out this dict again and empty it (the next argument of
               its type): its keys and values are held until the scratch is released. */
            if (atr__scratch_keep(s, Py_NewRef(key)) < 0 ||
                atr__scratch_keep(s, Py_NewRef(val)) < 0) {
                s->errors += k - i; /* no room to hold them: left out, counted */
                break;
            }
            Py_ssize_t klen = 0;
            const char *kname = PyUnicode_Check(key) ? entry_name(names, key, s, &klen) : NULL;
            if (kname == NULL) { /* not a str key (or no memory for its name): out, counted */
                s->errors++;
                continue;
            }
            atr_value *inner = scratch_values(s, 1);
            if (inner == NULL) { /* no room for the values: left out, counted */
                s->errors += k - i;
                break;
            }
            put_entry(&vals[i++], inner, kname, (size_t)klen, val, opts, s, depth);
        }
        out->u.sum.items = vals;
        out->n_items = i;
        return 0;
    }
    set_error(s, obj, out);
    return 1;
}

/* Call a registered summarizer (user code, guarded). The summarizer may re-register fn, or
   drop the last other reference to obj (a frame's local, a container's item): fn and the
   entries' names are held across the call, and obj (its type name is written) until the
   scratch is released when nobody else holds it any more. */
static int capture_summarized(PyObject *obj, const summarizer *sm, const atr__capture_opts *opts,
                              atr__scratch *s, atr_value *out, int depth) {
    PyObject *fn = Py_NewRef(sm->fn), *names = Py_NewRef(sm->names);
    Py_INCREF(obj);
    atr__tls_in_tracer++;
    PyObject *res = PyObject_CallOneArg(fn, obj);
    atr__tls_in_tracer--;
    Py_DECREF(fn);
    int rc;
    if (Py_REFCNT(obj) > 1) {
        Py_DECREF(obj);
    } else if (atr__scratch_keep(s, obj) < 0) { /* (released: gone) */
        Py_XDECREF(res);
        Py_DECREF(names);
        clear_user_error();
        set_error(s, NULL, out);
        return 1;
    }
    rc = summary_of(obj, res, names, opts, s, out, depth);
    Py_DECREF(names);
    return rc;
}

/* A numpy array (the exact type, recognised by name: numpy need not be imported here), when
   no summarizer is registered for it: its shape and dtype, as the summarizer {"shape":
   a.shape, "dtype": str(a.dtype)} would record them, read through numpy's C getters only
   (str(dtype) runs Python code, about 2 µs): a builtin dtype by its scalar type's name
   ("float64", "bool", "object"), any other by its array-protocol string ("<U5", "<M8[ns]",
   "|V8" for a structured one). Called with the tracer's guard up. */
static PyObject *dtype_name(PyObject *dtype) {
    PyObject *b = PyObject_GetAttr(dtype, atr__g.np_attr[2]);
    long builtin = b ? PyLong_AsLong(b) : -1;
    Py_XDECREF(b);
    PyErr_Clear();
    if (builtin == 1) {
        PyObject *t = PyObject_GetAttr(dtype, atr__g.np_attr[3]), *name = NULL;
        if (t && PyType_Check(t)) {
            const char *n = ((PyTypeObject *)t)->tp_name, *dot = strrchr(n, '.');
            n = dot ? dot + 1 : n;
            size_t len = strlen(n);
            if (len > 1 && n[len - 1] == '_') /* object_, str_: as numpy names the dtype */
                len--;
            name = PyUnicode_FromStringAndSize(n, (Py_ssize_t)len);
        }
        Py_XDECREF(t);
        if (name)
            return name;
        PyErr_Clear();
    }
    return PyObject_GetAttrString(dtype, "str");
}

static int capture_ndarray(PyObject *obj, const atr__capture_opts *opts, atr__scratch *s,
                           atr_value *out, int depth) {
    atr__tls_in_tracer++;
    PyObject *shape = PyObject_GetAttr(obj, atr__g.np_attr[0]);
    PyObject *dtype = shape ? PyObject_GetAttr(obj, atr__g.np_attr[1]) : NULL;
    PyObject *name = dtype ? dtype_name(dtype) : NULL;
    atr__tls_in_tracer--;
    Py_XDECREF(dtype);
    /* (the scratch's keep takes the reference, and drops it when it cannot hold it) */
    int held = 0;
    if (shape && name)
        held = atr__scratch_keep(s, shape) == 0 ? 1 + (atr__scratch_keep(s, name) == 0) : -1;
    if (held != 2) {
        if (held == 0)
            Py_XDECREF(shape);
        if (held <= 0)
            Py_XDECREF(name);
        PyErr_Clear();
        set_error(s, obj, out);
        return 1;
    }
    atr__capture_type_summary(obj, -1, out);
    atr_value *vals = scratch_values(s, 4); /* two entries, then their values */
    if (vals == NULL) {
        s->errors += 2; /* no room for the entries: left out, counted */
        return 0;
    }
    put_entry(&vals[0], &vals[2], "=shape", 6, shape, opts, s, depth);
    put_entry(&vals[1], &vals[3], "=dtype", 6, name, opts, s, depth);
    out->u.sum.items = vals;
    out->n_items = 2;
    return 0;
}

static int capture_repr(PyObject *obj, const atr__capture_opts *opts, atr__scratch *s,
                        atr_value *out) {
    atr__tls_in_tracer++;
    PyObject *r = PyObject_Repr(obj);
    atr__tls_in_tracer--;
    if (r == NULL || atr__scratch_keep(s, r) < 0 || !PyUnicode_Check(r)) {
        clear_user_error();
        set_error(s, obj, out);
        return 1;
    }
    return capture_str(r, opts->max_value_bytes, s, out, ATR_V_REPR);
}

/* A list, tuple or dict, or an instance of a subclass of one: its type name, length and
   leading items (a dict's keys), read from the builtin's storage: no user code runs. 1 when
   obj is one of these (captured), else 0. */
static int capture_container(PyObject *obj, const atr__capture_opts *opts, atr__scratch *s,
                             atr_value *out, int depth) {
    if (PyTuple_Check(obj)) {
        atr__capture_type_summary(obj, PyTuple_GET_SIZE(obj), out);
        summary_items(((PyTupleObject *)obj)->ob_item, PyTuple_GET_SIZE(obj), opts, s, out, depth);
        return 1;
    }
    if (PyList_Check(obj)) {
        atr__capture_type_summary(obj, PyList_GET_SIZE(obj), out);
        summary_items(((PyListObject *)obj)->ob_item, PyList_GET_SIZE(obj), opts, s, out, depth);
        return 1;
    }
    if (PyDict_Check(obj)) {
        atr__capture_type_summary(obj, PyDict_GET_SIZE(obj), out);
        if (depth < ATR__CAPTURE_DEPTH)
            capture_dict_keys(obj, opts, s, out, depth);
        return 1;
    }
    return 0;
}

/* A length the user opted into (capture_len): the type and len(obj), which runs the object's
   __len__ (user code, guarded as repr is). One that raises, or returns no int, leaves the
   type alone (an unsized object: a 0-d array): no error, the length unknown. */
static int capture_len(PyObject *obj, atr_value *out) {
    atr__tls_in_tracer++;
    Py_ssize_t n = PyObject_Length(obj);
    atr__tls_in_tracer--;
    if (n < 0)
        clear_user_error();
    atr__capture_type_summary(obj, n < 0 ? -1 : (int64_t)n, out);
    return 0;
}

static int has_len(PyTypeObject *tp) {
    return (tp->tp_as_sequence && tp->tp_as_sequence->sq_length) ||
           (tp->tp_as_mapping && tp->tp_as_mapping->mp_length);
}

static int capture_at(PyObject *obj, const atr__capture_opts *opts, atr__scratch *s, atr_value *out,
                      int depth) {
    PyTypeObject *tp = Py_TYPE(obj);
    if (obj == Py_None) {
        *out = atr_value_nil();
        return 0;
    }
    if (tp == &PyLong_Type)
        return capture_int(obj, opts, s, out);
    if (tp == &PyBool_Type) {
        *out = atr_value_bool(obj == Py_True);
        return 0;
    }
    if (tp == &PyFloat_Type) {
        *out = atr_value_float(PyFloat_AS_DOUBLE(obj));
        return 0;
    }
    if (tp == &PyUnicode_Type)
        return capture_str(obj, opts->max_value_bytes, s, out, ATR_V_STR);
    if (tp == &PyBytes_Type) {
        capture_bytes(PyBytes_AS_STRING(obj), (size_t)PyBytes_GET_SIZE(obj), opts->max_value_bytes,
                      out);
        return 0;
    }
    if (tp == &PyByteArray_Type) {
        capture_bytes(PyByteArray_AS_STRING(obj), (size_t)PyByteArray_GET_SIZE(obj),
                      opts->max_value_bytes, out);
        return 0;
    }
    /* A registered summarizer, before the builtin containers' own summary (a dict's values
       are recorded by one); scalars, above, take none (atr__capture_register_summarizer). */
    for (size_t i = 0; i < g_n_summ; i++) {
        if (g_summ[i].type == (PyObject *)tp)
            return capture_summarized(obj, &g_summ[i], opts, s, out, depth);
    }
    if ((tp == &PyTuple_Type || tp == &PyList_Type || tp == &PyDict_Type) &&
        capture_container(obj, opts, s, out, depth))
        return 0;
    if (tp == &PySet_Type || tp == &PyFrozenSet_Type) {
        atr__capture_type_summary(obj, PySet_GET_SIZE(obj), out);
        return 0;
    }
    /* Subclasses of list, tuple, dict (namedtuples, OrderedDict, defaultdict, Counter...): as
       their builtin (a registered summarizer goes first). */
    if (capture_container(obj, opts, s, out, depth))
        return 0;
    if (atr__capture_is_ndarray(tp))
        return capture_ndarray(obj, opts, s, out, depth);
    if (opts->capture_len && depth == 0 && has_len(tp))
        return capture_len(obj, out);
    if (opts->capture_repr && depth == 0)
        return capture_repr(obj, opts, s, out);
    /* A class: its type (type, or its metaclass) with the class's name as the one item, which
       tells a classmethod's calls on different subclasses apart. */
    if (PyType_Check(obj)) {
        atr__capture_type_summary(obj, -1, out);
        atr_value *item = scratch_values(s, 1);
        if (item == NULL) {
            s->errors++; /* no room for the name: left out, counted */
            return 0;
        }
        atr__capture_class_name((PyTypeObject *)obj, item);
        out->u.sum.items = item;
        out->n_items = 1;
        return 0;
    }
    /* Subclasses of scalar builtins (enums, ...): type name + the builtin value. */
    if (PyLong_Check(obj) || PyFloat_Check(obj) || PyUnicode_Check(obj) || PyBytes_Check(obj)) {
        atr__capture_type_summary(obj, -1, out);
        atr_value *item = scratch_values(s, 1);
        if (item == NULL) {
            s->errors++; /* no room for the builtin value: left out, counted */
            return 0;
        }
        int rc;
        if (PyLong_Check(obj))
            rc = capture_int(obj, opts, s, item);
        else if (PyFloat_Check(obj))
            *item = atr_value_float(PyFloat_AS_DOUBLE(obj)), rc = 0;
        else if (PyUnicode_Check(obj))
            rc = capture_str(obj, ATR__CAPTURE_ITEM_BYTES, s, item, ATR_V_STR);
        else
            capture_bytes(PyBytes_AS_STRING(obj), (size_t)PyBytes_GET_SIZE(obj),
                          ATR__CAPTURE_ITEM_BYTES, item),
                rc = 0;
        out->u.sum.items = item;
        out->n_items = 1;
        return rc;
    }
    atr__capture_type_summary(obj, -1, out);
    return 0;
}

/* Everything but the plain-object fast path of atr__capture_value (out of line: that path
   then needs no register saves). */
static ATR__NOINLINE int capture_value_general(PyObject *obj, const atr__capture_opts *opts,
                                               atr__scratch *s, atr_value *out) {
    if (ATR__UNLIKELY(PyErr_Occurred() != NULL)) {
        atr__exc_state saved = {0};
        atr__compat_exc_fetch(&saved);
        int rc = capture_at(obj, opts, s, out, 0);
        atr__compat_exc_restore(&saved);
        return rc;
    }
    int rc = capture_at(obj, opts, s, out, 0);
    if (ATR__UNLIKELY(PyErr_Occurred() != NULL))
        PyErr_Clear();
    return rc;
}

int atr__capture_container_item(PyObject *obj, const atr__capture_opts *opts, atr_value *out,
                                atr_value *items, uint32_t room, int depth) {
    return atr__capture_container_inline(obj, opts, out, items, room, depth);
}

int atr__capture_value(PyObject *obj, const atr__capture_opts *opts, atr__scratch *s,
                       atr_value *out) {
    if (obj == NULL) {
        *out = atr_value_nil();
        return 0;
    }
    if (atr__capture_is_plain(Py_TYPE(obj), opts)) {
        atr__capture_type_summary(obj, -1, out);
        return 0;
    }
    int used = atr__capture_container_inline(obj, opts, out, &s->values[s->n_values],
                                             ATR__SCRATCH_VALUES - s->n_values, 0);
    if (used >= 0) {
        s->n_values += (uint32_t)used;
        return 0;
    }
    return capture_value_general(obj, opts, s, out);
}

void atr__capture_varargs(PyObject *const *items, Py_ssize_t n, const atr__capture_opts *opts,
                          atr__scratch *s, atr_value *out) {
    *out = atr_value_summary("tuple", 5, n);
    summary_items(items, n, opts, s, out, 0);
    if (PyErr_Occurred())
        PyErr_Clear();
}

/* --- exceptions ------------------------------------------------------------------------- */

static int is_builtin_type(PyTypeObject *tp) { return !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE); }

atr_str atr__capture_exc_type(PyObject *exc, atr__scratch *s) {
    atr_str out = {"", 0};
    if (exc == NULL)
        return out;
    PyTypeObject *tp = Py_TYPE(exc);
    out.ptr = tp->tp_name;
    out.len = strlen(tp->tp_name);
    if (is_builtin_type(tp))
        return out;
    /* Heap type: "module.qualname" from the type's own dict and heap-type slots. */
    PyHeapTypeObject *ht = (PyHeapTypeObject *)tp;
    PyObject *mod = tp->tp_dict ? PyDict_GetItemString(tp->tp_dict, "__module__") : NULL;
    if (mod == NULL || !PyUnicode_Check(mod) || ht->ht_qualname == NULL ||
        !PyUnicode_Check(ht->ht_qualname))
        return out;
    PyObject *full = PyUnicode_FromFormat("%U.%U", mod, ht->ht_qualname);
    if (full == NULL || atr__scratch_keep(s, full) < 0) {
        PyErr_Clear();
        return out;
    }
    atr_str q = atr__capture_utf8(full);
    return q.len ? q : out;
}

static int is_plain_scalar(PyObject *o) {
    PyTypeObject *tp = Py_TYPE(o);
    return o == Py_None || tp == &PyUnicode_Type || tp == &PyLong_Type || tp == &PyFloat_Type ||
           tp == &PyBool_Type || tp == &PyBytes_Type;
}

int atr__capture_exc_message(PyObject *exc, const atr__capture_opts *opts, atr__scratch *s,
                             atr_value *out) {
    if (exc == NULL || !PyExceptionInstance_Check(exc))
        return -1;
    int safe = 0;
    if (is_builtin_type(Py_TYPE(exc))) {
        PyObject *args = ((PyBaseExceptionObject *)exc)->args;
        safe = args != NULL && PyTuple_CheckExact(args);
        for (Py_ssize_t i = 0; safe && i < PyTuple_GET_SIZE(args); i++)
            safe = is_plain_scalar(PyTuple_GET_ITEM(args, i));
    }
    if (!safe && !opts->capture_repr)
        return -1;
    atr__exc_state saved = {0};
    int had = PyErr_Occurred() != NULL;
    if (had)
        atr__compat_exc_fetch(&saved);
    atr__tls_in_tracer += !safe;
    PyObject *msg = PyObject_Str(exc);
    atr__tls_in_tracer -= !safe;
    int rc = -1;
    if (msg != NULL && !PyUnicode_Check(msg))
        Py_CLEAR(msg);
    if (msg != NULL && atr__scratch_keep(s, msg) == 0) /* (scratch_keep releases msg if full) */
        rc = capture_str(msg, opts->max_value_bytes, s, out, ATR_V_STR) == 0 ? 0 : -1;
    if (PyErr_Occurred())
        clear_user_error();
    if (had)
        atr__compat_exc_restore(&saved);
    return rc;
}

/* --- summarizers ------------------------------------------------------------------------ */

int atr__capture_register_summarizer(PyObject *type, PyObject *fn) {
    /* Values of these types are recorded as they are (capture_at takes them first): a
       summarizer for one would never run, so it is refused rather than ignored. */
    PyTypeObject *const scalars[] = {Py_TYPE(Py_None), &PyLong_Type,    &PyBool_Type,
                                     &PyFloat_Type,    &PyUnicode_Type, &PyBytes_Type,
                                     &PyByteArray_Type};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        if (type == (PyObject *)scalars[i]) {
            PyErr_Format(PyExc_TypeError,
                         "argtrace.register_summarizer: %s values are recorded as they are; a "
                         "summarizer applies to containers and other objects",
                         scalars[i]->tp_name);
            return -1;
        }
    }
    for (size_t i = 0; i < g_n_summ; i++) {
        if (g_summ[i].type == type) {
            Py_SETREF(g_summ[i].fn, Py_NewRef(fn));
            return 0;
        }
    }
    summarizer *n = PyMem_Realloc(g_summ, (g_n_summ + 1) * sizeof(*n));
    if (n == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    g_summ = n;
    PyObject *names = PyDict_New();
    if (names == NULL)
        return -1;
    g_summ[g_n_summ].type = Py_NewRef(type);
    g_summ[g_n_summ].fn = Py_NewRef(fn);
    g_summ[g_n_summ].names = names;
    g_n_summ++;
    return 0;
}

void atr__capture_clear_summarizers(void) {
    summarizer *t = g_summ;
    size_t n = g_n_summ;
    g_summ = NULL;
    g_n_summ = 0;
    for (size_t i = 0; i < n; i++) {
        Py_DECREF(t[i].type);
        Py_DECREF(t[i].fn);
        Py_DECREF(t[i].names);
    }
    PyMem_Free(t);
}
