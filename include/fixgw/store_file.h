/*
 * libfixgw file store: a crash-safe store behind fixgw_store_ops_t, one
 * directory entry set per session, with an explicit durability policy.
 *
 * ON-DISK LAYOUT (format 1; all integers little-endian)
 *
 *   <dir>/<key>.log       the current generation: a header, then records,
 *                         append-only. It holds the messages AND both next
 *                         numbers, so "save the message and advance the
 *                         sender number" is one record: atomic by
 *                         construction, with no second file to keep in step.
 *   <dir>/<key>.lock      flock()ed while open; one byte "1" once a log has
 *                         been created, so a log that later goes missing is
 *                         an error, not a silent fresh start at 1. Never
 *                         removed by the store.
 *   <dir>/<key>.g<N>.log  archived generation N (ARCHIVE policy on reset).
 *   <dir>/<key>.log.tmp   a new generation being written by reset(); removed
 *                         at open if a crash left it.
 *
 *   header, 64 bytes:
 *     0  8  magic "FIXGWLOG"
 *     8  4  format number (1); a larger number is refused (FIXGW_ENOTSUP)
 *    12  4  header size (64)
 *    16  8  generation (1 for a new store, +1 per reset)
 *    24  8  creation time, UTC ns (int64)
 *    32 28  zero
 *    60  4  CRC-32C of bytes 0..59
 *
 *   record, 24 bytes + payload:
 *     0  4  magic 0x52584746 ("FGXR")
 *     4  4  CRC-32C of bytes 8..(24 + len): a torn length is caught too
 *     8  4  len, payload bytes (<= max_message_size)
 *    12  4  type: 1 message (value = its seq; next sender := seq + 1)
 *                 2 next sender := value     3 next target := value
 *    16  8  value
 *    24 len payload (message bytes; empty for types 2 and 3)
 *
 *   The numbers are those of the last records of each kind (1 and 1 for an
 *   empty log). A message record with a seq not above the previous one
 *   supersedes the stored messages from that seq on (a number moved back by
 *   set_next_sender): the newest bytes for a number win.
 *
 * HOW IT WRITES. Appends are copied into a shared mapping of the log's tail
 * (a window of window_bytes, moved as the log grows), so an append is a
 * memcpy and a CRC, with no system call, and the bytes are in the kernel's
 * page cache the moment append returns. The file is grown ahead with
 * posix_fallocate in steps of grow_bytes, so a full disk is an error from
 * append (FIXGW_EFULL) and never a SIGBUS on a page the disk has no room
 * for. Closing cuts the file back to its last record.
 *
 * WHAT SURVIVES
 *   kill -9 of the process, under every policy: every record whose call
 *   (append, set_next_*, reset) returned 0. The page cache outlives the
 *   process; a call cut short leaves at most one torn record at the end,
 *   which open cuts off.
 *   Power cut or kernel crash:
 *     FIXGW_FILE_SYNC_EVERY  every record whose call returned 0: each call
 *                            returns only after fdatasync.
 *     FIXGW_FILE_SYNC_GROUP  every record up to the last successful sync:
 *                            fixgw_file_store_durable_seq() says which
 *                            messages that covers; records after it may be
 *                            lost, and the numbers then go back to the
 *                            synced ones (the session's peer will notice a
 *                            gap or a too-low number, never a silent reuse
 *                            of a durable one).
 *     FIXGW_FILE_SYNC_OS     whatever the kernel wrote back (by default up
 *                            to ~30 s of records may be lost), plus all of
 *                            it after a successful flush().
 *   reset() fsyncs the new generation and the directory under every
 *   policy: a power cut never brings back an old generation after reset
 *   returned.
 *
 * RECOVERY AT OPEN. The log is scanned once; the index and both numbers are
 * rebuilt from it (there is no separate index file that could lag behind).
 * The first record that is incomplete or fails its CRC ends the log if no
 * valid record follows it anywhere in the file: that is a torn tail and is
 * cut off (ftruncate). If a valid record does follow, the damage is in the
 * middle (disk corruption, or a power cut that wrote later pages before
 * earlier ones under GROUP or OS): open refuses with FIXGW_EFORMAT naming
 * the file and the offset, and changes nothing, unless the config sets
 * FIXGW_FILE_STORE_REPAIR, which cuts the log at the damage (losing what
 * follows, so only a human should choose it).
 *
 * LIMITS. The index (seq -> offset, 16 bytes per message) is allocated at
 * open for max_messages entries and never grows: append past it returns
 * FIXGW_EFULL (reset to start a new generation), and a log holding more
 * messages than max_messages fails to open with FIXGW_EFULL. A generation
 * holds at most 1 TiB of log. The only allocations are at open (the store,
 * the index, one record buffer of 24 + max_message_size bytes for resend
 * reads); append, the iterator, flush, poll and reset never allocate.
 *
 * ERRORS. Every call returns 0 or a negative FIXGW_E* code:
 *   FIXGW_EINVAL   bad argument (seq below the next sender number, zero
 *                  number, NULL pointer, bad config)
 *   FIXGW_ETOOBIG  message longer than max_message_size
 *   FIXGW_EFULL    disk full or file size limit (ENOSPC, EDQUOT, EFBIG),
 *                  or the index is full; nothing was stored, no number used
 *   FIXGW_EPERM    permission denied or read-only file system; or the store
 *                  is locked by another opener
 *   FIXGW_ENOTFOUND the log is missing while the lock file says one existed
 *   FIXGW_EFORMAT  a file is not a store, or its header or a record in the
 *                  middle is damaged
 *   FIXGW_ENOTSUP  the log has a newer format number than this library
 *   FIXGW_ENOMEM   allocation failed (open only)
 *   FIXGW_EIO      any other system call failure (fdatasync EIO, ...)
 *   FIXGW_ESTATE   a previous sync failed: the store accepts nothing more
 *                  (after a failed fdatasync the kernel may have dropped
 *                  the dirty pages, so nothing appended since is trusted);
 *                  destroy and reopen, which recovers what is on disk
 * The last failure's text names the file and the errno text:
 * fixgw_file_store_last_error().
 *
 * THREADS. A store belongs to one thread at a time, like its session.
 * Different stores (different keys or directories) are independent. Two
 * opens of the same store, in one process or two, are refused: the second
 * gets FIXGW_EPERM and "locked by another opener".
 *
 * CLOCK. The store never reads the clock: the host passes `now` to poll()
 * (monotonic ns) and to reset() (UTC ns), as everywhere in the sans-IO core.
 */
