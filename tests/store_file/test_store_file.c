/* The file store: its contract, recovery after SIGKILL at random points
 * under each policy, torn tails cut by hand at every byte, full disk,
 * read-only directory, corrupt and newer files, a second opener,
 * generations, a 100 000-message resend in bounded memory, failing
 * allocations at open. Everything lives under one mkdtemp directory in
 * /tmp, removed at the end. FIXGW_TEST_SEED=<n> replays a crash run. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixgw/store_file.h"
#include "harness.h"
#include "../store/resend_child.h"

#define REC_HDR 24
#define HDR_SIZE 64

static char g_root[64];
static int g_case;

/* ------------------------------------------------------------ helpers */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
  (void)sb;
  (void)flag;
  (void)f;
  return remove(p);
}

static void rm_rf(const char *p) { nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

/* A fresh directory per test under the run's root. */
static void new_dir(char *out, size_t cap) {
  snprintf(out, cap, "%s/c%d", g_root, g_case++);
  assert_int_equal(mkdir(out, 0755), 0);
}

static void cfg_for(fixgw_file_store_config_t *c, const char *dir, fixgw_file_sync sync) {
  fixgw_file_store_config_default(c);
  c->directory = dir;
  c->key = "FIX.4.4-CLIENT-SERVER";
  c->sync = sync;
  c->max_message_size = 4096;
  c->max_messages = 1u << 18;
  c->grow_bytes = 64 * 1024;
  c->window_bytes = 64 * 1024;
  c->now_utc_ns = 1700000000000000000LL;
}

/* Message bytes for a seq; length varies with it (40..~240). */
static size_t msg_for(uint64_t seq, char *buf) {
  int n = snprintf(buf, 512, "8=FIX.4.4\0019=000\00135=D\00134=%" PRIu64 "\00111=", seq);
  size_t pad = (size_t)(seq * 7919 % 200);
  for (size_t i = 0; i < pad; i++) buf[n + (int)i] = (char)('a' + (seq + i) % 26);
  n += (int)pad;
  n += snprintf(buf + n, 64, "\00110=000\001");
  return (size_t)n;
}

static void open_ok(const fixgw_file_store_config_t *c, fixgw_store_t *st) {
  fixgw_file_store_error_t e;
  int rc = fixgw_file_store_open(c, st, &e);
  if (rc != 0) fail_msg("open: %d %s", rc, e.text);
}

static void append_ok(fixgw_store_t *st, uint64_t seq) {
  char b[512];
  size_t n = msg_for(seq, b);
  assert_int_equal(st->ops->append(st->self, seq, b, n), 0);
}

static void seqnums(fixgw_store_t *st, uint64_t *ns, uint64_t *nt) {
  assert_int_equal(st->ops->get_seqnums(st->self, ns, nt), 0);
}

/* Messages [lo, hi] all present, with their bytes, and nothing else in
 * that range. */
static void expect_range(fixgw_store_t *st, uint64_t lo, uint64_t hi) {
  assert_int_equal(st->ops->iter_open(st->self, lo, hi), 0);
  uint64_t want = lo, seq;
  const char *m;
  size_t len;
  int rc;
  while ((rc = st->ops->iter_next(st->self, &seq, &m, &len)) == 0) {
    char b[512];
    size_t n = msg_for(seq, b);
    if (seq != want) fail_msg("got seq %" PRIu64 ", wanted %" PRIu64, seq, want);
    assert_int_equal(len, n);
    assert_memory_equal(m, b, n);
    want++;
  }
  assert_int_equal(rc, FIXGW_ENOTFOUND);
  if (want != hi + 1) fail_msg("range [%" PRIu64 ", %" PRIu64 "] ended at %" PRIu64, lo, hi, want);
  st->ops->iter_close(st->self);
}

static void log_path(const char *dir, char *out, size_t cap) {
  snprintf(out, cap, "%s/FIX.4.4-CLIENT-SERVER.log", dir);
}

static size_t read_file(const char *p, char **out) {
  int fd = open(p, O_RDONLY);
  assert_true(fd >= 0);
  struct stat sb;
  assert_int_equal(fstat(fd, &sb), 0);
  *out = malloc((size_t)sb.st_size + 1);
  assert_non_null(*out);
  assert_int_equal(pread(fd, *out, (size_t)sb.st_size, 0), sb.st_size);
  close(fd);
  return (size_t)sb.st_size;
}

static void write_file(const char *p, const void *b, size_t n) {
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, b, n), (ssize_t)n);
  close(fd);
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  if (!d) return -1;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

/* ----------------------------------------------------------- contract */

