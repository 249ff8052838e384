/*
 * Gateway life cycle, message headers, post, inbound hand-over, stats and
 * the Prometheus export. The I/O thread and stop live in io.c.
 */
#define _GNU_SOURCE /* sched_yield, pthread_equal with -std=c11 */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "gw_internal.h"
#include "internal.h"

#define GW_HDR_BEGUN 0x42u /* flags_ between msg_begin and msg_end */

static int is_pow2(uint32_t v) { return v >= 2 && (v & (v - 1)) == 0; }

/* ------------------------------------------------------------ messages */

static int check_type(const char *msgtype, size_t *n) {
  if (!msgtype) return FIXGW_EINVAL;
  size_t l = strlen(msgtype);
  if (l == 0 || l > FIXGW_GW_MSGTYPE_MAX || memchr(msgtype, FIXGW_SOH, l)) return FIXGW_EINVAL;
  *n = l;
  return 0;
}

static void hdr_init(fixgw_gw_hdr_t *h, uint32_t session, const char *msgtype, size_t tl) {
  memset(h, 0, sizeof *h);
  h->session = session;
  memcpy(h->msgtype, msgtype, tl);
}

int fixgw_gw_msg_set(fixgw_msgbuf_t *m, uint32_t session, const char *msgtype,
                     const char *body, size_t len) {
  size_t tl;
  if (!m || check_type(msgtype, &tl) || (!body && len)) return FIXGW_EINVAL;
  if (m->cap < FIXGW_GW_HDR_SIZE || len > m->cap - FIXGW_GW_HDR_SIZE) return FIXGW_ENOSPC;
  fixgw_gw_hdr_t *h = fixgw_gw_hdr(m);
  hdr_init(h, session, msgtype, tl);
  h->body_off = FIXGW_GW_HDR_SIZE;
  h->body_len = (uint32_t)len;
  if (len) memcpy(fixgw_msgbuf_data(m) + FIXGW_GW_HDR_SIZE, body, len);
  m->len = (uint32_t)(FIXGW_GW_HDR_SIZE + len);
  return 0;
}

int fixgw_gw_msg_begin(fixgw_msgbuf_t *m, uint32_t session, const char *msgtype,
                       fixgw_encoder_t *enc) {
  size_t tl;
  if (!m || !enc || check_type(msgtype, &tl)) return FIXGW_EINVAL;
  if (m->cap < FIXGW_GW_HDR_SIZE) return FIXGW_ENOSPC;
  /* The encoder writes "35=<type>" after its headroom; the body is what
   * the appenders add after that. Its BeginString is never written (no
   * finish), so a literal does. */
  char *area = (char *)fixgw_msgbuf_data(m) + FIXGW_GW_HDR_SIZE;
  int rc = fixgw_enc_begin(enc, area, m->cap - FIXGW_GW_HDR_SIZE, "FIX.4.4", msgtype);
  if (rc) return rc;
  fixgw_gw_hdr_t *h = fixgw_gw_hdr(m);
  hdr_init(h, session, msgtype, tl);
  h->body_off = (uint32_t)(FIXGW_GW_HDR_SIZE + enc->pos);
  h->flags_ = GW_HDR_BEGUN;
  return 0;
}

int fixgw_gw_msg_end(fixgw_msgbuf_t *m, fixgw_encoder_t *enc) {
  if (!m || !enc) return FIXGW_EINVAL;
  fixgw_gw_hdr_t *h = fixgw_gw_hdr(m);
  if (h->flags_ != GW_HDR_BEGUN || enc->buf != (char *)fixgw_msgbuf_data(m) + FIXGW_GW_HDR_SIZE)
    return FIXGW_ESTATE;
  h->flags_ = 0;
  if (enc->err) return enc->err;
  h->body_len = (uint32_t)(FIXGW_GW_HDR_SIZE + enc->pos - h->body_off);
  m->len = (uint32_t)(FIXGW_GW_HDR_SIZE + enc->pos);
  return 0;
}

/* ------------------------------------------------------------ lifecycle */

