/* The runtime loader: a custom dictionary agrees with the tables the
 * generator made from the same file at build time; hostile dictionaries
 * fail with code, line and element and leak nothing; every allocation
 * failure is reported as FIXGW_ENOMEM and leaks nothing. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dict_compare.h"
#include "fixgw/dict.h"
#include "harness.h"

/* Generated at build time by scripts/fixgw-dictgen from data/custom.xml. */
const fixgw_dict_t *fixgw_test_custom_dict(void);

#define CUSTOM FIXGW_TEST_DICT_DATA "/custom.xml"

static char *read_all(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)sz + 1);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)sz, f), (size_t)sz);
  b[sz] = 0;
  fclose(f);
  *n = (size_t)sz;
  return b;
}

/* ------------------------------------------------ counting / failing alloc */

typedef struct talloc {
  long live;        /* outstanding blocks */
  long calls;       /* successful allocations */
  long fail_at;     /* fail the allocation with this 1-based number; 0 never */
  int failed;
} talloc;

static void *t_alloc(size_t n, void *user) {
  talloc *t = user;
  if (t->fail_at && t->calls + 1 == t->fail_at) {
    t->failed = 1;
    t->fail_at = 0; /* only once: later attempts may succeed */
    return NULL;
  }
  void *p = malloc(n);
  if (p) {
    t->calls++;
    t->live++;
  }
  return p;
}

static void t_free(void *p, void *user) {
  talloc *t = user;
  if (p) t->live--;
  free(p);
}

/* ------------------------------------------------------------------ tests */

