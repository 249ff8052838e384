/* Session schedules and time zones: QuickFIX's TimeRange semantics,
 * next_change exactness, DST in New York and London checked against
 * glibc, POSIX footers, and hostile TZif input. */
#define _DEFAULT_SOURCE /* setenv, tm_gmtoff, mkdtemp */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#include "fixgw/codec.h"
#include "fixgw/session.h"
#include "fixgw/tz.h"

int fixgw_t_tz_from_cxx(void);

#define NS 1000000000LL
#define H 3600
#define ZONEINFO "/usr/share/zoneinfo"

/* ------------------------------------------------------------- helpers */

static int64_t utc(int y, int mo, int d, int h, int mi, int s) {
  return fixgw_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
}
static int32_t tod(int h, int m, int s) { return h * 3600 + m * 60 + s; }

static fixgw_schedule_t sched(int32_t st, int32_t et, int sd, int ed, const fixgw_tz_t *tz) {
  fixgw_schedule_t sc;
  memset(&sc, 0, sizeof sc);
  sc.enabled = true;
  sc.start_time = st;
  sc.end_time = et;
  sc.start_day = (int8_t)sd;
  sc.end_day = (int8_t)ed;
  sc.tz = tz;
  return sc;
}

static bool in_s(const fixgw_schedule_t *sc, int64_t s) {
  return fixgw_schedule_in_session(sc, s * NS);
}
static int64_t ps_s(const fixgw_schedule_t *sc, int64_t s) {
  return fixgw_schedule_period_start(sc, s * NS) / NS;
}
static int64_t nc_s(const fixgw_schedule_t *sc, int64_t s) {
  return fixgw_schedule_next_change(sc, s * NS) / NS;
}

/* An allocator that counts what is live and fails the nth call. */
typedef struct counting {
  long live;
  long calls;
  long fail_at; /* -1: never */
} counting_t;

static void *c_alloc(size_t n, void *u) {
  counting_t *c = u;
  if (c->calls++ == c->fail_at) return NULL;
  void *p = malloc(n);
  if (p) c->live++;
  return p;
}
static void c_free(void *p, void *u) {
  counting_t *c = u;
  c->live--;
  free(p);
}
static fixgw_allocator_t counting_alloc(counting_t *c) {
  c->live = 0;
  c->calls = 0;
  c->fail_at = -1;
  return (fixgw_allocator_t){c_alloc, c_free, c};
}

static unsigned char *slurp(const char *path, size_t *len) {
  *len = 0; /* on every path: gcc -O3 cannot see that callers skip on NULL */
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *b = malloc(1 << 20);
  assert_non_null(b);
  *len = fread(b, 1, 1 << 20, f);
  fclose(f);
  return b;
}

static fixgw_tz_t *load(const char *name) {
  fixgw_tz_t *tz = NULL;
  int rc = fixgw_tz_load(name, NULL, &tz);
  if (rc != 0) fail_msg("fixgw_tz_load(%s): %s", name, fixgw_err_name(rc));
  return tz;
}

static bool have_zone(const char *name) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", ZONEINFO, name);
  return access(p, R_OK) == 0 && getenv("TZDIR") == NULL;
}

/* glibc's view of the offset at t in the zone TZ names. */
static long glibc_off(int64_t t) {
  time_t tt = (time_t)t;
  struct tm tm;
  if (!localtime_r(&tt, &tm)) fail_msg("localtime_r");
  return tm.tm_gmtoff;
}

static void glibc_zone(const char *tz) {
  setenv("TZ", tz, 1);
  tzset();
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* ------------------------------------------------- synthetic TZif files */

static unsigned char *put32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
  return p + 4;
}
static unsigned char *put64(unsigned char *p, int64_t v) {
  p = put32(p, (uint32_t)((uint64_t)v >> 32));
  return put32(p, (uint32_t)(uint64_t)v);
}

typedef struct tzif_spec {
  char version; /* 0, '2', '3' */
  uint32_t ntrans;
  const int64_t *trans;
  const uint8_t *idx;
  uint32_t ntypes;
  const int32_t *offs;
  const char *footer; /* v2+: the TZ string (without newlines) */
} tzif_spec_t;

static unsigned char *header(unsigned char *p, char version, uint32_t nt, uint32_t ntypes) {
  memcpy(p, "TZif", 4);
  p[4] = (unsigned char)version;
  memset(p + 5, 0, 15);
  p += 20;
  p = put32(p, 0);      /* isutcnt */
  p = put32(p, 0);      /* isstdcnt */
  p = put32(p, 0);      /* leapcnt */
  p = put32(p, nt);     /* timecnt */
  p = put32(p, ntypes); /* typecnt */
  return put32(p, 4);   /* charcnt */
}

static unsigned char *block(unsigned char *p, const tzif_spec_t *s, int tsz) {
  for (uint32_t i = 0; i < s->ntrans; i++)
    p = tsz == 8 ? put64(p, s->trans[i]) : put32(p, (uint32_t)(int32_t)s->trans[i]);
  for (uint32_t i = 0; i < s->ntrans; i++) *p++ = s->idx[i];
  for (uint32_t t = 0; t < s->ntypes; t++) {
    p = put32(p, (uint32_t)s->offs[t]);
    *p++ = 0;
    *p++ = 0;
  }
  memcpy(p, "XYZ", 4);
  return p + 4;
}

/* Writes the file into buf (big enough) and returns its length. */
static size_t build_tzif(unsigned char *buf, const tzif_spec_t *s) {
  unsigned char *p = header(buf, s->version, s->ntrans, s->ntypes);
  p = block(p, s, 4);
  if (s->version == 0) return (size_t)(p - buf);
  p = header(p, s->version, s->ntrans, s->ntypes);
  p = block(p, s, 8);
  size_t n = strlen(s->footer);
  *p++ = '\n';
  memcpy(p, s->footer, n);
  p += n;
  *p++ = '\n';
  return (size_t)(p - buf);
}

/* A zone that is nothing but a POSIX TZ string, as a slim file for a zone
 * without history would be. */
static fixgw_tz_t *footer_zone(const char *footer) {
  static const int32_t off0[1] = {0};
  unsigned char buf[512];
  tzif_spec_t s = {'2', 0, NULL, NULL, 1, off0, footer};
  size_t n = build_tzif(buf, &s);
  fixgw_tz_t *tz = NULL;
  int rc = fixgw_tz_parse_tzif(buf, n, footer, NULL, &tz);
  if (rc) fail_msg("footer %s: %s", footer, fixgw_err_name(rc));
  return tz;
}

/* --------------------------------------------------- reference: QuickFIX */

/* QuickFIX's TimeRange::isInRange on local (time-of-day, weekday), with
 * its constructor's rule that a same-day weekly range with end > start
 * is the whole week. */
static bool qf_daily(int32_t st, int32_t et, int32_t t) {
  if (st < et) return t >= st && t <= et;
  return t >= st || t <= et;
}
static bool qf_in(const fixgw_schedule_t *sc, int64_t ts) {
  int64_t l = ts + fixgw_tz_offset(sc->tz, ts);
  int64_t day = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
  int32_t t = (int32_t)(l - day * 86400);
  int wd = (int)(((day + 4) % 7 + 7) % 7);
  int32_t st = sc->start_time, et = sc->end_time;
  int sd = sc->start_day, ed = sc->end_day;
  if (sd < 0) return qf_daily(st, et, t);
  if (sd == ed && et > st) et = st;
  if (sd == ed) return wd != sd || qf_daily(st, et, t);
  if (sd < ed) {
    if (wd < sd || wd > ed) return false;
  } else if (wd < sd && wd > ed) {
    return false;
  }
  if (wd == sd && t < st) return false;
  if (wd == ed && t > et) return false;
  return true;
}

