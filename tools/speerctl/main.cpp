// speerctl: the admin CLI of speerd. A thin client: the work is done by the
// libraries in enum/, resolver/ and sed-store/.
#include "tools/speerctl/command.hpp"

int main(int argc, char** argv) {
  return speerctl::run(argc, argv);
}
