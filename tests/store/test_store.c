/* Stores: the contract of fixgw/store.h as functions of a factory, run
 * against every store in `factories` (the file and SQLite stores join by
 * adding a factory), then the memory store's own behaviour: exact eviction
 * within both bounds, the refuse policy, numbers-only mode, oversize
 * messages, a failing allocator, no allocation after create, and a seeded
 * differential test against a reference model. */
#define _DEFAULT_SOURCE
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "fixgw/store.h"
#include "fixgw/store_file.h"
#ifdef FIXGW_HAVE_SQLITE
#include "fixgw/store_sqlite.h"
#endif
#include "harness.h"

/* ---------------------------------------------------------------- helpers */

struct store_factory {
  const char *name;
  int (*open)(fixgw_store_t *out);
};

#define T0 ((int64_t)1700000000 * 1000000000)
#define SEQ_MAX UINT64_MAX

/* Message bytes are a function of (seq, len, salt), so the tests check what
 * comes back without keeping copies. Every byte value occurs, SOH and NUL
 * included. */
static uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15u;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

static void gen(char *out, uint64_t seq, size_t len, uint32_t salt) {
  uint64_t s = mix(seq ^ ((uint64_t)salt << 40) ^ len);
  for (size_t i = 0; i < len; i++) {
    s = s * 6364136223846793005u + 1442695040888963407u;
    out[i] = (char)(s >> 56);
  }
}

static int matches(const char *p, size_t len, uint64_t seq, size_t want_len, uint32_t salt) {
  char buf[8192];
  if (len != want_len || len > sizeof buf) return 0;
  gen(buf, seq, len, salt);
  return len == 0 || memcmp(p, buf, len) == 0;
}

/* The length the contract tests give message seq: 1..97 bytes. */
static size_t clen(uint64_t seq) { return 1 + (size_t)(seq * 7919u % 97u); }

static int st_append(fixgw_store_t *st, uint64_t seq, size_t len, uint32_t salt) {
  char buf[8192];
  assert_true(len <= sizeof buf);
  gen(buf, seq, len, salt);
  return st->ops->append(st->self, seq, buf, len);
}

/* Append from a copy on a guard page: the store must read exactly len. */
static int st_append_guarded(fixgw_store_t *st, uint64_t seq, size_t len, uint32_t salt) {
  char buf[8192];
  fixgw_guard_t g;
  assert_true(len <= sizeof buf);
  gen(buf, seq, len, salt);
  char *p = fixgw_guard_copy(&g, buf, len);
  int rc = st->ops->append(st->self, seq, p, len);
  memset(p, 0x5a, len); /* the store must have copied */
  fixgw_guard_free(&g);
  return rc;
}

static void expect_numbers(fixgw_store_t *st, uint64_t sender, uint64_t target) {
  uint64_t s = 0, t = 0;
  assert_int_equal(st->ops->get_seqnums(st->self, &s, &t), 0);
  assert_int_equal(s, sender);
  assert_int_equal(t, target);
}

/* Iterate [b, e] and check the numbers returned are exactly want[0..n),
 * each message byte-exact with length clen(seq) and `salt`, and that the
 * end stays the end. */
static void expect_range(fixgw_store_t *st, uint64_t b, uint64_t e, const uint64_t *want,
                         size_t n, uint32_t salt) {
  assert_int_equal(st->ops->iter_open(st->self, b, e), 0);
  for (size_t i = 0; i < n; i++) {
    uint64_t seq = 0;
    const char *msg = NULL;
    size_t len = 0;
    int rc = st->ops->iter_next(st->self, &seq, &msg, &len);
    if (rc != 0) fail_msg("[%llu,%llu] #%zu: %s, want seq %llu", (unsigned long long)b,
                          (unsigned long long)e, i, fixgw_err_name(rc),
                          (unsigned long long)want[i]);
    assert_int_equal(seq, want[i]);
    assert_non_null(msg);
    assert_true(matches(msg, len, seq, clen(seq), salt));
  }
  uint64_t seq;
  const char *msg;
  size_t len;
  int rc = st->ops->iter_next(st->self, &seq, &msg, &len);
  if (rc != FIXGW_ENOTFOUND)
    fail_msg("[%llu,%llu] after %zu: %s (seq %llu), want the end", (unsigned long long)b,
             (unsigned long long)e, n, fixgw_err_name(rc),
             rc == 0 ? (unsigned long long)seq : 0ull);
  assert_int_equal(st->ops->iter_next(st->self, &seq, &msg, &len), FIXGW_ENOTFOUND);
  st->ops->iter_close(st->self);
}

static size_t heap_in_use(void) {
#if defined(__GLIBC__)
  /* Under sanitizers the runtime owns malloc and this stays flat: the
   * check then proves nothing but costs nothing either. */
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#else
  return 0;
#endif
}

/* ------------------------------------------------------------- factories */

static int open_memory(fixgw_store_t *out) {
  fixgw_mem_store_config_t cfg;
  fixgw_mem_store_config_default(&cfg);
  cfg.now_utc_ns = T0;
  return fixgw_mem_store_create(&cfg, out);
}

/* Every file store of the run lives in one temporary directory, each under
 * a key of its own; main() removes the directory at the end. */
static char file_dir[64];
static unsigned file_n;

static int open_file_os(fixgw_store_t *out) {
  if (!file_dir[0]) {
    strcpy(file_dir, "/tmp/fixgw-store-XXXXXX");
    if (!mkdtemp(file_dir)) return FIXGW_ESYS;
  }
  char key[32];
  snprintf(key, sizeof key, "contract-%u", file_n++);
  fixgw_file_store_config_t c;
  fixgw_file_store_config_default(&c);
  c.directory = file_dir;
  c.key = key;
  c.sync = FIXGW_FILE_SYNC_OS;
  c.now_utc_ns = T0;
  c.grow_bytes = 1u << 20;
  c.window_bytes = 1u << 20;
  return fixgw_file_store_open(&c, out, NULL);
}

static void remove_file_dir(void) {
  if (!file_dir[0]) return;
  DIR *d = opendir(file_dir);
  if (d) {
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)))
      if (e->d_name[0] != '.') {
        snprintf(path, sizeof path, "%s/%s", file_dir, e->d_name);
        unlink(path);
      }
    closedir(d);
  }
  rmdir(file_dir);
}

#ifdef FIXGW_HAVE_SQLITE
/* Every SQLite store of the run lives in one temporary database file, each
 * under a key of its own (several sessions in one file, as in production);
 * main() removes the file and its -wal and -shm at the end. */
static char sqlite_dir[64], sqlite_path[96];
static unsigned sqlite_n;

static int open_sqlite(fixgw_store_t *out) {
  if (!sqlite_dir[0]) {
    strcpy(sqlite_dir, "/tmp/fixgw-sqlite-XXXXXX");
    if (!mkdtemp(sqlite_dir)) return FIXGW_ESYS;
    snprintf(sqlite_path, sizeof sqlite_path, "%s/store.db", sqlite_dir);
  }
  char key[32];
  snprintf(key, sizeof key, "contract-%u", sqlite_n++);
  fixgw_sqlite_store_config_t c;
  fixgw_sqlite_store_config_default(&c);
  c.path = sqlite_path;
  c.key = key;
  c.sync = FIXGW_SQLITE_SYNC_GROUP;
  c.commit_every = 512;
  c.cache_kib = 512;
  c.now_utc_ns = T0;
  fixgw_sqlite_store_error_t e;
  int rc = fixgw_sqlite_store_open(&c, out, &e);
  if (rc) print_error("sqlite open: %s\n", e.text);
  return rc;
}

