/*
 * libfixgw — bounded lock-free pointer rings over Concurrency Kit's ck_ring,
 * and a priority ring set (prio) for the threaded runtime.
 *
 * Three ring kinds, each its own type so a ring cannot be driven with the
 * wrong discipline:
 *   fixgw_ring_spsc_t  one producer thread, one consumer thread (fastest)
 *   fixgw_ring_mpsc_t  any producers, one consumer
 *   fixgw_ring_mpmc_t  any producers, any consumers
 * Entries are pointers (void *); a ring never owns what they point to.
 *
 * Size is a power of two >= 2 given at init; ck_ring keeps one slot empty,
 * so a ring of size n holds n - 1 entries (fixgw_ring_*_capacity says so;
 * ck_ring_capacity() would say n).
 *
 * Prefer one SPSC ring per producer->consumer pair, with the consumer polling
 * several (the prio set below does exactly that). A multi-producer enqueue
 * must wait for earlier producers to publish: ck_ring spins blindly there,
 * so a preempted producer stalls all others (on 2 cores that costs whole
 * scheduler slices). Our MP enqueue reserves with ck_ring and commits with
 * its own wait that pauses, then yields the CPU to the late producer.
 *
 * All enqueue/dequeue functions are inline, never block (except the MP
 * commit wait just described, which lasts as long as a producer that has
 * already reserved its slot takes to copy one pointer) and never allocate.
 * This header includes <ck_ring.h>: ck is libfixgw's required dependency.
 */
#ifndef FIXGW_RING_H
#define FIXGW_RING_H

#include <ck_cc.h>
#include <ck_md.h>
#include <ck_pr.h>
#include <ck_stdbool.h>
#include <ck_string.h>
#include <stdint.h>
#if defined(__cplusplus) && !defined(__clang__)
/* ck_ring.h 0.7.1 returns `false` from a void * function, which g++ rejects
 * as C++; a null pointer is what it means. Only ck_ring.h sees this, its
 * own includes are already in. */
#pragma push_macro("false")
#undef false
#define false 0
#include <ck_ring.h>
#pragma pop_macro("false")
#else
#include <ck_ring.h>
#endif

#include "fixgw/common.h"
#include "fixgw/tsan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* TSan builds: ck's inline-assembly atomics are hidden and the edges they
 * implement declared (fixgw/tsan.h). */

#if defined(__GNUC__) || defined(__clang__)
#define FIXGW__RING_GEN static inline __attribute__((unused))
#else
#define FIXGW__RING_GEN static inline
#endif

/* Common body of the three ring types; fields are private. ck_ring_t keeps
 * c_head and p_tail/p_head on separate cache lines, but c_head shares its
 * line with whatever precedes the ring, and size/mask/buf (read on every
 * operation) with whatever follows it. A line of padding at each end keeps
 * a host's fields out of those lines wherever the ring is embedded: without
 * it a host field written next to the ring made every dequeue miss. */
typedef struct fixgw__ring {
  char pad_front_[CK_MD_CACHELINE];
  ck_ring_t ck;
  ck_ring_buffer_t *buf;
  void *mem; /* allocation made by init, or NULL for caller storage */
  fixgw_allocator_t alloc;
  char pad_back_[CK_MD_CACHELINE];
} fixgw__ring_t;

typedef struct fixgw_ring_spsc { fixgw__ring_t r; } fixgw_ring_spsc_t;
typedef struct fixgw_ring_mpsc { fixgw__ring_t r; } fixgw_ring_mpsc_t;
typedef struct fixgw_ring_mpmc { fixgw__ring_t r; } fixgw_ring_mpmc_t;

/* Bytes of caller storage for a ring of size entries (8 * size); 0 when size
 * is not a power of two >= 2 or above 2^30. */
size_t fixgw_ring_storage_size(uint32_t size);

