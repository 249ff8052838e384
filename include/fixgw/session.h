/*
 * libfixgw session: a sans-IO FIX session (FIX 4.0-4.4, FIXT.1.1 with FIX
 * 5.0-5.0SP2) from Logon to Logout.
 *
 * The host owns the socket and the clock. It reads bytes into a span the
 * session lends (or feeds bytes it already holds), writes what the session
 * has pending and says how much went out, and calls the timer entry point
 * when the deadline the session asked for has come. Every entry point takes
 * `now`: monotonic time for timers, UTC for SendingTime and schedules.
 *
 *   recv:  fixgw_session_recv_buf() -> read(fd, ptr, cap) ->
 *          fixgw_session_recv_commit(s, n, now)    (or fixgw_session_feed)
 *   send:  fixgw_session_pending(s, &p, &n) -> write(fd, p, n) = w ->
 *          fixgw_session_written(s, w, now)
 *   time:  poll/epoll timeout from fixgw_session_next_deadline(s), then
 *          fixgw_session_on_timer(s, now) (early or repeated calls are fine)
 *   close: when want_read and want_write are both 0, close the socket and
 *          call fixgw_session_disconnected(s, reason, now)
 *
 * Wire behaviour follows QuickFIX where FIX leaves a choice: generated
 * messages carry 8, 9, 35, the other header fields in ascending tag order,
 * the body in ascending tag order, then 10; its TestRequest carries
 * 112=TEST; TestRequest after 1.2 x HeartBtInt of silence, disconnect after
 * 2.4 x; reject and logout texts are QuickFIX's words.
 *
 * Memory: everything is allocated once, at create, through the allocator
 * of the config (receive and transmit buffers, the gap queue, the parser
 * index, the validator tables); nothing allocates afterwards.
 *
 * Threads: a session belongs to one thread at a time. Callbacks run on the
 * calling thread, inside the entry point that caused them.
 *
 * Re-entrancy is enforced: from inside a callback, send_* and logout only
 * queue (they are allowed); recv_commit, feed, on_timer, pending, written,
 * connected, disconnected and destroy return FIXGW_EBUSY.
 */
#ifndef FIXGW_SESSION_H
#define FIXGW_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/codec.h"
#include "fixgw/common.h"
#include "fixgw/dict.h"
#include "fixgw/store.h"
#include "fixgw/validate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ time */

/* The current time, as the host's clock gives it: CLOCK_MONOTONIC ns for
 * timers, CLOCK_REALTIME ns (UTC) for SendingTime and schedules. */
typedef struct fixgw_now {
  uint64_t mono_ns;
  int64_t utc_ns;
} fixgw_now_t;

/* --------------------------------------------------------------- schedule */

/* A time zone as a table of UTC offsets (fixgw/tz.h loads one from the
 * system's zoneinfo, with its DST rules for schedules). Read-only; any number of schedules may share
 * one. NULL in a schedule means UTC. */
typedef struct fixgw_tz fixgw_tz_t;

/* Offset from UTC in seconds (local = utc + offset) at utc_s in tz; 0 for
 * NULL. Pure. */
int32_t fixgw_tz_offset(const fixgw_tz_t *tz, int64_t utc_s);

/* When the session may be logged on (QuickFIX's StartTime, EndTime,
 * StartDay, EndDay, TimeZone). Times are local to tz, seconds after
 * midnight. With start_day/end_day at -1 the session runs daily from
 * start_time to end_time (across midnight when end < start); with both
 * set (0 = Sunday .. 6 = Saturday) it runs weekly from start_day
 * start_time to end_day end_time. start_time == end_time daily means 24
 * hours (QuickFIX's meaning) that still begins a new period, with its
 * reset, at start_time. Times are evaluated in whole seconds, the end
 * second inside. An enabled schedule that fails fixgw_schedule_check()
 * behaves as a disabled one (fixgw_session_create refuses it). */
typedef struct fixgw_schedule {
  bool enabled;    /* false: always in session, no scheduled reset */
  int32_t start_time; /* seconds after local midnight, 0..86399 */
  int32_t end_time;
  int8_t start_day;   /* -1, or 0..6 */
  int8_t end_day;
  const fixgw_tz_t *tz; /* borrowed; must outlive the session */
} fixgw_schedule_t;

