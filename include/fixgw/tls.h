/*
 * libfixgw tls: TLS 1.2 and 1.3 (OpenSSL) as a sans-IO layer between a
 * socket and a session's byte spans. Built when Debian's libssl-dev is
 * present (FIXGW_HAVE_TLS is then defined for users of the module).
 *
 *   socket -> fixgw_tls_in_buf/_in_commit (or _feed) -> fixgw_tls_read ->
 *             fixgw_session_recv_buf/_recv_commit
 *   fixgw_session_pending -> fixgw_tls_write -> fixgw_session_written;
 *             fixgw_tls_out_pending -> socket -> fixgw_tls_out_written
 *
 * The object never touches a socket or a clock. Ciphertext sits in two
 * bounded buffers owned by the connection (OpenSSL BIO pairs,
 * FIXGW_TLS_BUF_BYTES each way): the host reads its socket straight into
 * the inbound one and writes the outbound one straight to its socket, so
 * the only copies are the ones encryption makes. Plaintext is read into,
 * and written from, the caller's memory.
 *
 * Memory: a context and a connection allocate at create (OpenSSL's own
 * allocator); the read/write/in/out calls allocate nothing of ours, and
 * OpenSSL keeps its record buffers for the connection's lifetime (session
 * tickets and renegotiation are off, so a peer cannot make it allocate
 * per message).
 *
 * Drain rule: after ciphertext arrives, call fixgw_tls_read until it
 * returns FIXGW_EAGAIN; plaintext buffered inside the connection is not
 * visible to poll(). After every read or write, send what
 * fixgw_tls_out_pending lends (the handshake and alerts are produced by
 * reads too).
 *
 * Errors: 0 or a negative FIXGW_E* code. For the TLS ones (FIXGW_ETLS,
 * FIXGW_ETLSCERT, FIXGW_ETLSPLAIN, FIXGW_ETLSCLOSED) fixgw_tls_error()
 * has this connection's own text, e.g. "certificate verify failed:
 * certificate has expired"; a failed connection
 * keeps failing with the same code and text until it is freed, and no
 * other connection is touched. OpenSSL's thread-local error queue is
 * cleared around every call, so no text leaks between connections.
 *
 * Threads: a context may be shared by connections on any threads once
 * created (OpenSSL's SSL_CTX is); a connection belongs to one thread at a
 * time.
 */
#ifndef FIXGW_TLS_H
#define FIXGW_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fixgw_tls_ctx fixgw_tls_ctx_t;
typedef struct fixgw_tls fixgw_tls_t;
struct fixgw_session_settings;

/* Protocol versions, as TLS numbers them. */
#define FIXGW_TLS_1_2 0x0303u
#define FIXGW_TLS_1_3 0x0304u

/* Ciphertext buffered per direction per connection. */
#define FIXGW_TLS_BUF_BYTES (34u * 1024u)
/* Longest per-connection error text, with its NUL. */
#define FIXGW_TLS_ERROR_MAX 256u

typedef enum fixgw_tls_role {
  FIXGW_TLS_CLIENT = 0, /* the initiator: verifies the server */
  FIXGW_TLS_SERVER = 1  /* the acceptor */
} fixgw_tls_role;

/* What a server asks of its clients' certificates (QuickFIX's
 * CertificateVerifyLevel 0, 1, 2). */
typedef enum fixgw_tls_client_cert {
  FIXGW_TLS_CLIENT_CERT_NONE = 0,     /* not asked for */
  FIXGW_TLS_CLIENT_CERT_OPTIONAL = 1, /* asked for; verified if sent */
  FIXGW_TLS_CLIENT_CERT_REQUIRED = 2  /* a client without one is refused */
} fixgw_tls_client_cert;

