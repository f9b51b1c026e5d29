/*
 * filter_decide.c — which code filter tracing records (filter_decide.h): the options and
 * patterns of the running filter, the per-code-object decision cache in co_extra, the
 * decision itself and the filter's clock.
 *
 * Globals (why): atr__fcfg and the parsed patterns are the filter of the one tracing run a
 * process can have; the interpreter's hooks (sys.monitoring callbacks, the profile function)
 * carry no context pointer we could use instead. The co_extra index is process-wide by
 * CPython's design. All of it is touched with the GIL held only.
 */
#include "filter_decide.h"

#include "filter.h"
#include "filter_pattern.h"
#include "frame_args.h"
#include "state.h"

#include <stdlib.h>
#include <string.h>

atr__filter_cfg atr__fcfg = {.extra_index = -1, .hot_gen = ATR__HOT_NONE};

/* Parsed patterns and library roots of the running filter. */
static struct {
    atr__pattern *inc, *exc;
    size_t n_inc, n_exc;
    char **roots; /* stdlib / site-packages directories, no trailing '/' */
    size_t n_roots;
    char *self_dir; /* the argtrace package directory (never traced) */
    char *cwd;
} g_pat;

/* Per include pattern of the latest filter_start: how many code objects it selected (each
 * counted once, when first decided). Kept after filter_stop for filter_hits(); replaced by
 * the next filter_start. */
static size_t *g_hits;
static size_t g_n_hits;

/* --- code info in co_extra ------------------------------------------------------------ */

static void info_free(void *p) {
    atr__code_info *ci = p;
    if (ci) {
        Py_CLEAR(ci->module);
        Py_CLEAR(ci->qualname);
        free(ci);
    }
}

static atr__code_info *info_get_or_make(PyCodeObject *co) {
    atr__code_info *ci = atr__code_info_peek(co);
    if (ci || atr__fcfg.extra_index < 0) {
        return ci;
    }
    ci = calloc(1, sizeof *ci);
    if (!ci) {
        return NULL;
    }
    ci->coro_like = (co->co_flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR |
                                     CO_ITERABLE_COROUTINE)) != 0;
    ci->n_params = co->co_argcount + co->co_kwonlyargcount + ((co->co_flags & CO_VARARGS) ? 1 : 0) +
                   ((co->co_flags & CO_VARKEYWORDS) ? 1 : 0);
    ci->var_pos = (co->co_flags & CO_VARARGS) ? co->co_argcount + co->co_kwonlyargcount : -1;
    ci->kw_pos = (co->co_flags & CO_VARKEYWORDS) ? ci->n_params - 1 : -1;
    ci->cell_params = (uint8_t)atr__code_has_cell_params(co, ci->n_params);
    if (atr__code_set_extra((PyObject *)co, atr__fcfg.extra_index, ci) < 0) {
        PyErr_Clear();
        free(ci);
        return NULL;
    }
    return ci;
}

void atr__filter_mark_decorated(PyObject *code) {
    if (!code || !PyCode_Check(code)) {
        return;
    }
    atr__exc_state st;
    atr__compat_exc_fetch(&st);
    atr__code_info *ci = info_get_or_make((PyCodeObject *)code);
    if (ci) {
        ci->decorated = 1;
    }
    atr__compat_exc_restore(&st);
}

/* --- the decision --------------------------------------------------------------------- */

/* UTF-8 of a str, or "" (never raises). */
static const char *utf8_or_empty(PyObject *s) {
    if (!s || !PyUnicode_Check(s)) {
        return "";
    }
    const char *u = PyUnicode_AsUTF8(s);
    if (!u) {
        PyErr_Clear();
        return "";
    }
    return u;
}

/* Index+1 of the library root holding `file`, 0 if none. */
static size_t lib_root_of(const char *file) {
    if (strncmp(file, "<frozen ", 8) == 0) {
        return (size_t)-1;
    }
    for (size_t i = 0; i < g_pat.n_roots; i++) {
        size_t n = strlen(g_pat.roots[i]);
        if (strncmp(file, g_pat.roots[i], n) == 0 && file[n] == '/') {
            return i + 1;
        }
    }
    return 0;
}

static int under_dir(const char *file, const char *dir) {
    size_t n = dir ? strlen(dir) : 0;
    return n && strncmp(file, dir, n) == 0 && file[n] == '/';
}

