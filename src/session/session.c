/*
 * The FIX session state machine. Where FIX leaves a choice this follows
 * QuickFIX's Session.cpp (message order, timers, texts), because the
 * counterparties of our users expect its behaviour on the wire.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "session_internal.h"

#define NS 1000000000ull

/* ------------------------------------------------------------- helpers */

/* Every callback runs between cb_enter and cb_leave: the in-callback
 * count is what makes re-entry an error, and a message a callback opened
 * but did not commit is dropped when the outermost callback returns (the
 * session is about to write its own bytes after it). */
static inline void cb_enter(fixgw_session_t *s) { s->in_cb++; }
static void cb_leave(fixgw_session_t *s);

static void slog(fixgw_session_t *s, fixgw_log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void slog(fixgw_session_t *s, fixgw_log_level lv, const char *fmt, ...) {
  if (!s->cb.on_log) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->line, sizeof s->line, fmt, ap);
  va_end(ap);
  cb_enter(s);
  s->cb.on_log(s, lv, s->line, s->user);
  cb_leave(s);
}

static void cb_leave(fixgw_session_t *s) {
  if (--s->in_cb == 0 && s->open) {
    s->open = false;
    slog(s, FIXGW_LOG_WARN, "A callback left a message open (35=%s): dropped, no number used",
         s->open_type);
  }
}

static bool is_admin_type(const char *t, size_t n) {
  if (n != 1) return false;
  switch (t[0]) {
  case '0': case '1': case '2': case '3': case '4': case '5': case 'A':
    return true;
  }
  return false;
}

static bool get_u64(const fixgw_msg_t *m, uint32_t tag, uint64_t *v) {
  return fixgw_msg_get_uint(m, tag, v) == 0;
}

static bool get_flag(const fixgw_msg_t *m, uint32_t tag) {
  bool b = false;
  return fixgw_msg_get_bool(m, tag, &b) == 0 && b;
}

static uint64_t msg_seq(const fixgw_msg_t *m) {
  uint64_t v = 0;
  get_u64(m, 34, &v);
  return v;
}

static bool fix42_or_later(const fixgw_session_t *s) {
  return s->cfg.id.version >= FIXGW_V_FIX42;
}

static void set_state(fixgw_session_t *s, fixgw_session_state to) {
  fixgw_session_state from = s->state;
  if (from == to) return;
  s->state = to;
  if (s->cb.on_state) {
    cb_enter(s);
    s->cb.on_state(s, from, to, s->user);
    cb_leave(s);
  }
}

static bool logged_on(const fixgw_session_t *s) {
  return s->sent_logon && s->received_logon;
}

/* The session ends the connection: the host closes once want_write is 0
 * (after the pending output, or at once when dropping). */
static void close_conn(fixgw_session_t *s, fixgw_disconnect_reason why, bool drop) {
  if (s->state == FIXGW_SS_DISCONNECTED || s->state == FIXGW_SS_FATAL) return;
  if (s->state != FIXGW_SS_CLOSING) slog(s, FIXGW_LOG_INFO, "Disconnecting");
  s->close_reason = why;
  if (drop) {
    s->dropped = true;
    s->tx_head = s->tx_tail = 0;
  }
  if (s->rs_active) {
    s->rs_active = false;
    if (s->store.ops->iter_close) s->store.ops->iter_close(s->store.self);
  }
  set_state(s, FIXGW_SS_CLOSING);
}

static void go_fatal(fixgw_session_t *s, int err, const char *what) {
  slog(s, FIXGW_LOG_ERROR, "%s: %s; session stopped", what, fixgw_strerror(err));
  s->tx_head = s->tx_tail = 0;
  s->rx_len = 0;
  if (s->rs_active && s->store.ops->iter_close) s->store.ops->iter_close(s->store.self);
  s->rs_active = false;
  set_state(s, FIXGW_SS_FATAL);
}

/* ------------------------------------------------------- store access */

static int store_reset(fixgw_session_t *s, fixgw_now_t now) {
  int rc = s->store.ops->reset(s->store.self, now.utc_ns);
  if (rc == 0) rc = s->store.ops->get_seqnums(s->store.self, &s->next_sender, &s->next_target);
  if (rc) go_fatal(s, FIXGW_ESTORE, "store reset failed");
  return rc ? FIXGW_ESTORE : 0;
}

static int set_target(fixgw_session_t *s, uint64_t next) {
  int rc = s->store.ops->set_next_target(s->store.self, next);
  if (rc) {
    go_fatal(s, FIXGW_ESTORE, "store set_next_target failed");
    return FIXGW_ESTORE;
  }
  s->next_target = next;
  return 0;
}

static int incr_target(fixgw_session_t *s) { return set_target(s, s->next_target + 1); }

/* ------------------------------------------------------------ transmit */

static uint32_t tx_free(const fixgw_session_t *s) { return s->tx_cap - (s->tx_tail - s->tx_head); }

/* Contiguous room at the tail, compacting first when that makes room. */
static char *tx_room(fixgw_session_t *s, uint32_t *room) {
  if (s->tx_head == s->tx_tail) s->tx_head = s->tx_tail = 0;
  if (s->tx_cap - s->tx_tail < s->cfg.max_msg_size && s->tx_head > 0) {
    memmove(s->tx, s->tx + s->tx_head, s->tx_tail - s->tx_head);
    s->tx_tail -= s->tx_head;
    s->tx_head = 0;
  }
  *room = s->tx_cap - s->tx_tail;
  return s->tx + s->tx_tail;
}

/* Room the session keeps for its own answers to one inbound message (a
 * Reject, a Heartbeat, a Logout, a gap fill): input is read on only while
 * this much is free, and neither the host's messages nor a resend may eat
 * into it, so our own output never stops our input by itself. One value
 * for all three, or two peers resending to each other could both stop
 * reading. */
static uint32_t tx_reserve(const fixgw_session_t *s) {
  return s->tx_cap / 4 < 1536 ? s->tx_cap / 4 : 1536;
}

/* A header field the session writes or a host extra, merged by tag. */
typedef struct hdr_field {
  uint32_t tag;
  const char *val;
  uint32_t len;
} hdr_field_t;

typedef struct compose {
  const char *msgtype;
  uint64_t seq;
  bool possdup;
  fixgw_str_t orig_sending; /* 122 as text, for possdup */
  const hdr_field_t *extra; /* sorted by tag */
  uint32_t nextra;
  int64_t utc_ns;
} compose_t;

static bool session_owned_tag(uint32_t t) {
  switch (t) {
  case 8: case 9: case 10: case 34: case 35: case 43: case 49: case 50:
  case 52: case 56: case 57: case 97: case 122: case 142: case 143:
    return true;
  }
  return false;
}

/* Open a message in the transmit buffer and write 35 and the header in
 * ascending tag order. The encoder's error is sticky; the caller checks
 * at finish. */
/* Append bytes the session already checked (its own header segments). */
static inline void enc_raw(fixgw_encoder_t *e, const char *p, size_t n) {
  if (e->err) return;
  if (e->cap - e->pos < n + FIXGW_ENC_TRAILER) {
    e->err = FIXGW_ENOSPC;
    return;
  }
  memcpy(e->buf + e->pos, p, n);
  e->pos += n;
}

/* "52=YYYYMMDD-HH:MM:SS[.fff...]<SOH>": the date and time of day are
 * rendered once per second and reused, only the fraction is new. Returns
 * where the value starts in the encoder (for a gap fill's 122).
 * SendingTime never goes backwards: a host that reads its clock once per
 * loop turn passes an older `now` to a resend than an application send of
 * the same turn used, and a resend whose OrigSendingTime is later than its
 * SendingTime is rejected by the peer (reason 10, then Logout). */
static size_t enc_sending_time(fixgw_session_t *s, fixgw_encoder_t *e, int64_t utc_ns,
                               size_t *vlen) {
  if (utc_ns < s->last_stamp_ns) utc_ns = s->last_stamp_ns;
  s->last_stamp_ns = utc_ns;
  fixgw_ts_precision prec =
      s->cfg.id.version <= FIXGW_V_FIX41 ? FIXGW_TS_SECONDS : s->cfg.timestamp_precision;
  int64_t sec = utc_ns / (int64_t)NS;
  if (sec != s->ts_sec || !s->ts_len) {
    fixgw_encoder_t t;
    char tb[64];
    fixgw_enc_begin(&t, tb, sizeof tb, "X", "0");
    size_t at = t.pos + 3;
    if (fixgw_enc_timestamp(&t, 52, sec * (int64_t)NS, FIXGW_TS_SECONDS) == 0) {
      s->ts_len = (uint8_t)(t.pos - at - 1);
      memcpy(s->ts_text, "52=", 3);
      memcpy(s->ts_text + 3, tb + at, s->ts_len);
      s->ts_sec = sec;
    } else {
      s->ts_len = 0;
    }
  }
  if (!s->ts_len) { /* out of the encodable range: let the encoder say so */
    size_t at = e->pos + 3;
    fixgw_enc_timestamp(e, 52, utc_ns, prec);
    *vlen = e->err ? 0 : e->pos - at - 1;
    return at;
  }
  char buf[40];
  size_t n = 3u + s->ts_len;
  memcpy(buf, s->ts_text, n);
  if (prec != FIXGW_TS_SECONDS) {
    uint64_t frac = (uint64_t)(utc_ns - sec * (int64_t)NS);
    unsigned digits = (unsigned)prec;
    for (unsigned k = digits; k < 9; k++) frac /= 10;
    buf[n++] = '.';
    for (unsigned k = digits; k > 0; k--) {
      buf[n + k - 1] = (char)('0' + frac % 10);
      frac /= 10;
    }
    n += digits;
  }
  buf[n++] = FIXGW_SOH;
  size_t at = e->pos + 3;
  enc_raw(e, buf, n);
  *vlen = n - 4;
  return at;
}

/* Open a message in the transmit buffer and write 35 and the header in
 * ascending tag order: 34, [43], 49, [50], 52, 56, [57], [122], [142],
 * [143], the host's extras slotted in by tag. The CompID runs are
 * pre-rendered at create (hseg). The encoder's error is sticky; the
 * caller checks at finish. */
static int compose_begin(fixgw_session_t *s, const compose_t *c, fixgw_encoder_t *e) {
  uint32_t room;
  char *p = tx_room(s, &room);
  int rc = fixgw_enc_begin(e, p, room, s->bs, c->msgtype);
  if (rc) return rc == FIXGW_ENOSPC ? FIXGW_EAGAIN : rc;
  /* Units in tag order; each starts at the tag given (no extra can fall
   * inside 49-50, 56-57 or 142-143: those tags are the session's). */
  static const uint32_t first[] = {34, 43, 49, 52, 56, 122, 142};
  uint32_t x = 0;
  size_t st_at = 0, st_len = 0;
  for (size_t i = 0; i < sizeof first / sizeof first[0]; i++) {
    while (x < c->nextra && c->extra[x].tag < first[i]) {
      fixgw_enc_str(e, c->extra[x].tag, c->extra[x].val, c->extra[x].len);
      x++;
    }
    switch (first[i]) {
    case 34: fixgw_enc_uint(e, 34, c->seq); break;
    case 43: if (c->possdup) enc_raw(e, "43=Y\x01", 5); break;
    case 49: enc_raw(e, s->hseg[0], s->hseg_len[0]); break;
    case 52: st_at = enc_sending_time(s, e, c->utc_ns, &st_len); break;
    case 56: enc_raw(e, s->hseg[1], s->hseg_len[1]); break;
    case 122:
      if (c->possdup && c->orig_sending.len)
        fixgw_enc_str(e, 122, c->orig_sending.ptr, c->orig_sending.len);
      else if (c->possdup && st_len) /* a gap fill: 122 = its own 52 */
        fixgw_enc_str(e, 122, e->buf + st_at, st_len);
      break;
    case 142: if (s->hseg_len[2]) enc_raw(e, s->hseg[2], s->hseg_len[2]); break;
    }
  }
  for (; x < c->nextra; x++) fixgw_enc_str(e, c->extra[x].tag, c->extra[x].val, c->extra[x].len);
  return e->err ? (e->err == FIXGW_ENOSPC ? FIXGW_EAGAIN : e->err) : 0;
}

/* A copy of msg with Password (554) masked, for on_wire. */
static void wire_out(fixgw_session_t *s, bool outbound, const char *msg, size_t len,
                     bool logon) {
  if (!s->cb.on_wire) return;
  const char *show = msg;
  if (logon) {
    const char *pw = NULL;
    for (size_t i = 0; i + 4 < len; i++)
      if (msg[i] == FIXGW_SOH && memcmp(msg + i + 1, "554=", 4) == 0) {
        pw = msg + i + 5;
        break;
      }
    if (pw) {
      /* A Logon longer than the scratch is shown cut short, never unmasked. */
      if (len > s->scratch_cap) len = s->scratch_cap;
      memcpy(s->scratch, msg, len);
      for (char *q = s->scratch + (pw - msg); q < s->scratch + len && *q != FIXGW_SOH; q++)
        *q = '*';
      show = s->scratch;
    }
  }
  cb_enter(s);
  s->cb.on_wire(s, outbound, show, len, s->user);
  cb_leave(s);
}

