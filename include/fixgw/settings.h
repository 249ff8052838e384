/*
 * libfixgw settings: QuickFIX-style settings files read into session
 * configs.
 *
 * The format is QuickFIX's:
 *
 *   # comment
 *   [DEFAULT]
 *   ConnectionType=initiator
 *   HeartBtInt=30
 *   [SESSION]
 *   BeginString=FIX.4.4
 *   SenderCompID=ME
 *   TargetCompID=VENUE
 *
 * One optional [DEFAULT] section, anywhere in the file (before or after
 * the sessions), and any number of [SESSION] sections. Every SESSION
 * starts from fixgw_session_config_default() plus the defaults below,
 * then takes the DEFAULT keys, then its own: a key in a SESSION overrides
 * the same key from DEFAULT. Section names are matched ignoring case;
 * keys are case-sensitive, spelled as QuickFIX spells them. Lines are
 * "Key=Value" (whitespace around key and value trimmed), comments (first
 * non-blank character '#') or blank; LF or CRLF; a UTF-8 BOM is skipped.
 * There are no inline comments: "HeartBtInt=30 # x" is a bad integer.
 *
 * Strict where QuickFIX is lenient, because a wrong setting found at
 * start-up is cheap and one found in production is not:
 *   - an unknown key is an error (keys that QuickFIX users keep in their
 *     files but that name nothing libfixgw does are accepted from the
 *     explicit list FIXGW_SETTINGS_IGNORED_KEYS, their values checked);
 *   - a key twice in one section is an error (QuickFIX: last one wins);
 *   - booleans are exactly Y or N; integers are decimal digits only, no
 *     sign, no trailing characters, range-checked per key;
 *   - typed values may not be empty; text values may be, which clears an
 *     inherited value (e.g. "SenderSubID=" under a DEFAULT that set one);
 *   - control characters (bytes < 0x20 other than the trimmed blanks, and
 *     0x7F) anywhere in a line, and NUL bytes anywhere, are errors;
 *   - a key that cannot apply to the session it is written in (e.g.
 *     SocketAcceptPort in an initiator's SESSION, DefaultApplVerID in a
 *     FIX.4.4 SESSION) is an error; inherited from DEFAULT it is dropped,
 *     since one DEFAULT serves initiators and acceptors, FIX.4.x and FIXT.
 *
 * Keys, and what they set (s = fixgw_session_settings_t, c = s->session):
 *
 *   Identity (BeginString, SenderCompID, TargetCompID and ConnectionType
 *   are required in every session; "required" errors name the line of the
 *   [SESSION] header):
 *     BeginString          c.id.version: FIX.4.0 .. FIX.4.4, FIXT.1.1
 *     SenderCompID, SenderSubID, SenderLocationID, TargetCompID,
 *     TargetSubID, TargetLocationID
 *                          c.id.*, at most FIXGW_COMPID_MAX bytes; "*"
 *                          (any counterparty) only with AcceptorTemplate=Y
 *     SessionQualifier     s.session_qualifier (part of the session's
 *                          identity: two sessions may differ only by it)
 *     DefaultApplVerID     c.default_appl_ver; FIXT.1.1 only, and required
 *                          there. "FIX.5.0SP2", "FIX50SP2" or the ApplVerID
 *                          enum value "9" (likewise FIX.4.0 .. FIX.5.0SP1)
 *     ConnectionType       initiator | acceptor: s.connection_type, c.role
 *     AcceptorTemplate     s.acceptor_template (acceptors only)
 *
 *   Transport (the host makes the sockets; these are for it):
 *     SocketConnectHost, SocketConnectPort
 *                          s.connect[0] (initiators)
 *     SocketConnectHost<n>, SocketConnectPort<n>, n = 1..8
 *                          fail-over s.connect[n], tried in order; both of
 *                          a pair or neither, and n only after n-1
 *     SocketAcceptHost     s.accept_host ("" = any address; acceptors)
 *     SocketAcceptPort     s.accept_port, s.accept_port_set (0 allowed:
 *                          an ephemeral port; acceptors)
 *     ReconnectInterval    s.reconnect_interval_s, 1..86400, default 30
 *     SocketNodelay        s.socket_nodelay, default Y
 *     SocketSendBufferSize, SocketReceiveBufferSize
 *                          s.socket_*_buffer_size, 0 (system default)
 *                          .. 1 GiB
 *
 *   Session:
 *     HeartBtInt           c.heartbeat_interval_s, 1..3600
 *     LogonTimeout, LogoutTimeout
 *                          c.logon_timeout_s, c.logout_timeout_s, 1..3600
 *     ResetOnLogon, ResetOnLogout, ResetOnDisconnect, RefreshOnLogon,
 *     SendRedundantResendRequests, PersistMessages, CheckCompID,
 *     CheckLatency, RequiresOrigSendingTime
 *                          the c. booleans of the same names
 *     EnableNextExpectedMsgSeqNum
 *                          c.send_next_expected_msg_seq_num
 *     MaxLatency           c.max_latency_s, 1..86400
 *     ResendRequestChunkSize
 *                          c.resend_request_chunk_size, 0 (one request)
 *                          .. 2^31-1
 *     MillisecondsInTimeStamp
 *                          Y: c.timestamp_precision = FIXGW_TS_MILLIS,
 *                          N: FIXGW_TS_SECONDS
 *     TimestampPrecision   0, 3, 6 or 9; wins over MillisecondsInTimeStamp
 *                          from the same section (the more specific
 *                          section wins otherwise)
 *     Username             c.username (553), at most FIXGW_SECRET_MAX bytes
 *     Password             c.password (554), a secret: see below
 *
 *   Schedule (c.schedule):
 *     NonStopSession       Y: c.schedule.enabled = false, and StartTime /
 *                          EndTime are not needed; otherwise both are
 *                          required (as QuickFIX requires them)
 *     StartTime, EndTime   HH:MM:SS (00..23, 00..59, 00..59)
 *     StartDay, EndDay     a day name or a prefix of one of at least two
 *                          letters, any case ("Sunday", "sun", "SU");
 *                          both or neither (weekly with both)
 *     TimeZone             an IANA name or a fixed "UTC+05:30" (s.time_zone),
 *                          loaded with fixgw_tz_load() (fixgw/tz.h) and
 *                          shared by every session naming it; "UTC",
 *                          "Etc/UTC", "GMT", "Etc/GMT" are
 *                          c.schedule.tz = NULL without a lookup
 *     UseLocalTime         Y: the machine's zone (s.use_local_time,
 *                          fixgw_tz_load("localtime"): /etc/localtime, UTC
 *                          without it), read once at load time, not per
 *                          session start. With TimeZone in the same
 *                          section: an error; in different sections the
 *                          more specific one wins.
 *     Zones are loaded only for sessions with a schedule.
 *
 *   Validation (c.use_data_dictionary, c.dict, c.app[], and the bits of
 *   c.validation_checks, which start from the config default):
 *     UseDataDictionary    c.use_data_dictionary. Absent: Y, as in
 *                          QuickFIX (the C config's own default is N).
 *                          With N no dictionary file is loaded.
 *     DataDictionary       FIX.4.x: a QuickFIX XML file loaded into
 *                          c.dict (absent: NULL, the built-in one)
 *     TransportDataDictionary
 *                          FIXT.1.1: the FIXT11 file, into c.dict
 *     AppDataDictionary    FIXT.1.1: into c.app[DefaultApplVerID]
 *     AppDataDictionary.<v>
 *                          FIXT.1.1: into c.app[v], v a version as
 *                          DefaultApplVerID takes it ("FIX.4.4")
 *                          A file is loaded once per distinct path (as
 *                          written) and shared; its <fix> version must be
 *                          the one it is used for. Paths: s.data_dictionary,
 *                          s.transport_data_dictionary,
 *                          s.app_data_dictionary[].
 *     ValidateUserDefinedFields  N clears FIXGW_VAL_USER_FIELDS
 *     ValidateFieldsOutOfOrder   N clears FIXGW_VAL_ORDER
 *     ValidateFieldsHaveValues   N clears FIXGW_VAL_EMPTY
 *     ValidateUnorderedGroupFields (QuickFIX/J) N clears
 *                                FIXGW_VAL_GROUP_ORDER
 *     AllowUnknownMsgFields      Y clears FIXGW_VAL_UNDEFINED and
 *                                FIXGW_VAL_TAG_IN_MSG
 *     (Y, resp. N for AllowUnknownMsgFields, sets those bits again, so a
 *     SESSION can undo a DEFAULT.)
 *     ValidateLengthAndChecksum  Y only: the session always checks
 *                                BodyLength and CheckSum; N is an error
 *
 *   TLS (s.tls; fixgw_tls_config_from_settings() in fixgw/tls.h makes a
 *   TLS config of them, and net/ runs the connection over it). QuickFIX's
 *   key names; QuickFIX switches TLS on by choosing its SSL socket
 *   classes, libfixgw by a key of QuickFIX/J's:
 *     SocketUseSSL         s.tls.enabled, default N. The other TLS keys
 *                          are checked either way but act only with Y.
 *     SSLProtocol          s.tls.min_version .. max_version, QuickFIX's
 *                          syntax: words SSLv2, SSLv3, TLSv1, TLSv1_1,
 *                          TLSv1_2, TLSv1_3, all, each optionally with +
 *                          (add) or - (remove), a bare word replacing the
 *                          set ("all -SSLv2", "+TLSv1_2 +TLSv1_3",
 *                          "TLSv1_3"). Versions below TLS 1.2 are never
 *                          spoken; a set without 1.2 or 1.3 is an error.
 *                          Default 1.2 .. 1.3
 *     SSLCipherSuite       s.tls.cipher_suite: OpenSSL cipher list for
 *                          TLS <= 1.2
 *     TLSCipherSuites      s.tls.tls_cipher_suites: TLS 1.3 suites
 *     ServerCertificateFile, ServerCertificateKeyFile
 *                          acceptors: PEM certificate (chain) and key,
 *                          both required with SocketUseSSL=Y
 *     ServerCertificateKeyPassword
 *                          acceptors: the key's passphrase, a secret
 *     ClientCertificateFile, ClientCertificateKeyFile,
 *     ClientCertificateKeyPassword
 *                          initiators: the certificate sent to the
 *                          server (optional; file and key together)
 *     CertificationAuthoritiesFile, CertificationAuthoritiesDirectory
 *                          trusted CAs (PEM file, hashed directory);
 *                          neither: the system's
 *     CertificateVerifyLevel
 *                          acceptors: client certificates, 0 not asked
 *                          for (default), 1 optional, 2 required
 *     SSLVerifyHostName    initiators: Y (default) checks that the
 *                          server's certificate names SocketConnectHost
 *                          (an IP SAN for an address); N only checks the
 *                          chain
 *
 *   Files (strings for the host, which makes the store and the log):
 *     FileStorePath, FileLogPath   s.file_store_path, s.file_log_path
 *
 *   libfixgw's own bounds (c.*; checked again by fixgw_session_create):
 *     MaxMessageSize       c.max_msg_size, 64 .. 64 MiB
 *     ReceiveBufferSize    c.rx_buffer_size, 64 .. 1 GiB, >= MaxMessageSize
 *                          (unset: the default, which follows
 *                          MaxMessageSize, raised to it when smaller)
 *     TransmitBufferSize   c.tx_buffer_size, 64 .. 1 GiB
 *     GapQueueBytes        c.gap_queue_bytes, 0 .. 1 GiB
 *     GapQueueMessages     c.gap_queue_messages, 0 .. 1048576
 *     MaxFields            c.max_fields, 8 .. 65535
 *     OverflowPolicy       backpressure | disconnect: c.overflow
 *
 * Secrets. A Password value (likewise ServerCertificateKeyPassword and
 * ClientCertificateKeyPassword) "env:NAME" is the environment variable NAME
 * (unset or empty: an error), "file:PATH" the first line of the file at
 * PATH (relative to the working directory; its line end stripped;
 * unreadable, empty or too long: an error); any other value is the
 * password itself (so a literal password cannot start with "env:" or
 * "file:"). No error message ever holds a secret's value, and for secret
 * keys no value at all; the settings object wipes its copies when freed.
 *
 * Limits, each an error (FIXGW_ESETTINGS), so memory stays bounded on any
 * input: FIXGW_SETTINGS_MAX_FILE bytes, FIXGW_SETTINGS_MAX_LINE bytes per
 * line, FIXGW_SETTINGS_MAX_SESSIONS sessions.
 *
 * Not supported: QuickFIX's variable substitution, per-session includes,
 * and keys of the host's own (any key outside the lists here is an error).
 */
