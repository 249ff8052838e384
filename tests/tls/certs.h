/* Test certificates made at run time with OpenSSL's API (no openssl
 * binary, nothing committed): two CAs and leaf certificates signed by
 * them, written as PEM files into a fresh directory under /tmp. */
#ifndef FIXGW_TEST_TLS_CERTS_H
#define FIXGW_TEST_TLS_CERTS_H

#include <stddef.h>

typedef struct test_certs {
  char dir[64];
  char ca[300];          /* CA "fixgw test CA" */
  char other_ca[300];    /* another CA, which signed nothing we trust */
  char server[300], server_key[300];         /* CN=server, IP 127.0.0.1, DNS localhost */
  char expired[300], expired_key[300];       /* as server, expired a day ago */
  char wrong_host[300], wrong_host_key[300]; /* CN/DNS wrong.example, no IP SAN */
  char foreign[300], foreign_key[300];       /* as server, signed by other_ca */
  char client[300], client_key[300];         /* CN=client */
  char client_foreign[300], client_foreign_key[300]; /* client of other_ca */
  char enc_key[300];     /* server's key encrypted with TEST_KEY_PASSWORD */
} test_certs_t;

#define TEST_KEY_PASSWORD "s3cret-pass"

/* Make them all; aborts the test (cmocka fail) on any failure. */
void test_certs_make(test_certs_t *c);
/* Remove the files and the directory. */
void test_certs_remove(const test_certs_t *c);

#endif
