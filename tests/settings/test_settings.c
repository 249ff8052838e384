/* Settings files: a realistic QuickFIX file lands field for field in the
 * session configs; DEFAULT is inherited and overridden; every key refuses
 * its bad values with the right line and key; secrets resolve and never
 * leak into errors; hostile input (every truncation, seeded garbage,
 * limits, a failing allocator at every allocation) gives a clean result
 * or a clean error and leaks nothing. Inputs sit against a guard page. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixgw/settings.h"
#include "harness.h"

/* ------------------------------------------------ counting / failing alloc */

typedef struct talloc {
  long live;    /* outstanding blocks */
  long calls;   /* successful allocations */
  long fail_at; /* fail the allocation with this 1-based number; 0 never */
  int failed;
} talloc;

static void *t_alloc(size_t n, void *user) {
  talloc *t = user;
  if (t->fail_at && t->calls + 1 == t->fail_at) {
    t->failed = 1;
    t->fail_at = 0; /* once: a later allocation may succeed */
    return NULL;
  }
  void *p = malloc(n);
  if (p) {
    t->calls++;
    t->live++;
  }
  return p;
}

static void t_free(void *p, void *user) {
  talloc *t = user;
  if (p) t->live--;
  free(p);
}

/* ----------------------------------------------------------- helpers */

static fixgw_session_config_t base_cfg(void) {
  fixgw_session_config_t c;
  fixgw_session_config_default(&c);
  return c;
}

/* Load text (guarded) through a counting allocator; on success *out is
 * the result (free with done()), else NULL. Checks the error is clean. */
typedef struct loaded {
  fixgw_settings_t *s;
  fixgw_settings_error_t err;
  talloc t;
  fixgw_allocator_t a;
  int rc;
} loaded;

static void check_err_clean(const fixgw_settings_error_t *e) {
  assert_true(memchr(e->file, 0, sizeof e->file) != NULL);
  assert_true(memchr(e->key, 0, sizeof e->key) != NULL);
  assert_true(memchr(e->message, 0, sizeof e->message) != NULL);
  assert_true(e->message[0] != 0);
  char buf[700];
  int n = fixgw_settings_error_format(e, buf, sizeof buf);
  assert_true(n > 0 && (size_t)n < sizeof buf);
}

static void load_into(loaded *L, const char *text, size_t len) {
  fixgw_guard_t g;
  memset(L, 0, sizeof *L);
  L->a.alloc = t_alloc;
  L->a.free = t_free;
  L->a.user = &L->t;
  char *p = fixgw_guard_copy(&g, text, len);
  L->rc = fixgw_settings_load_mem(p, len, "test.cfg", &L->a, &L->s, &L->err);
  fixgw_guard_free(&g);
  if (L->rc) {
    assert_null(L->s);
    assert_int_equal(L->err.code, L->rc);
    check_err_clean(&L->err);
    assert_int_equal(L->t.live, 0);
  } else {
    assert_non_null(L->s);
    assert_int_equal(L->err.code, 0);
  }
}

static void done(loaded *L) {
  fixgw_settings_free(L->s);
  L->s = NULL;
  assert_int_equal(L->t.live, 0);
}

/* Expect an error of code at line with key. */
static void expect_err(const char *text, int code, uint32_t line,
                       const char *key) {
  loaded L;
  load_into(&L, text, strlen(text));
  if (L.rc != code || L.err.line != line || strcmp(L.err.key, key) != 0) {
    char buf[700];
    fixgw_settings_error_format(&L.err, buf, sizeof buf);
    print_error("input:\n%s\nwant %s at line %u key '%s', got %s: %s\n", text,
                fixgw_err_name(code), line, key, fixgw_err_name(L.rc), buf);
    fixgw_settings_free(L.s);
    fail();
  }
}

static const fixgw_session_settings_t *sess(loaded *L, size_t i) {
  const fixgw_session_settings_t *s = fixgw_settings_session(L->s, i);
  assert_non_null(s);
  return s;
}

/* ------------------------------------------------------- the realistic file */

static const char REALISTIC[] =
    "# Gateway settings, as QuickFIX users write them\n"       /* 1 */
    "[DEFAULT]\n"                                              /* 2 */
    "FileStorePath=store\n"                                    /* 3 */
    "FileLogPath=log\n"                                        /* 4 */
    "ConnectionType=initiator\n"                               /* 5 */
    "ReconnectInterval=5\n"                                    /* 6 */
    "StartTime=00:00:00\n"                                     /* 7 */
    "EndTime=00:00:00\n"                                       /* 8 */
    "HeartBtInt=30\n"                                          /* 9 */
    "UseDataDictionary=Y\n"                                    /* 10 */
    "ValidateUserDefinedFields=N\n"                            /* 11 */
    "ScreenLogShowIncoming=N\n"                                /* 12 */
    "ScreenLogShowOutgoing=N\n"                                /* 13 */
    "SocketNodelay=Y\n"                                        /* 14 */
    "  SenderCompID = GATEWAY  \n"                             /* 15 */
    "ResetOnLogon=Y\r\n"                                       /* 16 */
    "SocketAcceptPort=6000\n"                                  /* 17 */
    "\n"                                                       /* 18 */
    "# FIX 4.2 client connecting to us\n"                      /* 19 */
    "[SESSION]\n"                                              /* 20 */
    "ConnectionType=acceptor\n"                                /* 21 */
    "BeginString=FIX.4.2\n"                                    /* 22 */
    "TargetCompID=CLIENT1\n"                                   /* 23 */
    "SocketAcceptPort=5001\n"                                  /* 24 */
    "SocketAcceptHost=0.0.0.0\n"                               /* 25 */
    "ResetOnLogon=N\n"                                         /* 26 */
    "CheckLatency=N\n"                                         /* 27 */
    "ValidateFieldsOutOfOrder=N\n"                             /* 28 */
    "\n"                                                       /* 29 */
    "[SESSION]\n"                                              /* 30 */
    "BeginString=FIX.4.4\n"                                    /* 31 */
    "TargetCompID=BROKER\n"                                    /* 32 */
    "TargetSubID=DESK\n"                                       /* 33 */
    "SenderLocationID=LDN\n"                                   /* 34 */
    "SocketConnectHost=broker.example.com\n"                   /* 35 */
    "SocketConnectPort=9878\n"                                 /* 36 */
    "SocketConnectHost1=10.0.0.2\n"                            /* 37 */
    "SocketConnectPort1=9879\n"                                /* 38 */
    "StartDay=sun\n"                                           /* 39 */
    "EndDay=Friday\n"                                          /* 40 */
    "StartTime=18:00:00\n"                                     /* 41 */
    "EndTime=17:00:05\n"                                       /* 42 */
    "MillisecondsInTimeStamp=N\n"                              /* 43 */
    "Username=gw\n"                                            /* 44 */
    "Password=plain=pass\n"                                    /* 45 */
    "MaxLatency=30\n"                                          /* 46 */
    "ResendRequestChunkSize=2500\n"                            /* 47 */
    "SocketSendBufferSize=262144\n"                            /* 48 */
    "\n"                                                       /* 49 */
    "[SESSION]\n"                                              /* 50 */
    "BeginString=FIXT.1.1\n"                                   /* 51 */
    "DefaultApplVerID=FIX.5.0SP2\n"                            /* 52 */
    "TargetCompID=VENUE\n"                                     /* 53 */
    "SessionQualifier=MD\n"                                    /* 54 */
    "SocketConnectHost=venue.example.com\n"                    /* 55 */
    "SocketConnectPort=443\n"                                  /* 56 */
    "NonStopSession=Y\n"                                       /* 57 */
    "TimestampPrecision=6\n"                                   /* 58 */
    "HeartBtInt=10\n"                                          /* 59 */
    "EnableNextExpectedMsgSeqNum=Y\n"                          /* 60 */
    "AllowUnknownMsgFields=Y\n"                                /* 61 */
    "MaxMessageSize=65536\n"                                   /* 62 */
    "OverflowPolicy=disconnect\n"                              /* 63 */
    "ResetOnDisconnect=Y\n"                                    /* 64 */
    "[SESSION]\n"                                              /* 65 */
    "ConnectionType=acceptor\n"                                /* 66 */
    "AcceptorTemplate=Y\n"                                     /* 67 */
    "BeginString=FIX.4.4\n"                                    /* 68 */
    "TargetCompID=*\n"                                         /* 69 */
    "SocketAcceptPort=0\n"                                     /* 70 */
    "NonStopSession=Y";                                        /* 71: no \n */

