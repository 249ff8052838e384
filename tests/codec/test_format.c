/* The encoder's group builder (NumInGroup counted from the entries), the
 * formatting helpers (decimal, FIX timestamp, ISO 8601) and the view
 * helpers (MsgType comparison, field to fixgw_str_t). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/codec.h"
#include "harness.h"

static char buf[4096];

/* The encoded message's body as '|' text between "35=..|" and "10=". */
static const char *body_of(const char *out, size_t n) {
  static char t[4096];
  const char *b = strstr(out, "\x01" "35=");
  assert_non_null(b);
  size_t k = 0;
  for (const char *q = b + 1; q < out + n - 7; q++) t[k++] = *q == '\x01' ? '|' : *q;
  t[k] = 0;
  return t;
}

static void parse_ok(const char *out, size_t n) {
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  fixgw_guard_t g;
  const char *d = fixgw_guard_copy(&g, out, n);
  fixgw_msg_t m;
  size_t used;
  assert_int_equal(fixgw_parse(&p, d, n, &used, &m, NULL), 0);
  assert_int_equal(used, n);
  fixgw_guard_free(&g);
  fixgw_parser_destroy(&p);
}

static void test_group_counts_entries(void **state) {
  (void)state;
  fixgw_encoder_t e;
  const char *out;
  size_t n;
  for (uint32_t entries = 0; entries <= 12; entries++) {
    assert_int_equal(fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W"), 0);
    fixgw_enc_cstr(&e, 55, "ES");
    fixgw_enc_group_t g;
    assert_int_equal(fixgw_enc_group_begin(&e, &g, 268, 269), 0);
    for (uint32_t i = 0; i < entries; i++) {
      assert_int_equal(fixgw_enc_group_entry(&e, &g), 0);
      fixgw_enc_char(&e, 269, '0');
      fixgw_enc_uint(&e, 270, i);
      if (i == 1) { /* a nested group inside one entry */
        fixgw_enc_group_t h;
        assert_int_equal(fixgw_enc_group_begin(&e, &h, 453, 448), 0);
        for (int k = 0; k < 2; k++) {
          assert_int_equal(fixgw_enc_group_entry(&e, &h), 0);
          fixgw_enc_cstr(&e, 448, "P");
        }
        assert_int_equal(fixgw_enc_group_end(&e, &h), 0);
        assert_int_equal(h.count, 2);
      }
    }
    assert_int_equal(fixgw_enc_group_end(&e, &g), 0);
    assert_int_equal(g.count, entries);
    fixgw_enc_cstr(&e, 58, "end");
    assert_int_equal(fixgw_enc_finish(&e, &out, &n), 0);
    char want[1024];
    int k = snprintf(want, sizeof want, "35=W|55=ES|268=%u|", entries);
    for (uint32_t i = 0; i < entries; i++) {
      k += snprintf(want + k, sizeof want - (size_t)k, "269=0|270=%u|", i);
      if (i == 1) k += snprintf(want + k, sizeof want - (size_t)k, "453=2|448=P|448=P|");
    }
    snprintf(want + k, sizeof want - (size_t)k, "58=end|");
    assert_string_equal(body_of(out, n), want);
    parse_ok(out, n);
  }
}

static void test_group_errors_are_sticky(void **state) {
  (void)state;
  fixgw_encoder_t e;
  fixgw_enc_group_t g;
  const char *out;
  size_t n;
  /* An entry that does not start with the delimiter. */
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  fixgw_enc_group_begin(&e, &g, 268, 269);
  fixgw_enc_group_entry(&e, &g);
  fixgw_enc_char(&e, 270, '1');
  assert_int_equal(fixgw_enc_group_end(&e, &g), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_finish(&e, &out, &n), FIXGW_EINVAL);
  /* An empty entry. */
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  fixgw_enc_group_begin(&e, &g, 268, 269);
  fixgw_enc_group_entry(&e, &g);
  assert_int_equal(fixgw_enc_group_entry(&e, &g), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_finish(&e, &out, &n), FIXGW_EINVAL);
  /* A delimiter whose digits prefix the entry's tag is not it. */
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  fixgw_enc_group_begin(&e, &g, 268, 26);
  fixgw_enc_group_entry(&e, &g);
  fixgw_enc_char(&e, 269, '1');
  assert_int_equal(fixgw_enc_group_end(&e, &g), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_finish(&e, &out, &n), FIXGW_EINVAL);
  /* Bad tags, a second end, entry without begin. */
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  assert_int_equal(fixgw_enc_group_begin(&e, &g, 0, 269), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_finish(&e, &out, &n), FIXGW_EINVAL);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  assert_int_equal(fixgw_enc_group_begin(&e, &g, 268, 0), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_finish(&e, &out, &n), FIXGW_EINVAL);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  assert_int_equal(fixgw_enc_group_begin(&e, NULL, 268, 269), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_finish(&e, &out, &n), FIXGW_EINVAL);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  fixgw_enc_group_begin(&e, &g, 268, 269);
  assert_int_equal(fixgw_enc_group_end(&e, &g), 0);
  assert_int_equal(fixgw_enc_group_end(&e, &g), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_finish(&e, &out, &n), FIXGW_EINVAL);
  fixgw_enc_group_t zero;
  memset(&zero, 0, sizeof zero);
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  assert_int_equal(fixgw_enc_group_entry(&e, &zero), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_finish(&e, &out, &n), FIXGW_EINVAL);
  /* No room for the reserved count. */
  char small[40];
  fixgw_enc_begin(&e, small, sizeof small, "FIX.4.4", "W");
  assert_int_equal(fixgw_enc_group_begin(&e, &g, 268, 269), FIXGW_ENOSPC);
  assert_int_equal(fixgw_enc_finish(&e, &out, &n), FIXGW_ENOSPC);
  /* After an earlier error every call returns it. */
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  fixgw_enc_str(&e, 58, "", 0);
  assert_int_equal(fixgw_enc_group_begin(&e, &g, 268, 269), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_group_entry(&e, &g), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_group_end(&e, &g), FIXGW_EINVAL);
  assert_int_equal(fixgw_enc_group_begin(NULL, &g, 268, 269), FIXGW_EINVAL);
}

static void check_dec(int64_t mant, int32_t exp, const char *want) {
  char out[FIXGW_DECIMAL_STRLEN];
  fixgw_decimal_t d = {mant, exp};
  int rc = fixgw_decimal_format(d, out, sizeof out);
  if (rc < 0) fail_msg("{%lld, %d}: %s", (long long)mant, exp, fixgw_err_name(rc));
  assert_string_equal(out, want);
  assert_int_equal(rc, strlen(want));
  /* Same text as the encoder writes, and it reads back the same. */
  fixgw_encoder_t e;
  const char *o;
  size_t n;
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "0");
  fixgw_enc_decimal(&e, 44, d);
  assert_int_equal(fixgw_enc_finish(&e, &o, &n), 0);
  char field[64];
  snprintf(field, sizeof field, "\x01" "44=%s\x01", want);
  assert_non_null(strstr(o, field));
  size_t digits = 0;
  for (const char *q = want; *q; q++) digits += *q >= '0' && *q <= '9';
  if (digits <= 18) { /* what fixgw_to_decimal reads */
    fixgw_decimal_t back;
    assert_int_equal(fixgw_to_decimal(out, (size_t)rc, &back), 0);
    assert_int_equal(fixgw_decimal_cmp(back, d), 0);
  }
}

