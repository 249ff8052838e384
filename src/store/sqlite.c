/* The SQLite store: one database file, one row set per session key, WAL
 * always, every statement prepared at open. The schema, the policies and
 * the promises are in include/fixgw/store_sqlite.h. */
#define _GNU_SOURCE
#include "fixgw/store_sqlite.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SCHEMA_VERSION 1
#define KEY_MAX 128
#define PATH_CAP 4096
#define MAX_LEN ((size_t)(1u << 24) - 1)
#define SEQ_LIMIT ((uint64_t)INT64_MAX)

enum {
  S_BEGIN,
  S_COMMIT,
  S_ROLLBACK,
  S_SP,
  S_REL,
  S_RBTO,
  S_INS,
  S_UPD_SENDER,
  S_UPD_TARGET,
  S_DEL_FROM,
  S_DEL_ALL,
  S_UPD_RESET,
  S_SEL_NUMS,
  S_ITER,
  S_UNLOCK,
  S_LOCKCHECK,
  S_COUNT
};

typedef struct ss {
  fixgw_allocator_t alloc;
  int has_alloc;
  sqlite3 *db;
  sqlite3_stmt *st[S_COUNT];
  char path[PATH_CAP];
  char key[KEY_MAX + 1];

  fixgw_sqlite_sync sync;
  uint32_t commit_every;
  uint64_t commit_interval;
  size_t max_msg;
  uint32_t busy_ms, cache_kib, flags;

  int64_t sid;
  int64_t token;
  int locked; /* our lock row is committed */

  uint64_t next_sender, next_target;
  int64_t ctime;
  uint64_t generation;

  int in_txn;       /* GROUP: a batch is open */
  uint64_t pending; /* GROUP: calls in it */
  int pending_clock;
  uint64_t pending_since;
  int unsynced; /* commits since the last explicit fsync */
  uint64_t last_msg_seq, committed_seq, durable_seq;
  int poisoned;

  int it_open, it_bound, it_done;
  uint64_t it_cursor, it_end;

  fixgw_sqlite_store_stats_t stats;
  fixgw_sqlite_store_error_t err;
} ss_t;

static const fixgw_store_ops_t sqlite_ops;

/* ------------------------------------------------------------- errors */

static void copy_cut(char *out, size_t cap, const char *a) {
  size_t n = 0;
  for (const char *q = a; q && *q && n + 1 < cap; q++) out[n++] = *q;
  out[n] = 0;
}

static int failf(fixgw_sqlite_store_error_t *err, int code, int sqlite_code, int sys_errno,
                 const char *op, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static int failf(fixgw_sqlite_store_error_t *err, int code, int sqlite_code, int sys_errno,
                 const char *op, const char *path, const char *fmt, ...) {
  if (!err) return code;
  err->code = code;
  err->sqlite_code = sqlite_code;
  err->sys_errno = sys_errno;
  copy_cut(err->path, sizeof err->path, path);
  char why[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  char head[sizeof err->path + 64];
  copy_cut(head, sizeof head, op);
  size_t h = strlen(head);
  if (h + 1 < sizeof head) {
    head[h++] = ' ';
    copy_cut(head + h, sizeof head - h, err->path);
  }
  h = strlen(head);
  copy_cut(err->text, sizeof err->text, head);
  size_t t = strlen(err->text);
  if (t + 2 < sizeof err->text) {
    err->text[t++] = ':';
    err->text[t++] = ' ';
    copy_cut(err->text + t, sizeof err->text - t, why);
  }
  return code;
}

static int code_of_sqlite(int rc, int sys) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return FIXGW_EFULL;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return FIXGW_EPERM;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return FIXGW_EFORMAT;
    case SQLITE_NOMEM:
      return FIXGW_ENOMEM;
    case SQLITE_TOOBIG:
      return FIXGW_ETOOBIG;
    case SQLITE_CANTOPEN:
      if (sys == ENOENT || sys == ENOTDIR) return FIXGW_ENOTFOUND;
      if (sys == EACCES || sys == EPERM || sys == EROFS) return FIXGW_EPERM;
      return FIXGW_EIO;
    default:
      return FIXGW_EIO;
  }
}

/* Record SQLite's failure rc of `op` (its message, the system errno). */
static int fail_db(ss_t *s, int rc, const char *op) {
  int sys = s->db ? sqlite3_system_errno(s->db) : 0;
  const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
  if (!msg || !*msg) msg = sqlite3_errstr(rc);
  char eb[128] = "";
  if (sys) copy_cut(eb, sizeof eb, strerror_r(sys, eb, sizeof eb));
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    return failf(&s->err, code_of_sqlite(rc, sys), rc, sys, op, s->path,
                 "%s (busy timeout %u ms; another connection holds the write lock)", msg,
                 s->busy_ms);
  if (sys)
    return failf(&s->err, code_of_sqlite(rc, sys), rc, sys, op, s->path, "%s (%s)", msg, eb);
  return failf(&s->err, code_of_sqlite(rc, sys), rc, sys, op, s->path, "%s", msg);
}

/* ---------------------------------------------------------- statements */

/* Step a statement that returns no row (or whose rows we ignore), then
 * reset it. 0 or SQLite's code, recorded with SQLite's message. */
