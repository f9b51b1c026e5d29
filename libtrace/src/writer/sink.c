/*
 * The log file: created owner-only, written in whole frames with one logical write each.
 *
 * Opening never follows a symbolic link, never truncates or chmods a file it did not create:
 * - a path that does not exist is created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600;
 * - an existing regular file is replaced atomically: a new file is created beside it under an
 *   unpredictable name (O_EXCL) and renamed over it, so `-o app.atr` run twice overwrites as
 *   before, while whoever holds the old file (or a hard link to it) keeps its contents;
 * - a symbolic link is refused (ELOOP), a directory too (EISDIR);
 * - anything else (a device such as /dev/null, a FIFO) is opened for writing as it is.
 * A forked child's log, "<stem>.<pid>.<8 hex digits>.atr", is always a new file (O_EXCL):
 * a name planted in advance is never written through.
 *
 * A pipe, FIFO or socket is written without blocking (atr__sink_stream): while it accepts
 * nothing, the writer polls; after timeout_ms without a byte accepted the log is abandoned
 * (sticky ATR_EIO), so a reader that stopped reading cannot hang the program.
 *
 * The first write error is sticky: later frames are not written (a frame after a partial
 * one would be unreadable), and the file is cut back to the end of the last complete frame
 * when possible so that readers see a clean (unclosed) log. A full disk gets one last
 * chance at close (atr__sink_last_chance): the log's last frame (DROPS counting the frames
 * lost, END_OF_LOG) is small, and a block past the end of the file is kept allocated for
 * it (fallocate KEEP_SIZE), so that a reader can tell "disk full" from "killed".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fallocate */
#endif
#include <errno.h>
#include <fcntl.h>
#ifdef __linux__
#include <linux/falloc.h>
#endif
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "writer/writer_internal.h"

/* Attempts at a fresh name (or at a path that changes type under us) before giving up. */
#define OPEN_TRIES 16
/* Bytes kept allocated past the end of the file for the last frame (see above). */
#define TAIL_RESERVE 4096

static void reserve_tail(atr__sink *k) {
#ifdef FALLOC_FL_KEEP_SIZE
    (void)fallocate(k->fd, FALLOC_FL_KEEP_SIZE, (off_t)k->off, TAIL_RESERVE); /* best effort */
#endif
}