static void test_realistic(void **state) {
  (void)state;
  fixgw_session_config_t b = base_cfg();
  loaded L;
  load_into(&L, REALISTIC, sizeof REALISTIC - 1);
  if (L.rc) {
    char buf[700];
    fixgw_settings_error_format(&L.err, buf, sizeof buf);
    fail_msg("%s", buf);
  }
  assert_int_equal(fixgw_settings_count(L.s), 4);
  assert_null(fixgw_settings_session(L.s, 4));

  /* [SESSION] 1: FIX.4.2 acceptor */
  const fixgw_session_settings_t *s = sess(&L, 0);
  const fixgw_session_config_t *c = &s->session;
  assert_int_equal(s->line, 20);
  assert_int_equal(s->connection_type, FIXGW_ACCEPTOR);
  assert_int_equal(c->role, FIXGW_ACCEPTOR);
  assert_int_equal(c->size, sizeof(fixgw_session_config_t));
  assert_int_equal(c->id.version, FIXGW_V_FIX42);
  assert_string_equal(c->id.sender_comp_id, "GATEWAY");
  assert_string_equal(c->id.target_comp_id, "CLIENT1");
  assert_string_equal(c->id.sender_sub_id, "");
  assert_string_equal(s->session_qualifier, "");
  assert_false(s->acceptor_template);
  assert_int_equal(s->nconnect, 0);
  assert_string_equal(s->accept_host, "0.0.0.0");
  assert_true(s->accept_port_set);
  assert_int_equal(s->accept_port, 5001);
  assert_int_equal(s->reconnect_interval_s, 5);
  assert_true(s->socket_nodelay);
  assert_string_equal(s->file_store_path, "store");
  assert_string_equal(s->file_log_path, "log");
  assert_false(c->reset_on_logon); /* overrides DEFAULT's Y */
  assert_false(c->check_latency);
  assert_int_equal(c->heartbeat_interval_s, 30);
  assert_true(c->use_data_dictionary);
  assert_null(c->dict);
  assert_int_equal(c->validation_checks,
                   b.validation_checks & ~(uint32_t)(FIXGW_VAL_USER_FIELDS |
                                                     FIXGW_VAL_ORDER));
  assert_true(c->schedule.enabled);
  assert_int_equal(c->schedule.start_time, 0);
  assert_int_equal(c->schedule.end_time, 0);
  assert_int_equal(c->schedule.start_day, -1);
  assert_int_equal(c->schedule.end_day, -1);
  assert_null(c->schedule.tz);
  assert_int_equal(c->default_appl_ver, b.default_appl_ver);
  assert_int_equal(c->timestamp_precision, b.timestamp_precision);
  assert_int_equal(c->logon_timeout_s, b.logon_timeout_s);
  assert_int_equal(c->max_msg_size, b.max_msg_size);
  assert_int_equal(c->store.ops == NULL, 1);

  /* [SESSION] 2: FIX.4.4 initiator with a fail-over and a weekly schedule */
  s = sess(&L, 1);
  c = &s->session;
  assert_int_equal(s->line, 30);
  assert_int_equal(c->role, FIXGW_INITIATOR);
  assert_int_equal(c->id.version, FIXGW_V_FIX44);
  assert_string_equal(c->id.target_comp_id, "BROKER");
  assert_string_equal(c->id.target_sub_id, "DESK");
  assert_string_equal(c->id.sender_location_id, "LDN");
  assert_int_equal(s->nconnect, 2);
  assert_string_equal(s->connect[0].host, "broker.example.com");
  assert_int_equal(s->connect[0].port, 9878);
  assert_string_equal(s->connect[1].host, "10.0.0.2");
  assert_int_equal(s->connect[1].port, 9879);
  assert_false(s->accept_port_set); /* DEFAULT's is an acceptor's */
  assert_int_equal(s->accept_port, 0);
  assert_true(c->reset_on_logon);
  assert_true(c->schedule.enabled);
  assert_int_equal(c->schedule.start_day, 0);
  assert_int_equal(c->schedule.end_day, 5);
  assert_int_equal(c->schedule.start_time, 18 * 3600);
  assert_int_equal(c->schedule.end_time, 17 * 3600 + 5);
  assert_int_equal(c->timestamp_precision, FIXGW_TS_SECONDS);
  assert_string_equal(c->username, "gw");
  assert_string_equal(c->password, "plain=pass");
  assert_int_equal(c->max_latency_s, 30);
  assert_int_equal(c->resend_request_chunk_size, 2500);
  assert_int_equal(s->socket_send_buffer_size, 262144);
  assert_int_equal(s->socket_receive_buffer_size, 0);
  assert_int_equal(c->validation_checks,
                   b.validation_checks & ~(uint32_t)FIXGW_VAL_USER_FIELDS);

  /* [SESSION] 3: FIXT.1.1 / FIX.5.0SP2 */
  s = sess(&L, 2);
  c = &s->session;
  assert_int_equal(c->id.version, FIXGW_V_FIXT11);
  assert_int_equal(c->default_appl_ver, FIXGW_DICT_FIX50SP2);
  assert_string_equal(s->session_qualifier, "MD");
  assert_int_equal(s->nconnect, 1);
  assert_int_equal(s->connect[0].port, 443);
  assert_false(c->schedule.enabled);
  assert_int_equal(c->timestamp_precision, FIXGW_TS_MICROS);
  assert_int_equal(c->heartbeat_interval_s, 10);
  assert_true(c->send_next_expected_msg_seq_num);
  assert_true(c->reset_on_disconnect);
  assert_int_equal(c->validation_checks,
                   b.validation_checks &
                       ~(uint32_t)(FIXGW_VAL_USER_FIELDS | FIXGW_VAL_UNDEFINED |
                                   FIXGW_VAL_TAG_IN_MSG));
  assert_int_equal(c->max_msg_size, 65536);
  /* 0 follows max_msg_size; a set default below it is raised */
  assert_true(c->rx_buffer_size == 0 || c->rx_buffer_size >= 65536);
  assert_int_equal(c->overflow, FIXGW_OVERFLOW_DISCONNECT);

  /* [SESSION] 4: acceptor template */
  s = sess(&L, 3);
  c = &s->session;
  assert_int_equal(s->line, 65);
  assert_true(s->acceptor_template);
  assert_string_equal(c->id.target_comp_id, "*");
  assert_true(s->accept_port_set);
  assert_int_equal(s->accept_port, 0);

  /* DEFAULT on its own */
  const fixgw_session_settings_t *d = fixgw_settings_defaults(L.s);
  assert_non_null(d);
  assert_int_equal(d->line, 2);
  assert_string_equal(d->session.id.sender_comp_id, "GATEWAY");
  assert_int_equal(d->reconnect_interval_s, 5);
  assert_int_equal(d->accept_port, 6000);
  assert_true(d->session.reset_on_logon);
  done(&L);
}

/* The same file through load_file. */
static void test_load_file(void **state) {
  (void)state;
  char path[] = "/tmp/fixgw_settings_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, REALISTIC, sizeof REALISTIC - 1),
                   (ssize_t)(sizeof REALISTIC - 1));
  close(fd);
  fixgw_settings_t *s = NULL;
  fixgw_settings_error_t e;
  assert_int_equal(fixgw_settings_load_file(path, NULL, &s, &e), 0);
  assert_int_equal(fixgw_settings_count(s), 4);
  fixgw_settings_free(s);
  unlink(path);

  s = NULL;
  assert_int_equal(fixgw_settings_load_file(path, NULL, &s, &e), FIXGW_EIO);
  assert_null(s);
  assert_string_equal(e.file, path);
  assert_int_equal(e.line, 0);
  assert_int_equal(fixgw_settings_load_file("/tmp", NULL, &s, &e), FIXGW_EIO);
  assert_int_equal(fixgw_settings_load_file("/dev/null", NULL, &s, &e),
                   FIXGW_ESETTINGS); /* empty: no sessions */
  assert_int_equal(fixgw_settings_load_file(NULL, NULL, &s, &e), FIXGW_EINVAL);
  assert_int_equal(fixgw_settings_load_file(path, NULL, NULL, &e),
                   FIXGW_EINVAL);
  assert_int_equal(fixgw_settings_load_mem(NULL, 1, "x", NULL, &s, &e),
                   FIXGW_EINVAL);
  assert_int_equal(fixgw_settings_load_mem(NULL, 0, NULL, NULL, &s, NULL),
                   FIXGW_ESETTINGS);
  fixgw_settings_free(NULL);
  assert_int_equal(fixgw_settings_count(NULL), 0);
  assert_null(fixgw_settings_session(NULL, 0));
  assert_null(fixgw_settings_defaults(NULL));
}

/* ------------------------------------------------- DEFAULT and overrides */

#define MIN_SESSION                                                    \
  "BeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"              \
  "ConnectionType=initiator\nNonStopSession=Y\n"

