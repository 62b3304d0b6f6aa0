// speerctl: the admin CLI of speerd. A thin client: the work is done by the
// libraries in enum/, resolver/ and sed-store/.
#include <cstdio>
#include <exception>

#include "tools/speerctl/command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"speerctl: administer and query speerd (DNSSEC-validated ENUM/SIP lookups)"};
  app.require_subcommand(1);
  for (auto reg : speerctl::command_groups()) reg(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : speerctl::exit_code::kUsage;
  } catch (const speerctl::Exit& e) {
    if (!e.message.empty()) std::fprintf(stderr, "speerctl: %s\n", e.message.c_str());
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "speerctl: internal error: %s\n", e.what());
    return speerctl::exit_code::kInternal;
  }
  return speerctl::exit_code::kOk;
}
