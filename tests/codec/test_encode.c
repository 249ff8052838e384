/* Encoder: exact output per type, BodyLength and CheckSum checked against
 * an independent framing, overflow at every capacity with a guard page,
 * sticky errors, and the parser reading back every field. */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fixgw/codec.h"
#include "fixmsg.h"
#include "harness.h"

static uint64_t pow10_of(unsigned k) {
  uint64_t v = 1;
  while (k--) v *= 10;
  return v;
}

#define TS 1763732712123456789LL /* 2025-11-21-13:45:12.123456789 */

/* Build the reference message's body with every appender. */
static int build(fixgw_encoder_t *e, char *buf, size_t cap) {
  fixgw_enc_begin(e, buf, cap, "FIX.4.4", "8");
  fixgw_enc_cstr(e, 49, "BROKER");
  fixgw_enc_cstr(e, 56, "CLIENT");
  fixgw_enc_uint(e, 34, 2077);
  fixgw_enc_timestamp(e, 52, TS, FIXGW_TS_MICROS);
  fixgw_enc_int(e, 5000, -42);
  fixgw_enc_decimal(e, 44, (fixgw_decimal_t){41237, -2});
  fixgw_enc_decimal(e, 31, (fixgw_decimal_t){-5, -3});
  fixgw_enc_decimal(e, 38, (fixgw_decimal_t){15, 2});
  fixgw_enc_char(e, 54, '1');
  fixgw_enc_bool(e, 43, true);
  fixgw_enc_timestamp(e, 60, TS, FIXGW_TS_SECONDS);
  fixgw_enc_timestamp(e, 5001, TS, FIXGW_TS_MILLIS);
  fixgw_enc_timestamp(e, 5002, TS, FIXGW_TS_NANOS);
  fixgw_enc_data(e, 95, 96, "a\x01=b", 4);
  fixgw_enc_int(e, 5003, INT64_MIN);
  return e->err;
}

static const char want_body[] =
    "35=8|49=BROKER|56=CLIENT|34=2077|52=20251121-13:45:12.123456|5000=-42|44=412.37|"
    "31=-0.005|38=1500|54=1|43=Y|60=20251121-13:45:12|5001=20251121-13:45:12.123|"
    "5002=20251121-13:45:12.123456789|95=4|96=a|=b|5003=-9223372036854775808|";

static void test_exact_bytes(void **state) {
  (void)state;
  char buf[1024], ref[1024];
  fixgw_encoder_t e;
  assert_int_equal(build(&e, buf, sizeof buf), 0);
  const char *out;
  size_t len;
  assert_int_equal(fixgw_enc_finish(&e, &out, &len), 0);
  size_t rl = fixmsg(ref, sizeof ref, "FIX.4.4", want_body);
  if (len != rl || memcmp(out, ref, rl) != 0) {
    char a[1024];
    for (size_t i = 0; i < len && i < sizeof a - 1; i++) a[i] = out[i] == 1 ? '|' : out[i];
    a[len < sizeof a ? len : sizeof a - 1] = 0;
    fail_msg("got %s", a);
  }
  assert_true(out >= buf && out + len <= buf + sizeof buf);
  assert_true((size_t)(out - buf) <= FIXGW_ENC_HEADROOM);
  /* Spent after finish. */
  assert_int_equal(fixgw_enc_uint(&e, 34, 1), FIXGW_ESTATE);
  assert_int_equal(fixgw_enc_finish(&e, &out, &len), FIXGW_ESTATE);
}

static void test_round_trip(void **state) {
  (void)state;
  char buf[1024];
  fixgw_encoder_t e;
  assert_int_equal(build(&e, buf, sizeof buf), 0);
  const char *out;
  size_t len;
  assert_int_equal(fixgw_enc_finish(&e, &out, &len), 0);
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  fixgw_msg_t m;
  size_t used;
  assert_int_equal(fixgw_parse(&p, out, len, &used, &m, NULL), 0);
  assert_int_equal(used, len);
  int64_t i;
  uint64_t u;
  fixgw_decimal_t d;
  char c;
  bool b;
  assert_int_equal(fixgw_msg_get_uint(&m, 34, &u), 0);
  assert_true(u == 2077);
  assert_int_equal(fixgw_msg_get_int(&m, 5000, &i), 0);
  assert_true(i == -42);
  assert_int_equal(fixgw_msg_get_int(&m, 5003, &i), 0);
  assert_true(i == INT64_MIN);
  assert_int_equal(fixgw_msg_get_decimal(&m, 44, &d), 0);
  assert_true(d.mant == 41237 && d.exp == -2);
  assert_int_equal(fixgw_msg_get_decimal(&m, 31, &d), 0);
  assert_true(d.mant == -5 && d.exp == -3);
  assert_int_equal(fixgw_msg_get_decimal(&m, 38, &d), 0);
  assert_true(fixgw_decimal_cmp(d, (fixgw_decimal_t){15, 2}) == 0);
  assert_int_equal(fixgw_msg_get_char(&m, 54, &c), 0);
  assert_int_equal(c, '1');
  assert_int_equal(fixgw_msg_get_bool(&m, 43, &b), 0);
  assert_true(b);
  assert_int_equal(fixgw_msg_get_timestamp(&m, 5002, &i), 0);
  assert_true(i == TS);
  assert_int_equal(fixgw_msg_get_timestamp(&m, 52, &i), 0);
  assert_true(i == TS / 1000 * 1000);
  assert_int_equal(fixgw_msg_get_timestamp(&m, 5001, &i), 0);
  assert_true(i == TS / 1000000 * 1000000);
  const fixgw_field_t *f = fixgw_msg_find(&m, 96);
  assert_non_null(f);
  assert_int_equal(f->len, 4);
  assert_memory_equal(f->val, "a\x01=b", 4);
  fixgw_parser_destroy(&p);
}

