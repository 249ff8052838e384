/* The session adapter: a session pair (tests/session/pair.h) whose
 * sessions log through fixgw_log_attach into file logs. The messages
 * files hold every message each side sent and received, in order, with
 * the host's time, byte for byte as on_wire showed them (the Logon's
 * password masked); the event files hold the session's event lines; the
 * host's own callbacks still run with its own user pointer; and the
 * logging path allocates nothing. */
#include "log_util.h"

#include "fixgw/codec.h"
#include "fixgw/log.h"
#include "pair.h"

#define SEC 1000000000ull
#define ARENA (4u << 20)
#define MAXREC 4096

/* What the host saw through its own callbacks, independent of the log. */
typedef struct host {
  char *arena;
  size_t used;
  struct rec {
    bool out;
    int64_t utc;
    size_t off, len;
  } rec[MAXREC];
  unsigned nrec;
  unsigned events;
  unsigned apps;
  unsigned handler_ok;
  const pair_t *p;
} host_t;

typedef struct side_log {
  fixgw_log_t log;
  fixgw_log_session_t ad;
  host_t host;
  char dir[160];
  char prefix[128];
} side_log_t;

static void h_wire(fixgw_session_t *s, bool out, const char *msg, size_t len, void *u) {
  (void)s;
  host_t *h = u;
  assert_true(h->nrec < MAXREC && h->used + len <= ARENA);
  memcpy(h->arena + h->used, msg, len);
  h->rec[h->nrec++] = (struct rec){out, h->p->now.utc_ns, h->used, len};
  h->used += len;
}

static void h_log(fixgw_session_t *s, fixgw_log_level lv, const char *line, void *u) {
  (void)s;
  (void)lv;
  (void)line;
  ((host_t *)u)->events++;
}

static int h_app(fixgw_session_t *s, const fixgw_msg_t *m, void *u) {
  (void)s;
  (void)m;
  ((host_t *)u)->apps++;
  return FIXGW_CB_OK;
}

static int h_order(fixgw_session_t *s, const fixgw_msg_t *m, void *u) {
  (void)m;
  /* Handlers from fixgw_session_on get the adapter: the host's pointer
   * is one call away. */
  host_t *h = fixgw_log_session_user(u);
  assert_ptr_equal(fixgw_session_user(s), u);
  h->apps++;
  h->handler_ok++;
  return FIXGW_CB_OK;
}

static void tweak(fixgw_session_config_t *c, bool initiator) {
  if (initiator) {
    strcpy(c->username, "user");
    strcpy(c->password, "s3cret-pw");
  }
}

/* Replace the pair's session on side by one logging through sl. */
static void attach_side(pair_t *p, pair_side_t *side, side_log_t *sl, const char *root) {
  memset(sl, 0, sizeof *sl);
  sl->host.arena = malloc(ARENA);
  assert_non_null(sl->host.arena);
  sl->host.p = p;
  assert_true(fixgw_log_prefix(&side->cfg.id, NULL, sl->prefix, sizeof sl->prefix) > 0);
  snprintf(sl->dir, sizeof sl->dir, "%s/%s", root, side->name);
  fixgw_file_log_config_t fc;
  fixgw_file_log_config_default(&fc);
  fc.path = sl->dir;
  fc.prefix = sl->prefix;
  assert_int_equal(fixgw_file_log_create(&fc, p->now.utc_ns, &sl->log), 0);
  fixgw_session_destroy(side->s);
  fixgw_session_callbacks_t cb;
  memset(&cb, 0, sizeof cb);
  cb.size = sizeof cb;
  cb.on_app = h_app;
  cb.on_wire = h_wire;
  cb.on_log = h_log;
  void *user = &sl->host;
  fixgw_log_attach_config_t ac = {&p->now, NULL, NULL, FIXGW_LOG_DEBUG};
  assert_int_equal(fixgw_log_attach(&sl->ad, &sl->log, &ac, &cb, &user), 0);
  assert_ptr_equal(user, &sl->ad);
  assert_int_equal(fixgw_session_create(&side->cfg, &cb, user, &side->s), 0);
}

static void send_order(pair_t *p, pair_side_t *side, unsigned i) {
  char body[128];
  int n = snprintf(body, sizeof body, "11=ORD-%u\00155=MSFT\00154=1\00138=100\00140=1\001", i);
  assert_int_equal(fixgw_session_send_body(side->s, "D", body, (size_t)n, NULL, p->now, NULL),
                   0);
}