/* Steps from `from` for `span` seconds by `by`, checking at each step:
 * next_change is in the future, in_session holds until just before it,
 * something happens at it (in_session flips or a period begins), and the
 * prediction stays the same until it is reached. With ref, in_session
 * must also agree with QuickFIX's reading at every step. */
static void walk(const fixgw_schedule_t *sc, int64_t from, int64_t span, int64_t by, bool ref) {
  int64_t pred = INT64_MIN;
  bool pred_state = false;
  int changes = 0;
  for (int64_t t = from; t < from + span; t += by) {
    int64_t tn = t * NS + (int64_t)(rnd() % NS); /* anywhere in the second */
    bool in = fixgw_schedule_in_session(sc, tn);
    int64_t nc = fixgw_schedule_next_change(sc, tn);
    if (ref && in != qf_in(sc, t))
      fail_msg("t=%lld: in_session %d, QuickFIX %d", (long long)t, in, !in);
    assert_true(nc > tn);
    assert_int_equal(nc % NS, 0);
    assert_true(fixgw_schedule_in_session(sc, nc - 1) == in);
    assert_true(fixgw_schedule_in_session(sc, t * NS) == in);
    bool flips = fixgw_schedule_in_session(sc, nc) != in;
    assert_true(flips || fixgw_schedule_period_start(sc, nc) == nc);
    int64_t p = fixgw_schedule_period_start(sc, tn);
    assert_true(p <= tn);
    if (in) assert_true(fixgw_schedule_in_session(sc, p));
    if (t * NS < pred) {
      assert_true(in == pred_state);
      assert_int_equal(nc, pred);
    } else {
      if (pred != INT64_MIN) changes++;
      pred = nc;
      pred_state = in;
    }
    if (ref && nc / NS - 1 > t) assert_true(qf_in(sc, nc / NS - 1) == in);
  }
  assert_true(changes > 0 || span < 14 * 86400);
}

/* ------------------------------------------------------------ schedules */

static void test_disabled_and_null(void **state) {
  (void)state;
  fixgw_schedule_t sc = sched(tod(9, 0, 0), tod(17, 0, 0), -1, -1, NULL);
  sc.enabled = false;
  for (int64_t t = -3 * NS; t < 100000 * NS; t += 7777 * NS) {
    assert_true(fixgw_schedule_in_session(&sc, t));
    assert_true(fixgw_schedule_period_start(&sc, t) == INT64_MIN);
    assert_true(fixgw_schedule_next_change(&sc, t) == INT64_MAX);
    assert_true(fixgw_schedule_in_session(NULL, t));
    assert_true(fixgw_schedule_period_start(NULL, t) == INT64_MIN);
    assert_true(fixgw_schedule_next_change(NULL, t) == INT64_MAX);
  }
  assert_int_equal(fixgw_tz_offset(NULL, 123456789), 0);
  assert_string_equal(fixgw_tz_name(NULL), "UTC");
}

