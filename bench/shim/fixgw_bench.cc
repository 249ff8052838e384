#include "fixgw_bench.h"

#include <benchmark/benchmark.h>

#include <string>

struct fixgw_bench_state {
  benchmark::State *s;
};

static benchmark::State &S(fixgw_bench_state *st) { return *st->s; }

extern "C" {

bool fixgw_bench_keep_running_batch(fixgw_bench_state *st, int64_t n) {
  return S(st).KeepRunningBatch(n);
}
int64_t fixgw_bench_range(fixgw_bench_state *st, int i) { return S(st).range(i); }
int fixgw_bench_thread_index(fixgw_bench_state *st) { return S(st).thread_index(); }
int fixgw_bench_threads(fixgw_bench_state *st) { return S(st).threads(); }
void fixgw_bench_pause(fixgw_bench_state *st) { S(st).PauseTiming(); }
void fixgw_bench_resume(fixgw_bench_state *st) { S(st).ResumeTiming(); }
void fixgw_bench_set_items(fixgw_bench_state *st, int64_t n) { S(st).SetItemsProcessed(n); }
void fixgw_bench_set_bytes(fixgw_bench_state *st, int64_t n) { S(st).SetBytesProcessed(n); }
void fixgw_bench_counter(fixgw_bench_state *st, const char *name, double v,
                         bool per_second, bool per_iter) {
  benchmark::Counter::Flags f = benchmark::Counter::kDefaults;
  if (per_second) f = benchmark::Counter::kIsRate;
  if (per_iter) f = benchmark::Counter::kAvgIterations;
  S(st).counters[name] = benchmark::Counter(v, f);
}
void fixgw_bench_label(fixgw_bench_state *st, const char *l) { S(st).SetLabel(l); }
void fixgw_bench_error(fixgw_bench_state *st, const char *m) { S(st).SkipWithError(m); }
void fixgw_bench_sink(const void *p) { benchmark::DoNotOptimize(p); }

void fixgw_bench_register(const char *name, fixgw_bench_fn fn, void *arg,
                          const int64_t *args, int nargs, int threads) {
  auto *b = benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &s) {
    fixgw_bench_state st{&s};
    fn(&st, arg);
  });
  for (int i = 0; i < nargs; i++) b->Arg(args[i]);
  if (threads > 1) b->Threads(threads);
  b->UseRealTime();
}

void fixgw_bench_context(const char *key, const char *value) {
  benchmark::AddCustomContext(key, value);
}

int fixgw_bench_main(int *argc, char **argv) {
  benchmark::Initialize(argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
}
