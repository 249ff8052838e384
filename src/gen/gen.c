/* The generator: draws the next event from the mix, checks it against the
 * order lifecycle, encodes it, and only then commits the new state.
 *
 * Every draw for one message goes through a copy of the PRNG state and
 * every change of the order table, prices and counters is recorded in a
 * step_t first; fixgw_gen_next() applies the step after the encoder has
 * succeeded. That is what makes FIXGW_ENOSPC side-effect free: the retry
 * sees the same PRNG state and produces the same bytes. */
#include <string.h>

#include "gen_internal.h"
#include "internal.h"

enum { ST_PENDING_NEW = 0, ST_OPEN = 1, ST_PENDING_CANCEL = 2, ST_COUNT = 3 };

typedef struct order {
  uint64_t clordid;     /* the order's ClOrdID number */
  uint64_t cxl_clordid; /* ClOrdID of the pending cancel request, or 0 */
  uint64_t orderid;     /* assigned by the ack */
  int64_t px;           /* limit in units of the tick's exponent; 0: market */
  int64_t qty;
  int64_t cum;
  int64_t notional; /* sum of LastPx * LastQty, same units as px */
  uint32_t sym;
  uint32_t pos; /* index in lists_[state] */
  uint8_t state;
  uint8_t acct;
  char side;    /* '1' buy, '2' sell */
  char ordtype; /* '1' market, '2' limit */
} order_t;

/* Everything one message changes, applied by commit(). */
typedef struct step {
  fixgw_gen_type type;
  uint64_t rng[4];
  uint32_t slot;
  order_t neworder; /* NEW */
  int64_t last_px;  /* FILL */
  int64_t last_qty;
  int full; /* FILL completed the order */
  uint32_t sym;
  int64_t mid; /* the symbol's mid after this message */
  int move_mid;
  uint32_t md_n;
  uint64_t gap;
  uint64_t debt[FIXGW_GEN_TYPE_COUNT];   /* draws not yet emitted */
  uint64_t credit[FIXGW_GEN_TYPE_COUNT]; /* emitted in their place */
  int substituted;
  unsigned dir; /* 0 client -> broker, 1 broker -> client */
} step_t;

static const char *const type_names[FIXGW_GEN_TYPE_COUNT] = {
    "new", "ack", "fill", "cancel_req", "canceled", "md", "heartbeat"};
static const char *const type_msgtypes[FIXGW_GEN_TYPE_COUNT] = {"D", "8", "8", "F",
                                                                "8", "W", "0"};
static const uint32_t default_mix[FIXGW_GEN_TYPE_COUNT] = {18, 18, 24, 6, 8, 22, 4};
static const char *const accounts[] = {"ACC-PRIME01", "ACC-ALGO07", "ACC-MM03",
                                       "ACC-HEDGE12"};
#define NACCOUNTS (sizeof accounts / sizeof accounts[0])

const char *fixgw_gen_type_name(fixgw_gen_type t) {
  return (unsigned)t < FIXGW_GEN_TYPE_COUNT ? type_names[t] : NULL;
}

const char *fixgw_gen_type_msgtype(fixgw_gen_type t) {
  return (unsigned)t < FIXGW_GEN_TYPE_COUNT ? type_msgtypes[t] : NULL;
}

void fixgw_gen_config_default(fixgw_gen_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->seed = 1;
  memcpy(cfg->mix, default_mix, sizeof cfg->mix);
  cfg->client_comp_id = "CLIENT01";
  cfg->broker_comp_id = "BROKER01";
  cfg->first_seq = 1;
  /* The New York open of an ordinary trading day. */
  cfg->start_ns = (fixgw_days_from_civil(2024, 3, 15) * 86400 + 13 * 3600 + 30 * 60) *
                  1000000000LL;
  cfg->gap_ns = 50000;
  cfg->ts_precision = FIXGW_TS_MILLIS;
  cfg->max_live_orders = 1024;
  cfg->md_entries_min = 4;
  cfg->md_entries_max = 10;
  cfg->md_extras = true;
}

static int compid_ok(const char *s, size_t *n) {
  if (!s) return 0;
  size_t len = strlen(s);
  if (len == 0 || len > FIXGW_GEN_COMPID_MAX) return 0;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7E) return 0;
  *n = len;
  return 1;
}

