# Optional transports on the public session API: the epoll loop (loop.c),
# the initiator (initiator.c), the acceptor (acceptor.c), socket helpers.
fixgw_module(net SOURCES loop.c timers.c initiator.c acceptor.c sock.c
             DEPS session store codec common)
