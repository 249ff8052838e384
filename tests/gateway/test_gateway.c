/* gw/: one gateway drives an acceptor (SERVER, index 0) and an initiator
 * (CLIENT, index 1) over 127.0.0.1; application threads post orders to
 * CLIENT, a consumer thread takes them from SERVER's inbound ring. Every
 * message is identified (producer, level, serial in ClOrdID) and
 * accounted for on both sides. Every wait is bounded in time. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "fixgw/gateway.h"
#include "fixgw/store.h"

#define SERVER 0u
#define CLIENT 1u
#define MAXP 4      /* producers */
#define MAXN 8192   /* messages per producer */

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void nap_us(unsigned us) {
  struct timespec ts = {0, (long)us * 1000};
  nanosleep(&ts, NULL);
}

static int64_t utc_now(void) {
  struct timespec r;
  clock_gettime(CLOCK_REALTIME, &r);
  return (int64_t)r.tv_sec * 1000000000 + r.tv_nsec;
}

/* ------------------------------------------------------------ outcomes */

/* Outcome per message, written on the I/O thread (or the stopper), read
 * after stop (the join orders it) or polled with atomics. */
typedef struct outcomes {
  _Atomic int result[MAXP][MAXN]; /* 1: none yet; else the result */
  _Atomic uint64_t sent, failed;
} outcomes_t;

static outcomes_t g_out;

/* ClOrdID "P<p>-L<l>-<n>": parse it back from a message's bytes. */
static bool parse_id(const char *b, size_t len, int *p, int *l, int *n) {
  for (size_t i = 0; i + 4 < len; i++) {
    if ((i == 0 || b[i - 1] == '\x01') && b[i] == '1' && b[i + 1] == '1' && b[i + 2] == '=') {
      char tmp[32];
      size_t k = 0;
      for (size_t j = i + 3; j < len && b[j] != '\x01' && k < sizeof tmp - 1; j++) tmp[k++] = b[j];
      tmp[k] = 0;
      return sscanf(tmp, "P%d-L%d-%d", p, l, n) == 3;
    }
  }
  return false;
}

static void on_done(void *user, const fixgw_msgbuf_t *m, int result) {
  (void)user;
  size_t len;
  const char *b = fixgw_gw_msg_bytes(m, &len);
  int p, l, n;
  assert_true(parse_id(b, len, &p, &l, &n));
  assert_true(p >= 0 && p < MAXP && n >= 0 && n < MAXN);
  /* Exactly one outcome per message. */
  assert_int_equal(atomic_exchange(&g_out.result[p][n], result), 1);
  if (result == 0)
    atomic_fetch_add(&g_out.sent, 1);
  else
    atomic_fetch_add(&g_out.failed, 1);
}

static void outcomes_reset(void) {
  for (int p = 0; p < MAXP; p++)
    for (int n = 0; n < MAXN; n++) atomic_store(&g_out.result[p][n], 1);
  atomic_store(&g_out.sent, 0);
  atomic_store(&g_out.failed, 0);
}

/* ------------------------------------------------------------- fixture */

typedef struct fx {
  fixgw_gw_t *gw;
  fixgw_store_t store[2];
  uint16_t port;
} fx_t;

static void fx_config(fixgw_gw_config_t *c) {
  fixgw_gw_config_default(c);
  c->prio.max_producers = MAXP + 1;
  c->on_done = on_done;
  c->stall_ms = 5000;
}

static void session_cfg(fixgw_session_config_t *c, fixgw_store_t *st, bool acceptor) {
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  mc.max_messages = 1u << 16;
  mc.max_bytes = (size_t)32 << 20;
  mc.now_utc_ns = utc_now();
  assert_int_equal(fixgw_mem_store_create(&mc, st), 0);
  fixgw_session_config_default(c);
  c->role = acceptor ? FIXGW_ACCEPTOR : FIXGW_INITIATOR;
  snprintf(c->id.sender_comp_id, sizeof c->id.sender_comp_id, "%s", acceptor ? "SERVER" : "CLIENT");
  snprintf(c->id.target_comp_id, sizeof c->id.target_comp_id, "%s", acceptor ? "CLIENT" : "SERVER");
  c->heartbeat_interval_s = 30;
  c->tx_buffer_size = 64u << 10;
  c->store = *st;
}

/* A gateway with both sessions added and listening, not started;
 * sockbuf > 0: that SO_SNDBUF / SO_RCVBUF on both ends. */
static void fx_open_buf(fx_t *f, const fixgw_gw_config_t *c, int sockbuf) {
  memset(f, 0, sizeof *f);
  assert_int_equal(fixgw_gw_create(c, &f->gw), 0);
  fixgw_session_config_t sc;
  fixgw_gw_session_opts_t o;
  uint32_t idx;
  session_cfg(&sc, &f->store[0], true);
  fixgw_gw_session_opts_default(&o);
  o.session = &sc;
  assert_int_equal(fixgw_gw_add_session(f->gw, &o, &idx), 0);
  assert_int_equal(idx, SERVER);
  fixgw_net_initiator_opts_t io;
  fixgw_net_initiator_opts_default(&io);
  io.sock.no_delay = true;
  io.sock.sndbuf = io.sock.rcvbuf = sockbuf;
  assert_int_equal(fixgw_gw_listen(f->gw, "127.0.0.1", 0, &f->port, &io.sock), 0);
  session_cfg(&sc, &f->store[1], false);
  fixgw_net_hosts_t hosts;
  memset(&hosts, 0, sizeof hosts);
  hosts.count = 1;
  snprintf(hosts.host[0].host, sizeof hosts.host[0].host, "127.0.0.1");
  hosts.host[0].port = f->port;
  fixgw_gw_session_opts_default(&o);
  o.session = &sc;
  o.hosts = &hosts;
  o.init = &io;
  assert_int_equal(fixgw_gw_add_session(f->gw, &o, &idx), 0);
  assert_int_equal(idx, CLIENT);
}

