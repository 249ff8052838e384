/* Shared test helpers: cmocka includes, guard-page buffers, allocation
 * counting, small file helpers. */
#ifndef FIXGW_TEST_HARNESS_H
#define FIXGW_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four includes above first. */
#include <cmocka.h>

/* A buffer whose last byte sits right before a PROT_NONE page, so any read
 * past the end faults at once (the picohttpparser test idea). */
typedef struct fixgw_guard {
  char *base;  /* mapping start */
  size_t size; /* mapping size */
  char *data;  /* the copied bytes end exactly at the guard page */
} fixgw_guard_t;

/* Copy len bytes into a fresh guarded mapping; aborts the test on failure. */
char *fixgw_guard_copy(fixgw_guard_t *g, const void *src, size_t len);
void fixgw_guard_free(fixgw_guard_t *g);

/* Allocation counting: see alloc_count.h (tests built with ALLOC_COUNT,
 * outside sanitizer builds). */
#include "alloc_count.h"

/* Replace every '|' by SOH in a copy held in a static ring of buffers
 * (tests write messages readably). Returned buffer valid for 16 calls. */
const char *fixgw_t_soh(const char *pipe_form, size_t *len);

#endif