/*
 * fixgw_ring_<kind>_init(r, size, storage, a): size a power of two in
 * [2, 2^30]. storage: caller memory of fixgw_ring_storage_size(size) bytes,
 * 8-byte aligned, outliving r; or NULL to allocate it through a (NULL =
 * libc). Not thread-safe with respect to r. Returns 0, FIXGW_EINVAL (NULL r,
 * size zero / not a power of two / too big, misaligned storage) or
 * FIXGW_ENOMEM.
 * fixgw_ring_<kind>_destroy(r): frees what init allocated; r must be idle.
 */
int fixgw_ring_spsc_init(fixgw_ring_spsc_t *r, uint32_t size, void *storage,
                         const fixgw_allocator_t *a);
int fixgw_ring_mpsc_init(fixgw_ring_mpsc_t *r, uint32_t size, void *storage,
                         const fixgw_allocator_t *a);
int fixgw_ring_mpmc_init(fixgw_ring_mpmc_t *r, uint32_t size, void *storage,
                         const fixgw_allocator_t *a);
void fixgw_ring_spsc_destroy(fixgw_ring_spsc_t *r);
void fixgw_ring_mpsc_destroy(fixgw_ring_mpsc_t *r);
void fixgw_ring_mpmc_destroy(fixgw_ring_mpmc_t *r);

/* Out-of-line part of the multi-producer commit: wait for earlier producers
 * to publish, pausing then yielding. Not for direct use. */
void fixgw__ring_wait_turn(ck_ring_t *ck, unsigned int ticket);

/* ---- internals shared by the kinds ------------------------------------ */

static inline unsigned int fixgw__ring_enq_batch_sp(fixgw__ring_t *r,
                                                    void *const *items,
                                                    unsigned int n) {
  ck_ring_t *ck = &r->ck;
  const unsigned int mask = ck->mask;
  unsigned int cons = ck_pr_load_uint(&ck->c_head);
  /* Our slot writes must not pass the read of c_head that proved those
   * slots free (the consumer finished reading them before moving c_head). */
  ck_pr_fence_acquire();
  unsigned int prod = ck->p_tail; /* we are its only writer */
  unsigned int room = mask - (prod - cons);
  if (n > room) n = room;
  for (unsigned int i = 0; i < n; i++) r->buf[(prod + i) & mask].value = items[i];
  /* Slot contents before the p_tail store that publishes them. */
  ck_pr_fence_store();
  ck_pr_store_uint(&ck->p_tail, prod + n);
  return n;
}

static inline unsigned int fixgw__ring_deq_batch_sc(fixgw__ring_t *r,
                                                    void **out,
                                                    unsigned int n) {
  ck_ring_t *ck = &r->ck;
  const unsigned int mask = ck->mask;
  unsigned int cons = ck->c_head; /* we are its only writer */
  unsigned int prod = ck_pr_load_uint(&ck->p_tail);
  /* The p_tail we saw before the slot contents it published. */
  ck_pr_fence_acquire();
  unsigned int avail = prod - cons;
  if (n > avail) n = avail;
  for (unsigned int i = 0; i < n; i++) out[i] = r->buf[(cons + i) & mask].value;
  /* Slot reads before the c_head store that lets producers overwrite them. */
  ck_pr_fence_release();
  ck_pr_store_uint(&ck->c_head, cons + n);
  return n;
}

/* Reserve up to n consecutive slots among several producers (the ck_ring
 * reservation, generalised to n); returns the count, *ticket the first. */
