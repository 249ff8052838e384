/* Live metrics: the loop's and its sessions' counters as Prometheus text,
 * and a small HTTP/1.x endpoint that serves them from the loop's own turn.
 * The endpoint is deliberately minimal: one request per connection, the
 * answer rendered whole into one buffer, then written as the socket takes
 * it. A scraper gets a consistent cut, because the sessions are driven by
 * the same thread that renders. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_internal.h"

#define REQ_MAX 4096
#define CLIENTS_MAX 64

typedef struct mclient {
  int fd; /* -1: free */
  uint32_t gen;
  bool writing;
  bool lingering; /* answer sent: reading until the peer closes */
  uint32_t req_len;
  uint64_t deadline;
  char *resp; /* while writing: the whole answer */
  size_t resp_len, resp_off;
  char req[REQ_MAX];
} mclient_t;

typedef struct net_metrics {
  int fd;
  uint16_t port;
  fixgw_net_metrics_opts_t opts;
  fixgw_net_metrics_stats_t stats;
  char name[64];
  mclient_t clients[]; /* opts.max_clients */
} net_metrics_t;

void fixgw_net_metrics_opts_default(fixgw_net_metrics_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
  o->max_clients = 4;
  o->timeout_ms = 5000;
  o->max_response = (size_t)64 << 20;
  o->loop_sessions = true;
}

/* ------------------------------------------------------------ rendering */

/* X(field, exported name, help) of fixgw_session_stats_t's counters. */
#define SESSION_COUNTERS(X)                                                              \
  X(msgs_in, "fixgw_session_messages_received_total", "Messages received")              \
  X(msgs_out, "fixgw_session_messages_sent_total", "Messages written (resends included)") \
  X(bytes_in, "fixgw_session_bytes_received_total", "Bytes received")                   \
  X(bytes_out, "fixgw_session_bytes_sent_total", "Bytes written")                       \
  X(app_in, "fixgw_session_app_messages_received_total", "Application messages received") \
  X(app_out, "fixgw_session_app_messages_sent_total", "Application messages sent")      \
  X(resent, "fixgw_session_resent_total", "Messages retransmitted")                     \
  X(gap_fills_sent, "fixgw_session_gap_fills_sent_total", "SequenceReset-GapFill sent") \
  X(resend_requests_sent, "fixgw_session_resend_requests_sent_total",                   \
    "ResendRequests sent (gaps detected)")                                              \
  X(resend_requests_received, "fixgw_session_resend_requests_received_total",           \
    "ResendRequests received")                                                          \
  X(rejects_sent, "fixgw_session_rejects_sent_total", "Rejects sent")                   \
  X(rejects_received, "fixgw_session_rejects_received_total", "Rejects received")       \
  X(garbled, "fixgw_session_garbled_total", "Inbound frames dropped: bad frame or checksum") \
  X(duplicates, "fixgw_session_duplicates_total", "PossDup duplicates ignored")         \
  X(queued, "fixgw_session_queued_total", "Messages stashed during a gap")              \
  X(queue_dropped, "fixgw_session_queue_dropped_total", "Stash full: re-requested later") \
  X(logons, "fixgw_session_logons_total", "Logons completed")                           \
  X(disconnects, "fixgw_session_disconnects_total", "Connections ended")                \
  X(backpressured, "fixgw_session_backpressured_total", "Times input stopped for output")

static const char *const SESSION_LABEL[1] = {"session"};
static const char *const TYPE_LABELS[2] = {"session", "msgtype"};

int fixgw_net_metrics_sessions(fixgw_prom_t *w, fixgw_session_t *const *ss, size_t n) {
  if (!w || (n && !ss)) return FIXGW_EINVAL;
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++)
    if (!ss[i]) return FIXGW_EINVAL;
  char name[160];
  const char *v[2] = {name, NULL};
  /* The names are ours and valid: the writer's only error is its sticky
   * ENOSPC, returned at the end. */
#define SESSION_FAMILY(field, exported, help)                                  \
  fixgw_prom_family(w, exported, "counter", help);                             \
  for (size_t i = 0; i < n; i++) {                                             \
    fixgw__net_session_name(ss[i], name, sizeof name);                         \
    fixgw_prom_sample(w, exported, SESSION_LABEL, v, 1, fixgw_session_stats(ss[i])->field); \
  }
  SESSION_COUNTERS(SESSION_FAMILY)
