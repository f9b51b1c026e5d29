/*
 * The log file: created owner-only, written in whole frames with one logical write each.
 *
 * A pipe, FIFO or socket is written without blocking (atr__sink_stream): while it accepts
 * nothing, the writer polls; after timeout_ms without a byte accepted the log is abandoned
 * (sticky ATR_EIO), so a reader that stopped reading cannot hang the program.
 *
 * The first write error is sticky: later frames are not written (a frame after a partial
 * one would be unreadable), and the file is cut back to the end of the last complete frame
 * when possible so that readers see a clean (unclosed) log.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "writer/writer_internal.h"

int atr__sink_open(atr__sink *k, const char *path) {
    struct stat st;
    k->fd = -1;
    k->err = 0;
    k->off = 0;
    do {
        k->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    } while (k->fd < 0 && errno == EINTR);
    if (k->fd < 0)
        return ATR_EOPEN;
    /* An existing file keeps its mode through O_TRUNC: make it owner-only too. */
    if (fstat(k->fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
        (void)fchmod(k->fd, 0600);
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
            if (done)
                (void)ftruncate(k->fd, (off_t)k->off);
            return k->err;
        }
        done += (size_t)w;
    }
    k->off += n;
    return 0;
}

void atr__sink_close(atr__sink *k) {
    if (k->fd >= 0)
        (void)close(k->fd);
    k->fd = -1;
}
