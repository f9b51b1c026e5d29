/*
 * capture_fast.h — the converter's inline fast paths (capture.h): the common exact scalars
 * and plain objects, which the hot paths (decorator, filter tracing, span ends) convert
 * without a call. They need the summarizer registry of the module state, hence this header
 * beside capture.h. Same results as atr__capture_value.
 */
#ifndef ATR_PY_CAPTURE_FAST_H
#define ATR_PY_CAPTURE_FAST_H

#include "capture.h"
#include "redact.h"
#include "state.h"

#include <string.h>

/* strlen(tp->tp_name) without the scan for a class defined in Python: its tp_name is the
   UTF-8 of its __name__, a compact ASCII str whose length is stored (checked by address:
   anything else, such as a C type's "module.Name", is measured). */
#if defined(__GNUC__) && !defined(__clang__)
/* Inlined where the type is a static one (int, float...), GCC sees a heap-type field read
   past it; the Py_TPFLAGS_HEAPTYPE test keeps that read to heap types. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif
static inline size_t atr__capture_type_name_len(PyTypeObject *tp) {
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        PyASCIIObject *n = (PyASCIIObject *)((PyHeapTypeObject *)tp)->ht_name;
        if (n && n->state.compact && n->state.ascii && (const char *)(n + 1) == tp->tp_name)
            return (size_t)n->length;
    }
    return strlen(tp->tp_name);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* A str or bytes value (`kind`) of the `len` bytes at p, cut to `limit`, its true length
   kept (FORMAT.md ext 1 and 2). */
static inline atr_value atr__capture_cut(uint32_t kind, const char *p, size_t len, size_t limit) {
    atr_value v = atr_value_strn(p, len < limit ? len : limit);
    v.kind = kind;
    v.u.s.true_len = len;
    return v;
}

/* A captured str or bytes value whose whole text (its true length) is at u.s.ptr: written
   redacted when it holds a remembered value or a credential (redact.h). One load while the
   session checks no text. */
static inline void atr__capture_text_check(atr_value *v) {
    if (ATR__UNLIKELY(atr__text_check != 0) &&
        atr__capture_text_redacted(v->u.s.ptr, v->u.s.len, v->u.s.true_len))
        atr__capture_redacted(v);
}

/* *out = the name of class `cls` (tp_name: a class defined in Python its __name__, a C type
   "module.Name"), cut to ATR__CAPTURE_ITEM_BYTES. */
static inline void atr__capture_class_name(PyTypeObject *cls, atr_value *out) {
    *out = atr__capture_cut(ATR_V_STR, cls->tp_name, atr__capture_type_name_len(cls),
                            ATR__CAPTURE_ITEM_BYTES);
}

/* *out = the summary [type name, length] of obj (length -1: unknown), without items. */
static inline void atr__capture_type_summary(PyObject *obj, int64_t length, atr_value *out) {
    PyTypeObject *tp = Py_TYPE(obj);
    *out = atr_value_summary(tp->tp_name, atr__capture_type_name_len(tp), length);
}

/* Types whose instances capture_at records with their value: the builtin scalars and
   containers and their subclasses (float's are found otherwise: no flag), and the
   metaclasses (a class is recorded with its name). */
#define ATR__CAPTURE_VALUE_TYPES                                                          \
    (Py_TPFLAGS_LONG_SUBCLASS | Py_TPFLAGS_UNICODE_SUBCLASS | Py_TPFLAGS_BYTES_SUBCLASS | \
     Py_TPFLAGS_LIST_SUBCLASS | Py_TPFLAGS_TUPLE_SUBCLASS | Py_TPFLAGS_DICT_SUBCLASS |    \
     Py_TPFLAGS_TYPE_SUBCLASS)

/*
 * An instance of a class defined in Python (a heap type) that subclasses no builtin scalar or
 * container, has no registered summarizer and is not to be repr'ed or measured: capture_at
 * would give its type summary. Deciding so calls no Python API, so that case needs no
 * error-state guard.
 */
