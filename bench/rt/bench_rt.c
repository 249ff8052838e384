/* The priority send path against the design it replaces (a mutex around a
 * std::priority_queue, baseline_pq.cc), in one binary, same messages, same
 * pool, same clock, same write function, same pinning:
 *   producer = the benchmark thread, pinned to CPU 0
 *   sender   = pinned to CPU 1, in two pairs of like with like:
 *              fixgw_rt (SPIN wait)  vs  mutex_pq (spin-polling pops)
 *              fixgw_rt_block (BLOCK: spin, then futex, woken by posts)
 *                                    vs  mutex_pq_cv (condition variable)
 * Scenarios (one iteration = one message of 120 bytes, levels mixed
 * 10% Critical, 20% High, 50% Normal, 20% Low):
 *   tp/<impl>         post as fast as the queue accepts; throughput
 *   rate/<impl>       sustained RATE msgs/s, evenly spaced
 *   burst/<impl>      BURST messages back to back, then BURST_GAP_NS idle
 * Latency is queue -> wire: post timestamp to the return of the write
 * function, recorded per level in fixgw_hist_t histograms by the sender.
 * After the Google Benchmark report, a summary prints the median over the
 * repetitions of each figure, the throughput ratio and the p99-p50 spread
 * of both, pair by pair. Run:
 *   bench_rt --benchmark_min_time=0.3 --benchmark_repetitions=5
 *            --benchmark_report_aggregates_only=true
 * (--benchmark_filter='fixgw_rt/|mutex_pq/|env' for the spinning pair). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "baseline_pq.h"
#include "fixgw/rt.h"
#include "fixgw_bench.h"

#ifndef FIXGW_BENCH_BUILD_TYPE
#define FIXGW_BENCH_BUILD_TYPE "?"
#endif

#define NLEV FIXGW_PRIO_LEVELS
#define RING 1024          /* per level; the baseline holds NLEV * RING */
#define POOL 8192          /* message buffers (> everything queueable) */
#define MSG_LEN 120
#define BATCH 256
#define RATE 100000        /* msgs/s for rate/ */
#define BURST 64
#define BURST_GAP_NS 100000
#define PRODUCER_CPU 0
#define SENDER_CPU 1

static fixgw_clock_t clk;
static char tmpl[MSG_LEN];
/* FIXGW_BENCH_SENDER_FIFO=<prio>: both senders (and the noise meter) run
 * SCHED_FIFO at prio, so other processes on a shared machine cannot
 * preempt them; each run is then followed by a pause so a spinning FIFO
 * thread stays under the kernel's RT throttle (95% of each second). */
static int sender_fifo;

