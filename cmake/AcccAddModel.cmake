# accc_add_model(NAME SOURCE model.g [TARGET preset] [FLAGS flag...] [OUTPUT file])
#
# Compile a model with accc as a step of the build: a custom command makes
# OUTPUT (default: NAME.bin in the current binary directory; a relative
# OUTPUT is taken from there) from SOURCE (.g, .ir or .onnx; a relative path
# is taken from the current source directory), for the machine preset TARGET
# (default acc1), with FLAGS passed to accc as they are (--emit=ir, -O1,
# -D N=32, --freeze x=x.npy, ...). The command writes a depfile (accc -MD)
# naming every file the compile read — imported .g files, load()ed and
# --freeze weights, ONNX external data — so editing any of them rebuilds
# this model and nothing else. A target NAME (built by default) stands for
# the output; its property ACCC_OUTPUT holds the output's path.
#
# Needs CMake 3.20 or later (DEPFILE with both the Ninja and the Makefile
# generators). With --emit=g, the .npy files written beside the output are
# not known to the build; use ir, asm or bin.
function(accc_add_model name)
    if(CMAKE_VERSION VERSION_LESS 3.20)
        message(FATAL_ERROR "accc_add_model needs CMake 3.20 or later (depfiles); this is "
                            "${CMAKE_VERSION}")
    endif()
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "SOURCE;TARGET;OUTPUT" "FLAGS")
    if(arg_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "accc_add_model(${name}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT arg_SOURCE)
        message(FATAL_ERROR "accc_add_model(${name}): SOURCE is required")
    endif()
    if(NOT arg_TARGET)
        set(arg_TARGET acc1)
    endif()
    if(NOT arg_OUTPUT)
        set(arg_OUTPUT ${name}.bin)
    endif()
    cmake_path(ABSOLUTE_PATH arg_SOURCE BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE
               OUTPUT_VARIABLE source)
    cmake_path(ABSOLUTE_PATH arg_OUTPUT BASE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR} NORMALIZE
               OUTPUT_VARIABLE output)
    set(depfile ${output}.d)

    # Depfile paths are absolute here, which Ninja and Make read alike.
    cmake_policy(PUSH)
    cmake_policy(SET CMP0116 NEW)
    cmake_path(GET output PARENT_PATH output_dir)
    add_custom_command(
        OUTPUT ${output}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${output_dir}
        COMMAND accc::accc --target=${arg_TARGET} ${arg_FLAGS} -MD -MF ${depfile}
                -o ${output} ${source}
        DEPENDS ${source} $<TARGET_FILE:accc::accc>
        DEPFILE ${depfile}
        COMMENT "Compiling ACC-1 model ${name}"
        VERBATIM COMMAND_EXPAND_LISTS)
    cmake_policy(POP)
    add_custom_target(${name} ALL DEPENDS ${output})
    set_target_properties(${name} PROPERTIES ACCC_OUTPUT ${output})
endfunction()