/* At every capacity the encoder either fits or says ENOSPC, never writing
 * outside buf[0..cap): the buffer ends at a PROT_NONE page. */
static void test_every_capacity(void **state) {
  (void)state;
  char big[1024];
  fixgw_encoder_t e;
  build(&e, big, sizeof big);
  const char *out;
  size_t full;
  assert_int_equal(fixgw_enc_finish(&e, &out, &full), 0);
  size_t need = (size_t)(out - big) + full; /* headroom used + message */
  for (size_t cap = 0; cap <= need + 2; cap++) {
    fixgw_guard_t g;
    char *d = fixgw_guard_copy(&g, big, cap);
    int rc = build(&e, d, cap);
    size_t len = 0;
    if (!rc) rc = fixgw_enc_finish(&e, &out, &len);
    if (cap >= need) {
      assert_int_equal(rc, 0);
      assert_int_equal(len, full);
    } else {
      assert_int_equal(rc, FIXGW_ENOSPC);
    }
    fixgw_guard_free(&g);
  }
}

static void test_bad_arguments(void **state) {
  (void)state;
  char buf[256];
  fixgw_encoder_t e;
  assert_int_equal(fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", ""), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4.4.4", "D"), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D\x01"), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_begin(&e, NULL, 5, "FIX.4.4", "D"), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_begin(&e, buf, 10, "FIX.4.4", "D"), FIXGW_ENOSPC);

  struct {
    int rc;
  } cases[8];
  int k = 0;
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
  cases[k++].rc = fixgw_enc_str(&e, 58, "a\x01" "b", 3);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
  cases[k++].rc = fixgw_enc_str(&e, 58, "", 0);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
  cases[k++].rc = fixgw_enc_uint(&e, 0, 1);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
  cases[k++].rc = fixgw_enc_uint(&e, 1000000000u, 1);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
  cases[k++].rc = fixgw_enc_char(&e, 54, '\x01');
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
  cases[k++].rc = fixgw_enc_timestamp(&e, 52, -1, FIXGW_TS_MILLIS);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
  cases[k++].rc = fixgw_enc_timestamp(&e, 52, 0, (fixgw_ts_precision)4);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
  cases[k++].rc = fixgw_enc_decimal(&e, 44, (fixgw_decimal_t){1, 40});
  for (int i = 0; i < k; i++)
    if (cases[i].rc != FIXGW_EINVAL) fail_msg("case %d: %s", i, fixgw_err_name(cases[i].rc));

  /* Sticky: after one failure the rest do nothing and finish reports it. */
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
  fixgw_enc_cstr(&e, 49, "A");
  size_t pos = e.pos;
  assert_int_equal(fixgw_enc_str(&e, 58, "", 0), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_cstr(&e, 56, "B"), FIXGW_EINVAL);
  assert_int_equal(e.pos, pos);
  const char *out;
  size_t len;
  assert_int_equal(fixgw_enc_finish(&e, &out, &len), FIXGW_EINVAL);
}

/* Independent check of the encoder's checksum over varied sizes. */
static void test_checksum_sizes(void **state) {
  (void)state;
  char buf[4096], val[2048];
  for (size_t n = 1; n < sizeof val; n += 37) {
    for (size_t i = 0; i < n; i++) val[i] = (char)('!' + (i * 7 + n) % 90);
    fixgw_encoder_t e;
    fixgw_enc_begin(&e, buf, sizeof buf, "FIXT.1.1", "U7");
    fixgw_enc_str(&e, 58, val, n);
    const char *out;
    size_t len;
    assert_int_equal(fixgw_enc_finish(&e, &out, &len), 0);
    unsigned sum = 0;
    for (size_t i = 0; i + 7 < len; i++) sum += (unsigned char)out[i];
    char want[8];
    snprintf(want, sizeof want, "10=%03u", sum % 256);
    assert_memory_equal(out + len - 7, want, 6);
    assert_int_equal(fixgw_checksum(out, len - 7), sum % 256);
  }
}

/* UTCDateOnly and UTCTimeOnly appenders, and the calendar they share with
 * timestamps. */