static void test_custom_matches_generated(void **state) {
  (void)state;
  const fixgw_dict_t *gen = fixgw_test_custom_dict();
  char why[256];
  if (fixgw_t_dict_check(gen, why, sizeof why)) fail_msg("generated: %s", why);

  talloc t = {0};
  fixgw_allocator_t a = {t_alloc, t_free, &t};
  fixgw_dict_t *d = NULL;
  fixgw_dict_error_t err;
  int rc = fixgw_dict_load_file(CUSTOM, &a, &d, &err);
  if (rc) {
    fixgw_dict_error_format(&err, why, sizeof why);
    fail_msg("%s", why);
  }
  assert_int_equal(err.code, 0);
  assert_non_null(d->owner_);
  if (fixgw_t_dict_check(d, why, sizeof why)) fail_msg("loaded: %s", why);
  if (fixgw_t_dict_compare(gen, d, why, sizeof why)) fail_msg("differ: %s", why);

  /* What the fixture was written to exercise. */
  const fixgw_dict_msg_t *bt = fixgw_dict_msg(d, "UBT1234567", 10);
  assert_non_null(bt);
  assert_null(fixgw_dict_msg(d, "UBT1234569", 10)); /* same 8-byte key */
  assert_non_null(fixgw_dict_msg(d, "UBT1234568", 10));
  assert_non_null(fixgw_dict_msg(d, "U9", 2));
  assert_int_equal(d->scopes[fixgw_dict_msg(d, "U9", 2)->body].nmembers, 0);
  /* User tags, one above the direct-index bound. */
  assert_int_equal(fixgw_dict_field(d, 5001)->type, FIXGW_FT_MULTIPLESTRINGVALUE);
  assert_int_equal(fixgw_dict_field(d, 20001)->type, FIXGW_FT_TZTIMESTAMP);
  assert_int_equal(fixgw_dict_field(d, 269)->type, FIXGW_FT_CHAR); /* "char" */
  /* Enum values: longer than 8 bytes, entities decoded, UTF-8 kept. */
  const fixgw_dict_field_t *risk = fixgw_dict_field(d, 5001);
  assert_non_null(fixgw_dict_value(d, risk, "FATFINGER", 9));
  const fixgw_dict_value_t *ffs = fixgw_dict_value(d, risk, "FATFINGERS", 10);
  assert_non_null(ffs);
  assert_string_equal(fixgw_dict_str(d, ffs->desc), "Longer than eight bytes");
  assert_null(fixgw_dict_value(d, risk, "FATFINGERX", 10));
  assert_string_equal(
      fixgw_dict_str(d, fixgw_dict_value(d, risk, "FATFINGER", 9)->desc),
      "Fat finger check & <limit>");
  assert_string_equal(fixgw_dict_str(d, fixgw_dict_value(d, risk, "CR", 2)->desc),
                      "Credit r\xc3\xa9serve");
  /* Required chains: Instrument (Y) -> Symbol Y; Legs (N) -> NoLegs not
   * required though marked Y; Text listed twice, once Y: required. */
  const fixgw_dict_scope_t *nos = &d->scopes[fixgw_dict_msg(d, "D", 1)->body];
  assert_true(fixgw_dict_scope_member(d, nos, 55)->flags & FIXGW_DICT_M_REQUIRED);
  assert_false(fixgw_dict_scope_member(d, nos, 555)->flags & FIXGW_DICT_M_REQUIRED);
  assert_true(fixgw_dict_scope_member(d, nos, 58)->flags & FIXGW_DICT_M_REQUIRED);
  assert_false(fixgw_dict_scope_member(d, nos, 453)->flags & FIXGW_DICT_M_REQUIRED);
  /* NoSides: delimiter comes from the component SideCore; inside an entry
   * Side is required, NoAllocs nests, and the NoAllocs group is the same
   * scope as the one declared inline in the ack message. */
  const fixgw_dict_member_t *sides =
      fixgw_dict_scope_member(d, &d->scopes[bt->body], 552);
  assert_non_null(sides);
  assert_int_equal(d->layouts[sides->group].delim_tag, 54);
  const fixgw_dict_member_t *allocs =
      fixgw_dict_scope_member(d, &d->scopes[sides->group], 78);
  const fixgw_dict_member_t *allocs2 = fixgw_dict_scope_member(
      d, &d->scopes[fixgw_dict_msg(d, "UBT1234568", 10)->body], 78);
  assert_int_equal(allocs->group, allocs2->group);
  assert_true(fixgw_dict_scope_member(d, &d->scopes[sides->group], 54)->flags &
              FIXGW_DICT_M_REQUIRED);
  /* Parties inside NoMDEntries and at the top of D: one scope. */
  const fixgw_dict_member_t *mde = fixgw_dict_scope_member(
      d, &d->scopes[fixgw_dict_msg(d, "W", 1)->body], 268);
  assert_int_equal(fixgw_dict_scope_member(d, &d->scopes[mde->group], 453)->group,
                   fixgw_dict_scope_member(d, nos, 453)->group);
  /* Data pairs by name (SecureDataLen, SignatureLength, RawDataLength,
   * VenueXmlLen). */
  assert_int_equal(d->ndata_pairs, 4);
  assert_int_equal(d->data_pairs[3].len_tag, 5002);
  assert_int_equal(d->data_pairs[3].data_tag, 5003);

  fixgw_dict_free(d);
  assert_int_equal(t.live, 0);
}

/* Every prefix of a valid dictionary is rejected cleanly (or, when it is
 * the whole file less trailing blanks, accepted). */
static void test_truncated_everywhere(void **state) {
  (void)state;
  size_t n;
  char *xml = read_all(CUSTOM, &n);
  size_t full = n;
  while (full && (xml[full - 1] == '\n' || xml[full - 1] == ' ')) full--;
  talloc t = {0};
  fixgw_allocator_t a = {t_alloc, t_free, &t};
  for (size_t len = 0; len < n; len++) {
    fixgw_guard_t g;
    char *p = fixgw_guard_copy(&g, xml, len);
    fixgw_dict_t *d = NULL;
    fixgw_dict_error_t err;
    int rc = fixgw_dict_load_mem(p, len, "trunc", &a, &d, &err);
    if (len >= full) {
      assert_int_equal(rc, 0);
      fixgw_dict_free(d);
    } else {
      if (rc != FIXGW_EDICT_XML) fail_msg("prefix %zu: rc %d", len, rc);
      assert_int_equal(err.code, rc);
      assert_true(err.line >= 1);
      assert_true(err.message[0] != 0);
      assert_null(d);
    }
    fixgw_guard_free(&g);
    assert_int_equal(t.live, 0);
  }
  free(xml);
}

/* The files in data/bad: each says on line 1 what it must fail with; the
 * generator is held to the same list by check_dictgen.py. */
