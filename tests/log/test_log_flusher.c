/* The flusher thread beside a writer (run under TSan: label concurrent).
 * Two logs, one rotating by size, small buffers so lines drop while the
 * flusher sleeps: after stop, the files hold exactly the accepted lines,
 * in order, whole, and the drop notes add up to the drops counted; host
 * flushes meanwhile only ever return bytes or FIXGW_EBUSY. */
#include "log_util.h"

#include <time.h>

#include "fixgw/log.h"

#define T0 1796299200000000000ll
#define N 40000u
#define PFX_A "FIX.4.4-A-B"
#define PFX_B "FIX.4.4-C-D"

/* The lines of one file kind of one log in order: checks each against
 * the accepted bitmap and sums drop notes. */
static void scan_file(const char *dir, const char *name, const uint8_t *ok, unsigned *next,
                      uint64_t *notes) {
  size_t len;
  char *b = lu_read(dir, name, &len);
  if (!b) fail_msg("missing %s", name);
  if (len) assert_int_equal(b[len - 1], '\n');
  for (char *line = b; *line;) {
    char *nl = strchr(line, '\n');
    assert_non_null(nl);
    assert_true(nl - line > 30);
    unsigned v;
    unsigned long long d;
    if (sscanf(line + 30, "fixgw log: %llu lines dropped", &d) == 1) {
      *notes += d;
    } else {
      assert_int_equal(sscanf(line + 30, "L%u", &v), 1);
      while (*next < v) {
        assert_int_equal(ok[*next], 0); /* skipped lines were refused */
        ++*next;
      }
      assert_int_equal(v, *next);
      assert_int_equal(ok[v], 1);
      ++*next;
    }
    line = nl + 1;
  }
  free(b);
}

static void test_flusher(void **state) {
  (void)state;
  char dir[128];
  lu_new_dir(dir, sizeof dir);
  fixgw_file_log_config_t c;
  fixgw_file_log_config_default(&c);
  c.path = dir;
  c.buffer_bytes = 16384;
  fixgw_log_t logs[2];
  c.prefix = PFX_A;
  assert_int_equal(fixgw_file_log_create(&c, T0, &logs[0]), 0);
  c.prefix = PFX_B;
  c.rotate_bytes = 200000;
  assert_int_equal(fixgw_file_log_create(&c, T0, &logs[1]), 0);
  uint8_t *ok[2] = {calloc(N, 1), calloc(N, 1)};
  assert_non_null(ok[0]);
  assert_non_null(ok[1]);
  fixgw_log_flusher_t f;
  memset(&f, 0, sizeof f);
  fixgw_log_flusher_config_t fc = {"fixgw-log-test", NULL, 200000};
  assert_int_equal(fixgw_log_flusher_start(&f, logs, 2, &fc), 0);
  assert_int_equal(fixgw_log_flusher_start(&f, logs, 2, &fc), FIXGW_EINVAL);
  uint64_t refused = 0;
  for (unsigned i = 0; i < N; i++) {
    char line[96];
    int k = snprintf(line, sizeof line, "L%u %.*s", i, (int)(i % 60),
                     "............................................................");
    for (int j = 0; j < 2; j++) {
      int rc = fixgw_log_incoming(&logs[j], T0 + i, line, (size_t)k);
      if (rc == 0) ok[j][i] = 1;
      else {
        assert_int_equal(rc, FIXGW_EFULL);
        refused++;
        /* A full buffer: give the flusher the CPU for a moment, so on a
         * loaded machine it still writes enough for log B to rotate
         * (the lines still drop while it sleeps). */
        const struct timespec pause = {0, 20000};
        nanosleep(&pause, NULL);
      }
    }
    if (i % 1000 == 0) {
      int rc = fixgw_log_flush(&logs[0], T0 + i);
      assert_true(rc >= 0 || rc == FIXGW_EBUSY);
      fixgw_log_stats_t st;
      fixgw_log_stats(&logs[1], &st);
      assert_false(st.failing);
      rc = fixgw_log_event(&logs[0], FIXGW_LOG_INFO, T0 + i, "tick");
      assert_true(rc == 0 || rc == FIXGW_EFULL);
    }
  }
  assert_int_equal(fixgw_log_flusher_stop(&f), 0);
  assert_int_equal(fixgw_log_flusher_stop(&f), FIXGW_ESTATE);
  fixgw_log_stats_t st[2];
  uint64_t dropped = 0, accepted = 0;
  for (int j = 0; j < 2; j++) {
    fixgw_log_stats(&logs[j], &st[j]);
    assert_int_equal(st[j].buffered, 0); /* stop drained it */
    assert_false(st[j].failing);
    dropped += st[j].dropped;
  }
  for (unsigned i = 0; i < N; i++) accepted += ok[0][i] + ok[1][i];
  assert_int_equal(dropped, refused);
  assert_int_equal(accepted + refused, 2ull * N);
  print_message("  %llu of %u lines dropped, %llu rotations\n", (unsigned long long)dropped,
                2 * N, (unsigned long long)st[1].rotations);
  assert_true(st[1].rotations > 0);

  /* Log A: one file. Log B: backups 1..r then current. Each run of drops
   * is noted before the next line that got in: the notes add up to all
   * drops but those after the last accepted line. */
  uint64_t trailing[2] = {0, 0};
  for (int j = 0; j < 2; j++)
    for (unsigned i = N; i-- > 0 && !ok[j][i];) trailing[j]++;
  unsigned next = 0;
  uint64_t notes = 0;
  scan_file(dir, PFX_A ".messages.current.log", ok[0], &next, &notes);
  uint64_t notes_a = notes;
  assert_int_equal(notes_a, st[0].dropped - trailing[0]);
  next = 0;
  notes = 0;
  for (unsigned r = 1; r <= st[1].rotations + 1; r++) {
    char name[128];
    if (r <= st[1].rotations) snprintf(name, sizeof name, PFX_B ".messages.backup.%u.log", r);
    else snprintf(name, sizeof name, PFX_B ".messages.current.log");
    scan_file(dir, name, ok[1], &next, &notes);
  }
  assert_int_equal(notes, st[1].dropped - trailing[1]);
  fixgw_log_destroy(&logs[0]);
  fixgw_log_destroy(&logs[1]);
  free(ok[0]);
  free(ok[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_flusher)};
  return cmocka_run_group_tests(tests, lu_setup, lu_teardown);
}
