/* The epoll loop: one turn waits, dispatches events, then makes one pass
 * over the live connections (timers, output the host queued meanwhile,
 * epoll interest, closing) and the initiators waiting to reconnect.
 *
 * epoll is level-triggered: a connection whose input stops for
 * back-pressure simply leaves EPOLLIN out of its interest, and whatever the
 * kernel still holds is reported again once the session wants to read. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "net_internal.h"

#define LIMIT_MAX (1u << 20)
/* Reads per connection per event: with a peer that never pauses, the drain
 * rule alone would starve every other connection. What is left is reported
 * again by the level-triggered epoll. */
#define READ_BUDGET 64

/* ------------------------------------------------------------- helpers */

void fixgw__net_log(fixgw_loop_t *loop, fixgw_log_level lv, const char *fmt, ...) {
  if (!loop->cfg.on_log) return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  loop->cfg.on_log(loop, lv, line, loop->cfg.user);
}

void fixgw__net_clock(fixgw_loop_t *loop) {
  struct timespec m, r;
  clock_gettime(CLOCK_MONOTONIC, &m);
  clock_gettime(CLOCK_REALTIME, &r);
  loop->now.mono_ns = (uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec;
  loop->now.utc_ns = (int64_t)r.tv_sec * 1000000000 + (int64_t)r.tv_nsec;
}

void fixgw__net_deadline(fixgw_loop_t *loop, uint64_t t) {
  if (t < loop->next_deadline) loop->next_deadline = t;
}

uint64_t fixgw__net_random(fixgw_loop_t *loop) {
  /* splitmix64: one word of state, good enough to spread reconnects. */
  uint64_t z = (loop->rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void sess_log(fixgw_loop_t *loop, fixgw_log_level lv, const fixgw_session_t *s,
                     const char *what, int rc) {
  char name[160];
  fixgw__net_session_name(s, name, sizeof name);
  fixgw__net_log(loop, lv, "%s: %s: %s", name, what, fixgw_strerror(rc));
}

/* ------------------------------------------------------------- pools */

net_conn_t *fixgw__net_conn_alloc(fixgw_loop_t *loop, int fd) {
  if (!loop->nconn_free) return NULL;
  uint32_t i = loop->conn_free[--loop->nconn_free];
  net_conn_t *c = &loop->conns[i];
  uint32_t gen = c->gen + 1;
  memset(c, 0, sizeof *c);
  c->gen = gen;
  c->fd = fd;
  c->sess = c->pend = c->listener = NET_NONE;
  c->deadline = c->due = UINT64_MAX;
  c->heap_pos = NET_HEAP_NONE;
  c->live_pos = loop->nlive;
  loop->live[loop->nlive++] = i;
  loop->stats.connections = loop->nlive;
  return c;
}

void fixgw__net_pend_release(fixgw_loop_t *loop, net_conn_t *c) {
  if (c->pend == NET_NONE) return;
  loop->pend_free[loop->npend_free++] = (uint32_t)c->pend;
  c->pend = NET_NONE;
  c->pend_len = c->pend_off = 0;
  if (loop->nstarved) {
    for (uint32_t i = 0; i < loop->nlis; i++) {
      net_listener_t *l = &loop->lis[i];
      if (!l->starved) continue;
      l->starved = false;
      if (l->open) fixgw__net_listener_resume(loop, l);
    }
    loop->nstarved = 0;
  }
}

char *fixgw__net_pend_buf(fixgw_loop_t *loop, const net_conn_t *c) {
  return loop->pend_bufs + (size_t)c->pend * loop->cfg.pending_bytes;
}

void fixgw__net_conn_free(fixgw_loop_t *loop, net_conn_t *c) {
  if (c->tls) fixgw__net_tls_conn_release(loop, c);
  /* close() also takes the fd out of the epoll set: it is never dup'ed. */
  if (c->fd >= 0 && close(c->fd))
    fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: close: %s", c->peer, strerror(errno));
  c->fd = -1;
  fixgw__net_pend_release(loop, c);
  fixgw__net_timer_set(loop, c, UINT64_MAX);
  c->woken = false; /* an entry left in loop->wake is stale by its gen */
  uint32_t idx = (uint32_t)(c - loop->conns);
  uint32_t pos = c->live_pos;
  uint32_t last = loop->live[--loop->nlive];
  loop->live[pos] = last;
  loop->conns[last].live_pos = pos;
  c->kind = CONN_FREE;
  c->sess = NET_NONE;
  loop->conn_free[loop->nconn_free++] = idx;
  loop->stats.connections = loop->nlive;
}

int fixgw__net_watch(fixgw_loop_t *loop, net_conn_t *c, uint32_t events) {
  if (c->events == events) return 0;
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = NET_TAG(TAG_CONN, c->gen, c - loop->conns);
  if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, c->fd, &ev)) {
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "%s: epoll_ctl(MOD): %s", c->peer, strerror(errno));
    return FIXGW_ESYS;
  }
  c->events = events;
  return 0;
}