static void test_check(void **state) {
  (void)state;
  fixgw_schedule_t ok = sched(0, 86399, -1, -1, NULL);
  assert_int_equal(fixgw_schedule_check(&ok), 0);
  assert_int_equal(fixgw_schedule_check(NULL), FIXGW_EINVAL);
  struct {
    int32_t st, et;
    int sd, ed;
    int want;
  } cases[] = {
      {0, 0, -1, -1, 0},       {86399, 0, 0, 6, 0},       {0, 0, 6, 0, 0},
      {-1, 0, -1, -1, -1},     {86400, 0, -1, -1, -1},    {0, -1, -1, -1, -1},
      {0, 86400, -1, -1, -1},  {0, 0, 7, 1, -1},          {0, 0, 1, 7, -1},
      {0, 0, -2, -2, -1},      {0, 0, -1, 3, -1},         {0, 0, 3, -1, -1},
      {0, 0, 127, 0, -1},      {INT32_MIN, 0, -1, -1, -1}, {0, INT32_MAX, -1, -1, -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fixgw_schedule_t sc = sched(cases[i].st, cases[i].et, cases[i].sd, cases[i].ed, NULL);
    int want = cases[i].want ? FIXGW_EINVAL : 0;
    if (fixgw_schedule_check(&sc) != want) fail_msg("case %zu", i);
    if (want) {
      /* Out of range is never undefined: it reads as always in session. */
      assert_true(fixgw_schedule_in_session(&sc, 5 * NS));
      assert_true(fixgw_schedule_next_change(&sc, 5 * NS) == INT64_MAX);
      sc.enabled = false;
      assert_int_equal(fixgw_schedule_check(&sc), 0); /* fields unused */
    }
  }
}

static void test_utc_daily(void **state) {
  (void)state;
  fixgw_tz_t *u = load("UTC");
  const fixgw_tz_t *zones[2] = {NULL, u};
  for (int z = 0; z < 2; z++) {
    fixgw_schedule_t sc = sched(tod(8, 0, 0), tod(17, 0, 0), -1, -1, zones[z]);
    int64_t d = utc(2026, 1, 5, 0, 0, 0);
    assert_false(in_s(&sc, d + tod(7, 59, 59)));
    assert_false(fixgw_schedule_in_session(&sc, (d + tod(8, 0, 0)) * NS - 1));
    assert_true(in_s(&sc, d + tod(8, 0, 0)));
    assert_true(in_s(&sc, d + tod(12, 0, 0)));
    assert_true(in_s(&sc, d + tod(17, 0, 0)));
    /* QuickFIX's end is inclusive at second resolution. */
    assert_true(fixgw_schedule_in_session(&sc, (d + tod(17, 0, 1)) * NS - 1));
    assert_false(in_s(&sc, d + tod(17, 0, 1)));
    assert_int_equal(ps_s(&sc, d + tod(12, 0, 0)), d + tod(8, 0, 0));
    assert_int_equal(ps_s(&sc, d + tod(7, 0, 0)), d - 86400 + tod(8, 0, 0));
    assert_int_equal(ps_s(&sc, d + tod(20, 0, 0)), d + tod(8, 0, 0));
    assert_int_equal(nc_s(&sc, d + tod(7, 0, 0)), d + tod(8, 0, 0));
    assert_int_equal(nc_s(&sc, d + tod(12, 0, 0)), d + tod(17, 0, 1));
    assert_int_equal(nc_s(&sc, d + tod(17, 0, 0)), d + tod(17, 0, 1));
    assert_int_equal(nc_s(&sc, d + tod(17, 0, 1)), d + 86400 + tod(8, 0, 0));
    assert_int_equal(nc_s(&sc, d + tod(20, 0, 0)), d + 86400 + tod(8, 0, 0));
    /* next_change is strictly later even from the very instant of a change */
    assert_true(fixgw_schedule_next_change(&sc, (d + tod(8, 0, 0)) * NS) == (d + tod(17, 0, 1)) * NS);
    walk(&sc, d - 86400, 9 * 86400, 60, true);
  }
  /* Before 1970 as well (floor division of negative instants). */
  fixgw_schedule_t sc = sched(tod(8, 0, 0), tod(17, 0, 0), -1, -1, NULL);
  int64_t d = utc(1969, 12, 31, 0, 0, 0);
  assert_true(fixgw_schedule_in_session(&sc, (d + tod(8, 0, 0)) * NS + 5));
  assert_false(fixgw_schedule_in_session(&sc, (d + tod(8, 0, 0)) * NS - 5));
  assert_int_equal(ps_s(&sc, d + tod(9, 0, 0)), d + tod(8, 0, 0));
  fixgw_tz_free(u);
}

static void test_daily_across_midnight(void **state) {
  (void)state;
  fixgw_schedule_t sc = sched(tod(22, 0, 0), tod(6, 0, 0), -1, -1, NULL);
  int64_t d = utc(2026, 2, 10, 0, 0, 0);
  assert_true(in_s(&sc, d + tod(23, 0, 0)));
  assert_int_equal(ps_s(&sc, d + tod(23, 0, 0)), d + tod(22, 0, 0));
  assert_true(in_s(&sc, d + 86400 + tod(3, 0, 0)));
  assert_int_equal(ps_s(&sc, d + 86400 + tod(3, 0, 0)), d + tod(22, 0, 0));
  assert_true(in_s(&sc, d + 86400 + tod(6, 0, 0)));
  assert_false(in_s(&sc, d + 86400 + tod(6, 0, 1)));
  assert_int_equal(nc_s(&sc, d + 86400 + tod(3, 0, 0)), d + 86400 + tod(6, 0, 1));
  assert_int_equal(nc_s(&sc, d + tod(10, 0, 0)), d + tod(22, 0, 0));
  assert_int_equal(ps_s(&sc, d + tod(10, 0, 0)), d - 86400 + tod(22, 0, 0));
  assert_false(in_s(&sc, d + tod(21, 59, 59)));
  walk(&sc, d, 8 * 86400, 60, true);
}

static void test_daily_24h(void **state) {
  (void)state;
  int64_t d = utc(2026, 4, 1, 0, 0, 0);
  fixgw_schedule_t sc = sched(tod(17, 0, 0), tod(17, 0, 0), -1, -1, NULL);
  for (int64_t t = d; t < d + 3 * 86400; t += 601) assert_true(in_s(&sc, t));
  assert_int_equal(ps_s(&sc, d + tod(16, 59, 59)), d - 86400 + tod(17, 0, 0));
  assert_int_equal(ps_s(&sc, d + tod(17, 0, 0)), d + tod(17, 0, 0));
  /* In session throughout, but a new period (a daily reset) begins: that
   * is what next_change reports, so the host wakes for it. */
  assert_int_equal(nc_s(&sc, d + tod(3, 0, 0)), d + tod(17, 0, 0));
  assert_int_equal(nc_s(&sc, d + tod(17, 0, 0)), d + 86400 + tod(17, 0, 0));
  walk(&sc, d, 8 * 86400, 60, true);

  /* 00:00:00 to 23:59:59 is also the whole day, reset at midnight. */
  sc = sched(0, tod(23, 59, 59), -1, -1, NULL);
  for (int64_t t = d; t < d + 3 * 86400; t += 601) assert_true(in_s(&sc, t));
  assert_int_equal(nc_s(&sc, d + 5), d + 86400);
  assert_int_equal(ps_s(&sc, d + 86399), d);
  walk(&sc, d, 8 * 86400, 60, true);
}

static void test_weekly(void **state) {
  (void)state;
  int64_t sun = utc(2026, 1, 4, 0, 0, 0); /* a Sunday */
  int64_t mon = sun + 86400, wed = sun + 3 * 86400, fri = sun + 5 * 86400, sat = sun + 6 * 86400;

  /* Monday 09:00 to Friday 17:00 */
  fixgw_schedule_t sc = sched(tod(9, 0, 0), tod(17, 0, 0), 1, 5, NULL);
  assert_false(in_s(&sc, sun + tod(12, 0, 0)));
  assert_false(in_s(&sc, mon + tod(8, 59, 59)));
  assert_true(in_s(&sc, mon + tod(9, 0, 0)));
  assert_true(in_s(&sc, wed + tod(3, 0, 0)));
  assert_true(in_s(&sc, fri + tod(17, 0, 0)));
  assert_false(in_s(&sc, fri + tod(17, 0, 1)));
  assert_false(in_s(&sc, sat + tod(12, 0, 0)));
  assert_int_equal(ps_s(&sc, wed), mon + tod(9, 0, 0));
  assert_int_equal(ps_s(&sc, sat), mon + tod(9, 0, 0));
  assert_int_equal(ps_s(&sc, mon + tod(8, 0, 0)), mon - 7 * 86400 + tod(9, 0, 0));
  assert_int_equal(nc_s(&sc, sat), mon + 7 * 86400 + tod(9, 0, 0));
  assert_int_equal(nc_s(&sc, wed), fri + tod(17, 0, 1));
  walk(&sc, sun - 86400, 22 * 86400, 60, true);

  /* Friday 17:00 to Sunday 17:00: wraps across the week's end. */
  sc = sched(tod(17, 0, 0), tod(17, 0, 0), 5, 0, NULL);
  assert_false(in_s(&sc, fri + tod(16, 59, 59)));
  assert_true(in_s(&sc, fri + tod(17, 0, 0)));
  assert_true(in_s(&sc, sat + tod(12, 0, 0)));
  assert_true(in_s(&sc, sat + 86400 + tod(17, 0, 0)));
  assert_false(in_s(&sc, sat + 86400 + tod(17, 0, 1)));
  assert_false(in_s(&sc, sat + 2 * 86400 + tod(12, 0, 0)));
  assert_int_equal(ps_s(&sc, sat + 86400 + tod(10, 0, 0)), fri + tod(17, 0, 0));
  assert_int_equal(ps_s(&sc, wed), fri - 7 * 86400 + tod(17, 0, 0));
  assert_int_equal(nc_s(&sc, sat), sat + 86400 + tod(17, 0, 1));
  walk(&sc, sun - 86400, 22 * 86400, 60, true);

  /* Sunday 17:00 to Friday 17:00 (the FX week). */
  sc = sched(tod(17, 0, 0), tod(17, 0, 0), 0, 5, NULL);
  assert_true(in_s(&sc, wed));
  assert_false(in_s(&sc, sat));
  assert_int_equal(ps_s(&sc, wed), sun + tod(17, 0, 0));
  walk(&sc, sun - 86400, 22 * 86400, 60, true);

  /* Same day, end before start: a week long, closed in between. */
  sc = sched(tod(18, 0, 0), tod(17, 0, 0), 0, 0, NULL);
  assert_true(in_s(&sc, wed));
  assert_true(in_s(&sc, sun + tod(17, 0, 0)));
  assert_false(in_s(&sc, sun + tod(17, 0, 1)));
  assert_false(in_s(&sc, sun + tod(17, 59, 59)));
  assert_true(in_s(&sc, sun + tod(18, 0, 0)));
  assert_int_equal(ps_s(&sc, sun + tod(17, 30, 0)), sun - 7 * 86400 + tod(18, 0, 0));
  walk(&sc, sun - 86400, 22 * 86400, 60, true);

  /* Same day, end after start: QuickFIX makes it the whole week. */
  sc = sched(tod(9, 0, 0), tod(17, 0, 0), 1, 1, NULL);
  for (int64_t t = sun; t < sun + 14 * 86400; t += 997) assert_true(in_s(&sc, t));
  assert_int_equal(ps_s(&sc, sun), mon - 7 * 86400 + tod(9, 0, 0));
  assert_int_equal(nc_s(&sc, sun), mon + tod(9, 0, 0));
  walk(&sc, sun - 86400, 22 * 86400, 60, true);
}

/* Every start and end day (and daily), a few times each, against
 * QuickFIX's reading, minute by minute over three weeks. */
static void test_all_shapes_utc(void **state) {
  (void)state;
  static const int32_t times[] = {0, 1, 9 * H, 17 * H, 17 * H + 1, 86399};
  int64_t from = utc(2026, 6, 1, 0, 0, 0);
  for (int sd = -1; sd <= 6; sd++)
    for (int ed = (sd < 0 ? -1 : 0); ed <= (sd < 0 ? -1 : 6); ed++)
      for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j++) {
          fixgw_schedule_t sc = sched(times[i], times[j], sd, ed, NULL);
          walk(&sc, from, (sd < 0 ? 3 : 15) * 86400, sd < 0 ? 59 : 241, true);
        }
}

/* ------------------------------------------------------------------ DST */

/* fixgw_tz_offset against glibc, every half hour and the second before it
 * over 2020..2040 and in a few far years (the footer's territory). */
