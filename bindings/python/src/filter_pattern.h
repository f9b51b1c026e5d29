/*
 * filter_pattern.h — the filter language of filter tracing (docs/FILTERS.md).
 *
 * A pattern is one of
 *   MODULE            module glob: "myapp", "myapp.db.*", "*.models"
 *   MODULE:QUALNAME   module glob and qualified-name glob: "myapp.db:Query.*"
 *   file:PATH         file path glob; also any pattern starting with "/", "./" or "../"
 * Globs use `*` (any run of characters), `?` (one character) and `[...]` / `[!...]` sets.
 * In file globs `*` stops at "/" and `**` crosses it. A module glob without wildcards
 * ("myapp.db") also matches its submodules; a trailing ".*" also matches the package itself.
 * A qualname without wildcards ("Query") also matches names nested under it ("Query.run").
 *
 * Pure C, no Python objects: parsing copies the text; matching takes UTF-8 byte ranges.
 */
#ifndef ATR_PY_FILTER_PATTERN_H
#define ATR_PY_FILTER_PATTERN_H

#include <stddef.h>

typedef enum atr__pat_kind {
    ATR__PAT_MODULE = 0, /* module glob only */
    ATR__PAT_QUALNAME,   /* module glob + qualname glob */
    ATR__PAT_FILE        /* file path glob (absolute after parsing) */
} atr__pat_kind;

typedef struct atr__pattern {
    int kind;         /* atr__pat_kind */
    char *module;     /* owned, NUL-terminated; NULL for ATR__PAT_FILE */
    char *qualname;   /* owned; NULL unless ATR__PAT_QUALNAME */
    char *path;       /* owned, absolute; NULL unless ATR__PAT_FILE */
    int mod_literal;  /* module glob has no wildcard: also matches submodules */
    int mod_pkgstar;  /* module glob ends with ".*": also matches the package itself */
    int qual_literal; /* qualname has no wildcard: also matches nested names */
    int explicit;     /* the pattern names its target (first component or path prefix literal) */
    char *literal_prefix; /* owned: path prefix before the first wildcard (FILE only) */
    char *module_pkg;     /* owned: module glob without its trailing ".*" (mod_pkgstar) */
} atr__pattern;

/*
 * Parse `text` into *out. `cwd` (absolute, no trailing slash) makes relative file globs
 * absolute. Returns 0, or -1 with a one-line reason in err (size errlen) and *out untouched
 * (nothing to free). Returns -2 when out of memory.
 */
int atr__pattern_parse(const char *text, const char *cwd, atr__pattern *out, char *err,
                       size_t errlen);

/* Free what a parsed pattern owns. Accepts a zeroed pattern. */
void atr__pattern_free(atr__pattern *p);

/*
 * 1 if the pattern selects a function with this module name, qualified name and file
 * (absolute path; any may be empty), else 0.
 */
int atr__pattern_match(const atr__pattern *p, const char *module, const char *qualname,
                       const char *file);

/*
 * Glob match of a whole string. `slash` != 0: `*` does not cross '/', `**` does.
 * Exposed for tests of the language through filter_check and for the file roots check.
 */
int atr__glob_match(const char *pat, const char *s, int slash);

#endif /* ATR_PY_FILTER_PATTERN_H */
