/* Clocks: CLOCK_MONOTONIC, and the invariant TSC calibrated against it. */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>

#include "fixgw/metrics.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define DEFAULT_CALIBRATE_NS 10000000u

uint64_t fixgw_clock_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int fixgw_clock_has_invariant_tsc(void) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return 0;
  if (!__get_cpuid(0x80000007u, &a, &b, &c, &d)) return 0;
  return (d >> 8) & 1u;
#else
  return 0;
#endif
}

#if !defined(__SIZEOF_INT128__)
uint64_t fixgw__ticks_ns(uint64_t d, uint64_t mult) {
  /* init only enables the TSC when mult < 2^32, so neither product can
   * overflow. */
  return (d >> 32) * mult + (((d & 0xffffffffu) * mult) >> 32);
}
#endif

void fixgw_clock_init_mono(fixgw_clock_t *c) {
  memset(c, 0, sizeof *c);
  c->ns0 = fixgw_clock_mono_ns();
}

/* One (tsc, ns) pair: the narrowest of a few TSC brackets around a
 * clock_gettime, taking the bracket's middle as the TSC at that instant. */
static void sample(uint64_t *tsc, uint64_t *ns) {
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < 16; i++) {
    uint64_t a = fixgw_clock_rdtsc();
    uint64_t n = fixgw_clock_mono_ns();
    uint64_t b = fixgw_clock_rdtsc();
    if (b >= a && b - a < best) {
      best = b - a;
      *tsc = a + (b - a) / 2;
      *ns = n;
    }
  }
}

int fixgw_clock_init(fixgw_clock_t *c, uint64_t calibrate_ns) {
  if (!c) return FIXGW_EINVAL;
  fixgw_clock_init_mono(c);
#if defined(__x86_64__) || defined(__i386__)
  if (!fixgw_clock_has_invariant_tsc()) return FIXGW_ENOTSUP;
  if (calibrate_ns == 0) calibrate_ns = DEFAULT_CALIBRATE_NS;
  uint64_t t1 = 0, n1 = 0, t2 = 0, n2 = 0;
  sample(&t1, &n1);
  /* Sleep most of the window, then land on it by polling. */
  if (calibrate_ns > 2000000u) {
    uint64_t s = calibrate_ns - 1000000u;
    struct timespec ts = {(time_t)(s / 1000000000u), (long)(s % 1000000000u)};
    nanosleep(&ts, NULL);
  }
  while (fixgw_clock_mono_ns() - n1 < calibrate_ns) {
  }
  sample(&t2, &n2);
  if (t2 <= t1 || n2 <= n1) return FIXGW_ENOTSUP;
  double ns_per_tick = (double)(n2 - n1) / (double)(t2 - t1);
  double hz = 1e9 / ns_per_tick;
  /* A TSC outside 100 MHz .. 20 GHz means the measurement went wrong (e.g.
   * a migration between unsynchronised sockets): do not trust it. */
  if (hz < 1e8 || hz > 2e10) return FIXGW_ENOTSUP;
  double m = ns_per_tick * 4294967296.0 + 0.5;
#if !defined(__SIZEOF_INT128__)
  if (m >= 4294967296.0) return FIXGW_ENOTSUP;
#endif
  c->mult = (uint64_t)m;
  c->tsc0 = t2;
  c->ns0 = n2;
  c->tsc_hz = hz;
  c->use_tsc = 1;
  return 0;
#else
  (void)calibrate_ns;
  return FIXGW_ENOTSUP;
#endif
}
