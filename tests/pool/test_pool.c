/* Pool: argument validation, exhaustion, statistics, checked puts, typed
 * prototype, message buffers, backing options, no allocation after init. */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/pool.h"
#include "harness.h"

struct order {
  uint64_t id;
  double px;
  char sym[12];
};
FIXGW_POOL_PROTOTYPE(order, struct order)

struct wide {
  alignas(64) char b[100];
};
FIXGW_POOL_PROTOTYPE(wide, struct wide)

static void test_invalid_args(void **state) {
  (void)state;
  alignas(64) static char storage[4096];
  fixgw_pool_t p;
  assert_int_equal(fixgw_pool_storage_size(0, 8, 4), 0);
  assert_int_equal(fixgw_pool_storage_size(8, 8, 0), 0);
  assert_int_equal(fixgw_pool_storage_size(8, 3, 4), 0);
  assert_int_equal(fixgw_pool_storage_size(SIZE_MAX / 2, 8, 4), 0);
  assert_int_equal(fixgw_pool_storage_size(SIZE_MAX / 4, 8, 8), 0); /* overflow */
  assert_int_equal(fixgw_pool_init(NULL, 8, 8, 4, storage, sizeof storage, 0), FIXGW_EINVAL);
  assert_int_equal(fixgw_pool_init(&p, 8, 8, 4, NULL, sizeof storage, 0), FIXGW_EINVAL);
  assert_int_equal(fixgw_pool_init(&p, 0, 8, 4, storage, sizeof storage, 0), FIXGW_EINVAL);
  assert_int_equal(fixgw_pool_init(&p, 8, 8, 0, storage, sizeof storage, 0), FIXGW_EINVAL);
  assert_int_equal(fixgw_pool_init(&p, 8, 6, 4, storage, sizeof storage, 0), FIXGW_EINVAL);
  assert_int_equal(fixgw_pool_init(&p, 8, 8, 4, storage + 8, sizeof storage - 8, 0), FIXGW_EINVAL);
  assert_int_equal(fixgw_pool_init(&p, 8, 8, 4, storage, sizeof storage, 0x80), FIXGW_EINVAL);
  assert_int_equal(fixgw_pool_init(&p, 8, 8, 1000, storage, sizeof storage, 0), FIXGW_ENOSPC);
  assert_int_equal(fixgw_pool_init_alloc(NULL, 8, 8, 4, 0, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_pool_init_alloc(&p, 8, 8, 0, 0, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_pool_init_alloc(&p, 8, 0, 4, 0, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_pool_order_init(NULL, 4, storage, sizeof storage, 0), FIXGW_EINVAL);
  fixgw_pool_destroy(NULL);
  fixgw_pool_stats(NULL, NULL);
  assert_int_equal(fixgw_pool_owns(NULL, storage), 0);
  /* A pool of exactly the storage it needs works. */
  size_t need = fixgw_pool_storage_size(8, 8, 4);
  assert_true(need > 0 && need <= sizeof storage);
  assert_int_equal(fixgw_pool_init(&p, 8, 8, 4, storage, need, 0), 0);
  assert_non_null(fixgw_pool_get(&p));
}

static void test_exhaustion_and_stats(void **state) {
  (void)state;
  enum { CAP = 64 };
  fixgw_pool_order_t pool;
  size_t need = fixgw_pool_order_storage_size(CAP);
  void *mem = aligned_alloc(64, (need + 63) / 64 * 64);
  assert_non_null(mem);
  assert_int_equal(fixgw_pool_order_init(&pool, CAP, mem, need, 0), 0);
  struct order *got[CAP];
  for (int i = 0; i < CAP; i++) {
    got[i] = fixgw_pool_order_get(&pool);
    assert_non_null(got[i]);
    assert_true(((uintptr_t)got[i] % alignof(struct order)) == 0);
    assert_true(fixgw_pool_owns(&pool.base, got[i]));
    memset(got[i], 0xA5, sizeof *got[i]); /* whole object writable */
    got[i]->id = (uint64_t)i;
    for (int j = 0; j < i; j++) assert_ptr_not_equal(got[i], got[j]);
  }
  for (int i = 0; i < CAP; i++) assert_int_equal(got[i]->id, (uint64_t)i); /* no overlap */
  assert_null(fixgw_pool_order_get(&pool));
  assert_null(fixgw_pool_order_get(&pool));
  fixgw_pool_stats_t st;
  fixgw_pool_order_stats(&pool, &st);
  assert_int_equal(st.capacity, CAP);
  assert_int_equal(st.in_use, CAP);
  assert_int_equal(st.high_water, CAP);
  assert_int_equal(st.failed_gets, 2);
  for (int i = 0; i < CAP / 2; i++) assert_int_equal(fixgw_pool_order_put(&pool, got[i]), 0);
  fixgw_pool_order_stats(&pool, &st);
  assert_int_equal(st.in_use, CAP / 2);
  assert_int_equal(st.high_water, CAP);
  /* LIFO reuse: the most recently freed object comes back first (cache-hot). */
  assert_ptr_equal(fixgw_pool_order_get(&pool), got[CAP / 2 - 1]);
  fixgw_pool_order_destroy(&pool);
  free(mem);
}

static void test_high_water_tracks_peak(void **state) {
  (void)state;
  fixgw_pool_t p;
  assert_int_equal(fixgw_pool_init_alloc(&p, 32, 8, 16, 0, NULL), 0);
  void *a[16];
  for (int round = 0; round < 3; round++) {
    int n = 3 + round * 4; /* 3, 7, 11 */
    for (int i = 0; i < n; i++) a[i] = fixgw_pool_get(&p);
    for (int i = 0; i < n; i++) assert_int_equal(fixgw_pool_put(&p, a[i]), 0);
  }
  for (int i = 0; i < 5; i++) a[i] = fixgw_pool_get(&p);
  fixgw_pool_stats_t st;
  fixgw_pool_stats(&p, &st);
  assert_int_equal(st.in_use, 5);
  assert_int_equal(st.high_water, 11);
  assert_int_equal(st.failed_gets, 0);
  fixgw_pool_destroy(&p);
}

static void test_checked_puts(void **state) {
  (void)state;
  fixgw_pool_t p, other;
  assert_int_equal(fixgw_pool_init_alloc(&p, 40, 8, 8, FIXGW_POOL_F_CHECK, NULL), 0);
  assert_int_equal(fixgw_pool_init_alloc(&other, 40, 8, 8, FIXGW_POOL_F_CHECK, NULL), 0);
  char *a = fixgw_pool_get(&p);
  char *b = fixgw_pool_get(&p);
  char *o = fixgw_pool_get(&other);
  assert_int_equal(fixgw_pool_put(&p, a), 0);
  assert_int_equal(fixgw_pool_put(&p, a), FIXGW_EDOUBLEFREE);
  assert_int_equal(fixgw_pool_put_remote(&p, a), FIXGW_EDOUBLEFREE);
  char local[64];
  assert_int_equal(fixgw_pool_put(&p, local + 16), FIXGW_EFOREIGN);
  assert_int_equal(fixgw_pool_put(&p, b + 8), FIXGW_EFOREIGN); /* inside a slot */
  assert_int_equal(fixgw_pool_put(&p, o), FIXGW_EFOREIGN);     /* other pool */
  assert_int_equal(fixgw_pool_put_remote(&p, o), FIXGW_EFOREIGN);
  fixgw_pool_stats_t st;
  fixgw_pool_stats(&p, &st);
  assert_int_equal(st.bad_puts, 6);
  assert_int_equal(st.in_use, 1);
  /* The pool survived: it still hands out exactly its 8 distinct slots. */
  assert_int_equal(fixgw_pool_put_remote(&p, b), 0);
  void *all[8];
  for (int i = 0; i < 8; i++) {
    all[i] = fixgw_pool_get(&p);
    assert_non_null(all[i]);
    for (int j = 0; j < i; j++) assert_ptr_not_equal(all[i], all[j]);
  }
  assert_null(fixgw_pool_get(&p));
  assert_int_equal(fixgw_pool_put(&other, o), 0);
  fixgw_pool_destroy(&p);
  fixgw_pool_destroy(&other);
}

static void test_wide_alignment(void **state) {
  (void)state;
  fixgw_pool_wide_t p;
  assert_int_equal(fixgw_pool_wide_init_alloc(&p, 10, 0, NULL), 0);
  for (int i = 0; i < 10; i++) {
    struct wide *w = fixgw_pool_wide_get(&p);
    assert_non_null(w);
    assert_int_equal((uintptr_t)w % 64, 0);
    memset(w, i, sizeof *w);
  }
  fixgw_pool_wide_destroy(&p);
}

/* A counting allocator: init_alloc allocates once, destroy frees once, a
 * refusing allocator yields FIXGW_ENOMEM. */
struct count_alloc {
  int allocs, frees, refuse;
};
static void *ca_alloc(size_t n, void *u) {
  struct count_alloc *c = u;
  if (c->refuse) return NULL;
  c->allocs++;
  return malloc(n);
}
static void ca_free(void *p, void *u) {
  struct count_alloc *c = u;
  c->frees++;
  free(p);
}

static void test_allocator(void **state) {
  (void)state;
  struct count_alloc c = {0, 0, 0};
  fixgw_allocator_t a = {ca_alloc, ca_free, &c};
  fixgw_pool_t p;
  assert_int_equal(fixgw_pool_init_alloc(&p, 100, 16, 50, 0, &a), 0);
  assert_int_equal(c.allocs, 1);
  for (int i = 0; i < 50; i++) assert_non_null(fixgw_pool_get(&p));
  fixgw_pool_destroy(&p);
  assert_int_equal(c.frees, 1);
  c.refuse = 1;
  assert_int_equal(fixgw_pool_init_alloc(&p, 100, 16, 50, 0, &a), FIXGW_ENOMEM);
  fixgw_msgpool_t mp;
  assert_int_equal(fixgw_msgpool_init(&mp, 256, 4, 0, &a), FIXGW_ENOMEM);
}

static void test_hugepage_and_mlock_requests(void **state) {
  (void)state;
  fixgw_pool_t p;
  /* Whether the system grants them or not, init succeeds and says what it
   * got; the pool works either way. */
  assert_int_equal(fixgw_pool_init_alloc(&p, 256, 64, 4096,
                                         FIXGW_POOL_F_HUGEPAGE | FIXGW_POOL_F_MLOCK, NULL),
                   0);
  unsigned b = fixgw_pool_backing(&p);
  assert_true(b & FIXGW_POOL_B_MMAP);
  print_message("backing: hugetlb=%d thp=%d locked=%d\n", !!(b & FIXGW_POOL_B_HUGETLB),
                !!(b & FIXGW_POOL_B_THP), !!(b & FIXGW_POOL_B_LOCKED));
  for (int i = 0; i < 4096; i++) {
    char *o = fixgw_pool_get(&p);
    assert_non_null(o);
    o[0] = o[255] = 1;
  }
  assert_null(fixgw_pool_get(&p));
  fixgw_pool_destroy(&p);
  /* mlock alone goes through the allocator and still reports. */
  assert_int_equal(fixgw_pool_init_alloc(&p, 64, 8, 16, FIXGW_POOL_F_MLOCK, NULL), 0);
  assert_false(fixgw_pool_backing(&p) & FIXGW_POOL_B_MMAP);
  fixgw_pool_destroy(&p);
}

static void test_msgbuf(void **state) {
  (void)state;
  fixgw_msgpool_t mp;
  assert_int_equal(fixgw_msgpool_init(NULL, 256, 4, 0, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_msgpool_init(&mp, 0, 4, 0, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_msgpool_init(&mp, 256, 0, 0, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_msgpool_init(&mp, UINT32_MAX, 4, 0, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_msgpool_init(&mp, 256, 4, FIXGW_POOL_F_CHECK, NULL), 0);
  fixgw_msgbuf_t *m[4];
  for (int i = 0; i < 4; i++) {
    m[i] = fixgw_msgbuf_get(&mp);
    assert_non_null(m[i]);
    assert_int_equal((uintptr_t)m[i] % 64, 0);
    assert_int_equal(m[i]->len, 0);
    assert_int_equal(m[i]->cap, 256);
    assert_ptr_equal(m[i]->pool, &mp);
    unsigned char *d = fixgw_msgbuf_data(m[i]);
    memset(d, 'a' + i, m[i]->cap); /* the full capacity is ours */
    m[i]->len = m[i]->cap;
    m[i]->priority = (uint8_t)i;
    m[i]->enqueue_ns = 1000u + (uint64_t)i;
    m[i]->user_tag = 77u + (uint64_t)i;
  }
  assert_null(fixgw_msgbuf_get(&mp));
  for (int i = 0; i < 4; i++) {
    unsigned char *d = fixgw_msgbuf_data(m[i]);
    for (uint32_t j = 0; j < m[i]->len; j++) assert_int_equal(d[j], 'a' + i);
    assert_int_equal(m[i]->user_tag, 77u + (uint64_t)i);
  }
  assert_int_equal(fixgw_msgbuf_put(m[0]), 0);
  assert_int_equal(fixgw_msgbuf_put(m[0]), FIXGW_EDOUBLEFREE);
  assert_int_equal(fixgw_msgbuf_put_remote(m[1]), 0);
  fixgw_msgbuf_t *again = fixgw_msgbuf_get(&mp);
  assert_ptr_equal(again, m[0]);
  assert_int_equal(again->len, 0); /* metadata reset by get */
  assert_int_equal(again->user_tag, 0);
  assert_ptr_equal(fixgw_msgbuf_get(&mp), m[1]); /* reclaimed remote free */
  fixgw_msgpool_destroy(&mp);
  fixgw_msgpool_destroy(NULL);
}

static void test_no_allocation_after_init(void **state) {
  (void)state;
  if (!fixgw_alloc_count_available()) skip();
  fixgw_pool_t p;
  fixgw_msgpool_t mp;
  assert_int_equal(fixgw_pool_init_alloc(&p, 256, 16, 1024, 0, NULL), 0);
  assert_int_equal(fixgw_msgpool_init(&mp, 512, 256, 0, NULL), 0);
  void *held[1024];
  fixgw_alloc_count_reset();
  uint64_t sum = 0;
  for (int round = 0; round < 200; round++) {
    int n = 1 + (round * 37) % 1024;
    for (int i = 0; i < n; i++) held[i] = fixgw_pool_get(&p);
    assert_null(n == 1024 ? fixgw_pool_get(&p) : NULL);
    for (int i = 0; i < n; i++) {
      sum += (uintptr_t)held[i] & 0xff;
      if (i & 1)
        fixgw_pool_put(&p, held[i]);
      else
        fixgw_pool_put_remote(&p, held[i]);
    }
    fixgw_msgbuf_t *m = fixgw_msgbuf_get(&mp);
    m->len = 1;
    fixgw_msgbuf_put_remote(m);
  }
  assert_int_equal(fixgw_alloc_count_calls(), 0);
  assert_true(sum > 0);
  fixgw_pool_stats_t st;
  fixgw_pool_stats(&p, &st);
  assert_int_equal(st.in_use, 0);
  fixgw_pool_destroy(&p);
  fixgw_msgpool_destroy(&mp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_invalid_args),
      cmocka_unit_test(test_exhaustion_and_stats),
      cmocka_unit_test(test_high_water_tracks_peak),
      cmocka_unit_test(test_checked_puts),
      cmocka_unit_test(test_wide_alignment),
      cmocka_unit_test(test_allocator),
      cmocka_unit_test(test_hugepage_and_mlock_requests),
      cmocka_unit_test(test_msgbuf),
      cmocka_unit_test(test_no_allocation_after_init),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
