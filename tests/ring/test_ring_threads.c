/* Threaded validation in Concurrency Kit's style: N producers x M messages
 * through every ring kind and the priority set; every message arrives
 * exactly once, per-producer FIFO holds (per level for the set), sums
 * match. Every loop is bounded by count and by a 20 s deadline. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixgw/pool.h"
#include "fixgw/ring.h"
#include "harness.h"

#define DEADLINE_NS (20ull * 1000000000ull)
#define MAXP 4
#define MAXC 4

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Message value: producer in the top bits, 1-based sequence below. */
#define ENC(p, s) ((void *)(((uintptr_t)(p) << 40) | (uintptr_t)((s) + 1)))
#define DEC_P(v) ((unsigned)((uintptr_t)(v) >> 40))
#define DEC_S(v) ((uint64_t)(((uintptr_t)(v) & ((1ull << 40) - 1)) - 1))

enum kind { SPSC, MPSC, MPMC };

struct run {
  enum kind kind;
  int np, nc, batch;
  uint64_t m; /* per producer */
  uint64_t deadline;
  fixgw_ring_spsc_t spsc;
  fixgw_ring_mpsc_t mpsc;
  fixgw_ring_mpmc_t mpmc;
  atomic_uint_fast64_t received;
  atomic_int start;
};

struct worker {
  pthread_t t;
  struct run *r;
  int id;
  uint8_t *seen; /* consumer: np * m receipt counts */
  uint64_t sum, errors, count;
};

static unsigned enq(struct run *r, void *const *v, unsigned n) {
  switch (r->kind) {
    case SPSC:
      return n == 1 ? fixgw_ring_spsc_enqueue(&r->spsc, v[0]) == 0
                    : fixgw_ring_spsc_enqueue_batch(&r->spsc, v, n);
    case MPSC:
      return n == 1 ? fixgw_ring_mpsc_enqueue(&r->mpsc, v[0]) == 0
                    : fixgw_ring_mpsc_enqueue_batch(&r->mpsc, v, n);
    default:
      return n == 1 ? fixgw_ring_mpmc_enqueue(&r->mpmc, v[0]) == 0
                    : fixgw_ring_mpmc_enqueue_batch(&r->mpmc, v, n);
  }
}

static unsigned deq(struct run *r, void **v, unsigned n) {
  switch (r->kind) {
    case SPSC:
      return n == 1 ? fixgw_ring_spsc_dequeue(&r->spsc, v) == 0
                    : fixgw_ring_spsc_dequeue_batch(&r->spsc, v, n);
    case MPSC:
      return n == 1 ? fixgw_ring_mpsc_dequeue(&r->mpsc, v) == 0
                    : fixgw_ring_mpsc_dequeue_batch(&r->mpsc, v, n);
    default:
      return n == 1 ? fixgw_ring_mpmc_dequeue(&r->mpmc, v) == 0
                    : fixgw_ring_mpmc_dequeue_batch(&r->mpmc, v, n);
  }
}

static void *producer(void *arg) {
  struct worker *w = arg;
  struct run *r = w->r;
  while (!atomic_load(&r->start)) {
  }
  uint64_t s = 0;
  while (s < r->m && now_ns() < r->deadline) {
    void *v[8];
    unsigned n = r->batch ? 1 + (unsigned)(s % 8) : 1;
    if (n > r->m - s) n = (unsigned)(r->m - s);
    for (unsigned i = 0; i < n; i++) v[i] = ENC(w->id, s + i);
    unsigned k = enq(r, v, n);
    if (k == 0) sched_yield(); /* more threads than cores: let consumers run */
    s += k;
  }
  w->count = s;
  return NULL;
}

static void *consumer(void *arg) {
  struct worker *w = arg;
  struct run *r = w->r;
  const uint64_t total = (uint64_t)r->np * r->m;
  uint64_t last[MAXP];
  for (int i = 0; i < MAXP; i++) last[i] = UINT64_MAX;
  while (!atomic_load(&r->start)) {
  }
  while (atomic_load(&r->received) < total && now_ns() < r->deadline) {
    void *v[8];
    unsigned n = deq(r, v, r->batch ? 8 : 1);
    if (n == 0) {
      sched_yield();
      continue;
    }
    atomic_fetch_add(&r->received, n);
    for (unsigned i = 0; i < n; i++) {
      unsigned p = DEC_P(v[i]);
      uint64_t s = DEC_S(v[i]);
      if (p >= (unsigned)r->np || s >= r->m) {
        w->errors++;
        continue;
      }
      /* FIFO per producer, as this consumer observes it. */
      if (last[p] != UINT64_MAX && s <= last[p]) w->errors++;
      last[p] = s;
      if (w->seen[p * r->m + s]++) w->errors++;
      w->sum += s;
      w->count++;
    }
  }
  return NULL;
}

