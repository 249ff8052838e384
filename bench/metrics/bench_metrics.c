/* Histogram record / query cost and clock read cost.
 *   bench_metrics --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
 * Each iteration is one operation, so "Time" is ns per record / query /
 * clock read. */
#include <stdio.h>
#include <stdlib.h>

#include "fixgw/metrics.h"
#include "fixgw_bench.h"

#define NVALS 4096 /* a power of two: the index mask is free */

static fixgw_hist_t hist, full;
static int64_t vals[NVALS];
static fixgw_clock_t clk;

static uint64_t rnd(uint64_t *s) {
  *s = *s * 6364136223846793005u + 1442695040888963407u;
  return *s >> 33;
}

/* Latency-like values: mostly 1..50 us, a tail to 10 ms, spread over many
 * buckets so the counts array is not one hot cache line. */
static void make_values(void) {
  uint64_t s = 1;
  for (int i = 0; i < NVALS; i++) {
    int64_t v = 1000 + (int64_t)(rnd(&s) % 49000);
    if (rnd(&s) % 100 == 0) v = (int64_t)(rnd(&s) % 10000000);
    vals[i] = v;
  }
}

static void bm_record(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_hist_reset(&hist);
  while (fixgw_bench_keep_running_batch(st, NVALS)) {
    for (int i = 0; i < NVALS; i++) fixgw_hist_record(&hist, vals[i]);
  }
  fixgw_bench_sink(&hist);
}

/* Same value every time: the floor (one hot counter). */
static void bm_record_same(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_hist_reset(&hist);
  while (fixgw_bench_keep_running_batch(st, 1024)) {
    for (int i = 0; i < 1024; i++) fixgw_hist_record(&hist, 12345);
  }
  fixgw_bench_sink(&hist);
}

static void bm_value_at(fixgw_bench_state *st, void *arg) {
  double p = (double)fixgw_bench_range(st, 0) / 1000.0; /* arg: permille */
  (void)arg;
  uint64_t acc = 0;
  while (fixgw_bench_keep_running_batch(st, 16)) {
    for (int i = 0; i < 16; i++) acc += fixgw_hist_value_at(&full, p);
  }
  fixgw_bench_sink(&acc);
}

static void bm_summarize(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_hist_summary_t s;
  while (fixgw_bench_keep_running_batch(st, 16)) {
    for (int i = 0; i < 16; i++) fixgw_hist_summarize(&full, &s);
  }
  fixgw_bench_sink(&s);
}

static void bm_merge(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_hist_reset(&hist);
  while (fixgw_bench_keep_running_batch(st, 1)) fixgw_hist_merge(&hist, &full);
  fixgw_bench_sink(&hist);
}

static void bm_hgrm(fixgw_bench_state *st, void *arg) {
  (void)arg;
  static char buf[1 << 16];
  size_t len = 0;
  while (fixgw_bench_keep_running_batch(st, 1)) fixgw_hist_write_hgrm(&full, 1000.0, buf, sizeof buf, &len);
  fixgw_bench_counter(st, "bytes_out", (double)len, false, false);
}

static void bm_clock_gettime(fixgw_bench_state *st, void *arg) {
  (void)arg;
  uint64_t acc = 0;
  while (fixgw_bench_keep_running_batch(st, 256)) {
    for (int i = 0; i < 256; i++) acc += fixgw_clock_mono_ns();
  }
  fixgw_bench_sink(&acc);
}

static void bm_rdtsc(fixgw_bench_state *st, void *arg) {
  (void)arg;
  uint64_t acc = 0;
  while (fixgw_bench_keep_running_batch(st, 256)) {
    for (int i = 0; i < 256; i++) acc += fixgw_clock_rdtsc();
  }
  fixgw_bench_sink(&acc);
}

static void bm_now_ns(fixgw_bench_state *st, void *arg) {
  (void)arg;
  uint64_t acc = 0;
  if (!clk.use_tsc) fixgw_bench_label(st, "no invariant TSC: CLOCK_MONOTONIC");
  while (fixgw_bench_keep_running_batch(st, 256)) {
    for (int i = 0; i < 256; i++) acc += fixgw_clock_now_ns(&clk);
  }
  fixgw_bench_sink(&acc);
}

/* The latency-measurement pattern: two tick reads, one conversion, one
 * record. */
static void bm_time_and_record(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_hist_reset(&hist);
  while (fixgw_bench_keep_running_batch(st, 256)) {
    for (int i = 0; i < 256; i++) {
      uint64_t t0 = fixgw_clock_ticks(&clk);
      uint64_t t1 = fixgw_clock_ticks(&clk);
      fixgw_hist_record(&hist, fixgw_clock_delta_ns(&clk, t0, t1));
    }
  }
  fixgw_bench_sink(&hist);
}

int main(int argc, char **argv) {
  make_values();
  fixgw_hist_reset(&full);
  uint64_t s = 7;
  for (int i = 0; i < 1000000; i++) fixgw_hist_record(&full, vals[rnd(&s) % NVALS]);
  int rc = fixgw_clock_init(&clk, 50000000);
  char hz[64];
  snprintf(hz, sizeof hz, "%s %.3f MHz", rc == 0 ? "invariant, calibrated" : "unusable",
           clk.tsc_hz / 1e6);
  fixgw_bench_context("tsc", hz);
#if defined(__clang__)
  fixgw_bench_context("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  fixgw_bench_context("compiler", "gcc " __VERSION__);
#endif
  static const int64_t pm[] = {500, 990, 999, 1000};
  fixgw_bench_register("hist_record/mixed", bm_record, NULL, NULL, 0, 0);
  fixgw_bench_register("hist_record/same", bm_record_same, NULL, NULL, 0, 0);
  fixgw_bench_register("hist_value_at/permille", bm_value_at, NULL, pm, 4, 0);
  fixgw_bench_register("hist_summarize", bm_summarize, NULL, NULL, 0, 0);
  fixgw_bench_register("hist_merge", bm_merge, NULL, NULL, 0, 0);
  fixgw_bench_register("hist_write_hgrm", bm_hgrm, NULL, NULL, 0, 0);
  fixgw_bench_register("clock/clock_gettime_mono", bm_clock_gettime, NULL, NULL, 0, 0);
  fixgw_bench_register("clock/rdtsc", bm_rdtsc, NULL, NULL, 0, 0);
  fixgw_bench_register("clock/now_ns_calibrated", bm_now_ns, NULL, NULL, 0, 0);
  fixgw_bench_register("clock/ticks_delta_record", bm_time_and_record, NULL, NULL, 0, 0);
  return fixgw_bench_main(&argc, argv);
}
