/*
 * The public reader (atr_reader.h): maps the file, then pulls records from the decoding-ahead
 * pipeline (reader/ahead.h: frames and the decoder, on a worker thread for larger logs).
 * Terminal statuses (EOF, truncated, corrupt) are sticky, and every failure leaves a one-line
 * message with its file offset for atr_reader_error().
 */
#include "argtrace/atr_frames.h"
#include "argtrace/atr_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/frame_read.h"
#include "reader/ahead.h"
#include "reader/want.h"

struct atr_reader {
    const uint8_t *data; /* the whole file (borrowed for open_mem, else map/heap) */
    size_t len;
    void *map;     /* owned mmap of the file, or NULL */
    uint8_t *heap; /* owned copy of a file that could not be mapped, or NULL */
    uint32_t major, minor;
    size_t header_size;
    atr__ahead *ahead;   /* owned; made at the first atr_reader_next() (it knows map) */
    atr__frame_sel *sel; /* owned: only some frames are read (frame_index.c), or NULL */
    atr__want_fn want;   /* the values the caller uses (want.h), or NULL: all */
    void *want_ud;       /* borrowed */
    int status;          /* 0, or the sticky terminal code */
    int closed_cleanly;
    char err[320];
};

static void set_error(atr_reader *r, int code, uint64_t offset, const char *detail) {
    r->status = code;
    if (code == ATR_EOF)
        snprintf(r->err, sizeof r->err, "end of log");
    else
        snprintf(r->err, sizeof r->err, "%s at offset %" PRIu64 ": %s", atr_strerror(code), offset,
                 detail);
}

static void copy_msg(char *errbuf, size_t errbuf_size, const char *msg) {
    if (errbuf && errbuf_size)
        snprintf(errbuf, errbuf_size, "%s", msg);
}

/* Build a reader over data[0..len); on success it takes ownership of map/heap. */
static int open_bytes(const uint8_t *data, size_t len, atr_reader **out, char *errbuf,
                      size_t errbuf_size) {
    atr_reader *r;
    size_t header_size = 0;
    uint32_t major = 0, minor = 0;
    char msg[200];
    int rc;

    *out = NULL;
    rc = atr__header_read(data, len, &major, &minor, &header_size, msg, sizeof msg);
    if (rc < 0) {
        copy_msg(errbuf, errbuf_size, msg);
        return rc;
    }
    r = calloc(1, sizeof *r);
    if (!r) {
        copy_msg(errbuf, errbuf_size, atr_strerror(ATR_ENOMEM));
        return ATR_ENOMEM;
    }
    r->data = data;
    r->len = len;
    r->major = major;
    r->minor = minor;
    r->header_size = header_size;
    snprintf(r->err, sizeof r->err, "no error");
    *out = r;
    return 0;
}

int atr_reader_open_mem(const void *data, size_t len, atr_reader **out) {
    if (!out || (!data && len))
        return ATR_EINVAL;
    return open_bytes(data, len, out, NULL, 0);
}

/* Read a file that cannot be mapped (a pipe, a special file) into memory. */
static int read_all(int fd, uint8_t **out, size_t *out_len) {
    size_t len = 0, cap = 64 * 1024;
    uint8_t *buf = malloc(cap);
    for (;;) {
        ssize_t n;
        if (!buf)
            return ATR_ENOMEM;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return ATR_ENOMEM;
            }
            buf = bigger;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return ATR_EIO;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

int atr_reader_open_errbuf(const char *path, atr_reader **out, char *errbuf, size_t errbuf_size) {
    struct stat st;
    void *map = NULL;
    uint8_t *heap = NULL;
    size_t len = 0;
    int fd, rc, saved;

    if (!out || !path) {
        copy_msg(errbuf, errbuf_size, atr_strerror(ATR_EINVAL));
        return ATR_EINVAL;
    }
    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    saved = errno;
    if (fd >= 0 && fstat(fd, &st) < 0)
        saved = errno;
    else if (fd >= 0 && S_ISDIR(st.st_mode))
        saved = EISDIR;
    else if (fd >= 0)
        saved = 0;
    if (saved) {
        if (fd >= 0)
            close(fd);
        if (errbuf && errbuf_size)
            snprintf(errbuf, errbuf_size, "cannot open file: %s", strerror(saved));
        errno = saved;
        return ATR_EOPEN;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        len = (size_t)st.st_size;
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED)
            map = NULL;
    }
    if (!map && !(S_ISREG(st.st_mode) && st.st_size == 0)) {
        rc = read_all(fd, &heap, &len);
        if (rc < 0) {
            saved = errno;
            close(fd);
            copy_msg(errbuf, errbuf_size, atr_strerror(rc));
            errno = saved;
            return rc;
        }
    }
    close(fd);
    rc = open_bytes(map ? map : heap, len, out, errbuf, errbuf_size);
    if (rc < 0) {
        if (map)
            munmap(map, len);
        free(heap);
        return rc;
    }
    (*out)->map = map;
    (*out)->heap = heap;
    return 0;
}