void fixgw_gw_config_default(fixgw_gw_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
  fixgw_prio_config_default(&cfg->prio);
  cfg->max_sessions = 16;
  cfg->inbound_buffers = 256;
  cfg->inflight = 1024;
  cfg->batch = 16;
  cfg->stall_ms = 1000;
  cfg->spin = false;
  cfg->idle_sleep_ms = 100;
  cfg->cpu = -1;
  cfg->max_connections = 64;
}

void fixgw_gw_session_opts_default(fixgw_gw_session_opts_t *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
}

static size_t up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

int fixgw_gw_create(const fixgw_gw_config_t *cfg, fixgw_gw_t **out) {
  if (!out) return FIXGW_EINVAL;
  *out = NULL;
  if (!cfg || cfg->size < sizeof *cfg || cfg->max_sessions == 0 ||
      cfg->max_sessions > (1u << 16) || !is_pow2(cfg->inbound_buffers) ||
      cfg->inbound_buffers > (1u << 20) || !is_pow2(cfg->inflight) ||
      cfg->inflight > (1u << 20) || cfg->batch == 0 || cfg->batch > 1024 ||
      cfg->cpu >= FIXGW_CPU_MAX || cfg->prio.max_producers == 0 || cfg->max_connections == 0)
    return FIXGW_EINVAL;
  const fixgw_allocator_t *a = cfg->allocator;
  uint32_t np = cfg->prio.max_producers;
  size_t off_prod = up(sizeof(fixgw_gw_t), GW_LINE);
  size_t off_sess = off_prod + up(sizeof(fixgw_gw_producer_t) * (size_t)np, GW_LINE);
  size_t off_hist = off_sess + up(sizeof(gw_sess_t) * (size_t)cfg->max_sessions, GW_LINE);
  size_t total = off_hist + sizeof(fixgw_hist_t) * GW_NLEV + GW_LINE;
  void *mem = fixgw__alloc(a, total);
  if (!mem) return FIXGW_ENOMEM;
  char *base = (char *)up((uintptr_t)mem, GW_LINE);
  fixgw_gw_t *gw = (fixgw_gw_t *)(void *)base;
  memset(gw, 0, sizeof *gw);
  gw->cfg = *cfg;
  if (a) {
    gw->alloc = *a;
    gw->ap = &gw->alloc;
  }
  gw->cfg.allocator = gw->ap;
  gw->prod = (fixgw_gw_producer_t *)(void *)(base + off_prod);
  memset(gw->prod, 0, sizeof(fixgw_gw_producer_t) * (size_t)np);
  gw->max_prod = np;
  gw->sess = (gw_sess_t *)(void *)(base + off_sess);
  memset(gw->sess, 0, sizeof(gw_sess_t) * (size_t)cfg->max_sessions);
  gw->hist = (fixgw_hist_t *)(void *)(base + off_hist);
  for (unsigned l = 0; l < GW_NLEV; l++) fixgw_hist_reset(&gw->hist[l]);
  const char *name = cfg->thread_name ? cfg->thread_name : "fixgw-gw";
  size_t n = strlen(name);
  if (n > sizeof gw->name - 1) n = sizeof gw->name - 1;
  memcpy(gw->name, name, n);
  gw->cfg.thread_name = gw->name;
  fixgw_cpuset_zero(&gw->cpus);
  if (cfg->cpu >= 0) (void)fixgw_cpuset_add(&gw->cpus, cfg->cpu);
  if (cfg->clock)
    gw->clock = *cfg->clock;
  else
    (void)fixgw_clock_init(&gw->clock, 0); /* FIXGW_ENOTSUP: mono fallback */
  gw->cfg.clock = NULL;

  int rc = fixgw_prio_create(&gw->set, &cfg->prio, a);
  if (rc == 0) {
    fixgw_loop_config_t lc;
    fixgw_loop_config_default(&lc);
    lc.max_connections = cfg->max_connections;
    lc.max_sessions = cfg->max_sessions;
    lc.busy_poll = cfg->spin;
    lc.on_log = cfg->on_log;
    lc.user = cfg->log_user;
    lc.allocator = a;
    rc = fixgw_loop_create(&lc, &gw->loop);
  }
  if (rc == 0) rc = fixgw_router_create(cfg->max_sessions, a, &gw->router);
  if (rc != 0) {
    fixgw_router_destroy(gw->router);
    fixgw_loop_destroy(gw->loop);
    fixgw_prio_destroy(gw->set);
    fixgw__free(a, mem);
    return rc;
  }
  gw->state = GW_CREATED;
  gw->mem = mem;
  *out = gw;
  return 0;
}

