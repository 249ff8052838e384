/* TLS over OpenSSL BIO pairs: the SSL object talks to one end of a pair,
 * the host reads and writes the other end's buffers in place (BIO_nwrite0
 * / BIO_nread0 lend them), so no socket and no extra copy is involved.
 *
 * Every call into the SSL object clears OpenSSL's thread-local error
 * queue first and turns what is left in it after a failure into this
 * connection's text, so one connection's failure never shows up as
 * another's. The BIO-pair buffer calls push no errors (a full or empty
 * pair only sets its retry flags) and skip that work: it is a visible
 * part of a small message's cost. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "fixgw/tls.h"

struct fixgw_tls_ctx {
  SSL_CTX *ssl;
  fixgw_tls_role role;
  bool verify_host;
  char password[256]; /* the key's passphrase; wiped at free */
};

struct fixgw_tls {
  SSL *ssl;
  BIO *net; /* the host's end of the pair */
  int err;  /* sticky: the first failure */
  bool server;
  bool seen_first; /* a first inbound byte was checked */
  bool eof;        /* the transport ended */
  bool done;       /* handshake complete */
  bool check_host;
  /* Ciphertext came in that SSL_read has not yet found incomplete
   * (cleared when a read wants more): cheaper than SSL_has_pending. */
  bool unread;
  char *lent; /* what in_buf lent, for the plain-text check */
  size_t lent_cap;
  char host[256];
  char text[FIXGW_TLS_ERROR_MAX];
};

static void wipe(void *p, size_t n) {
  volatile unsigned char *q = p;
  while (n--) *q++ = 0;
}

/* The most useful line of OpenSSL's queue (the first pushed is the root
 * cause), then the queue emptied. */
static const char *ossl_reason(char *buf, size_t n) {
  unsigned long e = ERR_get_error(), first = e;
  while (e) e = ERR_get_error();
  if (!first) {
    snprintf(buf, n, "no detail from OpenSSL");
    return buf;
  }
  const char *r = ERR_reason_error_string(first);
  if (r) snprintf(buf, n, "%s", r);
  else ERR_error_string_n(first, buf, n);
  return buf;
}

/* ---------------------------------------------------------------- config */