static void test_contract(void **state) {
  (void)state;
  char dir[128];
  new_dir(dir, sizeof dir);
  fixgw_file_store_config_t c;
  cfg_for(&c, dir, FIXGW_FILE_SYNC_OS);
  fixgw_store_t st;
  open_ok(&c, &st);
  assert_string_equal(st.ops->name, "file");
  uint64_t ns, nt;
  int64_t ct;
  seqnums(&st, &ns, &nt);
  assert_int_equal(ns, 1);
  assert_int_equal(nt, 1);
  assert_int_equal(st.ops->creation_time(st.self, &ct), 0);
  assert_true(ct == c.now_utc_ns);
  for (uint64_t i = 1; i <= 10; i++) append_ok(&st, i);
  assert_int_equal(st.ops->set_next_target(st.self, 5), 0);
  seqnums(&st, &ns, &nt);
  assert_int_equal(ns, 11);
  assert_int_equal(nt, 5);
  expect_range(&st, 3, 7);
  expect_range(&st, 1, 10);
  /* Below the next number, zero, too big: refused, nothing used up. */
  char b[512];
  size_t n = msg_for(5, b);
  assert_int_equal(st.ops->append(st.self, 5, b, n), FIXGW_EINVAL);
  assert_int_equal(st.ops->append(st.self, 0, b, n), FIXGW_EINVAL);
  static char big[5000];
  assert_int_equal(st.ops->append(st.self, 11, big, sizeof big), FIXGW_ETOOBIG);
  assert_int_equal(st.ops->set_next_sender(st.self, 0), FIXGW_EINVAL);
  seqnums(&st, &ns, &nt);
  assert_int_equal(ns, 11);
  /* A gap the session left: 11..14 are skipped by the iterator. */
  append_ok(&st, 15);
  seqnums(&st, &ns, &nt);
  assert_int_equal(ns, 16);
  expect_range(&st, 15, 15);
  assert_int_equal(st.ops->iter_open(st.self, 10, 20), 0);
  uint64_t seq;
  const char *m;
  size_t len;
  assert_int_equal(st.ops->iter_next(st.self, &seq, &m, &len), 0);
  assert_int_equal(seq, 10);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &m, &len), 0);
  assert_int_equal(seq, 15);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &m, &len), FIXGW_ENOTFOUND);
  st.ops->iter_close(st.self);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &m, &len), FIXGW_ESTATE);
  /* An empty range, and an inverted one. */
  assert_int_equal(st.ops->iter_open(st.self, 11, 14), 0);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &m, &len), FIXGW_ENOTFOUND);
  assert_int_equal(st.ops->iter_open(st.self, 9, 3), 0);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &m, &len), FIXGW_ENOTFOUND);
  /* The number moved back: the new 12 supersedes 15. */
  assert_int_equal(st.ops->set_next_sender(st.self, 12), 0);
  append_ok(&st, 12);
  expect_range(&st, 12, 12);
  assert_int_equal(st.ops->iter_open(st.self, 13, 100), 0);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &m, &len), FIXGW_ENOTFOUND);
  assert_int_equal(st.ops->flush(st.self), 0);
  fixgw_store_destroy(&st);

  /* Everything comes back on reopen. */
  open_ok(&c, &st);
  seqnums(&st, &ns, &nt);
  assert_int_equal(ns, 13);
  assert_int_equal(nt, 5);
  assert_int_equal(st.ops->creation_time(st.self, &ct), 0);
  assert_true(ct == c.now_utc_ns);
  expect_range(&st, 1, 10);
  expect_range(&st, 12, 12);
  assert_int_equal(st.ops->iter_open(st.self, 13, 100), 0);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &m, &len), FIXGW_ENOTFOUND);
  fixgw_store_destroy(&st);
}

static void test_index_cap(void **state) {
  (void)state;
  char dir[128];
  new_dir(dir, sizeof dir);
  fixgw_file_store_config_t c;
  cfg_for(&c, dir, FIXGW_FILE_SYNC_OS);
  c.max_messages = 4;
  fixgw_store_t st;
  open_ok(&c, &st);
  for (uint64_t i = 1; i <= 4; i++) append_ok(&st, i);
  char b[512];
  size_t n = msg_for(5, b);
  assert_int_equal(st.ops->append(st.self, 5, b, n), FIXGW_EFULL);
  fixgw_file_store_error_t e;
  assert_int_equal(fixgw_file_store_last_error(&st, &e), 0);
  assert_non_null(strstr(e.text, "max_messages"));
  uint64_t ns, nt;
  seqnums(&st, &ns, &nt);
  assert_int_equal(ns, 5);
  fixgw_store_destroy(&st);
  /* A smaller index than the log needs: refused at open, named. */
  c.max_messages = 3;
  int rc = fixgw_file_store_open(&c, &st, &e);
  assert_int_equal(rc, FIXGW_EFULL);
  assert_non_null(strstr(e.text, ".log"));
  c.max_messages = 4;
  open_ok(&c, &st);
  expect_range(&st, 1, 4);
  fixgw_store_destroy(&st);
}

