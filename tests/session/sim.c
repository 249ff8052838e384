/*
 * The deterministic simulator (in the spirit of FoundationDB's and
 * TigerBeetle's): one seeded PRNG drives everything below, so a seed is a
 * complete, replayable run.
 *
 * The world
 *   - A fake clock: simulated ns since the start. Each side has its own
 *     monotonic base and its own UTC offset (clock skew): the acceptor's
 *     UTC differs from the initiator's by up to 3 s, well under MaxLatency.
 *   - A connection: two one-way pipes with a random bound on bytes in
 *     flight (256 B .. 16 KiB), random per-write delays (order kept, as
 *     TCP does), partial writes (any split of what the session has
 *     pending) and partial reads (any split of what arrived), through the
 *     zero-copy recv_buf/recv_commit or the copying feed, chosen per read.
 *   - Two applications. The initiator's submits NewOrderSingle (35=D) at
 *     random times and in bursts, each with a unique ClOrdID "C<k>" (k the
 *     initiator's counter); the acceptor's answers each new one with an
 *     ExecutionReport (35=8) with ExecID "E<k>" (its own counter) and the
 *     ClOrdID it answers, sometimes from inside the callback, else later.
 *     A message refused while not logged on or under back-pressure
 *     (FIXGW_ESTATE, FIXGW_EAGAIN) is retried later; it counts as
 *     submitted only when send_commit returned 0.
 *
 * The faults (fault phase only; each logged as an event)
 *   - net break: the connection is cut at any byte, both ways: what is in
 *     flight is cut to a random prefix (mid-message), the rest and every
 *     later write are lost; each side sees the prefix then EOF, or an I/O
 *     error at once. The peers must recover the lost messages by
 *     ResendRequest at the next logon.
 *   - restart: one side's process dies (session destroyed, no
 *     disconnected() call) and comes back after a random delay as a new
 *     session on the same store (the memory store plays the durable one).
 *     What it had written may or may not reach the peer (random prefix),
 *     so the peer may be behind it (it asks for a resend) or its output
 *     was never delivered at all.
 *   - lowered target: while disconnected, a side's operator moves its next
 *     target number back (fixgw_session_set_next_target_seq), so at the
 *     next logon it asks again for messages it already processed; they
 *     come back with PossDupFlag=Y (application ones) or as gap fills.
 *   - logout: either application asks for a logout at a random moment.
 *   - garble: one CheckSum digit of a message in flight is changed, so the
 *     receiver drops it without a sequence increment and the next message
 *     is too high: a ResendRequest on a live session, answered while new
 *     traffic keeps coming (resends and gap fills at awkward moments).
 *   - stall: one direction stops delivering for up to 3 x HeartBtInt
 *     (TestRequest, heartbeat timeouts, disconnects on timeout).
 *   - slow reader: one side stops reading for a while (back-pressure all
 *     the way to the peer's application, FIXGW_EAGAIN).
 *   - clock jump (SIM_SKEW_BEYOND only): the acceptor's UTC moves beyond
 *     MaxLatency, at the start or in the middle of the run.
 *
 * The invariants (cheap ones after every step, the rest at the end)
 *   every step: no session FATAL, no fatal return code; the memory of a
 *   session (fixgw_session_memory) never changes; the gap queue, receive
 *   and transmit buffers stay within their bounds; no allocation at all
 *   while no session is created (tests/common/alloc_count.h, where it is
 *   linked); next sender numbers never go down, next target numbers only
 *   by the lowered-target fault; a receiver never expects more than its
 *   peer has used (ini target <= acc sender and the other way round); an
 *   application message arrives in order: the next one, or an earlier one
 *   only with PossDupFlag=Y; an ExecutionReport answers the order of its
 *   own number; no Reject or BusinessMessageReject in the normal variant.
 *   end (normal): after a quiet period (no faults, reconnect at once,
 *   bounded at 600 simulated s) both sessions are ACTIVE, nothing in
 *   flight, every submitted message delivered exactly once (counters
 *   equal), every order answered, and ini next sender == acc next target
 *   and the other way round; then, for half of the seeds, a final logout
 *   from either side leaves both DISCONNECTED by Logout with the numbers
 *   still agreeing.
 *   end (skew beyond): no session ends ACTIVE, no logon completes on a
 *   connection opened after the jump, a SendingTime accuracy problem
 *   (reason 10) was reported, and order still holds.
 *   always: the run ends within its bound of steps and simulated time.
 *
 * The file-store variant (sim_options_t.store = SIM_STORE_FILE,
 * FIXGW_SIM_STORE=file)
 *   Each side's store is a file store (fixgw_file_store_open) in a per-seed
 *   temporary directory, removed after the run. A second PRNG, seeded from
 *   the seed, picks the store's settings, so the main stream draws exactly
 *   what it draws with the memory store: policy OS or GROUP (EVERY for one
 *   seed in 20, with fewer orders and a shorter fault phase, since every
 *   record is an fdatasync), GROUP's count and time bounds, the fallocate
 *   step and the mapped window (small, so the window moves and the file
 *   grows often). Under GROUP the simulation calls fixgw_file_store_poll
 *   with the side's fake monotonic clock when the store's deadline comes.
 *   A restart destroys the session AND the store (fixgw_store_destroy,
 *   which closes the files), and the process comes back by reopening the
 *   store from the same files, then creating the session on it: recovery
 *   from the real files at every restart, and once more at the end.
 *   Invariants added: after each reopen the store's numbers are those the
 *   side had before (kill -9 semantics: every call that returned
 *   survives; a destroy is a clean close, so nothing is cut off at open),
 *   and the reopened log holds the same messages, byte for byte (a hash of
 *   every (seq, bytes) through the store's iterator), in the same number
 *   of records; every step: under GROUP with a time bound, no pending
 *   record waits past its poll deadline; the durable seq never passes the
 *   last number used. Opening and closing a store allocates, so the
 *   per-step allocation check allows it in a restart step as it allows a
 *   session create.
 */
#define _POSIX_C_SOURCE 200809L
#include "sim.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixgw/session.h"
#include "fixgw/store.h"
#include "fixgw/store_file.h"
#include "../../src/session/session_internal.h"
#include "../common/alloc_count.h"

#define SEC 1000000000ull
#define MS 1000000ull
#define US 1000ull
#define START_UTC 1796299200000000000ll /* 2026-12-03 12:00:00 UTC */
#define PIPE_MAX 16384u
#define NEVER UINT64_MAX
#define EVENTS 160
#define MAX_STEPS 3000000ull
#define QUIET_NS (600 * SEC)
#define MAX_ORDERS 900u
#define EVERY_ORDERS 40u          /* file store, EVERY policy: orders of a seed */
#define EVERY_FAULT_NS (40 * SEC) /* ... and the longest fault phase */
#define FILE_MAX_MESSAGES 16384u  /* file store index capacity */

/* ------------------------------------------------------------- PRNG */

