/* The acceptor: one listening socket for many sessions. A new connection's
 * first bytes wait in a bounded buffer until the router knows whose they
 * are; then the session is connected and fed those same bytes. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net_internal.h"

#define ACCEPT_BUDGET 64
/* After EMFILE and the like the level-triggered listener would report the
 * same connection on every turn: stop watching it for this long. */
#define ACCEPT_PAUSE_NS 100000000ull

void fixgw_net_acceptor_opts_default(fixgw_net_acceptor_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
  o->sock.no_delay = true;
  /* A burst of logons (thousands of sessions reconnecting at once) waits
   * in the kernel's queue while accept keeps pace; a short queue drops
   * SYNs, and each drop costs the peer a retransmit a second later or
   * more. The kernel caps it at net.core.somaxconn. */
  o->backlog = 4096;
}

void fixgw__net_refuse(fixgw_loop_t *loop, net_conn_t *c, const char *why) {
  fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: connection refused: %s", c->peer, why);
  loop->stats.refused++;
  fixgw__net_conn_free(loop, c);
}

void fixgw__net_listener_close(fixgw_loop_t *loop, net_listener_t *l) {
  if (!l->open) return;
  if (close(l->fd))
    fixgw__net_log(loop, FIXGW_LOG_WARN, "listener %s: close: %s", l->name, strerror(errno));
  l->open = false;
  l->fd = -1;
}

static int listener_watch(fixgw_loop_t *loop, net_listener_t *l, int op, uint32_t events) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = NET_TAG(TAG_LISTENER, l->gen, l - loop->lis);
  if (epoll_ctl(loop->epfd, op, l->fd, &ev)) {
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "listener %s: epoll_ctl: %s", l->name,
                   strerror(errno));
    return FIXGW_ESYS;
  }
  return 0;
}

void fixgw__net_listener_resume(fixgw_loop_t *loop, net_listener_t *l) {
  l->resume_at = UINT64_MAX;
  listener_watch(loop, l, EPOLL_CTL_MOD, EPOLLIN);
}

static void accept_pause(fixgw_loop_t *loop, net_listener_t *l, int err) {
  /* Once a second at most: the condition tends to last. */
  if (loop->now.mono_ns - loop->last_accept_log >= 1000000000ull || !loop->last_accept_log) {
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "listener %s: accept: %s (pausing accepts)", l->name,
                   strerror(err));
    loop->last_accept_log = loop->now.mono_ns;
  }
  if (listener_watch(loop, l, EPOLL_CTL_MOD, 0) == 0) {
    l->resume_at = loop->now.mono_ns + ACCEPT_PAUSE_NS;
    fixgw__net_deadline(loop, l->resume_at);
  }
}

