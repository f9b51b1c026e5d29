/*
 * An interning table: byte strings (each with a tag that must match too) to dense ids
 * 0, 1, 2, ... in order of first insertion. The table owns a copy of each string, which
 * never moves while the table lives: the writer threads' caches keep pointers to them
 * (format/encode.h). Not locked: the session's interned type names and values (types.c,
 * values.c) use it under s->mu.
 */
#ifndef ATR_WRITER_INTERN_H
#define ATR_WRITER_INTERN_H

#include <stddef.h>
#include <stdint.h>

#define ATR__INTERN_NONE UINT32_MAX

typedef struct atr__interned {
    char *bytes; /* the table's copy, NUL-terminated */
    uint32_t len;
    uint64_t tag;
} atr__interned;

typedef struct atr__intern {
    atr__interned *e; /* id -> entry */
    uint32_t n;
    uint64_t cap;
    uint32_t *slots; /* open addressing: hash -> id (ATR__INTERN_NONE: free) */
    uint32_t mask;   /* slots - 1 (0: no table yet) */
    uint64_t bytes;  /* sum of the entries' lengths */
} atr__intern;

/* The id of (p[0..len), tag), or ATR__INTERN_NONE when absent. */
uint32_t atr__intern_find(const atr__intern *t, const void *p, size_t len, uint64_t tag);
/* Add (p[0..len), tag), absent, as id t->n. The id, or ATR__INTERN_NONE out of memory. */
uint32_t atr__intern_add(atr__intern *t, const void *p, size_t len, uint64_t tag);
void atr__intern_free(atr__intern *t);

#endif /* ATR_WRITER_INTERN_H */
