/* qf-client: a QuickFIX 1.15 initiator that logs on, sends N
 * NewOrderSingle, times each from the send to its ExecutionReport, logs out
 * and prints one line
 *
 *   RESULT orders=N acked=M min_us=.. p50_us=.. p99_us=.. p999_us=.. max_us=.. orders_per_s=..
 *
 * It is the QuickFIX side of the interoperability tests and the end-to-end
 * benchmarks, with fixgw-client's command line:
 *
 *   qf-client -c FILE --orders N [--window W] [--rate R] [--port P]
 *             [--session S] [--timeout S] [--busy-poll] [--log] [-v]
 *
 * Pacing. Without --rate, W orders (default 1) are in flight: the first W
 * go out when the Logon completes and each ExecutionReport sends the next
 * one, from QuickFIX's own callback, so there is no thread hand-off in the
 * loop. With --rate R, order i is sent at start + i/R seconds (open loop)
 * by main(), and --window, when given, still caps the orders in flight.
 *
 * Timing. CLOCK_MONOTONIC read just before Session::send() and on entry to
 * fromApp() for the ExecutionReport: QuickFIX's serialisation, both
 * kernels' TCP paths, the peer, and QuickFIX's parse on the way back.
 * Percentiles are exact, nearest rank over the sorted latencies (p = the
 * ceil(p/100 * M)-th smallest of the M acknowledged). orders_per_s is M
 * divided by the time from the first send to the last acknowledgement.
 *
 * An order counts as acknowledged when an ExecutionReport with its ClOrdID
 * arrives with ExecType=New, OrdStatus=New and Symbol, Side, OrderQty
 * echoed, LeavesQty=OrderQty and CumQty=0; duplicates (PossDup resends)
 * count once; anything else is reported on stderr.
 *
 * Bounded: after --timeout seconds (default 60) it logs out, prints the
 * RESULT with what it has and exits 1. Exit 0 only when all N were
 * acknowledged; 2 for bad usage or settings.
 *
 * The settings file may list several sessions (our example lists FIX.4.2,
 * FIX.4.4 and FIXT.1.1): --session picks one by BeginString ("FIX.4.4") or
 * full id ("FIX.4.4:CLIENT->SERVER"); it is needed when there are several.
 * --port P replaces SocketConnectPort. Store: FileStoreFactory when the
 * settings name FileStorePath, else memory. --log: QuickFIX FileLog under
 * FileLogPath (default ./qf-log); -v: session events on stderr. */

#include <quickfix/Application.h>
#include <quickfix/Exceptions.h>
#include <quickfix/FieldConvertors.h>
#include <quickfix/FieldNumbers.h>
#include <quickfix/FieldTypes.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Log.h>
#include <quickfix/Message.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionID.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>

#include "qf_stderr_log.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

const char *g_prog = "qf-client";

int64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---------------------------------------------------------- application */

