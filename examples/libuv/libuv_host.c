/* Driving libfixgw sessions from a libuv loop, with nothing but the
 * sans-IO session API: the same program as examples/own-loop (an acceptor
 * and an initiator in one process over 127.0.0.1: logon, N orders each
 * answered by an execution report, logout), but the host's loop is libuv.
 *
 *   uv_poll_t per socket  UV_READABLE while the session is open,
 *                         UV_WRITABLE only while want_write();
 *                         read until EAGAIN into recv_buf, write pending
 *                         until EAGAIN
 *   uv_timer_t "timer"    re-armed after every callback to the earliest
 *                         next_deadline() of the two sessions (computed
 *                         from CLOCK_MONOTONIC, the sessions' clock)
 *   uv_check_t            after each I/O phase: the application step (next
 *                         order once the previous one is acknowledged,
 *                         then logout) and the re-arming of the polls
 *   uv_timer_t "guard"    30 s: stops the loop and fails
 *
 * When both sessions want neither read nor write every handle is closed
 * and uv_run returns. Usage: fixgw-libuv-host [orders]   (exit 0 when all
 * were acknowledged). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include <fixgw.h>

static fixgw_now_t clock_now(void) {
  struct timespec m, r;
  clock_gettime(CLOCK_MONOTONIC, &m);
  clock_gettime(CLOCK_REALTIME, &r);
  return (fixgw_now_t){(uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec,
                       (int64_t)r.tv_sec * 1000000000 + r.tv_nsec};
}

typedef struct host host_t;

typedef struct conn {
  int fd;
  fixgw_session_t *s;
  fixgw_store_t store;
  const char *name;
  host_t *h;
  uv_poll_t poll;
  int events; /* what poll is started with; -1: stopped for good */
} conn_t;

struct host {
  uv_loop_t loop;
  conn_t c[2]; /* [0] initiator, [1] acceptor */
  uv_timer_t timer; /* the sessions' deadlines */
  uv_timer_t guard; /* 30 s bound */
  uv_check_t check; /* application step, poll re-arming */
  unsigned long want;
  bool logout_sent;
  bool timed_out;
  bool closing;
};

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

/* Read until the socket would block (libuv's poll is level-triggered, but
 * draining keeps one callback per burst instead of one per recv_buf). */
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
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        fixgw_session_disconnected(c->s, FIXGW_DR_IO_ERROR, clock_now());
      return;
    }
  }
}

/* Write what is pending until the socket would block; a partial write is
 * fine, the rest stays pending and UV_WRITABLE stays armed. */
static void do_write(conn_t *c) {
  const char *p;
  size_t n;
  while (fixgw_session_pending(c->s, &p, &n) == 0 && n) {
    ssize_t w = write(c->fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        fixgw_session_disconnected(c->s, FIXGW_DR_IO_ERROR, clock_now());
      return;
    }
    fixgw_session_written(c->s, (size_t)w, clock_now());
  }
}

static bool closed(const conn_t *c) {
  return !fixgw_session_want_read(c->s) && !fixgw_session_want_write(c->s);
}

static void close_all(host_t *h) {
  if (h->closing) return;
  h->closing = true;
  for (int i = 0; i < 2; i++) uv_close((uv_handle_t *)&h->c[i].poll, NULL);
  uv_close((uv_handle_t *)&h->timer, NULL);
  uv_close((uv_handle_t *)&h->guard, NULL);
  uv_close((uv_handle_t *)&h->check, NULL);
}

static void on_timer(uv_timer_t *t);
static void on_poll(uv_poll_t *p, int status, int events);

/* The one deadline timer: the earliest next_deadline() of the sessions,
 * measured on CLOCK_MONOTONIC (the clock the sessions were given), in
 * whole milliseconds rounded up so it never fires before the deadline. */
static void rearm_timer(host_t *h) {
  uint64_t d = UINT64_MAX;
  for (int i = 0; i < 2; i++) {
    uint64_t x = fixgw_session_next_deadline(h->c[i].s);
    if (x < d) d = x;
  }
  if (d == UINT64_MAX) {
    uv_timer_stop(&h->timer);
    return;
  }
  uint64_t now = clock_now().mono_ns;
  uint64_t ms = d > now ? (d - now + 999999u) / 1000000u : 0;
  uv_update_time(&h->loop); /* timers count from the loop's cached time */
  uv_timer_start(&h->timer, on_timer, ms, 0);
}

/* After every callback: flush output, start/stop the polls from
 * want_read/want_write, re-arm the deadline timer; close every handle
 * once both sessions are done. */
static void after(host_t *h) {
  if (h->closing) return;
  for (int i = 0; i < 2; i++) {
    conn_t *c = &h->c[i];
    if (c->events < 0) continue;
    do_write(c);
    if (closed(c)) {
      uv_poll_stop(&c->poll);
      c->events = -1;
      continue;
    }
    int ev = UV_READABLE | (fixgw_session_want_write(c->s) ? UV_WRITABLE : 0);
    if (ev != c->events) {
      uv_poll_start(&c->poll, ev, on_poll);
      c->events = ev;
    }
  }
  if (h->c[0].events < 0 && h->c[1].events < 0) {
    close_all(h);
    return;
  }
  rearm_timer(h);
}