static void fx_open(fx_t *f, const fixgw_gw_config_t *c) { fx_open_buf(f, c, 0); }

static void fx_wait_logon(fx_t *f) {
  uint64_t until = mono_ms() + 10000;
  while (!(fixgw_gw_logged_on(f->gw, SERVER) && fixgw_gw_logged_on(f->gw, CLIENT)) &&
         mono_ms() < until)
    nap_us(1000);
  assert_true(fixgw_gw_logged_on(f->gw, SERVER));
  assert_true(fixgw_gw_logged_on(f->gw, CLIENT));
}

static void fx_close(fx_t *f) {
  fixgw_gw_destroy(f->gw);
  fixgw_store_destroy(&f->store[0]);
  fixgw_store_destroy(&f->store[1]);
}

static void make_order(fixgw_msgbuf_t *m, int p, int l, int n) {
  char body[128];
  int len = snprintf(body, sizeof body, "11=P%d-L%d-%d\x01" "38=100\x01" "54=1\x01" "55=GW\x01", p,
                     l, n);
  assert_int_equal(fixgw_gw_msg_set(m, CLIENT, "D", body, (size_t)len), 0);
}

static void make_order_enc(fixgw_msgbuf_t *m, int p, int l, int n) {
  fixgw_encoder_t e;
  char id[32];
  snprintf(id, sizeof id, "P%d-L%d-%d", p, l, n);
  assert_int_equal(fixgw_gw_msg_begin(m, CLIENT, "D", &e), 0);
  fixgw_enc_cstr(&e, 11, id);
  fixgw_enc_int(&e, 38, 100);
  fixgw_enc_char(&e, 54, '1');
  fixgw_enc_cstr(&e, 55, "GW");
  assert_int_equal(fixgw_gw_msg_end(m, &e), 0);
}

/* The two ways to fill a message give the same header and body; errors
 * leave the caller a clear code. */
static void test_msg_build(void **state) {
  (void)state;
  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 128, 4, 0, NULL), 0);
  fixgw_msgbuf_t *a = fixgw_msgbuf_get(&pool), *b = fixgw_msgbuf_get(&pool);
  make_order(a, 1, 2, 3);
  make_order_enc(b, 1, 2, 3);
  size_t la, lb;
  const char *ba = fixgw_gw_msg_bytes(a, &la), *bb = fixgw_gw_msg_bytes(b, &lb);
  assert_int_equal(la, lb);
  assert_memory_equal(ba, bb, la);
  assert_memory_equal(ba, "11=P1-L2-3\x01", 11);
  assert_int_equal(fixgw_gw_hdr(b)->session, CLIENT);
  assert_string_equal(fixgw_gw_hdr(b)->msgtype, "D");
  assert_int_equal(b->len, fixgw_gw_hdr(b)->body_off + lb);
  /* end without begin; a body that overflows the buffer (sticky). */
  fixgw_encoder_t e;
  memset(&e, 0, sizeof e);
  assert_int_equal(fixgw_gw_msg_end(a, &e), FIXGW_ESTATE);
  assert_int_equal(fixgw_gw_msg_begin(a, CLIENT, "D", &e), 0);
  char big[200];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  fixgw_enc_cstr(&e, 58, big);
  assert_int_equal(fixgw_gw_msg_end(a, &e), FIXGW_ENOSPC);
  assert_int_equal(fixgw_gw_msg_begin(a, CLIENT, "D\x01", &e), FIXGW_EINVAL);
  assert_int_equal(fixgw_gw_msg_begin(a, CLIENT, NULL, &e), FIXGW_EINVAL);
  fixgw_msgbuf_put(a);
  fixgw_msgbuf_put(b);
  fixgw_msgpool_destroy(&pool);
}

/* ------------------------------------------------------------ producers */

typedef struct prod_arg {
  fixgw_gw_t *gw;
  int id;
  int count;     /* messages to post (0: until stopped) */
  uint32_t seed;
  int posted;    /* accepted posts */
  int returned;  /* ESTOPPED: the buffer came back to us */
  int efull;     /* back-pressure seen */
} prod_arg_t;

/* true when all cap buffers of pool are back (taken out and put back). */
static bool pool_all_back(fixgw_msgpool_t *pool, uint32_t cap) {
  static __thread fixgw_msgbuf_t *out[2048];
  uint32_t n = 0;
  while (n < cap && n < 2048 && (out[n] = fixgw_msgbuf_get(pool)) != NULL) n++;
  for (uint32_t i = 0; i < n; i++) fixgw_msgbuf_put(out[i]);
  return n == cap;
}

static fixgw_prio_t pick_level(uint32_t *seed) {
  *seed = *seed * 1103515245u + 12345u;
  uint32_t r = (*seed >> 16) % 100;
  return r < 5 ? FIXGW_PRIO_CRITICAL : r < 20 ? FIXGW_PRIO_HIGH : r < 70 ? FIXGW_PRIO_NORMAL
                                                                         : FIXGW_PRIO_LOW;
}

