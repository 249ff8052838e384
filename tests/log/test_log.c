/* The file log and the callback log: QuickFIX's names and line format,
 * rotation by size, by UTC day (fake times) and on request, the bound on
 * kept backups and a backup directory, a full buffer (drops counted and
 * noted), an unwritable directory and a full disk (RLIMIT_FSIZE in a
 * forked child) with recovery, very long lines, bad arguments, and no
 * allocation on the logging path. */
#include "log_util.h"

#include <errno.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <utime.h>

#include "fixgw/codec.h"

#include "fixgw/log.h"

#define T0 1796299200123456789ll /* 2026-12-03 12:00:00.123456789 UTC */
#define SEC 1000000000ll
#define DAY (86400 * SEC)
#define PFX "FIX.4.4-CLIENT-SERVER"
#define MSGS PFX ".messages.current.log"
#define EVTS PFX ".event.current.log"

static void cfg_for(fixgw_file_log_config_t *c, const char *dir) {
  fixgw_file_log_config_default(c);
  c->path = dir;
  c->prefix = PFX;
}

static void create_ok(const fixgw_file_log_config_t *c, fixgw_log_t *log) {
  assert_int_equal(fixgw_file_log_create(c, T0, log), 0);
}

static void flush_ok(fixgw_log_t *log, int64_t now) {
  int rc = fixgw_log_flush(log, now);
  if (rc < 0) {
    fixgw_log_stats_t st;
    fixgw_log_stats(log, &st);
    fail_msg("flush: %s (%s)", fixgw_strerror(rc), st.last_error_text);
  }
}

static char *backup_name(char *out, size_t cap, const char *kind, unsigned n) {
  snprintf(out, cap, PFX ".%s.backup.%u.log", kind, n);
  return out;
}

/* ------------------------------------------------------------ format */

static void test_format(void **state) {
  (void)state;
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  fixgw_file_log_config_t c;
  cfg_for(&c, dir);
  fixgw_log_t log;
  create_ok(&c, &log);
  /* The directory is made at create, both files exist before a line. */
  assert_true(lu_exists(dir, MSGS));
  assert_true(lu_exists(dir, EVTS));
  size_t n;
  const char *in = fixgw_t_soh("8=FIX.4.4|9=5|35=0|10=000|", &n);
  assert_int_equal(fixgw_log_incoming(&log, T0, in, n), 0);
  const char *out = fixgw_t_soh("8=FIX.4.4|9=5|35=1|10=001|", &n);
  assert_int_equal(fixgw_log_outgoing(&log, T0 + 1, out, n), 0);
  assert_int_equal(fixgw_log_event(&log, FIXGW_LOG_INFO, T0 + SEC, "Received logon"), 0);
  assert_int_equal(fixgw_log_event(&log, FIXGW_LOG_WARN, -1, ""), 0); /* before 1970 */
  fixgw_log_stats_t st;
  fixgw_log_stats(&log, &st);
  assert_int_equal(st.lines, 4);
  assert_true(st.buffered > 0);
  /* Nothing reaches the disk before a flush. */
  size_t len;
  char *m = lu_read(dir, MSGS, &len);
  assert_int_equal(len, 0);
  free(m);
  int wrote = fixgw_log_flush(&log, T0);
  assert_true(wrote > 0);
  fixgw_log_stats(&log, &st);
  assert_int_equal(st.buffered, 0);
  assert_int_equal(st.bytes_written, (uint64_t)wrote);
  assert_false(st.failing);
  m = lu_read(dir, MSGS, &len);
  char want[256];
  snprintf(want, sizeof want, "20261203-12:00:00.123456789 : %s\n20261203-12:00:00.123456790 : %s\n",
           fixgw_t_soh("8=FIX.4.4|9=5|35=0|10=000|", NULL),
           fixgw_t_soh("8=FIX.4.4|9=5|35=1|10=001|", NULL));
  assert_string_equal(m, want);
  free(m);
  char *e = lu_read(dir, EVTS, NULL);
  assert_string_equal(e, "20261203-12:00:01.123456789 : Received logon\n"
                         "19691231-23:59:59.999999999 : \n");
  free(e);
  fixgw_log_destroy(&log);
  assert_null(log.ops);
  fixgw_log_destroy(&log); /* a zeroed log */

  /* A second log on the same files appends (QuickFIX opens with app). */
  create_ok(&c, &log);
  assert_int_equal(fixgw_log_event(&log, FIXGW_LOG_INFO, T0, "again"), 0);
  fixgw_log_destroy(&log); /* flushes */
  e = lu_read(dir, EVTS, NULL);
  assert_int_equal(lu_count(e, "\n"), 3);
  assert_non_null(strstr(e, " : again\n"));
  free(e);
}

/* The log's own timestamp (a date cached per day) against the codec's,
 * at random instants from 1970 to 2262 and around midnights. */