#ifndef FIXGW_SETTINGS_H
#define FIXGW_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"
#include "fixgw/dict.h"
#include "fixgw/session.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FIXGW_SETTINGS_MAX_FILE (1u << 20)
#define FIXGW_SETTINGS_MAX_LINE 4096u
#define FIXGW_SETTINGS_MAX_SESSIONS 10000u
/* SocketConnectHost/Port and the fail-overs SocketConnectHost1..8. */
#define FIXGW_SETTINGS_MAX_CONNECT 9u
#define FIXGW_SETTINGS_HOST_MAX 255u

/* Keys accepted and checked but not acted on: they configure QuickFIX's
 * screen and file logs and its HTTP console, or socket options libfixgw's
 * hosts set anyway. Listed so the acceptance is deliberate. */
#define FIXGW_SETTINGS_IGNORED_KEYS                                         \
  "ScreenLogShowIncoming", "ScreenLogShowOutgoing", "ScreenLogShowEvents",  \
      "ScreenLogShowHeartBeats", "FileIncludeMilliseconds",                 \
      "FileIncludeTimeStampForMessages", "FileLogHeartbeats",               \
      "SocketReuseAddress", "HttpAcceptPort"

/* One address to connect to. */
typedef struct fixgw_settings_host {
  char host[FIXGW_SETTINGS_HOST_MAX + 1]; /* name or literal address */
  uint16_t port;                          /* 1..65535 */
} fixgw_settings_host_t;

