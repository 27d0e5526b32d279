# Installs the build into PREFIX and checks where the docs landed.
# cmake -DBUILD_DIR=... -DPREFIX=... -P check_install.cmake
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed:\n${out}")
endif()
foreach(f
    share/man/man8/iotrace.8
    share/bash-completion/completions/iotrace
    share/zsh/vendor-completions/_iotrace
    share/fish/vendor_completions.d/iotrace.fish
    share/iotrace/iotrace-report.schema.json
    share/iotrace/iotrace-capture.schema.json
    lib/systemd/system/iotrace-exporter.service)
  if(NOT EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "cmake --install did not install ${f}:\n${out}")
  endif()
endforeach()
file(READ ${PREFIX}/lib/systemd/system/iotrace-exporter.service unit)
if(NOT unit MATCHES "\nExecStart=${PREFIX}/sbin/iotrace exporter ")
  message(FATAL_ERROR "the systemd unit does not run the installed iotrace:\n${unit}")
endif()
message(STATUS "man page, completions and systemd unit installed under ${PREFIX}")