static void remove_sqlite_db(void) {
  if (!sqlite_dir[0]) return;
  const char *sfx[] = {"", "-wal", "-shm", "-journal"};
  char p[128];
  for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
    snprintf(p, sizeof p, "%s%s", sqlite_path, sfx[i]);
    unlink(p);
  }
  rmdir(sqlite_dir);
}
#endif

static const struct store_factory factories[] = {
    {"memory", open_memory},
    {"file", open_file_os},
#ifdef FIXGW_HAVE_SQLITE
    {"sqlite", open_sqlite},
#endif
};

/* --------------------------------------------------------------- contract */

static void c_ops_table(const struct store_factory *f) {
  fixgw_store_t st;
  assert_int_equal(f->open(&st), 0);
  const fixgw_store_ops_t *o = st.ops;
  assert_non_null(o);
  assert_non_null(st.self);
  assert_true(o->size == sizeof(fixgw_store_ops_t));
  assert_non_null(o->name);
  assert_string_equal(o->name, f->name);
  assert_non_null(o->append);
  assert_non_null(o->get_seqnums);
  assert_non_null(o->set_next_sender);
  assert_non_null(o->set_next_target);
  assert_non_null(o->reset);
  assert_non_null(o->creation_time);
  assert_non_null(o->iter_open);
  assert_non_null(o->iter_next);
  assert_non_null(o->iter_close);
  assert_non_null(o->destroy);
  fixgw_store_destroy(&st);
  assert_null(st.ops);
  assert_null(st.self);
  fixgw_store_destroy(&st); /* zeroed: a no-op */
  fixgw_store_destroy(NULL);
}

static void c_new_store(const struct store_factory *f) {
  fixgw_store_t st;
  assert_int_equal(f->open(&st), 0);
  expect_numbers(&st, 1, 1);
  int64_t t = -1;
  assert_int_equal(st.ops->creation_time(st.self, &t), 0);
  expect_range(&st, 1, SEQ_MAX, NULL, 0, 0);
  fixgw_store_destroy(&st);
}

static void c_append_advances_and_reads_back(const struct store_factory *f) {
  fixgw_store_t st;
  assert_int_equal(f->open(&st), 0);
  uint64_t want[20];
  for (uint64_t s = 1; s <= 20; s++) {
    assert_int_equal(st_append_guarded(&st, s, clen(s), 7), 0);
    expect_numbers(&st, s + 1, 1); /* the target number is not ours to move */
    want[s - 1] = s;
  }
  for (uint64_t s = 1; s <= 20; s++) expect_range(&st, s, s, &want[s - 1], 1, 7);
  expect_range(&st, 1, SEQ_MAX, want, 20, 7);
  /* One byte, and a message of every byte value including SOH and NUL. */
  char all[256];
  for (int i = 0; i < 256; i++) all[i] = (char)i;
  assert_int_equal(st.ops->append(st.self, 21, all, sizeof all), 0);
  assert_int_equal(st.ops->append(st.self, 22, "\x01", 1), 0);
  assert_int_equal(st.ops->iter_open(st.self, 21, 22), 0);
  uint64_t seq;
  const char *msg;
  size_t len;
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 21);
  assert_int_equal(len, 256);
  assert_memory_equal(msg, all, 256);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 22);
  assert_int_equal(len, 1);
  assert_int_equal(msg[0], '\x01');
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), FIXGW_ENOTFOUND);
  expect_numbers(&st, 23, 1);
  fixgw_store_destroy(&st);
}

static void c_bad_arguments_change_nothing(const struct store_factory *f) {
  fixgw_store_t st;
  assert_int_equal(f->open(&st), 0);
  const fixgw_store_ops_t *o = st.ops;
  for (uint64_t s = 1; s <= 5; s++) assert_int_equal(st_append(&st, s, clen(s), 1), 0);
  assert_int_equal(st_append(&st, 5, clen(5), 2), FIXGW_EINVAL); /* lower than next */
  assert_int_equal(st_append(&st, 1, clen(1), 2), FIXGW_EINVAL);
  assert_int_equal(st_append(&st, 0, 10, 2), FIXGW_EINVAL);
  assert_int_equal(o->append(st.self, 6, NULL, 10), FIXGW_EINVAL);
  assert_int_equal(o->set_next_sender(st.self, 0), FIXGW_EINVAL);
  assert_int_equal(o->set_next_target(st.self, 0), FIXGW_EINVAL);
  uint64_t a;
  int64_t t;
  assert_int_equal(o->get_seqnums(st.self, NULL, &a), FIXGW_EINVAL);
  assert_int_equal(o->get_seqnums(st.self, &a, NULL), FIXGW_EINVAL);
  assert_int_equal(o->creation_time(st.self, NULL), FIXGW_EINVAL);
  assert_int_equal(o->iter_open(st.self, 0, 10), FIXGW_EINVAL);
  /* No iterator open (never, or closed): an error, never a message. */
  uint64_t seq;
  const char *msg;
  size_t len;
  assert_true(o->iter_next(st.self, &seq, &msg, &len) < 0);
  assert_int_equal(o->iter_open(st.self, 1, 10), 0);
  assert_int_equal(o->iter_next(st.self, NULL, &msg, &len), FIXGW_EINVAL);
  assert_int_equal(o->iter_next(st.self, &seq, NULL, &len), FIXGW_EINVAL);
  assert_int_equal(o->iter_next(st.self, &seq, &msg, NULL), FIXGW_EINVAL);
  o->iter_close(st.self);
  assert_true(o->iter_next(st.self, &seq, &msg, &len) < 0);
  o->iter_close(st.self); /* twice is fine */
  assert_int_equal(o->creation_time(st.self, &t), 0);
  expect_numbers(&st, 6, 1);
  const uint64_t want[] = {1, 2, 3, 4, 5};
  expect_range(&st, 1, SEQ_MAX, want, 5, 1);
  fixgw_store_destroy(&st);
}

static void c_set_next_numbers(const struct store_factory *f) {
  fixgw_store_t st;
  assert_int_equal(f->open(&st), 0);
  const fixgw_store_ops_t *o = st.ops;
  assert_int_equal(o->set_next_target(st.self, 50), 0);
  expect_numbers(&st, 1, 50);
  assert_int_equal(o->set_next_sender(st.self, 100), 0);
  expect_numbers(&st, 100, 50);
  assert_int_equal(st_append(&st, 99, clen(99), 3), FIXGW_EINVAL);
  assert_int_equal(st_append(&st, 100, clen(100), 3), 0);
  expect_numbers(&st, 101, 50);
  /* A gap the session chose to leave: the next number follows the append. */
  assert_int_equal(st_append(&st, 105, clen(105), 3), 0);
  expect_numbers(&st, 106, 50);
  assert_int_equal(o->set_next_target(st.self, 7), 0); /* down is allowed */
  expect_numbers(&st, 106, 7);
  assert_int_equal(o->set_next_sender(st.self, 200), 0);
  expect_numbers(&st, 200, 7);
  const uint64_t want[] = {100, 105};
  expect_range(&st, 1, SEQ_MAX, want, 2, 3);
  /* Large numbers are numbers like any other. */
  assert_int_equal(o->set_next_sender(st.self, (uint64_t)1 << 40), 0);
  assert_int_equal(st_append(&st, (uint64_t)1 << 40, clen(7), 3), 0);
  expect_numbers(&st, ((uint64_t)1 << 40) + 1, 7);
  fixgw_store_destroy(&st);
}

