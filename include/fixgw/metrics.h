/*
 * libfixgw — metrics: a fixed-memory latency histogram, counters and gauges,
 * text exporters (Prometheus exposition format, HdrHistogram .hgrm), and
 * clocks (CLOCK_MONOTONIC, calibrated invariant TSC).
 *
 * Ownership model: every histogram and counter set has ONE writer thread.
 * Other threads may read at any time without stopping it: every word is
 * written and read with relaxed atomics, so no value is torn, but a reader
 * may see a record partly applied (see fixgw_hist_t). Nothing here allocates.
 */
#ifndef FIXGW_METRICS_H
#define FIXGW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Histogram. Log-linear buckets (HdrHistogram's layout idea): values below
 * 2048 are counted exactly; above, each power-of-two range is split into
 * 1024 equal sub-buckets, so a bucket is never wider than 1/1024 of its
 * values: 3 significant decimal digits. Range 0 .. FIXGW_HIST_MAX_VALUE
 * (2^42 - 1 ns, about 73 minutes). Memory: sizeof(fixgw_hist_t), ~265 KiB,
 * owned by the caller.
 * ---------------------------------------------------------------------- */
#define FIXGW_HIST_SUB_BITS 10 /* log2 of the sub-buckets per group */
#define FIXGW_HIST_GROUPS 32   /* group g covers [2^(g+10), 2^(g+11)), g>0 */
#define FIXGW_HIST_COUNTS ((FIXGW_HIST_GROUPS + 1) << FIXGW_HIST_SUB_BITS)
#define FIXGW_HIST_MAX_VALUE ((INT64_C(1) << 42) - 1)

/* All members are written by the owner with relaxed atomic stores and may be
 * read by any thread with relaxed loads (use the functions). The writer
 * updates, in order: counts, group_total, sum, min/max. A concurrent reader
 * can therefore see the newest record in the counts but not yet in sum,
 * min or max (at most the records in flight, one per writer). Percentiles
 * and count are computed from the counts the reader saw, so they agree with
 * each other; mean and max may lag them by that record. For a snapshot that
 * is exact, read while the writer is quiescent, or let the writer record
 * into one of two histograms and swap (interval recording). */
typedef struct fixgw_hist {
  uint64_t sum;       /* of recorded (clamped) values */
  uint64_t min;       /* UINT64_MAX when empty */
  uint64_t max;       /* 0 when empty */
  uint64_t underflow; /* values < 0, recorded as 0 */
  uint64_t overflow;  /* values > FIXGW_HIST_MAX_VALUE, recorded as that */
  uint64_t group_total[FIXGW_HIST_GROUPS];
  uint64_t counts[FIXGW_HIST_COUNTS];
} fixgw_hist_t;

/* Empty the histogram. Writer only (not concurrently with record). */
void fixgw_hist_reset(fixgw_hist_t *h);
/* Record one value (ns) / n equal values. Writer only; O(1), no
 * allocation, never fails: out-of-range values are clamped and counted. */
void fixgw_hist_record(fixgw_hist_t *h, int64_t value);
void fixgw_hist_record_n(fixgw_hist_t *h, int64_t value, uint64_t n);
/* Add src into dst, as if dst had recorded src's values too (including its
 * overflow/underflow counts). dst: its writer only; src: any thread, may be
 * being recorded into (relaxed reads; see fixgw_hist_t). */
void fixgw_hist_merge(fixgw_hist_t *dst, const fixgw_hist_t *src);

/* Total values recorded (clamped ones included). Any thread. */
uint64_t fixgw_hist_count(const fixgw_hist_t *h);
/* The value at percentile pct (0..100, clamped): the recorded value of rank
 * ceil(pct/100 * count) in sorted order (rank 1 at least; pct within 1e-9
 * relative of an integer rank counts as that rank), reported as the top of
 * its bucket but never above max: result r of true value v satisfies
 * v <= r < v + max(1, v/1024). 0 when empty. Any thread; O(buckets). */
uint64_t fixgw_hist_value_at(const fixgw_hist_t *h, double pct);
/* Several percentiles in one pass. pcts ascending within [0, 100];
 * FIXGW_EINVAL otherwise (out untouched). */
int fixgw_hist_percentiles(const fixgw_hist_t *h, const double *pcts,
                           uint64_t *out, size_t n);

typedef struct fixgw_hist_summary {
  uint64_t count;
  uint64_t min, max; /* exact; 0 when empty */
  double mean;       /* exact (sum / count); 0 when empty */
  uint64_t p50, p90, p99, p999, p9999;
  uint64_t underflow, overflow;
} fixgw_hist_summary_t;
void fixgw_hist_summarize(const fixgw_hist_t *h, fixgw_hist_summary_t *s);

/* Bounds of the bucket that holds value (clamped to the range): every value
 * in [lowest, highest] is counted in the same bucket. */
