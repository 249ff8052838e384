/* Store append per message: memory store, file store under each policy;
 * group commit throughput with the fsync interval it kept; the device's
 * floor (a bare write+fdatasync loop, same run, same directory); resend of
 * 100 000 messages from the file store (time, peak RSS); the same append
 * rows and resend for the SQLite store when it is built. Run:
 *   bench_store --benchmark_min_time=0.5 --benchmark_repetitions=5
 *               --benchmark_report_aggregates_only=true
 * FIXGW_BENCH_DIR picks the file system (default /tmp). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixgw/store.h"
#include "fixgw/store_file.h"
#ifdef FIXGW_HAVE_SQLITE
#include "fixgw/store_sqlite.h"
#endif
#include "fixgw_bench.h"

#define MSG_LEN 200
#define RESEND_N 100000
/* Reset the store before its index (1 << 20) fills, timing paused. */
#define ROLL (1u << 19)

static char g_dir[256];
static char g_msg[MSG_LEN];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
  (void)sb;
  (void)flag;
  (void)f;
  return remove(p);
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int file_open(fixgw_store_t *st, const char *key, fixgw_file_sync sync,
                     uint32_t every, uint64_t interval) {
  fixgw_file_store_config_t c;
  fixgw_file_store_config_default(&c);
  c.directory = g_dir;
  c.key = key;
  c.sync = sync;
  c.sync_every = every;
  c.sync_interval_ns = interval;
  c.generation = FIXGW_FILE_GEN_REMOVE;
  fixgw_file_store_error_t e;
  int rc = fixgw_file_store_open(&c, st, &e);
  if (rc) fprintf(stderr, "%s\n", e.text);
  return rc;
}

/* A store's poll (fixgw_file_store_poll, fixgw_sqlite_store_poll). */
typedef int (*poll_fn)(fixgw_store_t *st, uint64_t now_mono_ns);

/* The loop shared by every append benchmark; poll (NULL: none) runs after
 * each batch. Each run (and repetition) starts on a fresh generation. */
static void run_append(fixgw_bench_state *bs, fixgw_store_t *st, int64_t batch, poll_fn poll) {
  uint64_t seq = 1;
  int64_t n = 0;
  if (st->ops->reset(st->self, 0) != 0) {
    fixgw_bench_error(bs, "reset");
    return;
  }
  while (fixgw_bench_keep_running_batch(bs, batch)) {
    for (int64_t i = 0; i < batch; i++) {
      if (st->ops->append(st->self, seq++, g_msg, MSG_LEN) != 0) {
        fixgw_bench_error(bs, "append");
        return;
      }
    }
    if (poll) poll(st, now_ns());
    n += batch;
    if (seq > ROLL) {
      fixgw_bench_pause(bs);
      if (st->ops->reset(st->self, 0) != 0) fixgw_bench_error(bs, "reset");
      seq = 1;
      fixgw_bench_resume(bs);
    }
  }
  fixgw_bench_set_items(bs, n);
  fixgw_bench_set_bytes(bs, n * MSG_LEN);
}

static void bm_mem_append(fixgw_bench_state *bs, void *arg) {
  (void)arg;
  fixgw_mem_store_config_t c;
  fixgw_mem_store_config_default(&c);
  c.max_messages = 1u << 16;
  c.max_bytes = (size_t)16 << 20;
  fixgw_store_t st;
  if (fixgw_mem_store_create(&c, &st) != 0) {
    fixgw_bench_error(bs, "create");
    return;
  }
  run_append(bs, &st, 64, NULL);
  fixgw_store_destroy(&st);
}

static void bm_file_append(fixgw_bench_state *bs, void *arg) {
  fixgw_file_sync pol = (fixgw_file_sync)(intptr_t)arg;
  fixgw_store_t st;
  /* GROUP as a host would run it: 4096 per sync, polled per batch at 1 ms. */
  if (file_open(&st, "APPEND", pol, 4096, 1000000) != 0) {
    fixgw_bench_error(bs, "open");
    return;
  }
  run_append(bs, &st, pol == FIXGW_FILE_SYNC_EVERY ? 1 : 64,
             pol == FIXGW_FILE_SYNC_GROUP ? fixgw_file_store_poll : NULL);
  fixgw_file_store_stats_t sx;
  fixgw_file_store_stats(&st, &sx);
  fixgw_bench_counter(bs, "syncs", (double)sx.syncs, true, false);
  fixgw_store_destroy(&st);
}

/* Group commit with only the time bound: poll every 64 appends, sync when
 * the oldest pending record has waited 1 ms; report the longest gap seen
 * between two syncs while appending as fast as possible. */
