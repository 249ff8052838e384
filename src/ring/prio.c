/*
 * Priority ring set: one SPSC ring per (producer, level), a non-empty
 * bitmask, strict priority with aging, per-level overflow policy.
 */
#define _GNU_SOURCE /* sched_yield, clock_gettime with -std=c11 */
#include <sched.h>
#include <string.h>
#include <time.h>

#include "fixgw/ring.h"
#include "internal.h"

#define LINE 64
#define MAX_PRODUCERS 4096u
#define NLEV FIXGW_PRIO_LEVELS

struct fixgw_prio_producer {
  /* The rings first, 64-aligned: each ck_ring keeps its consumer index and
   * its producer indices on separate lines. */
  _Alignas(LINE) fixgw_ring_spsc_t ring[NLEV];
  fixgw_prio_set_t *set;
  /* Written by this producer only, read by stats() from any thread. */
  uint64_t posted[NLEV];
  uint64_t rejected[NLEV];
  uint64_t backoffs[NLEV];
};

struct fixgw_prio_set {
  /* Non-empty bitmask: producers read it on every post and OR into it on
   * an empty->non-empty edge; the consumer reads it on every poll. */
  _Alignas(LINE) unsigned int mask;
  /* Registered producers; grows only (CAS), read by every poll. */
  _Alignas(LINE) unsigned int nprod;
  /* Consumer-private from here (served/aged also read by stats). */
  _Alignas(LINE) uint32_t streak[NLEV]; /* higher-level serves while waiting */
  uint32_t rr[NLEV];                    /* next producer to try per level */
  uint64_t served[NLEV];
  uint64_t aged[NLEV];
  fixgw_prio_config_t cfg;
  fixgw_prio_producer_t *prod; /* cfg.max_producers of them */
  void *mem;
  fixgw_allocator_t alloc;
};

static int size_ok(uint32_t size) {
  return size >= 2 && size <= ((uint32_t)1 << 30) && (size & (size - 1)) == 0;
}

static size_t up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Counters with one writer and readers on other threads: a plain read by
 * the writer, an atomic (untorn) store. No ordering: they are statistics. */
static void bump(uint64_t *c) { ck_pr_store_64(c, *c + 1); }

void fixgw_prio_config_default(fixgw_prio_config_t *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->max_producers = 8;
  for (int l = 0; l < NLEV; l++) {
    cfg->ring_size[l] = 1024;
    cfg->overflow[l] = FIXGW_OVERFLOW_REJECT;
    cfg->backoff_ns[l] = 100000;
  }
  cfg->starve_limit = 32;
}

int fixgw_prio_create(fixgw_prio_set_t **out, const fixgw_prio_config_t *cfg,
                      const fixgw_allocator_t *a) {
  if (out == NULL) return FIXGW_EINVAL;
  *out = NULL;
  if (cfg == NULL || cfg->max_producers == 0 || cfg->max_producers > MAX_PRODUCERS)
    return FIXGW_EINVAL;
  size_t per_prod_buf = 0;
  for (int l = 0; l < NLEV; l++) {
    if (!size_ok(cfg->ring_size[l])) return FIXGW_EINVAL;
    if (cfg->overflow[l] != FIXGW_OVERFLOW_REJECT && cfg->overflow[l] != FIXGW_OVERFLOW_BACKOFF)
      return FIXGW_EINVAL;
    per_prod_buf += up(fixgw_ring_storage_size(cfg->ring_size[l]), LINE);
  }
  /* One allocation: the set, the producers, every ring buffer. Sizes are
   * bounded (4096 producers x 4 x 8 GiB worst case fits size_t on 64-bit). */
  size_t off_prod = up(sizeof(fixgw_prio_set_t), LINE);
  size_t off_buf = off_prod + up(sizeof(fixgw_prio_producer_t) * cfg->max_producers, LINE);
  size_t total = off_buf + per_prod_buf * cfg->max_producers + LINE;
  void *mem = fixgw__alloc(a, total);
  if (mem == NULL) return FIXGW_ENOMEM;
  char *base = (char *)up((uintptr_t)mem, LINE);
  fixgw_prio_set_t *s = (fixgw_prio_set_t *)(void *)base;
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  s->mem = mem;
  if (a) s->alloc = *a;
  s->prod = (fixgw_prio_producer_t *)(void *)(base + off_prod);
  char *buf = base + off_buf;
  for (uint32_t i = 0; i < cfg->max_producers; i++) {
    fixgw_prio_producer_t *p = &s->prod[i];
    memset(p, 0, sizeof *p);
    p->set = s;
    for (int l = 0; l < NLEV; l++) {
      /* Cannot fail: sizes validated, storage aligned. */
      (void)fixgw_ring_spsc_init(&p->ring[l], cfg->ring_size[l], buf, NULL);
      buf += up(fixgw_ring_storage_size(cfg->ring_size[l]), LINE);
    }
  }
  *out = s;
  return 0;
}