static void test_timestamps(void **state) {
  (void)state;
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  fixgw_file_log_config_t c;
  cfg_for(&c, dir);
  fixgw_log_t log;
  create_ok(&c, &log);
  unsigned seed = (unsigned)time(NULL);
  const char *env = getenv("FIXGW_TEST_SEED");
  if (env) seed = (unsigned)strtoul(env, NULL, 10);
  print_message("  seed %u (FIXGW_TEST_SEED=%u replays it)\n", seed, seed);
  srand(seed);
  enum { NT = 2000 };
  static int64_t t[NT];
  for (int i = 0; i < NT; i++) {
    uint64_t r = ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^ (uint64_t)rand();
    if (i % 4 == 0) r = (r % 100000) * (uint64_t)DAY + (uint64_t)DAY - 1 - r % 3; /* near midnight */
    t[i] = (int64_t)(r & (((uint64_t)1 << 63) - 1));
    if (i % 8 == 0 && i) t[i] = t[i - 1] + 1; /* same day, cached date */
    assert_int_equal(fixgw_log_incoming(&log, t[i], "x", 1), 0);
  }
  flush_ok(&log, T0);
  char *b = lu_read(dir, MSGS, NULL);
  const char *q = b;
  for (int i = 0; i < NT; i++) {
    char want[40];
    assert_int_equal(fixgw_timestamp_format(t[i], FIXGW_TS_NANOS, want, sizeof want), 27);
    if (memcmp(q, want, 27) != 0) fail_msg("t=%lld: %.27s, want %s", (long long)t[i], q, want);
    assert_memory_equal(q + 27, " : x\n", 5);
    q += 32;
  }
  assert_int_equal(*q, '\0');
  free(b);
  fixgw_log_destroy(&log);
}

static void test_prefix(void **state) {
  (void)state;
  fixgw_session_id_t id;
  memset(&id, 0, sizeof id);
  id.version = FIXGW_V_FIX44;
  strcpy(id.sender_comp_id, "CLIENT");
  strcpy(id.target_comp_id, "SERVER");
  char b[64];
  assert_int_equal(fixgw_log_prefix(&id, NULL, b, sizeof b), (int)strlen(PFX));
  assert_string_equal(b, PFX);
  assert_int_equal(fixgw_log_prefix(&id, "q1", b, sizeof b), (int)strlen(PFX "-q1"));
  assert_string_equal(b, PFX "-q1");
  /* Exactly enough room, and one byte short. */
  assert_int_equal(fixgw_log_prefix(&id, NULL, b, strlen(PFX) + 1), (int)strlen(PFX));
  assert_int_equal(fixgw_log_prefix(&id, NULL, b, strlen(PFX)), FIXGW_ENOSPC);
  /* A CompID cannot climb out of the directory. */
  strcpy(id.target_comp_id, "../x/\n");
  assert_true(fixgw_log_prefix(&id, NULL, b, sizeof b) > 0);
  assert_string_equal(b, "FIX.4.4-CLIENT-.._x__");
  assert_null(strchr(b, '/'));
  id.version = FIXGW_V_FIXT11;
  assert_true(fixgw_log_prefix(&id, NULL, b, sizeof b) > 0);
  assert_int_equal(strncmp(b, "FIXT.1.1-", 9), 0);
  id.target_comp_id[0] = '\0';
  assert_int_equal(fixgw_log_prefix(&id, NULL, b, sizeof b), FIXGW_EINVAL);
  strcpy(id.target_comp_id, "S");
  id.version = (fixgw_version)99;
  assert_int_equal(fixgw_log_prefix(&id, NULL, b, sizeof b), FIXGW_EINVAL);
  assert_int_equal(fixgw_log_prefix(NULL, NULL, b, sizeof b), FIXGW_EINVAL);
}

