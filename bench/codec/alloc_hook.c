/* A gated malloc/free interposer for the benchmarks. Unlike the tests'
 * counter (tests/common/alloc_count.c, an atomic add on every call), it
 * costs one predictable branch while disabled, so QuickFIX, which
 * allocates on every message, is not slowed down by the counting that
 * proves fixgw does not. Defined in the executable, these symbols take the
 * place of libc's for every caller (libstdc++'s operator new included) and
 * forward to glibc's own entry points. Left out of sanitizer builds. */
#define _GNU_SOURCE 1 /* memalign, posix_memalign prototypes */
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench_codec.h"

#ifdef FIXGW_BENCH_NO_ALLOC_HOOK
/* Sanitizer builds: their runtime owns malloc. */
int bench_alloc_available(void) { return 0; }
void bench_alloc_enable(int on) { (void)on; }
uint64_t bench_alloc_calls(void) { return 0; }
#else

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static int enabled;
static uint64_t calls;

int bench_alloc_available(void) { return 1; }
void bench_alloc_enable(int on) { __atomic_store_n(&enabled, on, __ATOMIC_RELAXED); }
uint64_t bench_alloc_calls(void) { return __atomic_load_n(&calls, __ATOMIC_RELAXED); }

static inline void count(void) {
  if (__builtin_expect(__atomic_load_n(&enabled, __ATOMIC_RELAXED), 0))
    __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
  count();
  return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void free(void *p) {
  if (p) count();
  __libc_free(p);
}
void *aligned_alloc(size_t a, size_t n) {
  count();
  return __libc_memalign(a, n);
}
void *memalign(size_t a, size_t n) {
  count();
  return __libc_memalign(a, n);
}
int posix_memalign(void **out, size_t a, size_t n) {
  count();
  void *p = __libc_memalign(a, n);
  if (!p) return 12; /* ENOMEM */
  *out = p;
  return 0;
}
#endif