static void test_bad_files(void **state) {
  (void)state;
  const char *dir = FIXGW_TEST_DICT_DATA "/bad";
  DIR *dp = opendir(dir);
  assert_non_null(dp);
  struct dirent *de;
  int checked = 0;
  while ((de = readdir(dp)) != NULL) {
    size_t nl = strlen(de->d_name);
    if (nl < 4 || strcmp(de->d_name + nl - 4, ".xml") != 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    size_t n;
    char *xml = read_all(path, &n);
    char code[32], el[64];
    unsigned line;
    if (sscanf(xml, "<!-- expect: %31s %u %63s -->", code, &line, el) != 3)
      fail_msg("%s: no expectation", path);
    if (strcmp(el, "-") == 0) el[0] = 0;
    char want[48];
    snprintf(want, sizeof want, "FIXGW_%s", code);

    talloc t = {0};
    fixgw_allocator_t a = {t_alloc, t_free, &t};
    fixgw_dict_t *d = NULL;
    fixgw_dict_error_t err;
    int rc = fixgw_dict_load_file(path, &a, &d, &err);
    char msg[512];
    fixgw_dict_error_format(&err, msg, sizeof msg);
    if (rc == 0) fail_msg("%s: accepted", path);
    if (strcmp(fixgw_err_name(rc), want) != 0 || err.code != rc ||
        err.line != line || strcmp(err.element, el) != 0)
      fail_msg("%s: got %s, want %s line %u <%s>", de->d_name, msg, want, line,
               el);
    assert_ptr_equal(err.file, path);
    assert_non_null(strstr(msg, path));
    assert_true(err.message[0] != 0);
    assert_null(d);
    assert_int_equal(t.live, 0);
    free(xml);
    checked++;
  }
  closedir(dp);
  assert_true(checked >= 20);
}

static int load_str(const char *xml, size_t n, fixgw_dict_error_t *err) {
  talloc t = {0};
  fixgw_allocator_t a = {t_alloc, t_free, &t};
  fixgw_dict_t *d = NULL;
  int rc = fixgw_dict_load_mem(xml, n, "mem", &a, &d, err);
  if (rc == 0) fixgw_dict_free(d);
  assert_int_equal(t.live, 0);
  return rc;
}

static void test_huge_and_deep(void **state) {
  (void)state;
  fixgw_dict_error_t err;
  /* 100000 nested groups: stopped at the depth limit, not by the stack. */
  const char *head = "<fix type='FIX' major='4' minor='4'><messages>"
                     "<message name='M' msgtype='D'>";
  const char *open = "<group name='G'>";
  size_t depth = 100000, n = strlen(head) + depth * strlen(open);
  char *deep = malloc(n + 1);
  assert_non_null(deep);
  strcpy(deep, head);
  for (size_t i = 0; i < depth; i++) memcpy(deep + strlen(head) + i * strlen(open), open, strlen(open) + 1);
  assert_int_equal(load_str(deep, n, &err), FIXGW_EDICT_LIMIT);
  assert_string_equal(err.element, "group");
  free(deep);

  /* A component chain deeper than the limit (no cycle). */
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  assert_non_null(buf);
  len += (size_t)snprintf(buf + len, cap - len,
                          "<fix type='FIX' major='4' minor='4'><messages>"
                          "<message name='M' msgtype='D'><component name='C0' "
                          "required='Y'/></message></messages><components>");
  for (int i = 0; i < 200; i++)
    len += (size_t)snprintf(buf + len, cap - len,
                            "<component name='C%d'><component name='C%d' "
                            "required='Y'/></component>", i, i + 1);
  len += (size_t)snprintf(buf + len, cap - len,
                          "<component name='C200'><field name='F' "
                          "required='Y'/></component></components><fields>"
                          "<field number='1' name='F' type='INT'/></fields></fix>");
  assert_int_equal(load_str(buf, len, &err), FIXGW_EDICT_LIMIT);

  /* Fan-out: each component includes the next twice, 40 levels (2^40
   * expansions if nothing stopped it). */
  len = 0;
  len += (size_t)snprintf(buf + len, cap - len,
                          "<fix type='FIX' major='4' minor='4'><messages>"
                          "<message name='M' msgtype='D'><component name='C0' "
                          "required='Y'/></message></messages><components>");
  for (int i = 0; i < 40; i++)
    len += (size_t)snprintf(buf + len, cap - len,
                            "<component name='C%d'><component name='C%d' "
                            "required='Y'/><component name='C%d' required='N'/>"
                            "</component>", i, i + 1, i + 1);
  len += (size_t)snprintf(buf + len, cap - len,
                          "<component name='C40'><field name='F' "
                          "required='Y'/></component></components><fields>"
                          "<field number='1' name='F' type='INT'/></fields></fix>");
  assert_int_equal(load_str(buf, len, &err), FIXGW_EDICT_LIMIT);
  assert_non_null(strstr(err.message, "in all"));
  free(buf);

  /* An 8 MB attribute value is just a long (unknown) type name. */
  size_t big = 8u << 20;
  char *huge = malloc(big + 256);
  assert_non_null(huge);
  len = (size_t)sprintf(huge, "<fix type='FIX' major='4' minor='4'><fields>"
                              "<field number='1' name='F' type='");
  memset(huge + len, 'X', big);
  len += big;
  len += (size_t)sprintf(huge + len, "'/></fields></fix>");
  assert_int_equal(load_str(huge, len, &err), FIXGW_EDICT_TYPE);
  assert_int_equal(err.line, 1);
  free(huge);

  /* Binary garbage and NUL bytes. */
  char junk[4096];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 131 + 7);
  assert_int_equal(load_str(junk, sizeof junk, &err), FIXGW_EDICT_XML);
  assert_int_equal(load_str("", 0, &err), FIXGW_EDICT_XML);
  static const char nul[] = "<fix type='FIX' major='4' minor='4'>\0</fix>";
  assert_int_equal(load_str(nul, sizeof nul - 1, &err), FIXGW_EDICT_XML);

  /* Bad arguments. */
  fixgw_dict_t *d = NULL;
  assert_int_equal(fixgw_dict_load_mem("x", 1, "m", NULL, NULL, &err), FIXGW_EINVAL);
  assert_int_equal(fixgw_dict_load_mem(NULL, 1, "m", NULL, &d, &err), FIXGW_EINVAL);
  assert_int_equal(fixgw_dict_load_file(NULL, NULL, &d, &err), FIXGW_EINVAL);
  assert_int_equal(fixgw_dict_load_file("/nonexistent/dict.xml", NULL, &d, &err),
                   FIXGW_EIO);
  assert_string_equal(err.file, "/nonexistent/dict.xml");
  assert_null(d);
  fixgw_dict_free(NULL);
}