/* SendingTime stops advancing here (about the year 2116), far inside
 * int64 nanoseconds and the encoder's year range, whatever the gaps. */
#define MAX_START_NS (INT64_MAX / 2)

int fixgw_gen_init(fixgw_gen_t *g, const fixgw_gen_config_t *cfg) {
  if (!g) return FIXGW_EINVAL;
  memset(g, 0, sizeof *g);
  fixgw_gen_config_t c;
  if (cfg)
    c = *cfg;
  else
    fixgw_gen_config_default(&c);

  size_t ns, nt;
  if (!compid_ok(c.client_comp_id, &ns) || !compid_ok(c.broker_comp_id, &nt) ||
      strcmp(c.client_comp_id, c.broker_comp_id) == 0)
    return FIXGW_EINVAL;
  uint32_t total = 0;
  for (unsigned i = 0; i < FIXGW_GEN_TYPE_COUNT; i++) {
    if (c.mix[i] > 1000000u) return FIXGW_EINVAL;
    total += c.mix[i];
  }
  if (total == 0) {
    memcpy(c.mix, default_mix, sizeof c.mix);
    for (unsigned i = 0; i < FIXGW_GEN_TYPE_COUNT; i++) total += c.mix[i];
  }
  if (c.first_seq == 0 || c.first_seq > (UINT64_MAX >> 2) || c.start_ns < 0 ||
      c.start_ns > MAX_START_NS || c.gap_ns > 3600ULL * 1000000000ULL ||
      (c.ts_precision != FIXGW_TS_SECONDS && c.ts_precision != FIXGW_TS_MILLIS &&
       c.ts_precision != FIXGW_TS_MICROS && c.ts_precision != FIXGW_TS_NANOS) ||
      c.max_live_orders == 0 || c.max_live_orders > (1u << 20) ||
      c.n_symbols > fixgw__gen_nsymbols || c.md_entries_min == 0 ||
      c.md_entries_min > c.md_entries_max ||
      c.md_entries_max > FIXGW_GEN_MD_ENTRIES_MAX || c.pad_to > FIXGW_GEN_PAD_MAX)
    return FIXGW_EINVAL;

  memcpy(g->client_, c.client_comp_id, ns + 1);
  memcpy(g->broker_, c.broker_comp_id, nt + 1);
  c.client_comp_id = g->client_;
  c.broker_comp_id = g->broker_;
  g->cfg_ = c;
  g->mix_total_ = total;
  g->nsym_ = c.n_symbols ? c.n_symbols : fixgw__gen_nsymbols;
  /* Generous per-part bounds (see the field lists below): header and the
   * largest fixed body, then each book entry, then padding. */
  g->max_msg_ = 1024 + (size_t)c.md_entries_max * 128 + c.pad_to;

  uint32_t cap = c.max_live_orders;
  const fixgw_allocator_t *a = c.allocator;
  g->mid_ = fixgw__alloc(a, sizeof(int64_t) * g->nsym_);
  g->orders_ = fixgw__alloc(a, sizeof(order_t) * cap);
  g->free_ = fixgw__alloc(a, sizeof(uint32_t) * cap);
  g->lists_ = fixgw__alloc(a, sizeof(uint32_t) * cap * ST_COUNT);
  g->scratch_ = fixgw__alloc(a, g->max_msg_);
  g->pad_ = c.pad_to ? fixgw__alloc(a, c.pad_to) : NULL;
  if (!g->mid_ || !g->orders_ || !g->free_ || !g->lists_ || !g->scratch_ ||
      (c.pad_to && !g->pad_)) {
    fixgw_gen_destroy(g);
    memset(g, 0, sizeof *g);
    return FIXGW_ENOMEM;
  }
  /* Padding text, printable and free of SOH, cut to length per message. */
  static const char words[] = "client note: working order per desk instruction, "
                              "see blotter for allocation details; ";
  for (uint32_t i = 0; i < c.pad_to; i++) g->pad_[i] = words[i % (sizeof words - 1)];
  for (uint32_t i = 0; i < g->nsym_; i++) g->mid_[i] = fixgw__gen_symbols[i].ref_price.mant;
  /* Slot 0 on top, so the first orders take the low slots. */
  for (uint32_t i = 0; i < cap; i++) g->free_[i] = cap - 1 - i;
  g->nfree_ = cap;

  uint64_t x = c.seed;
  for (int i = 0; i < 4; i++) g->rng_[i] = fixgw__splitmix64(&x);
  g->seq_[0] = g->seq_[1] = c.first_seq;
  g->now_ns_ = c.start_ns;
  g->next_clordid_ = 1;
  g->next_orderid_ = 1;
  g->next_execid_ = 1;
  g->last_type = FIXGW_GEN_HEARTBEAT;
  return 0;
}

