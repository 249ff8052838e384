/* The initiator: non-blocking connects across a list of addresses, and
 * reconnects with a bounded, jittered backoff. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net_internal.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000u
#define DEFAULT_BACKOFF_MAX_S 60u
#define DEFAULT_JITTER_PCT 20u
/* ReconnectInterval 0 still waits this long, so a refusing peer cannot
 * turn the loop into a connect storm. */
#define MIN_INTERVAL_MS 100u

void fixgw_net_initiator_opts_default(fixgw_net_initiator_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
  o->sock.no_delay = true;
  o->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
  o->backoff_max_s = DEFAULT_BACKOFF_MAX_S;
  o->jitter_pct = DEFAULT_JITTER_PCT;
}

void fixgw__net_backoff_reset(net_sess_t *e) { e->backoff_ms = e->base_ms; }

void fixgw__net_reconnect_schedule(fixgw_loop_t *loop, net_sess_t *e) {
  e->next_addr = 0; /* every round starts with the first (preferred) host */
  if (e->disabled) {
    e->reconnect_at = UINT64_MAX;
    return;
  }
  uint64_t d = e->backoff_ms;
  if (e->jitter_pct) {
    /* d * (1 + u), u uniform in [-jitter, +jitter]: peers that lost the
     * same acceptor at once do not all come back in the same millisecond. */
    uint64_t span = d * e->jitter_pct / 100u;
    uint64_t r = span ? fixgw__net_random(loop) % (2 * span + 1) : 0;
    d = d - span + r;
  }
  e->backoff_ms = e->backoff_ms * 2 > e->max_ms ? e->max_ms : e->backoff_ms * 2;
  e->reconnect_at = loop->now.mono_ns + d * 1000000u;
  fixgw__net_deadline(loop, e->reconnect_at);
  if (e->reconnect_at < loop->next_reconnect) loop->next_reconnect = e->reconnect_at;
  char name[160];
  fixgw__net_session_name(e->s, name, sizeof name);
  fixgw__net_log(loop, FIXGW_LOG_INFO, "%s: reconnecting in %llu ms", name,
                 (unsigned long long)d);
}

/* The attempt on e->addr[e->next_addr] failed: the next address now, or
 * the next round later. */
static void attempt_failed(fixgw_loop_t *loop, net_sess_t *e) {
  loop->stats.connect_failures++;
  e->conn = NET_NONE;
  if (++e->next_addr < e->naddr && !e->disabled) {
    fixgw__net_connect_start(loop, e);
    return;
  }
  fixgw__net_reconnect_schedule(loop, e);
}

static void log_errno(fixgw_loop_t *loop, const char *peer, const char *call, int err) {
  fixgw__net_log(loop, FIXGW_LOG_WARN, "connect to %s: %s: %s", peer, call, strerror(err));
}

static void connected(fixgw_loop_t *loop, net_conn_t *c, net_sess_t *e) {
  if (e->tls && fixgw__net_tls_connected(loop, c, e)) {
    fixgw__net_conn_free(loop, c);
    attempt_failed(loop, e);
    return;
  }
  int rc = fixgw_session_connected(e->s, loop->now);
  if (rc) {
    char name[160];
    fixgw__net_session_name(e->s, name, sizeof name);
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "%s: connected: %s", name, fixgw_strerror(rc));
    fixgw__net_conn_free(loop, c);
    e->conn = NET_NONE;
    fixgw__net_reconnect_schedule(loop, e);
    return;
  }
  if (fixgw_session_state_get(e->s) == FIXGW_SS_AWAIT_LOGON) {
    /* The public API has no role getter; an acceptor shows itself here. */
    char name[160];
    fixgw__net_session_name(e->s, name, sizeof name);
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "%s: is an acceptor session: not initiating", name);
    fixgw__net_conn_free(loop, c);
    e->conn = NET_NONE;
    fixgw_session_disconnected(e->s, FIXGW_DR_HOST, loop->now);
    e->disabled = true;
    fixgw__net_reconnect_schedule(loop, e);
    return;
  }
  fixgw__net_log(loop, FIXGW_LOG_INFO, "%s: connected", c->peer);
  fixgw__net_attached(loop, c, e);
}