static void pin_self_prio(int cpu, int fifo) {
  fixgw_cpuset_t set;
  fixgw_cpuset_zero(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  fixgw_cpuset_add(&set, cpu % (n > 0 ? (int)n : 1));
  fixgw_thread_config_t tc;
  memset(&tc, 0, sizeof tc);
  tc.cpus = &set;
  tc.rt_priority = fifo;
  fixgw_thread_apply(&tc, NULL);
}

static void pin_self(int cpu) { pin_self_prio(cpu, 0); }

static void fifo_cooldown(void) {
  if (!sender_fifo) return;
  struct timespec ts = {0, 200000000};
  nanosleep(&ts, NULL);
}

/* Level mix: 10% C, 20% H, 50% N, 20% L, interleaved. */
static fixgw_prio_t level_of(uint64_t i) {
  static const uint8_t mix[10] = {2, 1, 2, 3, 0, 2, 1, 2, 3, 2};
  return (fixgw_prio_t)mix[i % 10];
}

/* ---- the write function both senders call ---------------------------- */

typedef struct wsink {
  _Alignas(64) uint64_t written; /* sender writes (relaxed), producer reads */
  uint64_t bytes;
  uint64_t x;
} wsink;

static int sink_write(void *user, const char *buf, size_t len) {
  wsink *w = user;
  w->x += (unsigned char)buf[0] + (unsigned char)buf[len - 1];
  w->bytes += len;
  fixgw_counter_add(&w->written, 1);
  return 0;
}

/* ---- the baseline sender --------------------------------------------- */

typedef struct base {
  bl_queue *q;
  int blocking;
  wsink *sink;
  fixgw_hist_t *hist; /* NLEV */
  atomic_int stop;
  pthread_t t;
} base;

static void *base_sender(void *arg) {
  base *b = arg;
  pin_self_prio(SENDER_CPU, sender_fifo);
  for (;;) {
    void *v;
    unsigned lv;
    int got = b->blocking ? bl_pop_wait(b->q, &v, &lv, 1000000) : bl_pop(b->q, &v, &lv);
    if (got != 0) {
      if (atomic_load_explicit(&b->stop, memory_order_acquire)) {
        if (bl_pop(b->q, &v, &lv) != 0) break; /* drained */
      } else {
        if (!b->blocking) fixgw_cpu_relax();
        continue;
      }
    }
    fixgw_msgbuf_t *m = v;
    sink_write(b->sink, (const char *)fixgw_msgbuf_data(m), m->len);
    uint64_t now = fixgw_clock_now_ns(&clk);
    fixgw_hist_record(&b->hist[lv], (int64_t)(now - m->enqueue_ns));
    fixgw_msgbuf_put_remote(m);
  }
  return NULL;
}

/* ---- one engine: rt or baseline --------------------------------------- */

/* impl: bit 0 = fixgw_rt (else the baseline), bit 1 = blocking sender. */
enum { IMPL_BASE = 0, IMPL_RT = 1, IMPL_BASE_CV = 2, IMPL_RT_BLOCK = 3, NIMPL };
static const char *impl_name[NIMPL] = {"mutex_pq", "fixgw_rt", "mutex_pq_cv", "fixgw_rt_block"};

typedef struct engine {
  int is_rt, blocking;
  fixgw_rt_t *rt;
  fixgw_rt_producer_t *prod;
  base b;
  wsink sink;
  fixgw_msgpool_t pool;
  uint64_t full; /* posts refused (queue full), retried */
} engine;

static int engine_open(engine *e, int impl) {
  memset(e, 0, sizeof *e);
  int is_rt = impl & 1;
  e->is_rt = is_rt;
  e->blocking = impl >> 1;
  if (fixgw_msgpool_init(&e->pool, 256, POOL, 0, NULL) != 0) return -1;
  if (is_rt) {
    fixgw_rt_config_t cfg;
    fixgw_rt_config_default(&cfg);
    cfg.write_cb = sink_write;
    cfg.user = &e->sink;
    cfg.cpu = SENDER_CPU;
    cfg.rt_priority = sender_fifo;
    cfg.wait.kind = e->blocking ? FIXGW_WAIT_BLOCK : FIXGW_WAIT_SPIN;
    cfg.clock = &clk;
    cfg.prio.max_producers = 1;
    for (int l = 0; l < NLEV; l++) cfg.prio.ring_size[l] = RING;
    if (fixgw_rt_create(&e->rt, &cfg, NULL) != 0) return -1;
    if (fixgw_rt_register(e->rt, &e->prod) != 0) return -1;
    if (fixgw_rt_start(e->rt, NULL) != 0) return -1;
  } else {
    e->b.q = bl_create(NLEV * RING);
    e->b.hist = calloc(NLEV, sizeof(fixgw_hist_t));
    if (!e->b.q || !e->b.hist) return -1;
    for (int l = 0; l < NLEV; l++) fixgw_hist_reset(&e->b.hist[l]);
    e->b.sink = &e->sink;
    e->b.blocking = e->blocking;
    if (pthread_create(&e->b.t, NULL, base_sender, &e->b) != 0) return -1;
  }
  return 0;
}

static void engine_close(engine *e) {
  if (e->is_rt) {
    fixgw_rt_destroy(e->rt);
  } else {
    atomic_store_explicit(&e->b.stop, 1, memory_order_release);
    pthread_join(e->b.t, NULL);
    bl_destroy(e->b.q);
    free(e->b.hist);
  }
  fixgw_msgpool_destroy(&e->pool);
}

static const fixgw_hist_t *engine_hist(engine *e, int lv) {
  return e->is_rt ? fixgw_rt_latency(e->rt, (fixgw_prio_t)lv) : &e->b.hist[lv];
}

/* A full queue: back off for a while instead of hammering the lines the
 * sender is writing (both implementations get the same treatment). */
static inline void backoff(void) {
  for (int k = 0; k < 64; k++) fixgw_cpu_relax();
}

/* Build and post message i; spins (never drops) while the pool or the
 * queue is full, like a producer that must not lose orders. */
static inline void post_one(engine *e, uint64_t i) {
  fixgw_msgbuf_t *m;
  while ((m = fixgw_msgbuf_get(&e->pool)) == NULL) backoff();
  memcpy(fixgw_msgbuf_data(m), tmpl, MSG_LEN);
  m->len = MSG_LEN;
  fixgw_prio_t lv = level_of(i);
  if (e->is_rt) {
    while (fixgw_rt_post(e->prod, lv, m) != 0) {
      e->full++;
      backoff();
    }
  } else {
    m->priority = (uint8_t)lv;
    m->enqueue_ns = fixgw_clock_now_ns(&clk);
    while ((e->blocking ? bl_push_notify(e->b.q, (unsigned)lv, m)
                        : bl_push(e->b.q, (unsigned)lv, m)) != 0) {
      e->full++;
      backoff();
      m->enqueue_ns = fixgw_clock_now_ns(&clk);
    }
  }
}

static void wait_written(engine *e, uint64_t n) {
  uint64_t deadline = fixgw_clock_mono_ns() + 10ull * 1000000000ull;
  while (fixgw_metric_read(&e->sink.written) < n && fixgw_clock_mono_ns() < deadline)
    fixgw_cpu_relax();
}

/* ---- results kept for the summary -------------------------------------- */

enum { SC_TP, SC_RATE, SC_BURST, NSC };
static const char *sc_name[NSC] = {"tp", "rate", "burst"};
#define MAX_RUNS 256

typedef struct result {
  int sc, impl;
  uint64_t n;
  double msgs_per_s;
  uint64_t p50[NLEV + 1], p99[NLEV + 1], p999[NLEV + 1]; /* [NLEV] = all */
} result;
static result runs[MAX_RUNS];
static int nruns;

static void report(fixgw_bench_state *st, engine *e, int sc, uint64_t n, uint64_t ns) {
  result r;
  memset(&r, 0, sizeof r);
  r.sc = sc;
  r.impl = e->is_rt | e->blocking << 1;
  r.n = n;
  r.msgs_per_s = ns ? (double)n * 1e9 / (double)ns : 0;
  /* All levels together: merge into a scratch histogram (~265 KiB). */
  static fixgw_hist_t all;
  fixgw_hist_reset(&all);
  static const double pct[3] = {50, 99, 99.9};
  for (int l = 0; l <= NLEV; l++) {
    const fixgw_hist_t *h = l < NLEV ? engine_hist(e, l) : &all;
    if (l < NLEV) fixgw_hist_merge(&all, h);
    uint64_t out[3];
    fixgw_hist_percentiles(h, pct, out, 3);
    r.p50[l] = out[0];
    r.p99[l] = out[1];
    r.p999[l] = out[2];
  }
  static const char *ln[NLEV + 1] = {"crit", "high", "norm", "low", "all"};
  char name[32];
  for (int l = 0; l <= NLEV; l++) {
    if (sc == SC_TP && l < NLEV) continue; /* queueing under overload: noise */
    snprintf(name, sizeof name, "%s_p50", ln[l]);
    fixgw_bench_counter(st, name, (double)r.p50[l], false, false);
    snprintf(name, sizeof name, "%s_p99", ln[l]);
    fixgw_bench_counter(st, name, (double)r.p99[l], false, false);
    if (l == NLEV || l == FIXGW_PRIO_CRITICAL) {
      snprintf(name, sizeof name, "%s_p999", ln[l]);
      fixgw_bench_counter(st, name, (double)r.p999[l], false, false);
    }
  }
  fixgw_bench_counter(st, "spread_ns", (double)(r.p99[NLEV] - r.p50[NLEV]), false, false);
  fixgw_bench_counter(st, "msgs_per_s", r.msgs_per_s, false, false);
  fixgw_bench_counter(st, "full_retries", (double)e->full, false, false);
  fixgw_bench_set_items(st, (int64_t)n);
  if (nruns < MAX_RUNS) runs[nruns++] = r;
}

/* ---- scenarios --------------------------------------------------------- */

static void scenario(fixgw_bench_state *st, int sc, int impl) {
  engine *e = aligned_alloc(64, (sizeof(engine) + 63) / 64 * 64);
  pin_self(PRODUCER_CPU);
  if (e == NULL || engine_open(e, impl) != 0) {
    fixgw_bench_error(st, "engine setup failed");
    free(e);
    return;
  }
  const uint64_t gap = 1000000000ull / RATE;
  uint64_t n = 0, t0 = fixgw_clock_now_ns(&clk), next = t0;
  while (fixgw_bench_keep_running_batch(st, BATCH)) {
    for (int i = 0; i < BATCH; i++, n++) {
      if (sc == SC_RATE) {
        while (fixgw_clock_now_ns(&clk) < next) fixgw_cpu_relax();
        next += gap;
      } else if (sc == SC_BURST && n % BURST == 0 && n) {
        next = fixgw_clock_now_ns(&clk) + BURST_GAP_NS;
        while (fixgw_clock_now_ns(&clk) < next) fixgw_cpu_relax();
      }
      post_one(e, n);
    }
  }
  wait_written(e, n);
  uint64_t t1 = fixgw_clock_now_ns(&clk);
  if (fixgw_metric_read(&e->sink.written) != n)
    fixgw_bench_error(st, "not every message was written");
  else
    report(st, e, sc, n, t1 - t0);
  engine_close(e);
  free(e);
  fifo_cooldown();
}

static void bm(fixgw_bench_state *st, void *arg) {
  intptr_t a = (intptr_t)arg;
  scenario(st, (int)(a >> 2), (int)(a & 3));
}

/* ---- the machine's own noise ------------------------------------------- */

/* A thread pinned where the sender runs spins reading the clock for as
 * long as a run lasts; every gap between two reads longer than 1 us is time
 * the CPU was taken away (interrupts, other processes, the hypervisor).
 * Latency percentiles above 100 - stolen_pct are the machine's, not the
 * queue's. One iteration = 1 us of observation. */
typedef struct hiccup {
  atomic_int stop;
  uint64_t stolen_ns, gaps_10us, max_gap_ns, observed_ns;
} hiccup;

static void *hiccup_run(void *arg) {
  hiccup *h = arg;
  pin_self_prio(SENDER_CPU, sender_fifo);
  uint64_t t0 = fixgw_clock_now_ns(&clk), prev = t0;
  while (!atomic_load_explicit(&h->stop, memory_order_relaxed)) {
    uint64_t t = fixgw_clock_now_ns(&clk), g = t - prev;
    prev = t;
    if (g > 1000) {
      h->stolen_ns += g;
      if (g > 10000) h->gaps_10us++;
      if (g > h->max_gap_ns) h->max_gap_ns = g;
    }
  }
  h->observed_ns = prev - t0;
  return NULL;
}

static double env_stolen_pct[MAX_RUNS];
static int nenv;

static void bm_hiccup(fixgw_bench_state *st, void *arg) {
  (void)arg;
  hiccup h;
  memset(&h, 0, sizeof h);
  pthread_t t;
  pin_self(PRODUCER_CPU);
  if (pthread_create(&t, NULL, hiccup_run, &h) != 0) {
    fixgw_bench_error(st, "thread");
    return;
  }
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(st, 1000)) {
    uint64_t end = fixgw_clock_now_ns(&clk) + 1000000; /* 1000 x 1 us */
    while (fixgw_clock_now_ns(&clk) < end) sched_yield();
    n += 1000;
  }
  atomic_store(&h.stop, 1);
  pthread_join(t, NULL);
  double sec = (double)h.observed_ns / 1e9;
  double pct = h.observed_ns ? 100.0 * (double)h.stolen_ns / (double)h.observed_ns : 0;
  fixgw_bench_counter(st, "stolen_pct", pct, false, false);
  fixgw_bench_counter(st, "gaps_over_10us_per_s", sec > 0 ? (double)h.gaps_10us / sec : 0,
                      false, false);
  fixgw_bench_counter(st, "max_gap_ns", (double)h.max_gap_ns, false, false);
  fixgw_bench_set_items(st, n);
  if (nenv < MAX_RUNS) env_stolen_pct[nenv++] = pct;
  fifo_cooldown();
}