typedef struct fixgw_tls_config {
  uint32_t size; /* sizeof(fixgw_tls_config_t); set by _default */
  fixgw_tls_role role;
  /* FIXGW_TLS_1_2 or FIXGW_TLS_1_3; default 1.2 .. 1.3. */
  uint16_t min_version, max_version;
  /* PEM files. A server needs both; a client sends its certificate when
   * given one. key_password decrypts an encrypted key (NULL: none); it is
   * copied and wiped from the context's memory at free. */
  const char *cert_file;
  const char *key_file;
  const char *key_password;
  /* Trusted CAs: a PEM file and/or an OpenSSL hashed directory. Neither:
   * the system's default paths. */
  const char *ca_file;
  const char *ca_dir;
  /* OpenSSL cipher strings: cipher_list for TLS <= 1.2
   * (SSL_CTX_set_cipher_list), ciphersuites for TLS 1.3
   * (SSL_CTX_set_ciphersuites). NULL: OpenSSL's defaults. */
  const char *cipher_list;
  const char *ciphersuites;
  /* Client: verify the server's chain (default true) and that it names
   * the host connected to (default true; a numeric address must be an IP
   * SAN, a name a DNS SAN or the CN). Turning either off is for tests. */
  bool verify_peer;
  bool verify_host;
  /* Server: client certificates (default NONE). */
  fixgw_tls_client_cert client_cert;
} fixgw_tls_config_t;

/* Defaults for role (the values documented above). */
void fixgw_tls_config_default(fixgw_tls_config_t *cfg, fixgw_tls_role role);

/*
 * The TLS part of a session's settings (fixgw/settings.h: SocketUseSSL,
 * SSLProtocol, SSLCipherSuite, TLSCipherSuites, the certificate keys,
 * CertificateVerifyLevel, SSLVerifyHostName) as a config for role: a
 * server takes ServerCertificate*, a client ClientCertificate*. The
 * strings point into *ss (owned by the settings object, which must
 * outlive fixgw_tls_ctx_create, not the context).
 * Returns 0, FIXGW_ENOTFOUND (SocketUseSSL is not Y: no TLS wanted),
 * FIXGW_EINVAL (NULL).
 */
int fixgw_tls_config_from_settings(const struct fixgw_session_settings *ss,
                                   fixgw_tls_role role,
                                   fixgw_tls_config_t *cfg);

/*
 * Create a context: load the certificate, key, CAs and cipher lists. *cfg
 * and its strings are only read during the call.
 * Returns 0 and *out, or a negative code with err (may be NULL; cap bytes,
 * NUL-terminated) saying what failed, e.g. "key file server.key: bad
 * decrypt (wrong key password?)":
 *   FIXGW_EINVAL   NULL out, size too small, a version not 1.2/1.3 or
 *                  min > max, a server without cert_file/key_file, a key
 *                  without a certificate
 *   FIXGW_EIO      a file or directory cannot be loaded (names it)
 *   FIXGW_ETLS     OpenSSL refused a setting: cipher string, a key that
 *                  does not match its certificate
 *   FIXGW_ENOMEM
 */
int fixgw_tls_ctx_create(const fixgw_tls_config_t *cfg, fixgw_tls_ctx_t **out,
                         char *err, size_t cap);
/* Free a context. Connections made from it hold their own reference, so
 * they may outlive it. Safe on NULL. */
void fixgw_tls_ctx_free(fixgw_tls_ctx_t *ctx);
fixgw_tls_role fixgw_tls_ctx_role(const fixgw_tls_ctx_t *ctx);

/*
 * A connection from ctx. host (client only, may be NULL for a server) is
 * the name or address the client connects to: it is sent as SNI (names
 * only) and checked against the certificate when verify_host is on (NULL
 * or "" with verify_host: FIXGW_EINVAL). Copied.
 * Returns 0 and *out, FIXGW_EINVAL, FIXGW_ENOMEM.
 */
int fixgw_tls_create(fixgw_tls_ctx_t *ctx, const char *host, fixgw_tls_t **out);
/* Free the connection (no close_notify: see fixgw_tls_shutdown). Safe on
 * NULL. */
void fixgw_tls_free(fixgw_tls_t *t);

/* ---------------------------------------------------------- ciphertext in */

/* Lend the writable span of the inbound buffer (*cap may be 0 when it is
 * full: read plaintext first). Valid until the next call on t. 0,
 * FIXGW_EINVAL. */