#ifndef FIXGW_STORE_FILE_H
#define FIXGW_STORE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"
#include "fixgw/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fixgw_file_sync {
  /* fdatasync before every call that writes returns. */
  FIXGW_FILE_SYNC_EVERY = 0,
  /* fdatasync batched: when sync_every records are pending (inside the
   * append that makes the count), when poll() finds the oldest unsynced
   * record older than sync_interval_ns, and on flush(). */
  FIXGW_FILE_SYNC_GROUP,
  /* No fdatasync except on flush() and reset(): the kernel writes back. */
  FIXGW_FILE_SYNC_OS
} fixgw_file_sync;

/* What reset() does with the generation it ends. */
typedef enum fixgw_file_generation {
  FIXGW_FILE_GEN_ARCHIVE = 0, /* kept as <key>.g<N>.log */
  FIXGW_FILE_GEN_REMOVE       /* deleted */
} fixgw_file_generation;

/* Flags. */
#define FIXGW_FILE_STORE_MUST_EXIST 0x1u /* no log: FIXGW_ENOTFOUND */
#define FIXGW_FILE_STORE_REPAIR 0x2u     /* cut the log at mid-file damage */

typedef struct fixgw_file_store_config {
  uint32_t size;         /* sizeof(fixgw_file_store_config_t) */
  const char *directory; /* must exist */
  /* File name stem, e.g. "FIX.4.4-CLIENT-SERVER": 1..128 bytes of
   * [A-Za-z0-9._-], not starting with '.'. */
  const char *key;
  fixgw_file_sync sync;
  uint32_t sync_every;       /* GROUP: records per sync; 0: no count bound */
  uint64_t sync_interval_ns; /* GROUP: poll() syncs records older than this;
                                0: only count and flush() */
  size_t max_message_size;   /* default 65536; at most 16 MiB - 1 */
  uint32_t max_messages;     /* index capacity; default 1 << 20 */
  size_t grow_bytes;         /* fallocate step; default 16 MiB */
  size_t window_bytes;       /* mapped tail; default 16 MiB */
  fixgw_file_generation generation;
  uint32_t flags;            /* FIXGW_FILE_STORE_* */
  int64_t now_utc_ns;        /* creation time of a new store */
  const fixgw_allocator_t *allocator; /* NULL: malloc; used at open only */
} fixgw_file_store_config_t;

