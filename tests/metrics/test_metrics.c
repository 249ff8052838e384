/* Histogram: bucket math, percentiles against a sorted reference over random
 * and adversarial data, merge, range edges, zero allocation, a concurrent
 * reader; clocks. */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixgw/metrics.h"
#include "harness.h"
#include "test_metrics.h"

fixgw_hist_t fixgw_t_h[4];

uint64_t fixgw_t_rand(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static uint64_t mono(void) { return fixgw_clock_mono_ns(); }

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static void test_bucket_math(void **state) {
  (void)state;
  /* Walk every bucket: contiguous, non-overlapping, width <= max(1, low/1024). */
  uint64_t v = 0;
  int buckets = 0;
  while (v <= (uint64_t)FIXGW_HIST_MAX_VALUE) {
    uint64_t lo = fixgw_hist_lowest_equivalent((int64_t)v);
    uint64_t hi = fixgw_hist_highest_equivalent((int64_t)v);
    assert_int_equal(lo, v);
    assert_true(hi >= lo);
    uint64_t width = hi - lo + 1;
    assert_true(width == 1 || width * 1024 <= lo);
    assert_int_equal(fixgw_hist_highest_equivalent((int64_t)hi), hi);
    v = hi + 1;
    buckets++;
    assert_true(buckets <= FIXGW_HIST_COUNTS);
  }
  assert_int_equal(buckets, FIXGW_HIST_COUNTS);
  /* Exact below 2048, 1/1024 resolution at 1 hour. */
  assert_int_equal(fixgw_hist_highest_equivalent(2047), 2047);
  assert_int_equal(fixgw_hist_highest_equivalent(2048), 2049);
  int64_t hour = INT64_C(3600000000000);
  assert_true(fixgw_hist_highest_equivalent(hour) - fixgw_hist_lowest_equivalent(hour) + 1 <=
              (uint64_t)hour / 1024);
  assert_int_equal(fixgw_hist_highest_equivalent(INT64_MAX), FIXGW_HIST_MAX_VALUE);
  assert_int_equal(fixgw_hist_lowest_equivalent(-7), 0);
}

/* The documented rank rule, restated independently for the reference. */
static uint64_t ref_rank(double pct, uint64_t n) {
  long double r = (long double)pct * (long double)n / 100.0L;
  uint64_t k = (uint64_t)ceill(r - 1e-9L * (r > 1 ? r : 1));
  return k < 1 ? 1 : (k > n ? n : k);
}

static const double pcts[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999, 100};
#define NP (sizeof pcts / sizeof pcts[0])

/* Record vals, then check every percentile, the summary and the count
 * against the sorted reference. */
static void check_against_reference(int64_t *vals, size_t n, const char *what) {
  fixgw_hist_t *h = &fixgw_t_h[0];
  fixgw_hist_reset(h);
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++) {
    fixgw_hist_record(h, vals[i]);
    sum += (uint64_t)vals[i];
  }
  qsort(vals, n, sizeof vals[0], cmp_i64);
  assert_int_equal(fixgw_hist_count(h), n);
  uint64_t out[NP];
  assert_int_equal(fixgw_hist_percentiles(h, pcts, out, NP), 0);
  for (size_t j = 0; j < NP; j++) {
    uint64_t ref = (uint64_t)vals[ref_rank(pcts[j], n) - 1];
    uint64_t got = fixgw_hist_value_at(h, pcts[j]);
    assert_int_equal(got, out[j]);
    /* Stated precision: ref <= got < ref + max(1, ref/1024), and got is in
     * ref's bucket. */
    if (!(got >= ref && got <= fixgw_hist_highest_equivalent((int64_t)ref) &&
          (got - ref) * 1024 <= ref))
      fail_msg("%s n=%zu p%g: ref %llu got %llu", what, n, pcts[j], (unsigned long long)ref,
               (unsigned long long)got);
  }
  fixgw_hist_summary_t s;
  fixgw_hist_summarize(h, &s);
  assert_int_equal(s.count, n);
  assert_int_equal(s.min, (uint64_t)vals[0]);
  assert_int_equal(s.max, (uint64_t)vals[n - 1]);
  assert_true(fabs(s.mean - (double)sum / (double)n) <= 1e-9 * s.mean + 1e-9);
  assert_int_equal(s.p50, fixgw_hist_value_at(h, 50));
  assert_int_equal(s.p9999, fixgw_hist_value_at(h, 99.99));
  assert_int_equal(fixgw_hist_value_at(h, 100), (uint64_t)vals[n - 1]); /* exact max */
}

