/* Typed conversions: every type, edges, overflow, malformed values. Each
 * input is placed right before a guard page so a read past its end faults. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "codec_internal.h"
#include "fixgw/codec.h"
#include "harness.h"

/* Run conv on s copied to a guard page. */
#define GUARDED(call_with_p)                       \
  do {                                             \
    fixgw_guard_t g_;                              \
    const char *p = fixgw_guard_copy(&g_, s, n);   \
    rc = call_with_p;                              \
    fixgw_guard_free(&g_);                         \
  } while (0)

static void check_int(const char *s, int want_rc, int64_t want) {
  size_t n = strlen(s);
  int64_t v = 0;
  int rc;
  GUARDED(fixgw_to_int(p, n, &v));
  if (rc != want_rc) fail_msg("int '%s': %s", s, fixgw_err_name(rc));
  if (!rc && v != want) fail_msg("int '%s': %lld", s, (long long)v);
}

static void test_int(void **state) {
  (void)state;
  check_int("0", 0, 0);
  check_int("42", 0, 42);
  check_int("-42", 0, -42);
  check_int("000123", 0, 123);
  check_int("9223372036854775807", 0, INT64_MAX);
  check_int("-9223372036854775808", 0, INT64_MIN);
  check_int("9223372036854775808", FIXGW_ERANGE, 0);
  check_int("-9223372036854775809", FIXGW_ERANGE, 0);
  check_int("18446744073709551616", FIXGW_ERANGE, 0);
  check_int("99999999999999999999999999", FIXGW_ERANGE, 0);
  check_int("99999999999999999999999x99", FIXGW_EFORMAT, 0);
  check_int("", FIXGW_EFORMAT, 0);
  check_int("-", FIXGW_EFORMAT, 0);
  check_int("+5", FIXGW_EFORMAT, 0);
  check_int("1 ", FIXGW_EFORMAT, 0);
  check_int("1.0", FIXGW_EFORMAT, 0);
  check_int("--1", FIXGW_EFORMAT, 0);
  uint64_t u;
  assert_int_equal(fixgw_to_uint("18446744073709551615", 20, &u), 0);
  assert_true(u == UINT64_MAX);
  assert_int_equal(fixgw_to_uint("18446744073709551616", 20, &u), FIXGW_ERANGE);
  assert_int_equal(fixgw_to_uint("-1", 2, &u), FIXGW_EFORMAT);
  assert_int_equal(fixgw_to_int(NULL, 1, NULL), FIXGW_EINVAL);
}

static void check_dec(const char *s, int want_rc, int64_t mant, int32_t exp) {
  size_t n = strlen(s);
  fixgw_decimal_t d = {0, 0};
  int rc;
  GUARDED(fixgw_to_decimal(p, n, &d));
  if (rc != want_rc) fail_msg("decimal '%s': %s", s, fixgw_err_name(rc));
  if (!rc && (d.mant != mant || d.exp != exp))
    fail_msg("decimal '%s': %lld e%d", s, (long long)d.mant, d.exp);
}