#undef SESSION_FAMILY
  static const char *const by_type[2][3] = {
      {"fixgw_session_messages_received_by_type_total", "Messages received by MsgType", "in"},
      {"fixgw_session_messages_sent_by_type_total", "Messages written by MsgType", "out"}};
  for (int d = 0; d < 2; d++) {
    fixgw_prom_family(w, by_type[d][0], "counter", by_type[d][1]);
    for (size_t i = 0; i < n; i++) {
      fixgw__net_session_name(ss[i], name, sizeof name);
      const fixgw_session_stats_t *st = fixgw_session_stats(ss[i]);
      const uint64_t *c = d ? st->out_by_type : st->in_by_type;
      for (unsigned k = 0; k < FIXGW_MSGTYPE_SLOTS; k++) {
        v[1] = fixgw_session_msgtype_slot_name(k);
        fixgw_prom_sample(w, by_type[d][0], TYPE_LABELS, v, 2, c[k]);
      }
    }
  }
  static const char *const gauges[4][2] = {
      {"fixgw_session_next_sender_seq", "MsgSeqNum of the next message sent"},
      {"fixgw_session_next_target_seq", "MsgSeqNum expected next"},
      {"fixgw_session_logged_on", "1 while logged on"},
      {"fixgw_session_state", "0 disconnected, 1 awaiting Logon, 2 Logon sent, 3 active, "
                              "4 Logout sent, 5 closing, 6 fatal"}};
  for (int g = 0; g < 4; g++) {
    fixgw_prom_family(w, gauges[g][0], "gauge", gauges[g][1]);
    for (size_t i = 0; i < n; i++) {
      fixgw__net_session_name(ss[i], name, sizeof name);
      uint64_t val = g == 0   ? fixgw_session_next_sender_seq(ss[i])
                     : g == 1 ? fixgw_session_next_target_seq(ss[i])
                     : g == 2 ? (uint64_t)fixgw_session_is_logged_on(ss[i])
                              : (uint64_t)fixgw_session_state_get(ss[i]);
      fixgw_prom_sample(w, gauges[g][0], SESSION_LABEL, v, 1, val);
    }
  }
  return w->err;
}

static void loop_families(fixgw_loop_t *loop, fixgw_prom_t *w) {
  const fixgw_loop_stats_t *st = &loop->stats;
  const struct {
    const char *name, *type, *help;
    uint64_t v;
  } f[] = {
      {"fixgw_loop_accepted_total", "counter", "Connections accepted", st->accepted},
      {"fixgw_loop_refused_total", "counter", "Accepted connections refused", st->refused},
      {"fixgw_loop_routed_total", "counter", "Accepted connections attached to a session",
       st->routed},
      {"fixgw_loop_connects_total", "counter", "Outgoing connect attempts", st->connects},
      {"fixgw_loop_connect_failures_total", "counter", "Connect attempts that failed",
       st->connect_failures},
      {"fixgw_loop_reconnects_total", "counter", "Reconnect attempts", st->reconnects},
      {"fixgw_loop_bytes_received_total", "counter", "Bytes read from sockets", st->bytes_in},
      {"fixgw_loop_bytes_sent_total", "counter", "Bytes written to sockets", st->bytes_out},
      {"fixgw_loop_closed_total", "counter", "Attached connections closed", st->closed},
      {"fixgw_loop_wakeups_total", "counter", "epoll waits that returned events", st->wakeups},
      {"fixgw_loop_connections", "gauge", "Sockets open (listeners not counted)",
       st->connections},
      {"fixgw_loop_attached", "gauge", "Connections attached to a session", st->attached},
      {"fixgw_loop_sessions", "gauge", "Sessions driven", st->sessions},
  };
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    fixgw_prom_family(w, f[i].name, f[i].type, f[i].help);
    fixgw_prom_sample(w, f[i].name, NULL, NULL, 0, f[i].v);
  }
}

static int render(fixgw_loop_t *loop, const fixgw_net_metrics_opts_t *o, fixgw_prom_t *w) {
  loop_families(loop, w);
  if (o->loop_sessions && loop->nslive) {
    /* One list, so that each family's header is written once. */
    fixgw_session_t *few[64], **all = few;
    if (loop->nslive > 64) {
      all = fixgw__alloc(loop->cfg.allocator, loop->nslive * sizeof *all);
      if (!all) return FIXGW_ENOMEM;
    }
    for (uint32_t i = 0; i < loop->nslive; i++) all[i] = loop->sess[loop->slive[i]].s;
    fixgw_net_metrics_sessions(w, all, loop->nslive);
    if (all != few) fixgw__free(loop->cfg.allocator, all);
  }
  if (o->on_render) o->on_render(loop, w, o->user);
  return w->err;
}

