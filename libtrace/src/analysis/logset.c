/*
 * Logs as the user names them (atr_index_load_set): files, directories, and the first file
 * of a rotated log standing for all of its files. Each file's PROCESS record says which
 * process (uid) and which part it is; the files of one process load as one log, in part
 * order (index.c, atr__index_load_parts).
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/load.h"

typedef struct set_file {
    char *path;
    uint64_t uid;
    uint32_t part;
    uint32_t order; /* position in the expanded list (groups keep their first's order) */
    int done;
    int given; /* named by the caller (not found in a directory, as a later part, by glob) */
} set_file;

typedef struct file_list {
    set_file *v;
    uint64_t n, cap;
} file_list;

static int list_add(file_list *l, const char *path, size_t len, int given) {
    for (uint64_t i = 0; i < l->n; i++)
        if (strlen(l->v[i].path) == len && memcmp(l->v[i].path, path, len) == 0 &&
            !(given && l->v[i].given))
            return 0; /* found twice: once (given twice: refused as the same log) */
    if (atr__grow((void **)&l->v, &l->cap, l->n + 1, sizeof(set_file)))
        return ATR_ENOMEM;
    set_file *f = &l->v[l->n];
    memset(f, 0, sizeof *f);
    if (!(f->path = malloc(len + 1)))
        return ATR_ENOMEM;
    memcpy(f->path, path, len);
    f->path[len] = '\0';
    f->given = given;
    f->order = (uint32_t)l->n++;
    return 0;
}

/* 1 if name[0..n) is digits only (and not empty). */
static int all_digits(const char *p, size_t n) {
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* A log's name: "*.atr" or "*.atr.<digits>". */
static int log_name(const char *name) {
    const char *p = strstr(name, ".atr");
    for (; p; p = strstr(p + 1, ".atr")) {
        if (p[4] == '\0')
            return 1;
        if (p[4] == '.' && all_digits(p + 5, strlen(p + 5)))
            return 1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Names in directory `dir` that `keep` accepts (with `arg`), sorted, added as dir/name.
 * Returns 0, ATR_ENOMEM, or ATR_EOPEN (errno kept) when dir cannot be read.
 */
static int add_dir(file_list *l, const char *dir, int (*keep)(const char *, const void *),
                   const void *arg) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    uint64_t n = 0, cap = 0;
    int rc = 0;
    if (!d)
        return ATR_EOPEN;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !keep(e->d_name, arg))
            continue;
        if (atr__grow((void **)&names, &cap, n + 1, sizeof(char *)) ||
            !(names[n] = strdup(e->d_name)))
            rc = ATR_ENOMEM;
        else
            n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(char *), cmp_str);
    for (uint64_t i = 0; i < n; i++) {
        size_t dl = strlen(dir), nl = strlen(names[i]);
        char *full = malloc(dl + nl + 2);
        if (!full) {
            rc = ATR_ENOMEM;
        } else if (rc == 0) {
            memcpy(full, dir, dl);
            full[dl] = '/';
            memcpy(full + dl + 1, names[i], nl + 1);
            if (dl && dir[dl - 1] == '/')
                memmove(full + dl, full + dl + 1, nl + 1);
            struct stat st;
            if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
                rc = list_add(l, full, strlen(full), 0);
        }
        free(full);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int keep_log(const char *name, const void *arg) {
    (void)arg;
    return log_name(name);
}

/* "<base>.<digits>" for the base name `arg`. */
static int keep_part(const char *name, const void *arg) {
    const char *base = arg;
    size_t n = strlen(base);
    return strncmp(name, base, n) == 0 && name[n] == '.' &&
           all_digits(name + n + 1, strlen(name + n + 1));
}

/* One path as the user gave it: a directory, a file (with its later parts), or a rotated
   log's first name whose file was deleted. A directory without a log is refused (ATR_EINVAL,
   err says so): a mistyped directory must not read as a log without calls. */
static int expand(file_list *l, const char *path, char *err, size_t errsz) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        uint64_t before = l->n;
        int rc = add_dir(l, path, keep_log, NULL);
        if (rc == 0 && l->n == before) {
            snprintf(err, errsz, "%s: no log in this directory (no *.atr file)", path);
            rc = ATR_EINVAL;
        }
        return rc;
    }
    int exists = stat(path, &st) == 0;
    glob_t g;
    if (!exists && strpbrk(path, "*?[") && glob(path, 0, NULL, &g) == 0) {
        int rc = 0; /* a pattern the shell did not expand (quoted, or from a program) */
        for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
            if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
                rc = list_add(l, g.gl_pathv[i], strlen(g.gl_pathv[i]), 0);
        globfree(&g);
        return rc;
    }
    uint64_t before = l->n;
    int rc = exists ? list_add(l, path, strlen(path), 1) : 0;
    if (rc)
        return rc;
    const char *slash = strrchr(path, '/');
    char dir[4096];
    size_t dl = slash ? (size_t)(slash - path) : 0;
    if (dl >= sizeof dir)
        return 0;
    memcpy(dir, path, dl);
    dir[dl] = '\0';
    if (slash && dl == 0)
        strcpy(dir, "/");
    rc = add_dir(l, slash ? dir : ".", keep_part, slash ? slash + 1 : path);
    if (rc == ATR_EOPEN)
        rc = 0;
    if (!slash) /* "./name" back to "name", as the user wrote it */
        for (uint64_t i = before; i < l->n; i++)
            if (strncmp(l->v[i].path, "./", 2) == 0)
                memmove(l->v[i].path, l->v[i].path + 2, strlen(l->v[i].path + 2) + 1);
    if (!exists && l->n == before) /* nothing there: loaded as given, for its error */
        return list_add(l, path, strlen(path), 1);
    return 0;
}

