/* The import against QuickFIX itself (Debian's libquickfix-dev 1.15):
 * QuickFIX's own FIX::FileStore writes a store from QuickFIX-built
 * messages (set, setNextSenderMsgSeqNum, setNextTargetMsgSeqNum; no
 * network), a fresh FileStore reading the same files is the oracle, and
 * the import must give back every message byte for byte, both numbers and
 * the creation time, into a file store (reopened) and a memory store; the
 * imported store then answers resend ranges through iter_open/iter_next.
 *
 * Two sessions: a plain one (ascending numbers, streamed), and one with a
 * qualifier, a gap (numbers QuickFIX sent but did not persist), a message
 * above 64 KiB and a number stored twice (the last bytes win).
 *
 * `test_store_import_quickfix --write DIR` only writes those stores into
 * DIR and prints what they hold, for the fixgw-qf-import test script. */
#include "fixgw/codec.h"
#include "fixgw/store.h"
#include "fixgw/store_file.h"
#include "fixgw/store_import.h"

/* C++ and QuickFIX headers before cmocka (its fail/skip macros). */
#include <quickfix/FieldConvertors.h>
#include <quickfix/FileStore.h>
#include <quickfix/SessionID.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/Heartbeat.h>
#include <quickfix/fix44/NewOrderSingle.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ftw.h>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka 1.1.5 leaves print_error outside its extern "C" block. */
extern "C" {
#include <cmocka.h>

#include "harness.h"
}