static uint32_t smap_slot(const fixgw_loop_t *loop, const void *s) {
  uint64_t k = (uint64_t)(uintptr_t)s;
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull; /* murmur3's finaliser: pointers differ in few bits */
  k ^= k >> 33;
  return (uint32_t)k & loop->smask;
}

static void smap_remove(fixgw_loop_t *loop, const fixgw_session_t *s) {
  uint32_t m = loop->smask, i = smap_slot(loop, s);
  while (loop->smap[i] != NET_NONE && loop->sess[loop->smap[i]].s != s) i = (i + 1) & m;
  if (loop->smap[i] == NET_NONE) return;
  /* Backward shift: move up every later entry of the run that may live in
   * the hole, so lookups never need tombstones. */
  for (uint32_t j = i;;) {
    j = (j + 1) & m;
    if (loop->smap[j] == NET_NONE) break;
    uint32_t home = smap_slot(loop, loop->sess[loop->smap[j]].s);
    bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    loop->smap[i] = loop->smap[j];
    i = j;
  }
  loop->smap[i] = NET_NONE;
}

net_sess_t *fixgw__net_sess_alloc(fixgw_loop_t *loop, fixgw_session_t *s) {
  if (!loop->nsess_free) return NULL;
  uint32_t i = loop->sess_free[--loop->nsess_free];
  uint32_t k = smap_slot(loop, s);
  while (loop->smap[k] != NET_NONE) k = (k + 1) & loop->smask;
  loop->smap[k] = (int32_t)i;
  net_sess_t *e = &loop->sess[i];
  memset(e, 0, sizeof *e);
  e->used = true;
  e->s = s;
  e->conn = NET_NONE;
  e->reconnect_at = UINT64_MAX;
  e->live_pos = loop->nslive;
  loop->slive[loop->nslive++] = i;
  loop->stats.sessions = loop->nslive;
  return e;
}

void fixgw__net_sess_free(fixgw_loop_t *loop, net_sess_t *e) {
  uint32_t idx = (uint32_t)(e - loop->sess);
  uint32_t pos = e->live_pos;
  uint32_t last = loop->slive[--loop->nslive];
  loop->slive[pos] = last;
  loop->sess[last].live_pos = pos;
  smap_remove(loop, e->s);
  e->used = false;
  e->s = NULL;
  if (e->tls) fixgw__net_tls_ini_release(loop, e);
  loop->sess_free[loop->nsess_free++] = idx;
  loop->stats.sessions = loop->nslive;
}

net_sess_t *fixgw__net_sess_find(fixgw_loop_t *loop, const fixgw_session_t *s) {
  for (uint32_t i = smap_slot(loop, s); loop->smap[i] != NET_NONE; i = (i + 1) & loop->smask) {
    net_sess_t *e = &loop->sess[loop->smap[i]];
    if (e->s == s) return e;
  }
  return NULL;
}

/* ---------------------------------------------------------- attached I/O */

void fixgw__net_conn_close(fixgw_loop_t *loop, net_conn_t *c, fixgw_disconnect_reason why) {
  net_sess_t *e = &loop->sess[c->sess];
  fixgw_session_t *s = e->s;
  fixgw__net_log(loop, FIXGW_LOG_INFO, "%s: connection closed (%s)", c->peer,
                 why == FIXGW_DR_PROTOCOL ? "the session ended it"
                                          : fixgw_disconnect_reason_name(why));
  fixgw__net_conn_free(loop, c);
  e->conn = NET_NONE;
  loop->stats.closed++;
  loop->stats.attached--;
  int rc = fixgw_session_disconnected(s, why, loop->now);
  if (rc) sess_log(loop, FIXGW_LOG_ERROR, s, "disconnected", rc);
  if (e->initiator) {
    if (fixgw_session_state_get(s) == FIXGW_SS_FATAL) {
      sess_log(loop, FIXGW_LOG_ERROR, s, "not reconnecting", FIXGW_EFATAL);
      e->disabled = true;
    }
    fixgw__net_reconnect_schedule(loop, e);
  } else {
    /* The loop forgets an acceptor session before on_closed, which may
     * destroy it. */
    fixgw__net_sess_free(loop, e);
  }
  if (loop->cfg.on_closed) loop->cfg.on_closed(loop, s, why, loop->cfg.user);
}

/* An error from a session entry point: fatal ones end the connection at
 * the next settle (the session wants neither read nor write); others are
 * the host's or ours to know about. */
static void session_rc(fixgw_loop_t *loop, net_conn_t *c, const char *what, int rc) {
  if (rc == 0) return;
  fixgw_session_t *s = loop->sess[c->sess].s;
  if (rc == FIXGW_EPAUSED) {
    c->paused = true;
    loop->immediate = true;
    return;
  }
  sess_log(loop, fixgw_err_is_fatal(rc) ? FIXGW_LOG_ERROR : FIXGW_LOG_WARN, s, what, rc);
}

