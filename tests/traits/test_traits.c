/* Typed hot messages: the lists agree with the FIX44 tables; reads agree
 * with the codec's own getters over a generated corpus, in any field
 * order; builders round-trip through the parser; required fields are
 * enforced; reading allocates nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/gen.h"
#include "fixgw/traits.h"
#include "fixgw/validate.h"
#include "harness.h"

/* ------------------------------------------------ lists vs the tables */

typedef struct row {
  uint32_t tag;
  const char *name;
  const char *kind;
  int req;
} row_t;

#define ROW(p, tag, Name, member, K, req, sub) {tag, #Name, #K, req},

static int kind_fits(const char *kind, fixgw_field_type t) {
  fixgw_value_class c = fixgw_field_type_class(t);
  if (!strcmp(kind, "STR")) return c == FIXGW_VC_STRING || c == FIXGW_VC_MULTI || t == FIXGW_FT_MONTHYEAR;
  if (!strcmp(kind, "INT")) return c == FIXGW_VC_INT && t != FIXGW_FT_NUMINGROUP;
  if (!strcmp(kind, "DEC")) return c == FIXGW_VC_DECIMAL;
  if (!strcmp(kind, "CHAR")) return c == FIXGW_VC_CHAR;
  if (!strcmp(kind, "BOOL")) return c == FIXGW_VC_BOOL;
  if (!strcmp(kind, "TS")) return c == FIXGW_VC_TIMESTAMP;
  if (!strcmp(kind, "TIME")) return c == FIXGW_VC_TIMEONLY;
  if (!strcmp(kind, "DATE")) return c == FIXGW_VC_DATE;
  if (!strcmp(kind, "GRP")) return t == FIXGW_FT_NUMINGROUP;
  return 0;
}

/* Every row matches the scope; every required member of the scope is
 * listed, so a read that succeeds has them all. */
static void check_rows(const char *what, const row_t *rows, size_t n, uint32_t scope) {
  const fixgw_dict_t *d = fixgw_dict_fix44();
  const fixgw_dict_scope_t *sc = &d->scopes[scope];
  for (size_t k = 0; k < n; k++) {
    const fixgw_dict_field_t *f = fixgw_dict_field(d, rows[k].tag);
    if (!f) fail_msg("%s: tag %u not in FIX44", what, rows[k].tag);
    if (strcmp(fixgw_dict_str(d, f->name), rows[k].name))
      fail_msg("%s: tag %u is %s, listed as %s", what, rows[k].tag, fixgw_dict_str(d, f->name),
               rows[k].name);
    if (!kind_fits(rows[k].kind, (fixgw_field_type)f->type))
      fail_msg("%s: %s is %s, listed as %s", what, rows[k].name,
               fixgw_field_type_name((fixgw_field_type)f->type), rows[k].kind);
    const fixgw_dict_member_t *mb = fixgw_dict_scope_member(d, sc, rows[k].tag);
    if (!mb) fail_msg("%s: %s is not a member", what, rows[k].name);
    if (((mb->flags & FIXGW_DICT_M_REQUIRED) != 0) != rows[k].req)
      fail_msg("%s: %s required flag differs", what, rows[k].name);
    /* Dictionary order, so encode writes it. */
    if (k > 0) {
      int32_t a = fixgw_dict_scope_find(d, sc, (uint32_t)fixgw_dict_field_index(d, rows[k - 1].tag));
      int32_t b = fixgw_dict_scope_find(d, sc, (uint32_t)fixgw_dict_field_index(d, rows[k].tag));
      if (a >= b) fail_msg("%s: %s listed out of dictionary order", what, rows[k].name);
    }
  }
  for (uint32_t j = 0; j < sc->nmembers; j++) {
    const fixgw_dict_member_t *mb = &d->members[sc->members + j];
    if (!(mb->flags & FIXGW_DICT_M_REQUIRED)) continue;
    uint32_t tag = d->fields[mb->field].tag;
    size_t k = 0;
    while (k < n && rows[k].tag != tag) k++;
    /* 8, 9, 35 are the parser's; 10 the trailer's. */
    if (k == n && tag != 8 && tag != 9 && tag != 35)
      fail_msg("%s: required %u not listed", what, tag);
  }
}

static uint32_t body_of(const char *mt) {
  const fixgw_dict_msg_t *m = fixgw_dict_msg(fixgw_dict_fix44(), mt, strlen(mt));
  assert_non_null(m);
  return m->body;
}
static uint32_t group_in(uint32_t scope, uint32_t count_tag) {
  const fixgw_dict_t *d = fixgw_dict_fix44();
  const fixgw_dict_member_t *mb = fixgw_dict_scope_member(d, &d->scopes[scope], count_tag);
  assert_non_null(mb);
  assert_true(mb->flags & FIXGW_DICT_M_GROUP);
  return mb->group;
}