struct Options {
  long orders = 0;
  long window = 0; /* 0: not given */
  double rate = 0; /* 0: window-paced */
  std::string symbol = "FIXGW";
  std::string qty = "100";
  std::string price = "10.25";
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated"

class Client : public FIX::Application {
public:
  explicit Client(const Options &o)
      : m_n(o.orders), m_opt(o), m_sent_ns(new std::atomic<int64_t>[o.orders]),
        m_answered_flag(o.orders, 0) {
    for (long i = 0; i < m_n; i++)
      m_sent_ns[i].store(0, std::memory_order_relaxed);
    m_lat.reserve(m_n);
    /* ClOrdIDs unique per run: <prefix><index>. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lx%x-", (unsigned long)ts.tv_sec,
                  (unsigned)getpid() & 0xffffu);
    m_prefix = buf;
    m_window = o.window > 0 ? o.window : (o.rate > 0 ? m_n : 1);
    if (m_window < 1)
      m_window = 1;
  }

  /* ---- QuickFIX callbacks */
  void onCreate(const FIX::SessionID &) override {}
  void onLogon(const FIX::SessionID &id) override {
    FIX::Session *s = FIX::Session::lookupSession(id);
    bool first = false;
    {
      std::lock_guard<std::mutex> l(m_mu);
      m_session.store(s, std::memory_order_release);
      first = !m_started;
      m_started = true;
    }
    m_logged_on.store(true, std::memory_order_release);
    m_cv.notify_all();
    /* Window pacing: the first W from here, on QuickFIX's thread. A
     * reconnect does not prime again: the orders in flight are still in
     * flight (resent by QuickFIX or answered late). */
    if (first && m_opt.rate <= 0)
      for (long k = 0; k < m_window; k++)
        if (!send_next())
          break;
  }
  void onLogout(const FIX::SessionID &) override {
    m_logged_on.store(false, std::memory_order_release);
    m_logouts.fetch_add(1, std::memory_order_acq_rel);
    m_cv.notify_all();
  }
  void toAdmin(FIX::Message &, const FIX::SessionID &) override {}
  void toApp(FIX::Message &, const FIX::SessionID &)
      throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message &msg, const FIX::SessionID &)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
            FIX::IncorrectTagValue, FIX::RejectLogon) override {
    const std::string &type = msg.getHeader().getField(FIX::FIELD::MsgType);
    if (type == "3")
      warn("session Reject received: " + text_of(msg));
    else if (type == "5" && msg.isSetField(FIX::FIELD::Text))
      warn("Logout received: " + text_of(msg));
  }
  void fromApp(const FIX::Message &msg, const FIX::SessionID &)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
            FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    const int64_t t = now_ns();
    const std::string &type = msg.getHeader().getField(FIX::FIELD::MsgType);
    if (type != "8") {
      warn("unexpected MsgType " + type + ": " + text_of(msg));
      return;
    }
    if (!msg.isSetField(FIX::FIELD::ClOrdID)) {
      warn("ExecutionReport without ClOrdID");
      return;
    }
    const long i = index_of(msg.getField(FIX::FIELD::ClOrdID));
    const int64_t sent =
        i >= 0 ? m_sent_ns[i].load(std::memory_order_acquire) : 0;
    if (i < 0 || sent == 0) {
      warn("ExecutionReport for an unknown ClOrdID " +
           msg.getField(FIX::FIELD::ClOrdID));
      return;
    }
    if (m_answered_flag[i])
      return; /* a duplicate (PossDup resend): counted once */
    m_answered_flag[i] = 1;
    std::string why;
    if (check(msg, &why)) {
      m_lat.push_back(t - sent);
      m_t_last.store(t, std::memory_order_relaxed);
      m_acked.fetch_add(1, std::memory_order_acq_rel);
    } else {
      warn("ExecutionReport for " + msg.getField(FIX::FIELD::ClOrdID) +
           " not accepted: " + why);
    }
    const long answered = m_answered.fetch_add(1, std::memory_order_acq_rel) + 1;
    if (m_opt.rate <= 0)
      send_next();
    if (answered == m_n) {
      /* Logout now: QuickFIX sends it at the end of this callback's
       * processing rather than on its next one-second timer. */
      FIX::Session *s = m_session.load(std::memory_order_acquire);
      if (s)
        s->logout();
    }
    m_cv.notify_all();
  }

  /* ---- for main() */

  /* Claim the next order index and send it; false when all are claimed. */
  bool send_next() {
    const long i = m_next.fetch_add(1, std::memory_order_acq_rel);
    if (i >= m_n)
      return false;
    send_order(i);
    return true;
  }

  long next_index() const { return m_next.load(std::memory_order_acquire); }
  long answered() const { return m_answered.load(std::memory_order_acquire); }
  long acked() const { return m_acked.load(std::memory_order_acquire); }
  long window() const { return m_window; }
  long orders() const { return m_n; }
  bool logged_on() const { return m_logged_on.load(std::memory_order_acquire); }
  bool ever_logged_on() {
    std::lock_guard<std::mutex> l(m_mu);
    return m_started;
  }
  long logouts() const { return m_logouts.load(std::memory_order_acquire); }
  FIX::Session *session() const {
    return m_session.load(std::memory_order_acquire);
  }
  bool done() const { return answered() >= m_n; }

  /* Block (at most until deadline_ns) until pred() holds; true if it does. */
  template <class Pred> bool wait_until(int64_t deadline_ns, Pred pred) {
    std::unique_lock<std::mutex> l(m_mu);
    while (!pred()) {
      const int64_t left = deadline_ns - now_ns();
      if (left <= 0)
        return pred();
      /* Short slices: the callbacks notify without taking the mutex. */
      m_cv.wait_for(l, std::chrono::nanoseconds(std::min<int64_t>(left, 2000000)));
    }
    return true;
  }

  /* Latencies and throughput; only once QuickFIX's thread is stopped. */
  const std::vector<int64_t> &latencies() const { return m_lat; }
  int64_t first_send() const { return m_t_first.load(std::memory_order_acquire); }
  int64_t last_ack() const { return m_t_last.load(std::memory_order_acquire); }

