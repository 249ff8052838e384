/*
 * libfixgw — gw: the threaded gateway. Application threads post outbound
 * FIX application messages with a priority; one I/O thread (named, pinned)
 * drains them by priority, drives the sessions over net/'s loop, and hands
 * inbound application messages back through rings. Built on the public
 * API only: the priority ring set (ring.h), message pools (pool.h), the
 * thread layer (thread.h), net/'s loop (net.h), sessions (session.h) and
 * histograms (metrics.h).
 *
 *   app thread(s)                          I/O thread (pinned)
 *   m = fixgw_msgbuf_get(&own_pool)        take the most urgent message
 *   fixgw_gw_msg_set(m, sess, "D", body)     (fixgw_prio_poll: strict, with
 *   fixgw_gw_post(prod, level, m) ------>    aging per starve_limit)
 *                                          fixgw_session_send_body
 *                                          fixgw_loop_flush: on the socket
 *                                          latency[level] <- now - post time
 *                                          on_done(m, 0); m back to its pool
 *   fixgw_gw_recv(gw, sess, &in) <------   on_app: copy into a buffer of the
 *   ... read in ...                          session's inbound pool, ring it
 *   fixgw_gw_release(gw, in)
 *
 * Threads. Control (create, add_session, listen, start, stop, destroy):
 * one thread. Producers: up to cfg.prio.max_producers threads, each with
 * its own handle (fixgw_gw_register). Consumers: any thread may call
 * fixgw_gw_recv / fixgw_gw_release; one consumer per session keeps that
 * session's order. Readers (stats, latency, prom): any thread between
 * create and destroy. Sessions, the loop and the host's session callbacks
 * belong to the I/O thread from fixgw_gw_start on.
 *
 * Order. Strict priority with aging across all producers and sessions
 * (ring.h), FIFO per (producer, level). A message for a session that is
 * not logged on, or whose transmit buffer or in-flight table is full,
 * waits at the head (nothing else is taken meanwhile: head-of-line, so
 * order holds) for at most cfg.stall_ms, then fails.
 *
 * Ownership of a posted buffer. fixgw_gw_post returning 0 moves m to the
 * gateway; exactly one outcome follows, reported to on_done(user, m,
 * result) on the I/O thread (or on the stopping thread, see stop), after
 * which m goes back to m->pool (put_remote): the poster must not touch it.
 *   0                 written to the socket (hdr->seq is its MsgSeqNum)
 *   FIXGW_EIO         queued with a MsgSeqNum and stored, but the
 *                     connection closed before it was written: the peer
 *                     gets it by resend after the next Logon
 *   FIXGW_ESTATE      the session was not logged on within stall_ms
 *   FIXGW_EFULL       no room in the session's output within stall_ms
 *   FIXGW_ESTOPPED    not sent: the gateway stopped first
 *   FIXGW_EINVAL      bad header (session index, msgtype, body bounds)
 *   other             fixgw_session_send_body's error (ENOSPC, EPERM,
 *                     ESTORE, ...)
 * Any other return of fixgw_gw_post leaves m with the caller (returned):
 * per level, after stop, posted == sent + failed, and every post the
 * caller saw fail is its own. Nothing is dropped silently.
 *
 * Back-pressure. Outbound: a full ring is FIXGW_EFULL to the poster, at
 * once (cfg.prio.overflow[level] = FIXGW_OVERFLOW_REJECT) or after a
 * bounded wait (FIXGW_OVERFLOW_BACKOFF, up to cfg.prio.backoff_ns[level]).
 * Inbound: each session has cfg.inbound_buffers buffers; while all are
 * with the application, the gateway stops reading that session's socket
 * (fixgw_loop_hold_input), so TCP slows the peer; fixgw_gw_release lets
 * it read again.
 *
 * Placement. The I/O thread wants a core of its own (cfg.cpu; with
 * cfg.spin it keeps it at 100%): it shares nothing with the posters but
 * the rings' cache lines. Queue -> wire ends at the return of the send(2)
 * that took the message's last byte, so it includes that system call.
 *
 * Memory. Everything is allocated by create and add_session (rings,
 * pools, in-flight tables, histograms ~265 KiB per level, the loop);
 * post, recv, release and the I/O thread's turns never allocate.
 */
#ifndef FIXGW_GATEWAY_H
#define FIXGW_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/codec.h"
#include "fixgw/common.h"
#include "fixgw/metrics.h"
#include "fixgw/net.h"
#include "fixgw/pool.h"
#include "fixgw/ring.h"
#include "fixgw/session.h"
#include "fixgw/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --------------------------------------------------------- messages */

