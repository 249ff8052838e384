fixgw_module(thread SOURCES cpuset.c topology.c wait.c thread.c
             DEPS common LIBS Threads::Threads)
