/* Parser: valid messages of every kind, on every scan kernel, whole, split
 * in two at every offset, byte by byte, many per buffer, and right before
 * a guard page. */
#include <stdlib.h>
#include <string.h>

#include "codec_internal.h"
#include "fixgw/codec.h"
#include "fixmsg.h"
#include "harness.h"

typedef struct sample {
  const char *name;
  const char *bs;
  const char *body; /* '|' for SOH */
} sample_t;

static const sample_t samples[] = {
    {"NewOrderSingle", "FIX.4.4",
     "35=D|49=CLIENT01|56=BROKER01|34=1042|52=20261121-13:45:12.123456|"
     "11=ORD-000000123|1=ACC-77|21=1|55=MSFT|54=1|60=20261121-13:45:12.123|"
     "38=1500|40=2|44=412.37|59=0|"},
    {"ExecutionReport", "FIX.4.4",
     "35=8|49=BROKER01|56=CLIENT01|34=2077|52=20261121-13:45:12.125001|"
     "37=OID-55501|11=ORD-000000123|17=EXEC-9001|150=F|39=1|55=MSFT|54=1|"
     "38=1500|44=412.37|32=500|31=412.36|151=1000|14=500|6=412.36|"
     "60=20261121-13:45:12.124|58=partial fill|"},
    {"OrderCancelRequest", "FIX.4.2",
     "35=F|49=CLIENT01|56=BROKER01|34=1043|52=20261121-13:45:13|"
     "41=ORD-000000123|11=ORD-000000124|55=MSFT|54=1|38=1500|60=20261121-13:45:13|"},
    {"MarketDataSnapshot", "FIX.4.4",
     "35=W|49=VENUE|56=CLIENT01|34=77|52=20261121-13:45:14.000000001|55=EURUSD|"
     "268=4|269=0|270=1.08321|271=1000000|269=0|270=1.08320|271=2500000|"
     "269=1|270=1.08324|271=1000000|269=1|270=1.08325|271=3000000|"},
    {"Heartbeat", "FIX.4.4", "35=0|49=A|56=B|34=9|52=20261121-13:45:15|"},
    {"Logon", "FIXT.1.1",
     "35=A|49=CLIENT01|56=BROKER01|34=1|52=20261121-13:45:00|98=0|108=30|141=Y|1137=9|"},
    {"RawData", "FIX.4.0",
     "35=B|49=A|56=B|34=3|52=20261121-13:45:15|148=news|95=9|96=a\x01=b|c=\x01z|33=1|58=x|"},
    {"HighTags", "FIX.4.3",
     "35=U1|49=A|56=B|34=4|52=20261121-13:45:15|5001=custom|9999=x|20000=y|2047=edge|2048=over|"},
};
#define NSAMPLES (sizeof samples / sizeof samples[0])

typedef struct built {
  char buf[1024];
  size_t len;
  uint32_t tags[64];
  const char *vals[64]; /* into buf */
  uint32_t lens[64];
  uint32_t n;
} built_t;

/* Frame the sample and record the fields we expect, read independently:
 * values never contain SOH except in the RawData sample, handled via
 * its known length. */
static void build(const sample_t *s, built_t *b) {
  b->len = fixmsg(b->buf, sizeof b->buf, s->bs, s->body);
  assert_true(b->len > 0);
  b->n = 0;
  size_t i = 0;
  long datalen = -1;
  while (i < b->len) {
    uint32_t tag = 0;
    while (b->buf[i] != '=') tag = tag * 10 + (uint32_t)(b->buf[i++] - '0');
    i++;
    size_t v = i;
    if (tag == 96 && datalen >= 0)
      i += (size_t)datalen;
    else
      while (b->buf[i] != '\x01') i++;
    datalen = tag == 95 ? atol(b->buf + v) : -1;
    b->tags[b->n] = tag;
    b->vals[b->n] = b->buf + v;
    b->lens[b->n] = (uint32_t)(i - v);
    b->n++;
    i++;
  }
}

