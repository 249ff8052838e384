/*
 * Scripted session tests: one session under test, the script plays the
 * counterparty byte for byte, under a fake clock, through memory.
 *
 * Every tests/session/scripts/NAME.fixs file is one cmocka test, found by
 * listing FIXGW_SESSION_SCRIPTS_DIR at run time (sorted by name). One
 * argument runs only the scripts whose name contains it:
 *   test_session_script logon        # every script with "logon" in its name
 *
 * ---------------------------------------------------------------- format
 * One command per line; '#' starts a comment line; blank lines are
 * ignored. Field lists are "tag=value|tag=value|..." with '|' for SOH.
 *
 *   config k=v k=v ...   session settings (before the session exists, i.e.
 *                        before the first other command); keys below
 *   connect / reconnect  the transport is up (fixgw_session_connected)
 *   disconnect           the host drops the transport (disconnected, io_error)
 *   eof                  the peer closed its side (fixgw_session_recv_eof)
 *   logout [TEXT]        the host asks for a Logout (fixgw_session_logout)
 *   recv FIELDS          one message from the peer: the runner writes
 *                        8=<ours>, 9 and 10 around FIELDS (35 first). When
 *                        FIELDS starts with 8=..., that BeginString is used.
 *   recvraw BYTES        exactly these bytes ({len}: the right BodyLength of
 *                        what follows 9=...|, up to the 10=; {cs}: the right
 *                        CheckSum), for garbled input
 *   recvgarbage N SEED   N pseudo-random bytes (SEED picks them)
 *   send TYPE|FIELDS     the application sends (send_begin, fields, commit)
 *   send-fail CODE TYPE|FIELDS   ... and that fails with FIXGW_<CODE>
 *   advance Ns|Nms       move the fake clock, running on_timer at every
 *                        deadline the session asks for on the way
 *   hold / release       the host stops / resumes writing the session's
 *                        output (slow consumer); expect* still drain
 *   setseq sender=N target=N   set the next numbers by hand
 *   repeat N ... end     the lines between, N times ({i} is 1..N)
 *
 *   expect FIELDS        the next outbound message has these fields: tag=v
 *                        (first occurrence equals v), tag=* (present),
 *                        tag~text (contains text), !tag (absent). Every
 *                        outbound message is also checked for framing:
 *                        8, 9, 35 first, the other header fields ascending,
 *                        the body ascending, 10 last, BodyLength and
 *                        CheckSum right.
 *   expect-n N FIELDS    the next N outbound messages each match
 *   expect-none          nothing more was sent
 *   expect-app FIELDS    the next message the application handler got
 *   expect-app-none      the application got nothing more
 *   expect-log TEXT      a log line (after the last one matched) contains TEXT
 *   expect-nolog TEXT    no log line so far contains TEXT
 *   expect-state NAME    active, await_logon, logon_sent, logout_sent,
 *                        closing, disconnected
 *   expect-seqs sender=N target=N
 *   expect-want read=0|1 write=0|1
 *   expect-stat NAME=N | NAME>=N   a fixgw_session_stats_t counter
 *   expect-rc CODE       the last recv/timer call returned FIXGW_<CODE> (OK)
 *   expect-disconnect [REASON]  after writing what is pending the session
 *                        wants neither read nor write; the runner closes
 *                        (disconnected) and, with REASON, checks the reason
 *                        on_logout reported (logout, protocol, timeout, ...)
 *
 * Placeholders, anywhere in a line: {now} SendingTime of the fake clock at
 * the session's precision, {now-5s} {now+200ms}; {H} the peer's usual
 * header 49=<its id>|52={now}|56=<our id>; {S} {T} our Sender/TargetCompID;
 * {bs} our BeginString; {sent52:N} the SendingTime our message N first
 * went out with; {pad:N} N 'x' bytes; {i} {i+K} the repeat index.
 *
 * config keys: version=FIX.4.2|FIX.4.4|FIXT.1.1|... role=acceptor|initiator
 * sender= target= hbi= logon_timeout= logout_timeout= reset_on_logon=Y|N
 * reset_on_logout= reset_on_disconnect= send_redundant= persist=
 * next_expected= (789) check_comp_id= check_latency= max_latency=
 * requires_orig= chunk= (resend_request_chunk_size) dict=Y
 * (use_data_dictionary) max_msg_size= rx_buffer= tx_buffer= gap_bytes=
 * gap_msgs= overflow=disconnect|backpressure username= password=
 * schedule=HH:MM:SS-HH:MM:SS start_day= end_day= (0-6) clock=YYYYMMDD-HH:MM:SS
 * (start, UTC; the store is created then) app=ok|none|unsupported
 * refuse_logon=TEXT (on_logon_request refuses; '_' reads as a space)
 * refuse_resend=TYPE (on_outbound refuses resends of TYPE) read_split=N
 * write_split=N (the host moves at most N bytes per call).
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/session.h"
#include "fixgw/store.h"
#include "harness.h"

#ifndef FIXGW_SESSION_SCRIPTS_DIR
#error "FIXGW_SESSION_SCRIPTS_DIR must name the scripts directory"
#endif

#define SEC 1000000000ll
#define START_UTC 1796299200000000000ll /* 2026-12-03 12:00:00 UTC */
#define MAX_LOG 8192
#define LOG_W 256
#define MAX_APP 4096
#define MAX_SENT 4096

typedef struct run {
  const char *path;
  char **lines;
  int nlines;
  int lineno; /* 1-based, of the command running */
  const char *cmd;
  int rep_i;

  fixgw_session_config_t cfg;
  int64_t start_utc;
  fixgw_store_t store;
  fixgw_session_t *s;
  fixgw_now_t now;

  /* host behaviour */
  int app_mode; /* 0 ok, 1 none (no handler), 2 unsupported */
  char refuse_logon[128];
  bool refuse_logon_on;
  char refuse_resend[16];
  bool hold;
  size_t read_split, write_split;

  /* bytes the peer sent that the session has not taken yet */
  char *in;
  size_t in_len, in_cap;
  /* bytes the session wrote, checked and consumed by expect */
  char *out;
  size_t out_len, out_pos, out_cap;
  /* what the application got, '|' for SOH */
  char **app;
  size_t napp, app_pos;
  char (*log)[LOG_W];
  size_t nlog, log_pos;
  char sent52[MAX_SENT][32];

  int last_rc;
  int logouts;
  fixgw_disconnect_reason last_logout;
} run_t;

/* ------------------------------------------------------------- failing */

