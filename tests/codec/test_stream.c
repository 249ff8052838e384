/* The stream as a whole: a valid message inside a frame whose CheckSum
 * fails is not lost, zero-padded BodyLength, garbage runs that span many
 * reads are one error, and the end-of-stream call classifies the tail.
 * Every input sits right before a guard page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/codec.h"
#include "fixmsg.h"
#include "harness.h"

static size_t unhex(const char *hex, char *out) {
  size_t n = strlen(hex) / 2;
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    out[i] = (char)v;
  }
  return n;
}

/* Parse all of s[0..n) in one buffer; collect the MsgSeqNum (34) of each
 * message, and the error codes. Returns the number of messages. */
typedef struct got {
  int nmsg, nerr;
  char seq[16][16];
  int codes[16];
  size_t pending;
} got_t;

static void run(fixgw_parser_t *p, const char *s, size_t n, got_t *r) {
  memset(r, 0, sizeof *r);
  fixgw_guard_t g;
  const char *d = fixgw_guard_copy(&g, s, n);
  size_t at = 0;
  while (at < n) {
    fixgw_msg_t m;
    fixgw_parse_error_t err;
    size_t used;
    int rc = fixgw_parse(p, d + at, n - at, &used, &m, &err);
    if (rc == FIXGW_EAGAIN) {
      r->pending = n - at;
      break;
    }
    if (rc == 0) {
      const fixgw_field_t *f = fixgw_msg_find(&m, 34);
      assert_non_null(f);
      if (r->nmsg < 16) snprintf(r->seq[r->nmsg], 16, "%.*s", (int)f->len, f->val);
      r->nmsg++;
    } else {
      assert_true(used >= 1);
      if (r->nerr < 16) r->codes[r->nerr] = rc;
      r->nerr++;
    }
    at += used;
  }
  fixgw_guard_free(&g);
}

/* Issue 12's reproducer: a frame whose BodyLength reaches exactly to G1's
 * trailer fails its CheckSum; G1 inside it and G2 after it both come out. */
static void test_checksum_failure_resyncs_inside_frame(void **state) {
  (void)state;
  static const char hex[] =
      "383d4649582e342e3401393d34320133353d300133343d310131303d31373001383d4649582e342e3401"
      "393d31300133353d300133343d320131303d31363601383d4649582e342e3401393d31300133353d30"
      "0133343d330131303d31363701";
  char s[256];
  size_t n = unhex(hex, s);
  fixgw_scan_impl impls[] = {FIXGW_SCAN_SCALAR, FIXGW_SCAN_SSE2, FIXGW_SCAN_AVX2};
  for (size_t k = 0; k < 3; k++) {
    fixgw_parser_config_t cfg;
    fixgw_parser_config_default(&cfg);
    cfg.scan = impls[k];
    fixgw_parser_t p;
    if (fixgw_parser_init(&p, &cfg) != 0) continue; /* kernel not on this CPU */
    got_t r;
    run(&p, s, n, &r);
    assert_int_equal(r.nerr, 1);
    assert_int_equal(r.codes[0], FIXGW_ECHECKSUM);
    assert_int_equal(r.nmsg, 2);
    assert_string_equal(r.seq[0], "2"); /* G1 */
    assert_string_equal(r.seq[1], "3"); /* G2 */
    assert_int_equal(r.pending, 0);
    assert_int_equal(p.stats.messages, 2);
    assert_int_equal(p.stats.rejected, 1);
    /* Only the bytes before G1 were dropped. */
    assert_int_equal(p.stats.bytes_skipped, 32);
    fixgw_parser_destroy(&p);
  }
}