static void test_decimal(void **state) {
  (void)state;
  check_dec("412.37", 0, 41237, -2);
  check_dec("-0.005", 0, -5, -3);
  check_dec("100", 0, 100, 0);
  check_dec("123.450", 0, 123450, -3); /* trailing zeros kept */
  check_dec("1.", 0, 1, 0);
  check_dec(".5", 0, 5, -1);
  check_dec("00001.25", 0, 125, -2);
  check_dec("0", 0, 0, 0);
  check_dec("-0.0", 0, 0, -1);
  check_dec("999999999999999999", 0, 999999999999999999LL, 0);
  check_dec("0.000000000000000001", 0, 1, -18);
  check_dec("1.10000000000000000000", 0, 11, -1); /* trimmed to fit */
  check_dec("1234567890.123456789", FIXGW_ERANGE, 0, 0);
  check_dec("", FIXGW_EFORMAT, 0, 0);
  check_dec(".", FIXGW_EFORMAT, 0, 0);
  check_dec("-", FIXGW_EFORMAT, 0, 0);
  check_dec("1.2.3", FIXGW_EFORMAT, 0, 0);
  check_dec("1e5", FIXGW_EFORMAT, 0, 0);
  check_dec("1,5", FIXGW_EFORMAT, 0, 0);
  check_dec(" 1", FIXGW_EFORMAT, 0, 0);

  int64_t v;
  assert_int_equal(fixgw_decimal_to_scaled((fixgw_decimal_t){41237, -2}, 4, &v), 0);
  assert_true(v == 4123700);
  assert_int_equal(fixgw_decimal_to_scaled((fixgw_decimal_t){41237, -2}, 1, &v), FIXGW_ERANGE);
  assert_int_equal(fixgw_decimal_to_scaled((fixgw_decimal_t){41230, -2}, 1, &v), 0);
  assert_true(v == 4123);
  assert_int_equal(fixgw_decimal_to_scaled((fixgw_decimal_t){INT64_MAX, 0}, 1, &v), FIXGW_ERANGE);
  assert_int_equal(fixgw_decimal_to_scaled((fixgw_decimal_t){0, 5}, 1000000, &v), 0);
  assert_true(v == 0);
  assert_true(fixgw_decimal_cmp((fixgw_decimal_t){15, -1}, (fixgw_decimal_t){150, -2}) == 0);
  assert_true(fixgw_decimal_cmp((fixgw_decimal_t){15, -1}, (fixgw_decimal_t){151, -2}) < 0);
  assert_true(fixgw_decimal_cmp((fixgw_decimal_t){-15, -1}, (fixgw_decimal_t){-151, -2}) > 0);
  assert_true(fixgw_decimal_cmp((fixgw_decimal_t){-1, 0}, (fixgw_decimal_t){0, 0}) < 0);
  assert_true(fixgw_decimal_cmp((fixgw_decimal_t){1, 30}, (fixgw_decimal_t){INT64_MAX, 0}) > 0);
  assert_true(fixgw_decimal_to_double((fixgw_decimal_t){41237, -2}) == 412.37);
}

static void test_char_bool(void **state) {
  (void)state;
  char c;
  bool b;
  assert_int_equal(fixgw_to_char("1", 1, &c), 0);
  assert_int_equal(c, '1');
  assert_int_equal(fixgw_to_char("12", 2, &c), FIXGW_EFORMAT);
  assert_int_equal(fixgw_to_char("", 0, &c), FIXGW_EFORMAT);
  assert_int_equal(fixgw_to_bool("Y", 1, &b), 0);
  assert_true(b);
  assert_int_equal(fixgw_to_bool("N", 1, &b), 0);
  assert_false(b);
  assert_int_equal(fixgw_to_bool("y", 1, &b), FIXGW_EFORMAT);
  assert_int_equal(fixgw_to_bool("YN", 2, &b), FIXGW_EFORMAT);
}

static void check_ts(const char *s, int want_rc, int64_t want) {
  size_t n = strlen(s);
  int64_t v = 0;
  int rc;
  GUARDED(fixgw_to_timestamp(p, n, &v));
  if (rc != want_rc) fail_msg("timestamp '%s': %s", s, fixgw_err_name(rc));
  if (!rc && v != want) fail_msg("timestamp '%s': %lld", s, (long long)v);
}