namespace {

struct Session {
  const char *qualifier; /* "" for none */
  int messages;          /* numbers 1..messages sent */
  int gap_from, gap_to;  /* not persisted */
  int again;             /* stored a second time at the end, 0: none */
  int big;               /* number carrying a 100 KB Text, 0: none */
  int next_target;
};

const Session kSessions[] = {
    {"", 300, 0, 0, 0, 0, 1234},
    {"Q1", 120, 40, 49, 7, 61, 99},
};

FIX::SessionID sid(const Session &s) {
  return FIX::SessionID("FIX.4.4", "QFSND", "QFTGT", s.qualifier);
}

/* QuickFIX's file name prefix for the session. */
std::string prefix_of(const Session &s) {
  return std::string("FIX.4.4-QFSND-QFTGT") + (*s.qualifier ? "-" : "") + s.qualifier;
}

void stamp(FIX::Message &m, int seq) {
  FIX::Header &h = m.getHeader();
  h.setField(FIX::SenderCompID("QFSND"));
  h.setField(FIX::TargetCompID("QFTGT"));
  h.setField(FIX::MsgSeqNum(seq));
  h.setField(FIX::SendingTime(FIX::UtcTimeStamp()));
}

/* What QuickFIX would have sent as number seq (pass 2: a resent copy). */
std::string build(const Session &s, int seq, int pass) {
  if (seq % 10 == 0) {
    FIX44::Heartbeat hb;
    stamp(hb, seq);
    return hb.toString();
  }
  if (seq % 3 == 0) {
    FIX44::ExecutionReport er(FIX::OrderID("O" + std::to_string(seq)),
                              FIX::ExecID("E" + std::to_string(seq)),
                              FIX::ExecType(FIX::ExecType_NEW), FIX::OrdStatus(FIX::OrdStatus_NEW),
                              FIX::Side(FIX::Side_BUY), FIX::LeavesQty(100), FIX::CumQty(0),
                              FIX::AvgPx(0));
    er.set(FIX::Symbol("IBM"));
    stamp(er, seq);
    return er.toString();
  }
  FIX44::NewOrderSingle o(FIX::ClOrdID("C" + std::to_string(seq) + (pass ? "-again" : "")),
                          FIX::Side(FIX::Side_SELL), FIX::TransactTime(),
                          FIX::OrdType(FIX::OrdType_LIMIT));
  o.set(FIX::Symbol("MSFT"));
  o.set(FIX::OrderQty(seq));
  o.set(FIX::Price(10.25));
  if (seq == s.big) o.set(FIX::Text(std::string(100 * 1000, 'x')));
  stamp(o, seq);
  return o.toString();
}

/* QuickFIX writes the store; numbers as a session would leave them. */
void write_store(const std::string &dir, const Session &s) {
  FIX::FileStoreFactory f(dir);
  std::unique_ptr<FIX::MessageStore> st(f.create(sid(s)));
  for (int seq = 1; seq <= s.messages; seq++) {
    if (seq >= s.gap_from && seq <= s.gap_to) continue;
    st->set(seq, build(s, seq, 0));
  }
  if (s.again) st->set(s.again, build(s, s.again, 1));
  st->setNextSenderMsgSeqNum(s.messages + 1);
  st->setNextTargetMsgSeqNum(s.next_target);
}

/* What a fresh QuickFIX FileStore reads from those files. */
struct Oracle {
  std::map<uint64_t, std::string> msgs;
  uint64_t next_sender = 0, next_target = 0;
  std::string creation; /* YYYYMMDD-HH:MM:SS */
  time_t creation_t = 0;
};

Oracle read_oracle(const std::string &dir, const Session &s) {
  Oracle o;
  FIX::FileStoreFactory f(dir);
  std::unique_ptr<FIX::MessageStore> st(f.create(sid(s)));
  o.next_sender = (uint64_t)st->getNextSenderMsgSeqNum();
  o.next_target = (uint64_t)st->getNextTargetMsgSeqNum();
  for (int seq = 1; seq < st->getNextSenderMsgSeqNum(); seq++) {
    std::vector<std::string> v;
    st->get(seq, seq, v);
    if (!v.empty()) o.msgs[(uint64_t)seq] = v[0];
  }
  FIX::UtcTimeStamp t = st->getCreationTime();
  o.creation = FIX::UtcTimeStampConvertor::convert(t);
  o.creation_t = t.getTimeT();
  return o;
}

std::string g_root;
int g_case;

std::string new_dir() {
  std::string d = g_root + "/c" + std::to_string(g_case++);
  assert_int_equal(mkdir(d.c_str(), 0755), 0);
  return d;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/* The store holds exactly o's messages in [begin, end], in order. */
void assert_range(fixgw_store_t *st, const Oracle &o, uint64_t begin, uint64_t end) {
  assert_int_equal(st->ops->iter_open(st->self, begin, end), 0);
  auto it = o.msgs.lower_bound(begin);
  for (;;) {
    uint64_t seq;
    const char *m;
    size_t len;
    int rc = st->ops->iter_next(st->self, &seq, &m, &len);
    if (it == o.msgs.end() || it->first > end) {
      assert_int_equal(rc, FIXGW_ENOTFOUND);
      break;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(seq, it->first);
    assert_int_equal(len, it->second.size());
    assert_memory_equal(m, it->second.data(), len);
    ++it;
  }
  st->ops->iter_close(st->self);
}

void assert_same(fixgw_store_t *st, const Oracle &o, const Session &s) {
  uint64_t a, b;
  assert_int_equal(st->ops->get_seqnums(st->self, &a, &b), 0);
  assert_int_equal(a, o.next_sender);
  assert_int_equal(b, o.next_target);
  int64_t t;
  assert_int_equal(st->ops->creation_time(st->self, &t), 0);
  assert_int_equal(t, (int64_t)o.creation_t * 1000000000LL);
  char txt[FIXGW_TIMESTAMP_STRLEN];
  assert_true(fixgw_timestamp_format(t, FIXGW_TS_SECONDS, txt, sizeof txt) > 0);
  assert_string_equal(txt, o.creation.c_str());
  /* The whole store, then resend requests as a peer would send them:
   * a range over the gap and the renumbered message, an open end (0 in
   * ResendRequest means "to the last", the session passes UINT64_MAX),
   * a single number, a number never stored. */
  assert_range(st, o, 1, UINT64_MAX);
  assert_range(st, o, 5, 55);
  assert_range(st, o, (uint64_t)s.messages - 5, UINT64_MAX);
  assert_range(st, o, 7, 7);
  if (s.gap_from) assert_range(st, o, (uint64_t)s.gap_from, (uint64_t)s.gap_to);
}

fixgw_qf_import_config_t cfg_for(const std::string &dir, const Session &s) {
  fixgw_qf_import_config_t c;
  fixgw_qf_import_config_default(&c);
  c.directory = dir.c_str();
  c.begin_string = "FIX.4.4";
  c.sender_comp_id = "QFSND";
  c.target_comp_id = "QFTGT";
  c.qualifier = s.qualifier;
  return c;
}

void test_session(const Session &s) {
  std::string dir = new_dir();
  write_store(dir, s);
  Oracle o = read_oracle(dir, s);
  /* QuickFIX wrote what we expect to read (the oracle is not empty). */
  std::string prefix = prefix_of(s);
  assert_int_equal(o.next_sender, (uint64_t)s.messages + 1);
  assert_int_equal(o.next_target, (uint64_t)s.next_target);
  assert_true(o.msgs.size() > 100);
  assert_string_equal(slurp(dir + "/" + prefix + ".session").c_str(), o.creation.c_str());
  if (s.again) assert_non_null(strstr(o.msgs[(uint64_t)s.again].c_str(), "-again"));

  fixgw_qf_import_config_t c = cfg_for(dir, s);
  fixgw_qf_store_info_t in;
  fixgw_qf_import_error_t e;
  int rc = fixgw_qf_store_check(&c, &in, &e);
  if (rc) fail_msg("%s", e.text);
  assert_int_equal(in.messages, o.msgs.size());
  assert_int_equal(in.superseded, s.again ? 1 : 0);
  assert_int_equal(in.next_sender, o.next_sender);
  assert_int_equal(in.creation_utc_ns, (int64_t)o.creation_t * 1000000000LL);
  size_t longest = 0;
  for (auto &kv : o.msgs) longest = kv.second.size() > longest ? kv.second.size() : longest;
  assert_int_equal(in.max_message_len, longest);

  /* Into a file store created at QuickFIX's time, then reopened. */
  std::string dst = new_dir();
  fixgw_file_store_config_t fc;
  fixgw_file_store_config_default(&fc);
  fc.directory = dst.c_str();
  fc.key = "imported";
  fc.sync = FIXGW_FILE_SYNC_OS;
  fc.max_message_size = in.max_message_len > 65536 ? in.max_message_len : 65536;
  fc.grow_bytes = 1 << 20;
  fc.window_bytes = 1 << 20;
  fc.now_utc_ns = in.creation_utc_ns;
  fixgw_store_t st;
  assert_int_equal(fixgw_file_store_open(&fc, &st, NULL), 0);
  rc = fixgw_qf_store_import(&c, &st, &in, &e);
  if (rc) fail_msg("%s", e.text);
  assert_int_equal(in.imported, o.msgs.size());
  assert_true(in.creation_kept);
  assert_same(&st, o, s);
  fixgw_store_destroy(&st);
  fc.flags = FIXGW_FILE_STORE_MUST_EXIST;
  assert_int_equal(fixgw_file_store_open(&fc, &st, NULL), 0);
  assert_same(&st, o, s);
  fixgw_store_destroy(&st);

  /* Into a memory store: its creation time set by reset(). */
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  mc.max_messages = 4096;
  mc.max_bytes = 8u << 20;
  mc.now_utc_ns = 1;
  assert_int_equal(fixgw_mem_store_create(&mc, &st), 0);
  rc = fixgw_qf_store_import(&c, &st, &in, &e);
  if (rc) fail_msg("%s", e.text);
  assert_same(&st, o, s);
  fixgw_store_destroy(&st);

  /* QuickFIX's files are read, never written. */
  Oracle again = read_oracle(dir, s);
  assert_true(again.msgs == o.msgs);
}

void test_plain(void **) { test_session(kSessions[0]); }
void test_qualifier_gap_big_renumbered(void **) { test_session(kSessions[1]); }

/* QuickFIX cut short mid-write: the header names bytes the body lacks. */
void test_quickfix_store_cut(void **) {
  const Session &s = kSessions[0];
  std::string dir = new_dir();
  write_store(dir, s);
  std::string body = dir + "/FIX.4.4-QFSND-QFTGT.body";
  struct stat sb;
  assert_int_equal(stat(body.c_str(), &sb), 0);
  assert_int_equal(truncate(body.c_str(), sb.st_size - 1), 0);
  fixgw_qf_import_config_t c = cfg_for(dir, s);
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  fixgw_store_t st;
  assert_int_equal(fixgw_mem_store_create(&mc, &st), 0);
  fixgw_qf_import_error_t e;
  assert_int_equal(fixgw_qf_store_import(&c, &st, NULL, &e), FIXGW_EFORMAT);
  assert_non_null(strstr(e.text, "points past the end"));
  assert_non_null(strstr(e.text, "entry 300 (seq 300)"));
  uint64_t a, b;
  assert_int_equal(st.ops->get_seqnums(st.self, &a, &b), 0);
  assert_int_equal(a, 1);
  fixgw_store_destroy(&st);
}

int rm_one(const char *p, const struct stat *, int, struct FTW *) { return remove(p); }

} // namespace

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--write")) {
    for (const Session &s : kSessions) {
      write_store(argv[2], s);
      Oracle o = read_oracle(argv[2], s);
      size_t bytes = 0;
      for (auto &kv : o.msgs) bytes += kv.second.size();
      printf("%s messages=%zu bytes=%zu next_sender=%" PRIu64 " next_target=%" PRIu64
             " creation=%s\n",
             prefix_of(s).c_str(), o.msgs.size(), bytes, o.next_sender, o.next_target,
             o.creation.c_str());
    }
    return 0;
  }
  char root[] = "/tmp/fixgw-qfimport-qf-XXXXXX";
  if (!mkdtemp(root)) {
    perror("mkdtemp");
    return 1;
  }
  g_root = root;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain),
      cmocka_unit_test(test_qualifier_gap_big_renumbered),
      cmocka_unit_test(test_quickfix_store_cut),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return rc;
}
