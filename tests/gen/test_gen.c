/* Message generator: reproducibility, every message parses with the right
 * header and body, the mix, the order lifecycle checked against an
 * independent model, ENOSPC behaviour at a guard page, zero allocation per
 * message, padding, config validation. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixgw/codec.h"
#include "fixgw/gen.h"
#include "harness.h"

#define BIG (1u << 16)

/* Generate n messages of cfg into one contiguous stream (malloc'd). */
static char *gen_stream(const fixgw_gen_config_t *cfg, size_t n, size_t *total,
                        fixgw_gen_type *types) {
  fixgw_gen_t g;
  assert_int_equal(fixgw_gen_init(&g, cfg), 0);
  size_t cap = n * 512 + BIG, used = 0;
  char *buf = malloc(cap);
  assert_non_null(buf);
  for (size_t i = 0; i < n; i++) {
    if (cap - used < fixgw_gen_max_msg_size(&g)) {
      cap *= 2;
      buf = realloc(buf, cap);
      assert_non_null(buf);
    }
    const char *out;
    size_t len;
    assert_int_equal(fixgw_gen_next(&g, buf + used, cap - used, &out, &len), 0);
    assert_ptr_equal(out, buf + used);
    if (types) types[i] = g.last_type;
    used += len;
  }
  assert_int_equal(g.stats.messages, n);
  assert_int_equal(g.stats.bytes, used);
  fixgw_gen_destroy(&g);
  *total = used;
  return buf;
}

static void test_reproducible(void **state) {
  (void)state;
  fixgw_gen_config_t cfg;
  fixgw_gen_config_default(&cfg);
  cfg.seed = 42;
  size_t n1, n2, n3;
  char *a = gen_stream(&cfg, 5000, &n1, NULL);
  char *b = gen_stream(&cfg, 5000, &n2, NULL);
  assert_int_equal(n1, n2);
  assert_memory_equal(a, b, n1);
  cfg.seed = 43;
  char *c = gen_stream(&cfg, 5000, &n3, NULL);
  assert_true(n1 != n3 || memcmp(a, c, n1) != 0);
  /* Seeds that differ in one bit still diverge at once. */
  cfg.seed = 42 ^ (1ULL << 63);
  free(c);
  c = gen_stream(&cfg, 50, &n3, NULL);
  size_t m = n3 < n1 ? n3 : n1;
  assert_true(memcmp(a, c, m) != 0);
  free(a);
  free(b);
  free(c);
}

/* The FILE and path writers produce the same bytes as fixgw_gen_next. */
static void test_writers(void **state) {
  (void)state;
  fixgw_gen_config_t cfg;
  fixgw_gen_config_default(&cfg);
  cfg.seed = 7;
  size_t n;
  char *mem = gen_stream(&cfg, 3000, &n, NULL);

  char path[] = "/tmp/fixgw-test-gen-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  fixgw_gen_t g;
  assert_int_equal(fixgw_gen_init(&g, &cfg), 0);
  assert_int_equal(fixgw_gen_write_path(&g, path, 3000), 0);
  fixgw_gen_destroy(&g);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *back = malloc(n + 1);
  assert_int_equal(fread(back, 1, n + 1, f), n);
  fclose(f);
  assert_memory_equal(mem, back, n);

  /* Two writes to one FILE continue the same stream. */
  f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fixgw_gen_init(&g, &cfg), 0);
  assert_int_equal(fixgw_gen_write(&g, f, 1000), 0);
  assert_int_equal(fixgw_gen_write(&g, f, 2000), 0);
  fixgw_gen_destroy(&g);
  fclose(f);
  f = fopen(path, "rb");
  assert_int_equal(fread(back, 1, n + 1, f), n);
  fclose(f);
  assert_memory_equal(mem, back, n);
  unlink(path);

  assert_int_equal(fixgw_gen_init(&g, &cfg), 0);
  assert_int_equal(fixgw_gen_write_path(&g, "/nonexistent-dir/x", 1), FIXGW_ESYS);
  assert_int_equal(fixgw_gen_write(&g, NULL, 1), FIXGW_EINVAL);
  fixgw_gen_destroy(&g);
  free(back);
  free(mem);
}

/* ------------------------------------------------------------------ model */