/* The first FIXGW_GW_HDR_SIZE data bytes of every gateway message buffer
 * (fixgw_gw_hdr(m)); the FIX bytes follow. Outbound: written by
 * fixgw_gw_msg_set / _begin / _end; the body (whole fields, no header, no
 * trailer) is data[body_off .. body_off + body_len). Inbound: the whole
 * message as received, header to trailer, at the same place. */
typedef struct fixgw_gw_hdr {
  uint32_t session;  /* gateway session index (fixgw_gw_add_session) */
  uint32_t body_off; /* from the start of data */
  uint32_t body_len;
  uint32_t flags_;   /* reserved, 0 */
  uint64_t seq;      /* MsgSeqNum: assigned (out, once queued) or received */
  char msgtype[16];  /* NUL-terminated, at most FIXGW_GW_MSGTYPE_MAX */
} fixgw_gw_hdr_t;

#define FIXGW_GW_HDR_SIZE 48u
#define FIXGW_GW_MSGTYPE_MAX 8u

static inline fixgw_gw_hdr_t *fixgw_gw_hdr(fixgw_msgbuf_t *m) {
  return (fixgw_gw_hdr_t *)(void *)fixgw_msgbuf_data(m);
}
static inline const fixgw_gw_hdr_t *fixgw_gw_hdr_c(const fixgw_msgbuf_t *m) {
  return (const fixgw_gw_hdr_t *)(const void *)(m + 1);
}
/* The FIX bytes of m (outbound body or inbound message), length in *len. */
static inline const char *fixgw_gw_msg_bytes(const fixgw_msgbuf_t *m, size_t *len) {
  const fixgw_gw_hdr_t *h = fixgw_gw_hdr_c(m);
  *len = h->body_len;
  return (const char *)(const void *)(m + 1) + h->body_off;
}

/* Fill m (from the caller's pool) with a message for session of type
 * msgtype whose body is body[0..len) ("tag=value<SOH>..."), copied. Any
 * thread owning m. 0, FIXGW_EINVAL (NULL m or msgtype, msgtype empty,
 * longer than FIXGW_GW_MSGTYPE_MAX or holding SOH), FIXGW_ENOSPC (does not
 * fit m->cap; m unchanged). */
int fixgw_gw_msg_set(fixgw_msgbuf_t *m, uint32_t session, const char *msgtype,
                     const char *body, size_t len);
/* Or encode the body in place: begin gives an encoder (codec.h) whose
 * appenders write body fields into m; end checks its sticky error and
 * sets the header. begin: errors as msg_set; end: 0, the encoder's error
 * (FIXGW_ENOSPC, FIXGW_EINVAL), FIXGW_ESTATE (no begin on this m). */
int fixgw_gw_msg_begin(fixgw_msgbuf_t *m, uint32_t session, const char *msgtype,
                       fixgw_encoder_t *enc);
int fixgw_gw_msg_end(fixgw_msgbuf_t *m, fixgw_encoder_t *enc);

/* ---------------------------------------------------------- config */

/* An outcome of an accepted post (see the top of this file). m is
 * read-only and valid for the call only (it goes back to its pool right
 * after). Runs on the I/O thread, or on the thread in fixgw_gw_stop for
 * what a never-started gateway drops. Must not call the gateway's control
 * functions. */
typedef void (*fixgw_gw_done_cb)(void *user, const fixgw_msgbuf_t *m, int result);

typedef struct fixgw_gw_config {
  uint32_t size;            /* sizeof(fixgw_gw_config_t); set by _default */
  fixgw_prio_config_t prio; /* producers, ring sizes per level, overflow
                               (REJECT: error, BACKOFF: bounded wait) and
                               its bound per level, starve_limit */
  uint32_t max_sessions;    /* default 16 */
  uint32_t inbound_buffers; /* per session, power of two >= 2; default 256 */
  uint32_t inflight;        /* per session: messages queued and not yet
                               written, power of two >= 2; default 1024 */
  /* Messages taken from the rings per turn before the sessions touched
   * are flushed, 1..1024; default 16. A Critical or High message ends the
   * batch at once (it is flushed right after it is queued). */
  uint32_t batch;
  uint32_t stall_ms;        /* head-of-line wait bound; default 1000 */
  /* true: the I/O thread never sleeps (epoll_wait(0) turns, one core at
   * 100%: lowest latency). false: it sleeps in epoll_wait when idle, at
   * most idle_sleep_ms, woken by posts and releases. Default false. */
  bool spin;
  uint32_t idle_sleep_ms;   /* default 100 */
  const char *thread_name;  /* NULL: "fixgw-gw"; copied */
  int cpu;                  /* I/O thread CPU; -1: not pinned (default) */
  int rt_priority;          /* 0: default policy; else SCHED_FIFO prio */
  fixgw_gw_done_cb on_done; /* optional: the stats count outcomes anyway */
  void *user;               /* for on_done */
  fixgw_loop_log_cb on_log; /* the loop's log lines; NULL: dropped */
  void *log_user;
  uint32_t max_connections; /* loop: sockets at once; default 64 */
  const fixgw_clock_t *clock; /* copied; NULL: create calibrates the TSC
                                 (~10 ms; CLOCK_MONOTONIC fallback) */
  const fixgw_allocator_t *allocator; /* NULL: malloc; create/add only */
} fixgw_gw_config_t;

