/* Wake cost of each wait strategy.
 *   wake_fast_path: fixgw_waiter_wake with nobody asleep (the producer's
 *     cost per message in the common case).
 *   wake_rtt/<kind>: ping-pong round trip between this thread (spinning)
 *     and a fixgw_thread idling in fixgw_thread_run with that strategy;
 *     one iteration = one round trip = the strategy's wake-up + one spin
 *     hand-back. kind: 0 BLOCK (spins 1000 first), 1 SPIN_YIELD, 2 SPIN,
 *     3 BLOCK with spin_iters = 1 (every ping wakes a futex sleeper).
 * Run with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
 * and read the medians. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/thread.h"
#include "fixgw_bench.h"

static void bm_wake_fast(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_waiter_t w;
  fixgw_waiter_init(&w, NULL);
  while (fixgw_bench_keep_running_batch(st, 256)) {
    for (int i = 0; i < 256; i++) fixgw_waiter_wake(&w);
  }
  fixgw_bench_sink(&w);
}

typedef struct pingpong {
  uint32_t ping __attribute__((aligned(64)));
  uint32_t pong __attribute__((aligned(64)));
} pingpong;

static int echo(void *user) {
  pingpong *p = user;
  /* Acquire/release: the token is the only data exchanged. */
  uint32_t v = __atomic_load_n(&p->ping, __ATOMIC_ACQUIRE);
  if (v == __atomic_load_n(&p->pong, __ATOMIC_RELAXED)) return 0;
  __atomic_store_n(&p->pong, v, __ATOMIC_RELEASE);
  return 1;
}

static void pong_main(fixgw_thread_t *self, void *arg) { (void)fixgw_thread_run(self, echo, arg); }

/* With two CPUs or more, this thread and the pong thread each get their
 * own CPU, so the round trip does not measure the scheduler time-slicing
 * them on one core. */
static int pin_pong;
static fixgw_cpuset_t pong_cpu;

static void pin_threads(void) {
  fixgw_topology_t *t = malloc(sizeof *t);
  fixgw_placement_t pl;
  if (t && fixgw_topology_load(t, NULL) == 0 && t->nonline >= 2 &&
      fixgw_topology_place_io(t, &pl) == 0 && !pl.crowded) {
    fixgw_cpuset_t main_cpu;
    fixgw_cpuset_zero(&main_cpu);
    fixgw_cpuset_add(&main_cpu, fixgw_cpuset_next(&pl.others, 0));
    fixgw_cpuset_zero(&pong_cpu);
    fixgw_cpuset_add(&pong_cpu, pl.io_cpu);
    fixgw_thread_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.cpus = &main_cpu;
    fixgw_thread_result_t r;
    fixgw_thread_apply(&cfg, &r);
    pin_pong = r.affinity == 0;
    char buf[64];
    snprintf(buf, sizeof buf, "main on %d, pong on %d", fixgw_cpuset_next(&main_cpu, 0), pl.io_cpu);
    fixgw_bench_context("pinning", pin_pong ? buf : "refused");
  } else {
    fixgw_bench_context("pinning", "none (one core or no topology)");
  }
  free(t);
}

static void bm_wake_rtt(fixgw_bench_state *st, void *arg) {
  (void)arg;
  int64_t kind = fixgw_bench_range(st, 0);
  static pingpong p;
  memset(&p, 0, sizeof p);
  fixgw_thread_t t;
  memset(&t, 0, sizeof t);
  fixgw_thread_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.name = "fixgw-pong";
  cfg.wait.kind = kind == 3 ? FIXGW_WAIT_BLOCK : (fixgw_wait_kind)kind;
  cfg.wait.spin_iters = kind == 3 ? 1 : 1000;
  cfg.cpus = pin_pong ? &pong_cpu : NULL;
  if (fixgw_thread_start(&t, &cfg, pong_main, &p, NULL) != 0) {
    fixgw_bench_error(st, "thread start failed");
    return;
  }
  uint32_t token = 0;
  int lost = 0;
  while (fixgw_bench_keep_running_batch(st, 64) && !lost) {
    for (int i = 0; i < 64; i++) {
      ++token;
      __atomic_store_n(&p.ping, token, __ATOMIC_RELEASE);
      fixgw_thread_wake(&t);
      /* Bounded spin: a 2-core box may preempt the pong thread. */
      uint64_t spins = 0;
      while (__atomic_load_n(&p.pong, __ATOMIC_ACQUIRE) != token) {
        fixgw_cpu_relax();
        if (++spins > (1ull << 32)) {
          lost = 1;
          break;
        }
      }
    }
  }
  fixgw_thread_stop(&t);
  fixgw_thread_join(&t);
  if (lost) fixgw_bench_error(st, "no answer");
  fixgw_bench_counter(st, "sleeps_per_rtt", (double)t.waiter.sleeps, false, true);
}

int main(int argc, char **argv) {
  static const int64_t kinds[] = {0, 1, 2, 3};
  pin_threads();
  fixgw_bench_register("wake_fast_path", bm_wake_fast, NULL, NULL, 0, 0);
  fixgw_bench_register("wake_rtt/kind", bm_wake_rtt, NULL, kinds, 4, 0);
  return fixgw_bench_main(&argc, argv);
}
