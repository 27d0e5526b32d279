# Renders FIXTURE with `IOTRACE report` in FORMAT (txt or json) and compares the output byte
# for byte with EXPECTED; with IOTRACE_UPDATE_GOLDEN=1 in the environment it rewrites EXPECTED.
# The fixture is rendered twice: both runs must agree (no clock, no randomness, stable sorts).
foreach(var IOTRACE FIXTURE FORMAT EXPECTED WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "golden_check.cmake: ${var} is not set")
  endif()
endforeach()

get_filename_component(name ${EXPECTED} NAME)
set(args report ${FIXTURE})
if(FORMAT STREQUAL "json")
  list(APPEND args --json)
endif()

foreach(run 1 2)
  set(out ${WORK_DIR}/${name}.actual.${run})
  file(REMOVE ${out})
  execute_process(COMMAND ${IOTRACE} ${args} -o ${out}
    RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "iotrace ${args} exited with ${rc}:\n${stderr}")
  endif()
  if(NOT stdout STREQUAL "" OR NOT stderr STREQUAL "")
    message(FATAL_ERROR "iotrace ${args} -o FILE wrote to stdout or stderr:\n${stdout}${stderr}")
  endif()
endforeach()

execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files
  ${WORK_DIR}/${name}.actual.1 ${WORK_DIR}/${name}.actual.2 RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "two renderings of ${FIXTURE} differ: the report is not deterministic")
endif()

if("$ENV{IOTRACE_UPDATE_GOLDEN}" STREQUAL "1")
  file(COPY_FILE ${WORK_DIR}/${name}.actual.1 ${EXPECTED})
  message(STATUS "rewrote ${EXPECTED}: review it with git diff")
  return()
endif()

if(NOT EXISTS ${EXPECTED})
  message(FATAL_ERROR "${EXPECTED} does not exist; create it with IOTRACE_UPDATE_GOLDEN=1")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${EXPECTED} ${WORK_DIR}/${name}.actual.1
  RESULT_VARIABLE differ)
if(differ)
  find_program(DIFF diff)
  if(DIFF)
    execute_process(COMMAND ${DIFF} -u ${EXPECTED} ${WORK_DIR}/${name}.actual.1)
  endif()
  message(FATAL_ERROR "rendering of ${FIXTURE} differs from ${EXPECTED}; if the change is "
                      "intended, rerun with IOTRACE_UPDATE_GOLDEN=1 and review the diff")
endif()
