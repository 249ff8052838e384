/*
 * libfixgw net: optional TCP transports and an epoll loop that drive
 * sessions through their public, sans-IO API (fixgw/session.h), exactly as
 * a host application would. Hosts with their own loop can ignore it.
 *
 * One loop drives many sessions on one thread:
 *   - an initiator connects without blocking to a list of hosts, fails over
 *     to the next one when a connect fails, and reconnects after
 *     ReconnectInterval with a bounded, jittered backoff;
 *   - an acceptor listens on one port for many sessions: a new connection's
 *     first bytes are kept (bounded) until the router says whose they are,
 *     then the session is connected and the very same bytes are fed to it;
 *   - for every attached connection the loop reads straight into the
 *     session's receive span until the socket would block (the drain rule),
 *     writes what the session has pending until the socket would block, polls
 *     for writability only while the session wants to write, runs the
 *     session's timers at its deadline, and closes the socket when the
 *     session wants neither to read nor to write.
 *
 * Clocks: the loop reads CLOCK_MONOTONIC and CLOCK_REALTIME and passes them
 * to every session call as fixgw_now_t (the session never reads a clock).
 *
 * Timers: the connections' deadlines (session timers, connect and routing
 * timeouts) are kept in a heap. By default each turn still visits every
 * connection, to write what the host queued from outside the loop: O(n)
 * per turn, which at 10 000 sessions is most of an idle loop's CPU and
 * milliseconds on every busy session's round trip. With host_wakes the
 * host says which session it sent on (fixgw_loop_wake_session()) and a turn
 * visits only connections with events, due deadlines and woken ones.
 *
 * Memory: every structure is allocated at fixgw_loop_create(), sized by its
 * config (the connection pool, the session table, the routing buffers, the
 * epoll event array). Nothing allocates per connection or per message: the
 * bytes live in the sessions' own buffers.
 *
 * Threads: a loop and the sessions it drives belong to the thread that calls
 * fixgw_loop_run_once() / fixgw_loop_run(). Only fixgw_loop_stop() may be
 * called from another thread or from a signal handler. The host may send on
 * a driven session (fixgw_session_send_*) from that thread between loop
 * calls or from session callbacks; the next pass writes it out.
 *
 * Re-entrancy: session callbacks run inside the loop. From them, only
 * fixgw_loop_stop(), fixgw_loop_wake(), fixgw_loop_wake_session(),
 * fixgw_loop_hold_input(), fixgw_loop_stats() and the session's own
 * send_* and logout calls are allowed; the other fixgw_loop_* and
 * fixgw_net_* calls
 * return FIXGW_EBUSY.
 *
 * Errors: 0 or a negative FIXGW_E* code; FIXGW_ESYS means a system call
 * failed, and the loop's log callback has a line naming the call and errno.
 */
#ifndef FIXGW_NET_H
#define FIXGW_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"
#include "fixgw/metrics.h"
#include "fixgw/router.h"
#include "fixgw/session.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fixgw_loop fixgw_loop_t;
struct fixgw_tls_ctx; /* fixgw/tls.h */

/* ------------------------------------------------------------ the loop */

/* A log line from the loop (NUL-terminated, valid for the call). */
typedef void (*fixgw_loop_log_cb)(fixgw_loop_t *loop, fixgw_log_level level,
                                  const char *line, void *user);

/* A driven session's connection ended and fixgw_session_disconnected() has
 * been called with why: FIXGW_DR_PEER_CLOSED (end of stream),
 * FIXGW_DR_IO_ERROR (a socket call failed; logged), FIXGW_DR_PROTOCOL (the
 * session itself wanted the connection closed: Logout exchanged, a timeout,
 * a protocol error; its on_logout callback has the precise reason), or what
 * fixgw_loop_drop() was given (FIXGW_DR_HOST from remove and destroy).
 * For a session attached by an acceptor the loop forgets the session
 * before this call, so the host may remove it from its router and destroy
 * it here; an initiator's session stays driven (it reconnects unless it
 * was removed) and must not be destroyed here. */
typedef void (*fixgw_loop_closed_cb)(fixgw_loop_t *loop, fixgw_session_t *s,
                                     fixgw_disconnect_reason why, void *user);

