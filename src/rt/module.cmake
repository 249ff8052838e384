fixgw_module(rt SOURCES rt.c send.c DEPS ring pool thread metrics common
             LIBS PkgConfig::CK Threads::Threads)
