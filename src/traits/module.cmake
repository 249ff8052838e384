# Typed read and encode of the hot FIX 4.4 messages (fixgw/traits.h); its
# group members are found through the dictionary's group walk.
fixgw_module(traits
  SOURCES traits.c
  DEPS validate dict codec common)
