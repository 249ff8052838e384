// bench_codec, C++ half: the QuickFIX side by side, main, and a reporter
// that prints quickfix/fixgw ratios from the same run.
//
// QuickFIX does the same work as the fixgw benchmarks on the same bytes
// (built by our encoder): Message::setString with validation of BodyLength
// and CheckSum, no dictionary, into one Message reused across iterations
// (its cheapest use), then the same typed reads through getField and the
// convertors (no field copies). Encode builds a FIX44::ExecutionReport with
// the same 19 fields and calls toString(). parse_validate adds the
// dictionary (FIX44.xml) and DataDictionary::validate.
//
// QuickFIX 1.15's headers need C++14 (dynamic exception specifications),
// so this file is compiled as C++14.
#include "bench_codec.h"

#include <benchmark/benchmark.h>

#include <quickfix/DataDictionary.h>
#include <quickfix/FieldConvertors.h>
#include <quickfix/Message.h>
#include <quickfix/Parser.h>
#include <quickfix/fix44/ExecutionReport.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

extern "C" {
#include "fixgw/codec.h"
}

namespace {

std::string g_msgs[BENCH_KIND_COUNT];
std::unique_ptr<FIX::DataDictionary> g_dd;

struct Acc {
  uint64_t x = 0;
  void fold(uint64_t v) { x = x * 31 + v; }
};

inline void fold_str(Acc &a, const FIX::FieldMap &m, int tag) {
  const std::string &s = m.getField(tag);
  a.fold((uintptr_t)s.data() + s.size());
}
inline void fold_dec(Acc &a, const FIX::FieldMap &m, int tag) {
  double d = FIX::DoubleConvertor::convert(m.getField(tag));
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  a.fold(b);
}
inline void fold_char(Acc &a, const FIX::FieldMap &m, int tag) {
  a.fold((unsigned char)FIX::CharConvertor::convert(m.getField(tag)));
}
inline void fold_ts(Acc &a, const FIX::FieldMap &m, int tag) {
  FIX::UtcTimeStamp t = FIX::UtcTimeStampConvertor::convert(m.getField(tag));
  a.fold((uint64_t)t.getTimeT() * 1000000000u + t.getNanosecond());
}

// The reads bench_codec.c does, field for field.
void read_typed(int kind, Acc &a, const FIX::Message &m) {
  const FIX::Header &h = m.getHeader();
  a.fold((uint64_t)FIX::IntConvertor::convert(h.getField(FIX::FIELD::MsgSeqNum)));
  fold_str(a, h, FIX::FIELD::MsgType);
  fold_str(a, h, FIX::FIELD::SenderCompID);
  fold_str(a, h, FIX::FIELD::TargetCompID);
  fold_ts(a, h, FIX::FIELD::SendingTime);
  switch (kind) {
    case BENCH_NOS:
      fold_str(a, m, 1);
      fold_str(a, m, 11);
      fold_char(a, m, 21);
      fold_dec(a, m, 38);
      fold_char(a, m, 40);
      fold_dec(a, m, 44);
      fold_char(a, m, 54);
      fold_str(a, m, 55);
      fold_char(a, m, 59);
      fold_ts(a, m, 60);
      break;
    case BENCH_ER:
      fold_str(a, m, 37);
      fold_str(a, m, 11);
      fold_str(a, m, 17);
      fold_char(a, m, 150);
      fold_char(a, m, 39);
      fold_str(a, m, 55);
      fold_char(a, m, 54);
      fold_dec(a, m, 38);
      fold_dec(a, m, 44);
      fold_dec(a, m, 32);
      fold_dec(a, m, 31);
      fold_dec(a, m, 151);
      fold_dec(a, m, 14);
      fold_dec(a, m, 6);
      fold_ts(a, m, 60);
      break;
    case BENCH_MD:
      fold_str(a, m, 55);
      fold_str(a, m, 262);
      if (m.groupCount(268) > 0) {
        // Parsed with a dictionary: walk the group.
        for (size_t i = 1; i <= m.groupCount(268); i++) {
          const FIX::FieldMap &e = m.getGroupRef((int)i, 268);
          fold_char(a, e, 269);
          fold_dec(a, e, 270);
          fold_dec(a, e, 271);
        }
      } else {
        // Without one QuickFIX cannot see the group: its fields sit flat
        // in the body, so iterate them.
        for (auto it = m.begin(); it != m.end(); ++it) {
          int t = it->getTag();
          if (t == 269) {
            a.fold((unsigned char)FIX::CharConvertor::convert(it->getString()));
          } else if (t == 270 || t == 271) {
            double d = FIX::DoubleConvertor::convert(it->getString());
            uint64_t b;
            memcpy(&b, &d, sizeof b);
            a.fold(b);
          }
        }
      }
      break;
    default:
      break;
  }
}

void report_allocs(benchmark::State &st, uint64_t calls, uint64_t reps) {
  if (!fixgw_alloc_count_available()) return;
  st.counters["allocs_per_msg"] = (double)calls / (double)reps;
}

void bm_parse(benchmark::State &st, int kind, const FIX::DataDictionary *dd,
              bool validate) {
  const std::string &s = g_msgs[kind];
  FIX::Message m;
  Acc a;
  auto once = [&] {
    m.setString(s, true, dd);
    if (validate) dd->validate(m);
    read_typed(kind, a, m);
  };
  try {
    for (auto _ : st) once();
    benchmark::DoNotOptimize(a.x);
    fixgw_alloc_count_enable(1);
    uint64_t c0 = fixgw_alloc_count_calls();
    for (int i = 0; i < 1000; i++) once();
    uint64_t c1 = fixgw_alloc_count_calls();
    fixgw_alloc_count_enable(0);
    report_allocs(st, c1 - c0, 1000);
  } catch (const std::exception &e) {
    fixgw_alloc_count_enable(0);
    st.SkipWithError((std::string("QuickFIX: ") + e.what()).c_str());
    return;
  }
  st.SetItemsProcessed((int64_t)st.iterations());
  st.SetBytesProcessed((int64_t)st.iterations() * (int64_t)s.size());
  st.counters["msg_bytes"] = (double)s.size();
}

void bm_encode(benchmark::State &st) {
  const FIX::UtcTimeStamp t0((time_t)(BENCH_T0_NS / 1000000000LL),
                             (int)(BENCH_T0_NS % 1000000000LL / 1000), 6);
  int seq = 1;
  size_t len = 0;
  auto once = [&] {
    FIX44::ExecutionReport er(FIX::OrderID("OID-7781"), FIX::ExecID("EX-00000991"),
                              FIX::ExecType('F'), FIX::OrdStatus('1'), FIX::Side('1'),
                              FIX::LeavesQty(1000), FIX::CumQty(500), FIX::AvgPx(187.25));
    FIX::Header &h = er.getHeader();
    h.setField(FIX::MsgSeqNum(seq++));
    h.setField(FIX::SenderCompID(BENCH_ER_SENDER));
    h.setField(FIX::SendingTime(t0, 3));
    h.setField(FIX::TargetCompID(BENCH_ER_TARGET));
    er.set(FIX::ClOrdID("ORD-20240315-000123456"));
    er.set(FIX::Symbol(BENCH_ER_SYMBOL));
    er.set(FIX::OrderQty(1500));
    er.set(FIX::Price(187.25));
    er.set(FIX::LastQty(500));
    er.set(FIX::LastPx(187.25));
    er.set(FIX::TransactTime(t0, 6));
    std::string out = er.toString();
    len = out.size();
    benchmark::DoNotOptimize(out.data());
  };
  for (auto _ : st) once();
  fixgw_alloc_count_enable(1);
  uint64_t c0 = fixgw_alloc_count_calls();
  for (int i = 0; i < 1000; i++) once();
  uint64_t c1 = fixgw_alloc_count_calls();
  fixgw_alloc_count_enable(0);
  report_allocs(st, c1 - c0, 1000);
  st.SetItemsProcessed((int64_t)st.iterations());
  st.SetBytesProcessed((int64_t)st.iterations() * (int64_t)len);
  st.counters["msg_bytes"] = (double)len;
}

// A parsed message validated again and again: the dictionary's own cost.
void bm_validate(benchmark::State &st) {
  FIX::Message m;
  try {
    m.setString(g_msgs[BENCH_NOS], true, g_dd.get());
    for (auto _ : st) g_dd->validate(m);
  } catch (const std::exception &e) {
    st.SkipWithError((std::string("QuickFIX: ") + e.what()).c_str());
    return;
  }
  st.SetItemsProcessed((int64_t)st.iterations());
}

// The corpus the way a QuickFIX socket reader meets it: 4 KiB reads into
// FIX::Parser, each framed message into one reused Message (no
// dictionary), then the reads corpus/fixgw makes (MsgSeqNum, MsgType,
// ClOrdID, Symbol, OrderQty, Price, every MDEntryPx / MDEntrySize).
void bm_corpus(benchmark::State &st) {
  size_t len;
  const char *c = bench_corpus(&len);
  FIX::Message m;
  std::string s;
  Acc a;
  uint64_t msgs = 0;
  auto pass = [&] {
    FIX::Parser parser;
    uint64_t k = 0;
    for (size_t off = 0; off < len;) {
      size_t chunk = len - off < 4096 ? len - off : 4096;
      parser.addToStream(c + off, chunk);
      off += chunk;
      while (parser.readFixMessage(s)) {
        m.setString(s, true, nullptr);
        const FIX::Header &h = m.getHeader();
        a.fold((uint64_t)FIX::IntConvertor::convert(h.getField(FIX::FIELD::MsgSeqNum)));
        fold_str(a, h, FIX::FIELD::MsgType);
        if (m.isSetField(11)) fold_str(a, m, 11);
        if (m.isSetField(55)) fold_str(a, m, 55);
        if (m.isSetField(38)) fold_dec(a, m, 38);
        if (m.isSetField(44)) fold_dec(a, m, 44);
        const std::string &mt = h.getField(FIX::FIELD::MsgType);
        if (mt == "W") {
          for (auto it = m.begin(); it != m.end(); ++it) {
            int t = it->getTag();
            if (t == 270 || t == 271) {
              double d = FIX::DoubleConvertor::convert(it->getString());
              uint64_t b;
              memcpy(&b, &d, sizeof b);
              a.fold(b);
            }
          }
        }
        k++;
      }
    }
    return k;
  };
  try {
    for (auto _ : st) msgs += pass();
  } catch (const std::exception &e) {
    st.SkipWithError((std::string("QuickFIX: ") + e.what()).c_str());
    return;
  }
  benchmark::DoNotOptimize(a.x);
  st.SetItemsProcessed((int64_t)msgs);
  st.SetBytesProcessed((int64_t)st.iterations() * (int64_t)len);
  st.counters["messages"] = st.iterations() ? (double)(msgs / st.iterations()) : 0;
  st.counters["file_bytes"] = (double)len;
}

void register_quickfix() {
  for (int k = 0; k < BENCH_KIND_COUNT; k++) {
    size_t n;
    const char *p = bench_msg(k, &n);
    g_msgs[k].assign(p, n);
    std::string name = std::string("parse/") + bench_msg_name(k) + "/quickfix";
    benchmark::RegisterBenchmark(name.c_str(), [k](benchmark::State &st) {
      bm_parse(st, k, nullptr, false);
    })->UseRealTime();
  }
  benchmark::RegisterBenchmark("encode/ExecutionReport/quickfix", bm_encode)->UseRealTime();
  size_t corpus_len;
  if (bench_corpus(&corpus_len))
    benchmark::RegisterBenchmark("corpus/quickfix", bm_corpus)->UseRealTime();
  if (g_dd) {
    benchmark::RegisterBenchmark("parse_validate/NewOrderSingle/quickfix",
                                 [](benchmark::State &st) {
                                   bm_parse(st, BENCH_NOS, g_dd.get(), true);
                                 })
        ->UseRealTime();
    benchmark::RegisterBenchmark("validate/NewOrderSingle/quickfix", bm_validate)
        ->UseRealTime();
    benchmark::RegisterBenchmark("parse_dict/MDSnapshot10/quickfix",
                                 [](benchmark::State &st) {
                                   bm_parse(st, BENCH_MD, g_dd.get(), false);
                                 })
        ->UseRealTime();
  }
}

// ------------------------------------------------------- ratio reporter

// Targets from the brief, median cpu_time in ns (0: none).
double target_ns(const std::string &name) {
  static const std::map<std::string, double> t = {
      {"parse/NewOrderSingle/fixgw", 90},  {"parse/ExecutionReport/fixgw", 120},
      {"parse/MDSnapshot10/fixgw", 200},   {"parse/Heartbeat/fixgw", 30},
      {"encode/ExecutionReport/fixgw", 100}, {"validate/NewOrderSingle/fixgw", 100}};
  auto it = t.find(name);
  return it == t.end() ? 0 : it->second;
}

// Wraps the reporter the flags ask for (console or JSON), keeps each
// benchmark's cpu_time (the median aggregate when there are repetitions,
// else the median of the runs) and prints quickfix/fixgw ratios at the end:
// on stdout after the console table, on stderr when stdout carries JSON.
class RatioReporter : public benchmark::BenchmarkReporter {
 public:
  RatioReporter(benchmark::BenchmarkReporter *inner, bool json)
      : inner_(inner), json_(json) {}
  bool ReportContext(const Context &c) override { return inner_->ReportContext(c); }
  void ReportRuns(const std::vector<Run> &runs) override {
    inner_->ReportRuns(runs);
    for (const Run &r : runs) {
      const std::string name = r.run_name.function_name;
      if (r.error_occurred) {
        errors_.push_back(name + ": " + r.error_message);
        continue;
      }
      double ns = r.GetAdjustedCPUTime() * to_ns(r.time_unit);
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      if (r.run_type == Run::RT_Aggregate)
        median_[name] = ns;
      else
        runs_[name].push_back(ns);
      for (auto &c : r.counters) counters_[name][c.first] = c.second.value;
      auto it = r.counters.find("allocs_per_msg");
      if (it != r.counters.end()) allocs_[name] = it->second.value;
    }
  }
  void Finalize() override {
    inner_->Finalize();
    FILE *out = json_ ? stderr : stdout;
    std::map<std::string, double> cpu = median_;
    for (auto &kv : runs_) {
      if (cpu.count(kv.first)) continue;
      std::vector<double> v = kv.second;
      std::sort(v.begin(), v.end());
      cpu[kv.first] = v[v.size() / 2];
    }
    fprintf(out, "\nsummary (cpu_time, %s):\n",
            median_.empty() ? "single run" : "median of the repetitions");
    for (auto &kv : cpu) {
      const std::string &name = kv.first;
      const std::string suffix = "/fixgw";
      if (name.compare(0, 7, "corpus/") == 0 || name.compare(0, 8, "latency/") == 0) continue;
      if (name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        std::string base = name.substr(0, name.size() - suffix.size());
        double t = target_ns(name);
        char tgt[64] = "";
        if (t > 0)
          snprintf(tgt, sizeof tgt, "  target <= %.0f ns: %s", t,
                   kv.second <= t ? "met" : "MISSED");
        auto q = cpu.find(base + "/quickfix");
        if (q != cpu.end())
          fprintf(out, "  %-32s fixgw %9.1f ns  quickfix %9.1f ns  ratio %6.1fx%s\n",
                  base.c_str(), kv.second, q->second, q->second / kv.second, tgt);
        else
          fprintf(out, "  %-32s fixgw %9.1f ns%s\n", base.c_str(), kv.second, tgt);
      }
    }
    // The corpus in bytes per cpu second and ns per message; the latency
    // percentiles (their counters are medians over the repetitions too).
    for (auto &kv : cpu) {
      auto &c = counters_[kv.first];
      if (kv.first.compare(0, 7, "corpus/") == 0 && c.count("file_bytes") &&
          c.count("messages") && kv.second > 0) {
        double gbs = c["file_bytes"] / kv.second;  // bytes per ns = GB/s
        bool ours = kv.first == "corpus/fixgw";
        auto q = cpu.find("corpus/quickfix");
        char ratio[64] = "";
        if (ours && q != cpu.end())
          snprintf(ratio, sizeof ratio, "  ratio %.1fx", q->second / kv.second);
        fprintf(out, "  %-32s %.3f GB/s, %.1f ns/msg, %.0f messages%s%s\n", kv.first.c_str(),
                gbs, kv.second / c["messages"], c["messages"], ratio,
                !ours ? "" : gbs >= 2 ? "  target >= 2 GB/s: met" : "  target >= 2 GB/s: MISSED");
      }
      if (kv.first.compare(0, 8, "latency/") == 0 && c.count("p50_ns"))
        fprintf(out, "  %-32s p50 %.0f ns  p99 %.0f ns  p99.9 %.0f ns  max %.0f ns\n",
                kv.first.c_str(), c["p50_ns"], c["p99_ns"], c["p999_ns"], c["max_ns"]);
    }
    for (auto &kv : allocs_)
      fprintf(out, "  allocs_per_msg %-38s %g\n", kv.first.c_str(), kv.second);
    for (auto &e : errors_) fprintf(out, "  ERROR %s\n", e.c_str());
    fflush(out);
  }
  bool failed() const { return !errors_.empty(); }

