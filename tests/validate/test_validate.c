/* Validation: every SessionRejectReason the validator gives, on purpose,
 * with its RefTagID and RefMsgType; lenient modes; FIXT.1.1 with separate
 * transport and application dictionaries; a generated corpus that must
 * pass whole; zero allocation. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/gen.h"
#include "fixgw/validate.h"
#include "harness.h"
#include "validate_cases.h"
#include "vtest.h"

static fixgw_parser_t parser;
static char frame_buf[8192];

/* Parse begin + body; fails the test if the parser rejects it. */
static void parse_case(const char *begin, const char *body, fixgw_msg_t *m) {
  size_t n = vt_frame(begin, body, frame_buf, sizeof frame_buf);
  assert_true(n > 0);
  size_t used;
  fixgw_parse_error_t pe;
  int rc = fixgw_parse(&parser, frame_buf, n, &used, m, &pe);
  if (rc != 0) fail_msg("parse %s: %s at %zu tag %u", body, fixgw_err_name(rc), pe.offset, pe.tag);
}

static int setup(void **state) {
  (void)state;
  return fixgw_parser_init(&parser, NULL);
}
static int teardown(void **state) {
  (void)state;
  fixgw_parser_destroy(&parser);
  return 0;
}

static void init_for(fixgw_validator_t *v, const char *begin, uint32_t checks) {
  fixgw_validator_config_t cfg;
  fixgw_dict_version ver = fixgw_dict_version_from_begin_string(begin, strlen(begin));
  fixgw_validator_config_default(&cfg, fixgw_dict_by_version(ver));
  cfg.checks = checks;
  assert_int_equal(fixgw_validator_init(v, &cfg), 0);
}

/* Our verdict on one case. */
static int verdict(const char *begin, const char *body, uint32_t checks,
                   fixgw_reject_t *rej) {
  fixgw_validator_t v;
  fixgw_msg_t m;
  init_for(&v, begin, checks);
  parse_case(begin, body, &m);
  int rc = fixgw_validate(&v, &m, rej);
  fixgw_validator_destroy(&v);
  /* RefMsgType always names the message's own 35. */
  assert_int_equal(rej->ref_msgtype.len, m.msgtype.len);
  return rc;
}

static void test_cases(void **state) {
  (void)state;
  for (size_t k = 0; k < N_VCASES; k++) {
    const vcase_t *c = &vcases[k];
    fixgw_validator_t v;
    assert_int_equal(vt_validator(&v, c->begin), 0);
    size_t n = vt_frame(c->begin, c->body, frame_buf, sizeof frame_buf);
    assert_true(n > 0);
    uint32_t tag;
    int reason = vt_verdict(&parser, &v, frame_buf, n, &tag);
    fixgw_validator_destroy(&v);
    if (reason != c->reason || (reason >= 0 && tag != c->tag))
      fail_msg("%s: expected reason %d tag %u, got %d (%s) tag %u", c->name, c->reason, c->tag,
               reason, fixgw_reject_reason_name(reason), tag);
  }
}

/* RefMsgType is a view of the message's own 35 value. */
static void test_ref_msgtype(void **state) {
  (void)state;
  fixgw_reject_t rej;
  assert_int_equal(verdict("FIX.4.4", VC_NOS "150=0|", FIXGW_VAL_ALL, &rej), FIXGW_EREJECT);
  assert_int_equal(rej.ref_msgtype.len, 1);
  assert_memory_equal(rej.ref_msgtype.ptr, "D", 1);
  assert_int_equal(verdict("FIX.4.4", "35=ZZ|" VC_HDR, FIXGW_VAL_ALL, &rej), FIXGW_EREJECT);
  assert_int_equal(rej.reason, FIXGW_SRR_INVALID_MSGTYPE);
  assert_memory_equal(rej.ref_msgtype.ptr, "ZZ", 2);
  assert_int_equal(rej.field_index, 2);
}

/* 0 and 4 come from the parser, which refuses such fields; the mapping
 * turns its errors into the reject the session sends. */
static void test_parse_errors(void **state) {
  (void)state;
  static const struct {
    const char *body;
    int code, reason;
    unsigned tag;
  } pc[] = {
      {VC_NOS "58=|", FIXGW_EEMPTYVALUE, FIXGW_SRR_TAG_WITHOUT_VALUE, 58},
      {VC_NOS "0=x|", FIXGW_ETAG, FIXGW_SRR_INVALID_TAG_NUMBER, 0},
      {VC_NOS "05=x|", FIXGW_ETAG, FIXGW_SRR_INVALID_TAG_NUMBER, 0},
      {VC_NOS "5a=x|", FIXGW_ETAG, FIXGW_SRR_INVALID_TAG_NUMBER, 0},
  };
  for (size_t k = 0; k < sizeof pc / sizeof pc[0]; k++) {
    size_t n = vt_frame("FIX.4.4", pc[k].body, frame_buf, sizeof frame_buf), used;
    fixgw_msg_t m;
    fixgw_parse_error_t pe;
    int rc = fixgw_parse(&parser, frame_buf, n, &used, &m, &pe);
    assert_int_equal(rc, pc[k].code);
    fixgw_reject_t rej;
    assert_int_equal(fixgw_reject_from_parse_error(&pe, &rej), 0);
    assert_int_equal(rej.reason, pc[k].reason);
    assert_int_equal(rej.ref_tag, pc[k].tag);
  }
  /* Garbled messages are dropped, not rejected. */
  fixgw_parse_error_t pe = {FIXGW_ECHECKSUM, 0, 10, 0};
  fixgw_reject_t rej;
  assert_int_equal(fixgw_reject_from_parse_error(&pe, &rej), FIXGW_ENOTFOUND);
  pe.code = FIXGW_EBODYLENGTH;
  assert_int_equal(fixgw_reject_from_parse_error(&pe, &rej), FIXGW_ENOTFOUND);
}