static inline unsigned int fixgw__ring_reserve_mp(ck_ring_t *ck, unsigned int n,
                                                  unsigned int *ticket) {
  const unsigned int mask = ck->mask;
  unsigned int prod = ck_pr_load_uint(&ck->p_head);
  for (;;) {
    /* Our p_head snapshot before the c_head it is compared with, so a
     * stale p_head cannot look like free room. */
    ck_pr_fence_load();
    unsigned int cons = ck_pr_load_uint(&ck->c_head);
    if (FIXGW_LIKELY(prod - cons < mask)) {
      unsigned int k = mask - (prod - cons);
      if (k > n) k = n;
      if (ck_pr_cas_uint_value(&ck->p_head, prod, prod + k, &prod)) {
        *ticket = prod;
        return k;
      }
    } else {
      /* Full, or p_head moved under us: full only if it did not move. */
      ck_pr_fence_load();
      unsigned int now = ck_pr_load_uint(&ck->p_head);
      if (now == prod) return 0;
      prod = now;
    }
  }
}

static inline void fixgw__ring_commit_mp(ck_ring_t *ck, unsigned int ticket,
                                         unsigned int n) {
  if (ck_pr_load_uint(&ck->p_tail) != ticket) fixgw__ring_wait_turn(ck, ticket);
  /* Our slot writes before the p_tail store that publishes them; the
   * consumer's fence_load after reading p_tail pairs with this. */
  ck_pr_fence_store();
  ck_pr_store_uint(&ck->p_tail, ticket + n);
}

static inline unsigned int fixgw__ring_enq_batch_mp(fixgw__ring_t *r,
                                                    void *const *items,
                                                    unsigned int n) {
  unsigned int ticket, k;
  if (n == 0) return 0;
  FIXGW__TSAN_RELEASE(r);
  FIXGW__TSAN_BEGIN();
  k = fixgw__ring_reserve_mp(&r->ck, n, &ticket);
  if (k) {
    const unsigned int mask = r->ck.mask;
    for (unsigned int i = 0; i < k; i++) r->buf[(ticket + i) & mask].value = items[i];
    fixgw__ring_commit_mp(&r->ck, ticket, k);
  }
  FIXGW__TSAN_END();
  return k;
}

/* ---- SPSC ------------------------------------------------------------- */

/* Producer thread only. 0, or FIXGW_EFULL (nothing enqueued). */
static inline int fixgw_ring_spsc_enqueue(fixgw_ring_spsc_t *r, void *p) {
  bool ok;
  FIXGW__TSAN_RELEASE(&r->r);
  FIXGW__TSAN_BEGIN();
  ok = ck_ring_enqueue_spsc(&r->r.ck, r->r.buf, p);
  FIXGW__TSAN_END();
  return ok ? 0 : FIXGW_EFULL;
}

/* Consumer thread only. 0 and *out set, or FIXGW_EEMPTY (*out untouched). */
static inline int fixgw_ring_spsc_dequeue(fixgw_ring_spsc_t *r, void **out) {
  bool ok;
  FIXGW__TSAN_BEGIN();
  ok = ck_ring_dequeue_spsc(&r->r.ck, r->r.buf, out);
  FIXGW__TSAN_END();
  if (!ok) return FIXGW_EEMPTY;
  FIXGW__TSAN_ACQUIRE(&r->r);
  return 0;
}

/* Producer only. Enqueues the first k <= n items in order with one publish;
 * returns k (0 when full). */
static inline unsigned int fixgw_ring_spsc_enqueue_batch(fixgw_ring_spsc_t *r,
                                                         void *const *items,
                                                         unsigned int n) {
  unsigned int k;
  FIXGW__TSAN_RELEASE(&r->r);
  FIXGW__TSAN_BEGIN();
  k = fixgw__ring_enq_batch_sp(&r->r, items, n);
  FIXGW__TSAN_END();
  return k;
}

/* Consumer only. Dequeues up to n entries in FIFO order into out; returns
 * how many (0 when empty). */
static inline unsigned int fixgw_ring_spsc_dequeue_batch(fixgw_ring_spsc_t *r,
                                                         void **out,
                                                         unsigned int n) {
  unsigned int k;
  FIXGW__TSAN_BEGIN();
  k = fixgw__ring_deq_batch_sc(&r->r, out, n);
  FIXGW__TSAN_END();
  if (k) FIXGW__TSAN_ACQUIRE(&r->r);
  return k;
}