 private:
  static double to_ns(benchmark::TimeUnit u) {
    switch (u) {
      case benchmark::kNanosecond: return 1;
      case benchmark::kMicrosecond: return 1e3;
      case benchmark::kMillisecond: return 1e6;
      default: return 1e9;
    }
  }
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  bool json_;
  std::map<std::string, double> median_;
  std::map<std::string, std::vector<double>> runs_;
  std::map<std::string, double> allocs_;
  std::map<std::string, std::map<std::string, double>> counters_;
  std::vector<std::string> errors_;
};

// Remove argv[i] (shifting the rest down).
void drop_arg(int *argc, char **argv, int i) {
  for (int j = i; j < *argc - 1; j++) argv[j] = argv[j + 1];
  (*argc)--;
}

void usage() {
  fprintf(stderr,
          "bench_codec [--corpus=FILE] [--write-corpus=FILE [--corpus-messages=N]"
          " [--corpus-seed=S]] [Google Benchmark flags]\n"
          "  --corpus=FILE        also stream FILE (raw FIX) through the parser\n"
          "  --write-corpus=FILE  write N (default 1000000) generated messages and exit\n"
          "  --callgrind=WHAT:N   run one row's work N times outside the benchmark, for\n"
          "                       valgrind --tool=callgrind --toggle-collect=bench_profile_loop\n"
          "                       (WHAT: nos er md hb encode validate parse_validate corpus\n"
          "                       validate_md)\n"
          "  (examples/gen's fixgw-gen writes a richer, lifecycle-consistent corpus)\n");
}

}  // namespace