static void test_date_and_time_only(void **state) {
  (void)state;
  char buf[256];
  fixgw_encoder_t e;
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  assert_int_equal(fixgw_enc_date(&e, 272, (fixgw_date_t){2026, 11, 21, 0}), 0);
  assert_int_equal(fixgw_enc_timeonly(&e, 273, (13 * 3600 + 45 * 60 + 12) * 1000000000LL + 123456789,
                                      FIXGW_TS_MILLIS), 0);
  assert_int_equal(fixgw_enc_timeonly(&e, 5000, 5 * 1000000000LL, FIXGW_TS_SECONDS), 0);
  assert_int_equal(fixgw_enc_date(&e, 5001, (fixgw_date_t){7, 1, 2, 0}), 0);
  const char *out;
  size_t len;
  assert_int_equal(fixgw_enc_finish(&e, &out, &len), 0);
  char ref[256];
  size_t rl = fixmsg(ref, sizeof ref, "FIX.4.4",
                     "35=W|272=20261121|273=13:45:12.123|5000=00:00:05|5001=00070102|");
  assert_int_equal(len, rl);
  assert_memory_equal(out, ref, rl);

  /* Out of range: EINVAL, sticky like every appender. */
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  assert_int_equal(fixgw_enc_date(&e, 272, (fixgw_date_t){2026, 13, 1, 0}), FIXGW_EINVAL);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  assert_int_equal(fixgw_enc_date(&e, 272, (fixgw_date_t){10000, 1, 1, 0}), FIXGW_EINVAL);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  assert_int_equal(fixgw_enc_timeonly(&e, 273, 86400LL * 1000000000LL, FIXGW_TS_MILLIS),
                   FIXGW_EINVAL);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  assert_int_equal(fixgw_enc_timeonly(&e, 273, -1, FIXGW_TS_MILLIS), FIXGW_EINVAL);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  assert_int_equal(fixgw_enc_timeonly(&e, 273, 0, (fixgw_ts_precision)4), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_uint(&e, 34, 1), FIXGW_EINVAL);

  /* civil_from_days inverts days_from_civil, days 0000-01-01 .. 9999-12-31. */
  int64_t first = fixgw_days_from_civil(0, 1, 1), last = fixgw_days_from_civil(9999, 12, 31);
  for (int64_t day = first; day <= last; day += 7) {
    fixgw_date_t d;
    fixgw_civil_from_days(day, &d);
    if (fixgw_days_from_civil(d.year, d.month, d.day) != day)
      fail_msg("day %lld -> %d-%u-%u", (long long)day, d.year, d.month, d.day);
  }
  fixgw_date_t d;
  fixgw_civil_from_days(0, &d);
  assert_true(d.year == 1970 && d.month == 1 && d.day == 1);
  fixgw_civil_from_days(fixgw_days_from_civil(2024, 2, 29), &d);
  assert_true(d.year == 2024 && d.month == 2 && d.day == 29);
}

/* The encoder keeps the last day's date text per thread: a sequence that
 * stays on a day, steps across midnight, goes back to an earlier day and
 * jumps at random must give, at every step, the text fixgw_timestamp_format
 * gives (it converts the date afresh each time). */
static void test_timestamp_day_changes(void **state) {
  (void)state;
  const int64_t day = 86400LL * 1000000000LL;
  int64_t seq[64];
  size_t n = 0;
  seq[n++] = TS;
  seq[n++] = TS + 1;                    /* same day */
  seq[n++] = (TS / day + 1) * day - 1;  /* its last nanosecond */
  seq[n++] = (TS / day + 1) * day;      /* the next day's first */
  seq[n++] = TS;                        /* back to the earlier day */
  seq[n++] = 0;
  seq[n++] = INT64_MAX;
  seq[n++] = 951782400LL * 1000000000LL; /* 2000-02-29 */
  seq[n++] = 951782400LL * 1000000000LL - 1;
  uint64_t x = 0x2545F4914F6CDD1DULL;
  while (n < sizeof seq / sizeof seq[0]) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    /* Half the draws stay on the previous draw's day. */
    seq[n] = (x & 1) ? seq[n - 1] / day * day + (int64_t)((x >> 1) % (uint64_t)day)
                     : (int64_t)(x >> 1);
    n++;
  }
  static const fixgw_ts_precision precs[4] = {FIXGW_TS_SECONDS, FIXGW_TS_MILLIS,
                                              FIXGW_TS_MICROS, FIXGW_TS_NANOS};
  char buf[256], want[FIXGW_TIMESTAMP_STRLEN], got[64];
  for (size_t i = 0; i < n; i++) {
    fixgw_ts_precision prec = precs[i % 4];
    fixgw_encoder_t e;
    const char *out;
    size_t len;
    fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "0");
    assert_int_equal(fixgw_enc_timestamp(&e, 52, seq[i], prec), 0);
    assert_int_equal(fixgw_enc_finish(&e, &out, &len), 0);
    int wl = fixgw_timestamp_format(seq[i], prec, want, sizeof want);
    assert_true(wl > 0);
    snprintf(got, sizeof got, "\x01" "52=%s\x01", want);
    char msg[256];
    assert_true(len < sizeof msg);
    memcpy(msg, out, len);
    msg[len] = 0;
    if (!strstr(msg, got)) fail_msg("step %zu, ns %lld: want 52=%s in %s", i, (long long)seq[i], want, msg);
  }
}