#define CHECK_LIST(LIST, what, scope)                       \
  do {                                                      \
    static const row_t rows_[] = {LIST(ROW, x)};            \
    check_rows(what, rows_, sizeof rows_ / sizeof rows_[0], scope); \
  } while (0)

static void test_lists_match_tables(void **state) {
  (void)state;
  const fixgw_dict_t *d = fixgw_dict_fix44();
  CHECK_LIST(FIXGW_FIX44_HEADER_FIELDS, "header", d->header);
  CHECK_LIST(FIXGW_FIX44_NEW_ORDER_SINGLE_FIELDS, "D", body_of("D"));
  CHECK_LIST(FIXGW_FIX44_EXECUTION_REPORT_FIELDS, "8", body_of("8"));
  CHECK_LIST(FIXGW_FIX44_ORDER_CANCEL_REQUEST_FIELDS, "F", body_of("F"));
  CHECK_LIST(FIXGW_FIX44_ORDER_CANCEL_REPLACE_REQUEST_FIELDS, "G", body_of("G"));
  CHECK_LIST(FIXGW_FIX44_MARKET_DATA_SNAPSHOT_FIELDS, "W", body_of("W"));
  CHECK_LIST(FIXGW_FIX44_MARKET_DATA_INCREMENTAL_FIELDS, "X", body_of("X"));
  CHECK_LIST(FIXGW_FIX44_HEARTBEAT_FIELDS, "0", body_of("0"));
  CHECK_LIST(FIXGW_FIX44_PARTY_FIELDS, "Parties", group_in(body_of("D"), 453));
  CHECK_LIST(FIXGW_FIX44_MD_ENTRY_FIELDS, "W MDEntries", group_in(body_of("W"), 268));
  CHECK_LIST(FIXGW_FIX44_MD_INC_ENTRY_FIELDS, "X MDEntries", group_in(body_of("X"), 268));
  /* Parties is one scope wherever it is used. */
  assert_int_equal(group_in(body_of("D"), 453), group_in(body_of("8"), 453));
}

/* ------------------------------------------------ reads vs the getters */

static fixgw_parser_t parser;

static int setup(void **state) {
  (void)state;
  return fixgw_parser_init(&parser, NULL);
}
static int teardown(void **state) {
  (void)state;
  fixgw_parser_destroy(&parser);
  return 0;
}

static void same_str(const fixgw_msg_t *m, uint32_t tag, fixgw_str_t s) {
  fixgw_str_t w;
  assert_int_equal(fixgw_msg_get_str(m, tag, &w), 0);
  assert_int_equal(s.len, w.len);
  assert_ptr_equal(s.ptr, w.ptr);
}
static void same_dec(const fixgw_msg_t *m, uint32_t tag, fixgw_decimal_t v) {
  fixgw_decimal_t w;
  assert_int_equal(fixgw_msg_get_decimal(m, tag, &w), 0);
  assert_true(w.mant == v.mant && w.exp == v.exp);
}
static void same_char(const fixgw_msg_t *m, uint32_t tag, char v) {
  char w;
  assert_int_equal(fixgw_msg_get_char(m, tag, &w), 0);
  assert_int_equal(v, w);
}
static void same_ts(const fixgw_msg_t *m, uint32_t tag, int64_t v) {
  int64_t w;
  assert_int_equal(fixgw_msg_get_timestamp(m, tag, &w), 0);
  assert_true(v == w);
}
static void same_hdr(const fixgw_msg_t *m, const fixgw_fix44_header_t *h) {
  same_str(m, 49, h->sender_comp_id);
  same_str(m, 56, h->target_comp_id);
  same_ts(m, 52, h->sending_time);
  int64_t seq;
  assert_int_equal(fixgw_msg_get_int(m, 34, &seq), 0);
  assert_true(seq == h->msg_seq_num);
}

