/* The priority send path with real threads: N producers x M messages at
 * mixed priorities into a recording write callback. Checks: every message
 * written exactly once, FIFO per producer within a level, sums, the
 * starvation bound under a Critical flood, stop drains (written + failed +
 * dropped == posted), one latency record per written message per level,
 * write errors reported and accounted for, no allocation in post or in the
 * sender loop. Every wait is bounded by count and by a 20 s deadline. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixgw/rt.h"
#include "harness.h"
/* White box, for one check: how often the sender slept on its futex. */
#include "../../src/rt/rt_internal.h"

/* Sender's futex sleeps; read after stop (the join orders it). */
static uint64_t rt_sender_sleeps(const fixgw_rt_t *rt) { return rt->thr.waiter.sleeps; }

#define DEADLINE_NS (20ull * 1000000000ull)
#define MAXP 4
#define NLEV FIXGW_PRIO_LEVELS

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* What a test message carries (at the start of its bytes). */
struct rec {
  uint32_t prod;
  uint32_t level;
  uint64_t seq;   /* per producer, 0-based over all levels */
  uint64_t value; /* summed on both sides */
};

/* Everything the sender thread records; read by the test after stop (the
 * join orders it) or, for the atomics, while it runs. */
struct sink {
  uint32_t np;
  uint64_t m;                   /* messages per producer */
  uint8_t *seen;                /* np * m receipt counts */
  uint64_t last[MAXP][NLEV];    /* last seq + 1 written, per producer+level */
  uint64_t count[NLEV], sum;
  uint64_t errors;              /* malformed, out of range, FIFO breaks */
  uint64_t fail_every;          /* write_cb fails when seq % this == 3 */
  uint64_t failed_by_cb[NLEV];  /* failures write_cb returned */
  uint64_t dropped_seen[NLEV];  /* drop_cb calls, by reason below */
  uint64_t drop_reason_errors;  /* drop_cb with an unexpected reason */
  int expect_drop_reason;       /* 0: write error code; else this */
  uint8_t *order;               /* level of each write, if non-NULL */
  uint64_t norder, order_cap;
  atomic_uint_fast64_t done;    /* written + failed, for waiting */
  atomic_uint_fast64_t crit_written; /* for the live starvation test */
  atomic_uint_fast64_t crit_at_low;  /* crit_written when a Low was written */
  atomic_uint_fast64_t lows_written;
};

#define WRITE_FAIL_CODE (-12345)

static int rec_of(struct sink *s, const char *buf, size_t len, struct rec *r) {
  if (len < sizeof *r) return -1;
  memcpy(r, buf, sizeof *r);
  if (r->prod >= s->np || r->seq >= s->m || r->level >= NLEV) return -1;
  return 0;
}

static int write_cb(void *user, const char *buf, size_t len) {
  struct sink *s = user;
  struct rec r;
  if (rec_of(s, buf, len, &r) != 0) {
    s->errors++;
    atomic_fetch_add(&s->done, 1);
    return 0;
  }
  if (s->order && s->norder < s->order_cap) s->order[s->norder++] = (uint8_t)r.level;
  if (r.level == FIXGW_PRIO_CRITICAL) atomic_fetch_add(&s->crit_written, 1);
  if (r.level == FIXGW_PRIO_LOW) {
    atomic_store(&s->crit_at_low, atomic_load(&s->crit_written));
    atomic_fetch_add(&s->lows_written, 1);
  }
  if (s->fail_every && r.seq % s->fail_every == 3) {
    s->failed_by_cb[r.level]++;
    atomic_fetch_add(&s->done, 1);
    return WRITE_FAIL_CODE;
  }
  /* FIFO per producer within a level. */
  uint64_t *last = &s->last[r.prod][r.level];
  if (r.seq + 1 <= *last) s->errors++;
  *last = r.seq + 1;
  if (s->seen[r.prod * s->m + r.seq]++) s->errors++;
  s->count[r.level]++;
  s->sum += r.value;
  atomic_fetch_add(&s->done, 1);
  return 0;
}

static void drop_cb(void *user, const fixgw_msgbuf_t *m, int reason) {
  struct sink *s = user;
  int want = s->expect_drop_reason ? s->expect_drop_reason : WRITE_FAIL_CODE;
  if (reason != want) s->drop_reason_errors++;
  if (m->priority < NLEV) s->dropped_seen[m->priority]++;
}

static void sink_init(struct sink *s, uint32_t np, uint64_t m) {
  memset(s, 0, sizeof *s);
  s->np = np;
  s->m = m;
  s->seen = calloc((size_t)np * m, 1);
  assert_non_null(s->seen);
}

static void sink_free(struct sink *s) {
  free(s->seen);
  free(s->order);
}

static fixgw_prio_t level_of(uint64_t seq) {
  /* Mixed, deterministic: roughly 1/4 each, no short period. */
  return (fixgw_prio_t)((seq * 2654435761u >> 9) & 3);
}

static uint64_t value_of(uint32_t prod, uint64_t seq) {
  return (seq * 7919u + prod * 104729u) & 0xffffffu;
}

