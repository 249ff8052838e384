#define _DEFAULT_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

char *fixgw_guard_copy(fixgw_guard_t *g, const void *src, size_t len) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t body = (len + page - 1) / page * page;
  if (body == 0) body = page;
  g->size = body + page;
  g->base = mmap(NULL, g->size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g->base == MAP_FAILED) {
    fail_msg("mmap failed");
  }
  if (mprotect(g->base + body, page, PROT_NONE) != 0) {
    fail_msg("mprotect failed");
  }
  g->data = g->base + body - len;
  if (len) memcpy(g->data, src, len);
  return g->data;
}

void fixgw_guard_free(fixgw_guard_t *g) {
  if (g->base) munmap(g->base, g->size);
  g->base = NULL;
  g->data = NULL;
}

/* Fallbacks for tests built without the interposer. Weak, because this
 * file is compiled once into fixgw_testlib without FIXGW_TEST_ALLOC_COUNT:
 * a test with ALLOC_COUNT that also uses the guard helpers pulls this
 * object in, and the interposer's strong definitions must win. */
#ifndef FIXGW_TEST_ALLOC_COUNT
__attribute__((weak)) int fixgw_alloc_count_available(void) { return 0; }
__attribute__((weak)) void fixgw_alloc_count_enable(int on) { (void)on; }
__attribute__((weak)) void fixgw_alloc_count_reset(void) {}
__attribute__((weak)) uint64_t fixgw_alloc_count_calls(void) { return 0; }
#endif

const char *fixgw_t_soh(const char *pipe_form, size_t *len) {
  static char ring[16][8192];
  static unsigned next;
  size_t n = strlen(pipe_form);
  char *out = ring[next++ % 16];
  if (n >= sizeof ring[0]) fail_msg("test message too long");
  for (size_t i = 0; i < n; i++) out[i] = pipe_form[i] == '|' ? '\x01' : pipe_form[i];
  out[n] = 0;
  if (len) *len = n;
  return out;
}