static int run(ss_t *s, sqlite3_stmt *st, const char *op) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
    sqlite3_reset(st);
    return 0;
  }
  int code = fail_db(s, rc, op);
  sqlite3_reset(st);
  return code;
}

/* sqlite3_exec for open-time SQL (allocates; not on any hot path). */
static int exec(ss_t *s, const char *sql, const char *op) {
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : fail_db(s, rc, op);
}

static int prep(ss_t *s, sqlite3_stmt **out, const char *sql) {
  int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
  return rc == SQLITE_OK ? 0 : fail_db(s, rc, "prepare statement on");
}

/* A lent iterator row is about to be invalidated by a write: drop the
 * statement's position; the next iter_next seeks again from the cursor. */
static void it_pause(ss_t *s) {
  if (s->it_bound) {
    sqlite3_reset(s->st[S_ITER]);
    s->it_bound = 0;
  }
  s->it_done = 0;
}

/* fsync the database and the WAL (SQLite's own file handles). */
static int wal_sync(ss_t *s) {
  sqlite3_file *f = NULL;
  int rc = sqlite3_file_control(s->db, "main", SQLITE_FCNTL_FILE_POINTER, &f);
  if (rc == SQLITE_OK && f && f->pMethods) rc = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
  if (rc == SQLITE_OK) {
    f = NULL;
    rc = sqlite3_file_control(s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f);
    if (rc == SQLITE_OK && f && f->pMethods) rc = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
  }
  if (rc != SQLITE_OK)
    return failf(&s->err, FIXGW_EIO, rc, errno, "fsync", s->path, "%s", sqlite3_errstr(rc));
  s->stats.syncs++;
  s->unsynced = 0;
  s->durable_seq = s->committed_seq;
  return 0;
}

static void batch_lost(ss_t *s) {
  s->in_txn = 0;
  if (s->pending) s->poisoned = 1;
  s->pending = 0;
  s->pending_clock = 0;
}

static int group_commit(ss_t *s) {
  int rc = run(s, s->st[S_COMMIT], "commit to");
  if (rc) {
    if (!sqlite3_get_autocommit(s->db)) {
      sqlite3_step(s->st[S_ROLLBACK]);
      sqlite3_reset(s->st[S_ROLLBACK]);
    }
    batch_lost(s);
    return rc;
  }
  s->in_txn = 0;
  s->pending = 0;
  s->pending_clock = 0;
  s->committed_seq = s->last_msg_seq;
  s->unsynced = 1;
  s->stats.commits++;
  return 0;
}

static int w_begin(ss_t *s) {
  if (s->poisoned) return FIXGW_ESTATE;
  it_pause(s);
  if (s->sync == FIXGW_SQLITE_SYNC_GROUP) {
    if (!s->in_txn) {
      int rc = run(s, s->st[S_BEGIN], "begin a transaction on");
      if (rc) return rc;
      s->in_txn = 1;
    }
    int rc = run(s, s->st[S_SP], "savepoint on");
    if (rc && sqlite3_get_autocommit(s->db)) batch_lost(s);
    return rc;
  }
  return run(s, s->st[S_BEGIN], "begin a transaction on");
}

/* Finish the call's write: ok != 0 means its statements succeeded. msg_seq
 * is the message it appended, 0 for none. Returns 0 or the failure. */
static int w_end(ss_t *s, int rc, uint64_t msg_seq) {
  if (s->sync == FIXGW_SQLITE_SYNC_GROUP) {
    if (rc == 0) {
      rc = run(s, s->st[S_REL], "release savepoint on");
      if (rc == 0) {
        s->pending++;
        if (msg_seq) s->last_msg_seq = msg_seq;
        if (s->commit_every && s->pending >= s->commit_every) return group_commit(s);
        return 0;
      }
    }
    if (!sqlite3_get_autocommit(s->db)) {
      sqlite3_step(s->st[S_RBTO]);
      sqlite3_reset(s->st[S_RBTO]);
      sqlite3_step(s->st[S_REL]);
      sqlite3_reset(s->st[S_REL]);
    }
    /* Some failures (SQLITE_FULL, IOERR, NOMEM) roll back the whole
     * transaction: calls that returned 0 are gone with it. */
    if (sqlite3_get_autocommit(s->db)) batch_lost(s);
    return rc;
  }
  if (rc == 0) rc = run(s, s->st[S_COMMIT], "commit to");
  if (rc) {
    if (!sqlite3_get_autocommit(s->db)) {
      sqlite3_step(s->st[S_ROLLBACK]);
      sqlite3_reset(s->st[S_ROLLBACK]);
    }
    return rc;
  }
  s->stats.commits++;
  if (msg_seq) s->last_msg_seq = s->committed_seq = msg_seq;
  if (s->sync == FIXGW_SQLITE_SYNC_EVERY)
    s->durable_seq = s->committed_seq;
  else
    s->unsynced = 1;
  return 0;
}

/* ------------------------------------------------------------------ ops */

