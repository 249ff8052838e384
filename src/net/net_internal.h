/* The loop's private state, shared by loop.c (the turn and attached I/O),
 * initiator.c, acceptor.c and sock.c. Not installed. */
#ifndef FIXGW_NET_INTERNAL_H
#define FIXGW_NET_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fixgw/net.h"
#include "internal.h"

#define NET_NONE (-1)
#define NET_HEAP_NONE UINT32_MAX

/* Only IPv4 and IPv6 are spoken, so a union is enough (and smaller than
 * sockaddr_storage, which matters at 16 addresses per initiator). */
typedef union net_addr {
  struct sockaddr sa;
  struct sockaddr_in in4;
  struct sockaddr_in6 in6;
} net_addr_t;

socklen_t fixgw__net_addr_len(const net_addr_t *a);
/* "127.0.0.1:5001" or "[::1]:5001"; always NUL-terminated. */
void fixgw__net_addr_format(const net_addr_t *a, char *buf, size_t n);
/* Resolve host:port (numeric or a name) into up to max addresses.
 * passive: for bind/listen. Returns the count (> 0) or FIXGW_ENOTFOUND
 * (the loop's log has gai_strerror's words). */
int fixgw__net_resolve(fixgw_loop_t *loop, const char *host, uint16_t port,
                       bool passive, bool numeric_only, net_addr_t *out,
                       uint32_t max);
/* TCP_NODELAY and buffer sizes; a failure is logged, never fatal (the
 * connection works, only slower or with the system's buffers). */
void fixgw__net_sock_apply(fixgw_loop_t *loop, int fd,
                           const fixgw_net_sock_opts_t *o, const char *peer);
/* A non-blocking listening socket on host:port (SO_REUSEADDR; backlog <= 0:
 * 128): *fd_out, the port bound and its "addr:port" name. 0, or
 * FIXGW_ENOTFOUND / FIXGW_ESYS, logged. */
int fixgw__net_listen_socket(fixgw_loop_t *loop, const char *host, uint16_t port, int backlog,
                             int *fd_out, uint16_t *bound_port, char *name, size_t name_len);
/* "FIX.4.4:CLIENT->SERVER" for log lines. */
void fixgw__net_session_name(const fixgw_session_t *s, char *buf, size_t n);

enum conn_kind {
  CONN_FREE = 0,
  CONN_CONNECTING, /* initiator: non-blocking connect in progress */
  CONN_PENDING,    /* acceptor: waiting for the first message to route */
  CONN_ATTACHED    /* driving a session */
};

/* epoll_event.data.u64: kind in the top byte, then a generation so that an
 * event for a slot closed and reused within one epoll batch is ignored. */
enum { TAG_CONN = 1, TAG_LISTENER = 2, TAG_WAKE = 3, TAG_METRICS = 4 };
#define NET_TAG(tag, gen, idx) \
  (((uint64_t)(tag) << 56) | ((uint64_t)((gen) & 0xffffffu) << 32) | (uint32_t)(idx))

typedef struct net_conn {
  int fd;
  uint8_t kind;
  bool paused;   /* a callback paused input: resume on the next pass */
  bool held;     /* fixgw_loop_hold_input: neither read nor resume */
  uint32_t events;   /* what epoll watches now */
  uint32_t gen;
  uint32_t live_pos; /* index in loop->live */
  int32_t sess;      /* session entry, or NET_NONE */
  int32_t pend;      /* routing buffer, or NET_NONE */
  uint32_t pend_len; /* bytes held in it */
  uint32_t pend_off; /* of which already fed to the session */
  int32_t listener;  /* accepted on, or NET_NONE */
  uint64_t deadline; /* connect or routing timeout, mono ns */
  struct fixgw_tls *tls; /* NULL: plain TCP (tls_conn.c otherwise) */
  uint64_t due;      /* key in loop->heap: the deadline this connection waits for */
  uint32_t heap_pos; /* or NET_HEAP_NONE */
  bool woken;        /* in loop->wake */
  char peer[64];
} net_conn_t;

