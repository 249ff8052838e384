/* The session object, shared by the files of src/session; not installed. */
#ifndef FIXGW_SESSION_INTERNAL_H
#define FIXGW_SESSION_INTERNAL_H

#include "fixgw/session.h"

/* Inbound application handlers by MsgType: open addressing on the
 * MsgType's first 8 bytes (fixgw_dict_key), so dispatch is one hash and a
 * compare or two. */
#define FIXGW__HANDLER_SLOTS 128u
#define FIXGW__HANDLER_MAX 64u

typedef struct fixgw__handler {
  uint64_t key; /* 0: empty */
  fixgw_app_cb cb;
} fixgw__handler_t;

/* One message stashed while a gap is being filled: bytes in the arena. */
typedef struct fixgw__gap_entry {
  uint64_t seq;
  uint32_t off, len;
} fixgw__gap_entry_t;

struct fixgw_session {
  fixgw_session_config_t cfg;
  fixgw_session_callbacks_t cb;
  void *user;
  fixgw_store_t store;
  fixgw_parser_t parser;
  fixgw_validator_t validator;
  bool have_validator;
  const char *bs; /* our BeginString text */
  uint8_t bs_len;

  void *mem; /* the one block holding every buffer below */
  size_t mem_size;
  /* What the parser and validator allocate goes through this, so
   * fixgw_session_memory() is a count, not an estimate. */
  fixgw_allocator_t counting;
  size_t mem_other;

  char *rx;
  uint32_t rx_len, rx_cap;
  char *tx;
  uint32_t tx_head, tx_tail, tx_cap;
  char *scratch; /* masked copies for on_wire */
  uint32_t scratch_cap;
  fixgw__gap_entry_t *gq;
  uint32_t gq_n, gq_max;
  char *gq_bytes;
  uint32_t gq_used, gq_cap;

  /* Header runs rendered once: "49=..|50=..|", "56=..|57=..|",
   * "142=..|143=..|" (empty parts left out). */
  char hseg[3][2 * (FIXGW_COMPID_MAX + 6) + 2];
  uint8_t hseg_len[3];
  size_t sender_len, target_len; /* of the CompIDs, for the inbound check */
  /* SendingTime to the second, "52=YYYYMMDD-HH:MM:SS", for ts_sec. */
  int64_t ts_sec;
  char ts_text[24];
  uint8_t ts_len;
  /* The latest SendingTime stamped: a stamp never goes below it. */
  int64_t last_stamp_ns;

  fixgw_session_state state;
  uint64_t next_sender, next_target;
  uint32_t hbi_s;
  uint64_t last_sent, last_recv, connected_at; /* monotonic ns */
  uint32_t test_requests;
  bool sent_logon, received_logon, sent_logout, sent_reset, received_reset;
  bool input_paused;  /* a callback returned FIXGW_CB_PAUSE */
  bool backpressured; /* input stopped until output drains */
  bool dropped;       /* close at once, pending output discarded */
  int in_cb;
  bool composing; /* on_outbound holds the encoder of a message */
  uint64_t sched_deadline; /* monotonic ns of the next schedule change */
  fixgw_dict_version peer_appl_ver;
  fixgw_disconnect_reason close_reason;

  /* Outgoing ResendRequest: [rr_begin, rr_end] is the whole gap, the
   * current chunk ends at rr_chunk_end; rr_begin 0 means none. */
  uint64_t rr_begin, rr_end, rr_chunk_end;

  /* Serving the peer's ResendRequest, streamed from the store. */
  bool rs_active;
  uint64_t rs_next, rs_end, rs_gap;

  /* The application message open between send_begin and send_commit. */
  bool open;
  fixgw_encoder_t enc;
  uint64_t open_seq;
  uint64_t open_now_mono;
  char open_type[16];

  uint32_t nhandlers;
  fixgw__handler_t handlers[FIXGW__HANDLER_SLOTS];
  fixgw_session_stats_t stats;
  char line[512];
};

#endif
