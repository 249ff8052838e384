/* The file log: QuickFIX's FileLog files, written from the line buffers
 * at flush time, rotated between lines, and reopened after a failure. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"
#include "log_internal.h"

#define PATH_CAP 4096u
#define PREFIX_CAP 256u
#define NAME_CAP (PREFIX_CAP + 64u)

enum { F_MESSAGES = 0, F_EVENT = 1 };
static const char *const kind_name[2] = {"messages", "event"};

typedef struct lfile {
  lbuf_t buf;
  int fd;
  uint64_t size;      /* bytes in the current file */
  int64_t day;        /* UTC day of its lines; LBUF_DAY_NONE when unknown */
  uint64_t next_backup;
  int err;            /* the failure in force (fd < 0), else 0 */
  int64_t retry_at;
  char cur[PATH_CAP];
} lfile_t;

typedef struct file_log {
  fixgw_allocator_t alloc;
  bool has_alloc;
  lfile_t f[2];
  char dir[PATH_CAP];
  char bdir[PATH_CAP];
  char prefix[PREFIX_CAP];
  uint64_t rotate_bytes;
  bool daily;
  uint32_t keep;
  int64_t retry_ns;
  uint32_t flushing; /* flush lock: atomic builtins only */
  uint32_t elock;    /* guards etext and last_error */
  /* Written by the flusher, read by stats: atomic builtins only. */
  uint64_t bytes_written, rotations, errors;
  uint32_t failing;
  int last_error;
  char etext[FIXGW_LOG_ERROR_MAX];
} file_log_t;

/* ------------------------------------------------------------- errors */

/* Append s to out[*n..cap); false when it does not fit. */
static bool cat(char *out, size_t cap, size_t *n, const char *s) {
  size_t k = strlen(s);
  if (*n + k >= cap) return false;
  memcpy(out + *n, s, k + 1);
  *n += k;
  return true;
}


static int code_of_errno(int e) {
  switch (e) {
  case ENOSPC: case EDQUOT: case EFBIG: return FIXGW_EFULL;
  case EACCES: case EPERM: case EROFS: return FIXGW_EPERM;
  default: return FIXGW_EIO;
  }
}

static void elock(file_log_t *l) {
  /* Acquire: the text written by the previous holder is visible. */
  while (__atomic_exchange_n(&l->elock, 1, __ATOMIC_ACQUIRE)) fixgw_cpu_relax();
}
static void eunlock(file_log_t *l) {
  /* Release: our writes to the text before the next holder reads it. */
  __atomic_store_n(&l->elock, 0, __ATOMIC_RELEASE);
}

/* Record a failed system call on path: "op path: strerror". */
static int fail(file_log_t *l, int e, const char *op, const char *path) {
  int code = code_of_errno(e);
  char eb[128];
  const char *why = strerror_r(e, eb, sizeof eb);
  elock(l);
  size_t n = 0;
  l->etext[0] = '\0';
  /* A text too long for etext is cut; it still starts with op and path. */
  if (cat(l->etext, sizeof l->etext, &n, op) && cat(l->etext, sizeof l->etext, &n, " ") &&
      cat(l->etext, sizeof l->etext, &n, path) && cat(l->etext, sizeof l->etext, &n, ": "))
    cat(l->etext, sizeof l->etext, &n, why);
  l->last_error = code;
  eunlock(l);
  __atomic_fetch_add(&l->errors, 1, __ATOMIC_RELAXED);
  return code;
}

/* -------------------------------------------------------------- paths */

/* "<dir>/<prefix>.<kind>.<what>[.<n>].log"; FIXGW_EINVAL when too long. */
static int join(char *out, size_t cap, const char *dir, const char *prefix, const char *kind,
                const char *what, uint64_t n) {
  char num[24] = "";
  if (n) snprintf(num, sizeof num, ".%llu", (unsigned long long)n);
  size_t k = 0;
  out[0] = '\0';
  bool ok = cat(out, cap, &k, dir) && cat(out, cap, &k, "/") && cat(out, cap, &k, prefix) &&
            cat(out, cap, &k, ".") && cat(out, cap, &k, kind) && cat(out, cap, &k, ".") &&
            cat(out, cap, &k, what) && cat(out, cap, &k, num) && cat(out, cap, &k, ".log");
  return ok ? 0 : FIXGW_EINVAL;
}

