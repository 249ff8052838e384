/* A session's TLS settings (fixgw/settings.h) as a TLS config: the one
 * place that knows which key feeds which field, for every host. */
#include <string.h>

#include "fixgw/settings.h"
#include "fixgw/tls.h"

int fixgw_tls_config_from_settings(const struct fixgw_session_settings *ss, fixgw_tls_role role,
                                   fixgw_tls_config_t *cfg) {
  if (!ss || !cfg) return FIXGW_EINVAL;
  fixgw_tls_config_default(cfg, role);
  const fixgw_settings_tls_t *t = &ss->tls;
  if (!t->enabled) return FIXGW_ENOTFOUND;
  bool server = role == FIXGW_TLS_SERVER;
  cfg->min_version = t->min_version;
  cfg->max_version = t->max_version;
  cfg->cipher_list = t->cipher_suite;
  cfg->ciphersuites = t->tls_cipher_suites;
  cfg->cert_file = server ? t->server_certificate_file : t->client_certificate_file;
  cfg->key_file = server ? t->server_certificate_key_file : t->client_certificate_key_file;
  const char *pw = server ? t->server_certificate_key_password : t->client_certificate_key_password;
  cfg->key_password = pw[0] ? pw : NULL;
  cfg->ca_file = t->ca_file;
  cfg->ca_dir = t->ca_directory;
  cfg->verify_host = t->verify_host_name;
  cfg->client_cert = (fixgw_tls_client_cert)t->verify_level;
  return 0;
}