void fixgw_gen_destroy(fixgw_gen_t *g) {
  if (!g) return;
  const fixgw_allocator_t *a = g->cfg_.allocator;
  fixgw__free(a, g->mid_);
  fixgw__free(a, g->orders_);
  fixgw__free(a, g->free_);
  fixgw__free(a, g->lists_);
  fixgw__free(a, g->scratch_);
  fixgw__free(a, g->pad_);
  g->pad_ = NULL;
  g->mid_ = NULL;
  g->orders_ = NULL;
  g->free_ = NULL;
  g->lists_ = NULL;
  g->scratch_ = NULL;
  g->max_msg_ = 0;
}

size_t fixgw_gen_max_msg_size(const fixgw_gen_t *g) {
  return g && g->orders_ ? g->max_msg_ : 0;
}

/* ------------------------------------------------------- order bookkeeping */

static order_t *orders(const fixgw_gen_t *g) { return (order_t *)g->orders_; }

static uint32_t *list(const fixgw_gen_t *g, unsigned st) {
  return g->lists_ + (size_t)st * g->cfg_.max_live_orders;
}

static void list_add(fixgw_gen_t *g, uint32_t slot, unsigned st) {
  order_t *o = &orders(g)[slot];
  o->state = (uint8_t)st;
  o->pos = g->nlist_[st];
  list(g, st)[g->nlist_[st]++] = slot;
}

static void list_remove(fixgw_gen_t *g, uint32_t slot) {
  order_t *o = &orders(g)[slot];
  uint32_t *l = list(g, o->state);
  uint32_t last = l[--g->nlist_[o->state]];
  l[o->pos] = last;
  orders(g)[last].pos = o->pos;
}

static void order_close(fixgw_gen_t *g, uint32_t slot) {
  list_remove(g, slot);
  g->free_[g->nfree_++] = slot;
}

/* ------------------------------------------------------------- formatting */