static void c_reset(const struct store_factory *f) {
  fixgw_store_t st;
  assert_int_equal(f->open(&st), 0);
  const fixgw_store_ops_t *o = st.ops;
  for (uint64_t s = 1; s <= 30; s++) assert_int_equal(st_append(&st, s, clen(s), 4), 0);
  assert_int_equal(o->set_next_target(st.self, 77), 0);
  assert_int_equal(o->reset(st.self, T0 + 86400 * (int64_t)1000000000), 0);
  expect_numbers(&st, 1, 1);
  int64_t t = 0;
  assert_int_equal(o->creation_time(st.self, &t), 0);
  assert_int_equal(t, T0 + 86400 * (int64_t)1000000000);
  expect_range(&st, 1, SEQ_MAX, NULL, 0, 4);
  /* Numbers start again at 1, and new bytes replace the old. */
  assert_int_equal(st_append(&st, 1, clen(1), 5), 0);
  assert_int_equal(st_append(&st, 2, clen(2), 5), 0);
  const uint64_t want[] = {1, 2};
  expect_range(&st, 1, SEQ_MAX, want, 2, 5);
  assert_int_equal(o->reset(st.self, -5), 0); /* any instant, even before 1970 */
  assert_int_equal(o->creation_time(st.self, &t), 0);
  assert_int_equal(t, -5);
  fixgw_store_destroy(&st);
}

