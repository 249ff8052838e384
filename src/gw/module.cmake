# The threaded gateway on the public API: priority rings in, net/'s loop
# and sessions on one pinned I/O thread, inbound rings out.
fixgw_module(gw SOURCES gw.c io.c DEPS ring pool thread metrics net session common
             LIBS PkgConfig::CK Threads::Threads)
