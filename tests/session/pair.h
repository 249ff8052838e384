/* Two sessions, an initiator and an acceptor, joined through memory under
 * a fake clock: the harness the session tests, the simulator and the
 * benchmarks share. No sockets; every byte moves by pair_pump(). */
#ifndef FIXGW_TEST_PAIR_H
#define FIXGW_TEST_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/session.h"
#include "fixgw/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PAIR_LOG_LINES 64

typedef struct pair_side {
  const char *name;
  fixgw_session_t *s;
  fixgw_store_t store;
  fixgw_session_config_t cfg;
  /* what the application saw */
  uint64_t app_msgs;
  uint64_t logons, logouts;
  uint64_t rejects_sent, rejects_received;
  fixgw_disconnect_reason last_logout;
  /* the last log lines, for assertions and for a failing test's output */
  char log[PAIR_LOG_LINES][160];
  uint32_t nlog;
  bool verbose; /* print log lines as they come */
  /* optional application handler, called for every app message */
  int (*on_app)(struct pair_side *side, const fixgw_msg_t *m);
  void *app_user;
  bool connected;
} pair_side_t;

typedef struct pair {
  pair_side_t ini, acc;
  fixgw_now_t now;
} pair_t;

/* A FIX 4.4 (or version v; FIXT with FIX 5.0SP2) pair, memory stores,
 * initiator CLIENT -> acceptor SERVER, HeartBtInt 30, clock at
 * 2026-12-03 12:00:00 UTC. tweak (may be NULL) edits both configs before
 * create. Aborts the test on failure. */
void pair_init(pair_t *p, fixgw_version v,
               void (*tweak)(fixgw_session_config_t *cfg, bool initiator));
/* The same with each side's store from open_store (NULL: memory stores);
 * pair_destroy() destroys them. */
void pair_init_stores(pair_t *p, fixgw_version v,
                      void (*tweak)(fixgw_session_config_t *cfg, bool initiator),
                      int (*open_store)(bool initiator, fixgw_store_t *out));
void pair_destroy(pair_t *p);
/* Connect both, then pump until quiet. */
void pair_connect(pair_t *p);
/* Move pending bytes both ways until neither side has output, and close
 * the connection (disconnected() on both) when a side wants neither read
 * nor write. Returns the number of bytes moved. */
size_t pair_pump(pair_t *p);
/* Advance the fake clock by ns, run both timers, pump. */
void pair_advance(pair_t *p, uint64_t ns);
/* Tear the connection down on both sides (as a socket error would). */
void pair_disconnect(pair_t *p);
/* True when some log line of side contains needle. */
bool pair_logged(const pair_side_t *side, const char *needle);

#ifdef __cplusplus
}
#endif
#endif
