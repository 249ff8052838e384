/* qf-executor: a QuickFIX 1.15 acceptor that answers every NewOrderSingle
 * with an ExecutionReport (ExecType=New, OrdStatus=New), for the sessions
 * its QuickFIX settings file lists (FIX.4.2, FIX.4.4, FIXT.1.1 with any
 * DefaultApplVerID: the messages are generic FIX::Message, so one binary
 * answers every version).
 *
 * It is the QuickFIX side of the interoperability tests and of the
 * end-to-end benchmarks, "a peer nobody here wrote", and takes the same
 * command line and prints the same lines as fixgw-executor:
 *
 *   qf-executor -c FILE [--port N] [--log] [--busy-poll | --threaded] [-v]
 *
 *   READY port=N     once, on stdout, when the acceptor listens
 *
 * SIGTERM or SIGINT logs out every session (Session::logout), waits (at
 * most 5 s) for the Logout exchanges, stops the acceptor and exits 0.
 *
 * Transport: FIX::SocketAcceptor, because it is the only QuickFIX acceptor
 * that can be polled, and polled is the lowest latency QuickFIX has. By
 * default it runs on its own thread (Acceptor::start): one thread
 * select()s over every connection and runs the sessions, so a message is
 * read, answered and written by the thread the kernel wakes, with no
 * hand-off. --busy-poll drives it from main() with Acceptor::poll(), whose
 * select() has a zero timeout: the process spins on a core instead of
 * sleeping in select(), for like-with-like comparisons with a busy-polling
 * peer. FIX::ThreadedSocketAcceptor (--threaded, for comparison) runs a
 * thread per connection (select() on its socket, then recv()); its
 * onPoll() does nothing, so it cannot busy-poll. Measured here (2 shared
 * vCPUs, FIX.4.4, 20 000 orders, one in flight, medians of 5 interleaved
 * runs): SocketAcceptor 54 us p50 / 134 us p99, threaded 48 us / 1025 us
 * (its extra threads cost it the tail), SocketAcceptor --busy-poll with a
 * busy-polling client 20 us / 61 us.
 *
 * Port. QuickFIX 1.15 cannot listen on port 0 (it would bind an ephemeral
 * port and never say which). --port N replaces SocketAcceptPort in every
 * session; when the port (given or read) is 0 we pick one: bind a socket to
 * 127.0.0.1:0, read the port the kernel chose, close it and hand that
 * number to QuickFIX. Between our close() and QuickFIX's bind() another
 * process may take the port: then QuickFIX's bind fails and we pick again
 * (5 tries). QuickFIX 1.15 binds INADDR_ANY (it has no SocketAcceptHost);
 * our peers only ever connect over 127.0.0.1.
 *
 * Store: FileStoreFactory when the settings name FileStorePath, else
 * MemoryStoreFactory. Log: none by default; --log writes QuickFIX's
 * FileLog under FileLogPath (default ./qf-log); -v prints QuickFIX's session
 * events (not the messages) to stderr. */

#include <quickfix/Application.h>
#include <quickfix/Exceptions.h>
#include <quickfix/FieldNumbers.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Log.h>
#include <quickfix/Message.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionID.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/ThreadedSocketAcceptor.h>

#include "qf_stderr_log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>

namespace {

const char *g_prog = "qf-executor";

/* ---------------------------------------------------------- application */

/* QuickFIX 1.15's Application declares dynamic exception specifications;
 * an override must repeat them, and GCC calls them deprecated. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated"

class Executor : public FIX::Application {
public:
  Executor() {
    /* OrderID/ExecID: a per-run prefix and a counter, so two runs (or two
     * executors) on one day do not repeat an id. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lx%x-", (unsigned long)ts.tv_sec,
                  (unsigned)getpid() & 0xffffu);
    m_prefix = buf;
  }

  void onCreate(const FIX::SessionID &) override {}
  void onLogon(const FIX::SessionID &) override {}
  void onLogout(const FIX::SessionID &) override {}
  void toAdmin(FIX::Message &, const FIX::SessionID &) override {}
  void toApp(FIX::Message &, const FIX::SessionID &)
      throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message &, const FIX::SessionID &)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
            FIX::IncorrectTagValue, FIX::RejectLogon) override {}

  /* NewOrderSingle -> ExecutionReport New. Anything else: QuickFIX answers
   * UnsupportedMessageType with a BusinessMessageReject (a Reject in 4.0,
   * 4.1); a NewOrderSingle missing a field we echo gets one too
   * (FieldNotFound). */
  void fromApp(const FIX::Message &msg, const FIX::SessionID &sid)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
            FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    const std::string &type = msg.getHeader().getField(FIX::FIELD::MsgType);
    if (type != "D")
      throw FIX::UnsupportedMessageType();

