/* The private layout of fixgw_tz_t, shared by the loader (src/config/tz.c,
 * which may touch files) and the pure evaluation (src/session/schedule.c,
 * which may not). Not installed. */
#ifndef FIXGW_TZ_INTERNAL_H
#define FIXGW_TZ_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fixgw/common.h"

/* Largest |UTC offset| accepted, in seconds: RFC 8536 asks for utoff in
 * [-89999, 93599]; one bound for both signs keeps the evaluation's search
 * window symmetric. Also bounds POSIX footer offsets. */
#define FIXGW__TZ_MAX_OFF 93599

/* A POSIX TZ rule date: "Jn" (1..365, Feb 29 never counted), "n"
 * (0..365, Feb 29 counted) or "Mm.w.d" (weekday d of week w, 5 = last, of
 * month m), at `time` seconds after that local midnight (may be negative
 * or past 24 h: RFC 8536 version 3 allows -167..167 hours). */
enum { FIXGW__TZ_JULIAN1 = 1, FIXGW__TZ_JULIAN0 = 2, FIXGW__TZ_MWD = 3 };
typedef struct fixgw__tz_rdate {
  uint8_t kind;
  uint8_t month, week, wday; /* MWD */
  uint16_t yday;             /* JULIAN1 / JULIAN0 */
  int32_t time;
} fixgw__tz_rdate_t;

/* A POSIX TZ string, offsets already in the local = utc + off sense (the
 * opposite of how the string writes them). */
typedef struct fixgw__tz_rule {
  int32_t std_off;
  int32_t dst_off;
  bool has_dst;
  fixgw__tz_rdate_t start; /* DST begins; time is in standard local time */
  fixgw__tz_rdate_t end;   /* DST ends; time is in daylight local time */
} fixgw__tz_rule_t;

/* One allocation: this struct, then the arrays, then the name. */
struct fixgw_tz {
  fixgw_allocator_t alloc; /* copy of the creator's, for fixgw_tz_free */
  const char *name;
  const int64_t *trans;    /* UTC seconds, strictly ascending */
  const int32_t *trans_off; /* offset in force from trans[i] on */
  uint32_t ntrans;
  int32_t first_off;       /* before trans[0] (RFC 8536: time type 0) */
  /* After the last transition (or always, without transitions): the rule
   * when has_rule, else the last transition's offset (first_off if none). */
  bool has_rule;
  fixgw__tz_rule_t rule;
};

#endif
