/* A TCP proxy on 127.0.0.1 that injures the connections it carries, for
 * the fault tests: an initiator connects to it, it connects to the target
 * port and forwards both ways, and, as the options say,
 *   --cut MIN:MAX  closes both sides after a random number of forwarded
 *                  bytes in [MIN, MAX] (anywhere, so mostly inside a
 *                  message), --cuts K times in all (default 3);
 *   --stall-after N --stall-ms T
 *                  stops reading from the target for T ms once N bytes
 *                  have come from it (a consumer that stops reading: the
 *                  target's sends back up in the kernel, then in it);
 *   --garbage-after N
 *                  writes a run of bytes that are not FIX into the stream
 *                  to the target once N bytes have gone to it.
 * Prints `READY port=N` once listening. Ends by itself after --timeout
 * seconds (default 120), or on SIGTERM, printing a PROXY line. One
 * connection at a time; seeded (--seed) so a run repeats. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

static uint64_t rng;
static uint64_t next_rand(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 2685821657736338717ull;
}

static uint64_t mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

/* Write all of p (non-blocking socket, bounded wait); -1 on failure. */
static int write_all(int fd, const char *p, size_t n) {
  uint64_t end = mono_ms() + 5000;
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (mono_ms() > end || stop) return -1;
      struct pollfd pf = {fd, POLLOUT, 0};
      poll(&pf, 1, 50);
      continue;
    }
    return -1;
  }
  return 0;
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end) return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  uint64_t target = 0, seed = 1, cut_min = 0, cut_max = 0, cuts_left = 3, stall_after = 0,
           stall_ms = 0, garbage_after = 0, timeout_s = 120;
  for (int i = 1; i < argc; i += 2) { /* every option takes a value */
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = !v;
    if (!bad && !strcmp(a, "--target")) bad = parse_u64(v, &target) || !target || target > 65535;
    else if (!bad && !strcmp(a, "--seed")) bad = parse_u64(v, &seed);
    else if (!bad && !strcmp(a, "--cut")) {
      const char *colon = strchr(v, ':');
      char lo[32];
      bad = !colon || (size_t)(colon - v) >= sizeof lo;
      if (!bad) {
        memcpy(lo, v, (size_t)(colon - v));
        lo[colon - v] = 0;
        bad = parse_u64(lo, &cut_min) || parse_u64(colon + 1, &cut_max) || !cut_min ||
              cut_max < cut_min;
      }
    } else if (!bad && !strcmp(a, "--cuts")) bad = parse_u64(v, &cuts_left);
    else if (!bad && !strcmp(a, "--stall-after")) bad = parse_u64(v, &stall_after);
    else if (!bad && !strcmp(a, "--stall-ms")) bad = parse_u64(v, &stall_ms);
    else if (!bad && !strcmp(a, "--garbage-after")) bad = parse_u64(v, &garbage_after);
    else if (!bad && !strcmp(a, "--timeout")) bad = parse_u64(v, &timeout_s);
    else bad = 1;
    if (bad) {
      fprintf(stderr,
              "usage: fault_proxy --target PORT [--seed S] [--cut MIN:MAX] [--cuts K]\n"
              "                   [--stall-after N --stall-ms T] [--garbage-after N]\n"
              "                   [--timeout S]\n");
      return 2;
    }
  }
  if (!target) {
    fprintf(stderr, "fault_proxy: --target PORT is required\n");
    return 2;
  }
  rng = seed ? seed : 1;
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {0};
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 8) ||
      getsockname(lfd, (struct sockaddr *)&a, &al)) {
    perror("fault_proxy: listen");
    return 1;
  }
  printf("READY port=%u\n", ntohs(a.sin_port));
  fflush(stdout);

  const uint64_t end = mono_ms() + timeout_s * 1000u;
  uint64_t conns = 0, cuts = 0, up = 0, down = 0, stalls = 0, garbage = 0;
  bool stalled_once = false, garbage_done = false;
  while (!stop && mono_ms() < end) {
    struct pollfd lp = {lfd, POLLIN, 0};
    if (poll(&lp, 1, 100) <= 0) continue;
    int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (cfd < 0) continue;
    int tfd = connect_to((uint16_t)target);
    if (tfd < 0) { /* the target is down (restarting): the client retries */
      close(cfd);
      continue;
    }
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conns++;
    uint64_t budget = UINT64_MAX; /* bytes until the cut */
    if (cut_min && cuts_left) budget = cut_min + next_rand() % (cut_max - cut_min + 1);
    uint64_t stall_until = 0;
    char buf[16384];
    bool open = true;
    while (open && !stop && mono_ms() < end) {
      uint64_t now = mono_ms();
      bool stalling = stall_until && now < stall_until;
      struct pollfd pf[2] = {{cfd, POLLIN, 0}, {tfd, stalling ? 0 : POLLIN, 0}};
      if (poll(pf, 2, stalling ? 10 : 100) < 0 && errno != EINTR) break;
      for (int d = 0; d < 2 && open; d++) {
        if (!(pf[d].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        int from = d ? tfd : cfd, to = d ? cfd : tfd;
        ssize_t r = recv(from, buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
          open = false;
          break;
        }
        if (r < 0) continue;
        size_t n = (size_t)r;
        bool cut = false;
        if (n >= budget) { /* forward up to the cut point, then cut */
          n = (size_t)budget;
          cut = true;
        }
        budget -= budget == UINT64_MAX ? 0 : n;
        if (n && write_all(to, buf, n)) {
          open = false;
          break;
        }
        if (d) down += n;
        else up += n;
        if (cut) {
          cuts++;
          cuts_left--;
          open = false;
          break;
        }
        if (!d && garbage_after && !garbage_done && up >= garbage_after) {
          static const char junk[] = "\x01garbage-not-fix\x01\x01=\x01" "9=99999999\x01";
          char run[512];
          for (size_t i = 0; i < sizeof run; i++) run[i] = (char)(' ' + next_rand() % 90);
          memcpy(run, junk, sizeof junk - 1);
          if (write_all(tfd, run, sizeof run)) open = false;
          garbage_done = true;
          garbage++;
        }
        if (d && stall_after && !stalled_once && down >= stall_after) {
          stalled_once = true;
          stalls++;
          stall_until = mono_ms() + stall_ms;
        }
      }
    }
    close(cfd);
    close(tfd);
  }
  close(lfd);
  printf("PROXY conns=%llu cuts=%llu stalls=%llu garbage=%llu bytes_up=%llu bytes_down=%llu\n",
         (unsigned long long)conns, (unsigned long long)cuts, (unsigned long long)stalls,
         (unsigned long long)garbage, (unsigned long long)up, (unsigned long long)down);
  return 0;
}
