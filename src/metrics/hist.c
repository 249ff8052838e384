/* Log-linear latency histogram. Index math: for value u (clamped to the
 * range), g = msb(u | 2047) - 10 picks the power-of-two group (0 for
 * u < 2048), and index = g * 1024 + (u >> g). Group 0 spans indices
 * 0..2047 at resolution 1; group g >= 1 spans (g+1)*1024 .. (g+2)*1024 - 1
 * at resolution 2^g, i.e. sub-bucket (u >> g) in [1024, 2048). */
#include <string.h>

#include "fixgw/metrics.h"
#include "hist_internal.h"

#define HALF (1u << FIXGW_HIST_SUB_BITS)

/* Single-writer increment: relaxed load and store, no locked RMW. Readers
 * on other threads use relaxed loads: the store makes the new value whole,
 * nothing else is ordered by it. */
static inline void bump(uint64_t *p, uint64_t n) {
  __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}
static inline uint64_t rd(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void wr(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

static inline unsigned group_of(uint64_t u) {
  return (unsigned)(63 - __builtin_clzll(u | (2u * HALF - 1))) - FIXGW_HIST_SUB_BITS;
}

uint32_t fixgw__hist_index(uint64_t u) {
  unsigned g = group_of(u);
  return (g << FIXGW_HIST_SUB_BITS) + (uint32_t)(u >> g);
}

uint64_t fixgw__hist_low(uint32_t i) {
  if (i < HALF) return i;
  unsigned g = (i >> FIXGW_HIST_SUB_BITS) - 1;
  return (uint64_t)((i & (HALF - 1)) | HALF) << g;
}

uint64_t fixgw__hist_high(uint32_t i) {
  if (i < HALF) return i;
  unsigned g = (i >> FIXGW_HIST_SUB_BITS) - 1;
  return fixgw__hist_low(i) + (UINT64_C(1) << g) - 1;
}

uint32_t fixgw__hist_group_first(unsigned g) { return g ? (g + 1) * HALF : 0; }
uint32_t fixgw__hist_group_end(unsigned g) { return (g + 2) * HALF; }

static uint64_t clamp(int64_t v) {
  if (v < 0) return 0;
  if (v > FIXGW_HIST_MAX_VALUE) return (uint64_t)FIXGW_HIST_MAX_VALUE;
  return (uint64_t)v;
}

uint64_t fixgw_hist_lowest_equivalent(int64_t v) {
  return fixgw__hist_low(fixgw__hist_index(clamp(v)));
}
uint64_t fixgw_hist_highest_equivalent(int64_t v) {
  return fixgw__hist_high(fixgw__hist_index(clamp(v)));
}

void fixgw_hist_reset(fixgw_hist_t *h) {
  /* Relaxed stores word by word (not memset) so a concurrent reader never
   * races a plain write; the writer is, as documented, not recording. */
  for (size_t i = 0; i < FIXGW_HIST_COUNTS; i++) wr(&h->counts[i], 0);
  for (size_t g = 0; g < FIXGW_HIST_GROUPS; g++) wr(&h->group_total[g], 0);
  wr(&h->sum, 0);
  wr(&h->min, UINT64_MAX);
  wr(&h->max, 0);
  wr(&h->underflow, 0);
  wr(&h->overflow, 0);
}

static inline void record(fixgw_hist_t *h, uint64_t u, uint64_t n) {
  unsigned g = group_of(u);
  bump(&h->counts[(g << FIXGW_HIST_SUB_BITS) + (u >> g)], n);
  bump(&h->group_total[g], n);
  bump(&h->sum, u * n);
  if (u < rd(&h->min)) wr(&h->min, u);
  if (u > rd(&h->max)) wr(&h->max, u);
}

void fixgw_hist_record(fixgw_hist_t *h, int64_t v) {
  uint64_t u = (uint64_t)v;
  if (FIXGW_UNLIKELY(u > (uint64_t)FIXGW_HIST_MAX_VALUE)) {
    /* Negative values wrap to huge ones: one test covers both edges. */
    if (v < 0) {
      bump(&h->underflow, 1);
      u = 0;
    } else {
      bump(&h->overflow, 1);
      u = (uint64_t)FIXGW_HIST_MAX_VALUE;
    }
  }
  record(h, u, 1);
}

void fixgw_hist_record_n(fixgw_hist_t *h, int64_t v, uint64_t n) {
  if (n == 0) return;
  if (v < 0) bump(&h->underflow, n);
  if (v > FIXGW_HIST_MAX_VALUE) bump(&h->overflow, n);
  record(h, clamp(v), n);
}

void fixgw_hist_merge(fixgw_hist_t *dst, const fixgw_hist_t *src) {
  for (unsigned g = 0; g < FIXGW_HIST_GROUPS; g++) {
    uint64_t gt = 0;
    for (uint32_t i = fixgw__hist_group_first(g); i < fixgw__hist_group_end(g); i++) {
      uint64_t c = rd(&src->counts[i]);
      if (c) {
        bump(&dst->counts[i], c);
        gt += c;
      }
    }
    /* The group total added is what we actually copied, so dst's counts and
     * totals stay consistent even if src is being written. */
    if (gt) bump(&dst->group_total[g], gt);
  }
  bump(&dst->sum, rd(&src->sum));
  bump(&dst->underflow, rd(&src->underflow));
  bump(&dst->overflow, rd(&src->overflow));
  uint64_t mn = rd(&src->min), mx = rd(&src->max);
  if (mn < rd(&dst->min)) wr(&dst->min, mn);
  if (mx > rd(&dst->max)) wr(&dst->max, mx);
}

uint64_t fixgw_hist_count(const fixgw_hist_t *h) {
  uint64_t n = 0;
  for (unsigned g = 0; g < FIXGW_HIST_GROUPS; g++) n += rd(&h->group_total[g]);
  return n;
}

uint64_t fixgw__hist_rank(double pct, uint64_t total) {
  if (!(pct > 0)) pct = 0; /* also NaN */
  if (pct > 100) pct = 100;
  double r = pct / 100.0 * (double)total;
  uint64_t k = (uint64_t)r;
  /* Ceil, except that a product within 1e-9 (relative) of an integer is
   * that integer: 99.9% of 100000 must be rank 99900 although the double
   * product may come out as 99900.00000000001. */
  if ((double)k < r - 1e-9 * (r > 1 ? r : 1)) k++;
  if (k < 1) k = 1;
  if (k > total) k = total;
  return k;
}

/* Reported value of bucket i: its top, but never above the exact max nor
 * below the bucket's bottom (max may lag the counts under a live writer). */
uint64_t fixgw__hist_report(const fixgw_hist_t *h, uint32_t i) {
  uint64_t hi = fixgw__hist_high(i), mx = rd(&h->max);
  if (mx < hi) hi = mx;
  uint64_t lo = fixgw__hist_low(i);
  return hi < lo ? lo : hi;
}

/* Walks ranks in ascending order. Group totals let it skip whole groups, so a
 * query touches ~32 totals and at most one or two groups' counts. */
typedef struct walker {
  const fixgw_hist_t *h;
  uint64_t gt[FIXGW_HIST_GROUPS];
  unsigned g;       /* current group */
  uint64_t before;  /* count in groups before g */
  uint32_t i;       /* next index to read in group g */
  uint64_t cum;     /* count up to and including index i - 1 */
  uint32_t last_nz; /* last nonzero index seen */
} walker;

static uint64_t walker_init(walker *w, const fixgw_hist_t *h) {
  uint64_t total = 0;
  w->h = h;
  for (unsigned g = 0; g < FIXGW_HIST_GROUPS; g++) total += (w->gt[g] = rd(&h->group_total[g]));
  w->g = 0;
  w->before = 0;
  w->i = 0;
  w->cum = 0;
  w->last_nz = 0;
  return total;
}

/* Index of the bucket holding the value of rank k (k ascending across
 * calls, 1 <= k <= the total walker_init returned). */
static uint32_t walker_find(walker *w, uint64_t k) {
  while (w->g < FIXGW_HIST_GROUPS) {
    /* The bucket read last already reaches rank k. */
    if (w->cum >= k) return w->last_nz;
    uint64_t after = w->before + w->gt[w->g];
    if (after >= k) {
      uint32_t end = fixgw__hist_group_end(w->g);
      if (w->i < fixgw__hist_group_first(w->g)) w->i = fixgw__hist_group_first(w->g);
      while (w->i < end) {
        uint64_t c = rd(&w->h->counts[w->i++]);
        if (!c) continue;
        w->last_nz = w->i - 1;
        w->cum += c;
        if (w->cum >= k) return w->last_nz;
      }
      /* The counts read sum to less than the group total read first (a live
       * writer on a weakly ordered CPU): settle for the group's top recorded
       * bucket. */
    }
    w->before = after;
    w->cum = after;
    w->g++;
  }
  return w->last_nz;
}

uint64_t fixgw_hist_value_at(const fixgw_hist_t *h, double pct) {
  walker w;
  uint64_t total = walker_init(&w, h);
  if (total == 0) return 0;
  return fixgw__hist_report(h, walker_find(&w, fixgw__hist_rank(pct, total)));
}

int fixgw_hist_percentiles(const fixgw_hist_t *h, const double *pcts, uint64_t *out,
                           size_t n) {
  if (!h || (n && (!pcts || !out))) return FIXGW_EINVAL;
  for (size_t j = 0; j < n; j++) {
    if (!(pcts[j] >= 0 && pcts[j] <= 100)) return FIXGW_EINVAL;
    if (j && pcts[j] < pcts[j - 1]) return FIXGW_EINVAL;
  }
  walker w;
  uint64_t total = walker_init(&w, h);
  for (size_t j = 0; j < n; j++)
    out[j] = total ? fixgw__hist_report(h, walker_find(&w, fixgw__hist_rank(pcts[j], total))) : 0;
  return 0;
}

void fixgw_hist_summarize(const fixgw_hist_t *h, fixgw_hist_summary_t *s) {
  static const double p[5] = {50, 90, 99, 99.9, 99.99};
  uint64_t v[5];
  memset(s, 0, sizeof *s);
  /* Count first, from the same group totals the walk uses. */
  s->count = fixgw_hist_count(h);
  fixgw_hist_percentiles(h, p, v, 5);
  s->p50 = v[0];
  s->p90 = v[1];
  s->p99 = v[2];
  s->p999 = v[3];
  s->p9999 = v[4];
  if (s->count) {
    s->min = rd(&h->min);
    s->max = rd(&h->max);
    if (s->min == UINT64_MAX) s->min = 0; /* writer mid-first-record */
    s->mean = (double)rd(&h->sum) / (double)s->count;
  }
  s->underflow = rd(&h->underflow);
  s->overflow = rd(&h->overflow);
}