/* Fill m with a record (and some payload so lengths vary). */
static void fill(fixgw_msgbuf_t *m, uint32_t prod, uint64_t seq, fixgw_prio_t lv) {
  if (m == NULL) { /* cmocka's fail does not return, but GCC cannot know */
    fail_msg("no message buffer");
    return;
  }
  struct rec r = {prod, (uint32_t)lv, seq, value_of(prod, seq)};
  unsigned char *d = fixgw_msgbuf_data(m);
  memcpy(d, &r, sizeof r);
  uint32_t extra = (uint32_t)(seq % 40);
  memset(d + sizeof r, 'x', extra);
  m->len = (uint32_t)sizeof r + extra;
  m->user_tag = seq;
}

static void base_config(fixgw_rt_config_t *cfg, struct sink *s, fixgw_wait_kind kind) {
  fixgw_rt_config_default(cfg);
  cfg->write_cb = write_cb;
  cfg->drop_cb = drop_cb;
  cfg->user = s;
  cfg->wait.kind = kind;
  cfg->wait.max_sleep_ns = 2000000; /* safety net only */
  cfg->prio.max_producers = MAXP;
  for (int l = 0; l < NLEV; l++) cfg->prio.ring_size[l] = 256;
  cfg->thread_name = "test-send";
}

/* ---- producers ------------------------------------------------------- */

struct run {
  fixgw_rt_t *rt;
  uint64_t deadline;
  atomic_int start;
  atomic_int ready;
  int stop_on_estopped; /* keep posting until the runtime refuses */
};

struct prod {
  pthread_t t;
  struct run *r;
  uint32_t id;
  uint64_t m;
  fixgw_msgpool_t pool; /* owned by this producer; the sender frees into it */
  fixgw_rt_producer_t *h;
  uint64_t posted[NLEV], full, sum, errors;
  uint64_t stopped; /* 1 once post said FIXGW_ESTOPPED */
};

static void *producer(void *arg) {
  struct prod *p = arg;
  struct run *r = p->r;
  if (fixgw_rt_register(r->rt, &p->h) != 0) p->errors++;
  atomic_fetch_add(&r->ready, 1);
  while (!atomic_load(&r->start) && now_ns() < r->deadline) sched_yield();
  fixgw_msgbuf_t *m = NULL;
  uint64_t s = 0;
  while (s < p->m && now_ns() < r->deadline && p->h) {
    if (m == NULL) m = fixgw_msgbuf_get(&p->pool);
    if (m == NULL) { /* every buffer in flight: the sender frees them */
      sched_yield();
      continue;
    }
    fixgw_prio_t lv = level_of(s);
    fill(m, p->id, s, lv);
    int rc = fixgw_rt_post(p->h, lv, m);
    if (rc == FIXGW_EFULL) { /* caller keeps m: retry it */
      p->full++;
      sched_yield();
      continue;
    }
    if (rc == FIXGW_ESTOPPED) {
      p->stopped = 1;
      break;
    }
    if (rc != 0) {
      p->errors++;
      break;
    }
    p->posted[lv]++;
    p->sum += value_of(p->id, s);
    m = NULL;
    s++;
  }
  if (m) fixgw_msgbuf_put(m); /* a refused post leaves it with us */
  return NULL;
}

static void start_producers(struct prod *pr, struct run *r, uint32_t np, uint64_t m) {
  for (uint32_t i = 0; i < np; i++) {
    memset(&pr[i], 0, sizeof pr[i]);
    pr[i].r = r;
    pr[i].id = i;
    pr[i].m = m;
    assert_int_equal(fixgw_msgpool_init(&pr[i].pool, 128, 512, 0, NULL), 0);
    assert_int_equal(pthread_create(&pr[i].t, NULL, producer, &pr[i]), 0);
  }
  while (atomic_load(&r->ready) < (int)np && now_ns() < r->deadline) sched_yield();
  assert_int_equal(atomic_load(&r->ready), (int)np);
}

static void wait_done(struct sink *s, uint64_t total, uint64_t deadline) {
  while (atomic_load(&s->done) < total && now_ns() < deadline) sched_yield();
}

/* Pools must have everything back: nothing leaked on any path. */
static void check_pools_and_free(struct prod *pr, uint32_t np) {
  for (uint32_t i = 0; i < np; i++) {
    fixgw_pool_stats_t ps;
    fixgw_pool_stats(&pr[i].pool.pool, &ps);
    assert_int_equal(ps.in_use, 0);
    assert_int_equal(ps.bad_puts, 0);
    fixgw_msgpool_destroy(&pr[i].pool);
  }
}