/* A message assembled by hand (not through the parser) may hold tag 0 and
 * empty values; the validator checks them too. */
static void test_hand_built(void **state) {
  (void)state;
  fixgw_msg_t m;
  parse_case("FIX.4.4", VC_NOS "58=note|", &m);
  fixgw_field_t fields[64];
  assert_true(m.nfields <= 64);
  memcpy(fields, m.fields, m.nfields * sizeof fields[0]);
  uint32_t i58 = 0;
  while (fields[i58].tag != 58) i58++;
  fixgw_msg_t h = m;
  h.fields = fields;
  fixgw_validator_t v;
  init_for(&v, "FIX.4.4", FIXGW_VAL_ALL);
  fixgw_reject_t rej;
  assert_int_equal(fixgw_validate(&v, &h, &rej), 0);

  fields[i58].len = 0;
  assert_int_equal(fixgw_validate(&v, &h, &rej), FIXGW_EREJECT);
  assert_int_equal(rej.reason, FIXGW_SRR_TAG_WITHOUT_VALUE);
  assert_int_equal(rej.ref_tag, 58);
  assert_int_equal(rej.field_index, i58);
  assert_int_equal(fixgw_validator_set_checks(&v, FIXGW_VAL_ALL & ~FIXGW_VAL_EMPTY), 0);
  assert_int_equal(fixgw_validate(&v, &h, &rej), 0);

  fields[i58].len = 4;
  fields[i58].tag = 0;
  assert_int_equal(fixgw_validator_set_checks(&v, FIXGW_VAL_ALL), 0);
  assert_int_equal(fixgw_validate(&v, &h, &rej), FIXGW_EREJECT);
  assert_int_equal(rej.reason, FIXGW_SRR_INVALID_TAG_NUMBER);
  assert_int_equal(rej.field_index, i58);
  assert_int_equal(fixgw_validator_set_checks(&v, FIXGW_VAL_ALL & ~FIXGW_VAL_TAG_NUMBER), 0);
  assert_int_equal(fixgw_validate(&v, &h, &rej), 0);
  fields[i58].tag = 58;

  /* An empty value with no bytes behind it, in a field of each kind the
   * walk judges inline (int, decimal, one-byte enum, timestamp, string):
   * never read, always 4. */
  static const uint32_t kinds[] = {34, 38, 54, 60, 11};
  assert_int_equal(fixgw_validator_set_checks(&v, FIXGW_VAL_ALL), 0);
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    uint32_t at = 0;
    while (fields[at].tag != kinds[k]) at++;
    fixgw_field_t keep = fields[at];
    fields[at].val = NULL;
    fields[at].len = 0;
    assert_int_equal(fixgw_validate(&v, &h, &rej), FIXGW_EREJECT);
    assert_int_equal(rej.reason, FIXGW_SRR_TAG_WITHOUT_VALUE);
    assert_int_equal(rej.ref_tag, kinds[k]);
    assert_int_equal(rej.field_index, at);
    fields[at] = keep;
  }
  assert_int_equal(fixgw_validate(&v, &h, &rej), 0);
  fixgw_validator_destroy(&v);
}

