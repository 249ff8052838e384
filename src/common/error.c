#include "fixgw/common.h"

const char *fixgw_strerror(int err) {
  switch (err) {
#define FIXGW__ERR_TEXT(name, value, text) \
  case (value):                            \
    return text;
    FIXGW_ERRNO_MAP(FIXGW__ERR_TEXT)
#undef FIXGW__ERR_TEXT
  }
  return "unknown error";
}

const char *fixgw_err_name(int err) {
  switch (err) {
#define FIXGW__ERR_NAME(name, value, text) \
  case (value):                            \
    return "FIXGW_" #name;
    FIXGW_ERRNO_MAP(FIXGW__ERR_NAME)
#undef FIXGW__ERR_NAME
  }
  return "FIXGW_E?";
}

int fixgw_err_is_fatal(int err) {
  return err == FIXGW_ENOMEM || err == FIXGW_ESTORE || err == FIXGW_EFATAL;
}