static void test_decimal_format(void **state) {
  (void)state;
  check_dec(123450, -3, "123.450");
  check_dec(5, 2, "500");
  check_dec(-5, -3, "-0.005");
  check_dec(0, 0, "0");
  check_dec(0, -2, "0.00");
  check_dec(7, 0, "7");
  check_dec(INT64_MAX, -18, "9.223372036854775807");
  check_dec(INT64_MIN, 0, "-9223372036854775808");
  check_dec(INT64_MIN, -19 + 1, "-9.223372036854775808");
  check_dec(-1, 18, "-1000000000000000000");
  char out[FIXGW_DECIMAL_STRLEN];
  fixgw_decimal_t big = {INT64_MIN, 18}; /* the longest text */
  int rc = fixgw_decimal_format(big, out, sizeof out);
  assert_true(rc > 0 && (size_t)rc < sizeof out);
  fixgw_decimal_t d = {123, -1};
  assert_int_equal(fixgw_decimal_format(d, out, 4), FIXGW_ENOSPC); /* "12.3" + NUL */
  assert_int_equal(out[0], 0);
  assert_int_equal(fixgw_decimal_format(d, out, 5), 4);
  assert_int_equal(fixgw_decimal_format(d, out, 0), FIXGW_ENOSPC);
  assert_int_equal(fixgw_decimal_format(d, NULL, 5), FIXGW_EINVAL);
  d.exp = 19;
  assert_int_equal(fixgw_decimal_format(d, out, sizeof out), FIXGW_EINVAL);
  d.exp = -19;
  assert_int_equal(fixgw_decimal_format(d, out, sizeof out), FIXGW_EINVAL);
}

static void check_ts(int64_t ns, fixgw_ts_precision prec, const char *fix, const char *iso) {
  char out[FIXGW_TIMESTAMP_STRLEN];
  int rc = fixgw_timestamp_format(ns, prec, out, sizeof out);
  assert_int_equal(rc, strlen(fix));
  assert_string_equal(out, fix);
  rc = fixgw_timestamp_format_iso8601(ns, prec, out, sizeof out);
  assert_int_equal(rc, strlen(iso));
  assert_string_equal(out, iso);
  /* The FIX text reads back to ns truncated at the precision. */
  static const int64_t unit[10] = {1000000000, 0, 0, 1000000, 0, 0, 1000, 0, 0, 1};
  int64_t back, u = unit[prec], want = ns / u * u - (ns % u < 0 ? u : 0);
  if (ns >= -106751LL * 86400 * 1000000000LL) { /* what fixgw_to_timestamp takes */
    assert_int_equal(fixgw_to_timestamp(fix, strlen(fix), &back), 0);
    assert_int_equal(back, want);
  }
}

