/* Two sessions against each other in memory: logon, application traffic
 * both ways, heartbeats, a gap healed by resend, logout, reconnect with the
 * numbers kept; for FIX 4.2, 4.4 and FIXT.1.1/5.0SP2. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "pair.h"

#define SEC 1000000000ull

static const fixgw_version versions[] = {FIXGW_V_FIX42, FIXGW_V_FIX44, FIXGW_V_FIXT11};

static void send_order(pair_t *p, pair_side_t *side, unsigned i) {
  fixgw_encoder_t *e;
  int rc = fixgw_session_send_begin(side->s, "D", NULL, p->now, &e);
  assert_int_equal(rc, 0);
  char id[32];
  snprintf(id, sizeof id, "ORD-%u", i);
  fixgw_enc_cstr(e, 11, id);
  fixgw_enc_cstr(e, 55, "MSFT");
  fixgw_enc_char(e, 54, '1');
  fixgw_enc_timestamp(e, 60, p->now.utc_ns, FIXGW_TS_MILLIS);
  fixgw_enc_decimal(e, 38, (fixgw_decimal_t){100, 0});
  fixgw_enc_char(e, 40, '1');
  uint64_t seq = 0;
  assert_int_equal(fixgw_session_send_commit(side->s, &seq), 0);
  assert_true(seq > 0);
}

/* The per-type counters add up to the totals, and what one side wrote of
 * each type the other received (no loss in a pair). */
static void check_by_type(const pair_t *p) {
  const fixgw_session_stats_t *a = fixgw_session_stats(p->ini.s), *b = fixgw_session_stats(p->acc.s);
  uint64_t ai = 0, ao = 0, bi = 0, bo = 0;
  for (unsigned i = 0; i < FIXGW_MSGTYPE_SLOTS; i++) {
    ai += a->in_by_type[i];
    ao += a->out_by_type[i];
    bi += b->in_by_type[i];
    bo += b->out_by_type[i];
    assert_int_equal(a->out_by_type[i], b->in_by_type[i]);
    assert_int_equal(b->out_by_type[i], a->in_by_type[i]);
  }
  assert_int_equal(ai, a->msgs_in);
  assert_int_equal(ao, a->msgs_out);
  assert_int_equal(bi, b->msgs_in);
  assert_int_equal(bo, b->msgs_out);
  assert_null(fixgw_session_msgtype_slot_name(FIXGW_MSGTYPE_SLOTS));
  assert_string_equal(fixgw_session_msgtype_slot_name(FIXGW_MSGTYPE_SLOTS - 1), "other");
}

static void test_logon_orders_logout(void **state) {
  (void)state;
  for (size_t v = 0; v < 3; v++) {
    pair_t p;
    pair_init(&p, versions[v], NULL);
    pair_connect(&p);
    assert_int_equal(fixgw_session_state_get(p.ini.s), FIXGW_SS_ACTIVE);
    assert_int_equal(fixgw_session_state_get(p.acc.s), FIXGW_SS_ACTIVE);
    assert_int_equal(p.ini.logons, 1);
    assert_int_equal(p.acc.logons, 1);
    for (unsigned i = 0; i < 100; i++) {
      send_order(&p, &p.ini, i);
      if (i % 10 == 9) pair_pump(&p); /* 8 KiB of output at most between writes */
    }
    pair_pump(&p);
    assert_int_equal(p.acc.app_msgs, 100);
    assert_int_equal(fixgw_session_next_sender_seq(p.ini.s), 102);
    assert_int_equal(fixgw_session_next_target_seq(p.acc.s), 102);
    /* idle: heartbeats keep both alive for ten minutes */
    for (int t = 0; t < 600; t++) pair_advance(&p, SEC);
    assert_int_equal(fixgw_session_state_get(p.ini.s), FIXGW_SS_ACTIVE);
    assert_int_equal(fixgw_session_state_get(p.acc.s), FIXGW_SS_ACTIVE);
    assert_true(fixgw_session_stats(p.ini.s)->msgs_out > 110);
    assert_int_equal(fixgw_session_next_sender_seq(p.ini.s), fixgw_session_next_target_seq(p.acc.s));
    assert_int_equal(fixgw_session_next_sender_seq(p.acc.s), fixgw_session_next_target_seq(p.ini.s));
    assert_int_equal(fixgw_session_logout(p.ini.s, "bye", p.now), 0);
    pair_pump(&p);
    assert_int_equal(fixgw_session_state_get(p.ini.s), FIXGW_SS_DISCONNECTED);
    assert_int_equal(fixgw_session_state_get(p.acc.s), FIXGW_SS_DISCONNECTED);
    assert_int_equal(p.ini.last_logout, FIXGW_DR_LOGOUT);
    check_by_type(&p);
    const fixgw_session_stats_t *st = fixgw_session_stats(p.ini.s);
    assert_int_equal(st->out_by_type[fixgw_session_msgtype_slot("D", 1)], 100);
    assert_int_equal(st->out_by_type[fixgw_session_msgtype_slot("A", 1)], 1);
    assert_int_equal(st->out_by_type[fixgw_session_msgtype_slot("5", 1)], 1);
    assert_true(st->out_by_type[fixgw_session_msgtype_slot("0", 1)] >= 10);
    assert_int_equal(p.acc.last_logout, FIXGW_DR_LOGOUT);
    /* reconnect: numbers persist */
    uint64_t ns = fixgw_session_next_sender_seq(p.ini.s);
    pair_connect(&p);
    assert_int_equal(fixgw_session_state_get(p.ini.s), FIXGW_SS_ACTIVE);
    assert_int_equal(fixgw_session_next_sender_seq(p.ini.s), ns + 1);
    pair_destroy(&p);
  }
}

