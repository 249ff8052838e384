// QuickFIX's session events (logon, logout, disconnects, rejects) on
// stderr, each line prefixed by the program's name and the session:
// shared by qf-client and qf-executor, whose stdout carries only their
// READY and result lines.
#ifndef FIXGW_TEST_QF_STDERR_LOG_H
#define FIXGW_TEST_QF_STDERR_LOG_H

#include <quickfix/Log.h>
#include <quickfix/SessionID.h>

#include <cstdio>
#include <string>
#include <utility>

class StderrEventLog : public FIX::Log {
public:
  StderrEventLog(const char *prog, std::string prefix)
      : m_prog(prog), m_prefix(std::move(prefix)) {}
  void clear() override {}
  void backup() override {}
  void onIncoming(const std::string &) override {}
  void onOutgoing(const std::string &) override {}
  void onEvent(const std::string &s) override {
    std::fprintf(stderr, "%s: %s%s\n", m_prog, m_prefix.c_str(), s.c_str());
  }

private:
  const char *m_prog;
  std::string m_prefix;
};

class StderrEventLogFactory : public FIX::LogFactory {
public:
  explicit StderrEventLogFactory(const char *prog) : m_prog(prog) {}
  FIX::Log *create() override { return new StderrEventLog(m_prog, ""); }
  FIX::Log *create(const FIX::SessionID &id) override {
    return new StderrEventLog(m_prog, id.toString() + ": ");
  }
  void destroy(FIX::Log *log) override { delete log; }

private:
  const char *m_prog; // static: outlives the factory
};

#endif
