/* The deterministic simulator (sim.c) under cmocka: seeds 1..N, N from
 * FIXGW_SIM_SEEDS (default below, sized for CI under ASan on 2 cores), or
 * exactly one from FIXGW_SIM_SEED; FIXGW_SIM_FIRST moves the first seed and
 * FIXGW_SIM_SECONDS stops a long run after that much wall time. A failing
 * seed prints the line that replays it and the last events.
 * FIXGW_SIM_STORE=file runs those seeds on file stores instead of memory
 * stores (FIXGW_SIM_STORE=memory, the default).
 *
 * test_sim_seeds_file_store: seeds 1..FIXGW_SIM_FILE_SEEDS (default below)
 * on file stores, each in a temporary directory under FIXGW_SIM_DIR (else
 * $TMPDIR, else /tmp), removed after the seed. It stands aside when
 * FIXGW_SIM_SEED is set (a replay: test_sim_seeds runs it, with the store
 * FIXGW_SIM_STORE names) or when FIXGW_SIM_STORE=file (test_sim_seeds runs
 * the file store already).
 *
 * Standalone: test_session_sim [-v] [--file] SEED... runs just those seeds
 * (-v prints every event as it happens; --file, or FIXGW_SIM_STORE=file,
 * on file stores). */
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
#ifndef SIM_DEFAULT_FILE_SEEDS
#define SIM_DEFAULT_FILE_SEEDS 100
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

/* FIXGW_SIM_STORE: memory (default) or file; *bad if it is neither. */
static sim_store env_store(bool *bad) {
  const char *v = getenv("FIXGW_SIM_STORE");
  *bad = false;
  if (!v || !*v || strcmp(v, "memory") == 0 || strcmp(v, "mem") == 0) return SIM_STORE_MEMORY;
  if (strcmp(v, "file") == 0) return SIM_STORE_FILE;
  *bad = true;
  return SIM_STORE_MEMORY;
}

typedef struct totals {
  uint64_t seeds, failed, steps, delivered, faults, logons, resends, beyond;
  uint64_t reopens, syncs, policy[3];
  sim_store store;
  double sim_s;
} totals_t;

static bool one(uint64_t seed, sim_store store, bool verbose, totals_t *t) {
  sim_result_t r;
  sim_options_t o;
  memset(&o, 0, sizeof o);
  o.store = store;
  o.verbose = verbose;
  o.dir = getenv("FIXGW_SIM_DIR");
  bool ok = sim_run_with(seed, &o, stdout, &r);
  t->store = store;
  if (store == SIM_STORE_FILE) {
    t->reopens += r.reopens;
    t->syncs += r.syncs;
    if (r.file_sync >= 0 && r.file_sync < 3) t->policy[r.file_sync]++;
  }
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
    printf("replay: %sFIXGW_SIM_SEED=%llu %s\n",
           store == SIM_STORE_FILE ? "FIXGW_SIM_STORE=file " : "", (unsigned long long)seed,
           self_path);
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
  if (t->store == SIM_STORE_FILE)
    printf("sim: file stores: %llu EVERY / %llu GROUP / %llu OS seeds, %llu reopens from the "
           "files, %llu fdatasync calls\n",
           (unsigned long long)t->policy[0], (unsigned long long)t->policy[1],
           (unsigned long long)t->policy[2], (unsigned long long)t->reopens,
           (unsigned long long)t->syncs);
}

/* seeds first.. (n of them, or one from FIXGW_SIM_SEED) on store */
static void run_seeds(sim_store store, const char *n_env, uint64_t n_dflt, bool allow_one) {
  totals_t t;
  memset(&t, 0, sizeof t);
  t.store = store;
  bool one_set;
  uint64_t only = env_u64("FIXGW_SIM_SEED", 0, &one_set);
  double t0 = wall();
  if (one_set && allow_one) {
    bool verbose = env_u64("FIXGW_SIM_VERBOSE", 0, NULL) != 0;
    one(only, store, verbose, &t);
  } else {
    uint64_t n = env_u64(n_env, n_dflt, NULL);
    uint64_t first = env_u64("FIXGW_SIM_FIRST", 1, NULL);
    double budget = (double)env_u64("FIXGW_SIM_SECONDS", 0, NULL);
    for (uint64_t s = first; s < first + n; s++) {
      one(s, store, false, &t);
      if (t.failed >= 5) break; /* enough to go on with */
      if (budget > 0 && wall() - t0 > budget) break;
    }
  }
  summary(&t, wall() - t0);
  assert_int_equal(t.failed, 0);
}

static void test_sim_seeds(void **state) {
  (void)state;
  bool bad;
  sim_store store = env_store(&bad);
  if (bad) fail_msg("FIXGW_SIM_STORE=%s: memory or file", getenv("FIXGW_SIM_STORE"));
  run_seeds(store, "FIXGW_SIM_SEEDS", SIM_DEFAULT_SEEDS, true);
}

static void test_sim_seeds_file_store(void **state) {
  (void)state;
  bool bad, one_set;
  sim_store store = env_store(&bad);
  env_u64("FIXGW_SIM_SEED", 0, &one_set);
  if (one_set || (store == SIM_STORE_FILE && !bad)) {
    printf("sim: file-store seeds left to test_sim_seeds (%s)\n",
           one_set ? "FIXGW_SIM_SEED is set" : "FIXGW_SIM_STORE=file");
    skip();
  }
  run_seeds(SIM_STORE_FILE, "FIXGW_SIM_FILE_SEEDS", SIM_DEFAULT_FILE_SEEDS, false);
}

int main(int argc, char **argv) {
  ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
  if (n > 0) self_path[n] = 0;
  else snprintf(self_path, sizeof self_path, "%s", argv[0]);
  if (argc > 1) {
    bool verbose = false, bad;
    sim_store store = env_store(&bad);
    totals_t t;
    memset(&t, 0, sizeof t);
    t.store = store;
    double t0 = wall();
    for (int i = 1; i < argc; i++) {
      if (strcmp(argv[i], "-v") == 0) {
        verbose = true;
        continue;
      }
      if (strcmp(argv[i], "--file") == 0) {
        store = SIM_STORE_FILE;
        continue;
      }
      one(strtoull(argv[i], NULL, 0), store, verbose, &t);
    }
    summary(&t, wall() - t0);
    return t.failed ? 1 : 0;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sim_seeds),
      cmocka_unit_test(test_sim_seeds_file_store),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
