/* Pool under threads: the owner hands objects to consumer threads through
 * SPSC rings; the consumers check them and free them back remotely. Every
 * object must come back exactly once, contents intact, counts exact. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "fixgw/pool.h"
#include "fixgw/ring.h"
#include "harness.h"

#define NCONS 2
#define DEADLINE_NS (20ull * 1000000000ull)

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct item {
  uint64_t seq;
  uint64_t check; /* ~seq */
  char pad[48];
};

struct cons {
  pthread_t t;
  fixgw_ring_spsc_t ring;
  fixgw_pool_t *pool;
  fixgw_msgpool_t *mp;
  atomic_uint_fast64_t *received; /* shared: stop when all M arrived */
  uint64_t total;
  uint64_t got, sum, bad, deadline;
  int done;
};

static void *consumer(void *arg) {
  struct cons *c = arg;
  uint64_t last = 0;
  while (atomic_load(c->received) < c->total && now_ns() < c->deadline) {
    void *v;
    if (fixgw_ring_spsc_dequeue(&c->ring, &v) != 0) {
      sched_yield(); /* 3 threads on 2 cores: let the owner run */
      continue;
    }
    atomic_fetch_add(c->received, 1);
    struct item *it = v;
    if (it->check != ~it->seq || it->seq <= last) c->bad++;
    last = it->seq;
    c->sum += it->seq;
    c->got++;
    it->seq = 0; /* scribble: the owner rewrites before reuse */
    it->check = 0;
    if (fixgw_pool_put_remote(c->pool, it) != 0) c->bad++;
  }
  return NULL;
}

static void test_cross_thread_free(void **state) {
  (void)state;
  enum { CAP = 256 };
  const uint64_t M = 1000000;
  fixgw_pool_t pool;
  assert_int_equal(fixgw_pool_init_alloc(&pool, sizeof(struct item), 8, CAP,
                                         FIXGW_POOL_F_CHECK, NULL), 0);
  struct cons c[NCONS];
  uint64_t deadline = now_ns() + DEADLINE_NS;
  atomic_uint_fast64_t received = 0;
  memset(c, 0, sizeof c);
  for (int i = 0; i < NCONS; i++) {
    assert_int_equal(fixgw_ring_spsc_init(&c[i].ring, 64, NULL, NULL), 0);
    c[i].pool = &pool;
    c[i].received = &received;
    c[i].total = M;
    c[i].deadline = deadline;
    assert_int_equal(pthread_create(&c[i].t, NULL, consumer, &c[i]), 0);
  }
  uint64_t sent = 0, want_sum = 0, empty_gets = 0;
  while (sent < M && now_ns() < deadline) {
    struct item *it = fixgw_pool_get(&pool);
    if (it == NULL) {
      empty_gets++;
      sched_yield(); /* everything is in flight: let consumers free */
      continue;
    }
    it->seq = sent + 1;
    it->check = ~it->seq;
    /* First consumer with room, starting round-robin. */
    for (unsigned k = 0;; k++) {
      if (fixgw_ring_spsc_enqueue(&c[(sent + k) % NCONS].ring, it) == 0) break;
      if (now_ns() >= deadline) break;
      if (k % NCONS == NCONS - 1) sched_yield();
    }
    want_sum += sent + 1;
    sent++;
  }
  uint64_t got = 0, sum = 0, bad = 0;
  for (int i = 0; i < NCONS; i++) {
    pthread_join(c[i].t, NULL);
    got += c[i].got;
    sum += c[i].sum;
    bad += c[i].bad;
    fixgw_ring_spsc_destroy(&c[i].ring);
  }
  assert_int_equal(sent, M);
  assert_int_equal(got, M);
  assert_int_equal(sum, want_sum);
  assert_int_equal(bad, 0);
  fixgw_pool_stats_t st;
  fixgw_pool_stats(&pool, &st);
  assert_int_equal(st.in_use, 0);
  assert_int_equal(st.bad_puts, 0);
  assert_int_equal(st.failed_gets, empty_gets);
  assert_true(st.high_water <= CAP);
  print_message("pool: %llu objects through %d consumers, %llu empty gets, hwm %u\n",
                (unsigned long long)M, NCONS, (unsigned long long)empty_gets, st.high_water);
  /* Every object is back: the owner can take all CAP, distinct. */
  void *all[CAP];
  for (int i = 0; i < CAP; i++) {
    all[i] = fixgw_pool_get(&pool);
    assert_non_null(all[i]);
  }
  assert_null(fixgw_pool_get(&pool));
  for (int i = 0; i < CAP; i++) assert_int_equal(fixgw_pool_put(&pool, all[i]), 0);
  for (int i = 0; i < CAP; i++) assert_int_equal(fixgw_pool_put(&pool, all[i]), FIXGW_EDOUBLEFREE);
  fixgw_pool_destroy(&pool);
}

/* Two threads, each owning a pool, each freeing the other's objects while
 * using its own: remote frees and reclaims race with owner gets and puts. */
struct peer {
  pthread_t t;
  fixgw_pool_t pool;
  fixgw_ring_spsc_t out; /* objects for the other peer to free */
  struct peer *other;
  uint64_t n, freed, bad, deadline;
};

static void *peer_run(void *arg) {
  struct peer *p = arg;
  uint64_t made = 0;
  /* We send our even-numbered objects over, and receive the other's. */
  while ((made < p->n || p->freed < p->other->n / 2) && now_ns() < p->deadline) {
    void *v;
    /* Free what the other peer sent us, into its pool. */
    while (fixgw_ring_spsc_dequeue(&p->other->out, &v) == 0) {
      struct item *it = v;
      if (it->check != ~it->seq) p->bad++;
      if (fixgw_pool_put_remote(&p->other->pool, it) != 0) p->bad++;
      p->freed++;
    }
    if (made < p->n) {
      struct item *it = fixgw_pool_get(&p->pool);
      if (it == NULL) {
        sched_yield();
        continue;
      }
      it->seq = made;
      it->check = ~made;
      /* Half our own objects we free locally, half go to the peer. */
      if (made & 1) {
        if (fixgw_pool_put(&p->pool, it) != 0) p->bad++;
        made++;
      } else if (fixgw_ring_spsc_enqueue(&p->out, it) == 0) {
        made++;
      } else {
        if (fixgw_pool_put(&p->pool, it) != 0) p->bad++;
        sched_yield();
      }
    } else {
      sched_yield();
    }
  }
  return NULL;
}

static void test_two_owners_free_each_other(void **state) {
  (void)state;
  struct peer p[2];
  memset(p, 0, sizeof p);
  uint64_t deadline = now_ns() + DEADLINE_NS;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(fixgw_pool_init_alloc(&p[i].pool, sizeof(struct item), 8, 64,
                                           FIXGW_POOL_F_CHECK, NULL), 0);
    assert_int_equal(fixgw_ring_spsc_init(&p[i].out, 32, NULL, NULL), 0);
    p[i].other = &p[1 - i];
    p[i].n = 400000;
    p[i].deadline = deadline;
  }
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&p[i].t, NULL, peer_run, &p[i]), 0);
  for (int i = 0; i < 2; i++) pthread_join(p[i].t, NULL);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(p[i].bad, 0);
    assert_int_equal(p[i].freed, p[1 - i].n / 2);
    fixgw_pool_stats_t st;
    fixgw_pool_stats(&p[i].pool, &st);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.bad_puts, 0);
    fixgw_pool_destroy(&p[i].pool);
    fixgw_ring_spsc_destroy(&p[i].out);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cross_thread_free),
      cmocka_unit_test(test_two_owners_free_each_other),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
