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

#include "net_fixture.h"

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
  for (unsigned i = MANY / 2; i < MANY; i++) assert_int_equal(fixgw_loop_wake_session(lb, ini[i].s), 0);
  RUN_UNTIL(la, lb, acks_total(ini, MANY) == MANY + MANY / 2, 5000);
  for (unsigned i = MANY / 2; i < MANY; i++) assert_int_equal(acc[i]->orders_in, 2);
  assert_int_equal(fixgw_loop_wake_session(lb, m.acc[0].s), FIXGW_ENOTFOUND);
  assert_int_equal(fixgw_loop_wake_session(NULL, ini[0].s), FIXGW_EINVAL);
  assert_int_equal(fixgw_loop_wake_session(lb, NULL), FIXGW_EINVAL);

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

/* ------------------------------------------------------------ metrics */

/* Send req on a new connection to port, turn both loops until the
 * endpoint closes it, and return what came back (NUL-terminated). */
static size_t http_exchange(pairing_t *p, uint16_t port, const char *req, size_t req_len,
                            char *out, size_t cap) {
  int fd = raw_connect(port, 0);
  if (req_len) raw_send(fd, req, req_len);
  size_t got = 0;
  uint64_t end = mono_ms() + 5000;
  for (;;) {
    assert_true(mono_ms() < end);
    turn(p->la, p->lb);
    ssize_t n = recv(fd, out + got, cap - 1 - got, 0);
    if (n > 0) {
      got += (size_t)n;
      assert_true(got < cap - 1);
      continue;
    }
    if (n == 0) break;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      fail_msg("%s after %zu bytes of the answer to %.40s", strerror(errno), got, req);
  }
  close(fd);
  out[got] = 0;
  return got;
}

static int http_status(const char *resp) {
  int code = 0;
  if (sscanf(resp, "HTTP/1.1 %d ", &code) != 1) return -1;
  return code;
}

/* The body after the blank line; checks Content-Length against it. */
static const char *http_body(const char *resp) {
  const char *b = strstr(resp, "\r\n\r\n");
  assert_non_null(b);
  const char *cl = strstr(resp, "Content-Length: ");
  assert_true(cl && cl < b);
  assert_int_equal(strtoull(cl + 16, NULL, 10), strlen(b + 4));
  return b + 4;
}

/* The value of the sample whose line starts with key (name{labels}). */
static uint64_t sample_of(const char *body, const char *key) {
  size_t kl = strlen(key);
  for (const char *l = body; *l; l = strchr(l, '\n') + 1) {
    if (!strncmp(l, key, kl) && l[kl] == ' ') return strtoull(l + kl + 1, NULL, 10);
    if (!strchr(l, '\n')) break;
  }
  fail_msg("no sample %s", key);
  return 0;
}

static void host_families(fixgw_loop_t *l, fixgw_prom_t *w, void *user) {
  (void)l;
  fixgw_prom_family(w, "host_orders_total", "counter", "the host's own");
  fixgw_prom_sample(w, "host_orders_total", NULL, NULL, 0, *(unsigned *)user);
}