uint64_t fixgw_hist_lowest_equivalent(int64_t value);
uint64_t fixgw_hist_highest_equivalent(int64_t value);

/* The percentile distribution in HdrHistogram's .hgrm text form (columns
 * Value, Percentile, TotalCount, 1/(1-Percentile); percentile steps halve
 * the remaining distance every 5 lines; a #[Mean..], #[Max..], #[Buckets..]
 * footer), values divided by unit_scale (1 = ns, 1e3 = us, 1e6 = ms) and
 * printed with 3 decimals, locale independent. Writes a NUL-terminated text
 * into buf; *len (may be NULL) gets the text's full length without the NUL,
 * also when it did not fit. FIXGW_ENOSPC if it did not fit (buf holds a
 * prefix, nothing past cap is written); FIXGW_EINVAL for NULL h, NULL buf
 * with cap > 0, or unit_scale <= 0. Any thread (reads like value_at). */
int fixgw_hist_write_hgrm(const fixgw_hist_t *h, double unit_scale, char *buf,
                          size_t cap, size_t *len);

/* ------------------------------------------------------------------------
 * Counters and gauges: a plain struct, one writer, readable anywhere.
 * X(field, type, exported name, help).
 * ---------------------------------------------------------------------- */
#define FIXGW_COUNTERS_MAP(X)                                                 \
  X(msgs_in, counter, "fixgw_messages_received_total", "FIX messages received") \
  X(msgs_out, counter, "fixgw_messages_sent_total", "FIX messages sent")      \
  X(bytes_in, counter, "fixgw_bytes_received_total", "Bytes received")        \
  X(bytes_out, counter, "fixgw_bytes_sent_total", "Bytes sent")               \
  X(parse_errors, counter, "fixgw_parse_errors_total",                       \
    "Inbound messages rejected by the parser")                               \
  X(drops, counter, "fixgw_drops_total", "Messages dropped (full queue)")     \
  X(pool_exhausted, counter, "fixgw_pool_exhausted_total",                   \
    "Allocations refused by an empty pool")                                  \
  X(queue_depth, gauge, "fixgw_queue_depth", "Messages waiting in queues")    \
  X(queue_depth_max, gauge, "fixgw_queue_depth_max",                         \
    "High-water mark of the queue depth")

typedef struct fixgw_counters {
#define FIXGW__COUNTER_FIELD(field, type, name, help) uint64_t field;
  FIXGW_COUNTERS_MAP(FIXGW__COUNTER_FIELD)
#undef FIXGW__COUNTER_FIELD
} fixgw_counters_t;

/* Writer side (the owner thread only): a relaxed load and store, no locked
 * instruction. The store is atomic so readers never see a torn value. */
static inline void fixgw_counter_add(uint64_t *c, uint64_t n) {
  __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}
/* Relaxed: each value is whole; no other memory is published with it. */
static inline void fixgw_gauge_set(uint64_t *g, uint64_t v) {
  __atomic_store_n(g, v, __ATOMIC_RELAXED);
}
/* Any thread. Relaxed: an untorn recent value, ordered with nothing else. */
static inline uint64_t fixgw_metric_read(const uint64_t *c) {
  return __atomic_load_n(c, __ATOMIC_RELAXED);
}
/* Copy every field with relaxed loads (each field untorn; fields are not a
 * consistent cut across each other). */
void fixgw_counters_snapshot(fixgw_counters_t *dst, const fixgw_counters_t *src);

/* ------------------------------------------------------------------------
 * Prometheus text exposition format (version 0.0.4) into a caller buffer.
 * Each call writes whole metric families (# HELP, # TYPE, then one sample
 * per labelled set), so several sessions go in ONE call with a label each.
 * Numbers are formatted without the C locale.
 * ---------------------------------------------------------------------- */
typedef struct fixgw_prom {
  char *buf;
  size_t cap;
  size_t len; /* bytes the full text needs so far (may exceed cap - 1) */
  int err;    /* sticky FIXGW_ENOSPC */
} fixgw_prom_t;

/* buf may be NULL with cap 0 to measure. */
void fixgw_prom_init(fixgw_prom_t *w, char *buf, size_t cap);
/* One family per counter field, a sample per set: label (a label name, or
 * NULL for none, then n must be 1) = values[i] (escaped as the format
 * requires). FIXGW_EINVAL for a bad label name or NULL arguments (nothing
 * written); FIXGW_ENOSPC once the buffer is full (writing continues to count
 * the length). */
int fixgw_prom_counters(fixgw_prom_t *w, const char *label,
                        const char *const *values,
                        const fixgw_counters_t *const *sets, size_t n);
/* A summary family `name` (quantiles 0.5 0.9 0.99 0.999 0.9999, _sum,
 * _count) plus a gauge family `name`_max, values divided by unit_scale
 * (1e9 turns ns into the seconds Prometheus prefers). name must match
 * [a-zA-Z_:][a-zA-Z0-9_:]*. Errors as fixgw_prom_counters. */
