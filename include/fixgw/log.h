/*
 * libfixgw log: message and event logs behind one interface (a vtable, as
 * the store has), a file log in QuickFIX's layout, a callback log for hosts
 * with their own logging, an adapter that routes a session's on_wire and
 * on_log to a log, and an optional background flusher thread.
 *
 * THE INTERFACE. A log takes lines of three kinds: a message received
 * (FIXGW_LOG_IN), a message sent (FIXGW_LOG_OUT) and an event
 * (FIXGW_LOG_EVENT). Each line carries the UTC time the host passes in: the
 * log never reads the clock for a line (only the optional flusher thread
 * reads CLOCK_REALTIME, to pace its retries).
 *
 * THE FILE LOG (QuickFIX's FileLog names and line format, so operators'
 * tools keep working):
 *   <path>/<prefix>.messages.current.log  IN and OUT lines
 *   <path>/<prefix>.event.current.log     EVENT lines
 *   <backup>/<prefix>.messages.backup.<N>.log, ...event.backup.<N>.log
 *                                          rotated files, N = 1, 2, ... in
 *                                          order of rotation (1 the oldest),
 *                                          counted for each file on its own
 *   line: "YYYYMMDD-HH:MM:SS.nnnnnnnnn : <text>\n" (the text as given: a
 *   message keeps its SOH bytes, as in QuickFIX).
 *   <prefix> is QuickFIX's "BeginString-SenderCompID-TargetCompID"
 *   (fixgw_log_prefix()).
 *
 * WRITING NEVER TOUCHES THE DISK. A write copies the line into a bounded
 * in-memory buffer (one per file, sized at create; no allocation, no
 * system call) and returns. fixgw_log_flush(), called by the host's loop
 * (each turn, or on a timer) or by a fixgw_log_flusher_t thread, writes the
 * buffers out and rotates files. When a buffer is full the line is dropped
 * and counted (stats.dropped), and the next line that fits is preceded in
 * the same file by "<time> : fixgw log: N lines dropped (buffer full)".
 *
 * FAILURES ARE NEVER FATAL. A file that cannot be opened or written
 * (EACCES, ENOSPC, EFBIG, EIO ...) is reported in the stats (failing,
 * last_error and a text naming the file) and by flush's return value; the
 * unwritten bytes stay in the buffer (further lines drop once it is full)
 * and each later flush, at most once per retry_ns, reopens the file and
 * goes on where it stopped: the log recovers when the disk does, with no
 * line written twice.
 *
 * ROTATION, at flush time, always between lines: by size (the current file
 * would pass rotate_bytes), by UTC day (the first line whose time falls on
 * a new day starts a new file; a current file left by an earlier run is
 * rotated when its modification day differs from the first line's day), or
 * when asked (fixgw_log_rotate, QuickFIX's backup()). The current file is
 * renamed into the backup directory (same file system: rename(2)); with
 * keep > 0 only the newest keep backups of each file are kept.
 *
 * THREADS. A log has one writer thread at a time (the session's) and one
 * flusher at a time: flush, from the host's thread or a flusher thread,
 * is safe beside writes and returns FIXGW_EBUSY while another flush runs.
 * fixgw_log_stats may be called from any thread.
 */
#ifndef FIXGW_LOG_H
#define FIXGW_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"
#include "fixgw/session.h"
#include "fixgw/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a line is. Levels are fixgw_log_level (fixgw/session.h). */
typedef enum fixgw_log_kind {
  FIXGW_LOG_IN = 0,   /* a message received */
  FIXGW_LOG_OUT = 1,  /* a message sent */
  FIXGW_LOG_EVENT = 2 /* an event */
} fixgw_log_kind;

#define FIXGW_LOG_ERROR_MAX 320u

typedef struct fixgw_log_stats {
  uint64_t lines;         /* accepted (buffered, or delivered: callback log) */
  uint64_t dropped;       /* refused: the buffer was full */
  uint64_t truncated;     /* cut to max_line */
  uint64_t bytes_written; /* to files */
  uint64_t buffered;      /* bytes accepted and not yet written */
  uint64_t rotations;
  uint64_t errors;        /* failed open, write, rename or unlink attempts */
  bool failing;           /* the last attempt to write a file failed */
  int last_error;         /* FIXGW_E* of the last failure; 0 if none */
  /* "write /logs/FIX.4.4-A-B.messages.current.log: No space left on
   * device"; kept after recovery; "" if none. */
  char last_error_text[FIXGW_LOG_ERROR_MAX];
} fixgw_log_stats_t;

