/* Every public header compiles as C99 under -Wpedantic -Wshadow -Werror
 * (set on this target), and the macros a host expands are used once.
 * Headers of other layers that are not C99 yet are included first with
 * -Wpedantic off, so this target judges the others; shrink that block as
 * they are fixed: pool.h uses C11's _Alignas; session.h and tz.h both
 * typedef fixgw_tz_t (a C11 redefinition). */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wtypedef-redefinition"
#endif
#include "fixgw/pool.h"
#include "fixgw/session.h"
#include "fixgw/tz.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <fixgw.h>

#include <string.h>

#include "harness.h"

static void test_c99(void **state) {
  (void)state;
  fixgw_str_t id = {"C1", 2};
  fixgw_fix44_new_order_single_t nos = FIXGW_FIX44_NEW_ORDER_SINGLE_INIT(id, '1', 0, '2');
  FIXGW_TRAIT_SET(new_order_single, nos, symbol, id);
  assert_true(FIXGW_TRAIT_HAS(new_order_single, nos, symbol));
  assert_true((nos.present & FIXGW_FIX44_NEW_ORDER_SINGLE_REQUIRED) ==
              FIXGW_FIX44_NEW_ORDER_SINGLE_REQUIRED);
  assert_string_equal(fixgw_reject_reason_name(FIXGW_SRR_NONE), "NONE");
  assert_string_equal(fixgw_reject_reason_text(FIXGW_SRR_NONE), "No rejection");
  assert_string_equal(fixgw_err_name(FIXGW_ETRUNCATED), "FIXGW_ETRUNCATED");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_c99)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
