# Registers each Catch2 TEST_CASE of one test executable as its own ctest test.
# Run after the executable is built (POST_BUILD, `cmake -P`), with
#   EXE     the test executable
#   PREFIX  put before every ctest name (e.g. "test_enum:")
#   VAR     the variable the written file sets to the list of ctest names
#   OUT     the file to write; speerd_add_tests' include file includes it
#
# Why not catch_discover_tests: it names the ctest test after the Catch2 test
# case, spaces included. ctest keeps its timing history in
# Testing/Temporary/CTestCostData.txt as "name runs cost" and splits each line
# on spaces when it reads the file, so a name with spaces never finds its
# history (ctest -j cannot start the slowest tests first) and a number in the
# name is read as a cost ("select: RFC 3403 order rule" became 3403 s). Here
# the ctest name is the Catch2 name with each space turned into '_'; the
# filter handed to the executable is still the exact Catch2 name.
cmake_policy(VERSION 3.25)
execute_process(
  COMMAND "${EXE}" --list-test-names-only
  OUTPUT_VARIABLE listing
  RESULT_VARIABLE listed)
# Catch2 v2 exits with the number of test cases listed (modulo 256), so only a
# crash or a missing executable is an error here; an empty list is one below.
if(NOT listed MATCHES "^[0-9]+$")
  message(FATAL_ERROR "${EXE} --list-test-names-only failed: ${listed}")
endif()

string(REPLACE ";" "\\;" listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(script "")
set(names "")
foreach(test IN LISTS lines)
  if(test STREQUAL "")
    continue()
  endif()
  if(test MATCHES "\\\\;")
    message(FATAL_ERROR "${EXE}: test name has ';' (tools/check-test-names): ${test}")
  endif()
  # A CMake list takes an unbalanced '[' or ']' for grouping: it would merge names.
  string(REGEX REPLACE "[^[]" "" opening "${test}")
  string(REGEX REPLACE "[^]]" "" closing "${test}")
  string(LENGTH "${opening}" opening)
  string(LENGTH "${closing}" closing)
  if(NOT opening EQUAL closing)
    message(FATAL_ERROR "${EXE}: test name has unbalanced brackets: ${test}")
  endif()
  string(REPLACE " " "_" name "${PREFIX}${test}")
  if(name IN_LIST names)
    message(FATAL_ERROR "${EXE}: two test cases give the ctest name ${name}; rename one")
  endif()
  list(APPEND names "${name}")
  # Catch2's test spec reads ',' '[' ']' as syntax; a backslash makes each a letter.
  set(filter "${test}")
  foreach(char "\\" "," "[" "]")
    string(REPLACE "${char}" "\\${char}" filter "${filter}")
  endforeach()
  # --warn NoTests: a filter that matches no test case fails instead of passing.
  string(APPEND script
         "add_test([==[${name}]==] [==[${EXE}]==] [==[${filter}]==] --warn NoTests)\n")
endforeach()
if(names STREQUAL "")
  message(FATAL_ERROR "${EXE} --list-test-names-only listed no test case")
endif()
string(APPEND script "set(${VAR} [==[${names}]==])\n")
file(WRITE "${OUT}" "${script}")