/* mkdir -p; 0 or an errno. */
static int mkdir_p(const char *path) {
  char p[PATH_CAP];
  size_t n = strlen(path);
  if (n >= sizeof p) return ENAMETOOLONG;
  memcpy(p, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (p[i] != '/' && p[i] != '\0') continue;
    char c = p[i];
    p[i] = '\0';
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
      int e = errno;
      struct stat st;
      if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) return e;
    }
    p[i] = c;
  }
  return 0;
}

/* The highest backup number of kind in the backup directory; with keep,
 * every backup older than the newest keep is removed. */
static void scan_backups(file_log_t *l, int k) {
  lfile_t *f = &l->f[k];
  f->next_backup = 1;
  DIR *d = opendir(l->bdir);
  if (!d) return; /* reported when the files are opened */
  char lead[NAME_CAP];
  snprintf(lead, sizeof lead, "%s.%s.backup.", l->prefix, kind_name[k]);
  size_t nlead = strlen(lead);
  uint64_t max = 0;
  for (int pass = 0; pass < 2; pass++) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (strncmp(e->d_name, lead, nlead) != 0) continue;
      const char *q = e->d_name + nlead;
      uint64_t v = 0;
      size_t nd = 0;
      while (q[nd] >= '0' && q[nd] <= '9' && nd < 19) v = v * 10 + (uint64_t)(q[nd++] - '0');
      if (!nd || strcmp(q + nd, ".log") != 0 || !v) continue;
      if (pass == 0) {
        if (v > max) max = v;
      } else if (v + l->keep <= max) {
        char p[PATH_CAP];
        if (join(p, sizeof p, l->bdir, l->prefix, kind_name[k], "backup", v) == 0 &&
            unlink(p) != 0 && errno != ENOENT)
          fail(l, errno, "unlink", p);
      }
    }
    if (!l->keep || max <= l->keep) break;
    rewinddir(d);
  }
  closedir(d);
  f->next_backup = max + 1;
}

/* ------------------------------------------------------------ opening */

/* now + retry_ns, saturating (destroy flushes at INT64_MAX). */
static int64_t retry_time(const file_log_t *l, int64_t now) {
  return now > INT64_MAX - l->retry_ns ? INT64_MAX : now + l->retry_ns;
}

static int open_file(file_log_t *l, lfile_t *f, int64_t now) {
  int e = mkdir_p(l->dir);
  if (e) {
    f->err = fail(l, e, "mkdir", l->dir);
    f->retry_at = retry_time(l, now);
    return f->err;
  }
  int fd = open(f->cur, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    f->err = fail(l, errno, "open", f->cur);
    if (fd >= 0) close(fd);
    f->retry_at = retry_time(l, now);
    return f->err;
  }
  f->fd = fd;
  f->size = (uint64_t)st.st_size;
  if (f->size) {
    int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
    f->day = fixgw__log_day(mt);
  } else {
    f->day = LBUF_DAY_NONE;
  }
  f->err = 0;
  return 0;
}

static void close_file(lfile_t *f) {
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
}

/* Move the current file to the next backup and start an empty one. A
 * failed rename keeps writing the current file (its size count restarts,
 * so the next attempt waits for another rotate_bytes). 0, or the error of
 * reopening (the file is then failing). */