static void test_bad_arguments(void **state) {
  (void)state;
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  fixgw_file_log_config_t c;
  fixgw_log_t log = {NULL, NULL};
  const char *bad[] = {"", ".", "..", "a/b", "/abs"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cfg_for(&c, dir);
    c.prefix = bad[i];
    assert_int_equal(fixgw_file_log_create(&c, T0, &log), FIXGW_EINVAL);
  }
  cfg_for(&c, dir);
  c.prefix = NULL;
  assert_int_equal(fixgw_file_log_create(&c, T0, &log), FIXGW_EINVAL);
  cfg_for(&c, dir);
  c.size = 4;
  assert_int_equal(fixgw_file_log_create(&c, T0, &log), FIXGW_EINVAL);
  char longp[5000];
  memset(longp, 'a', sizeof longp - 1);
  longp[sizeof longp - 1] = '\0';
  cfg_for(&c, longp);
  assert_int_equal(fixgw_file_log_create(&c, T0, &log), FIXGW_EINVAL);
  assert_int_equal(fixgw_file_log_create(NULL, T0, &log), FIXGW_EINVAL);
  assert_null(log.ops);
  cfg_for(&c, dir);
  create_ok(&c, &log);
  assert_int_equal(fixgw_log_write(&log, FIXGW_LOG_IN, FIXGW_LOG_INFO, T0, NULL, 3),
                   FIXGW_EINVAL);
  assert_int_equal(fixgw_log_write(&log, (fixgw_log_kind)7, FIXGW_LOG_INFO, T0, "x", 1),
                   FIXGW_EINVAL);
  assert_int_equal(fixgw_log_write(&log, FIXGW_LOG_IN, FIXGW_LOG_INFO, T0, NULL, 0), 0);
  assert_int_equal(fixgw_log_write(NULL, FIXGW_LOG_IN, FIXGW_LOG_INFO, T0, "x", 1),
                   FIXGW_EINVAL);
  assert_int_equal(fixgw_log_flush(NULL, T0), FIXGW_EINVAL);
  fixgw_log_stats_t st;
  fixgw_log_stats(&log, &st);
  assert_int_equal(st.lines, 1);
  fixgw_log_destroy(&log);
}

/* The host's allocator: the k-th allocation fails; every one is freed. */
typedef struct failing {
  int fail_at, calls, live;
} failing_t;

static void *f_alloc(size_t n, void *u) {
  failing_t *f = u;
  if (f->calls++ == f->fail_at) return NULL;
  f->live++;
  return malloc(n);
}

static void f_free(void *p, void *u) {
  ((failing_t *)u)->live--;
  free(p);
}

static void test_allocation_failure(void **state) {
  (void)state;
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  int total = -1;
  for (int k = 0; k < 16; k++) {
    failing_t f = {k, 0, 0};
    fixgw_allocator_t a = {f_alloc, f_free, &f};
    fixgw_file_log_config_t c;
    cfg_for(&c, dir);
    c.allocator = &a;
    fixgw_log_t log = {NULL, NULL};
    int rc = fixgw_file_log_create(&c, T0, &log);
    if (rc == 0) {
      total = k; /* every allocation before k succeeded */
      assert_int_equal(fixgw_log_event(&log, FIXGW_LOG_INFO, T0, "x"), 0);
      fixgw_log_destroy(&log);
      assert_int_equal(f.live, 0);
      break;
    }
    assert_int_equal(rc, FIXGW_ENOMEM);
    assert_null(log.ops);
    assert_int_equal(f.live, 0);
  }
  assert_true(total > 0); /* create allocates, and only a few times */
}

/* ------------------------------------------------------- callback log */

typedef struct seen {
  int n;
  fixgw_log_kind kind[4];
  fixgw_log_level level[4];
  int64_t t[4];
  char text[4][32];
} seen_t;

static void on_line(fixgw_log_kind k, fixgw_log_level lv, int64_t t, const char *text, size_t len,
                    void *user) {
  seen_t *s = user;
  if (s->n >= 4) return;
  s->kind[s->n] = k;
  s->level[s->n] = lv;
  s->t[s->n] = t;
  snprintf(s->text[s->n], sizeof s->text[0], "%.*s", (int)len, text);
  s->n++;
}

static void test_callback_log(void **state) {
  (void)state;
  fixgw_callback_log_t cl;
  fixgw_log_t log;
  seen_t s;
  memset(&s, 0, sizeof s);
  assert_int_equal(fixgw_callback_log_init(&cl, NULL, &s, &log), FIXGW_EINVAL);
  assert_int_equal(fixgw_callback_log_init(&cl, on_line, &s, &log), 0);
  assert_int_equal(fixgw_log_incoming(&log, T0, "abcdef", 3), 0);
  assert_int_equal(fixgw_log_outgoing(&log, T0 + 1, "xyz", 3), 0);
  assert_int_equal(fixgw_log_event(&log, FIXGW_LOG_ERROR, T0 + 2, "bad"), 0);
  assert_int_equal(s.n, 3); /* at once, no flush needed */
  assert_int_equal(s.kind[0], FIXGW_LOG_IN);
  assert_string_equal(s.text[0], "abc");
  assert_int_equal(s.kind[1], FIXGW_LOG_OUT);
  assert_int_equal(s.t[1], T0 + 1);
  assert_int_equal(s.kind[2], FIXGW_LOG_EVENT);
  assert_int_equal(s.level[2], FIXGW_LOG_ERROR);
  assert_string_equal(s.text[2], "bad");
  assert_int_equal(fixgw_log_flush(&log, T0), 0);
  assert_int_equal(fixgw_log_rotate(&log), FIXGW_ENOTSUP);
  fixgw_log_stats_t st;
  fixgw_log_stats(&log, &st);
  assert_int_equal(st.lines, 3);
  fixgw_log_destroy(&log);
}

/* ----------------------------------------------------------- rotation */