void fixgw_tls_config_default(fixgw_tls_config_t *cfg, fixgw_tls_role role) {
  memset(cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
  cfg->role = role;
  cfg->min_version = FIXGW_TLS_1_2;
  cfg->max_version = FIXGW_TLS_1_3;
  cfg->verify_peer = true;
  cfg->verify_host = true;
  cfg->client_cert = FIXGW_TLS_CLIENT_CERT_NONE;
}

static int ctx_fail(char *err, size_t cap, int code, const char *fmt, const char *a,
                    const char *b) {
  if (err && cap) snprintf(err, cap, fmt, a, b);
  ERR_clear_error();
  return code;
}

static int passwd_cb(char *buf, int size, int rwflag, void *u) {
  (void)rwflag;
  const fixgw_tls_ctx_t *c = u;
  size_t n = strlen(c->password);
  if (n == 0 || (int)n >= size) return 0; /* no password: the load fails */
  memcpy(buf, c->password, n);
  return (int)n;
}

static int proto(uint16_t v) {
  return v == FIXGW_TLS_1_2 ? TLS1_2_VERSION : v == FIXGW_TLS_1_3 ? TLS1_3_VERSION : 0;
}

static bool readable(const char *path, bool dir) {
  return access(path, dir ? (R_OK | X_OK) : R_OK) == 0;
}

int fixgw_tls_ctx_create(const fixgw_tls_config_t *cfg, fixgw_tls_ctx_t **out, char *err,
                         size_t cap) {
  char why[160];
  if (err && cap) err[0] = 0;
  if (!out || !cfg || cfg->size < sizeof *cfg)
    return ctx_fail(err, cap, FIXGW_EINVAL, "%s%s", "invalid argument", "");
  *out = NULL;
  bool server = cfg->role == FIXGW_TLS_SERVER;
  int lo = proto(cfg->min_version), hi = proto(cfg->max_version);
  if (!lo || !hi || lo > hi)
    return ctx_fail(err, cap, FIXGW_EINVAL, "%s%s",
                    "versions must be TLS 1.2 or 1.3, min <= max", "");
  if (server && (!cfg->cert_file || !cfg->key_file))
    return ctx_fail(err, cap, FIXGW_EINVAL, "%s%s",
                    "a TLS server needs a certificate file and a key file", "");
  if (!!cfg->cert_file != !!cfg->key_file)
    return ctx_fail(err, cap, FIXGW_EINVAL, "%s%s",
                    "a certificate needs its key file, and a key its certificate", "");
  if (cfg->key_password && strlen(cfg->key_password) >= sizeof((fixgw_tls_ctx_t *)0)->password)
    return ctx_fail(err, cap, FIXGW_EINVAL, "%s%s", "key password too long", "");
  const char *files[][2] = {{"certificate file", cfg->cert_file},
                            {"key file", cfg->key_file},
                            {"CA file", cfg->ca_file}};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    if (files[i][1] && !readable(files[i][1], false))
      return ctx_fail(err, cap, FIXGW_EIO, "%s %s: cannot be read", files[i][0], files[i][1]);
  if (cfg->ca_dir && !readable(cfg->ca_dir, true))
    return ctx_fail(err, cap, FIXGW_EIO, "CA directory %s%s: cannot be read", cfg->ca_dir, "");

  ERR_clear_error();
  fixgw_tls_ctx_t *c = OPENSSL_zalloc(sizeof *c);
  if (!c) return FIXGW_ENOMEM;
  c->role = cfg->role;
  c->verify_host = !server && cfg->verify_peer && cfg->verify_host;
  if (cfg->key_password) snprintf(c->password, sizeof c->password, "%s", cfg->key_password);
  int rc = FIXGW_ETLS;
  c->ssl = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!c->ssl) {
    rc = FIXGW_ENOMEM;
    goto fail;
  }
  SSL_CTX *s = c->ssl;
  SSL_CTX_set_min_proto_version(s, lo);
  SSL_CTX_set_max_proto_version(s, hi);
  /* No renegotiation, compression or tickets: nothing a peer can use to
   * make a live connection allocate or change keys under the host. */
  SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(s, 0);
  SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
  /* A session's pending span moves and grows between retries, and one
   * record at a time is what a non-blocking writer wants. */
  SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_clear_mode(s, SSL_MODE_RELEASE_BUFFERS);
  if (cfg->cipher_list && !SSL_CTX_set_cipher_list(s, cfg->cipher_list)) {
    rc = ctx_fail(err, cap, FIXGW_ETLS, "cipher list \"%s\": %s", cfg->cipher_list,
                  ossl_reason(why, sizeof why));
    goto fail;
  }
  if (cfg->ciphersuites && !SSL_CTX_set_ciphersuites(s, cfg->ciphersuites)) {
    rc = ctx_fail(err, cap, FIXGW_ETLS, "TLS 1.3 cipher suites \"%s\": %s", cfg->ciphersuites,
                  ossl_reason(why, sizeof why));
    goto fail;
  }
  SSL_CTX_set_default_passwd_cb(s, passwd_cb);
  SSL_CTX_set_default_passwd_cb_userdata(s, c);
  if (cfg->cert_file && SSL_CTX_use_certificate_chain_file(s, cfg->cert_file) != 1) {
    rc = ctx_fail(err, cap, FIXGW_ETLS, "certificate file %s: %s", cfg->cert_file,
                  ossl_reason(why, sizeof why));
    goto fail;
  }
  if (cfg->key_file) {
    if (SSL_CTX_use_PrivateKey_file(s, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
      ossl_reason(why, sizeof why);
      if (strstr(why, "decrypt") || strstr(why, "pass"))
        snprintf(why + strlen(why), sizeof why - strlen(why), " (wrong or missing key password?)");
      rc = ctx_fail(err, cap, FIXGW_ETLS, "key file %s: %s", cfg->key_file, why);
      goto fail;
    }
    if (SSL_CTX_check_private_key(s) != 1) {
      rc = ctx_fail(err, cap, FIXGW_ETLS, "key file %s does not match certificate %s",
                    cfg->key_file, cfg->cert_file);
      goto fail;
    }
  }
  bool verify = server ? cfg->client_cert != FIXGW_TLS_CLIENT_CERT_NONE : cfg->verify_peer;
  if (verify) {
    int ok = (cfg->ca_file || cfg->ca_dir)
                 ? SSL_CTX_load_verify_locations(s, cfg->ca_file, cfg->ca_dir)
                 : SSL_CTX_set_default_verify_paths(s);
    if (ok != 1) {
      rc = ctx_fail(err, cap, FIXGW_ETLS, "CA locations: %s%s", ossl_reason(why, sizeof why), "");
      goto fail;
    }
  }
  if (server) {
    int mode = SSL_VERIFY_NONE;
    if (cfg->client_cert == FIXGW_TLS_CLIENT_CERT_OPTIONAL) mode = SSL_VERIFY_PEER;
    if (cfg->client_cert == FIXGW_TLS_CLIENT_CERT_REQUIRED)
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(s, mode, NULL);
    if (verify && cfg->ca_file) {
      STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->ca_file);
      if (names) SSL_CTX_set_client_CA_list(s, names);
    }
    static const unsigned char sid[] = "fixgw";
    SSL_CTX_set_session_id_context(s, sid, sizeof sid - 1);
  } else {
    SSL_CTX_set_verify(s, cfg->verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
  }
  ERR_clear_error();
  *out = c;
  return 0;
fail:
  fixgw_tls_ctx_free(c);
  return rc;
}

void fixgw_tls_ctx_free(fixgw_tls_ctx_t *ctx) {
  if (!ctx) return;
  SSL_CTX_free(ctx->ssl);
  wipe(ctx->password, sizeof ctx->password);
  OPENSSL_free(ctx);
}

fixgw_tls_role fixgw_tls_ctx_role(const fixgw_tls_ctx_t *ctx) { return ctx->role; }

/* ------------------------------------------------------------ connection */

int fixgw_tls_create(fixgw_tls_ctx_t *ctx, const char *host, fixgw_tls_t **out) {
  if (!out || !ctx) return FIXGW_EINVAL;
  *out = NULL;
  bool server = ctx->role == FIXGW_TLS_SERVER;
  if (!server && ctx->verify_host && (!host || !host[0])) return FIXGW_EINVAL;
  if (host && strlen(host) >= sizeof((fixgw_tls_t *)0)->host) return FIXGW_EINVAL;
  ERR_clear_error();
  fixgw_tls_t *t = OPENSSL_zalloc(sizeof *t);
  if (!t) return FIXGW_ENOMEM;
  t->server = server;
  if (host) snprintf(t->host, sizeof t->host, "%s", host);
  BIO *inner = NULL;
  t->ssl = SSL_new(ctx->ssl);
  if (!t->ssl || !BIO_new_bio_pair(&inner, FIXGW_TLS_BUF_BYTES, &t->net, FIXGW_TLS_BUF_BYTES))
    goto oom;
  SSL_set_bio(t->ssl, inner, inner); /* the SSL owns its end */
  if (server) {
    SSL_set_accept_state(t->ssl);
  } else {
    SSL_set_connect_state(t->ssl);
    unsigned char ip[16];
    bool numeric = host && (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1);
    /* SNI carries names only (RFC 6066 forbids addresses). */
    if (host && host[0] && !numeric && !SSL_set_tlsext_host_name(t->ssl, host)) goto oom;
    if (ctx->verify_host) {
      X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
      int ok = numeric ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) : SSL_set1_host(t->ssl, host);
      if (!ok) goto oom;
      t->check_host = true;
    }
  }
  ERR_clear_error();
  *out = t;
  return 0;
oom:
  ERR_clear_error();
  fixgw_tls_free(t);
  return FIXGW_ENOMEM;
}

