/* Host helpers shared by fixgw-executor and fixgw-client (host.h). */
#define _GNU_SOURCE
#include "host.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#ifdef FIXGW_HAVE_TLS
#include "fixgw/tls.h"
#endif

fixgw_now_t host_now(void) {
  struct timespec m, r;
  clock_gettime(CLOCK_MONOTONIC, &m);
  clock_gettime(CLOCK_REALTIME, &r);
  fixgw_now_t n = {(uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec,
                   (int64_t)r.tv_sec * 1000000000 + r.tv_nsec};
  return n;
}

uint64_t host_mono_ns(void) {
  struct timespec m;
  clock_gettime(CLOCK_MONOTONIC, &m);
  return (uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec;
}

int host_tls_ctx(const char *prog, const fixgw_session_settings_t *ss, bool server,
                 struct fixgw_tls_ctx **out) {
  *out = NULL;
  if (!ss->tls.enabled) return 0;
#ifdef FIXGW_HAVE_TLS
  fixgw_tls_config_t cfg;
  fixgw_tls_config_from_settings(ss, server ? FIXGW_TLS_SERVER : FIXGW_TLS_CLIENT, &cfg);
  char err[256];
  int rc = fixgw_tls_ctx_create(&cfg, out, err, sizeof err);
  if (rc) {
    fprintf(stderr, "%s: TLS: %s\n", prog, err);
    return 2;
  }
  return 0;
#else
  fprintf(stderr, "%s: TLS: SocketUseSSL=Y, but libfixgw was built without libssl-dev\n", prog);
  return 2;
#endif
}

void host_tls_free(struct fixgw_tls_ctx *ctx) {
#ifdef FIXGW_HAVE_TLS
  fixgw_tls_ctx_free(ctx);
#else
  (void)ctx;
#endif
}

int host_settings_load(const char *prog, const char *path, fixgw_settings_t **out) {
  fixgw_settings_error_t err;
  int rc = fixgw_settings_load_file(path, NULL, out, &err);
  if (rc == 0) return 0;
  char line[768];
  fixgw_settings_error_format(&err, line, sizeof line);
  fprintf(stderr, "%s: %s\n", prog, line);
  return 2;
}

/* ------------------------------------------------------------------ store */

static int mkdir_p(const char *path) {
  char buf[512];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof buf) return -1;
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] == '/' || buf[i] == '\0') {
      char c = buf[i];
      buf[i] = '\0';
      if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
      buf[i] = c;
    }
  }
  return 0;
}

/* "FIX.4.4-SERVER-CLIENT[-qualifier]", bytes outside [A-Za-z0-9._-] as '_'. */
static void store_key(const fixgw_session_settings_t *ss, char *out, size_t n) {
  const fixgw_session_id_t *id = &ss->session.id;
  snprintf(out, n, "%s-%s-%s%s%s", fixgw_version_string(id->version), id->sender_comp_id,
           id->target_comp_id, ss->session_qualifier[0] ? "-" : "", ss->session_qualifier);
  for (char *p = out; *p; p++) {
    char c = *p;
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '-'))
      *p = '_';
  }
}

#define LOG_FLUSH_NS 200000000ull /* lines reach the file within 0.2 s */

static int log_open(host_sess_t *h, const fixgw_session_settings_t *ss) {
  h->has_log = false;
  if (!ss->file_log_path || !ss->file_log_path[0]) return 0;
  char prefix[200];
  if (fixgw_log_prefix(&ss->session.id, NULL, prefix, sizeof prefix) < 0) {
    fprintf(stderr, "%s: %s: FileLogPath: no file name for this session id\n", h->prog, h->name);
    return -1;
  }
  fixgw_file_log_config_t lc;
  fixgw_file_log_config_default(&lc);
  lc.path = ss->file_log_path;
  lc.prefix = prefix;
  int rc = fixgw_file_log_create(&lc, host_now().utc_ns, &h->log);
  if (rc != 0) {
    fprintf(stderr, "%s: %s: file log in %s: %s\n", h->prog, h->name, ss->file_log_path,
            fixgw_strerror(rc));
    return -1;
  }
  h->has_log = true;
  h->log_flush_at = host_mono_ns() + LOG_FLUSH_NS;
  return 0;
}

static void log_flush(host_sess_t *h) {
  fixgw_log_stats_t before, after;
  fixgw_log_stats(&h->log, &before);
  fixgw_log_flush(&h->log, host_now().utc_ns);
  fixgw_log_stats(&h->log, &after);
  /* A log that cannot be written is reported once per failure, not fatal. */
  if (after.errors > before.errors)
    fprintf(stderr, "%s: %s: file log: %s\n", h->prog, h->name, after.last_error_text);
}

