/*
 * libfixgw message generator: realistic, reproducible FIX 4.4 order flow
 * built with the encoder, for tests, benchmarks, demos and load tools.
 *
 * What it writes: NewOrderSingle (D); ExecutionReports (8) acknowledging
 * (150=0), filling (150=F, partial or full) and cancelling (150=4) those
 * orders; OrderCancelRequest (F); MarketDataSnapshotFullRefresh (W) with a
 * NoMDEntries (268) group; Heartbeat (0). Every message carries a standard
 * header (8, 9, 35, 49, 56, 34, 52) and trailer (10). The stream is the log
 * of one session seen from both ends: D and F go client -> broker
 * (49=client_comp_id, 56=broker_comp_id), 8 and W broker -> client, and
 * Heartbeats either way. MsgSeqNum (34) rises by one per message in each
 * direction, from first_seq in both; SendingTime (52) advances over the
 * whole stream from start_ns by a seeded pseudo-random gap. So a corpus
 * checks for contiguity per SenderCompID like a real session log.
 *
 * Order lifecycle: the generator keeps a table of live orders (sized at
 * init). An ack answers an order not yet acknowledged; a fill or a cancel
 * answers an acknowledged one; an OrderCancelRequest targets an
 * acknowledged order, and the cancel (150=4) that follows it carries the
 * request's ClOrdID (11) and the order's OrigClOrdID (41) — an unsolicited
 * cancel (no pending request) carries the order's own ClOrdID and no 41.
 * CumQty (14) + LeavesQty (151) == OrderQty (38) on every report, CumQty
 * never exceeds OrderQty, LastQty/LastPx (32/31) are the fill's, and AvgPx
 * (6) is the volume-weighted price of the fills so far, rounded half up to
 * FIXGW_GEN_AVGPX_EXTRA more decimals than the instrument's tick, trailing
 * zeros dropped. Orders leave the table when filled or cancelled.
 *
 * Prices are exact decimals on each instrument's tick (e.g. 0.01 for
 * equities, 0.25 for index futures, 1/64 = 0.015625 for Treasury futures,
 * 0.00001 for FX) around a per-instrument random walk.
 *
 * Reproducible: the only source of randomness is an internal xoshiro256**
 * seeded from cfg.seed, so the same config gives the same bytes on every
 * platform and build.
 *
 * Memory: fixgw_gen_init() allocates once (order table, scratch buffer);
 * fixgw_gen_next() and the writers never allocate (stdio may allocate its
 * own FILE buffer on first use; fixgw_gen_write_path's fopen does).
 *
 * Thread-safety: a generator belongs to one thread at a time.
 */
#ifndef FIXGW_GEN_H
#define FIXGW_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fixgw/codec.h"
#include "fixgw/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The kinds of message the generator draws from its mix. */
typedef enum fixgw_gen_type {
  FIXGW_GEN_NEW_ORDER = 0, /* D  NewOrderSingle */
  FIXGW_GEN_ACK,           /* 8  ExecutionReport 150=0 39=0 */
  FIXGW_GEN_FILL,          /* 8  ExecutionReport 150=F 39=1 or 2 */
  FIXGW_GEN_CANCEL_REQ,    /* F  OrderCancelRequest */
  FIXGW_GEN_CANCELED,      /* 8  ExecutionReport 150=4 39=4 */
  FIXGW_GEN_MD_SNAPSHOT,   /* W  MarketDataSnapshotFullRefresh */
  FIXGW_GEN_HEARTBEAT,     /* 0  Heartbeat */
  FIXGW_GEN_TYPE_COUNT
} fixgw_gen_type;

/* AvgPx carries this many decimals beyond the instrument's tick. */
#define FIXGW_GEN_AVGPX_EXTRA 4
/* Upper bound for md_entries_max (keeps W messages under ~100 KB). */
#define FIXGW_GEN_MD_ENTRIES_MAX 1024u
/* Upper bound for pad_to. */
#define FIXGW_GEN_PAD_MAX 1048576u
/* Longest SenderCompID / TargetCompID accepted. */
#define FIXGW_GEN_COMPID_MAX 32u

