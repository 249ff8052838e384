/* The counting malloc interposer (alloc_count.h). Defining the allocation
 * functions in the executable interposes them for every caller, libc and
 * libstdc++'s operator new included, and forwards to glibc's own entry
 * points. With FIXGW_ALLOC_COUNT_OFF (sanitizer builds, whose runtime must
 * own malloc) it interposes nothing and reports itself unavailable. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc_count.h"

#ifdef FIXGW_ALLOC_COUNT_OFF
int fixgw_alloc_count_available(void) { return 0; }
void fixgw_alloc_count_enable(int on) { (void)on; }
void fixgw_alloc_count_reset(void) {}
uint64_t fixgw_alloc_count_calls(void) { return 0; }
#else

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static int enabled = 1;
static uint64_t calls;

int fixgw_alloc_count_available(void) { return 1; }
void fixgw_alloc_count_enable(int on) { __atomic_store_n(&enabled, on, __ATOMIC_RELAXED); }
void fixgw_alloc_count_reset(void) { __atomic_store_n(&calls, 0, __ATOMIC_RELAXED); }
uint64_t fixgw_alloc_count_calls(void) { return __atomic_load_n(&calls, __ATOMIC_RELAXED); }

static inline void count(void) {
  if (__builtin_expect(__atomic_load_n(&enabled, __ATOMIC_RELAXED), 1))
    __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t n) { count(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
void free(void *p) { if (p) count(); __libc_free(p); }
void *aligned_alloc(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
void *memalign(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
  count();
  void *p = __libc_memalign(a, n);
  if (!p) return 12; /* ENOMEM */
  *out = p;
  return 0;
}
#endif
