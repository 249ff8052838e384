/*
 * QuickFIX-style settings files into fixgw_session_settings_t.
 *
 * Two passes over the text. The first checks the shape of every line and
 * counts what the second will need (sessions, Key=Value lines, dictionary
 * and zone keys), so every allocation is made once, at its final size, and
 * a hostile file is refused before anything grows with it. The second
 * applies the DEFAULT section once to a builder, then, for each SESSION,
 * copies that builder and applies the session's own lines. Values are
 * checked where they are read, so an error names the line it is on; what
 * depends on several keys (required keys, roles, versions, dictionaries,
 * schedules) is settled when a session ends.
 *
 * Every slot of the builder remembers where its value came from (unset,
 * DEFAULT, this SESSION) and on which line, which gives duplicate-key
 * errors, "the more specific section wins" and "inherited but not
 * applicable: dropped; written here but not applicable: an error".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/settings.h"
#include "fixgw/tz.h"
#include "internal.h"

#define MAXC FIXGW_SETTINGS_MAX_CONNECT

/* ------------------------------------------------------------------ keys */

enum slot {
  S_BEGIN,
  S_SENDER,
  S_SENDER_SUB,
  S_SENDER_LOC,
  S_TARGET,
  S_TARGET_SUB,
  S_TARGET_LOC,
  S_QUALIFIER,
  S_APPLVER,
  S_CONNTYPE,
  S_TEMPLATE,
  S_CHOST,                /* + n, n = 0 (no suffix) .. 8 */
  S_CPORT = S_CHOST + MAXC, /* + n */
  S_AHOST = S_CPORT + MAXC,
  S_APORT,
  S_RECONNECT,
  S_NODELAY,
  S_SNDBUF,
  S_RCVBUF,
  S_HEARTBT,
  S_LOGON_TO,
  S_LOGOUT_TO,
  S_RESET_LOGON,
  S_RESET_LOGOUT,
  S_RESET_DISC,
  S_REFRESH,
  S_REDUNDANT,
  S_PERSIST,
  S_CHECKCOMP,
  S_CHECKLAT,
  S_MAXLAT,
  S_ORIGST,
  S_NEXTEXP,
  S_CHUNK,
  S_MILLIS,
  S_PRECISION,
  S_USER,
  S_PASSWORD,
  S_NONSTOP,
  S_START_TIME,
  S_END_TIME,
  S_START_DAY,
  S_END_DAY,
  S_TZ,
  S_LOCALTIME,
  S_USEDD,
  S_DD,
  S_TDD,
  S_ADD, /* + version; + FIXGW_DICT_UNKNOWN: unqualified */
  S_V_USER = S_ADD + FIXGW_DICT_COUNT_,
  S_V_ORDER,
  S_V_EMPTY,
  S_V_GROUP,
  S_V_UNKNOWN,
  S_V_LENCHK,
  S_STORE_PATH,
  S_LOG_PATH,
  S_MAXMSG,
  S_RXBUF,
  S_TXBUF,
  S_GAPB,
  S_GAPM,
  S_MAXF,
  S_OVERFLOW,
  S_TLS_USE,
  S_TLS_PROTO,
  S_TLS_CIPHER,
  S_TLS13_CIPHERS,
  S_SCERT,
  S_SKEY,
  S_SKEY_PW,
  S_CCERT,
  S_CKEY,
  S_CKEY_PW,
  S_CA_FILE,
  S_CA_DIR,
  S_VERIFY_LEVEL,
  S_VERIFY_HOST,
  S_IGN0, /* + i, the keys of FIXGW_SETTINGS_IGNORED_KEYS */
  S_COUNT = S_IGN0 + 9
};

enum kind {
  K_BEGIN,
  K_ID,       /* char[FIXGW_COMPID_MAX + 1] at off */
  K_APPLVER,
  K_CONNTYPE,
  K_BOOL,     /* bool at off */
  K_U32,      /* uint32_t at off, min..max */
  K_CHOST,
  K_CPORT,
  K_AHOST,
  K_APORT,
  K_TIME,     /* int32_t seconds at off */
  K_DAY,      /* int8_t at off */
  K_TZ,
  K_PATH,     /* const char * at off; "" clears */
  K_APPDICT,
  K_VALBIT,   /* max: the bits; min 1: Y clears them (Allow*) */
  K_LENCHK,
  K_MILLIS,
  K_PRECISION,
  K_USER,
  K_SECRET,
  K_OVERFLOW,
  K_NONSTOP,
  K_IGN_BOOL,
  K_IGN_PORT,
  K_PROTO     /* SSLProtocol */
};

#define F_WILDCARD 0x01u /* "*" allowed with AcceptorTemplate=Y */

typedef struct keydef {
  const char *name;
  uint8_t kind;
  uint8_t flags;
  uint16_t slot;
  uint32_t off;
  uint32_t min, max;
} keydef;

#define SOFF(m) ((uint32_t)offsetof(fixgw_session_settings_t, m))
#define COFF(m) SOFF(session.m)
#define GIB (1u << 30)

