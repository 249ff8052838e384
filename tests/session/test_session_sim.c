/* The deterministic simulator (sim.c) under cmocka: seeds 1..N, N from
 * FIXGW_SIM_SEEDS (default below, sized for CI under ASan on 2 cores), or
 * exactly one from FIXGW_SIM_SEED; FIXGW_SIM_FIRST moves the first seed and
 * FIXGW_SIM_SECONDS stops a long run after that much wall time. A failing
 * seed prints the line that replays it and the last events.
 *
 * Standalone: test_session_sim [-v] SEED... runs just those seeds
 * (-v prints every event as it happens). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "sim.h"

#ifndef SIM_DEFAULT_SEEDS
#define SIM_DEFAULT_SEEDS 500
#endif

static char self_path[4096] = "test_session_sim";

static uint64_t env_u64(const char *name, uint64_t dflt, bool *set) {
  const char *v = getenv(name);
  if (set) *set = v && *v;
  if (!v || !*v) return dflt;
  return strtoull(v, NULL, 0);
}

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct totals {
  uint64_t seeds, failed, steps, delivered, faults, logons, resends, beyond;
  double sim_s;
} totals_t;

static bool one(uint64_t seed, bool verbose, totals_t *t) {
  sim_result_t r;
  bool ok = sim_run(seed, verbose, stdout, &r);
  t->seeds++;
  t->steps += r.steps;
  t->delivered += r.delivered;
  t->faults += r.faults;
  t->logons += r.logons;
  t->resends += r.resends;
  t->sim_s += (double)r.sim_ns / 1e9;
  if (r.variant == SIM_SKEW_BEYOND) t->beyond++;
  if (!ok) {
    t->failed++;
    printf("replay: FIXGW_SIM_SEED=%llu %s\n", (unsigned long long)seed, self_path);
    fflush(stdout);
  }
  return ok;
}

static void summary(const totals_t *t, double secs) {
  printf("sim: %llu seeds (%llu with a clock jump beyond MaxLatency) in %.1f s wall, "
         "%.0f s simulated, %llu steps, %llu messages delivered, %llu resent, %llu faults, "
         "%llu logons, %llu failed\n",
         (unsigned long long)t->seeds, (unsigned long long)t->beyond, secs, t->sim_s,
         (unsigned long long)t->steps, (unsigned long long)t->delivered,
         (unsigned long long)t->resends, (unsigned long long)t->faults,
         (unsigned long long)t->logons, (unsigned long long)t->failed);
}

static void test_sim_seeds(void **state) {
  (void)state;
  totals_t t;
  memset(&t, 0, sizeof t);
  bool one_set;
  uint64_t only = env_u64("FIXGW_SIM_SEED", 0, &one_set);
  double t0 = wall();
  if (one_set) {
    bool verbose = env_u64("FIXGW_SIM_VERBOSE", 0, NULL) != 0;
    one(only, verbose, &t);
  } else {
    uint64_t n = env_u64("FIXGW_SIM_SEEDS", SIM_DEFAULT_SEEDS, NULL);
    uint64_t first = env_u64("FIXGW_SIM_FIRST", 1, NULL);
    double budget = (double)env_u64("FIXGW_SIM_SECONDS", 0, NULL);
    for (uint64_t s = first; s < first + n; s++) {
      one(s, false, &t);
      if (t.failed >= 5) break; /* enough to go on with */
      if (budget > 0 && wall() - t0 > budget) break;
    }
  }
  summary(&t, wall() - t0);
  assert_int_equal(t.failed, 0);
}

int main(int argc, char **argv) {
  ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
  if (n > 0) self_path[n] = 0;
  else snprintf(self_path, sizeof self_path, "%s", argv[0]);
  if (argc > 1) {
    bool verbose = false;
    totals_t t;
    memset(&t, 0, sizeof t);
    double t0 = wall();
    for (int i = 1; i < argc; i++) {
      if (strcmp(argv[i], "-v") == 0) {
        verbose = true;
        continue;
      }
      one(strtoull(argv[i], NULL, 0), verbose, &t);
    }
    summary(&t, wall() - t0);
    return t.failed ? 1 : 0;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sim_seeds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