static const char msgtype_slots[FIXGW_MSGTYPE_SLOTS][6] = {
    "0", "1", "2", "3", "4", "5", "A", "D", "F", "G", "8", "9", "j", "W", "X", "other"};

unsigned fixgw_session_msgtype_slot(const char *msgtype, size_t len) {
  if (len != 1 || !msgtype) return FIXGW_MSGTYPE_SLOTS - 1;
  switch (msgtype[0]) {
  case '0': return 0;
  case '1': return 1;
  case '2': return 2;
  case '3': return 3;
  case '4': return 4;
  case '5': return 5;
  case 'A': return 6;
  case 'D': return 7;
  case 'F': return 8;
  case 'G': return 9;
  case '8': return 10;
  case '9': return 11;
  case 'j': return 12;
  case 'W': return 13;
  case 'X': return 14;
  default: return FIXGW_MSGTYPE_SLOTS - 1;
  }
}

const char *fixgw_session_msgtype_slot_name(unsigned slot) {
  return slot < FIXGW_MSGTYPE_SLOTS ? msgtype_slots[slot] : NULL;
}

/* Finish the message composed at the tail: trailer, move it to the tail,
 * persist (append before it is queued), queue. persist false: a gap fill
 * or a resend, which keep their old numbers. msgtype is the one given to
 * compose_begin (counted by type without reading it back off the wire). */
static int compose_finish(fixgw_session_t *s, fixgw_encoder_t *e, const char *msgtype,
                          uint64_t seq, bool persist, bool logon, uint64_t mono) {
  const char *out;
  size_t len;
  int rc = fixgw_enc_finish(e, &out, &len);
  if (rc) return rc == FIXGW_ENOSPC ? FIXGW_EAGAIN : rc;
  char *dst = s->tx + s->tx_tail;
  if (out != dst) memmove(dst, out, len);
  if (persist) {
    if (s->cfg.persist_messages)
      rc = s->store.ops->append(s->store.self, seq, dst, len);
    else
      rc = s->store.ops->set_next_sender(s->store.self, seq + 1);
    if (rc) {
      go_fatal(s, FIXGW_ESTORE, "store append failed");
      return FIXGW_ESTORE;
    }
    s->next_sender = seq + 1;
  }
  s->tx_tail += (uint32_t)len;
  s->last_sent = mono;
  s->stats.msgs_out++;
  s->stats.out_by_type[fixgw_session_msgtype_slot(msgtype, strlen(msgtype))]++;
  wire_out(s, true, dst, len, logon);
  return 0;
}

/* Call on_outbound for a new admin message (it may add fields). */
static void outbound_hook_admin(fixgw_session_t *s, const char *type, uint64_t seq,
                                fixgw_encoder_t *e) {
  if (!s->cb.on_outbound) return;
  fixgw_outbound_t o = {{type, strlen(type)}, seq, true, false};
  s->composing = true;
  cb_enter(s);
  s->cb.on_outbound(s, &o, e, s->user);
  cb_leave(s);
  s->composing = false;
}

/* Body fields of a session-generated message, in ascending tag order. */
typedef struct body_field {
  uint32_t tag;
  enum { BF_STR, BF_UINT, BF_CHAR } kind;
  const char *str;
  size_t len;
  uint64_t u;
} body_field_t;

/* Compose, hook, persist and queue one admin message. */
static int send_admin(fixgw_session_t *s, const char *type, const body_field_t *body,
                      size_t nbody, const hdr_field_t *extra, uint32_t nextra,
                      fixgw_now_t now) {
  fixgw_encoder_t e;
  compose_t c = {type, s->next_sender, false, {NULL, 0}, extra, nextra, now.utc_ns};
  int rc = compose_begin(s, &c, &e);
  if (rc) return rc;
  for (size_t i = 0; i < nbody; i++) {
    const body_field_t *f = &body[i];
    if (f->kind == BF_STR) fixgw_enc_str(&e, f->tag, f->str, f->len);
    else if (f->kind == BF_UINT) fixgw_enc_uint(&e, f->tag, f->u);
    else fixgw_enc_char(&e, f->tag, (char)f->u);
  }
  outbound_hook_admin(s, type, c.seq, &e);
  rc = compose_finish(s, &e, c.msgtype, c.seq, true, type[0] == 'A', now.mono_ns);
  if (rc == FIXGW_EAGAIN)
    slog(s, FIXGW_LOG_WARN, "Transmit buffer full: %s (35=%s) not sent", "admin message", type);
  return rc;
}

#define BSTR(t, s_) {(t), BF_STR, (s_), strlen(s_), 0}
#define BSTRN(t, p, n) {(t), BF_STR, (p), (n), 0}
#define BUINT(t, v) {(t), BF_UINT, NULL, 0, (v)}
#define BCHAR(t, c) {(t), BF_CHAR, NULL, 0, (uint64_t)(c)}

/* ------------------------------------------------------- admin messages */

static const char *appl_ver_id_text(fixgw_dict_version v) {
  /* ApplVerID (1128/1137) enumeration values. */
  switch (v) {
  case FIXGW_DICT_FIX40: return "2";
  case FIXGW_DICT_FIX41: return "3";
  case FIXGW_DICT_FIX42: return "4";
  case FIXGW_DICT_FIX43: return "5";
  case FIXGW_DICT_FIX44: return "6";
  case FIXGW_DICT_FIX50: return "7";
  case FIXGW_DICT_FIX50SP1: return "8";
  case FIXGW_DICT_FIX50SP2: return "9";
  default: return NULL;
  }
}

static bool should_send_reset(const fixgw_session_t *s) {
  return s->cfg.id.version >= FIXGW_V_FIX41 &&
         (s->cfg.reset_on_logon || s->cfg.reset_on_logout || s->cfg.reset_on_disconnect) &&
         s->next_sender == 1 && s->next_target == 1;
}

/* Our Logon: 98, 108, [141], [553, 554], [789], [1137] in tag order. is_reply:
 * answering the peer's Logon (its HeartBtInt echoed). */
static int send_logon(fixgw_session_t *s, bool is_reply, fixgw_now_t now) {
  body_field_t b[8];
  size_t n = 0;
  bool reset;
  if (is_reply) {
    reset = s->received_reset;
  } else {
    if (s->cfg.reset_on_logon && store_reset(s, now)) return FIXGW_ESTORE;
    reset = should_send_reset(s);
  }
  if (reset && !s->received_reset && !is_reply) {
    /* A reset we start: numbers back to 1 before this Logon is stamped. */
    if (s->next_sender != 1 || s->next_target != 1)
      if (store_reset(s, now)) return FIXGW_ESTORE;
    s->sent_reset = true;
  }
  b[n++] = (body_field_t)BUINT(98, 0);
  b[n++] = (body_field_t)BUINT(108, s->hbi_s);
  if (reset) b[n++] = (body_field_t)BCHAR(141, 'Y');
  if (s->cfg.username[0]) b[n++] = (body_field_t)BSTR(553, s->cfg.username);
  if (s->cfg.password[0]) b[n++] = (body_field_t)BSTR(554, s->cfg.password);
  if (s->cfg.send_next_expected_msg_seq_num && s->cfg.id.version >= FIXGW_V_FIX44)
    b[n++] = (body_field_t)BUINT(789, is_reply ? s->next_target + 1 : s->next_target);
  if (s->cfg.id.version == FIXGW_V_FIXT11)
    b[n++] = (body_field_t)BSTR(1137, appl_ver_id_text(s->cfg.default_appl_ver));
  int rc = send_admin(s, "A", b, n, NULL, 0, now);
  if (rc == 0) {
    s->sent_logon = true;
    if (!is_reply) {
      s->last_recv = now.mono_ns; /* the logon timeout counts from here */
      s->test_requests = 0;
    }
  }
  return rc;
}

static int send_logout(fixgw_session_t *s, const char *text, fixgw_now_t now) {
  body_field_t b[1] = {BUINT(0, 0)};
  size_t n = 0;
  if (text && text[0]) b[n++] = (body_field_t)BSTR(58, text);
  int rc = send_admin(s, "5", b, n, NULL, 0, now);
  if (rc == 0) {
    s->sent_logout = true;
    if (s->state == FIXGW_SS_ACTIVE || s->state == FIXGW_SS_LOGON_SENT ||
        s->state == FIXGW_SS_AWAIT_LOGON)
      set_state(s, FIXGW_SS_LOGOUT_SENT);
  }
  return rc;
}

static int send_heartbeat(fixgw_session_t *s, const fixgw_field_t *test_req_id, fixgw_now_t now) {
  body_field_t b[1] = {BUINT(0, 0)};
  size_t n = 0;
  if (test_req_id) b[n++] = (body_field_t)BSTRN(112, test_req_id->val, test_req_id->len);
  return send_admin(s, "0", b, n, NULL, 0, now);
}

static int send_test_request(fixgw_session_t *s, fixgw_now_t now) {
  body_field_t b[1] = {BSTR(112, "TEST")};
  return send_admin(s, "1", b, 1, NULL, 0, now);
}

static void log_rr_sent(fixgw_session_t *s, uint64_t b, uint64_t e) {
  slog(s, FIXGW_LOG_INFO, "Sent ResendRequest FROM: %llu TO: %llu", (unsigned long long)b,
       (unsigned long long)e);
}

/* Ask for [begin, last]; with a chunk size only the first chunk now. */
static int send_resend_request(fixgw_session_t *s, uint64_t begin, uint64_t last, fixgw_now_t now) {
  uint64_t chunk = s->cfg.resend_request_chunk_size;
  uint64_t end_field, chunk_end = last;
  if (chunk && last - begin + 1 > chunk) {
    chunk_end = begin + chunk - 1;
    end_field = chunk_end;
  } else {
    end_field = s->cfg.id.version >= FIXGW_V_FIX42 ? 0 : 999999;
    if (chunk) end_field = last; /* the last chunk names its end */
  }
  body_field_t b[2] = {BUINT(7, begin), BUINT(16, end_field)};
  int rc = send_admin(s, "2", b, 2, NULL, 0, now);
  if (rc) return rc;
  s->stats.resend_requests_sent++;
  log_rr_sent(s, begin, end_field);
  s->rr_begin = begin;
  s->rr_end = last;
  s->rr_chunk_end = chunk_end;
  return 0;
}

/* SequenceReset-GapFill numbered begin (not persisted: it stands for
 * numbers already used) with NewSeqNo new_seq. */
static int send_gap_fill(fixgw_session_t *s, uint64_t begin, uint64_t new_seq, fixgw_now_t now) {
  fixgw_encoder_t e;
  /* OrigSendingTime = SendingTime, as QuickFIX stamps its gap fills. */
  compose_t c = {"4", begin, true, {NULL, 0}, NULL, 0, now.utc_ns};
  int rc = compose_begin(s, &c, &e);
  if (rc) return rc;
  fixgw_enc_uint(&e, 36, new_seq);
  fixgw_enc_char(&e, 123, 'Y');
  rc = compose_finish(s, &e, c.msgtype, begin, false, false, now.mono_ns);
  if (rc) return rc;
  s->stats.gap_fills_sent++;
  slog(s, FIXGW_LOG_INFO, "Sent SequenceReset TO: %llu", (unsigned long long)new_seq);
  return 0;
}

static const char *reject_text(int reason) {
  switch (reason) {
  case 0: return "Invalid tag number";
  case 1: return "Required tag missing";
  case 2: return "Tag not defined for this message type";
  case 4: return "Tag specified without a value";
  case 5: return "Value is incorrect (out of range) for this tag";
  case 6: return "Incorrect data format for value";
  case 9: return "CompID problem";
  case 10: return "SendingTime accuracy problem";
  case 11: return "Invalid MsgType";
  case 13: return "Tag appears more than once";
  case 14: return "Tag specified out of required order";
  case 16: return "Incorrect NumInGroup count for repeating group";
  }
  return NULL;
}

static void report_reject(fixgw_session_t *s, bool sent, bool business, uint64_t ref_seq,
                          int reason, uint32_t ref_tag, fixgw_str_t ref_type, fixgw_str_t text) {
  if (sent) s->stats.rejects_sent++;
  else s->stats.rejects_received++;
  if (!s->cb.on_reject) return;
  fixgw_reject_event_t ev = {sent, business, ref_seq, reason, ref_tag, ref_type, text};
  cb_enter(s);
  s->cb.on_reject(s, &ev, s->user);
  cb_leave(s);
}

