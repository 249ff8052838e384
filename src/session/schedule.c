/*
 * Session schedules (QuickFIX's StartTime/EndTime/StartDay/EndDay/
 * TimeZone) and time zone evaluation. Pure: no IO, no clock, no allocation.
 *
 * Model. A schedule is a sequence of periods, one per local start date D
 * (every day, or every start_day): period D is in session over the UTC
 * half-open interval [S(D), X(D)), where S(D) is the instant of D's
 * start_time and X(D) the instant one second after the end_time that
 * closes it. Everything works in whole seconds, so the end second itself
 * is inside (QuickFIX's inclusive end) and every change falls on a second.
 * Periods never overlap (X(D) <= S(next D)); when they touch, the session
 * never closes but a new period still begins (24-hour schedules).
 *
 * Wall clock to UTC: a local time T maps to the first instant at which
 * the zone's clock reads T or later. A time skipped by a forward change
 * therefore maps to the instant of the change (a 02:30 start on the US
 * spring-forward day starts at 03:00 EDT); a time that occurs twice maps
 * to its first occurrence, for starts and ends alike, so a session ending
 * at 01:30 on the fall-back day ends at 01:30 EDT and does not reopen at
 * 01:30 EST. The map is monotonic, which keeps periods ordered.
 */
#include <stdbool.h>
#include <stdint.h>

#include "fixgw/codec.h"
#include "fixgw/session.h"
#include "tz_internal.h"

#define DAY 86400
#define NS 1000000000LL

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* 0 = Sunday; day 0 (1970-01-01) was a Thursday. */
static int weekday(int64_t days) {
  int64_t w = (days + 4) % 7;
  return (int)(w < 0 ? w + 7 : w);
}

/* ------------------------------------------------------------ POSIX rules */