typedef struct rng {
  uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void rng_seed(rng_t *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** */
static uint64_t rng_next(rng_t *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

/* Uniform in [lo, hi]. */
static uint64_t rr(rng_t *r, uint64_t lo, uint64_t hi) {
  if (hi <= lo) return lo;
  return lo + rng_next(r) % (hi - lo + 1);
}

/* true with probability num/den */
static bool chance(rng_t *r, uint64_t num, uint64_t den) { return rng_next(r) % den < num; }

/* Any split of n (n > 0): often all of it, else a uniform part. */
static size_t split(rng_t *r, size_t n) {
  if (n <= 1 || chance(r, 1, 2)) return n;
  return (size_t)rr(r, 1, n);
}

/* ------------------------------------------------------------- world */

typedef struct seg {
  uint64_t t;   /* sim ns the bytes up to end arrive */
  uint32_t end; /* offset in buf one past the segment */
} seg_t;

/* One direction of the connection. */
typedef struct pipe {
  char buf[PIPE_MAX];
  uint32_t len, cap; /* bytes in flight, and the bound on them */
  seg_t seg[PIPE_MAX];
  uint32_t nseg;
  bool dead; /* writes are accepted and lost (the path is cut, or the reader gone) */
  bool eof;  /* once drained, the reader sees end of stream */
  uint64_t stall_until;
} pipe_t;

struct world;

typedef struct side {
  struct world *w;
  int idx;
  const char *name;
  bool initiator;
  fixgw_session_t *s; /* NULL while its process is down */
  fixgw_store_t store;
  fixgw_session_config_t cfg;
  fixgw_session_callbacks_t cb;
  uint64_t mono_base;
  int64_t utc_off;
  bool conn;      /* connected() called, disconnected() not yet */
  bool eof_given; /* recv_eof called on this connection */
  pipe_t *in, *out;
  uint64_t up_at; /* down: process back at */
  size_t mem;     /* fixgw_session_memory at create */
  uint64_t seen_ns, seen_nt; /* last next sender / target numbers seen */
  /* application */
  uint64_t committed; /* messages with send_commit 0: their counter k */
  uint64_t backlog;   /* generated (or owed), not yet committed */
  uint64_t generated;
  uint64_t next_gen;  /* sim ns of the next order (initiator) */
  uint64_t retry_at, retry_ns;
  uint64_t expect;    /* the next counter expected from the peer */
  uint64_t dups, possdup_new;
  uint64_t logons, logons_after_jump;
  uint64_t busy_until;
  uint64_t rej10_logged, rejects;
  uint64_t resent_total; /* stats.resent of destroyed instances */
  fixgw_disconnect_reason last_logout;
  int in_app; /* inside our on_app */
  /* file store */
  fixgw_file_store_config_t fcfg;
  char key[32];
  bool store_open;
  uint64_t st_records, st_messages, st_hash; /* at the last close */
  uint64_t durable_seen;
  uint64_t syncs_total; /* stats.syncs of closed instances */
} side_t;

typedef struct world {
  rng_t r;
  uint64_t seed;
  uint64_t t;
  side_t side[2]; /* 0 initiator, 1 acceptor */
  pipe_t pipe[2]; /* 0: ini -> acc, 1: acc -> ini */
  fixgw_version version;
  sim_variant variant;
  uint64_t base_delay, jitter;
  /* phases */
  uint64_t fault_end;   /* faults and new orders until then */
  bool quiet;           /* after fault_end */
  uint64_t quiet_start;
  bool final_logout;    /* end with a logout instead of ACTIVE */
  int final_phase;      /* 0 not yet, 1 logout asked, 2 done */
  uint64_t final_deadline;
  bool conn_live;       /* a connection (pipes) is in use */
  uint64_t reconnect_at;
  uint64_t next_fault;
  uint64_t jump_at;     /* SKEW_BEYOND: when the acceptor's UTC jumps */
  bool jumped;
  uint64_t conn_serial, jump_conn; /* connection count, and at the jump */
  uint64_t order_rate_ns;
  uint32_t max_orders;
  /* file store */
  sim_store store;
  rng_t fr;        /* the file store's own choices */
  fixgw_file_sync fsync;
  char dir[512];   /* the per-seed directory, "" if none */
  uint64_t reopens;
  /* bookkeeping */
  uint64_t steps;
  uint64_t faults;
  bool creating; /* a session is being created or destroyed: allocations expected */
  bool lifecycle; /* a session was created or destroyed in this step */
  bool failed;
  char why[320];
  bool verbose;
  FILE *out;
  char ev[EVENTS][200];
  uint64_t nev;
} world_t;

static fixgw_now_t now_of(const side_t *x) {
  fixgw_now_t n;
  n.mono_ns = x->mono_base + x->w->t;
  n.utc_ns = START_UTC + (int64_t)x->w->t + x->utc_off;
  return n;
}

static void event(world_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void event(world_t *w, const char *fmt, ...) {
  char *line = w->ev[w->nev % EVENTS];
  int n = snprintf(line, sizeof w->ev[0], "%9.3f ", (double)w->t / 1e9);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof w->ev[0] - (size_t)n, fmt, ap);
  va_end(ap);
  w->nev++;
  if (w->verbose) fprintf(w->out, "  %s\n", line);
}

static void fail(world_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(world_t *w, const char *fmt, ...) {
  if (w->failed) return;
  w->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->why, sizeof w->why, fmt, ap);
  va_end(ap);
  event(w, "VIOLATION: %s", w->why);
}

/* A return code from the session: fatal codes fail the run. */
static void check_rc(side_t *x, const char *what, int rc) {
  if (rc < 0 && fixgw_err_is_fatal(rc))
    fail(x->w, "%s: %s returned %s", x->name, what, fixgw_err_name(rc));
}

/* ------------------------------------------------------------- pipes */

static void pipe_reset(world_t *w, pipe_t *p) {
  p->len = 0;
  p->nseg = 0;
  p->dead = p->eof = false;
  p->stall_until = 0;
  p->cap = (uint32_t)rr(&w->r, 256, PIPE_MAX);
}

static uint32_t pipe_readable(const pipe_t *p, uint64_t t) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < p->nseg && p->seg[i].t <= t; i++) n = p->seg[i].end;
  return n;
}

static void pipe_consume(pipe_t *p, uint32_t n) {
  if (!n) return;
  memmove(p->buf, p->buf + n, p->len - n);
  p->len -= n;
  uint32_t k = 0;
  while (k < p->nseg && p->seg[k].end <= n) k++;
  memmove(p->seg, p->seg + k, (p->nseg - k) * sizeof p->seg[0]);
  p->nseg -= k;
  for (uint32_t i = 0; i < p->nseg; i++) p->seg[i].end -= n;
}

/* Keep only the first keep bytes in flight (a cut at any byte). */
static void pipe_truncate(pipe_t *p, uint32_t keep) {
  if (keep >= p->len) return;
  p->len = keep;
  uint32_t k = 0;
  while (k < p->nseg && p->seg[k].end < keep) k++;
  if (k < p->nseg) {
    p->seg[k].end = keep;
    k++;
  }
  p->nseg = keep ? k : 0;
}

static void pipe_write(world_t *w, pipe_t *p, const char *src, uint32_t n) {
  uint64_t at = w->t + w->base_delay + rr(&w->r, 0, w->jitter);
  if (at < p->stall_until) at = p->stall_until;
  if (p->nseg && p->seg[p->nseg - 1].t > at) at = p->seg[p->nseg - 1].t; /* in order */
  memcpy(p->buf + p->len, src, n);
  p->len += n;
  if (p->nseg && p->seg[p->nseg - 1].t == at) p->seg[p->nseg - 1].end = p->len;
  else p->seg[p->nseg++] = (seg_t){at, p->len};
}

/* ------------------------------------------------------------- application */

static bool field_num(const fixgw_msg_t *m, uint32_t tag, char prefix, uint64_t *k) {
  const fixgw_field_t *f = fixgw_msg_find(m, tag);
  if (!f || f->len < 2 || f->val[0] != prefix) return false;
  uint64_t v = 0;
  for (uint32_t i = 1; i < f->len; i++) {
    if (f->val[i] < '0' || f->val[i] > '9') return false;
    v = v * 10 + (uint64_t)(f->val[i] - '0');
  }
  *k = v;
  return true;
}

/* Encode the body of the next message of x (counter k). */
static void encode_body(side_t *x, fixgw_encoder_t *e, uint64_t k, fixgw_now_t now) {
  char id[32];
  if (x->initiator) {
    snprintf(id, sizeof id, "C%llu", (unsigned long long)k);
    fixgw_enc_cstr(e, 11, id);
    fixgw_enc_decimal(e, 38, (fixgw_decimal_t){100 + (int64_t)(k % 900), 0});
    fixgw_enc_char(e, 40, '1');
    fixgw_enc_char(e, 54, k % 2 ? '1' : '2');
    fixgw_enc_cstr(e, 55, "MSFT");
    fixgw_enc_timestamp(e, 60, now.utc_ns, FIXGW_TS_MILLIS);
    if (x->w->version <= FIXGW_V_FIX42) fixgw_enc_char(e, 21, '1');
  } else {
    fixgw_enc_decimal(e, 6, (fixgw_decimal_t){0, 0});
    snprintf(id, sizeof id, "C%llu", (unsigned long long)k);
    fixgw_enc_cstr(e, 11, id);
    fixgw_enc_decimal(e, 14, (fixgw_decimal_t){0, 0});
    snprintf(id, sizeof id, "E%llu", (unsigned long long)k);
    fixgw_enc_cstr(e, 17, id);
    if (x->w->version <= FIXGW_V_FIX42) fixgw_enc_char(e, 20, '0');
    snprintf(id, sizeof id, "O%llu", (unsigned long long)k);
    fixgw_enc_cstr(e, 37, id);
    fixgw_enc_char(e, 39, '0');
    fixgw_enc_char(e, 54, k % 2 ? '1' : '2');
    fixgw_enc_cstr(e, 55, "MSFT");
    fixgw_enc_char(e, 150, '0');
    fixgw_enc_decimal(e, 151, (fixgw_decimal_t){100 + (int64_t)(k % 900), 0});
  }
}

/* Try to submit x's next message. 1 committed, 0 refused for now (retry
 * later), -1 a violation. */
static int submit_one(side_t *x) {
  world_t *w = x->w;
  fixgw_now_t now = now_of(x);
  uint64_t k = x->committed + 1;
  const char *type = x->initiator ? "D" : "8";
  uint64_t want_seq = fixgw_session_next_sender_seq(x->s);
  uint64_t seq = 0;
  int rc;
  if (chance(&w->r, 1, 4)) {
    /* the host encoded the body elsewhere */
    char body[512];
    fixgw_encoder_t e;
    memset(&e, 0, sizeof e);
    e.buf = body;
    e.cap = sizeof body;
    encode_body(x, &e, k, now);
    if (e.err) {
      fail(w, "%s: encoding a body failed: %s", x->name, fixgw_err_name(e.err));
      return -1;
    }
    rc = fixgw_session_send_body(x->s, type, body, e.pos, NULL, now, &seq);
  } else {
    fixgw_encoder_t *e;
    rc = fixgw_session_send_begin(x->s, type, NULL, now, &e);
    if (rc == 0) {
      encode_body(x, e, k, now);
      if (chance(&w->r, 1, 50)) { /* changes its mind: no number used */
        fixgw_session_send_abort(x->s);
        if (fixgw_session_next_sender_seq(x->s) != want_seq)
          fail(w, "%s: send_abort used a number", x->name);
        return 0;
      }
      rc = fixgw_session_send_commit(x->s, &seq);
    }
  }
  if (rc == FIXGW_ESTATE || rc == FIXGW_EAGAIN || rc == FIXGW_EBUSY) return 0;
  if (rc == FIXGW_ENOSPC) {
    /* send_begin lends whatever contiguous room is left, so a small body
     * can miss it while output is pending: back-pressure, retried. With
     * nothing pending it would be a real "too big". */
    const char *p;
    size_t len = 0;
    fixgw_session_pending(x->s, &p, &len);
    if (len) return 0;
  }
  if (rc) {
    fail(w, "%s: submitting %s %llu: %s", x->name, type, (unsigned long long)k, fixgw_err_name(rc));
    return -1;
  }
  if (seq != want_seq) {
    fail(w, "%s: committed with seq %llu, next sender was %llu", x->name, (unsigned long long)seq,
         (unsigned long long)want_seq);
    return -1;
  }
  x->committed = k;
  x->backlog--;
  return 1;
}

static void submit_some(side_t *x) {
  if (!x->s || !x->backlog || !fixgw_session_is_logged_on(x->s)) return;
  if (x->w->t < x->retry_at) return;
  int n = (int)rr(&x->w->r, 1, 8);
  for (int i = 0; i < n && x->backlog; i++) {
    int r = submit_one(x);
    if (r < 0) return;
    if (r == 0) {
      x->retry_ns = x->retry_ns ? x->retry_ns * 2 : MS;
      if (x->retry_ns > SEC) x->retry_ns = SEC;
      x->retry_at = x->w->t + rr(&x->w->r, x->retry_ns / 2, x->retry_ns);
      return;
    }
    x->retry_ns = 0;
  }
}

static int on_app(fixgw_session_t *s, const fixgw_msg_t *m, void *u) {
  side_t *x = u;
  world_t *w = x->w;
  (void)s;
  bool possdup = false;
  fixgw_msg_get_bool(m, 43, &possdup);
  uint64_t seq = 0;
  fixgw_msg_get_uint(m, 34, &seq);
  uint64_t k = 0;
  if (x->initiator) {
    uint64_t c = 0;
    if (!(m->msgtype.len == 1 && m->msgtype.ptr[0] == '8') || !field_num(m, 17, 'E', &k) ||
        !field_num(m, 11, 'C', &c)) {
      fail(w, "%s: unexpected application message %.*s (seq %llu)", x->name, (int)m->msgtype.len,
           m->msgtype.ptr, (unsigned long long)seq);
      return FIXGW_CB_OK;
    }
    if (c != k && w->variant == SIM_NORMAL) fail(w, "%s: ExecutionReport E%llu answers C%llu", x->name, (unsigned long long)k,
                     (unsigned long long)c);
  } else {
    if (!(m->msgtype.len == 1 && m->msgtype.ptr[0] == 'D') || !field_num(m, 11, 'C', &k)) {
      fail(w, "%s: unexpected application message %.*s (seq %llu)", x->name, (int)m->msgtype.len,
           m->msgtype.ptr, (unsigned long long)seq);
      return FIXGW_CB_OK;
    }
  }
  const side_t *peer = &w->side[!x->idx];
  if (k > peer->committed)
    fail(w, "%s: received counter %llu, the peer committed only %llu", x->name,
         (unsigned long long)k, (unsigned long long)peer->committed);
  if (k == x->expect) {
    x->expect++;
    if (possdup) x->possdup_new++;
    if (!x->initiator) {
      x->backlog++; /* an ExecutionReport is owed */
      if (chance(&w->r, 1, 2) && fixgw_session_is_logged_on(x->s)) {
        x->in_app++;
        submit_one(x); /* answered from inside the callback */
        x->in_app--;
      }
    }
  } else if (k < x->expect) {
    if (!possdup)
      fail(w, "%s: counter %llu again (seq %llu) without PossDupFlag, expecting %llu", x->name,
           (unsigned long long)k, (unsigned long long)seq, (unsigned long long)x->expect);
    x->dups++;
  } else if (w->variant == SIM_SKEW_BEYOND && w->jumped) {
    /* Rejected for SendingTime (reason 10), a message uses its number and
     * is gone: FIX's answer, the Reject, tells its sender. */
    x->expect = k + 1;
    if (!x->initiator) x->backlog++;
  } else {
    const fixgw_field_t *st = fixgw_msg_find(m, 52);
    fail(w, "%s: out of order: counter %llu (seq %llu, possdup %d, 52=%.*s), expecting %llu",
         x->name, (unsigned long long)k, (unsigned long long)seq, possdup, st ? (int)st->len : 0,
         st ? st->val : "", (unsigned long long)x->expect);
  }
  return FIXGW_CB_OK;
}

/* ------------------------------------------------------------- callbacks */

static void on_log(fixgw_session_t *s, fixgw_log_level lv, const char *line, void *u) {
  side_t *x = u;
  (void)s;
  if (strstr(line, "SendingTime accuracy problem")) x->rej10_logged++;
  if (lv >= FIXGW_LOG_INFO || x->w->verbose) event(x->w, "%s: %s", x->name, line);
}

static void on_state(fixgw_session_t *s, fixgw_session_state from, fixgw_session_state to,
                     void *u) {
  side_t *x = u;
  (void)s;
  event(x->w, "%s: state %s -> %s (next %llu/%llu)", x->name, fixgw_session_state_name(from),
        fixgw_session_state_name(to), (unsigned long long)fixgw_session_next_sender_seq(s),
        (unsigned long long)fixgw_session_next_target_seq(s));
  if (to == FIXGW_SS_FATAL) fail(x->w, "%s: session went FATAL", x->name);
}

static void on_logon(fixgw_session_t *s, void *u) {
  side_t *x = u;
  (void)s;
  x->logons++;
  if (x->w->jumped && x->w->conn_serial > x->w->jump_conn) x->logons_after_jump++;
}

static void on_logout(fixgw_session_t *s, fixgw_disconnect_reason why, void *u) {
  side_t *x = u;
  (void)s;
  x->last_logout = why;
  event(x->w, "%s: logged out (%s)", x->name, fixgw_disconnect_reason_name(why));
}

static void on_reject(fixgw_session_t *s, const fixgw_reject_event_t *r, void *u) {
  side_t *x = u;
  world_t *w = x->w;
  (void)s;
  x->rejects++;
  if (r->sent && r->reason == 10) x->rej10_logged++;
  event(w, "%s: reject %s%s ref %llu reason %d tag %u: %.*s", x->name, r->sent ? "sent" : "received",
        r->business ? " (j)" : "", (unsigned long long)r->ref_seq, r->reason, r->ref_tag,
        (int)r->text.len, r->text.ptr ? r->text.ptr : "");
  if (w->variant == SIM_NORMAL)
    fail(w, "%s: a reject was %s (ref %llu, reason %d, %.*s)", x->name,
         r->sent ? "sent" : "received", (unsigned long long)r->ref_seq, r->reason,
         (int)r->text.len, r->text.ptr ? r->text.ptr : "");
}

/* ------------------------------------------------------------- file store */

/* FNV-1a over every stored (seq, bytes) and the count, through the store's
 * iterator (bounded memory, no allocation). */
static int store_digest(side_t *x, uint64_t *hash, uint64_t *count) {
  fixgw_store_t *st = &x->store;
  uint64_t h = 0xcbf29ce484222325ull, n = 0;
  int rc = st->ops->iter_open(st->self, 1, UINT64_MAX);
  if (rc) return rc;
  for (;;) {
    uint64_t seq;
    const char *msg;
    size_t len;
    rc = st->ops->iter_next(st->self, &seq, &msg, &len);
    if (rc == FIXGW_ENOTFOUND) break;
    if (rc) {
      st->ops->iter_close(st->self);
      return rc;
    }
    for (int i = 0; i < 8; i++) h = (h ^ ((seq >> (8 * i)) & 0xff)) * 0x100000001b3ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)msg[i]) * 0x100000001b3ull;
    h = (h ^ 0xff) * 0x100000001b3ull;
    n++;
  }
  st->ops->iter_close(st->self);
  *hash = h;
  *count = n;
  return 0;
}