typedef struct fixgw_loop_config {
  uint32_t size; /* sizeof(fixgw_loop_config_t); set by _default */
  /* Sockets held at once: connections being made, waiting to be routed and
   * attached (listening sockets are not counted). Default 1024. */
  uint32_t max_connections;
  /* Sessions driven at once: every initiator added, plus every acceptor
   * session while it is attached. Default 1024. */
  uint32_t max_sessions;
  /* Accepted connections whose first message has not identified a session
   * yet, at once; while that many wait, new ones are left in the listen
   * backlog (not accepted) until one is routed or closed. Default 64. */
  uint32_t max_pending;
  /* Bytes kept per such connection until it is routed; a connection that
   * has sent this much without a complete FIX header is closed. It is also
   * the routing peek's limit. Default 4096, at least 128. */
  uint32_t pending_bytes;
  /* A pending connection not routed within this time is closed. Default
   * 10000 ms. */
  uint32_t route_timeout_ms;
  /* Listening sockets. Default 4. */
  uint32_t max_listeners;
  /* epoll events taken per wait. Default 256. */
  uint32_t max_events;
  /* Spin: every wait is epoll_wait(..., 0), so the loop never sleeps in
   * the kernel (lowest latency, one core at 100%). fixgw_loop_run() then
   * loops without sleeping; fixgw_loop_run_once() ignores its timeout. */
  bool busy_poll;
  /* The host calls fixgw_loop_wake_session(loop, s) after it queues output on s
   * anywhere but in a callback of s itself (from outside the loop, or
   * from another session's callback); a turn then visits only the
   * connections with events, due deadlines or a wake, so its cost does
   * not grow with idle sessions. Output queued without a wake goes out at
   * s's next event or timer. false (default): every turn visits every
   * connection and no wake is needed. */
  bool host_wakes;
  /* Seed of the reconnect jitter (0: a fixed default), so runs repeat. */
  uint64_t seed;
  fixgw_loop_log_cb on_log;       /* NULL: lines are dropped */
  fixgw_loop_closed_cb on_closed; /* NULL: none */
  void *user;                     /* passed to both */
  const fixgw_allocator_t *allocator; /* NULL: malloc; create/destroy only */
} fixgw_loop_config_t;

void fixgw_loop_config_default(fixgw_loop_config_t *cfg);

/* Per loop, since create. */
typedef struct fixgw_loop_stats {
  uint64_t accepted;         /* connections accepted on a listener */
  uint64_t refused;          /* accepted then closed: pool full, garbage,
                                unknown CompIDs, already connected, ... */
  uint64_t routed;           /* accepted connections attached to a session */
  uint64_t connects;         /* outgoing connect attempts */
  uint64_t connect_failures; /* attempts that failed or timed out */
  uint64_t reconnects;       /* attempts after the first of an initiator */
  uint64_t bytes_in;         /* read from sockets */
  uint64_t bytes_out;        /* written to sockets */
  uint64_t closed;           /* attached connections closed */
  uint64_t wakeups;          /* epoll_wait calls that returned events */
  uint32_t connections;      /* sockets open now (without listeners) */
  uint32_t attached;         /* of which attached to a session */
  uint32_t sessions;         /* sessions driven now */
} fixgw_loop_stats_t;

/*
 * Create a loop: an epoll instance, an eventfd for fixgw_loop_stop(), and
 * every pool the config sizes, in a few allocations through the config's
 * allocator. *cfg is copied; NULL means the defaults.
 * Returns 0 and *out, FIXGW_EINVAL (out NULL, a limit 0 or over 1 << 20,
 * pending_bytes < 128, config size too small), FIXGW_ENOMEM, FIXGW_ESYS
 * (epoll_create1 or eventfd failed; errno is kept).
 */
int fixgw_loop_create(const fixgw_loop_config_t *cfg, fixgw_loop_t **out);

/*
 * Close every socket, call fixgw_session_disconnected(s, FIXGW_DR_HOST) on
 * each attached session (and on_closed), and free the loop. The sessions
 * are the host's and are not destroyed. Safe on NULL. Not from a callback.
 */
void fixgw_loop_destroy(fixgw_loop_t *loop);

