/*
 * The gateway's I/O thread: take messages from the priority rings, queue
 * them in their sessions, flush, time the writes; the session callbacks
 * that ring inbound application messages; and the drain at stop.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gw_internal.h"

#define NS_PER_MS 1000000ull

/* A message ends its wait at the head with one of these. */
enum { SUBMIT_QUEUED = 0, SUBMIT_WAIT = 1, SUBMIT_FAILED = 2 };

static fixgw_now_t now_of(uint64_t mono_ns) {
  struct timespec r;
  clock_gettime(CLOCK_REALTIME, &r);
  fixgw_now_t n = {mono_ns, (int64_t)r.tv_sec * 1000000000 + (int64_t)r.tv_nsec};
  return n;
}

void fixgw__gw_complete(fixgw_gw_t *gw, fixgw_msgbuf_t *m, uint32_t level, int result,
                        uint64_t now) {
  gw_level_t *l = &gw->lvl[level];
  if (result == 0) {
    /* A negative difference (TSC skew between cores) is recorded as 0
     * and counted as underflow by the histogram. */
    fixgw_hist_record(&gw->hist[level], (int64_t)(now - m->enqueue_ns));
    fixgw_counter_add(&l->bytes, fixgw_gw_hdr(m)->body_len);
    fixgw_counter_add(&l->sent, 1);
  } else {
    fixgw_counter_add(&l->failed, 1);
  }
  if (gw->cfg.on_done) gw->cfg.on_done(gw->cfg.user, m, result);
  /* put_remote orders our reads of m before its owner may reuse it. A
   * refusal (checked pool, foreign buffer) leaves it with nobody: it was
   * the poster's pool that refused its own buffer. */
  (void)fixgw_msgbuf_put_remote(m);
}

/* --------------------------------------------------------- in flight */

static uint32_t inf_count(const gw_sess_t *gs) { return gs->inf_tail - gs->inf_head; }

/* Complete what the session has written; after a lost connection, fail
 * the rest (they are stored with their numbers: a resend brings them). */
static void account(fixgw_gw_t *gw, gw_sess_t *gs) {
  if (gs->inf_head == gs->inf_tail) {
    gs->conn_lost = false;
    return;
  }
  uint64_t written = fixgw_session_stats(gs->s)->bytes_out;
  uint64_t now = fixgw_clock_now_ns(&gw->clock);
  uint32_t done = 0;
  while (gs->inf_head != gs->inf_tail) {
    gw_inflight_t *f = &gs->inf[gs->inf_head & gs->inf_mask];
    if (f->end > written) break;
    fixgw__gw_complete(gw, f->m, f->level, 0, now);
    gs->inf_head++;
    done++;
  }
  if (gs->conn_lost) {
    while (gs->inf_head != gs->inf_tail) {
      gw_inflight_t *f = &gs->inf[gs->inf_head & gs->inf_mask];
      fixgw__gw_complete(gw, f->m, f->level, FIXGW_EIO, now);
      gs->inf_head++;
      done++;
    }
    gs->conn_lost = false;
  }
  if (done) fixgw_gauge_set(&gw->inflight_now, fixgw_metric_read(&gw->inflight_now) - done);
}

static void account_all(fixgw_gw_t *gw) {
  for (uint32_t i = 0; i < gw->nsess; i++) account(gw, &gw->sess[i]);
}

/* Write what was queued in each touched session, then time it. */
static void flush_touched(fixgw_gw_t *gw) {
  for (uint32_t i = 0; i < gw->nsess; i++) {
    gw_sess_t *gs = &gw->sess[i];
    if (!gs->touched) continue;
    gs->touched = false;
    (void)fixgw_loop_flush(gw->loop, gs->s); /* ENOTFOUND: closed meanwhile */
    account(gw, gs);
  }
}

/* ------------------------------------------------------------- submit */

