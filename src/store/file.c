/* The file store: one append-only log per generation, written through a
 * shared mapping of its tail, recovered by one scan at open. The layout
 * and the promises are in include/fixgw/store_file.h. */
#define _GNU_SOURCE
#include "fixgw/store_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define FORMAT 1u
#define HDR_SIZE 64u
#define REC_HDR 24u
#define REC_MAGIC 0x52584746u
#define MAX_LEN ((size_t)(1u << 24) - 1)
#define MAX_LOG ((uint64_t)1 << 40)
#define KEY_MAX 128
#define PATH_CAP 4096

enum { T_MSG = 1, T_SENDER = 2, T_TARGET = 3 };

static const char hdr_magic[8] = {'F', 'I', 'X', 'G', 'W', 'L', 'O', 'G'};

/* ------------------------------------------------------------ CRC-32C */

static const uint32_t crc_tab[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu,
    0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
    0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu,
    0xf165b798u, 0x030e349bu, 0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
    0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu,
    0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
    0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
    0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
    0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu,
    0x1642ae59u, 0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
    0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu,
    0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
    0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu,
    0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
    0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
    0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
    0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu,
    0x4767748au, 0xb50cf789u, 0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
    0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu,
    0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
    0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
    0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u,
    0xe9141340u, 0x1b7f9043u, 0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
    0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu,
    0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
    0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u, 0x502036a5u,
    0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
    0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u,
    0x0e330a81u, 0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
    0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u,
    0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
    0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u,
    0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
    0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
    0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
    0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u,
    0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
    0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u,
    0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
    0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au, 0xc69f7b69u,
    0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

static uint32_t crc_sw(uint32_t c, const void *p, size_t n) {
  const unsigned char *b = p;
  while (n--) c = crc_tab[(c ^ *b++) & 0xffu] ^ (c >> 8);
  return c;
}

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <nmmintrin.h>
/* The SSE4.2 instruction runs at 8 bytes a cycle or so; the table loop at
 * one byte per few cycles would be most of an append's cost. */
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const void *p,
                                                         size_t n) {
  const unsigned char *b = p;
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, b, 8);
    c64 = _mm_crc32_u64(c64, w);
    b += 8;
    n -= 8;
  }
  c = (uint32_t)c64;
  while (n--) c = _mm_crc32_u8(c, *b++);
  return c;
}
static uint32_t crc_update(uint32_t c, const void *p, size_t n) {
  if (__builtin_cpu_supports("sse4.2")) return crc_hw(c, p, n);
  return crc_sw(c, p, n);
}
#else
static uint32_t crc_update(uint32_t c, const void *p, size_t n) {
  return crc_sw(c, p, n);
}
#endif

static uint32_t crc32c(const void *p, size_t n) {
  return ~crc_update(0xffffffffu, p, n);
}

/* ------------------------------------------------- little-endian fields */

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

/* -------------------------------------------------------------- state */

typedef struct ent {
  uint64_t seq;
  uint64_t offlen; /* offset << 24 | payload length */
} ent_t;

typedef struct fs {
  fixgw_allocator_t alloc;
  int has_alloc;
  int dir_fd, lock_fd, fd;
  char dir[PATH_CAP];
  char key[KEY_MAX + 1];

  fixgw_file_sync sync;
  uint32_t sync_every;
  uint64_t sync_interval;
  size_t max_msg, grow, window, page;
  uint32_t cap;
  fixgw_file_generation genpol;
  uint32_t flags;

  uint64_t generation;
  int64_t ctime;
  uint64_t end;       /* logical end: after the last record */
  uint64_t alloc_end; /* file size, preallocated beyond end */
  unsigned char *map; /* window of the tail, NULL until the first write */
  uint64_t map_off;
  size_t map_len;

  uint64_t next_sender, next_target;
  ent_t *idx;
  uint32_t n;
  unsigned char *buf; /* REC_HDR + max_msg: one resend read */

  int it_open;
  uint32_t it_pos;
  uint64_t it_end;

  uint64_t pending; /* records written since the last sync */
  int pending_clock;
  uint64_t pending_since;
  uint64_t last_msg_seq, durable_seq;
  int poisoned;

  fixgw_file_store_stats_t stats;
  fixgw_file_store_error_t err;
} fs_t;

static const fixgw_store_ops_t file_ops;

/* ------------------------------------------------------------- errors */

static int code_of_errno(int e) {
  switch (e) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return FIXGW_EFULL;
    case EACCES:
    case EPERM:
    case EROFS:
      return FIXGW_EPERM;
    case ENOENT:
      return FIXGW_ENOTFOUND;
    default:
      return FIXGW_EIO;
  }
}

