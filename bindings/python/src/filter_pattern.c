/*
 * filter_pattern.c — parse and match filter patterns (filter_pattern.h, docs/FILTERS.md).
 */
#include "filter_pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Matching gives up (no match) after this many steps: globs are user input. */
#define ATR__GLOB_BUDGET 200000

static int is_wild(char c) { return c == '*' || c == '?' || c == '['; }

static int has_wild(const char *s) {
    for (; *s; s++) {
        if (is_wild(*s)) {
            return 1;
        }
    }
    return 0;
}

/* Length of the set starting at p ('[' at p[0]), or 0 if unterminated. */
static size_t set_len(const char *p) {
    size_t i = 1;
    if (p[i] == '!') {
        i++;
    }
    if (p[i] == ']') {
        i++;
    }
    while (p[i] && p[i] != ']') {
        i++;
    }
    return p[i] == ']' ? i + 1 : 0;
}

static int set_match(const char *p, size_t len, char c) {
    size_t i = 1;
    int neg = 0, hit = 0;
    if (p[i] == '!') {
        neg = 1;
        i++;
    }
    size_t first = i;
    for (; i < len - 1; i++) {
        if (p[i] == '-' && i > first && i + 1 < len - 1) {
            if ((unsigned char)c >= (unsigned char)p[i - 1] &&
                (unsigned char)c <= (unsigned char)p[i + 1]) {
                hit = 1;
            }
            i++;
            continue;
        }
        if (p[i] == c) {
            hit = 1;
        }
    }
    return hit != neg;
}

static int glob_rec(const char *p, const char *s, int slash, long *budget) {
    while (*p) {
        if (--*budget < 0) {
            return 0;
        }
        if (*p == '*') {
            int cross = !slash;
            while (*p == '*') {
                if (p[1] == '*') {
                    cross = 1;
                }
                p++;
            }
            if (!*p && cross) {
                return 1;
            }
            for (const char *t = s;; t++) {
                if (glob_rec(p, t, slash, budget)) {
                    return 1;
                }
                if (!*t || (!cross && *t == '/') || *budget < 0) {
                    return 0;
                }
            }
        }
        if (!*s) {
            return 0;
        }
        if (*p == '?') {
            if (slash && *s == '/') {
                return 0;
            }
            p++;
            s++;
            continue;
        }
        if (*p == '[') {
            size_t n = set_len(p);
            if (n) {
                if ((slash && *s == '/') || !set_match(p, n, *s)) {
                    return 0;
                }
                p += n;
                s++;
                continue;
            }
        }
        if (*p != *s) {
            return 0;
        }
        p++;
        s++;
    }
    return *s == '\0';
}

int atr__glob_match(const char *pat, const char *s, int slash) {
    long budget = ATR__GLOB_BUDGET;
    return glob_rec(pat, s, slash, &budget);
}

