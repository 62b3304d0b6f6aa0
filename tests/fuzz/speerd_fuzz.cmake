# speerd_add_fuzz(NAME fuzz_<x> SOURCES ... LIBS ... [FUZZ_LIBS ...] [SEEDS <dir>])
#
# One fuzz target = one source file defining LLVMFuzzerTestOneInput. Builds:
#   <NAME>_replay  always: a plain program (replay_main.cpp) that feeds every file of
#                  the seed folder to LLVMFuzzerTestOneInput, registered with CTest as
#                  fuzz.<x>.replay, so the normal and sanitizer builds replay the seeds;
#   <NAME>         with -DSPEERD_FUZZ=ON and clang: the libFuzzer binary.
# SEEDS defaults to ${CMAKE_CURRENT_SOURCE_DIR}/<NAME>.in (Knot DNS layout).
# FUZZ_LIBS (default LIBS) lets the libFuzzer binary link coverage-instrumented
# copies of the libraries (e.g. speerd_enum_fuzz) while the replay and unit tests link
# the plain ones.
# Other folders use it with include(${CMAKE_SOURCE_DIR}/tests/fuzz/speerd_fuzz.cmake).
include_guard(GLOBAL)

set(SPEERD_FUZZ_REPLAY_MAIN ${CMAKE_CURRENT_LIST_DIR}/replay_main.cpp)

if(SPEERD_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(WARNING "SPEERD_FUZZ needs clang (libFuzzer); only the replay runners are built")
endif()

function(speerd_add_fuzz)
  cmake_parse_arguments(F "" "NAME;SEEDS" "SOURCES;LIBS;FUZZ_LIBS" ${ARGN})
  if(NOT F_SEEDS)
    set(F_SEEDS ${CMAKE_CURRENT_SOURCE_DIR}/${F_NAME}.in)
  endif()
  if(NOT F_FUZZ_LIBS)
    set(F_FUZZ_LIBS ${F_LIBS})
  endif()
  string(REGEX REPLACE "^fuzz_" "" short ${F_NAME})

  add_executable(${F_NAME}_replay ${SPEERD_FUZZ_REPLAY_MAIN} ${F_SOURCES})
  target_link_libraries(${F_NAME}_replay PRIVATE ${F_LIBS})
  add_test(NAME fuzz.${short}.replay COMMAND ${F_NAME}_replay ${F_SEEDS})

  if(SPEERD_FUZZ AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    add_executable(${F_NAME} ${F_SOURCES})
    target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${F_NAME} PRIVATE ${F_FUZZ_LIBS})
  endif()
endfunction()