void fixgw__net_session_rc(fixgw_loop_t *loop, net_conn_t *c, const char *what, int rc) {
  session_rc(loop, c, what, rc);
}

/* Write what is pending until the socket would block or nothing is left.
 * false: the connection was closed. */
static bool conn_flush(fixgw_loop_t *loop, net_conn_t *c) {
  if (c->tls) return fixgw__net_tls_flush(loop, c);
  fixgw_session_t *s = loop->sess[c->sess].s;
  for (;;) {
    const char *p;
    size_t n;
    if (fixgw_session_pending(s, &p, &n) || n == 0) return true;
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      loop->stats.bytes_out += (uint64_t)w;
      int rc = fixgw_session_written(s, (size_t)w, loop->now);
      if (rc) {
        session_rc(loop, c, "written", rc);
        if (fixgw_err_is_fatal(rc)) return true;
      }
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: send: %s", c->peer,
                   w < 0 ? strerror(errno) : "wrote nothing");
    fixgw__net_conn_close(loop, c, FIXGW_DR_IO_ERROR);
    return false;
  }
}

void fixgw__net_feed_pending(fixgw_loop_t *loop, net_conn_t *c) {
  if (c->pend == NET_NONE) return;
  fixgw_session_t *s = loop->sess[c->sess].s;
  size_t took = 0;
  const char *buf = fixgw__net_pend_buf(loop, c);
  int rc = fixgw_session_feed(s, buf + c->pend_off, c->pend_len - c->pend_off, &took,
                              loop->now);
  c->pend_off += (uint32_t)took;
  session_rc(loop, c, "feed", rc);
  if (c->pend_off == c->pend_len) fixgw__net_pend_release(loop, c);
  else loop->immediate = true; /* the rest goes in before the socket is read again */
}

/* Read until the socket would block (the drain rule), the session stops
 * lending (back-pressure, pause, closing), or the budget is spent.
 * false: the connection was closed. */
static bool conn_read(fixgw_loop_t *loop, net_conn_t *c) {
  if (c->tls) return fixgw__net_tls_read(loop, c);
  fixgw_session_t *s = loop->sess[c->sess].s;
  if (c->held) return true;
  if (c->pend != NET_NONE) {
    /* Routed bytes not yet taken come first, or order would break. */
    fixgw__net_feed_pending(loop, c);
    if (c->pend != NET_NONE) return true;
  }
  if (c->paused) return true;
  for (int i = 0; i < READ_BUDGET; i++) {
    char *p;
    size_t cap;
    if (fixgw_session_recv_buf(s, &p, &cap)) return true;
    if (cap == 0) {
      /* Output first may lift the back-pressure. */
      if (!conn_flush(loop, c)) return false;
      if (fixgw_session_recv_buf(s, &p, &cap) || cap == 0) return true;
    }
    ssize_t n = recv(c->fd, p, cap, 0);
    if (n > 0) {
      loop->stats.bytes_in += (uint64_t)n;
      int rc = fixgw_session_recv_commit(s, (size_t)n, loop->now);
      if (rc) {
        session_rc(loop, c, "recv_commit", rc);
        if (rc == FIXGW_EPAUSED || fixgw_err_is_fatal(rc)) return true;
      }
      continue;
    }
    if (n == 0) {
      int rc = fixgw_session_recv_eof(s, loop->now);
      if (rc) session_rc(loop, c, "recv_eof", rc);
      /* Whatever the session still had to say cannot reach a closed peer
       * in a useful way: close now. */
      fixgw__net_conn_close(loop, c, FIXGW_DR_PEER_CLOSED);
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: recv: %s", c->peer, strerror(errno));
    fixgw__net_conn_close(loop, c, FIXGW_DR_IO_ERROR);
    return false;
  }
  return true;
}

/* After any work on c: close it when the session wants neither read nor
 * write, else watch what it wants and note its deadline. */
static void conn_settle_(fixgw_loop_t *loop, net_conn_t *c, bool timer_ran);
static void conn_settle(fixgw_loop_t *loop, net_conn_t *c) { conn_settle_(loop, c, false); }

static void conn_settle_(fixgw_loop_t *loop, net_conn_t *c, bool timer_ran) {
  net_sess_t *e = &loop->sess[c->sess];
  fixgw_session_t *s = e->s;
  bool r = fixgw_session_want_read(s), w = fixgw_session_want_write(s);
  /* TLS: what the session wrote may still wait as ciphertext. */
  if (c->tls) w = fixgw__net_tls_settle(loop, c, r, w);
  if (!r && !w && !c->paused) {
    /* The session chose to end it (Logout done, timeout, protocol, fatal);
     * its on_logout has the precise reason. */
    fixgw__net_conn_close(loop, c, FIXGW_DR_PROTOCOL);
    return;
  }
  if (e->initiator && fixgw_session_is_logged_on(s)) fixgw__net_backoff_reset(e);
  uint32_t want = (r && !c->held ? EPOLLIN : 0u) | (w ? EPOLLOUT : 0u);
  if (fixgw__net_watch(loop, c, want)) {
    fixgw__net_conn_close(loop, c, FIXGW_DR_IO_ERROR);
    return;
  }
  uint64_t d = fixgw_session_next_deadline(s);
  /* A deadline still due right after on_timer had nothing to do (e.g. a
   * heartbeat waiting for output room): look again in a millisecond
   * rather than spin through zero-timeout waits. */
  if (timer_ran && d <= loop->now.mono_ns) d = loop->now.mono_ns + 1000000u;
  fixgw__net_deadline(loop, d);
  fixgw__net_timer_set(loop, c, d);
  if (!c->held && (c->paused || c->pend != NET_NONE)) fixgw__net_wake_conn(loop, c);
}

void fixgw__net_attached(fixgw_loop_t *loop, net_conn_t *c, net_sess_t *e) {
  c->kind = CONN_ATTACHED;
  c->sess = (int32_t)(e - loop->sess);
  c->deadline = UINT64_MAX;
  e->conn = (int32_t)(c - loop->conns);
  loop->stats.attached++;
  if (c->pend != NET_NONE) fixgw__net_feed_pending(loop, c);
  if (!conn_flush(loop, c)) return;
  conn_settle(loop, c);
}

static void attached_event(fixgw_loop_t *loop, net_conn_t *c, uint32_t ev) {
  if (ev & EPOLLERR) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: socket error: %s", c->peer,
                   err ? strerror(err) : "unknown");
    fixgw__net_conn_close(loop, c, FIXGW_DR_IO_ERROR);
    return;
  }
  if ((ev & (EPOLLIN | EPOLLHUP)) && !conn_read(loop, c)) return;
  if ((ev & EPOLLHUP) && !(c->events & EPOLLIN)) {
    /* Both directions are gone and the session is not reading (it is
     * back-pressured): nothing more can happen on this socket. */
    fixgw__net_conn_close(loop, c, FIXGW_DR_PEER_CLOSED);
    return;
  }
  if (!conn_flush(loop, c)) return;
  conn_settle(loop, c);
}

