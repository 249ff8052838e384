/* CPU sets and sysfs topologies, real and fake (temp dirs), malformed files
 * included. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixgw/thread.h"
#include "harness.h"
#include "test_thread.h"

static fixgw_topology_t topo; /* ~21 KiB: not on the stack */

static fixgw_cpuset_t set_of(const char *list) {
  fixgw_cpuset_t s;
  assert_int_equal(fixgw_cpuset_parse(&s, list, strlen(list)), 0);
  return s;
}

static void test_cpuset_parse(void **state) {
  (void)state;
  fixgw_cpuset_t s = set_of("1-3,5");
  assert_int_equal(fixgw_cpuset_count(&s), 4);
  for (int c = 0; c < 8; c++)
    assert_int_equal(fixgw_cpuset_has(&s, c), c >= 1 && c <= 3 ? 1 : c == 5);
  s = set_of("0-3,5,7-8\n");
  assert_int_equal(fixgw_cpuset_count(&s), 7);
  assert_true(fixgw_cpuset_has(&s, 8));
  s = set_of("\n");
  assert_int_equal(fixgw_cpuset_count(&s), 0);
  s = set_of("1023");
  assert_int_equal(fixgw_cpuset_next(&s, 0), 1023);
  assert_int_equal(fixgw_cpuset_next(&s, 1024), -1);

  static const char *bad[] = {"1-", "a", "3-1", "1,,2", "1,", ",1", "1 2", "-1", "1-2-3",
                              "0x1", "1;2", " 1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    fixgw_cpuset_t keep = set_of("7");
    assert_int_equal(fixgw_cpuset_parse(&keep, bad[i], strlen(bad[i])), FIXGW_EFORMAT);
    assert_true(fixgw_cpuset_has(&keep, 7)); /* untouched on failure */
  }
  const char *big[] = {"1024", "0-5000", "99999999999999999999999"};
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(fixgw_cpuset_parse(&s, big[i], strlen(big[i])), FIXGW_ERANGE);
  /* Length is honoured: no NUL needed, nothing read past len. */
  /* (A local guard page: harness.c's guard helper cannot be linked next to
   * the ALLOC_COUNT interposer, both define the alloc-count functions.) */
  long pg = sysconf(_SC_PAGESIZE);
  char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(m != MAP_FAILED);
  assert_int_equal(mprotect(m + pg, (size_t)pg, PROT_NONE), 0);
  char *p = m + pg - 3;
  memcpy(p, "4-6", 3);
  assert_int_equal(fixgw_cpuset_parse(&s, p, 3), 0);
  assert_int_equal(fixgw_cpuset_count(&s), 3);
  memcpy(p, "4-7", 3);
  assert_int_equal(fixgw_cpuset_parse(&s, p, 2), FIXGW_EFORMAT); /* "4-" */
  munmap(m, (size_t)pg * 2);
}

static void test_cpuset_format(void **state) {
  (void)state;
  char buf[64];
  fixgw_cpuset_t s = set_of("0-3,5,7-8,1000");
  assert_int_equal(fixgw_cpuset_format(&s, buf, sizeof buf), 0);
  assert_string_equal(buf, "0-3,5,7-8,1000");
  fixgw_cpuset_t r = set_of(buf);
  assert_true(fixgw_cpuset_equal(&r, &s));
  fixgw_cpuset_zero(&s);
  assert_int_equal(fixgw_cpuset_format(&s, buf, sizeof buf), 0);
  assert_string_equal(buf, "");
  /* Too small: ENOSPC, NUL-terminated prefix, the canary past cap intact. */
  s = set_of("0-3,5,7-8");
  memset(buf, 'X', sizeof buf);
  assert_int_equal(fixgw_cpuset_format(&s, buf, 6), FIXGW_ENOSPC);
  assert_string_equal(buf, "0-3,5");
  assert_int_equal(buf[6], 'X');
  assert_int_equal(fixgw_cpuset_add(&s, 1024), FIXGW_ERANGE);
  assert_int_equal(fixgw_cpuset_add(&s, -1), FIXGW_ERANGE);
}

/* ---- fake sysfs trees ---- */

static char root[256];

static void mk(const char *rel, const char *content) {
  char path[512], dir[512];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  /* mkdir -p of the parent */
  snprintf(dir, sizeof dir, "%s", path);
  for (char *q = dir + strlen(root) + 1; *q; q++) {
    if (*q != '/') continue;
    *q = 0;
    mkdir(dir, 0755);
    *q = '/';
  }
  if (!content) {
    mkdir(path, 0755);
    return;
  }
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(content, f);
  fclose(f);
}

static void rm_tree(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  assert_int_equal(system(cmd), 0);
}

static void new_tree(void) {
  snprintf(root, sizeof root, "/tmp/fixgw-topo-XXXXXX");
  assert_non_null(mkdtemp(root));
}