static const char *sync_name(fixgw_file_sync p) {
  return p == FIXGW_FILE_SYNC_EVERY ? "EVERY" : p == FIXGW_FILE_SYNC_GROUP ? "GROUP" : "OS";
}

/* Open x's file store (a new one at setup, the same files after). */
static void store_open(side_t *x, bool again) {
  world_t *w = x->w;
  fixgw_file_store_error_t err;
  w->lifecycle = true;
  int rc = fixgw_file_store_open(&x->fcfg, &x->store, &err);
  if (rc) {
    fail(w, "%s: file store %s: %s (%s)", x->name, again ? "reopen" : "open", fixgw_err_name(rc),
         err.text);
    return;
  }
  x->store_open = true;
  x->cfg.store = x->store;
  if (!again) return;
  w->reopens++;
  uint64_t ns = 0, nt = 0;
  rc = x->store.ops->get_seqnums(x->store.self, &ns, &nt);
  if (rc) {
    fail(w, "%s: reopened store: get_seqnums: %s", x->name, fixgw_err_name(rc));
    return;
  }
  if (ns != x->seen_ns || nt != x->seen_nt)
    fail(w, "%s: the reopened file store has next %llu/%llu, the side had %llu/%llu", x->name,
         (unsigned long long)ns, (unsigned long long)nt, (unsigned long long)x->seen_ns,
         (unsigned long long)x->seen_nt);
  fixgw_file_store_stats_t fs;
  if (fixgw_file_store_stats(&x->store, &fs) == 0) {
    if (fs.truncated)
      fail(w, "%s: reopen after a clean close cut %llu bytes", x->name,
           (unsigned long long)fs.truncated);
    if (fs.records != x->st_records || fs.messages != x->st_messages)
      fail(w, "%s: reopened store has %llu records / %llu messages, it had %llu / %llu", x->name,
           (unsigned long long)fs.records, (unsigned long long)fs.messages,
           (unsigned long long)x->st_records, (unsigned long long)x->st_messages);
  }
  uint64_t h = 0, n = 0;
  rc = store_digest(x, &h, &n);
  if (rc) fail(w, "%s: reading the reopened store: %s", x->name, fixgw_err_name(rc));
  else if (h != x->st_hash || n != x->st_messages)
    fail(w, "%s: the reopened store's %llu messages differ from the %llu it held", x->name,
         (unsigned long long)n, (unsigned long long)x->st_messages);
  event(w, "%s: file store reopened: next %llu/%llu, %llu records, %llu messages", x->name,
        (unsigned long long)ns, (unsigned long long)nt, (unsigned long long)x->st_records,
        (unsigned long long)x->st_messages);
}