/* The uid and part of a log from its PROCESS record (0, 0 when it cannot be read: the load
   then reports why). */
static void peek(set_file *f) {
    atr_reader *r = NULL;
    atr_record rec;
    if (atr_reader_open(f->path, &r) != 0)
        return;
    if (atr_reader_next(r, &rec) == 0 && rec.kind == ATR_REC_PROCESS) {
        f->uid = rec.u.process.uid;
        f->part = (uint32_t)rec.u.process.part;
    }
    atr_reader_close(r);
}

static int cmp_part(const void *a, const void *b) {
    const set_file *x = *(set_file *const *)a, *y = *(set_file *const *)b;
    return x->part < y->part ? -1 : x->part > y->part;
}

/*
 * Expand paths, group the files by process and call each(ctx, names, k, first part) per
 * process, in the order of its first file, names in part order. A part found twice is
 * refused (ATR_EINVAL, err says which).
 */
typedef int (*group_fn)(void *ctx, const char **names, uint32_t k, uint32_t first_part);

static int walk_set(const char *const *paths, uint32_t n, char *err, size_t errsz, group_fn each,
                    void *ctx) {
    file_list l = {NULL, 0, 0};
    set_file **group = NULL;
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++)
        rc = expand(&l, paths[i], err, errsz);
    if (rc == 0 && l.n && !(group = malloc(l.n * sizeof *group)))
        rc = ATR_ENOMEM;
    for (uint64_t i = 0; rc == 0 && i < l.n; i++)
        peek(&l.v[i]);
    for (uint64_t i = 0; rc == 0 && i < l.n; i++) {
        uint32_t k = 0;
        if (l.v[i].done)
            continue;
        for (uint64_t j = i; j < l.n; j++) {
            if (!l.v[j].done && (j == i || (l.v[i].uid && l.v[j].uid == l.v[i].uid))) {
                group[k++] = &l.v[j];
                l.v[j].done = 1;
            }
        }
        qsort(group, k, sizeof *group, cmp_part);
        for (uint32_t g = 1; g < k; g++) {
            if (group[g]->part == group[g - 1]->part) {
                struct stat a, b;
                int same = stat(group[g]->path, &a) == 0 && stat(group[g - 1]->path, &b) == 0 &&
                           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
                const set_file *x = group[g]->order > group[g - 1]->order ? group[g] : group[g - 1];
                const set_file *y = x == group[g] ? group[g - 1] : group[g];
                if (same)
                    snprintf(err, errsz, "%s: the same log as %s (the same file)", x->path,
                             y->path);
                else
                    snprintf(err, errsz, "%s: the same log as %s (process uid %llx)", x->path,
                             y->path, (unsigned long long)x->uid);
                rc = ATR_EINVAL;
                break;
            }
        }
        if (rc == 0) {
            const char **names = malloc(k * sizeof *names);
            if (!names) {
                rc = ATR_ENOMEM;
                break;
            }
            for (uint32_t g = 0; g < k; g++)
                names[g] = group[g]->path;
            rc = each(ctx, names, k, group[0]->part);
            free(names);
        }
    }
    for (uint64_t i = 0; i < l.n; i++)
        free(l.v[i].path);
    free(l.v);
    free(group);
    return rc;
}

static int load_group(void *ctx, const char **names, uint32_t k, uint32_t first_part) {
    return atr__index_load_parts(ctx, names, k, first_part);
}

int atr_index_load_set(atr_index *ix, const char *const *paths, uint32_t n) {
    int rc;
    if (!ix || (!paths && n))
        return ATR_EINVAL;
    ix->err[0] = '\0';
    rc = walk_set(paths, n, ix->err, sizeof ix->err, load_group, ix);
    if (rc == ATR_ENOMEM && !ix->err[0])
        snprintf(ix->err, sizeof(ix->err), "out of memory");
    return rc;
}

typedef struct name_list {
    char **v;
    uint64_t n, cap;
} name_list;

static int add_names(void *ctx, const char **names, uint32_t k, uint32_t first_part) {
    name_list *o = ctx;
    (void)first_part;
    for (uint32_t i = 0; i < k; i++) {
        if (atr__grow((void **)&o->v, &o->cap, o->n + 1, sizeof(char *)) ||
            !(o->v[o->n] = strdup(names[i])))
            return ATR_ENOMEM;
        o->n++;
    }
    return 0;
}

int atr_logset_expand(const char *const *paths, uint32_t n, char ***out, uint32_t *n_out) {
    name_list o = {NULL, 0, 0};
    char err[512];
    int rc;
    if (!out || !n_out || (!paths && n))
        return ATR_EINVAL;
    *out = NULL;
    *n_out = 0;
    rc = walk_set(paths, n, err, sizeof err, add_names, &o);
    if (rc == ATR_EINVAL) { /* a file named twice: the paths as given */
        atr_logset_free(o.v, (uint32_t)o.n);
        memset(&o, 0, sizeof o);
        rc = add_names(&o, (const char **)paths, n, 0);
    }
    if (rc != 0) {
        atr_logset_free(o.v, (uint32_t)o.n);
        return rc;
    }
    *out = o.v;
    *n_out = (uint32_t)o.n;
    return 0;
}

void atr_logset_free(char **paths, uint32_t n) {
    for (uint32_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}