static void differential(const fixgw_tz_t *tz, const char *glibc_tz, bool full) {
  glibc_zone(glibc_tz);
  static const int years[][2] = {{2020, 2041}, {2024, 2028}, {2098, 2100}, {2399, 2400}};
  for (size_t k = full ? 0 : 1; k < 4; k++) {
    if (full && k == 1) continue;
    int64_t a = utc(years[k][0], 1, 1, 0, 0, 0), b = utc(years[k][1], 1, 1, 0, 0, 0);
    for (int64_t t = a; t < b; t += 1800) {
      for (int64_t u = t - 1; u <= t; u++) {
        long g = glibc_off(u);
        int32_t f = fixgw_tz_offset(tz, u);
        if (f != g)
          fail_msg("%s at %lld: fixgw %d, glibc %ld", glibc_tz, (long long)u, f, g);
      }
    }
  }
}

static void test_glibc_differential(void **state) {
  (void)state;
  static const char *zones[] = {"America/New_York", "Europe/London", "Asia/Tokyo",
                                "Australia/Sydney", "Australia/Lord_Howe", "Asia/Tehran",
                                "America/Sao_Paulo", "Pacific/Chatham", "Asia/Kolkata",
                                "Europe/Dublin", "Africa/Casablanca", "America/Nuuk"};
  int done = 0;
  for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
    if (!have_zone(zones[i])) continue;
    fixgw_tz_t *tz = load(zones[i]);
    assert_string_equal(fixgw_tz_name(tz), zones[i]);
    differential(tz, zones[i], i < 2);
    fixgw_tz_free(tz);
    done++;
  }
  if (done == 0) skip();
}

static void test_2026_transitions(void **state) {
  (void)state;
  if (!have_zone("America/New_York") || !have_zone("Europe/London")) skip();
  fixgw_tz_t *ny = load("America/New_York"), *ldn = load("Europe/London");
  /* US: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST */
  int64_t us1 = utc(2026, 3, 8, 7, 0, 0), us2 = utc(2026, 11, 1, 6, 0, 0);
  assert_int_equal(fixgw_tz_offset(ny, us1 - 1), -5 * H);
  assert_int_equal(fixgw_tz_offset(ny, us1), -4 * H);
  assert_int_equal(fixgw_tz_offset(ny, us2 - 1), -4 * H);
  assert_int_equal(fixgw_tz_offset(ny, us2), -5 * H);
  /* UK: 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT */
  int64_t uk1 = utc(2026, 3, 29, 1, 0, 0), uk2 = utc(2026, 10, 25, 1, 0, 0);
  assert_int_equal(fixgw_tz_offset(ldn, uk1 - 1), 0);
  assert_int_equal(fixgw_tz_offset(ldn, uk1), H);
  assert_int_equal(fixgw_tz_offset(ldn, uk2 - 1), H);
  assert_int_equal(fixgw_tz_offset(ldn, uk2), 0);

  /* Start in the spring gap: 02:30 does not exist on 2026-03-08, so the
   * period starts when the clock jumps, 03:00 EDT. */
  fixgw_schedule_t sc = sched(tod(2, 30, 0), tod(20, 0, 0), -1, -1, ny);
  assert_int_equal(ps_s(&sc, utc(2026, 3, 8, 12, 0, 0)), us1);
  assert_false(in_s(&sc, us1 - 1));
  assert_true(in_s(&sc, us1));
  assert_int_equal(nc_s(&sc, us1 - 3600), us1);
  assert_int_equal(ps_s(&sc, utc(2026, 3, 7, 12, 0, 0)), utc(2026, 3, 7, 7, 30, 0));
  assert_int_equal(ps_s(&sc, utc(2026, 3, 9, 12, 0, 0)), utc(2026, 3, 9, 6, 30, 0));
  walk(&sc, utc(2026, 3, 1, 0, 0, 0), 15 * 86400, 60, false);

  /* End in the gap: out at the jump, not an hour later. */
  sc = sched(tod(20, 0, 0), tod(2, 30, 0), -1, -1, ny);
  assert_true(in_s(&sc, us1 - 1));
  assert_false(in_s(&sc, us1));
  assert_int_equal(nc_s(&sc, us1 - 3600), us1);
  walk(&sc, utc(2026, 3, 1, 0, 0, 0), 15 * 86400, 60, false);

  /* Start in the autumn overlap: the first 01:30 (EDT). */
  sc = sched(tod(1, 30, 0), tod(12, 0, 0), -1, -1, ny);
  assert_int_equal(ps_s(&sc, utc(2026, 11, 1, 10, 0, 0)), utc(2026, 11, 1, 5, 30, 0));
  assert_false(in_s(&sc, utc(2026, 11, 1, 5, 29, 59)));
  assert_true(in_s(&sc, utc(2026, 11, 1, 5, 30, 0)));
  walk(&sc, utc(2026, 10, 25, 0, 0, 0), 15 * 86400, 60, false);

  /* End in the overlap: after the first 01:30, and no reopening when the
   * clock reads 01:xx again in EST. */
  sc = sched(tod(9, 0, 0), tod(1, 30, 0), -1, -1, ny);
  assert_true(in_s(&sc, utc(2026, 11, 1, 5, 30, 0)));
  assert_false(in_s(&sc, utc(2026, 11, 1, 5, 30, 1)));
  assert_false(in_s(&sc, utc(2026, 11, 1, 6, 15, 0)));
  assert_false(in_s(&sc, utc(2026, 11, 1, 6, 30, 0)));
  assert_int_equal(nc_s(&sc, utc(2026, 11, 1, 5, 30, 1)), utc(2026, 11, 1, 14, 0, 0));
  walk(&sc, utc(2026, 10, 25, 0, 0, 0), 15 * 86400, 60, false);

  /* London: 01:30 is skipped on 2026-03-29 (start at 01:00 UTC) and
   * first occurs in BST on 2026-10-25 (00:30 UTC). */
  sc = sched(tod(1, 30, 0), tod(23, 0, 0), -1, -1, ldn);
  assert_int_equal(ps_s(&sc, utc(2026, 3, 29, 12, 0, 0)), uk1);
  assert_int_equal(ps_s(&sc, utc(2026, 10, 25, 12, 0, 0)), utc(2026, 10, 25, 0, 30, 0));
  walk(&sc, utc(2026, 3, 22, 0, 0, 0), 15 * 86400, 60, false);
  walk(&sc, utc(2026, 10, 18, 0, 0, 0), 15 * 86400, 60, false);

  /* A daily 17:00 New York reset: 22:00 UTC in winter, 21:00 in summer. */
  sc = sched(tod(17, 0, 0), tod(17, 0, 0), -1, -1, ny);
  assert_int_equal(ps_s(&sc, utc(2026, 3, 7, 23, 0, 0)), utc(2026, 3, 7, 22, 0, 0));
  assert_int_equal(nc_s(&sc, utc(2026, 3, 7, 23, 0, 0)), utc(2026, 3, 8, 21, 0, 0));
  assert_int_equal(nc_s(&sc, utc(2026, 10, 31, 23, 0, 0)), utc(2026, 11, 1, 22, 0, 0));

  /* Weekly in London across both 2026 changes, against QuickFIX's reading
   * (boundaries away from the changes, so the two must agree exactly). */
  static const int8_t days[][2] = {{0, 5}, {1, 5}, {5, 0}, {0, 0}, {-1, -1}};
  for (size_t i = 0; i < 5; i++) {
    fixgw_schedule_t w = sched(tod(7, 0, 0), tod(18, 30, 0), days[i][0], days[i][1], ldn);
    walk(&w, utc(2026, 3, 15, 0, 0, 0), 29 * 86400, 60, true);
    walk(&w, utc(2026, 10, 11, 0, 0, 0), 29 * 86400, 60, true);
    w.tz = ny;
    w.start_time = tod(17, 0, 0);
    w.end_time = tod(16, 59, 59);
    walk(&w, utc(2026, 2, 22, 0, 0, 0), 29 * 86400, 60, true);
    walk(&w, utc(2026, 10, 18, 0, 0, 0), 29 * 86400, 60, true);
  }

  /* Every boundary inside the transition hours, minute by minute around
   * both changes: exactness and consistency must hold whatever the wall
   * clock does. */
  const int32_t odd[] = {tod(1, 0, 0), tod(1, 30, 0), tod(1, 59, 59), tod(2, 0, 0),
                                tod(2, 30, 0), tod(2, 59, 59), tod(3, 0, 0)};
  for (size_t i = 0; i < 7; i++)
    for (size_t j = 0; j < 7; j++) {
      fixgw_schedule_t o = sched(odd[i], odd[j], -1, -1, ny);
      walk(&o, utc(2026, 3, 7, 0, 0, 0), 3 * 86400, 60, false);
      walk(&o, utc(2026, 10, 31, 0, 0, 0), 3 * 86400, 60, false);
      o.start_day = 0;
      o.end_day = 0;
      walk(&o, utc(2026, 3, 1, 0, 0, 0), 15 * 86400, 300, false);
      o.tz = ldn;
      walk(&o, utc(2026, 10, 18, 0, 0, 0), 15 * 86400, 300, false);
    }
  fixgw_tz_free(ny);
  fixgw_tz_free(ldn);
}