/* The TLS keys of a session (SocketUseSSL and the keys after it). Paths
 * and cipher strings are NULL when unset. */
typedef struct fixgw_settings_tls {
  bool enabled;         /* SocketUseSSL */
  /* SSLProtocol: 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3), as fixgw/tls.h's
   * FIXGW_TLS_1_2 / _1_3. */
  uint16_t min_version, max_version;
  const char *cipher_suite;      /* SSLCipherSuite */
  const char *tls_cipher_suites; /* TLSCipherSuites */
  const char *server_certificate_file;
  const char *server_certificate_key_file;
  char server_certificate_key_password[FIXGW_SECRET_MAX + 1];
  const char *client_certificate_file;
  const char *client_certificate_key_file;
  char client_certificate_key_password[FIXGW_SECRET_MAX + 1];
  const char *ca_file;      /* CertificationAuthoritiesFile */
  const char *ca_directory; /* CertificationAuthoritiesDirectory */
  uint32_t verify_level;    /* CertificateVerifyLevel 0..2 */
  bool verify_host_name;    /* SSLVerifyHostName */
} fixgw_settings_tls_t;

/* One [SESSION], DEFAULT applied (or the DEFAULT section itself: see
 * fixgw_settings_defaults()). Strings are NUL-terminated; the pointers
 * are NULL when unset and, like every pointer in session (dict, app[],
 * schedule.tz), owned by the settings object. */
