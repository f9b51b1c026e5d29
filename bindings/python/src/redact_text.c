/*
 * redact_text.c — credentials inside captured text (redact.h), looked for while the session
 * has redact patterns:
 *
 * - a URL's password: `scheme://user:PASSWORD@host` (whatever the patterns);
 * - a value named inside the text by a name that matches a pattern: `password=PW` (query
 *   strings, form bodies, libpq's `key=value` connection strings), `"api_key": "K"` (JSON,
 *   Python's dict repr), `Authorization: Bearer T` (header lines).
 *
 * The whole str or bytes value is then written redacted, and the credential is remembered
 * (redact.c) so that it is redacted wherever else it turns up. Text is scanned as capture.c
 * writes it (UTF-8); names are matched as parameter names are (fnmatch, case-insensitive).
 */
#include "redact.h"

#include <fnmatch.h>
#include <string.h>

/* Longest name inside text that is matched (longer names are not credentials' names). */
#define NAME_MAX_BYTES 64

/* A pattern and its longest literal run (no `*?[]\\`): a name that lacks the run cannot
   match, found with one strstr() instead of fnmatch() for most names. */
typedef struct pattern {
    char *glob; /* lower-cased, NUL-terminated (PyMem) */
    char *lit;  /* points into glob's copy after it: the run, NUL-terminated */
} pattern;

/* Why global: the one active session's patterns. */
static pattern *g_pats;
static uint32_t g_npats;

static void free_patterns(void) {
    for (uint32_t i = 0; i < g_npats; i++)
        PyMem_Free(g_pats[i].glob);
    PyMem_Free(g_pats);
    g_pats = NULL;
    g_npats = 0;
}

/* glob[0..len) and, after its NUL, its longest literal run: one block. */
static int add_pattern(const char *glob, size_t len) {
    char *copy = PyMem_Malloc(2 * len + 2);
    size_t best = 0, best_len = 0, run = 0;
    if (copy == NULL)
        return -1;
    memcpy(copy, glob, len + 1);
    for (size_t i = 0; i <= len; i++) {
        if (i < len && !strchr("*?[]\\", glob[i])) {
            run++;
            continue;
        }
        if (run > best_len) {
            best = i - run;
            best_len = run;
        }
        run = 0;
        if (i < len && glob[i] == '[') { /* a set: one of its characters, none of them sure */
            /* (a ']' right after '[' is in the set; an unclosed '[' is itself) */
            const char *close = i + 2 <= len ? strchr(glob + i + 2, ']') : NULL;
            if (close)
                i = (size_t)(close - glob);
        } else if (i < len && glob[i] == '\\') {
            i++; /* an escaped character: not taken as sure either (kept simple) */
        }
    }
    char *lit = copy + len + 1;
    memcpy(lit, glob + best, best_len);
    lit[best_len] = '\0';
    g_pats[g_npats].glob = copy;
    g_pats[g_npats].lit = lit;
    g_npats++;
    return 0;
}

void atr__redact_set_patterns(PyObject *patterns) {
    free_patterns();
    Py_ssize_t n = patterns && PyTuple_Check(patterns) ? PyTuple_GET_SIZE(patterns) : 0;
    if (n > 0 && (g_pats = PyMem_Calloc((size_t)n, sizeof *g_pats)) != NULL) {
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_ssize_t len;
            const char *p = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(patterns, i), &len);
            if (p == NULL || add_pattern(p, (size_t)len) < 0)
                PyErr_Clear();
        }
    }
    atr__text_check_update();
}

int atr__redact_has_patterns(void) { return g_npats != 0; }

static int is_space(unsigned char c) { return c == ' ' || c == '\t'; }
static int is_quote(unsigned char c) { return c == '"' || c == '\''; }
static int is_name_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

/* 1 if p[0..len) names a credential: it matches a pattern (case-insensitively). */
static int name_matches(const char *p, size_t len) {
    char name[NAME_MAX_BYTES + 1];
    if (len == 0 || len > NAME_MAX_BYTES)
        return 0;
    for (size_t i = 0; i < len; i++)
        name[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + ('a' - 'A') : p[i]);
    name[len] = '\0';
    for (uint32_t i = 0; i < g_npats; i++)
        if (strstr(name, g_pats[i].lit) && fnmatch(g_pats[i].glob, name, FNM_CASEFOLD) == 0)
            return 1;
    return 0;
}

