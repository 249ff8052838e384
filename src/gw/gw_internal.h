/* The gateway object, shared by gw.c (life cycle, messages, post, recv,
 * stats) and io.c (the I/O thread and stop). Not installed. */
#ifndef FIXGW_GW_INTERNAL_H
#define FIXGW_GW_INTERNAL_H

#include "fixgw/gateway.h"
#include "fixgw/router.h"

#define GW_LINE 64
#define GW_NLEV FIXGW_PRIO_LEVELS

enum { GW_CREATED = 0, GW_RUNNING = 1, GW_STOPPED = 2 };

/* One per producer thread; active (1 during a post) alone on its line, as
 * in rt: the stopper reads it, the producer writes it. */
struct fixgw_gw_producer {
  _Alignas(GW_LINE) uint32_t active;
  fixgw_prio_producer_t *prod;
  fixgw_gw_t *gw;
};

/* A message queued in a session's transmit buffer, written once the
 * session's bytes_out reaches end (a position in its output stream). */
typedef struct gw_inflight {
  fixgw_msgbuf_t *m;
  uint64_t end;
  uint32_t level;
} gw_inflight_t;

typedef struct gw_sess {
  fixgw_gw_t *gw;
  uint32_t index;
  fixgw_session_t *s;
  fixgw_session_callbacks_t host_cb;
  void *host_user;
  bool acceptor;
  /* Written by the I/O thread, read anywhere: relaxed atomics. */
  uint32_t logged_on;
  uint32_t held; /* input held for want of inbound buffers */
  /* Inbound: the I/O thread owns the pool (gets), the app puts back. */
  fixgw_msgpool_t inpool;
  bool inpool_ok;
  fixgw_ring_mpmc_t inring;
  bool inring_ok;
  fixgw_msgbuf_t *spare; /* the buffer the next inbound message goes to */
  /* I/O thread only. */
  bool touched;   /* queued output since the last flush */
  bool conn_lost; /* the connection closed: unwritten in-flight failed */
  gw_inflight_t *inf;
  uint32_t inf_mask, inf_head, inf_tail;
} gw_sess_t;

/* Written by the I/O thread (or the stopper once it is joined), read by
 * stats anywhere: fixgw_counter_add / fixgw_metric_read. */
typedef struct gw_level {
  _Alignas(GW_LINE) uint64_t sent;
  uint64_t failed;
  uint64_t bytes;
} gw_level_t;

struct fixgw_gw {
  /* Read by every post. closed: set once by stop. sleeping: 1 while the
   * I/O thread may be blocked in epoll_wait (posts then wake it). */
  _Alignas(GW_LINE) uint32_t closed;
  uint32_t sleeping;
  uint32_t released; /* a release for a held session since the last turn */
  fixgw_prio_set_t *set;
  fixgw_loop_t *loop;
  fixgw_clock_t clock;
  _Alignas(GW_LINE) uint32_t nprod;
  uint32_t max_prod;
  fixgw_gw_producer_t *prod;
  /* Control thread. */
  uint32_t state;
  uint32_t drain_ms;
  fixgw_gw_config_t cfg;
  char name[16];
  fixgw_cpuset_t cpus;
  fixgw_thread_t thr;
  fixgw_allocator_t alloc;
  void *mem; /* the allocation gw lives in */
  const fixgw_allocator_t *ap; /* &alloc or NULL */
  fixgw_router_t *router;
  gw_sess_t *sess;
  uint32_t nsess;
  uint32_t nacceptors;
  /* I/O thread. head: the message taken from the rings and not yet
   * queued (waiting for its session), with when its wait began. */
  fixgw_msgbuf_t *head;
  uint32_t head_level;
  uint64_t head_since;
  uint32_t nheld;
  uint64_t rate_t0, rate_n0;
  gw_level_t lvl[GW_NLEV];
  fixgw_hist_t *hist; /* GW_NLEV */
  uint64_t inbound, inbound_refused, holds, stalls, turns, sent_per_s;
  uint64_t inflight_now;
};

/* io.c */
void fixgw__gw_io_main(fixgw_thread_t *self, void *arg);
/* Report m's outcome, count it, give it back to its pool. */
void fixgw__gw_complete(fixgw_gw_t *gw, fixgw_msgbuf_t *m, uint32_t level, int result,
                        uint64_t now);
/* The session callbacks the gateway installs (forwarding to the host's). */
void fixgw__gw_callbacks(fixgw_session_callbacks_t *cb);

#endif