/*
 * One turn: wait for events at most timeout_ms (-1: until the next event
 * or deadline; 0: do not wait; always 0 in busy-poll mode), never past the
 * earliest session, connect, routing or reconnect deadline; then handle
 * every event, run due timers, flush pending output, close what the
 * sessions want closed, start due (re)connects.
 * Returns the number of epoll events handled (>= 0), FIXGW_EBUSY (called
 * from inside the loop), FIXGW_ESYS (epoll_wait failed other than EINTR).
 * Errors of one connection are logged and close only that connection.
 */
int fixgw_loop_run_once(fixgw_loop_t *loop, int timeout_ms);

/*
 * Turn until *until is nonzero (may be NULL) or fixgw_loop_stop() is
 * called; the stop request is then cleared. *until is read between turns,
 * so a signal handler may set it (sleeping turns are woken by the signal's
 * EINTR). Returns 0, or an error as run_once.
 */
int fixgw_loop_run(fixgw_loop_t *loop, const volatile int *until);

/* Make fixgw_loop_run() return after its current turn and wake a waiting
 * epoll_wait. Async-signal-safe and thread-safe. Safe on NULL. */
void fixgw_loop_stop(fixgw_loop_t *loop);

/* Start a Logout (fixgw_session_logout(s, text)) on every attached session,
 * stop every initiator from reconnecting and refuse new connections, so
 * that turning the loop until fixgw_loop_stats()->attached is 0 shuts down
 * cleanly. 0, FIXGW_EBUSY. */
int fixgw_loop_logout_all(fixgw_loop_t *loop, const char *text);

/* Close the connection of s now (fixgw_session_disconnected(s, why), then
 * on_closed), as a lost connection would. An initiator reconnects after
 * its interval; an acceptor session is forgotten until its peer connects
 * again. 0, FIXGW_ENOTFOUND (s is not attached), FIXGW_EBUSY. */
int fixgw_loop_drop(fixgw_loop_t *loop, fixgw_session_t *s,
                    fixgw_disconnect_reason why);

/* Stop driving s: close its connection as fixgw_loop_drop() does and
 * forget it (an initiator no longer reconnects). The host may destroy s
 * afterwards. 0, FIXGW_ENOTFOUND, FIXGW_EBUSY. */
int fixgw_loop_remove(fixgw_loop_t *loop, fixgw_session_t *s);

/* Wake a turn waiting in epoll_wait without asking fixgw_loop_run() to
 * return: for hosts that queue work for the loop's thread (sends, buffers
 * given back) from other threads. Async-signal-safe and thread-safe. Safe
 * on NULL. */
void fixgw_loop_wake(fixgw_loop_t *loop);

/* Write what s has pending to its socket now, until the socket would
 * block, instead of at the next turn (a host that queued a message from
 * outside the loop and wants it on the wire at once). Finds s by a scan
 * of the driven sessions. 0, FIXGW_ENOTFOUND (s not attached), FIXGW_EBUSY
 * (from a callback); a failed write closes the connection as in a turn. */
int fixgw_loop_flush(fixgw_loop_t *loop, fixgw_session_t *s);

/* Hold input of s (hold true) until released (hold false): the loop stops
 * reading its socket and does not lift a callback's FIXGW_CB_PAUSE at its
 * next pass, so unread bytes wait in the kernel and TCP slows the peer;
 * output, timers and closing go on. For hosts whose consumer of inbound
 * messages runs on another thread and may fall behind. A hold belongs to
 * the connection: a new connection starts unheld. Allowed from session
 * callbacks (it only marks the connection). 0, FIXGW_EINVAL,
 * FIXGW_ENOTFOUND (s not attached). */
int fixgw_loop_hold_input(fixgw_loop_t *loop, fixgw_session_t *s, bool hold);

/* Output was queued on s outside its own callbacks: write it at the next
 * turn (before that turn waits; fixgw_loop_wake() ends a wait from another
 * thread). Needed with host_wakes, harmless
 * without. O(1); allowed from callbacks and between turns.
 * 0, FIXGW_EINVAL (NULL), FIXGW_ENOTFOUND (s is not driven by loop);
 * a driven session not connected right now is 0 (nothing to write). */