/* --------------------------------------------------------- POSIX footer */

static void test_footer_beyond_2037(void **state) {
  (void)state;
  if (!have_zone("America/New_York")) skip();
  fixgw_tz_t *ny = load("America/New_York");
  /* Fat files list transitions up to 2037; later years come from the
   * footer. 2040: second Sunday of March is the 11th, first of November
   * the 4th. */
  assert_int_equal(fixgw_tz_offset(ny, utc(2040, 3, 11, 6, 59, 59)), -5 * H);
  assert_int_equal(fixgw_tz_offset(ny, utc(2040, 3, 11, 7, 0, 0)), -4 * H);
  assert_int_equal(fixgw_tz_offset(ny, utc(2040, 11, 4, 5, 59, 59)), -4 * H);
  assert_int_equal(fixgw_tz_offset(ny, utc(2040, 11, 4, 6, 0, 0)), -5 * H);
  fixgw_schedule_t sc = sched(tod(17, 0, 0), tod(16, 0, 0), 0, 5, ny);
  walk(&sc, utc(2038, 1, 1, 0, 0, 0), 21 * 86400, 60, true);
  walk(&sc, utc(2045, 3, 1, 0, 0, 0), 21 * 86400, 60, true);
  walk(&sc, utc(2199, 10, 20, 0, 0, 0), 21 * 86400, 60, true);

  /* The rule alone (a slim file for a zone with no history) against the
   * transition table of the fat file, 2008..2037, hourly. */
  fixgw_tz_t *rule = footer_zone("EST5EDT,M3.2.0,M11.1.0");
  for (int64_t t = utc(2008, 1, 1, 0, 0, 0); t < utc(2038, 1, 1, 0, 0, 0); t += 3600)
    for (int64_t u = t - 1; u <= t; u++) assert_int_equal(fixgw_tz_offset(rule, u), fixgw_tz_offset(ny, u));
  fixgw_tz_free(rule);

  if (have_zone("Europe/London")) {
    fixgw_tz_t *ldn = load("Europe/London");
    rule = footer_zone("GMT0BST,M3.5.0/1,M10.5.0");
    for (int64_t t = utc(1997, 1, 1, 0, 0, 0); t < utc(2038, 1, 1, 0, 0, 0); t += 3600)
      for (int64_t u = t - 1; u <= t; u++)
        assert_int_equal(fixgw_tz_offset(rule, u), fixgw_tz_offset(ldn, u));
    fixgw_tz_free(rule);
    fixgw_tz_free(ldn);
  }

  /* A slim-style file: the real table cut after 2007, then the footer. */
  unsigned char *raw;
  size_t rawlen;
  raw = slurp(ZONEINFO "/America/New_York", &rawlen);
  assert_non_null(raw);
  fixgw_tz_free(ny);
  ny = NULL;
  assert_int_equal(fixgw_tz_parse_tzif(raw, rawlen, "ny", NULL, &ny), 0);
  int64_t cut = utc(2008, 1, 1, 0, 0, 0);
  int64_t tr[400];
  uint8_t idx[400];
  int32_t offs[2] = {-5 * H, -4 * H};
  uint32_t n = 0;
  for (int64_t t = utc(1970, 1, 1, 0, 0, 0); t < cut && n < 400; t += 3600)
    if (fixgw_tz_offset(ny, t) != fixgw_tz_offset(ny, t - 3600)) {
      /* transitions here fall on whole hours */
      tr[n] = t;
      idx[n++] = fixgw_tz_offset(ny, t) == -4 * H;
    }
  unsigned char *buf = malloc(16384);
  assert_non_null(buf);
  tzif_spec_t s = {'2', n, tr, idx, 2, offs, "EST5EDT,M3.2.0,M11.1.0"};
  size_t len = build_tzif(buf, &s);
  fixgw_tz_t *slim = NULL;
  assert_int_equal(fixgw_tz_parse_tzif(buf, len, "slim", NULL, &slim), 0);
  for (int64_t t = utc(1970, 1, 1, 0, 0, 0); t < utc(2045, 1, 1, 0, 0, 0); t += 1800)
    assert_int_equal(fixgw_tz_offset(slim, t), fixgw_tz_offset(ny, t));
  fixgw_tz_free(slim);

  /* Version 1 (no footer): the last offset holds after the last change. */
  s.version = 0;
  len = build_tzif(buf, &s);
  assert_int_equal(fixgw_tz_parse_tzif(buf, len, "v1", NULL, &slim), 0);
  for (int64_t t = utc(1970, 1, 1, 0, 0, 0); t < cut; t += 1800)
    assert_int_equal(fixgw_tz_offset(slim, t), fixgw_tz_offset(ny, t));
  assert_int_equal(fixgw_tz_offset(slim, utc(2030, 7, 1, 0, 0, 0)), -5 * H);
  fixgw_tz_free(slim);

  /* An empty footer: likewise. */
  s.version = '3';
  s.footer = "";
  len = build_tzif(buf, &s);
  assert_int_equal(fixgw_tz_parse_tzif(buf, len, "empty", NULL, &slim), 0);
  assert_int_equal(fixgw_tz_offset(slim, utc(2030, 7, 1, 0, 0, 0)), -5 * H);
  fixgw_tz_free(slim);
  free(buf);
  free(raw);
  fixgw_tz_free(ny);
}

