/* Threads: affinity checked from inside the thread, SCHED_FIFO refusals
 * reported and survived, wait strategies, and a stop that drains. Every
 * loop is bounded in count and in time. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixgw/thread.h"
#include "harness.h"
#include "test_thread.h"

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- what a thread saw of itself ---- */
typedef struct seen {
  int ran;
  int cpu;
  int policy;
  int prio;
  char name[32];
  fixgw_cpuset_t affinity;
} seen;

static void observe(fixgw_thread_t *self, void *arg) {
  (void)self;
  seen *s = arg;
  cpu_set_t cs;
  CPU_ZERO(&cs);
  assert_int_equal(sched_getaffinity(0, sizeof cs, &cs), 0);
  fixgw_cpuset_zero(&s->affinity);
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &cs)) fixgw_cpuset_add(&s->affinity, c);
  s->cpu = sched_getcpu();
  struct sched_param sp;
  pthread_getschedparam(pthread_self(), &s->policy, &sp);
  s->prio = sp.sched_priority;
  pthread_getname_np(pthread_self(), s->name, sizeof s->name);
  s->ran = 1;
}

static fixgw_cpuset_t process_cpus(void) {
  cpu_set_t cs;
  fixgw_cpuset_t s;
  CPU_ZERO(&cs);
  assert_int_equal(sched_getaffinity(0, sizeof cs, &cs), 0);
  fixgw_cpuset_zero(&s);
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &cs)) fixgw_cpuset_add(&s, c);
  return s;
}

static void run_observed(const fixgw_thread_config_t *cfg, seen *s, fixgw_thread_result_t *r) {
  fixgw_thread_t t;
  memset(&t, 0, sizeof t);
  memset(s, 0, sizeof *s);
  assert_int_equal(fixgw_thread_start(&t, cfg, observe, s, r), 0);
  assert_int_equal(fixgw_thread_join(&t), 0);
  assert_int_equal(s->ran, 1); /* whatever was refused, the thread ran */
}

static void test_affinity_applied(void **state) {
  (void)state;
  fixgw_cpuset_t all = process_cpus();
  /* Each allowed CPU in turn (at most 4 on big machines). */
  int tried = 0;
  for (int c = fixgw_cpuset_next(&all, 0); c >= 0 && tried < 4; c = fixgw_cpuset_next(&all, c + 1)) {
    fixgw_cpuset_t one;
    fixgw_cpuset_zero(&one);
    fixgw_cpuset_add(&one, c);
    fixgw_thread_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.name = "fixgw-io-thread-with-a-long-name";
    cfg.cpus = &one;
    seen s;
    fixgw_thread_result_t r;
    run_observed(&cfg, &s, &r);
    assert_int_equal(r.affinity, 0);
    assert_int_equal(r.name, 0);
    assert_int_equal(r.sys_errno, 0);
    assert_true(fixgw_cpuset_equal(&r.effective, &one));
    assert_true(fixgw_cpuset_equal(&s.affinity, &one)); /* seen from inside */
    assert_int_equal(s.cpu, c);
    assert_string_equal(s.name, "fixgw-io-thread"); /* cut to 15 bytes */
    tried++;
  }
  assert_true(tried >= 1);
}

static void test_affinity_absent_cpu(void **state) {
  (void)state;
  fixgw_cpuset_t all = process_cpus();
  fixgw_cpuset_t absent;
  fixgw_cpuset_zero(&absent);
  fixgw_cpuset_add(&absent, FIXGW_CPU_MAX - 1); /* no such CPU here */
  fixgw_thread_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.cpus = &absent;
  seen s;
  fixgw_thread_result_t r;
  run_observed(&cfg, &s, &r);
  assert_int_equal(r.affinity, FIXGW_ENOCPU);
  assert_int_equal(r.sys_errno, EINVAL);
  /* Kept running, unpinned: the process's CPUs. */
  assert_true(fixgw_cpuset_equal(&s.affinity, &all));
  assert_true(fixgw_cpuset_equal(&r.effective, &all));
  /* An empty set is refused the same way, without a system call. */
  fixgw_cpuset_zero(&absent);
  run_observed(&cfg, &s, &r);
  assert_int_equal(r.affinity, FIXGW_ENOCPU);
  assert_true(fixgw_cpuset_equal(&s.affinity, &all));
}