void fixgw__net_accept_event(fixgw_loop_t *loop, net_listener_t *l) {
  for (int i = 0; i < ACCEPT_BUDGET; i++) {
    if (!loop->npend_free && !loop->refusing) {
      /* Every routing buffer holds a connection that has not sent its
       * Logon yet: leave the new ones in the listen backlog until one is
       * routed or closed (fixgw__net_pend_release resumes), rather than
       * refuse peers that would log on a moment later. */
      if (!l->starved && listener_watch(loop, l, EPOLL_CTL_MOD, 0) == 0) {
        l->starved = true;
        loop->nstarved++;
      }
      return;
    }
    net_addr_t a;
    socklen_t alen = sizeof a;
    memset(&a, 0, sizeof a);
    int fd = accept4(l->fd, &a.sa, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      /* The peer gave up while queued, or a network error of that one
       * connection: go on with the next. */
      if (err == EINTR || err == ECONNABORTED || err == EPROTO || err == ENETDOWN ||
          err == ENOPROTOOPT || err == EHOSTDOWN || err == ENONET || err == EHOSTUNREACH ||
          err == EOPNOTSUPP || err == ENETUNREACH)
        continue;
      accept_pause(loop, l, err);
      return;
    }
    loop->stats.accepted++;
    char peer[64];
    fixgw__net_addr_format(&a, peer, sizeof peer);
    const char *why = NULL;
    if (loop->refusing) why = "shutting down";
    else if (!loop->nconn_free) why = "connection pool full";
    if (why) {
      fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: connection refused: %s", peer, why);
      loop->stats.refused++;
      close(fd);
      continue;
    }
    net_conn_t *c = fixgw__net_conn_alloc(loop, fd);
    memcpy(c->peer, peer, sizeof c->peer);
    c->kind = CONN_PENDING;
    c->listener = (int32_t)(l - loop->lis);
    c->pend = (int32_t)loop->pend_free[--loop->npend_free];
    fixgw__net_conn_deadline(loop, c,
                             loop->now.mono_ns + (uint64_t)loop->cfg.route_timeout_ms * 1000000u);
    fixgw__net_sock_apply(loop, fd, &l->opts.sock, peer);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u64 = NET_TAG(TAG_CONN, c->gen, c - loop->conns);
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
      fixgw__net_log(loop, FIXGW_LOG_ERROR, "%s: epoll_ctl(ADD): %s", peer, strerror(errno));
      fixgw__net_refuse(loop, c, "cannot watch the socket");
      continue;
    }
    c->events = EPOLLIN;
    if (l->opts.tls && fixgw__net_tls_accepted(loop, c, l)) {
      fixgw__net_refuse(loop, c, "TLS setup failed");
      continue;
    }
    fixgw__net_log(loop, FIXGW_LOG_DEBUG, "%s: accepted on %s", peer, l->name);
  }
}

/* The routed session for c, or NULL after refusing c. */
static fixgw_session_t *route(fixgw_loop_t *loop, net_conn_t *c, net_listener_t *l) {
  const char *buf = fixgw__net_pend_buf(loop, c);
  fixgw_route_match_t m;
  int rc = fixgw_router_route(l->opts.router, buf, c->pend_len, loop->cfg.pending_bytes, &m);
  char why[FIXGW_ROUTE_KEY_FORMAT_MAX + 96];
  if (rc == FIXGW_EAGAIN) {
    if (c->pend_len < loop->cfg.pending_bytes) return NULL; /* wait for more */
    snprintf(why, sizeof why, "no complete FIX header in the first %u bytes",
             loop->cfg.pending_bytes);
    fixgw__net_refuse(loop, c, why);
    return NULL;
  }
  if (rc == FIXGW_ENOTFOUND) {
    char key[FIXGW_ROUTE_KEY_FORMAT_MAX];
    fixgw_route_key_format(&m.key, key, sizeof key);
    snprintf(why, sizeof why, "unknown session %s", key);
    fixgw__net_refuse(loop, c, why);
    return NULL;
  }
  if (rc) {
    snprintf(why, sizeof why, "not a FIX session (%s)", fixgw_strerror(rc));
    fixgw__net_refuse(loop, c, why);
    return NULL;
  }
  char key[FIXGW_ROUTE_KEY_FORMAT_MAX];
  fixgw_route_key_format(&m.key, key, sizeof key);
  if (m.key.msgtype.len != 1 || m.key.msgtype.ptr[0] != 'A') {
    snprintf(why, sizeof why, "%s: first message is MsgType %.*s, not a Logon", key,
             (int)(m.key.msgtype.len > 8 ? 8 : m.key.msgtype.len), m.key.msgtype.ptr);
    fixgw__net_refuse(loop, c, why);
    return NULL;
  }
  fixgw_session_t *s = m.target;
  if (m.is_template) {
    s = l->opts.on_template ? l->opts.on_template(loop, m.target, &m.id, l->opts.user) : NULL;
    if (!s) {
      snprintf(why, sizeof why, "%s: template did not create a session", key);
      fixgw__net_refuse(loop, c, why);
      return NULL;
    }
    rc = fixgw_router_add(l->opts.router, &m.id, s);
    if (rc && rc != FIXGW_EINVAL)
      fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: router_add: %s", key, fixgw_strerror(rc));
  }
  if (fixgw_session_state_get(s) != FIXGW_SS_DISCONNECTED || fixgw__net_sess_find(loop, s)) {
    snprintf(why, sizeof why, "%s: session already connected", key);
    fixgw__net_refuse(loop, c, why);
    return NULL;
  }
  if (!loop->nsess_free) {
    snprintf(why, sizeof why, "%s: session table full (%u)", key, loop->cfg.max_sessions);
    fixgw__net_refuse(loop, c, why);
    return NULL;
  }
  fixgw__net_log(loop, FIXGW_LOG_INFO, "%s: routed to %s", c->peer, key);
  return s;
}