void fixgw__net_connect_start(fixgw_loop_t *loop, net_sess_t *e) {
  e->reconnect_at = UINT64_MAX;
  if (e->next_addr >= e->naddr) e->next_addr = 0;
  const net_addr_t *a = &e->addr[e->next_addr];
  char peer[64];
  fixgw__net_addr_format(a, peer, sizeof peer);
  loop->stats.connects++;
  if (e->attempted) loop->stats.reconnects++;
  e->attempted = true;
  if (!loop->nconn_free) {
    fixgw__net_log(loop, FIXGW_LOG_WARN, "connect to %s: connection pool full (%u)", peer,
                   loop->cfg.max_connections);
    loop->stats.connect_failures++;
    fixgw__net_reconnect_schedule(loop, e);
    return;
  }
  int fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    log_errno(loop, peer, "socket", errno);
    loop->stats.connect_failures++;
    fixgw__net_reconnect_schedule(loop, e);
    return;
  }
  net_conn_t *c = fixgw__net_conn_alloc(loop, fd);
  memcpy(c->peer, peer, sizeof c->peer);
  c->kind = CONN_CONNECTING;
  c->sess = (int32_t)(e - loop->sess);
  e->conn = (int32_t)(c - loop->conns);
  fixgw__net_sock_apply(loop, fd, &e->sock, peer);
  if (e->has_bind) {
    if (e->bind_addr.sa.sa_family != a->sa.sa_family) {
      fixgw__net_log(loop, FIXGW_LOG_WARN, "connect to %s: bind address is of another family",
                     peer);
      fixgw__net_conn_free(loop, c);
      attempt_failed(loop, e);
      return;
    }
    int one = 1;
    /* A fixed local port must be reusable right after the last close. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one))
      log_errno(loop, peer, "setsockopt(SO_REUSEADDR)", errno);
    if (bind(fd, &e->bind_addr.sa, fixgw__net_addr_len(&e->bind_addr))) {
      log_errno(loop, peer, "bind", errno);
      fixgw__net_conn_free(loop, c);
      attempt_failed(loop, e);
      return;
    }
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLOUT;
  ev.data.u64 = NET_TAG(TAG_CONN, c->gen, c - loop->conns);
  if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
    log_errno(loop, peer, "epoll_ctl(ADD)", errno);
    fixgw__net_conn_free(loop, c);
    e->conn = NET_NONE;
    loop->stats.connect_failures++;
    fixgw__net_reconnect_schedule(loop, e);
    return;
  }
  c->events = EPOLLOUT;
  if (connect(fd, &a->sa, fixgw__net_addr_len(a)) == 0) {
    connected(loop, c, e);
    return;
  }
  if (errno != EINPROGRESS && errno != EINTR) {
    log_errno(loop, peer, "connect", errno);
    fixgw__net_conn_free(loop, c);
    attempt_failed(loop, e);
    return;
  }
  fixgw__net_conn_deadline(loop, c,
                           loop->now.mono_ns + (uint64_t)e->connect_timeout_ms * 1000000u);
}

void fixgw__net_connect_event(fixgw_loop_t *loop, net_conn_t *c, uint32_t ev) {
  (void)ev;
  net_sess_t *e = &loop->sess[c->sess];
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len)) err = errno;
  if (err == 0 && !(ev & (EPOLLERR | EPOLLHUP))) {
    connected(loop, c, e);
    return;
  }
  log_errno(loop, c->peer, "connect", err ? err : ECONNREFUSED);
  fixgw__net_conn_free(loop, c);
  attempt_failed(loop, e);
}

void fixgw__net_connect_timeout(fixgw_loop_t *loop, net_conn_t *c) {
  net_sess_t *e = &loop->sess[c->sess];
  fixgw__net_log(loop, FIXGW_LOG_WARN, "connect to %s: timed out after %u ms", c->peer,
                 e->connect_timeout_ms);
  fixgw__net_conn_free(loop, c);
  attempt_failed(loop, e);
}

int fixgw_net_initiator_add(fixgw_loop_t *loop, fixgw_session_t *s,
                            const fixgw_net_hosts_t *hosts, uint32_t reconnect_interval_s,
                            const fixgw_net_initiator_opts_t *opts) {
  if (!loop || !s || !hosts) return FIXGW_EINVAL;
  if (loop->busy) return FIXGW_EBUSY;
  fixgw_net_initiator_opts_t def;
  if (!opts) {
    fixgw_net_initiator_opts_default(&def);
    opts = &def;
  }
  if (opts->size < sizeof *opts || opts->jitter_pct > 50) return FIXGW_EINVAL;
  if (hosts->count == 0 || hosts->count > FIXGW_NET_HOSTS_MAX) return FIXGW_EINVAL;
  if (fixgw_session_state_get(s) != FIXGW_SS_DISCONNECTED) return FIXGW_EINVAL;
  if (fixgw__net_sess_find(loop, s)) return FIXGW_EINVAL;
  for (uint32_t i = 0; i < hosts->count; i++)
    if (hosts->host[i].port == 0 || !memchr(hosts->host[i].host, 0, sizeof hosts->host[i].host))
      return FIXGW_EINVAL;
  if (!loop->nsess_free) return FIXGW_EFULL;
  if (opts->tls) {
    int trc = fixgw__net_tls_check_ctx(opts->tls, false);
    if (trc) return trc;
  }

  /* Resolve into a scratch list first: nothing changes on failure. */
  net_addr_t addr[FIXGW_NET_ADDRS_MAX];
  uint8_t addr_host[FIXGW_NET_ADDRS_MAX]; /* which host each came from (TLS names) */
  uint32_t n = 0;
  for (uint32_t i = 0; i < hosts->count && n < FIXGW_NET_ADDRS_MAX; i++) {
    int k = fixgw__net_resolve(loop, hosts->host[i].host, hosts->host[i].port, false, false,
                               addr + n, FIXGW_NET_ADDRS_MAX - n);
    if (k < 0) return k;
    for (uint32_t j = n; j < n + (uint32_t)k; j++) addr_host[j] = (uint8_t)i;
    n += (uint32_t)k;
  }
  net_addr_t bind_addr;
  bool has_bind = opts->sock.bind_host[0] != 0;
  if (has_bind) {
    if (!memchr(opts->sock.bind_host, 0, sizeof opts->sock.bind_host)) return FIXGW_EINVAL;
    int k = fixgw__net_resolve(loop, opts->sock.bind_host, opts->sock.bind_port, true, true,
                               &bind_addr, 1);
    if (k < 0) return FIXGW_EINVAL;
  }

  net_sess_t *e = fixgw__net_sess_alloc(loop, s);
  e->initiator = true;
  e->naddr = n;
  memcpy(e->addr, addr, n * sizeof addr[0]);
  e->has_bind = has_bind;
  if (has_bind) e->bind_addr = bind_addr;
  e->sock = opts->sock;
  e->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms
                                                   : DEFAULT_CONNECT_TIMEOUT_MS;
  e->jitter_pct = opts->jitter_pct;
  e->base_ms = reconnect_interval_s ? (uint64_t)reconnect_interval_s * 1000u : MIN_INTERVAL_MS;
  e->max_ms = (uint64_t)opts->backoff_max_s * 1000u;
  if (e->max_ms < e->base_ms) e->max_ms = e->base_ms;
  e->backoff_ms = e->base_ms;
  if (opts->tls) {
    int trc = fixgw__net_tls_ini_setup(loop, e, opts, hosts, addr_host);
    if (trc) {
      fixgw__net_sess_free(loop, e);
      return trc;
    }
  }
  /* The first connect is made by the next turn's pass. */
  e->reconnect_at = loop->now.mono_ns;
  loop->next_deadline = 0;
  loop->next_reconnect = 0;
  return 0;
}
