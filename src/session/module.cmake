# The sans-IO session engine: state machine (session.c), schedules
# (schedule.c) and the acceptor's routing peek and router (route.c).
fixgw_module(session SOURCES session.c schedule.c route.c
             DEPS store validate dict codec common)
