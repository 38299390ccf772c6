# What `cmake --install` puts in place, and the CMake and pkg-config
# packages external projects use (docs/building.md, "Installing"):
#
#   bin/                 accc acc-run acc-as acc-objdump acc-npy acc-onnx-dump
#   lib/libaccsim.a      the interpreter with everything it needs (one archive)
#   include/accc/        accsim.h and the headers it includes
#   lib/cmake/accc/      find_package(accc): imported targets accc::accc,
#                        accc::acc-run, accc::acc-as, accc::acc-objdump,
#                        accc::acc-npy, accc::acc-onnx-dump, accc::accsim, and
#                        accc_add_model() (AcccAddModel.cmake)
#   lib/pkgconfig/       accsim.pc
#   share/man/man1/      the man pages (docs/man/)
#
# Every installed file locates the others relative to itself, so the tree
# works wherever it is installed (cmake --install build --prefix DIR).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
find_package(Threads REQUIRED)

# libaccsim.a: the interpreter and the layers below it in one archive, so
# that a user links one library. accc_sim and the layers stay separate
# inside the build.
add_library(accsim STATIC
    $<TARGET_OBJECTS:accc_sim> $<TARGET_OBJECTS:accc_asm>
    $<TARGET_OBJECTS:accc_isa> $<TARGET_OBJECTS:accc_support>)
set_target_properties(accsim PROPERTIES LINKER_LANGUAGE C)
target_include_directories(accsim INTERFACE
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(accsim INTERFACE Threads::Threads m)

# accsim.h and what it includes; a user writes #include <accc/accsim.h>.
set(ACCC_PUBLIC_HEADERS
    ${PROJECT_SOURCE_DIR}/include/accsim.h
    ${PROJECT_SOURCE_DIR}/isa-spec/isa.h
    ${ACCC_ISA_GEN}/isa_table.h
    ${PROJECT_SOURCE_DIR}/isa-spec/presets.def
    ${PROJECT_SOURCE_DIR}/support/support.h
    ${PROJECT_SOURCE_DIR}/support/dtype.def)

set(_accc_tools accc acc-run acc-as acc-objdump acc-npy acc-onnx-dump)
install(TARGETS ${_accc_tools} accsim EXPORT acccTargets
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${ACCC_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/accc)
set(ACCC_MAN_PAGES)
foreach(tool ${_accc_tools})
    list(APPEND ACCC_MAN_PAGES ${PROJECT_SOURCE_DIR}/docs/man/${tool}.1)
endforeach()
install(FILES ${ACCC_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

set(ACCC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/accc)
install(EXPORT acccTargets NAMESPACE accc:: DESTINATION ${ACCC_CMAKE_DIR}
    FILE acccTargets.cmake)
configure_package_config_file(cmake/acccConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/acccConfig.cmake INSTALL_DESTINATION ${ACCC_CMAKE_DIR})
# 0.x: a minor version may change the interfaces.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/acccConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/acccConfig.cmake
    ${CMAKE_CURRENT_BINARY_DIR}/acccConfigVersion.cmake
    ${PROJECT_SOURCE_DIR}/cmake/AcccAddModel.cmake
    DESTINATION ${ACCC_CMAKE_DIR})

# accsim.pc finds its prefix from its own place (${pcfiledir}).
file(RELATIVE_PATH ACCC_PC_TO_PREFIX ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig
    ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" ACCC_PC_TO_PREFIX "${ACCC_PC_TO_PREFIX}")
configure_file(cmake/accsim.pc.in ${CMAKE_CURRENT_BINARY_DIR}/accsim.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/accsim.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
