/* tls/: two sans-IO endpoints wired through memory (no socket): the
 * handshake for TLS 1.2 and 1.3, bytes both ways through full buffers,
 * each failure a clear error of that connection only, and hostile
 * ciphertext (garbage, truncated, corrupted records). Certificates are
 * made by the test (certs.c). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "alloc_count.h"
#include "certs.h"
#include "fixgw/tls.h"

static test_certs_t C;

static int setup(void **state) {
  (void)state;
  test_certs_make(&C);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  test_certs_remove(&C);
  return 0;
}

/* ----------------------------------------------------------- contexts */

static fixgw_tls_ctx_t *server_ctx(const char *cert, const char *key, fixgw_tls_client_cert cc,
                                   uint16_t lo, uint16_t hi) {
  fixgw_tls_config_t cfg;
  fixgw_tls_config_default(&cfg, FIXGW_TLS_SERVER);
  cfg.cert_file = cert;
  cfg.key_file = key;
  cfg.ca_file = C.ca;
  cfg.client_cert = cc;
  cfg.min_version = lo;
  cfg.max_version = hi;
  fixgw_tls_ctx_t *x = NULL;
  char err[256];
  int rc = fixgw_tls_ctx_create(&cfg, &x, err, sizeof err);
  if (rc) fail_msg("server ctx: %s: %s", fixgw_err_name(rc), err);
  return x;
}

static fixgw_tls_ctx_t *client_ctx(const char *ca, const char *cert, const char *key,
                                   uint16_t lo, uint16_t hi) {
  fixgw_tls_config_t cfg;
  fixgw_tls_config_default(&cfg, FIXGW_TLS_CLIENT);
  cfg.ca_file = ca;
  cfg.cert_file = cert;
  cfg.key_file = key;
  cfg.min_version = lo;
  cfg.max_version = hi;
  fixgw_tls_ctx_t *x = NULL;
  char err[256];
  int rc = fixgw_tls_ctx_create(&cfg, &x, err, sizeof err);
  if (rc) fail_msg("client ctx: %s: %s", fixgw_err_name(rc), err);
  return x;
}

#define V12 FIXGW_TLS_1_2
#define V13 FIXGW_TLS_1_3

/* --------------------------------------------------------------- wiring */

/* Move what a has to send into b; the byte count. */
static size_t move(fixgw_tls_t *a, fixgw_tls_t *b) {
  size_t total = 0;
  for (;;) {
    const char *p;
    size_t n, took = 0;
    assert_int_equal(fixgw_tls_out_pending(a, &p, &n), 0);
    if (n == 0) break;
    int rc = fixgw_tls_feed(b, p, n, &took);
    assert_int_equal(fixgw_tls_out_written(a, took), 0);
    total += took;
    if (rc || took == 0) break; /* b failed, or b is full: read it first */
  }
  return total;
}

typedef struct pair {
  fixgw_tls_t *c, *s;
  int rc_c, rc_s;
} pair_t;

static void pair_open(pair_t *p, fixgw_tls_ctx_t *cc, fixgw_tls_ctx_t *sc, const char *host) {
  memset(p, 0, sizeof *p);
  assert_int_equal(fixgw_tls_create(cc, host, &p->c), 0);
  assert_int_equal(fixgw_tls_create(sc, NULL, &p->s), 0);
}

static void pair_close(pair_t *p) {
  fixgw_tls_free(p->c);
  fixgw_tls_free(p->s);
}

/* Run both handshakes until both are done, one fails, or nothing moves
 * (bounded: a handshake is a few flights). Then one more exchange, so a
 * TLS 1.3 server sees the client's verdict on its certificate and the
 * client sees the server's on its own. */
