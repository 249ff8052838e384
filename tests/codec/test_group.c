/* Repeating groups without a dictionary: flat, nested, empty, and each
 * structural error. */
#include <stdio.h>
#include <string.h>

#include "fixgw/codec.h"
#include "fixmsg.h"
#include "harness.h"

static const uint32_t md_tags[] = {269, 270, 271, 272, 273, 290};
static const fixgw_group_layout_t md = {268, 269, md_tags, 6, NULL, 0};

/* NoSides(552) entries hold NoPartyIDs(453) groups. */
static const uint32_t party_tags[] = {448, 447, 452};
static const fixgw_group_layout_t parties = {453, 448, party_tags, 3, NULL, 0};
static const fixgw_group_layout_t *const side_nested[] = {&parties};
static const uint32_t side_tags[] = {54, 37, 11, 1};
static const fixgw_group_layout_t sides = {552, 54, side_tags, 4, side_nested, 1};

typedef struct ctx {
  fixgw_parser_t p;
  fixgw_msg_t m;
  char buf[2048];
} ctx_t;

static void load(ctx_t *c, const char *body, uint32_t max_depth) {
  fixgw_parser_config_t cfg;
  fixgw_parser_config_default(&cfg);
  cfg.max_group_depth = max_depth;
  assert_int_equal(fixgw_parser_init(&c->p, &cfg), 0);
  size_t n = fixmsg(c->buf, sizeof c->buf, "FIX.4.4", body);
  size_t used;
  assert_int_equal(fixgw_parse(&c->p, c->buf, n, &used, &c->m, NULL), 0);
}

static void test_flat(void **state) {
  (void)state;
  ctx_t c;
  load(&c, "35=W|55=EURUSD|268=3|269=0|270=1.1|271=10|269=1|270=1.2|271=20|290=1|"
           "269=2|270=1.15|271=5|58=after|", 8);
  fixgw_group_t g;
  assert_int_equal(fixgw_group_open(&c.m, &md, 0, c.m.nfields, 0, &g), 0);
  assert_int_equal(g.count, 3);
  const char *px[] = {"1.1", "1.2", "1.15"};
  fixgw_group_entry_t e;
  int i = 0;
  while (fixgw_group_next(&g, &e) == 0) {
    const fixgw_field_t *f = fixgw_entry_find(&e, 270);
    assert_non_null(f);
    assert_int_equal(f->len, strlen(px[i]));
    assert_memory_equal(f->val, px[i], f->len);
    assert_int_equal(c.m.fields[e.first].tag, 269);
    i++;
  }
  assert_int_equal(i, 3);
  /* Past the end it stays at the end; NULL arguments are refused. */
  assert_int_equal(fixgw_group_next(&g, &e), FIXGW_ENOTFOUND);
  assert_int_equal(fixgw_group_next(NULL, &e), FIXGW_EINVAL);
  assert_int_equal(fixgw_group_next(&g, NULL), FIXGW_EINVAL);
  assert_non_null(fixgw_entry_find(&(fixgw_group_entry_t){&c.m, g.first, g.end, 1}, 290));
  /* The field after the group is not swallowed by the last entry. */
  assert_int_equal(c.m.fields[g.end].tag, 58);
  fixgw_parser_destroy(&c.p);
}