static void c_iter_ranges(const struct store_factory *f) {
  fixgw_store_t st;
  assert_int_equal(f->open(&st), 0);
  const fixgw_store_ops_t *o = st.ops;
  /* Held: 1 2 3 5 6 9 10 12; holes 4 (skipped by an append), 7 8 (a
   * set_next_sender) and 11. */
  const uint64_t held[] = {1, 2, 3, 5, 6, 9, 10, 12};
  for (int i = 0; i < 5; i++) assert_int_equal(st_append(&st, held[i], clen(held[i]), 6), 0);
  assert_int_equal(o->set_next_sender(st.self, 9), 0);
  for (int i = 5; i < 8; i++) assert_int_equal(st_append(&st, held[i], clen(held[i]), 6), 0);
  expect_numbers(&st, 13, 1);

  expect_range(&st, 1, SEQ_MAX, held, 8, 6);
  expect_range(&st, 1, 12, held, 8, 6);
  expect_range(&st, 1, 1, held, 1, 6);
  expect_range(&st, 12, 12, held + 7, 1, 6);
  expect_range(&st, 12, SEQ_MAX, held + 7, 1, 6);
  expect_range(&st, 4, 4, NULL, 0, 6);   /* a hole */
  expect_range(&st, 7, 8, NULL, 0, 6);   /* a range that is all hole */
  expect_range(&st, 4, 5, held + 3, 1, 6);
  expect_range(&st, 3, 7, held + 2, 3, 6);  /* 3 5 6 */
  expect_range(&st, 7, 11, held + 5, 2, 6); /* 9 10 */
  expect_range(&st, 13, 13, NULL, 0, 6);    /* the next number: not sent yet */
  expect_range(&st, 13, SEQ_MAX, NULL, 0, 6);
  expect_range(&st, 1000000, 2000000, NULL, 0, 6);
  expect_range(&st, SEQ_MAX, SEQ_MAX, NULL, 0, 6);
  expect_range(&st, 6, 3, NULL, 0, 6); /* begin > end: empty, not an error */
  expect_range(&st, 12, 11, NULL, 0, 6);

  /* Opening again restarts, whatever the first iterator had reached. */
  uint64_t seq;
  const char *msg;
  size_t len;
  assert_int_equal(o->iter_open(st.self, 1, SEQ_MAX), 0);
  assert_int_equal(o->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(o->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 2);
  expect_range(&st, 1, SEQ_MAX, held, 8, 6);
  assert_int_equal(o->iter_open(st.self, 9, SEQ_MAX), 0);
  assert_int_equal(o->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 9);
  expect_range(&st, 2, 6, held + 1, 4, 6);
  fixgw_store_destroy(&st);
}

static void c_iter_bytes_stable(const struct store_factory *f) {
  fixgw_store_t st;
  assert_int_equal(f->open(&st), 0);
  const fixgw_store_ops_t *o = st.ops;
  for (uint64_t s = 1; s <= 40; s++) assert_int_equal(st_append(&st, s, clen(s), 8), 0);
  assert_int_equal(o->iter_open(st.self, 1, SEQ_MAX), 0);
  for (uint64_t s = 1; s <= 40; s++) {
    uint64_t seq;
    const char *msg;
    size_t len;
    assert_int_equal(o->iter_next(st.self, &seq, &msg, &len), 0);
    assert_int_equal(seq, s);
    /* Heap churn between calls must not disturb the lent bytes. */
    for (int k = 0; k < 8; k++) {
      char *junk = malloc(64u << k);
      assert_non_null(junk);
      memset(junk, 0xee, 64u << k);
      free(junk);
    }
    assert_true(matches(msg, len, s, clen(s), 8));
  }
  o->iter_close(st.self);
  fixgw_store_destroy(&st);
}

static void c_append_during_iteration(const struct store_factory *f) {
  fixgw_store_t st;
  assert_int_equal(f->open(&st), 0);
  const fixgw_store_ops_t *o = st.ops;
  for (uint64_t s = 1; s <= 10; s++) assert_int_equal(st_append(&st, s, clen(s), 9), 0);
  assert_int_equal(o->iter_open(st.self, 1, SEQ_MAX), 0);
  uint64_t last = 0, next_seq = 11;
  int rc;
  uint64_t seq;
  const char *msg;
  size_t len;
  int got = 0;
  /* Whatever a store shows of appends made meanwhile, what it does return
   * is ascending, exact, and it ends. */
  while ((rc = o->iter_next(st.self, &seq, &msg, &len)) == 0) {
    assert_true(seq > last);
    assert_true(matches(msg, len, seq, clen(seq), 9));
    last = seq;
    if (++got > 100) fail_msg("the iterator does not end");
    if (next_seq <= 15) {
      assert_int_equal(st_append(&st, next_seq, clen(next_seq), 9), 0);
      next_seq++;
    }
  }
  assert_int_equal(rc, FIXGW_ENOTFOUND);
  assert_true(last >= 10);
  o->iter_close(st.self);
  const uint64_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  expect_range(&st, 1, SEQ_MAX, want, 15, 9);
  fixgw_store_destroy(&st);
}

/* A full resend of 100k messages: every message returned is exact and in
 * order, the newest is there, and the heap does not grow with the range
 * (a store may not buffer the range it iterates). */
static void c_resend_100k_bounded(const struct store_factory *f) {
  enum { N = 100000 };
  fixgw_store_t st;
  assert_int_equal(f->open(&st), 0);
  const fixgw_store_ops_t *o = st.ops;
  for (uint64_t s = 1; s <= N; s++) {
    int rc = st_append(&st, s, 60 + (size_t)(s % 101), 10);
    if (rc != 0) fail_msg("append %llu: %s", (unsigned long long)s, fixgw_err_name(rc));
  }
  expect_numbers(&st, N + 1, 1);
  assert_int_equal(o->iter_open(st.self, 1, SEQ_MAX), 0);
  uint64_t seq, last = 0;
  const char *msg;
  size_t len;
  size_t n = 0, heap_early = 0, heap_peak = 0;
  int rc;
  while ((rc = o->iter_next(st.self, &seq, &msg, &len)) == 0) {
    if (seq <= last || seq > N) fail_msg("seq %llu after %llu", (unsigned long long)seq,
                                         (unsigned long long)last);
    if (!matches(msg, len, seq, 60 + (size_t)(seq % 101), 10))
      fail_msg("message %llu differs", (unsigned long long)seq);
    last = seq;
    if (++n == 100) heap_early = heap_in_use();
    if (n > 100 && (n & 1023) == 0) {
      size_t h = heap_in_use();
      if (h > heap_peak) heap_peak = h;
    }
  }
  assert_int_equal(rc, FIXGW_ENOTFOUND);
  assert_int_equal(last, N);
  if (heap_peak > heap_early && heap_peak - heap_early > ((size_t)1 << 20))
    fail_msg("%s: heap grew by %zu bytes during the resend", f->name, heap_peak - heap_early);
  print_message("%s: resend of %d numbers returned %zu messages (the rest are gaps)\n",
                f->name, N, n);
  o->iter_close(st.self);
  fixgw_store_destroy(&st);
}

static void c_refresh_and_flush(const struct store_factory *f) {
  fixgw_store_t st;
  assert_int_equal(f->open(&st), 0);
  const fixgw_store_ops_t *o = st.ops;
  for (uint64_t s = 1; s <= 5; s++) assert_int_equal(st_append(&st, s, clen(s), 11), 0);
  assert_int_equal(o->set_next_target(st.self, 9), 0);
  if (o->flush) assert_int_equal(o->flush(st.self), 0);
  if (o->refresh) assert_int_equal(o->refresh(st.self), 0);
  expect_numbers(&st, 6, 9);
  const uint64_t want[] = {1, 2, 3, 4, 5};
  expect_range(&st, 1, SEQ_MAX, want, 5, 11);
  fixgw_store_destroy(&st);
}

struct contract_case {
  const char *name;
  void (*fn)(const struct store_factory *f);
};

static const struct contract_case contract[] = {
    {"ops_table", c_ops_table},
    {"new_store", c_new_store},
    {"append_advances_and_reads_back", c_append_advances_and_reads_back},
    {"bad_arguments_change_nothing", c_bad_arguments_change_nothing},
    {"set_next_numbers", c_set_next_numbers},
    {"reset", c_reset},
    {"iter_ranges", c_iter_ranges},
    {"iter_bytes_stable", c_iter_bytes_stable},
    {"append_during_iteration", c_append_during_iteration},
    {"resend_100k_bounded", c_resend_100k_bounded},
    {"refresh_and_flush", c_refresh_and_flush},
};

/* ------------------------------------------------------- the memory store */

static void mem_open(fixgw_store_t *st, uint32_t max_messages, size_t max_bytes,
                     fixgw_mem_store_policy policy) {
  fixgw_mem_store_config_t cfg;
  fixgw_mem_store_config_default(&cfg);
  cfg.max_messages = max_messages;
  cfg.max_bytes = max_bytes;
  cfg.policy = policy;
  cfg.now_utc_ns = T0;
  assert_int_equal(fixgw_mem_store_create(&cfg, st), 0);
}

/* Records the size asked for and refuses it (a sanitizer would abort on a
 * real malloc of that size). */
static void *refuse_alloc(size_t n, void *user) {
  *(size_t *)user = n;
  return NULL;
}

static void test_mem_config_and_create(void **state) {
  (void)state;
  fixgw_mem_store_config_t cfg;
  memset(&cfg, 0xff, sizeof cfg);
  fixgw_mem_store_config_default(&cfg);
  assert_int_equal(cfg.max_messages, 4096);
  assert_int_equal(cfg.max_bytes, 1u << 20);
  assert_int_equal(cfg.policy, FIXGW_MEM_STORE_EVICT_OLDEST);
  assert_int_equal(cfg.now_utc_ns, 0);
  assert_null(cfg.allocator);
  fixgw_mem_store_config_default(NULL);

  fixgw_store_t st;
  memset(&st, 0xab, sizeof st);
  assert_int_equal(fixgw_mem_store_create(NULL, &st), FIXGW_EINVAL);
  assert_null(st.ops); /* zeroed on failure: destroy stays safe */
  fixgw_store_destroy(&st);
  assert_int_equal(fixgw_mem_store_create(&cfg, NULL), FIXGW_EINVAL);
  cfg.max_bytes = 0;
  assert_int_equal(fixgw_mem_store_create(&cfg, &st), FIXGW_EINVAL);
  cfg.max_messages = 0; /* numbers only: no bytes needed */
  assert_int_equal(fixgw_mem_store_create(&cfg, &st), 0);
  fixgw_store_destroy(&st);
  fixgw_mem_store_config_default(&cfg);
  cfg.policy = (fixgw_mem_store_policy)7;
  assert_int_equal(fixgw_mem_store_create(&cfg, &st), FIXGW_EINVAL);
  fixgw_mem_store_config_default(&cfg);
  cfg.max_bytes = SIZE_MAX; /* no allocator can: ENOMEM, not a wrapped size */
  assert_int_equal(fixgw_mem_store_create(&cfg, &st), FIXGW_ENOMEM);
  cfg.max_bytes = SIZE_MAX - 4096;
  assert_int_equal(fixgw_mem_store_create(&cfg, &st), FIXGW_ENOMEM);
  cfg.max_messages = UINT32_MAX;
  cfg.max_bytes = SIZE_MAX - ((size_t)50 << 30); /* the index's 96 GiB wrap it */
  assert_int_equal(fixgw_mem_store_create(&cfg, &st), FIXGW_ENOMEM);
  /* A huge but representable size reaches the allocator whole. */
  size_t asked = 0;
  fixgw_allocator_t refuse = {refuse_alloc, NULL, &asked};
  cfg.max_bytes = SIZE_MAX / 2;
  cfg.allocator = &refuse;
  assert_int_equal(fixgw_mem_store_create(&cfg, &st), FIXGW_ENOMEM);
  assert_true(asked > SIZE_MAX / 2 && asked - SIZE_MAX / 2 >= (size_t)UINT32_MAX * 16);
  assert_null(st.ops);

  fixgw_mem_store_config_default(&cfg);
  cfg.now_utc_ns = T0 + 123;
  assert_int_equal(fixgw_mem_store_create(&cfg, &st), 0);
  assert_string_equal(st.ops->name, "memory");
  assert_null(st.ops->flush);
  int64_t t;
  assert_int_equal(st.ops->creation_time(st.self, &t), 0);
  assert_int_equal(t, T0 + 123);
  /* seq + 1 must be a number. */
  assert_int_equal(st.ops->set_next_sender(st.self, UINT64_MAX), 0);
  assert_int_equal(st_append(&st, UINT64_MAX, 3, 0), FIXGW_EINVAL);
  assert_int_equal(st.ops->set_next_sender(st.self, UINT64_MAX - 1), 0);
  assert_int_equal(st_append(&st, UINT64_MAX - 1, clen(UINT64_MAX - 1), 0), 0);
  expect_numbers(&st, UINT64_MAX, 1);
  const uint64_t want[] = {UINT64_MAX - 1};
  expect_range(&st, 1, SEQ_MAX, want, 1, 0);
  expect_range(&st, UINT64_MAX - 1, UINT64_MAX - 1, want, 1, 0);
  /* The ops refuse a NULL self rather than crash. */
  const fixgw_store_ops_t *o = st.ops;
  uint64_t a, b;
  const char *m;
  size_t l;
  assert_int_equal(o->append(NULL, 1, "x", 1), FIXGW_EINVAL);
  assert_int_equal(o->get_seqnums(NULL, &a, &b), FIXGW_EINVAL);
  assert_int_equal(o->set_next_sender(NULL, 1), FIXGW_EINVAL);
  assert_int_equal(o->set_next_target(NULL, 1), FIXGW_EINVAL);
  assert_int_equal(o->reset(NULL, 0), FIXGW_EINVAL);
  assert_int_equal(o->creation_time(NULL, &t), FIXGW_EINVAL);
  assert_int_equal(o->iter_open(NULL, 1, 2), FIXGW_EINVAL);
  assert_int_equal(o->iter_next(NULL, &a, &m, &l), FIXGW_EINVAL);
  o->iter_close(NULL);
  o->destroy(NULL);
  fixgw_store_t fresh;
  mem_open(&fresh, 4, 64, FIXGW_MEM_STORE_EVICT_OLDEST);
  assert_int_equal(fresh.ops->iter_next(fresh.self, &a, &m, &l), FIXGW_ESTATE);
  fixgw_store_destroy(&fresh);
  fixgw_store_destroy(&st);
}

/* The reference for eviction: the newest messages that fit both bounds. */
static void expect_newest(fixgw_store_t *st, uint64_t last, uint32_t max_messages,
                          size_t max_bytes, size_t (*len_of)(uint64_t), uint32_t salt) {
  uint64_t first = last + 1;
  size_t bytes = 0;
  while (first > 1 && last + 1 - first < max_messages &&
         bytes + len_of(first - 1) <= max_bytes) {
    first--;
    bytes += len_of(first);
  }
  assert_int_equal(st->ops->iter_open(st->self, 1, SEQ_MAX), 0);
  for (uint64_t s = first; s <= last; s++) {
    uint64_t seq;
    const char *msg;
    size_t len;
    int rc = st->ops->iter_next(st->self, &seq, &msg, &len);
    if (rc != 0 || seq != s)
      fail_msg("after %llu appends: got %s seq %llu, want %llu (kept %llu..%llu)",
               (unsigned long long)last, fixgw_err_name(rc), (unsigned long long)seq,
               (unsigned long long)s, (unsigned long long)first, (unsigned long long)last);
    assert_true(matches(msg, len, s, len_of(s), salt));
  }
  uint64_t seq;
  const char *msg;
  size_t len;
  assert_int_equal(st->ops->iter_next(st->self, &seq, &msg, &len), FIXGW_ENOTFOUND);
}

static size_t len_small(uint64_t seq) {
  (void)seq;
  return 10;
}
static size_t len_varied(uint64_t seq) { return (size_t)(mix(seq) % 181); }

static void test_mem_evict_exact(void **state) {
  (void)state;
  fixgw_store_t st;
  /* Count bound only. */
  mem_open(&st, 8, 1 << 20, FIXGW_MEM_STORE_EVICT_OLDEST);
  for (uint64_t s = 1; s <= 50; s++) {
    assert_int_equal(st_append(&st, s, len_small(s), 12), 0);
    expect_newest(&st, s, 8, 1 << 20, len_small, 12);
  }
  fixgw_store_destroy(&st);
  /* Byte bound only, with lengths 0..180 so messages wrap the ring end in
   * every possible place and must still come back contiguous. */
  mem_open(&st, 100000, 1000, FIXGW_MEM_STORE_EVICT_OLDEST);
  for (uint64_t s = 1; s <= 3000; s++) {
    assert_int_equal(st_append(&st, s, len_varied(s), 13), 0);
    expect_newest(&st, s, 100000, 1000, len_varied, 13);
  }
  fixgw_store_destroy(&st);
  /* Both, and each binding in turn. */
  mem_open(&st, 9, 700, FIXGW_MEM_STORE_EVICT_OLDEST);
  for (uint64_t s = 1; s <= 3000; s++) {
    assert_int_equal(st_append(&st, s, len_varied(s), 14), 0);
    expect_newest(&st, s, 9, 700, len_varied, 14);
  }
  expect_numbers(&st, 3001, 1);
  fixgw_store_destroy(&st);
  /* A message exactly max_bytes long evicts everything else. */
  mem_open(&st, 10, 50, FIXGW_MEM_STORE_EVICT_OLDEST);
  for (uint64_t s = 1; s <= 3; s++) assert_int_equal(st_append(&st, s, 20, 15), 0);
  char big[50];
  gen(big, 4, 50, 15);
  assert_int_equal(st.ops->append(st.self, 4, big, 50), 0);
  assert_int_equal(st.ops->iter_open(st.self, 1, SEQ_MAX), 0);
  uint64_t seq;
  const char *msg;
  size_t len;
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 4);
  assert_int_equal(len, 50);
  assert_memory_equal(msg, big, 50);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), FIXGW_ENOTFOUND);
  fixgw_store_destroy(&st);
}

