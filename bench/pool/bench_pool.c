/* Pool get+put, single-thread and thread-safe (uncontended), against
 * malloc+free of the same size (256 B). Run:
 *   bench_pool --benchmark_min_time=0.5 --benchmark_repetitions=5
 *              --benchmark_report_aggregates_only=true */
#include <stdlib.h>

#include "fixgw/pool.h"
#include "fixgw_bench.h"

#define OBJ 256
#define BATCH 1000

/* get + put on one pool: flags for init, and remote 1 to free through
 * put_remote. Inline, so each row's loop is compiled for its own
 * constants: no branch or call is timed that the row does not name. */
static inline __attribute__((always_inline)) void run_pool(fixgw_bench_state *st,
                                                           unsigned flags, int remote) {
  fixgw_pool_t p;
  if (fixgw_pool_init_alloc(&p, OBJ, 64, 1024, flags, NULL) != 0) {
    fixgw_bench_error(st, "init");
    return;
  }
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(st, BATCH)) {
    for (int i = 0; i < BATCH; i++) {
      void *o = fixgw_pool_get(&p);
      fixgw_bench_sink(o);
      if (remote)
        fixgw_pool_put_remote(&p, o);
      else
        fixgw_pool_put(&p, o);
    }
    n += BATCH;
  }
  fixgw_bench_set_items(st, n);
  fixgw_pool_destroy(&p);
}

static void bm_pool_st(fixgw_bench_state *st, void *arg) {
  (void)arg;
  run_pool(st, 0, 0);
}

/* The thread-safe path: get from the owner, free through put_remote (one
 * cmpxchg16b), reclaim in one CAS when the private list runs dry. */
static void bm_pool_remote(fixgw_bench_state *st, void *arg) {
  (void)arg;
  run_pool(st, 0, 1);
}

/* Checked puts (debug aid) for scale. */
static void bm_pool_checked(fixgw_bench_state *st, void *arg) {
  (void)arg;
  run_pool(st, FIXGW_POOL_F_CHECK, 0);
}

static void bm_msgbuf(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_msgpool_t mp;
  if (fixgw_msgpool_init(&mp, OBJ, 1024, 0, NULL) != 0) {
    fixgw_bench_error(st, "init");
    return;
  }
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(st, BATCH)) {
    for (int i = 0; i < BATCH; i++) {
      fixgw_msgbuf_t *m = fixgw_msgbuf_get(&mp);
      fixgw_bench_sink(m);
      fixgw_msgbuf_put(m);
    }
    n += BATCH;
  }
  fixgw_bench_set_items(st, n);
  fixgw_msgpool_destroy(&mp);
}

static void bm_malloc_free(fixgw_bench_state *st, void *arg) {
  (void)arg;
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(st, BATCH)) {
    for (int i = 0; i < BATCH; i++) {
      void *o = malloc(OBJ);
      fixgw_bench_sink(o);
      free(o);
    }
    n += BATCH;
  }
  fixgw_bench_set_items(st, n);
}

int main(int argc, char **argv) {
  fixgw_bench_register("pool_get_put_st/256", bm_pool_st, NULL, NULL, 0, 0);
  fixgw_bench_register("pool_get_put_remote/256", bm_pool_remote, NULL, NULL, 0, 0);
  fixgw_bench_register("pool_get_put_checked/256", bm_pool_checked, NULL, NULL, 0, 0);
  fixgw_bench_register("msgbuf_get_put/256", bm_msgbuf, NULL, NULL, 0, 0);
  fixgw_bench_register("malloc_free/256", bm_malloc_free, NULL, NULL, 0, 0);
  return fixgw_bench_main(&argc, argv);
}
