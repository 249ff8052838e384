/* Import of a QuickFIX FileStore into any store: check every file first,
 * then copy through the store interface. The formats and the promises are
 * in include/fixgw/store_import.h. */
#define _GNU_SOURCE
#include "fixgw/store_import.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixgw/codec.h"
#include "internal.h"

#define PATH_CAP 4096
#define MAX_LEN ((size_t)(1u << 24) - 1)
#define SMALL_CAP 256 /* .seqnums and .session: QuickFIX writes < 50 bytes */
#define RBUF 16384
#define TRAILER 7 /* "10=NNN" SOH */

enum { F_BODY, F_HEADER, F_SEQNUMS, F_SESSION, F_COUNT };
static const char *const ext[F_COUNT] = {"body", "header", "seqnums", "session"};

typedef struct entry {
  uint64_t seq;
  uint64_t offset;
  uint32_t size;
  uint32_t pos; /* order in .header: among equal seqs the last one wins */
} entry_t;

typedef struct imp {
  const fixgw_allocator_t *alloc;
  size_t max_len;
  uint32_t max_index;
  fixgw_qf_import_error_t *err;
  char path[F_COUNT][PATH_CAP];
  int fd[F_COUNT];
  uint64_t body_size, header_size;
  /* .header reader */
  char rbuf[RBUF];
  size_t rlen, rpos;
  uint64_t roff; /* file offset of rbuf[0] */
  int reof;
  uint64_t nentry; /* entries read so far in this pass */
  /* one message */
  char *buf;
  size_t cap;
  int written; /* dst touched */
  int copying; /* past the check: a difference now is a change */
} imp_t;

/* ------------------------------------------------------------- errors */

static int failf(imp_t *m, int code, int e, const char *path, uint64_t seq, const char *fmt,
                 ...) __attribute__((format(printf, 6, 7)));

