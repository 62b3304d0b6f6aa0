// The Catch2 main of every test executable. It also provides the test
// environment (source, binary and testbed folders) when ctest has not set it,
// so a test binary can be run by hand from the build tree.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>

int main(int argc, char* argv[]) {
  setenv("SPEERD_SOURCE_DIR", SPEERD_TEST_SOURCE_DIR, 0);
  setenv("SPEERD_BINARY_DIR", SPEERD_TEST_BINARY_DIR, 0);
  setenv("SPEERD_TESTBED", SPEERD_TEST_BINARY_DIR "/testbed", 0);
  return Catch::Session().run(argc, argv);
}
