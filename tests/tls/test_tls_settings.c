#define _GNU_SOURCE
/* The TLS settings keys (fixgw/settings.h) and their TLS config
 * (fixgw_tls_config_from_settings): values, defaults, inheritance, and
 * errors as file:line: key. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixgw/settings.h"
#include "fixgw/tls.h"

#define ACC "[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=S\n" \
            "TargetCompID=C\nNonStopSession=Y\nSocketAcceptPort=0\n"
#define INI "[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=C\n" \
            "TargetCompID=S\nNonStopSession=Y\nSocketConnectHost=127.0.0.1\nSocketConnectPort=1\n"

static fixgw_settings_t *load(const char *text, fixgw_settings_error_t *err) {
  fixgw_settings_t *s = NULL;
  int rc = fixgw_settings_load_mem(text, strlen(text), "t.cfg", NULL, &s, err);
  return rc ? NULL : s;
}

static void expect_error(const char *text, const char *where) {
  fixgw_settings_error_t err;
  fixgw_settings_t *s = load(text, &err);
  char line[512];
  fixgw_settings_error_format(&err, line, sizeof line);
  if (s || !strstr(line, where)) fail_msg("wanted \"%s\", got \"%s\"", where, s ? "ok" : line);
  printf("  %s\n", line);
  fixgw_settings_free(s);
}

static void test_keys_and_config(void **state) {
  (void)state;
  setenv("FIXGW_TEST_KEY_PW", "pw-from-env", 1);
  const char *text =
      "[DEFAULT]\nSocketUseSSL=Y\nSSLProtocol=+TLSv1_3\nCertificationAuthoritiesFile=ca.pem\n"
      "SSLCipherSuite=HIGH\nTLSCipherSuites=TLS_AES_128_GCM_SHA256\n"
      "ServerCertificateFile=s.crt\nServerCertificateKeyFile=s.key\n"
      "ServerCertificateKeyPassword=env:FIXGW_TEST_KEY_PW\n"
      "ClientCertificateFile=c.crt\nClientCertificateKeyFile=c.key\n"
      ACC "CertificateVerifyLevel=2\n" INI "SSLVerifyHostName=N\nSSLProtocol=all -SSLv2\n";
  fixgw_settings_error_t err;
  fixgw_settings_t *s = load(text, &err);
  if (!s) fail_msg("%s:%u: %s: %s", err.file, err.line, err.key, err.message);
  const fixgw_session_settings_t *a = fixgw_settings_session(s, 0), *i = fixgw_settings_session(s, 1);
  assert_true(a->tls.enabled && i->tls.enabled);
  assert_int_equal(a->tls.min_version, FIXGW_TLS_1_3); /* "+TLSv1_3" alone */
  assert_int_equal(a->tls.max_version, FIXGW_TLS_1_3);
  assert_int_equal(i->tls.min_version, FIXGW_TLS_1_2); /* all -SSLv2: 1.2 .. 1.3 */
  assert_int_equal(i->tls.max_version, FIXGW_TLS_1_3);
  assert_string_equal(a->tls.server_certificate_key_password, "pw-from-env");

  fixgw_tls_config_t cfg;
  assert_int_equal(fixgw_tls_config_from_settings(a, FIXGW_TLS_SERVER, &cfg), 0);
  assert_string_equal(cfg.cert_file, "s.crt");
  assert_string_equal(cfg.key_file, "s.key");
  assert_string_equal(cfg.key_password, "pw-from-env");
  assert_string_equal(cfg.ca_file, "ca.pem");
  assert_string_equal(cfg.cipher_list, "HIGH");
  assert_string_equal(cfg.ciphersuites, "TLS_AES_128_GCM_SHA256");
  assert_int_equal(cfg.client_cert, FIXGW_TLS_CLIENT_CERT_REQUIRED);
  assert_int_equal(fixgw_tls_config_from_settings(i, FIXGW_TLS_CLIENT, &cfg), 0);
  assert_string_equal(cfg.cert_file, "c.crt");
  assert_null(cfg.key_password);
  assert_false(cfg.verify_host);
  assert_true(cfg.verify_peer);
  fixgw_settings_free(s);

  /* Without SocketUseSSL: no TLS, and the defaults. */
  s = load(INI, &err);
  assert_non_null(s);
  i = fixgw_settings_session(s, 0);
  assert_false(i->tls.enabled);
  assert_true(i->tls.verify_host_name);
  assert_int_equal(fixgw_tls_config_from_settings(i, FIXGW_TLS_CLIENT, &cfg), FIXGW_ENOTFOUND);
  fixgw_settings_free(s);
}

static void test_errors(void **state) {
  (void)state;
  expect_error(INI "SocketUseSSL=Y\nSSLProtocol=TLSv1\n",
               "t.cfg:10: SSLProtocol: 'TLSv1' leaves neither TLSv1_2 nor TLSv1_3");
  expect_error(INI "SSLProtocol=TLSv2\n", "t.cfg:9: SSLProtocol: 'TLSv2' is not a list");
  expect_error(ACC "SocketUseSSL=Y\n", "t.cfg:1: ServerCertificateFile: required for an acceptor");
  expect_error(ACC "SocketUseSSL=Y\nServerCertificateFile=s.crt\n",
               "ServerCertificateKeyFile: required with ServerCertificateFile");
  expect_error(ACC "ClientCertificateFile=c.crt\n",
               "t.cfg:8: ClientCertificateFile: does not apply to an acceptor");
  expect_error(INI "CertificateVerifyLevel=1\n",
               "t.cfg:9: CertificateVerifyLevel: does not apply to an initiator");
  expect_error(ACC "CertificateVerifyLevel=3\n", "CertificateVerifyLevel: '3' is not an integer in 0..2");
  expect_error(INI "SocketUseSSL=yes\n", "t.cfg:9: SocketUseSSL: 'yes' is not Y or N");
  unsetenv("FIXGW_TEST_NO_SUCH_VAR");
  expect_error(ACC "ServerCertificateKeyPassword=env:FIXGW_TEST_NO_SUCH_VAR\n",
               "ServerCertificateKeyPassword: environment variable FIXGW_TEST_NO_SUCH_VAR is not set");
  /* A secret's value is never echoed. */
  expect_error(INI "SocketUseSSL=Y\nClientCertificateKeyPassword=hunter2\nClientCertificateFile=x\n",
               "ClientCertificateKeyFile: required with ClientCertificateFile");
  fixgw_settings_error_t err;
  fixgw_settings_t *s = load(INI "ClientCertificateKeyPassword=hunter2\nSSLProtocol=bad\n", &err);
  assert_null(s);
  assert_null(strstr(err.message, "hunter2"));
  /* Inherited from DEFAULT, a key of the other side is dropped. */
  s = load("[DEFAULT]\nCertificateVerifyLevel=2\nClientCertificateFile=c\n" INI ACC, &err);
  assert_non_null(s);
  fixgw_settings_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keys_and_config),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
