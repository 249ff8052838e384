# Checking a parsed message against a dictionary (validate.c: the
# SessionRejectReason checks, the FIXT.1.1 transport/application split) and
# walking its repeating groups by the dictionary (groups.c). A module of its
# own beside dict (the model, tables and loader) because it needs the
# codec's conversions and group views, which dict itself does not link.
fixgw_module(validate
  SOURCES validate.c groups.c
  DEPS dict codec common)
