/* Interoperability with QuickFIX 1.15 (libquickfix-dev), in both directions.
 *
 *  1. Messages QuickFIX builds and serialises parse with fixgw_parse into the
 *     same fields, in the same order, byte for byte, as QuickFIX's own field
 *     iteration (header, body with group entries in place, trailer); our
 *     typed conversions agree with QuickFIX's convertors.
 *  2. Messages our encoder writes pass QuickFIX's validating parser
 *     (BodyLength, CheckSum) and DataDictionary::validate with FIX44.xml,
 *     and QuickFIX reads back the same fields.
 *  3. Corrupted CheckSum / BodyLength are rejected by both.
 *  4. A seeded random round trip of a few thousand messages.
 *  5. Probes of inputs where the two differ by design, printed as a table
 *     so a change on either side shows up in the log.
 *
 * QuickFIX keeps a parsed message's body sorted by tag (header 8, 9, 35
 * first), so the messages we encode put fields in that canonical order and
 * the comparison can demand the same order both ways. */
#include "fixgw/codec.h"

/* C++ headers first: cmocka defines function-like macros (fail, skip)
 * that collide with members such as std::ios::fail. */
#include <quickfix/DataDictionary.h>
#include <quickfix/Exceptions.h>
#include <quickfix/FieldConvertors.h>
#include <quickfix/Message.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/Heartbeat.h>
#include <quickfix/fix44/Logon.h>
#include <quickfix/fix44/MarketDataSnapshotFullRefresh.h>
#include <quickfix/fix44/NewOrderSingle.h>
#include <quickfix/fix44/OrderCancelRequest.h>

#include <quickfix/Parser.h>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <utility>
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

using Flat = std::vector<std::pair<int, std::string>>;

/* ------------------------------------------------------------ dictionary */

std::unique_ptr<FIX::DataDictionary> g_dd;
std::string g_dd_error;
bool g_dd_broken; /* the file exists but QuickFIX cannot load it */
bool g_skipped;   /* a test skipped: main exits with ctest's skip code */

/* ctest's SKIP_RETURN_CODE for this test: a run where a test skipped
 * shows as skipped, not passed. */
const int kSkipExit = 77;

/* FIXGW_REQUIRE_SPEC=1 (scripts/test.sh, CI): the spec must be there. */
bool spec_required() {
  const char *v = getenv("FIXGW_REQUIRE_SPEC");
  return v && strcmp(v, "0") != 0 && *v;
}

const FIX::DataDictionary *dict() { return g_dd.get(); }

int load_dict(void **) {
  std::string path = std::string(FIXGW_SPEC_DIR) + "/FIX44.xml";
  struct stat sb;
  if (stat(path.c_str(), &sb) != 0) {
    g_dd_error = "data dictionary " + path + " not found";
    return 0;
  }
  try {
    g_dd.reset(new FIX::DataDictionary(path));
  } catch (const std::exception &e) {
    g_dd_error = "QuickFIX cannot load " + path + ": " + e.what();
    g_dd_broken = true;
  }
  return 0;
}

int free_dict(void **) {
  g_dd.reset();
  return 0;
}

/* A dictionary that exists but does not load is a failure; a missing one
 * is a skip (a failure too when FIXGW_REQUIRE_SPEC is set). */
#define NEED_DICT()                                                           \
  do {                                                                        \
    if (!dict()) {                                                            \
      if (g_dd_broken || spec_required()) {                                   \
        print_error("%s: %s%s\n", __func__, g_dd_error.c_str(),               \
                    g_dd_broken ? "" : " (FIXGW_REQUIRE_SPEC is set)");       \
        fail();                                                               \
      }                                                                       \
      print_message("SKIP %s: %s\n", __func__, g_dd_error.c_str());           \
      g_skipped = true;                                                       \
      skip();                                                                 \
    }                                                                         \
  } while (0)

/* --------------------------------------------------------------- helpers */

std::string printable(const std::string &s) {
  std::string o;
  for (unsigned char c : s) {
    if (c == 1)
      o += '|';
    else if (c < 0x20 || c > 0x7e) {
      char b[8];
      snprintf(b, sizeof b, "\\x%02x", c);
      o += b;
    } else
      o += (char)c;
  }
  return o;
}

/* QuickFIX's own iteration: a FieldMap's fields in order, each group's
 * entries right after its count field (where toString() writes them). */
void flatten(const FIX::FieldMap &m, Flat &out) {
  for (auto it = m.begin(); it != m.end(); ++it) {
    out.emplace_back(it->getTag(), it->getString());
    for (auto g = m.g_begin(); g != m.g_end(); ++g) {
      if (g->first != it->getTag()) continue;
      for (const FIX::FieldMap *e : g->second) flatten(*e, out);
    }
  }
}

Flat flatten_msg(const FIX::Message &m) {
  Flat out;
  flatten(m.getHeader(), out);
  flatten(m, out);
  flatten(m.getTrailer(), out);
  return out;
}

/* Our parse of bytes copied against a guard page; the whole input must be
 * exactly one valid message. The guard stays mapped while the view is
 * used, so the caller frees it. */
struct Ours {
  fixgw_parser_t p;
  fixgw_guard_t g;
  fixgw_msg_t m;
  int rc;
  fixgw_parse_error_t err;
  size_t consumed;
  Ours() {
    memset(&p, 0, sizeof p);
    memset(&g, 0, sizeof g);
    assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  }
  ~Ours() {
    if (g.base) fixgw_guard_free(&g);
    fixgw_parser_destroy(&p);
  }
  int parse(const std::string &s) {
    if (g.base) fixgw_guard_free(&g);
    memset(&g, 0, sizeof g);
    const char *buf = fixgw_guard_copy(&g, s.data(), s.size());
    fixgw_parser_reset(&p); /* each input is a stream of its own */
    rc = fixgw_parse(&p, buf, s.size(), &consumed, &m, &err);
    return rc;
  }
  Flat flat() const {
    Flat out;
    for (uint32_t i = 0; i < m.nfields; i++)
      out.emplace_back((int)m.fields[i].tag,
                       std::string(m.fields[i].val, m.fields[i].len));
    return out;
  }
};

