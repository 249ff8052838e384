fixgw_module(common SOURCES error.c alloc.c)