/* The process dies: its store is closed (its files stay). */
static void store_close(side_t *x) {
  world_t *w = x->w;
  if (!x->store_open) return;
  fixgw_file_store_stats_t fs;
  memset(&fs, 0, sizeof fs);
  fixgw_file_store_stats(&x->store, &fs);
  x->st_records = fs.records;
  x->syncs_total += fs.syncs;
  uint64_t h = 0, n = 0;
  int rc = store_digest(x, &h, &n);
  if (rc) fail(w, "%s: reading the store before its close: %s", x->name, fixgw_err_name(rc));
  if (n != fs.messages)
    fail(w, "%s: the store iterates %llu messages, its index holds %llu", x->name,
         (unsigned long long)n, (unsigned long long)fs.messages);
  x->st_hash = h;
  x->st_messages = n;
  w->lifecycle = true;
  fixgw_store_destroy(&x->store);
  x->store_open = false;
  x->durable_seen = 0;
}

/* GROUP's time bound, on the side's fake monotonic clock. */
static void store_poll(side_t *x) {
  if (!x->store_open || x->w->fsync != FIXGW_FILE_SYNC_GROUP) return;
  int rc = fixgw_file_store_poll(&x->store, now_of(x).mono_ns);
  if (rc < 0) fail(x->w, "%s: file store poll: %s", x->name, fixgw_err_name(rc));
}

static void store_check(side_t *x) {
  world_t *w = x->w;
  if (!x->store_open) return;
  uint64_t dl = fixgw_file_store_next_deadline(&x->store);
  if (dl != NEVER && dl != 0 && dl < now_of(x).mono_ns)
    fail(w, "%s: file store sync deadline %llu ns overdue", x->name,
         (unsigned long long)(now_of(x).mono_ns - dl));
  uint64_t d = fixgw_file_store_durable_seq(&x->store);
  if (d && x->s && d >= fixgw_session_next_sender_seq(x->s))
    fail(w, "%s: durable seq %llu, next sender only %llu", x->name, (unsigned long long)d,
         (unsigned long long)fixgw_session_next_sender_seq(x->s));
  x->durable_seen = d;
}

static void remove_dir(world_t *w) {
  if (!w->dir[0]) return;
  DIR *d = opendir(w->dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
  }
  if (rmdir(w->dir) != 0) fprintf(w->out, "sim: could not remove %s\n", w->dir);
  w->dir[0] = 0;
}

/* The file stores' settings (from w->fr only) and the first open. */
static void file_setup(world_t *w, const char *parent) {
  if (!parent || !*parent) parent = getenv("TMPDIR");
  if (!parent || !*parent) parent = "/tmp";
  snprintf(w->dir, sizeof w->dir, "%s/fixgw-sim-%llu-XXXXXX", parent, (unsigned long long)w->seed);
  if (!mkdtemp(w->dir)) {
    fail(w, "mkdtemp %s failed", w->dir);
    w->dir[0] = 0;
    return;
  }
  rng_t *r = &w->fr;
  uint64_t p = rr(r, 0, 19);
  w->fsync = p == 0 ? FIXGW_FILE_SYNC_EVERY : p <= 10 ? FIXGW_FILE_SYNC_GROUP : FIXGW_FILE_SYNC_OS;
  /* Not too many fdatasync calls: each is real disk I/O. */
  uint32_t every = chance(r, 1, 4) ? 0 : (uint32_t)rr(r, 32, 2048);
  uint64_t interval = chance(r, 1, 5) ? 0 : rr(r, 1 * MS, 100 * MS);
  size_t grow = (size_t)rr(r, 1, 256) * 4096;
  size_t window = chance(r, 1, 2) ? 0 : (size_t)rr(r, 1, 128) * 4096; /* 0: the store's minimum */
  if (w->fsync == FIXGW_FILE_SYNC_EVERY) {
    w->max_orders = EVERY_ORDERS;
    if (w->fault_end > EVERY_FAULT_NS) w->fault_end = EVERY_FAULT_NS;
    if (w->jump_at > w->fault_end) w->jump_at = rr(r, 0, w->fault_end);
  }
  for (int i = 0; i < 2; i++) {
    side_t *x = &w->side[i];
    fixgw_file_store_config_t *c = &x->fcfg;
    fixgw_file_store_config_default(c);
    snprintf(x->key, sizeof x->key, "%s", x->initiator ? "CLIENT-SERVER" : "SERVER-CLIENT");
    c->directory = w->dir;
    c->key = x->key;
    c->sync = w->fsync;
    c->sync_every = every;
    c->sync_interval_ns = interval;
    c->max_message_size = x->cfg.tx_buffer_size; /* no outbound message is longer */
    c->max_messages = FILE_MAX_MESSAGES;
    c->grow_bytes = grow;
    c->window_bytes = window ? window : 1;
    c->now_utc_ns = START_UTC;
  }
  event(w, "file store in %s: %s, sync every %u / %.3f ms, grow %zu, window %zu", w->dir,
        sync_name(w->fsync), every, (double)interval / 1e6, grow, window);
  for (int i = 0; i < 2 && !w->failed; i++) store_open(&w->side[i], false);
}

/* ------------------------------------------------------------- processes */