static void expect_fields(const built_t *b, const char *base, const fixgw_msg_t *m) {
  assert_int_equal(m->nfields, b->n);
  for (uint32_t i = 0; i < b->n; i++) {
    assert_int_equal(m->fields[i].tag, b->tags[i]);
    assert_int_equal(m->fields[i].len, b->lens[i]);
    /* Zero copy: the value points into the caller's bytes. */
    assert_ptr_equal(m->fields[i].val, base + (b->vals[i] - b->buf));
    assert_memory_equal(m->fields[i].val, b->vals[i], b->lens[i]);
  }
}

static fixgw_scan_impl kernels[4];
static int nkernels;

static int setup(void **state) {
  (void)state;
  static const fixgw_scan_impl all[] = {FIXGW_SCAN_SCALAR, FIXGW_SCAN_SSE2, FIXGW_SCAN_AVX2};
  nkernels = 0;
  for (size_t i = 0; i < 3; i++) {
    fixgw_scan_impl got;
    if (fixgw__scan_resolve(all[i], &got) == 0) kernels[nkernels++] = all[i];
  }
  assert_true(nkernels >= 1);
  return 0;
}

static void init_parser(fixgw_parser_t *p, fixgw_scan_impl k) {
  fixgw_parser_config_t c;
  fixgw_parser_config_default(&c);
  c.scan = k;
  assert_int_equal(fixgw_parser_init(p, &c), 0);
}

static void test_every_sample_every_kernel(void **state) {
  (void)state;
  for (int k = 0; k < nkernels; k++) {
    fixgw_parser_t p;
    init_parser(&p, kernels[k]);
    for (size_t s = 0; s < NSAMPLES; s++) {
      built_t b;
      build(&samples[s], &b);
      fixgw_msg_t m;
      size_t used = 99;
      fixgw_parse_error_t err;
      int rc = fixgw_parse(&p, b.buf, b.len, &used, &m, &err);
      if (rc) fail_msg("%s/%s: %s at %zu tag %u", fixgw_scan_impl_name(kernels[k]),
                       samples[s].name, fixgw_err_name(rc), err.offset, err.tag);
      assert_int_equal(used, b.len);
      assert_int_equal(m.len, b.len);
      assert_ptr_equal(m.buf, b.buf);
      expect_fields(&b, b.buf, &m);
      assert_int_equal(m.version, fixgw_version_from_string(samples[s].bs, strlen(samples[s].bs)));
      assert_int_equal(m.msgtype.len, b.lens[2]);
      assert_memory_equal(m.msgtype.ptr, b.vals[2], b.lens[2]);
    }
    assert_int_equal(p.stats.messages, NSAMPLES);
    assert_int_equal(p.stats.rejected, 0);
    fixgw_parser_destroy(&p);
  }
}

static void test_two_piece_splits(void **state) {
  (void)state;
  for (int k = 0; k < nkernels; k++) {
    fixgw_parser_t p;
    init_parser(&p, kernels[k]);
    for (size_t s = 0; s < NSAMPLES; s++) {
      built_t b;
      build(&samples[s], &b);
      for (size_t cut = 1; cut < b.len; cut++) {
        /* First piece alone, at the end of a guarded buffer. */
        fixgw_guard_t g;
        char *d = fixgw_guard_copy(&g, b.buf, cut);
        fixgw_msg_t m;
        size_t used = 99;
        assert_int_equal(fixgw_parse(&p, d, cut, &used, &m, NULL), FIXGW_EAGAIN);
        assert_int_equal(used, 0);
        fixgw_guard_free(&g);
        /* Then the whole (the host appended the rest). */
        d = fixgw_guard_copy(&g, b.buf, b.len);
        assert_int_equal(fixgw_parse(&p, d, b.len, &used, &m, NULL), 0);
        assert_int_equal(used, b.len);
        expect_fields(&b, d, &m);
        fixgw_guard_free(&g);
      }
    }
    fixgw_parser_destroy(&p);
  }
}