/* A CheckSum mismatch with no message inside still drops just its frame. */
static void test_checksum_failure_drops_frame(void **state) {
  (void)state;
  char a[256], b[256], s[512];
  size_t an = fixmsg(a, sizeof a, "FIX.4.4", "35=0|34=1|");
  size_t bn = fixmsg(b, sizeof b, "FIX.4.4", "35=0|34=2|");
  a[an - 2] = a[an - 2] == '9' ? '0' : (char)(a[an - 2] + 1);
  memcpy(s, a, an);
  memcpy(s + an, b, bn);
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  got_t r;
  run(&p, s, an + bn, &r);
  assert_int_equal(r.nerr, 1);
  assert_int_equal(r.codes[0], FIXGW_ECHECKSUM);
  assert_int_equal(r.nmsg, 1);
  assert_string_equal(r.seq[0], "2");
  assert_int_equal(p.stats.bytes_skipped, an);
  fixgw_parser_destroy(&p);
}

/* Issue 12's reproducer: BodyLength "05" is 5. */
static void test_bodylength_leading_zeros(void **state) {
  (void)state;
  char s[128];
  size_t n = unhex("383d4649582e342e3401393d30350133353d300131303d32313101", s);
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  fixgw_guard_t g;
  const char *d = fixgw_guard_copy(&g, s, n);
  fixgw_msg_t m;
  size_t used;
  fixgw_parse_error_t err;
  int rc = fixgw_parse(&p, d, n, &used, &m, &err);
  if (rc) fail_msg("9=05: %s at %zu", fixgw_err_name(rc), err.offset);
  assert_int_equal(used, n);
  assert_int_equal(m.body_length, 5);
  assert_int_equal(m.fields[1].len, 2);
  assert_true(fixgw_msgtype_is(&m, "0"));
  fixgw_guard_free(&g);

  /* Many zeros, and the same message cut short on every byte: EAGAIN. */
  char body[] = "35=0|34=1|";
  char t[128];
  int h = snprintf(t, sizeof t, "8=FIX.4.4\x01" "9=%s%zu\x01", "000000000000", strlen(body));
  for (size_t i = 0; body[i]; i++) t[h + (int)i] = body[i] == '|' ? '\x01' : body[i];
  size_t tn = (size_t)h + strlen(body);
  tn += (size_t)snprintf(t + tn, sizeof t - tn, "10=%03u\x01", fixgw_checksum(t, tn));
  for (size_t cut = 1; cut <= tn; cut++) {
    d = fixgw_guard_copy(&g, t, cut);
    fixgw_parser_reset(&p);
    rc = fixgw_parse(&p, d, cut, &used, &m, &err);
    if (cut < tn && rc != FIXGW_EAGAIN) fail_msg("cut %zu: %s", cut, fixgw_err_name(rc));
    if (cut == tn && rc != 0) fail_msg("whole: %s", fixgw_err_name(rc));
    fixgw_guard_free(&g);
  }
  /* Every width from 1 to 15 digits (the word-wide path takes 1-7, the
   * byte loop the rest), with the digits one word holds and more. */
  for (int zeros = 0; zeros <= 13; zeros++) {
    h = snprintf(t, sizeof t, "8=FIX.4.4\x01" "9=%.*s%zu\x01", zeros, "0000000000000",
                 strlen(body));
    for (size_t i = 0; body[i]; i++) t[h + (int)i] = body[i] == '|' ? '\x01' : body[i];
    tn = (size_t)h + strlen(body);
    tn += (size_t)snprintf(t + tn, sizeof t - tn, "10=%03u\x01", fixgw_checksum(t, tn));
    d = fixgw_guard_copy(&g, t, tn);
    fixgw_parser_reset(&p);
    rc = fixgw_parse(&p, d, tn, &used, &m, &err);
    if (rc || used != tn || m.body_length != strlen(body))
      fail_msg("%d leading zeros: %s", zeros, fixgw_err_name(rc));
    fixgw_guard_free(&g);
  }
  /* 16 digits are refused, however many are zeros. */
  char u[64];
  size_t un = (size_t)snprintf(u, sizeof u, "8=FIX.4.4\x01" "9=0000000000000005\x01" "35=0\x01");
  d = fixgw_guard_copy(&g, u, un);
  fixgw_parser_reset(&p);
  assert_int_equal(fixgw_parse(&p, d, un, &used, &m, &err), FIXGW_EBODYLENGTH);
  fixgw_guard_free(&g);
  fixgw_parser_destroy(&p);
}