/* "XX" prefix + at least 8 digits: realistic-looking, unique, sortable. */
static size_t format_id(char *out, const char *prefix, uint64_t n) {
  size_t p = strlen(prefix);
  memcpy(out, prefix, p);
  char d[24];
  unsigned k = 0;
  do {
    d[k++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  while (k < 8) d[k++] = '0';
  while (k) out[p++] = d[--k];
  return p;
}

static int enc_id(fixgw_encoder_t *e, uint32_t tag, const char *prefix, uint64_t n) {
  char b[32];
  return fixgw_enc_str(e, tag, b, format_id(b, prefix, n));
}

/* MDEntryDate (UTCDateOnly) and MDEntryTime (UTCTimeOnly) of ns. */
static int enc_date_time(fixgw_encoder_t *e, int64_t ns, fixgw_ts_precision prec) {
  const int64_t day_ns = 86400LL * 1000000000LL;
  fixgw_date_t d;
  fixgw_civil_from_days(ns / day_ns, &d);
  fixgw_enc_date(e, 272, d);
  return fixgw_enc_timeonly(e, 273, ns % day_ns, prec);
}

static fixgw_decimal_t price(const fixgw_gen_symbol_t *s, int64_t units) {
  fixgw_decimal_t d = {units, s->tick.exp};
  return d;
}

/* Volume-weighted average of the fills: notional / cum, rounded half up
 * to FIXGW_GEN_AVGPX_EXTRA extra decimals, trailing zeros dropped. */
static fixgw_decimal_t avg_px(const fixgw_gen_symbol_t *s, int64_t notional, int64_t cum) {
  fixgw_decimal_t d = {0, 0};
  if (cum <= 0) return d;
  int64_t scaled = notional;
  for (int i = 0; i < FIXGW_GEN_AVGPX_EXTRA; i++) scaled *= 10;
  d.mant = (scaled + cum / 2) / cum;
  d.exp = s->tick.exp - FIXGW_GEN_AVGPX_EXTRA;
  while (d.exp < 0 && d.mant % 10 == 0) {
    d.mant /= 10;
    d.exp++;
  }
  if (d.mant == 0) d.exp = 0;
  return d;
}

/* Pad the body with a Text field so the finished message is pad_to bytes
 * (pad_to + 1 where BodyLength's digit count makes pad_to unreachable). */
static int enc_padding(const fixgw_gen_t *g, fixgw_encoder_t *e) {
  uint32_t target = g->cfg_.pad_to;
  if (!target || e->err) return e->err;
  size_t body = e->pos - FIXGW_ENC_HEADROOM;
  /* total = "8=FIX.4.4|9=" digits(B) "|" B "10=nnn|", B = body + 4 + n */
  const size_t fixed = 2 + 7 + 1 + 2 + 1 + FIXGW_ENC_TRAILER;
  for (size_t want = target; want <= (size_t)target + 1; want++) {
    size_t lo = 1;
    for (size_t dg = 1; dg <= 7; dg++, lo *= 10) {
      if (want < fixed + dg + body + 5) continue;
      size_t b = want - fixed - dg;
      if (b < lo || b >= lo * 10) continue;
      return fixgw_enc_str(e, 58, g->pad_, b - body - 4);
    }
  }
  return 0; /* already at least pad_to long */
}

/* ------------------------------------------------------------ the events */

static int64_t clamp_px(const fixgw_gen_symbol_t *s, int64_t units) {
  int64_t floor_units = 20 * s->tick.mant;
  return units < floor_units ? floor_units : units;
}

/* The symbol's mid after a one-tick random step (or none). */
static int64_t walk_mid(const fixgw_gen_t *g, step_t *st, uint32_t sym) {
  const fixgw_gen_symbol_t *s = &fixgw__gen_symbols[sym];
  uint32_t r = fixgw__rng_below(st->rng, 4);
  int64_t mid = g->mid_[sym];
  if (r == 0) mid -= s->tick.mant;
  if (r == 3) mid += s->tick.mant;
  st->sym = sym;
  st->mid = clamp_px(s, mid);
  st->move_mid = 1;
  return st->mid;
}

static uint32_t pick(const fixgw_gen_t *g, step_t *st, unsigned state) {
  return list(g, state)[fixgw__rng_below(st->rng, g->nlist_[state])];
}

static int can_emit(const fixgw_gen_t *g, fixgw_gen_type t) {
  uint32_t op = g->nlist_[ST_OPEN], pc = g->nlist_[ST_PENDING_CANCEL];
  switch (t) {
    case FIXGW_GEN_NEW_ORDER: return g->nfree_ > 0;
    case FIXGW_GEN_ACK: return g->nlist_[ST_PENDING_NEW] > 0;
    case FIXGW_GEN_FILL:
    case FIXGW_GEN_CANCELED: return op + pc > 0;
    case FIXGW_GEN_CANCEL_REQ: return op > 0;
    default: return 1;
  }
}

/* The type to emit when t cannot be: one that moves the table towards
 * making t possible. Some type is always possible: a full table holds an
 * order to ack or to fill. */
static fixgw_gen_type enabler(const fixgw_gen_t *g, fixgw_gen_type t) {
  if (t == FIXGW_GEN_NEW_ORDER)
    return can_emit(g, FIXGW_GEN_FILL) ? FIXGW_GEN_FILL : FIXGW_GEN_ACK;
  if (t != FIXGW_GEN_ACK && can_emit(g, FIXGW_GEN_ACK)) return FIXGW_GEN_ACK;
  if (can_emit(g, FIXGW_GEN_NEW_ORDER)) return FIXGW_GEN_NEW_ORDER;
  return can_emit(g, FIXGW_GEN_ACK) ? FIXGW_GEN_ACK : FIXGW_GEN_FILL;
}

/*
 * Decide what to emit for the drawn type. A draw the lifecycle cannot
 * honour now (an ack with nothing to ack, ...) becomes an enabling type
 * and is owed: debt[drawn]++, credit[emitted]++. A later draw of a type
 * in credit pays back a debt that has become possible, so over a run the
 * emitted counts follow the drawn ones and the mix holds even where the
 * lifecycle keeps bumping into its boundaries (e.g. no unacked order).
 */
static fixgw_gen_type choose(const fixgw_gen_t *g, step_t *st, fixgw_gen_type u) {
  if (st->credit[u] > 0) {
    for (unsigned t = 0; t < FIXGW_GEN_TYPE_COUNT; t++) {
      if (st->debt[t] > 0 && can_emit(g, (fixgw_gen_type)t)) {
        st->credit[u]--;
        st->debt[t]--;
        return (fixgw_gen_type)t;
      }
    }
  }
  if (can_emit(g, u)) return u;
  fixgw_gen_type s = enabler(g, u);
  st->debt[u]++;
  st->credit[s]++;
  st->substituted = 1;
  return s;
}

static void enc_header(const fixgw_gen_t *g, fixgw_encoder_t *e, char *buf, size_t cap,
                       fixgw_gen_type t, unsigned dir) {
  const char *from = dir ? g->broker_ : g->client_, *to = dir ? g->client_ : g->broker_;
  fixgw_enc_begin(e, buf, cap, "FIX.4.4", type_msgtypes[t]);
  fixgw_enc_str(e, 49, from, strlen(from));
  fixgw_enc_str(e, 56, to, strlen(to));
  fixgw_enc_uint(e, 34, g->seq_[dir]);
  fixgw_enc_timestamp(e, 52, g->now_ns_, g->cfg_.ts_precision);
}

/* TransactTime: the event happened a little before it was sent. */
static int64_t transact_time(const fixgw_gen_t *g, step_t *st) {
  int64_t back = (int64_t)fixgw__rng_below(st->rng, 200) * 1000;
  return g->now_ns_ >= back ? g->now_ns_ - back : g->now_ns_;
}

static void build_new(const fixgw_gen_t *g, step_t *st, fixgw_encoder_t *e) {
  order_t *o = &st->neworder;
  memset(o, 0, sizeof *o);
  o->sym = fixgw__rng_below(st->rng, g->nsym_);
  const fixgw_gen_symbol_t *s = &fixgw__gen_symbols[o->sym];
  int64_t mid = walk_mid(g, st, o->sym);
  o->side = fixgw__rng_below(st->rng, 2) ? '2' : '1';
  o->ordtype = fixgw__rng_below(st->rng, 10) == 0 ? '1' : '2';
  o->acct = (uint8_t)fixgw__rng_below(st->rng, NACCOUNTS);
  uint32_t lots = s->lot >= 1000000 ? 10 : s->lot >= 100 ? 20 : 50;
  if (s->lot == 100 && fixgw__rng_below(st->rng, 10) == 0)
    o->qty = 1 + fixgw__rng_below(st->rng, 99); /* odd lot */
  else
    o->qty = (int64_t)s->lot * (1 + fixgw__rng_below(st->rng, lots));
  if (o->ordtype == '2') {
    int64_t off = (int64_t)fixgw__rng_below(st->rng, 9) * s->tick.mant;
    o->px = clamp_px(s, o->side == '1' ? mid - off : mid + off);
  }
  o->clordid = g->next_clordid_;
  int64_t tt = transact_time(g, st);

  enc_id(e, 11, "CL", o->clordid);
  fixgw_enc_cstr(e, 1, accounts[o->acct]);
  fixgw_enc_char(e, 21, '1');
  fixgw_enc_cstr(e, 55, s->symbol);
  fixgw_enc_char(e, 54, o->side);
  fixgw_enc_timestamp(e, 60, tt, g->cfg_.ts_precision);
  fixgw_enc_decimal(e, 38, (fixgw_decimal_t){o->qty, 0});
  fixgw_enc_char(e, 40, o->ordtype);
  if (o->ordtype == '2') fixgw_enc_decimal(e, 44, price(s, o->px));
  fixgw_enc_char(e, 59, '0');
  enc_padding(g, e);
}

/* The part of every ExecutionReport after the ids: order terms, the fill
 * (if any), quantities and averages, TransactTime. */
static void enc_report_tail(const fixgw_gen_t *g, step_t *st, fixgw_encoder_t *e,
                            const order_t *o, char exec_type, char ord_status,
                            int64_t last_qty, int64_t last_px, int64_t cum,
                            int64_t leaves, int64_t notional) {
  const fixgw_gen_symbol_t *s = &fixgw__gen_symbols[o->sym];
  enc_id(e, 17, "EX", g->next_execid_);
  fixgw_enc_char(e, 150, exec_type);
  fixgw_enc_char(e, 39, ord_status);
  fixgw_enc_cstr(e, 1, accounts[o->acct]);
  fixgw_enc_cstr(e, 55, s->symbol);
  fixgw_enc_char(e, 54, o->side);
  fixgw_enc_decimal(e, 38, (fixgw_decimal_t){o->qty, 0});
  fixgw_enc_char(e, 40, o->ordtype);
  if (o->ordtype == '2') fixgw_enc_decimal(e, 44, price(s, o->px));
  if (last_qty) {
    fixgw_enc_decimal(e, 32, (fixgw_decimal_t){last_qty, 0});
    fixgw_enc_decimal(e, 31, price(s, last_px));
  }
  fixgw_enc_decimal(e, 151, (fixgw_decimal_t){leaves, 0});
  fixgw_enc_decimal(e, 14, (fixgw_decimal_t){cum, 0});
  fixgw_enc_decimal(e, 6, avg_px(s, notional, cum));
  fixgw_enc_timestamp(e, 60, transact_time(g, st), g->cfg_.ts_precision);
  enc_padding(g, e);
}

static void build_ack(const fixgw_gen_t *g, step_t *st, fixgw_encoder_t *e) {
  st->slot = pick(g, st, ST_PENDING_NEW);
  const order_t *o = &orders(g)[st->slot];
  enc_id(e, 37, "OR", g->next_orderid_);
  enc_id(e, 11, "CL", o->clordid);
  enc_report_tail(g, st, e, o, '0', '0', 0, 0, 0, o->qty, 0);
}

static void build_fill(const fixgw_gen_t *g, step_t *st, fixgw_encoder_t *e) {
  uint32_t op = g->nlist_[ST_OPEN], pc = g->nlist_[ST_PENDING_CANCEL];
  uint32_t k = fixgw__rng_below(st->rng, op + pc);
  st->slot = k < op ? list(g, ST_OPEN)[k] : list(g, ST_PENDING_CANCEL)[k - op];
  const order_t *o = &orders(g)[st->slot];
  const fixgw_gen_symbol_t *s = &fixgw__gen_symbols[o->sym];
  int64_t mid = walk_mid(g, st, o->sym);

  /* Fill completely more often as the table fills up: the table then
   * settles where retirements balance new orders, whatever the mix. */
  int64_t leaves = o->qty - o->cum;
  uint32_t live = g->cfg_.max_live_orders - g->nfree_;
  uint32_t p_full = 250 + (uint32_t)(750ULL * live / g->cfg_.max_live_orders);
  int64_t qty = leaves;
  int64_t whole_lots = (leaves - 1) / s->lot; /* lots strictly below leaves */
  if (fixgw__rng_below(st->rng, 1000) >= p_full && whole_lots > 0)
    qty = (int64_t)s->lot * (1 + fixgw__rng_below(st->rng, (uint32_t)whole_lots));

  /* Limit orders fill at their price or a tick better; market orders near
   * the mid, on the side that costs them. */
  int64_t px;
  int64_t tick = s->tick.mant;
  if (o->ordtype == '2') {
    int64_t better = fixgw__rng_below(st->rng, 4) == 0 ? tick : 0;
    px = o->side == '1' ? o->px - better : o->px + better;
  } else {
    int64_t slip = (int64_t)fixgw__rng_below(st->rng, 3) * tick;
    px = o->side == '1' ? mid + slip : mid - slip;
  }
  px = clamp_px(s, px);
  st->last_px = px;
  st->last_qty = qty;
  st->full = qty == leaves;

  int64_t cum = o->cum + qty;
  enc_id(e, 37, "OR", o->orderid);
  enc_id(e, 11, "CL", o->clordid);
  enc_report_tail(g, st, e, o, 'F', st->full ? '2' : '1', qty, px, cum, o->qty - cum,
                  o->notional + px * qty);
}

static void build_cancel_req(const fixgw_gen_t *g, step_t *st, fixgw_encoder_t *e) {
  st->slot = pick(g, st, ST_OPEN);
  const order_t *o = &orders(g)[st->slot];
  const fixgw_gen_symbol_t *s = &fixgw__gen_symbols[o->sym];
  enc_id(e, 37, "OR", o->orderid);
  enc_id(e, 41, "CL", o->clordid);
  enc_id(e, 11, "CL", g->next_clordid_);
  fixgw_enc_cstr(e, 1, accounts[o->acct]);
  fixgw_enc_cstr(e, 55, s->symbol);
  fixgw_enc_char(e, 54, o->side);
  fixgw_enc_timestamp(e, 60, transact_time(g, st), g->cfg_.ts_precision);
  fixgw_enc_decimal(e, 38, (fixgw_decimal_t){o->qty, 0});
  enc_padding(g, e);
}

static void build_canceled(const fixgw_gen_t *g, step_t *st, fixgw_encoder_t *e) {
  /* Answer a pending request first; otherwise the venue cancels on its
   * own (unsolicited), as it does at expiry or on a risk limit. */
  st->slot = g->nlist_[ST_PENDING_CANCEL] ? pick(g, st, ST_PENDING_CANCEL)
                                          : pick(g, st, ST_OPEN);
  const order_t *o = &orders(g)[st->slot];
  enc_id(e, 37, "OR", o->orderid);
  if (o->state == ST_PENDING_CANCEL) {
    enc_id(e, 11, "CL", o->cxl_clordid);
    enc_id(e, 41, "CL", o->clordid);
  } else {
    enc_id(e, 11, "CL", o->clordid);
  }
  enc_report_tail(g, st, e, o, '4', '4', 0, 0, o->cum, 0, o->notional);
}

static void build_md(const fixgw_gen_t *g, step_t *st, fixgw_encoder_t *e) {
  uint32_t sym = fixgw__rng_below(st->rng, g->nsym_);
  const fixgw_gen_symbol_t *s = &fixgw__gen_symbols[sym];
  int64_t mid = walk_mid(g, st, sym);
  const fixgw_gen_config_t *c = &g->cfg_;
  uint32_t n = c->md_entries_min + fixgw__rng_below(st->rng, c->md_entries_max - c->md_entries_min + 1);
  st->md_n = n;
  int64_t tick = s->tick.mant;
  char reqid[32];
  fixgw_enc_str(e, 262, reqid, format_id(reqid, "MD", sym + 1));
  fixgw_enc_cstr(e, 55, s->symbol);
  fixgw_enc_uint(e, 268, n);
  /* Level k: bid mid-(k+1) ticks-ish, offer mid+(k+1) ticks-ish; the
   * gaps between levels vary, sizes are whole lots. */
  int64_t bid = mid, ask = mid;
  for (uint32_t i = 0; i < n; i++) {
    int is_bid = (i % 2) == 0;
    int64_t step = tick * (1 + (int64_t)fixgw__rng_below(st->rng, 2));
    int64_t px;
    if (is_bid) {
      bid -= step;
      px = bid > tick ? bid : tick;
    } else {
      ask += step;
      px = ask;
    }
    int64_t size = (int64_t)s->lot * (1 + fixgw__rng_below(st->rng, 50));
    fixgw_enc_char(e, 269, is_bid ? '0' : '1');
    fixgw_enc_decimal(e, 270, price(s, px));
    fixgw_enc_decimal(e, 271, (fixgw_decimal_t){size, 0});
    if (c->md_extras) {
      enc_date_time(e, g->now_ns_, c->ts_precision);
      fixgw_enc_uint(e, 290, i / 2 + 1);
    }
  }
}

/* Draw, build and encode one message into buf; state untouched. */
static int build(const fixgw_gen_t *g, step_t *st, char *buf, size_t cap,
                 const char **out, size_t *len) {
  memcpy(st->rng, g->rng_, sizeof st->rng);
  st->move_mid = 0;
  st->full = 0;
  st->md_n = 0;
  st->slot = 0;
  uint32_t x = fixgw__rng_below(st->rng, g->mix_total_);
  unsigned t = 0;
  while (x >= g->cfg_.mix[t]) x -= g->cfg_.mix[t++];
  memcpy(st->debt, g->debt_, sizeof st->debt);
  memcpy(st->credit, g->credit_, sizeof st->credit);
  st->substituted = 0;
  st->type = choose(g, st, (fixgw_gen_type)t);
  uint64_t gap = g->cfg_.gap_ns;
  st->gap = gap ? (fixgw__rng_next(st->rng) >> 1) % (2 * gap + 1) : 0;

  fixgw_encoder_t e;
  /* Orders and cancel requests come from the client, reports and market
   * data from the broker; either side may be idle and send a Heartbeat. */
  if (st->type == FIXGW_GEN_HEARTBEAT)
    st->dir = fixgw__rng_below(st->rng, 2);
  else
    st->dir = st->type == FIXGW_GEN_NEW_ORDER || st->type == FIXGW_GEN_CANCEL_REQ ? 0 : 1;
  enc_header(g, &e, buf, cap, st->type, st->dir);
  switch (st->type) {
    case FIXGW_GEN_NEW_ORDER: build_new(g, st, &e); break;
    case FIXGW_GEN_ACK: build_ack(g, st, &e); break;
    case FIXGW_GEN_FILL: build_fill(g, st, &e); break;
    case FIXGW_GEN_CANCEL_REQ: build_cancel_req(g, st, &e); break;
    case FIXGW_GEN_CANCELED: build_canceled(g, st, &e); break;
    case FIXGW_GEN_MD_SNAPSHOT: build_md(g, st, &e); break;
    default: break;
  }
  return fixgw_enc_finish(&e, out, len);
}

static void commit(fixgw_gen_t *g, const step_t *st, size_t len) {
  memcpy(g->rng_, st->rng, sizeof g->rng_);
  order_t *o = st->type == FIXGW_GEN_NEW_ORDER ? NULL : &orders(g)[st->slot];
  switch (st->type) {
    case FIXGW_GEN_NEW_ORDER: {
      uint32_t slot = g->free_[--g->nfree_];
      orders(g)[slot] = st->neworder;
      list_add(g, slot, ST_PENDING_NEW);
      g->next_clordid_++;
      break;
    }
    case FIXGW_GEN_ACK:
      o->orderid = g->next_orderid_++;
      list_remove(g, st->slot);
      list_add(g, st->slot, ST_OPEN);
      g->next_execid_++;
      break;
    case FIXGW_GEN_FILL:
      o->cum += st->last_qty;
      o->notional += st->last_px * st->last_qty;
      g->next_execid_++;
      if (st->full) {
        order_close(g, st->slot);
        g->stats.full_fills++;
      }
      break;
    case FIXGW_GEN_CANCEL_REQ:
      o->cxl_clordid = g->next_clordid_++;
      list_remove(g, st->slot);
      list_add(g, st->slot, ST_PENDING_CANCEL);
      break;
    case FIXGW_GEN_CANCELED:
      g->next_execid_++;
      order_close(g, st->slot);
      break;
    default: break;
  }
  memcpy(g->debt_, st->debt, sizeof g->debt_);
  memcpy(g->credit_, st->credit, sizeof g->credit_);
  g->stats.substituted += (uint64_t)st->substituted;
  if (st->move_mid) g->mid_[st->sym] = st->mid;
  g->seq_[st->dir]++;
  g->now_ns_ += (int64_t)st->gap;
  if (g->now_ns_ > MAX_START_NS) g->now_ns_ = MAX_START_NS; /* stay encodable */
  g->last_type = st->type;
  g->stats.messages++;
  g->stats.bytes += len;
  g->stats.by_type[st->type]++;
  g->stats.md_entries += st->md_n;
  g->stats.live_orders = g->cfg_.max_live_orders - g->nfree_;
}

int fixgw_gen_next(fixgw_gen_t *g, char *buf, size_t cap, const char **out,
                   size_t *len) {
  if (!g || !g->orders_ || !buf || !out || !len) return FIXGW_EINVAL;
  step_t st;
  const char *msg;
  size_t n;
  int rc = build(g, &st, buf, cap, &msg, &n);
  if (rc) return rc;
  /* The encoder lays the header right-aligned in its headroom; move the
   * message to the front so consecutive messages form one stream. */
  if (msg != buf) memmove(buf, msg, n);
  commit(g, &st, n);
  *out = buf;
  *len = n;
  return 0;
}