static void test_default_inheritance(void **state) {
  (void)state;
  /* DEFAULT after the sessions applies to them all the same. */
  const char *text =
      "[SESSION]\n"
      "BeginString=FIX.4.4\nTargetCompID=B1\n"
      "[SESSION]\n"
      "BeginString=FIX.4.3\nTargetCompID=B2\nHeartBtInt=45\n"
      "SenderSubID=\n"          /* clears the inherited one */
      "ValidateFieldsHaveValues=Y\n" /* undoes DEFAULT's N */
      "MillisecondsInTimeStamp=Y\n"  /* more specific than TimestampPrecision */
      "[DEFAULT]\n"
      "SenderCompID=ME\nSenderSubID=SUB\nConnectionType=initiator\n"
      "NonStopSession=Y\nHeartBtInt=20\nValidateFieldsHaveValues=N\n"
      "TimestampPrecision=9\n";
  fixgw_session_config_t b = base_cfg();
  loaded L;
  load_into(&L, text, strlen(text));
  assert_int_equal(L.rc, 0);
  const fixgw_session_settings_t *s1 = sess(&L, 0), *s2 = sess(&L, 1);
  assert_string_equal(s1->session.id.sender_comp_id, "ME");
  assert_string_equal(s1->session.id.sender_sub_id, "SUB");
  assert_int_equal(s1->session.heartbeat_interval_s, 20);
  assert_int_equal(s1->session.validation_checks,
                   b.validation_checks & ~(uint32_t)FIXGW_VAL_EMPTY);
  assert_int_equal(s1->session.timestamp_precision, FIXGW_TS_NANOS);
  assert_string_equal(s2->session.id.sender_comp_id, "ME");
  assert_string_equal(s2->session.id.sender_sub_id, "");
  assert_int_equal(s2->session.id.version, FIXGW_V_FIX43);
  assert_int_equal(s2->session.heartbeat_interval_s, 45);
  assert_int_equal(s2->session.validation_checks, b.validation_checks);
  assert_int_equal(s2->session.timestamp_precision, FIXGW_TS_MILLIS);
  assert_int_equal(fixgw_settings_defaults(L.s)->line, 11);
  done(&L);

  /* No DEFAULT at all: defaults view is config_default, line 0. */
  load_into(&L, "[SESSION]\n" MIN_SESSION, strlen("[SESSION]\n" MIN_SESSION));
  assert_int_equal(L.rc, 0);
  assert_int_equal(fixgw_settings_defaults(L.s)->line, 0);
  assert_int_equal(fixgw_settings_defaults(L.s)->reconnect_interval_s, 30);
  assert_true(fixgw_settings_defaults(L.s)->socket_nodelay);
  assert_int_equal(sess(&L, 0)->session.heartbeat_interval_s,
                   b.heartbeat_interval_s);
  done(&L);

  /* Section names ignore case, keys do not; a BOM and CRLF are fine. */
  const char *t2 = "\xEF\xBB\xBF[ session ]\r\n" MIN_SESSION;
  load_into(&L, t2, strlen(t2));
  assert_int_equal(L.rc, 0);
  done(&L);
  expect_err("[SESSION]\n" MIN_SESSION "heartbtint=3\n", FIXGW_ESETTINGS, 7,
             "heartbtint");
}

/* Values each key accepts, spelled the ways QuickFIX users spell them. */
static void test_value_spellings(void **state) {
  (void)state;
  static const struct {
    const char *line;
    int what;
    int want;
  } rows[] = {
      {"DefaultApplVerID=FIX.5.0SP2", 0, FIXGW_DICT_FIX50SP2},
      {"DefaultApplVerID=FIX50SP2", 0, FIXGW_DICT_FIX50SP2},
      {"DefaultApplVerID=9", 0, FIXGW_DICT_FIX50SP2},
      {"DefaultApplVerID=8", 0, FIXGW_DICT_FIX50SP1},
      {"DefaultApplVerID=FIX.5.0", 0, FIXGW_DICT_FIX50},
      {"DefaultApplVerID=7", 0, FIXGW_DICT_FIX50},
      {"DefaultApplVerID=FIX.4.4", 0, FIXGW_DICT_FIX44},
      {"DefaultApplVerID=FIX42", 0, FIXGW_DICT_FIX42},
      {"DefaultApplVerID=2", 0, FIXGW_DICT_FIX40},
      {"StartDay=Sunday", 1, 0},
      {"StartDay=sun", 1, 0},
      {"StartDay=SU", 1, 0},
      {"StartDay=mo", 1, 1},
      {"StartDay=Tue", 1, 2},
      {"StartDay=wednes", 1, 3},
      {"StartDay=th", 1, 4},
      {"StartDay=FRIDAY", 1, 5},
      {"StartDay=sa", 1, 6},
      {"StartTime=23:59:59", 2, 86399},
      {"StartTime=00:00:01", 2, 1},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char text[512];
    snprintf(text, sizeof text,
             "[SESSION]\nBeginString=FIXT.1.1\nSenderCompID=A\n"
             "TargetCompID=B\nConnectionType=initiator\n%s%s\n%s\n%s\n",
             rows[i].what == 0 ? "" : "DefaultApplVerID=9\n", rows[i].line,
             rows[i].what == 1 ? "EndDay=sat" : "",
             rows[i].what == 0 ? "NonStopSession=Y"
                               : (rows[i].what == 1 ? "StartTime=00:00:00\n"
                                                      "EndTime=00:00:00"
                                                    : "EndTime=00:00:00"));
    loaded L;
    load_into(&L, text, strlen(text));
    if (L.rc) {
      char buf[700];
      fixgw_settings_error_format(&L.err, buf, sizeof buf);
      fail_msg("%s: %s", rows[i].line, buf);
    }
    const fixgw_session_config_t *c = &sess(&L, 0)->session;
    int got = rows[i].what == 0   ? (int)c->default_appl_ver
              : rows[i].what == 1 ? c->schedule.start_day
                                  : c->schedule.start_time;
    if (got != rows[i].want) fail_msg("%s: got %d", rows[i].line, got);
    done(&L);
  }
}

/* ---------------------------------------------------------- bad values */

/* 64 bytes: one more than a CompID holds, half of one more than a secret */
#define L64 "0123456789012345678901234567890123456789012345678901234567890123"

/* Each row: a line put in [DEFAULT] at line 2, in front of a good session;
 * the error must name line 2 and the row's key. */