/* true when utc_ns falls inside a session period of *sc (always true for
 * a disabled schedule). Pure. */
bool fixgw_schedule_in_session(const fixgw_schedule_t *sc, int64_t utc_ns);
/* UTC ns at which the period containing utc_ns began; outside a period,
 * when the last one began. INT64_MIN for a disabled schedule. Pure. */
int64_t fixgw_schedule_period_start(const fixgw_schedule_t *sc, int64_t utc_ns);
/* The first UTC ns after utc_ns at which in_session changes or a new
 * period begins (so a 24-hour schedule still wakes for its reset);
 * INT64_MAX for a disabled schedule. Pure. */
int64_t fixgw_schedule_next_change(const fixgw_schedule_t *sc, int64_t utc_ns);
/* Checks the fields of an enabled schedule are in range: 0 or
 * FIXGW_EINVAL (a disabled one is always 0). */
int fixgw_schedule_check(const fixgw_schedule_t *sc);

/* --------------------------------------------------------------- identity */

#define FIXGW_COMPID_MAX 63u

/* Who the session is: BeginString and the CompIDs (with the optional Sub
 * and Location IDs), NUL-terminated, empty when unset. */
typedef struct fixgw_session_id {
  fixgw_version version; /* FIXGW_V_FIX40 .. FIXGW_V_FIXT11 */
  char sender_comp_id[FIXGW_COMPID_MAX + 1];
  char sender_sub_id[FIXGW_COMPID_MAX + 1];
  char sender_location_id[FIXGW_COMPID_MAX + 1];
  char target_comp_id[FIXGW_COMPID_MAX + 1];
  char target_sub_id[FIXGW_COMPID_MAX + 1];
  char target_location_id[FIXGW_COMPID_MAX + 1];
} fixgw_session_id_t;

/* --------------------------------------------------------------- config */

typedef enum fixgw_session_role {
  FIXGW_INITIATOR = 0,
  FIXGW_ACCEPTOR = 1
} fixgw_session_role;

/* What the session does when the peer keeps sending while what the
 * session must answer is not drained (transmit buffer full), or the gap
 * queue is full. */
typedef enum fixgw_overflow_policy {
  /* Stop reading: recv_commit keeps the bytes (want_read is 0) until
   * output drains. Nothing is lost; the peer is slowed by TCP. */
  FIXGW_OVERFLOW_BACKPRESSURE = 0,
  /* Log, then close the connection (want_read and want_write 0). */
  FIXGW_OVERFLOW_DISCONNECT = 1
} fixgw_overflow_policy;

#define FIXGW_SECRET_MAX 127u

typedef struct fixgw_session_config {
  uint32_t size; /* sizeof(fixgw_session_config_t); set by _default */
  fixgw_session_role role;
  fixgw_session_id_t id;
  /* FIXT.1.1: our DefaultApplVerID (1137), e.g. FIXGW_DICT_FIX50SP2. */
  fixgw_dict_version default_appl_ver;

  uint32_t heartbeat_interval_s; /* HeartBtInt; initiator sends it, default 30 */
  uint32_t logon_timeout_s;      /* default 10 */
  uint32_t logout_timeout_s;     /* default 2 */
  bool reset_on_logon;
  bool reset_on_logout;
  bool reset_on_disconnect;
  bool refresh_on_logon;          /* store->refresh() before each Logon */
  bool send_redundant_resend_requests;
  bool persist_messages;          /* default true; false: resends are gap fills */
  bool send_next_expected_msg_seq_num; /* 789 on Logon (FIX 4.4+) */
  bool check_comp_id;             /* default true */
  bool check_latency;             /* default true: SendingTime within max_latency_s */
  uint32_t max_latency_s;         /* default 120 */
  bool requires_orig_sending_time; /* default true: PossDup needs 122 */
  /* Outgoing ResendRequest ranges at most this long; the next chunk is
   * asked when the previous one is complete. 0: one request. */
  uint32_t resend_request_chunk_size;
  /* SendingTime precision; default milliseconds (FIX 4.2+), seconds on
   * 4.0/4.1 whatever is set. */
  fixgw_ts_precision timestamp_precision;

  /* Validation (QuickFIX UseDataDictionary and the Validate* keys). With
   * use_data_dictionary, dict (NULL: the built-in one for the version;
   * FIXT: the transport dictionary) and app[] (NULL entries: built-in)
   * check each inbound message and a failure becomes a Reject. */
  bool use_data_dictionary;
  const fixgw_dict_t *dict;
  const fixgw_dict_t *app[FIXGW_DICT_COUNT_];
  uint32_t validation_checks; /* FIXGW_VAL_* bits; default FIXGW_VAL_ALL */

  /* Credentials added to our Logon (553, 554) when non-empty. The
   * password never appears in log lines or in on_wire (masked). */
  char username[FIXGW_SECRET_MAX + 1];
  char password[FIXGW_SECRET_MAX + 1];

  fixgw_schedule_t schedule;

  /* Bounds, all fixed at create. */
  uint32_t max_msg_size;   /* largest inbound message; default 16384 */
  uint32_t rx_buffer_size; /* >= max_msg_size; default max_msg_size */
  uint32_t tx_buffer_size; /* default 8192; >= 2 x the largest message sent */
  uint32_t gap_queue_bytes;    /* out-of-order stash; default 8192 */
  uint32_t gap_queue_messages; /* default 64 */
  uint32_t max_fields;         /* per inbound message; default 256 */
  fixgw_overflow_policy overflow;

  /* Where outbound messages and the numbers live. Required; owned by the
   * host, which destroys it after the session. */
  fixgw_store_t store;
  const fixgw_allocator_t *allocator; /* NULL: malloc; only at create */
} fixgw_session_config_t;

