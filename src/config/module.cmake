# Reading what the host is given at start-up: QuickFIX-style settings
# files and time zones from the system's zoneinfo. Outside session/ so the
# engine itself never touches a file.
fixgw_module(config SOURCES settings.c tz.c DEPS session store dict common)