static void test_policies(void **state) {
  (void)state;
  char dir[128];
  fixgw_file_store_config_t c;
  fixgw_store_t st;
  fixgw_file_store_stats_t sx;

  new_dir(dir, sizeof dir);
  cfg_for(&c, dir, FIXGW_FILE_SYNC_GROUP);
  c.sync_every = 3;
  c.sync_interval_ns = 1000;
  open_ok(&c, &st);
  assert_true(fixgw_file_store_next_deadline(&st) == UINT64_MAX);
  append_ok(&st, 1);
  append_ok(&st, 2);
  assert_int_equal(fixgw_file_store_durable_seq(&st), 0);
  append_ok(&st, 3); /* the count bound */
  assert_int_equal(fixgw_file_store_durable_seq(&st), 3);
  append_ok(&st, 4);
  assert_int_equal(fixgw_file_store_next_deadline(&st), 0);
  assert_int_equal(fixgw_file_store_poll(&st, 5000), 0); /* starts its clock */
  assert_int_equal(fixgw_file_store_next_deadline(&st), 6000);
  assert_int_equal(fixgw_file_store_poll(&st, 5999), 0);
  assert_int_equal(fixgw_file_store_poll(&st, 6000), 1);
  assert_int_equal(fixgw_file_store_durable_seq(&st), 4);
  assert_true(fixgw_file_store_next_deadline(&st) == UINT64_MAX);
  append_ok(&st, 5);
  assert_int_equal(st.ops->flush(st.self), 0);
  assert_int_equal(fixgw_file_store_durable_seq(&st), 5);
  fixgw_store_destroy(&st);

  new_dir(dir, sizeof dir);
  cfg_for(&c, dir, FIXGW_FILE_SYNC_EVERY);
  open_ok(&c, &st);
  assert_int_equal(fixgw_file_store_stats(&st, &sx), 0);
  uint64_t s0 = sx.syncs;
  for (uint64_t i = 1; i <= 3; i++) {
    append_ok(&st, i);
    assert_int_equal(fixgw_file_store_durable_seq(&st), i);
  }
  assert_int_equal(st.ops->set_next_target(st.self, 9), 0);
  assert_int_equal(fixgw_file_store_stats(&st, &sx), 0);
  assert_int_equal(sx.syncs - s0, 4);
  assert_int_equal(fixgw_file_store_poll(&st, 1), 0);
  fixgw_store_destroy(&st);

  new_dir(dir, sizeof dir);
  cfg_for(&c, dir, FIXGW_FILE_SYNC_OS);
  open_ok(&c, &st);
  append_ok(&st, 1);
  assert_int_equal(fixgw_file_store_durable_seq(&st), 0);
  assert_int_equal(fixgw_file_store_poll(&st, UINT64_MAX), 0);
  assert_int_equal(st.ops->flush(st.self), 0);
  assert_int_equal(fixgw_file_store_durable_seq(&st), 1);
  fixgw_store_destroy(&st);

  /* Not a file store. */
  fixgw_store_t other = {0};
  assert_int_equal(fixgw_file_store_poll(&other, 1), FIXGW_EINVAL);
  assert_int_equal(fixgw_file_store_stats(&other, &sx), FIXGW_EINVAL);
}

/* ----------------------------------------------------------- SIGKILL */

static uint64_t g_seed;