/* Defaults: GROUP, sync_every 4096, sync_interval_ns 1 ms, ARCHIVE; the
 * caller sets directory, key and now_utc_ns. */
void fixgw_file_store_config_default(fixgw_file_store_config_t *cfg);

/* A failure in words: the code, the errno (0 if none), the file. */
typedef struct fixgw_file_store_error {
  int code;       /* FIXGW_E* */
  int sys_errno;  /* errno of the failed system call, 0 if none */
  char path[256]; /* the file concerned (may be cut) */
  char text[512]; /* "<op> <path>: <errno text or reason>" */
} fixgw_file_store_error_t;

/* Open (or create) the store cfg names and recover it (see RECOVERY).
 * On success *out is the store; free it with fixgw_store_destroy() (or
 * out->ops->destroy(out->self)), which cuts the preallocated tail, syncs
 * per policy and unlocks. On failure *out is zeroed, nothing is left
 * open, and *err (if not NULL) says why. Returns 0 or one of the codes
 * listed under ERRORS. */
int fixgw_file_store_open(const fixgw_file_store_config_t *cfg,
                          fixgw_store_t *out, fixgw_file_store_error_t *err);

/* The following take a store made by fixgw_file_store_open and return
 * FIXGW_EINVAL for any other. */

/* GROUP time bound: sync if records are pending and the oldest of them has
 * waited sync_interval_ns by `now_mono_ns` (the first poll that sees a
 * pending record starts its clock, so the bound is sync_interval_ns plus
 * the host's poll period). Returns 1 if it synced, 0 if not, or a negative
 * code. Cheap when there is nothing to do; a no-op under EVERY and OS. */
int fixgw_file_store_poll(fixgw_store_t *st, uint64_t now_mono_ns);

/* When poll() next wants to be called (monotonic ns), or UINT64_MAX. */
uint64_t fixgw_file_store_next_deadline(const fixgw_store_t *st);

/* The highest message seq whose record is covered by a successful sync (0
 * if none): under EVERY every appended message, under GROUP and OS those
 * before the last sync. Messages up to it survive a power cut. */
uint64_t fixgw_file_store_durable_seq(const fixgw_store_t *st);

typedef struct fixgw_file_store_stats {
  uint64_t syncs;        /* successful fdatasync calls */
  uint64_t records;      /* records in the log */
  uint64_t messages;     /* messages in the index */
  uint64_t log_bytes;    /* logical end of the log */
  uint64_t generation;
  uint64_t truncated;    /* bytes cut off at open (torn tail) */
} fixgw_file_store_stats_t;

int fixgw_file_store_stats(const fixgw_store_t *st,
                           fixgw_file_store_stats_t *out);

/* The last failure of any call on this store (code 0 if none). */
int fixgw_file_store_last_error(const fixgw_store_t *st,
                                fixgw_file_store_error_t *out);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_STORE_FILE_H */