void expect_same(const Flat &want, const Flat &got, const std::string &wire,
                 const char *what) {
  size_t n = want.size() < got.size() ? want.size() : got.size();
  for (size_t i = 0; i < n; i++) {
    if (want[i].first != got[i].first || want[i].second != got[i].second) {
      print_error("%s: field %zu differs: QuickFIX %d=%s, fixgw %d=%s\nwire: %s\n",
                  what, i, want[i].first, printable(want[i].second).c_str(),
                  got[i].first, printable(got[i].second).c_str(),
                  printable(wire).c_str());
      fail();
    }
  }
  if (want.size() != got.size()) {
    print_error("%s: QuickFIX has %zu fields, fixgw %zu\nwire: %s\n", what,
                want.size(), got.size(), printable(wire).c_str());
    fail();
  }
}

/* Field types for the tags used here when no dictionary is loaded. */
FIX::TYPE::Type fallback_type(int tag) {
  switch (tag) {
    case 9: case 34: case 98: case 108: case 268: case 290: case 95: case 212:
      return FIX::TYPE::Int;
    case 6: case 31: case 44: case 270:
      return FIX::TYPE::Price;
    case 14: case 32: case 38: case 151: case 271:
      return FIX::TYPE::Qty;
    case 52: case 60:
      return FIX::TYPE::UtcTimeStamp;
    case 21: case 39: case 40: case 54: case 59: case 150: case 269:
      return FIX::TYPE::Char;
    case 141:
      return FIX::TYPE::Boolean;
    default:
      return FIX::TYPE::String;
  }
}

FIX::TYPE::Type type_of(int tag) {
  FIX::TYPE::Type t = FIX::TYPE::Unknown;
  if (dict() && dict()->getFieldType(tag, t)) return t;
  return fallback_type(tag);
}

/* Render a decimal as the shortest string that keeps its exponent:
 * {1872500, -4} -> "187.2500". */
std::string decimal_str(fixgw_decimal_t d) {
  bool neg = d.mant < 0;
  uint64_t mag = neg ? (uint64_t)0 - (uint64_t)d.mant : (uint64_t)d.mant;
  std::string digits = std::to_string(mag);
  std::string out = neg ? "-" : "";
  if (d.exp >= 0) return out + digits + std::string((size_t)d.exp, '0');
  size_t frac = (size_t)-d.exp;
  if (digits.size() <= frac) digits.insert(0, frac + 1 - digits.size(), '0');
  return out + digits.substr(0, digits.size() - frac) + "." +
         digits.substr(digits.size() - frac);
}

struct TypedStats {
  unsigned ints = 0, decimals = 0, timestamps = 0, chars = 0, bools = 0;
  unsigned double_inexact = 0;
  uint64_t max_ulps = 0;
};

/* Distance in units in the last place between two finite doubles. */
uint64_t ulp_distance(double a, double b) {
  int64_t ia, ib;
  memcpy(&ia, &a, sizeof ia);
  memcpy(&ib, &b, sizeof ib);
  if (ia < 0) ia = INT64_MIN - ia;
  if (ib < 0) ib = INT64_MIN - ib;
  return ia > ib ? (uint64_t)ia - (uint64_t)ib : (uint64_t)ib - (uint64_t)ia;
}

/* Our conversions against QuickFIX's convertors for every field of a
 * parsed message whose type the dictionary knows. */
void check_typed(const fixgw_msg_t *m, TypedStats &ts, const std::string &wire) {
  for (uint32_t i = 0; i < m->nfields; i++) {
    const fixgw_field_t &f = m->fields[i];
    const std::string v(f.val, f.len);
    switch (type_of((int)f.tag)) {
      case FIX::TYPE::Int:
      case FIX::TYPE::SeqNum:
      case FIX::TYPE::Length:
      case FIX::TYPE::NumInGroup:
      case FIX::TYPE::DayOfMonth: {
        int64_t ours = 0;
        if (fixgw_to_int(f.val, f.len, &ours) != 0) {
          print_error("tag %u: fixgw_to_int rejects \"%s\"\n", f.tag, v.c_str());
          fail();
        }
        int theirs = FIX::IntConvertor::convert(v);
        if (ours != (int64_t)theirs) {
          print_error("tag %u \"%s\": fixgw %" PRId64 ", QuickFIX %d\nwire: %s\n",
                      f.tag, v.c_str(), ours, theirs, printable(wire).c_str());
          fail();
        }
        ts.ints++;
        break;
      }
      case FIX::TYPE::Price:
      case FIX::TYPE::Qty:
      case FIX::TYPE::Amt:
      case FIX::TYPE::Float:
      case FIX::TYPE::PriceOffset:
      case FIX::TYPE::Percentage: {
        fixgw_decimal_t d;
        if (fixgw_to_decimal(f.val, f.len, &d) != 0) {
          print_error("tag %u: fixgw_to_decimal rejects \"%s\"\n", f.tag, v.c_str());
          fail();
        }
        /* Exact: the decimal rendered back is QuickFIX's string. */
        if (decimal_str(d) != v) {
          print_error("tag %u \"%s\": fixgw decimal renders as \"%s\"\n", f.tag,
                      v.c_str(), decimal_str(d).c_str());
          fail();
        }
        double theirs = FIX::DoubleConvertor::convert(v);
        double ours = fixgw_decimal_to_double(d);
        if (ours != theirs) {
          /* fixgw_decimal_to_double is correctly rounded for |mant| <
           * 2^53 and |exp| <= 22 and within 2 ulp beyond: count and bound
           * any difference from QuickFIX's strtod. */
          uint64_t ulps = ulp_distance(ours, theirs);
          ts.double_inexact++;
          if (ulps > ts.max_ulps) ts.max_ulps = ulps;
          if (ulps > 16) {
            print_error("tag %u \"%s\": fixgw %.17g, QuickFIX %.17g\n", f.tag,
                        v.c_str(), ours, theirs);
            fail();
          }
        }
        ts.decimals++;
        break;
      }
      case FIX::TYPE::UtcTimeStamp: {
        int64_t ns = 0;
        if (fixgw_to_timestamp(f.val, f.len, &ns) != 0) {
          print_error("tag %u: fixgw_to_timestamp rejects \"%s\"\n", f.tag, v.c_str());
          fail();
        }
        FIX::UtcTimeStamp t = FIX::UtcTimeStampConvertor::convert(v);
        int64_t theirs = (int64_t)t.getTimeT() * 1000000000LL + (int64_t)t.getNanosecond();
        if (ns != theirs) {
          print_error("tag %u \"%s\": fixgw %" PRId64 " ns, QuickFIX %" PRId64 " ns\n",
                      f.tag, v.c_str(), ns, theirs);
          fail();
        }
        ts.timestamps++;
        break;
      }
      case FIX::TYPE::Char: {
        char c = 0;
        assert_int_equal(fixgw_to_char(f.val, f.len, &c), 0);
        assert_int_equal(c, FIX::CharConvertor::convert(v));
        ts.chars++;
        break;
      }
      case FIX::TYPE::Boolean: {
        bool b = false;
        assert_int_equal(fixgw_to_bool(f.val, f.len, &b), 0);
        assert_int_equal(b, FIX::BoolConvertor::convert(v));
        ts.bools++;
        break;
      }
      default:
        break;
    }
  }
}