static void dump(run_t *r) {
  size_t from = r->nlog > 25 ? r->nlog - 25 : 0;
  printf("    last log lines:\n");
  for (size_t i = from; i < r->nlog && i < MAX_LOG; i++) printf("      %s\n", r->log[i]);
  if (r->s)
    printf("    state %s, next sender %llu, next target %llu\n",
           fixgw_session_state_name(fixgw_session_state_get(r->s)),
           (unsigned long long)fixgw_session_next_sender_seq(r->s),
           (unsigned long long)fixgw_session_next_target_seq(r->s));
}

#define FAIL(r, ...)                                                               \
  do {                                                                             \
    printf("%s:%d: %s\n    ", (r)->path, (r)->lineno, (r)->cmd ? (r)->cmd : "");   \
    printf(__VA_ARGS__);                                                           \
    printf("\n");                                                                  \
    dump(r);                                                                       \
    fail_msg("%s:%d: script failed", (r)->path, (r)->lineno);                      \
  } while (0)

static void pipes(char *d, size_t cap, const char *m, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n && k + 1 < cap; i++) d[k++] = m[i] == FIXGW_SOH ? '|' : m[i];
  d[k] = 0;
}

/* ------------------------------------------------------------ callbacks */

static void cb_log(fixgw_session_t *s, fixgw_log_level lv, const char *line, void *u) {
  (void)s;
  (void)lv;
  run_t *r = u;
  if (r->nlog < MAX_LOG) snprintf(r->log[r->nlog], LOG_W, "%s", line);
  r->nlog++;
  if (getenv("FIXS_VERBOSE")) printf("      [log] %s\n", line);
}

static int cb_app(fixgw_session_t *s, const fixgw_msg_t *m, void *u) {
  (void)s;
  run_t *r = u;
  if (r->app_mode == 2) return FIXGW_CB_UNSUPPORTED;
  if (r->napp < MAX_APP) {
    char *c = malloc(m->len + 1);
    assert_non_null(c);
    pipes(c, m->len + 1, m->buf, m->len);
    r->app[r->napp++] = c;
  }
  return FIXGW_CB_OK;
}

static int cb_logon_request(fixgw_session_t *s, const fixgw_msg_t *m, const char **text,
                            void *u) {
  (void)s;
  (void)m;
  run_t *r = u;
  if (!r->refuse_logon_on) return FIXGW_CB_OK;
  *text = r->refuse_logon[0] ? r->refuse_logon : NULL;
  return FIXGW_CB_REFUSE;
}

static int cb_outbound(fixgw_session_t *s, const fixgw_outbound_t *o, fixgw_encoder_t *e,
                       void *u) {
  (void)s;
  (void)e;
  run_t *r = u;
  if (o->resend && r->refuse_resend[0] && o->msgtype.len == strlen(r->refuse_resend) &&
      memcmp(o->msgtype.ptr, r->refuse_resend, o->msgtype.len) == 0)
    return FIXGW_CB_REFUSE;
  return FIXGW_CB_OK;
}

static void cb_logout(fixgw_session_t *s, fixgw_disconnect_reason why, void *u) {
  (void)s;
  run_t *r = u;
  r->logouts++;
  r->last_logout = why;
}

/* ----------------------------------------------------------- utilities */

static bool yes(run_t *r, const char *v) {
  if (!strcmp(v, "Y") || !strcmp(v, "1") || !strcmp(v, "true")) return true;
  if (!strcmp(v, "N") || !strcmp(v, "0") || !strcmp(v, "false")) return false;
  FAIL(r, "not a boolean: %s", v);
  return false;
}

static uint32_t num(run_t *r, const char *v) {
  char *end;
  unsigned long x = strtoul(v, &end, 10);
  if (end == v || *end) FAIL(r, "not a number: %s", v);
  return (uint32_t)x;
}

static int hms(run_t *r, const char *v) {
  int h, m, sec;
  if (sscanf(v, "%d:%d:%d", &h, &m, &sec) != 3) FAIL(r, "not HH:MM:SS: %s", v);
  return h * 3600 + m * 60 + sec;
}