static void test_nested(void **state) {
  (void)state;
  ctx_t c;
  load(&c, "35=AB|552=2|54=1|37=O1|453=2|448=P1|447=D|452=1|448=P2|447=D|452=3|11=C1|"
           "54=2|453=1|448=P3|447=D|452=1|1=ACC|60=20261121-13:45:12|", 8);
  fixgw_group_t g;
  assert_int_equal(fixgw_group_open(&c.m, &sides, 0, c.m.nfields, 0, &g), 0);
  assert_int_equal(g.count, 2);
  fixgw_group_entry_t e;
  int parties_seen[2] = {0, 0}, side = 0;
  while (fixgw_group_next(&g, &e) == 0) {
    /* 11 after the nested group still belongs to side 1. */
    if (side == 0) assert_non_null(fixgw_entry_find(&e, 11));
    if (side == 1) assert_non_null(fixgw_entry_find(&e, 1));
    fixgw_group_t pg;
    assert_int_equal(fixgw_group_open(&c.m, &parties, e.first, e.end, e.depth, &pg), 0);
    assert_int_equal(pg.depth, 2);
    fixgw_group_entry_t pe;
    while (fixgw_group_next(&pg, &pe) == 0) parties_seen[side]++;
    side++;
  }
  assert_int_equal(side, 2);
  assert_int_equal(parties_seen[0], 2);
  assert_int_equal(parties_seen[1], 1);
  assert_int_equal(c.m.fields[g.end].tag, 60);
  fixgw_parser_destroy(&c.p);

  /* Depth limit: nesting beyond max_group_depth is refused. */
  load(&c, "35=AB|552=1|54=1|453=1|448=P1|", 1);
  assert_int_equal(fixgw_group_open(&c.m, &sides, 0, c.m.nfields, 0, &g), FIXGW_EGROUPDEPTH);
  fixgw_parser_destroy(&c.p);
}

static void test_errors(void **state) {
  (void)state;
  struct {
    const char *body;
    int rc;
  } cases[] = {
      {"35=W|268=3|269=0|270=1|269=1|270=2|", FIXGW_EGROUPCOUNT},      /* fewer */
      {"35=W|268=1|269=0|270=1|269=1|270=2|", FIXGW_EGROUPCOUNT},      /* more */
      {"35=W|268=2|270=1|269=0|269=1|", FIXGW_EGROUPDELIM},            /* no delimiter first */
      {"35=W|268=x|269=0|", FIXGW_EFORMAT},                            /* count not a number */
      {"35=W|55=X|", FIXGW_ENOTFOUND},                                 /* no group */
      {"35=W|268=0|55=X|", 0},                                         /* empty is fine */
      {"35=AB|552=1|54=1|453=2|448=P1|", FIXGW_EGROUPCOUNT},           /* nested count */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ctx_t c;
    load(&c, cases[i].body, 8);
    fixgw_group_t g;
    const fixgw_group_layout_t *l = strstr(cases[i].body, "552=") ? &sides : &md;
    int rc = fixgw_group_open(&c.m, l, 0, c.m.nfields, 0, &g);
    if (rc != cases[i].rc)
      fail_msg("case %zu: %s, want %s", i, fixgw_err_name(rc), fixgw_err_name(cases[i].rc));
    if (rc == 0) {
      fixgw_group_entry_t e;
      assert_int_equal(fixgw_group_next(&g, &e), FIXGW_ENOTFOUND);
    }
    fixgw_parser_destroy(&c.p);
  }
}

/* A layout that nests itself cannot recurse forever: depth bounds it. */
static const fixgw_group_layout_t selfish;
static const fixgw_group_layout_t *const selfish_nested[] = {&selfish};
static const uint32_t selfish_tags[] = {2};
static const fixgw_group_layout_t selfish = {1, 2, selfish_tags, 1, selfish_nested, 1};

static void test_cyclic_layout(void **state) {
  (void)state;
  ctx_t c;
  load(&c, "35=U|1=1|2=a|1=1|2=b|1=1|2=c|1=1|2=d|1=1|2=e|", 3);
  fixgw_group_t g;
  assert_int_equal(fixgw_group_open(&c.m, &selfish, 0, c.m.nfields, 0, &g), FIXGW_EGROUPDEPTH);
  fixgw_parser_destroy(&c.p);
}

/* The rule fixgw_group_open implements: an entry is its delimiter and the
 * members after it up to the next delimiter or non-member. The entries
 * found; each one's start in starts (if not NULL), the group's end in *end. */