static int q_append(void *self, uint64_t seq, const char *msg, size_t len) {
  ss_t *s = self;
  if (s->poisoned) return FIXGW_ESTATE;
  if (seq == 0 || seq < s->next_sender || seq >= SEQ_LIMIT || !msg) return FIXGW_EINVAL;
  if (len > s->max_msg) return FIXGW_ETOOBIG;
  int rc = w_begin(s);
  if (rc) return rc;
  sqlite3_stmt *ins = s->st[S_INS], *upd = s->st[S_UPD_SENDER];
  sqlite3_bind_int64(ins, 1, (sqlite3_int64)seq);
  sqlite3_bind_blob(ins, 2, len ? msg : "", (int)len, SQLITE_STATIC);
  rc = run(s, ins, "insert a message into");
  if (rc == 0) {
    sqlite3_bind_int64(upd, 1, (sqlite3_int64)(seq + 1));
    rc = run(s, upd, "update the numbers in");
  }
  rc = w_end(s, rc, seq);
  if (rc) return rc;
  s->next_sender = seq + 1;
  return 0;
}

static int q_set_next_sender(void *self, uint64_t next) {
  ss_t *s = self;
  if (s->poisoned) return FIXGW_ESTATE;
  if (next == 0 || next > SEQ_LIMIT) return FIXGW_EINVAL;
  int rc = w_begin(s);
  if (rc) return rc;
  /* Moving back drops the stored messages from that number on. */
  if (next < s->next_sender) {
    sqlite3_bind_int64(s->st[S_DEL_FROM], 1, (sqlite3_int64)next);
    rc = run(s, s->st[S_DEL_FROM], "delete messages from");
  }
  if (rc == 0) {
    sqlite3_bind_int64(s->st[S_UPD_SENDER], 1, (sqlite3_int64)next);
    rc = run(s, s->st[S_UPD_SENDER], "update the numbers in");
  }
  rc = w_end(s, rc, 0);
  if (rc) return rc;
  s->next_sender = next;
  return 0;
}

static int q_set_next_target(void *self, uint64_t next) {
  ss_t *s = self;
  if (s->poisoned) return FIXGW_ESTATE;
  if (next == 0 || next > SEQ_LIMIT) return FIXGW_EINVAL;
  int rc = w_begin(s);
  if (rc) return rc;
  sqlite3_bind_int64(s->st[S_UPD_TARGET], 1, (sqlite3_int64)next);
  rc = w_end(s, run(s, s->st[S_UPD_TARGET], "update the numbers in"), 0);
  if (rc) return rc;
  s->next_target = next;
  return 0;
}

static int q_get_seqnums(void *self, uint64_t *ns, uint64_t *nt) {
  ss_t *s = self;
  if (!ns || !nt) return FIXGW_EINVAL;
  *ns = s->next_sender;
  *nt = s->next_target;
  return 0;
}

static int q_creation_time(void *self, int64_t *t) {
  ss_t *s = self;
  if (!t) return FIXGW_EINVAL;
  *t = s->ctime;
  return 0;
}

static int q_reset(void *self, int64_t now_utc_ns) {
  ss_t *s = self;
  if (s->poisoned) return FIXGW_ESTATE;
  int rc = w_begin(s);
  if (rc) return rc;
  rc = run(s, s->st[S_DEL_ALL], "delete messages from");
  if (rc == 0) {
    sqlite3_bind_int64(s->st[S_UPD_RESET], 1, now_utc_ns);
    rc = run(s, s->st[S_UPD_RESET], "reset the numbers in");
  }
  rc = w_end(s, rc, 0);
  if (rc) return rc;
  s->last_msg_seq = 0;
  if (s->in_txn && (rc = group_commit(s)) != 0) return rc;
  s->committed_seq = 0;
  /* A power cut never brings the old numbers back after reset returned. */
  if (s->sync != FIXGW_SQLITE_SYNC_EVERY && (rc = wal_sync(s)) != 0) return rc;
  s->durable_seq = 0;
  s->next_sender = s->next_target = 1;
  s->ctime = now_utc_ns;
  s->generation++;
  return 0;
}

/* Reload the numbers from the database (and check the lock is still ours:
 * a row deleted by hand and taken by another opener is an error). */
static int q_refresh(void *self) {
  ss_t *s = self;
  if (s->poisoned) return FIXGW_ESTATE;
  sqlite3_stmt *lc = s->st[S_LOCKCHECK];
  int rc = sqlite3_step(lc);
  int ours = rc == SQLITE_ROW && sqlite3_column_int64(lc, 0) == s->token;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    rc = fail_db(s, rc, "read the lock row in");
    sqlite3_reset(lc);
    return rc;
  }
  sqlite3_reset(lc);
  if (!ours)
    return failf(&s->err, FIXGW_EPERM, 0, 0, "refresh", s->path,
                 "the lock row of key %s is no longer ours (deleted or taken over)", s->key);
  sqlite3_stmt *q = s->st[S_SEL_NUMS];
  rc = sqlite3_step(q);
  if (rc != SQLITE_ROW) {
    int code = rc == SQLITE_DONE
                   ? failf(&s->err, FIXGW_ENOTFOUND, 0, 0, "refresh", s->path,
                           "the row of key %s is gone; numbers are not reset silently", s->key)
                   : fail_db(s, rc, "read the numbers in");
    sqlite3_reset(q);
    return code;
  }
  int64_t ns = sqlite3_column_int64(q, 0), nt = sqlite3_column_int64(q, 1);
  int64_t ct = sqlite3_column_int64(q, 2), gen = sqlite3_column_int64(q, 3);
  sqlite3_reset(q);
  if (ns < 1 || nt < 1)
    return failf(&s->err, FIXGW_EFORMAT, 0, 0, "refresh", s->path,
                 "key %s has numbers %" PRId64 "/%" PRId64, s->key, ns, nt);
  s->next_sender = (uint64_t)ns;
  s->next_target = (uint64_t)nt;
  s->ctime = ct;
  s->generation = (uint64_t)gen;
  return 0;
}