static void side_create(side_t *x) {
  world_t *w = x->w;
  if (w->store == SIM_STORE_FILE && !x->store_open) {
    store_open(x, true);
    if (!x->store_open) {
      x->s = NULL;
      return;
    }
  }
  w->creating = w->lifecycle = true;
  int rc = fixgw_session_create(&x->cfg, &x->cb, x, &x->s);
  if (rc == 0) {
    if (chance(&w->r, 1, 2)) rc = fixgw_session_on(x->s, x->initiator ? "8" : "D", on_app);
  }
  w->creating = false;
  if (rc) {
    fail(w, "%s: session create: %s", x->name, fixgw_err_name(rc));
    x->s = NULL;
    return;
  }
  x->mem = fixgw_session_memory(x->s);
  x->conn = false;
  uint64_t ns = fixgw_session_next_sender_seq(x->s), nt = fixgw_session_next_target_seq(x->s);
  if (ns != x->seen_ns || nt != x->seen_nt)
    fail(w, "%s: the store gave %llu/%llu after a restart, it had %llu/%llu", x->name,
         (unsigned long long)ns, (unsigned long long)nt, (unsigned long long)x->seen_ns,
         (unsigned long long)x->seen_nt);
}

static void side_destroy(side_t *x) {
  if (!x->s) return;
  x->resent_total += fixgw_session_stats(x->s)->resent;
  x->w->creating = x->w->lifecycle = true;
  int rc = fixgw_session_destroy(x->s);
  x->w->creating = false;
  check_rc(x, "destroy", rc);
  x->s = NULL;
  x->conn = false;
}

/* The host closes x's socket: the peer gets what was written, then EOF;
 * whatever the peer still writes is lost. */
static void close_side(side_t *x, fixgw_disconnect_reason why) {
  if (!x->conn) return;
  event(x->w, "%s: host closes the socket (%s)", x->name, fixgw_disconnect_reason_name(why));
  int rc = fixgw_session_disconnected(x->s, why, now_of(x));
  check_rc(x, "disconnected", rc);
  x->conn = false;
  x->in->dead = true;
  x->in->len = 0;
  x->in->nseg = 0;
  x->out->eof = true;
  if (fixgw_session_state_get(x->s) != FIXGW_SS_DISCONNECTED)
    fail(x->w, "%s: state %s after disconnected()", x->name,
         fixgw_session_state_name(fixgw_session_state_get(x->s)));
}

static void connect_both(world_t *w) {
  side_t *ini = &w->side[0], *acc = &w->side[1];
  pipe_reset(w, &w->pipe[0]);
  pipe_reset(w, &w->pipe[1]);
  w->conn_live = true;
  w->conn_serial++;
  ini->eof_given = acc->eof_given = false;
  event(w, "connect #%llu (in flight at most %u / %u bytes)", (unsigned long long)w->conn_serial,
        w->pipe[0].cap, w->pipe[1].cap);
  int rc = fixgw_session_connected(acc->s, now_of(acc));
  if (rc) fail(w, "acc: connected: %s", fixgw_err_name(rc));
  acc->conn = true;
  rc = fixgw_session_connected(ini->s, now_of(ini));
  if (rc) fail(w, "ini: connected: %s", fixgw_err_name(rc));
  ini->conn = true;
}

/* ------------------------------------------------------------- faults */

static void fault_break(world_t *w) {
  if (!w->conn_live) return;
  w->faults++;
  for (int d = 0; d < 2; d++) {
    pipe_t *p = &w->pipe[d];
    uint32_t keep = p->len ? (uint32_t)rr(&w->r, 0, p->len) : 0;
    event(w, "FAULT net break: %s -> %s keeps %u of %u bytes in flight", w->side[d].name,
          w->side[!d].name, keep, p->len);
    pipe_truncate(p, keep);
    p->dead = true;
    p->eof = true;
  }
  for (int i = 0; i < 2; i++)
    if (w->side[i].conn && chance(&w->r, 1, 3)) close_side(&w->side[i], FIXGW_DR_IO_ERROR);
}

static void fault_restart(world_t *w, side_t *x) {
  if (!x->s) return;
  w->faults++;
  uint32_t keep = x->out->len ? (uint32_t)rr(&w->r, 0, x->out->len) : 0;
  event(w, "FAULT restart %s (its %u bytes in flight: %u delivered)", x->name, x->out->len, keep);
  if (x->conn) {
    pipe_truncate(x->out, keep);
    x->out->eof = true;
    x->in->dead = true;
    x->in->len = 0;
    x->in->nseg = 0;
  }
  x->seen_ns = fixgw_session_next_sender_seq(x->s);
  x->seen_nt = fixgw_session_next_target_seq(x->s);
  side_destroy(x);
  if (w->store == SIM_STORE_FILE) store_close(x);
  x->up_at = w->t + rr(&w->r, 0, 5 * SEC);
}

static void fault_lower_target(world_t *w, side_t *x) {
  if (!x->s || x->conn) return;
  uint64_t nt = fixgw_session_next_target_seq(x->s);
  if (nt < 2) return;
  uint64_t by = rr(&w->r, 1, nt - 1 < 40 ? nt - 1 : 40);
  w->faults++;
  event(w, "FAULT %s: next target %llu -> %llu", x->name, (unsigned long long)nt,
        (unsigned long long)(nt - by));
  int rc = fixgw_session_set_next_target_seq(x->s, nt - by);
  if (rc) fail(w, "%s: set_next_target_seq: %s", x->name, fixgw_err_name(rc));
  x->seen_nt = nt - by;
}

static void fault_garble(world_t *w) {
  if (!w->conn_live) return;
  int d = (int)rr(&w->r, 0, 1);
  pipe_t *p = &w->pipe[d];
  if (p->dead || p->len < 8) return;
  uint32_t from = (uint32_t)rr(&w->r, 0, p->len - 1);
  for (uint32_t i = from; i + 7 < p->len; i++) {
    if (p->buf[i] == '\001' && p->buf[i + 1] == '1' && p->buf[i + 2] == '0' && p->buf[i + 3] == '=' &&
        p->buf[i + 7] == '\001') {
      char *c = &p->buf[i + 4 + rr(&w->r, 0, 2)];
      *c = (char)('0' + (*c - '0' + 1 + (int)rr(&w->r, 0, 8)) % 10);
      w->faults++;
      event(w, "FAULT garble: a CheckSum %s -> %s at byte %u", w->side[d].name, w->side[!d].name, i);
      return;
    }
  }
}

static void fault_stall(world_t *w) {
  if (!w->conn_live) return;
  int d = (int)rr(&w->r, 0, 1);
  pipe_t *p = &w->pipe[d];
  uint64_t hb = (uint64_t)w->side[0].cfg.heartbeat_interval_s * SEC;
  p->stall_until = w->t + rr(&w->r, 100 * MS, 3 * hb);
  for (uint32_t i = 0; i < p->nseg; i++)
    if (p->seg[i].t < p->stall_until) p->seg[i].t = p->stall_until;
  w->faults++;
  event(w, "FAULT stall %s -> %s for %.3f s", w->side[d].name, w->side[!d].name,
        (double)(p->stall_until - w->t) / 1e9);
}

static void fault_one(world_t *w) {
  side_t *x = &w->side[rr(&w->r, 0, 1)];
  uint64_t f = rr(&w->r, 0, 99);
  if (f < 18) fault_break(w);
  else if (f < 30) fault_restart(w, x);
  else if (f < 45) {
    if (x->s && fixgw_session_is_logged_on(x->s)) {
      w->faults++;
      event(w, "FAULT %s application logs out", x->name);
      int rc = fixgw_session_logout(x->s, "sim: logout", now_of(x));
      check_rc(x, "logout", rc);
    }
  } else if (f < 65) fault_garble(w);
  else if (f < 80) fault_stall(w);
  else {
    x->busy_until = w->t + rr(&w->r, 10 * MS, 3 * SEC);
    w->faults++;
    event(w, "FAULT %s reads nothing for %.3f s", x->name, (double)(x->busy_until - w->t) / 1e9);
  }
}

/* ------------------------------------------------------------- invariants */