static int64_t parse_utc(run_t *r, const char *v) {
  int y, mo, d, h, mi, sec;
  if (sscanf(v, "%4d%2d%2d-%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6)
    FAIL(r, "not YYYYMMDD-HH:MM:SS: %s", v);
  return (fixgw_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) *
         SEC;
}

static fixgw_ts_precision precision(const run_t *r) {
  return r->cfg.id.version <= FIXGW_V_FIX41 ? FIXGW_TS_SECONDS : r->cfg.timestamp_precision;
}

static void fmt_ts(char *d, size_t cap, int64_t ns, fixgw_ts_precision p) {
  int64_t secs = ns / SEC, frac = ns % SEC;
  int64_t days = secs / 86400, rem = secs % 86400;
  fixgw_date_t dt;
  fixgw_civil_from_days(days, &dt);
  int n = snprintf(d, cap, "%04d%02u%02u-%02d:%02d:%02d", dt.year, dt.month, dt.day,
                   (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
  if (p == FIXGW_TS_MILLIS) snprintf(d + n, cap - (size_t)n, ".%03d", (int)(frac / 1000000));
  else if (p == FIXGW_TS_MICROS) snprintf(d + n, cap - (size_t)n, ".%06d", (int)(frac / 1000));
  else if (p == FIXGW_TS_NANOS) snprintf(d + n, cap - (size_t)n, ".%09d", (int)frac);
}

/* "31s", "500ms", "2" (seconds) to ns */
static int64_t duration(run_t *r, const char *v) {
  char *end;
  long long x = strtoll(v, &end, 10);
  if (end == v) FAIL(r, "not a duration: %s", v);
  if (!strcmp(end, "ms")) return x * 1000000ll;
  if (!*end || !strcmp(end, "s")) return x * SEC;
  if (!strcmp(end, "m")) return x * 60 * SEC;
  if (!strcmp(end, "h")) return x * 3600 * SEC;
  FAIL(r, "not a duration: %s", v);
  return 0;
}

typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf_t;

static void sb_put(sbuf_t *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1) cap *= 2;
    b->p = realloc(b->p, cap);
    assert_non_null(b->p);
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

static void sb_str(sbuf_t *b, const char *s) { sb_put(b, s, strlen(s)); }

/* Expand the placeholders of in; '|' stays '|'. The caller frees. */
static char *expand(run_t *r, const char *in) {
  sbuf_t b = {0};
  sb_put(&b, "", 0);
  while (*in) {
    if (*in != '{') {
      sb_put(&b, in, 1);
      in++;
      continue;
    }
    const char *close = strchr(in, '}');
    if (!close) FAIL(r, "unclosed {");
    char key[64];
    size_t kl = (size_t)(close - in - 1);
    if (kl >= sizeof key) FAIL(r, "placeholder too long");
    memcpy(key, in + 1, kl);
    key[kl] = 0;
    in = close + 1;
    char tmp[64];
    if (!strncmp(key, "now", 3)) {
      int64_t t = r->now.utc_ns;
      if (key[3] == '+' || key[3] == '-') {
        int64_t d = duration(r, key + 4);
        t += key[3] == '+' ? d : -d;
      } else if (key[3]) {
        FAIL(r, "bad placeholder {%s}", key);
      }
      fmt_ts(tmp, sizeof tmp, t, precision(r));
      sb_str(&b, tmp);
    } else if (!strcmp(key, "H")) {
      fmt_ts(tmp, sizeof tmp, r->now.utc_ns, precision(r));
      sb_str(&b, "49=");
      sb_str(&b, r->cfg.id.target_comp_id);
      sb_str(&b, "|52=");
      sb_str(&b, tmp);
      sb_str(&b, "|56=");
      sb_str(&b, r->cfg.id.sender_comp_id);
    } else if (!strcmp(key, "len") || !strcmp(key, "cs")) {
      sb_str(&b, !strcmp(key, "len") ? "{len}" : "{cs}"); /* recvraw fills them in */
    } else if (!strcmp(key, "S")) {
      sb_str(&b, r->cfg.id.sender_comp_id);
    } else if (!strcmp(key, "T")) {
      sb_str(&b, r->cfg.id.target_comp_id);
    } else if (!strcmp(key, "bs")) {
      sb_str(&b, fixgw_version_string(r->cfg.id.version));
    } else if (!strncmp(key, "sent52:", 7)) {
      uint32_t n = num(r, key + 7);
      if (n >= MAX_SENT || !r->sent52[n][0]) FAIL(r, "message %u was not sent", n);
      sb_str(&b, r->sent52[n]);
    } else if (!strncmp(key, "pad:", 4)) {
      uint32_t n = num(r, key + 4);
      for (uint32_t i = 0; i < n; i++) sb_put(&b, "x", 1);
    } else if (key[0] == 'i' && (key[1] == 0 || key[1] == '+' || key[1] == '-')) {
      long v = r->rep_i;
      if (key[1]) v += (key[1] == '+' ? 1 : -1) * (long)num(r, key + 2);
      snprintf(tmp, sizeof tmp, "%ld", v);
      sb_str(&b, tmp);
    } else {
      FAIL(r, "unknown placeholder {%s}", key);
    }
  }
  return b.p;
}

/* ------------------------------------------------------- session setup */

static const char *const state_names[] = {"disconnected", "await_logon", "logon_sent", "active",
                                          "logout_sent",  "closing",     "fatal"};

static void config_kv(run_t *r, char *kv) {
  char *eq = strchr(kv, '=');
  if (!eq) FAIL(r, "config wants key=value: %s", kv);
  *eq = 0;
  const char *k = kv, *v = eq + 1;
  fixgw_session_config_t *c = &r->cfg;
  if (!strcmp(k, "version")) {
    fixgw_version ver = fixgw_version_from_string(v, strlen(v));
    if (ver == FIXGW_V_UNKNOWN) FAIL(r, "unknown version %s", v);
    c->id.version = ver;
    c->default_appl_ver = ver == FIXGW_V_FIXT11 ? FIXGW_DICT_FIX50SP2 : FIXGW_DICT_UNKNOWN;
  } else if (!strcmp(k, "role")) {
    if (!strcmp(v, "acceptor")) c->role = FIXGW_ACCEPTOR;
    else if (!strcmp(v, "initiator")) c->role = FIXGW_INITIATOR;
    else FAIL(r, "role is acceptor or initiator");
  } else if (!strcmp(k, "sender")) {
    snprintf(c->id.sender_comp_id, sizeof c->id.sender_comp_id, "%s", v);
  } else if (!strcmp(k, "target")) {
    snprintf(c->id.target_comp_id, sizeof c->id.target_comp_id, "%s", v);
  } else if (!strcmp(k, "hbi")) {
    c->heartbeat_interval_s = num(r, v);
  } else if (!strcmp(k, "logon_timeout")) {
    c->logon_timeout_s = num(r, v);
  } else if (!strcmp(k, "logout_timeout")) {
    c->logout_timeout_s = num(r, v);
  } else if (!strcmp(k, "reset_on_logon")) {
    c->reset_on_logon = yes(r, v);
  } else if (!strcmp(k, "reset_on_logout")) {
    c->reset_on_logout = yes(r, v);
  } else if (!strcmp(k, "reset_on_disconnect")) {
    c->reset_on_disconnect = yes(r, v);
  } else if (!strcmp(k, "send_redundant")) {
    c->send_redundant_resend_requests = yes(r, v);
  } else if (!strcmp(k, "persist")) {
    c->persist_messages = yes(r, v);
  } else if (!strcmp(k, "next_expected")) {
    c->send_next_expected_msg_seq_num = yes(r, v);
  } else if (!strcmp(k, "check_comp_id")) {
    c->check_comp_id = yes(r, v);
  } else if (!strcmp(k, "check_latency")) {
    c->check_latency = yes(r, v);
  } else if (!strcmp(k, "max_latency")) {
    c->max_latency_s = num(r, v);
  } else if (!strcmp(k, "requires_orig")) {
    c->requires_orig_sending_time = yes(r, v);
  } else if (!strcmp(k, "chunk")) {
    c->resend_request_chunk_size = num(r, v);
  } else if (!strcmp(k, "dict")) {
    c->use_data_dictionary = yes(r, v);
  } else if (!strcmp(k, "max_msg_size")) {
    c->max_msg_size = num(r, v);
  } else if (!strcmp(k, "rx_buffer")) {
    c->rx_buffer_size = num(r, v);
  } else if (!strcmp(k, "tx_buffer")) {
    c->tx_buffer_size = num(r, v);
  } else if (!strcmp(k, "gap_bytes")) {
    c->gap_queue_bytes = num(r, v);
  } else if (!strcmp(k, "gap_msgs")) {
    c->gap_queue_messages = num(r, v);
  } else if (!strcmp(k, "overflow")) {
    if (!strcmp(v, "disconnect")) c->overflow = FIXGW_OVERFLOW_DISCONNECT;
    else if (!strcmp(v, "backpressure")) c->overflow = FIXGW_OVERFLOW_BACKPRESSURE;
    else FAIL(r, "overflow is disconnect or backpressure");
  } else if (!strcmp(k, "username")) {
    snprintf(c->username, sizeof c->username, "%s", v);
  } else if (!strcmp(k, "password")) {
    snprintf(c->password, sizeof c->password, "%s", v);
  } else if (!strcmp(k, "schedule")) {
    const char *dash = strchr(v, '-');
    if (!dash) FAIL(r, "schedule is HH:MM:SS-HH:MM:SS");
    c->schedule.enabled = true;
    c->schedule.start_time = hms(r, v);
    c->schedule.end_time = hms(r, dash + 1);
    c->schedule.tz = NULL;
  } else if (!strcmp(k, "start_day")) {
    c->schedule.start_day = (int8_t)num(r, v);
  } else if (!strcmp(k, "end_day")) {
    c->schedule.end_day = (int8_t)num(r, v);
  } else if (!strcmp(k, "clock")) {
    r->start_utc = parse_utc(r, v);
    r->now.utc_ns = r->start_utc;
  } else if (!strcmp(k, "app")) {
    if (!strcmp(v, "ok")) r->app_mode = 0;
    else if (!strcmp(v, "none")) r->app_mode = 1;
    else if (!strcmp(v, "unsupported")) r->app_mode = 2;
    else FAIL(r, "app is ok, none or unsupported");
  } else if (!strcmp(k, "refuse_logon")) {
    r->refuse_logon_on = true;
    snprintf(r->refuse_logon, sizeof r->refuse_logon, "%s", v);
    for (char *p = r->refuse_logon; *p; p++)
      if (*p == '_') *p = ' ';
  } else if (!strcmp(k, "refuse_resend")) {
    snprintf(r->refuse_resend, sizeof r->refuse_resend, "%s", v);
  } else if (!strcmp(k, "read_split")) {
    r->read_split = num(r, v);
  } else if (!strcmp(k, "write_split")) {
    r->write_split = num(r, v);
  } else {
    FAIL(r, "unknown config key %s", k);
  }
}

static void create_session(run_t *r) {
  if (r->s) return;
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  mc.now_utc_ns = r->now.utc_ns;
  int rc = fixgw_mem_store_create(&mc, &r->store);
  if (rc) FAIL(r, "mem store: %s", fixgw_strerror(rc));
  r->cfg.store = r->store;
  fixgw_session_callbacks_t cb;
  memset(&cb, 0, sizeof cb);
  cb.size = sizeof cb;
  cb.on_app = r->app_mode == 1 ? NULL : cb_app;
  cb.on_log = cb_log;
  cb.on_logon_request = cb_logon_request;
  cb.on_outbound = cb_outbound;
  cb.on_logout = cb_logout;
  rc = fixgw_session_create(&r->cfg, &cb, r, &r->s);
  if (rc) FAIL(r, "session create: %s", fixgw_strerror(rc));
}

/* ------------------------------------------------------------- the wire */

static bool header_tag(uint32_t t) {
  switch (t) {
  case 34: case 43: case 49: case 50: case 52: case 56: case 57: case 90: case 91:
  case 97: case 115: case 116: case 122: case 128: case 129: case 142: case 143:
  case 144: case 145: case 212: case 213: case 347: case 369: case 627: case 1128:
  case 1129: case 1156:
    return true;
  }
  return false;
}

/* Length of the well-framed outbound message at m[0..n), or fail: BodyLength
 * and CheckSum right, 8 9 35 first, header ascending, body ascending, 10
 * last. */
static size_t check_frame(run_t *r, const char *m, size_t n) {
  char show[512];
  pipes(show, sizeof show, m, n < 400 ? n : 400);
  const char *bs = fixgw_version_string(r->cfg.id.version);
  size_t bl = strlen(bs);
  if (n < bl + 3 || memcmp(m, "8=", 2) || memcmp(m + 2, bs, bl) || m[2 + bl] != FIXGW_SOH)
    FAIL(r, "outbound does not start with 8=%s: %s", bs, show);
  size_t p = 3 + bl;
  if (n < p + 3 || memcmp(m + p, "9=", 2)) FAIL(r, "outbound: 9 not second: %s", show);
  p += 2;
  size_t body = 0;
  while (p < n && m[p] >= '0' && m[p] <= '9') body = body * 10 + (size_t)(m[p++] - '0');
  if (p >= n || m[p] != FIXGW_SOH) FAIL(r, "outbound: bad 9: %s", show);
  size_t body_start = ++p;
  if (body_start + body + 7 > n) FAIL(r, "outbound: BodyLength %zu overruns: %s", body, show);
  const char *tr = m + body_start + body;
  if (memcmp(tr, "10=", 3) || tr[6] != FIXGW_SOH) FAIL(r, "outbound: BodyLength wrong: %s", show);
  unsigned cs = fixgw_checksum(m, body_start + body);
  unsigned got = (unsigned)((tr[3] - '0') * 100 + (tr[4] - '0') * 10 + (tr[5] - '0'));
  if (cs != got) FAIL(r, "outbound: CheckSum %03u, should be %03u: %s", got, cs, show);
  /* field order */
  int phase = 0; /* 0: want 35, 1: header, 2: body */
  uint32_t last = 0;
  for (size_t q = body_start; q < body_start + body;) {
    uint32_t tag = 0;
    while (m[q] >= '0' && m[q] <= '9') tag = tag * 10 + (uint32_t)(m[q++] - '0');
    if (m[q] != '=') FAIL(r, "outbound: bad field: %s", show);
    const char *end = memchr(m + q, FIXGW_SOH, body_start + body - q);
    if (!end) FAIL(r, "outbound: field without SOH: %s", show);
    q = (size_t)(end - m) + 1;
    if (phase == 0) {
      if (tag != 35) FAIL(r, "outbound: 35 not third: %s", show);
      phase = 1;
      continue;
    }
    if (phase == 1 && !header_tag(tag)) phase = 2, last = 0;
    if (phase == 2 && header_tag(tag)) FAIL(r, "outbound: header tag %u in the body: %s", tag, show);
    if (tag <= last) FAIL(r, "outbound: tag %u after %u, not ascending: %s", tag, last, show);
    last = tag;
  }
  return body_start + body + 7;
}

/* The value of the first field tag in msg (length n) or NULL. */
static const char *find_field(const char *msg, size_t n, uint32_t tag, size_t *vl) {
  size_t p = 0;
  while (p < n) {
    uint32_t t = 0;
    size_t q = p;
    while (q < n && msg[q] >= '0' && msg[q] <= '9') t = t * 10 + (uint32_t)(msg[q++] - '0');
    const char *end = memchr(msg + p, FIXGW_SOH, n - p);
    if (!end) end = msg + n;
    if (q < n && msg[q] == '=' && t == tag) {
      *vl = (size_t)(end - (msg + q + 1));
      return msg + q + 1;
    }
    p = (size_t)(end - msg) + 1;
  }
  return NULL;
}

/* Write what the session has pending into r->out (checked per message). */
static bool drain(run_t *r) {
  bool moved = false;
  for (int guard = 0; guard < 1000000; guard++) {
    const char *p;
    size_t n;
    int rc = fixgw_session_pending(r->s, &p, &n);
    if (rc) FAIL(r, "pending: %s", fixgw_strerror(rc));
    if (!n) break;
    if (r->write_split && n > r->write_split) n = r->write_split;
    if (r->out_len + n > r->out_cap) {
      size_t cap = r->out_cap ? r->out_cap : 65536;
      while (cap < r->out_len + n) cap *= 2;
      r->out = realloc(r->out, cap);
      assert_non_null(r->out);
      r->out_cap = cap;
    }
    memcpy(r->out + r->out_len, p, n);
    r->out_len += n;
    moved = true;
    rc = fixgw_session_written(r->s, n, r->now);
    if (rc && fixgw_err_is_fatal(rc)) FAIL(r, "written: %s", fixgw_strerror(rc));
  }
  return moved;
}

/* Give the session what the peer sent, as far as it reads. */
static bool feed(run_t *r) {
  bool moved = false;
  while (r->in_len) {
    char *p;
    size_t cap;
    int rc = fixgw_session_recv_buf(r->s, &p, &cap);
    if (rc) FAIL(r, "recv_buf: %s", fixgw_strerror(rc));
    if (!cap) break;
    size_t take = r->in_len < cap ? r->in_len : cap;
    if (r->read_split && take > r->read_split) take = r->read_split;
    memcpy(p, r->in, take);
    memmove(r->in, r->in + take, r->in_len - take);
    r->in_len -= take;
    moved = true;
    rc = fixgw_session_recv_commit(r->s, take, r->now);
    r->last_rc = rc;
    if (rc && fixgw_err_is_fatal(rc)) FAIL(r, "recv_commit: %s", fixgw_strerror(rc));
    if (!r->hold) drain(r);
  }
  return moved;
}

/* Move bytes both ways until nothing moves (the host's loop). */
static void settle(run_t *r, bool write) {
  if (!r->s || fixgw_session_state_get(r->s) == FIXGW_SS_DISCONNECTED) return;
  for (int i = 0; i < 100000; i++) {
    bool m = (write || !r->hold) ? drain(r) : false;
    m |= feed(r);
    if (!m) return;
  }
  FAIL(r, "the host loop does not settle");
}

static void peer_bytes(run_t *r, const char *b, size_t n) {
  if (!r->s) FAIL(r, "not connected");
  if (r->in_len + n > r->in_cap) {
    size_t cap = r->in_cap ? r->in_cap : 65536;
    while (cap < r->in_len + n) cap *= 2;
    r->in = realloc(r->in, cap);
    assert_non_null(r->in);
    r->in_cap = cap;
  }
  memcpy(r->in + r->in_len, b, n);
  r->in_len += n;
  settle(r, false);
}

static void soh(char *s) {
  for (; *s; s++)
    if (*s == '|') *s = FIXGW_SOH;
}

static void cmd_recv(run_t *r, const char *arg) {
  char *x = expand(r, arg);
  const char *body = x;
  char bs[16];
  snprintf(bs, sizeof bs, "%s", fixgw_version_string(r->cfg.id.version));
  if (!strncmp(x, "8=", 2)) {
    const char *bar = strchr(x, '|');
    if (!bar) FAIL(r, "recv: 8= without more");
    snprintf(bs, sizeof bs, "%.*s", (int)(bar - x - 2), x + 2);
    body = bar + 1;
  }
  sbuf_t b = {0};
  char head[64];
  size_t blen = strlen(body) + 1; /* with the trailing SOH */
  snprintf(head, sizeof head, "8=%s|9=%zu|", bs, blen);
  sb_str(&b, head);
  sb_str(&b, body);
  sb_str(&b, "|");
  soh(b.p);
  char tr[16];
  snprintf(tr, sizeof tr, "10=%03u\001", fixgw_checksum(b.p, b.n));
  sb_str(&b, tr);
  free(x);
  peer_bytes(r, b.p, b.n);
  free(b.p);
}

static void cmd_recvraw(run_t *r, const char *arg) {
  char *x = expand(r, arg);
  soh(x);
  sbuf_t b = {0};
  sb_str(&b, x);
  free(x);
  char *len = strstr(b.p, "{len}");
  if (len) {
    /* body: after the SOH that ends 9=, up to the 10= field */
    char *start = len + 6;
    char *ten = strstr(start, "\00110=");
    size_t blen = ten ? (size_t)(ten + 1 - start) : strlen(start);
    char num_[24];
    int nl = snprintf(num_, sizeof num_, "%zu", blen);
    memmove(len + nl, len + 5, strlen(len + 5) + 1);
    memcpy(len, num_, (size_t)nl);
    b.n = strlen(b.p);
  }
  char *cs = strstr(b.p, "{cs}");
  if (cs) {
    char num_[8];
    snprintf(num_, sizeof num_, "%03u", fixgw_checksum(b.p, (size_t)(cs - 3 - b.p)));
    memmove(cs + 3, cs + 4, strlen(cs + 4) + 1);
    memcpy(cs, num_, 3);
    b.n = strlen(b.p);
  }
  peer_bytes(r, b.p, b.n);
  free(b.p);
}

static void cmd_garbage(run_t *r, const char *arg) {
  unsigned long n = 0, seed = 1;
  char *ex = expand(r, arg);
  int got = sscanf(ex, "%lu %lu", &n, &seed);
  free(ex);
  if (got < 1) FAIL(r, "recvgarbage N [SEED]");
  char *g = malloc(n + 1);
  assert_non_null(g);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (unsigned long i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    g[i] = (char)(x >> 24);
    if (g[i] == '8') g[i] = '9'; /* never "8=FIX": garbage, not a frame */
  }
  peer_bytes(r, g, n);
  free(g);
}

/* Split "a|b|c" in place; returns the count. */
static int split(char *s, char **v, int max) {
  int n = 0;
  if (!*s) return 0;
  for (char *p = s;; p++) {
    if (n == max) return n;
    v[n++] = p;
    p = strchr(p, '|');
    if (!p) return n;
    *p = 0;
  }
}

static void record_sent(run_t *r, const char *m, size_t n) {
  size_t vl;
  const char *pd = find_field(m, n, 43, &vl);
  if (pd && vl == 1 && pd[0] == 'Y') return;
  const char *sq = find_field(m, n, 34, &vl);
  const char *st = find_field(m, n, 52, &vl);
  if (!sq || !st) return;
  unsigned long seq = strtoul(sq, NULL, 10);
  if (seq < MAX_SENT && vl < sizeof r->sent52[0]) snprintf(r->sent52[seq], sizeof r->sent52[0], "%.*s", (int)vl, st);
}

/* Match msg (wire form) against a field list; returns NULL or a reason. */
static const char *match(run_t *r, const char *msg, size_t n, const char *want, char *why,
                         size_t wcap) {
  char *x = expand(r, want);
  char *items[256];
  int k = split(x, items, 256);
  const char *bad = NULL;
  for (int i = 0; i < k && !bad; i++) {
    char *it = items[i];
    size_t vl;
    if (it[0] == '!') {
      uint32_t tag = (uint32_t)strtoul(it + 1, NULL, 10);
      if (find_field(msg, n, tag, &vl)) {
        snprintf(why, wcap, "%u present, wanted absent", tag);
        bad = why;
      }
      continue;
    }
    char *op = it + strspn(it, "0123456789");
    if (*op != '=' && *op != '~') FAIL(r, "bad expect item %s", it);
    char opc = *op;
    *op = 0;
    uint32_t tag = (uint32_t)strtoul(it, NULL, 10);
    const char *val = op + 1;
    const char *got = find_field(msg, n, tag, &vl);
    if (!got) {
      snprintf(why, wcap, "%u absent", tag);
      bad = why;
    } else if (opc == '=' && strcmp(val, "*") &&
               (strlen(val) != vl || memcmp(val, got, vl))) {
      snprintf(why, wcap, "%u=%.*s, wanted %s", tag, (int)vl, got, val);
      bad = why;
    } else if (opc == '~') {
      char tmp[1024];
      snprintf(tmp, sizeof tmp, "%.*s", (int)vl, got);
      if (!strstr(tmp, val)) {
        snprintf(why, wcap, "%u=%.100s does not contain %.100s", tag, tmp, val);
        bad = why;
      }
    }
  }
  free(x);
  return bad;
}

static void cmd_expect(run_t *r, const char *want) {
  settle(r, true);
  if (r->out_pos >= r->out_len) FAIL(r, "expected a message, nothing was sent");
  const char *m = r->out + r->out_pos;
  size_t len = check_frame(r, m, r->out_len - r->out_pos);
  r->out_pos += len;
  record_sent(r, m, len);
  char why[256];
  if (match(r, m, len, want, why, sizeof why)) {
    char show[2048];
    pipes(show, sizeof show, m, len);
    FAIL(r, "outbound %s: %s", show, why);
  }
}

static void cmd_expect_none(run_t *r) {
  settle(r, true);
  if (r->out_pos < r->out_len) {
    char show[1024];
    pipes(show, sizeof show, r->out + r->out_pos, r->out_len - r->out_pos);
    FAIL(r, "expected nothing, got %s", show);
  }
}

static void cmd_expect_app(run_t *r, const char *want) {
  if (r->app_pos >= r->napp) FAIL(r, "the application got nothing more");
  char *a = r->app[r->app_pos++];
  char *w = strdup(a);
  assert_non_null(w);
  soh(w);
  char why[256];
  const char *bad = match(r, w, strlen(w), want, why, sizeof why);
  free(w);
  if (bad) FAIL(r, "application got %s: %s", a, bad);
}

static void cmd_advance(run_t *r, const char *arg) {
  int64_t d = duration(r, arg);
  uint64_t target = r->now.mono_ns + (uint64_t)d;
  int64_t utc_target = r->now.utc_ns + d;
  bool live = r->s && fixgw_session_state_get(r->s) != FIXGW_SS_DISCONNECTED;
  for (int i = 0; live && i < 1000000; i++) {
    uint64_t dl = fixgw_session_next_deadline(r->s);
    if (dl > target) break;
    if (dl > r->now.mono_ns) {
      r->now.utc_ns += (int64_t)(dl - r->now.mono_ns);
      r->now.mono_ns = dl;
    }
    int rc = fixgw_session_on_timer(r->s, r->now);
    r->last_rc = rc;
    if (rc && fixgw_err_is_fatal(rc)) FAIL(r, "on_timer: %s", fixgw_strerror(rc));
    settle(r, false);
    if (fixgw_session_next_deadline(r->s) <= r->now.mono_ns) break; /* waits for written() */
    live = fixgw_session_state_get(r->s) != FIXGW_SS_DISCONNECTED;
  }
  r->now.mono_ns = target;
  r->now.utc_ns = utc_target;
  if (r->s && fixgw_session_state_get(r->s) != FIXGW_SS_DISCONNECTED) {
    int rc = fixgw_session_on_timer(r->s, r->now);
    r->last_rc = rc;
    if (rc && fixgw_err_is_fatal(rc)) FAIL(r, "on_timer: %s", fixgw_strerror(rc));
    settle(r, false);
  }
}

static void cmd_send(run_t *r, const char *arg, const char *want_err) {
  char *x = expand(r, arg);
  char *items[256] = {NULL};
  int k = split(x, items, 256);
  if (k < 1) FAIL(r, "send TYPE|fields");
  fixgw_encoder_t *e;
  int rc = fixgw_session_send_begin(r->s, items[0], NULL, r->now, &e);
  if (rc == 0) {
    for (int i = 1; i < k; i++) {
      char *eq = strchr(items[i], '=');
      if (!eq) FAIL(r, "bad field %s", items[i]);
      *eq = 0;
      fixgw_enc_cstr(e, (uint32_t)strtoul(items[i], NULL, 10), eq + 1);
    }
    rc = fixgw_session_send_commit(r->s, NULL);
  }
  free(x);
  if (want_err) {
    char name[64];
    snprintf(name, sizeof name, "FIXGW_%s", want_err);
    if (strcmp(fixgw_err_name(rc), name)) FAIL(r, "send returned %s, wanted %s", fixgw_err_name(rc), name);
    return;
  }
  if (rc) FAIL(r, "send: %s", fixgw_strerror(rc));
  settle(r, false);
}

static void kv_num(run_t *r, char *item, char **k, char *op, uint64_t *v) {
  char *p = strpbrk(item, "=>");
  if (!p) FAIL(r, "wants name=N or name>=N: %s", item);
  *op = *p;
  *p = 0;
  *k = item;
  if (*op == '>') {
    if (p[1] != '=') FAIL(r, "wants >=");
    p++;
  }
  *v = strtoull(p + 1, NULL, 10);
}

static void cmd_expect_stat(run_t *r, char *arg) {
  const fixgw_session_stats_t *st = fixgw_session_stats(r->s);
  static const struct {
    const char *name;
    size_t off;
  } names[] = {
#define S_(n) {#n, offsetof(fixgw_session_stats_t, n)}
      S_(msgs_in), S_(msgs_out), S_(app_in), S_(app_out), S_(resent), S_(gap_fills_sent),
      S_(resend_requests_sent), S_(resend_requests_received), S_(rejects_sent),
      S_(rejects_received), S_(garbled), S_(duplicates), S_(queued), S_(queue_dropped),
      S_(logons), S_(disconnects), S_(backpressured),
#undef S_
  };
  for (char *it = strtok(arg, " "); it; it = strtok(NULL, " ")) {
    char *k, op;
    uint64_t v;
    kv_num(r, it, &k, &op, &v);
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
      if (!strcmp(names[i].name, k)) break;
    if (i == sizeof names / sizeof names[0]) FAIL(r, "unknown stat %s", k);
    uint64_t got;
    memcpy(&got, (const char *)st + names[i].off, sizeof got);
    if (op == '=' ? got != v : got < v) FAIL(r, "stat %s is %llu", k, (unsigned long long)got);
  }
}

static void cmd_expect_seqs(run_t *r, char *arg) {
  for (char *it = strtok(arg, " "); it; it = strtok(NULL, " ")) {
    char *k, op;
    uint64_t v;
    kv_num(r, it, &k, &op, &v);
    uint64_t got = 0;
    if (!strcmp(k, "sender")) got = fixgw_session_next_sender_seq(r->s);
    else if (!strcmp(k, "target")) got = fixgw_session_next_target_seq(r->s);
    else FAIL(r, "sender= or target=");
    if (got != v) FAIL(r, "next %s is %llu, wanted %llu", k, (unsigned long long)got, (unsigned long long)v);
  }
}

static void cmd_setseq(run_t *r, char *arg) {
  for (char *it = strtok(arg, " "); it; it = strtok(NULL, " ")) {
    char *k, op;
    uint64_t v;
    kv_num(r, it, &k, &op, &v);
    int rc = 0;
    if (!strcmp(k, "sender")) rc = fixgw_session_set_next_sender_seq(r->s, v);
    else if (!strcmp(k, "target")) rc = fixgw_session_set_next_target_seq(r->s, v);
    else FAIL(r, "sender= or target=");
    if (rc) FAIL(r, "setseq: %s", fixgw_strerror(rc));
  }
}

static void cmd_expect_want(run_t *r, char *arg) {
  for (char *it = strtok(arg, " "); it; it = strtok(NULL, " ")) {
    char *k, op;
    uint64_t v;
    kv_num(r, it, &k, &op, &v);
    bool got = false;
    if (!strcmp(k, "read")) got = fixgw_session_want_read(r->s);
    else if (!strcmp(k, "write")) got = fixgw_session_want_write(r->s);
    else FAIL(r, "read= or write=");
    if (got != (v != 0)) FAIL(r, "want_%s is %d", k, got);
  }
}

static void cmd_expect_disconnect(run_t *r, const char *reason) {
  settle(r, true);
  if (fixgw_session_want_read(r->s) || fixgw_session_want_write(r->s))
    FAIL(r, "the session still wants read %d write %d (state %s)", fixgw_session_want_read(r->s),
         fixgw_session_want_write(r->s), fixgw_session_state_name(fixgw_session_state_get(r->s)));
  int before = r->logouts;
  int rc = fixgw_session_disconnected(r->s, FIXGW_DR_HOST, r->now);
  if (rc) FAIL(r, "disconnected: %s", fixgw_strerror(rc));
  r->in_len = 0;
  if (reason && *reason) {
    if (r->logouts == before) FAIL(r, "no on_logout to report a reason");
    if (strcmp(fixgw_disconnect_reason_name(r->last_logout), reason))
      FAIL(r, "reason %s, wanted %s", fixgw_disconnect_reason_name(r->last_logout), reason);
  }
}

static void cmd_expect_log(run_t *r, const char *text, bool want) {
  size_t n = r->nlog < MAX_LOG ? r->nlog : MAX_LOG;
  for (size_t i = want ? r->log_pos : 0; i < n; i++)
    if (strstr(r->log[i], text)) {
      if (!want) FAIL(r, "logged: %s", r->log[i]);
      r->log_pos = i + 1;
      return;
    }
  if (want) FAIL(r, "no log line contains \"%s\"", text);
}

/* ---------------------------------------------------------- the driver */

static void run_lines(run_t *r, int from, int to);

static int find_end(run_t *r, int from, int to) {
  int depth = 0;
  for (int i = from; i < to; i++) {
    const char *l = r->lines[i];
    while (*l == ' ' || *l == '\t') l++;
    if (!strncmp(l, "repeat ", 7)) depth++;
    else if (!strcmp(l, "end") && depth-- == 0) return i;
  }
  r->lineno = from;
  FAIL(r, "repeat without end");
  return to;
}

static void run_one(run_t *r, char *l) {
  char *arg = l + strcspn(l, " \t");
  if (*arg) *arg++ = 0;
  while (*arg == ' ' || *arg == '\t') arg++;
  const char *c = l;
  if (strcmp(c, "config") && !r->s) create_session(r);
  if (!strcmp(c, "config")) {
    if (r->s) FAIL(r, "config after the session was created");
    for (char *it = strtok(arg, " "); it; it = strtok(NULL, " ")) config_kv(r, it);
  } else if (!strcmp(c, "connect") || !strcmp(c, "reconnect")) {
    int rc = fixgw_session_connected(r->s, r->now);
    if (rc) FAIL(r, "connected: %s", fixgw_strerror(rc));
    r->in_len = 0;
    settle(r, false);
  } else if (!strcmp(c, "disconnect")) {
    int rc = fixgw_session_disconnected(r->s, FIXGW_DR_IO_ERROR, r->now);
    if (rc) FAIL(r, "disconnected: %s", fixgw_strerror(rc));
    r->in_len = 0;
  } else if (!strcmp(c, "logout")) {
    int rc = fixgw_session_logout(r->s, *arg ? arg : NULL, r->now);
    if (rc) FAIL(r, "logout: %s", fixgw_strerror(rc));
    settle(r, false);
  } else if (!strcmp(c, "eof")) {
    int rc = fixgw_session_recv_eof(r->s, r->now);
    if (rc) FAIL(r, "recv_eof: %s", fixgw_strerror(rc));
    settle(r, false);
  } else if (!strcmp(c, "recv")) {
    cmd_recv(r, arg);
  } else if (!strcmp(c, "recvraw")) {
    cmd_recvraw(r, arg);
  } else if (!strcmp(c, "recvgarbage")) {
    cmd_garbage(r, arg);
  } else if (!strcmp(c, "send")) {
    cmd_send(r, arg, NULL);
  } else if (!strcmp(c, "send-fail")) {
    char *rest = arg + strcspn(arg, " ");
    if (*rest) *rest++ = 0;
    cmd_send(r, rest, arg);
  } else if (!strcmp(c, "advance")) {
    cmd_advance(r, arg);
  } else if (!strcmp(c, "hold")) {
    r->hold = true;
  } else if (!strcmp(c, "release")) {
    r->hold = false;
    settle(r, true);
  } else if (!strcmp(c, "setseq")) {
    cmd_setseq(r, arg);
  } else if (!strcmp(c, "expect")) {
    cmd_expect(r, arg);
  } else if (!strcmp(c, "expect-n")) {
    char *rest;
    unsigned long n = strtoul(arg, &rest, 10);
    while (*rest == ' ') rest++;
    for (unsigned long i = 0; i < n; i++) cmd_expect(r, rest);
  } else if (!strcmp(c, "expect-none")) {
    cmd_expect_none(r);
  } else if (!strcmp(c, "expect-app")) {
    cmd_expect_app(r, arg);
  } else if (!strcmp(c, "expect-app-none")) {
    if (r->app_pos < r->napp) FAIL(r, "the application got %s", r->app[r->app_pos]);
  } else if (!strcmp(c, "expect-log")) {
    cmd_expect_log(r, arg, true);
  } else if (!strcmp(c, "expect-nolog")) {
    cmd_expect_log(r, arg, false);
  } else if (!strcmp(c, "expect-state")) {
    settle(r, false);
    fixgw_session_state st = fixgw_session_state_get(r->s);
    if (strcmp(state_names[st], arg)) FAIL(r, "state is %s", state_names[st]);
  } else if (!strcmp(c, "expect-seqs")) {
    cmd_expect_seqs(r, arg);
  } else if (!strcmp(c, "expect-want")) {
    cmd_expect_want(r, arg);
  } else if (!strcmp(c, "expect-stat")) {
    cmd_expect_stat(r, arg);
  } else if (!strcmp(c, "expect-rc")) {
    char name[64];
    snprintf(name, sizeof name, "FIXGW_%s", arg);
    if (strcmp(fixgw_err_name(r->last_rc), name))
      FAIL(r, "last call returned %s, wanted %s", fixgw_err_name(r->last_rc), name);
  } else if (!strcmp(c, "expect-disconnect")) {
    cmd_expect_disconnect(r, arg);
  } else {
    FAIL(r, "unknown command %s", c);
  }
}

static void run_lines(run_t *r, int from, int to) {
  for (int i = from; i < to; i++) {
    char *l = r->lines[i];
    while (*l == ' ' || *l == '\t') l++;
    if (!*l || *l == '#') continue;
    r->lineno = i + 1;
    if (!strncmp(l, "repeat ", 7)) {
      int n = (int)strtol(l + 7, NULL, 10);
      int end = find_end(r, i + 1, to);
      int saved = r->rep_i;
      for (int k = 1; k <= n; k++) {
        r->rep_i = k;
        run_lines(r, i + 1, end);
      }
      r->rep_i = saved;
      i = end;
      continue;
    }
    char *copy = strdup(l);
    assert_non_null(copy);
    r->cmd = l;
    run_one(r, copy);
    free(copy);
  }
}

static void load(run_t *r) {
  FILE *f = fopen(r->path, "r");
  if (!f) fail_msg("cannot open %s", r->path);
  char buf[8192];
  int cap = 0;
  while (fgets(buf, sizeof buf, f)) {
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = 0;
    if (r->nlines == cap) {
      cap = cap ? cap * 2 : 64;
      r->lines = realloc(r->lines, (size_t)cap * sizeof *r->lines);
      assert_non_null(r->lines);
    }
    r->lines[r->nlines] = strdup(buf);
    assert_non_null(r->lines[r->nlines]);
    r->nlines++;
  }
  fclose(f);
}

static int setup(void **state) {
  run_t *r = calloc(1, sizeof *r);
  if (!r) return -1;
  r->path = *state;
  r->log = calloc(MAX_LOG, sizeof *r->log);
  r->app = calloc(MAX_APP, sizeof *r->app);
  if (!r->log || !r->app) return -1;
  fixgw_session_config_default(&r->cfg);
  r->cfg.role = FIXGW_ACCEPTOR;
  strcpy(r->cfg.id.sender_comp_id, "SERVER");
  strcpy(r->cfg.id.target_comp_id, "CLIENT");
  r->cfg.schedule.start_day = r->cfg.schedule.end_day = -1;
  r->start_utc = START_UTC;
  r->now.mono_ns = 1000 * (uint64_t)SEC;
  r->now.utc_ns = START_UTC;
  *state = r;
  return 0;
}

static int teardown(void **state) {
  run_t *r = *state;
  if (r->s) fixgw_session_destroy(r->s);
  fixgw_store_destroy(&r->store);
  for (int i = 0; i < r->nlines; i++) free(r->lines[i]);
  free(r->lines);
  for (size_t i = 0; i < r->napp; i++) free(r->app[i]);
  free(r->app);
  free(r->log);
  free(r->in);
  free(r->out);
  free(r);
  return 0;
}

static void run_script(void **state) {
  run_t *r = *state;
  load(r);
  run_lines(r, 0, r->nlines);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  const char *dir = FIXGW_SESSION_SCRIPTS_DIR;
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "cannot list %s\n", dir);
    return 1;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 6 || strcmp(e->d_name + l - 5, ".fixs")) continue;
    if (argc > 1 && !strstr(e->d_name, argv[1])) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      names = realloc(names, cap * sizeof *names);
      if (!names) return 1;
    }
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  if (!n) {
    fprintf(stderr, "no scripts in %s\n", dir);
    return 1;
  }
  qsort(names, n, sizeof *names, by_name);
  struct CMUnitTest *tests = calloc(n, sizeof *tests);
  char **paths = calloc(n, sizeof *paths);
  if (!tests || !paths) return 1;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(dir) + strlen(names[i]) + 2;
    paths[i] = malloc(l);
    if (!paths[i]) return 1;
    snprintf(paths[i], l, "%s/%s", dir, names[i]);
    tests[i].name = names[i];
    tests[i].test_func = run_script;
    tests[i].setup_func = setup;
    tests[i].teardown_func = teardown;
    tests[i].initial_state = paths[i];
  }
  int rc = _cmocka_run_group_tests("session_scripts", tests, n, NULL, NULL);
  for (size_t i = 0; i < n; i++) {
    free(names[i]);
    free(paths[i]);
  }
  free(names);
  free(paths);
  free(tests);
  return rc;
}