static inline int atr__capture_is_plain(PyTypeObject *tp, const atr__capture_opts *opts) {
    if (!(tp->tp_flags & Py_TPFLAGS_HEAPTYPE) || (tp->tp_flags & ATR__CAPTURE_VALUE_TYPES) ||
        opts->capture_repr || opts->capture_len)
        return 0;
    for (size_t i = 0; i < atr__g.n_summ; i++) {
        if (atr__g.summ[i].type == (PyObject *)tp)
            return 0;
    }
    /* A float subclass's instances hold a PyFloatObject: smaller ones need no MRO walk, nor
       do those of a class whose base (the one its layout extends) is object: float's
       layout would make float, or a subclass of it, that base. */
    return tp->tp_basicsize < (Py_ssize_t)sizeof(PyFloatObject) ||
           tp->tp_base == &PyBaseObject_Type || !PyType_IsSubtype(tp, &PyFloat_Type);
}

/* 1 when capturing may run user code (a registered summarizer, an opted-in repr or len):
   that code may empty a container captured earlier in the same record and free what its
   items point to, so the items are held until the scratch is released. */
static inline int atr__capture_runs_code(const atr__capture_opts *opts) {
    return atr__g.n_summ > 0 || opts->capture_repr || opts->capture_len;
}

/* numpy's array type (by name: numpy need not be imported), summarized by capture_ndarray. */
static inline int atr__capture_is_ndarray(PyTypeObject *tp) {
    return !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE) && tp->tp_name[0] == 'n' &&
           strcmp(tp->tp_name, "numpy.ndarray") == 0;
}

/*
 * An instance of a C type (a static type) that capture_at records by its type name alone (a
 * function, a module, a compiled pattern, object(), a range...) or, a set or a frozenset,
 * with its length: no builtin scalar or container nor a subclass of one (float's found as in
 * atr__capture_is_plain), no class (recorded with its name), no bytearray or numpy array,
 * nothing to repr or measure, and no summarizer registered at all (one registered for a C
 * type must be found in the general path's registry, as for the containers). Real code
 * passes these often: parsers their character sets (frozensets), callbacks their functions.
 */
static inline int atr__capture_is_plain_c(PyTypeObject *tp, const atr__capture_opts *opts) {
    if ((tp->tp_flags & (Py_TPFLAGS_HEAPTYPE | ATR__CAPTURE_VALUE_TYPES)) || tp == &PyFloat_Type ||
        tp == &PyByteArray_Type || atr__capture_runs_code(opts) || atr__capture_is_ndarray(tp))
        return 0;
    return tp->tp_basicsize < (Py_ssize_t)sizeof(PyFloatObject) ||
           tp->tp_base == &PyBaseObject_Type || !PyType_IsSubtype(tp, &PyFloat_Type);
}

/*
 * Same as atr__capture_value, inlined for the common exact scalars (an int up to int64, None,
 * bool, float, ASCII str, bytes), plain objects and instances of C types written as their type
 * name; everything else goes to atr__capture_value. Never raises.
 */
/* The inline cases of atr__capture_value_fast alone: 1 when `obj` was captured here (no
   Python code ran, nothing to release), 0 when it needs atr__capture_value (nothing written). */