static const keydef KEYS[] = {
    {"BeginString", K_BEGIN, 0, S_BEGIN, 0, 0, 0},
    {"SenderCompID", K_ID, F_WILDCARD, S_SENDER, COFF(id.sender_comp_id), 0, 0},
    {"SenderSubID", K_ID, F_WILDCARD, S_SENDER_SUB, COFF(id.sender_sub_id), 0, 0},
    {"SenderLocationID", K_ID, F_WILDCARD, S_SENDER_LOC,
     COFF(id.sender_location_id), 0, 0},
    {"TargetCompID", K_ID, F_WILDCARD, S_TARGET, COFF(id.target_comp_id), 0, 0},
    {"TargetSubID", K_ID, F_WILDCARD, S_TARGET_SUB, COFF(id.target_sub_id), 0, 0},
    {"TargetLocationID", K_ID, F_WILDCARD, S_TARGET_LOC,
     COFF(id.target_location_id), 0, 0},
    {"SessionQualifier", K_ID, 0, S_QUALIFIER, SOFF(session_qualifier), 0, 0},
    {"DefaultApplVerID", K_APPLVER, 0, S_APPLVER, 0, 0, 0},
    {"ConnectionType", K_CONNTYPE, 0, S_CONNTYPE, 0, 0, 0},
    {"AcceptorTemplate", K_BOOL, 0, S_TEMPLATE, SOFF(acceptor_template), 0, 0},
    {"SocketConnectHost", K_CHOST, 0, S_CHOST, 0, 0, 0},
    {"SocketConnectPort", K_CPORT, 0, S_CPORT, 0, 1, 65535},
    {"SocketAcceptHost", K_AHOST, 0, S_AHOST, 0, 0, 0},
    {"SocketAcceptPort", K_APORT, 0, S_APORT, 0, 0, 65535},
    {"ReconnectInterval", K_U32, 0, S_RECONNECT, SOFF(reconnect_interval_s), 1,
     86400},
    {"SocketNodelay", K_BOOL, 0, S_NODELAY, SOFF(socket_nodelay), 0, 0},
    {"SocketSendBufferSize", K_U32, 0, S_SNDBUF, SOFF(socket_send_buffer_size),
     0, GIB},
    {"SocketReceiveBufferSize", K_U32, 0, S_RCVBUF,
     SOFF(socket_receive_buffer_size), 0, GIB},
    {"HeartBtInt", K_U32, 0, S_HEARTBT, COFF(heartbeat_interval_s), 1, 3600},
    {"LogonTimeout", K_U32, 0, S_LOGON_TO, COFF(logon_timeout_s), 1, 3600},
    {"LogoutTimeout", K_U32, 0, S_LOGOUT_TO, COFF(logout_timeout_s), 1, 3600},
    {"ResetOnLogon", K_BOOL, 0, S_RESET_LOGON, COFF(reset_on_logon), 0, 0},
    {"ResetOnLogout", K_BOOL, 0, S_RESET_LOGOUT, COFF(reset_on_logout), 0, 0},
    {"ResetOnDisconnect", K_BOOL, 0, S_RESET_DISC, COFF(reset_on_disconnect), 0,
     0},
    {"RefreshOnLogon", K_BOOL, 0, S_REFRESH, COFF(refresh_on_logon), 0, 0},
    {"SendRedundantResendRequests", K_BOOL, 0, S_REDUNDANT,
     COFF(send_redundant_resend_requests), 0, 0},
    {"PersistMessages", K_BOOL, 0, S_PERSIST, COFF(persist_messages), 0, 0},
    {"CheckCompID", K_BOOL, 0, S_CHECKCOMP, COFF(check_comp_id), 0, 0},
    {"CheckLatency", K_BOOL, 0, S_CHECKLAT, COFF(check_latency), 0, 0},
    {"MaxLatency", K_U32, 0, S_MAXLAT, COFF(max_latency_s), 1, 86400},
    {"RequiresOrigSendingTime", K_BOOL, 0, S_ORIGST,
     COFF(requires_orig_sending_time), 0, 0},
    {"EnableNextExpectedMsgSeqNum", K_BOOL, 0, S_NEXTEXP,
     COFF(send_next_expected_msg_seq_num), 0, 0},
    {"ResendRequestChunkSize", K_U32, 0, S_CHUNK,
     COFF(resend_request_chunk_size), 0, 0x7FFFFFFFu},
    {"MillisecondsInTimeStamp", K_MILLIS, 0, S_MILLIS, 0, 0, 0},
    {"TimestampPrecision", K_PRECISION, 0, S_PRECISION, 0, 0, 0},
    {"Username", K_USER, 0, S_USER, 0, 0, 0},
    {"Password", K_SECRET, 0, S_PASSWORD, COFF(password), 0, 0},
    {"NonStopSession", K_NONSTOP, 0, S_NONSTOP, 0, 0, 0},
    {"StartTime", K_TIME, 0, S_START_TIME, COFF(schedule.start_time), 0, 0},
    {"EndTime", K_TIME, 0, S_END_TIME, COFF(schedule.end_time), 0, 0},
    {"StartDay", K_DAY, 0, S_START_DAY, COFF(schedule.start_day), 0, 0},
    {"EndDay", K_DAY, 0, S_END_DAY, COFF(schedule.end_day), 0, 0},
    {"TimeZone", K_TZ, 0, S_TZ, 0, 0, 0},
    {"UseLocalTime", K_BOOL, 0, S_LOCALTIME, SOFF(use_local_time), 0, 0},
    {"UseDataDictionary", K_BOOL, 0, S_USEDD, COFF(use_data_dictionary), 0, 0},
    {"DataDictionary", K_PATH, 0, S_DD, SOFF(data_dictionary), 0, 0},
    {"TransportDataDictionary", K_PATH, 0, S_TDD,
     SOFF(transport_data_dictionary), 0, 0},
    {"AppDataDictionary", K_APPDICT, 0, S_ADD, 0, 0, 0},
    {"ValidateUserDefinedFields", K_VALBIT, 0, S_V_USER, 0, 0,
     FIXGW_VAL_USER_FIELDS},
    {"ValidateFieldsOutOfOrder", K_VALBIT, 0, S_V_ORDER, 0, 0, FIXGW_VAL_ORDER},
    {"ValidateFieldsHaveValues", K_VALBIT, 0, S_V_EMPTY, 0, 0, FIXGW_VAL_EMPTY},
    {"ValidateUnorderedGroupFields", K_VALBIT, 0, S_V_GROUP, 0, 0,
     FIXGW_VAL_GROUP_ORDER},
    {"AllowUnknownMsgFields", K_VALBIT, 0, S_V_UNKNOWN, 0, 1,
     FIXGW_VAL_UNDEFINED | FIXGW_VAL_TAG_IN_MSG},
    {"ValidateLengthAndChecksum", K_LENCHK, 0, S_V_LENCHK, 0, 0, 0},
    {"FileStorePath", K_PATH, 0, S_STORE_PATH, SOFF(file_store_path), 0, 0},
    {"FileLogPath", K_PATH, 0, S_LOG_PATH, SOFF(file_log_path), 0, 0},
    {"MaxMessageSize", K_U32, 0, S_MAXMSG, COFF(max_msg_size), 64, 64u << 20},
    {"ReceiveBufferSize", K_U32, 0, S_RXBUF, COFF(rx_buffer_size), 64, GIB},
    {"TransmitBufferSize", K_U32, 0, S_TXBUF, COFF(tx_buffer_size), 64, GIB},
    {"GapQueueBytes", K_U32, 0, S_GAPB, COFF(gap_queue_bytes), 0, GIB},
    {"GapQueueMessages", K_U32, 0, S_GAPM, COFF(gap_queue_messages), 0,
     1u << 20},
    {"MaxFields", K_U32, 0, S_MAXF, COFF(max_fields), 8, 65535},
    {"OverflowPolicy", K_OVERFLOW, 0, S_OVERFLOW, 0, 0, 0},
    {"SocketUseSSL", K_BOOL, 0, S_TLS_USE, SOFF(tls.enabled), 0, 0},
    {"SSLProtocol", K_PROTO, 0, S_TLS_PROTO, 0, 0, 0},
    {"SSLCipherSuite", K_PATH, 0, S_TLS_CIPHER, SOFF(tls.cipher_suite), 0, 0},
    {"TLSCipherSuites", K_PATH, 0, S_TLS13_CIPHERS, SOFF(tls.tls_cipher_suites), 0,
     0},
    {"ServerCertificateFile", K_PATH, 0, S_SCERT,
     SOFF(tls.server_certificate_file), 0, 0},
    {"ServerCertificateKeyFile", K_PATH, 0, S_SKEY,
     SOFF(tls.server_certificate_key_file), 0, 0},
    {"ServerCertificateKeyPassword", K_SECRET, 0, S_SKEY_PW,
     SOFF(tls.server_certificate_key_password), 0, 0},
    {"ClientCertificateFile", K_PATH, 0, S_CCERT,
     SOFF(tls.client_certificate_file), 0, 0},
    {"ClientCertificateKeyFile", K_PATH, 0, S_CKEY,
     SOFF(tls.client_certificate_key_file), 0, 0},
    {"ClientCertificateKeyPassword", K_SECRET, 0, S_CKEY_PW,
     SOFF(tls.client_certificate_key_password), 0, 0},
    {"CertificationAuthoritiesFile", K_PATH, 0, S_CA_FILE, SOFF(tls.ca_file), 0,
     0},
    {"CertificationAuthoritiesDirectory", K_PATH, 0, S_CA_DIR,
     SOFF(tls.ca_directory), 0, 0},
    {"CertificateVerifyLevel", K_U32, 0, S_VERIFY_LEVEL, SOFF(tls.verify_level), 0,
     2},
    {"SSLVerifyHostName", K_BOOL, 0, S_VERIFY_HOST, SOFF(tls.verify_host_name), 0,
     0},
    /* FIXGW_SETTINGS_IGNORED_KEYS, in its order (the tests compare). */
    {"ScreenLogShowIncoming", K_IGN_BOOL, 0, S_IGN0 + 0, 0, 0, 0},
    {"ScreenLogShowOutgoing", K_IGN_BOOL, 0, S_IGN0 + 1, 0, 0, 0},
    {"ScreenLogShowEvents", K_IGN_BOOL, 0, S_IGN0 + 2, 0, 0, 0},
    {"ScreenLogShowHeartBeats", K_IGN_BOOL, 0, S_IGN0 + 3, 0, 0, 0},
    {"FileIncludeMilliseconds", K_IGN_BOOL, 0, S_IGN0 + 4, 0, 0, 0},
    {"FileIncludeTimeStampForMessages", K_IGN_BOOL, 0, S_IGN0 + 5, 0, 0, 0},
    {"FileLogHeartbeats", K_IGN_BOOL, 0, S_IGN0 + 6, 0, 0, 0},
    {"SocketReuseAddress", K_IGN_BOOL, 0, S_IGN0 + 7, 0, 0, 0},
    {"HttpAcceptPort", K_IGN_PORT, 0, S_IGN0 + 8, 0, 0, 65535},
};
#define NKEYS (sizeof KEYS / sizeof KEYS[0])

/* FIX.5.0 and later have no BeginString of their own, so their dotted
 * names (as QuickFIX writes DefaultApplVerID) are ours to list. */
static const char *const DOTTED[FIXGW_DICT_COUNT_] = {
    NULL,      "FIX.4.0",    "FIX.4.1",    "FIX.4.2", "FIX.4.3",
    "FIX.4.4", "FIX.5.0",    "FIX.5.0SP1", "FIX.5.0SP2", "FIXT.1.1"};

/* -------------------------------------------------------------- objects */

typedef struct dict_ent {
  const char *path; /* in the pool */
  fixgw_dict_t *dict;
} dict_ent;

typedef struct tz_ent {
  const char *name; /* in the pool, or static */
  fixgw_tz_t *tz;
} tz_ent;

struct fixgw_settings {
  fixgw_allocator_t alloc;
  fixgw_session_settings_t defaults;
  fixgw_session_settings_t *sessions;
  size_t nsessions;
  char *pool;
  size_t pool_len, pool_cap;
  dict_ent *dicts;
  size_t ndicts, cap_dicts;
  tz_ent *tzs;
  size_t ntzs, cap_tzs;
};

/* A session (or DEFAULT) being put together. */
typedef struct build {
  fixgw_session_settings_t st;
  uint32_t line[S_COUNT];
  uint8_t from[S_COUNT]; /* FROM_* */
  uint32_t section_line;
  bool millis;
  bool nonstop;
  uint8_t precision;
} build;