    const std::string &qty = msg.getField(FIX::FIELD::OrderQty);
    FIX::Message er;
    er.getHeader().setField(FIX::FIELD::MsgType, "8");
    const uint64_t n = m_next.fetch_add(1, std::memory_order_relaxed) + 1;
    const std::string num = std::to_string(n);
    er.setField(FIX::FIELD::OrderID, "O" + m_prefix + num);
    er.setField(FIX::FIELD::ExecID, "E" + m_prefix + num);
    if (sid.getBeginString().getString() <= FIX::BeginString_FIX42)
      er.setField(FIX::FIELD::ExecTransType, "0"); /* New; gone in 4.3 */
    er.setField(FIX::FIELD::ExecType, "0");        /* New */
    er.setField(FIX::FIELD::OrdStatus, "0");       /* New */
    er.setField(FIX::FIELD::ClOrdID, msg.getField(FIX::FIELD::ClOrdID));
    er.setField(FIX::FIELD::Symbol, msg.getField(FIX::FIELD::Symbol));
    er.setField(FIX::FIELD::Side, msg.getField(FIX::FIELD::Side));
    er.setField(FIX::FIELD::OrderQty, qty);
    er.setField(FIX::FIELD::LeavesQty, qty);
    er.setField(FIX::FIELD::CumQty, "0");
    er.setField(FIX::FIELD::AvgPx, "0");
    try {
      FIX::Session::sendToTarget(er, sid);
    } catch (const FIX::SessionNotFound &) {
      /* the session went away under us: nothing to answer on */
    }
  }

private:
  std::string m_prefix;
  std::atomic<uint64_t> m_next{0};
};

#pragma GCC diagnostic pop

/* ------------------------------------------------------------- settings */

/* A free TCP port on 127.0.0.1 (see the race in the header comment), or
 * 0 with a message. */
int pick_free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    std::fprintf(stderr, "%s: socket: %s\n", g_prog, std::strerror(errno));
    return 0;
  }
  struct sockaddr_in sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  socklen_t len = sizeof sa;
  int port = 0;
  if (bind(fd, reinterpret_cast<struct sockaddr *>(&sa), sizeof sa) != 0 ||
      getsockname(fd, reinterpret_cast<struct sockaddr *>(&sa), &len) != 0)
    std::fprintf(stderr, "%s: cannot find a free port on 127.0.0.1: %s\n",
                 g_prog, std::strerror(errno));
  else
    port = ntohs(sa.sin_port);
  close(fd);
  return port;
}

bool settings_name(const FIX::SessionSettings &s, const char *key) {
  if (s.get().has(key))
    return true;
  for (const FIX::SessionID &id : s.getSessions())
    if (s.get(id).has(key))
      return true;
  return false;
}

/* A copy of `in` with SocketAcceptPort=port in every session (when port
 * >= 0) and FileLogPath defaulted (when log). */