/* Each lenient flag accepts what it should, and only that. */
static void test_lenient(void **state) {
  (void)state;
  static const struct {
    const char *name;
    uint32_t off;
    const char *body;
  } lc[] = {
      {"user fields", FIXGW_VAL_USER_FIELDS, VC_NOS "9999=x|5001=y|"},
      {"user fields inside an entry", FIXGW_VAL_USER_FIELDS,
       VC_NOS "453=2|448=P1|7001=u|447=D|452=1|448=P2|447=D|452=3|"},
      {"undefined", FIXGW_VAL_UNDEFINED, VC_NOS "4999=x|"},
      {"undefined inside an entry", FIXGW_VAL_UNDEFINED,
       VC_NOS "453=2|448=P1|4999=u|447=D|452=1|448=P2|447=D|452=3|"},
      {"tag in msg", FIXGW_VAL_TAG_IN_MSG, VC_NOS "150=0|"},
      {"values", FIXGW_VAL_VALUES,
       "35=D|" VC_HDR "11=ORD1|21=1|55=IBM|54=Z|60=" VC_TS "|38=100|40=2|"},
      {"format", FIXGW_VAL_FORMAT,
       "35=D|" VC_HDR "11=ORD1|21=1|55=IBM|54=1|60=" VC_TS "|38=abc|40=2|"},
      {"repeated", FIXGW_VAL_REPEATED, VC_NOS "55=MSFT|"},
      {"order", FIXGW_VAL_ORDER, VC_NOS "50=DESK|"},
      {"group order", FIXGW_VAL_GROUP_ORDER, VC_NOS "453=1|448=P1|452=1|447=D|"},
      {"group count", FIXGW_VAL_GROUP_COUNT, VC_NOS "453=2|448=P1|447=D|452=1|"},
      {"required", FIXGW_VAL_REQUIRED,
       "35=D|" VC_HDR "21=1|55=IBM|54=1|60=" VC_TS "|38=100|40=2|"},
      {"msgtype", FIXGW_VAL_MSGTYPE, "35=ZZ|" VC_HDR "55=IBM|58=x|"},
  };
  for (size_t k = 0; k < sizeof lc / sizeof lc[0]; k++) {
    fixgw_reject_t rej;
    int strict = verdict("FIX.4.4", lc[k].body, FIXGW_VAL_ALL, &rej);
    if (strict != FIXGW_EREJECT) fail_msg("%s: strict mode accepted it", lc[k].name);
    int rc = verdict("FIX.4.4", lc[k].body, FIXGW_VAL_ALL & ~lc[k].off, &rej);
    if (rc != 0)
      fail_msg("%s: lenient mode rejected it: reason %d tag %u", lc[k].name, rej.reason,
               rej.ref_tag);
  }
  /* Lenient in one respect, strict in the others. */
  fixgw_reject_t rej;
  assert_int_equal(verdict("FIX.4.4", VC_NOS "9999=x|4999=y|",
                           FIXGW_VAL_ALL & ~FIXGW_VAL_USER_FIELDS, &rej),
                   FIXGW_EREJECT);
  assert_int_equal(rej.reason, FIXGW_SRR_UNDEFINED_TAG);
  assert_int_equal(rej.ref_tag, 4999);
  assert_int_equal(verdict("FIX.4.4", VC_NOS "453=1|448=P1|452=1|447=D|447=D|",
                           FIXGW_VAL_ALL & ~FIXGW_VAL_GROUP_ORDER, &rej),
                   FIXGW_EREJECT);
  assert_int_equal(rej.reason, FIXGW_SRR_GROUP_FIELDS_OUT_OF_ORDER);
  /* A bad config is refused. */
  fixgw_validator_t v;
  fixgw_validator_config_t cfg;
  fixgw_validator_config_default(&cfg, NULL);
  assert_int_equal(fixgw_validator_init(&v, &cfg), FIXGW_EINVAL);
  cfg.dict = fixgw_dict_fix44();
  cfg.checks = 0x80000000u;
  assert_int_equal(fixgw_validator_init(&v, &cfg), FIXGW_EINVAL);
  cfg.checks = FIXGW_VAL_ALL;
  cfg.app[FIXGW_DICT_FIX50SP2] = fixgw_dict_fix50sp2(); /* not FIXT */
  assert_int_equal(fixgw_validator_init(&v, &cfg), FIXGW_EINVAL);
}

/* A message of another version than the dictionary's is not judged. */
static void test_version_mismatch(void **state) {
  (void)state;
  fixgw_validator_t v;
  init_for(&v, "FIX.4.4", FIXGW_VAL_ALL);
  fixgw_msg_t m;
  parse_case("FIX.4.2", "35=0|" VC_HDR, &m);
  fixgw_reject_t rej;
  assert_int_equal(fixgw_validate(&v, &m, &rej), FIXGW_ENODICT);
  assert_int_equal(rej.reason, FIXGW_SRR_NONE);
  fixgw_validator_destroy(&v);
}

/* FIXT.1.1: header, trailer and admin messages against FIXT11, application
 * messages against the dictionary of their ApplVerID or the default. */
