/*
 * libfixgw SQLite store: the store interface (fixgw/store.h) kept in one
 * SQLite database file that several sessions may share, one row set per
 * session key. Built when Debian's libsqlite3-dev is found at configure
 * time (FIXGW_HAVE_SQLITE); this header does not include sqlite3.h.
 *
 * SCHEMA (version 1)
 *   schema_version(version)           one row; a larger number than this
 *                                     library knows is refused (ENOTSUP)
 *   fixgw_sessions(id, key, next_sender, next_target, creation_time,
 *                  generation)        one row per key
 *   fixgw_msg_<id>(seq INTEGER PRIMARY KEY, body BLOB)
 *                                     the messages of session <id>: the
 *                                     sequence number is the rowid, so an
 *                                     append is one b-tree insert
 *   fixgw_locks(key, pid, start, host, token, since)
 *                                     the owner of an open key
 *   A database holding tables but no schema_version is not ours (EFORMAT).
 *
 * DURABILITY. The journal is always WAL. Every call that writes (append,
 * set_next_*, reset) is atomic: append inserts the message and moves the
 * next sender number in one transaction.
 *   FIXGW_SQLITE_SYNC_EVERY  synchronous=FULL, one transaction per call:
 *                            returns after the WAL is fsynced; survives a
 *                            power cut.
 *   FIXGW_SQLITE_SYNC_GROUP  synchronous=NORMAL; writes batched in one open
 *                            transaction (BEGIN IMMEDIATE), committed when
 *                            commit_every calls are pending (inside the call
 *                            that makes the count), when poll() finds the
 *                            oldest pending call older than
 *                            commit_interval_ns, and on flush()/destroy.
 *                            kill -9 loses the uncommitted batch: what
 *                            survives is everything up to the last commit,
 *                            fixgw_sqlite_store_committed_seq(); the numbers
 *                            go back to the committed ones. A commit does
 *                            not fsync (NORMAL): a power cut may also lose
 *                            commits since the last flush(), which fsyncs the
 *                            WAL (fixgw_sqlite_store_durable_seq()).
 *                            While a batch is open this store holds the
 *                            database's write lock: other keys' writers on
 *                            the same file wait (busy timeout) up to
 *                            commit_interval_ns + the host's poll period.
 *   FIXGW_SQLITE_SYNC_OS     synchronous=OFF, one transaction per call: every
 *                            call that returned 0 survives kill -9; a power
 *                            cut keeps what the kernel wrote back, plus all
 *                            of it after a successful flush() (fsync of the
 *                            WAL).
 *   reset() commits and fsyncs the WAL under every policy.
 *
 * OWNERSHIP. Open takes an exclusive lock row (fixgw_locks) for the key in
 * the same BEGIN IMMEDIATE transaction that reads the numbers; destroy
 * deletes it. A row left by a process that died (kill -9) is taken over
 * when its pid no longer runs, or runs with another start time (pid
 * reuse); a row whose owner is alive, in this process or another, makes
 * the open fail with FIXGW_EPERM and "locked by another opener". A row of
 * another host is never taken over (delete it by hand if that host is
 * gone). Other keys in the same file are not affected.
 *
 * NO SILENT RESET. Numbers come from the database only; open fails rather
 * than starting at 1 when the database file is missing but its -wal file
 * is not, when a key's message table is missing, or (with
 * FIXGW_SQLITE_STORE_MUST_EXIST) when the database or the key is new.
 *
 * LIMITS. Sequence numbers are SQLite integers: at most 2^63 - 1 (append
 * of a larger seq, or set_next_* beyond it, is FIXGW_EINVAL).
 *
 * ALLOCATION. Ours: one block (the store, its paths and texts) at open,
 * through cfg->allocator; append, the iterator, poll, flush and reset
 * allocate nothing of ours. Every statement is prepared at open, and the
 * message is bound without a copy (SQLITE_STATIC). SQLite allocates with
 * its own allocator (process-wide, sqlite3_config; not cfg->allocator): at
 * open the connection, schema and prepared statements; later its page
 * cache grows up to cache_kib and is then recycled, and b-tree page splits
 * (about one per page of messages) and WAL checkpoints allocate transient
 * buffers. tests/store_sqlite measures it.
 *
 * ERRORS (0 or a negative FIXGW_E* code):
 *   FIXGW_EINVAL    bad argument or config
 *   FIXGW_ETOOBIG   message longer than max_message_size
 *   FIXGW_EFULL     disk full (SQLITE_FULL)
 *   FIXGW_EPERM     read-only database file or directory, permission
 *                   denied, or the key is locked by another opener
 *   FIXGW_ENOTFOUND the directory is missing; or see NO SILENT RESET
 *   FIXGW_EFORMAT   not a database (corrupt) or not a libfixgw store
 *   FIXGW_ENOTSUP   a newer schema version
 *   FIXGW_ENOMEM    out of memory (ours or SQLite's)
 *   FIXGW_EIO       any other SQLite failure, SQLITE_BUSY after the busy
 *                   timeout included
 *   FIXGW_ESTATE    a GROUP batch was lost (a failed commit rolled it
 *                   back): the store accepts nothing more; destroy and
 *                   reopen, which recovers what was committed
 * The last failure's text names the database file and SQLite's message:
 * fixgw_sqlite_store_last_error().
 *
 * CLOCK. The store never reads the clock: the host passes `now` to poll()
 * (monotonic ns) and to reset() (UTC ns).
 */
