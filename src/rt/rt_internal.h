/* The runtime object, shared by rt.c (life cycle, post, stats) and send.c
 * (the sender thread, stop). Not installed. */
#ifndef FIXGW_RT_INTERNAL_H
#define FIXGW_RT_INTERNAL_H

#include "fixgw/rt.h"

#define FIXGW__RT_LINE 64
#define FIXGW__RT_NLEV FIXGW_PRIO_LEVELS
#define FIXGW__RT_BATCH_MAX 1024u

/* One per producer thread. active is written by that thread (1 for the
 * duration of a post) and read by the stopper; alone on its line so the
 * stopper's reads never share a line with another producer's writes. */
struct fixgw_rt_producer {
  _Alignas(FIXGW__RT_LINE) uint32_t active;
  fixgw_prio_producer_t *prod;
  fixgw_rt_t *rt;
};

/* Written by the sender thread only (or by the stopper once the sender is
 * joined or never ran), read by stats() anywhere: relaxed atomics
 * (fixgw_counter_add / fixgw_metric_read). */
typedef struct fixgw__rt_level {
  _Alignas(FIXGW__RT_LINE) uint64_t written;
  uint64_t write_errors;
  uint64_t dropped;
  uint64_t bytes;
  uint64_t free_errors;
} fixgw__rt_level_t;

enum { FIXGW__RT_CREATED = 0, FIXGW__RT_RUNNING = 1, FIXGW__RT_STOPPED = 2 };

struct fixgw_rt {
  /* Read by every post: set once by stop (posts then fail), never cleared. */
  _Alignas(FIXGW__RT_LINE) uint32_t closed;
  uint32_t wake;      /* 1: the sender may sleep (BLOCK), posts wake it */
  fixgw_prio_set_t *set;
  fixgw_clock_t clock; /* read-only after create */
  /* Producer slots; nprod grows by CAS in register. */
  _Alignas(FIXGW__RT_LINE) uint32_t nprod;
  uint32_t max_prod;
  fixgw_rt_producer_t *prod;
  /* Control-thread state. */
  uint32_t state;     /* FIXGW__RT_* */
  fixgw_rt_config_t cfg;
  char name[16];
  fixgw_cpuset_t cpus;
  fixgw_thread_t thr;
  fixgw_allocator_t alloc;
  void *mem;
  /* Sender side. */
  fixgw__rt_level_t lvl[FIXGW__RT_NLEV];
  fixgw_hist_t *hist; /* FIXGW__RT_NLEV of them */
};

/* Return m to its pool after drop_cb(m, reason), counting it as dropped
 * (reason FIXGW_ESTOPPED) or as a write error. Sender or stopper only. */
void fixgw__rt_release_unsent(fixgw_rt_t *rt, fixgw_msgbuf_t *m, unsigned lv,
                              int reason);

#endif