/* Level stats agree with what the producers posted and the sink saw. */
static void check_accounting(fixgw_rt_t *rt, struct sink *s, struct prod *pr, uint32_t np) {
  uint64_t full = 0;
  for (uint32_t i = 0; i < np; i++) full += pr[i].full;
  uint64_t rejected = 0;
  for (int l = 0; l < NLEV; l++) {
    fixgw_rt_level_stats_t st;
    assert_int_equal(fixgw_rt_stats(rt, (fixgw_prio_t)l, &st), 0);
    uint64_t posted = 0;
    for (uint32_t i = 0; i < np; i++) posted += pr[i].posted[l];
    assert_int_equal(st.posted, posted);
    /* Never silently lost. */
    assert_int_equal(st.written + st.write_errors + st.dropped, st.posted);
    assert_int_equal(st.written, s->count[l]);
    assert_int_equal(st.write_errors, s->failed_by_cb[l]);
    assert_int_equal(st.write_errors + st.dropped, s->dropped_seen[l]);
    assert_int_equal(st.free_errors, 0);
    assert_int_equal(st.depth, 0);
    /* One latency value per written message. */
    assert_int_equal(fixgw_hist_count(fixgw_rt_latency(rt, (fixgw_prio_t)l)), st.written);
    rejected += st.rejected;
  }
  assert_int_equal(rejected, full);
  assert_int_equal(s->errors, 0);
  assert_int_equal(s->drop_reason_errors, 0);
}

/* N producers x M messages, mixed levels, one wait strategy. late_start:
 * the producers start posting first and the sender is started while they
 * post (their rings fill up and they retry on FIXGW_EFULL meanwhile). */
static void run_mixed(fixgw_wait_kind kind, uint32_t np, uint64_t m, uint64_t fail_every,
                      int late_start) {
  struct sink s;
  sink_init(&s, np, m);
  s.fail_every = fail_every;
  fixgw_rt_config_t cfg;
  base_config(&cfg, &s, kind);
  fixgw_rt_t *rt;
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), 0);
  struct run r;
  memset(&r, 0, sizeof r);
  r.rt = rt;
  r.deadline = now_ns() + DEADLINE_NS;
  struct prod pr[MAXP];
  cfg.cpu = 1; /* pinned if this machine has a CPU 1, else degraded */
  fixgw_rt_destroy(rt);
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), 0);
  r.rt = rt;
  fixgw_thread_result_t res;
  memset(&res, 0, sizeof res);
  if (!late_start) assert_int_equal(fixgw_rt_start(rt, &res), 0);
  start_producers(pr, &r, np, m);

  /* From here to the last write: producers post, the sender writes. No
   * allocation allowed (threads already exist; nothing below allocates),
   * except for creating the sender itself in the late-start case. */
  fixgw_alloc_count_reset();
  uint64_t t0 = now_ns();
  atomic_store(&r.start, 1);
  uint64_t start_allocs = 0;
  if (late_start) {
    /* Let the producers queue most of their buffers first (512 each: the
     * pool runs dry before the 4 x 256 ring slots). */
    for (;;) {
      uint64_t depth = 0;
      for (int l = 0; l < NLEV; l++) {
        fixgw_rt_level_stats_t ls;
        (void)fixgw_rt_stats(rt, (fixgw_prio_t)l, &ls);
        depth += ls.depth;
      }
      if (depth >= np * 400 || now_ns() >= r.deadline) break;
      sched_yield();
    }
    uint64_t a0 = fixgw_alloc_count_calls();
    assert_int_equal(fixgw_rt_start(rt, &res), 0);
    start_allocs = fixgw_alloc_count_calls() - a0;
  }
  /* Read the stats and histograms while they are written (any thread). */
  uint64_t polls = 0, last_count = 0;
  while (atomic_load(&s.done) < np * m && now_ns() < r.deadline) {
    fixgw_rt_level_stats_t st;
    uint64_t c = 0;
    for (int l = 0; l < NLEV; l++) {
      (void)fixgw_rt_stats(rt, (fixgw_prio_t)l, &st);
      c += fixgw_hist_count(fixgw_rt_latency(rt, (fixgw_prio_t)l));
    }
    if (c < last_count) s.errors++; /* counts only grow */
    last_count = c;
    polls++;
    sched_yield();
  }
  uint64_t allocs = fixgw_alloc_count_calls() - start_allocs;
  uint64_t dt = now_ns() - t0;
  for (uint32_t i = 0; i < np; i++) pthread_join(pr[i].t, NULL);
  assert_int_equal(fixgw_rt_stop(rt), 0);
  assert_int_equal(fixgw_rt_stop(rt), FIXGW_ESTATE);

  static const char *names[] = {"block", "spin_yield", "spin"};
  print_message("%s %uP x %llu: %.1f ms, %llu stat polls, sender pinned to CPU 1: %s\n",
                names[kind], np, (unsigned long long)m, dt / 1e6, (unsigned long long)polls,
                res.affinity == 0 ? "yes" : fixgw_err_name(res.affinity));
  uint64_t psum = 0, written = 0, failed = 0;
  for (uint32_t i = 0; i < np; i++) {
    assert_int_equal(pr[i].errors, 0);
    uint64_t posted = 0;
    for (int l = 0; l < NLEV; l++) posted += pr[i].posted[l];
    assert_int_equal(posted, m);
    psum += pr[i].sum;
  }
  for (int l = 0; l < NLEV; l++) {
    written += s.count[l];
    failed += s.failed_by_cb[l];
  }
  assert_int_equal(written + failed, np * m);
  /* Exactly once: every message not failed on purpose was seen once. */
  uint64_t missing = 0, expect_sum = 0;
  for (uint32_t p = 0; p < np; p++)
    for (uint64_t q = 0; q < m; q++) {
      int failed_on_purpose = fail_every && q % fail_every == 3;
      if (s.seen[p * m + q] != (failed_on_purpose ? 0 : 1)) missing++;
      if (!failed_on_purpose) expect_sum += value_of(p, q);
    }
  assert_int_equal(missing, 0);
  assert_int_equal(s.sum, expect_sum);
  if (!fail_every) assert_int_equal(s.sum, psum);
  check_accounting(rt, &s, pr, np);
  fixgw_rt_destroy(rt);
  check_pools_and_free(pr, np);
  sink_free(&s);
  /* The hot path allocated nothing. Last, so a build without the counter
   * skips only this check, and says so. */
  if (!fixgw_alloc_count_available()) skip();
  assert_int_equal(allocs, 0);
}