/* Queue m in its session. SUBMIT_WAIT leaves the reason in *why. */
static int submit(fixgw_gw_t *gw, fixgw_msgbuf_t *m, uint32_t level, uint64_t now, int *why) {
  fixgw_gw_hdr_t *h = fixgw_gw_hdr(m);
  if (h->session >= gw->nsess || h->msgtype[0] == 0 ||
      memchr(h->msgtype, 0, sizeof h->msgtype) == NULL) {
    fixgw__gw_complete(gw, m, level, FIXGW_EINVAL, now);
    return SUBMIT_FAILED;
  }
  gw_sess_t *gs = &gw->sess[h->session];
  if (!fixgw_session_is_logged_on(gs->s)) {
    *why = FIXGW_ESTATE;
    return SUBMIT_WAIT;
  }
  if (inf_count(gs) > gs->inf_mask) {
    gs->touched = true;
    *why = FIXGW_EFULL;
    return SUBMIT_WAIT;
  }
  uint64_t seq = 0;
  const char *body = (const char *)fixgw_msgbuf_data(m) + h->body_off;
  int rc = fixgw_session_send_body(gs->s, h->msgtype, body, h->body_len, NULL, now_of(now), &seq);
  if (rc == FIXGW_EAGAIN) {
    gs->touched = true; /* a flush makes the room */
    *why = FIXGW_EFULL;
    return SUBMIT_WAIT;
  }
  if (rc) {
    fixgw__gw_complete(gw, m, level, rc, now);
    return SUBMIT_FAILED;
  }
  h->seq = seq;
  const char *p;
  size_t pending = 0;
  (void)fixgw_session_pending(gs->s, &p, &pending);
  gw_inflight_t *f = &gs->inf[gs->inf_tail & gs->inf_mask];
  f->m = m;
  f->level = level;
  /* Our last byte's position in the session's output stream. */
  f->end = fixgw_session_stats(gs->s)->bytes_out + pending;
  gs->inf_tail++;
  gs->touched = true;
  fixgw_gauge_set(&gw->inflight_now, fixgw_metric_read(&gw->inflight_now) + 1);
  return SUBMIT_QUEUED;
}

/* Take up to batch messages by priority into their sessions and flush.
 * stopping: a session that is not logged on fails its messages at once.
 * Returns how many messages were handled. */
static uint32_t drain(fixgw_gw_t *gw, bool stopping) {
  uint32_t n = 0;
  uint64_t now = fixgw_clock_now_ns(&gw->clock);
  while (n < gw->cfg.batch) {
    if (!gw->head) {
      void *v;
      fixgw_prio_t lv;
      if (fixgw_prio_poll(gw->set, &v, &lv) != 0) break;
      gw->head = v;
      gw->head_level = (uint32_t)lv;
      gw->head_since = 0;
    }
    int why = 0;
    int r = submit(gw, gw->head, gw->head_level, now, &why);
    if (r == SUBMIT_WAIT) {
      if (gw->head_since == 0) {
        gw->head_since = now ? now : 1;
        fixgw_counter_add(&gw->stalls, 1);
      }
      uint64_t bound = (uint64_t)gw->cfg.stall_ms * NS_PER_MS;
      if (stopping && why == FIXGW_ESTATE) bound = 0;
      if (now - gw->head_since < bound) break;
      fixgw__gw_complete(gw, gw->head, gw->head_level, why, now);
    }
    uint32_t lv = gw->head_level;
    gw->head = NULL;
    n++;
    /* Urgent: on the wire now, not after the rest of a batch. */
    if (r == SUBMIT_QUEUED && lv <= FIXGW_PRIO_HIGH) break;
  }
  flush_touched(gw);
  return n;
}

/* Sessions held for want of inbound buffers read again once one is back. */
static void resume_held(fixgw_gw_t *gw) {
  /* Cleared even when nothing is held any more (a hold that went with its
   * connection), or a block-mode turn would never sleep again. */
  if (__atomic_load_n(&gw->released, __ATOMIC_RELAXED))
    __atomic_store_n(&gw->released, 0, __ATOMIC_RELAXED);
  if (gw->nheld == 0) return;
  for (uint32_t i = 0; i < gw->nsess; i++) {
    gw_sess_t *gs = &gw->sess[i];
    if (!gs->held) continue;
    if (!gs->spare) gs->spare = fixgw_msgbuf_get(&gs->inpool);
    if (!gs->spare) continue;
    __atomic_store_n(&gs->held, 0, __ATOMIC_RELAXED);
    gw->nheld--;
    (void)fixgw_loop_hold_input(gw->loop, gs->s, false); /* ENOTFOUND: gone */
  }
}

static void rate_update(fixgw_gw_t *gw) {
  uint64_t now = fixgw_clock_now_ns(&gw->clock);
  if (gw->rate_t0 == 0) gw->rate_t0 = now;
  if (now - gw->rate_t0 < 1000 * NS_PER_MS) return;
  uint64_t sent = 0;
  for (unsigned l = 0; l < GW_NLEV; l++) sent += gw->lvl[l].sent;
  fixgw_gauge_set(&gw->sent_per_s, (sent - gw->rate_n0) * 1000000000ull / (now - gw->rate_t0));
  gw->rate_t0 = now;
  gw->rate_n0 = sent;
}

/* One turn: drain, let sessions read again, one loop turn (waiting when
 * there is nothing to do), time what the loop wrote. */