static void pair_handshake(pair_t *p) {
  for (int i = 0; i < 20; i++) {
    p->rc_c = fixgw_tls_handshake(p->c);
    p->rc_s = fixgw_tls_handshake(p->s);
    size_t moved = move(p->c, p->s) + move(p->s, p->c);
    if ((p->rc_c == 0 && p->rc_s == 0 && moved == 0) ||
        (p->rc_c != 0 && p->rc_c != FIXGW_EAGAIN && moved == 0) ||
        (p->rc_s != 0 && p->rc_s != FIXGW_EAGAIN && moved == 0))
      break;
  }
  char b[64];
  size_t got;
  int r = fixgw_tls_read(p->c, b, sizeof b, &got);
  if (r != FIXGW_EAGAIN) p->rc_c = r;
  r = fixgw_tls_read(p->s, b, sizeof b, &got);
  if (r != FIXGW_EAGAIN) p->rc_s = r;
  move(p->c, p->s);
  move(p->s, p->c);
  r = fixgw_tls_read(p->c, b, sizeof b, &got);
  if (r != FIXGW_EAGAIN && p->rc_c == 0) p->rc_c = r;
}

/* len bytes of a pattern from a to b, written and read in whatever
 * pieces the buffers allow; checks every byte. */
static void transfer(fixgw_tls_t *a, fixgw_tls_t *b, size_t len, unsigned seed) {
  char *src = malloc(len), *dst = malloc(len);
  assert_non_null(src);
  assert_non_null(dst);
  for (size_t i = 0; i < len; i++) src[i] = (char)(i * 31u + seed);
  size_t wrote = 0, read = 0;
  for (unsigned guard = 0; read < len; guard++) {
    assert_true(guard < 100000);
    if (wrote < len) {
      size_t taken = 0;
      assert_int_equal(fixgw_tls_write(a, src + wrote, len - wrote, &taken), 0);
      wrote += taken;
    }
    move(a, b);
    for (;;) {
      size_t got = 0;
      int rc = fixgw_tls_read(b, dst + read, len - read < 5000 ? len - read : 5000, &got);
      if (rc == FIXGW_EAGAIN) break;
      assert_int_equal(rc, 0);
      read += got;
      if (read == len) break;
    }
    move(b, a); /* whatever b owes a (nothing, usually) */
  }
  assert_memory_equal(src, dst, len);
  free(src);
  free(dst);
}

/* ---------------------------------------------------------------- tests */

static void handshake_and_bytes(uint16_t v) {
  fixgw_tls_ctx_t *sc = server_ctx(C.server, C.server_key, FIXGW_TLS_CLIENT_CERT_NONE, v, v);
  fixgw_tls_ctx_t *cc = client_ctx(C.ca, NULL, NULL, V12, V13);
  pair_t p;
  pair_open(&p, cc, sc, "127.0.0.1");
  assert_false(fixgw_tls_handshake_done(p.c));
  assert_int_equal(fixgw_tls_version(p.c), 0);
  pair_handshake(&p);
  assert_int_equal(p.rc_c, 0);
  assert_int_equal(p.rc_s, 0);
  assert_true(fixgw_tls_handshake_done(p.c) && fixgw_tls_handshake_done(p.s));
  assert_int_equal(fixgw_tls_version(p.c), v);
  assert_int_equal(fixgw_tls_version(p.s), v);
  assert_true(strlen(fixgw_tls_cipher(p.c)) > 0);
  /* Several times the buffers, so every partial path is taken. */
  transfer(p.c, p.s, 300 * 1024, 1);
  transfer(p.s, p.c, 300 * 1024, 2);
  transfer(p.c, p.s, 1, 3);
  assert_string_equal(fixgw_tls_error(p.c), "");
  assert_string_equal(fixgw_tls_error(p.s), "");

  /* Steady state: a message each way allocates nothing. */
  transfer(p.c, p.s, 200, 4);
  char msg[200], back[200];
  memset(msg, 'x', sizeof msg);
  fixgw_alloc_count_reset();
  for (int i = 0; i < 200; i++) {
    size_t t, g;
    assert_int_equal(fixgw_tls_write(p.c, msg, sizeof msg, &t), 0);
    assert_int_equal(t, sizeof msg);
    move(p.c, p.s);
    assert_int_equal(fixgw_tls_read(p.s, back, sizeof back, &g), 0);
    assert_int_equal(g, sizeof back);
    assert_int_equal(fixgw_tls_write(p.s, back, g, &t), 0);
    move(p.s, p.c);
    assert_int_equal(fixgw_tls_read(p.c, back, sizeof back, &g), 0);
  }
  uint64_t allocs = fixgw_alloc_count_calls();
  if (fixgw_alloc_count_available()) {
    /* libfixgw's part allocates nothing; OpenSSL 3.0's AEAD records do
     * (its cipher parameter handling), a fixed few calls per record. A
     * leak or a per-message buffer of ours would show as growth here. */
    printf("  TLS %s: 200 round trips: %llu allocation calls (OpenSSL's own)\n",
           v == V13 ? "1.3" : "1.2", (unsigned long long)allocs);
    assert_true(allocs <= 200u * 4u * 8u);
  }

  /* close_notify: the other side sees a clean close, not a cut. */
  assert_int_equal(fixgw_tls_shutdown(p.c), 0);
  move(p.c, p.s);
  char b[16];
  size_t got;
  assert_int_equal(fixgw_tls_read(p.s, b, sizeof b, &got), FIXGW_ETLSCLOSED);
  assert_non_null(strstr(fixgw_tls_error(p.s), "close_notify"));
  pair_close(&p);
  fixgw_tls_ctx_free(sc);
  fixgw_tls_ctx_free(cc);
}

