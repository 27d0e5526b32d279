# Cross-compiles iotrace for arm64 (aarch64) on an x86_64 Debian host, with Debian's
# crossbuild-essential-arm64 and the :arm64 -dev packages (scripts/build-arm64.sh installs them).
# The BPF objects are built by the host's clang and bpftool for the arm64 kernel
# (cmake/BpfSkeleton.cmake picks __TARGET_ARCH_arm64 and bpf/vmlinux/arm64 from
# CMAKE_SYSTEM_PROCESSOR).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_AR aarch64-linux-gnu-ar CACHE FILEPATH "")
set(CMAKE_RANLIB aarch64-linux-gnu-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP aarch64-linux-gnu-strip CACHE FILEPATH "")
set(CMAKE_OBJCOPY aarch64-linux-gnu-objcopy CACHE FILEPATH "")

# Multiarch: arm64 libraries are in /usr/lib/aarch64-linux-gnu, headers in /usr/include (shared)
# and /usr/include/aarch64-linux-gnu. Programs (clang, bpftool, python3) come from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_FIND_ROOT_PATH / /usr/aarch64-linux-gnu)

# pkg-config: only the arm64 .pc files (and the arch-independent ones in /usr/share).
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Binaries built here run in an arm64 machine or under qemu-user, never on the build host.
find_program(IOTRACE_QEMU_AARCH64 qemu-aarch64-static qemu-aarch64)
if(IOTRACE_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${IOTRACE_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
endif()