static char *dup_range(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Checks a glob's brackets; returns a reason or NULL. */
static const char *check_glob(const char *g) {
    for (const char *p = g; *p; p++) {
        if (*p == '[') {
            size_t n = set_len(p);
            if (!n) {
                return "unterminated '[' set";
            }
            p += n - 1;
        } else if (*p == ']') {
            return "']' without '['";
        }
    }
    return NULL;
}

/* Identifier-ish characters allowed in module and qualname globs. */
static const char *check_chars(const char *g, const char *extra, const char *what) {
    for (const unsigned char *p = (const unsigned char *)g; *p; p++) {
        if (*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || is_wild((char)*p) || *p == ']' ||
            *p == '!' || *p == '-' || strchr(extra, *p)) {
            continue;
        }
        return what;
    }
    if (g[0] == '.' || (g[0] && g[strlen(g) - 1] == '.') || strstr(g, "..")) {
        return what;
    }
    return NULL;
}

static int fail(char *err, size_t errlen, const char *text, const char *why) {
    snprintf(err, errlen, "invalid trace pattern '%.200s': %s", text, why);
    return -1;
}

/* Collapse "//", "/./" and "/name/../" in place (the path is absolute). */
static void normalize_path(char *path) {
    char *out = path;
    const char *in = path;
    while (*in) {
        if (in[0] == '/' && in[1] == '/') {
            in++;
        } else if (in[0] == '/' && in[1] == '.' && (in[2] == '/' || !in[2])) {
            in += 2;
        } else if (in[0] == '/' && in[1] == '.' && in[2] == '.' && (in[3] == '/' || !in[3])) {
            in += 3;
            while (out > path && out[-1] != '/') {
                out--;
            }
            if (out > path) {
                out--; /* drop the '/' before the removed component */
            }
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    if (!path[0]) {
        path[0] = '/';
        path[1] = '\0';
    }
}

static int parse_file(const char *text, const char *glob, const char *cwd, atr__pattern *out,
                      char *err, size_t errlen) {
    if (!*glob) {
        return fail(err, errlen, text, "empty file glob after 'file:'");
    }
    const char *why = check_glob(glob);
    if (why) {
        return fail(err, errlen, text, why);
    }
    size_t cl = glob[0] == '/' ? 0 : strlen(cwd);
    const char *g = glob;
    while (cl && g[0] == '.' && g[1] == '/') {
        g += 2;
    }
    size_t gl = strlen(g);
    char *path = malloc(cl + 1 + gl + 1);
    if (!path) {
        return -2;
    }
    if (cl) {
        memcpy(path, cwd, cl);
        path[cl] = '/';
        memcpy(path + cl + 1, g, gl + 1);
    } else {
        memcpy(path, g, gl + 1);
    }
    normalize_path(path);
    size_t lit = 0;
    while (path[lit] && !is_wild(path[lit])) {
        lit++;
    }
    out->literal_prefix = dup_range(path, lit);
    if (!out->literal_prefix) {
        free(path);
        return -2;
    }
    out->kind = ATR__PAT_FILE;
    out->path = path;
    out->explicit = 1;
    return 0;
}

int atr__pattern_parse(const char *text, const char *cwd, atr__pattern *out, char *err,
                       size_t errlen) {
    atr__pattern p;
    memset(&p, 0, sizeof p);
    size_t len = strlen(text);
    if (len == 0) {
        return fail(err, errlen, text, "empty pattern");
    }
    if (len > 4000) {
        return fail(err, errlen, "...", "pattern longer than 4000 bytes");
    }
    for (const char *c = text; *c; c++) {
        if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r') {
            return fail(err, errlen, text, "whitespace is not allowed");
        }
    }
    int rc;
    if (strncmp(text, "file:", 5) == 0) {
        rc = parse_file(text, text + 5, cwd, &p, err, errlen);
    } else if (text[0] == '/' || strncmp(text, "./", 2) == 0 || strncmp(text, "../", 3) == 0) {
        rc = parse_file(text, text, cwd, &p, err, errlen);
    } else {
        const char *colon = strchr(text, ':');
        size_t ml = colon ? (size_t)(colon - text) : len;
        if (ml == 0) {
            return fail(err, errlen, text, "empty module glob before ':'");
        }
        if (colon && !colon[1]) {
            return fail(err, errlen, text, "empty qualified name after ':'");
        }
        if (colon && strchr(colon + 1, ':')) {
            return fail(err, errlen, text, "more than one ':'");
        }
        p.module = dup_range(text, ml);
        p.qualname = colon ? dup_range(colon + 1, strlen(colon + 1)) : NULL;
        if (!p.module || (colon && !p.qualname)) {
            atr__pattern_free(&p);
            return -2;
        }
        const char *why = check_chars(p.module, "", "a module glob holds names, dots, * ? [ ]");
        if (!why) {
            why = check_glob(p.module);
        }
        if (!why && p.qualname) {
            why = check_chars(p.qualname, "<>",
                              "a qualified name glob holds names, dots, <locals>, * ? [ ]");
            if (!why) {
                why = check_glob(p.qualname);
            }
        }
        if (why) {
            atr__pattern_free(&p);
            return fail(err, errlen, text, why);
        }
        p.kind = colon ? ATR__PAT_QUALNAME : ATR__PAT_MODULE;
        p.mod_literal = !has_wild(p.module);
        p.mod_pkgstar = ml > 2 && strcmp(p.module + ml - 2, ".*") == 0;
        if (p.mod_pkgstar) {
            p.module_pkg = dup_range(p.module, ml - 2);
            if (!p.module_pkg) {
                atr__pattern_free(&p);
                return -2;
            }
        }
        p.qual_literal = p.qualname ? !has_wild(p.qualname) : 0;
        /* explicit: the first dotted component is literal ("json", "json.*", "email.mime") */
        size_t i = 0;
        p.explicit = 1;
        while (p.module[i] && p.module[i] != '.') {
            if (is_wild(p.module[i])) {
                p.explicit = 0;
            }
            i++;
        }
        rc = 0;
    }
    if (rc == 0) {
        *out = p;
    }
    return rc;
}

void atr__pattern_free(atr__pattern *p) {
    if (!p) {
        return;
    }
    free(p->module);
    free(p->qualname);
    free(p->path);
    free(p->literal_prefix);
    free(p->module_pkg);
    memset(p, 0, sizeof *p);
}

static int module_match(const atr__pattern *p, const char *module) {
    if (p->mod_literal) {
        size_t n = strlen(p->module);
        return strncmp(module, p->module, n) == 0 && (module[n] == '\0' || module[n] == '.');
    }
    if (atr__glob_match(p->module, module, 0)) {
        return 1;
    }
    if (p->mod_pkgstar) {
        return atr__glob_match(p->module_pkg, module, 0);
    }
    return 0;
}

int atr__pattern_match(const atr__pattern *p, const char *module, const char *qualname,
                       const char *file) {
    switch (p->kind) {
    case ATR__PAT_FILE:
        return file[0] != '\0' && atr__glob_match(p->path, file, 1);
    case ATR__PAT_MODULE:
        return module_match(p, module);
    case ATR__PAT_QUALNAME:
        if (!module_match(p, module)) {
            return 0;
        }
        if (p->qual_literal) {
            size_t n = strlen(p->qualname);
            return strncmp(qualname, p->qualname, n) == 0 &&
                   (qualname[n] == '\0' || qualname[n] == '.');
        }
        return atr__glob_match(p->qualname, qualname, 0);
    default:
        return 0;
    }
}
