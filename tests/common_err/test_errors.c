#include <string.h>

#include "fixgw/common.h"
#include "harness.h"

/* Every code in the X-macro list has distinct text and a name that spells
 * the enum; unknown codes get the fallbacks. */
static void test_names_and_texts(void **state) {
  (void)state;
  static const int codes[] = {
#define X(name, value, text) value,
      FIXGW_ERRNO_MAP(X)
#undef X
  };
  size_t n = sizeof codes / sizeof codes[0];
  for (size_t i = 0; i < n; i++) {
    assert_true(codes[i] <= 0);
    assert_string_not_equal(fixgw_strerror(codes[i]), "unknown error");
    assert_true(strncmp(fixgw_err_name(codes[i]), "FIXGW_", 6) == 0);
    for (size_t j = i + 1; j < n; j++) assert_int_not_equal(codes[i], codes[j]);
  }
  assert_string_equal(fixgw_err_name(FIXGW_ECHECKSUM), "FIXGW_ECHECKSUM");
  assert_string_equal(fixgw_strerror(12345), "unknown error");
  assert_string_equal(fixgw_err_name(-9999), "FIXGW_E?");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_names_and_texts)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