static int failf(imp_t *m, int code, int e, const char *path, uint64_t seq, const char *fmt,
                 ...) {
  fixgw_qf_import_error_t *err = m->err;
  err->code = code;
  err->sys_errno = e;
  err->written = m->written;
  err->seq = seq;
  snprintf(err->path, sizeof err->path, "%.255s", path ? path : "");
  char why[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  snprintf(err->text, sizeof err->text, "%.180s: %.320s", path ? path : "destination store",
           why);
  return code;
}

static int code_of_errno(int e) {
  switch (e) {
    case ENOENT:
    case ENOTDIR:
      return FIXGW_ENOTFOUND;
    case EACCES:
    case EPERM:
      return FIXGW_EPERM;
    case ENOMEM:
      return FIXGW_ENOMEM;
    default:
      return FIXGW_EIO;
  }
}

static int fail_sys(imp_t *m, int f, int e, const char *op) {
  char eb[128];
  const char *t = strerror_r(e, eb, sizeof eb);
  if (e == ENOENT)
    return failf(m, FIXGW_ENOTFOUND, e, m->path[f], 0,
                 "missing (a QuickFIX FileStore has .body, .header, .seqnums and "
                 ".session files for each session; is the directory or prefix right?)");
  return failf(m, code_of_errno(e), e, m->path[f], 0, "%s: %s", op, t);
}

/* Bytes of a file's content for an error text: printable ASCII kept, the
 * rest shown as '?', at most 40 of them. */
static void quoted(const char *s, size_t n, char *out, size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n && k + 4 < cap && i < 40; i++)
    out[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  if (n > 40 && k + 4 < cap) {
    memcpy(out + k, "...", 3);
    k += 3;
  }
  out[k] = 0;
}

/* ---------------------------------------------------------------- files */

static int open_all(imp_t *m) {
  for (int f = 0; f < F_COUNT; f++) {
    /* O_NONBLOCK: a FIFO put there must not hang the open. */
    m->fd[f] = open(m->path[f], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (m->fd[f] < 0) return fail_sys(m, f, errno, "open");
    struct stat st;
    if (fstat(m->fd[f], &st) != 0) return fail_sys(m, f, errno, "stat");
    if (!S_ISREG(st.st_mode))
      return failf(m, FIXGW_EFORMAT, 0, m->path[f], 0, "not a regular file");
    if (f == F_BODY) m->body_size = (uint64_t)st.st_size;
    if (f == F_HEADER) m->header_size = (uint64_t)st.st_size;
  }
  return 0;
}

static void close_all(imp_t *m) {
  for (int f = 0; f < F_COUNT; f++)
    if (m->fd[f] >= 0) close(m->fd[f]);
}

/* Read n bytes at off; *got what came (short only at end of file). */
static int pread_full(imp_t *m, int f, char *b, size_t n, uint64_t off, size_t *got) {
  size_t done = 0;
  *got = 0; /* set on every path: callers read it only on success, gcc -O3 cannot tell */
  while (done < n) {
    ssize_t r = pread(m->fd[f], b + done, n - done, (off_t)(off + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail_sys(m, f, errno, "read");
    }
    if (r == 0) break;
    done += (size_t)r;
  }
  *got = done;
  return 0;
}

/* A small file whole into out[0..SMALL_CAP); bigger is not QuickFIX's. */
static int read_small(imp_t *m, int f, char *out, size_t *n) {
  int rc = pread_full(m, f, out, SMALL_CAP, 0, n);
  if (rc) return rc;
  if (*n == SMALL_CAP)
    return failf(m, FIXGW_EFORMAT, 0, m->path[f], 0,
                 "larger than %d bytes, which QuickFIX never writes there: not a %s file",
                 SMALL_CAP - 1, ext[f]);
  return 0;
}

static int is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

static int grow(imp_t *m, size_t need) {
  if (need <= m->cap) return 0;
  size_t cap = m->cap ? m->cap : 4096;
  while (cap < need) cap = cap > m->max_len / 2 ? m->max_len : cap * 2;
  char *b = fixgw__alloc(m->alloc, cap);
  if (!b) return failf(m, FIXGW_ENOMEM, 0, NULL, 0, "out of memory for a %zu-byte buffer", cap);
  fixgw__free(m->alloc, m->buf);
  m->buf = b;
  m->cap = cap;
  return 0;
}

/* ------------------------------------------------------------- .seqnums */

/* One number of .seqnums at s[*i..n). */
static int seqnum_at(imp_t *m, const char *s, size_t n, size_t *i, const char *which,
                     uint64_t *out) {
  char q[64];
  quoted(s, n, q, sizeof q);
  while (*i < n && is_space(s[*i])) (*i)++;
  if (*i < n && (s[*i] == '-' || s[*i] == '+'))
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_SEQNUMS], 0,
                 "the next %s number is signed (\"%s\"); QuickFIX writes unsigned digits",
                 which, q);
  size_t b = *i;
  while (*i < n && s[*i] >= '0' && s[*i] <= '9') (*i)++;
  if (*i == b)
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_SEQNUMS], 0,
                 "no next %s number where QuickFIX writes \"SENDER : TARGET\" (\"%s\")",
                 which, q);
  int rc = fixgw_to_uint(s + b, *i - b, out);
  if (rc == FIXGW_ERANGE)
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_SEQNUMS], 0,
                 "the next %s number does not fit in 64 bits (\"%s\")", which, q);
  if (rc) return failf(m, FIXGW_EFORMAT, 0, m->path[F_SEQNUMS], 0, "bad number (\"%s\")", q);
  if (*out == 0 || *out == UINT64_MAX)
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_SEQNUMS], 0,
                 "the next %s number is %" PRIu64 ", not a usable sequence number (\"%s\")",
                 which, *out, q);
  return 0;
}

static int read_seqnums(imp_t *m, uint64_t *sender, uint64_t *target) {
  char s[SMALL_CAP];
  size_t n, i = 0;
  int rc = read_small(m, F_SEQNUMS, s, &n);
  if (rc) return rc;
  if (n == 0)
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_SEQNUMS], 0,
                 "empty; QuickFIX always writes \"SENDER : TARGET\" (write e.g. "
                 "\"1 : 1\" by hand if the numbers are known)");
  if ((rc = seqnum_at(m, s, n, &i, "sender", sender))) return rc;
  while (i < n && is_space(s[i])) i++;
  char q[64];
  quoted(s, n, q, sizeof q);
  if (i >= n || s[i] != ':')
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_SEQNUMS], 0,
                 "no ':' after the sender number (\"%s\")", q);
  i++;
  if ((rc = seqnum_at(m, s, n, &i, "target", target))) return rc;
  while (i < n && is_space(s[i])) i++;
  if (i != n)
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_SEQNUMS], 0,
                 "unexpected bytes after the target number (\"%s\")", q);
  return 0;
}

