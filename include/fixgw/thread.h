/*
 * libfixgw — threads: CPU sets, sysfs topology and placement, named pinned
 * threads with an optional real-time policy, wait strategies, and a run loop
 * that drains before it stops.
 *
 * Placement is best effort by design: where the system refuses (no privilege,
 * CPU absent, no affinity API on this OS) the refusal is reported in a
 * fixgw_thread_result_t and the thread keeps running unpinned, with the
 * default policy. Nothing here aborts.
 *
 * Platforms: everything on Linux. Elsewhere affinity and SCHED_FIFO report
 * FIXGW_ENOTSUP, topology loading reports FIXGW_ENOTSUP unless a sysfs root
 * is given, and the BLOCK wait strategy sleeps in short naps instead of a
 * futex (wake latency up to the nap, FIXGW_WAIT_NAP_NS).
 */
#ifndef FIXGW_THREAD_H
#define FIXGW_THREAD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * CPU sets. A plain bitmap of FIXGW_CPU_MAX CPUs (glibc's CPU_SETSIZE), so
 * it can be copied, compared with memcmp and embedded without allocation.
 * ---------------------------------------------------------------------- */
#define FIXGW_CPU_MAX 1024
#define FIXGW_CPUSET_WORDS (FIXGW_CPU_MAX / 64)

typedef struct fixgw_cpuset {
  uint64_t bits[FIXGW_CPUSET_WORDS];
} fixgw_cpuset_t;

void fixgw_cpuset_zero(fixgw_cpuset_t *s);
/* FIXGW_ERANGE if cpu >= FIXGW_CPU_MAX (set unchanged). */
int fixgw_cpuset_add(fixgw_cpuset_t *s, int cpu);
void fixgw_cpuset_del(fixgw_cpuset_t *s, int cpu);
/* 1 if cpu is in the set, 0 otherwise (also for out-of-range cpu). */
int fixgw_cpuset_has(const fixgw_cpuset_t *s, int cpu);
int fixgw_cpuset_count(const fixgw_cpuset_t *s);
/* Lowest member >= from, or -1 when there is none. Iterate with
 * for (c = fixgw_cpuset_next(s, 0); c >= 0; c = fixgw_cpuset_next(s, c + 1)) */
int fixgw_cpuset_next(const fixgw_cpuset_t *s, int from);
int fixgw_cpuset_equal(const fixgw_cpuset_t *a, const fixgw_cpuset_t *b);

/* Parse the kernel's list form ("0-3,5,7-8", trailing newline/blanks
 * allowed, empty string = empty set) from len bytes (no NUL needed).
 * FIXGW_EFORMAT for anything else (stray characters, "3-1", "1-", ",,"),
 * FIXGW_ERANGE for a CPU >= FIXGW_CPU_MAX. *s is only written on success. */
int fixgw_cpuset_parse(fixgw_cpuset_t *s, const char *list, size_t len);
/* Write the list form, NUL-terminated, into buf. FIXGW_ENOSPC if it does not
 * fit (nothing past cap is written; buf holds a truncated prefix). */
int fixgw_cpuset_format(const fixgw_cpuset_t *s, char *buf, size_t cap);

/* ------------------------------------------------------------------------
 * Topology from sysfs (/sys/devices/system/cpu layout). Loading reads files
 * and allocates transiently (opendir); call it at start-up, not on a hot
 * path. The struct is large (~21 KiB): the caller owns it (static or heap).
 * ---------------------------------------------------------------------- */
typedef struct fixgw_cpu_info {
  int32_t core_id;     /* topology/core_id; -1 when the file is absent */
  int32_t package_id;  /* topology/physical_package_id; -1 when absent */
  int32_t numa_node;   /* from the cpuN/nodeM link; -1 when absent */
  int32_t core_first;  /* lowest CPU of thread_siblings_list: identifies the
                          physical core across packages (core_id does not) */
  uint16_t nsiblings;  /* online hardware threads of this physical core */
  uint8_t online;      /* in the "online" list; other fields valid only if 1 */
  uint8_t isolated;    /* in the "isolated" list (isolcpus=) */
} fixgw_cpu_info_t;

