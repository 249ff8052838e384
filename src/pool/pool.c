/*
 * Pool slow paths: init, reclaim of remote frees, remote put, checked puts.
 * The fast paths (owner get/put on the private list) are inline in pool.h.
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS, MAP_HUGETLB, MADV_HUGEPAGE */
#include "fixgw/pool.h"

#include <ck_pr.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#if !defined(CK_F_PR_CAS_PTR_2_VALUE)
#error "fixgw pool needs a double-width CAS (ck_pr_cas_ptr_2_value)"
#endif

/* TSan: the lock-free sections hide their accesses and declare the edge
 * they implement, remote put -> owner reclaim (fixgw/tsan.h). */
#include "fixgw/tsan.h"

#if !defined(NDEBUG) || (defined(FIXGW_POOL_DEBUG) && FIXGW_POOL_DEBUG)
#define POOL_CHECKS_FORCED 1
#else
#define POOL_CHECKS_FORCED 0
#endif

#define HDR ((size_t)sizeof(fixgw__pool_hdr_t))
#define HUGE_2M ((size_t)2 << 20)

enum { REGION_NONE, REGION_ALLOC, REGION_MMAP };

typedef struct {
  fixgw__pool_hdr_t *head;
  uint64_t pushes;
} ret_word;

static int pow2(size_t x) { return x && !(x & (x - 1)); }

static size_t round_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

/* Slot geometry: the object sits at obj_off (aligned), its header just
 * before it; slots are stride apart and stride keeps the alignment. */
static int layout(size_t obj_size, size_t obj_align, uint32_t capacity,
                  size_t *align, size_t *obj_off, size_t *stride, size_t *total) {
  if (obj_size == 0 || capacity == 0 || !pow2(obj_align) || obj_align > 4096)
    return FIXGW_EINVAL;
  size_t a = obj_align < HDR ? HDR : obj_align;
  if (obj_size > SIZE_MAX / 2) return FIXGW_EINVAL;
  size_t off = round_up(HDR, a);
  size_t st = round_up(off + obj_size, a);
  if (st > SIZE_MAX / capacity) return FIXGW_EINVAL;
  *align = a;
  *obj_off = off;
  *stride = st;
  *total = st * capacity;
  return 0;
}

size_t fixgw_pool_storage_size(size_t obj_size, size_t obj_align, uint32_t capacity) {
  size_t a, off, st, total;
  if (layout(obj_size, obj_align, capacity, &a, &off, &st, &total) != 0) return 0;
  return total;
}

static void setup(fixgw_pool_t *p, char *base, size_t obj_size, size_t obj_off,
                  size_t stride, uint32_t capacity, unsigned flags) {
  memset(p, 0, sizeof *p);
  p->base = base;
  p->obj_off = obj_off;
  p->stride = stride;
  p->obj_size = obj_size;
  p->capacity = capacity;
  p->checks = (flags & FIXGW_POOL_F_CHECK) || POOL_CHECKS_FORCED;
  /* Thread the free list from the last slot down, so gets hand out slots
   * in address order (friendlier to the prefetcher on a fresh pool). */
  fixgw__pool_hdr_t *head = NULL;
  for (uint32_t i = capacity; i-- > 0;) {
    fixgw__pool_hdr_t *h = (fixgw__pool_hdr_t *)(void *)(base + (size_t)i * stride + obj_off - HDR);
    h->next = head;
    h->tag = FIXGW__POOL_FREE;
    head = h;
  }
  p->head = head;
  p->nfree = capacity;
  p->ret.head = NULL;
  p->ret.pushes = 0;
}

#define KNOWN_FLAGS (FIXGW_POOL_F_CHECK | FIXGW_POOL_F_HUGEPAGE | FIXGW_POOL_F_MLOCK)

int fixgw_pool_init(fixgw_pool_t *p, size_t obj_size, size_t obj_align,
                    uint32_t capacity, void *storage, size_t storage_size,
                    unsigned flags) {
  size_t a, off, st, total;
  if (p == NULL || storage == NULL || (flags & ~KNOWN_FLAGS)) return FIXGW_EINVAL;
  int rc = layout(obj_size, obj_align, capacity, &a, &off, &st, &total);
  if (rc) return rc;
  if ((uintptr_t)storage & (a - 1)) return FIXGW_EINVAL;
  if (storage_size < total) return FIXGW_ENOSPC;
  setup(p, (char *)storage, obj_size, off, st, capacity, flags);
  return 0;
}