static uint64_t rnd(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* The child writes message k then "next target := k", and reports k
 * through the pipe only after both calls returned. */
static void crash_child(const fixgw_file_store_config_t *c, int wfd) {
  fixgw_store_t st;
  if (fixgw_file_store_open(c, &st, NULL) != 0) _exit(3);
  uint64_t ns, nt;
  if (st.ops->get_seqnums(st.self, &ns, &nt) != 0) _exit(4);
  for (uint64_t k = ns; k < ns + 2000000; k++) {
    char b[512];
    size_t n = msg_for(k, b);
    int rc = st.ops->append(st.self, k, b, n);
    if (rc == FIXGW_EFULL) /* the index is full (long soaks): wait for the kill */
      for (;;) pause();
    if (rc != 0) _exit(5);
    if (st.ops->set_next_target(st.self, k) != 0) _exit(6);
    if (write(wfd, &k, sizeof k) != sizeof k) _exit(7);
  }
  _exit(0);
}

static void crash_rounds(fixgw_file_sync pol, int rounds, uint64_t *rs) {
  char dir[128];
  new_dir(dir, sizeof dir);
  fixgw_file_store_config_t c;
  cfg_for(&c, dir, pol);
  c.sync_every = 64;
  c.grow_bytes = 16 * 1024; /* many grow steps and window moves */
  c.window_bytes = 16 * 1024;
  uint64_t promised = 0, total = 0, prev_ns = 1, prev_nt = 1;
  for (int r = 0; r < rounds; r++) {
    promised = 0; /* the highest number reported this round */
    uint64_t first = 0;
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(p[0]);
      crash_child(&c, p[1]);
    }
    close(p[1]);
    /* 0..40 ms: some kills land during the child's open and recovery. */
    uint64_t wait_us = rnd(rs) % 40000;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
      clock_gettime(CLOCK_MONOTONIC, &t);
      uint64_t el = (uint64_t)(t.tv_sec - t0.tv_sec) * 1000000u +
                    (uint64_t)((t.tv_nsec - t0.tv_nsec) / 1000);
      if (el >= wait_us) break;
      struct pollfd pf = {p[0], POLLIN, 0};
      int left_ms = (int)((wait_us - el) / 1000);
      if (poll(&pf, 1, left_ms) > 0) {
        uint64_t buf[512];
        ssize_t got = read(p[0], buf, sizeof buf);
        if (got > 0 && !first) first = buf[0];
        if (got > 0) promised = buf[got / 8 - 1] > promised ? buf[got / 8 - 1] : promised;
        if (got == 0) break;
      }
    }
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) && !WIFEXITED(status))
      fail_msg("child status %d", status);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
      fail_msg("child failed with %d (seed %" PRIu64 ")", WEXITSTATUS(status), g_seed);
    uint64_t buf[512];
    ssize_t got;
    while ((got = read(p[0], buf, sizeof buf)) > 0) {
      if (!first) first = buf[0];
      if (buf[got / 8 - 1] > promised) promised = buf[got / 8 - 1];
    }
    close(p[0]);

    fixgw_store_t st;
    open_ok(&c, &st);
    uint64_t ns, nt;
    seqnums(&st, &ns, &nt);
    uint64_t L = promised;
    /* After k: (k+1, k); killed between the two calls of k+1: (k+2, k);
     * after both but before the report: (k+2, k+1). A round that
     * reported nothing leaves the state it started from, or one call
     * further. */
    int ok = L ? (ns == L + 1 && nt == L) || (ns == L + 2 && nt == L) ||
                     (ns == L + 2 && nt == L + 1)
               : (ns == prev_ns && nt == prev_nt) || (ns == prev_ns + 1 && nt == prev_nt) ||
                     (ns == prev_ns + 1 && nt == prev_ns);
    if (!ok)
      print_message("started at %" PRIu64 "/%" PRIu64 ", first report %" PRIu64 " status %d\n",
                    prev_ns, prev_nt, first, status);
    if (!ok)
      fail_msg("policy %d round %d seed %" PRIu64 ": promised %" PRIu64 ", found next %" PRIu64
               "/%" PRIu64 " (round started at %" PRIu64 "/%" PRIu64 ", first report %" PRIu64
               ", child status %d)",
               (int)pol, r, g_seed, L, ns, nt, prev_ns, prev_nt, first, status);
    if (ns > 1) expect_range(&st, 1, ns - 1);
    fixgw_store_destroy(&st);
    prev_ns = ns;
    prev_nt = nt;
    if (L > total) total = L;
  }
  print_message("policy %d: %d kills, %" PRIu64 " messages promised and found\n", (int)pol,
                rounds, total);
}

static void test_sigkill(void **state) {
  (void)state;
  const char *env = getenv("FIXGW_TEST_SEED");
  g_seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)getpid();
  if (!g_seed) g_seed = 1;
  print_message("crash seed %" PRIu64 " (FIXGW_TEST_SEED=%" PRIu64 " replays it)\n", g_seed,
                g_seed);
  /* FIXGW_CRASH_ROUNDS=k runs k times CI's rounds (a longer local soak). */
  const char *k = getenv("FIXGW_CRASH_ROUNDS");
  int mult = k && atoi(k) > 0 ? atoi(k) : 1;
  uint64_t rs = g_seed;
  crash_rounds(FIXGW_FILE_SYNC_OS, 12 * mult, &rs);
  crash_rounds(FIXGW_FILE_SYNC_GROUP, 12 * mult, &rs);
  crash_rounds(FIXGW_FILE_SYNC_EVERY, 8 * mult, &rs);
}

