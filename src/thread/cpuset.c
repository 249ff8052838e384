/* CPU sets as plain bitmaps, and the kernel's list syntax ("0-3,5"). */
#include <string.h>

#include "fixgw/thread.h"

void fixgw_cpuset_zero(fixgw_cpuset_t *s) { memset(s, 0, sizeof *s); }

int fixgw_cpuset_add(fixgw_cpuset_t *s, int cpu) {
  if (cpu < 0 || cpu >= FIXGW_CPU_MAX) return FIXGW_ERANGE;
  s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
  return 0;
}

void fixgw_cpuset_del(fixgw_cpuset_t *s, int cpu) {
  if (cpu < 0 || cpu >= FIXGW_CPU_MAX) return;
  s->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}

int fixgw_cpuset_has(const fixgw_cpuset_t *s, int cpu) {
  if (cpu < 0 || cpu >= FIXGW_CPU_MAX) return 0;
  return (int)((s->bits[cpu / 64] >> (cpu % 64)) & 1u);
}

int fixgw_cpuset_count(const fixgw_cpuset_t *s) {
  int n = 0;
  for (int i = 0; i < FIXGW_CPUSET_WORDS; i++) n += __builtin_popcountll(s->bits[i]);
  return n;
}

int fixgw_cpuset_next(const fixgw_cpuset_t *s, int from) {
  if (from < 0) from = 0;
  for (int w = from / 64; w < FIXGW_CPUSET_WORDS; w++) {
    uint64_t word = s->bits[w];
    if (w == from / 64) word &= ~UINT64_C(0) << (from % 64);
    if (word) return w * 64 + __builtin_ctzll(word);
  }
  return -1;
}

int fixgw_cpuset_equal(const fixgw_cpuset_t *a, const fixgw_cpuset_t *b) {
  return memcmp(a->bits, b->bits, sizeof a->bits) == 0;
}

/* Reads a decimal CPU number at *p; FIXGW_EFORMAT if there is no digit,
 * FIXGW_ERANGE if it is >= FIXGW_CPU_MAX (checked per digit, so a long run
 * of digits cannot overflow). */
static int parse_cpu(const char **p, const char *end, int *out) {
  const char *q = *p;
  long v = 0;
  if (q == end || *q < '0' || *q > '9') return FIXGW_EFORMAT;
  while (q < end && *q >= '0' && *q <= '9') {
    v = v * 10 + (*q - '0');
    if (v >= FIXGW_CPU_MAX) return FIXGW_ERANGE;
    q++;
  }
  *p = q;
  *out = (int)v;
  return 0;
}

int fixgw_cpuset_parse(fixgw_cpuset_t *s, const char *list, size_t len) {
  if (!s || (!list && len)) return FIXGW_EINVAL;
  const char *p = list, *end = list + len;
  /* The kernel ends its files with '\n'; tolerate trailing blanks only. */
  while (end > p && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t' ||
                     end[-1] == '\r'))
    end--;
  fixgw_cpuset_t tmp;
  fixgw_cpuset_zero(&tmp);
  while (p < end) {
    int lo, hi, rc;
    if ((rc = parse_cpu(&p, end, &lo)) != 0) return rc;
    hi = lo;
    if (p < end && *p == '-') {
      p++;
      if ((rc = parse_cpu(&p, end, &hi)) != 0) return rc;
      if (hi < lo) return FIXGW_EFORMAT;
    }
    for (int c = lo; c <= hi; c++) fixgw_cpuset_add(&tmp, c);
    if (p < end) {
      if (*p != ',') return FIXGW_EFORMAT;
      p++;
      if (p == end) return FIXGW_EFORMAT; /* trailing comma */
    }
  }
  *s = tmp;
  return 0;
}

/* Appends s to buf at *pos without passing cap - 1 (room for the NUL). */
static int put(char *buf, size_t cap, size_t *pos, const char *s) {
  size_t n = strlen(s);
  if (*pos + n >= cap) {
    size_t room = cap - 1 - *pos;
    memcpy(buf + *pos, s, room);
    *pos += room;
    buf[*pos] = 0;
    return FIXGW_ENOSPC;
  }
  memcpy(buf + *pos, s, n + 1);
  *pos += n;
  return 0;
}

static void itoa_dec(int v, char *out) {
  char tmp[12];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = 0;
}

int fixgw_cpuset_format(const fixgw_cpuset_t *s, char *buf, size_t cap) {
  if (!s || !buf || cap == 0) return FIXGW_EINVAL;
  size_t pos = 0;
  buf[0] = 0;
  int first = 1;
  for (int c = fixgw_cpuset_next(s, 0); c >= 0;) {
    int hi = c;
    while (fixgw_cpuset_has(s, hi + 1)) hi++;
    char num[32];
    int rc;
    if (!first && (rc = put(buf, cap, &pos, ",")) != 0) return rc;
    itoa_dec(c, num);
    if ((rc = put(buf, cap, &pos, num)) != 0) return rc;
    if (hi > c) {
      num[0] = '-';
      itoa_dec(hi, num + 1);
      if ((rc = put(buf, cap, &pos, num)) != 0) return rc;
    }
    first = 0;
    c = fixgw_cpuset_next(s, hi + 1);
  }
  return 0;
}
