# Data dictionaries: the model (dict.c), the runtime XML loader (load.c,
# expat) and the committed tables generated from the QuickFIX XML (gen/).
# Only codec.h's types are used, so no DEPS codec: nothing of it is linked.
pkg_check_modules(EXPAT REQUIRED IMPORTED_TARGET expat)
fixgw_module(dict
  SOURCES dict.c load.c
          gen/fix40.c gen/fix41.c gen/fix42.c gen/fix43.c gen/fix44.c
          gen/fix50.c gen/fix50sp1.c gen/fix50sp2.c gen/fixt11.c
  DEPS common
  LIBS PkgConfig::EXPAT
  EXPORT_LIBS expat)

# Where the QuickFIX XML lives (not in this repository; see
# src/dict/README.md). Used by `dict-regen` and by tests/dict.
set(FIXGW_SPEC_DIR "${PROJECT_SOURCE_DIR}/../shared/spec" CACHE PATH
    "Directory holding FIX40.xml ... FIX50SP2.xml and FIXT11.xml")
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  # Rewrites src/dict/gen/*.c in the source tree (files are only touched
  # when their content changes). Run it, review the diff, commit.
  add_custom_target(dict-regen
    COMMAND Python3::Interpreter ${PROJECT_SOURCE_DIR}/scripts/fixgw-dictgen
            --all ${FIXGW_SPEC_DIR} ${CMAKE_CURRENT_LIST_DIR}/gen
    COMMENT "Regenerating src/dict/gen from ${FIXGW_SPEC_DIR}"
    VERBATIM)
endif()
