/*
 * The log file: created owner-only, written in whole frames with one logical write each.
 *
 * The first write error is sticky: later frames are not written (a frame after a partial
 * one would be unreadable), and the file is cut back to the end of the last complete frame
 * when possible so that readers see a clean (unclosed) log.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

int atr__sink_write(atr__sink *k, const void *p, size_t n) {
    const uint8_t *b = p;
    size_t done = 0;
    if (k->err)
        return k->err;
    if (k->fd < 0)
        return k->err = ATR_EIO;
    while (done < n) {
        ssize_t w = write(k->fd, b + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
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
