/* Ring throughput and latency between two pinned threads, against bare
 * ck_ring and a mutex-protected queue in the same binary. Run:
 *   bench_ring --benchmark_min_time=0.5 --benchmark_repetitions=5
 *              --benchmark_report_aggregates_only=true
 * The calling thread is the consumer (CPU 0); helper threads are producers
 * or the echo side (CPU 1, then round-robin over online CPUs). */
#define _GNU_SOURCE
#include <ck_ring.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixgw/ring.h"
#include "fixgw_bench.h"

#define RING 4096
#define BATCH 4096

static void pin(int cpu) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu % (n > 0 ? (int)n : 1), &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the queues under test, one interface each ---------------------- */

struct mq { /* mutex + circular array */
  pthread_mutex_t mu;
  void *slot[RING];
  unsigned head, tail;
};

struct q {
  int impl; /* 0 fixgw spsc, 1 bare ck spsc, 2 fixgw mpsc, 3 fixgw mpmc, 4 mutex */
  fixgw_ring_spsc_t spsc;
  fixgw_ring_mpsc_t mpsc;
  fixgw_ring_mpmc_t mpmc;
  ck_ring_t ck;
  ck_ring_buffer_t *ckbuf;
  struct mq mq;
  atomic_int stop;
  int producers;
};

static inline int q_enq(struct q *q, void *v) {
  switch (q->impl) {
    case 0: return fixgw_ring_spsc_enqueue(&q->spsc, v) == 0;
    case 1: return ck_ring_enqueue_spsc(&q->ck, q->ckbuf, v);
    case 2: return fixgw_ring_mpsc_enqueue(&q->mpsc, v) == 0;
    case 3: return fixgw_ring_mpmc_enqueue(&q->mpmc, v) == 0;
    default: {
      pthread_mutex_lock(&q->mq.mu);
      int ok = q->mq.tail - q->mq.head < RING - 1;
      if (ok) q->mq.slot[q->mq.tail++ % RING] = v;
      pthread_mutex_unlock(&q->mq.mu);
      return ok;
    }
  }
}

static inline int q_deq(struct q *q, void **v) {
  switch (q->impl) {
    case 0: return fixgw_ring_spsc_dequeue(&q->spsc, v) == 0;
    case 1: return ck_ring_dequeue_spsc(&q->ck, q->ckbuf, v);
    case 2: return fixgw_ring_mpsc_dequeue(&q->mpsc, v) == 0;
    case 3: return fixgw_ring_mpmc_dequeue(&q->mpmc, v) == 0;
    default: {
      pthread_mutex_lock(&q->mq.mu);
      int ok = q->mq.head != q->mq.tail;
      if (ok) *v = q->mq.slot[q->mq.head++ % RING];
      pthread_mutex_unlock(&q->mq.mu);
      return ok;
    }
  }
}

static struct q *q_new(int impl, int producers) {
  struct q *q = aligned_alloc(64, (sizeof(struct q) + 63) / 64 * 64);
  memset(q, 0, sizeof *q);
  q->impl = impl;
  q->producers = producers;
  fixgw_ring_spsc_init(&q->spsc, RING, NULL, NULL);
  fixgw_ring_mpsc_init(&q->mpsc, RING, NULL, NULL);
  fixgw_ring_mpmc_init(&q->mpmc, RING, NULL, NULL);
  q->ckbuf = calloc(RING, sizeof *q->ckbuf);
  ck_ring_init(&q->ck, RING);
  pthread_mutex_init(&q->mq.mu, NULL);
  return q;
}

static void q_free(struct q *q) {
  fixgw_ring_spsc_destroy(&q->spsc);
  fixgw_ring_mpsc_destroy(&q->mpsc);
  fixgw_ring_mpmc_destroy(&q->mpmc);
  free(q->ckbuf);
  pthread_mutex_destroy(&q->mq.mu);
  free(q);
}

/* ---- throughput ------------------------------------------------------ */

struct prod_arg {
  struct q *q;
  int cpu;
};

static void *producer(void *a) {
  struct prod_arg *pa = a;
  pin(pa->cpu);
  uintptr_t i = 1;
  while (!atomic_load_explicit(&pa->q->stop, memory_order_relaxed)) {
    if (q_enq(pa->q, (void *)i))
      i++;
    else if (pa->q->producers > 1)
      sched_yield(); /* more runnable threads than cores */
  }
  return NULL;
}

static void throughput(fixgw_bench_state *st, int impl) {
  int np = (int)fixgw_bench_range(st, 0);
  struct q *q = q_new(impl, np);
  struct prod_arg pa[4];
  pthread_t t[4];
  pin(0);
  for (int i = 0; i < np; i++) {
    pa[i].q = q;
    pa[i].cpu = 1 + i;
    pthread_create(&t[i], NULL, producer, &pa[i]);
  }
  int64_t n = 0;
  uint64_t sink = 0;
  while (fixgw_bench_keep_running_batch(st, BATCH)) {
    for (int i = 0; i < BATCH;) {
      void *v;
      if (q_deq(q, &v)) {
        sink += (uintptr_t)v;
        i++;
      }
    }
    n += BATCH;
  }
  atomic_store(&q->stop, 1);
  void *v;
  while (q_deq(q, &v)) {
  }
  for (int i = 0; i < np; i++) pthread_join(t[i], NULL);
  fixgw_bench_sink(&sink);
  fixgw_bench_set_items(st, n);
  q_free(q);
}

