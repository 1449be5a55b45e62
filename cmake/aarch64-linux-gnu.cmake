# CMake toolchain: aarch64 (arm64) Linux with Debian's crossbuild-essential-arm64
# against a sysroot of Debian arm64 packages unpacked by
# scripts/cross_build_arm64.sh. Code generators (protoc, grpc_cpp_plugin) are
# the host's: the same Debian versions as the arm64 libraries, and the arm64
# ones could only run under qemu.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DEDGENAS_ARM64_SYSROOT=/path/to/sysroot -DEDGENAS_AGENT_ONLY=ON ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

# The sysroot: -DEDGENAS_ARM64_SYSROOT, else $EDGENAS_ARM64_SYSROOT, else the
# script's default. Passed on to try_compile projects, which re-read this file.
if(NOT EDGENAS_ARM64_SYSROOT)
  if(DEFINED ENV{EDGENAS_ARM64_SYSROOT})
    set(EDGENAS_ARM64_SYSROOT "$ENV{EDGENAS_ARM64_SYSROOT}")
  else()
    set(EDGENAS_ARM64_SYSROOT "$ENV{HOME}/.cache/edgenas/arm64-sysroot")
  endif()
endif()
if(NOT EXISTS "${EDGENAS_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
  message(FATAL_ERROR "EDGENAS_ARM64_SYSROOT: no arm64 sysroot at ${EDGENAS_ARM64_SYSROOT} "
                      "(scripts/cross_build_arm64.sh --sysroot-only makes one)")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EDGENAS_ARM64_SYSROOT)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_SYSROOT "${EDGENAS_ARM64_SYSROOT}")
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Libraries, headers and package configs only from the sysroot; programs
# (protoc, grpc_cpp_plugin, ccache) only from the host.
set(CMAKE_FIND_ROOT_PATH "${EDGENAS_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (gRPC's re2, prometheus-cpp's curl) reads the sysroot's .pc
# files, and prefixes their paths with the sysroot.
set(ENV{PKG_CONFIG_DIR} "")
set(ENV{PKG_CONFIG_LIBDIR}
    "${EDGENAS_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${EDGENAS_ARM64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${EDGENAS_ARM64_SYSROOT}")

# Shared libraries the agent's libraries need in turn (OpenBLAS, glog, ...)
# are looked up in the sysroot, not on the host.
set(_edgenas_rpath_link
    "-Wl,-rpath-link,${EDGENAS_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu"
    "-Wl,-rpath-link,${EDGENAS_ARM64_SYSROOT}/lib/aarch64-linux-gnu")
string(JOIN " " _edgenas_rpath_link ${_edgenas_rpath_link})
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_edgenas_rpath_link}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_edgenas_rpath_link}")

# Host code generators. FindProtobuf looks for protoc with find_program
# (host, above); gRPC's exported plugin targets are pointed at /usr/bin by
# scripts/cross_build_arm64.sh when it assembles the sysroot.
set(Protobuf_PROTOC_EXECUTABLE /usr/bin/protoc CACHE FILEPATH "host protoc")

# Lets CMake run arm64 programs it builds (try_run, tests) under qemu.
find_program(EDGENAS_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(EDGENAS_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${EDGENAS_QEMU_AARCH64};-L;${EDGENAS_ARM64_SYSROOT}")
endif()