/* cpuN with its core, package, sibling list and NUMA node. */
static void mk_cpu(int cpu, int core, int pkg, const char *sib, int node) {
  char rel[128], v[32];
  snprintf(rel, sizeof rel, "cpu%d/topology/core_id", cpu);
  snprintf(v, sizeof v, "%d\n", core);
  mk(rel, v);
  snprintf(rel, sizeof rel, "cpu%d/topology/physical_package_id", cpu);
  snprintf(v, sizeof v, "%d\n", pkg);
  mk(rel, v);
  snprintf(rel, sizeof rel, "cpu%d/topology/thread_siblings_list", cpu);
  snprintf(v, sizeof v, "%s\n", sib);
  mk(rel, v);
  if (node >= 0) {
    snprintf(rel, sizeof rel, "cpu%d/node%d", cpu, node);
    mk(rel, NULL);
  }
}

/* Intel-style numbering: SMT pairs (n, n+4), two NUMA nodes, and the
 * isolated list "1-3,5". */
static void test_fake_intel_smt(void **state) {
  (void)state;
  new_tree();
  mk("online", "0-7\n");
  mk("isolated", "1-3,5\n");
  for (int c = 0; c < 8; c++) {
    char sib[16];
    snprintf(sib, sizeof sib, "%d,%d", c % 4, c % 4 + 4);
    mk_cpu(c, c % 4, 0, sib, c % 4 < 2 ? 0 : 1);
  }
  assert_int_equal(fixgw_topology_load(&topo, root), 0);
  assert_int_equal(topo.nonline, 8);
  assert_int_equal(topo.ncpus, 8);
  assert_int_equal(topo.ncores, 4);
  assert_int_equal(topo.npackages, 1);
  fixgw_cpuset_t iso = set_of("1-3,5");
  assert_true(fixgw_cpuset_equal(&topo.isolated, &iso));
  for (int c = 0; c < 8; c++) {
    assert_int_equal(topo.cpu[c].core_id, c % 4);
    assert_int_equal(topo.cpu[c].core_first, c % 4);
    assert_int_equal(topo.cpu[c].nsiblings, 2);
    assert_int_equal(topo.cpu[c].numa_node, c % 4 < 2 ? 0 : 1);
    assert_int_equal(topo.cpu[c].isolated, fixgw_cpuset_has(&iso, c));
  }
  /* Core 1 = {1,5} is the only fully isolated core: I/O on 1, 5 idle. */
  fixgw_placement_t p;
  assert_int_equal(fixgw_topology_place_io(&topo, &p), 0);
  assert_int_equal(p.io_cpu, 1);
  assert_int_equal(p.io_isolated, 1);
  fixgw_cpuset_t idle = set_of("5"), others = set_of("0,2-4,6-7");
  assert_true(fixgw_cpuset_equal(&p.idle, &idle));
  assert_true(fixgw_cpuset_equal(&p.others, &others));
  assert_int_equal(p.crowded, 0);
  rm_tree();
}

/* AMD-style adjacent pairs, no isolated file, two packages: last core. */
static void test_fake_amd_no_isolated(void **state) {
  (void)state;
  new_tree();
  mk("online", "0-7");
  for (int c = 0; c < 8; c++) {
    char sib[16];
    snprintf(sib, sizeof sib, "%d-%d", c & ~1, (c & ~1) + 1);
    mk_cpu(c, (c / 2) % 2, c / 4, sib, -1);
  }
  assert_int_equal(fixgw_topology_load(&topo, root), 0);
  assert_int_equal(topo.ncores, 4);
  assert_int_equal(topo.npackages, 2);
  assert_int_equal(fixgw_cpuset_count(&topo.isolated), 0);
  assert_int_equal(topo.cpu[3].numa_node, -1);
  assert_int_equal(topo.cpu[5].package_id, 1);
  /* core_id repeats across packages; the sibling list tells cores apart. */
  assert_int_equal(topo.cpu[2].core_id, topo.cpu[6].core_id);
  assert_int_not_equal(topo.cpu[2].core_first, topo.cpu[6].core_first);
  fixgw_placement_t p;
  assert_int_equal(fixgw_topology_place_io(&topo, &p), 0);
  assert_int_equal(p.io_cpu, 6);
  assert_int_equal(p.io_isolated, 0);
  fixgw_cpuset_t idle = set_of("7"), others = set_of("0-5");
  assert_true(fixgw_cpuset_equal(&p.idle, &idle));
  assert_true(fixgw_cpuset_equal(&p.others, &others));
  rm_tree();
}