/* ---------------------------------------------------------- the iterator */

static int q_iter_open(void *self, uint64_t begin, uint64_t end) {
  ss_t *s = self;
  if (!s || begin == 0) return FIXGW_EINVAL;
  it_pause(s);
  s->it_cursor = begin;
  s->it_end = end > SEQ_LIMIT ? SEQ_LIMIT : end;
  s->it_open = 1;
  return 0;
}

static int q_iter_next(void *self, uint64_t *seq, const char **msg, size_t *len) {
  ss_t *s = self;
  if (!seq || !msg || !len) return FIXGW_EINVAL;
  if (!s->it_open) return FIXGW_ESTATE;
  if (s->it_done || s->it_cursor > s->it_end) return FIXGW_ENOTFOUND;
  sqlite3_stmt *it = s->st[S_ITER];
  if (!s->it_bound) {
    sqlite3_reset(it);
    sqlite3_bind_int64(it, 1, (sqlite3_int64)s->it_cursor);
    sqlite3_bind_int64(it, 2, (sqlite3_int64)s->it_end);
    s->it_bound = 1;
  }
  int rc = sqlite3_step(it);
  if (rc == SQLITE_DONE) {
    /* Reset now: a finished statement holds no read snapshot open. */
    sqlite3_reset(it);
    s->it_bound = 0;
    s->it_done = 1;
    return FIXGW_ENOTFOUND;
  }
  if (rc != SQLITE_ROW) {
    int code = fail_db(s, rc, "read messages from");
    sqlite3_reset(it);
    s->it_bound = 0;
    return code;
  }
  sqlite3_int64 q = sqlite3_column_int64(it, 0);
  const void *b = sqlite3_column_blob(it, 1);
  int n = sqlite3_column_bytes(it, 1);
  if (q < 1 || (uint64_t)q < s->it_cursor || (!b && n)) {
    sqlite3_reset(it);
    s->it_bound = 0;
    return failf(&s->err, FIXGW_EIO, 0, 0, "read messages from", s->path,
                 "row %lld out of order", (long long)q);
  }
  s->it_cursor = (uint64_t)q + 1;
  *seq = (uint64_t)q;
  *msg = b ? b : "";
  *len = (size_t)n;
  return 0;
}

static void q_iter_close(void *self) {
  ss_t *s = self;
  it_pause(s);
  s->it_open = 0;
}

static int q_flush(void *self) {
  ss_t *s = self;
  if (s->poisoned) return FIXGW_ESTATE;
  if (s->sync == FIXGW_SQLITE_SYNC_EVERY) return 0;
  it_pause(s);
  int rc;
  if (s->in_txn && (rc = group_commit(s)) != 0) return rc;
  return s->unsynced ? wal_sync(s) : 0;
}

/* ----------------------------------------------------------- teardown */

static void close_ss(ss_t *s) {
  if (!s->db) return;
  if (s->it_bound) sqlite3_reset(s->st[S_ITER]);
  if (s->in_txn && !s->poisoned) {
    if (group_commit(s) == 0 && s->sync != FIXGW_SQLITE_SYNC_OS) wal_sync(s);
  } else if (s->sync == FIXGW_SQLITE_SYNC_GROUP && s->unsynced && !s->poisoned) {
    wal_sync(s);
  }
  if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  if (s->locked && s->st[S_UNLOCK]) {
    sqlite3_step(s->st[S_UNLOCK]);
    sqlite3_reset(s->st[S_UNLOCK]);
  }
  for (int i = 0; i < S_COUNT; i++) sqlite3_finalize(s->st[i]);
  sqlite3_close(s->db);
  s->db = NULL;
}

static void free_ss(ss_t *s) {
  fixgw_allocator_t a = s->alloc;
  fixgw__free(s->has_alloc ? &a : NULL, s);
}

static void q_destroy(void *self) {
  ss_t *s = self;
  if (!s) return;
  close_ss(s);
  free_ss(s);
}

static const fixgw_store_ops_t sqlite_ops = {
    .size = sizeof(fixgw_store_ops_t),
    .name = "sqlite",
    .append = q_append,
    .get_seqnums = q_get_seqnums,
    .set_next_sender = q_set_next_sender,
    .set_next_target = q_set_next_target,
    .reset = q_reset,
    .creation_time = q_creation_time,
    .refresh = q_refresh,
    .iter_open = q_iter_open,
    .iter_next = q_iter_next,
    .iter_close = q_iter_close,
    .flush = q_flush,
    .destroy = q_destroy,
};

/* ------------------------------------------------------------ ownership */

/* Field 22 of /proc/<pid>/stat (start time in clock ticks) and the state
 * letter; -1 if unreadable. */
