/* The threaded gateway's queue -> wire latency, per priority: from
 * fixgw_gw_post's timestamp to the return of the socket write that put the
 * message's last byte into the kernel, as the gateway records it.
 *
 * Placement (the machine has 2 cores):
 *   CPU 0  the benchmark thread: posts (one producer handle) and, while
 *          it waits for the next message's time, turns its own net/ loop
 *          (epoll_wait(0)) driving the peer, the acceptor SERVER, which
 *          reads and counts every order
 *   CPU 1  the gateway's I/O thread, spinning (cfg.spin: epoll_wait(0)),
 *          driving CLIENT, the initiator, over 127.0.0.1 TCP
 * Scenarios (one iteration = one message, NewOrderSingle of ~60 body
 * bytes, ~150 on the wire):
 *   mixed/<batch>       RATE msgs/s, evenly spaced: 1% Critical (the
 *                       high-priority stream), 70% Normal, 29% Low
 *   crit_alone/<batch>  Critical only, every CRIT_GAP_NS
 *   crit_sat/<batch>    the same Critical stream, and Low posted as fast
 *                       as the ring takes it in between, in bursts of 64
 *                       (saturating: the I/O thread never idles; `full`
 *                       counts the posts its ring refused)
 *   tcp_send            the floor under every figure: one send(2) of 150
 *                       bytes on a 127.0.0.1 TCP socket (TCP_NODELAY),
 *                       timed alone, the reader on the same thread
 * <batch> is cfg.batch (messages taken per turn before a flush).
 * Counters: p50/p99 per level (ns), crit_mean, sent/s. Run:
 *   bench_gateway --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
 *                 --benchmark_enable_random_interleaving=true
 * (medians are the figures; compare crit_p99 of crit_sat and crit_alone). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixgw/gateway.h"
#include "fixgw/store.h"
#include "fixgw_bench.h"

#ifndef FIXGW_BENCH_BUILD_TYPE
#define FIXGW_BENCH_BUILD_TYPE "?"
#endif

#define POOL 8192
#define RATE 50000
#define CRIT_GAP_NS 50000ull
#define BENCH_CPU 0
#define IO_CPU 1
#define CLIENT 0u

static fixgw_clock_t clk;

/* FIXGW_BENCH_FIFO=<prio>: the I/O thread and the benchmark thread run
 * SCHED_FIFO at prio, so other processes on a shared machine do not take
 * their CPU in the middle of a measurement; each run is followed by a
 * pause that keeps the spinning threads under the kernel's RT throttle
 * (95% of each second). Use with --benchmark_min_time=0.3 or less. */
static int fifo;