static inline ATR__ALWAYS_INLINE int
atr__capture_value_inline(PyObject *obj, const atr__capture_opts *opts, atr_value *out) {
    PyTypeObject *tp = Py_TYPE(obj);
    int64_t i;
    out->n_items = 0;
    if (tp == &PyLong_Type) {
        int overflow = 0;
        if (!atr__compat_small_int(obj, &i)) {
            /* an id(), a time in ns, a hash: past one internal digit but an int64 (an exact
               int raises nothing here; a bigger one is the general path's) */
            i = (int64_t)PyLong_AsLongLongAndOverflow(obj, &overflow);
            if (overflow)
                return 0;
        }
        out->kind = ATR_V_INT;
        out->u.i = i;
        return 1;
    }
    if (obj == Py_None) {
        out->kind = ATR_V_NIL;
        out->u.u = 0;
        return 1;
    }
    if (tp == &PyBool_Type) {
        out->kind = ATR_V_BOOL;
        out->u.b = obj == Py_True;
        return 1;
    }
    if (tp == &PyFloat_Type) {
        out->kind = ATR_V_FLOAT;
        out->u.f = PyFloat_AS_DOUBLE(obj);
        return 1;
    }
    if (tp == &PyUnicode_Type && PyUnicode_IS_COMPACT_ASCII(obj)) {
        *out = atr__capture_cut(ATR_V_STR, (const char *)PyUnicode_DATA(obj),
                                (size_t)PyUnicode_GET_LENGTH(obj), opts->max_value_bytes);
        atr__capture_text_check(out);
        return 1;
    }
    if (atr__capture_is_plain(tp, opts)) {
        atr__capture_type_summary(obj, -1, out);
        return 1;
    }
    if (tp == &PyBytes_Type) {
        *out = atr__capture_cut(ATR_V_BYTES, PyBytes_AS_STRING(obj), (size_t)PyBytes_GET_SIZE(obj),
                                opts->max_value_bytes);
        atr__capture_text_check(out);
        return 1;
    }
    if (atr__capture_is_plain_c(tp, opts)) {
        int set = tp == &PySet_Type || tp == &PyFrozenSet_Type;
        atr__capture_type_summary(obj, set ? (int64_t)PySet_GET_SIZE(obj) : -1, out);
        return 1;
    }
    return 0;
}

/* The leading keys of dict d (at most ATR__CAPTURE_ITEMS, borrowed) into keys; how many. */
static inline Py_ssize_t atr__capture_dict_keys(PyObject *d, PyObject **keys) {
    Py_ssize_t pos = 0, n = 0;
    PyObject *key, *value;
    while (n < ATR__CAPTURE_ITEMS && PyDict_Next(d, &pos, &key, &value))
        keys[n++] = key;
    return n;
}

/* The options a container's items are captured with: strs cut to ATR__CAPTURE_ITEM_BYTES. */
static inline atr__capture_opts atr__capture_item_opts(const atr__capture_opts *opts) {
    atr__capture_opts inner = *opts;
    if (inner.max_value_bytes > ATR__CAPTURE_ITEM_BYTES)
        inner.max_value_bytes = ATR__CAPTURE_ITEM_BYTES;
    return inner;
}

/*
 * An instance of a subclass of int, float or str (an IntEnum or StrEnum member, numpy's
 * float64, a str subclass such as markdown's AtomicString), or a class, when no user code can
 * run: what capture_at records for it, its type with the builtin value (a class: its name)
 * as the one item (a str cut to ATR__CAPTURE_ITEM_BYTES), when that value is one the inline
 * capture takes (an int up to int64, an ASCII str while nothing is remembered for
 * redaction). 1 when captured (the one slot of `items` used); -1 (nothing written) for the
 * general path.
 */
static inline int atr__capture_one_value_inline(PyObject *obj, const atr__capture_opts *opts,
                                                atr_value *out, atr_value *items, uint32_t room) {
    PyTypeObject *tp = Py_TYPE(obj);
    if (tp == &PyLong_Type || tp == &PyBool_Type || tp == &PyFloat_Type || tp == &PyUnicode_Type ||
        atr__capture_runs_code(opts) || room < 1)
        return -1;
    if (PyLong_Check(obj)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(obj, &overflow); /* (no error for an int) */
        if (overflow)
            return -1;
        items[0] = atr_value_int(v);
    } else if (PyFloat_Check(obj)) {
        items[0] = atr_value_float(PyFloat_AS_DOUBLE(obj));
    } else if (PyUnicode_Check(obj)) {
#if ATR__UNICODE_READY
        if (!PyUnicode_IS_READY(obj))
            return -1;
#endif
        if (!PyUnicode_IS_ASCII(obj))
            return -1;
        items[0] = atr__capture_cut(ATR_V_STR, (const char *)PyUnicode_DATA(obj),
                                    (size_t)PyUnicode_GET_LENGTH(obj), ATR__CAPTURE_ITEM_BYTES);
        atr__capture_text_check(&items[0]);
    } else if (PyType_Check(obj)) {
        atr__capture_class_name((PyTypeObject *)obj, &items[0]);
    } else {
        return -1;
    }
    *out = atr_value_summary(tp->tp_name, atr__capture_type_name_len(tp), -1);
    out->u.sum.items = items;
    out->n_items = 1;
    return 1;
}

