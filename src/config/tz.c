/*
 * Loading time zones: TZif files (RFC 8536) and their POSIX TZ footers,
 * fixed offsets. Everything is validated before the one allocation of the
 * zone, so an error path has nothing to undo. Evaluation lives in
 * src/session/schedule.c, which must stay free of IO.
 */
#define _POSIX_C_SOURCE 200809L
#include "fixgw/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../session/tz_internal.h"
#include "internal.h"

/* ------------------------------------------------------ POSIX TZ strings */

typedef struct cursor {
  const char *p;
  const char *end;
} cursor_t;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static bool at(const cursor_t *c, char ch) { return c->p < c->end && *c->p == ch; }

/* 1..maxdig decimal digits; more digits is an error rather than a silent
 * split, so "EST123" cannot parse as offset 12 and a name "3". */
static int number(cursor_t *c, int maxdig, int32_t *out) {
  int32_t v = 0;
  int k = 0;
  while (c->p < c->end && is_digit(*c->p)) {
    if (++k > maxdig) return FIXGW_ETZ;
    v = v * 10 + (*c->p++ - '0');
  }
  if (k == 0) return FIXGW_ETZ;
  *out = v;
  return 0;
}

/* POSIX asks for at least three characters; the <...> form allows the
 * digits and signs that numeric designations ("<+0330>") need. */
static int zone_abbr(cursor_t *c) {
  const char *s;
  if (at(c, '<')) {
    s = ++c->p;
    while (c->p < c->end && (is_alpha(*c->p) || is_digit(*c->p) || *c->p == '+' || *c->p == '-'))
      c->p++;
    if (!at(c, '>') || c->p - s < 3) return FIXGW_ETZ;
    c->p++;
    return 0;
  }
  s = c->p;
  while (c->p < c->end && is_alpha(*c->p)) c->p++;
  return c->p - s >= 3 ? 0 : FIXGW_ETZ;
}

/* [+-]h[h[h]][:mm[:ss]]: offsets allow 24 hours, rule times 167 (the
 * version 3 extension that lets rules like "M3.4.4/26" say "Friday 02:00"). */
static int hms(cursor_t *c, int maxdig, int32_t max_h, int32_t *out) {
  int32_t sign = 1, h, m = 0, s = 0;
  if (at(c, '+') || at(c, '-')) sign = *c->p++ == '-' ? -1 : 1;
  if (number(c, maxdig, &h) || h > max_h) return FIXGW_ETZ;
  if (at(c, ':')) {
    c->p++;
    if (number(c, 2, &m) || m > 59) return FIXGW_ETZ;
    if (at(c, ':')) {
      c->p++;
      if (number(c, 2, &s) || s > 59) return FIXGW_ETZ;
    }
  }
  *out = sign * (h * 3600 + m * 60 + s);
  return 0;
}

static int rule_date(cursor_t *c, fixgw__tz_rdate_t *d) {
  int32_t a, b, e;
  memset(d, 0, sizeof *d);
  if (at(c, 'J')) {
    c->p++;
    if (number(c, 3, &a) || a < 1 || a > 365) return FIXGW_ETZ;
    d->kind = FIXGW__TZ_JULIAN1;
    d->yday = (uint16_t)a;
  } else if (at(c, 'M')) {
    c->p++;
    if (number(c, 2, &a) || a < 1 || a > 12 || !at(c, '.')) return FIXGW_ETZ;
    c->p++;
    if (number(c, 1, &b) || b < 1 || b > 5 || !at(c, '.')) return FIXGW_ETZ;
    c->p++;
    if (number(c, 1, &e) || e > 6) return FIXGW_ETZ;
    d->kind = FIXGW__TZ_MWD;
    d->month = (uint8_t)a;
    d->week = (uint8_t)b;
    d->wday = (uint8_t)e;
  } else {
    if (number(c, 3, &a) || a > 365) return FIXGW_ETZ;
    d->kind = FIXGW__TZ_JULIAN0;
    d->yday = (uint16_t)a;
  }
  d->time = 2 * 3600; /* POSIX default */
  if (at(c, '/')) {
    c->p++;
    if (hms(c, 3, 167, &d->time)) return FIXGW_ETZ;
  }
  return 0;
}

static bool off_ok(int32_t off) { return off >= -FIXGW__TZ_MAX_OFF && off <= FIXGW__TZ_MAX_OFF; }

