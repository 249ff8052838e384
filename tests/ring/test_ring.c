#define _GNU_SOURCE
/* Rings and the priority set, single-threaded: argument validation,
 * capacity, FIFO, batches, priority order, aging, overflow policies,
 * gauges, no allocation after init. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixgw/ring.h"
#include "harness.h"

#define V(i) ((void *)(uintptr_t)(i))

struct order {
  int id;
};
FIXGW_RING_PROTOTYPE(orders, struct order, spsc)

static void test_invalid_args(void **state) {
  (void)state;
  fixgw_ring_spsc_t s;
  fixgw_ring_mpsc_t m;
  fixgw_ring_mpmc_t x;
  static const uint32_t bad[] = {0, 1, 3, 6, 1000, 0x80000000u, UINT32_MAX};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(fixgw_ring_spsc_init(&s, bad[i], NULL, NULL), FIXGW_EINVAL);
    assert_int_equal(fixgw_ring_mpsc_init(&m, bad[i], NULL, NULL), FIXGW_EINVAL);
    assert_int_equal(fixgw_ring_mpmc_init(&x, bad[i], NULL, NULL), FIXGW_EINVAL);
    assert_int_equal(fixgw_ring_storage_size(bad[i]), 0);
  }
  assert_int_equal(fixgw_ring_spsc_init(NULL, 8, NULL, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_ring_mpsc_init(NULL, 8, NULL, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_ring_mpmc_init(NULL, 8, NULL, NULL), FIXGW_EINVAL);
  static uint64_t store[9];
  assert_int_equal(fixgw_ring_spsc_init(&s, 8, (char *)store + 1, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_ring_orders_init(NULL, 8, NULL, NULL), FIXGW_EINVAL);
  fixgw_ring_spsc_destroy(NULL);
  fixgw_ring_mpsc_destroy(NULL);
  fixgw_ring_mpmc_destroy(NULL);
  /* Caller storage of exactly the advertised size works. */
  assert_int_equal(fixgw_ring_storage_size(8), 64);
  assert_int_equal(fixgw_ring_spsc_init(&s, 8, store, NULL), 0);
  assert_int_equal(fixgw_ring_spsc_capacity(&s), 7);
  fixgw_ring_spsc_destroy(&s);
}

