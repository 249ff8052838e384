/* Session creation under an allocator that fails its Nth call, for every N
 * until creation succeeds: each failure is FIXGW_ENOMEM with nothing left
 * allocated, with and without dictionary validation; then a session's
 * whole life (logon, traffic, resend, logout) allocates nothing more. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pair.h"

typedef struct failing {
  int fail_at; /* 1-based call that fails; 0: never */
  int calls;
  long live;
} failing_t;

static void *f_alloc(size_t n, void *u) {
  failing_t *f = u;
  if (++f->calls == f->fail_at) return NULL;
  f->live++;
  return malloc(n);
}

static void f_free(void *p, void *u) {
  failing_t *f = u;
  if (p) f->live--;
  free(p);
}

static void run(fixgw_version v, bool dict) {
  fixgw_store_t store;
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  assert_int_equal(fixgw_mem_store_create(&mc, &store), 0);
  for (int n = 1;; n++) {
    failing_t f = {n, 0, 0};
    fixgw_allocator_t a = {f_alloc, f_free, &f};
    fixgw_session_config_t c;
    fixgw_session_config_default(&c);
    c.id.version = v;
    if (v == FIXGW_V_FIXT11) c.default_appl_ver = FIXGW_DICT_FIX50SP2;
    strcpy(c.id.sender_comp_id, "A");
    strcpy(c.id.target_comp_id, "B");
    c.use_data_dictionary = dict;
    c.store = store;
    c.allocator = &a;
    fixgw_session_t *s = (fixgw_session_t *)&f; /* must be reset to NULL */
    int rc = fixgw_session_create(&c, NULL, NULL, &s);
    if (rc == 0) {
      assert_true(f.calls < n); /* every call was tried */
      assert_int_equal(fixgw_session_destroy(s), 0);
      assert_int_equal(f.live, 0);
      break;
    }
    assert_int_equal(rc, FIXGW_ENOMEM);
    assert_null(s);
    assert_int_equal(f.live, 0);
    assert_true(n < 1000);
  }
  fixgw_store_destroy(&store);
}

static void test_create_fails_cleanly(void **state) {
  (void)state;
  run(FIXGW_V_FIX42, false);
  run(FIXGW_V_FIX44, true);
  run(FIXGW_V_FIXT11, true);
}

static void test_no_allocation_after_create(void **state) {
  (void)state;
  if (!fixgw_alloc_count_available()) skip();
  pair_t p;
  pair_init(&p, FIXGW_V_FIX44, NULL);
  fixgw_alloc_count_reset();
  pair_connect(&p);
  for (int i = 0; i < 500; i++) {
    fixgw_encoder_t *e;
    assert_int_equal(fixgw_session_send_begin(p.ini.s, "D", NULL, p.now, &e), 0);
    fixgw_enc_cstr(e, 11, "X");
    assert_int_equal(fixgw_session_send_commit(p.ini.s, NULL), 0);
    if (i % 50 == 7) { /* lose one: a resend follows */
      const char *ptr;
      size_t len;
      fixgw_session_pending(p.ini.s, &ptr, &len);
      fixgw_session_written(p.ini.s, len, p.now);
    }
    pair_pump(&p);
  }
  pair_advance(&p, 100ull * 1000000000ull);
  fixgw_session_logout(p.ini.s, NULL, p.now);
  pair_pump(&p);
  assert_int_equal(fixgw_alloc_count_calls(), 0);
  assert_int_equal(p.acc.app_msgs, 500);
  assert_true(fixgw_session_stats(p.ini.s)->resent > 0);
  pair_destroy(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_fails_cleanly),
      cmocka_unit_test(test_no_allocation_after_create),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
