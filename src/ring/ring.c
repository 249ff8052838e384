/* Ring init/teardown and the multi-producer commit wait. */
#define _GNU_SOURCE /* sched_yield with -std=c11 */
#include "fixgw/ring.h"

#include <sched.h>
#include <string.h>

#include "internal.h"

#define RING_MAX_SIZE ((uint32_t)1 << 30)

static int size_ok(uint32_t size) {
  return size >= 2 && size <= RING_MAX_SIZE && (size & (size - 1)) == 0;
}

size_t fixgw_ring_storage_size(uint32_t size) {
  return size_ok(size) ? (size_t)size * sizeof(ck_ring_buffer_t) : 0;
}

static int ring_init(fixgw__ring_t *r, uint32_t size, void *storage,
                     const fixgw_allocator_t *a) {
  if (r == NULL || !size_ok(size)) return FIXGW_EINVAL;
  if (storage && ((uintptr_t)storage % sizeof(void *)) != 0) return FIXGW_EINVAL;
  memset(r, 0, sizeof *r);
  if (storage == NULL) {
    storage = fixgw__alloc(a, fixgw_ring_storage_size(size));
    if (storage == NULL) return FIXGW_ENOMEM;
    r->mem = storage;
    if (a) r->alloc = *a;
  }
  r->buf = (ck_ring_buffer_t *)storage;
  ck_ring_init(&r->ck, size);
  return 0;
}

static void ring_destroy(fixgw__ring_t *r) {
  if (r == NULL) return;
  if (r->mem) fixgw__free(&r->alloc, r->mem);
  memset(r, 0, sizeof *r);
}

int fixgw_ring_spsc_init(fixgw_ring_spsc_t *r, uint32_t size, void *storage,
                         const fixgw_allocator_t *a) {
  return ring_init(r ? &r->r : NULL, size, storage, a);
}
int fixgw_ring_mpsc_init(fixgw_ring_mpsc_t *r, uint32_t size, void *storage,
                         const fixgw_allocator_t *a) {
  return ring_init(r ? &r->r : NULL, size, storage, a);
}
int fixgw_ring_mpmc_init(fixgw_ring_mpmc_t *r, uint32_t size, void *storage,
                         const fixgw_allocator_t *a) {
  return ring_init(r ? &r->r : NULL, size, storage, a);
}
void fixgw_ring_spsc_destroy(fixgw_ring_spsc_t *r) { ring_destroy(r ? &r->r : NULL); }
void fixgw_ring_mpsc_destroy(fixgw_ring_mpsc_t *r) { ring_destroy(r ? &r->r : NULL); }
void fixgw_ring_mpmc_destroy(fixgw_ring_mpmc_t *r) { ring_destroy(r ? &r->r : NULL); }

/* An earlier producer reserved its slot but has not published yet. If it
 * is running it publishes within nanoseconds, so pause a little; if it was
 * preempted (likely when producers outnumber cores) only giving it our CPU
 * lets it finish, so yield. */
#define SPIN_BEFORE_YIELD 64

void fixgw__ring_wait_turn(ck_ring_t *ck, unsigned int ticket) {
  unsigned int spins = 0;
  while (ck_pr_load_uint(&ck->p_tail) != ticket) {
    if (spins < SPIN_BEFORE_YIELD) {
      spins++;
      ck_pr_stall();
    } else {
      sched_yield();
    }
  }
}