/* The word-at-a-time paths (strings up to 32 bytes, digits below 10^8,
 * decimals up to 7 digits): every length and an SOH at every position of
 * a string read from a guard page, and random integers and decimals of
 * every width against printf's text, each read back by the parser. */
static void test_word_paths(void **state) {
  (void)state;
  char buf[512], src[48], want[64];
  fixgw_encoder_t e;
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  for (size_t n = 1; n <= 40; n++) {
    for (size_t i = 0; i < n; i++) src[i] = (char)('a' + (i * 7 + n) % 26);
    for (size_t soh = 0; soh <= n; soh++) {
      char tmp[48];
      memcpy(tmp, src, n);
      if (soh < n) tmp[soh] = FIXGW_SOH;
      fixgw_guard_t g;
      const char *q = fixgw_guard_copy(&g, tmp, n);
      fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
      int rc = fixgw_enc_str(&e, 58, q, n);
      fixgw_enc_cstr(&e, 55, "X");
      fixgw_guard_free(&g);
      const char *out;
      size_t len, used;
      if (soh < n) {
        assert_int_equal(rc, FIXGW_EINVAL);
        assert_int_equal(fixgw_enc_finish(&e, &out, &len), FIXGW_EINVAL);
        continue;
      }
      assert_int_equal(rc, 0);
      assert_int_equal(fixgw_enc_finish(&e, &out, &len), 0);
      fixgw_msg_t m;
      assert_int_equal(fixgw_parse(&p, out, len, &used, &m, NULL), 0);
      const fixgw_field_t *f = fixgw_msg_find(&m, 58);
      assert_non_null(f);
      assert_int_equal(f->len, n);
      assert_memory_equal(f->val, tmp, n);
      assert_non_null(fixgw_msg_find(&m, 55));
    }
  }
  uint64_t x = 0x853C49E6748FEA9BULL;
  for (int round = 0; round < 20000; round++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t mag = (x >> 8) % pow10_of((unsigned)(x % 11));
    int32_t exp = (int32_t)((x >> 60) % 12) - 9;
    int neg = (int)((x >> 59) & 1);
    fixgw_decimal_t d = {neg ? -(int64_t)mag : (int64_t)mag, exp};
    if (exp >= 0) {
      snprintf(want, sizeof want, "%s%llu%.*s", neg && mag ? "-" : "", (unsigned long long)mag,
               (int)exp, "000000000");
    } else {
      uint64_t p10 = pow10_of((unsigned)-exp);
      snprintf(want, sizeof want, "%s%llu.%0*llu", neg && mag ? "-" : "",
               (unsigned long long)(mag / p10), (int)-exp, (unsigned long long)(mag % p10));
    }
    fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
    fixgw_enc_decimal(&e, 44, d);
    fixgw_enc_uint(&e, 38, mag);
    fixgw_enc_int(&e, 5001, d.mant);
    const char *out;
    size_t len, used;
    assert_int_equal(fixgw_enc_finish(&e, &out, &len), 0);
    fixgw_msg_t m;
    assert_int_equal(fixgw_parse(&p, out, len, &used, &m, NULL), 0);
    const fixgw_field_t *f = fixgw_msg_find(&m, 44);
    if (!f || f->len != strlen(want) || memcmp(f->val, want, f->len) != 0)
      fail_msg("decimal {%lld, %d}: '%.*s', want '%s'", (long long)d.mant, exp,
               f ? (int)f->len : 0, f ? f->val : "", want);
    char u[32];
    snprintf(u, sizeof u, "%llu", (unsigned long long)mag);
    f = fixgw_msg_find(&m, 38);
    assert_true(f && f->len == strlen(u) && memcmp(f->val, u, f->len) == 0);
    snprintf(u, sizeof u, "%lld", (long long)d.mant);
    f = fixgw_msg_find(&m, 5001);
    assert_true(f && f->len == strlen(u) && memcmp(f->val, u, f->len) == 0);
  }
  fixgw_parser_destroy(&p);
}

/* ------------------------------------------------ inline fast paths */

/* Which appender a fast-path case runs, and its value. */
typedef struct fast_case {
  int kind; /* 0 uint, 1 int, 2 decimal, 3 char, 4 str, 5 timestamp */
  uint32_t tag;
  uint64_t u;
  int64_t i;
  fixgw_decimal_t d;
  char c;
  const char *s;
  size_t n;
  int64_t ns;
  fixgw_ts_precision prec;
} fast_case_t;

static int run_fast(fixgw_encoder_t *e, const fast_case_t *k) {
  switch (k->kind) {
    case 0: return fixgw__enc_uint_fast(e, k->tag, k->u);
    case 1: return fixgw__enc_int_fast(e, k->tag, k->i);
    case 2: return fixgw__enc_decimal_fast(e, k->tag, k->d);
    case 3: return fixgw__enc_char_fast(e, k->tag, k->c);
    case 4: return fixgw__enc_str_fast(e, k->tag, k->s, k->n);
    default: return fixgw__enc_timestamp_fast(e, k->tag, k->ns, k->prec);
  }
}