enum { FROM_NONE = 0, FROM_DEFAULT = 1, FROM_HERE = 2 };

typedef struct ctx {
  fixgw_settings_t *S;
  const char *text;
  size_t len;
  fixgw_settings_error_t *err;
  int rc;
  fixgw_session_config_t base; /* fixgw_session_config_default() */
  /* From the first pass. */
  size_t nsessions, nkv, ndictkeys, ntzkeys;
  size_t def_pos; /* just after the [DEFAULT] line */
  uint32_t def_line;
  size_t body; /* after the BOM */
} ctx;

static void wipe(void *p, size_t n) {
  /* volatile: the stores must happen although nothing reads them again */
  volatile unsigned char *q = p;
  while (n--) *q++ = 0;
}

/* --------------------------------------------------------------- errors */

static void copy_key(char *dst, size_t cap, const char *k, size_t n) {
  size_t i;
  if (n > cap - 1) n = cap - 1;
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)k[i];
    dst[i] = (ch < 0x21 || ch > 0x7E) ? '?' : (char)ch;
  }
  dst[n] = 0;
}

static int fail(ctx *c, int code, uint32_t line, const char *key, size_t klen,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int fail(ctx *c, int code, uint32_t line, const char *key, size_t klen,
                const char *fmt, ...) {
  if (c->rc) return c->rc; /* the first error is the one to fix */
  c->rc = code;
  if (c->err) {
    fixgw_settings_error_t *e = c->err;
    e->code = code;
    e->line = line;
    copy_key(e->key, sizeof e->key, key ? key : "", key ? klen : 0);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

static int oom(ctx *c) {
  return fail(c, FIXGW_ENOMEM, 0, NULL, 0, "out of memory");
}

/* A value echoed in a message, cut so the message keeps its end. */
#define ECHO_MAX 48
#define ECHO(v, n) (int)((n) > ECHO_MAX ? ECHO_MAX : (n)), (v), \
                   ((n) > ECHO_MAX ? "..." : "")

/* ---------------------------------------------------------------- lines */

typedef struct line_t {
  const char *p;
  size_t n;    /* without the line end */
  uint32_t no; /* 1-based */
  size_t next; /* offset of the following line */
} line_t;

static bool next_line(const ctx *c, size_t pos, uint32_t no, line_t *l) {
  if (pos >= c->len) return false;
  const char *s = c->text + pos;
  const char *nl = memchr(s, '\n', c->len - pos);
  size_t n = nl ? (size_t)(nl - s) : c->len - pos;
  l->p = s;
  l->next = pos + n + (nl ? 1 : 0);
  if (n && s[n - 1] == '\r') n--;
  l->n = n;
  l->no = no;
  return true;
}

static bool blank(char ch) { return ch == ' ' || ch == '\t'; }

static void trim(const char **p, size_t *n) {
  while (*n && blank(**p)) (*p)++, (*n)--;
  while (*n && blank((*p)[*n - 1])) (*n)--;
}

static bool ieq(const char *a, size_t n, const char *b) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (!y) return false;
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y - 'A' + 'a');
    if (x != y) return false;
  }
  return b[n] == 0;
}

static bool eq(const char *a, size_t n, const char *b) {
  return strlen(b) == n && memcmp(a, b, n) == 0;
}

enum lkind { L_SKIP, L_DEFAULT, L_SESSION, L_KV };

/* What a line is; errors (bad shape) are reported here, in the first pass,
 * and the second pass sees only good lines. */
static int classify(ctx *c, const line_t *l, enum lkind *k) {
  const char *p = l->p;
  size_t n = l->n, i;
  if (n > FIXGW_SETTINGS_MAX_LINE)
    return fail(c, FIXGW_ESETTINGS, l->no, NULL, 0,
                "line longer than %u bytes", FIXGW_SETTINGS_MAX_LINE);
  trim(&p, &n);
  if (n == 0 || p[0] == '#') {
    *k = L_SKIP;
    return 0;
  }
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)p[i];
    if ((ch < 0x20 && ch != '\t') || ch == 0x7F)
      return fail(c, FIXGW_ESETTINGS, l->no, NULL, 0,
                  "control character (byte 0x%02X) in line", ch);
  }
  if (p[0] == '[') {
    if (p[n - 1] != ']')
      return fail(c, FIXGW_ESETTINGS, l->no, NULL, 0,
                  "section header without a closing ']' at its end");
    const char *s = p + 1;
    size_t sn = n - 2;
    trim(&s, &sn);
    if (ieq(s, sn, "DEFAULT")) *k = L_DEFAULT;
    else if (ieq(s, sn, "SESSION")) *k = L_SESSION;
    else
      return fail(c, FIXGW_ESETTINGS, l->no, NULL, 0,
                  "unknown section [%.*s%s]: expected [DEFAULT] or [SESSION]",
                  ECHO(s, sn));
    return 0;
  }
  const char *eqs = memchr(p, '=', n);
  if (!eqs)
    return fail(c, FIXGW_ESETTINGS, l->no, NULL, 0,
                "expected Key=Value, a [section] or a # comment");
  if (eqs == p)
    return fail(c, FIXGW_ESETTINGS, l->no, NULL, 0, "empty key before '='");
  *k = L_KV;
  return 0;
}

static void split(const line_t *l, const char **k, size_t *kn, const char **v,
                  size_t *vn) {
  const char *p = l->p;
  size_t n = l->n;
  trim(&p, &n);
  const char *e = memchr(p, '=', n);
  *k = p;
  *kn = (size_t)(e - p);
  *v = e + 1;
  *vn = n - *kn - 1;
  trim(k, kn);
  trim(v, vn);
}

static bool starts(const char *s, size_t n, const char *pre) {
  size_t m = strlen(pre);
  return n >= m && memcmp(s, pre, m) == 0;
}

/* First pass: shape, counts, limits. */
static int survey(ctx *c) {
  size_t pos = 0;
  uint32_t no = 1;
  bool in_section = false;
  line_t l;
  if (c->len > FIXGW_SETTINGS_MAX_FILE)
    return fail(c, FIXGW_ESETTINGS, 0, NULL, 0,
                "larger than %u bytes", FIXGW_SETTINGS_MAX_FILE);
  if (memchr(c->text, 0, c->len)) {
    const char *z = memchr(c->text, 0, c->len);
    uint32_t zl = 1;
    const char *q;
    for (q = c->text; q < z; q++) zl += *q == '\n';
    return fail(c, FIXGW_ESETTINGS, zl, NULL, 0, "NUL byte in the text");
  }
  if (c->len >= 3 && memcmp(c->text, "\xEF\xBB\xBF", 3) == 0) pos = 3;
  c->body = pos;
  for (; next_line(c, pos, no, &l); pos = l.next, no++) {
    enum lkind k;
    if (classify(c, &l, &k)) return c->rc;
    if (k == L_DEFAULT) {
      if (c->def_line)
        return fail(c, FIXGW_ESETTINGS, l.no, NULL, 0,
                    "a second [DEFAULT] section (the first is at line %u)",
                    c->def_line);
      c->def_line = l.no;
      c->def_pos = l.next;
      in_section = true;
    } else if (k == L_SESSION) {
      if (++c->nsessions > FIXGW_SETTINGS_MAX_SESSIONS)
        return fail(c, FIXGW_ESETTINGS, l.no, NULL, 0,
                    "more than %u sessions", FIXGW_SETTINGS_MAX_SESSIONS);
      in_section = true;
    } else if (k == L_KV) {
      const char *key, *v;
      size_t kn, vn;
      split(&l, &key, &kn, &v, &vn);
      if (!in_section)
        return fail(c, FIXGW_ESETTINGS, l.no, key, kn,
                    "Key=Value before the first [DEFAULT] or [SESSION]");
      c->nkv++;
      if (starts(key, kn, "DataDictionary") ||
          starts(key, kn, "TransportDataDictionary") ||
          starts(key, kn, "AppDataDictionary"))
        c->ndictkeys++;
      if (eq(key, kn, "TimeZone") || eq(key, kn, "UseLocalTime"))
        c->ntzkeys++;
    }
  }
  if (c->nsessions == 0)
    return fail(c, FIXGW_ESETTINGS, 0, NULL, 0, "no [SESSION] section");
  return 0;
}

/* --------------------------------------------------------------- values */

static const char *pool_str(ctx *c, const char *v, size_t n) {
  fixgw_settings_t *S = c->S;
  /* The pool was sized from the text (every value fits with its NUL); a
   * miss here is a bug, refused rather than overrun. */
  if (n + 1 > S->pool_cap - S->pool_len) {
    fail(c, FIXGW_ESETTINGS, 0, NULL, 0, "internal: string pool exhausted");
    return NULL;
  }
  char *d = S->pool + S->pool_len;
  memcpy(d, v, n);
  d[n] = 0;
  S->pool_len += n + 1;
  return d;
}