static void check_side(side_t *x) {
  world_t *w = x->w;
  if (!x->s) return;
  const fixgw_session_t *s = x->s;
  if (fixgw_session_state_get(s) == FIXGW_SS_FATAL) fail(w, "%s: FATAL", x->name);
  if (fixgw_session_memory(s) != x->mem)
    fail(w, "%s: memory %zu, was %zu at create", x->name, fixgw_session_memory(s), x->mem);
  if (s->gq_n > s->gq_max || s->gq_used > s->gq_cap)
    fail(w, "%s: gap queue %u msgs / %u bytes over %u / %u", x->name, s->gq_n, s->gq_used, s->gq_max,
         s->gq_cap);
  if (s->rx_len > s->rx_cap || s->tx_head > s->tx_tail || s->tx_tail > s->tx_cap)
    fail(w, "%s: buffers out of bounds (rx %u/%u, tx %u..%u/%u)", x->name, s->rx_len, s->rx_cap,
         s->tx_head, s->tx_tail, s->tx_cap);
  uint64_t ns = fixgw_session_next_sender_seq(s), nt = fixgw_session_next_target_seq(s);
  if (ns < x->seen_ns) fail(w, "%s: next sender went down %llu -> %llu", x->name,
                            (unsigned long long)x->seen_ns, (unsigned long long)ns);
  if (nt < x->seen_nt) fail(w, "%s: next target went down %llu -> %llu", x->name,
                            (unsigned long long)x->seen_nt, (unsigned long long)nt);
  x->seen_ns = ns;
  x->seen_nt = nt;
}

static void check_step(world_t *w) {
  side_t *ini = &w->side[0], *acc = &w->side[1];
  check_side(ini);
  check_side(acc);
  if (w->store == SIM_STORE_FILE) {
    store_check(ini);
    store_check(acc);
  }
  /* a receiver never expects more than the sender used */
  if (ini->seen_nt > acc->seen_ns)
    fail(w, "ini expects %llu but acc only used up to %llu", (unsigned long long)ini->seen_nt,
         (unsigned long long)acc->seen_ns - 1);
  if (acc->seen_nt > ini->seen_ns)
    fail(w, "acc expects %llu but ini only used up to %llu", (unsigned long long)acc->seen_nt,
         (unsigned long long)ini->seen_ns - 1);
  if (w->t > w->fault_end + QUIET_NS + 120 * SEC) fail(w, "simulated time bound exceeded");
  if (w->steps > MAX_STEPS) fail(w, "step bound exceeded");
}

/* ------------------------------------------------------------- one step */

static void side_io(side_t *x) {
  world_t *w = x->w;
  if (!x->s || !x->conn || w->failed) return;
  /* write */
  if (chance(&w->r, 3, 4)) {
    const char *ptr;
    size_t len;
    int rc = fixgw_session_pending(x->s, &ptr, &len);
    check_rc(x, "pending", rc);
    if (rc == 0 && len) {
      pipe_t *p = x->out;
      size_t n = 0;
      if (p->dead) n = split(&w->r, len);
      else if (p->cap > p->len) {
        n = split(&w->r, len < p->cap - p->len ? len : p->cap - p->len);
        pipe_write(w, p, ptr, (uint32_t)n);
      }
      if (n) check_rc(x, "written", fixgw_session_written(x->s, n, now_of(x)));
    }
  }
  if (!x->conn || w->failed) return;
  /* read */
  if (w->t >= x->busy_until && chance(&w->r, 3, 4) && fixgw_session_want_read(x->s)) {
    pipe_t *p = x->in;
    uint32_t avail = pipe_readable(p, w->t);
    if (avail) {
      size_t n = split(&w->r, avail);
      if (chance(&w->r, 1, 2)) {
        char *dst;
        size_t cap;
        int rc = fixgw_session_recv_buf(x->s, &dst, &cap);
        check_rc(x, "recv_buf", rc);
        if (rc == 0 && cap) {
          if (n > cap) n = cap;
          memcpy(dst, p->buf, n);
          pipe_consume(p, (uint32_t)n);
          rc = fixgw_session_recv_commit(x->s, n, now_of(x));
          if (rc && rc != FIXGW_EFLOOD) check_rc(x, "recv_commit", rc ? rc : 0);
          if (rc && !fixgw_err_is_fatal(rc) && rc != FIXGW_EFLOOD)
            fail(w, "%s: recv_commit: %s", x->name, fixgw_err_name(rc));
        }
      } else {
        size_t used = 0;
        int rc = fixgw_session_feed(x->s, p->buf, n, &used, now_of(x));
        pipe_consume(p, (uint32_t)used);
        check_rc(x, "feed", rc);
        if (rc && !fixgw_err_is_fatal(rc) && rc != FIXGW_EFLOOD)
          fail(w, "%s: feed: %s", x->name, fixgw_err_name(rc));
      }
    } else if (p->eof && p->len == 0 && !x->eof_given) {
      x->eof_given = true;
      check_rc(x, "recv_eof", fixgw_session_recv_eof(x->s, now_of(x)));
    }
  }
  if (!x->conn || w->failed) return;
  /* timers: when due, and now and then early */
  uint64_t dl = fixgw_session_next_deadline(x->s);
  if ((dl != NEVER && now_of(x).mono_ns >= dl) || chance(&w->r, 1, 40))
    check_rc(x, "on_timer", fixgw_session_on_timer(x->s, now_of(x)));
  /* the host closes when the session wants neither read nor write */
  if (!fixgw_session_want_read(x->s) && !fixgw_session_want_write(x->s)) {
    fixgw_session_state st = fixgw_session_state_get(x->s);
    if (st == FIXGW_SS_CLOSING || st == FIXGW_SS_FATAL || st == FIXGW_SS_DISCONNECTED)
      close_side(x, x->eof_given ? FIXGW_DR_PEER_CLOSED : FIXGW_DR_HOST);
  }
}

/* When something next needs the world's attention (sim ns). */
static uint64_t next_event(world_t *w) {
  uint64_t n = w->t + rr(&w->r, 1, 2 * SEC);
  uint64_t soon = w->t + rr(&w->r, 0, 200 * US);
#define AT(x)             \
  do {                    \
    uint64_t v_ = (x);    \
    if (v_ < n) n = v_;   \
  } while (0)
  if (!w->quiet) AT(w->next_fault);
  if (!w->quiet) AT(w->fault_end);
  if (w->side[0].next_gen != NEVER && !w->quiet) AT(w->side[0].next_gen);
  if (w->reconnect_at != NEVER) AT(w->reconnect_at);
  if (w->variant == SIM_SKEW_BEYOND && !w->jumped) AT(w->jump_at);
  if (w->final_phase == 1) AT(w->final_deadline);
  for (int i = 0; i < 2; i++) {
    side_t *x = &w->side[i];
    if (!x->s) {
      AT(x->up_at);
      continue;
    }
    if (x->backlog && fixgw_session_is_logged_on(x->s)) AT(x->retry_at > soon ? x->retry_at : soon);
    if (w->store == SIM_STORE_FILE && x->store_open) {
      uint64_t sd = fixgw_file_store_next_deadline(&x->store);
      if (sd != NEVER) {
        uint64_t m = now_of(x).mono_ns;
        AT(sd <= m ? soon : w->t + (sd - m));
      }
    }
    if (!x->conn) continue;
    uint64_t dl = fixgw_session_next_deadline(x->s);
    if (dl != NEVER) {
      uint64_t m = now_of(x).mono_ns;
      AT(dl <= m ? soon : w->t + (dl - m));
    }
    if (x->busy_until > w->t) AT(x->busy_until);
    const char *ptr;
    size_t len;
    if (fixgw_session_pending(x->s, &ptr, &len) == 0 && len && (x->out->dead || x->out->cap > x->out->len))
      AT(soon);
    if (!fixgw_session_want_read(x->s) && !fixgw_session_want_write(x->s)) AT(soon);
    pipe_t *p = x->in;
    if (p->nseg && fixgw_session_want_read(x->s)) AT(p->seg[0].t > w->t ? p->seg[0].t : soon);
    if (p->eof && !p->len && !x->eof_given) AT(soon);
  }
#undef AT
  if (n > w->t && chance(&w->r, 1, 4)) n = w->t + rr(&w->r, 0, n - w->t); /* a step in between */
  return n;
}