/* Concatenate up to three strings into out, cut to cap - 1 bytes: a cut
 * name only shortens an error text, and snprintf would make the compiler
 * warn about the cut it is asked for. */
static void join3(char *out, size_t cap, const char *a, const char *b, const char *c) {
  const char *parts[3] = {a, b, c};
  size_t n = 0;
  for (int i = 0; i < 3; i++) {
    for (const char *q = parts[i]; q && *q && n + 1 < cap; q++) out[n++] = *q;
  }
  out[n] = 0;
}

static void path_of(const fs_t *s, const char *suffix, char *out, size_t cap) {
  char dk[PATH_CAP + KEY_MAX + 2];
  join3(dk, sizeof dk, s->dir, "/", s->key);
  join3(out, cap, dk, suffix, NULL);
}

/* Record a failure (code, errno, file, why) and return the code. e is the
 * errno or 0; why NULL means "the errno text". */
static int failf(fixgw_file_store_error_t *err, int code, int e, const char *op,
                 const char *path, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int failf(fixgw_file_store_error_t *err, int code, int e, const char *op,
                 const char *path, const char *fmt, ...) {
  if (!err) return code;
  err->code = code;
  err->sys_errno = e;
  join3(err->path, sizeof err->path, path, NULL, NULL);
  char why[300];
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
  } else {
    char eb[128];
    join3(why, sizeof why, strerror_r(e, eb, sizeof eb), NULL, NULL);
  }
  char head[sizeof err->path + 64];
  join3(head, sizeof head, op, " ", err->path);
  join3(err->text, sizeof err->text, head, ": ", why);
  return code;
}

static int fail_sys(fs_t *s, int e, const char *op, const char *suffix) {
  char p[PATH_CAP];
  path_of(s, suffix, p, sizeof p);
  return failf(&s->err, code_of_errno(e), e, op, p, NULL);
}

/* ---------------------------------------------------------- file helpers */