/* Defaults as listed above; role INITIATOR, version FIX.4.4. */
void fixgw_session_config_default(fixgw_session_config_t *cfg);

/* ------------------------------------------------------------- callbacks */

typedef struct fixgw_session fixgw_session_t;

typedef enum fixgw_session_state {
  FIXGW_SS_DISCONNECTED = 0, /* no transport */
  FIXGW_SS_AWAIT_LOGON,      /* acceptor: connected, waiting for Logon */
  FIXGW_SS_LOGON_SENT,       /* initiator: Logon sent, waiting for answer */
  FIXGW_SS_ACTIVE,           /* logged on */
  FIXGW_SS_LOGOUT_SENT,      /* Logout sent, waiting for answer or timeout */
  FIXGW_SS_CLOSING,          /* flush what is pending, then close */
  FIXGW_SS_FATAL             /* a fatal error: only destroy is allowed */
} fixgw_session_state;

const char *fixgw_session_state_name(fixgw_session_state st);

/* Values a message callback returns. */
#define FIXGW_CB_OK 0
/* Stop processing input after this message: recv_commit / feed return
 * FIXGW_EPAUSED with the rest of the bytes kept; call recv_commit(s, 0,
 * now) to go on. */
#define FIXGW_CB_PAUSE 1
/* on_app only: answer with BusinessMessageReject "Unsupported Message
 * Type" (FIX 4.2+; a Reject with that text on 4.0/4.1). */
#define FIXGW_CB_UNSUPPORTED 2
/* on_logon_request: refuse the Logon (Logout with the text, then close).
 * on_outbound: do not send (resends become a gap fill). */
#define FIXGW_CB_REFUSE 3

typedef enum fixgw_log_level {
  FIXGW_LOG_DEBUG = 0,
  FIXGW_LOG_INFO,
  FIXGW_LOG_WARN,
  FIXGW_LOG_ERROR
} fixgw_log_level;

/* Why a connection ended (disconnected(), and on_logout). */
typedef enum fixgw_disconnect_reason {
  FIXGW_DR_NONE = 0,
  FIXGW_DR_LOGOUT,         /* Logout exchanged */
  FIXGW_DR_PEER_CLOSED,    /* end of stream from the peer */
  FIXGW_DR_IO_ERROR,       /* the host's socket failed */
  FIXGW_DR_PROTOCOL,       /* the session closed it (see the log line) */
  FIXGW_DR_TIMEOUT,        /* logon, logout or heartbeat timeout */
  FIXGW_DR_HOST            /* the host chose to */
} fixgw_disconnect_reason;

const char *fixgw_disconnect_reason_name(fixgw_disconnect_reason r);