/* A message that runs off the end of the byte ring comes back as one span,
 * and the ring keeps working after being straightened. */
static void test_mem_wrapped_message_contiguous(void **state) {
  (void)state;
  fixgw_store_t st;
  mem_open(&st, 16, 100, FIXGW_MEM_STORE_EVICT_OLDEST);
  for (uint64_t s = 1; s <= 3; s++) assert_int_equal(st_append(&st, s, 30, 16), 0);
  /* 4 needs 30 with 10 free: 1 goes, 4 occupies the last 10 bytes and the
   * first 20. */
  assert_int_equal(st_append(&st, 4, 30, 16), 0);
  uint64_t seq;
  const char *msg;
  size_t len;
  assert_int_equal(st.ops->iter_open(st.self, 4, 4), 0);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 4);
  assert_true(matches(msg, len, 4, 30, 16));
  for (uint64_t s = 5; s <= 40; s++) {
    assert_int_equal(st_append(&st, s, (size_t)(s % 3 == 0 ? 33 : 17), 16), 0);
    /* Read the newest at once: wrap, straighten, wrap again... */
    assert_int_equal(st.ops->iter_open(st.self, s, s), 0);
    assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
    assert_int_equal(seq, s);
    assert_true(matches(msg, len, s, (size_t)(s % 3 == 0 ? 33 : 17), 16));
  }
  fixgw_store_destroy(&st);
}

static void test_mem_refuse_changes_nothing(void **state) {
  (void)state;
  fixgw_store_t st;
  /* Count bound. */
  mem_open(&st, 4, 1000, FIXGW_MEM_STORE_REFUSE);
  for (uint64_t s = 1; s <= 4; s++) assert_int_equal(st_append(&st, s, clen(s), 17), 0);
  assert_int_equal(st.ops->set_next_target(st.self, 3), 0);
  for (int k = 0; k < 3; k++) {
    assert_int_equal(st_append(&st, 5, clen(5), 17), FIXGW_EFULL);
    assert_int_equal(st_append(&st, 9, 0, 17), FIXGW_EFULL);
  }
  expect_numbers(&st, 5, 3);
  int64_t t;
  assert_int_equal(st.ops->creation_time(st.self, &t), 0);
  assert_int_equal(t, T0);
  const uint64_t want[] = {1, 2, 3, 4};
  expect_range(&st, 1, SEQ_MAX, want, 4, 17);
  /* The session's daily reset makes room again. */
  assert_int_equal(st.ops->reset(st.self, T0 + 1), 0);
  assert_int_equal(st_append(&st, 1, clen(1), 17), 0);
  fixgw_store_destroy(&st);

  /* Byte bound: 30+30+30 of 100 leaves 10. */
  mem_open(&st, 100, 100, FIXGW_MEM_STORE_REFUSE);
  for (uint64_t s = 1; s <= 3; s++) assert_int_equal(st_append(&st, s, 30, 18), 0);
  assert_int_equal(st_append(&st, 4, 11, 18), FIXGW_EFULL);
  assert_int_equal(st_append(&st, 4, 101, 18), FIXGW_EFULL); /* oversize too */
  expect_numbers(&st, 4, 1);
  assert_int_equal(st_append(&st, 4, 10, 18), 0); /* exactly what is left */
  assert_int_equal(st_append(&st, 5, 0, 18), 0);  /* empty fits a full ring */
  assert_int_equal(st_append(&st, 6, 1, 18), FIXGW_EFULL);
  expect_numbers(&st, 6, 1);
  assert_int_equal(st.ops->iter_open(st.self, 1, SEQ_MAX), 0);
  for (uint64_t s = 1; s <= 5; s++) {
    uint64_t seq;
    const char *msg;
    size_t len;
    assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
    assert_int_equal(seq, s);
    assert_true(matches(msg, len, s, s <= 3 ? 30 : s == 4 ? 10 : 0, 18));
  }
  fixgw_store_destroy(&st);
}

