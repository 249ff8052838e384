/*
 * Runtime life cycle, producer registration, post and stats. The sender
 * thread and stop live in send.c.
 */
#include <string.h>

#include "internal.h"
#include "rt_internal.h"

#define DEFAULT_BATCH 64u

static size_t up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

void fixgw_rt_config_default(fixgw_rt_config_t *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  fixgw_prio_config_default(&cfg->prio);
  cfg->thread_name = NULL;
  cfg->cpu = -1;
  cfg->rt_priority = 0;
  cfg->wait.kind = FIXGW_WAIT_BLOCK;
  cfg->batch = DEFAULT_BATCH;
  cfg->clock = NULL;
}

int fixgw_rt_create(fixgw_rt_t **out, const fixgw_rt_config_t *cfg,
                    const fixgw_allocator_t *a) {
  if (out == NULL) return FIXGW_EINVAL;
  *out = NULL;
  if (cfg == NULL || cfg->write_cb == NULL || cfg->batch > FIXGW__RT_BATCH_MAX)
    return FIXGW_EINVAL;
  if (cfg->wait.kind != FIXGW_WAIT_BLOCK && cfg->wait.kind != FIXGW_WAIT_SPIN_YIELD &&
      cfg->wait.kind != FIXGW_WAIT_SPIN)
    return FIXGW_EINVAL;
  if (cfg->cpu >= FIXGW_CPU_MAX) return FIXGW_EINVAL;
  uint32_t np = cfg->prio.max_producers;
  if (np == 0) return FIXGW_EINVAL;

  /* One allocation: the runtime, its producer slots, its histograms. */
  size_t off_prod = up(sizeof(fixgw_rt_t), FIXGW__RT_LINE);
  size_t off_hist = off_prod + up(sizeof(fixgw_rt_producer_t) * (size_t)np, FIXGW__RT_LINE);
  size_t total = off_hist + sizeof(fixgw_hist_t) * FIXGW__RT_NLEV + FIXGW__RT_LINE;
  void *mem = fixgw__alloc(a, total);
  if (mem == NULL) return FIXGW_ENOMEM;
  char *base = (char *)up((uintptr_t)mem, FIXGW__RT_LINE);
  fixgw_rt_t *rt = (fixgw_rt_t *)(void *)base;
  memset(rt, 0, sizeof *rt);
  rt->mem = mem;
  if (a) rt->alloc = *a;
  int rc = fixgw_prio_create(&rt->set, &cfg->prio, a);
  if (rc != 0) {
    fixgw__free(a, mem);
    return rc;
  }
  rt->cfg = *cfg;
  if (rt->cfg.batch == 0) rt->cfg.batch = DEFAULT_BATCH;
  /* The name is copied: the caller's string need not outlive create. */
  const char *name = cfg->thread_name ? cfg->thread_name : "fixgw-send";
  size_t n = strlen(name);
  if (n > sizeof rt->name - 1) n = sizeof rt->name - 1;
  memcpy(rt->name, name, n);
  rt->name[n] = 0;
  rt->cfg.thread_name = rt->name;
  rt->cfg.clock = NULL;
  fixgw_cpuset_zero(&rt->cpus);
  if (cfg->cpu >= 0) (void)fixgw_cpuset_add(&rt->cpus, cfg->cpu);
  if (cfg->clock)
    rt->clock = *cfg->clock;
  else
    (void)fixgw_clock_init(&rt->clock, 0); /* FIXGW_ENOTSUP: mono fallback */
  rt->wake = cfg->wait.kind == FIXGW_WAIT_BLOCK;
  rt->max_prod = np;
  rt->prod = (fixgw_rt_producer_t *)(void *)(base + off_prod);
  memset(rt->prod, 0, sizeof(fixgw_rt_producer_t) * (size_t)np);
  rt->hist = (fixgw_hist_t *)(void *)(base + off_hist);
  for (unsigned l = 0; l < FIXGW__RT_NLEV; l++) fixgw_hist_reset(&rt->hist[l]);
  rt->state = FIXGW__RT_CREATED;
  *out = rt;
  return 0;
}

void fixgw_rt_destroy(fixgw_rt_t *rt) {
  if (rt == NULL) return;
  if (rt->state != FIXGW__RT_STOPPED) (void)fixgw_rt_stop(rt);
  fixgw_prio_destroy(rt->set);
  fixgw_allocator_t a = rt->alloc;
  fixgw__free(&a, rt->mem);
}