/* QuickFIX's reverseRoute: the peer's OnBehalfOf* become our DeliverTo*
 * and the other way round. Returns how many extras were written. */
static uint32_t reverse_route(const fixgw_msg_t *m, hdr_field_t *x) {
  static const uint32_t pairs[][2] = {{115, 128}, {116, 129}, {128, 115},
                                      {129, 116}, {144, 145}, {145, 144}};
  uint32_t n = 0;
  for (size_t i = 0; i < 6; i++) {
    const fixgw_field_t *f = fixgw_msg_find(m, pairs[i][0]);
    if (f && f->len) x[n++] = (hdr_field_t){pairs[i][1], f->val, f->len};
  }
  /* ascending tag order */
  for (uint32_t i = 1; i < n; i++)
    for (uint32_t j = i; j > 0 && x[j - 1].tag > x[j].tag; j--) {
      hdr_field_t t = x[j];
      x[j] = x[j - 1];
      x[j - 1] = t;
    }
  return n;
}

/* Reject (3) of m. field 0 with reason 0 still names the tag (QuickFIX). */
static int send_reject(fixgw_session_t *s, const fixgw_msg_t *m, int reason, uint32_t field,
                       fixgw_now_t now) {
  uint64_t seq = 0;
  bool has_seq = get_u64(m, 34, &seq);
  if (!m->msgtype.len || !(m->msgtype.len == 1 && (m->msgtype.ptr[0] == 'A' || m->msgtype.ptr[0] == '4')))
    if (has_seq && seq == s->next_target && incr_target(s)) return FIXGW_ESTORE;
  const char *text = reject_text(reason);
  char tbuf[96];
  body_field_t b[6];
  size_t n = 0;
  bool v42 = fix42_or_later(s);
  bool name_field = text && (field || reason == 0);
  if (has_seq) b[n++] = (body_field_t)BUINT(45, seq);
  if (text) {
    if (name_field && !v42) {
      snprintf(tbuf, sizeof tbuf, "%s (%u)", text, field);
      b[n++] = (body_field_t)BSTR(58, tbuf);
    } else {
      b[n++] = (body_field_t)BSTR(58, text);
    }
  }
  if (name_field && v42) b[n++] = (body_field_t)BUINT(371, field);
  if (v42) {
    if (m->msgtype.len) b[n++] = (body_field_t)BSTRN(372, m->msgtype.ptr, m->msgtype.len);
    if (s->cfg.id.version > FIXGW_V_FIX42 || reason <= 11) b[n++] = (body_field_t)BUINT(373, (uint64_t)reason);
  }
  if (name_field)
    slog(s, FIXGW_LOG_WARN, "Message %llu Rejected: %s:%u", (unsigned long long)seq, text, field);
  else if (text)
    slog(s, FIXGW_LOG_WARN, "Message %llu Rejected: %s", (unsigned long long)seq, text);
  else
    slog(s, FIXGW_LOG_WARN, "Message %llu Rejected", (unsigned long long)seq);
  if (!s->received_logon) {
    slog(s, FIXGW_LOG_WARN, "Tried to send a reject while not logged on");
    return 0;
  }
  /* Body fields ascending: 45, 58, 371, 372, 373 already are. */
  hdr_field_t x[6];
  uint32_t nx = reverse_route(m, x);
  int rc = send_admin(s, "3", b, n, x, nx, now);
  if (rc == 0)
    report_reject(s, true, false, seq, reason, name_field ? field : 0, m->msgtype,
                  (fixgw_str_t){text ? text : "", text ? strlen(text) : 0});
  return rc;
}

/* Reject (3) with a free text, numbered as QuickFIX's generateReject(msg, text). */
static int send_reject_text(fixgw_session_t *s, const fixgw_msg_t *m, const char *text,
                            fixgw_now_t now) {
  uint64_t seq = msg_seq(m);
  if (!(m->msgtype.len == 1 && (m->msgtype.ptr[0] == 'A' || m->msgtype.ptr[0] == '4')))
    if (incr_target(s)) return FIXGW_ESTORE;
  body_field_t b[3];
  size_t n = 0;
  b[n++] = (body_field_t)BUINT(45, seq);
  b[n++] = (body_field_t)BSTR(58, text);
  if (fix42_or_later(s)) b[n++] = (body_field_t)BSTRN(372, m->msgtype.ptr, m->msgtype.len);
  hdr_field_t x[6];
  uint32_t nx = reverse_route(m, x);
  int rc = send_admin(s, "3", b, n, x, nx, now);
  slog(s, FIXGW_LOG_WARN, "Message %llu Rejected: %s", (unsigned long long)seq, text);
  if (rc == 0)
    report_reject(s, true, false, seq, -1, 0, m->msgtype, (fixgw_str_t){text, strlen(text)});
  return rc;
}

/* BusinessMessageReject (j), FIX 4.2+. */
static int send_business_reject(fixgw_session_t *s, const fixgw_msg_t *m, int reason,
                                uint32_t field, fixgw_now_t now) {
  uint64_t seq = msg_seq(m);
  const char *text = reason == 3 ? "Unsupported Message Type"
                     : reason == 5 ? "Conditionally Required Field Missing"
                                   : "Other";
  char tbuf[96];
  if (field) {
    snprintf(tbuf, sizeof tbuf, "%s (%u)", text, field);
  } else {
    snprintf(tbuf, sizeof tbuf, "%s", text);
  }
  if (incr_target(s)) return FIXGW_ESTORE;
  body_field_t b[5];
  size_t n = 0;
  b[n++] = (body_field_t)BUINT(45, seq);
  b[n++] = (body_field_t)BSTR(58, tbuf);
  b[n++] = (body_field_t)BSTRN(372, m->msgtype.ptr, m->msgtype.len);
  b[n++] = (body_field_t)BUINT(380, (uint64_t)reason);
  if (s->cfg.id.version == FIXGW_V_FIXT11)
    b[n++] = (body_field_t)BSTR(1137, appl_ver_id_text(s->cfg.default_appl_ver));
  int rc = send_admin(s, "j", b, n, NULL, 0, now);
  if (field)
    slog(s, FIXGW_LOG_WARN, "Message %llu Rejected: %s:%u", (unsigned long long)seq, text, field);
  else
    slog(s, FIXGW_LOG_WARN, "Message %llu Rejected: %s", (unsigned long long)seq, text);
  if (rc == 0)
    report_reject(s, true, true, seq, reason, field, m->msgtype, (fixgw_str_t){text, strlen(text)});
  return rc;
}

/* ----------------------------------------------------------- resending */

static bool is_header_tag(uint32_t t) {
  switch (t) {
  case 8: case 9: case 35: case 34: case 43: case 49: case 50: case 52: case 56:
  case 57: case 90: case 91: case 97: case 115: case 116: case 122: case 128:
  case 129: case 142: case 143: case 144: case 145: case 212: case 213: case 347:
  case 369: case 627: case 628: case 629: case 630: case 1128: case 1129: case 1156:
    return true;
  }
  return false;
}

/* Re-send one stored message: header re-stamped (43=Y, 122 = its old 52,
 * 52 = now), host header extras kept, body bytes copied as they were. */
static int resend_one(fixgw_session_t *s, const fixgw_msg_t *m, uint64_t seq, fixgw_now_t now) {
  hdr_field_t x[16];
  uint32_t nx = 0, i;
  for (i = 3; i < m->nfields - 1 && is_header_tag(m->fields[i].tag); i++) {
    const fixgw_field_t *f = &m->fields[i];
    if (!session_owned_tag(f->tag) && nx < 16) x[nx++] = (hdr_field_t){f->tag, f->val, f->len};
  }
  const char *body = m->fields[i - 1].val + m->fields[i - 1].len + 1;
  const fixgw_field_t *cs = &m->fields[m->nfields - 1];
  const char *body_end = cs->val - 3; /* "10=" */
  const fixgw_field_t *st = fixgw_msg_find(m, 52);
  char type[16];
  size_t tl = m->msgtype.len < sizeof type - 1 ? m->msgtype.len : sizeof type - 1;
  memcpy(type, m->msgtype.ptr, tl);
  type[tl] = 0;
  compose_t c = {type, seq, true, {st ? st->val : NULL, st ? st->len : 0}, x, nx, now.utc_ns};
  fixgw_encoder_t e;
  int rc = compose_begin(s, &c, &e);
  if (rc) return rc;
  size_t blen = (size_t)(body_end - body);
  if (body_end > body) {
    if (e.cap - e.pos < blen + FIXGW_ENC_TRAILER) return FIXGW_EAGAIN;
    memcpy(e.buf + e.pos, body, blen);
    e.pos += blen;
  }
  rc = compose_finish(s, &e, c.msgtype, seq, false, false, now.mono_ns);
  if (rc) return rc;
  s->stats.resent++;
  slog(s, FIXGW_LOG_INFO, "Resending Message: %llu", (unsigned long long)seq);
  return 0;
}

static bool outbound_veto_resend(fixgw_session_t *s, const fixgw_msg_t *m, uint64_t seq) {
  if (!s->cb.on_outbound) return false;
  fixgw_outbound_t o = {m->msgtype, seq, false, true};
  s->composing = true;
  cb_enter(s);
  int r = s->cb.on_outbound(s, &o, NULL, s->user);
  cb_leave(s);
  s->composing = false;
  return r == FIXGW_CB_REFUSE;
}

static void resend_done(fixgw_session_t *s) {
  s->rs_active = false;
  if (s->store.ops->iter_close) s->store.ops->iter_close(s->store.self);
}

/* Stream the resend from the store while the transmit buffer has room.
 * Reopens the iterator at rs_next each time, so bytes the store lent are
 * never held across a call that may append. */
static int resend_pump(fixgw_session_t *s, fixgw_now_t now) {
  if (!s->rs_active) return 0;
  uint64_t end = s->rs_end;
  int rc = s->store.ops->iter_open(s->store.self, s->rs_next, end);
  if (rc) {
    go_fatal(s, FIXGW_ESTORE, "store iter_open failed");
    return FIXGW_ESTORE;
  }
  for (;;) {
    uint64_t seq;
    const char *bytes;
    size_t len;
    rc = s->store.ops->iter_next(s->store.self, &seq, &bytes, &len);
    if (rc == FIXGW_ENOTFOUND) break;
    if (rc) {
      go_fatal(s, FIXGW_ESTORE, "store iter_next failed");
      return FIXGW_ESTORE;
    }
    if (seq < s->rs_next || seq > end) continue;
    /* Numbers before seq the store does not hold (never stored, evicted,
     * skipped by set_next_sender_seq) are gap-filled with what follows. */
    if (seq > s->rs_next && !s->rs_gap) s->rs_gap = s->rs_next;
    /* Leave the reserve (tx_reserve) free: a resend must not stop our
     * input by itself, or two peers resending to each other both stop
     * reading (and under the disconnect policy our own resend would look
     * like a flood). */
    if (tx_free(s) < len + 256 + tx_reserve(s)) {
      /* no room: resume here from written() */
      if (s->store.ops->iter_close) s->store.ops->iter_close(s->store.self);
      return 0;
    }
    size_t used;
    fixgw_msg_t m;
    fixgw_parser_reset(&s->parser);
    int prc = fixgw_parse(&s->parser, bytes, len, &used, &m, NULL);
    bool app = prc == 0 && !is_admin_type(m.msgtype.ptr, m.msgtype.len);
    if (app && outbound_veto_resend(s, &m, seq)) app = false;
    if (!app) {
      if (!s->rs_gap) s->rs_gap = seq;
      s->rs_next = seq + 1;
      continue;
    }
    if (s->rs_gap) {
      if ((rc = send_gap_fill(s, s->rs_gap, seq, now))) goto out;
      s->rs_gap = 0;
    }
    if ((rc = resend_one(s, &m, seq, now))) goto out;
    s->rs_next = seq + 1;
  }
  {
    uint64_t last = end + 1 < s->next_sender ? end + 1 : s->next_sender;
    uint64_t from = s->rs_gap ? s->rs_gap : s->rs_next;
    if (from < last) {
      if (tx_free(s) < 512 + tx_reserve(s)) {
        if (s->store.ops->iter_close) s->store.ops->iter_close(s->store.self);
        return 0;
      }
      if ((rc = send_gap_fill(s, from, last, now))) goto out;
    }
  }
  resend_done(s);
  return 0;
out:
  if (rc == FIXGW_EAGAIN) {
    if (s->store.ops->iter_close) s->store.ops->iter_close(s->store.self);
    return 0;
  }
  resend_done(s);
  return rc;
}