/* An outbound message about to be queued, for on_outbound. */
typedef struct fixgw_outbound {
  fixgw_str_t msgtype;
  uint64_t seq;
  bool admin;  /* session-level MsgType */
  bool resend; /* a retransmission (PossDupFlag=Y) */
} fixgw_outbound_t;

/* A Reject (3) or BusinessMessageReject (j), sent or received. */
typedef struct fixgw_reject_event {
  bool sent;           /* we sent it (else the peer did) */
  bool business;       /* 35=j */
  uint64_t ref_seq;    /* RefSeqNum (45) */
  int reason;          /* 373 or 380; -1 when absent */
  uint32_t ref_tag;    /* 371; 0 when absent */
  fixgw_str_t ref_msgtype; /* 372 */
  fixgw_str_t text;    /* 58 */
} fixgw_reject_event_t;

/* A handler for inbound application messages. msg is a view valid for the
 * call only. Returns FIXGW_CB_OK, FIXGW_CB_PAUSE or FIXGW_CB_UNSUPPORTED. */
typedef int (*fixgw_app_cb)(fixgw_session_t *s, const fixgw_msg_t *msg,
                            void *user);

typedef struct fixgw_session_callbacks {
  uint32_t size; /* sizeof(fixgw_session_callbacks_t) */
  /* Application messages without a handler of their own (see
   * fixgw_session_on()). NULL: BusinessMessageReject, unsupported. */
  fixgw_app_cb on_app;
  /* Every inbound admin message after the session handled it (fromAdmin).
   * Returns FIXGW_CB_OK or FIXGW_CB_PAUSE. */
  int (*on_admin)(fixgw_session_t *s, const fixgw_msg_t *msg, void *user);
  /* A Logon request from the peer, before it is answered (acceptor, or an
   * initiator answered with a reset): FIXGW_CB_OK accepts, FIXGW_CB_REFUSE
   * refuses with *text (a static or user-owned string; NULL: no text). */
  int (*on_logon_request)(fixgw_session_t *s, const fixgw_msg_t *logon,
                          const char **text, void *user);
  /* Every outbound message before it is stamped and queued. For new
   * messages enc may add body fields (the header is written; fields are
   * appended after the host's); on resends enc is NULL. FIXGW_CB_OK, or
   * FIXGW_CB_REFUSE (application messages only) not to send it. */
  int (*on_outbound)(fixgw_session_t *s, const fixgw_outbound_t *out,
                     fixgw_encoder_t *enc, void *user);
  void (*on_logon)(fixgw_session_t *s, void *user);
  void (*on_logout)(fixgw_session_t *s, fixgw_disconnect_reason why,
                    void *user);
  void (*on_state)(fixgw_session_t *s, fixgw_session_state from,
                   fixgw_session_state to, void *user);
  void (*on_reject)(fixgw_session_t *s, const fixgw_reject_event_t *r,
                    void *user);
  /* An event line (NUL-terminated, valid for the call). */
  void (*on_log)(fixgw_session_t *s, fixgw_log_level level, const char *line,
                 void *user);
  /* Every message in or out, as on the wire (for a message log), except
   * that a Password (554) is masked with '*'. */
  void (*on_wire)(fixgw_session_t *s, bool outbound, const char *msg,
                  size_t len, void *user);
} fixgw_session_callbacks_t;

/* ------------------------------------------------------------ lifecycle */

/* Create a session from *cfg (copied) and *cb (copied; NULL: none).
 * Returns 0 and *out, FIXGW_EINVAL (a bound out of range, empty CompIDs,
 * version unknown, no store, FIXT without DefaultApplVerID, bad
 * schedule), FIXGW_ENOMEM. The store's numbers are read here
 * (FIXGW_ESTORE when it cannot answer). */
int fixgw_session_create(const fixgw_session_config_t *cfg,
                         const fixgw_session_callbacks_t *cb, void *user,
                         fixgw_session_t **out);
/* Free the session (not its store). Safe on NULL. FIXGW_EBUSY from a
 * callback (then nothing is freed). */
int fixgw_session_destroy(fixgw_session_t *s);

/* The transport is up. An initiator queues its Logon (when the schedule
 * allows); an acceptor waits for one. 0, FIXGW_ESTATE (already connected),
 * FIXGW_ESTORE, FIXGW_EBUSY. */