static void sess_free(fixgw_gw_t *gw, gw_sess_t *gs) {
  if (gs->s) fixgw_session_destroy(gs->s);
  gs->s = NULL;
  /* The spare and what the ring still holds are the pool's own buffers:
   * the pool's memory goes at once. */
  if (gs->inring_ok) fixgw_ring_mpmc_destroy(&gs->inring);
  if (gs->inpool_ok) fixgw_msgpool_destroy(&gs->inpool);
  fixgw__free(gw->ap, gs->inf);
  gs->inf = NULL;
  gs->inring_ok = gs->inpool_ok = false;
}

int fixgw_gw_add_session(fixgw_gw_t *gw, const fixgw_gw_session_opts_t *o, uint32_t *index) {
  if (!gw || !o || o->size < sizeof *o || !o->session) return FIXGW_EINVAL;
  if (gw->state != GW_CREATED) return FIXGW_ESTATE;
  const bool acceptor = o->session->role == FIXGW_ACCEPTOR;
  if (!acceptor && (!o->hosts || o->hosts->count == 0)) return FIXGW_EINVAL;
  if (gw->nsess == gw->cfg.max_sessions) return FIXGW_EFULL;
  gw_sess_t *gs = &gw->sess[gw->nsess];
  memset(gs, 0, sizeof *gs);
  gs->gw = gw;
  gs->index = gw->nsess;
  gs->acceptor = acceptor;
  if (o->cb) {
    size_t n = o->cb->size && o->cb->size < sizeof gs->host_cb ? o->cb->size : sizeof gs->host_cb;
    memcpy(&gs->host_cb, o->cb, n);
  }
  gs->host_user = o->user;
  uint32_t nin = gw->cfg.inbound_buffers;
  uint32_t max_msg = o->session->max_msg_size ? o->session->max_msg_size : 16384;
  int rc = FIXGW_ENOMEM;
  gs->inf = fixgw__alloc(gw->ap, sizeof(gw_inflight_t) * (size_t)gw->cfg.inflight);
  if (!gs->inf) goto fail;
  gs->inf_mask = gw->cfg.inflight - 1;
  rc = fixgw_msgpool_init(&gs->inpool, FIXGW_GW_HDR_SIZE + max_msg, nin, 0, gw->ap);
  if (rc) goto fail;
  gs->inpool_ok = true;
  /* One more slot than buffers: the ring can never be full. */
  rc = fixgw_ring_mpmc_init(&gs->inring, nin * 2, NULL, gw->ap);
  if (rc) goto fail;
  gs->inring_ok = true;
  gs->spare = fixgw_msgbuf_get(&gs->inpool);
  fixgw_session_callbacks_t cb;
  fixgw__gw_callbacks(&cb);
  rc = fixgw_session_create(o->session, &cb, gs, &gs->s);
  if (rc) goto fail;
  if (acceptor) {
    rc = fixgw_router_add(gw->router, &o->session->id, gs->s);
    if (rc == 0) gw->nacceptors++;
  } else {
    rc = fixgw_net_initiator_add(gw->loop, gs->s, o->hosts, o->reconnect_interval_s, o->init);
  }
  if (rc) goto fail;
  if (index) *index = gw->nsess;
  gw->nsess++;
  return 0;
fail:
  sess_free(gw, gs);
  return rc;
}