private:
  void send_order(long i) {
    FIX::Message m;
    m.getHeader().setField(FIX::FIELD::MsgType, "D");
    m.setField(FIX::FIELD::ClOrdID, m_prefix + std::to_string(i));
    m.setField(FIX::FIELD::HandlInst, "1");
    m.setField(FIX::FIELD::Symbol, m_opt.symbol);
    m.setField(FIX::FIELD::Side, "1");
    m.setField(FIX::FIELD::TransactTime,
               FIX::UtcTimeStampConvertor::convert(FIX::UtcTimeStamp()));
    m.setField(FIX::FIELD::OrderQty, m_opt.qty);
    m.setField(FIX::FIELD::OrdType, "2");
    m.setField(FIX::FIELD::Price, m_opt.price);
    FIX::Session *s = m_session.load(std::memory_order_acquire);
    const int64_t t = now_ns();
    m_sent_ns[i].store(t, std::memory_order_release);
    if (i == 0)
      m_t_first.store(t, std::memory_order_release);
    /* Not logged on: QuickFIX keeps it in the store and it goes out in
     * the resend after the next Logon. */
    s->send(m);
  }

  long index_of(const std::string &id) const {
    if (id.size() <= m_prefix.size() ||
        id.compare(0, m_prefix.size(), m_prefix) != 0)
      return -1;
    long v = 0;
    for (size_t k = m_prefix.size(); k < id.size(); k++) {
      if (id[k] < '0' || id[k] > '9' || v > m_n)
        return -1;
      v = v * 10 + (id[k] - '0');
    }
    return v < m_n ? v : -1;
  }

  static std::string field_or(const FIX::Message &m, int tag) {
    return m.isSetField(tag) ? m.getField(tag) : std::string("<absent>");
  }

  bool check(const FIX::Message &m, std::string *why) const {
    struct Want {
      int tag;
      const char *name;
      const std::string *value;
      bool numeric;
    };
    static const std::string zero = "0";
    const Want want[] = {
        {FIX::FIELD::ExecType, "ExecType", &zero, false},
        {FIX::FIELD::OrdStatus, "OrdStatus", &zero, false},
        {FIX::FIELD::Symbol, "Symbol", &m_opt.symbol, false},
        {FIX::FIELD::OrderQty, "OrderQty", &m_opt.qty, true},
        {FIX::FIELD::LeavesQty, "LeavesQty", &m_opt.qty, true},
        {FIX::FIELD::CumQty, "CumQty", &zero, true},
    };
    for (const Want &w : want) {
      const std::string got = field_or(m, w.tag);
      const bool ok = w.numeric && got != "<absent>"
                          ? std::strtod(got.c_str(), nullptr) ==
                                std::strtod(w.value->c_str(), nullptr)
                          : got == *w.value;
      if (!ok) {
        *why = std::string(w.name) + "=" + got + ", expected " + *w.value;
        return false;
      }
    }
    if (field_or(m, FIX::FIELD::Side) != "1") {
      *why = "Side=" + field_or(m, FIX::FIELD::Side) + ", expected 1";
      return false;
    }
    return true;
  }

  static std::string text_of(const FIX::Message &m) {
    std::string s = m.toString();
    std::replace(s.begin(), s.end(), '\x01', '|');
    return s;
  }

  void warn(const std::string &s) {
    if (m_warnings.fetch_add(1, std::memory_order_relaxed) < 10)
      std::fprintf(stderr, "%s: %s\n", g_prog, s.c_str());
  }

  const long m_n;
  const Options m_opt;
  long m_window = 1;
  std::string m_prefix;
  std::unique_ptr<std::atomic<int64_t>[]> m_sent_ns;
  std::vector<uint8_t> m_answered_flag; /* QuickFIX's thread only */
  std::vector<int64_t> m_lat;           /* QuickFIX's thread only */
  std::atomic<long> m_next{0}, m_answered{0}, m_acked{0}, m_logouts{0};
  std::atomic<int> m_warnings{0};
  std::atomic<int64_t> m_t_first{0}, m_t_last{0};
  std::atomic<bool> m_logged_on{false};
  std::atomic<FIX::Session *> m_session{nullptr};
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_started = false; /* under m_mu */
};