static void pin_self(int cpu) {
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

static void fifo_cooldown(void) {
  if (!fifo) return;
  struct timespec ts = {0, 400000000};
  nanosleep(&ts, NULL);
}

static int64_t utc_now(void) {
  struct timespec r;
  clock_gettime(CLOCK_REALTIME, &r);
  return (int64_t)r.tv_sec * 1000000000 + r.tv_nsec;
}

typedef struct env {
  fixgw_gw_t *gw;
  fixgw_loop_t *peer_loop;
  fixgw_router_t *router;
  fixgw_session_t *server;
  uint64_t orders_in;
  fixgw_store_t st[2];
  fixgw_msgpool_t pool;
  fixgw_gw_producer_t *p;
  uint64_t full;
} env_t;

static int session_cfg(fixgw_session_config_t *c, fixgw_store_t *st, bool acceptor) {
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  mc.max_messages = 1024;
  mc.max_bytes = 1u << 20;
  mc.now_utc_ns = utc_now();
  if (fixgw_mem_store_create(&mc, st)) return -1;
  fixgw_session_config_default(c);
  c->role = acceptor ? FIXGW_ACCEPTOR : FIXGW_INITIATOR;
  snprintf(c->id.sender_comp_id, sizeof c->id.sender_comp_id, "%s", acceptor ? "SERVER" : "CLIENT");
  snprintf(c->id.target_comp_id, sizeof c->id.target_comp_id, "%s", acceptor ? "CLIENT" : "SERVER");
  c->heartbeat_interval_s = 30;
  c->persist_messages = false; /* resends would be gap fills: no growth */
  c->tx_buffer_size = 256u << 10;
  c->rx_buffer_size = 64u << 10;
  c->check_latency = false;
  c->store = *st;
  return 0;
}

static void drain_in(env_t *e) { (void)fixgw_loop_run_once(e->peer_loop, 0); }

static int on_order(fixgw_session_t *s, const fixgw_msg_t *m, void *user) {
  (void)s;
  (void)m;
  ((env_t *)user)->orders_in++;
  return FIXGW_CB_OK;
}

static int env_open(env_t *e, uint32_t batch) {
  memset(e, 0, sizeof *e);
  fixgw_gw_config_t c;
  fixgw_gw_config_default(&c);
  c.prio.max_producers = 1;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) c.prio.ring_size[l] = 1024;
  c.spin = true;
  c.cpu = IO_CPU;
  c.rt_priority = fifo;
  c.batch = batch;
  c.clock = &clk;
  c.inflight = 4096;
  if (fixgw_gw_create(&c, &e->gw)) return -1;
  fixgw_session_config_t sc;
  fixgw_gw_session_opts_t o;
  uint16_t port;
  /* The peer: SERVER on the benchmark thread's own loop. */
  if (session_cfg(&sc, &e->st[0], true)) return -1;
  fixgw_session_callbacks_t cb;
  memset(&cb, 0, sizeof cb);
  cb.size = sizeof cb;
  cb.on_app = on_order;
  if (fixgw_session_create(&sc, &cb, e, &e->server)) return -1;
  fixgw_loop_config_t lc;
  fixgw_loop_config_default(&lc);
  lc.busy_poll = true;
  if (fixgw_loop_create(&lc, &e->peer_loop)) return -1;
  if (fixgw_router_create(1, NULL, &e->router)) return -1;
  if (fixgw_router_add(e->router, &sc.id, e->server)) return -1;
  fixgw_net_acceptor_opts_t ao;
  fixgw_net_acceptor_opts_default(&ao);
  ao.router = e->router;
  if (fixgw_net_acceptor_listen(e->peer_loop, "127.0.0.1", 0, &port, &ao)) return -1;
  if (session_cfg(&sc, &e->st[1], false)) return -1;
  fixgw_net_hosts_t hosts;
  memset(&hosts, 0, sizeof hosts);
  hosts.count = 1;
  snprintf(hosts.host[0].host, sizeof hosts.host[0].host, "127.0.0.1");
  hosts.host[0].port = port;
  fixgw_gw_session_opts_default(&o);
  o.session = &sc;
  o.hosts = &hosts;
  if (fixgw_gw_add_session(e->gw, &o, NULL)) return -1;
  if (fixgw_msgpool_init(&e->pool, 256, POOL, 0, NULL)) return -1;
  if (fixgw_gw_register(e->gw, &e->p)) return -1;
  if (fixgw_gw_start(e->gw, NULL)) return -1;
  uint64_t until = fixgw_clock_mono_ns() + 5000000000ull;
  while (!(fixgw_gw_logged_on(e->gw, CLIENT) && fixgw_session_is_logged_on(e->server))) {
    drain_in(e);
    if (fixgw_clock_mono_ns() > until) return -1;
  }
  return 0;
}

static void env_close(env_t *e) {
  /* Everything is written by now (settle); the peer is not turned while
   * we stop, so its Logout answer is not waited for long. */
  fixgw_gw_stop(e->gw, 100);
  fixgw_gw_destroy(e->gw);
  fixgw_loop_destroy(e->peer_loop);
  fixgw_session_destroy(e->server);
  fixgw_router_destroy(e->router);
  fixgw_store_destroy(&e->st[0]);
  fixgw_store_destroy(&e->st[1]);
  fixgw_msgpool_destroy(&e->pool);
  fifo_cooldown();
}

/* Post one order at lv; retries (draining inbound) while the pool or the
 * ring is full. Returns 0, or -1 when it could not post in 1 s. */