int main(int argc, char **argv) {
  fixgw_alloc_count_enable(0); /* on only around the measured passes */
  const char *corpus = nullptr, *write_corpus = nullptr, *profile = nullptr;
  uint64_t corpus_n = 1000000, corpus_seed = 1;
  bool json = false;
  for (int i = 1; i < argc;) {
    const char *a = argv[i];
    if (!strncmp(a, "--corpus=", 9)) {
      corpus = a + 9;
    } else if (!strncmp(a, "--write-corpus=", 15)) {
      write_corpus = a + 15;
    } else if (!strncmp(a, "--callgrind=", 12)) {
      profile = a + 12;
    } else if (!strncmp(a, "--corpus-messages=", 18)) {
      corpus_n = strtoull(a + 18, nullptr, 10);
    } else if (!strncmp(a, "--corpus-seed=", 14)) {
      corpus_seed = strtoull(a + 14, nullptr, 10);
    } else if (!strcmp(a, "--help")) {
      usage();
      i++;
      continue;
    } else {
      if (!strcmp(a, "--benchmark_format=json")) json = true;
      i++;
      continue;
    }
    drop_arg(&argc, argv, i);
  }
  if (write_corpus) return bench_codec_write_corpus(write_corpus, corpus_n, corpus_seed) ? 1 : 0;

  if (bench_codec_setup(corpus) != 0) return 1;
  if (profile) {
    std::string w(profile);
    size_t colon = w.find(':');
    uint64_t n = colon == std::string::npos ? 100000 : strtoull(w.c_str() + colon + 1, nullptr, 10);
    return bench_codec_profile(w.substr(0, colon).c_str(), n) ? 1 : 0;
  }
  std::string dd_path = std::string(FIXGW_SPEC_DIR) + "/FIX44.xml";
  struct stat sb;
  if (stat(dd_path.c_str(), &sb) == 0) {
    try {
      g_dd.reset(new FIX::DataDictionary(dd_path));
      benchmark::AddCustomContext("quickfix_dictionary", dd_path);
    } catch (const std::exception &e) {
      fprintf(stderr, "bench_codec: QuickFIX cannot load %s: %s\n", dd_path.c_str(), e.what());
    }
  } else {
    fprintf(stderr, "bench_codec: %s not found: parse_validate/quickfix skipped\n",
            dd_path.c_str());
  }
  register_quickfix();
  benchmark::AddCustomContext("quickfix", "libquickfix 1.15.1 (Debian), Message reused");

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::BenchmarkReporter *inner;
  if (json)
    inner = new benchmark::JSONReporter();
  else
    inner = new benchmark::ConsoleReporter(isatty(1) ? benchmark::ConsoleReporter::OO_Defaults
                                                     : benchmark::ConsoleReporter::OO_Tabular);
  RatioReporter rep(inner, json);
  benchmark::RunSpecifiedBenchmarks(&rep);
  benchmark::Shutdown();
  if (rep.failed() || bench_codec_failed()) {
    fprintf(stderr, "bench_codec: FAILED (see errors above)\n");
    return 2;
  }
  return 0;
}
