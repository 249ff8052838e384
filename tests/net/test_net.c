/* net/: an acceptor and initiators over loopback (127.0.0.1 and ::1) in
 * one process, each side driven by its own fixgw_loop_t. Every wait is a
 * loop of turns bounded in time (RUN_UNTIL) and in count. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "fixgw/net.h"
#include "fixgw/router.h"
#include "fixgw/session.h"
#include "fixgw/store.h"

static bool verbose;

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static fixgw_now_t now_(void) {
  struct timespec m, r;
  clock_gettime(CLOCK_MONOTONIC, &m);
  clock_gettime(CLOCK_REALTIME, &r);
  fixgw_now_t n = {(uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec,
                   (int64_t)r.tv_sec * 1000000000 + r.tv_nsec};
  return n;
}

/* ------------------------------------------------------------ log lines */

#define LOG_LINES 512
static char g_log[LOG_LINES][256];
static unsigned g_nlog;

static void record(const char *who, const char *line) {
  snprintf(g_log[g_nlog % LOG_LINES], sizeof g_log[0], "%s: %s", who, line);
  g_nlog++;
  if (verbose) printf("  [%s] %s\n", who, line);
}

static bool logged(const char *needle) {
  unsigned n = g_nlog < LOG_LINES ? g_nlog : LOG_LINES;
  for (unsigned i = 0; i < n; i++)
    if (strstr(g_log[i], needle)) return true;
  return false;
}

static void loop_log(fixgw_loop_t *l, fixgw_log_level lv, const char *line, void *user) {
  (void)l;
  (void)lv;
  record(user, line);
}

/* ---------------------------------------------------------------- peers */

typedef struct peer {
  char name[32];
  fixgw_session_t *s;
  fixgw_store_t store;
  bool initiator;
  unsigned logons, logouts;
  fixgw_disconnect_reason last_logout;
  unsigned orders_in; /* acceptor: NewOrderSingle received */
  unsigned acks_in;   /* initiator: ExecutionReport received */
  unsigned to_send;   /* initiator: orders wanted in all */
  unsigned sent;
  bool send_on_logon;
  fixgw_loop_t *loop; /* set: check re-entry is refused from on_logon */
  bool reentry_checked;
} peer_t;

static int send_order(peer_t *p) {
  fixgw_now_t now = now_();
  fixgw_encoder_t *e;
  int rc = fixgw_session_send_begin(p->s, "D", NULL, now, &e);
  if (rc) return rc;
  char id[32];
  snprintf(id, sizeof id, "ORD-%u", p->sent);
  fixgw_enc_cstr(e, 11, id);
  fixgw_enc_cstr(e, 55, "MSFT");
  fixgw_enc_char(e, 54, '1');
  fixgw_enc_timestamp(e, 60, now.utc_ns, FIXGW_TS_MILLIS);
  fixgw_enc_decimal(e, 38, (fixgw_decimal_t){100, 0});
  fixgw_enc_char(e, 40, '1');
  rc = fixgw_session_send_commit(p->s, NULL);
  if (rc == 0) p->sent++;
  return rc;
}

static int send_er(peer_t *p, const char *clordid, size_t n) {
  fixgw_encoder_t *e;
  int rc = fixgw_session_send_begin(p->s, "8", NULL, now_(), &e);
  if (rc) return rc;
  fixgw_enc_uint(e, 6, 0);
  fixgw_enc_str(e, 11, clordid, n);
  fixgw_enc_uint(e, 14, 0);
  fixgw_enc_uint(e, 17, p->orders_in);
  fixgw_enc_uint(e, 37, p->orders_in);
  fixgw_enc_char(e, 39, '0');
  fixgw_enc_char(e, 54, '1');
  fixgw_enc_cstr(e, 55, "MSFT");
  fixgw_enc_char(e, 150, '0');
  fixgw_enc_uint(e, 151, 100);
  return fixgw_session_send_commit(p->s, NULL);
}

static int on_app(fixgw_session_t *s, const fixgw_msg_t *m, void *u) {
  (void)s;
  peer_t *p = u;
  if (m->msgtype.len != 1) return FIXGW_CB_UNSUPPORTED;
  if (!p->initiator && m->msgtype.ptr[0] == 'D') {
    p->orders_in++;
    fixgw_str_t id = {"?", 1};
    fixgw_msg_get_str(m, 11, &id);
    /* From a callback a send only queues; the loop writes it after. */
    assert_int_equal(send_er(p, id.ptr, id.len), 0);
    return FIXGW_CB_OK;
  }
  if (p->initiator && m->msgtype.ptr[0] == '8') {
    p->acks_in++;
    if (p->sent < p->to_send) assert_int_equal(send_order(p), 0);
    return FIXGW_CB_OK;
  }
  return FIXGW_CB_UNSUPPORTED;
}

static void on_logon(fixgw_session_t *s, void *u) {
  (void)s;
  peer_t *p = u;
  p->logons++;
  if (p->loop) {
    assert_int_equal(fixgw_loop_run_once(p->loop, 0), FIXGW_EBUSY);
    assert_int_equal(fixgw_loop_run(p->loop, NULL), FIXGW_EBUSY);
    assert_int_equal(fixgw_loop_drop(p->loop, s, FIXGW_DR_HOST), FIXGW_EBUSY);
    assert_int_equal(fixgw_loop_remove(p->loop, s), FIXGW_EBUSY);
    assert_int_equal(fixgw_loop_logout_all(p->loop, NULL), FIXGW_EBUSY);
    p->reentry_checked = true;
  }
  if (p->initiator && p->send_on_logon && p->sent < p->to_send)
    assert_int_equal(send_order(p), 0);
}