/* ------------------------------------------------------------- .session */

static int read_session(imp_t *m, int64_t *ns) {
  char s[SMALL_CAP];
  size_t n;
  int rc = read_small(m, F_SESSION, s, &n);
  if (rc) return rc;
  size_t b = 0;
  while (b < n && is_space(s[b])) b++;
  while (n > b && is_space(s[n - 1])) n--;
  char q[64];
  quoted(s + b, n - b, q, sizeof q);
  if (n == b)
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_SESSION], 0,
                 "empty; QuickFIX writes the creation time there");
  rc = fixgw_to_timestamp(s + b, n - b, ns);
  if (rc)
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_SESSION], 0,
                 "creation time \"%s\" is %s a UTC time YYYYMMDD-HH:MM:SS[.fff]", q,
                 rc == FIXGW_ERANGE ? "not a real date or time, or out of range for" : "not");
  return 0;
}

/* -------------------------------------------------------------- .header */

static void header_rewind(imp_t *m) {
  m->rlen = m->rpos = 0;
  m->roff = 0;
  m->reof = 0;
  m->nentry = 0;
}

/* The next byte of .header, or -1 at its end, or -2 on a read error. */
static int hgetc(imp_t *m) {
  if (m->rpos == m->rlen) {
    if (m->reof) return -1;
    m->roff += m->rlen;
    size_t got;
    if (pread_full(m, F_HEADER, m->rbuf, RBUF, m->roff, &got)) return -2;
    m->rlen = got;
    m->rpos = 0;
    if (got < RBUF) m->reof = 1;
    if (got == 0) return -1;
  }
  return (unsigned char)m->rbuf[m->rpos++];
}

static uint64_t hpos(const imp_t *m) { return m->roff + m->rpos; }

/* Next entry "seq,offset,size" followed by white space; 1 with *e, 0 at
 * the end of the file, or an error. */
static int next_entry(imp_t *m, entry_t *e) {
  int c;
  do c = hgetc(m);
  while (c >= 0 && is_space((char)c));
  if (c == -2) return m->err->code;
  if (c == -1) return 0;
  uint64_t at = hpos(m) - 1, no = m->nentry + 1, v[3];
  static const char *const name[3] = {"sequence number", "offset", "size"};
  for (int k = 0; k < 3; k++) {
    if (k) c = hgetc(m);
    if (c == -2) return m->err->code;
    if (c == '-' || c == '+')
      return failf(m, FIXGW_EFORMAT, 0, m->path[F_HEADER], 0,
                   "entry %" PRIu64 " at byte %" PRIu64 ": the %s is signed; QuickFIX "
                   "writes \"seq,offset,size \" in unsigned digits",
                   no, at, name[k]);
    uint64_t x = 0;
    int digits = 0, over = 0;
    while (c >= '0' && c <= '9') {
      unsigned d = (unsigned)(c - '0');
      if (x > (UINT64_MAX - d) / 10) over = 1;
      else x = x * 10 + d;
      digits++;
      c = hgetc(m);
    }
    if (c == -2) return m->err->code;
    if (!digits) {
      if (c == -1)
        return failf(m, FIXGW_EFORMAT, 0, m->path[F_HEADER], 0,
                     "entry %" PRIu64 " at byte %" PRIu64 " is cut off before its %s "
                     "(the file ends there)",
                     no, at, name[k]);
      return failf(m, FIXGW_EFORMAT, 0, m->path[F_HEADER], 0,
                   "entry %" PRIu64 " at byte %" PRIu64 ": byte 0x%02x where its %s "
                   "should be; not a QuickFIX .header (\"seq,offset,size \")",
                   no, at, (unsigned)c, name[k]);
    }
    if (over)
      return failf(m, FIXGW_EFORMAT, 0, m->path[F_HEADER], 0,
                   "entry %" PRIu64 " at byte %" PRIu64 ": the %s does not fit in 64 bits", no,
                   at, name[k]);
    v[k] = x;
    int want = k < 2 ? ',' : ' ';
    if (k < 2 ? c != ',' : !(c >= 0 && is_space((char)c))) {
      if (c == -1)
        return failf(m, FIXGW_EFORMAT, 0, m->path[F_HEADER], 0,
                     "entry %" PRIu64 " at byte %" PRIu64 " is cut off after its %s (the "
                     "file ends there; QuickFIX ends every entry with a space)",
                     no, at, name[k]);
      return failf(m, FIXGW_EFORMAT, 0, m->path[F_HEADER], 0,
                   "entry %" PRIu64 " at byte %" PRIu64 ": byte 0x%02x after its %s where "
                   "'%c' should be",
                   no, at, (unsigned)c, name[k], want);
    }
  }
  m->nentry = no;
  if (v[0] == 0 || v[0] == UINT64_MAX)
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_HEADER], v[0],
                 "entry %" PRIu64 " at byte %" PRIu64 ": sequence number %" PRIu64
                 " is not usable",
                 no, at, v[0]);
  if (v[1] > (uint64_t)INT64_MAX)
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_HEADER], v[0],
                 "entry %" PRIu64 " (seq %" PRIu64 "): offset %" PRIu64 " is beyond any file",
                 no, v[0], v[1]);
  if (v[2] > m->max_len)
    return failf(m, FIXGW_ETOOBIG, 0, m->path[F_HEADER], v[0],
                 "entry %" PRIu64 " (seq %" PRIu64 "): size %" PRIu64
                 " is more than max_message_size %zu",
                 no, v[0], v[2], m->max_len);
  if (no > UINT32_MAX)
    return failf(m, FIXGW_EFULL, 0, m->path[F_HEADER], v[0], "more than 2^32 entries");
  e->seq = v[0];
  e->offset = v[1];
  e->size = (uint32_t)v[2];
  e->pos = (uint32_t)(no - 1);
  return 1;
}