static void test_timestamp(void **state) {
  (void)state;
  /* 2026-11-21 is day 20778 since the epoch (Python datetime agrees). */
  const int64_t day = 20778LL * 86400 * 1000000000LL;
  const int64_t t = (13 * 3600 + 45 * 60 + 12) * 1000000000LL;
  check_ts("20261121-13:45:12", 0, day + t);
  check_ts("20261121-13:45:12.123", 0, day + t + 123000000);
  check_ts("20261121-13:45:12.123456", 0, day + t + 123456000);
  check_ts("20261121-13:45:12.123456789", 0, day + t + 123456789);
  check_ts("19700101-00:00:00", 0, 0);
  check_ts("19691231-23:59:59", 0, -1000000000LL);
  check_ts("20161231-23:59:60", 0, (17166LL * 86400 + 86399) * 1000000000LL + 999999999);
  check_ts("20240229-00:00:00", 0, 19782LL * 86400 * 1000000000LL);
  check_ts("20230229-00:00:00", FIXGW_ERANGE, 0);
  check_ts("20261321-00:00:00", FIXGW_ERANGE, 0);
  check_ts("20261100-00:00:00", FIXGW_ERANGE, 0);
  check_ts("20261121-24:00:00", FIXGW_ERANGE, 0);
  check_ts("20261121-23:60:00", FIXGW_ERANGE, 0);
  check_ts("20261121-23:59:61", FIXGW_ERANGE, 0);
  check_ts("99991231-23:59:59", FIXGW_ERANGE, 0); /* beyond int64 ns */
  check_ts("20261121-13:45:12.1234", FIXGW_EFORMAT, 0);
  check_ts("20261121-13:45:12.", FIXGW_EFORMAT, 0);
  check_ts("20261121 13:45:12", FIXGW_EFORMAT, 0);
  check_ts("20261121-13-45-12", FIXGW_EFORMAT, 0);
  check_ts("2026112a-13:45:12", FIXGW_EFORMAT, 0);
  check_ts("20261121-13:45", FIXGW_EFORMAT, 0);
  check_ts("", FIXGW_EFORMAT, 0);
  int64_t v;
  assert_int_equal(fixgw_to_timeonly("13:45:12.5", 10, &v), FIXGW_EFORMAT);
  assert_int_equal(fixgw_to_timeonly("13:45:12.500", 12, &v), 0);
  assert_true(v == t + 500000000);
  assert_true(fixgw_days_from_civil(2000, 1, 1) == 10957);
  assert_true(fixgw_days_from_civil(1600, 3, 1) == -135080);
}

/* s[0..n) on a guard page through fixgw_to_timestamp and its reference
 * (same code, same value), and through the validator's check against what
 * the date and time-only conversions say. */
static void ts_agree(const char *s, int n) {
  int64_t a = 0, b = 0;
  fixgw_guard_t g;
  const char *q = fixgw_guard_copy(&g, s, (size_t)n);
  int ra = fixgw_to_timestamp(q, (size_t)n, &a), rb = fixgw__to_timestamp_ref(q, (size_t)n, &b);
  fixgw_date_t dd;
  int64_t tt;
  int rc = fixgw__timestamp_check(q, (size_t)n);
  int rw = n < 17 || s[8] != '-' ? FIXGW_EFORMAT : fixgw_to_date(q, 8, &dd);
  if (!rw) rw = fixgw_to_timeonly(q + 9, (size_t)n - 9, &tt);
  fixgw_guard_free(&g);
  if (ra != rb || (ra == 0 && a != b))
    fail_msg("timestamp '%.*s': fast %s %lld, reference %s %lld", n, s, fixgw_err_name(ra),
             (long long)a, fixgw_err_name(rb), (long long)b);
  if (rc != rw)
    fail_msg("timestamp check '%.*s': %s, date + time-only %s", n, s, fixgw_err_name(rc),
             fixgw_err_name(rw));
}

/* The word-wide timestamp path against its field-by-field reference:
 * valid stamps of every precision over the whole range, and the same with
 * one byte replaced by a digit, separator or neighbour of one, or cut
 * short. Same code, same value, for every input (each on a guard page). */