static int pwrite_all(int fd, const void *p, size_t n, off_t off) {
  const char *b = p;
  while (n) {
    ssize_t w = pwrite(fd, b, n, off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (w == 0) {
      errno = EIO;
      return -1;
    }
    b += w;
    n -= (size_t)w;
    off += w;
  }
  return 0;
}

static ssize_t pread_all(int fd, void *p, size_t n, off_t off) {
  char *b = p;
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, b + got, n - got, off + (off_t)got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

static void make_header(unsigned char h[HDR_SIZE], uint64_t gen, int64_t ctime) {
  memset(h, 0, HDR_SIZE);
  memcpy(h, hdr_magic, 8);
  put32(h + 8, FORMAT);
  put32(h + 12, HDR_SIZE);
  put64(h + 16, gen);
  put64(h + 24, (uint64_t)ctime);
  put32(h + 60, crc32c(h, 60));
}

/* A new generation is written whole under a temporary name, synced, then
 * renamed over the log, so at every instant the log name holds either the
 * old generation or the complete new one. With archive, the old one is
 * first linked under its archive name. Returns the new log's fd. */
static int install_log(fs_t *s, uint64_t gen, int64_t ctime, int archive_gen,
                       uint64_t old_gen, int *out_fd) {
  char tmp_name[KEY_MAX + 16], log_name[KEY_MAX + 16];
  snprintf(tmp_name, sizeof tmp_name, "%s.log.tmp", s->key);
  snprintf(log_name, sizeof log_name, "%s.log", s->key);
  int fd = openat(s->dir_fd, tmp_name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail_sys(s, errno, "create", ".log.tmp");
  unsigned char h[HDR_SIZE];
  make_header(h, gen, ctime);
  int rc;
  if (pwrite_all(fd, h, HDR_SIZE, 0) != 0) {
    rc = fail_sys(s, errno, "write", ".log.tmp");
    goto undo;
  }
  if (fdatasync(fd) != 0) {
    rc = fail_sys(s, errno, "fdatasync", ".log.tmp");
    goto undo;
  }
  if (archive_gen) {
    char arch[KEY_MAX + 40], suffix[40];
    snprintf(suffix, sizeof suffix, ".g%06" PRIu64 ".log", old_gen);
    snprintf(arch, sizeof arch, "%s%s", s->key, suffix);
    if (linkat(s->dir_fd, log_name, s->dir_fd, arch, 0) != 0) {
      int e = errno;
      struct stat a, b;
      /* A crash after the link but before the rename leaves the same
       * inode under both names: the archive is already made. */
      if (!(e == EEXIST && fstatat(s->dir_fd, arch, &a, 0) == 0 &&
            fstatat(s->dir_fd, log_name, &b, 0) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev)) {
        rc = fail_sys(s, e, "archive to", suffix);
        goto undo;
      }
    }
  }
  if (renameat(s->dir_fd, tmp_name, s->dir_fd, log_name) != 0) {
    rc = fail_sys(s, errno, "rename over", ".log");
    goto undo;
  }
  /* The rename is durable only once the directory is. */
  if (fsync(s->dir_fd) != 0) {
    rc = failf(&s->err, code_of_errno(errno), errno, "fsync", s->dir, NULL);
    close(fd);
    return rc;
  }
  *out_fd = fd;
  return 0;
undo:
  close(fd);
  unlinkat(s->dir_fd, tmp_name, 0);
  return rc;
}

/* ----------------------------------------------------------- the index */

/* First entry with seq >= want. */
static uint32_t lower_bound(const fs_t *s, uint64_t want) {
  uint32_t lo = 0, hi = s->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (s->idx[mid].seq < want)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Where a message with this seq goes: after the last entry, or over the
 * entries it supersedes when the number was moved back. */
static uint32_t slot_for(const fs_t *s, uint64_t seq) {
  if (s->n == 0 || s->idx[s->n - 1].seq < seq) return s->n;
  return lower_bound(s, seq);
}

/* ------------------------------------------------------------ recovery */

static int rec_valid(const unsigned char *p, uint64_t avail, uint64_t *len_out) {
  if (avail < REC_HDR || get32(p) != REC_MAGIC) return 0;
  uint64_t len = get32(p + 8);
  if (len > avail - REC_HDR) return 0;
  if (crc32c(p + 8, (size_t)(REC_HDR - 8 + len)) != get32(p + 4)) return 0;
  *len_out = len;
  return 1;
}

/* Is there a valid record anywhere in [from, size)? Tells a torn tail
 * (nothing valid after the damage) from damage in the middle. */
static int valid_after(const unsigned char *m, uint64_t from, uint64_t size,
                       uint64_t *at) {
  unsigned char mg[4];
  put32(mg, REC_MAGIC);
  uint64_t p = from;
  while (p + REC_HDR <= size) {
    const unsigned char *hit = memmem(m + p, (size_t)(size - p), mg, 4);
    if (!hit) return 0;
    uint64_t off = (uint64_t)(hit - m), len;
    if (rec_valid(hit, size - off, &len)) {
      *at = off;
      return 1;
    }
    p = off + 1;
  }
  return 0;
}

static int scan(fs_t *s) {
  struct stat sb;
  if (fstat(s->fd, &sb) != 0) return fail_sys(s, errno, "stat", ".log");
  uint64_t size = (uint64_t)sb.st_size;
  char lp[PATH_CAP];
  path_of(s, ".log", lp, sizeof lp);
  unsigned char h[HDR_SIZE];
  ssize_t got = pread_all(s->fd, h, HDR_SIZE, 0);
  if (got < 0) return fail_sys(s, errno, "read", ".log");
  if (got < (ssize_t)HDR_SIZE)
    return failf(&s->err, FIXGW_EFORMAT, 0, "open", lp,
                 "%zd bytes: too short for a store header (corrupt or not a store)", got);
  if (memcmp(h, hdr_magic, 8) != 0)
    return failf(&s->err, FIXGW_EFORMAT, 0, "open", lp, "not a fixgw store log (bad magic)");
  uint32_t format = get32(h + 8);
  if (crc32c(h, 60) != get32(h + 60))
    return failf(&s->err, FIXGW_EFORMAT, 0, "open", lp, "header checksum mismatch (corrupt)");
  if (format > FORMAT)
    return failf(&s->err, FIXGW_ENOTSUP, 0, "open", lp,
                 "format %u is newer than this library's %u", format, FORMAT);
  if (format != FORMAT || get32(h + 12) != HDR_SIZE)
    return failf(&s->err, FIXGW_EFORMAT, 0, "open", lp, "format %u / header size %u invalid",
                 format, get32(h + 12));
  s->generation = get64(h + 16);
  s->ctime = (int64_t)get64(h + 24);

  s->n = 0;
  s->next_sender = s->next_target = 1;
  s->last_msg_seq = 0;
  s->stats.records = 0;
  uint64_t off = HDR_SIZE;
  unsigned char *m = NULL;
  int rc = 0;
  if (size > HDR_SIZE) {
    m = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, s->fd, 0);
    if (m == MAP_FAILED) return fail_sys(s, errno, "map", ".log");
    madvise(m, (size_t)size, MADV_SEQUENTIAL);
  }
  while (off < size) {
    uint64_t len;
    if (!rec_valid(m + off, size - off, &len)) break;
    const unsigned char *p = m + off;
    uint32_t type = get32(p + 12);
    uint64_t v = get64(p + 16);
    if (type < T_MSG || type > T_TARGET || v == 0 || (type != T_MSG && len != 0)) {
      rc = failf(&s->err, FIXGW_EFORMAT, 0, "open", lp,
                 "record at offset %" PRIu64 " has type %u value %" PRIu64 " (corrupt)",
                 off, type, v);
      goto out;
    }
    if (type == T_MSG) {
      if (len > s->max_msg) {
        rc = failf(&s->err, FIXGW_ETOOBIG, 0, "open", lp,
                   "message %" PRIu64 " at offset %" PRIu64 " has %" PRIu64
                   " bytes, more than max_message_size %zu",
                   v, off, len, s->max_msg);
        goto out;
      }
      uint32_t slot = slot_for(s, v);
      if (slot >= s->cap) {
        rc = failf(&s->err, FIXGW_EFULL, 0, "open", lp,
                   "holds more than max_messages (%u) messages", s->cap);
        goto out;
      }
      s->idx[slot].seq = v;
      s->idx[slot].offlen = off << 24 | len;
      s->n = slot + 1;
      s->next_sender = v + 1;
      s->last_msg_seq = v;
    } else if (type == T_SENDER) {
      s->next_sender = v;
    } else {
      s->next_target = v;
    }
    s->stats.records++;
    off += REC_HDR + len;
  }
  if (off < size) {
    uint64_t at;
    if (valid_after(m, off + 1, size, &at) && !(s->flags & FIXGW_FILE_STORE_REPAIR)) {
      rc = failf(&s->err, FIXGW_EFORMAT, 0, "open", lp,
                 "damaged record at offset %" PRIu64 " with valid records after it (at %" PRIu64
                 "): corruption, or a power cut under the GROUP/OS policy; left as is "
                 "(FIXGW_FILE_STORE_REPAIR cuts the log there)",
                 off, at);
      goto out;
    }
    if (ftruncate(s->fd, (off_t)off) != 0) {
      rc = fail_sys(s, errno, "truncate torn tail of", ".log");
      goto out;
    }
    s->stats.truncated = size - off;
  }
out:
  if (m) munmap(m, (size_t)size);
  if (rc) return rc;
  s->end = s->alloc_end = off;
  /* What open found is made durable, so durable_seq starts true. */
  if (fdatasync(s->fd) != 0) return fail_sys(s, errno, "fdatasync", ".log");
  s->stats.syncs++;
  s->durable_seq = s->last_msg_seq;
  return 0;
}

/* --------------------------------------------------------- the write path */

/* Room for `need` more bytes at the end, in the file and in the window. */
static int ensure(fs_t *s, uint64_t need) {
  uint64_t want = s->end + need;
  if (want > MAX_LOG) {
    char p[PATH_CAP];
    path_of(s, ".log", p, sizeof p);
    return failf(&s->err, FIXGW_EFULL, 0, "append to", p,
                 "generation reached its 1 TiB limit; reset");
  }
  if (want > s->alloc_end) {
    uint64_t target = (want + s->grow - 1) / s->grow * s->grow;
    int r = posix_fallocate(s->fd, (off_t)s->alloc_end, (off_t)(target - s->alloc_end));
    if (r == ENOSPC || r == EFBIG || r == EDQUOT) {
      /* Less than a step left: take just what this record needs. */
      target = (want + s->page - 1) / s->page * s->page;
      r = posix_fallocate(s->fd, (off_t)s->alloc_end, (off_t)(target - s->alloc_end));
    }
    if (r != 0) {
      struct stat sb;
      if (fstat(s->fd, &sb) == 0 && (uint64_t)sb.st_size > s->alloc_end)
        s->alloc_end = (uint64_t)sb.st_size;
      return fail_sys(s, r, "grow", ".log");
    }
    s->alloc_end = target;
  }
  if (!s->map || want > s->map_off + s->map_len) {
    if (s->map) munmap(s->map, s->map_len);
    s->map = NULL;
    uint64_t moff = s->end / s->page * s->page;
    void *m = mmap(NULL, s->window, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, (off_t)moff);
    if (m == MAP_FAILED) return fail_sys(s, errno, "map", ".log");
    s->map = m;
    s->map_off = moff;
    s->map_len = s->window;
  }
  return 0;
}

static int write_record(fs_t *s, uint32_t type, uint64_t v, const char *msg, size_t len) {
  int rc = ensure(s, REC_HDR + len);
  if (rc) return rc;
  unsigned char h[REC_HDR];
  put32(h, REC_MAGIC);
  put32(h + 8, (uint32_t)len);
  put32(h + 12, type);
  put64(h + 16, v);
  uint32_t c = crc_update(0xffffffffu, h + 8, REC_HDR - 8);
  c = ~crc_update(c, msg, len);
  put32(h + 4, c);
  unsigned char *p = s->map + (s->end - s->map_off);
  memcpy(p, h, REC_HDR);
  if (len) memcpy(p + REC_HDR, msg, len);
  s->end += REC_HDR + len;
  s->stats.records++;
  s->pending++;
  return 0;
}

static int do_sync(fs_t *s) {
  if (fdatasync(s->fd) != 0) {
    /* After a failed fdatasync the kernel may have dropped the dirty
     * pages it could not write: nothing since the last good sync is
     * trusted any more, so the store takes no more writes. */
    s->poisoned = 1;
    return fail_sys(s, errno, "fdatasync", ".log");
  }
  s->stats.syncs++;
  s->pending = 0;
  s->pending_clock = 0;
  s->durable_seq = s->last_msg_seq;
  return 0;
}

/* The policy's sync after a record; on failure the record is taken back
 * (zeroed in the page cache, end moved back) so no number is used up. */
static int after_write(fs_t *s, uint64_t rec_off) {
  int need = s->sync == FIXGW_FILE_SYNC_EVERY ||
             (s->sync == FIXGW_FILE_SYNC_GROUP && s->sync_every &&
              s->pending >= s->sync_every);
  if (!need) return 0;
  int rc = do_sync(s);
  if (rc) {
    memset(s->map + (rec_off - s->map_off), 0, (size_t)(s->end - rec_off));
    s->end = rec_off;
    s->stats.records--;
  }
  return rc;
}

static int f_append(void *self, uint64_t seq, const char *msg, size_t len) {
  fs_t *s = self;
  if (s->poisoned) return FIXGW_ESTATE;
  if (seq == 0 || seq < s->next_sender || (!msg && len)) return FIXGW_EINVAL;
  if (len > s->max_msg) return FIXGW_ETOOBIG;
  uint32_t slot = slot_for(s, seq);
  if (slot >= s->cap) {
    char p[PATH_CAP];
    path_of(s, ".log", p, sizeof p);
    return failf(&s->err, FIXGW_EFULL, 0, "append to", p,
                 "index full (max_messages %u): reset to start a new generation", s->cap);
  }
  uint64_t rec_off = s->end, old_last = s->last_msg_seq;
  int rc = write_record(s, T_MSG, seq, msg, len);
  if (rc) return rc;
  ent_t saved = slot < s->n ? s->idx[slot] : (ent_t){0, 0};
  uint32_t old_n = s->n;
  s->idx[slot].seq = seq;
  s->idx[slot].offlen = rec_off << 24 | len;
  s->n = slot + 1;
  s->last_msg_seq = seq;
  rc = after_write(s, rec_off);
  if (rc) {
    s->n = old_n;
    if (slot < old_n) s->idx[slot] = saved;
    s->last_msg_seq = old_last;
    return rc;
  }
  s->next_sender = seq + 1;
  return 0;
}

static int set_number(fs_t *s, uint32_t type, uint64_t next, uint64_t *field) {
  if (s->poisoned) return FIXGW_ESTATE;
  if (next == 0) return FIXGW_EINVAL;
  uint64_t rec_off = s->end;
  int rc = write_record(s, type, next, NULL, 0);
  if (rc) return rc;
  rc = after_write(s, rec_off);
  if (rc) return rc;
  *field = next;
  return 0;
}

static int f_set_next_sender(void *self, uint64_t next) {
  fs_t *s = self;
  return set_number(s, T_SENDER, next, &s->next_sender);
}

static int f_set_next_target(void *self, uint64_t next) {
  fs_t *s = self;
  return set_number(s, T_TARGET, next, &s->next_target);
}

static int f_get_seqnums(void *self, uint64_t *ns, uint64_t *nt) {
  fs_t *s = self;
  if (!ns || !nt) return FIXGW_EINVAL;
  *ns = s->next_sender;
  *nt = s->next_target;
  return 0;
}

static int f_creation_time(void *self, int64_t *t) {
  fs_t *s = self;
  if (!t) return FIXGW_EINVAL;
  *t = s->ctime;
  return 0;
}

/* Drop the window and cut the preallocated zeros, so a closed or
 * archived log ends at its last record. */
static int seal(fs_t *s) {
  if (s->map) munmap(s->map, s->map_len);
  s->map = NULL;
  if (s->alloc_end != s->end) {
    if (ftruncate(s->fd, (off_t)s->end) != 0) return fail_sys(s, errno, "truncate", ".log");
    s->alloc_end = s->end;
  }
  return 0;
}

static int f_reset(void *self, int64_t now_utc_ns) {
  fs_t *s = self;
  if (s->poisoned) return FIXGW_ESTATE;
  int rc = seal(s);
  if (rc) return rc;
  /* The archive must hold everything the old generation promised. */
  if (s->pending && (rc = do_sync(s)) != 0) return rc;
  int nfd;
  rc = install_log(s, s->generation + 1, now_utc_ns,
                   s->genpol == FIXGW_FILE_GEN_ARCHIVE, s->generation, &nfd);
  if (rc) return rc;
  close(s->fd);
  s->fd = nfd;
  s->generation++;
  s->ctime = now_utc_ns;
  s->end = s->alloc_end = HDR_SIZE;
  s->n = 0;
  s->next_sender = s->next_target = 1;
  s->last_msg_seq = s->durable_seq = 0;
  s->pending = 0;
  s->pending_clock = 0;
  s->it_open = 0;
  s->stats.records = 0;
  s->stats.syncs++;
  return 0;
}

/* ---------------------------------------------------------- the iterator */

static int f_iter_open(void *self, uint64_t begin, uint64_t end) {
  fs_t *s = self;
  if (!s || begin == 0) return FIXGW_EINVAL; /* the contract: no number 0 */
  s->it_pos = lower_bound(s, begin);
  s->it_end = end;
  s->it_open = 1;
  return 0;
}

static int f_iter_next(void *self, uint64_t *seq, const char **msg, size_t *len) {
  fs_t *s = self;
  if (!seq || !msg || !len) return FIXGW_EINVAL;
  if (!s->it_open) return FIXGW_ESTATE;
  if (s->it_pos >= s->n || s->idx[s->it_pos].seq > s->it_end) return FIXGW_ENOTFOUND;
  const ent_t *e = &s->idx[s->it_pos];
  uint64_t off = e->offlen >> 24;
  size_t l = (size_t)(e->offlen & MAX_LEN);
  /* pread into one record buffer: the memory a resend costs does not
   * depend on its range, and the record is checked again on the way out. */
  ssize_t got = pread_all(s->fd, s->buf, REC_HDR + l, (off_t)off);
  if (got < 0) return fail_sys(s, errno, "read", ".log");
  uint64_t vl;
  if ((size_t)got != REC_HDR + l || !rec_valid(s->buf, (uint64_t)got, &vl) || vl != l ||
      get64(s->buf + 16) != e->seq) {
    char p[PATH_CAP];
    path_of(s, ".log", p, sizeof p);
    return failf(&s->err, FIXGW_EIO, 0, "read", p,
                 "message %" PRIu64 " at offset %" PRIu64 " changed on disk", e->seq, off);
  }
  s->it_pos++;
  *seq = e->seq;
  *msg = (const char *)s->buf + REC_HDR;
  *len = l;
  return 0;
}

static void f_iter_close(void *self) {
  fs_t *s = self;
  s->it_open = 0;
}

static int f_flush(void *self) {
  fs_t *s = self;
  if (s->poisoned) return FIXGW_ESTATE;
  return s->pending ? do_sync(s) : 0;
}

static void free_fs(fs_t *s) {
  const fixgw_allocator_t *a = s->has_alloc ? &s->alloc : NULL;
  fixgw__free(a, s->buf);
  fixgw__free(a, s->idx);
  fixgw__free(a, s);
}

static void close_fs(fs_t *s) {
  if (s->fd >= 0) {
    if (!s->poisoned) {
      seal(s);
      if (s->sync != FIXGW_FILE_SYNC_OS && s->pending) do_sync(s);
    } else if (s->map) {
      munmap(s->map, s->map_len);
    }
    close(s->fd);
  }
  /* Closing the lock file's only descriptor releases the flock. */
  if (s->lock_fd >= 0) close(s->lock_fd);
  if (s->dir_fd >= 0) close(s->dir_fd);
}

static void f_destroy(void *self) {
  fs_t *s = self;
  if (!s) return;
  close_fs(s);
  free_fs(s);
}

static const fixgw_store_ops_t file_ops = {
    .size = sizeof(fixgw_store_ops_t),
    .name = "file",
    .append = f_append,
    .get_seqnums = f_get_seqnums,
    .set_next_sender = f_set_next_sender,
    .set_next_target = f_set_next_target,
    .reset = f_reset,
    .creation_time = f_creation_time,
    /* The lock keeps every other writer out, so the file never changes
     * under the open store: there is nothing to reload. */
    .refresh = NULL,
    .iter_open = f_iter_open,
    .iter_next = f_iter_next,
    .iter_close = f_iter_close,
    .flush = f_flush,
    .destroy = f_destroy,
};

/* ------------------------------------------------------------------ open */

void fixgw_file_store_config_default(fixgw_file_store_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
  cfg->sync = FIXGW_FILE_SYNC_GROUP;
  cfg->sync_every = 4096;
  cfg->sync_interval_ns = 1000000;
  cfg->max_message_size = 65536;
  cfg->max_messages = 1u << 20;
  cfg->grow_bytes = 16u << 20;
  cfg->window_bytes = 16u << 20;
  cfg->generation = FIXGW_FILE_GEN_ARCHIVE;
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

static int open_locked(fs_t *s, const fixgw_file_store_config_t *cfg) {
  s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dir_fd < 0)
    return failf(&s->err, code_of_errno(errno), errno, "open directory", s->dir, NULL);
  char name[KEY_MAX + 16];
  snprintf(name, sizeof name, "%s.lock", s->key);
  s->lock_fd = openat(s->dir_fd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (s->lock_fd < 0) return fail_sys(s, errno, "open", ".lock");
  /* flock, not fcntl: fcntl locks do not conflict within one process, and
   * two sessions of one process must not share a store either. */
  if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    char p[PATH_CAP];
    path_of(s, ".lock", p, sizeof p);
    if (e == EWOULDBLOCK)
      return failf(&s->err, FIXGW_EPERM, e, "lock", p,
                   "locked by another opener (another process or store object "
                   "has this store open)");
    return failf(&s->err, code_of_errno(e), e, "lock", p, NULL);
  }
  char mark = 0;
  ssize_t got = pread_all(s->lock_fd, &mark, 1, 0);
  if (got < 0) return fail_sys(s, errno, "read", ".lock");
  /* A reset that crashed before its rename leaves its temporary file. */
  snprintf(name, sizeof name, "%s.log.tmp", s->key);
  unlinkat(s->dir_fd, name, 0);

  snprintf(name, sizeof name, "%s.log", s->key);
  s->fd = openat(s->dir_fd, name, O_RDWR | O_CLOEXEC);
  if (s->fd < 0) {
    int e = errno;
    if (e != ENOENT) return fail_sys(s, e, "open", ".log");
    char p[PATH_CAP];
    path_of(s, ".log", p, sizeof p);
    if (got == 1 && mark == '1')
      return failf(&s->err, FIXGW_ENOTFOUND, e, "open", p,
                   "log missing although its lock file says the store existed "
                   "(deleted or moved?); numbers are not reset silently: restore the log, "
                   "or remove the lock file to start a new store at 1");
    if (cfg->flags & FIXGW_FILE_STORE_MUST_EXIST)
      return failf(&s->err, FIXGW_ENOTFOUND, e, "open", p,
                   "no store here and FIXGW_FILE_STORE_MUST_EXIST is set");
    int rc = install_log(s, 1, cfg->now_utc_ns, 0, 0, &s->fd);
    if (rc) return rc;
    if (pwrite_all(s->lock_fd, "1", 1, 0) != 0 || fdatasync(s->lock_fd) != 0)
      return fail_sys(s, errno, "write", ".lock");
  }
  return scan(s);
}

int fixgw_file_store_open(const fixgw_file_store_config_t *cfg, fixgw_store_t *out,
                          fixgw_file_store_error_t *err) {
  fixgw_file_store_error_t dummy;
  if (!err) err = &dummy;
  memset(err, 0, sizeof *err);
  if (out) memset(out, 0, sizeof *out);
  if (!cfg || !out || cfg->size != sizeof *cfg || !cfg->directory || !cfg->key)
    return failf(err, FIXGW_EINVAL, 0, "open", "", "NULL argument or config size mismatch");
  if (!key_ok(cfg->key))
    return failf(err, FIXGW_EINVAL, 0, "open", cfg->key,
                 "key must be 1..128 bytes of [A-Za-z0-9._-], not starting with '.'");
  if (strlen(cfg->directory) + strlen(cfg->key) + 40 > PATH_CAP)
    return failf(err, FIXGW_EINVAL, 0, "open", cfg->directory, "path too long");
  if (cfg->sync > FIXGW_FILE_SYNC_OS || cfg->generation > FIXGW_FILE_GEN_REMOVE)
    return failf(err, FIXGW_EINVAL, 0, "open", cfg->key, "unknown sync or generation policy");
  size_t max_msg = cfg->max_message_size ? cfg->max_message_size : 65536;
  if (max_msg > MAX_LEN)
    return failf(err, FIXGW_EINVAL, 0, "open", cfg->key, "max_message_size above 16 MiB - 1");
  uint32_t cap = cfg->max_messages ? cfg->max_messages : 1u << 20;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);

  const fixgw_allocator_t *a = cfg->allocator;
  fs_t *s = fixgw__alloc(a, sizeof *s);
  if (!s) return failf(err, FIXGW_ENOMEM, 0, "open", cfg->key, "out of memory");
  memset(s, 0, sizeof *s);
  if (a) {
    s->alloc = *a;
    s->has_alloc = 1;
  }
  s->dir_fd = s->lock_fd = s->fd = -1;
  join3(s->dir, sizeof s->dir, cfg->directory, NULL, NULL);
  join3(s->key, sizeof s->key, cfg->key, NULL, NULL);
  s->sync = cfg->sync;
  s->sync_every = cfg->sync_every;
  s->sync_interval = cfg->sync_interval_ns;
  s->max_msg = max_msg;
  s->cap = cap;
  s->page = page;
  size_t grow = cfg->grow_bytes ? cfg->grow_bytes : 16u << 20;
  s->grow = (grow + page - 1) / page * page;
  size_t win = cfg->window_bytes ? cfg->window_bytes : 16u << 20;
  /* A record never straddles the window's end: the window starts at the
   * page of the log's end and must hold one whole record past it. */
  if (win < REC_HDR + max_msg + page) win = REC_HDR + max_msg + page;
  s->window = (win + page - 1) / page * page;
  s->genpol = cfg->generation;
  s->flags = cfg->flags;
  path_of(s, ".log", s->err.path, sizeof s->err.path);

  int rc = FIXGW_ENOMEM;
  s->idx = fixgw__alloc(a, (size_t)cap * sizeof(ent_t));
  if (!s->idx) goto fail;
  s->buf = fixgw__alloc(a, REC_HDR + max_msg);
  if (!s->buf) goto fail;
  rc = open_locked(s, cfg);
  if (rc) goto fail;
  memset(&s->err, 0, sizeof s->err);
  path_of(s, ".log", s->err.path, sizeof s->err.path);
  out->ops = &file_ops;
  out->self = s;
  return 0;
fail:
  if (rc == FIXGW_ENOMEM && !s->err.code)
    failf(&s->err, FIXGW_ENOMEM, 0, "open", s->err.path, "out of memory");
  *err = s->err;
  close_fs(s);
  free_fs(s);
  return rc;
}

/* ------------------------------------------------------- file-store calls */

static fs_t *as_fs(const fixgw_store_t *st) {
  return st && st->ops == &file_ops ? st->self : NULL;
}

int fixgw_file_store_poll(fixgw_store_t *st, uint64_t now_mono_ns) {
  fs_t *s = as_fs(st);
  if (!s) return FIXGW_EINVAL;
  if (s->sync != FIXGW_FILE_SYNC_GROUP || !s->sync_interval || !s->pending) return 0;
  if (s->poisoned) return FIXGW_ESTATE;
  if (!s->pending_clock) {
    s->pending_clock = 1;
    s->pending_since = now_mono_ns;
  }
  if (now_mono_ns - s->pending_since < s->sync_interval) return 0;
  int rc = do_sync(s);
  return rc ? rc : 1;
}

uint64_t fixgw_file_store_next_deadline(const fixgw_store_t *st) {
  const fs_t *s = as_fs(st);
  if (!s || s->sync != FIXGW_FILE_SYNC_GROUP || !s->sync_interval || !s->pending)
    return UINT64_MAX;
  return s->pending_clock ? s->pending_since + s->sync_interval : 0;
}

uint64_t fixgw_file_store_durable_seq(const fixgw_store_t *st) {
  const fs_t *s = as_fs(st);
  return s ? s->durable_seq : 0;
}

int fixgw_file_store_stats(const fixgw_store_t *st, fixgw_file_store_stats_t *out) {
  const fs_t *s = as_fs(st);
  if (!s || !out) return FIXGW_EINVAL;
  *out = s->stats;
  out->messages = s->n;
  out->log_bytes = s->end;
  out->generation = s->generation;
  return 0;
}

int fixgw_file_store_last_error(const fixgw_store_t *st, fixgw_file_store_error_t *out) {
  const fs_t *s = as_fs(st);
  if (!s || !out) return FIXGW_EINVAL;
  *out = s->err;
  return 0;
}