#pragma GCC diagnostic pop

/* --------------------------------------------------------------- output */

/* Nearest rank: the ceil(pm/1000 * n)-th smallest (pm in per mille). */
double pct_us(const std::vector<int64_t> &sorted, long pm) {
  if (sorted.empty())
    return 0;
  const size_t n = sorted.size();
  size_t rank = (n * (size_t)pm + 999) / 1000;
  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  return (double)sorted[rank - 1] / 1000.0;
}

void print_result(const Client &c) {
  std::vector<int64_t> lat = c.latencies();
  std::sort(lat.begin(), lat.end());
  const long acked = (long)lat.size();
  double per_s = 0;
  const int64_t span = c.last_ack() - c.first_send();
  if (acked > 0 && span > 0)
    per_s = (double)acked * 1e9 / (double)span;
  std::printf("RESULT orders=%ld acked=%ld min_us=%.1f p50_us=%.1f "
              "p99_us=%.1f p999_us=%.1f max_us=%.1f orders_per_s=%.0f\n",
              c.orders(), acked, lat.empty() ? 0.0 : (double)lat.front() / 1000.0,
              pct_us(lat, 500), pct_us(lat, 990), pct_us(lat, 999),
              lat.empty() ? 0.0 : (double)lat.back() / 1000.0, per_s);
  std::fflush(stdout);
}

/* ------------------------------------------------------------- settings */

bool settings_name(const FIX::SessionSettings &s, const char *key) {
  if (s.get().has(key))
    return true;
  for (const FIX::SessionID &id : s.getSessions())
    if (s.get(id).has(key))
      return true;
  return false;
}

/* The one session to run, with --port and FileLogPath applied. */
FIX::SessionSettings select_session(const FIX::SessionSettings &in,
                                    const std::string &want, long port,
                                    bool log, FIX::SessionID *chosen) {
  std::vector<FIX::SessionID> match;
  std::string all;
  for (const FIX::SessionID &id : in.getSessions()) {
    all += " " + id.toString();
    if (want.empty() || want == id.getBeginString().getString() ||
        want == id.toString())
      match.push_back(id);
  }
  if (in.getSessions().empty())
    throw FIX::ConfigError("no [SESSION] section");
  if (match.empty())
    throw FIX::ConfigError("no session matches --session " + want +
                           " (sessions:" + all + ")");
  if (match.size() > 1)
    throw FIX::ConfigError(
        "several sessions" + all +
        "; choose one with --session BEGINSTRING or --session ID");
  *chosen = match[0];
  FIX::SessionSettings out;
  FIX::Dictionary def = in.get();
  if (log && !def.has(FIX::FILE_LOG_PATH))
    def.setString(FIX::FILE_LOG_PATH, "qf-log");
  out.set(def);
  FIX::Dictionary d = in.get(*chosen);
  if (d.getString(FIX::CONNECTION_TYPE) != "initiator")
    throw FIX::ConfigError(chosen->toString() +
                           ": ConnectionType is not initiator");
  if (port >= 0)
    d.setInt(FIX::SOCKET_CONNECT_PORT, (int)port);
  if (log && !d.has(FIX::FILE_LOG_PATH))
    d.setString(FIX::FILE_LOG_PATH, def.getString(FIX::FILE_LOG_PATH));
  out.set(*chosen, d);
  return out;
}