/* -------------------------------------------------------- torn tails */

static void test_torn_tail(void **state) {
  (void)state;
  char dir[128], lp[200];
  new_dir(dir, sizeof dir);
  log_path(dir, lp, sizeof lp);
  fixgw_file_store_config_t c;
  cfg_for(&c, dir, FIXGW_FILE_SYNC_OS);
  fixgw_store_t st;
  open_ok(&c, &st);
  for (uint64_t i = 1; i <= 5; i++) append_ok(&st, i);
  fixgw_store_destroy(&st);
  char *orig;
  size_t size = read_file(lp, &orig);
  char b[512];
  size_t last = REC_HDR + msg_for(5, b);
  size_t start = size - last;
  fixgw_file_store_stats_t sx;
  uint64_t ns, nt;
  for (size_t cut = start; cut < size; cut++) {
    write_file(lp, orig, cut);
    /* Half the cuts also carry preallocated zeros, as a crash leaves. */
    if (cut & 1) assert_int_equal(truncate(lp, (off_t)(cut + 5000)), 0);
    open_ok(&c, &st);
    seqnums(&st, &ns, &nt);
    assert_int_equal(ns, 5);
    expect_range(&st, 1, 4);
    assert_int_equal(fixgw_file_store_stats(&st, &sx), 0);
    assert_int_equal(sx.truncated, cut - start + ((cut & 1) ? 5000 : 0));
    append_ok(&st, 5);
    fixgw_store_destroy(&st);
    open_ok(&c, &st);
    expect_range(&st, 1, 5);
    fixgw_store_destroy(&st);
  }
  /* A bad checksum in the last record: a torn tail as well. */
  char *bad = malloc(size);
  assert_non_null(bad);
  memcpy(bad, orig, size);
  bad[size - 3] ^= 0x40;
  write_file(lp, bad, size);
  open_ok(&c, &st);
  seqnums(&st, &ns, &nt);
  assert_int_equal(ns, 5);
  fixgw_store_destroy(&st);

  /* Damage in the middle (record 2): refused, named, left as is. */
  memcpy(bad, orig, size);
  size_t r2 = HDR_SIZE + REC_HDR + msg_for(1, b);
  bad[r2 + REC_HDR + 4] ^= 0x01;
  write_file(lp, bad, size);
  fixgw_file_store_error_t e;
  assert_int_equal(fixgw_file_store_open(&c, &st, &e), FIXGW_EFORMAT);
  assert_int_equal(e.code, FIXGW_EFORMAT);
  assert_non_null(strstr(e.text, lp));
  assert_non_null(strstr(e.text, "offset"));
  struct stat sb;
  assert_int_equal(stat(lp, &sb), 0);
  assert_int_equal((size_t)sb.st_size, size);
  /* The repair flag cuts there, on the human's say. */
  c.flags = FIXGW_FILE_STORE_REPAIR;
  open_ok(&c, &st);
  seqnums(&st, &ns, &nt);
  assert_int_equal(ns, 2);
  expect_range(&st, 1, 1);
  fixgw_store_destroy(&st);
  free(bad);
  free(orig);
}

/* ------------------------------------------------ corrupt, newer, missing */

static void expect_open_fails(const fixgw_file_store_config_t *c, int code, const char *needle) {
  fixgw_store_t st;
  fixgw_file_store_error_t e;
  int rc = fixgw_file_store_open(c, &st, &e);
  if (rc != code) fail_msg("open gave %d (%s), wanted %d", rc, e.text, code);
  assert_null(st.self);
  assert_int_equal(e.code, code);
  if (needle && !strstr(e.text, needle)) fail_msg("'%s' lacks '%s'", e.text, needle);
  print_message("  %s\n", e.text);
}