/* An include pattern may select library code only when it names it (docs/FILTERS.md). */
static int names_lib(const atr__pattern *p, size_t root) {
    if (p->kind != ATR__PAT_FILE) {
        return p->explicit;
    }
    if (root == (size_t)-1 || root == 0) {
        return 1;
    }
    const char *r = g_pat.roots[root - 1];
    return strncmp(p->literal_prefix, r, strlen(r)) == 0;
}

static int decide(PyCodeObject *co, PyObject *globals, atr__code_info *ci) {
    const char *name = utf8_or_empty(co->co_name);
    if (!(co->co_flags & CO_OPTIMIZED) || (name[0] == '<' && strcmp(name, "<lambda>") != 0)) {
        return ATR__DEC_REJECT; /* module and class bodies, comprehensions, genexprs */
    }
    const char *file = utf8_or_empty(co->co_filename);
    char *absfile = NULL;
    if (file[0] && file[0] != '/' && file[0] != '<' && g_pat.cwd) {
        size_t a = strlen(g_pat.cwd), b = strlen(file);
        absfile = malloc(a + b + 2);
        if (absfile) {
            memcpy(absfile, g_pat.cwd, a);
            absfile[a] = '/';
            memcpy(absfile + a + 1, file, b + 1);
            file = absfile;
        }
    }
    PyObject *modobj = NULL, *rawmod = NULL;
    if (globals && PyDict_CheckExact(globals)) {
        rawmod = PyDict_GetItemString(globals, "__name__"); /* borrowed, no user code */
        modobj = atr__module_name(rawmod);
    }
    const char *module = utf8_or_empty(modobj);
    /* a pattern naming the module by its own name (`__mp_main__`) still matches it */
    const char *own = rawmod != modobj ? utf8_or_empty(rawmod) : NULL;
    atr__ns_hit hit = {NULL, 0};
#if ATR__CODE_QUALNAME
    const char *qualname = utf8_or_empty(co->co_qualname);
#else
    atr__filter_ns_search(co, globals, &hit);
    PyObject *qn = hit.qualname ? hit.qualname : Py_NewRef(co->co_name);
    hit.qualname = NULL;
    const char *qualname = utf8_or_empty(qn);
#endif
    int d = ATR__DEC_REJECT;
    if (!under_dir(file, g_pat.self_dir)) {
        int excluded = 0;
        for (size_t i = 0; i < g_pat.n_exc && !excluded; i++) {
            excluded = atr__pattern_match(&g_pat.exc[i], module, qualname, file) ||
                       (own && atr__pattern_match(&g_pat.exc[i], own, qualname, file));
        }
        size_t root = excluded ? 0 : lib_root_of(file);
        for (size_t i = 0; i < g_pat.n_inc && !excluded; i++) {
            /* once accepted, only patterns with no hit yet are still matched (for filter_hits) */
            if ((d != ATR__DEC_ACCEPT || (i < g_n_hits && g_hits[i] == 0)) &&
                (atr__pattern_match(&g_pat.inc[i], module, qualname, file) ||
                 (own && atr__pattern_match(&g_pat.inc[i], own, qualname, file))) &&
                (!root || names_lib(&g_pat.inc[i], root))) {
                d = ATR__DEC_ACCEPT;
                if (i < g_n_hits) {
                    g_hits[i]++;
                }
            }
        }
    }
#if ATR__CODE_QUALNAME
    if (d == ATR__DEC_ACCEPT) {
        atr__filter_ns_search(co, globals, &hit);
        Py_CLEAR(hit.qualname);
    }
#endif
    if (hit.decorated && ci) {
        ci->decorated = 1;
    }
    if (d == ATR__DEC_ACCEPT && ci) {
        Py_XSETREF(ci->module, Py_XNewRef(modobj));
        ci->defined_gen = 0;
#if !ATR__CODE_QUALNAME
        Py_XSETREF(ci->qualname, Py_XNewRef(qn));
#endif
    }
#if !ATR__CODE_QUALNAME
    Py_XDECREF(qn);
#endif
    free(absfile);
    return d;
}