/* ------------------------------------------------------------ messages */

/* NULL if b[0..n) is exactly one FIX message (BeginString first,
 * BodyLength right, CheckSum last and right), else what is wrong. */
static const char *frame_problem(const char *b, size_t n) {
  if (n < 2 || b[0] != '8' || b[1] != '=') return "does not start with BeginString \"8=\"";
  const char *s1 = memchr(b, FIXGW_SOH, n);
  if (!s1) return "has no SOH";
  size_t p = (size_t)(s1 - b) + 1;
  if (n - p < 3 || b[p] != '9' || b[p + 1] != '=')
    return "has no BodyLength (9) as its second field";
  const char *s2 = memchr(b + p + 2, FIXGW_SOH, n - p - 2);
  uint64_t bl;
  if (!s2 || fixgw_to_uint(b + p + 2, (size_t)(s2 - (b + p + 2)), &bl))
    return "has a BodyLength (9) that is not a number";
  size_t body = (size_t)(s2 - b) + 1;
  if (n < body + TRAILER || bl != n - TRAILER - body)
    return "has a BodyLength (9) that does not end its body where the entry's size "
           "puts CheckSum (10)";
  const char *t = b + n - TRAILER;
  if (t[0] != '1' || t[1] != '0' || t[2] != '=' || t[3] < '0' || t[3] > '9' || t[4] < '0' ||
      t[4] > '9' || t[5] < '0' || t[5] > '9' || t[6] != FIXGW_SOH || (bl && t[-1] != FIXGW_SOH))
    return "does not end with CheckSum \"10=NNN<SOH>\"";
  unsigned want = (unsigned)((t[3] - '0') * 100 + (t[4] - '0') * 10 + (t[5] - '0'));
  if (fixgw_checksum(b, n - TRAILER) != want) return "has a CheckSum (10) that does not match";
  return NULL;
}

/* Read entry e's bytes into m->buf and check they are one FIX message. */
static int load(imp_t *m, const entry_t *e) {
  int rc = grow(m, e->size ? e->size : 1);
  if (rc) return rc;
  size_t got;
  if ((rc = pread_full(m, F_BODY, m->buf, e->size, e->offset, &got))) return rc;
  if (got != e->size)
    return failf(m, m->copying ? FIXGW_ESTATE : FIXGW_EFORMAT, 0, m->path[F_BODY], e->seq,
                 "seq %" PRIu64 ": %zu of %" PRIu32 " bytes at offset %" PRIu64
                 " (the file is shorter than at the check: is QuickFIX still writing?)",
                 e->seq, got, e->size, e->offset);
  const char *why = frame_problem(m->buf, e->size);
  if (why) {
    if (m->copying)
      return failf(m, FIXGW_ESTATE, 0, m->path[F_BODY], e->seq,
                   "seq %" PRIu64 " changed since the check: the bytes at offset %" PRIu64
                   " now %s (is QuickFIX still writing?)",
                   e->seq, e->offset, why);
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_BODY], e->seq,
                 "seq %" PRIu64 ": the %" PRIu32 " bytes at offset %" PRIu64
                 " that %s names are not one FIX message: the message %s",
                 e->seq, e->size, e->offset, m->path[F_HEADER], why);
  }
  return 0;
}