static void test_bad_values(void **state) {
  (void)state;
  static const struct {
    const char *line;
    const char *key;
  } rows[] = {
      {"BeginString=FIX.4.5", "BeginString"},
      {"BeginString=FIX.5.0SP2", "BeginString"},
      {"BeginString=", "BeginString"},
      {"SenderCompID=" L64,
       "SenderCompID"},
      {"TargetSubID=" L64,
       "TargetSubID"},
      {"SessionQualifier=" L64,
       "SessionQualifier"},
      {"DefaultApplVerID=FIXT.1.1", "DefaultApplVerID"},
      {"DefaultApplVerID=10", "DefaultApplVerID"},
      {"DefaultApplVerID=1", "DefaultApplVerID"},
      {"DefaultApplVerID=", "DefaultApplVerID"},
      {"ConnectionType=Initiator", "ConnectionType"},
      {"ConnectionType=both", "ConnectionType"},
      {"ConnectionType=", "ConnectionType"},
      {"AcceptorTemplate=yes", "AcceptorTemplate"},
      {"SocketConnectHost=a b", "SocketConnectHost"},
      {"SocketConnectHost=", "SocketConnectHost"},
      {"SocketConnectHost3=", "SocketConnectHost3"},
      {"SocketConnectPort=0", "SocketConnectPort"},
      {"SocketConnectPort=65536", "SocketConnectPort"},
      {"SocketConnectPort8=http", "SocketConnectPort8"},
      {"SocketAcceptPort=65536", "SocketAcceptPort"},
      {"SocketAcceptPort=-1", "SocketAcceptPort"},
      {"SocketAcceptPort=", "SocketAcceptPort"},
      {"ReconnectInterval=0", "ReconnectInterval"},
      {"ReconnectInterval=86401", "ReconnectInterval"},
      {"SocketNodelay=1", "SocketNodelay"},
      {"SocketSendBufferSize=1073741825", "SocketSendBufferSize"},
      {"SocketReceiveBufferSize=1k", "SocketReceiveBufferSize"},
      {"HeartBtInt=abc", "HeartBtInt"},
      {"HeartBtInt=30x", "HeartBtInt"},
      {"HeartBtInt=30 # comment", "HeartBtInt"},
      {"HeartBtInt=+30", "HeartBtInt"},
      {"HeartBtInt=-1", "HeartBtInt"},
      {"HeartBtInt=0", "HeartBtInt"},
      {"HeartBtInt=3601", "HeartBtInt"},
      {"HeartBtInt=99999999999", "HeartBtInt"},
      {"HeartBtInt=4294967296", "HeartBtInt"},
      {"HeartBtInt=3 0", "HeartBtInt"},
      {"HeartBtInt=", "HeartBtInt"},
      {"LogonTimeout=0", "LogonTimeout"},
      {"LogoutTimeout=x", "LogoutTimeout"},
      {"ResetOnLogon=y", "ResetOnLogon"},
      {"ResetOnLogout=Yes", "ResetOnLogout"},
      {"ResetOnDisconnect=", "ResetOnDisconnect"},
      {"RefreshOnLogon=true", "RefreshOnLogon"},
      {"SendRedundantResendRequests=0", "SendRedundantResendRequests"},
      {"PersistMessages=NO", "PersistMessages"},
      {"CheckCompID=n", "CheckCompID"},
      {"CheckLatency=YY", "CheckLatency"},
      {"MaxLatency=0", "MaxLatency"},
      {"RequiresOrigSendingTime=?", "RequiresOrigSendingTime"},
      {"EnableNextExpectedMsgSeqNum=T", "EnableNextExpectedMsgSeqNum"},
      {"ResendRequestChunkSize=2147483648", "ResendRequestChunkSize"},
      {"MillisecondsInTimeStamp=3", "MillisecondsInTimeStamp"},
      {"TimestampPrecision=2", "TimestampPrecision"},
      {"TimestampPrecision=12", "TimestampPrecision"},
      {"TimestampPrecision=", "TimestampPrecision"},
      {"Username=" L64 L64,
       "Username"},
      {"NonStopSession=maybe", "NonStopSession"},
      {"StartTime=24:00:00", "StartTime"},
      {"StartTime=9:00:00", "StartTime"},
      {"StartTime=09:60:00", "StartTime"},
      {"StartTime=09:00:60", "StartTime"},
      {"StartTime=09:00", "StartTime"},
      {"EndTime=09-00-00", "EndTime"},
      {"EndTime=", "EndTime"},
      {"StartDay=s", "StartDay"},
      {"StartDay=sundays", "StartDay"},
      {"EndDay=xx", "EndDay"},
      {"EndDay=", "EndDay"},
      {"TimeZone=../../etc/passwd", "TimeZone"},
      {"TimeZone=/etc/localtime", "TimeZone"},
      {"TimeZone=America//New_York", "TimeZone"},
      {"TimeZone=", "TimeZone"},
      {"UseLocalTime=L", "UseLocalTime"},
      {"UseDataDictionary=", "UseDataDictionary"},
      {"ValidateUserDefinedFields=X", "ValidateUserDefinedFields"},
      {"ValidateFieldsOutOfOrder=X", "ValidateFieldsOutOfOrder"},
      {"ValidateFieldsHaveValues=X", "ValidateFieldsHaveValues"},
      {"ValidateUnorderedGroupFields=X", "ValidateUnorderedGroupFields"},
      {"AllowUnknownMsgFields=X", "AllowUnknownMsgFields"},
      {"ValidateLengthAndChecksum=X", "ValidateLengthAndChecksum"},
      {"ValidateLengthAndChecksum=N", "ValidateLengthAndChecksum"},
      {"MaxMessageSize=63", "MaxMessageSize"},
      {"MaxMessageSize=67108865", "MaxMessageSize"},
      {"ReceiveBufferSize=1073741825", "ReceiveBufferSize"},
      {"TransmitBufferSize=10", "TransmitBufferSize"},
      {"GapQueueBytes=1073741825", "GapQueueBytes"},
      {"GapQueueMessages=1048577", "GapQueueMessages"},
      {"MaxFields=7", "MaxFields"},
      {"MaxFields=65536", "MaxFields"},
      {"OverflowPolicy=drop", "OverflowPolicy"},
      {"OverflowPolicy=Backpressure", "OverflowPolicy"},
      {"ScreenLogShowIncoming=1", "ScreenLogShowIncoming"},
      {"HttpAcceptPort=x", "HttpAcceptPort"},
      {"Password=" L64 L64,
       "Password"},
      {"Password=env:", "Password"},
      {"Password=file:", "Password"},
      {"BeginString=FIX.4.4\x01", ""},
      {"Heart\tBt=1", "Heart?Bt"},
      {"=5", ""},
      {"NoEqualsSign", ""},
      {"[SESSION", ""},
      {"[SESSIONS]", ""},
      {"[SESSION] x", ""},
      {"[]", ""},
      {"UnknownKey=1", "UnknownKey"},
      {"SocketConnectHost0=h", "SocketConnectHost0"},
      {"SocketConnectHost9=h", "SocketConnectHost9"},
      {"SocketConnectPort10=1", "SocketConnectPort10"},
      {"AppDataDictionary.FIX.9.9=x", "AppDataDictionary.FIX.9.9"},
      {"AppDataDictionary.FIXT.1.1=x", "AppDataDictionary.FIXT.1.1"},
      {"TimeStampPrecision=3", "TimeStampPrecision"},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char text[1024];
    snprintf(text, sizeof text, "[DEFAULT]\n%s\n[SESSION]\n" MIN_SESSION,
             rows[i].line);
    expect_err(text, FIXGW_ESETTINGS, 2, rows[i].key);
  }
}

/* Errors that need several keys: named at the key's line, or at the
 * [SESSION] line for what is missing. */
