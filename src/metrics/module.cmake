fixgw_module(metrics SOURCES hist.c export.c clock.c DEPS common)