/* Every line "... : L<i> <pad>" for i in [0, n) appears once, in order,
 * across backups 1..nb then current; each file holds whole lines. */
static void expect_sequence(const char *dir, const char *kind, unsigned nb, unsigned n,
                            uint64_t max_file) {
  unsigned next = 0;
  for (unsigned f = 1; f <= nb + 1; f++) {
    char name[128];
    if (f <= nb) backup_name(name, sizeof name, kind, f);
    else snprintf(name, sizeof name, PFX ".%s.current.log", kind);
    size_t len;
    char *b = lu_read(dir, name, &len);
    if (!b) fail_msg("missing %s", name);
    if (max_file) assert_true(len <= max_file);
    if (len) assert_int_equal(b[len - 1], '\n');
    for (char *line = b; *line;) {
      char *nl = strchr(line, '\n');
      assert_non_null(nl);
      unsigned v;
      if (sscanf(line + 30, "L%u", &v) != 1) fail_msg("%s: bad line %.40s", name, line);
      assert_int_equal(v, next);
      next++;
      line = nl + 1;
    }
    free(b);
  }
  assert_int_equal(next, n);
}

static void log_lines(fixgw_log_t *log, unsigned from, unsigned to, int64_t t) {
  for (unsigned i = from; i < to; i++) {
    char line[128];
    int k = snprintf(line, sizeof line, "L%u %.*s", i, (int)(i % 50), "..................................................");
    assert_int_equal(fixgw_log_write(log, FIXGW_LOG_IN, FIXGW_LOG_INFO, t, line, (size_t)k), 0);
  }
}

static void test_rotate_size(void **state) {
  (void)state;
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  fixgw_file_log_config_t c;
  cfg_for(&c, dir);
  c.rotate_bytes = 1000;
  fixgw_log_t log;
  create_ok(&c, &log);
  /* Some flushes carry many files' worth, some a few lines. */
  unsigned n = 0;
  for (unsigned round = 0; round < 20; round++) {
    unsigned k = round % 3 == 0 ? 60 : 3;
    log_lines(&log, n, n + k, T0);
    n += k;
    flush_ok(&log, T0);
  }
  fixgw_log_stats_t st;
  fixgw_log_stats(&log, &st);
  assert_true(st.rotations >= 5);
  expect_sequence(dir, "messages", (unsigned)st.rotations, n, 1000);
  /* A single line longer than the bound gets a file of its own. */
  char big[1500];
  memset(big, 'x', sizeof big);
  memcpy(big, "L", 1);
  int k = snprintf(big, sizeof big, "L%u ", n);
  big[k] = 'x';
  assert_int_equal(fixgw_log_incoming(&log, T0, big, sizeof big), 0);
  log_lines(&log, n + 1, n + 3, T0);
  flush_ok(&log, T0);
  fixgw_log_stats_t st2;
  fixgw_log_stats(&log, &st2);
  expect_sequence(dir, "messages", (unsigned)st2.rotations, n + 3, 0);
  char name[128];
  size_t len;
  char *b = lu_read(dir, backup_name(name, sizeof name, "messages", (unsigned)st2.rotations), &len);
  assert_int_equal(len, 30 + sizeof big + 1); /* the big line, alone */
  free(b);
  fixgw_log_destroy(&log);
}

static void test_rotate_day(void **state) {
  (void)state;
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  fixgw_file_log_config_t c;
  cfg_for(&c, dir);
  c.rotate_daily = true;
  fixgw_log_t log;
  create_ok(&c, &log);
  int64_t midnight = (T0 / DAY + 1) * DAY;
  log_lines(&log, 0, 3, midnight - 2 * SEC);
  log_lines(&log, 3, 4, midnight - 1); /* the last ns of the day */
  log_lines(&log, 4, 6, midnight);     /* the first of the next */
  assert_int_equal(fixgw_log_event(&log, FIXGW_LOG_INFO, midnight - 1, "L0 late"), 0);
  assert_int_equal(fixgw_log_event(&log, FIXGW_LOG_INFO, midnight + SEC, "L1 early"), 0);
  /* One flush after midnight: the day comes from the lines, not from it. */
  flush_ok(&log, midnight + 10 * SEC);
  char name[128];
  char *b = lu_read(dir, backup_name(name, sizeof name, "messages", 1), NULL);
  assert_non_null(b);
  assert_int_equal(lu_count(b, "\n"), 4);
  assert_non_null(strstr(b, "20261203-23:59:59.999999999 : L3"));
  free(b);
  b = lu_read(dir, MSGS, NULL);
  assert_int_equal(lu_count(b, "\n"), 2);
  assert_int_equal(strncmp(b, "20261204-00:00:00.000000000 : L4", 32), 0);
  free(b);
  expect_sequence(dir, "messages", 1, 6, 0);
  expect_sequence(dir, "event", 1, 2, 0);
  /* Days later, across several days in one buffer: one file per day. */
  log_lines(&log, 6, 7, midnight + 3 * DAY);
  log_lines(&log, 7, 8, midnight + 4 * DAY);
  flush_ok(&log, midnight + 5 * DAY);
  expect_sequence(dir, "messages", 3, 8, 0);
  fixgw_log_destroy(&log);

  /* A current file left by an earlier run on an earlier day is rotated
   * at the first line of a new day; one from the same day is kept. */
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, MSGS);
  struct utimbuf ut = {(time_t)((midnight + 4 * DAY) / SEC), (time_t)((midnight + 4 * DAY) / SEC)};
  assert_int_equal(utime(path, &ut), 0);
  create_ok(&c, &log);
  log_lines(&log, 8, 9, midnight + 4 * DAY + SEC);
  flush_ok(&log, midnight + 4 * DAY + SEC);
  expect_sequence(dir, "messages", 3, 9, 0);
  fixgw_log_destroy(&log);
  create_ok(&c, &log);
  log_lines(&log, 9, 10, midnight + 5 * DAY);
  flush_ok(&log, midnight + 5 * DAY);
  expect_sequence(dir, "messages", 4, 10, 0);
  b = lu_read(dir, MSGS, NULL);
  assert_int_equal(lu_count(b, "\n"), 1);
  free(b);
  fixgw_log_destroy(&log);
}