/* ---------------------------------------------------------------- check */

typedef struct plan {
  fixgw_qf_store_info_t info;
  int ordered;    /* .header seqs strictly ascending: stream it again */
  entry_t *index; /* else: sorted, one entry per seq */
  uint64_t nindex;
} plan_t;

static void count(plan_t *p, const entry_t *e) {
  fixgw_qf_store_info_t *in = &p->info;
  in->messages++;
  if (!in->first_seq || e->seq < in->first_seq) in->first_seq = e->seq;
  if (e->seq > in->last_seq) in->last_seq = e->seq;
  in->message_bytes += e->size;
  if (e->size > in->max_message_len) in->max_message_len = e->size;
}

static int by_seq_then_pos(const void *a, const void *b) {
  const entry_t *x = a, *y = b;
  if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int by_pos(const void *a, const void *b) {
  const entry_t *x = a, *y = b;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* An entry to import, taken in .header order: inside .body, after the
 * bytes of the one before it (QuickFIX only appends), one FIX message. */
static int check_kept(imp_t *m, plan_t *p, const entry_t *e, entry_t *prev) {
  uint64_t no = (uint64_t)e->pos + 1;
  if (e->offset + e->size > m->body_size)
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_HEADER], e->seq,
                 "entry %" PRIu64 " (seq %" PRIu64 ") points past the end of %s: bytes %" PRIu64
                 "..%" PRIu64 " of a %" PRIu64 "-byte file (cut, or from another store?)",
                 no, e->seq, m->path[F_BODY], e->offset, e->offset + e->size, m->body_size);
  if (prev->seq && e->offset < prev->offset + prev->size)
    return failf(m, FIXGW_EFORMAT, 0, m->path[F_HEADER], e->seq,
                 "entry %" PRIu64 " (seq %" PRIu64 ", bytes %" PRIu64 "..%" PRIu64
                 ") overlaps the entry before it (seq %" PRIu64 ", bytes %" PRIu64 "..%" PRIu64
                 "); QuickFIX only appends",
                 no, e->seq, e->offset, e->offset + e->size, prev->seq, prev->offset,
                 prev->offset + prev->size);
  int rc = load(m, e);
  if (rc) return rc;
  *prev = *e;
  count(p, e);
  return 0;
}

/* Only what QuickFIX itself would resend is held to the rules above: the
 * newest entry of each number below the next sender number. An entry it
 * would never read again (superseded, or at or above that number: a
 * QuickFIX stopped between writing .header and raising the number, which
 * it does before sending) needs only to parse. */
