# Run fixgw-dump on the '|' input and on its SOH twin (written here), and
# require the names, enum meanings, indentation and flags it must print.
#   cmake -DDUMP=<fixgw-dump> -DINPUT=<dump_input.txt> -DWORK=<dir> -P check_dump.cmake
file(READ ${INPUT} pipe_form)
string(ASCII 1 SOH)
string(REPLACE "|" "${SOH}" soh_form "${pipe_form}")
file(WRITE ${WORK}/dump_input_soh.fix "${soh_form}")

set(expected
  "=== message 1 (line 1): FIX.4.4 D NewOrderSingle, 24 fields: valid"
  "  54 (Side) = 1 (BUY)"
  "  40 (OrdType) = 2 (LIMIT)"
  "  453 (NoPartyIDs) = 2"
  "    448 (PartyID) = P2"
  "    447 (PartyIDSource) = D (PROPRIETARY)"
  "REJECT 5 Value is incorrect (out of range) for this tag, tag 54"
  "  54 (Side) = Z   <-- reject 5: Value is incorrect (out of range) for this tag"
  "FIX.4.4 W MarketDataSnapshotFullRefresh"
  "    269 (MDEntryType) = 1 (OFFER)"
  "    271 (MDEntrySize) = 200"
  "CheckSum (10) does not match the message bytes (FIXGW_ECHECKSUM)")

foreach(input ${INPUT} ${WORK}/dump_input_soh.fix)
  execute_process(COMMAND ${DUMP} ${input} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 1)
    message(FATAL_ERROR "fixgw-dump ${input}: exit ${rc}, want 1 (errors flagged)\n${out}")
  endif()
  foreach(e ${expected})
    string(FIND "${out}" "${e}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "fixgw-dump ${input}: missing\n  ${e}\nin\n${out}")
    endif()
  endforeach()
endforeach()

# Filters: only W, only tags 268 and 270.
execute_process(COMMAND ${DUMP} --type W --tag 268 --tag 270 ${INPUT} OUTPUT_VARIABLE out)
foreach(e "MarketDataSnapshotFullRefresh" "  268 (NoMDEntries) = 2" "    270 (MDEntryPx) = 10.2")
  string(FIND "${out}" "${e}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "filtered dump: missing ${e}\n${out}")
  endif()
endforeach()
foreach(e "NewOrderSingle" "(MDEntryType)" "(Symbol)")
  string(FIND "${out}" "${e}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "filtered dump: unexpected ${e}\n${out}")
  endif()
endforeach()

# A custom dictionary through the runtime loader.
if(EXISTS ${SPEC}/FIX44.xml)
  execute_process(COMMAND ${DUMP} --dict ${SPEC}/FIX44.xml --type D ${INPUT}
                  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  string(FIND "${out}" "  54 (Side) = 1 (BUY)" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "dump with --dict: missing Side\n${out}")
  endif()
elseif(NOT "$ENV{FIXGW_REQUIRE_SPEC}" STREQUAL "" AND NOT "$ENV{FIXGW_REQUIRE_SPEC}" STREQUAL "0")
  message(FATAL_ERROR "${SPEC}/FIX44.xml not found (FIXGW_REQUIRE_SPEC is set)")
else()
  # ctest's SKIP_REGULAR_EXPRESSION for this test matches the line below.
  message("FIXGW-SKIP: spec not found: ${SPEC}/FIX44.xml, --dict not checked")
endif()
