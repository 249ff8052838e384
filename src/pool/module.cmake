fixgw_module(pool SOURCES pool.c msgbuf.c DEPS common LIBS PkgConfig::CK)