static void on_logout(fixgw_session_t *s, fixgw_disconnect_reason why, void *u) {
  (void)s;
  peer_t *p = u;
  p->logouts++;
  p->last_logout = why;
}

static void on_slog(fixgw_session_t *s, fixgw_log_level lv, const char *line, void *u) {
  (void)s;
  (void)lv;
  record(((peer_t *)u)->name, line);
}

/* HeartBtInt of the peers made next, and whether the loops made next run
 * with host_wakes (set and restored by the tests that want them). */
static uint32_t g_hb = 30;
static bool g_host_wakes;

static void peer_init(peer_t *p, const char *name, bool initiator, const char *sender,
                      const char *target) {
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  p->initiator = initiator;
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  mc.max_messages = 1024;
  mc.max_bytes = 64 * 1024; /* 200 sessions in one test: keep them small */
  mc.now_utc_ns = now_().utc_ns;
  assert_int_equal(fixgw_mem_store_create(&mc, &p->store), 0);
  fixgw_session_config_t c;
  fixgw_session_config_default(&c);
  c.role = initiator ? FIXGW_INITIATOR : FIXGW_ACCEPTOR;
  c.id.version = FIXGW_V_FIX44;
  snprintf(c.id.sender_comp_id, sizeof c.id.sender_comp_id, "%s", sender);
  snprintf(c.id.target_comp_id, sizeof c.id.target_comp_id, "%s", target);
  c.heartbeat_interval_s = g_hb;
  c.store = p->store;
  fixgw_session_callbacks_t cb;
  memset(&cb, 0, sizeof cb);
  cb.size = sizeof cb;
  cb.on_app = on_app;
  cb.on_logon = on_logon;
  cb.on_logout = on_logout;
  cb.on_log = on_slog;
  assert_int_equal(fixgw_session_create(&c, &cb, p, &p->s), 0);
}

static void peer_free(peer_t *p) {
  assert_int_equal(fixgw_session_destroy(p->s), 0);
  fixgw_store_destroy(&p->store);
}

/* ---------------------------------------------------------------- loops */

static unsigned g_closed;
static fixgw_disconnect_reason g_closed_why;

static void on_closed(fixgw_loop_t *l, fixgw_session_t *s, fixgw_disconnect_reason why,
                      void *user) {
  (void)l;
  (void)user;
  assert_int_equal(fixgw_session_state_get(s), FIXGW_SS_DISCONNECTED);
  g_closed++;
  g_closed_why = why;
}

static fixgw_loop_t *make_loop(const char *name, uint32_t max_conns, bool busy) {
  fixgw_loop_config_t cfg;
  fixgw_loop_config_default(&cfg);
  cfg.max_connections = max_conns;
  cfg.max_sessions = max_conns;
  cfg.max_pending = max_conns; /* every client may call at once */
  cfg.busy_poll = busy;
  cfg.host_wakes = g_host_wakes;
  cfg.seed = 42;
  cfg.on_log = loop_log;
  cfg.on_closed = on_closed;
  cfg.user = (void *)name;
  fixgw_loop_t *l = NULL;
  assert_int_equal(fixgw_loop_create(&cfg, &l), 0);
  return l;
}

/* One turn of each loop; with both, neither sleeps (they share a thread). */
static void turn(fixgw_loop_t *a, fixgw_loop_t *b) {
  if (a) assert_true(fixgw_loop_run_once(a, b ? 0 : 5) >= 0);
  if (b) assert_true(fixgw_loop_run_once(b, a ? 0 : 5) >= 0);
}