int atr__filter_decide(PyCodeObject *co, PyObject *globals, atr__code_info **info_out) {
    atr__code_info *ci = info_get_or_make(co);
    *info_out = ci;
    if (ci && ci->filter_gen == atr__fcfg.gen) {
        return ci->decorated ? ATR__DEC_REJECT : ci->decision;
    }
    atr__exc_state st;
    atr__compat_exc_fetch(&st);
    int d = decide(co, globals, ci);
    atr__compat_exc_restore(&st);
    if (!ci) {
        return ATR__DEC_REJECT; /* cannot cache: never trace rather than pay every call */
    }
    ci->decision = (uint8_t)d;
    ci->filter_gen = atr__fcfg.gen;
    return ci->decorated ? ATR__DEC_REJECT : d;
}

uint64_t atr__filter_now(void) {
    if (ATR__UNLIKELY(atr__fcfg.clock != NULL)) {
        atr__exc_state st;
        atr__compat_exc_fetch(&st);
        PyObject *r = PyObject_CallNoArgs(atr__fcfg.clock);
        uint64_t t = 0;
        if (r) {
            t = PyLong_AsUnsignedLongLong(r);
            Py_DECREF(r);
        }
        PyErr_Clear();
        atr__compat_exc_restore(&st);
        return t;
    }
    atr_session *s = atr__session();
    return s ? atr_session_now(s) : 0;
}

/* --- options ------------------------------------------------------------------------- */

static void patterns_clear(void) {
    for (size_t i = 0; i < g_pat.n_inc; i++) {
        atr__pattern_free(&g_pat.inc[i]);
    }
    for (size_t i = 0; i < g_pat.n_exc; i++) {
        atr__pattern_free(&g_pat.exc[i]);
    }
    for (size_t i = 0; i < g_pat.n_roots; i++) {
        free(g_pat.roots[i]);
    }
    free(g_pat.inc);
    free(g_pat.exc);
    free(g_pat.roots);
    free(g_pat.self_dir);
    free(g_pat.cwd);
    memset(&g_pat, 0, sizeof g_pat);
}