static void test_byte_by_byte(void **state) {
  (void)state;
  fixgw_parser_t p;
  init_parser(&p, FIXGW_SCAN_AUTO);
  for (size_t s = 0; s < NSAMPLES; s++) {
    built_t b;
    build(&samples[s], &b);
    fixgw_msg_t m;
    size_t used;
    int rc = FIXGW_EAGAIN;
    size_t have = 0;
    while (rc == FIXGW_EAGAIN) {
      assert_true(have < b.len);
      have++;
      rc = fixgw_parse(&p, b.buf, have, &used, &m, NULL);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(have, b.len);
    expect_fields(&b, b.buf, &m);
  }
  fixgw_parser_destroy(&p);
}

static void test_many_in_one_buffer(void **state) {
  (void)state;
  static char stream[32768];
  size_t off[NSAMPLES * 5], total = 0;
  built_t b[NSAMPLES];
  for (size_t s = 0; s < NSAMPLES; s++) build(&samples[s], &b[s]);
  for (size_t r = 0; r < 5; r++)
    for (size_t s = 0; s < NSAMPLES; s++) {
      off[r * NSAMPLES + s] = total;
      memcpy(stream + total, b[s].buf, b[s].len);
      total += b[s].len;
    }
  for (int k = 0; k < nkernels; k++) {
    fixgw_parser_t p;
    init_parser(&p, kernels[k]);
    fixgw_guard_t g;
    char *d = fixgw_guard_copy(&g, stream, total);
    size_t at = 0, i = 0;
    while (at < total) {
      fixgw_msg_t m;
      size_t used;
      assert_int_equal(fixgw_parse(&p, d + at, total - at, &used, &m, NULL), 0);
      assert_int_equal(at, off[i]);
      expect_fields(&b[i % NSAMPLES], d + at, &m);
      at += used;
      i++;
    }
    assert_int_equal(i, NSAMPLES * 5);
    assert_int_equal(p.stats.bytes_ok, total);
    fixgw_guard_free(&g);
    fixgw_parser_destroy(&p);
  }
}

/* A message delivered over many reads into a compacting host buffer. */
static void test_across_many_reads(void **state) {
  (void)state;
  built_t b[NSAMPLES];
  static char stream[16384];
  size_t total = 0;
  for (size_t s = 0; s < NSAMPLES; s++) {
    build(&samples[s], &b[s]);
    memcpy(stream + total, b[s].buf, b[s].len);
    total += b[s].len;
  }
  for (size_t chunk = 1; chunk <= 37; chunk += 3) {
    fixgw_parser_t p;
    init_parser(&p, FIXGW_SCAN_AUTO);
    char hostbuf[4096];
    size_t have = 0, fed = 0, got = 0;
    while (fed < total || have) {
      size_t n = total - fed < chunk ? total - fed : chunk;
      memcpy(hostbuf + have, stream + fed, n);
      have += n;
      fed += n;
      for (;;) {
        fixgw_msg_t m;
        size_t used;
        int rc = fixgw_parse(&p, hostbuf, have, &used, &m, NULL);
        if (rc == FIXGW_EAGAIN) break;
        assert_int_equal(rc, 0);
        expect_fields(&b[got], hostbuf, &m);
        got++;
        memmove(hostbuf, hostbuf + used, have - used);
        have -= used;
      }
      if (fed == total && have) fail_msg("bytes left over: %zu", have);
    }
    assert_int_equal(got, NSAMPLES);
    fixgw_parser_destroy(&p);
  }
}

static void test_find_and_repeats(void **state) {
  (void)state;
  fixgw_parser_t p;
  init_parser(&p, FIXGW_SCAN_AUTO);
  built_t w, h;
  build(&samples[3], &w); /* MarketDataSnapshot: 269/270/271 repeat */
  build(&samples[7], &h); /* HighTags */
  fixgw_msg_t m;
  size_t used;
  assert_int_equal(fixgw_parse(&p, w.buf, w.len, &used, &m, NULL), 0);
  const fixgw_field_t *f = fixgw_msg_find(&m, 270);
  assert_non_null(f);
  assert_memory_equal(f->val, "1.08321", 7); /* first occurrence */
  assert_int_equal(m.repeats, 9);            /* 3 more of each of 269/270/271 */
  assert_null(fixgw_msg_find(&m, 44));
  assert_null(fixgw_msg_find(&m, 0));
  assert_null(fixgw_msg_find(&m, 123456));
  fixgw_str_t sym;
  assert_int_equal(fixgw_msg_get_str(&m, 55, &sym), 0);
  assert_int_equal(sym.len, 6);
  assert_memory_equal(sym.ptr, "EURUSD", 6);
  /* The next parse replaces the index: tags of the old message vanish. */
  assert_int_equal(fixgw_parse(&p, h.buf, h.len, &used, &m, NULL), 0);
  assert_null(fixgw_msg_find(&m, 270));
  assert_int_equal(m.repeats, 0);
  const char *want[][2] = {{"5001", "custom"}, {"9999", "x"}, {"20000", "y"},
                           {"2047", "edge"},   {"2048", "over"}};
  for (size_t i = 0; i < 5; i++) {
    f = fixgw_msg_find(&m, (uint32_t)atoi(want[i][0]));
    assert_non_null(f);
    assert_int_equal(f->len, strlen(want[i][1]));
    assert_memory_equal(f->val, want[i][1], f->len);
  }
  uint64_t seq;
  assert_int_equal(fixgw_msg_get_uint(&m, 34, &seq), 0);
  assert_int_equal(seq, 4);
  assert_int_equal(fixgw_msg_get_uint(&m, 49, &seq), FIXGW_EFORMAT);
  assert_int_equal(fixgw_msg_get_uint(&m, 38, &seq), FIXGW_ENOTFOUND);
  /* What a failed string or char read leaves behind. */
  fixgw_str_t s = {"x", 1};
  assert_int_equal(fixgw_msg_get_str(&m, 38, &s), FIXGW_ENOTFOUND);
  assert_null(s.ptr);
  assert_int_equal(s.len, 0);
  char c = 'x';
  assert_int_equal(fixgw_msg_get_char(&m, 38, &c), FIXGW_ENOTFOUND);
  assert_int_equal(c, '\0');
  c = 'x';
  assert_int_equal(fixgw_msg_get_char(&m, 5001, &c), FIXGW_EFORMAT); /* "custom" */
  assert_int_equal(c, '\0');
  assert_int_equal(fixgw_msg_get_char(&m, 5001, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_msg_get_char(&m, 38, NULL), FIXGW_ENOTFOUND);
  fixgw_parser_destroy(&p);
}

/* The generation counter wraps after 65535 messages; stale entries must
 * never be taken for fresh ones. */
static void test_generation_wrap(void **state) {
  (void)state;
  fixgw_parser_t p;
  init_parser(&p, FIXGW_SCAN_AUTO);
  built_t a, h;
  build(&samples[0], &a); /* has 44 */
  build(&samples[4], &h); /* has no 44 */
  fixgw_msg_t m;
  size_t used;
  assert_int_equal(fixgw_parse(&p, a.buf, a.len, &used, &m, NULL), 0);
  for (int i = 0; i < 70000; i++) {
    assert_int_equal(fixgw_parse(&p, h.buf, h.len, &used, &m, NULL), 0);
    if (fixgw_msg_find(&m, 44)) fail_msg("stale tag 44 seen at message %d", i);
    assert_non_null(fixgw_msg_find(&m, 49));
  }
  fixgw_parser_destroy(&p);
}

static void test_custom_data_pairs(void **state) {
  (void)state;
  /* A venue's data pair above the direct table, listed unsorted. */
  static const fixgw_data_pair_t pairs[] = {{5000, 5001}, {95, 96}};
  fixgw_parser_config_t c;
  fixgw_parser_config_default(&c);
  c.data_pairs = pairs;
  c.n_data_pairs = 2;
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, &c), 0);
  char buf[512];
  size_t n = fixmsg(buf, sizeof buf, "FIX.4.4", "35=U|49=A|5000=5|5001=x|y=z|58=t|");
  fixgw_msg_t m;
  size_t used;
  assert_int_equal(fixgw_parse(&p, buf, n, &used, &m, NULL), 0);
  const fixgw_field_t *f = fixgw_msg_find(&m, 5001);
  assert_non_null(f);
  assert_int_equal(f->len, 5);
  assert_memory_equal(f->val, "x\x01y=z", 5);
  assert_non_null(fixgw_msg_find(&m, 58));
  fixgw_parser_destroy(&p);
  /* Duplicate length tags in a user table are refused at init. */
  static const fixgw_data_pair_t dup[] = {{5000, 5001}, {95, 96}, {5000, 5002}};
  c.data_pairs = dup;
  c.n_data_pairs = 3;
  assert_int_equal(fixgw_parser_init(&p, &c), FIXGW_EINVAL);
  fixgw_parser_destroy(&p);
}