static int64_t proc_start(long pid, char *state) {
  char p[64], buf[1024];
  snprintf(p, sizeof p, "/proc/%ld/stat", pid);
  FILE *f = fopen(p, "re");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *q = strrchr(buf, ')');
  if (!q) return -1;
  q++;
  if (state) *state = q[1];
  /* q is the space before field 3 (the state); move to the one before
   * field 22. */
  for (int field = 3; field < 22; field++) {
    q = strchr(q + 1, ' ');
    if (!q) return -1;
  }
  return (int64_t)strtoll(q + 1, NULL, 10);
}

static int owner_alive(long pid, int64_t start) {
  if (pid <= 0) return 0;
  if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) return 0;
  char state = 0;
  int64_t cur = proc_start(pid, &state);
  if (state == 'Z' || state == 'X') return 0;
  if (cur >= 0 && start >= 0 && cur != start) return 0; /* pid reused */
  return 1;
}

/* ----------------------------------------------------------------- open */

void fixgw_sqlite_store_config_default(fixgw_sqlite_store_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
  cfg->sync = FIXGW_SQLITE_SYNC_GROUP;
  cfg->commit_every = 4096;
  cfg->commit_interval_ns = 1000000;
  cfg->max_message_size = 65536;
  cfg->busy_timeout_ms = 5000;
}

static int key_ok(const char *k) {
  size_t n = strlen(k);
  if (n == 0 || n > KEY_MAX || k[0] == '.') return 0;
  for (size_t i = 0; i < n; i++) {
    char c = k[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

static const char schema_sql[] =
    "CREATE TABLE schema_version(version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES(1);"
    "CREATE TABLE fixgw_sessions(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
    " next_sender INTEGER NOT NULL, next_target INTEGER NOT NULL,"
    " creation_time INTEGER NOT NULL, generation INTEGER NOT NULL);"
    "CREATE TABLE fixgw_locks(key TEXT PRIMARY KEY, pid INTEGER NOT NULL,"
    " start INTEGER NOT NULL, host TEXT NOT NULL, token INTEGER NOT NULL,"
    " since INTEGER NOT NULL);";

/* One-row query at open: 1 with the statement on its row, 0 for no row,
 * or a negative code. The caller finalizes *out. */
static int query1(ss_t *s, sqlite3_stmt **out, const char *sql, const char *op) {
  int rc = sqlite3_prepare_v2(s->db, sql, -1, out, NULL);
  if (rc != SQLITE_OK) return fail_db(s, rc, op);
  rc = sqlite3_step(*out);
  if (rc == SQLITE_ROW) return 1;
  if (rc == SQLITE_DONE) return 0;
  return fail_db(s, rc, op);
}

static int check_schema(ss_t *s) {
  sqlite3_stmt *q = NULL;
  int has = query1(s, &q,
                   "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                   "name='schema_version'",
                   "read the schema of");
  int found = has == 1 ? sqlite3_column_int(q, 0) : 0;
  sqlite3_finalize(q);
  if (has < 0) return has;
  if (!found) {
    int n = query1(s, &q, "SELECT count(*) FROM sqlite_master", "read the schema of");
    int tables = n == 1 ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    if (n < 0) return n;
    if (tables)
      return failf(&s->err, FIXGW_EFORMAT, 0, 0, "open", s->path,
                   "not a libfixgw store: the database has %d schema objects but no "
                   "schema_version table",
                   tables);
    if (s->flags & FIXGW_SQLITE_STORE_MUST_EXIST)
      return failf(&s->err, FIXGW_ENOTFOUND, 0, 0, "open", s->path,
                   "no store in this database and FIXGW_SQLITE_STORE_MUST_EXIST is set");
    return exec(s, schema_sql, "create the schema in");
  }
  int r = query1(s, &q, "SELECT max(version), count(*) FROM schema_version",
                 "read the schema version of");
  int64_t v = r == 1 ? sqlite3_column_int64(q, 0) : 0;
  int rows = r == 1 ? sqlite3_column_int(q, 1) : 0;
  sqlite3_finalize(q);
  if (r < 0) return r;
  if (rows != 1 || v < 1)
    return failf(&s->err, FIXGW_EFORMAT, 0, 0, "open", s->path,
                 "schema_version holds %d rows (max %" PRId64 "), want one row", rows, v);
  if (v > SCHEMA_VERSION)
    return failf(&s->err, FIXGW_ENOTSUP, 0, 0, "open", s->path,
                 "schema version %" PRId64 " is newer than this library's (%d)", v,
                 SCHEMA_VERSION);
  return 0;
}

static int bind_key(sqlite3_stmt *q, int i, const char *k) {
  return sqlite3_bind_text(q, i, k, -1, SQLITE_STATIC);
}

static int load_session(ss_t *s, int64_t now_utc_ns) {
  sqlite3_stmt *q = NULL;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT id, next_sender, next_target, creation_time, generation "
                              "FROM fixgw_sessions WHERE key=?1",
                              -1, &q, NULL);
  if (rc != SQLITE_OK) return fail_db(s, rc, "read the sessions of");
  bind_key(q, 1, s->key);
  rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    s->sid = sqlite3_column_int64(q, 0);
    int64_t ns = sqlite3_column_int64(q, 1), nt = sqlite3_column_int64(q, 2);
    s->ctime = sqlite3_column_int64(q, 3);
    s->generation = (uint64_t)sqlite3_column_int64(q, 4);
    sqlite3_finalize(q);
    if (ns < 1 || nt < 1)
      return failf(&s->err, FIXGW_EFORMAT, 0, 0, "open", s->path,
                   "key %s has numbers %" PRId64 "/%" PRId64, s->key, ns, nt);
    s->next_sender = (uint64_t)ns;
    s->next_target = (uint64_t)nt;
    char sql[128];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='fixgw_msg_%lld'",
             (long long)s->sid);
    int r = query1(s, &q, sql, "read the schema of");
    int have = r == 1 ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    if (r < 0) return r;
    if (!have)
      return failf(&s->err, FIXGW_ENOTFOUND, 0, 0, "open", s->path,
                   "table fixgw_msg_%lld of key %s is missing; numbers are not reset "
                   "silently: restore it, or delete the key's fixgw_sessions row",
                   (long long)s->sid, s->key);
    return 0;
  }
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) return fail_db(s, rc, "read the sessions of");
  if (s->flags & FIXGW_SQLITE_STORE_MUST_EXIST)
    return failf(&s->err, FIXGW_ENOTFOUND, 0, 0, "open", s->path,
                 "no key %s in this store and FIXGW_SQLITE_STORE_MUST_EXIST is set", s->key);
  rc = sqlite3_prepare_v2(s->db,
                          "INSERT INTO fixgw_sessions(key, next_sender, next_target, "
                          "creation_time, generation) VALUES(?1, 1, 1, ?2, 1)",
                          -1, &q, NULL);
  if (rc != SQLITE_OK) return fail_db(s, rc, "add a session to");
  bind_key(q, 1, s->key);
  sqlite3_bind_int64(q, 2, now_utc_ns);
  rc = sqlite3_step(q);
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) return fail_db(s, rc, "add a session to");
  s->sid = sqlite3_last_insert_rowid(s->db);
  s->next_sender = s->next_target = 1;
  s->ctime = now_utc_ns;
  s->generation = 1;
  char sql[160];
  snprintf(sql, sizeof sql,
           "CREATE TABLE fixgw_msg_%lld(seq INTEGER PRIMARY KEY, body BLOB NOT NULL)",
           (long long)s->sid);
  return exec(s, sql, "create a message table in");
}

