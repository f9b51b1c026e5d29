/* Following logs while they are written (see follow.h). */
#include "follow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct ffile {
    char *path; /* owned */
    int fd;     /* -1: not open (yet) */
    dev_t dev;
    ino_t ino;
    uint8_t *data; /* the bytes read so far, owned */
    size_t len, cap;
    size_t complete;   /* end of the last complete frame */
    uint64_t n_frames; /* complete frames, the file header included */
    int bad;           /* bytes at `complete` are not a frame: reading stops there */
    int closed;        /* END_OF_LOG seen by the last index built */
} ffile;

struct atr__follow {
    ffile *files; /* the named logs first, then children in the order found */
    uint32_t n, cap;
    char problem[300];
};

/* ---- frames (RFC 8878 section 3.1: the sizes only, nothing is decompressed) ---------- */

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int64_t atr__frame_len(const uint8_t *p, size_t n) {
    if (n < 4)
        return 0;
    uint32_t magic = le32(p);
    if ((magic & 0xFFFFFFF0u) == 0x184D2A50u) { /* skippable: magic, size, content */
        if (n < 8)
            return 0;
        uint64_t len = 8u + (uint64_t)le32(p + 4);
        return len <= n ? (int64_t)len : 0;
    }
    if (magic != 0xFD2FB528u)
        return -1;
    if (n < 5)
        return 0;
    uint8_t fhd = p[4];
    if (fhd & 0x08u) /* reserved bit */
        return -1;
    unsigned fcs_flag = fhd >> 6, single = (fhd >> 5) & 1u, checksum = (fhd >> 2) & 1u;
    static const unsigned did_size[] = {0, 1, 2, 4};
    uint64_t pos = 5u + (single ? 0u : 1u) + did_size[fhd & 3u] +
                   (fcs_flag ? 1u << fcs_flag : (single ? 1u : 0u));
    for (;;) {
        if (pos + 3 > n)
            return 0;
        uint32_t bh = (uint32_t)p[pos] | (uint32_t)p[pos + 1] << 8 | (uint32_t)p[pos + 2] << 16;
        unsigned type = (bh >> 1) & 3u;
        if (type == 3) /* reserved block type */
            return -1;
        pos += 3u + (type == 1 ? 1u : (uint64_t)(bh >> 3));
        if (bh & 1u) { /* the last block */
            pos += checksum ? 4u : 0u;
            return pos <= n ? (int64_t)pos : 0;
        }
    }
}

/* ---- files ------------------------------------------------------------------------- */

static void file_reset(ffile *fl) {
    if (fl->fd >= 0)
        close(fl->fd);
    fl->fd = -1;
    fl->len = fl->complete = 0;
    fl->n_frames = 0;
    fl->bad = fl->closed = 0;
}

static int add_file(atr__follow *f, const char *path) {
    if (f->n == f->cap) {
        uint32_t cap = f->cap ? f->cap * 2 : 8;
        ffile *p = realloc(f->files, cap * sizeof *p);
        if (!p)
            return ATR_ENOMEM;
        f->files = p;
        f->cap = cap;
    }
    ffile *fl = &f->files[f->n];
    memset(fl, 0, sizeof *fl);
    fl->fd = -1;
    if (!(fl->path = strdup(path)))
        return ATR_ENOMEM;
    f->n++;
    return 0;
}

int atr__follow_open(const char *const *paths, int n, atr__follow **out) {
    *out = NULL;
    atr__follow *f = calloc(1, sizeof *f);
    if (!f)
        return ATR_ENOMEM;
    for (int i = 0; i < n; i++)
        if (add_file(f, paths[i]) < 0) {
            atr__follow_close(f);
            return ATR_ENOMEM;
        }
    *out = f;
    return 0;
}

void atr__follow_close(atr__follow *f) {
    if (!f)
        return;
    for (uint32_t i = 0; i < f->n; i++) {
        file_reset(&f->files[i]);
        free(f->files[i].data);
        free(f->files[i].path);
    }
    free(f->files);
    free(f);
}

/* Open the file if it exists now; start again when the path names another file or shrank
   (a new run over the same log). Returns 1 when it was reset, 0, or -1 (not readable). */
static int file_check(atr__follow *f, ffile *fl) {
    struct stat st;
    if (fl->fd >= 0) {
        if (stat(fl->path, &st) == 0 && (st.st_dev != fl->dev || st.st_ino != fl->ino))
            file_reset(fl); /* replaced: reopened below */
        else if (fstat(fl->fd, &st) == 0 && (size_t)st.st_size < fl->len)
            file_reset(fl); /* truncated in place */
        else
            return 0;
        fl->fd = -1;
    }
    int reset = fl->dev || fl->ino;
    fl->fd = open(fl->path, O_RDONLY | O_CLOEXEC);
    if (fl->fd < 0) {
        if (errno != ENOENT)
            snprintf(f->problem, sizeof f->problem, "%s: %s", fl->path, strerror(errno));
        return errno == ENOENT ? 0 : -1;
    }
    if (fstat(fl->fd, &st) == 0) {
        fl->dev = st.st_dev;
        fl->ino = st.st_ino;
    }
    return reset;
}