static void run_kind(enum kind kind, int np, int nc, int batch, uint64_t m) {
  struct run *r = calloc(1, sizeof *r);
  assert_non_null(r);
  r->kind = kind;
  r->np = np;
  r->nc = nc;
  r->batch = batch;
  r->m = m;
  r->deadline = now_ns() + DEADLINE_NS;
  assert_int_equal(fixgw_ring_spsc_init(&r->spsc, 1024, NULL, NULL), 0);
  assert_int_equal(fixgw_ring_mpsc_init(&r->mpsc, 1024, NULL, NULL), 0);
  assert_int_equal(fixgw_ring_mpmc_init(&r->mpmc, 1024, NULL, NULL), 0);
  struct worker pw[MAXP], cw[MAXC];
  memset(pw, 0, sizeof pw);
  memset(cw, 0, sizeof cw);
  for (int i = 0; i < nc; i++) {
    cw[i].r = r;
    cw[i].id = i;
    cw[i].seen = calloc((size_t)np * m, 1);
    assert_non_null(cw[i].seen);
    assert_int_equal(pthread_create(&cw[i].t, NULL, consumer, &cw[i]), 0);
  }
  for (int i = 0; i < np; i++) {
    pw[i].r = r;
    pw[i].id = i;
    assert_int_equal(pthread_create(&pw[i].t, NULL, producer, &pw[i]), 0);
  }
  uint64_t t0 = now_ns();
  atomic_store(&r->start, 1);
  for (int i = 0; i < np; i++) pthread_join(pw[i].t, NULL);
  for (int i = 0; i < nc; i++) pthread_join(cw[i].t, NULL);
  uint64_t dt = now_ns() - t0;
  uint64_t got = 0, sum = 0, errors = 0;
  for (int i = 0; i < np; i++) assert_int_equal(pw[i].count, m);
  for (int i = 0; i < nc; i++) {
    got += cw[i].count;
    sum += cw[i].sum;
    errors += cw[i].errors;
  }
  /* Exactly once, across consumers. */
  uint64_t missing = 0;
  for (uint64_t j = 0; j < (uint64_t)np * m; j++) {
    unsigned c = 0;
    for (int i = 0; i < nc; i++) c += cw[i].seen[j];
    if (c != 1) missing++;
  }
  static const char *names[] = {"spsc", "mpsc", "mpmc"};
  print_message("%s %dP x %dC%s: %llu msgs in %.1f ms\n", names[kind], np, nc,
                batch ? " batch" : "", (unsigned long long)got, dt / 1e6);
  assert_int_equal(errors, 0);
  assert_int_equal(missing, 0);
  assert_int_equal(got, (uint64_t)np * m);
  assert_int_equal(sum, (uint64_t)np * (m * (m - 1) / 2));
  void *v;
  assert_int_equal(deq(r, &v, 1), 0); /* nothing left over */
  for (int i = 0; i < nc; i++) free(cw[i].seen);
  fixgw_ring_spsc_destroy(&r->spsc);
  fixgw_ring_mpsc_destroy(&r->mpsc);
  fixgw_ring_mpmc_destroy(&r->mpmc);
  free(r);
}

#define M 400000
static void test_spsc(void **s) { (void)s; run_kind(SPSC, 1, 1, 0, M); run_kind(SPSC, 1, 1, 1, M); }
static void test_mpsc(void **s) { (void)s; run_kind(MPSC, 2, 1, 0, M); run_kind(MPSC, 3, 1, 1, M / 2); }
static void test_mpmc(void **s) {
  (void)s;
  run_kind(MPMC, 2, 2, 0, M / 2);
  run_kind(MPMC, 1, 2, 1, M / 2);
  run_kind(MPMC, 2, 2, 1, M / 2);
}

/* ---- priority set with pooled message buffers ------------------------ */

#define PP 2
#define PM 40000

struct prun {
  fixgw_prio_set_t *set;
  uint64_t deadline;
  atomic_int start;
  atomic_int producers_done;
};

struct pprod {
  pthread_t t;
  struct prun *r;
  int id;
  fixgw_msgpool_t pool; /* owned by this producer; consumer frees into it */
  fixgw_prio_producer_t *h;
  uint64_t sent, full, errors;
};

static fixgw_prio_t level_of(uint64_t s) { return (fixgw_prio_t)((s * 2654435761u >> 7) & 3); }