static void test_handshake_tls12(void **state) {
  (void)state;
  handshake_and_bytes(V12);
}

static void test_handshake_tls13(void **state) {
  (void)state;
  handshake_and_bytes(V13);
}

/* A failing pair, then a good pair that shares the failing side's
 * context (with a good peer): the failure is that connection's alone. */
static void expect_failure(fixgw_tls_ctx_t *cc, fixgw_tls_ctx_t *sc, const char *host,
                           bool client_side, int code, const char *text) {
  pair_t bad, good;
  fixgw_tls_ctx_t *gcc = client_ctx(C.ca, C.client, C.client_key, V12, V13);
  fixgw_tls_ctx_t *gsc = server_ctx(C.server, C.server_key, FIXGW_TLS_CLIENT_CERT_OPTIONAL, V12, V13);
  pair_open(&bad, cc, sc, host);
  if (client_side) pair_open(&good, cc, gsc, "127.0.0.1");
  else pair_open(&good, gcc, sc, "127.0.0.1");
  pair_handshake(&bad);
  int rc = client_side ? bad.rc_c : bad.rc_s;
  const char *got = fixgw_tls_error(client_side ? bad.c : bad.s);
  if (rc != code || !strstr(got, text))
    fail_msg("wanted %s \"%s\", got %s \"%s\"", fixgw_err_name(code), text, fixgw_err_name(rc),
             got);
  printf("  %s: %s\n", client_side ? "client" : "server", got);
  /* Sticky: the next calls say the same. */
  char b[8];
  size_t n;
  assert_int_equal(fixgw_tls_read(client_side ? bad.c : bad.s, b, sizeof b, &n), code);
  assert_int_equal(fixgw_tls_error_code(client_side ? bad.c : bad.s), code);
  pair_handshake(&good);
  assert_int_equal(good.rc_c, 0);
  assert_int_equal(good.rc_s, 0);
  assert_string_equal(fixgw_tls_error(good.c), "");
  assert_string_equal(fixgw_tls_error(good.s), "");
  transfer(good.c, good.s, 1000, 5);
  pair_close(&bad);
  pair_close(&good);
  fixgw_tls_ctx_free(gcc);
  fixgw_tls_ctx_free(gsc);
}