typedef struct fixgw_topology {
  int32_t ncpus;          /* 1 + highest online CPU: cpu[] is valid below */
  int32_t nonline;        /* online CPUs */
  int32_t ncores;         /* online physical cores */
  int32_t npackages;      /* distinct package ids among online CPUs */
  fixgw_cpuset_t online;
  fixgw_cpuset_t isolated; /* isolated and online */
  fixgw_cpu_info_t cpu[FIXGW_CPU_MAX];
  char error[160];         /* on failure: the file and what was wrong */
} fixgw_topology_t;

/* Load the topology below sysfs_root (NULL: "/sys/devices/system/cpu").
 * Required: "online". Optional, treated as absent information when missing:
 * "isolated", cpuN/topology/{core_id, physical_package_id,
 * thread_siblings_list}, cpuN/nodeM. Present but malformed files fail.
 * Returns 0; FIXGW_EINVAL (NULL t, root too long); FIXGW_ESYS ("online"
 * unreadable, errno kept); FIXGW_EFORMAT (malformed file, or a sibling list
 * that does not contain its own CPU); FIXGW_ERANGE (CPU >= FIXGW_CPU_MAX);
 * FIXGW_ENOTSUP (no sysfs_root given on a non-Linux system). On failure
 * t->error names the file and the problem; other fields are unspecified. */
int fixgw_topology_load(fixgw_topology_t *t, const char *sysfs_root);

typedef struct fixgw_placement {
  int32_t io_cpu;          /* where the I/O thread should run */
  uint8_t io_isolated;     /* io_cpu is on the isolated list */
  uint8_t crowded;         /* only one physical core: others shares it */
  fixgw_cpuset_t idle;     /* the SMT siblings of io_cpu: leave them idle */
  fixgw_cpuset_t others;   /* online CPUs for everything else */
} fixgw_placement_t;

/* Propose a placement for one latency-critical I/O thread: a physical core
 * whose online threads are all isolated, else one with some isolated
 * thread, else any; among equals the highest (away from CPU 0's
 * housekeeping). io_cpu is its lowest (isolated, if any) online thread, the
 * core's other threads go to idle (keep them quiet: they share the core's
 * caches and ports) and the remaining online CPUs to others (all online
 * CPUs when nothing else is left, with crowded = 1). Pure function of t.
 * FIXGW_EINVAL if t or out is NULL or t has no online CPU. */
int fixgw_topology_place_io(const fixgw_topology_t *t, fixgw_placement_t *out);

/* ------------------------------------------------------------------------
 * Wait strategies. A waiter belongs to ONE consumer thread (the one that
 * idles on it); any number of producers may wake it.
 *
 * The consumer announces it is about to sleep (prepare), re-checks for work,
 * then sleeps (commit) or cancels. Producers publish work first and then call
 * fixgw_waiter_wake(), which costs one fence and one load when nobody sleeps
 * (no syscall). This is an event count: a wake between prepare and commit is
 * never lost, because commit only sleeps while the epoch is still the one
 * prepare saw.
 * ---------------------------------------------------------------------- */
typedef enum fixgw_wait_kind {
  FIXGW_WAIT_BLOCK = 0,      /* pause spin_iters times, then sleep (futex) */
  FIXGW_WAIT_SPIN_YIELD = 1, /* pause spin_iters times, then sched_yield */
  FIXGW_WAIT_SPIN = 2        /* pause forever: lowest latency, burns a core */
} fixgw_wait_kind;

/* Nap length of the BLOCK fallback where there is no futex. */
#define FIXGW_WAIT_NAP_NS 50000

typedef struct fixgw_wait_config {
  fixgw_wait_kind kind;
  uint32_t spin_iters;   /* idle polls spent pausing before yield/sleep;
                            0 = default (1000) */
  uint64_t max_sleep_ns; /* BLOCK: upper bound of one sleep (a safety net:
                            the loop re-polls after it); 0 = no bound */
} fixgw_wait_config_t;