static void test_fixt(void **state) {
  (void)state;
  fixgw_validator_config_t cfg;
  fixgw_validator_config_default(&cfg, fixgw_dict_fixt11());
  cfg.app[FIXGW_DICT_FIX50SP2] = fixgw_dict_fix50sp2();
  cfg.app[FIXGW_DICT_FIX44] = fixgw_dict_fix44();
  cfg.default_appl_ver = FIXGW_DICT_FIX50SP2;
  fixgw_validator_t v;
  assert_int_equal(fixgw_validator_init(&v, &cfg), 0);
  static const struct {
    const char *body;
    int rc, reason;
    unsigned tag;
  } fc[] = {
      {"35=A|" VC_HDR "98=0|108=30|1137=9|", 0, -1, 0},
      {"35=0|" VC_HDR, 0, -1, 0},
      {"35=D|" VC_HDR "1128=9|11=A|54=1|55=IBM|60=" VC_TS "|38=5|40=1|", 0, -1, 0},
      {"35=D|" VC_HDR "11=A|54=1|55=IBM|60=" VC_TS "|38=5|40=1|", 0, -1, 0},
      /* 1128=6 picks FIX44's D, where 1138 (a 5.0 field) is unknown. */
      {"35=D|" VC_HDR "1128=6|11=A|54=1|55=IBM|60=" VC_TS "|38=5|40=1|1138=5|", FIXGW_EREJECT,
       FIXGW_SRR_UNDEFINED_TAG, 1138},
      {"35=D|" VC_HDR "1128=9|11=A|54=1|55=IBM|60=" VC_TS "|38=5|40=1|1138=5|", 0, -1, 0},
      {"35=D|" VC_HDR "1128=9|11=A|54=1|55=IBM|60=" VC_TS "|38=5|40=1|108=30|", FIXGW_EREJECT,
       FIXGW_SRR_TAG_NOT_DEFINED_FOR_MSGTYPE, 108},
      {"35=D|" VC_HDR "1128=9|54=1|55=IBM|60=" VC_TS "|38=5|40=1|", FIXGW_EREJECT,
       FIXGW_SRR_REQUIRED_TAG_MISSING, 11},
      /* Admin messages are judged by the transport dictionary alone,
       * which does not define ClOrdID. */
      {"35=A|" VC_HDR "98=0|108=30|1137=9|11=X|", FIXGW_EREJECT, FIXGW_SRR_UNDEFINED_TAG, 11},
      {"35=A|" VC_HDR "98=0|108=30|1137=9|49=X|", FIXGW_EREJECT, FIXGW_SRR_TAG_OUT_OF_ORDER,
       49},
      {"35=D|" VC_HDR "1128=7|11=A|54=1|55=IBM|60=" VC_TS "|38=5|40=1|", FIXGW_ENODICT, -1, 0},
      {"35=D|" VC_HDR "1128=Q|11=A|54=1|55=IBM|60=" VC_TS "|38=5|40=1|", FIXGW_ENODICT,
       FIXGW_SRR_VALUE_INCORRECT, 1128},
      {"35=D|" VC_HDR "1128=9|11=A|54=1|55=IBM|60=" VC_TS "|38=5|40=1|50=X|", FIXGW_EREJECT,
       FIXGW_SRR_TAG_OUT_OF_ORDER, 50},
      {"35=ZZ|" VC_HDR "1128=9|", FIXGW_EREJECT, FIXGW_SRR_INVALID_MSGTYPE, 35},
  };
  for (size_t k = 0; k < sizeof fc / sizeof fc[0]; k++) {
    fixgw_msg_t m;
    fixgw_reject_t rej;
    parse_case("FIXT.1.1", fc[k].body, &m);
    int rc = fixgw_validate(&v, &m, &rej);
    if (rc != fc[k].rc || rej.reason != fc[k].reason ||
        (fc[k].reason >= 0 && rej.ref_tag != fc[k].tag))
      fail_msg("fixt case %zu: got %s reason %d tag %u", k, fixgw_err_name(rc), rej.reason,
               rej.ref_tag);
  }
  fixgw_validator_destroy(&v);
  /* Without a default, a message without 1128 has no dictionary. */
  cfg.default_appl_ver = FIXGW_DICT_UNKNOWN;
  assert_int_equal(fixgw_validator_init(&v, &cfg), 0);
  fixgw_msg_t m;
  fixgw_reject_t rej;
  parse_case("FIXT.1.1", "35=D|" VC_HDR "11=A|54=1|55=IBM|60=" VC_TS "|38=5|40=1|", &m);
  assert_int_equal(fixgw_validate(&v, &m, &rej), FIXGW_ENODICT);
  fixgw_validator_destroy(&v);
}

/* Every message of a generated corpus is valid FIX 4.4. */
static void test_corpus(void **state) {
  (void)state;
  fixgw_gen_t g;
  fixgw_gen_config_t gc;
  fixgw_gen_config_default(&gc);
  gc.seed = 20240315;
  assert_int_equal(fixgw_gen_init(&g, &gc), 0);
  size_t cap = fixgw_gen_max_msg_size(&g);
  char *buf = malloc(cap);
  assert_non_null(buf);
  fixgw_validator_t v;
  init_for(&v, "FIX.4.4", FIXGW_VAL_ALL);
  uint64_t by_type[8] = {0};
  for (int k = 0; k < 20000; k++) {
    const char *out;
    size_t len, used;
    assert_int_equal(fixgw_gen_next(&g, buf, cap, &out, &len), 0);
    fixgw_msg_t m;
    assert_int_equal(fixgw_parse(&parser, out, len, &used, &m, NULL), 0);
    fixgw_reject_t rej;
    int rc = fixgw_validate(&v, &m, &rej);
    if (rc != 0)
      fail_msg("message %d (%.*s): %s reason %d (%s) tag %u", k, (int)m.msgtype.len,
               m.msgtype.ptr, fixgw_err_name(rc), rej.reason,
               fixgw_reject_reason_name(rej.reason), rej.ref_tag);
    by_type[g.last_type]++;
  }
  for (int t = 0; t < FIXGW_GEN_TYPE_COUNT; t++) assert_true(by_type[t] > 0);
  fixgw_validator_destroy(&v);
  fixgw_gen_destroy(&g);
  free(buf);
}