static void test_sched_fifo(void **state) {
  (void)state;
  fixgw_thread_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.rt_priority = 1;
  seen s;
  fixgw_thread_result_t r;
  run_observed(&cfg, &s, &r);
  /* As root (CAP_SYS_NICE) this may succeed; in a container or as a user it
   * is refused. Either way the report must match what the thread saw. */
  if (r.policy == 0) {
    assert_int_equal(s.policy, SCHED_FIFO);
    assert_int_equal(s.prio, 1);
  } else {
    assert_int_equal(r.policy, FIXGW_EPERM);
    assert_int_equal(r.sys_errno, EPERM);
    assert_int_equal(s.policy, SCHED_OTHER);
  }
  /* Forced refusals, whatever the privileges. */
  const int bad[] = {1000, -5, sched_get_priority_max(SCHED_FIFO) + 1};
  for (int i = 0; i < 3; i++) {
    cfg.rt_priority = bad[i];
    run_observed(&cfg, &s, &r);
    assert_int_equal(r.policy, FIXGW_ERANGE);
    assert_int_equal(s.policy, SCHED_OTHER);
  }
}

static void noop(fixgw_thread_t *self, void *arg) {
  (void)self;
  (void)arg;
}

static void test_lifecycle_errors(void **state) {
  (void)state;
  fixgw_thread_t t;
  memset(&t, 0, sizeof t);
  fixgw_thread_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  assert_int_equal(fixgw_thread_join(&t), FIXGW_ESTATE);
  assert_int_equal(fixgw_thread_start(&t, NULL, noop, NULL, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_thread_start(&t, &cfg, NULL, NULL, NULL), FIXGW_EINVAL);
  cfg.wait.kind = (fixgw_wait_kind)7;
  assert_int_equal(fixgw_thread_start(&t, &cfg, noop, NULL, NULL), FIXGW_EINVAL);
  cfg.wait.kind = FIXGW_WAIT_BLOCK;
  assert_int_equal(fixgw_thread_start(&t, &cfg, noop, NULL, NULL), 0);
  assert_int_equal(fixgw_thread_start(&t, &cfg, noop, NULL, NULL), FIXGW_EINVAL); /* running */
  assert_int_equal(fixgw_thread_join(&t), 0);
  assert_int_equal(fixgw_thread_join(&t), FIXGW_ESTATE);
  /* Restart after join. */
  assert_int_equal(fixgw_thread_start(&t, &cfg, noop, NULL, NULL), 0);
  assert_int_equal(fixgw_thread_join(&t), 0);
  assert_int_equal(fixgw_waiter_init(NULL, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_run_loop(NULL, NULL, NULL, NULL), FIXGW_EINVAL);
}

/* ---- a tiny SPSC queue for the drain tests (the test's own; the library's
 * rings are another module) ---- */
#define QCAP 4096u
typedef struct queue {
  uint64_t items[QCAP];
  uint32_t head; /* consumer */
  uint32_t tail; /* producer */
} queue;

static int q_push(queue *q, uint64_t v) {
  uint32_t t = q->tail;
  /* Acquire: the consumer's slot reads happen before we overwrite. */
  if (t - __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) == QCAP) return 0;
  q->items[t % QCAP] = v;
  /* Release: the item is written before the consumer sees the new tail. */
  __atomic_store_n(&q->tail, t + 1, __ATOMIC_RELEASE);
  return 1;
}

static int q_pop(queue *q, uint64_t *v) {
  uint32_t h = q->head;
  /* Acquire: pairs with the producer's release of tail. */
  if (__atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) == h) return 0;
  *v = q->items[h % QCAP];
  /* Release: the slot was read before the producer may reuse it. */
  __atomic_store_n(&q->head, h + 1, __ATOMIC_RELEASE);
  return 1;
}

typedef struct consumer {
  queue q;
  uint64_t got, sum, last;
  int order_ok;
  int rc;
  uint32_t gate; /* 1: start consuming (the prefilled test holds it at 0) */
  fixgw_thread_t t;
} consumer;

static int drain_poll(void *user) {
  consumer *c = user;
  uint64_t v;
  int n = 0;
  while (n < 64 && q_pop(&c->q, &v)) {
    if (v != c->last + 1) c->order_ok = 0;
    c->last = v;
    c->got++;
    c->sum += v;
    n++;
  }
  return n;
}

static void consume(fixgw_thread_t *self, void *arg) {
  consumer *c = arg;
  uint64_t deadline = now_ns() + 2000000000u;
  /* Acquire: pairs with the release that opens the gate. */
  while (!__atomic_load_n(&c->gate, __ATOMIC_ACQUIRE) && now_ns() < deadline) sched_yield();
  c->rc = fixgw_thread_run(self, drain_poll, c);
}

static consumer cons; /* 32 KiB queue: static */