int fixgw_tls_in_buf(fixgw_tls_t *t, char **p, size_t *cap);
/* n bytes (<= the lent cap) were written there. Before the handshake's
 * first record, a first byte that cannot start TLS is FIXGW_ETLSPLAIN
 * ("the peer sent plain text ..."). 0, FIXGW_EINVAL (n over cap),
 * FIXGW_ETLSPLAIN, or the connection's earlier error. */
int fixgw_tls_in_commit(fixgw_tls_t *t, size_t n);
/* Copy from bytes the host already holds: as much of buf[0..len) as fits;
 * *consumed says how much. Same returns as in_commit. */
int fixgw_tls_feed(fixgw_tls_t *t, const void *buf, size_t len, size_t *consumed);
/* The peer's transport ended (TCP end of stream). The next read returns
 * FIXGW_ETLSCLOSED if the peer sent close_notify, FIXGW_ETLS ("closed
 * during the handshake", "truncated: no close_notify") otherwise. */
void fixgw_tls_in_eof(fixgw_tls_t *t);

/* --------------------------------------------------------- plaintext out */

/*
 * Decrypt into buf[0..cap): *got bytes (> 0) and 0; or FIXGW_EAGAIN when
 * more ciphertext is needed (the handshake may have produced output: send
 * it); FIXGW_ETLSCLOSED once the peer sent close_notify; FIXGW_ETLSCERT
 * (the peer's certificate failed verification, or the peer refused ours);
 * FIXGW_ETLSPLAIN; FIXGW_ETLS (handshake or record failure: garbage,
 * bad MAC, truncated, version or cipher mismatch); FIXGW_EINVAL.
 * Drives the handshake. cap 0 is FIXGW_EINVAL.
 */
int fixgw_tls_read(fixgw_tls_t *t, void *buf, size_t cap, size_t *got);

/* ---------------------------------------------------------- plaintext in */

/*
 * Encrypt from buf[0..len): *taken bytes went into records (0 while the
 * handshake is not done or the outbound buffer is full). Bytes not taken
 * must be offered again, starting at the same byte (the span may move
 * and grow, as a session's pending span does). Returns 0 (also when
 * *taken is 0: send out_pending, read, and call again), or a TLS error as
 * read. Drives the handshake.
 */
int fixgw_tls_write(fixgw_tls_t *t, const void *buf, size_t len, size_t *taken);

/* --------------------------------------------------------- ciphertext out */

/* Lend the ciphertext waiting to go out (*n 0: none); no side effect.
 * Valid until the next call on t. 0, FIXGW_EINVAL. */
int fixgw_tls_out_pending(fixgw_tls_t *t, const char **p, size_t *n);
/* n (<= the lent n) bytes went out. 0, FIXGW_EINVAL. */
int fixgw_tls_out_written(fixgw_tls_t *t, size_t n);

/* ---------------------------------------------------------------- state */

/* Ciphertext or plaintext held inside t that fixgw_tls_read has not
 * returned yet (poll() cannot see it): read again once there is room. */
bool fixgw_tls_has_buffered(const fixgw_tls_t *t);
/* Run the handshake as far as the buffered input allows: 0 when done,
 * FIXGW_EAGAIN in progress, or a TLS error as read. */
int fixgw_tls_handshake(fixgw_tls_t *t);
bool fixgw_tls_handshake_done(const fixgw_tls_t *t);
/* Queue a close_notify alert (send out_pending afterwards). 0, or the
 * connection's error. */
int fixgw_tls_shutdown(fixgw_tls_t *t);
/* The negotiated version (FIXGW_TLS_1_2, FIXGW_TLS_1_3; 0 before the
 * handshake) and cipher name ("" before). */
uint16_t fixgw_tls_version(const fixgw_tls_t *t);
const char *fixgw_tls_cipher(const fixgw_tls_t *t);
/* This connection's error text, "" while there is none; valid until free. */
const char *fixgw_tls_error(const fixgw_tls_t *t);
/* The connection's sticky error code (0: none). */
int fixgw_tls_error_code(const fixgw_tls_t *t);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_TLS_H */
