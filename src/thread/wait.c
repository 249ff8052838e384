/* Wait strategies (an event count over a futex word) and the draining run
 * loop. The protocol is described in fixgw/thread.h; the comments here say
 * what each atomic orders against what. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <time.h>

#include "fixgw/thread.h"

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define DEFAULT_SPIN 1000u

int fixgw_waiter_init(fixgw_waiter_t *w, const fixgw_wait_config_t *cfg) {
  if (!w) return FIXGW_EINVAL;
  fixgw_wait_config_t def = {FIXGW_WAIT_BLOCK, 0, 0};
  if (!cfg) cfg = &def;
  if (cfg->kind != FIXGW_WAIT_SPIN && cfg->kind != FIXGW_WAIT_SPIN_YIELD &&
      cfg->kind != FIXGW_WAIT_BLOCK)
    return FIXGW_EINVAL;
  /* Plain initialisation: the waiter is handed to other threads afterwards
   * through pthread_create or the host's own synchronisation. */
  __atomic_store_n(&w->epoch, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&w->sleeping, 0, __ATOMIC_RELAXED);
  w->kind = (uint32_t)cfg->kind;
  w->spin_iters = cfg->spin_iters ? cfg->spin_iters : DEFAULT_SPIN;
  w->max_sleep_ns = cfg->max_sleep_ns;
  w->sleeps = 0;
  return 0;
}

uint32_t fixgw_waiter_prepare(fixgw_waiter_t *w) {
  /* Acquire: keeps the store of sleeping = 1 below from being reordered
   * before this read. A waker that sees sleeping = 1 bumps the epoch with a
   * release after that load, so the bump cannot be the value read here: the
   * key always predates any wake that saw us, and commit will not sleep
   * through it. */
  uint32_t key = __atomic_load_n(&w->epoch, __ATOMIC_ACQUIRE);
  __atomic_store_n(&w->sleeping, 1, __ATOMIC_RELAXED);
  /* Full fence: orders the store of sleeping = 1 before the caller's re-check
   * of its work source (loads after this returns). Pairs with the fence in
   * fixgw_waiter_wake (Dekker): the producer sees the sleeper or the
   * consumer sees the work. */
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  return key;
}

void fixgw_waiter_cancel(fixgw_waiter_t *w) {
  /* Relaxed: a waker that still reads 1 only makes one spare wake call;
   * no data is published through this flag. */
  __atomic_store_n(&w->sleeping, 0, __ATOMIC_RELAXED);
}

void fixgw_waiter_commit(fixgw_waiter_t *w, uint32_t key) {
  w->sleeps++;
#ifdef __linux__
  struct timespec ts, *tsp = NULL;
  if (w->max_sleep_ns) {
    ts.tv_sec = (time_t)(w->max_sleep_ns / 1000000000u);
    ts.tv_nsec = (long)(w->max_sleep_ns % 1000000000u);
    tsp = &ts;
  }
  /* The kernel compares epoch with key under its hash-bucket lock and only
   * then sleeps, so a bump between prepare and here makes this return at
   * once (EAGAIN). EINTR and timeouts are spurious wake-ups: the caller
   * re-polls. */
  (void)syscall(SYS_futex, &w->epoch, FUTEX_WAIT_PRIVATE, key, tsp, NULL, 0);
#else
  uint64_t ns = w->max_sleep_ns && w->max_sleep_ns < FIXGW_WAIT_NAP_NS
                    ? w->max_sleep_ns
                    : FIXGW_WAIT_NAP_NS;
  /* Relaxed: only checks whether a wake already came; see prepare. */
  if (__atomic_load_n(&w->epoch, __ATOMIC_RELAXED) == key) {
    struct timespec ts = {0, (long)ns};
    nanosleep(&ts, NULL);
  }
#endif
  fixgw_waiter_cancel(w);
}

void fixgw__waiter_wake_slow(fixgw_waiter_t *w) {
  /* Release: orders the caller's load of sleeping (in fixgw_waiter_wake)
   * before this bump, which is what makes prepare's acquire key read sound.
   * The work itself is published by the producer's own release. */
  __atomic_fetch_add(&w->epoch, 1, __ATOMIC_RELEASE);
#ifdef __linux__
  (void)syscall(SYS_futex, &w->epoch, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#endif
}

int fixgw_run_loop(const fixgw_stop_t *stop, fixgw_waiter_t *w,
                   fixgw_poll_cb poll, void *user) {
  if (!stop || !w || !poll) return FIXGW_EINVAL;
  uint32_t idle = 0;
  for (;;) {
    /* Read the stop flag BEFORE polling: its acquire makes everything the
     * stopper published before requesting visible to this poll, so an empty
     * poll after a seen request means truly drained. */
    int stopping = fixgw_stop_requested(stop);
    int n = poll(user);
    if (n < 0) return n;
    if (n > 0) {
      idle = 0;
      continue;
    }
    if (stopping) return 0;
    if (w->kind == FIXGW_WAIT_SPIN || idle < w->spin_iters) {
      if (idle < UINT32_MAX) idle++;
      fixgw_cpu_relax();
      continue;
    }
    if (w->kind == FIXGW_WAIT_SPIN_YIELD) {
      sched_yield();
      continue;
    }
    /* BLOCK: announce, re-check stop and work, then sleep. */
    uint32_t key = fixgw_waiter_prepare(w);
    stopping = fixgw_stop_requested(stop);
    n = poll(user);
    if (n < 0) {
      fixgw_waiter_cancel(w);
      return n;
    }
    if (n > 0) {
      fixgw_waiter_cancel(w);
      idle = 0;
      continue;
    }
    if (stopping) {
      fixgw_waiter_cancel(w);
      return 0;
    }
    fixgw_waiter_commit(w, key);
  }
}
