# Message and event logs (include/fixgw/log.h): the interface and the
# callback log (log.c), the file log's line buffer (buf.c) and files
# (file.c), the session adapter (attach.c) and the optional flusher thread
# (flusher.c). codec for the timestamps and BeginStrings; the session's
# types are used from its header only.
fixgw_module(log SOURCES log.c buf.c file.c attach.c flusher.c
             DEPS codec thread common LIBS Threads::Threads)