static void test_keep_and_backup_dir(void **state) {
  (void)state;
  char dir[128], bdir[160];
  lu_new_dir(dir, sizeof dir);
  snprintf(bdir, sizeof bdir, "%s/old/er", dir);
  fixgw_file_log_config_t c;
  cfg_for(&c, dir);
  c.backup_path = bdir;
  c.keep = 3;
  fixgw_log_t log;
  create_ok(&c, &log);
  for (unsigned i = 0; i < 10; i++) {
    log_lines(&log, i, i + 1, T0);
    assert_int_equal(fixgw_log_rotate(&log), 0);
    flush_ok(&log, T0);
  }
  /* An empty file is not rotated: asking twice makes one backup. */
  assert_int_equal(fixgw_log_rotate(&log), 0);
  flush_ok(&log, T0);
  fixgw_log_stats_t st;
  fixgw_log_stats(&log, &st);
  assert_int_equal(st.rotations, 10);
  char name[128];
  for (unsigned n = 1; n <= 10; n++)
    assert_int_equal(lu_exists(bdir, backup_name(name, sizeof name, "messages", n)), n >= 8);
  assert_false(lu_exists(dir, backup_name(name, sizeof name, "messages", 10)));
  /* The event file had no lines: never rotated. */
  assert_false(lu_exists(bdir, backup_name(name, sizeof name, "event", 1)));
  char *b = lu_read(bdir, backup_name(name, sizeof name, "messages", 10), NULL);
  assert_non_null(strstr(b, " : L9 "));
  free(b);
  fixgw_log_destroy(&log);
  /* Reopened, numbering goes on after the highest backup; a smaller keep
   * prunes at create. */
  c.keep = 1;
  create_ok(&c, &log);
  assert_false(lu_exists(bdir, backup_name(name, sizeof name, "messages", 9)));
  assert_true(lu_exists(bdir, backup_name(name, sizeof name, "messages", 10)));
  log_lines(&log, 10, 11, T0);
  assert_int_equal(fixgw_log_rotate(&log), 0);
  flush_ok(&log, T0);
  assert_true(lu_exists(bdir, backup_name(name, sizeof name, "messages", 11)));
  assert_false(lu_exists(bdir, backup_name(name, sizeof name, "messages", 10)));
  fixgw_log_destroy(&log);
  /* Rotation requests queue up to the marks' bound. */
  create_ok(&c, &log);
  int rc = 0, k = 0;
  for (; k < 100 && (rc = fixgw_log_rotate(&log)) == 0; k++) {}
  assert_int_equal(rc, FIXGW_EFULL);
  assert_true(k > 0);
  flush_ok(&log, T0);
  assert_int_equal(fixgw_log_rotate(&log), 0);
  fixgw_log_destroy(&log);
}

/* -------------------------------------------------------- buffer full */

