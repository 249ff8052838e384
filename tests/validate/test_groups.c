/* Repeating groups walked with the dictionary: nested NoSides/NoPartyIDs
 * in NewOrderCross (s), NoMDEntries; the same entries as the codec's
 * fixgw_group_next on the same views; wrong counts, missing delimiters and
 * repeated members are errors, never silent merges; no allocation. */
#include <stdio.h>
#include <string.h>

#include "../../src/validate/validate_internal.h" /* fixgw__validate_entry_copy */
#include "fixgw/validate.h"
#include "harness.h"
#include "validate_cases.h"
#include "vtest.h"

static fixgw_parser_t parser;
static char buf[8192];

static int setup(void **state) {
  (void)state;
  return fixgw_parser_init(&parser, NULL);
}
static int teardown(void **state) {
  (void)state;
  fixgw_parser_destroy(&parser);
  return 0;
}

static void parse(const char *body, fixgw_msg_t *m) {
  size_t n = vt_frame("FIX.4.4", body, buf, sizeof buf), used;
  assert_int_equal(fixgw_parse(&parser, buf, n, &used, m, NULL), 0);
}

static void entry_str(const fixgw_group_entry_t *e, uint32_t tag, const char *want) {
  const fixgw_field_t *f = fixgw_entry_find(e, tag);
  assert_non_null(f);
  assert_int_equal(f->len, strlen(want));
  assert_memory_equal(f->val, want, f->len);
}

static void test_nested_cross(void **state) {
  (void)state;
  const fixgw_dict_t *d = fixgw_dict_fix44();
  fixgw_msg_t m;
  parse(VC_CROSS_HEAD "552=2|54=1|11=C1|453=1|448=P1|447=D|452=1|54=2|11=C2|453=2|"
                      "448=P2|447=D|452=1|448=P3|447=D|452=3|" VC_CROSS_TAIL,
        &m);
  fixgw_group_t sides, parties;
  fixgw_group_entry_t side, party;
  assert_int_equal(fixgw_dict_group_open(d, &m, 552, &sides), 0);
  assert_int_equal(sides.count, 2);
  assert_int_equal(sides.depth, 1);
  assert_ptr_equal(sides.layout, &d->layouts[fixgw_dict_group_scope(d, &sides)]);
  static const char *const side_ids[2] = {"C1", "C2"};
  static const char *const party_ids[2][2] = {{"P1", NULL}, {"P2", "P3"}};
  for (int s = 0; s < 2; s++) {
    assert_int_equal(fixgw_dict_group_next(d, &sides, &side), 0);
    entry_str(&side, 11, side_ids[s]);
    assert_int_equal(fixgw_dict_group_open_nested(d, &sides, &side, 453, &parties), 0);
    assert_int_equal(parties.depth, 2);
    assert_int_equal(parties.count, (uint32_t)s + 1);
    for (int p = 0; p <= s; p++) {
      assert_int_equal(fixgw_dict_group_next(d, &parties, &party), 0);
      entry_str(&party, 448, party_ids[s][p]);
      /* The nested entry lies inside its side entry. */
      assert_true(party.first >= side.first && party.end <= side.end);
    }
    assert_int_equal(fixgw_dict_group_next(d, &parties, &party), FIXGW_ENOTFOUND);
  }
  assert_int_equal(fixgw_dict_group_next(d, &sides, &side), FIXGW_ENOTFOUND);
  /* The group ended where the body resumes. */
  assert_int_equal(m.fields[sides.end].tag, 55);

  /* The codec walks the dictionary's view to the same entries. */
  fixgw_group_t a, b;
  assert_int_equal(fixgw_dict_group_open(d, &m, 552, &a), 0);
  assert_int_equal(fixgw_group_open(&m, a.layout, 0, m.nfields, 0, &b), 0);
  assert_int_equal(a.first, b.first);
  assert_int_equal(a.end, b.end);
  fixgw_group_entry_t ea, eb;
  while (fixgw_dict_group_next(d, &a, &ea) == 0) {
    assert_int_equal(fixgw_group_next(&b, &eb), 0);
    assert_int_equal(ea.first, eb.first);
    assert_int_equal(ea.end, eb.end);
  }
  assert_int_equal(fixgw_group_next(&b, &eb), FIXGW_ENOTFOUND);
}