static int run_general(fixgw_encoder_t *e, const fast_case_t *k) {
  switch (k->kind) {
    case 0: return fixgw__enc_uint(e, k->tag, k->u);
    case 1: return fixgw__enc_int(e, k->tag, k->i);
    case 2: return fixgw__enc_decimal(e, k->tag, k->d);
    case 3: return fixgw__enc_char(e, k->tag, k->c);
    case 4: return fixgw__enc_str(e, k->tag, k->s, k->n);
    default: return fixgw__enc_timestamp(e, k->tag, k->ns, k->prec);
  }
}

static uint64_t xorshift(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

/* A random case: values around the fast paths' limits (10^8, 7 digits
 * and exponent -7 for decimals, 16 and 32 bytes and SOH or NUL bytes for
 * strings, SOH and NUL chars, negative instants and bad precisions),
 * tags of every width below 100000. */
static void draw_case(uint64_t *x, fast_case_t *k, char *sbuf) {
  uint64_t r = xorshift(x);
  static const uint32_t tags[] = {1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 99999};
  k->kind = (int)(r % 6);
  k->tag = (r >> 3) & 1 ? tags[(r >> 4) % 10] : 1 + (uint32_t)((r >> 8) % 99999);
  uint64_t v = xorshift(x);
  unsigned digits = (unsigned)(v % 21);
  uint64_t mag = digits >= 20 ? v : (v >> 5) % (digits ? pow10_of(digits) : 1);
  if ((v >> 40) % 8 == 0) mag = 100000000 - 1 + (v >> 50) % 3; /* 10^8 - 1 .. 10^8 + 1 */
  int neg = (int)((v >> 63) & 1);
  k->u = mag;
  k->i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
  if ((v >> 44) % 16 == 0) k->i = (v >> 48) & 1 ? INT64_MIN : INT64_MAX;
  k->d.mant = (int64_t)(mag % pow10_of(1 + (unsigned)((v >> 20) % 10)));
  if (neg) k->d.mant = -k->d.mant;
  k->d.exp = (int32_t)((v >> 24) % 25) - 12; /* -12..12: the fast path's edges and past */
  if ((v >> 30) % 32 == 0) k->d.exp = (v >> 35) & 1 ? 19 : -19;
  k->c = (char)(v >> 8);
  if ((v >> 16) % 8 == 0) k->c = (v >> 19) & 1 ? FIXGW_SOH : 0;
  k->n = (size_t)((v >> 12) % 40);
  for (size_t j = 0; j < k->n; j++) sbuf[j] = (char)('!' + (v >> (j % 48)) % 90);
  if (k->n && (v >> 52) % 4 == 0) sbuf[(v >> 54) % k->n] = (v >> 60) & 1 ? FIXGW_SOH : 0;
  k->s = (v >> 58) % 16 == 0 ? NULL : sbuf;
  /* Any int64 (a sixteenth negative), precisions valid and not. */
  static const int precs[8] = {0, 3, 6, 9, 0, 9, 4, -1};
  uint64_t w = xorshift(x);
  k->ns = (int64_t)(w >> 1);
  if ((w & 15) == 0) k->ns = -k->ns - 1;
  k->prec = (fixgw_ts_precision)precs[(w >> 4) % 8];
}

/* The fast paths against the general ones: every random case from every
 * starting room (plenty, right at FIXGW__ENC_SLACK, below it, a byte
 * short of the field), with and without an earlier error, must give the
 * same code, position, sticky error and bytes. Strings come from a guard
 * page so no read strays past them. */
static void test_fast_paths_match(void **state) {
  (void)state;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  char sbuf[48];
  static const size_t rooms[] = {200, FIXGW__ENC_SLACK + 1, FIXGW__ENC_SLACK,
                                 FIXGW__ENC_SLACK - 1, 30, 20, 12, 8, 7};
  for (int round = 0; round < 20000; round++) {
    fast_case_t k;
    draw_case(&x, &k, sbuf);
    fixgw_guard_t g;
    const char *gs = k.s ? fixgw_guard_copy(&g, sbuf, k.n ? k.n : 1) : NULL;
    if (k.s) k.s = gs + (k.n ? 0 : 1);
    for (size_t ri = 0; ri < sizeof rooms / sizeof rooms[0]; ri++) {
      for (int pre_err = 0; pre_err < 2; pre_err++) {
        char ba[512], bb[512];
        memset(ba, 0x55, sizeof ba);
        memset(bb, 0x55, sizeof bb);
        fixgw_encoder_t ea, eb;
        /* cap leaves exactly rooms[ri] bytes after MsgType. */
        size_t cap = FIXGW_ENC_HEADROOM + 5 + rooms[ri];
        int ra = fixgw_enc_begin(&ea, ba, cap, "FIX.4.4", "8");
        int rb = fixgw_enc_begin(&eb, bb, cap, "FIX.4.4", "8");
        assert_int_equal(ra, rb);
        if (ra) continue;
        if (pre_err) {
          assert_int_equal(fixgw_enc_str(&ea, 58, "", 0), FIXGW_EINVAL);
          assert_int_equal(fixgw_enc_str(&eb, 58, "", 0), FIXGW_EINVAL);
        }
        ra = run_fast(&ea, &k);
        rb = run_general(&eb, &k);
        if (ra != rb || ea.pos != eb.pos || ea.err != eb.err || memcmp(ba, bb, ea.pos) != 0)
          fail_msg("round %d kind %d tag %u room %zu err %d: rc %d/%d pos %zu/%zu", round,
                   k.kind, k.tag, rooms[ri], pre_err, ra, rb, ea.pos, eb.pos);
        /* Nothing past cap; after an error nothing at all. */
        for (size_t j = cap; j < sizeof ba; j++) assert_int_equal(ba[j], 0x55);
        if (ra) assert_int_equal(ea.pos, FIXGW_ENC_HEADROOM + 5);
        const char *oa, *ob;
        size_t la, lb;
        ra = fixgw_enc_finish(&ea, &oa, &la);
        rb = fixgw_enc_finish(&eb, &ob, &lb);
        assert_int_equal(ra, rb);
        if (ra == 0) {
          assert_int_equal(la, lb);
          assert_memory_equal(oa, ob, la);
        }
      }
    }
    if (k.s) fixgw_guard_free(&g);
  }
}

/* The inline appenders with constant tags (the fast path when there is
 * room) in a message that ends in a buffer at a guard page: at every
 * capacity the same verdict and bytes as the general appenders, ENOSPC a
 * byte short of the need, and every failure sticky through finish. */
static int build_fast(fixgw_encoder_t *e, char *buf, size_t cap, int general) {
  static const fixgw_decimal_t px = {1872500, -4}, qty = {-1500, 0}, tiny = {7, -7};
  fixgw_enc_begin(e, buf, cap, "FIX.4.4", "8");
  if (general) {
    fixgw__enc_uint(e, 34, 12345678);
    fixgw__enc_str(e, 49, "BROKER-GW02", 11);
    fixgw__enc_cstr(e, 56, "BUYSIDE-OMS01-XYZ");
    fixgw__enc_char(e, 150, 'F');
    fixgw__enc_char(e, 43, 'Y');
    fixgw__enc_int(e, 5000, -99999999);
    fixgw__enc_decimal(e, 44, px);
    fixgw__enc_decimal(e, 38, qty);
    fixgw__enc_decimal(e, 99999, tiny);
    fixgw__enc_cstr(e, 55, "A");
  } else {
    fixgw_enc_uint(e, 34, 12345678);
    fixgw_enc_str(e, 49, "BROKER-GW02", 11);
    fixgw_enc_cstr(e, 56, "BUYSIDE-OMS01-XYZ");
    fixgw_enc_char(e, 150, 'F');
    fixgw_enc_bool(e, 43, true);
    fixgw_enc_int(e, 5000, -99999999);
    fixgw_enc_decimal(e, 44, px);
    fixgw_enc_decimal(e, 38, qty);
    fixgw_enc_decimal(e, 99999, tiny);
    fixgw_enc_cstr(e, 55, "A");
  }
  return e->err;
}

static void test_fast_paths_capacity(void **state) {
  (void)state;
  char big[512], ref[512];
  fixgw_encoder_t e;
  const char *out, *rout;
  size_t full, rlen;
  assert_int_equal(build_fast(&e, ref, sizeof ref, 1), 0);
  assert_int_equal(fixgw_enc_finish(&e, &rout, &rlen), 0);
  assert_int_equal(build_fast(&e, big, sizeof big, 0), 0);
  assert_int_equal(fixgw_enc_finish(&e, &out, &full), 0);
  assert_int_equal(full, rlen);
  assert_memory_equal(out, rout, rlen);
  size_t need = (size_t)(out - big) + full;
  for (size_t cap = 0; cap <= need + FIXGW__ENC_SLACK; cap++) {
    fixgw_guard_t g;
    char *d = fixgw_guard_copy(&g, big, cap);
    int rc = build_fast(&e, d, cap, 0);
    size_t len = 0;
    if (!rc) rc = fixgw_enc_finish(&e, &out, &len);
    if (cap >= need) {
      assert_int_equal(rc, 0);
      assert_int_equal(len, rlen);
      assert_memory_equal(out, rout, rlen);
    } else {
      assert_int_equal(rc, FIXGW_ENOSPC);
    }
    fixgw_guard_free(&g);
  }
}

/* Each inline appender's refusals with a constant tag and room to spare:
 * the code, no byte moved, and the error sticky through later fast-path
 * appends and finish. */
static void test_fast_paths_sticky(void **state) {
  (void)state;
  char buf[256];
  fixgw_encoder_t e;
  const char *out;
  size_t len;
  const char *null_str = NULL;
  for (int c = 0; c < 9; c++) {
    fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "8");
    assert_int_equal(fixgw_enc_uint(&e, 34, 1), 0);
    size_t pos = e.pos;
    int rc;
    switch (c) {
      case 0: rc = fixgw_enc_str(&e, 58, "ab\x01", 3); break;
      case 1: rc = fixgw_enc_str(&e, 58, "abc", 0); break;
      case 2: rc = fixgw_enc_str(&e, 58, null_str, 3); break;
      case 3: rc = fixgw_enc_cstr(&e, 58, null_str); break;
      case 4: rc = fixgw_enc_cstr(&e, 58, "0123456789abcde\x01"); break;
      case 5: rc = fixgw_enc_char(&e, 54, FIXGW_SOH); break;
      case 6: rc = fixgw_enc_char(&e, 54, 0); break;
      case 7: rc = fixgw_enc_decimal(&e, 44, (fixgw_decimal_t){1, -19}); break;
      default: rc = fixgw_enc_uint(&e, 0, 1); break;
    }
    assert_int_equal(rc, FIXGW_EINVAL);
    assert_int_equal(e.pos, pos);
    assert_int_equal(fixgw_enc_uint(&e, 34, 2), FIXGW_EINVAL);
    assert_int_equal(fixgw_enc_int(&e, 5000, -2), FIXGW_EINVAL);
    assert_int_equal(fixgw_enc_decimal(&e, 44, (fixgw_decimal_t){15, -1}), FIXGW_EINVAL);
    assert_int_equal(fixgw_enc_char(&e, 54, '1'), FIXGW_EINVAL);
    assert_int_equal(fixgw_enc_bool(&e, 43, false), FIXGW_EINVAL);
    assert_int_equal(fixgw_enc_cstr(&e, 55, "AAPL"), FIXGW_EINVAL);
    assert_int_equal(fixgw_enc_str(&e, 55, "AAPL", 4), FIXGW_EINVAL);
    assert_int_equal(e.pos, pos);
    assert_int_equal(fixgw_enc_finish(&e, &out, &len), FIXGW_EINVAL);
  }
  /* An encoder never begun (zeroed) has no room: ENOSPC, not a write. */
  memset(&e, 0, sizeof e);
  assert_int_equal(fixgw_enc_uint(&e, 34, 1), FIXGW_ENOSPC);
  assert_int_equal(fixgw_enc_char(&e, 54, '1'), FIXGW_ENOSPC);
  /* NULL encoder. */
  assert_int_equal(fixgw_enc_uint(NULL, 34, 1), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_cstr(NULL, 55, "AAPL"), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_decimal(NULL, 44, (fixgw_decimal_t){1, 0}), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_char(NULL, 54, '1'), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_int(NULL, 5000, 1), FIXGW_EINVAL);
}