int fixgw_pool_init_alloc(fixgw_pool_t *p, size_t obj_size, size_t obj_align,
                          uint32_t capacity, unsigned flags,
                          const fixgw_allocator_t *al) {
  size_t a, off, st, total;
  if (p == NULL || (flags & ~KNOWN_FLAGS)) return FIXGW_EINVAL;
  int rc = layout(obj_size, obj_align, capacity, &a, &off, &st, &total);
  if (rc) return rc;
  int custom = al && (al->alloc || al->free);
  void *region = NULL;
  size_t region_size = 0;
  unsigned backing = 0;
  int kind = REGION_NONE;
  char *base = NULL;

  if ((flags & FIXGW_POOL_F_HUGEPAGE) && !custom) {
    size_t sz = round_up(total, HUGE_2M);
    void *m = mmap(NULL, sz, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (m != MAP_FAILED) {
      backing |= FIXGW_POOL_B_HUGETLB;
    } else {
      /* No reserved huge pages (the usual case): ask for transparent ones. */
      m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) return FIXGW_ENOMEM;
#ifdef MADV_HUGEPAGE
      if (madvise(m, sz, MADV_HUGEPAGE) == 0) backing |= FIXGW_POOL_B_THP;
#endif
    }
    backing |= FIXGW_POOL_B_MMAP;
    region = m;
    region_size = sz;
    kind = REGION_MMAP;
    base = (char *)m; /* page aligned, a <= 4096 */
  } else {
    if (total > SIZE_MAX - a) return FIXGW_EINVAL;
    region_size = total + a; /* the allocator promises no alignment */
    region = fixgw__alloc(al, region_size);
    if (region == NULL) return FIXGW_ENOMEM;
    kind = REGION_ALLOC;
    base = (char *)(((uintptr_t)region + a - 1) & ~(uintptr_t)(a - 1));
  }
  /* Touch every page now so no get ever takes a page fault. */
  memset(region, 0, region_size);
  if (flags & FIXGW_POOL_F_MLOCK) {
    if (mlock(region, region_size) == 0) backing |= FIXGW_POOL_B_LOCKED;
  }
  setup(p, base, obj_size, off, st, capacity, flags);
  p->region = region;
  p->region_size = region_size;
  p->region_kind = (uint32_t)kind;
  p->backing = backing;
  if (al) p->alloc = *al;
  return 0;
}

void fixgw_pool_destroy(fixgw_pool_t *p) {
  if (p == NULL) return;
  if (p->region) {
    if (p->backing & FIXGW_POOL_B_LOCKED) munlock(p->region, p->region_size);
    if (p->region_kind == REGION_MMAP)
      munmap(p->region, p->region_size);
    else
      fixgw__free(&p->alloc, p->region);
  }
  memset(p, 0, sizeof *p);
}

unsigned fixgw_pool_backing(const fixgw_pool_t *p) { return p ? p->backing : 0; }

int fixgw_pool_owns(const fixgw_pool_t *p, const void *obj) {
  if (p == NULL || obj == NULL || p->stride == 0) return 0;
  uintptr_t lo = (uintptr_t)p->base + p->obj_off;
  uintptr_t o = (uintptr_t)obj;
  if (o < lo) return 0;
  uintptr_t d = o - lo;
  if (d / p->stride >= p->capacity) return 0;
  return d % p->stride == 0;
}

static uint64_t load_pushes(const fixgw_pool_t *p) {
  /* A single aligned word: the counter can only grow; no ordering needed
   * for a statistic. */
  return ck_pr_load_64((uint64_t *)&p->ret.pushes);
}

void fixgw_pool_stats(const fixgw_pool_t *p, fixgw_pool_stats_t *out) {
  if (out == NULL) return;
  memset(out, 0, sizeof *out);
  if (p == NULL) return;
  /* Owner-written words, read with relaxed loads (see FIXGW__POOL_LD):
   * each is untorn; together they are not a snapshot. reclaimed is read
   * before pushes so that pending (pushes - reclaimed) never wraps below 0
   * (both only grow, reclaimed never passes pushes). */
  uint64_t reclaimed = FIXGW__POOL_LD(p->reclaimed);
  uint32_t pending = (uint32_t)(load_pushes(p) - reclaimed);
  uint32_t nfree = FIXGW__POOL_LD(p->nfree);
  uint32_t used = p->capacity - nfree;
  out->capacity = p->capacity;
  out->pending_remote = pending;
  out->in_use = used > pending ? used - pending : 0;
  out->high_water = FIXGW__POOL_LD(p->hwm);
  out->failed_gets = FIXGW__POOL_LD(p->failed);
  out->bad_puts = FIXGW__POOL_LD(p->bad_puts) +
                  ck_pr_load_64((uint64_t *)&p->remote_bad_puts);
}