/* The per-turn visit of an attached connection: resume, timers, output. */
static void attached_pass(fixgw_loop_t *loop, net_conn_t *c) {
  fixgw_session_t *s = loop->sess[c->sess].s;
  if (c->pend != NET_NONE && !c->held) fixgw__net_feed_pending(loop, c);
  if (c->paused && c->pend == NET_NONE && !c->held) {
    c->paused = false;
    session_rc(loop, c, "recv_commit", fixgw_session_recv_commit(s, 0, loop->now));
  }
  if (c->tls && !fixgw__net_tls_resume(loop, c)) return;
  bool timer = fixgw_session_next_deadline(s) <= loop->now.mono_ns;
  if (timer) {
    int rc = fixgw_session_on_timer(s, loop->now);
    if (rc) session_rc(loop, c, "on_timer", rc);
  }
  if (!conn_flush(loop, c)) return;
  conn_settle_(loop, c, timer);
}

/* ------------------------------------------------------------- the turn */

static void dispatch(fixgw_loop_t *loop, uint64_t data, uint32_t ev) {
  uint32_t tag = (uint32_t)(data >> 56);
  uint32_t gen = (uint32_t)(data >> 32) & 0xffffffu;
  uint32_t idx = (uint32_t)data;
  if (tag == TAG_WAKE) {
    uint64_t v;
    if (read(loop->wakefd, &v, sizeof v) < 0 && errno != EAGAIN)
      fixgw__net_log(loop, FIXGW_LOG_WARN, "eventfd read: %s", strerror(errno));
    return;
  }
  if (tag == TAG_LISTENER) {
    if (idx < loop->nlis && loop->lis[idx].open && (loop->lis[idx].gen & 0xffffffu) == gen)
      fixgw__net_accept_event(loop, &loop->lis[idx]);
    return;
  }
  if (tag == TAG_METRICS) {
    fixgw__net_metrics_event(loop, idx, gen, ev);
    return;
  }
  if (tag != TAG_CONN || idx >= loop->cfg.max_connections) return;
  net_conn_t *c = &loop->conns[idx];
  if (c->kind == CONN_FREE || (c->gen & 0xffffffu) != gen) return; /* stale */
  switch (c->kind) {
  case CONN_CONNECTING:
    fixgw__net_connect_event(loop, c, ev);
    break;
  case CONN_PENDING:
    fixgw__net_pending_event(loop, c);
    break;
  case CONN_ATTACHED:
    attached_event(loop, c, ev);
    break;
  default:
    break;
  }
}