static void test_read_corpus(void **state) {
  (void)state;
  fixgw_gen_t g;
  fixgw_gen_config_t gc;
  fixgw_gen_config_default(&gc);
  gc.seed = 7;
  assert_int_equal(fixgw_gen_init(&g, &gc), 0);
  size_t cap = fixgw_gen_max_msg_size(&g);
  char *buf = malloc(cap);
  assert_non_null(buf);
  const fixgw_dict_t *d = fixgw_dict_fix44();
  unsigned seen[8] = {0};
  for (int k = 0; k < 5000; k++) {
    const char *out;
    size_t len, used;
    assert_int_equal(fixgw_gen_next(&g, buf, cap, &out, &len), 0);
    fixgw_msg_t m;
    assert_int_equal(fixgw_parse(&parser, out, len, &used, &m, NULL), 0);
    seen[g.last_type]++;
    switch (m.msgtype.ptr[0]) {
      case 'D': {
        fixgw_fix44_new_order_single_t s;
        assert_int_equal(fixgw_fix44_new_order_single_read(&m, &s), 0);
        same_hdr(&m, &s.hdr);
        same_str(&m, 11, s.cl_ord_id);
        same_str(&m, 55, s.symbol);
        same_char(&m, 54, s.side);
        same_char(&m, 40, s.ord_type);
        same_dec(&m, 38, s.order_qty);
        same_ts(&m, 60, s.transact_time);
        if (fixgw_msg_find(&m, 44)) same_dec(&m, 44, s.price);
        assert_int_equal(FIXGW_TRAIT_HAS(new_order_single, s, price), fixgw_msg_find(&m, 44) != NULL);
        assert_false(FIXGW_TRAIT_HAS(new_order_single, s, stop_px));
        break;
      }
      case '8': {
        fixgw_fix44_execution_report_t s;
        assert_int_equal(fixgw_fix44_execution_report_read(&m, &s), 0);
        same_hdr(&m, &s.hdr);
        same_str(&m, 37, s.order_id);
        same_str(&m, 17, s.exec_id);
        same_char(&m, 150, s.exec_type);
        same_char(&m, 39, s.ord_status);
        same_dec(&m, 151, s.leaves_qty);
        same_dec(&m, 14, s.cum_qty);
        same_dec(&m, 6, s.avg_px);
        if (fixgw_msg_find(&m, 31)) same_dec(&m, 31, s.last_px);
        assert_int_equal(FIXGW_TRAIT_HAS(execution_report, s, last_qty), fixgw_msg_find(&m, 32) != NULL);
        break;
      }
      case 'F': {
        fixgw_fix44_order_cancel_request_t s;
        assert_int_equal(fixgw_fix44_order_cancel_request_read(&m, &s), 0);
        same_str(&m, 41, s.orig_cl_ord_id);
        same_str(&m, 11, s.cl_ord_id);
        break;
      }
      case 'W': {
        fixgw_fix44_market_data_snapshot_t s;
        assert_int_equal(fixgw_fix44_market_data_snapshot_read(&m, &s), 0);
        int64_t count;
        assert_int_equal(fixgw_msg_get_int(&m, 268, &count), 0);
        assert_int_equal(s.no_md_entries.view.count, count);
        fixgw_group_entry_t e;
        uint32_t n = 0;
        while (fixgw_dict_group_next(d, &s.no_md_entries.view, &e) == 0) {
          fixgw_fix44_md_entry_t me;
          assert_int_equal(fixgw_fix44_md_entry_read(&e, &me), 0);
          assert_true(me.md_entry_type == '0' || me.md_entry_type == '1');
          assert_true(FIXGW_TRAIT_HAS(md_entry, me, md_entry_px));
          n++;
        }
        assert_int_equal(n, count);
        break;
      }
      case '0': {
        fixgw_fix44_heartbeat_t s;
        assert_int_equal(fixgw_fix44_heartbeat_read(&m, &s), 0);
        same_hdr(&m, &s.hdr);
        break;
      }
      default:
        fail_msg("unexpected MsgType");
    }
  }
  for (int t = 0; t < FIXGW_GEN_TYPE_COUNT; t++) assert_true(seen[t] > 0);
  fixgw_gen_destroy(&g);
  free(buf);
}

/* ------------------------------------------------------ order, errors */

static char fbuf[4096];

static void frame(const char *pipe_body, fixgw_msg_t *m) {
  size_t blen = strlen(pipe_body);
  int hl = snprintf(fbuf, sizeof fbuf, "8=FIX.4.4\0019=%zu\001", blen);
  for (size_t i = 0; i < blen; i++) fbuf[(size_t)hl + i] = pipe_body[i] == '|' ? '\001' : pipe_body[i];
  size_t n = (size_t)hl + blen;
  n += (size_t)snprintf(fbuf + n, sizeof fbuf - n, "10=%03u\001", fixgw_checksum(fbuf, n));
  size_t used;
  assert_int_equal(fixgw_parse(&parser, fbuf, n, &used, m, NULL), 0);
}

#define HDR "49=S|56=T|34=9|52=20240315-13:30:00.000|"