/* The messages file against what the host saw, line by line. */
static void check_messages(side_log_t *sl, unsigned *nin, unsigned *nout) {
  char name[200];
  snprintf(name, sizeof name, "%s.messages.current.log", sl->prefix);
  size_t len;
  char *b = lu_read(sl->dir, name, &len);
  assert_non_null(b);
  char *q = b;
  *nin = *nout = 0;
  for (unsigned i = 0; i < sl->host.nrec; i++) {
    const struct rec *r = &sl->host.rec[i];
    char ts[40];
    assert_int_equal(fixgw_timestamp_format(r->utc, FIXGW_TS_NANOS, ts, sizeof ts), 27);
    assert_true((size_t)(q - b) + 30 + r->len + 1 <= len);
    assert_memory_equal(q, ts, 27);
    assert_memory_equal(q + 27, " : ", 3);
    assert_memory_equal(q + 30, sl->host.arena + r->off, r->len);
    assert_int_equal(q[30 + r->len], '\n');
    q += 30 + r->len + 1;
    if (r->out) ++*nout;
    else ++*nin;
  }
  assert_int_equal((size_t)(q - b), len); /* nothing else in it */
  assert_null(strstr(b, "s3cret-pw"));
  free(b);
}

/* The message bodies (past the timestamp) of one direction, in order. */
static char *direction(side_log_t *sl, bool out, size_t *n) {
  char *o = malloc(ARENA);
  assert_non_null(o);
  *n = 0;
  for (unsigned i = 0; i < sl->host.nrec; i++) {
    if (sl->host.rec[i].out != out) continue;
    memcpy(o + *n, sl->host.arena + sl->host.rec[i].off, sl->host.rec[i].len);
    *n += sl->host.rec[i].len;
  }
  return o;
}

static void test_pair_logs_everything(void **state) {
  (void)state;
  char root[128];
  lu_new_dir(root, sizeof root);
  pair_t p;
  pair_init(&p, FIXGW_V_FIX44, tweak);
  side_log_t *ini = malloc(sizeof *ini), *acc = malloc(sizeof *acc);
  assert_non_null(ini);
  assert_non_null(acc);
  attach_side(&p, &p.ini, ini, root);
  attach_side(&p, &p.acc, acc, root);
  assert_int_equal(fixgw_session_on(p.acc.s, "D", h_order), 0);
  pair_connect(&p);
  assert_int_equal(fixgw_session_state_get(p.ini.s), FIXGW_SS_ACTIVE);

  /* Orders both ways, heartbeats and test requests, flushed now and
   * then as a host loop would; no allocation on any of it. */
  fixgw_alloc_count_reset();
  for (unsigned i = 0; i < 300; i++) {
    send_order(&p, i % 3 ? &p.ini : &p.acc, i);
    pair_pump(&p);
    if (i % 50 == 0) pair_advance(&p, 40 * SEC);
    else pair_advance(&p, SEC / 1000);
    if (i % 10 == 0) {
      assert_true(fixgw_log_flush(&ini->log, p.now.utc_ns) >= 0);
      assert_true(fixgw_log_flush(&acc->log, p.now.utc_ns) >= 0);
    }
  }
  if (fixgw_alloc_count_available()) assert_int_equal(fixgw_alloc_count_calls(), 0);
  assert_int_equal(fixgw_session_logout(p.ini.s, NULL, p.now), 0);
  pair_pump(&p);
  pair_advance(&p, 3 * SEC);
  assert_false(p.ini.connected);
  assert_true(fixgw_log_flush(&ini->log, p.now.utc_ns) >= 0);
  assert_true(fixgw_log_flush(&acc->log, p.now.utc_ns) >= 0);

  /* The host's callbacks ran, with its pointer. */
  assert_int_equal(acc->host.handler_ok, 200);
  assert_int_equal(ini->host.apps, 100);
  assert_true(ini->host.events > 0 && acc->host.events > 0);

  unsigned ini_in, ini_out, acc_in, acc_out;
  check_messages(ini, &ini_in, &ini_out);
  check_messages(acc, &acc_in, &acc_out);
  /* Every sequenced message is there (Logon, orders, heartbeats, test
   * requests, Logout): at least what the session counted. */
  const fixgw_session_stats_t *si = fixgw_session_stats(p.ini.s);
  print_message("  initiator logged %u out, %u in; acceptor %u out, %u in; %u + %u events\n",
                ini_out, ini_in, acc_out, acc_in, ini->host.events, acc->host.events);
  assert_true(ini_out >= si->msgs_out && si->msgs_out >= 200);
  assert_true(ini_in >= si->msgs_in && si->msgs_in >= 100);
  /* What one side logged as sent, the other logged as received. */
  assert_int_equal(ini_out, acc_in);
  assert_int_equal(acc_out, ini_in);
  size_t n1, n2;
  char *a = direction(ini, true, &n1), *b = direction(acc, false, &n2);
  assert_int_equal(n1, n2);
  /* The initiator's Logon is masked on both sides' logs alike. */
  assert_memory_equal(a, b, n1);
  free(a);
  free(b);

  /* Event lines: one per on_log call the host saw. */
  fixgw_log_stats_t st;
  fixgw_log_stats(&ini->log, &st);
  assert_int_equal(st.dropped, 0);
  assert_int_equal(st.lines, ini->host.nrec + ini->host.events);
  char name[200];
  snprintf(name, sizeof name, "%s.event.current.log", ini->prefix);
  char *e = lu_read(ini->dir, name, NULL);
  assert_int_equal(lu_count(e, "\n"), ini->host.events);
  assert_non_null(strstr(e, " : Received logon response\n")); /* initiator, QuickFIX's words */
  free(e);

  pair_destroy(&p);
  fixgw_log_destroy(&ini->log);
  fixgw_log_destroy(&acc->log);
  free(ini->host.arena);
  free(acc->host.arena);
  free(ini);
  free(acc);
}