/* Every rule form against glibc's own reading of the same TZ string. */
static void test_posix_rules(void **state) {
  (void)state;
  static const char *rules[] = {
      "EST5EDT,M3.2.0,M11.1.0",
      "GMT0BST,M3.5.0/1,M10.5.0",
      "CET-1CEST,M3.5.0,M10.5.0/3",
      "AEST-10AEDT,M10.1.0,M4.1.0/3",
      "NZST-12NZDT,M9.5.0,M4.1.0/3",
      "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
      "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
      "<+0330>-3:30",
      "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
      "IST-2IDT,M3.4.4/26,M10.5.0",
      "XXX3YYY,J60/2,J300/3",
      "XXX3YYY,59/2,299",
      "XXX3YYY,J1/3,J365/20",
      "XXX-5:30:15YYY-6:00:15,M2.5.6/12:34:56,M12.5.0/0",
      "HST10",
      "UTC0",
  };
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
    fixgw_tz_t *tz = footer_zone(rules[i]);
    differential(tz, rules[i], i < 2);
    fixgw_tz_free(tz);
  }
  /* No rule after the DST name: the US rules. */
  fixgw_tz_t *a = footer_zone("EST5EDT"), *b = footer_zone("EST5EDT,M3.2.0,M11.1.0");
  for (int64_t t = utc(2020, 1, 1, 0, 0, 0); t < utc(2030, 1, 1, 0, 0, 0); t += 1800)
    assert_int_equal(fixgw_tz_offset(a, t), fixgw_tz_offset(b, t));
  fixgw_tz_free(a);
  fixgw_tz_free(b);
  /* A year's DST end spilling into the next year: tzcode's reading (one
   * continuous sequence of changes), where glibc looks at each year alone. */
  a = footer_zone("XXX3YYY,J1/0,J365/23:59:59");
  assert_int_equal(fixgw_tz_offset(a, utc(2020, 1, 1, 1, 59, 58)), -2 * H);
  assert_int_equal(fixgw_tz_offset(a, utc(2020, 1, 1, 1, 59, 59)), -3 * H);
  assert_int_equal(fixgw_tz_offset(a, utc(2020, 1, 1, 2, 59, 59)), -3 * H);
  assert_int_equal(fixgw_tz_offset(a, utc(2020, 1, 1, 3, 0, 0)), -2 * H);
  fixgw_tz_free(a);
  /* DST all year ("0/0,J365/25", as zic writes it). */
  a = footer_zone("EST5EDT,0/0,J365/25");
  for (int64_t t = utc(2020, 1, 1, 0, 0, 0); t < utc(2030, 1, 1, 0, 0, 0); t += 1799)
    assert_int_equal(fixgw_tz_offset(a, t), -4 * H);
  fixgw_schedule_t sc = sched(tod(9, 0, 0), tod(17, 0, 0), -1, -1, a);
  assert_int_equal(ps_s(&sc, utc(2026, 1, 1, 14, 0, 0)), utc(2026, 1, 1, 13, 0, 0));
  fixgw_tz_free(a);
  glibc_zone("UTC0");
}

/* --------------------------------------------------------------- loading */