static void *pprod_run(void *arg) {
  struct pprod *p = arg;
  if (fixgw_prio_register(p->r->set, &p->h) != 0) p->errors++;
  while (!atomic_load(&p->r->start)) {
  }
  uint64_t s = 0;
  fixgw_msgbuf_t *m = NULL;
  while (s < PM && now_ns() < p->r->deadline && p->h) {
    if (m == NULL) m = fixgw_msgbuf_get(&p->pool);
    if (m == NULL) { /* all in flight: the consumer frees them */
      sched_yield();
      continue;
    }
    m->user_tag = ((uint64_t)p->id << 32) | s;
    m->priority = (uint8_t)level_of(s);
    m->enqueue_ns = s;
    unsigned char *d = fixgw_msgbuf_data(m);
    for (int i = 0; i < 16; i++) d[i] = (unsigned char)(s + (uint64_t)i);
    m->len = 16;
    int rc = fixgw_prio_post(p->h, (fixgw_prio_t)m->priority, m);
    if (rc == FIXGW_EFULL) {
      p->full++;
      sched_yield();
      continue; /* keep m, retry */
    }
    if (rc != 0) p->errors++;
    m = NULL;
    s++;
  }
  if (m) fixgw_msgbuf_put(m);
  p->sent = s;
  atomic_fetch_add(&p->r->producers_done, 1);
  return NULL;
}

static void test_prio_threads(void **state) {
  (void)state;
  struct prun r;
  memset(&r, 0, sizeof r);
  fixgw_prio_config_t cfg;
  fixgw_prio_config_default(&cfg);
  cfg.max_producers = PP;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) cfg.ring_size[l] = 64;
  cfg.overflow[FIXGW_PRIO_CRITICAL] = FIXGW_OVERFLOW_BACKOFF;
  cfg.overflow[FIXGW_PRIO_HIGH] = FIXGW_OVERFLOW_BACKOFF;
  cfg.starve_limit = 8;
  assert_int_equal(fixgw_prio_create(&r.set, &cfg, NULL), 0);
  r.deadline = now_ns() + DEADLINE_NS;
  struct pprod p[PP];
  memset(p, 0, sizeof p);
  for (int i = 0; i < PP; i++) {
    p[i].r = &r;
    p[i].id = i;
    assert_int_equal(fixgw_msgpool_init(&p[i].pool, 64, 128, FIXGW_POOL_F_CHECK, NULL), 0);
    assert_int_equal(pthread_create(&p[i].t, NULL, pprod_run, &p[i]), 0);
  }
  atomic_store(&r.start, 1);
  uint64_t next[PP][FIXGW_PRIO_LEVELS] = {{0}};
  uint64_t got = 0, errors = 0, per_level[FIXGW_PRIO_LEVELS] = {0};
  uint8_t *seen = calloc((size_t)PP * PM, 1);
  assert_non_null(seen);
  while (got < (uint64_t)PP * PM && now_ns() < r.deadline) {
    void *v[4];
    fixgw_prio_t lv[4];
    unsigned n = fixgw_prio_poll_batch(r.set, v, lv, 4);
    if (n == 0) sched_yield();
    for (unsigned i = 0; i < n; i++) {
      fixgw_msgbuf_t *m = v[i];
      unsigned id = (unsigned)(m->user_tag >> 32);
      uint64_t s = m->user_tag & 0xffffffffu;
      if (id >= PP || s >= PM || m->priority != lv[i] || level_of(s) != lv[i]) {
        errors++;
        continue;
      }
      /* FIFO per (producer, level): sequences of one level increase. */
      if (next[id][lv[i]] > s) errors++;
      next[id][lv[i]] = s + 1;
      if (seen[id * PM + s]++) errors++;
      unsigned char *d = fixgw_msgbuf_data(m);
      for (int k = 0; k < 16; k++)
        if (d[k] != (unsigned char)(s + (uint64_t)k)) errors++;
      per_level[lv[i]]++;
      if (fixgw_msgbuf_put_remote(m) != 0) errors++;
      got++;
    }
  }
  for (int i = 0; i < PP; i++) pthread_join(p[i].t, NULL);
  uint64_t missing = 0;
  for (size_t j = 0; j < (size_t)PP * PM; j++) missing += seen[j] != 1;
  free(seen);
  print_message("prio: %llu msgs, per level %llu/%llu/%llu/%llu, full %llu/%llu\n",
                (unsigned long long)got, (unsigned long long)per_level[0],
                (unsigned long long)per_level[1], (unsigned long long)per_level[2],
                (unsigned long long)per_level[3], (unsigned long long)p[0].full,
                (unsigned long long)p[1].full);
  assert_int_equal(errors, 0);
  assert_int_equal(missing, 0);
  assert_int_equal(got, (uint64_t)PP * PM);
  uint64_t posted = 0, served = 0;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) {
    fixgw_prio_level_stats_t st;
    assert_int_equal(fixgw_prio_stats(r.set, (fixgw_prio_t)l, &st), 0);
    posted += st.posted;
    served += st.served;
    assert_int_equal(st.depth, 0);
  }
  assert_int_equal(posted, got);
  assert_int_equal(served, got);
  for (int i = 0; i < PP; i++) {
    assert_int_equal(p[i].errors, 0);
    assert_int_equal(p[i].sent, PM);
    fixgw_pool_stats_t ps;
    fixgw_pool_stats(&p[i].pool.pool, &ps);
    assert_int_equal(ps.in_use, 0);
    assert_int_equal(ps.bad_puts, 0);
    fixgw_msgpool_destroy(&p[i].pool);
  }
  fixgw_prio_destroy(r.set);
}