typedef struct model_order {
  int known, acked, closed;
  uint64_t orderid;
  uint64_t cxl; /* pending cancel request ClOrdID */
  char sym[16];
  char side, ordtype;
  int64_t qty, cum;
  fixgw_decimal_t px;
  int64_t notional; /* sum LastPx*LastQty at the symbol's tick exponent */
} model_order_t;

static uint64_t id_num(const fixgw_msg_t *m, uint32_t tag, const char *prefix) {
  fixgw_str_t s;
  assert_int_equal(fixgw_msg_get_str(m, tag, &s), 0);
  assert_true(s.len > 2 && memcmp(s.ptr, prefix, 2) == 0);
  int64_t v;
  assert_int_equal(fixgw_to_int(s.ptr + 2, s.len - 2, &v), 0);
  assert_true(v > 0);
  return (uint64_t)v;
}

static int64_t get_qty(const fixgw_msg_t *m, uint32_t tag) {
  fixgw_decimal_t d;
  assert_int_equal(fixgw_msg_get_decimal(m, tag, &d), 0);
  int64_t v;
  assert_int_equal(fixgw_decimal_to_scaled(d, 0, &v), 0);
  return v;
}

static const fixgw_gen_symbol_t *symbol_of(const char *p, size_t n) {
  for (uint32_t i = 0; i < fixgw_gen_symbol_count(); i++) {
    const fixgw_gen_symbol_t *s = fixgw_gen_symbol(i);
    if (strlen(s->symbol) == n && memcmp(s->symbol, p, n) == 0) return s;
  }
  fail_msg("unknown symbol %.*s", (int)n, p);
  return NULL;
}

static void check_str(const fixgw_msg_t *m, uint32_t tag, const char *want) {
  fixgw_str_t s;
  assert_int_equal(fixgw_msg_get_str(m, tag, &s), 0);
  assert_int_equal(s.len, strlen(want));
  assert_memory_equal(s.ptr, want, s.len);
}

static char get_ch(const fixgw_msg_t *m, uint32_t tag) {
  char c;
  assert_int_equal(fixgw_msg_get_char(m, tag, &c), 0);
  return c;
}

/* The terms an ExecutionReport or cancel repeats must be the order's. */
static void check_terms(const fixgw_msg_t *m, const model_order_t *o) {
  check_str(m, 55, o->sym);
  assert_int_equal(get_ch(m, 54), o->side);
}

static const uint32_t md_tags[] = {269, 270, 271, 272, 273, 290};
static const fixgw_group_layout_t md_layout = {268, 269, md_tags, 6, NULL, 0};

typedef struct run {
  model_order_t *orders;
  size_t norders;
  uint64_t counts[FIXGW_GEN_TYPE_COUNT];
  uint64_t md_entries;
} run_t;