int fixgw_loop_wake_session(fixgw_loop_t *loop, fixgw_session_t *s);

/* Counters and gauges; the pointer is valid until destroy. */
const fixgw_loop_stats_t *fixgw_loop_stats(const fixgw_loop_t *loop);

/* ------------------------------------------------------------- sockets */

#define FIXGW_NET_HOST_MAX 255u /* longest host name or address */
#define FIXGW_NET_HOSTS_MAX 8u  /* hosts per initiator */
/* Addresses an initiator keeps (over all its hosts, after resolution). */
#define FIXGW_NET_ADDRS_MAX 16u

/* Socket settings common to both sides. */
typedef struct fixgw_net_sock_opts {
  bool no_delay;    /* TCP_NODELAY; default true */
  int sndbuf;       /* SO_SNDBUF bytes; 0: the system's */
  int rcvbuf;       /* SO_RCVBUF bytes; 0: the system's */
  /* Initiator: the local address to bind before connecting, a numeric
   * IPv4 or IPv6 address (empty: do not bind), and its port (0: any).
   * Ignored by the acceptor, which binds the host it listens on. */
  char bind_host[64];
  uint16_t bind_port;
} fixgw_net_sock_opts_t;

/* One host:port; host is a numeric address ("127.0.0.1", "::1") or a name. */
typedef struct fixgw_net_host {
  char host[FIXGW_NET_HOST_MAX + 1];
  uint16_t port;
} fixgw_net_host_t;

/* The hosts an initiator tries in order (SocketConnectHost/Port,
 * SocketConnectHost1/Port1, ...). */
typedef struct fixgw_net_hosts {
  uint32_t count; /* 1..FIXGW_NET_HOSTS_MAX */
  fixgw_net_host_t host[FIXGW_NET_HOSTS_MAX];
} fixgw_net_hosts_t;

/* ----------------------------------------------------------- initiator */

typedef struct fixgw_net_initiator_opts {
  uint32_t size; /* sizeof(fixgw_net_initiator_opts_t); set by _default */
  fixgw_net_sock_opts_t sock;
  /* A connect that has not completed in this time fails (next host).
   * Default 5000 ms. */
  uint32_t connect_timeout_ms;
  /* Upper bound of the reconnect delay as it doubles after each round of
   * failures. Default 60 s (never below the interval). */
  uint32_t backoff_max_s;
  /* Each delay is spread by +-jitter_pct percent, 0..50. Default 20. */
  uint32_t jitter_pct;
  /* TLS (fixgw/tls.h, a FIXGW_TLS_CLIENT context): NULL (default) is
   * plain TCP. Each connection checks the server's certificate against
   * the host it connects to (the SocketConnectHost<n> the address came
   * from). Borrowed like s; the connections hold their own reference. */
  struct fixgw_tls_ctx *tls;
} fixgw_net_initiator_opts_t;

void fixgw_net_initiator_opts_default(fixgw_net_initiator_opts_t *o);

/*
 * Drive initiator session s (role FIXGW_INITIATOR, not connected): connect
 * at the loop's next turn to the first address of hosts, then to the next
 * one whenever a connect fails (refused, unreachable, timed out); a
 * connected socket gets fixgw_session_connected(), which sends the Logon.
 *
 * Reconnect: when the connection ends, or every address failed in a
 * round, the next round starts after a delay: reconnect_interval_s
 * (ReconnectInterval; 0 means 100 ms, for tests), doubled after each round
 * that did not reach a Logon, at most backoff_max_s, then spread by
 * +-jitter_pct from the loop's seeded generator. A Logon resets it.
 *
 * Names are resolved here, with getaddrinfo (which may block for a name
 * that needs DNS; numeric addresses never do); every address of every host
 * is kept, up to FIXGW_NET_ADDRS_MAX. s is borrowed until
 * fixgw_loop_remove() or fixgw_loop_destroy(). opts NULL: the defaults.
 * An acceptor session given here is found out at its first connect
 * (logged, then never retried).
 * TLS (opts->tls): the session is connected once TCP is, and its Logon
 * goes out as soon as the handshake allows; a failed handshake (a
 * certificate expired, of another CA or for another host, a peer that
 * does not speak TLS) is logged with its reason and ends that connection
 * (FIXGW_DR_IO_ERROR), then reconnects as any lost connection does.
 * Returns 0, FIXGW_EINVAL (NULL, no hosts, port 0, s already connected or
 * already driven, bind_host not a numeric address, jitter over 50, tls
 * not a client context), FIXGW_ENOTSUP (tls given, built without TLS),
 * FIXGW_ENOMEM (the TLS host table),
 * FIXGW_ENOTFOUND (a host does not resolve: logged with gai_strerror),
 * FIXGW_EFULL (max_sessions driven), FIXGW_EBUSY.
 */