static int post(env_t *e, fixgw_prio_t lv, uint64_t n, int once) {
  uint64_t until = 0;
  for (;;) {
    fixgw_msgbuf_t *m = fixgw_msgbuf_get(&e->pool);
    if (m) {
      char body[96];
      int len = snprintf(body, sizeof body,
                         "11=%llu\x01" "38=100\x01" "40=2\x01" "44=101.25\x01" "54=1\x01"
                         "55=FIXGW\x01",
                         (unsigned long long)n);
      fixgw_gw_msg_set(m, CLIENT, "D", body, (size_t)len);
      int rc = fixgw_gw_post(e->p, lv, m);
      if (rc == 0) return 0;
      fixgw_msgbuf_put(m);
      e->full++;
      if (once) return 1;
    }
    drain_in(e);
    if (!until) until = fixgw_clock_mono_ns() + 1000000000ull;
    else if (fixgw_clock_mono_ns() > until) return -1;
  }
}

static void report(fixgw_bench_state *st, env_t *e) {
  static const char *nm[FIXGW_PRIO_LEVELS] = {"crit", "high", "norm", "low"};
  char key[32];
  uint64_t sent = 0;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) {
    const fixgw_hist_t *h = fixgw_gw_latency(e->gw, (fixgw_prio_t)l);
    if (fixgw_hist_count(h) == 0) continue;
    fixgw_hist_summary_t s;
    fixgw_hist_summarize(h, &s);
    sent += s.count;
    snprintf(key, sizeof key, "%s_p50", nm[l]);
    fixgw_bench_counter(st, key, (double)s.p50, false, false);
    snprintf(key, sizeof key, "%s_p99", nm[l]);
    fixgw_bench_counter(st, key, (double)s.p99, false, false);
    if (l == 0) fixgw_bench_counter(st, "crit_mean", s.mean, false, false);
  }
  fixgw_gw_stats_t gs;
  fixgw_gw_stats(e->gw, &gs);
  uint64_t failed = 0;
  for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) failed += gs.level[l].failed;
  if (failed) fixgw_bench_error(st, "messages failed");
  if (getenv("FIXGW_BENCH_VERBOSE"))
    fprintf(stderr, "turns %llu stalls %llu orders_in %llu sent %llu\n",
            (unsigned long long)gs.turns, (unsigned long long)gs.stalls,
            (unsigned long long)e->orders_in, (unsigned long long)sent);
  fixgw_bench_counter(st, "sent", (double)sent, true, false);
}

/* Wait until every posted message is written, draining inbound. */
static void settle(env_t *e, uint64_t posted) {
  uint64_t until = fixgw_clock_mono_ns() + 5000000000ull;
  for (;;) {
    fixgw_gw_stats_t gs;
    fixgw_gw_stats(e->gw, &gs);
    uint64_t done = 0;
    for (int l = 0; l < FIXGW_PRIO_LEVELS; l++) done += gs.level[l].sent + gs.level[l].failed;
    if (done >= posted || fixgw_clock_mono_ns() > until) break;
    drain_in(e);
  }
}

enum { SC_MIXED = 0, SC_ALONE = 1, SC_SAT = 2 };

