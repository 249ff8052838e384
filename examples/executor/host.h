/* What fixgw-executor and fixgw-client share as hosts of libfixgw
 * sessions driven by net/'s loop: the clock pair every session call takes,
 * the settings file loaded with its errors as file:line: key: message, a
 * store per FileStorePath (the file store, else the memory store), the
 * session callbacks every program wants (log lines, admin counters), and
 * the STATUS line printed at exit. Not a library: a file both programs
 * compile. */
#ifndef FIXGW_EXAMPLES_HOST_H
#define FIXGW_EXAMPLES_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fixgw.h"
#include "fixgw/net.h"
#include "fixgw/log.h"
#include "fixgw/store_file.h"

/* CLOCK_MONOTONIC and CLOCK_REALTIME, as every session entry point takes. */
fixgw_now_t host_now(void);
uint64_t host_mono_ns(void);

/* Admin traffic a test wants to see counted (written on the loop's thread). */
typedef struct host_counters {
  uint64_t test_requests_in;  /* TestRequest (1) received: the session answers */
  uint64_t test_requests_out; /* TestRequest we sent (silence from the peer) */
  uint64_t test_replies_in;   /* Heartbeat carrying TestReqID (112) */
  uint64_t logouts_in;        /* Logout received */
  uint64_t peer_logouts;      /* ... that the peer began (we had not sent one) */
  uint64_t logouts_out;       /* Logout sent */
  uint64_t sequence_resets_in;
} host_counters_t;

/* One session as a program holds it; the program's own state may follow
 * (the session's user pointer is this struct). */
typedef struct host_sess {
  fixgw_session_t *s;
  fixgw_store_t store;
  bool file_store;
  bool logout_sent;
  int verbose;
  const char *prog;
  char name[160]; /* "FIX.4.4:SERVER->CLIENT" */
  host_counters_t c;
  fixgw_disconnect_reason last_reason;
  fixgw_log_t log;       /* FileLogPath: the session's file log, if has_log */
  bool has_log;
  uint64_t log_flush_at; /* mono ns of the next flush */
} host_sess_t;

/* Store options from the command line. */
typedef struct host_store_opts {
  fixgw_file_sync sync; /* default FIXGW_FILE_SYNC_OS (QuickFIX's durability) */
  bool force_memory;    /* --memory-store: ignore FileStorePath */
  /* Message bytes a memory store keeps for resends (0: 16 MiB), with an
   * index entry per 256 of them: thousands of sessions want less. */
  size_t memory_bytes;
} host_store_opts_t;

/* Load FILE; on failure print "prog: file:line: key: message" and return
 * 2 (the exit code); 0 on success. */
int host_settings_load(const char *prog, const char *path, fixgw_settings_t **out);

/* Open the store *ss names: the file store in FileStorePath (created if
 * missing; file name stem from the session id), or a memory store; and,
 * when FileLogPath is set, a file log there (QuickFIX's FileLog layout)
 * that on_wire and on_log write to. Prints the reason and returns nonzero
 * on failure. */
int host_store_open(host_sess_t *h, const fixgw_session_settings_t *ss,
                    const host_store_opts_t *o);

/* The callbacks every program installs (on_log, on_admin, on_wire,
 * on_logout, on_reject); the program sets its own on top. */
void host_callbacks(fixgw_session_callbacks_t *cb);

/* The session's name for log lines into h->name. */
void host_name(host_sess_t *h, const fixgw_session_id_t *id);

/* The loop's log lines (WARN and up; INFO with verbose) on stderr. */
void host_loop_log(fixgw_loop_t *loop, fixgw_log_level lv, const char *line, void *user);

/* A line "STATUS prog=.. session=.. state=.. next_sender=.. next_target=..
 * ..." describing h, to f. extra (may be NULL) is appended. */
void host_status(FILE *f, const host_sess_t *h, const char *extra);

/* The TLS context *ss asks for (SocketUseSSL=Y), server or client side;
 * *out NULL when it asks for none. Prints "prog: TLS: reason" and returns
 * 2 (the exit code) when the context cannot be made or TLS is not built
 * in; 0 otherwise. Free with host_tls_free(). */
int host_tls_ctx(const char *prog, const fixgw_session_settings_t *ss, bool server,
                 struct fixgw_tls_ctx **out);
void host_tls_free(struct fixgw_tls_ctx *ctx);

/* Sync and close the store; flush and close the log. */
void host_store_close(host_sess_t *h);

/* A file store wants poll(), or the log a flush, at this time (UINT64_MAX:
 * neither). poll() does both when due. */
uint64_t host_store_deadline(const host_sess_t *h);
void host_store_poll(host_sess_t *h, uint64_t mono_ns);

/* Install handler for SIGINT and SIGTERM that sets *flag and stops loop;
 * SIGPIPE ignored. */
void host_signals(volatile int *flag, fixgw_loop_t *loop);

/* --metrics-port: serve /metrics on 127.0.0.1:port (0: ephemeral) from
 * loop, with the loop's own sessions when loop_sessions, then extra's
 * families; prints `METRICS port=N` on stdout. Prints the reason and
 * returns nonzero on failure. */
int host_metrics_listen(const char *prog, fixgw_loop_t *loop, uint16_t port, bool loop_sessions,
                        fixgw_net_metrics_cb extra, void *user);

/* A command-line number: decimal digits only, lo <= value <= hi.
 * 0 and *out, or -1. */
int host_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

#endif /* FIXGW_EXAMPLES_HOST_H */
