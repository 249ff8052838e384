/* Acceptor routing: fixgw_route_peek() on real and hostile first
 * messages (every input on a guard page, so an over-read faults), and the
 * router: exact sessions, templates, bounds, allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/codec.h"
#include "fixgw/router.h"
#include "fixgw/session.h"
#include "harness.h"

/* ------------------------------------------------------------ helpers */

/* "8=<bs>|9=<n>|<body>|10=<cs>|" with '|' as SOH; BodyLength and CheckSum
 * computed here, not by the library. body must end with '|'. */
static size_t frame(char *out, size_t cap, const char *bs, const char *body) {
  size_t n = strlen(body);
  int h = snprintf(out, cap, "8=%s\x01" "9=%zu\x01", bs, n);
  assert_true(h > 0 && (size_t)h + n + 8 <= cap);
  for (size_t i = 0; i < n; i++) out[h + i] = body[i] == '|' ? '\x01' : body[i];
  unsigned sum = 0;
  for (size_t i = 0; i < (size_t)h + n; i++) sum += (unsigned char)out[i];
  snprintf(out + h + n, cap - (size_t)h - n, "10=%03u\x01", sum % 256);
  return (size_t)h + n + 7;
}

static void assert_view(fixgw_str_t v, const char *want) {
  size_t n = strlen(want);
  if (v.len != n || (n && memcmp(v.ptr, want, n) != 0))
    fail_msg("view \"%.*s\" != \"%s\"", (int)v.len, v.ptr ? v.ptr : "", want);
  assert_non_null(v.ptr);
}

static fixgw_str_t sv(const char *s) {
  fixgw_str_t v = {s, strlen(s)};
  return v;
}

/* A key as a peek would give it, from our side. */
static fixgw_route_key_t mk_key(fixgw_version ver, const char *s, const char *ss,
                                const char *sl, const char *t, const char *ts,
                                const char *tl) {
  fixgw_route_key_t k;
  k.version = ver;
  k.sender_comp_id = sv(s);
  k.sender_sub_id = sv(ss);
  k.sender_location_id = sv(sl);
  k.target_comp_id = sv(t);
  k.target_sub_id = sv(ts);
  k.target_location_id = sv(tl);
  k.msgtype = sv("A");
  return k;
}

static fixgw_session_id_t mk_id(fixgw_version ver, const char *s, const char *ss,
                                const char *sl, const char *t, const char *ts,
                                const char *tl) {
  fixgw_session_id_t id;
  memset(&id, 0, sizeof id);
  id.version = ver;
  snprintf(id.sender_comp_id, sizeof id.sender_comp_id, "%s", s);
  snprintf(id.sender_sub_id, sizeof id.sender_sub_id, "%s", ss);
  snprintf(id.sender_location_id, sizeof id.sender_location_id, "%s", sl);
  snprintf(id.target_comp_id, sizeof id.target_comp_id, "%s", t);
  snprintf(id.target_sub_id, sizeof id.target_sub_id, "%s", ts);
  snprintf(id.target_location_id, sizeof id.target_location_id, "%s", tl);
  return id;
}

static int peek_guarded(const char *p, size_t n, size_t limit, fixgw_route_key_t *k,
                        fixgw_guard_t *g) {
  char *b = fixgw_guard_copy(g, p, n);
  return fixgw_route_peek(b, n, limit, k);
}

static void assert_key_strings(const fixgw_route_key_t *a, const fixgw_route_key_t *b) {
  assert_int_equal(a->version, b->version);
  const fixgw_str_t x[] = {a->sender_comp_id, a->sender_sub_id, a->sender_location_id,
                           a->target_comp_id, a->target_sub_id, a->target_location_id,
                           a->msgtype};
  const fixgw_str_t y[] = {b->sender_comp_id, b->sender_sub_id, b->sender_location_id,
                           b->target_comp_id, b->target_sub_id, b->target_location_id,
                           b->msgtype};
  for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) {
    assert_int_equal(x[i].len, y[i].len);
    if (x[i].len) assert_memory_equal(x[i].ptr, y[i].ptr, x[i].len);
  }
}

/* ------------------------------------------------------------- logons */

typedef struct logon_case {
  const char *bs;
  const char *body;
  fixgw_version ver;
  /* our side: sender/sub/loc, target/sub/loc */
  const char *s, *ss, *sl, *t, *ts, *tl;
  /* The peek answers once the bytes up to the end of this substring are
   * in (the first body field's "tag=", or the last wanted field). */
  const char *ready;
} logon_case_t;

static const logon_case_t logons[] = {
    {"FIX.4.2", "35=A|49=CLIENT1|56=BANK|34=1|52=20261121-13:45:12|98=0|108=30|",
     FIXGW_V_FIX42, "BANK", "", "", "CLIENT1", "", "", "|98="},
    {"FIX.4.2",
     "35=A|49=CLIENT1|56=BANK|50=TRADER|57=DESK|142=LDN|143=NY|34=1|52=20261121-13:45:12|98=0|108=30|",
     FIXGW_V_FIX42, "BANK", "DESK", "NY", "CLIENT1", "TRADER", "LDN", "|143=NY|"},
    {"FIX.4.4", "35=A|49=CLIENT1|56=BANK|34=1|52=20261121-13:45:12.123|98=0|108=30|141=Y|",
     FIXGW_V_FIX44, "BANK", "", "", "CLIENT1", "", "", "|98="},
    /* QuickFIX's order: 34, 49, 52, 56 and so on, ascending. */
    {"FIX.4.4",
     "35=A|34=1|49=CLIENT1|50=TRADER|52=20261121-13:45:12.123|56=BANK|57=DESK|98=0|108=30|",
     FIXGW_V_FIX44, "BANK", "DESK", "", "CLIENT1", "TRADER", "", "|98="},
    {"FIX.4.4",
     "35=A|49=CLIENT1|142=LDN|56=BANK|143=NY|34=1|52=20261121-13:45:12.123|98=0|108=30|",
     FIXGW_V_FIX44, "BANK", "", "NY", "CLIENT1", "", "LDN", "|98="},
    {"FIXT.1.1",
     "35=A|49=CLIENT1|56=BANK|34=1|52=20261121-13:45:12.123|1128=9|98=0|108=30|1137=9|",
     FIXGW_V_FIXT11, "BANK", "", "", "CLIENT1", "", "", "|98="},
    {"FIXT.1.1",
     "35=A|34=1|49=CLIENT1|50=T1|52=20261121-13:45:12.123|56=BANK|57=D1|142=L1|143=L2|98=0|108=30|1137=9|",
     FIXGW_V_FIXT11, "BANK", "D1", "L2", "CLIENT1", "T1", "L1", "|143=L2|"},
};

