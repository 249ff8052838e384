/* tls_certs: make the test CA and certificates (tests/tls/certs.c) in a
 * fresh directory under /tmp for benchmarks that run programs over TLS
 * (bench/e2e/e2e.sh), and print where they are:
 *   CERTS dir=D ca=F server=F server_key=F
 * The caller removes D. */
#include <stdio.h>

#include "certs.h"

int main(void) {
  test_certs_t c;
  test_certs_make(&c);
  printf("CERTS dir=%s ca=%s server=%s server_key=%s\n", c.dir, c.ca, c.server, c.server_key);
  return 0;
}
