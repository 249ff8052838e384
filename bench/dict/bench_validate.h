/* Shared between bench_validate.c (fixgw) and bench_validate_qf.cc
 * (QuickFIX): the messages both sides work on. */
#ifndef FIXGW_BENCH_VALIDATE_H
#define FIXGW_BENCH_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "alloc_count.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { BV_NOS = 0, BV_ER = 1, BV_MD = 2, BV_KIND_COUNT = 3 };
extern char bv_msgs[BV_KIND_COUNT][4096];
extern size_t bv_lens[BV_KIND_COUNT];

/* Generate the messages; 0 or -1. */
int bv_make_messages(void);
/* Register the fixgw benchmarks with the shim. */
void bv_register_c(void);


#ifdef __cplusplus
}
#endif
#endif