static void test_cross_key_errors(void **state) {
  (void)state;
  static const struct {
    const char *text;
    uint32_t line;
    const char *key;
  } rows[] = {
      /* required keys: the section's line */
      {"[SESSION]\nSenderCompID=A\nTargetCompID=B\nConnectionType=initiator\n"
       "NonStopSession=Y\n", 1, "BeginString"},
      {"[DEFAULT]\nNonStopSession=Y\n\n[SESSION]\nBeginString=FIX.4.4\n"
       "TargetCompID=B\nConnectionType=initiator\n", 4, "SenderCompID"},
      {"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nConnectionType=acceptor\n"
       "NonStopSession=Y\n", 1, "TargetCompID"},
      {"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"
       "NonStopSession=Y\n", 1, "ConnectionType"},
      {"[SESSION]\n" MIN_SESSION "[SESSION]\nNonStopSession=Y\n", 7,
       "BeginString"},
      {"[DEFAULT]\nSenderCompID=A\n[SESSION]\nSenderCompID=\n"
       "BeginString=FIX.4.4\nTargetCompID=B\nConnectionType=initiator\n"
       "NonStopSession=Y\n", 4, "SenderCompID"},
      /* schedule */
      {"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"
       "ConnectionType=initiator\n", 1, "StartTime"},
      {"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"
       "ConnectionType=initiator\nStartTime=00:00:00\n", 1, "EndTime"},
      {"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"
       "ConnectionType=initiator\nStartTime=00:00:00\nEndTime=00:00:00\n"
       "StartDay=mon\n", 8, "StartDay"},
      {"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"
       "ConnectionType=initiator\nStartTime=00:00:00\nEndTime=00:00:00\n"
       "EndDay=mon\n", 8, "EndDay"},
      {"[SESSION]\n" MIN_SESSION "NonStopSession=N\n", 7, "NonStopSession"},
      {"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"
       "ConnectionType=initiator\nStartTime=00:00:00\nEndTime=00:00:00\n"
       "TimeZone=UTC\nUseLocalTime=Y\n", 9, "UseLocalTime"},
      /* FIXT */
      {"[SESSION]\nBeginString=FIXT.1.1\nSenderCompID=A\nTargetCompID=B\n"
       "ConnectionType=initiator\nNonStopSession=Y\n", 1, "DefaultApplVerID"},
      {"[SESSION]\n" MIN_SESSION "DefaultApplVerID=9\n", 7,
       "DefaultApplVerID"},
      {"[SESSION]\n" MIN_SESSION "TransportDataDictionary=x.xml\n", 7,
       "TransportDataDictionary"},
      {"[SESSION]\n" MIN_SESSION "AppDataDictionary.FIX.5.0=x.xml\n", 7,
       "AppDataDictionary.FIX.5.0"},
      {"[SESSION]\nBeginString=FIXT.1.1\nDefaultApplVerID=9\nSenderCompID=A\n"
       "TargetCompID=B\nConnectionType=initiator\nNonStopSession=Y\n"
       "DataDictionary=x.xml\n", 8, "DataDictionary"},
      /* roles */
      {"[SESSION]\n" MIN_SESSION "SocketAcceptPort=5000\n", 7,
       "SocketAcceptPort"},
      {"[SESSION]\n" MIN_SESSION "SocketAcceptHost=h\n", 7,
       "SocketAcceptHost"},
      {"[SESSION]\n" MIN_SESSION "AcceptorTemplate=Y\n", 7,
       "AcceptorTemplate"},
      {"[DEFAULT]\nConnectionType=initiator\n[SESSION]\nBeginString=FIX.4.4\n"
       "SenderCompID=A\nTargetCompID=B\nNonStopSession=Y\nConnectionType=acceptor\n"
       "SocketConnectHost=h\nSocketConnectPort=1\n", 9, "SocketConnectHost"},
      {"[SESSION]\n" MIN_SESSION "TargetSubID=*\n", 7, "TargetSubID"},
      {"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=*\n"
       "ConnectionType=acceptor\nNonStopSession=Y\n", 4, "TargetCompID"},
      /* connect pairs and order */
      {"[SESSION]\n" MIN_SESSION "SocketConnectHost=h\n", 7,
       "SocketConnectHost"},
      {"[SESSION]\n" MIN_SESSION "SocketConnectPort=1\n", 7,
       "SocketConnectPort"},
      {"[SESSION]\n" MIN_SESSION
       "SocketConnectHost=h\nSocketConnectPort=1\nSocketConnectHost2=h\n"
       "SocketConnectPort2=2\n", 9, "SocketConnectHost2"},
      {"[SESSION]\n" MIN_SESSION
       "SocketConnectHost=h\nSocketConnectPort=1\nSocketConnectHost1=h\n", 9,
       "SocketConnectHost1"},
      /* buffers */
      {"[SESSION]\n" MIN_SESSION "MaxMessageSize=4096\nReceiveBufferSize=1024\n",
       8, "ReceiveBufferSize"},
      /* shape */
      {"HeartBtInt=30\n[SESSION]\n" MIN_SESSION, 1, "HeartBtInt"},
      {"[DEFAULT]\n[SESSION]\n" MIN_SESSION "[DEFAULT]\n", 8, ""},
      {"[SESSION]\n" MIN_SESSION "HeartBtInt=30\nHeartBtInt=31\n", 8,
       "HeartBtInt"},
      {"# only a comment\n[DEFAULT]\nHeartBtInt=30\n", 0, ""},
      {"", 0, ""},
      {"[SESSION]\n" MIN_SESSION "\x7F\n", 7, ""},
      /* QuickFIX substitutes nothing; a line is what it says */
      {"[SESSION]\n" MIN_SESSION "FileStorePath=a\rb\n", 7, ""},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
    expect_err(rows[i].text, FIXGW_ESETTINGS, rows[i].line, rows[i].key);

  /* NUL bytes (load_mem takes a length, so they can reach us) */
  static const char nul[] = "[SESSION]\n" MIN_SESSION "Username=a\0b\n";
  loaded L;
  load_into(&L, nul, sizeof nul - 1);
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_int_equal(L.err.line, 7);
}

/* Inherited keys that cannot apply are dropped, not errors. */
static void test_inherited_not_applicable(void **state) {
  (void)state;
  const char *text =
      "[DEFAULT]\nSenderCompID=ME\nNonStopSession=Y\nDefaultApplVerID=FIX.5.0SP2\n"
      "DataDictionary=nonexistent44.xml\nTransportDataDictionary=nonexistent.xml\n"
      "UseDataDictionary=N\nSocketAcceptPort=1\nSocketConnectHost=h\n"
      "SocketConnectPort=2\nAcceptorTemplate=Y\n"
      "[SESSION]\nBeginString=FIX.4.4\nTargetCompID=X\nConnectionType=initiator\n"
      "[SESSION]\nBeginString=FIXT.1.1\nTargetCompID=Y\nConnectionType=acceptor\n";
  fixgw_session_config_t b = base_cfg();
  loaded L;
  load_into(&L, text, strlen(text));
  assert_int_equal(L.rc, 0);
  const fixgw_session_settings_t *i = sess(&L, 0), *a = sess(&L, 1);
  assert_int_equal(i->session.default_appl_ver, b.default_appl_ver);
  assert_false(i->accept_port_set);
  assert_false(i->acceptor_template);
  assert_null(i->transport_data_dictionary);
  assert_string_equal(i->data_dictionary, "nonexistent44.xml");
  assert_null(i->session.dict); /* UseDataDictionary=N: not loaded */
  assert_int_equal(i->nconnect, 1);
  assert_int_equal(a->session.default_appl_ver, FIXGW_DICT_FIX50SP2);
  assert_true(a->accept_port_set);
  assert_true(a->acceptor_template);
  assert_int_equal(a->nconnect, 0);
  assert_null(a->data_dictionary);
  assert_string_equal(a->transport_data_dictionary, "nonexistent.xml");
  done(&L);
}

/* The explicit list of keys accepted without effect. */
static void test_ignored_keys(void **state) {
  (void)state;
  static const char *const ignored[] = {FIXGW_SETTINGS_IGNORED_KEYS};
  size_t i;
  for (i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
    char text[512];
    snprintf(text, sizeof text, "[SESSION]\n" MIN_SESSION "%s=%s\n", ignored[i],
             strcmp(ignored[i], "HttpAcceptPort") == 0 ? "8080" : "Y");
    loaded L;
    load_into(&L, text, strlen(text));
    if (L.rc) fail_msg("%s refused: %s", ignored[i], L.err.message);
    done(&L);
    snprintf(text, sizeof text, "[SESSION]\n" MIN_SESSION "%s=bogus\n",
             ignored[i]);
    expect_err(text, FIXGW_ESETTINGS, 7, ignored[i]);
  }
}

/* ----------------------------------------------------------- duplicates */

static void test_duplicates(void **state) {
  (void)state;
  expect_err("[DEFAULT]\nSenderCompID=A\nConnectionType=initiator\n"
             "NonStopSession=Y\nBeginString=FIX.4.4\n"
             "[SESSION]\nTargetCompID=B\n"
             "[SESSION]\nTargetCompID=C\n"
             "[SESSION]\nTargetCompID=B\n", /* line 10 */
             FIXGW_ESETTINGS, 10, "");
  /* Differing only by qualifier, sub ID, location ID or version: distinct */
  const char *ok =
      "[DEFAULT]\nSenderCompID=A\nConnectionType=initiator\n"
      "NonStopSession=Y\nBeginString=FIX.4.4\nTargetCompID=B\n"
      "[SESSION]\n"
      "[SESSION]\nSessionQualifier=Q\n"
      "[SESSION]\nTargetSubID=S\n"
      "[SESSION]\nSenderLocationID=L\n"
      "[SESSION]\nBeginString=FIX.4.2\n";
  loaded L;
  load_into(&L, ok, strlen(ok));
  assert_int_equal(L.rc, 0);
  assert_int_equal(fixgw_settings_count(L.s), 5);
  done(&L);
  /* The message says where the first one is. */
  load_into(&L, "[SESSION]\n" MIN_SESSION "[SESSION]\n" MIN_SESSION,
            strlen("[SESSION]\n" MIN_SESSION "[SESSION]\n" MIN_SESSION));
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_int_equal(L.err.line, 7);
  assert_non_null(strstr(L.err.message, "line 1"));
  assert_non_null(strstr(L.err.message, "FIX.4.4:A->B"));
}

/* -------------------------------------------------------------- secrets */

static void assert_no_leak(const fixgw_settings_error_t *e, const char *secret) {
  char buf[700];
  fixgw_settings_error_format(e, buf, sizeof buf);
  if (strstr(buf, secret) || strstr(e->message, secret) ||
      strstr(e->key, secret))
    fail_msg("the error shows the secret: %s", buf);
}

static char *write_tmp(const char *content, size_t n) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/fixgw_secret_XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, content, n), (ssize_t)n);
  close(fd);
  return path;
}

