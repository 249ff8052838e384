/* tcp_pingpong: the floor under the end-to-end benchmark. Two processes
 * over 127.0.0.1 exchange the bytes a FIX round trip carries (a FIX 4.4
 * NewOrderSingle out, an ExecutionReport back, of the sizes fixgw-client
 * and fixgw-executor put on the wire) with no FIX engine at all: just
 * send(), recv() and counting bytes.
 *
 *   tcp_pingpong server [--port N] [--busy-poll]
 *       prints `READY port=N`; answers every request of REQ bytes with a
 *       reply of REP bytes until the client closes; SIGTERM ends it.
 *   tcp_pingpong client --port N --orders N [--window W] [--busy-poll]
 *       W requests in flight (default 1), each timed from its send() to
 *       the last byte of its reply; prints the line fixgw-client prints:
 *       RESULT orders=N acked=M min_us=.. p50_us=.. p99_us=.. p999_us=.. max_us=.. orders_per_s=..
 *
 * Percentiles are exact nearest ranks over the sorted latencies. Blocking
 * by default; --busy-poll spins on non-blocking recv(). TCP_NODELAY on. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A FIX 4.4 NewOrderSingle and ExecutionReport as fixgw-client and
 * fixgw-executor send them (same fields, same lengths to a byte or two). */
static const char REQ[] =
    "8=FIX.4.4\x01" "9=134\x01" "35=D\x01" "34=10234\x01" "49=CLIENT\x01"
    "52=20250101-12:00:00.000\x01" "56=SERVER\x01" "11=6789abcd1234-10231\x01" "21=1\x01"
    "38=100\x01" "40=2\x01" "44=10.25\x01" "54=1\x01" "55=FIXGW\x01"
    "60=20250101-12:00:00.000\x01" "10=123\x01";
static const char REP[] =
    "8=FIX.4.4\x01" "9=187\x01" "35=8\x01" "34=10234\x01" "49=SERVER\x01"
    "52=20250101-12:00:00.000\x01" "56=CLIENT\x01" "6=0\x01" "11=6789abcd1234-10231\x01"
    "14=0\x01" "17=E6789abcd1234-10231\x01" "37=O6789abcd1234-10231\x01" "38=100\x01"
    "39=0\x01" "54=1\x01" "55=FIXGW\x01" "150=0\x01" "151=100\x01" "10=123\x01";
#define REQ_LEN (sizeof REQ - 1)
#define REP_LEN (sizeof REP - 1)

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int busy;

static ssize_t rd(int fd, char *buf, size_t n) {
  for (;;) {
    ssize_t r = recv(fd, buf, n, busy ? MSG_DONTWAIT : 0);
    if (r >= 0) return r;
    if (errno == EINTR || (busy && (errno == EAGAIN || errno == EWOULDBLOCK))) continue;
    return -1;
  }
}

static int wr_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int server(int port) {
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  socklen_t al = sizeof a;
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 16) ||
      getsockname(ls, (struct sockaddr *)&a, &al)) {
    perror("tcp_pingpong: listen");
    return 1;
  }
  printf("READY port=%u\n", ntohs(a.sin_port));
  fflush(stdout);
  static char in[1 << 16], out[1 << 16];
  for (;;) { /* one client at a time, until SIGTERM */
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    nodelay(fd);
    size_t have = 0;
    for (;;) {
      ssize_t r = rd(fd, in + have, sizeof in - have);
      if (r <= 0) break;
      have += (size_t)r;
      size_t k = have / REQ_LEN, n = 0;
      for (size_t i = 0; i < k && n + REP_LEN <= sizeof out; i++, n += REP_LEN)
        memcpy(out + n, REP, REP_LEN);
      have -= (n / REP_LEN) * REQ_LEN;
      memmove(in, in + (n / REP_LEN) * REQ_LEN, have);
      if (n && wr_all(fd, out, n)) break;
    }
    close(fd);
  }
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static double pct_us(const uint64_t *s, size_t n, unsigned pm) {
  size_t rank = (n * pm + 999) / 1000;
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return (double)s[rank - 1] / 1000.0;
}

static int client(int port, size_t orders, size_t window) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
    perror("tcp_pingpong: connect");
    return 1;
  }
  nodelay(fd);
  uint64_t *sent = calloc(orders, sizeof *sent), *lat = calloc(orders, sizeof *lat);
  static char out[1 << 20], in[1 << 16];
  if (!sent || !lat || window * REQ_LEN > sizeof out) return 1;
  size_t next = 0, done = 0, have = 0;
  uint64_t t0 = now_ns(), last = t0;
  while (done < orders) {
    size_t n = 0;
    uint64_t t = now_ns();
    while (next < orders && next - done < window) {
      memcpy(out + n, REQ, REQ_LEN);
      n += REQ_LEN;
      sent[next++] = t;
    }
    if (n && wr_all(fd, out, n)) return 1;
    ssize_t r = rd(fd, in + have, sizeof in - have);
    if (r <= 0) {
      fprintf(stderr, "tcp_pingpong: server closed after %zu replies\n", done);
      break;
    }
    t = now_ns();
    have += (size_t)r;
    while (have >= REP_LEN) {
      lat[done] = t - sent[done];
      done++;
      have -= REP_LEN;
    }
    last = t;
  }
  close(fd);
  qsort(lat, done, sizeof *lat, cmp_u64);
  double per_s = done && last > t0 ? (double)done * 1e9 / (double)(last - t0) : 0;
  printf("RESULT orders=%zu acked=%zu min_us=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f "
         "max_us=%.1f orders_per_s=%.0f\n",
         orders, done, done ? (double)lat[0] / 1000.0 : 0.0, done ? pct_us(lat, done, 500) : 0,
         done ? pct_us(lat, done, 990) : 0, done ? pct_us(lat, done, 999) : 0,
         done ? (double)lat[done - 1] / 1000.0 : 0.0, per_s);
  free(sent);
  free(lat);
  return done == orders ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
    fprintf(stderr, "usage: tcp_pingpong server [--port N] [--busy-poll]\n"
                    "       tcp_pingpong client --port N --orders N [--window W] [--busy-poll]\n");
    return 2;
  }
  long port = 0, orders = 0, window = 1;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--busy-poll")) busy = 1;
    else if (i + 1 < argc && !strcmp(argv[i], "--port")) port = atol(argv[++i]);
    else if (i + 1 < argc && !strcmp(argv[i], "--orders")) orders = atol(argv[++i]);
    else if (i + 1 < argc && !strcmp(argv[i], "--window")) window = atol(argv[++i]);
    else {
      fprintf(stderr, "tcp_pingpong: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  if (!strcmp(argv[1], "server")) return server((int)port);
  if (port <= 0 || orders <= 0 || window <= 0 || window > 4096) {
    fprintf(stderr, "tcp_pingpong: client needs --port, --orders >= 1, --window 1..4096\n");
    return 2;
  }
  return client((int)port, (size_t)orders, (size_t)window);
}