static void test_md_entries(void **state) {
  (void)state;
  const fixgw_dict_t *d = fixgw_dict_fix44();
  fixgw_msg_t m;
  parse("35=W|" VC_HDR "262=R1|55=IBM|268=3|269=0|270=10.1|271=100|290=1|269=1|270=10.2|"
        "271=200|290=1|269=2|270=10.15|271=5|",
        &m);
  fixgw_group_t g;
  fixgw_group_entry_t e;
  assert_int_equal(fixgw_dict_group_open(d, &m, 268, &g), 0);
  assert_int_equal(g.count, 3);
  static const char *const types[3] = {"0", "1", "2"};
  for (int k = 0; k < 3; k++) {
    assert_int_equal(fixgw_dict_group_next(d, &g, &e), 0);
    entry_str(&e, 269, types[k]);
    assert_int_equal(m.fields[e.first].tag, 269);
  }
  assert_int_equal(e.end, m.nfields - 1); /* the last entry ends at CheckSum */
  assert_int_equal(fixgw_dict_group_next(d, &g, &e), FIXGW_ENOTFOUND);
}

/* Errors are errors: no merging of a malformed group into a valid one. */
static void test_errors(void **state) {
  (void)state;
  const fixgw_dict_t *d = fixgw_dict_fix44();
  static const struct {
    const char *body;
    uint32_t tag;
    int rc;
  } ec[] = {
      {VC_NOS "453=2|448=P1|447=D|452=1|", 453, FIXGW_EGROUPCOUNT},
      {VC_NOS "453=1|448=P1|447=D|452=1|448=P2|447=D|", 453, FIXGW_EGROUPCOUNT},
      {VC_NOS "453=1|447=D|448=P1|452=1|", 453, FIXGW_EGROUPDELIM},
      {VC_NOS "453=1|448=P1|447=D|447=D|452=1|", 453, FIXGW_EGROUPDELIM},
      {VC_NOS "453=x|", 453, FIXGW_EFORMAT},
      {VC_NOS, 453, FIXGW_ENOTFOUND},
      {VC_NOS, 268, FIXGW_EINVAL}, /* not a group of D */
      {VC_NOS, 55, FIXGW_EINVAL},  /* not a group at all */
      {"35=ZZ|" VC_HDR "453=0|", 453, FIXGW_EINVAL},
  };
  for (size_t k = 0; k < sizeof ec / sizeof ec[0]; k++) {
    fixgw_msg_t m;
    fixgw_group_t g;
    parse(ec[k].body, &m);
    int rc = fixgw_dict_group_open(d, &m, ec[k].tag, &g);
    if (rc != ec[k].rc) fail_msg("case %zu: got %s", k, fixgw_err_name(rc));
  }
  /* A nested count mismatch fails the outer open too. */
  fixgw_msg_t m;
  fixgw_group_t g;
  parse(VC_CROSS_HEAD "552=2|54=1|11=C1|453=2|448=P1|447=D|452=1|54=2|11=C2|" VC_CROSS_TAIL, &m);
  assert_int_equal(fixgw_dict_group_open(d, &m, 552, &g), FIXGW_EGROUPCOUNT);
  /* Depth limit of the parser applies. */
  fixgw_parser_t shallow;
  fixgw_parser_config_t pc;
  fixgw_parser_config_default(&pc);
  pc.max_group_depth = 1;
  assert_int_equal(fixgw_parser_init(&shallow, &pc), 0);
  size_t n = vt_frame("FIX.4.4",
                      VC_CROSS_HEAD "552=1|54=1|11=C1|453=1|448=P1|447=D|452=1|" VC_CROSS_TAIL,
                      buf, sizeof buf),
         used;
  assert_int_equal(fixgw_parse(&shallow, buf, n, &used, &m, NULL), 0);
  assert_int_equal(fixgw_dict_group_open(d, &m, 552, &g), FIXGW_EGROUPDEPTH);
  fixgw_parser_destroy(&shallow);
}

/* The dictionary walk against its rule on NoMDEntries: an entry is its
 * delimiter and the members after it up to the next delimiter or
 * non-member, and a member twice in an entry is an error. The entries
 * mostly repeat the one before (the walk takes such runs without the
 * dictionary): copies, with a member more or one less, one field swapped
 * for another member, a non-member, the delimiter or a member the entry
 * already holds, and new entries. Each entry fixgw_dict_group_next hands
 * out is checked too. */