static void bm_group_commit(fixgw_bench_state *bs, void *arg) {
  (void)arg;
  fixgw_store_t st;
  if (file_open(&st, "GROUP", FIXGW_FILE_SYNC_GROUP, 0, 1000000) != 0) {
    fixgw_bench_error(bs, "open");
    return;
  }
  if (st.ops->reset(st.self, 0) != 0) fixgw_bench_error(bs, "reset");
  uint64_t seq = 1, last_sync = now_ns(), max_gap = 0, syncs = 0;
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(bs, 64)) {
    for (int i = 0; i < 64; i++) {
      if (st.ops->append(st.self, seq++, g_msg, MSG_LEN) != 0) {
        fixgw_bench_error(bs, "append");
        break;
      }
    }
    uint64_t t = now_ns();
    int r = fixgw_file_store_poll(&st, t);
    if (r < 0) {
      fixgw_bench_error(bs, "poll");
      break;
    }
    if (r == 1) {
      uint64_t done = now_ns();
      if (done - last_sync > max_gap) max_gap = done - last_sync;
      last_sync = done;
      syncs++;
    }
    n += 64;
    if (seq > ROLL) {
      fixgw_bench_pause(bs);
      st.ops->reset(st.self, 0);
      seq = 1;
      last_sync = now_ns();
      fixgw_bench_resume(bs);
    }
  }
  fixgw_bench_set_items(bs, n);
  fixgw_bench_counter(bs, "fsyncs", (double)syncs, true, false);
  fixgw_bench_counter(bs, "max_ms_between_fsyncs", (double)max_gap / 1e6, false, false);
  fixgw_store_destroy(&st);
}

/* The floor for FIXGW_FILE_SYNC_EVERY: what this device charges for a
 * durable small write, without any store around it. */
static void bm_write_fdatasync(fixgw_bench_state *bs, void *arg) {
  (void)arg;
  char p[300];
  snprintf(p, sizeof p, "%s/floor.bin", g_dir);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    fixgw_bench_error(bs, "open");
    return;
  }
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(bs, 1)) {
    if (write(fd, g_msg, MSG_LEN) != MSG_LEN || fdatasync(fd) != 0) {
      fixgw_bench_error(bs, "write");
      break;
    }
    n++;
  }
  fixgw_bench_set_items(bs, n);
  close(fd);
  unlink(p);
}

static long vm_hwm_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld", &v) == 1) break;
  if (f) fclose(f);
  return v;
}

/* One iteration = the whole 100 000-message resend, iterator and reads,
 * from a store open_store fills and then reopens. */
static void run_resend(fixgw_bench_state *bs, int (*open_store)(fixgw_store_t *st)) {
  fixgw_store_t st;
  if (open_store(&st) != 0) {
    fixgw_bench_error(bs, "open");
    return;
  }
  uint64_t ns, nt;
  st.ops->get_seqnums(st.self, &ns, &nt);
  for (uint64_t s = ns; s <= RESEND_N; s++) st.ops->append(st.self, s, g_msg, MSG_LEN);
  fixgw_store_destroy(&st);
  if (open_store(&st) != 0) {
    fixgw_bench_error(bs, "reopen");
    return;
  }
  /* The peak from here on is the resend's (the appends above touched
   * their own pages). */
  int cr = open("/proc/self/clear_refs", O_WRONLY);
  if (cr >= 0) {
    if (write(cr, "5", 1) != 1) fixgw_bench_label(bs, "peak not reset");
    close(cr);
  }
  long before = vm_hwm_kb();
  int64_t items = 0;
  while (fixgw_bench_keep_running_batch(bs, 1)) {
    st.ops->iter_open(st.self, 1, RESEND_N);
    uint64_t seq;
    const char *m;
    size_t len;
    int64_t k = 0;
    while (st.ops->iter_next(st.self, &seq, &m, &len) == 0) {
      fixgw_bench_sink(m);
      k++;
    }
    st.ops->iter_close(st.self);
    if (k != RESEND_N) fixgw_bench_error(bs, "count");
    items += k;
  }
  fixgw_bench_set_items(bs, items);
  fixgw_bench_counter(bs, "peak_rss_growth_kb", (double)(vm_hwm_kb() - before), false, false);
  fixgw_store_destroy(&st);
}

static int file_open_resend(fixgw_store_t *st) {
  return file_open(st, "RESEND", FIXGW_FILE_SYNC_OS, 0, 0);
}

static void bm_resend(fixgw_bench_state *bs, void *arg) {
  (void)arg;
  run_resend(bs, file_open_resend);
}