#define NMAX 200000
static int64_t vals[NMAX];

static void test_percentiles_random(void **state) {
  (void)state;
  uint64_t seed = 42;
  const size_t sizes[] = {1, 2, 3, 7, 1000, 100000};
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    size_t n = sizes[si];
    for (size_t i = 0; i < n; i++) vals[i] = (int64_t)(fixgw_t_rand(&seed) % 1000000u) + 1;
    check_against_reference(vals, n, "uniform");
    /* Log-uniform over 1 ns .. ~1 hour: every magnitude. */
    for (size_t i = 0; i < n; i++) {
      double e = (double)(fixgw_t_rand(&seed) >> 11) / 9007199254740992.0 * 41.7;
      vals[i] = (int64_t)exp2(e);
    }
    check_against_reference(vals, n, "log-uniform");
    /* Exponential-ish latencies, mean 20 us, plus a 0.1% tail at 1..10 ms. */
    for (size_t i = 0; i < n; i++) {
      double u = ((double)(fixgw_t_rand(&seed) >> 11) + 1) / 9007199254740993.0;
      vals[i] = (int64_t)(-log(u) * 20000.0);
      if (fixgw_t_rand(&seed) % 1000 == 0) vals[i] = 1000000 + (int64_t)(fixgw_t_rand(&seed) % 9000000);
    }
    check_against_reference(vals, n, "exponential+tail");
  }
}

static void test_percentiles_adversarial(void **state) {
  (void)state;
  size_t n = 100000;
  uint64_t seed = 7;
  /* All equal. */
  for (size_t i = 0; i < n; i++) vals[i] = 123456789;
  check_against_reference(vals, n, "constant");
  /* Two spikes at the range edges. */
  for (size_t i = 0; i < n; i++) vals[i] = i % 2 ? 0 : FIXGW_HIST_MAX_VALUE;
  check_against_reference(vals, n, "edges");
  /* Every value on a bucket boundary (lowest and highest equivalents). */
  for (size_t i = 0; i < n; i++) {
    int64_t v = (int64_t)(fixgw_t_rand(&seed) % (uint64_t)FIXGW_HIST_MAX_VALUE);
    vals[i] = (int64_t)(i % 2 ? fixgw_hist_lowest_equivalent(v) : fixgw_hist_highest_equivalent(v));
  }
  check_against_reference(vals, n, "boundaries");
  /* Powers of two and their neighbours. */
  for (size_t i = 0; i < n; i++) {
    int b = (int)(fixgw_t_rand(&seed) % 42);
    int64_t v = (INT64_C(1) << b) + (int64_t)(fixgw_t_rand(&seed) % 3) - 1;
    vals[i] = v < 0 ? 0 : (v > FIXGW_HIST_MAX_VALUE ? FIXGW_HIST_MAX_VALUE : v);
  }
  check_against_reference(vals, n, "powers of two");
  /* Ranks that land exactly on percentile boundaries: n = 100000 and the
   * 99.9th value differs from the 99901st. */
  for (size_t i = 0; i < n; i++) vals[i] = (int64_t)i + 1;
  check_against_reference(vals, n, "1..n");
  /* One huge outlier among tiny values (tail percentiles must find it). */
  for (size_t i = 0; i < n; i++) vals[i] = 5;
  vals[n / 2] = 3000000000000;
  check_against_reference(vals, n, "single outlier");
}