/* ------------------------------------------- messages QuickFIX builds */

FIX::UtcTimeStamp ts_of(int y, int mo, int d, int h, int mi, int s, int frac,
                        int prec) {
  return FIX::UtcTimeStamp(h, mi, s, frac, d, mo, y, prec);
}

void qf_header(FIX::Message &m, int seq, int prec, int frac) {
  FIX::Header &h = m.getHeader();
  h.setField(FIX::SenderCompID("BUYSIDE-OMS01"));
  h.setField(FIX::TargetCompID("SELLSIDE=GW02"));  // '=' inside a value
  h.setField(FIX::MsgSeqNum(seq));
  h.setField(FIX::SendingTime(ts_of(2024, 3, 15, 14, 30, 15, frac, prec), prec));
}

/* RawData with SOH and '=' inside, as a data field must allow. */
const std::string kRaw("k=\x01v=1\x01\x01==", 11);
const std::string kXml("<a b=\"1\">\x01=</a>", 14);

std::vector<std::pair<const char *, std::string>> quickfix_built() {
  std::vector<std::pair<const char *, std::string>> out;

  FIX44::NewOrderSingle nos(FIX::ClOrdID("ORD-20240315-000123456"), FIX::Side('1'),
                            FIX::TransactTime(ts_of(2024, 3, 15, 14, 30, 15, 123456, 6), 6),
                            FIX::OrdType('2'));
  qf_header(nos, 1234567, 6, 123456);
  nos.getHeader().setField(FIX::XmlDataLen((int)kXml.size()));
  nos.getHeader().setField(FIX::XmlData(kXml));
  nos.set(FIX::Account("ACCT-00012345"));
  nos.set(FIX::HandlInst('1'));
  nos.set(FIX::Symbol("AAPL"));
  nos.set(FIX::OrderQty(1500));
  nos.set(FIX::Price(187.25));
  nos.set(FIX::TimeInForce('0'));
  nos.set(FIX::Text("a=b c"));
  out.emplace_back("NewOrderSingle", nos.toString());

  FIX44::ExecutionReport er(FIX::OrderID("OID-7781"), FIX::ExecID("EX-000000991"),
                            FIX::ExecType('F'), FIX::OrdStatus('1'), FIX::Side('2'),
                            FIX::LeavesQty(1000), FIX::CumQty(500), FIX::AvgPx(-0.00012));
  qf_header(er, 2147483647, 9, 123456789);
  er.set(FIX::ClOrdID("ORD-20240315-000123456"));
  er.set(FIX::Symbol("MSFT"));
  er.set(FIX::OrderQty(1500));
  er.set(FIX::Price(0.00001));
  er.set(FIX::LastQty(500));
  er.set(FIX::LastPx(412.125));
  er.set(FIX::TransactTime(ts_of(1999, 12, 31, 23, 59, 59, 999, 3), 3));
  out.emplace_back("ExecutionReport", er.toString());

  FIX44::OrderCancelRequest ocr(FIX::OrigClOrdID("ORD-1"), FIX::ClOrdID("ORD-2"),
                                FIX::Side('1'),
                                FIX::TransactTime(ts_of(2038, 1, 19, 3, 14, 8, 0, 0), 0));
  qf_header(ocr, 1, 0, 0);
  ocr.set(FIX::Symbol("EUR/USD"));
  ocr.set(FIX::OrderQty(1000000000));
  out.emplace_back("OrderCancelRequest", ocr.toString());

  FIX44::MarketDataSnapshotFullRefresh md;
  qf_header(md, 99, 3, 7);
  md.set(FIX::Symbol("ES"));
  md.set(FIX::MDReqID("MD-1"));
  for (int i = 0; i < 6; i++) {
    FIX44::MarketDataSnapshotFullRefresh::NoMDEntries e;
    e.set(FIX::MDEntryType(i % 2 ? '1' : '0'));
    e.set(FIX::MDEntryPx(5000.25 + 0.25 * i));
    e.set(FIX::MDEntrySize(10 * (i + 1)));
    if (i % 3 == 0) e.set(FIX::MDEntryPositionNo(i + 1));
    md.addGroup(e);
  }
  out.emplace_back("MarketDataSnapshotFullRefresh", md.toString());

  FIX44::Heartbeat hb;
  qf_header(hb, 42, 3, 0);
  hb.set(FIX::TestReqID("TEST-1"));
  out.emplace_back("Heartbeat", hb.toString());

  FIX44::Logon lo(FIX::EncryptMethod(0), FIX::HeartBtInt(30));
  qf_header(lo, 1, 3, 500);
  lo.set(FIX::RawDataLength((int)kRaw.size()));
  lo.set(FIX::RawData(kRaw));
  lo.set(FIX::ResetSeqNumFlag(true));
  out.emplace_back("Logon", lo.toString());
  return out;
}

void test_quickfix_built_parse_identically(void **) {
  TypedStats ts;
  for (auto &mw : quickfix_built()) {
    const std::string &wire = mw.second;
    Ours o;
    if (o.parse(wire) != 0) {
      print_error("%s: fixgw_parse %s at offset %zu tag %u\nwire: %s\n", mw.first,
                  fixgw_err_name(o.rc), o.err.offset, o.err.tag,
                  printable(wire).c_str());
      fail();
    }
    assert_int_equal(o.consumed, wire.size());
    /* QuickFIX's view of the message it built, then of the bytes it wrote
     * (a reparse needs the dictionary for groups and data fields). */
    Flat ours = o.flat();
    if (dict()) {
      FIX::Message back(wire, *dict(), true);
      expect_same(flatten_msg(back), ours, wire, mw.first);
    }
    check_typed(&o.m, ts, wire);
    print_message("%-30s %4zu bytes %3u fields: same\n", mw.first, wire.size(),
                  o.m.nfields);
  }
  print_message("typed: %u int, %u decimal (to_double differs from strtod in %u, "
                "by <= %" PRIu64 " ulp), %u timestamp, %u char, %u bool\n",
                ts.ints, ts.decimals, ts.double_inexact, ts.max_ulps, ts.timestamps,
                ts.chars, ts.bools);
  assert_true(ts.ints > 0 && ts.decimals > 0 && ts.timestamps > 0 && ts.chars > 0);
}

