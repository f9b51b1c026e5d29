/*
 * Folded stacks (see export.h), the input of flamegraph.pl, inferno and speedscope: one line
 * "root;child;leaf VALUE" per stack of functions (flame.h merges the calls), VALUE the self
 * time in ns of the calls with that stack (active time: a generator's suspended time is not
 * in it) or their number. Frames are "module.qualname" escaped as the viewer prints log
 * text (control characters as \x1b...), ';' made ':' and spaces '_'; functions of the same
 * name in other files get "@file:line".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "flame.h"
#include "render.h"
#include "strbuf.h"

typedef struct fnames {
    uint32_t n;
    uint32_t *map; /* owned: function id -> the id standing for every function of its name */
    char **name;   /* owned (each owned): function id -> frame name */
} fnames;

/* A name escaped as the viewer prints log text (render.h), then made one folded frame. */
static void clean(atr__sbuf *sb, const char *p, size_t n) {
    size_t from = sb->len;
    atr__esc_text(sb, p, n, ATR__ESC_BARE);
    for (size_t i = from; i < sb->len && !sb->oom; i++)
        if (sb->ptr[i] == ';' || sb->ptr[i] == ' ')
            sb->ptr[i] = sb->ptr[i] == ';' ? ':' : '_';
}

typedef struct named {
    const char *name; /* borrowed from fnames.name */
    uint32_t id;
} named;

static int by_name(const void *a, const void *b) {
    const named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->id > y->id) - (x->id < y->id);
}

static int same_place(const atr_index *ix, uint32_t a, uint32_t b) {
    atr_function_view fa, fb;
    if (atr_index_function(ix, a, &fa) < 0 || atr_index_function(ix, b, &fb) < 0)
        return 0;
    return fa.line == fb.line && fa.file.len == fb.file.len &&
           memcmp(fa.file.ptr, fb.file.ptr, fa.file.len) == 0;
}

/* Functions of one name from `from` to `to` (of g, sorted by name): merge those of one place, and tell
   the places apart when there are several. */
static int name_group(const atr_index *ix, fnames *f, const named *g, uint32_t from, uint32_t to) {
    int several = 0;
    for (uint32_t i = from; i < to; i++) {
        uint32_t id = g[i].id;
        f->map[id] = id;
        for (uint32_t k = from; k < i; k++)
            if (same_place(ix, g[k].id, id)) {
                f->map[id] = f->map[g[k].id];
                break;
            }
        several |= f->map[id] != f->map[g[from].id];
    }
    for (uint32_t i = from; i < to && several; i++) {
        atr_function_view fv;
        atr__sbuf sb = ATR__SBUF_INIT;
        atr__sb_puts(&sb, g[i].name);
        if (atr_index_function(ix, g[i].id, &fv) == 0) {
            atr__sb_putc(&sb, '@');
            clean(&sb, fv.file.ptr, fv.file.len);
            atr__sb_printf(&sb, ":%" PRIu32, fv.line);
        }
        char *s = atr__sb_take(&sb);
        if (!s)
            return -1;
        f->name[g[i].id] = s; /* g[i].name, the old one, is freed below */
        free((char *)g[i].name);
    }
    return 0;
}

static void fnames_free(fnames *f) {
    for (uint32_t i = 0; f->name && i < f->n; i++)
        free(f->name[i]);
    free(f->name);
    free(f->map);
}

static int fnames_init(const atr_index *ix, fnames *f) {
    atr_index_info info;
    atr_index_get_info(ix, &info);
    f->n = info.n_functions;
    f->map = calloc(f->n + 1, sizeof *f->map);
    f->name = calloc(f->n + 1, sizeof *f->name);
    named *g = calloc(f->n + 1, sizeof *g);
    int rc = f->map && f->name && g ? 0 : -1;
    for (uint32_t i = 0; i < f->n && rc == 0; i++) {
        atr_function_view fv;
        atr__sbuf sb = ATR__SBUF_INIT;
        if (atr_index_function(ix, i, &fv) == 0) {
            clean(&sb, fv.module.ptr, fv.module.len);
            if (fv.module.len)
                atr__sb_putc(&sb, '.');
            clean(&sb, fv.qualname.ptr, fv.qualname.len);
        }
        if (!(f->name[i] = atr__sb_take(&sb)))
            rc = -1;
        g[i] = (named){f->name[i], i};
    }
    if (rc == 0) {
        qsort(g, f->n, sizeof *g, by_name);
        for (uint32_t i = 0, j = 0; i < f->n && rc == 0; i = j) {
            while (j < f->n && strcmp(g[i].name, g[j].name) == 0)
                j++;
            rc = name_group(ix, f, g, i, j);
        }
    }
    free(g);
    return rc;
}

/* The stack of node i, root first, into sb. */
static void stack_of(atr__sbuf *sb, const atr__ftree *t, const fnames *f, size_t i) {
    uint32_t path[ATR__FLAME_MAX_DEPTH + 1], n = 0;
    for (uint32_t k = (uint32_t)i; k != UINT32_MAX && n < ATR__FLAME_MAX_DEPTH + 1;
         k = t->n[k].parent)
        path[n++] = k;
    while (n-- > 0) {
        atr__sb_puts(sb, f->name[t->n[path[n]].fn]);
        if (n)
            atr__sb_putc(sb, ';');
    }
}

int atr__export_folded(const atr_index *ix, const uint8_t *keep, int value, FILE *out) {
    fnames f = {0};
    atr__ftree t = {0};
    atr__sbuf sb = ATR__SBUF_INIT;
    int rc = fnames_init(ix, &f);
    atr__fsel sel = {keep, f.map};
    if (rc == 0)
        rc = atr__ftree_build(ix, &sel, &t);
    for (size_t i = 0; i < t.len && rc == 0 && !ferror(out); i++) {
        uint64_t v = value == ATR__FOLDED_COUNT ? t.n[i].calls : t.n[i].self;
        if (v == 0)
            continue;
        atr__sb_clear(&sb);
        stack_of(&sb, &t, &f, i);
        atr__sb_printf(&sb, " %" PRIu64 "\n", v);
        fwrite(sb.ptr, 1, sb.len, out);
    }
    atr__sb_free(&sb);
    atr__ftree_free(&t);
    fnames_free(&f);
    return rc < 0 ? ATR_ENOMEM : ferror(out) ? ATR_EIO : 0;
}