int fixgw_gw_listen(fixgw_gw_t *gw, const char *host, uint16_t port, uint16_t *bound_port,
                    const fixgw_net_sock_opts_t *sock) {
  if (!gw || !host) return FIXGW_EINVAL;
  if (gw->state != GW_CREATED) return FIXGW_ESTATE;
  fixgw_net_acceptor_opts_t ao;
  fixgw_net_acceptor_opts_default(&ao);
  ao.router = gw->router;
  if (sock) ao.sock = *sock;
  return fixgw_net_acceptor_listen(gw->loop, host, port, bound_port, &ao);
}

int fixgw_gw_start(fixgw_gw_t *gw, fixgw_thread_result_t *res) {
  if (!gw) return FIXGW_EINVAL;
  if (gw->state != GW_CREATED) return FIXGW_ESTATE;
  fixgw_thread_config_t tc;
  memset(&tc, 0, sizeof tc);
  tc.name = gw->name;
  tc.cpus = gw->cfg.cpu >= 0 ? &gw->cpus : NULL;
  tc.rt_priority = gw->cfg.rt_priority;
  tc.wait.kind = FIXGW_WAIT_BLOCK; /* unused: the thread idles in epoll */
  int rc = fixgw_thread_start(&gw->thr, &tc, fixgw__gw_io_main, gw, res);
  if (rc) return rc;
  gw->state = GW_RUNNING;
  return 0;
}