static void start_consumer(fixgw_wait_kind kind) {
  memset(&cons, 0, sizeof cons);
  cons.order_ok = 1;
  cons.gate = 1;
  fixgw_thread_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.name = "fixgw-consumer";
  cfg.wait.kind = kind;
  cfg.wait.spin_iters = 64;
  cfg.wait.max_sleep_ns = 100000000; /* safety net only */
  assert_int_equal(fixgw_thread_start(&cons.t, &cfg, consume, &cons, NULL), 0);
}

static void check_drained(uint64_t n) {
  assert_int_equal(fixgw_thread_join(&cons.t), 0);
  assert_int_equal(cons.rc, 0);
  assert_int_equal(cons.got, n);
  assert_int_equal(cons.sum, n * (n + 1) / 2);
  assert_true(cons.order_ok);
}

/* Fill the queue completely and request the stop before the consumer's
 * first poll (it waits at a gate): every item still comes out. */
static void drain_prefilled(fixgw_wait_kind kind) {
  memset(&cons, 0, sizeof cons);
  cons.order_ok = 1;
  for (uint64_t i = 1; i <= QCAP; i++) assert_true(q_push(&cons.q, i));
  fixgw_thread_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.wait.kind = kind;
  assert_int_equal(fixgw_thread_start(&cons.t, &cfg, consume, &cons, NULL), 0);
  fixgw_thread_stop(&cons.t);
  /* Release: the stop request is visible before the consumer passes. */
  __atomic_store_n(&cons.gate, 1, __ATOMIC_RELEASE);
  check_drained(QCAP);
}

/* A producer streams n items while the consumer runs, waking it after each
 * push, and requests the stop right after the last one. */
static void drain_streaming(fixgw_wait_kind kind, uint64_t n) {
  start_consumer(kind);
  uint64_t deadline = now_ns() + 3000000000u;
  fixgw_alloc_count_reset();
  for (uint64_t i = 1; i <= n; i++) {
    while (!q_push(&cons.q, i)) {
      if (now_ns() > deadline) fail_msg("producer stuck at %llu", (unsigned long long)i);
      sched_yield();
    }
    fixgw_thread_wake(&cons.t);
    if (i % 1000 == 0) {
      /* Give a BLOCK consumer time to fall asleep now and then, so wakes
       * of a sleeper are exercised, not only the cheap path. */
      struct timespec ts = {0, 200000};
      nanosleep(&ts, NULL);
    }
  }
  if (kind == FIXGW_WAIT_BLOCK) {
    /* Let the consumer drain and fall asleep, so the stop below has to wake
     * a futex sleeper (bounded: 2 s). */
    uint64_t until = now_ns() + 2000000000u;
    while (!__atomic_load_n(&cons.t.waiter.sleeping, __ATOMIC_ACQUIRE) && now_ns() < until)
      sched_yield();
    assert_true(__atomic_load_n(&cons.t.waiter.sleeping, __ATOMIC_ACQUIRE));
  }
  fixgw_thread_stop(&cons.t);
  uint64_t allocs = fixgw_alloc_count_calls();
  check_drained(n);
  /* Producing, waking and stopping allocated nothing (the consumer's
   * futex sleeps and yields included: it runs concurrently). Last, so a
   * build without the counter skips only this check, and says so. */
  if (!fixgw_alloc_count_available()) skip();
  assert_int_equal(allocs, 0);
}

static void test_drain_block(void **state) {
  (void)state;
  drain_prefilled(FIXGW_WAIT_BLOCK);
  drain_streaming(FIXGW_WAIT_BLOCK, 20000);
  assert_true(cons.t.waiter.sleeps > 0); /* the futex path was taken */
}
static void test_drain_spin_yield(void **state) {
  (void)state;
  drain_prefilled(FIXGW_WAIT_SPIN_YIELD);
  drain_streaming(FIXGW_WAIT_SPIN_YIELD, 20000);
}
static void test_drain_spin(void **state) {
  (void)state;
  drain_prefilled(FIXGW_WAIT_SPIN);
  drain_streaming(FIXGW_WAIT_SPIN, 20000);
}

/* Ping-pong through a BLOCK waiter: a lost wake would show as a round that
 * waits for the 100 ms safety-net timeout instead of microseconds. */
typedef struct pong {
  uint32_t ping, pong;
} pong;

static int pong_poll(void *user) {
  pong *p = user;
  /* Acquire/release: the token values are the only data exchanged. */
  uint32_t v = __atomic_load_n(&p->ping, __ATOMIC_ACQUIRE);
  if (v == __atomic_load_n(&p->pong, __ATOMIC_RELAXED)) return 0;
  __atomic_store_n(&p->pong, v, __ATOMIC_RELEASE);
  return 1;
}

