/* A thin C face over Google Benchmark, so benchmarks of the C library are
 * written in C. The loop cost is one call per batch (KeepRunningBatch), so
 * nanosecond-scale work is not swamped by the shim. */
#ifndef FIXGW_BENCH_H
#define FIXGW_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fixgw_bench_state fixgw_bench_state;
typedef void (*fixgw_bench_fn)(fixgw_bench_state *st, void *arg);

/* True while the benchmark wants another batch of n iterations. */
bool fixgw_bench_keep_running_batch(fixgw_bench_state *st, int64_t n);
int64_t fixgw_bench_range(fixgw_bench_state *st, int index);
int fixgw_bench_thread_index(fixgw_bench_state *st);
int fixgw_bench_threads(fixgw_bench_state *st);
void fixgw_bench_pause(fixgw_bench_state *st);
void fixgw_bench_resume(fixgw_bench_state *st);
void fixgw_bench_set_items(fixgw_bench_state *st, int64_t items);
void fixgw_bench_set_bytes(fixgw_bench_state *st, int64_t bytes);
/* A plain counter shown as is, or as a rate when per_second is true; or
 * averaged per iteration when per_iter is true. */
void fixgw_bench_counter(fixgw_bench_state *st, const char *name, double v,
                         bool per_second, bool per_iter);
void fixgw_bench_label(fixgw_bench_state *st, const char *label);
void fixgw_bench_error(fixgw_bench_state *st, const char *msg);
/* Keep a value alive so the optimiser cannot drop the work producing it. */
void fixgw_bench_sink(const void *p);

/* Register fn under name with optional ranges (nranges Arg values, each a
 * separate run) and thread count (0 = 1). arg is passed through. */
void fixgw_bench_register(const char *name, fixgw_bench_fn fn, void *arg,
                          const int64_t *args, int nargs, int threads);
/* Adds a context line ("key: value") to the report header. */
void fixgw_bench_context(const char *key, const char *value);
/* Initialise from argv (leaves unknown flags in argv), run, report. */
int fixgw_bench_main(int *argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