static void test_timestamp_matches_reference(void **state) {
  (void)state;
  static const char bytes[] = "0123456789:-./ 9\x00\xff";
  static const int prec[4] = {0, 3, 6, 9};
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int round = 0; round < 15000; round++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    /* Any instant of years 0..9999 (most out of int64 range) or, half the
     * time, one near now, where the day count fits. */
    int64_t day = round & 1 ? (int64_t)(x % 3652425) - 719528 : (int64_t)(x % 40000);
    fixgw_date_t d;
    fixgw_civil_from_days(day, &d);
    if (d.year < 0 || d.year > 9999) continue;
    uint64_t tod = (x >> 20) % 86401; /* 86400: a leap second */
    char s[40];
    int p = prec[(x >> 40) & 3];
    int n = snprintf(s, sizeof s, "%04d%02u%02u-%02u:%02u:%02u", (int)d.year, d.month, d.day,
                     (unsigned)(tod == 86400 ? 23 : tod / 3600),
                     (unsigned)(tod == 86400 ? 59 : tod / 60 % 60),
                     (unsigned)(tod == 86400 ? 60 : tod % 60));
    if (p) n += snprintf(s + n, sizeof s - (size_t)n, ".%09llu", (unsigned long long)(x % 1000000000)) - (9 - p);
    unsigned what = (unsigned)(x >> 44) % 4;
    if (what == 1) {
      s[(x >> 48) % (unsigned)n] = bytes[(x >> 56) % (sizeof bytes - 1)];
    } else if (what == 2) {
      n = (int)((x >> 48) % (unsigned)(n + 1));
    }
    ts_agree(s, n);
  }
}

/* The per-thread date caches (fixgw_to_timestamp's and the validator's
 * check's): stamps of a few dates, each repeated with times valid and
 * mangled (the date bytes left alone, so the cached date is what
 * decides), alternating so the caches keep being replaced. Every answer
 * must be the reference's. Then the last representable instant. */
static void test_timestamp_day_cache(void **state) {
  (void)state;
  static const char *const dates[] = {"19700101", "20261204", "20261205", "22620411",
                                      "22620412", "16770921", "20240229"};
  static const char bytes[] = "0123456789:-./ \x00\xff";
  uint64_t x = 0x2545F4914F6CDD1DULL;
  for (int round = 0; round < 20000; round++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const char *date = dates[(round / 3 + (int)(x & 1)) % (int)(sizeof dates / sizeof dates[0])];
    uint64_t tod = (x >> 8) % 86401;
    char s[40];
    int n = snprintf(s, sizeof s, "%s-%02u:%02u:%02u.%09llu", date,
                     (unsigned)(tod == 86400 ? 23 : tod / 3600),
                     (unsigned)(tod == 86400 ? 59 : tod / 60 % 60),
                     (unsigned)(tod == 86400 ? 60 : tod % 60),
                     (unsigned long long)((x >> 24) % 1000000000));
    n -= (int)(3 * ((x >> 56) & 3)); /* 9, 6, 3 or no fraction digits */
    if (n == 18) n = 17;
    if ((x >> 60) & 1) s[9 + (x >> 32) % (unsigned)(n - 9)] = bytes[(x >> 40) % (sizeof bytes - 1)];
    ts_agree(s, n);
  }
  check_ts("22620411-23:47:16.854775807", 0, INT64_MAX);
  check_ts("22620411-23:47:16.854775808", FIXGW_ERANGE, 0);
  check_ts("22620411-23:59:59", FIXGW_ERANGE, 0);
  check_ts("22620411-00:00:00", 0, 106751LL * 86400 * 1000000000LL);
  check_ts("22620410-23:59:59", 0, (106750LL * 86400 + 86399) * 1000000000LL);
  /* A date made current by one call serves the next with the same bytes. */
  check_ts("20261204-01:02:03", 0, (20791LL * 86400 + 3723) * 1000000000LL);
  check_ts("20261204-01:02:03.5", FIXGW_EFORMAT, 0);
  check_ts("20261204-24:02:03", FIXGW_ERANGE, 0);
  check_ts("20261204-23:59:60", 0, (20791LL * 86400 + 86399) * 1000000000LL + 999999999);
}