int fixgw_session_connected(fixgw_session_t *s, fixgw_now_t now);
/* The transport is gone (or the host closes it). Pending output and
 * partial input are dropped, on_logout runs if we were logged on, the
 * numbers stay (ResetOnDisconnect resets them). 0, FIXGW_EBUSY. */
int fixgw_session_disconnected(fixgw_session_t *s, fixgw_disconnect_reason why,
                               fixgw_now_t now);
/* Begin a Logout with an optional text (NULL: none): sent now, then the
 * session waits LogoutTimeout for the answer and closes. While not logged
 * on it just closes. Allowed from callbacks. 0, FIXGW_ESTATE. */
int fixgw_session_logout(fixgw_session_t *s, const char *text, fixgw_now_t now);

/* ---------------------------------------------------------------- input */

/* Lend the free tail of the receive buffer: read at most *cap bytes into
 * *ptr, then commit. *cap is 0 while input is paused or back-pressured. */
int fixgw_session_recv_buf(fixgw_session_t *s, char **ptr, size_t *cap);
/* n bytes arrived in the lent span (n may be 0: process what is buffered,
 * e.g. after a pause). Callbacks run from here.
 * 0, FIXGW_EPAUSED (a callback paused; bytes kept), FIXGW_EINVAL (n larger
 * than lent), FIXGW_ESTATE (not connected), FIXGW_EBUSY, or a fatal code.
 * Bad input from the peer is not an error: it is logged, answered as FIX
 * says, and may close the connection (see want_read/want_write). */
int fixgw_session_recv_commit(fixgw_session_t *s, size_t n, fixgw_now_t now);
/* Copying input for hosts that hold the bytes: takes what fits, processes
 * it, and repeats; *consumed says how much of data was taken (all of it
 * unless paused, back-pressured or closing). Returns as recv_commit. */
int fixgw_session_feed(fixgw_session_t *s, const char *data, size_t len,
                       size_t *consumed, fixgw_now_t now);
/* The peer closed its side: a cut-off message is logged, the session
 * closes. 0, FIXGW_EBUSY. */
int fixgw_session_recv_eof(fixgw_session_t *s, fixgw_now_t now);

/* --------------------------------------------------------------- output */

/* The bytes waiting to be written, as one span (no side effect). *len 0
 * when there is nothing. 0, FIXGW_EBUSY. */
int fixgw_session_pending(fixgw_session_t *s, const char **ptr, size_t *len);
/* n bytes of the pending span went out (any partial count). Continues a
 * resend that was waiting for space. 0, FIXGW_EINVAL (n > pending),
 * FIXGW_EBUSY, or a fatal code. */
int fixgw_session_written(fixgw_session_t *s, size_t n, fixgw_now_t now);
/* What the host's loop should poll for. Both false: close the connection,
 * then call disconnected(). While a callback's pause is in force
 * want_read stays true (recv_buf lends 0 bytes): lift it with
 * recv_commit(s, 0, now). */
bool fixgw_session_want_read(const fixgw_session_t *s);
bool fixgw_session_want_write(const fixgw_session_t *s);

/* ---------------------------------------------------------------- time */

/* Monotonic ns of the next timer, or UINT64_MAX when none is set. */
uint64_t fixgw_session_next_deadline(const fixgw_session_t *s);
/* Run the timers due at now (heartbeat, test request, logon and logout
 * timeouts, schedule). Safe to call early or twice. 0, FIXGW_EBUSY, or a
 * fatal code. */
int fixgw_session_on_timer(fixgw_session_t *s, fixgw_now_t now);

/* --------------------------------------------------------------- sending */

/* Extra header fields for one outbound message (OnBehalfOfCompID 115,
 * DeliverToCompID 128, ApplVerID 1128 ...), merged in ascending tag order
 * with the ones the session writes. Tags the session owns (8, 9, 10, 34,
 * 35, 43, 49, 50, 52, 56, 57, 97, 122, 142, 143) are refused. */
typedef struct fixgw_send_opts {
  const fixgw_field_t *header;
  uint32_t nheader; /* at most 16 */
} fixgw_send_opts_t;