static void test_timestamp_format(void **state) {
  (void)state;
  const int64_t t = 1710513015123456789LL; /* 2024-03-15 14:30:15.123456789 */
  check_ts(t, FIXGW_TS_NANOS, "20240315-14:30:15.123456789", "2024-03-15T14:30:15.123456789Z");
  check_ts(t, FIXGW_TS_MICROS, "20240315-14:30:15.123456", "2024-03-15T14:30:15.123456Z");
  check_ts(t, FIXGW_TS_MILLIS, "20240315-14:30:15.123", "2024-03-15T14:30:15.123Z");
  check_ts(t, FIXGW_TS_SECONDS, "20240315-14:30:15", "2024-03-15T14:30:15Z");
  check_ts(0, FIXGW_TS_MILLIS, "19700101-00:00:00.000", "1970-01-01T00:00:00.000Z");
  check_ts(951782400LL * 1000000000LL, FIXGW_TS_SECONDS, "20000229-00:00:00",
           "2000-02-29T00:00:00Z");
  check_ts(-1, FIXGW_TS_NANOS, "19691231-23:59:59.999999999", "1969-12-31T23:59:59.999999999Z");
  check_ts(-1, FIXGW_TS_SECONDS, "19691231-23:59:59", "1969-12-31T23:59:59Z");
  check_ts(INT64_MAX, FIXGW_TS_NANOS, "22620411-23:47:16.854775807",
           "2262-04-11T23:47:16.854775807Z");
  check_ts(INT64_MIN, FIXGW_TS_NANOS, "16770921-00:12:43.145224192",
           "1677-09-21T00:12:43.145224192Z");
  /* Same text as the encoder. */
  fixgw_encoder_t e;
  const char *o;
  size_t n;
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "0");
  fixgw_enc_timestamp(&e, 52, t, FIXGW_TS_MICROS);
  assert_int_equal(fixgw_enc_finish(&e, &o, &n), 0);
  assert_non_null(strstr(o, "\x01" "52=20240315-14:30:15.123456\x01"));

  char out[FIXGW_TIMESTAMP_STRLEN];
  assert_int_equal(fixgw_timestamp_format(t, FIXGW_TS_MILLIS, out, 21), FIXGW_ENOSPC);
  assert_int_equal(fixgw_timestamp_format(t, FIXGW_TS_MILLIS, out, 22), 21);
  assert_int_equal(fixgw_timestamp_format_iso8601(t, FIXGW_TS_MILLIS, out, 24), FIXGW_ENOSPC);
  assert_int_equal(fixgw_timestamp_format_iso8601(t, FIXGW_TS_MILLIS, out, 25), 24);
  assert_int_equal(fixgw_timestamp_format(t, (fixgw_ts_precision)2, out, sizeof out),
                   FIXGW_EINVAL);
  assert_int_equal(fixgw_timestamp_format_iso8601(t, (fixgw_ts_precision)5, out, sizeof out),
                   FIXGW_EINVAL);
  assert_int_equal(fixgw_timestamp_format(t, FIXGW_TS_MILLIS, NULL, 64), FIXGW_EINVAL);
}

static void test_views(void **state) {
  (void)state;
  fixgw_encoder_t e;
  const char *o;
  size_t n;
  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "AE");
  fixgw_enc_cstr(&e, 58, "hello");
  assert_int_equal(fixgw_enc_finish(&e, &o, &n), 0);
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  fixgw_guard_t g;
  const char *d = fixgw_guard_copy(&g, o, n);
  fixgw_msg_t m;
  size_t used;
  assert_int_equal(fixgw_parse(&p, d, n, &used, &m, NULL), 0);
  assert_true(fixgw_msgtype_is(&m, "AE"));
  assert_false(fixgw_msgtype_is(&m, "A"));
  assert_false(fixgw_msgtype_is(&m, "AEX"));
  assert_false(fixgw_msgtype_is(&m, ""));
  assert_false(fixgw_msgtype_is(&m, "D"));
  fixgw_str_t s = fixgw_field_str(fixgw_msg_find(&m, 58));
  assert_int_equal(s.len, 5);
  assert_memory_equal(s.ptr, "hello", 5);
  assert_true(fixgw_str_eq_cstr(s, "hello"));
  assert_false(fixgw_str_eq_cstr(s, "hell"));
  fixgw_str_t nul = {"a\0b", 3};
  assert_false(fixgw_str_eq_cstr(nul, "a")); /* stops at the C string's end */
  fixgw_str_t empty = {"", 0};
  assert_true(fixgw_str_eq_cstr(empty, ""));
  fixgw_guard_free(&g);
  fixgw_parser_destroy(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_group_counts_entries),
      cmocka_unit_test(test_group_errors_are_sticky),
      cmocka_unit_test(test_decimal_format),
      cmocka_unit_test(test_timestamp_format),
      cmocka_unit_test(test_views),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