/* Fields in any order read the same; unlisted groups are skipped whole. */
static void test_read_any_order(void **state) {
  (void)state;
  fixgw_msg_t m;
  fixgw_fix44_new_order_single_t a, b;
  frame("35=D|" HDR "11=A1|55=IBM|54=1|60=20240315-13:29:59.123|38=100|40=2|44=10.25|"
        "453=1|448=P1|447=D|452=3|",
        &m);
  assert_int_equal(fixgw_fix44_new_order_single_read(&m, &a), 0);
  frame("35=D|" HDR "453=1|448=P1|447=D|452=3|44=10.25|40=2|38=100|60=20240315-13:29:59.123|"
        "54=1|55=IBM|11=A1|78=1|79=ACCT|80=5|",
        &m);
  assert_int_equal(fixgw_fix44_new_order_single_read(&m, &b), 0);
  assert_true(a.present == b.present);
  assert_int_equal(a.price.mant, 1025);
  assert_int_equal(b.price.mant, 1025);
  assert_int_equal(a.side, b.side);
  assert_true(a.transact_time == b.transact_time);
  assert_int_equal(b.no_party_ids.view.count, 1);
  fixgw_group_entry_t e;
  assert_int_equal(fixgw_dict_group_next(fixgw_dict_fix44(), &b.no_party_ids.view, &e), 0);
  fixgw_fix44_party_t p;
  assert_int_equal(fixgw_fix44_party_read(&e, &p), 0);
  assert_int_equal(p.party_id.len, 2);
  assert_int_equal(p.party_role, 3);
  assert_int_equal(p.party_id_source, 'D');

  /* Missing required, wrong type, bad value. */
  frame("35=D|" HDR "55=IBM|54=1|60=20240315-13:29:59.123|40=2|", &m);
  assert_int_equal(fixgw_fix44_new_order_single_read(&m, &a), FIXGW_EREQUIRED);
  assert_false(FIXGW_TRAIT_HAS(new_order_single, a, cl_ord_id));
  assert_true(FIXGW_TRAIT_HAS(new_order_single, a, side));
  assert_int_equal(fixgw_fix44_execution_report_read(&m, &(fixgw_fix44_execution_report_t){0}),
                   FIXGW_EINVAL);
  frame("35=D|" HDR "11=A|55=IBM|54=1|60=20240315-13:29:59.123|40=2|38=1x|", &m);
  assert_int_equal(fixgw_fix44_new_order_single_read(&m, &a), FIXGW_EFORMAT);
  assert_false(FIXGW_TRAIT_HAS(new_order_single, a, order_qty));
  frame("35=D|" HDR "11=A|55=IBM|54=1|60=20240315-13:29:59.123|40=2|453=2|448=P|", &m);
  assert_int_equal(fixgw_fix44_new_order_single_read(&m, &a), FIXGW_EGROUPCOUNT);
}

