/* Driving libfixgw sessions from your own event loop, with nothing but
 * the sans-IO session API: this program owns the sockets, the epoll set
 * and the clock; the sessions own FIX. An acceptor and an initiator in one
 * process over 127.0.0.1: logon, N orders each answered by an execution
 * report, logout. Usage: fixgw-own-loop [orders]   (exit 0 when all were
 * acknowledged). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fixgw.h>

static fixgw_now_t clock_now(void) {
  struct timespec m, r;
  clock_gettime(CLOCK_MONOTONIC, &m);
  clock_gettime(CLOCK_REALTIME, &r);
  return (fixgw_now_t){(uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec,
                       (int64_t)r.tv_sec * 1000000000 + r.tv_nsec};
}

typedef struct conn {
  int fd;
  fixgw_session_t *s;
  fixgw_store_t store;
  const char *name;
} conn_t;

static unsigned long acks, orders;

/* The acceptor's application: an ExecutionReport for each order, sent
 * from inside the handler (the session only queues it). */
static int on_order(fixgw_session_t *s, const fixgw_msg_t *m, void *user) {
  (void)user;
  const fixgw_field_t *id = fixgw_msg_find(m, 11);
  fixgw_encoder_t *e;
  if (!id || fixgw_session_send_begin(s, "8", NULL, clock_now(), &e)) return FIXGW_CB_OK;
  fixgw_enc_cstr(e, 6, "0");
  fixgw_enc_str(e, 11, id->val, id->len);
  fixgw_enc_cstr(e, 14, "0");
  fixgw_enc_cstr(e, 17, "E1");
  fixgw_enc_char(e, 39, '0');
  fixgw_enc_char(e, 150, '0');
  fixgw_session_send_commit(s, NULL);
  return FIXGW_CB_OK;
}

static int on_report(fixgw_session_t *s, const fixgw_msg_t *m, void *user) {
  (void)s, (void)m, (void)user;
  acks++;
  return FIXGW_CB_OK;
}

static void on_log(fixgw_session_t *s, fixgw_log_level lv, const char *line, void *user) {
  (void)s;
  if (lv >= FIXGW_LOG_INFO) printf("  [%s] %s\n", ((conn_t *)user)->name, line);
}

static int make_session(conn_t *c, fixgw_session_role role, const char *me, const char *peer) {
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  mc.now_utc_ns = clock_now().utc_ns;
  if (fixgw_mem_store_create(&mc, &c->store)) return -1;
  fixgw_session_config_t cfg;
  fixgw_session_config_default(&cfg);
  cfg.role = role;
  cfg.id.version = FIXGW_V_FIX44;
  snprintf(cfg.id.sender_comp_id, sizeof cfg.id.sender_comp_id, "%s", me);
  snprintf(cfg.id.target_comp_id, sizeof cfg.id.target_comp_id, "%s", peer);
  cfg.store = c->store;
  fixgw_session_callbacks_t cb = {.size = sizeof cb, .on_log = on_log};
  if (fixgw_session_create(&cfg, &cb, c, &c->s)) return -1;
  return fixgw_session_on(c->s, role == FIXGW_ACCEPTOR ? "D" : "8",
                          role == FIXGW_ACCEPTOR ? on_order : on_report);
}

/* Read until the socket would block (the drain rule: edge or level, a
 * read that stops early leaves bytes epoll may not report again). */
static void do_read(conn_t *c) {
  for (;;) {
    char *p;
    size_t cap;
    fixgw_session_recv_buf(c->s, &p, &cap);
    if (!cap) return; /* paused or back-pressured: written() resumes it */
    ssize_t n = read(c->fd, p, cap);
    if (n > 0) {
      fixgw_session_recv_commit(c->s, (size_t)n, clock_now());
    } else if (n == 0) {
      fixgw_session_recv_eof(c->s, clock_now());
      return;
    } else {
      if (errno != EAGAIN && errno != EINTR)
        fixgw_session_disconnected(c->s, FIXGW_DR_IO_ERROR, clock_now());
      return;
    }
  }
}

/* Write what is pending; a partial write is fine, the rest stays. */
static void do_write(conn_t *c) {
  const char *p;
  size_t n;
  while (fixgw_session_pending(c->s, &p, &n) == 0 && n) {
    ssize_t w = write(c->fd, p, n);
    if (w <= 0) return;
    fixgw_session_written(c->s, (size_t)w, clock_now());
  }
}