int fixgw_gw_stop(fixgw_gw_t *gw, uint32_t drain_ms) {
  if (!gw) return FIXGW_EINVAL;
  if (gw->state == GW_STOPPED) return FIXGW_ESTATE;
  if (gw->state == GW_RUNNING && pthread_equal(pthread_self(), gw->thr.tid)) return FIXGW_ESTATE;
  /* 1. Close; the fence orders closed = 1 before our reads of nprod and
   * of each producer's active flag (Dekker with fixgw_gw_post, as rt). */
  __atomic_store_n(&gw->closed, 1, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  /* 2. Wait out posts in progress (bounded by a BACKOFF bound or a
   * producer's preemption). Acquire: their enqueue before we go on. */
  uint32_t np = __atomic_load_n(&gw->nprod, __ATOMIC_RELAXED);
  for (uint32_t i = 0; i < np; i++) {
    unsigned spins = 0;
    while (__atomic_load_n(&gw->prod[i].active, __ATOMIC_ACQUIRE)) {
      if (++spins < 64)
        fixgw_cpu_relax();
      else
        sched_yield();
    }
  }
  int rc = 0;
  if (gw->state == GW_RUNNING) {
    /* 3. The I/O thread drains, logs out and returns; the thread layer's
     * stop request (a release) publishes drain_ms and every accepted post. */
    gw->drain_ms = drain_ms ? drain_ms : 2000;
    fixgw_thread_stop(&gw->thr);
    fixgw_loop_wake(gw->loop);
    rc = fixgw_thread_join(&gw->thr);
  }
  gw->state = GW_STOPPED;
  /* 4. Never started (or joined): this thread is the consumer now. */
  void *v;
  fixgw_prio_t lv;
  uint64_t now = fixgw_clock_now_ns(&gw->clock);
  while (rc == 0 && fixgw_prio_poll(gw->set, &v, &lv) == 0)
    fixgw__gw_complete(gw, (fixgw_msgbuf_t *)v, (uint32_t)lv, FIXGW_ESTOPPED, now);
  return rc;
}

void fixgw_gw_destroy(fixgw_gw_t *gw) {
  if (!gw) return;
  if (gw->state != GW_STOPPED) (void)fixgw_gw_stop(gw, 0);
  /* The loop first: it disconnects the sessions it drives. */
  fixgw_loop_destroy(gw->loop);
  for (uint32_t i = 0; i < gw->nsess; i++) sess_free(gw, &gw->sess[i]);
  fixgw_router_destroy(gw->router);
  fixgw_prio_destroy(gw->set);
  fixgw_allocator_t a = gw->alloc;
  const fixgw_allocator_t *ap = gw->ap ? &a : NULL;
  fixgw__free(ap, gw->mem);
}

/* ------------------------------------------------------------- posting */

int fixgw_gw_register(fixgw_gw_t *gw, fixgw_gw_producer_t **out) {
  if (!gw || !out) return FIXGW_EINVAL;
  uint32_t n = __atomic_load_n(&gw->nprod, __ATOMIC_RELAXED);
  do {
    if (n >= gw->max_prod) return FIXGW_EFULL;
    /* Relaxed: the slot reaches the stopper through the release store
     * that ends each of this producer's posts, not through this count. */
  } while (!__atomic_compare_exchange_n(&gw->nprod, &n, n + 1, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED));
  fixgw_gw_producer_t *p = &gw->prod[n];
  int rc = fixgw_prio_register(gw->set, &p->prod);
  if (rc) return rc; /* cannot happen: the same bound as nprod */
  p->gw = gw;
  *out = p;
  return 0;
}

/* Wake the I/O thread if it announced a sleep. The caller published its
 * work before; the full fence orders that before our load of sleeping and
 * pairs with the I/O thread's fence between sleeping = 1 and its last look
 * at the rings (so one side sees the other). The exchange makes one waker
 * pay the eventfd write. */
static void wake_io(fixgw_gw_t *gw) {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (__atomic_load_n(&gw->sleeping, __ATOMIC_RELAXED) &&
      __atomic_exchange_n(&gw->sleeping, 0, __ATOMIC_RELAXED))
    fixgw_loop_wake(gw->loop);
}

int fixgw_gw_post(fixgw_gw_producer_t *p, fixgw_prio_t level, fixgw_msgbuf_t *m) {
  if (FIXGW_UNLIKELY(!p || !m || (unsigned)level >= GW_NLEV || !m->pool ||
                     m->len > m->cap || m->len < FIXGW_GW_HDR_SIZE))
    return FIXGW_EINVAL;
  const fixgw_gw_hdr_t *h = fixgw_gw_hdr_c(m);
  if (FIXGW_UNLIKELY(h->body_off < FIXGW_GW_HDR_SIZE || h->body_off > m->len ||
                     h->body_len > m->len - h->body_off))
    return FIXGW_EINVAL;
  fixgw_gw_t *gw = p->gw;
  /* Announce, then look at closed: see fixgw_gw_stop. */
  __atomic_store_n(&p->active, 1, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (FIXGW_UNLIKELY(__atomic_load_n(&gw->closed, __ATOMIC_RELAXED))) {
    __atomic_store_n(&p->active, 0, __ATOMIC_RELAXED);
    return FIXGW_ESTOPPED;
  }
  m->priority = (uint8_t)level;
  m->enqueue_ns = fixgw_clock_now_ns(&gw->clock);
  /* The ring's enqueue publishes m's contents to the I/O thread. */
  int rc = fixgw_prio_post(p->prod, level, m);
  if (rc == 0 && !gw->cfg.spin) wake_io(gw);
  /* Release: our enqueue (and wake) before a waiting stopper goes on. */
  __atomic_store_n(&p->active, 0, __ATOMIC_RELEASE);
  return rc;
}

/* ------------------------------------------------------------- inbound */

int fixgw_gw_recv(fixgw_gw_t *gw, uint32_t session, fixgw_msgbuf_t **out) {
  if (!gw || !out || session >= gw->nsess) return FIXGW_EINVAL;
  void *v;
  int rc = fixgw_ring_mpmc_dequeue(&gw->sess[session].inring, &v);
  if (rc) return rc;
  *out = v;
  return 0;
}

int fixgw_gw_release(fixgw_gw_t *gw, fixgw_msgbuf_t *m) {
  if (!gw || !m || !m->pool) return FIXGW_EINVAL;
  const fixgw_gw_hdr_t *h = fixgw_gw_hdr_c(m);
  if (h->session >= gw->nsess || m->pool != &gw->sess[h->session].inpool) return FIXGW_EINVAL;
  gw_sess_t *gs = &gw->sess[h->session];
  int rc = fixgw_msgbuf_put_remote(m);
  if (rc) return rc;
  if (__atomic_load_n(&gs->held, __ATOMIC_RELAXED)) {
    __atomic_store_n(&gw->released, 1, __ATOMIC_RELAXED);
    wake_io(gw);
  }
  return 0;
}

/* ------------------------------------------------------------- queries */

bool fixgw_gw_logged_on(const fixgw_gw_t *gw, uint32_t session) {
  if (!gw || session >= gw->nsess) return false;
  return __atomic_load_n(&gw->sess[session].logged_on, __ATOMIC_ACQUIRE) != 0;
}

int fixgw_gw_stats(const fixgw_gw_t *gw, fixgw_gw_stats_t *out) {
  if (!gw || !out) return FIXGW_EINVAL;
  memset(out, 0, sizeof *out);
  for (unsigned l = 0; l < GW_NLEV; l++) {
    fixgw_gw_level_stats_t *o = &out->level[l];
    fixgw_prio_level_stats_t ps;
    if (fixgw_prio_stats(gw->set, (fixgw_prio_t)l, &ps) == 0) {
      o->posted = ps.posted;
      o->rejected = ps.rejected;
      o->backoffs = ps.backoffs;
      o->aged = ps.aged;
      o->depth = ps.depth;
    }
    o->sent = fixgw_metric_read(&gw->lvl[l].sent);
    o->failed = fixgw_metric_read(&gw->lvl[l].failed);
    o->bytes = fixgw_metric_read(&gw->lvl[l].bytes);
  }
  out->inbound = fixgw_metric_read(&gw->inbound);
  out->inbound_refused = fixgw_metric_read(&gw->inbound_refused);
  out->holds = fixgw_metric_read(&gw->holds);
  out->stalls = fixgw_metric_read(&gw->stalls);
  out->turns = fixgw_metric_read(&gw->turns);
  out->sent_per_s = fixgw_metric_read(&gw->sent_per_s);
  out->inflight = (uint32_t)fixgw_metric_read(&gw->inflight_now);
  for (uint32_t i = 0; i < gw->nsess; i++)
    out->inbound_depth += fixgw_ring_mpmc_count(&gw->sess[i].inring);
  return 0;
}

const fixgw_hist_t *fixgw_gw_latency(const fixgw_gw_t *gw, fixgw_prio_t level) {
  if (!gw || (unsigned)level >= GW_NLEV) return NULL;
  return &gw->hist[level];
}

const fixgw_clock_t *fixgw_gw_clock(const fixgw_gw_t *gw) { return gw ? &gw->clock : NULL; }

int fixgw_gw_prom(const fixgw_gw_t *gw, fixgw_prom_t *w) {
  if (!gw || !w) return FIXGW_EINVAL;
  static const char *const names[GW_NLEV] = {"critical", "high", "normal", "low"};
  fixgw_gw_stats_t st;
  fixgw_gw_stats(gw, &st);
  const fixgw_hist_t *h[GW_NLEV];
  fixgw_counters_t c[GW_NLEV];
  const fixgw_counters_t *cp[GW_NLEV];
  for (unsigned l = 0; l < GW_NLEV; l++) {
    h[l] = &gw->hist[l];
    memset(&c[l], 0, sizeof c[l]);
    /* The common counter set (metrics.h), per priority: sent and their
     * bytes, failed outcomes as drops, refused posts (full ring) as
     * exhaustion, the ring depth. */
    c[l].msgs_out = st.level[l].sent;
    c[l].bytes_out = st.level[l].bytes;
    c[l].drops = st.level[l].failed;
    c[l].pool_exhausted = st.level[l].rejected;
    c[l].queue_depth = st.level[l].depth;
    cp[l] = &c[l];
  }
  int rc = fixgw_prom_summary(w, "fixgw_gw_queue_to_wire_seconds",
                              "Post to socket write, per priority", "priority", names, h,
                              GW_NLEV, 1e9);
  if (rc && rc != FIXGW_ENOSPC) return rc;
  int rc2 = fixgw_prom_counters(w, "priority", names, cp, GW_NLEV);
  if (rc2 && rc2 != FIXGW_ENOSPC) return rc2;
  return w->err;
}