static int open_fd(const char *path, int flags) {
    int fd;
    do {
        fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

static int create_new(const char *path) { return open_fd(path, O_WRONLY | O_CREAT | O_EXCL); }

static uint32_t random32(void) {
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
        v = (uint32_t)(atr__clock_monotonic_ns() ^ atr__clock_wall_ns() ^ (uint64_t)getpid());
    return v;
}

/* A new file renamed over the regular file at path; -1 with errno set on failure. */
static int replace_regular(const char *path) {
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    int fd = -1, tries, saved;
    if (!tmp) {
        errno = ENOMEM;
        return -1;
    }
    for (tries = 0; fd < 0 && tries < OPEN_TRIES; tries++) {
        snprintf(tmp, n, "%s.%08x.tmp", path, (unsigned)random32());
        if ((fd = create_new(tmp)) < 0 && errno != EEXIST)
            break;
    }
    if (fd >= 0 && rename(tmp, path) != 0) {
        saved = errno;
        (void)unlink(tmp);
        (void)close(fd);
        fd = -1;
        errno = saved;
    }
    free(tmp);
    return fd;
}

int atr__sink_open(atr__sink *k, const char *path) {
    struct stat st;
    int tries, fd = -1;
    k->fd = -1;
    k->err = 0;
    k->off = 0;
    k->reserve = 0;
    k->findex = NULL;
    k->findex_off = 0;
    for (tries = 0; fd < 0 && tries < OPEN_TRIES; tries++) {
        if (lstat(path, &st) != 0) {
            if (errno != ENOENT)
                return ATR_EOPEN;
            if ((fd = create_new(path)) < 0 && errno != EEXIST)
                return ATR_EOPEN;
            continue; /* EEXIST: created meanwhile, look again */
        }
        if (S_ISLNK(st.st_mode)) {
            errno = ELOOP;
            return ATR_EOPEN;
        }
        if (S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            return ATR_EOPEN;
        }
        if (S_ISREG(st.st_mode)) {
            if ((fd = replace_regular(path)) < 0)
                return ATR_EOPEN;
            continue;
        }
        if ((fd = open_fd(path, O_WRONLY)) < 0)
            return ATR_EOPEN;
        if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode)) { /* swapped for a file: start over */
            (void)close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        errno = EEXIST;
        return ATR_EOPEN;
    }
    k->fd = fd;
    k->reserve = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (k->reserve)
        reserve_tail(k);
    return 0;
}

void atr__sink_stream(atr__sink *k, uint32_t timeout_ms) {
    struct stat st;
    int fl;
    k->stream = 0;
    k->timeout_ms = timeout_ms;
    if (k->fd < 0 || fstat(k->fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        return;
    if ((fl = fcntl(k->fd, F_GETFL)) >= 0 && fcntl(k->fd, F_SETFL, fl | O_NONBLOCK) == 0)
        k->stream = 1;
}

/* A stream that takes nothing: wait for room; 0 to try again, -1 when it timed out. */
static int wait_room(atr__sink *k, uint64_t *since) {
    struct pollfd pfd;
    uint64_t now = atr__clock_monotonic_ns();
    if (!*since)
        *since = now;
    if (now - *since >= (uint64_t)k->timeout_ms * 1000000u)
        return -1;
    pfd.fd = k->fd;
    pfd.events = POLLOUT;
    pfd.revents = 0;
    (void)poll(&pfd, 1, 50);
    return 0;
}

int atr__sink_open_child(atr__sink *k, const char *parent_path, char **out_path) {
    size_t n = strlen(parent_path), size;
    char *path;
    int tries, fd = -1;
    k->fd = -1;
    k->err = 0;
    k->off = 0;
    k->reserve = 0;
    k->findex = NULL;
    k->findex_off = 0;
    *out_path = NULL;
    if (n >= 4 && strcmp(parent_path + n - 4, ".atr") == 0)
        n -= 4;
    size = n + 48;
    if (!(path = malloc(size)))
        return ATR_ENOMEM;
    for (tries = 0; fd < 0 && tries < OPEN_TRIES; tries++) {
        snprintf(path, size, "%.*s.%ld.%08x.atr", (int)n, parent_path, (long)getpid(),
                 (unsigned)random32());
        if ((fd = create_new(path)) < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        free(path);
        return ATR_EOPEN;
    }
    k->fd = fd;
    k->reserve = 1;
    reserve_tail(k);
    *out_path = path;
    return 0;
}

char *atr__path_absolute(const char *path, size_t max) {
    char cwd[4096];
    size_t n = strnlen(path, max), c;
    char *out;
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
        c = 0; /* absolute, or no usable cwd: keep it as given */
    else
        c = strlen(cwd);
    if (!(out = malloc(c + 1 + n + 1)))
        return NULL;
    memcpy(out, cwd, c);
    if (c)
        out[c++] = '/';
    memcpy(out + c, path, n);
    out[c + n] = '\0';
    return out;
}
int atr__sink_write(atr__sink *k, const void *p, size_t n) {
    const uint8_t *b = p;
    size_t done = 0;
    uint64_t since = 0; /* when the stream last stopped taking bytes (0: it takes them) */
    if (k->err)
        return k->err;
    if (k->fd < 0)
        return k->err = ATR_EIO;
    while (done < n) {
        ssize_t w = write(k->fd, b + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && k->stream &&
            wait_room(k, &since) == 0)
            continue;
        if (w > 0)
            since = 0;
        if (w <= 0) {
            k->err = (w < 0 && errno == ENOSPC) ? ATR_ENOSPC : ATR_EIO;
            if (done) { /* cut the partial frame; the next write goes where it began */
                (void)ftruncate(k->fd, (off_t)k->off);
                (void)lseek(k->fd, (off_t)k->off, SEEK_SET);
                if (k->reserve) /* the blocks just freed: keep one for the last frame */
                    reserve_tail(k);
            }
            return k->err;
        }
        done += (size_t)w;
    }
    k->off += n;
    if (k->reserve)
        reserve_tail(k);
    return 0;
}

int atr__sink_last_chance(atr__sink *k) {
    int err = k->err;
    if (err == ATR_ENOSPC)
        k->err = 0;
    return err;
}

void atr__sink_close(atr__sink *k) {
    if (k->findex) {
        atr__findex_free(k->findex);
        free(k->findex);
        k->findex = NULL;
    }
    if (k->fd >= 0)
        (void)close(k->fd);
    k->fd = -1;
}