/* Validate one parsed message against the model; returns its type. */
static fixgw_gen_type check_msg(run_t *r, const fixgw_msg_t *m, const fixgw_gen_config_t *cfg) {
  char mt = m->msgtype.len == 1 ? m->msgtype.ptr[0] : '?';
  fixgw_gen_type t = FIXGW_GEN_TYPE_COUNT;
  if (mt == 'D') {
    t = FIXGW_GEN_NEW_ORDER;
    uint64_t id = id_num(m, 11, "CL");
    assert_true(id < r->norders);
    model_order_t *o = &r->orders[id];
    assert_false(o->known); /* ClOrdIDs are unique */
    o->known = 1;
    fixgw_str_t s;
    assert_int_equal(fixgw_msg_get_str(m, 55, &s), 0);
    assert_true(s.len < sizeof o->sym);
    memcpy(o->sym, s.ptr, s.len);
    o->sym[s.len] = 0;
    const fixgw_gen_symbol_t *sym = symbol_of(s.ptr, s.len);
    o->side = get_ch(m, 54);
    assert_true(o->side == '1' || o->side == '2');
    o->ordtype = get_ch(m, 40);
    o->qty = get_qty(m, 38);
    assert_true(o->qty > 0);
    if (o->ordtype == '2') {
      assert_int_equal(fixgw_msg_get_decimal(m, 44, &o->px), 0);
      int64_t units;
      assert_int_equal(fixgw_decimal_to_scaled(o->px, -sym->tick.exp, &units), 0);
      assert_true(units > 0);
      assert_int_equal(units % sym->tick.mant, 0); /* on the tick */
    } else {
      assert_int_equal(o->ordtype, '1');
      assert_null(fixgw_msg_find(m, 44));
    }
    assert_non_null(fixgw_msg_find(m, 60));
    assert_non_null(fixgw_msg_find(m, 1));
  } else if (mt == '8') {
    char et = get_ch(m, 150), os = get_ch(m, 39);
    uint64_t oid = id_num(m, 37, "OR");
    uint64_t cl = id_num(m, 11, "CL");
    model_order_t *o = NULL;
    if (et == '0') {
      t = FIXGW_GEN_ACK;
      assert_true(cl < r->norders);
      o = &r->orders[cl];
      assert_true(o->known && !o->acked && !o->closed);
      o->acked = 1;
      o->orderid = oid;
      assert_int_equal(os, '0');
    } else {
      const fixgw_field_t *orig = fixgw_msg_find(m, 41);
      if (orig) {
        assert_int_equal(et, '4'); /* only the answer to a cancel request */
        uint64_t ocl = id_num(m, 41, "CL");
        assert_true(ocl < r->norders);
        o = &r->orders[ocl];
        assert_int_equal(o->cxl, cl);
      } else {
        assert_true(cl < r->norders);
        o = &r->orders[cl];
      }
      assert_true(o->known && o->acked && !o->closed);
      assert_int_equal(o->orderid, oid);
    }
    check_terms(m, o);
    assert_int_equal(get_qty(m, 38), o->qty);
    const fixgw_gen_symbol_t *sym = symbol_of(o->sym, strlen(o->sym));
    if (et == 'F') {
      t = FIXGW_GEN_FILL;
      int64_t lq = get_qty(m, 32);
      fixgw_decimal_t lp;
      assert_int_equal(fixgw_msg_get_decimal(m, 31, &lp), 0);
      int64_t lpu;
      assert_int_equal(fixgw_decimal_to_scaled(lp, -sym->tick.exp, &lpu), 0);
      assert_int_equal(lpu % sym->tick.mant, 0);
      assert_true(lq > 0 && lpu > 0);
      if (o->ordtype == '2') { /* a limit is never traded through */
        int c = fixgw_decimal_cmp(lp, o->px);
        assert_true(o->side == '1' ? c <= 0 : c >= 0);
      }
      o->cum += lq;
      o->notional += lpu * lq;
      assert_int_equal(os, o->cum == o->qty ? '2' : '1');
    } else if (et == '4') {
      t = FIXGW_GEN_CANCELED;
      assert_int_equal(os, '4');
      assert_null(fixgw_msg_find(m, 32));
    } else {
      assert_int_equal(et, '0');
    }
    int64_t cum = get_qty(m, 14), leaves = get_qty(m, 151);
    assert_int_equal(cum, o->cum);
    assert_true(cum <= o->qty);
    assert_int_equal(leaves, et == '4' ? 0 : o->qty - cum);
    /* AvgPx: notional / cum rounded half up at 4 extra decimals. */
    fixgw_decimal_t avg, want = {0, 0};
    assert_int_equal(fixgw_msg_get_decimal(m, 6, &avg), 0);
    if (cum) {
      int64_t scaled = o->notional * 10000;
      want.mant = (scaled + cum / 2) / cum;
      want.exp = sym->tick.exp - FIXGW_GEN_AVGPX_EXTRA;
    }
    assert_int_equal(fixgw_decimal_cmp(avg, want), 0);
    if (et == '4' || (et == 'F' && o->cum == o->qty)) o->closed = 1;
  } else if (mt == 'F') {
    t = FIXGW_GEN_CANCEL_REQ;
    uint64_t ocl = id_num(m, 41, "CL"), cl = id_num(m, 11, "CL");
    assert_true(ocl < r->norders && cl < r->norders);
    model_order_t *o = &r->orders[ocl];
    assert_true(o->known && o->acked && !o->closed && o->cxl == 0);
    assert_int_equal(id_num(m, 37, "OR"), o->orderid);
    check_terms(m, o);
    assert_int_equal(get_qty(m, 38), o->qty);
    assert_false(r->orders[cl].known); /* a fresh ClOrdID */
    r->orders[cl].known = 2;          /* taken, but not an order */
    o->cxl = cl;
  } else if (mt == 'W') {
    t = FIXGW_GEN_MD_SNAPSHOT;
    fixgw_str_t s;
    assert_int_equal(fixgw_msg_get_str(m, 55, &s), 0);
    const fixgw_gen_symbol_t *sym = symbol_of(s.ptr, s.len);
    fixgw_group_t grp;
    assert_int_equal(fixgw_group_open(m, &md_layout, 0, m->nfields, 0, &grp), 0);
    assert_in_range(grp.count, cfg->md_entries_min, cfg->md_entries_max);
    fixgw_group_entry_t e;
    fixgw_decimal_t last_bid = {0, 0}, last_ask = {0, 0};
    uint32_t i = 0;
    while (fixgw_group_next(&grp, &e) == 0) {
      const fixgw_field_t *ty = fixgw_entry_find(&e, 269), *px = fixgw_entry_find(&e, 270),
                          *sz = fixgw_entry_find(&e, 271);
      assert_non_null(ty);
      assert_non_null(px);
      assert_non_null(sz);
      assert_int_equal(ty->val[0], i % 2 ? '1' : '0');
      fixgw_decimal_t p, q;
      assert_int_equal(fixgw_to_decimal(px->val, px->len, &p), 0);
      assert_int_equal(fixgw_to_decimal(sz->val, sz->len, &q), 0);
      int64_t pu;
      assert_int_equal(fixgw_decimal_to_scaled(p, -sym->tick.exp, &pu), 0);
      assert_true(pu > 0 && pu % sym->tick.mant == 0 && q.mant > 0);
      /* Levels move away from the mid. */
      if (i >= 2) {
        if (i % 2) assert_true(fixgw_decimal_cmp(p, last_ask) > 0);
        else assert_true(fixgw_decimal_cmp(p, last_bid) <= 0);
      }
      if (i % 2) last_ask = p; else last_bid = p;
      if (cfg->md_extras) {
        assert_non_null(fixgw_entry_find(&e, 272));
        assert_non_null(fixgw_entry_find(&e, 273));
        const fixgw_field_t *pos = fixgw_entry_find(&e, 290);
        assert_non_null(pos);
        int64_t pn;
        assert_int_equal(fixgw_to_int(pos->val, pos->len, &pn), 0);
        assert_int_equal(pn, i / 2 + 1);
      }
      i++;
    }
    assert_int_equal(i, grp.count);
    r->md_entries += i;
  } else if (mt == '0') {
    t = FIXGW_GEN_HEARTBEAT;
    assert_int_equal(m->nfields, 8); /* 8 9 35 49 56 34 52 10 */
  } else {
    fail_msg("unexpected MsgType %.*s", (int)m->msgtype.len, m->msgtype.ptr);
  }
  r->counts[t]++;
  return t;
}