int fixgw_rt_register(fixgw_rt_t *rt, fixgw_rt_producer_t **out) {
  if (rt == NULL || out == NULL) return FIXGW_EINVAL;
  /* Claim a slot first, then a ring producer: both have max_prod entries,
   * so a claimed slot always finds a ring producer. */
  uint32_t n = __atomic_load_n(&rt->nprod, __ATOMIC_RELAXED);
  do {
    if (n >= rt->max_prod) return FIXGW_EFULL;
    /* Relaxed: the slot's fields are published to the stopper by the
     * stopper's own synchronisation with this thread's later posts (the
     * release store that ends each post), not by this counter. */
  } while (!__atomic_compare_exchange_n(&rt->nprod, &n, n + 1, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED));
  fixgw_rt_producer_t *p = &rt->prod[n];
  int rc = fixgw_prio_register(rt->set, &p->prod);
  if (rc != 0) return rc; /* cannot happen: same bound as nprod */
  p->rt = rt;
  *out = p;
  return 0;
}

int fixgw_rt_post(fixgw_rt_producer_t *p, fixgw_prio_t level, fixgw_msgbuf_t *m) {
  if (FIXGW_UNLIKELY(p == NULL || m == NULL || (unsigned)level >= FIXGW__RT_NLEV ||
                     m->len > m->cap || m->pool == NULL))
    return FIXGW_EINVAL;
  fixgw_rt_t *rt = p->rt;
  /* Announce the post, then look at closed. Dekker with fixgw_rt_stop,
   * which stores closed = 1, fences, then reads every producer's active:
   * the full fence here orders our active = 1 before our load of closed, so
   * either we see closed (and back out) or the stopper sees us active (and
   * waits for our release store below, so the entry we publish is seen by
   * the sender's final drain). */
  __atomic_store_n(&p->active, 1, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (FIXGW_UNLIKELY(__atomic_load_n(&rt->closed, __ATOMIC_RELAXED))) {
    __atomic_store_n(&p->active, 0, __ATOMIC_RELAXED);
    return FIXGW_ESTOPPED;
  }
  m->priority = (uint8_t)level;
  m->enqueue_ns = fixgw_clock_now_ns(&rt->clock);
  /* The ring publishes m's contents to the sender (its enqueue orders the
   * slot and everything before it ahead of the tail store). */
  int rc = fixgw_prio_post(p->prod, level, m);
  /* Wake a sleeping sender (BLOCK). Before clearing active, so that once
   * stop has seen every producer inactive no post touches rt again. */
  if (rc == 0 && rt->wake) fixgw_thread_wake(&rt->thr);
  /* Release: our enqueue (and the wake) before the store that lets a
   * waiting stopper proceed to stop the sender; its acquire load pairs. */
  __atomic_store_n(&p->active, 0, __ATOMIC_RELEASE);
  return rc;
}

int fixgw_rt_stats(const fixgw_rt_t *rt, fixgw_prio_t level, fixgw_rt_level_stats_t *out) {
  if (rt == NULL || out == NULL || (unsigned)level >= FIXGW__RT_NLEV) return FIXGW_EINVAL;
  memset(out, 0, sizeof *out);
  fixgw_prio_level_stats_t ps;
  if (fixgw_prio_stats(rt->set, level, &ps) == 0) {
    out->posted = ps.posted;
    out->rejected = ps.rejected;
    out->aged = ps.aged;
    out->depth = ps.depth;
  }
  const fixgw__rt_level_t *l = &rt->lvl[level];
  out->written = fixgw_metric_read(&l->written);
  out->write_errors = fixgw_metric_read(&l->write_errors);
  out->dropped = fixgw_metric_read(&l->dropped);
  out->bytes = fixgw_metric_read(&l->bytes);
  out->free_errors = fixgw_metric_read(&l->free_errors);
  return 0;
}

const fixgw_hist_t *fixgw_rt_latency(const fixgw_rt_t *rt, fixgw_prio_t level) {
  if (rt == NULL || (unsigned)level >= FIXGW__RT_NLEV) return NULL;
  return &rt->hist[level];
}

const fixgw_clock_t *fixgw_rt_clock(const fixgw_rt_t *rt) {
  return rt ? &rt->clock : NULL;
}