static void test_md_entries_match_rule(void **state) {
  (void)state;
  const fixgw_dict_t *d = fixgw_dict_fix44();
  fixgw_msg_t m;
  fixgw_group_t g;
  parse("35=W|" VC_HDR "262=R1|55=IBM|268=1|269=0|", &m);
  assert_int_equal(fixgw_dict_group_open(d, &m, 268, &g), 0);
  const fixgw_group_layout_t *l = g.layout;
  static const uint32_t pool[] = {270, 271, 272, 273, 290, 336, 1, 44};
  uint64_t x = 0x8E3B1F2D4C5A6978ULL;
  for (int round = 0; round < 4000; round++) {
    uint32_t tags[160];
    size_t nt = 0, last = 0, last_n = 0;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t r = x;
    unsigned entries = (unsigned)(r % 20);
    r /= 20;
    for (unsigned k = 0; k < entries && nt + 10 < 160; k++) {
      if (r < 4096) r ^= x * 0x9E3779B97F4A7C15ULL + (uint64_t)(round * 131 + k);
      unsigned how = (unsigned)(r % 10), at = (unsigned)nt;
      r /= 10;
      if (k == 0 || how >= 8) {
        tags[nt++] = 269;
        unsigned more = (unsigned)(r % 5);
        r /= 5;
        for (unsigned j = 0; j < more; j++) {
          tags[nt++] = pool[j + (r % 2)]; /* in order, distinct */
          r /= 2;
        }
      } else {
        memcpy(tags + nt, tags + last, last_n * sizeof tags[0]);
        nt += last_n;
        if (how == 5) {
          tags[nt++] = pool[5]; /* a member not in the first five */
        } else if (how == 6 && last_n > 1) {
          nt--;
        } else if (how == 7 && last_n > 1) {
          unsigned q = 1 + (unsigned)(r % (last_n - 1)), w = (unsigned)(r / last_n % 10);
          r /= 64;
          tags[at + q] = w < 8 ? pool[w] : w == 8 ? 269 : tags[at + (q > 1 ? 1 : 0)];
        }
      }
      last = at;
      last_n = nt - at;
    }
    /* The rule. */
    size_t i = 0, starts[160];
    unsigned found = 0;
    int bad = 0;
    while (i < nt && tags[i] == 269 && !bad) {
      starts[found++] = i;
      size_t first = i;
      for (i++; i < nt && tags[i] != 269; i++) {
        int member = 0;
        for (unsigned k = 0; k < l->ntags; k++) member |= l->tags[k] == tags[i];
        if (!member) break;
        for (size_t q = first + 1; q < i; q++) bad |= tags[q] == tags[i];
        if (bad) break;
      }
    }
    unsigned count = found - (found && (x >> 59) == 0) + ((x >> 59) == 31);
    int want = bad ? FIXGW_EGROUPDELIM
               : found == 0 && count > 0 ? FIXGW_EGROUPDELIM
               : found != count ? FIXGW_EGROUPCOUNT
                                : 0;
    char body[2048];
    int len = snprintf(body, sizeof body, "35=W|" VC_HDR "262=R1|55=IBM|268=%u|", count);
    for (size_t k = 0; k < nt; k++)
      len += snprintf(body + len, sizeof body - (size_t)len, "%u=1|", tags[k]);
    parse(body, &m);
    int rc = fixgw_dict_group_open(d, &m, 268, &g);
    if (rc != want) fail_msg("%s: %s, want %s", body, fixgw_err_name(rc), fixgw_err_name(want));
    if (rc) continue;
    const uint32_t base = 9; /* 8 9 35 49 56 34 52 262 55, then 268 */
    assert_int_equal(g.end, base + 1 + i);
    fixgw_group_entry_t e;
    for (unsigned k = 0; k < found; k++) {
      assert_int_equal(fixgw_dict_group_next(d, &g, &e), 0);
      assert_int_equal(e.first, base + 1 + starts[k]);
      assert_int_equal(e.end, base + 1 + (k + 1 < found ? starts[k + 1] : i));
    }
    assert_int_equal(fixgw_dict_group_next(d, &g, &e), FIXGW_ENOTFOUND);
  }
}

/* Outer entries with the same tags whose nested groups differ in count
 * are walked, not taken as copies: the second NoPartyIDs is short. */