/* Same check against the in-memory objects QuickFIX built, so the test
 * means something without a dictionary too. */
void test_quickfix_objects_match(void **) {
  FIX44::MarketDataSnapshotFullRefresh md;
  qf_header(md, 7, 3, 1);
  md.set(FIX::Symbol("ES"));
  for (int i = 0; i < 10; i++) {
    FIX44::MarketDataSnapshotFullRefresh::NoMDEntries e;
    e.set(FIX::MDEntryType('2'));
    e.set(FIX::MDEntryPx(1 + i * 0.5));
    e.set(FIX::MDEntrySize(i + 1));
    md.addGroup(e);
  }
  FIX44::Logon lo(FIX::EncryptMethod(0), FIX::HeartBtInt(30));
  qf_header(lo, 1, 3, 500);
  lo.set(FIX::RawDataLength((int)kRaw.size()));
  lo.set(FIX::RawData(kRaw));
  const FIX::Message *msgs[] = {&md, &lo};
  for (const FIX::Message *m : msgs) {
    std::string wire = m->toString();  // also sets 9 and 10 in the object
    Ours o;
    assert_int_equal(o.parse(wire), 0);
    expect_same(flatten_msg(*m), o.flat(), wire, "QuickFIX object");
  }
}

/* ------------------------------------------- messages our encoder writes */

const int64_t kT0 = 1710513015123456789LL; /* 2024-03-15 14:30:15.123456789 */

void enc_header(fixgw_encoder_t *e, uint64_t seq, int64_t ns, fixgw_ts_precision p) {
  fixgw_enc_uint(e, 34, seq);
  fixgw_enc_cstr(e, 49, "BUYSIDE-OMS01");
  fixgw_enc_timestamp(e, 52, ns, p);
  fixgw_enc_cstr(e, 56, "SELLSIDE=GW02");
}

fixgw_decimal_t dec(int64_t m, int32_t x) {
  fixgw_decimal_t d;
  d.mant = m;
  d.exp = x;
  return d;
}

std::string finish(fixgw_encoder_t *e) {
  const char *out;
  size_t n;
  int rc = fixgw_enc_finish(e, &out, &n);
  if (rc != 0) {
    print_error("fixgw_enc_finish: %s\n", fixgw_err_name(rc));
    fail();
  }
  return std::string(out, n);
}

std::vector<std::pair<const char *, std::string>> fixgw_built() {
  std::vector<std::pair<const char *, std::string>> out;
  static char buf[4096];
  fixgw_encoder_t e;

  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D");
  enc_header(&e, 1234567, kT0, FIXGW_TS_MICROS);
  fixgw_enc_data(&e, 212, 213, kXml.data(), kXml.size());
  fixgw_enc_cstr(&e, 1, "ACCT-00012345");
  fixgw_enc_cstr(&e, 11, "ORD-20240315-000123456");
  fixgw_enc_char(&e, 21, '1');
  fixgw_enc_decimal(&e, 38, dec(1500, 0));
  fixgw_enc_char(&e, 40, '2');
  fixgw_enc_decimal(&e, 44, dec(1872500, -4));
  fixgw_enc_char(&e, 54, '1');
  fixgw_enc_cstr(&e, 55, "AAPL");
  fixgw_enc_cstr(&e, 58, "a=b c");
  fixgw_enc_char(&e, 59, '0');
  fixgw_enc_timestamp(&e, 60, kT0, FIXGW_TS_NANOS);
  out.emplace_back("NewOrderSingle", finish(&e));

  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "8");
  enc_header(&e, 2147483647, kT0, FIXGW_TS_MILLIS);
  fixgw_enc_decimal(&e, 6, dec(-12, -5));
  fixgw_enc_cstr(&e, 11, "ORD-20240315-000123456");
  fixgw_enc_decimal(&e, 14, dec(500, 0));
  fixgw_enc_cstr(&e, 17, "EX-000000991");
  fixgw_enc_decimal(&e, 31, dec(412125, -3));
  fixgw_enc_decimal(&e, 32, dec(500, 0));
  fixgw_enc_cstr(&e, 37, "OID-7781");
  fixgw_enc_decimal(&e, 38, dec(15, 2));
  fixgw_enc_char(&e, 39, '1');
  fixgw_enc_decimal(&e, 44, dec(1, -5));
  fixgw_enc_char(&e, 54, '2');
  fixgw_enc_cstr(&e, 55, "MSFT");
  fixgw_enc_timestamp(&e, 60, 946684799999000000LL, FIXGW_TS_MILLIS);
  fixgw_enc_char(&e, 150, 'F');
  fixgw_enc_decimal(&e, 151, dec(10000, -1));
  out.emplace_back("ExecutionReport", finish(&e));

  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "F");
  enc_header(&e, 1, 2147483648LL * 1000000000LL, FIXGW_TS_SECONDS);
  fixgw_enc_cstr(&e, 11, "ORD-2");
  fixgw_enc_decimal(&e, 38, dec(1000000000, 0));
  fixgw_enc_cstr(&e, 41, "ORD-1");
  fixgw_enc_char(&e, 54, '1');
  fixgw_enc_cstr(&e, 55, "EUR/USD");
  fixgw_enc_timestamp(&e, 60, 0, FIXGW_TS_SECONDS);
  out.emplace_back("OrderCancelRequest", finish(&e));

  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "W");
  enc_header(&e, 99, kT0, FIXGW_TS_MILLIS);
  fixgw_enc_cstr(&e, 55, "ES");
  fixgw_enc_cstr(&e, 262, "MD-1");
  fixgw_enc_uint(&e, 268, 10);
  for (int i = 0; i < 10; i++) {
    fixgw_enc_char(&e, 269, i % 2 ? '1' : '0');
    fixgw_enc_decimal(&e, 270, dec(500025 + 25 * i, -2));
    fixgw_enc_decimal(&e, 271, dec(10 * (i + 1), 0));
    if (i % 3 == 0) fixgw_enc_uint(&e, 290, (uint64_t)i + 1);
  }
  out.emplace_back("MarketDataSnapshotFullRefresh", finish(&e));

  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "0");
  enc_header(&e, 42, kT0, FIXGW_TS_MILLIS);
  fixgw_enc_cstr(&e, 112, "TEST-1");
  out.emplace_back("Heartbeat", finish(&e));

  fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "A");
  enc_header(&e, 1, kT0, FIXGW_TS_MILLIS);
  fixgw_enc_data(&e, 95, 96, kRaw.data(), kRaw.size());
  fixgw_enc_int(&e, 98, 0);
  fixgw_enc_int(&e, 108, 30);
  fixgw_enc_bool(&e, 141, true);
  out.emplace_back("Logon", finish(&e));
  return out;
}