#define MAX_TURNS 20000000u
#define RUN_UNTIL(a, b, cond, ms)                                                  \
  do {                                                                             \
    uint64_t end_ = mono_ms() + (ms);                                              \
    unsigned turns_ = 0;                                                           \
    while (!(cond)) {                                                              \
      if (mono_ms() > end_ || ++turns_ > MAX_TURNS)                                \
        fail_msg("gave up after %u ms / %u turns waiting for %s", (unsigned)(ms),  \
                 turns_, #cond);                                                   \
      turn(a, b);                                                                  \
    }                                                                              \
  } while (0)

static fixgw_router_t *router_for(peer_t *acc, uint32_t capacity) {
  fixgw_router_t *r = NULL;
  assert_int_equal(fixgw_router_create(capacity, NULL, &r), 0);
  if (acc) assert_int_equal(fixgw_router_add(r, fixgw_session_id(acc->s), acc->s), 0);
  return r;
}

static uint16_t listen_on(fixgw_loop_t *l, const char *host, fixgw_router_t *r,
                          fixgw_net_template_cb tcb, void *user, int sndbuf) {
  fixgw_net_acceptor_opts_t o;
  fixgw_net_acceptor_opts_default(&o);
  o.router = r;
  o.on_template = tcb;
  o.user = user;
  o.sock.sndbuf = sndbuf;
  uint16_t port = 0;
  assert_int_equal(fixgw_net_acceptor_listen(l, host, 0, &port, &o), 0);
  assert_true(port != 0);
  return port;
}

static void host_set(fixgw_net_hosts_t *h, const char *host, uint16_t port) {
  uint32_t i = h->count++;
  snprintf(h->host[i].host, sizeof h->host[i].host, "%s", host);
  h->host[i].port = port;
}

/* ---------------------------------------------------------- raw sockets */

/* A blocking loopback connect (the listener's backlog completes it), then
 * non-blocking so the test thread can keep turning the loops. */
static int raw_connect(uint16_t port, int rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  if (rcvbuf) assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
  return fd;
}

static void raw_send(int fd, const char *p, size_t n) {
  assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* true once the peer has closed (EOF or reset); data is read and dropped. */
static bool raw_closed(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) continue;
    if (n == 0) return true;
    return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

/* A whole FIX 4.4 message from a body written with '|' for SOH: BodyLength
 * and CheckSum computed here. */
static size_t build_msg(char *out, size_t cap, const char *body_pipes) {
  size_t blen;
  const char *body = fixgw_t_soh(body_pipes, &blen);
  int n = snprintf(out, cap, "8=FIX.4.4\0019=%zu\001", blen);
  assert_true(n > 0 && (size_t)n + blen + 8 < cap);
  memcpy(out + n, body, blen);
  size_t len = (size_t)n + blen;
  unsigned sum = 0;
  for (size_t i = 0; i < len; i++) sum += (unsigned char)out[i];
  len += (size_t)snprintf(out + len, cap - len, "10=%03u\001", sum % 256);
  return len;
}

static void utc_stamp(char *buf, size_t n) {
  struct timespec r;
  clock_gettime(CLOCK_REALTIME, &r);
  struct tm tm;
  gmtime_r(&r.tv_sec, &tm);
  snprintf(buf, n, "%04d%02d%02d-%02d:%02d:%02d.%03ld", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, r.tv_nsec / 1000000);
}

static size_t build_logon(char *out, size_t cap, const char *sender, const char *target) {
  char ts[64], body[256];
  utc_stamp(ts, sizeof ts);
  snprintf(body, sizeof body, "35=A|34=1|49=%s|52=%s|56=%s|98=0|108=30|", sender, ts, target);
  return build_msg(out, cap, body);
}

/* --------------------------------------------------------------- fixture */

typedef struct pairing {
  fixgw_loop_t *la, *lb; /* acceptor's loop, initiator's loop */
  fixgw_router_t *r;
  peer_t acc, ini;
  uint16_t port;
} pairing_t;

static void pairing_start(pairing_t *p, unsigned orders, bool busy) {
  memset(p, 0, sizeof *p);
  p->la = make_loop("acc-loop", 64, false);
  p->lb = make_loop("ini-loop", 64, busy);
  peer_init(&p->acc, "acc", false, "SERVER", "CLIENT");
  peer_init(&p->ini, "ini", true, "CLIENT", "SERVER");
  p->ini.to_send = orders;
  p->ini.send_on_logon = true;
  p->r = router_for(&p->acc, 4);
  p->port = listen_on(p->la, "127.0.0.1", p->r, NULL, NULL, 0);
  p->ini.loop = p->lb;
  p->acc.loop = p->la;
  fixgw_net_hosts_t h = {0};
  host_set(&h, "127.0.0.1", p->port);
  assert_int_equal(fixgw_net_initiator_add(p->lb, p->ini.s, &h, 0, NULL), 0);
  RUN_UNTIL(p->la, p->lb, p->ini.logons == 1 && p->acc.logons == 1, 5000);
  assert_true(p->ini.reentry_checked && p->acc.reentry_checked);
}

static void pairing_logout(pairing_t *p) {
  assert_int_equal(fixgw_loop_logout_all(p->lb, NULL), 0);
  RUN_UNTIL(p->la, p->lb,
            fixgw_loop_stats(p->la)->attached == 0 && fixgw_loop_stats(p->lb)->attached == 0,
            5000);
}

static void pairing_end(pairing_t *p) {
  fixgw_loop_destroy(p->la);
  fixgw_loop_destroy(p->lb);
  fixgw_router_destroy(p->r);
  peer_free(&p->acc);
  peer_free(&p->ini);
}

/* ------------------------------------------------------------------ tests */

#define ORDERS 500u

static void test_orders_logon_logout(void **state) {
  (void)state;
  pairing_t p;
  pairing_start(&p, ORDERS, true); /* the initiator's loop busy-polls */
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in >= 20, 10000);
  /* Steady state: no allocation per message in either loop or session. */
  fixgw_alloc_count_reset();
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in == ORDERS, 30000);
  uint64_t allocs = fixgw_alloc_count_calls();
  if (fixgw_alloc_count_available()) {
    printf("  %u orders in steady state: %llu allocation calls\n", ORDERS - 20,
           (unsigned long long)allocs);
    assert_int_equal(allocs, 0);
  }
  assert_int_equal(p.acc.orders_in, ORDERS);
  assert_int_equal(p.ini.sent, ORDERS);

  unsigned closed = g_closed;
  pairing_logout(&p);
  assert_int_equal(g_closed, closed + 2); /* one per side */
  assert_int_equal(g_closed_why, FIXGW_DR_PROTOCOL);
  assert_int_equal(fixgw_loop_stats(p.la)->closed, 1);
  assert_int_equal(p.ini.logouts, 1);
  assert_int_equal(p.acc.logouts, 1);
  assert_int_equal(p.ini.last_logout, FIXGW_DR_LOGOUT);
  assert_int_equal(p.acc.last_logout, FIXGW_DR_LOGOUT);
  /* Logon, the orders (answers), Logout: every number accounted for. */
  assert_int_equal(fixgw_session_next_sender_seq(p.ini.s), ORDERS + 3);
  assert_int_equal(fixgw_session_next_target_seq(p.acc.s), ORDERS + 3);
  assert_int_equal(fixgw_session_next_sender_seq(p.acc.s), ORDERS + 3);
  assert_int_equal(fixgw_session_next_target_seq(p.ini.s), ORDERS + 3);

  const fixgw_loop_stats_t *a = fixgw_loop_stats(p.la), *b = fixgw_loop_stats(p.lb);
  assert_int_equal(a->accepted, 1);
  assert_int_equal(a->routed, 1);
  assert_int_equal(a->refused, 0);
  assert_int_equal(b->connects, 1);
  assert_int_equal(b->connect_failures, 0);
  assert_int_equal(b->reconnects, 0);
  assert_true(a->bytes_in > ORDERS * 100);
  assert_int_equal(a->bytes_in, b->bytes_out);
  assert_int_equal(a->bytes_out, b->bytes_in);
  assert_int_equal(a->connections, 0);
  assert_int_equal(b->connections, 0);
  assert_true(logged("Initiated logout request"));
  pairing_end(&p);
}