static size_t ready_at(const char *msg, size_t len, const char *ready) {
  size_t n;
  const char *r = fixgw_t_soh(ready, &n);
  for (size_t i = 0; i + n <= len; i++)
    if (memcmp(msg + i, r, n) == 0) return i + n;
  fail_msg("marker %s not found", ready);
  return 0;
}

static void test_peek_logons(void **state) {
  (void)state;
  fixgw_parser_t p;
  assert_int_equal(fixgw_parser_init(&p, NULL), 0);
  for (size_t c = 0; c < sizeof logons / sizeof logons[0]; c++) {
    const logon_case_t *lc = &logons[c];
    char msg[1024];
    size_t len = frame(msg, sizeof msg, lc->bs, lc->body);
    /* A real message: the full parser accepts it. */
    fixgw_msg_t m;
    size_t used;
    assert_int_equal(fixgw_parse(&p, msg, len, &used, &m, NULL), 0);
    assert_int_equal(used, len);

    fixgw_guard_t g;
    fixgw_route_key_t k;
    assert_int_equal(peek_guarded(msg, len, 0, &k, &g), 0);
    assert_int_equal(k.version, lc->ver);
    assert_view(k.sender_comp_id, lc->s);
    assert_view(k.sender_sub_id, lc->ss);
    assert_view(k.sender_location_id, lc->sl);
    assert_view(k.target_comp_id, lc->t);
    assert_view(k.target_sub_id, lc->ts);
    assert_view(k.target_location_id, lc->tl);
    assert_view(k.msgtype, "A");
    /* Reversed against what the parser read. */
    fixgw_str_t s49, s56;
    assert_int_equal(fixgw_msg_get_str(&m, 49, &s49), 0);
    assert_int_equal(fixgw_msg_get_str(&m, 56, &s56), 0);
    assert_int_equal(k.target_comp_id.len, s49.len);
    assert_memory_equal(k.target_comp_id.ptr, s49.ptr, s49.len);
    assert_int_equal(k.sender_comp_id.len, s56.len);
    assert_memory_equal(k.sender_comp_id.ptr, s56.ptr, s56.len);
    /* Views into the caller's bytes, nothing consumed or changed. */
    assert_true(k.sender_comp_id.ptr > g.data && k.sender_comp_id.ptr < g.data + len);
    assert_memory_equal(g.data, msg, len);
    fixgw_guard_free(&g);
  }
  fixgw_parser_destroy(&p);
}

/* Every prefix of every Logon, alone on a guard page: EAGAIN until the
 * header is in, then 0 with the whole message's key. */
static void test_peek_every_prefix(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof logons / sizeof logons[0]; c++) {
    const logon_case_t *lc = &logons[c];
    char msg[1024];
    size_t len = frame(msg, sizeof msg, lc->bs, lc->body);
    size_t ready = ready_at(msg, len, lc->ready);
    fixgw_guard_t g, gfull;
    fixgw_route_key_t full; /* views into gfull, kept to the end */
    assert_int_equal(peek_guarded(msg, len, 0, &full, &gfull), 0);
    for (size_t l = 0; l <= len; l++) {
      fixgw_route_key_t k;
      int rc = peek_guarded(msg, l, 0, &k, &g);
      if (l < ready) {
        if (rc != FIXGW_EAGAIN) fail_msg("case %zu prefix %zu: %s", c, l, fixgw_err_name(rc));
        assert_int_equal(k.sender_comp_id.len, 0); /* cleared */
      } else {
        if (rc != 0) fail_msg("case %zu prefix %zu: %s", c, l, fixgw_err_name(rc));
        assert_key_strings(&k, &full);
      }
      fixgw_guard_free(&g);
    }
    /* The limit instead of the end of the bytes: only the first limit
     * bytes exist behind buf while len claims the whole message, so a
     * read past the limit faults. */
    for (size_t l = 1; l <= len; l++) {
      fixgw_route_key_t k;
      char *b = fixgw_guard_copy(&g, msg, l);
      int rc = fixgw_route_peek(b, len, l, &k);
      if (l < ready) {
        if (rc != FIXGW_ETOOBIG) fail_msg("case %zu limit %zu: %s", c, l, fixgw_err_name(rc));
      } else {
        if (rc != 0) fail_msg("case %zu limit %zu: %s", c, l, fixgw_err_name(rc));
        assert_key_strings(&k, &full);
      }
      fixgw_guard_free(&g);
    }
    fixgw_guard_free(&gfull);
  }
}

/* ------------------------------------------------------------ hostile */

typedef struct bad_case {
  const char *in; /* '|' is SOH */
  size_t limit;
  int rc;
} bad_case_t;

