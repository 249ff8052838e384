# Optional transports on the public session API: the epoll loop (loop.c),
# the initiator (initiator.c), the acceptor (acceptor.c), socket helpers,
# deadlines and wake-ups (timers.c), the metrics endpoint (metrics.c); TLS
# connections (tls_conn.c) when the tls module is built.
set(fixgw_net_sources loop.c timers.c initiator.c acceptor.c sock.c metrics.c)
set(fixgw_net_deps session store codec metrics common)
if(TARGET fixgw_tls)
  list(APPEND fixgw_net_sources tls_conn.c)
  list(APPEND fixgw_net_deps tls)
endif()
fixgw_module(net SOURCES ${fixgw_net_sources} DEPS ${fixgw_net_deps})