typedef struct net_sess {
  fixgw_session_t *s;
  int32_t conn; /* NET_NONE when there is no socket */
  uint32_t live_pos;
  bool used;
  bool initiator;
  /* initiator only */
  bool disabled;     /* logout_all: no more reconnects */
  bool attempted;    /* a first connect was made (the next ones count as reconnects) */
  uint32_t naddr;
  uint32_t next_addr; /* the address the current or next attempt uses */
  uint64_t reconnect_at; /* mono ns; UINT64_MAX: none scheduled */
  uint64_t base_ms, backoff_ms, max_ms;
  uint32_t jitter_pct;
  uint32_t connect_timeout_ms;
  bool has_bind;
  net_addr_t bind_addr;
  fixgw_net_sock_opts_t sock;
  net_addr_t addr[FIXGW_NET_ADDRS_MAX];
  struct net_tls_ini *tls; /* initiator over TLS, else NULL */
} net_sess_t;

typedef struct net_listener {
  int fd;
  bool open;
  uint32_t gen;
  uint64_t resume_at; /* accept paused after EMFILE and the like */
  bool starved;       /* accept paused: every routing buffer is taken */
  uint16_t port;
  fixgw_net_acceptor_opts_t opts;
  char name[64];
} net_listener_t;

struct fixgw_loop {
  fixgw_loop_config_t cfg;
  int epfd;
  int wakefd;
  int stop; /* __atomic: set by fixgw_loop_stop from any thread */
  uint32_t busy; /* inside a loop entry point: callbacks may not re-enter */
  bool refusing; /* after logout_all */
  bool immediate; /* some connection has work without an event */
  fixgw_now_t now;
  uint64_t next_deadline; /* earliest mono ns anything waits for */
  uint64_t rng;
  uint64_t last_accept_log;

  net_conn_t *conns;
  uint32_t *live; /* dense: indices of conns in use */
  uint32_t nlive;
  uint32_t *conn_free; /* stack of free conn indices */
  uint32_t nconn_free;

  net_sess_t *sess;
  /* Session pointer -> index in sess: open addressing with linear
   * probing, NET_NONE when empty, smask + 1 >= 2 x max_sessions slots, so
   * finding a session costs the same at 10 000 as at 10. */
  int32_t *smap;
  uint32_t smask;
  uint32_t *slive;
  uint32_t nslive;
  uint32_t *sess_free;
  uint32_t nsess_free;

  char *pend_bufs;
  uint32_t *pend_free;
  uint32_t npend_free;
  uint32_t nstarved; /* listeners waiting for a routing buffer */

  net_listener_t *lis;
  uint32_t nlis;

  /* timers.c: the connections' deadlines, and the connections to visit
   * next turn although epoll has nothing for them. With host_wakes a turn
   * visits only these (and those with events); otherwise every one. */
  uint32_t *heap; /* conn indices, earliest due first */
  uint32_t nheap;
  uint64_t *wake; /* NET_TAG()s: a closed slot's entry is recognised stale */
  uint32_t nwake, wake_cap;
  bool wake_all;  /* wake overflowed: the next turn visits every connection */
  uint64_t next_reconnect; /* earliest reconnect_at of a waiting initiator */

  void *events; /* struct epoll_event[max_events] */
  struct net_metrics *metrics; /* the HTTP endpoint (metrics.c), or NULL */
  fixgw_loop_stats_t stats;
};