/* Cross-core round trip: a cache line bounced between the producer's and
 * the sender's CPUs. Every message crosses cores a few times, so this
 * figure (which moves with where the hypervisor puts the two vCPUs) bounds
 * what any queue can do on this machine at the moment. One iteration =
 * one round trip; p50 reported. */
typedef struct pp {
  _Alignas(64) uint64_t ping;
  _Alignas(64) atomic_int stop;
} pp;

static void *pong(void *arg) {
  pp *p = arg;
  pin_self(SENDER_CPU);
  uint64_t seen = 0;
  while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
    uint64_t v = __atomic_load_n(&p->ping, __ATOMIC_ACQUIRE);
    if (v != seen && (v & 1)) { /* odd: a ping; answer with the next even */
      seen = v + 1;
      __atomic_store_n(&p->ping, v + 1, __ATOMIC_RELEASE);
    }
    fixgw_cpu_relax();
  }
  return NULL;
}

static double env_rtt_ns[MAX_RUNS];
static int nrtt;

static void bm_xcore(fixgw_bench_state *st, void *arg) {
  (void)arg;
  pp *p = aligned_alloc(64, sizeof(pp));
  memset(p, 0, sizeof *p);
  static fixgw_hist_t h;
  fixgw_hist_reset(&h);
  pin_self(PRODUCER_CPU);
  pthread_t t;
  if (pthread_create(&t, NULL, pong, p) != 0) {
    fixgw_bench_error(st, "thread");
    free(p);
    return;
  }
  uint64_t v = 0, deadline = fixgw_clock_mono_ns() + 10ull * 1000000000ull;
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(st, 256)) {
    for (int i = 0; i < 256; i++) {
      uint64_t t0 = fixgw_clock_now_ns(&clk);
      __atomic_store_n(&p->ping, ++v, __ATOMIC_RELEASE); /* odd */
      while (__atomic_load_n(&p->ping, __ATOMIC_ACQUIRE) != v + 1 &&
             fixgw_clock_mono_ns() < deadline)
        fixgw_cpu_relax();
      ++v; /* even, answered */
      fixgw_hist_record(&h, (int64_t)(fixgw_clock_now_ns(&clk) - t0));
    }
    n += 256;
  }
  atomic_store(&p->stop, 1);
  pthread_join(t, NULL);
  double p50 = (double)fixgw_hist_value_at(&h, 50);
  fixgw_bench_counter(st, "rtt_p50_ns", p50, false, false);
  fixgw_bench_counter(st, "rtt_p99_ns", (double)fixgw_hist_value_at(&h, 99), false, false);
  fixgw_bench_set_items(st, n);
  if (nrtt < MAX_RUNS) env_rtt_ns[nrtt++] = p50;
  free(p);
}