/* ---- MPSC ------------------------------------------------------------- */

/* Any producer thread. 0, or FIXGW_EFULL. */
static inline int fixgw_ring_mpsc_enqueue(fixgw_ring_mpsc_t *r, void *p) {
  return fixgw__ring_enq_batch_mp(&r->r, &p, 1) ? 0 : FIXGW_EFULL;
}

/* Any producer thread. Enqueues the first k <= n items contiguously (no
 * other producer's entry in between); returns k. */
static inline unsigned int fixgw_ring_mpsc_enqueue_batch(fixgw_ring_mpsc_t *r,
                                                         void *const *items,
                                                         unsigned int n) {
  return fixgw__ring_enq_batch_mp(&r->r, items, n);
}

/* The consumer thread only. 0 and *out, or FIXGW_EEMPTY. */
static inline int fixgw_ring_mpsc_dequeue(fixgw_ring_mpsc_t *r, void **out) {
  bool ok;
  FIXGW__TSAN_BEGIN();
  ok = ck_ring_dequeue_mpsc(&r->r.ck, r->r.buf, out);
  FIXGW__TSAN_END();
  if (!ok) return FIXGW_EEMPTY;
  FIXGW__TSAN_ACQUIRE(&r->r);
  return 0;
}

static inline unsigned int fixgw_ring_mpsc_dequeue_batch(fixgw_ring_mpsc_t *r,
                                                         void **out,
                                                         unsigned int n) {
  unsigned int k;
  FIXGW__TSAN_BEGIN();
  k = fixgw__ring_deq_batch_sc(&r->r, out, n);
  FIXGW__TSAN_END();
  if (k) FIXGW__TSAN_ACQUIRE(&r->r);
  return k;
}

/* ---- MPMC ------------------------------------------------------------- */

static inline int fixgw_ring_mpmc_enqueue(fixgw_ring_mpmc_t *r, void *p) {
  return fixgw__ring_enq_batch_mp(&r->r, &p, 1) ? 0 : FIXGW_EFULL;
}

static inline unsigned int fixgw_ring_mpmc_enqueue_batch(fixgw_ring_mpmc_t *r,
                                                         void *const *items,
                                                         unsigned int n) {
  return fixgw__ring_enq_batch_mp(&r->r, items, n);
}

/* Any consumer thread. 0 and *out, or FIXGW_EEMPTY. Lock-free: retries only
 * when another consumer took the entry it looked at. */
static inline int fixgw_ring_mpmc_dequeue(fixgw_ring_mpmc_t *r, void **out) {
  bool ok;
  FIXGW__TSAN_BEGIN();
  ok = ck_ring_dequeue_mpmc(&r->r.ck, r->r.buf, out);
  FIXGW__TSAN_END();
  if (!ok) return FIXGW_EEMPTY;
  FIXGW__TSAN_ACQUIRE(&r->r);
  return 0;
}

/* Any consumer. Up to n entries, each taken separately (other consumers may
 * interleave); returns how many. */
static inline unsigned int fixgw_ring_mpmc_dequeue_batch(fixgw_ring_mpmc_t *r,
                                                         void **out,
                                                         unsigned int n) {
  unsigned int k = 0;
  while (k < n && fixgw_ring_mpmc_dequeue(r, &out[k]) == 0) k++;
  return k;
}

/* Entries currently in the ring (a racy gauge) and the most it can hold
 * (size - 1). Any thread. */
static inline unsigned int fixgw__ring_count(const fixgw__ring_t *r) {
  return ck_ring_size(&r->ck);
}
#define FIXGW__RING_GAUGES(kind)                                              \
  static inline unsigned int fixgw_ring_##kind##_count(                       \
      const fixgw_ring_##kind##_t *r) {                                       \
    return fixgw__ring_count(&r->r);                                          \
  }                                                                           \
  static inline unsigned int fixgw_ring_##kind##_capacity(                    \
      const fixgw_ring_##kind##_t *r) {                                       \
    return ck_ring_capacity(&r->r.ck) - 1;                                    \
  }