static int start_resend(fixgw_session_t *s, uint64_t begin, uint64_t end, fixgw_now_t now) {
  if (end >= s->next_sender) end = s->next_sender - 1;
  if (begin == 0) begin = 1;
  if (begin > end) {
    /* Nothing of ours in range: fill to where we are, if behind. */
    if (begin < s->next_sender) return send_gap_fill(s, begin, s->next_sender, now);
    return 0;
  }
  if (!s->cfg.persist_messages) {
    uint64_t last = end + 1 < s->next_sender ? end + 1 : s->next_sender;
    return send_gap_fill(s, begin, last, now);
  }
  if (s->rs_active) resend_done(s); /* a newer request replaces it */
  s->rs_active = true;
  s->rs_next = begin;
  s->rs_end = end;
  s->rs_gap = 0;
  /* The pump runs once the request is handled (process_input): it parses
   * stored messages, which would overwrite the view being handled. */
  return 0;
}

/* --------------------------------------------------------- gap queue */

static void gq_clear(fixgw_session_t *s) {
  s->gq_n = 0;
  s->gq_used = 0;
}

/* Stash a message that came early. Full: drop it (it is asked again when
 * the gap before it closes), never grow. */
static void gq_push(fixgw_session_t *s, uint64_t seq, const fixgw_msg_t *m) {
  for (uint32_t i = 0; i < s->gq_n; i++)
    if (s->gq[i].seq == seq) return;
  if (s->gq_n == s->gq_max || s->gq_cap - s->gq_used < m->len) {
    /* compact away what was consumed */
    uint32_t w = 0, used = 0;
    for (uint32_t i = 0; i < s->gq_n; i++) {
      memmove(s->gq_bytes + used, s->gq_bytes + s->gq[i].off, s->gq[i].len);
      s->gq[i].off = used;
      used += s->gq[i].len;
      s->gq[w++] = s->gq[i];
    }
    s->gq_n = w;
    s->gq_used = used;
  }
  if (s->gq_n == s->gq_max || s->gq_cap - s->gq_used < m->len) {
    s->stats.queue_dropped++;
    slog(s, FIXGW_LOG_WARN, "Gap queue full: message %llu not queued (it will be requested again)",
         (unsigned long long)seq);
    return;
  }
  uint32_t at = s->gq_n;
  while (at > 0 && s->gq[at - 1].seq > seq) {
    s->gq[at] = s->gq[at - 1];
    at--;
  }
  memcpy(s->gq_bytes + s->gq_used, m->buf, m->len);
  s->gq[at] = (fixgw__gap_entry_t){seq, s->gq_used, m->len};
  s->gq_used += m->len;
  s->gq_n++;
  s->stats.queued++;
}

static void gq_drop_below(fixgw_session_t *s, uint64_t next) {
  uint32_t k = 0;
  while (k < s->gq_n && s->gq[k].seq < next) k++;
  if (!k) return;
  memmove(s->gq, s->gq + k, (s->gq_n - k) * sizeof *s->gq);
  s->gq_n -= k;
  if (!s->gq_n) s->gq_used = 0;
}

/* ------------------------------------------------------- inbound checks */

static int handle(fixgw_session_t *s, const fixgw_msg_t *m, fixgw_now_t now, bool queued);

/* The expected number moved past the chunk we asked for without a message
 * that verify() could judge (a fill that ends past it; stashed Logons and
 * ResendRequests, which are only counted): the chunk is satisfied, and the
 * rest of the range is asked from where we are. Left set, the request
 * would refuse every later gap ("Already sent ResendRequest") for good.
 * Returns 0, or < 0 when fatal. */
static int rr_passed(fixgw_session_t *s, fixgw_now_t now) {
  if (!s->rr_begin || s->next_target <= s->rr_chunk_end) return 0;
  uint64_t from = s->next_target, rest_to = s->rr_end;
  slog(s, FIXGW_LOG_INFO, "ResendRequest for messages FROM: %llu TO: %llu has been satisfied.",
       (unsigned long long)s->rr_begin, (unsigned long long)s->rr_chunk_end);
  s->rr_begin = s->rr_end = s->rr_chunk_end = 0;
  if (s->cfg.resend_request_chunk_size && from <= rest_to) {
    int rc = send_resend_request(s, from, rest_to, now);
    if (rc < 0 && fixgw_err_is_fatal(rc)) return rc;
  }
  return 0;
}

/* Deliver stashed messages that are now in order. */
static int next_queued(fixgw_session_t *s, fixgw_now_t now) {
  for (;;) {
    gq_drop_below(s, s->next_target);
    if (s->state == FIXGW_SS_CLOSING || s->state == FIXGW_SS_FATAL) return 0;
    if (!s->gq_n || s->gq[0].seq != s->next_target) return rr_passed(s, now);
    fixgw__gap_entry_t ent = s->gq[0];
    memmove(s->gq, s->gq + 1, (s->gq_n - 1) * sizeof *s->gq);
    s->gq_n--;
    slog(s, FIXGW_LOG_INFO, "Processing QUEUED message: %llu", (unsigned long long)ent.seq);
    size_t used;
    fixgw_msg_t m;
    fixgw_parser_reset(&s->parser);
    int rc = fixgw_parse(&s->parser, s->gq_bytes + ent.off, ent.len, &used, &m, NULL);
    fixgw_parser_reset(&s->parser);
    if (rc) continue;
    if (m.msgtype.len == 1 && (m.msgtype.ptr[0] == 'A' || m.msgtype.ptr[0] == '2')) {
      if ((rc = incr_target(s))) return rc;
    } else if ((rc = handle(s, &m, now, true)) < 0) {
      if (!s->gq_n) s->gq_used = 0;
      return rc;
    }
    if (!s->gq_n) s->gq_used = 0;
  }
}

static bool valid_logon_state(const fixgw_session_t *s, const fixgw_str_t *t) {
  bool logon = t->len == 1 && t->ptr[0] == 'A';
  bool logout = t->len == 1 && t->ptr[0] == '5';
  if ((logon && s->sent_reset) || s->received_reset) return true;
  if ((logon && !s->received_logon) || (!logon && s->received_logon)) return true;
  if (logout && s->sent_logon) return true;
  if (!logout && s->sent_logout) return true;
  if (t->len == 1 && (t->ptr[0] == '4' || t->ptr[0] == '3')) return true;
  return false;
}

/* SendingTime within MaxLatency of now (CheckLatency). */
static bool good_time(const fixgw_session_t *s, const fixgw_msg_t *m, fixgw_now_t now) {
  if (!s->cfg.check_latency) return true;
  /* Most SendingTimes name the second we last stamped ourselves: then a
   * compare of "YYYYMMDD-HH:MM:SS" settles it without a conversion. */
  const fixgw_field_t *f = fixgw_msg_find(m, 52);
  if (f && s->ts_len && f->len >= s->ts_len && memcmp(f->val, s->ts_text + 3, s->ts_len) == 0) {
    int64_t d = now.utc_ns / (int64_t)NS - s->ts_sec;
    if (d < 0) d = -d;
    if ((uint64_t)d + 1 <= s->cfg.max_latency_s) return true;
  }
  int64_t st;
  if (fixgw_msg_get_timestamp(m, 52, &st)) return false;
  int64_t d = now.utc_ns - st;
  if (d < 0) d = -d;
  return (uint64_t)d <= (uint64_t)s->cfg.max_latency_s * NS;
}

static bool id_eq(const fixgw_field_t *f, const char *v, size_t n) {
  return f && f->len == n && memcmp(f->val, v, n) == 0;
}

static bool good_comp_id(const fixgw_session_t *s, const fixgw_msg_t *m) {
  if (!s->cfg.check_comp_id) return true;
  return id_eq(fixgw_msg_find(m, 49), s->cfg.id.target_comp_id, s->target_len) &&
         id_eq(fixgw_msg_find(m, 56), s->cfg.id.sender_comp_id, s->sender_len);
}

/* The peer is ahead: stash, and ask for the gap unless it is asked. */
static int target_too_high(fixgw_session_t *s, const fixgw_msg_t *m, uint64_t seq, fixgw_now_t now) {
  slog(s, FIXGW_LOG_WARN, "MsgSeqNum too high, expecting %llu but received %llu",
       (unsigned long long)s->next_target, (unsigned long long)seq);
  gq_push(s, seq, m);
  if (s->rr_begin && !s->cfg.send_redundant_resend_requests && seq >= s->rr_begin) {
    slog(s, FIXGW_LOG_INFO, "Already sent ResendRequest FROM: %llu TO: %llu.  Not sending another.",
         (unsigned long long)s->rr_begin, (unsigned long long)s->rr_chunk_end);
    if (seq - 1 > s->rr_end) s->rr_end = seq - 1;
    return 0;
  }
  return send_resend_request(s, s->next_target, seq - 1, now);
}

/* Returns 1 when m may be processed, 0 when it was handled here (dropped,
 * rejected, stashed), < 0 on a fatal error. QuickFIX's verify(). */
static int verify(fixgw_session_t *s, const fixgw_msg_t *m, bool check_high, bool check_low,
                  fixgw_now_t now) {
  uint64_t seq = 0;
  if (!valid_logon_state(s, &m->msgtype)) {
    slog(s, FIXGW_LOG_ERROR, "Logon state is not valid for message (MsgType=%.*s)",
         (int)m->msgtype.len, m->msgtype.ptr);
    close_conn(s, FIXGW_DR_PROTOCOL, false);
    return 0;
  }
  if (!good_time(s, m, now)) {
    int rc = send_reject(s, m, 10, 0, now);
    if (rc == 0) rc = send_logout(s, NULL, now);
    return rc < 0 && fixgw_err_is_fatal(rc) ? rc : 0;
  }
  if (!good_comp_id(s, m)) {
    int rc = send_reject(s, m, 9, 0, now);
    if (rc == 0) rc = send_logout(s, NULL, now);
    return rc < 0 && fixgw_err_is_fatal(rc) ? rc : 0;
  }
  if (check_high || check_low) seq = msg_seq(m);
  if (check_high && seq > s->next_target) {
    int rc = target_too_high(s, m, seq, now);
    return rc < 0 && fixgw_err_is_fatal(rc) ? rc : 0;
  }
  if (check_low && seq < s->next_target) {
    if (!get_flag(m, 43)) {
      char text[128];
      snprintf(text, sizeof text, "MsgSeqNum too low, expecting %llu but received %llu",
               (unsigned long long)s->next_target, (unsigned long long)seq);
      send_logout(s, text, now);
      slog(s, FIXGW_LOG_ERROR, "%s", text);
      close_conn(s, FIXGW_DR_PROTOCOL, false);
      return 0;
    }
    /* PossDup at or below what we have: check, then ignore. */
    s->stats.duplicates++;
    if (!(m->msgtype.len == 1 && m->msgtype.ptr[0] == '4')) {
      int64_t orig, st;
      if (fixgw_msg_get_timestamp(m, 122, &orig)) {
        if (s->cfg.requires_orig_sending_time) {
          int rc = send_reject(s, m, 1, 122, now);
          return rc < 0 && fixgw_err_is_fatal(rc) ? rc : 0;
        }
      } else if (fixgw_msg_get_timestamp(m, 52, &st) == 0 && orig > st) {
        int rc = send_reject(s, m, 10, 0, now);
        if (rc == 0) rc = send_logout(s, NULL, now);
        return rc < 0 && fixgw_err_is_fatal(rc) ? rc : 0;
      }
    }
    return 0;
  }
  if ((check_high || check_low) && s->rr_begin && seq >= s->rr_chunk_end) {
    slog(s, FIXGW_LOG_INFO, "ResendRequest for messages FROM: %llu TO: %llu has been satisfied.",
         (unsigned long long)s->rr_begin, (unsigned long long)s->rr_chunk_end);
    uint64_t rest_from = s->rr_chunk_end + 1, rest_to = s->rr_end;
    s->rr_begin = s->rr_end = s->rr_chunk_end = 0;
    if (s->cfg.resend_request_chunk_size && rest_from <= rest_to && rest_from > seq) {
      int rc = send_resend_request(s, rest_from, rest_to, now);
      if (rc < 0 && fixgw_err_is_fatal(rc)) return rc;
    }
  }
  s->last_recv = now.mono_ns;
  s->test_requests = 0;
  return 1;
}

static int call_admin_cb(fixgw_session_t *s, const fixgw_msg_t *m) {
  if (!s->cb.on_admin) return 0;
  cb_enter(s);
  int r = s->cb.on_admin(s, m, s->user);
  cb_leave(s);
  return r;
}

static void became_logged_on(fixgw_session_t *s) {
  set_state(s, FIXGW_SS_ACTIVE);
  s->stats.logons++;
  if (s->cb.on_logon) {
    cb_enter(s);
    s->cb.on_logon(s, s->user);
    cb_leave(s);
  }
}

/* ------------------------------------------------------ message handlers */