static void bm_tp_fixgw_spsc(fixgw_bench_state *st, void *a) { (void)a; throughput(st, 0); }
static void bm_tp_ck_spsc(fixgw_bench_state *st, void *a) { (void)a; throughput(st, 1); }
static void bm_tp_fixgw_mpsc(fixgw_bench_state *st, void *a) { (void)a; throughput(st, 2); }
static void bm_tp_fixgw_mpmc(fixgw_bench_state *st, void *a) { (void)a; throughput(st, 3); }
static void bm_tp_mutex(fixgw_bench_state *st, void *a) { (void)a; throughput(st, 4); }

/* ---- round-trip latency (ping-pong over two rings) -------------------- */

#define MAX_SAMPLES (1 << 20)

struct pp {
  struct q *ab, *ba;
};

static void *echo(void *a) {
  struct pp *pp = a;
  pin(1);
  for (;;) {
    void *v;
    if (!q_deq(pp->ab, &v)) continue;
    if ((uintptr_t)v == 0) break; /* stop token; pings are never 0 */
    while (!q_enq(pp->ba, v)) {
    }
  }
  return NULL;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void pingpong(fixgw_bench_state *st, int impl) {
  struct pp pp = {q_new(impl, 1), q_new(impl, 1)};
  uint64_t *samples = malloc(sizeof(uint64_t) * MAX_SAMPLES);
  pthread_t t;
  pin(0);
  pthread_create(&t, NULL, echo, &pp);
  size_t ns = 0;
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(st, 256)) {
    for (int i = 0; i < 256; i++) {
      uint64_t t0 = now_ns();
      while (!q_enq(pp.ab, (void *)(uintptr_t)(i + 1))) {
      }
      void *v;
      while (!q_deq(pp.ba, &v)) {
      }
      samples[ns++ & (MAX_SAMPLES - 1)] = now_ns() - t0;
    }
    n += 256;
  }
  while (!q_enq(pp.ab, (void *)0)) {
  }
  pthread_join(t, NULL);
  size_t m = ns < MAX_SAMPLES ? ns : MAX_SAMPLES;
  qsort(samples, m, sizeof *samples, cmp_u64);
  fixgw_bench_counter(st, "p50_ns", (double)samples[m / 2], false, false);
  fixgw_bench_counter(st, "p99_ns", (double)samples[m * 99 / 100], false, false);
  fixgw_bench_counter(st, "p999_ns", (double)samples[m * 999 / 1000], false, false);
  fixgw_bench_set_items(st, n);
  free(samples);
  q_free(pp.ab);
  q_free(pp.ba);
}

static void bm_rtt_fixgw_spsc(fixgw_bench_state *st, void *a) { (void)a; pingpong(st, 0); }
static void bm_rtt_ck_spsc(fixgw_bench_state *st, void *a) { (void)a; pingpong(st, 1); }

/* ---- single-thread op cost (no contention) ----------------------------- */

static void bm_op_pair(fixgw_bench_state *st, void *a) {
  int impl = (int)(intptr_t)a;
  struct q *q = q_new(impl, 1);
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(st, BATCH)) {
    for (int i = 0; i < BATCH; i++) {
      void *v = NULL;
      q_enq(q, (void *)(uintptr_t)(i + 1));
      q_deq(q, &v);
      fixgw_bench_sink(v);
    }
    n += BATCH;
  }
  fixgw_bench_set_items(st, n);
  q_free(q);
}

int main(int argc, char **argv) {
  static const int64_t one[] = {1}, upto2[] = {1, 2};
  fixgw_bench_register("tp/fixgw_spsc", bm_tp_fixgw_spsc, NULL, one, 1, 0);
  fixgw_bench_register("tp/ck_spsc_bare", bm_tp_ck_spsc, NULL, one, 1, 0);
  fixgw_bench_register("tp/fixgw_mpsc", bm_tp_fixgw_mpsc, NULL, upto2, 2, 0);
  fixgw_bench_register("tp/fixgw_mpmc", bm_tp_fixgw_mpmc, NULL, upto2, 2, 0);
  fixgw_bench_register("tp/mutex_queue", bm_tp_mutex, NULL, one, 1, 0);
  fixgw_bench_register("rtt/fixgw_spsc", bm_rtt_fixgw_spsc, NULL, NULL, 0, 0);
  fixgw_bench_register("rtt/ck_spsc_bare", bm_rtt_ck_spsc, NULL, NULL, 0, 0);
  fixgw_bench_register("op/fixgw_spsc_enq_deq", bm_op_pair, (void *)0, NULL, 0, 0);
  fixgw_bench_register("op/ck_spsc_enq_deq", bm_op_pair, (void *)1, NULL, 0, 0);
  fixgw_bench_register("op/fixgw_mpmc_enq_deq", bm_op_pair, (void *)3, NULL, 0, 0);
  fixgw_bench_register("op/mutex_enq_deq", bm_op_pair, (void *)4, NULL, 0, 0);
  return fixgw_bench_main(&argc, argv);
}