FIXGW__RING_GAUGES(spsc)
FIXGW__RING_GAUGES(mpsc)
FIXGW__RING_GAUGES(mpmc)
#undef FIXGW__RING_GAUGES

/*
 * FIXGW_RING_PROTOTYPE(name, type, kind) — a ring of type * over kind (spsc,
 * mpsc or mpmc), so the compiler checks what goes in and comes out:
 *   fixgw_ring_<name>_t, _init(r, size, storage, a), _destroy(r),
 *   _enqueue(r, type *), _dequeue(r, type **), _count(r), _capacity(r)
 * with the contracts of the kind's functions.
 */
#define FIXGW_RING_PROTOTYPE(name, type, kind)                                  \
  typedef struct fixgw_ring_##name {                                            \
    fixgw_ring_##kind##_t k;                                                    \
  } fixgw_ring_##name##_t;                                                      \
  FIXGW__RING_GEN int fixgw_ring_##name##_init(fixgw_ring_##name##_t *r,          \
                                             uint32_t size, void *storage,      \
                                             const fixgw_allocator_t *a) {      \
    return fixgw_ring_##kind##_init(r ? &r->k : NULL, size, storage, a);        \
  }                                                                             \
  FIXGW__RING_GEN void fixgw_ring_##name##_destroy(fixgw_ring_##name##_t *r) {    \
    fixgw_ring_##kind##_destroy(r ? &r->k : NULL);                              \
  }                                                                             \
  FIXGW__RING_GEN int fixgw_ring_##name##_enqueue(fixgw_ring_##name##_t *r,       \
                                                type *p) {                      \
    return fixgw_ring_##kind##_enqueue(&r->k, (void *)p);                       \
  }                                                                             \
  FIXGW__RING_GEN int fixgw_ring_##name##_dequeue(fixgw_ring_##name##_t *r,       \
                                                type **out) {                   \
    void *v;                                                                    \
    int rc = fixgw_ring_##kind##_dequeue(&r->k, &v);                            \
    if (rc == 0) *out = (type *)v;                                              \
    return rc;                                                                  \
  }                                                                             \
  FIXGW__RING_GEN unsigned int fixgw_ring_##name##_count(                         \
      const fixgw_ring_##name##_t *r) {                                         \
    return fixgw_ring_##kind##_count(&r->k);                                    \
  }                                                                             \
  FIXGW__RING_GEN unsigned int fixgw_ring_##name##_capacity(                      \
      const fixgw_ring_##name##_t *r) {                                         \
    return fixgw_ring_##kind##_capacity(&r->k);                                 \
  }

/* ======================================================================
 * Priority ring set.
 *
 * Four levels, one SPSC ring per (registered producer, level). Producers
 * post (pointer, level); one consumer polls. The consumer serves the most
 * urgent non-empty level (strict priority), except that a lower level that
 * has waited through starve_limit consecutive messages of higher levels is
 * served next. So with a flood of Critical, Low still gets at least one
 * message in every starve_limit + 3 (the levels between also age). FIFO
 * holds per producer and level; across producers of one level the consumer
 * goes round-robin.
 *
 * Which levels are non-empty is a bitmask the consumer reads first; a
 * producer sets its level's bit only when it finds it clear (after a
 * store-load fence), and the consumer clears a bit only after finding every
 * ring of that level empty, then looks once more; so an entry is never left
 * behind a clear bit.
 * ==================================================================== */

typedef enum fixgw_prio {
  FIXGW_PRIO_CRITICAL = 0,
  FIXGW_PRIO_HIGH = 1,
  FIXGW_PRIO_NORMAL = 2,
  FIXGW_PRIO_LOW = 3,
  FIXGW_PRIO_LEVELS = 4
} fixgw_prio_t;

