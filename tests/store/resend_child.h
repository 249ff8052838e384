/* A store's resend of [1, hi], run in a child process so that the peak RSS
 * it reports is the resend's own: shared by the file and SQLite store
 * tests, which include it after harness.h and the store's header. */
#ifndef FIXGW_TEST_RESEND_CHILD_H
#define FIXGW_TEST_RESEND_CHILD_H

#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixgw/store.h"
#include "harness.h"

typedef struct resend_probe {
  /* Open the store the test filled: 0 or an error. */
  int (*open)(const void *cfg, fixgw_store_t *st);
  const void *cfg;
  /* 0 if m is what was stored as seq; NULL checks only the order. */
  int (*check)(uint64_t seq, const char *m, size_t len);
} resend_probe_t;

/* Open, iterate [1, hi], and report out[0] the peak RSS (KiB), out[1] the
 * allocations made while iterating, out[2] the time it took (us). Fails
 * the test if the child cannot open, skips or reorders a message. */
static void resend_child(const resend_probe_t *pr, uint64_t hi, long out[3]) {
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    fixgw_store_t st;
    long r[3] = {0, 0, 0};
    if (pr->open(pr->cfg, &st) != 0) _exit(1);
    /* A forked child inherits its parent's peak: start it afresh. */
    int cr = open("/proc/self/clear_refs", O_WRONLY);
    if (cr < 0 || write(cr, "5", 1) != 1) _exit(5);
    close(cr);
    fixgw_alloc_count_reset();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st.ops->iter_open(st.self, 1, hi);
    uint64_t seq, want = 1;
    const char *m;
    size_t len;
    while (st.ops->iter_next(st.self, &seq, &m, &len) == 0) {
      if (seq != want || (pr->check && pr->check(seq, m, len) != 0)) _exit(2);
      want++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (want != hi + 1) _exit(3);
    r[1] = (long)fixgw_alloc_count_calls();
    r[2] = (long)((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000);
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
      if (sscanf(line, "VmHWM: %ld", &r[0]) == 1) break;
    if (f) fclose(f);
    if (write(p[1], r, sizeof r) != sizeof r) _exit(4);
    fixgw_store_destroy(&st);
    _exit(0);
  }
  close(p[1]);
  assert_int_equal(read(p[0], out, 3 * sizeof(long)), (ssize_t)(3 * sizeof(long)));
  close(p[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#endif