static void test_dates(void **state) {
  (void)state;
  fixgw_date_t d;
  assert_int_equal(fixgw_to_date("20261121", 8, &d), 0);
  assert_int_equal(d.year, 2026);
  assert_int_equal(d.month, 11);
  assert_int_equal(d.day, 21);
  assert_int_equal(fixgw_to_date("20261131", 8, &d), FIXGW_ERANGE);
  assert_int_equal(fixgw_to_date("2026112", 7, &d), FIXGW_EFORMAT);
  assert_int_equal(fixgw_to_month_year("202612", 6, &d), 0);
  assert_int_equal(d.month, 12);
  assert_int_equal(d.day, 0);
  assert_int_equal(fixgw_to_month_year("202612w3", 8, &d), 0);
  assert_int_equal(d.week, 3);
  assert_int_equal(fixgw_to_month_year("202612w6", 8, &d), FIXGW_ERANGE);
  assert_int_equal(fixgw_to_month_year("202612wx", 8, &d), FIXGW_EFORMAT);
  assert_int_equal(fixgw_to_month_year("20261215", 8, &d), 0);
  assert_int_equal(d.day, 15);
  assert_int_equal(fixgw_to_month_year("202613", 6, &d), FIXGW_ERANGE);
  assert_int_equal(fixgw_to_month_year("2026", 4, &d), FIXGW_EFORMAT);
}

/* The in-message getters take word-at-a-time paths for short values; they
 * must agree with the byte-wise conversions on every input. Random values
 * over an alphabet of digits, '.', '-' and the bytes around '0'..'9'. */
#include "fixmsg.h"
static void test_getters_match_conversions(void **state) {
  (void)state;
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  static const char alphabet[] = "0123456789.-/:0123456789";
  uint64_t x = 0x2545F4914F6CDD1DULL;
  for (int round = 0; round < 20000; round++) {
    char val[16], body[64], msg[256];
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    size_t n = 1 + x % 10;
    for (size_t i = 0; i < n; i++) val[i] = alphabet[(x >> (5 * i + 8)) % (sizeof alphabet - 1)];
    val[n] = 0;
    snprintf(body, sizeof body, "35=D|44=%s|", val);
    size_t len = fixmsg(msg, sizeof msg, "FIX.4.4", body);
    fixgw_msg_t m;
    size_t used;
    assert_int_equal(fixgw_parse(&p, msg, len, &used, &m, NULL), 0);
    fixgw_decimal_t a = {0, 0}, b = {0, 0};
    int ra = fixgw_msg_get_decimal(&m, 44, &a), rb = fixgw_to_decimal(val, n, &b);
    if (ra != rb || (ra == 0 && (a.mant != b.mant || a.exp != b.exp)))
      fail_msg("decimal '%s': getter %s %lld e%d, conversion %s %lld e%d", val,
               fixgw_err_name(ra), (long long)a.mant, a.exp, fixgw_err_name(rb),
               (long long)b.mant, b.exp);
    /* The field getter is the same conversion, given the field. */
    fixgw_decimal_t c = {0, 0};
    int rc = fixgw_msg_field_decimal(&m, fixgw_msg_find(&m, 44), &c);
    assert_int_equal(rc, ra);
    if (rc == 0) assert_true(c.mant == a.mant && c.exp == a.exp);
    int64_t ia = 0, ib = 0;
    ra = fixgw_msg_get_int(&m, 44, &ia);
    rb = fixgw_to_int(val, n, &ib);
    if (ra != rb || (ra == 0 && ia != ib))
      fail_msg("int '%s': getter %s %lld, conversion %s %lld", val, fixgw_err_name(ra),
               (long long)ia, fixgw_err_name(rb), (long long)ib);
    uint64_t ua = 0, ub = 0;
    ra = fixgw_msg_get_uint(&m, 44, &ua);
    rb = fixgw_to_uint(val, n, &ub);
    if (ra != rb || (ra == 0 && ua != ub))
      fail_msg("uint '%s': getter %s %llu, conversion %s %llu", val, fixgw_err_name(ra),
               (unsigned long long)ua, fixgw_err_name(rb), (unsigned long long)ub);
    int64_t ic = 0;
    uint64_t uc = 0;
    assert_int_equal(fixgw_msg_field_int(&m, fixgw_msg_find(&m, 44), &ic),
                     fixgw_msg_get_int(&m, 44, &ib));
    assert_true(ic == ib);
    assert_int_equal(fixgw_msg_field_uint(&m, fixgw_msg_find(&m, 44), &uc),
                     fixgw_msg_get_uint(&m, 44, &ub));
    assert_true(uc == ub);
    /* The CheckSum, the one field without 8 bytes after its start: the
     * getters fall back to the byte-wise conversions there. */
    const fixgw_field_t *cks = &m.fields[m.nfields - 1];
    assert_int_equal(cks->tag, 10);
    assert_int_equal(fixgw_msg_field_uint(&m, cks, &uc), 0);
    assert_int_equal(fixgw_to_uint(cks->val, cks->len, &ub), 0);
    assert_true(uc == ub);
  }
  fixgw_parser_destroy(&p);
}

