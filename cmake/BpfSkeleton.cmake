# Compiles a .bpf.c file with clang for the BPF target and wraps the object in a bpftool
# skeleton header, exposed as an INTERFACE library. The object is embedded in the header:
# nothing is installed or looked up at run time.

find_program(BPF_CLANG NAMES clang clang-16 clang-15 clang-14)
if(NOT BPF_CLANG)
  message(FATAL_ERROR "clang not found: install the Debian package 'clang'")
endif()
execute_process(COMMAND ${BPF_CLANG} -dumpversion OUTPUT_VARIABLE BPF_CLANG_VERSION
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(BPF_CLANG_VERSION VERSION_LESS 11)
  message(FATAL_ERROR "clang ${BPF_CLANG_VERSION} is too old for CO-RE: clang 11 or newer is needed")
endif()
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
if(NOT BPFTOOL)
  message(FATAL_ERROR "bpftool not found: install the Debian package 'bpftool'")
endif()
find_program(LLVM_STRIP NAMES llvm-strip llvm-strip-16 llvm-strip-15 llvm-strip-14)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPF_TARGET_ARCH arm64)
else()
  message(FATAL_ERROR "unsupported architecture ${CMAKE_SYSTEM_PROCESSOR}")
endif()

# clang's own headers come after the system ones (-idirafter), as libbpf-bootstrap does, so
# that asm/ headers resolve for the BPF target.
execute_process(COMMAND ${BPF_CLANG} -print-resource-dir OUTPUT_VARIABLE BPF_CLANG_RESOURCE_DIR
  OUTPUT_STRIP_TRAILING_WHITESPACE)

set(VMLINUX_DIR ${CMAKE_CURRENT_SOURCE_DIR}/bpf/vmlinux/${BPF_TARGET_ARCH})

# bpf_skeleton(target source [NAME name] [DEFINES -D...]): NAME and DEFINES build a variant of
# the same source under another name (its skeleton is iotrace_NAME_bpf).
function(bpf_skeleton target source)
  cmake_parse_arguments(ARG "" "NAME" "DEFINES" ${ARGN})
  get_filename_component(name ${source} NAME_WE)
  if(ARG_NAME)
    set(name ${ARG_NAME})
  endif()
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/bpf/${name}.skel.h)
  get_filename_component(srcdir ${source} DIRECTORY)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${BPF_TARGET_ARCH}
      ${ARG_DEFINES} -Wall -Werror -I${VMLINUX_DIR} -I${srcdir} -idirafter ${BPF_CLANG_RESOURCE_DIR}/include
      -MD -MF ${obj}.d -c ${source} -o ${obj}
    COMMAND $<IF:$<BOOL:${LLVM_STRIP}>,${LLVM_STRIP},true> -g ${obj}
    DEPFILE ${obj}.d
    DEPENDS ${source}
    COMMENT "BPF ${name}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/bpf
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  # One intermediate target, so parallel builds of several users do not race on the header.
  add_custom_target(${target}_gen DEPENDS ${skel})
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