static const bad_case_t bad[] = {
    {"", 0, FIXGW_EAGAIN},
    {"G", 0, FIXGW_EBEGINSTRING},
    {"GET / HTTP/1.1\r\nHost: example\r\n\r\n", 0, FIXGW_EBEGINSTRING},
    {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0, FIXGW_EBEGINSTRING}, /* TLS hello */
    {"8", 0, FIXGW_EAGAIN},
    {"8=FI", 0, FIXGW_EAGAIN},
    {"8=FIX", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4", 0, FIXGW_EAGAIN},
    {"8=FIXT.1.", 0, FIXGW_EAGAIN},
    {"8=fix.4.4|", 0, FIXGW_EBEGINSTRING},
    {"8=FIX junk and more junk", 0, FIXGW_EBEGINSTRING},
    {"8=FIXjunk", 0, FIXGW_EBEGINSTRING},
    {"8=FIX.4.9|9=5|35=A|", 0, FIXGW_EBEGINSTRING},
    {"8=FIX.5.0|9=5|35=A|", 0, FIXGW_EBEGINSTRING},
    {"8=FIX.4.4.4.4.4.4", 0, FIXGW_EBEGINSTRING},
    {"8=FIX.4.4X", 0, FIXGW_EBEGINSTRING},
    {"9=12|8=FIX.4.4|", 0, FIXGW_EBEGINSTRING},
    {" 8=FIX.4.4|", 0, FIXGW_EBEGINSTRING},
    /* BodyLength */
    {"8=FIX.4.4|", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4|9", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4|9=123", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4|10=123|", 0, FIXGW_EBODYLENGTH},
    {"8=FIX.4.4|35=A|", 0, FIXGW_EBODYLENGTH},
    {"8=FIX.4.4|9:12|", 0, FIXGW_EBODYLENGTH},
    {"8=FIX.4.4|9=abc|35=A|", 0, FIXGW_EBODYLENGTH},
    {"8=FIX.4.4|9=12a|35=A|", 0, FIXGW_EBODYLENGTH},
    {"8=FIX.4.4|9=|35=A|", 0, FIXGW_EBODYLENGTH},
    {"8=FIX.4.4|9=0|35=A|", 0, FIXGW_EBODYLENGTH},
    {"8=FIX.4.4|9=000|35=A|", 0, FIXGW_EBODYLENGTH},
    {"8=FIX.4.4|9=012|35=A|", 0, FIXGW_EAGAIN}, /* leading zeros are a Length */
    {"8=FIX.4.4|9=-5|35=A|", 0, FIXGW_EBODYLENGTH},
    {"8=FIX.4.4|9=1234567890123456|35=A|", 0, FIXGW_EBODYLENGTH},
    {"8=FIX.4.4|9=1234567890123456", 0, FIXGW_EBODYLENGTH},
    /* MsgType third */
    {"8=FIX.4.4|9=500|49=A|56=B|35=A|", 0, FIXGW_EMSGTYPE},
    {"8=FIX.4.4|9=500|34=1|", 0, FIXGW_EMSGTYPE},
    {"8=FIX.4.4|9=500|3", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4|9=500|35", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4|9=500|35=", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4|9=500|35=|", 0, FIXGW_EEMPTYVALUE},
    {"8=FIX.4.4|9=500|35|", 0, FIXGW_ENOEQUALS},
    {"8=FIX.4.4|9=500|x=A|", 0, FIXGW_ETAG},
    {"8=FIX.4.4|9=500|035=A|", 0, FIXGW_ETAG},
    {"8=FIX.4.4|9=500|=A|", 0, FIXGW_ETAG},
    {"8=FIX.4.4|9=500||", 0, FIXGW_ETAG},
    /* Header fields */
    {"8=FIX.4.4|9=500|35=A|49=|56=B|", 0, FIXGW_EEMPTYVALUE},
    {"8=FIX.4.4|9=500|35=A|49|56=B|", 0, FIXGW_ENOEQUALS},
    {"8=FIX.4.4|9=500|35=A|4x9=C|56=B|", 0, FIXGW_ETAG},
    {"8=FIX.4.4|9=500|35=A|0049=C|56=B|", 0, FIXGW_ETAG},
    {"8=FIX.4.4|9=500|35=A|1234567890=C|56=B|", 0, FIXGW_ETAG},
    {"8=FIX.4.4|9=500|35=A|49=C|56=B", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4|9=500|35=A|49=C|56=B|9", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4|9=500|35=A|49=C|56=B|98", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4|9=500|35=A|49=C|56=B|98=", 0, 0},
    /* The header is over without 49 or 56. */
    {"8=FIX.4.4|9=500|35=A|56=BANK|34=1|98=0|108=30|", 0, FIXGW_ENOTFOUND},
    {"8=FIX.4.4|9=500|35=A|49=CLIENT1|34=1|98=0|108=30|", 0, FIXGW_ENOTFOUND},
    {"8=FIX.4.4|9=500|35=A|98=0|49=CLIENT1|56=BANK|", 0, FIXGW_ENOTFOUND},
    {"8=FIX.4.4|9=500|35=A|10=000|", 0, FIXGW_ENOTFOUND},
    /* The message ends (BodyLength) inside the header. */
    {"8=FIX.4.4|9=15|35=0|49=C|34=1|10=000|", 0, FIXGW_ENOTFOUND},
    {"8=FIX.4.4|9=20|35=0|49=C|56=B|34=1|10=000|", 0, 0},
    {"8=FIX.4.4|9=20|35=0|49=C|56=B|34=1|", 0, 0},
    {"8=FIX.4.4|9=5|35=AAAAAAAAAAAAAAAAAA", 0, FIXGW_ENOSOH},
    {"8=FIX.4.4|9=7|35=A|49=C|56=B|", 0, FIXGW_ENOSOH},
    {"8=FIX.4.4|9=8|35=A|49=C|56=B|", 0, FIXGW_ENOSOH},
    {"8=FIX.4.4|9=3|35=A|", 0, FIXGW_ENOSOH},
    /* No SOH before the limit. */
    {"8=FIX.4.4|9=500|35=A|49=CCCCCCCCCCCCCCCCCCCC", 24, FIXGW_ETOOBIG},
    {"8=FIX.4.4|9=500|35=A|49=CCCCCCCCCCCCCCCCCCCC", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4|9=500|35=A|49=C|56=B|", 12, FIXGW_ETOOBIG},
    {"8=FIX.4.4|9=500|35=A|49=C|56=B|", 1, FIXGW_ETOOBIG},
    {"8=FIX.4.4|9=500|35=A|49=C|56=B|98=0|", 34, 0},
    {"8=FIX.4.4|9=500|35=A|49=C|56=B|98=0|", 33, FIXGW_ETOOBIG},
    /* Header data fields: their length says where they end. */
    {"8=FIX.4.4|9=500|35=A|49=C|90=5|91=a|b=c|56=B|98=0|", 0, 0},
    {"8=FIX.4.4|9=500|35=A|49=C|212=3|213=<|>|56=B|98=0|", 0, 0},
    {"8=FIX.4.4|9=500|35=A|49=C|90=x|91=abc|56=B|", 0, FIXGW_EDATALEN},
    {"8=FIX.4.4|9=500|35=A|49=C|90=3|91=abcd|56=B|", 0, FIXGW_EDATALEN},
    {"8=FIX.4.4|9=500|35=A|49=C|90=0|91=|56=B|", 0, FIXGW_EEMPTYVALUE},
    {"8=FIX.4.4|9=500|35=A|49=C|90=20|91=ab", 0, FIXGW_EAGAIN},
    {"8=FIX.4.4|9=40|35=A|49=C|90=200|91=ab", 0, FIXGW_EDATALEN},
    {"8=FIX.4.4|9=32|35=A|49=C|90=99|91=abcdefgh|56=B|", 0, FIXGW_EDATALEN},
    /* Tags that may be in a header do not end it; others do. */
    {"8=FIX.4.4|9=500|35=A|5001=X|115=Y|49=C|56=B|98=0|", 0, 0},
    {"8=FIX.4.4|9=500|35=A|49=C|55=X|56=B|", 0, FIXGW_ENOTFOUND},
    {"8=FIX.4.4|9=500|35=A|49=C|40000=X|56=B|", 0, FIXGW_ENOTFOUND},
};

static void test_peek_hostile(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
    size_t n;
    const char *in = fixgw_t_soh(bad[c].in, &n);
    fixgw_guard_t g;
    fixgw_route_key_t k;
    int rc = peek_guarded(in, n, bad[c].limit, &k, &g);
    if (rc != bad[c].rc)
      fail_msg("case %zu \"%s\": got %s, want %s", c, bad[c].in, fixgw_err_name(rc),
               fixgw_err_name(bad[c].rc));
    if (rc == 0) {
      assert_view(k.target_comp_id, "C");
      assert_view(k.sender_comp_id, "B");
    } else {
      assert_int_equal(k.version, FIXGW_V_UNKNOWN);
      assert_int_equal(k.target_comp_id.len, 0);
      assert_non_null(k.target_comp_id.ptr);
    }
    fixgw_guard_free(&g);
  }
}

static void test_peek_args(void **state) {
  (void)state;
  fixgw_route_key_t k;
  assert_int_equal(fixgw_route_peek("8=FIX", 5, 0, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_route_peek(NULL, 5, 0, &k), FIXGW_EINVAL);
  assert_int_equal(fixgw_route_peek(NULL, 0, 0, &k), FIXGW_EAGAIN);
}

/* A header of many fields: over the default 4096 bytes it is refused,
 * under a larger limit it is read. */
static void test_peek_huge_header(void **state) {
  (void)state;
  static char body[16384], msg[16500];
  size_t at = (size_t)snprintf(body, sizeof body, "35=A|49=CLIENT1|");
  for (int i = 0; i < 1200; i++) at += (size_t)snprintf(body + at, sizeof body - at, "115=X%d|", i);
  snprintf(body + at, sizeof body - at, "56=BANK|98=0|108=30|");
  size_t len = frame(msg, sizeof msg, "FIX.4.4", body);
  assert_true(len > 4096);
  fixgw_guard_t g;
  fixgw_route_key_t k;
  assert_int_equal(peek_guarded(msg, len, 0, &k, &g), FIXGW_ETOOBIG);
  fixgw_guard_free(&g);
  assert_int_equal(peek_guarded(msg, 4096, 0, &k, &g), FIXGW_ETOOBIG);
  fixgw_guard_free(&g);
  assert_int_equal(peek_guarded(msg, 4095, 0, &k, &g), FIXGW_EAGAIN);
  fixgw_guard_free(&g);
  assert_int_equal(peek_guarded(msg, len, len, &k, &g), 0);
  assert_view(k.sender_comp_id, "BANK");
  assert_view(k.target_comp_id, "CLIENT1");
  fixgw_guard_free(&g);
  /* A flood of bytes with no SOH at all. */
  memset(msg, 'A', sizeof msg);
  static const char head[] = "8=FIX.4.4\x01" "9=9999\x01" "35=A\x01" "49=";
  memcpy(msg, head, sizeof head - 1);
  assert_int_equal(peek_guarded(msg, sizeof msg, 0, &k, &g), FIXGW_ETOOBIG);
  fixgw_guard_free(&g);
}

/* Repeated fields keep their first value (as fixgw_msg_find does): a
 * later 49 cannot re-route a connection. */
static void test_peek_duplicates(void **state) {
  (void)state;
  char msg[512];
  size_t len = frame(msg, sizeof msg, "FIX.4.4",
                     "35=A|49=FIRST|56=BANK|50=S1|49=SECOND|56=OTHER|50=S2|34=1|98=0|");
  fixgw_guard_t g;
  fixgw_route_key_t k;
  assert_int_equal(peek_guarded(msg, len, 0, &k, &g), 0);
  assert_view(k.target_comp_id, "FIRST");
  assert_view(k.sender_comp_id, "BANK");
  assert_view(k.target_sub_id, "S1");
  fixgw_guard_free(&g);
}

/* Values past FIXGW_COMPID_MAX: the peek shows them (it is a view), the
 * router never matches them, the log line cuts them. */
static void test_peek_long_values(void **state) {
  (void)state;
  char big[201], body[512], msg[700];
  memset(big, 'X', 200);
  big[200] = 0;
  snprintf(body, sizeof body, "35=A|49=%s|56=BANK|98=0|", big);
  size_t len = frame(msg, sizeof msg, "FIX.4.4", body);
  fixgw_guard_t g;
  fixgw_route_key_t k;
  assert_int_equal(peek_guarded(msg, len, 0, &k, &g), 0);
  assert_int_equal(k.target_comp_id.len, 200);

  fixgw_router_t *r;
  assert_int_equal(fixgw_router_create(4, NULL, &r), 0);
  fixgw_session_id_t pat = mk_id(FIXGW_V_FIX44, "*", "*", "*", "*", "*", "*");
  assert_int_equal(fixgw_router_add_template(r, &pat, (void *)7), 0);
  fixgw_route_match_t m;
  assert_int_equal(fixgw_router_route(r, g.data, len, 0, &m), FIXGW_ENOTFOUND);
  assert_null(m.target);
  assert_int_equal(m.key.target_comp_id.len, 200);
  char line[FIXGW_ROUTE_KEY_FORMAT_MAX];
  assert_int_equal(fixgw_route_key_format(&m.key, line, sizeof line), 0);
  char want[200];
  snprintf(want, sizeof want, "FIX.4.4:BANK->%.63s...", big);
  assert_string_equal(line, want);
  fixgw_guard_free(&g);

  /* Exactly the bound is fine, and is copied whole. */
  big[FIXGW_COMPID_MAX] = 0;
  snprintf(body, sizeof body, "35=A|49=%s|56=BANK|98=0|", big);
  len = frame(msg, sizeof msg, "FIX.4.4", body);
  assert_int_equal(fixgw_router_route(r, fixgw_guard_copy(&g, msg, len), len, 0, &m), 0);
  assert_true(m.is_template);
  assert_string_equal(m.id.target_comp_id, big);
  fixgw_guard_free(&g);
  fixgw_router_destroy(r);
}

/* ------------------------------------------------------------- router */

static void test_router_create_args(void **state) {
  (void)state;
  fixgw_router_t *r = (fixgw_router_t *)&r;
  assert_int_equal(fixgw_router_create(4, NULL, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_create(FIXGW_ROUTER_CAPACITY_MAX + 1, NULL, &r), FIXGW_EINVAL);
  assert_null(r);
  assert_int_equal(fixgw_router_create(0, NULL, &r), 0);
  fixgw_session_id_t id = mk_id(FIXGW_V_FIX44, "BANK", "", "", "C", "", "");
  assert_int_equal(fixgw_router_add(r, &id, NULL), FIXGW_EFULL);
  fixgw_route_key_t k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "C", "", "");
  fixgw_route_match_t m;
  assert_int_equal(fixgw_router_lookup(r, &k, &m), FIXGW_ENOTFOUND);
  assert_int_equal(fixgw_router_lookup(NULL, &k, &m), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_lookup(r, NULL, &m), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_lookup(r, &k, NULL), FIXGW_EINVAL);
  k.target_sub_id.ptr = NULL;
  k.target_sub_id.len = 3;
  assert_int_equal(fixgw_router_lookup(r, &k, &m), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_route(r, "8=FIX", 5, 0, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_count(r), 0);
  fixgw_router_destroy(r);
  fixgw_router_destroy(NULL);
}

static void test_router_exact(void **state) {
  (void)state;
  fixgw_router_t *r;
  assert_int_equal(fixgw_router_create(8, NULL, &r), 0);
  int t1, t2, t3, t4;
  fixgw_session_id_t a = mk_id(FIXGW_V_FIX44, "BANK", "", "", "CLIENT1", "", "");
  fixgw_session_id_t b = mk_id(FIXGW_V_FIX44, "BANK", "", "", "CLIENT2", "", "");
  fixgw_session_id_t c = mk_id(FIXGW_V_FIX44, "BANK", "DESK", "", "CLIENT1", "", "");
  fixgw_session_id_t d = mk_id(FIXGW_V_FIX42, "BANK", "", "", "CLIENT1", "", "");
  assert_int_equal(fixgw_router_add(r, &a, &t1), 0);
  assert_int_equal(fixgw_router_add(r, &b, &t2), 0);
  assert_int_equal(fixgw_router_add(r, &c, &t3), 0);
  assert_int_equal(fixgw_router_add(r, &d, &t4), 0);
  assert_int_equal(fixgw_router_count(r), 4);

  fixgw_route_match_t m;
  fixgw_route_key_t k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "CLIENT1", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &t1);
  assert_false(m.is_template);
  assert_memory_equal(&m.id, &a, sizeof a);
  k = mk_key(FIXGW_V_FIX44, "BANK", "DESK", "", "CLIENT1", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &t3);
  k = mk_key(FIXGW_V_FIX42, "BANK", "", "", "CLIENT1", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &t4);
  /* Every field counts: version, sub, location, case. */
  const fixgw_route_key_t miss[] = {
      mk_key(FIXGW_V_FIX43, "BANK", "", "", "CLIENT1", "", ""),
      mk_key(FIXGW_V_FIXT11, "BANK", "", "", "CLIENT1", "", ""),
      mk_key(FIXGW_V_UNKNOWN, "BANK", "", "", "CLIENT1", "", ""),
      mk_key(FIXGW_V_FIX44, "BANK", "DESK2", "", "CLIENT1", "", ""),
      mk_key(FIXGW_V_FIX44, "BANK", "", "NY", "CLIENT1", "", ""),
      mk_key(FIXGW_V_FIX44, "BANK", "", "", "CLIENT1", "T", ""),
      mk_key(FIXGW_V_FIX44, "BANK", "", "", "CLIENT1", "", "L"),
      mk_key(FIXGW_V_FIX44, "bank", "", "", "CLIENT1", "", ""),
      mk_key(FIXGW_V_FIX44, "CLIENT1", "", "", "BANK", "", ""),
      mk_key(FIXGW_V_FIX44, "BANK", "", "", "CLIENT", "", ""),
      mk_key(FIXGW_V_FIX44, "BANK", "", "", "CLIENT11", "", ""),
      /* Same bytes, different field boundaries. */
      mk_key(FIXGW_V_FIX44, "BAN", "K", "", "CLIENT1", "", ""),
  };
  for (size_t i = 0; i < sizeof miss / sizeof miss[0]; i++) {
    assert_int_equal(fixgw_router_lookup(r, &miss[i], &m), FIXGW_ENOTFOUND);
    assert_null(m.target);
    assert_false(m.is_template);
  }
  /* A NUL inside a view is not the end of the value. */
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "CLIENT1", "", "");
  k.target_comp_id.len = 8; /* "CLIENT1\0" */
  assert_int_equal(fixgw_router_lookup(r, &k, &m), FIXGW_ENOTFOUND);

  assert_int_equal(fixgw_router_remove(r, &a), 0);
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "CLIENT1", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), FIXGW_ENOTFOUND);
  assert_int_equal(fixgw_router_remove(r, &a), FIXGW_ENOTFOUND);
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "CLIENT2", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &t2);
  assert_int_equal(fixgw_router_count(r), 3);
  assert_int_equal(fixgw_router_add(r, &a, &t2), 0);
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "CLIENT1", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &t2);
  /* lookup may be given its own m->key. */
  m.key = k;
  assert_int_equal(fixgw_router_lookup(r, &m.key, &m), 0);
  assert_ptr_equal(m.target, &t2);
  assert_view(m.key.target_comp_id, "CLIENT1");
  fixgw_router_destroy(r);
}