/* Build, encode, parse, validate, read back. */
static void test_encode_roundtrip(void **state) {
  (void)state;
  fixgw_validator_t v;
  fixgw_validator_config_t vc;
  fixgw_validator_config_default(&vc, fixgw_dict_fix44());
  assert_int_equal(fixgw_validator_init(&v, &vc), 0);
  char out[2048];
  fixgw_encoder_t e;
  const char *msg;
  size_t len, used;
  fixgw_msg_t m;
  fixgw_reject_t rej;
  int64_t t0 = 1710509399123000000;

  fixgw_fix44_party_t parties[2] = {FIXGW_FIX44_PARTY_INIT(), FIXGW_FIX44_PARTY_INIT()};
  FIXGW_TRAIT_SET(party, parties[0], party_id, ((fixgw_str_t){"DESK1", 5}));
  FIXGW_TRAIT_SET(party, parties[0], party_id_source, 'D');
  FIXGW_TRAIT_SET(party, parties[0], party_role, 11);
  FIXGW_TRAIT_SET(party, parties[1], party_id, ((fixgw_str_t){"TRADER7", 7}));
  FIXGW_TRAIT_SET(party, parties[1], party_role, 12);
  fixgw_fix44_new_order_single_t s =
      FIXGW_FIX44_NEW_ORDER_SINGLE_INIT(((fixgw_str_t){"ORD-1", 5}), '2', t0, '2');
  FIXGW_TRAIT_SET(new_order_single, s, symbol, ((fixgw_str_t){"MSFT", 4}));
  FIXGW_TRAIT_SET(new_order_single, s, order_qty, ((fixgw_decimal_t){250, 0}));
  FIXGW_TRAIT_SET(new_order_single, s, price, ((fixgw_decimal_t){41275, -2}));
  FIXGW_TRAIT_SET(new_order_single, s, expire_date, ((fixgw_date_t){2024, 3, 29, 0}));
  FIXGW_TRAIT_SET(new_order_single, s, no_party_ids,
                  ((fixgw_trait_group_t){.entries = parties, .nentries = 2}));
  assert_int_equal(fixgw_enc_begin(&e, out, sizeof out, "FIX.4.4", "D"), 0);
  fixgw_enc_cstr(&e, 49, "S");
  fixgw_enc_cstr(&e, 56, "T");
  fixgw_enc_uint(&e, 34, 5);
  fixgw_enc_timestamp(&e, 52, t0, FIXGW_TS_MILLIS);
  assert_int_equal(fixgw_fix44_new_order_single_encode(&e, &s, FIXGW_TS_MILLIS), 0);
  assert_int_equal(fixgw_enc_finish(&e, &msg, &len), 0);
  assert_int_equal(fixgw_parse(&parser, msg, len, &used, &m, NULL), 0);
  if (fixgw_validate(&v, &m, &rej) != 0)
    fail_msg("encoded D invalid: reason %d tag %u", rej.reason, rej.ref_tag);
  fixgw_fix44_new_order_single_t r;
  assert_int_equal(fixgw_fix44_new_order_single_read(&m, &r), 0);
  assert_true(r.present == s.present);
  assert_true(r.transact_time == t0);
  assert_int_equal(r.price.mant, 41275);
  assert_int_equal(r.expire_date.day, 29);
  assert_int_equal(r.no_party_ids.view.count, 2);
  assert_int_equal(r.hdr.msg_seq_num, 5);

  /* A snapshot with entries, times of day included. */
  fixgw_fix44_md_entry_t ents[3];
  for (int k = 0; k < 3; k++) {
    ents[k] = FIXGW_FIX44_MD_ENTRY_INIT(k & 1 ? '1' : '0');
    FIXGW_TRAIT_SET(md_entry, ents[k], md_entry_px, ((fixgw_decimal_t){10000 + k, -2}));
    FIXGW_TRAIT_SET(md_entry, ents[k], md_entry_size, ((fixgw_decimal_t){100 * (k + 1), 0}));
    FIXGW_TRAIT_SET(md_entry, ents[k], md_entry_time, (int64_t)(13 * 3600 + 30 * 60) * 1000000000 + 5000000);
  }
  fixgw_fix44_market_data_snapshot_t w = FIXGW_FIX44_MARKET_DATA_SNAPSHOT_INIT(ents, 3);
  FIXGW_TRAIT_SET(market_data_snapshot, w, symbol, ((fixgw_str_t){"ESM4", 4}));
  assert_int_equal(fixgw_enc_begin(&e, out, sizeof out, "FIX.4.4", "W"), 0);
  fixgw_enc_cstr(&e, 49, "S");
  fixgw_enc_cstr(&e, 56, "T");
  fixgw_enc_uint(&e, 34, 6);
  fixgw_enc_timestamp(&e, 52, t0, FIXGW_TS_MILLIS);
  assert_int_equal(fixgw_fix44_market_data_snapshot_encode(&e, &w, FIXGW_TS_MILLIS), 0);
  assert_int_equal(fixgw_enc_finish(&e, &msg, &len), 0);
  assert_non_null(strstr(msg, "273=13:30:00.005\001"));
  assert_int_equal(fixgw_parse(&parser, msg, len, &used, &m, NULL), 0);
  if (fixgw_validate(&v, &m, &rej) != 0)
    fail_msg("encoded W invalid: reason %d tag %u", rej.reason, rej.ref_tag);
  fixgw_fix44_market_data_snapshot_t wr;
  assert_int_equal(fixgw_fix44_market_data_snapshot_read(&m, &wr), 0);
  fixgw_group_entry_t en;
  for (int k = 0; k < 3; k++) {
    assert_int_equal(fixgw_dict_group_next(fixgw_dict_fix44(), &wr.no_md_entries.view, &en), 0);
    fixgw_fix44_md_entry_t me;
    assert_int_equal(fixgw_fix44_md_entry_read(&en, &me), 0);
    assert_true(me.present == ents[k].present);
    assert_int_equal(me.md_entry_px.mant, 10000 + k);
    assert_true(me.md_entry_time == ents[k].md_entry_time);
  }
  assert_int_equal(fixgw_dict_group_next(fixgw_dict_fix44(), &wr.no_md_entries.view, &en),
                   FIXGW_ENOTFOUND);

  /* Required fields checked at run time for structs built by hand. */
  fixgw_fix44_execution_report_t er;
  memset(&er, 0, sizeof er);
  FIXGW_TRAIT_SET(execution_report, er, order_id, ((fixgw_str_t){"O", 1}));
  assert_int_equal(fixgw_enc_begin(&e, out, sizeof out, "FIX.4.4", "8"), 0);
  size_t before = e.pos;
  assert_int_equal(fixgw_fix44_execution_report_encode(&e, &er, FIXGW_TS_MILLIS), FIXGW_EREQUIRED);
  assert_int_equal(e.pos, before);
  /* The error is the encoder's too: no ExecutionReport with an empty body. */
  const char *spent;
  size_t spent_len;
  assert_int_equal(fixgw_enc_finish(&e, &spent, &spent_len), FIXGW_EREQUIRED);
  assert_int_equal(fixgw_enc_begin(&e, out, sizeof out, "FIX.4.4", "W"), 0);
  fixgw_fix44_md_entry_t bad_time = FIXGW_FIX44_MD_ENTRY_INIT('0');
  FIXGW_TRAIT_SET(md_entry, bad_time, md_entry_time, (int64_t)-1);
  assert_int_equal(fixgw_fix44_md_entry_encode(&e, &bad_time, FIXGW_TS_MILLIS), FIXGW_EINVAL);
  fixgw_validator_destroy(&v);
}

/* ------------------------------------- every encode error reaches finish */

static char ebuf[4096];

/* Begin a message of MsgType mt, run the encode expression, and demand
 * that it fails with want and that fixgw_enc_finish() fails the same. */
