/* No allocation in the parse and encode loops: a malloc/free interposer
 * (tests/common/alloc_count.c) counts every call in the process. */
#include <string.h>

#include "fixgw/codec.h"
#include "fixmsg.h"
#include "harness.h"

static void test_no_alloc_in_loops(void **state) {
  (void)state;
  if (!fixgw_alloc_count_available()) skip(); /* sanitizer build owns malloc */
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  char msgs[3][512];
  size_t lens[3];
  lens[0] = fixmsg(msgs[0], 512, "FIX.4.4",
                   "35=D|49=A|56=B|34=1|52=20261121-13:45:12.123|11=X|55=Y|54=1|38=10|44=1.5|40=2|");
  lens[1] = fixmsg(msgs[1], 512, "FIX.4.4",
                   "35=W|49=A|56=B|34=2|52=20261121-13:45:12|55=Y|268=2|269=0|270=1|271=2|269=1|270=3|271=4|");
  lens[2] = fixmsg(msgs[2], 512, "FIX.4.4", "35=B|49=A|56=B|34=3|52=20261121-13:45:12|95=3|96=\x01=\x01|");
  char out[512];
  fixgw_alloc_count_reset();
  uint64_t ok = 0;
  for (int i = 0; i < 30000; i++) {
    fixgw_msg_t m;
    size_t used;
    int k = i % 3;
    ok += fixgw_parse(&p, msgs[k], lens[k], &used, &m, NULL) == 0;
    int64_t seq;
    fixgw_decimal_t px;
    fixgw_msg_get_int(&m, 34, &seq);
    fixgw_msg_get_decimal(&m, 44, &px);
    fixgw_encoder_t e;
    const char *o;
    size_t ol;
    fixgw_enc_begin(&e, out, sizeof out, "FIX.4.4", "8");
    fixgw_enc_uint(&e, 34, (uint64_t)i);
    fixgw_enc_timestamp(&e, 52, 1763732712123456789LL, FIXGW_TS_MICROS);
    fixgw_enc_decimal(&e, 44, (fixgw_decimal_t){41237, -2});
    fixgw_enc_cstr(&e, 55, "MSFT");
    fixgw_enc_data(&e, 95, 96, "a\x01", 2);
    ok += fixgw_enc_finish(&e, &o, &ol) == 0;
  }
  uint64_t calls = fixgw_alloc_count_calls();
  assert_int_equal(ok, 60000);
  assert_int_equal(calls, 0);
  /* The counter itself works: init allocates. */
  fixgw_parser_destroy(&p);
  fixgw_alloc_count_reset();
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  assert_true(fixgw_alloc_count_calls() > 0);
  fixgw_parser_destroy(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_no_alloc_in_loops)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