static void test_router_bad_ids(void **state) {
  (void)state;
  fixgw_router_t *r;
  assert_int_equal(fixgw_router_create(8, NULL, &r), 0);
  fixgw_session_id_t ok = mk_id(FIXGW_V_FIX44, "BANK", "", "", "CLIENT1", "", "");
  assert_int_equal(fixgw_router_add(r, &ok, NULL), 0);
  assert_int_equal(fixgw_router_add(r, &ok, NULL), FIXGW_EINVAL); /* duplicate */
  fixgw_session_id_t same = ok;
  /* Bytes after the NUL are not part of the id. */
  memset(same.sender_sub_id + 1, 'Z', 10);
  assert_int_equal(fixgw_router_add(r, &same, NULL), FIXGW_EINVAL);
  fixgw_session_id_t bad_ids[] = {
      mk_id(FIXGW_V_FIX44, "", "", "", "CLIENT1", "", ""),
      mk_id(FIXGW_V_FIX44, "BANK", "", "", "", "", ""),
      mk_id(FIXGW_V_UNKNOWN, "BANK", "", "", "CLIENT1", "", ""),
      mk_id((fixgw_version)FIXGW_V_COUNT_, "BANK", "", "", "CLIENT1", "", ""),
      mk_id(FIXGW_V_FIX44, "BANK", "", "", "*", "", ""),
      mk_id(FIXGW_V_FIX44, "BANK", "*", "", "CLIENT2", "", ""),
      ok,
  };
  /* The last one: a field filling its array with no NUL. */
  memset(bad_ids[6].target_location_id, 'L', sizeof bad_ids[6].target_location_id);
  for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
    assert_int_equal(fixgw_router_add(r, &bad_ids[i], NULL), FIXGW_EINVAL);
    assert_int_equal(fixgw_router_remove(r, &bad_ids[i]), FIXGW_EINVAL);
  }
  assert_int_equal(fixgw_router_add(NULL, &ok, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_add(r, NULL, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_remove(NULL, &ok), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_remove(r, NULL), FIXGW_EINVAL);
  /* Templates: "*" is fine, empty CompIDs and bad versions are not. */
  fixgw_session_id_t tp[] = {
      mk_id(FIXGW_V_FIX44, "", "", "", "*", "", ""),
      mk_id(FIXGW_V_FIX44, "BANK", "", "", "", "", ""),
      mk_id(FIXGW_V_UNKNOWN, "BANK", "", "", "*", "", ""),
      mk_id((fixgw_version)99, "BANK", "", "", "*", "", ""),
  };
  for (size_t i = 0; i < sizeof tp / sizeof tp[0]; i++)
    assert_int_equal(fixgw_router_add_template(r, &tp[i], NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_add_template(r, &bad_ids[6], NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_add_template(NULL, &ok, NULL), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_add_template(r, NULL, NULL), FIXGW_EINVAL);
  fixgw_router_destroy(r);
}

static void test_router_full(void **state) {
  (void)state;
  fixgw_router_t *r;
  assert_int_equal(fixgw_router_create(3, NULL, &r), 0);
  fixgw_session_id_t ids[4];
  for (int i = 0; i < 4; i++) {
    char t[16];
    snprintf(t, sizeof t, "C%d", i);
    ids[i] = mk_id(FIXGW_V_FIX44, "BANK", "", "", t, "", "");
  }
  for (int i = 0; i < 3; i++) assert_int_equal(fixgw_router_add(r, &ids[i], &ids[i]), 0);
  assert_int_equal(fixgw_router_add(r, &ids[3], &ids[3]), FIXGW_EFULL);
  /* A duplicate is reported as such even when full. */
  assert_int_equal(fixgw_router_add(r, &ids[1], &ids[1]), FIXGW_EINVAL);
  assert_int_equal(fixgw_router_remove(r, &ids[0]), 0);
  assert_int_equal(fixgw_router_add(r, &ids[3], &ids[3]), 0);
  fixgw_route_match_t m;
  for (int i = 1; i < 4; i++) {
    fixgw_route_key_t k = mk_key(FIXGW_V_FIX44, "BANK", "", "", ids[i].target_comp_id, "", "");
    assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
    assert_ptr_equal(m.target, &ids[i]);
  }
  fixgw_router_destroy(r);
}

/* Many sessions with churn: removals move table slots (backward shift)
 * and entries (the last fills the hole); every lookup must still land. */
static void test_router_many(void **state) {
  (void)state;
  enum { N = 3000 };
  fixgw_router_t *r;
  assert_int_equal(fixgw_router_create(N, NULL, &r), 0);
  static fixgw_session_id_t ids[N];
  static unsigned char in[N];
  for (int i = 0; i < N; i++) {
    char t[32];
    snprintf(t, sizeof t, "CLIENT%d", i);
    ids[i] = mk_id(i % 3 ? FIXGW_V_FIX44 : FIXGW_V_FIXT11, "BANK", i % 7 ? "" : "D", "", t,
                   "", "");
    assert_int_equal(fixgw_router_add(r, &ids[i], &ids[i]), 0);
    in[i] = 1;
  }
  assert_int_equal(fixgw_router_add(r, &ids[0], NULL), FIXGW_EINVAL);
  uint32_t rng = 12345;
  for (int round = 0; round < 6; round++) {
    for (int j = 0; j < N; j++) {
      rng = rng * 1103515245u + 12345u;
      int i = (int)((rng >> 8) % N);
      if (in[i]) {
        assert_int_equal(fixgw_router_remove(r, &ids[i]), 0);
      } else {
        assert_int_equal(fixgw_router_add(r, &ids[i], &ids[i]), 0);
      }
      in[i] ^= 1;
    }
    uint32_t count = 0;
    for (int i = 0; i < N; i++) {
      fixgw_route_key_t k = mk_key(ids[i].version, "BANK", ids[i].sender_sub_id, "",
                                   ids[i].target_comp_id, "", "");
      fixgw_route_match_t m;
      int rc = fixgw_router_lookup(r, &k, &m);
      if (in[i]) {
        assert_int_equal(rc, 0);
        assert_ptr_equal(m.target, &ids[i]);
        count++;
      } else {
        assert_int_equal(rc, FIXGW_ENOTFOUND);
      }
    }
    assert_int_equal(fixgw_router_count(r), count);
  }
  fixgw_router_destroy(r);
}

static void test_router_templates(void **state) {
  (void)state;
  fixgw_router_t *r;
  assert_int_equal(fixgw_router_create(8, NULL, &r), 0);
  int any_client, any_sub, any_loc, fixt, exact;
  /* Any client calling BANK on 4.4 without sub or location. */
  fixgw_session_id_t p1 = mk_id(FIXGW_V_FIX44, "BANK", "", "", "*", "", "");
  /* Client C1 from any desk. */
  fixgw_session_id_t p2 = mk_id(FIXGW_V_FIX44, "BANK", "", "", "C1", "*", "");
  /* Anyone, anywhere, on our location NY. */
  fixgw_session_id_t p3 = mk_id(FIXGW_V_FIX44, "BANK", "*", "NY", "*", "*", "*");
  fixgw_session_id_t p4 = mk_id(FIXGW_V_FIXT11, "*", "", "", "*", "", "");
  assert_int_equal(fixgw_router_add_template(r, &p1, &any_client), 0);
  assert_int_equal(fixgw_router_add_template(r, &p2, &any_sub), 0);
  assert_int_equal(fixgw_router_add_template(r, &p3, &any_loc), 0);
  assert_int_equal(fixgw_router_add_template(r, &p4, &fixt), 0);
  assert_int_equal(fixgw_router_add_template(r, &p2, &any_sub), FIXGW_EINVAL);
  fixgw_session_id_t e = mk_id(FIXGW_V_FIX44, "BANK", "", "", "C9", "", "");
  assert_int_equal(fixgw_router_add(r, &e, &exact), 0);

  fixgw_route_match_t m;
  fixgw_route_key_t k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "NEWCO", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &any_client);
  assert_true(m.is_template);
  fixgw_session_id_t want = mk_id(FIXGW_V_FIX44, "BANK", "", "", "NEWCO", "", "");
  assert_memory_equal(&m.id, &want, sizeof want);

  /* Exact beats a template that also matches. */
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "C9", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &exact);
  assert_false(m.is_template);

  /* "*" in the peer's sub ID; C1 with no sub matches p1 first (order). */
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "C1", "TRADER7", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &any_sub);
  assert_string_equal(m.id.target_sub_id, "TRADER7");
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "C1", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &any_client);

  /* Several "*" fields: the concrete id takes each from the key. */
  k = mk_key(FIXGW_V_FIX44, "BANK", "DESK", "NY", "X", "T", "LDN");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &any_loc);
  want = mk_id(FIXGW_V_FIX44, "BANK", "DESK", "NY", "X", "T", "LDN");
  assert_memory_equal(&m.id, &want, sizeof want);
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "NY", "X", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &any_loc);
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "LDN", "X", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), FIXGW_ENOTFOUND);

  /* Version mismatch: p1..p3 are 4.4 only, p4 is FIXT only. */
  k = mk_key(FIXGW_V_FIX42, "BANK", "", "", "NEWCO", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), FIXGW_ENOTFOUND);
  k = mk_key(FIXGW_V_FIXT11, "ANYONE", "", "", "NEWCO", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &fixt);
  k = mk_key(FIXGW_V_FIXT11, "ANYONE", "S", "", "NEWCO", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), FIXGW_ENOTFOUND);

  /* A peer naming itself "*" matches nothing. */
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "*", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), FIXGW_ENOTFOUND);

  /* Once the host adds the concrete session it is found exactly. */
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "NEWCO", "", "");
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  int created;
  assert_int_equal(fixgw_router_add(r, &m.id, &created), 0);
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, &created);
  assert_false(m.is_template);
  fixgw_router_destroy(r);
}