static void test_mixed_block(void **st) { (void)st; run_mixed(FIXGW_WAIT_BLOCK, 3, 30000, 0, 0); }
static void test_mixed_spin_yield(void **st) { (void)st; run_mixed(FIXGW_WAIT_SPIN_YIELD, 2, 20000, 0, 0); }
static void test_mixed_spin(void **st) { (void)st; run_mixed(FIXGW_WAIT_SPIN, 2, 10000, 0, 0); }
static void test_write_errors(void **st) { (void)st; run_mixed(FIXGW_WAIT_BLOCK, 2, 10000, 7, 0); }
static void test_start_while_posting(void **st) { (void)st; run_mixed(FIXGW_WAIT_BLOCK, 3, 10000, 0, 1); }

/* ---- single producer, deterministic order ------------------------------ */

/* Post from the test thread before start, with its own pool. */
static void post_n(fixgw_rt_producer_t *h, fixgw_msgpool_t *pool, fixgw_prio_t lv,
                   uint64_t *seq, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    fixgw_msgbuf_t *m = fixgw_msgbuf_get(pool);
    assert_non_null(m);
    fill(m, 0, *seq, lv);
    ((struct rec *)(void *)fixgw_msgbuf_data(m))->level = (uint32_t)lv;
    assert_int_equal(fixgw_rt_post(h, lv, m), 0);
    (*seq)++;
  }
}

/* Messages queued before start come out strictly by level (fewer than
 * starve_limit of them, so no aging), FIFO within a level. */
static void test_strict_order(void **st) {
  (void)st;
  struct sink s;
  sink_init(&s, 1, 64);
  s.order_cap = 64;
  s.order = calloc(64, 1);
  fixgw_rt_config_t cfg;
  base_config(&cfg, &s, FIXGW_WAIT_BLOCK);
  cfg.prio.starve_limit = 32;
  fixgw_rt_t *rt;
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), 0);
  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 128, 64, 0, NULL), 0);
  fixgw_rt_producer_t *h;
  assert_int_equal(fixgw_rt_register(rt, &h), 0);
  uint64_t seq = 0;
  post_n(h, &pool, FIXGW_PRIO_LOW, &seq, 5);
  post_n(h, &pool, FIXGW_PRIO_NORMAL, &seq, 5);
  post_n(h, &pool, FIXGW_PRIO_CRITICAL, &seq, 5);
  post_n(h, &pool, FIXGW_PRIO_HIGH, &seq, 5);
  assert_int_equal(fixgw_rt_start(rt, NULL), 0);
  wait_done(&s, 20, now_ns() + DEADLINE_NS);
  assert_int_equal(fixgw_rt_stop(rt), 0);
  assert_int_equal(s.norder, 20);
  for (uint64_t i = 0; i < 20; i++) assert_int_equal(s.order[i], i / 5);
  assert_int_equal(s.errors, 0);
  fixgw_rt_destroy(rt);
  fixgw_pool_stats_t ps;
  fixgw_pool_stats(&pool.pool, &ps);
  assert_int_equal(ps.in_use, 0);
  fixgw_msgpool_destroy(&pool);
  sink_free(&s);
}

/* A Critical backlog with Low waiting: Low is served once every
 * starve_limit Critical messages, exactly. */
#define SK 8
static void test_starvation_bound_queued(void **st) {
  (void)st;
  const uint64_t nc = 200, nl = 20;
  struct sink s;
  sink_init(&s, 1, nc + nl);
  s.order_cap = nc + nl;
  s.order = calloc(nc + nl, 1);
  fixgw_rt_config_t cfg;
  base_config(&cfg, &s, FIXGW_WAIT_BLOCK);
  cfg.prio.starve_limit = SK;
  fixgw_rt_t *rt;
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), 0);
  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 128, 256, 0, NULL), 0);
  fixgw_rt_producer_t *h;
  assert_int_equal(fixgw_rt_register(rt, &h), 0);
  uint64_t seq = 0;
  post_n(h, &pool, FIXGW_PRIO_LOW, &seq, nl);
  post_n(h, &pool, FIXGW_PRIO_CRITICAL, &seq, nc);
  assert_int_equal(fixgw_rt_start(rt, NULL), 0);
  wait_done(&s, nc + nl, now_ns() + DEADLINE_NS);
  assert_int_equal(fixgw_rt_stop(rt), 0);
  assert_int_equal(s.norder, nc + nl);
  /* While both are queued: SK Critical, one Low, repeated. */
  uint64_t run = 0, lows = 0, maxrun = 0;
  for (uint64_t i = 0; i < s.norder && lows < nl; i++) {
    if (s.order[i] == FIXGW_PRIO_LOW) {
      lows++;
      if (run > maxrun) maxrun = run;
      run = 0;
    } else {
      run++;
    }
  }
  assert_int_equal(lows, nl);
  assert_int_equal(maxrun, SK);
  fixgw_rt_level_stats_t ls;
  assert_int_equal(fixgw_rt_stats(rt, FIXGW_PRIO_LOW, &ls), 0);
  assert_int_equal(ls.aged, nl);
  fixgw_rt_destroy(rt);
  fixgw_msgpool_destroy(&pool);
  sink_free(&s);
}