void fixgw_prio_destroy(fixgw_prio_set_t *s) {
  if (s == NULL) return;
  fixgw_allocator_t a = s->alloc;
  fixgw__free(&a, s->mem);
}

int fixgw_prio_register(fixgw_prio_set_t *s, fixgw_prio_producer_t **out) {
  if (s == NULL || out == NULL) return FIXGW_EINVAL;
  unsigned int n = ck_pr_load_uint(&s->nprod);
  do {
    if (n >= s->cfg.max_producers) return FIXGW_EFULL;
    /* The CAS also orders: this producer's later posts come after the
     * consumer can see it counted (the consumer reads nprod after mask). */
  } while (!ck_pr_cas_uint_value(&s->nprod, n, n + 1, &n));
  *out = &s->prod[n];
  return 0;
}

/* Full ring under the BACKOFF policy: retry with exponentially growing
 * pauses, then yields, until backoff_ns has passed. */
static int post_backoff(fixgw_prio_producer_t *p, fixgw_prio_t level, void *msg) {
  uint64_t limit = p->set->cfg.backoff_ns[level];
  uint64_t start = now_ns();
  unsigned int delay = 1;
  bump(&p->backoffs[level]);
  for (;;) {
    if (delay <= 1024) {
      for (unsigned int i = 0; i < delay; i++) ck_pr_stall();
      delay <<= 1;
    } else {
      sched_yield();
    }
    if (fixgw_ring_spsc_enqueue(&p->ring[level], msg) == 0) return 0;
    if (now_ns() - start >= limit) return FIXGW_EFULL;
  }
}

int fixgw_prio_post(fixgw_prio_producer_t *p, fixgw_prio_t level, void *msg) {
  if (p == NULL || msg == NULL || (unsigned int)level >= NLEV) return FIXGW_EINVAL;
  fixgw_prio_set_t *s = p->set;
  if (FIXGW_UNLIKELY(fixgw_ring_spsc_enqueue(&p->ring[level], msg) != 0)) {
    if (s->cfg.overflow[level] != FIXGW_OVERFLOW_BACKOFF ||
        post_backoff(p, level, msg) != 0) {
      bump(&p->rejected[level]);
      return FIXGW_EFULL;
    }
  }
  bump(&p->posted[level]);
  unsigned int bit = 1u << level;
  /* Our enqueue (the p_tail store) before our read of mask. Pairs with the
   * consumer's clear-then-recheck in take_or_clear(): either it sees our
   * entry on its recheck or we see its clear here and set the bit again. */
  ck_pr_fence_store_load();
  if (!(ck_pr_load_uint(&s->mask) & bit)) ck_pr_or_uint(&s->mask, bit);
  return 0;
}