static void test_router_template_limit(void **state) {
  (void)state;
  fixgw_router_t *r;
  assert_int_equal(fixgw_router_create(0, NULL, &r), 0);
  for (unsigned i = 0; i < FIXGW_ROUTER_TEMPLATES_MAX; i++) {
    char s[16];
    snprintf(s, sizeof s, "US%u", i);
    fixgw_session_id_t p = mk_id(FIXGW_V_FIX44, s, "", "", "*", "", "");
    assert_int_equal(fixgw_router_add_template(r, &p, (void *)(uintptr_t)(i + 1)), 0);
  }
  fixgw_session_id_t p = mk_id(FIXGW_V_FIX44, "ONEMORE", "", "", "*", "", "");
  assert_int_equal(fixgw_router_add_template(r, &p, NULL), FIXGW_EFULL);
  fixgw_route_key_t k = mk_key(FIXGW_V_FIX44, "US63", "", "", "Z", "", "");
  fixgw_route_match_t m;
  assert_int_equal(fixgw_router_lookup(r, &k, &m), 0);
  assert_ptr_equal(m.target, (void *)(uintptr_t)64);
  fixgw_router_destroy(r);
}

/* The whole acceptor flow on real bytes. */
static void test_router_route(void **state) {
  (void)state;
  fixgw_router_t *r;
  assert_int_equal(fixgw_router_create(16, NULL, &r), 0);
  int tmpl, known;
  fixgw_session_id_t p = mk_id(FIXGW_V_FIX44, "BANK", "", "", "*", "", "");
  assert_int_equal(fixgw_router_add_template(r, &p, &tmpl), 0);
  fixgw_session_id_t k1 = mk_id(FIXGW_V_FIX44, "BANK", "DESK", "", "CLIENT1", "TRADER", "");
  assert_int_equal(fixgw_router_add(r, &k1, &known), 0);

  char msg[512];
  size_t len = frame(msg, sizeof msg, "FIX.4.4",
                     "35=A|49=CLIENT1|56=BANK|50=TRADER|57=DESK|34=1|52=20261121-13:45:12|98=0|108=30|");
  fixgw_guard_t g;
  char *b = fixgw_guard_copy(&g, msg, len);
  fixgw_route_match_t m;
  assert_int_equal(fixgw_router_route(r, b, len, 0, &m), 0);
  assert_ptr_equal(m.target, &known);
  assert_false(m.is_template);
  assert_ptr_equal(m.key.target_comp_id.ptr, b + (strstr(msg, "CLIENT1") - msg));
  /* Partial input: EAGAIN, key cleared. */
  assert_int_equal(fixgw_router_route(r, b, 30, 0, &m), FIXGW_EAGAIN);
  assert_null(m.target);
  assert_int_equal(m.key.sender_comp_id.len, 0);
  fixgw_guard_free(&g);

  len = frame(msg, sizeof msg, "FIX.4.4", "35=A|49=NEWCO|56=BANK|34=1|98=0|108=30|");
  b = fixgw_guard_copy(&g, msg, len);
  assert_int_equal(fixgw_router_route(r, b, len, 0, &m), 0);
  assert_ptr_equal(m.target, &tmpl);
  assert_true(m.is_template);
  assert_string_equal(m.id.sender_comp_id, "BANK");
  assert_string_equal(m.id.target_comp_id, "NEWCO");
  assert_int_equal(m.id.version, FIXGW_V_FIX44);
  int created;
  assert_int_equal(fixgw_router_add(r, &m.id, &created), 0);
  assert_int_equal(fixgw_router_route(r, b, len, 0, &m), 0);
  assert_ptr_equal(m.target, &created);
  fixgw_guard_free(&g);

  /* Refused: the key is there for the log line. */
  len = frame(msg, sizeof msg, "FIX.4.2", "35=A|49=STRANGER|56=BANK|34=1|98=0|108=30|");
  b = fixgw_guard_copy(&g, msg, len);
  assert_int_equal(fixgw_router_route(r, b, len, 0, &m), FIXGW_ENOTFOUND);
  char line[FIXGW_ROUTE_KEY_FORMAT_MAX];
  assert_int_equal(fixgw_route_key_format(&m.key, line, sizeof line), 0);
  assert_string_equal(line, "FIX.4.2:BANK->STRANGER");
  fixgw_guard_free(&g);

  b = fixgw_guard_copy(&g, "GET / HTTP/1.1\r\n", 16);
  assert_int_equal(fixgw_router_route(r, b, 16, 0, &m), FIXGW_EBEGINSTRING);
  assert_int_equal(fixgw_route_key_format(&m.key, line, sizeof line), 0);
  assert_string_equal(line, "?:->");
  fixgw_guard_free(&g);
  fixgw_router_destroy(r);
}

