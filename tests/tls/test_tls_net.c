/* tls/ through net/: a TLS acceptor and TLS initiators over loopback in
 * one process, each side driven by its own fixgw_loop_t (helpers as in
 * tests/net/test_net.c). Every wait is a
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

#include "certs.h"
#include "fixgw/tls.h"
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
  unsigned owed;      /* acceptor: answers the full transmit buffer refused */
  unsigned pauses;    /* acceptor: input paused for them */
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
    /* From a callback a send only queues; the loop writes it after. A
     * full transmit buffer pauses input until the answers owed went out
     * (pay_owed), as fixgw-executor does. */
    int rc = p->owed ? FIXGW_EAGAIN : send_er(p, id.ptr, id.len);
    if (rc == FIXGW_EAGAIN) {
      p->owed++;
      p->pauses++;
      return FIXGW_CB_PAUSE;
    }
    assert_int_equal(rc, 0);
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
  c.heartbeat_interval_s = 30;
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
  cfg.seed = 42;
  cfg.on_log = loop_log;
  cfg.on_closed = on_closed;
  cfg.user = (void *)name;
  fixgw_loop_t *l = NULL;
  assert_int_equal(fixgw_loop_create(&cfg, &l), 0);
  return l;
}

static peer_t *g_acceptors[2];

/* Answers an acceptor owes, sent from outside the loop as room allows. */
static void pay_owed(void) {
  for (int i = 0; i < 2; i++) {
    peer_t *p = g_acceptors[i];
    while (p && p->owed && send_er(p, "OWED", 4) == 0) p->owed--;
  }
}

/* One turn of each loop; with both, neither sleeps (they share a thread). */
static void turn(fixgw_loop_t *a, fixgw_loop_t *b) {
  pay_owed();
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

/* ------------------------------------------------------------ TLS set-up */

static test_certs_t C;

static fixgw_tls_ctx_t *tls_server(const char *cert, const char *key) {
  fixgw_tls_config_t cfg;
  fixgw_tls_config_default(&cfg, FIXGW_TLS_SERVER);
  cfg.cert_file = cert;
  cfg.key_file = key;
  fixgw_tls_ctx_t *x = NULL;
  char err[256];
  int rc = fixgw_tls_ctx_create(&cfg, &x, err, sizeof err);
  if (rc) fail_msg("server ctx: %s", err);
  return x;
}

static fixgw_tls_ctx_t *tls_client(uint16_t version) {
  fixgw_tls_config_t cfg;
  fixgw_tls_config_default(&cfg, FIXGW_TLS_CLIENT);
  cfg.ca_file = C.ca;
  cfg.min_version = cfg.max_version = version;
  fixgw_tls_ctx_t *x = NULL;
  char err[256];
  int rc = fixgw_tls_ctx_create(&cfg, &x, err, sizeof err);
  if (rc) fail_msg("client ctx: %s", err);
  return x;
}

typedef struct tls_pairing {
  fixgw_loop_t *la, *lb;
  fixgw_router_t *r;
  fixgw_tls_ctx_t *sctx, *cctx;
  peer_t acc, acc2, ini;
  uint16_t port;
} tls_pairing_t;

/* A TLS acceptor for SERVER<-CLIENT and SERVER<-CLIENT2 on one port, the
 * server's certificate cert/key. */
static void tls_acceptor(tls_pairing_t *p, const char *cert, const char *key) {
  memset(p, 0, sizeof *p);
  p->la = make_loop("acc-loop", 16, false);
  p->lb = make_loop("ini-loop", 16, false);
  peer_init(&p->acc, "acc", false, "SERVER", "CLIENT");
  peer_init(&p->acc2, "acc2", false, "SERVER", "CLIENT2");
  g_acceptors[0] = &p->acc;
  g_acceptors[1] = &p->acc2;
  p->r = router_for(&p->acc, 4);
  assert_int_equal(fixgw_router_add(p->r, fixgw_session_id(p->acc2.s), p->acc2.s), 0);
  p->sctx = tls_server(cert, key);
  fixgw_net_acceptor_opts_t o;
  fixgw_net_acceptor_opts_default(&o);
  o.router = p->r;
  o.tls = p->sctx;
  assert_int_equal(fixgw_net_acceptor_listen(p->la, "127.0.0.1", 0, &p->port, &o), 0);
}

static void tls_initiator(tls_pairing_t *p, uint16_t version, unsigned orders) {
  peer_init(&p->ini, "ini", true, "CLIENT", "SERVER");
  p->ini.to_send = orders;
  p->ini.send_on_logon = true;
  p->cctx = tls_client(version);
  fixgw_net_hosts_t h = {0};
  host_set(&h, "127.0.0.1", p->port);
  fixgw_net_initiator_opts_t o;
  fixgw_net_initiator_opts_default(&o);
  o.tls = p->cctx;
  assert_int_equal(fixgw_net_initiator_add(p->lb, p->ini.s, &h, 0, &o), 0);
}

static void tls_end(tls_pairing_t *p) {
  g_acceptors[0] = g_acceptors[1] = NULL;
  fixgw_loop_destroy(p->la);
  fixgw_loop_destroy(p->lb);
  fixgw_router_destroy(p->r);
  fixgw_tls_ctx_free(p->sctx);
  fixgw_tls_ctx_free(p->cctx);
  peer_free(&p->acc);
  peer_free(&p->acc2);
  if (p->ini.s) peer_free(&p->ini);
}

/* ----------------------------------------------------------------- tests */

#define ORDERS 300u

static void session_pair(uint16_t version) {
  tls_pairing_t p;
  tls_acceptor(&p, C.server, C.server_key);
  tls_initiator(&p, version, ORDERS);
  RUN_UNTIL(p.la, p.lb, p.ini.logons == 1 && p.acc.logons == 1, 5000);
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in == ORDERS, 20000);
  assert_int_equal(p.acc.orders_in, ORDERS);
  assert_int_equal(fixgw_loop_logout_all(p.lb, NULL), 0);
  RUN_UNTIL(p.la, p.lb,
            fixgw_loop_stats(p.la)->attached == 0 && fixgw_loop_stats(p.lb)->attached == 0,
            5000);
  assert_int_equal(p.ini.last_logout, FIXGW_DR_LOGOUT);
  assert_int_equal(p.acc.last_logout, FIXGW_DR_LOGOUT);
  assert_int_equal(fixgw_session_next_sender_seq(p.ini.s), ORDERS + 3);
  assert_int_equal(fixgw_session_next_target_seq(p.acc.s), ORDERS + 3);
  const fixgw_loop_stats_t *a = fixgw_loop_stats(p.la), *b = fixgw_loop_stats(p.lb);
  assert_int_equal(a->routed, 1);
  assert_int_equal(a->refused, 0);
  assert_int_equal(b->connect_failures, 0);
  /* What crossed the sockets is ciphertext: more than the FIX bytes. */
  /* Each side's close_notify may reach a socket the other has closed. */
  assert_true(a->bytes_in <= b->bytes_out && b->bytes_out - a->bytes_in <= 64);
  assert_true(b->bytes_in <= a->bytes_out && a->bytes_out - b->bytes_in <= 64);
  assert_true(a->bytes_in > ORDERS * 100);
  tls_end(&p);
}