static bool parse_u32(const char *v, size_t n, uint32_t *out) {
  uint64_t x = 0;
  size_t i;
  if (n == 0 || n > 10) return false;
  for (i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9') return false;
    x = x * 10 + (uint64_t)(v[i] - '0');
  }
  if (x > UINT32_MAX) return false;
  *out = (uint32_t)x;
  return true;
}

static fixgw_dict_version parse_appl_ver(const char *v, size_t n) {
  fixgw_dict_version d = fixgw_dict_version_from_appl_ver_id(v, n);
  int i;
  if (d != FIXGW_DICT_UNKNOWN) return d;
  for (i = FIXGW_DICT_FIX40; i <= FIXGW_DICT_FIX50SP2; i++) {
    const char *nm = fixgw_dict_version_name((fixgw_dict_version)i);
    if ((nm && eq(v, n, nm)) || eq(v, n, DOTTED[i])) return (fixgw_dict_version)i;
  }
  return FIXGW_DICT_UNKNOWN;
}

static int parse_day(const char *v, size_t n) {
  static const char *const days[7] = {"sunday",   "monday", "tuesday",
                                      "wednesday", "thursday", "friday",
                                      "saturday"};
  int d;
  if (n < 2) return -1;
  for (d = 0; d < 7; d++) {
    size_t i;
    if (n > strlen(days[d])) continue;
    for (i = 0; i < n; i++) {
      char ch = v[i];
      if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
      if (ch != days[d][i]) break;
    }
    if (i == n) return d; /* two letters already tell the days apart */
  }
  return -1;
}

static int parse_time(const char *v, size_t n) {
  int i, hms[3];
  if (n != 8 || v[2] != ':' || v[5] != ':') return -1;
  for (i = 0; i < 3; i++) {
    char a = v[3 * i], b = v[3 * i + 1];
    if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
    hms[i] = (a - '0') * 10 + (b - '0');
  }
  if (hms[0] > 23 || hms[1] > 59 || hms[2] > 59) return -1;
  return hms[0] * 3600 + hms[1] * 60 + hms[2];
}

static bool tz_name_ok(const char *v, size_t n) {
  size_t i;
  /* IANA names and the tz module's "UTC+05:30" only: no '.', no leading
   * '/', so no name can climb out of the zoneinfo tree, whatever the tz
   * module checks again. */
  if (n == 0 || n > FIXGW_TZ_MAX_NAME || v[0] == '/') return false;
  for (i = 0; i < n; i++) {
    char ch = v[i];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
          (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '+' ||
          ch == '/' || ch == ':'))
      return false;
    if (ch == '/' && (i + 1 == n || v[i + 1] == '/')) return false;
  }
  return true;
}

static bool is_utc(const char *name) {
  return strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0 ||
         strcmp(name, "GMT") == 0 || strcmp(name, "Etc/GMT") == 0;
}

/* QuickFIX's SSLProtocol words into a set of versions: bit 0 SSLv2 ..
 * bit 5 TLSv1_3; -1 for a word it does not know. */
static int parse_protocols(const char *v, size_t n) {
  static const struct {
    const char *w;
    unsigned bits;
  } words[] = {{"SSLv2", 1u << 0},   {"SSLv3", 1u << 1},   {"TLSv1_1", 1u << 3},
               {"TLSv1_2", 1u << 4}, {"TLSv1_3", 1u << 5}, {"TLSv1", 1u << 2},
               {"all", 0x3fu}};
  unsigned set = 0;
  size_t i = 0;
  while (i < n) {
    while (i < n && blank(v[i])) i++;
    if (i == n) break;
    char action = 0;
    if (v[i] == '+' || v[i] == '-') action = v[i++];
    size_t j = i;
    while (j < n && !blank(v[j])) j++;
    size_t w;
    for (w = 0; w < sizeof words / sizeof words[0]; w++)
      if (j - i == strlen(words[w].w) && ieq(v + i, j - i, words[w].w)) break;
    if (w == sizeof words / sizeof words[0]) return -1;
    if (action == '+') set |= words[w].bits;
    else if (action == '-') set &= ~words[w].bits;
    else set = words[w].bits;
    i = j;
  }
  return (int)set;
}

static void put(build *b, uint32_t off, const void *v, size_t n) {
  memcpy((char *)&b->st + off, v, n);
}

/* --------------------------------------------------------------- secrets */

static bool has_ctl(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) return true;
  return false;
}

/* Password values: env:NAME, file:PATH or the secret itself. Messages name
 * the variable or the file, never what they hold. */
static int read_secret(ctx *c, uint32_t line, const char *key, const char *v,
                       size_t n, char *dst) {
  size_t kn = strlen(key);
  char ref[FIXGW_SETTINGS_MAX_LINE + 1];
  int rc = 0;
  if (starts(v, n, "env:")) {
    memcpy(ref, v + 4, n - 4);
    ref[n - 4] = 0;
    if (!ref[0])
      return fail(c, FIXGW_ESETTINGS, line, key, kn,
                  "env: needs a variable name");
    const char *val = getenv(ref);
    size_t vl = val ? strlen(val) : 0;
    if (!val)
      rc = fail(c, FIXGW_ESETTINGS, line, key, kn,
                "environment variable %.64s is not set", ref);
    else if (vl == 0)
      rc = fail(c, FIXGW_ESETTINGS, line, key, kn,
                "environment variable %.64s is empty", ref);
    else if (vl > FIXGW_SECRET_MAX)
      rc = fail(c, FIXGW_ESETTINGS, line, key, kn,
                "environment variable %.64s holds more than %u bytes", ref,
                FIXGW_SECRET_MAX);
    else if (has_ctl(val, vl))
      rc = fail(c, FIXGW_ESETTINGS, line, key, kn,
                "environment variable %.64s holds a control character", ref);
    else
      memcpy(dst, val, vl + 1);
    return rc;
  }
  if (starts(v, n, "file:")) {
    char buf[FIXGW_SECRET_MAX + 3];
    memcpy(ref, v + 5, n - 5);
    ref[n - 5] = 0;
    if (!ref[0])
      return fail(c, FIXGW_ESETTINGS, line, key, kn, "file: needs a path");
    FILE *f = fopen(ref, "rb");
    if (!f)
      return fail(c, FIXGW_EIO, line, key, kn, "cannot open %.200s", ref);
    size_t got = fread(buf, 1, sizeof buf, f);
    int ferr = ferror(f);
    fclose(f);
    const char *nl = memchr(buf, '\n', got);
    size_t ln = nl ? (size_t)(nl - buf) : got;
    if (ln && buf[ln - 1] == '\r') ln--;
    if (ferr)
      rc = fail(c, FIXGW_EIO, line, key, kn, "cannot read %.200s", ref);
    else if (!nl && got == sizeof buf)
      rc = fail(c, FIXGW_ESETTINGS, line, key, kn,
                "the first line of %.160s is longer than %u bytes", ref,
                FIXGW_SECRET_MAX);
    else if (ln == 0)
      rc = fail(c, FIXGW_ESETTINGS, line, key, kn,
                "the first line of %.200s is empty", ref);
    else if (ln > FIXGW_SECRET_MAX)
      rc = fail(c, FIXGW_ESETTINGS, line, key, kn,
                "the first line of %.160s is longer than %u bytes", ref,
                FIXGW_SECRET_MAX);
    else if (has_ctl(buf, ln))
      rc = fail(c, FIXGW_ESETTINGS, line, key, kn,
                "the first line of %.160s holds a control character", ref);
    else {
      memcpy(dst, buf, ln);
      dst[ln] = 0;
    }
    wipe(buf, sizeof buf);
    return rc;
  }
  if (n > FIXGW_SECRET_MAX)
    return fail(c, FIXGW_ESETTINGS, line, key, kn,
                "longer than %u bytes", FIXGW_SECRET_MAX);
  memcpy(dst, v, n);
  dst[n] = 0;
  return 0;
}

/* ----------------------------------------------------------- one line */

static const keydef *find_key(const char *k, size_t n, unsigned *sub) {
  size_t i;
  *sub = 0;
  for (i = 0; i < NKEYS; i++)
    if (eq(k, n, KEYS[i].name)) return &KEYS[i];
  /* SocketConnectHost<n> / Port<n>: one digit 1..8, as QuickFIX counts. */
  if (n == 18 && k[17] >= '1' && k[17] <= '8') {
    if (memcmp(k, "SocketConnectHost", 17) == 0 ||
        memcmp(k, "SocketConnectPort", 17) == 0) {
      *sub = (unsigned)(k[17] - '0');
      return find_key(k, 17, &(unsigned){0});
    }
  }
  if (starts(k, n, "AppDataDictionary.")) {
    fixgw_dict_version v = parse_appl_ver(k + 18, n - 18);
    if (v == FIXGW_DICT_UNKNOWN) return NULL;
    *sub = (unsigned)v;
    return find_key("AppDataDictionary", 17, &(unsigned){0});
  }
  return NULL;
}