static int take_lock(ss_t *s, int64_t now_utc_ns) {
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  long me = (long)getpid();
  int64_t my_start = proc_start(me, NULL);
  sqlite3_stmt *q = NULL;
  int rc = sqlite3_prepare_v2(s->db, "SELECT pid, start, host FROM fixgw_locks WHERE key=?1",
                              -1, &q, NULL);
  if (rc != SQLITE_OK) return fail_db(s, rc, "read the locks of");
  bind_key(q, 1, s->key);
  rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    long pid = (long)sqlite3_column_int64(q, 0);
    int64_t start = sqlite3_column_int64(q, 1);
    char other[256];
    copy_cut(other, sizeof other, (const char *)sqlite3_column_text(q, 2));
    sqlite3_finalize(q);
    if (strcmp(other, host) != 0)
      return failf(&s->err, FIXGW_EPERM, 0, 0, "lock", s->path,
                   "key %s locked by another opener: pid %ld on host %s (delete its "
                   "fixgw_locks row if that host is gone)",
                   s->key, pid, other);
    if (owner_alive(pid, start))
      return failf(&s->err, FIXGW_EPERM, 0, 0, "lock", s->path,
                   "key %s locked by another opener (pid %ld%s)", s->key, pid,
                   pid == me ? ", this process" : "");
    /* The owner died without closing (kill -9): its row is taken over. */
  } else {
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) return fail_db(s, rc, "read the locks of");
  }
  uint64_t tok = 0;
  if (getrandom(&tok, sizeof tok, 0) != (ssize_t)sizeof tok) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    tok = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)me << 48) ^
          (uint64_t)(uintptr_t)s;
  }
  s->token = (int64_t)(tok >> 1);
  rc = sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO fixgw_locks VALUES(?1,?2,?3,?4,?5,?6)",
                          -1, &q, NULL);
  if (rc != SQLITE_OK) return fail_db(s, rc, "lock a key in");
  bind_key(q, 1, s->key);
  sqlite3_bind_int64(q, 2, me);
  sqlite3_bind_int64(q, 3, my_start);
  sqlite3_bind_text(q, 4, host, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(q, 5, s->token);
  sqlite3_bind_int64(q, 6, now_utc_ns);
  rc = sqlite3_step(q);
  sqlite3_finalize(q);
  return rc == SQLITE_DONE ? 0 : fail_db(s, rc, "lock a key in");
}