/* One connection's share of a pass: timers, resumed input, output. */
static void visit(fixgw_loop_t *loop, net_conn_t *c, uint64_t now) {
  switch (c->kind) {
  case CONN_ATTACHED:
    attached_pass(loop, c);
    break;
  case CONN_CONNECTING:
    if (c->deadline <= now) fixgw__net_connect_timeout(loop, c);
    else fixgw__net_deadline(loop, c->deadline);
    break;
  case CONN_PENDING:
    if (c->deadline <= now) fixgw__net_refuse(loop, c, "not identified in time");
    else fixgw__net_deadline(loop, c->deadline);
    break;
  default:
    break;
  }
}

/* Every live connection. Backwards: closing swaps the last live entry
 * into this index, and that one has been visited already. Entries added
 * meanwhile (fail-over connects) wait for the next turn and have noted
 * their deadline. */
static void visit_all(fixgw_loop_t *loop, uint64_t now) {
  for (uint32_t i = 0; i < loop->nwake; i++) loop->conns[(uint32_t)loop->wake[i]].woken = false;
  loop->nwake = 0;
  loop->wake_all = false;
  for (uint32_t i = loop->nlive; i-- > 0;) {
    if (i >= loop->nlive) continue;
    visit(loop, &loop->conns[loop->live[i]], now);
  }
}

/* host_wakes: the woken connections, then those whose deadline has come;
 * the rest are not touched, so a turn costs what is active. */
static void visit_some(fixgw_loop_t *loop, uint64_t now) {
  uint32_t n = loop->nwake;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t tag = loop->wake[i];
    net_conn_t *c = &loop->conns[(uint32_t)tag];
    if (c->kind == CONN_FREE || !c->woken || (c->gen & 0xffffffu) != ((tag >> 32) & 0xffffffu))
      continue;
    c->woken = false;
    visit(loop, c, now);
  }
  /* Woken again while visited (still paused, routing bytes left): next turn. */
  memmove(loop->wake, loop->wake + n, (size_t)(loop->nwake - n) * sizeof *loop->wake);
  loop->nwake -= n;
  if (loop->nwake) loop->immediate = true;
  /* Each visit moves its connection's due past now or takes it out (a
   * timer still due after on_timer is looked at again a millisecond
   * later), so this ends; the count bounds it regardless. */
  for (uint32_t k = loop->nheap; k-- > 0;) {
    net_conn_t *c = fixgw__net_timer_top(loop);
    if (!c || c->due > now) break;
    uint64_t before = c->due;
    visit(loop, c, now);
    if (c->kind != CONN_FREE && c->heap_pos == 0 && c->due == before)
      fixgw__net_timer_set(loop, c, now + 1000000u); /* nothing moved it */
  }
  net_conn_t *top = fixgw__net_timer_top(loop);
  if (top) fixgw__net_deadline(loop, top->due);
}

static void pass(fixgw_loop_t *loop) {
  loop->next_deadline = UINT64_MAX;
  loop->immediate = false;
  uint64_t now = loop->now.mono_ns;
  if (loop->cfg.host_wakes && !loop->wake_all) visit_some(loop, now);
  else visit_all(loop, now);
  /* Initiators waiting to reconnect: looked for only when one is due. */
  if (!loop->cfg.host_wakes || loop->next_reconnect <= now) {
    loop->next_reconnect = UINT64_MAX;
    for (uint32_t i = loop->nslive; i-- > 0;) {
      if (i >= loop->nslive) continue;
      net_sess_t *e = &loop->sess[loop->slive[i]];
      if (!e->initiator || e->conn != NET_NONE || e->disabled) continue;
      if (e->reconnect_at <= now) {
        fixgw__net_connect_start(loop, e);
      } else {
        fixgw__net_deadline(loop, e->reconnect_at);
        if (e->reconnect_at < loop->next_reconnect) loop->next_reconnect = e->reconnect_at;
      }
    }
  } else {
    fixgw__net_deadline(loop, loop->next_reconnect);
  }
  for (uint32_t i = 0; i < loop->nlis; i++) {
    net_listener_t *l = &loop->lis[i];
    if (!l->open || l->resume_at == UINT64_MAX) continue;
    if (l->resume_at <= now) fixgw__net_listener_resume(loop, l);
    else fixgw__net_deadline(loop, l->resume_at);
  }
  if (loop->metrics) fixgw__net_metrics_pass(loop);
}

static int wait_ms(const fixgw_loop_t *loop, int timeout_ms) {
  if (loop->cfg.busy_poll || loop->immediate) return 0;
  if (loop->next_deadline == UINT64_MAX) return timeout_ms;
  if (loop->next_deadline <= loop->now.mono_ns) return 0;
  /* Round up: waking a little late is fine (timers are checked against
   * the clock), waking early would spin through a second turn. */
  uint64_t ms = (loop->next_deadline - loop->now.mono_ns + 999999u) / 1000000u;
  if (ms > INT_MAX) ms = INT_MAX;
  if (timeout_ms < 0 || (uint64_t)timeout_ms > ms) return (int)ms;
  return timeout_ms;
}