static void test_buffer_full(void **state) {
  (void)state;
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  fixgw_file_log_config_t c;
  cfg_for(&c, dir);
  c.buffer_bytes = 4096;
  fixgw_log_t log;
  create_ok(&c, &log);
  unsigned ok = 0, dropped = 0;
  for (unsigned i = 0; i < 200; i++) {
    char line[64];
    int k = snprintf(line, sizeof line, "L%u ........................................", i);
    int rc = fixgw_log_incoming(&log, T0, line, (size_t)k);
    if (rc == 0) {
      assert_int_equal(dropped, 0); /* once full, full until a flush */
      ok++;
    } else {
      assert_int_equal(rc, FIXGW_EFULL);
      dropped++;
    }
  }
  assert_true(ok > 10 && dropped > 10);
  fixgw_log_stats_t st;
  fixgw_log_stats(&log, &st);
  assert_int_equal(st.lines, ok);
  assert_int_equal(st.dropped, dropped);
  /* Events have a buffer of their own. */
  assert_int_equal(fixgw_log_event(&log, FIXGW_LOG_INFO, T0, "still here"), 0);
  flush_ok(&log, T0);
  assert_int_equal(fixgw_log_incoming(&log, T0 + SEC, "after", 5), 0);
  flush_ok(&log, T0 + SEC);
  char *b = lu_read(dir, MSGS, NULL);
  assert_int_equal(lu_count(b, "\n"), ok + 2);
  char want[128];
  snprintf(want, sizeof want,
           "20261203-12:00:01.123456789 : fixgw log: %u lines dropped (buffer full)\n"
           "20261203-12:00:01.123456789 : after\n",
           dropped);
  assert_non_null(strstr(b, want));
  free(b);
  /* The note is written once. */
  assert_int_equal(fixgw_log_incoming(&log, T0, "x", 1), 0);
  flush_ok(&log, T0);
  b = lu_read(dir, MSGS, NULL);
  assert_int_equal(lu_count(b, "lines dropped"), 1);
  free(b);
  fixgw_log_destroy(&log);
}

/* ------------------------------------------------------- long lines */

static void test_long_lines(void **state) {
  (void)state;
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  fixgw_file_log_config_t c;
  cfg_for(&c, dir);
  c.buffer_bytes = 8192;
  c.max_line = 1000000; /* clamped to half the buffer */
  fixgw_log_t log;
  create_ok(&c, &log);
  size_t big = 1 << 20;
  char *text = malloc(big);
  assert_non_null(text);
  for (size_t i = 0; i < big; i++) text[i] = (char)('a' + i % 26);
  /* Exactly the bound: whole. One more: cut, with a note. */
  assert_int_equal(fixgw_log_incoming(&log, T0, text, 4096), 0);
  flush_ok(&log, T0);
  assert_int_equal(fixgw_log_incoming(&log, T0, text, 4097), 0);
  flush_ok(&log, T0);
  assert_int_equal(fixgw_log_incoming(&log, T0, text, big), 0);
  flush_ok(&log, T0);
  fixgw_log_stats_t st;
  fixgw_log_stats(&log, &st);
  assert_int_equal(st.truncated, 2);
  assert_int_equal(st.dropped, 0);
  size_t len;
  char *b = lu_read(dir, MSGS, &len);
  char *l1 = b, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
  assert_int_equal(l2 - l1, 30 + 4096 + 1);
  assert_memory_equal(l1 + 30, text, 4096);
  assert_memory_equal(l2 + 30, text, 4096);
  assert_int_equal(strncmp(l2 + 30 + 4096, " [fixgw log: cut from 4097 bytes]\n", 34), 0);
  assert_int_equal(strncmp(l3 + 30 + 4096, " [fixgw log: cut from 1048576 bytes]\n", 37), 0);
  free(b);
  /* Lines that wrap the ring's end come out whole: many odd sizes. */
  uint64_t before = len;
  size_t sum = 0;
  for (unsigned i = 0; i < 300; i++) {
    size_t n = 100 + (i * 977) % 3000;
    assert_int_equal(fixgw_log_incoming(&log, T0, text + i % 26, n), 0);
    sum += 30 + n + 1;
    flush_ok(&log, T0);
  }
  b = lu_read(dir, MSGS, &len);
  assert_int_equal(len, before + sum);
  char *p = b + before;
  for (unsigned i = 0; i < 300; i++) {
    size_t n = 100 + (i * 977) % 3000;
    assert_memory_equal(p + 30, text + i % 26, n);
    assert_int_equal(p[30 + n], '\n');
    p += 30 + n + 1;
  }
  free(b);
  free(text);
  fixgw_log_destroy(&log);
}

/* --------------------------------------------------- unwritable paths */