static int prepare_all(ss_t *s) {
  char sql[S_COUNT][200];
  long long id = (long long)s->sid;
  snprintf(sql[S_BEGIN], 200, "BEGIN IMMEDIATE");
  snprintf(sql[S_COMMIT], 200, "COMMIT");
  snprintf(sql[S_ROLLBACK], 200, "ROLLBACK");
  snprintf(sql[S_SP], 200, "SAVEPOINT fixgw_w");
  snprintf(sql[S_REL], 200, "RELEASE fixgw_w");
  snprintf(sql[S_RBTO], 200, "ROLLBACK TO fixgw_w");
  snprintf(sql[S_INS], 200, "INSERT INTO fixgw_msg_%lld(seq, body) VALUES(?1, ?2)", id);
  snprintf(sql[S_UPD_SENDER], 200, "UPDATE fixgw_sessions SET next_sender=?1 WHERE id=%lld", id);
  snprintf(sql[S_UPD_TARGET], 200, "UPDATE fixgw_sessions SET next_target=?1 WHERE id=%lld", id);
  snprintf(sql[S_DEL_FROM], 200, "DELETE FROM fixgw_msg_%lld WHERE seq >= ?1", id);
  snprintf(sql[S_DEL_ALL], 200, "DELETE FROM fixgw_msg_%lld", id);
  snprintf(sql[S_UPD_RESET], 200,
           "UPDATE fixgw_sessions SET next_sender=1, next_target=1, creation_time=?1, "
           "generation=generation+1 WHERE id=%lld",
           id);
  snprintf(sql[S_SEL_NUMS], 200,
           "SELECT next_sender, next_target, creation_time, generation FROM fixgw_sessions "
           "WHERE id=%lld",
           id);
  snprintf(sql[S_ITER], 200,
           "SELECT seq, body FROM fixgw_msg_%lld WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq", id);
  snprintf(sql[S_UNLOCK], 200, "DELETE FROM fixgw_locks WHERE key=?1 AND token=%lld",
           (long long)s->token);
  snprintf(sql[S_LOCKCHECK], 200, "SELECT token FROM fixgw_locks WHERE key=?1");
  for (int i = 0; i < S_COUNT; i++) {
    int rc = prep(s, &s->st[i], sql[i]);
    if (rc) return rc;
  }
  bind_key(s->st[S_UNLOCK], 1, s->key);
  bind_key(s->st[S_LOCKCHECK], 1, s->key);
  return 0;
}

static int pragma_text(ss_t *s, const char *sql, char *out, size_t cap) {
  sqlite3_stmt *q = NULL;
  int r = query1(s, &q, sql, "set up");
  if (r == 1) copy_cut(out, cap, (const char *)sqlite3_column_text(q, 0));
  sqlite3_finalize(q);
  return r < 0 ? r : 0;
}

static int open_db(ss_t *s, const fixgw_sqlite_store_config_t *cfg) {
  struct stat sb;
  if (stat(s->path, &sb) != 0) {
    int e = errno;
    if (e != ENOENT)
      return failf(&s->err, e == EACCES ? FIXGW_EPERM : FIXGW_EIO, 0, e, "open", s->path, "%s",
                   strerror(e));
    if (s->flags & FIXGW_SQLITE_STORE_MUST_EXIST)
      return failf(&s->err, FIXGW_ENOTFOUND, 0, e, "open", s->path,
                   "no database and FIXGW_SQLITE_STORE_MUST_EXIST is set");
    char wal[PATH_CAP + 8];
    copy_cut(wal, PATH_CAP, s->path);
    strcat(wal, "-wal");
    if (stat(wal, &sb) == 0 && sb.st_size > 0)
      return failf(&s->err, FIXGW_ENOTFOUND, 0, e, "open", s->path,
                   "database missing while its -wal file exists (deleted or moved?); "
                   "numbers are not reset silently: restore the database");
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (!(s->flags & FIXGW_SQLITE_STORE_MUST_EXIST)) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
  if (rc != SQLITE_OK) {
    int code = fail_db(s, rc, "open");
    sqlite3_close(s->db);
    s->db = NULL;
    return code;
  }
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_busy_timeout(s->db, (int)s->busy_ms);
  if (sqlite3_db_readonly(s->db, "main") == 1)
    return failf(&s->err, FIXGW_EPERM, SQLITE_READONLY, EACCES, "open", s->path,
                 "attempt to write a readonly database: the file or its file system is not "
                 "writable by this process");
  char mode[16] = "";
  rc = pragma_text(s, "PRAGMA journal_mode=WAL", mode, sizeof mode);
  if (rc) return rc;
  if (strcmp(mode, "wal") != 0)
    return failf(&s->err, FIXGW_EIO, 0, 0, "open", s->path,
                 "cannot use WAL (journal_mode is '%s')", mode);
  if ((rc = exec(s, "PRAGMA synchronous=FULL", "set up")) != 0) return rc;
  if (cfg->cache_kib) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%u", cfg->cache_kib);
    if ((rc = exec(s, sql, "set up")) != 0) return rc;
  }
  /* Schema, session row and lock row in one write transaction: two
   * openers of a new database or key serialize here. */
  if ((rc = exec(s, "BEGIN IMMEDIATE", "begin a transaction on")) != 0) return rc;
  if ((rc = check_schema(s)) == 0 && (rc = load_session(s, cfg->now_utc_ns)) == 0 &&
      (rc = take_lock(s, cfg->now_utc_ns)) == 0 && (rc = prepare_all(s)) == 0)
    rc = exec(s, "COMMIT", "commit to");
  if (rc) {
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
  }
  s->locked = 1;
  const char *sync = s->sync == FIXGW_SQLITE_SYNC_EVERY  ? "PRAGMA synchronous=FULL"
                     : s->sync == FIXGW_SQLITE_SYNC_GROUP ? "PRAGMA synchronous=NORMAL"
                                                          : "PRAGMA synchronous=OFF";
  return exec(s, sync, "set up");
}