void fixgw_gw_config_default(fixgw_gw_config_t *cfg);

/* One session: created by the gateway from *session (copied; its store
 * is the host's and must outlive the gateway). cb: the host's callbacks
 * (copied; NULL: none) called with user on the I/O thread; on_app is not
 * used (inbound application messages go to the session's ring) and
 * fixgw_session_on() handlers are not available. An initiator
 * (session->role) needs hosts; an acceptor is reached through
 * fixgw_gw_listen. */
typedef struct fixgw_gw_session_opts {
  uint32_t size; /* sizeof(fixgw_gw_session_opts_t) */
  const fixgw_session_config_t *session;
  const fixgw_session_callbacks_t *cb;
  void *user;
  const fixgw_net_hosts_t *hosts;         /* initiator */
  uint32_t reconnect_interval_s;          /* initiator; 0: 100 ms */
  const fixgw_net_initiator_opts_t *init; /* initiator; NULL: defaults */
} fixgw_gw_session_opts_t;

void fixgw_gw_session_opts_default(fixgw_gw_session_opts_t *o);

typedef struct fixgw_gw fixgw_gw_t;
typedef struct fixgw_gw_producer fixgw_gw_producer_t;

/* ------------------------------------------------------- lifecycle */

/* Create (I/O thread not started). Returns 0 and *out, FIXGW_EINVAL (NULL,
 * a bound out of range, a prio config fixgw_prio_create refuses),
 * FIXGW_ENOMEM, FIXGW_ESYS (the loop's epoll or eventfd). */
int fixgw_gw_create(const fixgw_gw_config_t *cfg, fixgw_gw_t **out);

/* Add a session before start; *index (may be NULL) gets its index, the
 * value messages name in hdr->session (0, 1, ... in order). Returns 0,
 * FIXGW_EINVAL (NULL, no session config, initiator without hosts),
 * FIXGW_EFULL (max_sessions), FIXGW_ESTATE (started), FIXGW_ENOMEM,
 * fixgw_session_create's or fixgw_net_initiator_add's error. */
int fixgw_gw_add_session(fixgw_gw_t *gw, const fixgw_gw_session_opts_t *o,
                         uint32_t *index);

/* Listen for the acceptor sessions added (before start). *bound_port (may
 * be NULL) gets the port. sock NULL: defaults (TCP_NODELAY). Returns as
 * fixgw_net_acceptor_listen, or FIXGW_ESTATE (started). */
int fixgw_gw_listen(fixgw_gw_t *gw, const char *host, uint16_t port,
                    uint16_t *bound_port, const fixgw_net_sock_opts_t *sock);

/* Start the I/O thread (placement outcome in *res, may be NULL; a refused
 * placement does not fail the start). Messages posted before wait in the
 * rings. 0, FIXGW_EINVAL, FIXGW_ESTATE (started or stopped),
 * FIXGW_ENOMEM / FIXGW_ESYS (no thread; start may be retried). */
int fixgw_gw_start(fixgw_gw_t *gw, fixgw_thread_result_t *res);

/* Stop: refuse new posts (FIXGW_ESTOPPED), wait for posts in progress,
 * then the I/O thread sends everything queued (sessions not logged on
 * fail them at once), waits for the writes, logs every session out and
 * turns until each Logout is answered or drain_ms (0: 2000) has passed in
 * all; whatever is left fails (FIXGW_ESTOPPED, or FIXGW_EIO once queued).
 * Then the thread is joined: no callback runs afterwards and the stats
 * are final. A never-started gateway fails what its rings hold
 * (FIXGW_ESTOPPED, on_done on this thread). Inbound messages already
 * ringed may still be taken with fixgw_gw_recv until destroy. Control
 * thread. 0, FIXGW_EINVAL, FIXGW_ESTATE (already stopped), FIXGW_ESYS
 * (join failed). */
int fixgw_gw_stop(fixgw_gw_t *gw, uint32_t drain_ms);

/* Stop if needed, destroy the sessions and the loop, free everything.
 * Buffers the application still holds from fixgw_gw_recv become invalid.
 * Control thread. NULL ok. */
void fixgw_gw_destroy(fixgw_gw_t *gw);

/* ------------------------------------------------------------ posting */

/* A producer handle for the calling thread (lock-free, any time before
 * stop). 0, FIXGW_EINVAL, FIXGW_EFULL (max_producers handles exist). */