static int apply(ctx *c, build *b, const line_t *l, uint8_t from) {
  const char *k, *v;
  size_t kn, vn;
  unsigned sub;
  split(l, &k, &kn, &v, &vn);
  const keydef *d = find_key(k, kn, &sub);
  if (!d) return fail(c, FIXGW_ESETTINGS, l->no, k, kn, "unknown key");
  unsigned slot = d->slot + sub;
  if (b->from[slot] == from)
    return fail(c, FIXGW_ESETTINGS, l->no, k, kn,
                "set twice in this section (first at line %u)", b->line[slot]);
  uint32_t line = l->no;
  bool yes = vn == 1 && v[0] == 'Y';
  bool is_bool = vn == 1 && (v[0] == 'Y' || v[0] == 'N');
  uint32_t u = 0;

  switch (d->kind) {
    case K_BOOL:
    case K_VALBIT:
    case K_LENCHK:
    case K_MILLIS:
    case K_NONSTOP:
    case K_IGN_BOOL:
      if (!is_bool)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' is not Y or N", ECHO(v, vn));
      break;
    case K_ID:
    case K_PATH:
    case K_APPDICT:
    case K_AHOST:
    case K_USER:
    case K_SECRET:
      break; /* text: may be empty, which clears */
    default:
      if (vn == 0)
        return fail(c, FIXGW_ESETTINGS, line, k, kn, "empty value");
  }

  switch (d->kind) {
    case K_BEGIN: {
      fixgw_version ver = fixgw_version_from_string(v, vn);
      if (ver == FIXGW_V_UNKNOWN)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' is not FIX.4.0 .. FIX.4.4 or FIXT.1.1",
                    ECHO(v, vn));
      b->st.session.id.version = ver;
      break;
    }
    case K_ID:
      if (vn > FIXGW_COMPID_MAX)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "longer than %u bytes", FIXGW_COMPID_MAX);
      {
        char tmp[FIXGW_COMPID_MAX + 1] = {0};
        memcpy(tmp, v, vn);
        put(b, d->off, tmp, sizeof tmp);
      }
      break;
    case K_APPLVER: {
      fixgw_dict_version av = parse_appl_ver(v, vn);
      if (av == FIXGW_DICT_UNKNOWN)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' is not an application version (FIX.4.0 .. "
                    "FIX.5.0SP2, FIX50SP2, or ApplVerID 2 .. 9)",
                    ECHO(v, vn));
      b->st.session.default_appl_ver = av;
      break;
    }
    case K_CONNTYPE:
      if (eq(v, vn, "initiator")) b->st.connection_type = FIXGW_INITIATOR;
      else if (eq(v, vn, "acceptor")) b->st.connection_type = FIXGW_ACCEPTOR;
      else
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' is not initiator or acceptor", ECHO(v, vn));
      b->st.session.role = b->st.connection_type;
      break;
    case K_BOOL:
      put(b, d->off, &yes, sizeof yes);
      break;
    case K_U32:
    case K_CPORT:
    case K_APORT:
    case K_IGN_PORT:
      if (!parse_u32(v, vn, &u) || u < d->min || u > d->max)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' is not an integer in %u..%u", ECHO(v, vn),
                    d->min, d->max);
      if (d->kind == K_U32) put(b, d->off, &u, sizeof u);
      else if (d->kind == K_CPORT) b->st.connect[sub].port = (uint16_t)u;
      else if (d->kind == K_APORT) {
        b->st.accept_port = (uint16_t)u;
        b->st.accept_port_set = true;
      }
      break;
    case K_CHOST:
    case K_AHOST: {
      size_t i;
      if (vn > FIXGW_SETTINGS_HOST_MAX)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "longer than %u bytes", FIXGW_SETTINGS_HOST_MAX);
      for (i = 0; i < vn; i++)
        if (blank(v[i]))
          return fail(c, FIXGW_ESETTINGS, line, k, kn,
                      "'%.*s%s' is not a host name or address", ECHO(v, vn));
      char *dst = d->kind == K_CHOST ? b->st.connect[sub].host
                                     : b->st.accept_host;
      memset(dst, 0, FIXGW_SETTINGS_HOST_MAX + 1);
      memcpy(dst, v, vn);
      break;
    }
    case K_TIME: {
      int t = parse_time(v, vn);
      if (t < 0)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' is not a time HH:MM:SS", ECHO(v, vn));
      int32_t t32 = t;
      put(b, d->off, &t32, sizeof t32);
      break;
    }
    case K_DAY: {
      int dd = parse_day(v, vn);
      if (dd < 0)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' is not a day of the week", ECHO(v, vn));
      int8_t d8 = (int8_t)dd;
      put(b, d->off, &d8, sizeof d8);
      break;
    }
    case K_TZ:
      if (!tz_name_ok(v, vn))
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' is not a time zone name", ECHO(v, vn));
      if (!(b->st.time_zone = pool_str(c, v, vn))) return c->rc;
      break;
    case K_PATH:
    case K_APPDICT: {
      const char *p = NULL;
      if (vn && !(p = pool_str(c, v, vn))) return c->rc;
      if (d->kind == K_PATH) put(b, d->off, &p, sizeof p);
      else b->st.app_data_dictionary[sub] = p;
      break;
    }
    case K_VALBIT: {
      bool on = d->min ? !yes : yes;
      if (on) b->st.session.validation_checks |= d->max;
      else b->st.session.validation_checks &= ~d->max;
      break;
    }
    case K_LENCHK:
      if (!yes)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "N is not supported: libfixgw always checks BodyLength "
                    "and CheckSum");
      break;
    case K_MILLIS:
      b->millis = yes;
      break;
    case K_NONSTOP:
      b->nonstop = yes;
      break;
    case K_PRECISION:
      if (!parse_u32(v, vn, &u) || (u != 0 && u != 3 && u != 6 && u != 9))
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' is not 0, 3, 6 or 9", ECHO(v, vn));
      b->precision = (uint8_t)u;
      break;
    case K_USER:
      if (vn > FIXGW_SECRET_MAX)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "longer than %u bytes", FIXGW_SECRET_MAX);
      memset(b->st.session.username, 0, sizeof b->st.session.username);
      memcpy(b->st.session.username, v, vn);
      break;
    case K_SECRET: {
      char tmp[FIXGW_SECRET_MAX + 1] = {0};
      int rc = read_secret(c, line, d->name, v, vn, tmp);
      if (!rc) put(b, d->off, tmp, sizeof tmp);
      wipe(tmp, sizeof tmp);
      if (rc) return rc;
      break;
    }
    case K_OVERFLOW:
      if (eq(v, vn, "backpressure"))
        b->st.session.overflow = FIXGW_OVERFLOW_BACKPRESSURE;
      else if (eq(v, vn, "disconnect"))
        b->st.session.overflow = FIXGW_OVERFLOW_DISCONNECT;
      else
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' is not backpressure or disconnect", ECHO(v, vn));
      break;
    case K_PROTO: {
      int set = parse_protocols(v, vn);
      if (set < 0)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' is not a list of SSLv2, SSLv3, TLSv1, TLSv1_1, "
                    "TLSv1_2, TLSv1_3 or all, each with an optional + or -",
                    ECHO(v, vn));
      bool v12 = set & (1 << 4), v13 = set & (1 << 5);
      if (!v12 && !v13)
        return fail(c, FIXGW_ESETTINGS, line, k, kn,
                    "'%.*s%s' leaves neither TLSv1_2 nor TLSv1_3 (the only "
                    "versions libfixgw speaks)",
                    ECHO(v, vn));
      b->st.tls.min_version = v12 ? 0x0303 : 0x0304;
      b->st.tls.max_version = v13 ? 0x0304 : 0x0303;
      break;
    }
    case K_IGN_BOOL:
      break;
  }
  b->from[slot] = from;
  b->line[slot] = line;
  return 0;
}

/* Apply the Key=Value lines from pos up to the next section header. */
static int apply_section(ctx *c, build *b, size_t pos, uint32_t no,
                         uint8_t from) {
  line_t l;
  for (; next_line(c, pos, no, &l); pos = l.next, no++) {
    enum lkind k;
    if (classify(c, &l, &k)) return c->rc;
    if (k == L_DEFAULT || k == L_SESSION) break;
    if (k == L_KV && apply(c, b, &l, from)) return c->rc;
  }
  return 0;
}

/* -------------------------------------------------------- resolution */