/* Parse a whole stream; check every header and the lifecycle model. */
static void check_stream(const fixgw_gen_config_t *cfg, const char *buf, size_t n,
                         size_t nmsg, const fixgw_gen_type *types, run_t *r) {
  fixgw_parser_t p;
  fixgw_parser_config_t pc;
  fixgw_parser_config_default(&pc);
  pc.max_msg_size = 1u << 22;
  pc.max_fields = 16384; /* 160 book entries of 4 fields fit with room */
  assert_int_equal(fixgw_parser_init(&p, &pc), 0);
  memset(r, 0, sizeof *r);
  r->norders = nmsg + 2;
  r->orders = calloc(r->norders, sizeof *r->orders);
  assert_non_null(r->orders);
  size_t off = 0, i = 0;
  uint64_t seq[2] = {cfg->first_seq, cfg->first_seq};
  int64_t last_ts = cfg->start_ns;
  while (off < n) {
    fixgw_msg_t m;
    size_t used;
    fixgw_parse_error_t err;
    int rc = fixgw_parse(&p, buf + off, n - off, &used, &m, &err);
    if (rc) fail_msg("message %zu: %s at %zu tag %u", i, fixgw_strerror(rc), err.offset, err.tag);
    assert_int_equal(m.version, FIXGW_V_FIX44);
    assert_int_equal(m.fields[3].tag, 49);
    assert_int_equal(m.fields[4].tag, 56);
    assert_int_equal(m.fields[5].tag, 34);
    assert_int_equal(m.fields[6].tag, 52);
    /* Direction by type, MsgSeqNum contiguous per direction. */
    char mt = m.msgtype.ptr[0];
    unsigned dir;
    fixgw_str_t from;
    assert_int_equal(fixgw_msg_get_str(&m, 49, &from), 0);
    if (from.len == strlen(cfg->client_comp_id) &&
        memcmp(from.ptr, cfg->client_comp_id, from.len) == 0) {
      dir = 0;
      check_str(&m, 56, cfg->broker_comp_id);
      assert_true(mt == 'D' || mt == 'F' || mt == '0');
    } else {
      dir = 1;
      check_str(&m, 49, cfg->broker_comp_id);
      check_str(&m, 56, cfg->client_comp_id);
      assert_true(mt == '8' || mt == 'W' || mt == '0');
    }
    int64_t s;
    assert_int_equal(fixgw_msg_get_int(&m, 34, &s), 0);
    assert_int_equal((uint64_t)s, seq[dir]);
    seq[dir]++;
    int64_t ts;
    assert_int_equal(fixgw_msg_get_timestamp(&m, 52, &ts), 0);
    assert_true(ts >= last_ts);
    assert_true(ts - last_ts <= (int64_t)(2 * cfg->gap_ns) + 1000000);
    last_ts = ts;
    fixgw_gen_type t = check_msg(r, &m, cfg);
    if (types) assert_int_equal(t, types[i]);
    i++;
    off += used;
  }
  assert_int_equal(i, nmsg);
  fixgw_parser_destroy(&p);
}