static void test_reconnect_keeps_numbers(void **state) {
  (void)state;
  pairing_t p;
  pairing_start(&p, 10, false);
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in == 10, 10000);
  uint64_t ini_next = fixgw_session_next_sender_seq(p.ini.s);
  uint64_t acc_next = fixgw_session_next_sender_seq(p.acc.s);
  assert_int_equal(ini_next, 12);

  /* The acceptor drops the connection: the initiator sees the end of the
   * stream and comes back after its interval (0: 100 ms +-20%). */
  uint64_t t0 = mono_ms();
  assert_int_equal(fixgw_loop_drop(p.la, p.acc.s, FIXGW_DR_HOST), 0);
  assert_int_equal(fixgw_loop_drop(p.la, p.acc.s, FIXGW_DR_HOST), FIXGW_ENOTFOUND);
  RUN_UNTIL(p.la, p.lb, p.ini.logons == 2 && p.acc.logons == 2, 5000);
  assert_true(mono_ms() - t0 >= 75);
  assert_int_equal(p.ini.last_logout, FIXGW_DR_PEER_CLOSED);
  assert_int_equal(p.acc.last_logout, FIXGW_DR_HOST);
  /* No reset: the new Logon carries the next numbers on both sides. */
  assert_int_equal(fixgw_session_next_sender_seq(p.ini.s), ini_next + 1);
  assert_int_equal(fixgw_session_next_target_seq(p.acc.s), ini_next + 1);
  assert_int_equal(fixgw_session_next_sender_seq(p.acc.s), acc_next + 1);
  assert_int_equal(fixgw_session_next_target_seq(p.ini.s), acc_next + 1);
  const fixgw_loop_stats_t *b = fixgw_loop_stats(p.lb);
  assert_int_equal(b->connects, 2);
  assert_int_equal(b->reconnects, 1);
  assert_true(logged("reconnecting in"));

  p.ini.to_send = 20;
  assert_int_equal(send_order(&p.ini), 0); /* from outside the loop */
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in == 20, 10000);
  pairing_logout(&p);
  assert_int_equal(fixgw_session_next_sender_seq(p.ini.s), ini_next + 1 + 10 + 1);
  assert_int_equal(fixgw_loop_stats(p.la)->routed, 2);
  pairing_end(&p);
}

static bool have_ipv6_loopback(void) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