static char *cwd_dup(void) {
    PyObject *os = PyImport_ImportModule("os");
    PyObject *c = os ? PyObject_CallMethod(os, "getcwd", NULL) : NULL;
    Py_XDECREF(os);
    const char *u = c ? PyUnicode_AsUTF8(c) : NULL;
    char *r = u ? strdup(u) : NULL;
    Py_XDECREF(c);
    if (!r && !PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    return r;
}

/* Parse a list of str patterns. Returns 0 or -1 with ValueError/TypeError set. */
static int parse_list(PyObject *list, const char *cwd, atr__pattern **out, size_t *n_out) {
    PyObject *seq = PySequence_Fast(list, "argtrace: patterns must be a list of str");
    if (!seq) {
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    atr__pattern *pats = calloc((size_t)n + 1, sizeof *pats);
    if (!pats) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        const char *text = PyUnicode_Check(item) ? PyUnicode_AsUTF8(item) : NULL;
        char err[320];
        int rc = -1;
        if (!text) {
            if (!PyErr_Occurred()) {
                PyErr_Format(PyExc_TypeError, "argtrace: a trace pattern must be str, not %.50s",
                             Py_TYPE(item)->tp_name);
            }
        } else if ((rc = atr__pattern_parse(text, cwd, &pats[i], err, sizeof err)) == -1) {
            PyErr_Format(PyExc_ValueError, "argtrace: %s", err);
        } else if (rc == -2) {
            PyErr_NoMemory();
        }
        if (rc != 0) {
            for (Py_ssize_t j = 0; j < i; j++) {
                atr__pattern_free(&pats[j]);
            }
            free(pats);
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    *out = pats;
    *n_out = (size_t)n;
    return 0;
}

/* Library roots from sysconfig/site, computed by a few lines of Python. */
static const char ROOTS_SRC[] = "def _roots():\n"
                                "    import os, site, sysconfig\n"
                                "    out, paths = set(), sysconfig.get_paths()\n"
                                "    for k in ('stdlib', 'platstdlib', 'purelib', 'platlib'):\n"
                                "        p = paths.get(k)\n"
                                "        if p: out.add(p)\n"
                                "    try: out.update(site.getsitepackages())\n"
                                "    except Exception: pass\n"
                                "    try: out.add(site.getusersitepackages())\n"
                                "    except Exception: pass\n"
                                "    out |= {os.path.realpath(p) for p in out}\n"
                                "    return sorted(p.rstrip('/') for p in out if p and p != '/')\n";

static int compute_roots(void) {
    PyObject *ns = PyDict_New();
    if (!ns) {
        return -1;
    }
    PyObject *builtins = PyEval_GetBuiltins();
    if (PyDict_SetItemString(ns, "__builtins__", builtins) < 0) {
        Py_DECREF(ns);
        return -1;
    }
    PyObject *r = PyRun_String(ROOTS_SRC, Py_file_input, ns, ns);
    PyObject *list = NULL;
    if (r) {
        PyObject *fn = PyDict_GetItemString(ns, "_roots");
        list = fn ? PyObject_CallNoArgs(fn) : NULL;
    }
    Py_XDECREF(r);
    Py_DECREF(ns);
    if (!list) {
        return -1;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    g_pat.roots = calloc((size_t)n + 1, sizeof(char *));
    for (Py_ssize_t i = 0; g_pat.roots && i < n; i++) {
        const char *u = PyUnicode_AsUTF8(PyList_GET_ITEM(list, i));
        if (!u || !(g_pat.roots[i] = strdup(u))) {
            break;
        }
        g_pat.n_roots++;
    }
    Py_DECREF(list);
    if (!g_pat.roots || g_pat.n_roots != (size_t)n) {
        if (!PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        return -1;
    }
    /* this extension's own package directory */
    PyObject *mod = PyImport_ImportModule("argtrace");
    PyObject *file = mod ? PyObject_GetAttrString(mod, "__file__") : NULL;
    PyErr_Clear();
    const char *u = file && PyUnicode_Check(file) ? PyUnicode_AsUTF8(file) : NULL;
    if (u) {
        g_pat.self_dir = strdup(u);
        char *slash = g_pat.self_dir ? strrchr(g_pat.self_dir, '/') : NULL;
        if (slash) {
            *slash = '\0';
        }
    }
    PyErr_Clear();
    Py_XDECREF(file);
    Py_XDECREF(mod);
    return 0;
}

/* --- what filter.c asks of this layer --------------------------------------------------- */

int atr__filter_patterns_check(PyObject *patterns) {
    char *cwd = cwd_dup();
    if (!cwd) {
        return -1;
    }
    atr__pattern *pats = NULL;
    size_t n = 0;
    int rc = parse_list(patterns, cwd, &pats, &n);
    free(cwd);
    if (rc < 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        atr__pattern_free(&pats[i]);
    }
    free(pats);
    return 0;
}

int atr__filter_patterns_set(PyObject *inc, PyObject *exc) {
    g_pat.cwd = cwd_dup();
    if (!g_pat.cwd || parse_list(inc, g_pat.cwd, &g_pat.inc, &g_pat.n_inc) < 0 ||
        (exc && exc != Py_None && parse_list(exc, g_pat.cwd, &g_pat.exc, &g_pat.n_exc) < 0) ||
        compute_roots() < 0) {
        patterns_clear();
        return -1;
    }
    if (g_pat.n_inc == 0) {
        patterns_clear();
        PyErr_SetString(PyExc_ValueError, "argtrace: filter tracing needs at least one pattern");
        return -1;
    }
    free(g_hits);
    g_hits = calloc(g_pat.n_inc, sizeof *g_hits);
    g_n_hits = g_hits ? g_pat.n_inc : 0;
    return 0;
}

void atr__filter_patterns_clear(void) { patterns_clear(); }

PyObject *atr__filter_hits(void) {
    if (!g_hits) {
        Py_RETURN_NONE;
    }
    PyObject *r = PyList_New((Py_ssize_t)g_n_hits);
    for (size_t i = 0; r && i < g_n_hits; i++) {
        PyObject *n = PyLong_FromSize_t(g_hits[i]);
        if (!n) {
            Py_CLEAR(r);
            break;
        }
        PyList_SET_ITEM(r, (Py_ssize_t)i, n);
    }
    return r;
}

int atr__filter_decide_init(void) {
    if (atr__fcfg.extra_index < 0) {
        atr__fcfg.extra_index = atr__request_code_extra_index(info_free);
        if (atr__fcfg.extra_index < 0) {
            PyErr_SetString(PyExc_RuntimeError, "argtrace: no code-extra slot left");
            return -1;
        }
    }
    return 0;
}