static void test_secrets(void **state) {
  (void)state;
  char text[1024];
  loaded L;

  /* env: */
  setenv("FIXGW_T_PW", "s3cr3t-from-env", 1);
  snprintf(text, sizeof text,
           "[DEFAULT]\nPassword=env:FIXGW_T_PW\n[SESSION]\n" MIN_SESSION
           "[SESSION]\n" MIN_SESSION "TargetCompID2=x\n");
  /* (a second session with a bad key: the DEFAULT resolved once, then the
   * error, which must not carry the resolved secret either) */
  load_into(&L, text, strlen(text));
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_no_leak(&L.err, "s3cr3t-from-env");
  snprintf(text, sizeof text,
           "[DEFAULT]\nPassword=env:FIXGW_T_PW\n[SESSION]\n" MIN_SESSION);
  load_into(&L, text, strlen(text));
  assert_int_equal(L.rc, 0);
  assert_string_equal(sess(&L, 0)->session.password, "s3cr3t-from-env");
  /* DEFAULT's raw secret reference resolved there too */
  assert_string_equal(fixgw_settings_defaults(L.s)->session.password,
                      "s3cr3t-from-env");
  done(&L);

  unsetenv("FIXGW_T_NOPE");
  expect_err("[SESSION]\n" MIN_SESSION "Password=env:FIXGW_T_NOPE\n",
             FIXGW_ESETTINGS, 7, "Password");
  load_into(&L, "[SESSION]\n" MIN_SESSION "Password=env:FIXGW_T_NOPE\n",
            strlen("[SESSION]\n" MIN_SESSION "Password=env:FIXGW_T_NOPE\n"));
  assert_non_null(strstr(L.err.message, "FIXGW_T_NOPE"));

  setenv("FIXGW_T_EMPTY", "", 1);
  expect_err("[SESSION]\n" MIN_SESSION "Password=env:FIXGW_T_EMPTY\n",
             FIXGW_ESETTINGS, 7, "Password");
  char longv[300];
  memset(longv, 'Q', 200);
  longv[200] = 0;
  setenv("FIXGW_T_LONG", longv, 1);
  load_into(&L, "[SESSION]\n" MIN_SESSION "Password=env:FIXGW_T_LONG\n",
            strlen("[SESSION]\n" MIN_SESSION "Password=env:FIXGW_T_LONG\n"));
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_no_leak(&L.err, "QQQQ");
  setenv("FIXGW_T_CTL", "ab\ncd", 1);
  load_into(&L, "[SESSION]\n" MIN_SESSION "Password=env:FIXGW_T_CTL\n",
            strlen("[SESSION]\n" MIN_SESSION "Password=env:FIXGW_T_CTL\n"));
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_no_leak(&L.err, "ab\ncd");

  /* file: first line, its CRLF stripped, the rest ignored */
  char *p = write_tmp("f1le-s3cret\r\nsecond line\n", 26);
  char path[64];
  snprintf(path, sizeof path, "%s", p);
  snprintf(text, sizeof text, "[SESSION]\n" MIN_SESSION "Password=file:%s\n",
           path);
  load_into(&L, text, strlen(text));
  assert_int_equal(L.rc, 0);
  assert_string_equal(sess(&L, 0)->session.password, "f1le-s3cret");
  done(&L);
  unlink(path);
  /* no line end at all; exactly FIXGW_SECRET_MAX bytes */
  char maxs[FIXGW_SECRET_MAX + 2];
  memset(maxs, 'k', FIXGW_SECRET_MAX);
  maxs[FIXGW_SECRET_MAX] = 0;
  p = write_tmp(maxs, FIXGW_SECRET_MAX);
  snprintf(path, sizeof path, "%s", p);
  snprintf(text, sizeof text, "[SESSION]\n" MIN_SESSION "Password=file:%s\n",
           path);
  load_into(&L, text, strlen(text));
  assert_int_equal(L.rc, 0);
  assert_string_equal(sess(&L, 0)->session.password, maxs);
  done(&L);
  unlink(path);
  /* too long: the error names the file, not what is in it */
  char big[400];
  memset(big, 'Z', 200);
  memcpy(big + 200, "\n", 2);
  p = write_tmp(big, 201);
  snprintf(path, sizeof path, "%s", p);
  snprintf(text, sizeof text, "[SESSION]\n" MIN_SESSION "Password=file:%s\n",
           path);
  load_into(&L, text, strlen(text));
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_int_equal(L.err.line, 7);
  assert_no_leak(&L.err, "ZZZZ");
  assert_non_null(strstr(L.err.message, path));
  unlink(path);
  /* 128 bytes then a newline: one too many */
  memset(big, 'Y', 128);
  memcpy(big + 128, "\n", 2);
  p = write_tmp(big, 129);
  snprintf(path, sizeof path, "%s", p);
  snprintf(text, sizeof text, "[SESSION]\n" MIN_SESSION "Password=file:%s\n",
           path);
  load_into(&L, text, strlen(text));
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_no_leak(&L.err, "YYYY");
  unlink(path);
  /* empty */
  p = write_tmp("\nsecond\n", 8);
  snprintf(path, sizeof path, "%s", p);
  snprintf(text, sizeof text, "[SESSION]\n" MIN_SESSION "Password=file:%s\n",
           path);
  expect_err(text, FIXGW_ESETTINGS, 7, "Password");
  unlink(path);
  /* unreadable */
  expect_err("[SESSION]\n" MIN_SESSION
             "Password=file:/nonexistent/fixgw/secret\n",
             FIXGW_EIO, 7, "Password");
  expect_err("[SESSION]\n" MIN_SESSION "Password=file:/tmp\n", FIXGW_EIO, 7,
             "Password");

  /* plain, too long: no value in the message */
  char pl[300];
  memset(pl, 'P', 200);
  pl[200] = 0;
  snprintf(text, sizeof text, "[SESSION]\n" MIN_SESSION "Password=%s\n", pl);
  load_into(&L, text, strlen(text));
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_no_leak(&L.err, "PPPP");
  /* a malformed line holding a secret does not show it either */
  load_into(&L, "[SESSION]\n" MIN_SESSION "Password hunter2\n",
            strlen("[SESSION]\n" MIN_SESSION "Password hunter2\n"));
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_no_leak(&L.err, "hunter2");
  load_into(&L, "[SESSION]\n" MIN_SESSION "Password=hunter2\x02\n",
            strlen("[SESSION]\n" MIN_SESSION "Password=hunter2\x02\n"));
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_no_leak(&L.err, "hunter2");
  load_into(&L, "[SESSION]\n" MIN_SESSION "Password=a\nPassword=hunter2\n",
            strlen("[SESSION]\n" MIN_SESSION "Password=a\nPassword=hunter2\n"));
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_no_leak(&L.err, "hunter2");
}

/* ----------------------------------------------------------- schedules */

static void test_time_zones(void **state) {
  (void)state;
  static const char *const utc[] = {"UTC", "Etc/UTC", "GMT", "Etc/GMT"};
  size_t i;
  char text[512];
  loaded L;
  for (i = 0; i < 4; i++) {
    snprintf(text, sizeof text,
             "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"
             "ConnectionType=initiator\nStartTime=08:00:00\nEndTime=17:00:00\n"
             "TimeZone=%s\n",
             utc[i]);
    load_into(&L, text, strlen(text));
    assert_int_equal(L.rc, 0);
    assert_null(sess(&L, 0)->session.schedule.tz);
    assert_string_equal(sess(&L, 0)->time_zone, utc[i]);
    done(&L);
  }
  /* A real zone: loaded and shared when the tz module is there, else a
   * clean FIXGW_ETZ at the TimeZone line. Non-stop sessions load none. */
  const char *ny =
      "[DEFAULT]\nSenderCompID=A\nConnectionType=initiator\nBeginString=FIX.4.4\n"
      "StartTime=08:00:00\nEndTime=17:00:00\nTimeZone=America/New_York\n"
      "[SESSION]\nTargetCompID=B\n[SESSION]\nTargetCompID=C\n"
      "[SESSION]\nTargetCompID=D\nNonStopSession=Y\n";
  load_into(&L, ny, strlen(ny));
  if (L.rc == 0) {
    assert_non_null(sess(&L, 0)->session.schedule.tz);
    assert_ptr_equal(sess(&L, 0)->session.schedule.tz,
                     sess(&L, 1)->session.schedule.tz);
    assert_null(sess(&L, 2)->session.schedule.tz);
    done(&L);
  } else {
    assert_int_equal(L.rc, FIXGW_ETZ);
    assert_int_equal(L.err.line, 7);
    assert_string_equal(L.err.key, "TimeZone");
  }
  /* UseLocalTime in the session beats DEFAULT's TimeZone */
  const char *lt =
      "[DEFAULT]\nTimeZone=UTC\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\n"
      "TargetCompID=B\nConnectionType=initiator\nStartTime=08:00:00\n"
      "EndTime=17:00:00\nUseLocalTime=Y\n";
  load_into(&L, lt, strlen(lt));
  if (L.rc == 0) {
    assert_true(sess(&L, 0)->use_local_time);
    assert_null(sess(&L, 0)->time_zone);
    done(&L);
  } else {
    assert_int_equal(L.rc, FIXGW_ETZ);
    assert_int_equal(L.err.line, 10);
    assert_string_equal(L.err.key, "UseLocalTime");
  }
  /* ...and TimeZone in the session beats DEFAULT's UseLocalTime */
  const char *tz =
      "[DEFAULT]\nUseLocalTime=Y\n[SESSION]\nBeginString=FIX.4.4\n"
      "SenderCompID=A\nTargetCompID=B\nConnectionType=initiator\n"
      "StartTime=08:00:00\nEndTime=17:00:00\nTimeZone=UTC\n";
  load_into(&L, tz, strlen(tz));
  assert_int_equal(L.rc, 0);
  assert_false(sess(&L, 0)->use_local_time);
  assert_null(sess(&L, 0)->session.schedule.tz);
  done(&L);
}