static void test_certificate_failures(void **state) {
  (void)state;
  fixgw_tls_ctx_t *cc = client_ctx(C.ca, NULL, NULL, V12, V13);
  fixgw_tls_ctx_t *opt = NULL;

  fixgw_tls_ctx_t *sc = server_ctx(C.expired, C.expired_key, FIXGW_TLS_CLIENT_CERT_OPTIONAL, V12, V13);
  expect_failure(cc, sc, "127.0.0.1", true, FIXGW_ETLSCERT, "certificate has expired");
  fixgw_tls_ctx_free(sc);

  sc = server_ctx(C.wrong_host, C.wrong_host_key, FIXGW_TLS_CLIENT_CERT_OPTIONAL, V12, V13);
  expect_failure(cc, sc, "127.0.0.1", true, FIXGW_ETLSCERT, "does not name 127.0.0.1");
  /* A name too: checked against the DNS SANs. */
  expect_failure(cc, sc, "localhost", true, FIXGW_ETLSCERT, "does not name localhost");
  fixgw_tls_ctx_free(sc);

  sc = server_ctx(C.foreign, C.foreign_key, FIXGW_TLS_CLIENT_CERT_OPTIONAL, V12, V13);
  expect_failure(cc, sc, "127.0.0.1", true, FIXGW_ETLSCERT, "unable to get local issuer");
  fixgw_tls_ctx_free(sc);

  /* The server's side: a required client certificate missing, or of
   * another CA. */
  sc = server_ctx(C.server, C.server_key, FIXGW_TLS_CLIENT_CERT_REQUIRED, V12, V13);
  expect_failure(cc, sc, "127.0.0.1", false, FIXGW_ETLSCERT, "no certificate");
  opt = client_ctx(C.ca, C.client_foreign, C.client_foreign_key, V12, V13);
  expect_failure(opt, sc, "127.0.0.1", false, FIXGW_ETLSCERT, "certificate verify failed");
  fixgw_tls_ctx_free(opt);
  fixgw_tls_ctx_free(sc);

  /* Versions that do not meet. */
  sc = server_ctx(C.server, C.server_key, FIXGW_TLS_CLIENT_CERT_OPTIONAL, V12, V12);
  opt = client_ctx(C.ca, NULL, NULL, V13, V13);
  expect_failure(opt, sc, "127.0.0.1", true, FIXGW_ETLS, "TLS handshake failed");
  fixgw_tls_ctx_free(opt);
  fixgw_tls_ctx_free(sc);
  fixgw_tls_ctx_free(cc);
}

static void test_plain_text_peer(void **state) {
  (void)state;
  fixgw_tls_ctx_t *sc = server_ctx(C.server, C.server_key, FIXGW_TLS_CLIENT_CERT_NONE, V12, V13);
  fixgw_tls_t *s = NULL;
  assert_int_equal(fixgw_tls_create(sc, NULL, &s), 0);
  const char logon[] = "8=FIX.4.4\0019=70\00135=A\00134=1\00149=CLIENT\001";
  size_t took;
  int rc = fixgw_tls_feed(s, logon, sizeof logon - 1, &took);
  assert_int_equal(rc, FIXGW_ETLSPLAIN);
  printf("  server: %s\n", fixgw_tls_error(s));
  assert_non_null(strstr(fixgw_tls_error(s), "plain text \"8=FIX.4.4|9=70|"));
  assert_non_null(strstr(fixgw_tls_error(s), "plain TCP client on a TLS port"));
  char b[8];
  size_t n;
  assert_int_equal(fixgw_tls_read(s, b, sizeof b, &n), FIXGW_ETLSPLAIN);
  fixgw_tls_free(s);

  /* A client whose server answers in plain text. */
  fixgw_tls_ctx_t *cc = client_ctx(C.ca, NULL, NULL, V12, V13);
  fixgw_tls_t *c = NULL;
  assert_int_equal(fixgw_tls_create(cc, "127.0.0.1", &c), 0);
  assert_int_equal(fixgw_tls_handshake(c), FIXGW_EAGAIN);
  assert_int_equal(fixgw_tls_feed(c, logon, sizeof logon - 1, &took), FIXGW_ETLSPLAIN);
  assert_non_null(strstr(fixgw_tls_error(c), "not a TLS port"));
  fixgw_tls_free(c);

  /* A client whose peer just hangs up. */
  assert_int_equal(fixgw_tls_create(cc, "127.0.0.1", &c), 0);
  assert_int_equal(fixgw_tls_handshake(c), FIXGW_EAGAIN);
  fixgw_tls_in_eof(c);
  assert_int_equal(fixgw_tls_read(c, b, sizeof b, &n), FIXGW_ETLS);
  assert_non_null(strstr(fixgw_tls_error(c), "closed during the TLS handshake"));
  fixgw_tls_free(c);
  fixgw_tls_ctx_free(cc);
  fixgw_tls_ctx_free(sc);
}