int fixgw_net_initiator_add(fixgw_loop_t *loop, fixgw_session_t *s,
                            const fixgw_net_hosts_t *hosts,
                            uint32_t reconnect_interval_s,
                            const fixgw_net_initiator_opts_t *opts);

/* ------------------------------------------------------------ acceptor */

/*
 * The router matched a template (fixgw_router_add_template(), target tmpl)
 * for a new connection whose session id is *id: create the session (role
 * FIXGW_ACCEPTOR, config from the template, cfg.id = *id) and return it,
 * or NULL to refuse the connection. The loop then adds it to the router
 * (so the next connection for *id finds it exactly), connects it and feeds
 * it the connection's first bytes. The session is the host's.
 */
typedef fixgw_session_t *(*fixgw_net_template_cb)(fixgw_loop_t *loop,
                                                  void *tmpl,
                                                  const fixgw_session_id_t *id,
                                                  void *user);

typedef struct fixgw_net_acceptor_opts {
  uint32_t size; /* sizeof(fixgw_net_acceptor_opts_t); set by _default */
  /* Whose sessions may connect: exact targets must be fixgw_session_t *
   * (role FIXGW_ACCEPTOR); template targets go to on_template. Required;
   * borrowed until the loop is destroyed. */
  fixgw_router_t *router;
  fixgw_net_template_cb on_template; /* NULL: template matches are refused */
  void *user;                        /* for on_template */
  fixgw_net_sock_opts_t sock;        /* applied to every accepted socket */
  /* listen(); default 4096 (the kernel caps it at net.core.somaxconn):
   * room for a burst of logons, each held until accepted. */
  int backlog;
  /* TLS (a FIXGW_TLS_SERVER context) for every connection on this port;
   * NULL (default): plain TCP. Borrowed until the loop is destroyed. */
  struct fixgw_tls_ctx *tls;
} fixgw_net_acceptor_opts_t;

void fixgw_net_acceptor_opts_default(fixgw_net_acceptor_opts_t *o);

/*
 * Listen on host:port (a numeric IPv4 or IPv6 address, or a name; port 0
 * picks a free one) with SO_REUSEADDR, and accept connections for the
 * sessions opts->router knows. *bound_port (may be NULL) gets the port.
 *
 * A new connection is read into a bounded buffer (pending_bytes) until its
 * first message's header routes it (fixgw_router_route()). Then:
 *   - an exact match whose session is disconnected: connected(), and the
 *     buffered bytes are fed to it (fixgw_session_feed);
 *   - a template match: on_template creates the session, as above;
 *   - with TLS (opts->tls), the handshake runs first and the routing
 *     buffer holds the decrypted bytes; a failed handshake, or a plain
 *     TCP client on the TLS port (its first bytes are plain text), is
 *     refused with a log line naming the reason;
 *   - garbage (not FIX), a first message that is not a Logon, unknown
 *     CompIDs, a session already connected, a full connection pool or
 *     session table, or no routing
 *     within route_timeout_ms: the connection is closed with a log line,
 *     counted in refused, and no other connection is touched.
 * Returns 0, FIXGW_EINVAL (NULL loop, host or router, tls not a server
 * context), FIXGW_ENOTSUP (tls given, built without TLS), FIXGW_ENOTFOUND
 * (host does not resolve), FIXGW_EFULL (max_listeners), FIXGW_ESYS
 * (socket, bind or listen failed: logged), FIXGW_EBUSY.
 */
int fixgw_net_acceptor_listen(fixgw_loop_t *loop, const char *host,
                              uint16_t port, uint16_t *bound_port,
                              const fixgw_net_acceptor_opts_t *opts);