int host_store_open(host_sess_t *h, const fixgw_session_settings_t *ss,
                    const host_store_opts_t *o) {
  if (log_open(h, ss)) return -1;
  fixgw_now_t now = host_now();
  if (ss->file_store_path && ss->file_store_path[0] && !o->force_memory) {
    if (mkdir_p(ss->file_store_path) != 0) {
      fprintf(stderr, "%s: FileStorePath %s: %s\n", h->prog, ss->file_store_path,
              strerror(errno));
      return -1;
    }
    char key[320];
    store_key(ss, key, sizeof key);
    fixgw_file_store_config_t fc;
    fixgw_file_store_config_default(&fc);
    fc.directory = ss->file_store_path;
    fc.key = key;
    fc.sync = o->sync;
    fc.max_message_size = ss->session.max_msg_size > 65536 ? ss->session.max_msg_size : 65536;
    fc.now_utc_ns = now.utc_ns;
    fixgw_file_store_error_t err;
    int rc = fixgw_file_store_open(&fc, &h->store, &err);
    if (rc != 0) {
      fprintf(stderr, "%s: %s: file store: %s (%s)\n", h->prog, h->name, err.text,
              fixgw_err_name(rc));
      return -1;
    }
    h->file_store = true;
    return 0;
  }
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  mc.max_bytes = o->memory_bytes ? o->memory_bytes : (size_t)16 << 20;
  mc.max_messages = mc.max_bytes / 256 > 64 ? (uint32_t)(mc.max_bytes / 256) : 64;
  mc.now_utc_ns = now.utc_ns;
  int rc = fixgw_mem_store_create(&mc, &h->store);
  if (rc != 0) {
    fprintf(stderr, "%s: %s: memory store: %s\n", h->prog, h->name, fixgw_strerror(rc));
    return -1;
  }
  h->file_store = false;
  return 0;
}

void host_store_close(host_sess_t *h) {
  if (h->store.ops && h->store.ops->flush) h->store.ops->flush(h->store.self);
  fixgw_store_destroy(&h->store);
  if (h->has_log) {
    log_flush(h);
    fixgw_log_destroy(&h->log);
    h->has_log = false;
  }
}

uint64_t host_store_deadline(const host_sess_t *h) {
  uint64_t d = h->file_store ? fixgw_file_store_next_deadline(&h->store) : UINT64_MAX;
  if (h->has_log && h->log_flush_at < d) d = h->log_flush_at;
  return d;
}

void host_store_poll(host_sess_t *h, uint64_t mono_ns) {
  if (h->file_store) (void)fixgw_file_store_poll(&h->store, mono_ns);
  if (h->has_log && mono_ns >= h->log_flush_at) {
    log_flush(h);
    h->log_flush_at = mono_ns + LOG_FLUSH_NS;
  }
}

/* -------------------------------------------------------------- callbacks */

static void on_log(fixgw_session_t *s, fixgw_log_level lv, const char *line, void *user) {
  (void)s;
  host_sess_t *h = user;
  if (h->has_log) fixgw_log_event(&h->log, lv, host_now().utc_ns, line);
  if (lv >= FIXGW_LOG_WARN || h->verbose)
    fprintf(stderr, "%s: %s: %s\n", h->prog, h->name, line);
}

static int on_admin(fixgw_session_t *s, const fixgw_msg_t *m, void *user) {
  (void)s;
  host_sess_t *h = user;
  if (m->msgtype.len != 1) return FIXGW_CB_OK;
  switch (m->msgtype.ptr[0]) {
  case '1': h->c.test_requests_in++; break;
  case '0':
    if (fixgw_msg_find(m, 112)) h->c.test_replies_in++;
    break;
  case '4': h->c.sequence_resets_in++; break;
  default: break;
  }
  return FIXGW_CB_OK;
}

/* The MsgType of an outbound message: the value after "\x01" "35=". */
static char wire_type(const char *msg, size_t len) {
  size_t lim = len < 48 ? len : 48;
  for (size_t i = 0; i + 5 < lim; i++)
    if (msg[i] == '\x01' && msg[i + 1] == '3' && msg[i + 2] == '5' && msg[i + 3] == '=' &&
        msg[i + 5] == '\x01')
      return msg[i + 4];
  return 0;
}

static void on_wire(fixgw_session_t *s, bool outbound, const char *msg, size_t len, void *user) {
  (void)s;
  host_sess_t *h = user;
  if (h->has_log) {
    int64_t t_ns = host_now().utc_ns;
    if (outbound) fixgw_log_outgoing(&h->log, t_ns, msg, len);
    else fixgw_log_incoming(&h->log, t_ns, msg, len);
  }
  char t = wire_type(msg, len);
  if (!outbound) {
    /* Inbound Logout, seen before the session answers it: who began? */
    if (t == '5') {
      h->c.logouts_in++;
      if (!h->logout_sent) h->c.peer_logouts++;
    }
    return;
  }
  if (t == '1') {
    h->c.test_requests_out++;
  } else if (t == '5') {
    h->c.logouts_out++;
    h->logout_sent = true;
  }
}

static void on_logon(fixgw_session_t *s, void *user) {
  host_sess_t *h = user;
  fprintf(stderr, "%s: %s: logged on (next_sender=%llu next_target=%llu)\n", h->prog, h->name,
          (unsigned long long)fixgw_session_next_sender_seq(s),
          (unsigned long long)fixgw_session_next_target_seq(s));
}