static void turn(fixgw_gw_t *gw, bool stopping) {
  fixgw_counter_add(&gw->turns, 1);
  uint32_t n = drain(gw, stopping);
  resume_held(gw);
  int timeout = 0;
  if (!gw->cfg.spin && n == 0) {
    if (gw->head) {
      timeout = 1; /* waiting for a Logon or room: look again soon */
    } else {
      /* Announce the sleep, then look once more (pairs with wake_io). */
      __atomic_store_n(&gw->sleeping, 1, __ATOMIC_RELAXED);
      __atomic_thread_fence(__ATOMIC_SEQ_CST);
      void *v;
      fixgw_prio_t lv;
      if (fixgw_prio_poll(gw->set, &v, &lv) == 0) {
        gw->head = v;
        gw->head_level = (uint32_t)lv;
        gw->head_since = 0;
      } else if (!__atomic_load_n(&gw->released, __ATOMIC_RELAXED) &&
                 !fixgw_thread_stop_requested(&gw->thr)) {
        timeout = stopping ? 10 : (int)gw->cfg.idle_sleep_ms;
      }
    }
  }
  (void)fixgw_loop_run_once(gw->loop, timeout);
  __atomic_store_n(&gw->sleeping, 0, __ATOMIC_RELAXED);
  account_all(gw);
  rate_update(gw);
}

static bool rings_empty(fixgw_gw_t *gw) {
  if (gw->head) return false;
  void *v;
  fixgw_prio_t lv;
  if (fixgw_prio_poll(gw->set, &v, &lv) != 0) return true;
  gw->head = v;
  gw->head_level = (uint32_t)lv;
  gw->head_since = 0;
  return false;
}

static bool inflight_empty(const fixgw_gw_t *gw) {
  for (uint32_t i = 0; i < gw->nsess; i++)
    if (inf_count(&gw->sess[i])) return false;
  return true;
}

/* After the stop request: posting is closed and every accepted post is in
 * the rings. Send them, wait for the writes, log out, fail the rest. */
static void shutdown_io(fixgw_gw_t *gw) {
  uint64_t deadline = fixgw_clock_now_ns(&gw->clock) + (uint64_t)gw->drain_ms * NS_PER_MS;
  while (fixgw_clock_now_ns(&gw->clock) < deadline) {
    turn(gw, true);
    if (rings_empty(gw) && inflight_empty(gw)) break;
  }
  (void)fixgw_loop_logout_all(gw->loop, "gateway stopping");
  while (fixgw_clock_now_ns(&gw->clock) < deadline && fixgw_loop_stats(gw->loop)->attached) {
    resume_held(gw);
    (void)fixgw_loop_run_once(gw->loop, 10);
    account_all(gw);
  }
  uint64_t now = fixgw_clock_now_ns(&gw->clock);
  for (uint32_t i = 0; i < gw->nsess; i++) {
    gw->sess[i].conn_lost = true; /* nothing unwritten will be written now */
    account(gw, &gw->sess[i]);
  }
  if (gw->head) fixgw__gw_complete(gw, gw->head, gw->head_level, FIXGW_ESTOPPED, now);
  gw->head = NULL;
  void *v;
  fixgw_prio_t lv;
  while (fixgw_prio_poll(gw->set, &v, &lv) == 0)
    fixgw__gw_complete(gw, (fixgw_msgbuf_t *)v, (uint32_t)lv, FIXGW_ESTOPPED, now);
}

void fixgw__gw_io_main(fixgw_thread_t *self, void *arg) {
  fixgw_gw_t *gw = arg;
  while (!fixgw_thread_stop_requested(self)) turn(gw, false);
  shutdown_io(gw);
}

/* ---------------------------------------------------------- callbacks */

static void refuse_log(gw_sess_t *gs, const char *what) {
  if (gs->host_cb.on_log)
    gs->host_cb.on_log(gs->s, FIXGW_LOG_ERROR, what, gs->host_user);
}