static void test_key_format(void **state) {
  (void)state;
  char line[FIXGW_ROUTE_KEY_FORMAT_MAX];
  fixgw_route_key_t k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "CLIENT1", "", "");
  assert_int_equal(fixgw_route_key_format(&k, line, sizeof line), 0);
  assert_string_equal(line, "FIX.4.4:BANK->CLIENT1");
  k = mk_key(FIXGW_V_FIXT11, "BANK", "DESK", "NY", "CLIENT1", "TRADER", "LDN");
  assert_int_equal(fixgw_route_key_format(&k, line, sizeof line), 0);
  assert_string_equal(line, "FIXT.1.1:BANK/DESK/NY->CLIENT1/TRADER/LDN");
  k = mk_key(FIXGW_V_FIX42, "BANK", "", "NY", "CLIENT1", "T", "");
  assert_int_equal(fixgw_route_key_format(&k, line, sizeof line), 0);
  assert_string_equal(line, "FIX.4.2:BANK//NY->CLIENT1/T");
  /* A peer's bytes cannot forge log lines or drive a terminal. */
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "EVIL\n\x1b[2J\\x\x7f\xff", "", "");
  assert_int_equal(fixgw_route_key_format(&k, line, sizeof line), 0);
  assert_string_equal(line, "FIX.4.4:BANK->EVIL\\x0a\\x1b[2J\\x5cx\\x7f\\xff");
  /* The worst case fits the documented size. */
  char big[FIXGW_COMPID_MAX + 50];
  memset(big, '\n', sizeof big - 1);
  big[sizeof big - 1] = 0;
  k = mk_key(FIXGW_V_FIXT11, big, big, big, big, big, big);
  assert_int_equal(fixgw_route_key_format(&k, line, sizeof line), 0);
  assert_int_equal(strlen(line), 8 + 1 + 2 + 2 * (3 * (FIXGW_COMPID_MAX * 4 + 3) + 2));
  /* Too small: cut, still terminated. */
  char small[10];
  k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "CLIENT1", "", "");
  assert_int_equal(fixgw_route_key_format(&k, small, sizeof small), FIXGW_ENOSPC);
  assert_string_equal(small, "FIX.4.4:B");
  assert_int_equal(fixgw_route_key_format(&k, small, 0), FIXGW_ENOSPC);
  assert_int_equal(fixgw_route_key_format(&k, line, 22), 0);
  assert_int_equal(fixgw_route_key_format(&k, line, 21), FIXGW_ENOSPC);
  assert_int_equal(fixgw_route_key_format(NULL, line, sizeof line), FIXGW_EINVAL);
  assert_int_equal(fixgw_route_key_format(&k, NULL, 5), FIXGW_EINVAL);
}