/* The key text of a slot, for messages about slots rather than lines. */
static const char *slot_key(unsigned slot, char *buf, size_t cap) {
  size_t i;
  if (slot > S_CHOST && slot < S_CHOST + MAXC) {
    snprintf(buf, cap, "SocketConnectHost%u", slot - S_CHOST);
    return buf;
  }
  if (slot > S_CPORT && slot < S_CPORT + MAXC) {
    snprintf(buf, cap, "SocketConnectPort%u", slot - S_CPORT);
    return buf;
  }
  if (slot > S_ADD && slot < S_ADD + FIXGW_DICT_COUNT_) {
    snprintf(buf, cap, "AppDataDictionary.%s", DOTTED[slot - S_ADD]);
    return buf;
  }
  for (i = 0; i < NKEYS; i++)
    if (KEYS[i].slot == slot) return KEYS[i].name;
  return "?";
}

static int key_fail(ctx *c, build *b, unsigned slot, int code,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int key_fail(ctx *c, build *b, unsigned slot, int code,
                    const char *fmt, ...) {
  char kb[64], m[256];
  const char *k = slot_key(slot, kb, sizeof kb);
  uint32_t line = b->from[slot] ? b->line[slot] : b->section_line;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m, sizeof m, fmt, ap);
  va_end(ap);
  return fail(c, code, line, k, strlen(k), "%s", m);
}

/* A key that cannot apply to this session: an error where it is written,
 * forgotten where it is inherited. */
static int not_here(ctx *c, build *b, unsigned slot, const char *why) {
  if (b->from[slot] == FROM_HERE)
    return key_fail(c, b, slot, FIXGW_ESETTINGS, "does not apply to %s", why);
  if (b->from[slot] == FROM_NONE) return 0;
  b->from[slot] = FROM_NONE;
  fixgw_session_settings_t *st = &b->st;
  if (slot >= S_CHOST && slot < S_CHOST + MAXC)
    memset(&st->connect[slot - S_CHOST], 0, sizeof st->connect[0]);
  else if (slot >= S_CPORT && slot < S_CPORT + MAXC)
    st->connect[slot - S_CPORT].port = 0;
  else if (slot >= S_ADD && slot < S_ADD + FIXGW_DICT_COUNT_)
    st->app_data_dictionary[slot - S_ADD] = NULL;
  else if (slot == S_AHOST)
    memset(st->accept_host, 0, sizeof st->accept_host);
  else if (slot == S_APORT) {
    st->accept_port = 0;
    st->accept_port_set = false;
  } else if (slot == S_TEMPLATE)
    st->acceptor_template = false;
  else if (slot == S_APPLVER)
    st->session.default_appl_ver = c->base.default_appl_ver;
  else if (slot == S_DD)
    st->data_dictionary = NULL;
  else if (slot == S_TDD)
    st->transport_data_dictionary = NULL;
  return 0;
}

/* The loaded dictionary for path (loaded on first use, then shared),
 * checked to be the version it is used as. */
static const fixgw_dict_t *get_dict(ctx *c, build *b, unsigned slot,
                                    const char *path,
                                    fixgw_dict_version want) {
  fixgw_settings_t *S = c->S;
  fixgw_dict_t *d = NULL;
  size_t i;
  for (i = 0; i < S->ndicts; i++)
    if (strcmp(S->dicts[i].path, path) == 0) d = S->dicts[i].dict;
  if (!d) {
    fixgw_dict_error_t de;
    int rc = fixgw_dict_load_file(path, &S->alloc, &d, &de);
    if (rc) {
      char m[256];
      if (rc == FIXGW_ENOMEM) {
        oom(c);
        return NULL;
      }
      fixgw_dict_error_format(&de, m, sizeof m);
      key_fail(c, b, slot, rc, "cannot load the dictionary: %s", m);
      return NULL;
    }
    if (S->ndicts == S->cap_dicts) { /* sized by the survey: a bug */
      fixgw_dict_free(d);
      fail(c, FIXGW_ESETTINGS, 0, NULL, 0, "internal: dictionary table full");
      return NULL;
    }
    S->dicts[S->ndicts].path = path;
    S->dicts[S->ndicts].dict = d;
    S->ndicts++;
  }
  const fixgw_dict_t *ref = fixgw_dict_by_version(want);
  if (!ref || d->major != ref->major || d->minor != ref->minor ||
      d->servicepack != ref->servicepack || d->transport != ref->transport) {
    key_fail(c, b, slot, FIXGW_ESETTINGS,
             "%.100s is a %s %u.%u SP%u dictionary, not the %s one needed "
             "here",
             path, d->transport ? "FIXT" : "FIX", d->major, d->minor,
             (unsigned)d->servicepack,
             want > 0 && want < FIXGW_DICT_COUNT_ ? DOTTED[want] : "?");
    return NULL;
  }
  return d;
}

static const fixgw_tz_t *get_tz(ctx *c, build *b, unsigned slot,
                                const char *name) {
  fixgw_settings_t *S = c->S;
  size_t i;
  for (i = 0; i < S->ntzs; i++)
    if (strcmp(S->tzs[i].name, name) == 0) return S->tzs[i].tz;
  if (S->ntzs == S->cap_tzs) {
    fail(c, FIXGW_ESETTINGS, 0, NULL, 0, "internal: zone table full");
    return NULL;
  }
  fixgw_tz_t *tz = NULL;
  int rc = fixgw_tz_load(name, &S->alloc, &tz);
  if (rc) {
    if (rc == FIXGW_ENOMEM) oom(c);
    else if (rc == FIXGW_EINVAL) /* the tz module's name syntax */
      key_fail(c, b, slot, FIXGW_ESETTINGS,
               "'%.100s' is not a time zone name", name);
    else
      key_fail(c, b, slot, rc, "cannot load the time zone %.100s: %s", name,
               fixgw_strerror(rc));
    return NULL;
  }
  S->tzs[S->ntzs].name = name;
  S->tzs[S->ntzs].tz = tz;
  S->ntzs++;
  return tz;
}

/* What a section gives whether or not it is a session. */
static int resolve_common(ctx *c, build *b, bool strict) {
  fixgw_session_config_t *cfg = &b->st.session;
  if (b->from[S_PRECISION] && b->from[S_PRECISION] >= b->from[S_MILLIS])
    cfg->timestamp_precision = (fixgw_ts_precision)b->precision;
  else if (b->from[S_MILLIS])
    cfg->timestamp_precision = b->millis ? FIXGW_TS_MILLIS : FIXGW_TS_SECONDS;
  if (b->from[S_RXBUF]) {
    /* The DEFAULT alone is not judged: its sessions may raise it. */
    if (strict && cfg->rx_buffer_size < cfg->max_msg_size)
      return key_fail(c, b, S_RXBUF, FIXGW_ESETTINGS,
                      "smaller than MaxMessageSize (%u)", cfg->max_msg_size);
  } else if (cfg->rx_buffer_size && cfg->rx_buffer_size < cfg->max_msg_size) {
    cfg->rx_buffer_size = cfg->max_msg_size; /* 0 already means "follow" */
  }
  return 0;
}

/* TLS keys: each side's own, and what SocketUseSSL=Y needs. */
static int resolve_tls(ctx *c, build *b, bool acceptor) {
  static const unsigned server_only[] = {S_SCERT, S_SKEY, S_SKEY_PW, S_VERIFY_LEVEL};
  static const unsigned client_only[] = {S_CCERT, S_CKEY, S_CKEY_PW, S_VERIFY_HOST};
  fixgw_settings_tls_t *t = &b->st.tls;
  size_t i;
  for (i = 0; i < 4; i++)
    if (acceptor ? not_here(c, b, client_only[i], "an acceptor")
                 : not_here(c, b, server_only[i], "an initiator"))
      return c->rc;
  const char *cert = acceptor ? t->server_certificate_file : t->client_certificate_file;
  const char *key = acceptor ? t->server_certificate_key_file : t->client_certificate_key_file;
  unsigned scert = acceptor ? S_SCERT : S_CCERT, skey = acceptor ? S_SKEY : S_CKEY;
  if (!t->enabled) return 0;
  if (acceptor && !cert)
    return key_fail(c, b, S_SCERT, FIXGW_ESETTINGS,
                    "required for an acceptor with SocketUseSSL=Y");
  if (cert && !key)
    return key_fail(c, b, skey, FIXGW_ESETTINGS, "required with %s",
                    acceptor ? "ServerCertificateFile" : "ClientCertificateFile");
  if (key && !cert)
    return key_fail(c, b, scert, FIXGW_ESETTINGS, "required with %s",
                    acceptor ? "ServerCertificateKeyFile" : "ClientCertificateKeyFile");
  return 0;
}