typedef struct fixgw_log_ops {
  uint32_t size; /* sizeof(fixgw_log_ops_t) */
  const char *name; /* "file", "callback" */
  /* One line; text[0..len) need not be NUL-terminated. Never blocks,
   * never allocates. 0, FIXGW_EFULL (dropped and counted). */
  int (*write)(void *self, fixgw_log_kind kind, fixgw_log_level level,
               int64_t utc_ns, const char *text, size_t len);
  /* Write out what is buffered (see fixgw_log_flush). NULL: nothing to do. */
  int (*flush)(void *self, int64_t utc_ns);
  /* Start new files at the next flush. NULL: not supported. */
  int (*rotate)(void *self);
  void (*stats)(void *self, fixgw_log_stats_t *out);
  void (*destroy)(void *self);
} fixgw_log_ops_t;

/* A log: its operations and its state. Small; passed by value. */
typedef struct fixgw_log {
  const fixgw_log_ops_t *ops;
  void *self;
} fixgw_log_t;

/* Log one line from the writer thread. 0, FIXGW_EFULL (the buffer is full:
 * the line is dropped and counted), FIXGW_EINVAL (NULL text with len > 0,
 * unknown kind). No allocation, no system call (file log). */
int fixgw_log_write(const fixgw_log_t *log, fixgw_log_kind kind,
                    fixgw_log_level level, int64_t utc_ns, const char *text,
                    size_t len);
/* The same for a message in / out, and a NUL-terminated event text. */
int fixgw_log_incoming(const fixgw_log_t *log, int64_t utc_ns, const char *msg,
                       size_t len);
int fixgw_log_outgoing(const fixgw_log_t *log, int64_t utc_ns, const char *msg,
                       size_t len);
int fixgw_log_event(const fixgw_log_t *log, fixgw_log_level level,
                    int64_t utc_ns, const char *text);
/* Write out what is buffered, opening files again after a failure (at
 * most once per retry_ns of utc_ns) and rotating as configured. Returns
 * the bytes written by this call (>= 0, capped at INT32_MAX) when every
 * file is healthy; FIXGW_EFULL (disk full or file size limit), FIXGW_EPERM
 * (permission denied, read-only file system) or FIXGW_EIO while a file is
 * failing (the bytes stay buffered); FIXGW_EBUSY when another flush of the
 * same log is running. Never allocates. */
int fixgw_log_flush(const fixgw_log_t *log, int64_t utc_ns);
/* Ask for new files at the next flush (QuickFIX's backup(), e.g. on a
 * session's reset): lines already logged stay in the old files. Writer
 * thread. 0, FIXGW_ENOTSUP (the log has no files), FIXGW_EFULL (too many
 * requests pending before a flush). */
int fixgw_log_rotate(const fixgw_log_t *log);
/* A snapshot of the counters; any thread. */
void fixgw_log_stats(const fixgw_log_t *log, fixgw_log_stats_t *out);
/* Flush what can be written (one attempt), close and free; *log zeroed.
 * Safe on a zeroed log. Stop a flusher serving the log first. */
void fixgw_log_destroy(fixgw_log_t *log);

/* ------------------------------------------------------------ file log */

typedef struct fixgw_file_log_config {
  uint32_t size;            /* sizeof(fixgw_file_log_config_t); set by _default */
  const char *path;         /* FileLogPath; created with its parents; NULL: "." */
  const char *backup_path;  /* FileLogBackupPath; NULL or "": path */
  /* File name prefix, e.g. from fixgw_log_prefix(); no '/', not "", "."
   * or "..". Copied. */
  const char *prefix;
  size_t buffer_bytes;      /* per file; default 1 MiB; rounded up to a
                               power of two, at least 4096 */
  size_t max_line;          /* longer texts are cut, with a note; default
                               64 KiB; at most buffer_bytes / 2 */
  uint64_t rotate_bytes;    /* rotate before a file passes this; 0: never */
  bool rotate_daily;        /* rotate at each new UTC day of the lines */
  uint32_t keep;            /* backups kept per file; 0: all */
  int64_t retry_ns;         /* between attempts on a failing file; default 1 s */
  const fixgw_allocator_t *allocator; /* NULL: malloc; create/destroy only */
} fixgw_file_log_config_t;

void fixgw_file_log_config_default(fixgw_file_log_config_t *cfg);

/* Create the directories, find the backups already there (deleting all but
 * the newest keep), open both current files for appending and allocate the
 * two buffers (the only allocations). A directory or file that cannot be
 * made or opened is not an error here: it is reported in the stats
 * (failing, last_error_text) and retried by flush, so a log can start
 * before its disk is ready. now_utc_ns paces that retry.
 * Returns 0 and *out; FIXGW_EINVAL (bad config, bad prefix, path too long);
 * FIXGW_ENOMEM. Free with fixgw_log_destroy(). */
int fixgw_file_log_create(const fixgw_file_log_config_t *cfg,
                          int64_t now_utc_ns, fixgw_log_t *out);