static void *producer(void *arg) {
  prod_arg_t *a = arg;
  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 256, 2048, 0, NULL), 0);
  fixgw_gw_producer_t *p;
  assert_int_equal(fixgw_gw_register(a->gw, &p), 0);
  uint64_t until = mono_ms() + 20000;
  for (int n = 0; (a->count == 0 || n < a->count) && n < MAXN && mono_ms() < until;) {
    fixgw_msgbuf_t *m = fixgw_msgbuf_get(&pool);
    if (!m) { /* every buffer in flight: the gateway gives them back */
      nap_us(50);
      continue;
    }
    fixgw_prio_t lv = pick_level(&a->seed);
    make_order(m, a->id, (int)lv, n);
    int rc = fixgw_gw_post(p, lv, m);
    if (rc == 0) {
      a->posted++;
      n++;
      continue;
    }
    /* Not accepted: the buffer is still ours. */
    assert_int_equal(fixgw_msgbuf_put(m), 0);
    if (rc == FIXGW_ESTOPPED) {
      a->returned++;
      break;
    }
    assert_int_equal(rc, FIXGW_EFULL);
    a->efull++;
    nap_us(20);
  }
  /* Buffers come back (put_remote) only after their outcome: wait for all
   * of them before the pool goes. Taking every buffer out makes the pool
   * reclaim the remote frees (an acquire of what their freers did). */
  uint64_t wait = mono_ms() + 20000;
  bool all = false;
  while (!all && mono_ms() < wait) {
    all = pool_all_back(&pool, 2048);
    if (!all) nap_us(500);
  }
  assert_true(all);
  fixgw_msgpool_destroy(&pool);
  return NULL;
}

/* ------------------------------------------------------------- consumer */

typedef struct cons_arg {
  fixgw_gw_t *gw;
  atomic_int stop;
  int hold;          /* keep the first `hold` buffers until told */
  atomic_int let_go;
  uint64_t got;
  uint8_t seen[MAXP][MAXN];
  int last[MAXP][FIXGW_PRIO_LEVELS]; /* last serial per (producer, level) */
  int order_errors;
  /* Receive order of levels (first 4096), for the priority tests. */
  int levels[4096];
  int nlevels;
} cons_arg_t;

static void take(cons_arg_t *c, fixgw_msgbuf_t *m) {
  size_t len;
  const char *b = fixgw_gw_msg_bytes(m, &len);
  const fixgw_gw_hdr_t *h = fixgw_gw_hdr_c(m);
  assert_int_equal(h->session, SERVER);
  assert_string_equal(h->msgtype, "D");
  int p, l, n;
  assert_true(parse_id(b, len, &p, &l, &n));
  assert_true(p >= 0 && p < MAXP && n >= 0 && n < MAXN && l >= 0 && l < FIXGW_PRIO_LEVELS);
  assert_int_equal(c->seen[p][n], 0); /* exactly once */
  c->seen[p][n] = 1;
  if (n <= c->last[p][l]) c->order_errors++; /* FIFO per (producer, level) */
  c->last[p][l] = n;
  if (c->nlevels < 4096) c->levels[c->nlevels++] = l;
  /* Atomic: the main thread watches it while we run (wait_got). */
  __atomic_store_n(&c->got, c->got + 1, __ATOMIC_RELAXED);
}

static void *consumer(void *arg) {
  cons_arg_t *c = arg;
  fixgw_msgbuf_t *held[64];
  int nheld = 0;
  uint64_t until = mono_ms() + 30000;
  while (mono_ms() < until) {
    if (nheld && atomic_load(&c->let_go)) {
      for (int i = 0; i < nheld; i++) assert_int_equal(fixgw_gw_release(c->gw, held[i]), 0);
      nheld = 0;
      c->hold = 0;
    }
    fixgw_msgbuf_t *m;
    if (fixgw_gw_recv(c->gw, SERVER, &m) == 0) {
      take(c, m);
      if (nheld < c->hold && nheld < 64)
        held[nheld++] = m;
      else
        assert_int_equal(fixgw_gw_release(c->gw, m), 0);
      continue;
    }
    if (atomic_load(&c->stop)) break;
    nap_us(20);
  }
  for (int i = 0; i < nheld; i++) fixgw_gw_release(c->gw, held[i]);
  return NULL;
}

static void cons_init(cons_arg_t *c, fixgw_gw_t *gw) {
  memset(c, 0, sizeof *c);
  c->gw = gw;
  for (int p = 0; p < MAXP; p++)
    for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) c->last[p][l] = -1;
}

static uint64_t wait_sent(uint64_t want, uint64_t ms) {
  uint64_t until = mono_ms() + ms;
  while (atomic_load(&g_out.sent) + atomic_load(&g_out.failed) < want && mono_ms() < until)
    nap_us(1000);
  return atomic_load(&g_out.sent) + atomic_load(&g_out.failed);
}

static void wait_got(cons_arg_t *c, uint64_t want, uint64_t ms) {
  uint64_t until = mono_ms() + ms;
  /* A hint only: the final checks read c->got after the join. */
  while (__atomic_load_n(&c->got, __ATOMIC_RELAXED) < want && mono_ms() < until) nap_us(1000);
}

/* --------------------------------------------------------------- tests */

/* Several threads at mixed priorities: every message sent, received once,
 * FIFO per producer and level; counts and histograms agree. */
