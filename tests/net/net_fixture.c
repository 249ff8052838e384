/* The net/ tests' shared fixture: see net_fixture.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net_fixture.h"

bool verbose;

uint64_t mono_ms(void) {
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

static char g_log[LOG_LINES][256];
unsigned g_nlog;

static void record(const char *who, const char *line) {
  snprintf(g_log[g_nlog % LOG_LINES], sizeof g_log[0], "%s: %s", who, line);
  g_nlog++;
  if (verbose) printf("  [%s] %s\n", who, line);
}

bool logged(const char *needle) {
  unsigned n = g_nlog < LOG_LINES ? g_nlog : LOG_LINES;
  for (unsigned i = 0; i < n; i++)
    if (strstr(g_log[i], needle)) return true;
  return false;
}

void loop_log(fixgw_loop_t *l, fixgw_log_level lv, const char *line, void *user) {
  (void)l;
  (void)lv;
  record(user, line);
}

/* ---------------------------------------------------------------- peers */



int send_order(peer_t *p) {
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

int send_er(peer_t *p, const char *clordid, size_t n) {
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

uint32_t g_hb = 30;
bool g_host_wakes;

void peer_init(peer_t *p, const char *name, bool initiator, const char *sender,
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

void peer_free(peer_t *p) {
  assert_int_equal(fixgw_session_destroy(p->s), 0);
  fixgw_store_destroy(&p->store);
}

/* ---------------------------------------------------------------- loops */

unsigned g_closed;
fixgw_disconnect_reason g_closed_why;

static void on_closed(fixgw_loop_t *l, fixgw_session_t *s, fixgw_disconnect_reason why,
                      void *user) {
  (void)l;
  (void)user;
  assert_int_equal(fixgw_session_state_get(s), FIXGW_SS_DISCONNECTED);
  g_closed++;
  g_closed_why = why;
}

fixgw_loop_t *make_loop(const char *name, uint32_t max_conns, bool busy) {
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

peer_t *g_acceptors[2];

/* Answers an acceptor owes, sent from outside the loop as room allows. */
static void pay_owed(void) {
  for (int i = 0; i < 2; i++) {
    peer_t *p = g_acceptors[i];
    while (p && p->owed && send_er(p, "OWED", 4) == 0) p->owed--;
  }
}

/* One turn of each loop; with both, neither sleeps (they share a thread). */
void turn(fixgw_loop_t *a, fixgw_loop_t *b) {
  pay_owed();
  if (a) assert_true(fixgw_loop_run_once(a, b ? 0 : 5) >= 0);
  if (b) assert_true(fixgw_loop_run_once(b, a ? 0 : 5) >= 0);
}


fixgw_router_t *router_for(peer_t *acc, uint32_t capacity) {
  fixgw_router_t *r = NULL;
  assert_int_equal(fixgw_router_create(capacity, NULL, &r), 0);
  if (acc) assert_int_equal(fixgw_router_add(r, fixgw_session_id(acc->s), acc->s), 0);
  return r;
}

uint16_t listen_on(fixgw_loop_t *l, const char *host, fixgw_router_t *r,
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

void host_set(fixgw_net_hosts_t *h, const char *host, uint16_t port) {
  uint32_t i = h->count++;
  snprintf(h->host[i].host, sizeof h->host[i].host, "%s", host);
  h->host[i].port = port;
}

/* ---------------------------------------------------------- raw sockets */

/* A blocking loopback connect (the listener's backlog completes it), then
 * non-blocking so the test thread can keep turning the loops. */
int raw_connect(uint16_t port, int rcvbuf) {
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

void raw_send(int fd, const char *p, size_t n) {
  assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* true once the peer has closed (EOF or reset); data is read and dropped. */
bool raw_closed(int fd) {
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
size_t build_msg(char *out, size_t cap, const char *body_pipes) {
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

void utc_stamp(char *buf, size_t n) {
  struct timespec r;
  clock_gettime(CLOCK_REALTIME, &r);
  struct tm tm;
  gmtime_r(&r.tv_sec, &tm);
  snprintf(buf, n, "%04d%02d%02d-%02d:%02d:%02d.%03ld", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, r.tv_nsec / 1000000);
}

size_t build_logon(char *out, size_t cap, const char *sender, const char *target) {
  char ts[64], body[256];
  utc_stamp(ts, sizeof ts);
  snprintf(body, sizeof body, "35=A|34=1|49=%s|52=%s|56=%s|98=0|108=30|", sender, ts, target);
  return build_msg(out, cap, body);
}

/* ------------------------------------------------------------ TLS set-up */