static int check(imp_t *m, plan_t *p) {
  fixgw_qf_store_info_t *in = &p->info;
  memset(p, 0, sizeof *p);
  int rc = open_all(m);
  if (rc) return rc;
  if ((rc = read_seqnums(m, &in->next_sender, &in->next_target))) return rc;
  if ((rc = read_session(m, &in->creation_utc_ns))) return rc;
  in->body_bytes = m->body_size;

  /* Pass 1: the syntax, and whether the numbers ascend. */
  entry_t e, prev = {0, 0, 0, 0};
  p->ordered = 1;
  header_rewind(m);
  while ((rc = next_entry(m, &e)) == 1) {
    if (e.seq <= prev.seq) p->ordered = 0;
    prev = e;
  }
  if (rc < 0) return rc;
  in->entries = m->nentry;

  if (p->ordered) { /* Pass 2, streamed: one entry per number. */
    memset(&prev, 0, sizeof prev);
    header_rewind(m);
    while ((rc = next_entry(m, &e)) == 1) {
      if (e.seq >= in->next_sender) in->stale++;
      else if ((rc = check_kept(m, p, &e, &prev))) return rc;
    }
    if (rc < 0) return rc;
    if (m->nentry != in->entries)
      return failf(m, FIXGW_ESTATE, 0, m->path[F_HEADER], 0,
                   "changed while being read (is QuickFIX still writing?)");
    return 0;
  }

  /* A number was stored again: sort, keep the newest bytes of each. */
  if (in->entries > m->max_index)
    return failf(m, FIXGW_EFULL, 0, m->path[F_HEADER], 0,
                 "%" PRIu64 " entries out of sequence order need an index larger than "
                 "max_index_entries %" PRIu32,
                 in->entries, m->max_index);
  p->index = fixgw__alloc(m->alloc, (size_t)in->entries * sizeof *p->index);
  if (!p->index)
    return failf(m, FIXGW_ENOMEM, 0, m->path[F_HEADER], 0,
                 "out of memory for an index of %" PRIu64 " entries", in->entries);
  header_rewind(m);
  uint64_t k = 0;
  while (k < in->entries && (rc = next_entry(m, &p->index[k])) == 1) k++;
  if (rc < 0) return rc;
  if (k != in->entries)
    return failf(m, FIXGW_ESTATE, 0, m->path[F_HEADER], 0,
                 "changed while being read (is QuickFIX still writing?)");
  qsort(p->index, (size_t)k, sizeof *p->index, by_seq_then_pos);
  uint64_t w = 0;
  for (uint64_t i = 0; i < k; i++) {
    if (i + 1 < k && p->index[i + 1].seq == p->index[i].seq) in->superseded++;
    else if (p->index[i].seq >= in->next_sender) in->stale++;
    else p->index[w++] = p->index[i];
  }
  p->nindex = w;
  qsort(p->index, (size_t)w, sizeof *p->index, by_pos);
  memset(&prev, 0, sizeof prev);
  for (uint64_t i = 0; i < w; i++)
    if ((rc = check_kept(m, p, &p->index[i], &prev))) return rc;
  qsort(p->index, (size_t)w, sizeof *p->index, by_seq_then_pos);
  return 0;
}

/* ----------------------------------------------------------------- API */

void fixgw_qf_import_config_default(fixgw_qf_import_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
  cfg->max_message_size = MAX_LEN;
  cfg->max_index_entries = 1u << 22;
}

static int bad_part(const char *s) { return !s || !*s || strchr(s, '/'); }

static int setup(imp_t *m, const fixgw_qf_import_config_t *cfg, fixgw_qf_import_error_t *err) {
  memset(err, 0, sizeof *err);
  m->err = err;
  for (int f = 0; f < F_COUNT; f++) m->fd[f] = -1;
  if (!cfg || cfg->size != sizeof *cfg || !cfg->directory || !*cfg->directory)
    return failf(m, FIXGW_EINVAL, 0, NULL, 0, "NULL argument, no directory, or config size "
                 "mismatch");
  m->alloc = cfg->allocator;
  m->max_len = cfg->max_message_size ? cfg->max_message_size : MAX_LEN;
  m->max_index = cfg->max_index_entries ? cfg->max_index_entries : 1u << 22;
  if (m->max_len > MAX_LEN)
    return failf(m, FIXGW_EINVAL, 0, NULL, 0, "max_message_size above 16 MiB - 1");
  char prefix[PATH_CAP];
  int parts = cfg->begin_string || cfg->sender_comp_id || cfg->target_comp_id ||
              (cfg->qualifier && *cfg->qualifier);
  if (cfg->prefix && parts)
    return failf(m, FIXGW_EINVAL, 0, NULL, 0, "give the prefix or its parts, not both");
  if (cfg->prefix) {
    if (bad_part(cfg->prefix) || !strcmp(cfg->prefix, ".") || !strcmp(cfg->prefix, ".."))
      return failf(m, FIXGW_EINVAL, 0, NULL, 0, "prefix empty or with '/'");
    if ((size_t)snprintf(prefix, sizeof prefix, "%s", cfg->prefix) >= sizeof prefix)
      return failf(m, FIXGW_EINVAL, 0, NULL, 0, "prefix too long");
  } else {
    if (bad_part(cfg->begin_string) || bad_part(cfg->sender_comp_id) ||
        bad_part(cfg->target_comp_id) || (cfg->qualifier && strchr(cfg->qualifier, '/')))
      return failf(m, FIXGW_EINVAL, 0, NULL, 0,
                   "no prefix, and BeginString, SenderCompID or TargetCompID empty or "
                   "with '/'");
    int q = cfg->qualifier && *cfg->qualifier;
    if ((size_t)snprintf(prefix, sizeof prefix, "%s-%s-%s%s%s", cfg->begin_string,
                         cfg->sender_comp_id, cfg->target_comp_id, q ? "-" : "",
                         q ? cfg->qualifier : "") >= sizeof prefix)
      return failf(m, FIXGW_EINVAL, 0, NULL, 0, "prefix too long");
  }
  for (int f = 0; f < F_COUNT; f++)
    if ((size_t)snprintf(m->path[f], PATH_CAP, "%s/%s.%s", cfg->directory, prefix, ext[f]) >=
        PATH_CAP)
      return failf(m, FIXGW_EINVAL, 0, NULL, 0, "path too long");
  return 0;
}