static void test_nested_copies_walked(void **state) {
  (void)state;
  const fixgw_dict_t *d = fixgw_dict_fix44();
  fixgw_msg_t m;
  fixgw_group_t g;
  parse(VC_CROSS_HEAD "552=2|54=1|11=C1|453=1|448=P1|447=D|452=1|54=2|11=C2|453=2|"
                      "448=P2|447=D|452=1|" VC_CROSS_TAIL,
        &m);
  assert_int_equal(fixgw_dict_group_open(d, &m, 552, &g), FIXGW_EGROUPCOUNT);
  parse(VC_CROSS_HEAD "552=2|54=1|11=C1|453=1|448=P1|447=D|452=1|54=2|11=C2|453=1|"
                      "448=P2|447=D|452=1|" VC_CROSS_TAIL,
        &m);
  assert_int_equal(fixgw_dict_group_open(d, &m, 552, &g), 0);
  assert_int_equal(g.count, 2);
}

/* fixgw_validate judges an entry with the tags of the one before by that
 * one's record; the verdict (code, reason, tag, index) must be the one of
 * the full walk on the same message, under any checks. Random
 * MarketDataSnapshots (flat entries) and NewOrderCrosses (sides with
 * parties) whose entries mostly repeat the one before, some values bad,
 * members repeated, swapped, left out or added, tags foreign to the
 * group, user tags, counts off by one. */
static void test_entry_copy_verdicts(void **state) {
  (void)state;
  static const char *const md_vals[][3] = {
      {"269", "0", "Z"},        {"270", "187.25", "1.2.3"}, {"271", "100", "-"},
      {"272", "20240315", "2024"}, {"273", "13:30:00.000", "25:00:00"},
      {"290", "1", "x"},        {"58", "note", "text"},         {"346", "3", "3a"},
      {"5001", "u", "u"},       {"9999", "1", "1"}, /* a user tag, an undefined one */
  };
  static const char *const foreign[] = {"44=1|", "55=X|", "9999=1|", "5001=u|", "35=W|"};
  fixgw_validator_t v;
  fixgw_validator_config_t cfg;
  fixgw_validator_config_default(&cfg, fixgw_dict_fix44());
  assert_int_equal(fixgw_validator_init(&v, &cfg), 0);
  uint64_t x = 0x6A09E667F3BCC908ULL;
  unsigned outcomes[2] = {0, 0};
  for (int round = 0; round < 6000; round++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t r = x;
    uint32_t checks = r % 4 ? FIXGW_VAL_ALL : (uint32_t)(r >> 40) & FIXGW_VAL_ALL;
    r /= 4;
    char grp[3072];
    int len = 0;
    const int cross = round % 3 == 0;
    /* NoSides is 1 or 2 (an enumeration). */
    unsigned entries = cross ? 2 : 1 + (unsigned)(r % 12);
    r /= 12;
    /* The template: field numbers (into md_vals, or for a cross a party
     * count), kept by the copies. */
    unsigned tmpl[8], nt = 0;
    if (!cross) {
      tmpl[nt++] = 0;
      for (unsigned k = 1; k < 8 && nt < 6; k++)
        if ((r >> k) & 1) tmpl[nt++] = k;
      r >>= 8;
      /* Now and then a tag the walk may skip, in every entry. */
      if (r % 4 == 0 && nt > 1) {
        unsigned q = 1 + (unsigned)(r / 4 % (nt - 1));
        memmove(tmpl + q + 1, tmpl + q, (nt - q) * sizeof tmpl[0]);
        tmpl[q] = 8 + (unsigned)(r / 64 % 2);
        nt++;
      }
      r /= 128;
    } else {
      tmpl[nt++] = 1 + (unsigned)(r % 2); /* parties in each side */
      r /= 2;
    }
    for (unsigned e = 0; e < entries; e++) {
      if (r < 4096) r ^= x * 0x9E3779B97F4A7C15ULL + (uint64_t)(round * 977 + e);
      unsigned how = (unsigned)(r % 48), at = (unsigned)(r / 48 % 8);
      r /= 384;
      if (cross) {
        unsigned np = tmpl[0] + (how == 1);
        len += snprintf(grp + len, sizeof grp - (size_t)len, "54=%c|11=C%u|",
                        how == 2 ? 'Q' : '1', e);
        if (how == 3) len += snprintf(grp + len, sizeof grp - (size_t)len, "54=2|");
        len += snprintf(grp + len, sizeof grp - (size_t)len, "453=%u|",
                        tmpl[0] + (how == 4));
        for (unsigned q = 0; q < np; q++)
          len += snprintf(grp + len, sizeof grp - (size_t)len, "448=P%u|447=%s|452=1|", q,
                          how == 5 && q == 0 ? "?" : "D");
        continue;
      }
      for (unsigned k = 0; k < nt; k++) {
        unsigned fk = tmpl[k];
        if (how == 1 && k == at % nt) continue;             /* left out */
        if (how == 2 && k + 1 < nt && k == at % nt) {       /* swapped */
          fk = tmpl[k + 1];
          tmpl[k + 1] = tmpl[k];
          tmpl[k] = fk;
        }
        const int bad = how == 3 && k == at % nt;
        len += snprintf(grp + len, sizeof grp - (size_t)len, "%s=%s|", md_vals[fk][0],
                        md_vals[fk][bad ? 2 : 1]);
        if (how == 4 && k == at % nt) /* repeated */
          len += snprintf(grp + len, sizeof grp - (size_t)len, "%s=%s|", md_vals[fk][0],
                          md_vals[fk][1]);
        if (how == 5 && k == at % nt)
          len += snprintf(grp + len, sizeof grp - (size_t)len, "%s", foreign[at % 5]);
      }
      if (how == 6 || how == 7) { /* a member more: new, repeated or out of order */
        unsigned fk = how == 6 ? 7 : 1 + at % 6;
        len += snprintf(grp + len, sizeof grp - (size_t)len, "%s=%s|", md_vals[fk][0],
                        md_vals[fk][1]);
      }
      if (how == 2) { /* swapped back: the next entries are copies again */
        unsigned k = at % nt;
        if (k + 1 < nt) {
          unsigned t = tmpl[k];
          tmpl[k] = tmpl[k + 1];
          tmpl[k + 1] = t;
        }
      }
    }
    unsigned count = entries - ((x >> 58) == 0) + ((x >> 58) == 63);
    char body[4096];
    if (cross)
      snprintf(body, sizeof body, VC_CROSS_HEAD "552=%u|%s" VC_CROSS_TAIL, count, grp);
    else
      snprintf(body, sizeof body, "35=W|" VC_HDR "262=R1|55=IBM|268=%u|%s", count, grp);
    fixgw_msg_t m;
    parse(body, &m);
    assert_int_equal(fixgw_validator_set_checks(&v, checks), 0);
    fixgw_reject_t a, b;
    fixgw__validate_entry_copy = 0;
    int ra = fixgw_validate(&v, &m, &a);
    fixgw__validate_entry_copy = 1;
    int rb = fixgw_validate(&v, &m, &b);
    if (ra != rb || a.reason != b.reason || a.ref_tag != b.ref_tag ||
        a.field_index != b.field_index)
      fail_msg("checks %#x %s: full %s %d tag %u at %u, by record %s %d tag %u at %u", checks,
               body, fixgw_err_name(ra), (int)a.reason, a.ref_tag, a.field_index,
               fixgw_err_name(rb), (int)b.reason, b.ref_tag, b.field_index);
    outcomes[ra == 0]++;
  }
  fixgw_validator_destroy(&v);
  /* Both verdicts came up often. */
  print_message("verdicts: %u rejected, %u passed\n", outcomes[0], outcomes[1]);
  assert_true(outcomes[0] > 1000 && outcomes[1] > 1000);
}