static void test_mem_numbers_only(void **state) {
  (void)state;
  fixgw_store_t st;
  mem_open(&st, 0, 0, FIXGW_MEM_STORE_EVICT_OLDEST);
  assert_int_equal(st_append(&st, 1, 50, 19), 0);
  expect_numbers(&st, 2, 1);
  assert_int_equal(st_append(&st, 7, 5000, 19), 0);
  expect_numbers(&st, 8, 1);
  assert_int_equal(st_append(&st, 7, 5, 19), FIXGW_EINVAL);
  assert_int_equal(st.ops->append(st.self, 8, NULL, 5), FIXGW_EINVAL);
  expect_range(&st, 1, SEQ_MAX, NULL, 0, 19);
  assert_int_equal(st.ops->set_next_target(st.self, 40), 0);
  expect_numbers(&st, 8, 40);
  assert_int_equal(st.ops->reset(st.self, T0 + 9), 0);
  expect_numbers(&st, 1, 1);
  fixgw_store_destroy(&st);
  /* Under refuse too, nothing is kept and nothing refused. */
  mem_open(&st, 0, 1 << 20, FIXGW_MEM_STORE_REFUSE);
  for (uint64_t s = 1; s <= 1000; s++) assert_int_equal(st_append(&st, s, 100, 19), 0);
  expect_numbers(&st, 1001, 1);
  expect_range(&st, 1, SEQ_MAX, NULL, 0, 19);
  fixgw_store_destroy(&st);
}

static void test_mem_oversize(void **state) {
  (void)state;
  fixgw_store_t st;
  mem_open(&st, 10, 100, FIXGW_MEM_STORE_EVICT_OLDEST);
  assert_int_equal(st_append(&st, 1, clen(1), 20), 0);
  assert_int_equal(st_append(&st, 2, clen(2) % 50, 20), 0);
  /* Too big to keep: not kept, nothing dropped for it, number used. */
  assert_int_equal(st_append(&st, 3, 101, 20), 0);
  expect_numbers(&st, 4, 1);
  assert_int_equal(st.ops->iter_open(st.self, 1, SEQ_MAX), 0);
  uint64_t seq;
  const char *msg;
  size_t len;
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 1);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 2);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), FIXGW_ENOTFOUND);
  assert_int_equal(st_append(&st, 4, 8, 20), 0);
  assert_int_equal(st.ops->iter_open(st.self, 3, 4), 0);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 4);
  assert_true(matches(msg, len, 4, 8, 20));
  fixgw_store_destroy(&st);
  /* Under refuse: EFULL and nothing changes (in test_mem_refuse too). */
  mem_open(&st, 10, 100, FIXGW_MEM_STORE_REFUSE);
  assert_int_equal(st_append(&st, 1, 101, 20), FIXGW_EFULL);
  expect_numbers(&st, 1, 1);
  fixgw_store_destroy(&st);
}

/* Moving the sender number below stored messages drops them: those
 * numbers will carry other messages, and a resend must not replay the old. */
static void test_mem_sender_moved_back(void **state) {
  (void)state;
  fixgw_store_t st;
  mem_open(&st, 64, 4096, FIXGW_MEM_STORE_EVICT_OLDEST);
  for (uint64_t s = 1; s <= 10; s++) assert_int_equal(st_append(&st, s, clen(s), 21), 0);
  assert_int_equal(st.ops->set_next_sender(st.self, 6), 0);
  expect_numbers(&st, 6, 1);
  const uint64_t want[] = {1, 2, 3, 4, 5, 6, 7};
  expect_range(&st, 1, SEQ_MAX, want, 5, 21);
  char buf[128];
  gen(buf, 6, clen(6), 22);
  assert_int_equal(st.ops->append(st.self, 6, buf, clen(6)), 0);
  assert_int_equal(st.ops->iter_open(st.self, 6, SEQ_MAX), 0);
  uint64_t seq;
  const char *msg;
  size_t len;
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 6);
  assert_true(matches(msg, len, 6, clen(6), 22)); /* the new 6 */
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), FIXGW_ENOTFOUND);
  assert_int_equal(st.ops->set_next_sender(st.self, 1), 0);
  expect_range(&st, 1, SEQ_MAX, NULL, 0, 21);
  assert_int_equal(st_append(&st, 1, clen(1), 21), 0);
  assert_int_equal(st_append(&st, 2, clen(2), 21), 0);
  expect_range(&st, 1, SEQ_MAX, want, 2, 21);
  fixgw_store_destroy(&st);
}

/* The iterator is a cursor by number: it sees appends in its range, skips
 * what was evicted meanwhile, and survives a reset. */
static void test_mem_cursor_semantics(void **state) {
  (void)state;
  fixgw_store_t st;
  mem_open(&st, 3, 4096, FIXGW_MEM_STORE_EVICT_OLDEST);
  for (uint64_t s = 1; s <= 3; s++) assert_int_equal(st_append(&st, s, clen(s), 23), 0);
  uint64_t seq;
  const char *msg;
  size_t len;
  assert_int_equal(st.ops->iter_open(st.self, 1, 6), 0);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 1);
  assert_int_equal(st_append(&st, 4, clen(4), 23), 0); /* evicts 1 */
  assert_int_equal(st_append(&st, 5, clen(5), 23), 0); /* evicts 2 */
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 3);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 4);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 5);
  assert_true(matches(msg, len, 5, clen(5), 23));
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), FIXGW_ENOTFOUND);
  assert_int_equal(st_append(&st, 6, clen(6), 23), 0);
  assert_int_equal(st_append(&st, 7, clen(7), 23), 0);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), 0);
  assert_int_equal(seq, 6); /* in range, so seen */
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), FIXGW_ENOTFOUND);
  assert_int_equal(st.ops->reset(st.self, T0), 0);
  assert_int_equal(st.ops->iter_next(st.self, &seq, &msg, &len), FIXGW_ENOTFOUND);
  fixgw_store_destroy(&st);
}

/* An allocator that fails its Nth call and accounts for every byte. */
struct acct {
  unsigned calls, fail_at;
  size_t allocs, frees, live_bytes;
};

static void *acct_alloc(size_t n, void *user) {
  struct acct *a = user;
  if (++a->calls == a->fail_at) return NULL;
  /* A header keeps the size for free; it keeps max_align_t alignment. */
  char *p = malloc(n + alignof(max_align_t));
  if (!p) return NULL;
  memcpy(p, &n, sizeof n);
  a->allocs++;
  a->live_bytes += n;
  return p + alignof(max_align_t);
}

static void acct_free(void *ptr, void *user) {
  struct acct *a = user;
  if (!ptr) return;
  char *p = (char *)ptr - alignof(max_align_t);
  size_t n;
  memcpy(&n, p, sizeof n);
  a->frees++;
  a->live_bytes -= n;
  free(p);
}

