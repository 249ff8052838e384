/* Named, pinned threads with an optional SCHED_FIFO policy. Each part of the
 * placement is attempted from inside the new thread and reported; none of
 * them can stop the thread from running. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "fixgw/thread.h"

static int map_errno(int e) {
  switch (e) {
    case EPERM:
      return FIXGW_EPERM;
    case ENOMEM:
      return FIXGW_ENOMEM;
    case ENOSYS:
    case ENOTSUP:
      return FIXGW_ENOTSUP;
    default:
      return FIXGW_ESYS;
  }
}

static int apply_name(const char *name, int *sys_errno) {
#if defined(__linux__)
  char buf[16]; /* the kernel keeps 15 bytes + NUL */
  size_t n = strlen(name);
  if (n > sizeof buf - 1) n = sizeof buf - 1;
  memcpy(buf, name, n);
  buf[n] = 0;
  int e = pthread_setname_np(pthread_self(), buf);
  if (e) *sys_errno = e;
  return e ? map_errno(e) : 0;
#elif defined(__APPLE__)
  int e = pthread_setname_np(name);
  if (e) *sys_errno = e;
  return e ? map_errno(e) : 0;
#else
  (void)name;
  (void)sys_errno;
  return FIXGW_ENOTSUP;
#endif
}

static void read_effective(fixgw_cpuset_t *out) {
  fixgw_cpuset_zero(out);
#ifdef __linux__
  cpu_set_t cs;
  CPU_ZERO(&cs);
  if (pthread_getaffinity_np(pthread_self(), sizeof cs, &cs) != 0) return;
  for (int c = 0; c < CPU_SETSIZE && c < FIXGW_CPU_MAX; c++)
    if (CPU_ISSET(c, &cs)) fixgw_cpuset_add(out, c);
#endif
}

static int apply_affinity(const fixgw_cpuset_t *cpus, int *sys_errno) {
#ifdef __linux__
  cpu_set_t cs;
  CPU_ZERO(&cs);
  int n = 0;
  for (int c = fixgw_cpuset_next(cpus, 0); c >= 0 && c < CPU_SETSIZE;
       c = fixgw_cpuset_next(cpus, c + 1)) {
    CPU_SET(c, &cs);
    n++;
  }
  if (n == 0) return FIXGW_ENOCPU;
  int e = pthread_setaffinity_np(pthread_self(), sizeof cs, &cs);
  if (e) *sys_errno = e;
  /* EINVAL: no CPU of the set is present, online and allowed by the cpuset
   * cgroup. The thread keeps its previous (unpinned) mask. */
  if (e == EINVAL) return FIXGW_ENOCPU;
  return e ? map_errno(e) : 0;
#else
  (void)cpus;
  (void)sys_errno;
  return FIXGW_ENOTSUP;
#endif
}

static int apply_policy(int prio, int *sys_errno) {
  int lo = sched_get_priority_min(SCHED_FIFO);
  int hi = sched_get_priority_max(SCHED_FIFO);
  if (lo < 0 || hi < 0) return FIXGW_ENOTSUP;
  if (prio < lo || prio > hi) return FIXGW_ERANGE;
  struct sched_param sp;
  memset(&sp, 0, sizeof sp);
  sp.sched_priority = prio;
  int e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
  if (e) *sys_errno = e;
  if (e == EINVAL) return FIXGW_ERANGE;
  return e ? map_errno(e) : 0;
}

void fixgw_thread_apply(const fixgw_thread_config_t *cfg, fixgw_thread_result_t *res) {
  fixgw_thread_result_t tmp;
  if (!res) res = &tmp;
  memset(res, 0, sizeof *res);
  if (cfg) {
    if (cfg->name) res->name = apply_name(cfg->name, &res->sys_errno);
    if (cfg->cpus) res->affinity = apply_affinity(cfg->cpus, &res->sys_errno);
    if (cfg->rt_priority) res->policy = apply_policy(cfg->rt_priority, &res->sys_errno);
  }
  read_effective(&res->effective);
}

typedef struct start_ctx {
  fixgw_thread_t *t;
  const fixgw_thread_config_t *cfg;
  fixgw_thread_result_t res;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
} start_ctx;

static void *trampoline(void *p) {
  start_ctx *ctx = p;
  fixgw_thread_t *t = ctx->t;
  fixgw_thread_apply(ctx->cfg, &ctx->res);
  /* The mutex publishes res to the starter. After the unlock ctx may be
   * gone (it lives on the starter's stack): do not touch it again. */
  pthread_mutex_lock(&ctx->mu);
  ctx->done = 1;
  pthread_cond_signal(&ctx->cv);
  pthread_mutex_unlock(&ctx->mu);
  t->fn(t, t->arg);
  return NULL;
}

int fixgw_thread_start(fixgw_thread_t *t, const fixgw_thread_config_t *cfg,
                       fixgw_thread_fn fn, void *arg, fixgw_thread_result_t *res) {
  if (!t || !cfg || !fn) return FIXGW_EINVAL;
  if (t->state == 1) return FIXGW_EINVAL;
  int rc = fixgw_waiter_init(&t->waiter, &cfg->wait);
  if (rc) return rc;
  fixgw_stop_init(&t->stop);
  t->fn = fn;
  t->arg = arg;

  start_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.t = t;
  ctx.cfg = cfg;
  if (pthread_mutex_init(&ctx.mu, NULL) != 0) return FIXGW_ESYS;
  if (pthread_cond_init(&ctx.cv, NULL) != 0) {
    pthread_mutex_destroy(&ctx.mu);
    return FIXGW_ESYS;
  }
  pthread_attr_t attr;
  int e = pthread_attr_init(&attr);
  if (e == 0 && cfg->stack_size) e = pthread_attr_setstacksize(&attr, cfg->stack_size);
  if (e == 0) {
    /* pthread_create publishes t's fields (set above) to the new thread. */
    e = pthread_create(&t->tid, &attr, trampoline, &ctx);
    pthread_attr_destroy(&attr);
  }
  if (e == 0) {
    pthread_mutex_lock(&ctx.mu);
    while (!ctx.done) pthread_cond_wait(&ctx.cv, &ctx.mu);
    pthread_mutex_unlock(&ctx.mu);
    t->state = 1;
    if (res) *res = ctx.res;
  }
  pthread_cond_destroy(&ctx.cv);
  pthread_mutex_destroy(&ctx.mu);
  if (e == 0) return 0;
  errno = e;
  return e == EAGAIN || e == ENOMEM ? FIXGW_ENOMEM : (e == EINVAL ? FIXGW_EINVAL : FIXGW_ESYS);
}

void fixgw_thread_stop(fixgw_thread_t *t) {
  if (!t) return;
  /* Release in fixgw_stop_request, then the wake's full fence orders the
   * flag store before its load of the sleeper flag: a sleeping thread is
   * woken, a thread about to sleep re-reads the flag in its re-check. */
  fixgw_stop_request(&t->stop);
  fixgw_waiter_wake(&t->waiter);
}

int fixgw_thread_join(fixgw_thread_t *t) {
  if (!t || t->state != 1) return FIXGW_ESTATE;
  int e = pthread_join(t->tid, NULL);
  if (e) {
    errno = e;
    return FIXGW_ESYS;
  }
  t->state = 2;
  return 0;
}

int fixgw_thread_run(fixgw_thread_t *self, fixgw_poll_cb poll, void *user) {
  if (!self) return FIXGW_EINVAL;
  return fixgw_run_loop(&self->stop, &self->waiter, poll, user);
}