/* The slots of `items` that one value's inline capture may need: a container's leading
   items and theirs (containers two levels down are recorded without items). */
#define ATR__INLINE_ITEMS (ATR__CAPTURE_ITEMS * (1 + ATR__CAPTURE_ITEMS))

/* atr__capture_container_inline out of line (capture.c), for a container's items: the
   inlined copies stay as small as they were before containers nested (a recursive inline
   function is not inlined, and its callers grow). */
int atr__capture_container_item(PyObject *obj, const atr__capture_opts *opts, atr_value *out,
                                atr_value *items, uint32_t room, int depth);

/*
 * A tuple, list or dict, or an instance of a subclass of one (a namedtuple, an OrderedDict),
 * at `depth` (0: an argument or a result), whose leading items (a dict's keys) are all
 * captured inline, containers among them too (a tuple of pairs), when no user code can run:
 * the value capture_at gives (a subclass by its own type name, its items read from the
 * builtin's storage as there; with no summarizer registered none can claim the subclass; at
 * ATR__CAPTURE_DEPTH a container without items), its items and theirs in items[0..room),
 * without the general path's error-state guards and calls (a tuple of two ints cost the
 * decorator 150 ns more than an int there; two tuple subclasses cost filter tracing 75 ns
 * more than two plain objects). Also an instance of a subclass of int, float or str, or a
 * class (atr__capture_one_value_inline). Returns the slots of `items` used, or -1 (nothing
 * written) for the general path.
 */
static inline int atr__capture_container_inline(PyObject *obj, const atr__capture_opts *opts,
                                                atr_value *out, atr_value *items, uint32_t room,
                                                int depth) {
    PyTypeObject *tp = Py_TYPE(obj);
    PyObject *keys[ATR__CAPTURE_ITEMS];
    PyObject *const *from;
    Py_ssize_t n;
    size_t tlen; /* of tp_name: "tuple", "list", "dict", or a subclass's name */
    if (PyTuple_Check(obj)) {
        from = ((PyTupleObject *)obj)->ob_item;
        n = PyTuple_GET_SIZE(obj);
        tlen = 5;
    } else if (PyList_Check(obj)) {
        from = ((PyListObject *)obj)->ob_item;
        n = PyList_GET_SIZE(obj);
        tlen = 4;
    } else if (PyDict_Check(obj)) {
        from = keys;
        n = PyDict_GET_SIZE(obj);
        tlen = 4;
    } else {
        return atr__capture_one_value_inline(obj, opts, out, items, room);
    }
    if (tp != &PyTuple_Type && tp != &PyList_Type && tp != &PyDict_Type)
        tlen = atr__capture_type_name_len(tp);
    if (atr__capture_runs_code(opts))
        return -1; /* (the general path holds the items; a summarizer may claim a subclass) */
    uint32_t k = n < ATR__CAPTURE_ITEMS ? (uint32_t)n : ATR__CAPTURE_ITEMS;
    if (depth >= ATR__CAPTURE_DEPTH)
        k = 0;
    if (k > room)
        return -1;
    if (from == keys)
        atr__capture_dict_keys(obj, keys);
    atr__capture_opts inner = atr__capture_item_opts(opts);
    uint32_t used = k;
    for (uint32_t i = 0; i < k; i++) {
        if (atr__capture_value_inline(from[i], &inner, &items[i]))
            continue;
        int u = atr__capture_container_item(from[i], &inner, &items[i], items + used, room - used,
                                            depth + 1);
        if (u < 0)
            return -1;
        used += (uint32_t)u;
    }
    *out = atr_value_summary(tp->tp_name, tlen, n);
    if (k) {
        out->u.sum.items = items;
        out->n_items = k;
    }
    return (int)used;
}

static inline ATR__ALWAYS_INLINE int atr__capture_value_fast(PyObject *obj,
                                                             const atr__capture_opts *opts,
                                                             atr__scratch *s, atr_value *out) {
    if (atr__capture_value_inline(obj, opts, out)) {
        return 0;
    }
    return atr__capture_value(obj, opts, s, out);
}

#endif /* ATR_PY_CAPTURE_FAST_H */