static int rotate(file_log_t *l, int k, int64_t now) {
  lfile_t *f = &l->f[k];
  char dst[PATH_CAP];
  if (join(dst, sizeof dst, l->bdir, l->prefix, kind_name[k], "backup", f->next_backup)) {
    f->size = 0;
    return 0;
  }
  close_file(f);
  int e = mkdir_p(l->bdir);
  if (e || rename(f->cur, dst) != 0) {
    if (!e) e = errno;
    fail(l, e, "rename to", dst);
  } else {
    if (l->keep && f->next_backup > l->keep) {
      char old[PATH_CAP];
      if (join(old, sizeof old, l->bdir, l->prefix, kind_name[k], "backup",
               f->next_backup - l->keep) == 0 &&
          unlink(old) != 0 && errno != ENOENT)
        fail(l, errno, "unlink", old);
    }
    f->next_backup++;
    __atomic_fetch_add(&l->rotations, 1, __ATOMIC_RELAXED);
  }
  int64_t day = f->day;
  int rc = open_file(l, f, now);
  f->size = 0; /* an unrenamed file counts afresh */
  f->day = day;
  return rc;
}

/* ------------------------------------------------------------ writing */

/* Write [from, to) of f's buffer; *done gets how much went out. */
static int write_range(lfile_t *f, uint64_t from, uint64_t to, uint64_t *done) {
  *done = 0;
  while (from + *done < to) {
    lbuf_span_t s;
    fixgw__lbuf_span(&f->buf, from + *done, to, &s);
    struct iovec iov[2] = {{(void *)s.p[0], s.n[0]}, {(void *)s.p[1], s.n[1]}};
    ssize_t w = writev(f->fd, iov, s.n[1] ? 2 : 1);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? errno : EIO;
    *done += (uint64_t)w;
  }
  return 0;
}

/* Apply the marks at or below tail. 0, or the error of a reopen. */
static int apply_marks(file_log_t *l, int k, uint64_t tail, uint32_t mhead, int64_t now) {
  lfile_t *f = &l->f[k];
  lbuf_t *b = &f->buf;
  while (b->mtail != mhead && b->marks[b->mtail % LBUF_MARKS].pos <= tail) {
    lbuf_mark_t m = b->marks[b->mtail % LBUF_MARKS];
    /* Release: we are done reading the slot; the producer may reuse it. */
    __atomic_store_n(&b->mtail, b->mtail + 1, __ATOMIC_RELEASE);
    bool go = f->size > 0 &&
              (m.force || (l->daily && f->day != LBUF_DAY_NONE && f->day != m.day));
    if (!m.force) f->day = m.day;
    if (go) {
      int rc = rotate(l, k, now);
      if (rc) return rc;
    }
  }
  return 0;
}

/* Flush one file: bytes written (>= 0) or the error in force. */
static int64_t flush_file(file_log_t *l, int k, int64_t now) {
  lfile_t *f = &l->f[k];
  lbuf_t *b = &f->buf;
  if (f->fd < 0) {
    if (now < f->retry_at) return f->err;
    int rc = open_file(l, f, now);
    if (rc) return rc;
  }
  /* Acquire: pairs with the producer's release of head, so the bytes and
   * marks below it are visible; mhead likewise. */
  uint64_t head = __atomic_load_n(&b->head, __ATOMIC_ACQUIRE);
  uint32_t mhead = __atomic_load_n(&b->mhead, __ATOMIC_ACQUIRE);
  uint64_t tail = b->tail; /* only the consumer writes it */
  int64_t total = 0;
  for (;;) {
    int rc = apply_marks(l, k, tail, mhead, now);
    if (rc) return rc;
    if (tail == head) break;
    uint64_t limit = head;
    if (b->mtail != mhead && b->marks[b->mtail % LBUF_MARKS].pos < limit)
      limit = b->marks[b->mtail % LBUF_MARKS].pos;
    uint64_t end = limit;
    bool rotate_after = false;
    if (l->rotate_bytes) {
      uint64_t room = f->size < l->rotate_bytes ? l->rotate_bytes - f->size : 0;
      if (end - tail > room) {
        uint64_t cut = fixgw__lbuf_last_nl(b, tail, tail + room);
        if (cut > tail) {
          end = cut;
        } else if (f->size > 0) {
          if ((rc = rotate(l, k, now))) return rc;
          continue;
        } else {
          end = fixgw__lbuf_first_nl(b, tail, limit); /* one line over the bound */
        }
        rotate_after = true;
      }
    }
    uint64_t done;
    int e = write_range(f, tail, end, &done);
    tail += done;
    f->size += done;
    total += (int64_t)done;
    __atomic_fetch_add(&l->bytes_written, done, __ATOMIC_RELAXED);
    /* Release: we no longer read the bytes below tail. */
    __atomic_store_n(&b->tail, tail, __ATOMIC_RELEASE);
    if (e) {
      f->err = fail(l, e, "write", f->cur);
      close_file(f);
      f->retry_at = retry_time(l, now);
      return f->err;
    }
    if (rotate_after && (rc = rotate(l, k, now))) return rc;
  }
  return total;
}