void fixgw_tls_free(fixgw_tls_t *t) {
  if (!t) return;
  SSL_free(t->ssl);
  BIO_free(t->net);
  OPENSSL_free(t);
}

static int set_err(fixgw_tls_t *t, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int set_err(fixgw_tls_t *t, int code, const char *fmt, ...) {
  if (t->err) return t->err;
  t->err = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->text, sizeof t->text, fmt, ap);
  va_end(ap);
  return code;
}

/* The subject's CN of the peer's certificate, for messages. */
static void peer_cn(const fixgw_tls_t *t, char *buf, size_t n) {
  buf[0] = 0;
  X509 *x = SSL_get0_peer_certificate(t->ssl);
  if (!x) return;
  char cn[128];
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) > 0)
    snprintf(buf, n, " (peer CN=%s)", cn);
}

static bool is_cert_alert(int reason) {
  switch (reason) {
  case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
  case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
  case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
  case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
  case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
  case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
  case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    return true;
  default:
    return false;
  }
}

/* Classify a failed SSL call (SSL_ERROR_SSL or _SYSCALL) into a sticky
 * error with this connection's text. */
static int failure(fixgw_tls_t *t, int ssl_err) {
  char why[160], cn[160];
  unsigned long e = ERR_peek_error();
  int reason = ERR_GET_REASON(e);
  long vr = SSL_get_verify_result(t->ssl);
  const char *phase = t->done ? "TLS record error" : "TLS handshake failed";
  if (vr != X509_V_OK && (reason == SSL_R_CERTIFICATE_VERIFY_FAILED || !t->done)) {
    ERR_clear_error();
    peer_cn(t, cn, sizeof cn);
    if (vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH)
      return set_err(t, FIXGW_ETLSCERT,
                     "certificate verify failed: the certificate does not name %s%s",
                     t->host, cn);
    return set_err(t, FIXGW_ETLSCERT, "certificate verify failed: %s%s",
                   X509_verify_cert_error_string(vr), cn);
  }
  if (is_cert_alert(reason)) {
    ossl_reason(why, sizeof why);
    return set_err(t, FIXGW_ETLSCERT, "the peer refused our certificate: %s", why);
  }
  if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    ERR_clear_error();
    return set_err(t, FIXGW_ETLSCERT, "the client sent no certificate, and one is required");
  }
  if (ssl_err == SSL_ERROR_SYSCALL && !e)
    return set_err(t, FIXGW_ETLS, "%s: the transport failed", phase);
  ossl_reason(why, sizeof why);
  return set_err(t, FIXGW_ETLS, "%s: %s", phase, why);
}

