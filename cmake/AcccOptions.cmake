# Build types and compiler flags.
#
#   Release (default)  -O2, assertions off, the ones the tools ship with
#   Debug              -O0 -g, assertions on, the IR verifier between passes
#   Asan               -O1 -g, AddressSanitizer + UndefinedBehaviorSanitizer,
#                      assertions on; any report aborts the test that hit it
#
# Warnings are errors in every build type.

set(_accc_build_types Release Debug Asan RelWithDebInfo)
set_property(CACHE CMAKE_BUILD_TYPE PROPERTY STRINGS ${_accc_build_types})

add_compile_options(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
                    -Wmissing-prototypes -Wno-unused-parameter)
# _GNU_SOURCE is not needed: we ask for POSIX.1-2008 explicitly.
add_compile_definitions(_POSIX_C_SOURCE=200809L)

set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG")
set(CMAKE_C_FLAGS_DEBUG "-O0 -g3 -DACCC_DEBUG=1")
set(CMAKE_C_FLAGS_RELWITHDEBINFO "-O2 -g -DNDEBUG")
set(_accc_san "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer")
set(CMAKE_C_FLAGS_ASAN "-O1 -g ${_accc_san} -DACCC_DEBUG=1")
set(CMAKE_EXE_LINKER_FLAGS_ASAN "${_accc_san}")
set(CMAKE_SHARED_LINKER_FLAGS_ASAN "${_accc_san}")

string(TOUPPER "${CMAKE_BUILD_TYPE}" ACCC_BUILD_TYPE_UPPER)
if(ACCC_BUILD_TYPE_UPPER STREQUAL "ASAN")
    set(ACCC_SANITIZED ON)
else()
    set(ACCC_SANITIZED OFF)
endif()

# libFuzzer targets need clang; they are built only when asked for
# (make fuzz configures a separate clang build with this on).
option(ACCC_FUZZ "Build the libFuzzer targets (requires clang)" OFF)
if(ACCC_FUZZ AND NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ACCC_FUZZ needs clang: configure with -DCMAKE_C_COMPILER=clang")
endif()
if(ACCC_FUZZ)
    # Instrument every library for coverage so libFuzzer can steer inputs
    # through their branches; only the fuzz targets link the fuzzer's main.
    add_compile_options(-fsanitize=fuzzer-no-link)
endif()