static void test_corrupt_files(void **state) {
  (void)state;
  char dir[128], lp[200], p[220];
  new_dir(dir, sizeof dir);
  log_path(dir, lp, sizeof lp);
  fixgw_file_store_config_t c;
  cfg_for(&c, dir, FIXGW_FILE_SYNC_OS);
  fixgw_store_t st;
  open_ok(&c, &st);
  append_ok(&st, 1);
  fixgw_store_destroy(&st);
  char *orig;
  size_t size = read_file(lp, &orig);

  write_file(lp, "hello, not a store at all, long enough for a header........"
                 "..................",
             78);
  expect_open_fails(&c, FIXGW_EFORMAT, "bad magic");
  write_file(lp, "", 0);
  expect_open_fails(&c, FIXGW_EFORMAT, "too short");
  char *h = malloc(size);
  assert_non_null(h);
  memcpy(h, orig, size);
  h[20] ^= 1; /* the generation, under the header CRC */
  write_file(lp, h, size);
  expect_open_fails(&c, FIXGW_EFORMAT, "checksum");
  /* A newer format with a valid header CRC. */
  memcpy(h, orig, size);
  h[8] = 2;
  {
    /* CRC-32C, bitwise: the test's own, not the library's. */
    uint32_t crc = 0xffffffffu;
    for (int i = 0; i < 60; i++) {
      crc ^= (unsigned char)h[i];
      for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    crc = ~crc;
    for (int i = 0; i < 4; i++) h[60 + i] = (char)(crc >> (8 * i));
  }
  write_file(lp, h, size);
  expect_open_fails(&c, FIXGW_ENOTSUP, "newer");
  free(h);

  /* The log gone while the lock file says it existed. */
  assert_int_equal(unlink(lp), 0);
  expect_open_fails(&c, FIXGW_ENOTFOUND, "missing");
  write_file(lp, orig, size);
  open_ok(&c, &st);
  expect_range(&st, 1, 1);
  fixgw_store_destroy(&st);

  /* MUST_EXIST with nothing there; a leftover reset temp is cleaned. */
  c.key = "OTHER";
  c.flags = FIXGW_FILE_STORE_MUST_EXIST;
  expect_open_fails(&c, FIXGW_ENOTFOUND, "MUST_EXIST");
  c.flags = 0;
  snprintf(p, sizeof p, "%s/OTHER.log.tmp", dir);
  write_file(p, "x", 1);
  open_ok(&c, &st);
  assert_int_equal(access(p, F_OK), -1);
  fixgw_store_destroy(&st);

  /* Bad config. */
  c.key = "../escape";
  expect_open_fails(&c, FIXGW_EINVAL, "key");
  c.key = "OTHER";
  c.directory = "/nonexistent/fixgw-dir";
  expect_open_fails(&c, FIXGW_ENOTFOUND, "/nonexistent/fixgw-dir");
  free(orig);
}

/* -------------------------------------------------------- second opener */

static void test_second_opener(void **state) {
  (void)state;
  char dir[128];
  new_dir(dir, sizeof dir);
  fixgw_file_store_config_t c;
  cfg_for(&c, dir, FIXGW_FILE_SYNC_OS);
  fixgw_store_t a;
  open_ok(&c, &a);
  append_ok(&a, 1);
  expect_open_fails(&c, FIXGW_EPERM, "locked by another opener");
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    fixgw_store_t b;
    int rc = fixgw_file_store_open(&c, &b, NULL);
    _exit(rc == FIXGW_EPERM ? 0 : 1);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* Another key in the same directory is a different store. */
  fixgw_file_store_config_t c2 = c;
  c2.key = "FIX.4.4-CLIENT-OTHER";
  fixgw_store_t o;
  open_ok(&c2, &o);
  fixgw_store_destroy(&o);
  fixgw_store_destroy(&a);
  open_ok(&c, &a);
  expect_range(&a, 1, 1);
  fixgw_store_destroy(&a);
}

/* ---------------------------------------------------------- generations */

static void test_generations(void **state) {
  (void)state;
  char dir[128], p[220];
  new_dir(dir, sizeof dir);
  fixgw_file_store_config_t c;
  cfg_for(&c, dir, FIXGW_FILE_SYNC_GROUP);
  fixgw_store_t st;
  open_ok(&c, &st);
  for (uint64_t i = 1; i <= 3; i++) append_ok(&st, i);
  assert_int_equal(st.ops->set_next_target(st.self, 7), 0);
  assert_int_equal(st.ops->reset(st.self, 777), 0);
  uint64_t ns, nt;
  int64_t ct;
  seqnums(&st, &ns, &nt);
  assert_int_equal(ns, 1);
  assert_int_equal(nt, 1);
  assert_int_equal(st.ops->creation_time(st.self, &ct), 0);
  assert_int_equal(ct, 777);
  expect_range(&st, 1, 0); /* nothing */
  snprintf(p, sizeof p, "%s/FIX.4.4-CLIENT-SERVER.g000001.log", dir);
  assert_int_equal(access(p, F_OK), 0);
  append_ok(&st, 1);
  fixgw_store_destroy(&st);
  open_ok(&c, &st);
  assert_int_equal(st.ops->creation_time(st.self, &ct), 0);
  assert_int_equal(ct, 777);
  fixgw_file_store_stats_t sx;
  assert_int_equal(fixgw_file_store_stats(&st, &sx), 0);
  assert_int_equal(sx.generation, 2);
  expect_range(&st, 1, 1);
  assert_int_equal(st.ops->reset(st.self, 888), 0);
  snprintf(p, sizeof p, "%s/FIX.4.4-CLIENT-SERVER.g000002.log", dir);
  assert_int_equal(access(p, F_OK), 0);
  fixgw_store_destroy(&st);

  /* The archive is a store log in its own right: its messages are there. */
  char *bytes;
  size_t n = read_file(p, &bytes);
  assert_true(n > HDR_SIZE);
  free(bytes);

  new_dir(dir, sizeof dir);
  cfg_for(&c, dir, FIXGW_FILE_SYNC_OS);
  c.generation = FIXGW_FILE_GEN_REMOVE;
  open_ok(&c, &st);
  append_ok(&st, 1);
  assert_int_equal(st.ops->reset(st.self, 999), 0);
  fixgw_store_destroy(&st);
  DIR *d = opendir(dir);
  struct dirent *de;
  int files = 0;
  while ((de = readdir(d)))
    if (de->d_name[0] != '.') files++;
  closedir(d);
  assert_int_equal(files, 2); /* the log and the lock */
}

/* --------------------------------------------------------- full disk */

static void fill_until_full(const fixgw_file_store_config_t *c, const char *what) {
  fixgw_store_t st;
  open_ok(c, &st);
  uint64_t k = 1;
  char b[512];
  int rc;
  for (;; k++) {
    size_t n = msg_for(k, b);
    rc = st.ops->append(st.self, k, b, n);
    if (rc) break;
    assert_true(k < 10000000);
  }
  assert_int_equal(rc, FIXGW_EFULL);
  fixgw_file_store_error_t e;
  assert_int_equal(fixgw_file_store_last_error(&st, &e), 0);
  assert_non_null(strstr(e.text, "FIX.4.4-CLIENT-SERVER.log"));
  print_message("  %s after %" PRIu64 " messages: %s\n", what, k - 1, e.text);
  uint64_t ns, nt;
  seqnums(&st, &ns, &nt);
  assert_int_equal(ns, k); /* the failed one used no number */
  fixgw_store_destroy(&st);
  open_ok(c, &st);
  seqnums(&st, &ns, &nt);
  assert_int_equal(ns, k);
  expect_range(&st, 1, k - 1);
  fixgw_store_destroy(&st);
}

static void test_full_disk(void **state) {
  (void)state;
  char dir[128];
  fixgw_file_store_config_t c;
  /* A 256 KiB tmpfs where we may mount one. */
  new_dir(dir, sizeof dir);
  if (mount("fixgw-test", dir, "tmpfs", 0, "size=256k") == 0) {
    cfg_for(&c, dir, FIXGW_FILE_SYNC_GROUP);
    fill_until_full(&c, "tmpfs");
    assert_int_equal(umount2(dir, 0), 0); /* its files go with it */
  } else {
    print_message("  tmpfs not mountable (%s): RLIMIT_FSIZE only\n", strerror(errno));
  }
  /* The file size limit, everywhere. */
  new_dir(dir, sizeof dir);
  cfg_for(&c, dir, FIXGW_FILE_SYNC_OS);
  struct rlimit old, lim;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
  lim = old;
  lim.rlim_cur = 300 * 1024;
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
  fill_until_full(&c, "RLIMIT_FSIZE");
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, prev);
}