typedef struct fixgw_gen_config {
  /* Seed of the PRNG: same seed and config, same bytes. Any value. */
  uint64_t seed;
  /* Relative weight of each type; all zero selects the default mix
   * (see fixgw_gen_config_default). A drawn type the lifecycle cannot
   * honour right now (an ack with no unacknowledged order, a new order with
   * the table full, ...) is replaced by one that leads towards it and owed:
   * a later draw of the replacement type emits the owed one once possible.
   * So the emitted mix follows the weights whenever they are feasible in
   * the long run (ack ~ new, fill + canceled >= new); stats.substituted
   * counts the replacements. */
  uint32_t mix[FIXGW_GEN_TYPE_COUNT];
  /* The two CompIDs: 1..FIXGW_GEN_COMPID_MAX printable ASCII bytes each,
   * different; copied at init. Defaults "CLIENT01" and "BROKER01". */
  const char *client_comp_id;
  const char *broker_comp_id;
  /* MsgSeqNum of the first message in each direction (>= 1). Default 1. */
  uint64_t first_seq;
  /* SendingTime of the first message, ns since the Unix epoch,
   * 0..INT64_MAX / 2 (about the year 2116, where the clock then stays).
   * Default 2024-03-15 13:30:00 UTC. */
  int64_t start_ns;
  /* Mean gap between messages; each gap is uniform in [0, 2 * gap_ns].
   * Default 50 us. At most 1 hour. */
  uint64_t gap_ns;
  /* Precision of SendingTime (52) and TransactTime (60). Default millis. */
  fixgw_ts_precision ts_precision;
  /* Live orders at most (1..1<<20). Default 1024. */
  uint32_t max_live_orders;
  /* Instruments drawn from the built-in table: 0 (default) means all of
   * them, else the first n (fixgw_gen_symbol_count() is the table size). */
  uint32_t n_symbols;
  /* NoMDEntries per W, uniform in [min, max], 1..FIXGW_GEN_MD_ENTRIES_MAX,
   * min <= max. Default 4..10. Entries alternate bid (269=0) and offer
   * (269=1) by price level. Note the parser's default max_fields (1024)
   * holds about 170 entries of 6 fields; raise it for bigger books. */
  uint32_t md_entries_min;
  uint32_t md_entries_max;
  /* Add MDEntryDate (272), MDEntryTime (273) and MDEntryPositionNo (290)
   * to each entry. Default true. */
  bool md_extras;
  /* Pad D, 8 and F messages with a Text (58) field so each is pad_to bytes
   * long (pad_to + 1 when BodyLength gaining a digit makes pad_to itself
   * unreachable); messages already that long are left alone. 0 (default)
   * means no padding. At most FIXGW_GEN_PAD_MAX. W grows through
   * md_entries_*, Heartbeats are never padded. */
  uint32_t pad_to;
  /* Allocator for init; NULL means malloc. */
  const fixgw_allocator_t *allocator;
} fixgw_gen_config_t;

/* Fill *cfg with the defaults above; seed 1; the default mix is
 * new 18, ack 18, fill 24, cancel_req 6, canceled 8, md 22, heartbeat 4. */
void fixgw_gen_config_default(fixgw_gen_config_t *cfg);

/* What the generator has written so far; plain fields the owner may read
 * at any time. */
typedef struct fixgw_gen_stats {
  uint64_t messages;
  uint64_t bytes;
  uint64_t by_type[FIXGW_GEN_TYPE_COUNT];
  uint64_t full_fills;  /* FILL messages that completed their order */
  uint64_t md_entries;  /* NoMDEntries summed over W messages */
  uint64_t substituted; /* draws replaced for the lifecycle (see mix) */
  uint32_t live_orders; /* orders in the table now */
} fixgw_gen_stats_t;

/* One instrument of the built-in table. */
typedef struct fixgw_gen_symbol {
  const char *symbol;        /* e.g. "AAPL", "ESM4", "EUR/USD" */
  fixgw_decimal_t tick;      /* minimum price increment, exact */
  fixgw_decimal_t ref_price; /* starting mid price, on the tick */
  uint32_t lot;              /* order quantities are mostly multiples */
} fixgw_gen_symbol_t;

/* Size of the built-in instrument table and its i-th entry (NULL when i
 * is out of range). Static data; thread-safe. */
uint32_t fixgw_gen_symbol_count(void);
const fixgw_gen_symbol_t *fixgw_gen_symbol(uint32_t i);

/* The generator. Embed it anywhere; members are private except `stats`
 * and `last_type`. */
