#include "pair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define START_UTC 1796299200000000000ll /* 2026-12-03 12:00:00 UTC */

static void die(const char *what, int rc) {
  fprintf(stderr, "pair: %s: %s\n", what, fixgw_strerror(rc));
  abort();
}

static void on_log(fixgw_session_t *s, fixgw_log_level lv, const char *line, void *u) {
  (void)s;
  pair_side_t *side = u;
  snprintf(side->log[side->nlog % PAIR_LOG_LINES], sizeof side->log[0], "%s", line);
  side->nlog++;
  if (side->verbose) printf("  [%s %d] %s\n", side->name, (int)lv, line);
}

static int on_app(fixgw_session_t *s, const fixgw_msg_t *m, void *u) {
  (void)s;
  pair_side_t *side = u;
  side->app_msgs++;
  return side->on_app ? side->on_app(side, m) : FIXGW_CB_OK;
}

static void on_logon(fixgw_session_t *s, void *u) {
  (void)s;
  ((pair_side_t *)u)->logons++;
}

static void on_logout(fixgw_session_t *s, fixgw_disconnect_reason why, void *u) {
  (void)s;
  pair_side_t *side = u;
  side->logouts++;
  side->last_logout = why;
}

static void on_reject(fixgw_session_t *s, const fixgw_reject_event_t *r, void *u) {
  (void)s;
  pair_side_t *side = u;
  if (r->sent) side->rejects_sent++;
  else side->rejects_received++;
}

static void side_init(pair_side_t *side, const char *name, fixgw_version v, bool initiator,
                      void (*tweak)(fixgw_session_config_t *, bool),
                      int (*open_store)(bool, fixgw_store_t *)) {
  memset(side, 0, sizeof *side);
  side->name = name;
  int rc;
  if (open_store) {
    rc = open_store(initiator, &side->store);
  } else {
    fixgw_mem_store_config_t mc;
    fixgw_mem_store_config_default(&mc);
    mc.now_utc_ns = START_UTC;
    rc = fixgw_mem_store_create(&mc, &side->store);
  }
  if (rc) die("store", rc);
  fixgw_session_config_t *c = &side->cfg;
  fixgw_session_config_default(c);
  c->role = initiator ? FIXGW_INITIATOR : FIXGW_ACCEPTOR;
  c->id.version = v;
  if (v == FIXGW_V_FIXT11) c->default_appl_ver = FIXGW_DICT_FIX50SP2;
  strcpy(c->id.sender_comp_id, initiator ? "CLIENT" : "SERVER");
  strcpy(c->id.target_comp_id, initiator ? "SERVER" : "CLIENT");
  c->store = side->store;
  if (tweak) tweak(c, initiator);
  c->store = side->store;
  fixgw_session_callbacks_t cb;
  memset(&cb, 0, sizeof cb);
  cb.size = sizeof cb;
  cb.on_app = on_app;
  cb.on_log = on_log;
  cb.on_logon = on_logon;
  cb.on_logout = on_logout;
  cb.on_reject = on_reject;
  rc = fixgw_session_create(c, &cb, side, &side->s);
  if (rc) die("session create", rc);
}

void pair_init_stores(pair_t *p, fixgw_version v, void (*tweak)(fixgw_session_config_t *, bool),
                      int (*open_store)(bool, fixgw_store_t *)) {
  memset(p, 0, sizeof *p);
  p->now.mono_ns = 1000000000ull;
  p->now.utc_ns = START_UTC;
  side_init(&p->ini, "ini", v, true, tweak, open_store);
  side_init(&p->acc, "acc", v, false, tweak, open_store);
}

void pair_init(pair_t *p, fixgw_version v, void (*tweak)(fixgw_session_config_t *, bool)) {
  pair_init_stores(p, v, tweak, NULL);
}

void pair_destroy(pair_t *p) {
  fixgw_session_destroy(p->ini.s);
  fixgw_session_destroy(p->acc.s);
  fixgw_store_destroy(&p->ini.store);
  fixgw_store_destroy(&p->acc.store);
}

void pair_connect(pair_t *p) {
  int rc = fixgw_session_connected(p->acc.s, p->now);
  if (rc) die("acceptor connected", rc);
  rc = fixgw_session_connected(p->ini.s, p->now);
  if (rc) die("initiator connected", rc);
  p->ini.connected = p->acc.connected = true;
  pair_pump(p);
}

void pair_disconnect(pair_t *p) {
  if (p->ini.connected) fixgw_session_disconnected(p->ini.s, FIXGW_DR_IO_ERROR, p->now);
  if (p->acc.connected) fixgw_session_disconnected(p->acc.s, FIXGW_DR_IO_ERROR, p->now);
  p->ini.connected = p->acc.connected = false;
}

/* Move what from has pending into to. */
static size_t move(pair_t *p, pair_side_t *from, pair_side_t *to) {
  const char *ptr;
  size_t len;
  if (!from->connected || fixgw_session_pending(from->s, &ptr, &len) || !len) return 0;
  size_t took = len;
  if (to->connected && fixgw_session_want_read(to->s)) {
    int rc = fixgw_session_feed(to->s, ptr, len, &took, p->now);
    if (rc && rc != FIXGW_EPAUSED && fixgw_err_is_fatal(rc)) die("feed", rc);
  }
  if (took) {
    int rc = fixgw_session_written(from->s, took, p->now);
    if (rc && fixgw_err_is_fatal(rc)) die("written", rc);
  }
  return took;
}

static bool wants_close(const pair_side_t *side) {
  return side->connected && !fixgw_session_want_read(side->s) &&
         !fixgw_session_want_write(side->s);
}

size_t pair_pump(pair_t *p) {
  size_t total = 0;
  for (int rounds = 0; rounds < 100000; rounds++) {
    size_t n = move(p, &p->ini, &p->acc) + move(p, &p->acc, &p->ini);
    total += n;
    if (wants_close(&p->ini) || wants_close(&p->acc)) {
      pair_disconnect(p);
      return total;
    }
    if (!n) return total;
  }
  return total;
}

void pair_advance(pair_t *p, uint64_t ns) {
  p->now.mono_ns += ns;
  p->now.utc_ns += (int64_t)ns;
  if (p->ini.connected) fixgw_session_on_timer(p->ini.s, p->now);
  if (p->acc.connected) fixgw_session_on_timer(p->acc.s, p->now);
  pair_pump(p);
}

bool pair_logged(const pair_side_t *side, const char *needle) {
  uint32_t n = side->nlog < PAIR_LOG_LINES ? side->nlog : PAIR_LOG_LINES;
  for (uint32_t i = 0; i < n; i++)
    if (strstr(side->log[i], needle)) return true;
  return false;
}