static void rearm(int ep, conn_t *c) {
  struct epoll_event ev = {.events = EPOLLIN | (fixgw_session_want_write(c->s) ? EPOLLOUT : 0),
                           .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int loopback_pair(int fds[2]) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
      getsockname(l, (struct sockaddr *)&a, &al))
    return -1;
  fds[0] = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fds[0], (struct sockaddr *)&a, sizeof a)) return -1;
  fds[1] = accept(l, NULL, NULL);
  close(l);
  int one = 1;
  for (int i = 0; i < 2; i++) {
    setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fds[i] < 0 || fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK)) return -1;
  }
  return 0;
}

static bool closed(const conn_t *c) {
  return !fixgw_session_want_read(c->s) && !fixgw_session_want_write(c->s);
}

int main(int argc, char **argv) {
  unsigned long want = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
  conn_t c[2] = {{.name = "initiator"}, {.name = "acceptor"}};
  int fds[2];
  if (make_session(&c[0], FIXGW_INITIATOR, "CLIENT", "SERVER") ||
      make_session(&c[1], FIXGW_ACCEPTOR, "SERVER", "CLIENT") || loopback_pair(fds)) {
    perror("setup");
    return 1;
  }
  int ep = epoll_create1(0);
  for (int i = 0; i < 2; i++) {
    c[i].fd = fds[i];
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
  }
  fixgw_session_connected(c[1].s, clock_now());
  fixgw_session_connected(c[0].s, clock_now()); /* queues the Logon */
  bool logout_sent = false;
  fixgw_now_t start = clock_now();
  while (!(closed(&c[0]) && closed(&c[1]))) {
    fixgw_now_t now = clock_now();
    if (now.mono_ns - start.mono_ns > 30000000000ull) {
      fprintf(stderr, "timed out\n");
      break;
    }
    /* The application: one order in flight, then a logout. */
    if (fixgw_session_is_logged_on(c[0].s) && orders == acks && orders < want) {
      fixgw_encoder_t *e;
      if (fixgw_session_send_begin(c[0].s, "D", NULL, now, &e) == 0) {
        char id[24];
        snprintf(id, sizeof id, "O%lu", orders);
        fixgw_enc_cstr(e, 11, id);
        fixgw_enc_cstr(e, 55, "MSFT");
        fixgw_enc_char(e, 54, '1');
        fixgw_enc_timestamp(e, 60, now.utc_ns, FIXGW_TS_MILLIS);
        fixgw_enc_decimal(e, 38, (fixgw_decimal_t){100, 0});
        fixgw_enc_char(e, 40, '1');
        if (fixgw_session_send_commit(c[0].s, NULL) == 0) orders++;
      }
    } else if (acks == want && !logout_sent) {
      fixgw_session_logout(c[0].s, "done", now);
      logout_sent = true;
    }
    int timeout = 1000;
    for (int i = 0; i < 2; i++) {
      do_write(&c[i]);
      rearm(ep, &c[i]);
      uint64_t d = fixgw_session_next_deadline(c[i].s);
      if (d != UINT64_MAX) {
        int64_t ms = d > now.mono_ns ? (int64_t)((d - now.mono_ns) / 1000000) + 1 : 0;
        if (ms < timeout) timeout = (int)ms;
      }
    }
    struct epoll_event evs[4];
    int n = epoll_wait(ep, evs, 4, timeout);
    for (int k = 0; k < n; k++) {
      conn_t *x = evs[k].data.ptr;
      if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) do_read(x);
      if (evs[k].events & EPOLLOUT) do_write(x);
    }
    now = clock_now();
    for (int i = 0; i < 2; i++)
      if (fixgw_session_next_deadline(c[i].s) <= now.mono_ns) fixgw_session_on_timer(c[i].s, now);
  }
  for (int i = 0; i < 2; i++) {
    printf("%s: %s, next sender %llu, next target %llu\n", c[i].name,
           fixgw_session_state_name(fixgw_session_state_get(c[i].s)),
           (unsigned long long)fixgw_session_next_sender_seq(c[i].s),
           (unsigned long long)fixgw_session_next_target_seq(c[i].s));
    fixgw_session_disconnected(c[i].s, FIXGW_DR_LOGOUT, clock_now());
    close(c[i].fd);
    fixgw_session_destroy(c[i].s);
    fixgw_store_destroy(&c[i].store);
  }
  close(ep);
  printf("RESULT orders=%lu acked=%lu\n", orders, acks);
  return acks == want ? 0 : 1;
}