/* --------------------------------------------------------- allocation */

typedef struct count_alloc {
  int allocs, frees, fail_after;
  void *last;
} count_alloc_t;

static void *ca_alloc(size_t n, void *user) {
  count_alloc_t *c = user;
  if (c->fail_after >= 0 && c->allocs >= c->fail_after) return NULL;
  c->allocs++;
  return c->last = malloc(n);
}

static void ca_free(void *p, void *user) {
  count_alloc_t *c = user;
  assert_ptr_equal(p, c->last);
  c->frees++;
  free(p);
}

static void test_router_allocator(void **state) {
  (void)state;
  count_alloc_t c = {0, 0, 0, NULL};
  fixgw_allocator_t a = {ca_alloc, ca_free, &c};
  fixgw_router_t *r = (fixgw_router_t *)&c;
  assert_int_equal(fixgw_router_create(100, &a, &r), FIXGW_ENOMEM);
  assert_null(r);
  assert_int_equal(c.allocs, 0);
  c.fail_after = -1;
  assert_int_equal(fixgw_router_create(100, &a, &r), 0);
  assert_int_equal(c.allocs, 1); /* one allocation, whatever the use */
  fixgw_session_id_t id = mk_id(FIXGW_V_FIX44, "BANK", "", "", "C", "", "");
  assert_int_equal(fixgw_router_add(r, &id, NULL), 0);
  fixgw_session_id_t p = mk_id(FIXGW_V_FIX44, "BANK", "", "", "*", "", "");
  assert_int_equal(fixgw_router_add_template(r, &p, NULL), 0);
  assert_int_equal(fixgw_router_remove(r, &id), 0);
  assert_int_equal(c.allocs, 1);
  assert_int_equal(c.frees, 0);
  fixgw_router_destroy(r);
  assert_int_equal(c.frees, 1);
}