static void test_unwritable_dir(void **state) {
  (void)state;
  char dir[128], path[160];
  lu_new_dir(dir, sizeof dir);
  assert_int_equal(mkdir(dir, 0755), 0);
  /* The log directory's parent is a plain file: nothing can be made. */
  snprintf(path, sizeof path, "%s/blocker/logs", dir);
  char blocker[160];
  snprintf(blocker, sizeof blocker, "%s/blocker", dir);
  FILE *f = fopen(blocker, "w");
  assert_non_null(f);
  fclose(f);
  fixgw_file_log_config_t c;
  cfg_for(&c, path);
  c.retry_ns = 5 * SEC;
  fixgw_log_t log;
  create_ok(&c, &log); /* not an error at create */
  fixgw_log_stats_t st;
  fixgw_log_stats(&log, &st);
  assert_true(st.failing);
  assert_int_equal(st.last_error, FIXGW_EIO);
  assert_non_null(strstr(st.last_error_text, blocker));
  log_lines(&log, 0, 5, T0);
  int rc = fixgw_log_flush(&log, T0);
  assert_int_equal(rc, FIXGW_EIO);
  uint64_t errs = st.errors;
  /* Before retry_ns, no new attempt. */
  assert_int_equal(fixgw_log_flush(&log, T0 + SEC), FIXGW_EIO);
  fixgw_log_stats(&log, &st);
  assert_int_equal(st.errors, errs);
  assert_true(st.buffered > 0);
  log_lines(&log, 5, 8, T0);
  /* The disk is fixed: the next attempt writes it all, once. */
  assert_int_equal(unlink(blocker), 0);
  assert_true(fixgw_log_flush(&log, T0 + 5 * SEC) > 0);
  fixgw_log_stats(&log, &st);
  assert_false(st.failing);
  assert_int_equal(st.buffered, 0);
  assert_non_null(strstr(st.last_error_text, blocker)); /* history kept */
  expect_sequence(path, "messages", 0, 8, 0);
  fixgw_log_destroy(&log);

  /* Permission denied: a read-only bind mount (root ignores mode bits),
   * or mode 0500 for others. */
  char ro[160];
  snprintf(ro, sizeof ro, "%s/ro", dir);
  assert_int_equal(mkdir(ro, 0755), 0);
  int mounted = 0;
  if (geteuid() == 0) {
    if (mount(ro, ro, NULL, MS_BIND, NULL) == 0) {
      if (mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0) mounted = 1;
      else umount2(ro, 0);
    }
    if (!mounted) {
      print_message("  no read-only bind mount here (%s): permission case skipped\n",
                    strerror(errno));
      return;
    }
  } else {
    assert_int_equal(chmod(ro, 0500), 0);
  }
  cfg_for(&c, ro);
  c.retry_ns = SEC;
  create_ok(&c, &log);
  log_lines(&log, 0, 3, T0);
  int denied = fixgw_log_flush(&log, T0);
  fixgw_log_stats(&log, &st);
  /* Undo the mount before any assertion can leave it behind. */
  if (mounted) assert_int_equal(umount2(ro, 0), 0);
  else assert_int_equal(chmod(ro, 0755), 0);
  assert_int_equal(denied, FIXGW_EPERM);
  assert_true(st.failing);
  assert_non_null(strstr(st.last_error_text, "open "));
  assert_non_null(strstr(st.last_error_text, ro));
  assert_non_null(strstr(st.last_error_text, ".current.log: "));
  assert_true(fixgw_log_flush(&log, T0 + SEC) > 0);
  expect_sequence(ro, "messages", 0, 3, 0);
  fixgw_log_destroy(&log);
}

/* A file size limit in a child (SIGXFSZ ignored: write fails with EFBIG),
 * then raised again: the log reports, keeps the bytes, and recovers with
 * every line exactly once. Exit status 0 when all held. */
static int full_disk_child(const char *dir) {
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit old, lim;
  if (getrlimit(RLIMIT_FSIZE, &old)) return 10;
  fixgw_file_log_config_t c;
  cfg_for(&c, dir);
  c.retry_ns = SEC;
  fixgw_log_t log;
  if (fixgw_file_log_create(&c, T0, &log)) return 11;
  lim = old;
  lim.rlim_cur = 2000;
  if (setrlimit(RLIMIT_FSIZE, &lim)) return 12;
  log_lines(&log, 0, 100, T0);
  int rc = fixgw_log_flush(&log, T0);
  if (rc != FIXGW_EFULL) return 13;
  fixgw_log_stats_t st;
  fixgw_log_stats(&log, &st);
  if (!st.failing || st.last_error != FIXGW_EFULL) return 14;
  if (!strstr(st.last_error_text, "write ") || !strstr(st.last_error_text, MSGS)) return 15;
  if (st.bytes_written > 2000 || st.bytes_written == 0) return 16;
  log_lines(&log, 100, 120, T0);
  if (setrlimit(RLIMIT_FSIZE, &old)) return 17;
  if (fixgw_log_flush(&log, T0 + SEC) <= 0) return 18;
  fixgw_log_stats(&log, &st);
  if (st.failing || st.buffered) return 19;
  fixgw_log_destroy(&log);
  return 0;
}

static void test_full_disk(void **state) {
  (void)state;
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(full_disk_child(dir));
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  /* The partial line cut by the limit was completed after: no tear. */
  expect_sequence(dir, "messages", 0, 120, 0);
}

/* A real ENOSPC where a tmpfs can be mounted (root): a small tmpfs filled
 * up by another file, then room made by deleting it. */
/* The tmpfs case's steps; a failure is returned, not asserted, so the
 * caller can unmount first. */