/* Validation allocates nothing, whatever the verdict. */
static void test_zero_alloc(void **state) {
  (void)state;
  if (!fixgw_alloc_count_available()) skip();
  fixgw_validator_t v;
  init_for(&v, "FIX.4.4", FIXGW_VAL_ALL);
  fixgw_msg_t msgs[4];
  char bufs[4][1024];
  const char *bodies[4] = {VC_NOS "453=2|448=P1|447=D|452=1|448=P2|447=D|452=3|", VC_ER,
                           VC_NOS "453=2|448=P1|447=D|452=1|", VC_NOS "4999=x|"};
  fixgw_parser_t ps[4];
  for (int k = 0; k < 4; k++) {
    size_t n = vt_frame("FIX.4.4", bodies[k], bufs[k], sizeof bufs[k]), used;
    assert_int_equal(fixgw_parser_init(&ps[k], NULL), 0);
    assert_int_equal(fixgw_parse(&ps[k], bufs[k], n, &used, &msgs[k], NULL), 0);
  }
  int verdicts = 0;
  fixgw_alloc_count_reset();
  for (int r = 0; r < 1000; r++)
    for (int k = 0; k < 4; k++) {
      fixgw_reject_t rej;
      verdicts += fixgw_validate(&v, &msgs[k], &rej) == 0;
    }
  uint64_t calls = fixgw_alloc_count_calls();
  assert_int_equal(calls, 0);
  assert_int_equal(verdicts, 2000);
  for (int k = 0; k < 4; k++) fixgw_parser_destroy(&ps[k]);
  fixgw_validator_destroy(&v);
}

/* Values at the edges of what each value class accepts, in the fields
 * of a NewOrderSingle: the validator's verdict on a number is the codec's
 * converter's (the walk decides common values inline, the converter the
 * rest), a one-byte enum takes only its own bytes. */
static void test_value_edges(void **state) {
  (void)state;
  static const char *const nums[] = {
      "0", "7", "-7", "00012", "-", "--1", "+1", "1.", "-1.", ".5", "-.5", ".", "-.",
      "1.2.3", "12a", "1 ", "1e5", "999999999999999999", "-999999999999999999",
      "9999999999999999999", "9223372036854775808", "12345678901234567.8",
      "1234567890123456.78", "0.000000000000000001", "5.0", "-0"};
  static const struct {
    const char *fmt;
    int dec; /* 1: a decimal (fixgw_to_decimal), 0: an int (fixgw_to_int) */
    uint32_t tag;
  } fields[] = {
      {"35=D|49=SNDR|56=TRGT|34=%s|52=20240315-13:30:00.000|" VC_NOS_BODY, 0, 34},
      {"35=D|" VC_HDR "11=ORD1|21=1|55=IBM|54=1|60=" VC_TS "|38=%s|40=2|44=10.5|59=0|", 1, 38},
      {"35=D|" VC_HDR "11=ORD1|21=1|55=IBM|54=1|60=" VC_TS "|38=100|40=2|44=%s|59=0|", 1, 44},
  };
  char body[512];
  fixgw_reject_t rej;
  for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
      const char *s = nums[k];
      int64_t i;
      fixgw_decimal_t d;
      int ok = fields[f].dec ? fixgw_to_decimal(s, strlen(s), &d) == 0
                             : fixgw_to_int(s, strlen(s), &i) == 0;
      snprintf(body, sizeof body, fields[f].fmt, s);
      int rc = verdict("FIX.4.4", body, FIXGW_VAL_ALL, &rej);
      if (ok ? rc != 0
             : rc != FIXGW_EREJECT || rej.reason != FIXGW_SRR_INCORRECT_DATA_FORMAT ||
                   rej.ref_tag != fields[f].tag)
        fail_msg("%u=%s: converter says %s, validator rc %d reason %d tag %u", fields[f].tag,
                 s, ok ? "valid" : "bad", rc, rej.reason, rej.ref_tag);
    }
  }
  /* Every length the walk reads a word at a time and past it, each with
   * one odd byte at each place: a '.', a second '.', bytes just outside
   * '0'..'9', a digit with its high bit set. */
  static const char odd[] = {'.', '/', ':', ' ', 'x', (char)0xB5, (char)0x80};
  char num[32];
  for (size_t len = 1; len <= 20; len++) {
    for (int sign = 0; sign < 2; sign++) {
      for (size_t at = 0; at <= len; at++) {
        for (size_t o = 0; o < sizeof odd + 1; o++) {
          size_t k = 0;
          if (sign) num[k++] = '-';
          for (size_t j = 0; j < len; j++) num[k++] = (char)('1' + (j % 9));
          num[k] = 0;
          if (at < len && o < sizeof odd) num[sign + at] = odd[o];
          if (at < len && o == sizeof odd) num[sign + at] = num[sign + len - 1 - at] = '.';
          for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            int64_t i;
            fixgw_decimal_t d;
            int ok = fields[f].dec ? fixgw_to_decimal(num, k, &d) == 0
                                   : fixgw_to_int(num, k, &i) == 0;
            snprintf(body, sizeof body, fields[f].fmt, num);
            int rc = verdict("FIX.4.4", body, FIXGW_VAL_ALL, &rej);
            if (ok ? rc != 0
                   : rc != FIXGW_EREJECT || rej.reason != FIXGW_SRR_INCORRECT_DATA_FORMAT ||
                         rej.ref_tag != fields[f].tag)
              fail_msg("%u=%s: converter says %s, validator rc %d reason %d tag %u",
                       fields[f].tag, num, ok ? "valid" : "bad", rc, rej.reason, rej.ref_tag);
          }
        }
      }
    }
  }
  static const struct {
    const char *side, *ts;
    int reason; /* -1 valid */
  } other[] = {
      {"1", VC_TS, -1},
      {"2", "20240315-13:29:59", -1},
      {"2", "20240315-13:29:59.123456", -1},
      {"2", "20240315-13:29:59.123456789", -1},
      {"2", "20240229-23:59:60.000", -1},
      {"Z", VC_TS, FIXGW_SRR_VALUE_INCORRECT},
      {"\xff", VC_TS, FIXGW_SRR_VALUE_INCORRECT},
      {"12", VC_TS, FIXGW_SRR_INCORRECT_DATA_FORMAT},
      {"1", "20241315-13:29:59.999", FIXGW_SRR_INCORRECT_DATA_FORMAT},
      {"1", "20240315-24:00:00.000", FIXGW_SRR_INCORRECT_DATA_FORMAT},
      {"1", "20240315-13:29:59.99", FIXGW_SRR_INCORRECT_DATA_FORMAT},
      {"1", "20240315 13:29:59.999", FIXGW_SRR_INCORRECT_DATA_FORMAT},
      {"1", "2024031-13:29:59.999", FIXGW_SRR_INCORRECT_DATA_FORMAT},
  };
  for (size_t k = 0; k < sizeof other / sizeof other[0]; k++) {
    snprintf(body, sizeof body,
             "35=D|" VC_HDR "11=ORD1|21=1|55=IBM|54=%s|60=%s|38=100|40=2|44=10.5|59=0|",
             other[k].side, other[k].ts);
    int rc = verdict("FIX.4.4", body, FIXGW_VAL_ALL, &rej);
    int got = rc == 0 ? -1 : rc == FIXGW_EREJECT ? rej.reason : -100 + rc;
    if (got != other[k].reason)
      fail_msg("54=%s 60=%s: expected reason %d, got %d (tag %u)", other[k].side, other[k].ts,
               other[k].reason, got, rej.ref_tag);
  }
}