/* lookup, route, peek and format never allocate (the process-wide
 * interposer; sanitizer builds own malloc and skip). */
static void test_no_alloc(void **state) {
  (void)state;
  if (!fixgw_alloc_count_available()) skip();
  fixgw_router_t *r;
  assert_int_equal(fixgw_router_create(64, NULL, &r), 0);
  for (int i = 0; i < 64; i++) {
    char t[16];
    snprintf(t, sizeof t, "C%d", i);
    fixgw_session_id_t id = mk_id(FIXGW_V_FIX44, "BANK", "", "", t, "", "");
    assert_int_equal(fixgw_router_add(r, &id, NULL), 0);
  }
  fixgw_session_id_t p = mk_id(FIXGW_V_FIX44, "BANK", "", "", "*", "*", "");
  assert_int_equal(fixgw_router_add_template(r, &p, NULL), 0);
  char m1[512], m2[512], m3[512];
  size_t l1 = frame(m1, sizeof m1, "FIX.4.4", "35=A|49=C7|56=BANK|34=1|98=0|108=30|");
  size_t l2 = frame(m2, sizeof m2, "FIX.4.4", "35=A|49=NEW|50=S|56=BANK|34=1|98=0|108=30|");
  size_t l3 = frame(m3, sizeof m3, "FIX.4.2", "35=A|49=NEW|56=BANK|34=1|98=0|108=30|");
  fixgw_route_key_t k = mk_key(FIXGW_V_FIX44, "BANK", "", "", "C9", "", "");
  char line[FIXGW_ROUTE_KEY_FORMAT_MAX];
  int ok = 0;
  fixgw_alloc_count_reset();
  for (int i = 0; i < 20000; i++) {
    fixgw_route_match_t m;
    fixgw_route_key_t pk;
    ok += fixgw_router_route(r, m1, l1, 0, &m) == 0;
    ok += fixgw_router_route(r, m2, l2, 0, &m) == 0;
    ok += fixgw_router_route(r, m3, l3, 0, &m) == FIXGW_ENOTFOUND;
    ok += fixgw_router_lookup(r, &k, &m) == 0;
    ok += fixgw_route_peek(m1, l1 / 2, 0, &pk) == FIXGW_EAGAIN;
    ok += fixgw_route_key_format(&m.key, line, sizeof line) == 0;
  }
  uint64_t calls = fixgw_alloc_count_calls();
  assert_int_equal(ok, 6 * 20000);
  assert_int_equal(calls, 0);
  fixgw_router_destroy(r);
  /* The counter itself works. */
  fixgw_alloc_count_reset();
  assert_int_equal(fixgw_router_create(4, NULL, &r), 0);
  assert_true(fixgw_alloc_count_calls() > 0);
  fixgw_router_destroy(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_peek_logons),
      cmocka_unit_test(test_peek_every_prefix),
      cmocka_unit_test(test_peek_hostile),
      cmocka_unit_test(test_peek_args),
      cmocka_unit_test(test_peek_huge_header),
      cmocka_unit_test(test_peek_duplicates),
      cmocka_unit_test(test_peek_long_values),
      cmocka_unit_test(test_router_create_args),
      cmocka_unit_test(test_router_exact),
      cmocka_unit_test(test_router_bad_ids),
      cmocka_unit_test(test_router_full),
      cmocka_unit_test(test_router_many),
      cmocka_unit_test(test_router_templates),
      cmocka_unit_test(test_router_template_limit),
      cmocka_unit_test(test_router_route),
      cmocka_unit_test(test_key_format),
      cmocka_unit_test(test_router_allocator),
      cmocka_unit_test(test_no_alloc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