typedef struct fixgw_session_settings {
  /* Ready for fixgw_session_create() once the host sets session.store
   * (left zero here) and, if it wants one, session.allocator (left as
   * fixgw_session_config_default() sets it). */
  fixgw_session_config_t session;
  uint32_t line; /* of the [SESSION] / [DEFAULT] header; 0: no DEFAULT */

  fixgw_session_role connection_type; /* = session.role */
  char session_qualifier[FIXGW_COMPID_MAX + 1];
  /* An acceptor's pattern for sessions made on demand: "*" in a CompID
   * field matches any counterparty value. */
  bool acceptor_template;

  /* Initiators: where to connect, primary first (nconnect 0 if none). */
  fixgw_settings_host_t connect[FIXGW_SETTINGS_MAX_CONNECT];
  uint32_t nconnect;
  uint32_t reconnect_interval_s;

  /* Acceptors. */
  char accept_host[FIXGW_SETTINGS_HOST_MAX + 1]; /* "": any address */
  uint16_t accept_port;
  bool accept_port_set;

  bool socket_nodelay;
  uint32_t socket_send_buffer_size;    /* 0: system default */
  uint32_t socket_receive_buffer_size; /* 0: system default */

  fixgw_settings_tls_t tls;

  const char *file_store_path;
  const char *file_log_path;

  /* The schedule's zone as written (NULL: UTC or none); use_local_time
   * when UseLocalTime=Y chose it. The loaded zone is session.schedule.tz. */
  const char *time_zone;
  bool use_local_time;

  /* Dictionary paths as written. app_data_dictionary[FIXGW_DICT_UNKNOWN]
   * is the unqualified AppDataDictionary (for DefaultApplVerID), [v] is
   * AppDataDictionary.<v>. The loaded ones are session.dict / app[]. */
  const char *data_dictionary;
  const char *transport_data_dictionary;
  const char *app_data_dictionary[FIXGW_DICT_COUNT_];
} fixgw_session_settings_t;