int fixgw_loop_run_once(fixgw_loop_t *loop, int timeout_ms) {
  if (!loop) return FIXGW_EINVAL;
  if (loop->busy) return FIXGW_EBUSY;
  loop->busy++;
  fixgw__net_clock(loop);
  /* The pass comes before the wait so that output the host queued since
   * the last turn (sends from outside the loop) goes out before sleeping,
   * and the wait knows the earliest deadline. */
  pass(loop);
  struct epoll_event *evs = loop->events;
  int n = epoll_wait(loop->epfd, evs, (int)loop->cfg.max_events, wait_ms(loop, timeout_ms));
  int ret = 0;
  if (n < 0) {
    if (errno != EINTR) {
      fixgw__net_log(loop, FIXGW_LOG_ERROR, "epoll_wait: %s", strerror(errno));
      ret = FIXGW_ESYS;
    }
    n = 0;
  }
  fixgw__net_clock(loop);
  if (n > 0) loop->stats.wakeups++;
  for (int i = 0; i < n; i++) dispatch(loop, evs[i].data.u64, evs[i].events);
  /* Connections with events were flushed and settled by their dispatch;
   * another pass is needed only when the wait ended on a deadline. */
  if (loop->next_deadline <= loop->now.mono_ns) pass(loop);
  loop->busy--;
  return ret ? ret : n;
}

int fixgw_loop_run(fixgw_loop_t *loop, const volatile int *until) {
  if (!loop) return FIXGW_EINVAL;
  if (loop->busy) return FIXGW_EBUSY;
  int rc = 0;
  /* Acquire pairs with the release in fixgw_loop_stop: nothing is
   * published through the flag, but the order keeps the wake-up read
   * after it. */
  while (!__atomic_load_n(&loop->stop, __ATOMIC_ACQUIRE) && !(until && *until)) {
    rc = fixgw_loop_run_once(loop, -1);
    if (rc < 0) break;
    rc = 0;
  }
  __atomic_store_n(&loop->stop, 0, __ATOMIC_RELAXED);
  return rc;
}

void fixgw_loop_stop(fixgw_loop_t *loop) {
  if (!loop) return;
  __atomic_store_n(&loop->stop, 1, __ATOMIC_RELEASE);
  uint64_t one = 1;
  /* write(2) on an eventfd is async-signal-safe; a full counter (EAGAIN)
   * already means a wake-up is pending. */
  ssize_t w = write(loop->wakefd, &one, sizeof one);
  (void)w;
}

void fixgw_loop_wake(fixgw_loop_t *loop) {
  if (!loop) return;
  uint64_t one = 1;
  /* As in fixgw_loop_stop, without the stop request. */
  ssize_t w = write(loop->wakefd, &one, sizeof one);
  (void)w;
}

/* ------------------------------------------------------------ lifecycle */

void fixgw_loop_config_default(fixgw_loop_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
  cfg->max_connections = 1024;
  cfg->max_sessions = 1024;
  cfg->max_pending = 64;
  cfg->pending_bytes = 4096;
  cfg->route_timeout_ms = 10000;
  cfg->max_listeners = 4;
  cfg->max_events = 256;
}

static void *alloc_array(const fixgw_allocator_t *a, size_t n, size_t each, int *fail) {
  if (*fail) return NULL;
  void *p = fixgw__alloc(a, n * each);
  if (!p) *fail = 1;
  else memset(p, 0, n * each);
  return p;
}

static void free_all(fixgw_loop_t *loop) {
  const fixgw_allocator_t *a = loop->cfg.allocator;
  fixgw__free(a, loop->conns);
  fixgw__free(a, loop->live);
  fixgw__free(a, loop->conn_free);
  fixgw__free(a, loop->sess);
  fixgw__free(a, loop->smap);
  fixgw__free(a, loop->slive);
  fixgw__free(a, loop->sess_free);
  fixgw__free(a, loop->pend_bufs);
  fixgw__free(a, loop->pend_free);
  fixgw__free(a, loop->lis);
  fixgw__free(a, loop->events);
  fixgw__free(a, loop->heap);
  fixgw__free(a, loop->wake);
  fixgw__free(a, loop);
}

static bool limit_ok(uint32_t v) { return v >= 1 && v <= LIMIT_MAX; }

