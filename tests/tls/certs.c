#define _GNU_SOURCE
/* See certs.h. EC P-256 keys: generated in microseconds, unlike RSA. */
#include "certs.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CHECK(x)                                        \
  do {                                                  \
    if (!(x)) fail_msg("certs: %s failed", #x);         \
  } while (0)

static EVP_PKEY *key_new(void) {
  EVP_PKEY *k = EVP_EC_gen("P-256");
  CHECK(k);
  return k;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value) {
  X509V3_CTX v;
  X509V3_set_ctx_nodb(&v);
  X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
  X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
  CHECK(e);
  CHECK(X509_add_ext(x, e, -1));
  X509_EXTENSION_free(e);
}

/* A certificate for key, signed by issuer/ikey (NULL: self-signed), valid
 * from now+from_s to now+to_s. san: "IP:127.0.0.1,DNS:localhost" or NULL. */
static X509 *cert_new(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, bool ca,
                      const char *san, long from_s, long to_s) {
  static long serial = 1;
  X509 *x = X509_new();
  CHECK(x);
  CHECK(X509_set_version(x, 2));
  CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++));
  CHECK(X509_gmtime_adj(X509_getm_notBefore(x), from_s));
  CHECK(X509_gmtime_adj(X509_getm_notAfter(x), to_s));
  CHECK(X509_set_pubkey(x, key));
  X509_NAME *n = X509_get_subject_name(x);
  CHECK(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0));
  CHECK(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n));
  X509 *signer = issuer ? issuer : x;
  if (ca) {
    add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, signer, NID_basic_constraints, "CA:FALSE");
    add_ext(x, signer, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  add_ext(x, signer, NID_subject_key_identifier, "hash");
  if (san) add_ext(x, signer, NID_subject_alt_name, san);
  CHECK(X509_sign(x, ikey ? ikey : key, EVP_sha256()) > 0);
  return x;
}

static void write_cert(const char *path, X509 *x) {
  FILE *f = fopen(path, "w");
  CHECK(f);
  CHECK(PEM_write_X509(f, x));
  fclose(f);
}

static void write_key(const char *path, EVP_PKEY *k, const char *password) {
  FILE *f = fopen(path, "w");
  CHECK(f);
  if (password)
    CHECK(PEM_write_PrivateKey(f, k, EVP_aes_128_cbc(), (unsigned char *)password,
                               (int)strlen(password), NULL, NULL));
  else
    CHECK(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
  fclose(f);
}

static void path(char *out, const test_certs_t *c, const char *name) {
  snprintf(out, 300, "%s/%s", c->dir, name);
}

/* A leaf: its key and certificate files. */
static void leaf(const test_certs_t *c, const char *name, const char *cn, X509 *ca,
                 EVP_PKEY *cakey, const char *san, long from_s, long to_s, char *cert_out,
                 char *key_out, EVP_PKEY **keep) {
  char n[64];
  EVP_PKEY *k = key_new();
  X509 *x = cert_new(k, cn, ca, cakey, false, san, from_s, to_s);
  snprintf(n, sizeof n, "%s.crt", name);
  path(cert_out, c, n);
  snprintf(n, sizeof n, "%s.key", name);
  path(key_out, c, n);
  write_cert(cert_out, x);
  write_key(key_out, k, NULL);
  X509_free(x);
  if (keep) *keep = k;
  else EVP_PKEY_free(k);
}

void test_certs_make(test_certs_t *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->dir, sizeof c->dir, "/tmp/fixgw-tls-XXXXXX");
  CHECK(mkdtemp(c->dir));
  const long day = 86400;
  EVP_PKEY *cak = key_new(), *oak = key_new();
  X509 *ca = cert_new(cak, "fixgw test CA", NULL, NULL, true, NULL, -day, 30 * day);
  X509 *oa = cert_new(oak, "another CA", NULL, NULL, true, NULL, -day, 30 * day);
  path(c->ca, c, "ca.crt");
  path(c->other_ca, c, "other-ca.crt");
  write_cert(c->ca, ca);
  write_cert(c->other_ca, oa);
  EVP_PKEY *sk = NULL;
  const char *san = "IP:127.0.0.1,IP:::1,DNS:localhost";
  leaf(c, "server", "server", ca, cak, san, -day, 30 * day, c->server, c->server_key, &sk);
  leaf(c, "expired", "server", ca, cak, san, -10 * day, -day, c->expired, c->expired_key, NULL);
  leaf(c, "wrong-host", "wrong.example", ca, cak, "DNS:wrong.example", -day, 30 * day,
       c->wrong_host, c->wrong_host_key, NULL);
  leaf(c, "foreign", "server", oa, oak, san, -day, 30 * day, c->foreign, c->foreign_key, NULL);
  leaf(c, "client", "client", ca, cak, NULL, -day, 30 * day, c->client, c->client_key, NULL);
  leaf(c, "client-foreign", "client", oa, oak, NULL, -day, 30 * day, c->client_foreign,
       c->client_foreign_key, NULL);
  path(c->enc_key, c, "server-enc.key");
  write_key(c->enc_key, sk, TEST_KEY_PASSWORD);
  EVP_PKEY_free(sk);
  X509_free(ca);
  X509_free(oa);
  EVP_PKEY_free(cak);
  EVP_PKEY_free(oak);
}

void test_certs_remove(const test_certs_t *c) {
  const char *files[] = {c->ca,          c->other_ca,   c->server,      c->server_key,
                         c->expired,     c->expired_key, c->wrong_host, c->wrong_host_key,
                         c->foreign,     c->foreign_key, c->client,     c->client_key,
                         c->client_foreign, c->client_foreign_key, c->enc_key};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    if (files[i][0]) unlink(files[i]);
  if (c->dir[0]) rmdir(c->dir);
}
