fixgw_module(codec SOURCES scan.c parse.c convert.c access.c encode.c DEPS common)
