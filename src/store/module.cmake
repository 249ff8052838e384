# The store interface's helpers and the memory store; the durable stores
# (file, SQLite) join this module.
fixgw_module(store SOURCES store.c mem.c file.c DEPS common)