/* Read what the file gained; 1 when complete frames arrived, 0, or ATR_ENOMEM. */
static int file_read(atr__follow *f, ffile *fl) {
    for (;;) {
        if (fl->cap - fl->len < 65536) {
            size_t cap = fl->cap ? fl->cap * 2 : 262144;
            uint8_t *p = realloc(fl->data, cap);
            if (!p)
                return ATR_ENOMEM;
            fl->data = p;
            fl->cap = cap;
        }
        ssize_t got = pread(fl->fd, fl->data + fl->len, fl->cap - fl->len, (off_t)fl->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        fl->len += (size_t)got;
    }
    int more = 0;
    while (!fl->bad) {
        int64_t l = atr__frame_len(fl->data + fl->complete, fl->len - fl->complete);
        if (l < 0) {
            fl->bad = 1;
            snprintf(f->problem, sizeof f->problem,
                     "%s: not a log frame at offset %zu: following stops there", fl->path,
                     fl->complete);
        }
        if (l <= 0)
            break;
        fl->complete += (size_t)l;
        fl->n_frames++;
        more = 1;
    }
    return more;
}

/* "STEM.<pid>.<8 hex digits>.atr", STEM the log's name without ".atr": the log of a process
   forked (or spawned by multiprocessing) from the log's (libtrace/src/writer/sink.c). */
static int is_child_of(const char *name, const char *base) {
    size_t bl = strlen(base);
    if (bl > 4 && strcmp(base + bl - 4, ".atr") == 0)
        bl -= 4;
    if (strncmp(name, base, bl) != 0 || name[bl] != '.')
        return 0;
    const char *p = name + bl + 1, *q = p;
    while (*q >= '0' && *q <= '9')
        q++;
    if (q == p || *q != '.')
        return 0;
    p = ++q;
    while ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f'))
        q++;
    return q - p == 8 && strcmp(q, ".atr") == 0;
}

static const char *base_of(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Children's logs next to file i (new ones are added at the end). */
static int find_children(atr__follow *f, uint32_t i) {
    const char *path = f->files[i].path, *base = base_of(path);
    size_t dlen = (size_t)(base - path);
    char dir[4096];
    if (dlen >= sizeof dir)
        return 0;
    memcpy(dir, path, dlen);
    dir[dlen] = '\0';
    DIR *d = opendir(dlen ? dir : ".");
    if (!d)
        return 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!is_child_of(e->d_name, base))
            continue;
        char child[4096 + 256];
        snprintf(child, sizeof child, "%s%s", dir, e->d_name);
        int known = 0;
        for (uint32_t k = 0; k < f->n && !known; k++)
            known = strcmp(f->files[k].path, child) == 0;
        if (!known)
            rc = add_file(f, child);
    }
    closedir(d);
    return rc;
}

int atr__follow_poll(atr__follow *f, int *changed) {
    *changed = 0;
    f->problem[0] = '\0';
    uint32_t n = f->n; /* children found now are read below, in this poll */
    for (uint32_t i = 0; i < n; i++)
        if (f->files[i].fd >= 0 && find_children(f, i) < 0)
            return ATR_ENOMEM;
    for (uint32_t i = 0; i < f->n; i++) {
        ffile *fl = &f->files[i];
        int r = file_check(f, fl);
        if (r < 0 || fl->fd < 0)
            continue;
        if (r > 0)
            *changed = 1;
        r = file_read(f, fl);
        if (r < 0)
            return r;
        if (r > 0)
            *changed = 1;
    }
    return 0;
}

int atr__follow_index(atr__follow *f, const atr__vctx *ctx, atr_index **out, char *err,
                      size_t err_size) {
    *out = NULL;
    err[0] = '\0';
    atr_index *ix = NULL;
    if (atr_index_open(&ix) < 0)
        return ATR_ENOMEM;
    atr_index_set_max_memory(ix, ctx->max_memory);
    atr_index_set_compensate(ix, ctx->compensate);
    uint32_t loaded = 0;
    int rc = 0;
    for (uint32_t i = 0; i < f->n && rc == 0; i++) {
        ffile *fl = &f->files[i];
        fl->closed = 0;
        if (fl->n_frames < 2) /* the file header alone: nothing to show yet */
            continue;
        rc = atr_index_load_mem(ix, fl->data, fl->complete, fl->path);
        if (rc < 0) {
            snprintf(err, err_size, "%s", atr_index_error(ix));
            break;
        }
        atr_file_info fi;
        if (atr_index_file(ix, loaded++, &fi) == 0)
            fl->closed = !(fi.flags & ATR_FILE_UNCLOSED);
    }
    if (rc == 0 && loaded == 0)
        rc = ATR_ENOTFOUND;
    if (rc < 0) {
        atr_index_free(ix);
        return rc;
    }
    *out = ix;
    return 0;
}

void atr__follow_counts(const atr__follow *f, uint32_t *files, uint32_t *closed) {
    uint32_t c = 0, n = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        n += f->files[i].fd >= 0;
        c += f->files[i].closed;
    }
    *files = n;
    *closed = c;
}

int atr__follow_finished(const atr__follow *f) {
    uint32_t files, closed;
    atr__follow_counts(f, &files, &closed);
    return files > 0 && closed == f->n;
}

const char *atr__follow_problem(const atr__follow *f) { return f->problem; }

/* ---- stopping ------------------------------------------------------------------------ */

/* Why global: a signal handler has no other place to leave the request. */
static volatile sig_atomic_t g_stop;
/* Why global: the handlers to put back, saved by atr__follow_signals_catch(). */
static struct sigaction g_old_int, g_old_term;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

void atr__follow_signals_catch(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask); /* no SA_RESTART: a sleep or a read ends early */
    g_stop = 0;
    sigaction(SIGINT, &sa, &g_old_int);
    sigaction(SIGTERM, &sa, &g_old_term);
}

void atr__follow_signals_restore(void) {
    sigaction(SIGINT, &g_old_int, NULL);
    sigaction(SIGTERM, &g_old_term, NULL);
}

int atr__follow_stopped(void) { return g_stop != 0; }

void atr__follow_sleep(unsigned ms) {
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    if (!g_stop)
        nanosleep(&ts, NULL); /* EINTR: a signal, which the caller looks at */
}