/* A length field announces only the field right after it: a length
 * field followed by another length field hands over to the second; one
 * followed by any other field is forgotten, so its data tag later is an
 * ordinary field, read up to its SOH. */
static void test_data_only_right_after_length(void **state) {
  (void)state;
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  char buf[512];
  size_t n = fixmsg(buf, sizeof buf, "FIX.4.4",
                    "35=B|49=A|95=4|93=3|89=a\x01" "b|58=y|96=zz|212=2|213=\x01\x01|354=1|");
  fixgw_msg_t m;
  size_t used;
  assert_int_equal(fixgw_parse(&p, buf, n, &used, &m, NULL), 0);
  static const struct {
    uint32_t tag;
    const char *val;
    uint32_t len;
  } want[] = {{35, "B", 1},     {49, "A", 1},  {95, "4", 1},  {93, "3", 1},
              {89, "a\x01" "b", 3}, {58, "y", 1},  {96, "zz", 2}, {212, "2", 1},
              {213, "\x01\x01", 2}, {354, "1", 1}};
  assert_int_equal(m.nfields, 2 + sizeof want / sizeof want[0] + 1);
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    const fixgw_field_t *f = &m.fields[2 + k];
    assert_int_equal(f->tag, want[k].tag);
    assert_int_equal(f->len, want[k].len);
    assert_memory_equal(f->val, want[k].val, want[k].len);
  }
  /* A length field last in the body: nothing follows it to be data. */
  n = fixmsg(buf, sizeof buf, "FIX.4.4", "35=B|49=A|95=4|");
  assert_int_equal(fixgw_parse(&p, buf, n, &used, &m, NULL), 0);
  assert_int_equal(m.fields[m.nfields - 2].tag, 95);
  fixgw_parser_destroy(&p);
}