static void test_mem_failing_allocator(void **state) {
  (void)state;
  const struct {
    uint32_t max_messages;
    size_t max_bytes;
  } shapes[] = {{4096, 1 << 20}, {1, 1}, {0, 0}, {0, 1 << 20}};
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
    int created = 0;
    for (unsigned n = 1; n <= 64 && !created; n++) {
      struct acct a = {0, n, 0, 0, 0};
      fixgw_allocator_t al = {acct_alloc, acct_free, &a};
      fixgw_mem_store_config_t cfg;
      fixgw_mem_store_config_default(&cfg);
      cfg.max_messages = shapes[k].max_messages;
      cfg.max_bytes = shapes[k].max_bytes;
      cfg.allocator = &al;
      fixgw_store_t st;
      int rc = fixgw_mem_store_create(&cfg, &st);
      if (rc == 0) {
        created = 1;
        assert_true(a.calls < n); /* it succeeded because nothing failed */
        assert_int_equal(a.allocs, 1); /* one allocation holds it all */
        /* The config's allocator struct need not outlive create: destroy
         * must free through the functions it named then. */
        al.alloc = NULL;
        al.free = NULL;
        al.user = NULL;
        for (uint64_t s = 1; s <= 100; s++) assert_int_equal(st_append(&st, s, clen(s), 24), 0);
        fixgw_store_destroy(&st);
        assert_int_equal(a.frees, 1);
      } else {
        assert_int_equal(rc, FIXGW_ENOMEM);
        assert_null(st.ops);
        assert_int_equal(a.allocs, a.frees);
      }
      assert_int_equal(a.live_bytes, 0);
    }
    assert_true(created);
  }
}

/* The store's own memory is fixed at create: 100k appends, evictions,
 * wraps, resends and resets neither allocate nor free. */
static void test_mem_bounded_memory(void **state) {
  (void)state;
  struct acct a = {0, 0, 0, 0, 0};
  fixgw_allocator_t al = {acct_alloc, acct_free, &a};
  fixgw_mem_store_config_t cfg;
  fixgw_mem_store_config_default(&cfg);
  cfg.max_messages = 1000;
  cfg.max_bytes = 64 * 1024;
  cfg.allocator = &al;
  fixgw_store_t st;
  assert_int_equal(fixgw_mem_store_create(&cfg, &st), 0);
  size_t at_create = a.live_bytes;
  assert_true(at_create >= 64 * 1024 + 1000 * 16);
  assert_true(at_create < 64 * 1024 + 1000 * 32 + 1024);
  for (uint64_t s = 1; s <= 100000; s++) {
    assert_int_equal(st_append(&st, s, len_varied(s), 25), 0);
    if (s % 20000 == 0) {
      expect_newest(&st, s, 1000, 64 * 1024, len_varied, 25);
      assert_int_equal(a.live_bytes, at_create);
    }
  }
  assert_int_equal(st.ops->reset(st.self, T0), 0);
  assert_int_equal(a.allocs, 1);
  assert_int_equal(a.frees, 0);
  assert_int_equal(a.live_bytes, at_create);
  fixgw_store_destroy(&st);
  assert_int_equal(a.live_bytes, 0);
  /* Numbers only: max_bytes is not allocated. */
  cfg.max_messages = 0;
  cfg.max_bytes = (size_t)1 << 30;
  assert_int_equal(fixgw_mem_store_create(&cfg, &st), 0);
  assert_true(a.live_bytes < 1024);
  fixgw_store_destroy(&st);
}

/* No malloc at all, from anyone, in append or iteration. */
static void test_mem_no_allocation(void **state) {
  (void)state;
  if (!fixgw_alloc_count_available()) skip();
  fixgw_store_t st;
  mem_open(&st, 500, 20000, FIXGW_MEM_STORE_EVICT_OLDEST);
  static char msgs[64][200];
  for (int i = 0; i < 64; i++) gen(msgs[i], (uint64_t)i, 200, 26);
  const fixgw_store_ops_t *o = st.ops;
  int bad = 0;
  uint64_t got = 0, s = 1, a, b;
  int64_t t;
  fixgw_alloc_count_reset();
  for (int round = 0; round < 50; round++) {
    for (int i = 0; i < 300; i++, s++)
      bad |= o->append(st.self, s, msgs[s % 64], 1 + (size_t)(s * 31 % 199)) != 0;
    bad |= o->iter_open(st.self, 1, SEQ_MAX) != 0;
    const char *msg;
    size_t len;
    uint64_t seq;
    while (o->iter_next(st.self, &seq, &msg, &len) == 0) got += len;
    o->iter_close(st.self);
    bad |= o->get_seqnums(st.self, &a, &b) != 0;
    bad |= o->creation_time(st.self, &t) != 0;
    bad |= o->set_next_target(st.self, s) != 0;
    if (round % 10 == 9) {
      s -= 100;
      bad |= o->set_next_sender(st.self, s) != 0; /* drops the newest 100 */
    }
    if (round == 25) {
      bad |= o->reset(st.self, T0) != 0;
      s = 1;
    }
  }
  uint64_t calls = fixgw_alloc_count_calls();
  assert_int_equal(calls, 0);
  assert_false(bad);
  assert_true(got > 0);
  fixgw_store_destroy(&st);
}

/* ------------------------------------------- differential, seeded, random */

static uint64_t rng_next(uint64_t *s) {
  *s += 0x9e3779b97f4a7c15u;
  return mix(*s);
}

static uint64_t rng_below(uint64_t *s, uint64_t n) { return n ? rng_next(s) % n : 0; }

/* The model: the kept messages as a deque of (seq, len, salt), the rules of
 * the header and of mem.c's top comment, nothing about layout. */
struct ref_msg {
  uint64_t seq;
  size_t len;
  uint32_t salt;
};

struct ref {
  struct ref_msg *v;
  size_t lo, hi; /* kept: v[lo..hi) */
  size_t bytes;
  uint32_t max_messages;
  size_t max_bytes;
  int refuse;
  uint64_t next_sender, next_target;
  int64_t ctime;
  int it_open;
  uint64_t it_next, it_end;
};

static int ref_append(struct ref *r, uint64_t seq, size_t len, uint32_t salt) {
  if (seq == 0 || seq == UINT64_MAX || seq < r->next_sender) return FIXGW_EINVAL;
  if (r->max_messages > 0) {
    if (len > r->max_bytes) {
      if (r->refuse) return FIXGW_EFULL;
    } else {
      if (r->refuse &&
          (r->hi - r->lo == r->max_messages || r->bytes + len > r->max_bytes))
        return FIXGW_EFULL;
      r->v[r->hi++] = (struct ref_msg){seq, len, salt};
      r->bytes += len;
      while (r->hi - r->lo > r->max_messages || r->bytes > r->max_bytes)
        r->bytes -= r->v[r->lo++].len;
    }
  }
  r->next_sender = seq + 1;
  return 0;
}

static void ref_set_next_sender(struct ref *r, uint64_t next) {
  while (r->hi > r->lo && r->v[r->hi - 1].seq >= next) r->bytes -= r->v[--r->hi].len;
  r->next_sender = next;
}

static const struct ref_msg *ref_iter_next(struct ref *r, int *rc) {
  if (!r->it_open) {
    *rc = FIXGW_ESTATE;
    return NULL;
  }
  for (size_t i = r->lo; i < r->hi; i++) {
    if (r->v[i].seq > r->it_end) break;
    if (r->v[i].seq >= r->it_next) {
      r->it_next = r->v[i].seq + 1;
      *rc = 0;
      return &r->v[i];
    }
  }
  *rc = FIXGW_ENOTFOUND;
  return NULL;
}

#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond))                                                                       \
      fail_msg("seed %llu step %d (max_messages %u max_bytes %zu %s): %s",             \
               (unsigned long long)seed, step, r.max_messages, r.max_bytes,            \
               r.refuse ? "refuse" : "evict", #cond);                                  \
  } while (0)