static void teardown(imp_t *m, plan_t *p) {
  close_all(m);
  fixgw__free(m->alloc, m->buf);
  if (p) fixgw__free(m->alloc, p->index);
}

/* The reader's buffer and the paths make the state 32 KiB: allocated. */
static imp_t *imp_new(const fixgw_qf_import_config_t *cfg, fixgw_qf_import_error_t *err) {
  memset(err, 0, sizeof *err);
  imp_t *m = fixgw__alloc(cfg ? cfg->allocator : NULL, sizeof *m);
  if (!m) {
    err->code = FIXGW_ENOMEM;
    snprintf(err->text, sizeof err->text, "out of memory for the import's state");
    return NULL;
  }
  memset(m, 0, sizeof *m);
  return m;
}

int fixgw_qf_store_check(const fixgw_qf_import_config_t *cfg, fixgw_qf_store_info_t *info,
                         fixgw_qf_import_error_t *err) {
  fixgw_qf_import_error_t dummy;
  if (!err) err = &dummy;
  if (info) memset(info, 0, sizeof *info);
  imp_t *m = imp_new(cfg, err);
  if (!m) return FIXGW_ENOMEM;
  plan_t p;
  memset(&p, 0, sizeof p);
  int rc = setup(m, cfg, err);
  if (!rc) rc = check(m, &p);
  if (info) *info = p.info;
  const fixgw_allocator_t *a = m->alloc;
  teardown(m, &p);
  fixgw__free(a, m);
  return rc;
}

static int dst_usable(const fixgw_store_t *d) {
  const fixgw_store_ops_t *o = d ? d->ops : NULL;
  return o && o->size >= sizeof *o && o->append && o->get_seqnums && o->set_next_sender &&
         o->set_next_target && o->reset && o->creation_time && o->iter_open && o->iter_next &&
         o->iter_close;
}

static int dst_fail(imp_t *m, const fixgw_store_t *d, int rc, uint64_t seq, const char *what) {
  return failf(m, rc, 0, NULL, seq, "%s store: %s: %s (%s)%s", d->ops->name ? d->ops->name : "",
               what, fixgw_strerror(rc), fixgw_err_name(rc),
               m->written ? "; it now holds a partial import: discard it and import again "
                            "into a new store"
                          : "; nothing was written to it");
}

/* New: numbers 1 and 1, no message. */
static int dst_is_new(imp_t *m, fixgw_store_t *d) {
  const fixgw_store_ops_t *o = d->ops;
  uint64_t ns = 0, nt = 0;
  int rc = o->get_seqnums(d->self, &ns, &nt);
  if (rc) return dst_fail(m, d, rc, 0, "reading its numbers");
  if (ns != 1 || nt != 1)
    return failf(m, FIXGW_ESTATE, 0, NULL, 0,
                 "%s store is not new (next sender %" PRIu64 ", next target %" PRIu64
                 "): import only into a new store, so nothing is overwritten",
                 o->name ? o->name : "", ns, nt);
  if ((rc = o->iter_open(d->self, 1, UINT64_MAX))) return dst_fail(m, d, rc, 0, "iter_open");
  uint64_t seq = 0;
  const char *msg;
  size_t len;
  rc = o->iter_next(d->self, &seq, &msg, &len);
  o->iter_close(d->self);
  if (rc == 0)
    return failf(m, FIXGW_ESTATE, 0, NULL, seq,
                 "%s store is not new (it holds message %" PRIu64
                 "): import only into a new store, so nothing is overwritten",
                 o->name ? o->name : "", seq);
  if (rc != FIXGW_ENOTFOUND) return dst_fail(m, d, rc, 0, "iter_next");
  return 0;
}