static void test_fixed_and_names(void **state) {
  (void)state;
  static const struct {
    const char *name;
    int32_t off;
  } fixed[] = {{"UTC", 0},          {"GMT", 0},           {"Z", 0},
               {"UTC+05:30", 19800}, {"UTC-4", -4 * H},    {"UTC+0", 0},
               {"UTC-09:30", -34200}, {"UTC+14", 14 * H},  {"UTC+24:59", 24 * H + 59 * 60}};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    fixgw_tz_t *tz = load(fixed[i].name);
    assert_string_equal(fixgw_tz_name(tz), fixed[i].name);
    for (int64_t t = -10 * 365 * 86400LL; t < 100LL * 365 * 86400; t += 86400 * 37 + 17)
      assert_int_equal(fixgw_tz_offset(tz, t), fixed[i].off);
    fixgw_schedule_t sc = sched(tod(9, 0, 0), tod(17, 0, 0), 1, 5, tz);
    walk(&sc, utc(2026, 1, 1, 0, 0, 0), 15 * 86400, 60, true);
    fixgw_tz_free(tz);
  }
  char longname[FIXGW_TZ_MAX_NAME + 2];
  memset(longname, 'A', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  static const char *invalid[] = {
      "", "../etc/passwd", "America/../../etc/passwd", "/etc/passwd", "America/New York",
      "..", "Europe/London\n", "UTC+", "UTC+25", "UTC+5:3", "UTC+05:60", "UTC+05:30x",
      "UTC++5", "UTC+123", "Asia/Tokyo;rm", "America\\New_York", "a..b", "%s%n",
  };
  fixgw_tz_t *tz = (fixgw_tz_t *)(uintptr_t)1;
  for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
    if (fixgw_tz_load(invalid[i], NULL, &tz) != FIXGW_EINVAL) fail_msg("%s", invalid[i]);
    assert_null(tz);
  }
  assert_int_equal(fixgw_tz_load(longname, NULL, &tz), FIXGW_EINVAL);
  assert_int_equal(fixgw_tz_load(NULL, NULL, &tz), FIXGW_EINVAL);
  assert_int_equal(fixgw_tz_load("UTC", NULL, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_tz_parse_tzif(NULL, 5, "x", NULL, &tz), FIXGW_EINVAL);
  assert_int_equal(fixgw_tz_parse_tzif("TZif", 4, "x", NULL, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_tz_parse_tzif(NULL, 0, "x", NULL, &tz), FIXGW_ETZ);
  if (getenv("TZDIR") == NULL) {
    static const char *unknown[] = {"Nowhere/Land", "America", "America/", "Mars"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
      if (fixgw_tz_load(unknown[i], NULL, &tz) != FIXGW_ETZ) fail_msg("%s", unknown[i]);
      assert_null(tz);
    }
    /* The machine's zone, against glibc reading the same file. */
    tz = load("localtime");
    assert_string_equal(fixgw_tz_name(tz), "localtime");
    if (access("/etc/localtime", R_OK) == 0) {
      glibc_zone(":/etc/localtime");
      for (int64_t t = utc(2020, 1, 1, 0, 0, 0); t < utc(2031, 1, 1, 0, 0, 0); t += 1800)
        assert_int_equal(fixgw_tz_offset(tz, t), glibc_off(t));
      glibc_zone("UTC0");
    }
    fixgw_tz_free(tz);
    if (access(ZONEINFO "/right/UTC", R_OK) == 0)
      assert_int_equal(fixgw_tz_load("right/UTC", NULL, &tz), FIXGW_ETZ);
    if (have_zone("Etc/GMT+5")) {
      /* A file name keeps the POSIX sign: Etc/GMT+5 is five hours behind. */
      tz = load("Etc/GMT+5");
      assert_int_equal(fixgw_tz_offset(tz, 1000000000), -5 * H);
      fixgw_tz_free(tz);
    }
  }
}

static void write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static void test_tzdir(void **state) {
  (void)state;
  size_t len;
  unsigned char *ny = slurp(ZONEINFO "/America/New_York", &len);
  if (!ny) skip();
  char *old = getenv("TZDIR") ? strdup(getenv("TZDIR")) : NULL;
  char dir[] = "/tmp/fixgw_tzdir_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char p[256];
  snprintf(p, sizeof p, "%s/Test", dir);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(p, sizeof p, "%s/Test/Zone", dir);
  write_file(p, ny, len);
  snprintf(p, sizeof p, "%s/Bad", dir);
  write_file(p, "TZif2 this is not a zone file at all, not at all.....", 52);
  snprintf(p, sizeof p, "%s/Big", dir);
  unsigned char *big = calloc(1, FIXGW_TZ_MAX_FILE + 1);
  assert_non_null(big);
  memcpy(big, ny, len);
  write_file(p, big, FIXGW_TZ_MAX_FILE + 1);
  snprintf(p, sizeof p, "%s/Empty", dir);
  write_file(p, "", 0);
  snprintf(p, sizeof p, "%s/Fifo", dir);
  assert_int_equal(mkfifo(p, 0600), 0);

  setenv("TZDIR", dir, 1);
  fixgw_tz_t *tz = NULL, *ref = NULL;
  assert_int_equal(fixgw_tz_load("Test/Zone", NULL, &tz), 0);
  assert_int_equal(fixgw_tz_parse_tzif(ny, len, "ref", NULL, &ref), 0);
  for (int64_t t = utc(2020, 1, 1, 0, 0, 0); t < utc(2030, 1, 1, 0, 0, 0); t += 1800)
    assert_int_equal(fixgw_tz_offset(tz, t), fixgw_tz_offset(ref, t));
  fixgw_tz_free(tz);
  fixgw_tz_free(ref);
  static const char *bad[] = {"Bad", "Big", "Empty", "Fifo", "Test", "America/New_York"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (fixgw_tz_load(bad[i], NULL, &tz) != FIXGW_ETZ) fail_msg("%s", bad[i]);
    assert_null(tz);
  }
  setenv("TZDIR", "", 1); /* empty: the default directory */
  if (access(ZONEINFO "/Europe/London", R_OK) == 0) {
    assert_int_equal(fixgw_tz_load("Europe/London", NULL, &tz), 0);
    fixgw_tz_free(tz);
  }
  if (old) {
    setenv("TZDIR", old, 1);
    free(old);
  } else {
    unsetenv("TZDIR");
  }
  static const char *files[] = {"Test/Zone", "Test", "Bad", "Big", "Empty", "Fifo"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    assert_int_equal(remove(p), 0);
  }
  assert_int_equal(rmdir(dir), 0);
  free(big);
  free(ny);
}

static void test_failing_allocator(void **state) {
  (void)state;
  static const char *names[] = {"America/New_York", "UTC+05:30", "UTC"};
  for (size_t i = 0; i < 3; i++) {
    if (i == 0 && !have_zone(names[i])) continue;
    counting_t c;
    fixgw_allocator_t a = counting_alloc(&c);
    for (long k = 0;; k++) {
      c.calls = 0;
      c.fail_at = k;
      fixgw_tz_t *tz = NULL;
      int rc = fixgw_tz_load(names[i], &a, &tz);
      if (rc == 0) {
        assert_true(c.live == 1); /* the zone, in one block */
        assert_int_equal(fixgw_tz_offset(tz, 0), i == 1 ? 19800 : (i == 0 ? -5 * H : 0));
        fixgw_tz_free(tz);
        assert_int_equal(c.live, 0);
        assert_true(k >= 1);
        break;
      }
      assert_int_equal(rc, FIXGW_ENOMEM);
      assert_null(tz);
      assert_int_equal(c.live, 0);
      assert_true(k < 10);
    }
  }
  /* From bytes: one allocation. */
  fixgw_tz_t *tz = footer_zone("EST5EDT,M3.2.0,M11.1.0");
  fixgw_tz_free(tz);
  counting_t c;
  fixgw_allocator_t a = counting_alloc(&c);
  static const int32_t off0[1] = {0};
  unsigned char buf[256];
  tzif_spec_t s = {'2', 0, NULL, NULL, 1, off0, "CET-1CEST,M3.5.0,M10.5.0/3"};
  size_t n = build_tzif(buf, &s);
  c.fail_at = 0;
  assert_int_equal(fixgw_tz_parse_tzif(buf, n, "x", &a, &tz), FIXGW_ENOMEM);
  assert_null(tz);
  c.fail_at = -1;
  assert_int_equal(fixgw_tz_parse_tzif(buf, n, "x", &a, &tz), 0);
  assert_int_equal(c.live, 1);
  fixgw_tz_free(tz);
  assert_int_equal(c.live, 0);
}

/* -------------------------------------------------------- hostile input */

static void parse_expect(const void *data, size_t len, int want, const char *what) {
  fixgw_guard_t g;
  char *p = fixgw_guard_copy(&g, data, len);
  counting_t c;
  fixgw_allocator_t a = counting_alloc(&c);
  fixgw_tz_t *tz = (fixgw_tz_t *)(uintptr_t)1;
  int rc = fixgw_tz_parse_tzif(p, len, "t", &a, &tz);
  if (rc != want) fail_msg("%s (len %zu): %s, want %s", what, len, fixgw_err_name(rc), fixgw_err_name(want));
  if (rc == 0) {
    fixgw_schedule_t sc = sched(tod(9, 0, 0), tod(17, 0, 0), 1, 5, tz);
    for (int64_t t = -4000000000LL; t < 8000000000LL; t += 99999999) {
      (void)fixgw_tz_offset(tz, t);
      assert_true(fixgw_schedule_next_change(&sc, t * NS) > t * NS);
    }
    fixgw_tz_free(tz);
  } else {
    assert_null(tz);
  }
  assert_int_equal(c.live, 0);
  fixgw_guard_free(&g);
}

static void test_truncation(void **state) {
  (void)state;
  static const char *zones[] = {"America/New_York", "Europe/London", "Asia/Tokyo", "UTC"};
  int done = 0;
  for (size_t z = 0; z < 4; z++) {
    char path[256];
    snprintf(path, sizeof path, ZONEINFO "/%s", zones[z]);
    size_t len;
    unsigned char *raw = slurp(path, &len);
    if (!raw) continue;
    for (size_t n = 0; n < len; n++) parse_expect(raw, n, FIXGW_ETZ, zones[z]);
    parse_expect(raw, len, 0, zones[z]);
    free(raw);
    done++;
  }
  if (done == 0) skip();
}

static void test_garbage_and_mutations(void **state) {
  (void)state;
  unsigned char buf[4096] = {0};
  for (size_t len = 0; len < sizeof buf; len += 37) {
    for (size_t i = 0; i < len; i++) buf[i] = (unsigned char)rnd();
    parse_expect(buf, len, FIXGW_ETZ, "garbage");
    if (len >= 5) {
      memcpy(buf, "TZif2", 5);
      fixgw_guard_t g;
      char *p = fixgw_guard_copy(&g, buf, len);
      fixgw_tz_t *tz = NULL;
      int rc = fixgw_tz_parse_tzif(p, len, "g", NULL, &tz);
      assert_true(rc == FIXGW_ETZ || rc == 0);
      fixgw_tz_free(tz);
      fixgw_guard_free(&g);
    }
  }
  size_t len;
  unsigned char *raw = slurp(ZONEINFO "/Europe/London", &len);
  if (!raw) skip();
  unsigned char *m = malloc(len);
  assert_non_null(m);
  for (size_t i = 0; i < len; i++) {
    memcpy(m, raw, len);
    m[i] ^= (unsigned char)(1u << (rnd() % 8));
    fixgw_guard_t g;
    char *p = fixgw_guard_copy(&g, m, len);
    counting_t c;
    fixgw_allocator_t a = counting_alloc(&c);
    fixgw_tz_t *tz = NULL;
    int rc = fixgw_tz_parse_tzif(p, len, "m", &a, &tz);
    assert_true(rc == FIXGW_ETZ || rc == 0);
    if (rc == 0) {
      fixgw_schedule_t sc = sched(tod(1, 30, 0), tod(1, 0, 0), -1, -1, tz);
      for (int64_t t = -3000000000LL; t < 5000000000LL; t += 123456789) {
        int64_t nc = fixgw_schedule_next_change(&sc, t * NS);
        assert_true(nc > t * NS);
      }
      fixgw_tz_free(tz);
    }
    assert_int_equal(c.live, 0);
    fixgw_guard_free(&g);
  }
  free(m);
  free(raw);
}

static void test_malformed(void **state) {
  (void)state;
  static const int64_t tr[3] = {100, 200, 300};
  static const uint8_t idx[3] = {1, 0, 1};
  static const int32_t offs[2] = {0, 3600};
  unsigned char good[512], b[512];
  tzif_spec_t s = {'2', 3, tr, idx, 2, offs, "XXX0YYY,M3.5.0/1,M10.5.0"};
  size_t n = build_tzif(good, &s);
  parse_expect(good, n, 0, "good");
  size_t v1 = 44 + 3 * 5 + 2 * 6 + 4; /* offset of the second header */
  size_t t2 = v1 + 44;                /* 64-bit times */

#define MUT(what, stmt)                      \
  do {                                       \
    memcpy(b, good, n);                      \
    size_t bl = n;                           \
    stmt;                                    \
    parse_expect(b, bl, FIXGW_ETZ, what);    \
  } while (0)

  MUT("magic", b[3] = 'g');
  MUT("magic 2", b[v1 + 1] = 'X');
  MUT("version", b[4] = '1');
  MUT("version 2 not 2+", b[v1 + 4] = 0);
  MUT("version control char", b[4] = 0x7f);
  MUT("huge timecnt", put32(b + 32, 0xFFFFFFFFu));
  MUT("huge typecnt", put32(b + 36, 0xFFFFFFFFu));
  MUT("huge charcnt", put32(b + 40, 0xFFFFFFFFu));
  MUT("huge leapcnt", put32(b + 28, 0x7FFFFFFFu));
  MUT("huge isutcnt", put32(b + 20, 0xFFFFFFFFu));
  MUT("huge timecnt 2", put32(b + v1 + 32, 0x40000000u));
  MUT("huge typecnt 2", put32(b + v1 + 36, 0x2AAAAAABu));
  MUT("typecnt 0", (put32(b + v1 + 36, 0), bl = n));
  MUT("charcnt 0 (shifted)", put32(b + v1 + 40, 0));
  MUT("timecnt grows", put32(b + v1 + 32, 4));
  MUT("type index", b[t2 + 24 + 1] = 2);
  MUT("unsorted", put64(b + t2 + 8, 50));
  MUT("equal times", put64(b + t2 + 8, 100));
  MUT("utoff too big", put32(b + t2 + 27 + 6, 93600));
  MUT("utoff too small", put32(b + t2 + 27, (uint32_t)-93600));
  MUT("utoff INT32_MIN", put32(b + t2 + 27, 0x80000000u));
  MUT("isdst 2", b[t2 + 27 + 4] = 2);
  MUT("desigidx", b[t2 + 27 + 5] = 4);
  MUT("isstdcnt", put32(b + v1 + 24, 1));
  MUT("leapcnt", put32(b + v1 + 28, 1));
  MUT("no footer", bl = t2 + 27 + 12 + 4);
  MUT("footer without newline", b[t2 + 27 + 12 + 4] = 'X');
  MUT("footer unterminated", bl = n - 1);

  static const char *footers[] = {
      "X", "EST", "EST5EDT,", "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,", "EST5EDT,M3.2.0,M11.1.0x",
      "EST5EDT,M13.2.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0",
      "EST5EDT,M0.2.0,M11.1.0", "EST5EDT,J0,J365", "EST5EDT,J366,J1", "EST5EDT,366,1",
      "EST25", "EST123", "EST5:60", "EST5:00:60", "EST5EDT25,M3.2.0,M11.1.0",
      "EST5EDT,M3.2.0/168,M11.1.0", "EST5EDT,M3.2.0/,M11.1.0", "<A>5", "<ABC5", "ES5",
      "EST5ED", "EST5EDT,M3.2.0 M11.1.0", "EST 5", "5EST", "<+0330>-3:30x", "EST+",
      "EST-25", "EST5EDT-1000,M3.2.0,M11.1.0", "EST5EDT,M3..0,M11.1.0",
  };
  for (size_t i = 0; i < sizeof footers / sizeof footers[0]; i++) {
    tzif_spec_t f = s;
    f.footer = footers[i];
    size_t fl = build_tzif(b, &f);
    parse_expect(b, fl, FIXGW_ETZ, footers[i]);
  }
  /* Trailing bytes after the footer are ignored (newer writers may add). */
  memcpy(b, good, n);
  memcpy(b + n, "extra", 5);
  parse_expect(b, n + 5, 0, "trailing");

  /* More than FIXGW_TZ_MAX_FILE, even if well-formed up front. */
  unsigned char *huge = calloc(1, FIXGW_TZ_MAX_FILE + 1);
  assert_non_null(huge);
  memcpy(huge, good, n);
  parse_expect(huge, FIXGW_TZ_MAX_FILE + 1, FIXGW_ETZ, "huge");
  parse_expect(huge, FIXGW_TZ_MAX_FILE, 0, "at the limit");
  free(huge);

  /* Large but honest counts within the limit parse, and evaluation stays
   * quick: 50000 transitions an hour apart. */
  static int64_t many[50000];
  static uint8_t mi[50000];
  for (uint32_t i = 0; i < 50000; i++) {
    many[i] = 1700000000 + 3600LL * i;
    mi[i] = (uint8_t)(i & 1);
  }
  tzif_spec_t big = {'2', 50000, many, mi, 2, offs, ""};
  unsigned char *bb = malloc(1 << 20);
  assert_non_null(bb);
  size_t bn = build_tzif(bb, &big);
  fixgw_tz_t *tz = NULL;
  assert_int_equal(fixgw_tz_parse_tzif(bb, bn, "many", NULL, &tz), 0);
  assert_int_equal(fixgw_tz_offset(tz, 1700000000 + 3600LL * 7 + 5), 3600);
  assert_int_equal(fixgw_tz_offset(tz, 1700000000 + 3600LL * 8 + 5), 0);
  fixgw_schedule_t sc = sched(tod(9, 0, 0), tod(17, 0, 0), -1, -1, tz);
  walk(&sc, 1700000000 + 86400, 5 * 86400, 60, false);
  fixgw_tz_free(tz);
  free(bb);
}

static void test_extremes(void **state) {
  (void)state;
  fixgw_tz_t *ny = have_zone("America/New_York") ? load("America/New_York") : NULL;
  static const int64_t ts[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX};
  static const int8_t days[][2] = {{-1, -1}, {1, 5}, {5, 0}, {3, 3}};
  for (size_t d = 0; d < 4; d++)
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
      fixgw_schedule_t sc = sched(tod(22, 0, 0), tod(21, 0, 0), days[d][0], days[d][1], ny);
      (void)fixgw_schedule_in_session(&sc, ts[i]);
      int64_t p = fixgw_schedule_period_start(&sc, ts[i]);
      int64_t nc = fixgw_schedule_next_change(&sc, ts[i]);
      assert_true(p <= ts[i]);
      assert_true(nc > ts[i] || nc == INT64_MAX);
    }
  /* fixgw_tz_offset takes any int64: the rule folds into one 400-year
   * cycle, so the far past and future cost no overflow and keep the rule. */
  fixgw_tz_t *r = footer_zone("EST5EDT,M3.2.0,M11.1.0");
  static const int64_t far[] = {INT64_MIN, INT64_MIN + 1, -(1LL << 62), (1LL << 62), INT64_MAX - 1,
                                INT64_MAX};
  for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
    int32_t o = fixgw_tz_offset(r, far[i]);
    assert_true(o == -5 * H || o == -4 * H);
    if (ny) {
      o = fixgw_tz_offset(ny, far[i]);
      assert_true(o >= -6 * H && o <= -4 * H);
    }
  }
  const int64_t cyc = 146097LL * 86400;
  for (int64_t t = utc(2026, 1, 1, 0, 0, 0); t < utc(2027, 1, 1, 0, 0, 0); t += 3599)
    assert_int_equal(fixgw_tz_offset(r, t + 1000 * cyc), fixgw_tz_offset(r, t));
  fixgw_tz_free(r);
  fixgw_tz_free(ny);
}

static void test_cxx(void **state) {
  (void)state;
  assert_int_equal(fixgw_t_tz_from_cxx(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_disabled_and_null),
      cmocka_unit_test(test_check),
      cmocka_unit_test(test_utc_daily),
      cmocka_unit_test(test_daily_across_midnight),
      cmocka_unit_test(test_daily_24h),
      cmocka_unit_test(test_weekly),
      cmocka_unit_test(test_all_shapes_utc),
      cmocka_unit_test(test_glibc_differential),
      cmocka_unit_test(test_2026_transitions),
      cmocka_unit_test(test_footer_beyond_2037),
      cmocka_unit_test(test_posix_rules),
      cmocka_unit_test(test_fixed_and_names),
      cmocka_unit_test(test_tzdir),
      cmocka_unit_test(test_failing_allocator),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_garbage_and_mutations),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_extremes),
      cmocka_unit_test(test_cxx),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