void fixgw__net_pending_event(fixgw_loop_t *loop, net_conn_t *c) {
  char *buf = fixgw__net_pend_buf(loop, c);
  if (c->tls) {
    if (!fixgw__net_tls_pending_read(loop, c)) return;
    goto have_bytes; /* decrypted into the routing buffer */
  }
  for (;;) {
    uint32_t room = loop->cfg.pending_bytes - c->pend_len;
    if (room == 0) break;
    ssize_t n = recv(c->fd, buf + c->pend_len, room, 0);
    if (n > 0) {
      loop->stats.bytes_in += (uint64_t)n;
      c->pend_len += (uint32_t)n;
      continue;
    }
    if (n == 0) {
      fixgw__net_log(loop, FIXGW_LOG_INFO, "%s: closed by the peer before a Logon", c->peer);
      fixgw__net_conn_free(loop, c);
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: recv: %s", c->peer, strerror(errno));
    fixgw__net_conn_free(loop, c);
    return;
  }
have_bytes:
  if (c->pend_len == 0) return;
  net_listener_t *l = &loop->lis[c->listener];
  fixgw_session_t *s = route(loop, c, l);
  if (!s) return;
  net_sess_t *e = fixgw__net_sess_alloc(loop, s);
  int rc = fixgw_session_connected(s, loop->now);
  if (rc) {
    char why[128];
    snprintf(why, sizeof why, "session connected: %s", fixgw_strerror(rc));
    fixgw__net_sess_free(loop, e);
    fixgw__net_refuse(loop, c, why);
    return;
  }
  loop->stats.routed++;
  fixgw__net_attached(loop, c, e);
}

int fixgw_net_acceptor_listen(fixgw_loop_t *loop, const char *host, uint16_t port,
                              uint16_t *bound_port, const fixgw_net_acceptor_opts_t *opts) {
  if (!loop || !host || !opts || !opts->router || opts->size < sizeof *opts)
    return FIXGW_EINVAL;
  if (loop->busy) return FIXGW_EBUSY;
  if (loop->nlis >= loop->cfg.max_listeners) return FIXGW_EFULL;
  if (opts->tls) {
    int trc = fixgw__net_tls_check_ctx(opts->tls, true);
    if (trc) return trc;
  }
  int fd;
  uint16_t bound;
  char name[64];
  int rc = fixgw__net_listen_socket(loop, host, port, opts->backlog, &fd, &bound, name,
                                    sizeof name);
  if (rc) return rc;
  net_listener_t *l = &loop->lis[loop->nlis];
  uint32_t gen = l->gen + 1;
  memset(l, 0, sizeof *l);
  l->gen = gen;
  l->fd = fd;
  l->open = true;
  l->resume_at = UINT64_MAX;
  l->opts = *opts;
  l->port = bound;
  snprintf(l->name, sizeof l->name, "%s", name);
  if (listener_watch(loop, l, EPOLL_CTL_ADD, EPOLLIN)) {
    close(fd);
    l->open = false;
    return FIXGW_ESYS;
  }
  loop->nlis++;
  if (bound_port) *bound_port = l->port;
  fixgw__net_log(loop, FIXGW_LOG_INFO, "listening on %s", l->name);
  return 0;
}