static void test_versions_and_config(void **state) {
  (void)state;
  fixgw_parser_config_t c;
  fixgw_parser_config_default(&c);
  c.versions = 1u << FIXGW_V_FIX44;
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, &c), 0);
  char buf[512];
  size_t n = fixmsg(buf, sizeof buf, "FIX.4.2", "35=0|49=A|");
  fixgw_msg_t m;
  size_t used;
  fixgw_parse_error_t err;
  assert_int_equal(fixgw_parse(&p, buf, n, &used, &m, &err), FIXGW_EBEGINSTRING);
  assert_int_equal(err.tag, 8);
  assert_true(used >= 1);
  fixgw_parser_destroy(&p);
  for (unsigned v = 1; v < FIXGW_V_COUNT_; v++) {
    const char *s = fixgw_version_string((fixgw_version)v);
    assert_int_equal(fixgw_version_from_string(s, strlen(s)), v);
  }
  assert_null(fixgw_version_string(FIXGW_V_UNKNOWN));
  assert_int_equal(fixgw_version_from_string("FIX.5.0", 7), FIXGW_V_UNKNOWN);

  /* Out-of-range configs are refused, not clamped. */
  fixgw_parser_config_default(&c);
  c.max_fields = 70000;
  assert_int_equal(fixgw_parser_init(&p, &c), FIXGW_EINVAL);
  fixgw_parser_config_default(&c);
  c.max_msg_size = 8;
  assert_int_equal(fixgw_parser_init(&p, &c), FIXGW_EINVAL);
  fixgw_parser_config_default(&c);
  c.scan = (fixgw_scan_impl)42;
  assert_int_equal(fixgw_parser_init(&p, &c), FIXGW_ENOTSUP);
  assert_int_equal(fixgw_parse(NULL, buf, n, &used, &m, NULL), FIXGW_EINVAL);
  fixgw_parser_destroy(&p);
}