/* ---------------------------------------------------------------- main */

void usage(FILE *f) {
  std::fprintf(
      f,
      "usage: %s -c FILE --orders N [--window W] [--rate R] [--port P]\n"
      "                 [--session S] [--timeout S] [--busy-poll] [--log] [-v]\n"
      "\n"
      "A QuickFIX initiator: logs on, sends N NewOrderSingle, times each until\n"
      "its ExecutionReport, logs out and prints one line\n"
      "RESULT orders=N acked=M min_us=.. p50_us=.. p99_us=.. p999_us=.. "
      "max_us=.. orders_per_s=..\n"
      "\n"
      "  -c, --config FILE  QuickFIX settings file (ConnectionType=initiator)\n"
      "  --orders N         orders to send (N >= 1)\n"
      "  --window W         at most W in flight (default 1; with --rate: no cap)\n"
      "  --rate R           send R orders per second (open loop)\n"
      "  --port P           connect to P instead of SocketConnectPort\n"
      "  --session S        the session to use, by BeginString (FIX.4.4) or\n"
      "                     id (FIX.4.4:CLIENT->SERVER); needed when FILE\n"
      "                     lists several\n"
      "  --timeout S        give up after S seconds (default 60): exit 1\n"
      "  --symbol SYM       Symbol(55) of the orders (default FIXGW)\n"
      "  --busy-poll        drive the initiator with poll() in a spin loop\n"
      "  --log              QuickFIX FileLog under FileLogPath (./qf-log)\n"
      "  -v, --verbose      QuickFIX session events on stderr\n"
      "  -h, --help         this text\n"
      "\n"
      "Exit 0 when every order was acknowledged, 1 otherwise, 2 for bad\n"
      "usage or settings.\n",
      g_prog);
}