/* 10 MiB without SOH or "8=FIX", read in 4 KiB pieces, then a message:
 * one error, counted once; the pieces after the first say they continue. */
static void test_garbage_run_is_one_error(void **state) {
  (void)state;
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  const size_t total = 10u << 20, piece = 4096;
  char *junk = malloc(piece);
  assert_non_null(junk);
  for (size_t i = 0; i < piece; i++) junk[i] = (char)('a' + i % 7); /* never '8' */
  fixgw_guard_t g;
  const char *d = fixgw_guard_copy(&g, junk, piece);
  uint64_t errors = 0, continued = 0;
  for (size_t done = 0; done < total; done += piece) {
    size_t at = 0;
    while (at < piece) {
      fixgw_msg_t m;
      fixgw_parse_error_t err;
      size_t used;
      int rc = fixgw_parse(&p, d + at, piece - at, &used, &m, &err);
      assert_int_equal(rc, FIXGW_EBEGINSTRING);
      assert_int_equal(err.code, rc);
      errors++;
      continued += err.continued;
      assert_int_equal(err.continued, done > 0 || at > 0);
      at += used;
    }
  }
  fixgw_guard_free(&g);
  assert_int_equal(errors, total / piece);
  assert_int_equal(continued, errors - 1);
  assert_int_equal(p.stats.rejected, 1);
  assert_int_equal(p.stats.bytes_skipped, total);

  /* A message ends the run; garbage after it is a new error. */
  char s[256];
  size_t n = fixmsg(s, sizeof s, "FIX.4.4", "35=0|34=9|");
  memcpy(s + n, "zz", 2);
  d = fixgw_guard_copy(&g, s, n + 2);
  fixgw_msg_t m;
  fixgw_parse_error_t err;
  size_t used;
  assert_int_equal(fixgw_parse(&p, d, n + 2, &used, &m, &err), 0);
  assert_int_equal(fixgw_parse(&p, d + used, 2, &used, &m, &err), FIXGW_EBEGINSTRING);
  assert_int_equal(err.continued, 0);
  assert_int_equal(p.stats.rejected, 2);
  fixgw_guard_free(&g);

  /* A run that ends in a prefix of "8=FIX" continues when the prefix
   * turns out to be garbage too; a real start after it ends the run. */
  fixgw_parser_reset(&p);
  d = fixgw_guard_copy(&g, "xxx8=F", 6);
  assert_int_equal(fixgw_parse(&p, d, 6, &used, &m, &err), FIXGW_EBEGINSTRING);
  assert_int_equal(used, 3);
  assert_int_equal(fixgw_parse(&p, d + 3, 3, &used, &m, &err), FIXGW_EAGAIN);
  fixgw_guard_free(&g);
  d = fixgw_guard_copy(&g, "8=Fyy", 5);
  assert_int_equal(fixgw_parse(&p, d, 5, &used, &m, &err), FIXGW_EBEGINSTRING);
  assert_int_equal(err.continued, 1);
  assert_int_equal(p.stats.rejected, 3);
  fixgw_guard_free(&g);
  /* A bad frame that ends at a proven boundary opens no run. */
  fixgw_parser_reset(&p);
  n = fixmsg(s, sizeof s, "FIX.4.4", "35=0|049=x|");
  d = fixgw_guard_copy(&g, s, n);
  assert_int_equal(fixgw_parse(&p, d, n, &used, &m, &err), FIXGW_ETAG);
  fixgw_guard_free(&g);
  d = fixgw_guard_copy(&g, "qq", 2);
  assert_int_equal(fixgw_parse(&p, d, 2, &used, &m, &err), FIXGW_EBEGINSTRING);
  assert_int_equal(err.continued, 0);
  fixgw_guard_free(&g);
  free(junk);
  fixgw_parser_destroy(&p);
}

static int end_of(fixgw_parser_t *p, const char *s, size_t n, fixgw_parse_error_t *err) {
  fixgw_guard_t g;
  const char *d = fixgw_guard_copy(&g, n ? s : "", n);
  int rc = fixgw_parse_end(p, d, n, err);
  fixgw_guard_free(&g);
  return rc;
}

