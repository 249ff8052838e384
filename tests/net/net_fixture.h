/* What the net/ tests share (tests/net/test_net.c, tests/tls/test_tls_net.c):
 * a peer (one session with a memory store) that trades orders against
 * another, loops and turns bounded in time and count, raw loopback
 * sockets and hand-built FIX messages. Test code: failures are cmocka
 * assertions. */
#ifndef FIXGW_TESTS_NET_FIXTURE_H
#define FIXGW_TESTS_NET_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "fixgw/net.h"
#include "fixgw/router.h"
#include "fixgw/session.h"
#include "fixgw/store.h"

extern bool verbose; /* FIXGW_NET_VERBOSE: print every log line */
uint64_t mono_ms(void);

/* Log lines of every session and loop, kept for logged(). */
#define LOG_LINES 512
extern unsigned g_nlog;
bool logged(const char *needle);
void loop_log(fixgw_loop_t *l, fixgw_log_level lv, const char *line, void *user);

typedef struct peer {
  char name[32];
  fixgw_session_t *s;
  fixgw_store_t store;
  bool initiator;
  unsigned logons, logouts;
  fixgw_disconnect_reason last_logout;
  unsigned orders_in; /* acceptor: NewOrderSingle received */
  unsigned owed;      /* acceptor: answers the full transmit buffer refused */
  unsigned pauses;    /* acceptor: input paused for them */
  unsigned acks_in;   /* initiator: ExecutionReport received */
  unsigned to_send;   /* initiator: orders wanted in all */
  unsigned sent;
  bool send_on_logon;
  fixgw_loop_t *loop; /* set: check re-entry is refused from on_logon */
  bool reentry_checked;
} peer_t;

/* HeartBtInt of the peers made next, and whether the loops made next run
 * with host_wakes (set and restored by the tests that want them). */
extern uint32_t g_hb;
extern bool g_host_wakes;

/* An order from an initiator; an ExecutionReport from an acceptor. */
int send_order(peer_t *p);
int send_er(peer_t *p, const char *clordid, size_t n);
/* A session named name (FIX 4.4, sender -> target) with its callbacks:
 * an acceptor answers each order (pausing input while its transmit
 * buffer is full), an initiator sends the next order on each report. */
void peer_init(peer_t *p, const char *name, bool initiator, const char *sender,
               const char *target);
void peer_free(peer_t *p);
/* Acceptors whose owed answers turn() pays (at most two; NULL: none). */
extern peer_t *g_acceptors[2];

/* Connections closed by a loop, and the last reason. */
extern unsigned g_closed;
extern fixgw_disconnect_reason g_closed_why;
fixgw_loop_t *make_loop(const char *name, uint32_t max_conns, bool busy);
/* One turn of each loop; with both, neither sleeps (they share a thread). */
void turn(fixgw_loop_t *a, fixgw_loop_t *b);
#define MAX_TURNS 20000000u
#define RUN_UNTIL(a, b, cond, ms)                                                  \
  do {                                                                             \
    uint64_t end_ = mono_ms() + (ms);                                              \
    unsigned turns_ = 0;                                                           \
    while (!(cond)) {                                                              \
      if (mono_ms() > end_ || ++turns_ > MAX_TURNS)                                \
        fail_msg("gave up after %u ms / %u turns waiting for %s", (unsigned)(ms),  \
                 turns_, #cond);                                                   \
      turn(a, b);                                                                  \
    }                                                                              \
  } while (0)

fixgw_router_t *router_for(peer_t *acc, uint32_t capacity);
uint16_t listen_on(fixgw_loop_t *l, const char *host, fixgw_router_t *r,
                   fixgw_net_template_cb tcb, void *user, int sndbuf);
void host_set(fixgw_net_hosts_t *h, const char *host, uint16_t port);

/* Raw sockets on 127.0.0.1 (non-blocking after the connect). */
int raw_connect(uint16_t port, int rcvbuf);
void raw_send(int fd, const char *p, size_t n);
bool raw_closed(int fd);
/* A whole FIX 4.4 message from a body written with '|' for SOH. */
size_t build_msg(char *out, size_t cap, const char *body_pipes);
void utc_stamp(char *buf, size_t n);
size_t build_logon(char *out, size_t cap, const char *sender, const char *target);

#endif