int fixgw_net_metrics_render(fixgw_loop_t *loop, fixgw_prom_t *w) {
  if (!loop || !w) return FIXGW_EINVAL;
  fixgw_net_metrics_opts_t def;
  const fixgw_net_metrics_opts_t *o = &def;
  if (loop->metrics) o = &loop->metrics->opts;
  else fixgw_net_metrics_opts_default(&def);
  return render(loop, o, w);
}

/* ------------------------------------------------------------ endpoint */

static int watch(fixgw_loop_t *loop, int op, int fd, uint32_t events, uint32_t idx, uint32_t gen) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = NET_TAG(TAG_METRICS, gen, idx);
  return epoll_ctl(loop->epfd, op, fd, &ev);
}

static void client_close(fixgw_loop_t *loop, mclient_t *c) {
  if (c->fd < 0) return;
  close(c->fd); /* also leaves the epoll set */
  c->fd = -1;
  fixgw__free(loop->cfg.allocator, c->resp);
  c->resp = NULL;
  c->writing = false;
  c->lingering = false;
}

/* Write what the socket takes; close when all is out or on an error. */
static void client_write(fixgw_loop_t *loop, net_metrics_t *m, mclient_t *c) {
  while (c->resp_off < c->resp_len) {
    ssize_t w = send(c->fd, c->resp + c->resp_off, c->resp_len - c->resp_off, MSG_NOSIGNAL);
    if (w > 0) {
      c->resp_off += (size_t)w;
      m->stats.bytes_out += (uint64_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (watch(loop, EPOLL_CTL_MOD, c->fd, EPOLLOUT, (uint32_t)(c - m->clients), c->gen))
        client_close(loop, c);
      return;
    }
    client_close(loop, c);
    return;
  }
  /* Closing with unread input would reset the connection, and the peer
   * could lose the answer: half-close, then read until it closes too (or
   * the deadline passes). */
  shutdown(c->fd, SHUT_WR);
  c->writing = false;
  c->lingering = true;
  fixgw__free(loop->cfg.allocator, c->resp);
  c->resp = NULL;
  if (watch(loop, EPOLL_CTL_MOD, c->fd, EPOLLIN, (uint32_t)(c - m->clients), c->gen))
    client_close(loop, c);
}

static void client_drain(fixgw_loop_t *loop, mclient_t *c) {
  char sink[1024];
  for (int budget = 0; budget < 64; budget++) {
    ssize_t r = recv(c->fd, sink, sizeof sink, 0);
    if (r > 0) continue;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    break;
  }
  client_close(loop, c);
}

static const char *status_text(int code) {
  switch (code) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 431: return "Request Header Fields Too Large";
  default: return "Internal Server Error";
  }
}

/* Render (200) or explain (an error code) into c->resp, then write. */
static void client_answer(fixgw_loop_t *loop, net_metrics_t *m, mclient_t *c, int code,
                          bool head, const char *why) {
  const fixgw_allocator_t *a = loop->cfg.allocator;
  char hdr[256];
  size_t body_len = 0;
  char *buf = NULL;
  if (code == 200) {
    /* Measure, then render for real: the loop's thread is the only writer
     * of what is rendered, so the two passes agree. */
    fixgw_prom_t w;
    fixgw_prom_init(&w, NULL, 0);
    int rc = render(loop, &m->opts, &w);
    if (rc && rc != FIXGW_ENOSPC) {
      code = 500;
      why = "rendering failed";
    } else if (w.len > m->opts.max_response) {
      code = 500;
      why = "metrics larger than max_response";
    } else {
      body_len = w.len;
      buf = fixgw__alloc(a, sizeof hdr + body_len + 1);
      if (!buf) {
        code = 500;
        why = "out of memory";
      } else {
        fixgw_prom_init(&w, buf + sizeof hdr, body_len + 1);
        render(loop, &m->opts, &w);
        if (fixgw_prom_finish(&w, NULL) != 0) {
          code = 500;
          why = "metrics changed while rendering";
        }
      }
    }
  }
  if (code != 200) {
    fixgw__free(a, buf);
    body_len = strlen(why) + 1;
    buf = fixgw__alloc(a, sizeof hdr + body_len + 1);
    if (!buf) {
      client_close(loop, c);
      return;
    }
    memcpy(buf + sizeof hdr, why, body_len - 1);
    buf[sizeof hdr + body_len - 1] = '\n';
    m->stats.rejected++;
  } else {
    m->stats.served++;
  }
  int hl = snprintf(hdr, sizeof hdr,
                    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                    "Connection: close\r\n\r\n",
                    code, status_text(code),
                    code == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain",
                    body_len, code == 405 ? "Allow: GET, HEAD\r\n" : "");
  /* The header goes just before the body, in the room left for it. */
  char *start = buf + sizeof hdr - (size_t)hl;
  memcpy(start, hdr, (size_t)hl);
  c->resp = buf;
  c->resp_off = (size_t)(start - buf);
  c->resp_len = c->resp_off + (size_t)hl + (head ? 0 : body_len);
  c->writing = true;
  client_write(loop, m, c);
}

