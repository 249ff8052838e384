/*
 * libfixgw — rt: the threaded priority send path.
 *
 * Application threads post message buffers (fixgw_msgbuf_t, from a
 * fixgw_msgpool_t they own) at one of four priorities; one sender thread,
 * named and pinned through the thread layer, takes them from the priority
 * ring set (fixgw_prio_*, ring.h) in priority order, with that set's
 * starvation prevention, hands each one to the host's write callback, then
 * returns the buffer to its pool from the sender thread (put_remote).
 *
 *   app thread(s)                         sender thread (pinned)
 *   m = fixgw_msgbuf_get(&pool)           poll the set: most urgent first,
 *   ... encode into m ...                   aged lower levels per starve_limit
 *   fixgw_rt_post(prod, level, m) ------> write_cb(user, data, len)
 *     stamps m->enqueue_ns, no lock,      record now - enqueue_ns in the
 *     no allocation, never waits            level's latency histogram
 *     (REJECT levels)                     fixgw_msgbuf_put_remote(m)
 *
 * Order: strict priority with aging (fixgw_prio_*, ring.h), FIFO per
 * producer within a level, decided one message ahead: the sender chooses
 * the next message just before writing the current one, so that fetching
 * the next message's bytes overlaps the current write. A Critical posted
 * while a message is being written therefore goes out after at most two
 * messages already chosen.
 *
 * Ownership of a posted buffer. fixgw_rt_post returning 0 moves ownership
 * of m to the runtime: exactly one of the following then happens to it, and
 * the runtime returns it to m->pool afterwards (the host must not touch m
 * again):
 *   - written:  write_cb returned >= 0                 (stats.written)
 *   - failed:   write_cb returned < 0; drop_cb(user, m, that value) is
 *               called first, on the sender thread     (stats.write_errors)
 *   - dropped:  still queued when the runtime could not send it any more
 *               (stop of a runtime whose sender never started);
 *               drop_cb(user, m, FIXGW_ESTOPPED)       (stats.dropped)
 * Any other return of fixgw_rt_post leaves m with the caller, unchanged
 * except for m->priority and m->enqueue_ns. So after fixgw_rt_stop, per
 * level, posted == written + write_errors + dropped: nothing is lost
 * silently.
 *
 * Threads. Producers: any number of threads up to cfg.prio.max_producers,
 * each with its own handle from fixgw_rt_register (a handle is used by one
 * thread at a time). Control (create, start, stop, destroy): one thread,
 * never the sender itself (i.e. not from inside write_cb or drop_cb).
 * Readers (stats, latency histograms): any thread, any time between create
 * and destroy.
 *
 * Memory. Everything is allocated by fixgw_rt_create (through the
 * allocator given, NULL = libc): the rings, the producer slots and one
 * latency histogram per level (~265 KiB each). post and the sender loop
 * never allocate (tests/rt checks it with a counting malloc).
 */
#ifndef FIXGW_RT_H
#define FIXGW_RT_H

