/* Allocation counting through a malloc/free interposer
 * (tests/common/alloc_count.c), shared by the tests and the benchmarks. It
 * counts every allocation call in the process while enabled (the default);
 * disabled, a call costs one predictable branch, so code measured beside
 * it (QuickFIX in the benchmarks) is not slowed. Where it is not linked or
 * cannot be (sanitizer builds own malloc), available() is 0 and calls()
 * stays 0. */
#ifndef FIXGW_TEST_ALLOC_COUNT_H
#define FIXGW_TEST_ALLOC_COUNT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int fixgw_alloc_count_available(void);
void fixgw_alloc_count_enable(int on);
void fixgw_alloc_count_reset(void);
uint64_t fixgw_alloc_count_calls(void); /* malloc+calloc+realloc+free+... */

#ifdef __cplusplus
}
#endif
#endif