static void test_failover_to_second_host(void **state) {
  (void)state;
  if (!have_ipv6_loopback()) {
    printf("  ::1 not available: IPv6 part skipped, IPv4 only\n");
  }
  const char *second = have_ipv6_loopback() ? "::1" : "127.0.0.1";
  /* A bound socket that does not listen: connects to it are refused, and
   * no other program can take the port while the test runs. */
  int dead = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(dead >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(dead, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t alen = sizeof a;
  assert_int_equal(getsockname(dead, (struct sockaddr *)&a, &alen), 0);

  fixgw_loop_t *la = make_loop("acc-loop", 16, false), *lb = make_loop("ini-loop", 16, false);
  peer_t acc, ini;
  peer_init(&acc, "acc", false, "SERVER", "CLIENT");
  peer_init(&ini, "ini", true, "CLIENT", "SERVER");
  ini.to_send = 3;
  ini.send_on_logon = true;
  fixgw_router_t *r = router_for(&acc, 4);
  uint16_t port = listen_on(la, second, r, NULL, NULL, 0);
  fixgw_net_hosts_t h = {0};
  host_set(&h, "127.0.0.1", ntohs(a.sin_port));
  host_set(&h, second, port);
  fixgw_net_initiator_opts_t o;
  fixgw_net_initiator_opts_default(&o);
  o.jitter_pct = 0;
  assert_int_equal(fixgw_net_initiator_add(lb, ini.s, &h, 0, &o), 0);
  RUN_UNTIL(la, lb, ini.acks_in == 3, 5000);
  const fixgw_loop_stats_t *b = fixgw_loop_stats(lb);
  assert_int_equal(b->connect_failures, 1);
  assert_int_equal(b->connects, 2);
  assert_true(logged("Connection refused"));

  /* Lose the connection: the next round starts again at the first host,
   * is refused there, and fails over again. */
  assert_int_equal(fixgw_loop_drop(la, acc.s, FIXGW_DR_HOST), 0);
  RUN_UNTIL(la, lb, ini.logons == 2, 5000);
  assert_int_equal(b->connect_failures, 2);
  assert_int_equal(b->connects, 4);

  /* Removed while logged on: the acceptor sees the close, and the
   * initiator is not driven any more (no reconnect). */
  assert_int_equal(fixgw_loop_remove(lb, ini.s), 0);
  assert_int_equal(b->sessions, 0);
  assert_int_equal(b->connections, 0);
  RUN_UNTIL(la, lb, fixgw_loop_stats(la)->attached == 0, 5000);
  uint64_t quiet = mono_ms() + 300;
  while (mono_ms() < quiet) turn(la, lb);
  assert_int_equal(b->connects, 4);
  assert_int_equal(fixgw_session_state_get(ini.s), FIXGW_SS_DISCONNECTED);
  assert_int_equal(acc.last_logout, FIXGW_DR_PEER_CLOSED);
  fixgw_loop_destroy(la);
  fixgw_loop_destroy(lb);
  fixgw_router_destroy(r);
  peer_free(&acc);
  peer_free(&ini);
  close(dead);
}

static void test_garbage_closes_only_that_connection(void **state) {
  (void)state;
  pairing_t p;
  pairing_start(&p, 0, false);

  int g = raw_connect(p.port, 0);
  const char http[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  raw_send(g, http, sizeof http - 1);
  RUN_UNTIL(p.la, p.lb, raw_closed(g), 5000);
  close(g);
  assert_int_equal(fixgw_loop_stats(p.la)->refused, 1);
  assert_true(logged("not a FIX session"));

  /* Well-formed FIX, but not a Logon, is garbage before a Logon too. */
  char msg[512], ts[64], body[256];
  utc_stamp(ts, sizeof ts);
  snprintf(body, sizeof body, "35=D|34=1|49=CLIENT|52=%s|56=SERVER|11=X|55=MSFT|54=1|", ts);
  size_t n = build_msg(msg, sizeof msg, body);
  g = raw_connect(p.port, 0);
  raw_send(g, msg, n);
  RUN_UNTIL(p.la, p.lb, raw_closed(g), 5000);
  close(g);
  assert_int_equal(fixgw_loop_stats(p.la)->refused, 2);
  assert_true(logged("not a Logon"));

  /* Bytes that never make a header, up to the pending limit. */
  g = raw_connect(p.port, 0);
  char junk[5000];
  memset(junk, 'x', sizeof junk);
  raw_send(g, junk, sizeof junk);
  RUN_UNTIL(p.la, p.lb, raw_closed(g), 5000);
  close(g);
  assert_int_equal(fixgw_loop_stats(p.la)->refused, 3);

  /* The session that was there never noticed. */
  assert_int_equal(fixgw_session_state_get(p.acc.s), FIXGW_SS_ACTIVE);
  assert_int_equal(fixgw_session_state_get(p.ini.s), FIXGW_SS_ACTIVE);
  p.ini.to_send = 5;
  assert_int_equal(send_order(&p.ini), 0);
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in == 5, 5000);
  assert_int_equal(p.acc.logons, 1);
  pairing_logout(&p);
  pairing_end(&p);
}

static void test_unknown_compid_and_duplicate_refused(void **state) {
  (void)state;
  pairing_t p;
  pairing_start(&p, 0, false);
  char msg[512];

  size_t n = build_logon(msg, sizeof msg, "STRANGER", "SERVER");
  int g = raw_connect(p.port, 0);
  raw_send(g, msg, n);
  RUN_UNTIL(p.la, p.lb, raw_closed(g), 5000);
  close(g);
  assert_int_equal(fixgw_loop_stats(p.la)->refused, 1);
  assert_true(logged("unknown session FIX.4.4:SERVER->STRANGER"));

  /* The right CompIDs while that session is connected. */
  n = build_logon(msg, sizeof msg, "CLIENT", "SERVER");
  g = raw_connect(p.port, 0);
  raw_send(g, msg, n);
  RUN_UNTIL(p.la, p.lb, raw_closed(g), 5000);
  close(g);
  assert_int_equal(fixgw_loop_stats(p.la)->refused, 2);
  assert_true(logged("session already connected"));

  /* A Logon cut short, then silence: refused when the routing time is up
   * (10 s by default; here the peer gives up by closing first). */
  g = raw_connect(p.port, 0);
  raw_send(g, msg, 12);
  for (int i = 0; i < 20; i++) turn(p.la, p.lb);
  assert_int_equal(fixgw_loop_stats(p.la)->connections, 2);
  close(g);
  RUN_UNTIL(p.la, p.lb, fixgw_loop_stats(p.la)->connections == 1, 5000);
  assert_true(logged("closed by the peer before a Logon"));

  assert_int_equal(fixgw_session_state_get(p.acc.s), FIXGW_SS_ACTIVE);
  assert_int_equal(p.acc.logons, 1);
  assert_int_equal(fixgw_loop_stats(p.la)->routed, 1);
  pairing_logout(&p);
  pairing_end(&p);
}

static void test_silent_connection_times_out(void **state) {
  (void)state;
  fixgw_loop_config_t cfg;
  fixgw_loop_config_default(&cfg);
  cfg.route_timeout_ms = 150;
  cfg.max_pending = 1;
  cfg.on_log = loop_log;
  cfg.user = (void *)"acc-loop";
  fixgw_loop_t *la = NULL;
  assert_int_equal(fixgw_loop_create(&cfg, &la), 0);
  fixgw_router_t *r = router_for(NULL, 1);
  uint16_t port = listen_on(la, "127.0.0.1", r, NULL, NULL, 0);
  uint64_t t0 = mono_ms();
  int g = raw_connect(port, 0);
  /* Only one may wait for routing at a time: the second waits in the
   * listen backlog, not accepted, until the first is gone; then it gets
   * its own route timeout. */
  int g2 = raw_connect(port, 0);
  RUN_UNTIL(la, NULL, raw_closed(g), 5000);
  assert_true(mono_ms() - t0 >= 140);
  assert_true(logged("not identified in time"));
  assert_int_equal(fixgw_loop_stats(la)->accepted, 1);
  assert_false(raw_closed(g2));
  RUN_UNTIL(la, NULL, raw_closed(g2), 5000);
  assert_true(mono_ms() - t0 >= 280);
  assert_int_equal(fixgw_loop_stats(la)->accepted, 2);
  assert_int_equal(fixgw_loop_stats(la)->refused, 2);
  assert_int_equal(fixgw_loop_stats(la)->connections, 0);
  close(g);
  close(g2);
  fixgw_loop_destroy(la);
  fixgw_router_destroy(r);
}

/* -------------------------------------------------------- many sessions */

#define MANY 100u

typedef struct many {
  peer_t acc[MANY];
  unsigned nacc;
} many_t;

static fixgw_session_t *make_from_template(fixgw_loop_t *loop, void *tmpl,
                                           const fixgw_session_id_t *id, void *user) {
  (void)loop;
  many_t *m = user;
  assert_ptr_equal(tmpl, m);
  if (m->nacc == MANY) return NULL;
  peer_t *p = &m->acc[m->nacc++];
  char name[80];
  snprintf(name, sizeof name, "acc-%s", id->target_comp_id);
  peer_init(p, name, false, id->sender_comp_id, id->target_comp_id);
  return p->s;
}

static void test_many_sessions_one_port(void **state) {
  (void)state;
  static many_t m;
  static peer_t ini[MANY];
  memset(&m, 0, sizeof m);
  fixgw_loop_t *la = make_loop("acc-loop", 2 * MANY, false);
  fixgw_loop_t *lb = make_loop("ini-loop", 2 * MANY, false);
  fixgw_router_t *r = router_for(NULL, MANY);
  fixgw_session_id_t pat;
  memset(&pat, 0, sizeof pat);
  pat.version = FIXGW_V_FIX44;
  strcpy(pat.sender_comp_id, "SERVER");
  strcpy(pat.target_comp_id, FIXGW_ROUTER_ANY);
  assert_int_equal(fixgw_router_add_template(r, &pat, &m), 0);
  uint16_t port = listen_on(la, "127.0.0.1", r, make_from_template, &m, 0);
  fixgw_net_hosts_t h = {0};
  host_set(&h, "127.0.0.1", port);
  for (unsigned i = 0; i < MANY; i++) {
    char name[16];
    snprintf(name, sizeof name, "C%03u", i);
    peer_init(&ini[i], name, true, name, "SERVER");
    ini[i].to_send = 2;
    ini[i].send_on_logon = true;
    assert_int_equal(fixgw_net_initiator_add(lb, ini[i].s, &h, 1, NULL), 0);
  }
  assert_int_equal(fixgw_net_initiator_add(lb, ini[0].s, &h, 1, NULL), FIXGW_EINVAL);
  unsigned acked = 0;
  uint64_t end = mono_ms() + 20000;
  while (acked < 2 * MANY) {
    if (mono_ms() > end) fail_msg("only %u of %u answers", acked, 2 * MANY);
    turn(la, lb);
    acked = 0;
    for (unsigned i = 0; i < MANY; i++) acked += ini[i].acks_in;
  }
  const fixgw_loop_stats_t *a = fixgw_loop_stats(la);
  assert_int_equal(m.nacc, MANY);
  assert_int_equal(a->routed, MANY);
  assert_int_equal(a->attached, MANY);
  assert_int_equal(a->sessions, MANY);
  assert_int_equal(a->refused, 0);
  assert_int_equal(fixgw_router_count(r), MANY);
  for (unsigned i = 0; i < MANY; i++) assert_int_equal(m.acc[i].orders_in, 2);

  assert_int_equal(fixgw_loop_logout_all(lb, NULL), 0);
  RUN_UNTIL(la, lb, a->attached == 0 && fixgw_loop_stats(lb)->attached == 0, 10000);
  assert_int_equal(a->sessions, 0);
  for (unsigned i = 0; i < MANY; i++) {
    assert_int_equal(m.acc[i].logouts, 1);
    assert_int_equal(ini[i].last_logout, FIXGW_DR_LOGOUT);
  }
  fixgw_loop_destroy(la);
  fixgw_loop_destroy(lb);
  fixgw_router_destroy(r);
  for (unsigned i = 0; i < MANY; i++) {
    peer_free(&ini[i]);
    peer_free(&m.acc[i]);
  }
}

static unsigned acks_total(const peer_t *p, unsigned n) {
  unsigned t = 0;
  for (unsigned i = 0; i < n; i++) t += p[i].acks_in;
  return t;
}

/* With host_wakes a turn visits only connections with events, due timers
 * and woken ones: heartbeats still run on every session from the timer
 * heap (the first half, HeartBtInt 1), and a send from outside the loop
 * waits for a wake (the second half, HeartBtInt 30: no timer comes). */
static void test_many_sessions_host_wakes(void **state) {
  (void)state;
  static many_t m;
  static peer_t ini[MANY];
  memset(&m, 0, sizeof m);
  g_host_wakes = true;
  fixgw_loop_t *la = make_loop("acc-loop", 2 * MANY, false);
  fixgw_loop_t *lb = make_loop("ini-loop", 2 * MANY, false);
  fixgw_router_t *r = router_for(NULL, MANY);
  fixgw_session_id_t pat;
  memset(&pat, 0, sizeof pat);
  pat.version = FIXGW_V_FIX44;
  strcpy(pat.sender_comp_id, "SERVER");
  strcpy(pat.target_comp_id, FIXGW_ROUTER_ANY);
  assert_int_equal(fixgw_router_add_template(r, &pat, &m), 0);
  uint16_t port = listen_on(la, "127.0.0.1", r, make_from_template, &m, 0);
  fixgw_net_hosts_t h = {0};
  host_set(&h, "127.0.0.1", port);
  for (unsigned i = 0; i < MANY; i++) {
    char name[16];
    snprintf(name, sizeof name, "W%03u", i);
    g_hb = i < MANY / 2 ? 1 : 30;
    peer_init(&ini[i], name, true, name, "SERVER");
    ini[i].to_send = 1;
    ini[i].send_on_logon = true; /* from on_logon: no wake needed */
    assert_int_equal(fixgw_net_initiator_add(lb, ini[i].s, &h, 1, NULL), 0);
  }
  unsigned acked = 0;
  uint64_t end = mono_ms() + 20000;
  while (acked < MANY) {
    if (mono_ms() > end) fail_msg("only %u of %u answers", acked, MANY);
    turn(la, lb);
    acked = 0;
    for (unsigned i = 0; i < MANY; i++) acked += ini[i].acks_in;
  }
  assert_int_equal(m.nacc, MANY);
  /* The acceptor's sessions were made in logon order: pair them up. */
  peer_t *acc[MANY];
  for (unsigned i = 0; i < MANY; i++) {
    acc[i] = NULL;
    for (unsigned j = 0; j < MANY; j++)
      if (!strcmp(fixgw_session_id(m.acc[j].s)->target_comp_id, ini[i].name)) acc[i] = &m.acc[j];
    assert_non_null(acc[i]);
  }

  /* 2.5 s of silence: every session of HeartBtInt 1 is heard from by its
   * acceptor (Heartbeats are sequenced); none times out. Meanwhile the
   * second half sends one order each from outside the loop, unwoken. */
  uint64_t before[MANY];
  for (unsigned i = 0; i < MANY; i++) before[i] = fixgw_session_stats(acc[i]->s)->msgs_in;
  for (unsigned i = MANY / 2; i < MANY; i++) {
    ini[i].to_send = 2;
    assert_int_equal(send_order(&ini[i]), 0);
  }
  uint64_t quiet = mono_ms() + 2500;
  while (mono_ms() < quiet) turn(la, lb);
  for (unsigned i = 0; i < MANY; i++) {
    if (i < MANY / 2) assert_true(fixgw_session_stats(acc[i]->s)->msgs_in >= before[i] + 2);
    else assert_int_equal(acc[i]->orders_in, 1); /* not written: no event, no timer */
    assert_int_equal(fixgw_session_state_get(acc[i]->s), FIXGW_SS_ACTIVE);
    assert_int_equal(fixgw_session_state_get(ini[i].s), FIXGW_SS_ACTIVE);
    assert_int_equal(ini[i].logouts, 0);
  }

  /* Woken: each one goes out and is answered. */
  for (unsigned i = MANY / 2; i < MANY; i++) assert_int_equal(fixgw_loop_wake(lb, ini[i].s), 0);
  RUN_UNTIL(la, lb, acks_total(ini, MANY) == MANY + MANY / 2, 5000);
  for (unsigned i = MANY / 2; i < MANY; i++) assert_int_equal(acc[i]->orders_in, 2);
  assert_int_equal(fixgw_loop_wake(lb, m.acc[0].s), FIXGW_ENOTFOUND);
  assert_int_equal(fixgw_loop_wake(NULL, ini[0].s), FIXGW_EINVAL);
  assert_int_equal(fixgw_loop_wake(lb, NULL), FIXGW_EINVAL);

  assert_int_equal(fixgw_loop_logout_all(lb, NULL), 0);
  RUN_UNTIL(la, lb, fixgw_loop_stats(la)->attached == 0 && fixgw_loop_stats(lb)->attached == 0,
            10000);
  for (unsigned i = 0; i < MANY; i++) assert_int_equal(ini[i].last_logout, FIXGW_DR_LOGOUT);
  fixgw_loop_destroy(la);
  fixgw_loop_destroy(lb);
  fixgw_router_destroy(r);
  for (unsigned i = 0; i < MANY; i++) {
    peer_free(&ini[i]);
    peer_free(&m.acc[i]);
  }
  g_host_wakes = false;
  g_hb = 30;
}

/* ----------------------------------------------------------- slow reader */

static void test_slow_reader_backpressure(void **state) {
  (void)state;
  fixgw_loop_t *la = make_loop("acc-loop", 8, false);
  peer_t acc;
  peer_init(&acc, "acc", false, "SERVER", "CLIENT");
  fixgw_router_t *r = router_for(&acc, 4);
  uint16_t port = listen_on(la, "127.0.0.1", r, NULL, NULL, 4096);
  size_t mem = fixgw_session_memory(acc.s);

  /* A peer that logs on by hand and then stops reading. */
  int g = raw_connect(port, 4096);
  char msg[512];
  size_t n = build_logon(msg, sizeof msg, "CLIENT", "SERVER");
  raw_send(g, msg, n);
  RUN_UNTIL(la, NULL, acc.logons == 1, 5000);
  assert_int_equal(fixgw_session_state_get(acc.s), FIXGW_SS_ACTIVE);

  unsigned sent = 0, full = 0;
  for (unsigned i = 0; i < 200000 && full < 200; i++) {
    int rc = send_er(&acc, "SLOW", 4);
    /* Full shows as EAGAIN at begin, or ENOSPC at commit when the header
     * fitted but the body did not (nothing sent, no number used). */
    if (rc == FIXGW_EAGAIN || rc == FIXGW_ENOSPC) {
      full++;
      turn(la, NULL);
      continue;
    }
    assert_int_equal(rc, 0);
    sent++;
    full = 0;
    if (i % 16 == 0) assert_true(fixgw_loop_run_once(la, 0) >= 0);
  }
  assert_int_equal(full, 200); /* the transmit buffer is full and stays full */
  const char *pp;
  size_t pending = 0;
  assert_int_equal(fixgw_session_pending(acc.s, &pp, &pending), 0);
  assert_true(pending > 0 && pending <= 8192);
  assert_true(fixgw_session_want_write(acc.s));
  assert_int_equal(fixgw_session_memory(acc.s), mem); /* no growth */
  uint64_t out = fixgw_loop_stats(la)->bytes_out;
  for (int i = 0; i < 20; i++) turn(la, NULL);
  assert_int_equal(fixgw_loop_stats(la)->bytes_out, out); /* nothing moves */
  assert_int_equal(fixgw_session_state_get(acc.s), FIXGW_SS_ACTIVE);

  /* The reader wakes up: everything arrives, the buffer drains. */
  uint64_t got = 0;
  char buf[65536];
  uint64_t end = mono_ms() + 5000;
  for (;;) {
    ssize_t k = recv(g, buf, sizeof buf, 0);
    if (k > 0) got += (uint64_t)k;
    assert_int_equal(fixgw_session_pending(acc.s, &pp, &pending), 0);
    if (pending == 0 && got == fixgw_loop_stats(la)->bytes_out) break;
    if (mono_ms() > end) fail_msg("drained %llu of %llu", (unsigned long long)got,
                                  (unsigned long long)fixgw_loop_stats(la)->bytes_out);
    turn(la, NULL);
  }
  assert_true(got > out);
  assert_int_equal(send_er(&acc, "AGAIN", 5), 0);
  RUN_UNTIL(la, NULL, recv(g, buf, sizeof buf, 0) > 0, 5000);
  /* Nothing unread on our side, so the close is a FIN, not a reset. */
  close(g);
  RUN_UNTIL(la, NULL, fixgw_loop_stats(la)->attached == 0, 5000);
  assert_int_equal(acc.last_logout, FIXGW_DR_PEER_CLOSED);
  printf("  slow reader: %u ExecutionReports queued before the buffer filled\n", sent);
  fixgw_loop_destroy(la);
  fixgw_router_destroy(r);
  peer_free(&acc);
}

/* ----------------------------------------------------------- small bits */

static void test_create_limits_and_busy(void **state) {
  (void)state;
  fixgw_loop_config_t cfg;
  fixgw_loop_config_default(&cfg);
  fixgw_loop_t *l = NULL;
  cfg.max_connections = 0;
  assert_int_equal(fixgw_loop_create(&cfg, &l), FIXGW_EINVAL);
  fixgw_loop_config_default(&cfg);
  cfg.pending_bytes = 16;
  assert_int_equal(fixgw_loop_create(&cfg, &l), FIXGW_EINVAL);
  assert_int_equal(fixgw_loop_create(NULL, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_loop_create(NULL, &l), 0);
  fixgw_net_hosts_t h = {0};
  peer_t ini;
  peer_init(&ini, "ini", true, "CLIENT", "SERVER");
  assert_int_equal(fixgw_net_initiator_add(l, ini.s, &h, 0, NULL), FIXGW_EINVAL);
  host_set(&h, "no such host.invalid", 1);
  assert_int_equal(fixgw_net_initiator_add(l, ini.s, &h, 0, NULL), FIXGW_ENOTFOUND);
  assert_int_equal(fixgw_loop_remove(l, ini.s), FIXGW_ENOTFOUND);
  /* Stop from "another thread" before run: run returns at once. */
  fixgw_loop_stop(l);
  assert_int_equal(fixgw_loop_run(l, NULL), 0);
  volatile int until = 1;
  assert_int_equal(fixgw_loop_run(l, &until), 0);
  /* The wake-up written by stop is still pending: one event. */
  assert_true(fixgw_loop_run_once(l, 0) >= 0);
  assert_int_equal(fixgw_loop_run_once(l, 0), 0);
  fixgw_loop_destroy(l);
  fixgw_loop_destroy(NULL);
  peer_free(&ini);
}

int main(void) {
  verbose = getenv("FIXGW_NET_VERBOSE") != NULL;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_limits_and_busy),
      cmocka_unit_test(test_orders_logon_logout),
      cmocka_unit_test(test_reconnect_keeps_numbers),
      cmocka_unit_test(test_failover_to_second_host),
      cmocka_unit_test(test_garbage_closes_only_that_connection),
      cmocka_unit_test(test_unknown_compid_and_duplicate_refused),
      cmocka_unit_test(test_silent_connection_times_out),
      cmocka_unit_test(test_many_sessions_one_port),
      cmocka_unit_test(test_many_sessions_host_wakes),
      cmocka_unit_test(test_slow_reader_backpressure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