static void step(world_t *w) {
  side_t *ini = &w->side[0], *acc = &w->side[1];
  w->steps++;
  uint64_t calls0 = fixgw_alloc_count_calls();
  w->lifecycle = false;

  /* phase change */
  if (!w->quiet && w->t >= w->fault_end) {
    w->quiet = true;
    w->quiet_start = w->t;
    event(w, "quiet period: no more faults or new orders");
    for (int d = 0; d < 2; d++) w->pipe[d].stall_until = 0;
    ini->busy_until = acc->busy_until = 0;
    w->base_delay = rr(&w->r, 10 * US, 2 * MS);
    w->jitter = rr(&w->r, 0, 2 * MS);
  }
  /* the clock jump (skew beyond MaxLatency) */
  if (w->variant == SIM_SKEW_BEYOND && !w->jumped && w->t >= w->jump_at) {
    /* beyond MaxLatency by more than any delay or stall of the sim */
    int64_t d = (int64_t)((uint64_t)acc->cfg.max_latency_s * SEC + rr(&w->r, 100 * SEC, 200 * SEC));
    acc->utc_off += chance(&w->r, 1, 2) ? d : -d;
    w->jumped = true;
    w->jump_conn = w->conn_serial;
    event(w, "FAULT acc UTC jumps: skew now %.3f s", (double)acc->utc_off / 1e9);
  }
  /* processes coming back */
  for (int i = 0; i < 2; i++) {
    side_t *x = &w->side[i];
    if (!x->s && w->t >= x->up_at) {
      event(w, "%s process starts again on its store", x->name);
      side_create(x);
    }
  }
  /* connection ends when neither side holds it */
  if (w->conn_live && !ini->conn && !acc->conn) {
    w->conn_live = false;
    if (w->final_phase == 0) {
      uint64_t d = w->quiet ? rr(&w->r, 1 * MS, 200 * MS) : rr(&w->r, 1 * MS, 5 * SEC);
      w->reconnect_at = w->t + d;
      if (!w->quiet && chance(&w->r, 1, 5)) fault_lower_target(w, &w->side[rr(&w->r, 0, 1)]);
    }
  }
  if (!w->conn_live && w->reconnect_at != NEVER && w->t >= w->reconnect_at) {
    if (ini->s && acc->s) {
      w->reconnect_at = NEVER;
      connect_both(w);
    } else {
      w->reconnect_at = w->t + 100 * MS;
    }
  }
  /* faults */
  if (!w->quiet && w->t >= w->next_fault) {
    fault_one(w);
    w->next_fault = w->t + rr(&w->r, 200 * MS, 20 * SEC);
  }
  /* new orders */
  if (!w->quiet) {
    while (ini->next_gen != NEVER && w->t >= ini->next_gen) {
      uint64_t burst = chance(&w->r, 1, 10) ? rr(&w->r, 2, 30) : 1;
      for (uint64_t i = 0; i < burst && ini->generated < w->max_orders; i++) {
        ini->generated++;
        ini->backlog++;
      }
      ini->next_gen = ini->generated >= w->max_orders ? NEVER : w->t + rr(&w->r, 0, 2 * w->order_rate_ns);
    }
  }
  /* the file stores' group commit by time */
  if (w->store == SIM_STORE_FILE) {
    store_poll(ini);
    store_poll(acc);
  }
  /* I/O, in a random order */
  int first = (int)rr(&w->r, 0, 1);
  side_io(&w->side[first]);
  side_io(&w->side[!first]);
  /* applications */
  submit_some(&w->side[first]);
  submit_some(&w->side[!first]);

  check_step(w);
  uint64_t calls = fixgw_alloc_count_calls() - calls0;
  if (calls && !w->lifecycle && fixgw_alloc_count_available())
    fail(w, "%llu allocation calls in a step without a create", (unsigned long long)calls);
}

/* ------------------------------------------------------------- end */

static bool converged(world_t *w) {
  side_t *ini = &w->side[0], *acc = &w->side[1];
  if (!ini->s || !acc->s || !fixgw_session_is_logged_on(ini->s) || !fixgw_session_is_logged_on(acc->s))
    return false;
  if (ini->backlog || acc->backlog) return false;
  if (ini->expect - 1 != acc->committed || acc->expect - 1 != ini->committed) return false;
  if (w->pipe[0].len || w->pipe[1].len) return false;
  const char *p;
  size_t l1, l2;
  fixgw_session_pending(ini->s, &p, &l1);
  fixgw_session_pending(acc->s, &p, &l2);
  if (l1 || l2) return false;
  return fixgw_session_next_sender_seq(ini->s) == fixgw_session_next_target_seq(acc->s) &&
         fixgw_session_next_sender_seq(acc->s) == fixgw_session_next_target_seq(ini->s);
}

static void describe(world_t *w, char *buf, size_t n) {
  side_t *ini = &w->side[0], *acc = &w->side[1];
  snprintf(buf, n,
           "ini %s next %llu/%llu committed %llu backlog %llu expect %llu; "
           "acc %s next %llu/%llu committed %llu backlog %llu expect %llu; in flight %u/%u",
           ini->s ? fixgw_session_state_name(fixgw_session_state_get(ini->s)) : "down",
           ini->s ? (unsigned long long)fixgw_session_next_sender_seq(ini->s) : 0ull,
           ini->s ? (unsigned long long)fixgw_session_next_target_seq(ini->s) : 0ull,
           (unsigned long long)ini->committed, (unsigned long long)ini->backlog,
           (unsigned long long)ini->expect,
           acc->s ? fixgw_session_state_name(fixgw_session_state_get(acc->s)) : "down",
           acc->s ? (unsigned long long)fixgw_session_next_sender_seq(acc->s) : 0ull,
           acc->s ? (unsigned long long)fixgw_session_next_target_seq(acc->s) : 0ull,
           (unsigned long long)acc->committed, (unsigned long long)acc->backlog,
           (unsigned long long)acc->expect, w->pipe[0].len, w->pipe[1].len);
}

static void run(world_t *w) {
  side_t *ini = &w->side[0], *acc = &w->side[1];
  for (;;) {
    if (w->failed) return;
    step(w);
    if (w->failed) return;
    if (!w->quiet) {
      w->t = next_event(w);
      continue;
    }
    if (w->variant == SIM_SKEW_BEYOND) {
      if (w->t >= w->quiet_start + 120 * SEC) break;
    } else if (w->final_phase == 0 && converged(w)) {
      char d[320];
      describe(w, d, sizeof d);
      event(w, "converged: %s", d);
      if (!w->final_logout) break;
      side_t *x = &w->side[rr(&w->r, 0, 1)];
      event(w, "final logout from %s", x->name);
      int rc = fixgw_session_logout(x->s, "sim: the end", now_of(x));
      if (rc) fail(w, "%s: final logout: %s", x->name, fixgw_err_name(rc));
      w->final_phase = 1;
      w->final_deadline = w->t + 30 * SEC;
    } else if (w->final_phase == 1 && !ini->conn && !acc->conn) {
      w->final_phase = 2;
      break;
    } else if (w->final_phase == 1 && w->t >= w->final_deadline) {
      fail(w, "final logout did not end the connection in 30 s");
      return;
    } else if (w->t >= w->quiet_start + QUIET_NS) {
      char d[320];
      describe(w, d, sizeof d);
      fail(w, "no convergence %llu s into the quiet period: %s",
           (unsigned long long)(QUIET_NS / SEC), d);
      return;
    }
    w->t = next_event(w);
  }
  if (w->failed) return;
  /* final checks */
  if (w->variant == SIM_SKEW_BEYOND) {
    for (int i = 0; i < 2; i++) {
      side_t *x = &w->side[i];
      if (x->s && fixgw_session_is_logged_on(x->s))
        fail(w, "%s: still logged on %llu s after a clock jump beyond MaxLatency", x->name,
             (unsigned long long)((w->t - w->jump_at) / SEC));
      if (x->logons_after_jump)
        fail(w, "%s: %llu logons completed after the clock jump", x->name,
             (unsigned long long)x->logons_after_jump);
    }
    if (!ini->rej10_logged && !acc->rej10_logged && w->conn_serial > w->jump_conn)
      fail(w, "no SendingTime accuracy problem (reason 10) after the clock jump");
    return;
  }
  if (w->final_logout) {
    for (int i = 0; i < 2; i++) {
      side_t *x = &w->side[i];
      if (fixgw_session_state_get(x->s) != FIXGW_SS_DISCONNECTED)
        fail(w, "%s: %s after the final logout", x->name,
             fixgw_session_state_name(fixgw_session_state_get(x->s)));
      if (x->last_logout != FIXGW_DR_LOGOUT)
        fail(w, "%s: the final logout ended with %s", x->name,
             fixgw_disconnect_reason_name(x->last_logout));
    }
    if (fixgw_session_next_sender_seq(ini->s) != fixgw_session_next_target_seq(acc->s) ||
        fixgw_session_next_sender_seq(acc->s) != fixgw_session_next_target_seq(ini->s)) {
      char d[320];
      describe(w, d, sizeof d);
      fail(w, "numbers disagree after the final logout: %s", d);
    }
  }
  if (ini->committed != acc->committed || ini->committed != ini->generated)
    fail(w, "orders %llu generated, %llu committed, %llu answered",
         (unsigned long long)ini->generated, (unsigned long long)ini->committed,
         (unsigned long long)acc->committed);
}

/* ------------------------------------------------------------- setup */