/* QuickFIX parses with validation and the dictionary, then the dictionary
 * validates the message; returns its flat view or fails the test. */
Flat quickfix_accepts(const std::string &wire, const char *what) {
  try {
    FIX::Message m(wire, *dict(), true);
    dict()->validate(m);
    return flatten_msg(m);
  } catch (const FIX::Exception &x) {
    print_error("%s: QuickFIX rejects: %s (%s)\nwire: %s\n", what, x.what(),
                x.type.c_str(), printable(wire).c_str());
  } catch (const std::exception &x) {
    print_error("%s: QuickFIX throws %s\nwire: %s\n", what, x.what(),
                printable(wire).c_str());
  }
  fail();
  return Flat();
}

void test_fixgw_encoded_pass_quickfix_validation(void **) {
  NEED_DICT();
  TypedStats ts;
  for (auto &mw : fixgw_built()) {
    Flat theirs = quickfix_accepts(mw.second, mw.first);
    Ours o;
    assert_int_equal(o.parse(mw.second), 0);
    expect_same(theirs, o.flat(), mw.second, mw.first);
    check_typed(&o.m, ts, mw.second);
    print_message("%-30s %4zu bytes: QuickFIX validates, same fields\n", mw.first,
                  mw.second.size());
  }
  /* QuickFIX's typed getters on one of them, for good measure. */
  std::string nos = fixgw_built()[0].second;
  FIX::Message m(nos, *dict(), true);
  FIX::Price px;
  m.getField(px);
  assert_true(px.getValue() == 187.25);
  FIX::TransactTime tt;
  m.getField(tt);
  assert_int_equal(tt.getValue().getTimeT(), kT0 / 1000000000LL);
  assert_int_equal(tt.getValue().getNanosecond(), kT0 % 1000000000LL);
  FIX::RawData raw;
  std::string lo = fixgw_built()[5].second;
  FIX::Message lm(lo, *dict(), true);
  lm.getField(raw);
  assert_true(raw.getValue() == kRaw);
}

/* -------------------------------------------------------- negative cases */

bool quickfix_rejects(const std::string &wire) {
  try {
    if (dict())
      FIX::Message m(wire, *dict(), true);
    else
      FIX::Message m(wire, true);
  } catch (const FIX::InvalidMessage &) {
    return true;
  } catch (const FIX::Exception &) {
    return true;
  }
  return false;
}

void test_corruption_rejected_by_both(void **) {
  for (auto &mw : fixgw_built()) {
    const std::string &good = mw.second;
    std::vector<std::pair<std::string, std::string>> bad;
    /* CheckSum off by one (still three digits). */
    {
      std::string s = good;
      size_t at = s.size() - 4;
      s[at + 2] = s[at + 2] == '9' ? '0' : (char)(s[at + 2] + 1);
      if (s[at + 2] == '0') s[at + 1] = s[at + 1] == '9' ? '0' : (char)(s[at + 1] + 1);
      bad.emplace_back("checksum", s);
    }
    /* BodyLength one more and one less than the truth. */
    size_t b = good.find("\x01" "9=") + 3;
    size_t e = good.find('\x01', b);
    long bl = std::stol(good.substr(b, e - b));
    for (long d : {1L, -1L}) {
      std::string s = good.substr(0, b) + std::to_string(bl + d) + good.substr(e);
      bad.emplace_back(d > 0 ? "bodylength+1" : "bodylength-1", s);
    }
    /* A body byte flipped: the checksum no longer matches. */
    {
      std::string s = good;
      size_t at = good.find("\x01" "35=") + 6;
      s[at] = s[at] == 'X' ? 'Y' : 'X';
      bad.emplace_back("body byte", s);
    }
    for (auto &kb : bad) {
      Ours o;
      int rc = o.parse(kb.second);
      bool qf = quickfix_rejects(kb.second);
      if (rc == 0 || !qf) {
        print_error("%s/%s: fixgw %s, QuickFIX %s\nwire: %s\n", mw.first,
                    kb.first.c_str(), rc ? fixgw_err_name(rc) : "accepts",
                    qf ? "rejects" : "accepts", printable(kb.second).c_str());
        fail();
      }
    }
  }
}

/* ------------------------------------------------- random round trip */

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed ? seed : 1) {}
  uint64_t next() { /* xorshift64* */
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ULL;
  }
  uint64_t below(uint64_t n) { return next() % n; }
  bool coin() { return next() & 1; }
};

std::string rnd_str(Rng &r, size_t maxlen) {
  size_t n = 1 + r.below(maxlen);
  std::string s;
  for (size_t i = 0; i < n; i++) s += (char)(0x20 + r.below(0x7f - 0x20));
  return s;
}

fixgw_decimal_t rnd_dec(Rng &r, bool allow_neg) {
  static const int64_t p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                100000000, 1000000000, 10000000000LL, 100000000000LL,
                                1000000000000LL, 10000000000000LL, 100000000000000LL};
  int digits = 1 + (int)r.below(14);
  int64_t m = (int64_t)r.below((uint64_t)p10[digits]);
  int32_t x = -(int32_t)r.below(9);
  if (x == 0 && r.below(4) == 0) x = (int32_t)r.below(3);
  if (allow_neg && r.coin()) m = -m;
  return dec(m, x);
}

int64_t rnd_ts(Rng &r, fixgw_ts_precision *p) {
  static const fixgw_ts_precision ps[] = {FIXGW_TS_SECONDS, FIXGW_TS_MILLIS,
                                          FIXGW_TS_MICROS, FIXGW_TS_NANOS};
  *p = ps[r.below(4)];
  /* 1970 .. 2100 */
  return (int64_t)r.below(4102444800ULL * 1000000000ULL);
}