static void test_edges_and_clamping(void **state) {
  (void)state;
  fixgw_hist_t *h = &fixgw_t_h[0];
  fixgw_hist_reset(h);
  assert_int_equal(fixgw_hist_count(h), 0);
  assert_int_equal(fixgw_hist_value_at(h, 50), 0);
  fixgw_hist_summary_t s;
  fixgw_hist_summarize(h, &s);
  assert_int_equal(s.count, 0);
  assert_int_equal(s.min, 0);
  assert_int_equal(s.max, 0);

  fixgw_hist_record(h, 1);
  fixgw_hist_record(h, -5);
  fixgw_hist_record(h, INT64_MIN);
  fixgw_hist_record(h, FIXGW_HIST_MAX_VALUE);
  fixgw_hist_record(h, FIXGW_HIST_MAX_VALUE + 1);
  fixgw_hist_record(h, INT64_MAX);
  fixgw_hist_summarize(h, &s);
  assert_int_equal(s.count, 6);
  assert_int_equal(s.underflow, 2);
  assert_int_equal(s.overflow, 2);
  assert_int_equal(s.min, 0);
  assert_int_equal(s.max, FIXGW_HIST_MAX_VALUE);
  assert_int_equal(fixgw_hist_value_at(h, 0), 0);
  assert_int_equal(fixgw_hist_value_at(h, 100), FIXGW_HIST_MAX_VALUE);
  assert_int_equal(fixgw_hist_value_at(h, 50), 1); /* ranks: 0 0 1 | max max max */
  assert_int_equal(fixgw_hist_value_at(h, -3), 0);  /* clamped pct */
  assert_int_equal(fixgw_hist_value_at(h, 250), FIXGW_HIST_MAX_VALUE);
  assert_int_equal(fixgw_hist_value_at(h, NAN), 0);

  fixgw_hist_record_n(h, 1000, 10);
  fixgw_hist_record_n(h, -1, 3);
  fixgw_hist_record_n(h, 5, 0);
  assert_int_equal(fixgw_hist_count(h), 19);
  fixgw_hist_summarize(h, &s);
  assert_int_equal(s.underflow, 5);

  const double bad1[] = {50, 10}, bad2[] = {-1}, bad3[] = {101};
  uint64_t out[2] = {77, 77};
  assert_int_equal(fixgw_hist_percentiles(h, bad1, out, 2), FIXGW_EINVAL);
  assert_int_equal(fixgw_hist_percentiles(h, bad2, out, 1), FIXGW_EINVAL);
  assert_int_equal(fixgw_hist_percentiles(h, bad3, out, 1), FIXGW_EINVAL);
  assert_int_equal(out[0], 77);

  fixgw_hist_reset(h);
  assert_int_equal(fixgw_hist_count(h), 0);
  fixgw_hist_summarize(h, &s);
  assert_int_equal(s.underflow + s.overflow + s.max, 0);
}

static void test_merge_equals_both(void **state) {
  (void)state;
  fixgw_hist_t *a = &fixgw_t_h[0], *b = &fixgw_t_h[1], *c = &fixgw_t_h[2];
  fixgw_hist_reset(a);
  fixgw_hist_reset(b);
  fixgw_hist_reset(c);
  uint64_t seed = 99;
  for (int i = 0; i < 50000; i++) {
    int64_t x = (int64_t)(fixgw_t_rand(&seed) % 5000000u);
    int64_t y = (int64_t)(fixgw_t_rand(&seed) % 50000000000u);
    if (i % 777 == 0) y = -3;
    if (i % 9999 == 0) y = INT64_MAX;
    fixgw_hist_record(a, x);
    fixgw_hist_record(b, y);
    fixgw_hist_record(c, x);
    fixgw_hist_record(c, y);
  }
  fixgw_hist_merge(a, b);
  assert_memory_equal(a->counts, c->counts, sizeof a->counts);
  assert_memory_equal(a->group_total, c->group_total, sizeof a->group_total);
  assert_int_equal(a->sum, c->sum);
  assert_int_equal(a->min, c->min);
  assert_int_equal(a->max, c->max);
  assert_int_equal(a->underflow, c->underflow);
  assert_int_equal(a->overflow, c->overflow);
  assert_true(a->underflow > 0 && a->overflow > 0);
  for (size_t j = 0; j < NP; j++)
    assert_int_equal(fixgw_hist_value_at(a, pcts[j]), fixgw_hist_value_at(c, pcts[j]));
  /* Merging an empty histogram changes nothing; into an empty one copies. */
  fixgw_hist_reset(b);
  fixgw_hist_merge(a, b);
  assert_memory_equal(a, c, sizeof *a);
  fixgw_hist_merge(b, c);
  assert_memory_equal(b, c, sizeof *b);
}

static void test_no_alloc_hot_paths(void **state) {
  (void)state;
  fixgw_hist_t *h = &fixgw_t_h[0];
  fixgw_hist_reset(h);
  static char buf[1 << 16];
  fixgw_alloc_count_reset();
  for (int i = 0; i < 100000; i++) fixgw_hist_record(h, i * 37);
  fixgw_hist_summary_t s;
  fixgw_hist_summarize(h, &s);
  size_t len;
  assert_int_equal(fixgw_hist_write_hgrm(h, 1000.0, buf, sizeof buf, &len), 0);
  fixgw_prom_t w;
  const fixgw_hist_t *hs[1] = {h};
  fixgw_prom_init(&w, buf, sizeof buf);
  assert_int_equal(fixgw_prom_summary(&w, "lat", "x", NULL, NULL, hs, 1, 1e9), 0);
  assert_int_equal(fixgw_prom_finish(&w, &len), 0);
  if (fixgw_alloc_count_available()) assert_int_equal(fixgw_alloc_count_calls(), 0);
  else skip();
}