static int64_t fixed_clock(void *u) { return *(const int64_t *)u; }

/* A clock callback and min_level, through a callback log. */
typedef struct got {
  int n;
  int64_t t;
  fixgw_log_kind k;
} got_t;

static void on_line(fixgw_log_kind k, fixgw_log_level lv, int64_t t, const char *text, size_t len,
                    void *user) {
  (void)lv;
  (void)text;
  (void)len;
  got_t *g = user;
  g->n++;
  g->t = t;
  g->k = k;
}

static void test_attach_clock_and_level(void **state) {
  (void)state;
  got_t g = {0, 0, FIXGW_LOG_IN};
  fixgw_callback_log_t cl;
  fixgw_log_t log;
  assert_int_equal(fixgw_callback_log_init(&cl, on_line, &g, &log), 0);
  fixgw_log_session_t ad;
  fixgw_session_callbacks_t cb;
  memset(&cb, 0, sizeof cb);
  cb.size = sizeof cb;
  void *user = NULL;
  int64_t t = 1234;
  fixgw_log_attach_config_t ac = {NULL, fixed_clock, &t, FIXGW_LOG_WARN};
  assert_int_equal(fixgw_log_attach(&ad, &log, &ac, &cb, &user), 0);
  cb.on_log(NULL, FIXGW_LOG_INFO, "below", user);
  assert_int_equal(g.n, 0);
  cb.on_log(NULL, FIXGW_LOG_ERROR, "above", user);
  assert_int_equal(g.n, 1);
  assert_int_equal(g.k, FIXGW_LOG_EVENT);
  assert_int_equal(g.t, 1234);
  t = 99;
  cb.on_wire(NULL, true, "8=FIX", 5, user);
  assert_int_equal(g.n, 2);
  assert_int_equal(g.k, FIXGW_LOG_OUT);
  assert_int_equal(g.t, 99);
}

static void test_attach_arguments(void **state) {
  (void)state;
  got_t g = {0, 0, FIXGW_LOG_IN};
  fixgw_callback_log_t cl;
  fixgw_log_t log;
  assert_int_equal(fixgw_callback_log_init(&cl, on_line, &g, &log), 0);
  fixgw_log_session_t ad;
  fixgw_session_callbacks_t cb;
  memset(&cb, 0, sizeof cb);
  cb.size = sizeof cb;
  void *user = NULL;
  fixgw_log_attach_config_t none = {NULL, NULL, NULL, FIXGW_LOG_DEBUG};
  assert_int_equal(fixgw_log_attach(&ad, &log, &none, &cb, &user), FIXGW_EINVAL);
  int64_t t = 1;
  fixgw_log_attach_config_t ac = {NULL, fixed_clock, &t, FIXGW_LOG_DEBUG};
  assert_int_equal(fixgw_log_attach(NULL, &log, &ac, &cb, &user), FIXGW_EINVAL);
  assert_int_equal(fixgw_log_attach(&ad, NULL, &ac, &cb, &user), FIXGW_EINVAL);
  assert_int_equal(fixgw_log_attach(&ad, &log, &ac, NULL, &user), FIXGW_EINVAL);
  /* The host set no callbacks: only the two logging ones are installed,
   * so the session's defaults for the others stay in force. */
  assert_int_equal(fixgw_log_attach(&ad, &log, &ac, &cb, &user), 0);
  assert_null(cb.on_app);
  assert_null(cb.on_outbound);
  assert_null(cb.on_logon_request);
  assert_non_null(cb.on_wire);
  assert_non_null(cb.on_log);
  assert_null(fixgw_log_session_user(user));
  assert_null(fixgw_log_session_user(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pair_logs_everything),
      cmocka_unit_test(test_attach_clock_and_level),
      cmocka_unit_test(test_attach_arguments),
  };
  return cmocka_run_group_tests(tests, lu_setup, lu_teardown);
}