static int parse_posix(const char *s, size_t n, fixgw__tz_rule_t *r) {
  cursor_t c = {s, s + n};
  int32_t v;
  memset(r, 0, sizeof *r);
  if (zone_abbr(&c) || hms(&c, 2, 24, &v)) return FIXGW_ETZ;
  r->std_off = -v; /* POSIX counts hours west of Greenwich */
  if (c.p == c.end) return 0;
  if (zone_abbr(&c)) return FIXGW_ETZ;
  r->has_dst = true;
  r->dst_off = r->std_off + 3600;
  if (c.p < c.end && *c.p != ',') {
    if (hms(&c, 2, 24, &v)) return FIXGW_ETZ;
    r->dst_off = -v;
  }
  if (c.p == c.end) {
    /* No rule: POSIX leaves it to the implementation; tzcode and glibc
     * fall back to the US rules, and so do we. */
    r->start = (fixgw__tz_rdate_t){.kind = FIXGW__TZ_MWD, .month = 3, .week = 2, .time = 7200};
    r->end = (fixgw__tz_rdate_t){.kind = FIXGW__TZ_MWD, .month = 11, .week = 1, .time = 7200};
  } else {
    if (!at(&c, ',')) return FIXGW_ETZ;
    c.p++;
    if (rule_date(&c, &r->start) || !at(&c, ',')) return FIXGW_ETZ;
    c.p++;
    if (rule_date(&c, &r->end) || c.p != c.end) return FIXGW_ETZ;
  }
  return off_ok(r->std_off) && off_ok(r->dst_off) ? 0 : FIXGW_ETZ;
}

/* ------------------------------------------------------------------ TZif */

#define TZIF_HEADER 44u