static void test_mixed_load(void **state) {
  (void)state;
  outcomes_reset();
  fixgw_gw_config_t c;
  fx_config(&c);
  fx_t f;
  fx_open(&f, &c);
  assert_int_equal(fixgw_gw_start(f.gw, NULL), 0);
  fx_wait_logon(&f);
  static cons_arg_t cons;
  cons_init(&cons, f.gw);
  pthread_t ct, pt[3];
  prod_arg_t pa[3];
  uint32_t seed = (uint32_t)time(NULL);
  printf("seed %u\n", seed);
  assert_int_equal(pthread_create(&ct, NULL, consumer, &cons), 0);
  const int per = 3000;
  for (int i = 0; i < 3; i++) {
    pa[i] = (prod_arg_t){.gw = f.gw, .id = i, .count = per, .seed = seed + (uint32_t)i};
    assert_int_equal(pthread_create(&pt[i], NULL, producer, &pa[i]), 0);
  }
  for (int i = 0; i < 3; i++) pthread_join(pt[i], NULL);
  uint64_t total = 3u * per;
  assert_int_equal(wait_sent(total, 20000), total);
  wait_got(&cons, total, 20000);
  atomic_store(&cons.stop, 1);
  pthread_join(ct, NULL);
  assert_int_equal(fixgw_gw_stop(f.gw, 2000), 0);

  assert_int_equal(atomic_load(&g_out.sent), total);
  assert_int_equal(atomic_load(&g_out.failed), 0);
  assert_int_equal(cons.got, total);
  assert_int_equal(cons.order_errors, 0);
  for (int i = 0; i < 3; i++)
    for (int n = 0; n < per; n++) {
      assert_int_equal(atomic_load(&g_out.result[i][n]), 0);
      assert_int_equal(cons.seen[i][n], 1);
    }
  fixgw_gw_stats_t st;
  assert_int_equal(fixgw_gw_stats(f.gw, &st), 0);
  uint64_t posted = 0, sent = 0;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) {
    posted += st.level[l].posted;
    sent += st.level[l].sent;
    assert_int_equal(st.level[l].posted, st.level[l].sent + st.level[l].failed);
    assert_int_equal(fixgw_hist_count(fixgw_gw_latency(f.gw, (fixgw_prio_t)l)), st.level[l].sent);
    assert_int_equal(st.level[l].depth, 0);
  }
  assert_int_equal(posted, total);
  assert_int_equal(sent, total);
  assert_int_equal(st.inbound, total);
  assert_int_equal(st.inflight, 0);
  /* The export names every level. */
  static char text[16384];
  fixgw_prom_t w;
  fixgw_prom_init(&w, text, sizeof text);
  assert_int_equal(fixgw_gw_prom(f.gw, &w), 0);
  assert_int_equal(fixgw_prom_finish(&w, NULL), 0);
  assert_non_null(strstr(text, "fixgw_gw_queue_to_wire_seconds{priority=\"critical\",quantile=\"0.99\"}"));
  assert_non_null(strstr(text, "fixgw_messages_sent_total{priority=\"low\"}"));
  fx_close(&f);
}

/* Messages posted before start wait in the rings; once CLIENT is logged
 * on they go out strictly by priority (starve_limit 0), or with a Low at
 * least every starve_limit + 3 while higher ones wait (aging). */
static void run_priority(int starve) {
  outcomes_reset();
  fixgw_gw_config_t c;
  fx_config(&c);
  c.prio.starve_limit = (uint32_t)starve;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) c.prio.ring_size[l] = 512;
  fx_t f;
  fx_open(&f, &c);
  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 256, 1024, 0, NULL), 0);
  fixgw_gw_producer_t *p;
  assert_int_equal(fixgw_gw_register(f.gw, &p), 0);
  /* Lowest first, so an order by time would be the reverse. */
  int n = 0, per[FIXGW_PRIO_LEVELS] = {100, 100, 100, 100};
  for (int l = FIXGW_PRIO_LOW; l >= 0; l--)
    for (int i = 0; i < per[l]; i++) {
      fixgw_msgbuf_t *m = fixgw_msgbuf_get(&pool);
      if (l == FIXGW_PRIO_NORMAL)
        make_order_enc(m, 0, l, n++); /* the encoder path travels too */
      else
        make_order(m, 0, l, n++);
      assert_int_equal(fixgw_gw_post(p, (fixgw_prio_t)l, m), 0);
    }
  static cons_arg_t cons;
  cons_init(&cons, f.gw);
  pthread_t ct;
  assert_int_equal(pthread_create(&ct, NULL, consumer, &cons), 0);
  assert_int_equal(fixgw_gw_start(f.gw, NULL), 0);
  assert_int_equal(wait_sent((uint64_t)n, 15000), (uint64_t)n);
  wait_got(&cons, (uint64_t)n, 10000);
  atomic_store(&cons.stop, 1);
  pthread_join(ct, NULL);
  assert_int_equal(fixgw_gw_stop(f.gw, 2000), 0);
  assert_int_equal(cons.got, (uint64_t)n);
  assert_int_equal(cons.order_errors, 0);
  assert_int_equal(cons.nlevels, n);
  if (starve == 0) {
    for (int i = 1; i < n; i++) assert_true(cons.levels[i] >= cons.levels[i - 1]);
  } else {
    /* While Critical messages remain, a Low one is never further than
     * starve + 3 from the previous Low (or from the start). */
    int last_low = -1, crit_left = per[0];
    for (int i = 0; i < n && crit_left > 0; i++) {
      if (cons.levels[i] == FIXGW_PRIO_CRITICAL) crit_left--;
      if (cons.levels[i] == FIXGW_PRIO_LOW) {
        assert_true(i - last_low <= starve + 3);
        last_low = i;
      }
    }
    assert_true(last_low >= 0);
    fixgw_gw_stats_t st;
    fixgw_gw_stats(f.gw, &st);
    assert_true(st.level[FIXGW_PRIO_LOW].aged > 0);
  }
  fx_close(&f);
  fixgw_msgbuf_t *m = fixgw_msgbuf_get(&pool); /* reclaim the remote frees */
  if (m) fixgw_msgbuf_put(m);
  fixgw_pool_stats_t ps;
  fixgw_pool_stats(&pool.pool, &ps);
  assert_int_equal(ps.in_use, 0);
  fixgw_msgpool_destroy(&pool);
}

static void test_priority_strict(void **state) {
  (void)state;
  run_priority(0);
}

static void test_priority_aging(void **state) {
  (void)state;
  run_priority(4);
}