/* ---------------------------------------------------------------- ops */

static int fl_write(void *self, fixgw_log_kind kind, fixgw_log_level level, int64_t utc_ns,
                    const char *text, size_t len) {
  (void)level;
  file_log_t *l = self;
  return fixgw__lbuf_put(&l->f[kind == FIXGW_LOG_EVENT ? F_EVENT : F_MESSAGES].buf, utc_ns,
                         text, len);
}

static int fl_flush(void *self, int64_t utc_ns) {
  file_log_t *l = self;
  uint32_t idle = 0;
  /* Acquire: the previous flusher's consumer-side state (tail, fds, sizes)
   * is visible to us. */
  if (!__atomic_compare_exchange_n(&l->flushing, &idle, 1, false, __ATOMIC_ACQUIRE,
                                   __ATOMIC_RELAXED))
    return FIXGW_EBUSY;
  int64_t a = flush_file(l, F_MESSAGES, utc_ns);
  int64_t b = flush_file(l, F_EVENT, utc_ns);
  __atomic_store_n(&l->failing, (uint32_t)(a < 0 || b < 0), __ATOMIC_RELAXED);
  /* Release: hands our consumer-side state to the next flusher. */
  __atomic_store_n(&l->flushing, 0, __ATOMIC_RELEASE);
  if (a < 0) return (int)a;
  if (b < 0) return (int)b;
  return a + b > INT32_MAX ? INT32_MAX : (int)(a + b);
}

static int fl_rotate(void *self) {
  file_log_t *l = self;
  if (!fixgw__lbuf_mark_room(&l->f[F_MESSAGES].buf) || !fixgw__lbuf_mark_room(&l->f[F_EVENT].buf))
    return FIXGW_EFULL;
  fixgw__lbuf_mark_rotate(&l->f[F_MESSAGES].buf);
  fixgw__lbuf_mark_rotate(&l->f[F_EVENT].buf);
  return 0;
}