/* Live: one thread floods Critical without pause while another posts Low
 * messages one at a time and waits for each to be written. Each Low goes
 * out within starve_limit Critical writes, + 2: when the Low is queued the
 * sender may hold two Criticals it already chose (the one being written
 * and the next, chosen one message ahead; see send.c). */
struct flood {
  struct run *r;
  fixgw_msgpool_t pool;
  fixgw_rt_producer_t *h;
  atomic_int stop;
  uint64_t posted, errors;
};

static void *flooder(void *arg) {
  struct flood *f = arg;
  struct run *r = f->r;
  fixgw_msgbuf_t *m = NULL;
  uint64_t seq = 0;
  while (!atomic_load(&f->stop) && seq < 1000000 && now_ns() < r->deadline) {
    if (m == NULL) m = fixgw_msgbuf_get(&f->pool);
    if (m == NULL) { /* all in flight: keep the pressure, but let others run */
      sched_yield();
      continue;
    }
    fill(m, 0, seq, FIXGW_PRIO_CRITICAL);
    int rc = fixgw_rt_post(f->h, FIXGW_PRIO_CRITICAL, m);
    if (rc == FIXGW_EFULL) { /* the ring is full: the flood is on */
      sched_yield();
      continue;
    }
    if (rc != 0) {
      f->errors++;
      break;
    }
    f->posted++;
    m = NULL;
    seq++;
  }
  if (m) fixgw_msgbuf_put(m);
  return NULL;
}

static void test_starvation_bound_flood(void **st) {
  (void)st;
  const uint64_t nl = 100;
  struct sink s;
  sink_init(&s, 2, 1000000);
  fixgw_rt_config_t cfg;
  base_config(&cfg, &s, FIXGW_WAIT_SPIN_YIELD);
  cfg.prio.starve_limit = SK;
  cfg.prio.ring_size[FIXGW_PRIO_CRITICAL] = 1024;
  fixgw_rt_t *rt;
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), 0);
  struct run r;
  memset(&r, 0, sizeof r);
  r.rt = rt;
  r.deadline = now_ns() + DEADLINE_NS;
  struct flood f;
  memset(&f, 0, sizeof f);
  f.r = &r;
  assert_int_equal(fixgw_msgpool_init(&f.pool, 128, 2048, 0, NULL), 0);
  assert_int_equal(fixgw_rt_register(rt, &f.h), 0);
  fixgw_msgpool_t lpool;
  assert_int_equal(fixgw_msgpool_init(&lpool, 128, 16, 0, NULL), 0);
  fixgw_rt_producer_t *lh;
  assert_int_equal(fixgw_rt_register(rt, &lh), 0);
  assert_int_equal(fixgw_rt_start(rt, NULL), 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, flooder, &f), 0);
  /* Let the flood build a backlog first. */
  while (atomic_load(&s.crit_written) < 2000 && now_ns() < r.deadline) sched_yield();
  uint64_t worst = 0, done_lows = 0;
  for (uint64_t i = 0; i < nl && now_ns() < r.deadline; i++) {
    fixgw_msgbuf_t *m = NULL;
    while ((m = fixgw_msgbuf_get(&lpool)) == NULL && now_ns() < r.deadline) sched_yield();
    assert_non_null(m);
    fill(m, 1, i, FIXGW_PRIO_LOW);
    assert_int_equal(fixgw_rt_post(lh, FIXGW_PRIO_LOW, m), 0);
    /* Read after the post: Critical writes counted from here on all
     * happened after the Low was queued (an under-count if this thread is
     * preempted in between, never an over-count). */
    uint64_t c0 = atomic_load(&s.crit_written);
    while (atomic_load(&s.lows_written) < i + 1 && now_ns() < r.deadline) sched_yield();
    if (atomic_load(&s.lows_written) < i + 1) break;
    /* The sink noted the Critical count when it wrote this Low. */
    uint64_t at = atomic_load(&s.crit_at_low);
    uint64_t gap = at > c0 ? at - c0 : 0;
    if (gap > worst) worst = gap;
    done_lows = atomic_load(&s.lows_written);
  }
  atomic_store(&f.stop, 1);
  pthread_join(t, NULL);
  assert_int_equal(fixgw_rt_stop(rt), 0);
  print_message("flood: %llu Critical posted, %llu Low, worst Critical writes before a Low: "
                "%llu (bound %d)\n",
                (unsigned long long)f.posted, (unsigned long long)done_lows,
                (unsigned long long)worst, SK + 2);
  assert_int_equal(done_lows, nl);
  assert_int_equal(f.errors, 0);
  assert_true(worst <= SK + 2);
  fixgw_rt_level_stats_t cs;
  assert_int_equal(fixgw_rt_stats(rt, FIXGW_PRIO_CRITICAL, &cs), 0);
  assert_int_equal(cs.posted, f.posted);
  assert_int_equal(cs.written, f.posted);
  assert_true(cs.aged == 0);
  fixgw_rt_level_stats_t lstat;
  assert_int_equal(fixgw_rt_stats(rt, FIXGW_PRIO_LOW, &lstat), 0);
  assert_int_equal(lstat.written, nl);
  assert_int_equal(s.errors, 0);
  fixgw_rt_destroy(rt);
  fixgw_msgpool_destroy(&f.pool);
  fixgw_msgpool_destroy(&lpool);
  sink_free(&s);
}

