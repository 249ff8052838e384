/* Our validation verdicts against QuickFIX 1.15's, on the same bytes and
 * the same XML dictionaries (FIXGW_SPEC_DIR; the test skips, saying so and
 * exiting 77 for ctest, when they are absent, and fails instead when
 * FIXGW_REQUIRE_SPEC is set, as in CI).
 *
 * QuickFIX's side: Message::setString(bytes, validate = true, session DD,
 * app DD) then DataDictionary::validate(message, session DD, app DD) with
 * its default settings (fields out of order, fields without values and
 * user-defined fields all checked), the way a QuickFIX session judges an
 * incoming message. Its typed exceptions map to SessionRejectReasons.
 *
 * Every case of validate_cases.h must agree, except those whose qf_reason
 * records a disagreement by design; for those QuickFIX must say exactly
 * what the table says it says (so a change on either side shows), and the
 * table is printed with the reasons. */
#include <quickfix/DataDictionary.h>
#include <quickfix/Exceptions.h>
#include <quickfix/Message.h>

#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <memory>
#include <string>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka 1.1.5 leaves print_error outside its extern "C" block. */
extern "C" {
#include <cmocka.h>

#include "harness.h"
}

#include "validate_cases.h"
#include "vtest.h"

namespace {

std::string spec(const char *file) { return std::string(FIXGW_SPEC_DIR) + "/" + file; }

bool have_spec() {
  struct stat st;
  return stat(spec("FIX44.xml").c_str(), &st) == 0 && stat(spec("FIXT11.xml").c_str(), &st) == 0 &&
         stat(spec("FIX50SP2.xml").c_str(), &st) == 0 && stat(spec("FIX42.xml").c_str(), &st) == 0;
}

struct Dicts {
  std::unique_ptr<FIX::DataDictionary> fix42, fix44, fixt, fix50sp2;
};

/* QuickFIX's verdict: -1 valid, a reason, or 99 for anything else (with
 * the text in *what). */
int qf_verdict(const Dicts &d, const vcase_t &c, const std::string &bytes, int *tag,
               std::string *what) {
  const FIX::DataDictionary *sdd, *add;
  if (!strcmp(c.begin, "FIXT.1.1")) {
    /* As QuickFIX's Session does: admin messages against the transport
     * dictionary alone, application ones with the application's. */
    const char *mt = strstr(c.body, "35=");
    std::string msgtype(mt + 3, strcspn(mt + 3, "|"));
    sdd = d.fixt.get();
    add = FIX::Message::isAdminMsgType(FIX::MsgType(msgtype)) ? sdd : d.fix50sp2.get();
  } else {
    sdd = add = !strcmp(c.begin, "FIX.4.2") ? d.fix42.get() : d.fix44.get();
  }
  *tag = 0;
  try {
    FIX::Message m;
    m.setString(bytes, true, sdd, add);
    FIX::DataDictionary::validate(m, sdd, add);
    return -1;
  } catch (const FIX::InvalidTagNumber &e) {
    *tag = e.field;
    return 0;
  } catch (const FIX::RequiredTagMissing &e) {
    *tag = e.field;
    return 1;
  } catch (const FIX::TagNotDefinedForMessage &e) {
    *tag = e.field;
    return 2;
  } catch (const FIX::NoTagValue &e) {
    *tag = e.field;
    return 4;
  } catch (const FIX::IncorrectTagValue &e) {
    *tag = e.field;
    return 5;
  } catch (const FIX::IncorrectDataFormat &e) {
    *tag = e.field;
    return 6;
  } catch (const FIX::InvalidMessageType &) {
    *tag = 35;
    return 11;
  } catch (const FIX::RepeatedTag &e) {
    *tag = e.field;
    return 13;
  } catch (const FIX::TagOutOfOrder &e) {
    *tag = e.field;
    return 14;
  } catch (const FIX::RepeatingGroupCountMismatch &e) {
    *tag = e.field;
    return 16;
  } catch (const FIX::Exception &e) {
    *what = e.what();
    return 99;
  }
}

bool g_skipped; /* main exits with ctest's SKIP_RETURN_CODE (77) */

void test_verdicts_match(void **state) {
  (void)state;
  if (!have_spec()) {
    const char *req = getenv("FIXGW_REQUIRE_SPEC");
    if (req && *req && strcmp(req, "0") != 0)
      fail_msg("FIX XML dictionaries not found under %s (FIXGW_REQUIRE_SPEC is set)",
               FIXGW_SPEC_DIR);
    print_message("SKIP: FIX XML dictionaries not found under %s\n", FIXGW_SPEC_DIR);
    g_skipped = true;
    skip();
  }
  Dicts d;
  d.fix42.reset(new FIX::DataDictionary(spec("FIX42.xml")));
  d.fix44.reset(new FIX::DataDictionary(spec("FIX44.xml")));
  d.fixt.reset(new FIX::DataDictionary(spec("FIXT11.xml")));
  d.fix50sp2.reset(new FIX::DataDictionary(spec("FIX50SP2.xml")));

  fixgw_parser_t parser;
  assert_int_equal(fixgw_parser_init(&parser, NULL), 0);
  static char buf[8192];
  int agree = 0, documented = 0, bad = 0;
  unsigned reasons_covered = 0;
  printf("%-26s %-8s %-12s %s\n", "case", "fixgw", "quickfix", "");
  for (size_t k = 0; k < N_VCASES; k++) {
    const vcase_t &c = vcases[k];
    fixgw_validator_t v;
    assert_int_equal(vt_validator(&v, c.begin), 0);
    size_t n = vt_frame(c.begin, c.body, buf, sizeof buf);
    assert_true(n > 0);
    uint32_t ours_tag;
    int ours = vt_verdict(&parser, &v, buf, n, &ours_tag);
    fixgw_validator_destroy(&v);
    int qf_tag;
    std::string what;
    int qf = qf_verdict(d, c, std::string(buf, n), &qf_tag, &what);
    int want_qf = c.qf_reason == SAME ? c.reason : c.qf_reason;
    bool ok_ours = ours == c.reason && (ours < 0 || ours_tag == c.tag);
    /* Tags are compared where both sides give one for the same reason. */
    bool ok_qf = qf == want_qf && (qf < 0 || c.qf_reason != SAME || qf_tag == (int)c.tag);
    const char *mark = !ok_ours || !ok_qf ? "MISMATCH" : c.qf_reason == SAME ? "" : "documented";
    printf("%-26s %3d/%-4u %3d/%-8d %s%s%s\n", c.name, ours, ours_tag, qf, qf_tag, mark,
           what.empty() ? "" : " ", what.c_str());
    if (c.qf_reason != SAME && ok_ours && ok_qf) printf("    why: %s\n", c.why);
    if (!ok_ours || !ok_qf) bad++;
    else if (c.qf_reason == SAME) agree++;
    else documented++;
    if (c.reason >= 0 && c.reason < 32) reasons_covered |= 1u << c.reason;
  }
  printf("%d cases: %d agree, %d differ as documented, %d mismatches\n", (int)N_VCASES, agree,
         documented, bad);
  fixgw_parser_destroy(&parser);
  assert_int_equal(bad, 0);
  assert_true(N_VCASES >= 30);
  /* Every reason the validator gives is exercised. */
  const int need[] = {0, 1, 2, 3, 4, 5, 6, 11, 13, 14, 15, 16};
  for (int r : need)
    if (!(reasons_covered & (1u << r))) fail_msg("no case for reason %d", r);
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_verdicts_match)};
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  return failed == 0 && g_skipped ? 77 : failed;
}