int fixgw_prom_summary(fixgw_prom_t *w, const char *name, const char *help,
                       const char *label, const char *const *values,
                       const fixgw_hist_t *const *hists, size_t n,
                       double unit_scale);
/* Building blocks for families the two above do not cover (several labels
 * per sample, values the caller reads itself). A family is one
 * fixgw_prom_family() followed by its samples, each written by
 * fixgw_prom_sample(): name{labels[0]="values[0]",...} value. name as
 * fixgw_prom_summary; type "counter" or "gauge"; label names as
 * fixgw_prom_counters (nl may be 0, at most 8). FIXGW_EINVAL for a bad
 * name, type or label (nothing written); FIXGW_ENOSPC as above. */
int fixgw_prom_family(fixgw_prom_t *w, const char *name, const char *type, const char *help);
int fixgw_prom_sample(fixgw_prom_t *w, const char *name, const char *const *labels,
                      const char *const *values, size_t nl, uint64_t value);

/* NUL-terminate. Returns 0 or FIXGW_ENOSPC (then buf holds a prefix); *len
 * (may be NULL) gets the full length without the NUL either way, so a retry
 * with cap = *len + 1 succeeds. */
int fixgw_prom_finish(fixgw_prom_t *w, size_t *len);

/* ------------------------------------------------------------------------
 * Clocks.
 * ---------------------------------------------------------------------- */
/* CLOCK_MONOTONIC in ns (CLOCK_MONOTONIC-like elsewhere). Any thread. */
uint64_t fixgw_clock_mono_ns(void);
/* 1 if the CPU reports an invariant TSC (cpuid 0x80000007 EDX bit 8). */
int fixgw_clock_has_invariant_tsc(void);

/* A calibrated tick source, owned by the caller, read-only after init, so
 * any number of threads may use it. */
typedef struct fixgw_clock {
  uint64_t tsc0;    /* TSC at the end of calibration */
  uint64_t ns0;     /* fixgw_clock_mono_ns() at tsc0 */
  uint64_t mult;    /* ns per tick, fixed point with 32 fraction bits */
  uint32_t use_tsc; /* 0: ticks are CLOCK_MONOTONIC ns */
  uint32_t pad_;
  double tsc_hz;    /* measured TSC frequency (0 without TSC) */
} fixgw_clock_t;

/* Calibrate the TSC against CLOCK_MONOTONIC over calibrate_ns (0: 10 ms),
 * blocking that long. Returns 0 with the TSC in use, or FIXGW_ENOTSUP when
 * there is no invariant TSC (or calibration looked wrong): c then falls back
 * to CLOCK_MONOTONIC and stays fully usable. FIXGW_EINVAL for NULL c.
 * TSC-derived time drifts from CLOCK_MONOTONIC by the calibration error
 * (ppm): re-initialise periodically if both must agree over hours. */
int fixgw_clock_init(fixgw_clock_t *c, uint64_t calibrate_ns);
/* Use CLOCK_MONOTONIC only (no TSC). */
void fixgw_clock_init_mono(fixgw_clock_t *c);

/* The raw cycle counter (rdtsc, not serialising) on x86; elsewhere
 * fixgw_clock_mono_ns(). */
static inline uint64_t fixgw_clock_rdtsc(void) {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_ia32_rdtsc();
#else
  return fixgw_clock_mono_ns();
#endif
}

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 fixgw__u128;
static inline uint64_t fixgw__ticks_ns(uint64_t d, uint64_t mult) {
  return (uint64_t)(((fixgw__u128)d * mult) >> 32);
}
#else
uint64_t fixgw__ticks_ns(uint64_t d, uint64_t mult);
#endif

/* Ticks for timestamps: cheapest source of c (TSC or mono ns). */
static inline uint64_t fixgw_clock_ticks(const fixgw_clock_t *c) {
  return c->use_tsc ? fixgw_clock_rdtsc() : fixgw_clock_mono_ns();
}
/* Elapsed ns between two fixgw_clock_ticks values (t1 later; a negative
 * difference, e.g. TSC skew between cores, comes back negative). */
static inline int64_t fixgw_clock_delta_ns(const fixgw_clock_t *c, uint64_t t0,
                                           uint64_t t1) {
  if (!c->use_tsc) return (int64_t)(t1 - t0);
  return t1 >= t0 ? (int64_t)fixgw__ticks_ns(t1 - t0, c->mult)
                  : -(int64_t)fixgw__ticks_ns(t0 - t1, c->mult);
}
/* Now, in ns on the CLOCK_MONOTONIC time line. */
static inline uint64_t fixgw_clock_now_ns(const fixgw_clock_t *c) {
  if (!c->use_tsc) return fixgw_clock_mono_ns();
  return c->ns0 + (uint64_t)fixgw_clock_delta_ns(c, c->tsc0, fixgw_clock_rdtsc());
}

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_METRICS_H */
