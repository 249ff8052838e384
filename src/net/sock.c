/* Socket helpers: address resolution and formatting, socket options. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

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