/* --------------------------------------------------------- dictionaries */

static bool spec_dir_present(void) {
  struct stat st;
  return stat(FIXGW_SPEC_DIR "/FIX44.xml", &st) == 0;
}

static void test_dictionaries(void **state) {
  (void)state;
  if (!spec_dir_present()) skip();
  char text[2048];
  loaded L;
  snprintf(text, sizeof text,
           "[DEFAULT]\nSenderCompID=ME\nConnectionType=initiator\n"
           "NonStopSession=Y\nDataDictionary=%s/FIX44.xml\n"
           "TransportDataDictionary=%s/FIXT11.xml\nUseDataDictionary=Y\n"
           "[SESSION]\nBeginString=FIX.4.4\nTargetCompID=A\n"
           "[SESSION]\nBeginString=FIX.4.4\nTargetCompID=B\n"
           "[SESSION]\nBeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0SP2\n"
           "TargetCompID=C\nAppDataDictionary=%s/FIX50SP2.xml\n"
           "AppDataDictionary.FIX.4.4=%s/FIX44.xml\n",
           FIXGW_SPEC_DIR, FIXGW_SPEC_DIR, FIXGW_SPEC_DIR, FIXGW_SPEC_DIR);
  load_into(&L, text, strlen(text));
  if (L.rc) fail_msg("%s", L.err.message);
  const fixgw_session_config_t *a = &sess(&L, 0)->session,
                               *b = &sess(&L, 1)->session,
                               *c = &sess(&L, 2)->session;
  assert_non_null(a->dict);
  assert_ptr_equal(a->dict, b->dict); /* one copy per path */
  assert_int_equal(a->dict->major, 4);
  assert_int_equal(a->dict->minor, 4);
  assert_non_null(a->dict->owner_); /* loaded, not the built-in */
  assert_non_null(c->dict);
  assert_int_equal(c->dict->transport, 1);
  assert_non_null(c->app[FIXGW_DICT_FIX50SP2]);
  assert_int_equal(c->app[FIXGW_DICT_FIX50SP2]->servicepack, 2);
  assert_ptr_equal(c->app[FIXGW_DICT_FIX44], a->dict);
  assert_null(c->app[FIXGW_DICT_FIX42]);
  assert_null(fixgw_settings_defaults(L.s)->session.dict);
  done(&L);

  /* The wrong version for the session: named at the key. */
  snprintf(text, sizeof text,
           "[SESSION]\nBeginString=FIX.4.2\nSenderCompID=A\nTargetCompID=B\n"
           "ConnectionType=initiator\nNonStopSession=Y\n"
           "DataDictionary=%s/FIX44.xml\nUseDataDictionary=Y\n",
           FIXGW_SPEC_DIR);
  expect_err(text, FIXGW_ESETTINGS, 7, "DataDictionary");
  snprintf(text, sizeof text,
           "[SESSION]\nBeginString=FIXT.1.1\nDefaultApplVerID=9\n"
           "SenderCompID=A\nTargetCompID=B\nConnectionType=initiator\n"
           "NonStopSession=Y\nTransportDataDictionary=%s/FIX50SP2.xml\n"
           "UseDataDictionary=Y\n",
           FIXGW_SPEC_DIR);
  expect_err(text, FIXGW_ESETTINGS, 8, "TransportDataDictionary");
  snprintf(text, sizeof text,
           "[DEFAULT]\nAppDataDictionary=%s/FIX50SP1.xml\n"
           "[SESSION]\nBeginString=FIXT.1.1\nDefaultApplVerID=9\n"
           "SenderCompID=A\nTargetCompID=B\nConnectionType=initiator\n"
           "NonStopSession=Y\nUseDataDictionary=Y\n",
           FIXGW_SPEC_DIR);
  expect_err(text, FIXGW_ESETTINGS, 2, "AppDataDictionary");
  snprintf(text, sizeof text,
           "[SESSION]\nBeginString=FIXT.1.1\nDefaultApplVerID=9\n"
           "SenderCompID=A\nTargetCompID=B\nConnectionType=initiator\n"
           "NonStopSession=Y\nAppDataDictionary=%s/FIX50SP2.xml\n"
           "AppDataDictionary.9=%s/FIX50SP2.xml\nUseDataDictionary=Y\n",
           FIXGW_SPEC_DIR, FIXGW_SPEC_DIR);
  expect_err(text, FIXGW_ESETTINGS, 8, "AppDataDictionary");
  /* Missing or invalid files: the loader's code at the key's line. */
  expect_err("[SESSION]\n" MIN_SESSION "DataDictionary=/nonexistent/FIX44.xml\nUseDataDictionary=Y\n",
             FIXGW_EIO, 7, "DataDictionary");
  char *bad = write_tmp("<fix major='4' minor='4'><header>", 33);
  char badp[64];
  snprintf(badp, sizeof badp, "%s", bad);
  snprintf(text, sizeof text, "[SESSION]\n" MIN_SESSION "DataDictionary=%s\nUseDataDictionary=Y\n",
           badp);
  loaded E;
  load_into(&E, text, strlen(text));
  assert_true(E.rc <= FIXGW_EDICT_XML && E.rc >= FIXGW_EDICT_LIMIT);
  assert_int_equal(E.err.line, 7);
  assert_string_equal(E.err.key, "DataDictionary");
  unlink(badp);

  /* Every allocation failing in turn, the dictionary loads included. */
  snprintf(text, sizeof text,
           "[DEFAULT]\nSenderCompID=ME\nConnectionType=initiator\n"
           "NonStopSession=Y\nDataDictionary=%s/FIX44.xml\nUseDataDictionary=Y\n"
           "[SESSION]\nBeginString=FIX.4.4\nTargetCompID=A\n"
           "[SESSION]\nBeginString=FIX.4.4\nTargetCompID=B\n",
           FIXGW_SPEC_DIR);
  loaded ok;
  load_into(&ok, text, strlen(text));
  assert_int_equal(ok.rc, 0);
  long total = ok.t.calls;
  done(&ok);
  long n, step = total / 60 + 1;
  for (n = 1; n <= total; n += n < 40 ? 1 : step) {
    fixgw_settings_t *s = NULL;
    fixgw_settings_error_t e;
    talloc t = {0, 0, n, 0};
    fixgw_allocator_t al = {t_alloc, t_free, &t};
    int rc = fixgw_settings_load_mem(text, strlen(text), "d.cfg", &al, &s, &e);
    assert_true(t.failed);
    assert_int_equal(rc, FIXGW_ENOMEM);
    assert_null(s);
    assert_int_equal(t.live, 0);
  }
}

/* ------------------------------------------------------ hostile inputs */

static void test_truncation(void **state) {
  (void)state;
  size_t len = sizeof REALISTIC - 1, cut;
  int ok = 0, bad = 0;
  for (cut = 0; cut <= len; cut++) {
    loaded L;
    load_into(&L, REALISTIC, cut);
    if (L.rc == 0) {
      ok++;
      assert_true(fixgw_settings_count(L.s) >= 1);
      done(&L);
    } else {
      bad++;
      assert_int_equal(L.rc, FIXGW_ESETTINGS);
      assert_true(L.err.line <= 71);
    }
  }
  assert_true(ok > 0 && bad > 0);
}