int fixgw_gw_register(fixgw_gw_t *gw, fixgw_gw_producer_t **out);

/* Post m (filled by fixgw_gw_msg_*) at level from the handle's thread:
 * stamps m->priority and m->enqueue_ns (the gateway clock), enqueues it;
 * no lock, no allocation, no wait except a BACKOFF level's bound. On 0 the
 * gateway owns m (see the top of this file). Otherwise the caller keeps
 * m: FIXGW_EINVAL (NULL, bad level, m not from a pool, m->len shorter
 * than its header says), FIXGW_EFULL (the ring is full: back-pressure,
 * counted in stats.rejected; pause before retrying), FIXGW_ESTOPPED. */
int fixgw_gw_post(fixgw_gw_producer_t *p, fixgw_prio_t level, fixgw_msgbuf_t *m);

/* ------------------------------------------------------------ inbound */

/* Take the oldest inbound application message of session (see
 * fixgw_gw_hdr_t for its layout). The buffer is the caller's until
 * fixgw_gw_release. Any thread. 0 and *out, FIXGW_EEMPTY, FIXGW_EINVAL. */
int fixgw_gw_recv(fixgw_gw_t *gw, uint32_t session, fixgw_msgbuf_t **out);
/* Give an inbound buffer back (any thread); a session held for want of
 * buffers reads again. 0, FIXGW_EINVAL, or the pool's check error. */
int fixgw_gw_release(fixgw_gw_t *gw, fixgw_msgbuf_t *m);

/* ------------------------------------------------------------ queries */

/* true while the session is logged on (updated by the I/O thread). */
bool fixgw_gw_logged_on(const fixgw_gw_t *gw, uint32_t session);

typedef struct fixgw_gw_level_stats {
  uint64_t posted;   /* accepted by fixgw_gw_post */
  uint64_t rejected; /* post returned FIXGW_EFULL (caller kept m) */
  uint64_t backoffs; /* posts that found the ring full and waited */
  uint64_t sent;     /* written to the socket (result 0) */
  uint64_t failed;   /* any other result */
  uint64_t bytes;    /* body bytes of the sent messages */
  uint64_t aged;     /* taken by starvation prevention */
  uint32_t depth;    /* waiting in the rings now (racy gauge) */
} fixgw_gw_level_stats_t;

typedef struct fixgw_gw_stats {
  fixgw_gw_level_stats_t level[FIXGW_PRIO_LEVELS];
  uint64_t inbound;         /* application messages ringed to the app */
  uint64_t inbound_refused; /* no buffer at all: answered with a
                               BusinessMessageReject (logged) */
  uint64_t holds;           /* times a session's input was held */
  uint64_t stalls;          /* head-of-line waits begun */
  uint64_t turns;           /* I/O thread loop turns */
  uint64_t sent_per_s;      /* messages written in the last full second */
  uint32_t inbound_depth;   /* ringed, not yet taken (all sessions) */
  uint32_t inflight;        /* queued in sessions, not yet written */
} fixgw_gw_stats_t;

/* Counters, each read atomically (not a snapshot while threads work).
 * Any thread. 0 or FIXGW_EINVAL. */
int fixgw_gw_stats(const fixgw_gw_t *gw, fixgw_gw_stats_t *out);

/* Queue-to-wire latency of level: ns from the post's timestamp to the
 * return of the socket write that completed the message, one value per
 * sent message. Written by the I/O thread; read with fixgw_hist_* from any
 * thread. Valid until destroy; NULL for a bad argument. */
const fixgw_hist_t *fixgw_gw_latency(const fixgw_gw_t *gw, fixgw_prio_t level);

/* Append the gateway's metrics in Prometheus text form to w (metrics.h),
 * each with a label priority="critical|high|normal|low": the summary
 * fixgw_gw_queue_to_wire_seconds (quantiles, _sum, _count, _max), and the
 * common counter set with fixgw_messages_sent_total and
 * fixgw_bytes_sent_total (sent), fixgw_drops_total (failed outcomes),
 * fixgw_pool_exhausted_total (posts refused by a full ring) and
 * fixgw_queue_depth (waiting in the rings). Messages per second: the rate
 * of fixgw_messages_sent_total, or stats.sent_per_s. Any thread. 0, or
 * FIXGW_ENOSPC (w keeps counting: retry with a buffer of the length
 * fixgw_prom_finish reports), FIXGW_EINVAL. */
int fixgw_gw_prom(const fixgw_gw_t *gw, fixgw_prom_t *w);

/* The clock posts are stamped with (for comparable timestamps). */
const fixgw_clock_t *fixgw_gw_clock(const fixgw_gw_t *gw);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_GATEWAY_H */