FIX::SessionSettings rewrite(const FIX::SessionSettings &in, int port,
                             bool log) {
  FIX::SessionSettings out;
  FIX::Dictionary def = in.get();
  if (port >= 0)
    def.setInt(FIX::SOCKET_ACCEPT_PORT, port);
  if (log && !def.has(FIX::FILE_LOG_PATH))
    def.setString(FIX::FILE_LOG_PATH, "qf-log");
  out.set(def);
  for (const FIX::SessionID &id : in.getSessions()) {
    FIX::Dictionary d = in.get(id);
    if (port >= 0)
      d.setInt(FIX::SOCKET_ACCEPT_PORT, port);
    if (log && !d.has(FIX::FILE_LOG_PATH))
      d.setString(FIX::FILE_LOG_PATH, def.getString(FIX::FILE_LOG_PATH));
    out.set(id, d);
  }
  return out;
}

/* The port of the first session (the READY line names one port; our
 * settings files use one port for every session). -1 when unset. */
int first_port(const FIX::SessionSettings &s) {
  for (const FIX::SessionID &id : s.getSessions()) {
    const FIX::Dictionary &d = s.get(id);
    if (!d.has(FIX::SOCKET_ACCEPT_PORT))
      return -1;
    return d.getInt(FIX::SOCKET_ACCEPT_PORT);
  }
  return -1;
}

/* ---------------------------------------------------------------- main */

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

void usage(FILE *f) {
  std::fprintf(
      f,
      "usage: %s -c FILE [--port N] [--log] [--busy-poll | --threaded] [-v]\n"
      "\n"
      "A QuickFIX acceptor answering every NewOrderSingle with an\n"
      "ExecutionReport (New), for the sessions the QuickFIX settings FILE\n"
      "lists (FIX.4.2, FIX.4.4, FIXT.1.1).\n"
      "\n"
      "  -c, --config FILE  QuickFIX settings file (ConnectionType=acceptor)\n"
      "  --port N           listen on N instead of SocketAcceptPort (every\n"
      "                     session); 0 picks a free port\n"
      "  --log              QuickFIX FileLog under FileLogPath (./qf-log)\n"
      "  --busy-poll        drive the acceptor with poll() in a spin loop\n"
      "                     (lowest latency; one core at 100%%)\n"
      "  --threaded         ThreadedSocketAcceptor (a thread per connection)\n"
      "  -v, --verbose      QuickFIX session events on stderr\n"
      "  -h, --help         this text\n"
      "\n"
      "Prints `READY port=N` once listening; SIGTERM/SIGINT logs out every\n"
      "session and exits 0. Exit 2: bad usage or settings; 1: cannot listen.\n",
      g_prog);
}

bool parse_int(const char *s, long lo, long hi, long *out) {
  char *end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

void wait_logged_out(FIX::Acceptor &acceptor, bool busy) {
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    if (!acceptor.isLoggedOn())
      return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - t0.tv_sec >= 5)
      return;
    if (busy) {
      acceptor.poll(0.0);
    } else {
      struct timespec d = {0, 5 * 1000 * 1000};
      nanosleep(&d, nullptr);
    }
  }
}

} // namespace

