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
  fixgw_fix44_md_entry_t bad_time = FIXGW_FIX44_MD_ENTRY_INIT('0');
  FIXGW_TRAIT_SET(md_entry, bad_time, md_entry_time, (int64_t)-1);
  assert_int_equal(fixgw_fix44_md_entry_encode(&e, &bad_time, FIXGW_TS_MILLIS), FIXGW_EINVAL);
  fixgw_validator_destroy(&v);
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
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