static bool leap_year(int32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* The local day (days since 1970-01-01) a rule date falls on in year y. */
static int64_t rule_day(const fixgw__tz_rdate_t *r, int32_t y) {
  int64_t jan1 = fixgw_days_from_civil(y, 1, 1);
  switch (r->kind) {
  case FIXGW__TZ_JULIAN1:
    return jan1 + r->yday - 1 + (leap_year(y) && r->yday >= 60);
  case FIXGW__TZ_JULIAN0:
    return jan1 + r->yday;
  default: {
    int64_t first = fixgw_days_from_civil(y, r->month, 1);
    int64_t next = r->month == 12 ? fixgw_days_from_civil(y + 1, 1, 1)
                                  : fixgw_days_from_civil(y, r->month + 1u, 1);
    int64_t d = first + (r->wday - weekday(first) + 7) % 7 + 7 * (r->week - 1);
    while (d >= next) d -= 7; /* week 5 means the last one */
    return d;
  }
  }
}

/* The UTC instants DST begins and ends in year y. */
static int64_t rule_start(const fixgw__tz_rule_t *r, int32_t y) {
  return rule_day(&r->start, y) * DAY + r->start.time - r->std_off;
}
static int64_t rule_end(const fixgw__tz_rule_t *r, int32_t y) {
  return rule_day(&r->end, y) * DAY + r->end.time - r->dst_off;
}

static int32_t rule_year(const fixgw__tz_rule_t *r, int64_t u) {
  fixgw_date_t d;
  fixgw_civil_from_days(floor_div(u + r->std_off, DAY), &d);
  return d.year;
}

/* The Gregorian calendar, weekdays included, repeats every 400 years
 * (146097 days, a whole number of weeks), and so does a rule: folding an
 * instant into [0, CYCLE) keeps the date arithmetic far from overflow for
 * any int64 input. */
#define CYCLE (146097LL * DAY)

static int64_t fold(int64_t u) {
  int64_t r = u % CYCLE;
  return r < 0 ? r + CYCLE : r;
}

/* Rather than reasoning about hemispheres and rule times that spill into
 * the neighbouring year, take the latest change at or before u among the
 * years around it. On a tie the start wins: "0/0,J365/25" means DST all
 * year (one year's end is the next one's start). */
static int32_t rule_offset(const fixgw__tz_rule_t *r, int64_t u) {
  if (!r->has_dst) return r->std_off;
  u = fold(u);
  int32_t y = rule_year(r, u);
  int64_t best = INT64_MIN;
  bool dst = false;
  for (int32_t k = y - 2; k <= y + 1; k++) {
    int64_t e = rule_end(r, k), s = rule_start(r, k);
    if (e <= u && e > best) {
      best = e;
      dst = false;
    }
    if (s <= u && s >= best) {
      best = s;
      dst = true;
    }
  }
  return dst ? r->dst_off : r->std_off;
}

static int64_t rule_next(const fixgw__tz_rule_t *r, int64_t u) {
  if (!r->has_dst) return INT64_MAX;
  int64_t f = fold(u);
  int32_t y = rule_year(r, f);
  int64_t best = INT64_MAX;
  for (int32_t k = y - 1; k <= y + 2; k++) {
    int64_t e = rule_end(r, k), s = rule_start(r, k);
    if (e > f && e < best) best = e;
    if (s > f && s < best) best = s;
  }
  /* Back from the folded frame by the (positive) distance, which cannot
   * overflow downwards. */
  int64_t delta = best - f;
  return u > 0 && delta > INT64_MAX - u ? INT64_MAX : u + delta;
}

/* -------------------------------------------------------------- zones */

/* Index of the last transition <= u; the caller ensures trans[0] <= u. */
static uint32_t last_at_or_before(const fixgw_tz_t *tz, int64_t u) {
  uint32_t lo = 0, hi = tz->ntrans; /* trans[lo] <= u < trans[hi] */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (tz->trans[mid] <= u)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

int32_t fixgw_tz_offset(const fixgw_tz_t *tz, int64_t utc_s) {
  if (!tz) return 0;
  uint32_t n = tz->ntrans;
  if (n > 0 && utc_s < tz->trans[0]) return tz->first_off;
  if (n > 0 && utc_s < tz->trans[n - 1]) return tz->trans_off[last_at_or_before(tz, utc_s)];
  if (tz->has_rule) return rule_offset(&tz->rule, utc_s);
  return n > 0 ? tz->trans_off[n - 1] : tz->first_off;
}

/* The first instant after u at which the offset may change. */
static int64_t tz_next(const fixgw_tz_t *tz, int64_t u) {
  if (!tz) return INT64_MAX;
  uint32_t n = tz->ntrans;
  if (n > 0 && u < tz->trans[0]) return tz->trans[0];
  if (n > 0 && u < tz->trans[n - 1]) return tz->trans[last_at_or_before(tz, u) + 1];
  return tz->has_rule ? rule_next(&tz->rule, u) : INT64_MAX;
}

/* The first UTC instant whose local time is >= local (see the top). No
 * instant before local - MAX_OFF can qualify, so walk the constant-offset
 * pieces from there: on each, the clock reads t + o, so the earliest
 * qualifying t is local - o, if the piece still lasts then. */
static int64_t local_to_utc(const fixgw_tz_t *tz, int64_t local) {
  int64_t p = local - FIXGW__TZ_MAX_OFF - 1;
  for (;;) {
    int64_t q = tz_next(tz, p);
    int64_t c = local - fixgw_tz_offset(tz, p);
    if (c < p) c = p;
    if (c < q) return c;
    p = q;
  }
}

/* ---------------------------------------------------------- schedules */

int fixgw_schedule_check(const fixgw_schedule_t *sc) {
  if (!sc) return FIXGW_EINVAL;
  if (!sc->enabled) return 0; /* nothing else is read */
  if (sc->start_time < 0 || sc->start_time >= DAY || sc->end_time < 0 || sc->end_time >= DAY)
    return FIXGW_EINVAL;
  bool daily = sc->start_day == -1 && sc->end_day == -1;
  bool weekly = sc->start_day >= 0 && sc->start_day <= 6 && sc->end_day >= 0 && sc->end_day <= 6;
  return daily || weekly ? 0 : FIXGW_EINVAL;
}

static bool active(const fixgw_schedule_t *sc) {
  return sc && sc->enabled && fixgw_schedule_check(sc) == 0;
}

static int64_t step(const fixgw_schedule_t *sc) { return sc->start_day < 0 ? 1 : 7; }

static int64_t period_begin(const fixgw_schedule_t *sc, int64_t d) {
  return local_to_utc(sc->tz, d * DAY + sc->start_time);
}

/* X(D): the first instant out of period D (or the next period's start). */
static int64_t period_end(const fixgw_schedule_t *sc, int64_t d) {
  int64_t days;
  if (sc->start_day < 0) {
    if (sc->end_time == sc->start_time) return period_begin(sc, d + 1);
    days = sc->end_time < sc->start_time;
  } else {
    days = (sc->end_day - sc->start_day + 7) % 7;
    if (days == 0) {
      /* QuickFIX: the same day with end >= start is the whole week. */
      if (sc->end_time >= sc->start_time) return period_begin(sc, d + 7);
      days = 7;
    }
  }
  return local_to_utc(sc->tz, (d + days) * DAY + sc->end_time + 1);
}

/* The latest start date D with S(D) <= t. Starts a little above the local
 * date of t and steps down; S is monotonic, so this ends in a few steps
 * (the upward loop only runs for zones with day-sized offset jumps). */
static int64_t period_of(const fixgw_schedule_t *sc, int64_t t) {
  int64_t st = step(sc);
  int64_t d = floor_div(t + fixgw_tz_offset(sc->tz, t), DAY) + 2;
  if (st == 7) d += (sc->start_day - weekday(d) + 7) % 7;
  while (period_begin(sc, d) <= t) d += st;
  do d -= st;
  while (period_begin(sc, d) > t);
  return d;
}

static int64_t to_ns(int64_t s) {
  if (s > INT64_MAX / NS) return INT64_MAX;
  if (s < INT64_MIN / NS) return INT64_MIN;
  return s * NS;
}

bool fixgw_schedule_in_session(const fixgw_schedule_t *sc, int64_t utc_ns) {
  if (!active(sc)) return true;
  int64_t t = floor_div(utc_ns, NS);
  return t < period_end(sc, period_of(sc, t));
}

int64_t fixgw_schedule_period_start(const fixgw_schedule_t *sc, int64_t utc_ns) {
  if (!active(sc)) return INT64_MIN;
  int64_t t = floor_div(utc_ns, NS);
  return to_ns(period_begin(sc, period_of(sc, t)));
}

int64_t fixgw_schedule_next_change(const fixgw_schedule_t *sc, int64_t utc_ns) {
  if (!active(sc)) return INT64_MAX;
  int64_t t = floor_div(utc_ns, NS);
  int64_t d = period_of(sc, t);
  int64_t x = period_end(sc, d);
  return to_ns(t < x ? x : period_begin(sc, d + step(sc)));
}