static void pong_main(fixgw_thread_t *self, void *arg) {
  (void)fixgw_thread_run(self, pong_poll, arg);
}

static void test_block_no_lost_wake(void **state) {
  (void)state;
  static pong p;
  memset(&p, 0, sizeof p);
  fixgw_thread_t t;
  memset(&t, 0, sizeof t);
  fixgw_thread_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.wait.kind = FIXGW_WAIT_BLOCK;
  cfg.wait.spin_iters = 1; /* sleep almost at once */
  cfg.wait.max_sleep_ns = 100000000;
  assert_int_equal(fixgw_thread_start(&t, &cfg, pong_main, &p, NULL), 0);
  uint64_t deadline = now_ns() + 3000000000u, slow = 0;
  uint32_t rounds = 0;
  for (uint32_t i = 1; i <= 2000 && now_ns() < deadline; i++) {
    uint64_t t0 = now_ns();
    __atomic_store_n(&p.ping, i, __ATOMIC_RELEASE);
    fixgw_thread_wake(&t);
    while (__atomic_load_n(&p.pong, __ATOMIC_ACQUIRE) != i && now_ns() < deadline) sched_yield();
    if (now_ns() - t0 > 50000000u) slow++;
    rounds++;
  }
  fixgw_thread_stop(&t);
  assert_int_equal(fixgw_thread_join(&t), 0);
  assert_true(rounds >= 100); /* progress, even under TSan on 2 cores */
  assert_int_equal(__atomic_load_n(&p.pong, __ATOMIC_RELAXED), rounds);
  assert_int_equal(slow, 0);
  assert_true(t.waiter.sleeps > 0);
}

/* The wake fast path and a stale-key commit: no allocation, no sleep. */
static void test_wait_paths_no_alloc(void **state) {
  (void)state;
  fixgw_waiter_t w;
  assert_int_equal(fixgw_waiter_init(&w, NULL), 0);
  fixgw_alloc_count_reset();
  uint64_t t0 = now_ns();
  for (int i = 0; i < 100000; i++) fixgw_waiter_wake(&w); /* nobody sleeps */
  for (int i = 0; i < 1000; i++) {
    uint32_t key = fixgw_waiter_prepare(&w);
    fixgw_waiter_wake(&w);        /* sees the sleeper: bumps the epoch */
    fixgw_waiter_commit(&w, key); /* key is stale: returns at once */
    key = fixgw_waiter_prepare(&w);
    fixgw_waiter_cancel(&w);
  }
  uint64_t allocs = fixgw_alloc_count_calls();
  assert_true(now_ns() - t0 < 2000000000u); /* nothing slept */
  assert_int_equal(w.epoch, 1000);
  /* A bounded sleep with nobody waking returns after max_sleep_ns. */
  fixgw_wait_config_t cfg = {FIXGW_WAIT_BLOCK, 1, 2000000};
  assert_int_equal(fixgw_waiter_init(&w, &cfg), 0);
  t0 = now_ns();
  fixgw_waiter_commit(&w, fixgw_waiter_prepare(&w));
  uint64_t dt = now_ns() - t0;
  assert_true(dt >= 1500000u && dt < 1000000000u);
  /* Last, so a build without the counter skips only this check, visibly. */
  if (!fixgw_alloc_count_available()) skip();
  assert_int_equal(allocs, 0);
}

static int fail_poll(void *user) {
  int *calls = user;
  return ++*calls == 3 ? FIXGW_EIO : 1;
}

static void test_run_loop_error(void **state) {
  (void)state;
  fixgw_stop_t stop;
  fixgw_waiter_t w;
  int calls = 0;
  fixgw_stop_init(&stop);
  assert_int_equal(fixgw_waiter_init(&w, NULL), 0);
  assert_int_equal(fixgw_run_loop(&stop, &w, fail_poll, &calls), FIXGW_EIO);
  assert_int_equal(calls, 3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_affinity_applied),  cmocka_unit_test(test_affinity_absent_cpu),
      cmocka_unit_test(test_sched_fifo),        cmocka_unit_test(test_lifecycle_errors),
      cmocka_unit_test(test_drain_block),       cmocka_unit_test(test_drain_spin_yield),
      cmocka_unit_test(test_drain_spin),        cmocka_unit_test(test_block_no_lost_wake),
      cmocka_unit_test(test_wait_paths_no_alloc), cmocka_unit_test(test_run_loop_error),
  };
  int rc = cmocka_run_group_tests_name("thread", tests, NULL, NULL);
  rc |= _cmocka_run_group_tests("topology", fixgw_t_topology_tests, fixgw_t_topology_ntests,
                                NULL, NULL);
  return rc;
}