#ifndef FIXGW_STORE_SQLITE_H
#define FIXGW_STORE_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"
#include "fixgw/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fixgw_sqlite_sync {
  FIXGW_SQLITE_SYNC_EVERY = 0, /* synchronous=FULL, a transaction per call */
  FIXGW_SQLITE_SYNC_GROUP,     /* synchronous=NORMAL, batched transaction */
  FIXGW_SQLITE_SYNC_OS         /* synchronous=OFF, a transaction per call */
} fixgw_sqlite_sync;

/* Flags. */
#define FIXGW_SQLITE_STORE_MUST_EXIST 0x1u /* new database or key: ENOTFOUND */

typedef struct fixgw_sqlite_store_config {
  uint32_t size;        /* sizeof(fixgw_sqlite_store_config_t) */
  const char *path;     /* database file; its directory must exist */
  /* Session key, e.g. "FIX.4.4-CLIENT-SERVER": 1..128 bytes of
   * [A-Za-z0-9._-], not starting with '.'. */
  const char *key;
  fixgw_sqlite_sync sync;
  uint32_t commit_every;       /* GROUP: calls per commit; 0: no count bound */
  uint64_t commit_interval_ns; /* GROUP: poll() commits calls older than
                                  this; 0: only count and flush() */
  size_t max_message_size;     /* default 65536; at most 16 MiB - 1 */
  uint32_t busy_timeout_ms;    /* default 5000 */
  uint32_t cache_kib;          /* SQLite page cache; 0: SQLite's default */
  uint32_t flags;              /* FIXGW_SQLITE_STORE_* */
  int64_t now_utc_ns;          /* creation time of a new key */
  const fixgw_allocator_t *allocator; /* NULL: malloc; used at open only */
} fixgw_sqlite_store_config_t;

/* Defaults: GROUP, commit_every 4096, commit_interval_ns 1 ms,
 * busy_timeout_ms 5000; the caller sets path, key and now_utc_ns. */
void fixgw_sqlite_store_config_default(fixgw_sqlite_store_config_t *cfg);

typedef struct fixgw_sqlite_store_error {
  int code;         /* FIXGW_E* */
  int sqlite_code;  /* SQLite's extended result code, 0 if none */
  int sys_errno;    /* sqlite3_system_errno() or our errno, 0 if none */
  char path[256];   /* the database file (may be cut) */
  char text[512];   /* "<op> <path>: <SQLite's message or reason>" */
} fixgw_sqlite_store_error_t;

/* Open (or create) the database and the key cfg names, take the key's lock
 * row and read its numbers. On success *out is the store; free it with
 * fixgw_store_destroy(), which commits a pending batch (and fsyncs the WAL
 * unless OS), deletes the lock row and closes the connection. On failure
 * *out is zeroed, nothing is left open and *err (if not NULL) says why. */
int fixgw_sqlite_store_open(const fixgw_sqlite_store_config_t *cfg, fixgw_store_t *out,
                            fixgw_sqlite_store_error_t *err);

/* The following take a store made by fixgw_sqlite_store_open and return
 * FIXGW_EINVAL (or 0 / UINT64_MAX) for any other. */

/* GROUP time bound: commit if calls are pending and the oldest has waited
 * commit_interval_ns by now_mono_ns (the first poll that sees a pending
 * call starts its clock). 1 if it committed, 0 if not, or a negative code.
 * A no-op under EVERY and OS. */
int fixgw_sqlite_store_poll(fixgw_store_t *st, uint64_t now_mono_ns);

/* When poll() next wants to be called (monotonic ns), or UINT64_MAX. */
uint64_t fixgw_sqlite_store_next_deadline(const fixgw_store_t *st);

/* Highest message seq committed (survives kill -9), 0 if none this open. */
uint64_t fixgw_sqlite_store_committed_seq(const fixgw_store_t *st);

/* Highest message seq covered by an fsync of the WAL (survives a power
 * cut): every appended one under EVERY; under GROUP and OS those before the
 * last flush() or reset(). */
uint64_t fixgw_sqlite_store_durable_seq(const fixgw_store_t *st);

typedef struct fixgw_sqlite_store_stats {
  uint64_t commits;  /* transactions committed */
  uint64_t syncs;    /* explicit fsyncs of the WAL (flush, reset) */
  uint64_t pending;  /* GROUP: calls in the open batch */
  uint64_t generation;
} fixgw_sqlite_store_stats_t;

int fixgw_sqlite_store_stats(const fixgw_store_t *st, fixgw_sqlite_store_stats_t *out);

/* The last failure of any call on this store (code 0 if none). */
int fixgw_sqlite_store_last_error(const fixgw_store_t *st, fixgw_sqlite_store_error_t *out);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_STORE_SQLITE_H */