/* BLOCK with no spinning and no sleep bound: the sender sleeps on its
 * futex whenever it runs dry, and only a post's wake can rouse it. Each
 * message must be written soon after its post; a lost wake-up would leave
 * it queued until the 2 s per-message limit. */
static void test_block_wakeups(void **st) {
  (void)st;
  const uint64_t n = 2000;
  struct sink s;
  sink_init(&s, 1, n);
  fixgw_rt_config_t cfg;
  base_config(&cfg, &s, FIXGW_WAIT_BLOCK);
  cfg.wait.spin_iters = 1;
  cfg.wait.max_sleep_ns = 0;
  fixgw_rt_t *rt;
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), 0);
  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 128, 8, 0, NULL), 0);
  fixgw_rt_producer_t *h;
  assert_int_equal(fixgw_rt_register(rt, &h), 0);
  assert_int_equal(fixgw_rt_start(rt, NULL), 0);
  uint64_t late = 0, deadline = now_ns() + DEADLINE_NS;
  for (uint64_t i = 0; i < n && now_ns() < deadline; i++) {
    fixgw_msgbuf_t *m = NULL;
    while ((m = fixgw_msgbuf_get(&pool)) == NULL && now_ns() < deadline) sched_yield();
    fill(m, 0, i, level_of(i));
    assert_int_equal(fixgw_rt_post(h, level_of(i), m), 0);
    uint64_t limit = now_ns() + 2000000000ull;
    while (atomic_load(&s.done) < i + 1 && now_ns() < limit) sched_yield();
    if (atomic_load(&s.done) < i + 1) late++;
    if (i % 4 == 0) { /* let the sender fall asleep */
      struct timespec ts = {0, 20000};
      nanosleep(&ts, NULL);
    }
  }
  assert_int_equal(late, 0);
  assert_int_equal(fixgw_rt_stop(rt), 0);
  uint64_t written = 0;
  for (int l = 0; l < NLEV; l++) written += s.count[l];
  assert_int_equal(written, n);
  assert_int_equal(s.errors, 0);
  assert_true(rt_sender_sleeps(rt) > 0); /* the futex path was taken */
  fixgw_rt_destroy(rt);
  fixgw_msgpool_destroy(&pool);
  sink_free(&s);
}

/* ---- stop ------------------------------------------------------------- */

/* Stop while producers are still posting: posts after the stop began are
 * refused (FIXGW_ESTOPPED, the producer keeps the buffer), everything
 * accepted is written: written + failed + dropped == posted. */
static void test_stop_while_posting(void **st) {
  (void)st;
  const uint32_t np = 3;
  const uint64_t m = 1000000; /* more than can be posted before the stop */
  struct sink s;
  sink_init(&s, np, m);
  fixgw_rt_config_t cfg;
  base_config(&cfg, &s, FIXGW_WAIT_BLOCK);
  fixgw_rt_t *rt;
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), 0);
  struct run r;
  memset(&r, 0, sizeof r);
  r.rt = rt;
  r.deadline = now_ns() + DEADLINE_NS;
  struct prod pr[MAXP];
  assert_int_equal(fixgw_rt_start(rt, NULL), 0);
  start_producers(pr, &r, np, m);
  atomic_store(&r.start, 1);
  while (atomic_load(&s.done) < 20000 && now_ns() < r.deadline) sched_yield();
  assert_int_equal(fixgw_rt_stop(rt), 0);
  for (uint32_t i = 0; i < np; i++) pthread_join(pr[i].t, NULL);
  uint64_t posted = 0;
  for (uint32_t i = 0; i < np; i++) {
    assert_int_equal(pr[i].errors, 0);
    assert_int_equal(pr[i].stopped, 1); /* each saw the refusal */
    for (int l = 0; l < NLEV; l++) posted += pr[i].posted[l];
  }
  uint64_t written = 0;
  for (int l = 0; l < NLEV; l++) written += s.count[l];
  print_message("stop while posting: %llu posted, %llu written\n",
                (unsigned long long)posted, (unsigned long long)written);
  assert_int_equal(written, posted);
  check_accounting(rt, &s, pr, np);
  /* Exactly once, and a prefix per producer: FIFO up to the stop. */
  for (uint32_t p = 0; p < np; p++) {
    uint64_t n = 0;
    for (int l = 0; l < NLEV; l++) n += pr[p].posted[l];
    for (uint64_t q = 0; q < m; q++) assert_int_equal(s.seen[p * m + q], q < n ? 1 : 0);
  }
  fixgw_msgbuf_t *x = fixgw_msgbuf_get(&pr[0].pool);
  assert_non_null(x);
  fixgw_rt_producer_t *late;
  assert_int_equal(fixgw_rt_register(rt, &late), 0);
  assert_int_equal(fixgw_rt_post(late, FIXGW_PRIO_HIGH, x), FIXGW_ESTOPPED);
  fixgw_msgbuf_put(x);
  fixgw_rt_destroy(rt);
  check_pools_and_free(pr, np);
  sink_free(&s);
}