int main(int argc, char **argv) {
  const char *config = nullptr;
  long port = -1;
  bool log = false, busy = false, threaded = false, verbose = false;

  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    auto value = [&](void) -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: %s needs a value\n", g_prog, a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else if (a == "-c" || a == "--config") {
      config = value();
    } else if (a == "--port") {
      const char *v = value();
      if (!parse_int(v, 0, 65535, &port)) {
        std::fprintf(stderr, "%s: --port %s: not a port (0-65535)\n", g_prog,
                     v);
        return 2;
      }
    } else if (a == "--log") {
      log = true;
    } else if (a == "--busy-poll") {
      busy = true;
    } else if (a == "--threaded") {
      threaded = true;
    } else if (a == "-v" || a == "--verbose") {
      verbose = true;
    } else {
      std::fprintf(stderr, "%s: unknown argument %s (try --help)\n", g_prog,
                   a.c_str());
      return 2;
    }
  }
  if (!config) {
    std::fprintf(stderr, "%s: -c FILE is required (try --help)\n", g_prog);
    return 2;
  }
  if (busy && threaded) {
    std::fprintf(stderr, "%s: --busy-poll and --threaded exclude each other\n",
                 g_prog);
    return 2;
  }

  ::signal(SIGPIPE, SIG_IGN);

  FIX::SessionSettings file;
  try {
    file = FIX::SessionSettings(config);
    if (file.getSessions().empty())
      throw FIX::ConfigError("no [SESSION] section");
    for (const FIX::SessionID &id : file.getSessions())
      if (file.get(id).getString(FIX::CONNECTION_TYPE) != "acceptor")
        throw FIX::ConfigError(id.toString() + ": ConnectionType is not acceptor");
    if (port < 0 && first_port(file) < 0)
      throw FIX::ConfigError("SocketAcceptPort missing (or give --port)");
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: %s: %s\n", g_prog, config, e.what());
    return 2;
  }

  /* Signals: in the blocking modes main() waits for them with sigwait()
   * and every QuickFIX thread inherits the block; --busy-poll polls a
   * flag set by a handler. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  if (busy) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
  } else {
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  }

  Executor app;
  FIX::MemoryStoreFactory memory_store;
  std::unique_ptr<FIX::FileStoreFactory> file_store;
  std::unique_ptr<FIX::LogFactory> log_factory;
  std::unique_ptr<FIX::Acceptor> acceptor;
  FIX::SessionSettings settings;
  int listen_port = 0;
  const bool pick = port == 0 || (port < 0 && first_port(file) == 0);

  for (int attempt = 1;; attempt++) {
    /* The acceptor refers to the store and log factories: it goes first. */
    acceptor.reset();
    log_factory.reset();
    file_store.reset();
    long use = port;
    if (pick) {
      use = pick_free_port();
      if (use == 0)
        return 1;
    }
    try {
      settings = rewrite(file, (int)use, log);
      listen_port = first_port(settings);
      FIX::MessageStoreFactory *store = &memory_store;
      if (settings_name(settings, FIX::FILE_STORE_PATH)) {
        file_store.reset(new FIX::FileStoreFactory(settings));
        store = file_store.get();
      }
      if (log)
        log_factory.reset(new FIX::FileLogFactory(settings));
      else if (verbose)
        log_factory.reset(new StderrEventLogFactory(g_prog));
      if (threaded) {
        if (log_factory)
          acceptor.reset(new FIX::ThreadedSocketAcceptor(app, *store, settings,
                                                         *log_factory));
        else
          acceptor.reset(new FIX::ThreadedSocketAcceptor(app, *store, settings));
      } else {
        if (log_factory)
          acceptor.reset(
              new FIX::SocketAcceptor(app, *store, settings, *log_factory));
        else
          acceptor.reset(new FIX::SocketAcceptor(app, *store, settings));
      }
    } catch (const FIX::ConfigError &e) {
      std::fprintf(stderr, "%s: %s: %s\n", g_prog, config, e.what());
      return 2;
    } catch (const std::exception &e) {
      std::fprintf(stderr, "%s: %s\n", g_prog, e.what());
      return 1;
    }
    try {
      /* Both bind and listen before returning: start() in onInitialize
       * before it spawns the thread, the first poll() before it polls. */
      if (busy)
        acceptor->poll(0.0);
      else
        acceptor->start();
      break;
    } catch (const std::exception &e) {
      if (pick && attempt < 5)
        continue; /* someone took the port we picked: pick again */
      std::fprintf(stderr, "%s: %s\n", g_prog, e.what());
      return 1;
    }
  }

  std::printf("READY port=%d\n", listen_port);
  std::fflush(stdout);

  if (busy) {
    while (!g_stop)
      acceptor->poll(0.0);
  } else {
    int sig = 0;
    sigwait(&sigs, &sig);
  }

  /* Logout every session, let the Logout exchanges run, then stop without
   * QuickFIX's own wait (a whole second at a time). */
  for (const FIX::SessionID &id : acceptor->getSessions()) {
    FIX::Session *s = FIX::Session::lookupSession(id);
    if (s)
      s->logout("executor shutting down");
  }
  wait_logged_out(*acceptor, busy);
  acceptor->stop(true);
  acceptor.reset();
  return 0;
}