static void test_zero_alloc(void **state) {
  (void)state;
  if (!fixgw_alloc_count_available()) skip();
  const fixgw_dict_t *d = fixgw_dict_fix44();
  fixgw_msg_t m;
  parse(VC_CROSS_HEAD "552=2|54=1|11=C1|453=1|448=P1|447=D|452=1|54=2|11=C2|453=2|"
                      "448=P2|447=D|452=1|448=P3|447=D|452=3|" VC_CROSS_TAIL,
        &m);
  uint32_t seen = 0;
  fixgw_alloc_count_reset();
  for (int r = 0; r < 1000; r++) {
    fixgw_group_t s, p;
    fixgw_group_entry_t se, pe;
    if (fixgw_dict_group_open(d, &m, 552, &s)) break;
    while (fixgw_dict_group_next(d, &s, &se) == 0)
      if (fixgw_dict_group_open_nested(d, &s, &se, 453, &p) == 0)
        while (fixgw_dict_group_next(d, &p, &pe) == 0) seen++;
  }
  assert_int_equal(fixgw_alloc_count_calls(), 0);
  assert_int_equal(seen, 3000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nested_cross),
      cmocka_unit_test(test_md_entries),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_md_entries_match_rule),
      cmocka_unit_test(test_nested_copies_walked),
      cmocka_unit_test(test_entry_copy_verdicts),
      cmocka_unit_test(test_zero_alloc),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