char pick(Rng &r, const char *set) { return set[r.below(strlen(set))]; }

/* The enumerations of FIX44.xml for the char fields drawn at random. */
const char kOrdStatus[] = "012346789ABCDE";
const char kExecType[] = "03456789ABCDEFGHI";
const char kOrdType[] = "12346789DEGIJKLMP";
const char kTimeInForce[] = "01234567";
const char kMDEntryType[] = "0123456789ABC";
const char kSide[] = "123456789ABCDEFG";

/* Encoded in canonical order (see the file comment). Every value is valid
 * for its type; enumerated fields take values from the dictionary's set. */
std::string random_message(Rng &r, char buf[], size_t cap) {
  fixgw_encoder_t e;
  fixgw_ts_precision p;
  int kind = (int)r.below(5);
  static const char *const types[] = {"D", "8", "F", "W", "A"};
  fixgw_enc_begin(&e, buf, cap, "FIX.4.4", types[kind]);
  std::string s;
  fixgw_enc_uint(&e, 34, 1 + r.below(2147483647ULL));
  s = rnd_str(r, 16);
  fixgw_enc_str(&e, 49, s.data(), s.size());
  int64_t ns = rnd_ts(r, &p);
  fixgw_enc_timestamp(&e, 52, ns, p);
  s = rnd_str(r, 16);
  fixgw_enc_str(&e, 56, s.data(), s.size());
  switch (kind) {
    case 0: /* NewOrderSingle */
      if (r.coin()) { s = rnd_str(r, 12); fixgw_enc_str(&e, 1, s.data(), s.size()); }
      s = rnd_str(r, 24);
      fixgw_enc_str(&e, 11, s.data(), s.size());
      if (r.coin()) fixgw_enc_char(&e, 21, pick(r, "123"));
      fixgw_enc_decimal(&e, 38, rnd_dec(r, false));
      fixgw_enc_char(&e, 40, pick(r, kOrdType));
      if (r.coin()) fixgw_enc_decimal(&e, 44, rnd_dec(r, true));
      fixgw_enc_char(&e, 54, pick(r, kSide));
      s = rnd_str(r, 8);
      fixgw_enc_str(&e, 55, s.data(), s.size());
      if (r.coin()) { s = rnd_str(r, 40); fixgw_enc_str(&e, 58, s.data(), s.size()); }
      if (r.coin()) fixgw_enc_char(&e, 59, pick(r, kTimeInForce));
      ns = rnd_ts(r, &p);
      fixgw_enc_timestamp(&e, 60, ns, p);
      break;
    case 1: /* ExecutionReport */
      fixgw_enc_decimal(&e, 6, rnd_dec(r, true));
      if (r.coin()) { s = rnd_str(r, 24); fixgw_enc_str(&e, 11, s.data(), s.size()); }
      fixgw_enc_decimal(&e, 14, rnd_dec(r, false));
      s = rnd_str(r, 20);
      fixgw_enc_str(&e, 17, s.data(), s.size());
      if (r.coin()) fixgw_enc_decimal(&e, 31, rnd_dec(r, true));
      if (r.coin()) fixgw_enc_decimal(&e, 32, rnd_dec(r, false));
      s = rnd_str(r, 20);
      fixgw_enc_str(&e, 37, s.data(), s.size());
      fixgw_enc_char(&e, 39, pick(r, kOrdStatus));
      fixgw_enc_char(&e, 54, pick(r, kSide));
      s = rnd_str(r, 8);
      fixgw_enc_str(&e, 55, s.data(), s.size());
      fixgw_enc_char(&e, 150, pick(r, kExecType));
      fixgw_enc_decimal(&e, 151, rnd_dec(r, false));
      break;
    case 2: /* OrderCancelRequest */
      s = rnd_str(r, 24);
      fixgw_enc_str(&e, 11, s.data(), s.size());
      s = rnd_str(r, 24);
      fixgw_enc_str(&e, 41, s.data(), s.size());
      fixgw_enc_char(&e, 54, pick(r, kSide));
      s = rnd_str(r, 8);
      fixgw_enc_str(&e, 55, s.data(), s.size());
      ns = rnd_ts(r, &p);
      fixgw_enc_timestamp(&e, 60, ns, p);
      break;
    case 3: { /* MarketDataSnapshotFullRefresh */
      s = rnd_str(r, 8);
      fixgw_enc_str(&e, 55, s.data(), s.size());
      unsigned n = (unsigned)r.below(13);
      fixgw_enc_uint(&e, 268, n);
      for (unsigned i = 0; i < n; i++) {
        fixgw_enc_char(&e, 269, pick(r, kMDEntryType));
        if (r.coin()) fixgw_enc_decimal(&e, 270, rnd_dec(r, true));
        if (r.coin()) fixgw_enc_decimal(&e, 271, rnd_dec(r, false));
        if (r.coin()) fixgw_enc_uint(&e, 290, 1 + r.below(1000));
      }
      break;
    }
    case 4: { /* Logon with binary RawData: every byte value, SOH and '=' too */
      std::string raw;
      size_t n = 1 + r.below(64);
      for (size_t i = 0; i < n; i++) raw += (char)(r.below(4) ? r.below(256) : 1);
      if (r.coin()) fixgw_enc_data(&e, 95, 96, raw.data(), raw.size());
      fixgw_enc_int(&e, 98, 0);
      fixgw_enc_int(&e, 108, (int64_t)r.below(3600));
      if (r.coin()) fixgw_enc_bool(&e, 141, r.coin());
      break;
    }
  }
  return finish(&e);
}

void test_random_round_trip(void **) {
  NEED_DICT();
  const uint64_t seed = 0x5eedf1c5ULL;
  const int count = 5000;
  Rng r(seed);
  static char buf[8192];
  TypedStats ts;
  Ours o;
  for (int i = 0; i < count; i++) {
    std::string wire = random_message(r, buf, sizeof buf);
    char what[64];
    snprintf(what, sizeof what, "random #%d (seed %#" PRIx64 ")", i, seed);
    Flat theirs = quickfix_accepts(wire, what);
    if (o.parse(wire) != 0) {
      print_error("%s: fixgw_parse %s\nwire: %s\n", what, fixgw_err_name(o.rc),
                  printable(wire).c_str());
      fail();
    }
    expect_same(theirs, o.flat(), wire, what);
    check_typed(&o.m, ts, wire);
  }
  print_message("%d random messages: QuickFIX validates all, same fields; typed: %u int, "
                "%u decimal (to_double differs from strtod in %u, by <= %" PRIu64
                " ulp), %u timestamp, %u char, %u bool\n",
                count, ts.ints, ts.decimals, ts.double_inexact, ts.max_ulps,
                ts.timestamps, ts.chars, ts.bools);
}