typedef struct fixgw_waiter {
  /* Private. epoch and sleeping are accessed only with atomic builtins. */
  uint32_t epoch;        /* futex word, bumped by a wake that saw a sleeper */
  uint32_t sleeping;     /* 1 between prepare and the end of commit/cancel */
  uint32_t kind;
  uint32_t spin_iters;
  uint64_t max_sleep_ns;
  uint64_t sleeps;       /* consumer-only statistics: futex sleeps entered */
} fixgw_waiter_t;

/* cfg NULL: BLOCK, default spin, no sleep bound. FIXGW_EINVAL for a NULL w
 * or an unknown kind. */
int fixgw_waiter_init(fixgw_waiter_t *w, const fixgw_wait_config_t *cfg);

/* Consumer side. Returns the epoch key to pass to commit. After prepare the
 * consumer MUST re-check its work source before commit. */
uint32_t fixgw_waiter_prepare(fixgw_waiter_t *w);
/* Sleep until woken, a wake already happened since prepare, max_sleep_ns
 * elapsed, or a spurious return (the caller re-polls in every case). */
void fixgw_waiter_commit(fixgw_waiter_t *w, uint32_t key);
void fixgw_waiter_cancel(fixgw_waiter_t *w);

void fixgw__waiter_wake_slow(fixgw_waiter_t *w);

/* Producer side, any thread, after the work it signals is published (with a
 * release store or stronger). No allocation; a syscall only when the
 * consumer sleeps. */
static inline void fixgw_waiter_wake(fixgw_waiter_t *w) {
  /* Full fence: orders the producer's publication of work (earlier stores)
   * before its load of `sleeping` below. The consumer has the mirror fence
   * between its store of sleeping = 1 and its re-check of the work, so at
   * least one side sees the other: either we see the sleeper and wake it,
   * or its re-check sees our work. */
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  /* Relaxed: the fence above already orders this load. */
  if (__atomic_load_n(&w->sleeping, __ATOMIC_RELAXED)) fixgw__waiter_wake_slow(w);
}

/* One CPU relax hint (x86 pause, arm yield; a compiler barrier elsewhere). */
static inline void fixgw_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield" ::: "memory");
#else
  __asm__ __volatile__("" ::: "memory");
#endif
}

/* ------------------------------------------------------------------------
 * Stop flag and run loop.
 * ---------------------------------------------------------------------- */
typedef struct fixgw_stop {
  uint32_t requested; /* private: atomic builtins only */
} fixgw_stop_t;

static inline void fixgw_stop_init(fixgw_stop_t *s) {
  /* Relaxed: initialisation, published to other threads by whatever hands
   * them the object (pthread_create, a mutex, a release store). */
  __atomic_store_n(&s->requested, 0, __ATOMIC_RELAXED);
}
/* Release: everything the requester wrote before (the last items it queued)
 * is visible to a thread that sees the request with fixgw_stop_requested. */
static inline void fixgw_stop_request(fixgw_stop_t *s) {
  __atomic_store_n(&s->requested, 1, __ATOMIC_RELEASE);
}
/* Acquire: pairs with the release in fixgw_stop_request. */
static inline int fixgw_stop_requested(const fixgw_stop_t *s) {
  return (int)__atomic_load_n(&s->requested, __ATOMIC_ACQUIRE);
}

/* Host work callback: > 0 did some work, 0 found nothing to do (everything
 * it owns is drained), < 0 a fatal error (a FIXGW_E* code) that ends the
 * loop. Called only from the loop's thread. */
typedef int (*fixgw_poll_cb)(void *user);

/* Call poll until a stop was requested AND a poll that started after the
 * request was seen returned 0, idling on w between empty polls according to
 * w's kind. Every item published before fixgw_stop_request (and before a
 * stopper's fixgw_waiter_wake) is therefore handed to poll before the loop
 * returns. Returns 0, or the negative value poll returned. The stopper must
 * wake w after requesting (fixgw_thread_stop does both). */
