/* A round trip over a loopback TCP connection, plain beside TLS 1.3 and
 * 1.2 in the same run: a NewOrderSingle-sized message (200 bytes) one way,
 * an ExecutionReport-sized one (220 bytes) back. Both ends are
 * non-blocking sockets on this thread, so a row is the cost of the
 * syscalls plus, for TLS, sealing and opening a record on each side.
 * Certificates are made at start (tests/tls/certs.c).
 *
 *   bench_tls --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
 *             --benchmark_enable_random_interleaving */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "certs.h"
#include "fixgw/tls.h"
#include "fixgw_bench.h"

#define NOS_LEN 200
#define ER_LEN 220
#define SPIN_MAX 100000000u

static test_certs_t C;
static char g_nos[NOS_LEN], g_er[ER_LEN];

static void die(const char *what) {
  perror(what);
  exit(1);
}

/* A connected loopback pair, both ends non-blocking with TCP_NODELAY. */
static void tcp_pair(int *a, int *b) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) || listen(l, 1) ||
      getsockname(l, (struct sockaddr *)&sa, &len))
    die("listen");
  *a = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (connect(*a, (struct sockaddr *)&sa, sizeof sa) && errno != EINPROGRESS) die("connect");
  *b = accept4(l, NULL, NULL, SOCK_NONBLOCK);
  if (*b < 0) die("accept");
  close(l);
  int one = 1;
  setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void send_all(int fd, const char *p, size_t n) {
  for (unsigned spin = 0; n; spin++) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    } else if (w < 0 && errno != EAGAIN) {
      die("send");
    } else if (spin > SPIN_MAX) {
      die("send: stuck");
    }
  }
}

static void recv_all(int fd, char *p, size_t n) {
  for (unsigned spin = 0; n; spin++) {
    ssize_t r = recv(fd, p, n, 0);
    if (r > 0) {
      p += r;
      n -= (size_t)r;
    } else if (r == 0 || errno != EAGAIN) {
      die("recv");
    } else if (spin > SPIN_MAX) {
      die("recv: stuck");
    }
  }
}

static void bm_plain(fixgw_bench_state *bs, void *arg) {
  (void)arg;
  int a, b;
  tcp_pair(&a, &b);
  char buf[ER_LEN];
  while (fixgw_bench_keep_running_batch(bs, 1)) {
    send_all(a, g_nos, NOS_LEN);
    recv_all(b, buf, NOS_LEN);
    send_all(b, g_er, ER_LEN);
    recv_all(a, buf, ER_LEN);
  }
  fixgw_bench_sink(buf);
  close(a);
  close(b);
}

/* ------------------------------------------------------------------ TLS */

static void flush_tls(fixgw_tls_t *t, int fd) {
  const char *p;
  size_t n;
  for (;;) {
    fixgw_tls_out_pending(t, &p, &n);
    if (n == 0) return;
    send_all(fd, p, n);
    fixgw_tls_out_written(t, n);
  }
}

/* Read the socket into t until some ciphertext came (or would block). */
static bool fill_tls(fixgw_tls_t *t, int fd) {
  char *p;
  size_t cap;
  fixgw_tls_in_buf(t, &p, &cap);
  ssize_t r = recv(fd, p, cap, 0);
  if (r > 0) {
    if (fixgw_tls_in_commit(t, (size_t)r)) {
      fprintf(stderr, "tls: %s\n", fixgw_tls_error(t));
      exit(1);
    }
    return true;
  }
  if (r == 0 || errno != EAGAIN) die("recv");
  return false;
}

static void read_tls(fixgw_tls_t *t, int fd, char *buf, size_t n) {
  for (unsigned spin = 0; n; spin++) {
    size_t got = 0;
    int rc = fixgw_tls_read(t, buf, n, &got);
    if (rc == 0) {
      buf += got;
      n -= got;
      continue;
    }
    if (rc != FIXGW_EAGAIN) {
      fprintf(stderr, "tls read: %s\n", fixgw_tls_error(t));
      exit(1);
    }
    fill_tls(t, fd);
    if (spin > SPIN_MAX) die("tls: stuck");
  }
}