/* Error mode: a full ring is FIXGW_EFULL at once, the caller keeps the
 * buffer; a stop of a never-started gateway fails what was accepted. */
static void test_backpressure_reject(void **state) {
  (void)state;
  outcomes_reset();
  fixgw_gw_config_t c;
  fx_config(&c);
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) c.prio.ring_size[l] = 8;
  fixgw_gw_t *gw;
  assert_int_equal(fixgw_gw_create(&c, &gw), 0);
  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 256, 64, 0, NULL), 0);
  fixgw_gw_producer_t *p;
  assert_int_equal(fixgw_gw_register(gw, &p), 0);
  int accepted = 0, n = 0;
  fixgw_msgbuf_t *m;
  for (;;) {
    m = fixgw_msgbuf_get(&pool);
    make_order(m, 0, FIXGW_PRIO_NORMAL, n);
    uint64_t t0 = mono_ms();
    int rc = fixgw_gw_post(p, FIXGW_PRIO_NORMAL, m);
    assert_true(mono_ms() - t0 < 50); /* no wait in error mode */
    if (rc != 0) {
      assert_int_equal(rc, FIXGW_EFULL);
      break;
    }
    accepted++;
    n++;
  }
  assert_int_equal(accepted, 7); /* ring of 8 holds 7 */
  /* Still ours, intact. */
  size_t len;
  int pp, ll, nn;
  const char *bytes = fixgw_gw_msg_bytes(m, &len);
  assert_true(parse_id(bytes, len, &pp, &ll, &nn));
  assert_int_equal(nn, 7);
  assert_int_equal(fixgw_msgbuf_put(m), 0);
  /* Other levels are not affected. */
  m = fixgw_msgbuf_get(&pool);
  make_order(m, 0, FIXGW_PRIO_HIGH, 8);
  assert_int_equal(fixgw_gw_post(p, FIXGW_PRIO_HIGH, m), 0);
  fixgw_gw_stats_t st;
  fixgw_gw_stats(gw, &st);
  assert_int_equal(st.level[FIXGW_PRIO_NORMAL].rejected, 1);
  assert_int_equal(st.level[FIXGW_PRIO_NORMAL].depth, 7);
  /* Bad input is refused and stays with the caller. */
  m = fixgw_msgbuf_get(&pool);
  assert_int_equal(fixgw_gw_msg_set(m, CLIENT, "", "", 0), FIXGW_EINVAL);
  assert_int_equal(fixgw_gw_msg_set(m, CLIENT, "TOOLONGTYPE", "", 0), FIXGW_EINVAL);
  assert_int_equal(fixgw_gw_msg_set(m, CLIENT, "D", "x", 100000), FIXGW_ENOSPC);
  m->len = 3; /* shorter than its header */
  assert_int_equal(fixgw_gw_post(p, FIXGW_PRIO_LOW, m), FIXGW_EINVAL);
  assert_int_equal(fixgw_gw_post(p, (fixgw_prio_t)7, m), FIXGW_EINVAL);
  assert_int_equal(fixgw_msgbuf_put(m), 0);

  assert_int_equal(fixgw_gw_stop(gw, 100), 0);
  assert_int_equal(atomic_load(&g_out.failed), 8);
  for (int i = 0; i <= 8; i++) /* 7 was refused: the caller kept it, no outcome */
    assert_int_equal(atomic_load(&g_out.result[0][i]), i == 7 ? 1 : FIXGW_ESTOPPED);
  m = fixgw_msgbuf_get(&pool);
  make_order(m, 0, FIXGW_PRIO_HIGH, 9);
  assert_int_equal(fixgw_gw_post(p, FIXGW_PRIO_HIGH, m), FIXGW_ESTOPPED);
  assert_int_equal(fixgw_msgbuf_put(m), 0);
  fixgw_gw_destroy(gw);
  m = fixgw_msgbuf_get(&pool);
  fixgw_msgbuf_put(m);
  fixgw_pool_stats_t ps;
  fixgw_pool_stats(&pool.pool, &ps);
  assert_int_equal(ps.in_use, 0);
  fixgw_msgpool_destroy(&pool);
}

typedef struct late_arg {
  fixgw_gw_producer_t *p;
  fixgw_msgbuf_t *m;
  int rc;
  uint64_t waited_ms;
} late_arg_t;

static void *late_post(void *arg) {
  late_arg_t *a = arg;
  uint64_t t0 = mono_ms();
  a->rc = fixgw_gw_post(a->p, FIXGW_PRIO_LOW, a->m);
  a->waited_ms = mono_ms() - t0;
  return NULL;
}

/* Bounded-wait mode: a full ring makes the poster wait up to its bound,
 * then FIXGW_EFULL; room made meanwhile lets the post through. */
