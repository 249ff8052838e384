/* Hostile input: every framing and field rule broken on purpose, each with
 * the right error class, offset and tag; truncation at every offset;
 * garbage between messages; and after every bad run the stream recovers
 * to the next good message with nothing valid lost. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/codec.h"
#include "fixmsg.h"
#include "harness.h"

#define GOOD_BODY "35=D|49=A|56=B|34=7|52=20261121-13:45:12|11=ORD1|55=IBM|54=1|38=100|40=1|"

static size_t good(char *out) { return fixmsg(out, 512, "FIX.4.4", GOOD_BODY); }

typedef struct parsed {
  int oks, errs;
  int codes[64];
  size_t offs[64];
  uint32_t tags[64];
  size_t ok_at[64]; /* stream offsets of good messages */
  int pending;      /* bytes left unparsed at end of stream (EAGAIN) */
} parsed_t;

/* Parse a whole stream as a host would, with a guard page after it. */
static void run(const char *s, size_t n, parsed_t *r, const fixgw_parser_config_t *cfg) {
  memset(r, 0, sizeof *r);
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, cfg), 0);
  fixgw_guard_t g;
  char *d = fixgw_guard_copy(&g, s, n);
  size_t at = 0;
  int guard = 0;
  while (at < n) {
    assert_true(++guard < 100000);
    fixgw_msg_t m;
    size_t used;
    fixgw_parse_error_t err;
    int rc = fixgw_parse(&p, d + at, n - at, &used, &m, &err);
    if (rc == FIXGW_EAGAIN) {
      assert_int_equal(used, 0);
      r->pending = (int)(n - at);
      break;
    }
    if (rc == 0) {
      assert_int_equal(used, m.len);
      if (r->oks < 64) r->ok_at[r->oks] = at;
      r->oks++;
    } else {
      assert_int_equal(err.code, rc);
      assert_true(used >= 1); /* always progress */
      assert_true(err.offset < n - at);
      if (r->errs < 64) {
        r->codes[r->errs] = rc;
        r->offs[r->errs] = at + err.offset;
        r->tags[r->errs] = err.tag;
      }
      r->errs++;
    }
    assert_true(used <= n - at);
    at += used;
  }
  assert_int_equal(p.stats.messages, (uint64_t)r->oks);
  fixgw_guard_free(&g);
  fixgw_parser_destroy(&p);
}

typedef struct bad {
  const char *what;
  const char *raw;  /* '|' = SOH; full message, framed by hand */
  const char *body; /* or a body framed by fixmsg() (then raw is NULL) */
  int code;
  long offset; /* -1: don't check */
  uint32_t tag;
} bad_t;

static const bad_t bads[] = {
    {"garbage before a message", "hello world|", NULL, FIXGW_EBEGINSTRING, 0, 0},
    {"unknown BeginString", "8=FIX.4.9|9=5|35=0|10=000|", NULL, FIXGW_EBEGINSTRING, 0, 8},
    {"BeginString too long", "8=FIXFIXFIXFIX|9=5|35=0|10=000|", NULL, FIXGW_EBEGINSTRING, 0, 8},
    {"8 without =", "8FIX.4.4|9=5|35=0|10=000|", NULL, FIXGW_EBEGINSTRING, 0, 8},
    {"BodyLength missing", "8=FIX.4.4|35=0|49=A|10=000|", NULL, FIXGW_EBODYLENGTH, 10, 9},
    {"BodyLength not a number", "8=FIX.4.4|9=1x|35=0|10=000|", NULL, FIXGW_EBODYLENGTH, 10, 9},
    /* Leading zeros are fine (test_stream.c); 16 digits are not. */
    {"BodyLength of 16 digits", "8=FIX.4.4|9=0000000000000005|35=0|10=000|", NULL, FIXGW_EBODYLENGTH, 10, 9},
    {"BodyLength empty", "8=FIX.4.4|9=|35=0|10=000|", NULL, FIXGW_EBODYLENGTH, 10, 9},
    {"BodyLength letter among 7", "8=FIX.4.4|9=00000x5|35=0|10=000|", NULL, FIXGW_EBODYLENGTH, 10, 9},
    {"BodyLength sign", "8=FIX.4.4|9=+5|35=0|10=000|", NULL, FIXGW_EBODYLENGTH, 10, 9},
    {"BodyLength space", "8=FIX.4.4|9=5 |35=0|10=000|", NULL, FIXGW_EBODYLENGTH, 10, 9},
    {"BodyLength too short", "8=FIX.4.4|9=3|35=0|49=A|10=000|", NULL, FIXGW_ECHECKSUM_FORMAT, 17, 10},
    {"CheckSum two digits", "8=FIX.4.4|9=5|35=0|10=00|", NULL, FIXGW_ECHECKSUM_FORMAT, -1, 10},
    {"CheckSum letters", "8=FIX.4.4|9=5|35=0|10=0a0|", NULL, FIXGW_ECHECKSUM_FORMAT, 19, 10},
    {"CheckSum wrong tag", "8=FIX.4.4|9=5|35=0|11=000|", NULL, FIXGW_ECHECKSUM_FORMAT, 19, 10},
    {"CheckSum mismatch", "8=FIX.4.4|9=5|35=0|10=000|", NULL, FIXGW_ECHECKSUM, 19, 10},
    {"MsgType not third", NULL, "49=A|35=D|", FIXGW_EMSGTYPE, 15, 49},
    {"tag with leading zero", NULL, "35=D|049=A|", FIXGW_ETAG, 20, 0},
    {"tag with a letter", NULL, "35=D|4x9=A|", FIXGW_ETAG, 20, 0},
    {"empty tag", NULL, "35=D|=A|", FIXGW_ETAG, 19, 0},
    {"tag of ten digits", NULL, "35=D|1234567890=A|", FIXGW_ETAG, 20, 0},
    {"field without =", NULL, "35=D|49|", FIXGW_ENOEQUALS, 19, 49},
    {"empty value", NULL, "35=D|49=|56=B|", FIXGW_EEMPTYVALUE, 20, 49},
    {"data length past the end", NULL, "35=B|95=50|96=abc|", FIXGW_EDATALEN, 20, 95},
    {"data length short of SOH", NULL, "35=B|95=2|96=abc|", FIXGW_EDATALEN, 25, 96},
    {"data length overflows", NULL, "35=B|95=99999999999999999999999|96=abc|", FIXGW_EDATALEN, 20, 95},
    {"data length not a number", NULL, "35=B|95=x|96=abc|", FIXGW_EDATALEN, 20, 95},
};