/* Each kind: holds size - 1, FIFO, EFULL/EEMPTY, batches partial. */
#define KIND_SEMANTICS(kind)                                                   \
  static void test_semantics_##kind(void **state) {                           \
    (void)state;                                                               \
    fixgw_ring_##kind##_t r;                                                   \
    void *out[16];                                                             \
    void *in[16];                                                              \
    for (int i = 0; i < 16; i++) in[i] = V(100 + i);                           \
    assert_int_equal(fixgw_ring_##kind##_init(&r, 8, NULL, NULL), 0);          \
    assert_int_equal(fixgw_ring_##kind##_capacity(&r), 7);                     \
    assert_int_equal(fixgw_ring_##kind##_dequeue(&r, out), FIXGW_EEMPTY);      \
    for (int i = 0; i < 7; i++)                                                \
      assert_int_equal(fixgw_ring_##kind##_enqueue(&r, V(i + 1)), 0);          \
    assert_int_equal(fixgw_ring_##kind##_enqueue(&r, V(99)), FIXGW_EFULL);     \
    assert_int_equal(fixgw_ring_##kind##_count(&r), 7);                        \
    for (int i = 0; i < 7; i++) {                                              \
      assert_int_equal(fixgw_ring_##kind##_dequeue(&r, out), 0);               \
      assert_ptr_equal(out[0], V(i + 1));                                      \
    }                                                                          \
    assert_int_equal(fixgw_ring_##kind##_dequeue(&r, out), FIXGW_EEMPTY);      \
    /* Wrap around several times with batches. */                              \
    for (int round = 0; round < 20; round++) {                                 \
      assert_int_equal(fixgw_ring_##kind##_enqueue_batch(&r, in, 5), 5);       \
      assert_int_equal(fixgw_ring_##kind##_enqueue_batch(&r, in + 5, 5), 2);   \
      assert_int_equal(fixgw_ring_##kind##_enqueue_batch(&r, in, 3), 0);       \
      assert_int_equal(fixgw_ring_##kind##_dequeue_batch(&r, out, 3), 3);      \
      assert_int_equal(fixgw_ring_##kind##_dequeue_batch(&r, out + 3, 16), 4); \
      for (int i = 0; i < 7; i++) assert_ptr_equal(out[i], in[i]);             \
      assert_int_equal(fixgw_ring_##kind##_dequeue_batch(&r, out, 16), 0);     \
      assert_int_equal(fixgw_ring_##kind##_enqueue_batch(&r, in, 0), 0);       \
    }                                                                          \
    fixgw_ring_##kind##_destroy(&r);                                           \
  }
KIND_SEMANTICS(spsc)
KIND_SEMANTICS(mpsc)
KIND_SEMANTICS(mpmc)

static void test_typed_ring(void **state) {
  (void)state;
  fixgw_ring_orders_t r;
  struct order o[3] = {{1}, {2}, {3}};
  assert_int_equal(fixgw_ring_orders_init(&r, 4, NULL, NULL), 0);
  for (int i = 0; i < 3; i++) assert_int_equal(fixgw_ring_orders_enqueue(&r, &o[i]), 0);
  assert_int_equal(fixgw_ring_orders_enqueue(&r, &o[0]), FIXGW_EFULL);
  assert_int_equal(fixgw_ring_orders_capacity(&r), 3);
  assert_int_equal(fixgw_ring_orders_count(&r), 3);
  for (int i = 0; i < 3; i++) {
    struct order *p = NULL;
    assert_int_equal(fixgw_ring_orders_dequeue(&r, &p), 0);
    assert_int_equal(p->id, i + 1);
  }
  fixgw_ring_orders_destroy(&r);
}

static fixgw_prio_set_t *make_set(uint32_t size, uint32_t starve, uint32_t prods) {
  fixgw_prio_config_t cfg;
  fixgw_prio_config_default(&cfg);
  cfg.max_producers = prods;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) cfg.ring_size[l] = size;
  cfg.starve_limit = starve;
  fixgw_prio_set_t *s = NULL;
  assert_int_equal(fixgw_prio_create(&s, &cfg, NULL), 0);
  return s;
}

static void test_prio_invalid_args(void **state) {
  (void)state;
  fixgw_prio_config_t cfg;
  fixgw_prio_set_t *s = (fixgw_prio_set_t *)1;
  fixgw_prio_config_default(&cfg);
  fixgw_prio_config_default(NULL);
  assert_int_equal(fixgw_prio_create(NULL, &cfg, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_prio_create(&s, NULL, NULL), FIXGW_EINVAL);
  assert_null(s);
  cfg.max_producers = 0;
  assert_int_equal(fixgw_prio_create(&s, &cfg, NULL), FIXGW_EINVAL);
  fixgw_prio_config_default(&cfg);
  cfg.ring_size[FIXGW_PRIO_LOW] = 100;
  assert_int_equal(fixgw_prio_create(&s, &cfg, NULL), FIXGW_EINVAL);
  fixgw_prio_config_default(&cfg);
  cfg.ring_size[FIXGW_PRIO_HIGH] = 0;
  assert_int_equal(fixgw_prio_create(&s, &cfg, NULL), FIXGW_EINVAL);
  fixgw_prio_config_default(&cfg);
  cfg.overflow[FIXGW_PRIO_NORMAL] = (fixgw_overflow_t)7;
  assert_int_equal(fixgw_prio_create(&s, &cfg, NULL), FIXGW_EINVAL);
  fixgw_prio_destroy(NULL);

  s = make_set(4, 0, 2);
  fixgw_prio_producer_t *p1, *p2, *p3;
  assert_int_equal(fixgw_prio_register(NULL, &p1), FIXGW_EINVAL);
  assert_int_equal(fixgw_prio_register(s, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_prio_register(s, &p1), 0);
  assert_int_equal(fixgw_prio_register(s, &p2), 0);
  assert_int_equal(fixgw_prio_register(s, &p3), FIXGW_EFULL);
  assert_int_equal(fixgw_prio_post(p1, (fixgw_prio_t)4, V(1)), FIXGW_EINVAL);
  assert_int_equal(fixgw_prio_post(p1, (fixgw_prio_t)-1, V(1)), FIXGW_EINVAL);
  assert_int_equal(fixgw_prio_post(p1, FIXGW_PRIO_LOW, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_prio_post(NULL, FIXGW_PRIO_LOW, V(1)), FIXGW_EINVAL);
  void *m;
  assert_int_equal(fixgw_prio_poll(NULL, &m, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_prio_poll(s, NULL, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_prio_poll(s, &m, NULL), FIXGW_EEMPTY);
  fixgw_prio_level_stats_t st;
  assert_int_equal(fixgw_prio_stats(s, (fixgw_prio_t)9, &st), FIXGW_EINVAL);
  assert_int_equal(fixgw_prio_stats(s, FIXGW_PRIO_LOW, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_prio_stats(NULL, FIXGW_PRIO_LOW, &st), FIXGW_EINVAL);
  fixgw_prio_destroy(s);
}

static void test_prio_strict_order(void **state) {
  (void)state;
  fixgw_prio_set_t *s = make_set(16, 0, 2);
  fixgw_prio_producer_t *a, *b;
  assert_int_equal(fixgw_prio_register(s, &a), 0);
  assert_int_equal(fixgw_prio_register(s, &b), 0);
  /* Posted low to high, from two producers; tags encode (level, seq). */
  for (int l = FIXGW_PRIO_LOW; l >= FIXGW_PRIO_CRITICAL; l--)
    for (int i = 0; i < 3; i++) {
      assert_int_equal(fixgw_prio_post(a, (fixgw_prio_t)l, V(1000 + l * 100 + i)), 0);
      assert_int_equal(fixgw_prio_post(b, (fixgw_prio_t)l, V(2000 + l * 100 + i)), 0);
    }
  fixgw_prio_level_stats_t st;
  assert_int_equal(fixgw_prio_stats(s, FIXGW_PRIO_NORMAL, &st), 0);
  assert_int_equal(st.depth, 6);
  assert_int_equal(st.posted, 6);
  int next_a[4] = {0}, next_b[4] = {0};
  int last_level = 0;
  for (int n = 0; n < 24; n++) {
    void *m;
    fixgw_prio_t lv;
    assert_int_equal(fixgw_prio_poll(s, &m, &lv), 0);
    assert_true((int)lv >= last_level); /* never a less urgent one first */
    last_level = (int)lv;
    uintptr_t v = (uintptr_t)m;
    int who = (int)(v / 1000), l = (int)(v % 1000) / 100, seq = (int)(v % 100);
    assert_int_equal(l, (int)lv);
    if (who == 1)
      assert_int_equal(seq, next_a[l]++);
    else
      assert_int_equal(seq, next_b[l]++);
  }
  void *m;
  assert_int_equal(fixgw_prio_poll(s, &m, NULL), FIXGW_EEMPTY);
  assert_int_equal(fixgw_prio_stats(s, FIXGW_PRIO_NORMAL, &st), 0);
  assert_int_equal(st.depth, 0);
  assert_int_equal(st.served, 6);
  assert_int_equal(st.aged, 0);
  fixgw_prio_destroy(s);
}

/* K = 4: with Critical always waiting, Low is served after at most 4
 * consecutive Criticals; with K = 0 never before Critical is drained. */
static void test_prio_starvation_prevention(void **state) {
  (void)state;
  for (uint32_t k = 0; k <= 4; k += 4) {
    fixgw_prio_set_t *s = make_set(256, k, 1);
    fixgw_prio_producer_t *p;
    assert_int_equal(fixgw_prio_register(s, &p), 0);
    for (int i = 0; i < 200; i++)
      assert_int_equal(fixgw_prio_post(p, FIXGW_PRIO_CRITICAL, V(1 + i)), 0);
    for (int i = 0; i < 10; i++)
      assert_int_equal(fixgw_prio_post(p, FIXGW_PRIO_LOW, V(10000 + i)), 0);
    int run = 0, lows = 0, low_seq = 0;
    for (int n = 0; n < 210; n++) {
      void *m;
      fixgw_prio_t lv;
      assert_int_equal(fixgw_prio_poll(s, &m, &lv), 0);
      if (lv == FIXGW_PRIO_LOW) {
        assert_ptr_equal(m, V(10000 + low_seq++));
        if (k) assert_true(run <= (int)k);
        run = 0;
        lows++;
      } else {
        run++;
        if (k && lows < 10) assert_true(run <= (int)k);
      }
      if (k == 0 && n < 200) assert_int_equal(lv, FIXGW_PRIO_CRITICAL);
    }
    assert_int_equal(lows, 10);
    fixgw_prio_level_stats_t st;
    fixgw_prio_stats(s, FIXGW_PRIO_LOW, &st);
    assert_int_equal(st.served, 10);
    assert_int_equal(st.aged, k ? 10 : 0);
    fixgw_prio_destroy(s);
  }
}

/* Aging across all four levels: with every level flooded, each is served
 * at least once in every K + 3 messages. */
static void test_prio_aging_all_levels(void **state) {
  (void)state;
  const uint32_t k = 3;
  fixgw_prio_set_t *s = make_set(128, k, 1);
  fixgw_prio_producer_t *p;
  assert_int_equal(fixgw_prio_register(s, &p), 0);
  for (int i = 0; i < 100; i++)
    for (int l = 0; l < FIXGW_PRIO_LEVELS; l++)
      assert_int_equal(fixgw_prio_post(p, (fixgw_prio_t)l, V(1 + l * 1000 + i)), 0);
  int since[FIXGW_PRIO_LEVELS] = {0};
  for (int n = 0; n < 200; n++) { /* all levels stay non-empty */
    void *m;
    fixgw_prio_t lv;
    assert_int_equal(fixgw_prio_poll(s, &m, &lv), 0);
    for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) {
      if (l == (int)lv)
        since[l] = 0;
      else
        assert_true(++since[l] <= (int)k + 3);
    }
  }
  fixgw_prio_destroy(s);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_prio_overflow_policies(void **state) {
  (void)state;
  fixgw_prio_config_t cfg;
  fixgw_prio_config_default(&cfg);
  cfg.max_producers = 1;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) cfg.ring_size[l] = 4;
  cfg.overflow[FIXGW_PRIO_HIGH] = FIXGW_OVERFLOW_BACKOFF;
  cfg.backoff_ns[FIXGW_PRIO_HIGH] = 2000000; /* 2 ms */
  fixgw_prio_set_t *s;
  fixgw_prio_producer_t *p;
  assert_int_equal(fixgw_prio_create(&s, &cfg, NULL), 0);
  assert_int_equal(fixgw_prio_register(s, &p), 0);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(fixgw_prio_post(p, FIXGW_PRIO_LOW, V(1 + i)), 0);
    assert_int_equal(fixgw_prio_post(p, FIXGW_PRIO_HIGH, V(10 + i)), 0);
  }
  uint64_t t0 = now_ns();
  assert_int_equal(fixgw_prio_post(p, FIXGW_PRIO_LOW, V(4)), FIXGW_EFULL);
  assert_int_equal(fixgw_prio_post(p, FIXGW_PRIO_HIGH, V(14)), FIXGW_EFULL);
  uint64_t waited = now_ns() - t0;
  assert_true(waited >= 2000000);  /* honoured the bound */
  assert_true(waited < 1000000000); /* and did not hang */
  fixgw_prio_level_stats_t st;
  fixgw_prio_stats(s, FIXGW_PRIO_LOW, &st);
  assert_int_equal(st.rejected, 1);
  assert_int_equal(st.backoffs, 0);
  assert_int_equal(st.depth, 3);
  fixgw_prio_stats(s, FIXGW_PRIO_HIGH, &st);
  assert_int_equal(st.rejected, 1);
  assert_int_equal(st.backoffs, 1);
  assert_int_equal(st.posted, 3);
  assert_int_equal(st.depth, 3);
  fixgw_prio_destroy(s);
}

static void test_no_allocation_after_init(void **state) {
  (void)state;
  if (!fixgw_alloc_count_available()) skip();
  fixgw_ring_spsc_t a;
  fixgw_ring_mpsc_t b;
  fixgw_ring_mpmc_t c;
  assert_int_equal(fixgw_ring_spsc_init(&a, 64, NULL, NULL), 0);
  assert_int_equal(fixgw_ring_mpsc_init(&b, 64, NULL, NULL), 0);
  assert_int_equal(fixgw_ring_mpmc_init(&c, 64, NULL, NULL), 0);
  fixgw_prio_set_t *s = make_set(64, 4, 2);
  fixgw_prio_producer_t *p;
  assert_int_equal(fixgw_prio_register(s, &p), 0);
  fixgw_alloc_count_reset();
  uint64_t sum = 0;
  for (int i = 1; i < 100000; i++) {
    void *v;
    fixgw_ring_spsc_enqueue(&a, V(i));
    fixgw_ring_mpsc_enqueue(&b, V(i));
    fixgw_ring_mpmc_enqueue(&c, V(i));
    fixgw_prio_post(p, (fixgw_prio_t)(i & 3), V(i));
    if (fixgw_ring_spsc_dequeue(&a, &v) == 0) sum += (uintptr_t)v;
    if (fixgw_ring_mpsc_dequeue(&b, &v) == 0) sum += (uintptr_t)v;
    if (fixgw_ring_mpmc_dequeue(&c, &v) == 0) sum += (uintptr_t)v;
    if (fixgw_prio_poll(s, &v, NULL) == 0) sum += (uintptr_t)v;
  }
  assert_int_equal(fixgw_alloc_count_calls(), 0);
  assert_int_equal(sum, 4ull * (99999ull * 100000ull / 2));
  fixgw_ring_spsc_destroy(&a);
  fixgw_ring_mpsc_destroy(&b);
  fixgw_ring_mpmc_destroy(&c);
  fixgw_prio_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_invalid_args),
      cmocka_unit_test(test_semantics_spsc),
      cmocka_unit_test(test_semantics_mpsc),
      cmocka_unit_test(test_semantics_mpmc),
      cmocka_unit_test(test_typed_ring),
      cmocka_unit_test(test_prio_invalid_args),
      cmocka_unit_test(test_prio_strict_order),
      cmocka_unit_test(test_prio_starvation_prevention),
      cmocka_unit_test(test_prio_aging_all_levels),
      cmocka_unit_test(test_prio_overflow_policies),
      cmocka_unit_test(test_no_allocation_after_init),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