static void test_backpressure_wait(void **state) {
  (void)state;
  outcomes_reset();
  fixgw_gw_config_t c;
  fx_config(&c);
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) {
    c.prio.ring_size[l] = 4;
    c.prio.overflow[l] = FIXGW_OVERFLOW_BACKOFF;
    c.prio.backoff_ns[l] = 30 * 1000000ull;
  }
  fx_t f;
  fx_open(&f, &c);
  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 256, 64, 0, NULL), 0);
  fixgw_gw_producer_t *p;
  assert_int_equal(fixgw_gw_register(f.gw, &p), 0);
  for (int i = 0; i < 3; i++) {
    fixgw_msgbuf_t *m = fixgw_msgbuf_get(&pool);
    make_order(m, 0, FIXGW_PRIO_LOW, i);
    assert_int_equal(fixgw_gw_post(p, FIXGW_PRIO_LOW, m), 0);
  }
  /* Full, nobody drains: the wait runs to its bound. */
  fixgw_msgbuf_t *m = fixgw_msgbuf_get(&pool);
  make_order(m, 0, FIXGW_PRIO_LOW, 3);
  uint64_t t0 = mono_ms();
  assert_int_equal(fixgw_gw_post(p, FIXGW_PRIO_LOW, m), FIXGW_EFULL);
  uint64_t waited = mono_ms() - t0;
  assert_true(waited >= 25 && waited < 5000);
  fixgw_gw_stats_t st;
  fixgw_gw_stats(f.gw, &st);
  assert_true(st.level[FIXGW_PRIO_LOW].backoffs >= 1);
  assert_int_equal(st.level[FIXGW_PRIO_LOW].rejected, 1);
  /* Now with a longer bound than the gateway needs to make room: the
   * I/O thread starts while the post waits, takes the head, and the post
   * goes through. */
  fixgw_gw_destroy(f.gw);
  fixgw_store_destroy(&f.store[0]);
  fixgw_store_destroy(&f.store[1]);
  fixgw_msgbuf_put(m);
  outcomes_reset();
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) c.prio.backoff_ns[l] = 5000 * 1000000ull;
  fx_open(&f, &c);
  assert_int_equal(fixgw_gw_register(f.gw, &p), 0);
  for (int i = 0; i < 3; i++) {
    m = fixgw_msgbuf_get(&pool);
    make_order(m, 0, FIXGW_PRIO_LOW, i);
    assert_int_equal(fixgw_gw_post(p, FIXGW_PRIO_LOW, m), 0);
  }
  late_arg_t la = {.p = p, .m = fixgw_msgbuf_get(&pool)};
  make_order(la.m, 0, FIXGW_PRIO_LOW, 3);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, late_post, &la), 0);
  nap_us(30000);
  static cons_arg_t cons;
  cons_init(&cons, f.gw);
  pthread_t ct;
  assert_int_equal(pthread_create(&ct, NULL, consumer, &cons), 0);
  assert_int_equal(fixgw_gw_start(f.gw, NULL), 0);
  pthread_join(t, NULL);
  assert_int_equal(la.rc, 0);
  assert_true(la.waited_ms >= 20 && la.waited_ms < 5000);
  assert_int_equal(wait_sent(4, 10000), 4);
  wait_got(&cons, 4, 10000);
  atomic_store(&cons.stop, 1);
  pthread_join(ct, NULL);
  assert_int_equal(fixgw_gw_stop(f.gw, 2000), 0);
  assert_int_equal(cons.got, 4);
  assert_int_equal(atomic_load(&g_out.sent), 4);
  fx_close(&f);
  m = fixgw_msgbuf_get(&pool);
  fixgw_msgbuf_put(m);
  fixgw_msgpool_destroy(&pool);
}

/* Inbound: with every buffer held by the application, the gateway stops
 * reading SERVER (TCP holds the rest); released, everything arrives once
 * and in order. */
static void test_backpressure_inbound(void **state) {
  (void)state;
  outcomes_reset();
  fixgw_gw_config_t c;
  fx_config(&c);
  c.inbound_buffers = 8;
  fx_t f;
  fx_open(&f, &c);
  assert_int_equal(fixgw_gw_start(f.gw, NULL), 0);
  fx_wait_logon(&f);
  static cons_arg_t cons;
  cons_init(&cons, f.gw);
  cons.hold = 64; /* more than there are buffers */
  pthread_t ct;
  assert_int_equal(pthread_create(&ct, NULL, consumer, &cons), 0);
  prod_arg_t pa = {.gw = f.gw, .id = 0, .count = 300, .seed = 7};
  pthread_t pt;
  assert_int_equal(pthread_create(&pt, NULL, producer, &pa), 0);
  /* All 300 are written (socket buffers take them), 8 reach the app. */
  assert_int_equal(wait_sent(300, 10000), 300);
  nap_us(100000);
  fixgw_gw_stats_t st;
  fixgw_gw_stats(f.gw, &st);
  assert_int_equal(st.inbound, 8);
  assert_true(st.holds >= 1);
  assert_int_equal(st.inbound_refused, 0);
  atomic_store(&cons.let_go, 1);
  wait_got(&cons, 300, 10000);
  atomic_store(&cons.stop, 1);
  pthread_join(ct, NULL);
  pthread_join(pt, NULL);
  /* Idle, the I/O thread sleeps in epoll_wait (block mode): a few turns
   * in 300 ms (idle_sleep_ms 100, plus wake-ups), not a spin. */
  fixgw_gw_stats(f.gw, &st);
  uint64_t turns0 = st.turns;
  nap_us(300000);
  fixgw_gw_stats(f.gw, &st);
  assert_true(st.turns - turns0 < 50);
  assert_int_equal(fixgw_gw_stop(f.gw, 2000), 0);
  assert_int_equal(cons.got, 300);
  assert_int_equal(cons.order_errors, 0);
  fixgw_gw_stats(f.gw, &st);
  assert_int_equal(st.inbound, 300);
  fx_close(&f);
}

/* Stop while producers post and messages are in flight: every post is
 * either returned (ESTOPPED to the poster) or has exactly one outcome;
 * everything sent is received exactly once. */