/* The word-wide decimal path against the byte-wise reference, on random
 * values of 0..20 bytes over digits, '.', '-' and their neighbours, each
 * on a guard page (the word path must read no byte past the value). */
static void test_decimal_matches_reference(void **state) {
  (void)state;
  static const char alphabet[] = "0123456789.-/:0123456789.09";
  uint64_t x = 0xD1B54A32D192ED03ULL;
  for (int round = 0; round < 12000; round++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    char val[24];
    size_t n = x % 21;
    uint64_t r = x;
    for (size_t i = 0; i < n; i++) {
      if (i % 12 == 11) r = r * 6364136223846793005ULL + 1442695040888963407ULL;
      val[i] = alphabet[(r >> (5 * (i % 12))) % (sizeof alphabet - 1)];
    }
    fixgw_decimal_t a = {0, 0}, b = {0, 0};
    fixgw_guard_t g;
    const char *q = fixgw_guard_copy(&g, val, n);
    int ra = fixgw_to_decimal(q, n, &a), rb = fixgw__to_decimal_ref(q, n, &b);
    fixgw_guard_free(&g);
    if (ra != rb || (ra == 0 && (a.mant != b.mant || a.exp != b.exp)))
      fail_msg("decimal '%.*s': fast %s %lld e%d, reference %s %lld e%d", (int)n, val,
               fixgw_err_name(ra), (long long)a.mant, a.exp, fixgw_err_name(rb),
               (long long)b.mant, b.exp);
  }
}

/* Every value of up to 7 bytes over digits, '.', '-' and the bytes either
 * side of the digits ('/' borrows like '.', ':' is one past '9'):
 * fixgw_to_decimal with the value at a guard page's edge (it may read
 * only s[0..n)) against the reference. */
static void test_decimal_short_exhaustive(void **state) {
  (void)state;
  static const char sym[] = "09.-/:5";
  enum { NS = sizeof sym - 1, MAXN = 7 };
  fixgw_guard_t g;
  char *edge = fixgw_guard_copy(&g, "        ", 8) + 8; /* one past the page's last byte */
  unsigned long checked = 0;
  for (size_t n = 0; n <= MAXN; n++) {
    unsigned long total = 1;
    for (size_t i = 0; i < n; i++) total *= NS;
    for (unsigned long c = 0; c < total; c++) {
      char val[MAXN + 1];
      unsigned long r = c;
      for (size_t i = 0; i < n; i++, r /= NS) val[i] = sym[r % NS];
      char *q = edge - n;
      memcpy(q, val, n);
      fixgw_decimal_t a = {0, 0}, b = {0, 0};
      int ra = fixgw_to_decimal(q, n, &a);
      int rb = fixgw__to_decimal_ref(q, n, &b);
      if (ra != rb || (ra == 0 && (a.mant != b.mant || a.exp != b.exp)))
        fail_msg("decimal '%.*s': fast %s %lld e%d, reference %s %lld e%d", (int)n, val,
                 fixgw_err_name(ra), (long long)a.mant, a.exp, fixgw_err_name(rb),
                 (long long)b.mant, b.exp);
      checked++;
    }
  }
  fixgw_guard_free(&g);
  assert_true(checked > 900000);
}