int fixgw_sqlite_store_open(const fixgw_sqlite_store_config_t *cfg, fixgw_store_t *out,
                            fixgw_sqlite_store_error_t *err) {
  fixgw_sqlite_store_error_t dummy;
  if (!err) err = &dummy;
  memset(err, 0, sizeof *err);
  if (out) memset(out, 0, sizeof *out);
  if (!cfg || !out || cfg->size != sizeof *cfg || !cfg->path || !cfg->key)
    return failf(err, FIXGW_EINVAL, 0, 0, "open", "", "NULL argument or config size mismatch");
  if (!cfg->path[0] || strlen(cfg->path) >= PATH_CAP - 8)
    return failf(err, FIXGW_EINVAL, 0, 0, "open", cfg->path, "empty or too long path");
  if (!key_ok(cfg->key))
    return failf(err, FIXGW_EINVAL, 0, 0, "open", cfg->path,
                 "key must be 1..128 bytes of [A-Za-z0-9._-], not starting with '.'");
  if (cfg->sync > FIXGW_SQLITE_SYNC_OS)
    return failf(err, FIXGW_EINVAL, 0, 0, "open", cfg->path, "unknown sync policy");
  size_t max_msg = cfg->max_message_size ? cfg->max_message_size : 65536;
  if (max_msg > MAX_LEN)
    return failf(err, FIXGW_EINVAL, 0, 0, "open", cfg->path, "max_message_size above 16 MiB - 1");

  const fixgw_allocator_t *a = cfg->allocator;
  ss_t *s = fixgw__alloc(a, sizeof *s);
  if (!s) return failf(err, FIXGW_ENOMEM, 0, 0, "open", cfg->path, "out of memory");
  memset(s, 0, sizeof *s);
  if (a) {
    s->alloc = *a;
    s->has_alloc = 1;
  }
  copy_cut(s->path, sizeof s->path, cfg->path);
  copy_cut(s->key, sizeof s->key, cfg->key);
  s->sync = cfg->sync;
  s->commit_every = cfg->commit_every;
  s->commit_interval = cfg->commit_interval_ns;
  s->max_msg = max_msg;
  s->busy_ms = cfg->busy_timeout_ms;
  s->cache_kib = cfg->cache_kib;
  s->flags = cfg->flags;
  int rc = open_db(s, cfg);
  if (rc) {
    *err = s->err;
    close_ss(s);
    free_ss(s);
    return rc;
  }
  memset(&s->err, 0, sizeof s->err);
  copy_cut(s->err.path, sizeof s->err.path, s->path);
  out->ops = &sqlite_ops;
  out->self = s;
  return 0;
}

/* ----------------------------------------------------- sqlite-store calls */

static ss_t *as_ss(const fixgw_store_t *st) {
  return st && st->ops == &sqlite_ops ? st->self : NULL;
}

int fixgw_sqlite_store_poll(fixgw_store_t *st, uint64_t now_mono_ns) {
  ss_t *s = as_ss(st);
  if (!s) return FIXGW_EINVAL;
  if (s->sync != FIXGW_SQLITE_SYNC_GROUP || !s->commit_interval || !s->in_txn) return 0;
  if (s->poisoned) return FIXGW_ESTATE;
  if (!s->pending_clock) {
    s->pending_clock = 1;
    s->pending_since = now_mono_ns;
  }
  if (now_mono_ns - s->pending_since < s->commit_interval) return 0;
  it_pause(s);
  int rc = group_commit(s);
  return rc ? rc : 1;
}

uint64_t fixgw_sqlite_store_next_deadline(const fixgw_store_t *st) {
  const ss_t *s = as_ss(st);
  if (!s || s->sync != FIXGW_SQLITE_SYNC_GROUP || !s->commit_interval || !s->in_txn)
    return UINT64_MAX;
  return s->pending_clock ? s->pending_since + s->commit_interval : 0;
}

uint64_t fixgw_sqlite_store_committed_seq(const fixgw_store_t *st) {
  const ss_t *s = as_ss(st);
  return s ? s->committed_seq : 0;
}

uint64_t fixgw_sqlite_store_durable_seq(const fixgw_store_t *st) {
  const ss_t *s = as_ss(st);
  return s ? s->durable_seq : 0;
}

int fixgw_sqlite_store_stats(const fixgw_store_t *st, fixgw_sqlite_store_stats_t *out) {
  const ss_t *s = as_ss(st);
  if (!s || !out) return FIXGW_EINVAL;
  *out = s->stats;
  out->pending = s->pending;
  out->generation = s->generation;
  return 0;
}

int fixgw_sqlite_store_last_error(const fixgw_store_t *st, fixgw_sqlite_store_error_t *out) {
  const ss_t *s = as_ss(st);
  if (!s || !out) return FIXGW_EINVAL;
  *out = s->err;
  return 0;
}