static void write_tls(fixgw_tls_t *t, int fd, const char *p, size_t n) {
  while (n) {
    size_t taken = 0;
    if (fixgw_tls_write(t, p, n, &taken)) {
      fprintf(stderr, "tls write: %s\n", fixgw_tls_error(t));
      exit(1);
    }
    p += taken;
    n -= taken;
    flush_tls(t, fd);
  }
}

static fixgw_tls_ctx_t *ctx_for(fixgw_tls_role role, uint16_t v) {
  fixgw_tls_config_t cfg;
  fixgw_tls_config_default(&cfg, role);
  cfg.min_version = cfg.max_version = v;
  if (role == FIXGW_TLS_SERVER) {
    cfg.cert_file = C.server;
    cfg.key_file = C.server_key;
  } else {
    cfg.ca_file = C.ca;
  }
  fixgw_tls_ctx_t *x = NULL;
  char err[256];
  if (fixgw_tls_ctx_create(&cfg, &x, err, sizeof err)) {
    fprintf(stderr, "tls ctx: %s\n", err);
    exit(1);
  }
  return x;
}

static void bm_tls(fixgw_bench_state *bs, void *arg) {
  uint16_t v = (uint16_t)(uintptr_t)arg;
  int a, b;
  tcp_pair(&a, &b);
  fixgw_tls_ctx_t *sc = ctx_for(FIXGW_TLS_SERVER, v), *cc = ctx_for(FIXGW_TLS_CLIENT, v);
  fixgw_tls_t *ct, *st;
  if (fixgw_tls_create(cc, "127.0.0.1", &ct) || fixgw_tls_create(sc, NULL, &st)) exit(1);
  for (unsigned i = 0; !(fixgw_tls_handshake_done(ct) && fixgw_tls_handshake_done(st)); i++) {
    int rc = fixgw_tls_handshake(ct), rs = fixgw_tls_handshake(st);
    if ((rc && rc != FIXGW_EAGAIN) || (rs && rs != FIXGW_EAGAIN) || i > 1000000) {
      fprintf(stderr, "handshake: %s / %s\n", fixgw_tls_error(ct), fixgw_tls_error(st));
      exit(1);
    }
    flush_tls(ct, a);
    flush_tls(st, b);
    fill_tls(st, b);
    fill_tls(ct, a);
  }
  char buf[ER_LEN];
  while (fixgw_bench_keep_running_batch(bs, 1)) {
    write_tls(ct, a, g_nos, NOS_LEN);
    read_tls(st, b, buf, NOS_LEN);
    write_tls(st, b, g_er, ER_LEN);
    read_tls(ct, a, buf, ER_LEN);
  }
  fixgw_bench_label(bs, fixgw_tls_cipher(ct));
  fixgw_bench_sink(buf);
  fixgw_tls_free(ct);
  fixgw_tls_free(st);
  fixgw_tls_ctx_free(sc);
  fixgw_tls_ctx_free(cc);
  close(a);
  close(b);
}

int main(int argc, char **argv) {
  test_certs_make(&C);
  memset(g_nos, 'N', sizeof g_nos);
  memset(g_er, 'E', sizeof g_er);
  fixgw_bench_register("tls_rt/plain_tcp", bm_plain, NULL, NULL, 0, 0);
  fixgw_bench_register("tls_rt/tls13", bm_tls, (void *)(uintptr_t)FIXGW_TLS_1_3, NULL, 0, 0);
  fixgw_bench_register("tls_rt/tls12", bm_tls, (void *)(uintptr_t)FIXGW_TLS_1_2, NULL, 0, 0);
  int rc = fixgw_bench_main(&argc, argv);
  test_certs_remove(&C);
  return rc;
}