static unsigned rule_entries(const uint32_t *tags, size_t nt, const fixgw_group_layout_t *l,
                             size_t *starts, size_t *end) {
  size_t i = 0;
  unsigned found = 0;
  while (i < nt && tags[i] == l->delim_tag) {
    if (starts) starts[found] = i;
    found++;
    for (i++; i < nt && tags[i] != l->delim_tag; i++) {
      int member = 0;
      for (unsigned k = 0; k < l->ntags; k++) member |= l->tags[k] == tags[i];
      if (!member) break;
    }
  }
  *end = i;
  return found;
}

/* A W whose group 268 holds these tags (values "v"), with this count and,
 * if tail, a non-member after the group, opened with layout l and walked,
 * against rule_entries. */
static void expect_rule(const uint32_t *tags, size_t nt, unsigned count, int tail,
                        const fixgw_group_layout_t *l) {
  char body[4096];
  int len = snprintf(body, sizeof body, "35=W|268=%u|", count);
  for (size_t k = 0; k < nt; k++)
    len += snprintf(body + len, sizeof body - (size_t)len, "%u=v|", tags[k]);
  /* The CheckSum right after the group, or a non-member first. */
  if (tail) snprintf(body + len, sizeof body - (size_t)len, "58=end|");
  size_t i, starts[256];
  unsigned found = rule_entries(tags, nt, l, starts, &i);
  int want = found == 0 && count > 0 ? FIXGW_EGROUPDELIM : found != count ? FIXGW_EGROUPCOUNT : 0;
  ctx_t c;
  load(&c, body, 8);
  fixgw_group_t g;
  int rc = fixgw_group_open(&c.m, l, 0, c.m.nfields, 0, &g);
  if (rc != want) fail_msg("%s: %s, want %s", body, fixgw_err_name(rc), fixgw_err_name(want));
  if (!rc) {
    assert_int_equal(g.end, 4 + i); /* fields 8 9 35 268, then the group's */
    fixgw_group_entry_t e;
    for (unsigned k = 0; k < found; k++) {
      assert_int_equal(fixgw_group_next(&g, &e), 0);
      assert_int_equal(e.first, 4 + starts[k]);
      assert_int_equal(e.end, 4 + (k + 1 < found ? starts[k + 1] : i));
    }
    assert_int_equal(fixgw_group_next(&g, &e), FIXGW_ENOTFOUND);
  }
  fixgw_parser_destroy(&c.p);
}

/* The one-pass walk of flat groups against the rule it implements (see
 * expect_rule), on random entries: members in any order (repeats too), a
 * non-member or the delimiter ending an entry, counts right and wrong. */
static void test_flat_matches_rule(void **state) {
  (void)state;
  static const uint32_t pool[] = {269, 270, 271, 272, 273, 290, 58, 15};
  uint64_t x = 0x2545F4914F6CDD1DULL;
  for (int round = 0; round < 3000; round++) {
    uint32_t tags[40];
    size_t nt = 0;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t r = x;
    unsigned entries = (unsigned)(r % 5);
    r /= 5;
    for (unsigned k = 0; k < entries; k++) {
      tags[nt++] = 269;
      unsigned more = (unsigned)(r % 5);
      r /= 5;
      for (unsigned j = 0; j < more && nt < 38; j++) {
        tags[nt++] = pool[1 + r % 7]; /* 270..290 members, 58/15 not */
        r /= 7;
        if (!r) r = x * 0x9E3779B97F4A7C15ULL + (uint64_t)round;
      }
    }
    unsigned count = entries + (unsigned)(x >> 62) % 2;
    expect_rule(tags, nt, count, round & 1, &md);
  }
}

/* The same rule on a layout of 19 tags (two 8-tag search steps and a
 * tail of 3), entries that mostly keep the layout's order, skip one or
 * more members, or go back, and non-members below, between and above the
 * members; each entry walked by fixgw_group_next is checked too. */
static const uint32_t long_tags[] = {269, 270, 15,  271, 272, 273, 274, 275, 336, 625,
                                     276, 277, 282, 283, 284, 286, 59,  432, 126};
static const fixgw_group_layout_t long_md = {268, 269, long_tags, 19, NULL, 0};

