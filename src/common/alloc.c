#include <stdlib.h>

#include "internal.h"

void *fixgw__alloc(const fixgw_allocator_t *a, size_t size) {
  if (a && a->alloc) return a->alloc(size, a->user);
  return malloc(size);
}

void fixgw__free(const fixgw_allocator_t *a, void *p) {
  if (!p) return;
  if (a && a->free) {
    a->free(p, a->user);
    return;
  }
  free(p);
}
