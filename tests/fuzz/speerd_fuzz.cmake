# speerd_add_fuzz(NAME fuzz_<x> SOURCES ... LIBS ... [SEEDS <dir>])
#
# One fuzz target = one source file defining LLVMFuzzerTestOneInput. Builds:
#   <NAME>_replay  always: a plain program (replay_main.cpp) that feeds every file of
#                  the seed folder to LLVMFuzzerTestOneInput, registered with CTest as
#                  fuzz.<x>.replay, so the normal and sanitizer builds replay the seeds;
#   <NAME>         with -DSPEERD_FUZZ=ON and clang: the libFuzzer binary.
# SEEDS defaults to ${CMAKE_CURRENT_SOURCE_DIR}/<NAME>.in (Knot DNS layout).
# In a fuzzing build every library is coverage-instrumented (top-level CMakeLists.txt),
# so the libFuzzer binary links the same LIBS as the replay program. tools/fuzz builds
# and runs the targets; the list of targets is the property SPEERD_FUZZ_TARGETS.
# Other folders use it with include(${CMAKE_SOURCE_DIR}/tests/fuzz/speerd_fuzz.cmake).
include_guard(GLOBAL)

set(SPEERD_FUZZ_REPLAY_MAIN ${CMAKE_CURRENT_LIST_DIR}/replay_main.cpp)

if(SPEERD_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(WARNING "SPEERD_FUZZ needs clang (libFuzzer); only the replay runners are built")
endif()

function(speerd_add_fuzz)
  cmake_parse_arguments(F "" "NAME;SEEDS" "SOURCES;LIBS" ${ARGN})
  if(NOT F_SEEDS)
    set(F_SEEDS ${CMAKE_CURRENT_SOURCE_DIR}/${F_NAME}.in)
  endif()
  string(REGEX REPLACE "^fuzz_" "" short ${F_NAME})

  add_executable(${F_NAME}_replay ${SPEERD_FUZZ_REPLAY_MAIN} ${F_SOURCES})
  target_link_libraries(${F_NAME}_replay PRIVATE ${F_LIBS})
  add_test(NAME fuzz.${short}.replay COMMAND ${F_NAME}_replay ${F_SEEDS})
  set_tests_properties(fuzz.${short}.replay PROPERTIES LABELS fuzz)
  set_property(GLOBAL APPEND PROPERTY SPEERD_FUZZ_TARGETS ${F_NAME})

  if(SPEERD_FUZZ AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    add_executable(${F_NAME} ${F_SOURCES})
    target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  endif()
endfunction()
