/* The session adapter: the session calls these trampolines with the
 * adapter as its user pointer; they log on_wire and on_log lines, and
 * hand every callback the host set to it with the host's own pointer. */
#include <string.h>

#include "fixgw/log.h"

static int64_t stamp(const fixgw_log_session_t *a) {
  return a->now ? a->now->utc_ns : a->clock(a->clock_user);
}

static void t_wire(fixgw_session_t *s, bool outbound, const char *msg, size_t len, void *u) {
  fixgw_log_session_t *a = u;
  fixgw_log_write(&a->log, outbound ? FIXGW_LOG_OUT : FIXGW_LOG_IN, FIXGW_LOG_INFO, stamp(a),
                  msg, len);
  if (a->host.on_wire) a->host.on_wire(s, outbound, msg, len, a->host_user);
}

static void t_log(fixgw_session_t *s, fixgw_log_level lv, const char *line, void *u) {
  fixgw_log_session_t *a = u;
  if (lv >= a->min_level)
    fixgw_log_write(&a->log, FIXGW_LOG_EVENT, lv, stamp(a), line, strlen(line));
  if (a->host.on_log) a->host.on_log(s, lv, line, a->host_user);
}

static int t_app(fixgw_session_t *s, const fixgw_msg_t *m, void *u) {
  fixgw_log_session_t *a = u;
  return a->host.on_app(s, m, a->host_user);
}
static int t_admin(fixgw_session_t *s, const fixgw_msg_t *m, void *u) {
  fixgw_log_session_t *a = u;
  return a->host.on_admin(s, m, a->host_user);
}
static int t_logon_request(fixgw_session_t *s, const fixgw_msg_t *m, const char **text,
                           void *u) {
  fixgw_log_session_t *a = u;
  return a->host.on_logon_request(s, m, text, a->host_user);
}
static int t_outbound(fixgw_session_t *s, const fixgw_outbound_t *o, fixgw_encoder_t *e,
                      void *u) {
  fixgw_log_session_t *a = u;
  return a->host.on_outbound(s, o, e, a->host_user);
}
static void t_logon(fixgw_session_t *s, void *u) {
  fixgw_log_session_t *a = u;
  a->host.on_logon(s, a->host_user);
}
static void t_logout(fixgw_session_t *s, fixgw_disconnect_reason why, void *u) {
  fixgw_log_session_t *a = u;
  a->host.on_logout(s, why, a->host_user);
}
static void t_state(fixgw_session_t *s, fixgw_session_state from, fixgw_session_state to,
                    void *u) {
  fixgw_log_session_t *a = u;
  a->host.on_state(s, from, to, a->host_user);
}
static void t_reject(fixgw_session_t *s, const fixgw_reject_event_t *r, void *u) {
  fixgw_log_session_t *a = u;
  a->host.on_reject(s, r, a->host_user);
}

int fixgw_log_attach(fixgw_log_session_t *a, const fixgw_log_t *log,
                     const fixgw_log_attach_config_t *cfg, fixgw_session_callbacks_t *cb,
                     void **user) {
  if (!a || !log || !log->ops || !cfg || !cb || !user || (!cfg->now && !cfg->clock))
    return FIXGW_EINVAL;
  memset(a, 0, sizeof *a);
  a->log = *log;
  /* A host built against a shorter callbacks struct: only what it has. */
  size_t n = cb->size && cb->size < sizeof *cb ? cb->size : sizeof *cb;
  memcpy(&a->host, cb, n);
  a->host.size = sizeof a->host;
  a->host_user = *user;
  a->now = cfg->now;
  a->clock = cfg->clock;
  a->clock_user = cfg->clock_user;
  a->min_level = cfg->min_level;
  const fixgw_session_callbacks_t *h = &a->host;
  memset(cb, 0, sizeof *cb);
  cb->size = sizeof *cb;
  cb->on_app = h->on_app ? t_app : NULL;
  cb->on_admin = h->on_admin ? t_admin : NULL;
  cb->on_logon_request = h->on_logon_request ? t_logon_request : NULL;
  cb->on_outbound = h->on_outbound ? t_outbound : NULL;
  cb->on_logon = h->on_logon ? t_logon : NULL;
  cb->on_logout = h->on_logout ? t_logout : NULL;
  cb->on_state = h->on_state ? t_state : NULL;
  cb->on_reject = h->on_reject ? t_reject : NULL;
  cb->on_log = t_log;
  cb->on_wire = t_wire;
  *user = a;
  return 0;
}

void *fixgw_log_session_user(void *adapter_user) {
  return adapter_user ? ((fixgw_log_session_t *)adapter_user)->host_user : NULL;
}