/* A runtime whose sender never started: stop reports every queued message
 * as dropped (FIXGW_ESTOPPED) and frees it. */
static void test_stop_never_started(void **st) {
  (void)st;
  struct sink s;
  sink_init(&s, 1, 100);
  s.expect_drop_reason = FIXGW_ESTOPPED;
  fixgw_rt_config_t cfg;
  base_config(&cfg, &s, FIXGW_WAIT_BLOCK);
  fixgw_rt_t *rt;
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), 0);
  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 128, 100, 0, NULL), 0);
  fixgw_rt_producer_t *h;
  assert_int_equal(fixgw_rt_register(rt, &h), 0);
  uint64_t seq = 0;
  for (int l = 0; l < NLEV; l++) post_n(h, &pool, (fixgw_prio_t)l, &seq, 25);
  assert_int_equal(fixgw_rt_stop(rt), 0);
  assert_int_equal(fixgw_rt_start(rt, NULL), FIXGW_ESTATE);
  for (int l = 0; l < NLEV; l++) {
    fixgw_rt_level_stats_t ls;
    assert_int_equal(fixgw_rt_stats(rt, (fixgw_prio_t)l, &ls), 0);
    assert_int_equal(ls.posted, 25);
    assert_int_equal(ls.dropped, 25);
    assert_int_equal(ls.written, 0);
    assert_int_equal(s.dropped_seen[l], 25);
  }
  assert_int_equal(s.drop_reason_errors, 0);
  fixgw_pool_stats_t ps;
  fixgw_pool_stats(&pool.pool, &ps);
  assert_int_equal(ps.in_use, 0);
  fixgw_rt_destroy(rt);
  fixgw_msgpool_destroy(&pool);
  sink_free(&s);
}

/* ---- API contracts ---------------------------------------------------- */

static int stop_from_cb_rc = 1;
static fixgw_rt_t *stop_from_cb_rt;
static int write_calls_stop(void *user, const char *buf, size_t len) {
  (void)user;
  (void)buf;
  (void)len;
  __atomic_store_n(&stop_from_cb_rc, fixgw_rt_stop(stop_from_cb_rt), __ATOMIC_RELEASE);
  return 0;
}

