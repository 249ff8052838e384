# The dictionary's second half: validation, dictionary-driven repeating
# groups and typed hot messages (traits). A module of its own beside dict
# (the model, tables and loader) because it needs the codec's conversions
# and group views, which dict itself does not link.
fixgw_module(dictx
  SOURCES validate.c groups.c traits.c
  DEPS dict codec common)
