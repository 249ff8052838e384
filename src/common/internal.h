/* Helpers shared by library modules; not installed. */
#ifndef FIXGW_INTERNAL_H
#define FIXGW_INTERNAL_H

#include "fixgw/common.h"

void *fixgw__alloc(const fixgw_allocator_t *a, size_t size);
void fixgw__free(const fixgw_allocator_t *a, void *p);

#endif
