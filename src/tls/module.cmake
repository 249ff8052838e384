# TLS 1.2/1.3 as a sans-IO layer (tls.c) and the settings keys that
# configure it (from_settings.c), when Debian's libssl-dev (pkg-config
# openssl) is present; users of the module see FIXGW_HAVE_TLS, and net/
# then runs TLS connections too.
pkg_check_modules(OPENSSL QUIET IMPORTED_TARGET openssl)
if(OPENSSL_FOUND)
  message(STATUS "fixgw: TLS: on (libssl-dev ${OPENSSL_VERSION})")
  fixgw_module(tls SOURCES tls.c from_settings.c DEPS config common
               LIBS PkgConfig::OPENSSL EXPORT_LIBS ssl crypto)
  target_compile_definitions(fixgw_tls PUBLIC FIXGW_HAVE_TLS=1)
else()
  message(STATUS "fixgw: TLS: off (libssl-dev not found)")
endif()