bool parse_long(const char *s, long lo, long hi, long *out) {
  char *end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

bool parse_double(const char *s, double lo, double hi, double *out) {
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(s, &end);
  if (errno || end == s || *end || !(v >= lo && v <= hi))
    return false;
  *out = v;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  const char *config = nullptr;
  Options opt;
  long port = -1, timeout_s = 60;
  std::string want;
  bool log = false, busy = false, verbose = false;

  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: %s needs a value\n", g_prog, a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto bad = [&](const char *v, const char *what) {
      std::fprintf(stderr, "%s: %s %s: %s\n", g_prog, a.c_str(), v, what);
      std::exit(2);
    };
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else if (a == "-c" || a == "--config") {
      config = value();
    } else if (a == "--orders") {
      const char *v = value();
      if (!parse_long(v, 1, 100000000, &opt.orders))
        bad(v, "not a count (1-100000000)");
    } else if (a == "--window") {
      const char *v = value();
      if (!parse_long(v, 1, 1000000, &opt.window))
        bad(v, "not a window (1-1000000)");
    } else if (a == "--rate") {
      const char *v = value();
      if (!parse_double(v, 1e-3, 1e8, &opt.rate))
        bad(v, "not a rate (orders per second, > 0)");
    } else if (a == "--port") {
      const char *v = value();
      if (!parse_long(v, 1, 65535, &port))
        bad(v, "not a port (1-65535)");
    } else if (a == "--session") {
      want = value();
    } else if (a == "--timeout") {
      const char *v = value();
      if (!parse_long(v, 1, 86400, &timeout_s))
        bad(v, "not a number of seconds (1-86400)");
    } else if (a == "--symbol") {
      opt.symbol = value();
      if (opt.symbol.empty() || opt.symbol.find('\x01') != std::string::npos)
        bad(opt.symbol.c_str(), "not a symbol");
    } else if (a == "--busy-poll") {
      busy = true;
    } else if (a == "--log") {
      log = true;
    } else if (a == "-v" || a == "--verbose") {
      verbose = true;
    } else {
      std::fprintf(stderr, "%s: unknown argument %s (try --help)\n", g_prog,
                   a.c_str());
      return 2;
    }
  }
  if (!config || opt.orders < 1) {
    std::fprintf(stderr, "%s: -c FILE and --orders N are required (try --help)\n",
                 g_prog);
    return 2;
  }

  ::signal(SIGPIPE, SIG_IGN);
  const int64_t t_start = now_ns();
  const int64_t deadline = t_start + (int64_t)timeout_s * 1000000000;

  FIX::SessionSettings settings;
  FIX::SessionID sid;
  try {
    settings = select_session(FIX::SessionSettings(config), want, port, log, &sid);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: %s: %s\n", g_prog, config, e.what());
    return 2;
  }
  std::string where = "?";
  {
    const FIX::Dictionary &d = settings.get(sid);
    if (d.has(FIX::SOCKET_CONNECT_HOST) && d.has(FIX::SOCKET_CONNECT_PORT))
      where = d.getString(FIX::SOCKET_CONNECT_HOST) + ":" +
              d.getString(FIX::SOCKET_CONNECT_PORT);
  }

  Client app(opt);
  FIX::MemoryStoreFactory memory_store;
  std::unique_ptr<FIX::FileStoreFactory> file_store;
  std::unique_ptr<FIX::LogFactory> log_factory;
  std::unique_ptr<FIX::SocketInitiator> initiator;
  try {
    FIX::MessageStoreFactory *store = &memory_store;
    if (settings_name(settings, FIX::FILE_STORE_PATH)) {
      file_store.reset(new FIX::FileStoreFactory(settings));
      store = file_store.get();
    }
    if (log)
      log_factory.reset(new FIX::FileLogFactory(settings));
    else if (verbose)
      log_factory.reset(new StderrEventLogFactory(g_prog));
    if (log_factory)
      initiator.reset(new FIX::SocketInitiator(app, *store, settings, *log_factory));
    else
      initiator.reset(new FIX::SocketInitiator(app, *store, settings));
    if (busy)
      initiator->poll(0.0);
    else
      initiator->start();
  } catch (const FIX::ConfigError &e) {
    std::fprintf(stderr, "%s: %s: %s\n", g_prog, config, e.what());
    return 2;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: %s\n", g_prog, e.what());
    return 1;
  }

  /* In --busy-poll every wait below turns QuickFIX's crank instead. */
  auto run_until = [&](int64_t until, auto pred) -> bool {
    if (!busy)
      return app.wait_until(until, pred);
    while (!pred()) {
      if (now_ns() >= until)
        return pred();
      initiator->poll(0.0);
    }
    return true;
  };

  bool timed_out = false;
  if (!run_until(deadline, [&] { return app.logged_on(); })) {
    std::fprintf(stderr,
                 "%s: no Logon for %s with %s within %ld s (refused, no "
                 "answer, or rejected; -v shows QuickFIX's events)\n",
                 g_prog, sid.toString().c_str(), where.c_str(), timeout_s);
    timed_out = true;
  } else if (opt.rate > 0) {
    /* Open loop: order i due at t0 + i/R; the window, if any, still caps. */
    const int64_t t0 = now_ns();
    const double step = 1e9 / opt.rate;
    for (long i = 0; i < opt.orders && !timed_out; i++) {
      const int64_t due = t0 + (int64_t)(step * (double)i);
      if (!run_until(std::min(due, deadline), [&] { return now_ns() >= due; }) &&
          now_ns() >= deadline) {
        timed_out = true;
        break;
      }
      if (!run_until(deadline, [&] {
            return app.next_index() - app.answered() < app.window();
          })) {
        timed_out = true;
        break;
      }
      app.send_next();
    }
  }
  if (!timed_out && !run_until(deadline, [&] { return app.done(); }))
    timed_out = true;
  if (timed_out && app.ever_logged_on())
    std::fprintf(stderr, "%s: timed out after %ld s: %ld of %ld orders answered\n",
                 g_prog, timeout_s, app.answered(), opt.orders);

  /* Logout (sent by the last ExecutionReport's callback already when all
   * came back) and wait for the Logout reply, at most 2 s more. */
  if (FIX::Session *s = app.session()) {
    s->logout();
    run_until(now_ns() + 2000000000, [&] { return !app.logged_on(); });
  }
  initiator->stop(true);
  initiator.reset();

  print_result(app);
  return (!timed_out && app.acked() == opt.orders) ? 0 : 1;
}
