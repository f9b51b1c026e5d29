/*
 * Following logs while their program writes them (`view --follow`, `summary --follow`).
 *
 * A follower keeps, per file, the bytes read so far and the end of its last complete frame
 * (docs/FORMAT.md 2.2: the writer appends whole frames, each with one write). A poll reads
 * only what the files gained since the last one (from the remembered byte offset), walks the
 * new bytes frame by frame (zstd frame headers and block headers, no decompression) and moves
 * the complete end forward; an incomplete last frame is normal while following and waits for
 * the next poll. A poll also picks up the logs of forked children (`<stem>.<pid>.<8 hex
 * digits>.atr` next to a followed `<stem>.atr`, also nested) and notices a log that was replaced or
 * truncated (a new run over the same path): it is read again from its start.
 *
 * An index is built from the complete frames only (atr_index_load_mem), so it never sees a
 * torn frame. The files are read once; the index is rebuilt from memory when frames arrived.
 *
 * Not thread-safe; one follower per command. The stop flag (SIGINT, SIGTERM) is process-wide
 * because signal handlers have no other place to put it.
 */
#ifndef ATR_VIEWER_FOLLOW_H
#define ATR_VIEWER_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "argtrace/atr_analysis.h"
#include "cmd.h"

typedef struct atr__follow atr__follow;

/* Follow the logs at paths (borrowed: they must outlive the follower); a log that does not
   exist yet is waited for. Returns 0 or ATR_ENOMEM. */
int atr__follow_open(const char *const *paths, int n, atr__follow **out);
void atr__follow_close(atr__follow *f);

/*
 * Read what the files gained, look for children's logs. *changed: complete frames arrived
 * (or a file appeared, or was replaced) since the last poll. A file that cannot be read
 * (permissions) gets a one-line reason in atr__follow_problem(). Returns 0 or ATR_ENOMEM.
 */
int atr__follow_poll(atr__follow *f, int *changed);

/*
 * A new index (*out, the caller's) of every followed log's complete frames, with the
 * budget and compensation of ctx. Logs without a complete frame yet are left out. On a
 * load error (a damaged log, the budget) writes one line to err and returns its ATR_E*
 * code; ATR_ENOTFOUND: no log has a complete frame yet.
 */
int atr__follow_index(atr__follow *f, const atr__vctx *ctx, atr_index **out, char *err,
                      size_t err_size);

/* Files followed (the named ones and the children found), and how many were closed by
   their writer (END_OF_LOG read in the last index built). */
void atr__follow_counts(const atr__follow *f, uint32_t *files, uint32_t *closed);
/* 1 once every followed log was closed by its writer (the program finished). */
int atr__follow_finished(const atr__follow *f);
/* Why a followed file cannot be read, or "" (e.g. "a.atr: Permission denied"). */
const char *atr__follow_problem(const atr__follow *f);

/*
 * Length of the whole frame at p (n bytes there) from its headers (zstd frame, RFC 8878
 * 3.1.1, or skippable frame): > 0, 0 while incomplete, -1 when the bytes are not a frame.
 */
int64_t atr__frame_len(const uint8_t *p, size_t n);

/* SIGINT/SIGTERM set the stop flag instead of ending the process (until restored). */
void atr__follow_signals_catch(void);
void atr__follow_signals_restore(void);
/* 1 after SIGINT or SIGTERM since atr__follow_signals_catch(). */
int atr__follow_stopped(void);
/* Sleep about ms milliseconds, less when a signal arrives. */
void atr__follow_sleep(unsigned ms);

#endif /* ATR_VIEWER_FOLLOW_H */
