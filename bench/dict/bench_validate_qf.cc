// bench_validate, C++ half: QuickFIX's parse + DataDictionary::validate of
// the same bytes (FIX44.xml), its parse + group walk of the same snapshot,
// and main. Compiled as C++14 for QuickFIX 1.15's headers.
#include "bench_validate.h"

#include <benchmark/benchmark.h>

#include <quickfix/DataDictionary.h>
#include <quickfix/FieldConvertors.h>
#include <quickfix/Message.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>

#include "fixgw_bench.h"

namespace {

std::unique_ptr<FIX::DataDictionary> g_dd;

void report_allocs(benchmark::State &st, uint64_t calls, int64_t n) {
  if (fixgw_alloc_count_available()) st.counters["allocs_per_op"] = (double)calls / (double)n;
}

void bm_qf_parse_validate(benchmark::State &st, int kind) {
  std::string s(bv_msgs[kind], bv_lens[kind]);
  FIX::Message m;
  int64_t n = 0;
  fixgw_alloc_count_enable(1);
  uint64_t a0 = fixgw_alloc_count_calls();
  for (auto _ : st) {
    m.setString(s, true, g_dd.get(), g_dd.get());
    g_dd->validate(m);
    n++;
  }
  uint64_t a1 = fixgw_alloc_count_calls();
  fixgw_alloc_count_enable(0);
  report_allocs(st, a1 - a0, n);
  st.SetItemsProcessed(n);
}

void bm_qf_validate(benchmark::State &st, int kind) {
  std::string s(bv_msgs[kind], bv_lens[kind]);
  FIX::Message m;
  m.setString(s, true, g_dd.get(), g_dd.get());
  for (auto _ : st) g_dd->validate(m);
  st.SetItemsProcessed(st.iterations());
}

void bm_qf_md_parse_walk(benchmark::State &st) {
  std::string s(bv_msgs[BV_MD], bv_lens[BV_MD]);
  FIX::Message m;
  int64_t acc = 0;
  for (auto _ : st) {
    m.setString(s, true, g_dd.get(), g_dd.get());
    size_t cnt = m.groupCount(268);
    for (size_t i = 1; i <= cnt; i++) {
      const FIX::FieldMap &e = m.getGroupRef((int)i, 268);
      for (auto it = e.begin(); it != e.end(); ++it) {
        int t = it->getTag();
        if (t == 269) acc += it->getString()[0];
        else if (t == 270 || t == 271)
          acc += (int64_t)FIX::DoubleConvertor::convert(it->getString());
        else acc += (int64_t)it->getString().size();
      }
    }
  }
  benchmark::DoNotOptimize(acc);
  st.SetItemsProcessed(st.iterations());
}

}  // namespace

int main(int argc, char **argv) {
  fixgw_alloc_count_enable(0); /* on only around the measured passes */
  if (bv_make_messages() != 0) {
    fprintf(stderr, "bench_validate: could not generate the messages\n");
    return 1;
  }
  bv_register_c();
  struct stat sb;
  std::string xml = std::string(FIXGW_SPEC_DIR) + "/FIX44.xml";
  if (stat(xml.c_str(), &sb) == 0) {
    g_dd.reset(new FIX::DataDictionary(xml));
    benchmark::RegisterBenchmark("quickfix/validate/NOS", bm_qf_validate, (int)BV_NOS)->UseRealTime();
    benchmark::RegisterBenchmark("quickfix/parse_validate/NOS", bm_qf_parse_validate, (int)BV_NOS)
        ->UseRealTime();
    benchmark::RegisterBenchmark("quickfix/parse_groupwalk/MD10", bm_qf_md_parse_walk)->UseRealTime();
  } else {
    fprintf(stderr, "bench_validate: %s not found, QuickFIX side skipped\n", xml.c_str());
  }
  fixgw_bench_context("messages", "fixgw_gen seed 1: first D, first fill 8, first W (10 entries)");
  return fixgw_bench_main(&argc, argv);
}
