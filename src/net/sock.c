/* Socket helpers: address resolution and formatting, socket options. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net_internal.h"

socklen_t fixgw__net_addr_len(const net_addr_t *a) {
  return a->sa.sa_family == AF_INET6 ? (socklen_t)sizeof a->in6 : (socklen_t)sizeof a->in4;
}

void fixgw__net_addr_format(const net_addr_t *a, char *buf, size_t n) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (a->sa.sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof ip);
    snprintf(buf, n, "[%s]:%u", ip, (unsigned)ntohs(a->in6.sin6_port));
  } else if (a->sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &a->in4.sin_addr, ip, sizeof ip);
    snprintf(buf, n, "%s:%u", ip, (unsigned)ntohs(a->in4.sin_port));
  } else {
    snprintf(buf, n, "(family %d)", (int)a->sa.sa_family);
  }
}

int fixgw__net_resolve(fixgw_loop_t *loop, const char *host, uint16_t port, bool passive,
                       bool numeric_only, net_addr_t *out, uint32_t max) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  /* AI_NUMERICSERV: the port is always a number, so no services lookup. */
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0) |
                   (numeric_only ? AI_NUMERICHOST : 0);
  char service[8];
  snprintf(service, sizeof service, "%u", (unsigned)port);
  int rc = getaddrinfo(host, service, &hints, &res);
  if (rc) {
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "cannot resolve %s port %u: %s", host,
                   (unsigned)port, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    return FIXGW_ENOTFOUND;
  }
  uint32_t n = 0;
  for (struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    if (ai->ai_addrlen > sizeof(net_addr_t)) continue;
    memset(&out[n], 0, sizeof out[n]);
    memcpy(&out[n], ai->ai_addr, ai->ai_addrlen);
    n++;
  }
  freeaddrinfo(res);
  if (!n) {
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "%s port %u has no IPv4 or IPv6 address", host,
                   (unsigned)port);
    return FIXGW_ENOTFOUND;
  }
  return (int)n;
}

void fixgw__net_sock_apply(fixgw_loop_t *loop, int fd, const fixgw_net_sock_opts_t *o,
                           const char *peer) {
  int one = 1;
  if (o->no_delay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one))
    fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: setsockopt(TCP_NODELAY): %s", peer,
                   strerror(errno));
  if (o->sndbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf, sizeof o->sndbuf))
    fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: setsockopt(SO_SNDBUF, %d): %s", peer, o->sndbuf,
                   strerror(errno));
  if (o->rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof o->rcvbuf))
    fixgw__net_log(loop, FIXGW_LOG_WARN, "%s: setsockopt(SO_RCVBUF, %d): %s", peer, o->rcvbuf,
                   strerror(errno));
}

void fixgw__net_session_name(const fixgw_session_t *s, char *buf, size_t n) {
  const fixgw_session_id_t *id = fixgw_session_id(s);
  snprintf(buf, n, "%s:%s->%s", fixgw_version_string(id->version), id->sender_comp_id,
           id->target_comp_id);
}

int fixgw__net_listen_socket(fixgw_loop_t *loop, const char *host, uint16_t port, int backlog,
                             int *fd_out, uint16_t *bound_port, char *name, size_t name_len) {
  net_addr_t a;
  int rc = fixgw__net_resolve(loop, host, port, true, false, &a, 1);
  if (rc < 0) return rc;
  fixgw__net_addr_format(&a, name, name_len);
  int fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "listen on %s: socket: %s", name, strerror(errno));
    return FIXGW_ESYS;
  }
  int one = 1;
  /* A restarted acceptor must not wait for TIME_WAIT of its old port. */
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one))
    fixgw__net_log(loop, FIXGW_LOG_WARN, "listen on %s: SO_REUSEADDR: %s", name,
                   strerror(errno));
  const char *call = NULL;
  if (bind(fd, &a.sa, fixgw__net_addr_len(&a))) call = "bind";
  else if (listen(fd, backlog > 0 ? backlog : 128)) call = "listen";
  net_addr_t b;
  socklen_t blen = sizeof b;
  if (!call && getsockname(fd, &b.sa, &blen)) call = "getsockname";
  if (call) {
    int err = errno;
    fixgw__net_log(loop, FIXGW_LOG_ERROR, "listen on %s: %s: %s", name, call, strerror(err));
    close(fd);
    errno = err;
    return FIXGW_ESYS;
  }
  *bound_port = ntohs(b.sa.sa_family == AF_INET6 ? b.in6.sin6_port : b.in4.sin_port);
  fixgw__net_addr_format(&b, name, name_len);
  *fd_out = fd;
  return 0;
}