static void run(fixgw_bench_state *st, void *arg) {
  int sc = (int)(intptr_t)arg;
  uint32_t batch = (uint32_t)fixgw_bench_range(st, 0);
  pin_self(BENCH_CPU);
  env_t e;
  if (env_open(&e, batch)) {
    fixgw_bench_error(st, "gateway setup failed");
    return;
  }
  uint64_t n = 0, posted = 0;
  const uint64_t gap = sc == SC_MIXED ? 1000000000ull / RATE : CRIT_GAP_NS;
  uint64_t next = fixgw_clock_now_ns(&clk) + gap;
  /* One iteration = one timed (scheduled) message; crit_sat adds Low
   * messages in between that are not iterations. */
  while (fixgw_bench_keep_running_batch(st, 100)) {
    for (int k = 0; k < 100; k++) {
      while (fixgw_clock_now_ns(&clk) < next) {
        if (sc == SC_SAT) {
          /* A burst per peer turn: one Low per turn would leave the rate
           * to this thread's peer work, not to the gateway. */
          for (int j = 0; j < 64; j++) {
            if (post(&e, FIXGW_PRIO_LOW, n++, 1) != 0) break;
            posted++;
          }
        }
        drain_in(&e);
      }
      next += gap;
      fixgw_prio_t lv = FIXGW_PRIO_CRITICAL;
      if (sc == SC_MIXED) {
        uint64_t r = n % 100;
        lv = r == 0 ? FIXGW_PRIO_CRITICAL : r < 71 ? FIXGW_PRIO_NORMAL : FIXGW_PRIO_LOW;
      }
      if (post(&e, lv, n++, 0) != 0) {
        fixgw_bench_error(st, "post timed out");
        env_close(&e);
        return;
      }
      posted++;
    }
  }
  /* The loop is over: what follows is not timed. */
  settle(&e, posted);
  report(st, &e);
  fixgw_bench_counter(st, "full", (double)e.full, false, false);
  env_close(&e);
}

static void tcp_send(fixgw_bench_state *st, void *arg) {
  (void)arg;
  pin_self(IO_CPU);
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1) ||
      getsockname(ls, (struct sockaddr *)&a, &al)) {
    fixgw_bench_error(st, "socket setup failed");
    return;
  }
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a)) {
    fixgw_bench_error(st, "connect failed");
    return;
  }
  int r = accept(ls, NULL, NULL);
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char msg[150], sink[4096];
  memset(msg, 'x', sizeof msg);
  fixgw_hist_t *h = calloc(1, sizeof *h);
  fixgw_hist_reset(h);
  while (fixgw_bench_keep_running_batch(st, 100)) {
    for (int k = 0; k < 100; k++) {
      uint64_t t0 = fixgw_clock_now_ns(&clk);
      if (send(c, msg, sizeof msg, MSG_NOSIGNAL) != (ssize_t)sizeof msg) {
        fixgw_bench_error(st, "send failed");
        break;
      }
      fixgw_hist_record(h, (int64_t)(fixgw_clock_now_ns(&clk) - t0));
      while (recv(r, sink, sizeof sink, MSG_DONTWAIT) > 0) {
      }
    }
  }
  fixgw_hist_summary_t s;
  fixgw_hist_summarize(h, &s);
  fixgw_bench_counter(st, "send_p50", (double)s.p50, false, false);
  fixgw_bench_counter(st, "send_p99", (double)s.p99, false, false);
  fixgw_bench_counter(st, "send_mean", s.mean, false, false);
  free(h);
  close(r);
  close(c);
  close(ls);
}

int main(int argc, char **argv) {
  fixgw_clock_init(&clk, 0);
  const char *f = getenv("FIXGW_BENCH_FIFO");
  if (f) fifo = atoi(f);
  char buf[96];
  snprintf(buf, sizeof buf, "%s, bench thread CPU %d, I/O thread CPU %d (spin)%s",
           FIXGW_BENCH_BUILD_TYPE, BENCH_CPU, IO_CPU, fifo ? ", SCHED_FIFO" : "");
  fixgw_bench_context("fixgw_gateway", buf);
  snprintf(buf, sizeof buf, "%s", clk.use_tsc ? "tsc" : "CLOCK_MONOTONIC");
  fixgw_bench_context("fixgw_clock", buf);
  static const int64_t batches[] = {1, 4, 16};
  fixgw_bench_register("mixed", run, (void *)(intptr_t)SC_MIXED, batches, 3, 0);
  fixgw_bench_register("crit_alone", run, (void *)(intptr_t)SC_ALONE, batches, 3, 0);
  fixgw_bench_register("crit_sat", run, (void *)(intptr_t)SC_SAT, batches, 3, 0);
  fixgw_bench_register("tcp_send", tcp_send, NULL, NULL, 0, 0);
  return fixgw_bench_main(&argc, argv);
}
