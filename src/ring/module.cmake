fixgw_module(ring SOURCES ring.c prio.c DEPS common LIBS PkgConfig::CK Threads::Threads)
