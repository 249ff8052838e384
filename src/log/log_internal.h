/* The file log's line buffer: a single-producer single-consumer byte ring
 * of whole lines, and a small queue of marks (day changes, rotation
 * requests) at positions in the byte stream. The producer is the log's
 * writer thread, the consumer whoever holds the flush lock. */
#ifndef FIXGW_LOG_INTERNAL_H
#define FIXGW_LOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/log.h"

#define LBUF_MARKS 8u
#define LBUF_TS_LEN 27u /* "YYYYMMDD-HH:MM:SS.nnnnnnnnn" */
#define LBUF_DAY_NONE INT64_MIN

typedef struct lbuf_mark {
  uint64_t pos;  /* stream position of the first line it applies to */
  int64_t day;   /* UTC day number of that line; LBUF_DAY_NONE for force */
  bool force;    /* rotate whatever the day */
} lbuf_mark_t;

typedef struct lbuf {
  char *mem;
  uint64_t cap; /* a power of two */
  size_t max_line;
  /* Producer only. */
  uint64_t p_head;      /* mirror of head */
  int64_t p_day;        /* day of the last line written */
  uint64_t p_pending_drop;
  int64_t p_date_day;   /* the day p_date holds */
  char p_date[9];       /* "YYYYMMDD-" of p_date_day */
  /* Shared, atomic builtins only. head: written by the producer (release:
   * publishes the bytes and marks before it), read by the consumer
   * (acquire). tail: written by the consumer once it no longer reads the
   * bytes below it (release), read by the producer (acquire) before it
   * reuses them. The marks queue follows the same two rules with mhead /
   * mtail. Each on its own cache line. */
  _Alignas(64) uint64_t head;
  uint32_t mhead;
  _Alignas(64) uint64_t tail;
  uint32_t mtail;
  _Alignas(64) lbuf_mark_t marks[LBUF_MARKS];
  /* Counters, written by one side, read by stats from any thread. */
  uint64_t lines, dropped, truncated;
} lbuf_t;

/* Producer: append "<ts> : text\n" (with a drop note first if lines were
 * dropped since the last one that fitted). 0 or FIXGW_EFULL. */
int fixgw__lbuf_put(lbuf_t *b, int64_t utc_ns, const char *text, size_t len);
/* Producer: a free slot in the marks queue. */
bool fixgw__lbuf_mark_room(const lbuf_t *b);
/* Producer: a forced rotation mark at the current position. 0, FIXGW_EFULL. */
int fixgw__lbuf_mark_rotate(lbuf_t *b);

/* Consumer view of bytes [from, to) as up to two spans. */
typedef struct lbuf_span {
  const char *p[2];
  size_t n[2];
} lbuf_span_t;
void fixgw__lbuf_span(const lbuf_t *b, uint64_t from, uint64_t to, lbuf_span_t *s);
/* Position just after the last '\n' in [from, to), or from if none. */
uint64_t fixgw__lbuf_last_nl(const lbuf_t *b, uint64_t from, uint64_t to);
/* Position just after the first '\n' in [from, to), or to if none. */
uint64_t fixgw__lbuf_first_nl(const lbuf_t *b, uint64_t from, uint64_t to);

/* UTC day number (floor) of utc_ns. */
static inline int64_t fixgw__log_day(int64_t utc_ns) {
  const int64_t d = 86400000000000ll;
  return utc_ns >= 0 ? utc_ns / d : -((-(utc_ns + 1)) / d) - 1;
}

#endif