static int resolve(ctx *c, build *b) {
  static const unsigned required[] = {S_BEGIN, S_SENDER, S_TARGET, S_CONNTYPE};
  static const struct {
    unsigned slot;
    uint32_t off;
  } ids[] = {{S_SENDER, COFF(id.sender_comp_id)},
             {S_SENDER_SUB, COFF(id.sender_sub_id)},
             {S_SENDER_LOC, COFF(id.sender_location_id)},
             {S_TARGET, COFF(id.target_comp_id)},
             {S_TARGET_SUB, COFF(id.target_sub_id)},
             {S_TARGET_LOC, COFF(id.target_location_id)}};
  fixgw_session_settings_t *st = &b->st;
  fixgw_session_config_t *cfg = &st->session;
  size_t i;
  unsigned n;

  for (i = 0; i < sizeof required / sizeof required[0]; i++)
    if (!b->from[required[i]])
      return key_fail(c, b, required[i], FIXGW_ESETTINGS,
                      "required key missing");
  if (!cfg->id.sender_comp_id[0])
    return key_fail(c, b, S_SENDER, FIXGW_ESETTINGS, "empty");
  if (!cfg->id.target_comp_id[0])
    return key_fail(c, b, S_TARGET, FIXGW_ESETTINGS, "empty");

  bool acceptor = st->connection_type == FIXGW_ACCEPTOR;
  bool fixt = cfg->id.version == FIXGW_V_FIXT11;
  if (acceptor) {
    for (n = 0; n < MAXC; n++)
      if (not_here(c, b, S_CHOST + n, "an acceptor") ||
          not_here(c, b, S_CPORT + n, "an acceptor"))
        return c->rc;
  } else if (not_here(c, b, S_AHOST, "an initiator") ||
             not_here(c, b, S_APORT, "an initiator") ||
             not_here(c, b, S_TEMPLATE, "an initiator")) {
    return c->rc;
  }
  if (resolve_tls(c, b, acceptor)) return c->rc;
  if (fixt) {
    if (not_here(c, b, S_DD, "FIXT.1.1 (use TransportDataDictionary)"))
      return c->rc;
    if (!b->from[S_APPLVER])
      return key_fail(c, b, S_APPLVER, FIXGW_ESETTINGS,
                      "required for FIXT.1.1 sessions");
  } else {
    if (not_here(c, b, S_APPLVER, "FIX.4.x") ||
        not_here(c, b, S_TDD, "FIX.4.x (use DataDictionary)"))
      return c->rc;
    for (n = 0; n < FIXGW_DICT_COUNT_; n++)
      if (not_here(c, b, S_ADD + n, "FIX.4.x (use DataDictionary)"))
        return c->rc;
  }

  for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    char v[FIXGW_COMPID_MAX + 1];
    memcpy(v, (char *)st + ids[i].off, sizeof v);
    if (strcmp(v, "*") == 0 && !st->acceptor_template)
      return key_fail(c, b, ids[i].slot, FIXGW_ESETTINGS,
                      "\"*\" (any counterparty) needs AcceptorTemplate=Y");
  }

  /* Fail-over addresses come in pairs and in order, as QuickFIX walks
   * them: it stops at the first number it does not find. */
  for (n = 0; n < MAXC; n++) {
    bool h = b->from[S_CHOST + n] != FROM_NONE;
    bool p = b->from[S_CPORT + n] != FROM_NONE;
    if (h != p) {
      char kb[64];
      unsigned have = (h ? S_CHOST : S_CPORT) + n;
      unsigned miss = (h ? S_CPORT : S_CHOST) + n;
      return key_fail(c, b, have, FIXGW_ESETTINGS, "given without %s",
                      slot_key(miss, kb, sizeof kb));
    }
    if (h && n > 0 && !b->from[S_CHOST + n - 1]) {
      char kb[64];
      return key_fail(c, b, S_CHOST + n, FIXGW_ESETTINGS,
                      "a fail-over needs %s first",
                      slot_key(S_CHOST + n - 1, kb, sizeof kb));
    }
    if (h) st->nconnect = n + 1;
  }

  fixgw_schedule_t *sc = &cfg->schedule;
  if (b->nonstop) {
    sc->enabled = false;
  } else {
    if (!b->from[S_START_TIME])
      return key_fail(c, b, S_START_TIME, FIXGW_ESETTINGS,
                      "required unless NonStopSession=Y");
    if (!b->from[S_END_TIME])
      return key_fail(c, b, S_END_TIME, FIXGW_ESETTINGS,
                      "required unless NonStopSession=Y");
    if (!b->from[S_START_DAY] != !b->from[S_END_DAY]) {
      unsigned have = b->from[S_START_DAY] ? S_START_DAY : S_END_DAY;
      return key_fail(c, b, have, FIXGW_ESETTINGS, "given without %s",
                      have == S_START_DAY ? "EndDay" : "StartDay");
    }
    if (!b->from[S_START_DAY]) sc->start_day = sc->end_day = -1;
    sc->enabled = true;
  }
  uint8_t lt = st->use_local_time ? b->from[S_LOCALTIME] : 0;
  uint8_t tz = b->from[S_TZ];
  if (lt && tz) {
    if (lt == tz)
      return key_fail(c, b, b->line[S_TZ] > b->line[S_LOCALTIME] ? S_TZ
                                                                  : S_LOCALTIME,
                      FIXGW_ESETTINGS,
                      "TimeZone and UseLocalTime=Y in one section");
    if (lt > tz) st->time_zone = NULL;
    else st->use_local_time = false;
  }
  sc->tz = NULL;
  if (sc->enabled) {
    const char *zone = st->use_local_time ? "localtime" : st->time_zone;
    if (zone && !is_utc(zone) &&
        !(sc->tz = get_tz(c, b, st->use_local_time ? S_LOCALTIME : S_TZ,
                          zone)))
      return c->rc;
  }

  if (resolve_common(c, b, true)) return c->rc;

  if (cfg->use_data_dictionary) {
    if (!fixt) {
      if (st->data_dictionary) {
        char bs[16];
        snprintf(bs, sizeof bs, "%s", fixgw_version_string(cfg->id.version));
        fixgw_dict_version want =
            fixgw_dict_version_from_begin_string(bs, strlen(bs));
        if (!(cfg->dict = get_dict(c, b, S_DD, st->data_dictionary, want)))
          return c->rc;
      }
    } else {
      if (st->transport_data_dictionary &&
          !(cfg->dict = get_dict(c, b, S_TDD, st->transport_data_dictionary,
                                 FIXGW_DICT_FIXT11)))
        return c->rc;
      fixgw_dict_version dv = cfg->default_appl_ver;
      const char *plain = st->app_data_dictionary[FIXGW_DICT_UNKNOWN];
      if (plain && st->app_data_dictionary[dv]) {
        char kb[64];
        return key_fail(c, b, S_ADD, FIXGW_ESETTINGS,
                        "names the same version as %s",
                        slot_key(S_ADD + dv, kb, sizeof kb));
      }
      for (n = 1; n < FIXGW_DICT_COUNT_; n++) {
        unsigned slot = n == (unsigned)dv && plain ? S_ADD : S_ADD + n;
        const char *path = slot == S_ADD ? plain : st->app_data_dictionary[n];
        if (path && !(cfg->app[n] = get_dict(c, b, slot, path,
                                             (fixgw_dict_version)n)))
          return c->rc;
      }
    }
  }
  return 0;
}

/* ------------------------------------------------------ duplicates */

static int id_order(const fixgw_session_settings_t *a,
                    const fixgw_session_settings_t *b) {
  const fixgw_session_id_t *x = &a->session.id, *y = &b->session.id;
  int r;
  if (x->version != y->version) return x->version < y->version ? -1 : 1;
  if ((r = strcmp(x->sender_comp_id, y->sender_comp_id)) ||
      (r = strcmp(x->sender_sub_id, y->sender_sub_id)) ||
      (r = strcmp(x->sender_location_id, y->sender_location_id)) ||
      (r = strcmp(x->target_comp_id, y->target_comp_id)) ||
      (r = strcmp(x->target_sub_id, y->target_sub_id)) ||
      (r = strcmp(x->target_location_id, y->target_location_id)))
    return r;
  return strcmp(a->session_qualifier, b->session_qualifier);
}

/* Sessions by identity, then by line, so equal ones sit together with the
 * first written first. */
static int id_cmp(const void *pa, const void *pb) {
  const fixgw_session_settings_t *a = *(const fixgw_session_settings_t *const *)pa;
  const fixgw_session_settings_t *b = *(const fixgw_session_settings_t *const *)pb;
  int r = id_order(a, b);
  if (r) return r;
  return a->line < b->line ? -1 : a->line > b->line;
}