static size_t frame_bad(const bad_t *b, char *out) {
  if (b->body) return fixmsg(out, 512, "FIX.4.4", b->body);
  size_t n = strlen(b->raw);
  for (size_t i = 0; i < n; i++) out[i] = b->raw[i] == '|' ? '\x01' : b->raw[i];
  return n;
}

/* good + bad + good: the bad part yields the stated error first, and both
 * good messages come out intact. */
static void test_each_rule_broken(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
    const bad_t *b = &bads[i];
    char g[512], x[512], s[2048];
    size_t gl = good(g), xl = frame_bad(b, x);
    memcpy(s, g, gl);
    memcpy(s + gl, x, xl);
    memcpy(s + gl + xl, g, gl);
    parsed_t r;
    run(s, gl + xl + gl, &r, NULL);
    if (r.oks != 2 || r.errs < 1 || r.codes[0] != b->code)
      fail_msg("%s: oks=%d errs=%d first=%s (want %s)", b->what, r.oks, r.errs,
               r.errs ? fixgw_err_name(r.codes[0]) : "-", fixgw_err_name(b->code));
    if (b->offset >= 0 && r.offs[0] != gl + (size_t)b->offset)
      fail_msg("%s: offset %zu, want %zu", b->what, r.offs[0] - gl, (size_t)b->offset);
    if (r.tags[0] != b->tag) fail_msg("%s: tag %u, want %u", b->what, r.tags[0], b->tag);
    assert_int_equal(r.ok_at[0], 0);
    assert_int_equal(r.ok_at[1], gl + xl);
    assert_int_equal(r.pending, 0);
  }
}

static void test_limits(void **state) {
  (void)state;
  char s[4096];
  parsed_t r;
  /* A hostile BodyLength is refused from the header alone: nobody waits
   * for (or buffers) a gigabyte. */
  const char *huge = "8=FIX.4.4\x01" "9=999999999\x01" "35=D\x01";
  size_t n = strlen(huge);
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  fixgw_msg_t m;
  size_t used;
  fixgw_parse_error_t err;
  assert_int_equal(fixgw_parse(&p, huge, n, &used, &m, &err), FIXGW_ETOOBIG);
  assert_int_equal(err.tag, 9);
  assert_int_equal(used, n); /* no "8=FIX" later in the input */
  fixgw_parser_destroy(&p);

  /* max_msg_size is exact: a message of exactly the limit passes. */
  size_t gl = good(s);
  fixgw_parser_config_t c;
  fixgw_parser_config_default(&c);
  c.max_msg_size = (uint32_t)gl;
  run(s, gl, &r, &c);
  assert_int_equal(r.oks, 1);
  c.max_msg_size = (uint32_t)gl - 1;
  run(s, gl, &r, &c);
  assert_int_equal(r.oks, 0);
  assert_int_equal(r.codes[0], FIXGW_ETOOBIG);

  /* max_fields: the good message has 13 fields. */
  fixgw_parser_config_default(&c);
  c.max_fields = 13;
  run(s, gl, &r, &c);
  assert_int_equal(r.oks, 1);
  c.max_fields = 12;
  run(s, gl, &r, &c);
  assert_int_equal(r.oks, 0);
  assert_int_equal(r.codes[0], FIXGW_ETOOMANYFIELDS);
}