/* Lengths at and around each path's bounds (3/4 bytes, 8/9, 18/19
 * digits), signed and not, with the point at every place. */
static void test_decimal_path_bounds(void **state) {
  (void)state;
  static const char digits[] = "98765432109876543210";
  for (size_t nd = 1; nd <= 20; nd++) {
    for (size_t at = 0; at <= nd + 1; at++) { /* at == nd + 1: no point */
      for (int neg = 0; neg < 2; neg++) {
        char val[32];
        size_t n = 0;
        if (neg) val[n++] = '-';
        for (size_t i = 0; i < nd; i++) {
          if (i == at) val[n++] = '.';
          val[n++] = digits[i];
        }
        if (at == nd) val[n++] = '.';
        fixgw_decimal_t a = {0, 0}, b = {0, 0};
        fixgw_guard_t g;
        const char *q = fixgw_guard_copy(&g, val, n);
        int ra = fixgw_to_decimal(q, n, &a), rb = fixgw__to_decimal_ref(q, n, &b);
        fixgw_guard_free(&g);
        if (ra != rb || (rb == 0 && (a.mant != b.mant || a.exp != b.exp)))
          fail_msg("decimal '%.*s': fast %s %lld e%d, reference %s %lld e%d", (int)n, val,
                   fixgw_err_name(ra), (long long)a.mant, a.exp, fixgw_err_name(rb),
                   (long long)b.mant, b.exp);
      }
    }
  }
}

static void test_decimal_to_double_rounding(void **state) {
  (void)state;
  /* 8.3952423 is the nearest double to itself only when converted in one
   * correctly rounded step. */
  assert_true(fixgw_decimal_to_double((fixgw_decimal_t){83952423, -7}) == 8.3952423);
  assert_true(fixgw_decimal_to_double((fixgw_decimal_t){108321, -5}) == 1.08321);
  assert_true(fixgw_decimal_to_double((fixgw_decimal_t){-5, -3}) == -0.005);
  assert_true(fixgw_decimal_to_double((fixgw_decimal_t){15, 2}) == 1500.0);
}

/* Text of {mant, exp} for strtod: mant then "e" exp. */
static double strtod_of(int64_t mant, int32_t exp) {
  char t[64];
  snprintf(t, sizeof t, "%llde%d", (long long)mant, (int)exp);
  return strtod(t, NULL);
}

static uint64_t ulps(double a, double b) {
  int64_t ia, ib;
  memcpy(&ia, &a, sizeof ia);
  memcpy(&ib, &b, sizeof ib);
  if (ia < 0) ia = INT64_MIN - ia;
  if (ib < 0) ib = INT64_MIN - ib;
  return ia > ib ? (uint64_t)ia - (uint64_t)ib : (uint64_t)ib - (uint64_t)ia;
}

/* The fast path must be one correctly rounded division: values where a
 * multiply by the reciprocal 1.0 / 10^k rounds differently, each checked
 * against strtod of the same text. */