static int check_duplicates(ctx *c) {
  fixgw_settings_t *S = c->S;
  size_t n = S->nsessions, i;
  if (n < 2) return 0;
  const fixgw_session_settings_t **v = fixgw__alloc(&S->alloc, n * sizeof *v);
  if (!v) return oom(c);
  for (i = 0; i < n; i++) v[i] = &S->sessions[i];
  qsort(v, n, sizeof *v, id_cmp);
  const fixgw_session_settings_t *first = NULL, *second = NULL;
  for (i = 1; i < n; i++) {
    const fixgw_session_settings_t *a = v[i - 1], *b = v[i];
    if (id_order(a, b) == 0 && (!second || b->line < second->line)) {
      first = a;
      second = b;
    }
  }
  fixgw__free(&S->alloc, v);
  if (second) {
    const fixgw_session_id_t *id = &second->session.id;
    return fail(c, FIXGW_ESETTINGS, second->line, NULL, 0,
                "session %s:%s->%s%s%s is defined twice (first at line %u)",
                fixgw_version_string(id->version), id->sender_comp_id,
                id->target_comp_id, second->session_qualifier[0] ? ":" : "",
                second->session_qualifier, first->line);
  }
  return 0;
}

/* -------------------------------------------------------------- driver */

static void init_build(ctx *c, build *b) {
  memset(b, 0, sizeof *b);
  b->st.session = c->base;
  b->st.connection_type = c->base.role;
  b->st.reconnect_interval_s = 30;
  b->st.socket_nodelay = true;
  b->st.tls.min_version = 0x0303;
  b->st.tls.max_version = 0x0304;
  b->st.tls.verify_host_name = true;
}

static int run(ctx *c, build *def, build *cur) {
  fixgw_settings_t *S = c->S;
  if (survey(c)) return c->rc;

  /* Sized from the survey: each stored string is one value with its NUL. */
  S->pool_cap = c->len + c->nkv + 1;
  S->pool = fixgw__alloc(&S->alloc, S->pool_cap);
  S->sessions = fixgw__alloc(&S->alloc, c->nsessions * sizeof *S->sessions);
  S->cap_dicts = c->ndictkeys;
  if (S->cap_dicts)
    S->dicts = fixgw__alloc(&S->alloc, S->cap_dicts * sizeof *S->dicts);
  S->cap_tzs = c->ntzkeys;
  if (S->cap_tzs) S->tzs = fixgw__alloc(&S->alloc, S->cap_tzs * sizeof *S->tzs);
  if (!S->pool || !S->sessions || (S->cap_dicts && !S->dicts) ||
      (S->cap_tzs && !S->tzs))
    return oom(c);

  init_build(c, def);
  if (c->def_line) {
    def->section_line = c->def_line;
    if (apply_section(c, def, c->def_pos, c->def_line + 1, FROM_HERE))
      return c->rc;
  }
  {
    build *tmp = cur; /* the DEFAULT's own view: precision, buffer sizes */
    *tmp = *def;
    resolve_common(c, tmp, false);
    S->defaults = tmp->st;
    S->defaults.line = c->def_line;
  }

  size_t pos = c->body;
  uint32_t no = 1;
  line_t l;
  for (; next_line(c, pos, no, &l); pos = l.next, no++) {
    enum lkind k;
    if (classify(c, &l, &k)) return c->rc;
    if (k != L_SESSION) continue;
    size_t i;
    *cur = *def;
    for (i = 0; i < S_COUNT; i++)
      cur->from[i] = def->from[i] ? FROM_DEFAULT : FROM_NONE;
    cur->section_line = l.no;
    if (apply_section(c, cur, l.next, l.no + 1, FROM_HERE) || resolve(c, cur))
      return c->rc;
    cur->st.line = l.no;
    S->sessions[S->nsessions++] = cur->st;
  }
  return check_duplicates(c);
}

void fixgw_settings_free(fixgw_settings_t *s) {
  size_t i;
  if (!s) return;
  fixgw_allocator_t a = s->alloc;
  for (i = 0; i < s->ndicts; i++) fixgw_dict_free(s->dicts[i].dict);
  for (i = 0; i < s->ntzs; i++) fixgw_tz_free(s->tzs[i].tz);
  if (s->sessions) wipe(s->sessions, s->nsessions * sizeof *s->sessions);
  wipe(&s->defaults, sizeof s->defaults);
  if (s->pool) wipe(s->pool, s->pool_len);
  fixgw__free(&a, s->sessions);
  fixgw__free(&a, s->pool);
  fixgw__free(&a, s->dicts);
  fixgw__free(&a, s->tzs);
  fixgw__free(&a, s);
}

static void set_file(fixgw_settings_error_t *err, const char *name) {
  if (!err) return;
  memset(err, 0, sizeof *err);
  snprintf(err->file, sizeof err->file, "%s", name ? name : "(settings)");
}

int fixgw_settings_load_mem(const char *text, size_t len, const char *name,
                            const fixgw_allocator_t *a, fixgw_settings_t **out,
                            fixgw_settings_error_t *err) {
  ctx c;
  memset(&c, 0, sizeof c);
  set_file(err, name);
  c.err = err;
  if (!out || (!text && len))
    return fail(&c, FIXGW_EINVAL, 0, NULL, 0, "invalid argument");
  c.text = text ? text : "";
  c.len = len;
  fixgw_session_config_default(&c.base);
  /* QuickFIX validates unless told not to; a file written for it means
   * the same here (the built-in dictionaries when no path is given). */
  c.base.use_data_dictionary = true;

  fixgw_settings_t *S = fixgw__alloc(a, sizeof *S);
  if (!S) return oom(&c);
  memset(S, 0, sizeof *S);
  if (a) S->alloc = *a;
  c.S = S;

  /* Two builders of a few KiB each: heap, not the caller's stack. */
  build *b = fixgw__alloc(&S->alloc, 2 * sizeof *b);
  int rc;
  if (!b) {
    rc = oom(&c);
  } else {
    rc = run(&c, &b[0], &b[1]);
    wipe(b, 2 * sizeof *b);
    fixgw__free(&S->alloc, b);
  }
  if (rc) {
    fixgw_settings_free(S);
    return rc;
  }
  if (err) err->code = 0;
  *out = S;
  return 0;
}

int fixgw_settings_load_file(const char *path, const fixgw_allocator_t *a,
                             fixgw_settings_t **out,
                             fixgw_settings_error_t *err) {
  ctx c;
  memset(&c, 0, sizeof c);
  set_file(err, path);
  c.err = err;
  if (!path || !out)
    return fail(&c, FIXGW_EINVAL, 0, NULL, 0, "invalid argument");
  FILE *f = fopen(path, "rb");
  long size = -1;
  if (f && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (!f || size < 0 || fseek(f, 0, SEEK_SET) != 0) {
    if (f) fclose(f);
    return fail(&c, FIXGW_EIO, 0, NULL, 0, "cannot open or size the file");
  }
  if ((unsigned long)size > FIXGW_SETTINGS_MAX_FILE) {
    /* A directory also "sizes" huge on some systems: tell it apart by
     * whether a byte can be read at all. */
    char probe;
    bool unreadable = fread(&probe, 1, 1, f) != 1 && ferror(f);
    fclose(f);
    if (unreadable)
      return fail(&c, FIXGW_EIO, 0, NULL, 0, "read error");
    return fail(&c, FIXGW_ESETTINGS, 0, NULL, 0, "larger than %u bytes",
                FIXGW_SETTINGS_MAX_FILE);
  }
  /* One byte more than the size said, to see a file that grew (or a
   * device that claims size 0) rather than read part of it. */
  char *buf = fixgw__alloc(a, (size_t)size + 1);
  if (!buf) {
    fclose(f);
    return oom(&c);
  }
  size_t got = fread(buf, 1, (size_t)size + 1, f);
  int ferr = ferror(f);
  fclose(f);
  int rc;
  if (ferr)
    rc = fail(&c, FIXGW_EIO, 0, NULL, 0, "read error");
  else if (got != (size_t)size)
    rc = fail(&c, FIXGW_EIO, 0, NULL, 0, "the file changed while read");
  else
    rc = fixgw_settings_load_mem(buf, got, path, a, out, err);
  wipe(buf, (size_t)size + 1); /* it may hold plain passwords */
  fixgw__free(a, buf);
  return rc;
}

size_t fixgw_settings_count(const fixgw_settings_t *s) {
  return s ? s->nsessions : 0;
}

const fixgw_session_settings_t *fixgw_settings_session(
    const fixgw_settings_t *s, size_t i) {
  return s && i < s->nsessions ? &s->sessions[i] : NULL;
}

const fixgw_session_settings_t *fixgw_settings_defaults(
    const fixgw_settings_t *s) {
  return s ? &s->defaults : NULL;
}

int fixgw_settings_error_format(const fixgw_settings_error_t *e, char *buf,
                                size_t n) {
  char at[16] = "";
  if (!e) return snprintf(buf, n, "(no error)");
  if (e->line) snprintf(at, sizeof at, ":%u", e->line);
  return snprintf(buf, n, "%s%s: %s%s%s", e->file, at, e->key,
                  e->key[0] ? ": " : "", e->message);
}