/* A credential found at p[0..len): remembered; 1 if it is a credential at all (non-empty). */
static int found(const char *p, size_t len) {
    if (len == 0)
        return 0;
    atr__secret_remember_text(p, len);
    return 1;
}

/*
 * The name before the separator at p[sep]; 1 if it matches. `name=` anywhere; before ':' only
 * a quoted name (`"name": `, JSON or a dict's repr) or a header line's (`Name: ` at the start
 * of the text or of a line), not a word of prose ("the secret: ...").
 */
static int name_before(const char *p, size_t sep) {
    size_t end = sep;
    while (end > 0 && is_space((unsigned char)p[end - 1]))
        end--;
    if (end > 0 && is_quote((unsigned char)p[end - 1])) {
        char q = p[end - 1];
        size_t start = end - 1;
        while (start > 0 && p[start - 1] != q && end - start <= NAME_MAX_BYTES + 1)
            start--;
        return start > 0 && name_matches(p + start, end - 1 - start);
    }
    size_t start = end;
    while (start > 0 && is_name_char((unsigned char)p[start - 1]) && end - start <= NAME_MAX_BYTES)
        start--;
    if (p[sep] == ':' && (end != sep || (start > 0 && p[start - 1] != '\n')))
        return 0;
    return name_matches(p + start, end - start);
}

/* The value after the separator p[sep] ('=' or ':'), given that its name matched. */
static int value_after(const char *p, size_t len, size_t sep) {
    size_t i = sep + 1;
    while (i < len && is_space((unsigned char)p[i]))
        i++;
    if (i < len && is_quote((unsigned char)p[i])) {
        const char *close = memchr(p + i + 1, p[i], len - i - 1);
        size_t end = close ? (size_t)(close - p) : len;
        return found(p + i + 1, end - i - 1);
    }
    size_t end = i;
    if (p[sep] == ':') { /* a header line: the rest of the line ("Bearer T" too) */
        while (end < len && p[end] != '\r' && p[end] != '\n' && p[end] != ',' &&
               !is_quote((unsigned char)p[end]) && p[end] != '}')
            end++;
        while (end > i && is_space((unsigned char)p[end - 1]))
            end--;
        const char *word = end > i ? memchr(p + i, ' ', end - i) : NULL;
        if (word) /* "Bearer T": T alone is remembered too */
            atr__secret_remember_text(word + 1, (size_t)(p + end - word - 1));
    } else {
        while (end < len && !strchr("&; \t\r\n,\"'#}", p[end]))
            end++;
    }
    return found(p + i, end - i);
}

/* `scheme://user:PASSWORD@host` starting at the "://" at p[at]. */
static int url_password(const char *p, size_t len, size_t at) {
    size_t start = at + 3, end = start, colon = 0, atsign = 0;
    while (end < len && !strchr("/?# \t\r\n\"'<>", p[end])) {
        if (p[end] == '@')
            atsign = end; /* the last one: a password may hold '@' */
        end++;
    }
    if (!atsign)
        return 0;
    for (size_t i = start; i < atsign; i++) {
        if (p[i] == ':') {
            colon = i;
            break;
        }
    }
    return colon && found(p + colon + 1, atsign - colon - 1);
}

int atr__text_credential(const char *p, size_t len) {
    int hit = 0;
    if (len < 3 || !g_npats)
        return 0;
    /* the separators by memchr (vectorised): most text has few */
    const char *end = p + len, *eq = memchr(p, '=', len), *colon = memchr(p, ':', len);
    while (eq || colon) {
        const char *at = !colon || (eq && eq < colon) ? eq : colon;
        size_t i = (size_t)(at - p);
        if (at == eq) {
            eq = memchr(at + 1, '=', (size_t)(end - at - 1));
        } else {
            colon = memchr(at + 1, ':', (size_t)(end - at - 1));
            if (i + 2 < len && p[i + 1] == '/' && p[i + 2] == '/') {
                hit |= url_password(p, len, i);
                continue;
            }
        }
        if (i > 0 && name_before(p, i))
            hit |= value_after(p, len, i);
    }
    return hit;
}

void atr__redact_clear_patterns(void) {
    free_patterns();
    atr__text_check_update();
}