static void diff_run(uint64_t seed, int steps) {
  uint64_t rs = seed;
  static const uint32_t counts[] = {0, 1, 2, 5, 16, 100, 4096};
  static const size_t sizes[] = {1, 7, 64, 300, 2000};
  struct ref r;
  memset(&r, 0, sizeof r);
  r.max_messages = counts[rng_below(&rs, sizeof counts / sizeof counts[0])];
  r.max_bytes = sizes[rng_below(&rs, sizeof sizes / sizeof sizes[0])];
  r.refuse = (int)rng_below(&rs, 3) == 0;
  r.next_sender = r.next_target = 1;
  r.ctime = T0;
  r.v = calloc((size_t)steps + 1, sizeof *r.v);
  assert_non_null(r.v);
  int step = 0;

  fixgw_store_t st;
  fixgw_mem_store_config_t cfg;
  fixgw_mem_store_config_default(&cfg);
  cfg.max_messages = r.max_messages;
  cfg.max_bytes = r.max_bytes;
  cfg.policy = r.refuse ? FIXGW_MEM_STORE_REFUSE : FIXGW_MEM_STORE_EVICT_OLDEST;
  cfg.now_utc_ns = T0;
  CHECK(fixgw_mem_store_create(&cfg, &st) == 0);
  const fixgw_store_ops_t *o = st.ops;
  size_t max_len = r.max_bytes + r.max_bytes / 4 + 2;
  if (max_len > 4000) max_len = 4000;

  for (step = 0; step < steps; step++) {
    uint64_t op = rng_below(&rs, 100);
    if (op < 50) {
      uint64_t seq = r.next_sender;
      uint64_t kind = rng_below(&rs, 20);
      if (kind == 0) seq += 1 + rng_below(&rs, 3); /* a gap */
      if (kind == 1 && seq > 1) seq -= 1 + rng_below(&rs, seq - 1); /* too low */
      size_t len = rng_below(&rs, 2) ? (size_t)rng_below(&rs, max_len + 1)
                                     : (size_t)rng_below(&rs, 20);
      uint32_t salt = (uint32_t)rng_next(&rs);
      int want = ref_append(&r, seq, len, salt);
      CHECK(st_append(&st, seq, len, salt) == want);
    } else if (op < 54) {
      uint64_t next = rng_below(&rs, 2) ? r.next_sender + rng_below(&rs, 4)
                                        : 1 + rng_below(&rs, r.next_sender);
      ref_set_next_sender(&r, next);
      CHECK(o->set_next_sender(st.self, next) == 0);
    } else if (op < 56) {
      uint64_t next = 1 + rng_below(&rs, 1000);
      r.next_target = next;
      CHECK(o->set_next_target(st.self, next) == 0);
    } else if (op < 57) {
      int64_t now = T0 + (int64_t)rng_below(&rs, 1000000);
      r.lo = r.hi = 0;
      r.bytes = 0;
      r.next_sender = r.next_target = 1;
      r.ctime = now;
      CHECK(o->reset(st.self, now) == 0);
    } else if (op < 66) {
      uint64_t begin = 1 + rng_below(&rs, r.next_sender + 2);
      uint64_t span = rng_below(&rs, 12); /* from 3 below begin (empty) up */
      uint64_t end = rng_below(&rs, 4) == 0 ? SEQ_MAX
                     : begin + span >= 3    ? begin + span - 3
                                            : 0;
      r.it_open = 1;
      r.it_next = begin;
      r.it_end = end;
      CHECK(o->iter_open(st.self, begin, end) == 0);
    } else if (op < 94) {
      int want;
      const struct ref_msg *m = ref_iter_next(&r, &want);
      uint64_t seq = 0;
      const char *msg = NULL;
      size_t len = 0;
      int rc = o->iter_next(st.self, &seq, &msg, &len);
      CHECK(rc == want);
      if (m) {
        CHECK(seq == m->seq);
        CHECK(matches(msg, len, m->seq, m->len, m->salt));
      }
    } else if (op < 96) {
      r.it_open = 0;
      o->iter_close(st.self);
    } else {
      /* The whole state, through a full iteration. */
      uint64_t s = 0, t = 0;
      int64_t ct = 0;
      CHECK(o->get_seqnums(st.self, &s, &t) == 0);
      CHECK(s == r.next_sender && t == r.next_target);
      CHECK(o->creation_time(st.self, &ct) == 0);
      CHECK(ct == r.ctime);
      r.it_open = 1;
      r.it_next = 1;
      r.it_end = SEQ_MAX;
      CHECK(o->iter_open(st.self, 1, SEQ_MAX) == 0);
      for (;;) {
        int want;
        const struct ref_msg *m = ref_iter_next(&r, &want);
        uint64_t seq = 0;
        const char *msg = NULL;
        size_t len = 0;
        CHECK(o->iter_next(st.self, &seq, &msg, &len) == want);
        if (!m) break;
        CHECK(seq == m->seq);
        CHECK(matches(msg, len, m->seq, m->len, m->salt));
      }
    }
  }
  fixgw_store_destroy(&st);
  free(r.v);
}

static void test_mem_differential(void **state) {
  (void)state;
  uint64_t base = 0x5eedf1c5u;
  const char *env = getenv("FIXGW_STORE_SEED");
  if (env && *env) base = strtoull(env, NULL, 0);
  print_message("differential: seeds %llu..%llu (FIXGW_STORE_SEED sets the first)\n",
                (unsigned long long)base, (unsigned long long)(base + 59));
  for (uint64_t k = 0; k < 60; k++) diff_run(base + k, 4000);
}

/* ------------------------------------------------------------------- main */

struct bound_case {
  const struct store_factory *f;
  const struct contract_case *c;
  char name[96];
};

static void run_contract(void **state) {
  const struct bound_case *b = *state;
  b->c->fn(b->f);
}

int main(void) {
  enum {
    NF = sizeof factories / sizeof factories[0],
    NC = sizeof contract / sizeof contract[0],
  };
  static struct bound_case bound[NF * NC];
  static const struct CMUnitTest own[] = {
      cmocka_unit_test(test_mem_config_and_create),
      cmocka_unit_test(test_mem_evict_exact),
      cmocka_unit_test(test_mem_wrapped_message_contiguous),
      cmocka_unit_test(test_mem_refuse_changes_nothing),
      cmocka_unit_test(test_mem_numbers_only),
      cmocka_unit_test(test_mem_oversize),
      cmocka_unit_test(test_mem_sender_moved_back),
      cmocka_unit_test(test_mem_cursor_semantics),
      cmocka_unit_test(test_mem_failing_allocator),
      cmocka_unit_test(test_mem_bounded_memory),
      cmocka_unit_test(test_mem_no_allocation),
      cmocka_unit_test(test_mem_differential),
  };
  enum { NO = sizeof own / sizeof own[0] };
  static struct CMUnitTest tests[NF * NC + NO];
  size_t n = 0;
  for (size_t i = 0; i < NF; i++) {
    for (size_t j = 0; j < NC; j++) {
      struct bound_case *b = &bound[i * NC + j];
      b->f = &factories[i];
      b->c = &contract[j];
      snprintf(b->name, sizeof b->name, "%s/%s", factories[i].name, contract[j].name);
      tests[n++] = (struct CMUnitTest){b->name, run_contract, NULL, NULL, b};
    }
  }
  for (size_t i = 0; i < NO; i++) tests[n++] = own[i];
  int rc = _cmocka_run_group_tests("store", tests, n, NULL, NULL);
  remove_file_dir();
#ifdef FIXGW_HAVE_SQLITE
  remove_sqlite_db();
#endif
  return rc;
}
