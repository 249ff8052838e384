/* TLS connections of the loop: the socket's bytes go through the
 * connection's fixgw_tls_t (fixgw/tls.h) on their way to and from the
 * session's spans. The plain paths in loop.c, acceptor.c and initiator.c
 * call in here only when c->tls (or e->tls) is set.
 *
 * Reads: the socket is read straight into the TLS inbound buffer, the
 * plaintext straight into the session's receive span. Writes: the
 * session's pending span is encrypted into the outbound buffer, which is
 * sent straight from there. Plaintext left inside TLS when the session
 * has no room is invisible to epoll: the connection asks for another
 * pass (fixgw__net_wake_conn) while the session wants to read. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "fixgw/tls.h"
#include "net_internal.h"

/* Socket reads per event, as the plain path's READ_BUDGET. */
#define TLS_READ_BUDGET 64
/* How long a finished session's last ciphertext may wait for the socket. */
#define TLS_LINGER_NS 2000000000ull

typedef struct net_tls_ini {
  fixgw_tls_ctx_t *ctx;
  uint8_t addr_host[FIXGW_NET_ADDRS_MAX];
  char host[FIXGW_NET_HOSTS_MAX][FIXGW_NET_HOST_MAX + 1];
} net_tls_ini_t;

/* ------------------------------------------------------------- set-up */

int fixgw__net_tls_check_ctx(const struct fixgw_tls_ctx *ctx, bool server) {
  return fixgw_tls_ctx_role(ctx) == (server ? FIXGW_TLS_SERVER : FIXGW_TLS_CLIENT)
             ? 0
             : FIXGW_EINVAL;
}

int fixgw__net_tls_ini_setup(fixgw_loop_t *loop, net_sess_t *e,
                             const fixgw_net_initiator_opts_t *o, const fixgw_net_hosts_t *hosts,
                             const uint8_t *addr_host) {
  net_tls_ini_t *t = fixgw__alloc(loop->cfg.allocator, sizeof *t);
  if (!t) return FIXGW_ENOMEM;
  memset(t, 0, sizeof *t);
  t->ctx = o->tls;
  memcpy(t->addr_host, addr_host, e->naddr);
  for (uint32_t i = 0; i < hosts->count; i++)
    memcpy(t->host[i], hosts->host[i].host, sizeof t->host[i]);
  e->tls = t;
  return 0;
}

void fixgw__net_tls_ini_release(fixgw_loop_t *loop, net_sess_t *e) {
  fixgw__free(loop->cfg.allocator, e->tls);
  e->tls = NULL;
}

int fixgw__net_tls_connected(fixgw_loop_t *loop, net_conn_t *c, net_sess_t *e) {
  const char *host = e->tls->host[e->tls->addr_host[e->next_addr]];
  int rc = fixgw_tls_create(e->tls->ctx, host, &c->tls);
  if (rc) fixgw__net_log(loop, FIXGW_LOG_ERROR, "%s: TLS set-up: %s", c->peer, fixgw_strerror(rc));
  return rc;
}

int fixgw__net_tls_accepted(fixgw_loop_t *loop, net_conn_t *c, net_listener_t *l) {
  int rc = fixgw_tls_create(l->opts.tls, NULL, &c->tls);
  if (rc) fixgw__net_log(loop, FIXGW_LOG_ERROR, "%s: TLS set-up: %s", c->peer, fixgw_strerror(rc));
  return rc;
}

/* ------------------------------------------------------------ sending */

/* Send the ciphertext waiting. 1: all sent, 0: the socket would block,
 * -1: the socket failed (errno). */
static int send_out(fixgw_loop_t *loop, net_conn_t *c) {
  for (;;) {
    const char *p;
    size_t n;
    fixgw_tls_out_pending(c->tls, &p, &n);
    if (n == 0) return 1;
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      loop->stats.bytes_out += (uint64_t)w;
      fixgw_tls_out_written(c->tls, (size_t)w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (w == 0) errno = EIO;
    return -1;
  }
}

void fixgw__net_tls_conn_release(fixgw_loop_t *loop, net_conn_t *c) {
  /* A close_notify tells the peer the end is deliberate, not a cut, and
   * after a failure the alert waiting says why; either goes out only if
   * the socket takes it now. */
  if (c->fd >= 0) {
    (void)fixgw_tls_shutdown(c->tls);
    (void)send_out(loop, c);
  }
  fixgw_tls_free(c->tls);
  c->tls = NULL;
}

/* A TLS failure of an attached connection: logged with its own text. */
static bool tls_failed(fixgw_loop_t *loop, net_conn_t *c, int rc) {
  if (rc == FIXGW_ETLSCLOSED) {
    fixgw__net_log(loop, FIXGW_LOG_INFO, "%s: TLS: %s", c->peer, fixgw_tls_error(c->tls));
    fixgw_session_t *s = loop->sess[c->sess].s;
    int r = fixgw_session_recv_eof(s, loop->now);
    if (r) fixgw__net_session_rc(loop, c, "recv_eof", r);
    fixgw__net_conn_close(loop, c, FIXGW_DR_PEER_CLOSED);
    return false;
  }
  fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: TLS: %s", c->peer,
                 fixgw_tls_error(c->tls)[0] ? fixgw_tls_error(c->tls) : fixgw_strerror(rc));
  fixgw__net_conn_close(loop, c, FIXGW_DR_IO_ERROR);
  return false;
}

