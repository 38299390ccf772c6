# Find every external dependency once. A missing one stops the configure
# with the Debian package that provides it (scripts/deps.sh installs them all).

function(accc_require found what package)
    if(NOT ${found})
        message(FATAL_ERROR
            "accc needs ${what}, which was not found.\n"
            "Install the Debian package:  apt-get install ${package}\n"
            "(or run scripts/deps.sh, which installs everything accc needs)")
    endif()
endfunction()

# --- flex and bison: the DSL's lexer and parser ------------------------------
find_package(FLEX 2.6)
accc_require(FLEX_FOUND "flex (>= 2.6)" flex)
find_package(BISON 3.7)
accc_require(BISON_FOUND "bison (>= 3.7)" bison)

# --- LLVM, through llvm-config: the C API for the host target ----------------
# Debian ships LLVM 14 as the default; 15 and 16 work as well.
find_program(LLVM_CONFIG
    NAMES llvm-config-16 llvm-config-15 llvm-config-14 llvm-config
    PATHS /usr/lib/llvm-16/bin /usr/lib/llvm-15/bin /usr/lib/llvm-14/bin)
accc_require(LLVM_CONFIG "LLVM 14-16 (llvm-config)" llvm-dev)
execute_process(COMMAND ${LLVM_CONFIG} --version
    OUTPUT_VARIABLE LLVM_VERSION OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX MATCH "^[0-9]+" LLVM_VERSION_MAJOR "${LLVM_VERSION}")
if(LLVM_VERSION_MAJOR LESS 14 OR LLVM_VERSION_MAJOR GREATER 16)
    message(FATAL_ERROR "accc needs LLVM 14 to 16; ${LLVM_CONFIG} is ${LLVM_VERSION}")
endif()
execute_process(COMMAND ${LLVM_CONFIG} --includedir
    OUTPUT_VARIABLE LLVM_INCLUDE_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${LLVM_CONFIG} --bindir
    OUTPUT_VARIABLE LLVM_TOOLS_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${LLVM_CONFIG} --link-shared --ldflags
    OUTPUT_VARIABLE LLVM_LDFLAGS OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${LLVM_CONFIG} --link-shared --libs core analysis native
    OUTPUT_VARIABLE LLVM_LIBS OUTPUT_STRIP_TRAILING_WHITESPACE)
separate_arguments(LLVM_LDFLAGS UNIX_COMMAND "${LLVM_LDFLAGS}")
separate_arguments(LLVM_LIBS UNIX_COMMAND "${LLVM_LIBS}")
add_library(accc_llvm INTERFACE)
target_include_directories(accc_llvm SYSTEM INTERFACE ${LLVM_INCLUDE_DIR})
target_link_options(accc_llvm INTERFACE ${LLVM_LDFLAGS})
target_link_libraries(accc_llvm INTERFACE ${LLVM_LIBS})
message(STATUS "LLVM ${LLVM_VERSION} (${LLVM_CONFIG})")

# --- cmocka, through pkg-config: unit tests -----------------------------------
find_package(PkgConfig)
accc_require(PKG_CONFIG_FOUND "pkg-config" pkg-config)
pkg_check_modules(CMOCKA IMPORTED_TARGET cmocka>=1.1)
accc_require(CMOCKA_FOUND "cmocka (>= 1.1)" libcmocka-dev)

# --- Test tools: lit, FileCheck, python3 with numpy ---------------------------
# Debian's python3 (not a user-installed one) is the one with python3-numpy
# and python3-onnx, so prefer it.
find_program(ACCC_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT ACCC_PYTHON)
    find_program(ACCC_PYTHON NAMES python3)
endif()
accc_require(ACCC_PYTHON "python3" python3)
find_program(FILECHECK FileCheck PATHS ${LLVM_TOOLS_DIR} NO_DEFAULT_PATH)
accc_require(FILECHECK "FileCheck" llvm-${LLVM_VERSION_MAJOR}-tools)
get_filename_component(_llvm_prefix "${LLVM_TOOLS_DIR}" DIRECTORY)
find_file(LIT_PY lit.py PATHS ${_llvm_prefix}/build/utils/lit NO_DEFAULT_PATH)
accc_require(LIT_PY "lit" llvm-${LLVM_VERSION_MAJOR}-tools)
find_program(READELF readelf)
accc_require(READELF "readelf" binutils)