/* ------------------------------------------------ where the two differ */

const char kIntOverflow[] = "not called: overflows its int (UB)";

/* Inputs on which fixgw and QuickFIX differ by design. Each row asserts
 * our documented contract and prints what QuickFIX does, so the table in
 * the log shows any change on either side. */
void test_known_differences(void **) {
  struct Row {
    const char *kind, *value;
    const char *ours;   /* what fixgw gives: the value, or the error name */
    const char *theirs; /* what QuickFIX 1.15 gives, pinned */
  } rows[] = {
      /* QuickFIX's Int is a 32-bit int; larger values overflow it (not
       * called: its convertor has no check, so that is undefined
       * behaviour, which UBSan stops on). */
      {"int", "4294967297", "4294967297", kIntOverflow},
      {"int", "2147483648", "2147483648", kIntOverflow},
      {"int", "2147483647", "2147483647", "2147483647"},
      /* QuickFIX takes 1..9 fraction digits; we take 3, 6 or 9. */
      {"timestamp", "20240315-14:30:15.1", "FIXGW_EFORMAT", "1710513015100000000 ns"},
      {"timestamp", "20240315-14:30:15.12345", "FIXGW_EFORMAT", "1710513015123450000 ns"},
      /* Both accept a point with no digits on one side. */
      {"decimal", ".5", "0.5", "0.5"},
      {"decimal", "5.", "5", "5"},
      /* Day 31 of a 30-day month: QuickFIX checks 1..31 only (and lands
       * on May 1). */
      {"timestamp", "20240431-00:00:00", "FIXGW_ERANGE", "1714521600000000000 ns"},
      /* Agreements worth keeping an eye on. */
      {"int", "-0", "0", "0"},
      {"int", "+1", "FIXGW_EFORMAT", "rejects"},
      /* We keep no sign of zero; QuickFIX's double does. */
      {"decimal", "-0.0", "0.0", "-0"},
      /* A leap second: we clamp to the last nanosecond of 59, QuickFIX
       * rolls over to the next minute. */
      {"timestamp", "20240315-23:59:60", "1710547199999999999 ns", "1710547200000000000 ns"},
  };
  for (const Row &row : rows) {
    std::string v = row.value;
    int rc;
    std::string ours, theirs;
    char b[96];
    if (!strcmp(row.kind, "int")) {
      int64_t x = 0;
      rc = fixgw_to_int(v.data(), v.size(), &x);
      snprintf(b, sizeof b, "%" PRId64, x);
      ours = rc ? fixgw_err_name(rc) : b;
      int q;
      if (rc == 0 && (x > INT32_MAX || x < INT32_MIN))
        theirs = kIntOverflow;
      else
        theirs = FIX::IntConvertor::convert(v, q) ? std::to_string(q) : "rejects";
    } else if (!strcmp(row.kind, "decimal")) {
      fixgw_decimal_t d;
      rc = fixgw_to_decimal(v.data(), v.size(), &d);
      ours = rc ? fixgw_err_name(rc) : decimal_str(d);
      double q;
      if (FIX::DoubleConvertor::convert(v, q)) {
        snprintf(b, sizeof b, "%.17g", q);
        theirs = b;
      } else {
        theirs = "rejects";
      }
    } else {
      int64_t ns = 0;
      rc = fixgw_to_timestamp(v.data(), v.size(), &ns);
      snprintf(b, sizeof b, "%" PRId64 " ns", ns);
      ours = rc ? fixgw_err_name(rc) : b;
      try {
        FIX::UtcTimeStamp t = FIX::UtcTimeStampConvertor::convert(v);
        snprintf(b, sizeof b, "%" PRId64 " ns",
                 (int64_t)((int64_t)t.getTimeT() * 1000000000LL +
                           (int64_t)t.getNanosecond()));
        theirs = b;
      } catch (const FIX::FieldConvertError &) {
        theirs = "rejects";
      }
    }
    print_message("%-9s %-26s fixgw: %-22s QuickFIX: %s\n", row.kind, v.c_str(),
                  ours.c_str(), theirs.c_str());
    if (ours != row.ours || theirs != row.theirs) {
      print_error("%s \"%s\": fixgw %s (pinned %s), QuickFIX %s (pinned %s)\n", row.kind,
                  v.c_str(), ours.c_str(), row.ours, theirs.c_str(), row.theirs);
      fail();
    }
  }
}

/* ------------------------------------- differential: the two parsers */

/* QuickFIX's verdict on one candidate message: its validating parse (no
 * dictionary: BodyLength and CheckSum checked, fields in wire order). */
bool qf_parse(const std::string &wire, Flat *out) {
  try {
    FIX::Message m(wire, true);
    if (out) *out = flatten_msg(m);
    return true;
  } catch (const std::exception &) {
    return false;
  }
}

/* Ours on the same bytes, alone in a guarded buffer: accepted only when
 * fixgw_parse returns one message that spans the input. */
bool ours_parse(Ours &o, const std::string &wire, Flat *out) {
  if (o.parse(wire) != 0 || o.consumed != wire.size()) return false;
  if (out) *out = o.flat();
  return true;
}

std::string with_checksum(std::string s) { /* s ends just before "10=" */
  char t[8];
  snprintf(t, sizeof t, "10=%03u\x01", fixgw_checksum(s.data(), s.size()));
  return s + t;
}

/* Every message QuickFIX's stream Parser extracts from s that its
 * validating parse accepts, in order. */
std::vector<std::string> qf_stream(const std::string &s) {
  std::vector<std::string> out;
  FIX::Parser p;
  p.addToStream(s);
  for (int guard = 0; guard < 10000; guard++) {
    std::string m;
    try {
      if (!p.readFixMessage(m)) break;
    } catch (const std::exception &) {
      continue; /* it drops what it could not frame */
    }
    if (qf_parse(m, nullptr)) out.push_back(m);
  }
  return out;
}

