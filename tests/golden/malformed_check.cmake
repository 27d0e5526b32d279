# `iotrace report` on files that are not captures: exit status 2 (usage), nothing on stdout,
# and one error line with its hint on stderr. Relative paths keep the messages exact.
foreach(var IOTRACE WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "malformed_check.cmake: ${var} is not set")
  endif()
endforeach()

set(hint "iotrace: hint: give a file written by 'iotrace attach --save-capture'\n")
file(WRITE ${WORK_DIR}/truncated.capture.json "{\"capture_version\": 1, \"processes\": [")
file(WRITE ${WORK_DIR}/future.capture.json "{\"capture_version\": 99}")
file(WRITE ${WORK_DIR}/no_pid.capture.json "{\"capture_version\": 1, \"processes\": [{\"comm\": \"x\"}]}")

function(expect_usage_error file expected_stderr)
  execute_process(COMMAND ${IOTRACE} report ${file} WORKING_DIRECTORY ${WORK_DIR}
    RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "iotrace report ${file}: exit status ${rc}, expected 2\n${stderr}")
  endif()
  if(NOT stdout STREQUAL "")
    message(FATAL_ERROR "iotrace report ${file} wrote to stdout:\n${stdout}")
  endif()
  if(NOT stderr STREQUAL expected_stderr)
    message(FATAL_ERROR "iotrace report ${file}: stderr is\n${stderr}\nexpected\n${expected_stderr}")
  endif()
endfunction()

expect_usage_error(truncated.capture.json
  "iotrace: error: cannot read capture 'truncated.capture.json': malformed capture: not valid JSON\n${hint}")
expect_usage_error(future.capture.json
  "iotrace: error: cannot read capture 'future.capture.json': capture version 99 is not supported (this iotrace reads 1)\n${hint}")
expect_usage_error(no_pid.capture.json
  "iotrace: error: cannot read capture 'no_pid.capture.json': malformed capture: [json.exception.out_of_range.403] key 'pid' not found\n${hint}")
expect_usage_error(missing.capture.json
  "iotrace: error: cannot read 'missing.capture.json': No such file or directory\n")