/* ------------------------------------------------------ read-only dir */

static void test_readonly_dir(void **state) {
  (void)state;
  char dir[128];
  new_dir(dir, sizeof dir);
  fixgw_file_store_config_t c;
  cfg_for(&c, dir, FIXGW_FILE_SYNC_OS);
  fixgw_store_t st;
  open_ok(&c, &st);
  append_ok(&st, 1);
  fixgw_store_destroy(&st);
  /* Root ignores permission bits: a read-only bind mount, else an
   * immutable directory, else nothing we can test. */
  int how = 0;
  if (mount(dir, dir, NULL, MS_BIND, NULL) == 0) {
    if (mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0)
      how = 1;
    else
      umount2(dir, 0);
  }
  int dfd = -1, flags = 0;
  if (!how) {
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0 && ioctl(dfd, FS_IOC_GETFLAGS, &flags) == 0) {
      int nf = flags | FS_IMMUTABLE_FL;
      if (ioctl(dfd, FS_IOC_SETFLAGS, &nf) == 0) how = 2;
    }
  }
  if (!how) {
    if (dfd >= 0) close(dfd);
    print_message("no read-only bind mount and no chattr +i here: skipped\n");
    skip();
  }
  fixgw_file_store_config_t c2 = c;
  c2.key = "FRESH";
  if (how == 1) {
    /* The existing store: its lock file cannot be opened for writing. */
    expect_open_fails(&c, FIXGW_EPERM, "Read-only file system");
    expect_open_fails(&c2, FIXGW_EPERM, "FRESH.lock");
    assert_int_equal(umount2(dir, 0), 0);
  } else {
    expect_open_fails(&c2, FIXGW_EPERM, "FRESH.lock");
    assert_int_equal(ioctl(dfd, FS_IOC_SETFLAGS, &flags), 0);
    close(dfd);
  }
  open_ok(&c, &st);
  expect_range(&st, 1, 1);
  fixgw_store_destroy(&st);
}

