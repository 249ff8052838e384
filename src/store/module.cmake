# The store interface's helpers and the memory store; the durable stores
# (file, SQLite) join this module.
fixgw_module(store SOURCES store.c mem.c file.c qf_import.c DEPS codec common)

# The SQLite store, when Debian's libsqlite3-dev (pkg-config sqlite3) is
# present; tests and benchmarks see FIXGW_HAVE_SQLITE.
pkg_check_modules(SQLITE3 QUIET IMPORTED_TARGET sqlite3)
if(SQLITE3_FOUND)
  message(STATUS "fixgw: SQLite store: on (libsqlite3-dev ${SQLITE3_VERSION})")
  target_sources(fixgw_store PRIVATE ${CMAKE_CURRENT_LIST_DIR}/sqlite.c)
  target_link_libraries(fixgw_store PUBLIC PkgConfig::SQLITE3)
  target_compile_definitions(fixgw_store PUBLIC FIXGW_HAVE_SQLITE=1)
  set_property(GLOBAL APPEND PROPERTY FIXGW_EXPORT_LIBS sqlite3)
else()
  message(STATUS "fixgw: SQLite store: off (libsqlite3-dev not found)")
endif()