static void on_poll(uv_poll_t *p, int status, int events) {
  conn_t *c = p->data;
  if (status < 0) {
    fixgw_session_disconnected(c->s, FIXGW_DR_IO_ERROR, clock_now());
  } else {
    if (events & (UV_READABLE | UV_DISCONNECT)) do_read(c);
    if (events & UV_WRITABLE) do_write(c);
  }
  after(c->h);
}

static void on_timer(uv_timer_t *t) {
  host_t *h = t->data;
  fixgw_now_t now = clock_now();
  for (int i = 0; i < 2; i++)
    if (fixgw_session_next_deadline(h->c[i].s) <= now.mono_ns) fixgw_session_on_timer(h->c[i].s, now);
  after(h);
}

static void on_guard(uv_timer_t *t) {
  host_t *h = t->data;
  fprintf(stderr, "timed out\n");
  h->timed_out = true;
  uv_stop(&h->loop);
}

/* The application: one order in flight, then a logout. Runs after each
 * I/O phase, i.e. after the reads that may have brought a Logon or an
 * ExecutionReport. */
static void on_check(uv_check_t *k) {
  host_t *h = k->data;
  fixgw_session_t *s = h->c[0].s;
  fixgw_now_t now = clock_now();
  if (fixgw_session_is_logged_on(s) && orders == acks && orders < h->want) {
    fixgw_encoder_t *e;
    if (fixgw_session_send_begin(s, "D", NULL, now, &e) == 0) {
      char id[24];
      snprintf(id, sizeof id, "O%lu", orders);
      fixgw_enc_cstr(e, 11, id);
      fixgw_enc_cstr(e, 55, "MSFT");
      fixgw_enc_char(e, 54, '1');
      fixgw_enc_timestamp(e, 60, now.utc_ns, FIXGW_TS_MILLIS);
      fixgw_enc_decimal(e, 38, (fixgw_decimal_t){100, 0});
      fixgw_enc_char(e, 40, '1');
      if (fixgw_session_send_commit(s, NULL) == 0) orders++;
    }
  } else if (acks == h->want && !h->logout_sent) {
    fixgw_session_logout(s, "done", now);
    h->logout_sent = true;
  }
  after(h);
}

static int loopback_pair(int fds[2]) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
      getsockname(l, (struct sockaddr *)&a, &al))
    return -1;
  fds[0] = socket(AF_INET, SOCK_STREAM, 0);
  if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, sizeof a)) return -1;
  fds[1] = accept(l, NULL, NULL);
  close(l);
  int one = 1;
  for (int i = 0; i < 2; i++) {
    if (fds[i] < 0 || fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK)) return -1;
    setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return 0;
}

int main(int argc, char **argv) {
  static host_t h; /* handles must not move while the loop runs */
  h.want = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
  h.c[0].name = "initiator";
  h.c[1].name = "acceptor";
  int fds[2];
  if (make_session(&h.c[0], FIXGW_INITIATOR, "CLIENT", "SERVER") ||
      make_session(&h.c[1], FIXGW_ACCEPTOR, "SERVER", "CLIENT") || loopback_pair(fds)) {
    perror("setup");
    return 1;
  }
  int rc = uv_loop_init(&h.loop);
  for (int i = 0; i < 2 && rc == 0; i++) {
    conn_t *c = &h.c[i];
    c->fd = fds[i];
    c->h = &h;
    rc = uv_poll_init(&h.loop, &c->poll, c->fd);
    c->poll.data = c;
    c->events = 0; /* not started yet */
  }
  if (rc == 0) rc = uv_timer_init(&h.loop, &h.timer);
  if (rc == 0) rc = uv_timer_init(&h.loop, &h.guard);
  if (rc == 0) rc = uv_check_init(&h.loop, &h.check);
  if (rc) {
    fprintf(stderr, "libuv: %s\n", uv_strerror(rc));
    return 1;
  }
  h.timer.data = h.guard.data = h.check.data = &h;
  uv_timer_start(&h.guard, on_guard, 30000, 0);
  uv_check_start(&h.check, on_check);

  fixgw_session_connected(h.c[1].s, clock_now());
  fixgw_session_connected(h.c[0].s, clock_now()); /* queues the Logon */
  after(&h); /* writes the Logon, starts the polls and the deadline timer */

  uv_run(&h.loop, UV_RUN_DEFAULT);
  close_all(&h);                   /* after the guard's uv_stop */
  uv_run(&h.loop, UV_RUN_DEFAULT); /* runs the close callbacks */
  int lc = uv_loop_close(&h.loop);

  for (int i = 0; i < 2; i++) {
    conn_t *c = &h.c[i];
    printf("%s: %s, next sender %llu, next target %llu\n", c->name,
           fixgw_session_state_name(fixgw_session_state_get(c->s)),
           (unsigned long long)fixgw_session_next_sender_seq(c->s),
           (unsigned long long)fixgw_session_next_target_seq(c->s));
    fixgw_session_disconnected(c->s, FIXGW_DR_LOGOUT, clock_now());
    close(c->fd);
    fixgw_session_destroy(c->s);
    fixgw_store_destroy(&c->store);
  }
  if (lc) fprintf(stderr, "uv_loop_close: %s\n", uv_strerror(lc));
  printf("RESULT orders=%lu acked=%lu\n", orders, acks);
  return acks == h.want && !h.timed_out && lc == 0 ? 0 : 1;
}