static uint32_t rnd(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*s >> 33);
}

static void test_hostile_input(void **state) {
  (void)state;
  uint64_t seed = (uint64_t)time(NULL);
  const char *env = getenv("FIXGW_TLS_SEED");
  if (env) seed = strtoull(env, NULL, 10);
  printf("  seed %llu (FIXGW_TLS_SEED to replay)\n", (unsigned long long)seed);
  uint64_t r = seed;
  fixgw_tls_ctx_t *sc = server_ctx(C.server, C.server_key, FIXGW_TLS_CLIENT_CERT_NONE, V12, V13);
  fixgw_tls_ctx_t *cc = client_ctx(C.ca, NULL, NULL, V12, V13);
  char buf[4096], out[512];

  /* Garbage records to a fresh server: a handshake type byte, then noise
   * of random length; some random record types too. */
  for (int round = 0; round < 300; round++) {
    fixgw_tls_t *s = NULL;
    assert_int_equal(fixgw_tls_create(sc, NULL, &s), 0);
    size_t n = 1 + rnd(&r) % sizeof buf;
    for (size_t i = 0; i < n; i++) buf[i] = (char)rnd(&r);
    if (round % 2 == 0) buf[0] = 22;
    if (round % 4 == 0 && n > 5) {
      buf[1] = 3, buf[2] = 3; /* a plausible header, a lying length */
    }
    size_t took;
    int rc = fixgw_tls_feed(s, buf, n, &took);
    size_t got;
    if (rc == 0) rc = fixgw_tls_read(s, out, sizeof out, &got);
    assert_true(rc == FIXGW_EAGAIN || rc == FIXGW_ETLS || rc == FIXGW_ETLSPLAIN);
    if (rc != FIXGW_EAGAIN) assert_true(strlen(fixgw_tls_error(s)) > 0);
    fixgw_tls_free(s);
  }

  /* Records of a live connection, corrupted or cut. */
  for (int round = 0; round < 40; round++) {
    pair_t p;
    pair_open(&p, cc, sc, "127.0.0.1");
    pair_handshake(&p);
    assert_int_equal(p.rc_c, 0);
    char msg[300];
    memset(msg, 'm', sizeof msg);
    size_t taken, n;
    assert_int_equal(fixgw_tls_write(p.c, msg, sizeof msg, &taken), 0);
    const char *q;
    fixgw_tls_out_pending(p.c, &q, &n);
    assert_true(n > 0 && n <= sizeof buf);
    memcpy(buf, q, n);
    fixgw_tls_out_written(p.c, n);
    size_t got, took;
    int rc;
    if (round % 2 == 0) {
      buf[5 + rnd(&r) % (n - 5)] ^= (char)(1u << (rnd(&r) % 8)); /* one bit */
      fixgw_tls_feed(p.s, buf, n, &took);
      rc = fixgw_tls_read(p.s, out, sizeof out, &got);
      assert_int_equal(rc, FIXGW_ETLS);
    } else {
      size_t cut = rnd(&r) % n; /* truncated, then the transport ends */
      fixgw_tls_feed(p.s, buf, cut, &took);
      fixgw_tls_in_eof(p.s);
      rc = fixgw_tls_read(p.s, out, sizeof out, &got);
      assert_int_equal(rc, FIXGW_ETLS);
      assert_non_null(strstr(fixgw_tls_error(p.s), "truncated"));
    }
    assert_true(strlen(fixgw_tls_error(p.s)) > 0);
    /* The other end is untouched. */
    assert_string_equal(fixgw_tls_error(p.c), "");
    pair_close(&p);
  }
  fixgw_tls_ctx_free(sc);
  fixgw_tls_ctx_free(cc);
}