static void test_stop_in_flight(void **state) {
  (void)state;
  outcomes_reset();
  fixgw_gw_config_t c;
  fx_config(&c);
  fx_t f;
  fx_open(&f, &c);
  assert_int_equal(fixgw_gw_start(f.gw, NULL), 0);
  fx_wait_logon(&f);
  static cons_arg_t cons;
  cons_init(&cons, f.gw);
  pthread_t ct, pt[2];
  prod_arg_t pa[2];
  assert_int_equal(pthread_create(&ct, NULL, consumer, &cons), 0);
  for (int i = 0; i < 2; i++) {
    pa[i] = (prod_arg_t){.gw = f.gw, .id = i, .count = 0, .seed = 11u + (uint32_t)i};
    assert_int_equal(pthread_create(&pt[i], NULL, producer, &pa[i]), 0);
  }
  /* Until traffic flows, then stop in the middle of it. */
  uint64_t until = mono_ms() + 5000;
  while (atomic_load(&g_out.sent) < 500 && mono_ms() < until) nap_us(1000);
  assert_true(atomic_load(&g_out.sent) >= 500);
  assert_int_equal(fixgw_gw_stop(f.gw, 3000), 0);
  for (int i = 0; i < 2; i++) pthread_join(pt[i], NULL);
  /* After stop: recv still hands out what was ringed. */
  atomic_store(&cons.stop, 1);
  pthread_join(ct, NULL);
  uint64_t posted = 0, outcomes = 0, sent = 0;
  for (int i = 0; i < 2; i++) {
    posted += (uint64_t)pa[i].posted;
    for (int n = 0; n < MAXN; n++) {
      int r = atomic_load(&g_out.result[i][n]);
      if (n < pa[i].posted) {
        assert_int_not_equal(r, 1); /* an outcome for every accepted post */
        outcomes++;
        if (r == 0) {
          sent++;
          assert_int_equal(cons.seen[i][n], 1);
        } else {
          assert_int_equal(cons.seen[i][n], 0);
        }
      } else {
        assert_int_equal(r, 1); /* never accepted: no outcome */
      }
    }
  }
  assert_int_equal(outcomes, posted);
  assert_int_equal(cons.got, sent);
  assert_int_equal(cons.order_errors, 0);
  fixgw_gw_stats_t st;
  fixgw_gw_stats(f.gw, &st);
  uint64_t sp = 0, ss = 0, sf = 0;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) {
    sp += st.level[l].posted;
    ss += st.level[l].sent;
    sf += st.level[l].failed;
  }
  assert_int_equal(sp, posted);
  assert_int_equal(ss + sf, posted);
  printf("stop in flight: posted %llu sent %llu failed %llu returned %d+%d\n",
         (unsigned long long)posted, (unsigned long long)ss, (unsigned long long)sf,
         pa[0].returned, pa[1].returned);
  fx_close(&f);
}

/* Stop while the peer's application keeps every buffer: SERVER stops
 * reading, CLIENT's socket and transmit buffer fill, the head waits for
 * room. The stop's drain cannot finish; what was queued but not written
 * fails with FIXGW_EIO (stored, a resend would bring it), the rest with
 * FIXGW_ESTOPPED; each accepted post still has exactly one outcome. */
static void test_stop_blocked_peer(void **state) {
  (void)state;
  outcomes_reset();
  fixgw_gw_config_t c;
  fx_config(&c);
  c.inbound_buffers = 8;
  fx_t f;
  fx_open_buf(&f, &c, 4096);
  assert_int_equal(fixgw_gw_start(f.gw, NULL), 0);
  fx_wait_logon(&f);
  static cons_arg_t cons;
  cons_init(&cons, f.gw);
  cons.hold = 64; /* never gives a buffer back until stopped */
  pthread_t ct, pt;
  assert_int_equal(pthread_create(&ct, NULL, consumer, &cons), 0);
  prod_arg_t pa = {.gw = f.gw, .id = 0, .count = 0, .seed = 5};
  assert_int_equal(pthread_create(&pt, NULL, producer, &pa), 0);
  /* Until the head waits for room in CLIENT's output. */
  fixgw_gw_stats_t st;
  uint64_t until = mono_ms() + 10000;
  do {
    nap_us(2000);
    fixgw_gw_stats(f.gw, &st);
  } while ((st.stalls == 0 || st.inflight == 0) && mono_ms() < until);
  assert_true(st.stalls >= 1);
  assert_true(st.inflight > 0);
  assert_int_equal(st.inbound, 8);
  assert_int_equal(fixgw_gw_stop(f.gw, 200), 0);
  pthread_join(pt, NULL);
  atomic_store(&cons.stop, 1);
  pthread_join(ct, NULL);
  int eio = 0, estopped = 0, sent = 0;
  for (int n = 0; n < MAXN; n++) {
    int r = atomic_load(&g_out.result[0][n]);
    if (n >= pa.posted) {
      assert_int_equal(r, 1);
      continue;
    }
    if (r == 0) sent++;
    else if (r == FIXGW_EIO) eio++;
    else if (r == FIXGW_ESTOPPED) estopped++;
    else assert_int_equal(r, FIXGW_EFULL); /* the head, if its wait ran out */
    if (cons.seen[0][n]) assert_int_equal(r, 0);
  }
  assert_true(eio >= 1);
  assert_true(sent >= 8);
  assert_int_equal(cons.got, 8);
  fixgw_gw_stats(f.gw, &st);
  uint64_t sp = 0, ss = 0, sf = 0;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) {
    sp += st.level[l].posted;
    ss += st.level[l].sent;
    sf += st.level[l].failed;
  }
  assert_int_equal(sp, (uint64_t)pa.posted);
  assert_int_equal(ss, (uint64_t)sent);
  assert_int_equal(ss + sf, sp);
  assert_int_equal(st.inflight, 0);
  printf("blocked peer: posted %d sent %d eio %d estopped %d\n", pa.posted, sent, eio, estopped);
  fx_close(&f);
}

/* Steady state allocates nothing: posts, the I/O thread's sends,
 * receives and inbound hand-over, recv and release (a counting malloc
 * interposer around the traffic; absent under sanitizers). */