/* loop.c */
void fixgw__net_log(fixgw_loop_t *loop, fixgw_log_level lv, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void fixgw__net_clock(fixgw_loop_t *loop);
void fixgw__net_deadline(fixgw_loop_t *loop, uint64_t t);
net_conn_t *fixgw__net_conn_alloc(fixgw_loop_t *loop, int fd);
/* Close the socket and return the slot (any kind; attached connections go
 * through fixgw__net_conn_close instead). */
void fixgw__net_conn_free(fixgw_loop_t *loop, net_conn_t *c);
/* Close an attached connection: disconnected(s, why), reconnect or forget
 * the session, on_closed. */
void fixgw__net_conn_close(fixgw_loop_t *loop, net_conn_t *c,
                           fixgw_disconnect_reason why);
int fixgw__net_watch(fixgw_loop_t *loop, net_conn_t *c, uint32_t events);
net_sess_t *fixgw__net_sess_alloc(fixgw_loop_t *loop, fixgw_session_t *s);
void fixgw__net_sess_free(fixgw_loop_t *loop, net_sess_t *e);
net_sess_t *fixgw__net_sess_find(fixgw_loop_t *loop, const fixgw_session_t *s);
/* A connection became attached to e: counts, first flush, epoll interest. */
void fixgw__net_attached(fixgw_loop_t *loop, net_conn_t *c, net_sess_t *e);
/* Feed the routing buffer's unfed bytes to the attached session. */
void fixgw__net_feed_pending(fixgw_loop_t *loop, net_conn_t *c);
void fixgw__net_pend_release(fixgw_loop_t *loop, net_conn_t *c);
char *fixgw__net_pend_buf(fixgw_loop_t *loop, const net_conn_t *c);
uint64_t fixgw__net_random(fixgw_loop_t *loop);

/* timers.c */
/* Key c in the heap by due (UINT64_MAX: take it out). O(log n). */
void fixgw__net_timer_set(fixgw_loop_t *loop, net_conn_t *c, uint64_t due);
/* The connection with the earliest due, or NULL. */
net_conn_t *fixgw__net_timer_top(fixgw_loop_t *loop);
/* c's connect or routing timeout is t: c->deadline, the heap, the wait. */
void fixgw__net_conn_deadline(fixgw_loop_t *loop, net_conn_t *c, uint64_t t);
/* Visit c in the next pass although it has no event. */
void fixgw__net_wake_conn(fixgw_loop_t *loop, net_conn_t *c);

/* initiator.c */
void fixgw__net_connect_start(fixgw_loop_t *loop, net_sess_t *e);
void fixgw__net_connect_event(fixgw_loop_t *loop, net_conn_t *c, uint32_t ev);
void fixgw__net_connect_timeout(fixgw_loop_t *loop, net_conn_t *c);
/* The connection of initiator e ended (or a round failed): plan the next. */
void fixgw__net_reconnect_schedule(fixgw_loop_t *loop, net_sess_t *e);
/* e reached Logon: the next delay is the interval again. */
void fixgw__net_backoff_reset(net_sess_t *e);

/* acceptor.c */
void fixgw__net_accept_event(fixgw_loop_t *loop, net_listener_t *l);
void fixgw__net_pending_event(fixgw_loop_t *loop, net_conn_t *c);
/* Close a connection that never reached a session, with the reason. */
void fixgw__net_refuse(fixgw_loop_t *loop, net_conn_t *c, const char *why);
void fixgw__net_listener_close(fixgw_loop_t *loop, net_listener_t *l);
void fixgw__net_listener_resume(fixgw_loop_t *loop, net_listener_t *l);

/* An error from a session entry point on c: logged, pause noted. */
void fixgw__net_session_rc(fixgw_loop_t *loop, net_conn_t *c, const char *what, int rc);

/* tls_conn.c: TLS connections, hooked into the plain paths by a NULL
 * test of c->tls / e->tls, so plain TCP pays one predictable branch. */
#ifdef FIXGW_HAVE_TLS
/* Instead of the plain read/flush of an attached connection. false: the
 * connection was closed. */
bool fixgw__net_tls_read(fixgw_loop_t *loop, net_conn_t *c);
bool fixgw__net_tls_flush(fixgw_loop_t *loop, net_conn_t *c);
/* Per pass: plaintext left inside TLS while the session had no room.
 * false: closed. */
bool fixgw__net_tls_resume(fixgw_loop_t *loop, net_conn_t *c);
/* What to watch for writing: ciphertext waiting, or session output once
 * the handshake is done; notes buffered input. */
bool fixgw__net_tls_settle(fixgw_loop_t *loop, net_conn_t *c, bool r, bool w);
/* A pending (acceptor) connection's bytes, through TLS into its routing
 * buffer. false: the connection was closed. */
bool fixgw__net_tls_pending_read(fixgw_loop_t *loop, net_conn_t *c);
/* A connection accepted on a TLS listener, or connected by a TLS
 * initiator to e->addr[e->next_addr]: its TLS object. 0 or an error
 * (logged). */
int fixgw__net_tls_accepted(fixgw_loop_t *loop, net_conn_t *c, net_listener_t *l);
int fixgw__net_tls_connected(fixgw_loop_t *loop, net_conn_t *c, net_sess_t *e);
/* ctx is a context of the role a listener (server) or initiator needs:
 * 0, FIXGW_EINVAL; FIXGW_ENOTSUP when built without TLS. */
int fixgw__net_tls_check_ctx(const struct fixgw_tls_ctx *ctx, bool server);
/* close_notify best-effort, then free c->tls. */
void fixgw__net_tls_conn_release(fixgw_loop_t *loop, net_conn_t *c);
/* The initiator's TLS state: host names per address. */
int fixgw__net_tls_ini_setup(fixgw_loop_t *loop, net_sess_t *e,
                             const fixgw_net_initiator_opts_t *o,
                             const fixgw_net_hosts_t *hosts, const uint8_t *addr_host);
void fixgw__net_tls_ini_release(fixgw_loop_t *loop, net_sess_t *e);
#else
/* Never called: c->tls and e->tls stay NULL without TLS. */
static inline bool fixgw__net_tls_read(fixgw_loop_t *l, net_conn_t *c) { (void)l, (void)c; return true; }
static inline bool fixgw__net_tls_flush(fixgw_loop_t *l, net_conn_t *c) { (void)l, (void)c; return true; }
static inline bool fixgw__net_tls_resume(fixgw_loop_t *l, net_conn_t *c) { (void)l, (void)c; return true; }
static inline bool fixgw__net_tls_settle(fixgw_loop_t *l, net_conn_t *c, bool r, bool w) {
  (void)l, (void)c, (void)r;
  return w;
}
static inline bool fixgw__net_tls_pending_read(fixgw_loop_t *l, net_conn_t *c) { (void)l, (void)c; return false; }
static inline int fixgw__net_tls_accepted(fixgw_loop_t *l, net_conn_t *c, net_listener_t *n) {
  (void)l, (void)c, (void)n;
  return FIXGW_ENOTSUP;
}
static inline int fixgw__net_tls_connected(fixgw_loop_t *l, net_conn_t *c, net_sess_t *e) {
  (void)l, (void)c, (void)e;
  return FIXGW_ENOTSUP;
}
static inline int fixgw__net_tls_check_ctx(const struct fixgw_tls_ctx *ctx, bool server) {
  (void)ctx, (void)server;
  return FIXGW_ENOTSUP;
}
static inline void fixgw__net_tls_conn_release(fixgw_loop_t *l, net_conn_t *c) { (void)l, (void)c; }
static inline int fixgw__net_tls_ini_setup(fixgw_loop_t *l, net_sess_t *e,
                                           const fixgw_net_initiator_opts_t *o,
                                           const fixgw_net_hosts_t *h, const uint8_t *a) {
  (void)l, (void)e, (void)o, (void)h, (void)a;
  return FIXGW_ENOTSUP;
}
static inline void fixgw__net_tls_ini_release(fixgw_loop_t *l, net_sess_t *e) { (void)l, (void)e; }
#endif

/* metrics.c: an event for the endpoint (idx: a client slot, or
 * NET_METRICS_LISTENER), its timeouts in the pass, and its end. */
#define NET_METRICS_LISTENER 0xffffffu
void fixgw__net_metrics_event(fixgw_loop_t *loop, uint32_t idx, uint32_t gen, uint32_t ev);
void fixgw__net_metrics_pass(fixgw_loop_t *loop);
void fixgw__net_metrics_free(fixgw_loop_t *loop);

#endif