/* A message cut at every offset, then a good one: the cut part is
 * rejected (or, cut before any byte, absent) and the good one survives. */
static void test_truncation_everywhere(void **state) {
  (void)state;
  char g[512], s[1024];
  size_t gl = good(g);
  for (size_t cut = 1; cut < gl; cut++) {
    /* Alone, every prefix is a valid beginning: EAGAIN, nothing eaten. */
    parsed_t r;
    run(g, cut, &r, NULL);
    assert_int_equal(r.oks, 0);
    assert_int_equal(r.errs, 0);
    assert_int_equal(r.pending, (int)cut);
    /* Followed by more traffic, the stream recovers. Enough good messages
     * follow to fill any frame the cut header may still claim. */
    memcpy(s, g, cut);
    size_t n = cut;
    for (int k = 0; k < 2; k++, n += gl) memcpy(s + n, g, gl);
    run(s, n, &r, NULL);
    if (r.oks != 2 || r.errs < 1)
      fail_msg("cut at %zu: oks=%d errs=%d pending=%d", cut, r.oks, r.errs, r.pending);
    assert_int_equal(r.ok_at[0], cut);
  }
}

/* Random garbage (seeded, bounded) between good messages, including bytes
 * that look like message starts. Every good message survives as long as
 * the garbage claims no frame reaching past the end of the stream. */
static void test_random_garbage(void **state) {
  (void)state;
  static char s[1 << 16];
  char g[512];
  size_t gl = good(g);
  uint64_t x = 88172645463325252ULL;
  for (int round = 0; round < 300; round++) {
    size_t n = 0;
    int goods = 0;
    for (int k = 0; k < 8; k++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      size_t glen = x % 200;
      for (size_t i = 0; i < glen; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        static const char alphabet[] = "8=FIX.4\x01" "9=10|0123456789ABC";
        s[n++] = (x >> 32) % 3 == 0 ? alphabet[x % (sizeof alphabet - 1)] : (char)(x >> 40);
      }
      memcpy(s + n, g, gl);
      n += gl;
      goods++;
    }
    /* A tail of good messages longer than max body digits we allow in the
     * alphabet (9=10 claims little) so every claimed frame is resolved. */
    for (int k = 0; k < 4; k++, goods++, n += gl) memcpy(s + n, g, gl);
    parsed_t r;
    run(s, n, &r, NULL);
    if (r.oks != goods) fail_msg("round %d: %d of %d good messages", round, r.oks, goods);
    assert_int_equal(r.pending, 0);
  }
}

/* A BodyLength that overstates the frame makes the parser wait, and the
 * wait ends as soon as enough bytes arrive: the frame fails its trailer
 * check and the good messages inside it are recovered. */
static void test_lying_body_length(void **state) {
  (void)state;
  char s[4096], g[512];
  size_t gl = good(g);
  const char *liar = "8=FIX.4.4\x01" "9=400\x01" "35=D\x01";
  size_t n = strlen(liar);
  memcpy(s, liar, n);
  for (int k = 0; k < 6; k++, n += gl) memcpy(s + n, g, gl);
  parsed_t r;
  run(s, n, &r, NULL);
  assert_int_equal(r.errs, 1);
  assert_int_equal(r.codes[0], FIXGW_ECHECKSUM_FORMAT);
  assert_int_equal(r.oks, 6);
}

/* Parser state across a reset: a stale pending frame is forgotten. */
static void test_reset_forgets_pending(void **state) {
  (void)state;
  char g[512];
  size_t gl = good(g);
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  fixgw_msg_t m;
  size_t used;
  assert_int_equal(fixgw_parse(&p, g, gl / 2, &used, &m, NULL), FIXGW_EAGAIN);
  fixgw_parser_reset(&p);
  char h[512];
  size_t hl = fixmsg(h, sizeof h, "FIX.4.2", "35=0|49=X|");
  assert_int_equal(fixgw_parse(&p, h, hl, &used, &m, NULL), 0);
  assert_int_equal(used, hl);
  fixgw_parser_destroy(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_rule_broken),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_truncation_everywhere),
      cmocka_unit_test(test_random_garbage),
      cmocka_unit_test(test_lying_body_length),
      cmocka_unit_test(test_reset_forgets_pending),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