/* max_fields at its edge, with the shortest fields there are ("1=a"
 * SOH): a body that cannot fill the field array is walked without the
 * per-field test, so the message of exactly max_fields fields (where that
 * bound is tight) must pass and one more field must be refused, whether
 * the last field takes the common path or the general one (a nine-digit
 * tag). Under ASan a write past the array fails here. */
static void test_max_fields_edge(void **state) {
  (void)state;
  static char body[4096], msg[4200];
  for (uint32_t maxf = 4; maxf <= 40; maxf++) {
    fixgw_parser_config_t c;
    fixgw_parser_config_default(&c);
    c.max_fields = maxf;
    fixgw_parser_t p;
    assert_int_equal(fixgw_parser_init(&p, &c), 0);
    for (uint32_t k = 1; k <= maxf; k++) {    /* body fields, MsgType first */
      for (int general = 0; general < 2; general++) {
        if (general && k < 2) continue;
        size_t n = (size_t)sprintf(body, "35=0|");
        for (uint32_t i = 1; i < k; i++)
          n += (size_t)sprintf(body + n, "%s", general && i == k - 1 ? "123456789=a|" : "1=a|");
        size_t len = fixmsg(msg, sizeof msg, "FIX.4.4", body);
        assert_true(len > 0);
        fixgw_msg_t m;
        size_t used;
        fixgw_parse_error_t err;
        int rc = fixgw_parse(&p, msg, len, &used, &m, &err);
        if (k + 3 <= maxf) {
          assert_int_equal(rc, 0);
          assert_int_equal(m.nfields, k + 3);
          assert_int_equal(m.repeats, k > 2 ? k - 2 - (uint32_t)general : 0);
          assert_int_equal(m.fields[m.nfields - 1].tag, 10);
        } else {
          assert_int_equal(rc, FIXGW_ETOOMANYFIELDS);
          assert_int_equal(used, len);
        }
      }
    }
    fixgw_parser_destroy(&p);
  }
}

/* Every kernel agrees with a byte loop on masks and sums, for every
 * length and both tail paths (readable slack, or the buffer's very end). */
static void test_kernels_agree(void **state) {
  (void)state;
  static char src[512];
  uint64_t seed = 0x9E3779B97F4A7C15ULL;
  for (size_t i = 0; i < sizeof src; i++) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    src[i] = (seed & 3) == 0 ? '\x01' : (char)(seed >> 24);
  }
  for (size_t n = 0; n <= 300; n++) {
    uint64_t ref_mask[8] = {0};
    uint64_t ref_sum = 0;
    for (size_t i = 0; i < n; i++) {
      ref_sum += (unsigned char)src[i];
      if (src[i] == '\x01') ref_mask[i / 64] |= 1ULL << (i % 64);
    }
    for (int k = 0; k < nkernels; k++) {
      fixgw__scan_fn fn = fixgw__scan_get(kernels[k]);
      for (int slack = 0; slack < 2; slack++) {
        fixgw_guard_t g;
        size_t avail = slack ? n + 64 : n;
        char *d = fixgw_guard_copy(&g, src, avail);
        uint64_t mask[8];
        memset(mask, 0xAA, sizeof mask);
        uint64_t sum = fn(d, n, avail, mask);
        assert_int_equal(sum & 0xFF, ref_sum & 0xFF);
        for (size_t w = 0; w < (n + 63) / 64; w++) assert_int_equal(mask[w], ref_mask[w]);
        fixgw_guard_free(&g);
      }
    }
    for (int k = 0; k < nkernels; k++)
      assert_int_equal(fixgw__sum(kernels[k], src, n) & 0xFF, ref_sum & 0xFF);
  }
}