typedef struct fixgw_gen {
  fixgw_gen_stats_t stats;
  fixgw_gen_type last_type; /* type of the last message written */
  /* private */
  fixgw_gen_config_t cfg_;
  char client_[FIXGW_GEN_COMPID_MAX + 1];
  char broker_[FIXGW_GEN_COMPID_MAX + 1];
  uint64_t rng_[4];
  uint64_t seq_[2]; /* next MsgSeqNum: [0] client -> broker, [1] back */
  int64_t now_ns_;
  uint64_t next_clordid_;
  uint64_t next_orderid_;
  uint64_t next_execid_;
  uint64_t debt_[FIXGW_GEN_TYPE_COUNT];
  uint64_t credit_[FIXGW_GEN_TYPE_COUNT];
  uint32_t mix_total_;
  uint32_t nsym_;
  size_t max_msg_;
  int64_t *mid_;       /* per instrument, in units of its tick's exponent */
  void *orders_;       /* order slots */
  uint32_t *free_;     /* stack of free slots */
  uint32_t *lists_;    /* per-state dense lists of slots, 3 * max_live */
  uint32_t nfree_;
  uint32_t nlist_[3];
  char *scratch_;      /* max_msg_ bytes, for the FILE writers */
  char *pad_;          /* pad_to bytes of Text (58) filler */
} fixgw_gen_t;

/* Set up *g from *cfg (NULL: defaults), allocating once. Returns 0,
 * FIXGW_EINVAL (a config value out of the documented range, or g NULL), or
 * FIXGW_ENOMEM. On failure *g holds nothing to free. */
int fixgw_gen_init(fixgw_gen_t *g, const fixgw_gen_config_t *cfg);
/* Free what init allocated. Safe on a zeroed or already-destroyed
 * generator. */
void fixgw_gen_destroy(fixgw_gen_t *g);

/* An upper bound of the buffer fixgw_gen_next() may need for any message
 * under this generator's config (the bytes it builds in before moving the
 * message to the front included). 0 for an uninitialised generator. */
size_t fixgw_gen_max_msg_size(const fixgw_gen_t *g);

/*
 * Write the next message into buf[0..cap).
 * On success returns 0, the message occupies buf[0..*len) — so successive
 * calls at buf + len build one contiguous stream — and *out == buf.
 * Returns FIXGW_ENOSPC when the message does not fit: nothing is written
 * outside buf[0..cap) (what is inside is unspecified) and the generator's
 * state is unchanged, so a retry with a larger buffer yields the very same
 * message. cap >= fixgw_gen_max_msg_size() never fails for space.
 * FIXGW_EINVAL if an argument is NULL or g is not initialised.
 * Never allocates.
 */
int fixgw_gen_next(fixgw_gen_t *g, char *buf, size_t cap, const char **out,
                   size_t *len);

/* Write count messages to f with fwrite (f stays open; the caller
 * flushes/closes it). Returns 0, FIXGW_EINVAL, or FIXGW_EIO when fwrite
 * fails (errno from stdio; the messages before it were written). */
int fixgw_gen_write(fixgw_gen_t *g, FILE *f, uint64_t count);
/* Create or truncate path and write count messages to it. Returns 0,
 * FIXGW_EINVAL, FIXGW_ESYS (cannot open; see errno), or FIXGW_EIO (write
 * or close failed). */
int fixgw_gen_write_path(fixgw_gen_t *g, const char *path, uint64_t count);

/* Short name of a type: "new", "ack", "fill", "cancel_req", "canceled",
 * "md", "heartbeat"; NULL when out of range. */
const char *fixgw_gen_type_name(fixgw_gen_type t);
/* The MsgType (35) value a type is written with ("D", "8", ...); NULL when
 * out of range. */
const char *fixgw_gen_type_msgtype(fixgw_gen_type t);

/* Parse a mix such as "new=20,ack=20,fill=25,md=30,heartbeat=5" into
 * mix[]: names from fixgw_gen_type_name() (or the MsgType, "D", "F", "W",
 * "0"), weights 0..1000000; types not named get 0. mix[] is written only
 * on success. Returns 0 or FIXGW_EINVAL (unknown name, bad number,
 * duplicate, or every weight 0). */
int fixgw_gen_mix_parse(const char *spec, uint32_t mix[FIXGW_GEN_TYPE_COUNT]);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_GEN_H */