static int on_logon_msg(fixgw_session_t *s, const fixgw_msg_t *m, fixgw_now_t now) {
  int rc;
  bool initiator = s->cfg.role == FIXGW_INITIATOR;
  if (s->cfg.refresh_on_logon && s->store.ops->refresh) {
    if (s->store.ops->refresh(s->store.self) ||
        s->store.ops->get_seqnums(s->store.self, &s->next_sender, &s->next_target)) {
      go_fatal(s, FIXGW_ESTORE, "store refresh failed");
      return FIXGW_ESTORE;
    }
  }
  if (!fixgw_schedule_in_session(&s->cfg.schedule, now.utc_ns)) {
    slog(s, FIXGW_LOG_WARN, "Received logon outside of valid logon time");
    close_conn(s, FIXGW_DR_PROTOCOL, true);
    return 0;
  }
  uint64_t hbi;
  const fixgw_field_t *dav = fixgw_msg_find(m, 1137);
  if (!get_u64(m, 108, &hbi) || hbi > 86400 ||
      (s->cfg.id.version == FIXGW_V_FIXT11 && !dav)) {
    slog(s, FIXGW_LOG_ERROR, "Required field missing from logon (%u)",
         !get_u64(m, 108, &hbi) ? 108u : 1137u);
    close_conn(s, FIXGW_DR_PROTOCOL, true);
    return 0;
  }
  if (dav) {
    fixgw_dict_version v = fixgw_dict_version_from_appl_ver_id(dav->val, dav->len);
    if (v != FIXGW_DICT_UNKNOWN) s->peer_appl_ver = v;
  }
  bool reset_flag = get_flag(m, 141);
  s->received_reset = reset_flag;
  if (reset_flag) {
    slog(s, FIXGW_LOG_INFO, "Logon contains ResetSeqNumFlag=Y, reseting sequence numbers to 1");
    if (!s->sent_reset && (rc = store_reset(s, now))) return rc;
  }
  if (initiator && !s->sent_logon && !reset_flag) {
    slog(s, FIXGW_LOG_ERROR, "Received logon response before sending request");
    close_conn(s, FIXGW_DR_PROTOCOL, true);
    return 0;
  }
  if (!initiator && s->cfg.reset_on_logon && !reset_flag && (rc = store_reset(s, now))) return rc;

  rc = verify(s, m, false, true, now);
  if (rc <= 0) return rc;

  bool answer = !initiator || (s->received_reset && !s->sent_reset);
  if (answer && s->cb.on_logon_request) {
    const char *text = NULL;
    cb_enter(s);
    int r = s->cb.on_logon_request(s, m, &text, s->user);
    cb_leave(s);
    if (r == FIXGW_CB_REFUSE) {
      slog(s, FIXGW_LOG_WARN, "Logon refused: %s", text ? text : "(no text)");
      s->received_logon = false;
      send_logout(s, text, now);
      close_conn(s, FIXGW_DR_PROTOCOL, false);
      return 0;
    }
  }
  s->received_logon = true;

  uint64_t nexp = 0;
  bool retransmit = false;
  if (s->cfg.id.version >= FIXGW_V_FIX44 && get_u64(m, 789, &nexp)) {
    if (nexp < s->next_sender) {
      retransmit = true;
    } else if (nexp > s->next_sender) {
      char text[128];
      snprintf(text, sizeof text, "NextExpectedMsgSeqNum too high, expecting %llu but received %llu",
               (unsigned long long)s->next_sender, (unsigned long long)nexp);
      slog(s, FIXGW_LOG_ERROR, "%s", text);
      send_logout(s, text, now);
      close_conn(s, FIXGW_DR_PROTOCOL, false);
      return 0;
    }
  }

  if (answer) {
    s->hbi_s = (uint32_t)hbi;
    slog(s, FIXGW_LOG_INFO, "Received logon request");
    if ((rc = send_logon(s, true, now))) return rc == FIXGW_EAGAIN ? 0 : rc;
    slog(s, FIXGW_LOG_INFO, "Responding to logon request");
  } else {
    slog(s, FIXGW_LOG_INFO, "Received logon response");
  }
  s->sent_reset = false;
  s->received_reset = false;

  uint64_t seq = msg_seq(m);
  if (seq > s->next_target && !reset_flag) {
    if ((rc = target_too_high(s, m, seq, now)) < 0 && fixgw_err_is_fatal(rc)) return rc;
  } else {
    if ((rc = incr_target(s))) return rc;
  }
  if (logged_on(s)) became_logged_on(s);
  if (retransmit) {
    uint64_t end = s->next_sender - 1;
    slog(s, FIXGW_LOG_INFO,
         "Sending retransmits due to received NextExpectedMsgSeqNum is too low. FROM: %llu TO: %llu",
         (unsigned long long)nexp, (unsigned long long)end);
    if ((rc = start_resend(s, nexp, end, now)) < 0 && fixgw_err_is_fatal(rc)) return rc;
  }
  return 1;
}

static int on_sequence_reset(fixgw_session_t *s, const fixgw_msg_t *m, fixgw_now_t now) {
  bool gap_fill = get_flag(m, 123);
  int rc = verify(s, m, gap_fill, gap_fill, now);
  if (rc <= 0) return rc;
  uint64_t ns;
  if (!get_u64(m, 36, &ns)) return send_reject(s, m, 1, 36, now);
  slog(s, FIXGW_LOG_INFO, "Received SequenceReset FROM: %llu TO: %llu",
       (unsigned long long)s->next_target, (unsigned long long)ns);
  if (ns > s->next_target) {
    if ((rc = set_target(s, ns))) return rc;
    if (gap_fill) gq_drop_below(s, ns);
    /* A fill that ends past the range we asked for satisfies it, though
     * its own MsgSeqNum (what verify judged) lies inside the range: else
     * "Already sent ResendRequest" would refuse every later gap. */
    if ((rc = rr_passed(s, now)) < 0) return rc;
  } else if (ns < s->next_target) {
    return send_reject(s, m, 5, 0, now);
  }
  return 1;
}

static int on_resend_request(fixgw_session_t *s, const fixgw_msg_t *m, fixgw_now_t now) {
  int rc = verify(s, m, false, false, now);
  if (rc <= 0) return rc;
  uint64_t b, e;
  if (!get_u64(m, 7, &b)) return send_reject(s, m, 1, 7, now);
  if (!get_u64(m, 16, &e)) return send_reject(s, m, 1, 16, now);
  s->stats.resend_requests_received++;
  slog(s, FIXGW_LOG_INFO, "Received ResendRequest FROM: %llu TO: %llu", (unsigned long long)b,
       (unsigned long long)e);
  if ((s->cfg.id.version >= FIXGW_V_FIX42 && e == 0) ||
      (s->cfg.id.version <= FIXGW_V_FIX42 && e == 999999) || e >= s->next_sender)
    e = s->next_sender - 1;
  if ((rc = start_resend(s, b, e, now)) < 0 && fixgw_err_is_fatal(rc)) return rc;
  if (msg_seq(m) == s->next_target && (rc = incr_target(s))) return rc;
  /* Served at once, but inside a gap its number is used only when the gap
   * closes (next_queued counts a stashed '2'); else that number is a new
   * gap, and two peers that keep asking each other never agree. */
  if (msg_seq(m) > s->next_target) gq_push(s, msg_seq(m), m);
  return 1;
}

static int on_logout_msg(fixgw_session_t *s, const fixgw_msg_t *m, fixgw_now_t now) {
  int rc = verify(s, m, false, false, now);
  if (rc <= 0) return rc;
  if (!s->sent_logout) {
    slog(s, FIXGW_LOG_INFO, "Received logout request");
    send_logout(s, NULL, now);
    slog(s, FIXGW_LOG_INFO, "Sending logout response");
  } else {
    slog(s, FIXGW_LOG_INFO, "Received logout response");
  }
  /* Only the expected number moves the target: a Logout that arrives
   * during a gap must not step over the missing message (it would never
   * be asked for again). */
  if (msg_seq(m) == s->next_target && (rc = incr_target(s))) return rc;
  if (s->cfg.reset_on_logout && (rc = store_reset(s, now))) return rc;
  call_admin_cb(s, m);
  close_conn(s, FIXGW_DR_LOGOUT, false);
  return 0;
}

static int find_handler(const fixgw_session_t *s, const fixgw_str_t *t, fixgw_app_cb *cb) {
  if (t->len == 0 || t->len > 8 || !s->nhandlers) return 0;
  uint64_t k = fixgw_dict_key(t->ptr, t->len);
  uint32_t h = (uint32_t)((k * 0x9E3779B97F4A7C15ull) >> 57);
  for (uint32_t i = 0; i < FIXGW__HANDLER_SLOTS; i++) {
    const fixgw__handler_t *e = &s->handlers[(h + i) & (FIXGW__HANDLER_SLOTS - 1)];
    if (e->key == 0) return 0;
    if (e->key == k) {
      *cb = e->cb;
      return e->cb != NULL;
    }
  }
  return 0;
}

static int on_app_msg(fixgw_session_t *s, const fixgw_msg_t *m, fixgw_now_t now) {
  int rc = verify(s, m, true, true, now);
  if (rc <= 0) return rc;
  if (m->msgtype.len == 1 && m->msgtype.ptr[0] == 'j') {
    /* a BusinessMessageReject is an application message we also report */
    uint64_t ref = 0, reason = 0;
    get_u64(m, 45, &ref);
    bool has = get_u64(m, 380, &reason);
    fixgw_str_t rt = {NULL, 0}, tx = {NULL, 0};
    fixgw_msg_get_str(m, 372, &rt);
    fixgw_msg_get_str(m, 58, &tx);
    report_reject(s, false, true, ref, has ? (int)reason : -1, 0, rt, tx);
  }
  fixgw_app_cb cb = s->cb.on_app;
  find_handler(s, &m->msgtype, &cb);
  int r = FIXGW_CB_UNSUPPORTED;
  if (cb) {
    cb_enter(s);
    r = cb(s, m, s->user);
    cb_leave(s);
  }
  s->stats.app_in++;
  if (r == FIXGW_CB_UNSUPPORTED) {
    if (fix42_or_later(s)) return send_business_reject(s, m, 3, 0, now);
    return send_reject_text(s, m, "Unsupported message type", now);
  }
  if ((rc = incr_target(s))) return rc;
  return r == FIXGW_CB_PAUSE ? 2 : 1;
}

/* Validate with the dictionary; a failure is answered with a Reject.
 * Returns 1 to go on, 0 when handled, < 0 fatal. */
static int validate(fixgw_session_t *s, const fixgw_msg_t *m, fixgw_now_t now) {
  if (!s->have_validator) return 1;
  fixgw_reject_t rej;
  int rc = fixgw_validate(&s->validator, m, &rej);
  if (rc == 0) return 1;
  if (rc == FIXGW_ENODICT && rej.reason == FIXGW_SRR_NONE) return 1;
  if (m->msgtype.len == 1 && m->msgtype.ptr[0] == 'A') {
    slog(s, FIXGW_LOG_ERROR, "Logon message is not valid: %s (%u)",
         fixgw_reject_reason_text(rej.reason), rej.ref_tag);
    close_conn(s, FIXGW_DR_PROTOCOL, true);
    return 0;
  }
  /* As QuickFIX's Session::next: the dictionary's RequiredTagMissing is a
   * Reject 373=1 (BusinessMessageReject 380=5 is only for a field the
   * application finds missing), and an undefined tag is InvalidTagNumber
   * (373=0, "Invalid tag number"). */
  if (rej.reason == FIXGW_SRR_UNDEFINED_TAG) rej.reason = FIXGW_SRR_INVALID_TAG_NUMBER;
  rc = send_reject(s, m, rej.reason, rej.ref_tag, now);
  return rc < 0 && fixgw_err_is_fatal(rc) ? rc : 0;
}

/* One inbound message. Returns 1 processed, 2 processed and pause, 0
 * handled otherwise, < 0 fatal. */