static uint64_t ld(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

static void fl_stats(void *self, fixgw_log_stats_t *o) {
  file_log_t *l = self;
  memset(o, 0, sizeof *o);
  for (int k = 0; k < 2; k++) {
    lbuf_t *b = &l->f[k].buf;
    o->lines += ld(&b->lines);
    o->dropped += ld(&b->dropped);
    o->truncated += ld(&b->truncated);
    uint64_t t = __atomic_load_n(&b->tail, __ATOMIC_ACQUIRE);
    uint64_t h = __atomic_load_n(&b->head, __ATOMIC_ACQUIRE);
    o->buffered += h > t ? h - t : 0;
  }
  o->bytes_written = ld(&l->bytes_written);
  o->rotations = ld(&l->rotations);
  o->errors = ld(&l->errors);
  o->failing = __atomic_load_n(&l->failing, __ATOMIC_RELAXED) != 0;
  elock(l);
  o->last_error = l->last_error;
  memcpy(o->last_error_text, l->etext, sizeof o->last_error_text);
  eunlock(l);
}

static void fl_free(file_log_t *l) {
  fixgw_allocator_t a = l->alloc;
  const fixgw_allocator_t *ap = l->has_alloc ? &a : NULL;
  for (int k = 0; k < 2; k++) {
    close_file(&l->f[k]);
    fixgw__free(ap, l->f[k].buf.mem);
  }
  fixgw__free(ap, l);
}

static void fl_destroy(void *self) {
  file_log_t *l = self;
  fl_flush(l, INT64_MAX);
  fl_free(l);
}

static const fixgw_log_ops_t file_ops = {
    sizeof(fixgw_log_ops_t), "file", fl_write, fl_flush, fl_rotate, fl_stats, fl_destroy,
};

/* ------------------------------------------------------------- create */

void fixgw_file_log_config_default(fixgw_file_log_config_t *c) {
  memset(c, 0, sizeof *c);
  c->size = sizeof *c;
  c->buffer_bytes = (size_t)1 << 20;
  c->max_line = (size_t)64 << 10;
  c->retry_ns = 1000000000ll;
}

static bool prefix_ok(const char *p) {
  size_t n = p ? strlen(p) : 0;
  if (!n || n >= PREFIX_CAP || !strcmp(p, ".") || !strcmp(p, "..")) return false;
  return !strchr(p, '/');
}

static bool copy_dir(char *out, const char *in) {
  if (!in || !*in) in = ".";
  size_t n = strlen(in);
  while (n > 1 && in[n - 1] == '/') n--;
  /* room for "/" + prefix + ".messages.backup.<20 digits>.log" */
  if (n + 1 + PREFIX_CAP + 48 >= PATH_CAP) return false;
  memcpy(out, in, n);
  out[n] = '\0';
  return true;
}

int fixgw_file_log_create(const fixgw_file_log_config_t *cfg, int64_t now_utc_ns,
                          fixgw_log_t *out) {
  if (!cfg || !out || cfg->size < sizeof *cfg || !prefix_ok(cfg->prefix) || cfg->retry_ns < 0)
    return FIXGW_EINVAL;
  size_t want = cfg->buffer_bytes ? cfg->buffer_bytes : (size_t)1 << 20;
  if (want > ((size_t)1 << 40)) return FIXGW_EINVAL;
  uint64_t cap = 4096;
  while (cap < want) cap <<= 1;
  size_t max_line = cfg->max_line ? cfg->max_line : (size_t)64 << 10;
  if (max_line > cap / 2) max_line = (size_t)(cap / 2);
  const fixgw_allocator_t *a = cfg->allocator;
  file_log_t *l = fixgw__alloc(a, sizeof *l);
  if (!l) return FIXGW_ENOMEM;
  memset(l, 0, sizeof *l);
  if (a) {
    l->alloc = *a;
    l->has_alloc = true;
  }
  l->f[0].fd = l->f[1].fd = -1;
  if (!copy_dir(l->dir, cfg->path) ||
      !copy_dir(l->bdir, cfg->backup_path && *cfg->backup_path ? cfg->backup_path : cfg->path)) {
    fl_free(l);
    return FIXGW_EINVAL;
  }
  snprintf(l->prefix, sizeof l->prefix, "%s", cfg->prefix);
  l->rotate_bytes = cfg->rotate_bytes;
  l->daily = cfg->rotate_daily;
  l->keep = cfg->keep;
  l->retry_ns = cfg->retry_ns ? cfg->retry_ns : 1000000000ll;
  for (int k = 0; k < 2; k++) {
    lfile_t *f = &l->f[k];
    f->buf.cap = cap;
    f->buf.max_line = max_line;
    f->buf.p_day = LBUF_DAY_NONE;
    f->buf.p_date_day = LBUF_DAY_NONE;
    f->day = LBUF_DAY_NONE;
    f->buf.mem = fixgw__alloc(a, (size_t)cap);
    if (!f->buf.mem) {
      fl_free(l);
      return FIXGW_ENOMEM;
    }
    join(f->cur, sizeof f->cur, l->dir, l->prefix, kind_name[k], "current", 0);
  }
  int e = mkdir_p(l->bdir);
  if (e) fail(l, e, "mkdir", l->bdir);
  bool failing = false;
  for (int k = 0; k < 2; k++) {
    scan_backups(l, k);
    if (open_file(l, &l->f[k], now_utc_ns)) failing = true;
  }
  l->failing = failing;
  out->ops = &file_ops;
  out->self = l;
  return 0;
}
