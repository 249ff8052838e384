/* tls/ through net/: a TLS acceptor and TLS initiators over loopback in
 * one process, each side driven by its own fixgw_loop_t (the helpers of
 * tests/net/net_fixture.h). Every wait is a
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

#include "net_fixture.h"

#include "certs.h"
#include "fixgw/tls.h"
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