static const char *tmpfs_steps(const char *dir) {
  char filler[160];
  snprintf(filler, sizeof filler, "%s/filler", dir);
  FILE *f = fopen(filler, "w");
  if (!f) return "filler";
  static char block[4096];
  while (fwrite(block, 1, sizeof block, f) == sizeof block && fflush(f) == 0) {}
  fclose(f);
  fixgw_file_log_config_t c;
  cfg_for(&c, dir);
  c.retry_ns = SEC;
  fixgw_log_t log;
  if (fixgw_file_log_create(&c, T0, &log)) return "create";
  log_lines(&log, 0, 200, T0);
  const char *bad = NULL;
  fixgw_log_stats_t st;
  if (fixgw_log_flush(&log, T0) != FIXGW_EFULL) bad = "flush on a full disk is not EFULL";
  fixgw_log_stats(&log, &st);
  if (!bad && (!st.failing || !strstr(st.last_error_text, MSGS) ||
               !strstr(st.last_error_text, strerror(ENOSPC))))
    bad = "full disk not reported";
  if (!bad && unlink(filler)) bad = "unlink";
  if (!bad && fixgw_log_flush(&log, T0 + SEC) <= 0) bad = "no recovery";
  fixgw_log_stats(&log, &st);
  if (!bad && st.failing) bad = "still failing";
  fixgw_log_destroy(&log);
  return bad;
}

/* A real ENOSPC where a tmpfs can be mounted (root): a small tmpfs filled
 * up by another file, then room made by deleting it. */
static void test_full_tmpfs(void **state) {
  (void)state;
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  assert_int_equal(mkdir(dir, 0755), 0);
  if (mount("fixgw-log-test", dir, "tmpfs", 0, "size=64k") != 0) {
    print_message("  tmpfs not mountable (%s): skipped (RLIMIT_FSIZE case covers EFBIG)\n",
                  strerror(errno));
    skip();
  }
  const char *bad = tmpfs_steps(dir);
  /* Every line once, in order, read before the files go with the mount. */
  char *b = bad ? NULL : lu_read(dir, MSGS, NULL);
  assert_int_equal(umount2(dir, 0), 0);
  if (bad) fail_msg("%s", bad);
  assert_non_null(b);
  unsigned next = 0;
  for (char *line = b; *line; next++) {
    unsigned v;
    assert_int_equal(sscanf(line + 30, "L%u", &v), 1);
    assert_int_equal(v, next);
    char *nl = strchr(line, '\n');
    assert_non_null(nl);
    line = nl + 1;
  }
  assert_int_equal(next, 200);
  free(b);
}

/* ------------------------------------------------------ no allocation */

static void test_no_allocation(void **state) {
  (void)state;
  if (!fixgw_alloc_count_available()) skip();
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  fixgw_file_log_config_t c;
  cfg_for(&c, dir);
  c.buffer_bytes = 8192;
  c.rotate_bytes = 20000;
  c.rotate_daily = true;
  c.keep = 2;
  fixgw_log_t log;
  create_ok(&c, &log);
  char *big = malloc(10000);
  assert_non_null(big);
  memset(big, 'b', 10000);
  fixgw_alloc_count_reset();
  /* Writes, drops, cut lines, flushes, rotations by size, day and request,
   * and pruning of old backups. */
  for (unsigned i = 0; i < 2000; i++) {
    int64_t t = T0 + (int64_t)i * (DAY / 100);
    log_lines(&log, i, i + 1, t);
    fixgw_log_event(&log, FIXGW_LOG_INFO, t, "event");
    if (i % 7 == 0) fixgw_log_incoming(&log, t, big, 10000);
    if (i % 100 == 0) fixgw_log_rotate(&log);
    if (i % 3 == 0) flush_ok(&log, t);
  }
  fixgw_log_stats_t st;
  fixgw_log_stats(&log, &st);
  assert_int_equal(fixgw_alloc_count_calls(), 0);
  assert_true(st.rotations > 20);
  assert_true(st.truncated > 0);
  free(big);
  fixgw_log_destroy(&log);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format),         cmocka_unit_test(test_timestamps),
      cmocka_unit_test(test_prefix),
      cmocka_unit_test(test_bad_arguments),  cmocka_unit_test(test_allocation_failure),
      cmocka_unit_test(test_callback_log),
      cmocka_unit_test(test_rotate_size),    cmocka_unit_test(test_rotate_day),
      cmocka_unit_test(test_keep_and_backup_dir), cmocka_unit_test(test_buffer_full),
      cmocka_unit_test(test_long_lines),     cmocka_unit_test(test_unwritable_dir),
      cmocka_unit_test(test_full_disk),      cmocka_unit_test(test_full_tmpfs),
      cmocka_unit_test(test_no_allocation),
  };
  return cmocka_run_group_tests(tests, lu_setup, lu_teardown);
}