std::vector<std::string> ours_stream(const std::string &s) {
  std::vector<std::string> out;
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, nullptr), 0);
  fixgw_guard_t g;
  const char *d = fixgw_guard_copy(&g, s.data(), s.size());
  size_t at = 0;
  while (at < s.size()) {
    fixgw_msg_t m;
    size_t used;
    int rc = fixgw_parse(&p, d + at, s.size() - at, &used, &m, nullptr);
    if (rc == FIXGW_EAGAIN) break;
    if (rc == 0) out.emplace_back(m.buf, m.len);
    at += used;
  }
  fixgw_guard_free(&g);
  fixgw_parser_destroy(&p);
  return out;
}

/* A seeded differential run of the two parsers over the categories where
 * they must agree: valid messages (same fields), zero-padded BodyLength
 * (accepted, same fields), CheckSum and BodyLength mangled, truncation,
 * a byte flipped in a value (both reject), and streams with garbage
 * between messages (same messages out). Messages without groups or data
 * fields, so that QuickFIX needs no dictionary. */
void test_parser_differential(void **) {
  const uint64_t seed = 0xd1ffULL;
  Rng r(seed);
  static char buf[8192];
  Ours o;
  unsigned cases[7] = {0, 0, 0, 0, 0, 0, 0};
  static const char *const names[7] = {"valid", "zero-padded 9", "checksum", "bodylength",
                                       "truncated", "byte flip", "stream"};
  int n_msgs = 600;
  for (int i = 0; i < n_msgs; i++) {
    std::string wire;
    do { /* kinds 0..2: no groups, no data fields */
      wire = random_message(r, buf, sizeof buf);
    } while (wire.find("\x01" "35=W\x01") != std::string::npos ||
             wire.find("\x01" "35=A\x01") != std::string::npos);
    char what[96];
    Flat a, b;
    /* 1. as is */
    bool qa = qf_parse(wire, &a), oa = ours_parse(o, wire, &b);
    snprintf(what, sizeof what, "valid #%d (seed %#" PRIx64 ")", i, seed);
    if (!qa || !oa) {
      print_error("%s: QuickFIX %s, fixgw %s\nwire: %s\n", what, qa ? "accepts" : "rejects",
                  oa ? "accepts" : "rejects", printable(wire).c_str());
      fail();
    }
    expect_same(a, b, wire, what);
    cases[0]++;
    /* 2. BodyLength zero-padded, CheckSum recomputed */
    size_t b0 = wire.find("\x01" "9=") + 3, e0 = wire.find('\x01', b0);
    std::string padded = with_checksum(wire.substr(0, b0) +
                                       std::string(1 + r.below(4), '0') +
                                       wire.substr(b0, wire.size() - 7 - b0));
    qa = qf_parse(padded, &a);
    oa = ours_parse(o, padded, &b);
    if (!qa || !oa) {
      print_error("zero-padded #%d: QuickFIX %s, fixgw %s\nwire: %s\n", i,
                  qa ? "accepts" : "rejects", oa ? "accepts" : "rejects",
                  printable(padded).c_str());
      fail();
    }
    expect_same(a, b, padded, "zero-padded BodyLength");
    cases[1]++;
    /* 3-6: both reject */
    std::vector<std::pair<int, std::string>> bad;
    {
      std::string s = wire;
      size_t at = s.size() - 4 + r.below(3);
      s[at] = (char)('0' + (s[at] - '0' + 1 + r.below(9)) % 10);
      bad.emplace_back(2, s);
    }
    {
      long bl = std::stol(wire.substr(b0, e0 - b0));
      long d = (long)(1 + r.below(3)) * (r.coin() ? 1 : -1);
      bad.emplace_back(3, wire.substr(0, b0) + std::to_string(bl + d) + wire.substr(e0));
    }
    bad.emplace_back(4, wire.substr(0, 1 + r.below(wire.size() - 1)));
    {
      size_t body = wire.find("\x01" "35=") + 1;
      size_t at;
      do {
        at = body + r.below(wire.size() - 7 - body);
      } while (wire[at] == '\x01' || wire[at] == '=' || (at > 0 && wire[at - 1] == '\x01'));
      std::string s = wire;
      s[at] = (char)(s[at] == 'Z' ? 'Y' : 'Z');
      if (s != wire) bad.emplace_back(5, s);
    }
    for (auto &kb : bad) {
      qa = qf_parse(kb.second, nullptr);
      oa = ours_parse(o, kb.second, nullptr);
      if (qa || oa) {
        print_error("%s #%d: QuickFIX %s, fixgw %s\nwire: %s\n", names[kb.first], i,
                    qa ? "accepts" : "rejects", oa ? "accepts" : "rejects",
                    printable(kb.second).c_str());
        fail();
      }
      cases[kb.first]++;
    }
  }
  /* 7. streams: valid messages with garbage between them (no '8', so no
   * false start for either). */
  for (int i = 0; i < 200; i++) {
    std::string s;
    std::vector<std::string> want;
    unsigned k = 1 + (unsigned)r.below(5);
    for (unsigned j = 0; j < k; j++) {
      size_t junk = r.below(40);
      for (size_t q = 0; q < junk; q++) {
        char c = (char)(0x20 + r.below(0x5f));
        s += c == '8' ? '7' : c;
      }
      std::string m;
      do {
        m = random_message(r, buf, sizeof buf);
      } while (m.find("\x01" "35=W\x01") != std::string::npos ||
               m.find("\x01" "35=A\x01") != std::string::npos);
      want.push_back(m);
      s += m;
    }
    std::vector<std::string> qf = qf_stream(s), ours = ours_stream(s);
    if (ours != want || qf != want) {
      print_error("stream #%d: %zu messages in, fixgw %zu, QuickFIX %zu out\nstream: %s\n", i,
                  want.size(), ours.size(), qf.size(), printable(s).c_str());
      fail();
    }
    cases[6]++;
  }
  for (int c = 0; c < 7; c++) print_message("differential %-14s %5u cases agree\n", names[c], cases[c]);
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quickfix_built_parse_identically),
      cmocka_unit_test(test_quickfix_objects_match),
      cmocka_unit_test(test_fixgw_encoded_pass_quickfix_validation),
      cmocka_unit_test(test_corruption_rejected_by_both),
      cmocka_unit_test(test_random_round_trip),
      cmocka_unit_test(test_known_differences),
      cmocka_unit_test(test_parser_differential),
  };
  int failed = cmocka_run_group_tests(tests, load_dict, free_dict);
  return failed == 0 && g_skipped ? kSkipExit : failed;
}