static void test_session_pair_tls13(void **state) {
  (void)state;
  session_pair(FIXGW_TLS_1_3);
}

static void test_session_pair_tls12(void **state) {
  (void)state;
  session_pair(FIXGW_TLS_1_2);
}

static void test_plain_client_on_tls_port(void **state) {
  (void)state;
  tls_pairing_t p;
  tls_acceptor(&p, C.server, C.server_key);
  tls_initiator(&p, FIXGW_TLS_1_3, 5);
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in == 5, 5000);

  /* A plain TCP FIX client for the other session on the same port. */
  int g = raw_connect(p.port, 0);
  char logon[512];
  size_t n = build_logon(logon, sizeof logon, "CLIENT2", "SERVER");
  raw_send(g, logon, n);
  RUN_UNTIL(p.la, p.lb, raw_closed(g), 5000);
  close(g);
  assert_true(logged("plain TCP client on a TLS port"));
  assert_true(logged("8=FIX.4.4|9="));
  assert_int_equal(fixgw_loop_stats(p.la)->refused, 1);
  assert_int_equal(p.acc2.logons, 0);

  /* Garbage that is not text either, and a connection cut mid-handshake. */
  g = raw_connect(p.port, 0);
  const char junk[] = "\x16\x03\x01\xff\xff\x00\x01\x02garbage";
  raw_send(g, junk, sizeof junk - 1);
  close(g);
  RUN_UNTIL(p.la, p.lb, fixgw_loop_stats(p.la)->connections == 1, 5000);

  /* The TLS session goes on. */
  p.ini.to_send = 25;
  assert_int_equal(send_order(&p.ini), 0);
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in == 25, 5000);
  assert_int_equal(p.ini.logouts, 0);
  assert_int_equal(fixgw_loop_stats(p.la)->attached, 1);
  tls_end(&p);
}