static uint64_t rng_state;
static uint64_t rnd(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

static void test_garbage(void **state) {
  (void)state;
  static const char alphabet[] =
      "[]=#\n\n\n\r\t  =ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
      "0123456789.:*/-_";
  char buf[4096];
  int i;
  rng_state = 0x5EEDF1C5ull;
  for (i = 0; i < 3000; i++) {
    size_t n, j;
    if (i % 2 == 0) {
      /* random text from settings-like bytes, some fully random */
      n = rnd() % 400;
      for (j = 0; j < n; j++) {
        uint64_t r = rnd();
        buf[j] = r % 16 == 0 ? (char)(r >> 8) : alphabet[(r >> 8) % (sizeof alphabet - 1)];
      }
    } else {
      /* the realistic file with a few edits */
      n = sizeof REALISTIC - 1;
      memcpy(buf, REALISTIC, n);
      int edits = 1 + (int)(rnd() % 8), e;
      for (e = 0; e < edits; e++) {
        uint64_t r = rnd();
        size_t at = (size_t)(r % (n + 1));
        char ch = (r >> 40) % 4 == 0 ? (char)(r >> 32)
                                     : alphabet[(r >> 32) % (sizeof alphabet - 1)];
        switch ((r >> 20) % 3) {
          case 0:
            if (at < n) buf[at] = ch;
            break;
          case 1:
            if (n + 1 < sizeof buf) {
              memmove(buf + at + 1, buf + at, n - at);
              buf[at] = ch;
              n++;
            }
            break;
          default:
            if (at < n) {
              memmove(buf + at, buf + at + 1, n - at - 1);
              n--;
            }
        }
      }
    }
    loaded L;
    load_into(&L, buf, n);
    if (L.rc == 0) done(&L);
    else
      assert_true(L.rc == FIXGW_ESETTINGS || L.rc == FIXGW_EIO ||
                  L.rc == FIXGW_ETZ);
  }
}

static void test_limits(void **state) {
  (void)state;
  size_t cap = FIXGW_SETTINGS_MAX_FILE + 64;
  char *t = malloc(cap);
  assert_non_null(t);
  loaded L;

  /* A 4096-byte line is fine, 4097 is not (comments too). */
  int n = snprintf(t, cap, "[SESSION]\n" MIN_SESSION "FileStorePath=");
  memset(t + n, 'p', FIXGW_SETTINGS_MAX_LINE - 14);
  n += (int)FIXGW_SETTINGS_MAX_LINE - 14;
  t[n++] = '\n';
  load_into(&L, t, (size_t)n);
  assert_int_equal(L.rc, 0);
  assert_int_equal(strlen(sess(&L, 0)->file_store_path),
                   FIXGW_SETTINGS_MAX_LINE - 14);
  done(&L);
  t[n - 1] = 'p';
  t[n++] = '\n';
  expect_err("", FIXGW_ESETTINGS, 0, ""); /* (empty: no sessions) */
  load_into(&L, t, (size_t)n);
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_int_equal(L.err.line, 7);
  n = snprintf(t, cap, "[SESSION]\n" MIN_SESSION "#");
  memset(t + n, 'c', 5000);
  load_into(&L, t, (size_t)n + 5000);
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_int_equal(L.err.line, 7);

  /* The file size bound, in memory and on disk. */
  n = snprintf(t, cap, "[SESSION]\n" MIN_SESSION);
  memset(t + n, '\n', cap - (size_t)n);
  load_into(&L, t, FIXGW_SETTINGS_MAX_FILE);
  assert_int_equal(L.rc, 0);
  done(&L);
  load_into(&L, t, FIXGW_SETTINGS_MAX_FILE + 1);
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_int_equal(L.err.line, 0);
  char *p = write_tmp(t, FIXGW_SETTINGS_MAX_FILE + 1);
  char path[64];
  snprintf(path, sizeof path, "%s", p);
  fixgw_settings_t *s = NULL;
  fixgw_settings_error_t e;
  assert_int_equal(fixgw_settings_load_file(path, NULL, &s, &e),
                   FIXGW_ESETTINGS);
  unlink(path);

  /* FIXGW_SETTINGS_MAX_SESSIONS sessions load; one more is refused at its
   * header. */
  size_t k, m = (size_t)snprintf(t, cap,
                                 "[DEFAULT]\nBeginString=FIX.4.4\n"
                                 "SenderCompID=A\nConnectionType=initiator\n"
                                 "NonStopSession=Y\n");
  for (k = 0; k < FIXGW_SETTINGS_MAX_SESSIONS; k++)
    m += (size_t)snprintf(t + m, cap - m, "[SESSION]\nTargetCompID=T%zu\n", k);
  load_into(&L, t, m);
  assert_int_equal(L.rc, 0);
  assert_int_equal(fixgw_settings_count(L.s), FIXGW_SETTINGS_MAX_SESSIONS);
  assert_string_equal(sess(&L, 9999)->session.id.target_comp_id, "T9999");
  done(&L);
  /* a duplicate among them is found */
  size_t dup = m;
  m += (size_t)snprintf(t + m, cap - m, "[SESSION]\nTargetCompID=T5000\n");
  load_into(&L, t, m);
  assert_int_equal(L.rc, FIXGW_ESETTINGS);
  assert_int_equal(L.err.line, 5 + 2 * FIXGW_SETTINGS_MAX_SESSIONS + 1);
  (void)dup;
  free(t);
}

/* Fail the Nth allocation for every N until the load succeeds. */
static void test_failing_allocator(void **state) {
  (void)state;
  long n;
  for (n = 1;; n++) {
    fixgw_settings_t *s = NULL;
    fixgw_settings_error_t e;
    talloc t = {0, 0, n, 0};
    fixgw_allocator_t al = {t_alloc, t_free, &t};
    int rc = fixgw_settings_load_mem(REALISTIC, sizeof REALISTIC - 1, "f.cfg",
                                     &al, &s, &e);
    if (!t.failed) {
      assert_int_equal(rc, 0);
      fixgw_settings_free(s);
      assert_int_equal(t.live, 0);
      break;
    }
    assert_int_equal(rc, FIXGW_ENOMEM);
    assert_int_equal(e.code, FIXGW_ENOMEM);
    assert_null(s);
    assert_int_equal(t.live, 0);
  }
  assert_true(n > 3);
  /* load_file's own buffer too */
  char path[] = "/tmp/fixgw_settings_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, REALISTIC, sizeof REALISTIC - 1),
                   (ssize_t)(sizeof REALISTIC - 1));
  close(fd);
  for (n = 1;; n++) {
    fixgw_settings_t *s = NULL;
    talloc t = {0, 0, n, 0};
    fixgw_allocator_t al = {t_alloc, t_free, &t};
    int rc = fixgw_settings_load_file(path, &al, &s, NULL);
    if (!t.failed) {
      assert_int_equal(rc, 0);
      fixgw_settings_free(s);
      assert_int_equal(t.live, 0);
      break;
    }
    assert_int_equal(rc, FIXGW_ENOMEM);
    assert_int_equal(t.live, 0);
  }
  unlink(path);
}

static void test_error_format(void **state) {
  (void)state;
  fixgw_settings_error_t e;
  char buf[64];
  memset(&e, 0, sizeof e);
  snprintf(e.file, sizeof e.file, "gw.cfg");
  e.line = 12;
  snprintf(e.key, sizeof e.key, "HeartBtInt");
  snprintf(e.message, sizeof e.message, "'x' is not an integer in 1..3600");
  assert_int_equal(fixgw_settings_error_format(&e, buf, sizeof buf),
                   (int)strlen("gw.cfg:12: HeartBtInt: 'x' is not an integer in 1..3600"));
  assert_string_equal(buf, "gw.cfg:12: HeartBtInt: 'x' is not an integer in 1..3600");
  e.key[0] = 0;
  fixgw_settings_error_format(&e, buf, sizeof buf);
  assert_string_equal(buf, "gw.cfg:12: 'x' is not an integer in 1..3600");
  e.line = 0;
  fixgw_settings_error_format(&e, buf, sizeof buf);
  assert_string_equal(buf, "gw.cfg: 'x' is not an integer in 1..3600");
  assert_true(fixgw_settings_error_format(&e, buf, 4) > 4);
  assert_string_equal(buf, "gw.");
  /* A real one, end to end */
  loaded L;
  load_into(&L, "[SESSION]\n" MIN_SESSION "HeartBtInt=3x\n",
            strlen("[SESSION]\n" MIN_SESSION "HeartBtInt=3x\n"));
  char full[700];
  fixgw_settings_error_format(&L.err, full, sizeof full);
  assert_string_equal(full,
                      "test.cfg:7: HeartBtInt: '3x' is not an integer in 1..3600");
  /* keys shown in errors are printable */
  load_into(&L, "[SESSION]\n" MIN_SESSION "K\xC3\xA9y=1\n",
            strlen("[SESSION]\n" MIN_SESSION "K\xC3\xA9y=1\n"));
  assert_string_equal(L.err.key, "K??y");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_realistic),
      cmocka_unit_test(test_load_file),
      cmocka_unit_test(test_default_inheritance),
      cmocka_unit_test(test_value_spellings),
      cmocka_unit_test(test_bad_values),
      cmocka_unit_test(test_cross_key_errors),
      cmocka_unit_test(test_inherited_not_applicable),
      cmocka_unit_test(test_ignored_keys),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_secrets),
      cmocka_unit_test(test_time_zones),
      cmocka_unit_test(test_dictionaries),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_failing_allocator),
      cmocka_unit_test(test_error_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