/* ---- summary ----------------------------------------------------------- */

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median over the runs GB reported: those with at least half the largest
 * message count of their benchmark (the iteration-count probes are
 * shorter). */
static double median_of(int sc, int impl, double (*get)(const result *)) {
  uint64_t maxn = 0;
  for (int i = 0; i < nruns; i++)
    if (runs[i].sc == sc && runs[i].impl == impl && runs[i].n > maxn) maxn = runs[i].n;
  double v[MAX_RUNS];
  int k = 0;
  for (int i = 0; i < nruns; i++)
    if (runs[i].sc == sc && runs[i].impl == impl && runs[i].n * 2 >= maxn) v[k++] = get(&runs[i]);
  if (k == 0) return 0;
  qsort(v, (size_t)k, sizeof v[0], cmp_d);
  return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

static int cur_lv;
static double g_tp(const result *r) { return r->msgs_per_s; }
static double g_p50(const result *r) { return (double)r->p50[cur_lv]; }
static double g_p99(const result *r) { return (double)r->p99[cur_lv]; }
static double g_p999(const result *r) { return (double)r->p999[cur_lv]; }
static double g_spread(const result *r) { return (double)(r->p99[NLEV] - r->p50[NLEV]); }

static void summary(void) {
  static const char *ln[NLEV + 1] = {"critical", "high", "normal", "low", "all"};
  static const int order[NIMPL] = {IMPL_RT, IMPL_BASE, IMPL_RT_BLOCK, IMPL_BASE_CV};
  double la[3] = {0, 0, 0};
  if (getloadavg(la, 3) < 0) la[0] = -1;
  printf("\n== bench_rt summary (medians over repetitions; load average now %.2f %.2f %.2f)\n",
         la[0], la[1], la[2]);
  printf("%-6s %-15s %10s", "scen", "impl", "msgs/s");
  for (int l = 0; l <= NLEV; l++) printf("  %-8s p50/p99/p99.9 ns   ", ln[l]);
  printf("\n");
  for (int sc = 0; sc < NSC; sc++)
    for (int k = 0; k < NIMPL; k++) {
      int im = order[k];
      double tp = median_of(sc, im, g_tp);
      if (tp == 0) continue; /* filtered out */
      printf("%-6s %-15s %10.0f", sc_name[sc], impl_name[im], tp);
      for (int l = 0; l <= NLEV; l++) {
        cur_lv = l;
        char cell[64];
        snprintf(cell, sizeof cell, "%.0f/%.0f/%.0f", median_of(sc, im, g_p50),
                 median_of(sc, im, g_p99), median_of(sc, im, g_p999));
        printf("  %-28s", cell);
      }
      printf("\n");
    }
  if (nenv) {
    qsort(env_stolen_pct, (size_t)nenv, sizeof env_stolen_pct[0], cmp_d);
    printf("\nmachine noise on the sender's CPU: median %.2f%% of the time taken away "
           "(gaps > 1 us); percentiles above %.2f are the machine's\n",
           env_stolen_pct[nenv / 2], 100 - env_stolen_pct[nenv / 2]);
  }
  if (nrtt) {
    qsort(env_rtt_ns, (size_t)nrtt, sizeof env_rtt_ns[0], cmp_d);
    printf("cross-core cache-line round trip (CPU %d <-> %d): median p50 %.0f ns "
           "(min %.0f, max %.0f over the runs)\n",
           PRODUCER_CPU, SENDER_CPU, env_rtt_ns[nrtt / 2], env_rtt_ns[0], env_rtt_ns[nrtt - 1]);
  }
  /* Like with like: spinning senders, then blocking senders. */
  for (int pair = 0; pair < 2; pair++) {
    int a = pair ? IMPL_RT_BLOCK : IMPL_RT, b = pair ? IMPL_BASE_CV : IMPL_BASE;
    double tr = median_of(SC_TP, a, g_tp), tb = median_of(SC_TP, b, g_tp);
    if (tr == 0 || tb == 0) continue;
    printf("\n%s vs %s\n  throughput: %.0f vs %.0f msgs/s, ratio %.2fx (target >= 3x)\n",
           impl_name[a], impl_name[b], tr, tb, tr / tb);
    for (int sc = SC_RATE; sc <= SC_BURST; sc++) {
      double sr = median_of(sc, a, g_spread), sb = median_of(sc, b, g_spread);
      printf("  %s: p99-p50 spread (all levels) %.0f vs %.0f ns, %.1f%% smaller "
             "(target >= 90%%)\n",
             sc_name[sc], sr, sb, sb > 0 ? 100.0 * (1 - sr / sb) : 0);
    }
  }
}

int main(int argc, char **argv) {
  if (fixgw_clock_init(&clk, 20000000) != 0) fixgw_clock_init_mono(&clk);
  const char *fifo = getenv("FIXGW_BENCH_SENDER_FIFO");
  if (fifo) sender_fifo = atoi(fifo);
  fixgw_bench_context("sender_policy", sender_fifo ? "SCHED_FIFO" : "SCHED_OTHER");
  /* A FIX-looking payload; the write function reads its ends. */
  const char *f = "8=FIX.4.4|9=100|35=D|49=SENDER|56=TARGET|34=12345|52=20240101-12:00:00.000|"
                  "11=ORD1|55=EUR/USD|54=1|38=1000000|40=2|44=1.0850|";
  for (int i = 0; i < MSG_LEN; i++) tmpl[i] = f[i % (int)strlen(f)];
  char buf[64];
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  snprintf(buf, sizeof buf, "producer CPU %d, sender CPU %d of %ld online", PRODUCER_CPU,
           SENDER_CPU, ncpu);
  fixgw_bench_context("pinning", buf);
  fixgw_bench_context("clock", clk.use_tsc ? "invariant TSC" : "CLOCK_MONOTONIC");
  fixgw_bench_context("compiler", __VERSION__);
  fixgw_bench_context("build_type", FIXGW_BENCH_BUILD_TYPE);
  snprintf(buf, sizeof buf, "%d msgs/s; bursts of %d every %d us", RATE, BURST,
           BURST_GAP_NS / 1000);
  fixgw_bench_context("rate", buf);
  double la[3];
  if (getloadavg(la, 3) == 3) {
    snprintf(buf, sizeof buf, "%.2f %.2f %.2f", la[0], la[1], la[2]);
    fixgw_bench_context("load_avg_at_start", buf);
  }
  fixgw_bench_register("env/hiccup_sender_cpu", bm_hiccup, NULL, NULL, 0, 0);
  fixgw_bench_register("env/xcore_rtt", bm_xcore, NULL, NULL, 0, 0);
  static const int order[NIMPL] = {IMPL_RT, IMPL_BASE, IMPL_RT_BLOCK, IMPL_BASE_CV};
  for (int sc = 0; sc < NSC; sc++)
    for (int k = 0; k < NIMPL; k++) {
      char name[40];
      snprintf(name, sizeof name, "%s/%s", sc_name[sc], impl_name[order[k]]);
      fixgw_bench_register(strdup(name), bm, (void *)(intptr_t)(sc << 2 | order[k]), NULL, 0,
                           0);
    }
  int rc = fixgw_bench_main(&argc, argv);
  summary();
  return rc;
}