/* One entry of level lv, round-robin over producers; 1 if found. */
static int take(fixgw_prio_set_t *s, unsigned int lv, unsigned int nprod, void **msg) {
  unsigned int j = s->rr[lv];
  if (j >= nprod) j = 0;
  for (unsigned int i = 0; i < nprod; i++) {
    if (fixgw_ring_spsc_dequeue(&s->prod[j].ring[lv], msg) == 0) {
      s->rr[lv] = j + 1 < nprod ? j + 1 : 0;
      return 1;
    }
    if (++j == nprod) j = 0;
  }
  return 0;
}

static int take_or_clear(fixgw_prio_set_t *s, unsigned int lv, unsigned int nprod,
                         void **msg) {
  if (take(s, lv, nprod, msg)) return 1;
  unsigned int bit = 1u << lv;
  ck_pr_and_uint(&s->mask, ~bit);
  /* Our clear before the re-read of the rings' p_tail; pairs with the
   * producer's store-load fence between its enqueue and its mask read. */
  ck_pr_fence_atomic_load();
  if (take(s, lv, nprod, msg)) {
    ck_pr_or_uint(&s->mask, bit);
    return 1;
  }
  s->streak[lv] = 0;
  return 0;
}

int fixgw_prio_poll(fixgw_prio_set_t *s, void **msg, fixgw_prio_t *level) {
  if (s == NULL || msg == NULL) return FIXGW_EINVAL;
  unsigned int m = ck_pr_load_uint(&s->mask);
  /* The mask before nprod and the rings: a producer registered before it
   * set a bit, so a set bit implies we count that producer. */
  ck_pr_fence_load();
  unsigned int nprod = ck_pr_load_uint(&s->nprod);
  const uint32_t k = s->cfg.starve_limit;
  while (m) {
    unsigned int lv = (unsigned int)__builtin_ctz(m);
    int aged = 0;
    if (k) {
      /* The most urgent lower level that has waited through k serves. */
      for (unsigned int l = lv + 1; l < NLEV; l++) {
        if ((m >> l & 1u) && s->streak[l] >= k) {
          lv = l;
          aged = 1;
          break;
        }
      }
    }
    if (take_or_clear(s, lv, nprod, msg)) {
      bump(&s->served[lv]);
      if (aged) bump(&s->aged[lv]);
      s->streak[lv] = 0;
      for (unsigned int l = lv + 1; l < NLEV; l++)
        if (m >> l & 1u) s->streak[l]++;
      if (level) *level = (fixgw_prio_t)lv;
      return 0;
    }
    m &= ~(1u << lv);
  }
  return FIXGW_EEMPTY;
}

unsigned int fixgw_prio_poll_batch(fixgw_prio_set_t *s, void **msgs,
                                   fixgw_prio_t *levels, unsigned int n) {
  unsigned int i = 0;
  if (s == NULL || msgs == NULL) return 0;
  while (i < n && fixgw_prio_poll(s, &msgs[i], levels ? &levels[i] : NULL) == 0) i++;
  return i;
}

int fixgw_prio_stats(const fixgw_prio_set_t *s, fixgw_prio_t level,
                     fixgw_prio_level_stats_t *out) {
  if (s == NULL || out == NULL || (unsigned int)level >= NLEV) return FIXGW_EINVAL;
  memset(out, 0, sizeof *out);
  unsigned int n = ck_pr_load_uint((unsigned int *)&s->nprod);
  for (unsigned int i = 0; i < n; i++) {
    const fixgw_prio_producer_t *p = &s->prod[i];
    out->posted += ck_pr_load_64((uint64_t *)&p->posted[level]);
    out->rejected += ck_pr_load_64((uint64_t *)&p->rejected[level]);
    out->backoffs += ck_pr_load_64((uint64_t *)&p->backoffs[level]);
    out->depth += fixgw_ring_spsc_count(&p->ring[level]);
  }
  out->served = ck_pr_load_64((uint64_t *)&s->served[level]);
  out->aged = ck_pr_load_64((uint64_t *)&s->aged[level]);
  return 0;
}