/* Bytes lost on the wire (a message dropped by hand): the acceptor sees
 * the next one too high, asks for a resend, and gets every order once. */
static void test_gap_resend(void **state) {
  (void)state;
  for (size_t v = 0; v < 3; v++) {
    pair_t p;
    pair_init(&p, versions[v], NULL);
    pair_connect(&p);
    for (unsigned i = 0; i < 10; i++) {
      send_order(&p, &p.ini, i);
      if (i == 3 || i == 4) { /* lose these two */
        const char *ptr;
        size_t len;
        fixgw_session_pending(p.ini.s, &ptr, &len);
        fixgw_session_written(p.ini.s, len, p.now);
      } else {
        pair_pump(&p);
      }
    }
    pair_pump(&p);
    assert_int_equal(p.acc.app_msgs, 10);
    assert_int_equal(fixgw_session_stats(p.acc.s)->resend_requests_sent, 1);
    /* the request arrives once seq 7 is out: 5, 6 and 7 come again */
    assert_int_equal(fixgw_session_stats(p.ini.s)->resent, 3);
    /* resends count under their own type: 10 new + 3 again, 2 of them lost */
    unsigned d = fixgw_session_msgtype_slot("D", 1);
    assert_int_equal(fixgw_session_stats(p.ini.s)->out_by_type[d], 13);
    assert_int_equal(fixgw_session_stats(p.acc.s)->in_by_type[d], 11);
    assert_int_equal(fixgw_session_next_target_seq(p.acc.s), fixgw_session_next_sender_seq(p.ini.s));
    /* the duplicates that followed the resend were recognised */
    assert_int_equal(fixgw_session_state_get(p.acc.s), FIXGW_SS_ACTIVE);
    pair_destroy(&p);
  }
}

/* A host whose loop reads the clock once per turn hands the session an
 * older `now` for a resend than the one an application send in the same
 * turn used. SendingTime must not go backwards, or the resend's
 * OrigSendingTime (122) is later than its SendingTime (52) and the peer,
 * as QuickFIX does, rejects it and logs out (found by tests/faults). */
static void test_stale_now_never_goes_back(void **state) {
  (void)state;
  pair_t p;
  pair_init(&p, FIXGW_V_FIX44, NULL);
  pair_connect(&p);
  fixgw_now_t turn = p.now;    /* the loop's clock at the turn start */
  p.now.utc_ns += 5 * 1000000; /* the application's fresher clock */
  p.now.mono_ns += 5 * 1000000;
  send_order(&p, &p.ini, 1);
  const char *ptr;
  size_t len;
  fixgw_session_pending(p.ini.s, &ptr, &len); /* lost on the way */
  fixgw_session_written(p.ini.s, len, p.now);
  send_order(&p, &p.ini, 2); /* arrives: the acceptor stashes it, asks 2.. */
  fixgw_session_pending(p.ini.s, &ptr, &len);
  size_t took = 0;
  assert_int_equal(fixgw_session_feed(p.acc.s, ptr, len, &took, p.now), 0);
  assert_int_equal(took, len);
  fixgw_session_written(p.ini.s, len, p.now);
  p.now = turn; /* the ResendRequest is handled later in the turn: stale */
  pair_pump(&p); /* 2 and 3 again; the acceptor has 3 already: a duplicate */
  assert_int_equal(fixgw_session_stats(p.acc.s)->resend_requests_sent, 1);
  assert_true(fixgw_session_stats(p.ini.s)->resent >= 2);
  assert_int_equal(fixgw_session_stats(p.acc.s)->rejects_sent, 0);
  assert_int_equal(p.acc.app_msgs, 2);
  assert_int_equal(fixgw_session_state_get(p.acc.s), FIXGW_SS_ACTIVE);
  assert_int_equal(fixgw_session_state_get(p.ini.s), FIXGW_SS_ACTIVE);
  pair_destroy(&p);
}

/* Silence from the peer: TestRequest at 1.2 x HeartBtInt, disconnect at
 * 2.4 x. */
static void test_test_request_timeout(void **state) {
  (void)state;
  pair_t p;
  pair_init(&p, FIXGW_V_FIX44, NULL);
  pair_connect(&p);
  /* the acceptor stops reading: move nothing from ini to acc */
  uint64_t sent0 = fixgw_session_stats(p.ini.s)->msgs_out;
  for (int t = 0; t < 80; t++) {
    p.now.mono_ns += SEC;
    p.now.utc_ns += (int64_t)SEC;
    fixgw_session_on_timer(p.ini.s, p.now);
    const char *ptr;
    size_t len;
    fixgw_session_pending(p.ini.s, &ptr, &len);
    fixgw_session_written(p.ini.s, len, p.now);
    if (!fixgw_session_want_read(p.ini.s) && !fixgw_session_want_write(p.ini.s)) break;
  }
  assert_true(pair_logged(&p.ini, "Sent test request TEST"));
  assert_true(pair_logged(&p.ini, "Timed out waiting for heartbeat"));
  assert_true(fixgw_session_stats(p.ini.s)->msgs_out > sent0);
  pair_destroy(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_logon_orders_logout),
      cmocka_unit_test(test_gap_resend),
      cmocka_unit_test(test_stale_now_never_goes_back),
      cmocka_unit_test(test_test_request_timeout),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