static void test_parse_and_lifecycle(void **state) {
  (void)state;
  fixgw_gen_config_t cfg;
  fixgw_gen_config_default(&cfg);
  cfg.seed = 2024;
  cfg.first_seq = 1000;
  cfg.max_live_orders = 64; /* a small table exercises the full-table path */
  enum { N = 30000 };
  fixgw_gen_type *types = malloc(N * sizeof *types);
  size_t n;
  char *buf = gen_stream(&cfg, N, &n, types);
  run_t r;
  check_stream(&cfg, buf, n, N, types, &r);
  for (int t = 0; t < FIXGW_GEN_TYPE_COUNT; t++) assert_true(r.counts[t] > 0);
  /* Every order the model saw acked went through a real lifecycle. */
  uint64_t closed = 0;
  for (size_t i = 0; i < r.norders; i++) closed += r.orders[i].closed;
  assert_true(closed > N / 20);
  free(r.orders);
  free(buf);
  free(types);

  /* Other shapes: big books without extras, no padding, seconds,
   * one symbol, other CompIDs. */
  fixgw_gen_config_default(&cfg);
  cfg.seed = 9;
  cfg.md_entries_min = 150;
  cfg.md_entries_max = 160;
  cfg.md_extras = false;
  cfg.ts_precision = FIXGW_TS_NANOS;
  cfg.n_symbols = 1;
  cfg.client_comp_id = "DESK.A";
  cfg.broker_comp_id = "EXCH_B-01";
  buf = gen_stream(&cfg, 3000, &n, NULL);
  check_stream(&cfg, buf, n, 3000, NULL, &r);
  assert_true(r.md_entries >= 150 * r.counts[FIXGW_GEN_MD_SNAPSHOT]);
  free(r.orders);
  free(buf);
}

/* An infeasible mix (acks only) still yields a consistent lifecycle. */
static void test_infeasible_mix(void **state) {
  (void)state;
  fixgw_gen_config_t cfg;
  fixgw_gen_config_default(&cfg);
  memset(cfg.mix, 0, sizeof cfg.mix);
  cfg.mix[FIXGW_GEN_FILL] = 1;
  cfg.max_live_orders = 8;
  size_t n;
  char *buf = gen_stream(&cfg, 2000, &n, NULL);
  run_t r;
  check_stream(&cfg, buf, n, 2000, NULL, &r);
  assert_true(r.counts[FIXGW_GEN_NEW_ORDER] > 0 && r.counts[FIXGW_GEN_ACK] > 0 &&
              r.counts[FIXGW_GEN_FILL] > 0);
  assert_int_equal(r.counts[FIXGW_GEN_MD_SNAPSHOT] + r.counts[FIXGW_GEN_HEARTBEAT], 0);
  free(r.orders);
  free(buf);
}