static bool send_failed(fixgw_loop_t *loop, net_conn_t *c) {
  fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: send: %s", c->peer, strerror(errno));
  fixgw__net_conn_close(loop, c, FIXGW_DR_IO_ERROR);
  return false;
}

bool fixgw__net_tls_flush(fixgw_loop_t *loop, net_conn_t *c) {
  fixgw_session_t *s = loop->sess[c->sess].s;
  for (;;) {
    int sent = send_out(loop, c);
    if (sent < 0) return send_failed(loop, c);
    if (sent == 0) return true; /* EPOLLOUT: settle sees ciphertext waiting */
    const char *p;
    size_t n;
    if (fixgw_session_pending(s, &p, &n) || n == 0) return true;
    size_t taken = 0;
    int rc = fixgw_tls_write(c->tls, p, n, &taken);
    if (rc) return tls_failed(loop, c, rc);
    if (taken == 0) {
      const char *q;
      size_t m;
      fixgw_tls_out_pending(c->tls, &q, &m);
      if (m == 0) return true; /* the handshake waits for the peer */
      continue;
    }
    rc = fixgw_session_written(s, taken, loop->now);
    if (rc) {
      fixgw__net_session_rc(loop, c, "written", rc);
      if (fixgw_err_is_fatal(rc)) return true;
    }
  }
}

/* ------------------------------------------------------------ reading */

enum { DRAIN_MORE, DRAIN_STOP, DRAIN_CLOSED };

/* Plaintext from TLS into the session until TLS needs more ciphertext
 * (DRAIN_MORE), the session stops taking (DRAIN_STOP), or the connection
 * ended (DRAIN_CLOSED). */
static int drain(fixgw_loop_t *loop, net_conn_t *c) {
  fixgw_session_t *s = loop->sess[c->sess].s;
  for (;;) {
    char *q;
    size_t cap;
    if (fixgw_session_recv_buf(s, &q, &cap)) return DRAIN_STOP;
    if (cap == 0) {
      if (!fixgw__net_tls_flush(loop, c)) return DRAIN_CLOSED;
      if (fixgw_session_recv_buf(s, &q, &cap) || cap == 0) return DRAIN_STOP;
    }
    size_t got = 0;
    int rc = fixgw_tls_read(c->tls, q, cap, &got);
    if (rc == FIXGW_EAGAIN) return DRAIN_MORE;
    if (rc) {
      tls_failed(loop, c, rc);
      return DRAIN_CLOSED;
    }
    rc = fixgw_session_recv_commit(s, got, loop->now);
    if (rc) {
      fixgw__net_session_rc(loop, c, "recv_commit", rc);
      if (rc == FIXGW_EPAUSED || fixgw_err_is_fatal(rc)) return DRAIN_STOP;
    }
  }
}

bool fixgw__net_tls_read(fixgw_loop_t *loop, net_conn_t *c) {
  if (c->pend != NET_NONE) {
    fixgw__net_feed_pending(loop, c);
    if (c->pend != NET_NONE) return true;
  }
  if (c->paused) return true;
  for (int i = 0; i < TLS_READ_BUDGET; i++) {
    int d = drain(loop, c);
    if (d == DRAIN_CLOSED) return false;
    if (d == DRAIN_STOP) return true;
    char *p;
    size_t cap;
    fixgw_tls_in_buf(c->tls, &p, &cap);
    if (cap == 0) return true; /* drain() left it full: the session is slow */
    ssize_t n = recv(c->fd, p, cap, 0);
    if (n > 0) {
      loop->stats.bytes_in += (uint64_t)n;
      int rc = fixgw_tls_in_commit(c->tls, (size_t)n);
      if (rc) return tls_failed(loop, c, rc);
      continue;
    }
    if (n == 0) {
      fixgw_tls_in_eof(c->tls);
      if (drain(loop, c) == DRAIN_CLOSED) return false; /* close_notify or cut */
      int rc = fixgw_session_recv_eof(loop->sess[c->sess].s, loop->now);
      if (rc) fixgw__net_session_rc(loop, c, "recv_eof", rc);
      fixgw__net_conn_close(loop, c, FIXGW_DR_PEER_CLOSED);
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      /* The handshake or an alert may have produced output. */
      int sent = send_out(loop, c);
      if (sent < 0) return send_failed(loop, c);
      return true;
    }
    fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: recv: %s", c->peer, strerror(errno));
    fixgw__net_conn_close(loop, c, FIXGW_DR_IO_ERROR);
    return false;
  }
  return true;
}

