/*
 * The sender thread: poll the priority set, write, record latency, free;
 * and the stop protocol that drains it.
 */
#define _GNU_SOURCE /* sched_yield, pthread_equal with -std=c11 */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "rt_internal.h"

void fixgw__rt_release_unsent(fixgw_rt_t *rt, fixgw_msgbuf_t *m, unsigned lv,
                              int reason) {
  fixgw__rt_level_t *l = &rt->lvl[lv];
  if (reason == FIXGW_ESTOPPED)
    fixgw_counter_add(&l->dropped, 1);
  else
    fixgw_counter_add(&l->write_errors, 1);
  if (rt->cfg.drop_cb) rt->cfg.drop_cb(rt->cfg.user, m, reason);
  if (fixgw_msgbuf_put_remote(m) != 0) fixgw_counter_add(&l->free_errors, 1);
}

/* One message, on the sender thread: write it, time it, free it. */
static void deliver(fixgw_rt_t *rt, fixgw_msgbuf_t *m, unsigned lv) {
  int rc = rt->cfg.write_cb(rt->cfg.user, (const char *)fixgw_msgbuf_data(m), m->len);
  if (FIXGW_UNLIKELY(rc < 0)) {
    fixgw__rt_release_unsent(rt, m, lv, rc);
    return;
  }
  /* On the wire as far as the host is concerned: stamp now. A negative
   * difference (TSC skew across cores) is recorded as 0 and counted as
   * underflow by the histogram. */
  uint64_t now = fixgw_clock_now_ns(&rt->clock);
  fixgw_hist_record(&rt->hist[lv], (int64_t)(now - m->enqueue_ns));
  fixgw__rt_level_t *l = &rt->lvl[lv];
  fixgw_counter_add(&l->bytes, m->len);
  fixgw_counter_add(&l->written, 1);
  /* put_remote orders our reads of m before handing it back to its owner
   * (release fence + CAS inside). */
  if (FIXGW_UNLIKELY(fixgw_msgbuf_put_remote(m) != 0))
    fixgw_counter_add(&l->free_errors, 1);
}

/* Start fetching a message's header and first data line (written by its
 * producer on another core) while the previous message is being written. */
static inline void prefetch_msg(const void *m) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(m, 0, 3);
  __builtin_prefetch((const char *)m + sizeof(fixgw_msgbuf_t), 0, 3);
#else
  (void)m;
#endif
}

/* fixgw_poll_cb of the run loop: up to batch messages, one poll each, so
 * priority and aging decide every single send. The next message is polled
 * (and its lines prefetched) just before the current one is written: the
 * cache misses on the two overlap, at the price of deciding priority one
 * message ahead (a Critical posted while a message is being written goes
 * after the one already chosen, not after the rest of a batch). Every
 * message polled is delivered before this returns, so the run loop's
 * drain-on-stop guarantee holds. */
static int sender_poll(void *user) {
  fixgw_rt_t *rt = user;
  const uint32_t batch = rt->cfg.batch;
  void *cur, *next;
  fixgw_prio_t lcur, lnext;
  if (fixgw_prio_poll(rt->set, &cur, &lcur) != 0) return 0;
  uint32_t n = 0;
  for (;;) {
    int more = ++n < batch && fixgw_prio_poll(rt->set, &next, &lnext) == 0;
    if (more) prefetch_msg(next);
    deliver(rt, (fixgw_msgbuf_t *)cur, (unsigned)lcur);
    if (!more) break;
    cur = next;
    lcur = lnext;
  }
  return (int)n;
}

static void sender_main(fixgw_thread_t *self, void *arg) {
  /* Returns after a stop was requested and a poll started after it found
   * nothing: everything posted before the request has been delivered.
   * sender_poll never fails, so the loop's result is always 0. */
  (void)fixgw_thread_run(self, sender_poll, arg);
}

int fixgw_rt_start(fixgw_rt_t *rt, fixgw_thread_result_t *res) {
  if (rt == NULL) return FIXGW_EINVAL;
  if (rt->state != FIXGW__RT_CREATED) return FIXGW_ESTATE;
  fixgw_thread_config_t tc;
  memset(&tc, 0, sizeof tc);
  tc.name = rt->name;
  tc.cpus = rt->cfg.cpu >= 0 ? &rt->cpus : NULL;
  tc.rt_priority = rt->cfg.rt_priority;
  tc.wait = rt->cfg.wait;
  /* rt->thr was zeroed by create and is not cleared here: producers may
   * already be posting, and their wake reads the waiter (atomically). */
  int rc = fixgw_thread_start(&rt->thr, &tc, sender_main, rt, res);
  if (rc != 0) return rc;
  rt->state = FIXGW__RT_RUNNING;
  return 0;
}

int fixgw_rt_stop(fixgw_rt_t *rt) {
  if (rt == NULL) return FIXGW_EINVAL;
  if (rt->state == FIXGW__RT_STOPPED) return FIXGW_ESTATE;
  if (rt->state == FIXGW__RT_RUNNING && pthread_equal(pthread_self(), rt->thr.tid))
    return FIXGW_ESTATE; /* from write_cb/drop_cb: joining would deadlock */

  /* 1. Close. The fence orders closed = 1 before our reads of nprod and of
   * every producer's active flag; pairs with the fence in fixgw_rt_post
   * between its active = 1 and its read of closed (see there). */
  __atomic_store_n(&rt->closed, 1, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);

  /* 2. Wait out posts in progress. Acquire: a producer's enqueue happens
   * before we see its active drop to 0. Bounded by the longest post (the
   * BACKOFF bound, or a producer's preemption). */
  uint32_t np = __atomic_load_n(&rt->nprod, __ATOMIC_RELAXED);
  for (uint32_t i = 0; i < np; i++) {
    unsigned spins = 0;
    while (__atomic_load_n(&rt->prod[i].active, __ATOMIC_ACQUIRE)) {
      if (++spins < 64)
        fixgw_cpu_relax();
      else
        sched_yield();
    }
  }

  /* 3. Every accepted post is now in a ring. fixgw_thread_stop's release
   * publishes that to the sender's run loop, which drains before it
   * returns. */
  int rc = 0;
  if (rt->state == FIXGW__RT_RUNNING) {
    fixgw_thread_stop(&rt->thr);
    rc = fixgw_thread_join(&rt->thr);
  }
  rt->state = FIXGW__RT_STOPPED;

  /* 4. The sender is joined (or never ran): this thread is the consumer
   * now. Anything left was never going to be sent: report and free it.
   * After a normal drain there is nothing; after a never-started sender
   * this is what keeps the messages accounted for. Not after a failed join:
   * the sender might still be polling, and the set has one consumer. */
  void *v;
  fixgw_prio_t lv;
  while (rc == 0 && fixgw_prio_poll(rt->set, &v, &lv) == 0)
    fixgw__rt_release_unsent(rt, (fixgw_msgbuf_t *)v, (unsigned)lv, FIXGW_ESTOPPED);
  return rc;
}