/*
 * Start an application message of type msgtype straight in the transmit
 * buffer: the session writes the header (8, 9, 35, 34, 49, 52, 56 and the
 * optional ones) and returns, in *enc, an encoder positioned for the body
 * fields; the host appends them and calls send_commit (or send_abort).
 * Nothing else may be sent on s between begin and commit.
 * Returns 0, FIXGW_ESTATE (not logged on, or a message is open),
 * FIXGW_EAGAIN (transmit buffer full, or a resend is streaming: retry after
 * written()), FIXGW_EINVAL (msgtype empty or an admin type, bad opts),
 * FIXGW_EBUSY (from on_outbound).
 */
int fixgw_session_send_begin(fixgw_session_t *s, const char *msgtype,
                             const fixgw_send_opts_t *opts, fixgw_now_t now,
                             fixgw_encoder_t **enc);
/* Finish the open message: on_outbound, BodyLength, CheckSum, store append
 * (before it is queued), queued. *seq (may be NULL) gets its MsgSeqNum.
 * Returns 0; FIXGW_ESTATE (no message open); FIXGW_EAGAIN (the body did
 * not fit beside the output still pending: retry after written());
 * FIXGW_ENOSPC (it would not fit even in an empty transmit buffer); in
 * both nothing is sent and no number used; the encoder's sticky error
 * (likewise); FIXGW_EPERM (on_outbound refused it: nothing sent, no number
 * used); FIXGW_ESTORE (the append failed: nothing sent, no number used,
 * the session is now FATAL). In every case the message is closed. */
int fixgw_session_send_commit(fixgw_session_t *s, uint64_t *seq);
/* Drop the open message; no number is used. */
void fixgw_session_send_abort(fixgw_session_t *s);
/* One call for a body the host encoded elsewhere: body[0..len) is whole
 * fields "tag=value<SOH>..." (no header, no trailer). Returns as begin and
 * commit together. */
int fixgw_session_send_body(fixgw_session_t *s, const char *msgtype,
                            const char *body, size_t len,
                            const fixgw_send_opts_t *opts, fixgw_now_t now,
                            uint64_t *seq);

/* ------------------------------------------------------------ dispatch */

/* Route inbound application messages of type msgtype to cb (replacing an
 * earlier handler; cb NULL removes it). At most 64 types per session.
 * 0, FIXGW_EINVAL (msgtype empty, over 8 bytes, or admin), FIXGW_EFULL. */
int fixgw_session_on(fixgw_session_t *s, const char *msgtype, fixgw_app_cb cb);

/* ------------------------------------------------------------- queries */

fixgw_session_state fixgw_session_state_get(const fixgw_session_t *s);
fixgw_session_role fixgw_session_role_get(const fixgw_session_t *s);
/* Why the session ended (or is ending) its connection; FIXGW_DR_NONE
 * while it has not. Reset by connected(). */
fixgw_disconnect_reason fixgw_session_close_reason(const fixgw_session_t *s);
bool fixgw_session_is_logged_on(const fixgw_session_t *s);
/* The next MsgSeqNum we will send / expect to receive. */
uint64_t fixgw_session_next_sender_seq(const fixgw_session_t *s);
uint64_t fixgw_session_next_target_seq(const fixgw_session_t *s);
/* Set them by hand (operators do, as with QuickFIX's setNext*MsgSeqNum);
 * written to the store. Not while a message is open. 0, FIXGW_EINVAL (0),
 * FIXGW_ESTORE, FIXGW_ESTATE. */
int fixgw_session_set_next_sender_seq(fixgw_session_t *s, uint64_t seq);
int fixgw_session_set_next_target_seq(fixgw_session_t *s, uint64_t seq);
/* Reset both numbers to 1 and clear the store (while disconnected; a live
 * session resets with ResetSeqNumFlag at its next Logon). */
int fixgw_session_reset(fixgw_session_t *s, fixgw_now_t now);
/* The peer's HeartBtInt in force (ours until a Logon says otherwise). */
uint32_t fixgw_session_heartbeat_interval(const fixgw_session_t *s);
const fixgw_session_id_t *fixgw_session_id(const fixgw_session_t *s);
void *fixgw_session_user(const fixgw_session_t *s);
/* The peer's DefaultApplVerID from its Logon (FIXT), else the version's. */
fixgw_dict_version fixgw_session_peer_appl_ver(const fixgw_session_t *s);

