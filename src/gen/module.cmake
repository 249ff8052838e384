fixgw_module(gen SOURCES gen.c symbols.c write.c DEPS codec common)