typedef struct tzif_view {
  const unsigned char *times; /* ntime big-endian times of tsz bytes */
  const unsigned char *idx;   /* ntime type indices */
  const unsigned char *types; /* ntype 6-byte ttinfo records */
  uint32_t ntime, ntype;
  unsigned tsz;
  bool has_rule;
  fixgw__tz_rule_t rule;
} tzif_view_t;

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t time_at(const tzif_view_t *v, uint32_t i) {
  if (v->tsz == 4) return (int32_t)be32(v->times + 4 * (size_t)i);
  const unsigned char *p = v->times + 8 * (size_t)i;
  uint64_t u = (uint64_t)be32(p) << 32 | be32(p + 4);
  /* Two's complement reinterpretation without implementation-defined
   * conversion of values above INT64_MAX. */
  return u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static int32_t type_off(const tzif_view_t *v, uint32_t t) {
  return (int32_t)be32(v->types + 6 * (size_t)t);
}

/* Reads the header at p[at..] and checks its data block fits in len.
 * *version: 1 or 2 (2 for every version >= 2: they share the layout). */
static int header(const unsigned char *p, size_t len, size_t at_, unsigned tsz,
                  uint32_t cnt[6], int *version, size_t *block) {
  if (at_ > len || len - at_ < TZIF_HEADER) return FIXGW_ETZ;
  p += at_;
  if (memcmp(p, "TZif", 4) != 0) return FIXGW_ETZ;
  if (p[4] == 0)
    *version = 1;
  else if (p[4] >= '2' && p[4] <= '9')
    *version = 2;
  else
    return FIXGW_ETZ;
  for (int i = 0; i < 6; i++) cnt[i] = be32(p + 20 + 4 * i);
  /* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt; 64-bit sums
   * of 32-bit counts cannot wrap. */
  uint64_t n = (uint64_t)cnt[3] * (tsz + 1) + (uint64_t)cnt[4] * 6 + cnt[5] +
               (uint64_t)cnt[2] * (tsz + 4) + cnt[1] + cnt[0];
  if (n > len - at_ - TZIF_HEADER) return FIXGW_ETZ;
  *block = (size_t)n;
  return 0;
}

static int view_block(const unsigned char *p, const uint32_t cnt[6], unsigned tsz,
                      tzif_view_t *v) {
  uint32_t isut = cnt[0], isstd = cnt[1], leap = cnt[2];
  v->ntime = cnt[3];
  v->ntype = cnt[4];
  v->tsz = tsz;
  uint32_t nchar = cnt[5];
  /* Leap-second files count TAI-like seconds; schedules use POSIX time. */
  if (leap != 0) return FIXGW_ETZ;
  if (v->ntype == 0 || v->ntype > 256 || nchar == 0) return FIXGW_ETZ;
  if ((isstd != 0 && isstd != v->ntype) || (isut != 0 && isut != v->ntype)) return FIXGW_ETZ;
  v->times = p;
  v->idx = p + (size_t)v->ntime * tsz;
  v->types = v->idx + v->ntime;
  for (uint32_t t = 0; t < v->ntype; t++) {
    const unsigned char *r = v->types + 6 * (size_t)t;
    if (!off_ok(type_off(v, t)) || r[4] > 1 || r[5] >= nchar) return FIXGW_ETZ;
  }
  const unsigned char *flags = v->types + 6 * (size_t)v->ntype + nchar;
  for (uint32_t t = 0; t < isstd + isut; t++)
    if (flags[t] > 1) return FIXGW_ETZ;
  for (uint32_t i = 0; i < v->ntime; i++) {
    if (v->idx[i] >= v->ntype) return FIXGW_ETZ;
    if (i > 0 && time_at(v, i) <= time_at(v, i - 1)) return FIXGW_ETZ;
  }
  return 0;
}

static int view_tzif(const unsigned char *p, size_t len, tzif_view_t *v) {
  uint32_t cnt[6];
  int version;
  size_t block;
  memset(v, 0, sizeof *v);
  if (header(p, len, 0, 4, cnt, &version, &block)) return FIXGW_ETZ;
  if (version == 1) return view_block(p + TZIF_HEADER, cnt, 4, v);
  /* Version 2+: the 32-bit block only serves old readers; skip to the
   * second header and its 64-bit block, then the footer. */
  size_t at2 = TZIF_HEADER + block;
  int version2;
  if (header(p, len, at2, 8, cnt, &version2, &block) || version2 != 2) return FIXGW_ETZ;
  if (view_block(p + at2 + TZIF_HEADER, cnt, 8, v)) return FIXGW_ETZ;
  size_t f = at2 + TZIF_HEADER + block;
  if (f >= len || p[f] != '\n') return FIXGW_ETZ;
  const unsigned char *s = p + f + 1;
  const unsigned char *nl = memchr(s, '\n', len - f - 1);
  if (!nl) return FIXGW_ETZ;
  if (nl > s) {
    if (parse_posix((const char *)s, (size_t)(nl - s), &v->rule)) return FIXGW_ETZ;
    v->has_rule = true;
  }
  return 0;
}

/* --------------------------------------------------------------- zones */

static size_t head_size(void) { return (sizeof(struct fixgw_tz) + 7u) & ~(size_t)7u; }

static int alloc_tz(const fixgw_allocator_t *a, const char *name, uint32_t ntrans,
                    fixgw_tz_t **out, int64_t **trans_out, int32_t **offs_out) {
  size_t nlen = strlen(name);
  size_t size = head_size() + (size_t)ntrans * (sizeof(int64_t) + sizeof(int32_t)) + nlen + 1;
  unsigned char *m = fixgw__alloc(a, size);
  if (!m) return FIXGW_ENOMEM;
  fixgw_tz_t *tz = (fixgw_tz_t *)(void *)m;
  memset(tz, 0, sizeof *tz);
  if (a) tz->alloc = *a;
  int64_t *trans = (int64_t *)(void *)(m + head_size());
  int32_t *offs = (int32_t *)(void *)(trans + ntrans);
  char *nm = (char *)(offs + ntrans);
  memcpy(nm, name, nlen + 1);
  tz->name = nm;
  tz->trans = trans;
  tz->trans_off = offs;
  tz->ntrans = ntrans;
  *out = tz;
  *trans_out = trans;
  *offs_out = offs;
  return 0;
}

int fixgw_tz_parse_tzif(const void *data, size_t len, const char *name,
                        const fixgw_allocator_t *a, fixgw_tz_t **out) {
  if (!out) return FIXGW_EINVAL;
  *out = NULL;
  if (!data && len) return FIXGW_EINVAL;
  if (len > FIXGW_TZ_MAX_FILE || len < TZIF_HEADER) return FIXGW_ETZ;
  tzif_view_t v;
  if (view_tzif(data, len, &v)) return FIXGW_ETZ;

  /* Transitions that keep the offset (abbreviation or isdst changes) only
   * make evaluation walk further; the last one stays because it marks
   * where the footer rule takes over. */
  int32_t first = type_off(&v, 0), prev = first;
  uint32_t keep = 0;
  for (uint32_t i = 0; i < v.ntime; i++) {
    int32_t o = type_off(&v, v.idx[i]);
    if (o != prev || i + 1 == v.ntime) keep++;
    prev = o;
  }
  fixgw_tz_t *tz;
  int64_t *trans;
  int32_t *offs;
  int rc = alloc_tz(a, name ? name : "", keep, &tz, &trans, &offs);
  if (rc) return rc;
  prev = first;
  keep = 0;
  for (uint32_t i = 0; i < v.ntime; i++) {
    int32_t o = type_off(&v, v.idx[i]);
    if (o != prev || i + 1 == v.ntime) {
      trans[keep] = time_at(&v, i);
      offs[keep++] = o;
    }
    prev = o;
  }
  tz->first_off = first;
  tz->has_rule = v.has_rule;
  tz->rule = v.rule;
  *out = tz;
  return 0;
}

static int fixed_zone(const char *name, int32_t off, const fixgw_allocator_t *a,
                      fixgw_tz_t **out) {
  fixgw_tz_t *tz;
  int64_t *trans;
  int32_t *offs;
  int rc = alloc_tz(a, name, 0, &tz, &trans, &offs);
  if (rc) return rc;
  tz->first_off = off;
  tz->has_rule = true;
  tz->rule.std_off = off;
  *out = tz;
  return 0;
}

/* "+H", "-HH", "+HH:MM" after "UTC": ISO 8601 signs. */
static int fixed_offset(const char *s, int32_t *off) {
  int32_t sign = *s++ == '-' ? -1 : 1, h, m = 0;
  cursor_t c = {s, s + strlen(s)};
  if (number(&c, 2, &h) || h > 24) return FIXGW_EINVAL;
  if (at(&c, ':')) {
    c.p++;
    if (c.end - c.p != 2 || number(&c, 2, &m) || m > 59) return FIXGW_EINVAL;
  }
  if (c.p != c.end) return FIXGW_EINVAL;
  *off = sign * (h * 3600 + m * 60);
  return 0;
}

static bool name_ok(const char *name) {
  if (name[0] == '/' || strstr(name, "..")) return false;
  for (const char *p = name; *p; p++) {
    char ch = *p;
    if (!(is_alpha(ch) || is_digit(ch) || ch == '_' || ch == '+' || ch == '-' || ch == '/'))
      return false;
  }
  return true;
}

static int read_file(const char *path, const fixgw_allocator_t *a, unsigned char **buf,
                     size_t *len) {
  /* O_NONBLOCK: a FIFO planted under the zone directory must not hang the
   * caller in open(); it is refused below as not a regular file. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return FIXGW_ETZ;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
      (uint64_t)st.st_size > FIXGW_TZ_MAX_FILE) {
    close(fd);
    return FIXGW_ETZ;
  }
  size_t cap = (size_t)st.st_size, n = 0;
  unsigned char *b = fixgw__alloc(a, cap ? cap : 1);
  if (!b) {
    close(fd);
    return FIXGW_ENOMEM;
  }
  while (n < cap) {
    ssize_t r = read(fd, b + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      close(fd);
      fixgw__free(a, b);
      return FIXGW_ETZ;
    }
    if (r == 0) break; /* shrank since fstat: parse what is there */
    n += (size_t)r;
  }
  close(fd);
  *buf = b;
  *len = n;
  return 0;
}