static void test_mix(void **state) {
  (void)state;
  fixgw_gen_config_t cfg;
  fixgw_gen_config_default(&cfg);
  cfg.seed = 5;
  fixgw_gen_t g;
  assert_int_equal(fixgw_gen_init(&g, &cfg), 0);
  char *buf = malloc(fixgw_gen_max_msg_size(&g));
  enum { N = 200000 };
  for (int i = 0; i < N; i++) {
    const char *out;
    size_t len;
    assert_int_equal(fixgw_gen_next(&g, buf, fixgw_gen_max_msg_size(&g), &out, &len), 0);
  }
  uint32_t total = 0;
  for (int t = 0; t < FIXGW_GEN_TYPE_COUNT; t++) total += cfg.mix[t];
  for (int t = 0; t < FIXGW_GEN_TYPE_COUNT; t++) {
    double want = (double)cfg.mix[t] / total;
    double got = (double)g.stats.by_type[t] / N;
    /* 4 sigma of a binomial at N = 200000 is under 0.004 for every share. */
    if (got < want - 0.005 || got > want + 0.005)
      fail_msg("%s: %.4f of messages, weight share %.4f", fixgw_gen_type_name(t), got, want);
  }
  /* With ack weight == new weight the count of unacked orders is a
   * critical random walk that touches zero often; those draws are swapped
   * (and paid back, which the shares above prove), not lost. */
  assert_true(g.stats.substituted > 0 && g.stats.substituted < N / 5);
  assert_true(g.stats.live_orders < cfg.max_live_orders);
  fixgw_gen_destroy(&g);

  /* A mix without order flow has none. */
  assert_int_equal(fixgw_gen_mix_parse("md=3,heartbeat=1", cfg.mix), 0);
  assert_int_equal(fixgw_gen_init(&g, &cfg), 0);
  for (int i = 0; i < 20000; i++) {
    const char *out;
    size_t len;
    assert_int_equal(fixgw_gen_next(&g, buf, fixgw_gen_max_msg_size(&g), &out, &len), 0);
  }
  assert_int_equal(g.stats.by_type[FIXGW_GEN_MD_SNAPSHOT] + g.stats.by_type[FIXGW_GEN_HEARTBEAT],
                   20000);
  double md = (double)g.stats.by_type[FIXGW_GEN_MD_SNAPSHOT] / 20000;
  assert_true(md > 0.73 && md < 0.77);
  assert_int_equal(g.stats.substituted, 0);
  fixgw_gen_destroy(&g);
  free(buf);
}

/* Too small a buffer: ENOSPC, nothing written past cap (a PROT_NONE page
 * follows it), state unchanged so the retry gives the same bytes; the
 * exact minimum works. */
static void test_enospc_guard(void **state) {
  (void)state;
  fixgw_gen_config_t cfg;
  fixgw_gen_config_default(&cfg);
  cfg.seed = 77;
  cfg.pad_to = 300;
  fixgw_gen_t ref, g;
  assert_int_equal(fixgw_gen_init(&ref, &cfg), 0);
  assert_int_equal(fixgw_gen_init(&g, &cfg), 0);
  size_t max = fixgw_gen_max_msg_size(&ref);
  char *big = malloc(max);
  char *zeros = calloc(1, max);
  for (int i = 0; i < 400; i++) {
    const char *want;
    size_t wlen;
    assert_int_equal(fixgw_gen_next(&ref, big, max, &want, &wlen), 0);
    assert_true(wlen <= max);
    /* The encoder builds with FIXGW_ENC_HEADROOM bytes in front of the
     * body and the header takes "8=FIX.4.4|9=<digits>|" of them. */
    size_t digits = 0;
    for (size_t k = 12; big[k] != '\x01'; k++) digits++;
    size_t need = wlen + FIXGW_ENC_HEADROOM - (13 + digits);
    size_t caps[] = {0, 1, 20, wlen / 2, wlen - 1, wlen, need - 1};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
      if (caps[c] >= need) continue;
      fixgw_guard_t gb;
      char *buf = fixgw_guard_copy(&gb, zeros, caps[c]);
      const char *out;
      size_t len;
      assert_int_equal(fixgw_gen_next(&g, buf, caps[c], &out, &len), FIXGW_ENOSPC);
      fixgw_guard_free(&gb);
    }
    assert_int_equal(g.stats.messages, (uint64_t)i);
    fixgw_guard_t gb;
    char *buf = fixgw_guard_copy(&gb, zeros, need);
    const char *out;
    size_t len;
    assert_int_equal(fixgw_gen_next(&g, buf, need, &out, &len), 0);
    assert_ptr_equal(out, buf);
    assert_int_equal(len, wlen);
    assert_memory_equal(out, want, wlen);
    fixgw_guard_free(&gb);
  }
  const char *out;
  size_t len;
  assert_int_equal(fixgw_gen_next(&g, NULL, 10, &out, &len), FIXGW_EINVAL);
  assert_int_equal(fixgw_gen_next(NULL, big, max, &out, &len), FIXGW_EINVAL);
  fixgw_gen_destroy(&ref);
  fixgw_gen_destroy(&g);
  assert_int_equal(fixgw_gen_next(&g, big, max, &out, &len), FIXGW_EINVAL);
  assert_int_equal(fixgw_gen_max_msg_size(&g), 0);
  free(big);
  free(zeros);
}