/* QuickFIX's prefix "BeginString-SenderCompID-TargetCompID[-qualifier]"
 * for id into out[0..cap), NUL-terminated; '/' and NUL-unsafe bytes in the
 * IDs become '_' so the prefix is always one file name component. Returns
 * its length, FIXGW_ENOSPC (cap too small), FIXGW_EINVAL (NULL, empty
 * CompID, unknown version). qualifier may be NULL. */
int fixgw_log_prefix(const fixgw_session_id_t *id, const char *qualifier,
                     char *out, size_t cap);

/* -------------------------------------------------------- callback log */

/* Called for each line, on the writer's thread, inside the write call;
 * text is valid for the call only. */
typedef void (*fixgw_log_cb)(fixgw_log_kind kind, fixgw_log_level level,
                             int64_t utc_ns, const char *text, size_t len,
                             void *user);

/* Caller-owned state of a callback log (no allocation). */
typedef struct fixgw_callback_log {
  fixgw_log_cb cb;
  void *user;
  uint64_t lines; /* private: atomic builtins only */
} fixgw_callback_log_t;

/* A log that calls cb for every line, at once (the host's logging does its
 * own buffering). cl must outlive the returned log; destroy does nothing
 * to it. FIXGW_EINVAL for NULL cl, cb or out. */
int fixgw_callback_log_init(fixgw_callback_log_t *cl, fixgw_log_cb cb,
                            void *user, fixgw_log_t *out);

/* ------------------------------------------------------ session adapter */

/* Routes a session's on_wire (IN/OUT) and on_log (EVENT) to a log. It sits
 * between the session and the host's callbacks: every callback the host
 * set is still called, with the host's user pointer. Caller-owned; must
 * outlive the session. Members are private. */
typedef struct fixgw_log_session {
  fixgw_log_t log;
  fixgw_session_callbacks_t host;
  void *host_user;
  const fixgw_now_t *now;
  int64_t (*clock)(void *clock_user);
  void *clock_user;
  fixgw_log_level min_level;
} fixgw_log_session_t;

typedef struct fixgw_log_attach_config {
  /* Where lines get their time: *now (the fixgw_now_t the host's loop
   * keeps and passes to the session; read at each line), else
   * clock(clock_user) returning UTC ns. One of them is required. */
  const fixgw_now_t *now;
  int64_t (*clock)(void *clock_user);
  void *clock_user;
  fixgw_log_level min_level; /* events below it are not logged */
} fixgw_log_attach_config_t;

/* Take *cb and *user, the callbacks and user pointer the host is about to
 * pass to fixgw_session_create(), and rewrite them so the session logs
 * every message in and out and every event line to log, then calls the
 * host's callbacks (with the host's user) as before. Pass the rewritten
 * *cb and *user to fixgw_session_create(). The session's user pointer
 * (fixgw_session_user(), and the user argument of handlers registered
 * with fixgw_session_on()) is then a; fixgw_log_session_user() gives the
 * host's. log is borrowed: it must outlive the session.
 * 0, FIXGW_EINVAL (NULL a, cb, user, cfg, or neither now nor clock). */
int fixgw_log_attach(fixgw_log_session_t *a, const fixgw_log_t *log,
                     const fixgw_log_attach_config_t *cfg,
                     fixgw_session_callbacks_t *cb, void **user);
/* The host's user pointer behind an adapter's user pointer. */
void *fixgw_log_session_user(void *adapter_user);

/* ------------------------------------------------------------- flusher */

/* A thread that flushes logs every interval_ns (and drains them before it
 * stops). Caller-owned, zero-initialised before start; members private. */
typedef struct fixgw_log_flusher {
  fixgw_thread_t thread;
  const fixgw_log_t *logs;
  size_t nlogs;
  int last_rc;
} fixgw_log_flusher_t;

typedef struct fixgw_log_flusher_config {
  const char *name;           /* thread name; NULL: "fixgw-log" */
  const fixgw_cpuset_t *cpus; /* NULL: not pinned */
  uint64_t interval_ns;       /* longest idle wait; 0: 10 ms */
} fixgw_log_flusher_config_t;

/* Start a thread flushing logs[0..nlogs) (borrowed: the array and the logs
 * must outlive the flusher). While it runs, host calls to fixgw_log_flush
 * on those logs return FIXGW_EBUSY or run between its own. cfg may be
 * NULL. 0; FIXGW_EINVAL (NULL f or logs, nlogs 0, already running);
 * FIXGW_ENOMEM or FIXGW_ESYS (no thread). */
int fixgw_log_flusher_start(fixgw_log_flusher_t *f, const fixgw_log_t *logs,
                            size_t nlogs, const fixgw_log_flusher_config_t *cfg);
/* Stop: every line written before this call is flushed (unless its file
 * is failing), then the thread is joined. 0, FIXGW_ESTATE (not running). */
int fixgw_log_flusher_stop(fixgw_log_flusher_t *f);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_LOG_H */