/* The tag cache remembers validated "tag=" prefixes. Tags that are
 * prefixes of one another, 7-digit tags and shifting field orders must all
 * come out exactly, through one warm parser, message after message. */
static void test_tag_cache_prefixes(void **state) {
  (void)state;
  static const char *bodies[] = {
      "35=U|44=1|448=2|4488=3|1=4|12=5|123=6|1234=7|12345=8|1234567=9|",
      "35=U|1234567=9|12345=8|1234=7|123=6|12=5|1=4|4488=3|448=2|44=1|",
      "35=U|448=2|44=1|1=44|12=448|4488=3|123=1=2|",
  };
  built_t b[3];
  for (int i = 0; i < 3; i++) build(&(sample_t){"cache", "FIX.4.4", bodies[i]}, &b[i]);
  fixgw_parser_t p;
  init_parser(&p, FIXGW_SCAN_AUTO);
  for (int round = 0; round < 300; round++) {
    const built_t *x = &b[(round * 7) % 3];
    fixgw_msg_t m;
    size_t used;
    assert_int_equal(fixgw_parse(&p, x->buf, x->len, &used, &m, NULL), 0);
    expect_fields(x, x->buf, &m);
  }
  /* A cached prefix does not excuse what follows it: an empty value after
   * a tag the cache knows is still refused. */
  char bad[256];
  size_t n = fixmsg(bad, sizeof bad, "FIX.4.4", "35=U|448=|");
  fixgw_msg_t m;
  size_t used;
  fixgw_parse_error_t err;
  assert_int_equal(fixgw_parse(&p, bad, n, &used, &m, &err), FIXGW_EEMPTYVALUE);
  assert_int_equal(err.tag, 448);
  fixgw_parser_destroy(&p);
}

/* Parser init through an allocator that fails its Nth call, for every N
 * until init succeeds: each failure is FIXGW_ENOMEM with nothing left
 * allocated, and the parser's own allocations all go through it. */
typedef struct failing {
  int calls, fail_at, live;
} failing_t;

static void *f_alloc(size_t n, void *user) {
  failing_t *f = user;
  if (++f->calls == f->fail_at) return NULL;
  void *p = malloc(n);
  if (p) f->live++;
  return p;
}

static void f_free(void *p, void *user) {
  failing_t *f = user;
  if (p) f->live--;
  free(p);
}

static void test_init_failing_allocator(void **state) {
  (void)state;
  int n = 1;
  for (;; n++) {
    failing_t f = {0, n, 0};
    fixgw_allocator_t a = {f_alloc, f_free, &f};
    fixgw_parser_config_t c;
    fixgw_parser_config_default(&c);
    c.allocator = &a;
    fixgw_parser_t p;
    int rc = fixgw_parser_init(&p, &c);
    if (rc == 0) {
      assert_true(f.live > 0);
      fixgw_parser_destroy(&p);
      assert_int_equal(f.live, 0);
      break;
    }
    assert_int_equal(rc, FIXGW_ENOMEM);
    assert_int_equal(f.live, 0);
    fixgw_parser_destroy(&p); /* safe after a failed init */
    assert_true(n < 64);
  }
  assert_true(n > 1); /* init allocates, so some N failed */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_init_failing_allocator),
      cmocka_unit_test(test_tag_cache_prefixes),
      cmocka_unit_test(test_every_sample_every_kernel),
      cmocka_unit_test(test_two_piece_splits),
      cmocka_unit_test(test_byte_by_byte),
      cmocka_unit_test(test_many_in_one_buffer),
      cmocka_unit_test(test_across_many_reads),
      cmocka_unit_test(test_find_and_repeats),
      cmocka_unit_test(test_generation_wrap),
      cmocka_unit_test(test_custom_data_pairs),
      cmocka_unit_test(test_data_only_right_after_length),
      cmocka_unit_test(test_versions_and_config),
      cmocka_unit_test(test_kernels_agree),
      cmocka_unit_test(test_max_fields_edge),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
