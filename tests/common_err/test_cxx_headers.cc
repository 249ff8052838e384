// The public headers compile as C++ (the umbrella includes them all) and
// their inline parts work from C++: checked with -pedantic -Werror.
#include <fixgw.h>

#include <cstring>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
}

static void test_codec_from_cxx(void **) {
  char buf[256];
  fixgw_encoder_t e;
  assert_int_equal(fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "0"), 0);
  fixgw_enc_cstr(&e, 49, "A");
  const char *out = nullptr;
  size_t len = 0;
  assert_int_equal(fixgw_enc_finish(&e, &out, &len), 0);
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, nullptr), 0);
  fixgw_msg_t m;
  size_t used = 0;
  assert_int_equal(fixgw_parse(&p, out, len, &used, &m, nullptr), 0);
  const fixgw_field_t *f = fixgw_msg_find(&m, 49);  // inline in codec.h
  assert_non_null(f);
  assert_int_equal(f->len, 1);
  fixgw_parser_destroy(&p);
  assert_string_equal(fixgw_err_name(FIXGW_EAGAIN), "FIXGW_EAGAIN");
}

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_codec_from_cxx)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