static void on_logout(fixgw_session_t *s, fixgw_disconnect_reason why, void *user) {
  host_sess_t *h = user;
  h->last_reason = why;
  fprintf(stderr, "%s: %s: logged out (%s; next_sender=%llu next_target=%llu)\n", h->prog,
          h->name, fixgw_disconnect_reason_name(why),
          (unsigned long long)fixgw_session_next_sender_seq(s),
          (unsigned long long)fixgw_session_next_target_seq(s));
  h->logout_sent = false;
}

static void on_reject(fixgw_session_t *s, const fixgw_reject_event_t *r, void *user) {
  (void)s;
  host_sess_t *h = user;
  fprintf(stderr, "%s: %s: %s %s for seq %llu: %.*s\n", h->prog, h->name,
          r->sent ? "sent" : "received", r->business ? "BusinessMessageReject" : "Reject",
          (unsigned long long)r->ref_seq, (int)r->text.len, r->text.ptr ? r->text.ptr : "");
}

void host_callbacks(fixgw_session_callbacks_t *cb) {
  memset(cb, 0, sizeof *cb);
  cb->size = sizeof *cb;
  cb->on_log = on_log;
  cb->on_admin = on_admin;
  cb->on_wire = on_wire;
  cb->on_logon = on_logon;
  cb->on_logout = on_logout;
  cb->on_reject = on_reject;
}

void host_name(host_sess_t *h, const fixgw_session_id_t *id) {
  snprintf(h->name, sizeof h->name, "%s:%s->%s", fixgw_version_string(id->version),
           id->sender_comp_id, id->target_comp_id);
}

void host_loop_log(fixgw_loop_t *loop, fixgw_log_level lv, const char *line, void *user) {
  (void)loop;
  const host_sess_t *h = user; /* any session of the program: prog, verbose */
  if (lv >= FIXGW_LOG_WARN || h->verbose) fprintf(stderr, "%s: %s\n", h->prog, line);
}

void host_status(FILE *f, const host_sess_t *h, const char *extra) {
  const fixgw_session_stats_t *st = fixgw_session_stats(h->s);
  fprintf(f,
          "STATUS prog=%s session=%s state=%s next_sender=%llu next_target=%llu "
          "store=%s msgs_in=%llu msgs_out=%llu app_in=%llu app_out=%llu logons=%llu "
          "resend_requests_sent=%llu resend_requests_received=%llu resent=%llu "
          "gap_fills_sent=%llu sequence_resets_in=%llu test_requests_in=%llu "
          "test_requests_out=%llu test_replies_in=%llu logouts_in=%llu peer_logouts=%llu "
          "logouts_out=%llu last_disconnect=%s%s%s\n",
          h->prog, h->name, fixgw_session_state_name(fixgw_session_state_get(h->s)),
          (unsigned long long)fixgw_session_next_sender_seq(h->s),
          (unsigned long long)fixgw_session_next_target_seq(h->s),
          h->file_store ? "file" : "memory", (unsigned long long)st->msgs_in,
          (unsigned long long)st->msgs_out, (unsigned long long)st->app_in,
          (unsigned long long)st->app_out, (unsigned long long)st->logons,
          (unsigned long long)st->resend_requests_sent,
          (unsigned long long)st->resend_requests_received, (unsigned long long)st->resent,
          (unsigned long long)st->gap_fills_sent, (unsigned long long)h->c.sequence_resets_in,
          (unsigned long long)h->c.test_requests_in, (unsigned long long)h->c.test_requests_out,
          (unsigned long long)h->c.test_replies_in, (unsigned long long)h->c.logouts_in,
          (unsigned long long)h->c.peer_logouts, (unsigned long long)h->c.logouts_out,
          fixgw_disconnect_reason_name(h->last_reason), extra ? " " : "", extra ? extra : "");
}

/* ---------------------------------------------------------------- signals */

static volatile int *g_flag;
static fixgw_loop_t *g_loop;

static void on_signal(int sig) {
  (void)sig;
  if (g_flag) *g_flag = 1;
  fixgw_loop_stop(g_loop); /* async-signal-safe (an eventfd write) */
}

void host_signals(volatile int *flag, fixgw_loop_t *loop) {
  g_flag = flag;
  g_loop = loop;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

int host_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int host_metrics_listen(const char *prog, fixgw_loop_t *loop, uint16_t port, bool loop_sessions,
                        fixgw_net_metrics_cb extra, void *user) {
  fixgw_net_metrics_opts_t o;
  fixgw_net_metrics_opts_default(&o);
  o.loop_sessions = loop_sessions;
  o.on_render = extra;
  o.user = user;
  uint16_t bound = 0;
  /* Loopback only: the endpoint has no authentication. */
  int r = fixgw_net_metrics_listen(loop, "127.0.0.1", port, &bound, &o);
  if (r != 0) {
    fprintf(stderr, "%s: cannot serve metrics on 127.0.0.1 port %u: %s\n", prog, port,
            fixgw_strerror(r));
    return 1;
  }
  printf("METRICS port=%u\n", bound);
  fflush(stdout);
  return 0;
}