/* One verdict of a case table: the return code, reason, RefTagID and
 * field index. */
typedef struct vexp {
  const char *body;
  int rc, reason;
  unsigned tag, index; /* index: UINT32_MAX for "msg->nfields" */
} vexp_t;

static void check_exp(fixgw_validator_t *v, const char *begin, const vexp_t *e, size_t k) {
  fixgw_msg_t m;
  fixgw_reject_t rej;
  parse_case(begin, e->body, &m);
  int rc = fixgw_validate(v, &m, &rej);
  uint32_t index = e->index == UINT32_MAX ? m.nfields : e->index;
  if (rc != e->rc || rej.reason != e->reason || (e->reason >= 0 && rej.ref_tag != e->tag) ||
      (rc == FIXGW_EREJECT && rej.field_index != index))
    fail_msg("case %zu (%s): got %s reason %d tag %u index %u, want reason %d tag %u index %u",
             k, e->body, fixgw_err_name(rc), rej.reason, rej.ref_tag, rej.field_index,
             e->reason, e->tag, index);
}

#define VC_REJ(body, reason, tag, index) {body, FIXGW_EREJECT, reason, tag, index}
#define VC_OK(body) {body, 0, -1, 0, 0}
#define VC_END UINT32_MAX

/* The walk takes members of the header, body and trailer by a fast path
 * and leaves the rest (phase changes, groups, count fields, anything
 * wrong) to the full one; these cases sit on that seam, on one validator
 * whose stamps carry over from case to case. */