/* After an SSL call returned <= 0: 0 for "call again later" (want read or
 * write), else a sticky error. */
static int after(fixgw_tls_t *t, int r) {
  int e = SSL_get_error(t->ssl, r);
  if (!t->done && SSL_is_init_finished(t->ssl)) t->done = true;
  switch (e) {
  case SSL_ERROR_WANT_READ:
    if (t->eof)
      return set_err(t, FIXGW_ETLS, t->done ? "connection closed without close_notify (truncated)"
                                            : "connection closed during the TLS handshake");
    return 0;
  case SSL_ERROR_WANT_WRITE:
    return 0;
  case SSL_ERROR_ZERO_RETURN:
    ERR_clear_error();
    return set_err(t, FIXGW_ETLSCLOSED, "the peer closed TLS (close_notify)");
  default:
    return failure(t, e);
  }
}

/* ---------------------------------------------------------- ciphertext in */

int fixgw_tls_in_buf(fixgw_tls_t *t, char **p, size_t *cap) {
  if (!t || !p || !cap) return FIXGW_EINVAL;
  char *b = NULL;
  ossl_ssize_t n = BIO_nwrite0(t->net, &b);
  if (n <= 0) {
    *p = NULL;
    *cap = 0;
  } else {
    *p = b;
    *cap = (size_t)n;
  }
  t->lent = *p;
  t->lent_cap = *cap;
  return 0;
}