static void test_no_alloc(void **state) {
  (void)state;
  outcomes_reset();
  fixgw_gw_config_t c;
  fx_config(&c);
  c.on_done = NULL; /* on_done asserts through cmocka, which may allocate */
  fx_t f;
  fx_open(&f, &c);
  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 256, 512, 0, NULL), 0);
  fixgw_gw_producer_t *p;
  assert_int_equal(fixgw_gw_register(f.gw, &p), 0);
  assert_int_equal(fixgw_gw_start(f.gw, NULL), 0);
  fx_wait_logon(&f);
  const int total = 2000;
  int posted = 0, got = 0, warm = 200;
  uint64_t until = mono_ms() + 20000;
  while ((posted < total || got < total) && mono_ms() < until) {
    fixgw_msgbuf_t *m;
    while (fixgw_gw_recv(f.gw, SERVER, &m) == 0) {
      got++;
      assert_int_equal(fixgw_gw_release(f.gw, m), 0);
    }
    if (posted == warm && got == warm) fixgw_alloc_count_reset(); /* warmed up */
    if (posted >= total || (posted == warm && got < warm)) continue;
    m = fixgw_msgbuf_get(&pool);
    if (!m) continue;
    make_order(m, 0, posted % 4, posted);
    if (fixgw_gw_post(p, (fixgw_prio_t)(posted % 4), m) == 0)
      posted++;
    else
      fixgw_msgbuf_put(m);
  }
  uint64_t calls = fixgw_alloc_count_calls();
  assert_int_equal(got, total);
  if (fixgw_alloc_count_available()) assert_int_equal(calls, 0);
  assert_int_equal(fixgw_gw_stop(f.gw, 2000), 0);
  fx_close(&f);
  assert_true(pool_all_back(&pool, 512));
  fixgw_msgpool_destroy(&pool);
}

/* A message for a session that never logs on (its peer refuses the
 * connection) fails with FIXGW_ESTATE once stall_ms has passed; a bad
 * session index fails with FIXGW_EINVAL; neither blocks the other. */
static void test_not_logged_on(void **state) {
  (void)state;
  outcomes_reset();
  fixgw_gw_config_t c;
  fx_config(&c);
  c.stall_ms = 50;
  fixgw_gw_t *gw;
  assert_int_equal(fixgw_gw_create(&c, &gw), 0);
  fixgw_store_t store;
  fixgw_session_config_t sc;
  session_cfg(&sc, &store, false);
  fixgw_net_hosts_t hosts;
  memset(&hosts, 0, sizeof hosts);
  hosts.count = 1;
  snprintf(hosts.host[0].host, sizeof hosts.host[0].host, "127.0.0.1");
  hosts.host[0].port = 1; /* nothing listens: refused */
  fixgw_gw_session_opts_t o;
  fixgw_gw_session_opts_default(&o);
  o.session = &sc;
  o.hosts = &hosts;
  uint32_t idx;
  assert_int_equal(fixgw_gw_add_session(gw, &o, &idx), 0);
  assert_int_equal(idx, 0);
  o.hosts = NULL; /* an initiator needs hosts */
  assert_int_equal(fixgw_gw_add_session(gw, &o, &idx), FIXGW_EINVAL);
  fixgw_msgpool_t pool;
  assert_int_equal(fixgw_msgpool_init(&pool, 256, 8, 0, NULL), 0);
  fixgw_gw_producer_t *p;
  assert_int_equal(fixgw_gw_register(gw, &p), 0);
  fixgw_msgbuf_t *m = fixgw_msgbuf_get(&pool);
  make_order(m, 0, 0, 0);
  fixgw_gw_hdr(m)->session = 0;
  assert_int_equal(fixgw_gw_post(p, FIXGW_PRIO_HIGH, m), 0);
  m = fixgw_msgbuf_get(&pool);
  make_order(m, 0, 0, 1);
  fixgw_gw_hdr(m)->session = 99;
  assert_int_equal(fixgw_gw_post(p, FIXGW_PRIO_NORMAL, m), 0);
  uint64_t t0 = mono_ms();
  assert_int_equal(fixgw_gw_start(gw, NULL), 0);
  assert_int_equal(fixgw_gw_start(gw, NULL), FIXGW_ESTATE);
  assert_int_equal(wait_sent(2, 5000), 2);
  assert_true(mono_ms() - t0 >= 45);
  assert_int_equal(atomic_load(&g_out.result[0][0]), FIXGW_ESTATE);
  assert_int_equal(atomic_load(&g_out.result[0][1]), FIXGW_EINVAL);
  fixgw_gw_stats_t st;
  fixgw_gw_stats(gw, &st);
  assert_true(st.stalls >= 1);
  assert_int_equal(fixgw_gw_stop(gw, 500), 0);
  assert_int_equal(fixgw_gw_stop(gw, 500), FIXGW_ESTATE);
  fixgw_gw_destroy(gw);
  fixgw_store_destroy(&store);
  m = fixgw_msgbuf_get(&pool);
  fixgw_msgbuf_put(m);
  fixgw_pool_stats_t ps;
  fixgw_pool_stats(&pool.pool, &ps);
  assert_int_equal(ps.in_use, 0);
  fixgw_msgpool_destroy(&pool);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_msg_build),
      cmocka_unit_test(test_mixed_load),
      cmocka_unit_test(test_priority_strict),
      cmocka_unit_test(test_priority_aging),
      cmocka_unit_test(test_backpressure_reject),
      cmocka_unit_test(test_backpressure_wait),
      cmocka_unit_test(test_backpressure_inbound),
      cmocka_unit_test(test_stop_in_flight),
      cmocka_unit_test(test_stop_blocked_peer),
      cmocka_unit_test(test_not_logged_on),
      cmocka_unit_test(test_no_alloc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
