/* The line buffer of the file log (log_internal.h): the producer formats
 * a whole line straight into the ring, so the consumer only ever sees
 * complete lines and writes them with one writev. */
#define _GNU_SOURCE
#include <string.h>

#include "fixgw/codec.h"
#include "log_internal.h"

static void copy_in(lbuf_t *b, uint64_t pos, const char *src, size_t n) {
  size_t off = (size_t)(pos & (b->cap - 1));
  size_t first = (size_t)b->cap - off;
  if (first > n) first = n;
  memcpy(b->mem + off, src, first);
  if (n > first) memcpy(b->mem, src + first, n - first);
}

/* Decimal digits of v at out; returns how many (at most 20). */
static size_t put_u64(char *out, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

static size_t put_str(char *out, const char *s) {
  size_t n = strlen(s);
  memcpy(out, s, n);
  return n;
}

/* Relaxed: the counters are statistics, written only by this side; the
 * plain read is of our own last store. */
static inline void bump(uint64_t *c) { __atomic_store_n(c, *c + 1, __ATOMIC_RELAXED); }

bool fixgw__lbuf_mark_room(const lbuf_t *b) {
  /* Acquire: pairs with the consumer's release of mtail, so the slot we
   * reuse is no longer being read. */
  return b->mhead - __atomic_load_n(&b->mtail, __ATOMIC_ACQUIRE) < LBUF_MARKS;
}

static void mark_push(lbuf_t *b, uint64_t pos, int64_t day, bool force) {
  lbuf_mark_t *m = &b->marks[b->mhead % LBUF_MARKS];
  m->pos = pos;
  m->day = day;
  m->force = force;
  /* Release: the mark's fields before the index that publishes them. */
  __atomic_store_n(&b->mhead, b->mhead + 1, __ATOMIC_RELEASE);
}

static void put2(char *o, unsigned v) {
  o[0] = (char)('0' + v / 10);
  o[1] = (char)('0' + v % 10);
}

/* "YYYYMMDD-HH:MM:SS.nnnnnnnnn" for utc_ns on day (its day number). The
 * date part is the codec's, cached per day (producer-only state): the
 * civil-date arithmetic would otherwise be most of a line's cost. */
static void stamp(lbuf_t *b, int64_t utc_ns, int64_t day, char *ts) {
  const int64_t dns = 86400000000000ll;
  if (utc_ns < 0) { /* the cache keeps to days from 1970 on */
    if (fixgw_timestamp_format(utc_ns, FIXGW_TS_NANOS, ts, LBUF_TS_LEN + 1) != (int)LBUF_TS_LEN)
      memset(ts, '?', LBUF_TS_LEN);
    return;
  }
  if (day != b->p_date_day) {
    char full[LBUF_TS_LEN + 1];
    if (fixgw_timestamp_format(day * dns, FIXGW_TS_NANOS, full, sizeof full) != (int)LBUF_TS_LEN)
      memset(full, '?', sizeof full);
    memcpy(b->p_date, full, 9);
    b->p_date_day = day;
  }
  memcpy(ts, b->p_date, 9);
  uint64_t tod = (uint64_t)(utc_ns - day * dns);
  uint64_t sec = tod / 1000000000u;
  uint32_t ns = (uint32_t)(tod % 1000000000u);
  put2(ts + 9, (unsigned)(sec / 3600));
  ts[11] = ':';
  put2(ts + 12, (unsigned)(sec / 60 % 60));
  ts[14] = ':';
  put2(ts + 15, (unsigned)(sec % 60));
  ts[17] = '.';
  for (int i = 26; i >= 18; i--) {
    ts[i] = (char)('0' + ns % 10);
    ns /= 10;
  }
}

int fixgw__lbuf_put(lbuf_t *b, int64_t utc_ns, const char *text, size_t len) {
  char ts[LBUF_TS_LEN + 8];
  int64_t day = fixgw__log_day(utc_ns);
  stamp(b, utc_ns, day, ts);
  size_t keep = len;
  char cut[64];
  size_t ncut = 0;
  if (len > b->max_line) {
    keep = b->max_line;
    ncut = put_str(cut, " [fixgw log: cut from ");
    ncut += put_u64(cut + ncut, len);
    ncut += put_str(cut + ncut, " bytes]");
  }
  char note[LBUF_TS_LEN + 80];
  size_t nnote = 0;
  if (b->p_pending_drop) {
    memcpy(note, ts, LBUF_TS_LEN);
    nnote = LBUF_TS_LEN;
    nnote += put_str(note + nnote, " : fixgw log: ");
    nnote += put_u64(note + nnote, b->p_pending_drop);
    nnote += put_str(note + nnote, " lines dropped (buffer full)\n");
  }
  uint64_t need = nnote + LBUF_TS_LEN + 3 + keep + ncut + 1;
  /* Acquire: pairs with the consumer's release of tail; the bytes below
   * it are written out and may be overwritten. */
  uint64_t tail = __atomic_load_n(&b->tail, __ATOMIC_ACQUIRE);
  if (need > b->cap - (b->p_head - tail)) {
    b->p_pending_drop++;
    bump(&b->dropped);
    return FIXGW_EFULL;
  }
  uint64_t pos = b->p_head;
  if (nnote) {
    copy_in(b, pos, note, nnote);
    pos += nnote;
    b->p_pending_drop = 0;
  }
  /* A day change without a free mark slot is marked at a later line (the
   * consumer then rotates a little late, never early). */
  if (day != b->p_day && fixgw__lbuf_mark_room(b)) {
    mark_push(b, pos, day, false);
    b->p_day = day;
  }
  copy_in(b, pos, ts, LBUF_TS_LEN);
  pos += LBUF_TS_LEN;
  copy_in(b, pos, " : ", 3);
  pos += 3;
  if (keep) copy_in(b, pos, text, keep);
  pos += keep;
  if (ncut) {
    copy_in(b, pos, cut, ncut);
    pos += ncut;
    bump(&b->truncated);
  }
  copy_in(b, pos, "\n", 1);
  pos += 1;
  b->p_head = pos;
  /* Release: the line's bytes (and any mark) before the position that
   * hands them to the consumer. */
  __atomic_store_n(&b->head, pos, __ATOMIC_RELEASE);
  bump(&b->lines);
  return 0;
}

int fixgw__lbuf_mark_rotate(lbuf_t *b) {
  if (!fixgw__lbuf_mark_room(b)) return FIXGW_EFULL;
  mark_push(b, b->p_head, LBUF_DAY_NONE, true);
  return 0;
}

void fixgw__lbuf_span(const lbuf_t *b, uint64_t from, uint64_t to, lbuf_span_t *s) {
  size_t off = (size_t)(from & (b->cap - 1));
  size_t n = (size_t)(to - from);
  size_t first = (size_t)b->cap - off;
  if (first > n) first = n;
  s->p[0] = b->mem + off;
  s->n[0] = first;
  s->p[1] = b->mem;
  s->n[1] = n - first;
}

uint64_t fixgw__lbuf_last_nl(const lbuf_t *b, uint64_t from, uint64_t to) {
  lbuf_span_t s;
  fixgw__lbuf_span(b, from, to, &s);
  for (int i = 1; i >= 0; i--) {
    if (!s.n[i]) continue;
    const char *q = memrchr(s.p[i], '\n', s.n[i]);
    if (q) return from + (uint64_t)(i ? s.n[0] : 0) + (uint64_t)(q - s.p[i]) + 1;
  }
  return from;
}

uint64_t fixgw__lbuf_first_nl(const lbuf_t *b, uint64_t from, uint64_t to) {
  lbuf_span_t s;
  fixgw__lbuf_span(b, from, to, &s);
  for (int i = 0; i < 2; i++) {
    if (!s.n[i]) continue;
    const char *q = memchr(s.p[i], '\n', s.n[i]);
    if (q) return from + (uint64_t)(i ? s.n[0] : 0) + (uint64_t)(q - s.p[i]) + 1;
  }
  return to;
}