static void test_fast_seams(void **state) {
  (void)state;
  static const vexp_t strict[] = {
      VC_OK(VC_NOS),
      /* Required fields missing, counted partly on each path. */
      VC_REJ("35=D|49=SNDR|34=2|52=20240315-13:30:00.000|" VC_NOS_BODY,
             FIXGW_SRR_REQUIRED_TAG_MISSING, 56, 6),
      VC_REJ("35=D|" VC_HDR "11=ORD1|21=1|55=IBM|60=" VC_TS "|38=100|40=2|44=10.5|59=0|",
             FIXGW_SRR_REQUIRED_TAG_MISSING, 54, 15),
      VC_OK("35=D|" VC_HDR "21=1|55=IBM|54=1|60=" VC_TS "|38=100|40=2|11=ORD1|"),
      /* Repeats: in the header, of the body's first (full-path) field
       * later on the fast path, in the trailer. */
      VC_REJ("35=D|49=SNDR|49=SNDR|56=TRGT|34=2|52=20240315-13:30:00.000|" VC_NOS_BODY,
             FIXGW_SRR_TAG_REPEATED, 49, 4),
      VC_REJ(VC_NOS "11=ORD2|", FIXGW_SRR_TAG_REPEATED, 11, 16),
      VC_REJ(VC_NOS "93=2|89=ab|93=2|", FIXGW_SRR_TAG_REPEATED, 93, 18),
      /* Back to the body from the trailer; a header tag in the body. */
      VC_REJ(VC_NOS "93=2|89=ab|55=IBM|", FIXGW_SRR_TAG_OUT_OF_ORDER, 55, 18),
      VC_REJ(VC_NOS "49=X|", FIXGW_SRR_TAG_OUT_OF_ORDER, 49, 16),
      /* A body tag before the header is complete. */
      VC_REJ("35=D|49=SNDR|11=ORD1|56=TRGT|34=2|52=20240315-13:30:00.000|21=1|55=IBM|54=1|"
             "60=" VC_TS "|38=100|40=2|",
             FIXGW_SRR_REQUIRED_TAG_MISSING, 56, 4),
      /* A count field ends the fast run, its group the full walk's; as
       * the body's first field, after the header is closed there. */
      VC_OK(VC_NOS "453=1|448=P1|447=D|452=1|58=after|"),
      VC_OK("35=D|" VC_HDR "453=1|448=P1|447=D|452=1|" VC_NOS_BODY),
      VC_REJ("35=D|49=SNDR|34=2|52=20240315-13:30:00.000|453=1|448=P1|447=D|452=1|" VC_NOS_BODY,
             FIXGW_SRR_REQUIRED_TAG_MISSING, 56, 6),
      VC_REJ(VC_NOS "453=1|448=P1|447=D|452=1|58=after|58=again|", FIXGW_SRR_TAG_REPEATED, 58,
             21),
      /* One-byte MsgTypes, known and not. */
      VC_REJ("35=~|" VC_HDR, FIXGW_SRR_INVALID_MSGTYPE, 35, 2),
      VC_OK("35=0|" VC_HDR),
      VC_REJ("35=0|" VC_HDR "11=X|", FIXGW_SRR_TAG_NOT_DEFINED_FOR_MSGTYPE, 11, 7),
      VC_OK(VC_NOS),
  };
  fixgw_validator_t v;
  init_for(&v, "FIX.4.4", FIXGW_VAL_ALL);
  for (size_t k = 0; k < sizeof strict / sizeof strict[0]; k++)
    check_exp(&v, "FIX.4.4", &strict[k], k);

  /* A repeat that is let through must not count twice as a required
   * field seen. */
  static const vexp_t repeats_ok[] = {
      VC_REJ("35=D|" VC_HDR "11=ORD1|11=ORD1|21=1|55=IBM|60=" VC_TS "|38=100|40=2|",
             FIXGW_SRR_REQUIRED_TAG_MISSING, 54, 14),
      VC_REJ("35=D|49=SNDR|49=SNDR|34=2|52=20240315-13:30:00.000|" VC_NOS_BODY,
             FIXGW_SRR_REQUIRED_TAG_MISSING, 56, 7),
      VC_OK(VC_NOS "55=IBM|"),
  };
  assert_int_equal(fixgw_validator_set_checks(&v, FIXGW_VAL_ALL & ~FIXGW_VAL_REPEATED), 0);
  for (size_t k = 0; k < sizeof repeats_ok / sizeof repeats_ok[0]; k++)
    check_exp(&v, "FIX.4.4", &repeats_ok[k], k);

  /* Unknown MsgType, lenient: no fast path, values still checked. */
  static const vexp_t lenient_type[] = {
      VC_OK("35=~|" VC_HDR "55=IBM|55=IBM|"),
      VC_REJ("35=~|" VC_HDR "55=IBM|54=Z|", FIXGW_SRR_VALUE_INCORRECT, 54, 8),
  };
  assert_int_equal(fixgw_validator_set_checks(&v, FIXGW_VAL_ALL & ~FIXGW_VAL_MSGTYPE), 0);
  for (size_t k = 0; k < sizeof lenient_type / sizeof lenient_type[0]; k++)
    check_exp(&v, "FIX.4.4", &lenient_type[k], k);
  fixgw_validator_destroy(&v);

  /* user_tag_min below standard tags: with user fields skipped, 52 and up
   * are not seen at all (so required ones are missing); checked, they
   * are judged as usual. */
  fixgw_validator_config_t cfg;
  fixgw_validator_config_default(&cfg, fixgw_dict_fix44());
  cfg.user_tag_min = 50;
  cfg.checks = FIXGW_VAL_ALL & ~FIXGW_VAL_USER_FIELDS;
  assert_int_equal(fixgw_validator_init(&v, &cfg), 0);
  const vexp_t skipped = VC_REJ(VC_NOS "55=X|", FIXGW_SRR_REQUIRED_TAG_MISSING, 56, 7);
  check_exp(&v, "FIX.4.4", &skipped, 0);
  assert_int_equal(fixgw_validator_set_checks(&v, FIXGW_VAL_ALL), 0);
  const vexp_t checked = VC_REJ(VC_NOS "55=X|", FIXGW_SRR_TAG_REPEATED, 55, 16);
  check_exp(&v, "FIX.4.4", &checked, 0);
  fixgw_validator_destroy(&v);
}