int fixgw_run_loop(const fixgw_stop_t *stop, fixgw_waiter_t *w,
                   fixgw_poll_cb poll, void *user);

/* ------------------------------------------------------------------------
 * Threads.
 * ---------------------------------------------------------------------- */
typedef struct fixgw_thread_config {
  const char *name;           /* NULL: unnamed; cut to 15 bytes (kernel) */
  const fixgw_cpuset_t *cpus; /* NULL: not pinned */
  int rt_priority;            /* 0: default policy; else SCHED_FIFO prio */
  size_t stack_size;          /* 0: system default */
  fixgw_wait_config_t wait;   /* the thread's waiter; zero = BLOCK */
} fixgw_thread_config_t;

/* Outcome of each part of the placement; 0 means applied (or not asked). */
typedef struct fixgw_thread_result {
  int name;          /* FIXGW_ENOTSUP, FIXGW_ESYS */
  int affinity;      /* FIXGW_ENOCPU (no requested CPU usable),
                        FIXGW_EPERM, FIXGW_ENOTSUP (no affinity API),
                        FIXGW_ESYS */
  int policy;        /* FIXGW_ERANGE (priority outside the SCHED_FIFO
                        range), FIXGW_EPERM (no privilege), FIXGW_ENOTSUP,
                        FIXGW_ESYS */
  int sys_errno;     /* errno of the last refused call, 0 if none */
  fixgw_cpuset_t effective; /* CPUs the thread may run on after the call
                               (empty where it cannot be queried) */
} fixgw_thread_result_t;

typedef struct fixgw_thread fixgw_thread_t;
typedef void (*fixgw_thread_fn)(fixgw_thread_t *self, void *arg);

/* Caller-allocated and zero-initialised before its first start; members
 * are private (use the functions below). */
struct fixgw_thread {
  pthread_t tid;
  fixgw_stop_t stop;
  fixgw_waiter_t waiter;
  fixgw_thread_fn fn;
  void *arg;
  uint32_t state; /* 0 idle, 1 running (joinable), 2 joined */
};

/* Apply cfg (name, affinity, policy) to the calling thread; never fails as a
 * whole: each part's outcome goes to *res (may be NULL). */
void fixgw_thread_apply(const fixgw_thread_config_t *cfg,
                        fixgw_thread_result_t *res);

/* Start fn(t, arg) on a new thread after applying cfg inside it; returns
 * once the placement was attempted, with its outcome in *res (may be NULL).
 * A refused placement does not stop the thread. t must stay valid until
 * fixgw_thread_join returns. Returns 0; FIXGW_EINVAL (NULL t/fn/cfg, bad
 * wait kind, t already running); FIXGW_ENOMEM or FIXGW_ESYS when
 * pthread_create fails (no thread exists then). */
int fixgw_thread_start(fixgw_thread_t *t, const fixgw_thread_config_t *cfg,
                       fixgw_thread_fn fn, void *arg,
                       fixgw_thread_result_t *res);

/* Request a stop and wake the thread's waiter. Any thread, any number of
 * times. The thread decides when to exit (fixgw_thread_run drains first). */
void fixgw_thread_stop(fixgw_thread_t *t);
/* Wait for fn to return. FIXGW_ESTATE if t is not running (never started or
 * already joined); FIXGW_ESYS if pthread_join fails. One joiner only. */
int fixgw_thread_join(fixgw_thread_t *t);

/* Inside fn: the run loop on the thread's own stop flag and waiter. */
int fixgw_thread_run(fixgw_thread_t *self, fixgw_poll_cb poll, void *user);
/* Producers wake a thread idling in fixgw_thread_run (cheap when it is not
 * asleep). */
static inline void fixgw_thread_wake(fixgw_thread_t *t) {
  fixgw_waiter_wake(&t->waiter);
}
static inline int fixgw_thread_stop_requested(const fixgw_thread_t *t) {
  return fixgw_stop_requested(&t->stop);
}

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_THREAD_H */