/* Fail allocation N for N = 1, 2, ... until the load succeeds: every run
 * returns FIXGW_ENOMEM with nothing leaked. */
static void fail_every_allocation(const char *path) {
  size_t n;
  char *xml = read_all(path, &n);
  long N;
  for (N = 1;; N++) {
    talloc t = {0};
    t.fail_at = N;
    fixgw_allocator_t a = {t_alloc, t_free, &t};
    fixgw_dict_t *d = NULL;
    fixgw_dict_error_t err;
    int rc = fixgw_dict_load_mem(xml, n, path, &a, &d, &err);
    if (!t.failed) {
      assert_int_equal(rc, 0);
      char why[256];
      if (fixgw_t_dict_check(d, why, sizeof why)) fail_msg("%s", why);
      fixgw_dict_free(d);
      assert_int_equal(t.live, 0);
      break;
    }
    if (rc != FIXGW_ENOMEM) fail_msg("%s: allocation %ld failed, rc %d", path, N, rc);
    assert_int_equal(err.code, FIXGW_ENOMEM);
    assert_null(d);
    if (t.live != 0) fail_msg("allocation %ld failed: %ld blocks leaked", N, t.live);
  }
  print_message("%s: %ld allocations, each failed once\n", path, N - 1);
  assert_true(N > 5);
  free(xml);
}

static void test_failing_allocator(void **state) {
  (void)state;
  fail_every_allocation(CUSTOM);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_custom_matches_generated),
      cmocka_unit_test(test_truncated_everywhere),
      cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_huge_and_deep),
      cmocka_unit_test(test_failing_allocator),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