/* The one-byte MsgType table is per dictionary: the same message, by
 * hand given each version, through validators of FIX 4.2 and 4.4 in
 * turn, where OrderCapacity (528) exists only in 4.4. */
static void test_msgtype_per_dict(void **state) {
  (void)state;
  fixgw_validator_t v44, v42;
  init_for(&v44, "FIX.4.4", FIXGW_VAL_ALL);
  init_for(&v42, "FIX.4.2", FIXGW_VAL_ALL);
  fixgw_msg_t m;
  parse_case("FIX.4.4", VC_NOS "528=A|", &m);
  for (int r = 0; r < 3; r++) {
    fixgw_reject_t rej;
    m.version = FIXGW_V_FIX44;
    assert_int_equal(fixgw_validate(&v44, &m, &rej), 0);
    m.version = FIXGW_V_FIX42;
    assert_int_equal(fixgw_validate(&v42, &m, &rej), FIXGW_EREJECT);
    assert_int_equal(rej.reason, FIXGW_SRR_UNDEFINED_TAG);
    assert_int_equal(rej.ref_tag, 528);
  }
  /* A MsgType of one byte with no bytes behind it is unknown. */
  fixgw_reject_t rej;
  m.version = FIXGW_V_FIX44;
  m.msgtype.ptr = NULL;
  assert_int_equal(fixgw_validate(&v44, &m, &rej), FIXGW_EREJECT);
  assert_int_equal(rej.reason, FIXGW_SRR_INVALID_MSGTYPE);
  fixgw_validator_destroy(&v44);
  fixgw_validator_destroy(&v42);
}

/* Stamps tell "seen in this instance" by id; when the ids would wrap,
 * every stamp is cleared, so no stale stamp passes for a fresh one (the
 * trailer members 93 and 89 are stamped by one message only) and no
 * repeat goes unseen, whichever id a message starts at, on a fresh
 * validator and on a used one. */
static void test_stamp_wrap(void **state) {
  (void)state;
  static const vexp_t seq[] = {
      VC_OK(VC_NOS "93=2|89=ab|"),
      /* 452 in the second entry only: stamped with that entry's id alone */
      VC_OK(VC_NOS "453=2|448=P1|447=D|448=P2|447=D|452=3|"),
      VC_REJ("35=D|" VC_HDR "11=ORD1|21=1|55=IBM|60=" VC_TS "|38=100|40=2|44=10.5|59=0|",
             FIXGW_SRR_REQUIRED_TAG_MISSING, 54, 15),
      VC_REJ(VC_NOS "55=IBM|", FIXGW_SRR_TAG_REPEATED, 55, 16),
      VC_REJ(VC_NOS "453=1|448=P1|447=D|447=D|452=1|", FIXGW_SRR_GROUP_FIELDS_OUT_OF_ORDER,
             447, 19),
      VC_OK(VC_NOS),
  };
  const size_t nseq = sizeof seq / sizeof seq[0];
  for (uint32_t back = 0; back < 8; back++) {
    fixgw_validator_t v;
    init_for(&v, "FIX.4.4", FIXGW_VAL_ALL);
    v.epoch_ = UINT32_MAX - back; /* private: the last id given */
    for (size_t k = 0; k < 2 * nseq; k++) check_exp(&v, "FIX.4.4", &seq[k % nseq], k);
    fixgw_validator_destroy(&v);
    init_for(&v, "FIX.4.4", FIXGW_VAL_ALL);
    for (size_t k = 0; k < nseq; k++) check_exp(&v, "FIX.4.4", &seq[k], k);
    v.epoch_ = UINT32_MAX - back;
    for (size_t k = 0; k < 2 * nseq; k++) check_exp(&v, "FIX.4.4", &seq[k % nseq], k);
    fixgw_validator_destroy(&v);
  }
}

/* The reason table is complete and stable. */
static void test_reason_names(void **state) {
  (void)state;
  assert_string_equal(fixgw_reject_reason_name(FIXGW_SRR_GROUP_COUNT), "GROUP_COUNT");
  assert_string_equal(fixgw_reject_reason_text(1), "Required tag missing");
  assert_string_equal(fixgw_reject_reason_text(12345), "Unknown");
  assert_int_equal(FIXGW_SRR_OTHER, 99);
  assert_string_equal(fixgw_err_name(FIXGW_EREJECT), "FIXGW_EREJECT");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cases),         cmocka_unit_test(test_ref_msgtype),
      cmocka_unit_test(test_parse_errors),  cmocka_unit_test(test_hand_built),
      cmocka_unit_test(test_lenient),       cmocka_unit_test(test_version_mismatch),
      cmocka_unit_test(test_fixt),          cmocka_unit_test(test_corpus),
      cmocka_unit_test(test_zero_alloc),    cmocka_unit_test(test_reason_names),
      cmocka_unit_test(test_value_edges),   cmocka_unit_test(test_fast_seams),
      cmocka_unit_test(test_msgtype_per_dict), cmocka_unit_test(test_stamp_wrap),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