#define EXPECT_ENC_FAILS(mt, want, call)                                          \
  do {                                                                            \
    fixgw_encoder_t e_;                                                           \
    fixgw_encoder_t *e = &e_;                                                     \
    assert_int_equal(fixgw_enc_begin(e, ebuf, sizeof ebuf, "FIX.4.4", mt), 0);     \
    int rc_ = (call);                                                             \
    if (rc_ != (want)) fail_msg("%s: %s, want %s", #call, fixgw_err_name(rc_),     \
                                fixgw_err_name(want));                            \
    const char *o_;                                                               \
    size_t n_;                                                                    \
    int fin_ = fixgw_enc_finish(e, &o_, &n_);                                     \
    if (fin_ != (want)) fail_msg("%s: finish %s, want %s", #call,                 \
                                 fixgw_err_name(fin_), fixgw_err_name(want));     \
  } while (0)

static fixgw_str_t S(const char *c) {
  fixgw_str_t v = {c, strlen(c)};
  return v;
}

static void test_encode_errors_reach_finish(void **state) {
  (void)state;
  const int64_t t0 = 1710513015123000000LL;
  fixgw_decimal_t q = {100, 0}, bad_dec = {1, 40};
  fixgw_str_t empty = {"", 0};

  /* NULL struct: every trait. */
#define NULL_CASE(trait, LIST, x) \
  EXPECT_ENC_FAILS("0", FIXGW_EINVAL, fixgw_fix44_##trait##_encode(e, NULL, FIXGW_TS_MILLIS));
  FIXGW_FIX44_MSG_TRAITS(NULL_CASE)
  FIXGW_FIX44_ENTRY_TRAITS(NULL_CASE)
#undef NULL_CASE

  /* A required field missing: every trait that has one. */
  fixgw_fix44_new_order_single_t nos = FIXGW_FIX44_NEW_ORDER_SINGLE_INIT(S("C1"), '1', t0, '2');
  fixgw_fix44_new_order_single_t nos_m = nos;
  nos_m.present &= ~FIXGW_TRAIT_BIT(new_order_single, side);
  EXPECT_ENC_FAILS("D", FIXGW_EREQUIRED, fixgw_fix44_new_order_single_encode(e, &nos_m, FIXGW_TS_MILLIS));
  fixgw_fix44_execution_report_t er =
      FIXGW_FIX44_EXECUTION_REPORT_INIT(S("O1"), S("X1"), '0', '0', '1', q, q, q);
  fixgw_fix44_execution_report_t er_m = er;
  er_m.present &= ~FIXGW_TRAIT_BIT(execution_report, avg_px);
  EXPECT_ENC_FAILS("8", FIXGW_EREQUIRED, fixgw_fix44_execution_report_encode(e, &er_m, FIXGW_TS_MILLIS));
  fixgw_fix44_order_cancel_request_t ocr =
      FIXGW_FIX44_ORDER_CANCEL_REQUEST_INIT(S("C0"), S("C1"), '1', t0);
  fixgw_fix44_order_cancel_request_t ocr_m = ocr;
  ocr_m.present &= ~FIXGW_TRAIT_BIT(order_cancel_request, orig_cl_ord_id);
  EXPECT_ENC_FAILS("F", FIXGW_EREQUIRED, fixgw_fix44_order_cancel_request_encode(e, &ocr_m, FIXGW_TS_MILLIS));
  fixgw_fix44_order_cancel_replace_request_t ocrr =
      FIXGW_FIX44_ORDER_CANCEL_REPLACE_REQUEST_INIT(S("C0"), S("C1"), '1', t0, '2');
  fixgw_fix44_order_cancel_replace_request_t ocrr_m = ocrr;
  ocrr_m.present &= ~FIXGW_TRAIT_BIT(order_cancel_replace_request, ord_type);
  EXPECT_ENC_FAILS("G", FIXGW_EREQUIRED,
                   fixgw_fix44_order_cancel_replace_request_encode(e, &ocrr_m, FIXGW_TS_MILLIS));
  fixgw_fix44_md_entry_t me[2] = {FIXGW_FIX44_MD_ENTRY_INIT('0'), FIXGW_FIX44_MD_ENTRY_INIT('1')};
  fixgw_fix44_market_data_snapshot_t w = FIXGW_FIX44_MARKET_DATA_SNAPSHOT_INIT(me, 2);
  fixgw_fix44_market_data_snapshot_t w_m = w;
  w_m.present = 0;
  EXPECT_ENC_FAILS("W", FIXGW_EREQUIRED, fixgw_fix44_market_data_snapshot_encode(e, &w_m, FIXGW_TS_MILLIS));
  fixgw_fix44_md_inc_entry_t mi[1] = {FIXGW_FIX44_MD_INC_ENTRY_INIT('0')};
  fixgw_fix44_market_data_incremental_t x = FIXGW_FIX44_MARKET_DATA_INCREMENTAL_INIT(mi, 1);
  fixgw_fix44_market_data_incremental_t x_m = x;
  x_m.present = 0;
  EXPECT_ENC_FAILS("X", FIXGW_EREQUIRED,
                   fixgw_fix44_market_data_incremental_encode(e, &x_m, FIXGW_TS_MILLIS));
  fixgw_fix44_md_entry_t me_m = me[0];
  me_m.present = 0;
  EXPECT_ENC_FAILS("W", FIXGW_EREQUIRED, fixgw_fix44_md_entry_encode(e, &me_m, FIXGW_TS_MILLIS));
  fixgw_fix44_md_inc_entry_t mi_m = mi[0];
  mi_m.present = 0;
  EXPECT_ENC_FAILS("X", FIXGW_EREQUIRED, fixgw_fix44_md_inc_entry_encode(e, &mi_m, FIXGW_TS_MILLIS));

  /* A required entry missing inside a group: the entry's error. */
  fixgw_fix44_md_entry_t me_bad[2] = {me[0], me_m};
  fixgw_fix44_market_data_snapshot_t w_e = FIXGW_FIX44_MARKET_DATA_SNAPSHOT_INIT(me_bad, 2);
  EXPECT_ENC_FAILS("W", FIXGW_EREQUIRED, fixgw_fix44_market_data_snapshot_encode(e, &w_e, FIXGW_TS_MILLIS));
  fixgw_fix44_md_inc_entry_t mi_bad[1] = {mi_m};
  fixgw_fix44_market_data_incremental_t x_e = FIXGW_FIX44_MARKET_DATA_INCREMENTAL_INIT(mi_bad, 1);
  EXPECT_ENC_FAILS("X", FIXGW_EREQUIRED,
                   fixgw_fix44_market_data_incremental_encode(e, &x_e, FIXGW_TS_MILLIS));
  /* Entries missing for a count. */
  fixgw_fix44_market_data_snapshot_t w_n = FIXGW_FIX44_MARKET_DATA_SNAPSHOT_INIT(NULL, 3);
  EXPECT_ENC_FAILS("W", FIXGW_EINVAL, fixgw_fix44_market_data_snapshot_encode(e, &w_n, FIXGW_TS_MILLIS));
  fixgw_fix44_new_order_single_t nos_p = nos;
  FIXGW_TRAIT_SET(new_order_single, nos_p, no_party_ids,
                  ((fixgw_trait_group_t){.entries = NULL, .nentries = 1}));
  EXPECT_ENC_FAILS("D", FIXGW_EINVAL, fixgw_fix44_new_order_single_encode(e, &nos_p, FIXGW_TS_MILLIS));

  /* A value the encoder refuses, one per kind: STR empty, DEC exponent,
   * CHAR SOH, TS negative, TIME past midnight, DATE month 13, INT too
   * long for the buffer (below), BOOL cannot fail. */
  fixgw_fix44_new_order_single_t v = nos;
  FIXGW_TRAIT_SET(new_order_single, v, account, empty);
  EXPECT_ENC_FAILS("D", FIXGW_EINVAL, fixgw_fix44_new_order_single_encode(e, &v, FIXGW_TS_MILLIS));
  v = nos;
  FIXGW_TRAIT_SET(new_order_single, v, price, bad_dec);
  EXPECT_ENC_FAILS("D", FIXGW_EINVAL, fixgw_fix44_new_order_single_encode(e, &v, FIXGW_TS_MILLIS));
  v = nos;
  v.side = '\x01';
  EXPECT_ENC_FAILS("D", FIXGW_EINVAL, fixgw_fix44_new_order_single_encode(e, &v, FIXGW_TS_MILLIS));
  v = nos;
  v.transact_time = -1;
  EXPECT_ENC_FAILS("D", FIXGW_EINVAL, fixgw_fix44_new_order_single_encode(e, &v, FIXGW_TS_MILLIS));
  v = nos;
  EXPECT_ENC_FAILS("D", FIXGW_EINVAL,
                   fixgw_fix44_new_order_single_encode(e, &v, (fixgw_ts_precision)4));
  v = nos;
  FIXGW_TRAIT_SET(new_order_single, v, settl_date, ((fixgw_date_t){2024, 13, 1, 0}));
  EXPECT_ENC_FAILS("D", FIXGW_EINVAL, fixgw_fix44_new_order_single_encode(e, &v, FIXGW_TS_MILLIS));
  fixgw_fix44_md_entry_t mt = me[0];
  FIXGW_TRAIT_SET(md_entry, mt, md_entry_time, (int64_t)86400 * 1000000000LL);
  EXPECT_ENC_FAILS("W", FIXGW_EINVAL, fixgw_fix44_md_entry_encode(e, &mt, FIXGW_TS_MILLIS));
  fixgw_fix44_execution_report_t er_v = er;
  er_v.cum_qty = bad_dec;
  EXPECT_ENC_FAILS("8", FIXGW_EINVAL, fixgw_fix44_execution_report_encode(e, &er_v, FIXGW_TS_MILLIS));
  fixgw_fix44_order_cancel_request_t ocr_v = ocr;
  ocr_v.cl_ord_id = empty;
  EXPECT_ENC_FAILS("F", FIXGW_EINVAL, fixgw_fix44_order_cancel_request_encode(e, &ocr_v, FIXGW_TS_MILLIS));
  fixgw_fix44_order_cancel_replace_request_t ocrr_v = ocrr;
  ocrr_v.ord_type = '\x01';
  EXPECT_ENC_FAILS("G", FIXGW_EINVAL,
                   fixgw_fix44_order_cancel_replace_request_encode(e, &ocrr_v, FIXGW_TS_MILLIS));
  fixgw_fix44_heartbeat_t hb = FIXGW_FIX44_HEARTBEAT_INIT();
  FIXGW_TRAIT_SET(heartbeat, hb, test_req_id, empty);
  EXPECT_ENC_FAILS("0", FIXGW_EINVAL, fixgw_fix44_heartbeat_encode(e, &hb, FIXGW_TS_MILLIS));
  fixgw_fix44_party_t pa = FIXGW_FIX44_PARTY_INIT();
  FIXGW_TRAIT_SET(party, pa, party_id, empty);
  EXPECT_ENC_FAILS("D", FIXGW_EINVAL, fixgw_fix44_party_encode(e, &pa, FIXGW_TS_MILLIS));
  fixgw_fix44_md_inc_entry_t mi_v = mi[0];
  mi_v.md_update_action = '\x01';
  EXPECT_ENC_FAILS("X", FIXGW_EINVAL, fixgw_fix44_md_inc_entry_encode(e, &mi_v, FIXGW_TS_MILLIS));
  fixgw_fix44_market_data_incremental_t x_v = x;
  FIXGW_TRAIT_SET(market_data_incremental, x_v, md_req_id, empty);
  EXPECT_ENC_FAILS("X", FIXGW_EINVAL,
                   fixgw_fix44_market_data_incremental_encode(e, &x_v, FIXGW_TS_MILLIS));
  fixgw_fix44_market_data_snapshot_t w_v = w;
  FIXGW_TRAIT_SET(market_data_snapshot, w_v, symbol, empty);
  EXPECT_ENC_FAILS("W", FIXGW_EINVAL, fixgw_fix44_market_data_snapshot_encode(e, &w_v, FIXGW_TS_MILLIS));

  /* Out of room, and an error from before the encode. */
  {
    fixgw_encoder_t e2;
    char small[64];
    const char *o;
    size_t n;
    assert_int_equal(fixgw_enc_begin(&e2, small, sizeof small, "FIX.4.4", "8"), 0);
    assert_int_equal(fixgw_fix44_execution_report_encode(&e2, &er, FIXGW_TS_MILLIS), FIXGW_ENOSPC);
    assert_int_equal(fixgw_enc_finish(&e2, &o, &n), FIXGW_ENOSPC);
    assert_int_equal(fixgw_enc_begin(&e2, ebuf, sizeof ebuf, "FIX.4.4", "0"), 0);
    fixgw_enc_str(&e2, 58, "", 0);
    assert_int_equal(fixgw_fix44_heartbeat_encode(&e2, &hb, FIXGW_TS_MILLIS), FIXGW_EINVAL);
    assert_int_equal(fixgw_enc_finish(&e2, &o, &n), FIXGW_EINVAL);
    assert_int_equal(fixgw_fix44_heartbeat_encode(NULL, &hb, FIXGW_TS_MILLIS), FIXGW_EINVAL);
  }
  /* And the good ones encode. */
  fixgw_encoder_t e3;
  const char *o3;
  size_t n3;
  fixgw_enc_begin(&e3, ebuf, sizeof ebuf, "FIX.4.4", "D");
  assert_int_equal(fixgw_fix44_new_order_single_encode(&e3, &nos, FIXGW_TS_MILLIS), 0);
  assert_int_equal(fixgw_enc_finish(&e3, &o3, &n3), 0);
}

static void test_zero_alloc(void **state) {
  (void)state;
  if (!fixgw_alloc_count_available()) skip();
  fixgw_msg_t m;
  frame("35=8|" HDR "37=O1|11=C1|17=E1|150=F|39=1|1=ACC|55=IBM|54=1|38=100|40=2|44=10|"
        "32=50|31=10|151=50|14=50|6=10|60=20240315-13:29:59.123|",
        &m);
  fixgw_fix44_execution_report_t s;
  int ok = 0;
  fixgw_alloc_count_reset();
  for (int k = 0; k < 1000; k++) ok += fixgw_fix44_execution_report_read(&m, &s) == 0;
  assert_int_equal(fixgw_alloc_count_calls(), 0);
  assert_int_equal(ok, 1000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lists_match_tables), cmocka_unit_test(test_read_corpus),
      cmocka_unit_test(test_read_any_order),     cmocka_unit_test(test_encode_roundtrip),
      cmocka_unit_test(test_zero_alloc),
      cmocka_unit_test(test_encode_errors_reach_finish),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