static void test_api_errors(void **st) {
  (void)st;
  struct sink s;
  sink_init(&s, 1, 10);
  fixgw_rt_config_t cfg;
  fixgw_rt_t *rt = NULL;
  base_config(&cfg, &s, FIXGW_WAIT_BLOCK);
  cfg.write_cb = NULL;
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), FIXGW_EINVAL);
  assert_null(rt);
  base_config(&cfg, &s, FIXGW_WAIT_BLOCK);
  cfg.batch = 5000;
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), FIXGW_EINVAL);
  base_config(&cfg, &s, FIXGW_WAIT_BLOCK);
  cfg.prio.ring_size[2] = 100; /* not a power of two */
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), FIXGW_EINVAL);
  base_config(&cfg, &s, (fixgw_wait_kind)7);
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_rt_create(NULL, &cfg, NULL), FIXGW_EINVAL);

  base_config(&cfg, &s, FIXGW_WAIT_BLOCK);
  cfg.prio.max_producers = 2;
  cfg.cpu = FIXGW_CPU_MAX - 1; /* no such CPU here: start degrades */
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), 0);
  fixgw_rt_producer_t *a, *b, *c;
  assert_int_equal(fixgw_rt_register(rt, &a), 0);
  assert_int_equal(fixgw_rt_register(rt, &b), 0);
  assert_int_equal(fixgw_rt_register(rt, &c), FIXGW_EFULL);
  assert_int_equal(fixgw_rt_register(NULL, &c), FIXGW_EINVAL);

  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 64, 4, 0, NULL), 0);
  fixgw_msgbuf_t *m = fixgw_msgbuf_get(&pool);
  assert_non_null(m);
  assert_int_equal(fixgw_rt_post(a, (fixgw_prio_t)4, m), FIXGW_EINVAL);
  assert_int_equal(fixgw_rt_post(NULL, FIXGW_PRIO_LOW, m), FIXGW_EINVAL);
  assert_int_equal(fixgw_rt_post(a, FIXGW_PRIO_LOW, NULL), FIXGW_EINVAL);
  m->len = 65;
  assert_int_equal(fixgw_rt_post(a, FIXGW_PRIO_LOW, m), FIXGW_EINVAL);
  fill(m, 0, 1, FIXGW_PRIO_LOW);

  /* A level's ring full: FIXGW_EFULL, counted, the caller keeps m. */
  fixgw_rt_config_t small;
  base_config(&small, &s, FIXGW_WAIT_BLOCK);
  small.prio.ring_size[FIXGW_PRIO_LOW] = 2; /* holds one entry */
  fixgw_rt_t *rt2;
  assert_int_equal(fixgw_rt_create(&rt2, &small, NULL), 0);
  fixgw_rt_producer_t *h2;
  assert_int_equal(fixgw_rt_register(rt2, &h2), 0);
  fixgw_msgbuf_t *m2 = fixgw_msgbuf_get(&pool);
  fill(m2, 0, 2, FIXGW_PRIO_LOW);
  assert_int_equal(fixgw_rt_post(h2, FIXGW_PRIO_LOW, m), 0);
  assert_int_equal(fixgw_rt_post(h2, FIXGW_PRIO_LOW, m2), FIXGW_EFULL);
  fixgw_rt_level_stats_t ls;
  assert_int_equal(fixgw_rt_stats(rt2, FIXGW_PRIO_LOW, &ls), 0);
  assert_int_equal(ls.rejected, 1);
  assert_int_equal(ls.posted, 1);
  assert_int_equal(ls.depth, 1);
  assert_int_equal(fixgw_rt_start(rt2, NULL), 0);
  assert_int_equal(fixgw_rt_start(rt2, NULL), FIXGW_ESTATE);
  assert_int_equal(fixgw_rt_stop(rt2), 0);
  assert_int_equal(fixgw_rt_stats(rt2, FIXGW_PRIO_LOW, &ls), 0);
  assert_int_equal(ls.written, 1);
  assert_int_equal(fixgw_rt_post(h2, FIXGW_PRIO_LOW, m2), FIXGW_ESTOPPED);
  fixgw_msgbuf_put(m2);
  fixgw_rt_destroy(rt2);

  /* Pinning to a CPU that does not exist: started anyway, told why. */
  fixgw_thread_result_t res;
  assert_int_equal(fixgw_rt_start(rt, &res), 0);
  assert_int_equal(res.affinity, FIXGW_ENOCPU);
  assert_int_equal(fixgw_rt_stats(rt, (fixgw_prio_t)9, &ls), FIXGW_EINVAL);
  assert_null(fixgw_rt_latency(rt, (fixgw_prio_t)9));
  assert_non_null(fixgw_rt_clock(rt));
  assert_string_equal(fixgw_err_name(FIXGW_ESTOPPED), "FIXGW_ESTOPPED");
  fixgw_rt_destroy(rt); /* stops first */

  /* Stop from inside write_cb is refused, not a deadlock. */
  base_config(&cfg, &s, FIXGW_WAIT_BLOCK);
  cfg.write_cb = write_calls_stop;
  assert_int_equal(fixgw_rt_create(&rt, &cfg, NULL), 0);
  stop_from_cb_rt = rt;
  assert_int_equal(fixgw_rt_register(rt, &a), 0);
  assert_int_equal(fixgw_rt_start(rt, NULL), 0);
  m = fixgw_msgbuf_get(&pool);
  fill(m, 0, 3, FIXGW_PRIO_HIGH);
  assert_int_equal(fixgw_rt_post(a, FIXGW_PRIO_HIGH, m), 0);
  uint64_t dl = now_ns() + DEADLINE_NS;
  while (__atomic_load_n(&stop_from_cb_rc, __ATOMIC_ACQUIRE) == 1 && now_ns() < dl) sched_yield();
  assert_int_equal(__atomic_load_n(&stop_from_cb_rc, __ATOMIC_ACQUIRE), FIXGW_ESTATE);
  assert_int_equal(fixgw_rt_stop(rt), 0);
  fixgw_rt_destroy(rt);
  fixgw_rt_destroy(NULL);

  fixgw_pool_stats_t ps;
  fixgw_pool_stats(&pool.pool, &ps);
  assert_int_equal(ps.in_use, 0);
  fixgw_msgpool_destroy(&pool);
  sink_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_api_errors),
      cmocka_unit_test(test_strict_order),
      cmocka_unit_test(test_starvation_bound_queued),
      cmocka_unit_test(test_starvation_bound_flood),
      cmocka_unit_test(test_mixed_block),
      cmocka_unit_test(test_mixed_spin_yield),
      cmocka_unit_test(test_mixed_spin),
      cmocka_unit_test(test_write_errors),
      cmocka_unit_test(test_start_while_posting),
      cmocka_unit_test(test_block_wakeups),
      cmocka_unit_test(test_stop_while_posting),
      cmocka_unit_test(test_stop_never_started),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