/* ------------------------------------------------------ live metrics */

/*
 * Prometheus text (format 0.0.4) of a loop and its sessions, and an
 * optional HTTP endpoint serving it from the loop itself: a request is
 * read, rendered and answered between the loop's other events, never from
 * a session's message path.
 *
 * Families: fixgw_loop_* (fixgw_loop_stats_t: connections accepted,
 * refused, routed, connects and failures, reconnects, bytes, closed,
 * wakeups; gauges connections, attached, sessions) and, per session with
 * the label session="FIX.4.4:SENDER->TARGET", fixgw_session_* (every
 * fixgw_session_stats_t counter; messages_{received,sent}_by_type_total
 * with a msgtype label; gauges next_sender_seq, next_target_seq,
 * logged_on, state (fixgw_session_state)), then the host's own families
 * (on_render).
 */
typedef void (*fixgw_net_metrics_cb)(fixgw_loop_t *loop, fixgw_prom_t *w, void *user);

typedef struct fixgw_net_metrics_opts {
  uint32_t size;        /* sizeof(fixgw_net_metrics_opts_t); set by _default */
  uint32_t max_clients; /* HTTP connections at once; more are closed at
                           once (counted refused). Default 4, at most 64. */
  /* A client that has not sent a whole request, or not taken the whole
   * answer, this long after it connected is closed. Default 5000 ms. */
  uint32_t timeout_ms;
  /* A longer rendering is answered 500 (counted errors). Default 64 MiB. */
  size_t max_response;
  /* true (default): every session the loop drives now (initiators, and
   * acceptor sessions while connected). false: none; a host that keeps
   * its own list renders it with fixgw_net_metrics_sessions from
   * on_render (so disconnected acceptor sessions show too). */
  bool loop_sessions;
  fixgw_net_metrics_cb on_render; /* NULL: none */
  void *user;
} fixgw_net_metrics_opts_t;

void fixgw_net_metrics_opts_default(fixgw_net_metrics_opts_t *o);

/* The fixgw_session_* families of n sessions, one sample each. 0 or the
 * writer's error (FIXGW_ENOSPC: see fixgw_prom_finish), FIXGW_EINVAL. */
int fixgw_net_metrics_sessions(fixgw_prom_t *w, fixgw_session_t *const *sessions, size_t n);

/* Everything the endpoint serves (loop, sessions as opts say, on_render)
 * into w, with the options of the loop's endpoint (the defaults if it has
 * none). 0 or the writer's error. Not from inside the loop's callbacks. */
int fixgw_net_metrics_render(fixgw_loop_t *loop, fixgw_prom_t *w);

/*
 * Serve GET (and HEAD) /metrics on host:port over HTTP/1.x, one request per
 * connection (Connection: close). Bind it to a loopback address: the
 * endpoint has no authentication. *bound_port (may be NULL) gets the port
 * (port 0 picks a free one). Other paths are 404, other methods 405, a
 * malformed or over-long (> 4 KiB) request 400 or 431; none of them
 * disturbs a session. One endpoint per loop; it lives until the loop is
 * destroyed. Returns 0, FIXGW_EINVAL (NULL loop or host, bad opts),
 * FIXGW_ESTATE (the loop has one), FIXGW_ENOTFOUND (host does not
 * resolve), FIXGW_ENOMEM, FIXGW_ESYS (socket, bind or listen: logged),
 * FIXGW_EBUSY (from a loop callback).
 */
int fixgw_net_metrics_listen(fixgw_loop_t *loop, const char *host, uint16_t port,
                             uint16_t *bound_port, const fixgw_net_metrics_opts_t *opts);

typedef struct fixgw_net_metrics_stats {
  uint64_t served;   /* 200 answers */
  uint64_t rejected; /* 4xx and 500 answers */
  uint64_t refused;  /* connections closed at once: all client slots busy */
  uint64_t timeouts; /* clients closed by timeout_ms */
  uint64_t bytes_out;
} fixgw_net_metrics_stats_t;

/* The endpoint's counters; FIXGW_ENOTFOUND without one. */
int fixgw_net_metrics_stats(const fixgw_loop_t *loop, fixgw_net_metrics_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_NET_H */