static void test_long_layout_matches_rule(void **state) {
  (void)state;
  static const uint32_t strangers[] = {1, 58, 285, 627, 9999};
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int round = 0; round < 4000; round++) {
    uint32_t tags[80];
    size_t nt = 0;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t r = x;
    unsigned entries = (unsigned)(r % 6);
    r /= 6;
    for (unsigned k = 0; k < entries && nt < 70; k++) {
      tags[nt++] = 269;
      unsigned pos = 0, more = (unsigned)(r % 7);
      r /= 7;
      for (unsigned j = 0; j < more && nt < 78; j++) {
        if (r < 64) r ^= x * 0xD6E8FEB86659FD93ULL + (uint64_t)(round * 31 + j);
        unsigned how = (unsigned)(r % 8);
        r /= 8;
        if (how < 4) {
          pos = pos + 1 + how / 3; /* in order, or one left out */
        } else if (how < 7) {
          pos = (unsigned)(r % 19); /* anywhere, back too */
          r /= 19;
        } else {
          tags[nt++] = strangers[r % 5];
          r /= 5;
          continue;
        }
        if (pos >= 19) pos = 1 + (unsigned)(r % 18);
        tags[nt++] = long_tags[pos];
      }
    }
    unsigned count = entries - (entries && (x >> 60) == 0) + ((x >> 61) == 7);
    expect_rule(tags, nt, count, round & 1, &long_md);
  }
}

/* Entries that mostly repeat the one before, as real groups do (the walk
 * checks such a run against the entry before it): copies, copies with a
 * member more or one less, with one field swapped for another member, a
 * non-member or the delimiter, and new entries, some of only the
 * delimiter, up to the group's end. */
static void test_repeated_entries_match_rule(void **state) {
  (void)state;
  static const uint32_t pool[] = {270, 271, 272, 273, 290, 58, 15};
  uint64_t x = 0xD1B54A32D192ED03ULL;
  for (int round = 0; round < 6000; round++) {
    uint32_t tags[200];
    size_t nt = 0, last = 0, last_n = 0;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t r = x;
    unsigned entries = (unsigned)(r % 24);
    r /= 24;
    for (unsigned k = 0; k < entries && nt + 12 < 200; k++) {
      if (r < 4096) r ^= x * 0x9E3779B97F4A7C15ULL + (uint64_t)(round * 131 + k);
      unsigned how = (unsigned)(r % 10), at = nt;
      r /= 10;
      if (k == 0 || how >= 8) {
        tags[nt++] = 269;
        unsigned more = (unsigned)(r % 5);
        r /= 5;
        for (unsigned j = 0; j < more; j++) {
          tags[nt++] = pool[r % 5]; /* members only: 270..290 */
          r /= 5;
        }
      } else {
        memcpy(tags + nt, tags + last, last_n * sizeof tags[0]);
        nt += last_n;
        if (how == 5) {
          tags[nt++] = pool[r % 5];
          r /= 5;
        } else if (how == 6 && last_n > 1) {
          nt--;
        } else if (how == 7) {
          unsigned q = (unsigned)(r % last_n), w = (unsigned)(r / last_n % 8);
          r /= 64;
          if (q == 0) q = last_n > 1 ? 1 : 0;
          if (q) tags[at + q] = w < 7 ? pool[w] : 269;
        }
      }
      last = at;
      last_n = nt - at;
    }
    /* The count the rule finds (a field made the delimiter or a
     * non-member moves it), now and then one off. */
    size_t end;
    unsigned count = rule_entries(tags, nt, &md, NULL, &end);
    count = count - (count && (x >> 59) == 0) + ((x >> 59) == 31);
    expect_rule(tags, nt, count, round & 1, &md);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flat),
      cmocka_unit_test(test_nested),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_cyclic_layout),
      cmocka_unit_test(test_flat_matches_rule),
      cmocka_unit_test(test_long_layout_matches_rule),
      cmocka_unit_test(test_repeated_entries_match_rule),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