static void test_metrics_endpoint(void **state) {
  (void)state;
  pairing_t p;
  pairing_start(&p, 50, false);
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in == 50, 10000);
  fixgw_net_metrics_opts_t o;
  fixgw_net_metrics_opts_default(&o);
  o.max_clients = 2;
  o.timeout_ms = 300;
  o.on_render = host_families;
  o.user = &p.acc.orders_in;
  fixgw_net_metrics_opts_t bad = o;
  bad.max_clients = 0;
  assert_int_equal(fixgw_net_metrics_listen(p.la, "127.0.0.1", 0, NULL, &bad), FIXGW_EINVAL);
  assert_int_equal(fixgw_net_metrics_stats(p.la, &(fixgw_net_metrics_stats_t){0}), FIXGW_ENOTFOUND);
  uint16_t port = 0;
  assert_int_equal(fixgw_net_metrics_listen(p.la, "127.0.0.1", 0, &port, &o), 0);
  assert_true(port != 0);
  assert_int_equal(fixgw_net_metrics_listen(p.la, "127.0.0.1", 0, NULL, &o), FIXGW_ESTATE);

  static char resp[1 << 18];
  const char get[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n";
  http_exchange(&p, port, get, sizeof get - 1, resp, sizeof resp);
  assert_int_equal(http_status(resp), 200);
  assert_non_null(strstr(resp, "Content-Type: text/plain; version=0.0.4"));
  const char *body = http_body(resp);
  const char *acc = "{session=\"FIX.4.4:SERVER->CLIENT\"}";
  char key[160];
  snprintf(key, sizeof key, "fixgw_session_app_messages_received_total%s", acc);
  assert_int_equal(sample_of(body, key), 50);
  snprintf(key, sizeof key, "fixgw_session_next_sender_seq%s", acc);
  assert_int_equal(sample_of(body, key), fixgw_session_next_sender_seq(p.acc.s));
  snprintf(key, sizeof key, "fixgw_session_logged_on%s", acc);
  assert_int_equal(sample_of(body, key), 1);
  assert_int_equal(sample_of(body, "fixgw_session_messages_sent_by_type_total{session=\"FIX.4.4:"
                                     "SERVER->CLIENT\",msgtype=\"8\"}"),
                   50);
  assert_int_equal(sample_of(body, "fixgw_session_messages_received_by_type_total{session=\"FIX.4.4:"
                                     "SERVER->CLIENT\",msgtype=\"D\"}"),
                   50);
  assert_int_equal(sample_of(body, "fixgw_loop_routed_total"), 1);
  assert_int_equal(sample_of(body, "fixgw_loop_attached"), 1);
  assert_int_equal(sample_of(body, "host_orders_total"), 50);
  /* The same text without HTTP, from the API. */
  fixgw_prom_t w;
  fixgw_prom_init(&w, NULL, 0);
  assert_int_equal(fixgw_net_metrics_render(p.la, &w), FIXGW_ENOSPC); /* measured */
  size_t need = w.len;
  assert_true(need > 1000 && need < sizeof resp);
  fixgw_prom_init(&w, resp, need + 1);
  assert_int_equal(fixgw_net_metrics_render(p.la, &w), 0);
  assert_int_equal(fixgw_prom_finish(&w, NULL), 0);
  assert_non_null(strstr(resp, "# TYPE fixgw_session_state gauge\n"));

  /* HEAD: the headers only. */
  const char head[] = "HEAD /metrics?x=1 HTTP/1.0\r\n\r\n";
  http_exchange(&p, port, head, sizeof head - 1, resp, sizeof resp);
  assert_int_equal(http_status(resp), 200);
  assert_string_equal(strstr(resp, "\r\n\r\n"), "\r\n\r\n");

  /* Hostile and wrong requests: each answered, nothing else disturbed. */
  const struct {
    const char *req;
    int code;
  } cases[] = {
      {"GET /other HTTP/1.1\r\n\r\n", 404},
      {"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 405},
      {"hello there\r\n\r\n", 400},
      {"GET /metrics SPDY/3\r\n\r\n", 400},
      {"GET  HTTP/1.1\r\n\r\n", 400},
      {"\n\n", 400},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    http_exchange(&p, port, cases[i].req, strlen(cases[i].req), resp, sizeof resp);
    if (http_status(resp) != cases[i].code)
      fail_msg("case %zu: %s", i, resp);
  }
  static char big[6000];
  memset(big, 'A', sizeof big);
  memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
  http_exchange(&p, port, big, sizeof big, resp, sizeof resp);
  assert_int_equal(http_status(resp), 431);

  /* Idle clients: two hold the slots (a third is closed at once), then
   * both are closed by the timeout. */
  int idle1 = raw_connect(port, 0), idle2 = raw_connect(port, 0);
  raw_send(idle1, "GET /met", 8); /* half a request */
  for (int i = 0; i < 50; i++) turn(p.la, p.lb);
  /* (Nothing sent on it: a request left unread would make the close a
   * reset.) */
  http_exchange(&p, port, "", 0, resp, sizeof resp);
  assert_int_equal(resp[0], 0); /* refused: closed without an answer */
  RUN_UNTIL(p.la, p.lb, raw_closed(idle1) && raw_closed(idle2), 5000);
  close(idle1);
  close(idle2);
  fixgw_net_metrics_stats_t ms;
  assert_int_equal(fixgw_net_metrics_stats(p.la, &ms), 0);
  assert_int_equal(ms.served, 2);
  assert_int_equal(ms.rejected, 7);
  assert_int_equal(ms.refused, 1);
  assert_int_equal(ms.timeouts, 2);
  assert_true(ms.bytes_out > 1000);

  /* The session kept trading throughout. */
  assert_true(fixgw_session_is_logged_on(p.acc.s));
  p.ini.to_send += 20;
  assert_int_equal(send_order(&p.ini), 0);
  RUN_UNTIL(p.la, p.lb, p.ini.acks_in == 70, 10000);
  http_exchange(&p, port, get, sizeof get - 1, resp, sizeof resp);
  snprintf(key, sizeof key, "fixgw_session_app_messages_received_total%s", acc);
  assert_int_equal(sample_of(http_body(resp), key), 70);
  pairing_logout(&p);
  pairing_end(&p);
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
      cmocka_unit_test(test_metrics_endpoint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