static int handle(fixgw_session_t *s, const fixgw_msg_t *m, fixgw_now_t now, bool queued) {
  if (!queued) {
    s->stats.msgs_in++;
    s->stats.in_by_type[fixgw_session_msgtype_slot(m->msgtype.ptr, m->msgtype.len)]++;
    wire_out(s, false, m->buf, m->len, m->msgtype.len == 1 && m->msgtype.ptr[0] == 'A');
  }
  bool is_logon = m->msgtype.len == 1 && m->msgtype.ptr[0] == 'A';
  if (m->version != s->cfg.id.version) {
    if (m->msgtype.len == 1 && m->msgtype.ptr[0] == '5') return on_logout_msg(s, m, now);
    slog(s, FIXGW_LOG_ERROR, "Incorrect BeginString (%.*s)", (int)m->fields[0].len,
         m->fields[0].val);
    send_logout(s, "Incorrect BeginString", now);
    if (!is_logon && msg_seq(m) == s->next_target) incr_target(s);
    /* QuickFIX does not disconnect here: it waits for the Logout answer
     * (or LogoutTimeout), like any Logout it starts. */
    return 0;
  }
  /* Header fields every message needs. */
  static const uint32_t need[] = {49, 56, 34, 52};
  for (size_t i = 0; i < 4; i++) {
    if (!fixgw_msg_find(m, need[i])) {
      if (is_logon) {
        slog(s, FIXGW_LOG_ERROR, "Required field missing from logon (%u)", need[i]);
        close_conn(s, FIXGW_DR_PROTOCOL, true);
        return 0;
      }
      int rc = send_reject(s, m, 1, need[i], now);
      return rc < 0 && fixgw_err_is_fatal(rc) ? rc : 0;
    }
  }
  int rc = validate(s, m, now);
  if (rc <= 0) return rc;
  if (m->msgtype.len == 1) {
    switch (m->msgtype.ptr[0]) {
    case 'A':
      rc = on_logon_msg(s, m, now);
      if (rc > 0) call_admin_cb(s, m);
      return rc;
    case '0':
      if ((rc = verify(s, m, true, true, now)) <= 0) return rc;
      if ((rc = incr_target(s))) return rc;
      return call_admin_cb(s, m) == FIXGW_CB_PAUSE ? 2 : 1;
    case '1':
      if ((rc = verify(s, m, true, true, now)) <= 0) return rc;
      send_heartbeat(s, fixgw_msg_find(m, 112), now);
      if ((rc = incr_target(s))) return rc;
      return call_admin_cb(s, m) == FIXGW_CB_PAUSE ? 2 : 1;
    case '2':
      rc = on_resend_request(s, m, now);
      if (rc > 0) call_admin_cb(s, m);
      return rc;
    case '3': {
      if ((rc = verify(s, m, false, true, now)) <= 0) return rc;
      uint64_t ref = 0, reason = 0, tag = 0;
      get_u64(m, 45, &ref);
      bool has_reason = get_u64(m, 373, &reason);
      get_u64(m, 371, &tag);
      fixgw_str_t rt = {NULL, 0}, tx = {NULL, 0};
      fixgw_msg_get_str(m, 372, &rt);
      fixgw_msg_get_str(m, 58, &tx);
      report_reject(s, false, false, ref, has_reason ? (int)reason : -1, (uint32_t)tag, rt, tx);
      /* As for Logout: a Reject inside a gap must not step over it. */
      if (msg_seq(m) == s->next_target && (rc = incr_target(s))) return rc;
      return call_admin_cb(s, m) == FIXGW_CB_PAUSE ? 2 : 1;
    }
    case '4':
      rc = on_sequence_reset(s, m, now);
      if (rc > 0) call_admin_cb(s, m);
      return rc;
    case '5':
      return on_logout_msg(s, m, now);
    }
  }
  return on_app_msg(s, m, now);
}

/* Parse and handle what the receive buffer holds. */
static int process_input(fixgw_session_t *s, fixgw_now_t now) {
  uint32_t off = 0;
  int ret = 0;
  while (off < s->rx_len) {
    if (s->state == FIXGW_SS_CLOSING || s->state == FIXGW_SS_FATAL ||
        s->state == FIXGW_SS_DISCONNECTED) {
      off = s->rx_len; /* input after the end is ignored */
      break;
    }
    if (tx_free(s) < tx_reserve(s)) {
      if (s->cfg.overflow == FIXGW_OVERFLOW_DISCONNECT) {
        slog(s, FIXGW_LOG_ERROR, "Output not drained while input keeps coming: disconnecting");
        close_conn(s, FIXGW_DR_PROTOCOL, true);
        off = s->rx_len;
        ret = FIXGW_EFLOOD;
        break;
      }
      if (!s->backpressured) s->stats.backpressured++;
      s->backpressured = true;
      break;
    }
    size_t used = 0;
    fixgw_msg_t m;
    fixgw_parse_error_t pe;
    int rc = fixgw_parse(&s->parser, s->rx + off, s->rx_len - off, &used, &m, &pe);
    if (rc == FIXGW_EAGAIN) break;
    off += (uint32_t)used;
    if (rc) {
      s->stats.garbled++;
      slog(s, FIXGW_LOG_WARN, "Garbled message dropped: %s at byte %zu (tag %u)",
           fixgw_strerror(pe.code), pe.offset, pe.tag);
      continue;
    }
    rc = handle(s, &m, now, false);
    if (rc < 0) {
      ret = rc;
      break;
    }
    int q = next_queued(s, now);
    if (q == 0) q = resend_pump(s, now);
    if (q < 0) {
      ret = q;
      break;
    }
    if (rc == 2) {
      s->input_paused = true;
      ret = FIXGW_EPAUSED;
      break;
    }
  }
  if (s->state == FIXGW_SS_FATAL) return ret ? ret : FIXGW_EFATAL;
  if (off) {
    memmove(s->rx, s->rx + off, s->rx_len - off);
    s->rx_len -= off;
    /* The partial message moved: the parser must frame it afresh. */
    fixgw_parser_reset(&s->parser);
  }
  return ret;
}

/* ------------------------------------------------------------ public */

void fixgw_session_config_default(fixgw_session_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
  cfg->role = FIXGW_INITIATOR;
  cfg->id.version = FIXGW_V_FIX44;
  cfg->heartbeat_interval_s = 30;
  cfg->logon_timeout_s = 10;
  cfg->logout_timeout_s = 2;
  cfg->persist_messages = true;
  cfg->check_comp_id = true;
  cfg->check_latency = true;
  cfg->max_latency_s = 120;
  cfg->requires_orig_sending_time = true;
  cfg->timestamp_precision = FIXGW_TS_MILLIS;
  cfg->validation_checks = FIXGW_VAL_ALL;
  cfg->max_msg_size = 16384;
  cfg->tx_buffer_size = 8192;
  cfg->gap_queue_bytes = 8192;
  cfg->gap_queue_messages = 64;
  cfg->max_fields = 256;
  cfg->overflow = FIXGW_OVERFLOW_BACKPRESSURE;
}

const char *fixgw_session_state_name(fixgw_session_state st) {
  static const char *const n[] = {"disconnected", "await_logon", "logon_sent", "active",
                                  "logout_sent",  "closing",     "fatal"};
  return (unsigned)st < sizeof n / sizeof n[0] ? n[st] : "?";
}

const char *fixgw_disconnect_reason_name(fixgw_disconnect_reason r) {
  static const char *const n[] = {"none",     "logout",  "peer_closed", "io_error",
                                  "protocol", "timeout", "host"};
  return (unsigned)r < sizeof n / sizeof n[0] ? n[r] : "?";
}

/* Length of a NUL-terminated field of at most max + 1 bytes (strnlen is
 * not C11). */
static size_t bounded_len(const char *v, size_t max) {
  size_t n = 0;
  while (n <= max && v[n]) n++;
  return n;
}

static bool id_ok(const char *v, bool required) {
  size_t n = bounded_len(v, FIXGW_COMPID_MAX);
  if (n > FIXGW_COMPID_MAX || (required && n == 0)) return false;
  return memchr(v, FIXGW_SOH, n) == NULL;
}

static int check_config(const fixgw_session_config_t *c) {
  if (c->size != sizeof *c) return FIXGW_EINVAL;
  if (c->role != FIXGW_INITIATOR && c->role != FIXGW_ACCEPTOR) return FIXGW_EINVAL;
  if (c->id.version <= FIXGW_V_UNKNOWN || c->id.version >= FIXGW_V_COUNT_) return FIXGW_EINVAL;
  if (!id_ok(c->id.sender_comp_id, true) || !id_ok(c->id.target_comp_id, true) ||
      !id_ok(c->id.sender_sub_id, false) || !id_ok(c->id.target_sub_id, false) ||
      !id_ok(c->id.sender_location_id, false) || !id_ok(c->id.target_location_id, false))
    return FIXGW_EINVAL;
  if (c->id.version == FIXGW_V_FIXT11 && !appl_ver_id_text(c->default_appl_ver))
    return FIXGW_EINVAL;
  if (!c->store.ops || c->store.ops->size < sizeof(fixgw_store_ops_t) || !c->store.ops->append ||
      !c->store.ops->get_seqnums || !c->store.ops->set_next_sender ||
      !c->store.ops->set_next_target || !c->store.ops->reset || !c->store.ops->iter_open ||
      !c->store.ops->iter_next)
    return FIXGW_EINVAL;
  if (c->heartbeat_interval_s > 86400 || c->max_latency_s == 0) return FIXGW_EINVAL;
  if (c->max_msg_size < 256 || c->max_msg_size > (64u << 20)) return FIXGW_EINVAL;
  uint32_t rx = c->rx_buffer_size ? c->rx_buffer_size : c->max_msg_size;
  if (rx < c->max_msg_size || rx > (256u << 20)) return FIXGW_EINVAL;
  if (c->tx_buffer_size < 2048 || c->tx_buffer_size > (256u << 20)) return FIXGW_EINVAL;
  if (c->gap_queue_messages > (1u << 20) || c->gap_queue_bytes > (256u << 20)) return FIXGW_EINVAL;
  if (c->max_fields < 16 || c->max_fields > 32767) return FIXGW_EINVAL;
  if (c->timestamp_precision != FIXGW_TS_SECONDS && c->timestamp_precision != FIXGW_TS_MILLIS &&
      c->timestamp_precision != FIXGW_TS_MICROS && c->timestamp_precision != FIXGW_TS_NANOS)
    return FIXGW_EINVAL;
  if (c->validation_checks & ~FIXGW_VAL_ALL) return FIXGW_EINVAL;
  if (c->overflow != FIXGW_OVERFLOW_BACKPRESSURE && c->overflow != FIXGW_OVERFLOW_DISCONNECT)
    return FIXGW_EINVAL;
  if (bounded_len(c->username, FIXGW_SECRET_MAX) > FIXGW_SECRET_MAX ||
      bounded_len(c->password, FIXGW_SECRET_MAX) > FIXGW_SECRET_MAX)
    return FIXGW_EINVAL;
  if (c->schedule.enabled && fixgw_schedule_check(&c->schedule)) return FIXGW_EINVAL;
  return 0;
}

static size_t align16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Forward to the host's allocator, counting what is asked for (a size
 * header in front of each block lets free subtract it). */
static void *count_alloc(size_t n, void *u) {
  fixgw_session_t *s = u;
  size_t *p = fixgw__alloc(s->cfg.allocator, n + 16);
  if (!p) return NULL;
  p[0] = n;
  s->mem_other += n;
  return (char *)p + 16;
}

static void count_free(void *ptr, void *u) {
  fixgw_session_t *s = u;
  size_t *p = (size_t *)(void *)((char *)ptr - 16);
  s->mem_other -= p[0];
  fixgw__free(s->cfg.allocator, p);
}