#ifdef FIXGW_HAVE_SQLITE
/* ------------------------------------------------------ the SQLite store */

/* Every SQLite row uses one database file in the run's directory, a key
 * per row, as sessions sharing a database would. */
static int sqlite_open(fixgw_store_t *st, const char *key, fixgw_sqlite_sync sync,
                       uint32_t every, uint64_t interval) {
  char path[300];
  snprintf(path, sizeof path, "%s/bench.db", g_dir);
  fixgw_sqlite_store_config_t c;
  fixgw_sqlite_store_config_default(&c);
  c.path = path;
  c.key = key;
  c.sync = sync;
  c.commit_every = every;
  c.commit_interval_ns = interval;
  fixgw_sqlite_store_error_t e;
  int rc = fixgw_sqlite_store_open(&c, st, &e);
  if (rc) fprintf(stderr, "%s\n", e.text);
  return rc;
}

static void bm_sqlite_append(fixgw_bench_state *bs, void *arg) {
  fixgw_sqlite_sync pol = (fixgw_sqlite_sync)(intptr_t)arg;
  fixgw_store_t st;
  /* GROUP as a host would run it: 4096 per commit, polled per batch at 1 ms. */
  if (sqlite_open(&st, "APPEND", pol, 4096, 1000000) != 0) {
    fixgw_bench_error(bs, "open");
    return;
  }
  run_append(bs, &st, pol == FIXGW_SQLITE_SYNC_EVERY ? 1 : 64,
             pol == FIXGW_SQLITE_SYNC_GROUP ? fixgw_sqlite_store_poll : NULL);
  fixgw_sqlite_store_stats_t sx;
  fixgw_sqlite_store_stats(&st, &sx);
  fixgw_bench_counter(bs, "commits", (double)sx.commits, true, false);
  fixgw_store_destroy(&st);
}

static int sqlite_open_resend(fixgw_store_t *st) {
  return sqlite_open(st, "RESEND", FIXGW_SQLITE_SYNC_GROUP, 4096, 0);
}

/* The file store's resend row, from a reopened SQLite store. */
static void bm_sqlite_resend(fixgw_bench_state *bs, void *arg) {
  (void)arg;
  run_resend(bs, sqlite_open_resend);
}
#endif

int main(int argc, char **argv) {
  const char *base = getenv("FIXGW_BENCH_DIR");
  snprintf(g_dir, sizeof g_dir, "%s/fixgw-bench-store-XXXXXX", base ? base : "/tmp");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    return 1;
  }
  for (int i = 0; i < MSG_LEN; i++) g_msg[i] = (char)('A' + i % 26);
  fixgw_bench_context("store_dir", g_dir);
  fixgw_bench_register("store_append/memory", bm_mem_append, NULL, NULL, 0, 0);
  fixgw_bench_register("store_append/file_os", bm_file_append,
                       (void *)(intptr_t)FIXGW_FILE_SYNC_OS, NULL, 0, 0);
  fixgw_bench_register("store_append/file_group", bm_file_append,
                       (void *)(intptr_t)FIXGW_FILE_SYNC_GROUP, NULL, 0, 0);
  fixgw_bench_register("store_append/file_every", bm_file_append,
                       (void *)(intptr_t)FIXGW_FILE_SYNC_EVERY, NULL, 0, 0);
  fixgw_bench_register("store_floor/write_fdatasync", bm_write_fdatasync, NULL, NULL, 0, 0);
  fixgw_bench_register("store_group_commit/1ms", bm_group_commit, NULL, NULL, 0, 0);
  fixgw_bench_register("store_resend/100000", bm_resend, NULL, NULL, 0, 0);
#ifdef FIXGW_HAVE_SQLITE
  fixgw_bench_register("store_append/sqlite_os", bm_sqlite_append,
                       (void *)(intptr_t)FIXGW_SQLITE_SYNC_OS, NULL, 0, 0);
  fixgw_bench_register("store_append/sqlite_group", bm_sqlite_append,
                       (void *)(intptr_t)FIXGW_SQLITE_SYNC_GROUP, NULL, 0, 0);
  fixgw_bench_register("store_append/sqlite_every", bm_sqlite_append,
                       (void *)(intptr_t)FIXGW_SQLITE_SYNC_EVERY, NULL, 0, 0);
  fixgw_bench_register("store_resend/sqlite_100000", bm_sqlite_resend, NULL, NULL, 0, 0);
#endif
  int rc = fixgw_bench_main(&argc, argv);
  nftw(g_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return rc;
}