static void test_bad_certificate_refused(void **state) {
  (void)state;
  tls_pairing_t p;
  tls_acceptor(&p, C.expired, C.expired_key);
  tls_initiator(&p, FIXGW_TLS_1_3, 1);
  RUN_UNTIL(p.la, p.lb, logged("certificate has expired"), 5000);
  /* The initiator's log names the reason; the acceptor sees the alert. */
  RUN_UNTIL(p.la, p.lb, fixgw_loop_stats(p.la)->refused >= 1, 5000);
  assert_true(logged("the peer refused our certificate: sslv3 alert certificate expired"));
  assert_int_equal(p.ini.logons, 0);
  assert_int_equal(p.acc.logons, 0);
  tls_end(&p);

  /* The server's certificate names another host. */
  tls_acceptor(&p, C.wrong_host, C.wrong_host_key);
  tls_initiator(&p, FIXGW_TLS_1_2, 1);
  RUN_UNTIL(p.la, p.lb, logged("does not name 127.0.0.1"), 5000);
  assert_int_equal(p.ini.logons, 0);
  tls_end(&p);

  /* A plain initiator to a TLS acceptor: refused as plain text. */
  tls_acceptor(&p, C.server, C.server_key);
  peer_init(&p.ini, "ini", true, "CLIENT", "SERVER");
  fixgw_net_hosts_t h = {0};
  host_set(&h, "127.0.0.1", p.port);
  unsigned before = g_nlog;
  assert_int_equal(fixgw_net_initiator_add(p.lb, p.ini.s, &h, 0, NULL), 0);
  RUN_UNTIL(p.la, p.lb, g_nlog > before && logged("plain TCP client on a TLS port"), 5000);
  assert_int_equal(p.ini.logons, 0);
  tls_end(&p);
}

static void test_burst_through_full_buffers(void **state) {
  (void)state;
  tls_pairing_t p;
  tls_acceptor(&p, C.server, C.server_key);
  tls_initiator(&p, FIXGW_TLS_1_3, 1);
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in == 1, 5000);
  /* Queue orders from outside the loop as fast as the session's transmit
   * buffer takes them while only the initiator turns: the acceptor reads
   * nothing, its socket fills, and TLS writes stop part-way and resume on
   * the same bytes. Then both turn until every order is answered. */
  p.ini.to_send = 20000;
  uint64_t end = mono_ms() + 300;
  while (mono_ms() < end && p.ini.sent < p.ini.to_send) {
    while (p.ini.sent < p.ini.to_send && send_order(&p.ini) == 0) {
    }
    turn(NULL, p.lb);
  }
  unsigned burst = p.ini.sent;
  printf("  %u orders sent while the acceptor was not reading\n", burst);
  assert_true(burst > 500);
  p.ini.to_send = burst;
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in == p.ini.to_send, 30000);
  assert_int_equal(p.acc.orders_in, p.ini.to_send);
  assert_int_equal(p.acc.owed, 0);
  printf("  all %u answered; input paused %u times for a full transmit buffer\n",
         p.ini.to_send, p.acc.pauses);
  assert_true(p.acc.pauses > 0); /* the pause path with TLS bytes buffered ran */
  assert_int_equal(p.ini.logouts, 0);
  assert_int_equal(fixgw_session_next_target_seq(p.acc.s), p.ini.to_send + 2);
  tls_end(&p);
}

static void test_wrong_role_context(void **state) {
  (void)state;
  tls_pairing_t p;
  tls_acceptor(&p, C.server, C.server_key);
  fixgw_net_acceptor_opts_t o;
  fixgw_net_acceptor_opts_default(&o);
  o.router = p.r;
  p.cctx = tls_client(FIXGW_TLS_1_3);
  o.tls = p.cctx; /* a client context on a listener */
  assert_int_equal(fixgw_net_acceptor_listen(p.la, "127.0.0.1", 0, NULL, &o), FIXGW_EINVAL);
  peer_init(&p.ini, "ini", true, "CLIENT", "SERVER");
  fixgw_net_hosts_t h = {0};
  host_set(&h, "127.0.0.1", p.port);
  fixgw_net_initiator_opts_t io;
  fixgw_net_initiator_opts_default(&io);
  io.tls = p.sctx;
  assert_int_equal(fixgw_net_initiator_add(p.lb, p.ini.s, &h, 0, &io), FIXGW_EINVAL);
  tls_end(&p);
}

static int setup(void **state) {
  (void)state;
  test_certs_make(&C);
  verbose = getenv("FIXGW_TEST_VERBOSE") != NULL;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  test_certs_remove(&C);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_session_pair_tls13),
      cmocka_unit_test(test_session_pair_tls12),
      cmocka_unit_test(test_plain_client_on_tls_port),
      cmocka_unit_test(test_bad_certificate_refused),
      cmocka_unit_test(test_burst_through_full_buffers),
      cmocka_unit_test(test_wrong_role_context),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