/* What went wrong, and where. file is the path (or name) given to the
 * loader, truncated to fit; line is 1-based, 0 when the error is not tied
 * to one (file unreadable, no sessions, out of memory); key is the key
 * at fault ("" if none; bytes outside printable ASCII become '?'). */
typedef struct fixgw_settings_error {
  int code; /* FIXGW_E*, 0 when none */
  char file[256];
  uint32_t line;
  char key[64];
  char message[256]; /* English, never holds a secret */
} fixgw_settings_error_t;

typedef struct fixgw_settings fixgw_settings_t;

/*
 * Read the settings file at path. Everything (the file's bytes, the
 * result, dictionaries and zones it loads) is allocated through a (NULL:
 * malloc); a is copied, so it need not outlive the call.
 * Returns 0 and *out, or a negative code with *err filled (err may be
 * NULL) and *out untouched:
 *   FIXGW_ESETTINGS  the file's content: syntax, unknown key, bad value,
 *                    missing required key, duplicate session, a limit
 *   FIXGW_EIO        the file (or a file it names: a dictionary, a
 *                    Password file:) cannot be opened or read
 *   FIXGW_EDICT_*    a dictionary it names is invalid (line and key of
 *                    the dictionary key; the loader's reason in message)
 *   FIXGW_ETZ        a TimeZone (or UseLocalTime's zone) cannot be loaded
 *   FIXGW_ENOMEM     an allocation failed (nothing is leaked)
 *   FIXGW_EINVAL     path or out NULL
 * Thread-safe as far as getenv() is (no setenv() meanwhile).
 */
int fixgw_settings_load_file(const char *path, const fixgw_allocator_t *a,
                             fixgw_settings_t **out,
                             fixgw_settings_error_t *err);
/* As load_file, from text[0..len) (need not be NUL-terminated; not
 * referenced after return). name (may be NULL: "(settings)") is used in
 * *err. Same returns, FIXGW_EIO only for files the text names, FIXGW_EINVAL
 * also for text NULL with len > 0. */
int fixgw_settings_load_mem(const char *text, size_t len, const char *name,
                            const fixgw_allocator_t *a, fixgw_settings_t **out,
                            fixgw_settings_error_t *err);
/* Free the settings with everything they own: the session settings, their
 * strings, the loaded dictionaries and zones, so no session created from
 * them may outlive this call. Safe on NULL. */
void fixgw_settings_free(fixgw_settings_t *s);

/* The number of [SESSION] sections (>= 1 in a loaded object). */
size_t fixgw_settings_count(const fixgw_settings_t *s);
/* The i-th session in file order, or NULL when i >= count. Valid until
 * fixgw_settings_free(). */
const fixgw_session_settings_t *fixgw_settings_session(
    const fixgw_settings_t *s, size_t i);
/* The [DEFAULT] section on its own (line 0 when the file has none): the
 * same defaults and keys a session starts from, without what needs a
 * session (required keys, applicability, dictionaries, zones: session.dict,
 * app[] and schedule.tz are NULL; the path strings are set). */
const fixgw_session_settings_t *fixgw_settings_defaults(
    const fixgw_settings_t *s);

/* "file:line: key: message" into buf (": key" left out when key is
 * empty, ":line" when line is 0), always NUL-terminated when n > 0.
 * Returns the length it wanted, as snprintf does (negative only if
 * snprintf fails). */
int fixgw_settings_error_format(const fixgw_settings_error_t *e, char *buf,
                                size_t n);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_SETTINGS_H */