/* A whole request head is in c->req (req_len bytes, ends in a blank line). */
static void client_request(fixgw_loop_t *loop, net_metrics_t *m, mclient_t *c) {
  char *line_end = memchr(c->req, '\n', c->req_len);
  size_t ll = (size_t)(line_end - c->req);
  if (ll && c->req[ll - 1] == '\r') ll--;
  /* METHOD SP TARGET SP HTTP/1.x */
  char *sp1 = memchr(c->req, ' ', ll);
  char *sp2 = sp1 ? memchr(sp1 + 1, ' ', ll - (size_t)(sp1 + 1 - c->req)) : NULL;
  if (!sp1 || !sp2 || sp2 == sp1 + 1 || ll - (size_t)(sp2 + 1 - c->req) != 8 ||
      memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
    client_answer(loop, m, c, 400, false, "malformed request line");
    return;
  }
  size_t ml = (size_t)(sp1 - c->req), tl = (size_t)(sp2 - sp1 - 1);
  const char *target = sp1 + 1;
  bool get = ml == 3 && memcmp(c->req, "GET", 3) == 0;
  bool head = ml == 4 && memcmp(c->req, "HEAD", 4) == 0;
  /* The path without a query string. */
  const char *q = memchr(target, '?', tl);
  size_t pl = q ? (size_t)(q - target) : tl;
  if (!(pl == 8 && memcmp(target, "/metrics", 8) == 0)) {
    client_answer(loop, m, c, 404, head, "only /metrics is served");
    return;
  }
  if (!get && !head) {
    client_answer(loop, m, c, 405, false, "only GET and HEAD");
    return;
  }
  client_answer(loop, m, c, 200, head, NULL);
}

static bool head_complete(const char *p, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (p[i] == '\n' && (p[i - 1] == '\n' || (i >= 2 && p[i - 1] == '\r' && p[i - 2] == '\n')))
      return true;
  return false;
}

static void client_read(fixgw_loop_t *loop, net_metrics_t *m, mclient_t *c) {
  for (;;) {
    if (c->req_len == REQ_MAX) {
      client_answer(loop, m, c, 431, false, "request head over 4 KiB");
      return;
    }
    ssize_t r = recv(c->fd, c->req + c->req_len, REQ_MAX - c->req_len, 0);
    if (r > 0) {
      c->req_len += (uint32_t)r;
      if (head_complete(c->req, c->req_len)) {
        /* Stop reading: nothing after the head is looked at. */
        if (watch(loop, EPOLL_CTL_MOD, c->fd, 0, (uint32_t)(c - m->clients), c->gen)) {
          client_close(loop, c);
          return;
        }
        client_request(loop, m, c);
        return;
      }
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    client_close(loop, c); /* end of stream before a whole request, or an error */
    return;
  }
}

static void accept_clients(fixgw_loop_t *loop, net_metrics_t *m) {
  for (int budget = 0; budget < 16; budget++) {
    int fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
        fixgw__net_log(loop, FIXGW_LOG_WARN, "metrics %s: accept: %s", m->name, strerror(errno));
      return;
    }
    mclient_t *c = NULL;
    for (uint32_t i = 0; i < m->opts.max_clients; i++)
      if (m->clients[i].fd < 0) {
        c = &m->clients[i];
        break;
      }
    if (!c) {
      m->stats.refused++;
      close(fd);
      continue;
    }
    c->fd = fd;
    c->gen++;
    c->req_len = 0;
    c->writing = false;
    c->lingering = false;
    c->resp = NULL;
    c->deadline = loop->now.mono_ns + (uint64_t)m->opts.timeout_ms * 1000000u;
    if (watch(loop, EPOLL_CTL_ADD, fd, EPOLLIN, (uint32_t)(c - m->clients), c->gen)) {
      fixgw__net_log(loop, FIXGW_LOG_WARN, "metrics %s: epoll_ctl: %s", m->name, strerror(errno));
      client_close(loop, c);
      continue;
    }
    fixgw__net_deadline(loop, c->deadline);
  }
}