#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"
#include "fixgw/metrics.h"
#include "fixgw/pool.h"
#include "fixgw/ring.h"
#include "fixgw/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The host's write function, called on the sender thread with the bytes of
 * one message (valid for the duration of the call). Return >= 0 when the
 * message was written (it counts as on the wire when the call returns), or
 * a negative value (a FIXGW_E* code or the host's own) when it was not:
 * the message is then reported through drop_cb with that value and freed.
 * It must not call fixgw_rt_stop or fixgw_rt_destroy. */
typedef int (*fixgw_rt_write_cb)(void *user, const char *buf, size_t len);

/* Told about every accepted message that was not written: reason is the
 * negative value write_cb returned, or FIXGW_ESTOPPED. m is read-only and
 * valid only during the call (the runtime frees it right after). Called on
 * the sender thread, or on the thread in fixgw_rt_stop for FIXGW_ESTOPPED.
 * Optional: the stats count these messages either way. */
typedef void (*fixgw_rt_drop_cb)(void *user, const fixgw_msgbuf_t *m, int reason);

typedef struct fixgw_rt_config {
  fixgw_prio_config_t prio;   /* producers, ring sizes per level, overflow
                                 policy per level, starve_limit (ring.h) */
  fixgw_rt_write_cb write_cb; /* required */
  fixgw_rt_drop_cb drop_cb;   /* optional */
  void *user;                 /* passed to write_cb and drop_cb */
  const char *thread_name;    /* NULL: "fixgw-send" */
  int cpu;                    /* sender CPU; -1: not pinned */
  int rt_priority;            /* 0: default policy; else SCHED_FIFO prio */
  fixgw_wait_config_t wait;   /* sender idle strategy (thread.h): BLOCK
                                 (futex; producers then pay one fence per
                                 post to wake it), SPIN_YIELD or SPIN */
  uint32_t batch;             /* messages sent per run-loop turn, 1..1024
                                 (bounds how long a stop request waits to
                                 be seen); 0: 64 */
  const fixgw_clock_t *clock; /* timestamp source, copied at create; NULL:
                                 create calibrates the TSC (blocks ~10 ms,
                                 falls back to CLOCK_MONOTONIC) */
} fixgw_rt_config_t;

/* Per-level counters. Each value is read atomically; the set is not a
 * snapshot while threads work. After fixgw_rt_stop returned:
 * posted == written + write_errors + dropped. */
typedef struct fixgw_rt_level_stats {
  uint64_t posted;       /* accepted by fixgw_rt_post */
  uint64_t rejected;     /* post returned FIXGW_EFULL (caller kept m) */
  uint64_t written;      /* write_cb returned >= 0 */
  uint64_t write_errors; /* write_cb returned < 0 (reported, freed) */
  uint64_t dropped;      /* drained unsent at stop (reported, freed) */
  uint64_t bytes;        /* bytes of the written messages */
  uint64_t aged;         /* of those sent, chosen by starvation prevention */
  uint64_t free_errors;  /* put_remote refused by a checked pool */
  uint32_t depth;        /* queued now (racy gauge) */
} fixgw_rt_level_stats_t;

typedef struct fixgw_rt fixgw_rt_t;
typedef struct fixgw_rt_producer fixgw_rt_producer_t;

/* Defaults: fixgw_prio_config_default (8 producers, 1024 entries per ring
 * and level, REJECT everywhere, starve_limit 32), thread "fixgw-send",
 * not pinned, default policy, BLOCK waiting, batch 64, clock NULL. The
 * caller must still set write_cb. NULL cfg: no effect. */
void fixgw_rt_config_default(fixgw_rt_config_t *cfg);

/* Create a runtime (sender not started). Any thread. Returns 0 with *out,
 * FIXGW_EINVAL (NULL out/cfg/write_cb, batch > 1024, bad wait kind, or a
 * prio config fixgw_prio_create refuses) or FIXGW_ENOMEM. */
int fixgw_rt_create(fixgw_rt_t **out, const fixgw_rt_config_t *cfg,
                    const fixgw_allocator_t *a);

/* Start the sender thread: named and pinned per cfg; a refused placement
 * (no such CPU, no privilege) does not fail the start, its outcome goes to
 * *res (may be NULL; see fixgw_thread_result_t). Messages posted before
 * start wait in the rings. Control thread. Returns 0, FIXGW_EINVAL (NULL
 * rt), FIXGW_ESTATE (already started, or stopped), or FIXGW_ENOMEM /
 * FIXGW_ESYS when the thread cannot be created (the runtime stays usable:
 * start may be retried, stop drops what was queued). */
int fixgw_rt_start(fixgw_rt_t *rt, fixgw_thread_result_t *res);

/* A producer handle for the calling thread. Any thread, lock-free, also
 * while the sender runs. The handle lives until destroy. Returns 0,
 * FIXGW_EINVAL (NULL argument) or FIXGW_EFULL (cfg.prio.max_producers
 * handles exist already). */
int fixgw_rt_register(fixgw_rt_t *rt, fixgw_rt_producer_t **out);

/* Post m at level from the handle's thread: stamps m->priority = level and
 * m->enqueue_ns (the runtime clock, ns on the CLOCK_MONOTONIC time line),
 * then enqueues it. No lock, no allocation; with the level's overflow
 * policy REJECT it never waits (BACKOFF: a bounded pause of up to
 * backoff_ns when the level's ring is full). On 0 the runtime owns m (see
 * the top of this file). Otherwise the caller keeps m:
 *   FIXGW_EINVAL    NULL p or m, level not a fixgw_prio_t, m->len > m->cap,
 *                   or m not from a pool (m->pool NULL)
 *   FIXGW_EFULL     this producer's ring for level is full (counted in
 *                   stats.rejected; retry later or drop it yourself: pause
 *                   before retrying, since a tight retry loop keeps taking
 *                   the ring's cache lines away from the sender)
 *   FIXGW_ESTOPPED  fixgw_rt_stop has begun; nothing more is accepted */
int fixgw_rt_post(fixgw_rt_producer_t *p, fixgw_prio_t level, fixgw_msgbuf_t *m);

/* Stop: refuse new posts (FIXGW_ESTOPPED), wait for posts already in
 * progress on other threads to finish (bounded: a post never waits longer
 * than its level's backoff bound), let the sender write everything queued,
 * then join it. If the sender never started, queued messages are dropped
 * (drop_cb with FIXGW_ESTOPPED, on this thread). After it returns no
 * callback runs any more and the stats are final. Control thread, not the
 * sender. Returns 0; FIXGW_EINVAL (NULL rt); FIXGW_ESTATE (already stopped,
 * or called from the sender thread: nothing done); FIXGW_ESYS (join
 * failed: posting is closed, queued messages are left in place). */
int fixgw_rt_stop(fixgw_rt_t *rt);

/* Stop (if not stopped) and free everything create allocated, producer
 * handles included. Control thread; no thread may use rt, its handles or
 * its histograms afterwards. NULL ok. */
void fixgw_rt_destroy(fixgw_rt_t *rt);

/* Counters of one level. Any thread. 0, or FIXGW_EINVAL (NULL argument,
 * bad level). */
int fixgw_rt_stats(const fixgw_rt_t *rt, fixgw_prio_t level,
                   fixgw_rt_level_stats_t *out);

/* Queue-to-wire latency of one level: ns from the post's timestamp to the
 * return of a successful write_cb, one value per written message. Written
 * by the sender only; read it from any thread with the fixgw_hist_*
 * functions (metrics.h). Valid until destroy; NULL for a bad argument. */
const fixgw_hist_t *fixgw_rt_latency(const fixgw_rt_t *rt, fixgw_prio_t level);

/* The clock the runtime stamps with (copied or calibrated at create), for
 * hosts that want comparable timestamps. Valid until destroy. */
const fixgw_clock_t *fixgw_rt_clock(const fixgw_rt_t *rt);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_RT_H */