static void test_decimal_to_double_division(void **state) {
  (void)state;
  static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  /* Found by the search below; pinned so they never drift away. */
  static const struct { int64_t mant; int32_t exp; } pinned[] = {
      {3, -1}, {7, -1}, {9, -2}, {283, -2}, {83952423, -7}, {1234567, -3},
  };
  unsigned differ = 0, checked = 0;
  for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
    fixgw_decimal_t d = {pinned[i].mant, pinned[i].exp};
    double want = strtod_of(d.mant, d.exp);
    volatile double recip = 1.0 / p10[-d.exp];
    double mul = (double)d.mant * recip;
    if (fixgw_decimal_to_double(d) != want)
      fail_msg("{%lld, %d}: %.17g, strtod %.17g", (long long)d.mant, d.exp,
               fixgw_decimal_to_double(d), want);
    differ += mul != want;
  }
  /* At least one pinned value tells a division from the reciprocal. */
  assert_true(differ > 0);
  differ = 0;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 20000; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t mant = (int64_t)((x >> 11) % (1ULL << (1 + (x >> 3) % 53)));
    if (x & 4) mant = -mant;
    int32_t exp = -(int32_t)(1 + (x >> 58) % 22);
    fixgw_decimal_t d = {mant, exp};
    double want = strtod_of(mant, exp);
    double got = fixgw_decimal_to_double(d);
    if (got != want)
      fail_msg("{%lld, %d}: %.17g, strtod %.17g", (long long)mant, exp, got, want);
    volatile double recip = 1.0 / p10[-exp];
    differ += (double)mant * recip != want;
    checked++;
  }
  print_message("decimal_to_double: %u values equal strtod; a reciprocal multiply "
                "would miss %u of them\n", checked, differ);
  assert_true(differ > checked / 50);
}

/* The slow path (|mant| >= 2^53 or |exp| > 22): within 2 ulp of strtod. */
static void test_decimal_to_double_slow_path(void **state) {
  (void)state;
  static const struct { int64_t mant; int32_t exp; } rows[] = {
      {INT64_MAX, 0},           {INT64_MIN + 1, -5},       {(1LL << 53) + 1, -10},
      {9007199254740993LL, -3}, {999999999999999999LL, -18}, {123456789, -30},
      {-987654321, -40},        {1, -44},                  {42, 23},
      {7, 40},                  {(1LL << 60) + 12345, -22}, {5, -23},
  };
  uint64_t worst = 0;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    fixgw_decimal_t d = {rows[i].mant, rows[i].exp};
    double want = strtod_of(d.mant, d.exp), got = fixgw_decimal_to_double(d);
    uint64_t u = ulps(got, want);
    if (u > 2)
      fail_msg("{%lld, %d}: %.17g, strtod %.17g (%llu ulp)", (long long)d.mant, d.exp, got,
               want, (unsigned long long)u);
    if (u > worst) worst = u;
  }
  uint64_t x = 12345;
  for (int i = 0; i < 20000; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    int big = x & 1;
    int64_t mant = big ? (int64_t)((x >> 2) | (1ULL << 53)) & INT64_MAX
                       : (int64_t)((x >> 11) % (1ULL << 53));
    int32_t exp = big ? -(int32_t)((x >> 56) % 45) : -(int32_t)(23 + (x >> 56) % 22);
    if (!big && (x >> 40) & 1) exp = (int32_t)(23 + (x >> 56) % 20);
    fixgw_decimal_t d = {mant, exp};
    double want = strtod_of(mant, exp), got = fixgw_decimal_to_double(d);
    uint64_t u = ulps(got, want);
    if (u > 2)
      fail_msg("{%lld, %d}: %.17g, strtod %.17g (%llu ulp)", (long long)mant, exp, got, want,
               (unsigned long long)u);
    if (u > worst) worst = u;
  }
  print_message("decimal_to_double slow path: worst %llu ulp from strtod\n",
                (unsigned long long)worst);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_getters_match_conversions),
      cmocka_unit_test(test_decimal_matches_reference),
      cmocka_unit_test(test_decimal_short_exhaustive),
      cmocka_unit_test(test_decimal_path_bounds),
      cmocka_unit_test(test_decimal_to_double_rounding),
      cmocka_unit_test(test_decimal_to_double_division),
      cmocka_unit_test(test_decimal_to_double_slow_path),
      cmocka_unit_test(test_int),       cmocka_unit_test(test_decimal),
      cmocka_unit_test(test_char_bool), cmocka_unit_test(test_timestamp),
      cmocka_unit_test(test_timestamp_matches_reference),
      cmocka_unit_test(test_timestamp_day_cache),
      cmocka_unit_test(test_dates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