typedef enum fixgw_overflow {
  FIXGW_OVERFLOW_REJECT = 0,  /* full ring: FIXGW_EFULL at once, counted */
  FIXGW_OVERFLOW_BACKOFF = 1  /* full ring: back off up to backoff_ns, then
                                 FIXGW_EFULL, counted */
} fixgw_overflow_t;

typedef struct fixgw_prio_config {
  uint32_t max_producers;                    /* >= 1 */
  uint32_t ring_size[FIXGW_PRIO_LEVELS];     /* per producer; power of 2 >= 2 */
  fixgw_overflow_t overflow[FIXGW_PRIO_LEVELS];
  uint64_t backoff_ns[FIXGW_PRIO_LEVELS];    /* bound for BACKOFF levels */
  uint32_t starve_limit; /* K >= 1; 0 means strict priority, no aging */
} fixgw_prio_config_t;

typedef struct fixgw_prio_level_stats {
  uint64_t posted;    /* accepted by post */
  uint64_t rejected;  /* post returned FIXGW_EFULL */
  uint64_t backoffs;  /* posts that found the ring full and waited */
  uint64_t served;    /* returned by poll */
  uint64_t aged;      /* of served, chosen by starvation prevention */
  uint32_t depth;     /* entries waiting now (gauge, racy) */
} fixgw_prio_level_stats_t;

typedef struct fixgw_prio_set fixgw_prio_set_t;
typedef struct fixgw_prio_producer fixgw_prio_producer_t;

/* Fill cfg with defaults: 8 producers, 1024 entries per ring, REJECT on
 * every level, 100 us backoff bound, starve_limit 32. */
void fixgw_prio_config_default(fixgw_prio_config_t *cfg);

/* Create a set; every ring is allocated here (through a, NULL = libc), so
 * post and poll never allocate. Returns 0, FIXGW_EINVAL (NULL out or cfg,
 * zero producers, a ring size not a power of two in [2, 2^30], unknown
 * overflow policy) or FIXGW_ENOMEM. */
int fixgw_prio_create(fixgw_prio_set_t **out, const fixgw_prio_config_t *cfg,
                      const fixgw_allocator_t *a);
/* Frees the set; no thread may use it any more. NULL ok. */
void fixgw_prio_destroy(fixgw_prio_set_t *s);

/* Claim a producer slot for the calling thread (any thread, lock-free; may
 * run while the consumer polls). The handle stays valid until destroy and
 * must be used by one thread at a time. Returns 0, FIXGW_EINVAL, or
 * FIXGW_EFULL when max_producers are registered. */
int fixgw_prio_register(fixgw_prio_set_t *s, fixgw_prio_producer_t **out);

/* Post msg (non-NULL) at level, from the producer's thread. Returns 0,
 * FIXGW_EINVAL (bad level, NULL), or FIXGW_EFULL per the level's overflow
 * policy (msg not posted; the caller still owns it). */
int fixgw_prio_post(fixgw_prio_producer_t *p, fixgw_prio_t level, void *msg);

/* Take the next message by priority (see above), consumer thread only.
 * Returns 0 with *msg (and *level if non-NULL), or FIXGW_EEMPTY. */
int fixgw_prio_poll(fixgw_prio_set_t *s, void **msg, fixgw_prio_t *level);

/* Up to n messages in the order poll would return them; returns how many.
 * Consumer thread only. levels may be NULL. */
unsigned int fixgw_prio_poll_batch(fixgw_prio_set_t *s, void **msgs,
                                   fixgw_prio_t *levels, unsigned int n);

/* Counters and depth gauge for one level, summed over producers. Any
 * thread; values are individually atomic, not a snapshot. Returns 0 or
 * FIXGW_EINVAL. */
int fixgw_prio_stats(const fixgw_prio_set_t *s, fixgw_prio_t level,
                     fixgw_prio_level_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_RING_H */