int fixgw_session_create(const fixgw_session_config_t *cfg, const fixgw_session_callbacks_t *cb,
                         void *user, fixgw_session_t **out) {
  if (!cfg || !out) return FIXGW_EINVAL;
  *out = NULL;
  int rc = check_config(cfg);
  if (rc) return rc;
  if (cb && cb->size != sizeof *cb) return FIXGW_EINVAL;
  uint32_t rx = cfg->rx_buffer_size ? cfg->rx_buffer_size : cfg->max_msg_size;
  /* Only Logons are copied there (to mask 554), and they are small. */
  uint32_t scratch = 2048;
  size_t sz = align16(sizeof(fixgw_session_t)) + align16(rx) + align16(cfg->tx_buffer_size) +
              align16(scratch) + align16((size_t)cfg->gap_queue_messages * sizeof(fixgw__gap_entry_t)) +
              align16(cfg->gap_queue_bytes);
  char *mem = fixgw__alloc(cfg->allocator, sz);
  if (!mem) return FIXGW_ENOMEM;
  memset(mem, 0, sizeof(fixgw_session_t));
  fixgw_session_t *s = (fixgw_session_t *)(void *)mem;
  char *p = mem + align16(sizeof *s);
  s->mem = mem;
  s->mem_size = sz;
  s->cfg = *cfg;
  s->cfg.rx_buffer_size = rx;
  s->last_stamp_ns = INT64_MIN;
  if (cb) s->cb = *cb;
  s->user = user;
  s->store = cfg->store;
  s->rx = p, s->rx_cap = rx, p += align16(rx);
  s->tx = p, s->tx_cap = cfg->tx_buffer_size, p += align16(cfg->tx_buffer_size);
  s->scratch = p, s->scratch_cap = scratch, p += align16(scratch);
  s->gq = (fixgw__gap_entry_t *)(void *)p, s->gq_max = cfg->gap_queue_messages;
  p += align16((size_t)cfg->gap_queue_messages * sizeof(fixgw__gap_entry_t));
  s->gq_bytes = p, s->gq_cap = cfg->gap_queue_bytes;
  s->bs = fixgw_version_string(cfg->id.version);
  s->bs_len = (uint8_t)strlen(s->bs);
  s->hbi_s = cfg->heartbeat_interval_s;
  s->sender_len = strlen(cfg->id.sender_comp_id);
  s->target_len = strlen(cfg->id.target_comp_id);
  {
    const fixgw_session_id_t *id = &cfg->id;
    const struct { uint32_t tag; const char *v; int seg; } parts[] = {
        {49, id->sender_comp_id, 0},     {50, id->sender_sub_id, 0},
        {56, id->target_comp_id, 1},     {57, id->target_sub_id, 1},
        {142, id->sender_location_id, 2}, {143, id->target_location_id, 2}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
      if (!parts[i].v[0]) continue;
      char *dst = s->hseg[parts[i].seg] + s->hseg_len[parts[i].seg];
      int n = snprintf(dst, sizeof s->hseg[0] - s->hseg_len[parts[i].seg], "%u=%s\x01",
                       parts[i].tag, parts[i].v);
      s->hseg_len[parts[i].seg] = (uint8_t)(s->hseg_len[parts[i].seg] + n);
    }
  }
  s->peer_appl_ver = cfg->id.version == FIXGW_V_FIXT11 ? cfg->default_appl_ver
                                                       : (fixgw_dict_version)cfg->id.version;

  fixgw_parser_config_t pc;
  fixgw_parser_config_default(&pc);
  pc.max_msg_size = cfg->max_msg_size;
  pc.max_fields = cfg->max_fields;
  s->counting = (fixgw_allocator_t){count_alloc, count_free, s};
  pc.allocator = &s->counting;
  if ((rc = fixgw_parser_init(&s->parser, &pc))) goto fail;

  if (cfg->use_data_dictionary) {
    fixgw_validator_config_t vc;
    const fixgw_dict_t *d = cfg->dict;
    if (!d)
      d = fixgw_dict_by_version(cfg->id.version == FIXGW_V_FIXT11
                                    ? FIXGW_DICT_FIXT11
                                    : (fixgw_dict_version)cfg->id.version);
    fixgw_validator_config_default(&vc, d);
    vc.checks = cfg->validation_checks;
    vc.allocator = &s->counting;
    if (cfg->id.version == FIXGW_V_FIXT11) {
      vc.default_appl_ver = cfg->default_appl_ver;
      for (int v = FIXGW_DICT_FIX50; v <= FIXGW_DICT_FIX50SP2; v++)
        vc.app[v] = cfg->app[v] ? cfg->app[v] : fixgw_dict_by_version((fixgw_dict_version)v);
    }
    if ((rc = fixgw_validator_init(&s->validator, &vc))) goto fail;
    s->have_validator = true;
  }
  if (s->store.ops->get_seqnums(s->store.self, &s->next_sender, &s->next_target) ||
      s->next_sender == 0 || s->next_target == 0) {
    rc = FIXGW_ESTORE;
    goto fail;
  }
  *out = s;
  return 0;
fail:
  fixgw_validator_destroy(&s->validator);
  fixgw_parser_destroy(&s->parser);
  fixgw__free(cfg->allocator, mem);
  return rc;
}

int fixgw_session_destroy(fixgw_session_t *s) {
  if (!s) return 0;
  if (s->in_cb) return FIXGW_EBUSY;
  if (s->rs_active && s->store.ops->iter_close) s->store.ops->iter_close(s->store.self);
  fixgw_validator_destroy(&s->validator);
  fixgw_parser_destroy(&s->parser);
  fixgw__free(s->cfg.allocator, s->mem);
  return 0;
}

/* A new session period (schedule) resets the numbers, as QuickFIX does. */
static int check_session_time(fixgw_session_t *s, fixgw_now_t now) {
  s->sched_deadline = UINT64_MAX;
  if (!s->cfg.schedule.enabled) return 0;
  int64_t change = fixgw_schedule_next_change(&s->cfg.schedule, now.utc_ns);
  if (change != INT64_MAX && change > now.utc_ns)
    s->sched_deadline = now.mono_ns + (uint64_t)(change - now.utc_ns);
  int64_t created;
  if (!s->store.ops->creation_time || s->store.ops->creation_time(s->store.self, &created))
    return 0;
  if (!fixgw_schedule_in_session(&s->cfg.schedule, now.utc_ns)) return 0;
  if (created >= fixgw_schedule_period_start(&s->cfg.schedule, now.utc_ns)) return 0;
  slog(s, FIXGW_LOG_INFO, "New session period: resetting sequence numbers");
  if (logged_on(s) && !s->sent_logout) send_logout(s, NULL, now);
  if (s->state != FIXGW_SS_DISCONNECTED) close_conn(s, FIXGW_DR_TIMEOUT, false);
  return store_reset(s, now);
}

#define GUARD(s)                                        \
  do {                                                  \
    if (!(s)) return FIXGW_EINVAL;                      \
    if ((s)->in_cb) return FIXGW_EBUSY;                 \
    if ((s)->state == FIXGW_SS_FATAL) return FIXGW_EFATAL; \
  } while (0)

int fixgw_session_connected(fixgw_session_t *s, fixgw_now_t now) {
  GUARD(s);
  if (s->state != FIXGW_SS_DISCONNECTED) return FIXGW_ESTATE;
  s->rx_len = 0;
  s->tx_head = s->tx_tail = 0;
  s->dropped = s->backpressured = s->input_paused = false;
  s->sent_logon = s->received_logon = s->sent_logout = false;
  s->sent_reset = s->received_reset = false;
  s->rr_begin = s->rr_end = s->rr_chunk_end = 0;
  s->test_requests = 0;
  s->hbi_s = s->cfg.heartbeat_interval_s;
  s->connected_at = s->last_recv = s->last_sent = now.mono_ns;
  s->close_reason = FIXGW_DR_NONE;
  gq_clear(s);
  fixgw_parser_reset(&s->parser);
  int rc = check_session_time(s, now);
  if (rc) return rc;
  if (s->cfg.role == FIXGW_ACCEPTOR) {
    set_state(s, FIXGW_SS_AWAIT_LOGON);
    return 0;
  }
  set_state(s, FIXGW_SS_LOGON_SENT);
  if (!fixgw_schedule_in_session(&s->cfg.schedule, now.utc_ns)) {
    slog(s, FIXGW_LOG_WARN, "Outside of the session schedule: not logging on");
    close_conn(s, FIXGW_DR_HOST, true);
    return 0;
  }
  rc = send_logon(s, false, now);
  if (rc == 0) slog(s, FIXGW_LOG_INFO, "Initiated logon request");
  return rc == FIXGW_EAGAIN ? 0 : rc;
}

int fixgw_session_disconnected(fixgw_session_t *s, fixgw_disconnect_reason why, fixgw_now_t now) {
  if (!s) return FIXGW_EINVAL;
  if (s->in_cb) return FIXGW_EBUSY;
  if (s->state == FIXGW_SS_DISCONNECTED) return 0;
  if (s->open) fixgw_session_send_abort(s);
  bool was = s->received_logon || s->sent_logon;
  if (s->state != FIXGW_SS_FATAL) set_state(s, FIXGW_SS_DISCONNECTED);
  if (s->close_reason == FIXGW_DR_NONE) s->close_reason = why;
  s->stats.disconnects++;
  s->received_logon = s->sent_logon = s->sent_logout = false;
  s->sent_reset = s->received_reset = false;
  if (s->rs_active) resend_done(s);
  s->rr_begin = s->rr_end = s->rr_chunk_end = 0;
  gq_clear(s);
  s->rx_len = 0;
  s->tx_head = s->tx_tail = 0;
  s->backpressured = s->input_paused = s->dropped = false;
  fixgw_parser_reset(&s->parser);
  if (was && s->cb.on_logout) {
    cb_enter(s);
    s->cb.on_logout(s, s->close_reason, s->user);
    cb_leave(s);
  }
  if (s->state == FIXGW_SS_FATAL) return FIXGW_EFATAL;
  if (s->cfg.reset_on_disconnect) return store_reset(s, now);
  return 0;
}

int fixgw_session_logout(fixgw_session_t *s, const char *text, fixgw_now_t now) {
  if (!s) return FIXGW_EINVAL;
  if (s->state == FIXGW_SS_FATAL) return FIXGW_EFATAL;
  if (s->composing) return FIXGW_EBUSY;
  if (s->open) return FIXGW_ESTATE;
  switch (s->state) {
  case FIXGW_SS_ACTIVE:
  case FIXGW_SS_LOGON_SENT:
    if (s->sent_logout) return 0;
    slog(s, FIXGW_LOG_INFO, "Initiated logout request");
    {
      int rc = send_logout(s, text, now);
      if (rc == FIXGW_EAGAIN) close_conn(s, FIXGW_DR_HOST, true);
      return rc == FIXGW_EAGAIN ? 0 : rc;
    }
  case FIXGW_SS_AWAIT_LOGON:
    close_conn(s, FIXGW_DR_HOST, true);
    return 0;
  case FIXGW_SS_LOGOUT_SENT:
  case FIXGW_SS_CLOSING:
    return 0;
  default:
    return FIXGW_ESTATE;
  }
}

int fixgw_session_recv_buf(fixgw_session_t *s, char **ptr, size_t *cap) {
  if (!s || !ptr || !cap) return FIXGW_EINVAL;
  if (s->in_cb) return FIXGW_EBUSY;
  *ptr = s->rx + s->rx_len;
  *cap = (s->input_paused || s->backpressured || !fixgw_session_want_read(s))
             ? 0
             : s->rx_cap - s->rx_len;
  return 0;
}

int fixgw_session_recv_commit(fixgw_session_t *s, size_t n, fixgw_now_t now) {
  GUARD(s);
  if (s->open) return FIXGW_ESTATE;
  if (s->state == FIXGW_SS_DISCONNECTED) return FIXGW_ESTATE;
  if (n > s->rx_cap - s->rx_len) return FIXGW_EINVAL;
  s->rx_len += (uint32_t)n;
  s->stats.bytes_in += n;
  s->input_paused = false;
  s->backpressured = false;
  int rc = check_session_time(s, now);
  if (rc) return rc;
  return process_input(s, now);
}

int fixgw_session_feed(fixgw_session_t *s, const char *data, size_t len, size_t *consumed,
                       fixgw_now_t now) {
  if (consumed) *consumed = 0;
  GUARD(s);
  if (!consumed || (!data && len)) return FIXGW_EINVAL;
  if (s->open || s->state == FIXGW_SS_DISCONNECTED) return FIXGW_ESTATE;
  int rc = 0;
  do {
    size_t room = s->rx_cap - s->rx_len;
    size_t take = len - *consumed < room ? len - *consumed : room;
    if (!fixgw_session_want_read(s)) take = 0;
    memcpy(s->rx + s->rx_len, data + *consumed, take);
    *consumed += take;
    rc = fixgw_session_recv_commit(s, take, now);
    if (rc || take == 0) break;
  } while (*consumed < len && !s->backpressured);
  return rc;
}

int fixgw_session_recv_eof(fixgw_session_t *s, fixgw_now_t now) {
  GUARD(s);
  (void)now;
  if (s->rx_len)
    slog(s, FIXGW_LOG_WARN, "Connection closed by the peer with %u bytes of a message unread",
         s->rx_len);
  else
    slog(s, FIXGW_LOG_INFO, "Connection closed by the peer");
  s->rx_len = 0;
  close_conn(s, FIXGW_DR_PEER_CLOSED, true);
  return 0;
}

int fixgw_session_pending(fixgw_session_t *s, const char **ptr, size_t *len) {
  if (!s || !ptr || !len) return FIXGW_EINVAL;
  if (s->in_cb) return FIXGW_EBUSY;
  *ptr = s->tx + s->tx_head;
  *len = s->tx_tail - s->tx_head;
  return 0;
}

int fixgw_session_written(fixgw_session_t *s, size_t n, fixgw_now_t now) {
  GUARD(s);
  if (n > s->tx_tail - s->tx_head) return FIXGW_EINVAL;
  s->tx_head += (uint32_t)n;
  s->stats.bytes_out += n;
  if (s->tx_head == s->tx_tail) s->tx_head = s->tx_tail = 0;
  if (s->open) return 0;
  int rc = resend_pump(s, now);
  if (rc) return rc;
  if (s->backpressured && tx_free(s) >= tx_reserve(s)) {
    s->backpressured = false;
    rc = process_input(s, now);
    if (rc == FIXGW_EPAUSED) rc = 0;
  }
  return rc;
}

bool fixgw_session_want_read(const fixgw_session_t *s) {
  switch (s->state) {
  case FIXGW_SS_AWAIT_LOGON:
  case FIXGW_SS_LOGON_SENT:
  case FIXGW_SS_ACTIVE:
  case FIXGW_SS_LOGOUT_SENT:
    /* A pause keeps this true: it is the host's to lift, never a close. */
    return !s->backpressured;
  default:
    return false;
  }
}