static void test_zero_alloc(void **state) {
  (void)state;
  if (!fixgw_alloc_count_available()) skip();
  fixgw_gen_config_t cfg;
  fixgw_gen_config_default(&cfg);
  cfg.pad_to = 256;
  fixgw_gen_t g;
  assert_int_equal(fixgw_gen_init(&g, &cfg), 0);
  size_t max = fixgw_gen_max_msg_size(&g);
  char *buf = malloc(max);
  uint64_t before = fixgw_alloc_count_calls();
  for (int i = 0; i < 10000; i++) {
    const char *out;
    size_t len;
    if (fixgw_gen_next(&g, buf, max, &out, &len) != 0) fail();
  }
  uint64_t after = fixgw_alloc_count_calls();
  assert_int_equal(after, before);
  assert_int_equal(g.stats.messages, 10000);
  fixgw_gen_destroy(&g);
  free(buf);
}

static void test_padding(void **state) {
  (void)state;
  static const uint32_t pads[] = {180, 400, 1008, 1009, 4096};
  for (size_t k = 0; k < sizeof pads / sizeof pads[0]; k++) {
    fixgw_gen_config_t cfg;
    fixgw_gen_config_default(&cfg);
    cfg.pad_to = pads[k];
    fixgw_gen_t g;
    assert_int_equal(fixgw_gen_init(&g, &cfg), 0);
    size_t max = fixgw_gen_max_msg_size(&g);
    char *buf = malloc(max);
    fixgw_parser_t p;
    assert_int_equal(fixgw_parser_init(&p, NULL), 0);
    size_t padded = 0;
    for (int i = 0; i < 3000; i++) {
      const char *out;
      size_t len;
      assert_int_equal(fixgw_gen_next(&g, buf, max, &out, &len), 0);
      fixgw_msg_t m;
      size_t used;
      assert_int_equal(fixgw_parse(&p, out, len, &used, &m, NULL), 0);
      assert_int_equal(used, len);
      const fixgw_field_t *text = fixgw_msg_find(&m, 58);
      fixgw_gen_type t = g.last_type;
      if (t == FIXGW_GEN_MD_SNAPSHOT || t == FIXGW_GEN_HEARTBEAT) {
        assert_null(text);
        continue;
      }
      if (text) {
        assert_true(len == pads[k] || len == pads[k] + 1);
        padded++;
      } else {
        assert_true(len >= pads[k] - 4);
      }
    }
    if (pads[k] >= 400) assert_true(padded > 1000);
    fixgw_parser_destroy(&p);
    fixgw_gen_destroy(&g);
    free(buf);
  }
}

static int fail_after;
static void *failing_alloc(size_t n, void *user) {
  (void)user;
  if (fail_after-- <= 0) return NULL;
  return malloc(n);
}
static void plain_free(void *p, void *user) {
  (void)user;
  free(p);
}

