/* Helpers the log tests share: a scratch directory per test under one
 * mkdtemp root, and reading a log file back. */
#ifndef FIXGW_TEST_LOG_UTIL_H
#define FIXGW_TEST_LOG_UTIL_H

#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static char g_root[64];
static int g_case;

static inline int lu_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
  (void)sb;
  (void)flag;
  (void)f;
  return remove(p);
}

static inline void lu_rm_rf(const char *p) { nftw(p, lu_rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static inline int lu_setup(void **state) {
  (void)state;
  snprintf(g_root, sizeof g_root, "/tmp/fixgw-log-XXXXXX");
  return mkdtemp(g_root) ? 0 : -1;
}

static inline int lu_teardown(void **state) {
  (void)state;
  lu_rm_rf(g_root);
  return 0;
}

static inline void lu_new_dir(char *out, size_t cap) {
  snprintf(out, cap, "%s/c%d", g_root, g_case++);
}

/* The whole file at dir/name, NUL-terminated, malloc'd; NULL if absent. */
static inline char *lu_read(const char *dir, const char *name, size_t *len) {
  char p[512];
  if (len) *len = 0;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  b[n] = '\0';
  fclose(f);
  if (len) *len = (size_t)n;
  return b;
}

static inline int lu_exists(const char *dir, const char *name) {
  char p[512];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return stat(p, &st) == 0;
}

static inline size_t lu_count(const char *s, const char *needle) {
  size_t n = 0;
  for (const char *q = s; (q = strstr(q, needle)); q += strlen(needle)) n++;
  return n;
}

#endif