static bool printable(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != 1 && (p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\r' && p[i] != '\n') return false;
  return true;
}

/* The first inbound byte of a TLS stream is a record type: handshake
 * (22), or an alert (21) from a server refusing us. Printable text there
 * is someone speaking a plain protocol: say so, rather than OpenSSL's
 * "wrong version number". */
static int check_first(fixgw_tls_t *t, const char *p, size_t n) {
  if (t->seen_first || n == 0) return 0;
  t->seen_first = true;
  const unsigned char *u = (const unsigned char *)p;
  if (u[0] == 22 || u[0] == 21) return 0;
  size_t k = n < 16 ? n : 16;
  if (!printable(u, k)) return 0; /* garbage: OpenSSL's own words */
  char shown[17];
  for (size_t i = 0; i < k; i++) shown[i] = u[i] == 1 ? '|' : (u[i] < 0x20 ? '.' : (char)u[i]);
  shown[k] = 0;
  return set_err(t, FIXGW_ETLSPLAIN,
                 t->server ? "the peer sent plain text \"%s\": a plain TCP client on a TLS port?"
                           : "the server sent plain text \"%s\": not a TLS port?",
                 shown);
}

int fixgw_tls_in_commit(fixgw_tls_t *t, size_t n) {
  if (!t) return FIXGW_EINVAL;
  if (n == 0) return t->err;
  if (!t->lent || n > t->lent_cap) return FIXGW_EINVAL;
  int rc = check_first(t, t->lent, n);
  char *b;
  BIO_nwrite(t->net, &b, (int)n);
  t->unread = true;
  t->lent = NULL;
  t->lent_cap = 0;
  return rc ? rc : t->err;
}

int fixgw_tls_feed(fixgw_tls_t *t, const void *buf, size_t len, size_t *consumed) {
  if (!t || !consumed || (!buf && len)) return FIXGW_EINVAL;
  *consumed = 0;
  while (*consumed < len) {
    char *p;
    size_t cap;
    fixgw_tls_in_buf(t, &p, &cap);
    if (cap == 0) break;
    size_t k = len - *consumed < cap ? len - *consumed : cap;
    memcpy(p, (const char *)buf + *consumed, k);
    int rc = fixgw_tls_in_commit(t, k);
    *consumed += k;
    if (rc) return rc;
  }
  return t->err;
}

void fixgw_tls_in_eof(fixgw_tls_t *t) {
  if (t) t->eof = true;
}

/* ------------------------------------------------------------- plaintext */

int fixgw_tls_read(fixgw_tls_t *t, void *buf, size_t cap, size_t *got) {
  if (!t || !buf || !got || cap == 0) return FIXGW_EINVAL;
  *got = 0;
  if (t->err) return t->err;
  /* Nothing buffered after the handshake: no record to open, and the
   * failing SSL_read (with its error-queue work) is skipped. */
  if (t->done && !t->eof && !t->unread && SSL_pending(t->ssl) == 0) return FIXGW_EAGAIN;
  ERR_clear_error();
  size_t n = 0;
  int r = SSL_read_ex(t->ssl, buf, cap, &n);
  if (r == 1) {
    t->done = true;
    *got = n;
    return 0;
  }
  if (SSL_get_error(t->ssl, r) == SSL_ERROR_WANT_READ) t->unread = false;
  int rc = after(t, r);
  return rc ? rc : FIXGW_EAGAIN;
}

int fixgw_tls_write(fixgw_tls_t *t, const void *buf, size_t len, size_t *taken) {
  if (!t || !taken || (!buf && len)) return FIXGW_EINVAL;
  *taken = 0;
  if (t->err) return t->err;
  if (len == 0) return 0;
  ERR_clear_error();
  size_t n = 0;
  int r = SSL_write_ex(t->ssl, buf, len, &n);
  if (r == 1) {
    t->done = true;
    *taken = n;
    return 0;
  }
  return after(t, r);
}

int fixgw_tls_out_pending(fixgw_tls_t *t, const char **p, size_t *n) {
  if (!t || !p || !n) return FIXGW_EINVAL;
  char *b = NULL;
  ossl_ssize_t k = BIO_nread0(t->net, &b);
  *p = k > 0 ? b : NULL;
  *n = k > 0 ? (size_t)k : 0;
  return 0;
}

int fixgw_tls_out_written(fixgw_tls_t *t, size_t n) {
  if (!t) return FIXGW_EINVAL;
  if (n == 0) return 0;
  char *b;
  ossl_ssize_t k = BIO_nread0(t->net, &b);
  if (k <= 0 || n > (size_t)k) return FIXGW_EINVAL;
  BIO_nread(t->net, &b, (int)n);
  return 0;
}

/* ----------------------------------------------------------------- state */

int fixgw_tls_handshake(fixgw_tls_t *t) {
  if (!t) return FIXGW_EINVAL;
  if (t->err) return t->err;
  if (t->done) return 0;
  ERR_clear_error();
  int r = SSL_do_handshake(t->ssl);
  if (r == 1) {
    t->done = true;
    return 0;
  }
  int rc = after(t, r);
  return rc ? rc : FIXGW_EAGAIN;
}

bool fixgw_tls_handshake_done(const fixgw_tls_t *t) { return t && t->done && !t->err; }

bool fixgw_tls_has_buffered(const fixgw_tls_t *t) {
  if (!t || t->err) return false;
  return t->unread || SSL_pending(t->ssl) > 0;
}

int fixgw_tls_shutdown(fixgw_tls_t *t) {
  if (!t) return FIXGW_EINVAL;
  if (t->err) return t->err;
  if (!t->done) return FIXGW_ESTATE;
  ERR_clear_error();
  SSL_shutdown(t->ssl); /* sends close_notify; the peer's is not awaited */
  ERR_clear_error();
  return 0;
}

uint16_t fixgw_tls_version(const fixgw_tls_t *t) {
  if (!t || !t->done) return 0;
  int v = SSL_version(t->ssl);
  return v == TLS1_3_VERSION ? FIXGW_TLS_1_3 : v == TLS1_2_VERSION ? FIXGW_TLS_1_2 : 0;
}

const char *fixgw_tls_cipher(const fixgw_tls_t *t) {
  if (!t || !t->done) return "";
  const char *c = SSL_get_cipher_name(t->ssl);
  return c ? c : "";
}

const char *fixgw_tls_error(const fixgw_tls_t *t) { return t ? t->text : ""; }

int fixgw_tls_error_code(const fixgw_tls_t *t) { return t ? t->err : FIXGW_EINVAL; }