static void test_context_errors(void **state) {
  (void)state;
  fixgw_tls_config_t cfg;
  fixgw_tls_ctx_t *x = NULL;
  char err[256];
  fixgw_tls_config_default(&cfg, FIXGW_TLS_SERVER);
  assert_int_equal(fixgw_tls_ctx_create(&cfg, &x, err, sizeof err), FIXGW_EINVAL);
  assert_non_null(strstr(err, "needs a certificate"));

  cfg.cert_file = C.server;
  cfg.key_file = "/nonexistent/key.pem";
  assert_int_equal(fixgw_tls_ctx_create(&cfg, &x, err, sizeof err), FIXGW_EIO);
  assert_non_null(strstr(err, "/nonexistent/key.pem"));

  /* An encrypted key: without, with a wrong, with the right password. */
  cfg.key_file = C.enc_key;
  assert_int_equal(fixgw_tls_ctx_create(&cfg, &x, err, sizeof err), FIXGW_ETLS);
  printf("  no password: %s\n", err);
  assert_non_null(strstr(err, C.enc_key));
  cfg.key_password = "wrong";
  assert_int_equal(fixgw_tls_ctx_create(&cfg, &x, err, sizeof err), FIXGW_ETLS);
  printf("  wrong password: %s\n", err);
  assert_non_null(strstr(err, "key password"));
  cfg.key_password = TEST_KEY_PASSWORD;
  assert_int_equal(fixgw_tls_ctx_create(&cfg, &x, err, sizeof err), 0);
  fixgw_tls_ctx_free(x);

  /* A key of another certificate. */
  cfg.key_password = NULL;
  cfg.key_file = C.client_key;
  assert_int_equal(fixgw_tls_ctx_create(&cfg, &x, err, sizeof err), FIXGW_ETLS);
  printf("  another key: %s\n", err);
  assert_non_null(strstr(err, C.client_key));

  cfg.key_file = C.server_key;
  cfg.cipher_list = "NO-SUCH-CIPHER";
  assert_int_equal(fixgw_tls_ctx_create(&cfg, &x, err, sizeof err), FIXGW_ETLS);
  assert_non_null(strstr(err, "cipher list"));
  cfg.cipher_list = NULL;
  cfg.ciphersuites = "TLS_NO_SUCH";
  assert_int_equal(fixgw_tls_ctx_create(&cfg, &x, err, sizeof err), FIXGW_ETLS);
  cfg.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
  assert_int_equal(fixgw_tls_ctx_create(&cfg, &x, err, sizeof err), 0);

  cfg.min_version = V13;
  cfg.max_version = V12;
  fixgw_tls_ctx_t *y = NULL;
  assert_int_equal(fixgw_tls_ctx_create(&cfg, &y, err, sizeof err), FIXGW_EINVAL);
  cfg.min_version = 0x0301; /* TLS 1.0 */
  assert_int_equal(fixgw_tls_ctx_create(&cfg, &y, err, sizeof err), FIXGW_EINVAL);

  /* A TLS 1.3 suite chosen is the one negotiated. */
  fixgw_tls_ctx_t *cc = client_ctx(C.ca, NULL, NULL, V13, V13);
  pair_t p;
  pair_open(&p, cc, x, "localhost");
  pair_handshake(&p);
  assert_int_equal(p.rc_c, 0);
  assert_string_equal(fixgw_tls_cipher(p.c), "TLS_CHACHA20_POLY1305_SHA256");
  pair_close(&p);

  /* A client that must check the host needs one. */
  fixgw_tls_t *t = NULL;
  assert_int_equal(fixgw_tls_create(cc, NULL, &t), FIXGW_EINVAL);
  assert_int_equal(fixgw_tls_create(cc, "", &t), FIXGW_EINVAL);
  fixgw_tls_ctx_free(cc);
  fixgw_tls_ctx_free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake_tls12),
      cmocka_unit_test(test_handshake_tls13),
      cmocka_unit_test(test_certificate_failures),
      cmocka_unit_test(test_plain_text_peer),
      cmocka_unit_test(test_hostile_input),
      cmocka_unit_test(test_context_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
