/*
 * libfixgw store: where a session keeps what it sent and both of its next
 * sequence numbers, behind one interface (a vtable), so a memory, file,
 * SQLite or networked store is a plain implementation of it.
 *
 * The contract every store keeps (tests/store runs one suite against each):
 *   - append(seq, bytes) saves an outbound message AND sets the next sender
 *     number to seq + 1 in one step. The session calls it before the bytes
 *     are queued for the wire; if it fails, nothing is sent and no number
 *     is used up. (Set-then-increment as two calls is how QuickFIX/Go,
 *     QuickFIX/n and QuickFIX/J each lost numbers.)
 *   - set_next_sender / set_next_target move a number without a message
 *     (SequenceReset, a gap fill we send, a message we processed). Moving
 *     the sender number below stored messages drops those from that
 *     number on: the numbers will carry new messages.
 *   - reset() drops every message, puts both numbers at 1 and stamps a new
 *     creation time (for the daily reset of a schedule).
 *   - Resend pulls from one iterator per store: iter_open(begin, end) then
 *     iter_next() lends the next stored message in [begin, end] in
 *     ascending sequence order; the bytes stay valid until the next call on
 *     the store. Sequence numbers the store does not hold (never stored,
 *     evicted, or not persisted) are simply skipped: the session fills them
 *     with a SequenceReset-GapFill. The iterator costs bounded memory
 *     whatever the range. It is a cursor by number: each iter_next gives
 *     the lowest stored number in [cursor, end] at that moment, so appends
 *     and evictions during an iteration are seen or skipped, never
 *     returned out of order. begin 0 is FIXGW_EINVAL; begin > end is an
 *     empty range.
 *   - Every call may fail with a negative FIXGW_E* code; the session then
 *     reports it and sends nothing it could not persist.
 *
 * A store belongs to one session, and so to one thread at a time.
 */
#ifndef FIXGW_STORE_H
#define FIXGW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fixgw_store_ops {
  /* sizeof(fixgw_store_ops_t) the store was built against, so the table
   * can grow: the session reads a member only if size covers it. */
  uint32_t size;
  const char *name; /* "memory", "file", ... for log lines */

  /* Save msg[0..len) as outbound number seq and make the next sender
   * number seq + 1, atomically. seq is the store's next sender number, or
   * higher after a gap the session chose to leave (never lower).
   * 0, FIXGW_EINVAL (seq 0, UINT64_MAX, or below the next number; msg
   * NULL), FIXGW_EFULL (store full under a refuse policy), FIXGW_EIO... */
  int (*append)(void *self, uint64_t seq, const char *msg, size_t len);
  /* Both next numbers (1 for a new store). */
  int (*get_seqnums)(void *self, uint64_t *next_sender, uint64_t *next_target);
  /* 0, FIXGW_EINVAL (next 0), or the store's I/O error. */
  int (*set_next_sender)(void *self, uint64_t next);
  int (*set_next_target)(void *self, uint64_t next);
  /* Drop all messages, both numbers to 1, creation time := now_utc_ns. */
  int (*reset)(void *self, int64_t now_utc_ns);
  /* UTC ns of the last reset (or of creation). */
  int (*creation_time)(void *self, int64_t *utc_ns);
  /* Reload from durable state (RefreshOnLogon); NULL: nothing to do. */
  int (*refresh)(void *self);

  /* Resend iterator; one open at a time (opening again restarts it).
   * iter_next: 0 and the message, FIXGW_ENOTFOUND after the last one in
   * range, FIXGW_ESTATE with no iterator open, or an error. */
  int (*iter_open)(void *self, uint64_t begin, uint64_t end);
  int (*iter_next)(void *self, uint64_t *seq, const char **msg, size_t *len);
  void (*iter_close)(void *self);

  /* Make every append so far durable per the store's policy; NULL for
   * stores with nothing to flush. */
  int (*flush)(void *self);
  /* Free the store. */
  void (*destroy)(void *self);
} fixgw_store_ops_t;

/* A store: its operations and its state. Small; passed by value. */
typedef struct fixgw_store {
  const fixgw_store_ops_t *ops;
  void *self;
} fixgw_store_t;

/* ----------------------------------------------------------- memory store */

/* What the memory store does when an append would pass its bounds. */
typedef enum fixgw_mem_store_policy {
  /* Drop the oldest messages until the new one fits. Numbers are never
   * affected; a resend of an evicted number becomes a gap fill. */
  FIXGW_MEM_STORE_EVICT_OLDEST = 0,
  /* Refuse the append with FIXGW_EFULL: the session sends nothing. */
  FIXGW_MEM_STORE_REFUSE
} fixgw_mem_store_policy;

/* Under EVICT_OLDEST the store always holds exactly the newest messages
 * that fit both bounds; a single message longer than max_bytes is not kept
 * (its number still advances; a resend of it is a gap fill). Under REFUSE
 * such a message is FIXGW_EFULL. */
typedef struct fixgw_mem_store_config {
  uint32_t max_messages; /* default 4096; 0 keeps numbers only */
  size_t max_bytes;      /* message bytes kept; default 1 MiB */
  fixgw_mem_store_policy policy;
  int64_t now_utc_ns;    /* creation time */
  /* NULL: malloc. Copied; its functions and user must stay callable until
   * destroy, which frees through it. */
  const fixgw_allocator_t *allocator;
} fixgw_mem_store_config_t;

void fixgw_mem_store_config_default(fixgw_mem_store_config_t *cfg);

/* A store in memory, every buffer sized at create (max_bytes +
 * max_messages index entries); append never allocates.
 * Returns 0, FIXGW_EINVAL (NULL out, max_messages > 0 with max_bytes 0),
 * FIXGW_ENOMEM. Free with fixgw_store_destroy(). */
int fixgw_mem_store_create(const fixgw_mem_store_config_t *cfg,
                           fixgw_store_t *out);

/* out->ops->destroy(out->self), then *out zeroed; safe on a zeroed store. */
void fixgw_store_destroy(fixgw_store_t *st);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_STORE_H */