void fixgw__net_metrics_event(fixgw_loop_t *loop, uint32_t idx, uint32_t gen, uint32_t ev) {
  net_metrics_t *m = loop->metrics;
  if (!m) return;
  if (idx == NET_METRICS_LISTENER) {
    accept_clients(loop, m);
    return;
  }
  if (idx >= m->opts.max_clients) return;
  mclient_t *c = &m->clients[idx];
  if (c->fd < 0 || (c->gen & 0xffffffu) != gen) return; /* stale */
  if (c->lingering) {
    client_drain(loop, c);
  } else if (c->writing) {
    if (ev & (EPOLLERR | EPOLLHUP)) client_close(loop, c);
    else client_write(loop, m, c);
  } else {
    client_read(loop, m, c);
  }
}

void fixgw__net_metrics_pass(fixgw_loop_t *loop) {
  net_metrics_t *m = loop->metrics;
  for (uint32_t i = 0; i < m->opts.max_clients; i++) {
    mclient_t *c = &m->clients[i];
    if (c->fd < 0) continue;
    if (c->deadline <= loop->now.mono_ns) {
      if (!c->lingering) m->stats.timeouts++;
      client_close(loop, c);
    } else {
      fixgw__net_deadline(loop, c->deadline);
    }
  }
}

void fixgw__net_metrics_free(fixgw_loop_t *loop) {
  net_metrics_t *m = loop->metrics;
  if (!m) return;
  for (uint32_t i = 0; i < m->opts.max_clients; i++) client_close(loop, &m->clients[i]);
  close(m->fd);
  fixgw__free(loop->cfg.allocator, m);
  loop->metrics = NULL;
}

int fixgw_net_metrics_listen(fixgw_loop_t *loop, const char *host, uint16_t port,
                             uint16_t *bound_port, const fixgw_net_metrics_opts_t *opts) {
  fixgw_net_metrics_opts_t def;
  if (!opts) {
    fixgw_net_metrics_opts_default(&def);
    opts = &def;
  }
  if (!loop || !host || opts->size < sizeof *opts || opts->max_clients == 0 ||
      opts->max_clients > CLIENTS_MAX || opts->timeout_ms == 0 || opts->max_response == 0)
    return FIXGW_EINVAL;
  if (loop->busy) return FIXGW_EBUSY;
  if (loop->metrics) return FIXGW_ESTATE;
  net_metrics_t *m =
      fixgw__alloc(loop->cfg.allocator, sizeof *m + opts->max_clients * sizeof(mclient_t));
  if (!m) return FIXGW_ENOMEM;
  memset(m, 0, sizeof *m);
  m->opts = *opts;
  for (uint32_t i = 0; i < opts->max_clients; i++) {
    m->clients[i].fd = -1;
    m->clients[i].gen = 0;
    m->clients[i].resp = NULL;
  }
  int rc = fixgw__net_listen_socket(loop, host, port, 16, &m->fd, &m->port, m->name,
                                    sizeof m->name);
  if (rc) {
    fixgw__free(loop->cfg.allocator, m);
    return rc;
  }
  if (watch(loop, EPOLL_CTL_ADD, m->fd, EPOLLIN, NET_METRICS_LISTENER, 0)) {
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "metrics %s: epoll_ctl: %s", m->name, strerror(errno));
    close(m->fd);
    fixgw__free(loop->cfg.allocator, m);
    return FIXGW_ESYS;
  }
  loop->metrics = m;
  if (bound_port) *bound_port = m->port;
  fixgw__net_log(loop, FIXGW_LOG_INFO, "metrics on http://%s/metrics", m->name);
  return 0;
}

int fixgw_net_metrics_stats(const fixgw_loop_t *loop, fixgw_net_metrics_stats_t *out) {
  if (!loop || !out) return FIXGW_EINVAL;
  if (!loop->metrics) return FIXGW_ENOTFOUND;
  *out = loop->metrics->stats;
  return 0;
}
