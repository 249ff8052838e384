# cmake -P script run by the install_consumer test; see CMakeLists.txt.
foreach(v BUILD_DIR WORK_DIR EXAMPLE_DIR LIBDIR C_COMPILER)
  if(NOT ${v})
    message(FATAL_ERROR "install_consumer: ${v} not set")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install_consumer: ${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f ${LIBDIR}/libfixgw.a include/fixgw.h include/fixgw/codec.h
          ${LIBDIR}/cmake/fixgw/fixgwConfig.cmake ${LIBDIR}/pkgconfig/fixgw.pc)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "install_consumer: ${f} not installed")
  endif()
endforeach()

# A sanitized library needs a sanitized consumer (the runtime's symbols).
set(san_flags "")
if(SANITIZE)
  set(san_flags "-fsanitize=${SANITIZE}")
endif()

# 1. CMake package: find_package(fixgw) + fixgw::fixgw.
run("configure examples/installed"
    ${CMAKE_COMMAND} -S ${EXAMPLE_DIR} -B ${WORK_DIR}/cmake-build
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER}
    "-DCMAKE_C_FLAGS=${san_flags}" "-DCMAKE_EXE_LINKER_FLAGS=${san_flags}")
run("build examples/installed" ${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-build)
run("run roundtrip (find_package)" ${WORK_DIR}/cmake-build/roundtrip)
message(STATUS "${run_out}")

# 2. pkg-config: the same source, flags from fixgw.pc only.
set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
run("pkg-config --cflags --libs fixgw" pkg-config --cflags --libs fixgw)
string(STRIP "${run_out}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
string(FIND "${pc_flags}" "${prefix}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "install_consumer: pkg-config flags do not point into the prefix: ${pc_flags}")
endif()
separate_arguments(san_list UNIX_COMMAND "${san_flags}")
run("compile with pkg-config flags"
    ${C_COMPILER} -std=c11 ${san_list} ${EXAMPLE_DIR}/roundtrip.c ${pc_flags}
    -o ${WORK_DIR}/roundtrip-pc)
run("run roundtrip (pkg-config)" ${WORK_DIR}/roundtrip-pc)
message(STATUS "${run_out}")