static int on_app(fixgw_session_t *s, const fixgw_msg_t *msg, void *user) {
  gw_sess_t *gs = user;
  fixgw_gw_t *gw = gs->gw;
  fixgw_msgbuf_t *m = gs->spare;
  if (!m) m = gs->spare = fixgw_msgbuf_get(&gs->inpool);
  if (!m || msg->len > m->cap - FIXGW_GW_HDR_SIZE) {
    /* A new connection found no buffer (the hold belongs to the last
     * one), or a message over max_msg_size: refused visibly, to the peer
     * and in the count, never dropped in silence. */
    fixgw_counter_add(&gw->inbound_refused, 1);
    refuse_log(gs, "gateway: no inbound buffer: message refused");
    return FIXGW_CB_UNSUPPORTED;
  }
  fixgw_gw_hdr_t *h = fixgw_gw_hdr(m);
  memset(h, 0, sizeof *h);
  h->session = gs->index;
  h->body_off = FIXGW_GW_HDR_SIZE;
  h->body_len = msg->len;
  /* on_app runs before the session counts the message in. */
  h->seq = fixgw_session_next_target_seq(s);
  size_t tl = msg->msgtype.len < sizeof h->msgtype - 1 ? msg->msgtype.len : sizeof h->msgtype - 1;
  memcpy(h->msgtype, msg->msgtype.ptr, tl);
  memcpy((char *)fixgw_msgbuf_data(m) + FIXGW_GW_HDR_SIZE, msg->buf, msg->len);
  m->len = FIXGW_GW_HDR_SIZE + msg->len;
  m->enqueue_ns = fixgw_clock_now_ns(&gw->clock);
  /* Cannot fail: the ring has a slot more than the pool has buffers. Its
   * enqueue publishes the copy to the consumer. */
  (void)fixgw_ring_mpmc_enqueue(&gs->inring, m);
  fixgw_counter_add(&gw->inbound, 1);
  gs->spare = fixgw_msgbuf_get(&gs->inpool);
  if (gs->spare) return FIXGW_CB_OK;
  /* Every buffer is with the application: read nothing more until one
   * comes back (resume_held). */
  __atomic_store_n(&gs->held, 1, __ATOMIC_RELAXED);
  gw->nheld++;
  fixgw_counter_add(&gw->holds, 1);
  (void)fixgw_loop_hold_input(gw->loop, s, true);
  return FIXGW_CB_PAUSE;
}

static void on_state(fixgw_session_t *s, fixgw_session_state from, fixgw_session_state to,
                     void *user) {
  gw_sess_t *gs = user;
  /* Release: what the session did up to its Logon before a poster that
   * saw logged_on acts (nothing is published through it; order only). */
  __atomic_store_n(&gs->logged_on, to == FIXGW_SS_ACTIVE, __ATOMIC_RELEASE);
  if (to == FIXGW_SS_DISCONNECTED) gs->conn_lost = true;
  if (to == FIXGW_SS_DISCONNECTED && gs->held) {
    /* The hold went with the connection. */
    __atomic_store_n(&gs->held, 0, __ATOMIC_RELAXED);
    gs->gw->nheld--;
  }
  if (gs->host_cb.on_state) gs->host_cb.on_state(s, from, to, gs->host_user);
}

static int on_admin(fixgw_session_t *s, const fixgw_msg_t *msg, void *user) {
  gw_sess_t *gs = user;
  return gs->host_cb.on_admin ? gs->host_cb.on_admin(s, msg, gs->host_user) : FIXGW_CB_OK;
}

static int on_logon_request(fixgw_session_t *s, const fixgw_msg_t *logon, const char **text,
                            void *user) {
  gw_sess_t *gs = user;
  return gs->host_cb.on_logon_request
             ? gs->host_cb.on_logon_request(s, logon, text, gs->host_user)
             : FIXGW_CB_OK;
}

static int on_outbound(fixgw_session_t *s, const fixgw_outbound_t *out, fixgw_encoder_t *enc,
                       void *user) {
  gw_sess_t *gs = user;
  return gs->host_cb.on_outbound ? gs->host_cb.on_outbound(s, out, enc, gs->host_user)
                                 : FIXGW_CB_OK;
}

static void on_logon(fixgw_session_t *s, void *user) {
  gw_sess_t *gs = user;
  if (gs->host_cb.on_logon) gs->host_cb.on_logon(s, gs->host_user);
}

static void on_logout(fixgw_session_t *s, fixgw_disconnect_reason why, void *user) {
  gw_sess_t *gs = user;
  if (gs->host_cb.on_logout) gs->host_cb.on_logout(s, why, gs->host_user);
}

static void on_reject(fixgw_session_t *s, const fixgw_reject_event_t *r, void *user) {
  gw_sess_t *gs = user;
  if (gs->host_cb.on_reject) gs->host_cb.on_reject(s, r, gs->host_user);
}

static void on_log(fixgw_session_t *s, fixgw_log_level level, const char *line, void *user) {
  gw_sess_t *gs = user;
  if (gs->host_cb.on_log) gs->host_cb.on_log(s, level, line, gs->host_user);
}

static void on_wire(fixgw_session_t *s, bool outbound, const char *msg, size_t len, void *user) {
  gw_sess_t *gs = user;
  if (gs->host_cb.on_wire) gs->host_cb.on_wire(s, outbound, msg, len, gs->host_user);
}

void fixgw__gw_callbacks(fixgw_session_callbacks_t *cb) {
  memset(cb, 0, sizeof *cb);
  cb->size = sizeof *cb;
  cb->on_app = on_app;
  cb->on_admin = on_admin;
  cb->on_logon_request = on_logon_request;
  cb->on_outbound = on_outbound;
  cb->on_logon = on_logon;
  cb->on_logout = on_logout;
  cb->on_state = on_state;
  cb->on_reject = on_reject;
  cb->on_log = on_log;
  cb->on_wire = on_wire;
}