/* Offline sibling, missing topology directories, a single CPU. */
static void test_fake_sparse(void **state) {
  (void)state;
  new_tree();
  mk("online", "0-2,4\n");
  mk("isolated", "\n");
  mk_cpu(0, 0, 0, "0", 0);
  mk_cpu(1, 1, 0, "1", 0);
  mk_cpu(2, 2, 0, "2-3", 0); /* cpu3 offline */
  mk("cpu4/online", "1\n");  /* no topology dir at all */
  assert_int_equal(fixgw_topology_load(&topo, root), 0);
  assert_int_equal(topo.nonline, 4);
  assert_int_equal(topo.ncpus, 5);
  assert_int_equal(topo.cpu[3].online, 0);
  assert_int_equal(topo.cpu[2].nsiblings, 1);
  assert_int_equal(topo.cpu[4].core_id, -1);
  assert_int_equal(topo.cpu[4].core_first, 4);
  assert_int_equal(topo.ncores, 4);
  fixgw_placement_t p;
  assert_int_equal(fixgw_topology_place_io(&topo, &p), 0);
  assert_int_equal(p.io_cpu, 4);
  assert_int_equal(fixgw_cpuset_count(&p.idle), 0);
  rm_tree();

  new_tree();
  mk("online", "0\n");
  assert_int_equal(fixgw_topology_load(&topo, root), 0);
  assert_int_equal(fixgw_topology_place_io(&topo, &p), 0);
  assert_int_equal(p.io_cpu, 0);
  assert_int_equal(p.crowded, 1);
  assert_true(fixgw_cpuset_has(&p.others, 0));
  rm_tree();
}

typedef struct bad_case {
  const char *file, *content; /* content NULL: a directory */
  int rc;
  const char *mention; /* must appear in topo.error */
} bad_case;

static void test_fake_malformed(void **state) {
  (void)state;
  static const bad_case cases[] = {
      {"online", "zzz\n", FIXGW_EFORMAT, "online"},
      {"online", "", FIXGW_EFORMAT, "online"},
      {"online", "0-5000\n", FIXGW_ERANGE, "online"},
      {"online", NULL, FIXGW_ESYS, "online"},
      {"isolated", "1-\n", FIXGW_EFORMAT, "isolated"},
      {"cpu1/topology/core_id", "abc\n", FIXGW_EFORMAT, "cpu1/topology/core_id"},
      {"cpu1/topology/core_id", "\n", FIXGW_EFORMAT, "core_id"},
      {"cpu1/topology/physical_package_id", "99999999999\n", FIXGW_ERANGE, "package"},
      {"cpu1/topology/thread_siblings_list", "0\n", FIXGW_EFORMAT, "does not contain cpu1"},
      {"cpu1/topology/thread_siblings_list", "1,,\n", FIXGW_EFORMAT, "siblings"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    new_tree();
    if (strcmp(cases[i].file, "online") != 0) mk("online", "0-1\n");
    mk_cpu(0, 0, 0, "0", 0);
    if (strncmp(cases[i].file, "cpu1/", 5) == 0) mk_cpu(1, 1, 0, "1", 0);
    mk(cases[i].file, cases[i].content);
    int rc = fixgw_topology_load(&topo, root);
    if (rc != cases[i].rc || !strstr(topo.error, cases[i].mention))
      fail_msg("case %zu (%s): rc %d (%s) error '%s'", i, cases[i].file, rc, fixgw_err_name(rc),
               topo.error);
    rm_tree();
  }
  /* No "online" file at all. */
  new_tree();
  assert_int_equal(fixgw_topology_load(&topo, root), FIXGW_ESYS);
  assert_non_null(strstr(topo.error, "online"));
  /* A file too large to be a CPU list. */
  char *huge = malloc(10000);
  assert_non_null(huge);
  memset(huge, '1', 9999);
  huge[9999] = 0;
  mk("online", huge);
  free(huge);
  assert_int_equal(fixgw_topology_load(&topo, root), FIXGW_EFORMAT);
  rm_tree();
  /* A root that does not exist, and one too long for a path. */
  assert_int_equal(fixgw_topology_load(&topo, "/nonexistent/fixgw"), FIXGW_ESYS);
  char longroot[1000];
  memset(longroot, 'a', sizeof longroot - 1);
  longroot[sizeof longroot - 1] = 0;
  assert_int_equal(fixgw_topology_load(&topo, longroot), FIXGW_EINVAL);
  assert_int_equal(fixgw_topology_load(NULL, root), FIXGW_EINVAL);
}

static void test_real_sysfs(void **state) {
  (void)state;
#ifdef __linux__
  int rc = fixgw_topology_load(&topo, NULL);
  if (rc != 0) fail_msg("real sysfs: %s: %s", fixgw_err_name(rc), topo.error);
  assert_int_equal(topo.nonline, (int)sysconf(_SC_NPROCESSORS_ONLN));
  assert_true(topo.ncores >= 1 && topo.ncores <= topo.nonline);
  fixgw_placement_t p;
  assert_int_equal(fixgw_topology_place_io(&topo, &p), 0);
  assert_true(fixgw_cpuset_has(&topo.online, p.io_cpu));
  assert_false(fixgw_cpuset_has(&p.idle, p.io_cpu));
#else
  skip();
#endif
}

const struct CMUnitTest fixgw_t_topology_tests[] = {
    cmocka_unit_test(test_cpuset_parse),       cmocka_unit_test(test_cpuset_format),
    cmocka_unit_test(test_fake_intel_smt),     cmocka_unit_test(test_fake_amd_no_isolated),
    cmocka_unit_test(test_fake_sparse),        cmocka_unit_test(test_fake_malformed),
    cmocka_unit_test(test_real_sysfs),
};
const size_t fixgw_t_topology_ntests = sizeof fixgw_t_topology_tests / sizeof fixgw_t_topology_tests[0];
