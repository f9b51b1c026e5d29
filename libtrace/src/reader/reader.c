/*
 * The public reader (atr_reader.h): maps the file, then pulls frames from the frame reader
 * and records from the decoder. Terminal statuses (EOF, truncated, corrupt) are sticky, and
 * every failure leaves a one-line message with its file offset for atr_reader_error().
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

#include "format/decode.h"
#include "format/frame_read.h"
#include "reader/frame_select.h"

struct atr_reader {
    const uint8_t *data; /* the whole file (borrowed for open_mem, else map/heap) */
    size_t len;
    void *map;     /* owned mmap of the file, or NULL */
    uint8_t *heap; /* owned copy of a file that could not be mapped, or NULL */
    uint32_t major, minor;
    atr__frame_reader *frames; /* owned */
    atr__decoder *dec;         /* owned */
    const uint8_t *content;    /* content of the current frame (owned by frames) */
    size_t content_len;
    size_t content_pos;    /* next record in content */
    uint64_t frame_offset; /* file offset of the current frame */
    uint64_t frame_record; /* records of the current frame consumed so far */
    size_t released;       /* bytes of the map given back to the kernel (release_behind) */
    int status;            /* 0, or the sticky terminal code */
    atr__frame_sel *sel;   /* owned: only some frames are read (frame_index.c), or NULL */
    int sel_skip_thread;   /* the current frame is read for its definitions only */
    uint64_t frames_read;  /* zstd frames decompressed */
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
    snprintf(r->err, sizeof r->err, "no error");
    if (atr__frame_reader_new(data, len, header_size, &r->frames) < 0 ||
        atr__decoder_new(major, minor, &r->dec) < 0) {
        atr_reader_close(r);
        copy_msg(errbuf, errbuf_size, atr_strerror(ATR_ENOMEM));
        return ATR_ENOMEM;
    }
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
    atr__decoder_free(r->dec);
    atr__frame_reader_free(r->frames);
    atr__frame_sel_free(r->sel);
    if (r->map)
        munmap(r->map, r->len);
    free(r->heap);
    free(r);
}

/*
 * The reader only moves forward: the mapped file before the current frame is not read again.
 * Its pages are given back (they would otherwise count in the resident size until the end:
 * 845 MB for a log of 100M calls) every 16 MiB.
 */
static void release_behind(atr_reader *r) {
    size_t page = 4096, upto = (size_t)r->frame_offset & ~(page - 1);
    if (!r->map || upto < r->released + (16u << 20))
        return;
    madvise((char *)r->map + r->released, upto - r->released, MADV_DONTNEED);
    r->released = upto;
}

int atr_reader_next(atr_reader *r, atr_record *rec) {
    if (!r || !rec)
        return ATR_EINVAL;
    while (r->status == 0) {
        size_t used = 0;
        int rc;

        if (r->content_pos >= r->content_len) {
            char msg[200];
            if (r->sel)
                atr__frame_sel_next(r->sel, r->frames);
            rc = atr__frame_next(r->frames, &r->content, &r->content_len, &r->frame_offset, msg,
                                 sizeof msg);
            if (rc < 0) {
                set_error(r, rc, r->frame_offset, msg);
                break;
            }
            r->content_pos = 0;
            r->frame_record = 0;
            r->frames_read++;
            r->sel_skip_thread = r->sel && atr__frame_sel_defs_only(r->sel, r->frame_offset);
            release_behind(r);
            continue;
        }
        rc = atr__decode_record(r->dec, r->content + r->content_pos,
                                r->content_len - r->content_pos, &used, rec);
        if (rc < 0) {
            char msg[300];
            snprintf(msg, sizeof msg, "record %" PRIu64 " of the frame: %s", r->frame_record + 1,
                     atr__decoder_msg(r->dec));
            set_error(r, rc, r->frame_offset, msg);
            break;
        }
        r->content_pos += used;
        r->frame_record++;
        if (rc == ATR__DECODE_SKIP || (r->sel_skip_thread && atr__frame_sel_threaded(rec)))
            continue;
        rec->offset = r->frame_offset;
        if (rec->kind == ATR_REC_END_OF_LOG)
            r->closed_cleanly = 1;
        return 0;
    }
    return r->status;
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
        *done = r ? atr__frame_reader_pos(r->frames) : 0;
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
    if (r->frames_read || r->status) {
        atr__frame_sel_free(sel);
        return ATR_ESTATE;
    }
    atr__frame_sel_free(r->sel);
    r->sel = sel;
    return 0;
}

uint64_t atr_reader_frames_read(const atr_reader *r) { return r ? r->frames_read : 0; }