bool fixgw_session_want_write(const fixgw_session_t *s) {
  if (s->state == FIXGW_SS_DISCONNECTED || s->state == FIXGW_SS_FATAL) return false;
  return s->tx_tail > s->tx_head;
}

uint64_t fixgw_session_next_deadline(const fixgw_session_t *s) {
  uint64_t d = UINT64_MAX;
#define AT(t) \
  do {        \
    if ((t) < d) d = (t); \
  } while (0)
  switch (s->state) {
  case FIXGW_SS_AWAIT_LOGON:
  case FIXGW_SS_LOGON_SENT:
    AT(s->last_recv + (uint64_t)s->cfg.logon_timeout_s * NS);
    break;
  case FIXGW_SS_ACTIVE:
  case FIXGW_SS_LOGOUT_SENT:
    if (s->sent_logout) AT(s->last_sent + (uint64_t)s->cfg.logout_timeout_s * NS);
    if (s->hbi_s) {
      uint64_t h = (uint64_t)s->hbi_s * NS;
      bool room = tx_free(s) >= 512; /* else written() comes first */
      AT(s->last_recv + h * 24 / 10);
      if (room) AT(s->last_recv + h * 12 * (s->test_requests + 1) / 10);
      if (room && !s->test_requests) AT(s->last_sent + h);
    }
    break;
  default:
    return UINT64_MAX;
  }
  AT(s->sched_deadline);
#undef AT
  return d;
}

int fixgw_session_on_timer(fixgw_session_t *s, fixgw_now_t now) {
  GUARD(s);
  if (s->open) return FIXGW_ESTATE;
  uint64_t t = now.mono_ns;
  int rc = check_session_time(s, now);
  if (rc) return rc;
  if (s->cfg.schedule.enabled && !fixgw_schedule_in_session(&s->cfg.schedule, now.utc_ns)) {
    if (logged_on(s)) {
      if (!s->sent_logout) {
        slog(s, FIXGW_LOG_INFO, "Initiated logout request");
        send_logout(s, NULL, now); /* QuickFIX: its logoutReason, empty */
      }
    } else if (s->state == FIXGW_SS_AWAIT_LOGON || s->state == FIXGW_SS_LOGON_SENT) {
      close_conn(s, FIXGW_DR_HOST, true);
      return 0;
    }
  }
  switch (s->state) {
  case FIXGW_SS_AWAIT_LOGON:
    if (t - s->last_recv >= (uint64_t)s->cfg.logon_timeout_s * NS) {
      slog(s, FIXGW_LOG_WARN, "Timed out waiting for logon request");
      close_conn(s, FIXGW_DR_TIMEOUT, true);
    }
    return 0;
  case FIXGW_SS_LOGON_SENT:
    if (s->sent_logon && !s->received_logon &&
        t - s->last_recv >= (uint64_t)s->cfg.logon_timeout_s * NS) {
      slog(s, FIXGW_LOG_WARN, "Timed out waiting for logon response");
      close_conn(s, FIXGW_DR_TIMEOUT, true);
    }
    return 0;
  case FIXGW_SS_ACTIVE:
  case FIXGW_SS_LOGOUT_SENT:
    break;
  default:
    return 0;
  }
  if (s->sent_logout && t - s->last_sent >= (uint64_t)s->cfg.logout_timeout_s * NS) {
    slog(s, FIXGW_LOG_WARN, "Timed out waiting for logout response");
    /* QuickFIX's disconnect(): at once. Output the peer does not read
     * must not hold the connection open (a flush could wait forever). */
    close_conn(s, FIXGW_DR_TIMEOUT, true);
    return 0;
  }
  if (!s->hbi_s) return 0;
  uint64_t h = (uint64_t)s->hbi_s * NS;
  if (t - s->last_sent < h && t - s->last_recv < h) return 0;
  if (t - s->last_recv >= h * 24 / 10) {
    slog(s, FIXGW_LOG_WARN, "Timed out waiting for heartbeat");
    close_conn(s, FIXGW_DR_TIMEOUT, true); /* at once, as above */
    return 0;
  }
  if (t - s->last_recv >= h * 12 * (s->test_requests + 1) / 10) {
    rc = send_test_request(s, now);
    if (rc == 0) {
      s->test_requests++;
      slog(s, FIXGW_LOG_INFO, "Sent test request TEST");
    }
  } else if (t - s->last_sent >= h && !s->test_requests) {
    rc = send_heartbeat(s, NULL, now);
  }
  return rc == FIXGW_EAGAIN ? 0 : rc;
}

/* ----------------------------------------------------------- sending */

static int sort_extras(const fixgw_send_opts_t *o, hdr_field_t *x, uint32_t *n) {
  *n = 0;
  if (!o || !o->nheader) return 0;
  if (o->nheader > 16 || !o->header) return FIXGW_EINVAL;
  for (uint32_t i = 0; i < o->nheader; i++) {
    const fixgw_field_t *f = &o->header[i];
    if (session_owned_tag(f->tag) || f->tag == 0 || f->tag > FIXGW_TAG_MAX || !f->len ||
        memchr(f->val, FIXGW_SOH, f->len))
      return FIXGW_EINVAL;
    uint32_t j = *n;
    while (j > 0 && x[j - 1].tag > f->tag) {
      x[j] = x[j - 1];
      j--;
    }
    if (j > 0 && x[j - 1].tag == f->tag) return FIXGW_EINVAL;
    x[j] = (hdr_field_t){f->tag, f->val, f->len};
    (*n)++;
  }
  return 0;
}

int fixgw_session_send_begin(fixgw_session_t *s, const char *msgtype, const fixgw_send_opts_t *opts,
                             fixgw_now_t now, fixgw_encoder_t **enc) {
  if (!s || !msgtype || !enc) return FIXGW_EINVAL;
  if (s->state == FIXGW_SS_FATAL) return FIXGW_EFATAL;
  if (s->composing) return FIXGW_EBUSY;
  if (s->open) return FIXGW_ESTATE;
  size_t tl = strlen(msgtype);
  if (!tl || tl >= sizeof s->open_type || is_admin_type(msgtype, tl) ||
      memchr(msgtype, FIXGW_SOH, tl) || memchr(msgtype, '=', tl))
    return FIXGW_EINVAL;
  if (s->state != FIXGW_SS_ACTIVE || !logged_on(s)) return FIXGW_ESTATE;
  hdr_field_t x[16];
  uint32_t nx;
  int rc = sort_extras(opts, x, &nx);
  if (rc) return rc;
  if (s->rs_active) return FIXGW_EAGAIN;
  if (tx_free(s) < tx_reserve(s) + 64) return FIXGW_EAGAIN;
  memcpy(s->open_type, msgtype, tl + 1);
  compose_t c = {s->open_type, s->next_sender, false, {NULL, 0}, x, nx, now.utc_ns};
  rc = compose_begin(s, &c, &s->enc);
  if (rc) return rc;
  /* Keep the reserve for the session's own answers out of the host's reach. */
  uint32_t keep = tx_reserve(s);
  if (s->enc.cap - s->enc.pos <= keep) return FIXGW_EAGAIN;
  s->enc.cap -= keep;
  s->open = true;
  s->open_seq = c.seq;
  s->open_now_mono = now.mono_ns;
  *enc = &s->enc;
  return 0;
}

int fixgw_session_send_commit(fixgw_session_t *s, uint64_t *seq) {
  if (!s) return FIXGW_EINVAL;
  if (!s->open) return FIXGW_ESTATE;
  if (s->cb.on_outbound) {
    fixgw_outbound_t o = {{s->open_type, strlen(s->open_type)}, s->open_seq, false, false};
    s->composing = true;
    s->in_cb++; /* not cb_leave: the message is open on purpose here */
    int r = s->cb.on_outbound(s, &o, &s->enc, s->user);
    s->in_cb--;
    s->composing = false;
    if (r == FIXGW_CB_REFUSE) {
      s->open = false;
      return FIXGW_EPERM;
    }
  }
  s->open = false;
  int rc = compose_finish(s, &s->enc, s->open_type, s->open_seq, true, false, s->open_now_mono);
  /* Out of room: worth a retry after written() only if output is pending. */
  if (rc == FIXGW_EAGAIN || rc == FIXGW_ENOSPC)
    return s->tx_tail > s->tx_head ? FIXGW_EAGAIN : FIXGW_ENOSPC;
  if (rc) return rc;
  s->stats.app_out++;
  if (seq) *seq = s->open_seq;
  return 0;
}

void fixgw_session_send_abort(fixgw_session_t *s) {
  if (s) s->open = false;
}

int fixgw_session_send_body(fixgw_session_t *s, const char *msgtype, const char *body, size_t len,
                            const fixgw_send_opts_t *opts, fixgw_now_t now, uint64_t *seq) {
  if (!s || (!body && len)) return FIXGW_EINVAL;
  if (len && body[len - 1] != FIXGW_SOH) return FIXGW_EINVAL;
  fixgw_encoder_t *e;
  int rc = fixgw_session_send_begin(s, msgtype, opts, now, &e);
  if (rc) return rc;
  if (e->cap - e->pos < len + FIXGW_ENC_TRAILER) {
    fixgw_session_send_abort(s);
    return s->tx_tail > s->tx_head ? FIXGW_EAGAIN : FIXGW_ENOSPC;
  }
  memcpy(e->buf + e->pos, body, len);
  e->pos += len;
  return fixgw_session_send_commit(s, seq);
}

int fixgw_session_on(fixgw_session_t *s, const char *msgtype, fixgw_app_cb cb) {
  if (!s || !msgtype) return FIXGW_EINVAL;
  size_t n = strlen(msgtype);
  if (n == 0 || n > 8 || is_admin_type(msgtype, n)) return FIXGW_EINVAL;
  uint64_t k = fixgw_dict_key(msgtype, n);
  uint32_t h = (uint32_t)((k * 0x9E3779B97F4A7C15ull) >> 57);
  for (uint32_t i = 0; i < FIXGW__HANDLER_SLOTS; i++) {
    fixgw__handler_t *e = &s->handlers[(h + i) & (FIXGW__HANDLER_SLOTS - 1)];
    if (e->key == k) {
      e->cb = cb; /* NULL keeps the slot as a tombstone: lookups go past it */
      return 0;
    }
    if (e->key == 0) {
      if (!cb) return 0;
      if (s->nhandlers == FIXGW__HANDLER_MAX) return FIXGW_EFULL;
      e->key = k;
      e->cb = cb;
      s->nhandlers++;
      return 0;
    }
  }
  return FIXGW_EFULL;
}

fixgw_session_state fixgw_session_state_get(const fixgw_session_t *s) { return s->state; }
fixgw_session_role fixgw_session_role_get(const fixgw_session_t *s) { return s->cfg.role; }
fixgw_disconnect_reason fixgw_session_close_reason(const fixgw_session_t *s) {
  return s->close_reason;
}
bool fixgw_session_is_logged_on(const fixgw_session_t *s) {
  return s->state == FIXGW_SS_ACTIVE && logged_on(s);
}
uint64_t fixgw_session_next_sender_seq(const fixgw_session_t *s) { return s->next_sender; }
uint64_t fixgw_session_next_target_seq(const fixgw_session_t *s) { return s->next_target; }

int fixgw_session_set_next_sender_seq(fixgw_session_t *s, uint64_t seq) {
  if (!s || !seq) return FIXGW_EINVAL;
  if (s->open || s->rs_active) return FIXGW_ESTATE;
  if (s->store.ops->set_next_sender(s->store.self, seq)) return FIXGW_ESTORE;
  s->next_sender = seq;
  return 0;
}

int fixgw_session_set_next_target_seq(fixgw_session_t *s, uint64_t seq) {
  if (!s || !seq) return FIXGW_EINVAL;
  if (s->open) return FIXGW_ESTATE;
  if (s->store.ops->set_next_target(s->store.self, seq)) return FIXGW_ESTORE;
  s->next_target = seq;
  return 0;
}

int fixgw_session_reset(fixgw_session_t *s, fixgw_now_t now) {
  if (!s) return FIXGW_EINVAL;
  if (s->in_cb) return FIXGW_EBUSY;
  if (s->state != FIXGW_SS_DISCONNECTED) return FIXGW_ESTATE;
  return store_reset(s, now);
}

uint32_t fixgw_session_heartbeat_interval(const fixgw_session_t *s) { return s->hbi_s; }
const fixgw_session_id_t *fixgw_session_id(const fixgw_session_t *s) { return &s->cfg.id; }
void *fixgw_session_user(const fixgw_session_t *s) { return s->user; }
fixgw_dict_version fixgw_session_peer_appl_ver(const fixgw_session_t *s) { return s->peer_appl_ver; }
const fixgw_session_stats_t *fixgw_session_stats(const fixgw_session_t *s) { return &s->stats; }

size_t fixgw_session_memory(const fixgw_session_t *s) { return s->mem_size + s->mem_other; }