static void test_config(void **state) {
  (void)state;
  fixgw_gen_t g;
  fixgw_gen_config_t cfg, bad;
  fixgw_gen_config_default(&cfg);
  assert_int_equal(fixgw_gen_init(NULL, &cfg), FIXGW_EINVAL);
  assert_int_equal(fixgw_gen_init(&g, NULL), 0);
  fixgw_gen_destroy(&g);
  fixgw_gen_destroy(&g); /* twice is fine */

#define BAD(stmt)                                              \
  do {                                                         \
    bad = cfg;                                                 \
    stmt;                                                      \
    assert_int_equal(fixgw_gen_init(&g, &bad), FIXGW_EINVAL);  \
    assert_int_equal(fixgw_gen_max_msg_size(&g), 0);           \
  } while (0)
  BAD(bad.client_comp_id = "");
  BAD(bad.client_comp_id = NULL);
  BAD(bad.broker_comp_id = "HAS SPACE");
  BAD(bad.broker_comp_id = "A234567890123456789012345678901234");
  BAD(bad.broker_comp_id = bad.client_comp_id);
  BAD(bad.first_seq = 0);
  BAD(bad.start_ns = -1);
  BAD(bad.ts_precision = (fixgw_ts_precision)2);
  BAD(bad.max_live_orders = 0);
  BAD(bad.n_symbols = fixgw_gen_symbol_count() + 1);
  BAD(bad.md_entries_min = 0);
  BAD(bad.md_entries_min = 5; bad.md_entries_max = 4);
  BAD(bad.md_entries_max = FIXGW_GEN_MD_ENTRIES_MAX + 1);
  BAD(bad.pad_to = FIXGW_GEN_PAD_MAX + 1);
  BAD(bad.mix[0] = 1000001);
#undef BAD

  /* An all-zero mix means the default one. */
  bad = cfg;
  memset(bad.mix, 0, sizeof bad.mix);
  assert_int_equal(fixgw_gen_init(&g, &bad), 0);
  fixgw_gen_destroy(&g);

  /* Every allocation failing in turn: ENOMEM and nothing leaked (ASan). */
  fixgw_allocator_t fa = {failing_alloc, plain_free, NULL};
  bad = cfg;
  bad.pad_to = 100;
  bad.allocator = &fa;
  int ok = 0;
  for (int k = 0; k < 10 && !ok; k++) {
    fail_after = k;
    int rc = fixgw_gen_init(&g, &bad);
    if (rc == 0) {
      ok = 1;
      fixgw_gen_destroy(&g);
    } else {
      assert_int_equal(rc, FIXGW_ENOMEM);
    }
  }
  assert_true(ok);

  /* Names and the textual mix. */
  assert_string_equal(fixgw_gen_type_name(FIXGW_GEN_CANCEL_REQ), "cancel_req");
  assert_string_equal(fixgw_gen_type_msgtype(FIXGW_GEN_MD_SNAPSHOT), "W");
  assert_null(fixgw_gen_type_name(FIXGW_GEN_TYPE_COUNT));
  uint32_t mix[FIXGW_GEN_TYPE_COUNT] = {0};
  assert_int_equal(fixgw_gen_mix_parse("D=20,ack=20,fill=25,F=5,canceled=5,W=20,0=5", mix), 0);
  assert_int_equal(mix[FIXGW_GEN_NEW_ORDER], 20);
  assert_int_equal(mix[FIXGW_GEN_CANCEL_REQ], 5);
  assert_int_equal(mix[FIXGW_GEN_HEARTBEAT], 5);
  static const char *const bads[] = {"", "x=1", "new=", "new=1,", "new=1,new=2", "new=0",
                                     "new=1x", "8=5", "new=2000000", "=3", "new"};
  for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
    uint32_t before[FIXGW_GEN_TYPE_COUNT];
    memcpy(before, mix, sizeof mix);
    if (fixgw_gen_mix_parse(bads[i], mix) != FIXGW_EINVAL) fail_msg("accepted \"%s\"", bads[i]);
    assert_memory_equal(before, mix, sizeof mix);
  }
  /* Symbols: exact ticks, reference prices on them. */
  for (uint32_t i = 0; i < fixgw_gen_symbol_count(); i++) {
    const fixgw_gen_symbol_t *s = fixgw_gen_symbol(i);
    assert_int_equal(s->tick.exp, s->ref_price.exp);
    assert_int_equal(s->ref_price.mant % s->tick.mant, 0);
  }
  assert_null(fixgw_gen_symbol(fixgw_gen_symbol_count()));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reproducible),   cmocka_unit_test(test_writers),
      cmocka_unit_test(test_parse_and_lifecycle), cmocka_unit_test(test_infeasible_mix),
      cmocka_unit_test(test_mix),            cmocka_unit_test(test_enospc_guard),
      cmocka_unit_test(test_zero_alloc),     cmocka_unit_test(test_padding),
      cmocka_unit_test(test_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