/* A thread floods Critical; another posts a burst of Low. Once the burst
 * is in, the consumer serves at most K Criticals between two Lows. */
struct flood {
  fixgw_prio_set_t *set;
  atomic_int stop, low_posted;
  uint64_t deadline, crit_sent;
};

static void *flood_crit(void *arg) {
  struct flood *f = arg;
  fixgw_prio_producer_t *h;
  if (fixgw_prio_register(f->set, &h) != 0) return NULL;
  uint64_t s = 0;
  while (!atomic_load(&f->stop) && now_ns() < f->deadline)
    if (fixgw_prio_post(h, FIXGW_PRIO_CRITICAL, ENC(0, s)) == 0) s++;
  f->crit_sent = s;
  return NULL;
}

static void *burst_low(void *arg) {
  struct flood *f = arg;
  fixgw_prio_producer_t *h;
  if (fixgw_prio_register(f->set, &h) != 0) return NULL;
  for (uint64_t s = 0; s < 200; s++)
    if (fixgw_prio_post(h, FIXGW_PRIO_LOW, ENC(1, s)) != 0) return NULL;
  atomic_store(&f->low_posted, 1);
  return NULL;
}

static void test_flood_does_not_starve_low(void **state) {
  (void)state;
  const uint32_t k = 6;
  struct flood f;
  memset(&f, 0, sizeof f);
  fixgw_prio_config_t cfg;
  fixgw_prio_config_default(&cfg);
  cfg.max_producers = 2;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) cfg.ring_size[l] = 256;
  cfg.starve_limit = k;
  assert_int_equal(fixgw_prio_create(&f.set, &cfg, NULL), 0);
  f.deadline = now_ns() + DEADLINE_NS;
  pthread_t a, b;
  assert_int_equal(pthread_create(&a, NULL, flood_crit, &f), 0);
  /* Let the flood fill Critical before Low arrives. */
  for (;;) {
    fixgw_prio_level_stats_t st;
    assert_int_equal(fixgw_prio_stats(f.set, FIXGW_PRIO_CRITICAL, &st), 0);
    if (st.depth >= 128 || now_ns() > f.deadline) break;
  }
  assert_int_equal(pthread_create(&b, NULL, burst_low, &f), 0);
  pthread_join(b, NULL);
  assert_int_equal(atomic_load(&f.low_posted), 1);
  uint64_t lows = 0, run = 0, max_run = 0, crits = 0, low_next = 0;
  int errors = 0;
  while (lows < 200 && now_ns() < f.deadline) {
    void *v;
    fixgw_prio_t lv;
    if (fixgw_prio_poll(f.set, &v, &lv) != 0) continue;
    if (lv == FIXGW_PRIO_LOW) {
      if (DEC_S(v) != low_next++) errors++;
      lows++;
      run = 0;
    } else {
      crits++;
      if (++run > max_run) max_run = run;
    }
  }
  atomic_store(&f.stop, 1);
  pthread_join(a, NULL);
  print_message("flood: %llu Low served among %llu Critical, longest Critical run %llu (K=%u)\n",
                (unsigned long long)lows, (unsigned long long)crits,
                (unsigned long long)max_run, k);
  assert_int_equal(errors, 0);
  assert_int_equal(lows, 200);
  assert_true(max_run <= k);
  fixgw_prio_destroy(f.set);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spsc),
      cmocka_unit_test(test_mpsc),
      cmocka_unit_test(test_mpmc),
      cmocka_unit_test(test_prio_threads),
      cmocka_unit_test(test_flood_does_not_starve_low),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