/* A writer records while a reader summarises: every snapshot must be sane
 * and counts monotonic. Run under TSan too (label concurrent). */
typedef struct live {
  fixgw_hist_t *h;
  uint32_t done;
  uint64_t recorded;
} live;

static void *live_writer(void *arg) {
  live *L = arg;
  uint64_t seed = 5, deadline = mono() + 1500000000u;
  for (uint64_t i = 0; i < 300000 && mono() < deadline; i++) {
    fixgw_hist_record(L->h, (int64_t)(fixgw_t_rand(&seed) % 10000000u));
    L->recorded = i + 1;
  }
  /* Release: recorded is final before done is seen. */
  __atomic_store_n(&L->done, 1, __ATOMIC_RELEASE);
  return NULL;
}

static void test_concurrent_reader(void **state) {
  (void)state;
  live L = {&fixgw_t_h[3], 0, 0};
  fixgw_hist_reset(L.h);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, live_writer, &L), 0);
  uint64_t last = 0, reads = 0, deadline = mono() + 3000000000u;
  while (!__atomic_load_n(&L.done, __ATOMIC_ACQUIRE) && mono() < deadline && reads < 100000) {
    fixgw_hist_summary_t s;
    fixgw_hist_summarize(L.h, &s);
    assert_true(s.count >= last);
    last = s.count;
    assert_true(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.p999 && s.p999 <= s.p9999);
    assert_true(s.p9999 < 10000000u + 10000000u / 1024);
    reads++;
  }
  pthread_join(t, NULL);
  assert_int_equal(fixgw_hist_count(L.h), L.recorded);
  assert_true(reads > 0);
}

static void test_clock(void **state) {
  (void)state;
  uint64_t a = fixgw_clock_mono_ns(), b = fixgw_clock_mono_ns();
  assert_true(b >= a);
  fixgw_clock_t c;
  int rc = fixgw_clock_init(&c, 20000000);
  if (fixgw_clock_has_invariant_tsc()) {
    assert_int_equal(rc, 0);
    assert_int_equal(c.use_tsc, 1);
    assert_true(c.tsc_hz > 1e8 && c.tsc_hz < 2e10);
  } else {
    assert_int_equal(rc, FIXGW_ENOTSUP);
    assert_int_equal(c.use_tsc, 0);
  }
  /* Same time line as CLOCK_MONOTONIC: within 1 ms right after calibration
   * (generous for TSan and a loaded 2-core machine). */
  uint64_t m0 = fixgw_clock_mono_ns(), n0 = fixgw_clock_now_ns(&c), m1 = fixgw_clock_mono_ns();
  assert_true(n0 + 1000000 >= m0 && n0 <= m1 + 1000000);
  /* A 30 ms interval measured both ways agrees within 2%. */
  uint64_t t0 = fixgw_clock_ticks(&c), s0 = fixgw_clock_mono_ns();
  struct timespec ts = {0, 30000000};
  nanosleep(&ts, NULL);
  uint64_t t1 = fixgw_clock_ticks(&c), s1 = fixgw_clock_mono_ns();
  int64_t d = fixgw_clock_delta_ns(&c, t0, t1), ref = (int64_t)(s1 - s0);
  assert_true(ref >= 30000000);
  assert_true(llabs(d - ref) <= ref / 50);
  assert_true(fixgw_clock_delta_ns(&c, t1, t0) == -d);
  /* now_ns never goes backwards across reads. */
  uint64_t prev = fixgw_clock_now_ns(&c);
  for (int i = 0; i < 100000; i++) {
    uint64_t n = fixgw_clock_now_ns(&c);
    assert_true(n >= prev);
    prev = n;
  }
  fixgw_clock_init_mono(&c);
  assert_int_equal(c.use_tsc, 0);
  assert_true(fixgw_clock_now_ns(&c) >= m1);
  assert_int_equal(fixgw_clock_init(NULL, 0), FIXGW_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bucket_math),       cmocka_unit_test(test_percentiles_random),
      cmocka_unit_test(test_percentiles_adversarial), cmocka_unit_test(test_edges_and_clamping),
      cmocka_unit_test(test_merge_equals_both), cmocka_unit_test(test_no_alloc_hot_paths),
      cmocka_unit_test(test_concurrent_reader), cmocka_unit_test(test_clock),
  };
  int rc = cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
  rc |= _cmocka_run_group_tests("export", fixgw_t_export_tests, fixgw_t_export_ntests, NULL, NULL);
  return rc;
}