int fixgw_loop_create(const fixgw_loop_config_t *cfg, fixgw_loop_t **out) {
  if (!out) return FIXGW_EINVAL;
  *out = NULL;
  fixgw_loop_config_t def;
  if (!cfg) {
    fixgw_loop_config_default(&def);
    cfg = &def;
  }
  if (cfg->size < sizeof *cfg) return FIXGW_EINVAL;
  if (!limit_ok(cfg->max_connections) || !limit_ok(cfg->max_sessions) ||
      !limit_ok(cfg->max_pending) || !limit_ok(cfg->max_listeners) ||
      !limit_ok(cfg->max_events) || cfg->pending_bytes < 128 ||
      cfg->pending_bytes > LIMIT_MAX || cfg->route_timeout_ms == 0)
    return FIXGW_EINVAL;
  const fixgw_allocator_t *a = cfg->allocator;
  fixgw_loop_t *loop = fixgw__alloc(a, sizeof *loop);
  if (!loop) return FIXGW_ENOMEM;
  memset(loop, 0, sizeof *loop);
  loop->cfg = *cfg;
  loop->epfd = loop->wakefd = -1;
  int fail = 0;
  uint32_t nc = cfg->max_connections, ns = cfg->max_sessions, np = cfg->max_pending;
  loop->conns = alloc_array(a, nc, sizeof *loop->conns, &fail);
  loop->live = alloc_array(a, nc, sizeof *loop->live, &fail);
  loop->conn_free = alloc_array(a, nc, sizeof *loop->conn_free, &fail);
  loop->sess = alloc_array(a, ns, sizeof *loop->sess, &fail);
  uint32_t nmap = 2;
  while (nmap < 2 * ns) nmap <<= 1;
  loop->smask = nmap - 1;
  loop->smap = alloc_array(a, nmap, sizeof *loop->smap, &fail);
  loop->slive = alloc_array(a, ns, sizeof *loop->slive, &fail);
  loop->sess_free = alloc_array(a, ns, sizeof *loop->sess_free, &fail);
  loop->pend_bufs = alloc_array(a, np, cfg->pending_bytes, &fail);
  loop->pend_free = alloc_array(a, np, sizeof *loop->pend_free, &fail);
  loop->lis = alloc_array(a, cfg->max_listeners, sizeof *loop->lis, &fail);
  loop->events = alloc_array(a, cfg->max_events, sizeof(struct epoll_event), &fail);
  loop->heap = alloc_array(a, nc, sizeof *loop->heap, &fail);
  /* Room for a stale entry of every slot besides a live one. */
  loop->wake_cap = 2 * nc;
  loop->wake = alloc_array(a, loop->wake_cap, sizeof *loop->wake, &fail);
  if (fail) {
    free_all(loop);
    return FIXGW_ENOMEM;
  }
  /* Free stacks hand out low indices first, which keeps a small loop's
   * working set together. */
  for (uint32_t i = 0; i < nc; i++) {
    loop->conns[i].fd = -1;
    loop->conns[i].heap_pos = NET_HEAP_NONE;
    loop->conn_free[i] = nc - 1 - i;
  }
  loop->nconn_free = nc;
  for (uint32_t i = 0; i < ns; i++) loop->sess_free[i] = ns - 1 - i;
  for (uint32_t i = 0; i <= loop->smask; i++) loop->smap[i] = NET_NONE;
  loop->nsess_free = ns;
  for (uint32_t i = 0; i < np; i++) loop->pend_free[i] = np - 1 - i;
  loop->npend_free = np;
  loop->rng = cfg->seed ? cfg->seed : 0x6669786777ull; /* "fixgw" */
  loop->last_accept_log = 0;
  loop->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (loop->epfd < 0) {
    int err = errno;
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "epoll_create1: %s", strerror(err));
    free_all(loop);
    errno = err;
    return FIXGW_ESYS;
  }
  loop->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.u64 = NET_TAG(TAG_WAKE, 0, 0);
  if (loop->wakefd < 0 || epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev)) {
    int err = errno;
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "eventfd: %s", strerror(err));
    if (loop->wakefd >= 0) close(loop->wakefd);
    close(loop->epfd);
    free_all(loop);
    errno = err;
    return FIXGW_ESYS;
  }
  fixgw__net_clock(loop);
  loop->next_deadline = UINT64_MAX;
  loop->next_reconnect = UINT64_MAX;
  *out = loop;
  return 0;
}

/* Close whatever c is, as the host asked. */
static void close_any(fixgw_loop_t *loop, net_conn_t *c, fixgw_disconnect_reason why) {
  if (c->kind == CONN_ATTACHED) {
    fixgw__net_conn_close(loop, c, why);
    return;
  }
  if (c->kind == CONN_CONNECTING && c->sess != NET_NONE) loop->sess[c->sess].conn = NET_NONE;
  fixgw__net_conn_free(loop, c);
}

void fixgw_loop_destroy(fixgw_loop_t *loop) {
  if (!loop) return;
  loop->busy++;
  fixgw__net_clock(loop);
  for (uint32_t i = 0; i < loop->nslive; i++) loop->sess[loop->slive[i]].disabled = true;
  while (loop->nlive) close_any(loop, &loop->conns[loop->live[loop->nlive - 1]], FIXGW_DR_HOST);
  for (uint32_t i = 0; i < loop->nlis; i++) fixgw__net_listener_close(loop, &loop->lis[i]);
  for (uint32_t i = 0; i < loop->nslive; i++)
    if (loop->sess[loop->slive[i]].tls) fixgw__net_tls_ini_release(loop, &loop->sess[loop->slive[i]]);
  fixgw__net_metrics_free(loop);
  close(loop->wakefd);
  close(loop->epfd);
  free_all(loop);
}