int fixgw_tz_load(const char *name, const fixgw_allocator_t *a, fixgw_tz_t **out) {
  if (!out) return FIXGW_EINVAL;
  *out = NULL;
  if (!name) return FIXGW_EINVAL;
  size_t n = strnlen(name, FIXGW_TZ_MAX_NAME + 1);
  if (n == 0 || n > FIXGW_TZ_MAX_NAME) return FIXGW_EINVAL;
  if (!strcmp(name, "UTC") || !strcmp(name, "GMT") || !strcmp(name, "Z"))
    return fixed_zone(name, 0, a, out);
  if (!strncmp(name, "UTC", 3) && (name[3] == '+' || name[3] == '-')) {
    int32_t off;
    if (fixed_offset(name + 3, &off)) return FIXGW_EINVAL;
    return fixed_zone(name, off, a, out);
  }
  if (!name_ok(name)) return FIXGW_EINVAL;

  char path[4096];
  if (!strcmp(name, "localtime")) {
    /* The machine's zone. Without /etc/localtime the C library runs in
     * UTC, and so does QuickFIX's UseLocalTime: match it. */
    strcpy(path, "/etc/localtime");
    if (access(path, F_OK) != 0 && errno == ENOENT) return fixed_zone(name, 0, a, out);
  } else {
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir) dir = "/usr/share/zoneinfo";
    int w = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (w < 0 || (size_t)w >= sizeof path) return FIXGW_ETZ;
  }
  unsigned char *buf;
  size_t len;
  int rc = read_file(path, a, &buf, &len);
  if (rc) return rc;
  rc = fixgw_tz_parse_tzif(buf, len, name, a, out);
  fixgw__free(a, buf);
  return rc;
}

void fixgw_tz_free(fixgw_tz_t *tz) {
  if (!tz) return;
  fixgw_allocator_t a = tz->alloc; /* lives inside the block being freed */
  fixgw__free(&a, tz);
}

const char *fixgw_tz_name(const fixgw_tz_t *tz) { return tz ? tz->name : "UTC"; }