bool fixgw__net_tls_resume(fixgw_loop_t *loop, net_conn_t *c) {
  if (c->paused || c->pend != NET_NONE || !fixgw_tls_has_buffered(c->tls)) return true;
  return drain(loop, c) != DRAIN_CLOSED;
}

bool fixgw__net_tls_settle(fixgw_loop_t *loop, net_conn_t *c, bool r, bool w) {
  const char *p;
  size_t n;
  fixgw_tls_out_pending(c->tls, &p, &n);
  if (r && fixgw_tls_has_buffered(c->tls)) fixgw__net_wake_conn(loop, c);
  if (!r && !w && n > 0) {
    /* The session is done, but its last bytes (a Logout) are still
     * ciphertext here, where plain TCP would have them in the kernel:
     * linger until they are sent, for a bounded time. */
    if (c->deadline == UINT64_MAX) c->deadline = loop->now.mono_ns + TLS_LINGER_NS;
    if (loop->now.mono_ns >= c->deadline) return false;
    fixgw__net_deadline(loop, c->deadline);
    return true;
  }
  /* Session output waits for the handshake: polling for writability
   * before it is done would spin. */
  return n > 0 || (w && fixgw_tls_handshake_done(c->tls));
}

/* ------------------------------------------------------------ routing */

/* Refuse a pending connection whose TLS failed, with its own words. */
static bool pending_failed(fixgw_loop_t *loop, net_conn_t *c, int rc) {
  char why[FIXGW_TLS_ERROR_MAX + 8];
  snprintf(why, sizeof why, "TLS: %s",
           fixgw_tls_error(c->tls)[0] ? fixgw_tls_error(c->tls) : fixgw_strerror(rc));
  fixgw__net_refuse(loop, c, why);
  return false;
}

bool fixgw__net_tls_pending_read(fixgw_loop_t *loop, net_conn_t *c) {
  char *buf = fixgw__net_pend_buf(loop, c);
  for (int i = 0; i < TLS_READ_BUDGET; i++) {
    /* Plaintext first, so the inbound buffer has room. */
    while (c->pend_len < loop->cfg.pending_bytes) {
      size_t got = 0;
      int rc = fixgw_tls_read(c->tls, buf + c->pend_len, loop->cfg.pending_bytes - c->pend_len,
                              &got);
      if (rc == FIXGW_EAGAIN) break;
      if (rc) return pending_failed(loop, c, rc);
      c->pend_len += (uint32_t)got;
    }
    char *p;
    size_t cap;
    fixgw_tls_in_buf(c->tls, &p, &cap);
    if (cap == 0) break;
    ssize_t n = recv(c->fd, p, cap, 0);
    if (n > 0) {
      loop->stats.bytes_in += (uint64_t)n;
      int rc = fixgw_tls_in_commit(c->tls, (size_t)n);
      if (rc) return pending_failed(loop, c, rc);
      continue;
    }
    if (n == 0) {
      fixgw_tls_in_eof(c->tls);
      size_t got = 0;
      int rc = c->pend_len < loop->cfg.pending_bytes
                   ? fixgw_tls_read(c->tls, buf + c->pend_len,
                                    loop->cfg.pending_bytes - c->pend_len, &got)
                   : 0;
      fixgw__net_log(loop, FIXGW_LOG_INFO, "%s: closed by the peer before a Logon%s%s", c->peer,
                     rc && fixgw_tls_error(c->tls)[0] ? ": TLS: " : "",
                     rc ? fixgw_tls_error(c->tls) : "");
      fixgw__net_conn_free(loop, c);
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: recv: %s", c->peer, strerror(errno));
    fixgw__net_conn_free(loop, c);
    return false;
  }
  /* The handshake's replies; if the socket is full, wait for room. */
  int sent = send_out(loop, c);
  if (sent < 0) {
    fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: send: %s", c->peer, strerror(errno));
    fixgw__net_conn_free(loop, c);
    return false;
  }
  if (fixgw__net_watch(loop, c, sent ? EPOLLIN : (EPOLLIN | EPOLLOUT))) {
    fixgw__net_refuse(loop, c, "cannot watch the socket");
    return false;
  }
  return true;
}