/* The message types counted one by one in the stats: the session's own
 * (0 1 2 3 4 5 A) and the application's usual order flow and market data
 * (D F G 8 9 j W X); everything else shares the last slot. */
#define FIXGW_MSGTYPE_SLOTS 16

typedef struct fixgw_session_stats {
  uint64_t msgs_in, msgs_out;          /* sequenced messages */
  uint64_t bytes_in, bytes_out;        /* bytes committed / written */
  uint64_t app_in, app_out;
  uint64_t resent;                     /* messages retransmitted */
  uint64_t gap_fills_sent;
  uint64_t resend_requests_sent, resend_requests_received;
  uint64_t rejects_sent, rejects_received;
  uint64_t garbled;                    /* dropped: bad frame or checksum */
  uint64_t duplicates;                 /* PossDup at or below expected, ignored */
  uint64_t queued;                     /* stashed during a gap */
  uint64_t queue_dropped;              /* stash full: re-requested later */
  uint64_t logons, disconnects;
  uint64_t backpressured;              /* times input stopped for output */
  /* Every message received / written by MsgType slot (see
   * fixgw_session_msgtype_slot_name): in_by_type sums to msgs_in and
   * out_by_type to msgs_out (resends and gap fills included). */
  uint64_t in_by_type[FIXGW_MSGTYPE_SLOTS];
  uint64_t out_by_type[FIXGW_MSGTYPE_SLOTS];
} fixgw_session_stats_t;

/* The session's counters, updated in place by the thread that drives it;
 * valid until destroy. Another thread may read them (each field a whole
 * 64-bit word on the platforms we build for) but gets no consistent cut. */
const fixgw_session_stats_t *fixgw_session_stats(const fixgw_session_t *s);

/* The MsgType a slot of in_by_type/out_by_type counts ("0", "D", ...), or
 * "other" for the last slot (every type not listed), NULL past the end. */
const char *fixgw_session_msgtype_slot_name(unsigned slot);
/* The slot that counts msgtype (len bytes). */
unsigned fixgw_session_msgtype_slot(const char *msgtype, size_t len);

/* Bytes this session allocated at create (for sizing many sessions). */
size_t fixgw_session_memory(const fixgw_session_t *s);

/* --------------------------------------------------------------- routing */

/* What identifies a session from the first message of a new connection,
 * seen from our side (the peer's CompIDs reversed). Views into the bytes
 * given to fixgw_route_peek(). */
typedef struct fixgw_route_key {
  fixgw_version version;
  fixgw_str_t sender_comp_id;     /* our SenderCompID = its 56 */
  fixgw_str_t sender_sub_id;      /* its 57 */
  fixgw_str_t sender_location_id; /* its 143 */
  fixgw_str_t target_comp_id;     /* its 49 */
  fixgw_str_t target_sub_id;      /* its 50 */
  fixgw_str_t target_location_id; /* its 142 */
  fixgw_str_t msgtype;
} fixgw_route_key_t;

/*
 * Look at the first message in buf[0..len) without consuming anything and
 * fill *key. Pure, allocation-free; reads at most limit bytes (0: 4096) and
 * never past the body BodyLength gives. 8, 9 and 35 must come first; the
 * header is scanned until its first non-header field (standard header tags
 * of FIX 4.0-FIXT.1.1, and user tags 5000-39999), the body end, or until
 * all six IDs are found. A repeated ID keeps its first value. Unset views
 * are {"", 0}; values are not bounded here (the router refuses any over
 * FIXGW_COMPID_MAX). On an error *key is cleared.
 * Returns 0, FIXGW_EAGAIN (the header is not all there yet, len < limit),
 * FIXGW_ETOOBIG (limit reached first), FIXGW_ENOTFOUND (49 or 56 missing
 * once the header is over), or a parse error code (FIXGW_EBEGINSTRING,
 * EBODYLENGTH, EMSGTYPE, ETAG, ENOEQUALS, EEMPTYVALUE, ENOSOH, EDATALEN):
 * the bytes cannot start a FIX session, close the connection.
 * See fixgw/router.h for finding the session the key names.
 */
int fixgw_route_peek(const char *buf, size_t len, size_t limit,
                     fixgw_route_key_t *key);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_SESSION_H */