/* End of stream: nothing left, a message cut off (at every offset), a
 * short tail that cannot be told from garbage, and misuse. */
static void test_parse_end(void **state) {
  (void)state;
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  fixgw_parse_error_t err;
  assert_int_equal(end_of(&p, NULL, 0, &err), 0);
  assert_int_equal(fixgw_parse_end(NULL, NULL, 0, &err), FIXGW_EINVAL);
  assert_int_equal(p.stats.rejected, 0);

  char s[256];
  size_t n = fixmsg(s, sizeof s, "FIX.4.4", "35=D|49=A|56=B|34=7|11=X|");
  uint64_t rejected = 0;
  for (size_t cut = 1; cut < n; cut++) {
    /* As a host would: parse until EAGAIN, then end. */
    fixgw_guard_t g;
    const char *d = fixgw_guard_copy(&g, s, cut);
    fixgw_msg_t m;
    size_t used;
    assert_int_equal(fixgw_parse(&p, d, cut, &used, &m, &err), FIXGW_EAGAIN);
    int rc = fixgw_parse_end(&p, d, cut, &err);
    fixgw_guard_free(&g);
    rejected++;
    if (cut < 5) {
      assert_int_equal(rc, FIXGW_EBEGINSTRING);
      assert_int_equal(err.offset, 0);
    } else {
      if (rc != FIXGW_ETRUNCATED) fail_msg("cut %zu: %s", cut, fixgw_err_name(rc));
      assert_int_equal(err.offset, cut);
      uint32_t want = cut < 10 ? 8 : cut < 15 ? 9 : 0; /* "8=FIX.4.4|" "9=25|" */
      if (err.tag != want) fail_msg("cut %zu: tag %u, want %u", cut, err.tag, want);
    }
    assert_int_equal(err.code, rc);
    assert_int_equal(p.stats.rejected, rejected);
  }
  /* Without a parse first, the same answer. */
  assert_int_equal(end_of(&p, s, n - 1, &err), FIXGW_ETRUNCATED);
  /* A whole message or garbage is not a tail: parse it first. */
  uint64_t before = p.stats.rejected;
  assert_int_equal(end_of(&p, s, n, &err), FIXGW_EINVAL);
  assert_int_equal(end_of(&p, "hello", 5, &err), FIXGW_EINVAL);
  assert_int_equal(p.stats.rejected, before);
  /* A garbage run that ends the stream: counted once. */
  fixgw_guard_t g;
  const char *d = fixgw_guard_copy(&g, "abc8=", 5);
  fixgw_msg_t m;
  size_t used;
  assert_int_equal(fixgw_parse(&p, d, 5, &used, &m, &err), FIXGW_EBEGINSTRING);
  assert_int_equal(used, 3);
  assert_int_equal(fixgw_parse(&p, d + 3, 2, &used, &m, &err), FIXGW_EAGAIN);
  assert_int_equal(fixgw_parse_end(&p, d + 3, 2, &err), FIXGW_EBEGINSTRING);
  assert_int_equal(err.continued, 1);
  assert_int_equal(p.stats.rejected, before + 1);
  assert_int_equal(p.stats.bytes_skipped >= 5, 1);
  fixgw_guard_free(&g);
  /* After the end, a new stream starts clean. */
  n = fixmsg(s, sizeof s, "FIX.4.4", "35=0|34=1|");
  d = fixgw_guard_copy(&g, s, n);
  assert_int_equal(fixgw_parse(&p, d, n, &used, &m, &err), 0);
  fixgw_guard_free(&g);
  assert_int_equal(end_of(&p, NULL, 0, &err), 0);
  fixgw_parser_destroy(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checksum_failure_resyncs_inside_frame),
      cmocka_unit_test(test_checksum_failure_drops_frame),
      cmocka_unit_test(test_bodylength_leading_zeros),
      cmocka_unit_test(test_garbage_run_is_one_error),
      cmocka_unit_test(test_parse_end),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