/* Is the source as it was at the check? QuickFIX writes in place. */
static int unchanged(imp_t *m, const fixgw_qf_store_info_t *in) {
  struct stat st;
  for (int f = F_BODY; f <= F_HEADER; f++) {
    if (fstat(m->fd[f], &st) != 0) return fail_sys(m, f, errno, "stat");
    uint64_t was = f == F_BODY ? m->body_size : m->header_size;
    if ((uint64_t)st.st_size != was)
      return failf(m, FIXGW_ESTATE, 0, m->path[f], 0,
                   "changed during the import (%" PRIu64 " bytes, now %" PRIu64
                   "): is QuickFIX still running?",
                   was, (uint64_t)st.st_size);
  }
  uint64_t ns, nt;
  int rc = read_seqnums(m, &ns, &nt);
  if (rc) return rc;
  if (ns != in->next_sender || nt != in->next_target)
    return failf(m, FIXGW_ESTATE, 0, m->path[F_SEQNUMS], 0,
                 "changed during the import (%" PRIu64 " : %" PRIu64 ", now %" PRIu64
                 " : %" PRIu64 "): is QuickFIX still running?",
                 in->next_sender, in->next_target, ns, nt);
  return 0;
}

static int copy_one(imp_t *m, fixgw_store_t *d, plan_t *p, const entry_t *e) {
  if (e->seq >= p->info.next_sender) return 0; /* stale */
  int rc = load(m, e);
  if (rc) return rc;
  rc = d->ops->append(d->self, e->seq, m->buf, e->size);
  if (rc) {
    char what[64];
    snprintf(what, sizeof what, "append of seq %" PRIu64, e->seq);
    return dst_fail(m, d, rc, e->seq, what);
  }
  m->written = 1;
  p->info.imported++;
  return 0;
}

static int copy(imp_t *m, fixgw_store_t *d, plan_t *p) {
  const fixgw_store_ops_t *o = d->ops;
  fixgw_qf_store_info_t *in = &p->info;
  int64_t t = 0;
  m->copying = 1;
  int rc = o->creation_time(d->self, &t);
  if (rc) return dst_fail(m, d, rc, 0, "reading its creation time");
  if (t != in->creation_utc_ns) {
    m->written = 1;
    if ((rc = o->reset(d->self, in->creation_utc_ns)))
      return dst_fail(m, d, rc, 0, "reset to the creation time");
    if ((rc = o->creation_time(d->self, &t))) return dst_fail(m, d, rc, 0, "creation_time");
  }
  in->creation_kept = t == in->creation_utc_ns;

  if (p->ordered) {
    entry_t e;
    header_rewind(m);
    while ((rc = next_entry(m, &e)) == 1)
      if ((rc = copy_one(m, d, p, &e))) return rc;
    if (rc < 0) return rc;
  } else {
    for (uint64_t i = 0; i < p->nindex; i++)
      if ((rc = copy_one(m, d, p, &p->index[i]))) return rc;
  }
  if ((rc = unchanged(m, in))) return rc;
  m->written = 1;
  if ((rc = o->set_next_sender(d->self, in->next_sender)))
    return dst_fail(m, d, rc, in->next_sender, "set_next_sender");
  if ((rc = o->set_next_target(d->self, in->next_target)))
    return dst_fail(m, d, rc, in->next_target, "set_next_target");
  if (o->flush && (rc = o->flush(d->self))) return dst_fail(m, d, rc, 0, "flush");
  return 0;
}

int fixgw_qf_store_import(const fixgw_qf_import_config_t *cfg, fixgw_store_t *dst,
                          fixgw_qf_store_info_t *info, fixgw_qf_import_error_t *err) {
  fixgw_qf_import_error_t dummy;
  if (!err) err = &dummy;
  if (info) memset(info, 0, sizeof *info);
  imp_t *m = imp_new(cfg, err);
  if (!m) return FIXGW_ENOMEM;
  plan_t p;
  memset(&p, 0, sizeof p);
  int rc = setup(m, cfg, err);
  if (!rc && !dst_usable(dst))
    rc = failf(m, FIXGW_EINVAL, 0, NULL, 0, "destination store NULL or its ops table incomplete");
  if (!rc) rc = check(m, &p);
  if (!rc) rc = dst_is_new(m, dst);
  if (!rc) rc = copy(m, dst, &p);
  if (info) *info = p.info;
  const fixgw_allocator_t *a = m->alloc;
  teardown(m, &p);
  fixgw__free(a, m);
  return rc;
}