static void side_setup(world_t *w, side_t *x, int idx) {
  x->w = w;
  x->idx = idx;
  x->initiator = idx == 0;
  x->name = idx == 0 ? "ini" : "acc";
  x->in = &w->pipe[!idx];
  x->out = &w->pipe[idx];
  x->mono_base = rr(&w->r, 1, 1000000) * SEC;
  x->expect = 1;
  x->seen_ns = x->seen_nt = 1;
  x->next_gen = NEVER;
  x->up_at = NEVER;
  if (w->store == SIM_STORE_MEMORY) {
    fixgw_mem_store_config_t mc;
    fixgw_mem_store_config_default(&mc);
    mc.now_utc_ns = START_UTC;
    int rc = fixgw_mem_store_create(&mc, &x->store);
    if (rc) fail(w, "%s: mem store: %s", x->name, fixgw_err_name(rc));
  }
  memset(&x->cb, 0, sizeof x->cb);
  x->cb.size = sizeof x->cb;
  x->cb.on_app = on_app;
  x->cb.on_log = on_log;
  x->cb.on_state = on_state;
  x->cb.on_logon = on_logon;
  x->cb.on_logout = on_logout;
  x->cb.on_reject = on_reject;
}

static void configure(world_t *w) {
  static const fixgw_version versions[] = {FIXGW_V_FIX42, FIXGW_V_FIX44, FIXGW_V_FIXT11};
  w->version = versions[rr(&w->r, 0, 2)];
  uint32_t hbi = (uint32_t)rr(&w->r, 5, 30);
  uint32_t maxmsg = chance(&w->r, 1, 2) ? 16384 : 4096;
  uint32_t tx_min = 1536 + maxmsg / 4 + 2048;
  uint32_t chunk = chance(&w->r, 1, 3) ? (uint32_t)rr(&w->r, 1, 20) : 0;
  bool dict = chance(&w->r, 1, 4);
  for (int i = 0; i < 2; i++) {
    side_t *x = &w->side[i];
    fixgw_session_config_t *c = &x->cfg;
    fixgw_session_config_default(c);
    c->role = x->initiator ? FIXGW_INITIATOR : FIXGW_ACCEPTOR;
    c->id.version = w->version;
    if (w->version == FIXGW_V_FIXT11) c->default_appl_ver = FIXGW_DICT_FIX50SP2;
    strcpy(c->id.sender_comp_id, x->initiator ? "CLIENT" : "SERVER");
    strcpy(c->id.target_comp_id, x->initiator ? "SERVER" : "CLIENT");
    c->heartbeat_interval_s = hbi;
    c->max_msg_size = maxmsg;
    c->tx_buffer_size = (uint32_t)rr(&w->r, tx_min, 32768);
    c->rx_buffer_size = maxmsg + (uint32_t)rr(&w->r, 0, 4096);
    c->gap_queue_messages = (uint32_t)rr(&w->r, 2, 64);
    c->gap_queue_bytes = (uint32_t)rr(&w->r, 1024, 16384);
    c->resend_request_chunk_size = chunk;
    c->send_redundant_resend_requests = chance(&w->r, 1, 4);
    c->send_next_expected_msg_seq_num = chance(&w->r, 1, 3);
    c->use_data_dictionary = dict;
    c->overflow = chance(&w->r, 1, 8) ? FIXGW_OVERFLOW_DISCONNECT : FIXGW_OVERFLOW_BACKPRESSURE;
    c->store = x->store;
  }
  /* clock skew: the acceptor's UTC against the initiator's */
  w->side[0].utc_off = 0;
  w->side[1].utc_off = (int64_t)rr(&w->r, 0, 6 * SEC) - (int64_t)(3 * SEC);
  w->base_delay = rr(&w->r, 10 * US, 20 * MS);
  w->jitter = rr(&w->r, 0, 30 * MS);
  w->fault_end = rr(&w->r, 20 * SEC, 240 * SEC);
  w->order_rate_ns = rr(&w->r, 10 * MS, 2 * SEC);
  w->final_logout = chance(&w->r, 1, 2);
  w->variant = chance(&w->r, 1, 12) ? SIM_SKEW_BEYOND : SIM_NORMAL;
  w->jump_at = chance(&w->r, 1, 2) ? 0 : rr(&w->r, 0, w->fault_end);
  w->next_fault = rr(&w->r, 0, 10 * SEC);
  w->reconnect_at = rr(&w->r, 0, 100 * MS);
  w->side[0].next_gen = rr(&w->r, 0, w->order_rate_ns);
  event(w, "seed %llu: %s, %s, HeartBtInt %u, max msg %u, tx %u/%u, gap queue %u/%u, chunk %u, "
           "dict %d, skew %.3f s, faults for %.1f s, order every %.3f s, final logout %d",
        (unsigned long long)w->seed, w->variant == SIM_NORMAL ? "normal" : "skew beyond MaxLatency",
        fixgw_version_string(w->version), hbi, maxmsg, w->side[0].cfg.tx_buffer_size,
        w->side[1].cfg.tx_buffer_size, w->side[0].cfg.gap_queue_messages,
        w->side[0].cfg.gap_queue_bytes, chunk, dict, (double)w->side[1].utc_off / 1e9,
        (double)w->fault_end / 1e9, (double)w->order_rate_ns / 1e9, w->final_logout);
}

/* File store, end of a good run: one more close and reopen of both
 * stores, checked as at a restart, after a flush under every policy. */
static void final_reopen(world_t *w) {
  for (int i = 0; i < 2 && !w->failed; i++) {
    side_t *x = &w->side[i];
    if (!x->s || !x->store_open) continue;
    int rc = x->store.ops->flush(x->store.self);
    if (rc) fail(w, "%s: file store flush: %s", x->name, fixgw_err_name(rc));
    x->seen_ns = fixgw_session_next_sender_seq(x->s);
    x->seen_nt = fixgw_session_next_target_seq(x->s);
    side_destroy(x);
    store_close(x);
    event(w, "%s: final close and reopen of the file store", x->name);
    store_open(x, true);
  }
}

bool sim_run(uint64_t seed, bool verbose, FILE *out, sim_result_t *res) {
  sim_options_t o;
  memset(&o, 0, sizeof o);
  o.verbose = verbose;
  return sim_run_with(seed, &o, out, res);
}

bool sim_run_with(uint64_t seed, const sim_options_t *opt, FILE *out, sim_result_t *res) {
  world_t *w = calloc(1, sizeof *w);
  memset(res, 0, sizeof *res);
  if (!w) {
    snprintf(res->why, sizeof res->why, "out of memory");
    return false;
  }
  w->seed = seed;
  w->verbose = opt->verbose;
  w->out = out;
  w->store = opt->store;
  w->max_orders = MAX_ORDERS;
  rng_seed(&w->r, seed);
  rng_seed(&w->fr, seed ^ 0x46494c4553544f52ull); /* "FILESTOR" */
  for (int i = 0; i < 2; i++) side_setup(w, &w->side[i], i);
  configure(w);
  if (w->store == SIM_STORE_FILE) file_setup(w, opt->dir);
  for (int i = 0; i < 2 && !w->failed; i++) side_create(&w->side[i]);
  if (!w->failed) run(w);
  if (!w->failed && w->store == SIM_STORE_FILE) final_reopen(w);

  res->ok = !w->failed;
  res->variant = w->variant;
  res->steps = w->steps;
  res->sim_ns = w->t;
  res->faults = w->faults;
  res->store = w->store;
  res->file_sync = (int)w->fsync;
  res->reopens = w->reopens;
  for (int i = 0; i < 2; i++) {
    side_t *x = &w->side[i];
    if (x->store_open) {
      fixgw_file_store_stats_t fs;
      if (fixgw_file_store_stats(&x->store, &fs) == 0) x->syncs_total += fs.syncs;
    }
    res->syncs += x->syncs_total;
    res->delivered += x->expect - 1;
    res->logons += x->logons;
    res->resends += x->resent_total + (x->s ? fixgw_session_stats(x->s)->resent : 0);
  }
  if (w->failed) {
    snprintf(res->why, sizeof res->why, "%s", w->why);
    uint64_t from = w->nev > EVENTS ? w->nev - EVENTS : 0;
    fprintf(out, "seed %llu%s: VIOLATION: %s\nlast events:\n", (unsigned long long)seed,
            w->store == SIM_STORE_FILE ? " (file store)" : "", w->why);
    for (uint64_t i = from; i < w->nev; i++) fprintf(out, "  %s\n", w->ev[i % EVENTS]);
  }
  for (int i = 0; i < 2; i++) {
    side_destroy(&w->side[i]);
    fixgw_store_destroy(&w->side[i].store);
  }
  remove_dir(w);
  free(w);
  return res->ok;
}