/* ------------------------------------------------------------ resend */

#define RESEND_N 100000

static int resend_open(const void *cfg, fixgw_store_t *st) {
  return fixgw_file_store_open(cfg, st, NULL);
}

static void test_resend_100k(void **state) {
  (void)state;
  char dir[128];
  new_dir(dir, sizeof dir);
  fixgw_file_store_config_t c;
  cfg_for(&c, dir, FIXGW_FILE_SYNC_OS);
  c.grow_bytes = 1 << 20;
  fixgw_store_t st;
  open_ok(&c, &st);
  /* Append never allocates, whatever grows and moves underneath. */
  fixgw_alloc_count_reset();
  for (uint64_t i = 1; i <= RESEND_N; i++) append_ok(&st, i);
  assert_int_equal(fixgw_alloc_count_calls(), 0);
  fixgw_file_store_stats_t sx;
  assert_int_equal(fixgw_file_store_stats(&st, &sx), 0);
  fixgw_store_destroy(&st);
  long small[3], large[3];
  const resend_probe_t pr = {resend_open, &c, NULL};
  resend_child(&pr, 1000, small);
  resend_child(&pr, RESEND_N, large);
  print_message("resend: log %" PRIu64 " KiB; peak RSS %ld KiB for 1 000 messages, %ld KiB for "
                "100 000 (%ld us); allocations while iterating: %ld\n",
                sx.log_bytes / 1024, small[0], large[0], large[2], large[1]);
  assert_int_equal(large[1], 0);
  /* The log is ~13 MiB: reading it all must not show up in the peak. */
  assert_true(large[0] - small[0] < 1024);
}

/* ------------------------------------------------------ failing malloc */

typedef struct {
  int left, calls;
} failer_t;

static void *fail_alloc(size_t n, void *u) {
  failer_t *f = u;
  f->calls++;
  if (f->left-- <= 0) return NULL;
  return malloc(n);
}
static void fail_free(void *p, void *u) {
  (void)u;
  free(p);
}

static void test_alloc_failure(void **state) {
  (void)state;
  char dir[128];
  new_dir(dir, sizeof dir);
  fixgw_file_store_config_t c;
  cfg_for(&c, dir, FIXGW_FILE_SYNC_EVERY);
  int fds = count_fds();
  for (int k = 0;; k++) {
    failer_t f = {k, 0};
    fixgw_allocator_t a = {fail_alloc, fail_free, &f};
    c.allocator = &a;
    fixgw_store_t st;
    fixgw_file_store_error_t e;
    int rc = fixgw_file_store_open(&c, &st, &e);
    if (rc == 0) {
      assert_true(k >= 3);
      append_ok(&st, 1);
      assert_int_equal(f.calls, k);
      fixgw_store_destroy(&st);
      break;
    }
    assert_int_equal(rc, FIXGW_ENOMEM);
    assert_int_equal(e.code, FIXGW_ENOMEM);
    assert_null(st.self);
    assert_int_equal(count_fds(), fds);
    assert_true(k < 10);
  }
  assert_int_equal(count_fds(), fds);
}

int main(void) {
  snprintf(g_root, sizeof g_root, "/tmp/fixgw-store-XXXXXX");
  if (!mkdtemp(g_root)) {
    perror("mkdtemp");
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_contract),      cmocka_unit_test(test_index_cap),
      cmocka_unit_test(test_policies),      cmocka_unit_test(test_sigkill),
      cmocka_unit_test(test_torn_tail),     cmocka_unit_test(test_corrupt_files),
      cmocka_unit_test(test_second_opener), cmocka_unit_test(test_generations),
      cmocka_unit_test(test_full_disk),     cmocka_unit_test(test_readonly_dir),
      cmocka_unit_test(test_resend_100k),   cmocka_unit_test(test_alloc_failure),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  rm_rf(g_root);
  return rc;
}