/* Times of day and timestamps at every precision against an independent
 * rendering (gmtime_r and printf), through the encoder (inline and
 * general), timeonly and both formatting helpers: random instants over
 * all of int64 ns (1970..2262) and the edges of a day and of a second. */
static void expect_time(int64_t ns, fixgw_ts_precision prec, char *date, char *tod) {
  time_t sec = (time_t)(ns / 1000000000LL);
  struct tm tm;
  assert_non_null(gmtime_r(&sec, &tm));
  char frac[16];
  snprintf(frac, sizeof frac, ".%09lld", (long long)(ns % 1000000000LL));
  frac[prec ? 1 + (int)prec : 0] = 0;
  snprintf(date, 40, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  snprintf(tod, 64, "%02d:%02d:%02d%s", tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static const char *field_value(const char *msg, size_t len, const char *tageq, size_t *n) {
  size_t tl = strlen(tageq);
  for (size_t i = 0; i + tl < len; i++) {
    if (msg[i] == FIXGW_SOH && memcmp(msg + i + 1, tageq, tl) == 0) {
      const char *v = msg + i + 1 + tl;
      const char *end = memchr(v, FIXGW_SOH, len - (size_t)(v - msg));
      *n = end ? (size_t)(end - v) : 0;
      return v;
    }
  }
  *n = 0;
  return "";
}

static void test_time_text(void **state) {
  (void)state;
  static const fixgw_ts_precision precs[4] = {FIXGW_TS_SECONDS, FIXGW_TS_MILLIS,
                                              FIXGW_TS_MICROS, FIXGW_TS_NANOS};
  const int64_t day = 86400LL * 1000000000LL;
  uint64_t x = 0xD1B54A32D192ED03ULL;
  for (int round = 0; round < 40000; round++) {
    uint64_t r = xorshift(&x);
    int64_t ns = (int64_t)(r >> 1);
    switch (round % 8) {
      case 0: ns = ns / day * day; break;              /* midnight */
      case 1: if (ns >= day) ns = ns / day * day - 1; break; /* a day's last ns */
      case 2: ns = ns / 1000000000LL * 1000000000LL; break;
      case 3: ns = ns / 1000000000LL * 1000000000LL + 999999999; break;
      default: break;
    }
    fixgw_ts_precision prec = precs[(r >> 60) % 4];
    char date[40], tod[64], want[128], got[128];
    expect_time(ns, prec, date, tod);
    char buf[256];
    fixgw_encoder_t e;
    fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "0");
    assert_int_equal(fixgw_enc_timestamp(&e, 52, ns, prec), 0);
    assert_int_equal(fixgw__enc_timestamp(&e, 60, ns, prec), 0); /* the general path */
    assert_int_equal(fixgw_enc_timeonly(&e, 273, ns % day, prec), 0);
    assert_int_equal(fixgw_enc_cstr(&e, 58, "x"), 0);
    const char *out;
    size_t len, n;
    assert_int_equal(fixgw_enc_finish(&e, &out, &len), 0);
    snprintf(want, sizeof want, "%s-%s", date, tod);
    const char *v = field_value(out, len, "52=", &n);
    if (n != strlen(want) || memcmp(v, want, n) != 0)
      fail_msg("ns %lld prec %d: 52=%.*s, want %s", (long long)ns, (int)prec, (int)n, v, want);
    v = field_value(out, len, "60=", &n);
    if (n != strlen(want) || memcmp(v, want, n) != 0)
      fail_msg("ns %lld prec %d: 60=%.*s, want %s", (long long)ns, (int)prec, (int)n, v, want);
    v = field_value(out, len, "273=", &n);
    if (n != strlen(tod) || memcmp(v, tod, n) != 0)
      fail_msg("ns %lld prec %d: 273=%.*s, want %s", (long long)ns, (int)prec, (int)n, v, tod);
    v = field_value(out, len, "58=", &n);
    assert_true(n == 1 && v[0] == 'x');
    assert_int_equal(fixgw_timestamp_format(ns, prec, got, sizeof got), (int)strlen(want));
    assert_string_equal(got, want);
    snprintf(want, sizeof want, "%.4s-%.2s-%.2sT%sZ", date, date + 4, date + 6, tod);
    assert_int_equal(fixgw_timestamp_format_iso8601(ns, prec, got, sizeof got),
                     (int)strlen(want));
    assert_string_equal(got, want);
  }
}

/* fixgw_enc_begin's verdicts against strlen and memchr (what it scanned
 * with before), for BeginStrings and MsgTypes of every length near the
 * limits with an SOH anywhere, each read from a guard page so no scan
 * strays past its NUL; and the bytes at the exact capacity and a byte
 * short. */
static void test_begin_arguments(void **state) {
  (void)state;
  char buf[128], ref[128], bs[16], mt[16];
  for (size_t bl = 0; bl <= 10; bl++) {
    for (size_t ml = 0; ml <= 5; ml++) {
      for (size_t soh = 0; soh <= bl + ml; soh++) { /* bl + ml: no SOH */
        for (size_t i = 0; i < bl; i++) bs[i] = (char)('A' + i);
        for (size_t i = 0; i < ml; i++) mt[i] = (char)('a' + i);
        if (soh < bl) bs[soh] = FIXGW_SOH;
        else if (soh < bl + ml) mt[soh - bl] = FIXGW_SOH;
        bs[bl] = mt[ml] = '\0';
        int bad = bl == 0 || bl > 8 || ml == 0 || memchr(bs, FIXGW_SOH, bl) ||
                  memchr(mt, FIXGW_SOH, ml);
        fixgw_guard_t gb, gm;
        const char *qb = fixgw_guard_copy(&gb, bs, bl + 1);
        const char *qm = fixgw_guard_copy(&gm, mt, ml + 1);
        size_t need = FIXGW_ENC_HEADROOM + 3 + ml + 1 + FIXGW_ENC_TRAILER;
        for (size_t cap = need - 1; cap <= need; cap++) {
          fixgw_encoder_t e;
          int rc = fixgw_enc_begin(&e, buf, cap, qb, qm);
          int want = bad ? FIXGW_EINVAL : cap < need ? FIXGW_ENOSPC : 0;
          if (rc != want)
            fail_msg("bs len %zu, msgtype len %zu, soh %zu, cap %zu: %s", bl, ml, soh, cap,
                     fixgw_err_name(rc));
          const char *out;
          size_t len;
          assert_int_equal(fixgw_enc_finish(&e, &out, &len), want);
          if (want) continue;
          char body[32];
          snprintf(body, sizeof body, "35=%s|", mt);
          size_t rl = fixmsg(ref, sizeof ref, bs, body);
          assert_int_equal(len, rl);
          assert_memory_equal(out, ref, rl);
        }
        fixgw_guard_free(&gb);
        fixgw_guard_free(&gm);
      }
    }
  }
  fixgw_encoder_t e;
  assert_int_equal(fixgw_enc_begin(&e, buf, sizeof buf, NULL, "D"), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_begin(NULL, buf, sizeof buf, "FIX.4.4", "D"), FIXGW_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_date_and_time_only), cmocka_unit_test(test_timestamp_day_changes),
      cmocka_unit_test(test_exact_bytes),   cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_every_capacity), cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_checksum_sizes), cmocka_unit_test(test_word_paths),
      cmocka_unit_test(test_fast_paths_match), cmocka_unit_test(test_fast_paths_capacity),
      cmocka_unit_test(test_fast_paths_sticky), cmocka_unit_test(test_time_text),
      cmocka_unit_test(test_begin_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