void *fixgw__pool_get_slow(fixgw_pool_t *p) {
  /* Cheap emptiness test first: an exhausted single-thread pool must not
   * pay a locked instruction per failed get. */
  if (ck_pr_load_ptr(&p->ret.head) != NULL) {
    ret_word cur, upd;
    cur.pushes = ck_pr_load_64(&p->ret.pushes);
    cur.head = (fixgw__pool_hdr_t *)ck_pr_load_ptr(&p->ret.head);
    /* Detach the whole stack, keeping the push count: a failed CAS reloads
     * cur with the current pair, so the snapshot need not be consistent. */
    FIXGW__TSAN_BEGIN();
    do {
      upd.head = NULL;
      upd.pushes = cur.pushes;
    } while (!ck_pr_cas_ptr_2_value(&p->ret, &cur, &upd, &cur));
    FIXGW__TSAN_END();
    /* Orders the detaching CAS before our reads of the nodes' next links
     * and of the objects, which remote threads wrote before their push. */
    ck_pr_fence_acquire();
    FIXGW__TSAN_ACQUIRE(&p->ret);
    if (cur.head != NULL) {
      p->head = cur.head;
      FIXGW__POOL_ST(p->nfree, FIXGW__POOL_LD(p->nfree) +
                                   (uint32_t)(cur.pushes - p->reclaimed));
      FIXGW__POOL_ST(p->reclaimed, cur.pushes);
      return fixgw_pool_get(p);
    }
  }
  FIXGW__POOL_ST(p->failed, FIXGW__POOL_LD(p->failed) + 1);
  return NULL;
}

static fixgw__pool_hdr_t *hdr_of(void *obj) {
  return (fixgw__pool_hdr_t *)(void *)((char *)obj - HDR);
}

/* Validates obj and flips its tag LIVE -> FREE atomically, so that even
 * two threads freeing the same object at once are told apart. */
static int check_put(fixgw_pool_t *p, void *obj) {
  if (!fixgw_pool_owns(p, obj)) return FIXGW_EFOREIGN;
  fixgw__pool_hdr_t *h = hdr_of(obj);
  if (!ck_pr_cas_ptr(&h->tag, (void *)FIXGW__POOL_LIVE, (void *)FIXGW__POOL_FREE))
    return FIXGW_EDOUBLEFREE;
  return 0;
}

int fixgw__pool_put_checked(fixgw_pool_t *p, void *obj) {
  int rc = check_put(p, obj);
  if (rc) {
    FIXGW__POOL_ST(p->bad_puts, FIXGW__POOL_LD(p->bad_puts) + 1);
    return rc;
  }
  fixgw__pool_hdr_t *h = hdr_of(obj);
  h->next = p->head;
  p->head = h;
  FIXGW__POOL_ST(p->nfree, FIXGW__POOL_LD(p->nfree) + 1);
  return 0;
}

int fixgw_pool_put_remote(fixgw_pool_t *p, void *obj) {
  if (FIXGW_UNLIKELY(p->checks)) {
    int rc = check_put(p, obj);
    if (rc) {
      ck_pr_inc_64(&p->remote_bad_puts);
      return rc;
    }
  }
  fixgw__pool_hdr_t *h = hdr_of(obj);
  ret_word cur, upd;
  FIXGW__TSAN_RELEASE(&p->ret);
  /* Orders every access the caller made to the object before the CAS that
   * hands it to the owner, who may reuse it at once. */
  ck_pr_fence_release();
  FIXGW__TSAN_BEGIN();
  cur.pushes = ck_pr_load_64(&p->ret.pushes);
  cur.head = (fixgw__pool_hdr_t *)ck_pr_load_ptr(&p->ret.head);
  for (;;) {
    ck_pr_store_ptr(&h->next, cur.head);
    upd.head = h;
    upd.pushes = cur.pushes + 1;
    /* Orders the next link before the CAS that publishes the node. */
    ck_pr_fence_store_atomic();
    if (ck_pr_cas_ptr_2_value(&p->ret, &cur, &upd, &cur)) break;
    ck_pr_stall();
  }
  FIXGW__TSAN_END();
  return 0;
}