const fixgw_loop_stats_t *fixgw_loop_stats(const fixgw_loop_t *loop) {
  return loop ? &loop->stats : NULL;
}

/* ------------------------------------------------------------- control */

int fixgw_loop_logout_all(fixgw_loop_t *loop, const char *text) {
  if (!loop) return FIXGW_EINVAL;
  if (loop->busy) return FIXGW_EBUSY;
  loop->busy++;
  fixgw__net_clock(loop);
  loop->refusing = true;
  for (uint32_t i = 0; i < loop->nlis; i++) fixgw__net_listener_close(loop, &loop->lis[i]);
  for (uint32_t i = 0; i < loop->nslive; i++) loop->sess[loop->slive[i]].disabled = true;
  for (uint32_t i = loop->nlive; i-- > 0;) {
    if (i >= loop->nlive) continue;
    net_conn_t *c = &loop->conns[loop->live[i]];
    if (c->kind == CONN_ATTACHED) {
      fixgw_session_t *s = loop->sess[c->sess].s;
      int rc = fixgw_session_logout(s, text, loop->now);
      if (rc) sess_log(loop, FIXGW_LOG_WARN, s, "logout", rc);
      fixgw__net_wake_conn(loop, c); /* the Logout goes out next turn */
    } else if (c->kind == CONN_PENDING) {
      fixgw__net_refuse(loop, c, "shutting down");
    } else {
      close_any(loop, c, FIXGW_DR_HOST);
    }
  }
  loop->next_deadline = 0; /* the next turn makes a pass before waiting */
  loop->busy--;
  return 0;
}

static int drop_or_remove(fixgw_loop_t *loop, fixgw_session_t *s, fixgw_disconnect_reason why,
                          bool remove) {
  if (!loop || !s) return FIXGW_EINVAL;
  if (loop->busy) return FIXGW_EBUSY;
  net_sess_t *e = fixgw__net_sess_find(loop, s);
  if (!e) return FIXGW_ENOTFOUND;
  bool attached = e->conn != NET_NONE && loop->conns[e->conn].kind == CONN_ATTACHED;
  if (!attached && !remove) return FIXGW_ENOTFOUND;
  loop->busy++;
  fixgw__net_clock(loop);
  if (remove) e->disabled = true; /* no reconnect is planned by the close */
  bool initiator = e->initiator;
  if (e->conn != NET_NONE) close_any(loop, &loop->conns[e->conn], why);
  /* An acceptor session was forgotten by the close already. */
  if (remove && (initiator || !attached)) fixgw__net_sess_free(loop, e);
  loop->next_deadline = 0;
  loop->busy--;
  return 0;
}

int fixgw_loop_wake_session(fixgw_loop_t *loop, fixgw_session_t *s) {
  if (!loop || !s) return FIXGW_EINVAL;
  net_sess_t *e = fixgw__net_sess_find(loop, s);
  if (!e) return FIXGW_ENOTFOUND;
  if (e->conn != NET_NONE && loop->conns[e->conn].kind == CONN_ATTACHED)
    fixgw__net_wake_conn(loop, &loop->conns[e->conn]);
  return 0;
}

int fixgw_loop_drop(fixgw_loop_t *loop, fixgw_session_t *s, fixgw_disconnect_reason why) {
  return drop_or_remove(loop, s, why, false);
}

int fixgw_loop_remove(fixgw_loop_t *loop, fixgw_session_t *s) {
  return drop_or_remove(loop, s, FIXGW_DR_HOST, true);
}

/* The attached connection of s, or NULL. */
static net_conn_t *attached_conn(fixgw_loop_t *loop, const fixgw_session_t *s) {
  net_sess_t *e = fixgw__net_sess_find(loop, s);
  if (!e || e->conn == NET_NONE) return NULL;
  net_conn_t *c = &loop->conns[e->conn];
  return c->kind == CONN_ATTACHED ? c : NULL;
}

int fixgw_loop_flush(fixgw_loop_t *loop, fixgw_session_t *s) {
  if (!loop || !s) return FIXGW_EINVAL;
  if (loop->busy) return FIXGW_EBUSY;
  net_conn_t *c = attached_conn(loop, s);
  if (!c) return FIXGW_ENOTFOUND;
  loop->busy++;
  fixgw__net_clock(loop);
  if (conn_flush(loop, c)) conn_settle(loop, c);
  loop->busy--;
  return 0;
}

int fixgw_loop_hold_input(fixgw_loop_t *loop, fixgw_session_t *s, bool hold) {
  if (!loop || !s) return FIXGW_EINVAL;
  net_conn_t *c = attached_conn(loop, s);
  if (!c) return FIXGW_ENOTFOUND;
  if (c->held == hold) return 0;
  c->held = hold;
  /* Released: the next pass lifts a pause, feeds what waits and watches
   * EPOLLIN again. Held: the next settle drops EPOLLIN (from a callback
   * the connection is settled right after it anyway). */
  loop->immediate = true;
  loop->next_deadline = 0;
  return 0;
}