int atr_reader_open(const char *path, atr_reader **out) {
    return atr_reader_open_errbuf(path, out, NULL, 0);
}

void atr_reader_close(atr_reader *r) {
    if (!r)
        return;
    atr__ahead_free(r->ahead); /* stops its worker before the bytes it reads go */
    atr__frame_sel_free(r->sel);
    if (r->map)
        munmap(r->map, r->len);
    free(r->heap);
    free(r);
}

int atr_reader_next(atr_reader *r, atr_record *rec) {
    char msg[300];
    uint64_t offset = 0;
    int rc;

    if (!r || !rec)
        return ATR_EINVAL;
    if (r->status)
        return r->status;
    if (!r->ahead) {
        rc = atr__ahead_new(r->data, r->len, r->header_size, r->major, r->minor, r->map != NULL,
                            r->sel, &r->ahead);
        if (rc < 0) {
            set_error(r, rc, r->header_size, "out of memory for the reader's buffers");
            return rc;
        }
        atr__ahead_set_want(r->ahead, r->want, r->want_ud);
    }
    rc = atr__ahead_next(r->ahead, rec, &offset, msg, sizeof msg);
    if (rc < 0) {
        set_error(r, rc, offset, msg);
        return rc;
    }
    if (rec->kind == ATR_REC_END_OF_LOG)
        r->closed_cleanly = 1;
    return 0;
}

void atr_reader_version(const atr_reader *r, uint32_t *major, uint32_t *minor) {
    if (major)
        *major = r ? r->major : 0;
    if (minor)
        *minor = r ? r->minor : 0;
}

const char *atr_reader_error(const atr_reader *r) { return r ? r->err : "no reader"; }

int atr_reader_closed_cleanly(const atr_reader *r) { return r ? r->closed_cleanly : 0; }

void atr_reader_progress(const atr_reader *r, uint64_t *done, uint64_t *total) {
    if (done)
        *done = r ? (r->ahead ? atr__ahead_pos(r->ahead) : r->header_size) : 0;
    if (total)
        *total = r ? r->len : 0;
}

/* --- for the frame index (frame_index.c) ---------------------------------------------- */

void atr__reader_bytes(const atr_reader *r, const uint8_t **data, size_t *len, uint32_t *minor) {
    *data = r->data;
    *len = r->len;
    *minor = r->minor;
}

int atr__reader_set_sel(atr_reader *r, atr__frame_sel *sel) {
    if (r->ahead || r->status) { /* reading has begun */
        atr__frame_sel_free(sel);
        return ATR_ESTATE;
    }
    atr__frame_sel_free(r->sel);
    r->sel = sel;
    return 0;
}

int atr__reader_set_want(atr_reader *r, atr__want_fn want, void *ud) {
    if (r->ahead || r->status) /* reading has begun */
        return ATR_ESTATE;
    r->want = want;
    r->want_ud = ud;
    return 0;
}

uint64_t atr_reader_frames_read(const atr_reader *r) {
    return r && r->ahead ? atr__ahead_frames(r->ahead) : 0;
}
